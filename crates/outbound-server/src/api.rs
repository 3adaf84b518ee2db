//! The API under `/api/v1/`: JSON in and out, `Authorization: Bearer TOKEN`,
//! described by the OpenAPI document the handlers' annotations generate (so
//! it cannot drift from them). Shapes follow DESIGN.md, "The server (contract)".

use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use outbound_rules::assess::TransferAssessment;
use outbound_store::{Account, Role};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{Action, require};
use crate::auth::{ApiUser, client, random_hex};
use crate::error::{ApiError, ErrorBody};
use crate::state::{AppState, Snapshot};

/// The document's frame: title, version, bearer security.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Outbound",
        description = "Cross-border personal-data transfers: determinations with citations, the ledger's counts, route switches, the audit log, and the public complaint channel.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes and their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_transfers))
        .routes(routes!(get_transfer))
        .routes(routes!(suspend_transfer))
        .routes(routes!(resume_transfer))
        .routes(routes!(status))
        .routes(routes!(list_batches))
        .routes(routes!(checkpoint))
        .routes(routes!(submit_complaint, list_complaints))
        .routes(routes!(crate::api_recipients::get_obligations))
        .routes(routes!(crate::api_recipients::post_attestation))
        .routes(routes!(
            crate::api_incidents::list_incidents,
            crate::api_incidents::post_incident
        ))
        .routes(routes!(crate::api_incidents::get_incident))
        .routes(routes!(crate::api_incidents::post_notice))
        .routes(routes!(crate::api_incidents::post_close))
        .routes(routes!(crate::api_incidents::post_suspend_routes))
        .routes(routes!(crate::api_incidents::get_draft))
        .merge(crate::api_rights::router())
        .merge(crate::api_reviews::router())
        .merge(crate::api_complaints::router())
        .merge(crate::api_association::router())
        .merge(crate::api_scans::router())
}

/// A JSON body whose rejection is the contract's error shape (400), not axum's text.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(ApiError::bad_request(json_refusal(&e))),
        }
    }
}

/// A path parameter whose rejection is the contract's error shape (400),
/// never axum's text, which may quote the path.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(_) => Err(ApiError::bad_request(
                "the path is not valid (percent-encoded UTF-8)",
            )),
        }
    }
}

/// Why a body was refused, without quoting it: serde's messages quote the
/// values they could not read (`invalid type: string "…"`), and a complaint's
/// values are personal data.
fn json_refusal(e: &axum::extract::rejection::JsonRejection) -> String {
    use axum::extract::rejection::JsonRejection as R;
    match e {
        R::JsonSyntaxError(_) => "the body is not valid JSON".into(),
        R::MissingJsonContentType(_) => {
            "the body must be JSON (Content-Type: application/json)".into()
        }
        R::JsonDataError(d) => match missing_field(&d.body_text()) {
            Some(f) => format!("the body has no `{f}`"),
            None => "the body's JSON does not have the fields and types this endpoint takes \
                     (see /api/v1/openapi.json)"
                .into(),
        },
        _ => "the body could not be read".into(),
    }
}

/// The field serde reports missing at the top level, when it is a plain
/// field name (ours, never the caller's text).
fn missing_field(msg: &str) -> Option<&str> {
    let rest = msg.strip_prefix(
        "Failed to deserialize the JSON body into the target type: missing field `",
    )?;
    let f = rest.split('`').next()?;
    (!f.is_empty() && f.len() <= 32 && f.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .then_some(f)
}

/// A transfer as the API shows it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TransferView {
    /// Transfer id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Exporter id.
    pub exporter: String,
    /// Recipient id.
    pub recipient: String,
    /// Recipient's country (ISO 3166-1 alpha-2).
    pub recipient_country: String,
    /// Whether the route is suspended (the gate refuses its batches).
    pub suspended: bool,
    /// One determination per regime that applies, as `outbound evaluate` prints it.
    #[schema(value_type = Vec<Object>)]
    pub determinations: Vec<serde_json::Value>,
    /// Pairs of regimes whose demands cannot both be met as declared, as
    /// `outbound evaluate` prints them.
    #[schema(value_type = Vec<Object>)]
    pub conflicts: Vec<serde_json::Value>,
    /// Set when the rules could not judge the transfer.
    pub error: Option<String>,
}

/// `GET /api/v1/transfers`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TransferList {
    /// The transfers the account may see (a page of them with `limit`).
    pub transfers: Vec<TransferView>,
    /// How many the account may see in all.
    pub total: u64,
}

/// Paging for long lists: without `limit`, everything from `offset`.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Skip this many (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
    /// At most this many (1 to 10,000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u64>,
}

/// Why a route is suspended or resumed.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct RouteChange {
    /// Why (recorded in the audit log with the account's name; 1 to 1,000 characters).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// The counts against the thresholds.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct StatusView {
    /// The date judged at (YYYY-MM-DD).
    pub as_of: String,
    /// One per exporter: its counts and each threshold.
    #[schema(value_type = Vec<Object>)]
    pub exporters: Vec<serde_json::Value>,
    /// Corporate groups counted together against splitting.
    #[schema(value_type = Vec<Object>)]
    pub groups: Vec<serde_json::Value>,
}

/// A recorded batch (no personal data: counts and a digest).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BatchView {
    /// Batch id.
    pub id: u64,
    /// Transfer id.
    pub transfer: String,
    /// When it was recorded (UTC).
    pub at: String,
    /// SHA-256 of what left.
    pub sha256: String,
    /// Records written.
    pub records_out: u64,
    /// Distinct individuals in the batch.
    pub individuals: u64,
    /// `committed` or `done` (output confirmed in place).
    pub state: String,
    /// The map the batch was judged under, as its audit entry records it:
    /// `current` (the map this server holds), `other` (the declarations
    /// changed since; `map_sha256` says which map) or `not_recorded` (a
    /// `batch` v1 entry, written before entries recorded the map).
    pub map: String,
    /// SHA-256 of the content of the map it was judged under
    /// (`outbound validate` prints it for a map on disk); `null` when not
    /// recorded.
    pub map_sha256: Option<String>,
}

impl BatchView {
    /// A batch with the map it was judged under: the digest read from its
    /// audit entry (`batch` v2's `map_sha256`, not the ledger's row)
    /// against `current`, the map this server holds. One reading for the
    /// API and the transfer page.
    pub(crate) fn of(j: outbound_store::JudgedBatch, current: &str) -> BatchView {
        let b = j.batch;
        BatchView {
            id: b.id,
            transfer: b.transfer,
            at: b.at,
            sha256: b.sha256,
            records_out: b.records_out,
            individuals: b.individuals,
            state: b.state,
            map: outbound_store::MapJudged::of(j.map_sha256.as_deref(), current)
                .as_str()
                .into(),
            map_sha256: j.map_sha256,
        }
    }
}

/// `GET /api/v1/batches`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BatchList {
    /// The batches the account may see, oldest first: a page of at most
    /// `limit`.
    pub batches: Vec<BatchView>,
    /// Where the next page starts (`?after=` this id) when this one is
    /// full; `null` on the last page.
    pub next_after: Option<u64>,
}

/// Which batches `GET /api/v1/batches` lists.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchPaging {
    /// One transfer's batches only.
    pub transfer: Option<String>,
    /// Batches after this id only (the `next_after` of the page before).
    #[param(minimum = 0)]
    pub after: Option<u64>,
    /// At most this many (1 to 10,000; default 1,000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u64>,
}

/// The newest signed tree head of the audit log.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Checkpoint {
    /// Entries in the log.
    pub size: u64,
    /// RFC 6962 root hash, hex.
    pub root: String,
    /// When it was signed (ms since the Unix epoch).
    pub timestamp_ms: u64,
    /// The signed head as `outbound audit` exchanges it.
    #[schema(value_type = Object)]
    pub signed_head: serde_json::Value,
}

/// A complaint through the public channel (Standard Contract Measures Art. 9).
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct NewComplaint {
    /// What happened (1 to 10,000 characters).
    #[schema(min_length = 1, max_length = 10000)]
    pub text: String,
    /// How to reach the complainant (optional).
    #[schema(max_length = 500)]
    pub contact: Option<String>,
    /// The transfer it concerns, if known.
    #[schema(max_length = 200)]
    pub transfer: Option<String>,
}

/// The answer to a complaint.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Tracking {
    /// Quote it to follow the complaint up.
    pub tracking: String,
}

/// A complaint as recorded.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ComplaintView {
    /// Tracking id.
    pub tracking: String,
    /// When it was received (UTC).
    pub at: String,
    /// What the complainant wrote.
    pub text: String,
    /// How to reach them.
    pub contact: Option<String>,
    /// The transfer named.
    pub transfer: Option<String>,
}

/// `GET /api/v1/complaints`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ComplaintList {
    /// Newest first: a page of at most `limit`.
    pub complaints: Vec<ComplaintView>,
    /// Where the next page starts (`?before=` this tracking id) when this
    /// one is full; `null` on the last page.
    pub next_before: Option<String>,
}

/// A list's `limit` from its query: [`outbound_store::PAGE_DEFAULT`]
/// without one, 1 to [`outbound_store::PAGE_MAX`] with one, a 400 otherwise.
pub(crate) fn page_limit(limit: Option<u64>) -> Result<u64, ApiError> {
    match limit {
        None => Ok(outbound_store::PAGE_DEFAULT),
        Some(l @ 1..=outbound_store::PAGE_MAX) => Ok(l),
        Some(_) => Err(ApiError::bad_request("`limit` is 1 to 10,000")),
    }
}

/// A list's `state` filter from its query: `open` or `done` (as the list
/// names it), none for both, a 400 otherwise.
pub(crate) fn open_filter(state: Option<&str>, done: &str) -> Result<Option<bool>, ApiError> {
    match state {
        None => Ok(None),
        Some("open") => Ok(Some(true)),
        Some(s) if s == done => Ok(Some(false)),
        Some(_) => Err(ApiError::bad_request(format!("`state` is open or {done}"))),
    }
}

/// Where the page after `page` starts: its last row's position when it is
/// full (`limit` rows), none on the last page.
pub(crate) fn next_position<T, K>(page: &[T], limit: u64, position: impl Fn(&T) -> K) -> Option<K> {
    if page.len() as u64 == limit {
        page.last().map(position)
    } else {
        None
    }
}

/// Whether `s` can be an id here: at most 200 characters, none a control
/// character (a database refuses some, and none belongs in an id).
pub(crate) fn is_plain_id(s: &str) -> bool {
    s.chars().count() <= 200 && !s.chars().any(char::is_control)
}

/// A list's position or filter from its query (`before`, `transfer`): a
/// plain id ([`is_plain_id`]), or a 400 naming the parameter.
pub(crate) fn query_id(v: Option<String>, name: &str) -> Result<Option<String>, ApiError> {
    match v {
        Some(s) if !is_plain_id(&s) => Err(ApiError::bad_request(format!(
            "`{name}` must be an id of at most 200 characters"
        ))),
        v => Ok(v),
    }
}

/// Whether the account may see this transfer: a recipient only its own.
pub fn sees(user: &Account, t: &TransferAssessment) -> bool {
    user.role != Role::Recipient || user.recipient.as_deref() == Some(t.recipient.as_str())
}

/// A transfer's view from a snapshot.
pub fn view(snap: &Snapshot, t: &TransferAssessment) -> TransferView {
    view_with(t, snap.suspended(&t.transfer))
}

/// A transfer's view given its route state.
pub fn view_with(t: &TransferAssessment, suspended: bool) -> TransferView {
    TransferView {
        id: t.transfer.clone(),
        name: t.name.clone(),
        exporter: t.exporter.clone(),
        recipient: t.recipient.clone(),
        recipient_country: t.recipient_country.clone(),
        suspended,
        determinations: t
            .determinations
            .iter()
            .map(|d| serde_json::to_value(d).unwrap_or_default())
            .collect(),
        conflicts: t
            .conflicts
            .iter()
            .map(|c| serde_json::to_value(c).unwrap_or_default())
            .collect(),
        error: t.error.clone(),
    }
}

/// The position of transfer `id` if it exists and the account may see it;
/// 404 otherwise, the same answer for both so that ids cannot be probed.
fn visible(snap: &Snapshot, user: &Account, id: &str) -> Result<usize, ApiError> {
    snap.index
        .get(id)
        .copied()
        .filter(|&i| sees(user, &snap.assessment.transfers[i]))
        .ok_or_else(|| ApiError::not_found("no such transfer"))
}

/// Every transfer the account may see, with its determinations, in map
/// order; `limit` and `offset` page through a long map.
#[utoipa::path(get, path = "/api/v1/transfers", tag = "transfers",
    security(("bearer" = [])),
    params(Page),
    responses(
        (status = 200, body = TransferList),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_transfers(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    page: Result<axum::extract::Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    require(&user, Action::ReadTransfers)?;
    let axum::extract::Query(page) =
        page.map_err(|_| ApiError::bad_request("`offset` and `limit` are whole numbers"))?;
    let limit = match page.limit {
        None => usize::MAX,
        Some(l @ 1..=10_000) => l as usize,
        Some(_) => return Err(ApiError::bad_request("`limit` is 1 to 10,000")),
    };
    let offset = usize::try_from(page.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let snap = state.snapshot().await?;
    let mut body = String::from("{\"transfers\":[");
    let mut total = 0u64;
    let mut shown = 0usize;
    for (t, v) in snap.assessment.transfers.iter().zip(&snap.views) {
        if !sees(&user, t) {
            continue;
        }
        if total as usize >= offset && shown < limit {
            if shown > 0 {
                body.push(',');
            }
            body.push_str(v);
            shown += 1;
        }
        total += 1;
    }
    body.push_str(&format!("],\"total\":{total}}}"));
    Ok(json_text(body))
}

/// JSON already serialised.
fn json_text(body: String) -> axum::response::Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// One transfer (404 for an id the account may not see).
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "transfers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Transfer id")),
    responses(
        (status = 200, body = TransferView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_transfer(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    require(&user, Action::ReadTransfers)?;
    let snap = state.snapshot().await?;
    let i = visible(&snap, &user, &id)?;
    Ok(json_text(snap.views[i].clone()))
}

/// Checks a route change's reason.
pub fn valid_reason(reason: &str) -> Result<String, ApiError> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > 1000 || r.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "`reason` must be 1 to 1,000 characters on one line",
        ));
    }
    Ok(r.to_string())
}

/// Suspends or resumes a route for `user`, logged with the account's name.
pub async fn set_route(
    state: &AppState,
    user: &Account,
    id: &str,
    suspended: bool,
    reason: &str,
) -> Result<TransferView, ApiError> {
    require(user, Action::SetRoute)?;
    let reason = valid_reason(reason)?;
    visible(&*state.snapshot().await?, user, id)?;
    let (by, transfer) = (user.name.clone(), id.to_string());
    state
        .store(move |s, k| s.set_route(k, &by, &transfer, suspended, &reason))
        .await?;
    let snap = state.snapshot().await?;
    Ok(view(
        &snap,
        &snap.assessment.transfers[visible(&snap, user, id)?],
    ))
}

/// Suspends a route: the gate refuses its batches until it is resumed.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/suspend", tag = "transfers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Transfer id")),
    request_body = RouteChange,
    responses(
        (status = 200, body = TransferView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn suspend_transfer(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RouteChange>,
) -> Result<axum::Json<TransferView>, ApiError> {
    Ok(axum::Json(
        set_route(&state, &user, &id, true, &body.reason).await?,
    ))
}

/// Resumes a suspended route.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/resume", tag = "transfers",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Transfer id")),
    request_body = RouteChange,
    responses(
        (status = 200, body = TransferView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn resume_transfer(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RouteChange>,
) -> Result<axum::Json<TransferView>, ApiError> {
    Ok(axum::Json(
        set_route(&state, &user, &id, false, &body.reason).await?,
    ))
}

/// The ledger's exact counts against each threshold.
#[utoipa::path(get, path = "/api/v1/status", tag = "ledger",
    security(("bearer" = [])),
    responses(
        (status = 200, body = StatusView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn status(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<impl IntoResponse, ApiError> {
    require(&user, Action::ReadStatus)?;
    let snap = state.snapshot().await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        snap.status_json.clone(),
    ))
}

/// The batches recorded by the gate (a recipient: those of its transfers),
/// oldest first, a page at a time: `after` the last id of the page before,
/// at most `limit`, one transfer's with `transfer`.
#[utoipa::path(get, path = "/api/v1/batches", tag = "ledger",
    security(("bearer" = [])),
    params(BatchPaging),
    responses(
        (status = 200, body = BatchList),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_batches(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    paging: Result<axum::extract::Query<BatchPaging>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<BatchList>, ApiError> {
    require(&user, Action::ReadBatches)?;
    let axum::extract::Query(paging) = paging.map_err(|_| {
        ApiError::bad_request("`after` and `limit` are whole numbers, `transfer` a transfer id")
    })?;
    let limit = page_limit(paging.limit)?;
    let transfer = query_id(paging.transfer, "transfer")?;
    let snap = state.snapshot().await?;
    // A recipient sees its transfers' batches only; a transfer it may not
    // see is one it cannot name (404, as `GET /api/v1/transfers/{id}`).
    let visible: Option<Vec<String>> = (user.role == Role::Recipient).then(|| {
        snap.assessment
            .transfers
            .iter()
            .filter(|t| sees(&user, t))
            .map(|t| t.transfer.clone())
            .collect()
    });
    let transfers = match (transfer, visible) {
        (Some(t), Some(v)) if !v.contains(&t) => {
            return Err(ApiError::not_found("no such transfer"));
        }
        (Some(t), _) => Some(vec![t]),
        (None, v) => v,
    };
    let current = state.map_sha256().to_string();
    let (batches, next_after) = state
        .store(move |s, _| {
            let names: Option<Vec<&str>> = transfers
                .as_ref()
                .map(|v| v.iter().map(String::as_str).collect());
            let page = s.batch_page(&outbound_store::BatchQuery {
                transfers: names.as_deref(),
                after: paging.after,
                limit,
                ..Default::default()
            })?;
            let next = next_position(&page, limit, |j| j.batch.id);
            Ok((
                page.into_iter()
                    .map(|j| BatchView::of(j, &current))
                    .collect::<Vec<_>>(),
                next,
            ))
        })
        .await?;
    Ok(axum::Json(BatchList {
        batches,
        next_after,
    }))
}

/// The audit log's newest signed tree head.
#[utoipa::path(get, path = "/api/v1/audit/checkpoint", tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Checkpoint),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn checkpoint(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<axum::Json<Checkpoint>, ApiError> {
    require(&user, Action::ReadAudit)?;
    let head = state
        .store(|s, _| s.audit_latest_head())
        .await?
        .ok_or_else(|| ApiError::not_found("the audit log is empty"))?;
    Ok(axum::Json(Checkpoint {
        size: head.size,
        root: hex::encode(head.root),
        timestamp_ms: head.timestamp_ms,
        signed_head: serde_json::to_value(&head).unwrap_or_default(),
    }))
}

/// Checks and records a complaint; shared by the API and the public page.
pub async fn record_complaint(
    state: &AppState,
    who: &str,
    c: NewComplaint,
) -> Result<String, ApiError> {
    if !state.complaint_limiter().allow(who) {
        return Err(ApiError::too_many());
    }
    let text = c.text.trim().to_string();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(ApiError::bad_request(
            "`text` must be 1 to 10,000 characters",
        ));
    }
    let contact = c
        .contact
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if contact.as_ref().is_some_and(|s| s.chars().count() > 500) {
        return Err(ApiError::bad_request(
            "`contact` must be at most 500 characters",
        ));
    }
    let transfer = c
        .transfer
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if transfer.as_deref().is_some_and(|s| !is_plain_id(s)) {
        return Err(ApiError::bad_request(
            "`transfer` must be an id of at most 200 characters",
        ));
    }
    // The audit entry names the transfer, and the log can be neither read
    // selectively nor erased: only an id of the map goes there. Anything else
    // the complainant typed stays with the complaint's text, and the answer is
    // the same either way, so that ids cannot be probed.
    let (text, transfer) = match transfer {
        Some(t) if !state.map().transfers.iter().any(|m| m.id == t) => {
            (format!("{text}\n\n[transfer, as written: {t}]"), None)
        }
        t => (text, t),
    };
    let tracking = format!("C-{}", &random_hex()[..16]);
    let t = tracking.clone();
    state
        .store(move |s, k| s.add_complaint(k, &t, &text, contact.as_deref(), transfer.as_deref()))
        .await?;
    Ok(tracking)
}

/// The public complaint channel: no token needed, rate-limited per client.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints",
    request_body = NewComplaint,
    responses(
        (status = 201, body = Tracking),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn submit_complaint(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    ApiJson(body): ApiJson<NewComplaint>,
) -> Result<impl IntoResponse, ApiError> {
    let tracking = record_complaint(&state, &client(&parts), body).await?;
    Ok((StatusCode::CREATED, axum::Json(Tracking { tracking })))
}

/// Complaints received (they hold personal data: admin, compliance, auditor
/// only), newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints",
    security(("bearer" = [])),
    params(ComplaintPaging),
    responses(
        (status = 200, body = ComplaintList),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_complaints(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    paging: Result<axum::extract::Query<ComplaintPaging>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<ComplaintList>, ApiError> {
    require(&user, Action::ReadComplaints)?;
    let axum::extract::Query(paging) = paging.map_err(|_| {
        ApiError::bad_request(
            "`state` is open or answered, `before` a tracking id, `limit` a whole number",
        )
    })?;
    let limit = page_limit(paging.limit)?;
    let open = open_filter(paging.state.as_deref(), "answered")?;
    let before = query_id(paging.before, "before")?;
    let page = crate::api_complaints::handling_page(&state, &user, open, before, limit).await?;
    let next_before = next_position(&page, limit, |(c, _)| c.tracking.clone());
    let complaints = page
        .into_iter()
        .map(|(c, _)| ComplaintView {
            tracking: c.tracking,
            at: c.at,
            text: c.text,
            contact: c.contact,
            transfer: c.transfer,
        })
        .collect();
    Ok(axum::Json(ComplaintList {
        complaints,
        next_before,
    }))
}

/// Which complaints `GET /api/v1/complaints` lists.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintPaging {
    /// `open` (not answered) or `answered`; default both.
    pub state: Option<String>,
    /// Complaints after this one (its tracking id) only: the `next_before`
    /// of the page before.
    pub before: Option<String>,
    /// At most this many (1 to 10,000; default 1,000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch whose entry has no digest (`batch` v1, written before
    /// entries recorded it) or no entry at all is "not recorded", never
    /// taken for the current map (the store reads a missing entry as none).
    #[test]
    fn a_batch_without_a_recorded_digest_is_not_recorded() {
        let batch = |id: u64, map_sha256: Option<String>| outbound_store::JudgedBatch {
            batch: outbound_store::BatchSummary {
                id,
                transfer: "t".into(),
                at: "2026-01-01T00:00:00Z".into(),
                sha256: "00".repeat(32),
                records_out: 1,
                individuals: 1,
                output: None,
                state: "done".into(),
            },
            map_sha256,
        };
        let current = "cd".repeat(32);
        let other = "ef".repeat(32);
        // Batch 0's entry is v1 or missing (no digest).
        let maps: Vec<(u64, String, Option<String>)> = [
            batch(0, None),
            batch(1, Some(current.clone())),
            batch(2, Some(other.clone())),
        ]
        .into_iter()
        .map(|j| BatchView::of(j, &current))
        .map(|v| (v.id, v.map, v.map_sha256))
        .collect();
        assert_eq!(
            maps,
            [
                (0, "not_recorded".into(), None),
                (1, "current".into(), Some(current.clone())),
                (2, "other".into(), Some(other)),
            ]
        );
    }
}
