//! Store figures for docs/PERFORMANCE.md: distinct-subject inserts per second and bytes per
//! subject, audit appends per second (one transaction each, and batched), and the time to
//! verify the whole log.
//!
//! Run: `cargo run --release -p outbound-store --example bench_store -- [SUBJECTS] [APPENDS] [VERIFY_ENTRIES] [postgres://…]`
//! (defaults 1,000,000, 2,000 and 1,000,000, on a SQLite file in a temporary directory).

use std::time::Instant;

use outbound_store::{BatchRecord, Keys, Recorded, Store, Subject};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_subjects: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let n_appends: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let n_verify: u64 = args
        .get(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let db = dir.path().join("store.db");
    let location = args
        .get(4)
        .cloned()
        .unwrap_or_else(|| db.display().to_string());
    let store = Store::open(&location).unwrap();
    println!("store: {:?}", store.backend);

    // Distinct subjects, in batches of 50,000 as a gate would record them.
    let batch = 50_000u64;
    let t = Instant::now();
    let mut done = 0;
    while done < n_subjects {
        let n = batch.min(n_subjects - done);
        let subjects: Vec<Subject> = (done..done + n)
            .map(|i| Subject {
                hash: keys.subject_hash(&i.to_le_bytes()),
                sensitive: i % 50 == 0,
            })
            .collect();
        let rec = BatchRecord {
            transfer: "bench".into(),
            exporters: vec!["e".into()],
            recipient: "r".into(),
            sha256: "00".repeat(32),
            bytes: 0,
            records_in: n,
            records_out: n,
            kinds: Default::default(),
            output: None,
            counts_towards_thresholds: true,
            set_aside: Default::default(),
            map_sha256: "0".repeat(64),
        };
        let r = store
            .record_batch(&keys, &rec, 2026, &subjects, false, |_| {
                Ok(serde_json::json!({}))
            })
            .unwrap();
        assert!(matches!(r, Recorded::Committed { .. }));
        done += n;
    }
    let secs = t.elapsed().as_secs_f64();
    let counted = store.counts(&["e".into()], 2026, 2026).unwrap().individuals;
    assert_eq!(counted, n_subjects);
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(db.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "subjects: {n_subjects} distinct in {secs:.1} s = {:.0} inserts/s; database {:.1} MB = {:.0} bytes per subject (SQLite only)",
        n_subjects as f64 / secs,
        size as f64 / 1e6,
        size as f64 / n_subjects as f64
    );
    let t = Instant::now();
    let c = store.counts(&["e".into()], 2026, 2026).unwrap();
    println!(
        "count query over {} subjects: {:.3} s",
        c.individuals,
        t.elapsed().as_secs_f64()
    );

    // Audit appends, one transaction each (durable, signed head each).
    let t = Instant::now();
    for i in 0..n_appends {
        store
            .audit_append(&keys, "bench", &serde_json::json!({"i": i}))
            .unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "audit appends, one transaction each: {n_appends} in {secs:.2} s = {:.0}/s",
        n_appends as f64 / secs
    );

    // Fill the log to n_verify entries in batches, then verify it whole.
    let t = Instant::now();
    let mut have = store.audit_entries().unwrap().len() as u64;
    while have < n_verify {
        let n = 10_000.min(n_verify - have);
        let entries: Vec<(&str, serde_json::Value)> = (0..n)
            .map(|i| ("bench", serde_json::json!({"i": have + i})))
            .collect();
        store.audit_append_many(&keys, &entries).unwrap();
        have += n;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "audit appends, 10,000 per transaction: {have} entries in {secs:.1} s = {:.0}/s",
        have as f64 / secs.max(1e-9)
    );
    let t = Instant::now();
    let report = store.audit_verify(&keys).unwrap();
    assert!(report.problems.is_empty());
    println!(
        "audit verify: {} entries, {} signed heads in {:.1} s",
        report.entries,
        report.heads,
        t.elapsed().as_secs_f64()
    );
}
