//! `outbound store`, `route`, `consent`, `audit`, `status`: the ledger and the audit log.

use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::civil::Date;
use outbound_rules::assess::assess;
use outbound_rules::format::thousands;
use outbound_store::signed_head::{
    ProofBundle, SignedTreeHead, format_verifying_key, parse_verifying_key,
};
use outbound_store::{
    ConsentRecord, Keys, Store, default_location, is_postgres, keys::default_dir_for,
};

use crate::assess::{parse_date, today};
use crate::output::{Format, print_json, table};
use crate::validate::load_valid;

/// Where the store is and where its keys are.
#[derive(clap::Args, Debug, Clone)]
pub struct StoreOpts {
    /// The store: a SQLite file path or a `postgres://` URL. Default: `$OUTBOUND_STORE`, else ~/.local/share/outbound/store.db.
    #[arg(long, env = "OUTBOUND_STORE")]
    pub store: Option<String>,
    /// Directory of the store's keys. Default: beside a SQLite file (`store.db.keys`); required for PostgreSQL
    /// unless OUTBOUND_HASH_KEY and OUTBOUND_SIGNING_KEY are set.
    #[arg(long, env = "OUTBOUND_KEYS")]
    pub keys: Option<PathBuf>,
}

impl StoreOpts {
    fn location(&self) -> String {
        self.store.clone().unwrap_or_else(default_location)
    }
    fn keys_dir(&self) -> anyhow::Result<PathBuf> {
        if let Some(k) = &self.keys {
            return Ok(k.clone());
        }
        let loc = self.location();
        if is_postgres(&loc) {
            if std::env::var_os("OUTBOUND_HASH_KEY").is_some() {
                return Ok(PathBuf::from("/nonexistent"));
            }
            anyhow::bail!(
                "a PostgreSQL store needs --keys DIR (or OUTBOUND_HASH_KEY and OUTBOUND_SIGNING_KEY)"
            );
        }
        Ok(default_dir_for(Path::new(&loc)))
    }
    /// Opens the store and loads its keys.
    pub fn open(&self) -> anyhow::Result<(Store, Keys)> {
        let dir = self.keys_dir()?;
        let loc = self.location();
        if !is_postgres(&loc) && !Path::new(&loc).exists() {
            anyhow::bail!("no store at {loc}; create one with `outbound store init --store {loc}`");
        }
        let keys = Keys::load(&dir)?;
        let store = Store::open(&loc)?;
        Ok((store, keys))
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum StoreCmd {
    /// Create a store (SQLite file or PostgreSQL schema) and its keys.
    Init(StoreOpts),
}

pub fn store(cmd: &StoreCmd) -> anyhow::Result<u8> {
    match cmd {
        StoreCmd::Init(o) => {
            let loc = o.location();
            let dir = o.keys_dir()?;
            let keys = if dir.join("hash.key").exists() {
                eprintln!("keys already exist in {}; keeping them", dir.display());
                Keys::load(&dir)?
            } else {
                Keys::create(&dir)?
            };
            let store = Store::open(&loc)?;
            println!(
                "store: {} (schema version {})",
                store.location,
                store.schema_version()?
            );
            println!("keys: {} (owner-only files; never printed)", dir.display());
            println!(
                "audit log public key: {}",
                format_verifying_key(&keys.verifying())
            );
            Ok(0)
        }
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum RouteCmd {
    /// Stop a route: every batch of the transfer is refused until it is resumed.
    Suspend {
        /// Transfer id.
        transfer: String,
        /// Why (a regulator's order, a recipient in breach …).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Restart a suspended route.
    Resume {
        /// Transfer id.
        transfer: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// List routes with a recorded state.
    List {
        #[command(flatten)]
        store: StoreOpts,
    },
}

pub fn route(cmd: &RouteCmd) -> anyhow::Result<u8> {
    match cmd {
        RouteCmd::Suspend {
            transfer,
            reason,
            store,
        }
        | RouteCmd::Resume {
            transfer,
            reason,
            store,
        } => {
            let suspend = matches!(cmd, RouteCmd::Suspend { .. });
            let (s, k) = store.open()?;
            let idx = s.set_route(&k, transfer, suspend, reason)?;
            println!(
                "{} {transfer} (audit entry {idx})",
                if suspend { "suspended" } else { "resumed" }
            );
            Ok(0)
        }
        RouteCmd::List { store } => {
            let (s, _) = store.open()?;
            let mut t = table(&["transfer", "state", "since", "reason"]);
            for r in s.routes()? {
                t.add_row(vec![
                    r.transfer,
                    if r.suspended {
                        "SUSPENDED".into()
                    } else {
                        "open".into()
                    },
                    r.at,
                    r.reason,
                ]);
            }
            println!("{t}");
            Ok(0)
        }
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum ConsentCmd {
    /// Import separate consents from a CSV file: subject,transfer,granted_at[,withdrawn_at].
    ///
    /// Subjects are hashed with the store's key on import; the file's identifiers are never stored.
    Import {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Withdraw a subject's consent (for one transfer, or all).
    Withdraw {
        /// The subject's identifier (as in the subject-key field).
        subject: String,
        /// Only this transfer.
        #[arg(long)]
        transfer: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
}

pub fn consent(cmd: &ConsentCmd) -> anyhow::Result<u8> {
    match cmd {
        ConsentCmd::Import { file, store } => {
            let (s, k) = store.open()?;
            let name = file.display().to_string();
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_path(file)
                .with_context(|| format!("cannot read {name}"))?;
            let mut recs = Vec::new();
            for (i, row) in rdr.records().enumerate() {
                let line = i + 2;
                let row = match row {
                    Ok(r) => r,
                    Err(_) => {
                        eprintln!("error: {name}:{line}: malformed CSV record");
                        return Ok(2);
                    }
                };
                let get = |j: usize| row.get(j).map(str::trim).unwrap_or("");
                let (subject, transfer, granted) = (get(0), get(1), get(2));
                if subject.is_empty() || transfer.is_empty() {
                    eprintln!("error: {name}:{line}: subject and transfer are required");
                    return Ok(2);
                }
                for (field, v) in [("granted_at", granted), ("withdrawn_at", get(3))] {
                    if !(v.is_empty() && field == "withdrawn_at")
                        && v.get(..10).and_then(|d| d.parse::<Date>().ok()).is_none()
                    {
                        eprintln!("error: {name}:{line}: {field}: not a date (YYYY-MM-DD)");
                        return Ok(2);
                    }
                }
                recs.push(ConsentRecord {
                    subject: k.subject_hash(outbound_gate::normalize_subject(subject).as_bytes()),
                    transfer: transfer.into(),
                    granted_at: granted.into(),
                    withdrawn_at: Some(get(3)).filter(|w| !w.is_empty()).map(String::from),
                });
            }
            let idx = s.consent_import(&k, &recs, &name)?;
            println!(
                "imported {} consent records (audit entry {idx})",
                recs.len()
            );
            Ok(0)
        }
        ConsentCmd::Withdraw {
            subject,
            transfer,
            store,
        } => {
            let (s, k) = store.open()?;
            let n = s.consent_withdraw(
                &k,
                k.subject_hash(outbound_gate::normalize_subject(subject).as_bytes()),
                transfer.as_deref(),
                &today().to_string(),
            )?;
            println!("withdrew {n} consent(s)");
            Ok(0)
        }
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum AuditCmd {
    /// Recompute the tree from the entries and check every signed head.
    Verify {
        #[command(flatten)]
        store: StoreOpts,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
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
    /// Check a proof bundle with the operator's public key alone: no store, no personal data.
    Check {
        /// The bundle (JSON) from `prove` or `consistency`.
        bundle: PathBuf,
        /// The public key (hex), as printed by `outbound audit head`.
        #[arg(long)]
        key: String,
    },
}

pub fn audit(cmd: &AuditCmd) -> anyhow::Result<u8> {
    match cmd {
        AuditCmd::Verify { store, format } => {
            let (s, k) = store.open()?;
            let r = s.audit_verify(&k)?;
            if *format == Format::Json {
                print_json(&r)?;
            } else if r.problems.is_empty() {
                println!(
                    "audit log intact: {} entries, {} signed heads verified",
                    r.entries, r.heads
                );
            } else {
                for p in &r.problems {
                    eprintln!("TAMPERED: {p}");
                }
                eprintln!("{} problem(s) in {} entries", r.problems.len(), r.entries);
            }
            Ok(if r.problems.is_empty() { 0 } else { 1 })
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
            println!(
                "{}",
                ProofBundle::Inclusion(s.audit_prove(*entry)?).to_json()
            );
            Ok(0)
        }
        AuditCmd::Consistency { old_head, store } => {
            let (s, _) = store.open()?;
            let text = std::fs::read_to_string(old_head)
                .with_context(|| format!("cannot read {}", old_head.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON", old_head.display()))?;
            let head: SignedTreeHead = serde_json::from_value(v.get("head").cloned().unwrap_or(v))
                .with_context(|| format!("{}: not a signed tree head", old_head.display()))?;
            println!(
                "{}",
                ProofBundle::Consistency(s.audit_consistency(head)?).to_json()
            );
            Ok(0)
        }
        AuditCmd::Check { bundle, key } => {
            let text = std::fs::read_to_string(bundle)
                .with_context(|| format!("cannot read {}", bundle.display()))?;
            let key = parse_verifying_key(key).map_err(|e| anyhow::anyhow!("--key: {e}"))?;
            match ProofBundle::from_json(&text).and_then(|b| b.check(&key).map(|_| b)) {
                Ok(ProofBundle::Inclusion(b)) => {
                    println!(
                        "valid: entry {} is in the log of {} entries signed at {}",
                        b.index,
                        b.tree_size,
                        b.head.time().map(|t| t.to_string()).unwrap_or_default()
                    );
                    Ok(0)
                }
                Ok(ProofBundle::Consistency(b)) => {
                    println!(
                        "valid: the log of {} entries extends the log of {} entries without changing it",
                        b.new_head.size, b.old_head.size
                    );
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

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The data map.
    pub map: PathBuf,
    #[command(flatten)]
    pub store: StoreOpts,
    /// Judge as of this date (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// Warn when a threshold is projected to be crossed within this many days.
    #[arg(long, default_value_t = 90)]
    pub horizon: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The ledger as the rules' count source.
pub struct LedgerCounts<'a>(pub &'a Store);

impl outbound_rules::assess::CountSource for LedgerCounts<'_> {
    fn exported(&self, exporter: &str, from: Date, to: Date) -> Option<outbound_rules::Counts> {
        let c = self
            .0
            .counts(&[exporter.to_string()], from.year(), to.year())
            .ok()?;
        Some(outbound_rules::Counts {
            individuals: c.individuals,
            sensitive_individuals: c.sensitive_individuals,
        })
    }
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

pub fn status(args: &StatusArgs) -> anyhow::Result<u8> {
    let loaded = match load_valid(&args.map) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let (s, _) = args.store.open()?;
    let as_of = args.as_of.unwrap_or_else(today);
    let a = assess(&loaded.map, as_of, Some(&LedgerCounts(&s)));
    let day_of_year = i64::from(as_of.day_of_year()).max(1);
    let mut projections = Vec::new();
    for e in &a.exporters {
        for l in &e.thresholds {
            if l.reached || l.at_least <= 1 {
                continue;
            }
            // Trend: this year's rate so far (the ledger's count over the days elapsed).
            let count = l.count;
            let per_day = count as f64 / day_of_year as f64;
            let projected = (per_day > 0.0).then(|| {
                let days = ((l.at_least - count) as f64 / per_day).ceil() as i64;
                as_of
                    .checked_add(jiff::Span::new().days(days.min(36_500)))
                    .ok()
            });
            let projected_date = projected.flatten().filter(|d| d.year() == as_of.year());
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
                per_day,
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
    println!("Status as of {as_of} (store {})\n", s.location);
    for e in &a.exporters {
        let ledger = s.counts(
            std::slice::from_ref(&e.exporter),
            as_of.year(),
            as_of.year(),
        )?;
        println!(
            "{} — ledger: {} individuals, {} with sensitive PI exported since 1 January (exact)",
            e.exporter,
            thousands(ledger.individuals),
            thousands(ledger.sensitive_individuals)
        );
        for l in &e.thresholds {
            println!("    {}{}", l.text, if l.reached { "  REACHED" } else { "" });
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
    println!("\n{t}");
    Ok(0)
}
