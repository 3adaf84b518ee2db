//! `outbound request` end to end on a SQLite store: the subject key is never
//! echoed nor stored, bad input stores nothing, a request is paused, extended,
//! forwarded and closed, and its due dates carry their articles.

use crate::common::{one_transfer_store, run_on_store as run};

const KEY: &str = "110101-19900101-1234";

fn nothing_stored(store: &std::path::Path) {
    let (code, out, _) = run(store, &["request", "list", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "[]", "nothing stored");
}

#[test]
fn a_request_is_opened_without_echoing_the_key_and_runs_its_course() {
    let dir = tempfile::tempdir().unwrap();
    let (_, store) = one_transfer_store(dir.path());

    // Bad input: nothing stored, the key never in a message.
    for (args, want) in [
        (vec!["--kind", "shred"], "unknown request kind `shred`"),
        (
            vec!["--kind", "delete", "--received-at", "2999-01-01T00:00:00Z"],
            "in the future",
        ),
        (
            vec!["--kind", "delete", "--regime", "XX"],
            "no rights-request deadline for regime `XX`",
        ),
    ] {
        let mut a = vec![
            "request",
            "open",
            "--subject-key",
            KEY,
            "--identity",
            "account_login",
        ];
        a.extend(args);
        let (code, out, err) = run(&store, &a);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{err}");
        assert!(
            !out.contains("1234") && !err.contains("1234"),
            "the key is not echoed"
        );
        nothing_stored(&store);
    }

    let (code, out, err) = run(
        &store,
        &[
            "request",
            "open",
            "--kind",
            "delete",
            "--kind",
            "access",
            "--subject-key",
            KEY,
            "--identity",
            "id_document_sighted",
            "--received-at",
            "2026-01-31T09:00:00Z",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "req-0001");
    assert!(!err.contains("1234"));

    let (code, out, _) = run(&store, &["request", "show", "req-0001", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kinds"], serde_json::json!(["access", "delete"]));
    assert!(v.get("subject").is_none(), "the keyed hash is not shown");
    let due: Vec<(String, String, String)> = v["due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["regime"].as_str().unwrap().into(),
                d["due"].as_str().unwrap().into(),
                d["citation"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        due,
        [
            ("EU".into(), "2026-02-28".into(), "GDPR Art. 12(3)".into()),
            (
                "CN".into(),
                "2026-03-02".into(),
                "GB/T 35273-2020 §8.7 a)".into()
            ),
        ],
        "31 January + one month = 28 February; + 30 days = 2 March"
    );

    let ok = |args: &[&str]| {
        let (code, out, err) = run(&store, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    ok(&[
        "request",
        "pause",
        "req-0001",
        "--reason",
        "awaiting documents",
        "--from",
        "2026-02-02T09:00:00Z",
    ]);
    let out = ok(&[
        "request",
        "resume",
        "req-0001",
        "--at",
        "2026-02-07T09:00:00Z",
    ]);
    assert!(
        out.contains("2026-03-05"),
        "28 February + 5 paused days: {out}"
    );
    let out = ok(&[
        "request",
        "extend",
        "req-0001",
        "--reason",
        "complex",
        "--at",
        "2026-02-20T00:00:00Z",
    ]);
    assert!(
        out.contains("2026-05-05") && out.contains("in_time"),
        "{out}"
    );

    // A huge reason (100 kB, as much as one argument may carry; the store's
    // tests give it 10 MB): refused, not echoed, nothing stored.
    let huge = "x".repeat(100_000);
    let (code, _, err) = run(&store, &["request", "pause", "req-0001", "--reason", &huge]);
    assert_eq!(code, 2);
    assert!(
        err.contains("longer than 500 characters") && err.len() < 500,
        "{}",
        err.len()
    );

    let out = ok(&["request", "forward", "req-0001"]);
    assert!(out.contains("to 0 recipient(s)"), "{out}");
    let (code, _, err) = run(
        &store,
        &[
            "request",
            "answer",
            "req-0001",
            "--recipient",
            "acme-us",
            "--outcome",
            "done",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no") || err.contains("not"), "{err}");
    let out = ok(&["request", "close", "req-0001"]);
    assert!(out.contains("[closed]"), "{out}");
    let out = ok(&["request", "list"]);
    assert!(out.contains("req-0001") && out.contains("closed"), "{out}");

    let (code, _, err) = run(&store, &["request", "show", "req-0009"]);
    assert_eq!(code, 2);
    assert!(err.contains("no rights request `req-0009`"), "{err}");
    let (code, out, _) = run(&store, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}");
    let bytes = std::fs::read(&store).unwrap();
    let raw = bytes.windows(8).any(|w| w == b"19900101");
    assert!(
        !raw,
        "the key is stored nowhere in the database, raw or normalised"
    );
}
