//! `assess` on a generated map of 10,000 transfers.
//!
//! Baseline, measured in the same run: parsing the same YAML text into a
//! marked tree and nothing else (`yaml_parse_only`). The ratio tells how much
//! validation and the rules add on top of merely reading the file.
//!
//! Run: `cargo bench -p outbound-rules --bench assess`

use outbound_model::{Taxonomy, load_sources};
use outbound_rules::assess::assess;

fn main() {
    divan::main();
}

/// A map with `n` transfers from 50 exporters to 200 recipients, deterministic.
fn generate(n: usize) -> String {
    let mut s = String::from("version: 1\nexporters:\n");
    for e in 0..50 {
        let country = if e % 5 == 0 { "DE" } else { "CN" };
        s += &format!(
            "  - {{id: e{e}, name: Exporter {e}, country: {country}, ciio: {}, individuals_processed: {}}}\n",
            e % 7 == 0,
            100_000 * (e + 1)
        );
    }
    s += "systems:\n";
    for e in 0..50 {
        s += &format!(
            "  - {{id: s{e}, name: S{e}, exporter: e{e}, owner: {{type: department, name: D{e}}}}}\n"
        );
    }
    s += "datasets:\n";
    for e in 0..50 {
        s += &format!(
            "  - id: d{e}\n    name: D{e}\n    system: s{e}\n    fields:\n      - {{name: id, category: online.account_id, subject: customer, subject_key: true}}\n      - {{name: phone, category: contact.phone, subject: customer}}\n      - {{name: card, category: financial.bank_account, subject: customer}}\n      - {{name: track, category: location.trajectory, subject: customer}}\n"
        );
    }
    s += "recipients:\n";
    let countries = ["US", "SG", "JP", "GB", "NL", "IN", "BR", "CH"];
    for r in 0..200 {
        s += &format!(
            "  - {{id: r{r}, name: R{r}, country: {}, role: processor, contact: r{r}@example.com, dpf_certified: {}}}\n",
            countries[r % countries.len()],
            r % 3 == 0
        );
    }
    s += "transfers:\n";
    let necessity = [
        "none",
        "none",
        "none",
        "contract_with_individual",
        "hr_management",
    ];
    for t in 0..n {
        let e = t % 50;
        let fields = if t % 4 == 0 {
            "[d{e}.*]".replace("{e}", &e.to_string())
        } else {
            format!("[d{e}.id, d{e}.phone]")
        };
        let mech = match t % 3 {
            0 => "[{type: standard_contract, effective: 2026-03-02}]",
            1 => "[{type: scc, effective: 2025-01-01}]",
            _ => "[]",
        };
        s += &format!(
            "  - {{id: t{t}, exporter: e{e}, recipient: r{}, fields: {fields}, purpose: p, necessity: {}, legal_basis: consent, method: api, frequency: daily, individuals_per_year: {}, retention_abroad: 1 year, storage: {{country: US}}, mechanisms: {mech}}}\n",
            t % 200,
            necessity[t % necessity.len()],
            (t * 7919) % 90_000,
        );
    }
    s
}

const N: usize = 10_000;

#[divan::bench]
fn yaml_parse_only(b: divan::Bencher<'_, '_>) {
    let text = generate(N);
    b.bench(|| marked_yaml::parse_yaml(0, divan::black_box(&text)).unwrap());
}

#[divan::bench]
fn load_and_validate(b: divan::Bencher<'_, '_>) {
    let sources = vec![("gen.yaml".to_string(), generate(N))];
    b.bench(|| {
        let l = load_sources(divan::black_box(&sources), Taxonomy::builtin());
        assert!(l.diagnostics.is_empty());
        l
    });
}

#[divan::bench]
fn assess_only(b: divan::Bencher<'_, '_>) {
    let l = load_sources(
        &[("gen.yaml".to_string(), generate(N))],
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
