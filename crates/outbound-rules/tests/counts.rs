//! Counts the rules add up never wrap round (issue 15): a sum too large for
//! a u64 stays at the top, so a threshold it passes stays reached; and a facts
//! document states only counts that can exist, as one JSON document.

use outbound_model::{Taxonomy, load_sources};
use outbound_rules::assess::{CountSource, assess, facts_for_map};
use outbound_rules::{Counts, Facts};

const MAP: &str = r#"
version: 1
exporters:
  - id: e
    name: E
    country: CN
    individuals_processed: 1000
    group: g
    exported_this_year: {individuals: 10000000000, sensitive_individuals: 10000000000}
    exported_last_year: {individuals: 10000000000}
  - {id: f, name: F, country: CN, individuals_processed: 1000, group: g}
systems:
  - {id: s, name: S, exporter: e, owner: {type: person, name: Owner}}
datasets:
  - id: d
    name: D
    system: s
    fields:
      - {name: phone, category: contact.phone, subject: customer}
recipients:
  - {id: r, name: R, country: US, role: processor, contact: x@example.com}
transfers:
  - {id: t, exporter: e, recipient: r, fields: [d.phone], purpose: p, necessity: none, legal_basis: consent,
     method: api, frequency: daily, individuals_per_year: 10, retention_abroad: 1 year, storage: {country: US}}
  - {id: u, exporter: f, recipient: r, fields: [d.phone], purpose: p, necessity: none, legal_basis: consent,
     method: api, frequency: daily, individuals_per_year: 10, retention_abroad: 1 year, storage: {country: US}}
"#;

/// A ledger whose figures (tampered, or simply absurd) sit near the top of a u64.
struct Huge;

impl CountSource for Huge {
    fn exported(&self, _: &str, _: jiff::civil::Date, _: jiff::civil::Date) -> Option<Counts> {
        Some(Counts {
            individuals: u64::MAX - 15,
            sensitive_individuals: u64::MAX - 15,
        })
    }
}

fn map() -> outbound_model::DataMap {
    let l = load_sources(&[("m.yaml".into(), MAP.into())], Taxonomy::builtin());
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    l.map
}

#[test]
fn stated_plus_ledger_counts_saturate_and_the_threshold_stays_reached() {
    let m = map();
    let as_of = "2026-11-23".parse().unwrap();
    let f = &facts_for_map(&m, as_of, Some(&Huge))[0].1;
    assert_eq!(f.cumulative.current_year.individuals, u64::MAX);
    let ev = outbound_rules::evaluate(f).unwrap();
    let cn = ev.determinations.iter().find(|d| d.regime == "CN").unwrap();
    assert_eq!(cn.mechanism, "security_assessment", "{cn:#?}");
    let a = assess(&m, as_of, Some(&Huge));
    assert!(a.exporters[0].thresholds.iter().all(|t| t.reached));
    // The group's two entities, each near the top, sum to the top, not round to a small number.
    assert_eq!(a.groups[0].current_year.individuals, u64::MAX);
}

#[test]
fn stated_this_and_last_year_add_up_without_a_ledger() {
    let f = &facts_for_map(&map(), "2023-11-23".parse().unwrap(), None)[0].1;
    let two_years = f.cumulative.previous_and_current_year.unwrap();
    assert_eq!(two_years.individuals, 20_000_000_000);
}

fn design_facts() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/facts/design-example.json"
    ))
    .unwrap()
}

#[test]
fn trailing_text_after_the_facts_document_is_an_error_at_its_position() {
    let text = design_facts();
    let lines = text.trim_end().lines().count();
    let e = Facts::from_json(
        "f.json",
        &format!("{}\n{{\"as_of\": 1}}\n", text.trim_end()),
    )
    .unwrap_err();
    assert_eq!((e.line, e.column), (lines + 1, 1), "{e}");
    assert!(e.message.contains("after the facts document"), "{e}");
    // Whitespace after the document is fine.
    Facts::from_json("f.json", &format!("{text}\n\n  \n")).unwrap();
}

#[test]
fn a_count_no_population_reaches_is_an_error_naming_the_field() {
    let text = design_facts().replace(
        "\"individuals\": 50000",
        "\"individuals\": 18446744073709551600",
    );
    let e = Facts::from_json("f.json", &text).unwrap_err();
    assert_eq!(e.field, "transfer.individuals");
    assert_eq!(e.line, 14, "{e}");
    let text = design_facts().replace(
        "\"current_year\": {\"individuals\": 300000",
        "\"current_year\": {\"individuals\": 10000000001",
    );
    let e = Facts::from_json("f.json", &text).unwrap_err();
    assert_eq!(e.field, "cumulative.current_year.individuals", "{e}");
}
