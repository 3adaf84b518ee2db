//! The overseas recipient's obligations and attestations under
//! `/api/v1/recipients/{id}/`: the checklist that applies to the recipient
//! (from the mechanisms of the transfers made to it, `outbound-rules`) with
//! where each obligation stands, and the recipient's attestations.
//!
//! A recipient account reads and attests for its own recipient only; another
//! recipient's id is answered 404, like an id that does not exist. Notes are
//! never shown here (they are free text): only dates, statements and hashes.

use axum::extract::State;
use axum::http::StatusCode;
use outbound_rules::recipient::{Checklist, LastAttestation, status};
use outbound_store::recipients::{NewAttestation, Statement};
use outbound_store::{Account, Role};

use crate::access::{Action, require};
use crate::api::{ApiJson, ApiPath};
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// One obligation with where it stands.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ObligationView {
    /// Obligation id (`sc-3-5`, `scc2-8.6`).
    pub id: String,
    /// Article or clause, in English.
    pub reference: String,
    /// Article or clause, in Chinese.
    pub reference_zh: String,
    /// What the recipient must do, in English.
    pub text_en: String,
    /// What the recipient must do, in Chinese.
    pub text_zh: String,
    /// Whether the clause was confirmed against the text (`confirmed` / `unconfirmed`).
    pub source_status: String,
    /// The transfers whose mechanism brings it.
    pub transfers: Vec<String>,
    /// `not_met`, `overdue`, `never_attested`, `due_soon` or `current`.
    pub standing: String,
    /// The day of the latest attestation (YYYY-MM-DD), if any.
    pub last_attested: Option<String>,
    /// The latest attestation's statement (`attested` / `not_met`), if any.
    pub last_statement: Option<String>,
    /// When the next attestation is due (YYYY-MM-DD).
    pub due: Option<String>,
}

/// `GET /api/v1/recipients/{id}/obligations`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ObligationList {
    /// The recipient's id.
    pub recipient: String,
    /// The day judged (YYYY-MM-DD).
    pub as_of: String,
    /// Months between attestations of one obligation.
    pub schedule_months: i32,
    /// Not met and overdue first.
    pub obligations: Vec<ObligationView>,
    /// Mechanisms of its transfers with no checklist (e.g. `scc module 3`).
    pub uncovered: Vec<String>,
}

/// An attestation to record.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct AttestationRequest {
    /// The obligation's id (one of the recipient's obligations).
    #[schema(max_length = 200)]
    pub obligation: String,
    /// `attested` (the obligation is met) or `not_met`.
    #[schema(value_type = String, example = "attested")]
    pub statement: Statement,
    /// SHA-256 (64 hex digits) of each evidence file; at least one unless `not_met`; at most 100.
    #[serde(default)]
    pub evidence_sha256: Vec<String>,
    /// A note (at most 500 characters), kept with the attestation, never in the audit log.
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// An attestation recorded.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AttestationView {
    /// Its number.
    pub id: i64,
    /// The recipient's id.
    pub recipient: String,
    /// The obligation's id.
    pub obligation: String,
    /// When it was recorded (UTC).
    pub attested_at: String,
    /// The account that made it.
    pub by: String,
    /// `attested` or `not_met`.
    pub statement: String,
    /// SHA-256 of each evidence file.
    pub evidence_sha256: Vec<String>,
}

/// The recipient's checklist if it exists and the account may see it; the
/// same 404 otherwise, so that ids cannot be probed.
pub fn visible_checklist(
    state: &AppState,
    user: &Account,
    id: &str,
) -> Result<Checklist, ApiError> {
    if user.role == Role::Recipient && user.recipient.as_deref() != Some(id) {
        return Err(ApiError::not_found("no such recipient"));
    }
    state
        .checklist(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("no such recipient"))
}

/// The UTC day of a stored RFC 3339 time.
fn day_of(at: &str) -> Option<jiff::civil::Date> {
    at.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// The obligations of `id` with where each stands, for `user`.
pub async fn obligations(
    state: &AppState,
    user: &Account,
    id: &str,
) -> Result<ObligationList, ApiError> {
    require(user, Action::ReadObligations)?;
    visible_checklist(state, user, id)?;
    let rid = id.to_string();
    let latest = state
        .store(move |s, _| s.latest_attestations(Some(&rid)))
        .await?;
    obligations_from(state, user, id, &latest)
}

/// As [`obligations`], from the latest attestations already read (those of
/// other recipients are ignored): a page listing many recipients reads the
/// store once, not once per recipient.
pub fn obligations_from(
    state: &AppState,
    user: &Account,
    id: &str,
    latest: &[outbound_store::recipients::Attestation],
) -> Result<ObligationList, ApiError> {
    require(user, Action::ReadObligations)?;
    let c = visible_checklist(state, user, id)?;
    let latest: Vec<&outbound_store::recipients::Attestation> =
        latest.iter().filter(|a| a.recipient == id).collect();
    let last: Vec<LastAttestation> = latest
        .iter()
        .filter_map(|a| {
            Some(LastAttestation {
                obligation: a.obligation.clone(),
                on: day_of(&a.attested_at)?,
                not_met: a.statement == Statement::NotMet,
            })
        })
        .collect();
    let as_of = state.as_of();
    let obligations = status(&c, &last, as_of)
        .into_iter()
        .filter_map(|st| {
            let item = c.items.iter().find(|a| a.obligation.id == st.obligation)?;
            let o = item.obligation;
            let l = latest.iter().find(|a| a.obligation == o.id);
            Some(ObligationView {
                id: o.id.clone(),
                reference: o.reference.clone(),
                reference_zh: o.reference_zh.clone(),
                text_en: o.en.clone(),
                text_zh: o.zh.clone(),
                source_status: o.status.clone(),
                transfers: item.transfers.clone(),
                standing: st.standing.as_str().to_string(),
                last_attested: st.last.map(|d| d.to_string()),
                last_statement: l.map(|a| a.statement.as_str().to_string()),
                due: st.due.map(|d| d.to_string()),
            })
        })
        .collect();
    Ok(ObligationList {
        recipient: id.to_string(),
        as_of: as_of.to_string(),
        schedule_months: outbound_rules::recipient::data().schedule.months,
        obligations,
        uncovered: c
            .uncovered
            .iter()
            .map(|u| format!("{} ({})", u.mechanism, u.transfer))
            .collect(),
    })
}

/// Records `user`'s attestation for recipient `id`; every refusal stores nothing.
pub async fn attest(
    state: &AppState,
    user: &Account,
    id: &str,
    req: AttestationRequest,
) -> Result<AttestationView, ApiError> {
    require(user, Action::Attest)?;
    let c = visible_checklist(state, user, id)?;
    if !c.items.iter().any(|a| a.obligation.id == req.obligation) {
        return Err(ApiError::bad_request(
            "`obligation` is not one of this recipient's obligations (see its obligations)",
        ));
    }
    if req.statement == Statement::Attested && req.evidence_sha256.is_empty() {
        return Err(ApiError::bad_request(
            "an attestation needs at least one `evidence_sha256` (or `statement`: `not_met`)",
        ));
    }
    let new = NewAttestation {
        recipient: id.to_string(),
        obligation: req.obligation,
        statement: req.statement,
        evidence_sha256: req.evidence_sha256,
        note: req.note.filter(|n| !n.trim().is_empty()),
    };
    outbound_store::recipients::check(&new, &user.name).map_err(ApiError::bad_request)?;
    let by = user.name.clone();
    let a = state.store(move |s, k| s.attest(k, &by, &new)).await?;
    Ok(AttestationView {
        id: a.id,
        recipient: a.recipient,
        obligation: a.obligation,
        attested_at: a.attested_at,
        by: a.by,
        statement: a.statement.as_str().to_string(),
        evidence_sha256: a.evidence_sha256,
    })
}

/// The recipient's obligations, with where each stands (a recipient: its own only).
#[utoipa::path(get, path = "/api/v1/recipients/{id}/obligations", tag = "recipients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Recipient id")),
    responses(
        (status = 200, body = ObligationList), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn get_obligations(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<axum::Json<ObligationList>, ApiError> {
    Ok(axum::Json(obligations(&state, &user, &id).await?))
}

/// Attests one obligation with the SHA-256 of the evidence files (a recipient: its own only).
#[utoipa::path(post, path = "/api/v1/recipients/{id}/attestations", tag = "recipients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Recipient id")),
    request_body = AttestationRequest,
    responses(
        (status = 201, body = AttestationView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn post_attestation(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<AttestationRequest>,
) -> Result<(StatusCode, axum::Json<AttestationView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(attest(&state, &user, &id, req).await?),
    ))
}
