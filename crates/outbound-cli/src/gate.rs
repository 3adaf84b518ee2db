//! `outbound gate`: one outbound batch through scan, policy, transforms, counting, rules and ledger.

use std::path::PathBuf;

use jiff::civil::Date;
use outbound_gate::{Format as RecordFormat, GateRequest, Io, Outcome, run};
use outbound_rules::format::thousands;

use crate::common::{load_valid, parse_date, today};
use crate::output::{Format, out, print_json};
use crate::store::StoreOpts;

#[derive(clap::Args, Debug)]
pub(crate) struct GateArgs {
    /// The data map.
    #[arg(long)]
    pub(crate) map: PathBuf,
    /// The transfer the batch belongs to.
    #[arg(long)]
    pub(crate) transfer: String,
    /// The batch (CSV with a header, or JSON lines); `-` for standard input.
    #[arg(long)]
    pub(crate) input: String,
    /// Where what passes is written (never overwritten); `-` for standard output.
    #[arg(long)]
    pub(crate) output: String,
    /// Record format (default: from the file name or the first byte).
    #[arg(long, value_parser = ["csv", "jsonl"])]
    pub(crate) input_format: Option<String>,
    /// Judge as of this date (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_date)]
    pub(crate) as_of: Option<Date>,
    /// Report everything, change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Count the exporter's group together against splitting.
    #[arg(long)]
    pub(crate) count_group: bool,
    #[command(flatten)]
    pub(crate) store: StoreOpts,
    /// Summary format (on stderr for table when the output is stdout).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
}

/// Exit codes: 0 passed (or dry run), 1 invalid map, 2 bad input or usage, 3 refused (nothing written,
/// nothing counted; a store that does not verify too), 4 recorded but the output did not fully arrive (a closed standard output, a
/// rename that failed: the message says which).
pub(crate) fn run_gate(args: &GateArgs) -> anyhow::Result<u8> {
    let loaded = match load_valid(&args.map) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let (store, keys) = args.store.open()?;
    let req = GateRequest {
        transfer: args.transfer.clone(),
        input: Io::parse(&args.input),
        output: Io::parse(&args.output),
        format: args.input_format.as_deref().map(|f| {
            if f == "jsonl" {
                RecordFormat::Jsonl
            } else {
                RecordFormat::Csv
            }
        }),
        as_of: args.as_of.unwrap_or_else(today),
        dry_run: args.dry_run,
        count_group: args.count_group,
    };
    // A batch can take a while: show that something happens, on a terminal only.
    let spinner = (args.format != Format::Json
        && std::io::IsTerminal::is_terminal(&std::io::stderr()))
    .then(|| {
        let p = indicatif::ProgressBar::new_spinner();
        p.set_message(format!(
            "gate {}: scanning, counting and judging the batch",
            args.transfer
        ));
        p.enable_steady_tick(std::time::Duration::from_millis(120));
        p
    });
    let result = run(&loaded.map, &store, &keys, &req);
    if let Some(p) = spinner {
        p.finish_and_clear();
    }
    let report = match result {
        Ok(r) => r,
        Err(
            e @ (outbound_gate::GateError::Input { .. }
            | outbound_gate::GateError::Map(_)
            | outbound_gate::GateError::Output(_)),
        ) => {
            eprintln!("error: {e}; nothing written, nothing counted");
            return Ok(2);
        }
        // Whoever holds the store changed what the log committed to: the
        // gate refuses, as it refuses a batch (nothing written or counted).
        Err(e @ outbound_gate::GateError::Store(outbound_store::StoreError::Tampered { .. })) => {
            eprintln!("error: {e}");
            if args.format != Format::Json {
                eprintln!("  REFUSED: the store does not verify");
            }
            return Ok(3);
        }
        Err(e @ outbound_gate::GateError::Delivery { .. }) => {
            eprintln!("error: {e}");
            return Ok(4);
        }
        Err(e) => return Err(e.into()),
    };
    if args.format == Format::Json {
        if args.output == "-" {
            eprintln!("{}", serde_json::to_string(&report)?);
        } else {
            print_json(&report)?;
        }
    } else {
        let mut out = String::new();
        let c = &report.counts;
        out += &format!(
            "gate {} ({} → {}), {:?} batch\n",
            report.transfer, report.exporter, report.recipient, report.format
        );
        let st = &report.stored;
        if st.input_compression.is_some()
            || st.output_compression.is_some()
            || st.transcoded.is_some()
        {
            out += &format!(
                "  read: {}{}; written: UTF-8{}{}\n",
                st.input_compression
                    .as_deref()
                    .map_or(String::new(), |c| format!("{c}, ")),
                if st.input_encoding.is_empty() {
                    "utf-8"
                } else {
                    &st.input_encoding
                },
                st.output_compression
                    .as_deref()
                    .map_or(String::new(), |c| format!(", {c}")),
                if st.transcoded.is_some() {
                    " (transcoded: the recipient receives other bytes than the input held)"
                } else {
                    ""
                },
            );
        }
        out += &format!(
            "  records: {} in, {} out, {} dropped without consent, {} undeclared values masked\n",
            report.records_in,
            report.records_out,
            report.dropped_no_consent,
            report.masked_undeclared
        );
        // `name ×count, …`
        let counts = |m: &std::collections::BTreeMap<String, u64>| {
            m.iter()
                .map(|(name, n)| format!("{name} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !report.transformed.is_empty() {
            out += &format!("  transformed: {}\n", counts(&report.transformed));
        }
        if !report.set_aside.is_empty() {
            out += &format!(
                "  set aside by the map (not_kinds; in the audit entry): {}\n",
                counts(&report.set_aside)
            );
        }
        if !report.undeclared_fields.is_empty() || !report.undeclared_kinds.is_empty() {
            out += &format!(
                "  undeclared: fields [{}], kinds [{}]\n",
                report.undeclared_fields.join(", "),
                report
                    .undeclared_kinds
                    .iter()
                    .map(|(f, k)| format!("{k} in {f}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        out += &format!(
            "  individuals (by {}): {} in this batch, {} new this year; {} since 1 January ({} with sensitive PI)\n",
            report.subject_key,
            thousands(c.batch.individuals),
            thousands(c.new.individuals),
            thousands(c.current_year.individuals),
            thousands(c.current_year.sensitive_individuals)
        );
        if let Some(k) = &report.subject_key_check {
            out += &format!(
                "  subject key check: `{}` has {} distinct values, {} has {} — {}\n",
                k.key,
                thousands(k.key_distinct),
                k.identifier,
                thousands(k.identifier_distinct),
                k.action
            );
        }
        for d in &report.determinations {
            out += &format!(
                "  {}: {} — {}\n",
                d.regime,
                d.mechanism,
                if d.satisfied {
                    "in place"
                } else {
                    "NOT in place"
                }
            );
        }
        out += &match &report.outcome {
            Outcome::Passed {
                batch,
                audit_index,
                output,
            } => {
                format!(
                    "  PASSED: written to {output} (sha256 {}), ledger batch {batch}, audit entry {audit_index}\n",
                    report.sha256
                )
            }
            Outcome::Refused { reason } => {
                format!("  REFUSED: {reason}\n  nothing written, nothing counted\n")
            }
            Outcome::DryRun => "  DRY RUN: nothing written, nothing counted\n".into(),
        };
        if args.output == "-" {
            eprint!("{out}");
        } else {
            out!("{out}")?;
        }
    }
    Ok(match report.outcome {
        Outcome::Passed { .. } | Outcome::DryRun => 0,
        Outcome::Refused { .. } => 3,
    })
}
