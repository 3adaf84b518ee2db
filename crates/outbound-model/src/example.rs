//! The bundled example map (`examples/lumen`, Lumen Group), embedded so that
//! the demo and the tests read the same texts from any directory.

/// The example's files as (path from the repository root, content), in load order.
pub const LUMEN: &[(&str, &str)] = &[
    (
        "examples/lumen/00-company.yaml",
        include_str!("../../../examples/lumen/00-company.yaml"),
    ),
    (
        "examples/lumen/10-systems.yaml",
        include_str!("../../../examples/lumen/10-systems.yaml"),
    ),
    (
        "examples/lumen/20-recipients.yaml",
        include_str!("../../../examples/lumen/20-recipients.yaml"),
    ),
    (
        "examples/lumen/30-transfers-cn.yaml",
        include_str!("../../../examples/lumen/30-transfers-cn.yaml"),
    ),
    (
        "examples/lumen/40-transfers-eu.yaml",
        include_str!("../../../examples/lumen/40-transfers-eu.yaml"),
    ),
    (
        "examples/lumen/50-us-branch.yaml",
        include_str!("../../../examples/lumen/50-us-branch.yaml"),
    ),
];

/// The example as [`load_sources`](crate::load_sources) takes it.
pub fn lumen_sources() -> Vec<(String, String)> {
    LUMEN
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect()
}

/// A synthetic map with `n` transfers from 50 exporters to 200 recipients,
/// deterministic: the benchmarks' and the server's load test's input
/// (`cargo run -p outbound-model --example generated-map -- 10000`).
pub fn generated_map(n: usize) -> String {
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_generated_map_is_valid_and_has_what_was_asked() {
        let l = crate::load_sources(
            &[("gen.yaml".to_string(), super::generated_map(120))],
            crate::Taxonomy::builtin(),
        );
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics.first());
        assert_eq!(l.map.transfers.len(), 120);
        assert_eq!(l.map.recipients.len(), 200);
    }
}
