//! Documents a regulator accepts, written from the data map and the rules'
//! assessment: the PIPIA report, the standard contract's Annex I and II, the
//! filing package, the GDPR Art. 30 record, the transfer impact assessment and
//! a compliance summary, in English and Chinese, as Markdown, HTML and (with
//! the `pdf` feature) PDF.
//!
//! # How a document is made
//!
//! 1. [`Input`] gathers the map, the [`Assessment`], optional [`Evidence`]
//!    (ledger counts, scan findings: filled in by the caller once the ledger
//!    and the scanner report) and optionally the map as filed.
//! 2. A builder turns them into a plain JSON context in which every number is
//!    a figure (value + source id) and every source is listed.
//! 3. The template `templates/<lang>/<kind>.md.j2` (minijinja, editable by a
//!    lawyer without touching Rust) renders the context to Markdown; figures
//!    print as `value[^sN]` footnotes, and every document ends with its
//!    sources and the legal citations it used.
//! 4. [`Document::html`] renders Markdown to a standalone HTML page with a
//!    print stylesheet, the charts inlined as SVG; [`Document::pdf`] (feature
//!    `pdf`) typesets it with typst.
//!
//! The risk register's scoring method is documented in [`risk`].
//!
//! # PDF
//!
//! PDF goes through typst (`typst` + `typst-pdf` via `typst-as-lib`) behind
//! the `pdf` feature, because typst gives page numbers, an outline (table of
//! contents), tables that break across pages with repeated headers and CJK
//! line breaking for free; printpdf would need all of that written by hand.
//! Typst is heavy to build, so everyday builds leave the feature off. Chinese
//! needs a CJK font: the PDF code loads Noto Sans/Serif CJK from the system
//! (Debian `fonts-noto-cjk`).

mod build;
mod chart;
pub mod destinations;
mod html;
pub mod incident;
#[cfg(feature = "pdf")]
mod pdf;
pub mod risk;
mod sources;
pub mod templates;

use jiff::civil::Date;
use outbound_model::DataMap;
use outbound_rules::assess::Assessment;
use serde::Serialize;

pub use templates::Templates;

/// A document language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// A regime's route by its name in this language (`data/text/` of the rules
    /// crate, the one home of route names); the id itself when unnamed.
    pub fn route(self, regime: &str, route: &str) -> String {
        match outbound_rules::text::route_name(regime, route) {
            Some(n) => match self {
                Lang::En => n.en.clone(),
                Lang::Zh => n.zh.clone(),
            },
            None => route.replace('_', " "),
        }
    }

    /// `en` or `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
    /// Parses `en` or `zh`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }
}

/// The kinds of document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum DocKind {
    /// Personal information protection impact assessment (PIPL Art. 55–56, Standard Contract Measures Art. 5).
    Pipia,
    /// Standard contract Annex I and Annex II.
    Annex,
    /// Filing package for the provincial cyberspace administration (Standard Contract Measures Art. 7–8).
    Filing,
    /// GDPR Art. 30 record of processing activities.
    Ropa,
    /// Transfer impact assessment for SCC transfers (C-311/18; EDPB Recommendations 01/2020).
    Tia,
    /// Compliance summary for management.
    Summary,
}

impl DocKind {
    /// Every kind, in the order `all` writes them.
    pub const ALL: &'static [DocKind] = &[
        DocKind::Summary,
        DocKind::Pipia,
        DocKind::Annex,
        DocKind::Filing,
        DocKind::Ropa,
        DocKind::Tia,
    ];
    /// The identifier (`pipia`, `annex` …), also the template name.
    pub fn id(self) -> &'static str {
        match self {
            DocKind::Pipia => "pipia",
            DocKind::Annex => "annex",
            DocKind::Filing => "filing",
            DocKind::Ropa => "ropa",
            DocKind::Tia => "tia",
            DocKind::Summary => "summary",
        }
    }
    /// Parses an identifier.
    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL.iter().copied().find(|k| k.id() == s)
    }
    /// The language the document is written in unless asked otherwise:
    /// Chinese for what goes to the Cyberspace Administration, English for
    /// the GDPR documents and the management summary.
    pub fn default_lang(self) -> Lang {
        match self {
            DocKind::Pipia | DocKind::Annex | DocKind::Filing => Lang::Zh,
            DocKind::Ropa | DocKind::Tia | DocKind::Summary => Lang::En,
        }
    }
}

/// Distinct individuals exported by one exporter, as the ledger counted them.
#[derive(Clone, Debug, Serialize)]
pub struct LedgerCount {
    /// Exporter id.
    pub exporter: String,
    /// Calendar year counted.
    pub year: i16,
    /// Up to this date.
    pub as_of: Date,
    /// Distinct individuals.
    pub individuals: u64,
    /// Distinct individuals whose sensitive PI was exported.
    pub sensitive_individuals: u64,
    /// Cumulative counts at dates through the year, for the chart (date, individuals, sensitive).
    pub series: Vec<(Date, u64, u64)>,
    /// How to reproduce the figure: where the ledger keeps it and the commands that read and recount it
    /// (identifiers and commands only: the same line stands in the Chinese documents).
    pub query: String,
}

impl LedgerCount {
    /// The ledger's figure for one exporter and year from its exact counts and
    /// its batches in order (`(recorded at, new individuals, new sensitive)`,
    /// as `Store::batch_history` gives them), summed into the chart's series.
    /// `location` names the store in the reproducing query.
    pub fn from_history(
        exporter: &str,
        as_of: Date,
        individuals: u64,
        sensitive_individuals: u64,
        history: &[(String, u64, u64)],
        location: &str,
    ) -> LedgerCount {
        let year = as_of.year();
        let (mut all, mut sens) = (0u64, 0u64);
        let mut series = Vec::new();
        for (at, new, new_sensitive) in history {
            all = all.saturating_add(*new);
            sens = sens.saturating_add(*new_sensitive);
            if let Some(d) = at.get(..10).and_then(|d| d.parse::<Date>().ok()) {
                series.push((d, all, sens));
            }
        }
        LedgerCount {
            exporter: exporter.to_string(),
            year,
            as_of,
            individuals,
            sensitive_individuals,
            series,
            query: format!(
                "{location}: ledger_state [\"subjects\", \"{exporter}\", {year}]; `outbound status`; `outbound audit verify`"
            ),
        }
    }
}

/// What a scan of one dataset found, against what the map declares.
#[derive(Clone, Debug, Serialize)]
pub struct ScanFinding {
    /// Dataset id.
    pub dataset: String,
    /// The scan run (id, date, files), for the source line.
    pub run: String,
    /// Records scanned.
    pub records: u64,
    /// Taxonomy categories found, with the number of values.
    pub categories_found: Vec<(String, u64)>,
}

/// Evidence beyond the map. Empty until the ledger and the scanner feed it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Evidence {
    /// Ledger counts per exporter.
    pub ledger: Vec<LedgerCount>,
    /// Scan findings per dataset.
    pub scans: Vec<ScanFinding>,
}

/// Everything a document is built from.
pub struct Input<'a> {
    /// The data map now.
    pub map: &'a DataMap,
    /// The rules' assessment of it.
    pub assessment: &'a Assessment,
    /// Ledger and scanner evidence.
    pub evidence: Evidence,
    /// The map as filed with the authority, to find re-filing triggers.
    pub filed_map: Option<&'a DataMap>,
    /// The map's revision (e.g. a git commit); a content fingerprint is always added.
    pub revision: Option<String>,
    /// Templates (the embedded ones unless an edited copy is given).
    pub templates: Templates,
}

impl<'a> Input<'a> {
    /// Input with no evidence, no filed map and the embedded templates.
    pub fn new(map: &'a DataMap, assessment: &'a Assessment) -> Input<'a> {
        Input {
            map,
            assessment,
            evidence: Evidence::default(),
            filed_map: None,
            revision: None,
            templates: Templates::builtin(),
        }
    }
}

/// A file written beside a document (a chart).
#[derive(Clone, Debug)]
pub struct Attachment {
    /// File name, relative to the document.
    pub name: String,
    /// Content (SVG text).
    pub content: String,
}

/// One rendered document.
#[derive(Clone, Debug)]
pub struct Document {
    /// Kind.
    pub kind: DocKind,
    /// Language.
    pub lang: Lang,
    /// File stem, e.g. `pipia-crm-to-parent.zh`.
    pub stem: String,
    /// Title (first heading).
    pub title: String,
    /// The Markdown.
    pub markdown: String,
    /// Files the Markdown refers to.
    pub attachments: Vec<Attachment>,
}

impl Document {
    /// A standalone HTML page.
    pub fn html(&self) -> String {
        html::page(self)
    }

    /// The PDF (an error unless the crate is built with the `pdf` feature).
    pub fn pdf(&self) -> Result<Vec<u8>, DocError> {
        #[cfg(feature = "pdf")]
        return pdf::render(self);
        #[cfg(not(feature = "pdf"))]
        Err(DocError::Pdf(
            "this build has no PDF support: build outbound-docs with the `pdf` feature".into(),
        ))
    }
}

/// Whether this build can write PDF.
pub const PDF: bool = cfg!(feature = "pdf");

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// No such transfer in the map.
    #[error("no transfer `{0}` in the data map")]
    UnknownTransfer(String),
    /// The document does not apply to the transfer.
    #[error("{kind} does not apply to transfer `{transfer}`: {why}")]
    NotApplicable {
        /// Document kind.
        kind: &'static str,
        /// Transfer id.
        transfer: String,
        /// Why not.
        why: String,
    },
    /// A template could not be read or rendered.
    #[error("template: {0}")]
    Template(String),
    /// PDF rendering failed.
    #[error("pdf: {0}")]
    Pdf(String),
}

/// Builds the documents of one kind: for one transfer when `transfer` is given,
/// otherwise for every transfer (or exporter) the kind applies to.
pub fn documents(
    input: &Input<'_>,
    kind: DocKind,
    transfer: Option<&str>,
    lang: Lang,
) -> Result<Vec<Document>, DocError> {
    build::documents(input, kind, transfer, lang)
}

/// Builds every kind for `transfer` (or the whole map), skipping kinds that do not apply.
pub fn all_documents(
    input: &Input<'_>,
    transfer: Option<&str>,
    lang: Lang,
) -> Result<Vec<Document>, DocError> {
    let mut out = Vec::new();
    for &k in DocKind::ALL {
        match build::documents(input, k, transfer, lang) {
            Ok(d) => out.extend(d),
            Err(DocError::NotApplicable { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
