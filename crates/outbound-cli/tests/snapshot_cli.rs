//! `outbound snapshot …`, `outbound association …` and `outbound demo
//! association`: a snapshot of the demo's store holds no personal data; one
//! snapshot per period, corrections named; the association demo rates three
//! companies, refuses a forged snapshot, and every rating line names
//! evidence that exists in the member's log.

use crate::common::{outbound, root, run_on_store};

fn quarter() -> String {
    let d = jiff::Zoned::now().date();
    format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

#[test]
fn a_snapshot_of_the_demo_store_holds_no_personal_data() {
    let d = tempfile::tempdir().unwrap();
    let demo = d.path().join("demo");
    outbound()
        .args(["demo", "--dir", demo.to_str().unwrap()])
        .assert()
        .success();
    let store = demo.join("store.db");
    let map = root().join("examples/lumen");
    let q = quarter();
    let (code, out, err) = run_on_store(
        &store,
        &[
            "snapshot",
            "create",
            "--map",
            map.to_str().unwrap(),
            "--period",
            &q,
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Published the snapshot"), "{out}");
    let (code, out, err) = run_on_store(&store, &["snapshot", "show", &q, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    let note = p["note"].as_str().unwrap();
    // Every value of every file the demo sent through the gate (names,
    // mobiles, emails, ids) is absent from the snapshot.
    let mut values = 0;
    for f in std::fs::read_dir(&demo).unwrap() {
        let f = f.unwrap().path();
        if f.extension().and_then(|e| e.to_str()) != Some("csv") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines().skip(1) {
            for cell in line.split(',') {
                // Short cells (sku codes, digits, `true`) could match a count or an id by chance.
                if cell.chars().count() >= 6 && !cell.starts_with("sku-") {
                    values += 1;
                    assert!(
                        !note.contains(cell),
                        "{cell} (from {}) in the snapshot",
                        f.display()
                    );
                }
            }
        }
    }
    assert!(values > 100, "the demo's files were read ({values} values)");
    let password = std::fs::read_to_string(demo.join("admin.password")).unwrap();
    assert!(!note.contains(password.trim()));
    // No subject hash (16 bytes, 32 hex digits) or other digest in the body.
    let body = &note[..note.rfind("\n\n").unwrap()];
    let hex_run = body
        .split(|c: char| !c.is_ascii_hexdigit())
        .map(str::len)
        .max()
        .unwrap();
    assert!(hex_run < 32, "a hash-like value in the snapshot: {body}");
    // A second snapshot for the period is refused; a correction names the first.
    let (code, _, err) = run_on_store(
        &store,
        &[
            "snapshot",
            "create",
            "--map",
            map.to_str().unwrap(),
            "--period",
            &q,
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("already published"), "{err}");
    let (code, out, err) = run_on_store(
        &store,
        &[
            "snapshot",
            "create",
            "--map",
            map.to_str().unwrap(),
            "--period",
            &q,
            "--correct",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let fix: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(fix["seq"], 2);
    assert!(
        fix["note"]
            .as_str()
            .unwrap()
            .contains(&format!("\"corrects\":{}", p["sha256"]))
    );
    let (_, list, _) = run_on_store(&store, &["snapshot", "list"]);
    assert_eq!(list.matches(&q).count(), 2, "{list}");
    // Bad periods store nothing.
    for bad in ["2026-Q5", "2026", "2999-Q1"] {
        let (code, _, err) = run_on_store(
            &store,
            &[
                "snapshot",
                "create",
                "--map",
                map.to_str().unwrap(),
                "--period",
                bad,
            ],
        );
        assert_ne!(code, 0, "{bad}");
        assert!(!err.is_empty());
    }
}

#[test]
fn the_association_demo_rates_three_companies_with_evidence() {
    let d = tempfile::tempdir().unwrap();
    let o = outbound()
        .args(["demo", "association", "--dir", d.path().to_str().unwrap()])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(out.matches(": verified").count(), 3, "{out}");
    // One witness cosigned each log; the association required it and the
    // printed ratings name it.
    assert_eq!(out.matches("consistent, cosigned").count(), 3, "{out}");
    assert_eq!(
        out.matches(", cosigned by witness.demo.invalid/w1").count(),
        6,
        "{out}"
    );
    assert!(
        out.contains("a forged copy (a count raised): REFUSED"),
        "{out}"
    );
    let q = quarter();
    let (code, json, err) = run_on_store(
        &d.path().join("association/store.db"),
        &["association", "ratings", "--period", &q, "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let score = |m: &str| {
        v["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["member"] == m)
            .unwrap()["rating"]["score"]
            .as_f64()
            .unwrap()
    };
    assert!(score("careless") < score("lumen"), "{v}");
    assert!(score("lumen") < score("diligent"), "{v}");
    // Traceability: each line's evidence is the `snapshot` entry of the
    // member's own log, and its fields are the snapshot's values.
    for m in v["members"].as_array().unwrap() {
        let name = m["member"].as_str().unwrap();
        let store = outbound_store::Store::open(
            &d.path().join(name).join("store.db").display().to_string(),
        )
        .unwrap();
        let entries = store.audit_entries().unwrap();
        let published = store.snapshot(&q).unwrap().unwrap();
        let snap = published.json().unwrap();
        for line in m["rating"]["lines"].as_array().unwrap() {
            let ev = &line["evidence"];
            assert_eq!(ev["member"], name);
            assert_eq!(
                ev["witnesses"],
                serde_json::json!(["witness.demo.invalid/w1"])
            );
            assert_eq!(ev["snapshot_sha256"], published.sha256.as_str());
            let e = &entries[ev["log_index"].as_u64().unwrap() as usize];
            assert_eq!(e.kind, "snapshot");
            assert!(e.body.contains(&published.sha256));
            assert!(ev["checkpoint_size"].as_u64().unwrap() as usize <= entries.len());
            for f in line["fields"].as_array().unwrap() {
                let (path, value) = f.as_str().unwrap().split_once('=').unwrap();
                let at = path.split('.').fold(&snap, |v, k| &v[k]);
                assert_eq!(at.to_string(), value, "{name} {path}");
            }
        }
    }
    let (code, cmp, _) = run_on_store(
        &d.path().join("association/store.db"),
        &["association", "compare"],
    );
    assert_eq!(code, 0);
    assert!(cmp.contains(&q) && cmp.contains("diligent"), "{cmp}");
}
