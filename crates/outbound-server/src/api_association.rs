//! API: compliance snapshots, an association's members and their ratings (issue 12).

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// This workflow's API routes and their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
