//! The incident register, `/incidents`: each incident with its notification
//! clocks (due time, to whom, article) running, met or missed, in English or
//! Chinese. Access is the API's (`api_incidents`): roles that read incidents.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;

use super::{LangQuery, forbidden_page, language, render, ser};
use crate::api_incidents::incidents;
use crate::auth::PageUser;
use crate::state::AppState;

/// `GET /incidents`.
pub(super) async fn incidents_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    match incidents(&state, &user.account).await {
        Ok(list) => render(
            "incidents.html",
            StatusCode::OK,
            lang,
            Some(&user),
            context! {
                page => "incidents",
                incidents => ser(&list.incidents),
                clocks_at => super::clocks_at(),
            },
        ),
        Err(e) if e.status == StatusCode::FORBIDDEN => forbidden_page(lang, &user),
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}
