//! `outbound recipient obligations|attest|status`: the overseas recipient's
//! obligations under the mechanisms of the transfers made to it, its
//! attestations (with the SHA-256 of each evidence file), and where every
//! obligation stands.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use outbound_rules::recipient::{Checklist, LastAttestation, ObligationStatus, checklist, status};
use outbound_store::recipients::{Attestation, NewAttestation, Statement};

use crate::common::{cli_actor, load_valid, parse_date, today};
use crate::output::{Format, outln, print_json, table};
use crate::store::StoreOpts;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum RecipientCmd {
    /// The checklist of obligations that applies to a recipient, from its transfers' mechanisms.
    Obligations {
        /// The data map.
        #[arg(long)]
        map: PathBuf,
        /// The recipient's id in the map.
        recipient: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Record a recipient's attestation of one obligation, with the SHA-256 of each evidence file.
    Attest {
        /// The data map.
        #[arg(long)]
        map: PathBuf,
        /// The recipient's id in the map.
        recipient: String,
        /// The obligation's id (see `outbound recipient obligations`).
        #[arg(long)]
        obligation: String,
        /// Evidence files (hashed; the files themselves are not stored). Required unless --not-met.
        #[arg(long, num_args = 1..)]
        evidence: Vec<PathBuf>,
        /// State that the obligation is NOT met.
        #[arg(long)]
        not_met: bool,
        /// A note (at most 500 characters; kept with the attestation, not in the audit log).
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
    #[command(flatten)]
    Reviews(crate::review::ReviewCmd),
    /// Every recipient's obligations with where they stand: not met and overdue first.
    Status {
        /// The data map.
        #[arg(long)]
        map: PathBuf,
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

/// The UTC day of an RFC 3339 timestamp as the store writes it.
fn day_of(at: &str) -> anyhow::Result<Date> {
    let t: jiff::Timestamp = at
        .parse()
        .map_err(|_| anyhow::anyhow!("the store holds an attestation time that is not RFC 3339"))?;
    Ok(t.to_zoned(jiff::tz::TimeZone::UTC).date())
}

fn last_of(a: &[Attestation]) -> anyhow::Result<Vec<LastAttestation>> {
    a.iter()
        .map(|a| {
            Ok(LastAttestation {
                obligation: a.obligation.clone(),
                on: day_of(&a.attested_at)?,
                not_met: a.statement == Statement::NotMet,
            })
        })
        .collect()
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let read =
        |e: std::io::Error| anyhow::anyhow!("cannot read evidence file {}: {e}", path.display());
    let f = std::fs::File::open(path).map_err(read)?;
    outbound_store::recipients::evidence_sha256(f).map_err(read)
}

/// The recipient's checklist, or a clear error naming the recipients there are.
fn checklist_for(map: &outbound_model::DataMap, recipient: &str) -> anyhow::Result<Checklist> {
    checklist(map, recipient).ok_or_else(|| {
        let known: Vec<&str> = map.recipients.iter().map(|r| r.id.as_str()).collect();
        anyhow::anyhow!(
            "the data map has no recipient `{recipient}` (recipients: {})",
            known.join(", ")
        )
    })
}

pub(crate) fn run(cmd: &RecipientCmd) -> anyhow::Result<u8> {
    match cmd {
        RecipientCmd::Obligations {
            map,
            recipient,
            format,
        } => {
            let loaded = match load_valid(map) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            let c = checklist_for(&loaded.map, recipient)?;
            match format {
                Format::Json => print_json(&c)?,
                Format::Table | Format::Markdown => {
                    let mut t = table(&["obligation", "reference", "transfers", "text"]);
                    for a in &c.items {
                        t.add_row(vec![
                            a.obligation.id.clone(),
                            a.obligation.reference.clone(),
                            a.transfers.join(", "),
                            a.obligation.en.clone(),
                        ]);
                    }
                    outln!("{t}")?;
                    if c.items.is_empty() {
                        outln!(
                            "no transfer to {recipient} uses a standard contract or SCC Module One or Two"
                        )?;
                    }
                    for u in &c.uncovered {
                        outln!(
                            "no checklist for {} of transfer {}",
                            u.mechanism,
                            u.transfer
                        )?;
                    }
                }
            }
            Ok(0)
        }
        RecipientCmd::Attest {
            map,
            recipient,
            obligation,
            evidence,
            not_met,
            note,
            store,
        } => {
            let loaded = match load_valid(map) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            let c = checklist_for(&loaded.map, recipient)?;
            if !c.items.iter().any(|a| a.obligation.id == *obligation) {
                let ids: Vec<&str> = c.items.iter().map(|a| a.obligation.id.as_str()).collect();
                anyhow::bail!(
                    "`{obligation}` is not an obligation of recipient {recipient} (its obligations: {})",
                    if ids.is_empty() {
                        "none".to_string()
                    } else {
                        ids.join(", ")
                    }
                );
            }
            if evidence.is_empty() && !not_met {
                anyhow::bail!("an attestation needs --evidence FILE (or --not-met)");
            }
            let hashes = evidence
                .iter()
                .map(|p| sha256_file(p))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let new = NewAttestation {
                recipient: recipient.clone(),
                obligation: obligation.clone(),
                statement: if *not_met {
                    Statement::NotMet
                } else {
                    Statement::Attested
                },
                evidence_sha256: hashes,
                note: note.clone(),
            };
            outbound_store::recipients::check(&new, &cli_actor())
                .map_err(|p| anyhow::anyhow!("{p}"))?;
            let (s, k) = store.open()?;
            let a = s.attest(&k, &cli_actor(), &new)?;
            outln!(
                "{} {} {} for {} at {} ({} evidence file(s))",
                a.statement,
                a.obligation,
                c.items
                    .iter()
                    .find(|i| i.obligation.id == a.obligation)
                    .map(|i| i.obligation.reference.as_str())
                    .unwrap_or_default(),
                a.recipient,
                a.attested_at,
                a.evidence_sha256.len()
            )?;
            for (p, h) in evidence.iter().zip(&a.evidence_sha256) {
                outln!("  {h}  {}", p.display())?;
            }
            Ok(0)
        }
        RecipientCmd::Reviews(cmd) => crate::review::run(cmd),
        RecipientCmd::Status {
            map,
            as_of,
            format,
            store,
        } => {
            let loaded = match load_valid(map) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            let on = as_of.unwrap_or_else(today);
            let (s, _) = store.open()?;
            let latest = s.latest_attestations(None)?;
            #[derive(serde::Serialize)]
            struct Row {
                recipient: String,
                #[serde(flatten)]
                status: ObligationStatus,
            }
            let mut rows: Vec<Row> = Vec::new();
            for r in &loaded.map.recipients {
                let Some(c) = checklist(&loaded.map, &r.id) else {
                    continue;
                };
                let mine: Vec<Attestation> = latest
                    .iter()
                    .filter(|a| a.recipient == r.id)
                    .cloned()
                    .collect();
                for st in status(&c, &last_of(&mine)?, on) {
                    rows.push(Row {
                        recipient: r.id.clone(),
                        status: st,
                    });
                }
            }
            // Worst first across recipients, then by due date; stable otherwise.
            rows.sort_by_key(|r| (r.status.standing, r.status.due));
            match format {
                Format::Json => print_json(&serde_json::json!({
                    "as_of": on.to_string(),
                    "obligations": rows,
                }))?,
                Format::Table | Format::Markdown => {
                    let mut t = table(&[
                        "recipient",
                        "obligation",
                        "reference",
                        "status",
                        "last attested",
                        "due",
                    ]);
                    for r in &rows {
                        t.add_row(vec![
                            r.recipient.clone(),
                            r.status.obligation.clone(),
                            r.status.reference.clone(),
                            r.status.standing.as_str().to_string(),
                            r.status.last.map(|d| d.to_string()).unwrap_or("-".into()),
                            r.status.due.map(|d| d.to_string()).unwrap_or("-".into()),
                        ]);
                    }
                    outln!("{t}")?;
                    outln!("as of {on}")?;
                }
            }
            Ok(0)
        }
    }
}
