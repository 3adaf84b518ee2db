//! Handling of complaints from the public channel: triage, deadline, answer (issue 14).
//!
//! A complaint is *received* (`accounts.rs`, `add_complaint`), then *triaged*
//! by staff (a category, a link to a transfer and/or a recipient, and the
//! handling deadline the caller computed from rule data, with the rule's id),
//! then *answered* (an answer and an outcome), which closes it. Triage may be
//! repeated until the answer; nothing changes after it.
//!
//! Handling rows live in `complaint_handling`, one per triaged complaint, and
//! are committed by the audit log as the part `["complaint_handling"]`. It is
//! not a small-table part (`state::SMALL`): rows are written by staff only,
//! but one stays for every complaint ever handled, and the small parts are
//! rehashed on every authenticated request (each credential check), so the
//! register's growth would slow every request, as `["complaints"]` would.
//! Instead the whole part is rehashed before each handling write (triage,
//! answer: staff actions, rare), so a row edited behind the log is refused at
//! the next handling write, and a full `audit verify` finds it too.
//!
//! Audit entries (`complaint_triaged`, `complaint_answered`) name the
//! tracking id, category, links, due date, rule, outcome and `by`; never the
//! complaint's text, its contact or the answer's text.

use sqlx::{Any, Row, Transaction};

use crate::keys::Keys;
use crate::schema::Backend;
use crate::state::Delta;
use crate::store::Store;
use crate::{StoreError, invalid};

/// The part that summarises the handling rows.
pub(crate) const HANDLING: &str = r#"["complaint_handling"]"#;

/// The outcomes an answer may record.
pub const OUTCOMES: [&str; 5] = [
    "upheld",
    "partly_upheld",
    "rejected",
    "withdrawn",
    "referred",
];

/// The longest answer kept, in characters.
pub const MAX_ANSWER: usize = 10_000;

/// The migration that adds this workflow's table.
pub(crate) fn migration(_backend: Backend) -> String {
    "CREATE TABLE complaint_handling (
        tracking TEXT PRIMARY KEY,
        category TEXT NOT NULL,
        transfer TEXT,
        recipient TEXT,
        due TEXT,
        rule TEXT,
        triaged_at TEXT NOT NULL,
        triaged_by TEXT NOT NULL,
        answer TEXT,
        outcome TEXT,
        answered_at TEXT,
        answered_by TEXT
    )"
    .to_string()
}

/// Where a complaint stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ComplaintState {
    /// Received, not yet triaged.
    Received,
    /// Triaged, not yet answered.
    Triaged,
    /// Answered: closed.
    Answered,
}

impl ComplaintState {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintState::Received => "received",
            ComplaintState::Triaged => "triaged",
            ComplaintState::Answered => "answered",
        }
    }
}

/// How a complaint is being handled (one row per triaged complaint).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Handling {
    /// The complaint's tracking id.
    pub tracking: String,
    /// Its category (an id of the rule data's categories).
    pub category: String,
    /// The transfer it concerns, if linked.
    pub transfer: Option<String>,
    /// The recipient it concerns, if linked.
    pub recipient: Option<String>,
    /// The last day an answer is on time (`YYYY-MM-DD`), if a rule sets one.
    pub due: Option<String>,
    /// The id of the rule that set `due`.
    pub rule: Option<String>,
    /// When it was (last) triaged (UTC, RFC 3339).
    pub triaged_at: String,
    /// Who triaged it.
    pub triaged_by: String,
    /// The answer (may hold personal data: never logged).
    pub answer: Option<String>,
    /// The outcome, one of [`OUTCOMES`].
    pub outcome: Option<String>,
    /// When it was answered (UTC, RFC 3339).
    pub answered_at: Option<String>,
    /// Who answered it.
    pub answered_by: Option<String>,
}

impl Handling {
    /// Where the complaint stands.
    pub fn state(&self) -> ComplaintState {
        if self.outcome.is_some() {
            ComplaintState::Answered
        } else {
            ComplaintState::Triaged
        }
    }
}

/// What triage sets.
#[derive(Clone, Debug, Default)]
pub struct Triage {
    /// The category (the caller checks it against the rule data).
    pub category: String,
    /// The transfer (the caller checks it against the map).
    pub transfer: Option<String>,
    /// The recipient (the caller checks it against the map).
    pub recipient: Option<String>,
    /// The due day computed from rule data (`YYYY-MM-DD`), if any.
    pub due: Option<String>,
    /// The rule's id.
    pub rule: Option<String>,
}

const COLUMNS: &str = "tracking, category, transfer, recipient, due, rule, triaged_at, triaged_by, \
     answer, outcome, answered_at, answered_by";

fn row(h: &Handling) -> serde_json::Value {
    serde_json::json!([
        h.tracking,
        h.category,
        h.transfer,
        h.recipient,
        h.due,
        h.rule,
        h.triaged_at,
        h.triaged_by,
        h.answer,
        h.outcome,
        h.answered_at,
        h.answered_by
    ])
}

fn handling_of(r: &sqlx::any::AnyRow) -> Result<Handling, StoreError> {
    Ok(Handling {
        tracking: r.try_get(0)?,
        category: r.try_get(1)?,
        transfer: r.try_get(2)?,
        recipient: r.try_get(3)?,
        due: r.try_get(4)?,
        rule: r.try_get(5)?,
        triaged_at: r.try_get(6)?,
        triaged_by: r.try_get(7)?,
        answer: r.try_get(8)?,
        outcome: r.try_get(9)?,
        answered_at: r.try_get(10)?,
        answered_by: r.try_get(11)?,
    })
}

/// Handling rows for `audit verify`'s recomputation (and the check before
/// each handling write).
pub(crate) async fn parts(conn: &mut sqlx::AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM complaint_handling");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(HANDLING, &row(&handling_of(&r)?), false);
    }
    Ok(())
}

/// An id-like field: 1 to 200 characters, no control characters.
fn check_id(field: &str, v: &str) -> Result<(), StoreError> {
    if v.is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
        return Err(invalid(format!(
            "`{field}` must be an id of 1 to 200 characters"
        )));
    }
    Ok(())
}

/// Checks the log, then that the handling rows are what it committed to.
async fn checked(tx: &mut Transaction<'static, Any>, keys: &Keys) -> Result<(), StoreError> {
    let c = crate::state::check(tx, keys).await?;
    let mut d = Delta::default();
    parts(tx, &mut d).await?;
    let now = d.into_parts();
    if now.get(HANDLING) != c.parts.get(HANDLING) {
        return Err(crate::state::tampered(
            "the complaint handling records are not what the audit log committed to",
        ));
    }
    Ok(())
}

async fn complaint_exists(
    tx: &mut Transaction<'static, Any>,
    tracking: &str,
) -> Result<bool, StoreError> {
    Ok(sqlx::query("SELECT 1 FROM complaints WHERE tracking = $1")
        .bind(tracking.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .is_some())
}

async fn handling_in(
    tx: &mut Transaction<'static, Any>,
    tracking: &str,
) -> Result<Option<Handling>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM complaint_handling WHERE tracking = $1");
    match sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tracking.to_string())
        .fetch_optional(&mut **tx)
        .await?
    {
        Some(r) => Ok(Some(handling_of(&r)?)),
        None => Ok(None),
    }
}

async fn write(
    tx: &mut Transaction<'static, Any>,
    old: Option<&Handling>,
    new: &Handling,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM complaint_handling WHERE tracking = $1")
        .bind(new.tracking.clone())
        .execute(&mut **tx)
        .await?;
    let sql = format!(
        "INSERT INTO complaint_handling ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(new.tracking.clone())
        .bind(new.category.clone())
        .bind(new.transfer.clone())
        .bind(new.recipient.clone())
        .bind(new.due.clone())
        .bind(new.rule.clone())
        .bind(new.triaged_at.clone())
        .bind(new.triaged_by.clone())
        .bind(new.answer.clone())
        .bind(new.outcome.clone())
        .bind(new.answered_at.clone())
        .bind(new.answered_by.clone())
        .execute(&mut **tx)
        .await?;
    let mut delta = Delta::default();
    if let Some(o) = old {
        delta.remove(HANDLING, &row(o), false);
    }
    delta.insert(HANDLING, &row(new), false);
    delta.apply(tx).await
}

impl Store {
    /// Triages a complaint (again, until it is answered): category, links and
    /// the deadline from rule data. Refuses an unknown tracking id
    /// (`NotFound`), an answered complaint (`Conflict`) and malformed fields
    /// (`Invalid`); the caller checks the category, transfer and recipient
    /// against the rule data and the map. Logged as `complaint_triaged`.
    pub fn triage_complaint(
        &self,
        keys: &Keys,
        by: &str,
        tracking: &str,
        t: &Triage,
    ) -> Result<Handling, StoreError> {
        check_id("by", by)?;
        check_id("category", &t.category)?;
        for (f, v) in [
            ("transfer", &t.transfer),
            ("recipient", &t.recipient),
            ("rule", &t.rule),
        ] {
            if let Some(v) = v {
                check_id(f, v)?;
            }
        }
        if let Some(d) = &t.due
            && d.parse::<jiff::civil::Date>().is_err()
        {
            return Err(invalid("`due` must be a date (YYYY-MM-DD)"));
        }
        let (at, _) = crate::audit::now();
        self.run("triage a complaint", async {
            let mut tx = self.begin_write().await?;
            checked(&mut tx, keys).await?;
            if !complaint_exists(&mut tx, tracking).await? {
                return Err(StoreError::NotFound {
                    what: "complaint with that tracking id".into(),
                });
            }
            let old = handling_in(&mut tx, tracking).await?;
            if old.as_ref().is_some_and(|h| h.outcome.is_some()) {
                return Err(StoreError::Conflict {
                    problem: format!("complaint {tracking} is answered (closed)"),
                });
            }
            let new = Handling {
                tracking: tracking.to_string(),
                category: t.category.clone(),
                transfer: t.transfer.clone(),
                recipient: t.recipient.clone(),
                due: t.due.clone(),
                rule: t.rule.clone(),
                triaged_at: at,
                triaged_by: by.to_string(),
                ..Handling::default()
            };
            write(&mut tx, old.as_ref(), &new).await?;
            let body = serde_json::json!({
                "tracking": tracking, "category": new.category, "transfer": new.transfer,
                "recipient": new.recipient, "due": new.due, "rule": new.rule,
                "again": old.is_some(), "by": by,
            });
            crate::audit::append(&mut tx, keys, "complaint_triaged", body).await?;
            tx.commit().await?;
            Ok(new)
        })
    }

    /// Answers a triaged complaint with an outcome (one of [`OUTCOMES`]),
    /// closing it. Refuses an unknown tracking id (`NotFound`), an untriaged
    /// or already answered complaint (`Conflict`), an empty or overlong
    /// answer and an unknown outcome (`Invalid`). Logged as
    /// `complaint_answered` with the outcome, never the answer's text.
    pub fn answer_complaint(
        &self,
        keys: &Keys,
        by: &str,
        tracking: &str,
        answer: &str,
        outcome: &str,
    ) -> Result<Handling, StoreError> {
        check_id("by", by)?;
        if !OUTCOMES.contains(&outcome) {
            return Err(invalid(format!(
                "`outcome` must be one of: {}",
                OUTCOMES.join(", ")
            )));
        }
        let answer = answer.trim();
        if answer.is_empty() || answer.chars().count() > MAX_ANSWER {
            return Err(invalid(format!(
                "`answer` must be 1 to {MAX_ANSWER} characters"
            )));
        }
        let (at, _) = crate::audit::now();
        self.run("answer a complaint", async {
            let mut tx = self.begin_write().await?;
            checked(&mut tx, keys).await?;
            if !complaint_exists(&mut tx, tracking).await? {
                return Err(StoreError::NotFound {
                    what: "complaint with that tracking id".into(),
                });
            }
            let Some(old) = handling_in(&mut tx, tracking).await? else {
                return Err(StoreError::Conflict {
                    problem: format!("complaint {tracking} is not triaged yet: triage it first"),
                });
            };
            if old.outcome.is_some() {
                return Err(StoreError::Conflict {
                    problem: format!("complaint {tracking} is already answered"),
                });
            }
            let new = Handling {
                answer: Some(answer.to_string()),
                outcome: Some(outcome.to_string()),
                answered_at: Some(at),
                answered_by: Some(by.to_string()),
                ..old.clone()
            };
            write(&mut tx, Some(&old), &new).await?;
            let body = serde_json::json!({
                "tracking": tracking, "outcome": outcome, "due": old.due, "by": by,
            });
            crate::audit::append(&mut tx, keys, "complaint_answered", body).await?;
            tx.commit().await?;
            Ok(new)
        })
    }

    /// The handling of one complaint, if it was triaged.
    pub fn complaint_handling(&self, tracking: &str) -> Result<Option<Handling>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM complaint_handling WHERE tracking = $1");
        let r = self.run_sql(
            "read a complaint's handling",
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(tracking.to_string())
                .fetch_optional(&self.pool),
        )?;
        r.as_ref().map(handling_of).transpose()
    }

    /// One page of complaints, newest first (as [`Store::complaints`]
    /// orders them), each with its handling if triaged: what the server
    /// lists, so that a public channel's ten-thousandth complaint costs the
    /// list no more than its first. Open ones (not answered) or answered
    /// ones with `open`, after the complaint `before` in that order, at most
    /// `limit` (up to [`crate::PAGE_MAX`]).
    pub fn complaints_page(
        &self,
        q: &ComplaintQuery<'_>,
    ) -> Result<Vec<(crate::Complaint, Option<Handling>)>, StoreError> {
        self.run("list a page of complaints", async {
            let mut conn = self.pool.acquire().await?;
            let mut sql = String::from(
                "SELECT c.tracking, c.at, c.text, c.contact, c.transfer FROM complaints c \
                 LEFT JOIN complaint_handling h ON h.tracking = c.tracking WHERE 1 = 1",
            );
            match q.open {
                Some(true) => sql.push_str(" AND h.outcome IS NULL"),
                Some(false) => sql.push_str(" AND h.outcome IS NOT NULL"),
                None => {}
            }
            // Placeholders numbered in bind order.
            let limit = if q.before.is_some() {
                sql.push_str(
                    " AND (c.at < (SELECT at FROM complaints WHERE tracking = $1) \
                     OR (c.at = (SELECT at FROM complaints WHERE tracking = $2) AND c.tracking > $3))",
                );
                "$4"
            } else {
                "$1"
            };
            sql.push_str(&format!(" ORDER BY c.at DESC, c.tracking LIMIT {limit}"));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            if let Some(b) = q.before {
                query = query.bind(b).bind(b).bind(b);
            }
            let limit = i64::try_from(q.limit.min(crate::PAGE_MAX)).unwrap_or(0);
            let rows = query.bind(limit).fetch_all(&mut *conn).await?;
            let complaints: Vec<crate::Complaint> = rows
                .iter()
                .map(|r| {
                    Ok::<_, StoreError>(crate::Complaint {
                        tracking: r.try_get(0)?,
                        at: r.try_get(1)?,
                        text: r.try_get(2)?,
                        contact: r.try_get(3)?,
                        transfer: r.try_get(4)?,
                    })
                })
                .collect::<Result<_, _>>()?;
            if complaints.is_empty() {
                return Ok(Vec::new());
            }
            // The page's handling in one query.
            let sql = format!(
                "SELECT {COLUMNS} FROM complaint_handling WHERE tracking IN ({})",
                crate::placeholders(1, complaints.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in &complaints {
                query = query.bind(c.tracking.clone());
            }
            let mut handled: std::collections::HashMap<String, Handling> = query
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| handling_of(r).map(|h| (h.tracking.clone(), h)))
                .collect::<Result<_, _>>()?;
            Ok(complaints
                .into_iter()
                .map(|c| {
                    let h = handled.remove(&c.tracking);
                    (c, h)
                })
                .collect())
        })
    }

    /// How many complaints there are by where they stand: `received` (not
    /// triaged), `triaged` (not answered), or the answer's outcome. Two
    /// passes over single tables (every complaint, the handling rows) rather
    /// than one over their join: 47 against 114 ms at 200,000.
    pub fn complaint_counts(&self) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        self.run("count complaints", async {
            let mut conn = self.pool.acquire().await?;
            let total: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM complaints")
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            let rows = sqlx::query(
                "SELECT COALESCE(outcome, 'triaged') AS standing, CAST(COUNT(*) AS BIGINT) \
                 FROM complaint_handling GROUP BY standing",
            )
            .fetch_all(&mut *conn)
            .await?;
            let mut counts = std::collections::BTreeMap::new();
            let mut handled = 0;
            for r in &rows {
                let n: i64 = r.try_get(1)?;
                handled += n;
                counts.insert(r.try_get::<String, _>(0)?, n as u64);
            }
            if total > handled {
                counts.insert("received".to_string(), (total - handled) as u64);
            }
            Ok(counts)
        })
    }

    /// Every handling row, by tracking id.
    pub fn complaint_handlings(&self) -> Result<Vec<Handling>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM complaint_handling ORDER BY tracking");
        let rows = self.run_sql(
            "list complaint handling",
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool),
        )?;
        rows.iter().map(handling_of).collect()
    }

    /// One complaint by tracking id, with its handling if triaged.
    pub fn complaint(
        &self,
        tracking: &str,
    ) -> Result<Option<(crate::Complaint, Option<Handling>)>, StoreError> {
        let r = self.run_sql(
            "read a complaint",
            sqlx::query(
                "SELECT tracking, at, text, contact, transfer FROM complaints WHERE tracking = $1",
            )
            .bind(tracking.to_string())
            .fetch_optional(&self.pool),
        )?;
        let Some(r) = r else { return Ok(None) };
        let c = crate::Complaint {
            tracking: r.try_get(0).map_err(StoreError::from)?,
            at: r.try_get(1).map_err(StoreError::from)?,
            text: r.try_get(2).map_err(StoreError::from)?,
            contact: r.try_get(3).map_err(StoreError::from)?,
            transfer: r.try_get(4).map_err(StoreError::from)?,
        };
        Ok(Some((c, self.complaint_handling(tracking)?)))
    }
}

/// Which complaints [`Store::complaints_page`] reads.
#[derive(Clone, Debug)]
pub struct ComplaintQuery<'a> {
    /// Open ones only (not answered) with `Some(true)`, answered ones only
    /// with `Some(false)`.
    pub open: Option<bool>,
    /// Those after this complaint (its tracking id) in the list's order
    /// only: the last of the page before.
    pub before: Option<&'a str>,
    /// At most this many.
    pub limit: u64,
}

impl Default for ComplaintQuery<'_> {
    fn default() -> Self {
        ComplaintQuery {
            open: None,
            before: None,
            limit: crate::PAGE_DEFAULT,
        }
    }
}
