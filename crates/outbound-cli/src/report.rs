//! `outbound report KIND --map PATH`: the PIPIA report, standard contract
//! annexes, filing package, GDPR Art. 30 record, transfer impact assessment
//! and compliance summary, written from the data map and the rules'
//! assessment by `outbound-docs`.
//!
//! Every document is rendered in memory first; files are then written to
//! temporary names in `--out` and renamed into place, so a failure leaves no
//! half-written document. Exit codes: 0 written, 1 the map has problems,
//! 2 unreadable input or a request that does not fit the map (unknown
//! transfer, a document that does not apply to it).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use outbound_docs::{DocError, DocKind, Document, Input, Lang, Templates};
use outbound_model::DataMap;

use crate::common::{assess_with_ledger, open_existing_store, parse_date, today};

/// Which document to write.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportKind {
    /// Personal information protection impact assessment, per transfer (PIPL Art. 55–56).
    Pipia,
    /// Standard contract Annex I and II, per standard-contract transfer.
    Annex,
    /// Filing package for the provincial CAC, per standard-contract transfer.
    Filing,
    /// GDPR Art. 30 record of processing, per EEA exporter.
    Ropa,
    /// Transfer impact assessment, per SCC transfer.
    Tia,
    /// Compliance summary with threshold charts.
    Summary,
    /// Every document that applies.
    All,
}

/// Output language.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LangArg {
    /// Simplified Chinese.
    Zh,
    /// English.
    En,
}

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportFormat {
    /// Markdown (charts as SVG files beside it).
    Md,
    /// Standalone HTML with a print stylesheet (charts inline).
    Html,
    /// PDF (needs outbound-docs built with the `pdf` feature).
    Pdf,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ReportArgs {
    /// Which document: pipia, annex, filing, ropa, tia, summary or all.
    #[arg(value_enum)]
    pub(crate) kind: ReportKind,
    /// The data map (a YAML file or a directory).
    #[arg(long)]
    pub(crate) map: PathBuf,
    /// Only this transfer (default: every transfer the document applies to).
    #[arg(long)]
    pub(crate) transfer: Option<String>,
    /// Language; default Chinese for pipia, annex and filing, English for ropa, tia and summary.
    #[arg(long, value_enum)]
    pub(crate) lang: Option<LangArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub(crate) format: ReportFormat,
    /// Directory to write into (created if absent).
    #[arg(long, default_value = "reports")]
    pub(crate) out: PathBuf,
    /// Judge as of this date (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_date)]
    pub(crate) as_of: Option<Date>,
    /// The data map as filed with the authority, to find re-filing triggers.
    #[arg(long)]
    pub(crate) filed_map: Option<PathBuf>,
    /// An edited copy of the templates (a directory with en/ and zh/).
    #[arg(long)]
    pub(crate) templates: Option<PathBuf>,
    /// The map's revision to state in the documents (e.g. a git commit).
    #[arg(long)]
    pub(crate) revision: Option<String>,
    /// Take the counts from this store's ledger (a SQLite path or a postgres:// URL) and cite it.
    #[arg(long)]
    pub(crate) store: Option<String>,
}

/// Loads a map; `Err(code)` after printing why.
fn load(path: &Path, what: &str) -> Result<DataMap, u8> {
    match outbound_model::load_path(path) {
        Err(e) => {
            eprintln!("error: {what}: {e}");
            Err(2)
        }
        Ok(l) if !l.diagnostics.is_empty() => {
            for d in &l.diagnostics {
                eprintln!("{d}");
            }
            eprintln!(
                "error: {what} {} has {} problem(s); fix them first (`outbound validate`)",
                path.display(),
                l.diagnostics.len()
            );
            Err(1)
        }
        Ok(l) => Ok(l.map),
    }
}

pub(crate) fn run(args: &ReportArgs) -> anyhow::Result<u8> {
    let map = match load(&args.map, "data map") {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let filed = match &args.filed_map {
        Some(p) => match load(p, "filed data map") {
            Ok(m) => Some(m),
            Err(code) => return Ok(code),
        },
        None => None,
    };
    if let Some(id) = &args.transfer
        && map.transfer(id).is_none()
    {
        eprintln!("error: no transfer `{id}` in the data map");
        return Ok(2);
    }
    let as_of = args.as_of.unwrap_or_else(today);
    let store = match &args.store {
        Some(loc) => Some(open_existing_store(loc)?),
        None => None,
    };
    let assessment = assess_with_ledger(&map, as_of, store.as_ref())?;
    let templates = match &args.templates {
        Some(dir) => match Templates::from_dir(dir) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(2);
            }
        },
        None => Templates::builtin(),
    };
    let mut input = Input::new(&map, &assessment);
    input.filed_map = filed.as_ref();
    input.revision = args.revision.clone();
    if let Some(store) = &store {
        input.evidence.ledger = ledger_evidence(store, &map, as_of)?;
    }
    input.templates = templates;
    let kinds: Vec<DocKind> = match args.kind {
        ReportKind::Pipia => vec![DocKind::Pipia],
        ReportKind::Annex => vec![DocKind::Annex],
        ReportKind::Filing => vec![DocKind::Filing],
        ReportKind::Ropa => vec![DocKind::Ropa],
        ReportKind::Tia => vec![DocKind::Tia],
        ReportKind::Summary => vec![DocKind::Summary],
        ReportKind::All => DocKind::ALL.to_vec(),
    };
    let mut docs: Vec<Document> = Vec::new();
    for k in kinds {
        let lang = match args.lang {
            Some(LangArg::Zh) => Lang::Zh,
            Some(LangArg::En) => Lang::En,
            None => k.default_lang(),
        };
        match outbound_docs::documents(&input, k, args.transfer.as_deref(), lang) {
            Ok(d) => docs.extend(d),
            Err(DocError::NotApplicable { .. }) if args.kind == ReportKind::All => {}
            Err(e @ (DocError::NotApplicable { .. } | DocError::UnknownTransfer(_))) => {
                eprintln!("error: {e}");
                return Ok(2);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(2);
            }
        }
    }
    // Render everything before writing anything.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for d in &docs {
        match args.format {
            ReportFormat::Md => {
                files.push((format!("{}.md", d.stem), d.markdown.clone().into_bytes()));
                for a in &d.attachments {
                    files.push((a.name.clone(), a.content.clone().into_bytes()));
                }
            }
            ReportFormat::Html => files.push((format!("{}.html", d.stem), d.html().into_bytes())),
            ReportFormat::Pdf => match d.pdf() {
                Ok(b) => files.push((format!("{}.pdf", d.stem), b)),
                Err(e) => {
                    eprintln!("error: {}: {e}", d.stem);
                    return Ok(2);
                }
            },
        }
    }
    let written = write_all(&args.out, &files)?;
    let mut out = std::io::stdout().lock();
    for p in &written {
        writeln!(out, "{}", p.display())?;
    }
    Ok(0)
}

/// Writes every file to a temporary name, then renames them all into place;
/// on any failure the temporary files are removed and nothing is replaced.
fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup = |temps: &[(PathBuf, PathBuf)]| {
        for (t, _) in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for (name, bytes) in files {
        let dest = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let res = std::fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        });
        temps.push((tmp.clone(), dest));
        if let Err(e) = res {
            cleanup(&temps);
            anyhow::bail!("cannot write {}: {e}", tmp.display());
        }
    }
    let mut done = Vec::new();
    for (i, (tmp, dest)) in temps.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, dest) {
            cleanup(&temps[i..]);
            anyhow::bail!("cannot move {} into place: {e}", dest.display());
        }
        done.push(dest.clone());
    }
    Ok(done)
}

/// The ledger's exact counts per exporter, with the cumulative series for the charts.
fn ledger_evidence(
    store: &outbound_store::Store,
    map: &DataMap,
    as_of: Date,
) -> anyhow::Result<Vec<outbound_docs::LedgerCount>> {
    let year = as_of.year();
    let mut out = Vec::new();
    for e in &map.exporters {
        let c = store.counts(std::slice::from_ref(&e.id), year, year)?;
        out.push(outbound_docs::LedgerCount::from_history(
            &e.id,
            as_of,
            c.individuals,
            c.sensitive_individuals,
            &store.batch_history(&e.id, year)?,
            &format!("store {}", store.location),
        ));
    }
    Ok(out)
}
