//! `outbound snapshot create|show|list` (a company publishes its compliance
//! snapshots) and `outbound association member add|list|collect|ratings|compare`
//! (an association checks and rates them). Method: docs/RATINGS.md.

use std::path::PathBuf;

use jiff::civil::Date;
use outbound_server::api_association::{self, build, fetch};
use outbound_server::{AppState, Config};
use outbound_store::snapshots::Published;

use crate::common::{cli_actor, load_valid, parse_date, today};
use crate::output::{Format, outln, print_json, table};
use crate::store::StoreOpts;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum SnapshotCmd {
    /// Build, sign and publish the compliance snapshot of a period (no personal data).
    Create {
        /// The data map.
        #[arg(long)]
        map: PathBuf,
        /// The quarter, YYYY-Qn.
        #[arg(long)]
        period: String,
        /// Judge as of this date; default the period's last day once it has ended, else today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<Date>,
        /// Publish a correction of the period's snapshot (it names the one it corrects).
        #[arg(long)]
        correct: bool,
        #[command(flatten)]
        store: StoreOpts,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Print the published snapshot of a period (the newest, if corrected): the form an association collects.
    Show {
        /// The quarter, YYYY-Qn.
        period: String,
        #[command(flatten)]
        store: StoreOpts,
        /// `json` prints the published form (signed note, SHA-256, log index).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List the snapshots published.
    List {
        #[command(flatten)]
        store: StoreOpts,
    },
}

/// Publishes the snapshot of `period` from `map` into an opened store: the
/// same code the API runs (`api_association::publish`).
pub(crate) fn publish(
    map: outbound_model::DataMap,
    store: outbound_store::Store,
    keys: outbound_store::Keys,
    period: &str,
    as_of: Date,
    correct: bool,
    by: &str,
) -> anyhow::Result<Published> {
    let state = AppState::new(Config {
        map,
        store,
        keys,
        as_of: Some(as_of),
        secure_cookies: true,
    });
    api_association::publish_blocking(&state, by, period, correct)
        .map_err(|e| anyhow::anyhow!("{}", e.message))
}

pub(crate) fn run(cmd: &SnapshotCmd) -> anyhow::Result<u8> {
    match cmd {
        SnapshotCmd::Create {
            map,
            period,
            as_of,
            correct,
            store,
            format,
        } => {
            let Some(default) = build::default_as_of(period, today()) else {
                anyhow::bail!("`{period}` is not a quarter, YYYY-Qn (2026-Q4)");
            };
            let loaded = match load_valid(map) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            let (s, k) = store.open()?;
            let p = publish(
                loaded.map,
                s,
                k,
                period,
                as_of.unwrap_or(default),
                *correct,
                &cli_actor(),
            )?;
            if *format == Format::Json {
                print_json(&serde_json::to_value(&p)?)?;
            } else {
                outln!(
                    "Published the snapshot of {} (seq {}): sha256 {}, audit log entry {}",
                    p.period,
                    p.seq,
                    p.sha256,
                    p.log_index
                )?;
            }
            Ok(0)
        }
        SnapshotCmd::Show {
            period,
            store,
            format,
        } => {
            let (s, _) = store.open()?;
            let Some(p) = s.snapshot(period)? else {
                anyhow::bail!("no snapshot for {period}; `outbound snapshot create` publishes one");
            };
            if *format == Format::Json {
                print_json(&serde_json::to_value(&p)?)?;
            } else {
                outln!(
                    "{} (seq {}), sha256 {}, audit log entry {}, published {}",
                    p.period,
                    p.seq,
                    p.sha256,
                    p.log_index,
                    p.created_at
                )?;
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&p.json().unwrap_or_default())?
                )?;
            }
            Ok(0)
        }
        SnapshotCmd::List { store } => {
            let (s, _) = store.open()?;
            let mut t = table(&["period", "seq", "sha256", "log entry", "published"]);
            for p in s.snapshots()? {
                t.add_row(vec![
                    p.period,
                    p.seq.to_string(),
                    p.sha256,
                    p.log_index.to_string(),
                    p.created_at,
                ]);
            }
            outln!("{t}")?;
            Ok(0)
        }
    }
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum AssociationCmd {
    /// The association's members.
    #[command(subcommand)]
    Member(MemberCmd),
    /// Collect a member's snapshot (from its server, or a file), check it, record the outcome.
    Collect {
        /// The member.
        #[arg(long)]
        member: String,
        /// The quarter, YYYY-Qn.
        #[arg(long)]
        period: String,
        /// Read the published snapshot from this file (`outbound snapshot show --format json`) instead of the member's server.
        #[arg(long)]
        file: Option<PathBuf>,
        /// A token the member gave (reads its snapshot and its log's entry bundles).
        #[arg(long, env = "OUTBOUND_MEMBER_TOKEN", hide_env_values = true)]
        token: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// The members' ratings for a period, each line with its evidence.
    Ratings {
        /// The quarter, YYYY-Qn.
        #[arg(long)]
        period: String,
        #[command(flatten)]
        store: StoreOpts,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Every member's score over the periods collected.
    Compare {
        #[command(flatten)]
        store: StoreOpts,
    },
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum MemberCmd {
    /// Add a member: its name, the base URL of its server and its log's verifier key (`outbound audit verifier-key`).
    Add {
        /// Short name (a-z, 0-9, `-`, `_`, `.`).
        name: String,
        /// Base URL of its server.
        #[arg(long)]
        url: String,
        /// Its log's note verifier key.
        #[arg(long)]
        verifier: String,
        /// A witness the association trusts for this member: its cosignature
        /// verifier key, NAME+ID+KEY (repeat for several).
        #[arg(long = "witness", value_name = "NAME+ID+KEY")]
        witnesses: Vec<String>,
        /// How many of those witnesses must have cosigned the member's
        /// checkpoint a snapshot is checked against (0: none).
        #[arg(long, default_value_t = 0)]
        witness_quorum: u32,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// List the members.
    List {
        #[command(flatten)]
        store: StoreOpts,
    },
}

pub(crate) fn run_association(cmd: &AssociationCmd) -> anyhow::Result<u8> {
    match cmd {
        AssociationCmd::Member(MemberCmd::Add {
            name,
            url,
            verifier,
            witnesses,
            witness_quorum,
            store,
        }) => {
            let (s, k) = store.open()?;
            let m = s.add_member_witnessed(
                &k,
                &cli_actor(),
                name,
                url,
                verifier,
                witnesses,
                *witness_quorum,
            )?;
            outln!("Added member {} ({})", m.name, m.url)?;
            if m.witness_quorum > 0 {
                outln!(
                    "  checked against checkpoints cosigned by {} of its {} witness(es)",
                    m.witness_quorum,
                    m.witnesses.len()
                )?;
            }
            Ok(0)
        }
        AssociationCmd::Member(MemberCmd::List { store }) => {
            let (s, _) = store.open()?;
            let mut t = table(&["member", "url", "verifier key", "added"]);
            for m in s.members()? {
                t.add_row(vec![m.name, m.url, m.verifier, m.added_at]);
            }
            outln!("{t}")?;
            Ok(0)
        }
        AssociationCmd::Collect {
            member,
            period,
            file,
            token,
            store,
        } => {
            let (s, k) = store.open()?;
            let Some(m) = s.member(member)? else {
                anyhow::bail!("no member `{member}`; `outbound association member add` adds one");
            };
            let published: Published = match file {
                Some(f) => serde_json::from_str(&std::fs::read_to_string(f)?).map_err(|e| {
                    anyhow::anyhow!("{} is not a published snapshot: {e}", f.display())
                })?,
                None => fetch::snapshot(&m.url, period, token.as_deref())
                    .map_err(|e| anyhow::anyhow!("the member's snapshot: {e}"))?,
            };
            if &published.period != period {
                anyhow::bail!("the snapshot is of {}, not {period}", published.period);
            }
            let log = fetch::HttpLog {
                url: m.url.clone(),
                token: token.clone(),
            };
            let c = api_association::collect_with(&s, &k, &cli_actor(), &m, &published, &log)?;
            if c.verified {
                outln!(
                    "{}: snapshot of {} verified (sha256 {}, log entry {} in checkpoint of size {})",
                    c.member,
                    c.period,
                    c.sha256,
                    c.log_index,
                    c.checkpoint_size().unwrap_or(0)
                )?;
                Ok(0)
            } else {
                outln!(
                    "{}: snapshot of {} NOT verified, not rated: {}",
                    c.member,
                    c.period,
                    c.reason.unwrap_or_default()
                )?;
                Ok(1)
            }
        }
        AssociationCmd::Ratings {
            period,
            store,
            format,
        } => {
            let (s, _) = store.open()?;
            let v = api_association::ratings_of(&s, period)?;
            if *format == Format::Json {
                print_json(&serde_json::to_value(&v)?)?;
            } else {
                outln!("{}", ratings_text(&v))?;
            }
            Ok(0)
        }
        AssociationCmd::Compare { store } => {
            let (s, _) = store.open()?;
            let c = api_association::comparison(&s)?;
            let mut head = vec!["member".to_string()];
            head.extend(c.periods.iter().cloned());
            let head: Vec<&str> = head.iter().map(String::as_str).collect();
            let mut t = table(&head);
            for r in c.members {
                let mut row = vec![r.member];
                for (sc, b) in r.scores.iter().zip(&r.bands) {
                    row.push(match (sc, b) {
                        (Some(s), Some(b)) => format!("{s:.1} ({b})"),
                        _ => "not rated".into(),
                    });
                }
                t.add_row(row);
            }
            outln!("{t}")?;
            Ok(0)
        }
    }
}

/// The ratings as text: per member its score and band, then each line with
/// its points, the snapshot fields it read and the evidence.
pub(crate) fn ratings_text(v: &api_association::RatingsView) -> String {
    let mut out = format!(
        "Ratings for {} (method version {}, docs/RATINGS.md)\n",
        v.period, v.method_version
    );
    for m in &v.members {
        match &m.rating {
            Some(r) => {
                out.push_str(&format!(
                    "\n{}: {} — band {} ({})\n  evidence: snapshot sha256 {}, log entry {}, member's signed checkpoint size {}{}\n",
                    m.member,
                    r.score.map_or("no criterion applied".into(), |s| format!("{s:.1}/100")),
                    r.band.as_deref().unwrap_or("-"),
                    r.band_en.as_deref().unwrap_or("-"),
                    r.evidence.snapshot_sha256,
                    r.evidence.log_index,
                    r.evidence.checkpoint_size,
                    if r.evidence.witnesses.is_empty() {
                        String::new()
                    } else {
                        format!(", cosigned by {}", r.evidence.witnesses.join(", "))
                    }
                ));
                for l in &r.lines {
                    let pts = if l.applicable {
                        format!("{:>5.1}/{:<3}", l.points, l.weight)
                    } else {
                        format!("{:>5}/{:<3}", "n/a", l.weight)
                    };
                    out.push_str(&format!(
                        "  {pts} {:<38} {}/{}  [{}]\n",
                        l.name_en,
                        l.good,
                        l.total,
                        l.fields.join(", ")
                    ));
                }
            }
            None => out.push_str(&format!(
                "\n{}: NOT RATED ({}){}\n",
                m.member,
                m.status.replace('_', " "),
                m.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )),
        }
    }
    out
}
