//! Incident clocks at their boundaries: the 72nd hour, 4 hours against 1 with
//! critical information infrastructure, the grade below "relatively major",
//! the day the CAC Measures took effect.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use outbound_rules::incident::{
    Clock, ClockState, Due, Grade, IncidentFacts, clocks, regimes_involved,
};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn facts(discovered: &str, grade: Grade, regimes: &[&str], ciio: bool) -> IncidentFacts {
    IncidentFacts {
        discovered_at: ts(discovered),
        grade,
        regimes: regimes.iter().map(|r| r.to_string()).collect(),
        ciio,
    }
}

fn ids(cs: &[Clock]) -> Vec<&str> {
    cs.iter().map(|c| c.id.as_str()).collect()
}

fn clock<'a>(cs: &'a [Clock], id: &str) -> &'a Clock {
    cs.iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no clock {id} in {:?}", ids(cs)))
}

fn after(c: &Clock, d: SignedDuration) -> Timestamp {
    match c.due {
        Due::At(t) => t.checked_add(d).unwrap(),
        other => panic!("{} has no fixed time: {other}", c.id),
    }
}

#[test]
fn gdpr_72nd_hour_exactly_is_met_one_second_later_is_missed() {
    let cs = clocks(&facts(
        "2026-11-23T08:00:00Z",
        Grade::General,
        &["EU"],
        false,
    ));
    let c = clock(&cs, "eu-gdpr33-authority");
    assert_eq!(c.due, Due::At(ts("2026-11-26T08:00:00Z")));
    assert_eq!(c.citation, "GDPR Art. 33(1)");
    let due = after(c, SignedDuration::ZERO);
    let late = after(c, SignedDuration::from_secs(1));
    assert_eq!(c.state(Some(due), late), ClockState::Met);
    assert_eq!(c.state(Some(late), late), ClockState::Missed);
    // Not yet sent: running up to and at the 72nd hour, missed one second after.
    assert_eq!(c.state(None, due), ClockState::Running);
    assert_eq!(c.state(None, late), ClockState::Missed);
    // Art. 34 has no fixed hours.
    let i = clock(&cs, "eu-gdpr34-individuals");
    assert_eq!(i.due, Due::WithoutUndueDelay);
    assert_eq!(i.due.to_string(), "without undue delay");
    assert_eq!(i.state(None, late), ClockState::Running);
    assert_eq!(i.state(Some(late), late), ClockState::Met);
}

#[test]
fn cac_4_hours_without_ciio_1_hour_with() {
    let at = "2026-11-23T08:00:00Z";
    let cs = clocks(&facts(at, Grade::RelativelyMajor, &["CN"], false));
    assert_eq!(
        ids(&cs),
        ["cn-pipl57-authority", "cn-pipl57-individuals", "cn-cac-4h"]
    );
    let c = clock(&cs, "cn-cac-4h");
    assert_eq!(c.due, Due::At(ts("2026-11-23T12:00:00Z")));
    assert_eq!(c.citation, "CAC Incident Reporting Measures Art. 4");
    assert!(c.to.contains("provincial"));
    assert_eq!(
        c.state(Some(ts("2026-11-23T12:00:00Z")), ts("2026-12-01T00:00:00Z")),
        ClockState::Met
    );
    assert_eq!(
        c.state(Some(ts("2026-11-23T12:00:01Z")), ts("2026-12-01T00:00:00Z")),
        ClockState::Missed
    );

    let cs = clocks(&facts(at, Grade::Major, &["CN"], true));
    assert_eq!(
        ids(&cs),
        [
            "cn-pipl57-authority",
            "cn-pipl57-individuals",
            "cn-cac-1h-ciio"
        ]
    );
    let c = clock(&cs, "cn-cac-1h-ciio");
    assert_eq!(c.due, Due::At(ts("2026-11-23T09:00:00Z")));
    assert_eq!(
        c.state(None, ts("2026-11-23T09:00:00Z")),
        ClockState::Running
    );
    assert_eq!(
        c.state(None, ts("2026-11-23T09:00:01Z")),
        ClockState::Missed
    );
}

#[test]
fn a_general_incident_has_no_cac_clock_but_pipl_57_still_runs() {
    for ciio in [false, true] {
        let cs = clocks(&facts(
            "2026-11-23T08:00:00Z",
            Grade::General,
            &["CN"],
            ciio,
        ));
        assert_eq!(ids(&cs), ["cn-pipl57-authority", "cn-pipl57-individuals"]);
        for c in &cs {
            assert_eq!(c.due, Due::Immediately);
            assert_eq!(c.due.to_string(), "immediately");
            assert_eq!(c.citation, "PIPL Art. 57");
            assert_eq!(
                c.state(None, ts("2030-01-01T00:00:00Z")),
                ClockState::Running
            );
        }
    }
}

#[test]
fn the_cac_measures_apply_from_1_november_2025_beijing_time() {
    // 2025-10-31T23:59:59+08:00: the day before.
    let cs = clocks(&facts(
        "2025-10-31T15:59:59Z",
        Grade::ParticularlyMajor,
        &["CN"],
        true,
    ));
    assert_eq!(ids(&cs), ["cn-pipl57-authority", "cn-pipl57-individuals"]);
    // 2025-11-01T00:00:00+08:00: the first day.
    let cs = clocks(&facts(
        "2025-10-31T16:00:00Z",
        Grade::ParticularlyMajor,
        &["CN"],
        true,
    ));
    assert!(ids(&cs).contains(&"cn-cac-1h-ciio"), "{:?}", ids(&cs));
}

#[test]
fn russia_24_then_72_hours_and_us_14_days() {
    let cs = clocks(&facts(
        "2026-11-23T08:00:00Z",
        Grade::General,
        &["RU", "US"],
        false,
    ));
    assert_eq!(
        ids(&cs),
        ["ru-152fz-24h", "ru-152fz-72h", "us-28cfr202-302"]
    );
    assert_eq!(
        clock(&cs, "ru-152fz-24h").due,
        Due::At(ts("2026-11-24T08:00:00Z"))
    );
    assert_eq!(
        clock(&cs, "ru-152fz-72h").due,
        Due::At(ts("2026-11-26T08:00:00Z"))
    );
    assert_eq!(
        clock(&cs, "us-28cfr202-302").due,
        Due::At(ts("2026-12-07T08:00:00Z"))
    );
    // What was not checked against a text says so.
    assert!(cs.iter().all(|c| !c.confirmed));
    // Before 152-FZ Art. 21(3.1) took effect (2022-09-01, Moscow time): no clock.
    let cs = clocks(&facts(
        "2022-08-31T20:59:59Z",
        Grade::General,
        &["RU"],
        false,
    ));
    assert!(cs.is_empty(), "{:?}", ids(&cs));
    let cs = clocks(&facts(
        "2022-08-31T21:00:00Z",
        Grade::General,
        &["RU"],
        false,
    ));
    assert_eq!(ids(&cs), ["ru-152fz-24h", "ru-152fz-72h"]);
}

#[test]
fn no_regime_no_clock() {
    assert!(clocks(&facts("2026-11-23T08:00:00Z", Grade::Major, &[], true)).is_empty());
}

#[test]
fn regimes_come_from_the_transfers_parties() {
    let r = |p: &[(&'static str, &'static str)]| regimes_involved(p.iter().copied());
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(r(&[("CN", "SG")]), set(&["CN"]));
    assert_eq!(r(&[("DE", "CN")]), set(&["CN", "EU"]));
    assert_eq!(r(&[("US", "DE")]), set(&["EU", "US"]));
    // A U.S. recipient does not make the exporter a U.S. person.
    assert_eq!(r(&[("JP", "US")]), set(&[]));
    assert_eq!(r(&[("RU", "JP"), ("NO", "SG")]), set(&["EU", "RU"]));
}

#[test]
fn grades_parse_and_order() {
    assert_eq!(
        "relatively_major".parse::<Grade>().unwrap(),
        Grade::RelativelyMajor
    );
    assert!(Grade::General < Grade::RelativelyMajor);
    assert!(Grade::Major < Grade::ParticularlyMajor);
    let e = "severe".parse::<Grade>().unwrap_err();
    assert!(e.to_string().contains("relatively_major"), "{e}");
}

#[test]
fn views_show_each_clock_running_met_or_missed() {
    let f = facts(
        "2026-11-23T08:00:00Z",
        Grade::RelativelyMajor,
        &["CN", "EU"],
        false,
    );
    let notices = [
        ("cn-cac-4h".to_string(), ts("2026-11-23T12:00:00Z")),
        (
            "eu-gdpr33-authority".to_string(),
            ts("2026-11-26T08:00:01Z"),
        ),
    ]
    .into_iter()
    .collect();
    let v = outbound_rules::incident::clock_views(&f, &notices, ts("2026-11-24T00:00:00Z"));
    let st = |id: &str| v.iter().find(|c| c.clock.id == id).unwrap().state;
    assert_eq!(st("cn-cac-4h"), ClockState::Met);
    assert_eq!(st("eu-gdpr33-authority"), ClockState::Missed);
    assert_eq!(st("cn-pipl57-authority"), ClockState::Running);
    let j = serde_json::to_value(&v).unwrap();
    let cac = j
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "cn-cac-4h")
        .unwrap();
    assert_eq!(cac["state"], "met");
    assert_eq!(cac["due"], "2026-11-23T12:00:00Z");
    let pipl = j
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "cn-pipl57-authority")
        .unwrap();
    assert_eq!(pipl["due"], "immediately");
}
