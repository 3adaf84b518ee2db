//! US: 28 CFR Part 202 and PADFA, case by case against the sections.

use outbound_rules::{Determination, evaluate};
use serde_json::{Value, json};

use crate::common::*;

/// A US exporter's transfer with a `us` block; `edit` adjusts it.
fn us(as_of: &str, edit: impl FnOnce(&mut Value)) -> Determination {
    let f = facts(as_of, |v| {
        v["exporter"]["country"] = "US".into();
        v["transfer"]["recipient_country"] = "SG".into();
        v["transfer"]["us"] = json!({
            "recipient_covered_person": false,
            "transaction": "vendor",
            "bulk_12_months": {},
            "government_related": false,
            "exemption": null,
            "onward_transfer_clause": false,
            "data_broker": false,
            "recipient_foreign_adversary_controlled": false
        });
        edit(v);
    });
    let d = det(&f, "US");
    every_reason_in_both_languages_with_a_known_citation(&d);
    d
}

fn every_reason_in_both_languages_with_a_known_citation(d: &Determination) {
    crate::common::assert_bilingual(d);
}

/// A covered recipient in China receiving `kind` for `n` U.S. persons.
fn covered(kind: &str, n: u64, tx: &str) -> Determination {
    us("2026-11-23", |v| {
        v["transfer"]["recipient_country"] = "CN".into();
        v["transfer"]["us"]["transaction"] = tx.into();
        v["transfer"]["us"]["bulk_12_months"][kind] = n.into();
    })
}

#[test]
fn no_us_block_no_us_determination() {
    let f = facts("2026-11-23", |v| v["exporter"]["country"] = "US".into());
    let ev = evaluate(&f).unwrap();
    assert!(ev.determinations.iter().all(|d| d.regime != "US"));
}

#[test]
fn a_non_us_exporter_is_judged_only_when_declared_a_us_person() {
    let f = facts("2026-11-23", |v| {
        v["transfer"]["us"] = json!({"transaction": "vendor"});
    });
    assert!(
        evaluate(&f)
            .unwrap()
            .determinations
            .iter()
            .all(|d| d.regime != "US")
    );
    let f = facts("2026-11-23", |v| {
        v["exporter"]["us_person"] = true.into();
        v["transfer"]["us"] = json!({"transaction": "vendor"});
    });
    assert_eq!(det(&f, "US").mechanism, "not_covered");
}

#[test]
fn genomic_more_than_100_is_bulk_and_prohibited() {
    // §202.205(a): more than 100; §202.303: any covered transaction with bulk 'omic data.
    let d = covered("human_genomic", 100, "vendor");
    assert_eq!(d.mechanism, "not_covered", "{:#?}", d.reasons);
    assert!(d.satisfied);
    let d = covered("human_genomic", 101, "vendor");
    assert_eq!(d.mechanism, "prohibited");
    assert!(!d.satisfied);
    assert!(cites(&d, "28 CFR §202.303") && cites(&d, "28 CFR §202.205(a)"));
}

#[test]
fn other_omic_more_than_1000_is_prohibited_too() {
    assert_eq!(
        covered("human_omic", 1000, "employment").mechanism,
        "not_covered"
    );
    let d = covered("human_omic", 1001, "employment");
    assert_eq!(d.mechanism, "prohibited");
    assert!(cites(&d, "28 CFR §202.303"));
}

#[test]
fn biometric_more_than_1000() {
    assert_eq!(
        covered("biometric", 1000, "vendor").mechanism,
        "not_covered"
    );
    let d = covered("biometric", 1001, "vendor");
    assert_eq!(d.mechanism, "restricted");
    assert!(cites(&d, "28 CFR §202.205(b)") && cites(&d, "28 CFR §202.401"));
}

#[test]
fn geolocation_more_than_1000_devices() {
    assert_eq!(
        covered("precise_geolocation_devices", 1000, "vendor").mechanism,
        "not_covered"
    );
    assert_eq!(
        covered("precise_geolocation_devices", 1001, "vendor").mechanism,
        "restricted"
    );
}

#[test]
fn health_and_financial_more_than_10000() {
    assert_eq!(covered("health", 10_000, "vendor").mechanism, "not_covered");
    assert_eq!(covered("health", 10_001, "vendor").mechanism, "restricted");
    assert_eq!(
        covered("financial", 10_000, "vendor").mechanism,
        "not_covered"
    );
    assert_eq!(
        covered("financial", 10_001, "vendor").mechanism,
        "restricted"
    );
}

#[test]
fn identifiers_more_than_100000() {
    assert_eq!(
        covered("covered_identifiers", 100_000, "vendor").mechanism,
        "not_covered"
    );
    let d = covered("covered_identifiers", 100_001, "vendor");
    assert_eq!(d.mechanism, "restricted");
    assert!(cites(&d, "28 CFR §202.205(f)"));
}

#[test]
fn government_related_data_needs_no_threshold() {
    let d = us("2026-11-23", |v| {
        v["transfer"]["recipient_country"] = "CN".into();
        v["transfer"]["us"]["government_related"] = true.into();
        v["transfer"]["us"]["bulk_12_months"]["covered_identifiers"] = 1.into();
    });
    assert_eq!(d.mechanism, "restricted");
    assert!(cites(&d, "28 CFR §202.222"));
}

#[test]
fn data_brokerage_with_a_covered_person_is_prohibited() {
    let d = covered("health", 10_001, "data_brokerage");
    assert_eq!(d.mechanism, "prohibited");
    assert!(cites(&d, "28 CFR §202.301"));
    let o = obligation(&d, "rejected_offer_report").expect("§202.1104 report");
    assert_eq!(o.citation, "28 CFR §202.1104");
    assert!(o.text.contains("14 days"));
}

#[test]
fn a_recipient_in_hong_kong_is_a_covered_person() {
    let d = us("2026-11-23", |v| {
        v["transfer"]["recipient_country"] = "HK".into();
        v["transfer"]["us"]["bulk_12_months"]["health"] = 20_000.into();
    });
    assert_eq!(d.mechanism, "restricted");
    assert!(cites(&d, "§202.208"));
    assert!(d.reasons[0].text_zh.contains("中国香港"));
}

#[test]
fn a_declared_covered_person_anywhere_counts() {
    let d = us("2026-11-23", |v| {
        v["transfer"]["us"]["recipient_covered_person"] = true.into();
        v["transfer"]["us"]["bulk_12_months"]["health"] = 20_000.into();
    });
    assert_eq!(d.mechanism, "restricted");
}

#[test]
fn passive_investment_is_not_restricted() {
    let d = covered("health", 50_000, "passive_investment");
    assert_eq!(d.mechanism, "not_covered");
    assert!(d.satisfied);
    assert!(cites(&d, "28 CFR §202.228(b)"));
    assert_eq!(
        covered("health", 50_000, "investment").mechanism,
        "restricted"
    );
    assert_eq!(covered("health", 50_000, "none").mechanism, "not_covered");
}

#[test]
fn vendor_restricted_satisfied_only_with_cisa_requirements() {
    let d = covered("health", 40_000, "vendor");
    assert_eq!(d.mechanism, "restricted");
    assert!(!d.satisfied);
    let d = us("2026-11-23", |v| {
        v["transfer"]["recipient_country"] = "CN".into();
        v["transfer"]["us"]["bulk_12_months"]["health"] = 40_000.into();
        v["transfer"]["mechanisms_in_place"] = json!(["cisa_security_requirements"]);
    });
    assert_eq!(d.mechanism, "restricted");
    assert!(d.satisfied);
    // The duties of a restricted transaction, with due dates.
    let r = obligation(&d, "records").unwrap();
    assert_eq!(r.due, Some(jiff::civil::date(2036, 11, 23)));
    assert_eq!(r.citation, "28 CFR §202.1101(a)");
    let c = obligation(&d, "compliance_programme").unwrap();
    assert_eq!(c.due, None, "already due since 2025-10-06");
    let a = obligation(&d, "audit").unwrap();
    assert_eq!(a.due, Some(jiff::civil::date(2026, 12, 31)));
    let cl = obligation(&d, "cloud_report").unwrap();
    assert_eq!(cl.due, Some(jiff::civil::date(2027, 3, 1)));
    assert_eq!(cl.citation, "28 CFR §202.1103");
}

#[test]
fn onward_transfer_clause_decides_brokerage_with_a_non_covered_foreign_person() {
    let broker = |clause: bool| {
        us("2026-11-23", |v| {
            v["transfer"]["us"]["transaction"] = "data_brokerage".into();
            v["transfer"]["us"]["onward_transfer_clause"] = clause.into();
            v["transfer"]["us"]["bulk_12_months"]["financial"] = 20_000.into();
        })
    };
    let d = broker(false);
    assert_eq!(d.mechanism, "prohibited");
    assert!(cites(&d, "28 CFR §202.302(a)"));
    let d = broker(true);
    assert_eq!(d.mechanism, "not_covered");
    assert!(d.satisfied);
    let o = obligation(&d, "onward_breach_report").expect("§202.302(b)");
    assert!(o.text.contains("14 days"));
    assert!(obligation(&d, "records").is_some());
}

#[test]
fn each_exemption_exempts_with_its_section() {
    let sections = [
        ("personal_communications", "§202.501"),
        ("informational_materials", "§202.502"),
        ("travel", "§202.503"),
        ("official_business", "§202.504"),
        ("financial_services", "§202.505"),
        ("corporate_group", "§202.506"),
        ("required_by_law", "§202.507"),
        ("investment_cfius", "§202.508"),
        ("telecommunications", "§202.509"),
        ("drug_approval", "§202.510"),
        ("clinical_investigation", "§202.511"),
    ];
    for (e, s) in sections {
        let d = us("2026-11-23", |v| {
            v["transfer"]["recipient_country"] = "CN".into();
            v["transfer"]["us"]["transaction"] = "data_brokerage".into();
            v["transfer"]["us"]["exemption"] = e.into();
            v["transfer"]["us"]["bulk_12_months"]["health"] = 20_000.into();
        });
        assert_eq!(d.mechanism, "exempt", "{e}");
        assert!(d.satisfied);
        assert!(cites(&d, s), "{e}: {:#?}", d.reasons);
        assert_eq!(
            cites(&d, "§202.506(b)"),
            e == "corporate_group",
            "only the corporate-group exemption carries the caveat"
        );
    }
}

#[test]
fn padfa_prohibits_a_data_broker_whatever_the_volume() {
    let d = us("2026-11-23", |v| {
        v["transfer"]["recipient_country"] = "RU".into();
        v["transfer"]["us"]["transaction"] = "none".into();
        v["transfer"]["us"]["data_broker"] = true.into();
        v["transfer"]["us"]["bulk_12_months"]["health"] = 1.into();
    });
    assert_eq!(d.mechanism, "prohibited");
    assert!(!d.satisfied);
    assert!(cites(&d, "15 U.S.C. §9901(a)(1)"));
    assert!(d.instrument.contains("PADFA") || d.instrument.contains("Foreign Adversaries"));
    // Controlled by a foreign adversary, anywhere.
    let d = us("2026-11-23", |v| {
        v["transfer"]["us"]["data_broker"] = true.into();
        v["transfer"]["us"]["recipient_foreign_adversary_controlled"] = true.into();
    });
    assert_eq!(d.mechanism, "prohibited");
    assert!(cites(&d, "15 U.S.C. §9901(a)(2)"));
    // Cuba is a country of concern, not a foreign adversary under PADFA.
    let d = us("2026-11-23", |v| {
        v["transfer"]["recipient_country"] = "CU".into();
        v["transfer"]["us"]["data_broker"] = true.into();
    });
    assert_eq!(d.mechanism, "not_covered");
    // Not a data broker: PADFA does not apply.
    let d = us("2026-11-23", |v| {
        v["transfer"]["recipient_country"] = "RU".into();
    });
    assert_eq!(d.mechanism, "not_covered");
}

#[test]
fn the_stricter_of_the_two_decides_and_both_are_cited() {
    // DOJ exempt (corporate group), PADFA prohibited: prohibited.
    let d = us("2026-11-23", |v| {
        v["transfer"]["recipient_country"] = "CN".into();
        v["transfer"]["us"]["exemption"] = "corporate_group".into();
        v["transfer"]["us"]["data_broker"] = true.into();
        v["transfer"]["us"]["bulk_12_months"]["health"] = 20_000.into();
    });
    assert_eq!(d.mechanism, "prohibited");
    assert!(cites(&d, "28 CFR §202.506") && cites(&d, "15 U.S.C. §9901(a)(1)"));
    let last = d.reasons.last().unwrap();
    assert_eq!(last.id, "us.strictest");
    assert!(last.text.contains("exempt") && last.text.contains("prohibited"));
    // Both prohibit: both named as the instrument.
    let d = us("2026-11-23", |v| {
        v["transfer"]["recipient_country"] = "CN".into();
        v["transfer"]["us"]["transaction"] = "data_brokerage".into();
        v["transfer"]["us"]["data_broker"] = true.into();
        v["transfer"]["us"]["bulk_12_months"]["health"] = 20_000.into();
    });
    assert!(d.instrument.contains("28 CFR Part 202") && d.instrument.contains("9901"));
}

#[test]
fn padfa_from_2024_06_23() {
    let broker = |day: &str| {
        us(day, |v| {
            v["transfer"]["recipient_country"] = "CN".into();
            v["transfer"]["us"]["data_broker"] = true.into();
        })
    };
    let d = broker("2024-06-22");
    assert_eq!(d.mechanism, "not_covered");
    assert!(d.reasons[0].text.contains("2024-06-23") && d.reasons[0].text.contains("2025-04-08"));
    assert_eq!(broker("2024-06-23").mechanism, "prohibited");
}

#[test]
fn doj_rule_from_2025_04_08() {
    let vendor = |day: &str| {
        us(day, |v| {
            v["transfer"]["recipient_country"] = "CN".into();
            v["transfer"]["us"]["bulk_12_months"]["health"] = 20_000.into();
        })
    };
    let d = vendor("2025-04-07");
    assert_eq!(d.mechanism, "not_covered");
    assert!(d.reasons.iter().any(|r| r.id == "us.doj_not_yet"));
    assert_eq!(vendor("2025-04-08").mechanism, "restricted");
}

#[test]
fn compliance_duties_from_2025_10_06() {
    let vendor = |day: &str| {
        us(day, |v| {
            v["transfer"]["recipient_country"] = "CN".into();
            v["transfer"]["us"]["bulk_12_months"]["health"] = 20_000.into();
        })
    };
    let d = vendor("2025-10-05");
    let c = obligation(&d, "compliance_programme").unwrap();
    assert_eq!(c.due, Some(jiff::civil::date(2025, 10, 6)));
    assert!(c.text.contains("2025-10-06"));
    let a = obligation(&d, "audit").unwrap();
    assert_eq!(a.due, Some(jiff::civil::date(2025, 12, 31)));
    let d = vendor("2025-10-06");
    assert_eq!(obligation(&d, "compliance_programme").unwrap().due, None);
    assert_eq!(
        obligation(&d, "cloud_report").unwrap().due,
        Some(jiff::civil::date(2026, 3, 1))
    );
}

#[test]
fn the_example_facts_file_is_a_restricted_vendor_agreement() {
    let text = include_str!("../../../examples/facts/us-vendor-health.json");
    let f = outbound_rules::Facts::from_json("us-vendor-health.json", text).unwrap();
    let d = det(&f, "US");
    assert_eq!(d.mechanism, "restricted");
    assert!(!d.satisfied);
    every_reason_in_both_languages_with_a_known_citation(&d);
}

#[test]
fn every_us_message_has_both_languages() {
    let n = outbound_rules::text::messages()
        .filter(|(id, t)| id.starts_with("us.") && !t.en.is_empty() && !t.zh.is_empty())
        .count();
    assert!(n > 30, "{n}");
}

/// A map with one US exporter and two transfers to one recipient in China.
const MAP: &str = r#"
version: 1
exporters:
  - {id: acme-us, name: Acme Inc., country: US, individuals_processed: 500000}
systems:
  - {id: crm, name: CRM, exporter: acme-us, owner: {type: department, name: IT}}
datasets:
  - id: patients
    name: Patients
    system: crm
    fields:
      - {name: email, category: contact.email, subject: customer}
      - {name: diagnosis, category: health.diagnosis, subject: customer}
      - {name: genome, category: biometric.genetic, subject: customer}
recipients:
  - {id: parent, name: Parent Co., country: CN, role: processor, contact: dpo@parent.example}
transfers:
  - id: support
    exporter: acme-us
    recipient: parent
    fields: [patients.email, patients.diagnosis]
    purpose: support
    necessity: none
    legal_basis: consent
    method: api
    frequency: daily
    individuals_per_year: 6000
    retention_abroad: 1 year
    storage: {country: CN}
    us: {transaction: vendor}
  - id: research
    exporter: acme-us
    recipient: parent
    fields: [patients.diagnosis, patients.genome]
    purpose: research
    necessity: none
    legal_basis: consent
    method: file
    frequency: monthly
    individuals_per_year: 5000
    sensitive_individuals_per_year: 50
    retention_abroad: 1 year
    storage: {country: CN}
"#;

struct Ledger;

impl outbound_rules::assess::CountSource for Ledger {
    fn exported(
        &self,
        _: &str,
        _: jiff::civil::Date,
        _: jiff::civil::Date,
    ) -> Option<outbound_rules::Counts> {
        None
    }
    fn delivered_to(
        &self,
        transfers: &[&str],
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Option<u64> {
        assert_eq!(
            (from, to),
            (
                jiff::civil::date(2025, 11, 23),
                jiff::civil::date(2026, 11, 23)
            )
        );
        // 60 people went through `research` last year; `support` carried none.
        Some(if transfers.contains(&"research") {
            60
        } else {
            0
        })
    }
}

#[test]
fn map_volumes_add_the_counterpartys_transfers_and_the_ledger() {
    let loaded = outbound_model::load_sources(
        &[("map.yaml".to_string(), MAP.to_string())],
        outbound_model::Taxonomy::builtin(),
    );
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let map = loaded.map;
    let as_of = jiff::civil::date(2026, 11, 23);
    let facts = outbound_rules::assess::facts_for_map(&map, as_of, Some(&Ledger));
    let support = &facts
        .iter()
        .find(|(_, f)| f.transfer.id == "support")
        .unwrap()
        .1;
    let us = support.transfer.us.as_ref().expect("the map's us: block");
    // health: support 6,000 + research 50 (its sensitive estimate) + ledger 60.
    assert_eq!(us.bulk_12_months.health, 6_110);
    // genomic only in research: 50 + 60; identifiers (e-mail) only in support.
    assert_eq!(us.bulk_12_months.human_genomic, 110);
    assert_eq!(us.bulk_12_months.covered_identifiers, 6_000);
    assert_eq!(support.exporter.us_person, None);
    assert!(support.exporter.is_us_person());
    // 110 genomic persons > 100: a vendor agreement giving access is prohibited (§202.303).
    let d = det(support, "US");
    assert_eq!(d.mechanism, "prohibited");
    // The transfer without a `us:` block gets no US facts.
    let research = &facts
        .iter()
        .find(|(_, f)| f.transfer.id == "research")
        .unwrap()
        .1;
    assert!(research.transfer.us.is_none());
}

/// A ledger that stops counting a window at `cap`, answering `n` (already
/// no more than `cap`) for every window.
struct Stopping {
    n: u64,
    cap: u64,
}

impl outbound_rules::assess::CountSource for Stopping {
    fn exported(
        &self,
        _: &str,
        _: jiff::civil::Date,
        _: jiff::civil::Date,
    ) -> Option<outbound_rules::Counts> {
        None
    }
    fn delivered_to(&self, _: &[&str], _: jiff::civil::Date, _: jiff::civil::Date) -> Option<u64> {
        Some(self.n)
    }
    fn delivered_counted_to(&self) -> Option<u64> {
        Some(self.cap)
    }
}

/// §202.205's largest threshold is 100,000 covered identifiers ("more than"):
/// a ledger may stop counting a window at 100,001, where every threshold is
/// passed, and a count that reached it is then said to be a lower bound.
#[test]
fn a_ledger_that_stops_counting_gives_at_least_so_many() {
    let enough = outbound_rules::regime::us::us_data().bulk_count_enough();
    assert_eq!(enough, 100_001);
    let loaded = outbound_model::load_sources(
        &[("map.yaml".to_string(), MAP.to_string())],
        outbound_model::Taxonomy::builtin(),
    );
    let as_of = jiff::civil::date(2026, 11, 23);
    let us_of = |n: u64, cap: u64| {
        let facts =
            outbound_rules::assess::facts_for_map(&loaded.map, as_of, Some(&Stopping { n, cap }));
        let f = facts
            .into_iter()
            .find(|(_, f)| f.transfer.id == "support")
            .unwrap()
            .1;
        f.transfer.us.unwrap()
    };
    // The count reached the cap: at least; one short of it: exact.
    assert!(us_of(enough, enough).bulk_at_least);
    assert!(!us_of(enough - 1, enough).bulk_at_least);
    // A source that counts everything never says "at least".
    assert!(!us_of(5_000_000, u64::MAX).bulk_at_least);

    let flagged = |n: u64, at_least: bool| {
        us("2026-11-23", |v| {
            v["transfer"]["recipient_country"] = "CN".into();
            v["transfer"]["us"]["bulk_12_months"]["covered_identifiers"] = n.into();
            v["transfer"]["us"]["bulk_12_months"]["health"] = 20_000.into();
            v["transfer"]["us"]["bulk_at_least"] = at_least.into();
        })
    };
    let text = |d: &Determination| {
        d.reasons
            .iter()
            .map(|r| format!("{} | {}", r.text, r.text_zh))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // The same decision either way; only the words change.
    let d = flagged(enough, true);
    assert_eq!(d.mechanism, "restricted");
    assert!(cites(&d, "28 CFR §202.205(f)"));
    let t = text(&d);
    assert!(t.contains("at least 100,001"), "{t}");
    assert!(t.contains("至少100,001"), "{t}");
    // Health below the cap is exact even then.
    assert!(t.contains(": 20,000 in the preceding"), "{t}");
    let t = text(&flagged(enough, false));
    assert!(!t.contains("at least") && t.contains("100,001"), "{t}");
    assert_eq!(flagged(enough, false).mechanism, "restricted");
}

#[test]
fn a_bad_us_block_is_reported_with_its_position() {
    let bad = MAP.replace(
        "us: {transaction: vendor}",
        "us: {transaction: vendors, data_brokr: true}",
    );
    let loaded = outbound_model::load_sources(
        &[("map.yaml".to_string(), bad)],
        outbound_model::Taxonomy::builtin(),
    );
    let d = &loaded.diagnostics;
    assert!(
        d.iter().any(|x| x.field == "transfers[0].us.transaction"
            && x.loc.line > 0
            && x.help.contains("vendor")),
        "{d:#?}"
    );
    assert!(
        d.iter()
            .any(|x| x.message.contains("data_brokr") && x.help.contains("data_broker")),
        "{d:#?}"
    );
    let missing = MAP.replace("us: {transaction: vendor}", "us: {data_broker: true}");
    let loaded = outbound_model::load_sources(
        &[("map.yaml".to_string(), missing)],
        outbound_model::Taxonomy::builtin(),
    );
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|x| x.field == "transfers[0].us.transaction"),
        "{:#?}",
        loaded.diagnostics
    );
}
