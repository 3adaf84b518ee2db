//! API: Rights requests: intake, forwarding to the recipients that received the person, answers (issue 14).
//!
//! Staff (`HandleRequests`: admin, compliance) take requests in, record the
//! identity check, forward, pause, resume, extend, close and refuse them;
//! `ReadRequests` (admin, compliance, auditor, recipient) read them. A
//! recipient account sees only the requests with a part forwarded to its
//! recipient, and of each only its own part: another request answers 404
//! like one that does not exist. `AnswerRequest` (admin, recipient) answers a
//! part; a recipient only its own (another's part: 404).
//!
//! The subject key is normalised as the gate does
//! (`outbound_gate::normalize_subject`) and hashed with the store's key at
//! once; only the keyed hash reaches the store, and no answer, error or log
//! line repeats the key. Due dates come from the rule data
//! (`outbound_rules::rights`) with their article, never from code.
//!
//! The public form (`/request`, no account) is served by the pages; its
//! intake and status functions live here ([`public_open`],
//! [`public_status`]). Ids are sequential (`req-0001`), so the person is not
//! given the bare id: the tracking id is the request id followed by a keyed
//! MAC of it ([`tracking_of`]), which nobody without the store's key can
//! compute, so another person's state cannot be read by counting ids. Nothing
//! extra is stored for it.

use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use outbound_rules::rights::{Clock, DueState, due_all};
use outbound_store::rights::{
    Channel, ConsentsWithdrawn, Extension, IdentityMethod, NewRequest, PartAnswer, PartOutcome,
    Pause, RefusalReason, Request, RequestKind, RequestPart, RequestQuery,
};
use outbound_store::{Account, Keys, Role};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{Action, require};
use crate::api::{ApiJson, ApiPath};
use crate::auth::{ApiUser, same_secret};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

mod view;

pub use view::*;

/// This workflow's API routes and their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests, post_request))
        .routes(routes!(get_request))
        .routes(routes!(post_identity))
        .routes(routes!(post_forward))
        .routes(routes!(post_pause))
        .routes(routes!(post_resume))
        .routes(routes!(post_extend))
        .routes(routes!(post_close))
        .routes(routes!(post_refuse))
        .routes(routes!(post_answer))
}

/// The longest subject key accepted, in characters.
pub const KEY_MAX: usize = 200;

fn no_request(id: &str) -> ApiError {
    let shown: String = id.chars().take(40).collect();
    ApiError::not_found(format!("no rights request `{shown}`"))
}

/// A page of the requests `user` may read, newest first (a recipient:
/// those with a part forwarded to it): open or finished ones with `open`,
/// older than `before`, at most `limit`.
pub async fn list(
    state: &AppState,
    user: &Account,
    open: Option<bool>,
    before: Option<String>,
    limit: u64,
) -> Result<Vec<RequestView>, ApiError> {
    require(user, Action::ReadRequests)?;
    let recipient = recipient_of(user);
    let page = state
        .store(move |s, _| {
            s.rights_requests_page(&RequestQuery {
                open,
                recipient: recipient.as_deref(),
                before: before.as_deref(),
                limit,
            })
        })
        .await?;
    let now = Timestamp::now();
    let mut out = Vec::new();
    for r in page {
        if let Some(v) = view_for(user, r, now)? {
            out.push(v);
        }
    }
    Ok(out)
}

/// How many requests `user` may read are open and how many finished.
pub async fn counts(state: &AppState, user: &Account) -> Result<(u64, u64), ApiError> {
    require(user, Action::ReadRequests)?;
    let recipient = recipient_of(user);
    state
        .store(move |s, _| s.rights_request_counts(recipient.as_deref()))
        .await
}

/// The recipient whose requests `user` reads (a recipient's account; staff
/// read every request). A recipient's account without one reads none.
fn recipient_of(user: &Account) -> Option<String> {
    (user.role == Role::Recipient).then(|| user.recipient.clone().unwrap_or_default())
}

/// The request `id` as `user` may see it; 404 if it does not exist or, for a
/// recipient, has no part forwarded to it.
pub async fn one(state: &AppState, user: &Account, id: &str) -> Result<RequestView, ApiError> {
    require(user, Action::ReadRequests)?;
    let i = id.to_string();
    let r = state.store(move |s, _| s.rights_request(&i)).await?;
    let r = r.ok_or_else(|| no_request(id))?;
    view_for(user, r, Timestamp::now())?.ok_or_else(|| no_request(id))
}

/// A request taken in by staff.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    /// What the person asks for: `know`, `access`, `copy`, `correct`, `delete`, `restrict`, `withdraw_consent`, `explain`.
    pub kinds: Vec<String>,
    /// The person's subject key, as the gate reads it: hashed at once, never stored or repeated.
    #[schema(max_length = 200)]
    pub subject_key: String,
    /// How the identity was checked: `account_login`, `id_document_sighted`, `video_call`, `known_contact`, `none_yet`.
    pub identity: String,
    /// The regimes whose time limits apply (`CN`, `EU`); default every regime of the rule data.
    #[serde(default)]
    pub regimes: Option<Vec<String>>,
    /// When it was received (RFC 3339, not in the future); default now.
    #[serde(default)]
    pub received_at: Option<String>,
    /// `api` (default) or `staff` (entered by staff from a letter, a call …).
    #[serde(default)]
    pub channel: Option<String>,
}

fn parse<T: std::str::FromStr<Err = outbound_store::StoreError>>(s: &str) -> Result<T, ApiError> {
    s.parse::<T>().map_err(ApiError::from)
}

/// The kinds named, parsed (at least one, at most every kind).
pub fn parse_kinds(kinds: &[String]) -> Result<Vec<RequestKind>, ApiError> {
    if kinds.is_empty() {
        return Err(ApiError::bad_request("name at least one kind of request"));
    }
    if kinds.len() > RequestKind::ALL.len() * 2 {
        return Err(ApiError::bad_request("too many kinds"));
    }
    kinds.iter().map(|k| parse(k)).collect()
}

/// Every regime the rule data has a deadline for.
pub fn all_regimes() -> Vec<String> {
    outbound_rules::rights::data()
        .deadline
        .iter()
        .map(|d| d.regime.clone())
        .collect()
}

fn check_regimes(regimes: &[String]) -> Result<(), ApiError> {
    if regimes.is_empty() || regimes.len() > 16 {
        return Err(ApiError::bad_request("name 1 to 16 regimes (CN, EU …)"));
    }
    for r in regimes {
        if outbound_rules::rights::deadline(r).is_none() {
            let shown: String = r.chars().take(16).collect();
            return Err(ApiError::bad_request(format!(
                "no rights-request deadline for regime `{shown}` (one of: {})",
                all_regimes().join(", ")
            )));
        }
    }
    Ok(())
}

/// The keyed hash of a subject key, normalised as the gate does; the key is
/// not kept. Refuses an empty or over-long key (without repeating it).
pub fn subject_hash(keys: &Keys, key: &str) -> Result<[u8; 16], outbound_store::StoreError> {
    if key.chars().count() > KEY_MAX {
        return Err(outbound_store::StoreError::Invalid {
            problem: format!("the subject key is longer than {KEY_MAX} characters"),
        });
    }
    let key = outbound_gate::normalize_subject(key);
    if key.is_empty() {
        return Err(outbound_store::StoreError::Invalid {
            problem: "the subject key is empty".into(),
        });
    }
    Ok(keys.subject_hash(key.as_bytes()))
}

/// Opens a request through `channel` for `by`; the key is hashed inside the
/// store call and dropped. Nothing is stored on any refusal.
#[allow(clippy::too_many_arguments)] // the fields of one intake, each checked once
async fn open_with(
    state: &AppState,
    by: String,
    channel: Channel,
    kinds: Vec<RequestKind>,
    subject_key: String,
    identity: IdentityMethod,
    regimes: Vec<String>,
    received_at: Option<String>,
) -> Result<Request, ApiError> {
    check_regimes(&regimes)?;
    if subject_key.chars().count() > KEY_MAX {
        return Err(ApiError::bad_request(format!(
            "the subject key is longer than {KEY_MAX} characters"
        )));
    }
    state
        .store(move |s, k| {
            let subject = subject_hash(k, &subject_key)?;
            drop(subject_key);
            let now = Timestamp::now().to_string();
            s.open_request(
                k,
                &by,
                &NewRequest {
                    received_at: received_at.as_deref().unwrap_or(&now),
                    channel,
                    kinds: &kinds,
                    regimes: &regimes,
                    subject,
                    identity,
                    identity_at: None,
                },
            )
        })
        .await
}

/// Takes a request in for `user` (`HandleRequests`).
pub async fn open(
    state: &AppState,
    user: &Account,
    body: OpenRequest,
    default_channel: Channel,
) -> Result<RequestView, ApiError> {
    require(user, Action::HandleRequests)?;
    let kinds = parse_kinds(&body.kinds)?;
    let identity: IdentityMethod = parse(&body.identity)?;
    let channel = match body.channel.as_deref() {
        None | Some("") => default_channel,
        Some(c) => match parse::<Channel>(c)? {
            Channel::PublicForm => {
                return Err(ApiError::bad_request(
                    "`public_form` is the public form's channel; staff enter `api` or `staff`",
                ));
            }
            c => c,
        },
    };
    let regimes = body.regimes.unwrap_or_else(all_regimes);
    let r = open_with(
        state,
        user.name.clone(),
        channel,
        kinds,
        body.subject_key,
        identity,
        regimes,
        body.received_at,
    )
    .await?;
    Ok(view_for(user, r, Timestamp::now())?.expect("staff see every request"))
}

/// The tracking id the person is given for request `id`: the id, a dash,
/// and the first 16 hex digits of a keyed MAC of it. The MAC's input
/// (`rights-tracking:` and the id) has lowercase letters and dashes, which a
/// normalised subject key never has (the gate upper-cases it and drops
/// dashes), so it can never equal a person's keyed hash.
pub fn tracking_of(keys: &Keys, id: &str) -> String {
    let mac = keys.subject_hash(format!("rights-tracking:{id}").as_bytes());
    format!("{id}-{}", &hex::encode(mac)[..16])
}

/// The request id a tracking id names, if its MAC is right.
fn tracked_id(keys: &Keys, tracking: &str) -> Option<String> {
    if tracking.len() > 64 {
        return None;
    }
    let (id, _) = tracking.rsplit_once('-')?;
    let well_formed = id
        .strip_prefix("req-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    (well_formed && same_secret(tracking, &tracking_of(keys, id))).then(|| id.to_string())
}

/// The public form's intake: no account; rate-limited per client like the
/// public complaint channel; channel `public_form`, identity `none_yet`,
/// every regime of the rule data. Answers the tracking id.
pub async fn public_open(
    state: &AppState,
    who: &str,
    kinds: &[String],
    subject_key: String,
) -> Result<String, ApiError> {
    if !state.complaint_limiter().allow(&format!("rights {who}")) {
        return Err(ApiError::too_many());
    }
    let kinds = parse_kinds(kinds)?;
    let r = open_with(
        state,
        "public".into(),
        Channel::PublicForm,
        kinds,
        subject_key,
        IdentityMethod::NoneYet,
        all_regimes(),
        None,
    )
    .await?;
    let id = r.id;
    state.store(move |_, k| Ok(tracking_of(k, &id))).await
}

/// A request's status as the person sees it: no kinds of other people, no
/// recipients, no hash.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PublicStatus {
    /// The tracking id.
    pub tracking: String,
    /// When it was received (UTC).
    pub received_at: String,
    /// `open`, `forwarded`, `closed` or `refused`.
    pub state: String,
    /// Whether the identity has been checked.
    pub identity_checked: bool,
    /// Whether its clock is paused.
    pub paused: bool,
    /// The due dates with their articles.
    pub due: Vec<DueView>,
    /// Parts answered and in all (recipients are not named).
    pub parts_answered: usize,
    /// Parts in all.
    pub parts_total: usize,
    /// When it was closed or refused.
    pub closed_at: Option<String>,
}

/// The person's view of their request; `who` is the client, rate-limited
/// like the public form. A wrong, malformed or unknown tracking id: the same 404.
pub async fn public_status(
    state: &AppState,
    who: &str,
    tracking: &str,
) -> Result<PublicStatus, ApiError> {
    if !state
        .complaint_limiter()
        .allow(&format!("rights-status {who}"))
    {
        return Err(ApiError::too_many());
    }
    let t = tracking.to_string();
    let r = state
        .store(move |s, k| match tracked_id(k, &t) {
            Some(id) => s.rights_request(&id),
            None => Ok(None),
        })
        .await?;
    let Some(r) = r else {
        return Err(ApiError::not_found(
            "no rights request with that tracking id",
        ));
    };
    let due = dues(&r, Timestamp::now())?;
    Ok(PublicStatus {
        tracking: tracking.to_string(),
        received_at: r.received_at.clone(),
        state: r.state.clone(),
        identity_checked: r.identity_method != IdentityMethod::NoneYet,
        paused: r.paused(),
        due,
        parts_answered: r.parts.iter().filter(|p| p.outcome.is_some()).count(),
        parts_total: r.parts.len(),
        closed_at: r.closed_at,
    })
}

/// The identity check.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityRequest {
    /// How: `account_login`, `id_document_sighted`, `video_call`, `known_contact` (never the document).
    pub method: String,
    /// When (RFC 3339, not in the future); default now.
    #[serde(default)]
    pub at: Option<String>,
}

/// A pause or an extension.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// Why (1 to 500 characters, no personal data; stored, not logged).
    #[schema(max_length = 500)]
    pub reason: String,
    /// From when (the pause) or when the person was told (the extension); RFC 3339, default now.
    #[serde(default)]
    pub at: Option<String>,
}

/// The end of a pause.
#[derive(serde::Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ResumeRequest {
    /// When (RFC 3339, not in the future); default now.
    #[serde(default)]
    pub at: Option<String>,
}

/// A refusal of the whole request.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefuseRequest {
    /// `identity_not_verified`, `manifestly_unfounded`, `excessive`, `not_held`, `legal_retention`, `legal_exemption`, `other`.
    pub reason: String,
}

/// A recipient's answer to its part.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerPartRequest {
    /// `done` or `refused`.
    pub outcome: String,
    /// For a refusal: a reason code (see `RefuseRequest`).
    #[serde(default)]
    pub reason: Option<String>,
    /// When it answered (RFC 3339, not in the future); default now.
    #[serde(default)]
    pub answered_at: Option<String>,
    /// The SHA-256 (64 hex digits) of the evidence: at most one (the
    /// register keeps one hash per answer; bundle several files into one).
    #[serde(default)]
    pub evidence_sha256: Vec<String>,
}

/// A staff action on a request: `HandleRequests`, then the store call.
pub async fn handle<F>(
    state: &AppState,
    user: &Account,
    id: &str,
    f: F,
) -> Result<RequestView, ApiError>
where
    F: FnOnce(
            &outbound_store::Store,
            &Keys,
            &str,
            &str,
        ) -> Result<Request, outbound_store::StoreError>
        + Send
        + 'static,
{
    require(user, Action::HandleRequests)?;
    let (by, i) = (user.name.clone(), id.to_string());
    let r = state.store(move |s, k| f(s, k, &by, &i)).await?;
    Ok(view_for(user, r, Timestamp::now())?.expect("staff see every request"))
}

/// Records the identity check.
pub async fn identity(
    state: &AppState,
    user: &Account,
    id: &str,
    body: IdentityRequest,
) -> Result<RequestView, ApiError> {
    require(user, Action::HandleRequests)?;
    let method: IdentityMethod = parse(&body.method)?;
    handle(state, user, id, move |s, k, by, id| {
        s.verify_request_identity(k, by, id, method, body.at.as_deref())
    })
    .await
}

/// Refuses the request as a whole.
pub async fn refuse(
    state: &AppState,
    user: &Account,
    id: &str,
    body: RefuseRequest,
) -> Result<RequestView, ApiError> {
    require(user, Action::HandleRequests)?;
    let reason: RefusalReason = parse(&body.reason)?;
    handle(state, user, id, move |s, k, by, id| {
        s.refuse_request(k, by, id, reason)
    })
    .await
}

/// Records a recipient's answer to its part, for `user` (`AnswerRequest`: a
/// recipient only its own part; another's answers 404).
pub async fn answer(
    state: &AppState,
    user: &Account,
    id: &str,
    recipient: &str,
    body: AnswerPartRequest,
) -> Result<PartView, ApiError> {
    require(user, Action::AnswerRequest)?;
    if user.role == Role::Recipient && user.recipient.as_deref() != Some(recipient) {
        return Err(ApiError::not_found("no such part of a rights request"));
    }
    let outcome: PartOutcome = parse(&body.outcome)?;
    let reason: Option<RefusalReason> = match body.reason.as_deref() {
        None | Some("") => None,
        Some(r) => Some(parse(r)?),
    };
    if body.evidence_sha256.len() > 1 {
        return Err(ApiError::bad_request(
            "give at most one evidence hash (the register keeps one per answer; bundle the files)",
        ));
    }
    let evidence = body
        .evidence_sha256
        .into_iter()
        .next()
        .map(|h| h.to_ascii_lowercase());
    if evidence
        .as_ref()
        .is_some_and(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(ApiError::bad_request(
            "`evidence_sha256` takes SHA-256 digests of 64 hex digits",
        ));
    }
    let (by, i, rc) = (user.name.clone(), id.to_string(), recipient.to_string());
    let p = state
        .store(move |s, k| {
            s.answer_request_part(
                k,
                &by,
                &i,
                &rc,
                &PartAnswer {
                    outcome,
                    reason,
                    answered_at: body.answered_at.as_deref(),
                    evidence_sha256: evidence.as_deref(),
                },
            )
        })
        .await?;
    Ok(p.into())
}

/// Rights requests, newest first, a page at a time: staff all; a recipient
/// only those with a part forwarded to it, with only that part.
#[utoipa::path(get, path = "/api/v1/requests", tag = "requests",
    security(("bearer" = [])),
    params(RequestPaging),
    responses(
        (status = 200, body = RequestList),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_requests(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    paging: Result<axum::extract::Query<RequestPaging>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<RequestList>, ApiError> {
    let axum::extract::Query(paging) = paging.map_err(|_| {
        ApiError::bad_request(
            "`state` is open or finished, `before` a request id, `limit` a whole number",
        )
    })?;
    let limit = crate::api::page_limit(paging.limit)?;
    let open = crate::api::open_filter(paging.state.as_deref(), "finished")?;
    let before = crate::api::query_id(paging.before, "before")?;
    let requests = list(&state, &user, open, before, limit).await?;
    let next_before = crate::api::next_position(&requests, limit, |r| r.id.clone());
    Ok(axum::Json(RequestList {
        requests,
        next_before,
    }))
}

/// Which requests `GET /api/v1/requests` lists.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestPaging {
    /// `open` (neither closed nor refused) or `finished` (closed or refused); default both.
    pub state: Option<String>,
    /// Requests older than this one only (the `next_before` of the page before).
    pub before: Option<String>,
    /// At most this many (1 to 10,000; default 1,000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u64>,
}

/// Takes a request in (admin, compliance). The subject key is hashed at once:
/// it is never stored, logged or repeated.
#[utoipa::path(post, path = "/api/v1/requests", tag = "requests",
    security(("bearer" = [])),
    request_body = OpenRequest,
    responses(
        (status = 201, body = RequestView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
async fn post_request(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<OpenRequest>,
) -> Result<(StatusCode, axum::Json<RequestView>), ApiError> {
    let v = open(&state, &user, body, Channel::Api).await?;
    Ok((StatusCode::CREATED, axum::Json(v)))
}

/// One request: state, due dates with their articles, parts (a recipient:
/// 404 unless it has a part, and only that part).
#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id (req-0001)")),
    responses(
        (status = 200, body = RequestView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_request(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<RequestView>, ApiError> {
    Ok(axum::Json(one(&state, &user, &id).await?))
}

/// Records how the identity was checked (never the document). With
/// `withdraw_consent`, also ends the person's consents.
#[utoipa::path(post, path = "/api/v1/requests/{id}/identity", tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    request_body = IdentityRequest,
    responses(
        (status = 200, body = RequestView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_identity(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<IdentityRequest>,
) -> Result<axum::Json<RequestView>, ApiError> {
    Ok(axum::Json(identity(&state, &user, &id, body).await?))
}

/// Forwards the request to every recipient the ledger says received the
/// person: one part each, naming the transfers and years.
#[utoipa::path(post, path = "/api/v1/requests/{id}/forward", tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    responses(
        (status = 200, body = RequestView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_forward(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<RequestView>, ApiError> {
    Ok(axum::Json(
        handle(&state, &user, &id, |s, k, by, id| {
            s.forward_request(k, by, id)
        })
        .await?,
    ))
}

/// Pauses the request's clock (`at`: from when).
#[utoipa::path(post, path = "/api/v1/requests/{id}/pause", tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    request_body = NoteRequest,
    responses(
        (status = 200, body = RequestView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_pause(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NoteRequest>,
) -> Result<axum::Json<RequestView>, ApiError> {
    Ok(axum::Json(
        handle(&state, &user, &id, move |s, k, by, id| {
            s.pause_request(k, by, id, &body.reason, body.at.as_deref())
        })
        .await?,
    ))
}

/// Ends the running pause.
#[utoipa::path(post, path = "/api/v1/requests/{id}/resume", tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    request_body = ResumeRequest,
    responses(
        (status = 200, body = RequestView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_resume(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ResumeRequest>,
) -> Result<axum::Json<RequestView>, ApiError> {
    Ok(axum::Json(
        handle(&state, &user, &id, move |s, k, by, id| {
            s.resume_request(k, by, id, body.at.as_deref())
        })
        .await?,
    ))
}

/// Extends the time limit (`at`: when the person was told; GDPR Art. 12(3)
/// counts it only if within the first month).
#[utoipa::path(post, path = "/api/v1/requests/{id}/extend", tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    request_body = NoteRequest,
    responses(
        (status = 200, body = RequestView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_extend(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NoteRequest>,
) -> Result<axum::Json<RequestView>, ApiError> {
    Ok(axum::Json(
        handle(&state, &user, &id, move |s, k, by, id| {
            s.extend_request(k, by, id, &body.reason, body.at.as_deref())
        })
        .await?,
    ))
}

/// Closes the request once every part is answered (409 otherwise); its proof
/// is the audit entries of the answers.
#[utoipa::path(post, path = "/api/v1/requests/{id}/close", tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    responses(
        (status = 200, body = RequestView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_close(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<RequestView>, ApiError> {
    Ok(axum::Json(
        handle(&state, &user, &id, |s, k, by, id| {
            s.close_request(k, by, id)
        })
        .await?,
    ))
}

/// Refuses the request as a whole, with a reason code.
#[utoipa::path(post, path = "/api/v1/requests/{id}/refuse", tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")),
    request_body = RefuseRequest,
    responses(
        (status = 200, body = RequestView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_refuse(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RefuseRequest>,
) -> Result<axum::Json<RequestView>, ApiError> {
    Ok(axum::Json(refuse(&state, &user, &id, body).await?))
}

/// A recipient answers its part, once (409 after): done or refused with a
/// reason, and the SHA-256 of its evidence. A recipient only its own part
/// (another's: 404); admin any.
#[utoipa::path(post, path = "/api/v1/requests/{id}/parts/{recipient}/answer", tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id"),
        ("recipient" = String, Path, description = "The recipient whose part it is")),
    request_body = AnswerPartRequest,
    responses(
        (status = 200, body = PartView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_answer(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, recipient)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<AnswerPartRequest>,
) -> Result<axum::Json<PartView>, ApiError> {
    Ok(axum::Json(
        answer(&state, &user, &id, &recipient, body).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_ids_check_their_mac() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::create(&dir.path().join("k")).unwrap();
        let t = tracking_of(&keys, "req-0007");
        assert!(t.starts_with("req-0007-") && t.len() == "req-0007-".len() + 16);
        assert_eq!(tracked_id(&keys, &t).as_deref(), Some("req-0007"));
        // The neighbour's id with this MAC, a flipped digit, junk: nothing.
        let mut flipped = t.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        for bad in [
            t.replace("req-0007", "req-0008"),
            flipped,
            "req-0007".into(),
            "".into(),
            "req--0123456789abcdef".into(),
            "x".repeat(100),
        ] {
            assert_eq!(tracked_id(&keys, &bad), None, "{bad}");
        }
    }
}
