//! Pages: reviews of overseas recipients, their findings and risk scores
//! (issue 14). The recipient page's section (reviews, findings, the score
//! with its inputs table, and for admin and compliance the forms), the
//! overview's block of overdue reviews and open high findings, and the two
//! form posts. Access is the API's (`api_reviews`).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use outbound_store::reviews::{FindingState, ReviewKind, Severity};
use outbound_store::{Account, Role};

use super::jobs::message_page;
use super::{
    LangQuery, csrf_refused, forbidden_page, language, not_found_page, render, ser, urlencode,
};
use crate::access::{Action, allows};
use crate::api_reviews::{
    FindingRequest, ReviewRequest, close_finding, record, review_standing, reviews, risk_of,
};
use crate::auth::{PageUser, same_secret};
use crate::error::ApiError;
use crate::state::AppState;

/// This workflow's pages.
pub(super) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/recipients/{id}/reviews", axum::routing::post(review_form))
        .route("/findings/{id}", axum::routing::post(finding_form))
}

/// The recipient page's section (`recipient.html`): its reviews newest first,
/// when the next is due, the risk score with its inputs, and whether the
/// account may record reviews. Nothing for a role that does not read reviews.
pub(super) async fn section(state: &AppState, user: &PageUser, id: &str) -> Value {
    let a = &user.account;
    if !allows(a.role, Action::ReadReviews) {
        return ser(serde_json::json!({ "reads": false }));
    }
    let (Ok(list), Ok(risk)) = (reviews(state, a, id).await, risk_of(state, a, id).await) else {
        return ser(serde_json::json!({ "reads": false }));
    };
    ser(serde_json::json!({
        "reads": true,
        "list": list,
        "risk": risk,
        "can_review": allows(a.role, Action::Review),
        "kinds": ReviewKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "today": state.as_of().to_string(),
    }))
}

/// The overview's block (`templates/overdue_reviews.html`): the recipients
/// whose review is overdue and the open high findings, for a role that reads
/// reviews (nothing otherwise; a recipient: its own only).
pub(super) async fn overview(state: &AppState, a: &Account) -> Value {
    if !allows(a.role, Action::ReadReviews) {
        return ser(serde_json::json!({ "reads": false }));
    }
    // One read of the store for every recipient on the page.
    let Ok(all) = state.store(|s, _| s.reviews(None)).await else {
        return ser(serde_json::json!({ "reads": false }));
    };
    let as_of = state.as_of();
    let mut overdue = Vec::new();
    let mut high = Vec::new();
    for r in &state.map().recipients {
        if a.role == Role::Recipient && a.recipient.as_deref() != Some(r.id.as_str()) {
            continue;
        }
        let st = review_standing(state.map(), &r.id, &all, as_of);
        if st.standing == outbound_rules::risk::ReviewStanding::Overdue {
            overdue.push(serde_json::json!({
                "id": r.id, "name": r.name,
                "last": st.last.map(|d| d.to_string()),
                "due": st.due.map(|d| d.to_string()),
            }));
        }
        for rv in all.iter().filter(|x| x.recipient == r.id) {
            for f in rv
                .findings
                .iter()
                .filter(|f| f.state == FindingState::Open && f.severity == Severity::High)
            {
                high.push(serde_json::json!({
                    "id": f.id, "recipient": r.id, "name": r.name,
                    "review": rv.id, "date": rv.date, "text": f.text,
                }));
            }
        }
    }
    ser(serde_json::json!({
        "reads": true,
        "overdue": overdue,
        "open_high": high,
        "months": outbound_rules::risk::data().review_schedule.months,
    }))
}

fn refused(lang: (&'static str, Option<String>), user: &PageUser, e: ApiError) -> Response {
    match e.status {
        StatusCode::NOT_FOUND => not_found_page(lang, user),
        StatusCode::FORBIDDEN => forbidden_page(lang, user),
        StatusCode::BAD_REQUEST | StatusCode::CONFLICT => {
            let t = super::strings().get(lang.0).cloned().unwrap_or_default();
            let why = t.get("rv_refused").cloned().unwrap_or_default();
            render(
                "message.html",
                e.status,
                lang,
                Some(user),
                context! { page => "", message => format!("{why} {}", e.message) },
            )
        }
        _ => e.into_response(),
    }
}

/// The review form's fields.
#[derive(serde::Deserialize)]
pub(super) struct ReviewForm {
    csrf: String,
    date: String,
    kind: String,
    summary: String,
    /// One finding a line: `SEVERITY: TEXT`.
    #[serde(default)]
    findings: String,
}

/// `POST /recipients/{id}/reviews` (form): records a review and its findings.
async fn review_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    user: PageUser,
    Form(form): Form<ReviewForm>,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    if !allows(user.account.role, Action::Review) {
        return forbidden_page(lang, &user);
    }
    let Ok(kind) = form.kind.parse::<ReviewKind>() else {
        return message_page(lang, &user, StatusCode::BAD_REQUEST, "rv_bad_kind");
    };
    let mut findings = Vec::new();
    for line in form.findings.lines().filter(|l| !l.trim().is_empty()) {
        let parsed = line
            .split_once(':')
            .and_then(|(s, t)| Some((s.trim().parse::<Severity>().ok()?, t.trim())));
        let Some((severity, text)) = parsed else {
            return message_page(lang, &user, StatusCode::BAD_REQUEST, "rv_bad_finding");
        };
        findings.push(FindingRequest {
            severity,
            text: text.to_string(),
        });
    }
    let req = ReviewRequest {
        date: Some(form.date).filter(|d| !d.trim().is_empty()),
        kind,
        summary: form.summary,
        findings,
    };
    match record(&state, &user.account, &id, req).await {
        Ok(_) => Redirect::to(&format!("/recipients/{}#reviews", urlencode(&id))).into_response(),
        Err(e) => refused(lang, &user, e),
    }
}

/// The finding form's fields.
#[derive(serde::Deserialize)]
pub(super) struct FindingForm {
    csrf: String,
    state: String,
}

/// `POST /findings/{id}` (form): closes a finding as fixed or accepted.
async fn finding_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    user: PageUser,
    Form(form): Form<FindingForm>,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    if !allows(user.account.role, Action::Review) {
        return forbidden_page(lang, &user);
    }
    let Ok(fid) = id.parse::<i64>() else {
        return not_found_page(lang, &user);
    };
    let to = match form.state.as_str() {
        "fixed" => FindingState::Fixed,
        "accepted" => FindingState::Accepted,
        _ => return message_page(lang, &user, StatusCode::BAD_REQUEST, "rv_bad_state"),
    };
    match close_finding(&state, &user.account, fid, to).await {
        Ok(f) => Redirect::to(&format!(
            "/recipients/{}#finding-{}",
            urlencode(&f.recipient),
            f.id
        ))
        .into_response(),
        Err(e) => refused(lang, &user, e),
    }
}
