//! `outbound request open|list|show|identity|forward|answer|pause|resume|extend|close|refuse`:
//! rights requests of individuals (the store's register, `outbound_store::rights`),
//! their due dates per regime (the rule data of `outbound_rules::rights`), and
//! their forwarding to exactly the recipients the ledger says received the person.
//!
//! The subject key is read, normalised and hashed with the store's key; only
//! the keyed hash reaches the store, and the key is never printed.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use jiff::Timestamp;
use outbound_rules::rights::{Clock, Due, DueState, due_all};
use outbound_store::rights::{
    Channel, IdentityMethod, NewRequest, PartAnswer, PartOutcome, RefusalReason, Request,
    RequestKind,
};

use crate::output::{Format, outln, print_json, table};
use crate::store::StoreOpts;

fn parse_with<T: std::str::FromStr<Err = outbound_store::StoreError>>(
    s: &str,
) -> Result<T, String> {
    s.parse()
        .map_err(|e: outbound_store::StoreError| e.to_string())
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum RequestCmd {
    /// Open a request: prints its id. The subject key is hashed, never stored or printed.
    Open {
        /// What the person asks for (repeat): know, access, copy, correct, delete, restrict, withdraw_consent, explain.
        #[arg(long = "kind", required = true, value_parser = parse_with::<RequestKind>)]
        kinds: Vec<RequestKind>,
        /// The person's subject key (as the gate reads it); `-` reads one line from standard input.
        #[arg(long)]
        subject_key: String,
        /// How the identity was checked: account_login, id_document_sighted, video_call, known_contact, none_yet.
        #[arg(long, value_parser = parse_with::<IdentityMethod>)]
        identity: IdentityMethod,
        /// When it was received (RFC 3339); default now. Not in the future.
        #[arg(long)]
        received_at: Option<String>,
        /// The regimes whose time limits apply (repeat): CN, EU.
        #[arg(long = "regime", default_values_t = ["CN".to_string(), "EU".to_string()])]
        regimes: Vec<String>,
        /// How it came in: staff, api, public_form.
        #[arg(long, default_value = "staff", value_parser = parse_with::<Channel>)]
        channel: Channel,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Every request, its state and its earliest due date.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// One request: due dates per regime with their articles, and its parts.
    Show {
        /// Request id (req-0001 …).
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Record how the identity was checked (for a request opened with none_yet).
    Identity {
        /// Request id.
        id: String,
        /// How: account_login, id_document_sighted, video_call, known_contact.
        #[arg(long, value_parser = parse_with::<IdentityMethod>)]
        method: IdentityMethod,
        /// When (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Forward it to every recipient the ledger says received the person: one part each.
    Forward {
        /// Request id.
        id: String,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Record a recipient's answer to its part.
    Answer {
        /// Request id.
        id: String,
        /// The recipient answering.
        #[arg(long)]
        recipient: String,
        /// done or refused.
        #[arg(long, value_parser = parse_with::<PartOutcome>)]
        outcome: PartOutcome,
        /// For a refusal: identity_not_verified, manifestly_unfounded, excessive, not_held, legal_retention, legal_exemption, other.
        #[arg(long, value_parser = parse_with::<RefusalReason>)]
        reason: Option<RefusalReason>,
        /// A file of evidence: its SHA-256 is recorded and logged, not the file.
        #[arg(long)]
        evidence: Option<PathBuf>,
        /// When it answered (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Pause its clock (e.g. awaiting identity verification).
    Pause {
        /// Request id.
        id: String,
        /// Why (a short note, no personal data; stored, not logged).
        #[arg(long)]
        reason: String,
        /// From when (RFC 3339); default now.
        #[arg(long)]
        from: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// End its pause.
    Resume {
        /// Request id.
        id: String,
        /// When (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Extend its time limit (GDPR Art. 12(3): by two months, if the person is told within the first).
    Extend {
        /// Request id.
        id: String,
        /// Why (a short note, no personal data; stored, not logged).
        #[arg(long)]
        reason: String,
        /// When the person was told (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Close it: every part must be answered; the proof is the audit entries of the answers.
    Close {
        /// Request id.
        id: String,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Refuse it as a whole, with a reason code.
    Refuse {
        /// Request id.
        id: String,
        /// identity_not_verified, manifestly_unfounded, excessive, not_held, legal_retention, legal_exemption, other.
        #[arg(long, value_parser = parse_with::<RefusalReason>)]
        reason: RefusalReason,
        #[command(flatten)]
        store: StoreOpts,
    },
}

/// A request with its due dates, as shown.
#[derive(serde::Serialize)]
struct View {
    #[serde(flatten)]
    request: Request,
    due: Vec<DueView>,
}

#[derive(serde::Serialize)]
struct DueView {
    #[serde(flatten)]
    due: Due,
    state: &'static str,
}

fn clock(r: &Request) -> anyhow::Result<Clock> {
    outbound_server::api_rights::clock_of(r)
        .with_context(|| format!("request {}: a stored time is not RFC 3339", r.id))
}

fn view(r: Request, now: Timestamp) -> anyhow::Result<View> {
    let closed = match &r.closed_at {
        Some(c) => Some(c.parse::<Timestamp>().context("closing time")?),
        None => None,
    };
    let due = due_all(&r.regimes, &clock(&r)?)?
        .into_iter()
        .map(|d| {
            let state = d.state(closed, now).as_str();
            DueView { due: d, state }
        })
        .collect();
    Ok(View { request: r, due })
}

fn kinds(r: &Request) -> String {
    r.kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn due_cell(d: &DueView) -> String {
    match d.due.due {
        Some(date) => format!("{date} {} ({})", d.due.regime, d.state),
        None => format!("— {} ({})", d.due.regime, d.state),
    }
}

fn print_list(vs: &[View], format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        return print_json(&vs);
    }
    if vs.is_empty() {
        outln!("no rights requests")?;
        return Ok(());
    }
    let mut t = table(&["id", "state", "received", "kinds", "parts", "due"]);
    for v in vs {
        let r = &v.request;
        let answered = r.parts.iter().filter(|p| p.outcome.is_some()).count();
        t.add_row(vec![
            r.id.clone(),
            if r.paused() {
                format!("{} (paused)", r.state)
            } else {
                r.state.clone()
            },
            r.received_at.clone(),
            kinds(r),
            format!("{answered}/{}", r.parts.len()),
            v.due.first().map(due_cell).unwrap_or_default(),
        ]);
    }
    outln!("{t}")?;
    Ok(())
}

fn print_one(v: &View, format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        return print_json(v);
    }
    let r = &v.request;
    outln!(
        "{} [{}{}] {} — received {} via {}, identity {}{}",
        r.id,
        r.state,
        if r.paused() { ", paused" } else { "" },
        kinds(r),
        r.received_at,
        r.channel,
        r.identity_method,
        r.identity_at
            .as_deref()
            .map(|a| format!(" at {a}"))
            .unwrap_or_default(),
    )?;
    if let Some(c) = &r.consents_withdrawn {
        outln!("consents withdrawn: {} at {}", c.count, c.at)?;
    }
    if let Some(e) = &r.extension {
        outln!("extension told at {}: {}", e.at, e.reason)?;
    }
    for p in &r.pauses {
        outln!(
            "paused {} → {}: {}",
            p.from,
            p.to.as_deref().unwrap_or("(running)"),
            p.reason
        )?;
    }
    if let Some(c) = &r.closed_at {
        match r.refusal {
            Some(reason) => outln!("refused at {c}: {reason}")?,
            None if r.proof.is_empty() => outln!("closed at {c}; no part to answer")?,
            None => outln!(
                "closed at {c}; proof: the answers' audit entries {}",
                r.proof
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )?,
        }
    }
    let mut t = table(&["regime", "due", "state", "extension", "citation"]);
    for d in &v.due {
        let mut cite = d.due.citation.clone();
        if !d.due.binding {
            cite.push_str(" (recommended standard)");
        }
        if !d.due.confirmed {
            cite.push_str(" (unconfirmed)");
        }
        t.add_row(vec![
            d.due.regime.clone(),
            d.due.due.map(|x| x.to_string()).unwrap_or("—".into()),
            d.state.to_string(),
            d.due.extension.as_str().to_string(),
            cite,
        ]);
    }
    outln!("{t}")?;
    if r.state == "open" {
        outln!("not forwarded yet")?;
    } else if r.parts.is_empty() {
        outln!("forwarded to no recipient: no transfer carried this person")?;
    } else {
        let mut t = table(&[
            "recipient",
            "transfers",
            "years",
            "outcome",
            "answered",
            "audit",
        ]);
        for p in &r.parts {
            t.add_row(vec![
                p.recipient.clone(),
                p.transfers.join(", "),
                p.years
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                match (p.outcome, p.reason) {
                    (Some(o), Some(why)) => format!("{o} ({why})"),
                    (Some(o), None) => o.to_string(),
                    (None, _) => "waiting".into(),
                },
                p.answered_at.clone().unwrap_or_default(),
                p.answer_index.map(|i| i.to_string()).unwrap_or_default(),
            ]);
        }
        outln!("{t}")?;
    }
    Ok(())
}

fn subject_key(arg: &str) -> anyhow::Result<String> {
    let key = if arg == "-" {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the subject key from standard input")?;
        line
    } else {
        arg.to_string()
    };
    let key = outbound_gate::normalize_subject(&key);
    if key.is_empty() {
        bail!("the subject key is empty");
    }
    Ok(key)
}

fn show(r: Request, format: Format) -> anyhow::Result<u8> {
    print_one(&view(r, Timestamp::now())?, format)?;
    Ok(0)
}

pub(crate) fn run(cmd: &RequestCmd) -> anyhow::Result<u8> {
    let actor = crate::common::cli_actor();
    match cmd {
        RequestCmd::Open {
            kinds,
            subject_key: key,
            identity,
            received_at,
            regimes,
            channel,
            store,
        } => {
            for r in regimes {
                if outbound_rules::rights::deadline(r).is_none() {
                    let known: Vec<&str> = outbound_rules::rights::data()
                        .deadline
                        .iter()
                        .map(|d| d.regime.as_str())
                        .collect();
                    bail!(
                        "no rights-request deadline for regime `{r}` (one of: {})",
                        known.join(", ")
                    );
                }
            }
            let key = subject_key(key)?;
            let (s, k) = store.open()?;
            let subject = k.subject_hash(key.as_bytes());
            drop(key);
            let now = Timestamp::now().to_string();
            let r = s.open_request(
                &k,
                &actor,
                &NewRequest {
                    received_at: received_at.as_deref().unwrap_or(&now),
                    channel: *channel,
                    kinds,
                    regimes,
                    subject,
                    identity: *identity,
                    identity_at: None,
                },
            )?;
            outln!("{}", r.id)?;
            if let Some(c) = &r.consents_withdrawn {
                outln!("consents withdrawn: {}", c.count)?;
            }
            Ok(0)
        }
        RequestCmd::List { format, store } => {
            let (s, _) = store.open()?;
            let now = Timestamp::now();
            let vs = s
                .rights_requests()?
                .into_iter()
                .map(|r| view(r, now))
                .collect::<anyhow::Result<Vec<_>>>()?;
            print_list(&vs, *format)?;
            Ok(0)
        }
        RequestCmd::Show { id, format, store } => {
            let (s, _) = store.open()?;
            let Some(r) = s.rights_request(id)? else {
                bail!("no rights request `{id}`");
            };
            show(r, *format)
        }
        RequestCmd::Identity {
            id,
            method,
            at,
            store,
        } => {
            let (s, k) = store.open()?;
            let r = s.verify_request_identity(&k, &actor, id, *method, at.as_deref())?;
            show(r, Format::Table)
        }
        RequestCmd::Forward { id, store } => {
            let (s, k) = store.open()?;
            let r = s.forward_request(&k, &actor, id)?;
            outln!(
                "forwarded {} to {} recipient(s){}",
                r.id,
                r.parts.len(),
                if r.parts.is_empty() {
                    String::new()
                } else {
                    format!(
                        ": {}",
                        r.parts
                            .iter()
                            .map(|p| p.recipient.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            )?;
            show(r, Format::Table)
        }
        RequestCmd::Answer {
            id,
            recipient,
            outcome,
            reason,
            evidence,
            at,
            store,
        } => {
            let sha = match evidence {
                Some(p) => Some(
                    outbound_store::recipients::evidence_sha256(
                        std::fs::File::open(p)
                            .with_context(|| format!("cannot open {}", p.display()))?,
                    )
                    .with_context(|| format!("cannot read {}", p.display()))?,
                ),
                None => None,
            };
            let (s, k) = store.open()?;
            let p = s.answer_request_part(
                &k,
                &actor,
                id,
                recipient,
                &PartAnswer {
                    outcome: *outcome,
                    reason: *reason,
                    answered_at: at.as_deref(),
                    evidence_sha256: sha.as_deref(),
                },
            )?;
            outln!(
                "{} answered {id}: {} (audit entry {}){}",
                p.recipient,
                p.outcome.map(|o| o.as_str()).unwrap_or("?"),
                p.answer_index.unwrap_or_default(),
                sha.map(|h| format!(", evidence sha256 {h}"))
                    .unwrap_or_default()
            )?;
            Ok(0)
        }
        RequestCmd::Pause {
            id,
            reason,
            from,
            store,
        } => {
            let (s, k) = store.open()?;
            show(
                s.pause_request(&k, &actor, id, reason, from.as_deref())?,
                Format::Table,
            )
        }
        RequestCmd::Resume { id, at, store } => {
            let (s, k) = store.open()?;
            show(
                s.resume_request(&k, &actor, id, at.as_deref())?,
                Format::Table,
            )
        }
        RequestCmd::Extend {
            id,
            reason,
            at,
            store,
        } => {
            let (s, k) = store.open()?;
            let r = s.extend_request(&k, &actor, id, reason, at.as_deref())?;
            let v = view(r, Timestamp::now())?;
            for d in &v.due {
                if d.due.extension != outbound_rules::rights::ExtensionState::InTime {
                    outln!(
                        "note: under {} the extension does not count ({})",
                        d.due.citation,
                        d.due.extension.as_str()
                    )?;
                }
            }
            print_one(&v, Format::Table)?;
            Ok(0)
        }
        RequestCmd::Close { id, store } => {
            let (s, k) = store.open()?;
            let v = view(s.close_request(&k, &actor, id)?, Timestamp::now())?;
            for d in &v.due {
                if d.state == DueState::Missed.as_str() {
                    outln!("note: closed after the due date under {}", d.due.citation)?;
                }
            }
            print_one(&v, Format::Table)?;
            Ok(0)
        }
        RequestCmd::Refuse { id, reason, store } => {
            let (s, k) = store.open()?;
            show(s.refuse_request(&k, &actor, id, *reason)?, Format::Table)
        }
    }
}
