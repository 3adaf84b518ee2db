//! Reviews of overseas recipients and their findings (issue 14).
//!
//! A review is the exporter's check of one recipient on a day: a desk review
//! of documents, an on-site visit or a third party's audit report read. It
//! has a summary (free text, kept in the table only, never in the log; it
//! must not hold personal data) and findings, each with a severity (`low`,
//! `medium`, `high`), a short text (table only) and a state: `open` until it
//! is `fixed` or `accepted` (the risk taken knowingly), with who closed it and
//! when. A closed finding is not reopened: a new review records a new one.
//!
//! Both tables are one small-table part (`["reviews"]`) committed to by the
//! audit log: a review or finding slipped into the database, or a finding
//! closed behind the log's back, is found by `audit verify` and the next write
//! refuses to build on it. The audit entries (`review_recorded`,
//! `finding_changed`) name who, the ids, the recipient, the kind, the
//! severities and the states; never the texts.
//!
//! Which recipients exist is the data map's business: callers check the id
//! before calling [`Store::record_review`]; the store checks the form.

use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::StoreError;
use crate::keys::Keys;
use crate::schema::Backend;
use crate::state::Delta;
use crate::store::Store;

/// The part that summarises the reviews and their findings.
pub(crate) const REVIEWS: &str = r#"["reviews"]"#;

/// The longest review summary, in characters.
pub const SUMMARY_MAX_CHARS: usize = 2000;
/// The longest finding text, in characters.
pub const FINDING_MAX_CHARS: usize = 300;
/// The most findings one review records.
pub const FINDINGS_MAX: usize = 50;
/// The longest recipient or account id accepted.
const ID_MAX: usize = 200;

/// The migration that creates this workflow's tables.
pub(crate) fn migration(_backend: Backend) -> String {
    "CREATE TABLE reviews (
        id BIGINT PRIMARY KEY,
        recipient TEXT NOT NULL,
        reviewed_on TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        by_account TEXT NOT NULL,
        kind TEXT NOT NULL,
        summary TEXT NOT NULL
    );
    CREATE INDEX reviews_recipient ON reviews (recipient, id);
    CREATE TABLE findings (
        id BIGINT PRIMARY KEY,
        review BIGINT NOT NULL,
        recipient TEXT NOT NULL,
        severity TEXT NOT NULL,
        text TEXT NOT NULL,
        state TEXT NOT NULL,
        closed_by TEXT,
        closed_at TEXT
    );
    CREATE INDEX findings_recipient ON findings (recipient, id)"
        .to_string()
}

use crate::names::named_enum;

named_enum!(
    /// How a recipient was reviewed.
    ReviewKind, "review kind", {
        /// Documents, questionnaires and attestations read at a desk.
        Desk => "desk",
        /// A visit to the recipient's premises or systems.
        OnSite => "on_site",
        /// A third party's audit or certification report read.
        AuditReport => "audit_report",
    }
);

named_enum!(
    /// How serious a finding is, lowest first.
    Severity, "severity", {
        /// Low.
        Low => "low",
        /// Medium.
        Medium => "medium",
        /// High.
        High => "high",
    }
);

named_enum!(
    /// Where a finding stands.
    FindingState, "finding state", {
        /// Not yet dealt with.
        Open => "open",
        /// The recipient remedied it.
        Fixed => "fixed",
        /// The exporter accepted the risk as it is.
        Accepted => "accepted",
    }
);

/// A finding to record with a review.
#[derive(Clone, Debug)]
pub struct NewFinding {
    /// How serious it is.
    pub severity: Severity,
    /// What was found, at most [`FINDING_MAX_CHARS`] characters, no personal data.
    pub text: String,
}

/// A review to record.
#[derive(Clone, Debug)]
pub struct NewReview {
    /// The recipient's id in the data map.
    pub recipient: String,
    /// The day the review took place (YYYY-MM-DD), not after the day it is recorded.
    pub date: String,
    /// How it was done.
    pub kind: ReviewKind,
    /// What was reviewed and concluded, at most [`SUMMARY_MAX_CHARS`]
    /// characters, no personal data.
    pub summary: String,
    /// Its findings, at most [`FINDINGS_MAX`].
    pub findings: Vec<NewFinding>,
}

/// A finding recorded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Its number, in the order recorded (all recipients).
    pub id: i64,
    /// The review it came from.
    pub review: i64,
    /// The recipient reviewed.
    pub recipient: String,
    /// How serious it is.
    pub severity: Severity,
    /// What was found.
    pub text: String,
    /// Where it stands.
    pub state: FindingState,
    /// Who fixed or accepted it.
    pub closed_by: Option<String>,
    /// When it was fixed or accepted (UTC, RFC 3339).
    pub closed_at: Option<String>,
}

/// A review recorded, with its findings.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Review {
    /// Its number, in the order recorded.
    pub id: i64,
    /// The recipient reviewed.
    pub recipient: String,
    /// The day the review took place (YYYY-MM-DD).
    pub date: String,
    /// When it was recorded (UTC, RFC 3339).
    pub recorded_at: String,
    /// The account that recorded it.
    pub by: String,
    /// How it was done.
    pub kind: ReviewKind,
    /// Its summary.
    pub summary: String,
    /// Its findings, in the order recorded.
    pub findings: Vec<Finding>,
}

fn id_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= ID_MAX && s.chars().all(|c| !c.is_control())
}

/// Why a review cannot be recorded as given (its form; never its content).
/// `today` is the recording day (UTC): a review cannot take place later.
pub fn check(new: &NewReview, by: &str, today: jiff::civil::Date) -> Result<(), String> {
    if !id_ok(&new.recipient) {
        return Err("the recipient id is empty, too long or has control characters".into());
    }
    if !id_ok(by) {
        return Err("the account is empty, too long or has control characters".into());
    }
    let Ok(date) = new.date.parse::<jiff::civil::Date>() else {
        return Err("the review's date is not a date (YYYY-MM-DD)".into());
    };
    if date.to_string() != new.date {
        return Err("the review's date is not a date (YYYY-MM-DD)".into());
    }
    if date > today {
        return Err(format!(
            "the review's date {date} is after today ({today}); record a review once it has taken place"
        ));
    }
    let summary = new.summary.trim();
    if summary.is_empty() {
        return Err("the summary is empty".into());
    }
    let len = summary.chars().count();
    if len > SUMMARY_MAX_CHARS {
        return Err(format!(
            "the summary has {len} characters; at most {SUMMARY_MAX_CHARS}"
        ));
    }
    if summary
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("the summary has control characters".into());
    }
    if new.findings.len() > FINDINGS_MAX {
        return Err(format!(
            "{} findings; at most {FINDINGS_MAX} per review",
            new.findings.len()
        ));
    }
    for (i, f) in new.findings.iter().enumerate() {
        let text = f.text.trim();
        let len = text.chars().count();
        if len == 0 {
            return Err(format!("finding {} has no text", i + 1));
        }
        if len > FINDING_MAX_CHARS {
            return Err(format!(
                "finding {} has {len} characters; at most {FINDING_MAX_CHARS}",
                i + 1
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(format!("finding {} has control characters", i + 1));
        }
    }
    Ok(())
}

fn review_row(r: &Review) -> serde_json::Value {
    serde_json::json!([
        "review",
        r.id,
        r.recipient,
        r.date,
        r.recorded_at,
        r.by,
        r.kind.as_str(),
        r.summary
    ])
}

fn finding_row(f: &Finding) -> serde_json::Value {
    serde_json::json!([
        "finding",
        f.id,
        f.review,
        f.recipient,
        f.severity.as_str(),
        f.text,
        f.state.as_str(),
        f.closed_by,
        f.closed_at
    ])
}

const REVIEW_COLUMNS: &str = "id, recipient, reviewed_on, recorded_at, by_account, kind, summary";
const FINDING_COLUMNS: &str = "id, review, recipient, severity, text, state, closed_by, closed_at";

fn malformed(what: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Malformed {
        what,
        source: Some(Box::new(e)),
    }
}

fn review_of(r: &sqlx::any::AnyRow) -> Result<Review, StoreError> {
    let kind: String = r.try_get(5)?;
    Ok(Review {
        id: r.try_get(0)?,
        recipient: r.try_get(1)?,
        date: r.try_get(2)?,
        recorded_at: r.try_get(3)?,
        by: r.try_get(4)?,
        kind: kind.parse().map_err(|e| malformed("review kind", e))?,
        summary: r.try_get(6)?,
        findings: Vec::new(),
    })
}

fn finding_of(r: &sqlx::any::AnyRow) -> Result<Finding, StoreError> {
    let severity: String = r.try_get(3)?;
    let state: String = r.try_get(5)?;
    Ok(Finding {
        id: r.try_get(0)?,
        review: r.try_get(1)?,
        recipient: r.try_get(2)?,
        severity: severity
            .parse()
            .map_err(|e| malformed("finding severity", e))?,
        text: r.try_get(4)?,
        state: state.parse().map_err(|e| malformed("finding state", e))?,
        closed_by: r.try_get(6)?,
        closed_at: r.try_get(7)?,
    })
}

/// This workflow's rows, for the small-table parts.
pub(crate) async fn parts(conn: &mut AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    let sql = format!("SELECT {REVIEW_COLUMNS} FROM reviews");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(REVIEWS, &review_row(&review_of(&r)?), false);
    }
    let sql = format!("SELECT {FINDING_COLUMNS} FROM findings");
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        d.insert(REVIEWS, &finding_row(&finding_of(&r)?), false);
    }
    Ok(())
}

async fn next_id(tx: &mut Transaction<'static, Any>, table: &str) -> Result<i64, StoreError> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}");
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?)
}

async fn finding_in(
    tx: &mut Transaction<'static, Any>,
    id: i64,
) -> Result<Option<Finding>, StoreError> {
    let sql = format!("SELECT {FINDING_COLUMNS} FROM findings WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(finding_of)
        .transpose()
}

impl Store {
    /// Records a review of a recipient and its findings (all `open`), made
    /// by the account `by`; returns it as stored. Refused, with nothing
    /// stored, if its form is wrong ([`check`]) or the store does not verify.
    pub fn record_review(
        &self,
        keys: &Keys,
        by: &str,
        new: &NewReview,
    ) -> Result<Review, StoreError> {
        let (at, _) = crate::audit::now();
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        check(new, by, today).map_err(|problem| StoreError::Invalid { problem })?;
        self.run("record a review", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let mut review = Review {
                id: next_id(&mut tx, "reviews").await?,
                recipient: new.recipient.clone(),
                date: new.date.clone(),
                recorded_at: at,
                by: by.to_string(),
                kind: new.kind,
                summary: new.summary.trim().to_string(),
                findings: Vec::new(),
            };
            let sql = format!(
                "INSERT INTO reviews ({REVIEW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(review.id)
                .bind(review.recipient.clone())
                .bind(review.date.clone())
                .bind(review.recorded_at.clone())
                .bind(review.by.clone())
                .bind(review.kind.as_str())
                .bind(review.summary.clone())
                .execute(&mut *tx)
                .await?;
            let mut delta = Delta::default();
            delta.insert(REVIEWS, &review_row(&review), false);
            let first = next_id(&mut tx, "findings").await?;
            for (i, f) in new.findings.iter().enumerate() {
                let finding = Finding {
                    id: first + i as i64,
                    review: review.id,
                    recipient: review.recipient.clone(),
                    severity: f.severity,
                    text: f.text.trim().to_string(),
                    state: FindingState::Open,
                    closed_by: None,
                    closed_at: None,
                };
                let sql = format!(
                    "INSERT INTO findings ({FINDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(finding.id)
                    .bind(finding.review)
                    .bind(finding.recipient.clone())
                    .bind(finding.severity.as_str())
                    .bind(finding.text.clone())
                    .bind(finding.state.as_str())
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .execute(&mut *tx)
                    .await?;
                delta.insert(REVIEWS, &finding_row(&finding), false);
                review.findings.push(finding);
            }
            delta.apply(&mut tx).await?;
            let findings: Vec<serde_json::Value> = review
                .findings
                .iter()
                .map(|f| serde_json::json!({"finding": f.id, "severity": f.severity.as_str()}))
                .collect();
            let body = serde_json::json!({
                "review": review.id, "recipient": review.recipient, "date": review.date,
                "kind": review.kind.as_str(), "findings": findings, "by": by,
            });
            crate::audit::append(&mut tx, keys, "review_recorded", body).await?;
            tx.commit().await?;
            Ok(review)
        })
    }

    /// Marks an open finding `fixed` or `accepted`, by the account `by`, now;
    /// returns it as stored. [`StoreError::NotFound`] for an unknown id,
    /// [`StoreError::Conflict`] for a finding already closed,
    /// [`StoreError::Invalid`] for the state `open`.
    pub fn set_finding_state(
        &self,
        keys: &Keys,
        by: &str,
        id: i64,
        state: FindingState,
    ) -> Result<Finding, StoreError> {
        if state == FindingState::Open {
            return Err(StoreError::Invalid {
                problem: "a finding is closed as `fixed` or `accepted`; it is not reopened (record a new review instead)".into(),
            });
        }
        if !id_ok(by) {
            return Err(StoreError::Invalid {
                problem: "the account is empty, too long or has control characters".into(),
            });
        }
        let (at, _) = crate::audit::now();
        self.run("change a finding", async {
            let mut tx = self.begin_write().await?;
            crate::state::check(&mut tx, keys).await?;
            let Some(old) = finding_in(&mut tx, id).await? else {
                return Err(StoreError::NotFound {
                    what: format!("finding {id}"),
                });
            };
            if old.state != FindingState::Open {
                return Err(StoreError::Conflict {
                    problem: format!(
                        "finding {id} is already {} (by {}); a closed finding is not changed",
                        old.state,
                        old.closed_by.as_deref().unwrap_or("?")
                    ),
                });
            }
            let new = Finding {
                state,
                closed_by: Some(by.to_string()),
                closed_at: Some(at),
                ..old.clone()
            };
            sqlx::query(
                "UPDATE findings SET state = $1, closed_by = $2, closed_at = $3 WHERE id = $4",
            )
            .bind(new.state.as_str())
            .bind(new.closed_by.clone())
            .bind(new.closed_at.clone())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let mut delta = Delta::default();
            delta.remove(REVIEWS, &finding_row(&old), false);
            delta.insert(REVIEWS, &finding_row(&new), false);
            delta.apply(&mut tx).await?;
            let body = serde_json::json!({
                "finding": id, "review": new.review, "recipient": new.recipient,
                "severity": new.severity.as_str(), "from": old.state.as_str(),
                "state": new.state.as_str(), "by": by,
            });
            crate::audit::append(&mut tx, keys, "finding_changed", body).await?;
            tx.commit().await?;
            Ok(new)
        })
    }

    /// Every review with its findings, or those of one recipient, oldest first.
    pub fn reviews(&self, recipient: Option<&str>) -> Result<Vec<Review>, StoreError> {
        let where_ = if recipient.is_some() {
            " WHERE recipient = $1"
        } else {
            ""
        };
        let sql = format!("SELECT {REVIEW_COLUMNS} FROM reviews{where_} ORDER BY id");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(r) = recipient {
            q = q.bind(r.to_string());
        }
        let rows = self.run_sql("list reviews", q.fetch_all(&self.pool))?;
        let mut reviews: Vec<Review> = rows.iter().map(review_of).collect::<Result<_, _>>()?;
        let findings = self.findings(recipient)?;
        for f in findings {
            if let Some(r) = reviews.iter_mut().find(|r| r.id == f.review) {
                r.findings.push(f);
            }
        }
        Ok(reviews)
    }

    /// Every finding, or those of one recipient, oldest first.
    pub fn findings(&self, recipient: Option<&str>) -> Result<Vec<Finding>, StoreError> {
        let where_ = if recipient.is_some() {
            " WHERE recipient = $1"
        } else {
            ""
        };
        let sql = format!("SELECT {FINDING_COLUMNS} FROM findings{where_} ORDER BY id");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(r) = recipient {
            q = q.bind(r.to_string());
        }
        let rows = self.run_sql("list findings", q.fetch_all(&self.pool))?;
        rows.iter().map(finding_of).collect()
    }

    /// The finding `id`, if it exists.
    pub fn finding(&self, id: i64) -> Result<Option<Finding>, StoreError> {
        let sql = format!("SELECT {FINDING_COLUMNS} FROM findings WHERE id = $1");
        let row = self.run_sql(
            "read a finding",
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(&self.pool),
        )?;
        row.as_ref().map(finding_of).transpose()
    }
}
