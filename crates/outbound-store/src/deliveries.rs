//! Which transfers carried whom: per transfer, year and subject (its keyed
//! hash) the first batch of that year that carried it.
//!
//! A rights request is forwarded to exactly the recipients that received the
//! person, so the ledger must answer "which transfers, which recipients,
//! when" from the keyed hash alone. The `subjects` table cannot: it counts per
//! exporter, and a batch outside the thresholds adds no subject there. This
//! table records every committed batch's subjects, whether or not they count.
//!
//! Rows are only ever inserted (the first batch of a year wins; later batches
//! of that year to the same transfer add nothing), so a batch adds O(new rows)
//! to the digests. Keyed by subject first: a request's lookup is one range
//! read. The parts (`["deliveries", transfer, year]`) are committed by every
//! audit entry and recomputed by `audit verify`; they do not decide a gate's
//! outcome, so a batch does not recount them before it writes.

use sqlx::{AnyConnection, Row};

use crate::StoreError;
use crate::schema::Backend;
use crate::state::Delta;
use crate::store::Store;

/// The migration that creates the table.
pub(crate) fn migration(backend: Backend) -> String {
    let (blob, rowid) = match backend {
        Backend::Sqlite => ("BLOB", " WITHOUT ROWID"),
        Backend::Postgres => ("BYTEA", ""),
    };
    format!(
        "CREATE TABLE deliveries (
            subject {blob} NOT NULL,
            transfer TEXT NOT NULL,
            year BIGINT NOT NULL,
            batch BIGINT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (subject, transfer, year)
        ){rowid}"
    )
}

/// The part of the deliveries of one transfer and year.
pub(crate) fn part(transfer: &str, year: i64) -> String {
    serde_json::json!(["deliveries", transfer, year]).to_string()
}

/// The hash of a delivery row, field by field like a subject row (hot path).
fn row_hash(
    subject: &[u8],
    transfer: &str,
    year: i64,
    batch: i64,
    at: &str,
) -> crate::merkle::Hash {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"outbound-ledger-delivery-v1\n");
    for bytes in [subject, transfer.as_bytes(), at.as_bytes()] {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    h.update(year.to_be_bytes());
    h.update(batch.to_be_bytes());
    h.finalize().into()
}

const CHUNK: usize = 500;

/// The batch whose subjects [`record`] notes.
pub(crate) struct Carrier<'a> {
    pub(crate) transfer: &'a str,
    pub(crate) year: i64,
    pub(crate) batch: i64,
    pub(crate) at: &'a str,
}

/// Records that the batch `c` carried `subjects` (sorted, distinct): inserts
/// the rows not yet there for the year and adds exactly those to `delta`.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    backend: Backend,
    delta: &mut Delta,
    c: &Carrier<'_>,
    subjects: &[[u8; 16]],
) -> Result<(), StoreError> {
    let Carrier {
        transfer,
        year,
        batch,
        at,
    } = *c;
    let part = part(transfer, year);
    for chunk in subjects.chunks(CHUNK) {
        let mut n = 0;
        let mut next = || {
            n += 1;
            match backend {
                Backend::Sqlite => "?".to_string(),
                Backend::Postgres => format!("${n}"),
            }
        };
        let values = (0..chunk.len())
            .map(|_| {
                format!(
                    "({}, {}, {}, {}, {})",
                    next(),
                    next(),
                    next(),
                    next(),
                    next()
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO deliveries (subject, transfer, year, batch, at) VALUES {values} \
             ON CONFLICT (subject, transfer, year) DO NOTHING RETURNING subject"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in chunk {
            q = q
                .bind(s.to_vec())
                .bind(transfer.to_string())
                .bind(year)
                .bind(batch)
                .bind(at.to_string());
        }
        for r in q.fetch_all(&mut *conn).await? {
            let s: Vec<u8> = r.try_get(0)?;
            delta.insert_hash(&part, &row_hash(&s, transfer, year, batch, at), false);
        }
    }
    Ok(())
}

/// Every delivery row, into `d` (for `audit verify`), a page at a time.
pub(crate) async fn recompute(conn: &mut AnyConnection, d: &mut Delta) -> Result<(), StoreError> {
    const PAGE: i64 = 10_000;
    let mut after: Option<(Vec<u8>, String, i64)> = None;
    loop {
        let cols = "SELECT subject, transfer, year, batch, at FROM deliveries";
        let q = match &after {
            None => sqlx::query(sqlx::AssertSqlSafe(format!(
                "{cols} ORDER BY subject, transfer, year LIMIT $1"
            )))
            .bind(PAGE),
            Some((s, t, y)) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "{cols} WHERE (subject, transfer, year) > ($1, $2, $3) ORDER BY subject, transfer, year LIMIT $4"
            )))
            .bind(s.clone())
            .bind(t.clone())
            .bind(*y)
            .bind(PAGE),
        };
        let rows = q.fetch_all(&mut *conn).await?;
        for r in &rows {
            let (s, t, y, b, at): (Vec<u8>, String, i64, i64, String) = (
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            );
            d.insert_hash(&part(&t, y), &row_hash(&s, &t, y, b, &at), false);
            after = Some((s, t, y));
        }
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
    }
}

/// One transfer that carried a person in one year.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    /// The transfer.
    pub transfer: String,
    /// Its recipient, as recorded with the batch.
    pub recipient: String,
    /// The calendar year.
    pub year: i64,
    /// The first batch of that year that carried the person.
    pub first_batch: u64,
    /// When that batch was recorded (UTC, RFC 3339).
    pub first_at: String,
    /// The transfer's last batch of that year (it may or may not have carried the person again).
    pub last_batch_of_year: u64,
}

impl Store {
    /// Every transfer that carried the person whose keyed hash is `subject`,
    /// per year, oldest first: exact, from the committed batches only.
    pub fn deliveries_of(&self, subject: &[u8; 16]) -> Result<Vec<Delivery>, StoreError> {
        let rows = self.run_sql(
            "look up deliveries",
            sqlx::query(
                "SELECT d.transfer, b.recipient, d.year, d.batch, d.at, \
                 (SELECT MAX(id) FROM batches l WHERE l.transfer = d.transfer AND l.year = d.year) \
                 FROM deliveries d JOIN batches b ON b.id = d.batch \
                 WHERE d.subject = $1 ORDER BY d.year, d.at, d.transfer",
            )
            .bind(subject.to_vec())
            .fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| {
                Ok(Delivery {
                    transfer: r.try_get(0)?,
                    recipient: r.try_get(1)?,
                    year: r.try_get(2)?,
                    first_batch: r.try_get::<i64, _>(3)? as u64,
                    first_at: r.try_get(4)?,
                    last_batch_of_year: r.try_get::<i64, _>(5)? as u64,
                })
            })
            .collect()
    }
}

impl Store {
    /// Distinct individuals `transfer` carried in `year`, exactly: the row
    /// count of its committed part, read without counting rows.
    pub fn deliveries_count(&self, transfer: &str, year: i64) -> Result<u64, StoreError> {
        let row = self.run_sql(
            "count deliveries",
            sqlx::query("SELECT rows_n FROM ledger_state WHERE part = $1")
                .bind(part(transfer, year))
                .fetch_optional(&self.pool),
        )?;
        Ok(match row {
            Some(r) => r.try_get::<i64, _>(0).map_err(|source| StoreError::Db {
                op: "count deliveries",
                source,
            })? as u64,
            None => 0,
        })
    }
}

impl Store {
    /// Distinct individuals that any of `transfers` carried in the calendar
    /// years `from_year` to `to_year` inclusive, from the committed rows.
    ///
    /// A row records only the first delivery of a year, so a window that starts
    /// or ends inside a year is answered with whole years: the count errs high,
    /// never low (the safe side for a threshold).
    pub fn delivered_distinct(
        &self,
        transfers: &[&str],
        from_year: i64,
        to_year: i64,
    ) -> Result<u64, StoreError> {
        if transfers.is_empty() {
            return Ok(0);
        }
        let list = (0..transfers.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT COUNT(DISTINCT subject) FROM deliveries \
             WHERE year >= $1 AND year <= $2 AND transfer IN ({list})"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from_year)
            .bind(to_year);
        for t in transfers {
            q = q.bind(t.to_string());
        }
        let row = self.run_sql(
            "count deliveries to a counterparty",
            q.fetch_one(&self.pool),
        )?;
        let n: i64 = row.try_get(0).map_err(|source| StoreError::Db {
            op: "count deliveries to a counterparty",
            source,
        })?;
        Ok(n.max(0) as u64)
    }
}
