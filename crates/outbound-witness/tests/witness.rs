//! The witness against real company servers (`outbound_server::router` on
//! 127.0.0.1, ephemeral ports): several logs at once, a log that grows, a
//! forked log, a rolled-back log, a bad signature, and the company's
//! witnessed checkpoint with quorums of 0, 1 and 2.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use outbound_store::c2sp::{Checkpoint, default_origin, verifier_key};
use outbound_store::cosign::{Cosignature, Cosigner, WitnessPolicy, split_note};
use outbound_store::{Keys, Store};
use outbound_witness::{AlarmKind, BaseUrl, Config, Event, LogConfig, Witness};
use tokio::runtime::Runtime;

fn rt() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A company: its store (a second handle to write with), keys and server.
struct Company {
    dir: tempfile::TempDir,
    writer: Store,
    keys: Keys,
    addr: SocketAddr,
    origin: String,
    vkey: String,
}

impl Company {
    /// A new company log with `entries` entries, or one whose keys (and,
    /// with `store_from`, whose database files) are copies of another's.
    fn start(
        rt: &Runtime,
        keys_from: Option<&Path>,
        store_from: Option<&Path>,
        entries: usize,
        policy: WitnessPolicy,
    ) -> Company {
        let dir = tempfile::tempdir().unwrap();
        let kdir = dir.path().join("keys");
        let keys = match keys_from {
            None => Keys::create(&kdir).unwrap(),
            Some(from) => {
                copy_private(from, &kdir);
                Keys::load(&kdir).unwrap()
            }
        };
        let db = dir.path().join("store.db");
        if let Some(from) = store_from {
            for ext in ["db", "db-wal"] {
                let f = from.join(format!("store.{ext}"));
                if f.exists() {
                    std::fs::copy(&f, dir.path().join(format!("store.{ext}"))).unwrap();
                }
            }
        }
        let location = db.display().to_string();
        let writer = Store::open(&location).unwrap();
        grow(&writer, &keys, entries);
        let loaded = outbound_model::load_path(&root().join("examples/lumen")).unwrap();
        let state = outbound_server::AppState::new(outbound_server::Config {
            map: loaded.map,
            store: Store::open(&location).unwrap(),
            keys: Keys::load(&kdir).unwrap(),
            as_of: Some("2026-11-23".parse().unwrap()),
            secure_cookies: false,
        });
        assert!(state.set_witnesses(policy));
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move {
            axum::serve(listener, outbound_server::router(state))
                .await
                .unwrap()
        });
        let origin = default_origin(&keys.verifying());
        let vkey = verifier_key(&origin, &keys.verifying());
        Company {
            dir,
            writer,
            keys,
            addr,
            origin,
            vkey,
        }
    }

    fn log(&self) -> LogConfig {
        LogConfig {
            origin: self.origin.clone(),
            url: format!("http://{}", self.addr),
            key: self.vkey.clone(),
        }
    }

    /// This company's log, as served by `other` (a fork, a rollback).
    fn served_by(&self, other: &Company) -> LogConfig {
        LogConfig {
            url: format!("http://{}", other.addr),
            ..self.log()
        }
    }

    fn grow(&self, n: usize) {
        grow(&self.writer, &self.keys, n);
    }

    /// Other entries than [`Company::grow`] appends (another route).
    fn grow_otherwise(&self, n: usize) {
        for i in 0..n {
            self.writer
                .set_route(&self.keys, "test", "route-b", i % 2 == 0, "another")
                .unwrap();
        }
    }

    fn get(&self, rt: &Runtime, path: &str) -> (u16, String) {
        let base = BaseUrl::parse(&format!("http://{}", self.addr)).unwrap();
        let (status, body) = rt.block_on(base.get(path)).unwrap();
        (status, String::from_utf8(body).unwrap())
    }
}

fn copy_private(from: &Path, to: &Path) {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn grow(s: &Store, k: &Keys, n: usize) {
    for i in 0..n {
        // Any entry will do: a route suspended, resumed, suspended …
        s.set_route(k, "test", "route-a", i % 2 == 0, "a test")
            .unwrap();
    }
}

fn witness(name: &str) -> (tempfile::TempDir, Witness) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let id = outbound_witness::init(&state, name).unwrap();
    assert_eq!(
        outbound_witness::init(&state, name).unwrap().verifier_key(),
        id.verifier_key(),
        "init twice keeps the key"
    );
    assert!(outbound_witness::init(&state, "other.example/w").is_err());
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("witness.key")), 0o600);
    (dir, Witness::open(&state).unwrap())
}

fn policy(ws: &[&Witness], quorum: usize) -> WitnessPolicy {
    let keys: Vec<String> = ws.iter().map(|w| w.identity().verifier_key()).collect();
    WitnessPolicy::parse(&keys, quorum).unwrap()
}

fn poll(rt: &Runtime, w: &Witness, log: &LogConfig) -> Event {
    rt.block_on(w.poll(log))
}

fn cosigned_size(e: &Event) -> u64 {
    match e {
        Event::Cosigned {
            size,
            delivered: true,
            ..
        } => *size,
        other => panic!("not cosigned and delivered: {other:?}"),
    }
}

fn alarm(e: &Event) -> AlarmKind {
    match e {
        Event::Alarm(a) => a.alarm,
        other => panic!("no alarm: {other:?}"),
    }
}

fn alarms(w_dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(w_dir.join("state/alarms.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn several_logs_grow_and_each_checkpoint_is_cosigned_once_consistent() {
    let rt = rt();
    let (wdir, w) = witness("witness.example/w1");
    let p = policy(&[&w], 1);
    let companies: Vec<Company> = [3, 300, 1]
        .into_iter()
        .map(|n| Company::start(&rt, None, None, n, p.clone()))
        .collect();
    let config = Config {
        logs: companies.iter().map(Company::log).collect(),
    };
    let first = rt.block_on(w.poll_all(&config));
    let sizes: Vec<u64> = first.iter().map(cosigned_size).collect();
    assert_eq!(sizes, [3, 300, 1]);
    // Nothing new: unchanged, no second cosignature.
    for e in rt.block_on(w.poll_all(&config)) {
        assert!(matches!(e, Event::Unchanged { .. }), "{e:?}");
    }
    // They grow (the second across a tile boundary: 300 → 520), each is
    // checked against what was cosigned before and cosigned again.
    companies[0].grow(2);
    companies[1].grow(220);
    let second = rt.block_on(w.poll_all(&config));
    assert!(matches!(
        second[0],
        Event::Cosigned {
            size: 5,
            previous: Some(3),
            delivered: true,
            ..
        }
    ));
    assert_eq!(cosigned_size(&second[1]), 520);
    assert!(matches!(second[2], Event::Unchanged { size: 1, .. }));
    // The state: the last checkpoint and its cosigned copy, which verifies.
    let c = &companies[1];
    let kept = std::fs::read_to_string(w.log_dir(&c.origin).join("checkpoint.cosigned")).unwrap();
    let (body, lines) = split_note(&kept).unwrap();
    assert_eq!(Checkpoint::open(&kept, &c.vkey).unwrap().size, 520);
    let sig = Cosignature::parse_line(lines[1]).unwrap();
    assert!(w.identity().cosigner().verifies(body, &sig));
    // The companies kept the cosignatures, and serve them at quorum 1.
    for (c, size) in companies.iter().zip([5, 520, 1]) {
        let (status, note) = c.get(&rt, "log/checkpoint.witnessed");
        assert_eq!(status, 200, "{note}");
        assert_eq!(Checkpoint::open(&note, &c.vkey).unwrap().size, size);
        assert_eq!(split_note(&note).unwrap().1.len(), 2);
    }
    assert!(alarms(wdir.path()).is_empty());
    // `run --once` over the same: no alarm.
    let state = wdir.path().join("state");
    let mut seen = 0;
    let alarmed =
        outbound_witness::run(&state, &config, true, Duration::from_secs(1), |_| seen += 1)
            .unwrap();
    assert!(!alarmed);
    assert_eq!(seen, 3);
}

#[test]
fn a_fork_and_a_rewritten_history_raise_alarms_and_are_not_cosigned() {
    let rt = rt();
    let (wdir, w) = witness("witness.example/w1");
    let p = policy(&[&w], 0);
    let a = Company::start(&rt, None, None, 3, p.clone());
    // B: the same keys and the same first 3 entries (a copy of A's store).
    let b = Company::start(
        &rt,
        Some(&a.dir.path().join("keys")),
        Some(a.dir.path()),
        0,
        p,
    );
    assert_eq!(b.origin, a.origin);
    a.grow(2);
    b.grow_otherwise(2);
    assert_eq!(cosigned_size(&poll(&rt, &w, &a.log())), 5);
    // B shows size 5 with another root: a fork.
    let e = poll(&rt, &w, &a.served_by(&b));
    assert_eq!(alarm(&e), AlarmKind::Fork);
    let Event::Alarm(found) = &e else {
        unreachable!()
    };
    assert_eq!(found.evidence.len(), 2, "both checkpoints kept");
    let served = std::fs::read_to_string(&found.evidence[1]).unwrap();
    let kept = std::fs::read_to_string(&found.evidence[0]).unwrap();
    let (sa, sb) = (
        Checkpoint::open(&kept, &a.vkey).unwrap(),
        Checkpoint::open(&served, &a.vkey).unwrap(),
    );
    assert_eq!(sa.size, sb.size);
    assert_ne!(sa.root, sb.root);
    // B grows past A: its history does not extend what was cosigned.
    b.grow_otherwise(2);
    let e = poll(&rt, &w, &a.served_by(&b));
    assert_eq!(alarm(&e), AlarmKind::Fork);
    let Event::Alarm(found) = &e else {
        unreachable!()
    };
    assert!(found.detail.contains("rewritten"), "{}", found.detail);
    // Nothing was cosigned for B: the witness still remembers A's size 5.
    let last = w.last_cosigned(&a.origin).unwrap().unwrap();
    assert_eq!(Checkpoint::open(&last, &a.vkey).unwrap(), sa);
    let (status, _) = b.get(&rt, "log/checkpoint.witnessed");
    assert_eq!(status, 200, "quorum 0: B's own checkpoint, uncosigned");
    assert!(b.writer.cosignatures().unwrap().is_empty());
    // The alarms are on file, and `run --once` says so.
    let on_file = alarms(wdir.path());
    assert_eq!(on_file.len(), 2);
    assert_eq!(on_file[0]["alarm"], "FORK");
    assert_eq!(on_file[0]["origin"], a.origin);
    let config = Config {
        logs: vec![a.served_by(&b)],
    };
    let state = wdir.path().join("state");
    assert!(outbound_witness::run(&state, &config, true, Duration::from_secs(1), |_| {}).unwrap());
    // A itself, grown on: still consistent, cosigned.
    a.grow(1);
    assert_eq!(cosigned_size(&poll(&rt, &w, &a.log())), 6);
}

#[test]
fn a_rolled_back_log_raises_an_alarm() {
    let rt = rt();
    let (wdir, w) = witness("witness.example/w1");
    let p = policy(&[&w], 0);
    let a = Company::start(&rt, None, None, 4, p.clone());
    // An old copy of A's store at 4 entries, restored later.
    let old = tempfile::tempdir().unwrap();
    for ext in ["db", "db-wal"] {
        let f = a.dir.path().join(format!("store.{ext}"));
        if f.exists() {
            std::fs::copy(&f, old.path().join(format!("store.{ext}"))).unwrap();
        }
    }
    a.grow(3);
    assert_eq!(cosigned_size(&poll(&rt, &w, &a.log())), 7);
    let restored = Company::start(
        &rt,
        Some(&a.dir.path().join("keys")),
        Some(old.path()),
        0,
        p,
    );
    let e = poll(&rt, &w, &a.served_by(&restored));
    assert_eq!(alarm(&e), AlarmKind::Rollback);
    let Event::Alarm(found) = &e else {
        unreachable!()
    };
    assert!(found.detail.contains("4 entries; 7"), "{}", found.detail);
    assert_eq!(alarms(wdir.path())[0]["alarm"], "ROLLBACK");
    // Growing back to 7 with other entries is a fork, not a recovery.
    restored.grow_otherwise(3);
    assert_eq!(
        alarm(&poll(&rt, &w, &a.served_by(&restored))),
        AlarmKind::Fork
    );
}

#[test]
fn a_checkpoint_signed_by_another_key_raises_an_alarm() {
    let rt = rt();
    let (wdir, w) = witness("witness.example/w1");
    let a = Company::start(&rt, None, None, 2, policy(&[&w], 0));
    assert_eq!(cosigned_size(&poll(&rt, &w, &a.log())), 2);
    // A log with other keys: its checkpoint names its own origin.
    let other = Company::start(&rt, None, None, 3, policy(&[&w], 0));
    let e = poll(&rt, &w, &a.served_by(&other));
    assert_eq!(alarm(&e), AlarmKind::BadSignature);
    // A's origin and size, re-signed with another key, served by a stand-in.
    let (cp, _) = a.writer.audit_checkpoint(&a.keys, &a.origin).unwrap();
    let grown = Checkpoint {
        size: cp.size + 1,
        ..cp
    };
    let forged = grown.sign(&SigningKey::from_bytes(&[5; 32]));
    let app = axum::Router::new().route(
        "/log/checkpoint",
        axum::routing::get(move || {
            let f = forged.clone();
            async move { f }
        }),
    );
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    let log = LogConfig {
        url: format!("http://{addr}"),
        ..a.log()
    };
    let e = poll(&rt, &w, &log);
    assert_eq!(alarm(&e), AlarmKind::BadSignature);
    assert_eq!(alarms(wdir.path()).len(), 2);
    // Not cosigned: the witness still remembers size 2.
    let last = w.last_cosigned(&a.origin).unwrap().unwrap();
    assert_eq!(Checkpoint::open(&last, &a.vkey).unwrap().size, 2);
    // An unreachable log is an error, not an alarm.
    let gone = LogConfig {
        url: "http://127.0.0.1:9".into(),
        ..a.log()
    };
    assert!(matches!(poll(&rt, &w, &gone), Event::Error { .. }));
    assert_eq!(alarms(wdir.path()).len(), 2);
}

#[test]
fn the_witnessed_checkpoint_needs_the_companys_quorum() {
    let rt = rt();
    let (_d1, w1) = witness("witness.example/w1");
    let (_d2, w2) = witness("witness.example/w2");
    let (_d3, w3) = witness("witness.example/w3");
    let q0 = Company::start(&rt, None, None, 2, policy(&[&w1, &w2], 0));
    let q1 = Company::start(&rt, None, None, 2, policy(&[&w1, &w2], 1));
    let q2 = Company::start(&rt, None, None, 2, policy(&[&w1, &w2], 2));
    // Quorum 0: the newest checkpoint, as /log/checkpoint serves it.
    let (status, note) = q0.get(&rt, "log/checkpoint.witnessed");
    assert_eq!(status, 200);
    assert_eq!(note, q0.get(&rt, "log/checkpoint").1);
    assert_eq!(q1.get(&rt, "log/checkpoint.witnessed").0, 404);
    assert_eq!(q2.get(&rt, "log/checkpoint.witnessed").0, 404);
    for c in [&q0, &q1, &q2] {
        assert_eq!(cosigned_size(&poll(&rt, &w1, &c.log())), 2);
    }
    assert_eq!(q1.get(&rt, "log/checkpoint.witnessed").0, 200);
    assert_eq!(q2.get(&rt, "log/checkpoint.witnessed").0, 404);
    for c in [&q1, &q2] {
        assert_eq!(cosigned_size(&poll(&rt, &w2, &c.log())), 2);
    }
    let (status, note) = q2.get(&rt, "log/checkpoint.witnessed");
    assert_eq!(status, 200);
    let (body, lines) = split_note(&note).unwrap();
    assert_eq!(lines.len(), 3, "{note}");
    assert_eq!(Checkpoint::open(&note, &q2.vkey).unwrap().size, 2);
    for (line, w) in lines[1..].iter().zip([&w1, &w2]) {
        let sig = Cosignature::parse_line(line).unwrap();
        assert!(w.identity().cosigner().verifies(body, &sig));
    }
    // The log grows: the witnessed checkpoint stays at 2 until both cosign 3.
    q2.grow(1);
    assert_eq!(cosigned_size(&poll(&rt, &w1, &q2.log())), 3);
    let (_, note) = q2.get(&rt, "log/checkpoint.witnessed");
    assert_eq!(Checkpoint::open(&note, &q2.vkey).unwrap().size, 2);
    assert_eq!(cosigned_size(&poll(&rt, &w2, &q2.log())), 3);
    let (_, note) = q2.get(&rt, "log/checkpoint.witnessed");
    assert_eq!(Checkpoint::open(&note, &q2.vkey).unwrap().size, 3);
    // A witness the company does not know: its cosignature is refused (400),
    // the witness reports it undelivered.
    q2.grow(1);
    match poll(&rt, &w3, &q2.log()) {
        Event::Cosigned {
            delivered: false,
            delivery_error: Some(e),
            ..
        } => assert!(e.contains("400") && e.contains("unknown witness"), "{e}"),
        other => panic!("{other:?}"),
    }
    // POST /log/cosignature refuses a checkpoint the log never signed.
    let (cp, _) = q2.writer.audit_checkpoint(&q2.keys, &q2.origin).unwrap();
    let never = Checkpoint { size: 99, ..cp };
    let seed = std::fs::read_to_string(_d1.path().join("state/witness.key")).unwrap();
    let k1 = SigningKey::from_bytes(&hex::decode(seed.trim()).unwrap().try_into().unwrap());
    let line = Cosignature::sign("witness.example/w1", &k1, &never.body(), 1)
        .unwrap()
        .line();
    let note = format!("{}{line}\n", never.sign(q2.keys.signing()));
    let base = BaseUrl::parse(&format!("http://{}", q2.addr)).unwrap();
    let (status, body) = rt.block_on(base.post("log/cosignature", note)).unwrap();
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("never signed"));
    let _ = Cosigner::parse(&w1.identity().verifier_key()).unwrap();
}

#[test]
fn configurations_are_checked() {
    let ok = r#"
[[log]]
origin = "outbound.invalid/audit/1f2e3d4c"
url = "http://127.0.0.1:8080"
key = "outbound.invalid/audit/1f2e3d4c+01234567+AQ=="
"#;
    assert_eq!(Config::parse(ok).unwrap().logs.len(), 1);
    assert!(Config::parse(&ok.replace("http://", "https://")).is_err());
    assert!(Config::parse(&ok.replace("key = \"outbound", "key = \"other")).is_err());
    assert!(Config::parse(&format!("{ok}{ok}")).is_err(), "listed twice");
    assert!(Config::parse("[[log]]\norigin = \"x\"\n").is_err());
    assert!(Config::parse(&format!("{ok}extra = 1\n")).is_err());
}
