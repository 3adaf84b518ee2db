//! Reviews of overseas recipients, their findings and risk scores (issue 14):
//! `GET|POST /api/v1/recipients/{id}/reviews`, `POST /api/v1/findings/{id}`
//! (close a finding as fixed or accepted) and `GET
//! /api/v1/recipients/{id}/risk` (the score with its breakdown, never a bare
//! number; method in docs/RISK.md).
//!
//! A recipient account reads its own reviews and score only; another
//! recipient's id is answered 404, like an id that does not exist
//! (`api_recipients::visible_checklist`). Admin and compliance record
//! reviews and close findings.
//!
//! [`risk_inputs`] and [`review_standing`] gather the inputs from the map,
//! the ledger and the store in one place, for the API, the pages and the CLI.

use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use outbound_model::DataMap;
use outbound_rules::recipient::{Checklist, LastAttestation, Standing, status};
use outbound_rules::risk::{
    self, AttestationCounts, FindingCounts, ReviewStatus, RiskInputs, RiskScore,
};
use outbound_store::recipients::Statement;
use outbound_store::reviews::{
    Finding, FindingState, NewFinding, NewReview, Review, ReviewKind, Severity,
};
use outbound_store::{Account, Store, StoreError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{Action, require};
use crate::api::{ApiJson, ApiPath};
use crate::api_recipients::visible_checklist;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// This workflow's API routes and their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_reviews, post_review))
        .routes(routes!(post_finding))
        .routes(routes!(get_risk))
}

/// The UTC day of a stored RFC 3339 time.
fn day_of(at: &str) -> Option<Date> {
    at.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// Where `recipient`'s review stands on `as_of`, from its reviews (any order).
pub fn review_standing(
    map: &DataMap,
    recipient: &str,
    reviews: &[Review],
    as_of: Date,
) -> ReviewStatus {
    let last = reviews
        .iter()
        .filter(|r| r.recipient == recipient)
        .filter_map(|r| r.date.parse::<Date>().ok())
        .max();
    risk::review_status(last, risk::first_effective(map, recipient), as_of)
}

/// Everything `recipient`'s score is computed from: the map (country,
/// sensitivity, onward recipients), the destinations file, the ledger
/// (distinct individuals per transfer, this year and last), the findings
/// and, given its checklist, the obligations overdue or not met on `as_of`.
/// `None` for a recipient the map does not have.
pub fn risk_inputs(
    store: &Store,
    map: &DataMap,
    checklist: Option<&Checklist>,
    recipient: &str,
    as_of: Date,
) -> Result<Option<RiskInputs>, StoreError> {
    let Some(mut i) = RiskInputs::from_map(map, recipient, as_of.year()) else {
        return Ok(None);
    };
    let dest = outbound_docs::destinations::Destinations::builtin();
    i.destination.access_risk = dest.get(&i.destination.country).map(|d| d.access_risk);
    i.destination.from = format!(
        "outbound-docs data/destinations.toml (as of {}; {})",
        dest.as_of,
        if dest.status.starts_with("unverified") {
            "unverified"
        } else {
            "verified"
        }
    );
    let year = i64::from(as_of.year());
    for t in &i.volume.transfers {
        i.volume.this_year += store.deliveries_count(t, year)?;
        i.volume.last_year += store.deliveries_count(t, year - 1)?;
    }
    let mut f = FindingCounts::default();
    for x in store.findings(Some(recipient))? {
        let slot = match (x.state, x.severity) {
            (FindingState::Open, Severity::High) => &mut f.open_high,
            (FindingState::Open, Severity::Medium) => &mut f.open_medium,
            (FindingState::Open, Severity::Low) => &mut f.open_low,
            (FindingState::Accepted, Severity::High) => &mut f.accepted_high,
            (FindingState::Accepted, Severity::Medium) => &mut f.accepted_medium,
            (FindingState::Accepted, Severity::Low) => &mut f.accepted_low,
            (FindingState::Fixed, _) => &mut f.fixed,
        };
        *slot += 1;
    }
    i.findings = f;
    if let Some(c) = checklist {
        let last: Vec<LastAttestation> = store
            .latest_attestations(Some(recipient))?
            .iter()
            .filter_map(|a| {
                Some(LastAttestation {
                    obligation: a.obligation.clone(),
                    on: day_of(&a.attested_at)?,
                    not_met: a.statement == Statement::NotMet,
                })
            })
            .collect();
        let st = status(c, &last, as_of);
        let count = |s: Standing| st.iter().filter(|o| o.standing == s).count() as u64;
        i.attestations = AttestationCounts {
            overdue: count(Standing::Overdue),
            not_met: count(Standing::NotMet),
        };
    }
    Ok(Some(i))
}

/// A finding.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FindingView {
    /// Its number.
    pub id: i64,
    /// The review it came from.
    pub review: i64,
    /// The recipient.
    pub recipient: String,
    /// `low`, `medium` or `high`.
    pub severity: String,
    /// What was found.
    pub text: String,
    /// `open`, `fixed` or `accepted`.
    pub state: String,
    /// Who fixed or accepted it.
    pub closed_by: Option<String>,
    /// When (UTC).
    pub closed_at: Option<String>,
}

impl From<Finding> for FindingView {
    fn from(f: Finding) -> Self {
        FindingView {
            id: f.id,
            review: f.review,
            recipient: f.recipient,
            severity: f.severity.as_str().into(),
            text: f.text,
            state: f.state.as_str().into(),
            closed_by: f.closed_by,
            closed_at: f.closed_at,
        }
    }
}

/// A review with its findings.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    /// Its number.
    pub id: i64,
    /// The recipient.
    pub recipient: String,
    /// The day it took place (YYYY-MM-DD).
    pub date: String,
    /// `desk`, `on_site` or `audit_report`.
    pub kind: String,
    /// Who recorded it.
    pub by: String,
    /// When it was recorded (UTC).
    pub recorded_at: String,
    /// What was reviewed and concluded.
    pub summary: String,
    /// Its findings.
    pub findings: Vec<FindingView>,
}

impl From<Review> for ReviewView {
    fn from(r: Review) -> Self {
        ReviewView {
            id: r.id,
            recipient: r.recipient,
            date: r.date,
            kind: r.kind.as_str().into(),
            by: r.by,
            recorded_at: r.recorded_at,
            summary: r.summary,
            findings: r.findings.into_iter().map(FindingView::from).collect(),
        }
    }
}

/// `GET /api/v1/recipients/{id}/reviews`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ReviewList {
    /// The recipient.
    pub recipient: String,
    /// The day judged (YYYY-MM-DD).
    pub as_of: String,
    /// Months between reviews (company policy, data/recipient-risk.toml).
    pub schedule_months: i32,
    /// The day of the latest review, if any.
    pub last: Option<String>,
    /// When the next review is due.
    pub due: Option<String>,
    /// `overdue`, `never_reviewed`, `due_soon` or `current`.
    pub standing: String,
    /// Newest first.
    pub reviews: Vec<ReviewView>,
}

/// A finding to record.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingRequest {
    /// `low`, `medium` or `high`.
    #[schema(value_type = String, example = "high")]
    pub severity: Severity,
    /// What was found (at most 300 characters; no personal data).
    #[schema(max_length = 300)]
    pub text: String,
}

/// A review to record.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The day it took place (YYYY-MM-DD, not after today); default the day judged.
    pub date: Option<String>,
    /// `desk`, `on_site` or `audit_report`.
    #[schema(value_type = String, example = "desk")]
    pub kind: ReviewKind,
    /// What was reviewed and concluded (at most 2,000 characters; no personal data).
    #[schema(max_length = 2000)]
    pub summary: String,
    /// Its findings (at most 50).
    #[serde(default)]
    pub findings: Vec<FindingRequest>,
}

/// A finding's new state.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingChange {
    /// `fixed` or `accepted`.
    #[schema(value_type = String, example = "fixed")]
    pub state: FindingState,
}

/// One line of a score's breakdown.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RiskLineView {
    /// `destination`, `sensitivity`, `volume`, `findings`, `attestations`, `onward`.
    pub criterion: String,
    /// Its name in English.
    pub name_en: String,
    /// Its name in Chinese.
    pub name_zh: String,
    /// The input's value as scored.
    pub value: String,
    /// The points it earns.
    pub points: i64,
    /// The most points the criterion gives.
    pub max: i64,
    /// Where the value came from.
    pub from: String,
    /// The criterion's source.
    pub source: String,
}

/// `GET /api/v1/recipients/{id}/risk`: the score with every input.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RiskView {
    /// The recipient.
    pub recipient: String,
    /// The day judged.
    pub as_of: String,
    /// The method's version (docs/RISK.md).
    pub method_version: u32,
    /// The sum of the points.
    pub total: i64,
    /// The most points possible.
    pub max: i64,
    /// `low`, `medium`, `high` or `very_high`.
    pub band: String,
    /// The band in English.
    pub band_en: String,
    /// The band in Chinese.
    pub band_zh: String,
    /// What the band calls for.
    pub band_meaning: String,
    /// One line per criterion.
    pub breakdown: Vec<RiskLineView>,
}

impl RiskView {
    fn of(s: RiskScore, as_of: Date) -> RiskView {
        RiskView {
            recipient: s.recipient,
            as_of: as_of.to_string(),
            method_version: s.method_version,
            total: s.total,
            max: s.max,
            band: s.band,
            band_en: s.band_en,
            band_zh: s.band_zh,
            band_meaning: s.band_meaning,
            breakdown: s
                .lines
                .into_iter()
                .map(|l| RiskLineView {
                    criterion: l.criterion,
                    name_en: l.en,
                    name_zh: l.zh,
                    value: l.value,
                    points: l.points,
                    max: l.max,
                    from: l.from,
                    source: l.source,
                })
                .collect(),
        }
    }
}

/// The reviews of `id` with where its next review stands, for `user`.
pub async fn reviews(state: &AppState, user: &Account, id: &str) -> Result<ReviewList, ApiError> {
    require(user, Action::ReadReviews)?;
    visible_checklist(state, user, id)?;
    let rid = id.to_string();
    let all = state.store(move |s, _| s.reviews(Some(&rid))).await?;
    let as_of = state.as_of();
    let st = review_standing(state.map(), id, &all, as_of);
    Ok(ReviewList {
        recipient: id.to_string(),
        as_of: as_of.to_string(),
        schedule_months: risk::data().review_schedule.months,
        last: st.last.map(|d| d.to_string()),
        due: st.due.map(|d| d.to_string()),
        standing: st.standing.as_str().into(),
        reviews: all.into_iter().rev().map(ReviewView::from).collect(),
    })
}

/// Records `user`'s review of `id`; every refusal stores nothing.
pub async fn record(
    state: &AppState,
    user: &Account,
    id: &str,
    req: ReviewRequest,
) -> Result<ReviewView, ApiError> {
    require(user, Action::Review)?;
    visible_checklist(state, user, id)?;
    let new = NewReview {
        recipient: id.to_string(),
        // The day judged, but never after today (UTC), where the store draws the line.
        date: req.date.unwrap_or_else(|| {
            let utc = jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date();
            state.as_of().min(utc).to_string()
        }),
        kind: req.kind,
        summary: req.summary,
        findings: req
            .findings
            .into_iter()
            .map(|f| NewFinding {
                severity: f.severity,
                text: f.text,
            })
            .collect(),
    };
    let by = user.name.clone();
    let r = state
        .store(move |s, k| s.record_review(k, &by, &new))
        .await?;
    Ok(r.into())
}

/// Closes finding `id` as fixed or accepted.
pub async fn close_finding(
    state: &AppState,
    user: &Account,
    id: i64,
    to: FindingState,
) -> Result<FindingView, ApiError> {
    require(user, Action::Review)?;
    let by = user.name.clone();
    let f = state
        .store(move |s, k| s.set_finding_state(k, &by, id, to))
        .await?;
    Ok(f.into())
}

/// The risk score of `id` with its breakdown, for `user`.
pub async fn risk_of(state: &AppState, user: &Account, id: &str) -> Result<RiskView, ApiError> {
    require(user, Action::ReadReviews)?;
    let c = visible_checklist(state, user, id)?;
    let as_of = state.as_of();
    let st = state.clone();
    let rid = id.to_string();
    let inputs = state
        .store(move |s, _| risk_inputs(s, st.map(), Some(&c), &rid, as_of))
        .await?
        .ok_or_else(|| ApiError::not_found("no such recipient"))?;
    Ok(RiskView::of(risk::score(&inputs), as_of))
}

/// A recipient's reviews and findings, newest first, with when the next review is due (a recipient: its own only).
#[utoipa::path(get, path = "/api/v1/recipients/{id}/reviews", tag = "recipients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Recipient id")),
    responses(
        (status = 200, body = ReviewList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_reviews(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<ReviewList>, ApiError> {
    Ok(axum::Json(reviews(&state, &user, &id).await?))
}

/// Records a review of a recipient and its findings (all open); summaries and texts are never logged.
#[utoipa::path(post, path = "/api/v1/recipients/{id}/reviews", tag = "recipients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Recipient id")),
    request_body = ReviewRequest,
    responses(
        (status = 201, body = ReviewView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn post_review(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<(StatusCode, axum::Json<ReviewView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(record(&state, &user, &id, req).await?),
    ))
}

/// Closes an open finding as `fixed` or `accepted` (once; a closed finding is not changed: 409).
#[utoipa::path(post, path = "/api/v1/findings/{id}", tag = "recipients",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Finding id")),
    request_body = FindingChange,
    responses(
        (status = 200, body = FindingView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn post_finding(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<FindingChange>,
) -> Result<axum::Json<FindingView>, ApiError> {
    Ok(axum::Json(
        close_finding(&state, &user, id, req.state).await?,
    ))
}

/// A recipient's risk score with every input, its value, points and source (docs/RISK.md; a recipient: its own only).
#[utoipa::path(get, path = "/api/v1/recipients/{id}/risk", tag = "recipients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Recipient id")),
    responses(
        (status = 200, body = RiskView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_risk(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<RiskView>, ApiError> {
    Ok(axum::Json(risk_of(&state, &user, &id).await?))
}
