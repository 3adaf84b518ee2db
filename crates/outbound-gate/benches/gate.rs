//! The gate on a 20,000-record batch of the example's `crm-to-parent` transfer
//! (scan every value, consent check, pseudonymise and mask, hash subjects, count
//! them in a SQLite ledger, judge, write), as a dry run so every iteration sees
//! the same ledger.
//!
//! Baselines, measured in the same run on the same bytes:
//! - `scan_threads_1`: the scanner on the same file with one thread
//!   (`outbound scan --threads 1`); issue 11 asks the gate to take at most
//!   twice its time on one core;
//! - `csv_copy_only`: reading and rewriting the same CSV with the csv crate
//!   and nothing else: what the gate costs on top of passing the bytes through.
//!
//! `gate_pass_1_thread` and `gate_pass_2_threads` time the gate's pass alone
//! (read, scan, policy, consent, transforms, subject hashes, output with its
//! SHA-256), without the ledger; `gate_dry_run` is the whole gate with the
//! ledger's dry-run count. The 1,000,000-record run with the ledger is
//! `examples/gate_vs_scan.rs`.
//!
//! Run: `cargo bench -p outbound-gate --bench gate`

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use outbound_gate::{GateRequest, Io, pass_only, run, sample, set_threads};
use outbound_model::DataMap;
use outbound_scan::{ScanOptions, scan_paths};
use outbound_store::{Keys, Store};
use sha2::Digest;

fn main() {
    divan::main();
}

const ROWS: u64 = 20_000;

/// The batch on disk, the map, keys and the consented subjects, made once.
struct Setup {
    _dir: tempfile::TempDir,
    path: PathBuf,
    bytes: usize,
    /// The same records as JSON lines (a key per column).
    jsonl: PathBuf,
    jsonl_bytes: usize,
    map: DataMap,
    keys: Keys,
    consented: HashSet<[u8; 16]>,
}

fn setup() -> &'static Setup {
    static S: std::sync::OnceLock<Setup> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lumen");
        let map = outbound_model::load_path(&root).unwrap().map;
        let keys = Keys::create(&dir.path().join("keys")).unwrap();
        let input = sample::customers_csv(0, ROWS, 1, false);
        let path = dir.path().join("batch.csv");
        std::fs::write(&path, &input).unwrap();
        let mut rows = csv::Reader::from_reader(input.as_bytes());
        let header = rows.headers().unwrap().clone();
        let mut lines = String::new();
        for r in rows.records() {
            let r = r.unwrap();
            let o: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(r.iter())
                .map(|(k, v)| (k.to_string(), v.into()))
                .collect();
            lines.push_str(&serde_json::Value::Object(o).to_string());
            lines.push('\n');
        }
        let jsonl = dir.path().join("batch.jsonl");
        std::fs::write(&jsonl, &lines).unwrap();
        let consented = sample::consents(&keys, "crm-to-parent", 0, ROWS, 0)
            .into_iter()
            .map(|c| c.subject)
            .collect();
        Setup {
            _dir: dir,
            path,
            bytes: input.len(),
            jsonl,
            jsonl_bytes: lines.len(),
            map,
            keys,
            consented,
        }
    })
}

#[divan::bench(sample_count = 10)]
fn scan_threads_1(b: divan::Bencher<'_, '_>) {
    let s = setup();
    let opts = ScanOptions {
        threads: Some(1),
        ..Default::default()
    };
    b.counter(divan::counter::BytesCount::new(s.bytes))
        .bench(|| {
            let r = scan_paths(std::slice::from_ref(&s.path), &opts);
            assert_eq!(r.files[0].records, ROWS);
            r
        });
}

/// A sink that hashes what it is given, as the gate's output file does.
struct Hashed(sha2::Sha256, u64);

impl Write for Hashed {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.update(b);
        self.1 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn pass(b: divan::Bencher<'_, '_>, threads: usize) {
    let s = setup();
    pass_of(b, threads, &s.path, s.bytes);
}

fn pass_of(b: divan::Bencher<'_, '_>, threads: usize, path: &Path, bytes: usize) {
    let s = setup();
    b.counter(divan::counter::BytesCount::new(bytes))
        .bench_local(|| {
            set_threads(Some(threads));
            let mut out = Hashed(sha2::Sha256::new(), 0);
            let (rin, rout, _) = pass_only(
                &s.map,
                &s.keys,
                "crm-to-parent",
                &Io::Path(path.to_path_buf()),
                Some(s.consented.clone()),
                &mut out,
            )
            .unwrap();
            set_threads(None);
            assert_eq!((rin, rout), (ROWS, ROWS));
            out.0.finalize()
        });
}

#[divan::bench(sample_count = 10)]
fn gate_pass_1_thread(b: divan::Bencher<'_, '_>) {
    pass(b, 1);
}

#[divan::bench(sample_count = 10)]
fn gate_pass_2_threads(b: divan::Bencher<'_, '_>) {
    pass(b, 2);
}

/// The pass on the same records as JSON lines.
#[divan::bench(sample_count = 10)]
fn gate_pass_jsonl_1_thread(b: divan::Bencher<'_, '_>) {
    let s = setup();
    pass_of(b, 1, &s.jsonl, s.jsonl_bytes);
}

#[divan::bench(sample_count = 10)]
fn csv_copy_only(b: divan::Bencher<'_, '_>) {
    let input = sample::customers_csv(0, ROWS, 1, false);
    b.counter(divan::counter::BytesCount::new(input.len()))
        .bench(|| {
            let mut r = csv::Reader::from_reader(input.as_bytes());
            let mut w = csv::Writer::from_writer(Vec::with_capacity(input.len()));
            w.write_record(r.headers().unwrap()).unwrap();
            for rec in r.records() {
                w.write_record(&rec.unwrap()).unwrap();
            }
            w.into_inner().unwrap()
        });
}

#[divan::bench(sample_count = 10)]
fn gate_dry_run(b: divan::Bencher<'_, '_>) {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lumen");
    let map = outbound_model::load_path(&root).unwrap().map;
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let store = Store::open(&dir.path().join("store.db").display().to_string()).unwrap();
    let consents = sample::consents(&keys, "crm-to-parent", 0, ROWS, 0);
    store.consent_import(&keys, &consents, "bench").unwrap();
    let input = sample::customers_csv(0, ROWS, 1, false);
    let path = dir.path().join("batch.csv");
    std::fs::write(&path, &input).unwrap();
    let mut n = 0;
    b.counter(divan::counter::BytesCount::new(input.len()))
        .bench_local(|| {
            n += 1;
            let req = GateRequest {
                transfer: "crm-to-parent".into(),
                input: Io::Path(path.clone()),
                output: Io::Path(dir.path().join(format!("out{n}.csv"))),
                format: None,
                as_of: "2026-11-23".parse().unwrap(),
                dry_run: true,
                count_group: false,
            };
            let r = run(&map, &store, &keys, &req).unwrap();
            assert_eq!(r.records_out, ROWS);
            r
        });
}
