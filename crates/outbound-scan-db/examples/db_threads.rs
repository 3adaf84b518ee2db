//! Times `scan_databases` on one SQLite database (and on PostgreSQL when
//! `OUTBOUND_TEST_POSTGRES` is set, on MySQL/MariaDB when
//! `OUTBOUND_TEST_MYSQL` is) of `TABLES` tables of `ROWS` rows
//! of the synthetic corpus each: every row (`--full`) with 1 and with 2
//! reader threads, and the default 10,000-row sample picked at random
//! against the first 10,000 rows; checks that each pair of thread counts
//! gives the same report. Each timing is the best of `RUNS` (default 3),
//! with the process's CPU time (user + system, from `/proc/self/stat`) of
//! that run: on a shared machine the CPU time says what the work cost, the
//! wall time how well it spread over the cores.
//!
//! `cargo run --release -p outbound-scan-db --example db_threads [ROWS] [TABLES] [RUNS]`

use std::time::Instant;

use outbound_scan::ScanOptions;
use outbound_scan_db::{DbScanOptions, Sample, scan_databases};
use sqlx::{AssertSqlSafe, Connection, MySqlConnection, PgConnection, SqliteConnection};

fn main() {
    let mut a = std::env::args().skip(1);
    let rows: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let tables: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(4);
    let runs: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(3).max(1);
    let (csv, _) = outbound_scan::corpus::csv_bytes(rows, 5);
    let mut rdr = csv::Reader::from_reader(&csv[..]);
    let cols: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let data: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let def = cols
        .iter()
        .map(|c| format!("\"{c}\" TEXT"))
        .collect::<Vec<_>>()
        .join(", ");
    let marks = (1..=cols.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    rt.block_on(async {
        let mut c = SqliteConnection::connect(&format!("sqlite:{}?mode=rwc", db.display()))
            .await
            .unwrap();
        for t in 0..tables {
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE TABLE t{t} ({def})")))
                .execute(&mut c)
                .await
                .unwrap();
            let mut tx = c.begin().await.unwrap();
            for r in &data {
                let sql = format!("INSERT INTO t{t} VALUES ({marks})");
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for v in r {
                    q = q.bind(v.as_str());
                }
                q.execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
        c.close().await.unwrap();
    });
    println!("{tables} tables x {rows} rows, {} columns", cols.len());
    measure(&format!("sqlite:{}", db.display()), &[], runs);

    if let Ok(url) = std::env::var("OUTBOUND_TEST_POSTGRES") {
        let schema = format!("bench_threads_{}", std::process::id());
        let pdef = def.replace(" TEXT", " text");
        rt.block_on(async {
            let mut c = PgConnection::connect(&url).await.unwrap();
            let mut ddl = format!("CREATE SCHEMA {schema};");
            for t in 0..tables {
                ddl += &format!("CREATE TABLE {schema}.t{t} ({pdef});");
            }
            sqlx::raw_sql(AssertSqlSafe(ddl))
                .execute(&mut c)
                .await
                .unwrap();
            for t in 0..tables {
                // COPY-free bulk load: batches of multi-row INSERTs.
                for chunk in data.chunks(1000) {
                    let mut sql = format!("INSERT INTO {schema}.t{t} VALUES ");
                    let mut q_args = Vec::new();
                    for (i, r) in chunk.iter().enumerate() {
                        let base = i * cols.len();
                        let ph = (1..=cols.len())
                            .map(|j| format!("${}", base + j))
                            .collect::<Vec<_>>()
                            .join(", ");
                        sql += &format!("{}({ph})", if i > 0 { ", " } else { "" });
                        q_args.extend(r.iter().map(String::as_str));
                    }
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for v in q_args {
                        q = q.bind(v);
                    }
                    q.execute(&mut c).await.unwrap();
                }
            }
            for t in 0..tables {
                sqlx::raw_sql(AssertSqlSafe(format!("ANALYZE {schema}.t{t}")))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            c.close().await.unwrap();
        });
        measure(&url, &[format!("{schema}.*")], runs);
        rt.block_on(async {
            let mut c = PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut c)
                .await
                .unwrap();
        });
    }

    if let Ok(server) = std::env::var("OUTBOUND_TEST_MYSQL") {
        let name = format!("bench_threads_{}", std::process::id());
        // The server's URL with this database as its path, options kept
        // (`?ssl-mode=DISABLED` measures without TLS).
        let (base, query) = server
            .split_once('?')
            .map_or((server.as_str(), ""), |(b, q)| (b, q));
        let url = format!("{}/{name}?{query}", base.rsplit_once('/').unwrap().0);
        let mdef = cols
            .iter()
            .map(|c| format!("`{c}` TEXT"))
            .collect::<Vec<_>>()
            .join(", ");
        rt.block_on(async {
            let mut c = MySqlConnection::connect(&server).await.unwrap();
            let mut ddl = format!("CREATE DATABASE {name} CHARACTER SET utf8mb4; USE {name};");
            for t in 0..tables {
                // An integer key, as most MySQL tables have: what a large
                // table's blocks are read by.
                ddl += &format!("CREATE TABLE t{t} (id BIGINT PRIMARY KEY, {mdef});");
            }
            sqlx::raw_sql(AssertSqlSafe(ddl))
                .execute(&mut c)
                .await
                .unwrap();
            for t in 0..tables {
                let mut id = 0i64;
                for chunk in data.chunks(1000) {
                    let row = format!("(?, {})", vec!["?"; cols.len()].join(", "));
                    let sql = format!(
                        "INSERT INTO t{t} VALUES {}",
                        vec![row.as_str(); chunk.len()].join(", ")
                    );
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for r in chunk {
                        id += 1;
                        q = q.bind(id);
                        for v in r {
                            q = q.bind(v.as_str());
                        }
                    }
                    q.execute(&mut c).await.unwrap();
                }
                sqlx::raw_sql(AssertSqlSafe(format!("ANALYZE TABLE t{t}")))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            c.close().await.unwrap();
        });
        measure(&url, &[], runs);
        rt.block_on(async {
            let mut c = MySqlConnection::connect(&server).await.unwrap();
            sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE {name}")))
                .execute(&mut c)
                .await
                .unwrap();
        });
    }
}

/// CPU time of this process so far (user + system), in seconds; 0 where
/// `/proc` is not available.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // After the command name in parentheses: fields 14 and 15 (utime,
    // stime) are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    // Clock ticks: 100 a second on Linux.
    f.iter().sum::<f64>() / 100.0
}

fn measure(url: &str, tables: &[String], runs: usize) {
    let shown = outbound_scan_db::display_url(url);
    let once = |threads: usize, full: bool, sample: Sample| {
        let o = DbScanOptions {
            tables: tables.to_vec(),
            full,
            sample,
            scan: ScanOptions {
                threads: Some(threads),
                ..Default::default()
            },
            ..Default::default()
        };
        let (t, c) = (Instant::now(), cpu_seconds());
        let r = scan_databases(&[url.to_string()], &o).unwrap();
        let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        (secs, cpu, serde_json::to_string(&r).unwrap())
    };
    // The best of `runs`: (wall, its CPU, report).
    let run = |threads: usize, full: bool, sample: Sample| {
        let mut best = once(threads, full, sample);
        for _ in 1..runs {
            let r = once(threads, full, sample);
            assert_eq!(r.2, best.2, "reports differ between runs");
            if r.0 < best.0 {
                best = r;
            }
        }
        best
    };
    // Warm the page cache once.
    once(2, true, Sample::Random);
    let (one, c1, r1) = run(1, true, Sample::Random);
    let (two, c2, r2) = run(2, true, Sample::Random);
    assert_eq!(r1, r2, "reports differ by thread count");
    println!(
        "{shown} --full: 1 thread {one:.2} s (CPU {c1:.2} s), 2 threads {two:.2} s (CPU {c2:.2} s) ({:.2}x)",
        one / two
    );
    let (first, _, _) = run(1, false, Sample::First);
    let (random, _, a) = run(1, false, Sample::Random);
    let (random2, _, b) = run(2, false, Sample::Random);
    assert_eq!(a, b, "sampled reports differ by thread count");
    println!(
        "{shown} 10,000 rows a table: first {first:.3} s, random {random:.3} s (1 thread), random {random2:.3} s (2 threads)"
    );
}
