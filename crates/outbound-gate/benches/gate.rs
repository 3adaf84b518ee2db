//! The gate on a 20,000-record batch of the example's `crm-to-parent` transfer
//! (scan every value, consent check, pseudonymise and mask, hash subjects, count
//! them in a SQLite ledger, judge, write), as a dry run so every iteration sees
//! the same ledger.
//!
//! Baseline, measured in the same run: reading and rewriting the same CSV with
//! the csv crate and nothing else (`csv_copy_only`). The ratio is what the gate
//! costs on top of passing the bytes through.
//!
//! Run: `cargo bench -p outbound-gate --bench gate`

use std::path::Path;

use outbound_gate::{GateRequest, Io, run, sample};
use outbound_store::{Keys, Store};

fn main() {
    divan::main();
}

const ROWS: u64 = 20_000;

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
