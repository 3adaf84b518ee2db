//! `outbound incident` end to end on a SQLite store: bad input stores
//! nothing, an incident starts its clocks and suspends its routes, a notice
//! meets a clock, the incident closes.

use crate::common::{one_transfer_store, run_on_store as run};

fn open_args<'a>(map: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "incident",
        "open",
        "--map",
        map,
        "--title",
        "Export file sent to the wrong bucket",
        "--severity",
        "relatively_major",
        "--discovered",
        "2026-11-23T08:00:00Z",
    ];
    a.extend_from_slice(extra);
    a
}

fn nothing_stored(store: &std::path::Path) {
    let (code, out, _) = run(store, &["incident", "list", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "[]", "nothing stored");
}

#[test]
fn bad_input_is_refused_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (map, store) = one_transfer_store(dir.path());
    let map = map.to_str().unwrap();

    let (code, _, err) = run(&store, &open_args(map, &["--transfer", "nope"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown transfer `nope`"), "{err}");
    nothing_stored(&store);

    let mut a = open_args(map, &["--transfer", "t"]);
    a[9] = "2999-01-01T00:00:00Z";
    let (code, _, err) = run(&store, &a);
    assert_eq!(code, 2);
    assert!(err.contains("in the future"), "{err}");
    nothing_stored(&store);

    let long = "x".repeat(201);
    let mut a = open_args(map, &["--transfer", "t"]);
    a[5] = &long;
    let (code, _, err) = run(&store, &a);
    assert_eq!(code, 2);
    assert!(err.contains("201 characters; at most 200"), "{err}");
    assert!(!err.contains(&long), "the title is not echoed");
    nothing_stored(&store);

    let mut a = open_args(map, &["--transfer", "t"]);
    a[7] = "severe";
    let (code, _, err) = run(&store, &a);
    assert_eq!(code, 2);
    assert!(err.contains("unknown severity `severe`"), "{err}");
    nothing_stored(&store);

    let (code, _, err) = run(&store, &["incident", "close", "inc-0001"]);
    assert_eq!(code, 2);
    assert!(err.contains("no incident `inc-0001`"), "{err}");
}

#[test]
fn an_incident_starts_its_clocks_suspends_its_routes_and_closes() {
    let dir = tempfile::tempdir().unwrap();
    let (map, store) = one_transfer_store(dir.path());
    let map = map.to_str().unwrap();

    let (code, out, err) = run(
        &store,
        &open_args(
            map,
            &[
                "--transfer",
                "t",
                "--individuals",
                "1200",
                "--suspend-routes",
            ],
        ),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("opened inc-0001"), "{out}");
    assert!(out.contains("suspended t"), "{out}");
    assert!(
        out.contains("cn-cac-4h") && out.contains("PIPL Art. 57"),
        "{out}"
    );

    let (_, out, _) = run(&store, &["route", "list"]);
    assert!(
        out.contains("SUSPENDED") && out.contains("incident inc-0001"),
        "{out}"
    );

    // The exporter is in China and no CIIO: PIPL Art. 57 and the 4-hour CAC clock.
    let (code, out, _) = run(&store, &["incident", "list", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let i = &v[0];
    assert_eq!(i["id"], "inc-0001");
    assert_eq!(i["regimes"], serde_json::json!(["CN"]));
    assert_eq!(i["individuals_affected"], 1200);
    let clock = |v: &serde_json::Value, id: &str| {
        v["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id} in {v}"))
    };
    let ids: Vec<&str> = i["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["cn-pipl57-authority", "cn-pipl57-individuals", "cn-cac-4h"]
    );
    assert_eq!(clock(i, "cn-cac-4h")["due"], "2026-11-23T12:00:00Z");
    assert_eq!(clock(i, "cn-pipl57-authority")["due"], "immediately");
    assert_eq!(clock(i, "cn-pipl57-authority")["state"], "running");

    // A clock the incident does not have is refused.
    let (code, _, err) = run(
        &store,
        &[
            "incident",
            "notice",
            "inc-0001",
            "--clock",
            "eu-gdpr33-authority",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("has no clock `eu-gdpr33-authority`"), "{err}");

    // Sent at the 4th hour exactly: met.
    let (code, out, err) = run(
        &store,
        &[
            "incident",
            "notice",
            "inc-0001",
            "--clock",
            "cn-cac-4h",
            "--at",
            "2026-11-23T12:00:00Z",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("cn-cac-4h met"), "{out}");
    let (code, out, err) = run(
        &store,
        &[
            "incident",
            "notice",
            "inc-0001",
            "--clock",
            "cn-pipl57-authority",
            "--at",
            "2026-11-23T08:30:00Z",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("met"), "{out}");

    let (code, out, _) = run(&store, &["incident", "show", "inc-0001"]);
    assert_eq!(code, 0);
    assert!(out.contains("met (2026-11-23T12:00:00Z)"), "{out}");

    let (code, out, err) = run(
        &store,
        &[
            "incident",
            "close",
            "inc-0001",
            "--measures",
            "bucket closed",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("closed inc-0001"), "{out}");
    let (code, _, err) = run(&store, &["incident", "close", "inc-0001"]);
    assert_eq!(code, 2);
    assert!(err.contains("already closed"), "{err}");

    // Every write was committed by the audit log.
    let (code, _, err) = run(&store, &["audit", "verify"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn drafts_of_the_notices_name_the_article_and_due_time_and_log_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (map, store) = one_transfer_store(dir.path());
    let map = map.to_str().unwrap();
    let (code, _, err) = run(&store, &open_args(map, &["--transfer", "t"]));
    assert_eq!(code, 0, "{err}");
    let before = log_entries(&store);

    // China is involved: Chinese by default, due times in Beijing time.
    let (code, out, err) = run(
        &store,
        &[
            "incident",
            "draft",
            "inc-0001",
            "--to",
            "authority",
            "--map",
            map,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("# 个人信息安全事件报告（草稿）"), "{out}");
    assert!(
        out.contains("《国家网络安全事件报告管理办法》第四条"),
        "{out}"
    );
    assert!(
        out.contains("**2026-11-23 20:00（北京时间）**"),
        "4 hours: {out}"
    );
    assert!(out.contains("【请填写"), "{out}");

    let (code, out, err) = run(
        &store,
        &[
            "incident",
            "draft",
            "inc-0001",
            "--to",
            "authority",
            "--lang",
            "en",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("CAC Incident Reporting Measures Art. 4"),
        "{out}"
    );
    assert!(out.contains("**2026-11-23 12:00 UTC**"), "{out}");
    assert!(
        out.contains("[TO FILL IN: not found in the data map]"),
        "without --map the transfer is a placeholder: {out}"
    );

    let html = dir.path().join("individuals.html");
    let (code, out, err) = run(
        &store,
        &[
            "incident",
            "draft",
            "inc-0001",
            "--to",
            "individuals",
            "--map",
            map,
            "--out",
            html.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote"), "{out}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<html lang=\"zh-CN\">"), "{page}");
    assert!(page.contains("《个人信息保护法》第五十七条"), "{page}");

    let (code, _, err) = run(
        &store,
        &["incident", "draft", "inc-0404", "--to", "authority"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no incident `inc-0404`"), "{err}");
    let (code, _, err) = run(&store, &["incident", "draft", "inc-0001", "--to", "press"]);
    assert_eq!(code, 2, "{err}");

    // Drafting writes nothing to the log, and the log never holds the title.
    let after = log_entries(&store);
    assert_eq!(before, after, "a draft is not a state change");
    assert!(!after.is_empty());
    for e in &after {
        assert!(!e.contains("wrong bucket"), "{e}");
    }
}

/// Every audit entry, as text (from the inclusion proofs, which carry it in hex).
fn log_entries(store: &std::path::Path) -> Vec<String> {
    let (code, out, err) = run(store, &["audit", "checkpoint"]);
    assert_eq!(code, 0, "{err}");
    let size: usize = out.lines().nth(1).unwrap().parse().unwrap();
    (0..size)
        .map(|n| {
            let (code, out, err) = run(store, &["audit", "prove", &n.to_string()]);
            assert_eq!(code, 0, "{err}");
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            let hex = v["entry"].as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            String::from_utf8(bytes).unwrap()
        })
        .collect()
}
