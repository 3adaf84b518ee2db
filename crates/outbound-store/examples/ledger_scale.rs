//! The ledger at scale, for docs/PERFORMANCE.md (issue 11): a batch of
//! BATCH new people against an exporter that has already exported BASE this
//! year, next to the same batch against an empty ledger (the baseline, same
//! run); bytes per person on disk; how long the kept count takes to read;
//! memory before and at the peak of each measured batch (the gate's memory
//! must not grow with the ledger), and the whole run's peak.
//!
//! Run: `cargo run --release -p outbound-store --example ledger_scale -- [BASE] [BATCH] [pg]`
//! (`pg`: on fresh databases of the server `OUTBOUND_TEST_POSTGRES` names;
//! defaults 100,000,000 and 1,000,000 on SQLite files in a temporary
//! directory; the 100M fill takes minutes and ~4 GB of disk, so it stays out
//! of CI). The fill goes through `record_batch` like any gate, in batches of
//! FILL people (10,000,000, or BASE if smaller).

use std::time::Instant;

use outbound_store::{Keys, Store, Subject};

const FILL: u64 = 10_000_000;

fn people(keys: &Keys, from: u64, n: u64) -> Vec<Subject> {
    outbound_store::testing::bench_people(keys, from, n)
}

/// Records one batch, then merges the runs due as the gate does after it.
/// With `LEDGER_SCALE_DAYS=1` its gate counts a 12-month window over the
/// transfer (the US rule's case), so the transfer's days are kept too; the
/// window is counted up to 100,001 as the gate asks (one past 28 CFR
/// §202.205's largest threshold), or exactly with `LEDGER_SCALE_DAYS=exact`.
/// Returns the batch's seconds, the seconds of the merges done after it (as
/// the gate does, each in its own transaction), and the people new.
fn batch(store: &Store, keys: &Keys, subjects: &[Subject]) -> (f64, f64, u64) {
    let rec = outbound_store::testing::bench_record(subjects.len() as u64);
    let windows: Vec<outbound_store::DeliveryWindow> = match std::env::var("LEDGER_SCALE_DAYS") {
        Ok(how) => {
            let w = window(&rec.transfer);
            vec![if how == "exact" { w } else { w.up_to(GATE_CAP) }]
        }
        Err(_) => Vec::new(),
    };
    let (secs, counts) =
        outbound_store::testing::bench_batch_asking(store, keys, &rec, subjects, &windows);
    let t = Instant::now();
    let m = store.merge_runs(keys).expect("merge the runs");
    LOCKED_US.fetch_max(m.locked_us, std::sync::atomic::Ordering::Relaxed);
    (secs, t.elapsed().as_secs_f64(), counts.new.individuals)
}

/// The process's resident memory now and its peak since the last mark, in
/// MB; the peak starts again from now (where Linux lets it be reset), so a
/// batch's peak is not the fill's.
fn memory_mark() -> (f64, f64) {
    let marks = (
        outbound_store::testing::rss_mb(),
        outbound_store::testing::peak_rss_mb(),
    );
    outbound_store::testing::reset_peak_rss();
    marks
}

/// Where the gate stops counting a window: one past 28 CFR §202.205's
/// largest threshold (`UsData::bulk_count_enough`, a layer above the store).
const GATE_CAP: u64 = 100_001;

/// The 12-month window the gate asks for over `transfer`.
fn window(transfer: &str) -> outbound_store::DeliveryWindow {
    outbound_store::DeliveryWindow::new(
        &[transfer],
        jiff::civil::date(2025, 12, 1),
        jiff::civil::date(2026, 11, 30),
    )
}

/// The longest a merge held the store's lock (its swap), over the run.
static LOCKED_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn locked_ms() -> f64 {
    LOCKED_US.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0
}

fn disk_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("full.db"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn open(dir: &std::path::Path, name: &str, pg: Option<&String>) -> Store {
    match pg {
        // A fresh database per store on the server named by the URL.
        Some(_) => {
            let url = outbound_store::testing::fresh_postgres_database()
                .expect("OUTBOUND_TEST_POSTGRES names the server");
            Store::open(&url).expect("open PostgreSQL")
        }
        None => Store::open(&dir.join(name).display().to_string()).expect("open SQLite"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000_000);
    let size: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let pg = args.get(3);
    let dir =
        tempfile::tempdir_in(std::env::var_os("LEDGER_SCALE_DIR").unwrap_or_else(|| ".".into()))
            .expect("a temporary directory");
    let keys = Keys::create(&dir.path().join("keys")).expect("keys");
    println!(
        "base {base} people, batch {size}, backend {}",
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );

    // Baseline: the batch against an empty ledger.
    let fresh = people(&keys, base, size);
    let empty = open(dir.path(), "empty.db", pg);
    let (before, _) = memory_mark();
    let (t_empty, _, n) = batch(&empty, &keys, &fresh);
    let (_, peak) = memory_mark();
    assert_eq!(n, size);
    println!(
        "baseline: {size} new people against an empty ledger: {t_empty:.2} s; memory {before:.0} MB before it, peak {peak:.0} MB during it"
    );
    drop(empty);

    // The fill.
    let full = open(dir.path(), "full.db", pg);
    let t = Instant::now();
    let mut done = 0;
    while done < base {
        let n = FILL.min(base - done);
        let (secs, merge, new) = batch(&full, &keys, &people(&keys, done, n));
        assert_eq!(new, n);
        done += n;
        println!(
            "  fill: {done} people ({secs:.1} s for this batch, {merge:.1} s of merges after it; the longest a merge held the store's lock so far: {:.1} ms)",
            locked_ms()
        );
    }
    let fill = t.elapsed().as_secs_f64();
    println!(
        "fill: {base} people in {fill:.0} s = {:.0} people/s (hashing included)",
        base as f64 / fill
    );

    // The same batch, and four more, against the full ledger.
    let (before, _) = memory_mark();
    let (t_full, m_full, n) = batch(&full, &keys, &fresh);
    let (_, peak) = memory_mark();
    assert_eq!(n, size);
    println!(
        "memory of the {size} against {base}: {before:.0} MB before it, peak {peak:.0} MB during it (the batch and its merges)"
    );
    let mut more = Vec::new();
    for i in 1..5 {
        let b = people(&keys, base + i * size, size);
        let (t, m, _) = batch(&full, &keys, &b);
        more.push((t, m));
    }
    // The baseline again, now, under whatever load the machine has now.
    let empty2 = open(dir.path(), "empty2.db", pg);
    let (before, _) = memory_mark();
    let (t_empty2, _, _) = batch(&empty2, &keys, &fresh);
    let (_, peak) = memory_mark();
    drop(empty2);
    println!(
        "baseline again, after: {t_empty2:.2} s; memory {before:.0} MB before it, peak {peak:.0} MB during it (the heap the fill left is reused: compare with the batch against the full ledger)"
    );
    let t_empty = (t_empty + t_empty2) / 2.0;
    println!(
        "{size} new people against {base}: {t_full:.2} s = {:.2}x the empty ledger's mean (aim <= 2x), merges after it {m_full:.2} s; next four (batch + merges after it): {}",
        t_full / t_empty,
        more.iter()
            .map(|(t, m)| format!("{t:.2} s + {m:.2} s"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Already counted: the same batch again adds no one.
    let (t_again, m_again, n) = batch(&full, &keys, &fresh);
    assert_eq!(n, 0);
    println!(
        "the same {size} people again (all already counted): {t_again:.2} s + {m_again:.2} s of merges"
    );
    println!(
        "the longest a merge held the store's lock (other writers wait that long at most): {:.1} ms",
        locked_ms()
    );

    let counted = base + 5 * size;
    let t = Instant::now();
    let c = full.counts(&["e".into()], 2026, 2026).expect("count");
    let read_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(c.individuals, counted);
    let t = Instant::now();
    let c2 = full.counts(&["e".into()], 2025, 2026).expect("count");
    let read2_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(c2.individuals, counted);
    println!(
        "count read: {read_ms:.2} ms (this year), {read2_ms:.2} ms (from 1 January of the previous year); aim < 10 ms"
    );
    if std::env::var_os("LEDGER_SCALE_DAYS").is_some() {
        // What `status` and the pages ask: the window up to what decides, and exactly.
        let w = window(&outbound_store::testing::bench_record(0).transfer);
        let t = Instant::now();
        let capped = full
            .delivered_up_to(&w.clone().up_to(GATE_CAP))
            .expect("window");
        let capped_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let exact = full.delivered_up_to(&w).expect("window");
        println!(
            "window read: {capped} in {capped_ms:.1} ms (up to 100,001); exactly {exact} in {:.0} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    if pg.is_none() {
        drop(full);
        let bytes = disk_bytes(dir.path());
        println!(
            "disk: {:.2} GB for {counted} people = {:.1} bytes per person (counted keys and the transfer's deliveries together)",
            bytes as f64 / 1e9,
            bytes as f64 / counted as f64
        );
    }
    println!(
        "peak memory after the measured batch (the next five batches, the reads): {:.0} MB",
        outbound_store::testing::peak_rss_mb()
    );
}
