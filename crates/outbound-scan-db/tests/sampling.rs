//! How rows are picked: a reproducible random sample by default that
//! reaches the newest rows of an append-only table, the first rows on
//! request, views only when asked, and the same report whatever the
//! number of threads. SQLite files written by the test, and PostgreSQL on
//! the test cluster (`OUTBOUND_TEST_POSTGRES`; skipped when unset outside
//! CI).

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use outbound_scan::{FileReport, ScanOptions, ScanReport};
use outbound_scan_db::{DbScanOptions, Sample, scan_databases};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::common::{pg_url, rt, sqlite_exec, temp_sqlite};

/// Rows in the append-only table; only rows past [`LATE`] hold a mobile.
pub(crate) const ROWS: u64 = 60_000;
pub(crate) const LATE: u64 = 50_000;

/// An SQLite database with:
/// - `events`: [`ROWS`] rows in insertion order, a mobile only in rows
///   past [`LATE`], and a BLOB `photo` holding a mobile's digits;
/// - `sparse`: 3,000 rows whose rowids are 1,000,003 apart;
/// - `wide`: a `WITHOUT ROWID` table of 3,000 rows;
/// - `shadow`: 3,000 rows with columns named `rowid` and `oid`;
/// - `small`: 10 rows; and the view `late_events`.
fn make_db(path: &Path) {
    sqlite_exec(
        path,
        format!(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, note TEXT, mobile TEXT, photo BLOB);
             WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {ROWS})
             INSERT INTO events SELECT i, 'event ' || i,
               CASE WHEN i > {LATE} THEN '138' || substr('0000000' || i, -8, 8) END,
               CAST('13912345678' AS BLOB) FROM g;
             CREATE TABLE sparse (note TEXT, mobile TEXT);
             WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 3000)
             INSERT INTO sparse (rowid, note, mobile)
               SELECT i * 1000003, 'n' || i, '137' || substr('0000000' || i, -8, 8) FROM g;
             CREATE TABLE wide (k TEXT PRIMARY KEY, mobile TEXT) WITHOUT ROWID;
             WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 3000)
             INSERT INTO wide SELECT 'k' || i, '136' || substr('0000000' || i, -8, 8) FROM g;
             CREATE TABLE shadow (rowid TEXT, oid TEXT, mobile TEXT);
             WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 3000)
             INSERT INTO shadow SELECT 'r' || i, 'o' || i, '135' || substr('0000000' || i, -8, 8) FROM g;
             CREATE TABLE small (mobile TEXT);
             INSERT INTO small VALUES ('13812345678'), ('13912345678'), (NULL), ('x'),
               ('13512345678'), ('y'), ('z'), ('13612345678'), ('w'), ('v');
             CREATE VIEW late_events AS SELECT id, mobile FROM events WHERE id > {LATE};"
        ),
    );
}

fn sqlite(p: &Path) -> String {
    format!("sqlite:{}", p.display())
}

pub(crate) fn entry<'r>(r: &'r ScanReport, table: &str) -> &'r FileReport {
    r.files
        .iter()
        .find(|f| f.path.rsplit_once('#').map(|x| x.1) == Some(table))
        .unwrap_or_else(|| panic!("no entry for {table}: {:?}", paths(r)))
}

fn paths(r: &ScanReport) -> Vec<&str> {
    r.files
        .iter()
        .map(|f| f.path.rsplit_once('#').unwrap().1)
        .collect()
}

pub(crate) fn mobiles(f: &FileReport) -> u64 {
    f.fields
        .iter()
        .filter_map(|x| x.kinds.get("cn_mobile"))
        .sum()
}

pub(crate) fn json(r: &ScanReport) -> String {
    serde_json::to_string(r).unwrap()
}

pub(crate) fn opts(tables: &[&str]) -> DbScanOptions {
    DbScanOptions {
        tables: tables.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// Reads every row of `table` in the database at `url` on one thread and
/// cancels the scan once its first chunk of rows is scanned: the scan must
/// answer `cancelled` (never a report of the part read) having scanned
/// fewer than the table's [`ROWS`] (the readers stop at their next chunk;
/// at most eight chunks of 256 wait per scanner). Cancelled before it
/// starts it reads nothing. The drivers' read loops differ; the stop is
/// the pipeline's.
pub(crate) fn stops_when_cancelled(url: &str, table: &str) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64};
    let cancel = Arc::new(AtomicBool::new(false));
    let scanned = Arc::new(AtomicU64::new(0));
    let (told, stop) = (scanned.clone(), cancel.clone());
    let o = DbScanOptions {
        scan: ScanOptions {
            progress: Some(Arc::new(move |n| {
                told.fetch_add(n, Ordering::Relaxed);
                stop.store(true, Ordering::Relaxed);
            })),
            threads: Some(1),
            ..Default::default()
        },
        full: true,
        cancel: Some(cancel.clone()),
        ..opts(&[table])
    };
    let e = scan_databases(&[url.to_string()], &o).unwrap_err();
    assert_eq!(e.0, outbound_scan_db::CANCELLED);
    let n = scanned.load(Ordering::Relaxed);
    assert!((1..ROWS / 2).contains(&n), "{n} rows scanned of {ROWS}");
    scanned.store(0, Ordering::Relaxed);
    let e = scan_databases(&[url.to_string()], &o).unwrap_err();
    assert_eq!(e.0, outbound_scan_db::CANCELLED);
    assert_eq!(scanned.load(Ordering::Relaxed), 0);
}

#[test]
fn sqlite_a_cancelled_scan_stops_and_gives_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    make_db(&db);
    stops_when_cancelled(&sqlite(&db), "events");
}

#[test]
fn sqlite_random_sample_reaches_the_newest_rows_and_first_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("append.db");
    make_db(&db);
    let r = scan_databases(&[sqlite(&db)], &opts(&["events"])).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let e = entry(&r, "events");
    let t = e.table.as_ref().unwrap();
    assert_eq!(
        (t.sample, t.rows_read, t.rows_total, t.sampled),
        ("random", 10_000, ROWS, true)
    );
    assert!(!t.rows_total_estimated);
    // A uniform sample of 10,000 in 60,000 holds about 1,667 of the
    // 10,000 late rows.
    let m = mobiles(e);
    assert!((1_300..=2_050).contains(&m), "{m} mobiles in the sample");
    // Binary columns stay unscanned in a random sample.
    assert_eq!(t.binary_columns, ["photo"]);
    let photo = e
        .fields
        .iter()
        .find(|f| f.field.as_deref() == Some("photo"));
    assert_eq!(photo.unwrap().non_empty, 0);

    let first = DbScanOptions {
        sample: Sample::First,
        ..opts(&["events"])
    };
    let r = scan_databases(&[sqlite(&db)], &first).unwrap();
    let e = entry(&r, "events");
    let t = e.table.as_ref().unwrap();
    assert_eq!(
        (t.sample, t.rows_read, t.rows_total),
        ("first", 10_000, ROWS)
    );
    assert_eq!(mobiles(e), 0);
}

#[test]
fn sqlite_the_same_seed_gives_the_same_report_another_seed_other_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("seed.db");
    make_db(&db);
    let with = |seed: u64| DbScanOptions {
        seed,
        sample_rows: 500,
        scan: ScanOptions {
            samples: 3,
            ..Default::default()
        },
        ..opts(&["events", "sparse"])
    };
    let a = scan_databases(&[sqlite(&db)], &with(7)).unwrap();
    let b = scan_databases(&[sqlite(&db)], &with(7)).unwrap();
    assert_eq!(json(&a), json(&b));
    let c = scan_databases(&[sqlite(&db)], &with(8)).unwrap();
    for table in ["events", "sparse"] {
        let (x, y) = (entry(&a, table), entry(&c, table));
        assert_eq!(x.table.as_ref().unwrap().rows_read, 500);
        assert_eq!(y.table.as_ref().unwrap().rows_read, 500);
        // Other rows: the masked samples (the first values met) differ.
        let s = |f: &FileReport| {
            f.fields
                .iter()
                .map(|x| x.samples.clone())
                .collect::<Vec<_>>()
        };
        assert_ne!(s(x), s(y), "{table}");
    }
    // And the default seed is fixed.
    let d1 = scan_databases(&[sqlite(&db)], &opts(&[])).unwrap();
    let d2 = scan_databases(&[sqlite(&db)], &opts(&[])).unwrap();
    assert_eq!(json(&d1), json(&d2));
}

#[test]
fn sqlite_samples_are_bounded_and_say_how_they_were_picked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bounds.db");
    make_db(&db);
    for n in [1u64, 37, 2_999, 3_000, 10_000] {
        let o = DbScanOptions {
            sample_rows: n,
            ..opts(&[])
        };
        let r = scan_databases(&[sqlite(&db)], &o).unwrap();
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(paths(&r), ["events", "shadow", "small", "sparse", "wide"]);
        for f in &r.files {
            let t = f.table.as_ref().unwrap();
            assert!(t.rows_read <= n, "{}: {} > {n}", f.path, t.rows_read);
            assert_eq!(t.rows_read, f.records);
            let name = f.path.rsplit_once('#').unwrap().1;
            let want = match name {
                _ if t.rows_total <= n => "full",
                // No rowid: the first rows, and the entry says so.
                "wide" => "first",
                _ => "random",
            };
            assert_eq!(t.sample, want, "{name} n={n}");
            assert_eq!(t.sampled, want != "full");
            if want == "random" {
                // Sparse rowids too give (nearly) the whole bound.
                assert!(t.rows_read * 10 >= n * 9, "{name}: {} of {n}", t.rows_read);
            }
        }
    }
    // --full reads everything, without a separate count.
    let full = DbScanOptions {
        full: true,
        ..opts(&[])
    };
    let r = scan_databases(&[sqlite(&db)], &full).unwrap();
    let t = entry(&r, "events").table.as_ref().unwrap();
    assert_eq!((t.sample, t.rows_read, t.rows_total), ("full", ROWS, ROWS));
    assert_eq!(mobiles(entry(&r, "events")), ROWS - LATE);
}

#[test]
fn sqlite_views_only_with_views() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("views.db");
    make_db(&db);
    let r = scan_databases(&[sqlite(&db)], &opts(&[])).unwrap();
    assert!(!paths(&r).contains(&"late_events"));
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].path, format!("{}#late_events", sqlite(&db)));
    assert!(r.skipped[0].reason.contains("--views"), "{:?}", r.skipped);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["skipped"][0]["path"], r.skipped[0].path.as_str());

    let with = DbScanOptions {
        views: true,
        ..opts(&[])
    };
    let r = scan_databases(&[sqlite(&db)], &with).unwrap();
    assert!(r.skipped.is_empty());
    assert!(!json(&r).contains("\"skipped\""));
    let e = entry(&r, "late_events");
    let t = e.table.as_ref().unwrap();
    // A view has no rowid: its first rows, counted since there are more.
    assert_eq!(
        (t.relation, t.sample, t.rows_read, t.rows_total),
        (Some("view"), "first", 10_000, ROWS - LATE)
    );
    assert_eq!(mobiles(e), 10_000);
    // Picked by --table like a table.
    let only = DbScanOptions {
        views: true,
        ..opts(&["late_*"])
    };
    let r = scan_databases(&[sqlite(&db)], &only).unwrap();
    assert_eq!(paths(&r), ["late_events"]);
    // Tables have no `relation`.
    let v = serde_json::to_value(entry(&r, "late_events")).unwrap();
    assert_eq!(v["table"]["relation"], "view");
    let r = scan_databases(&[sqlite(&db)], &opts(&["small"])).unwrap();
    let v = serde_json::to_value(&r.files[0]).unwrap();
    assert!(v["table"].get("relation").is_none(), "{v}");
    assert!(v["table"].get("rows_total_estimated").is_none(), "{v}");
    assert_eq!(v["table"]["sample"], "full");
}

/// `base` with views, 2,000 rows a table (or all with `full`), two masked
/// samples, `threads` threads and an optional subject key: what the
/// thread-count tests vary.
pub(crate) fn threads_opts(
    base: DbScanOptions,
    threads: usize,
    sample: Sample,
    full: bool,
    key: Option<&str>,
) -> DbScanOptions {
    DbScanOptions {
        views: true,
        sample,
        sample_rows: 2_000,
        full,
        scan: ScanOptions {
            samples: 2,
            threads: Some(threads),
            subject_key: key.map(String::from),
            ..Default::default()
        },
        ..base
    }
}

#[test]
fn sqlite_threads_give_the_same_report_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("threads.db");
    make_db(&db);
    for (full, key) in [(false, None), (true, None), (true, Some("mobile"))] {
        let with = |threads, sample| threads_opts(opts(&[]), threads, sample, full, key);
        for sample in [Sample::Random, Sample::First] {
            let one = scan_databases(&[sqlite(&db)], &with(1, sample)).unwrap();
            if full {
                // Read whole: `events` spans many chunks, and its only
                // mobiles (and so its samples) are in its last ones.
                let e = entry(&one, "events");
                assert_eq!(e.records, ROWS);
                assert_eq!(mobiles(e), ROWS - LATE);
                let m = e
                    .fields
                    .iter()
                    .find(|f| f.field.as_deref() == Some("mobile"));
                assert_eq!(m.unwrap().samples.len(), 2);
            }
            let one = json(&one);
            for n in [2, 3, 4, 8] {
                let many = json(&scan_databases(&[sqlite(&db)], &with(n, sample)).unwrap());
                assert_eq!(
                    one, many,
                    "{n} threads, {sample:?}, full {full}, key {key:?}"
                );
            }
        }
    }
}

// PostgreSQL.

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh schema with `events` ([`ROWS`] rows, a mobile past [`LATE`], a
/// bytea `photo`), `small` (10 rows), the view `late_events` and the
/// materialized view `late_mat`; dropped on drop. `events` is analysed
/// once, with autovacuum off: the view's size is the planner's estimate
/// from its statistics, and an automatic ANALYZE between two scans (a new
/// random sample of rows) changed it from one scan's report to the next.
struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    fn new(url: &str) -> PgSchema {
        let name = format!(
            "sample_t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        rt().block_on(async {
            let mut c = PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE;
                 CREATE SCHEMA {name};
                 CREATE TABLE {name}.events (id int8 PRIMARY KEY, note text, mobile text, photo bytea)
                   WITH (autovacuum_enabled = false);
                 INSERT INTO {name}.events SELECT g, 'event ' || g,
                   CASE WHEN g > {LATE} THEN '138' || lpad(g::text, 8, '0') END,
                   convert_to('13912345678', 'UTF8')
                   FROM generate_series(1, {ROWS}) g;
                 CREATE TABLE {name}.parts (id int8, mobile text) PARTITION BY RANGE (id);
                 CREATE TABLE {name}.parts_a PARTITION OF {name}.parts FOR VALUES FROM (0) TO (15000);
                 CREATE TABLE {name}.parts_b PARTITION OF {name}.parts FOR VALUES FROM (15000) TO (30000);
                 INSERT INTO {name}.parts SELECT g,
                   CASE WHEN g >= 15000 THEN '137' || lpad(g::text, 8, '0') END
                   FROM generate_series(0, 29999) g;
                 CREATE TABLE {name}.small (mobile text);
                 INSERT INTO {name}.small SELECT '1381234567' || g FROM generate_series(0, 9) g;
                 CREATE VIEW {name}.late_events AS SELECT id, mobile FROM {name}.events WHERE id > {LATE};
                 CREATE MATERIALIZED VIEW {name}.late_mat AS SELECT id, mobile FROM {name}.events WHERE id > {LATE};
                 ANALYZE {name}.events;"
            )))
            .execute(&mut c)
            .await
            .unwrap();
            c.close().await.unwrap();
        });
        PgSchema {
            url: url.to_string(),
            name,
        }
    }

    fn opts(&self) -> DbScanOptions {
        opts(&[&format!("{}.*", self.name)])
    }

    fn table<'r>(&self, r: &'r ScanReport, t: &str) -> &'r FileReport {
        entry(r, &format!("{}.{t}", self.name))
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        rt().block_on(async {
            if let Ok(mut c) = PgConnection::connect(&url).await {
                let _ = sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA {name} CASCADE")))
                    .execute(&mut c)
                    .await;
            }
        });
    }
}

#[test]
fn postgres_a_cancelled_scan_stops_and_gives_no_report() {
    let Some(url) = pg_url() else { return };
    let s = PgSchema::new(&url);
    stops_when_cancelled(&url, &format!("{}.events", s.name));
}

#[test]
fn postgres_random_sample_reaches_the_newest_rows_and_first_does_not() {
    let Some(url) = pg_url() else { return };
    let s = PgSchema::new(&url);
    let r = scan_databases(std::slice::from_ref(&url), &s.opts()).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let e = s.table(&r, "events");
    let t = e.table.as_ref().unwrap();
    assert_eq!(
        (t.sample, t.rows_read, t.rows_total, t.rows_total_estimated),
        ("random", 10_000, ROWS, false)
    );
    let m = mobiles(e);
    assert!((1_300..=2_050).contains(&m), "{m} mobiles in the sample");
    assert_eq!(t.binary_columns, ["photo"]);
    // A partitioned table: once, through its parent, sampled over both
    // partitions.
    assert_eq!(r.files.len(), 3);
    let p = s.table(&r, "parts");
    let pt = p.table.as_ref().unwrap();
    assert_eq!(
        (pt.sample, pt.rows_read, pt.rows_total),
        ("random", 10_000, 30_000)
    );
    // Mobiles only in the second partition: about half the sample.
    let m = mobiles(p);
    assert!((4_500..=5_500).contains(&m), "{m}");
    let small = s.table(&r, "small").table.as_ref().unwrap();
    assert_eq!(
        (small.sample, small.rows_read, small.rows_total),
        ("full", 10, 10)
    );

    let first = DbScanOptions {
        sample: Sample::First,
        ..s.opts()
    };
    let r = scan_databases(std::slice::from_ref(&url), &first).unwrap();
    let e = s.table(&r, "events");
    let t = e.table.as_ref().unwrap();
    assert_eq!(
        (t.sample, t.rows_read, t.rows_total),
        ("first", 10_000, ROWS)
    );
    assert_eq!(mobiles(e), 0);
}

#[test]
fn postgres_large_tables_are_estimated_not_counted_and_sampled_by_pages() {
    let Some(url) = pg_url() else { return };
    let s = PgSchema::new(&url);
    let o = DbScanOptions {
        count_limit: 20_000,
        ..s.opts()
    };
    let r = scan_databases(std::slice::from_ref(&url), &o).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let e = s.table(&r, "events");
    let t = e.table.as_ref().unwrap();
    assert!(t.rows_total_estimated);
    assert_eq!((t.sample, t.sampled), ("random", true));
    // The planner's estimate after ANALYZE: close, not counted.
    assert!(
        (ROWS * 9 / 10..=ROWS * 11 / 10).contains(&t.rows_total),
        "{}",
        t.rows_total
    );
    assert!(
        t.rows_read <= 10_000 && t.rows_read >= 5_000,
        "{}",
        t.rows_read
    );
    assert!(mobiles(e) > 0);
    let v = serde_json::to_value(e).unwrap();
    assert_eq!(v["table"]["rows_total_estimated"], true);
    // Reproducible too.
    let again = scan_databases(std::slice::from_ref(&url), &o).unwrap();
    assert_eq!(json(&r), json(&again));
}

#[test]
fn postgres_the_same_seed_gives_the_same_report_another_seed_other_rows() {
    let Some(url) = pg_url() else { return };
    let s = PgSchema::new(&url);
    let with = |seed: u64| DbScanOptions {
        seed,
        sample_rows: 500,
        scan: ScanOptions {
            samples: 3,
            ..Default::default()
        },
        ..s.opts()
    };
    let a = scan_databases(std::slice::from_ref(&url), &with(7)).unwrap();
    let b = scan_databases(std::slice::from_ref(&url), &with(7)).unwrap();
    assert_eq!(json(&a), json(&b));
    let c = scan_databases(std::slice::from_ref(&url), &with(8)).unwrap();
    let (x, y) = (s.table(&a, "events"), s.table(&c, "events"));
    assert_eq!(x.table.as_ref().unwrap().rows_read, 500);
    assert_eq!(y.table.as_ref().unwrap().rows_read, 500);
    let samples = |f: &FileReport| {
        f.fields
            .iter()
            .map(|x| x.samples.clone())
            .collect::<Vec<_>>()
    };
    assert_ne!(samples(x), samples(y));
}

#[test]
fn postgres_views_only_with_views() {
    let Some(url) = pg_url() else { return };
    let s = PgSchema::new(&url);
    let r = scan_databases(std::slice::from_ref(&url), &s.opts()).unwrap();
    let db = outbound_scan_db::display_url(&url);
    let skipped: Vec<(&str, &str)> = r
        .skipped
        .iter()
        .map(|x| (x.path.as_str(), x.reason.split(':').next().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        [
            (format!("{db}#{}.late_events", s.name).as_str(), "view"),
            (
                format!("{db}#{}.late_mat", s.name).as_str(),
                "materialized view"
            ),
        ]
    );
    assert_eq!(r.files.len(), 3);

    let with = DbScanOptions {
        views: true,
        sample_rows: 4_000,
        ..s.opts()
    };
    let r = scan_databases(std::slice::from_ref(&url), &with).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(r.skipped.is_empty());
    let v = s.table(&r, "late_events");
    let t = v.table.as_ref().unwrap();
    // A view: its first rows, and the planner's estimate of its size
    // rather than running its query a second time to count.
    assert_eq!(
        (t.relation, t.sample, t.rows_read, t.rows_total_estimated),
        (Some("view"), "first", 4_000, true)
    );
    assert_eq!(mobiles(v), 4_000);
    // A materialized view is stored: sampled at random like a table.
    let m = s.table(&r, "late_mat").table.as_ref().unwrap();
    assert_eq!(
        (m.relation, m.sample, m.rows_read),
        (Some("materialized_view"), "random", 4_000)
    );
}

#[test]
fn postgres_threads_give_the_same_report_byte_for_byte() {
    let Some(url) = pg_url() else { return };
    let s = PgSchema::new(&url);
    for (full, key) in [(false, None), (true, None), (true, Some("mobile"))] {
        let with = |threads, sample| threads_opts(s.opts(), threads, sample, full, key);
        for sample in [Sample::Random, Sample::First] {
            let one = scan_databases(std::slice::from_ref(&url), &with(1, sample)).unwrap();
            if full {
                let e = s.table(&one, "events");
                assert_eq!(e.records, ROWS);
                assert_eq!(mobiles(e), ROWS - LATE);
            }
            let one = json(&one);
            for n in [2, 3, 4, 8] {
                let many =
                    json(&scan_databases(std::slice::from_ref(&url), &with(n, sample)).unwrap());
                assert_eq!(
                    one, many,
                    "{n} threads, {sample:?}, full {full}, key {key:?}"
                );
            }
        }
    }
    // No password in the report, whatever the number of readers.
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, rest) = rest.split_once('@').unwrap();
    let secret = "Pw-77ab-threads-not-shown";
    let with_pw = format!("{scheme}://{user}:{secret}@{rest}");
    let o = DbScanOptions {
        scan: ScanOptions {
            threads: Some(4),
            ..Default::default()
        },
        ..s.opts()
    };
    let r = scan_databases(std::slice::from_ref(&with_pw), &o).unwrap();
    assert!(!json(&r).contains(secret));
}

/// A database whose every relation fails to read says so per relation,
/// and not that it has no tables.
#[test]
fn sqlite_a_relation_that_fails_is_an_error_not_an_empty_database() {
    let (_dir, db) = temp_sqlite(
        "broken.db",
        "CREATE TABLE gone (mobile TEXT);
         CREATE VIEW broken AS SELECT mobile FROM gone;
         DROP TABLE gone;",
    );
    let with = DbScanOptions {
        views: true,
        ..opts(&[])
    };
    let r = scan_databases(&[sqlite(&db)], &with).unwrap();
    assert!(
        r.errors
            .iter()
            .any(|e| e.path == format!("{}#broken", sqlite(&db))),
        "{:?}",
        r.errors
    );
    assert!(
        !r.errors.iter().any(|e| e.message.contains("no tables")),
        "{:?}",
        r.errors
    );
}
