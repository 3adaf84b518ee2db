//! Several gates recording into one store at once, for docs/PERFORMANCE.md
//! (issue 11): GATES threads, each with its own connection (as separate
//! machines would have), record BATCHES batches of SIZE people each, half of
//! every batch shared with another gate's; the count must come out exact.
//! Prints new people per second, in all and per gate, next to one gate alone
//! on the same store kind in the same run (the baseline).
//!
//! Run: `cargo run --release -p outbound-store --example ledger_gates -- [GATES] [BATCHES] [SIZE] [pg]`
//! (defaults 4, 5, 200,000; `pg`: fresh databases on the server
//! `OUTBOUND_TEST_POSTGRES` names, otherwise SQLite files).

use std::collections::BTreeSet;
use std::time::Instant;

use outbound_store::{Keys, Recorded, Store, Subject};

/// The people of gate `g`'s batch `b`: half shared with gate `g + 1`'s.
fn range(g: u64, b: u64, gates: u64, size: u64) -> std::ops::Range<u64> {
    let from = (b * gates + g) * size / 2;
    from..from + size
}

/// Runs `gates` gates at once on a fresh store; returns (seconds, distinct people counted).
fn run(
    dir: &std::path::Path,
    name: &str,
    pg: bool,
    gates: u64,
    batches: u64,
    size: u64,
) -> (f64, u64) {
    let location = if pg {
        outbound_store::testing::fresh_postgres_database()
            .expect("OUTBOUND_TEST_POSTGRES names the server")
    } else {
        dir.join(name).display().to_string()
    };
    let keys_dir = dir.join("keys");
    drop(Store::open(&location).expect("create the store"));
    // Hash before the clock starts: the gate's hashing is not the ledger's work.
    let work: Vec<Vec<Vec<Subject>>> = (0..gates)
        .map(|g| {
            let keys = Keys::load(&keys_dir).expect("keys");
            (0..batches)
                .map(|b| {
                    range(g, b, gates, size)
                        .map(|i| Subject {
                            hash: keys.subject_hash(format!("person-{i}").as_bytes()),
                            sensitive: i % 50 == 0,
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let t = Instant::now();
    std::thread::scope(|s| {
        for batches_of_gate in &work {
            let (location, keys_dir) = (location.clone(), keys_dir.clone());
            s.spawn(move || {
                let store = Store::open(&location).expect("open");
                let keys = Keys::load(&keys_dir).expect("keys");
                for subjects in batches_of_gate {
                    let r = store
                        .record_batch(
                            &keys,
                            &outbound_store::testing::bench_record(size),
                            2026,
                            subjects,
                            false,
                            |_| Ok(serde_json::json!({"mechanism": "bench"})),
                        )
                        .expect("record");
                    assert!(matches!(r, Recorded::Committed { .. }));
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    let store = Store::open(&location).expect("open");
    let counted = store
        .counts(&["e".into()], 2026, 2026)
        .expect("count")
        .individuals;
    let want: BTreeSet<u64> = (0..gates)
        .flat_map(|g| (0..batches).flat_map(move |b| range(g, b, gates, size)))
        .collect();
    assert_eq!(counted, want.len() as u64, "exact under concurrency");
    (secs, counted)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let gates: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(4);
    let batches: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let size: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let pg = args.get(4).is_some_and(|a| a == "pg");
    let dir = tempfile::tempdir().expect("a temporary directory");
    Keys::create(&dir.path().join("keys")).expect("keys");
    println!(
        "{} gates x {batches} batches x {size} people, {}",
        gates,
        if pg { "PostgreSQL" } else { "SQLite" }
    );
    for g in [1, gates] {
        let (secs, counted) = run(dir.path(), &format!("g{g}.db"), pg, g, batches, size);
        println!(
            "{g} gate(s): {counted} distinct people (exact) in {secs:.2} s = {:.0} new people/s in all, {:.0} batch people/s per gate",
            counted as f64 / secs,
            (batches * size) as f64 / secs
        );
    }
}
