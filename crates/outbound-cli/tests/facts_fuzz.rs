//! Fuzzing the facts parser (`outbound_rules::Facts::from_json`) and the rules behind it.
//!
//! Properties:
//! - `from_json` never panics; a rejection names a field and says what is wrong;
//! - `evaluate` never panics on facts that parsed;
//! - facts valid by construction parse, and their determinations keep the
//!   contract of docs/CONTRACTS.md "Determination" (which regimes judge, when
//!   `satisfied` may be true, every reason and obligation cites its source).
//!
//! Cases: 2,500 arbitrary strings + 2,500 JSON-like token soups + 2,500 text
//! mutations + 2,500 value mutations of the docs/CONTRACTS.md example + 2,500 valid
//! facts = 12,500 per run.

use std::collections::BTreeSet;

use outbound_rules::{Facts, evaluate};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};

use crate::common::DESIGN_FACTS;

const EEA: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
];

fn cfg(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Parses; on success evaluates. Neither may panic (a panic fails the case).
fn parse_and_evaluate(text: &str) -> Result<Option<Facts>, TestCaseError> {
    match Facts::from_json("fuzz.json", text) {
        Ok(f) => {
            let _ = evaluate(&f);
            Ok(Some(f))
        }
        Err(e) => {
            prop_assert!(!e.message.trim().is_empty(), "empty message: {e:?}");
            prop_assert!(!e.field.is_empty(), "empty field: {e:?}");
            prop_assert_eq!(&e.source_name, "fuzz.json");
            Ok(None)
        }
    }
}

// ---------------------------------------------------------------------------
// arbitrary and JSON-like strings

fn json_token() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\n",
        "\"",
        "null",
        "true",
        "false",
        "-",
        "0",
        "1",
        "1e999",
        "-1",
        "18446744073709551616",
        "0.5",
        "\"as_of\"",
        "\"exporter\"",
        "\"transfer\"",
        "\"cumulative\"",
        "\"current_year\"",
        "\"individuals\"",
        "\"sensitive_individuals\"",
        "\"country\"",
        "\"CN\"",
        "\"US\"",
        "\"XX\"",
        "\"2026-02-30\"",
        "\"2024-03-22\"",
        "\"id\"",
        "\"dates\"",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "\\",
        "é",
        "中",
    ])
    .prop_map(String::from)
}

proptest! {
    #![proptest_config(cfg(2_500))]

    #[test]
    fn arbitrary_strings(text in any::<String>()) {
        parse_and_evaluate(&text)?;
    }

    #[test]
    fn json_like_soup(tokens in prop::collection::vec(json_token(), 0..120)) {
        parse_and_evaluate(&tokens.concat())?;
    }
}

// ---------------------------------------------------------------------------
// text mutations of the example

#[derive(Clone, Debug)]
enum TextMutation {
    FlipByte(f64, u8),
    DeleteLine(f64),
    DuplicateLine(f64),
    Truncate(f64),
    DeleteRange(f64, u8),
}

fn at(frac: f64, len: usize) -> usize {
    ((frac * len as f64) as usize).min(len.saturating_sub(1))
}

fn apply_text(text: &str, m: &TextMutation) -> String {
    let bytes = text.as_bytes();
    match *m {
        TextMutation::FlipByte(p, b) => {
            let mut v = bytes.to_vec();
            if !v.is_empty() {
                let i = at(p, v.len());
                v[i] = b;
            }
            String::from_utf8_lossy(&v).into_owned()
        }
        TextMutation::Truncate(p) => {
            String::from_utf8_lossy(&bytes[..at(p, bytes.len() + 1)]).into_owned()
        }
        TextMutation::DeleteRange(p, n) => {
            let i = at(p, bytes.len());
            let j = (i + n as usize).min(bytes.len());
            let mut v = bytes[..i].to_vec();
            v.extend_from_slice(&bytes[j..]);
            String::from_utf8_lossy(&v).into_owned()
        }
        TextMutation::DeleteLine(p) | TextMutation::DuplicateLine(p) => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            let i = at(p, lines.len());
            if matches!(m, TextMutation::DeleteLine(_)) {
                lines.remove(i);
            } else {
                lines.insert(i, lines[i]);
            }
            lines.join("\n")
        }
    }
}

fn text_mutation() -> impl Strategy<Value = TextMutation> {
    let frac = 0.0..1.0f64;
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"{}[],:\" -0123456789\\en".to_vec()),
    ];
    prop_oneof![
        4 => (frac.clone(), byte).prop_map(|(p, b)| TextMutation::FlipByte(p, b)),
        2 => frac.clone().prop_map(TextMutation::DeleteLine),
        2 => frac.clone().prop_map(TextMutation::DuplicateLine),
        1 => frac.clone().prop_map(TextMutation::Truncate),
        2 => (frac, any::<u8>()).prop_map(|(p, n)| TextMutation::DeleteRange(p, n % 16)),
    ]
}

proptest! {
    #![proptest_config(cfg(2_500))]

    #[test]
    fn text_mutations_of_the_example(muts in prop::collection::vec(text_mutation(), 1..4)) {
        let mut text = DESIGN_FACTS.to_string();
        for m in &muts {
            text = apply_text(&text, m);
        }
        parse_and_evaluate(&text)?;
    }
}

// ---------------------------------------------------------------------------
// value mutations of the example: the JSON stays well-formed, so more cases reach the rules

/// A JSON value the facts might plausibly (or implausibly) hold.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (0u64..2_000_000).prop_map(|n| json!(n)),
        (0u64..20_000).prop_map(|n| json!(n)),
        Just(json!(u64::MAX)),
        Just(json!(1.5)),
        prop::sample::select(vec![
            "CN",
            "US",
            "DE",
            "JP",
            "HK",
            "GB",
            "XX",
            "cn",
            "",
            "none",
            "domestic",
            "foreign_transit",
            "contract_with_individual",
            "hr_management",
            "emergency",
            "statutory_duty",
            "standard_contract",
            "certification",
            "security_assessment",
            "scc",
            "bcr",
            "explicit_consent",
            "consent",
            "contract",
            "2021-10-31",
            "2021-11-01",
            "2022-09-01",
            "2023-06-01",
            "2024-03-21",
            "2024-03-22",
            "2026-11-23",
            "2026-02-30",
            "1999-01-01",
            "9999-12-31",
            "-009999-01-01",
            "2018-05-25",
            "2023-07-10",
        ])
        .prop_map(|s| json!(s)),
        prop::collection::vec(
            prop::sample::select(vec![
                "standard_contract",
                "certification",
                "security_assessment",
                "scc",
                "bcr",
                "biometric",
                "financial_account",
                "minor_under_14",
                "nope",
            ]),
            0..4
        )
        .prop_map(|v| json!(v)),
        Just(json!({})),
    ]
}

/// Every path (object keys and array indices) in a value.
fn paths(v: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                prefix.push(PathStep::Key(k.clone()));
                out.push(prefix.clone());
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                prefix.push(PathStep::Index(i));
                out.push(prefix.clone());
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

#[derive(Clone, Debug)]
enum ValueMutation {
    Replace(f64, Value),
    Remove(f64),
    AddKey(f64, String, Value),
}

fn value_mutation() -> impl Strategy<Value = ValueMutation> {
    let frac = 0.0..1.0f64;
    prop_oneof![
        6 => (frac.clone(), leaf()).prop_map(|(p, v)| ValueMutation::Replace(p, v)),
        2 => frac.clone().prop_map(ValueMutation::Remove),
        1 => (
            frac,
            prop::sample::select(vec![
                "recipient_dpf_certified", "derogation", "outside_ftz_negative_list",
                "legal_basis", "dates", "contract_effective", "contract_filed",
                "assessment_approved", "assessment_expires", "certification_expires",
                "pipia_completed", "tia_completed", "version", "unknown",
            ]),
            leaf()
        )
            .prop_map(|(p, k, v)| ValueMutation::AddKey(p, k.to_string(), v)),
    ]
}

fn apply_value(root: &mut Value, m: &ValueMutation) {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    let frac = match m {
        ValueMutation::Replace(p, _)
        | ValueMutation::Remove(p)
        | ValueMutation::AddKey(p, _, _) => *p,
    };
    if let ValueMutation::AddKey(_, k, v) = m {
        // Add to the root or to any object inside it.
        let mut objects: Vec<Vec<PathStep>> = vec![Vec::new()];
        objects.extend(
            all.into_iter()
                .filter(|p| get(root, p).is_some_and(Value::is_object)),
        );
        let target = &objects[at(frac, objects.len())];
        if let Some(Value::Object(o)) = get_mut(root, target) {
            o.insert(k.clone(), v.clone());
        }
        return;
    }
    if all.is_empty() {
        return;
    }
    let path = &all[at(frac, all.len())];
    let (last, parent) = path.split_last().unwrap();
    let Some(parent) = get_mut(root, parent) else {
        return;
    };
    match (m, last, parent) {
        (ValueMutation::Replace(_, v), PathStep::Key(k), Value::Object(o)) => {
            o.insert(k.clone(), v.clone());
        }
        (ValueMutation::Replace(_, v), PathStep::Index(i), Value::Array(a)) => a[*i] = v.clone(),
        (ValueMutation::Remove(_), PathStep::Key(k), Value::Object(o)) => {
            o.remove(k);
        }
        (ValueMutation::Remove(_), PathStep::Index(i), Value::Array(a)) => {
            a.remove(*i);
        }
        _ => {}
    }
}

fn get<'a>(v: &'a Value, path: &[PathStep]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, s| match s {
        PathStep::Key(k) => v.get(k),
        PathStep::Index(i) => v.get(*i),
    })
}

fn get_mut<'a>(v: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, s| match s {
        PathStep::Key(k) => v.get_mut(k),
        PathStep::Index(i) => v.get_mut(*i),
    })
}

proptest! {
    #![proptest_config(cfg(2_500))]

    #[test]
    fn value_mutations_of_the_example(
        muts in prop::collection::vec(value_mutation(), 1..5),
        pretty in any::<bool>(),
    ) {
        let mut v: Value = serde_json::from_str(DESIGN_FACTS).unwrap();
        for m in &muts {
            apply_value(&mut v, m);
        }
        let text = if pretty {
            serde_json::to_string_pretty(&v).unwrap()
        } else {
            v.to_string()
        };
        if let Some(f) = parse_and_evaluate(&text)? {
            check_contract(&f)?;
        }
    }
}

// ---------------------------------------------------------------------------
// valid facts by construction

fn opt_date() -> impl Strategy<Value = Option<String>> {
    prop::option::of(
        (2019i16..2031, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
    )
}

fn valid_facts() -> impl Strategy<Value = Value> {
    let as_of = prop_oneof![
        prop::sample::select(vec![
            "2021-11-01",
            "2022-08-31",
            "2022-09-01",
            "2023-05-31",
            "2023-06-01",
            "2024-03-21",
            "2024-03-22",
            "2026-11-23",
            "2026-12-31",
            "2027-01-01",
        ])
        .prop_map(String::from),
        (2021i16..2031, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
    ];
    let country = prop::sample::select(vec![
        "CN", "CN", "CN", "DE", "FR", "IS", "US", "JP", "GB", "HK", "SG", "KR", "CH", "IL", "NL",
    ]);
    let classes = prop::sample::subsequence(
        vec![
            "biometric",
            "religious_belief",
            "specific_identity",
            "medical_health",
            "financial_account",
            "whereabouts",
            "minor_under_14",
            "other_sensitive",
        ],
        0..3,
    );
    let mechanisms = prop::sample::subsequence(
        vec![
            "standard_contract",
            "certification",
            "security_assessment",
            "scc",
            "bcr",
        ],
        0..3,
    );
    let necessity = prop::sample::select(vec![
        "none",
        "none",
        "contract_with_individual",
        "hr_management",
        "emergency",
        "statutory_duty",
    ]);
    let legal_basis = prop::option::of(prop::sample::select(vec![
        "consent",
        "contract",
        "hr_management",
        "statutory_duty",
        "emergency",
        "legitimate_interests",
        "public_interest",
    ]));
    let derogation = prop::option::of(prop::sample::select(vec![
        "explicit_consent",
        "contract",
        "public_interest",
        "legal_claims",
        "vital_interests",
        "public_register",
        "compelling_legitimate_interests",
    ]));
    let counts = (0u64..3_000_000, 0u64..=100, 0u64..3_000_000, 0u64..=100);
    let dates = (
        opt_date(),
        opt_date(),
        opt_date(),
        opt_date(),
        opt_date(),
        opt_date(),
        opt_date(),
    );
    (
        (as_of, country.clone(), country, any::<bool>(), 0u64..50_000_000),
        (
            prop::sample::select(vec!["domestic", "domestic", "foreign_transit"]),
            any::<(bool, bool, bool, bool)>(),
            necessity,
            classes,
            mechanisms,
            legal_basis,
            derogation,
        ),
        counts,
        dates,
        prop::option::of(Just("Shanghai Lin-gang")),
    )
        .prop_map(
            |(
                (as_of, ec, rc, ciio, processed),
                (origin, (pi, important, dpf, ftz_out), necessity, classes, mechs, lb, der),
                (ind, sens_pct, cum, cum_sens_pct),
                (ce, cf, pc, aa, ae, cx, tia),
                ftz,
            )| {
                let sens = ind * sens_pct / 100;
                let cum = cum.max(ind);
                let cum_sens = (cum * cum_sens_pct / 100).max(sens).min(cum);
                let mut transfer = json!({
                    "id": "t", "recipient_country": rc, "origin": origin,
                    "personal_information": pi, "important_data": important,
                    "necessity": necessity, "sensitive_categories": classes,
                    "individuals": ind, "sensitive_individuals": sens,
                    "mechanisms_in_place": mechs, "recipient_dpf_certified": dpf,
                    "derogation": der, "outside_ftz_negative_list": ftz_out,
                });
                if let Some(lb) = lb {
                    transfer["legal_basis"] = json!(lb);
                }
                let mut dates = serde_json::Map::new();
                for (k, v) in [
                    ("contract_effective", ce), ("contract_filed", cf), ("pipia_completed", pc),
                    ("assessment_approved", aa), ("assessment_expires", ae),
                    ("certification_expires", cx), ("tia_completed", tia),
                ] {
                    if let Some(v) = v {
                        dates.insert(k.into(), json!(v));
                    }
                }
                transfer["dates"] = Value::Object(dates);
                json!({
                    "as_of": as_of,
                    "exporter": {"id": "e", "country": ec, "ciio": ciio,
                                 "individuals_processed": processed, "free_trade_zone": ftz},
                    "transfer": transfer,
                    "cumulative": {
                        "current_year": {"individuals": cum, "sensitive_individuals": cum_sens},
                        "previous_and_current_year": {"individuals": cum * 2, "sensitive_individuals": cum_sens * 2},
                    },
                })
            },
        )
}

/// The contract of docs/CONTRACTS.md "Determination", checked on any facts that parsed.
fn check_contract(f: &Facts) -> Result<(), TestCaseError> {
    let Ok(ev) = evaluate(f) else {
        return Ok(());
    };
    prop_assert_eq!(&ev.transfer, &f.transfer.id);
    let regimes: Vec<&str> = ev.determinations.iter().map(|d| d.regime).collect();
    let in_eea = |c: &str| EEA.contains(&c);
    prop_assert_eq!(
        regimes.contains(&"CN"),
        f.exporter.country == "CN",
        "CN judges exactly the CN exporters: {:?}",
        regimes
    );
    prop_assert_eq!(
        regimes.contains(&"EU"),
        in_eea(&f.exporter.country) && !in_eea(&f.transfer.recipient_country),
        "EU judges exactly EEA → outside: {:?}",
        regimes
    );
    let in_place: BTreeSet<&str> = f
        .transfer
        .mechanisms_in_place
        .iter()
        .map(|m| m.as_str())
        .collect();
    for d in &ev.determinations {
        prop_assert!(!d.instrument.is_empty());
        prop_assert!(!d.reasons.is_empty(), "no reason given: {d:?}");
        for r in &d.reasons {
            prop_assert!(
                !r.text.trim().is_empty() && !r.citation.trim().is_empty(),
                "{r:?}"
            );
        }
        for o in &d.obligations {
            prop_assert!(!o.id.is_empty() && !o.citation.trim().is_empty(), "{o:?}");
            prop_assert!(!o.text.trim().is_empty(), "{o:?}");
        }
        let ids: Vec<&str> = d.obligations.iter().map(|o| o.id).collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        prop_assert_eq!(
            unique.len(),
            ids.len(),
            "an obligation listed twice: {:?}",
            ids
        );
        match d.mechanism {
            "exempt" | "adequacy" => prop_assert!(d.satisfied, "{d:?}"),
            "derogation" => {
                prop_assert!(
                    f.transfer.derogation.is_some(),
                    "derogation route without one declared: {d:?}"
                );
                prop_assert!(d.satisfied, "{d:?}");
            }
            "standard_contract_or_certification" => {
                if d.satisfied {
                    prop_assert!(
                        ["standard_contract", "certification", "security_assessment"]
                            .iter()
                            .any(|m| in_place.contains(m)),
                        "satisfied with nothing in place: {d:?}"
                    );
                }
            }
            "security_assessment" => {
                if d.satisfied {
                    prop_assert!(in_place.contains("security_assessment"), "{d:?}");
                }
            }
            "appropriate_safeguards" => {
                prop_assert_eq!(
                    d.satisfied,
                    in_place.contains("scc") || in_place.contains("bcr"),
                    "{:?}",
                    d
                );
            }
            other => prop_assert!(false, "unknown mechanism identifier `{other}`"),
        }
        let cn = [
            "exempt",
            "standard_contract_or_certification",
            "security_assessment",
        ];
        prop_assert_eq!(d.regime == "CN", cn.contains(&d.mechanism), "{:?}", d);
    }
    Ok(())
}

proptest! {
    #![proptest_config(cfg(2_500))]

    #[test]
    fn valid_facts_parse_and_keep_the_contract(v in valid_facts()) {
        let text = serde_json::to_string_pretty(&v).unwrap();
        let f = match Facts::from_json("valid.json", &text) {
            Ok(f) => f,
            Err(e) => return Err(TestCaseError::fail(format!("valid facts rejected: {e}\n{text}"))),
        };
        check_contract(&f)?;
        // Serialising the parsed facts and parsing again gives the same facts.
        let again = serde_json::to_string(&f).unwrap();
        let g = Facts::from_json("again.json", &again)
            .map_err(|e| TestCaseError::fail(format!("round trip failed: {e}")))?;
        prop_assert_eq!(&f, &g);
        prop_assert_eq!(evaluate(&f).ok(), evaluate(&g).ok());
    }
}

#[test]
fn design_example_keeps_the_contract() {
    let f = Facts::from_json("design.json", DESIGN_FACTS).unwrap();
    check_contract(&f).unwrap();
}
