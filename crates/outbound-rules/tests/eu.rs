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

/// A Chinese exporter caught by GDPR Art. 3(2), sending to `to`.
fn art_3_2(to: &str, edit: impl FnOnce(&mut serde_json::Value)) -> outbound_rules::Evaluation {
    let f = facts("2026-11-23", |v| {
        v["exporter"]["gdpr_applies"] = true.into();
        v["transfer"]["recipient_country"] = to.into();
        edit(v);
    });
    outbound_rules::evaluate(&f).unwrap()
}

#[test]
fn art_3_2_exporter_outside_the_eea_transfers_to_third_countries() {
    // EDPB Guidelines 05/2021: subject to the GDPR, makes the data available, importer in a
    // third country. A Chinese platform under Art. 3(2) sending to the US: CN and EU judge.
    let ev = art_3_2("US", |_| {});
    let regimes: Vec<_> = ev.determinations.iter().map(|d| d.regime).collect();
    assert_eq!(regimes, vec!["CN", "EU"]);
    let d = &ev.determinations[1];
    assert_eq!(d.mechanism, "appropriate_safeguards");
    assert!(!d.satisfied);
    assert!(cites(d, "GDPR Art. 3(2)") && cites(d, "EDPB Guidelines 05/2021"));
    assert_eq!(d.reasons[0].id, "eu.art3_2_transfer");
    assert!(d.reasons[0].text.contains("China"), "{}", d.reasons[0].text);
    assert!(
        d.reasons[0].text_zh.contains("中国"),
        "{}",
        d.reasons[0].text_zh
    );
    // To a recipient in its own country: the importer is in a third country, so still a transfer.
    let ev = art_3_2("CN", |_| {});
    let regimes: Vec<_> = ev.determinations.iter().map(|d| d.regime).collect();
    assert_eq!(regimes, vec!["CN", "EU"]);
    let d = &ev.determinations[1];
    assert!(d.reasons[0].text.contains("the exporter's own country"));
    // Safeguards work the same way as for an EEA exporter.
    let ev = art_3_2("CN", |v| {
        v["transfer"]["mechanisms_in_place"] = serde_json::json!(["scc"])
    });
    assert!(ev.determinations[1].satisfied);
    // Into the EEA: no Chapter V transfer, the EU does not judge.
    for to in ["DE", "NO"] {
        let ev = art_3_2(to, |_| {});
        let regimes: Vec<_> = ev.determinations.iter().map(|d| d.regime).collect();
        assert_eq!(regimes, vec!["CN"], "{to}");
    }
    // Without Art. 3(2) a Chinese exporter to the US is China's alone.
    let ev = outbound_rules::evaluate(&facts("2026-11-23", |_| {})).unwrap();
    assert_eq!(ev.determinations.len(), 1);
    // An EEA exporter needs no gdpr_applies, and gets no Art. 3(2) reason.
    let ev = eu("2026-11-23", "CN", |_| {});
    assert!(!cites(only_eu(&ev), "GDPR Art. 3(2)"));
}

#[test]
fn dpf_adequacy_names_the_pending_appeal() {
    let certified =
        |v: &mut serde_json::Value| v["transfer"]["recipient_dpf_certified"] = true.into();
    let d = only_eu(&eu("2026-11-23", "US", certified)).clone();
    assert_eq!(d.mechanism, "adequacy");
    let o = obligation(&d, "dpf_challenge_pending").expect("the appeal is named");
    assert!(o.citation.contains("C-703/25 P"), "{}", o.citation);
    assert!(
        d.reasons
            .iter()
            .any(|r| r.id == "eu.adequacy_challenged" && r.text.contains("C-703/25 P"))
    );
    // The appeal was lodged on 2025-10-31.
    let d = only_eu(&eu("2025-10-31", "US", certified)).clone();
    assert!(
        obligation(&d, "dpf_challenge_pending")
            .unwrap()
            .citation
            .contains("C-703/25 P")
    );
    // Between the General Court's judgment (2025-09-03) and the appeal, nothing was pending.
    let d = only_eu(&eu("2025-10-30", "US", certified)).clone();
    assert!(obligation(&d, "dpf_challenge_pending").is_none());
    let d = only_eu(&eu("2025-09-03", "US", certified)).clone();
    assert!(obligation(&d, "dpf_challenge_pending").is_none());
    // Before it, the action for annulment T-553/23 was.
    let d = only_eu(&eu("2025-09-02", "US", certified)).clone();
    assert!(
        obligation(&d, "dpf_challenge_pending")
            .unwrap()
            .citation
            .contains("T-553/23")
    );
    // Not relied on (recipient not certified), not named; other decisions have none.
    let d = only_eu(&eu("2026-11-23", "US", |_| {})).clone();
    assert!(obligation(&d, "dpf_challenge_pending").is_none());
    let d = only_eu(&eu("2026-11-23", "JP", |_| {})).clone();
    assert!(
        d.obligations
            .iter()
            .all(|o| !o.id.ends_with("challenge_pending"))
    );
}

#[test]
fn adequacy_list_is_current() {
    // The UK renewal runs to 2031-12-27; Brazil from 2026-01-26.
    assert_eq!(
        only_eu(&eu("2031-12-27", "GB", |_| {})).mechanism,
        "adequacy"
    );
    assert_eq!(
        only_eu(&eu("2031-12-28", "GB", |_| {})).mechanism,
        "appropriate_safeguards"
    );
    let d = only_eu(&eu("2026-11-23", "GB", |_| {})).clone();
    assert!(cites(&d, "19 December 2025"));
    assert!(
        d.reasons
            .iter()
            .all(|r| outbound_rules::text::citation_known(&r.citation))
    );
    assert!(cites(
        only_eu(&eu("2026-01-26", "BR", |_| {})),
        "(EU) 2026/179"
    ));
}
