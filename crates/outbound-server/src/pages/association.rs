//! Pages: members' snapshots and ratings, per period and over periods (issue 12).

use crate::state::AppState;

/// This workflow's pages.
pub(super) fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
