//! Compliance snapshots a company publishes, and an association's members
//! and the snapshots it collects (issue 12).
//!
//! # A company's snapshots
//!
//! A snapshot is a JSON document with no personal data (built by the server
//! crate, `api_association::build`), serialised canonically (keys sorted, no
//! spaces) and signed as a C2SP signed note by the audit log's key under the
//! log's origin: the note's body is the JSON and a newline, so the verifier
//! key that opens the log's checkpoints opens its snapshots too. Its SHA-256
//! (of the JSON, without the newline) goes into the log in an entry of kind
//! `snapshot` whose body is `{"period", "sha256", "seq", "corrects", "by"}`.
//!
//! One snapshot per period: a second one is refused ([`StoreError::Conflict`])
//! unless it is published as a *correction*, which names the SHA-256 of the
//! snapshot it corrects (the newest of the period) inside its signed body and
//! in its log entry. Both stay: the log shows that the first was published
//! and then corrected, so a correction cannot quietly rewrite history.
//!
//! # An association's members and what it collected
//!
//! `members` (name, base URL of its published log, note verifier key, and
//! the witnesses the association trusts for it with their quorum) and
//! `collected` (each snapshot fetched, with the outcome of its checks: the
//! signature by the member's key and the inclusion of its `snapshot` entry
//! in the member's signed checkpoint, [`check_published`]). Both are small
//! tables committed by the audit log (parts `["snapshots"]`, `["members"]`,
//! `["collected"]`).
//!
//! # A member's witnessed log
//!
//! A member added with witnesses and a quorum N > 0 is checked against its
//! *witnessed* checkpoint (`<url>/log/checkpoint.witnessed`): the log's
//! signature, and at least N valid cosignatures (C2SP `tlog-cosignature`,
//! verified by [`crate::cosign`]) by distinct witnesses the association named
//! for it; inclusion is then checked against that checkpoint. With fewer the
//! snapshot is not accepted: "not witnessed (k of N cosignatures)". The
//! checkpoint kept with the collection carries the log's signature and the
//! cosignatures that were counted, so [`Collected::witnesses`] names them.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::StoreError;
use crate::c2sp::{self, Checkpoint, TILE_WIDTH, Tile, TileKind};
use crate::cosign::{Cosignature, WitnessPolicy, split_note, with_lines};
use crate::keys::Keys;
use crate::merkle::{Hash, leaf_hash, node_hash};
use crate::schema::Backend;
use crate::state::Delta;
use crate::store::Store;

mod check;

pub use check::*;

/// The part that summarises the snapshots this company published.
pub(crate) const SNAPSHOTS: &str = r#"["snapshots"]"#;
/// The part that summarises an association's members.
pub(crate) const MEMBERS: &str = r#"["members"]"#;
/// The part that summarises the snapshots an association collected.
pub(crate) const COLLECTED: &str = r#"["collected"]"#;

/// The format name a snapshot's JSON carries in `"format"`.
pub const FORMAT: &str = "outbound-snapshot/v1";

/// The migration that creates this module's tables.
pub(crate) fn migration(_backend: Backend) -> String {
    "CREATE TABLE snapshots (
        period TEXT NOT NULL,
        seq BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        note TEXT NOT NULL,
        log_index BIGINT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (period, seq)
    );
    CREATE TABLE members (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        verifier TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    CREATE TABLE collected (
        id BIGINT PRIMARY KEY,
        member TEXT NOT NULL,
        period TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        note TEXT NOT NULL,
        log_index BIGINT NOT NULL,
        checkpoint TEXT NOT NULL,
        verified BIGINT NOT NULL,
        reason TEXT,
        collected_at TEXT NOT NULL
    )"
    .to_string()
}

/// Migration v13: the witnesses an association trusts for a member (their
/// cosignature verifier keys, as a JSON array) and how many must cosign.
pub(crate) fn migration_v13(_backend: Backend) -> String {
    "ALTER TABLE members ADD COLUMN witnesses TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE members ADD COLUMN witness_quorum BIGINT NOT NULL DEFAULT 0"
        .to_string()
}

/// The origin of this store's log (and the name its notes are signed under):
/// `$OUTBOUND_LOG_ORIGIN` when set, else [`c2sp::default_origin`], as the
/// server's `/log/checkpoint` and `outbound audit checkpoint` do.
pub fn log_origin(keys: &Keys) -> String {
    std::env::var("OUTBOUND_LOG_ORIGIN")
        .ok()
        .filter(|o| !o.is_empty())
        .unwrap_or_else(|| c2sp::default_origin(&keys.verifying()))
}

/// Whether `period` is a quarter, `YYYY-Qn`.
pub fn valid_period(period: &str) -> bool {
    let b = period.as_bytes();
    b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && &b[4..6] == b"-Q"
        && (b'1'..=b'4').contains(&b[6])
}

/// The SHA-256 (hex) of a snapshot's canonical JSON.
pub fn sha256_hex(json: &str) -> String {
    hex::encode(Sha256::digest(json.as_bytes()))
}

/// A snapshot as published: what `GET /api/v1/snapshots/{period}` returns
/// and an association collects.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    /// The quarter, `YYYY-Qn`.
    pub period: String,
    /// 1 for the first snapshot of the period, 2 for its first correction …
    pub seq: i64,
    /// SHA-256 (hex) of the canonical JSON (the note's body without its last newline).
    pub sha256: String,
    /// The signed note: the canonical JSON, a newline, a blank line, the signature.
    pub note: String,
    /// The index of its `snapshot` entry in the company's audit log.
    pub log_index: u64,
    /// When it was published (UTC, RFC 3339).
    pub created_at: String,
}

impl Published {
    /// The snapshot's JSON (the note's body), unchecked.
    pub fn json(&self) -> Option<serde_json::Value> {
        let split = self.note.rfind("\n\n")?;
        serde_json::from_str(&self.note[..split]).ok()
    }
}

fn snapshot_row(p: &Published) -> serde_json::Value {
    serde_json::json!([p.period, p.seq, p.sha256, p.note, p.log_index, p.created_at])
}

/// A member of an association.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    /// Short unique name.
    pub name: String,
    /// Base URL of its server (its log is under `<url>/log/`).
    pub url: String,
    /// Its log's note verifier key, `<origin>+<id>+<key>`.
    pub verifier: String,
    /// When it was added (UTC, RFC 3339).
    pub added_at: String,
    /// The cosignature verifier keys (`<name>+<id>+<key>`) of the witnesses
    /// the association trusts for this member.
    pub witnesses: Vec<String>,
    /// How many of them must have cosigned the checkpoint a snapshot is
    /// checked against (0: the member's own signed checkpoint is enough).
    pub witness_quorum: u32,
}

impl Member {
    /// The witnesses and quorum the member's checkpoints are checked with.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] if a stored key no longer parses.
    pub fn policy(&self) -> Result<WitnessPolicy, StoreError> {
        WitnessPolicy::parse(&self.witnesses, self.witness_quorum as usize)
    }
}

/// A member's committed row: the four fields of v12 when it has no
/// witnesses (so rows committed before v13 keep their hashes), else with
/// the witnesses and the quorum.
fn member_row(m: &Member) -> serde_json::Value {
    if m.witnesses.is_empty() && m.witness_quorum == 0 {
        serde_json::json!([m.name, m.url, m.verifier, m.added_at])
    } else {
        serde_json::json!([
            m.name,
            m.url,
            m.verifier,
            m.added_at,
            m.witnesses,
            m.witness_quorum
        ])
    }
}

/// A snapshot an association collected, with what its checks found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Collected {
    /// Its number in this store.
    pub id: i64,
    /// The member.
    pub member: String,
    /// The period.
    pub period: String,
    /// The SHA-256 the member claimed (hex).
    pub sha256: String,
    /// The signed note as received.
    pub note: String,
    /// The log index the member named.
    pub log_index: u64,
    /// The member's signed checkpoint it was checked against (empty if none was read).
    pub checkpoint: String,
    /// Whether the signature and the inclusion verified.
    pub verified: bool,
    /// Why not, when it did not.
    pub reason: Option<String>,
    /// When it was collected (UTC, RFC 3339).
    pub collected_at: String,
}

impl Collected {
    /// The size of the checkpoint it was checked against, if one was read.
    pub fn checkpoint_size(&self) -> Option<u64> {
        self.checkpoint.lines().nth(1)?.parse().ok()
    }

    /// The snapshot's JSON (the note's body), unchecked.
    pub fn json(&self) -> Option<serde_json::Value> {
        let split = self.note.rfind("\n\n")?;
        serde_json::from_str(&self.note[..split]).ok()
    }

    /// The witnesses whose cosignatures the checkpoint carries: for a
    /// verified collection, those that were checked and counted (the
    /// checkpoint is kept with only those); empty when the member has no
    /// witnesses.
    pub fn witnesses(&self) -> Vec<String> {
        checkpoint_cosigners(&self.checkpoint)
    }
}

/// The names on the cosignature lines of a checkpoint note.
fn checkpoint_cosigners(note: &str) -> Vec<String> {
    split_note(note)
        .map(|(_, lines)| {
            lines
                .iter()
                .filter_map(|l| Cosignature::parse_line(l).ok())
                .map(|c| c.name)
                .collect()
        })
        .unwrap_or_default()
}

fn collected_row(c: &Collected) -> serde_json::Value {
    serde_json::json!([
        c.id,
        c.member,
        c.period,
        c.sha256,
        c.note,
        c.log_index,
        c.checkpoint,
        c.verified,
        c.reason,
        c.collected_at
    ])
}

const SNAPSHOT_COLUMNS: &str = "period, seq, sha256, note, log_index, created_at";
const COLLECTED_COLUMNS: &str =
    "id, member, period, sha256, note, log_index, checkpoint, verified, reason, collected_at";

fn snapshot_of(r: &sqlx::any::AnyRow) -> Result<Published, StoreError> {
    Ok(Published {
        period: r.try_get(0)?,
        seq: r.try_get(1)?,
        sha256: r.try_get(2)?,
        note: r.try_get(3)?,
        log_index: r.try_get::<i64, _>(4)? as u64,
        created_at: r.try_get(5)?,
    })
}

const MEMBER_COLUMNS: &str = "name, url, verifier, added_at, witnesses, witness_quorum";

fn member_of(r: &sqlx::any::AnyRow) -> Result<Member, StoreError> {
    let witnesses: String = r.try_get(4)?;
    Ok(Member {
        name: r.try_get(0)?,
        url: r.try_get(1)?,
        verifier: r.try_get(2)?,
        added_at: r.try_get(3)?,
        witnesses: serde_json::from_str(&witnesses)
            .map_err(|_| crate::state::tampered("a member's witnesses are not a JSON list"))?,
        witness_quorum: u32::try_from(r.try_get::<i64, _>(5)?)
            .map_err(|_| crate::state::tampered("a member's witness quorum is out of range"))?,
    })
}

fn collected_of(r: &sqlx::any::AnyRow) -> Result<Collected, StoreError> {
    Ok(Collected {
        id: r.try_get(0)?,
        member: r.try_get(1)?,
        period: r.try_get(2)?,
        sha256: r.try_get(3)?,
        note: r.try_get(4)?,
        log_index: r.try_get::<i64, _>(5)? as u64,
        checkpoint: r.try_get(6)?,
        verified: r.try_get::<i64, _>(7)? != 0,
        reason: r.try_get(8)?,
        collected_at: r.try_get(9)?,
    })
}

/// Snapshot, member and collection rows: small-table parts (see `state::SMALL`).
pub(crate) async fn parts(conn: &mut sqlx::AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    let sql = format!("SELECT {SNAPSHOT_COLUMNS} FROM snapshots");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(SNAPSHOTS, &snapshot_row(&snapshot_of(&r)?), false);
    }
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM members");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(MEMBERS, &member_row(&member_of(&r)?), false);
    }
    let sql = format!("SELECT {COLLECTED_COLUMNS} FROM collected");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(COLLECTED, &collected_row(&collected_of(&r)?), false);
    }
    Ok(())
}

/// A member's name: 1 to 64 of `a-z`, `0-9`, `-`, `_`, `.`.
pub fn valid_member_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

impl Store {
    /// Publishes the snapshot `json` (canonical JSON, no personal data) for
    /// `period`: signs it as a note under `origin`, stores it and appends a
    /// `snapshot` entry naming the period and its SHA-256.
    ///
    /// `corrects` must be `None` for a period with no snapshot yet, and the
    /// SHA-256 of the period's newest snapshot for a correction (which the
    /// caller has written into `json` as `"corrects"`); anything else is a
    /// [`StoreError::Conflict`] and nothing is stored.
    pub fn publish_snapshot(
        &self,
        keys: &Keys,
        by: &str,
        origin: &str,
        period: &str,
        json: &str,
        corrects: Option<&str>,
    ) -> Result<Published, StoreError> {
        if !valid_period(period) {
            return Err(crate::invalid("the period is a quarter, YYYY-Qn"));
        }
        if !c2sp::valid_origin(origin) {
            return Err(StoreError::InvalidOrigin);
        }
        if json.contains('\n') {
            return Err(crate::invalid("a snapshot is JSON on one line"));
        }
        let (at, _) = crate::audit::now();
        let sha = sha256_hex(json);
        self.run("publish a snapshot", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let sql = format!(
                "SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE period = $1 ORDER BY seq DESC"
            );
            let newest = match sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(period.to_string())
                .fetch_optional(&mut *tx)
                .await?
            {
                Some(r) => Some(snapshot_of(&r)?),
                None => None,
            };
            match (&newest, corrects) {
                (None, None) => {}
                (Some(n), None) => {
                    return Err(StoreError::Conflict {
                        problem: format!(
                            "a snapshot for {period} was already published (sha256 {}, log entry {}); \
                             publish a correction to replace it",
                            n.sha256, n.log_index
                        ),
                    });
                }
                (None, Some(_)) => {
                    return Err(StoreError::Conflict {
                        problem: format!("there is no snapshot for {period} to correct"),
                    });
                }
                (Some(n), Some(c)) if n.sha256 != c => {
                    return Err(StoreError::Conflict {
                        problem: format!(
                            "a correction names the period's newest snapshot (sha256 {})",
                            n.sha256
                        ),
                    });
                }
                (Some(_), Some(_)) => {}
            }
            let index = crate::state::load_tree(&mut tx)
                .await?
                .map_or(0, |t| t.tree.size());
            let p = Published {
                period: period.to_string(),
                seq: newest.as_ref().map_or(1, |n| n.seq + 1),
                sha256: sha.clone(),
                note: c2sp::sign_note(origin, keys.signing(), &format!("{json}\n")),
                log_index: index,
                created_at: at,
            };
            let sql = format!("INSERT INTO snapshots ({SNAPSHOT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(p.period.clone())
                .bind(p.seq)
                .bind(p.sha256.clone())
                .bind(p.note.clone())
                .bind(p.log_index as i64)
                .bind(p.created_at.clone())
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.insert(SNAPSHOTS, &snapshot_row(&p), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "period": period, "sha256": sha, "seq": p.seq, "corrects": corrects, "by": by,
            });
            let (idx, _) = crate::audit::append(&mut tx, keys, "snapshot", body).await?;
            if idx != index {
                return Err(crate::state::tampered(
                    "the audit log grew while a snapshot was published",
                ));
            }
            tx.commit().await?;
            Ok(p)
        })
    }

    /// Every snapshot published, by period then sequence.
    pub fn snapshots(&self) -> Result<Vec<Published>, StoreError> {
        let sql = format!("SELECT {SNAPSHOT_COLUMNS} FROM snapshots ORDER BY period, seq");
        let rows = self.run_sql(
            "list snapshots",
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool),
        )?;
        rows.iter().map(snapshot_of).collect()
    }

    /// The newest snapshot of `period` (its latest correction, if any).
    pub fn snapshot(&self, period: &str) -> Result<Option<Published>, StoreError> {
        Ok(self
            .snapshots()?
            .into_iter()
            .filter(|p| p.period == period)
            .max_by_key(|p| p.seq))
    }

    /// Adds a member to the association, with no witnesses; refuses a name
    /// taken or a verifier key that does not parse.
    pub fn add_member(
        &self,
        keys: &Keys,
        by: &str,
        name: &str,
        url: &str,
        verifier: &str,
    ) -> Result<Member, StoreError> {
        self.add_member_witnessed(keys, by, name, url, verifier, &[], 0)
    }

    /// Adds a member whose checkpoints must carry at least `quorum`
    /// cosignatures by the `witnesses` (cosignature verifier keys,
    /// `<name>+<id>+<key>`); refuses, storing nothing, a name taken, a key
    /// that does not parse, a witness named twice or a quorum larger than
    /// the list.
    #[allow(clippy::too_many_arguments)]
    pub fn add_member_witnessed(
        &self,
        keys: &Keys,
        by: &str,
        name: &str,
        url: &str,
        verifier: &str,
        witnesses: &[String],
        quorum: u32,
    ) -> Result<Member, StoreError> {
        let policy = WitnessPolicy::parse(witnesses, quorum as usize)?;
        if !valid_member_name(name) {
            return Err(crate::invalid(
                "a member's name is 1 to 64 of a-z, 0-9, `-`, `_`, `.`",
            ));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(' ') {
            return Err(crate::invalid(
                "a member's URL starts with http:// or https://",
            ));
        }
        if let Err(e) = c2sp::open_note("x\n\n\u{2014} x AAAA\n", verifier)
            && matches!(e, c2sp::NoteError::BadVerifierKey(_))
        {
            return Err(crate::invalid(format!("the verifier key: {e}")));
        }
        let (at, _) = crate::audit::now();
        self.run("add a member", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let exists = sqlx::query("SELECT name FROM members WHERE name = $1")
                .bind(name.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                return Err(StoreError::Conflict {
                    problem: format!("a member named `{name}` already exists"),
                });
            }
            let m = Member {
                name: name.to_string(),
                url: url.trim_end_matches('/').to_string(),
                verifier: verifier.trim().to_string(),
                added_at: at,
                witnesses: policy.witnesses.iter().map(|w| w.verifier_key()).collect(),
                witness_quorum: quorum,
            };
            let sql =
                format!("INSERT INTO members ({MEMBER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(m.name.clone())
                .bind(m.url.clone())
                .bind(m.verifier.clone())
                .bind(m.added_at.clone())
                .bind(serde_json::to_string(&m.witnesses).expect("strings"))
                .bind(i64::from(m.witness_quorum))
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.insert(MEMBERS, &member_row(&m), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "member": name, "url": m.url, "verifier": m.verifier,
                "witnesses": m.witnesses, "witness_quorum": m.witness_quorum, "by": by,
            });
            crate::audit::append(&mut tx, keys, "member_added", body).await?;
            tx.commit().await?;
            Ok(m)
        })
    }

    /// Every member, by name.
    pub fn members(&self) -> Result<Vec<Member>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members ORDER BY name");
        let rows = self.run_sql(
            "list members",
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool),
        )?;
        rows.iter().map(member_of).collect()
    }

    /// The member named `name`.
    pub fn member(&self, name: &str) -> Result<Option<Member>, StoreError> {
        Ok(self.members()?.into_iter().find(|m| m.name == name))
    }

    /// Records a collected snapshot of `member` and what checking it found
    /// (see [`check_published`]); logged with the outcome, the period, the
    /// SHA-256, the log index and the checkpoint's size.
    pub fn record_collection(
        &self,
        keys: &Keys,
        by: &str,
        member: &str,
        published: &Published,
        outcome: &Result<Verified, CheckError>,
    ) -> Result<Collected, StoreError> {
        let (at, _) = crate::audit::now();
        self.run("record a collected snapshot", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let known = sqlx::query("SELECT name FROM members WHERE name = $1")
                .bind(member.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                return Err(StoreError::NotFound {
                    what: format!("member `{member}`"),
                });
            }
            let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM collected")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            let c = Collected {
                id,
                member: member.to_string(),
                period: published.period.clone(),
                sha256: published.sha256.clone(),
                note: published.note.clone(),
                log_index: published.log_index,
                checkpoint: match outcome {
                    Ok(v) => v.checkpoint.clone(),
                    Err(e) => e.checkpoint.clone().unwrap_or_default(),
                },
                verified: outcome.is_ok(),
                reason: outcome.as_ref().err().map(|e| e.reason.clone()),
                collected_at: at,
            };
            let sql = format!(
                "INSERT INTO collected ({COLLECTED_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(c.id)
                .bind(c.member.clone())
                .bind(c.period.clone())
                .bind(c.sha256.clone())
                .bind(c.note.clone())
                .bind(c.log_index as i64)
                .bind(c.checkpoint.clone())
                .bind(i64::from(c.verified))
                .bind(c.reason.clone())
                .bind(c.collected_at.clone())
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.insert(COLLECTED, &collected_row(&c), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "member": member, "period": c.period, "sha256": c.sha256,
                "log_index": c.log_index, "checkpoint_size": c.checkpoint_size(),
                "verified": c.verified, "reason": c.reason, "by": by,
            });
            crate::audit::append(&mut tx, keys, "snapshot_collected", body).await?;
            tx.commit().await?;
            Ok(c)
        })
    }

    /// Every snapshot collected (of `period`, if given), oldest first.
    pub fn collected(&self, period: Option<&str>) -> Result<Vec<Collected>, StoreError> {
        let sql = format!("SELECT {COLLECTED_COLUMNS} FROM collected ORDER BY id");
        let rows = self.run_sql(
            "list collected snapshots",
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool),
        )?;
        Ok(rows
            .iter()
            .map(collected_of)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|c| period.is_none_or(|p| c.period == p))
            .collect())
    }
}
