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
use crate::store::{Store, lock};
use crate::{StoreError, invalid};

/// The part that summarises the rights requests and their parts.
pub(crate) const REQUESTS: &str = r#"["requests"]"#;

/// The longest free text accepted (a pause's or an extension's reason), in characters.
pub const TEXT_MAX: usize = 500;

use crate::names::named_enum;

named_enum!(
    /// How a request reached the company.
    Channel, "channel", {
        /// Entered by compliance staff.
        Staff => "staff",
        /// Through the API.
        Api => "api",
        /// Through the public form (no account).
        PublicForm => "public_form",
    }
);

named_enum!(
    /// What the person asks for (PIPL Art. 44–48 and 15; GDPR Art. 15–22 and 7(3)).
    RequestKind, "request kind", {
        /// To know how their information is processed (PIPL Art. 44).
        Know => "know",
        /// To access it (PIPL Art. 45; GDPR Art. 15).
        Access => "access",
        /// To get a copy (PIPL Art. 45; GDPR Art. 15(3), 20).
        Copy => "copy",
        /// To correct or complete it (PIPL Art. 46; GDPR Art. 16).
        Correct => "correct",
        /// To delete it (PIPL Art. 47; GDPR Art. 17).
        Delete => "delete",
        /// To restrict or refuse processing (PIPL Art. 44; GDPR Art. 18, 21).
        Restrict => "restrict",
        /// To withdraw consent (PIPL Art. 15; GDPR Art. 7(3)).
        WithdrawConsent => "withdraw_consent",
        /// To have the processing rules explained (PIPL Art. 48; GDPR Art. 22(3)).
        Explain => "explain",
    }
);

named_enum!(
    /// How the person's identity was checked (the method, never the document).
    IdentityMethod, "identity method", {
        /// Signed in to their own account.
        AccountLogin => "account_login",
        /// An identity document was seen (not kept).
        IdDocumentSighted => "id_document_sighted",
        /// A video call.
        VideoCall => "video_call",
        /// A code sent to contact details already on file.
        KnownContact => "known_contact",
        /// Not checked yet.
        NoneYet => "none_yet",
    }
);

named_enum!(
    /// A recipient's answer to its part.
    PartOutcome, "outcome", {
        /// Carried out.
        Done => "done",
        /// Refused, with a reason code.
        Refused => "refused",
    }
);

named_enum!(
    /// Why a request or a part was refused.
    RefusalReason, "refusal reason", {
        /// The identity could not be verified.
        IdentityNotVerified => "identity_not_verified",
        /// Manifestly unfounded (GDPR Art. 12(5)).
        ManifestlyUnfounded => "manifestly_unfounded",
        /// Excessive, in particular repetitive (GDPR Art. 12(5)).
        Excessive => "excessive",
        /// The recipient holds no data of the person.
        NotHeld => "not_held",
        /// A retention period set by law has not expired (PIPL Art. 47(2)).
        LegalRetention => "legal_retention",
        /// Another exemption provided by law.
        LegalExemption => "legal_exemption",
        /// Any other reason, explained to the person outside the register.
        Other => "other",
    }
);

/// A pause of a request's clock.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pause {
    /// When it started (UTC, RFC 3339).
    pub from: String,
    /// When it ended, if it has.
    pub to: Option<String>,
    /// Why (no personal data; stored, not logged).
    pub reason: String,
}

/// An extension of a request's time limit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Extension {
    /// When the person was told of it (UTC, RFC 3339).
    pub at: String,
    /// Why (no personal data; stored, not logged).
    pub reason: String,
}

/// The consents a `withdraw_consent` request ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsentsWithdrawn {
    /// When (UTC, RFC 3339).
    pub at: String,
    /// How many consents ended (0 if the person had none).
    pub count: u64,
}

/// One recipient's share of a forwarded request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RequestPart {
    /// The request.
    pub request: String,
    /// The recipient it is forwarded to.
    pub recipient: String,
    /// The transfers that carried the person to it, sorted.
    pub transfers: Vec<String>,
    /// The years in which they did, sorted.
    pub years: Vec<i64>,
    /// When it was forwarded (UTC, RFC 3339).
    pub forwarded_at: String,
    /// The answer, once given.
    pub outcome: Option<PartOutcome>,
    /// Why it was refused.
    pub reason: Option<RefusalReason>,
    /// When the recipient answered (UTC, RFC 3339).
    pub answered_at: Option<String>,
    /// The SHA-256 (hex) of the evidence it gave, if any.
    pub evidence_sha256: Option<String>,
    /// The audit index of the answer's entry: the proof the request keeps.
    pub answer_index: Option<u64>,
    /// Who recorded the answer.
    pub answered_by: Option<String>,
}

/// A rights request, with its parts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Request {
    /// Its id (`req-0001` …), given by the store.
    pub id: String,
    /// When it was entered in the register (UTC, RFC 3339).
    pub opened_at: String,
    /// When it was received (UTC, RFC 3339): the clocks start here.
    pub received_at: String,
    /// How it came in.
    pub channel: Channel,
    /// What the person asks for, sorted, once each.
    pub kinds: Vec<RequestKind>,
    /// The regimes whose time limits apply (`CN`, `EU` …), sorted.
    pub regimes: Vec<String>,
    /// The keyed hash of the person's subject key. Never serialised, never logged.
    #[serde(skip)]
    pub subject: [u8; 16],
    /// How the identity was checked.
    pub identity_method: IdentityMethod,
    /// When it was checked.
    pub identity_at: Option<String>,
    /// `open`, `forwarded`, `closed` or `refused`.
    pub state: String,
    /// The pauses of its clock, oldest first (the last may still run).
    pub pauses: Vec<Pause>,
    /// Its extension, if any.
    pub extension: Option<Extension>,
    /// For `withdraw_consent`: the consents ended.
    pub consents_withdrawn: Option<ConsentsWithdrawn>,
    /// When it was closed or refused.
    pub closed_at: Option<String>,
    /// For a refused request: why.
    pub refusal: Option<RefusalReason>,
    /// For a closed request: the audit indexes of its parts' answers.
    pub proof: Vec<u64>,
    /// One part per recipient it was forwarded to, by recipient.
    pub parts: Vec<RequestPart>,
}

impl Request {
    /// Whether its clock is paused now (its last pause has no end).
    pub fn paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    /// Whether it is closed or refused.
    pub fn finished(&self) -> bool {
        self.state == "closed" || self.state == "refused"
    }
}

/// What opens a request.
#[derive(Clone, Debug)]
pub struct NewRequest<'a> {
    /// When it was received (RFC 3339; not in the future).
    pub received_at: &'a str,
    /// How it came in.
    pub channel: Channel,
    /// What the person asks for (at least one).
    pub kinds: &'a [RequestKind],
    /// The regimes whose time limits apply (at least one; `CN`, `EU` …).
    pub regimes: &'a [String],
    /// The keyed hash of the person's normalised subject key.
    pub subject: [u8; 16],
    /// How the identity was checked (`NoneYet` if not yet).
    pub identity: IdentityMethod,
    /// When it was checked (RFC 3339); defaults to `received_at` when checked.
    pub identity_at: Option<&'a str>,
}

/// A recipient's answer to its part.
#[derive(Clone, Debug)]
pub struct PartAnswer<'a> {
    /// Done or refused.
    pub outcome: PartOutcome,
    /// Required when refused.
    pub reason: Option<RefusalReason>,
    /// When it answered (RFC 3339; not in the future); defaults to now.
    pub answered_at: Option<&'a str>,
    /// The SHA-256 (64 hex digits) of the evidence, if any.
    pub evidence_sha256: Option<&'a str>,
}

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

impl Store {
    /// Opens a rights request; `by` names who entered it (an account, `cli`,
    /// or `public` for the public form). The audit entry (`request_opened`)
    /// carries the id, channel, kinds, regimes and identity method, never the
    /// keyed hash. Refuses a received time that is not RFC 3339 or lies in the
    /// future, no kinds, no regimes, or a malformed regime; nothing is stored
    /// then. With `withdraw_consent` and a verified identity, also ends the
    /// person's consents (see the module doc).
    pub fn open_request(
        &self,
        keys: &Keys,
        by: &str,
        new: &NewRequest<'_>,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let (now, _) = crate::audit::now();
        let received_at = past("the time the request was received", new.received_at, &now)?;
        if new.kinds.is_empty() {
            return Err(invalid("a request asks for at least one kind"));
        }
        if new.regimes.is_empty() {
            return Err(invalid("a request names at least one regime (CN, EU …)"));
        }
        for r in new.regimes {
            if r.is_empty() || r.len() > 8 || !r.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid("a regime is 1 to 8 letters or digits (CN, EU …)"));
            }
        }
        let identity_at = match (new.identity, new.identity_at) {
            (IdentityMethod::NoneYet, Some(_)) => {
                return Err(invalid("an identity time is given but no identity method"));
            }
            (IdentityMethod::NoneYet, None) => None,
            (_, Some(at)) => {
                let at = past("the time the identity was checked", at, &now)?;
                if at < received_at {
                    return Err(invalid(format!(
                        "the identity check {at} is before the request was received ({received_at})"
                    )));
                }
                Some(at)
            }
            (_, None) => Some(received_at.clone()),
        };
        let kinds: BTreeSet<RequestKind> = new.kinds.iter().copied().collect();
        let regimes: BTreeSet<String> = new.regimes.iter().cloned().collect();
        let req = self.run("open a rights request", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM rights_requests")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            let r = Request {
                id: format!("req-{:04}", n + 1),
                opened_at: now.clone(),
                received_at,
                channel: new.channel,
                kinds: kinds.into_iter().collect(),
                regimes: regimes.into_iter().collect(),
                subject: new.subject,
                identity_method: new.identity,
                identity_at,
                state: "open".into(),
                pauses: Vec::new(),
                extension: None,
                consents_withdrawn: None,
                closed_at: None,
                refusal: None,
                proof: Vec::new(),
                parts: Vec::new(),
            };
            let sql = format!(
                "INSERT INTO rights_requests ({COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(r.id.clone())
                .bind(r.opened_at.clone())
                .bind(r.received_at.clone())
                .bind(r.channel.as_str())
                .bind(serde_json::json!(r.kinds).to_string())
                .bind(serde_json::json!(r.regimes).to_string())
                .bind(hex::encode(r.subject))
                .bind(r.identity_method.as_str())
                .bind(r.identity_at.clone())
                .bind(r.state.clone())
                .bind("[]")
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind("[]")
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.insert(REQUESTS, &request_row(&r), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "request": r.id, "channel": r.channel, "kinds": r.kinds, "regimes": r.regimes,
                "received_at": r.received_at, "identity": r.identity_method, "state": r.state, "by": by,
            });
            crate::audit::append(&mut tx, keys, "request_opened", body).await?;
            tx.commit().await?;
            Ok(r)
        })?;
        if needs_withdrawal(&req) {
            return self.withdraw_request_consents(keys, by, &req.id);
        }
        Ok(req)
    }

    /// Records how and when the person's identity was checked (once; not
    /// `none_yet`; not before receipt, not in the future; defaults to now).
    /// With `withdraw_consent`, then ends the person's consents.
    pub fn verify_request_identity(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        method: IdentityMethod,
        at: Option<&str>,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        if method == IdentityMethod::NoneYet {
            return Err(invalid("name how the identity was checked (not none_yet)"));
        }
        let (now, _) = crate::audit::now();
        let at = match at {
            Some(at) => past("the time the identity was checked", at, &now)?,
            None => now.clone(),
        };
        let req = self.run("record an identity check", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if old.identity_method != IdentityMethod::NoneYet {
                return Err(conflict(format!(
                    "the identity for rights request `{id}` was already checked ({})",
                    old.identity_method
                )));
            }
            if at < old.received_at {
                return Err(invalid(format!(
                    "the identity check {at} is before the request was received ({})",
                    old.received_at
                )));
            }
            let new = Request {
                identity_method: method,
                identity_at: Some(at.clone()),
                ..old.clone()
            };
            let body = serde_json::json!({"identity": method, "identity_at": at});
            commit_change(tx, keys, &old, &new, "request_identity", by, body).await?;
            Ok(new)
        })?;
        if needs_withdrawal(&req) {
            return self.withdraw_request_consents(keys, by, &req.id);
        }
        Ok(req)
    }

    /// For a `withdraw_consent` request whose identity is verified: ends every
    /// consent of the person in the consent register ([`Store::consent_withdraw`],
    /// logged `consent_withdrawn`), then records on the request when and how
    /// many (`request_consent_withdrawn`). Called by [`Store::open_request`]
    /// and [`Store::verify_request_identity`]; public so that a flow
    /// interrupted between the two steps can be completed. Refuses a request
    /// without that kind, unverified, finished, or already done.
    pub fn withdraw_request_consents(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
    ) -> Result<Request, StoreError> {
        let req = self
            .rights_request(id)?
            .ok_or_else(|| StoreError::NotFound {
                what: format!(
                    "rights request `{}`",
                    id.chars().take(40).collect::<String>()
                ),
            })?;
        if !needs_withdrawal(&req) {
            return Err(conflict(format!(
                "rights request `{id}` has no consent withdrawal pending (it needs the kind \
                 withdraw_consent, a verified identity, and no withdrawal recorded)"
            )));
        }
        let (at, _) = crate::audit::now();
        let count = self.consent_withdraw(keys, req.subject, None, &at)?;
        self.run("record a consent withdrawal", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            if old.consents_withdrawn.is_some() {
                return Err(conflict(format!(
                    "the consents of rights request `{id}` were already withdrawn"
                )));
            }
            let new = Request {
                consents_withdrawn: Some(ConsentsWithdrawn {
                    at: at.clone(),
                    count,
                }),
                ..old.clone()
            };
            let body = serde_json::json!({"withdrawn": count, "at": at});
            commit_change(tx, keys, &old, &new, "request_consent_withdrawn", by, body).await?;
            Ok(new)
        })
    }

    /// Forwards the request to every recipient that received the person: one
    /// part per distinct recipient, from the committed deliveries, with the
    /// transfers and years that reached it (none if no transfer carried the
    /// person). Refuses a request whose identity is not verified, already
    /// forwarded, or finished. Logged `request_forwarded` with the recipients
    /// and counts.
    pub fn forward_request(&self, keys: &Keys, by: &str, id: &str) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let (now, _) = crate::audit::now();
        self.run("forward a rights request", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if old.state != "open" {
                return Err(conflict(format!("rights request `{id}` was already forwarded")));
            }
            if old.identity_method == IdentityMethod::NoneYet {
                return Err(invalid(format!(
                    "the identity for rights request `{id}` is not checked yet: record it before forwarding"
                )));
            }
            let rows = sqlx::query(
                "SELECT d.transfer, b.recipient, d.year FROM deliveries d JOIN batches b ON b.id = d.batch \
                 WHERE d.subject = $1",
            )
            .bind(old.subject.to_vec())
            .fetch_all(&mut *tx)
            .await?;
            let mut per: BTreeMap<String, (BTreeSet<String>, BTreeSet<i64>)> = BTreeMap::new();
            for r in &rows {
                let e = per.entry(r.try_get(1)?).or_default();
                e.0.insert(r.try_get(0)?);
                e.1.insert(r.try_get(2)?);
            }
            let mut delta = Delta::default();
            let mut parts = Vec::new();
            for (recipient, (transfers, years)) in per {
                let p = RequestPart {
                    request: old.id.clone(),
                    recipient,
                    transfers: transfers.into_iter().collect(),
                    years: years.into_iter().collect(),
                    forwarded_at: now.clone(),
                    outcome: None,
                    reason: None,
                    answered_at: None,
                    evidence_sha256: None,
                    answer_index: None,
                    answered_by: None,
                };
                let sql = format!(
                    "INSERT INTO rights_parts ({PART_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(p.request.clone())
                    .bind(p.recipient.clone())
                    .bind(serde_json::json!(p.transfers).to_string())
                    .bind(serde_json::json!(p.years).to_string())
                    .bind(p.forwarded_at.clone())
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(None::<i64>)
                    .bind(None::<String>)
                    .execute(&mut *tx)
                    .await?;
                delta.insert(REQUESTS, &part_row(&p), false);
                parts.push(p);
            }
            let new = Request {
                state: "forwarded".into(),
                parts: parts.clone(),
                ..old.clone()
            };
            update(&mut tx, &old, &new, &mut delta).await?;
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "request": id, "state": new.state, "parts": parts.len(),
                "recipients": parts.iter().map(|p| p.recipient.as_str()).collect::<Vec<_>>(),
                "deliveries": rows.len(), "by": by,
            });
            crate::audit::append(&mut tx, keys, "request_forwarded", body).await?;
            tx.commit().await?;
            Ok(new)
        })
    }

    /// Records a recipient's answer to its part, once. A refusal needs a
    /// reason code; the evidence is given by its SHA-256 (64 hex digits). The
    /// answer's time is not in the future nor before the part was forwarded.
    /// The part keeps the audit index of this entry (`request_part_answered`):
    /// the proof the closed request lists.
    pub fn answer_request_part(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        recipient: &str,
        answer: &PartAnswer<'_>,
    ) -> Result<RequestPart, StoreError> {
        name("`by`", by)?;
        name("the recipient", recipient)?;
        let (now, _) = crate::audit::now();
        let answered_at = match answer.answered_at {
            Some(at) => past("the time of the answer", at, &now)?,
            None => now.clone(),
        };
        match (answer.outcome, answer.reason) {
            (PartOutcome::Refused, None) => {
                return Err(invalid("a refusal needs a reason code"));
            }
            (PartOutcome::Done, Some(_)) => {
                return Err(invalid("a reason code is only for a refusal"));
            }
            _ => {}
        }
        let evidence = match answer.evidence_sha256 {
            Some(h) if h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()) => {
                Some(h.to_ascii_lowercase())
            }
            Some(_) => return Err(invalid("the evidence's SHA-256 is not 64 hex digits")),
            None => None,
        };
        self.run("answer a rights request part", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            let checked = crate::state::check(&mut tx, keys).await?;
            let req = request_in(&mut tx, id).await?;
            unfinished(&req)?;
            let Some(old) = req.parts.iter().find(|p| p.recipient == recipient).cloned() else {
                return Err(StoreError::NotFound {
                    what: format!("a part of rights request `{id}` for recipient `{recipient}`"),
                });
            };
            if let Some(o) = old.outcome {
                return Err(conflict(format!(
                    "recipient `{recipient}` already answered rights request `{id}` ({o}, at {})",
                    old.answered_at.as_deref().unwrap_or("?")
                )));
            }
            if answered_at < old.forwarded_at {
                return Err(invalid(format!(
                    "the answer {answered_at} is before the request was forwarded ({})",
                    old.forwarded_at
                )));
            }
            // The entry appended below is the log's next one.
            let index = checked.size;
            let new = RequestPart {
                outcome: Some(answer.outcome),
                reason: answer.reason,
                answered_at: Some(answered_at.clone()),
                evidence_sha256: evidence.clone(),
                answer_index: Some(index),
                answered_by: Some(by.to_string()),
                ..old.clone()
            };
            sqlx::query(
                "UPDATE rights_parts SET outcome = $1, reason = $2, answered_at = $3, evidence_sha256 = $4, \
                 answer_index = $5, answered_by = $6 WHERE request = $7 AND recipient = $8",
            )
            .bind(answer.outcome.as_str())
            .bind(answer.reason.map(|r| r.as_str()))
            .bind(answered_at.clone())
            .bind(evidence.clone())
            .bind(index as i64)
            .bind(by.to_string())
            .bind(id.to_string())
            .bind(recipient.to_string())
            .execute(&mut *tx)
            .await?;
            let mut delta = Delta::default();
            delta.remove(REQUESTS, &part_row(&old), false);
            delta.insert(REQUESTS, &part_row(&new), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "request": id, "recipient": recipient, "outcome": answer.outcome,
                "reason": answer.reason, "answered_at": answered_at,
                "evidence_sha256": evidence, "by": by,
            });
            let (idx, _) =
                crate::audit::append(&mut tx, keys, "request_part_answered", body).await?;
            if idx != index {
                return Err(conflict("the audit log moved while the answer was recorded; try again"));
            }
            tx.commit().await?;
            Ok(new)
        })
    }

    /// Pauses the request's clock (e.g. awaiting identity verification) from
    /// `from` (default now; not before receipt, not in the future). Refuses a
    /// request already paused or finished. The reason is stored, not logged.
    pub fn pause_request(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        reason: &str,
        from: Option<&str>,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let reason = text("the reason for the pause", reason)?;
        let (now, _) = crate::audit::now();
        let from = match from {
            Some(f) => past("the start of the pause", f, &now)?,
            None => now.clone(),
        };
        self.run("pause a rights request", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if old.paused() {
                return Err(conflict(format!("rights request `{id}` is already paused")));
            }
            let floor = old
                .pauses
                .last()
                .and_then(|p| p.to.clone())
                .unwrap_or_else(|| old.received_at.clone());
            if from < floor {
                return Err(invalid(format!(
                    "the pause would start at {from}, before {floor} (receipt or the end of the last pause)"
                )));
            }
            let mut new = old.clone();
            new.pauses.push(Pause {
                from: from.clone(),
                to: None,
                reason,
            });
            let body = serde_json::json!({"from": from, "pauses": new.pauses.len()});
            commit_change(tx, keys, &old, &new, "request_paused", by, body).await?;
            Ok(new)
        })
    }

    /// Ends the running pause at `to` (default now; not before its start, not in the future).
    pub fn resume_request(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        to: Option<&str>,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let (now, _) = crate::audit::now();
        let to = match to {
            Some(t) => past("the end of the pause", t, &now)?,
            None => now.clone(),
        };
        self.run("resume a rights request", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if !old.paused() {
                return Err(conflict(format!("rights request `{id}` is not paused")));
            }
            let mut new = old.clone();
            let last = new.pauses.last_mut().expect("paused");
            if to < last.from {
                return Err(invalid(format!(
                    "the pause would end at {to}, before it started ({})",
                    last.from
                )));
            }
            last.to = Some(to.clone());
            let body = serde_json::json!({"from": last.from, "to": to});
            commit_change(tx, keys, &old, &new, "request_resumed", by, body).await?;
            Ok(new)
        })
    }

    /// Records the extension of the time limit: when the person was told
    /// (`at`, default now; not before receipt, not in the future) and why.
    /// Once per request. Whether it was told in time, and the new due date,
    /// are for `outbound_rules::rights` to say.
    pub fn extend_request(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        reason: &str,
        at: Option<&str>,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let reason = text("the reason for the extension", reason)?;
        let (now, _) = crate::audit::now();
        let at = match at {
            Some(a) => past("the time the person was told of the extension", a, &now)?,
            None => now.clone(),
        };
        self.run("extend a rights request", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if old.extension.is_some() {
                return Err(conflict(format!(
                    "rights request `{id}` was already extended"
                )));
            }
            if at < old.received_at {
                return Err(invalid(format!(
                    "the extension {at} is before the request was received ({})",
                    old.received_at
                )));
            }
            let new = Request {
                extension: Some(Extension {
                    at: at.clone(),
                    reason,
                }),
                ..old.clone()
            };
            let body = serde_json::json!({"at": at});
            commit_change(tx, keys, &old, &new, "request_extended", by, body).await?;
            Ok(new)
        })
    }

    /// Closes a forwarded request once every part is answered; its proof is
    /// the audit indexes of the answers. Refuses a request not forwarded yet,
    /// with a part unanswered, paused, or finished.
    pub fn close_request(&self, keys: &Keys, by: &str, id: &str) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let (now, _) = crate::audit::now();
        self.run("close a rights request", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            if old.state != "forwarded" {
                return Err(conflict(format!(
                    "rights request `{id}` is not forwarded yet: forward it first"
                )));
            }
            if old.paused() {
                return Err(conflict(format!(
                    "rights request `{id}` is paused: resume it first"
                )));
            }
            let waiting: Vec<&str> = old
                .parts
                .iter()
                .filter(|p| p.outcome.is_none())
                .map(|p| p.recipient.as_str())
                .collect();
            if !waiting.is_empty() {
                return Err(conflict(format!(
                    "rights request `{id}` still waits for {} recipient(s): {}",
                    waiting.len(),
                    waiting.join(", ")
                )));
            }
            let mut proof: Vec<u64> = old.parts.iter().filter_map(|p| p.answer_index).collect();
            proof.sort_unstable();
            let new = Request {
                state: "closed".into(),
                closed_at: Some(now.clone()),
                proof: proof.clone(),
                ..old.clone()
            };
            let body = serde_json::json!({"parts": old.parts.len(), "proof": proof});
            commit_change(tx, keys, &old, &new, "request_closed", by, body).await?;
            Ok(new)
        })
    }

    /// Refuses the request as a whole, with a reason code (the person is told
    /// outside the register). Refuses a request already finished.
    pub fn refuse_request(
        &self,
        keys: &Keys,
        by: &str,
        id: &str,
        reason: RefusalReason,
    ) -> Result<Request, StoreError> {
        name("`by`", by)?;
        let (now, _) = crate::audit::now();
        self.run("refuse a rights request", async {
            let mut tx = self.pool.begin().await?;
            lock(&mut tx).await?;
            crate::state::check(&mut tx, keys).await?;
            let old = request_in(&mut tx, id).await?;
            unfinished(&old)?;
            let mut new = Request {
                state: "refused".into(),
                closed_at: Some(now.clone()),
                refusal: Some(reason),
                ..old.clone()
            };
            if let Some(p) = new.pauses.last_mut().filter(|p| p.to.is_none()) {
                p.to = Some(now.clone());
            }
            let body = serde_json::json!({"reason": reason});
            commit_change(tx, keys, &old, &new, "request_refused", by, body).await?;
            Ok(new)
        })
    }

    /// The request `id`, with its parts.
    pub fn rights_request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        self.run("read a rights request", async {
            let mut conn = self.pool.acquire().await?;
            let sql = format!("SELECT {COLUMNS} FROM rights_requests WHERE id = $1");
            let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(None);
            };
            let mut req = of(&r)?;
            req.parts = parts_of(&mut conn, id).await?;
            Ok(Some(req))
        })
    }

    /// Every request, newest first, with its parts.
    pub fn rights_requests(&self) -> Result<Vec<Request>, StoreError> {
        self.run("list rights requests", async {
            let mut conn = self.pool.acquire().await?;
            let sql = format!("SELECT {COLUMNS} FROM rights_requests ORDER BY id DESC");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await?;
            let sql =
                format!("SELECT {PART_COLUMNS} FROM rights_parts ORDER BY request, recipient");
            let mut parts: BTreeMap<String, Vec<RequestPart>> = BTreeMap::new();
            for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await?
            {
                let p = part_of(&r)?;
                parts.entry(p.request.clone()).or_default().push(p);
            }
            rows.iter()
                .map(|r| {
                    let mut req = of(r)?;
                    req.parts = parts.remove(&req.id).unwrap_or_default();
                    Ok(req)
                })
                .collect()
        })
    }

    /// The requests forwarded to `recipient`, newest first, each with only
    /// that recipient's part (for the recipient's portal).
    pub fn rights_requests_for(&self, recipient: &str) -> Result<Vec<Request>, StoreError> {
        Ok(self
            .rights_requests()?
            .into_iter()
            .filter_map(|mut r| {
                r.parts.retain(|p| p.recipient == recipient);
                (!r.parts.is_empty()).then_some(r)
            })
            .collect())
    }
}
