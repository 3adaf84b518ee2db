//! `outbound scan --format json` without the CLI: scans the files given
//! with N threads (first argument) and prints the JSON report.
fn main() {
    let mut a = std::env::args().skip(1);
    let threads: usize = a.next().unwrap().parse().unwrap();
    let paths: Vec<std::path::PathBuf> = a.map(Into::into).collect();
    let opts = outbound_scan::ScanOptions {
        threads: Some(threads),
        ..Default::default()
    };
    let r = outbound_scan::scan_paths(&paths, &opts);
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
}
