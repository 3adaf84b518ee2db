//! Conflicts of laws (src/conflicts.rs), case by case: each fires exactly when
//! the two demands collide as declared, and not when one side is met.

use outbound_rules::conflicts::Conflict;
use outbound_rules::evaluate;
use outbound_rules::text::citation_known;
use serde_json::json;

use crate::common::facts;

fn conflicts(f: &outbound_rules::Facts) -> Vec<Conflict> {
    evaluate(f).expect("facts can be judged").conflicts
}

fn ids(f: &outbound_rules::Facts) -> Vec<&'static str> {
    conflicts(f).iter().map(|c| c.id).collect()
}

#[test]
fn a_us_court_asking_for_data_held_in_china_collides_until_the_approval() {
    let f = facts("2026-11-23", |v| {
        v["transfer"]["foreign_authority_request"] = json!(true);
    });
    let cs = conflicts(&f);
    assert_eq!(cs.len(), 1, "{cs:?}");
    let c = &cs[0];
    assert_eq!(c.id, "cn_approval_vs_us_compulsion");
    assert_eq!(c.regimes, ["CN", "US"]);
    assert!(c.citations.iter().any(|x| x == "PIPL Art. 41"));
    assert!(c.citations.iter().any(|x| x == "DSL Art. 36"));
    assert!(c.text_zh.contains("第41条"));
    // With the competent authority's approval, nothing collides.
    let f = facts("2026-11-23", |v| {
        v["transfer"]["foreign_authority_request"] = json!(true);
        v["transfer"]["mechanisms_in_place"] = json!(["authority_approval"]);
    });
    assert!(ids(&f).is_empty());
    // A request from an authority elsewhere than the US or the EU: no named collision.
    let f = facts("2026-11-23", |v| {
        v["transfer"]["foreign_authority_request"] = json!(true);
        v["transfer"]["recipient_country"] = json!("SG");
    });
    assert!(ids(&f).is_empty());
}

#[test]
fn an_eu_authority_asking_a_chinese_exporter_under_gdpr_art_3_2() {
    let f = facts("2026-11-23", |v| {
        v["exporter"]["gdpr_applies"] = json!(true);
        v["transfer"]["foreign_authority_request"] = json!(true);
        v["transfer"]["recipient_country"] = json!("IE");
    });
    assert_eq!(ids(&f), ["cn_approval_vs_eu_authority"]);
    // Without Art. 3(2) the GDPR does not reach the exporter.
    let f = facts("2026-11-23", |v| {
        v["transfer"]["foreign_authority_request"] = json!(true);
        v["transfer"]["recipient_country"] = json!("IE");
    });
    assert!(ids(&f).is_empty());
}

fn us_parent(
    transaction: &str,
    health: u64,
    mechanisms: serde_json::Value,
) -> outbound_rules::Facts {
    facts("2026-11-23", |v| {
        v["exporter"] = json!({"id": "acme-us", "country": "US", "ciio": false,
            "individuals_processed": 50000, "free_trade_zone": null});
        v["transfer"]["recipient_country"] = json!("CN");
        v["transfer"]["mechanisms_in_place"] = mechanisms;
        v["transfer"]["us"] = json!({
            "recipient_covered_person": true,
            "transaction": transaction,
            "bulk_12_months": {"health": health},
        });
    })
}

#[test]
fn a_us_person_giving_its_chinese_parent_access_to_bulk_health_data() {
    let f = us_parent("vendor", 10_001, json!([]));
    let cs = conflicts(&f);
    assert_eq!(
        cs.iter().map(|c| c.id).collect::<Vec<_>>(),
        ["us_bulk_access_vs_cn_state_access"]
    );
    assert_eq!(cs[0].regimes, ["CN", "US"]);
    assert!(cs[0].citations.iter().any(|x| x == "28 CFR §202.401"));
    // Restricted but with the CISA security requirements in place: met on the US side.
    assert!(
        ids(&us_parent(
            "vendor",
            10_001,
            json!(["cisa_security_requirements"])
        ))
        .is_empty()
    );
    // Below the bulk threshold (exactly 10,000 is not "more than"): not covered.
    assert!(ids(&us_parent("vendor", 10_000, json!([]))).is_empty());
    // Data brokerage is prohibited whatever is in place.
    let cs = conflicts(&us_parent(
        "data_brokerage",
        10_001,
        json!(["cisa_security_requirements"]),
    ));
    assert_eq!(cs.len(), 1);
    assert!(cs[0].citations.iter().any(|x| x == "28 CFR §202.301"));
    assert!(cs[0].text.contains("prohibits"));
}

fn ru_exporter(
    gdpr: bool,
    mechanisms: serde_json::Value,
    exception: serde_json::Value,
) -> outbound_rules::Facts {
    facts("2026-11-23", |v| {
        v["exporter"] = json!({"id": "acme-ru", "country": "RU", "ciio": false,
            "individuals_processed": 50000, "free_trade_zone": null, "gdpr_applies": gdpr});
        v["transfer"]["recipient_country"] = json!("US");
        v["transfer"]["mechanisms_in_place"] = mechanisms;
        v["transfer"]["ru"] = json!({"notice_filed": "2026-01-12", "rkn_restricted": false,
            "collected_into_russian_databases": true, "localisation_exception": exception});
    })
}

#[test]
fn russian_localisation_of_eu_targeted_data_without_a_chapter_v_route() {
    assert_eq!(
        ids(&ru_exporter(true, json!([]), json!(null))),
        ["ru_localisation_vs_eu_chapter_v"]
    );
    // SCCs in place: the EU side is met.
    assert!(ids(&ru_exporter(true, json!(["scc"]), json!(null))).is_empty());
    // An Art. 6(1) exception lifts the localisation duty.
    assert!(ids(&ru_exporter(true, json!([]), json!("art6_1_2"))).is_empty());
    // Without GDPR Art. 3(2) there is no EU determination to collide with.
    assert!(ids(&ru_exporter(false, json!([]), json!(null))).is_empty());
}

#[test]
fn every_conflict_cites_known_instruments_in_both_languages() {
    let all = [
        facts("2026-11-23", |v| {
            v["transfer"]["foreign_authority_request"] = json!(true)
        }),
        us_parent("vendor", 10_001, json!([])),
        ru_exporter(true, json!([]), json!(null)),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for f in &all {
        for c in conflicts(f) {
            for cite in &c.citations {
                assert!(
                    citation_known(cite),
                    "{}: {cite} is not a known instrument",
                    c.id
                );
            }
            assert_eq!(c.citations.len(), c.citations_zh.len());
            assert!(
                !c.text_zh.contains('{') && !c.text.contains('{'),
                "{}",
                c.id
            );
            seen.insert(c.id);
        }
    }
    assert_eq!(seen.len(), 3);
}
