//! API: Reviews of overseas recipients, their findings and risk scores (issue 14).

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// This workflow's API routes and their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
