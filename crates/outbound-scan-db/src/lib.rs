//! Scans the tables of SQLite and PostgreSQL databases for personal
//! information and reports them exactly as `outbound scan` reports files:
//! one entry per table (`format: "table"`, `path` like
//! `postgres://host:5432/db#schema.table` or `sqlite:PATH#table`), one
//! field per column, the same kinds, classification, totals and distinct
//! individuals (over all tables of the run).
//!
//! Why a crate of its own: the scanner core stays free of database
//! drivers. This crate reads rows and hands them to
//! [`outbound_scan::RowScan`], which scans each cell as a CSV cell under
//! its column name (so header hints such as `mobile` or `姓名` apply).
//!
//! # Safety of the source
//!
//! - **Read-only.** SQLite is opened read-only (`SQLITE_OPEN_READONLY`,
//!   never created) with `PRAGMA query_only = ON`; PostgreSQL gets
//!   `default_transaction_read_only = on` at connection start,
//!   `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`, and every
//!   query runs inside one `READ ONLY` transaction that is rolled back.
//! - **Bounded.** By default the first [`DEFAULT_SAMPLE_ROWS`] rows of each
//!   table are read; `full` reads all. Each table entry says how many rows
//!   were read out of how many (`table.rows_read`, `rows_total`,
//!   `sampled`).
//! - **No values out.** Only counters leave the scanner (masked samples
//!   only when asked). Connection strings are shown as
//!   `postgres://host:port/db`: the user's password never appears in the
//!   report or in an error message ([`display_url`], [`scrub`]).
//!
//! Values are converted to text (`::text` in PostgreSQL, `CAST(… AS TEXT)`
//! in SQLite); NULL is skipped; binary columns (bytea, BLOB) and BLOB values
//! are not scanned and binary columns are listed in `table.binary_columns`.

use std::fmt;

use globset::{Glob, GlobSet, GlobSetBuilder};
use outbound_scan::{RowScan, ScanOptions, ScanReport, TableInfo};

mod postgres;
mod sqlite;
mod suggest;

pub use suggest::suggest_datasets;

/// Rows read per table unless told otherwise.
pub const DEFAULT_SAMPLE_ROWS: u64 = 10_000;

/// What to read and how to scan it.
#[derive(Clone, Debug)]
pub struct DbScanOptions {
    /// Scanner options: `subject_key` (a column name) and `samples` apply.
    pub scan: ScanOptions,
    /// Globs picking tables by `table` or `schema.table`; empty = all.
    pub tables: Vec<String>,
    /// Rows read per table when not `full` (the first ones the database
    /// returns).
    pub sample_rows: u64,
    /// Read every row.
    pub full: bool,
}

impl Default for DbScanOptions {
    fn default() -> Self {
        DbScanOptions {
            scan: ScanOptions::default(),
            tables: Vec::new(),
            sample_rows: DEFAULT_SAMPLE_ROWS,
            full: false,
        }
    }
}

/// A database that could not be opened or listed, or a bad option. The
/// message names the database (without its password), never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError(pub String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

/// Which driver a URL is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Driver {
    Sqlite,
    Postgres,
}

fn driver(url: &str) -> Option<Driver> {
    if url.starts_with("sqlite:") {
        Some(Driver::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Driver::Postgres)
    } else {
        None
    }
}

/// Whether `arg` names a database (`sqlite:PATH`, `sqlite://PATH`,
/// `postgres://…`, `postgresql://…`) rather than a file.
pub fn is_database_url(arg: &str) -> bool {
    driver(arg).is_some()
}

/// The password in a URL's user info (raw and percent-decoded) and in a
/// `password=` query parameter: what [`scrub`] removes.
fn secrets(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((_, rest)) = url.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, pw)) = userinfo.split_once(':')
        {
            out.push(pw.to_string());
        }
    }
    if let Some((_, query)) = url.split_once('?') {
        for kv in query.split('&') {
            if let Some(("password", pw)) = kv.split_once('=') {
                out.push(pw.to_string());
            }
        }
    }
    let decoded: Vec<String> = out.iter().map(|s| percent_decode(s)).collect();
    out.extend(decoded);
    out.retain(|s| !s.is_empty());
    // Longest first, so a password containing another is removed whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        if b[i] == b'%'
            && let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `message` with every form of the password in `url` replaced by `***`:
/// applied to every message that leaves this crate.
pub fn scrub(message: &str, url: &str) -> String {
    let mut m = message.to_string();
    for s in secrets(url) {
        m = m.replace(&s, "***");
    }
    m
}

/// How a database is named in the report and in errors: without user,
/// password or query (`postgres://host:5432/db`, `sqlite:PATH`).
pub fn display_url(url: &str) -> String {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    match driver(url) {
        Some(Driver::Postgres) => {
            let (scheme, rest) = no_query.split_once("://").unwrap_or(("postgres", ""));
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        _ => no_query.to_string(),
    }
}

/// The table filter: `--table` globs matched against `table` and
/// `schema.table`.
struct Filter(Option<GlobSet>);

impl Filter {
    fn new(patterns: &[String]) -> Result<Filter, DbError> {
        if patterns.is_empty() {
            return Ok(Filter(None));
        }
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            let g = Glob::new(p).map_err(|e| DbError(format!("bad --table pattern `{p}`: {e}")))?;
            b.add(g);
        }
        b.build()
            .map(|s| Filter(Some(s)))
            .map_err(|e| DbError(format!("bad --table patterns: {e}")))
    }

    fn allows(&self, schema: Option<&str>, table: &str) -> bool {
        let Some(set) = &self.0 else { return true };
        set.is_match(table) || schema.is_some_and(|s| set.is_match(format!("{s}.{table}")))
    }
}

/// What one table's read gave, for [`TableInfo`].
fn table_info(read: u64, total: u64, binary_columns: Vec<String>) -> TableInfo {
    TableInfo {
        rows_read: read,
        rows_total: total.max(read),
        sampled: read < total,
        binary_columns,
    }
}

/// A driver error for a message: the database's own message without the
/// server's source line that PostgreSQL errors display (`at line 768` read
/// as a line of the user's input), and never the error's detail (which
/// can quote values).
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => format!("error returned from database: {}", d.message()),
        other => other.to_string(),
    }
}

/// `"name"` with inner quotes doubled: an SQL identifier in both dialects.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Scans every table (or those `opts.tables` picks) of each database and
/// returns one report for all of them.
///
/// # Errors
///
/// A database that cannot be opened or whose tables cannot be listed, or a
/// bad `--table` pattern: the message names the database as
/// [`display_url`] shows it. A table that cannot be read is an error entry
/// in the report instead, and the other tables are still scanned.
pub fn scan_databases(urls: &[String], opts: &DbScanOptions) -> Result<ScanReport, DbError> {
    let filter = Filter::new(&opts.tables)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DbError(format!("cannot start the database runtime: {e}")))?;
    let mut scan = RowScan::new(&opts.scan);
    for url in urls {
        let limit = (!opts.full).then_some(opts.sample_rows);
        let res = match driver(url) {
            Some(Driver::Sqlite) => rt.block_on(sqlite::scan(url, &filter, limit, &mut scan)),
            Some(Driver::Postgres) => rt.block_on(postgres::scan(url, &filter, limit, &mut scan)),
            None => Err(format!(
                "`{}` is not a database URL (sqlite:PATH, postgres://…)",
                display_url(url)
            )),
        };
        res.map_err(|m| DbError(scrub(&m, url)))?;
    }
    Ok(scan.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_secrets() {
        let u = "postgres://alice:s3cr%40t@db.example:5433/crm?sslmode=require&password=other";
        assert_eq!(display_url(u), "postgres://db.example:5433/crm");
        let m = scrub("failed for s3cr%40t and s3cr@t and other", u);
        assert_eq!(m, "failed for *** and *** and ***");
        assert_eq!(display_url("sqlite:/tmp/a.db?mode=ro"), "sqlite:/tmp/a.db");
        assert_eq!(display_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
        assert!(is_database_url("postgresql://h/d"));
        assert!(is_database_url("sqlite:x.db"));
        assert!(!is_database_url("data/sqlite.csv"));
    }

    #[test]
    fn table_filter() {
        let f = Filter::new(&["cust*".into(), "audit.*".into()]).unwrap();
        assert!(f.allows(Some("public"), "customers"));
        assert!(f.allows(Some("audit"), "log"));
        assert!(!f.allows(Some("public"), "log"));
        assert!(Filter::new(&[]).unwrap().allows(None, "x"));
        assert!(Filter::new(&["[".into()]).is_err());
    }
}
