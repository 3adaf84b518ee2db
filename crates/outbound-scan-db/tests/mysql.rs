//! MySQL/MariaDB on the test server (`OUTBOUND_TEST_MYSQL`, from
//! `scripts/mysql-test-server.sh`): a fresh database per test, scanned
//! through a URL that names it (a MySQL schema is a database).

use std::sync::atomic::{AtomicU32, Ordering};

use outbound_scan::{FileReport, ScanOptions, ScanReport};
use outbound_scan_db::{DbScanOptions, Sample, scan_databases, suggest_datasets};
use sqlx::{AssertSqlSafe, Connection, MySqlConnection};

use crate::common::{
    Corpus, assert_no_raw_values, corpus, load_with_map, mysql_url, other_ca, rt, scan_as_file,
    summary, test_ca,
};
use crate::sampling::{LATE, ROWS, entry, json, mobiles, stops_when_cancelled, threads_opts};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh database, dropped on drop, holding:
/// - `customers` (the corpus; `created_ms` BIGINT, `amount` DECIMAL, a
///   BLOB `photo`, a column named with a space and one with a backtick)
///   and `orders`;
/// - `events`: [`ROWS`] rows by an integer key, a mobile only in rows past
///   [`LATE`], a BLOB `photo` holding a mobile's digits;
/// - `nokey`: 3,000 rows without a primary key, a mobile in the first 1,000;
/// - the view `late_events`.
struct Db {
    /// The server's URL with this database's name as its path.
    url: String,
    server: String,
    name: String,
}

impl Db {
    fn new(server: &str, c: &Corpus) -> Db {
        let name = format!(
            "scan_t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        Db::named(server, c, name)
    }

    /// A database of a fixed name, for a test whose assertions depend on
    /// where a seed's blocks fall: a table's seed is drawn from its
    /// qualified name (`database.table`), so under [`Db::new`]'s name,
    /// which holds the process id, the blocks moved from run to run, and
    /// once in CI none of twenty reached the rows holding a mobile.
    fn fixed(server: &str, c: &Corpus, label: &str) -> Db {
        Db::named(server, c, format!("scan_fixed_{label}"))
    }

    fn named(server: &str, c: &Corpus, name: String) -> Db {
        let (base, _) = server.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        rt().block_on(async {
            let mut conn = MySqlConnection::connect(server).await.unwrap();
            sqlx::raw_sql(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name};
                 CREATE DATABASE {name} CHARACTER SET utf8mb4;
                 USE {name};
                 CREATE TABLE customers (name TEXT, id_no TEXT, mobile TEXT, email TEXT,
                   card_no TEXT, order_no TEXT, created_ms BIGINT, amount DECIMAL(12, 2), note TEXT,
                   photo BLOB, `Contact Phone` VARCHAR(40), `odd``name` TEXT);
                 CREATE TABLE orders (order_no TEXT, buyer_mobile TEXT);
                 CREATE TABLE digits (i INT);
                 INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
                 CREATE TABLE events (id BIGINT PRIMARY KEY, note TEXT, mobile TEXT, photo BLOB);
                 INSERT INTO events
                   SELECT n, CONCAT('event ', n),
                     CASE WHEN n > {LATE} THEN CONCAT('138', LPAD(n, 8, '0')) END,
                     CAST('13912345678' AS BINARY)
                   FROM (SELECT a.i * 10000 + b.i * 1000 + c.i * 100 + d.i * 10 + e.i + 1 AS n
                         FROM digits a, digits b, digits c, digits d, digits e) g
                   WHERE n <= {ROWS};
                 CREATE TABLE nokey (note TEXT, mobile TEXT);
                 INSERT INTO nokey SELECT note,
                   CASE WHEN id <= 1000 THEN CONCAT('137', LPAD(id, 8, '0')) END
                   FROM events WHERE id <= 3000;
                 DROP TABLE digits;
                 CREATE VIEW late_events AS SELECT id, mobile FROM events WHERE id > {LATE};
                 ANALYZE TABLE events, nokey;"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
            let mut tx = conn.begin().await.unwrap();
            for r in &c.rows {
                let mut q = sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO {name}.customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
                )));
                for v in &r[..6] {
                    q = q.bind(v.as_str());
                }
                q.bind(r[6].parse::<i64>().unwrap())
                    .bind(r[7].as_str())
                    .bind(r[8].as_str())
                    .bind(vec![0xffu8, 0xd8, 0x13, 0x80])
                    .bind(r[2].as_str())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO {name}.orders VALUES (?, ?)"
                )))
                .bind(r[5].as_str())
                .bind(r[2].as_str())
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
            conn.close().await.unwrap();
        });
        Db {
            url,
            server: server.to_string(),
            name,
        }
    }

    fn opts(&self, tables: &[&str]) -> DbScanOptions {
        DbScanOptions {
            tables: tables.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        }
    }

    /// Runs `sql` (several statements) in this database.
    fn exec(&self, sql: &str) {
        rt().block_on(async {
            let mut conn = MySqlConnection::connect(&self.url).await.unwrap();
            sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
        });
    }

    fn scan(&self, opts: &DbScanOptions) -> ScanReport {
        let r = scan_databases(std::slice::from_ref(&self.url), opts).unwrap();
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        r
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        rt().block_on(async {
            if let Ok(mut c) = MySqlConnection::connect(&server).await {
                let _ = sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE {name}")))
                    .execute(&mut c)
                    .await;
            }
        });
    }
}

fn info(f: &FileReport) -> &outbound_scan::TableInfo {
    f.table.as_ref().unwrap()
}

#[test]
fn mysql_tables_are_reported_per_column_as_files_are() {
    let Some(server) = mysql_url() else { return };
    let c = corpus(400, 41);
    let db = Db::new(&server, &c);
    let opts = DbScanOptions {
        full: true,
        ..db.opts(&["customers", "orders"])
    };
    let r = db.scan(&opts);
    let shown = outbound_scan_db::display_url(&db.url);
    assert!(!shown.contains("outbound-test-pw"), "{shown}");
    let paths: Vec<&str> = r.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            format!("{shown}#{}.customers", db.name),
            format!("{shown}#{}.orders", db.name)
        ]
    );
    let t = &r.files[0];
    assert_eq!(t.format, "table");
    assert_eq!(
        (info(t).rows_read, info(t).rows_total, info(t).sampled),
        (400, 400, false)
    );
    assert_eq!(info(t).binary_columns, ["photo"]);
    // Every cell as a CSV cell under its column's name: the same kinds and
    // classes as the corpus scanned as a file.
    let file = scan_as_file(&c);
    assert_eq!(
        summary(t, &["photo", "Contact Phone", "odd`name"]),
        summary(&file.files[0], &[])
    );
    let cp = t
        .fields
        .iter()
        .find(|f| f.field.as_deref() == Some("Contact Phone"))
        .unwrap();
    assert_eq!(cp.category, Some("contact.phone"));
    assert_eq!(r.individuals.distinct, c.truth.subjects_and_mobiles);
    assert_no_raw_values(&c, &serde_json::to_string(&r).unwrap());

    // `--suggest` writes a datasets block the map loads.
    let block = suggest_datasets(&r, "customer");
    let map = load_with_map(&block, &db.name);
    let ids: Vec<&str> = map.datasets.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            format!("{}-customers", db.name),
            format!("{}-orders", db.name)
        ]
    );
}

#[test]
fn mysql_random_sample_reaches_the_newest_rows_and_first_does_not() {
    let Some(server) = mysql_url() else { return };
    let db = Db::new(&server, &corpus(10, 42));
    let r = db.scan(&db.opts(&["events"]));
    let e = entry(&r, &format!("{}.events", db.name));
    let t = info(e);
    assert_eq!(
        (t.sample, t.rows_read, t.rows_total, t.rows_total_estimated),
        ("random", 10_000, ROWS, false)
    );
    // A sixth of the rows hold a mobile: about a sixth of the sample.
    let m = mobiles(e);
    assert!((1_300..=2_050).contains(&m), "{m} mobiles in the sample");
    assert_eq!(t.binary_columns, ["photo"]);
    // Without a key the rows themselves are ordered by `RAND(seed)`: the
    // first 1,000 of 3,000 rows hold a mobile, so about a third of the sample.
    let o = DbScanOptions {
        sample_rows: 600,
        ..db.opts(&["nokey"])
    };
    let k = db.scan(&o);
    let nk = entry(&k, &format!("{}.nokey", db.name));
    assert_eq!((info(nk).sample, info(nk).rows_read), ("random", 600));
    let m = mobiles(nk);
    assert!((120..=280).contains(&m), "{m} mobiles in the sample");

    let first = DbScanOptions {
        sample: Sample::First,
        ..db.opts(&["events"])
    };
    let r = db.scan(&first);
    let e = entry(&r, &format!("{}.events", db.name));
    assert_eq!(
        (info(e).sample, info(e).rows_read, info(e).rows_total),
        ("first", 10_000, ROWS)
    );
    assert_eq!(mobiles(e), 0);
}

#[test]
fn mysql_large_tables_are_estimated_and_sampled_in_blocks() {
    let Some(server) = mysql_url() else { return };
    let db = Db::fixed(&server, &corpus(10, 43), "blocks");
    let o = DbScanOptions {
        count_limit: 2_000,
        ..db.opts(&["events", "nokey"])
    };
    let r = db.scan(&o);
    let e = entry(&r, &format!("{}.events", db.name));
    let t = info(e);
    assert!(t.rows_total_estimated);
    assert_eq!((t.sample, t.sampled), ("random", true));
    // The server's estimate, not a count.
    assert!(
        (ROWS / 2..=ROWS * 2).contains(&t.rows_total),
        "{}",
        t.rows_total
    );
    // The bound whatever the seed (blocks cut short at the end of the
    // key's range are made up from its start).
    assert_eq!(t.rows_read, 10_000);
    for seed in 2..10 {
        let o = DbScanOptions {
            seed,
            sample_rows: 3_000,
            ..o.clone()
        };
        let r = db.scan(&o);
        let t = info(entry(&r, &format!("{}.events", db.name)));
        assert_eq!((t.rows_read, t.sample), (3_000, "random"), "seed {seed}");
    }
    // Blocks from the whole key range: the newest rows too.
    let m = mobiles(e);
    assert!((600..=3_000).contains(&m), "{m} mobiles in the sample");
    // Without an integer key a large table's first rows, said so.
    let n = info(entry(&r, &format!("{}.nokey", db.name)));
    assert_eq!((n.sample, n.rows_read), ("full", 3_000));
    let small = DbScanOptions {
        sample_rows: 500,
        ..o.clone()
    };
    let r2 = db.scan(&small);
    let n = info(entry(&r2, &format!("{}.nokey", db.name)));
    assert_eq!((n.sample, n.rows_read, n.sampled), ("first", 500, true));
    // Reproducible.
    assert_eq!(json(&r), json(&db.scan(&o)));
}

/// Blocks cut short at the end of the key's range are made up from the
/// rows no block read, whatever the seed: 250 of 300 rows in blocks of 100
/// is short for most seeds before that (only the rows below the first
/// block were added).
#[test]
fn mysql_blocks_reach_the_bound_whatever_the_seed() {
    let Some(server) = mysql_url() else { return };
    let db = Db::new(&server, &corpus(10, 47));
    db.exec(
        "CREATE TABLE dense (id BIGINT PRIMARY KEY, note TEXT);
         INSERT INTO dense SELECT id, note FROM events WHERE id <= 300;
         ANALYZE TABLE dense;",
    );
    for seed in 0..40 {
        let o = DbScanOptions {
            seed,
            sample_rows: 250,
            count_limit: 100,
            ..db.opts(&["dense"])
        };
        let r = db.scan(&o);
        let t = info(&r.files[0]);
        assert!(t.rows_total_estimated, "seed {seed}");
        assert_eq!((t.sample, t.rows_read), ("random", 250), "seed {seed}");
    }
}

/// A full read of a MyISAM table goes in chunks of `LOCK_CHUNK` rows by
/// its key (the table is locked while a query reads it): 60,000 rows, six
/// full chunks and an empty seventh, each row once, the same report as the
/// InnoDB table it was copied from; a MyISAM table without a key is read
/// in one query, whole.
#[test]
fn mysql_myisam_tables_are_read_whole_in_chunks_by_key() {
    let Some(server) = mysql_url() else { return };
    let db = Db::new(&server, &corpus(10, 47));
    db.exec(
        "CREATE TABLE events_m (id BIGINT PRIMARY KEY, note TEXT, mobile TEXT) ENGINE=MyISAM;
         INSERT INTO events_m SELECT id, note, mobile FROM events;
         CREATE TABLE events_i (id BIGINT PRIMARY KEY, note TEXT, mobile TEXT) ENGINE=InnoDB;
         INSERT INTO events_i SELECT id, note, mobile FROM events;
         CREATE TABLE nokey_m (note TEXT, mobile TEXT) ENGINE=MyISAM;
         INSERT INTO nokey_m SELECT note, mobile FROM nokey;",
    );
    let full = |table: &str| {
        db.scan(&DbScanOptions {
            full: true,
            ..db.opts(&[table])
        })
    };
    let (m, i) = (full("events_m"), full("events_i"));
    let t = info(&m.files[0]);
    assert_eq!((t.sample, t.rows_read, t.rows_total), ("full", ROWS, ROWS));
    assert_eq!(m.files[0].records, ROWS);
    assert_eq!(mobiles(&m.files[0]), ROWS - LATE);
    assert_eq!(m.individuals.distinct, i.individuals.distinct);
    assert_eq!(m.individuals.distinct, ROWS - LATE);
    let fields = |r: &ScanReport| serde_json::to_value(&r.files[0].fields).unwrap();
    assert_eq!(fields(&m), fields(&i));
    let k = full("nokey_m");
    let t = info(&k.files[0]);
    assert_eq!((t.sample, t.rows_read), ("full", 3_000));
    assert_eq!(mobiles(&k.files[0]), 1_000);
}

#[test]
fn mysql_unsigned_keys_above_2_63_are_sampled() {
    let Some(server) = mysql_url() else { return };
    let db = Db::new(&server, &corpus(10, 46));
    // 3,000 keys spread over the whole BIGINT UNSIGNED range; the upper
    // half (above 2^63, negative if read as SIGNED) holds the mobiles.
    db.exec(
        "CREATE TABLE big (id BIGINT UNSIGNED PRIMARY KEY, note TEXT, mobile TEXT);
         INSERT INTO big SELECT CAST(id AS UNSIGNED) * 6148914691236517, note,
           CASE WHEN id > 1500 THEN CONCAT('136', LPAD(id, 8, '0')) END
           FROM events WHERE id <= 3000;
         ANALYZE TABLE big;",
    );
    let opts = |seed: u64, count_limit: u64| DbScanOptions {
        seed,
        sample_rows: 1_000,
        count_limit,
        ..db.opts(&["big"])
    };
    // Keys ordered by `RAND(seed)`: a uniform 1,000 of 3,000, half of them
    // above 2^63.
    let r = db.scan(&opts(1, 1_000_000));
    let t = info(&r.files[0]);
    assert_eq!(
        (t.sample, t.rows_read, t.rows_total),
        ("random", 1_000, 3_000)
    );
    let m = mobiles(&r.files[0]);
    assert!((400..=600).contains(&m), "{m} mobiles in the sample");
    // Blocks at random points of the whole range (above `count_limit`):
    // the bound, and over five seeds rows above 2^63.
    let mut above = 0;
    for seed in 1..=5 {
        let r = db.scan(&opts(seed, 2_000));
        let t = info(&r.files[0]);
        assert!(t.rows_total_estimated, "seed {seed}");
        assert_eq!((t.sample, t.rows_read), ("random", 1_000), "seed {seed}");
        above += mobiles(&r.files[0]);
    }
    assert!(above > 0, "no block above 2^63");
}

/// The report as JSON with the planner's estimate of each table's rows left
/// out (the estimate itself still marked): InnoDB recomputes a table's
/// statistics in the background after a bulk insert, even after `ANALYZE
/// TABLE`, so two scans of the same rows may be told two estimates (seen
/// once in CI). Everything read must still be the same.
fn json_but_estimates(r: &ScanReport) -> String {
    let mut v = serde_json::to_value(r).unwrap();
    for f in v["files"].as_array_mut().unwrap() {
        let t = &mut f["table"];
        if t["rows_total_estimated"] == true {
            t["rows_total"] = serde_json::Value::Null;
        }
    }
    v.to_string()
}

#[test]
fn mysql_the_same_seed_gives_the_same_report_another_seed_other_rows() {
    let Some(server) = mysql_url() else { return };
    let db = Db::fixed(&server, &corpus(10, 44), "seeds");
    // 2,000 rows: twenty blocks, some of them among the rows with mobiles.
    let with = |seed: u64, count_limit: u64| DbScanOptions {
        seed,
        sample_rows: 2_000,
        count_limit,
        scan: ScanOptions {
            samples: 3,
            ..Default::default()
        },
        ..db.opts(&["events"])
    };
    // Both ways of sampling: by `RAND(seed)` and in blocks.
    for limit in [1_000_000, 2_000] {
        let a = db.scan(&with(7, limit));
        assert_eq!(
            json_but_estimates(&a),
            json_but_estimates(&db.scan(&with(7, limit))),
            "{limit}"
        );
        let b = db.scan(&with(8, limit));
        let (x, y) = (&a.files[0], &b.files[0]);
        assert_eq!((info(x).rows_read, info(y).rows_read), (2_000, 2_000));
        assert!(mobiles(x) > 0 && mobiles(y) > 0, "{limit}");
        let samples = |f: &FileReport| {
            f.fields
                .iter()
                .map(|x| x.samples.clone())
                .collect::<Vec<_>>()
        };
        assert_ne!(samples(x), samples(y), "{limit}");
    }
}

#[test]
fn mysql_a_cancelled_scan_stops_and_gives_no_report() {
    let Some(server) = mysql_url() else { return };
    let db = Db::new(&server, &corpus(10, 47));
    stops_when_cancelled(&db.url, "events");
}

#[test]
fn mysql_views_only_with_views() {
    let Some(server) = mysql_url() else { return };
    let db = Db::new(&server, &corpus(10, 45));
    let r = db.scan(&db.opts(&[]));
    let shown = outbound_scan_db::display_url(&db.url);
    let skipped: Vec<(&str, &str)> = r
        .skipped
        .iter()
        .map(|x| (x.path.as_str(), x.reason.split(':').next().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        [(format!("{shown}#{}.late_events", db.name).as_str(), "view")]
    );
    assert_eq!(r.files.len(), 4);

    let with = DbScanOptions {
        views: true,
        sample_rows: 4_000,
        ..db.opts(&["late_events"])
    };
    let r = db.scan(&with);
    assert!(r.skipped.is_empty());
    let v = entry(&r, &format!("{}.late_events", db.name));
    let t = info(v);
    // A view: its first rows, not counted (that would run its query twice).
    assert_eq!(
        (t.relation, t.sample, t.rows_read, t.rows_total_estimated),
        (Some("view"), "first", 4_000, true)
    );
    assert_eq!(mobiles(v), 4_000);
}

#[test]
fn mysql_threads_give_the_same_report_byte_for_byte() {
    let Some(server) = mysql_url() else { return };
    let db = Db::new(&server, &corpus(300, 46));
    for (full, key) in [(false, None), (true, Some("mobile"))] {
        for sample in [Sample::Random, Sample::First] {
            let tables = ["events", "nokey", "late_events"];
            let with = |threads| threads_opts(db.opts(&tables), threads, sample, full, key);
            let one = json(&db.scan(&with(1)));
            for n in [2, 4] {
                assert_eq!(
                    one,
                    json(&db.scan(&with(n))),
                    "{n} threads, {sample:?}, full {full}"
                );
            }
        }
    }
}

#[test]
fn mysql_a_password_appears_nowhere() {
    let Some(server) = mysql_url() else { return };
    let db = Db::new(&server, &corpus(20, 47));
    // The test server's password is in the URL: not in the report.
    let r = db.scan(&db.opts(&[]));
    let out = json(&r) + &suggest_datasets(&r, "customer");
    assert!(!out.contains("outbound-test-pw"));
    // A wrong password, a server that is not there, a database that does
    // not exist: each named, the password never.
    let secret = "Pw-5kQ-mysql-not-shown";
    let (scheme, rest) = server.split_once("://").unwrap();
    let (userinfo, rest) = rest.split_once('@').unwrap();
    let (user, _) = userinfo.split_once(':').unwrap();
    let (host, _) = rest.split_once('/').unwrap();
    for bad in [
        format!("{scheme}://{user}:{secret}@{host}/{}", db.name),
        format!("mariadb://{user}:{secret}@127.0.0.1:9/crm"),
        format!(
            "{scheme}://{userinfo}@{host}/no_such_db_{}",
            std::process::id()
        ),
    ] {
        let e = scan_databases(std::slice::from_ref(&bad), &DbScanOptions::default()).unwrap_err();
        assert!(
            !e.0.contains(secret) && !e.0.contains("outbound-test-pw"),
            "{e}"
        );
        assert!(e.0.contains(&outbound_scan_db::display_url(&bad)), "{e}");
    }
}

/// A column in GBK or Latin-1 reaches the scanner as UTF-8 (the server
/// converts `CAST(… AS CHAR)` to the connection's `utf8mb4`).
#[test]
fn mysql_text_in_other_character_sets_is_read_as_utf8() {
    let Some(server) = mysql_url() else { return };
    let db = Db::new(&server, &corpus(10, 48));
    rt().block_on(async {
        let mut c = MySqlConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE legacy (note VARCHAR(100) CHARACTER SET gbk, \
               email VARCHAR(100) CHARACTER SET latin1);
             INSERT INTO legacy VALUES ('联系人 王芳 电话 13512345678', 'zhang.wei@example.com')",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
    });
    let r = db.scan(&db.opts(&["legacy"]));
    let t = entry(&r, &format!("{}.legacy", db.name));
    let kinds = |f: &str| {
        t.fields
            .iter()
            .find(|x| x.field.as_deref() == Some(f))
            .unwrap()
            .kinds
            .clone()
    };
    assert_eq!(kinds("note").get("cn_mobile"), Some(&1));
    assert_eq!(kinds("note").get("person_name"), Some(&1));
    assert_eq!(kinds("email").get("email"), Some(&1));
}

/// A server that offers TLS is scanned over it with its certificate and
/// name verified (`ssl-mode=VERIFY_IDENTITY`); a certificate the named
/// authority did not sign stops the scan, naming the database.
#[test]
fn mysql_tls_with_the_servers_certificate_verified() {
    let Some(server) = mysql_url() else { return };
    let Some(ca) = test_ca("OUTBOUND_TEST_MYSQL_CA") else {
        return;
    };
    let db = Db::new(&server, &corpus(30, 49));
    let tls = format!("{}?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}", db.url);
    let r = scan_databases(std::slice::from_ref(&tls), &db.opts(&["customers"])).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files.len(), 1);
    assert_eq!(r.files[0].records, 30);
    if let Some(other) = other_ca() {
        let wrong = format!("{}?ssl-mode=VERIFY_IDENTITY&ssl-ca={other}", db.url);
        let e =
            scan_databases(std::slice::from_ref(&wrong), &DbScanOptions::default()).unwrap_err();
        let shown = outbound_scan_db::display_url(&db.url);
        assert!(
            e.0.starts_with(&format!("cannot connect to {shown}")),
            "{e}"
        );
        assert!(!e.0.contains("outbound-test-pw"), "{e}");
    }
}

/// A URL without a database lists every database but the server's own;
/// `--table DB.*` picks one, and the server's own are never read.
#[test]
fn mysql_a_server_without_a_database_lists_every_database_but_its_own() {
    let Some(server) = mysql_url() else { return };
    let db = Db::new(&server, &corpus(10, 50));
    let (base, _) = server.rsplit_once('/').unwrap();
    let bare = format!("{base}/");
    let o = DbScanOptions {
        tables: vec![format!("{}.*", db.name)],
        ..DbScanOptions::default()
    };
    let r = scan_databases(std::slice::from_ref(&bare), &o).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let tables: Vec<&str> = r
        .files
        .iter()
        .map(|f| f.path.rsplit_once('#').unwrap().1)
        .collect();
    let t = |n: &str| format!("{}.{n}", db.name);
    assert_eq!(
        tables,
        [t("customers"), t("events"), t("nokey"), t("orders")]
    );
    for system in [
        "mysql.*",
        "information_schema.*",
        "performance_schema.*",
        "sys.*",
    ] {
        let o = DbScanOptions {
            tables: vec![system.into()],
            ..DbScanOptions::default()
        };
        let r = scan_databases(std::slice::from_ref(&bare), &o).unwrap();
        assert!(r.files.is_empty(), "{system}");
        assert!(
            r.errors
                .iter()
                .any(|e| e.message.contains("no table matches")),
            "{system}: {:?}",
            r.errors
        );
    }
}
