//! The ledger and audit commands end to end on a SQLite store: init, consent,
//! gate, status, assess --store, audit verify/head/prove/consistency/check, routes.

use crate::common::run_on_store as run;

#[test]
fn ledger_and_audit_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = d.join("store.db");
    let (code, out, _) = run(&store, &["store", "init"]);
    assert_eq!(code, 0);
    let key = out
        .lines()
        .find_map(|l| l.strip_prefix("audit log public key: "))
        .unwrap()
        .trim()
        .to_string();
    assert!(
        !out.contains(&std::fs::read_to_string(d.join("store.db.keys/hash.key")).unwrap()),
        "keys are never printed"
    );

    // Consents for all but every 10th customer; a bad file names its line and writes nothing.
    std::fs::write(d.join("bad.csv"), "subject,transfer,granted_at\nC0000001,crm-to-parent,2026-01-15\nC0000002,crm-to-parent,15/01/2026\n").unwrap();
    let (code, _, err) = run(
        &store,
        &["consent", "import", d.join("bad.csv").to_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.csv:3") && err.contains("granted_at"),
        "{err}"
    );
    std::fs::write(
        d.join("consents.csv"),
        outbound_gate::sample::consents_csv("crm-to-parent", 0, 200, 10),
    )
    .unwrap();
    let (code, out, _) = run(
        &store,
        &[
            "consent",
            "import",
            d.join("consents.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("imported 180"), "{out}");

    std::fs::write(
        d.join("batch.csv"),
        outbound_gate::sample::customers_csv(0, 200, 3, false),
    )
    .unwrap();
    // One crm-to-parent batch through the gate; `format` is the summary's.
    let gate = |input: &str, output: &str, format: &str| {
        run(
            &store,
            &[
                "gate",
                "--map",
                "examples/lumen",
                "--transfer",
                "crm-to-parent",
                "--as-of",
                "2026-11-23",
                "--input",
                d.join(input).to_str().unwrap(),
                "--output",
                d.join(output).to_str().unwrap(),
                "--format",
                format,
            ],
        )
    };
    let (code, out, err) = gate("batch.csv", "out.csv", "json");
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["records_out"], 180);
    assert_eq!(report["dropped_no_consent"], 20);
    assert_eq!(report["outcome"]["result"], "passed");
    // The output is never overwritten.
    let (code, _, err) = gate("batch.csv", "out.csv", "json");
    assert_eq!(code, 2, "{err}");

    // status and assess read the ledger.
    let (code, out, _) = run(
        &store,
        &[
            "status",
            "examples/lumen",
            "--as-of",
            "2026-11-23",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let commerce = v["exporters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["exporter"] == "lumen-commerce")
        .unwrap();
    assert_eq!(
        commerce["current_year"]["individuals"],
        312_450 + 180,
        "stated figures plus the ledger's exact count"
    );
    let (code, out, _) = run(
        &store,
        &[
            "assess",
            "examples/lumen",
            "--as-of",
            "2026-11-23",
            "--store",
            store.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("the ledger's exact distinct individuals"),
        "assess names the ledger as its source"
    );

    // Audit: verify, keep a head, add entries, prove inclusion and consistency to a third party.
    assert_eq!(run(&store, &["audit", "verify"]).0, 0);
    let (_, head, _) = run(&store, &["audit", "head"]);
    std::fs::write(d.join("head.json"), &head).unwrap();
    assert_eq!(
        run(
            &store,
            &[
                "route",
                "suspend",
                "crm-to-parent",
                "--reason",
                "regulator's order"
            ]
        )
        .0,
        0
    );
    std::fs::write(
        d.join("batch2.csv"),
        outbound_gate::sample::customers_csv(0, 5, 4, false),
    )
    .unwrap();
    let (code, out, _) = gate("batch2.csv", "out2.csv", "table");
    assert_eq!(code, 3, "a suspended route refuses: {out}");
    assert!(out.contains("REFUSED") && !d.join("out2.csv").exists());
    assert_eq!(
        run(
            &store,
            &[
                "route",
                "resume",
                "crm-to-parent",
                "--reason",
                "order lifted"
            ]
        )
        .0,
        0
    );
    // A third party checks a bundle with the public key alone.
    let check = |bundle: &str| {
        run(
            &store,
            &[
                "audit",
                "check",
                d.join(bundle).to_str().unwrap(),
                "--key",
                &key,
            ],
        )
    };
    let (_, proof, _) = run(&store, &["audit", "prove", "1"]);
    std::fs::write(d.join("proof.json"), &proof).unwrap();
    let (code, out, _) = check("proof.json");
    assert_eq!(code, 0, "{out}");
    let (_, cons, _) = run(
        &store,
        &[
            "audit",
            "consistency",
            d.join("head.json").to_str().unwrap(),
        ],
    );
    std::fs::write(d.join("cons.json"), &cons).unwrap();
    let (code, out, _) = check("cons.json");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("extends the log"), "{out}");
    // A forged bundle fails the check.
    let forged = proof.replacen("\"index\": 1", "\"index\": 0", 1);
    std::fs::write(d.join("forged.json"), forged).unwrap();
    let (code, _, err) = check("forged.json");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("INVALID"));
}

/// `audit checkpoint` prints a C2SP signed note of the newest signed head,
/// which `audit verifier-key`'s key opens; a store that does not verify gets none.
#[test]
fn audit_checkpoint_and_verifier_key() {
    use outbound_store::c2sp::Checkpoint;

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.db");
    assert_eq!(run(&store, &["store", "init"]).0, 0);
    for (cmd, reason) in [
        ("suspend", "order 1"),
        ("resume", "lifted"),
        ("suspend", "order 2"),
    ] {
        let (code, out, err) = run(&store, &["route", cmd, "crm-to-parent", "--reason", reason]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let (code, note, err) = run(&store, &["audit", "checkpoint"]);
    assert_eq!(code, 0, "{err}");
    let (code, vkey, _) = run(&store, &["audit", "verifier-key"]);
    assert_eq!(code, 0);
    let vkey = vkey.trim();
    let origin = note.lines().next().unwrap();
    assert!(origin.starts_with("outbound.invalid/audit/"), "{note}");
    assert!(vkey.starts_with(&format!("{origin}+")), "{vkey}");
    let cp = Checkpoint::open(&note, vkey).unwrap();
    assert_eq!(cp.size, 3);
    let (_, head, _) = run(&store, &["audit", "head"]);
    let head: serde_json::Value = serde_json::from_str(&head).unwrap();
    assert_eq!(head["head"]["root"], hex::encode(cp.root));
    assert_eq!(head["head"]["size"], 3);
    // Same state, same note (Ed25519 is deterministic); a changed byte fails.
    assert_eq!(run(&store, &["audit", "checkpoint"]).1, note);
    assert!(Checkpoint::open(&note.replacen("\n3\n", "\n4\n", 1), vkey).is_err());

    // An origin of one's own names the key too; it must be a valid key name.
    let (code, mine, _) = run(
        &store,
        &["audit", "checkpoint", "--origin", "example.com/outbound"],
    );
    assert_eq!(code, 0);
    let (_, my_key, _) = run(
        &store,
        &["audit", "verifier-key", "--origin", "example.com/outbound"],
    );
    assert_eq!(
        Checkpoint::open(&mine, my_key.trim()).unwrap().root,
        cp.root
    );
    assert!(Checkpoint::open(&mine, vkey).is_err());
    for args in [
        &["audit", "checkpoint", "--origin", "a b"][..],
        &["audit", "verifier-key", "--origin", "a+b"],
    ] {
        let (code, out, err) = run(&store, args);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty() && err.contains("origin"), "{err}");
    }

    // Another signing key than the one that signed the heads: the store does
    // not verify with it, and no checkpoint is signed.
    let key = dir.path().join("store.db.keys/signing.key");
    std::fs::write(&key, "11".repeat(32)).unwrap();
    let (code, out, err) = run(&store, &["audit", "checkpoint"]);
    assert_ne!(code, 0);
    assert!(out.is_empty() && err.contains("does not verify"), "{err}");
}

/// `outbound audit scans`: the database scans the server logged, newest
/// first, as a table (names a terminal cannot be tricked by) or JSON.
#[test]
fn audit_scans_lists_the_logged_database_scans() {
    use outbound_store::scans::DatabaseScan;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.db");
    assert_eq!(run(&store, &["audit", "scans"]).0, 2, "no store yet");
    assert_eq!(run(&store, &["store", "init"]).0, 0);
    let (code, out, _) = run(&store, &["audit", "scans"]);
    assert_eq!(code, 0);
    assert!(out.contains("no database has been scanned"), "{out}");
    let s = outbound_store::Store::open(store.to_str().unwrap()).unwrap();
    let k = outbound_store::Keys::load(&dir.path().join("store.db.keys")).unwrap();
    let scan = |tables: Vec<String>, target: &str| DatabaseScan {
        by: "ana".into(),
        sources: vec!["shop-crm".into()],
        tables,
        sample: "random".into(),
        sample_rows: 10_000,
        target: target.into(),
    };
    let first = s
        .record_database_scan(
            &k,
            &scan(vec!["cust\u{1b}[2J*".into()], "dataset:customers"),
        )
        .unwrap();
    let second = s.record_database_scan(&k, &scan(vec![], "map")).unwrap();
    drop(s);
    let (code, out, _) = run(&store, &["audit", "scans"]);
    assert_eq!(code, 0);
    let (a, b) = (
        out.find(&format!("| {second} ")).expect("the newest"),
        out.find(&format!("| {first} ")).expect("the first"),
    );
    assert!(a < b, "newest first: {out}");
    assert!(
        out.contains("every table") && out.contains("random 10000"),
        "{out}"
    );
    assert!(
        out.contains("cust\\u{1b}[2J*") && !out.contains('\u{1b}'),
        "{out}"
    );
    let (code, json, _) = run(
        &store,
        &["audit", "scans", "--limit", "1", "--format", "json"],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(
        (&v[0]["index"], &v[0]["target"]),
        (&serde_json::json!(second), &serde_json::json!("map"))
    );
    assert_eq!(run(&store, &["audit", "scans", "--limit", "0"]).0, 2);
}
