//! `outbound incident open|list|show|notice|draft|close`: the incident
//! register and its notification clocks (which apply and when they fall due:
//! the rule data of `outbound_rules::incident`; when each notice was sent: the
//! store), and the drafts of its notices (`outbound_docs::incident`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use jiff::Timestamp;
use outbound_docs::incident::{default_lang, incident_draft};
use outbound_docs::{Lang, Templates};
use outbound_rules::incident::{Audience, ClockView, Grade, IncidentFacts, clock_views, involved};
use outbound_store::incidents::{Incident, NewIncident, check_title};

use crate::output::{Format, outln, print_json, table};
use crate::store::StoreOpts;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum IncidentCmd {
    /// Open an incident: its clocks start at the discovery time.
    Open {
        /// The data map (the transfers are checked against it).
        #[arg(long)]
        map: PathBuf,
        /// A short description, at most 200 characters, without personal data.
        #[arg(long)]
        title: String,
        /// The CAC grade: general, relatively_major, major, particularly_major.
        #[arg(long)]
        severity: String,
        /// When it was discovered (RFC 3339, e.g. 2026-11-23T08:00:00Z); not in the future.
        #[arg(long)]
        discovered: String,
        /// A transfer the incident touches (repeat for several).
        #[arg(long = "transfer", required = true)]
        transfers: Vec<String>,
        /// How many individuals are affected, if known.
        #[arg(long)]
        individuals: Option<u32>,
        /// Critical information infrastructure is involved (also set when an exporter of the transfers is a CIIO).
        #[arg(long)]
        ciio: bool,
        /// Suspend every route the incident touches (reason "incident <id>").
        #[arg(long)]
        suspend_routes: bool,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Every incident with each clock running, met or missed.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// One incident and its clocks.
    Show {
        /// Incident id.
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Record that the notice of one clock was sent.
    Notice {
        /// Incident id.
        id: String,
        /// The clock's id (see `outbound incident show`).
        #[arg(long)]
        clock: String,
        /// When it was sent (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Draft the notice to the authorities or to the individuals (Markdown;
    /// HTML when --out ends in .html). What only a person can know is left as
    /// a marked placeholder.
    Draft {
        /// Incident id.
        id: String,
        /// To whom: authority or individuals.
        #[arg(long, value_parser = ["authority", "individuals"])]
        to: String,
        /// Language: zh or en; default zh when China is involved, en otherwise.
        #[arg(long, value_parser = ["zh", "en"])]
        lang: Option<String>,
        /// The data map: each transfer's recipient, destination and data categories.
        #[arg(long)]
        map: Option<PathBuf>,
        /// Write the draft to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Close an incident.
    Close {
        /// Incident id.
        id: String,
        /// The measures taken (no personal data).
        #[arg(long)]
        measures: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
}

/// An incident with its clocks, as listed.
#[derive(serde::Serialize)]
struct View {
    #[serde(flatten)]
    incident: Incident,
    clocks: Vec<ClockView>,
}

fn views(i: &Incident, now: Timestamp) -> anyhow::Result<Vec<ClockView>> {
    let f = IncidentFacts::parse(&i.discovered_at, &i.severity, &i.regimes, i.ciio)
        .map_err(|e| anyhow::anyhow!("incident {}: {e}", i.id))?;
    let mut notices = BTreeMap::new();
    for (clock, at) in &i.notices {
        let t: Timestamp = at
            .parse()
            .with_context(|| format!("incident {}: notice time of {clock}", i.id))?;
        notices.insert(clock.clone(), t);
    }
    Ok(clock_views(&f, &notices, now))
}

fn view(i: Incident, now: Timestamp) -> anyhow::Result<View> {
    let clocks = views(&i, now)?;
    Ok(View {
        incident: i,
        clocks,
    })
}

fn print_views(vs: &[View], format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        return print_json(&vs);
    }
    if vs.is_empty() {
        outln!("no incidents")?;
        return Ok(());
    }
    for v in vs {
        let i = &v.incident;
        outln!(
            "{} [{}] {} — discovered {}, {}{}, transfers {}{}",
            i.id,
            i.state,
            i.title,
            i.discovered_at,
            i.severity,
            if i.ciio { ", CIIO" } else { "" },
            i.transfers.join(", "),
            i.individuals_affected
                .map(|n| format!(", {n} individuals"))
                .unwrap_or_default(),
        )?;
        let mut t = table(&["clock", "state", "due", "to", "citation"]);
        for c in &v.clocks {
            let state = match c.met_at {
                Some(m) => format!("{} ({m})", c.state.as_str()),
                None => c.state.as_str().to_string(),
            };
            let cite = if c.clock.confirmed {
                c.clock.citation.clone()
            } else {
                format!("{} (unconfirmed)", c.clock.citation)
            };
            t.add_row(vec![
                c.clock.id.clone(),
                state,
                c.clock.due.to_string(),
                c.clock.to.clone(),
                cite,
            ]);
        }
        outln!("{t}")?;
    }
    Ok(())
}

fn now() -> Timestamp {
    Timestamp::now()
}

pub(crate) fn run(cmd: &IncidentCmd) -> anyhow::Result<u8> {
    let actor = crate::common::cli_actor();
    match cmd {
        IncidentCmd::Open {
            map,
            title,
            severity,
            discovered,
            transfers,
            individuals,
            ciio,
            suspend_routes,
            store,
        } => {
            check_title(title).map_err(anyhow::Error::msg)?;
            severity
                .parse::<Grade>()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let at: Timestamp = discovered.parse().map_err(|_| {
                anyhow::anyhow!(
                    "--discovered `{discovered}` is not an RFC 3339 time (e.g. 2026-11-23T08:00:00Z)"
                )
            })?;
            if at > now() {
                bail!("--discovered {at} is in the future");
            }
            let loaded = match crate::common::load_valid(map) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            let (regimes, map_ciio) =
                involved(&loaded.map, transfers).map_err(anyhow::Error::msg)?;
            let (s, k) = store.open()?;
            let regimes: Vec<String> = regimes.into_iter().collect();
            let i = s.open_incident(
                &k,
                &actor,
                &NewIncident {
                    discovered_at: discovered,
                    title,
                    severity,
                    ciio: *ciio || map_ciio,
                    transfers,
                    regimes: &regimes,
                    individuals_affected: individuals.map(i64::from),
                },
            )?;
            outln!("opened {}", i.id)?;
            if *suspend_routes {
                for t in &i.transfers {
                    let idx = s.set_route(&k, &actor, t, true, &format!("incident {}", i.id))?;
                    outln!("suspended {t} (audit entry {idx})")?;
                }
            }
            print_views(&[view(i, now())?], Format::Table)?;
            Ok(0)
        }
        IncidentCmd::List { format, store } => {
            let (s, _) = store.open()?;
            let now = now();
            let vs = s
                .incidents()?
                .into_iter()
                .map(|i| view(i, now))
                .collect::<anyhow::Result<Vec<_>>>()?;
            print_views(&vs, *format)?;
            Ok(0)
        }
        IncidentCmd::Show { id, format, store } => {
            let (s, _) = store.open()?;
            let Some(i) = s.incident(id)? else {
                bail!("no incident `{id}`");
            };
            print_views(&[view(i, now())?], *format)?;
            Ok(0)
        }
        IncidentCmd::Notice {
            id,
            clock,
            at,
            store,
        } => {
            let (s, k) = store.open()?;
            let Some(i) = s.incident(id)? else {
                bail!("no incident `{id}`");
            };
            let clocks = views(&i, now())?;
            if !clocks.iter().any(|c| &c.clock.id == clock) {
                let ids: Vec<&str> = clocks.iter().map(|c| c.clock.id.as_str()).collect();
                bail!(
                    "incident {id} has no clock `{clock}` (its clocks: {})",
                    ids.join(", ")
                );
            }
            let at = at
                .clone()
                .unwrap_or_else(|| now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
            let i = s.record_incident_notice(&k, &actor, id, clock, &at)?;
            let v = view(i, now())?;
            let c = v.clocks.iter().find(|c| &c.clock.id == clock);
            outln!(
                "{id}: {clock} {} at {}",
                c.map_or("recorded", |c| c.state.as_str()),
                v.incident.notices[clock]
            )?;
            Ok(0)
        }
        IncidentCmd::Draft {
            id,
            to,
            lang,
            map,
            out,
            store,
        } => {
            let audience: Audience = to.parse().map_err(anyhow::Error::msg)?;
            let loaded = match map {
                Some(m) => match crate::common::load_valid(m) {
                    Ok(l) => Some(l),
                    Err(code) => return Ok(code),
                },
                None => None,
            };
            let (s, _) = store.open()?;
            let Some(i) = s.incident(id)? else {
                bail!("no incident `{id}`");
            };
            let lang = match lang.as_deref() {
                Some(l) => Lang::parse(l).context("--lang is zh or en")?,
                None => default_lang(&i.regimes),
            };
            let record = outbound_server::api_incidents::draft_record(&i);
            let d = incident_draft(
                &Templates::builtin(),
                &record,
                loaded.as_ref().map(|l| &l.map),
                audience,
                lang,
                now(),
            )?;
            match out {
                Some(path) => {
                    let html = path
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("html"));
                    let text = if html { d.html() } else { d.markdown.clone() };
                    std::fs::write(path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    outln!("wrote {} ({})", path.display(), d.title)?;
                }
                None => outln!("{}", d.markdown.trim_end())?,
            }
            Ok(0)
        }
        IncidentCmd::Close {
            id,
            measures,
            store,
        } => {
            let (s, k) = store.open()?;
            let i = s.close_incident(&k, &actor, id, measures.as_deref())?;
            outln!("closed {} at {}", i.id, i.closed_at.unwrap_or_default())?;
            Ok(0)
        }
    }
}
