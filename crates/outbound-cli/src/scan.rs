//! `outbound scan`: find and count personal information in files.
//!
//! Thin glue over [`outbound_scan::scan_paths`]: parse options, show a
//! progress bar on an interactive stderr, render the report as a table or
//! as the JSON contract. Raw values never reach the output; `--samples`
//! shows masked ones.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use crate::output::{out, outln, printable};
use anyhow::Context;
use comfy_table::{ContentArrangement, Table, presets};
use outbound_scan::{Kind, ScanOptions, ScanReport, scan_paths};

/// Output of `outbound scan`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScanFormat {
    /// Aligned text for a terminal.
    Table,
    /// The JSON contract (docs/CONTRACTS.md, "Scan report").
    Json,
}

/// Scan files for personal information (CSV/TSV, JSON, JSON lines, text; gzip/zstd),
/// or the tables of a database (`sqlite:PATH`, `postgres://…`, `mysql://…`, read-only).
#[derive(clap::Args, Debug)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input; or databases:
    /// `sqlite:PATH`, `postgres://USER@HOST/DB`, `mysql://USER:PW@HOST/DB` (opened read-only).
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,
    /// Database tables to scan: a glob on `table` or `schema.table` (repeatable; default all).
    #[arg(long = "table", value_name = "PATTERN")]
    pub(crate) tables: Vec<String>,
    /// Rows read per database table at most (default 10,000); the report
    /// says when it is a sample and how it was picked.
    #[arg(long, value_name = "N")]
    pub(crate) sample_rows: Option<u64>,
    /// Read every row of every database table instead of a sample.
    #[arg(long, conflicts_with_all = ["sample", "seed"])]
    pub(crate) full: bool,
    /// How database rows are sampled: `random` (reproducible, from the
    /// whole table; default) or `first` (the first rows returned).
    #[arg(long, value_enum, value_name = "HOW")]
    pub(crate) sample: Option<SampleArg>,
    /// Seed of the random sample (default fixed: two runs give the same report).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
    /// Scan database views and materialized views too (each runs its query).
    #[arg(long)]
    pub(crate) views: bool,
    /// Only scan files under directories matching this glob (repeatable).
    #[arg(long)]
    pub(crate) include: Vec<String>,
    /// Skip files under directories matching this glob (repeatable).
    #[arg(long)]
    pub(crate) exclude: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub(crate) format: ScanFormat,
    /// Show up to N masked sample values per field.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) samples: usize,
    /// Field (CSV column or JSON key path) identifying individuals; default:
    /// each record's resident ID, else its mobile, else its e-mail.
    #[arg(long, value_name = "FIELD")]
    pub(crate) subject_key: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Compare what was found with this data map (with --dataset or --transfer); findings exit 1.
    #[arg(long)]
    pub(crate) map: Option<PathBuf>,
    /// The dataset whose fields the files hold.
    #[arg(long, requires = "map", conflicts_with = "transfer")]
    pub(crate) dataset: Option<String>,
    /// The transfer whose fields the files hold.
    #[arg(long, requires = "map")]
    pub(crate) transfer: Option<String>,
    /// Print the YAML `fields:` block that would declare what was found.
    #[arg(long)]
    pub(crate) suggest: bool,
    /// Check each dataset of this system that names its `table` against
    /// that table of the database (with --map): a table that differs from
    /// its dataset exits 1.
    #[arg(long, value_name = "ID", requires = "map",
          conflicts_with_all = ["dataset", "transfer", "suggest", "tables", "subject_key"])]
    pub(crate) system: Option<String>,
}

/// `--sample`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SampleArg {
    /// A reproducible random sample.
    Random,
    /// The first rows the database returns.
    First,
}

/// The fields a scan is compared with, from `--dataset` or `--transfer`.
fn declared_fields<'m>(
    map: &'m outbound_model::DataMap,
    args: &ScanArgs,
) -> anyhow::Result<(Vec<&'m outbound_model::Field>, String)> {
    if let Some(id) = &args.dataset {
        let d = map
            .dataset(id)
            .ok_or_else(|| anyhow::anyhow!("no dataset `{id}` in the data map"))?;
        return Ok((d.fields.iter().collect(), format!("dataset {id}")));
    }
    if let Some(id) = &args.transfer {
        let t = map
            .transfer(id)
            .ok_or_else(|| anyhow::anyhow!("no transfer `{id}` in the data map"))?;
        return Ok((map.transfer_fields(t).collect(), format!("transfer {id}")));
    }
    anyhow::bail!("--map needs --dataset ID or --transfer ID")
}

/// Runs the scan; returns the exit code: 0 clean, 1 if any input had
/// errors (the report is still printed in full).
pub(crate) fn run(args: &ScanArgs) -> anyhow::Result<u8> {
    // The map before the scan: a map that does not load stops the run
    // before it reads anything, and its fields' `not_kinds` apply in it.
    let loaded = match &args.map {
        Some(path) => match crate::common::load_valid(path) {
            Ok(l) => Some(l),
            Err(code) => return Ok(code),
        },
        None => None,
    };
    if let (Some(system), Some(l)) = (&args.system, &loaded) {
        return check_system(args, &l.map, system);
    }
    let declared = match loaded.as_ref().map(|l| declared_fields(&l.map, args)) {
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
        Some(Ok(d)) => Some(d),
        None => None,
    };
    let dbs: Vec<String> = args
        .paths
        .iter()
        .filter_map(|p| p.to_str())
        .filter(|p| outbound_scan_db::is_database_url(p))
        .map(String::from)
        .collect();
    let bar = (args.format != ScanFormat::Json && std::io::stderr().is_terminal()).then(|| {
        // A database's progress is rows scanned, of a total not known ahead.
        if !dbs.is_empty() {
            let bar = indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {human_pos} rows scanned ({elapsed})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            return bar;
        }
        let total: Option<u64> = args
            .paths
            .iter()
            .map(|p| {
                std::fs::metadata(p)
                    .ok()
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
            })
            .sum();
        let bar = match total {
            Some(t) => indicatif::ProgressBar::new(t).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            ),
            None => indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {bytes} scanned, {bytes_per_sec}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            ),
        };
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar
    });
    let opts = ScanOptions {
        not_kinds: declared
            .as_ref()
            .map(|(fields, _)| outbound_scan::compare::not_kinds(fields))
            .unwrap_or_default(),
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        subject_key: args.subject_key.clone(),
        samples: args.samples,
        threads: args.threads,
        progress: bar
            .clone()
            .map(|b| Arc::new(move |n: u64| b.inc(n)) as Arc<dyn Fn(u64) + Send + Sync>),
    };
    if !dbs.is_empty() && dbs.len() != args.paths.len() {
        eprintln!("error: scan databases and files in separate runs");
        return Ok(2);
    }
    // Options that only mean something for a database are refused for files,
    // rather than silently ignored.
    let db_only = !args.tables.is_empty()
        || args.sample_rows.is_some()
        || args.full
        || args.sample.is_some()
        || args.seed.is_some()
        || args.views;
    if dbs.is_empty() && db_only {
        eprintln!(
            "error: --table, --sample-rows, --full, --sample, --seed and --views apply to databases (sqlite:PATH, postgres://…, mysql://…), not to files"
        );
        return Ok(2);
    }
    let report = if dbs.is_empty() {
        scan_paths(&args.paths, &opts)
    } else {
        let db_opts = db_options(args, opts);
        match outbound_scan_db::scan_databases(&dbs, &db_opts) {
            Ok(r) => r,
            Err(e) => {
                if let Some(b) = &bar {
                    b.finish_and_clear();
                }
                eprintln!("error: {e}");
                return Ok(2);
            }
        }
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let comparison = declared
        .as_ref()
        .zip(loaded.as_ref())
        .map(|((fields, against), l)| {
            outbound_scan::compare::compare(&report, &l.map, fields, against)
        });
    let suggestion = args.suggest.then(|| {
        if dbs.is_empty() {
            (
                "fields",
                outbound_scan::compare::suggest_fields(&report, "customer"),
            )
        } else {
            (
                "tables",
                outbound_scan_db::suggest_datasets(&report, "customer"),
            )
        }
    });
    match args.format {
        ScanFormat::Json => {
            let mut v = serde_json::to_value(&report).context("serialising the report")?;
            if let Some(c) = &comparison {
                v["comparison"] = serde_json::to_value(c)?;
            }
            // Inside the JSON, so that the output stays one JSON document.
            if let Some((_, yaml)) = &suggestion {
                v["suggestion"] = yaml.clone().into();
            }
            outln!("{}", serde_json::to_string_pretty(&v)?)?;
        }
        ScanFormat::Table => {
            print_table(&report)?;
            if let Some(c) = &comparison {
                print_comparison(c)?;
            }
            if let Some((what, yaml)) = &suggestion {
                outln!("# {what} found (review before adding to the data map):")?;
                out!("{yaml}")?;
            }
        }
    }
    let findings = comparison.as_ref().is_some_and(|c| c.has_findings());
    Ok(u8::from(!report.errors.is_empty() || findings))
}

/// The database options the arguments give.
fn db_options(args: &ScanArgs, scan: ScanOptions) -> outbound_scan_db::DbScanOptions {
    outbound_scan_db::DbScanOptions {
        scan,
        tables: args.tables.clone(),
        sample_rows: args
            .sample_rows
            .unwrap_or(outbound_scan_db::DEFAULT_SAMPLE_ROWS),
        full: args.full,
        sample: match args.sample {
            Some(SampleArg::First) => outbound_scan_db::Sample::First,
            _ => outbound_scan_db::Sample::Random,
        },
        seed: args.seed.unwrap_or(outbound_scan_db::DEFAULT_SEED),
        views: args.views,
        ..Default::default()
    }
}

/// `--system`: each dataset of `system` that names its table, checked
/// against that table of the one database given. Exit 0 when every table
/// matches its dataset, 1 when one differs or was not read, 2 when the
/// database could not be opened or the arguments do not fit.
fn check_system(
    args: &ScanArgs,
    map: &outbound_model::DataMap,
    system: &str,
) -> anyhow::Result<u8> {
    use outbound_scan_db::check::{CheckState, check_datasets};
    if !map.systems.iter().any(|s| s.id == system) {
        eprintln!("error: no system `{system}` in the data map");
        return Ok(2);
    }
    let url = match args.paths.as_slice() {
        [p] => p.to_str().filter(|p| outbound_scan_db::is_database_url(p)),
        _ => None,
    };
    let Some(url) = url else {
        eprintln!(
            "error: --system checks one database: give its URL (sqlite:PATH, postgres://…, mysql://…)"
        );
        return Ok(2);
    };
    let datasets: Vec<_> = map
        .datasets
        .iter()
        .filter(|d| d.system == system && d.table.is_some())
        .collect();
    if datasets.is_empty() {
        eprintln!(
            "error: no dataset of system `{system}` names its table: add `table:` to its datasets in the data map"
        );
        return Ok(2);
    }
    let opts = db_options(args, ScanOptions::default());
    let scan = ScanOptions {
        threads: args.threads,
        ..ScanOptions::default()
    };
    let checks = check_datasets(url, map, &datasets, scan, &opts);
    match args.format {
        ScanFormat::Json => {
            let v = serde_json::json!({ "system": system, "datasets": checks });
            outln!("{}", serde_json::to_string_pretty(&v)?)?;
        }
        ScanFormat::Table => {
            let mut t = table(&["dataset", "table", "rows read", "result"]);
            for c in &checks {
                let result = match c.state {
                    CheckState::Ok => "matches the map".to_string(),
                    CheckState::Drift if c.undeclared_fields.is_empty() => {
                        format!("differs: {} finding(s)", c.findings)
                    }
                    CheckState::Drift => format!(
                        "differs: {} finding(s); undeclared: {}",
                        c.findings,
                        c.undeclared_fields
                            .iter()
                            .map(|f| printable(f))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    CheckState::NotRead => "the table was not found or not read".to_string(),
                    CheckState::Ambiguous => format!(
                        "several tables have this name ({}): name one as schema.table",
                        c.matches
                            .iter()
                            .map(|m| printable(m))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    CheckState::Failed => format!(
                        "the database could not be opened: {}",
                        c.error.as_deref().unwrap_or_default()
                    ),
                };
                let rows = match c.state {
                    CheckState::Ok | CheckState::Drift => c.rows_read.to_string(),
                    _ => String::new(),
                };
                t.add_row(vec![c.dataset.clone(), printable(&c.table), rows, result]);
            }
            outln!("{t}")?;
        }
    }
    let worst = checks.iter().map(|c| match c.state {
        CheckState::Ok => 0,
        CheckState::Drift | CheckState::NotRead | CheckState::Ambiguous => 1,
        CheckState::Failed => 2,
    });
    Ok(worst.max().unwrap_or(0))
}

fn print_comparison(c: &outbound_scan::compare::Comparison) -> std::io::Result<()> {
    if c.findings.is_empty() {
        return outln!("\nagainst {}: everything found is declared", c.against);
    }
    outln!("\nagainst {}: {} finding(s)", c.against, c.findings.len())?;
    let mut t = table(&[
        "file",
        "field",
        "problem",
        "kind",
        "category",
        "values",
        "declared as",
        "sensitive",
    ]);
    for f in &c.findings {
        t.add_row(vec![
            printable(&f.path),
            f.field
                .as_deref()
                .map_or_else(|| "(free text)".into(), printable),
            f.problem.to_string(),
            f.kind.to_string(),
            f.category.to_string(),
            f.count.to_string(),
            f.declared.clone().unwrap_or_default(),
            f.sensitive_class.clone().unwrap_or_default(),
        ]);
    }
    outln!("{t}")
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::ASCII_BORDERS_ONLY_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    t
}

/// `kind=count, …`; a kind whose matches look like chance (`by_chance`)
/// is marked so (`bank_card=2749 (by chance)`).
fn kinds_cell(kinds: &std::collections::BTreeMap<&'static str, u64>, by_chance: &[&str]) -> String {
    // Report order = Kind order (strongest identifiers first).
    Kind::ALL
        .iter()
        .filter_map(|k| {
            let chance = if by_chance.contains(&k.as_str()) {
                " (by chance)"
            } else {
                ""
            };
            kinds
                .get(k.as_str())
                .map(|n| format!("{}={n}{chance}", k.as_str()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A field's [`kinds_cell`], then what the map's `not_kinds` set aside
/// (`bank_card=12 set aside by the map`): the matches it did not count.
fn kinds_and_set_aside(fr: &outbound_scan::FieldReport) -> String {
    let kinds = kinds_cell(&fr.kinds, &fr.by_chance);
    if fr.set_aside.is_empty() {
        return kinds;
    }
    let aside = format!("{} set aside by the map", kinds_cell(&fr.set_aside, &[]));
    if kinds.is_empty() {
        aside
    } else {
        format!("{kinds}; {aside}")
    }
}

fn print_table(r: &ScanReport) -> std::io::Result<()> {
    for f in &r.files {
        let comp = f
            .compression
            .as_deref()
            .map(|c| format!("+{c}"))
            .unwrap_or_default();
        outln!(
            "{}  ({}{comp}, {}, {} records, {} bytes)",
            printable(&f.path),
            f.format,
            f.encoding,
            f.records,
            f.bytes
        )?;
        if let Some(t) = &f.table {
            let binary = if t.binary_columns.is_empty() {
                String::new()
            } else {
                format!("; binary, not scanned: {}", t.binary_columns.join(", "))
            };
            let about = if t.rows_total_estimated { "about " } else { "" };
            let read = if t.sampled {
                format!(
                    "sample: {} {} of {about}{} rows",
                    t.sample, t.rows_read, t.rows_total
                )
            } else {
                format!("all {} rows", t.rows_total)
            };
            let read = match t.relation {
                Some(v) => format!("{}; {read}", v.replace('_', " ")),
                None => read,
            };
            outln!("  ({read}{binary})")?;
        }
        let with_samples = f.fields.iter().any(|x| !x.samples.is_empty());
        let mut head = vec!["field", "kinds", "non-empty", "share", "category"];
        if with_samples {
            head.push("samples (masked)");
        }
        let mut t = table(&head);
        for fr in &f.fields {
            let mut row = vec![
                fr.field
                    .as_deref()
                    .map_or_else(|| "(text)".into(), printable),
                kinds_and_set_aside(fr),
                fr.non_empty.to_string(),
                fr.share
                    .map(|s| format!("{:.1}%", s * 100.0))
                    .unwrap_or_default(),
                match (fr.classified_as, fr.category) {
                    (Some(_), Some(c)) => c.to_string(),
                    (Some(k), None) => format!("({})", k.as_str()),
                    _ => String::new(),
                },
            ];
            if with_samples {
                row.push(fr.samples.join(" "));
            }
            t.add_row(row);
        }
        outln!("{t}\n")?;
    }
    for s in &r.skipped {
        outln!("skipped: {}  ({})", printable(&s.path), s.reason)?;
    }
    outln!("totals: {}", kinds_cell(&r.totals.kinds, &[]))?;
    match &r.individuals.key {
        Some(k) => outln!(
            "individuals (by {k}): {} distinct, {} with sensitive PI",
            r.individuals.distinct,
            r.individuals.sensitive
        )?,
        None => outln!("individuals: no subject identifier found")?,
    }
    // Matches that look like chance are counted above (as individuals, as
    // sensitive): say where, and how to count without them.
    let chance: Vec<String> = r
        .files
        .iter()
        .flat_map(|f| &f.fields)
        .filter(|fr| !fr.by_chance.is_empty())
        .filter_map(|fr| {
            let name = printable(fr.field.as_deref()?);
            Some(format!("{name}: {}", fr.by_chance.join(", ")))
        })
        .collect();
    if !chance.is_empty() {
        outln!(
            "  (counted with matches that look like chance ({}): declare them with not_kinds in the map and scan with --map to count without them)",
            chance.join("; ")
        )?;
    }
    for e in &r.errors {
        let at = match (e.line, e.offset) {
            (Some(l), _) => format!(":{l}"),
            (None, Some(o)) => format!(" (byte {o})"),
            _ => String::new(),
        };
        eprintln!("error: {}{at}: {}", printable(&e.path), e.message);
    }
    Ok(())
}
