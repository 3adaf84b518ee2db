//! A group's counts at scale (issue 11): two affiliated exporters with N
//! people each (half of them shared), then batches of BATCH new people
//! judged for the group {a, b}, next to the same batch judged for the group
//! against an empty ledger (the baseline, same run); a change of grouping
//! (a batch of `a` alone, then the group again); how long the group's
//! count takes to read.
//!
//! Run: `cargo run --release -p outbound-store --example group_scale -- [N] [BATCH] [pg]`
//! (defaults 2,000,000 and 100,000; SQLite files in a temporary directory
//! under `LEDGER_SCALE_DIR` or `.`; `pg`: fresh databases on the server
//! `OUTBOUND_TEST_POSTGRES` names).

use std::time::Instant;

use outbound_store::{BatchRecord, Keys, Store, Subject};

const FILL: u64 = 1_000_000;

fn people(keys: &Keys, from: u64, n: u64) -> Vec<Subject> {
    outbound_store::testing::bench_people(keys, from, n)
}

fn rec(exporters: &[&str], n: u64) -> BatchRecord {
    BatchRecord {
        exporters: exporters.iter().map(|e| e.to_string()).collect(),
        ..outbound_store::testing::bench_record(n)
    }
}

/// Records one batch for `exporters`; its seconds and the group's count this year.
fn batch(store: &Store, keys: &Keys, exporters: &[&str], subjects: &[Subject]) -> (f64, u64) {
    let rec = rec(exporters, subjects.len() as u64);
    let (secs, counts) = outbound_store::testing::bench_batch(store, keys, &rec, subjects);
    // The merges due, as the gate does after a batch (not part of its time).
    store.merge_runs(keys).expect("merge the runs");
    (secs, counts.current_year.individuals)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    let size: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let dir =
        tempfile::tempdir_in(std::env::var_os("LEDGER_SCALE_DIR").unwrap_or_else(|| ".".into()))
            .expect("a temporary directory");
    let keys = Keys::create(&dir.path().join("keys")).expect("keys");
    let pg = args.get(3).is_some_and(|a| a == "pg");
    let open = |name: &str| {
        if pg {
            let url = outbound_store::testing::fresh_postgres_database()
                .expect("OUTBOUND_TEST_POSTGRES names the server");
            Store::open(&url).expect("open PostgreSQL")
        } else {
            Store::open(&dir.path().join(name).display().to_string()).expect("open")
        }
    };
    println!(
        "group {{a, b}}, {n} people each (half shared), batches of {size}, {}",
        if pg { "PostgreSQL" } else { "SQLite" }
    );
    let group = ["a", "b"];
    // People from `base` on are new to everyone.
    let base = 10 * n;
    let fresh = people(&keys, base, size);

    let empty = open("empty.db");
    let (t_empty, c) = batch(&empty, &keys, &group, &fresh);
    assert_eq!(c, size);
    drop(empty);
    println!("baseline: {size} new people for the group, empty ledger: {t_empty:.3} s");

    let full = open("full.db");
    let t = Instant::now();
    for (e, from) in [("a", 0), ("b", n / 2)] {
        let mut done = 0;
        while done < n {
            let k = FILL.min(n - done);
            batch(&full, &keys, &[e], &people(&keys, from + done, k));
            done += k;
        }
    }
    let union = n + n / 2;
    println!("fill: {} s", t.elapsed().as_secs());

    let mut next = base;
    let mut total = union;
    let mut group_batch = |label: &str, exporters: &[&str]| {
        let b = people(&keys, next, size);
        next += size;
        total += size;
        let (secs, c) = batch(&full, &keys, exporters, &b);
        if exporters.len() > 1 {
            assert_eq!(c, total, "{label}: the group's count");
        }
        println!("{label}: {secs:.3} s");
        secs
    };
    let first = group_batch("first batch for the group", &group);
    let mut steady = Vec::new();
    for i in 0..3 {
        steady.push(group_batch(&format!("group batch {}", i + 2), &group));
    }
    group_batch("a batch of a alone", &["a"]);
    let after_change = group_batch("the group again, after a's batch", &group);
    group_batch("a batch of b alone", &["b"]);
    let after_change2 = group_batch("the group again, after b's batch", &group);

    let empty2 = open("empty2.db");
    let (t_empty2, _) = batch(&empty2, &keys, &group, &fresh);
    drop(empty2);
    let t_empty = (t_empty + t_empty2) / 2.0;
    let mean = steady.iter().sum::<f64>() / steady.len() as f64;
    println!("baseline again: {t_empty2:.3} s; mean {t_empty:.3} s");
    println!(
        "group batch: first {first:.3} s ({:.1}x), steady {mean:.3} s ({:.2}x), after a change of grouping {after_change:.3} s / {after_change2:.3} s ({:.2}x)",
        first / t_empty,
        mean / t_empty,
        after_change.max(after_change2) / t_empty
    );
    let owned: Vec<String> = group.iter().map(|e| e.to_string()).collect();
    for (from, to) in [(2026, 2026), (2025, 2026)] {
        let t = Instant::now();
        let c = full.counts(&owned, from, to).expect("count");
        let ms = t.elapsed().as_secs_f64() * 1e3;
        assert_eq!(c.individuals, total);
        println!("group count read {from}..={to}: {ms:.2} ms");
    }
    println!(
        "peak memory (VmHWM): {:.0} MB",
        outbound_store::testing::peak_rss_mb()
    );
}
