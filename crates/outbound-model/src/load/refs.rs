//! Checks across the whole map, which no single file can make: unique ids,
//! references that resolve, field names unique per dataset, known categories.

use std::collections::HashMap;

use crate::diag::{Code, Diagnostic, Loc, did_you_mean};
use crate::map::{DataMap, Dataset, Field, Transfer};
use crate::taxonomy::Taxonomy;

/// Checks what one file cannot: unique ids, references, categories.
pub(super) fn check_references(map: &DataMap, taxonomy: &Taxonomy, diags: &mut Vec<Diagnostic>) {
    fn unique<'a>(
        kind: &str,
        items: impl Iterator<Item = (&'a str, &'a Loc)>,
        diags: &mut Vec<Diagnostic>,
    ) -> HashMap<&'a str, &'a Loc> {
        let mut seen: HashMap<&str, &Loc> = HashMap::new();
        for (id, loc) in items {
            if let Some(first) = seen.get(id) {
                diags.push(Diagnostic {
                    loc: loc.clone(),
                    field: format!("{kind}.id"),
                    code: Code::DuplicateId,
                    message: format!("{kind} id `{id}` is already used at {first}"),
                    help: "give each one a unique id".into(),
                });
            } else {
                seen.insert(id, loc);
            }
        }
        seen
    }
    let exporters = unique(
        "exporter",
        map.exporters.iter().map(|e| (e.id.as_str(), &e.loc)),
        diags,
    );
    let systems = unique(
        "system",
        map.systems.iter().map(|e| (e.id.as_str(), &e.loc)),
        diags,
    );
    let datasets = unique(
        "dataset",
        map.datasets.iter().map(|e| (e.id.as_str(), &e.loc)),
        diags,
    );
    let recipients = unique(
        "recipient",
        map.recipients.iter().map(|e| (e.id.as_str(), &e.loc)),
        diags,
    );
    unique(
        "transfer",
        map.transfers.iter().map(|e| (e.id.as_str(), &e.loc)),
        diags,
    );

    fn missing(
        diags: &mut Vec<Diagnostic>,
        loc: &Loc,
        field: String,
        kind: &str,
        id: &str,
        known: &HashMap<&str, &Loc>,
    ) {
        let help = match did_you_mean(id, known.keys().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if known.is_empty() => format!("define it under `{kind}s:`"),
            None => format!(
                "define it under `{kind}s:` or use one of: {}",
                sorted(known)
            ),
        };
        diags.push(Diagnostic {
            loc: loc.clone(),
            field,
            code: Code::UnknownReference,
            message: format!("{kind} `{id}` does not exist"),
            help,
        });
    }
    for s in &map.systems {
        if !exporters.contains_key(s.exporter.as_str()) {
            missing(
                diags,
                s.key_locs.get("exporter").unwrap_or(&s.loc),
                format!("system {}.exporter", s.id),
                "exporter",
                &s.exporter,
                &exporters,
            );
        }
    }
    for d in &map.datasets {
        if !systems.contains_key(d.system.as_str()) {
            missing(
                diags,
                d.key_locs.get("system").unwrap_or(&d.loc),
                format!("dataset {}.system", d.id),
                "system",
                &d.system,
                &systems,
            );
        }
    }
    for t in &map.transfers {
        if !exporters.contains_key(t.exporter.as_str()) {
            missing(
                diags,
                t.key_locs.get("exporter").unwrap_or(&t.loc),
                format!("transfer {}.exporter", t.id),
                "exporter",
                &t.exporter,
                &exporters,
            );
        }
        if !recipients.contains_key(t.recipient.as_str()) {
            missing(
                diags,
                t.key_locs.get("recipient").unwrap_or(&t.loc),
                format!("transfer {}.recipient", t.id),
                "recipient",
                &t.recipient,
                &recipients,
            );
        }
        for f in &t.fields {
            let field = format!("transfer {}.fields", t.id);
            match map.dataset(&f.dataset) {
                None => missing(diags, &f.loc, field, "dataset", &f.dataset, &datasets),
                Some(d) if f.field != "*" && !d.fields.iter().any(|x| x.name == f.field) => {
                    let known: HashMap<&str, &Loc> =
                        d.fields.iter().map(|x| (x.name.as_str(), &x.loc)).collect();
                    missing(
                        diags,
                        &f.loc,
                        field,
                        "field",
                        &format!("{}.{}", f.dataset, f.field),
                        &known.iter().map(|(k, v)| (*k, *v)).collect(),
                    );
                }
                Some(_) => {}
            }
        }
        if let (Some(e), Some(rc)) = (map.exporter(&t.exporter), map.recipient(&t.recipient))
            && e.country == rc.country
        {
            diags.push(Diagnostic { loc: t.key_locs.get("recipient").unwrap_or(&t.loc).clone(), field: format!("transfer {}.recipient", t.id), code: Code::InvalidValue,
                message: format!("exporter and recipient are both in {}: this is not a cross-border transfer", e.country),
                help: "record only transfers to recipients abroad (Hong Kong, Macao and Taiwan count as abroad for China)".into() });
        }
    }
    for t in &map.transfers {
        same_names_agree(map, t, diags);
    }
    for d in &map.datasets {
        let mut seen = HashMap::new();
        for f in &d.fields {
            if let Some(first) = seen.insert(f.name.as_str(), &f.loc) {
                diags.push(Diagnostic {
                    loc: f.loc.clone(),
                    field: format!("dataset {}.fields", d.id),
                    code: Code::DuplicateId,
                    message: format!("field `{}` is already defined at {first}", f.name),
                    help: "each field name appears once per dataset".into(),
                });
            }
            if taxonomy.get(&f.category).is_none() {
                let help = match did_you_mean(&f.category, taxonomy.categories().iter().map(|c| c.id.as_str())) {
                    Some(s) => format!("did you mean `{s}`? (`outbound rules --taxonomy` lists them)"),
                    None => "use a category id from the taxonomy (`outbound rules --taxonomy` lists them)".into(),
                };
                diags.push(Diagnostic {
                    loc: f.loc.clone(),
                    field: format!("dataset {}.fields.{}.category", d.id, f.name),
                    code: Code::UnknownCategory,
                    message: format!("unknown category `{}`", f.category),
                    help,
                });
            }
            // Kinds the scanner reports are those the taxonomy files under
            // a category: any other word would exempt nothing.
            let kinds = || {
                taxonomy
                    .categories()
                    .iter()
                    .flat_map(|c| c.scan_kinds.iter().map(String::as_str))
            };
            for k in &f.not_kinds {
                if kinds().any(|x| x == k) {
                    continue;
                }
                let mut all: Vec<&str> = kinds().collect();
                all.sort_unstable();
                all.dedup();
                let help = match did_you_mean(k, all.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? (kinds: {})", all.join(", ")),
                    None => format!("list kinds the scanner reports: {}", all.join(", ")),
                };
                diags.push(Diagnostic {
                    loc: f.loc.clone(),
                    field: format!("dataset {}.fields.{}.not_kinds", d.id, f.name),
                    code: Code::InvalidValue,
                    message: format!("`{k}` is not a kind the scanner reports"),
                    help,
                });
            }
        }
    }
}

/// A transfer that sends fields of one name from two datasets declares
/// them alike: the gate knows a batch's fields by name only, so it could
/// not tell which declaration a value falls under (and would have to
/// guess between a category that allows a kind and one that does not).
fn same_names_agree(map: &DataMap, t: &Transfer, diags: &mut Vec<Diagnostic>) {
    /// What the gate reads of a field, as words for the message.
    fn reading(t: &Transfer, d: &Dataset, f: &Field) -> [(&'static str, String); 5] {
        let mut not_kinds: Vec<&str> = f.not_kinds.iter().map(String::as_str).collect();
        not_kinds.sort_unstable();
        not_kinds.dedup();
        [
            ("category", format!("`{}`", f.category)),
            ("subject", format!("`{}`", f.subject)),
            ("subject_key", format!("`{}`", f.subject_key)),
            ("not_kinds", format!("`[{}]`", not_kinds.join(", "))),
            (
                "transform",
                t.transform_of(&d.id, &f.name)
                    .map_or("none".to_string(), |x| format!("`{x}`")),
            ),
        ]
    }
    let mut first: HashMap<&str, (&Dataset, &Field)> = HashMap::new();
    for (d, f) in map.transfer_dataset_fields(t) {
        let Some(&(d0, f0)) = first.get(f.name.as_str()) else {
            first.insert(&f.name, (d, f));
            continue;
        };
        if d0.id == d.id {
            continue;
        }
        let (a, b) = (reading(t, d0, f0), reading(t, d, f));
        let differ: Vec<String> = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| x.1 != y.1)
            .map(|(x, y)| format!("{} {} and {}", x.0, x.1, y.1))
            .collect();
        if differ.is_empty() {
            continue;
        }
        diags.push(Diagnostic {
            loc: t.key_locs.get("fields").unwrap_or(&t.loc).clone(),
            field: format!("transfer {}.fields", t.id),
            code: Code::InvalidValue,
            message: format!(
                "field `{}` is sent from dataset `{}` ({}) and dataset `{}` ({}), declared \
                 differently: {}; the gate knows a batch's fields by name only, so it cannot \
                 tell which applies",
                f.name,
                d0.id,
                f0.loc,
                d.id,
                f.loc,
                differ.join(", ")
            ),
            help: "give both the same category, subject, subject_key, not_kinds and transform, \
                   or send only one of them"
                .into(),
        });
    }
}

fn sorted(m: &HashMap<&str, &Loc>) -> String {
    let mut v: Vec<&str> = m.keys().copied().collect();
    v.sort();
    v.truncate(8);
    v.join(", ")
}
