//! The `outbound report` command end to end: every document written, bad input
//! writes nothing, re-filing triggers from a filed map.

/// Runs `outbound report ARGS` from the workspace root; returns the exit code.
fn run(args: &[&str]) -> u8 {
    let o = crate::common::outbound()
        .arg("report")
        .args(args)
        .output()
        .unwrap();
    o.status.code().unwrap_or(101) as u8
}

#[test]
fn writes_every_document_and_chart() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    assert_eq!(
        run(&[
            "all",
            "--map",
            "examples/lumen",
            "--as-of",
            "2026-11-23",
            "--out",
            o
        ]),
        0
    );
    let names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for n in [
        "summary.en.md",
        "pipia-crm-to-parent.zh.md",
        "annex-analytics-eu.zh.md",
        "filing-analytics-eu.zh.md",
        "ropa-lumen-europe.en.md",
        "tia-eu-to-parent.en.md",
        "summary-lumen-commerce-individuals.svg",
    ] {
        assert!(names.contains(&n.to_string()), "{n} not in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.contains(".tmp-")),
        "temporary files left: {names:?}"
    );
    assert_eq!(
        run(&[
            "filing",
            "--map",
            "examples/lumen",
            "--transfer",
            "crm-to-parent",
            "--as-of",
            "2026-11-23",
            "--format",
            "html",
            "--lang",
            "zh",
            "--out",
            o
        ]),
        0
    );
    let html = std::fs::read_to_string(out.path().join("filing-crm-to-parent.zh.html")).unwrap();
    assert!(html.contains("备案材料"));
}

#[test]
fn bad_input_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("r");
    let o = o.to_str().unwrap();
    assert_eq!(
        run(&[
            "pipia",
            "--map",
            "examples/lumen",
            "--transfer",
            "nope",
            "--out",
            o
        ]),
        2
    );
    assert_eq!(
        run(&[
            "annex",
            "--map",
            "examples/lumen",
            "--transfer",
            "card-payments",
            "--out",
            o
        ]),
        2
    );
    assert_eq!(run(&["summary", "--map", "does/not/exist", "--out", o]), 2);
    let bad = out.path().join("bad.yaml");
    std::fs::write(&bad, "version: 1\nexporters:\n  - id: x\n    country: CN\n").unwrap();
    assert_eq!(
        run(&["summary", "--map", bad.to_str().unwrap(), "--out", o]),
        1
    );
    assert!(!std::path::Path::new(o).exists(), "nothing written");
}

#[test]
fn refiling_triggers_from_the_filed_map() {
    let dir = tempfile::tempdir().unwrap();
    // The map as filed: analytics-eu before its purpose changed and a field was added.
    let filed = dir.path().join("filed");
    std::fs::create_dir_all(&filed).unwrap();
    for e in std::fs::read_dir(crate::common::root().join("examples/lumen")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let text = text
            .replace(
                "purpose: conversion analytics",
                "purpose: conversion reporting",
            )
            .replace(
                "fields: [orders.customer_id, orders.items, orders.device_id, orders.ip]",
                "fields: [orders.customer_id, orders.items]",
            )
            .replace("retention_abroad: 18 months", "retention_abroad: 12 months");
        std::fs::write(filed.join(p.file_name().unwrap()), text).unwrap();
    }
    let out = dir.path().join("out");
    assert_eq!(
        run(&[
            "filing",
            "--map",
            "examples/lumen",
            "--transfer",
            "analytics-eu",
            "--as-of",
            "2026-11-23",
            "--filed-map",
            filed.to_str().unwrap(),
            "--lang",
            "en",
            "--out",
            out.to_str().unwrap()
        ]),
        0
    );
    let md = std::fs::read_to_string(out.join("filing-analytics-eu.en.md")).unwrap();
    for t in [
        "change of purpose",
        "new categories of personal information",
        "longer retention abroad",
    ] {
        assert!(md.contains(t), "{t} missing:\n{md}");
    }
    assert!(
        md.contains("data map as filed:"),
        "the filed map is a cited source"
    );
}
