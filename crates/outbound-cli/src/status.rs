//! `outbound status MAP`: the ledger's counts against each threshold, with
//! this year's trend and the projected crossing dates.

use std::path::PathBuf;

use jiff::civil::Date;
use outbound_rules::format::thousands;
use outbound_rules::trend::YearTrend;

use crate::common::{assess_with_ledger, load_valid, parse_date, today};
use crate::output::{Format, outln, print_json, table};
use crate::store::StoreOpts;

#[derive(clap::Args, Debug)]
pub(crate) struct StatusArgs {
    /// The data map.
    pub(crate) map: PathBuf,
    #[command(flatten)]
    pub(crate) store: StoreOpts,
    /// Judge as of this date (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_date)]
    pub(crate) as_of: Option<Date>,
    /// Warn when a threshold is projected to be crossed within this many days.
    #[arg(long, default_value_t = 90)]
    pub(crate) horizon: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
}

#[derive(serde::Serialize)]
struct Projection {
    exporter: String,
    threshold: String,
    count: u64,
    at_least: u64,
    per_day: f64,
    projected_date: Option<Date>,
    warning: bool,
}

pub(crate) fn run(args: &StatusArgs) -> anyhow::Result<u8> {
    let loaded = match load_valid(&args.map) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let (s, _) = args.store.open()?;
    let as_of = args.as_of.unwrap_or_else(today);
    let a = assess_with_ledger(&loaded.map, as_of, Some(&s))?;
    let mut projections = Vec::new();
    for e in &a.exporters {
        for l in &e.thresholds {
            if l.reached || l.at_least <= 1 {
                continue;
            }
            let count = l.count;
            let trend = YearTrend::new(as_of, count);
            let projected_date = trend.crossing(l.at_least);
            let warning = projected_date.is_some_and(|d| {
                as_of
                    .until(d)
                    .map(|s| i64::from(s.get_days()))
                    .unwrap_or(i64::MAX)
                    <= args.horizon
            });
            projections.push(Projection {
                exporter: e.exporter.clone(),
                threshold: format!(
                    "{} {} ({})",
                    thousands(l.at_least),
                    l.measure.replace('_', " "),
                    l.citation
                ),
                count,
                at_least: l.at_least,
                per_day: trend.per_day(),
                projected_date,
                warning,
            });
        }
    }
    if args.format == Format::Json {
        print_json(
            &serde_json::json!({"as_of": as_of, "exporters": a.exporters, "groups": a.groups, "projections": projections}),
        )?;
        return Ok(0);
    }
    outln!("Status as of {as_of} (store {})\n", s.location)?;
    for e in &a.exporters {
        let ledger = s.counts(
            std::slice::from_ref(&e.exporter),
            as_of.year(),
            as_of.year(),
        )?;
        outln!(
            "{} — ledger: {} individuals, {} with sensitive PI exported since 1 January (exact)",
            e.exporter,
            thousands(ledger.individuals),
            thousands(ledger.sensitive_individuals)
        )?;
        for l in &e.thresholds {
            outln!("    {}{}", l.text, if l.reached { "  REACHED" } else { "" })?;
        }
    }
    let mut t = table(&[
        "exporter",
        "threshold",
        "now",
        "rate/day",
        "projected crossing",
        "",
    ]);
    for p in &projections {
        t.add_row(vec![
            p.exporter.clone(),
            p.threshold.clone(),
            thousands(p.count),
            format!("{:.0}", p.per_day),
            p.projected_date
                .map_or("not this year".into(), |d| d.to_string()),
            if p.warning {
                format!("WARNING: within {} days", args.horizon)
            } else {
                String::new()
            },
        ]);
    }
    outln!("\n{t}")?;
    Ok(0)
}
