//! API: Rights requests: intake, forwarding to the recipients that received the person, answers (issue 14).

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// This workflow's API routes and their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
