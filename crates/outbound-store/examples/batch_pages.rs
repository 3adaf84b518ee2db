//! What listing a gate's batches costs as they grow, for docs/PERFORMANCE.md:
//! the server's reads before session 45 (every batch, then every batch's
//! map digest from its audit entry; the transfer page did the same for one
//! transfer) against a page (`Store::batch_page`: the API's default 1,000,
//! the transfer page's newest 51), in the same run.
//!
//! Run: `cargo run --release -p outbound-store --example batch_pages -- [BATCHES] [LOCATION]`
//! (default 10,000 batches over 10 transfers, one synthetic person each,
//! recorded through `record_batch` as a gate records them, on a SQLite file
//! in a temporary directory; a LOCATION of a store kept from an earlier
//! run is added to, and with BATCHES 0 only measured: docs/PERFORMANCE.md
//! grows such a store to a million batches by copying rows).

use std::time::Instant;

use outbound_store::testing::median_ms;
use outbound_store::{BatchQuery, BatchRecord, Keys, Recorded, Store, Subject};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let batches: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let location = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| dir.path().join("store.db").display().to_string());
    let store = Store::open(&location).unwrap();
    let map = "ab".repeat(32);
    let t = Instant::now();
    for i in 0..batches {
        let rec = BatchRecord {
            transfer: format!("t{}", i % 10),
            exporters: vec!["lumen-cn".into()],
            recipient: "lumen-inc".into(),
            sha256: "00".repeat(32),
            bytes: 10,
            records_in: 1,
            records_out: 1,
            kinds: Default::default(),
            output: None,
            counts_towards_thresholds: true,
            set_aside: Default::default(),
            map_sha256: map.clone(),
        };
        let person = [Subject {
            hash: keys.subject_hash(format!("p{i}").as_bytes()),
            sensitive: false,
        }];
        let r = store
            .record_batch(&keys, &rec, 2026, &person, false, |_| {
                Ok(serde_json::json!({}))
            })
            .unwrap();
        assert!(matches!(r, Recorded::Committed { .. }), "{r:?}");
    }
    println!(
        "store: {:?}; {batches} batches recorded in {:.1} s",
        store.backend,
        t.elapsed().as_secs_f64()
    );
    let batches = store.batch_count().unwrap();
    println!("{batches} batches in the store");
    let runs = 5;
    let row =
        |what: &str, (ms, n): (f64, usize)| println!("{what:<58} {ms:>10.2} ms  {n:>8} batches");
    row(
        "before: every batch and every digest (the API)",
        median_ms(runs, || {
            let all = store.batches().unwrap();
            let digests = store.batch_map_digests(None).unwrap();
            assert_eq!(all.len(), digests.len());
            all.len()
        }),
    );
    row(
        "before: every batch, one transfer's digests (the page)",
        median_ms(runs, || {
            let all = store.batches().unwrap();
            let digests = store.batch_map_digests(Some("t3")).unwrap();
            all.iter()
                .filter(|b| b.transfer == "t3")
                .count()
                .min(digests.len())
        }),
    );
    row(
        "after: the API's first page (1,000)",
        median_ms(runs, || {
            store.batch_page(&BatchQuery::default()).unwrap().len()
        }),
    );
    row(
        "after: the API's last page (1,000)",
        median_ms(runs, || {
            let q = BatchQuery {
                after: Some(batches.saturating_sub(1_001)),
                ..BatchQuery::default()
            };
            store.batch_page(&q).unwrap().len()
        }),
    );
    row(
        "after: the page's newest 51 of one transfer, and its count",
        median_ms(runs, || {
            let q = BatchQuery {
                transfers: Some(&["t3"]),
                newest_first: true,
                limit: 51,
                ..BatchQuery::default()
            };
            let n = store.batch_page(&q).unwrap().len();
            std::hint::black_box(store.transfer_batch_count("t3").unwrap());
            n
        }),
    );
    row(
        "after: the page's oldest 51 of one transfer (before id 1,000)",
        median_ms(runs, || {
            let q = BatchQuery {
                transfers: Some(&["t3"]),
                newest_first: true,
                before: Some(1_000),
                limit: 51,
                ..BatchQuery::default()
            };
            store.batch_page(&q).unwrap().len()
        }),
    );
}
