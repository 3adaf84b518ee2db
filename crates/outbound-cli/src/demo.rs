//! `outbound demo`: the main job end to end on the bundled example (Lumen Group),
//! with nothing to install or configure.

use std::fmt::Write as _;

use jiff::civil::Date;
use outbound_model::{Taxonomy, load_sources};
use outbound_rules::assess::assess;

use crate::assess::{parse_date, render, today, upcoming};
use crate::output::{Format, table};
use crate::validate::print_diagnostics;

/// The bundled example, embedded so the demo runs from any directory.
pub const EXAMPLE: &[(&str, &str)] = &[
    (
        "examples/lumen/00-company.yaml",
        include_str!("../../../examples/lumen/00-company.yaml"),
    ),
    (
        "examples/lumen/10-systems.yaml",
        include_str!("../../../examples/lumen/10-systems.yaml"),
    ),
    (
        "examples/lumen/20-recipients.yaml",
        include_str!("../../../examples/lumen/20-recipients.yaml"),
    ),
    (
        "examples/lumen/30-transfers-cn.yaml",
        include_str!("../../../examples/lumen/30-transfers-cn.yaml"),
    ),
    (
        "examples/lumen/40-transfers-eu.yaml",
        include_str!("../../../examples/lumen/40-transfers-eu.yaml"),
    ),
];

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Judge as of this date (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// `table` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(args: &DemoArgs) -> anyhow::Result<u8> {
    let sources: Vec<(String, String)> = EXAMPLE
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let loaded = load_sources(&sources, Taxonomy::builtin());
    if !loaded.diagnostics.is_empty() {
        print_diagnostics(&loaded.diagnostics);
        anyhow::bail!("the bundled example does not validate");
    }
    let as_of = args.as_of.unwrap_or_else(today);
    let a = assess(&loaded.map, as_of, None);
    if args.format == Format::Json {
        print!("{}", render(&a, Format::Json)?);
        return Ok(0);
    }
    print!("{}", demo_text(&loaded.map, &a));
    Ok(0)
}

/// The demo's text: what a compliance officer wants first.
pub fn demo_text(map: &outbound_model::DataMap, a: &outbound_rules::assess::Assessment) -> String {
    let mut s = String::new();
    let org = map.organisation.as_deref().unwrap_or("the example");
    let _ = writeln!(
        s,
        "Outbound demo: {org} (bundled example, examples/lumen/), judged as of {}\n",
        a.as_of
    );
    let _ = writeln!(
        s,
        "1. Data map valid: {} exporters, {} systems, {} datasets, {} recipients abroad, {} transfers.\n",
        map.exporters.len(),
        map.systems.len(),
        map.datasets.len(),
        map.recipients.len(),
        map.transfers.len()
    );
    let dets: Vec<_> = a
        .transfers
        .iter()
        .flat_map(|t| t.determinations.iter().map(move |d| (t, d)))
        .collect();
    let missing: Vec<_> = dets.iter().filter(|(_, d)| !d.satisfied).collect();
    let _ = writeln!(
        s,
        "2. Routes required: {} determinations, {} with the route NOT in place:",
        dets.len(),
        missing.len()
    );
    for (t, d) in &missing {
        let why = d
            .reasons
            .first()
            .map(|r| format!("{} [{}]", r.text, r.citation))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "   - {} ({}): needs {} — {}",
            t.transfer, d.regime, d.mechanism, why
        );
    }
    let mut tbl = table(&["transfer", "to", "regime", "route required", "in place"]);
    for (t, d) in &dets {
        tbl.add_row(vec![
            t.transfer.clone(),
            t.recipient_country.clone(),
            d.regime.to_string(),
            d.mechanism.to_string(),
            if d.satisfied {
                "yes".into()
            } else {
                "NO".into()
            },
        ]);
    }
    let _ = writeln!(s, "\n{tbl}\n");
    let up = upcoming(a);
    let _ = writeln!(
        s,
        "3. Deadlines overdue or within 30 days:{}",
        if up.is_empty() { " none" } else { "" }
    );
    for (t, regime, id, due, cite) in &up {
        let state = if *due < a.as_of { "OVERDUE" } else { "due" };
        let _ = writeln!(s, "   - {state} {due}: {id} for {t} ({regime}) [{cite}]");
    }
    let _ = writeln!(
        s,
        "\n4. Individuals exported since 1 January {} against the thresholds:",
        a.as_of.year()
    );
    let ciio: std::collections::HashSet<&str> = map
        .exporters
        .iter()
        .filter(|e| e.ciio)
        .map(|e| e.id.as_str())
        .collect();
    for e in &a.exporters {
        if ciio.contains(e.exporter.as_str()) {
            let _ = writeln!(
                s,
                "   - {}: {}",
                e.exporter,
                e.note.as_deref().unwrap_or("a CIIO")
            );
            continue;
        }
        for l in &e.thresholds {
            let flag = if l.reached { "  <- reached" } else { "" };
            let _ = writeln!(s, "   - {}: {}{flag}", e.exporter, l.text);
        }
    }
    for g in &a.groups {
        let _ = writeln!(
            s,
            "   - group {} ({}): {} individuals in total{}",
            g.group,
            g.exporters.join(", "),
            outbound_rules::regime::cn::thousands(g.current_year.individuals),
            g.warning
                .as_ref()
                .map_or(String::new(), |w| format!(" — WARNING: {w}"))
        );
    }
    let _ = writeln!(
        s,
        "\nNext: `outbound assess examples/lumen --as-of {}` for every reason and obligation with its article,",
        a.as_of
    );
    let _ = writeln!(
        s,
        "      `outbound rules` for the instruments, thresholds and dates the engine applies."
    );
    s
}
