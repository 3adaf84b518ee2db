//! `outbound recipient obligations|attest|status` on the bundled example and a
//! SQLite store: the checklist per recipient, an attestation hashed and
//! logged, unknown recipient or obligation refused with exit 2 and nothing
//! stored, and the status list worst first.

use crate::common::run_on_store as run;

const MAP: &str = "examples/lumen";

fn entries(store: &std::path::Path) -> usize {
    let (code, out, err) = run(store, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    out.lines()
        .find_map(|l| {
            l.split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .find(|w| w[1].starts_with("entr"))
                .and_then(|w| w[0].parse().ok())
        })
        .unwrap_or_else(|| panic!("no entry count in {out}"))
}

#[test]
fn recipient_obligations_attest_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = d.join("store.db");
    assert_eq!(run(&store, &["store", "init"]).0, 0);

    // The checklist: lumen-inc has a standard contract and SCC Module One.
    let (code, out, err) = run(
        &store,
        &["recipient", "obligations", "--map", MAP, "lumen-inc"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("sc-3-13") && out.contains("Standard contract Art. 3(13)"),
        "{out}"
    );
    assert!(
        out.contains("scc1-8.7") && out.contains("crm-to-parent") && out.contains("eu-to-parent"),
        "{out}"
    );
    assert!(!out.contains("scc2-"), "{out}");
    let (code, out, _) = run(
        &store,
        &[
            "recipient",
            "obligations",
            "--map",
            MAP,
            "metricly",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["obligation"]["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"sc-3-9"),
        "a processor's entrusted-processing items: {ids:?}"
    );

    // Unknown recipient or obligation: exit 2, a clear message, nothing stored.
    let ev = d.join("policy.pdf");
    std::fs::write(&ev, b"retention policy v3").unwrap();
    let before = entries(&store);
    let ev_s = ev.to_str().unwrap();
    let (code, _, err) = run(
        &store,
        &[
            "recipient",
            "attest",
            "--map",
            MAP,
            "nobody",
            "--obligation",
            "sc-3-5",
            "--evidence",
            ev_s,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no recipient `nobody`") && err.contains("lumen-inc"),
        "{err}"
    );
    let (code, _, err) = run(
        &store,
        &[
            "recipient",
            "attest",
            "--map",
            MAP,
            "metricly",
            "--obligation",
            "scc1-8.1",
            "--evidence",
            ev_s,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`scc1-8.1` is not an obligation of recipient metricly"),
        "{err}"
    );
    let (code, _, err) = run(
        &store,
        &[
            "recipient",
            "attest",
            "--map",
            MAP,
            "metricly",
            "--obligation",
            "sc-3-5",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--evidence"), "{err}");
    let (code, _, err) = run(
        &store,
        &[
            "recipient",
            "attest",
            "--map",
            MAP,
            "metricly",
            "--obligation",
            "sc-3-5",
            "--evidence",
            "/nonexistent/x.pdf",
        ],
    );
    assert_eq!(code, 2, "{err}");
    let long = "n".repeat(501);
    let (code, _, err) = run(
        &store,
        &[
            "recipient",
            "attest",
            "--map",
            MAP,
            "metricly",
            "--obligation",
            "sc-3-5",
            "--evidence",
            ev_s,
            "--note",
            &long,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("at most 500") && !err.contains("nnnn"),
        "{err}"
    );
    assert_eq!(entries(&store), before, "nothing stored");

    // An attestation: the file's SHA-256 is printed and logged.
    let (code, out, err) = run(
        &store,
        &[
            "recipient",
            "attest",
            "--map",
            MAP,
            "metricly",
            "--obligation",
            "sc-3-5",
            "--evidence",
            ev_s,
            "--note",
            "checked by the DPO",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(b"retention policy v3"))
    };
    assert!(
        out.contains(&sha) && out.contains("attested sc-3-5"),
        "{out}"
    );
    let (code, _, err) = run(
        &store,
        &[
            "recipient",
            "attest",
            "--map",
            MAP,
            "metricly",
            "--obligation",
            "sc-3-6",
            "--not-met",
            "--note",
            "pen test pending",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(entries(&store), before + 2);

    // Status: not met first, then overdue (lumen-inc's SCC took effect 2024-01-15,
    // never attested: overdue since 2025-01-16), then never attested, current last.
    let (code, out, err) = run(
        &store,
        &[
            "recipient",
            "status",
            "--map",
            MAP,
            "--as-of",
            "2026-12-01",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["obligations"].as_array().unwrap();
    let st = |i: usize| rows[i]["standing"].as_str().unwrap().to_string();
    assert_eq!(
        (
            rows[0]["recipient"].as_str(),
            rows[0]["obligation"].as_str()
        ),
        (Some("metricly"), Some("sc-3-6"))
    );
    assert_eq!(st(0), "not_met");
    assert_eq!(st(1), "overdue");
    assert_eq!(rows[1]["recipient"], "lumen-inc");
    assert_eq!(rows[1]["due"], "2025-01-15");
    let last = rows.last().unwrap();
    assert_eq!(
        (last["obligation"].as_str(), last["standing"].as_str()),
        (Some("sc-3-5"), Some("current"))
    );
    let order = [
        "not_met",
        "overdue",
        "never_attested",
        "due_soon",
        "current",
    ];
    let pos = |s: &str| order.iter().position(|o| *o == s).unwrap();
    assert!(rows.windows(2).all(
        |w| pos(w[0]["standing"].as_str().unwrap()) <= pos(w[1]["standing"].as_str().unwrap())
    ));
    // The table says the same.
    let (code, out, _) = run(
        &store,
        &["recipient", "status", "--map", MAP, "--as-of", "2026-12-01"],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("not_met") && out.contains("overdue") && out.contains("as of 2026-12-01"),
        "{out}"
    );
    let (code, _, err) = run(
        &store,
        &["recipient", "status", "--map", MAP, "--as-of", "2026-02-30"],
    );
    assert_eq!(code, 2, "{err}");
}
