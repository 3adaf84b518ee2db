//! Reviews of recipients: the schedule's boundaries, each risk criterion's
//! boundaries, the inputs read from the example map, and docs/RISK.md's
//! worked example, which must be what the code computes.

use jiff::civil::{Date, date};
use outbound_rules::risk::{
    self, AttestationCounts, FindingCounts, ReviewStanding, RiskInputs, data, first_effective,
    markdown, review_status, score,
};

fn lumen() -> outbound_model::DataMap {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lumen");
    let l = outbound_model::load_path(&root).unwrap();
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    l.map
}

fn points(s: &risk::RiskScore, id: &str) -> i64 {
    s.lines.iter().find(|l| l.criterion == id).unwrap().points
}

fn base() -> RiskInputs {
    RiskInputs {
        recipient: "r".into(),
        destination: risk::DestinationInput {
            country: "NL".into(),
            access_risk: Some(1),
            from: "test".into(),
        },
        ..RiskInputs::default()
    }
}

#[test]
fn a_review_is_due_twelve_months_on_and_overdue_the_day_after() {
    let last = date(2025, 3, 2);
    let due = date(2026, 3, 2);
    let at = |d: Date| review_status(Some(last), None, d);
    assert_eq!(at(date(2026, 1, 30)).standing, ReviewStanding::Current);
    assert_eq!(
        at(date(2026, 1, 31)).standing,
        ReviewStanding::DueSoon,
        "30 days before"
    );
    assert_eq!(
        at(due).standing,
        ReviewStanding::DueSoon,
        "the due day itself"
    );
    assert_eq!(at(due).due, Some(due));
    assert_eq!(at(date(2026, 3, 3)).standing, ReviewStanding::Overdue);
    // Never reviewed: one schedule from the first contract's effective date.
    let never = |d| review_status(None, Some(date(2026, 3, 2)), d);
    assert_eq!(
        never(date(2027, 3, 2)).standing,
        ReviewStanding::NeverReviewed
    );
    assert_eq!(never(date(2027, 3, 3)).standing, ReviewStanding::Overdue);
    let undated = review_status(None, None, date(2030, 1, 1));
    assert_eq!(
        (undated.standing, undated.due),
        (ReviewStanding::NeverReviewed, None)
    );
    // A later review counts from its own day, not the contract's.
    let reviewed = review_status(
        Some(date(2026, 6, 1)),
        Some(date(2020, 1, 1)),
        date(2027, 5, 1),
    );
    assert_eq!(reviewed.due, Some(date(2027, 6, 1)));
    assert_eq!(data().review_schedule.months, 12);
}

#[test]
fn destination_steps_and_an_unlisted_country_counts_as_the_worst() {
    for (access, want) in [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4)] {
        let mut i = base();
        i.destination.access_risk = Some(access);
        assert_eq!(points(&score(&i), "destination"), want, "access {access}");
    }
    let mut i = base();
    i.destination.access_risk = None;
    let s = score(&i);
    assert_eq!(points(&s, "destination"), 4);
    assert!(
        s.lines[0].value.contains("not listed"),
        "{}",
        s.lines[0].value
    );
}

#[test]
fn sensitivity_steps() {
    for (level, want) in [(0, 0), (1, 2), (2, 4)] {
        let mut i = base();
        i.sensitivity.level = level;
        assert_eq!(points(&score(&i), "sensitivity"), want, "level {level}");
    }
}

#[test]
fn volume_steps_at_each_threshold_and_the_larger_year_counts() {
    for (n, want) in [
        (0, 0),
        (1, 1),
        (9_999, 1),
        (10_000, 2),
        (99_999, 2),
        (100_000, 3),
        (999_999, 3),
        (1_000_000, 4),
    ] {
        let mut i = base();
        i.volume.this_year = n;
        assert_eq!(points(&score(&i), "volume"), want, "{n} individuals");
        let mut i = base();
        i.volume.last_year = n;
        assert_eq!(points(&score(&i), "volume"), want, "{n} last year");
    }
}

#[test]
fn findings_weigh_by_severity_and_state_up_to_the_cap() {
    let f = |c: FindingCounts| {
        let mut i = base();
        i.findings = c;
        points(&score(&i), "findings")
    };
    assert_eq!(f(FindingCounts::default()), 0);
    assert_eq!(
        f(FindingCounts {
            open_low: 1,
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        f(FindingCounts {
            open_medium: 1,
            ..Default::default()
        }),
        2
    );
    assert_eq!(
        f(FindingCounts {
            open_high: 1,
            ..Default::default()
        }),
        3
    );
    assert_eq!(
        f(FindingCounts {
            accepted_high: 1,
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        f(FindingCounts {
            accepted_medium: 3,
            accepted_low: 3,
            ..Default::default()
        }),
        0
    );
    assert_eq!(
        f(FindingCounts {
            fixed: 9,
            ..Default::default()
        }),
        0,
        "fixed findings do not count"
    );
    assert_eq!(
        f(FindingCounts {
            open_high: 2,
            ..Default::default()
        }),
        6,
        "at the cap"
    );
    assert_eq!(
        f(FindingCounts {
            open_high: 2,
            open_low: 1,
            ..Default::default()
        }),
        6,
        "capped"
    );
    assert_eq!(
        f(FindingCounts {
            open_high: u64::MAX,
            ..Default::default()
        }),
        6,
        "no overflow"
    );
}

#[test]
fn overdue_and_not_met_attestations_up_to_the_cap() {
    let a = |overdue, not_met| {
        let mut i = base();
        i.attestations = AttestationCounts { overdue, not_met };
        points(&score(&i), "attestations")
    };
    assert_eq!(a(0, 0), 0);
    assert_eq!(a(1, 0), 1);
    assert_eq!(a(0, 1), 2);
    assert_eq!(a(4, 0), 4);
    assert_eq!(a(5, 0), 4, "capped");
    assert_eq!(a(1, 2), 4, "capped");
}

#[test]
fn onward_recipient_steps() {
    for (n, want) in [(0, 0), (1, 1), (2, 1), (3, 2), (9, 2)] {
        let mut i = base();
        i.onward = vec!["x (IE)".into(); n];
        assert_eq!(points(&score(&i), "onward"), want, "{n} onward");
    }
}

#[test]
fn bands_change_at_their_lower_bounds() {
    let d = data();
    for (total, band) in [
        (0, "low"),
        (5, "low"),
        (6, "medium"),
        (10, "medium"),
        (11, "high"),
        (15, "high"),
        (16, "very_high"),
        (24, "very_high"),
    ] {
        assert_eq!(d.band_of(total).id, band, "{total}");
    }
    // The most a score can reach is the sum of the criteria's maxima.
    let mut i = base();
    i.destination.access_risk = None;
    i.sensitivity.level = 2;
    i.volume.this_year = 5_000_000;
    i.findings.open_high = 5;
    i.attestations.not_met = 5;
    i.onward = vec!["x".into(); 5];
    let s = score(&i);
    assert_eq!((s.total, s.max, s.band.as_str()), (24, 24, "very_high"));
}

#[test]
fn the_map_gives_country_sensitivity_onward_and_transfers() {
    let map = lumen();
    let m = RiskInputs::from_map(&map, "metricly", 2026).unwrap();
    assert_eq!(m.destination.country, "NL");
    assert_eq!(m.onward, ["Metricly Cloud Hosting Ltd (IE)"]);
    assert_eq!(m.volume.transfers, ["analytics-eu", "driver-faces"]);
    assert_eq!(m.sensitivity.level, 2, "{:?}", m.sensitivity);
    assert!(
        m.sensitivity.classes.iter().any(|c| c == "biometric"),
        "{:?}",
        m.sensitivity
    );
    assert_eq!(m.sensitivity.transfers, ["driver-faces"]);
    assert!(RiskInputs::from_map(&map, "nobody", 2026).is_none());
    assert_eq!(first_effective(&map, "metricly"), Some(date(2026, 10, 28)));
}

/// docs/RISK.md's example: metricly in the example map, with the ledger,
/// review and attestation figures the document states.
#[test]
fn the_documented_example_is_what_the_code_computes() {
    let map = lumen();
    let mut i = RiskInputs::from_map(&map, "metricly", 2026).unwrap();
    i.destination.access_risk = Some(2);
    i.destination.from = "destinations.toml".into();
    i.volume.this_year = 12_500;
    i.volume.last_year = 0;
    i.findings = FindingCounts {
        open_high: 1,
        accepted_low: 1,
        fixed: 1,
        ..Default::default()
    };
    i.attestations = AttestationCounts {
        overdue: 2,
        not_met: 0,
    };
    let s = score(&i);
    assert_eq!((s.total, s.band.as_str()), (13, "high"));
    let table = markdown(&s);
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/RISK.md"),
    )
    .unwrap();
    assert!(
        doc.contains(&table),
        "docs/RISK.md's example table is not what the code computes; it should read:\n{table}"
    );
}
