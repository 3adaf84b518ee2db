//! Every reason and obligation of the China and EU regimes in both languages,
//! over a corpus of facts that takes every route: each has an id, an English
//! and a Chinese sentence with nothing left to fill in, and a citation whose
//! instruments are all known; and every `cn.`/`eu.` message of data/text is
//! reached by some case (no dead message).

use std::collections::BTreeSet;

use outbound_rules::{Determination, text};
use serde_json::{Value, json};

use crate::common::*;

const NOW: &str = "2026-11-23";

type Edit = Box<dyn Fn(&mut Value)>;

fn case(as_of: &'static str, edit: impl Fn(&mut Value) + 'static) -> (&'static str, Edit) {
    (as_of, Box::new(edit))
}

fn mechanisms(v: &mut Value, m: &[&str]) {
    v["transfer"]["mechanisms_in_place"] = json!(m);
}

/// Facts that between them take every route of CN and EU and produce every message.
fn corpus() -> Vec<(&'static str, Edit)> {
    vec![
        // China, 2024 Provisions.
        case(NOW, |_| {}),
        case(NOW, |v| {
            v["transfer"]["personal_information"] = false.into()
        }),
        case(NOW, |v| {
            v["exporter"]["free_trade_zone"] = "Shanghai Lin-gang".into();
            v["transfer"]["outside_ftz_negative_list"] = true.into();
        }),
        case(NOW, |v| v["transfer"]["important_data"] = true.into()),
        case(NOW, |v| v["transfer"]["origin"] = "foreign_transit".into()),
        case(NOW, |v| {
            v["exporter"]["ciio"] = true.into();
            v["transfer"]["necessity"] = "contract_with_individual".into();
        }),
        case(NOW, |v| v["transfer"]["necessity"] = "hr_management".into()),
        case(NOW, |v| v["transfer"]["necessity"] = "emergency".into()),
        case(NOW, |v| {
            v["transfer"]["necessity"] = "statutory_duty".into()
        }),
        case(NOW, |v| v["exporter"]["ciio"] = true.into()),
        case(NOW, |v| this_year(v, 1_000_000, 0)),
        case(NOW, |v| this_year(v, 10_000, 10_000)),
        case(NOW, |v| this_year(v, 100_000, 0)),
        case(NOW, |v| this_year(v, 1, 1)),
        case(NOW, |v| {
            this_year(v, 100_000, 0);
            mechanisms(v, &["standard_contract"]);
            v["transfer"]["dates"] = json!({"contract_effective": "2026-11-02"});
        }),
        case(NOW, |v| {
            this_year(v, 100_000, 0);
            mechanisms(v, &["standard_contract"]);
        }),
        case(NOW, |v| {
            this_year(v, 100_000, 0);
            mechanisms(v, &["standard_contract"]);
            v["transfer"]["dates"] = json!({"contract_effective": "2026-11-02",
                "contract_filed": "2026-11-10", "pipia_completed": "2026-10-01"});
        }),
        // A contract effective in a year whose holiday calendar is not on file.
        case("2035-01-02", |v| {
            this_year(v, 100_000, 0);
            mechanisms(v, &["standard_contract"]);
            v["transfer"]["dates"] = json!({"contract_effective": "2035-01-02"});
        }),
        case(NOW, |v| {
            this_year(v, 100_000, 0);
            mechanisms(v, &["certification"]);
            v["transfer"]["dates"] = json!({"certification_expires": "2028-06-30"});
        }),
        case(NOW, |v| {
            this_year(v, 100_000, 0);
            mechanisms(v, &["certification"]);
            v["transfer"]["dates"] = json!({"certification_expires": "2026-06-30"});
        }),
        case("2025-06-01", |v| {
            this_year(v, 100_000, 0);
            mechanisms(v, &["certification"]);
        }),
        case(NOW, |v| {
            this_year(v, 1_000_000, 0);
            mechanisms(v, &["security_assessment"]);
            v["transfer"]["dates"] = json!({"assessment_approved": "2025-03-01"});
        }),
        case(NOW, |v| {
            this_year(v, 1_000_000, 0);
            mechanisms(v, &["security_assessment"]);
            v["transfer"]["dates"] = json!({"assessment_approved": "2023-01-10"});
        }),
        // China, before the Provisions.
        case("2023-09-01", |v| {
            v["transfer"]["necessity"] = "contract_with_individual".into();
        }),
        case("2023-09-01", |v| {
            v["transfer"]["important_data"] = true.into()
        }),
        case("2023-09-01", |v| v["exporter"]["ciio"] = true.into()),
        case("2023-09-01", |v| {
            v["exporter"]["individuals_processed"] = 500_000.into();
            this_year(v, 100_000, 0);
        }),
        case("2023-09-01", |v| {
            v["exporter"]["individuals_processed"] = 500_000.into();
            this_year(v, 1_000, 0);
        }),
        case("2022-10-01", |v| {
            v["exporter"]["individuals_processed"] = 500_000.into();
        }),
        case("2022-01-10", |_| {}),
        case("2022-01-10", |v| v["exporter"]["ciio"] = true.into()),
        // Data for a foreign judicial or law enforcement authority.
        case(NOW, |v| {
            v["transfer"]["foreign_authority_request"] = true.into()
        }),
        case(NOW, |v| {
            v["transfer"]["foreign_authority_request"] = true.into();
            mechanisms(v, &["authority_approval"]);
        }),
        case("2021-09-15", |v| {
            v["transfer"]["foreign_authority_request"] = true.into()
        }),
        // EU exporters.
        case(NOW, |v| eu(v, "JP")),
        case(NOW, |v| {
            eu(v, "US");
            v["transfer"]["recipient_dpf_certified"] = true.into();
        }),
        case(NOW, |v| eu(v, "US")),
        case(NOW, |v| eu(v, "CA")),
        case(NOW, |v| eu(v, "GB")),
        case(NOW, |v| eu(v, "BR")),
        case(NOW, |v| {
            eu(v, "CN");
            mechanisms(v, &["scc", "bcr"]);
        }),
        case(NOW, |v| {
            eu(v, "IN");
            v["transfer"]["derogation"] = "explicit_consent".into();
        }),
        case(NOW, |v| {
            eu(v, "IN");
            v["transfer"]["derogation"] = "compelling_legitimate_interests".into();
        }),
        case(NOW, |v| {
            eu(v, "IN");
            v["transfer"]["derogation"] = "legal_claims".into();
        }),
        case(NOW, |v| {
            eu(v, "IN");
            v["transfer"]["personal_information"] = false.into();
        }),
        // A Chinese exporter under GDPR Art. 3(2), to its own country and to another.
        case(NOW, |v| v["exporter"]["gdpr_applies"] = true.into()),
        case(NOW, |v| {
            v["exporter"]["gdpr_applies"] = true.into();
            v["transfer"]["recipient_country"] = "CN".into();
        }),
    ]
}

fn eu(v: &mut Value, to: &str) {
    v["exporter"]["country"] = "DE".into();
    v["transfer"]["recipient_country"] = to.into();
}

/// An English word left in a Chinese citation (`subparagraph`); names and
/// numbers such as `Schrems II` or `(EU) 2019/419` are fine.
fn english_word(s: &str) -> Option<&str> {
    s.split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| w.len() >= 3 && w.starts_with(|c: char| c.is_ascii_lowercase()))
}

/// Whether `text` is `template` with its `{placeholders}` filled in.
fn fills(template: &str, text: &str) -> bool {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        pieces.push(&rest[..i]);
        rest = rest[i..].split_once('}').map_or("", |(_, r)| r);
    }
    pieces.push(rest);
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if pieces.len() == 1 {
        return text == first;
    }
    if !text.starts_with(first) || !text.ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut at = first.len();
    let end = text.len() - last.len();
    for p in &pieces[1..pieces.len() - 1] {
        match text[at..end].find(p) {
            Some(i) => at += i + p.len(),
            None => return false,
        }
    }
    true
}

/// The `cn.`/`eu.` messages whose English template renders as `text`.
fn messages_for(text: &str) -> Vec<&'static str> {
    text::messages()
        .filter(|(id, _)| id.starts_with("cn.") || id.starts_with("eu."))
        .filter(|(_, t)| fills(&t.en, text))
        .map(|(id, _)| id)
        .collect()
}

fn determinations() -> Vec<(String, Determination)> {
    let mut out = Vec::new();
    for (i, (as_of, edit)) in corpus().into_iter().enumerate() {
        let f = facts(as_of, |v| edit(v));
        let ev = outbound_rules::evaluate(&f)
            .unwrap_or_else(|e| panic!("case {i} ({as_of}) cannot be judged: {e}"));
        assert!(
            !ev.determinations.is_empty(),
            "case {i}: no regime judged it"
        );
        for d in ev.determinations {
            out.push((format!("case {i} ({as_of}, {})", d.regime), d));
        }
    }
    out
}

#[test]
fn every_reason_and_obligation_is_bilingual_with_a_known_citation() {
    for (case, d) in determinations() {
        assert!(d.regime == "CN" || d.regime == "EU", "{case}");
        assert_bilingual(&d);
        for r in &d.reasons {
            let at = format!("{case}: reason {:?}", r.text);
            assert!(
                r.id.starts_with("cn.") || r.id.starts_with("eu."),
                "{at}: id {}",
                r.id
            );
            assert!(text::exists(r.id), "{at}");
            assert!(!r.text.trim().is_empty() && !r.text.contains('{'), "{at}");
            assert!(has_chinese(&r.text_zh), "{at}: {}", r.text_zh);
            assert!(!r.text_zh.contains('{'), "{at}: {}", r.text_zh);
            assert!(text::citation_known(&r.citation), "{at}: {}", r.citation);
            assert!(has_chinese(&r.citation_zh), "{at}: {}", r.citation_zh);
            assert_eq!(
                english_word(&r.citation_zh),
                None,
                "{at}: {}",
                r.citation_zh
            );
            assert!(
                messages_for(&r.text).contains(&r.id),
                "{at}: the text is not its message's"
            );
        }
        for o in &d.obligations {
            let at = format!("{case}: obligation {}", o.id);
            assert!(!o.id.is_empty(), "{at}");
            assert!(!o.text.trim().is_empty() && !o.text.contains('{'), "{at}");
            assert!(has_chinese(&o.text_zh), "{at}: {}", o.text_zh);
            assert!(!o.text_zh.contains('{'), "{at}: {}", o.text_zh);
            assert!(text::citation_known(&o.citation), "{at}: {}", o.citation);
            assert!(has_chinese(&o.citation_zh), "{at}: {}", o.citation_zh);
            assert_eq!(
                english_word(&o.citation_zh),
                None,
                "{at}: {}",
                o.citation_zh
            );
            assert!(
                !messages_for(&o.text).is_empty(),
                "{at}: {:?} is no message of data/text",
                o.text
            );
        }
    }
}

#[test]
fn every_cn_and_eu_message_is_reached() {
    let mut hit = BTreeSet::new();
    for (_, d) in determinations() {
        hit.extend(d.reasons.iter().map(|r| r.id));
        for o in &d.obligations {
            hit.extend(messages_for(&o.text));
        }
    }
    let dead: Vec<_> = text::messages()
        .map(|(id, _)| id)
        .filter(|id| (id.starts_with("cn.") || id.starts_with("eu.")) && !hit.contains(id))
        .collect();
    assert!(dead.is_empty(), "messages no case reaches: {dead:?}");
}

#[test]
fn the_template_matcher_matches_only_its_own_message() {
    assert!(fills("a {x} b", "a 1 b"));
    assert!(fills("{x} b", "1 b"));
    assert!(!fills("a {x} b", "a 1 c"));
    assert!(fills("plain", "plain"));
    assert!(!fills("plain", "plain and more"));
}
