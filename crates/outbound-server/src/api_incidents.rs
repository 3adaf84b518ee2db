//! The incident register under `/api/v1/incidents`: each incident with its
//! notification clocks (from `outbound_rules::incident`), running, met or
//! missed; opening one starts them and may suspend every route it touches.
//!
//! The register holds no personal data (a short title, ids, counts, times),
//! so a regulator reads it like an auditor; only admin and compliance open
//! incidents. The note on measures is not served here.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use outbound_rules::incident::{Grade, IncidentFacts, clock_views, involved};
use outbound_store::Account;
use outbound_store::incidents::{Incident, NewIncident, check_title};

use crate::access::{Action, require};
use crate::api::{ApiJson, ApiPath};
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// One notification clock and where it stands.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ClockApiView {
    /// The clock's id (`eu-gdpr33-authority`).
    pub id: String,
    /// Regime (`CN`, `EU`, `RU`, `US`).
    pub regime: String,
    /// Who is to be told.
    pub to: String,
    /// Who is to be told, in Chinese.
    pub to_zh: String,
    /// When it falls due (UTC), or `immediately` / `without undue delay`.
    pub due: String,
    /// The article.
    pub citation: String,
    /// Whether the article was checked against a published text.
    pub confirmed: bool,
    /// When it does not apply although listed.
    pub condition: Option<String>,
    /// `running`, `met` or `missed`.
    pub state: String,
    /// When the notice was sent, if it was.
    pub met_at: Option<String>,
}

/// An incident with its clocks.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct IncidentView {
    /// Its id (`inc-0001`).
    pub id: String,
    /// When it was opened (UTC).
    pub opened_at: String,
    /// When it was discovered (UTC): the clocks start here.
    pub discovered_at: String,
    /// A short description.
    pub title: String,
    /// CAC grade.
    pub severity: String,
    /// Whether critical information infrastructure is involved.
    pub ciio: bool,
    /// The transfers it touches.
    pub transfers: Vec<String>,
    /// The regimes they involve.
    pub regimes: Vec<String>,
    /// How many individuals are affected, if known.
    pub individuals_affected: Option<i64>,
    /// `open` or `closed`.
    pub state: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// Its clocks.
    pub clocks: Vec<ClockApiView>,
}

/// `GET /api/v1/incidents`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct IncidentList {
    /// Newest first.
    pub incidents: Vec<IncidentView>,
}

/// An incident to open.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncidentRequest {
    /// A short description, at most 200 characters, without personal data.
    #[schema(max_length = 200)]
    pub title: String,
    /// `general`, `relatively_major`, `major` or `particularly_major`.
    pub severity: String,
    /// When it was discovered (RFC 3339); not in the future.
    pub discovered_at: String,
    /// The transfers it touches (ids of the data map; at least one).
    pub transfers: Vec<String>,
    /// How many individuals are affected, if known.
    pub individuals_affected: Option<u32>,
    /// Critical information infrastructure is involved (also set when an exporter of the transfers is a CIIO).
    #[serde(default)]
    pub ciio: bool,
    /// Suspend every route the incident touches.
    #[serde(default)]
    pub suspend_routes: bool,
}

/// An incident as served, with its clocks at `now`.
pub fn incident_view(i: Incident, now: Timestamp) -> IncidentView {
    let clocks = IncidentFacts::parse(&i.discovered_at, &i.severity, &i.regimes, i.ciio)
        .map(|f| {
            let notices: BTreeMap<String, Timestamp> = i
                .notices
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.parse().ok()?)))
                .collect();
            clock_views(&f, &notices, now)
        })
        .unwrap_or_default()
        .into_iter()
        .map(|c| ClockApiView {
            id: c.clock.id,
            regime: c.clock.regime,
            to: c.clock.to,
            to_zh: c.clock.to_zh,
            due: c.clock.due.to_string(),
            citation: c.clock.citation,
            confirmed: c.clock.confirmed,
            condition: c.clock.condition,
            state: c.state.as_str().to_string(),
            met_at: c.met_at.map(|t| t.to_string()),
        })
        .collect();
    IncidentView {
        id: i.id,
        opened_at: i.opened_at,
        discovered_at: i.discovered_at,
        title: i.title,
        severity: i.severity,
        ciio: i.ciio,
        transfers: i.transfers,
        regimes: i.regimes,
        individuals_affected: i.individuals_affected,
        state: i.state,
        closed_at: i.closed_at,
        clocks,
    }
}

/// Every incident with its clocks, for `user`.
pub async fn incidents(state: &AppState, user: &Account) -> Result<IncidentList, ApiError> {
    require(user, Action::ReadIncidents)?;
    let all = state.store(|s, _| s.incidents()).await?;
    let now = Timestamp::now();
    Ok(IncidentList {
        incidents: all.into_iter().map(|i| incident_view(i, now)).collect(),
    })
}

/// Opens an incident for `user`; every refusal stores nothing.
pub async fn open(
    state: &AppState,
    user: &Account,
    req: NewIncidentRequest,
) -> Result<IncidentView, ApiError> {
    require(user, Action::OpenIncident)?;
    if req.suspend_routes {
        require(user, Action::SetRoute)?;
    }
    check_title(&req.title).map_err(ApiError::bad_request)?;
    req.severity
        .parse::<Grade>()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let at: Timestamp = req.discovered_at.parse().map_err(|_| {
        ApiError::bad_request("`discovered_at` is not an RFC 3339 time (e.g. 2026-11-23T08:00:00Z)")
    })?;
    if at > Timestamp::now() {
        return Err(ApiError::bad_request("`discovered_at` is in the future"));
    }
    if req.transfers.is_empty() {
        return Err(ApiError::bad_request(
            "`transfers` names at least one transfer",
        ));
    }
    if req.transfers.len() > 1000 || req.transfers.iter().any(|t| t.len() > 200) {
        return Err(ApiError::bad_request("`transfers` is too long"));
    }
    let (regimes, map_ciio) =
        involved(state.map(), &req.transfers).map_err(ApiError::bad_request)?;
    let regimes: Vec<String> = regimes.into_iter().collect();
    let by = user.name.clone();
    let suspend = req.suspend_routes;
    let i = state
        .store(move |s, k| {
            let i = s.open_incident(
                k,
                &by,
                &NewIncident {
                    discovered_at: &req.discovered_at,
                    title: &req.title,
                    severity: &req.severity,
                    ciio: req.ciio || map_ciio,
                    transfers: &req.transfers,
                    regimes: &regimes,
                    individuals_affected: req.individuals_affected.map(i64::from),
                },
            )?;
            if suspend {
                for t in &i.transfers {
                    s.set_route(k, &by, t, true, &format!("incident {}", i.id))?;
                }
            }
            Ok(i)
        })
        .await?;
    Ok(incident_view(i, Timestamp::now()))
}

/// Every incident with its clocks, running, met or missed.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents",
    security(("bearer" = [])),
    responses(
        (status = 200, body = IncidentList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_incidents(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<axum::Json<IncidentList>, ApiError> {
    Ok(axum::Json(incidents(&state, &user).await?))
}

/// Opens an incident: its clocks start at the discovery time; with
/// `suspend_routes`, every route it touches is suspended.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents",
    security(("bearer" = [])),
    request_body = NewIncidentRequest,
    responses(
        (status = 201, body = IncidentView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn post_incident(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<NewIncidentRequest>,
) -> Result<(StatusCode, axum::Json<IncidentView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(open(&state, &user, req).await?),
    ))
}

/// One incident with its clocks.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Incident id")),
    responses(
        (status = 200, body = IncidentView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn get_incident(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<IncidentView>, ApiError> {
    require(&user, Action::ReadIncidents)?;
    let i = state
        .store(move |s, _| s.incident(&id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such incident"))?;
    Ok(axum::Json(incident_view(i, Timestamp::now())))
}
