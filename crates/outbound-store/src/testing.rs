//! Test support for this crate and the crates built on it: a throwaway
//! PostgreSQL database per test, on the cluster `scripts/pg-test-cluster.sh`
//! starts (its URL in `OUTBOUND_TEST_POSTGRES`).
//!
//! Without that variable a PostgreSQL test is skipped locally but fails under CI
//! (`CI` set), so CI cannot pass without exercising PostgreSQL.
//!
//! Behind the `testing` feature, which test suites enable as a dev-dependency:
//! it is not part of the store's API.

use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The URL of a new, empty database, or `None` (with a notice) when no test
/// cluster is configured outside CI.
///
/// # Panics
///
/// Under CI without `OUTBOUND_TEST_POSTGRES`, or when the database cannot be created.
pub fn fresh_postgres_database() -> Option<String> {
    let Ok(base) = std::env::var("OUTBOUND_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL tests: set OUTBOUND_TEST_POSTGRES"
        );
        eprintln!("skipping a PostgreSQL test: OUTBOUND_TEST_POSTGRES is not set");
        return None;
    };
    let name = format!(
        "t{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&base)
            .await
            .expect("the test cluster accepts connections");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("a test database can be created");
        pool.close().await;
    });
    let (server, _) = base
        .rsplit_once('/')
        .expect("OUTBOUND_TEST_POSTGRES is a postgres:// URL with a database");
    Some(format!("{server}/{name}"))
}

/// The process's peak resident memory in MB (Linux's `VmHWM`; 0 elsewhere),
/// for the benchmarks' reports.
pub fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// A line of `/proc/self/status` given in kB, in MB (0 where there is none).
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The process's resident memory now in MB (Linux's `VmRSS`; 0 elsewhere).
pub fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// Resets the process's peak resident memory to what it holds now (Linux:
/// `5` written to `/proc/self/clear_refs`), so that [`peak_rss_mb`] then
/// tells the peak of what follows; false where that is not possible.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A batch of `n` records of the benchmarks' one transfer (`crm-to-parent`,
/// exporter `e`, recipient `parent`), counted towards the thresholds.
pub fn bench_record(n: u64) -> crate::BatchRecord {
    crate::BatchRecord {
        transfer: "crm-to-parent".into(),
        exporters: vec!["e".into()],
        recipient: "parent".into(),
        sha256: "00".repeat(32),
        bytes: 0,
        records_in: n,
        records_out: n,
        kinds: Default::default(),
        output: None,
        counts_towards_thresholds: true,
        set_aside: Default::default(),
        map_sha256: "0".repeat(64),
    }
}

/// People `from..from + n` (`person-<i>` keyed by `keys`, every 50th with
/// sensitive PI), hashed on every core: the scale examples' fills are tens
/// of millions of keyed hashes.
pub fn bench_people(keys: &crate::Keys, from: u64, n: u64) -> Vec<crate::Subject> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let per = n.div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let lo = from + t * per;
                    let hi = (lo + per).min(from + n);
                    (lo..hi)
                        .map(|i| crate::Subject {
                            hash: keys.subject_hash(format!("person-{i}").as_bytes()),
                            sensitive: i % 50 == 0,
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("hashing thread"))
            .collect()
    })
}

/// Records `subjects` as one batch of `rec` in 2026 whose determination
/// passes, for the scale examples; its seconds and counts. Panics (an
/// example's failure) when the batch is not committed.
pub fn bench_batch(
    store: &crate::Store,
    keys: &crate::Keys,
    rec: &crate::BatchRecord,
    subjects: &[crate::Subject],
) -> (f64, crate::BatchCounts) {
    bench_batch_asking(store, keys, rec, subjects, &[])
}

/// [`bench_batch`] by a gate that counts `windows` (a window over the
/// batch's transfer keeps its days: the US rule's case).
pub fn bench_batch_asking(
    store: &crate::Store,
    keys: &crate::Keys,
    rec: &crate::BatchRecord,
    subjects: &[crate::Subject],
    windows: &[crate::DeliveryWindow],
) -> (f64, crate::BatchCounts) {
    let t = std::time::Instant::now();
    let r = store
        .record_batch_consented(
            keys,
            rec,
            crate::BatchDay::year(2026),
            subjects,
            (None, windows),
            false,
            |_, _| Ok(serde_json::json!({"mechanism": "bench"})),
        )
        .expect("record a batch");
    let crate::Recorded::Committed { counts, .. } = r else {
        panic!("not committed: {r:?}")
    };
    (t.elapsed().as_secs_f64(), counts)
}

/// Median wall time of `f` over `runs` calls, in milliseconds, with what
/// the last call returned (a row count, kept from being optimised away).
pub fn median_ms(runs: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut n = 0;
    for _ in 0..runs.max(1) {
        let t = std::time::Instant::now();
        n = std::hint::black_box(f());
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], n)
}
