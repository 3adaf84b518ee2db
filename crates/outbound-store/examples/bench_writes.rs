//! Domain writes per second for docs/PERFORMANCE.md: consent withdrawals,
//! each durable before its caller goes on (its rows, the consent index, the
//! ledger's digests and its audit entry), from one caller and from 8, 32,
//! 64 and 128 writer threads, the one caller being the baseline of the same run.
//!
//! Run: `cargo run --release -p outbound-store --example bench_writes -- [PER_WIDTH] [SINGLE] [postgres://…]`
//! (defaults 4,096 withdrawals at each width and 500 from one caller, on a
//! SQLite file in a temporary directory). The subjects are synthetic: keyed
//! hashes of `p0`, `p1` … imported as consents first.

use std::time::Instant;

use outbound_store::{ConsentRecord, Keys, Store};

fn arg(args: &[String], i: usize, default: u64) -> u64 {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let per_width = arg(&args, 1, 4_096);
    let single = arg(&args, 2, 500);
    let widths = [8u64, 32, 64, 128];
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let location = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| dir.path().join("store.db").display().to_string());
    let store = Store::open(&location).unwrap();
    let subject = |i: u64| keys.subject_hash(format!("p{i}").as_bytes());
    let total = single + per_width * widths.len() as u64;
    let records: Vec<ConsentRecord> = (0..total)
        .map(|i| ConsentRecord {
            subject: subject(i),
            transfer: "crm".into(),
            granted_at: "2026-01-01".into(),
            withdrawn_at: None,
        })
        .collect();
    store.consent_import(&keys, &records, "bench").unwrap();
    println!("store: {:?}; {total} consents imported", store.backend);

    let withdraw = |i: u64| {
        let n = store
            .consent_withdraw(&keys, subject(i), Some("crm"), "2026-02-01")
            .unwrap();
        assert_eq!(n, 1);
    };
    let t = Instant::now();
    (0..single).for_each(withdraw);
    let one = single as f64 / t.elapsed().as_secs_f64();
    println!(
        "withdrawals, one caller: {single} in {:.2} s = {one:.0}/s",
        t.elapsed().as_secs_f64()
    );

    let mut next = single;
    for wide in widths {
        let heads_before = store.audit_heads().unwrap().len();
        let (from, each) = (next, per_width / wide);
        let t = Instant::now();
        std::thread::scope(|s| {
            for th in 0..wide {
                let withdraw = &withdraw;
                s.spawn(move || (0..each).for_each(|i| withdraw(from + th * each + i)));
            }
        });
        let secs = t.elapsed().as_secs_f64();
        let done = each * wide;
        next += per_width;
        let groups = store.audit_heads().unwrap().len() - heads_before;
        println!(
            "withdrawals, {wide} threads: {done} in {secs:.2} s = {:.0}/s ({:.1}x one caller); {groups} signed heads, {:.1} writes each",
            done as f64 / secs,
            done as f64 / secs / one,
            done as f64 / groups.max(1) as f64
        );
    }
    let report = store.audit_verify(&keys).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    println!(
        "audit verify: {} entries, {} signed heads, no problem",
        report.entries, report.heads
    );
}
