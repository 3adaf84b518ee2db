//! Pages: Reviews of overseas recipients, their findings and risk scores (issue 14).

use crate::state::AppState;

/// This workflow's pages.
pub(super) fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
