//! Writes a deterministic synthetic corpus to a file and prints its
//! ground truth as JSON, for manual benchmarks of `outbound scan`:
//!
//! ```sh
//! # nine columns, each personal data or a decoy that looks like it
//! cargo run --release -p outbound-scan --example gen_corpus -- 1000000 42 /tmp/corpus.csv
//! # a customer table: twenty columns, seven of them personal data
//! cargo run --release -p outbound-scan --example gen_corpus -- 250000 42 /tmp/customers.csv customers
//! ```

use std::io::BufWriter;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().as_deref().unwrap_or("100000").parse()?;
    let seed: u64 = args.next().as_deref().unwrap_or("42").parse()?;
    let out = args.next().unwrap_or_else(|| "corpus.csv".into());
    let shape = args.next().unwrap_or_else(|| "decoys".into());
    let w = BufWriter::new(std::fs::File::create(&out)?);
    let gt = match shape.as_str() {
        "decoys" => outbound_scan::corpus::write_csv(w, rows, seed)?,
        "customers" => outbound_scan::corpus::write_customers_csv(w, rows, seed)?,
        other => return Err(format!("unknown shape {other:?}: decoys or customers").into()),
    };
    println!(
        "{}",
        serde_json::json!({"path": out, "rows": gt.rows, "kinds": gt.kinds, "distinct_ids": gt.distinct_ids, "distinct_subjects": gt.distinct_subjects})
    );
    Ok(())
}
