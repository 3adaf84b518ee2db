//! `outbound scan`: find and count personal information in files.
//!
//! Thin glue over [`outbound_scan::scan_paths`]: parse options, show a
//! progress bar on an interactive stderr, render the report as a table or
//! as the JSON contract. Raw values never reach the output; `--samples`
//! shows masked ones.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use comfy_table::{ContentArrangement, Table, presets};
use outbound_scan::{Kind, ScanOptions, ScanReport, scan_paths};

/// Output of `outbound scan`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanFormat {
    /// Aligned text for a terminal.
    Table,
    /// The JSON contract (DESIGN.md, "Scanning (contract)").
    Json,
}

/// Scan files for personal information (CSV/TSV, JSON, JSON lines, text; gzip/zstd).
#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Only scan files under directories matching this glob (repeatable).
    #[arg(long)]
    pub include: Vec<String>,
    /// Skip files under directories matching this glob (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Show up to N masked sample values per field.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub samples: usize,
    /// Field (CSV column or JSON key path) identifying individuals; default:
    /// resident ID, else mobile, else e-mail.
    #[arg(long, value_name = "FIELD")]
    pub subject_key: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Runs the scan; returns the exit code: 0 clean, 1 if any input had
/// errors (the report is still printed in full).
pub fn run(args: &ScanArgs) -> anyhow::Result<u8> {
    let bar = (args.format != ScanFormat::Json && std::io::stderr().is_terminal()).then(|| {
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
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        subject_key: args.subject_key.clone(),
        samples: args.samples,
        threads: args.threads,
        progress: bar
            .clone()
            .map(|b| Arc::new(move |n: u64| b.inc(n)) as Arc<dyn Fn(u64) + Send + Sync>),
    };
    let report = scan_paths(&args.paths, &opts);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    match args.format {
        ScanFormat::Json => {
            let s = serde_json::to_string_pretty(&report).context("serialising the report")?;
            println!("{s}");
        }
        ScanFormat::Table => print_table(&report),
    }
    Ok(u8::from(!report.errors.is_empty()))
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::ASCII_BORDERS_ONLY_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    t
}

fn kinds_cell(kinds: &std::collections::BTreeMap<&'static str, u64>) -> String {
    // Report order = Kind order (strongest identifiers first).
    Kind::ALL
        .iter()
        .filter_map(|k| kinds.get(k.as_str()).map(|n| format!("{}={n}", k.as_str())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_table(r: &ScanReport) {
    for f in &r.files {
        let comp = f
            .compression
            .as_deref()
            .map(|c| format!("+{c}"))
            .unwrap_or_default();
        println!(
            "{}  ({}{comp}, {}, {} records, {} bytes)",
            f.path, f.format, f.encoding, f.records, f.bytes
        );
        let with_samples = f.fields.iter().any(|x| !x.samples.is_empty());
        let mut head = vec!["field", "kinds", "non-empty", "share", "category"];
        if with_samples {
            head.push("samples (masked)");
        }
        let mut t = table(&head);
        for fr in &f.fields {
            let mut row = vec![
                fr.field.clone().unwrap_or_else(|| "(text)".into()),
                kinds_cell(&fr.kinds),
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
        println!("{t}\n");
    }
    println!("totals: {}", kinds_cell(&r.totals.kinds));
    match &r.individuals.key {
        Some(k) => println!(
            "individuals (by {k}): {} distinct, {} with sensitive PI",
            r.individuals.distinct, r.individuals.sensitive
        ),
        None => println!("individuals: no subject identifier found"),
    }
    for e in &r.errors {
        let at = match (e.line, e.offset) {
            (Some(l), _) => format!(":{l}"),
            (None, Some(o)) => format!(" (byte {o})"),
            _ => String::new(),
        };
        eprintln!("error: {}{at}: {}", e.path, e.message);
    }
}
