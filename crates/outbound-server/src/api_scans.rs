//! Scans through the API, for schedules an engineer keeps outside the
//! dashboard (a nightly check that a database still matches the map):
//! `GET /api/v1/scan-sources` lists the databases the operator named
//! (`serve --scan-sources`), `POST /api/v1/scans` starts a scan of one as a
//! background job, and `GET /api/v1/jobs/{id}` reads any of the account's
//! jobs. A database is named by its id only: no URL is taken from a
//! request or given in an answer.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{Action, require};
use crate::api::{ApiJson, ApiPath};
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::jobs::Job;
use crate::state::AppState;

/// This part's API routes and their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sources))
        .routes(routes!(post_scan, list_scans))
        .routes(routes!(post_map_scan))
        .routes(routes!(get_job))
        .routes(routes!(cancel_job))
}

/// A database the server may scan.
#[derive(Serialize, ToSchema)]
pub struct SourceView {
    /// Its id, as `POST /api/v1/scans` takes it.
    pub id: String,
}

/// A scan to start.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The id of one of the server's databases (`GET /api/v1/scan-sources`).
    pub source: String,
    /// What the tables hold: `dataset:ID` or `transfer:ID` of the map.
    pub target: String,
    /// Globs on `table` or `schema.table`; none: every table.
    #[serde(default)]
    pub tables: Vec<String>,
    /// Rows read a table at most (1 to 1,000,000; default 10,000); not
    /// with `full`.
    #[serde(default)]
    pub sample_rows: Option<u64>,
    /// How they are picked: `random` (default), a reproducible random
    /// sample of the whole table, `first`, the first rows the database
    /// returns (cheapest), or `full`, every row (as long as the tables
    /// are; `POST /api/v1/jobs/{id}/cancel` stops it).
    #[serde(default)]
    pub sample: Option<SampleMode>,
}

/// How a scan picks the rows of each table.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SampleMode {
    /// A reproducible random sample of the whole table.
    Random,
    /// The first rows the database returns.
    First,
    /// Every row.
    Full,
}

impl SampleMode {
    fn as_str(self) -> &'static str {
        match self {
            SampleMode::Random => "random",
            SampleMode::First => "first",
            SampleMode::Full => "full",
        }
    }
}

/// How many logged scans `GET /api/v1/scans` lists.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScanListing {
    /// At most this many, newest first (1 to 1,000; default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A background job and, once finished, its result.
#[derive(Serialize, ToSchema)]
pub struct JobView {
    /// Its id (random, not guessable).
    pub id: String,
    /// `audit_verify`, `scan` (an upload), `scan_db` or `scan_map`.
    pub kind: String,
    /// `running`, `done`, `failed` or `cancelled`.
    pub state: String,
    /// Whether `POST /api/v1/jobs/{id}/cancel` would stop it now: a
    /// database scan still running and not yet asked to stop.
    pub cancellable: bool,
    /// Units done: entries, bytes or rows (`kind` says which).
    pub done: u64,
    /// Units in all; 0 while unknown (a database's rows).
    pub total: u64,
    /// When done: a scan's result (docs/CONTRACTS.md, "Scans through the
    /// API"): names and counts, never a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// When failed: what went wrong, without personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl JobView {
    fn of(job: &Job) -> JobView {
        let (state, result, error) = job.settled();
        let (done, total) = job.counts();
        let state = serde_json::to_value(state)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        JobView {
            id: job.id.clone(),
            kind: job.kind.to_string(),
            cancellable: job.stoppable(),
            state,
            done,
            total,
            result,
            error,
        }
    }
}

/// The databases the server may scan, by id (never their URLs).
#[utoipa::path(get, path = "/api/v1/scan-sources", tag = "scans",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<SourceView>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn list_sources(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<axum::Json<Vec<SourceView>>, ApiError> {
    require(&user, Action::Scan)?;
    Ok(axum::Json(
        state
            .scan_sources()
            .iter()
            .map(|s| SourceView { id: s.id.clone() })
            .collect(),
    ))
}

/// Starts a scan of one of the server's databases against a dataset or
/// transfer: read-only, a random sample of up to 10,000 rows a table unless
/// asked otherwise, in the background (202; `GET /api/v1/jobs/{id}` follows
/// it). The job appends a `database_scanned` entry to the audit log before
/// it reads a row, and reads none if it cannot; its result gives the
/// entry's `audit_index`.
#[utoipa::path(post, path = "/api/v1/scans", tag = "scans",
    security(("bearer" = [])),
    request_body = ScanRequest,
    responses(
        (status = 202, body = JobView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(crate) async fn post_scan(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<ScanRequest>,
) -> Result<(StatusCode, axum::Json<JobView>), ApiError> {
    require(&user, Action::Scan)?;
    let ask = crate::scans::DbScanAsk {
        source: req.source,
        target: req.target,
        tables: req.tables,
        sample_rows: req.sample_rows,
        sample: req.sample.map(|m| m.as_str().to_string()),
    };
    let scan = ask
        .check(&state)
        .map_err(|r| ApiError::bad_request(r.message))?;
    let job = crate::scans::start_db_scan(&state, &user.name, scan).map_err(|_| busy())?;
    Ok((StatusCode::ACCEPTED, axum::Json(JobView::of(&job))))
}

/// The database scans started through this server, newest first, as the
/// audit log records them (each before its first row was read): who read
/// which databases and tables, how many rows, against what. Ids, patterns
/// and counts only: no URL, no value.
#[utoipa::path(get, path = "/api/v1/scans", tag = "scans",
    security(("bearer" = [])),
    params(ScanListing),
    responses(
        (status = 200, body = [crate::scans::LoggedScanView]), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub(crate) async fn list_scans(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    listing: Result<axum::extract::Query<ScanListing>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<crate::scans::LoggedScanView>>, ApiError> {
    require(&user, Action::Scan)?;
    let axum::extract::Query(listing) =
        listing.map_err(|_| ApiError::bad_request("`limit` is a whole number from 1 to 1,000"))?;
    let limit = listing.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            "`limit` is a whole number from 1 to 1,000",
        ));
    }
    Ok(axum::Json(crate::scans::logged(&state, limit).await?))
}

/// Checks every dataset that names its `table` against that table, in the
/// database of the scan source whose id is the dataset's system (202; the
/// job's result lists each dataset as `ok`, `drift`, `not_read`, `ambiguous`, `failed` or
/// `no_source`). 400 when no dataset names a table in such a database.
#[utoipa::path(post, path = "/api/v1/scans/map", tag = "scans",
    security(("bearer" = [])),
    responses(
        (status = 202, body = JobView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(crate) async fn post_map_scan(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<(StatusCode, axum::Json<JobView>), ApiError> {
    require(&user, Action::Scan)?;
    let Some(started) = crate::scans::start_map_scan(&state, &user.name) else {
        return Err(ApiError::bad_request(
            "no dataset of the map names a table in a database this server may scan",
        ));
    };
    let job = started.map_err(|_| busy())?;
    Ok((StatusCode::ACCEPTED, axum::Json(JobView::of(&job))))
}

/// 429: the account runs as many jobs as it may.
fn busy() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "this account already runs as many jobs as it may; wait for one to finish",
    )
}

/// One of the account's background jobs: its progress and, once finished,
/// its result or error. Another account's job answers 404, like one that
/// does not exist.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "scans",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, body = JobView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_job(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<JobView>, ApiError> {
    match state.jobs().get(&id, &user.name) {
        Some(job) => Ok(axum::Json(JobView::of(&job))),
        None => Err(ApiError::not_found("no such job")),
    }
}

/// Asks one of the account's database scans (`scan_db`, `scan_map`) to
/// stop (202): its readers stop at their next chunk of rows (a query the
/// database is still working on first finishes), and the job then ends
/// `cancelled`, with no partial result. Asking twice is harmless. 409 for
/// a job that has finished or does not stop (an upload's scan, an audit
/// verification); another account's job answers 404.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "scans",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 202, body = JobView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(crate) async fn cancel_job(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, axum::Json<JobView>), ApiError> {
    let Some(job) = state.jobs().get(&id, &user.name) else {
        return Err(ApiError::not_found("no such job"));
    };
    if !job.cancel() {
        let why = if job.cancellable() {
            "the job has finished"
        } else {
            "only database scans stop when asked"
        };
        return Err(ApiError::new(StatusCode::CONFLICT, "conflict", why));
    }
    Ok((StatusCode::ACCEPTED, axum::Json(JobView::of(&job))))
}
