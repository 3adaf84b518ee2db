//! Overseas recipients' attestations (issue 14): a recipient states, obligation
//! by obligation, that it meets (`attested`) or does not meet (`not_met`) an
//! obligation of its contract, with the SHA-256 of the evidence files.
//!
//! The table is a small table committed to by the audit log (part
//! `["attestations"]`): an attestation slipped into the database is found by
//! `audit verify` and the next write refuses to build on it. Each attestation
//! is one audit entry `attestation` naming the recipient, the obligation, the
//! statement, who made it and the evidence hashes; the free-text note is kept
//! in the table only, never in the log.
//!
//! Which recipients and obligations exist is the data map's and the rules'
//! business: callers check them before calling [`Store::attest`]; the store
//! checks the form of what it keeps.

use std::fmt;
use std::str::FromStr;

use sqlx::{AnyConnection, Row};

use crate::StoreError;
use crate::keys::Keys;
use crate::schema::Backend;
use crate::state::Delta;
use crate::store::Store;

/// The part that summarises the attestations.
pub(crate) const ATTESTATIONS: &str = r#"["attestations"]"#;

/// The longest note kept with an attestation, in characters.
pub const NOTE_MAX_CHARS: usize = 500;
/// The most evidence files one attestation names.
pub const EVIDENCE_MAX: usize = 100;
/// The longest recipient, obligation or account id accepted.
const ID_MAX: usize = 200;

/// The migration that creates this workflow's tables.
pub(crate) fn migration(_backend: Backend) -> String {
    "CREATE TABLE attestations (
        id BIGINT PRIMARY KEY,
        recipient TEXT NOT NULL,
        obligation TEXT NOT NULL,
        attested_at TEXT NOT NULL,
        by_account TEXT NOT NULL,
        evidence TEXT NOT NULL,
        statement TEXT NOT NULL,
        note TEXT
    );
    CREATE INDEX attestations_recipient ON attestations (recipient, obligation, id)"
        .to_string()
}

/// What an attestation states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statement {
    /// The recipient meets the obligation.
    Attested,
    /// The recipient does not meet it.
    NotMet,
}

impl Statement {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Statement::Attested => "attested",
            Statement::NotMet => "not_met",
        }
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement name that is neither `attested` nor `not_met`.
#[derive(Debug, thiserror::Error)]
#[error("unknown statement `{0}` (one of: attested, not_met)")]
pub struct UnknownStatement(pub String);

impl FromStr for Statement {
    type Err = UnknownStatement;
    fn from_str(s: &str) -> Result<Statement, UnknownStatement> {
        match s {
            "attested" => Ok(Statement::Attested),
            "not_met" => Ok(Statement::NotMet),
            other => Err(UnknownStatement(other.chars().take(40).collect())),
        }
    }
}

/// An attestation to record.
#[derive(Clone, Debug)]
pub struct NewAttestation {
    /// The recipient's id in the data map.
    pub recipient: String,
    /// The obligation's id in the rules' checklist.
    pub obligation: String,
    /// What it states.
    pub statement: Statement,
    /// SHA-256 of each evidence file, 64 hex digits.
    pub evidence_sha256: Vec<String>,
    /// A note, at most [`NOTE_MAX_CHARS`] characters.
    pub note: Option<String>,
}

/// An attestation recorded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Attestation {
    /// Its number, in the order recorded.
    pub id: i64,
    /// The recipient's id.
    pub recipient: String,
    /// The obligation's id.
    pub obligation: String,
    /// When it was recorded (UTC, RFC 3339).
    pub attested_at: String,
    /// The account that made it.
    pub by: String,
    /// SHA-256 of each evidence file (hex, lowercase).
    pub evidence_sha256: Vec<String>,
    /// What it states.
    pub statement: Statement,
    /// The note, if any.
    pub note: Option<String>,
}

/// Why an attestation cannot be recorded as given (its form; never its content).
pub fn check(new: &NewAttestation, by: &str) -> Result<(), String> {
    let id_ok = |s: &str| !s.is_empty() && s.len() <= ID_MAX && s.chars().all(|c| !c.is_control());
    if !id_ok(&new.recipient) {
        return Err("the recipient id is empty, too long or has control characters".into());
    }
    if !id_ok(&new.obligation) {
        return Err("the obligation id is empty, too long or has control characters".into());
    }
    if !id_ok(by) {
        return Err("the account is empty, too long or has control characters".into());
    }
    if new.evidence_sha256.len() > EVIDENCE_MAX {
        return Err(format!(
            "{} evidence hashes; at most {EVIDENCE_MAX}",
            new.evidence_sha256.len()
        ));
    }
    for (i, h) in new.evidence_sha256.iter().enumerate() {
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "evidence hash {} is not a SHA-256 (64 hexadecimal digits)",
                i + 1
            ));
        }
    }
    if let Some(n) = &new.note {
        let len = n.chars().count();
        if len > NOTE_MAX_CHARS {
            return Err(format!(
                "the note has {len} characters; at most {NOTE_MAX_CHARS}"
            ));
        }
    }
    Ok(())
}

/// The SHA-256 (hex, lowercase) of an evidence file read from `r`, streamed.
pub fn evidence_sha256(mut r: impl std::io::Read) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn row(a: &Attestation) -> serde_json::Value {
    serde_json::json!([
        a.id,
        a.recipient,
        a.obligation,
        a.attested_at,
        a.by,
        a.evidence_sha256,
        a.statement.as_str(),
        a.note
    ])
}

const COLUMNS: &str =
    "id, recipient, obligation, attested_at, by_account, evidence, statement, note";

fn attestation_of(r: &sqlx::any::AnyRow) -> Result<Attestation, StoreError> {
    let evidence: String = r.try_get(5)?;
    let statement: String = r.try_get(6)?;
    Ok(Attestation {
        id: r.try_get(0)?,
        recipient: r.try_get(1)?,
        obligation: r.try_get(2)?,
        attested_at: r.try_get(3)?,
        by: r.try_get(4)?,
        evidence_sha256: serde_json::from_str(&evidence).map_err(|e| StoreError::Malformed {
            what: "attestation evidence",
            source: Some(Box::new(e)),
        })?,
        statement: statement
            .parse()
            .map_err(|e: UnknownStatement| StoreError::Malformed {
                what: "attestation statement",
                source: Some(Box::new(e)),
            })?,
        note: r.try_get(7)?,
    })
}

/// This workflow's rows, for the small-table parts.
pub(crate) async fn parts(conn: &mut AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM attestations");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(ATTESTATIONS, &row(&attestation_of(&r)?), false);
    }
    Ok(())
}

impl Store {
    /// Records an attestation made by the account `by`; returns it as stored.
    /// Refused, with nothing stored, if its form is wrong ([`check`]) or the
    /// store does not verify.
    pub fn attest(
        &self,
        keys: &Keys,
        by: &str,
        new: &NewAttestation,
    ) -> Result<Attestation, StoreError> {
        check(new, by).map_err(|problem| StoreError::Invalid { problem })?;
        let (at, _) = crate::audit::now();
        self.run("record an attestation", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let next: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM attestations")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            let a = Attestation {
                id: next,
                recipient: new.recipient.clone(),
                obligation: new.obligation.clone(),
                attested_at: at,
                by: by.to_string(),
                evidence_sha256: new
                    .evidence_sha256
                    .iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect(),
                statement: new.statement,
                note: new.note.clone().filter(|n| !n.is_empty()),
            };
            let sql = format!(
                "INSERT INTO attestations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(a.id)
                .bind(a.recipient.clone())
                .bind(a.obligation.clone())
                .bind(a.attested_at.clone())
                .bind(a.by.clone())
                .bind(serde_json::to_string(&a.evidence_sha256).unwrap_or_default())
                .bind(a.statement.as_str())
                .bind(a.note.clone())
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.insert(ATTESTATIONS, &row(&a), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "attestation": a.id, "recipient": a.recipient, "obligation": a.obligation,
                "statement": a.statement.as_str(), "evidence_sha256": a.evidence_sha256,
                "by": by,
            });
            crate::audit::append(&mut tx, keys, "attestation", body).await?;
            tx.commit().await?;
            Ok(a)
        })
    }

    /// Every attestation, or those of one recipient, oldest first.
    pub fn attestations(&self, recipient: Option<&str>) -> Result<Vec<Attestation>, StoreError> {
        let rows = match recipient {
            Some(r) => {
                let sql =
                    format!("SELECT {COLUMNS} FROM attestations WHERE recipient = $1 ORDER BY id");
                self.run_sql(
                    "list attestations",
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(r.to_string())
                        .fetch_all(&self.pool),
                )?
            }
            None => {
                let sql = format!("SELECT {COLUMNS} FROM attestations ORDER BY id");
                self.run_sql(
                    "list attestations",
                    sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool),
                )?
            }
        };
        rows.iter().map(attestation_of).collect()
    }

    /// The latest attestation of each (recipient, obligation), of one
    /// recipient or all, ordered by recipient and obligation.
    pub fn latest_attestations(
        &self,
        recipient: Option<&str>,
    ) -> Result<Vec<Attestation>, StoreError> {
        let mut latest: std::collections::BTreeMap<(String, String), Attestation> =
            std::collections::BTreeMap::new();
        for a in self.attestations(recipient)? {
            // Oldest first, so the last one seen wins.
            latest.insert((a.recipient.clone(), a.obligation.clone()), a);
        }
        Ok(latest.into_values().collect())
    }
}
