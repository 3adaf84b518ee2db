//! Audit log figures for docs/PERFORMANCE.md, each next to its baseline from the same run:
//!
//! - durable appends per second, one caller at a time (a transaction, a signed
//!   head and a sync each) and from 8, 32, 64 and 128 writer threads (group commit);
//! - `audit verify` of the whole log against the time to SHA-256 the same
//!   leaves and interior nodes on one core (`leaf_hash` of each entry's
//!   canonical bytes, then the n - popcount(n) node hashes of its tree).
//!
//! Run: `cargo run --release -p outbound-store --example bench_audit -- [ENTRIES] [SINGLE] [PER_THREAD] [postgres://…]`
//! (defaults 1,000,000 entries verified, 2,000 single appends, 2,500 appends per
//! each of 8 threads, on a SQLite file in a temporary directory).

use std::time::Instant;

use outbound_store::merkle::{CompactTree, leaf_hash};
use outbound_store::{Keys, Store};

fn arg(args: &[String], i: usize, default: u64) -> u64 {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_verify = arg(&args, 1, 1_000_000);
    let n_single = arg(&args, 2, 2_000);
    let per_thread = arg(&args, 3, 2_500);
    let threads = 8u64;
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let location = args
        .get(4)
        .cloned()
        .unwrap_or_else(|| dir.path().join("store.db").display().to_string());
    let store = Store::open(&location).unwrap();
    #[cfg(target_arch = "x86_64")]
    let sha_ni =
        std::arch::is_x86_feature_detected!("sha") && std::arch::is_x86_feature_detected!("sse4.1");
    #[cfg(not(target_arch = "x86_64"))]
    let sha_ni = false;
    println!(
        "store: {:?}; CPU has SHA extensions (sha2 uses them when present): {sha_ni}",
        store.backend
    );

    // Baseline: one caller, each append its own transaction, head and sync.
    let t = Instant::now();
    for i in 0..n_single {
        store
            .audit_append(&keys, "bench", &serde_json::json!({"i": i}))
            .unwrap();
    }
    let single = n_single as f64 / t.elapsed().as_secs_f64();
    println!(
        "appends, one caller: {n_single} in {:.2} s = {single:.0}/s ({} of them ran the full check)",
        t.elapsed().as_secs_f64(),
        store.audit_full_checks()
    );

    let n = threads * per_thread;

    // Group commit: writers each blocking on every append. A group holds at
    // most one entry per writer, so 8 writers allow groups of 8; a busy
    // server is many writers: 32, 64 and 128 too, the same n in all.
    for wide in [threads, 32, 64, 128] {
        let heads_before = store.audit_heads().unwrap().len();
        let t = Instant::now();
        std::thread::scope(|s| {
            for th in 0..wide {
                let (store, keys) = (&store, &keys);
                s.spawn(move || {
                    for i in 0..n / wide {
                        store
                            .audit_append(keys, "bench", &serde_json::json!({"w": th, "i": i}))
                            .unwrap();
                    }
                });
            }
        });
        let secs = t.elapsed().as_secs_f64();
        let done = n / wide * wide;
        let groups = store.audit_heads().unwrap().len() - heads_before;
        println!(
            "appends, {wide} threads (group commit): {done} in {secs:.2} s = {:.0}/s ({:.1}x one caller); {groups} groups, {:.1} entries each",
            done as f64 / secs,
            done as f64 / secs / single,
            done as f64 / groups.max(1) as f64
        );
    }

    // Group commit with writers that do not wait per entry: 8 threads each
    // keep up to 64 entries queued (`audit_submit`) and wait for the oldest.
    let heads_before = store.audit_heads().unwrap().len();
    let t = Instant::now();
    std::thread::scope(|s| {
        for th in 0..threads {
            let (store, keys) = (&store, &keys);
            s.spawn(move || {
                let mut queued = std::collections::VecDeque::new();
                for i in 0..per_thread {
                    if queued.len() == 64 {
                        let ticket: outbound_store::audit::AuditTicket<'_> =
                            queued.pop_front().unwrap();
                        ticket.wait().unwrap();
                    }
                    queued.push_back(
                        store
                            .audit_submit(keys, "bench", &serde_json::json!({"t": th, "q": i}))
                            .unwrap(),
                    );
                }
                for ticket in queued {
                    ticket.wait().unwrap();
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    let groups = store.audit_heads().unwrap().len() - heads_before;
    println!(
        "appends, {threads} threads with 64 queued each (group commit): {n} in {secs:.2} s = {:.0}/s ({:.1}x one caller); {groups} groups, {:.1} entries each",
        n as f64 / secs,
        n as f64 / secs / single,
        n as f64 / groups.max(1) as f64
    );

    // Fill the log to n_verify entries, 10,000 per transaction.
    let t = Instant::now();
    let mut have = store.audit_size().unwrap();
    let start = have;
    while have < n_verify {
        let k = 10_000.min(n_verify - have);
        let entries: Vec<(&str, serde_json::Value)> = (0..k)
            .map(|i| ("bench", serde_json::json!({"i": have + i})))
            .collect();
        store.audit_append_many(&keys, &entries).unwrap();
        have += k;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "appends, 10,000 per call: {} in {secs:.1} s = {:.0}/s",
        have - start,
        (have - start) as f64 / secs.max(1e-9)
    );

    // Reading the entries whole (what verify read before it streamed them).
    let t = Instant::now();
    let entries = store.audit_entries().unwrap();
    let read = t.elapsed().as_secs_f64();
    let canonical: Vec<Vec<u8>> = entries.iter().map(|e| e.canonical()).collect();
    drop(entries);
    let bytes: usize = canonical.iter().map(Vec::len).sum();

    // SHA-256 baseline: the same leaves and nodes, one core.
    let t = Instant::now();
    let leaves: Vec<_> = canonical.iter().map(|c| leaf_hash(c)).collect();
    let leaf_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let tree = CompactTree::from_leaves(&leaves);
    let root = tree.root();
    let node_secs = t.elapsed().as_secs_f64();
    let sha = leaf_secs + node_secs;
    // from_leaves hashes n - popcount(n) nodes, root() the peaks together: n - 1 in all.
    let nodes = leaves.len().saturating_sub(1);
    std::hint::black_box(root);
    println!(
        "SHA-256 of the same leaves and nodes: {} leaves ({:.1} MB) in {leaf_secs:.3} s + {nodes} nodes in {node_secs:.3} s = {sha:.3} s",
        leaves.len(),
        bytes as f64 / 1e6
    );
    drop((canonical, leaves));

    let t = Instant::now();
    let report = store.audit_verify(&keys).unwrap();
    let verify = t.elapsed().as_secs_f64();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    println!(
        "audit verify: {} entries, {} signed heads in {verify:.3} s = {:.2}x the SHA-256 time (reading the entries whole alone: {read:.3} s)",
        report.entries,
        report.heads,
        verify / sha
    );

    // An inclusion proof rebuilds every leaf from the entries as read.
    let t = Instant::now();
    let bundle = store.audit_prove(report.entries / 2).unwrap();
    bundle.check(&keys.verifying()).unwrap();
    println!(
        "audit prove (entry {} of {}): {:.3} s",
        report.entries / 2,
        report.entries,
        t.elapsed().as_secs_f64()
    );
}
