//! Scans of the operator's databases started from the server, recorded in
//! the audit log before any row is read: reading a production table of
//! personal information is processing (PIPL Art. 4), and an auditor asks who
//! read which tables, when, and how much of them. The entry names the
//! databases by their ids in the server's `--scan-sources` file, never by
//! URL, and holds no value the scan reads (what it found stays in the job).

use sqlx::Row;

use crate::{Keys, Store, StoreError};

/// How a scan picks the rows it reads, as the entry records it: a
/// random sample, the first rows, or every row (`full`, whose
/// `sample_rows` is 0: no bound).
pub const SAMPLES: &[&str] = &["random", "first", "full"];

/// The most databases or table patterns, and the longest name or pattern,
/// an entry holds (a check of a large map names every dataset's table).
pub const MAX_TABLES: usize = 1000;
const MAX_NAME: usize = 200;

/// A database scan as the log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseScan {
    /// Who started it: a staff account name.
    pub by: String,
    /// The ids of the databases read (one for a scan, one per system for a
    /// check of the map).
    pub sources: Vec<String>,
    /// The table patterns (`table` or `schema.table` globs); none for every
    /// table.
    pub tables: Vec<String>,
    /// How rows are picked: one of [`SAMPLES`].
    pub sample: String,
    /// Rows read a table at most; 0 exactly when `sample` is `full`.
    pub sample_rows: u64,
    /// What the tables are compared with: `dataset:ID`, `transfer:ID`, or
    /// `map` for every dataset that names its table.
    pub target: String,
}

impl DatabaseScan {
    /// The entry's body, or why the store would not write it.
    fn body(&self) -> Result<serde_json::Value, StoreError> {
        let name_ok = |s: &str| !s.is_empty() && s.chars().count() <= MAX_NAME;
        if !name_ok(&self.by) || !name_ok(&self.target) {
            return Err(crate::invalid(
                "a database scan needs who started it and its target, each 1 to 200 characters",
            ));
        }
        if self.sources.is_empty()
            || self.sources.len() > MAX_TABLES
            || !self.sources.iter().all(|s| name_ok(s))
        {
            return Err(crate::invalid(
                "a database scan names 1 to 1,000 databases by id, each 1 to 200 characters",
            ));
        }
        if self.tables.len() > MAX_TABLES || !self.tables.iter().all(|t| name_ok(t)) {
            return Err(crate::invalid(
                "a database scan names at most 1,000 table patterns, each 1 to 200 characters",
            ));
        }
        if !SAMPLES.contains(&self.sample.as_str())
            || (self.sample_rows == 0) != (self.sample == "full")
        {
            return Err(crate::invalid(
                "a database scan reads every row (`full`, no bound) or at least one row a table, picked `random` or `first`",
            ));
        }
        Ok(serde_json::json!({
            "by": self.by,
            "sources": self.sources,
            "tables": self.tables,
            "sample": self.sample,
            "sample_rows": self.sample_rows,
            "target": self.target,
        }))
    }
}

/// A `database_scanned` entry read back from the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedScan {
    /// The entry's index in the log (its inclusion proof's).
    pub index: u64,
    /// When it was appended: when the scan started (RFC 3339, UTC).
    pub at: String,
    /// What it records.
    pub scan: DatabaseScan,
}

impl DatabaseScan {
    /// The scan an entry's body records; `None` for a body that is not one.
    fn from_body(body: &str) -> Option<DatabaseScan> {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        let strings = |k: &str| -> Option<Vec<String>> {
            v.get(k)?
                .as_array()?
                .iter()
                .map(|x| x.as_str().map(String::from))
                .collect()
        };
        Some(DatabaseScan {
            by: v.get("by")?.as_str()?.to_string(),
            sources: strings("sources")?,
            tables: strings("tables")?,
            sample: v.get("sample")?.as_str()?.to_string(),
            sample_rows: v.get("sample_rows")?.as_u64()?,
            target: v.get("target")?.as_str()?.to_string(),
        })
    }
}

impl Store {
    /// The newest `limit` database scans the log records, newest first
    /// (one walk of an index by kind). A body that is not a scan's is
    /// [`StoreError::Tampered`]: the store writes none such, so the log
    /// was edited, and `audit verify` says where.
    pub fn database_scans(&self, limit: u32) -> Result<Vec<LoggedScan>, StoreError> {
        let rows = self.run_sql(
            "read the database scans",
            sqlx::query(
                "SELECT idx, at, body FROM audit_entries WHERE kind = 'database_scanned' \
                 ORDER BY idx DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| {
                let index = r.try_get::<i64, _>(0)? as u64;
                let scan =
                    DatabaseScan::from_body(&r.try_get::<String, _>(2)?).ok_or_else(|| {
                        crate::state::tampered(format!(
                            "audit entry {index} is not the database scan its kind says"
                        ))
                    })?;
                Ok(LoggedScan {
                    index,
                    at: r.try_get(1)?,
                    scan,
                })
            })
            .collect()
    }

    /// Appends a `database_scanned` entry for `scan` and returns its index;
    /// the caller reads no row unless this succeeds.
    pub fn record_database_scan(
        &self,
        keys: &Keys,
        scan: &DatabaseScan,
    ) -> Result<u64, StoreError> {
        let body = scan.body()?;
        self.audit_append(keys, "database_scanned", &body)
            .map(|(index, _)| index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan() -> DatabaseScan {
        DatabaseScan {
            by: "ana".into(),
            sources: vec!["shop-crm".into()],
            tables: vec!["public.customers".into()],
            sample: "random".into(),
            sample_rows: 10_000,
            target: "dataset:customers".into(),
        }
    }

    #[test]
    fn a_scan_the_log_would_not_hold_is_refused() {
        assert!(scan().body().is_ok());
        let full = DatabaseScan {
            sample: "full".into(),
            sample_rows: 0,
            ..scan()
        };
        assert_eq!(full.body().unwrap()["sample_rows"], 0);
        let bad: [fn(&mut DatabaseScan); 10] = [
            |s| s.by.clear(),
            |s| s.target = "t".repeat(201),
            |s| s.sources.clear(),
            |s| s.sources = vec![String::new()],
            |s| s.tables = vec!["x".into(); MAX_TABLES + 1],
            |s| s.tables = vec![String::new()],
            |s| s.sample = "all".into(),
            |s| s.sample_rows = 0,
            // Every row with a bound, or a bound of no row.
            |s| s.sample = "full".into(),
            |s| {
                s.sample = "first".into();
                s.sample_rows = 0;
            },
        ];
        for (i, f) in bad.iter().enumerate() {
            let mut s = scan();
            f(&mut s);
            assert!(s.body().is_err(), "case {i}");
        }
    }
}
