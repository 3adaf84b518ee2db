//! China from 2024-03-22: the Provisions (CAC Order 16), Art. 3–9, case by case,
//! with every threshold at, below and above its boundary.

use crate::common::*;

const NOW: &str = "2026-11-23";

fn route(individuals: u64, sensitive: u64) -> &'static str {
    let f = facts(NOW, |v| {
        this_year(v, individuals, sensitive);
        if sensitive > 0 {
            v["transfer"]["sensitive_categories"] = serde_json::json!(["financial_account"]);
        }
    });
    det(&f, "CN").mechanism
}

#[test]
fn art_5_4_and_art_8_boundary_at_100000_individuals() {
    assert_eq!(route(99_999, 0), "exempt");
    assert_eq!(route(100_000, 0), "standard_contract_or_certification");
    assert_eq!(route(100_001, 0), "standard_contract_or_certification");
}

#[test]
fn art_7_boundary_at_1000000_individuals() {
    assert_eq!(route(999_999, 0), "standard_contract_or_certification");
    assert_eq!(route(1_000_000, 0), "security_assessment");
    assert_eq!(route(1_000_001, 0), "security_assessment");
}

#[test]
fn sensitive_any_amount_needs_contract_and_10000_needs_assessment() {
    assert_eq!(route(500, 0), "exempt");
    assert_eq!(route(500, 1), "standard_contract_or_certification");
    assert_eq!(route(50_000, 9_999), "standard_contract_or_certification");
    assert_eq!(route(50_000, 10_000), "security_assessment");
    assert_eq!(route(50_000, 10_001), "security_assessment");
}

#[test]
fn reasons_cite_the_articles() {
    let f = facts(NOW, |v| this_year(v, 99_999, 0));
    let d = det(&f, "CN");
    assert!(cites(&d, "Provisions Art. 5(4)"), "{:?}", d.reasons);
    assert_eq!(
        d.instrument,
        "Provisions on Promoting and Regulating Cross-Border Data Flows (2024)"
    );
    let f = facts(NOW, |v| this_year(v, 100_000, 0));
    assert!(cites(&det(&f, "CN"), "Provisions Art. 8"));
    let f = facts(NOW, |v| this_year(v, 1_000_000, 0));
    assert!(cites(&det(&f, "CN"), "Provisions Art. 7(2)"));
}

#[test]
fn this_transfer_alone_counts_even_if_cumulative_is_understated() {
    let f = facts(NOW, |v| {
        this_year(v, 10, 0);
        v["transfer"]["individuals"] = serde_json::json!(150_000);
    });
    assert_eq!(
        det(&f, "CN").mechanism,
        "standard_contract_or_certification"
    );
}

#[test]
fn sensitive_categories_without_counts_still_need_a_contract() {
    let f = facts(NOW, |v| {
        v["transfer"]["sensitive_categories"] = serde_json::json!(["medical_health"])
    });
    assert_eq!(
        det(&f, "CN").mechanism,
        "standard_contract_or_certification"
    );
}

#[test]
fn ciio_needs_assessment_for_any_personal_information() {
    let f = facts(NOW, |v| {
        v["exporter"]["ciio"] = true.into();
        this_year(v, 1, 0);
    });
    let d = det(&f, "CN");
    assert_eq!(d.mechanism, "security_assessment");
    assert!(cites(&d, "Provisions Art. 7(1)"));
    assert!(obligation(&d, "localisation").is_some());
}

#[test]
fn ciio_below_100000_is_not_exempt_under_art_5_4() {
    let f = facts(NOW, |v| {
        v["exporter"]["ciio"] = true.into();
        this_year(v, 99_999, 0);
    });
    assert_eq!(det(&f, "CN").mechanism, "security_assessment");
}

#[test]
fn necessity_exemptions_art_5_1_to_3_apply_whatever_the_volume_and_to_ciios() {
    for (necessity, article) in [
        ("contract_with_individual", "Provisions Art. 5(1)"),
        ("hr_management", "Provisions Art. 5(2)"),
        ("emergency", "Provisions Art. 5(3)"),
    ] {
        for ciio in [false, true] {
            let f = facts(NOW, |v| {
                v["exporter"]["ciio"] = ciio.into();
                v["transfer"]["necessity"] = necessity.into();
                v["transfer"]["sensitive_categories"] = serde_json::json!(["financial_account"]);
                this_year(v, 5_000_000, 200_000);
            });
            let d = det(&f, "CN");
            assert_eq!(d.mechanism, "exempt", "{necessity} ciio={ciio}");
            assert!(d.satisfied);
            assert!(cites(&d, article), "{necessity}: {:?}", d.reasons);
        }
    }
}

#[test]
fn statutory_duty_is_not_an_exemption() {
    let f = facts(NOW, |v| {
        v["transfer"]["necessity"] = "statutory_duty".into();
        this_year(v, 200_000, 0);
    });
    let d = det(&f, "CN");
    assert_eq!(d.mechanism, "standard_contract_or_certification");
    assert!(
        d.reasons
            .iter()
            .any(|r| r.text.contains("not an export exemption"))
    );
}

#[test]
fn important_data_needs_assessment_even_with_a_necessity_ground() {
    for necessity in ["none", "contract_with_individual", "hr_management"] {
        let f = facts(NOW, |v| {
            v["transfer"]["important_data"] = true.into();
            v["transfer"]["necessity"] = necessity.into();
        });
        let d = det(&f, "CN");
        assert_eq!(d.mechanism, "security_assessment", "{necessity}");
        assert!(obligation(&d, "important_data_risk_assessment").is_some());
    }
    // Important data without personal information.
    let f = facts(NOW, |v| {
        v["transfer"]["important_data"] = true.into();
        v["transfer"]["personal_information"] = false.into();
    });
    assert_eq!(det(&f, "CN").mechanism, "security_assessment");
}

#[test]
fn art_3_no_personal_information_no_important_data() {
    let f = facts(NOW, |v| {
        v["transfer"]["personal_information"] = false.into();
        v["exporter"]["ciio"] = true.into();
    });
    let d = det(&f, "CN");
    assert_eq!(d.mechanism, "exempt");
    assert!(cites(&d, "Provisions Art. 3"));
    assert!(
        d.obligations.is_empty(),
        "no PI, no PIPL obligations: {:?}",
        d.obligations
    );
}

#[test]
fn art_4_foreign_transit() {
    let f = facts(NOW, |v| {
        v["transfer"]["origin"] = "foreign_transit".into();
        this_year(v, 3_000_000, 0);
    });
    let d = det(&f, "CN");
    assert_eq!(d.mechanism, "exempt");
    assert!(cites(&d, "Provisions Art. 4"));
    // Not when important data is added.
    let f = facts(NOW, |v| {
        v["transfer"]["origin"] = "foreign_transit".into();
        v["transfer"]["important_data"] = true.into();
    });
    assert_eq!(det(&f, "CN").mechanism, "security_assessment");
}

#[test]
fn art_6_free_trade_zone_outside_negative_list() {
    let f = facts(NOW, |v| {
        v["exporter"]["free_trade_zone"] = "Shanghai Lin-gang".into();
        v["transfer"]["outside_ftz_negative_list"] = true.into();
        this_year(v, 3_000_000, 0);
    });
    let d = det(&f, "CN");
    assert_eq!(d.mechanism, "exempt");
    assert!(cites(&d, "Provisions Art. 6"));
    // The flag alone, without a zone, exempts nothing.
    let f = facts(NOW, |v| {
        v["transfer"]["outside_ftz_negative_list"] = true.into();
        this_year(v, 3_000_000, 0);
    });
    assert_eq!(det(&f, "CN").mechanism, "security_assessment");
    // In a zone but on the negative list (flag false): normal rules.
    let f = facts(NOW, |v| {
        v["exporter"]["free_trade_zone"] = "Shanghai Lin-gang".into();
        this_year(v, 150_000, 0);
    });
    assert_eq!(
        det(&f, "CN").mechanism,
        "standard_contract_or_certification"
    );
}

#[test]
fn satisfied_follows_the_mechanisms_in_place() {
    let sc = |mechs: serde_json::Value| {
        det(
            &facts(NOW, |v| {
                this_year(v, 200_000, 0);
                v["transfer"]["mechanisms_in_place"] = mechs;
            }),
            "CN",
        )
        .satisfied
    };
    assert!(!sc(serde_json::json!([])));
    assert!(sc(serde_json::json!(["standard_contract"])));
    assert!(sc(serde_json::json!(["certification"])));
    assert!(
        !sc(serde_json::json!(["security_assessment"])),
        "an assessment is not the route required"
    );
    assert!(
        !sc(serde_json::json!(["scc", "bcr"])),
        "EU mechanisms are ignored by CN"
    );
    let sa = |mechs: serde_json::Value| {
        det(
            &facts(NOW, |v| {
                this_year(v, 2_000_000, 0);
                v["transfer"]["mechanisms_in_place"] = mechs;
            }),
            "CN",
        )
        .satisfied
    };
    assert!(!sa(serde_json::json!([
        "standard_contract",
        "certification"
    ])));
    assert!(sa(serde_json::json!(["security_assessment"])));
    // Exempt is always satisfied.
    assert!(det(&facts(NOW, |v| this_year(v, 10, 0)), "CN").satisfied);
}

#[test]
fn design_md_example() {
    let f = facts(NOW, |v| {
        v["transfer"]["sensitive_categories"] = serde_json::json!(["financial_account"]);
        v["transfer"]["individuals"] = 50_000.into();
        v["transfer"]["sensitive_individuals"] = 800.into();
        v["transfer"]["mechanisms_in_place"] = serde_json::json!(["standard_contract"]);
        v["cumulative"]["current_year"] =
            serde_json::json!({"individuals": 300000, "sensitive_individuals": 2000});
        v["cumulative"]["previous_and_current_year"] =
            serde_json::json!({"individuals": 420000, "sensitive_individuals": 2600});
    });
    let d = det(&f, "CN");
    assert_eq!(d.mechanism, "standard_contract_or_certification");
    assert!(d.satisfied);
    let c =
        obligation(&d, "separate_consent").expect("consent is the basis when necessity is none");
    assert_eq!(c.citation, "PIPL Art. 39");
    assert_eq!(c.due, None);
}

#[test]
fn separate_consent_only_where_consent_is_the_basis() {
    let d = det(
        &facts(NOW, |v| {
            v["transfer"]["necessity"] = "contract_with_individual".into()
        }),
        "CN",
    );
    assert!(obligation(&d, "separate_consent").is_none());
    let d = det(
        &facts(NOW, |v| {
            v["transfer"]["necessity"] = "contract_with_individual".into();
            v["transfer"]["legal_basis"] = "consent".into();
        }),
        "CN",
    );
    assert!(obligation(&d, "separate_consent").is_some());
    let d = det(
        &facts(NOW, |v| v["transfer"]["legal_basis"] = "contract".into()),
        "CN",
    );
    assert!(obligation(&d, "separate_consent").is_none());
}

#[test]
fn exempt_transfers_keep_pipl_notice_and_pipia() {
    let d = det(&facts(NOW, |v| this_year(v, 10, 0)), "CN");
    assert_eq!(d.mechanism, "exempt");
    assert!(obligation(&d, "notice").is_some());
    assert_eq!(
        obligation(&d, "pipia").unwrap().citation,
        "PIPL Art. 55(1)(4), 56"
    );
}

#[test]
fn filing_due_ten_chinese_working_days_after_the_contract_takes_effect() {
    // 2026-09-30 + 10 working days: Oct 1–7 off, Sat Oct 10 a make-up working day → Oct 20.
    let d = det(
        &facts(NOW, |v| {
            this_year(v, 200_000, 0);
            v["transfer"]["mechanisms_in_place"] = serde_json::json!(["standard_contract"]);
            v["transfer"]["dates"] = serde_json::json!({"contract_effective": "2026-09-30"});
        }),
        "CN",
    );
    let f = obligation(&d, "filing").expect("filing is open");
    assert_eq!(f.due, Some("2026-10-20".parse().unwrap()));
    assert_eq!(f.citation, "Standard Contract Measures Art. 7");
    // The impact assessment is due before the contract takes effect.
    assert_eq!(
        obligation(&d, "pipia").unwrap().due,
        Some("2026-09-30".parse().unwrap())
    );
}

#[test]
fn filed_contract_has_refiling_watch_and_no_filing() {
    let d = det(
        &facts(NOW, |v| {
            this_year(v, 200_000, 0);
            v["transfer"]["mechanisms_in_place"] = serde_json::json!(["standard_contract"]);
            v["transfer"]["dates"] = serde_json::json!({"contract_effective": "2026-03-02", "contract_filed": "2026-03-10", "pipia_completed": "2026-02-20"});
        }),
        "CN",
    );
    assert!(obligation(&d, "filing").is_none());
    assert!(obligation(&d, "refiling_watch").is_some());
    assert!(obligation(&d, "pipia").is_none());
    let keep = obligation(&d, "pipia_retention").unwrap();
    assert_eq!(keep.due, Some("2029-02-20".parse().unwrap()));
    assert_eq!(keep.citation, "PIPL Art. 56");
}

#[test]
fn assessment_valid_three_years_with_renewal_window_of_60_working_days() {
    let d = det(
        &facts(NOW, |v| {
            this_year(v, 2_000_000, 0);
            v["transfer"]["mechanisms_in_place"] = serde_json::json!(["security_assessment"]);
            v["transfer"]["dates"] = serde_json::json!({"assessment_approved": "2024-06-10"});
        }),
        "CN",
    );
    assert!(d.satisfied);
    let exp = obligation(&d, "assessment_expiry").unwrap();
    assert_eq!(exp.due, Some("2027-06-09".parse().unwrap()));
    assert_eq!(exp.citation, "Provisions Art. 9");
    let renew = obligation(&d, "assessment_renewal").unwrap();
    let expected = outbound_rules::calendar::WorkingCalendar::china()
        .add_working_days("2027-06-09".parse().unwrap(), -60)
        .date;
    assert_eq!(renew.due, Some(expected));
    // 2027 has no calendar on file: the output says so.
    assert!(
        d.reasons
            .iter()
            .any(|r| r.text.contains("calendar for 2027 is not on file"))
    );
}

#[test]
fn assessment_approved_under_2022_rules_lasts_two_years_and_can_expire() {
    let d = det(
        &facts(NOW, |v| {
            this_year(v, 2_000_000, 0);
            v["transfer"]["mechanisms_in_place"] = serde_json::json!(["security_assessment"]);
            v["transfer"]["dates"] = serde_json::json!({"assessment_approved": "2023-05-01"});
        }),
        "CN",
    );
    assert!(!d.satisfied);
    assert!(
        d.reasons
            .iter()
            .any(|r| r.text.contains("expired on 2025-04-30")
                && r.citation == "Assessment Measures Art. 14")
    );
    assert!(obligation(&d, "security_assessment").is_some());
}

#[test]
fn expired_certification_does_not_satisfy() {
    let d = det(
        &facts(NOW, |v| {
            this_year(v, 200_000, 0);
            v["transfer"]["mechanisms_in_place"] = serde_json::json!(["certification"]);
            v["transfer"]["dates"] = serde_json::json!({"certification_expires": "2026-11-22"});
        }),
        "CN",
    );
    assert!(!d.satisfied);
    let d = det(
        &facts(NOW, |v| {
            this_year(v, 200_000, 0);
            v["transfer"]["mechanisms_in_place"] = serde_json::json!(["certification"]);
            v["transfer"]["dates"] = serde_json::json!({"certification_expires": "2026-11-23"});
        }),
        "CN",
    );
    assert!(d.satisfied);
    assert_eq!(
        obligation(&d, "certification_renewal").unwrap().due,
        Some("2026-05-23".parse().unwrap())
    );
}

#[test]
fn certification_measures_take_effect_2026_01_01() {
    let with_cert = |as_of: &str| {
        det(
            &facts(as_of, |v| {
                this_year(v, 200_000, 0);
                v["transfer"]["mechanisms_in_place"] = serde_json::json!(["certification"]);
            }),
            "CN",
        )
    };
    let before = with_cert("2025-12-31");
    assert!(before.satisfied);
    assert!(
        before
            .reasons
            .iter()
            .any(|r| r.text.contains("2022 implementation rules"))
    );
    let after = with_cert("2026-01-01");
    assert!(after.satisfied);
    assert!(
        !after
            .reasons
            .iter()
            .any(|r| r.text.contains("2022 implementation rules"))
    );
}

/// Facts for data requested by a foreign judicial or law enforcement authority.
fn for_foreign_authority(
    as_of: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> outbound_rules::Facts {
    facts(as_of, |v| {
        v["transfer"]["foreign_authority_request"] = true.into();
        edit(v);
    })
}

#[test]
fn pipl_41_dsl_36_foreign_authority_needs_approval() {
    let d = det(&for_foreign_authority(NOW, |_| {}), "CN");
    assert_eq!(d.mechanism, "authority_approval");
    assert!(!d.satisfied);
    assert!(cites(&d, "PIPL Art. 41") && cites(&d, "DSL Art. 36"));
    let o = obligation(&d, "authority_approval").expect("apply for approval");
    assert_eq!(o.citation, "PIPL Art. 41; DSL Art. 36");
    // The duties to individuals remain.
    assert!(obligation(&d, "notice").is_some());
    // With the approval in place.
    let d = det(
        &for_foreign_authority(NOW, |v| {
            v["transfer"]["mechanisms_in_place"] = serde_json::json!(["authority_approval"])
        }),
        "CN",
    );
    assert_eq!(d.mechanism, "authority_approval");
    assert!(d.satisfied);
    assert!(obligation(&d, "authority_approval").is_none());
    // Another mechanism is no approval.
    let d = det(
        &for_foreign_authority(NOW, |v| {
            v["transfer"]["mechanisms_in_place"] =
                serde_json::json!(["standard_contract", "security_assessment", "certification"])
        }),
        "CN",
    );
    assert!(!d.satisfied);
}

#[test]
fn foreign_authority_is_judged_before_any_exemption_or_threshold() {
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let exemptions: Vec<Edit> = vec![
        Box::new(|v| v["transfer"]["necessity"] = "contract_with_individual".into()),
        Box::new(|v| v["transfer"]["necessity"] = "emergency".into()),
        Box::new(|v| v["transfer"]["origin"] = "foreign_transit".into()),
        Box::new(|v| {
            v["exporter"]["free_trade_zone"] = "Shanghai Lin-gang".into();
            v["transfer"]["outside_ftz_negative_list"] = true.into();
        }),
        // Data outside PIPL (Provisions Art. 3) is still data under DSL Art. 36.
        Box::new(|v| v["transfer"]["personal_information"] = false.into()),
    ];
    for (i, ex) in exemptions.iter().enumerate() {
        let without = det(&facts(NOW, |v| ex(v)), "CN");
        assert_eq!(without.mechanism, "exempt", "case {i} is an exemption");
        let d = det(&for_foreign_authority(NOW, |v| ex(v)), "CN");
        assert_eq!(d.mechanism, "authority_approval", "case {i}");
        assert!(!d.satisfied, "case {i}");
    }
    // Without personal information only the DSL applies.
    let d = det(
        &for_foreign_authority(NOW, |v| {
            v["transfer"]["personal_information"] = false.into()
        }),
        "CN",
    );
    assert!(cites(&d, "DSL Art. 36") && !cites(&d, "PIPL Art. 41"));
    // Tiny and huge counts: the same route.
    for (individuals, sensitive) in [(0, 0), (1, 0), (99_999, 0), (5_000_000, 2_000_000)] {
        let d = det(
            &for_foreign_authority(NOW, |v| {
                v["transfer"]["individuals"] = individuals.into();
                v["transfer"]["sensitive_individuals"] = sensitive.into();
                this_year(v, individuals, sensitive);
            }),
            "CN",
        );
        assert_eq!(
            d.mechanism, "authority_approval",
            "{individuals}/{sensitive}"
        );
        assert!(!d.satisfied);
    }
    // A CIIO with important data: still the approval, not the assessment.
    let d = det(
        &for_foreign_authority(NOW, |v| {
            v["exporter"]["ciio"] = true.into();
            v["transfer"]["important_data"] = true.into();
        }),
        "CN",
    );
    assert_eq!(d.mechanism, "authority_approval");
    assert!(obligation(&d, "important_data_risk_assessment").is_some());
}
