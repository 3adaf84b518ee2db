//! `outbound recipient review|finding|risk|reviews`: reviews of overseas
//! recipients with their findings, closing a finding as fixed or accepted,
//! and a recipient's risk score with its breakdown (docs/RISK.md).

use std::path::PathBuf;

use jiff::civil::Date;
use outbound_rules::recipient::checklist;
use outbound_rules::risk::{self, markdown};
use outbound_store::reviews::{FindingState, NewFinding, NewReview, ReviewKind, Severity};

use crate::common::{cli_actor, load_valid, parse_date, today};
use crate::output::{Format, outln, print_json, table};
use crate::store::StoreOpts;

/// `SEVERITY:TEXT`.
fn parse_finding(s: &str) -> Result<(Severity, String), String> {
    let (sev, text) = s
        .split_once(':')
        .ok_or("a finding is SEVERITY:TEXT, e.g. high:backups are not encrypted")?;
    let sev = sev.trim().parse::<Severity>().map_err(|e| e.to_string())?;
    Ok((sev, text.trim().to_string()))
}

fn parse_kind(s: &str) -> Result<ReviewKind, String> {
    s.parse()
        .map_err(|e: outbound_store::StoreError| e.to_string())
}

fn parse_state(s: &str) -> Result<FindingState, String> {
    match s.parse::<FindingState>() {
        Ok(FindingState::Open) => Err("a finding is closed as `fixed` or `accepted`".into()),
        Ok(st) => Ok(st),
        Err(e) => Err(e.to_string()),
    }
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum ReviewCmd {
    /// Record a review of a recipient and its findings (all open).
    Review {
        /// The data map.
        #[arg(long)]
        map: PathBuf,
        /// The recipient's id in the map.
        recipient: String,
        /// How it was done: desk, on_site or audit_report.
        #[arg(long, value_parser = parse_kind)]
        kind: ReviewKind,
        /// What was reviewed and concluded (no personal data; kept in the store, not in the audit log).
        #[arg(long)]
        summary: String,
        /// The day it took place (default: today).
        #[arg(long, value_parser = parse_date)]
        date: Option<Date>,
        /// A finding, SEVERITY:TEXT (low, medium, high); repeat for several.
        #[arg(long = "finding", value_parser = parse_finding)]
        findings: Vec<(Severity, String)>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Close an open finding as fixed or accepted (once).
    Finding {
        /// The finding's number (see `outbound recipient reviews`).
        id: i64,
        /// fixed or accepted.
        #[arg(long, value_parser = parse_state)]
        state: FindingState,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// A recipient's reviews and findings, and when its next review is due.
    Reviews {
        /// The data map.
        #[arg(long)]
        map: PathBuf,
        /// The recipient's id in the map.
        recipient: String,
        /// The day to judge on (default: today).
        #[arg(long, value_parser = parse_date)]
        as_of: Option<Date>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// A recipient's risk score with every input, its value, points and source.
    Risk {
        /// The data map.
        #[arg(long)]
        map: PathBuf,
        /// The recipient's id in the map.
        recipient: String,
        /// The day to judge on (default: today).
        #[arg(long, value_parser = parse_date)]
        as_of: Option<Date>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreOpts,
    },
}

fn known(map: &outbound_model::DataMap, recipient: &str) -> anyhow::Result<()> {
    if map.recipient(recipient).is_some() {
        return Ok(());
    }
    let ids: Vec<&str> = map.recipients.iter().map(|r| r.id.as_str()).collect();
    anyhow::bail!(
        "the data map has no recipient `{recipient}` (recipients: {})",
        ids.join(", ")
    )
}

pub(crate) fn run(cmd: &ReviewCmd) -> anyhow::Result<u8> {
    match cmd {
        ReviewCmd::Review {
            map,
            recipient,
            kind,
            summary,
            date,
            findings,
            store,
        } => {
            let loaded = match load_valid(map) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            known(&loaded.map, recipient)?;
            // The store judges "not after today" in UTC.
            let utc_today = jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date();
            let new = NewReview {
                recipient: recipient.clone(),
                date: date.unwrap_or(utc_today).to_string(),
                kind: *kind,
                summary: summary.clone(),
                findings: findings
                    .iter()
                    .map(|(severity, text)| NewFinding {
                        severity: *severity,
                        text: text.clone(),
                    })
                    .collect(),
            };
            outbound_store::reviews::check(&new, &cli_actor(), utc_today)
                .map_err(|p| anyhow::anyhow!("{p}"))?;
            let (s, k) = store.open()?;
            let r = s.record_review(&k, &cli_actor(), &new)?;
            outln!(
                "review {} of {} ({}, {}) recorded with {} finding(s)",
                r.id,
                r.recipient,
                r.kind,
                r.date,
                r.findings.len()
            )?;
            for f in &r.findings {
                outln!("  finding {}: {} (open)", f.id, f.severity)?;
            }
            Ok(0)
        }
        ReviewCmd::Finding { id, state, store } => {
            let (s, k) = store.open()?;
            let f = s.set_finding_state(&k, &cli_actor(), *id, *state)?;
            outln!(
                "finding {} ({}, {} of review {}) is now {} (by {})",
                f.id,
                f.severity,
                f.recipient,
                f.review,
                f.state,
                f.closed_by.as_deref().unwrap_or("-")
            )?;
            Ok(0)
        }
        ReviewCmd::Reviews {
            map,
            recipient,
            as_of,
            format,
            store,
        } => {
            let loaded = match load_valid(map) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            known(&loaded.map, recipient)?;
            let on = as_of.unwrap_or_else(today);
            let (s, _) = store.open()?;
            let reviews = s.reviews(Some(recipient))?;
            let st =
                outbound_server::api_reviews::review_standing(&loaded.map, recipient, &reviews, on);
            match format {
                Format::Json => print_json(&serde_json::json!({
                    "recipient": recipient, "as_of": on.to_string(), "next_review": st,
                    "reviews": reviews,
                }))?,
                Format::Table | Format::Markdown => {
                    let mut t = table(&[
                        "review", "date", "kind", "by", "finding", "severity", "state",
                    ]);
                    for r in &reviews {
                        if r.findings.is_empty() {
                            t.add_row(vec![
                                r.id.to_string(),
                                r.date.clone(),
                                r.kind.to_string(),
                                r.by.clone(),
                                "-".into(),
                                "-".into(),
                                "-".into(),
                            ]);
                        }
                        for f in &r.findings {
                            t.add_row(vec![
                                r.id.to_string(),
                                r.date.clone(),
                                r.kind.to_string(),
                                r.by.clone(),
                                format!("{}: {}", f.id, f.text),
                                f.severity.to_string(),
                                f.state.to_string(),
                            ]);
                        }
                    }
                    outln!("{t}")?;
                    outln!(
                        "next review: {} ({}; every {} months), as of {on}",
                        st.due.map_or("-".to_string(), |d| d.to_string()),
                        st.standing.as_str(),
                        risk::data().review_schedule.months
                    )?;
                }
            }
            Ok(0)
        }
        ReviewCmd::Risk {
            map,
            recipient,
            as_of,
            format,
            store,
        } => {
            let loaded = match load_valid(map) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            known(&loaded.map, recipient)?;
            let on = as_of.unwrap_or_else(today);
            let (s, _) = store.open()?;
            let c = checklist(&loaded.map, recipient);
            let Some(inputs) = outbound_server::api_reviews::risk_inputs(
                &s,
                &loaded.map,
                c.as_ref(),
                recipient,
                on,
            )?
            else {
                anyhow::bail!("the data map has no recipient `{recipient}`");
            };
            let score = risk::score(&inputs);
            match format {
                Format::Json => print_json(&serde_json::json!({
                    "as_of": on.to_string(), "score": score, "inputs": inputs,
                }))?,
                Format::Markdown => outln!("{}", markdown(&score))?,
                Format::Table => {
                    let mut t = table(&["criterion", "value", "points", "from"]);
                    for l in &score.lines {
                        t.add_row(vec![
                            l.en.clone(),
                            l.value.clone(),
                            format!("{} / {}", l.points, l.max),
                            l.from.clone(),
                        ]);
                    }
                    outln!("{t}")?;
                    outln!(
                        "{recipient}: {} / {} points, band {} ({}); method v{} (docs/RISK.md), as of {on}",
                        score.total,
                        score.max,
                        score.band_en,
                        score.band_meaning,
                        score.method_version
                    )?;
                }
            }
            Ok(0)
        }
    }
}
