//! Scans one database and prints the report as JSON: for measuring the
//! database path without building the whole CLI.
//!
//! `cargo run --release -p outbound-scan-db --example scan_db -- sqlite:c.db [--full]`

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(url) = args.next() else {
        eprintln!("usage: scan_db URL [--full]");
        std::process::exit(2);
    };
    let opts = outbound_scan_db::DbScanOptions {
        full: args.any(|a| a == "--full"),
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
