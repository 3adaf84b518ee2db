//! The transfer as every per-transfer document describes it: its parties,
//! destination, data and determinations, and the header all documents share.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use outbound_model::{
    DataMap, Exporter, Recipient, SensitivityProfile, SubjectKind, Taxonomy, Transfer,
};
use outbound_rules::assess::TransferAssessment;
use outbound_rules::format::thousands;
use outbound_rules::{Determination, Obligation};
use serde_json::{Value, json};

use super::{Cx, assessment_of};
use crate::Lang;
use crate::destinations::{self, Destinations};
use crate::sources::{Figure, SourceKind};

/// A content fingerprint of the map's files (FNV-1a 64; identifies a revision, not a signature).
fn fingerprint(files: &BTreeSet<String>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        let bytes = std::fs::read(f).unwrap_or_default();
        for b in f.as_bytes().iter().chain(&[0u8]).chain(&bytes) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn map_files(map: &DataMap) -> BTreeSet<String> {
    let mut s = BTreeSet::new();
    for l in map
        .exporters
        .iter()
        .map(|e| &e.loc)
        .chain(map.recipients.iter().map(|r| &r.loc))
        .chain(map.transfers.iter().map(|t| &t.loc))
        .chain(map.datasets.iter().map(|d| &d.loc))
        .chain(map.systems.iter().map(|d| &d.loc))
    {
        if !l.file.is_empty() {
            s.insert(l.file.to_string());
        }
    }
    s
}

pub(super) fn header(cx: &mut Cx<'_, '_>) -> Value {
    let map = cx.input.map;
    let files = map_files(map);
    let fp = fingerprint(&files);
    let files_list = files.iter().cloned().collect::<Vec<_>>().join(", ");
    let revision = match &cx.input.revision {
        Some(r) => format!("{r} / {fp}"),
        None => fp,
    };
    let rev = cx.src.fig(
        revision,
        SourceKind::Map,
        format!("data map files {files_list} (content fingerprint FNV-1a 64)"),
    );
    let as_of = cx.input.assessment.as_of;
    json!({
        "lang": cx.lang.code(),
        "org": map.organisation.clone().unwrap_or_default(),
        "date": cx.date(as_of),
        "revision": rev,
        "tool": format!("Outbound {}", env!("CARGO_PKG_VERSION")),
    })
}

pub(super) fn country_name(cx: &Cx<'_, '_>, code: &str) -> String {
    match Destinations::builtin().get(code) {
        Some(d) => match cx.lang {
            Lang::En => d.en.name.clone(),
            Lang::Zh => d.zh.name.clone(),
        },
        None => {
            let en = outbound_model::country::name(code).unwrap_or(code);
            format!("{en} ({code})")
        }
    }
}

pub(super) fn sensitive_of(
    map: &DataMap,
    f: &outbound_model::Field,
) -> Option<outbound_model::SensitiveClass> {
    if f.subject == SubjectKind::ChildUnder14 {
        return Some(outbound_model::SensitiveClass::MinorUnder14);
    }
    Taxonomy::builtin()
        .get(&f.category)
        .and_then(|c| c.sensitivity(map.sensitivity_profile))
}

fn category_name(cx: &Cx<'_, '_>, id: &str) -> String {
    match Taxonomy::builtin().get(id) {
        Some(c) => match cx.lang {
            Lang::En => c.en.clone(),
            Lang::Zh => c.zh.clone(),
        },
        None => id.to_string(),
    }
}

pub(super) fn retention_text(cx: &Cx<'_, '_>, days: u32) -> String {
    let (n, unit) = if days.is_multiple_of(365) {
        (days / 365, "years")
    } else if days.is_multiple_of(30) {
        (days / 30, "months")
    } else {
        (days, "days")
    };
    cx.t(&format!("unit.{unit}")).replace("{n}", &n.to_string())
}

fn obligation_ctx(cx: &mut Cx<'_, '_>, o: &Obligation, src: &str) -> Value {
    let label = cx.said(&o.label, &o.label_zh).to_string();
    let citation = cx.cite(&o.citation);
    let due = o.due.map(|d| {
        let text = cx.date(d);
        let value = if o.id.ends_with("_retention") {
            format!("{} {text}", cx.t("due.keep_until"))
        } else if d < cx.input.assessment.as_of {
            cx.paren(&text, &cx.overdue(d))
        } else {
            text
        };
        Figure {
            value,
            src: src.to_string(),
        }
    });
    json!({"id": o.id, "label": label, "text": cx.said(&o.text, &o.text_zh), "citation": citation, "due": due, "src": src})
}

fn determination_ctx(cx: &mut Cx<'_, '_>, ta: &TransferAssessment, d: &Determination) -> Value {
    let src = cx.determination_src(ta, d);
    let reasons: Vec<Value> = d
        .reasons
        .iter()
        .map(|r| {
            let c = cx.cite(&r.citation);
            json!({"text": cx.said(&r.text, &r.text_zh), "citation": c})
        })
        .collect();
    let obligations: Vec<Value> = d
        .obligations
        .iter()
        .map(|o| obligation_ctx(cx, o, &src))
        .collect();
    json!({
        "regime": d.regime,
        "instrument": match cx.lang {
            Lang::En => d.instrument.clone(),
            Lang::Zh => outbound_rules::text::instrument_zh(&d.instrument),
        },
        "route": cx.lang.route(d.regime, d.mechanism),
        "route_id": d.mechanism,
        "src": src,
        "satisfied": d.satisfied,
        "status": Figure { value: cx.status(d.satisfied), src },
        "reasons": reasons,
        "obligations": obligations,
    })
}

fn recipient_ctx(cx: &mut Cx<'_, '_>, r: &Recipient) -> Value {
    let what = format!("recipient {}", r.id);
    let measures: Vec<Value> = r
        .security_measures
        .iter()
        .map(|m| {
            let src = cx.map_src(&r.loc, &what, "security_measures");
            json!({"text": m, "src": src})
        })
        .collect();
    let onward: Vec<Value> = r
        .onward_recipients
        .iter()
        .map(|o| {
            let src = cx.map_src(&r.loc, &what, "onward_recipients");
            json!({"name": o.name, "country": country_name(cx, &o.country), "purpose": o.purpose, "src": src})
        })
        .collect();
    json!({
        "id": r.id,
        "name": r.name,
        "country_code": r.country,
        "country": country_name(cx, &r.country),
        "role": cx.t(&format!("role.{}", r.role)),
        "contact": r.contact,
        "src": cx.map_src(&r.loc, &what, "name"),
        "security_measures": measures,
        "onward": onward,
        "dpf_certified": r.dpf_certified,
    })
}

pub(super) fn exporter_ctx(cx: &mut Cx<'_, '_>, e: &Exporter) -> Value {
    let what = format!("exporter {}", e.id);
    // A contact: the first system owner of the exporter that gives one.
    let contact = cx
        .input
        .map
        .systems
        .iter()
        .filter(|s| s.exporter == e.id)
        .find_map(|s| s.owner.contact.clone().map(|c| (c, s.owner.name.clone())));
    json!({
        "id": e.id,
        "name": e.name,
        "country": country_name(cx, &e.country),
        "ciio": e.ciio,
        "src": cx.map_src(&e.loc, &what, "name"),
        "processed": cx.map_fig(thousands(e.individuals_processed), &e.loc, &what, "individuals_processed"),
        "contact": contact.map(|(c, n)| format!("{n} <{c}>")),
    })
}

fn destination_ctx(cx: &mut Cx<'_, '_>, code: &str) -> Value {
    let dests = Destinations::builtin();
    match dests.get(code) {
        Some(d) => {
            let src = cx.src.add(
                SourceKind::Data,
                format!(
                    "{} [{}] (as of {}; {})",
                    destinations::FILE,
                    code,
                    dests.as_of,
                    dests.status
                ),
            );
            let text = match cx.lang {
                Lang::En => &d.en,
                Lang::Zh => &d.zh,
            };
            json!({
                "known": true,
                "name": text.name,
                "government_access": text.government_access,
                "authority": text.authority,
                "redress": text.redress,
                "adequacy": text.adequacy,
                "access_risk": Figure { value: d.access_risk.to_string(), src: src.clone() },
                "access_risk_reason": text.access_risk_reason,
                "laws": d.sources,
                "as_of": cx.date(dests.as_of),
                "src": src,
            })
        }
        None => {
            let src = cx.src.add(
                SourceKind::Data,
                format!(
                    "{} has no entry for {code}: scored 5 (unknown)",
                    destinations::FILE
                ),
            );
            json!({
                "known": false,
                "name": country_name(cx, code),
                "access_risk": Figure { value: "5".into(), src: src.clone() },
                "src": src,
            })
        }
    }
}

/// Fields, categories and sensitivity of a transfer, and the scan gaps of its datasets.
fn data_ctx(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
    let map = cx.input.map;
    let mut fields = Vec::new();
    let mut cats: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    let mut sensitive = BTreeSet::new();
    let mut subjects = BTreeSet::new();
    let mut datasets = BTreeSet::new();
    for f in map.transfer_fields(t) {
        let ds = map
            .datasets
            .iter()
            .find(|d| d.fields.iter().any(|x| std::ptr::eq(x, f)))
            .map(|d| d.id.clone())
            .unwrap_or_default();
        datasets.insert(ds.clone());
        let personal = Taxonomy::builtin()
            .get(&f.category)
            .is_none_or(|c| c.personal);
        let class = if personal { sensitive_of(map, f) } else { None };
        let class_label = class.map(|c| cx.t(&format!("sensitive.{c}")));
        if let Some(c) = class {
            sensitive.insert(c);
        }
        subjects.insert(cx.t(&format!("subject.{}", f.subject)));
        let cat = category_name(cx, &f.category);
        if personal {
            cats.insert(f.category.clone(), (cat.clone(), class_label.clone()));
        }
        let at = cx.loc.find(&f.loc, "category");
        let src = cx.src.add(
            SourceKind::Map,
            format!("{at} (dataset {ds}, field {})", f.name),
        );
        fields.push(json!({
            "dataset": ds, "name": f.name, "category_id": f.category, "category": cat,
            "personal": personal, "sensitive": class_label, "src": src,
        }));
    }
    let categories: Vec<Value> = cats
        .into_iter()
        .map(|(id, (name, s))| json!({"id": id, "name": name, "sensitive": s}))
        .collect();
    let sensitive_labels: Vec<String> = sensitive
        .iter()
        .map(|c| cx.t(&format!("sensitive.{c}")))
        .collect();
    // Scanner evidence: categories found against declared, per dataset.
    let mut scans = Vec::new();
    for ds in &datasets {
        for sf in cx.input.evidence.scans.iter().filter(|s| &s.dataset == ds) {
            let declared: BTreeSet<&str> = map
                .dataset(ds)
                .map(|d| d.fields.iter().map(|f| f.category.as_str()).collect())
                .unwrap_or_default();
            let src = cx.src.add(SourceKind::Scan, sf.run.clone());
            let undeclared: Vec<Value> = sf
                .categories_found
                .iter()
                .filter(|(c, _)| !declared.iter().any(|d| Taxonomy::covers(d, c) || Taxonomy::covers(c, d)))
                .map(|(c, n)| json!({"category": category_name(cx, c), "id": c, "count": Figure { value: thousands(*n), src: src.clone() }}))
                .collect();
            let found: Vec<Value> = sf
                .categories_found
                .iter()
                .map(|(c, n)| json!({"category": category_name(cx, c), "id": c, "count": Figure { value: thousands(*n), src: src.clone() }}))
                .collect();
            let not_found: Vec<String> = declared
                .iter()
                .filter(|d| {
                    !sf.categories_found
                        .iter()
                        .any(|(c, _)| Taxonomy::covers(d, c))
                })
                .filter(|d| Taxonomy::builtin().get(d).is_none_or(|c| c.personal))
                .map(|d| category_name(cx, d))
                .collect();
            scans.push(json!({
                "dataset": ds,
                "records": Figure { value: thousands(sf.records), src: src.clone() },
                "found": found, "undeclared": undeclared, "not_found": not_found,
            }));
        }
    }
    let profile = match map.sensitivity_profile {
        SensitivityProfile::Standard => cx.t("profile.standard"),
        SensitivityProfile::Conservative => cx.t("profile.conservative"),
    };
    json!({
        "fields": fields,
        "categories": categories,
        "sensitive": sensitive_labels,
        "sensitive_classes": sensitive.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "subjects": subjects.into_iter().collect::<Vec<_>>(),
        "scans": scans,
        "scanned": !cx.input.evidence.scans.is_empty(),
        "profile": profile,
    })
}

pub(super) fn transfer_ctx(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
    let map = cx.input.map;
    let what = format!("transfer {}", t.id);
    let exporter = map
        .exporter(&t.exporter)
        .map(|e| exporter_ctx(cx, e))
        .unwrap_or(Value::Null);
    let recipient = map
        .recipient(&t.recipient)
        .map(|r| recipient_ctx(cx, r))
        .unwrap_or(Value::Null);
    let recipient_country = map
        .recipient(&t.recipient)
        .map(|r| r.country.clone())
        .unwrap_or_default();
    let data = data_ctx(cx, t);
    let individuals = cx.map_fig(
        thousands(t.individuals_per_year),
        &t.loc,
        &what,
        "individuals_per_year",
    );
    let ta = assessment_of(cx.input, &t.id);
    let sensitive_n = ta
        .map(|a| a.facts.transfer.sensitive_individuals)
        .unwrap_or(0);
    let sensitive_individuals = if t.sensitive_individuals_per_year.is_some() {
        cx.map_fig(
            thousands(sensitive_n),
            &t.loc,
            &what,
            "sensitive_individuals_per_year",
        )
    } else {
        let src = cx.src.add(
            SourceKind::Method,
            format!("{what}: no sensitive estimate in the map, so every individual counts as sensitive when a sensitive field is included (docs/RULES.md, \"Sensitive individuals\"), else 0"),
        );
        Figure {
            value: thousands(sensitive_n),
            src,
        }
    };
    let retention = cx.map_fig(
        retention_text(cx, t.retention_abroad_days),
        &t.loc,
        &what,
        "retention_abroad",
    );
    let storage_loc = t.storage.location.clone().unwrap_or_default();
    let storage = json!({
        "country": country_name(cx, &t.storage.country),
        "location": storage_loc,
        "src": cx.map_src(&t.loc, &what, "storage"),
    });
    let mechanisms: Vec<Value> = t
        .mechanisms
        .iter()
        .map(|m| {
            let mw = format!("{what}, mechanism {}", m.kind);
            let d = |cx: &mut Cx<'_, '_>, v: Option<Date>, key: &str| {
                v.map(|v| {
                    let s = cx.date(v);
                    cx.map_fig(s, &m.loc, &mw, key)
                })
            };
            json!({
                "kind_id": m.kind.as_str(),
                "kind": cx.t(&format!("mechanism.{}", m.kind)),
                "effective": d(cx, m.effective, "effective"),
                "filed": d(cx, m.filed, "filed"),
                "approved": d(cx, m.approved, "approved"),
                "expires": d(cx, m.expires, "expires"),
                "tia_completed": d(cx, m.tia_completed, "tia_completed"),
                "module": m.module.map(|v| cx.map_fig(v, &m.loc, &mw, "module")),
                "reference": m.reference,
            })
        })
        .collect();
    let pipia = t.pipia.as_ref().map(|p| {
        let d = cx.date(p.completed);
        json!({"completed": cx.map_fig(d, &t.loc, &what, "pipia"), "reference": p.reference})
    });
    let determinations: Vec<Value> = match ta {
        Some(ta) => ta
            .determinations
            .iter()
            .map(|d| determination_ctx(cx, ta, d))
            .collect(),
        None => Vec::new(),
    };
    let conflicts: Vec<Value> = ta.map_or_else(Vec::new, |ta| {
        ta.conflicts
            .iter()
            .map(|c| {
                let citation = cx.cite(&c.citations.join("; "));
                json!({"regimes": c.regimes, "text": cx.said(&c.text, &c.text_zh), "citation": citation})
            })
            .collect()
    });
    let cumulative = ta.map(|ta| {
        let e = &ta.exporter;
        let summary = cx
            .input
            .assessment
            .exporters
            .iter()
            .find(|s| &s.exporter == e);
        let detail = summary.map_or(String::new(), |s| s.counts_source.clone());
        let src = match cx.input.evidence.ledger.iter().find(|l| &l.exporter == e) {
            Some(l) => cx.src.add(SourceKind::Ledger, l.query.clone()),
            None => cx.assessment_src(&format!(
                "exporter {e} cumulative counts since 1 January: {detail}"
            )),
        };
        let c = ta.facts.cumulative.current_year;
        json!({
            "individuals": Figure { value: thousands(c.individuals), src: src.clone() },
            "sensitive": Figure { value: thousands(c.sensitive_individuals), src },
            "year": ta.facts.as_of.year(),
        })
    });
    let dest = destination_ctx(cx, &recipient_country);
    json!({
        "id": t.id,
        "name": t.name.clone().unwrap_or_else(|| t.id.clone()),
        "src": cx.map_src(&t.loc, &what, "id"),
        "purpose": t.purpose,
        "purpose_src": cx.map_src(&t.loc, &what, "purpose"),
        "necessity": cx.t(&format!("necessity.{}", t.necessity)),
        "legal_basis": cx.t(&format!("legal_basis.{}", t.legal_basis)),
        "method": cx.t(&format!("method.{}", t.method)),
        "method_src": cx.map_src(&t.loc, &what, "method"),
        "frequency": cx.t(&format!("frequency.{}", t.frequency)),
        "origin": cx.t(&format!("origin.{}", t.origin)),
        "important_data": t.important_data,
        "individuals": individuals,
        "sensitive_individuals": sensitive_individuals,
        "retention": retention,
        "retention_days": t.retention_abroad_days,
        "storage": storage,
        "exporter": exporter,
        "recipient": recipient,
        "data": data,
        "mechanisms": mechanisms,
        "pipia": pipia,
        "determinations": determinations,
        "conflicts": conflicts,
        "cumulative": cumulative,
        "destination": dest,
    })
}
