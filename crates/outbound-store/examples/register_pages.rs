//! What listing rights requests and complaints costs as they grow, for
//! docs/PERFORMANCE.md: the server's reads before session 45 (every request
//! with every part; every complaint with every handling row) against the
//! pages it reads now (every open one, fifty finished, the counts), in the
//! same run.
//!
//! Run: `cargo run --release -p outbound-store --example register_pages -- [N] [LOCATION]`
//! (default 2,000 requests and 2,000 complaints, nine in ten closed or
//! answered, synthetic subjects and texts, written through the store as the
//! server writes them, on a SQLite file in a temporary directory; a
//! LOCATION of a store kept from an earlier run is added to, and with N 0
//! only measured: docs/PERFORMANCE.md grows such a store by copying rows).

use std::time::Instant;

use outbound_store::complaints::{ComplaintQuery, Triage};
use outbound_store::rights::{Channel, IdentityMethod, NewRequest, RequestKind, RequestQuery};
use outbound_store::testing::median_ms;
use outbound_store::{Keys, Store};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let dir = tempfile::tempdir().unwrap();
    let location = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| dir.path().join("store.db").display().to_string());
    let keys_path = std::path::Path::new(&format!("{location}.bench-keys")).to_path_buf();
    let keys = if keys_path.exists() {
        Keys::load(&keys_path).unwrap()
    } else {
        Keys::create(&keys_path).unwrap()
    };
    let store = Store::open(&location).unwrap();
    let t = Instant::now();
    let first = store.rights_request_counts(None).unwrap();
    for i in 0..n {
        let r = store
            .open_request(
                &keys,
                "bench",
                &NewRequest {
                    received_at: "2026-01-31T10:00:00Z",
                    channel: Channel::Staff,
                    kinds: &[RequestKind::Know],
                    regimes: &["CN".to_string()],
                    subject: keys
                        .subject_hash(format!("nobody-{}", first.0 + first.1 + i).as_bytes()),
                    identity: IdentityMethod::AccountLogin,
                    identity_at: None,
                },
            )
            .unwrap();
        // Nine in ten closed (nobody carried these people: no parts).
        if i % 10 != 0 {
            store.forward_request(&keys, "bench", &r.id).unwrap();
            store.close_request(&keys, "bench", &r.id).unwrap();
        }
        let tracking = format!("C-{:016x}", first.0 + first.1 + i);
        store
            .add_complaint(&keys, &tracking, "synthetic complaint", None, None)
            .unwrap();
        if i % 10 != 0 {
            let triage = Triage {
                category: "processing".into(),
                ..Default::default()
            };
            store
                .triage_complaint(&keys, "bench", &tracking, &triage)
                .unwrap();
            store
                .answer_complaint(&keys, "bench", &tracking, "answered", "upheld")
                .unwrap();
        }
    }
    println!(
        "store: {:?}; {n} requests and {n} complaints written in {:.1} s",
        store.backend,
        t.elapsed().as_secs_f64()
    );
    let (open, finished) = store.rights_request_counts(None).unwrap();
    let complaints: u64 = store.complaint_counts().unwrap().values().sum();
    println!("{open} open and {finished} finished requests, {complaints} complaints in the store");
    let runs = 5;
    let row = |what: &str, (ms, n): (f64, usize)| println!("{what:<60} {ms:>10.2} ms  {n:>8} rows");
    row(
        "before: every request with its parts (page, overview)",
        median_ms(runs, || store.rights_requests().unwrap().len()),
    );
    row(
        "after: every open request (up to 10,000)",
        median_ms(runs, || {
            let open = RequestQuery {
                open: Some(true),
                limit: outbound_store::PAGE_MAX,
                ..RequestQuery::default()
            };
            store.rights_requests_page(&open).unwrap().len()
        }),
    );
    row(
        "after: fifty finished requests and the counts",
        median_ms(runs, || {
            let finished = RequestQuery {
                open: Some(false),
                limit: 51,
                ..RequestQuery::default()
            };
            std::hint::black_box(store.rights_request_counts(None).unwrap());
            store.rights_requests_page(&finished).unwrap().len()
        }),
    );
    row(
        "before: every complaint and every handling row (page, overview)",
        median_ms(runs, || {
            let all = store.complaints().unwrap();
            let handled = store.complaint_handlings().unwrap();
            all.len().max(handled.len())
        }),
    );
    row(
        "after: every open complaint (up to 10,000)",
        median_ms(runs, || {
            let open = ComplaintQuery {
                open: Some(true),
                limit: outbound_store::PAGE_MAX,
                ..ComplaintQuery::default()
            };
            store.complaints_page(&open).unwrap().len()
        }),
    );
    row(
        "after: fifty answered complaints and the counts",
        median_ms(runs, || {
            let answered = ComplaintQuery {
                open: Some(false),
                limit: 51,
                ..ComplaintQuery::default()
            };
            std::hint::black_box(store.complaint_counts().unwrap());
            store.complaints_page(&answered).unwrap().len()
        }),
    );
}
