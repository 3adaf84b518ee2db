//! The detector's single-thread speed on two inputs, best of 15 runs: the
//! generated corpus (100,000 CSV rows, seed 42) and 200,000 colon-heavy log
//! lines (timestamps, `host:port`, `a::b`). Run it at two commits to compare
//! (docs/PERFORMANCE.md): `cargo run --release -p outbound-scan --example detect_speed`.

use std::time::Instant;

use outbound_scan::{Hints, corpus, detect};

fn time(name: &str, data: &[u8]) {
    let mut best = f64::MAX;
    let mut n = 0u64;
    for _ in 0..15 {
        let t = Instant::now();
        n = 0;
        for line in data.split(|&c| c == b'\n') {
            detect::scan_text(line, Hints::NONE, true, &mut |_, _, _| n += 1);
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{name}: {:.1} ms best of 15, {:.0} MB/s, {n} matches",
        best * 1e3,
        data.len() as f64 / best / 1e6
    );
}

fn main() {
    let (csv, _) = corpus::csv_bytes(100_000, 42);
    time("corpus csv lines", &csv);
    let mut log = String::new();
    for i in 0..200_000u64 {
        log.push_str(&format!(
            "2026-11-30T08:{:02}:{:02}.{:03}Z INFO req={i} path=/api/v1/x::y host=10.{}.{}.7:8080 took=0:00:0{} user=u{i}\n",
            i % 60,
            (i * 7) % 60,
            i % 1000,
            i % 250,
            i % 200,
            i % 10
        ));
    }
    time("colon-heavy log lines", log.as_bytes());
}
