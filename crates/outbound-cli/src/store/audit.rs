//! `outbound audit verify|head|prove|consistency|check|checkpoint|verifier-key|scans`:
//! the audit log and the proofs a third party checks with the public key
//! alone, in Outbound's JSON or as C2SP signed notes.

use std::path::PathBuf;

use anyhow::Context;
use outbound_store::MapJudged;
use outbound_store::c2sp;
use outbound_store::signed_head::{
    ProofBundle, SignedTreeHead, format_verifying_key, parse_verifying_key,
};

use super::StoreOpts;
use crate::output::{Format, out, outln, print_json, printable};

#[derive(clap::Subcommand, Debug)]
pub(crate) enum AuditCmd {
    /// Recompute the tree from the entries and check every signed head.
    Verify {
        /// A signed head kept from earlier (as printed by `outbound audit head`): the log must extend it.
        #[arg(long, value_name = "OLD_HEAD")]
        since: Option<PathBuf>,
        /// A data map (the one filed, say): once the log is intact, says which
        /// batches were judged under it, which under another map (by the
        /// digest their entries record) and which entries predate the
        /// digest; exit 1 if any was judged under another map.
        #[arg(long, value_name = "MAP")]
        map: Option<PathBuf>,
        #[command(flatten)]
        store: StoreOpts,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The database scans started through `outbound serve`, newest first, as
    /// the log records them before each read a row: who, which databases
    /// (by id), which tables, how many rows a table, against what.
    Scans {
        /// At most this many.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        limit: u32,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Print the latest signed tree head (JSON) and the public key that verifies it.
    Head {
        #[command(flatten)]
        store: StoreOpts,
    },
    /// An inclusion proof for entry N against the latest signed head (JSON bundle).
    Prove {
        /// Entry index.
        entry: u64,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// A consistency proof from an earlier signed head (a JSON file) to the latest one.
    Consistency {
        /// The earlier head, as printed by `outbound audit head`.
        old_head: PathBuf,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Print the log's current checkpoint as a C2SP signed note (origin, size, base64 root, signature).
    Checkpoint {
        /// The log's origin, also the key's name (`outbound serve` reads the same variable).
        /// Default: `outbound.invalid/audit/<key id>`.
        #[arg(long, env = "OUTBOUND_LOG_ORIGIN")]
        origin: Option<String>,
        /// The newest checkpoint that the quorum of `--witness`es cosigned, with
        /// their cosignatures (as `GET /log/checkpoint.witnessed`); exit 1 if none.
        #[arg(long)]
        witnessed: bool,
        #[command(flatten)]
        witnesses: crate::witness::WitnessOpts,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Print the note verifier key (`<name>+<key id>+<key>`) that checks the checkpoints.
    VerifierKey {
        /// The log's origin, as given to `checkpoint`.
        #[arg(long, env = "OUTBOUND_LOG_ORIGIN")]
        origin: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Check a proof bundle with the operator's public key alone: no store, no personal data.
    Check {
        /// The bundle (JSON) from `prove` or `consistency`.
        bundle: PathBuf,
        /// The public key (hex), as printed by `outbound audit head`.
        #[arg(long)]
        key: String,
    },
}

/// A signed head from a file, as `outbound audit head` prints it (or the bare head).
fn read_head(path: &std::path::Path) -> anyhow::Result<SignedTreeHead> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    serde_json::from_value(v.get("head").cloned().unwrap_or(v))
        .with_context(|| format!("{}: not a signed tree head", path.display()))
}

/// Batch ids a report lists per group; the rest are counted.
const LISTED: usize = 20;

/// Which map the log's batches were judged under, against one map.
#[derive(serde::Serialize)]
struct MapsJudged {
    /// The content SHA-256 of the map given.
    sha256: String,
    /// Batches whose entry records it.
    current: u64,
    /// Per other digest: how many batches, and the first [`LISTED`] ids.
    other: Vec<Judged>,
    /// Batches whose entry records no map (`batch` v1).
    not_recorded: Judged,
}

/// Some batches of one map, or of none.
#[derive(serde::Serialize, Default)]
struct Judged {
    #[serde(skip_serializing_if = "Option::is_none")]
    map_sha256: Option<String>,
    count: u64,
    batches: Vec<u64>,
}

impl Judged {
    fn add(&mut self, batch: u64) {
        self.count += 1;
        if self.batches.len() < LISTED {
            self.batches.push(batch);
        }
    }

    /// "3 (batches 4, 7, 9)", with "…" past the listed ones.
    fn describe(&self) -> String {
        let ids: Vec<String> = self.batches.iter().map(u64::to_string).collect();
        let more = if self.count > self.batches.len() as u64 {
            ", …"
        } else {
            ""
        };
        format!("{} (batches {}{more})", self.count, ids.join(", "))
    }
}

impl MapsJudged {
    fn of(sha256: &str, digests: Vec<(u64, Option<String>)>) -> Self {
        let mut other: std::collections::BTreeMap<String, Judged> = Default::default();
        let mut j = MapsJudged {
            sha256: sha256.to_string(),
            current: 0,
            other: Vec::new(),
            not_recorded: Judged::default(),
        };
        for (batch, d) in digests {
            match MapJudged::of(d.as_deref(), sha256) {
                MapJudged::Current => j.current += 1,
                MapJudged::Other => other.entry(d.unwrap_or_default()).or_default().add(batch),
                MapJudged::NotRecorded => j.not_recorded.add(batch),
            }
        }
        j.other = other
            .into_iter()
            .map(|(d, g)| Judged {
                map_sha256: Some(d),
                ..g
            })
            .collect();
        j
    }

    fn print(&self) -> anyhow::Result<()> {
        outln!(
            "map {}: {} batch(es) judged under it",
            self.sha256,
            self.current
        )?;
        for g in &self.other {
            let d = g.map_sha256.as_deref().unwrap_or_default();
            outln!("  under another map, {d}: {}", g.describe())?;
        }
        if self.not_recorded.count > 0 {
            outln!(
                "  map not recorded (entries written before batch v2): {}",
                self.not_recorded.describe()
            )?;
        }
        Ok(())
    }
}

pub(crate) fn run(cmd: &AuditCmd) -> anyhow::Result<u8> {
    match cmd {
        AuditCmd::Verify {
            since,
            map,
            store,
            format,
        } => {
            let kept = since.as_deref().map(read_head).transpose()?;
            // The map first: a map that does not load stops before the store.
            let digest = match map {
                Some(p) => match crate::common::load_valid(p) {
                    Ok(l) => Some(l.map.content_sha256()),
                    Err(code) => return Ok(code),
                },
                None => None,
            };
            let (s, k) = store.open()?;
            let r = s.audit_verify_since(&k, kept.as_ref())?;
            // Entries are read for what they say only once the log proved them.
            let judged = match &digest {
                Some(d) if r.problems.is_empty() => {
                    Some(MapsJudged::of(d, s.batch_map_digests(None)?))
                }
                _ => None,
            };
            if *format == Format::Json {
                let mut v = serde_json::to_value(&r)?;
                if let (Some(j), Some(o)) = (&judged, v.as_object_mut()) {
                    o.insert("map".into(), serde_json::to_value(j)?);
                }
                print_json(&v)?;
            } else if r.problems.is_empty() {
                outln!(
                    "audit log intact: {} entries, {} signed heads verified",
                    r.entries,
                    r.heads
                )?;
                if let Some(j) = &judged {
                    j.print()?;
                }
            } else {
                for p in &r.problems {
                    eprintln!("TAMPERED: {p}");
                }
                eprintln!("{} problem(s) in {} entries", r.problems.len(), r.entries);
                if digest.is_some() {
                    eprintln!("the batches' maps are not read from a log that fails verification");
                }
            }
            let other = judged
                .as_ref()
                .map_or(0, |j| j.other.iter().map(|g| g.count).sum());
            if other > 0 && *format != Format::Json {
                eprintln!(
                    "{other} batch(es) were judged under another map: its declarations differ from \
                     this one's (`outbound validate` prints a map's digest)"
                );
            }
            Ok(if r.problems.is_empty() && other == 0 {
                0
            } else {
                1
            })
        }
        AuditCmd::Scans {
            limit,
            format,
            store,
        } => {
            let (s, _) = store.open()?;
            let scans = s.database_scans(*limit)?;
            if *format == Format::Json {
                let v: Vec<_> = scans
                    .iter()
                    .map(|l| {
                        serde_json::json!({
                            "index": l.index, "at": l.at, "by": l.scan.by,
                            "sources": l.scan.sources, "tables": l.scan.tables,
                            "sample": l.scan.sample, "sample_rows": l.scan.sample_rows,
                            "target": l.scan.target,
                        })
                    })
                    .collect();
                print_json(&v)?;
                return Ok(0);
            }
            let mut t = crate::output::table(&[
                "entry",
                "at",
                "by",
                "databases",
                "tables",
                "rows a table",
                "against",
            ]);
            let list = |v: &[String]| {
                v.iter()
                    .map(|x| printable(x))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            for l in &scans {
                let tables = if l.scan.tables.is_empty() {
                    "every table".to_string()
                } else {
                    list(&l.scan.tables)
                };
                t.add_row(vec![
                    l.index.to_string(),
                    l.at.clone(),
                    printable(&l.scan.by),
                    list(&l.scan.sources),
                    tables,
                    format!("{} {}", l.scan.sample, l.scan.sample_rows),
                    printable(&l.scan.target),
                ]);
            }
            if scans.is_empty() {
                outln!("no database has been scanned through `outbound serve`")?;
            } else {
                outln!("{t}")?;
            }
            Ok(0)
        }
        AuditCmd::Head { store } => {
            let (s, k) = store.open()?;
            let head = s.audit_heads()?.pop();
            print_json(
                &serde_json::json!({"head": head, "public_key": format_verifying_key(&k.verifying())}),
            )?;
            Ok(0)
        }
        AuditCmd::Prove { entry, store } => {
            let (s, _) = store.open()?;
            outln!(
                "{}",
                ProofBundle::Inclusion(s.audit_prove(*entry)?).to_json()
            )?;
            Ok(0)
        }
        AuditCmd::Consistency { old_head, store } => {
            let head = read_head(old_head)?;
            let (s, _) = store.open()?;
            outln!(
                "{}",
                ProofBundle::Consistency(s.audit_consistency(head)?).to_json()
            )?;
            Ok(0)
        }
        AuditCmd::Checkpoint {
            origin,
            witnessed,
            witnesses,
            store,
        } => {
            let policy = witnesses.policy()?;
            let (s, k) = store.open()?;
            let origin = origin
                .clone()
                .unwrap_or_else(|| c2sp::default_origin(&k.verifying()));
            let note = if *witnessed {
                let Some((_, note, _)) = s.witnessed_checkpoint(&k, &origin, &policy)? else {
                    eprintln!(
                        "no checkpoint has {} of the witnesses' cosignatures yet",
                        policy.quorum
                    );
                    return Ok(1);
                };
                note
            } else {
                s.audit_checkpoint(&k, &origin)?.1
            };
            // Exactly the note: it ends in a newline, which is signed-note syntax.
            out!("{note}")?;
            Ok(0)
        }
        AuditCmd::VerifierKey { origin, store } => {
            let (_, k) = store.open()?;
            let origin = origin
                .clone()
                .unwrap_or_else(|| c2sp::default_origin(&k.verifying()));
            if !c2sp::valid_origin(&origin) {
                anyhow::bail!("--origin: {}", outbound_store::StoreError::InvalidOrigin);
            }
            outln!("{}", c2sp::verifier_key(&origin, &k.verifying()))?;
            Ok(0)
        }
        AuditCmd::Check { bundle, key } => {
            let text = std::fs::read_to_string(bundle)
                .with_context(|| format!("cannot read {}", bundle.display()))?;
            let key = parse_verifying_key(key).map_err(|e| anyhow::anyhow!("--key: {e}"))?;
            match ProofBundle::from_json(&text).and_then(|b| b.check(&key).map(|_| b)) {
                Ok(ProofBundle::Inclusion(b)) => {
                    outln!(
                        "valid: entry {} is in the log of {} entries signed at {}",
                        b.index,
                        b.tree_size,
                        b.head.time().map(|t| t.to_string()).unwrap_or_default()
                    )?;
                    Ok(0)
                }
                Ok(ProofBundle::Consistency(b)) => {
                    outln!(
                        "valid: the log of {} entries extends the log of {} entries without changing it",
                        b.new_head.size,
                        b.old_head.size
                    )?;
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("INVALID: {}: {e}", bundle.display());
                    Ok(1)
                }
            }
        }
    }
}
