//! The gate against `outbound scan` on the same batch, in one run (issue 11:
//! the gate at half the scanner's speed or better).
//!
//! Generates `ROWS` (default 1,000,000) records of the example's
//! `crm-to-parent` transfer with the crate's sample generator (customer id
//! pseudonymised, mobile masked, consent for everyone so every person is
//! counted), then times, on the same file:
//!
//! - `scan`: the scanner with one thread (`outbound scan --threads 1`);
//! - `pass`: the gate's pass alone (read, scan every value, policy,
//!   consent, transforms, subject hashes, output with its SHA-256 to a
//!   file), no ledger;
//! - `gate`: the whole gate, `outbound gate` as the CLI runs it, into an
//!   empty SQLite ledger (counting, determination, audit entry, fsync);
//!   `gate - pass` is the ledger's part.
//!
//! One core: `taskset -c 0 cargo run --release -p outbound-gate --example gate_vs_scan`
//! (the gate reads on a second thread only when a second core is there).
//! Two cores: the same without `taskset -c 0`. Peak memory is the process's
//! high-water mark after each step. Arguments: `[ROWS] [pass] [jsonl]`
//! (`pass`: stop after the pass, for a profile of it; `jsonl`: the batch
//! as JSON lines, one object per record, instead of CSV).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use outbound_gate::{GateRequest, Io, Outcome, pass_only, run, sample};
use outbound_scan::{ScanOptions, scan_paths};
use outbound_store::{Keys, Store};
use sha2::Digest;

/// A file writer that hashes what it writes, as the gate's output does.
struct Hashed(std::io::BufWriter<std::fs::File>, sha2::Sha256);

impl Write for Hashed {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.0.write(b)?;
        self.1.update(&b[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// CPU time of this process so far (user + system), in seconds; 0 where
/// `/proc` is not available. Next to the wall time it shows what the pass
/// costs in hand-offs and idle waits on two cores.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // After the command name in parentheses: utime and stime are the 12th
    // and 13th fields.
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

/// The sample CSV (no quoted cells) as JSON lines: one object per row,
/// keyed by the header.
fn as_json_lines(csv: &str) -> String {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut out = String::with_capacity(csv.len() * 2);
    for l in lines {
        let row: serde_json::Map<String, serde_json::Value> = header
            .iter()
            .zip(l.split(','))
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        out.push_str(&serde_json::Value::Object(row).to_string());
        out.push('\n');
    }
    out
}

fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lumen");
    // The example map, with a security assessment in place for
    // `crm-to-parent`: a batch of 1,000,000 people crosses Provisions Art.
    // 7's line, and the run should pass, not stop at the determination.
    let sources: Vec<(String, String)> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap().replace(
                "      - {type: standard_contract, effective: 2026-03-02, filed: 2026-03-10, reference: SC-2026-0117}",
                "      - {type: standard_contract, effective: 2026-03-02, filed: 2026-03-10, reference: SC-2026-0117}\n      - {type: security_assessment, approved: 2026-03-02, reference: CAC-SA-BENCH}",
            );
            (p.display().to_string(), text)
        })
        .collect();
    let loaded = outbound_model::load_sources(&sources, outbound_model::Taxonomy::builtin());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let map = loaded.map;
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let store = Store::open(&dir.path().join("store.db").display().to_string()).unwrap();
    let arg = |s: &str| std::env::args().skip(2).any(|a| a == s);
    let jsonl = arg("jsonl");
    let input: PathBuf = dir
        .path()
        .join(if jsonl { "batch.jsonl" } else { "batch.csv" });
    {
        let csv = sample::customers_csv(0, rows, 1, false);
        if jsonl {
            std::fs::write(&input, as_json_lines(&csv)).unwrap();
        } else {
            std::fs::write(&input, &csv).unwrap();
        }
    }
    let bytes = std::fs::metadata(&input).unwrap().len();
    let pass_alone = arg("pass");
    let consents = sample::consents(&keys, "crm-to-parent", 0, rows, 0);
    let consented: std::collections::HashSet<[u8; 16]> =
        consents.iter().map(|c| c.subject).collect();
    if !pass_alone {
        store.consent_import(&keys, &consents, "bench").unwrap();
    }
    drop(consents);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "{rows} records, {:.1} MB, {cores} core(s) available; peak after setup {:.0} MB",
        bytes as f64 / 1e6,
        outbound_store::testing::peak_rss_mb()
    );
    let mb_s = |s: f64| bytes as f64 / 1e6 / s;

    let (t, c) = (Instant::now(), cpu_seconds());
    let report = scan_paths(
        std::slice::from_ref(&input),
        &ScanOptions {
            threads: Some(1),
            ..Default::default()
        },
    );
    let scan = t.elapsed().as_secs_f64();
    let scan_cpu = cpu_seconds() - c;
    assert_eq!(report.files[0].records, rows);
    println!(
        "scan --threads 1   {scan:7.3} s  {:6.1} MB/s  cpu {scan_cpu:.2} s  peak {:.0} MB",
        mb_s(scan),
        outbound_store::testing::peak_rss_mb()
    );

    let (t, c) = (Instant::now(), cpu_seconds());
    let f = std::fs::File::create(dir.path().join("pass.csv")).unwrap();
    let mut out = Hashed(std::io::BufWriter::new(f), sha2::Sha256::new());
    let (rin, rout, subjects) = pass_only(
        &map,
        &keys,
        "crm-to-parent",
        &Io::Path(input.clone()),
        Some(consented),
        &mut out,
    )
    .unwrap();
    out.flush().unwrap();
    out.0.get_ref().sync_all().unwrap();
    let pass = t.elapsed().as_secs_f64();
    let pass_cpu = cpu_seconds() - c;
    assert_eq!((rin, rout, subjects as u64), (rows, rows, rows));
    println!(
        "gate pass          {pass:7.3} s  {:6.1} MB/s  cpu {pass_cpu:.2} s  peak {:.0} MB  ({:.2}x the scan's time)",
        mb_s(pass),
        outbound_store::testing::peak_rss_mb(),
        pass / scan
    );

    if pass_alone {
        // For profiling the pass alone.
        return;
    }
    // The consent register alone, read as the gate reads it (once, a page to a row).
    let t = Instant::now();
    let mut register = store
        .consent_register("crm-to-parent", "2026-11-23")
        .unwrap();
    let consent_read = t.elapsed().as_secs_f64();
    assert_eq!(register.take_subjects().len() as u64, rows);
    drop(register);
    println!("consent register   {consent_read:7.3} s  ({rows} consents, read by the gate once)");

    let t = Instant::now();
    let req = GateRequest {
        transfer: "crm-to-parent".into(),
        input: Io::Path(input.clone()),
        output: Io::Path(dir.path().join(if jsonl { "out.jsonl" } else { "out.csv" })),
        format: None,
        as_of: "2026-11-23".parse().unwrap(),
        dry_run: false,
        count_group: false,
    };
    let r = run(&map, &store, &keys, &req).unwrap();
    let gate = t.elapsed().as_secs_f64();
    assert!(
        matches!(r.outcome, Outcome::Passed { .. }),
        "{:?}",
        r.outcome
    );
    assert_eq!(r.counts.new.individuals, rows);
    println!(
        "gate (with ledger) {gate:7.3} s  {:6.1} MB/s  peak {:.0} MB  ({:.2}x the scan's time; ledger ~{:.3} s)",
        mb_s(gate),
        outbound_store::testing::peak_rss_mb(),
        gate / scan,
        gate - pass
    );
}
