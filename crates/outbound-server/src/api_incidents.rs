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
use axum::response::IntoResponse;
use jiff::Timestamp;
use outbound_docs::incident::{IncidentRecord, incident_draft};
use outbound_rules::incident::{Audience, Grade, IncidentFacts, clock_views, involved};
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
    /// The article, cited the Chinese way.
    pub citation_zh: String,
    /// Whether the article was checked against a published text.
    pub confirmed: bool,
    /// When it does not apply although listed.
    pub condition: Option<String>,
    /// The same, in Chinese.
    pub condition_zh: Option<String>,
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
            citation_zh: c.clock.citation_zh,
            confirmed: c.clock.confirmed,
            condition: c.clock.condition,
            condition_zh: c.clock.condition_zh,
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

/// A notice sent, to record against one of the incident's clocks.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeRequest {
    /// The clock's id (one of the incident's `clocks`).
    pub clock: String,
    /// When the notice was sent (RFC 3339); not in the future, not before the
    /// discovery. Default: now.
    pub sent_at: Option<String>,
}

/// Closing an incident.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// The measures taken (at most 2,000 characters, no personal data; kept
    /// in the register, never logged or served).
    pub measures: Option<String>,
}

/// Suspending an incident's routes.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRoutesRequest {
    /// Why (1 to 1,000 characters on one line); each route's reason becomes
    /// `incident <id>: <reason>`.
    pub reason: String,
}

/// What suspending an incident's routes did.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SuspendedRoutes {
    /// The incident.
    pub incident: String,
    /// The routes suspended now, each with its audit entry.
    pub suspended: Vec<SuspendedRoute>,
    /// The routes the incident touches that were already suspended.
    pub already_suspended: Vec<String>,
}

/// One route suspended.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SuspendedRoute {
    /// The transfer.
    pub transfer: String,
    /// Its audit entry's index.
    pub audit_entry: u64,
}

/// The incident `id`, or 404.
async fn incident_or_404(state: &AppState, id: &str) -> Result<Incident, ApiError> {
    let id = id.to_string();
    state
        .store(move |s, _| s.incident(&id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such incident"))
}

fn open_or_409(i: &Incident) -> Result<(), ApiError> {
    if i.state == "closed" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("incident `{}` is closed", i.id),
        ));
    }
    Ok(())
}

/// Records that the notice of `clock` was sent at `sent_at` (default now),
/// for `user`; every refusal stores nothing.
pub async fn record_notice(
    state: &AppState,
    user: &Account,
    id: &str,
    clock: &str,
    sent_at: Option<&str>,
) -> Result<IncidentView, ApiError> {
    require(user, Action::HandleIncident)?;
    let i = incident_or_404(state, id).await?;
    open_or_409(&i)?;
    let now = Timestamp::now();
    let view = incident_view(i.clone(), now);
    if !view.clocks.iter().any(|c| c.id == clock) {
        let ids: Vec<&str> = view.clocks.iter().map(|c| c.id.as_str()).collect();
        let shown: String = clock.chars().take(64).collect();
        return Err(ApiError::bad_request(format!(
            "incident `{}` has no clock `{shown}` (its clocks: {})",
            i.id,
            ids.join(", ")
        )));
    }
    let at: Timestamp = match sent_at {
        Some(s) => s.parse().map_err(|_| {
            ApiError::bad_request("`sent_at` is not an RFC 3339 time (e.g. 2026-11-23T09:00:00Z)")
        })?,
        None => now,
    };
    if at > Timestamp::now() {
        return Err(ApiError::bad_request("`sent_at` is in the future"));
    }
    let at = at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (by, id, clock) = (user.name.clone(), i.id.clone(), clock.to_string());
    let i = state
        .store(move |s, k| s.record_incident_notice(k, &by, &id, &clock, &at))
        .await?;
    Ok(incident_view(i, Timestamp::now()))
}

/// Closes an incident for `user`.
pub async fn close(
    state: &AppState,
    user: &Account,
    id: &str,
    measures: Option<String>,
) -> Result<IncidentView, ApiError> {
    require(user, Action::HandleIncident)?;
    let i = incident_or_404(state, id).await?;
    open_or_409(&i)?;
    let measures = measures.filter(|m| !m.trim().is_empty());
    let (by, id) = (user.name.clone(), i.id);
    let i = state
        .store(move |s, k| s.close_incident(k, &by, &id, measures.as_deref()))
        .await?;
    Ok(incident_view(i, Timestamp::now()))
}

/// Suspends every route the incident touches that is not suspended yet, each
/// through the route switch (one audit entry each), for `user`.
pub async fn suspend_routes(
    state: &AppState,
    user: &Account,
    id: &str,
    reason: &str,
) -> Result<SuspendedRoutes, ApiError> {
    require(user, Action::HandleIncident)?;
    require(user, Action::SetRoute)?;
    let reason = crate::api::valid_reason(reason)?;
    let i = incident_or_404(state, id).await?;
    open_or_409(&i)?;
    let by = user.name.clone();
    let out = state
        .store(move |s, k| {
            let suspended: std::collections::BTreeSet<String> = s
                .routes()?
                .into_iter()
                .filter(|r| r.suspended)
                .map(|r| r.transfer)
                .collect();
            let mut out = SuspendedRoutes {
                incident: i.id.clone(),
                suspended: Vec::new(),
                already_suspended: Vec::new(),
            };
            for t in &i.transfers {
                if suspended.contains(t) {
                    out.already_suspended.push(t.clone());
                    continue;
                }
                let why = format!("incident {}: {reason}", i.id);
                let idx = s.set_route(k, &by, t, true, &why)?;
                out.suspended.push(SuspendedRoute {
                    transfer: t.clone(),
                    audit_entry: idx,
                });
            }
            Ok(out)
        })
        .await?;
    Ok(out)
}

/// The draft of the notice of incident `id` to `to` (`authority` or
/// `individuals`) in `lang` (default: Chinese when China is involved), for
/// `user`.
pub async fn draft(
    state: &AppState,
    user: &Account,
    id: &str,
    to: &str,
    lang: Option<&str>,
) -> Result<outbound_docs::incident::Draft, ApiError> {
    require(user, Action::HandleIncident)?;
    let audience: Audience = to
        .parse()
        .map_err(|_| ApiError::not_found("no such draft: `authority` or `individuals`"))?;
    let i = incident_or_404(state, id).await?;
    let lang = match lang {
        Some(l) => outbound_docs::Lang::parse(l)
            .ok_or_else(|| ApiError::bad_request("`lang` is `zh` or `en`"))?,
        None => outbound_docs::incident::default_lang(&i.regimes),
    };
    let record = draft_record(&i);
    incident_draft(
        &outbound_docs::Templates::builtin(),
        &record,
        Some(state.map()),
        audience,
        lang,
        Timestamp::now(),
    )
    .map_err(|e| {
        eprintln!("outbound serve: incident draft: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "draft",
            "the draft could not be written; see the server's log",
        )
    })
}

/// Records that one clock's notice was sent.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/notices", tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Incident id")),
    request_body = NoticeRequest,
    responses(
        (status = 201, body = IncidentView),
        (status = 400, description = "unknown clock, bad or future time", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the incident is closed", body = ErrorBody)))]
pub(crate) async fn post_notice(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<NoticeRequest>,
) -> Result<(StatusCode, axum::Json<IncidentView>), ApiError> {
    let v = record_notice(&state, &user, &id, &req.clock, req.sent_at.as_deref()).await?;
    Ok((StatusCode::CREATED, axum::Json(v)))
}

/// Closes an incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/close", tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Incident id")),
    request_body = CloseRequest,
    responses(
        (status = 200, body = IncidentView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "already closed", body = ErrorBody)))]
pub(crate) async fn post_close(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CloseRequest>,
) -> Result<axum::Json<IncidentView>, ApiError> {
    Ok(axum::Json(close(&state, &user, &id, req.measures).await?))
}

/// Suspends every route the incident touches that is not suspended yet.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/suspend-routes", tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Incident id")),
    request_body = SuspendRoutesRequest,
    responses(
        (status = 200, body = SuspendedRoutes), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the incident is closed", body = ErrorBody)))]
pub(crate) async fn post_suspend_routes(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SuspendRoutesRequest>,
) -> Result<axum::Json<SuspendedRoutes>, ApiError> {
    Ok(axum::Json(
        suspend_routes(&state, &user, &id, &req.reason).await?,
    ))
}

/// The draft's language and format.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct DraftQuery {
    /// `zh` or `en`; default Chinese when China is involved, English otherwise.
    pub lang: Option<String>,
    /// `md` (text/markdown, the default) or `html` (a standalone page).
    pub format: Option<String>,
}

/// The draft of the notice to the authorities or to the individuals.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/drafts/{to}", tag = "incidents",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Incident id"),
        ("to" = String, Path, description = "`authority` or `individuals`"),
        DraftQuery),
    responses(
        (status = 200, description = "The draft", content_type = "text/markdown", body = String),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn get_draft(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, to)): ApiPath<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<DraftQuery>,
) -> Result<axum::response::Response, ApiError> {
    let html = match q.format.as_deref() {
        None | Some("md") => false,
        Some("html") => true,
        Some(_) => return Err(ApiError::bad_request("`format` is `md` or `html`")),
    };
    let d = draft(&state, &user, &id, &to, q.lang.as_deref()).await?;
    let (ct, body) = if html {
        ("text/html; charset=utf-8", d.html())
    } else {
        ("text/markdown; charset=utf-8", d.markdown)
    };
    Ok(([(axum::http::header::CONTENT_TYPE, ct)], body).into_response())
}

/// What a notice draft is filled from: the register's incident, as the
/// documents crate reads it (the API and the CLI draft from the same).
pub fn draft_record(i: &outbound_store::incidents::Incident) -> IncidentRecord<'_> {
    IncidentRecord {
        id: &i.id,
        title: &i.title,
        discovered_at: &i.discovered_at,
        severity: &i.severity,
        ciio: i.ciio,
        transfers: &i.transfers,
        regimes: &i.regimes,
        individuals_affected: i.individuals_affected,
        measures: i.measures.as_deref(),
        notices: &i.notices,
    }
}
