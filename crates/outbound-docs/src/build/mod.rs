//! From map, assessment and evidence to each document's template context.
//!
//! Every number put into a context is a [`Figure`] carrying the id of its
//! source; the sources and the legal citations used are appended to every
//! context so that each document ends with them.
//!
//! One module per document, mirroring `templates/`; [`context`] describes the
//! transfer, its parties and its data the same way for all of them.

mod annex;
mod context;
mod filing;
mod pipia;
mod ropa;
mod summary;
mod tia;

use std::collections::BTreeSet;

use jiff::civil::Date;
use outbound_model::{MechanismKind, Transfer};
use outbound_rules::Determination;
use outbound_rules::assess::TransferAssessment;
use serde_json::{Value, json};

use crate::sources::{Figure, KeyLocator, SourceKind, Sources};
use crate::templates::Strings;
use crate::{Attachment, DocError, DocKind, Document, Input, Lang};

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
    /// Chinese documents name instruments by their Chinese titles, as the rules crate
    /// writes them (`outbound_rules::text::citation_zh`, one home for both).
    fn cite(&mut self, c: &str) -> String {
        let parts: Vec<String> = c
            .split("; ")
            .filter(|p| !p.trim().is_empty())
            .map(|p| match self.lang {
                Lang::En => p.to_string(),
                Lang::Zh => outbound_rules::text::citation_zh(p),
            })
            .collect();
        for part in &parts {
            if !self.citations.iter().any(|x| x == part) {
                self.citations.push(part.clone());
            }
        }
        parts.join(match self.lang {
            Lang::En => "; ",
            Lang::Zh => "；",
        })
    }

    /// A rule engine's sentence in the document's language.
    fn said<'s>(&self, en: &'s str, zh: &'s str) -> &'s str {
        match self.lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
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

    /// The source of one regime's determination for a transfer.
    fn determination_src(&mut self, ta: &TransferAssessment, d: &Determination) -> String {
        self.assessment_src(&format!(
            "transfer {} ({}), regime {}",
            ta.transfer, ta.source, d.regime
        ))
    }

    /// Whether a determination's route is in place, in words.
    fn status(&self, satisfied: bool) -> String {
        self.t(if satisfied {
            "status.in_place"
        } else {
            "status.not_in_place"
        })
    }

    /// "overdue by N days": how long before the assessment date `due` was.
    fn overdue(&self, due: Date) -> String {
        let days = (self.input.assessment.as_of - due).get_days();
        self.t("due.overdue").replace("{n}", &days.to_string())
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
pub(crate) fn documents(
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
    let mut ctx = context::header(&mut cx);
    let body = match (kind, t) {
        (DocKind::Pipia, Some(t)) => pipia::context(&mut cx, t),
        (DocKind::Annex, Some(t)) => annex::context(&mut cx, t),
        (DocKind::Filing, Some(t)) => filing::context(&mut cx, t),
        (DocKind::Tia, Some(t)) => tia::context(&mut cx, t),
        (DocKind::Ropa, _) => ropa::context(&mut cx, exporter.unwrap_or_default()),
        _ => summary::context(&mut cx),
    };
    merge(&mut ctx, body);
    let subject = t.map(|t| t.id.as_str()).or(exporter);
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
pub(crate) fn renumber(md: &str) -> String {
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

/// The citations every document of a kind rests on, whatever the data.
fn fixed_citations(kind: DocKind) -> &'static [&'static str] {
    match kind {
        DocKind::Pipia => pipia::CITATIONS,
        DocKind::Annex => annex::CITATIONS,
        DocKind::Filing => filing::CITATIONS,
        DocKind::Ropa => ropa::CITATIONS,
        DocKind::Tia => tia::CITATIONS,
        DocKind::Summary => &[],
    }
}

fn merge(a: &mut Value, b: Value) {
    if let (Value::Object(a), Value::Object(b)) = (a, b) {
        a.extend(b);
    }
}
