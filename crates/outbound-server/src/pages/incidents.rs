//! The incident register, `/incidents`: each incident with its notification
//! clocks (due time, to whom, article) running, met or missed, in English or
//! Chinese. Access is the API's (`api_incidents`): roles that read incidents;
//! roles that handle them also get, per incident, forms to record a notice
//! per clock, suspend its routes and close it, and links to the four drafts
//! of its notices (Chinese and English, to the authorities and to the
//! individuals) as HTML pages.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::{LangQuery, csrf_refused, forbidden_page, form_time, language, render, ser, urlencode};
use crate::access::{Action, allows};
use crate::api_incidents::{close, draft, incidents, record_notice, suspend_routes};
use crate::auth::{PageUser, same_secret};
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
                can_handle => allows(user.account.role, Action::HandleIncident),
            },
        ),
        Err(e) if e.status == StatusCode::FORBIDDEN => forbidden_page(lang, &user),
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// The incident handling forms and the drafts, for roles that handle
/// incidents (`Action::HandleIncident`); each form carries the session's
/// CSRF token and goes through the API's functions, so a refusal is the
/// API's (404, 400, 409) and stores nothing.
pub(super) fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/incidents/{id}/notice", post(notice_form))
        .route("/incidents/{id}/suspend-routes", post(suspend_form))
        .route("/incidents/{id}/close", post(close_form))
        .route("/incidents/{id}/drafts/{to}", get(draft_page))
}

/// The notice form: a clock and when its notice was sent.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct NoticeForm {
    csrf: String,
    clock: String,
    /// RFC 3339, or a browser's `datetime-local` read as UTC; empty: now.
    sent_at: String,
}

/// The suspend form.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct SuspendForm {
    csrf: String,
    reason: String,
}

/// The close form.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct CloseForm {
    csrf: String,
    measures: String,
}

fn back(id: &str) -> Response {
    Redirect::to(&format!("/incidents#incident-{}", urlencode(id))).into_response()
}

async fn notice_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Form(form): Form<NoticeForm>,
) -> Response {
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    let at = form_time(&form.sent_at);
    match record_notice(&state, &user.account, &id, &form.clock, at.as_deref()).await {
        Ok(_) => back(&id),
        Err(e) => e.into_response(),
    }
}

async fn suspend_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Form(form): Form<SuspendForm>,
) -> Response {
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    match suspend_routes(&state, &user.account, &id, &form.reason).await {
        Ok(_) => back(&id),
        Err(e) => e.into_response(),
    }
}

async fn close_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Form(form): Form<CloseForm>,
) -> Response {
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    match close(&state, &user.account, &id, Some(form.measures)).await {
        Ok(_) => back(&id),
        Err(e) => e.into_response(),
    }
}

/// `?lang=` of a draft.
#[derive(serde::Deserialize)]
pub(super) struct DraftLang {
    lang: Option<String>,
}

/// `GET /incidents/{id}/drafts/{to}`: the draft as a standalone HTML page.
async fn draft_page(
    State(state): State<AppState>,
    Path((id, to)): Path<(String, String)>,
    Query(q): Query<DraftLang>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    match draft(&state, &user.account, &id, &to, q.lang.as_deref()).await {
        Ok(d) => (
            [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            d.html(),
        )
            .into_response(),
        Err(e) if e.status == StatusCode::FORBIDDEN => {
            let lang = language(&LangQuery::default(), &headers);
            forbidden_page(lang, &user)
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::form_time;

    #[test]
    fn form_times_are_rfc_3339_or_read_as_utc() {
        assert_eq!(form_time("  "), None);
        assert_eq!(
            form_time("2026-11-23T09:00").as_deref(),
            Some("2026-11-23T09:00:00Z")
        );
        assert_eq!(
            form_time("2026-11-23T17:00:00+08:00").as_deref(),
            Some("2026-11-23T17:00:00+08:00")
        );
        assert_eq!(form_time("soon").as_deref(), Some("soon"), "refused later");
    }
}
