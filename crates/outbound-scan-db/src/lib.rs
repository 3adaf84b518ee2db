//! Scans the tables of SQLite, PostgreSQL and MySQL/MariaDB databases for personal
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
//!   query runs inside one `READ ONLY` transaction that is rolled back;
//!   MySQL gets `SET SESSION TRANSACTION READ ONLY` (writes, DDL and
//!   temporary tables refused) and a `READ ONLY` consistent-snapshot
//!   transaction per table, rolled back.
//! - **Bounded and representative.** By default at most
//!   [`DEFAULT_SAMPLE_ROWS`] rows of each table are read, picked at random
//!   but reproducibly (the same seed gives the same rows, so two runs give
//!   the same report): PostgreSQL `TABLESAMPLE … REPEATABLE (seed)` sized
//!   from the planner's estimate, SQLite random rowids, MySQL `RAND(seed)`
//!   order or blocks at random points of an integer key (see `mysql`). The first rows of
//!   an append-only table are its oldest ones, and a pattern that only
//!   newer rows hold would be missed. [`Sample::First`] reads the first
//!   rows instead, `full` all. Each table entry says how many rows were
//!   read out of how many and how they were picked (`table.rows_read`,
//!   `rows_total`, `rows_total_estimated`, `sampled`, `sample`).
//! - **Cheap to size.** PostgreSQL tables estimated above
//!   [`DbScanOptions::count_limit`] rows are not counted (a count reads the
//!   whole table): `rows_total` is the planner's estimate, marked so.
//! - **Views only when asked** ([`DbScanOptions::views`]): a view runs its
//!   query, which can be expensive; otherwise views are listed in the
//!   report's `skipped`.
//! - **Parallel, same report.** Up to `scan.threads` tables are read at
//!   once, each on its own read-only connection, and their rows are
//!   scanned in chunks on `scan.threads` more threads (reading and
//!   scanning overlap, even within one table); the report is identical to
//!   a one-thread run (see `pipeline`).
//! - **No values out.** Only counters leave the scanner (masked samples
//!   only when asked). Connection strings are shown as
//!   `postgres://host:port/db`: the user's password never appears in the
//!   report or in an error message ([`display_url`], [`scrub`]).
//!
//! Values are converted to text (`::text` in PostgreSQL, `CAST(… AS TEXT)`
//! in SQLite, `CAST(… AS CHAR)` in MySQL); NULL is skipped; binary columns
//! (bytea, BLOB, MySQL's BINARY and spatial types) and BLOB values
//! are not scanned and binary columns are listed in `table.binary_columns`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use globset::{Glob, GlobSet, GlobSetBuilder};
use outbound_scan::{ErrorEntry, RowScan, ScanOptions, ScanReport, Skipped, TableInfo};

pub mod check;
mod mysql;
mod pipeline;
mod postgres;
mod sample;
mod sqlite;
mod suggest;

pub use suggest::suggest_datasets;

/// Rows read per table unless told otherwise.
pub const DEFAULT_SAMPLE_ROWS: u64 = 10_000;

/// The sampling seed unless told otherwise: fixed, so that two runs on
/// unchanged data give the same report.
pub const DEFAULT_SEED: u64 = 1;

/// Estimated rows above which a PostgreSQL table is not counted.
pub const DEFAULT_COUNT_LIMIT: u64 = 1_000_000;

/// How a bounded read picks its rows (a table with no more rows than the
/// bound is read whole either way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sample {
    /// A reproducible random sample: rows from the whole table, not only
    /// its oldest. Where the database cannot (a PostgreSQL view, an SQLite
    /// view or `WITHOUT ROWID` table) the first rows are read and the
    /// table entry says `sample: "first"`.
    #[default]
    Random,
    /// The first rows the database returns (cheapest; on an append-only
    /// table, the oldest).
    First,
}

/// What to read and how to scan it.
#[derive(Clone, Debug)]
pub struct DbScanOptions {
    /// Scanner options: `subject_key` (a column name), `samples`,
    /// `threads`, `not_kinds`, and `progress`, which is told rows scanned
    /// (not bytes).
    pub scan: ScanOptions,
    /// Globs picking tables by `table` or `schema.table`; empty = all.
    pub tables: Vec<String>,
    /// Rows read per table at most when not `full`.
    pub sample_rows: u64,
    /// Read every row.
    pub full: bool,
    /// How the rows of a bounded read are picked.
    pub sample: Sample,
    /// Seed of the random sample (mixed with each table's name, so tables
    /// are sampled independently).
    pub seed: u64,
    /// Scan views (and PostgreSQL materialized views) too.
    pub views: bool,
    /// PostgreSQL tables the planner estimates above this many rows are
    /// not counted (`rows_total` is the estimate) and are sampled by pages
    /// (`TABLESAMPLE SYSTEM`) rather than by rows (`BERNOULLI`, which reads
    /// the whole table).
    pub count_limit: u64,
    /// Set (from any thread) to stop the scan: every reader stops at its
    /// next chunk of rows or table, and [`scan_databases`] answers
    /// [`DbError`] `cancelled` rather than a report of what was read so
    /// far. A query the database is still working on before its first row
    /// (a sort for a sample) is not interrupted; its rows are then not read.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Whether the caller's flag (`DbScanOptions::cancel`) is set.
pub(crate) fn is_cancelled(flag: &Option<Arc<AtomicBool>>) -> bool {
    flag.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
}

/// The message of a scan stopped through [`DbScanOptions::cancel`].
pub const CANCELLED: &str = "the scan was cancelled before it finished";

impl Default for DbScanOptions {
    fn default() -> Self {
        DbScanOptions {
            scan: ScanOptions::default(),
            tables: Vec::new(),
            sample_rows: DEFAULT_SAMPLE_ROWS,
            full: false,
            sample: Sample::Random,
            seed: DEFAULT_SEED,
            views: false,
            count_limit: DEFAULT_COUNT_LIMIT,
            cancel: None,
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
    /// MySQL and MariaDB (`mysql://`, `mariadb://`).
    MySql,
}

fn driver(url: &str) -> Option<Driver> {
    if url.starts_with("sqlite:") {
        Some(Driver::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Driver::Postgres)
    } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        Some(Driver::MySql)
    } else {
        None
    }
}

/// Whether `arg` names a database (`sqlite:PATH`, `sqlite://PATH`,
/// `postgres://…`, `postgresql://…`, `mysql://…`, `mariadb://…`) rather
/// than a file.
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
        Some(Driver::Postgres | Driver::MySql) => {
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

    /// Whether the filter picks `r`; a relation without a schema
    /// (SQLite's) is matched as `main.NAME` too.
    fn picks(&self, r: &Relation) -> bool {
        self.allows(r.schema.as_deref().or(Some("main")), &r.name)
    }
}

/// The relations a scan read, each with the `path` of its report entry.
pub(crate) type Read = Vec<(String, Relation)>;

/// A table or view to read, in report order.
#[derive(Debug)]
pub(crate) struct Relation {
    /// PostgreSQL: the relation's oid.
    pub(crate) oid: i64,
    /// PostgreSQL: its schema.
    pub(crate) schema: Option<String>,
    pub(crate) name: String,
    /// `view` or `materialized_view`; `None` for a table.
    pub(crate) view: Option<&'static str>,
}

impl Relation {
    /// `schema.name` or `name`.
    pub(crate) fn qualified(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What one table's read gave, for [`TableInfo`]. `total` is `None` when
/// every row was read (the rows read are the count).
fn table_info(
    read: u64,
    total: Option<(u64, bool)>,
    sample: &'static str,
    rel: &Relation,
    binary_columns: Vec<String>,
) -> TableInfo {
    let (total, estimated) = total.unwrap_or((read, false));
    TableInfo {
        rows_read: read,
        rows_total: total.max(read),
        rows_total_estimated: estimated,
        sampled: sample != "full",
        sample,
        relation: rel.view,
        binary_columns,
    }
}

/// Readers for one database: `scan.threads`, or every core.
fn threads(opts: &DbScanOptions) -> usize {
    opts.scan
        .threads
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The views left out, for the report's `skipped`.
fn skipped_views(shown: &str, views: &[Relation]) -> Vec<Skipped> {
    views
        .iter()
        .map(|v| Skipped {
            path: format!("{shown}#{}", v.qualified()),
            reason: format!(
                "{}: not scanned without --views (a view runs its query)",
                v.view.unwrap_or("view").replace('_', " ")
            ),
        })
        .collect()
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

/// `"name"` with inner quotes doubled: an SQL identifier in SQLite and
/// PostgreSQL (MySQL quotes with backticks: `mysql::quote_ident`).
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
    scan_with_relations(urls, opts).map(|(report, _)| report)
}

/// [`scan_databases`], and the relations it read (views left out are not
/// among them), each with the `path` of its entry in the report: how the
/// map check gives each dataset the tables its name picks.
pub(crate) fn scan_with_relations(
    urls: &[String],
    opts: &DbScanOptions,
) -> Result<(ScanReport, Read), DbError> {
    let filter = Filter::new(&opts.tables)?;
    let mut scan = RowScan::new(&opts.scan);
    let mut skipped = Vec::new();
    let mut read = Vec::new();
    let cancelled = || is_cancelled(&opts.cancel);
    for url in urls {
        if cancelled() {
            return Err(DbError(CANCELLED.into()));
        }
        let res = match driver(url) {
            Some(Driver::Sqlite) => scan_source::<sqlite::Sqlite>(url, &filter, opts, &mut scan),
            Some(Driver::Postgres) => {
                scan_source::<postgres::Postgres>(url, &filter, opts, &mut scan)
            }
            Some(Driver::MySql) => scan_source::<mysql::MySql>(url, &filter, opts, &mut scan),
            None => Err(format!(
                "`{}` is not a database URL (sqlite:PATH, postgres://…, mysql://…)",
                display_url(url)
            )),
        };
        let (views, rels) = res.map_err(|m| DbError(scrub(&m, url)))?;
        skipped.extend(views);
        read.extend(rels);
    }
    // Tables stopped part-way are not a report of the database.
    if cancelled() {
        return Err(DbError(CANCELLED.into()));
    }
    let mut report = scan.finish();
    // A database of which nothing was read says so (and the scan exits 1):
    // a `--table` pattern with a typo must not look like a clean database.
    for url in urls {
        let shown = display_url(url);
        let prefix = format!("{shown}#");
        let seen = report.files.iter().any(|f| f.path.starts_with(&prefix))
            || skipped.iter().any(|s| s.path.starts_with(&prefix))
            || report.errors.iter().any(|e| e.path.starts_with(&prefix));
        if !seen {
            let why = if opts.tables.is_empty() {
                "the database has no tables".to_string()
            } else {
                format!(
                    "no table matches --table {}",
                    opts.tables
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            report.errors.push(ErrorEntry {
                path: shown,
                message: format!("nothing scanned: {why}"),
                ..Default::default()
            });
        }
    }
    report.skipped = skipped;
    Ok((report, read))
}

/// One kind of database: how to open a read-only session, list its
/// relations and read one into the pipeline. [`scan_source`] does the rest
/// alike for each, and [`read_relation`] the transaction around a read.
pub(crate) trait Source {
    /// The driver.
    type Db: sqlx::Database;
    /// A row as the driver returns it.
    type Row: pipeline::Cells;
    /// The statement that begins a relation's read-only transaction: one
    /// snapshot for the count, the sample and every chunk of a full read.
    const BEGIN: &'static str;
    /// Opens a read-only session on the database `url` names.
    async fn open(url: &str) -> Result<Conn<Self>, String>;
    /// The tables and views to consider, in report order (`shown` names
    /// the database in messages).
    async fn list(url: &str, shown: &str) -> Result<Vec<Relation>, String>;
    /// Reads one relation into `sink`, inside the transaction
    /// [`read_relation`] began; an error gives the sink back with what
    /// went wrong.
    async fn read(
        conn: &mut Conn<Self>,
        rel: &Relation,
        opts: &DbScanOptions,
        sink: pipeline::Sink<Self::Row>,
    ) -> Result<(), Failed<Self::Row>>;
}

/// A session of a [`Source`]'s driver.
pub(crate) type Conn<S> = <<S as Source>::Db as sqlx::Database>::Connection;

/// A read that failed: the sink, to report the failure on, and why.
pub(crate) type Failed<R> = (pipeline::Sink<R>, String);

/// Reads one relation into `sink` in a read-only transaction of its own
/// ([`Source::BEGIN`]), rolled back after; a failure, to begin or to
/// read, is the relation's error, named as a table or a view.
async fn read_relation<S: Source>(
    conn: &mut Conn<S>,
    rel: &Relation,
    opts: &DbScanOptions,
    sink: pipeline::Sink<S::Row>,
) {
    let what = if rel.view.is_some() { "view" } else { "table" };
    let qualified = rel.qualified();
    let mut tx = match sqlx::Connection::begin_with(conn, S::BEGIN).await {
        Ok(tx) => tx,
        Err(e) => {
            return sink.fail(format!(
                "{what} `{qualified}`: cannot begin a read-only transaction: {}",
                describe(&e)
            ));
        }
    };
    let res = S::read(&mut tx, rel, opts, sink).await;
    let _ = tx.rollback().await;
    if let Err((sink, e)) = res {
        sink.fail(format!("{what} `{qualified}`: {e}"));
    }
}

/// Ends the read of a relation whose rows a query picked (`sample`:
/// `first`, `random` or `full`; `total`: its rows counted or estimated
/// before, `None` when all are read) after `failure` or none: the first
/// `n` rows, when fewer came and nothing failed, were all of them.
fn end_read<R>(
    sink: pipeline::Sink<R>,
    rel: &Relation,
    binary: Vec<String>,
    n: u64,
    (mut sample, mut total): (&'static str, Option<(u64, bool)>),
    failure: Option<String>,
) {
    let read = sink.sent();
    if sample == "first" && failure.is_none() && (read < n || total == Some((read, false))) {
        (sample, total) = ("full", None);
    }
    let failure = failure.map(|e| format!("reading stopped after {read} rows: {e}"));
    if failure.is_some() && sample == "full" {
        sample = "first";
    }
    sink.end(table_info(read, total, sample, rel, binary), failure);
}

/// Scans the relations of one database into `scan`, up to `threads(opts)`
/// at once, each reader on its own session; returns the views left out
/// and the relations read, each with its report path.
fn scan_source<S: Source>(
    url: &str,
    filter: &Filter,
    opts: &DbScanOptions,
    scan: &mut RowScan,
) -> Result<(Vec<Skipped>, Read), String> {
    let shown = display_url(url);
    let rels = runtime()?.block_on(S::list(url, &shown))?;
    let (views, rels): (Vec<Relation>, Vec<Relation>) = rels
        .into_iter()
        .filter(|r| filter.picks(r))
        .partition(|r| r.view.is_some() && !opts.views);
    let open = || -> Result<(tokio::runtime::Runtime, Conn<S>), String> {
        let rt = runtime()?;
        let conn = rt.block_on(S::open(url))?;
        Ok((rt, conn))
    };
    let read = |w: &mut (tokio::runtime::Runtime, Conn<S>), rel: &Relation, sink| {
        let (rt, conn) = w;
        rt.block_on(read_relation::<S>(conn, rel, opts, sink));
    };
    let close = |(rt, conn): (tokio::runtime::Runtime, Conn<S>)| {
        let _ = rt.block_on(sqlx::Connection::close(conn));
    };
    let path = |r: &Relation| format!("{shown}#{}", r.qualified());
    let scrub = |m: &str| scrub(m, url);
    pipeline::run(
        &pipeline::Plan {
            jobs: &rels,
            threads: threads(opts),
            open: &open,
            read: &read,
            close: &close,
            path: &path,
            scrub: &scrub,
            progress: opts.scan.progress.clone(),
            cancel: opts.cancel.clone(),
        },
        scan,
    )?;
    let read = rels.into_iter().map(|r| (path(&r), r)).collect();
    Ok((skipped_views(&shown, &views), read))
}

/// A runtime for one thread's connection.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the database runtime: {e}"))
}

/// Runs a unit test's `body` against the test server whose URL is in the
/// environment variable `var` (`OUTBOUND_TEST_POSTGRES`,
/// `OUTBOUND_TEST_MYSQL`), on a runtime of its own; says so and returns
/// when it is not set (the integration tests are the ones CI requires).
#[cfg(test)]
pub(crate) fn on_test_server<F: std::future::Future<Output = ()>>(
    var: &str,
    body: impl FnOnce(String) -> F,
) {
    let Ok(url) = std::env::var(var) else {
        eprintln!("skipping a database test: {var} is not set");
        return;
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(body(url));
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
