//! `assess` on a generated map of 10,000 transfers.
//!
//! Baseline, measured in the same run: parsing the same YAML text into a
//! marked tree and nothing else (`yaml_parse_only`). The ratio tells how much
//! validation and the rules add on top of merely reading the file.
//!
//! Run: `cargo bench -p outbound-rules --bench assess`

use outbound_model::example::generated_map;
use outbound_model::{Taxonomy, load_sources};
use outbound_rules::assess::assess;

fn main() {
    divan::main();
}

const N: usize = 10_000;

#[divan::bench]
fn yaml_parse_only(b: divan::Bencher<'_, '_>) {
    let text = generated_map(N);
    b.bench(|| marked_yaml::parse_yaml(0, divan::black_box(&text)).unwrap());
}

#[divan::bench]
fn load_and_validate(b: divan::Bencher<'_, '_>) {
    let sources = vec![("gen.yaml".to_string(), generated_map(N))];
    b.bench(|| {
        let l = load_sources(divan::black_box(&sources), Taxonomy::builtin());
        assert!(l.diagnostics.is_empty());
        l
    });
}

#[divan::bench]
fn assess_only(b: divan::Bencher<'_, '_>) {
    let l = load_sources(
        &[("gen.yaml".to_string(), generated_map(N))],
        Taxonomy::builtin(),
    );
    assert!(
        l.diagnostics.is_empty(),
        "{:?}",
        &l.diagnostics[..l.diagnostics.len().min(3)]
    );
    let as_of = "2026-11-23".parse().unwrap();
    b.bench(|| assess(divan::black_box(&l.map), as_of, None));
}

/// The map's content digest, which every gate run computes for its batch's
/// audit entry (`batch` v2): its JSON streamed into SHA-256.
#[divan::bench]
fn content_sha256(b: divan::Bencher<'_, '_>) {
    let map = generated_loaded();
    b.bench(|| divan::black_box(&map).content_sha256());
}

/// Baseline for `content_sha256`: the same JSON written whole, then hashed
/// (the first version; the same digest, megabytes held).
#[divan::bench]
fn json_then_sha256(b: divan::Bencher<'_, '_>) {
    use sha2::Digest as _;
    let map = generated_loaded();
    b.bench(|| sha2::Sha256::digest(serde_json::to_vec(divan::black_box(&map)).unwrap()));
}

fn generated_loaded() -> outbound_model::DataMap {
    let l = load_sources(
        &[("gen.yaml".to_string(), generated_map(N))],
        Taxonomy::builtin(),
    );
    assert!(l.diagnostics.is_empty());
    l.map
}
