//! Pages: Complaint handling: triage, links, deadlines and answers (issue 14).

use crate::state::AppState;

/// This workflow's pages.
pub(super) fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
