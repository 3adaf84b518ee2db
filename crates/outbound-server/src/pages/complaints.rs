//! Pages: Complaint handling: triage, links, deadlines and answers (issue 14).
//!
//! `/complaints` (staff who read complaints) lists each complaint with its
//! state, links and due date, overdue ones highlighted, with the triage and
//! answer forms for admin and compliance (the session's CSRF token).
//! `/complain/status?tracking=…` is the complainant's page: the same public
//! status as the API (no text, no contact; unknown and malformed ids alike;
//! rate-limited). The overview's block counts complaints by outcome and lists
//! the overdue ones.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use outbound_store::Account;
use outbound_store::complaints::OUTCOMES;

use super::{csrf_refused, language, render, ser, urlencode};
use crate::access::{Action, allows};
use crate::api_complaints::{self as api, AnswerRequest, TriageRequest};
use crate::auth::{PageUser, client, same_secret};
use crate::state::AppState;

/// This workflow's pages.
pub(super) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/complain/status", get(status_page))
        .route("/complaints/{tracking}/triage", post(triage))
        .route("/complaints/{tracking}/answer", post(answer))
}

/// Answered complaints the page shows at a time.
const ANSWERED_PAGE: u64 = 50;

/// Where the page's answered complaints start: the newest, or those after
/// `before` (a tracking id, from its link).
#[derive(serde::Deserialize, Default)]
pub(super) struct AnsweredAt {
    before: Option<String>,
}

/// The context of `/complaints`: every open complaint (not answered: what
/// needs doing), then the answered ones fifty at a time, each with its
/// handling; the categories and outcomes for the forms, and whether the
/// user may handle.
pub(super) async fn page(
    state: &AppState,
    user: &PageUser,
    at: AnsweredAt,
) -> Result<Value, Response> {
    let a = &user.account;
    let before = at.before.filter(|b| crate::api::is_plain_id(b));
    let newest = before.is_none();
    let read = async {
        let open = api::handling_page(state, a, Some(true), None, outbound_store::PAGE_MAX).await?;
        let answered = api::handling_page(state, a, Some(false), before, ANSWERED_PAGE + 1).await?;
        let counts = state.store(|s, _| s.complaint_counts()).await?;
        Ok::<_, crate::error::ApiError>((open, answered, counts))
    };
    let (open, mut answered, counts) = read.await.map_err(IntoResponse::into_response)?;
    let older = super::cut_page(&mut answered, ANSWERED_PAGE, |(c, _)| c.tracking.clone());
    let (open_count, answered_count) = counts.iter().fold((0, 0), |(o, d), (k, n)| {
        if k == "received" || k == "triaged" {
            (o + n, d)
        } else {
            (o, d + n)
        }
    });
    let shown = answered.len();
    let rows: Vec<serde_json::Value> = open
        .into_iter()
        .chain(answered)
        .map(|(c, v)| serde_json::json!({"c": c, "h": v}))
        .collect();
    let categories: Vec<&str> = outbound_rules::complaint::data()
        .category
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    Ok(context! {
        page => "complaints",
        rows => ser(&rows),
        answered => ser(serde_json::json!({
            "shown": shown, "total": answered_count, "open": open_count,
            "older": older, "newest": newest,
        })),
        categories => ser(&categories),
        outcomes => ser(OUTCOMES),
        handles => allows(user.account.role, Action::HandleComplaints),
    })
}

/// The overview's block (`templates/overview_complaints.html`): counts by
/// state and outcome and the overdue complaints, for a role that reads
/// complaints (nothing otherwise). Tracking ids and dates only. Only open
/// complaints are read (an answered one is never overdue); the counts are
/// the store's.
pub(super) async fn overview(state: &AppState, a: &Account) -> Value {
    if !allows(a.role, Action::ReadComplaints) {
        return ser(serde_json::json!({"reads": false}));
    }
    let (Ok(open), Ok(by)) = (
        api::handling_page(state, a, Some(true), None, outbound_store::PAGE_MAX).await,
        state.store(|s, _| s.complaint_counts()).await,
    ) else {
        return ser(serde_json::json!({"reads": false}));
    };
    let overdue: Vec<serde_json::Value> = open
        .iter()
        .filter(|(_, v)| v.overdue)
        .map(|(_, v)| serde_json::json!({"tracking": v.tracking, "due": v.due, "state": v.state}))
        .collect();
    let total: u64 = by.values().sum();
    ser(serde_json::json!({
        "reads": true, "total": total, "by": by, "overdue": overdue,
    }))
}

/// `?tracking=…&lang=…`.
#[derive(serde::Deserialize, Default)]
pub(super) struct StatusQuery {
    tracking: Option<String>,
    lang: Option<String>,
}

async fn status_page(
    State(state): State<AppState>,
    Query(q): Query<StatusQuery>,
    headers: HeaderMap,
    parts: axum::http::request::Parts,
) -> Response {
    let lang = language(
        &super::LangQuery {
            lang: q.lang.clone(),
        },
        &headers,
    );
    let Some(tracking) = q.tracking.filter(|t| !t.trim().is_empty()) else {
        return render(
            "complaint_status.html",
            StatusCode::OK,
            lang,
            None,
            context! {},
        );
    };
    match api::public_status(&state, &client(&parts), tracking.trim()).await {
        Ok(s) => render(
            "complaint_status.html",
            StatusCode::OK,
            lang,
            None,
            context! { status => ser(&s) },
        ),
        Err(e) => {
            let code = e.status;
            render(
                "complaint_status.html",
                code,
                lang,
                None,
                context! { missing => code == StatusCode::NOT_FOUND, limited => code == StatusCode::TOO_MANY_REQUESTS },
            )
        }
    }
}

/// The triage form.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct TriageForm {
    csrf: String,
    category: String,
    transfer: String,
    recipient: String,
}

/// The answer form.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct AnswerForm {
    csrf: String,
    answer: String,
    outcome: String,
}

fn back(tracking: &str) -> Response {
    Redirect::to(&format!("/complaints#complaint-{}", urlencode(tracking))).into_response()
}

async fn triage(
    State(state): State<AppState>,
    Path(tracking): Path<String>,
    user: PageUser,
    Form(form): Form<TriageForm>,
) -> Response {
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    let opt = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let req = TriageRequest {
        category: form.category,
        transfer: opt(form.transfer),
        recipient: opt(form.recipient),
    };
    match api::triage(&state, &user.account, &tracking, req).await {
        Ok(_) => back(&tracking),
        Err(e) => e.into_response(),
    }
}

async fn answer(
    State(state): State<AppState>,
    Path(tracking): Path<String>,
    user: PageUser,
    Form(form): Form<AnswerForm>,
) -> Response {
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    let req = AnswerRequest {
        answer: form.answer,
        outcome: form.outcome,
    };
    match api::answer(&state, &user.account, &tracking, req).await {
        Ok(_) => back(&tracking),
        Err(e) => e.into_response(),
    }
}
