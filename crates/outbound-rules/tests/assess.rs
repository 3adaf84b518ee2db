//! From a data map to facts: which fields make a transfer sensitive, how an
//! exporter's transfers add up, which mechanisms count as in place.

use outbound_model::{SensitiveClass, Taxonomy, load_sources};
use outbound_rules::assess::{assess, facts_for_map};

const BASE: &str = r#"
version: 1
sensitivity_profile: PROFILE
exporters:
  - {id: e, name: E, country: CN, ciio: false, individuals_processed: 1000000}
systems:
  - {id: s, name: S, exporter: e, owner: {type: person, name: Owner}}
datasets:
  - id: d
    name: D
    system: s
    fields:
      - {name: id_no, category: identity.national_id, subject: customer}
      - {name: phone, category: contact.phone, subject: customer}
      - {name: card, category: financial.bank_account, subject: customer}
      - {name: kid, category: identity.name, subject: child_under_14}
      - {name: uscc, category: organisation.uscc, subject: business_contact}
recipients:
  - {id: r, name: R, country: US, role: processor, contact: x@example.com}
transfers:
"#;

fn transfer(id: &str, fields: &str, individuals: u64, extra: &str) -> String {
    format!(
        "  - {{id: {id}, exporter: e, recipient: r, fields: [{fields}], purpose: p, necessity: none, legal_basis: consent, \
         method: api, frequency: daily, individuals_per_year: {individuals}, retention_abroad: 1 year, storage: {{country: US}}{extra}}}\n"
    )
}

fn map(profile: &str, transfers: &[String]) -> outbound_model::DataMap {
    let text = BASE.replace("PROFILE", profile) + &transfers.concat();
    let l = load_sources(&[("m.yaml".into(), text)], Taxonomy::builtin());
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    l.map
}

fn date(s: &str) -> jiff::civil::Date {
    s.parse().unwrap()
}

#[test]
fn sensitivity_depends_on_the_profile() {
    let m = map("standard", &[transfer("t", "d.id_no, d.phone", 10, "")]);
    let f = &facts_for_map(&m, date("2026-11-23"), None)[0].1;
    assert!(
        f.transfer.sensitive_categories.is_empty(),
        "GB/T 45574-2025: the ID number alone is not sensitive"
    );
    assert_eq!(f.transfer.sensitive_individuals, 0);
    let m = map("conservative", &[transfer("t", "d.id_no, d.phone", 10, "")]);
    let f = &facts_for_map(&m, date("2026-11-23"), None)[0].1;
    assert_eq!(
        f.transfer.sensitive_categories,
        vec![SensitiveClass::SpecificIdentity]
    );
    assert_eq!(
        f.transfer.sensitive_individuals, 10,
        "every individual counts as sensitive unless an estimate is given"
    );
}

#[test]
fn children_under_14_make_any_field_sensitive() {
    let m = map("standard", &[transfer("t", "d.kid", 10, "")]);
    let f = &facts_for_map(&m, date("2026-11-23"), None)[0].1;
    assert_eq!(
        f.transfer.sensitive_categories,
        vec![SensitiveClass::MinorUnder14]
    );
}

#[test]
fn organisation_data_is_not_personal_information() {
    let m = map("standard", &[transfer("t", "d.uscc", 10, "")]);
    let a = assess(&m, date("2026-11-23"), None);
    assert!(!a.transfers[0].facts.transfer.personal_information);
    assert_eq!(a.transfers[0].determinations[0].mechanism, "exempt");
}

#[test]
fn an_exporters_transfers_add_up_against_the_thresholds() {
    // Two transfers of 60,000 each: each alone is below 100,000, together they are not.
    let m = map(
        "standard",
        &[
            transfer("a", "d.phone", 60_000, ""),
            transfer("b", "d.phone", 60_000, ""),
        ],
    );
    let a = assess(&m, date("2026-11-23"), None);
    for t in &a.transfers {
        assert_eq!(t.facts.cumulative.current_year.individuals, 120_000);
        assert_eq!(
            t.determinations[0].mechanism, "standard_contract_or_certification",
            "{}",
            t.transfer
        );
    }
    let lines = &a.exporters[0].thresholds;
    assert_eq!(
        lines[0].text,
        "120,000 of 100,000 individuals (standard_contract_or_certification, Provisions Art. 8)"
    );
    assert!(lines[0].reached);
}

#[test]
fn foreign_transit_does_not_count_towards_thresholds() {
    let m = map(
        "standard",
        &[
            transfer("a", "d.phone", 60_000, ""),
            transfer("b", "d.phone", 60_000, ", origin: foreign_transit"),
        ],
    );
    let a = assess(&m, date("2026-11-23"), None);
    assert_eq!(
        a.transfers[0].facts.cumulative.current_year.individuals,
        60_000
    );
    assert_eq!(a.transfers[0].determinations[0].mechanism, "exempt");
}

#[test]
fn stated_figures_win_when_larger() {
    let text = BASE.replace("PROFILE", "standard").replace(
        "individuals_processed: 1000000}",
        "individuals_processed: 1000000, exported_this_year: {individuals: 150000, sensitive_individuals: 0}}",
    ) + &transfer("a", "d.phone", 10, "");
    let l = load_sources(&[("m.yaml".into(), text)], Taxonomy::builtin());
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let a = assess(&l.map, date("2026-11-23"), None);
    assert_eq!(
        a.transfers[0].facts.cumulative.current_year.individuals,
        150_000
    );
    assert_eq!(
        a.transfers[0].determinations[0].mechanism,
        "standard_contract_or_certification"
    );
}

#[test]
fn a_contract_counts_only_once_it_takes_effect() {
    let t = transfer(
        "a",
        "d.phone",
        200_000,
        ", mechanisms: [{type: standard_contract, effective: 2026-12-01}]",
    );
    let m = map("standard", &[t]);
    let before = assess(&m, date("2026-11-30"), None);
    assert!(!before.transfers[0].determinations[0].satisfied);
    let after = assess(&m, date("2026-12-01"), None);
    assert!(after.transfers[0].determinations[0].satisfied);
}

#[test]
fn the_bundled_example_exercises_every_branch() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lumen");
    let l = outbound_model::load_path(&root).unwrap();
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    let a = assess(&l.map, date("2026-11-23"), None);
    let got: std::collections::BTreeSet<(&str, &str, bool)> = a
        .transfers
        .iter()
        .flat_map(|t| {
            t.determinations
                .iter()
                .map(|d| (d.regime, d.mechanism, d.satisfied))
        })
        .collect();
    for want in [
        ("CN", "exempt", true),
        ("CN", "standard_contract_or_certification", true),
        ("CN", "security_assessment", true),
        ("CN", "security_assessment", false),
        ("EU", "adequacy", true),
        ("EU", "appropriate_safeguards", true),
        ("EU", "appropriate_safeguards", false),
    ] {
        assert!(got.contains(&want), "missing {want:?} in {got:?}");
    }
    let overdue_filing = a.transfers.iter().any(|t| {
        t.determinations.iter().any(|d| {
            d.obligations
                .iter()
                .any(|o| o.id == "filing" && o.due.is_some_and(|d| d < a.as_of))
        })
    });
    assert!(
        overdue_filing,
        "the example has a transfer missing its filing"
    );
}

#[test]
fn group_total_warns_against_splitting() {
    let text = r#"
version: 1
exporters:
  - {id: a, name: A, country: CN, ciio: false, individuals_processed: 1, group: g}
  - {id: b, name: B, country: CN, ciio: false, individuals_processed: 1, group: g}
systems:
  - {id: s, name: S, exporter: a, owner: {type: person, name: O}}
datasets:
  - {id: d, name: D, system: s, fields: [{name: p, category: contact.phone, subject: customer}]}
recipients:
  - {id: r, name: R, country: US, role: processor, contact: x}
transfers:
  - {id: ta, exporter: a, recipient: r, fields: [d.p], purpose: p, necessity: none, legal_basis: consent, method: api, frequency: daily, individuals_per_year: 60000, retention_abroad: 1y, storage: {country: US}}
  - {id: tb, exporter: b, recipient: r, fields: [d.p], purpose: p, necessity: none, legal_basis: consent, method: api, frequency: daily, individuals_per_year: 60000, retention_abroad: 1y, storage: {country: US}}
"#;
    let l = load_sources(&[("m.yaml".into(), text.into())], Taxonomy::builtin());
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let a = assess(&l.map, date("2026-11-23"), None);
    assert_eq!(a.groups.len(), 1);
    assert_eq!(a.groups[0].current_year.individuals, 120_000);
    let w = a.groups[0]
        .warning
        .as_deref()
        .expect("the group crosses 100,000, no entity does");
    assert!(
        w.contains("120,000") && w.contains("Standard Contract Measures Art. 4"),
        "{w}"
    );
    // Each entity alone stays exempt under Art. 5(4): the warning does not change the determinations.
    assert!(
        a.transfers
            .iter()
            .all(|t| t.determinations[0].mechanism == "exempt")
    );
}
