//! API: compliance snapshots, an association's members and their ratings (issue 12).
//!
//! A company: `POST /api/v1/snapshots` (admin, compliance) publishes the
//! snapshot of a period ([`build::build`], signed, its SHA-256 in the log);
//! `GET /api/v1/snapshots` and `/api/v1/snapshots/{period}` read them
//! (admin, compliance, auditor, regulator, association).
//!
//! An association: `GET|POST /api/v1/association/members`,
//! `POST /api/v1/association/collect` (fetch a member's snapshot, check its
//! signature and its inclusion in the member's signed log, record the
//! outcome) and `GET /api/v1/ratings?period=…` / `/api/v1/ratings/compare`
//! (admin, auditor, regulator, association). Method: docs/RATINGS.md.

pub mod build;
pub mod fetch;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use outbound_rules::rating::{self, Evidence, Rating};
use outbound_store::snapshots::{Collected, LogReader, Member, Published, check_member};
use outbound_store::{Keys, Store, StoreError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{Action, require};
use crate::api::{ApiJson, ApiPath};
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// This workflow's API routes and their OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_snapshots, post_snapshot))
        .routes(routes!(get_snapshot))
        .routes(routes!(get_members, post_member))
        .routes(routes!(post_collect))
        .routes(routes!(get_ratings))
        .routes(routes!(get_compare))
}

/// `POST /api/v1/snapshots`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRequest {
    /// The quarter, `YYYY-Qn`.
    pub period: String,
    /// Publish a correction of the period's newest snapshot (which it names).
    #[serde(default)]
    pub correct: bool,
}

/// A published snapshot (the signed note holds the JSON).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = PublishedSnapshot)]
pub struct PublishedView {
    /// The quarter.
    pub period: String,
    /// 1, then 2 for a correction …
    pub seq: i64,
    /// SHA-256 (hex) of the canonical JSON.
    pub sha256: String,
    /// The signed note.
    pub note: String,
    /// Index of its `snapshot` entry in the audit log.
    pub log_index: u64,
    /// When it was published.
    pub created_at: String,
}

impl From<Published> for PublishedView {
    fn from(p: Published) -> Self {
        PublishedView {
            period: p.period,
            seq: p.seq,
            sha256: p.sha256,
            note: p.note,
            log_index: p.log_index,
            created_at: p.created_at,
        }
    }
}

/// `GET /api/v1/snapshots`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SnapshotList {
    /// By period, then sequence.
    pub snapshots: Vec<PublishedView>,
}

/// Builds and publishes the snapshot of `period` for `user` (a correction
/// of the newest one when `correct`); every refusal stores nothing.
pub async fn publish(
    state: &AppState,
    by: &str,
    period: &str,
    correct: bool,
) -> Result<Published, ApiError> {
    let p = period.to_string();
    let newest = state.store(move |s, _| s.snapshot(&p)).await?;
    let corrects = match (&newest, correct) {
        (Some(n), true) => Some(n.sha256.clone()),
        (None, true) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("there is no snapshot for {period} to correct"),
            ));
        }
        (_, false) => None,
    };
    let origin = state
        .store(|_, k| Ok(outbound_store::snapshots::log_origin(k)))
        .await?;
    let json = build::build(state, period, &origin, corrects.as_deref()).await?;
    let (by, period) = (by.to_string(), period.to_string());
    state
        .store(move |s, k| s.publish_snapshot(k, &by, &origin, &period, &json, corrects.as_deref()))
        .await
}

/// [`publish`] for a caller without a runtime of its own (the CLI, the demo).
pub fn publish_blocking(
    state: &AppState,
    by: &str,
    period: &str,
    correct: bool,
) -> Result<Published, ApiError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "no runtime to build the snapshot on",
            )
        })?;
    rt.block_on(publish(state, by, period, correct))
}

/// Publishes the company's compliance snapshot for a period (no personal data; see docs/RATINGS.md).
#[utoipa::path(post, path = "/api/v1/snapshots", tag = "snapshots",
    security(("bearer" = [])),
    request_body = SnapshotRequest,
    responses(
        (status = 201, body = PublishedView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(crate) async fn post_snapshot(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<SnapshotRequest>,
) -> Result<(StatusCode, axum::Json<PublishedView>), ApiError> {
    require(&user, Action::PublishSnapshot)?;
    let p = publish(&state, &user.name, &req.period, req.correct).await?;
    Ok((StatusCode::CREATED, axum::Json(p.into())))
}

/// The snapshots this company published.
#[utoipa::path(get, path = "/api/v1/snapshots", tag = "snapshots",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SnapshotList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn get_snapshots(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<axum::Json<SnapshotList>, ApiError> {
    require(&user, Action::ReadSnapshots)?;
    let all = state.store(|s, _| s.snapshots()).await?;
    Ok(axum::Json(SnapshotList {
        snapshots: all.into_iter().map(PublishedView::from).collect(),
    }))
}

/// The newest snapshot of a period (its latest correction, if any).
#[utoipa::path(get, path = "/api/v1/snapshots/{period}", tag = "snapshots",
    security(("bearer" = [])),
    params(("period" = String, Path, description = "The quarter, YYYY-Qn")),
    responses(
        (status = 200, body = PublishedView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_snapshot(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(period): ApiPath<String>,
) -> Result<axum::Json<PublishedView>, ApiError> {
    require(&user, Action::ReadSnapshots)?;
    state
        .store(move |s, _| s.snapshot(&period))
        .await?
        .map(|p| axum::Json(p.into()))
        .ok_or_else(|| ApiError::not_found("no snapshot for this period"))
}

/// `POST /api/v1/association/members`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    /// Short unique name (`a-z0-9._-`).
    pub name: String,
    /// Base URL of its server.
    pub url: String,
    /// Its log's note verifier key (`outbound audit verifier-key`, or its server's).
    pub verifier: String,
    /// The cosignature verifier keys (`<name>+<id>+<key>`) of the witnesses
    /// the association trusts for this member.
    #[serde(default)]
    pub witnesses: Vec<String>,
    /// How many of them must have cosigned the checkpoint a snapshot is
    /// checked against (0, the default: the member's own signature).
    #[serde(default)]
    pub witness_quorum: u32,
}

/// A member.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MemberView {
    /// Name.
    pub name: String,
    /// Base URL.
    pub url: String,
    /// Note verifier key.
    pub verifier: String,
    /// When added.
    pub added_at: String,
    /// The witnesses' cosignature verifier keys.
    pub witnesses: Vec<String>,
    /// How many of them must cosign.
    pub witness_quorum: u32,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        MemberView {
            name: m.name,
            url: m.url,
            verifier: m.verifier,
            added_at: m.added_at,
            witnesses: m.witnesses,
            witness_quorum: m.witness_quorum,
        }
    }
}

/// `GET /api/v1/association/members`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MemberList {
    /// By name.
    pub members: Vec<MemberView>,
}

/// The association's members.
#[utoipa::path(get, path = "/api/v1/association/members", tag = "association",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MemberList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn get_members(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<axum::Json<MemberList>, ApiError> {
    require(&user, Action::ReadRatings)?;
    let all = state.store(|s, _| s.members()).await?;
    Ok(axum::Json(MemberList {
        members: all.into_iter().map(MemberView::from).collect(),
    }))
}

/// Adds a member.
#[utoipa::path(post, path = "/api/v1/association/members", tag = "association",
    security(("bearer" = [])),
    request_body = MemberRequest,
    responses(
        (status = 201, body = MemberView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(crate) async fn post_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<MemberRequest>,
) -> Result<(StatusCode, axum::Json<MemberView>), ApiError> {
    require(&user, Action::ManageMembers)?;
    let by = user.name.clone();
    let m = state
        .store(move |s, k| {
            s.add_member_witnessed(
                k,
                &by,
                &req.name,
                &req.url,
                &req.verifier,
                &req.witnesses,
                req.witness_quorum,
            )
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(m.into())))
}

/// `POST /api/v1/association/collect`: from the member's server, or a snapshot given.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectRequest {
    /// The member.
    pub member: String,
    /// The period (when fetched from the member's server).
    pub period: Option<String>,
    /// A token the member gave (reads its snapshot and its log's entry bundles).
    pub token: Option<String>,
    /// The published snapshot itself, instead of fetching it.
    #[schema(value_type = Option<Object>)]
    pub snapshot: Option<serde_json::Value>,
}

/// What collecting found.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CollectedView {
    /// The member.
    pub member: String,
    /// The period.
    pub period: String,
    /// The SHA-256 claimed.
    pub sha256: String,
    /// The log index claimed.
    pub log_index: u64,
    /// The member's checkpoint size it was checked against.
    pub checkpoint_size: Option<u64>,
    /// Whether signature and inclusion verified.
    pub verified: bool,
    /// Why not.
    pub reason: Option<String>,
}

impl From<Collected> for CollectedView {
    fn from(c: Collected) -> Self {
        CollectedView {
            checkpoint_size: c.checkpoint_size(),
            member: c.member,
            period: c.period,
            sha256: c.sha256,
            log_index: c.log_index,
            verified: c.verified,
            reason: c.reason,
        }
    }
}

/// Checks `published` against `member` (read from `log`; its witnessed
/// checkpoint when the member has a witness quorum) and records the outcome.
pub fn collect_with(
    store: &Store,
    keys: &Keys,
    by: &str,
    member: &Member,
    published: &Published,
    log: &dyn LogReader,
) -> Result<Collected, StoreError> {
    let outcome = check_member(published, member, log);
    store.record_collection(keys, by, &member.name, published, &outcome)
}

/// Collects a member's snapshot (fetched from its server, or given), checks
/// it against the member's key and log, and records the outcome.
#[utoipa::path(post, path = "/api/v1/association/collect", tag = "association",
    security(("bearer" = [])),
    request_body = CollectRequest,
    responses(
        (status = 201, body = CollectedView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub(crate) async fn post_collect(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<CollectRequest>,
) -> Result<(StatusCode, axum::Json<CollectedView>), ApiError> {
    require(&user, Action::ManageMembers)?;
    let name = req.member.clone();
    let member = state
        .store(move |s, _| s.member(&name))
        .await?
        .ok_or_else(|| ApiError::not_found("no such member"))?;
    let by = user.name.clone();
    let url = member.url.clone();
    let token = req.token.clone();
    let published = tokio::task::spawn_blocking(move || -> Result<Published, ApiError> {
        match (req.snapshot, req.period.as_deref()) {
            (Some(v), _) => serde_json::from_value::<Published>(v)
                .map_err(|_| ApiError::bad_request("`snapshot` is not a published snapshot")),
            (None, Some(p)) => fetch::snapshot(&url, p, req.token.as_deref()).map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "member",
                    format!("the member's snapshot: {e}"),
                )
            }),
            (None, None) => Err(ApiError::bad_request(
                "give `period` (to fetch) or `snapshot`",
            )),
        }
    })
    .await
    .map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "collecting failed",
        )
    })??;
    let log = fetch::HttpLog {
        url: member.url.clone(),
        token,
    };
    let c = state
        .store(move |s, k| collect_with(s, k, &by, &member, &published, &log))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(c.into())))
}

/// A member's standing for a period.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MemberRating {
    /// The member.
    pub member: String,
    /// `rated`, `not_rated` (a snapshot did not verify, or lacks a field) or `not_collected`.
    pub status: String,
    /// Why not rated.
    pub reason: Option<String>,
    /// The rating, when rated.
    #[schema(value_type = Option<Object>)]
    pub rating: Option<Rating>,
}

/// `GET /api/v1/ratings`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RatingsView {
    /// The period.
    pub period: String,
    /// The method's version.
    pub method_version: u32,
    /// One per member, by name.
    pub members: Vec<MemberRating>,
}

/// Every member's rating for `period`, from the newest snapshot collected of
/// it: only a verified one is rated; every line names its evidence.
pub fn ratings_of(store: &Store, period: &str) -> Result<RatingsView, StoreError> {
    let members = store.members()?;
    let collected = store.collected(Some(period))?;
    let method = rating::method();
    let mut out = Vec::new();
    for m in members {
        let newest = collected.iter().rev().find(|c| c.member == m.name);
        let (status, reason, r) = match newest {
            None => ("not_collected", None, None),
            Some(c) if !c.verified => ("not_rated", c.reason.clone(), None),
            Some(c) => {
                let ev = Evidence {
                    member: m.name.clone(),
                    period: period.to_string(),
                    snapshot_sha256: c.sha256.clone(),
                    log_index: c.log_index,
                    checkpoint_size: c.checkpoint_size().unwrap_or(0),
                    witnesses: c.witnesses(),
                };
                match c.json().map(|j| rating::rate(method, &j, &ev)) {
                    Some(Ok(r)) => ("rated", None, Some(r)),
                    Some(Err(e)) => ("not_rated", Some(e.to_string()), None),
                    None => (
                        "not_rated",
                        Some("the snapshot's body is not JSON".into()),
                        None,
                    ),
                }
            }
        };
        out.push(MemberRating {
            member: m.name,
            status: status.into(),
            reason,
            rating: r,
        });
    }
    Ok(RatingsView {
        period: period.to_string(),
        method_version: method.version,
        members: out,
    })
}

/// `?period=`.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct PeriodQuery {
    /// The quarter, `YYYY-Qn`.
    pub period: String,
}

/// Every member's rating for a period, with the breakdown and its evidence.
#[utoipa::path(get, path = "/api/v1/ratings", tag = "association",
    security(("bearer" = [])),
    params(PeriodQuery),
    responses(
        (status = 200, body = RatingsView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn get_ratings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    q: Result<Query<PeriodQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<RatingsView>, ApiError> {
    require(&user, Action::ReadRatings)?;
    let period = q
        .map(|Query(q)| q.period)
        .ok()
        .filter(|p| outbound_store::snapshots::valid_period(p))
        .ok_or_else(|| ApiError::bad_request("`period` is a quarter, YYYY-Qn"))?;
    Ok(axum::Json(
        state.store(move |s, _| ratings_of(s, &period)).await?,
    ))
}

/// Scores over periods.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The periods collected, oldest first.
    pub periods: Vec<String>,
    /// One row per member: its score per period (`null` when not rated).
    pub members: Vec<ComparisonRow>,
}

/// One member over periods.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ComparisonRow {
    /// The member.
    pub member: String,
    /// Score per period, in `periods` order.
    pub scores: Vec<Option<f64>>,
    /// Band per period.
    pub bands: Vec<Option<String>>,
}

/// The scores of every member over every period collected.
pub fn comparison(store: &Store) -> Result<Comparison, StoreError> {
    let mut periods: Vec<String> = store
        .collected(None)?
        .into_iter()
        .map(|c| c.period)
        .collect();
    periods.sort();
    periods.dedup();
    let views = periods
        .iter()
        .map(|p| ratings_of(store, p))
        .collect::<Result<Vec<_>, _>>()?;
    let members = store
        .members()?
        .into_iter()
        .map(|m| {
            let of = |v: &RatingsView| {
                v.members
                    .iter()
                    .find(|r| r.member == m.name)
                    .and_then(|r| r.rating.clone())
            };
            ComparisonRow {
                scores: views.iter().map(|v| of(v).and_then(|r| r.score)).collect(),
                bands: views.iter().map(|v| of(v).and_then(|r| r.band)).collect(),
                member: m.name,
            }
        })
        .collect();
    Ok(Comparison { periods, members })
}

/// Every member's score over the periods collected.
#[utoipa::path(get, path = "/api/v1/ratings/compare", tag = "association",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Comparison), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn get_compare(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<axum::Json<Comparison>, ApiError> {
    require(&user, Action::ReadRatings)?;
    Ok(axum::Json(state.store(comparison_of).await?))
}

fn comparison_of(s: &Store, _: &Keys) -> Result<Comparison, StoreError> {
    comparison(s)
}
