//! EU: GDPR Chapter V, case by case.

use crate::common::*;

fn eu(
    as_of: &str,
    to: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> outbound_rules::Evaluation {
    let f = facts(as_of, |v| {
        v["exporter"]["country"] = "DE".into();
        v["transfer"]["recipient_country"] = to.into();
        edit(v);
    });
    outbound_rules::evaluate(&f).unwrap()
}

fn only_eu(ev: &outbound_rules::Evaluation) -> &outbound_rules::Determination {
    assert_eq!(ev.determinations.len(), 1, "{:?}", ev.determinations);
    assert_eq!(ev.determinations[0].regime, "EU");
    &ev.determinations[0]
}

#[test]
fn adequate_country() {
    let ev = eu("2026-11-23", "JP", |_| {});
    let d = only_eu(&ev);
    assert_eq!(d.mechanism, "adequacy");
    assert!(d.satisfied);
    assert!(cites(d, "GDPR Art. 45(1)") && cites(d, "2019/419"));
}

#[test]
fn united_states_only_with_dpf() {
    let ev = eu("2026-11-23", "US", |v| {
        v["transfer"]["recipient_dpf_certified"] = true.into()
    });
    let d = only_eu(&ev);
    assert_eq!(d.mechanism, "adequacy");
    assert!(obligation(d, "verify_dpf_certification").is_some());
    let ev = eu("2026-11-23", "US", |_| {});
    let d = only_eu(&ev);
    assert_eq!(d.mechanism, "appropriate_safeguards");
    assert!(!d.satisfied);
    // DPF decision adopted 2023-07-10.
    let ev = eu("2023-07-09", "US", |v| {
        v["transfer"]["recipient_dpf_certified"] = true.into()
    });
    assert_eq!(only_eu(&ev).mechanism, "appropriate_safeguards");
    let ev = eu("2023-07-10", "US", |v| {
        v["transfer"]["recipient_dpf_certified"] = true.into()
    });
    assert_eq!(only_eu(&ev).mechanism, "adequacy");
}

#[test]
fn china_with_and_without_sccs() {
    let ev = eu("2026-11-23", "CN", |v| {
        v["transfer"]["mechanisms_in_place"] = serde_json::json!(["scc"])
    });
    let d = only_eu(&ev);
    assert_eq!(d.mechanism, "appropriate_safeguards");
    assert!(d.satisfied);
    assert!(cites(d, "GDPR Art. 46(2)(c)"));
    assert!(
        obligation(d, "transfer_impact_assessment").is_some(),
        "SCCs come with a TIA"
    );
    let ev = eu("2026-11-23", "CN", |v| {
        v["transfer"]["mechanisms_in_place"] = serde_json::json!(["scc"]);
        v["transfer"]["dates"] = serde_json::json!({"tia_completed": "2026-01-10"});
    });
    assert!(obligation(only_eu(&ev), "transfer_impact_assessment").is_none());
    let ev = eu("2026-11-23", "CN", |_| {});
    let d = only_eu(&ev);
    assert_eq!(d.mechanism, "appropriate_safeguards");
    assert!(!d.satisfied);
    // China's own mechanisms do not count for the EU.
    let ev = eu("2026-11-23", "CN", |v| {
        v["transfer"]["mechanisms_in_place"] = serde_json::json!(["standard_contract"])
    });
    assert!(!only_eu(&ev).satisfied);
}

#[test]
fn bcrs_are_safeguards() {
    let ev = eu("2026-11-23", "IN", |v| {
        v["transfer"]["mechanisms_in_place"] = serde_json::json!(["bcr"])
    });
    let d = only_eu(&ev);
    assert_eq!((d.mechanism, d.satisfied), ("appropriate_safeguards", true));
    assert!(cites(d, "GDPR Art. 46(2)(b), 47"));
}

#[test]
fn derogations_only_without_safeguards() {
    let ev = eu("2026-11-23", "CN", |v| {
        v["transfer"]["derogation"] = "explicit_consent".into()
    });
    let d = only_eu(&ev);
    assert_eq!((d.mechanism, d.satisfied), ("derogation", true));
    assert!(cites(d, "GDPR Art. 49(1)(a)"));
    assert!(obligation(d, "inform_of_risks").is_some());
    let ev = eu("2026-11-23", "CN", |v| {
        v["transfer"]["derogation"] = "compelling_legitimate_interests".into()
    });
    let d = only_eu(&ev);
    assert!(
        obligation(d, "notify_authority").is_some()
            && obligation(d, "document_assessment").is_some()
    );
    // SCCs in place take precedence over a declared derogation.
    let ev = eu("2026-11-23", "CN", |v| {
        v["transfer"]["derogation"] = "contract".into();
        v["transfer"]["mechanisms_in_place"] = serde_json::json!(["scc"]);
    });
    assert_eq!(only_eu(&ev).mechanism, "appropriate_safeguards");
    // Adequacy takes precedence over all.
    let ev = eu("2026-11-23", "CH", |v| {
        v["transfer"]["derogation"] = "contract".into()
    });
    assert_eq!(only_eu(&ev).mechanism, "adequacy");
}

#[test]
fn inside_the_eea_there_is_no_eu_determination() {
    for to in ["FR", "NO", "IS", "LI"] {
        let ev = eu("2026-11-23", to, |_| {});
        assert!(ev.determinations.is_empty(), "{to}");
    }
}

#[test]
fn uk_adequacy_dates() {
    assert_eq!(
        only_eu(&eu("2021-06-27", "GB", |_| {})).mechanism,
        "appropriate_safeguards"
    );
    assert_eq!(
        only_eu(&eu("2021-06-28", "GB", |_| {})).mechanism,
        "adequacy"
    );
    assert_eq!(
        only_eu(&eu("2025-12-27", "GB", |_| {})).mechanism,
        "adequacy"
    );
    assert_eq!(
        only_eu(&eu("2026-11-23", "GB", |_| {})).mechanism,
        "adequacy"
    );
}

#[test]
fn brazil_from_its_decision() {
    let d = crate::common::det(
        &facts("2026-01-25", |v| {
            v["exporter"]["country"] = "DE".into();
            v["transfer"]["recipient_country"] = "BR".into();
        }),
        "EU",
    );
    assert_eq!(d.mechanism, "appropriate_safeguards");
    assert_eq!(
        only_eu(&eu("2026-01-26", "BR", |_| {})).mechanism,
        "adequacy"
    );
}

#[test]
fn gdpr_applies_from_2018_05_25() {
    let f = facts("2018-05-24", |v| {
        v["exporter"]["country"] = "DE".into();
        v["transfer"]["recipient_country"] = "CN".into();
    });
    assert!(outbound_rules::evaluate(&f).is_err());
    assert_eq!(
        only_eu(&eu("2018-05-25", "CN", |_| {})).mechanism,
        "appropriate_safeguards"
    );
}

#[test]
fn regimes_follow_the_exporters_country() {
    // A Chinese exporter to the Netherlands: only China judges.
    let f = facts("2026-11-23", |v| {
        v["transfer"]["recipient_country"] = "NL".into()
    });
    let ev = outbound_rules::evaluate(&f).unwrap();
    assert_eq!(
        ev.determinations
            .iter()
            .map(|d| d.regime)
            .collect::<Vec<_>>(),
        vec!["CN"]
    );
    // A US exporter to anywhere: no regime encoded yet.
    let f = facts("2026-11-23", |v| v["exporter"]["country"] = "US".into());
    assert!(
        outbound_rules::evaluate(&f)
            .unwrap()
            .determinations
            .is_empty()
    );
}
