//! RU: 152-FZ Art. 12 (as amended by 266-FZ, from 2023-03-01) and Art. 18(5),
//! case by case against the articles, with the Russian production calendar.

use std::collections::BTreeSet;

use jiff::civil::date;
use outbound_rules::{Determination, evaluate, text};
use serde_json::{Value, json};

use crate::common::*;

const NOW: &str = "2026-11-23";

/// A Russian exporter's transfer to `country` with a `ru` block (notice filed
/// 2026-03-02, data collected in Russia); `edit` adjusts it.
fn ru_facts(as_of: &str, country: &str, edit: impl FnOnce(&mut Value)) -> outbound_rules::Facts {
    facts(as_of, |v| {
        v["exporter"]["country"] = "RU".into();
        v["transfer"]["recipient_country"] = country.into();
        v["transfer"]["ru"] = json!({
            "notice_filed": "2026-03-02",
            "rkn_restricted": false,
            "collected_into_russian_databases": true,
            "localisation_exception": null
        });
        edit(v);
    })
}

fn ru(as_of: &str, country: &str, edit: impl FnOnce(&mut Value)) -> Determination {
    let d = det(&ru_facts(as_of, country, edit), "RU");
    both_languages_known_citations(&d);
    d
}

fn both_languages_known_citations(d: &Determination) {
    crate::common::assert_bilingual(d);
    for r in &d.reasons {
        assert!(
            !r.citation_zh.contains("Art."),
            "{}: {}",
            r.id,
            r.citation_zh
        );
    }
}

fn reason<'a>(d: &'a Determination, id: &str) -> &'a outbound_rules::Reason {
    d.reasons
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no reason {id}: {:#?}", d.reasons))
}

fn ids(d: &Determination) -> Vec<&'static str> {
    d.reasons.iter().map(|r| r.id).collect()
}

// ---------------------------------------------------------------------------
// which transfers RU judges

#[test]
fn no_ru_block_no_ru_determination() {
    let f = facts(NOW, |v| v["exporter"]["country"] = "RU".into());
    assert!(
        evaluate(&f)
            .unwrap()
            .determinations
            .iter()
            .all(|d| d.regime != "RU")
    );
    // A `ru` block on a non-Russian exporter's transfer decides nothing either.
    let f = ru_facts(NOW, "US", |v| v["exporter"]["country"] = "CN".into());
    let ev = evaluate(&f).unwrap();
    assert!(ev.determinations.iter().all(|d| d.regime != "RU"));
    assert!(ev.determinations.iter().any(|d| d.regime == "CN"));
}

#[test]
fn the_day_the_amended_art_12_took_effect_and_the_day_before() {
    let e = evaluate(&ru_facts("2023-02-28", "DE", |_| {})).unwrap_err();
    assert_eq!(e.regime, "RU");
    assert!(e.message.contains("2023-03-01"), "{}", e.message);
    assert!(e.message.contains("266-FZ"), "{}", e.message);
    let d = ru("2023-03-01", "DE", |v| {
        v["transfer"]["ru"]["notice_filed"] = "2023-02-20".into()
    });
    assert_eq!(d.mechanism, "notification");
    assert!(d.satisfied);
}

// ---------------------------------------------------------------------------
// adequacy: Convention 108, Roskomnadzor's list, neither

#[test]
fn a_convention_108_party_needs_only_the_notice() {
    let d = ru(NOW, "DE", |_| {});
    assert_eq!(d.mechanism, "notification");
    assert!(d.satisfied);
    assert_eq!(
        ids(&d),
        [
            "ru.adequate_convention",
            "ru.notice_filed",
            "ru.localised_2025"
        ]
    );
    let r = reason(&d, "ru.adequate_convention");
    assert!(r.citation.contains("Convention 108") && r.citation.contains("Art. 12(2)"));
    assert!(
        r.text.contains("Germany") && r.text_zh.contains("德国"),
        "{r:?}"
    );
    assert!(r.citation_zh.contains("第108号公约"), "{}", r.citation_zh);
    // The notice states the recipient assessment's date: once filed, that duty is done.
    assert!(obligation(&d, "recipient_assessment").is_none());
    let i = obligation(&d, "incident_notification").unwrap();
    assert!(
        i.text.contains("24 hours") && i.text.contains("72 hours"),
        "{}",
        i.text
    );
    assert!(i.citation.contains("Art. 21(3.1)"));
    assert!(obligation(&d, "wait_after_notice").is_none());
}

#[test]
fn a_country_on_order_128_needs_only_the_notice() {
    for c in ["KZ", "BY", "CN"] {
        let d = ru(NOW, c, |_| {});
        assert_eq!(d.mechanism, "notification", "{c}");
        assert!(d.satisfied, "{c}");
        assert!(cites(&d, "RKN Order No. 128"), "{c}");
        assert_eq!(reason(&d, "ru.adequate_list").id, "ru.adequate_list");
    }
}

#[test]
fn the_united_states_is_on_neither_list_and_waits() {
    let d = ru(NOW, "US", |_| {});
    assert_eq!(d.mechanism, "notification_and_wait");
    // Filed 2026-03-02: the ten working days ran out long before 2026-11-23.
    assert!(d.satisfied);
    let r = reason(&d, "ru.not_adequate");
    assert!(r.text.contains("United States"), "{}", r.text);
    assert_eq!(r.citation, "152-FZ Art. 12(2)");
    let w = reason(&d, "ru.wait_over");
    assert!(w.citation.contains("Art. 12(10)") && w.citation.contains("Civil Code"));
}

#[test]
fn a_proposed_but_unconfirmed_list_country_is_treated_as_not_adequate() {
    let d = ru(NOW, "IN", |_| {});
    assert_eq!(d.mechanism, "notification_and_wait");
    assert!(reason(&d, "ru.list_unconfirmed").text.contains("India"));
}

#[test]
fn a_convention_party_without_a_notice_is_not_satisfied() {
    let d = ru(NOW, "DE", |v| {
        v["transfer"]["ru"]["notice_filed"] = Value::Null
    });
    assert_eq!(d.mechanism, "notification");
    assert!(!d.satisfied);
    assert!(ids(&d).contains(&"ru.notice_missing"));
    let o = obligation(&d, "rkn_transfer_notice").unwrap();
    assert_eq!(o.due, Some(date(2026, 11, 23)));
    assert!(o.citation.contains("Art. 12(3)"));
    let a = obligation(&d, "recipient_assessment").unwrap();
    assert_eq!(a.due, None);
    assert!(a.citation.contains("Art. 12(5)"));
}

#[test]
fn a_notice_dated_after_the_day_judged_is_not_filed_yet() {
    let d = ru("2026-02-27", "DE", |_| {});
    assert!(!d.satisfied);
    assert!(ids(&d).contains(&"ru.notice_missing"));
}

// ---------------------------------------------------------------------------
// the ten working days, by the Russian production calendar

/// Filed Wed 2024-04-24. Working days after it: 25, 26, Sat 27 April (a
/// working Saturday, Decree No. 1314), then 28 April – 1 May off, 2, 3, 6, 7,
/// 8 May, 9–12 May off, 13 and 14 May. The tenth is Tue 2024-05-14; the
/// period runs to its end, so the transfer may start on Wed 2024-05-15.
fn may_2024(as_of: &str) -> Determination {
    ru(as_of, "US", |v| {
        v["transfer"]["ru"]["notice_filed"] = "2024-04-24".into()
    })
}

#[test]
fn the_tenth_working_day_across_the_may_holidays_and_a_working_saturday() {
    for as_of in ["2024-05-13", "2024-05-14"] {
        let d = may_2024(as_of);
        assert_eq!(d.mechanism, "notification_and_wait");
        assert!(!d.satisfied, "{as_of}: still inside the ten working days");
        let r = reason(&d, "ru.wait_running");
        assert!(
            r.text.contains("The tenth working day is 2024-05-14")
                && r.text.contains("may start on 2024-05-15"),
            "{}",
            r.text
        );
        let o = obligation(&d, "wait_after_notice").unwrap();
        assert_eq!(o.due, Some(date(2024, 5, 15)));
        assert!(o.text.contains("United States"), "{}", o.text);
    }
    let d = may_2024("2024-05-15");
    assert!(d.satisfied);
    assert!(reason(&d, "ru.wait_over").text.contains("2024-05-14"));
    assert!(obligation(&d, "wait_after_notice").is_none());
}

#[test]
fn the_working_saturday_of_1_november_2025_counts() {
    // Filed Thu 2025-10-23: 24, 27–31 October, Sat 1 November (working), 3–4 off,
    // 5, 6, 7 November: the tenth is Fri 2025-11-07.
    let d = ru("2025-11-07", "US", |v| {
        v["transfer"]["ru"]["notice_filed"] = "2025-10-23".into()
    });
    assert!(!d.satisfied);
    assert!(reason(&d, "ru.wait_running").text.contains("2025-11-07"));
    let d = ru("2025-11-08", "US", |v| {
        v["transfer"]["ru"]["notice_filed"] = "2025-10-23".into()
    });
    assert!(d.satisfied);
}

#[test]
fn a_wait_running_into_a_year_without_a_calendar_says_it_was_estimated() {
    // Filed 2026-12-28: 29, 30 December, 31 December off (Decree No. 1466), then 2027,
    // for which no decree is on file: counted Monday to Friday.
    let d = ru("2027-01-05", "US", |v| {
        v["transfer"]["ru"]["notice_filed"] = "2026-12-28".into()
    });
    assert!(!d.satisfied);
    let r = reason(&d, "ru.calendar_estimated");
    assert!(r.text.contains("2027"), "{}", r.text);
    assert!(r.citation.contains("Labour Code"));
}

// ---------------------------------------------------------------------------
// localisation, Art. 18(5)

#[test]
fn localisation_on_2025_06_30_and_2025_07_01() {
    // Not collected in Russia: a breach under either wording, cited differently.
    let not_collected = |v: &mut Value| {
        v["transfer"]["ru"]["notice_filed"] = "2025-01-15".into();
        v["transfer"]["ru"]["collected_into_russian_databases"] = false.into();
    };
    let before = ru("2025-06-30", "DE", not_collected);
    let after = ru("2025-07-01", "DE", not_collected);
    assert!(!before.satisfied && !after.satisfied);
    let b = reason(&before, "ru.not_localised_2015");
    assert_eq!(b.citation, "152-FZ Art. 18(5); 242-FZ");
    let a = reason(&after, "ru.not_localised_2025");
    assert_eq!(a.citation, "152-FZ Art. 18(5); 23-FZ");
    assert!(obligation(&before, "localise_collection").is_some());
    assert!(obligation(&after, "localise_collection").is_some());
    // Collected in Russia: satisfied on both days.
    let filed = |v: &mut Value| v["transfer"]["ru"]["notice_filed"] = "2025-01-15".into();
    let before = ru("2025-06-30", "DE", filed);
    let after = ru("2025-07-01", "DE", filed);
    assert!(before.satisfied && after.satisfied);
    assert!(ids(&before).contains(&"ru.localised_2015"));
    assert!(ids(&after).contains(&"ru.localised_2025"));
    assert!(obligation(&after, "localise_collection").is_none());
}

#[test]
fn each_art_6_1_item_exempts_from_localisation() {
    for (item, article) in [
        ("art6_1_2", "Art. 6(1)(2)"),
        ("art6_1_3", "Art. 6(1)(3)"),
        ("art6_1_4", "Art. 6(1)(4)"),
        ("art6_1_8", "Art. 6(1)(8)"),
    ] {
        for as_of in ["2025-06-30", NOW] {
            let d = ru(as_of, "DE", |v| {
                v["transfer"]["ru"]["notice_filed"] = "2025-01-15".into();
                v["transfer"]["ru"]["collected_into_russian_databases"] = false.into();
                v["transfer"]["ru"]["localisation_exception"] = item.into();
            });
            assert!(d.satisfied, "{item} {as_of}");
            let r = reason(&d, "ru.localisation_exception");
            assert!(r.citation.contains(article), "{item}: {}", r.citation);
            assert!(obligation(&d, "localise_collection").is_none());
        }
    }
}

// ---------------------------------------------------------------------------
// Roskomnadzor's restriction, and transfers outside Art. 12

#[test]
fn a_transfer_roskomnadzor_restricted_is_prohibited_even_to_an_adequate_country() {
    for c in ["DE", "US"] {
        let d = ru(NOW, c, |v| {
            v["transfer"]["ru"]["rkn_restricted"] = true.into()
        });
        assert_eq!(d.mechanism, "prohibited", "{c}");
        assert!(!d.satisfied);
        let r = reason(&d, "ru.restricted");
        assert_eq!(r.citation, "152-FZ Art. 12(9), 12(12)");
        assert_eq!(
            obligation(&d, "stop_transfer").unwrap().due,
            Some(date(2026, 11, 23))
        );
    }
}

#[test]
fn no_personal_data_or_a_recipient_in_russia_is_outside_art_12() {
    let d = ru(NOW, "US", |v| {
        v["transfer"]["personal_information"] = false.into()
    });
    assert!(d.satisfied);
    assert_eq!(ids(&d), ["ru.no_personal_data"]);
    let d = ru(NOW, "RU", |v| {
        v["transfer"]["ru"]["notice_filed"] = Value::Null;
        v["transfer"]["ru"]["collected_into_russian_databases"] = false.into();
    });
    assert_eq!(d.mechanism, "notification");
    assert!(!d.satisfied, "the localisation duty still applies");
    assert_eq!(ids(&d), ["ru.domestic", "ru.not_localised_2025"]);
}

// ---------------------------------------------------------------------------
// every message

#[test]
fn every_ru_reason_message_is_reached_in_both_languages() {
    let mut reached = BTreeSet::new();
    let mut cases: Vec<Determination> = vec![
        ru(NOW, "DE", |_| {}),
        ru(NOW, "KZ", |_| {}),
        ru(NOW, "IN", |_| {}),
        ru(NOW, "US", |_| {}),
        ru(NOW, "US", |v| {
            v["transfer"]["ru"]["notice_filed"] = Value::Null
        }),
        may_2024("2024-05-14"),
        ru("2027-01-05", "US", |v| {
            v["transfer"]["ru"]["notice_filed"] = "2026-12-28".into()
        }),
        ru("2025-06-30", "DE", |_| {}),
        ru(NOW, "US", |v| {
            v["transfer"]["ru"]["rkn_restricted"] = true.into()
        }),
        ru(NOW, "US", |v| {
            v["transfer"]["personal_information"] = false.into()
        }),
        ru(NOW, "RU", |_| {}),
        ru(NOW, "DE", |v| {
            v["transfer"]["ru"]["localisation_exception"] = "art6_1_8".into()
        }),
    ];
    for as_of in ["2025-06-30", NOW] {
        cases.push(ru(as_of, "DE", |v| {
            v["transfer"]["ru"]["collected_into_russian_databases"] = false.into()
        }));
    }
    for d in &cases {
        reached.extend(d.reasons.iter().map(|r| r.id));
    }
    for (id, t) in text::messages().filter(|(id, _)| id.starts_with("ru.")) {
        assert!(!t.en.is_empty() && !t.zh.is_empty(), "{id}");
        let key = &id[3..];
        if key.starts_with("obl_") || key == "before" {
            continue;
        }
        assert!(reached.contains(id), "{id} is reached by no case");
    }
}

// ---------------------------------------------------------------------------
// from the data map

const MAP: &str = r#"
version: 1
exporters:
  - {id: acme-ru, name: Acme LLC, country: RU, individuals_processed: 500000}
systems:
  - {id: crm, name: CRM, exporter: acme-ru, owner: {type: department, name: IT}}
datasets:
  - id: customers
    name: Customers
    system: crm
    fields:
      - {name: email, category: contact.email, subject: customer}
recipients:
  - {id: hq, name: HQ Inc., country: US, role: processor, contact: dpo@hq.example}
transfers:
  - id: crm-sync
    exporter: acme-ru
    recipient: hq
    fields: [customers.email]
    purpose: support
    necessity: none
    legal_basis: consent
    method: api
    frequency: daily
    individuals_per_year: 6000
    retention_abroad: 1 year
    storage: {country: US}
    ru: {notice_filed: 2026-03-02, collected_into_russian_databases: true}
"#;

fn load(text: &str) -> outbound_model::Loaded {
    outbound_model::load_sources(
        &[("map.yaml".to_string(), text.to_string())],
        outbound_model::Taxonomy::builtin(),
    )
}

#[test]
fn the_maps_ru_block_becomes_the_facts_ru_block() {
    let loaded = load(MAP);
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let facts = outbound_rules::assess::facts_for_map(&loaded.map, date(2026, 11, 23), None);
    let f = &facts[0].1;
    let r = f.transfer.ru.as_ref().expect("the map's ru: block");
    assert_eq!(r.notice_filed, Some(date(2026, 3, 2)));
    assert!(r.collected_into_russian_databases && !r.rkn_restricted);
    assert_eq!(r.localisation_exception, None);
    let d = det(f, "RU");
    assert_eq!(d.mechanism, "notification_and_wait");
    assert!(d.satisfied);
    // Without the block, no RU facts and no RU determination.
    let loaded = load(&MAP.replace(
        "    ru: {notice_filed: 2026-03-02, collected_into_russian_databases: true}\n",
        "",
    ));
    let facts = outbound_rules::assess::facts_for_map(&loaded.map, date(2026, 11, 23), None);
    assert!(facts[0].1.transfer.ru.is_none());
}

#[test]
fn a_bad_ru_block_is_reported_with_its_position() {
    let bad = MAP.replace(
        "ru: {notice_filed: 2026-03-02, collected_into_russian_databases: true}",
        "ru: {notice_filed: 2026-02-30, localisation_exception: art6_1_5, rkn_restrictd: true}",
    );
    let d = load(&bad).diagnostics;
    assert!(
        d.iter().any(|x| x.field == "transfers[0].ru.notice_filed"
            && x.loc.line > 0
            && x.message.contains("not a real calendar date")),
        "{d:#?}"
    );
    assert!(
        d.iter()
            .any(|x| x.field == "transfers[0].ru.localisation_exception"
                && x.help.contains("art6_1_8")),
        "{d:#?}"
    );
    assert!(
        d.iter()
            .any(|x| x.message.contains("rkn_restrictd") && x.help.contains("rkn_restricted")),
        "{d:#?}"
    );
    let not_a_map = MAP.replace(
        "ru: {notice_filed: 2026-03-02, collected_into_russian_databases: true}",
        "ru: yes",
    );
    let d = load(&not_a_map).diagnostics;
    assert!(
        d.iter().any(|x| x.field.starts_with("transfers[0].ru")),
        "{d:#?}"
    );
}
