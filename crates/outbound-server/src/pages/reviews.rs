//! Pages: reviews of overseas recipients, their findings and risk scores
//! (issue 14): the overview's block of overdue reviews and open high findings.

use minijinja::Value;
use outbound_store::Account;

use crate::state::AppState;

/// This workflow's pages.
pub(super) fn router() -> axum::Router<AppState> {
    axum::Router::new()
}

/// The overview's block (`templates/overdue_reviews.html`): the recipients
/// whose review is overdue and the open high findings, for a role that reads
/// reviews (nothing otherwise).
pub(super) async fn overview(_state: &AppState, _a: &Account) -> Value {
    super::ser(serde_json::json!({ "reads": false }))
}
