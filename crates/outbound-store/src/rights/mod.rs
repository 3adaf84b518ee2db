//! Rights requests of individuals and their forwarding to recipients (issue 14).
//!
//! # The register
//!
//! A [`Request`] (`req-0001` …) is one person's request, received through a
//! [`Channel`], asking for one or more [`RequestKind`]s under one or more
//! regimes (`CN`, `EU` …). The person is known to the store only by the keyed
//! hash of their subject key, the same hash the ledger keeps: the caller
//! computes it with `keys.subject_hash(outbound_gate::normalize_subject(key).as_bytes())`
//! and never hands the raw key to the store. The hash is not serialised with
//! the request (`#[serde(skip)]`) and never appears in an audit entry.
//!
//! The identity check is recorded as how ([`IdentityMethod`]) and when, never
//! the document. A request is then *forwarded* ([`Store::forward_request`]):
//! the store looks up, from the committed deliveries (`deliveries.rs`), every
//! transfer and year that carried the person, and creates exactly one
//! [`RequestPart`] per distinct recipient, naming the transfers and years that
//! reached it. A person carried by no transfer gets no parts. Each recipient
//! answers its part once ([`Store::answer_request_part`]): done or refused
//! (with a [`RefusalReason`]), when, and the SHA-256 of its evidence. The
//! request closes ([`Store::close_request`]) only when every part is answered;
//! the proof it keeps is the audit index of each answer. Or it is refused as a
//! whole ([`Store::refuse_request`]) with a reason code.
//!
//! Pauses (e.g. awaiting identity) are recorded with `from` and `to`
//! ([`Store::pause_request`], [`Store::resume_request`]), an extension with
//! when the person was told and why ([`Store::extend_request`]). The store
//! keeps the facts only: the due dates they imply are computed by
//! `outbound_rules::rights` from the rule data (the store does not depend on
//! the rules crate), e.g. `outbound_rules::rights::due(regime, &clock)`.
//!
//! A request that includes `withdraw_consent`, once the identity is verified
//! (at intake or by [`Store::verify_request_identity`]), also ends every
//! consent of the person in the consent register in the same call
//! ([`Store::consent_withdraw`], logged `consent_withdrawn`), so the gate drops
//! them from the next batch; the request records how many consents ended
//! (`request_consent_withdrawn`).
//!
//! # Integrity and the log
//!
//! Requests and parts are committed by the audit log like the accounts (part
//! `["requests"]`, a small table rehashed before every write): a row inserted
//! or edited behind the log is found by `audit verify` and refused at the next
//! write. Every change is one transaction with one audit entry naming `by`,
//! the request id, kinds, states, recipients and counts, never the keyed hash
//! nor any free text (reasons for pauses and extensions are stored, not
//! logged). Bad input (a time that is not RFC 3339 or lies in the future, an
//! unknown request or recipient, a part answered twice, a text longer than
//! [`TEXT_MAX`]) is refused with a clear error and nothing is stored.
//!
//! # Audit entry kinds
//!
//! `request_opened`, `request_identity`, `request_consent_withdrawn`,
//! `request_forwarded`, `request_part_answered`, `request_paused`,
//! `request_resumed`, `request_extended`, `request_closed`, `request_refused`.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::keys::Keys;
use crate::schema::Backend;
use crate::state::Delta;
use crate::store::Store;
use crate::{StoreError, invalid};

mod model;
mod register;

pub use model::*;

/// The part that summarises the rights requests and their parts.
pub(crate) const REQUESTS: &str = r#"["requests"]"#;

/// The longest free text accepted (a pause's or an extension's reason), in characters.
pub const TEXT_MAX: usize = 500;

/// The migration that creates this workflow's tables.
pub(crate) fn migration(_backend: Backend) -> String {
    "CREATE TABLE rights_requests (
        id TEXT PRIMARY KEY,
        opened_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        channel TEXT NOT NULL,
        kinds TEXT NOT NULL,
        regimes TEXT NOT NULL,
        subject TEXT NOT NULL,
        identity_method TEXT NOT NULL,
        identity_at TEXT,
        state TEXT NOT NULL,
        pauses TEXT NOT NULL,
        extension TEXT,
        consents_withdrawn TEXT,
        closed_at TEXT,
        refusal TEXT,
        proof TEXT NOT NULL
    );
    CREATE TABLE rights_parts (
        request TEXT NOT NULL REFERENCES rights_requests (id),
        recipient TEXT NOT NULL,
        transfers TEXT NOT NULL,
        years TEXT NOT NULL,
        forwarded_at TEXT NOT NULL,
        outcome TEXT,
        reason TEXT,
        answered_at TEXT,
        evidence_sha256 TEXT,
        answer_index BIGINT,
        answered_by TEXT,
        PRIMARY KEY (request, recipient)
    )"
    .to_string()
}

fn conflict(problem: impl Into<String>) -> StoreError {
    StoreError::Conflict {
        problem: problem.into(),
    }
}

fn malformed(what: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |e| StoreError::Malformed {
        what,
        source: Some(Box::new(e)),
    }
}

/// A time the register accepts: RFC 3339, normalised to UTC seconds, not after `now`.
fn past(what: &str, s: &str, now: &str) -> Result<String, StoreError> {
    if s.len() > 64 {
        return Err(invalid(format!("{what} is not an RFC 3339 time")));
    }
    let t: jiff::Timestamp = s
        .parse()
        .map_err(|_| invalid(format!("{what} is not an RFC 3339 time")))?;
    let t = t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    if t.as_str() > now {
        return Err(invalid(format!(
            "{what}, {t}, is in the future (now {now})"
        )));
    }
    Ok(t)
}

/// A free text the register accepts: not empty, at most [`TEXT_MAX`] characters. Never repeated.
fn text(what: &str, s: &str) -> Result<String, StoreError> {
    if s.trim().is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    // Counting stops early: a 10 MB field costs no more than a short one.
    if s.chars().nth(TEXT_MAX).is_some() {
        return Err(invalid(format!(
            "{what} is longer than {TEXT_MAX} characters (a short note, no personal data)"
        )));
    }
    Ok(s.to_string())
}

/// An id-like name (`by`, a recipient, a regime): 1–100 characters, no control characters.
fn name<'a>(what: &str, s: &'a str) -> Result<&'a str, StoreError> {
    if s.is_empty() || s.len() > 100 || s.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} must be 1 to 100 characters on one line"
        )));
    }
    Ok(s)
}

fn request_row(r: &Request) -> serde_json::Value {
    serde_json::json!([
        "request",
        r.id,
        r.opened_at,
        r.received_at,
        r.channel,
        r.kinds,
        r.regimes,
        hex::encode(r.subject),
        r.identity_method,
        r.identity_at,
        r.state,
        r.pauses,
        r.extension,
        r.consents_withdrawn,
        r.closed_at,
        r.refusal,
        r.proof
    ])
}

fn part_row(p: &RequestPart) -> serde_json::Value {
    serde_json::json!([
        "part",
        p.request,
        p.recipient,
        p.transfers,
        p.years,
        p.forwarded_at,
        p.outcome,
        p.reason,
        p.answered_at,
        p.evidence_sha256,
        p.answer_index,
        p.answered_by
    ])
}

const COLUMNS: &str = "id, opened_at, received_at, channel, kinds, regimes, subject, identity_method, \
     identity_at, state, pauses, extension, consents_withdrawn, closed_at, refusal, proof";

const PART_COLUMNS: &str = "request, recipient, transfers, years, forwarded_at, outcome, reason, \
     answered_at, evidence_sha256, answer_index, answered_by";

fn json<T: serde::de::DeserializeOwned>(what: &'static str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(malformed(what))
}

fn opt_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    s: Option<String>,
) -> Result<Option<T>, StoreError> {
    s.map(|s| json(what, &s)).transpose()
}

fn parse<T: FromStr<Err = StoreError>>(what: &'static str, s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Malformed { what, source: None })
}

fn of(r: &sqlx::any::AnyRow) -> Result<Request, StoreError> {
    let subject: String = r.try_get(6)?;
    let subject = hex::decode(&subject)
        .ok()
        .and_then(|v| <[u8; 16]>::try_from(v.as_slice()).ok())
        .ok_or(StoreError::Malformed {
            what: "request subject hash",
            source: None,
        })?;
    Ok(Request {
        id: r.try_get(0)?,
        opened_at: r.try_get(1)?,
        received_at: r.try_get(2)?,
        channel: parse("request channel", &r.try_get::<String, _>(3)?)?,
        kinds: json("request kinds", &r.try_get::<String, _>(4)?)?,
        regimes: json("request regimes", &r.try_get::<String, _>(5)?)?,
        subject,
        identity_method: parse("identity method", &r.try_get::<String, _>(7)?)?,
        identity_at: r.try_get(8)?,
        state: r.try_get(9)?,
        pauses: json("request pauses", &r.try_get::<String, _>(10)?)?,
        extension: opt_json("request extension", r.try_get(11)?)?,
        consents_withdrawn: opt_json("request consents withdrawn", r.try_get(12)?)?,
        closed_at: r.try_get(13)?,
        refusal: r
            .try_get::<Option<String>, _>(14)?
            .map(|s| parse("refusal reason", &s))
            .transpose()?,
        proof: json("request proof", &r.try_get::<String, _>(15)?)?,
        parts: Vec::new(),
    })
}

fn part_of(r: &sqlx::any::AnyRow) -> Result<RequestPart, StoreError> {
    Ok(RequestPart {
        request: r.try_get(0)?,
        recipient: r.try_get(1)?,
        transfers: json("part transfers", &r.try_get::<String, _>(2)?)?,
        years: json("part years", &r.try_get::<String, _>(3)?)?,
        forwarded_at: r.try_get(4)?,
        outcome: r
            .try_get::<Option<String>, _>(5)?
            .map(|s| parse("part outcome", &s))
            .transpose()?,
        reason: r
            .try_get::<Option<String>, _>(6)?
            .map(|s| parse("part reason", &s))
            .transpose()?,
        answered_at: r.try_get(7)?,
        evidence_sha256: r.try_get(8)?,
        answer_index: r.try_get::<Option<i64>, _>(9)?.map(|i| i as u64),
        answered_by: r.try_get(10)?,
    })
}

/// Every row of this module's small-table parts, into `d`.
pub(crate) async fn parts(conn: &mut AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM rights_requests");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(REQUESTS, &request_row(&of(&r)?), false);
    }
    let sql = format!("SELECT {PART_COLUMNS} FROM rights_parts");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(REQUESTS, &part_row(&part_of(&r)?), false);
    }
    Ok(())
}

async fn parts_of(conn: &mut AnyConnection, id: &str) -> Result<Vec<RequestPart>, StoreError> {
    let sql =
        format!("SELECT {PART_COLUMNS} FROM rights_parts WHERE request = $1 ORDER BY recipient");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(part_of)
        .collect()
}

async fn request_in(tx: &mut Transaction<'static, Any>, id: &str) -> Result<Request, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM rights_requests WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(r) = row else {
        let shown: String = id.chars().take(40).collect();
        return Err(StoreError::NotFound {
            what: format!("rights request `{shown}`"),
        });
    };
    let mut req = of(&r)?;
    req.parts = parts_of(tx, id).await?;
    Ok(req)
}

fn unfinished(r: &Request) -> Result<(), StoreError> {
    if r.finished() {
        return Err(conflict(format!(
            "rights request `{}` is already {}",
            r.id, r.state
        )));
    }
    Ok(())
}

/// Replaces the request's mutable columns by `new`'s and moves the digest.
async fn update(
    tx: &mut Transaction<'static, Any>,
    old: &Request,
    new: &Request,
    delta: &mut Delta,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE rights_requests SET identity_method = $1, identity_at = $2, state = $3, pauses = $4, \
         extension = $5, consents_withdrawn = $6, closed_at = $7, refusal = $8, proof = $9 WHERE id = $10",
    )
    .bind(new.identity_method.as_str())
    .bind(new.identity_at.clone())
    .bind(new.state.clone())
    .bind(serde_json::json!(new.pauses).to_string())
    .bind(new.extension.as_ref().map(|e| serde_json::json!(e).to_string()))
    .bind(
        new.consents_withdrawn
            .as_ref()
            .map(|c| serde_json::json!(c).to_string()),
    )
    .bind(new.closed_at.clone())
    .bind(new.refusal.map(|r| r.as_str()))
    .bind(serde_json::json!(new.proof).to_string())
    .bind(new.id.clone())
    .execute(&mut **tx)
    .await?;
    delta.remove(REQUESTS, &request_row(old), false);
    delta.insert(REQUESTS, &request_row(new), false);
    Ok(())
}

/// Updates the request, logs `kind` with `body` (plus the id, state and `by`), commits.
async fn commit_change(
    mut tx: Transaction<'static, Any>,
    keys: &Keys,
    old: &Request,
    new: &Request,
    kind: &str,
    by: &str,
    mut body: serde_json::Value,
) -> Result<u64, StoreError> {
    let mut delta = Delta::default();
    update(&mut tx, old, new, &mut delta).await?;
    delta.apply(&mut tx).await?;
    body["request"] = new.id.clone().into();
    body["state"] = new.state.clone().into();
    body["by"] = by.into();
    let (idx, _) = crate::audit::append(&mut tx, keys, kind, body).await?;
    tx.commit().await?;
    Ok(idx)
}

fn needs_withdrawal(r: &Request) -> bool {
    r.kinds.contains(&RequestKind::WithdrawConsent)
        && r.identity_method != IdentityMethod::NoneYet
        && r.consents_withdrawn.is_none()
        && !r.finished()
}
