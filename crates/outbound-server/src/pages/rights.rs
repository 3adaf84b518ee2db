//! Pages: Rights requests: intake, forwarding to the recipients that received the person, answers (issue 14).

use crate::state::AppState;

/// This workflow's pages.
pub(super) fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
