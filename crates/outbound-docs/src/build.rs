//! From map, assessment and evidence to each document's template context.
//!
//! Every number put into a context is a [`Figure`] carrying the id of its
//! source; the sources and the legal citations used are appended to every
//! context so that each document ends with them.

use std::collections::{BTreeMap, BTreeSet};

use jiff::ToSpan;
use jiff::civil::Date;
use outbound_model::{
    DataMap, Exporter, MechanismKind, Recipient, SensitivityProfile, SubjectKind, Taxonomy,
    Transfer,
};
use outbound_rules::assess::TransferAssessment;
use outbound_rules::calendar::WorkingCalendar;
use outbound_rules::{Determination, Obligation};
use serde_json::{Value, json};

use crate::destinations::{self, Destinations};
use crate::risk::{self, RiskInputs};
use crate::sources::{Figure, KeyLocator, SourceKind, Sources, thousands};
use crate::templates::Strings;
use crate::{Attachment, DocError, DocKind, Document, Input, Lang, chart};

/// The building state of one document.
struct Cx<'a, 'i> {
    input: &'a Input<'i>,
    lang: Lang,
    s: Strings,
    src: Sources,
    citations: Vec<String>,
    loc: KeyLocator,
    attachments: Vec<Attachment>,
}

impl Cx<'_, '_> {
    fn t(&self, key: &str) -> String {
        self.s.t(key)
    }

    /// A citation, recorded for the list at the end and returned in the document's language.
    fn cite(&mut self, c: &str) -> String {
        let c = self.localise_citation(c);
        for part in c.split("; ") {
            if !part.is_empty() && !self.citations.iter().any(|x| x == part) {
                self.citations.push(part.to_string());
            }
        }
        c
    }

    /// Chinese documents name instruments by their Chinese titles (`citation.*` in strings.toml).
    fn localise_citation(&self, c: &str) -> String {
        if self.lang == Lang::En {
            return c.to_string();
        }
        let mut out = c.to_string();
        // Longest names first so that "Standard Contract Measures" wins over "Measures".
        let mut names: Vec<(String, String)> = self
            .s
            .keys()
            .filter_map(|k| k.strip_prefix("citation."))
            .map(|k| (self.s.t(&format!("citation.{k}")), k.to_string()))
            .filter_map(|(zh, k)| {
                self.s
                    .has(&format!("citation_en.{k}"))
                    .then(|| (self.s.t(&format!("citation_en.{k}")), zh))
            })
            .collect();
        names.sort_by_key(|(en, _)| std::cmp::Reverse(en.len()));
        for (en, zh) in names {
            out = out.replace(&en, &zh);
        }
        // "Art. 5(1)" → "第5条(1)"
        let mut res = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(p) = rest.find("Art. ") {
            res.push_str(&rest[..p]);
            let after = &rest[p + 5..];
            let n: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
            if n.is_empty() {
                res.push_str("Art. ");
                rest = after;
            } else {
                res.push_str(&format!("第{n}条"));
                rest = &after[n.len()..];
            }
        }
        res.push_str(rest);
        res.replace("》 第", "》第")
    }

    fn map_fig(
        &mut self,
        value: impl ToString,
        loc: &outbound_model::Loc,
        what: &str,
        key: &str,
    ) -> Figure {
        let at = self.loc.find(loc, key);
        self.src
            .fig(value, SourceKind::Map, format!("{at} ({what}: {key})"))
    }

    fn map_src(&mut self, loc: &outbound_model::Loc, what: &str, key: &str) -> String {
        let at = self.loc.find(loc, key);
        self.src
            .add(SourceKind::Map, format!("{at} ({what}: {key})"))
    }

    fn assessment_src(&mut self, what: &str) -> String {
        let d = self.input.assessment.as_of;
        self.src.add(
            SourceKind::Assessment,
            format!("outbound-rules assessment as of {d}: {what}"),
        )
    }

    /// `a (b)`, with full-width brackets in Chinese.
    fn paren(&self, a: &str, b: &str) -> String {
        match self.lang {
            Lang::En => format!("{a} ({b})"),
            Lang::Zh => format!("{a}（{b}）"),
        }
    }

    fn date(&self, d: Date) -> String {
        match self.lang {
            Lang::En => d.to_string(),
            Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        }
    }
}

/// The documents of one kind.
pub fn documents(
    input: &Input<'_>,
    kind: DocKind,
    transfer: Option<&str>,
    lang: Lang,
) -> Result<Vec<Document>, DocError> {
    let map = input.map;
    if let Some(id) = transfer
        && map.transfer(id).is_none()
    {
        return Err(DocError::UnknownTransfer(id.to_string()));
    }
    let selected: Vec<&Transfer> = match transfer {
        Some(id) => map.transfers.iter().filter(|t| t.id == id).collect(),
        None => map.transfers.iter().collect(),
    };
    let mut out = Vec::new();
    match kind {
        DocKind::Summary => out.push(one(input, kind, lang, None, None)?),
        DocKind::Ropa => {
            let exporters: BTreeSet<&str> = selected
                .iter()
                .filter(|t| is_eu(input, t))
                .map(|t| t.exporter.as_str())
                .collect();
            if exporters.is_empty() {
                return Err(not_applicable(
                    kind,
                    transfer,
                    "no exporter in the EEA (GDPR Art. 30 record)",
                ));
            }
            for e in exporters {
                out.push(one(input, kind, lang, None, Some(e))?);
            }
        }
        _ => {
            for t in &selected {
                match applies(input, kind, t) {
                    Ok(()) => out.push(one(input, kind, lang, Some(t), None)?),
                    Err(why) if transfer.is_some() => {
                        return Err(not_applicable(kind, transfer, &why));
                    }
                    Err(_) => {}
                }
            }
            if out.is_empty() {
                return Err(not_applicable(
                    kind,
                    transfer,
                    "no transfer of the map needs it",
                ));
            }
        }
    }
    Ok(out)
}

fn not_applicable(kind: DocKind, transfer: Option<&str>, why: &str) -> DocError {
    DocError::NotApplicable {
        kind: kind.id(),
        transfer: transfer.unwrap_or("*").to_string(),
        why: why.to_string(),
    }
}

fn assessment_of<'a>(input: &'a Input<'_>, id: &str) -> Option<&'a TransferAssessment> {
    input.assessment.transfers.iter().find(|t| t.transfer == id)
}

fn determination<'a>(input: &'a Input<'_>, id: &str, regime: &str) -> Option<&'a Determination> {
    assessment_of(input, id)?
        .determinations
        .iter()
        .find(|d| d.regime == regime)
}

fn is_eu(input: &Input<'_>, t: &Transfer) -> bool {
    determination(input, &t.id, "EU").is_some()
}

fn uses_standard_contract(input: &Input<'_>, t: &Transfer) -> bool {
    let has = |k| t.mechanisms.iter().any(|m| m.kind == k);
    has(MechanismKind::StandardContract)
        || determination(input, &t.id, "CN").is_some_and(|d| {
            d.mechanism == "standard_contract_or_certification"
                && !has(MechanismKind::Certification)
        })
}

/// Whether a per-transfer document applies, and why not.
fn applies(input: &Input<'_>, kind: DocKind, t: &Transfer) -> Result<(), String> {
    match kind {
        DocKind::Pipia => determination(input, &t.id, "CN")
            .map(|_| ())
            .ok_or_else(|| {
                "the PIPIA is for exports under Chinese law; this transfer gets no CN determination"
                    .into()
            }),
        DocKind::Annex | DocKind::Filing => {
            if uses_standard_contract(input, t) {
                Ok(())
            } else {
                let route = determination(input, &t.id, "CN").map_or("none", |d| d.mechanism);
                Err(format!(
                    "it does not rely on the standard contract (CN route: {route})"
                ))
            }
        }
        DocKind::Tia => {
            let scc = t.mechanisms.iter().any(|m| m.kind == MechanismKind::Scc);
            let safeguards = determination(input, &t.id, "EU")
                .is_some_and(|d| d.mechanism == "appropriate_safeguards");
            if scc || safeguards {
                Ok(())
            } else {
                Err("a transfer impact assessment accompanies SCC transfers; this transfer does not rely on SCCs".into())
            }
        }
        DocKind::Ropa | DocKind::Summary => Ok(()),
    }
}

fn one(
    input: &Input<'_>,
    kind: DocKind,
    lang: Lang,
    t: Option<&Transfer>,
    exporter: Option<&str>,
) -> Result<Document, DocError> {
    let mut cx = Cx {
        input,
        lang,
        s: input.templates.strings(lang)?,
        src: Sources::default(),
        citations: Vec::new(),
        loc: KeyLocator::new(),
        attachments: Vec::new(),
    };
    let mut ctx = header(&mut cx);
    let body = match (kind, t) {
        (DocKind::Pipia, Some(t)) => pipia(&mut cx, t),
        (DocKind::Annex, Some(t)) => annex(&mut cx, t),
        (DocKind::Filing, Some(t)) => filing(&mut cx, t),
        (DocKind::Tia, Some(t)) => tia(&mut cx, t),
        (DocKind::Ropa, _) => ropa(&mut cx, exporter.unwrap_or_default()),
        _ => summary(&mut cx),
    };
    merge(&mut ctx, body);
    let subject = t.map(|t| t.id.as_str()).or(exporter);
    // Citations every document of a kind rests on, whatever the data.
    for c in fixed_citations(kind) {
        cx.cite(c);
    }
    let sources: Vec<Value> = cx
        .src
        .list()
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "kind": cx.s.t(&format!("source_kind.{}", serde_json::to_value(s.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())),
                "detail": s.detail,
            })
        })
        .collect();
    merge(
        &mut ctx,
        json!({"sources": sources, "citations": cx.citations}),
    );
    let markdown = input.templates.render(kind, lang, &ctx)?;
    let markdown = tidy(&renumber(&markdown));
    let title = markdown
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or(kind.id())
        .to_string();
    let stem = match subject {
        Some(s) => format!("{}-{s}.{}", kind.id(), lang.code()),
        None => format!("{}.{}", kind.id(), lang.code()),
    };
    Ok(Document {
        kind,
        lang,
        stem,
        title,
        markdown,
        attachments: cx.attachments,
    })
}

/// Numbers the sources in the order the text first refers to them, and drops
/// the ones it never refers to; definitions (`[^sN]: …`) are listed in that order.
pub fn renumber(md: &str) -> String {
    fn def_id(line: &str) -> Option<&str> {
        let rest = line.strip_prefix("[^s")?;
        let end = rest.find("]: ")?;
        rest[..end]
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| &rest[..end])
    }
    let mut order: Vec<String> = Vec::new();
    for line in md.lines().filter(|l| def_id(l).is_none()) {
        let mut rest = line;
        while let Some(p) = rest.find("[^s") {
            let after = &rest[p + 3..];
            let n: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
            if !n.is_empty() && after[n.len()..].starts_with(']') && !order.contains(&n) {
                order.push(n.clone());
            }
            rest = &after[n.len()..];
        }
    }
    let new_id = |old: &str| order.iter().position(|o| o == old).map(|i| i + 1);
    let rewrite = |line: &str| -> String {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(p) = rest.find("[^s") {
            out.push_str(&rest[..p]);
            let after = &rest[p + 3..];
            let n: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
            match new_id(&n) {
                Some(k) if after[n.len()..].starts_with(']') => out.push_str(&format!("[^s{k}")),
                _ => out.push_str("[^s"),
            }
            rest = &after[n.len()..];
        }
        out.push_str(rest);
        out
    };
    let mut defs: Vec<(usize, String)> = md
        .lines()
        .filter_map(|l| def_id(l).and_then(|id| new_id(id).map(|k| (k, rewrite(l)))))
        .collect();
    defs.sort_by_key(|(k, _)| *k);
    let mut out = String::with_capacity(md.len());
    let mut emitted = false;
    for line in md.lines() {
        if def_id(line).is_some() {
            if !emitted {
                for (_, d) in &defs {
                    out.push_str(d);
                    out.push_str("\n\n");
                }
                emitted = true;
            }
            continue;
        }
        out.push_str(&rewrite(line));
        out.push('\n');
    }
    out
}

/// Collapses runs of blank lines left by template blocks and ends with one newline.
fn tidy(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut blank = 0;
    for line in md.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_start_matches('\n').trim_end().to_string() + "\n"
}

fn fixed_citations(kind: DocKind) -> &'static [&'static str] {
    match kind {
        DocKind::Pipia => &[
            "PIPL Art. 55",
            "PIPL Art. 56",
            "Standard Contract Measures Art. 5",
        ],
        DocKind::Annex => &["Standard Contract Measures Art. 6", "GB/T 35273-2020"],
        DocKind::Filing => &[
            "Standard Contract Measures Art. 7",
            "Standard Contract Measures Art. 8",
        ],
        DocKind::Ropa => &["GDPR Art. 30(1)"],
        DocKind::Tia => &[
            "GDPR Art. 46(2)(c)",
            "Decision (EU) 2021/914",
            "CJEU C-311/18 (Schrems II)",
            "EDPB Recommendations 01/2020",
        ],
        DocKind::Summary => &[],
    }
}

fn merge(a: &mut Value, b: Value) {
    if let (Value::Object(a), Value::Object(b)) = (a, b) {
        a.extend(b);
    }
}

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

fn header(cx: &mut Cx<'_, '_>) -> Value {
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

// ---------------------------------------------------------------------------
// The transfer, as every per-transfer document describes it.

fn country_name(cx: &Cx<'_, '_>, code: &str) -> String {
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

fn sensitive_of(
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

fn retention_text(cx: &Cx<'_, '_>, days: u32) -> String {
    let (n, unit) = if days.is_multiple_of(365) {
        (days / 365, "years")
    } else if days.is_multiple_of(30) {
        (days / 30, "months")
    } else {
        (days, "days")
    };
    cx.t(&format!("unit.{unit}")).replace("{n}", &n.to_string())
}

fn obligation_ctx(cx: &mut Cx<'_, '_>, o: &Obligation, as_of: Date, src: &str) -> Value {
    let label = cx.t(&format!("obligation.{}", o.id));
    let citation = cx.cite(&o.citation);
    let due = o.due.map(|d| {
        let text = cx.date(d);
        let value = if o.id.ends_with("_retention") {
            format!("{} {text}", cx.t("due.keep_until"))
        } else if d < as_of {
            let late = cx
                .t("due.overdue")
                .replace("{n}", &(as_of - d).get_days().to_string());
            cx.paren(&text, &late)
        } else {
            text
        };
        Figure {
            value,
            src: src.to_string(),
        }
    });
    json!({"id": o.id, "label": label, "text": o.text, "citation": citation, "due": due, "src": src})
}

fn determination_ctx(cx: &mut Cx<'_, '_>, ta: &TransferAssessment, d: &Determination) -> Value {
    let src = cx.assessment_src(&format!(
        "transfer {} ({}), regime {}",
        ta.transfer, ta.source, d.regime
    ));
    let as_of = cx.input.assessment.as_of;
    let reasons: Vec<Value> = d
        .reasons
        .iter()
        .map(|r| {
            let c = cx.cite(&r.citation);
            json!({"text": r.text, "citation": c})
        })
        .collect();
    let obligations: Vec<Value> = d
        .obligations
        .iter()
        .map(|o| obligation_ctx(cx, o, as_of, &src))
        .collect();
    json!({
        "regime": d.regime,
        "instrument": d.instrument,
        "route": cx.t(&format!("route.{}", d.mechanism)),
        "route_id": d.mechanism,
        "src": src,
        "satisfied": d.satisfied,
        "status": Figure { value: cx.t(if d.satisfied { "status.in_place" } else { "status.not_in_place" }), src },
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

fn exporter_ctx(cx: &mut Cx<'_, '_>, e: &Exporter) -> Value {
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
                "access_risk_reason": d.access_risk_reason,
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

fn transfer_ctx(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
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
        "cumulative": cumulative,
        "destination": dest,
    })
}

// ---------------------------------------------------------------------------
// PIPIA

fn pipia(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
    let tc = transfer_ctx(cx, t);
    let map = cx.input.map;
    let r = map.recipient(&t.recipient);
    let dest = Destinations::builtin().get(r.map_or("", |r| r.country.as_str()));
    let sensitive: Vec<outbound_model::SensitiveClass> = tc["data"]["sensitive_classes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().and_then(outbound_model::SensitiveClass::parse))
        .collect();
    let inputs = RiskInputs {
        sensitive,
        individuals: t.individuals_per_year,
        security_measures: r.map_or(0, |r| r.security_measures.len()),
        method: t.method,
        onward: r.map_or(0, |r| r.onward_recipients.len()),
        retention_days: t.retention_abroad_days,
        role: r.map_or(outbound_model::RecipientRole::Controller, |r| r.role),
        access_risk: dest.map_or(5, |d| d.access_risk),
    };
    let what = format!("transfer {}", t.id);
    // The source of each factor.
    let rwhat = format!("recipient {}", t.recipient);
    let dsrc = tc["destination"]["src"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let factor_src = |cx: &mut Cx<'_, '_>, id: &str| -> String {
        match (id, r) {
            ("sec", Some(r)) => cx.map_src(&r.loc, &rwhat, "security_measures"),
            ("onward", Some(r)) => cx.map_src(&r.loc, &rwhat, "onward_recipients"),
            ("controller", Some(r)) => cx.map_src(&r.loc, &rwhat, "role"),
            ("exposure", _) => cx.map_src(&t.loc, &what, "method"),
            ("retention", _) => cx.map_src(&t.loc, &what, "retention_abroad"),
            ("volume", _) => cx.map_src(&t.loc, &what, "individuals_per_year"),
            ("sensitive" | "special", _) => cx.map_src(&t.loc, &what, "fields"),
            ("redress" | "access", _) => dsrc.clone(),
            _ => cx.src.add(SourceKind::Method, "risk scoring method (section 4.1 of this report; crates/outbound-docs/src/risk.rs)"),
        }
    };
    let method_src = cx.src.add(
        SourceKind::Method,
        "risk scoring method (section 4.1 of this report; crates/outbound-docs/src/risk.rs)",
    );
    let (_, impact_factors) = risk::impact(&inputs);
    let impact_factors: Vec<Value> = impact_factors
        .iter()
        .map(|f| {
            let src = factor_src(cx, f.id);
            json!({"label": cx.t(&format!("factor.{}", f.id)), "points": Figure { value: format!("+{}", f.points), src }})
        })
        .collect();
    let has_contract = t.mechanisms.iter().any(|m| {
        matches!(
            m.kind,
            MechanismKind::StandardContract
                | MechanismKind::Certification
                | MechanismKind::SecurityAssessment
        )
    });
    let measures: Vec<String> = r.map(|r| r.security_measures.clone()).unwrap_or_default();
    let scored = risk::score(&inputs);
    let mut worst = "low";
    let rank = |l: &str| {
        ["low", "medium", "high", "very_high"]
            .iter()
            .position(|x| *x == l)
            .unwrap_or(0)
    };
    let risks: Vec<Value> = scored
        .iter()
        .map(|s| {
            if rank(s.level) > rank(worst) {
                worst = s.level;
            }
            let factors: Vec<Value> = s
                .factors
                .iter()
                .map(|f| {
                    let src = factor_src(cx, f.id);
                    json!({"label": cx.t(&format!("factor.{}", f.id)), "points": Figure { value: format!("+{}", f.points), src }})
                })
                .collect();
            let mut mitigations: Vec<String> = Vec::new();
            match s.id {
                "tampering" | "leakage" | "loss" => mitigations.extend(measures.iter().cloned()),
                _ => {}
            }
            if has_contract {
                mitigations.push(cx.t(&format!("mitigation.{}", s.id)));
            }
            if mitigations.is_empty() {
                mitigations.push(cx.t("mitigation.none"));
            }
            json!({
                "id": s.id,
                "name": cx.t(&format!("risk.{}", s.id)),
                "likelihood": Figure { value: s.likelihood.to_string(), src: method_src.clone() },
                "impact": Figure { value: s.impact.to_string(), src: method_src.clone() },
                "score": Figure { value: s.score.to_string(), src: method_src.clone() },
                "level": cx.t(&format!("level.{}", s.level)),
                "factors": factors,
                "mitigations": mitigations,
            })
        })
        .collect();
    let satisfied = cx
        .input
        .assessment
        .transfers
        .iter()
        .find(|a| a.transfer == t.id)
        .map(|a| a.determinations.iter().all(|d| d.satisfied))
        .unwrap_or(false);
    let conclusion = if !satisfied {
        "route_missing"
    } else if rank(worst) >= 2 {
        "measures_needed"
    } else {
        "acceptable"
    };
    let as_of = cx.input.assessment.as_of;
    let keep_until = as_of
        .checked_add(3.years())
        .ok()
        .map(|d| d.checked_sub(1.day()).unwrap_or(d))
        .unwrap_or(as_of);
    let keep_until = {
        let d = cx.date(keep_until);
        let src = cx.src.add(
            SourceKind::Data,
            "outbound-rules data/cn.toml [deadlines] pipia_retention_years = 3 (PIPL Art. 56)",
        );
        Figure { value: d, src }
    };
    cx.cite("PIPL Art. 56");
    json!({
        "t": tc,
        "risks": risks,
        "impact_factors": impact_factors,
        "worst": cx.t(&format!("level.{worst}")),
        "conclusion": cx.t(&format!("conclusion.{conclusion}")),
        "conclusion_id": conclusion,
        "keep_until": keep_until,
    })
}

// ---------------------------------------------------------------------------
// Annex I and II

fn annex(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
    let tc = transfer_ctx(cx, t);
    let what = format!("transfer {}", t.id);
    // Retention as the date range the official form asks for: from the contract's effect.
    let start = t
        .mechanisms
        .iter()
        .find(|m| m.kind == MechanismKind::StandardContract)
        .and_then(|m| m.effective.map(|d| (d, m.loc.clone())));
    let range = start.and_then(|(d, loc)| {
        let end = d
            .checked_add(i64::from(t.retention_abroad_days).days())
            .ok()?;
        let text = format!("{} – {}", cx.date(d), cx.date(end));
        let a = cx.loc.find(&loc, "effective");
        let b = cx.loc.find(&t.loc, "retention_abroad");
        Some(cx.src.fig(
            text,
            SourceKind::Map,
            format!("{a} + {b} ({what}: contract effective date + retention_abroad)"),
        ))
    });
    json!({"t": tc, "retention_range": range})
}

// ---------------------------------------------------------------------------
// Filing package

fn filing(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
    let tc = transfer_ctx(cx, t);
    let as_of = cx.input.assessment.as_of;
    let what = format!("transfer {}", t.id);
    let sc = t
        .mechanisms
        .iter()
        .find(|m| m.kind == MechanismKind::StandardContract);
    // The deadline: the rules' `filing` obligation when still open, else computed from the effective date.
    let obligation = determination(cx.input, &t.id, "CN")
        .and_then(|d| d.obligations.iter().find(|o| o.id == "filing"))
        .cloned();
    let cal = WorkingCalendar::china();
    let deadline = match (&obligation, sc.and_then(|m| m.effective)) {
        (Some(o), _) if o.due.is_some() => {
            let src = cx.assessment_src(&format!(
                "transfer {}, obligation filing ({})",
                t.id, o.citation
            ));
            o.due.map(|d| (d, src))
        }
        (_, Some(eff)) => {
            let wd = cal.add_working_days(eff, 10);
            let year_src = cal.year(wd.date.year()).map_or(
                "no official calendar on file: Monday to Friday counted".to_string(),
                |y| y.source.clone(),
            );
            let src = cx.src.add(
                SourceKind::Data,
                format!("10 working days after {eff} (outbound-rules data/cn.toml filing_working_days; calendar: {year_src})"),
            );
            Some((wd.date, src))
        }
        _ => None,
    };
    let filed = sc.and_then(|m| m.filed);
    let deadline_ctx = deadline.map(|(d, src)| {
        let state = match filed {
            Some(f) if f <= d => cx.t("filing.filed_in_time"),
            Some(_) => cx.t("filing.filed_late"),
            None if d < as_of => cx
                .t("due.overdue")
                .replace("{n}", &(as_of - d).get_days().to_string()),
            None => cx.t("filing.open"),
        };
        json!({"date": Figure { value: cx.date(d), src }, "state": state})
    });
    cx.cite("Standard Contract Measures Art. 7");
    // Materials (SCC Filing Guide, 2nd ed., 2024-03-22).
    let contract_ready = sc.is_some_and(|m| m.effective.is_some() && m.reference.is_some());
    let pipia_ready = t.pipia.is_some();
    let mut materials = Vec::new();
    for (id, state, src) in [
        ("uscc_copy", "not_tracked", None),
        ("legal_rep_id", "not_tracked", None),
        ("agent_id", "not_tracked", None),
        ("authorisation", "not_tracked", None),
        ("commitment", "not_tracked", None),
        (
            "contract",
            if contract_ready { "ready" } else { "missing" },
            sc.map(|m| {
                cx.map_src(
                    &m.loc,
                    &format!("{what}, mechanism standard_contract"),
                    "reference",
                )
            }),
        ),
        (
            "pipia_report",
            if pipia_ready { "ready" } else { "missing" },
            Some(cx.map_src(&t.loc, &what, "pipia")),
        ),
        ("other", "not_tracked", None),
    ] {
        materials.push(json!({
            "name": cx.t(&format!("material.{id}")),
            "state": Figure { value: cx.t(&format!("state.{state}")), src: src.unwrap_or_else(|| cx.src.add(SourceKind::Method, "not recorded in the data map: to be confirmed by the filing officer")) },
            "ready": state == "ready",
        }));
    }
    let triggers = refiling_triggers(cx, t);
    json!({
        "t": tc,
        "deadline": deadline_ctx,
        "filed": filed.map(|f| { let d = cx.date(f); cx.map_fig(d, &sc.expect("filed implies a contract").loc, &format!("{what}, mechanism standard_contract"), "filed") }),
        "materials": materials,
        "missing": materials_missing(&cx.s, contract_ready, pipia_ready),
        "compared": cx.input.filed_map.is_some(),
        "triggers": triggers,
    })
}

fn materials_missing(s: &Strings, contract: bool, pipia: bool) -> Vec<String> {
    let mut v = Vec::new();
    if !contract {
        v.push(s.t("material.contract"));
    }
    if !pipia {
        v.push(s.t("material.pipia_report"));
    }
    v
}

/// Standard Contract Measures Art. 8: what changed since the map that was filed.
fn refiling_triggers(cx: &mut Cx<'_, '_>, t: &Transfer) -> Vec<Value> {
    let Some(filed) = cx.input.filed_map else {
        return Vec::new();
    };
    let now = cx.input.map;
    let what = format!("transfer {}", t.id);
    let Some(old) = filed.transfer(&t.id) else {
        let src = cx.map_src(&t.loc, &what, "id");
        return vec![
            json!({"trigger": cx.t("trigger.new_transfer"), "change": Figure { value: t.id.clone(), src }}),
        ];
    };
    let mut out = Vec::new();
    let mut push = |cx: &mut Cx<'_, '_>, key: &str, trig: &str, before: String, after: String| {
        let a = cx.loc.find(&t.loc, key);
        let b = cx.loc.find(&old.loc, key);
        let src = cx.src.add(SourceKind::Map, format!("{a} ({what}: {key})"));
        let fsrc = cx
            .src
            .add(SourceKind::FiledMap, format!("{b} ({what}: {key})"));
        out.push(json!({
            "trigger": cx.t(&format!("trigger.{trig}")),
            "before": Figure { value: before, src: fsrc },
            "after": Figure { value: after, src },
        }));
    };
    if t.purpose != old.purpose {
        push(
            cx,
            "purpose",
            "purpose",
            old.purpose.clone(),
            t.purpose.clone(),
        );
    }
    let cats = |m: &DataMap, t: &Transfer| -> BTreeSet<String> {
        m.transfer_fields(t).map(|f| f.category.clone()).collect()
    };
    let (c_old, c_new) = (cats(filed, old), cats(now, t));
    let added: Vec<String> = c_new.difference(&c_old).cloned().collect();
    if !added.is_empty() {
        push(
            cx,
            "fields",
            "categories",
            c_old.iter().cloned().collect::<Vec<_>>().join(", "),
            format!("+ {}", added.join(", ")),
        );
    }
    let sens = |m: &DataMap, t: &Transfer| -> BTreeSet<String> {
        m.transfer_fields(t)
            .filter_map(|f| sensitive_of(m, f))
            .map(|c| c.as_str().to_string())
            .collect()
    };
    let (s_old, s_new) = (sens(filed, old), sens(now, t));
    if s_new.difference(&s_old).next().is_some() {
        push(
            cx,
            "fields",
            "sensitivity",
            s_old.into_iter().collect::<Vec<_>>().join(", "),
            s_new.into_iter().collect::<Vec<_>>().join(", "),
        );
    }
    if t.individuals_per_year > old.individuals_per_year {
        push(
            cx,
            "individuals_per_year",
            "scale",
            thousands(old.individuals_per_year),
            thousands(t.individuals_per_year),
        );
    }
    if t.method != old.method {
        push(
            cx,
            "method",
            "method",
            old.method.to_string(),
            t.method.to_string(),
        );
    }
    if t.storage.country != old.storage.country || t.storage.location != old.storage.location {
        let show = |s: &outbound_model::Storage| {
            format!("{} {}", s.country, s.location.clone().unwrap_or_default())
                .trim()
                .to_string()
        };
        push(
            cx,
            "storage",
            "storage",
            show(&old.storage),
            show(&t.storage),
        );
    }
    if t.retention_abroad_days > old.retention_abroad_days {
        let (a, b) = (
            retention_text(cx, old.retention_abroad_days),
            retention_text(cx, t.retention_abroad_days),
        );
        push(cx, "retention_abroad", "retention", a, b);
    }
    if t.recipient != old.recipient {
        push(
            cx,
            "recipient",
            "recipient",
            old.recipient.clone(),
            t.recipient.clone(),
        );
    } else if let (Some(rn), Some(ro)) =
        (now.recipient(&t.recipient), filed.recipient(&old.recipient))
    {
        let on = |r: &Recipient| {
            r.onward_recipients
                .iter()
                .map(|o| format!("{} ({})", o.name, o.country))
                .collect::<Vec<_>>()
        };
        if on(rn) != on(ro) {
            push(
                cx,
                "recipient",
                "onward",
                on(ro).join(", "),
                on(rn).join(", "),
            );
        }
        if rn.country != ro.country {
            push(
                cx,
                "recipient",
                "destination",
                ro.country.clone(),
                rn.country.clone(),
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------
// GDPR: Art. 30 record and transfer impact assessment

fn ropa(cx: &mut Cx<'_, '_>, exporter: &str) -> Value {
    let map = cx.input.map;
    let e = map.exporter(exporter);
    let ectx = e.map(|e| exporter_ctx(cx, e)).unwrap_or(Value::Null);
    let transfers: Vec<&Transfer> = map
        .transfers
        .iter()
        .filter(|t| t.exporter == exporter && is_eu(cx.input, t))
        .collect();
    let rows: Vec<Value> = transfers
        .iter()
        .map(|t| {
            let tc = transfer_ctx(cx, t);
            json!({"t": tc})
        })
        .collect();
    cx.cite("GDPR Art. 30(1)");
    json!({"exporter": ectx, "rows": rows})
}

fn tia(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
    let tc = transfer_ctx(cx, t);
    let scc = t.mechanisms.iter().find(|m| m.kind == MechanismKind::Scc);
    let dest = Destinations::builtin()
        .get(tc["recipient"]["country_code"].as_str().unwrap_or_default())
        .map(|d| d.access_risk)
        .unwrap_or(5);
    let outcome = if scc.is_none() {
        "no_scc"
    } else if dest >= 4 {
        "supplementary"
    } else {
        "effective"
    };
    cx.cite("EDPB Recommendations 01/2020");
    json!({
        "t": tc,
        "scc": scc.is_some(),
        "tia_done": scc.and_then(|m| m.tia_completed).is_some(),
        "outcome": cx.t(&format!("tia_outcome.{outcome}")),
        "outcome_id": outcome,
    })
}

// ---------------------------------------------------------------------------
// Compliance summary

fn summary(cx: &mut Cx<'_, '_>) -> Value {
    let a = cx.input.assessment;
    let map = cx.input.map;
    let as_of = a.as_of;
    let mut rows = Vec::new();
    for ta in &a.transfers {
        let t = map.transfer(&ta.transfer);
        let src = match t {
            Some(t) => cx.map_src(&t.loc, &format!("transfer {}", t.id), "id"),
            None => cx.src.add(SourceKind::Map, ta.source.clone()),
        };
        for d in &ta.determinations {
            let dsrc = cx.assessment_src(&format!(
                "transfer {} ({}), regime {}",
                ta.transfer, ta.source, d.regime
            ));
            let open: Vec<&Obligation> = d
                .obligations
                .iter()
                .filter(|o| !o.id.ends_with("_retention"))
                .collect();
            let next = open
                .iter()
                .filter_map(|o| o.due.map(|due| (due, o)))
                .min_by_key(|(due, _)| *due);
            let next = next.map(|(due, o)| {
                let mut v = format!("{} {}", cx.t(&format!("obligation.{}", o.id)), cx.date(due));
                if due < as_of {
                    let late = cx
                        .t("due.overdue")
                        .replace("{n}", &(as_of - due).get_days().to_string());
                    v = cx.paren(&v, &late);
                }
                Figure {
                    value: v,
                    src: dsrc.clone(),
                }
            });
            for o in &d.obligations {
                cx.cite(&o.citation);
            }
            rows.push(json!({
                "id": Figure { value: ta.transfer.clone(), src: src.clone() },
                "from": ta.exporter, "to": country_name(cx, &ta.recipient_country),
                "regime": d.regime,
                "route": cx.t(&format!("route.{}", d.mechanism)),
                "status": Figure { value: cx.t(if d.satisfied { "status.in_place" } else { "status.not_in_place" }), src: dsrc.clone() },
                "satisfied": d.satisfied,
                "open": Figure { value: open.len().to_string(), src: dsrc.clone() },
                "next": next,
            }));
        }
        if let Some(err) = &ta.error {
            let dsrc = cx.assessment_src(&format!("transfer {}: {err}", ta.transfer));
            rows.push(json!({
                "id": Figure { value: ta.transfer.clone(), src: src.clone() },
                "from": ta.exporter, "to": country_name(cx, &ta.recipient_country),
                "regime": "—", "route": "—", "satisfied": false,
                "status": Figure { value: cx.t("status.error"), src: dsrc.clone() },
                "open": Figure { value: "—".into(), src: dsrc }, "next": null,
            }));
        }
    }
    let not_in_place = rows.iter().filter(|r| r["satisfied"] == false).count();
    let overdue: usize = a
        .transfers
        .iter()
        .flat_map(|t| &t.determinations)
        .flat_map(|d| &d.obligations)
        .filter(|o| !o.id.ends_with("_retention") && o.due.is_some_and(|d| d < as_of))
        .count();
    let all_src = cx.assessment_src("all transfers");
    let kpis = json!({
        "transfers": Figure { value: a.transfers.len().to_string(), src: all_src.clone() },
        "not_in_place": Figure { value: not_in_place.to_string(), src: all_src.clone() },
        "overdue": Figure { value: overdue.to_string(), src: all_src },
    });
    // Threshold headroom and charts, per Chinese exporter.
    let mut exporters = Vec::new();
    for s in &a.exporters {
        if s.thresholds.is_empty() {
            continue;
        }
        let e = map.exporter(&s.exporter);
        let ledger = cx
            .input
            .evidence
            .ledger
            .iter()
            .find(|l| l.exporter == s.exporter && l.year == as_of.year())
            .cloned();
        let count_src = match &ledger {
            Some(l) => cx.src.add(SourceKind::Ledger, l.query.clone()),
            None => {
                let stated = e.and_then(|e| {
                    e.exported_this_year
                        .as_ref()
                        .map(|_| cx.loc.find(&e.loc, "exported_this_year"))
                });
                let detail = match stated {
                    Some(at) => format!(
                        "exporter {} counts since 1 January: {} (stated at {at})",
                        s.exporter, s.counts_source
                    ),
                    None => format!(
                        "exporter {} counts since 1 January: {}",
                        s.exporter, s.counts_source
                    ),
                };
                cx.assessment_src(&detail)
            }
        };
        let lines: Vec<Value> = s
            .thresholds
            .iter()
            .map(|l| {
                let tsrc = cx.src.add(
                    SourceKind::Data,
                    format!(
                        "outbound-rules data/cn.toml threshold {} {} ≥ {} ({})",
                        l.route, l.measure, l.at_least, l.citation
                    ),
                );
                let citation = cx.cite(&l.citation);
                let headroom = if l.reached {
                    cx.t("headroom.reached")
                } else {
                    thousands(l.at_least - l.count)
                };
                json!({
                    "measure": cx.t(&format!("measure.{}", l.measure)),
                    "count": Figure { value: thousands(l.count), src: count_src.clone() },
                    "threshold": Figure { value: thousands(l.at_least), src: tsrc.clone() },
                    "headroom": Figure { value: headroom, src: count_src.clone() },
                    "route": cx.t(&format!("route.{}", l.route)),
                    "citation": citation,
                    "reached": l.reached,
                })
            })
            .collect();
        let (svg_ind, svg_sens) = chart::exporter_charts(cx.lang, &cx.s, s, as_of, ledger.as_ref());
        let mut charts = Vec::new();
        for (m, svg) in [("individuals", svg_ind), ("sensitive", svg_sens)] {
            let name = format!("summary-{}-{m}.svg", s.exporter);
            cx.attachments.push(Attachment {
                name: name.clone(),
                content: svg,
            });
            let method = cx.src.add(
                SourceKind::Method,
                "chart: straight line from 0 on 1 January to the count on the assessment date (ledger series where available), dashed projection to 31 December at the same average daily rate",
            );
            charts.push(json!({"file": name, "alt": cx.t(&format!("chart.{m}")), "src": method}));
        }
        exporters.push(json!({
            "id": s.exporter,
            "name": s.name,
            "note": s.note,
            "ciio": e.is_some_and(|e| e.ciio),
            "lines": lines,
            "charts": charts,
        }));
    }
    let groups: Vec<Value> = a
        .groups
        .iter()
        .filter_map(|g| {
            g.warning
                .as_ref()
                .map(|w| json!({"group": g.group, "warning": w}))
        })
        .collect();
    json!({"rows": rows, "kpis": kpis, "exporters": exporters, "groups": groups})
}
