//! `outbound demo association`: three example companies publish their
//! compliance snapshots, and an association collects, checks and rates them
//! (issue 12; method in docs/RATINGS.md). `outbound demo` alone runs the
//! main demo unchanged.
//!
//! The companies are generated from the bundled Lumen example: `lumen` as
//! it is (its analytics contract not yet filed; some attestations, one
//! review); `careless` (two transfers without their route, nothing attested
//! or reviewed, an incident whose notices were never sent, a rights request
//! left open past its due date); `diligent` (every contract filed, every
//! obligation attested, every recipient reviewed, each incident notice sent
//! within the hour, a request refused on the day it came, complaints
//! answered). Each has its own store and keys, as separate companies would,
//! and its server on a loopback port (in-process), trusting one witness.
//! The witness (`outbound-witness`, its state under `<dir>/witness`) polls
//! the three servers once and cosigns each checkpoint; the association
//! requires a quorum of 1 from that witness for every member, reads each
//! one's witnessed checkpoint and hash tiles exactly as its server
//! publishes them (`LocalWitnessedLog`), then rates, naming the witness.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use outbound_model::{Taxonomy, load_sources};
use outbound_server::api_association::{self, build};
use outbound_store::cosign::WitnessPolicy;
use outbound_store::keys::default_dir_for;
use outbound_store::snapshots::{LocalLog, LocalWitnessedLog, check_published, log_origin};
use outbound_store::{Keys, Store, c2sp};

use crate::common::{parse_date, today};
use crate::demo::DemoArgs;
use crate::output::outln;

/// `outbound demo [association]`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct DemoCmd {
    #[command(flatten)]
    pub(crate) args: DemoArgs,
    #[command(subcommand)]
    pub(crate) which: Option<DemoWhich>,
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum DemoWhich {
    /// Three example companies publish snapshots; an association checks and rates them.
    Association {
        /// Where the companies' and the association's stores go (default: a new temp directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Judge as of this date (YYYY-MM-DD); default today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<Date>,
    },
}

pub(crate) fn dispatch(cmd: &DemoCmd) -> anyhow::Result<u8> {
    match &cmd.which {
        None => crate::demo::run(&cmd.args),
        Some(DemoWhich::Association { dir, as_of }) => {
            let dir = dir.clone().unwrap_or_else(|| {
                std::env::temp_dir().join(format!(
                    "outbound-association-{}-{}",
                    std::process::id(),
                    Timestamp::now().as_second()
                ))
            });
            let text = run(&dir, as_of.unwrap_or_else(today))?;
            outln!("{text}")?;
            Ok(0)
        }
    }
}

/// The quarter holding `d`.
pub(crate) fn quarter_of(d: Date) -> String {
    format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

#[derive(Clone, Copy, PartialEq)]
enum Practice {
    Usual,
    Careless,
    Diligent,
}

/// The Lumen example edited for a practice.
fn sources(p: Practice) -> Vec<(String, String)> {
    let mut s = outbound_model::example::lumen_sources();
    for (_, text) in &mut s {
        match p {
            Practice::Usual => {}
            Practice::Careless => {
                *text = text
                    .replace(
                        "mechanisms:\n      - {type: standard_contract, effective: 2026-03-02, filed: 2026-03-10, reference: SC-2026-0117}",
                        "mechanisms: []",
                    )
                    .replace(
                        "mechanisms:\n      - {type: certification, approved: 2026-04-15, expires: 2029-04-14, reference: CCRC-PI-2026-0042}",
                        "mechanisms: []",
                    );
            }
            Practice::Diligent => {
                *text = text.replace(
                    "{type: standard_contract, effective: 2026-10-28, reference: SC-2026-0342}",
                    "{type: standard_contract, effective: 2026-10-28, filed: 2026-11-05, reference: SC-2026-0342}",
                );
            }
        }
    }
    s
}

fn ts(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Runs the demo in `dir`; returns what it prints.
pub(crate) fn run(dir: &Path, as_of: Date) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir)?;
    let period = quarter_of(as_of);
    let mut out = format!(
        "Compliance snapshots and ratings, {period} (as of {as_of}); stores under {}\n\n",
        dir.display()
    );
    let companies = [
        ("lumen", Practice::Usual),
        ("careless", Practice::Careless),
        ("diligent", Practice::Diligent),
    ];
    let mut published = Vec::new();
    for (name, practice) in companies {
        let loaded = load_sources(&sources(practice), Taxonomy::builtin());
        if !loaded.diagnostics.is_empty() {
            anyhow::bail!("the {name} example does not validate");
        }
        let cdir = dir.join(name);
        std::fs::create_dir_all(&cdir)?;
        let db = cdir.join("store.db");
        let store = Store::open(&db.display().to_string())?;
        let keys = Keys::create(&default_dir_for(&db))?;
        practise(&store, &keys, &loaded.map, practice, as_of)?;
        let p = crate::snapshot::publish(
            loaded.map,
            store,
            keys,
            &period,
            build::default_as_of(&period, as_of).unwrap_or(as_of),
            false,
            "demo",
        )?;
        out += &format!(
            "{name:<9} published its snapshot: sha256 {}…, audit log entry {}\n",
            &p.sha256[..16],
            p.log_index
        );
        published.push((name, practice, cdir, p));
    }

    // One witness over the three companies' servers: each server trusts it
    // and keeps its cosignatures; the association requires one.
    let wdir = dir.join("witness");
    let witness = outbound_witness::init(&wdir, WITNESS)?;
    let wkey = witness.verifier_key();
    let policy = WitnessPolicy::parse(std::slice::from_ref(&wkey), 1)?;
    let mut logs = Vec::new();
    for (name, practice, cdir, _) in &published {
        let loaded = load_sources(&sources(*practice), Taxonomy::builtin());
        let db = cdir.join("store.db");
        let keys = Keys::load(&default_dir_for(&db))?;
        let origin = log_origin(&keys);
        let key = c2sp::verifier_key(&origin, &keys.verifying());
        let url = serve_company(loaded.map, &db, keys, as_of, &policy)
            .map_err(|e| anyhow::anyhow!("cannot serve {name}'s log: {e}"))?;
        logs.push(outbound_witness::LogConfig { origin, url, key });
    }
    out += &format!("\nThe witness {WITNESS} follows the three logs:\n");
    let config = outbound_witness::Config { logs };
    let mut events = Vec::new();
    outbound_witness::run(&wdir, &config, true, std::time::Duration::ZERO, |e| {
        events.push(e.clone())
    })?;
    for ((name, ..), e) in published.iter().zip(&events) {
        out += &match e {
            outbound_witness::Event::Cosigned {
                size,
                delivered: true,
                ..
            } => format!("  {name:<9} checkpoint of size {size}: consistent, cosigned\n"),
            other => format!(
                "  {name:<9} NOT cosigned: {}\n",
                serde_json::to_string(other).unwrap_or_default()
            ),
        };
    }

    // The association: its own store, the members' verifier keys, and
    // each member's log read as its server serves it.
    let adir = dir.join("association");
    std::fs::create_dir_all(&adir)?;
    let adb = adir.join("store.db");
    let assoc = Store::open(&adb.display().to_string())?;
    let akeys = Keys::create(&default_dir_for(&adb))?;
    out += "\nThe association collects and checks each snapshot:\n";
    for (name, _, cdir, p) in &published {
        let db = cdir.join("store.db");
        let store = Store::open(&db.display().to_string())?;
        let keys = Keys::load(&default_dir_for(&db))?;
        let verifier = c2sp::verifier_key(&log_origin(&keys), &keys.verifying());
        let m = assoc.add_member_witnessed(
            &akeys,
            "demo",
            name,
            &format!("https://{name}.example.invalid"),
            &verifier,
            std::slice::from_ref(&wkey),
            1,
        )?;
        let log = LocalWitnessedLog {
            log: LocalLog {
                store: &store,
                keys: &keys,
                origin: log_origin(&keys),
            },
            policy: policy.clone(),
        };
        if *name == "careless" {
            // A copy with a count raised is refused before the real one is taken.
            let mut forged = p.clone();
            forged.note = forged
                .note
                .replacen("\"routes_in_place\":", "\"routes_in_place\":9", 1);
            if let Err(e) = check_published(&forged, &verifier, &log) {
                out += &format!("  {name:<9} a forged copy (a count raised): REFUSED, {e}\n");
            }
        }
        let c = api_association::collect_with(&assoc, &akeys, "demo", &m, p, &log)?;
        out += &format!(
            "  {name:<9} signature and inclusion in its witnessed log (entry {} of {}, cosigned by {}): {}\n",
            c.log_index,
            c.checkpoint_size().unwrap_or(0),
            match c.witnesses().join(", ") {
                w if w.is_empty() => "no witness".to_string(),
                w => w,
            },
            if c.verified {
                "verified".to_string()
            } else {
                format!("FAILED: {}", c.reason.unwrap_or_default())
            }
        );
    }
    out += "\n";
    out += &crate::snapshot::ratings_text(&api_association::ratings_of(&assoc, &period)?);
    out += &format!(
        "\nThe association's store: {} (`outbound association ratings --period {period} --store …`)\n",
        adir.join("store.db").display()
    );
    Ok(out)
}

/// The demo witness's name.
const WITNESS: &str = "witness.demo.invalid/w1";

/// Serves a company's store on a loopback port (in a thread of its own, for
/// the rest of the process), trusting `policy`'s witnesses; its base URL.
fn serve_company(
    map: outbound_model::DataMap,
    db: &Path,
    keys: Keys,
    as_of: Date,
    policy: &WitnessPolicy,
) -> anyhow::Result<String> {
    let state = outbound_server::AppState::new(outbound_server::Config {
        map,
        store: Store::open(&db.display().to_string())?,
        keys,
        as_of: Some(as_of),
        secure_cookies: false,
    });
    state.set_witnesses(policy.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    std::thread::spawn(move || {
        let ready = tx.clone();
        if let Err(e) = outbound_server::run(state, addr, move |bound| {
            let _ = ready.send(Ok(bound));
        }) {
            let _ = tx.send(Err(e));
        }
    });
    let bound = rx
        .recv()
        .map_err(|_| anyhow::anyhow!("the server stopped before it listened"))??;
    Ok(format!("http://{bound}"))
}

/// What each company did this period, in its store.
fn practise(
    s: &Store,
    k: &Keys,
    map: &outbound_model::DataMap,
    p: Practice,
    as_of: Date,
) -> anyhow::Result<()> {
    use outbound_store::incidents::NewIncident;
    use outbound_store::recipients::{NewAttestation, Statement};
    use outbound_store::reviews::{NewReview, ReviewKind};
    use outbound_store::rights::{Channel, IdentityMethod, NewRequest, RefusalReason, RequestKind};

    let now = Timestamp::now();
    let (start, _) = build::period_days(&quarter_of(as_of)).expect("a quarter");
    let start = start
        .to_zoned(jiff::tz::TimeZone::UTC)?
        .timestamp()
        .max(now - SignedDuration::from_hours(24 * 40));
    let recipients: Vec<String> = map
        .recipients
        .iter()
        .filter(|r| outbound_rules::recipient::checklist(map, &r.id).is_some())
        .map(|r| r.id.clone())
        .collect();
    for (i, r) in recipients.iter().enumerate() {
        let attest = match p {
            Practice::Careless => false,
            Practice::Usual => i % 2 == 0,
            Practice::Diligent => true,
        };
        if attest {
            let c = outbound_rules::recipient::checklist(map, r).expect("filtered");
            for item in &c.items {
                s.attest(
                    k,
                    "demo",
                    &NewAttestation {
                        recipient: r.clone(),
                        obligation: item.obligation.id.clone(),
                        statement: Statement::Attested,
                        evidence_sha256: vec!["ab".repeat(32)],
                        note: None,
                    },
                )?;
            }
        }
        let review = match p {
            Practice::Careless => false,
            Practice::Usual => i == 0,
            Practice::Diligent => true,
        };
        if review {
            s.record_review(
                k,
                "demo",
                &NewReview {
                    recipient: r.clone(),
                    date: as_of.to_string(),
                    kind: ReviewKind::Desk,
                    summary: "Annual desk review".into(),
                    findings: vec![],
                },
            )?;
        }
    }
    if p != Practice::Usual {
        let discovered = now - SignedDuration::from_hours(24 * 5);
        let transfers = vec!["analytics-eu".to_string()];
        let regimes = vec!["CN".to_string()];
        let i = s.open_incident(
            k,
            "demo",
            &NewIncident {
                discovered_at: &ts(discovered),
                title: "Export file left in a shared folder",
                severity: "relatively_major",
                ciio: false,
                transfers: &transfers,
                regimes: &regimes,
                individuals_affected: Some(300),
            },
        )?;
        if p == Practice::Diligent {
            let view = outbound_server::api_incidents::incident_view(i.clone(), now);
            for c in view.clocks {
                s.record_incident_notice(
                    k,
                    "demo",
                    &i.id,
                    &c.id,
                    &ts(discovered + SignedDuration::from_mins(30)),
                )?;
            }
        }
        let regimes = vec!["CN".to_string()];
        // The careless company's request came early in the period and is still
        // open; the diligent one's came an hour ago and was answered at once.
        let received = if p == Practice::Diligent {
            now - SignedDuration::from_hours(1)
        } else {
            start
        };
        let r = s.open_request(
            k,
            "demo",
            &NewRequest {
                received_at: &ts(received),
                channel: Channel::Staff,
                kinds: &[RequestKind::Access],
                regimes: &regimes,
                subject: k.subject_hash(b"demo-subject"),
                identity: IdentityMethod::AccountLogin,
                identity_at: Some(&ts(received)),
            },
        )?;
        if p == Practice::Diligent {
            s.refuse_request(k, "demo", &r.id, RefusalReason::NotHeld)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(quarter_of(d("2026-11-30")), "2026-Q4");
        assert_eq!(quarter_of(d("2026-01-01")), "2026-Q1");
        assert_eq!(quarter_of(d("2026-06-30")), "2026-Q2");
        assert_eq!(quarter_of(d("2026-07-01")), "2026-Q3");
    }

    #[test]
    fn the_edited_examples_differ_where_intended() {
        let text = |p| {
            sources(p)
                .into_iter()
                .map(|(_, t)| t)
                .collect::<Vec<_>>()
                .join("")
        };
        assert!(text(Practice::Careless).contains("mechanisms: []"));
        assert!(text(Practice::Diligent).contains("filed: 2026-11-05"));
        assert_eq!(text(Practice::Usual).matches("mechanisms: []").count(), 0);
    }
}
