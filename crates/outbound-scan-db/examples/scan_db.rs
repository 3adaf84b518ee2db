//! Scans one database and prints the report as JSON: for measuring the
//! database path without building the whole CLI.
//!
//! `cargo run --release -p outbound-scan-db --example scan_db -- sqlite:c.db [--full] [--threads N]`

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(url) = args.first().cloned() else {
        eprintln!("usage: scan_db URL [--full] [--threads N]");
        std::process::exit(2);
    };
    let threads = args
        .iter()
        .position(|a| a == "--threads")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok());
    let opts = outbound_scan_db::DbScanOptions {
        full: args.iter().any(|a| a == "--full"),
        scan: outbound_scan::ScanOptions {
            threads,
            ..Default::default()
        },
        ..Default::default()
    };
    match outbound_scan_db::scan_databases(&[url], &opts) {
        Ok(r) => println!("{}", serde_json::to_string(&r).unwrap_or_default()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
