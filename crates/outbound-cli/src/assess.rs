//! `outbound assess MAP`: every transfer, every regime, what is required and what remains.

use std::fmt::Write as _;
use std::path::PathBuf;

use jiff::civil::Date;
use outbound_rules::Determination;
use outbound_rules::assess::Assessment;
use outbound_rules::format::thousands;

use crate::common::{assess_with_ledger, load_valid, open_existing_store, parse_date, today};
use crate::output::{Format, markdown_table, out, table};

#[derive(clap::Args, Debug)]
pub(crate) struct AssessArgs {
    /// The data map (a YAML file or a directory).
    pub(crate) map: PathBuf,
    /// Judge as of this date (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_date)]
    pub(crate) as_of: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Only this transfer.
    #[arg(long)]
    pub(crate) transfer: Option<String>,
    /// Exit 1 when any route required is not in place.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Use the exact counts of this store's ledger (a SQLite path or a postgres:// URL).
    #[arg(long)]
    pub(crate) store: Option<String>,
}

pub(crate) fn run(args: &AssessArgs) -> anyhow::Result<u8> {
    let loaded = match load_valid(&args.map) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let as_of = args.as_of.unwrap_or_else(today);
    let store = match &args.store {
        Some(loc) => Some(open_existing_store(loc)?),
        None => None,
    };
    let mut a = assess_with_ledger(&loaded.map, as_of, store.as_ref())?;
    if let Some(id) = &args.transfer {
        if !a.transfers.iter().any(|t| &t.transfer == id) {
            eprintln!("error: no transfer `{id}` in the map");
            return Ok(2);
        }
        a.transfers.retain(|t| &t.transfer == id);
    }
    out!("{}", render(&a, args.format)?)?;
    let unsatisfied = a
        .transfers
        .iter()
        .any(|t| t.error.is_some() || t.determinations.iter().any(|d| !d.satisfied));
    Ok(if args.strict && unsatisfied { 1 } else { 0 })
}

/// Renders an assessment in a format.
pub(crate) fn render(a: &Assessment, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(a)? + "\n",
        Format::Table => render_text(a),
        Format::Markdown => render_markdown(a),
    })
}

fn due_text(id: &str, due: Option<Date>, as_of: Date) -> String {
    if id.ends_with("_retention") {
        return due.map_or(String::new(), |d| format!("keep until {d}"));
    }
    match due {
        None => String::new(),
        Some(d) => match as_of_days(as_of, d) {
            0 => format!("due {d} (today)"),
            n if n < 0 => format!("due {d} (OVERDUE by {} days)", -n),
            n => format!("due {d} (in {n} days)"),
        },
    }
}

/// "crm-to-parent 120,000; card-payments 9,000 (9,000 sensitive; exempt under Provisions Art. 5(1), counted)".
fn contributions_text(e: &outbound_rules::assess::ExporterSummary) -> String {
    e.contributions
        .iter()
        .map(|c| {
            let mut notes = Vec::new();
            if c.sensitive_individuals > 0 {
                notes.push(format!("{} sensitive", thousands(c.sensitive_individuals)));
            }
            if let Some(cite) = &c.exempt_but_counted {
                notes.push(format!("exempt under {cite}, counted"));
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            };
            format!("{} {}{notes}", c.transfer, thousands(c.individuals))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One determination as indented text.
pub(crate) fn render_determination_text(d: &Determination, as_of: Date) -> String {
    let mut s = String::new();
    let status = if d.satisfied {
        "in place"
    } else {
        "NOT IN PLACE"
    };
    let _ = writeln!(s, "  {} · route: {} · {}", d.regime, d.mechanism, status);
    let _ = writeln!(s, "      under: {}", d.instrument);
    for r in &d.reasons {
        let _ = writeln!(s, "      why:   {} [{}]", r.text, r.citation);
    }
    for o in &d.obligations {
        let due = due_text(o.id, o.due, as_of);
        let due = if due.is_empty() {
            String::new()
        } else {
            format!(" — {due}")
        };
        let _ = writeln!(
            s,
            "      to do: {}{} — {} [{}]",
            o.id, due, o.text, o.citation
        );
    }
    s
}

/// The conflicts between regimes on one transfer, one paragraph each.
pub(crate) fn render_conflicts_text(cs: &[outbound_rules::conflicts::Conflict]) -> String {
    let mut s = String::new();
    for c in cs {
        let _ = writeln!(
            s,
            "  CONFLICT {} × {}: {}",
            c.regimes[0], c.regimes[1], c.text
        );
        let _ = writeln!(s, "      cites: {}", c.citations.join("; "));
    }
    s
}

/// Obligations with a date that is past or within 30 days, soonest first.
pub(crate) fn upcoming(a: &Assessment) -> Vec<(String, &'static str, &'static str, Date, String)> {
    let mut v = Vec::new();
    for t in &a.transfers {
        for d in &t.determinations {
            for o in &d.obligations {
                if let Some(due) = o.due
                    && o.id != "pipia_retention"
                    && o.id != "assessment_expiry"
                    && as_of_days(a.as_of, due) <= 30
                {
                    v.push((t.transfer.clone(), d.regime, o.id, due, o.citation.clone()));
                }
            }
        }
    }
    v.sort_by_key(|x| x.3);
    v
}

/// A table cell: `yes` when the route a determination requires is in place, `NO` otherwise.
pub(crate) fn in_place(d: &Determination) -> String {
    if d.satisfied { "yes" } else { "NO" }.into()
}

fn as_of_days(as_of: Date, d: Date) -> i64 {
    as_of.until(d).map(|s| s.get_days() as i64).unwrap_or(0)
}

fn summary_rows(a: &Assessment) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for t in &a.transfers {
        if let Some(e) = &t.error {
            rows.push(vec![
                t.transfer.clone(),
                format!("{} → {}", t.exporter, t.recipient_country),
                "-".into(),
                format!("cannot judge: {e}"),
                "-".into(),
                "-".into(),
            ]);
        }
        if t.determinations.is_empty() && t.error.is_none() {
            rows.push(vec![
                t.transfer.clone(),
                format!("{} → {}", t.exporter, t.recipient_country),
                "-".into(),
                "no regime applies".into(),
                "-".into(),
                "-".into(),
            ]);
        }
        for d in &t.determinations {
            let next = d
                .obligations
                .iter()
                .filter(|o| o.due.is_some() && o.id != "pipia_retention")
                .min_by_key(|o| o.due)
                .map(|o| {
                    format!(
                        "{} {}",
                        o.id,
                        o.due.map(|d| d.to_string()).unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            rows.push(vec![
                t.transfer.clone(),
                format!("{} → {}", t.exporter, t.recipient_country),
                d.regime.to_string(),
                d.mechanism.to_string(),
                in_place(d),
                next,
            ]);
        }
    }
    rows
}

const SUMMARY_HEADER: [&str; 6] = [
    "transfer",
    "from → to",
    "regime",
    "route required",
    "in place",
    "next deadline",
];

fn render_text(a: &Assessment) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Assessment as of {}\n", a.as_of);
    let mut t = table(&SUMMARY_HEADER);
    for r in summary_rows(a) {
        t.add_row(r);
    }
    let _ = writeln!(s, "{t}\n");
    for t in &a.transfers {
        let _ = writeln!(
            s,
            "{} — {} → {} ({})  [{}]",
            t.transfer, t.exporter, t.recipient, t.recipient_country, t.source
        );
        if let Some(e) = &t.error {
            let _ = writeln!(s, "  cannot judge: {e}");
        }
        for d in &t.determinations {
            s.push_str(&render_determination_text(d, a.as_of));
        }
        s.push_str(&render_conflicts_text(&t.conflicts));
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "Cumulative individuals exported in {} (per exporter)",
        a.as_of.year()
    );
    for e in &a.exporters {
        let _ = writeln!(s, "  {} ({}, {})", e.exporter, e.name, e.country);
        if e.thresholds.is_empty() {
            let _ = writeln!(
                s,
                "      {} individuals, {} sensitive",
                thousands(e.current_year.individuals),
                thousands(e.current_year.sensitive_individuals)
            );
        }
        if let Some(n) = &e.note {
            let _ = writeln!(s, "      note: {n}");
        }
        for l in &e.thresholds {
            let flag = if l.reached { "  REACHED" } else { "" };
            let _ = writeln!(s, "      {}{flag}", l.text);
        }
        let _ = writeln!(s, "      counts: {}", e.counts_source);
        if !e.contributions.is_empty() && e.country == "CN" {
            let _ = writeln!(s, "      from: {}", contributions_text(e));
        }
    }
    for g in &a.groups {
        let _ = writeln!(
            s,
            "  group {} ({}): {} individuals, {} sensitive in total",
            g.group,
            g.exporters.join(", "),
            thousands(g.current_year.individuals),
            thousands(g.current_year.sensitive_individuals)
        );
        if let Some(w) = &g.warning {
            let _ = writeln!(s, "      WARNING: {w}");
        }
    }
    s
}

fn render_markdown(a: &Assessment) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Transfer assessment as of {}\n", a.as_of);
    s.push_str(&markdown_table(&SUMMARY_HEADER, &summary_rows(a)));
    for t in &a.transfers {
        let _ = writeln!(
            s,
            "\n## {} — {} → {} ({})\n",
            t.transfer, t.exporter, t.recipient, t.recipient_country
        );
        let _ = writeln!(s, "Defined at `{}`.\n", t.source);
        if let Some(e) = &t.error {
            let _ = writeln!(s, "**Cannot judge:** {e}\n");
        }
        for d in &t.determinations {
            let _ = writeln!(
                s,
                "### {}: `{}` — {}\n",
                d.regime,
                d.mechanism,
                if d.satisfied {
                    "in place"
                } else {
                    "**not in place**"
                }
            );
            let _ = writeln!(s, "Under: {}\n", d.instrument);
            for r in &d.reasons {
                let _ = writeln!(s, "- {} *({})*", r.text, r.citation);
            }
            if !d.obligations.is_empty() {
                let _ = writeln!(s, "\nTo do:\n");
                for o in &d.obligations {
                    let due = due_text(o.id, o.due, a.as_of);
                    let due = if due.is_empty() {
                        String::new()
                    } else {
                        format!(" — {due}")
                    };
                    let _ = writeln!(s, "- `{}`{}: {} *({})*", o.id, due, o.text, o.citation);
                }
            }
            s.push('\n');
        }
    }
    let _ = writeln!(
        s,
        "\n## Cumulative individuals exported in {}\n",
        a.as_of.year()
    );
    let rows: Vec<Vec<String>> = a
        .exporters
        .iter()
        .flat_map(|e| {
            let mut v: Vec<Vec<String>> = e
                .thresholds
                .iter()
                .map(|l| {
                    vec![
                        e.exporter.clone(),
                        l.text.clone(),
                        if l.reached {
                            "reached".into()
                        } else {
                            String::new()
                        },
                    ]
                })
                .collect();
            if e.thresholds.is_empty() {
                v.push(vec![
                    e.exporter.clone(),
                    format!(
                        "{} individuals, {} sensitive",
                        thousands(e.current_year.individuals),
                        thousands(e.current_year.sensitive_individuals)
                    ),
                    String::new(),
                ]);
            }
            if let Some(n) = &e.note {
                v.push(vec![e.exporter.clone(), n.clone(), String::new()]);
            }
            if !e.contributions.is_empty() && e.country == "CN" {
                v.push(vec![
                    e.exporter.clone(),
                    format!("from: {}", contributions_text(e)),
                    String::new(),
                ]);
            }
            v
        })
        .collect();
    s.push_str(&markdown_table(
        &["exporter", "count against threshold", ""],
        &rows,
    ));
    s
}
