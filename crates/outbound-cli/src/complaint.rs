//! `outbound complaint list|show|triage|answer`: the handler's tool for
//! complaints from the public channel. The deadline comes from the rule data
//! (`outbound_rules::complaint`); the store keeps the triage and the answer.
//! `list` prints ids, states and dates only, never the text or the contact;
//! `show` prints them (the handler needs them to answer).

use std::path::PathBuf;

use anyhow::bail;
use outbound_rules::complaint::{self as rules, overdue, today};
use outbound_store::Complaint;
use outbound_store::complaints::{Handling, OUTCOMES, Triage};

use crate::output::{Format, outln, print_json, table};
use crate::store::StoreOpts;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum ComplaintCmd {
    /// Every complaint: tracking id, state, category, links, due date (no text, no contact).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// One complaint in full, with its text and contact, and the rules that apply.
    Show {
        /// Tracking id (C-…).
        tracking: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Triage: category, link to a transfer and/or recipient; sets the deadline from rule data.
    Triage {
        /// Tracking id (C-…).
        tracking: String,
        /// The data map (the transfer and recipient are checked against it).
        #[arg(long)]
        map: PathBuf,
        /// rights_request, processing, security, recipient_conduct or other.
        #[arg(long)]
        category: String,
        /// The transfer it concerns.
        #[arg(long)]
        transfer: Option<String>,
        /// The recipient it concerns.
        #[arg(long)]
        recipient: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Answer a triaged complaint, closing it.
    Answer {
        /// Tracking id (C-…).
        tracking: String,
        /// The answer given to the complainant (at most 10,000 characters).
        #[arg(long)]
        answer: String,
        /// upheld, partly_upheld, rejected, withdrawn or referred.
        #[arg(long)]
        outcome: String,
        #[command(flatten)]
        store: StoreOpts,
    },
}

/// A complaint as listed: ids, state and dates, no personal data.
#[derive(serde::Serialize)]
struct Row {
    tracking: String,
    received: String,
    state: String,
    category: Option<String>,
    transfer: Option<String>,
    recipient: Option<String>,
    due: Option<String>,
    rule: Option<String>,
    overdue: bool,
    outcome: Option<String>,
}

/// The list's row: the server's view of the handling (one rule for the
/// due date and "overdue"), without the answer's text.
fn row(c: &Complaint, h: Option<&Handling>) -> Row {
    let v = outbound_server::api_complaints::handling_view(c, h);
    Row {
        tracking: v.tracking,
        received: v.received,
        state: v.state,
        category: v.category,
        transfer: v.transfer,
        recipient: v.recipient,
        due: v.due,
        rule: v.rule,
        overdue: v.overdue,
        outcome: v.outcome,
    }
}

fn print_rows(rows: &[Row], format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        return print_json(&rows);
    }
    if rows.is_empty() {
        outln!("no complaints")?;
        return Ok(());
    }
    let mut t = table(&[
        "tracking",
        "received",
        "state",
        "category",
        "transfer",
        "recipient",
        "due",
        "outcome",
    ]);
    for r in rows {
        let due = match (&r.due, r.overdue) {
            (Some(d), true) => format!("{d} OVERDUE"),
            (Some(d), false) => d.clone(),
            (None, _) => "-".into(),
        };
        t.add_row(vec![
            r.tracking.clone(),
            r.received.clone(),
            r.state.to_string(),
            r.category.clone().unwrap_or_default(),
            r.transfer.clone().unwrap_or_default(),
            r.recipient.clone().unwrap_or_default(),
            due,
            r.outcome.clone().unwrap_or_default(),
        ]);
    }
    outln!("{t}")?;
    Ok(())
}

fn rules_line(r: &rules::RuleData) -> String {
    let n = match (r.unit, r.amount) {
        (rules::Unit::CalendarDays, Some(n)) => format!("{n} calendar days"),
        (rules::Unit::Months, Some(n)) => format!("{n} month(s)"),
        _ => "no fixed time".into(),
    };
    let c = if r.confirmed { "" } else { " (unconfirmed)" };
    format!("{}{c}: {n}", r.article)
}

pub(crate) fn run(cmd: &ComplaintCmd) -> anyhow::Result<u8> {
    let actor = crate::common::cli_actor();
    match cmd {
        ComplaintCmd::List { format, store } => {
            let (s, _) = store.open()?;
            let handled: std::collections::BTreeMap<String, Handling> = s
                .complaint_handlings()?
                .into_iter()
                .map(|h| (h.tracking.clone(), h))
                .collect();
            let rows: Vec<Row> = s
                .complaints()?
                .iter()
                .map(|c| row(c, handled.get(&c.tracking)))
                .collect();
            print_rows(&rows, *format)?;
            Ok(0)
        }
        ComplaintCmd::Show {
            tracking,
            format,
            store,
        } => {
            let (s, _) = store.open()?;
            let Some((c, h)) = s.complaint(tracking)? else {
                bail!("no complaint with that tracking id");
            };
            if *format == Format::Json {
                print_json(&serde_json::json!({"complaint": c, "handling": h}))?;
                return Ok(0);
            }
            print_rows(&[row(&c, h.as_ref())], Format::Table)?;
            outln!("text:\n{}", c.text)?;
            outln!("contact: {}", c.contact.as_deref().unwrap_or("-"))?;
            if let Some(h) = &h {
                outln!("triaged {} by {}", h.triaged_at, h.triaged_by)?;
                if let (Some(a), Some(at), Some(by)) = (&h.answer, &h.answered_at, &h.answered_by) {
                    outln!("answered {at} by {by}:\n{a}")?;
                }
            }
            let applies = match &h {
                Some(_) => None,
                None => rules::provisional(&c.at),
            };
            if let Some(p) = applies {
                outln!("rules (before triage):")?;
                for r in p.rules {
                    outln!("  {}", rules_line(r))?;
                }
            }
            Ok(0)
        }
        ComplaintCmd::Triage {
            tracking,
            map,
            category,
            transfer,
            recipient,
            store,
        } => {
            let (s, k) = store.open()?;
            let Some((c, _)) = s.complaint(tracking)? else {
                bail!("no complaint with that tracking id");
            };
            let loaded = match crate::common::load_valid(map) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            let applies = rules::triage(
                &loaded.map,
                &c.at,
                category,
                transfer.as_deref(),
                recipient.as_deref(),
            )
            .map_err(anyhow::Error::msg)?;
            let h = s.triage_complaint(
                &k,
                &actor,
                tracking,
                &Triage {
                    category: category.clone(),
                    transfer: transfer.clone(),
                    recipient: recipient.clone(),
                    due: applies.deadline.as_ref().map(|d| d.due.to_string()),
                    rule: applies.deadline.as_ref().map(|d| d.rule.id.clone()),
                },
            )?;
            outln!(
                "triaged {tracking}: {}, due {}",
                h.category,
                h.due.as_deref().unwrap_or("(no rule sets a date)")
            )?;
            for r in applies.rules {
                outln!("  {}", rules_line(r))?;
            }
            Ok(0)
        }
        ComplaintCmd::Answer {
            tracking,
            answer,
            outcome,
            store,
        } => {
            if !OUTCOMES.contains(&outcome.as_str()) {
                bail!("--outcome must be one of: {}", OUTCOMES.join(", "));
            }
            let (s, k) = store.open()?;
            let h = s.answer_complaint(&k, &actor, tracking, answer, outcome)?;
            let late = h
                .due
                .as_deref()
                .and_then(|d| d.parse().ok())
                .is_some_and(|d| overdue(d, today()));
            outln!(
                "answered {tracking}: {outcome}{}",
                if late { " (after the due date)" } else { "" }
            )?;
            Ok(0)
        }
    }
}
