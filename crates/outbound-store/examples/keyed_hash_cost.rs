//! What one keyed hash of a short identifier costs: the store's
//! HMAC-SHA-256 (behind subject hashes and the gate's pseudonyms) against
//! BLAKE3's keyed mode, the fastest keyed function already in the tree.
//! Measured to decide whether a second token scheme, recorded per store,
//! would pay (docs/PERFORMANCE.md, "A faster keyed function for the gate?").
//!
//! Run: `taskset -c 1 cargo run --release -p outbound-store --example keyed_hash_cost`

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let key = [0x42u8; 32];
    let hmac = outbound_store::hmac_sha256::HmacSha256::new(&key);
    let n = 2_000_000u64;
    for len in [11usize, 18, 24, 40] {
        // 1,024 distinct synthetic values of this length (digits).
        let values: Vec<Vec<u8>> = (0..1024u64)
            .map(|i| format!("{:0len$}", i * 7919 + 13).into_bytes())
            .collect();
        let value = |i: u64| &values[(i & 1023) as usize];
        let mut sink = 0u8;
        let t = Instant::now();
        for i in 0..n {
            sink ^= black_box(hmac.mac(value(i)))[0];
        }
        let hmac_ns = t.elapsed().as_nanos() as f64 / n as f64;
        let t = Instant::now();
        for i in 0..n {
            sink ^= black_box(blake3::keyed_hash(&key, value(i))).as_bytes()[0];
        }
        let blake3_ns = t.elapsed().as_nanos() as f64 / n as f64;
        println!(
            "{len:2}-byte values: HMAC-SHA-256 {hmac_ns:.1} ns, BLAKE3 keyed {blake3_ns:.1} ns ({:.2}x) [{sink}]",
            hmac_ns / blake3_ns
        );
    }
}
