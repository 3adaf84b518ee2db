//! `outbound witness init|run`, `outbound serve --witness --witness-quorum`
//! and `outbound audit checkpoint --witnessed` from the command line: a
//! company's server, a witness that cosigns its checkpoint once, and the
//! witnessed checkpoint the quorum then allows.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use outbound_store::c2sp::Checkpoint;
use outbound_store::cosign::{Cosignature, Cosigner, split_note};

use crate::common::{one_transfer_store, run_on_store};

#[test]
fn a_witness_cosigns_a_served_log_and_the_quorum_counts_it() {
    let d = tempfile::tempdir().unwrap();
    let (map, store) = one_transfer_store(d.path());
    for cmd in ["suspend", "resume"] {
        let (code, out, err) = run_on_store(&store, &["route", cmd, "t", "--reason", "test"]);
        assert_eq!(code, 0, "{out}{err}");
    }
    // The witness: init prints its key, again the same; another name is refused.
    let state = d.path().join("witness");
    let state_s = state.to_str().unwrap();
    let init = [
        "witness",
        "init",
        "--state",
        state_s,
        "--name",
        "witness.example/w1",
    ];
    let (code, wkey, err) = run_on_store(&store, &init);
    assert_eq!(code, 0, "{err}");
    let wkey = wkey.trim().to_string();
    let witness = Cosigner::parse(&wkey).unwrap();
    assert_eq!(run_on_store(&store, &init).1.trim(), wkey);
    let other = ["witness", "init", "--state", state_s, "--name", "w2"];
    assert_ne!(run_on_store(&store, &other).0, 0);

    // Before any cosignature: quorum 0 is the checkpoint itself, quorum 1 none.
    let (_, note, _) = run_on_store(&store, &["audit", "checkpoint"]);
    let q = |n: &str| {
        run_on_store(
            &store,
            &[
                "audit",
                "checkpoint",
                "--witnessed",
                "--witness",
                &wkey,
                "--witness-quorum",
                n,
            ],
        )
    };
    assert_eq!(q("0").1, note);
    let (code, out, err) = q("1");
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    let (code, _, err) = q("2");
    assert_ne!(code, 0);
    assert!(err.contains("quorum of 2"), "{err}");

    // The company serves its log with the witness configured.
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("outbound"))
        .args(["serve", "--map", map.to_str().unwrap()])
        .args(["--store", store.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .args(["--witness", &wkey, "--witness-quorum", "1"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    let (_, vkey, _) = run_on_store(&store, &["audit", "verifier-key"]);
    let vkey = vkey.trim();
    let origin = vkey.split('+').next().unwrap();
    let config = d.path().join("logs.toml");
    std::fs::write(
        &config,
        format!("[[log]]\norigin = \"{origin}\"\nurl = \"http://{addr}\"\nkey = \"{vkey}\"\n"),
    )
    .unwrap();
    let run = |format: &str| {
        run_on_store(
            &store,
            &[
                "witness",
                "run",
                "--config",
                config.to_str().unwrap(),
                "--state",
                state_s,
                "--once",
                "--format",
                format,
            ],
        )
    };
    let (code, out, err) = run("table");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        format!("{origin}: cosigned size 2 (first seen, consistent)\n")
    );
    let (code, out, _) = run("json");
    assert_eq!(code, 0);
    let e: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(e["event"], "unchanged");
    assert_eq!(e["size"], 2);
    child.kill().unwrap();
    child.wait().unwrap();

    // The company kept the cosignature: the witnessed checkpoint carries it.
    let (code, witnessed, err) = q("1");
    assert_eq!(code, 0, "{err}");
    assert_eq!(Checkpoint::open(&witnessed, vkey).unwrap().size, 2);
    let (body, sigs) = split_note(&witnessed).unwrap();
    assert!(witness.verifies(body, &Cosignature::parse_line(sigs[1]).unwrap()));

    // The log unreachable now: not checked, exit 1, no alarm.
    let (code, out, err) = run("table");
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("not checked"), "{err}");
    assert!(!state.join("alarms.jsonl").exists());
}
