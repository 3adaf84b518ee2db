//! China before the 2024 Provisions: the effective dates of each instrument,
//! the previous-year window, and the Standard Contract Measures' scope (Art. 4).

use crate::common::*;

fn two_year(v: &mut serde_json::Value, current: u64, window: u64, sensitive_window: u64) {
    v["cumulative"]["current_year"] =
        serde_json::json!({"individuals": current, "sensitive_individuals": 0});
    v["cumulative"]["previous_and_current_year"] =
        serde_json::json!({"individuals": window, "sensitive_individuals": sensitive_window});
}

#[test]
fn issue_example_2023_09_01_is_standard_contract() {
    let f = facts("2023-09-01", |v| {
        v["exporter"]["individuals_processed"] = 500_000.into();
        two_year(v, 20_000, 50_000, 0);
    });
    let d = det(&f, "CN");
    assert_eq!(d.mechanism, "standard_contract_or_certification");
    assert_eq!(
        d.instrument,
        "Measures on the Standard Contract for Outbound Transfer of Personal Information (CAC Order No. 13)"
    );
    assert!(cites(&d, "Standard Contract Measures Art. 4"));
}

#[test]
fn same_facts_different_answer_on_either_side_of_2024_03_22() {
    // 150,000 exported since 1 January of the previous year, 50,000 this year.
    let mk = |as_of: &str| {
        det(
            &facts(as_of, |v| {
                v["exporter"]["individuals_processed"] = 500_000.into();
                two_year(v, 50_000, 150_000, 0);
            }),
            "CN",
        )
    };
    let before = mk("2024-03-21");
    assert_eq!(before.mechanism, "security_assessment");
    assert!(cites(&before, "Assessment Measures Art. 4(3)"));
    let after = mk("2024-03-22");
    assert_eq!(after.mechanism, "exempt");
    assert!(cites(&after, "Provisions Art. 5(4)"));
}

#[test]
fn previous_year_window_boundaries() {
    let mk = |window: u64, sensitive: u64| {
        det(
            &facts("2023-09-01", |v| {
                v["exporter"]["individuals_processed"] = 500_000.into();
                two_year(v, 0, window, sensitive);
            }),
            "CN",
        )
        .mechanism
    };
    assert_eq!(mk(99_999, 0), "standard_contract_or_certification");
    assert_eq!(mk(100_000, 0), "security_assessment");
    assert_eq!(mk(50_000, 9_999), "standard_contract_or_certification");
    assert_eq!(mk(50_000, 10_000), "security_assessment");
}

#[test]
fn processed_1000000_boundary() {
    let mk = |processed: u64| {
        det(
            &facts("2023-09-01", |v| {
                v["exporter"]["individuals_processed"] = processed.into();
                two_year(v, 0, 10, 0);
            }),
            "CN",
        )
    };
    assert_eq!(mk(999_999).mechanism, "standard_contract_or_certification");
    let d = mk(1_000_000);
    assert_eq!(d.mechanism, "security_assessment");
    assert!(cites(&d, "Assessment Measures Art. 4(2)"));
    // The 2024 Provisions dropped the processed-volume trigger.
    let d = det(
        &facts("2026-11-23", |v| {
            v["exporter"]["individuals_processed"] = 50_000_000.into();
            this_year(v, 10, 0);
        }),
        "CN",
    );
    assert_eq!(d.mechanism, "exempt");
}

#[test]
fn no_exemptions_before_2024() {
    for edit in [
        |v: &mut serde_json::Value| v["transfer"]["necessity"] = "contract_with_individual".into(),
        |v: &mut serde_json::Value| v["transfer"]["origin"] = "foreign_transit".into(),
    ] {
        let d = det(
            &facts("2024-03-21", |v| {
                v["exporter"]["individuals_processed"] = 500_000.into();
                two_year(v, 10, 10, 0);
                edit(v);
            }),
            "CN",
        );
        assert_eq!(d.mechanism, "standard_contract_or_certification");
        assert!(d.reasons.iter().any(|r| r.text.contains("no exemptions")));
    }
}

#[test]
fn ciio_and_important_data_in_2023() {
    let d = det(
        &facts("2023-09-01", |v| {
            v["exporter"]["ciio"] = true.into();
            two_year(v, 1, 1, 0);
        }),
        "CN",
    );
    assert_eq!(d.mechanism, "security_assessment");
    assert!(cites(&d, "Assessment Measures Art. 4(2)"));
    let d = det(
        &facts("2023-09-01", |v| {
            v["transfer"]["important_data"] = true.into();
            v["exporter"]["individuals_processed"] = 10.into();
            two_year(v, 1, 1, 0);
        }),
        "CN",
    );
    assert_eq!(d.mechanism, "security_assessment");
    assert!(cites(&d, "Assessment Measures Art. 4(1)"));
}

#[test]
fn window_is_required_before_2024() {
    let f = facts("2023-09-01", |v| {
        v["exporter"]["individuals_processed"] = 500_000.into();
        v["cumulative"] =
            serde_json::json!({"current_year": {"individuals": 1, "sensitive_individuals": 0}});
    });
    let err = outbound_rules::evaluate(&f).unwrap_err();
    assert!(err.message.contains("previous_and_current_year"), "{err}");
    // …but not after, where only the current year counts.
    let f = facts("2024-03-22", |v| {
        v["cumulative"] =
            serde_json::json!({"current_year": {"individuals": 1, "sensitive_individuals": 0}});
    });
    assert!(outbound_rules::evaluate(&f).is_ok());
}

#[test]
fn standard_contract_measures_take_effect_2023_06_01() {
    let mk = |as_of: &str| {
        det(
            &facts(as_of, |v| {
                v["exporter"]["individuals_processed"] = 500_000.into();
                two_year(v, 1, 1, 0);
            }),
            "CN",
        )
    };
    let before = mk("2023-05-31");
    assert_eq!(before.mechanism, "standard_contract_or_certification");
    assert!(
        before
            .reasons
            .iter()
            .any(|r| r.text.contains("not yet in force"))
    );
    assert_eq!(
        before.instrument,
        "Measures for Security Assessment of Outbound Data Transfers (CAC Order No. 11)"
    );
    let after = mk("2023-06-01");
    assert_eq!(
        after.instrument,
        "Measures on the Standard Contract for Outbound Transfer of Personal Information (CAC Order No. 13)"
    );
    // Six months to put a contract in place for existing transfers (Art. 13).
    let o = obligation(&after, "standard_contract").unwrap();
    assert_eq!(o.due, Some("2023-11-30".parse().unwrap()));
    assert_eq!(o.citation, "Standard Contract Measures Art. 13");
    assert_eq!(
        obligation(&mk("2023-12-01"), "standard_contract")
            .unwrap()
            .due,
        None
    );
}

#[test]
fn assessment_measures_take_effect_2022_09_01() {
    let mk = |as_of: &str| {
        det(
            &facts(as_of, |v| {
                v["exporter"]["individuals_processed"] = 2_000_000.into();
                two_year(v, 1, 1, 0);
            }),
            "CN",
        )
    };
    // Before: a large processor that is not a CIIO had no assessment trigger yet.
    let before = mk("2022-08-31");
    assert_eq!(before.mechanism, "standard_contract_or_certification");
    assert_eq!(
        before.instrument,
        "Personal Information Protection Law (2021)"
    );
    let after = mk("2022-09-01");
    assert_eq!(after.mechanism, "security_assessment");
    assert_eq!(
        obligation(&after, "security_assessment").unwrap().due,
        Some("2023-02-28".parse().unwrap())
    );
}

#[test]
fn pipl_takes_effect_2021_11_01() {
    let f = facts("2021-10-31", |v| two_year(v, 1, 1, 0));
    assert!(outbound_rules::evaluate(&f).is_err());
    let f = facts("2021-11-01", |v| {
        v["exporter"]["ciio"] = true.into();
        two_year(v, 1, 1, 0);
    });
    let d = det(&f, "CN");
    assert_eq!(d.mechanism, "security_assessment");
    assert!(cites(&d, "PIPL Art. 40"));
}

#[test]
fn foreign_authority_from_the_dsl_2021_09_01_and_the_pipl_2021_11_01() {
    let f = |as_of: &str| {
        facts(as_of, |v| {
            v["transfer"]["foreign_authority_request"] = true.into();
        })
    };
    // The day before the DSL took effect: nothing to judge.
    let err = outbound_rules::evaluate(&f("2021-08-31")).unwrap_err();
    assert!(err.to_string().contains("2021-09-01"), "{err}");
    // DSL Art. 36 alone, before the PIPL (which alone would be an error then).
    let d = det(&f("2021-09-01"), "CN");
    assert_eq!(d.mechanism, "authority_approval");
    assert!(cites(&d, "DSL Art. 36") && !cites(&d, "PIPL Art. 41"));
    assert!(d.instrument.starts_with("Data Security Law"));
    assert!(obligation(&d, "notice").is_none());
    let d = det(&f("2021-10-31"), "CN");
    assert!(!cites(&d, "PIPL Art. 41"));
    // From the PIPL: both.
    let d = det(&f("2021-11-01"), "CN");
    assert!(cites(&d, "PIPL Art. 41") && cites(&d, "DSL Art. 36"));
    assert!(
        d.instrument
            .starts_with("Personal Information Protection Law")
    );
    assert!(obligation(&d, "notice").is_some());
    // Without a request, before the PIPL is still an error.
    assert!(outbound_rules::evaluate(&facts("2021-10-31", |_| {})).is_err());
}
