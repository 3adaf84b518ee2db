//! What was found against what the data map declares.
//!
//! A field the map does not declare, a kind whose category the declared
//! category does not cover, and sensitive PI in a field not declared
//! sensitive are findings; so is PI found in free text. `suggest_fields`
//! writes the YAML `fields:` block that would declare what was found.

use std::collections::BTreeMap;

use outbound_model::{DataMap, Field, SensitivityProfile, Taxonomy};
use serde::Serialize;

use crate::{Kind, ScanReport};

/// One gap between the data and the map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The file.
    pub path: String,
    /// The field; `None` for free text.
    pub field: Option<String>,
    /// `undeclared_field`, `undeclared_category`, `undeclared_sensitive`,
    /// `pi_in_free_text`, or `pi_in_field_name` (the field's path holds a
    /// key that is itself personal data, `{person_name}`: no declaration
    /// covers it, and the gate refuses such keys).
    pub problem: &'static str,
    /// The kind found.
    pub kind: &'static str,
    /// Its taxonomy category.
    pub category: &'static str,
    /// How many values.
    pub count: u64,
    /// The category the map declares for the field, if any.
    pub declared: Option<String>,
    /// The PIPL Art. 28 class, when the kind is sensitive under the map's profile.
    pub sensitive_class: Option<String>,
}

/// The comparison of a scan with a set of declared fields.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// What the fields were taken from (`dataset customers`, `transfer crm-to-parent`).
    pub against: String,
    /// Every gap.
    pub findings: Vec<Finding>,
}

impl Comparison {
    /// Whether undeclared categories or sensitive PI were found.
    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty()
    }

    /// The fields the map does not declare at all, by name, each once.
    pub fn undeclared_fields(&self) -> std::collections::BTreeSet<&str> {
        self.findings
            .iter()
            .filter(|f| f.problem == "undeclared_field")
            .filter_map(|f| f.field.as_deref())
            .collect()
    }
}

fn sensitive_class(category: &str, profile: SensitivityProfile) -> Option<String> {
    Taxonomy::builtin()
        .get(category)
        .and_then(|c| c.sensitivity(profile))
        .map(|c| c.to_string())
}

/// Whether the declared category accounts for a kind found in its field: the
/// kind's category is the declared one or below it, or the declared
/// category lists the kind among its `scan_kinds`. Kinds without a category
/// are always covered. The one rule for `scan --compare` and the gate.
pub fn covers(declared: &str, kind: Kind) -> bool {
    let Some(cat) = kind.category() else {
        return true;
    };
    Taxonomy::covers(declared, cat)
        || Taxonomy::builtin()
            .get(declared)
            .is_some_and(|c| c.scan_kinds.iter().any(|k| k == kind.as_str()))
}

/// Whether a declared field states that its values match `kind` only by
/// chance (`not_kinds`: order numbers that pass Luhn). `scan --compare`
/// reports no finding for such matches; the gate drops them before it
/// counts, masks or refuses anything.
pub fn matches_by_chance(field: &Field, kind: Kind) -> bool {
    field.not_kinds.iter().any(|k| k == kind.as_str())
}

/// The declared fields' `not_kinds`, as [`crate::ScanOptions::not_kinds`]
/// takes them: a scan compared with a map sets those matches aside as the
/// gate does. Unknown kind names are left out (the map's loader refuses
/// them). Fields of one name (a transfer's, from two datasets) set aside
/// only the kinds every one of them lists, as the gate reads them: a file's
/// field is known by its name only.
pub fn not_kinds(fields: &[&Field]) -> Vec<(String, Vec<Kind>)> {
    let mut by_name: BTreeMap<&str, Vec<Kind>> = BTreeMap::new();
    for f in fields {
        let kinds = Kind::ALL
            .into_iter()
            .filter(|&k| matches_by_chance(f, k))
            .collect();
        by_name
            .entry(&f.name)
            .and_modify(|v| v.retain(|k| matches_by_chance(f, *k)))
            .or_insert(kinds);
    }
    by_name
        .into_iter()
        .filter(|(_, kinds)| !kinds.is_empty())
        .map(|(name, kinds)| (name.to_string(), kinds))
        .collect()
}

/// Whether a declared field accounts for values of `kind` found in it: its
/// category covers the kind ([`covers`]), or they match it by chance
/// ([`matches_by_chance`]).
pub fn accounts_for(field: &Field, kind: Kind) -> bool {
    covers(&field.category, kind) || matches_by_chance(field, kind)
}

/// Compares a scan with declared fields (by name; a file's field names are its columns or key paths).
pub fn compare(report: &ScanReport, map: &DataMap, fields: &[&Field], against: &str) -> Comparison {
    let profile = map.sensitivity_profile;
    let by_name: BTreeMap<&str, &Field> = fields.iter().map(|f| (f.name.as_str(), *f)).collect();
    let mut findings = Vec::new();
    for file in &report.files {
        for fr in &file.fields {
            for (&kind_id, &count) in &fr.kinds {
                let Some(kind) = Kind::from_str_id(kind_id) else {
                    continue;
                };
                let Some(category) = kind.category() else {
                    continue;
                };
                let class = sensitive_class(category, profile);
                let mk = |problem, declared: Option<String>| Finding {
                    path: file.path.clone(),
                    field: fr.field.clone(),
                    problem,
                    kind: kind.as_str(),
                    category,
                    count,
                    declared,
                    sensitive_class: class.clone(),
                };
                match fr.field.as_deref() {
                    None => findings.push(mk("pi_in_free_text", None)),
                    Some(name) if key_kind(name).is_some() => {
                        findings.push(mk("pi_in_field_name", None))
                    }
                    Some(name) => match by_name.get(name) {
                        None => findings.push(mk("undeclared_field", None)),
                        Some(f) if !accounts_for(f, kind) => {
                            let declared_sensitive =
                                sensitive_class(&f.category, profile).is_some();
                            let problem = if class.is_some() && !declared_sensitive {
                                "undeclared_sensitive"
                            } else {
                                "undeclared_category"
                            };
                            findings.push(mk(problem, Some(f.category.clone())));
                        }
                        Some(_) => {}
                    },
                }
            }
        }
    }
    Comparison {
        against: against.to_string(),
        findings,
    }
}

/// The kind of the first key in a report's field path that was itself
/// personal data and stands as `{kind}` (`members.{person_name}.余额`).
fn key_kind(path: &str) -> Option<Kind> {
    path.split('.').find_map(crate::scan::segment_kind)
}

/// The YAML `fields:` block that would declare what the scan found (classified fields
/// get the category of their kind; others a placeholder to review). A
/// field whose path holds a key that is personal data is not suggested,
/// only named in a comment: its real names are the keys themselves, which
/// no declaration can list and the gate refuses.
pub fn suggest_fields(report: &ScanReport, subject: &str) -> String {
    suggest_fields_for(report, subject, |_| true)
}

/// [`suggest_fields`] for the fields whose names `keep` accepts only (the
/// ones a comparison found undeclared, say).
pub fn suggest_fields_for(
    report: &ScanReport,
    subject: &str,
    keep: impl Fn(&str) -> bool,
) -> String {
    let mut seen = BTreeMap::new();
    let mut keyed = std::collections::BTreeSet::new();
    let mut others = false;
    for file in &report.files {
        for fr in &file.fields {
            let Some(name) = &fr.field else { continue };
            if !keep(name) {
                continue;
            }
            if key_kind(name).is_some() {
                keyed.insert(name.clone());
                continue;
            }
            // Many fields, past the report's limit, are not one field.
            if name == crate::OTHER_FIELDS {
                others = true;
                continue;
            }
            // Matches that look like chance (order numbers that pass Luhn)
            // neither name the category nor stay undeclared.
            let category = fr.classified_as.and_then(Kind::category).or_else(|| {
                fr.kinds
                    .iter()
                    .filter(|(k, _)| !fr.by_chance.contains(k))
                    .max_by_key(|(_, c)| **c)
                    .and_then(|(k, _)| Kind::from_str_id(k))
                    .and_then(Kind::category)
            });
            let (_, chance) = seen.entry(name.clone()).or_insert((category, Vec::new()));
            for k in &fr.by_chance {
                if !chance.contains(k) {
                    chance.push(*k);
                }
            }
        }
    }
    let key = report.individuals.key.clone();
    let mut out = String::from("    fields:\n");
    for (name, (category, chance)) in seen {
        let cat = category.unwrap_or("operational");
        let review = if !chance.is_empty() {
            "  # its numbers pass as these kinds only by chance: review"
        } else if category.is_none() {
            "  # no personal information found: review"
        } else {
            ""
        };
        let not_kinds = if chance.is_empty() {
            String::new()
        } else {
            format!(", not_kinds: [{}]", chance.join(", "))
        };
        let sk = if key.as_deref() == Some(name.as_str()) {
            ", subject_key: true"
        } else {
            ""
        };
        let quoted = yaml_scalar(&name);
        out.push_str(&format!(
            "      - {{name: {quoted}, category: {cat}, subject: {subject}{sk}{not_kinds}}}{review}\n"
        ));
    }
    if !keyed.is_empty() {
        out.push_str(
            "      # not suggested: fields whose keys are personal data (a map keyed by\n\
             \x20     # name or number), which no field can declare and the gate refuses;\n\
             \x20     # make those keys values:\n",
        );
    }
    for name in keyed {
        out.push_str(&format!("      #   {}\n", yaml_scalar(&name)));
    }
    if others {
        out.push_str(&format!(
            "      # not suggested: {}, the fields past the report's {} names:\n\
             \x20     # declare them by name\n",
            crate::OTHER_FIELDS,
            crate::MAX_FIELDS
        ));
    }
    out
}

/// `s` as a YAML scalar that reads back as exactly `s`: plain when it is a
/// simple name YAML cannot take for anything else (not `true`, `null`, a
/// number …), otherwise double-quoted, with every character YAML does not
/// accept as printable, and the line breaks of YAML 1.1, escaped. Header
/// cells and table names come from the data: one holding a newline or an
/// escape code must not break the suggested block, or change the name.
pub fn yaml_scalar(s: &str) -> String {
    let simple = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    let reserved = matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
    );
    if simple && !reserved {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        let u = u32::from(c);
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            _ if u >= 0xA0
                && !matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
                ) =>
            {
                out.push(c)
            }
            _ if u <= 0xFFFF => out.push_str(&format!("\\u{u:04X}")),
            _ => out.push_str(&format!("\\U{u:08X}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use outbound_model::load_sources;

    fn map() -> DataMap {
        let text = r#"
version: 1
exporters: [{id: e, name: E, country: CN, ciio: false, individuals_processed: 1}]
systems: [{id: s, name: S, exporter: e, owner: {type: person, name: O}}]
datasets:
  - id: d
    name: D
    system: s
    fields:
      - {name: mobile, category: contact.phone, subject: customer, subject_key: true}
      - {name: note, category: operational, subject: customer}
"#;
        let l = load_sources(&[("m.yaml".into(), text.into())], Taxonomy::builtin());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        l.map
    }

    /// Scans `text` as a file named `name`.
    fn scan(name: &str, text: &str) -> ScanReport {
        scan_with(name, text, &crate::ScanOptions::default())
    }

    fn scan_with(name: &str, text: &str, opts: &crate::ScanOptions) -> ScanReport {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        crate::scan_paths(&[p], opts)
    }

    /// Each finding as (problem, field, kind).
    fn problems(c: &Comparison) -> Vec<(&str, Option<&str>, &str)> {
        c.findings
            .iter()
            .map(|f| (f.problem, f.field.as_deref(), f.kind))
            .collect()
    }

    #[test]
    fn finds_undeclared_fields_categories_and_sensitive_pi() {
        let m = map();
        let fields: Vec<&Field> = m.datasets[0].fields.iter().collect();
        let r = scan(
            "x.csv",
            "mobile,note,card\n13812345678,4111111111111111,4111111111111111\n13912345678,ok,5500000000000004\n",
        );
        let c = compare(&r, &m, &fields, "dataset d");
        let problems = problems(&c);
        assert!(
            problems.contains(&("undeclared_field", Some("card"), "bank_card")),
            "{problems:?}"
        );
        assert!(
            problems.contains(&("undeclared_sensitive", Some("note"), "bank_card")),
            "{problems:?}"
        );
        assert!(
            !problems.iter().any(|p| p.1 == Some("mobile")),
            "mobile is declared: {problems:?}"
        );
        let s = suggest_fields(&r, "customer");
        assert!(
            s.contains("{name: card, category: financial.bank_account, subject: customer}"),
            "{s}"
        );
        assert!(s.contains("{name: mobile, category: contact.phone"), "{s}");
        // Only the undeclared ones, when asked.
        let only = suggest_fields_for(&r, "customer", |n| n == "card");
        assert_eq!(
            only,
            "    fields:\n      - {name: card, category: financial.bank_account, subject: customer}\n"
        );
    }

    /// A field that says its values match a kind only by chance
    /// (`not_kinds`) has no finding for that kind, and only for it.
    #[test]
    fn kinds_a_field_matches_by_chance_are_no_finding() {
        let mut m = map();
        let r = scan(
            "x.csv",
            "mobile,note\n13812345678,4111111111111111 13912345678\n",
        );
        let findings = |m: &DataMap| {
            let fields: Vec<&Field> = m.datasets[0].fields.iter().collect();
            let c = compare(&r, m, &fields, "dataset d");
            problems(&c)
                .iter()
                .map(|p| (p.0.to_string(), p.2.to_string()))
                .collect::<Vec<_>>()
        };
        let before = findings(&m);
        assert!(
            before.contains(&("undeclared_sensitive".into(), "bank_card".into())),
            "{before:?}"
        );
        m.datasets[0].fields[1].not_kinds = vec!["bank_card".into()];
        let after = findings(&m);
        assert!(!after.iter().any(|p| p.1 == "bank_card"), "{after:?}");
        assert!(
            after.iter().any(|p| p.1 == "cn_mobile"),
            "the mobile is still one: {after:?}"
        );
    }

    /// A column of order numbers, a few of which pass Luhn, against a
    /// column of cards: the first is reported as matching by chance and
    /// suggested as `operational` with `not_kinds`, the second as cards;
    /// the suggested block loads, and compared with it the orders make no
    /// finding.
    #[test]
    fn order_numbers_that_pass_luhn_are_suggested_with_not_kinds() {
        let mut rng = crate::corpus::Rng::new(7);
        let mut csv = String::from("order_no,card\n");
        for order in crate::corpus::order_numbers(400, 42) {
            let body = format!("4{:014}", rng.below(100_000_000_000_000));
            let card = format!("{body}{}", crate::corpus::luhn_digit(&body) as char);
            csv.push_str(&format!("{order},{card}\n"));
        }
        let r = scan("o.csv", &csv);
        let field = |n: &str| r.files[0].field(n).unwrap().clone();
        let (order, card) = (field("order_no"), field("card"));
        assert!(
            order.kinds.get("bank_card").is_some_and(|&n| n > 0),
            "{order:?}"
        );
        assert_eq!(order.by_chance, ["bank_card"], "{order:?}");
        assert_eq!(card.kinds.get("bank_card"), Some(&400));
        assert!(card.by_chance.is_empty(), "{card:?}");
        let block = suggest_fields(&r, "customer");
        assert!(
            block.contains(
                "{name: order_no, category: operational, subject: customer, not_kinds: [bank_card]}"
            ),
            "{block}"
        );
        assert!(
            block.contains("{name: card, category: financial.bank_account, subject: customer}"),
            "{block}"
        );
        let text = format!(
            "version: 1\n\
             exporters: [{{id: e, name: E, country: CN, ciio: false, individuals_processed: 1}}]\n\
             systems: [{{id: s, name: S, exporter: e, owner: {{type: person, name: O}}}}]\n\
             datasets:\n  - id: d\n    name: D\n    system: s\n{block}"
        );
        let l = load_sources(&[("m.yaml".into(), text)], Taxonomy::builtin());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let fields: Vec<&Field> = l.map.datasets[0].fields.iter().collect();
        let c = compare(&r, &l.map, &fields, "dataset d");
        assert!(c.findings.is_empty(), "{:?}", problems(&c));
    }

    /// User numbers (11 digits from 1) pass as mobiles seven times in ten;
    /// those starting `10`–`12`, which no mobile does, tell the column from
    /// one of mobiles, which keeps its class even with a few such typos.
    #[test]
    fn user_numbers_that_pass_as_mobiles_are_suggested_with_not_kinds() {
        let mut rng = crate::corpus::Rng::new(9);
        let mut csv = String::from("uid,phone\n");
        for (i, uid) in crate::corpus::user_numbers(400, 42).into_iter().enumerate() {
            // One phone in ten a typo of the unissued kind (12…).
            let lead = if i % 10 == 0 { 2 } else { 3 + rng.below(7) };
            csv.push_str(&format!("{uid},1{lead}{:09}\n", rng.below(1_000_000_000)));
        }
        let r = scan("u.csv", &csv);
        let field = |n: &str| r.files[0].field(n).unwrap().clone();
        let (uid, phone) = (field("uid"), field("phone"));
        let as_mobiles = uid.kinds.get("cn_mobile").copied().unwrap_or(0);
        assert!((240..=320).contains(&as_mobiles), "{uid:?}");
        assert_eq!(uid.by_chance, ["cn_mobile"], "{uid:?}");
        // Seven in ten pass, yet the column is not classified as phones.
        assert_eq!((uid.classified_as, uid.category), (None, None), "{uid:?}");
        assert_eq!(phone.kinds.get("cn_mobile"), Some(&360));
        assert!(phone.by_chance.is_empty(), "{phone:?}");
        assert_eq!(phone.category, Some("contact.phone"), "{phone:?}");
        let block = suggest_fields(&r, "customer");
        assert!(
            block.contains(
                "{name: uid, category: operational, subject: customer, not_kinds: [cn_mobile]}"
            ),
            "{block}"
        );
        assert!(
            block.contains("{name: phone, category: contact.phone, subject: customer}"),
            "{block}"
        );
    }

    /// Fields of one name from two datasets set aside only the kinds both
    /// list (the gate reads them so; the map's loader refuses a transfer
    /// whose fields of one name differ).
    #[test]
    fn fields_of_one_name_set_aside_what_they_all_list() {
        let mut m = map();
        let mut a = m.datasets[0].fields[1].clone();
        a.not_kinds = vec!["bank_card".into(), "cn_mobile".into()];
        let mut b = a.clone();
        b.not_kinds = vec!["cn_mobile".into(), "email".into()];
        let name = a.name.clone();
        assert_eq!(not_kinds(&[&a, &b]), [(name.clone(), vec![Kind::CnMobile])]);
        assert_eq!(
            not_kinds(&[&a]),
            [(name.clone(), vec![Kind::CnMobile, Kind::BankCard])]
        );
        m.datasets[0].fields[1].not_kinds.clear();
        assert_eq!(not_kinds(&[&a, &m.datasets[0].fields[1], &b]), []);
    }

    /// A scan compared with a map sets the matches its `not_kinds` names
    /// aside as the gate does: user numbers count nobody (20 customers'
    /// e-mails count 20 people, where the rows' "mobiles" counted about
    /// 280), order numbers make nobody sensitive; in CSV and JSON lines.
    #[test]
    fn a_maps_not_kinds_are_set_aside_in_the_scan() {
        let users = crate::corpus::user_numbers(400, 42);
        let orders = crate::corpus::order_numbers(400, 43);
        let mut csv = String::from("email,user_no,order_no\n");
        let mut jsonl = String::new();
        for (i, (u, o)) in users.iter().zip(&orders).enumerate() {
            let email = format!("user{}@example.com", i % 20);
            csv.push_str(&format!("{email},{u},{o}\n"));
            jsonl.push_str(&format!(
                "{{\"email\":\"{email}\",\"user_no\":\"{u}\",\"order_no\":\"{o}\"}}\n"
            ));
        }
        let text = "version: 1\n\
             exporters: [{id: e, name: E, country: CN, ciio: false, individuals_processed: 1}]\n\
             systems: [{id: s, name: S, exporter: e, owner: {type: person, name: O}}]\n\
             datasets:\n  - id: d\n    name: D\n    system: s\n    fields:\n\
             \x20     - {name: email, category: contact.email, subject: customer}\n\
             \x20     - {name: user_no, category: operational, subject: customer, not_kinds: [cn_mobile]}\n\
             \x20     - {name: order_no, category: operational, subject: customer, not_kinds: [bank_card]}\n";
        let l = load_sources(&[("m.yaml".into(), text.into())], Taxonomy::builtin());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let fields: Vec<&Field> = l.map.datasets[0].fields.iter().collect();
        let opts = crate::ScanOptions {
            not_kinds: not_kinds(&fields),
            ..Default::default()
        };
        for (name, data) in [("m.csv", &csv), ("m.jsonl", &jsonl)] {
            let before = scan(name, data);
            assert_eq!(before.individuals.key.as_deref(), Some("cn_mobile"));
            assert!(
                before.individuals.distinct > 250,
                "{:?}",
                before.individuals
            );
            assert!(before.individuals.sensitive > 0, "{:?}", before.individuals);
            let r = scan_with(name, data, &opts);
            let field = |n: &str| r.files[0].field(n).unwrap().clone();
            let (user, order) = (field("user_no"), field("order_no"));
            assert_eq!(user.kinds.get("cn_mobile"), None, "{name}: {user:?}");
            let aside = user.set_aside.get("cn_mobile").copied().unwrap_or(0);
            assert!((240..=320).contains(&aside), "{name}: {user:?}");
            assert!(user.by_chance.is_empty(), "{name}: {user:?}");
            assert_eq!(order.kinds.get("bank_card"), None, "{name}: {order:?}");
            assert!(order.set_aside.get("bank_card").is_some_and(|&n| n > 0));
            assert!(field("email").set_aside.is_empty());
            assert_eq!(r.totals.kinds.get("cn_mobile"), None, "{name}");
            assert_eq!(r.individuals.key.as_deref(), Some("email"), "{name}");
            assert_eq!((r.individuals.distinct, r.individuals.sensitive), (20, 0));
            let c = compare(&r, &l.map, &fields, "dataset d");
            assert!(c.findings.is_empty(), "{name}: {:?}", problems(&c));
        }
    }

    /// A map keyed by people's names: its paths (`members.{person_name}`)
    /// stand for keys no declaration can name, so they are findings of
    /// their own, declared or not, and are not suggested; the suggested
    /// block still reads as a data map.
    #[test]
    fn keys_that_are_personal_data_are_findings_no_declaration_covers() {
        let r = scan(
            "m.json",
            r#"{"id": "x", "members": {"张伟": {"余额": 1, "mobile": "13812345678"}, "李娜": {"余额": 2}}}"#,
        );
        let text = "version: 1\n\
            exporters: [{id: e, name: E, country: CN, ciio: false, individuals_processed: 1}]\n\
            systems: [{id: s, name: S, exporter: e, owner: {type: person, name: O}}]\n\
            datasets:\n  - id: d\n    name: D\n    system: s\n";
        let declared = format!(
            "{text}    fields:\n      - {{name: \"members.{{person_name}}\", category: identity.name, subject: customer}}\n      \
             - {{name: \"members.{{person_name}}.mobile\", category: contact.phone, subject: customer}}\n"
        );
        let l = load_sources(&[("m.yaml".into(), declared)], Taxonomy::builtin());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let fields: Vec<&Field> = l.map.datasets[0].fields.iter().collect();
        let c = compare(&r, &l.map, &fields, "dataset d");
        assert_eq!(
            problems(&c),
            [
                (
                    "pi_in_field_name",
                    Some("members.{person_name}"),
                    "person_name"
                ),
                (
                    "pi_in_field_name",
                    Some("members.{person_name}.mobile"),
                    "cn_mobile"
                ),
            ]
        );
        let s = suggest_fields(&r, "customer");
        assert!(!s.contains("{name: \"members"), "{s}");
        assert!(
            s.contains("# not suggested: fields whose keys are personal data")
                && s.contains("      #   \"members.{person_name}\"\n"),
            "{s}"
        );
        let l = load_sources(
            &[("m.yaml".into(), format!("{text}{s}"))],
            Taxonomy::builtin(),
        );
        assert!(l.diagnostics.is_empty(), "{:?}\n{s}", l.diagnostics);
        let names: Vec<&str> = l.map.datasets[0]
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, ["id"]);
    }

    /// Names from the data come back from the suggested block exactly,
    /// whatever they hold: quotes, backslashes, line breaks of every kind,
    /// escape codes, YAML words and numbers, CJK.
    #[test]
    fn suggested_names_read_back_exactly() {
        let names = [
            "id\nno",
            "\u{1b}[31mred",
            "a\"b",
            "back\\slash",
            "tab\there",
            "nel\u{85}x",
            "ls\u{2028}ps\u{2029}",
            "bom\u{feff}",
            "del\u{7f}",
            "c1\u{9b}",
            "true",
            "null",
            "NULL",
            "~",
            "1.5",
            "007",
            "身份证号",
            "emoji😀",
            "#comment",
            "- dash",
            "a: b",
            "{x}",
            " lead",
            "plain_name.v2",
        ];
        for name in names {
            let block = format!(
                "version: 1\n\
                 exporters: [{{id: e, name: E, country: CN, ciio: false, individuals_processed: 1}}]\n\
                 systems: [{{id: s, name: S, exporter: e, owner: {{type: person, name: O}}}}]\n\
                 datasets:\n  - id: d\n    name: {}\n    system: s\n    fields:\n      \
                 - {{name: {}, category: operational, subject: customer}}\n",
                yaml_scalar(name),
                yaml_scalar(name)
            );
            let l = load_sources(&[("m.yaml".into(), block.clone())], Taxonomy::builtin());
            assert!(
                l.diagnostics.is_empty(),
                "{name:?}: {:?}\n{block}",
                l.diagnostics
            );
            assert_eq!(l.map.datasets[0].name, name, "{block}");
            assert_eq!(l.map.datasets[0].fields[0].name, name, "{block}");
        }
    }
}
