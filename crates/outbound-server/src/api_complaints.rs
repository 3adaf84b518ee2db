//! API: Complaint handling: triage, links, deadlines and answers (issue 14).
//!
//! `GET /api/v1/complaints/{tracking}` is the complainant's: no account,
//! rate-limited per client like the public `POST`, and it serves the state,
//! the due date and, once answered, the answer and outcome; never the text or
//! the contact. An unknown and a malformed tracking id answer the same 404, so
//! ids cannot be probed by their form. Triage and answer are staff actions
//! (`HandleComplaints`: admin, compliance); the deadline comes from the rule
//! data (`outbound_rules::complaint`), the transfer and recipient are checked
//! against the map, and every refusal stores nothing.

use axum::extract::State;
use outbound_rules::complaint::{self as rules, overdue, today};
use outbound_store::complaints::{ComplaintQuery, Handling, OUTCOMES, Triage};
use outbound_store::{Account, Complaint};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{Action, require};
use crate::api::{ApiJson, ApiPath};
use crate::auth::{ApiUser, client};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// This workflow's API routes and their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(complaint_status))
        .routes(routes!(post_triage))
        .routes(routes!(post_answer))
}

/// A complaint's status as its complainant sees it: no text, no contact.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PublicStatus {
    /// The tracking id.
    pub tracking: String,
    /// When it was received (UTC).
    pub received: String,
    /// `received`, `triaged` or `answered`.
    pub state: String,
    /// The last day an answer is on time (Beijing time), if a rule sets one.
    pub due: Option<String>,
    /// The article that sets it.
    pub article: Option<String>,
    /// Past the due date without an answer.
    pub overdue: bool,
    /// The answer, once answered.
    pub answer: Option<String>,
    /// The outcome, once answered.
    pub outcome: Option<String>,
    /// When it was answered (UTC).
    pub answered_at: Option<String>,
}

/// A complaint's handling as staff see it (ids and dates; the text and
/// contact are served by `GET /api/v1/complaints`).
#[derive(Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HandlingView {
    /// The tracking id.
    pub tracking: String,
    /// When it was received (UTC).
    pub received: String,
    /// `received`, `triaged` or `answered`.
    pub state: String,
    /// Its category, once triaged.
    pub category: Option<String>,
    /// The transfer it concerns (as triaged, or as the complainant named it).
    pub transfer: Option<String>,
    /// The recipient it concerns, once triaged.
    pub recipient: Option<String>,
    /// The last day an answer is on time (Beijing time); before triage, from the rules for every category.
    pub due: Option<String>,
    /// The id of the rule that sets it.
    pub rule: Option<String>,
    /// The article that sets it.
    pub article: Option<String>,
    /// Whether that article is confirmed against a published text.
    pub confirmed: Option<bool>,
    /// Past the due date without an answer.
    pub overdue: bool,
    /// Who triaged it.
    pub triaged_by: Option<String>,
    /// The outcome, once answered.
    pub outcome: Option<String>,
    /// The answer, once answered.
    pub answer: Option<String>,
    /// When it was answered (UTC).
    pub answered_at: Option<String>,
    /// Who answered it.
    pub answered_by: Option<String>,
}

/// A triage.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageRequest {
    /// `rights_request`, `processing`, `security`, `recipient_conduct` or `other`.
    pub category: String,
    /// The transfer it concerns (an id of the data map).
    pub transfer: Option<String>,
    /// The recipient it concerns (an id of the data map).
    pub recipient: Option<String>,
}

/// An answer, closing the complaint.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The answer to the complainant (1 to 10,000 characters).
    #[schema(max_length = 10000)]
    pub answer: String,
    /// `upheld`, `partly_upheld`, `rejected`, `withdrawn` or `referred`.
    pub outcome: String,
}

fn article(rule: Option<&str>) -> (Option<String>, Option<bool>) {
    rule.and_then(|id| rules::data().rule.iter().find(|r| r.id == id))
        .map_or((None, None), |r| {
            (Some(r.article.clone()), Some(r.confirmed))
        })
}

/// A complaint's handling as served, read against today in Beijing.
pub fn handling_view(c: &Complaint, h: Option<&Handling>) -> HandlingView {
    let (due, rule) = match h {
        Some(h) => (h.due.clone(), h.rule.clone()),
        None => rules::provisional(&c.at)
            .and_then(|p| p.deadline)
            .map_or((None, None), |d| {
                (Some(d.due.to_string()), Some(d.rule.id.clone()))
            }),
    };
    let open = h.is_none_or(|h| h.outcome.is_none());
    let late = open
        && due
            .as_deref()
            .and_then(|d| d.parse().ok())
            .is_some_and(|d| overdue(d, today()));
    let (article, confirmed) = article(rule.as_deref());
    HandlingView {
        tracking: c.tracking.clone(),
        received: c.at.clone(),
        state: h.map_or("received", |h| h.state().as_str()).to_string(),
        category: h.map(|h| h.category.clone()),
        transfer: h.map_or(c.transfer.clone(), |h| h.transfer.clone()),
        recipient: h.and_then(|h| h.recipient.clone()),
        due,
        rule,
        article,
        confirmed,
        overdue: late,
        triaged_by: h.map(|h| h.triaged_by.clone()),
        outcome: h.and_then(|h| h.outcome.clone()),
        answer: h.and_then(|h| h.answer.clone()),
        answered_at: h.and_then(|h| h.answered_at.clone()),
        answered_by: h.and_then(|h| h.answered_by.clone()),
    }
}

/// A page of complaints with their handling, newest first, for `user` (who
/// may read complaints): open (not answered) or answered ones with `open`,
/// after the complaint `before`, at most `limit`.
pub async fn handling_page(
    state: &AppState,
    user: &Account,
    open: Option<bool>,
    before: Option<String>,
    limit: u64,
) -> Result<Vec<(Complaint, HandlingView)>, ApiError> {
    require(user, Action::ReadComplaints)?;
    let page = state
        .store(move |s, _| {
            s.complaints_page(&ComplaintQuery {
                open,
                before: before.as_deref(),
                limit,
            })
        })
        .await?;
    Ok(page
        .into_iter()
        .map(|(c, h)| {
            let v = handling_view(&c, h.as_ref());
            (c, v)
        })
        .collect())
}

/// Every complaint's handling, newest first, for `user` (who may read
/// complaints): the pages of [`handling_page`] one after another, for a
/// snapshot that counts them all.
pub async fn handling_views(
    state: &AppState,
    user: &Account,
) -> Result<Vec<(Complaint, HandlingView)>, ApiError> {
    let mut all: Vec<(Complaint, HandlingView)> = Vec::new();
    loop {
        let before = all.last().map(|(c, _)| c.tracking.clone());
        let page = handling_page(state, user, None, before, outbound_store::PAGE_MAX).await?;
        let last = (page.len() as u64) < outbound_store::PAGE_MAX;
        all.extend(page);
        if last {
            return Ok(all);
        }
    }
}

/// Whether a string has the form of a tracking id (`C-` and 16 hex digits).
pub fn well_formed(tracking: &str) -> bool {
    tracking.len() == 18
        && tracking.starts_with("C-")
        && tracking[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn not_found() -> ApiError {
    ApiError::not_found("no complaint with that tracking id")
}

/// The complainant's view of a complaint; `who` is the client, rate-limited
/// like the public channel's `POST`. Unknown and malformed ids: the same 404.
pub async fn public_status(
    state: &AppState,
    who: &str,
    tracking: &str,
) -> Result<PublicStatus, ApiError> {
    if !state.complaint_limiter().allow(&format!("status {who}")) {
        return Err(ApiError::too_many());
    }
    if !well_formed(tracking) {
        return Err(not_found());
    }
    let t = tracking.to_string();
    let Some((c, h)) = state.store(move |s, _| s.complaint(&t)).await? else {
        return Err(not_found());
    };
    let v = handling_view(&c, h.as_ref());
    Ok(PublicStatus {
        tracking: v.tracking,
        received: v.received,
        state: v.state,
        due: v.due,
        article: v.article,
        overdue: v.overdue,
        answer: v.answer,
        outcome: v.outcome,
        answered_at: v.answered_at,
    })
}

/// Triages a complaint for `user`; the deadline from rule data, the links
/// checked against the map. Every refusal stores nothing.
pub async fn triage(
    state: &AppState,
    user: &Account,
    tracking: &str,
    req: TriageRequest,
) -> Result<HandlingView, ApiError> {
    require(user, Action::HandleComplaints)?;
    let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let (transfer, recipient) = (clean(req.transfer), clean(req.recipient));
    for (f, v) in [
        ("category", Some(&req.category)),
        ("transfer", transfer.as_ref()),
        ("recipient", recipient.as_ref()),
    ] {
        if v.is_some_and(|v| v.chars().count() > 200) {
            return Err(ApiError::bad_request(format!("`{f}` is too long")));
        }
    }
    let t = tracking.to_string();
    let Some((c, _)) = state.store(move |s, _| s.complaint(&t)).await? else {
        return Err(not_found());
    };
    let applies = rules::triage(
        state.map(),
        &c.at,
        &req.category,
        transfer.as_deref(),
        recipient.as_deref(),
    )
    .map_err(ApiError::bad_request)?;
    let tr = Triage {
        category: req.category,
        transfer,
        recipient,
        due: applies.deadline.as_ref().map(|d| d.due.to_string()),
        rule: applies.deadline.as_ref().map(|d| d.rule.id.clone()),
    };
    let (by, t) = (user.name.clone(), tracking.to_string());
    let h = state
        .store(move |s, k| s.triage_complaint(k, &by, &t, &tr))
        .await?;
    Ok(handling_view(&c, Some(&h)))
}

/// Answers a triaged complaint for `user`, closing it.
pub async fn answer(
    state: &AppState,
    user: &Account,
    tracking: &str,
    req: AnswerRequest,
) -> Result<HandlingView, ApiError> {
    require(user, Action::HandleComplaints)?;
    if !OUTCOMES.contains(&req.outcome.as_str()) {
        return Err(ApiError::bad_request(format!(
            "`outcome` must be one of: {}",
            OUTCOMES.join(", ")
        )));
    }
    let (by, t) = (user.name.clone(), tracking.to_string());
    let (c, h) = state
        .store(move |s, k| {
            let h = s.answer_complaint(k, &by, &t, &req.answer, &req.outcome)?;
            let c = s.complaint(&t)?.map(|(c, _)| c);
            Ok((c, h))
        })
        .await?;
    let c = c.ok_or_else(not_found)?;
    Ok(handling_view(&c, Some(&h)))
}

/// A complaint's status for its complainant: state, due date, and the answer
/// once answered; never the text or the contact. No account needed;
/// rate-limited per client. Unknown and malformed ids answer the same 404.
#[utoipa::path(get, path = "/api/v1/complaints/{tracking}", tag = "complaints",
    params(("tracking" = String, Path, description = "The tracking id given when the complaint was made")),
    responses(
        (status = 200, body = PublicStatus),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn complaint_status(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    ApiPath(tracking): ApiPath<String>,
) -> Result<axum::Json<PublicStatus>, ApiError> {
    Ok(axum::Json(
        public_status(&state, &client(&parts), &tracking).await?,
    ))
}

/// Triages a complaint: category, link to a transfer and/or recipient; the
/// handling deadline from rule data. Admin and compliance.
#[utoipa::path(post, path = "/api/v1/complaints/{tracking}/triage", tag = "complaints",
    security(("bearer" = [])),
    params(("tracking" = String, Path, description = "Tracking id")),
    request_body = TriageRequest,
    responses(
        (status = 200, body = HandlingView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_triage(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(tracking): ApiPath<String>,
    ApiJson(req): ApiJson<TriageRequest>,
) -> Result<axum::Json<HandlingView>, ApiError> {
    Ok(axum::Json(triage(&state, &user, &tracking, req).await?))
}

/// Answers a triaged complaint with an outcome, closing it. Admin and compliance.
#[utoipa::path(post, path = "/api/v1/complaints/{tracking}/answer", tag = "complaints",
    security(("bearer" = [])),
    params(("tracking" = String, Path, description = "Tracking id")),
    request_body = AnswerRequest,
    responses(
        (status = 200, body = HandlingView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_answer(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(tracking): ApiPath<String>,
    ApiJson(req): ApiJson<AnswerRequest>,
) -> Result<axum::Json<HandlingView>, ApiError> {
    Ok(axum::Json(answer(&state, &user, &tracking, req).await?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tracking_ids_have_one_form() {
        assert!(super::well_formed("C-0123456789abcdef"));
        for bad in [
            "",
            "C-",
            "C-0123456789abcdeg",
            "c-0123456789abcdef",
            "C-0123456789abcdef0",
            "../etc",
        ] {
            assert!(!super::well_formed(bad), "{bad}");
        }
    }
}
