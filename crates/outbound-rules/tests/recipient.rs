//! The overseas recipient's checklist: the data file (every item cited, ids
//! unique), which items apply to which recipient of the example, and where
//! each stands on a day, at the schedule's boundaries.

use std::collections::BTreeSet;

use jiff::civil::Date;
use outbound_rules::recipient::{LastAttestation, Standing, checklist, data, status};

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

fn lumen() -> outbound_model::DataMap {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lumen");
    let l = outbound_model::load_path(&root).unwrap();
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    l.map
}

#[test]
fn every_item_has_a_reference_both_languages_and_a_verdict() {
    let d = data();
    assert!(!d.obligation.is_empty());
    let mechs: BTreeSet<&str> = d.mechanism.iter().map(|m| m.id.as_str()).collect();
    for o in &d.obligation {
        assert!(!o.reference.trim().is_empty(), "{}: no reference", o.id);
        assert!(
            !o.reference_zh.trim().is_empty(),
            "{}: no Chinese reference",
            o.id
        );
        assert!(
            !o.en.trim().is_empty() && !o.zh.trim().is_empty(),
            "{}",
            o.id
        );
        assert!(
            o.status == "confirmed" || o.status == "unconfirmed",
            "{}: status {}",
            o.id,
            o.status
        );
        assert!(!o.applies.is_empty(), "{}: applies to nothing", o.id);
        for m in &o.applies {
            assert!(
                mechs.contains(m.as_str()),
                "{}: unknown mechanism {m}",
                o.id
            );
        }
        if let Some(r) = &o.role {
            assert!(r == "controller" || r == "processor", "{}: role {r}", o.id);
        }
    }
    // The standard contract's Art. 3 is there item by item, (一) to (十三).
    for i in 1..=13 {
        let id = format!("sc-3-{i}");
        let o = d.obligation(&id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(o.reference, format!("Standard contract Art. 3({i})"));
    }
    // The SCC clauses the issue names, for both modules.
    for id in [
        "scc1-8.1", "scc1-8.9", "scc1-10", "scc2-8.1", "scc2-8.9", "scc2-10", "scc-13", "scc-15.1",
    ] {
        assert!(d.obligation(id).is_some(), "{id} missing");
    }
    assert_eq!(d.schedule.months, 12, "yearly by default");
}

#[test]
fn ids_are_unique() {
    let d = data();
    let mut seen = BTreeSet::new();
    for o in &d.obligation {
        assert!(seen.insert(o.id.as_str()), "duplicate id {}", o.id);
    }
    let mut seen = BTreeSet::new();
    for m in &d.mechanism {
        assert!(seen.insert(m.id.as_str()), "duplicate mechanism {}", m.id);
    }
}

#[test]
fn the_checklist_follows_the_mechanisms_and_the_role() {
    let map = lumen();
    // lumen-inc: a standard contract (crm-to-parent) and SCC Module One (eu-to-parent), controller.
    let c = checklist(&map, "lumen-inc").unwrap();
    let ids: Vec<&str> = c.items.iter().map(|a| a.obligation.id.as_str()).collect();
    assert!(ids.contains(&"sc-3-1") && ids.contains(&"scc1-8.7") && ids.contains(&"scc-15.1"));
    assert!(!ids.iter().any(|i| i.starts_with("scc2-")), "no Module Two");
    assert!(
        !ids.contains(&"sc-3-2") && !ids.contains(&"sc-3-9"),
        "entrusted-processing items are for processors"
    );
    let sc = c
        .items
        .iter()
        .find(|a| a.obligation.id == "sc-3-1")
        .unwrap();
    assert_eq!(sc.transfers, ["crm-to-parent"]);
    assert_eq!(sc.effective, Some(date("2026-03-02")));
    let scc = c
        .items
        .iter()
        .find(|a| a.obligation.id == "scc1-8.1")
        .unwrap();
    assert_eq!(scc.transfers, ["eu-to-parent"]);
    assert_eq!(scc.effective, Some(date("2024-01-15")));

    // metricly: standard contract, processor: the entrusted-processing items apply.
    let c = checklist(&map, "metricly").unwrap();
    let ids: Vec<&str> = c.items.iter().map(|a| a.obligation.id.as_str()).collect();
    assert!(ids.contains(&"sc-3-2") && ids.contains(&"sc-3-9"));
    assert!(!ids.iter().any(|i| i.starts_with("scc")));

    // lumen-sg: certification only, no contract checklist.
    assert!(checklist(&map, "lumen-sg").unwrap().items.is_empty());
    assert!(checklist(&map, "nobody").is_none());
}

#[test]
fn scc_module_three_is_named_as_uncovered() {
    let mut map = lumen();
    let t = map
        .transfers
        .iter_mut()
        .find(|t| t.id == "eu-to-parent")
        .unwrap();
    t.mechanisms[0].module = Some(3);
    let c = checklist(&map, "lumen-inc").unwrap();
    assert!(!c.items.iter().any(|a| a.obligation.id.starts_with("scc")));
    assert_eq!(c.uncovered.len(), 1);
    assert_eq!(c.uncovered[0].mechanism, "scc module 3");
}

fn one(map: &outbound_model::DataMap, last: &[LastAttestation], on: &str) -> Standing {
    let c = checklist(map, "metricly").unwrap();
    status(&c, last, date(on))
        .into_iter()
        .find(|s| s.obligation == "sc-3-5")
        .unwrap()
        .standing
}

fn att(on: &str, not_met: bool) -> LastAttestation {
    LastAttestation {
        obligation: "sc-3-5".into(),
        on: date(on),
        not_met,
    }
}

#[test]
fn an_attestation_is_due_exactly_one_year_later() {
    let map = lumen();
    let last = [att("2026-03-10", false)];
    assert_eq!(one(&map, &last, "2026-03-10"), Standing::Current);
    // Due soon from 30 days before the due date.
    assert_eq!(one(&map, &last, "2027-02-07"), Standing::Current);
    assert_eq!(one(&map, &last, "2027-02-08"), Standing::DueSoon);
    // On the anniversary it is due, not overdue; the day after it is.
    assert_eq!(one(&map, &last, "2027-03-10"), Standing::DueSoon);
    assert_eq!(one(&map, &last, "2027-03-11"), Standing::Overdue);
    // A leap day attested is due on 28 February the next year.
    let leap = [att("2028-02-29", false)];
    assert_eq!(one(&map, &leap, "2029-02-28"), Standing::DueSoon);
    assert_eq!(one(&map, &leap, "2029-03-01"), Standing::Overdue);
}

#[test]
fn never_attested_counts_from_the_contract_taking_effect() {
    let map = lumen();
    // metricly's standard contract takes effect 2026-10-28.
    assert_eq!(one(&map, &[], "2026-11-30"), Standing::NeverAttested);
    assert_eq!(one(&map, &[], "2027-10-28"), Standing::NeverAttested);
    assert_eq!(one(&map, &[], "2027-10-29"), Standing::Overdue);
}

#[test]
fn the_latest_attestation_decides_and_not_met_comes_first() {
    let map = lumen();
    let last = [att("2026-11-01", false), att("2026-11-20", true)];
    assert_eq!(one(&map, &last, "2026-11-30"), Standing::NotMet);
    let last = [att("2026-11-01", true), att("2026-11-20", false)];
    assert_eq!(one(&map, &last, "2026-11-30"), Standing::Current);

    // The list: not met, then overdue, never attested, due soon, current.
    let c = checklist(&map, "metricly").unwrap();
    let mut last = vec![att("2026-11-20", true)];
    last.push(LastAttestation {
        obligation: "sc-3-1".into(),
        on: date("2026-11-20"),
        not_met: false,
    });
    let s = status(&c, &last, date("2026-11-30"));
    assert_eq!(s[0].obligation, "sc-3-5");
    assert_eq!(s[0].standing, Standing::NotMet);
    assert_eq!(s.last().unwrap().obligation, "sc-3-1");
    assert_eq!(s.last().unwrap().standing, Standing::Current);
    assert_eq!(s.last().unwrap().due, Some(date("2027-11-20")));
    assert!(s.windows(2).all(|w| w[0].standing <= w[1].standing));
}
