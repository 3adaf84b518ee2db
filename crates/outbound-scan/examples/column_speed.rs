//! Where the detectors' time goes, column by column: scans every cell of
//! each column of a CSV file (no quotes inside cells) with that column's
//! header hints, best of 7 runs (`RUNS`), one thread. Used to pick what to speed up
//! (docs/PERFORMANCE.md):
//! `cargo run --release -p outbound-scan --example column_speed -- FILE`.

use std::time::Instant;

use outbound_scan::{Hints, detect};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: column_speed FILE.csv");
        std::process::exit(2);
    };
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let mut lines = data.split(|&c| c == b'\n').filter(|l| !l.is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split(|&c| c == b',')
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let mut cols: Vec<Vec<&[u8]>> = vec![Vec::new(); header.len()];
    for l in lines {
        for (i, c) in l.split(|&c| c == b',').enumerate().take(header.len()) {
            cols[i].push(c);
        }
    }
    let mut total = 0.0;
    for (name, cells) in header.iter().zip(&cols) {
        let hints = Hints::from_header(name);
        let bytes: usize = cells.iter().map(|c| c.len()).sum();
        let mut best = f64::MAX;
        let mut n = 0u64;
        for _ in 0..runs() {
            let t = Instant::now();
            n = 0;
            for c in cells {
                detect::scan_value(c, hints, &mut |_, _, _| n += 1);
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        total += best;
        println!(
            "{name:>12}: {:7.2} ms {:6.0} MB/s {:5.1} ns/cell {n} matches",
            best * 1e3,
            bytes as f64 / best / 1e6,
            best * 1e9 / cells.len() as f64
        );
    }
    println!(
        "{:>12}: {:7.2} ms {:6.0} MB/s",
        "all",
        total * 1e3,
        data.len() as f64 / total / 1e6
    );
}

/// Runs per column (`RUNS`, default 7; 1 under an instruction counter).
fn runs() -> usize {
    std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7)
}
