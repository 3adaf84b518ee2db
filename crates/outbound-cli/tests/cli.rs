//! End-to-end tests of the `outbound` binary: exit codes, diagnostics that
//! name file, line, column and field, the evaluate contract (docs/CONTRACTS.md
//! "Determination"), and snapshots of what a compliance officer reads.
//!
//! Exit codes (src/main.rs): 0 success, 1 findings, 2 unreadable input or usage
//! error. 101 would be a panic and is never acceptable.

use predicates::prelude::*;
use serde_json::Value;

use crate::common::{DESIGN_FACTS, outbound, outbound_in};

/// The starter map `outbound init` writes; the base the bad-input cases mutate.
const STARTER: &str = include_str!("../templates/starter.yaml");

// ---------------------------------------------------------------------------
// helpers

/// `text` with `from` replaced by `to`; fails if `from` does not occur exactly once.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` must occur exactly once in the base text"
    );
    text.replacen(from, to, 1)
}

/// 1-based line and column of the first occurrence of `needle`.
fn pos(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = at - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// One diagnostic as `validate` prints it to stderr:
/// `FILE:LINE:COL: error[CODE]: FIELD: MESSAGE` then `  help: HELP`.
#[derive(Debug, Clone)]
struct Diag {
    file: String,
    line: usize,
    col: usize,
    code: String,
    field: String,
    message: String,
    help: Option<String>,
}

fn parse_diags(stderr: &str) -> Vec<Diag> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some((loc, rest)) = l.split_once(": error[") else {
            continue;
        };
        let mut parts = loc.rsplitn(3, ':');
        let col = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let line = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let file = parts.next().unwrap_or("").to_string();
        let (code, rest) = rest.split_once("]: ").expect("code");
        let (field, message) = rest.split_once(": ").expect("field: message");
        let help = lines
            .get(i + 1)
            .and_then(|n| n.strip_prefix("  help: "))
            .map(String::from);
        out.push(Diag {
            file,
            line,
            col,
            code: code.into(),
            field: field.into(),
            message: message.into(),
            help,
        });
    }
    out
}

/// Runs `validate` on files written into a fresh temp dir (the map path is
/// `target` relative to that dir). Returns (exit code, stderr, diagnostics).
fn validate_files(files: &[(&str, &str)], target: &str) -> (i32, String, Vec<Diag>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = outbound_in(dir.path())
        .args(["validate", target])
        .output()
        .unwrap();
    let code = out.status.code().expect("exited, not killed");
    assert_ne!(code, 101, "panic: {}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let diags = parse_diags(&stderr);
    (code, stderr, diags)
}

fn validate_one(text: &str) -> (i32, String, Vec<Diag>) {
    validate_files(&[("map.yaml", text)], "map.yaml")
}

/// Runs `validate` on `text` as `map.yaml` and checks it is found invalid
/// (exit 1). Returns (stderr, diagnostics).
#[track_caller]
fn validate_invalid(text: &str) -> (String, Vec<Diag>) {
    let (code, stderr, diags) = validate_one(text);
    assert_eq!(code, 1, "{stderr}");
    (stderr, diags)
}

/// Runs `validate` on `text`, checks it is found invalid, and returns the
/// diagnostic with this code and field.
#[track_caller]
fn diag_for(text: &str, code: &str, field: &str) -> Diag {
    let (stderr, diags) = validate_invalid(text);
    find(&diags, &stderr, code, field).clone()
}

/// The diagnostic with this code and field; fails with all of stderr otherwise.
fn find<'a>(diags: &'a [Diag], stderr: &str, code: &str, field: &str) -> &'a Diag {
    diags
        .iter()
        .find(|d| d.code == code && d.field == field)
        .unwrap_or_else(|| panic!("no {code} diagnostic for `{field}` in:\n{stderr}"))
}

/// Checks file, line, a real column, and a non-empty help line.
fn assert_at(d: &Diag, file: &str, line: usize) {
    assert_eq!(d.file, file, "{d:?}");
    assert_eq!(d.line, line, "{d:?}");
    assert!(d.col >= 1, "column missing: {d:?}");
    let help = d.help.as_deref().unwrap_or("");
    assert!(!help.trim().is_empty(), "no help line: {d:?}");
}

/// Checks `d` is at the line and column of `needle` in `text` (as `map.yaml`), with a help line.
#[track_caller]
fn assert_exactly_at(d: &Diag, text: &str, needle: &str) {
    let (line, col) = pos(text, needle);
    assert_at(d, "map.yaml", line);
    assert_eq!(d.col, col, "{d:?}");
}

/// Runs `cmd`, checks it exits 0 (else fails with its stderr), and returns its stdout.
#[track_caller]
fn stdout_ok(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `cmd`, checks it exits 0, and parses its stdout as JSON.
#[track_caller]
fn json_of(cmd: &mut assert_cmd::Command) -> Value {
    serde_json::from_str(&stdout_ok(cmd)).expect("stdout is JSON")
}

// ---------------------------------------------------------------------------
// validate / init on good input

#[test]
fn validate_example_is_valid() {
    outbound()
        .args(["validate", "examples/lumen"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("ok: 6 file(s), 5 exporters"))
        .stderr(predicate::str::is_empty());
}

#[test]
fn init_then_validate_and_assess() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("newmap");
    outbound()
        .arg("init")
        .arg(&dir)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("datamap.yaml"));
    assert!(dir.join("datamap.yaml").is_file());
    assert!(
        !dir.join(".datamap.yaml.tmp").exists(),
        "temporary file left behind"
    );
    outbound().arg("validate").arg(&dir).assert().code(0);
    outbound()
        .arg("assess")
        .arg(&dir)
        .args(["--as-of", "2026-11-23"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("crm-to-parent"));
}

#[test]
fn init_refuses_a_non_empty_dir() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    outbound()
        .arg("init")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
        "mine"
    );
    assert!(!tmp.path().join("datamap.yaml").exists());
}

#[test]
fn starter_is_what_init_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    outbound().arg("init").arg(&dir).assert().code(0);
    assert_eq!(
        std::fs::read_to_string(dir.join("datamap.yaml")).unwrap(),
        STARTER
    );
    let (code, stderr, _) = validate_one(STARTER);
    assert_eq!(code, 0, "{stderr}");
}

// ---------------------------------------------------------------------------
// validate on bad input: each names file, line, column, field, and says how to fix

#[test]
fn unknown_reference_with_did_you_mean() {
    let text = replace_once(STARTER, "recipient: parent-us", "recipient: parent-su");
    let (stderr, diags) = validate_invalid(&text);
    let d = find(
        &diags,
        &stderr,
        "unknown_reference",
        "transfer crm-to-parent.recipient",
    );
    // Reported at the line of the reference itself.
    assert_at(d, "map.yaml", pos(&text, "recipient: parent-su").0);
    assert!(d.message.contains("`parent-su`"), "{d:?}");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("did you mean `parent-us`"),
        "{d:?}"
    );
    assert_eq!(diags.len(), 1, "{stderr}");
}

#[test]
fn unknown_category_with_suggestion() {
    let text = replace_once(STARTER, "category: contact.phone", "category: contact.phon");
    let d = &diag_for(
        &text,
        "unknown_category",
        "dataset customers.fields.mobile.category",
    );
    assert_at(d, "map.yaml", pos(&text, "{name: mobile").0);
    assert!(d.message.contains("`contact.phon`"), "{d:?}");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("did you mean `contact.phone`"),
        "{d:?}"
    );
}

#[test]
fn missing_required_field() {
    let text = replace_once(STARTER, "    purpose: group customer service\n", "");
    let d = &diag_for(&text, "missing_field", "transfers[0].purpose");
    assert_at(d, "map.yaml", pos(&text, "- id: crm-to-parent").0);
    assert!(d.message.contains("`purpose`"), "{d:?}");
    assert!(d.help.as_deref().unwrap().contains("purpose:"), "{d:?}");
}

#[test]
fn wrong_type_list_for_a_number() {
    let text = replace_once(
        STARTER,
        "individuals_per_year: 20000",
        "individuals_per_year: [20000, 30000]",
    );
    let d = &diag_for(&text, "wrong_type", "transfers[0].individuals_per_year");
    assert_exactly_at(d, &text, "[20000, 30000]");
    assert!(d.message.contains("a list"), "{d:?}");
}

#[test]
fn duplicate_ids_across_two_files() {
    let second = "\
recipients:
  - id: parent-us
    name: Another Example Inc.
    country: SG
    role: processor
    contact: privacy@example.sg
";
    let (code, stderr, diags) =
        validate_files(&[("map/a.yaml", STARTER), ("map/b.yaml", second)], "map");
    assert_eq!(code, 1, "{stderr}");
    let d = find(&diags, &stderr, "duplicate_id", "recipient.id");
    assert_at(d, "map/b.yaml", 2);
    let first_line = pos(STARTER, "- id: parent-us").0;
    assert!(
        d.message.contains("`parent-us`")
            && d.message.contains(&format!("map/a.yaml:{first_line}:")),
        "the message points at the first definition: {d:?}"
    );
    assert!(stderr.contains("in 2 file(s)"), "{stderr}");
}

fn with_pipia(completed: &str) -> String {
    replace_once(
        STARTER,
        "    # pipia: {completed: 2026-02-15}",
        &format!("    pipia: {{completed: {completed}}}"),
    )
}

#[test]
fn date_in_the_wrong_format() {
    let text = with_pipia("2026/03/01");
    let d = &diag_for(&text, "invalid_value", "transfers[0].pipia.completed");
    assert_exactly_at(d, &text, "2026/03/01");
    assert!(d.message.contains("YYYY-MM-DD"), "{d:?}");
}

#[test]
fn impossible_date() {
    let text = with_pipia("2026-02-30");
    let d = &diag_for(&text, "invalid_value", "transfers[0].pipia.completed");
    assert_exactly_at(d, &text, "2026-02-30");
    assert!(d.message.contains("not a real calendar date"), "{d:?}");
}

#[test]
fn negative_count() {
    let text = replace_once(
        STARTER,
        "individuals_per_year: 20000",
        "individuals_per_year: -20000",
    );
    let d = &diag_for(&text, "invalid_value", "transfers[0].individuals_per_year");
    assert_exactly_at(d, &text, "-20000");
    assert!(d.message.contains("negative"), "{d:?}");
}

#[test]
fn country_codes_that_are_not_iso_alpha2() {
    let text = replace_once(STARTER, "    country: US\n", "    country: UK\n");
    let text = replace_once(&text, "storage: {country: US}", "storage: {country: XX}");
    let (stderr, diags) = validate_invalid(&text);
    let uk = find(&diags, &stderr, "invalid_value", "recipients[0].country");
    let (line, col) = pos(&text, "country: UK");
    assert_at(uk, "map.yaml", line);
    assert_eq!(uk.col, col + "country: ".len(), "{uk:?}");
    assert!(uk.message.contains("`UK`") && uk.message.contains("ISO 3166-1 alpha-2"));
    let xx = find(
        &diags,
        &stderr,
        "invalid_value",
        "transfers[0].storage.country",
    );
    assert_at(xx, "map.yaml", pos(&text, "{country: XX}").0);
    assert!(xx.message.contains("`XX`"), "{xx:?}");
}

#[test]
fn lowercase_country_gets_capitals_hint() {
    let text = replace_once(STARTER, "    country: US\n", "    country: us\n");
    let d = &diag_for(&text, "invalid_value", "recipients[0].country");
    assert!(d.help.as_deref().unwrap().contains("`US`"), "{d:?}");
}

#[test]
fn unknown_field_typo() {
    let text = replace_once(
        STARTER,
        "    recipient: parent-us\n",
        "    recipent: parent-us\n",
    );
    let (stderr, diags) = validate_invalid(&text);
    let d = find(&diags, &stderr, "unknown_field", "transfers[0].recipent");
    assert_exactly_at(d, &text, "recipent:");
    assert!(d.message.contains("`recipent`"), "{d:?}");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("did you mean `recipient`"),
        "{d:?}"
    );
    // And the real field is then missing.
    find(&diags, &stderr, "missing_field", "transfers[0].recipient");
}

#[test]
fn malformed_yaml_bad_indentation() {
    let text = replace_once(STARTER, "    name: CRM\n", "     name: CRM\n");
    let d = &diag_for(&text, "syntax", "(file)");
    // The scanner notices at the bad line or the one after it.
    let bad = pos(&text, "     name: CRM").0;
    assert_eq!(d.file, "map.yaml");
    assert!(d.line == bad || d.line == bad + 1, "{d:?} (bad line {bad})");
    assert!(d.col >= 1);
    assert!(d.help.as_deref().unwrap().contains("indentation"), "{d:?}");
}

#[test]
fn malformed_yaml_unclosed_quote() {
    let text = replace_once(STARTER, "name: CRM\n", "name: \"CRM\n");
    let d = &diag_for(&text, "syntax", "(file)");
    assert_eq!(d.file, "map.yaml");
    assert!(d.line >= pos(&text, "\"CRM").0, "{d:?}");
    assert!(d.col >= 1);
    assert!(d.message.contains("quoted scalar"), "{d:?}");
    assert!(d.help.is_some());
}

#[test]
fn syntax_error_in_one_file_does_not_hide_the_others() {
    let bad = "recipients:\n  - id: \"x\n";
    let typo = replace_once(
        STARTER,
        "    recipient: parent-us\n",
        "    recipent: parent-us\n",
    );
    let (code, stderr, diags) = validate_files(&[("m/a.yaml", &typo), ("m/b.yaml", bad)], "m");
    assert_eq!(code, 1, "{stderr}");
    find(&diags, &stderr, "syntax", "(file)");
    find(&diags, &stderr, "unknown_field", "transfers[0].recipent");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let text = replace_once(STARTER, "    country: US\n", "    country: UK\n");
    let text = replace_once(&text, "category: contact.phone", "category: contact.phon");
    let text = replace_once(&text, "    ciio: false", "    ciio: maybe");
    let text = replace_once(
        &text,
        "    individuals_processed: 250000",
        "    individuals_processed: -1",
    );
    let text = replace_once(&text, "    method: api ", "    methd: api ");
    let text = replace_once(
        &text,
        "    # pipia: {completed: 2026-02-15}",
        "    pipia: {completed: 2026-02-30}",
    );
    let (stderr, diags) = validate_invalid(&text);
    let expected = [
        ("invalid_value", "recipients[0].country"),
        (
            "unknown_category",
            "dataset customers.fields.mobile.category",
        ),
        ("wrong_type", "exporters[0].ciio"),
        ("invalid_value", "exporters[0].individuals_processed"),
        ("unknown_field", "transfers[0].methd"),
        ("missing_field", "transfers[0].method"),
        ("invalid_value", "transfers[0].pipia.completed"),
    ];
    for (code, field) in expected {
        let d = find(&diags, &stderr, code, field);
        assert_eq!(d.file, "map.yaml");
        assert!(d.line >= 1 && d.col >= 1, "{d:?}");
        assert!(d.help.is_some(), "{d:?}");
    }
    assert!(
        stderr.contains(&format!("{} problem(s) in 1 file(s)", diags.len())),
        "{stderr}"
    );
    assert!(diags.len() >= expected.len());
}

#[test]
fn missing_path_exits_2() {
    outbound()
        .args(["validate", "does/not/exist"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does/not/exist"));
    let empty = tempfile::tempdir().unwrap();
    outbound()
        .arg("validate")
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no .yaml or .yml files"));
}

#[test]
fn validate_json_output() {
    let text = replace_once(STARTER, "recipient: parent-us", "recipient: parent-su");
    let text = replace_once(&text, "    country: US\n", "    country: XX\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("map.yaml"), &text).unwrap();
    let out = outbound_in(dir.path())
        .args(["validate", "map.yaml", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(v["valid"], Value::Bool(false));
    assert_eq!(
        v["content_sha256"],
        Value::Null,
        "no digest of an invalid map"
    );
    assert_eq!(v["files"], serde_json::json!(["map.yaml"]));
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty());
    for d in diags {
        assert_eq!(d["loc"]["file"], "map.yaml");
        assert!(d["loc"]["line"].as_u64().unwrap() >= 1, "{d}");
        assert!(d["loc"]["column"].as_u64().unwrap() >= 1, "{d}");
        for k in ["field", "code", "message", "help"] {
            assert!(d[k].as_str().is_some_and(|s| !s.is_empty()), "{k} in {d}");
        }
    }
    assert!(
        diags
            .iter()
            .any(|d| d["code"] == "invalid_value" && d["field"] == "recipients[0].country")
    );

    let v = json_of(outbound().args(["validate", "examples/lumen", "--format", "json"]));
    assert_eq!(v["valid"], Value::Bool(true));
    assert_eq!(v["diagnostics"], serde_json::json!([]));
    // The digest the gate's audit entries record, in both formats.
    let digest = v["content_sha256"].as_str().unwrap();
    assert_eq!(digest.len(), 64, "{digest}");
    let table = stdout_ok(outbound().args(["validate", "examples/lumen"]));
    assert!(
        table.contains(&format!("content SHA-256: {digest}")),
        "{table}"
    );
}

// ---------------------------------------------------------------------------
// evaluate: the determination contract

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

fn check_design_determination(v: &Value) {
    assert_eq!(keys(v), ["conflicts", "determinations", "transfer"]);
    assert_eq!(
        v["conflicts"],
        serde_json::json!([]),
        "one regime, no conflict"
    );
    assert_eq!(v["transfer"], "crm-sync");
    let dets = v["determinations"].as_array().unwrap();
    assert_eq!(dets.len(), 1, "only China judges a CN exporter: {v}");
    let d = &dets[0];
    assert_eq!(
        keys(d),
        [
            "instrument",
            "mechanism",
            "obligations",
            "reasons",
            "regime",
            "satisfied"
        ]
    );
    assert_eq!(d["regime"], "CN");
    assert_eq!(
        d["instrument"],
        "Provisions on Promoting and Regulating Cross-Border Data Flows (2024)"
    );
    assert_eq!(d["mechanism"], "standard_contract_or_certification");
    assert_eq!(d["satisfied"], Value::Bool(true));
    let obligations = d["obligations"].as_array().unwrap();
    for o in obligations {
        // Every obligation has id, label, citation, due and text, in both
        // languages, and its citation provision by provision (docs/CONTRACTS.md).
        assert_eq!(
            keys(o),
            [
                "citation",
                "citation_zh",
                "cites",
                "due",
                "id",
                "label",
                "label_zh",
                "text",
                "text_zh"
            ],
            "{o}"
        );
        assert!(o["id"].is_string() && o["citation"].is_string());
        assert!(o["due"].is_null() || o["due"].is_string());
    }
    let consent = obligations
        .iter()
        .find(|o| o["id"] == "separate_consent")
        .expect("separate consent: consent is assumed when necessity is none");
    assert_eq!(consent["citation"], "PIPL Art. 39");
    assert_eq!(consent["due"], Value::Null);
    let reasons = d["reasons"].as_array().unwrap();
    assert!(!reasons.is_empty());
    for r in reasons {
        assert_eq!(
            keys(r),
            ["citation", "citation_zh", "cites", "id", "text", "text_zh"],
            "{r}"
        );
        assert!(!r["text"].as_str().unwrap().is_empty());
        assert!(!r["citation"].as_str().unwrap().is_empty());
    }
    assert!(reasons.iter().any(|r| r["citation"] == "Provisions Art. 8"));
}

#[test]
fn evaluate_design_example_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("facts.json");
    std::fs::write(&f, DESIGN_FACTS).unwrap();
    let v = json_of(
        outbound()
            .args(["evaluate", "--format", "json", "--facts"])
            .arg(&f),
    );
    check_design_determination(&v);
}

#[test]
fn evaluate_design_example_from_stdin() {
    let v = json_of(
        outbound()
            .args(["evaluate", "--facts", "-", "--format", "json"])
            .write_stdin(DESIGN_FACTS),
    );
    check_design_determination(&v);
}

#[test]
fn evaluate_table_output() {
    outbound()
        .args(["evaluate", "--facts", "-"])
        .write_stdin(DESIGN_FACTS)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "transfer crm-sync as of 2026-11-23",
        ))
        .stdout(predicate::str::contains(
            "CN · route: standard_contract_or_certification · in place",
        ));
}

/// Runs evaluate on a facts file named `facts.json` in a temp dir (cwd); returns (code, stderr).
fn evaluate_bad(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("facts.json"), text).unwrap();
    let out = outbound_in(dir.path())
        .args(["evaluate", "--facts", "facts.json", "--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().expect("exited");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_ne!(code, 101, "panic: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty(), "no half result on stdout");
    (code, stderr)
}

/// `error: facts.json:LINE:COL: FIELD: MESSAGE` → (line, col, field, message).
fn facts_error(stderr: &str) -> (usize, usize, String, String) {
    let rest = stderr
        .trim_end()
        .strip_prefix("error: facts.json:")
        .unwrap_or_else(|| panic!("error does not name the file: {stderr}"));
    let mut it = rest.splitn(4, ':');
    let line = it.next().unwrap().parse().expect("line");
    let col = it.next().unwrap().parse().expect("column");
    let field = it.next().unwrap().trim().to_string();
    let message = it.next().unwrap_or("").trim().to_string();
    (line, col, field, message)
}

#[test]
fn bad_facts_unknown_field() {
    let text = replace_once(
        DESIGN_FACTS,
        "\"ciio\": false,",
        "\"ciio\": false, \"cio\": 1,",
    );
    let (code, stderr) = evaluate_bad(&text);
    assert_eq!(code, 2, "{stderr}");
    let (line, col, field, message) = facts_error(&stderr);
    assert_eq!(line, pos(&text, "\"cio\"").0, "{stderr}");
    assert!(col >= 1);
    assert_eq!(field, "exporter.cio", "{stderr}");
    assert!(message.contains("unknown field `cio`"), "{stderr}");
}

#[test]
fn bad_facts_missing_required_field() {
    let text = replace_once(DESIGN_FACTS, "    \"important_data\": false,\n", "");
    let (code, stderr) = evaluate_bad(&text);
    assert_eq!(code, 2, "{stderr}");
    let (line, _, field, message) = facts_error(&stderr);
    let start = pos(&text, "\"transfer\"").0;
    let end = pos(&text, "\"cumulative\"").0;
    assert!(
        (start..end).contains(&line),
        "line {line} not in transfer: {stderr}"
    );
    assert!(
        field == "transfer" || field == "transfer.important_data",
        "{stderr}"
    );
    assert!(message.contains("important_data"), "{stderr}");
}

#[test]
fn bad_facts_negative_count() {
    let text = replace_once(
        DESIGN_FACTS,
        "\"individuals\": 50000",
        "\"individuals\": -50000",
    );
    let (code, stderr) = evaluate_bad(&text);
    assert_eq!(code, 2, "{stderr}");
    let (line, _, field, message) = facts_error(&stderr);
    assert_eq!(line, pos(&text, "-50000").0, "{stderr}");
    assert_eq!(field, "transfer.individuals", "{stderr}");
    assert!(message.contains("negative"), "{stderr}");
}

#[test]
fn bad_facts_impossible_date() {
    let text = replace_once(DESIGN_FACTS, "2026-11-23", "2026-02-30");
    let (code, stderr) = evaluate_bad(&text);
    assert_eq!(code, 2, "{stderr}");
    let (line, _, field, _) = facts_error(&stderr);
    assert_eq!(line, pos(&text, "2026-02-30").0, "{stderr}");
    assert_eq!(field, "as_of", "{stderr}");
}

#[test]
fn bad_facts_unknown_country() {
    let text = replace_once(
        DESIGN_FACTS,
        "\"recipient_country\": \"US\"",
        "\"recipient_country\": \"XX\"",
    );
    let (code, stderr) = evaluate_bad(&text);
    assert_eq!(code, 2, "{stderr}");
    let (line, _, field, message) = facts_error(&stderr);
    assert_eq!(line, pos(&text, "\"XX\"").0, "{stderr}");
    assert_eq!(field, "transfer.recipient_country", "{stderr}");
    assert!(message.contains("`XX`"), "{stderr}");

    let text = replace_once(DESIGN_FACTS, "\"country\": \"CN\"", "\"country\": \"UK\"");
    let (code, stderr) = evaluate_bad(&text);
    assert_eq!(code, 2, "{stderr}");
    let (line, _, field, _) = facts_error(&stderr);
    assert_eq!(line, pos(&text, "\"UK\"").0, "{stderr}");
    assert_eq!(field, "exporter.country", "{stderr}");
}

#[test]
fn bad_facts_malformed_json() {
    // Truncated.
    let text = &DESIGN_FACTS[..200];
    let (code, stderr) = evaluate_bad(text);
    assert_eq!(code, 2, "{stderr}");
    let (line, _, field, _) = facts_error(&stderr);
    assert!(line >= 1, "{stderr}");
    assert!(field.starts_with("transfer"), "{stderr}");
    // A stray comma.
    let text = replace_once(DESIGN_FACTS, "\"ciio\": false,", "\"ciio\": false,,");
    let (code, stderr) = evaluate_bad(&text);
    assert_eq!(code, 2, "{stderr}");
    let (line, _, field, _) = facts_error(&stderr);
    assert_eq!(line, pos(&text, ",,").0, "{stderr}");
    assert!(field.starts_with("exporter"), "{stderr}");
    // Not JSON at all, and empty input.
    for text in ["exporter: acme\n", "", "[]", "null"] {
        let (code, stderr) = evaluate_bad(text);
        assert_eq!(code, 2, "{text:?}: {stderr}");
        assert!(stderr.starts_with("error: facts.json:"), "{stderr}");
    }
}

#[test]
fn bad_facts_on_stdin_are_named_stdin() {
    outbound()
        .args(["evaluate", "--facts", "-"])
        .write_stdin("{\"as_of\": \"2026-02-30\"}")
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: <stdin>:1:"))
        .stderr(predicate::str::contains("as_of"));
}

#[test]
fn evaluate_missing_file_exits_2() {
    outbound()
        .args(["evaluate", "--facts", "no-such-facts.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-facts.json"));
}

// ---------------------------------------------------------------------------
// rules, schema, demo

#[test]
fn rules_commands() {
    outbound()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("CN"))
        .stdout(predicate::str::contains("EU"));
    outbound()
        .args(["rules", "--taxonomy"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("contact.phone"));
    outbound()
        .args(["rules", "--taxonomy", "--format", "markdown"])
        .assert()
        .code(0);
    let v = json_of(outbound().args(["rules", "--format", "json"]));
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"CN") && ids.contains(&"EU"), "{ids:?}");
    let v = json_of(outbound().args(["rules", "--taxonomy", "--format", "json"]));
    assert!(!v.as_array().unwrap().is_empty());
}

#[test]
fn schema_is_json_with_transfers() {
    let v = json_of(outbound().arg("schema"));
    assert!(v["properties"]["transfers"].is_object(), "{v}");
    assert!(v["properties"]["exporters"].is_object());
}

#[test]
fn demo_runs() {
    outbound()
        .args(["demo", "--as-of", "2026-11-23"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Outbound demo: Lumen Group"));
    // From anywhere: the example is embedded.
    let tmp = tempfile::tempdir().unwrap();
    outbound_in(tmp.path())
        .args(["demo", "--as-of", "2026-11-23", "--format", "json"])
        .assert()
        .code(0);
}

#[test]
fn bad_as_of_is_a_usage_error() {
    outbound()
        .args(["assess", "examples/lumen", "--as-of", "2026-02-30"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2026-02-30"));
}

#[test]
fn assess_unknown_transfer_and_strict() {
    outbound()
        .args([
            "assess",
            "examples/lumen",
            "--as-of",
            "2026-11-23",
            "--transfer",
            "nope",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope"));
    // driver-faces and eu-to-shanghai lack the route required.
    outbound()
        .args([
            "assess",
            "examples/lumen",
            "--as-of",
            "2026-11-23",
            "--strict",
        ])
        .assert()
        .code(1);
    outbound()
        .args([
            "assess",
            "examples/lumen",
            "--as-of",
            "2026-11-23",
            "--strict",
            "--transfer",
            "crm-to-parent",
        ])
        .assert()
        .code(0);
}

#[test]
fn assess_refuses_an_invalid_map() {
    let dir = tempfile::tempdir().unwrap();
    let text = replace_once(STARTER, "recipient: parent-us", "recipient: parent-su");
    std::fs::write(dir.path().join("map.yaml"), text).unwrap();
    outbound_in(dir.path())
        .args(["assess", "map.yaml", "--as-of", "2026-11-23"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("map.yaml:"));
}

// ---------------------------------------------------------------------------
// snapshots

fn stdout_of(args: &[&str]) -> String {
    stdout_ok(outbound().args(args))
}

#[test]
fn snapshot_assess_table() {
    let s = stdout_of(&["assess", "examples/lumen", "--as-of", "2026-11-23"]);
    assert!(
        s.contains("[examples/lumen/30-transfers-cn.yaml:"),
        "relative paths"
    );
    insta::assert_snapshot!("assess_lumen_table", s);
}

#[test]
fn snapshot_assess_markdown() {
    let s = stdout_of(&[
        "assess",
        "examples/lumen",
        "--as-of",
        "2026-11-23",
        "--format",
        "markdown",
    ]);
    insta::assert_snapshot!("assess_lumen_markdown", s);
}

#[test]
fn snapshot_assess_json() {
    let s = stdout_of(&[
        "assess",
        "examples/lumen",
        "--as-of",
        "2026-11-23",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&s).expect("valid JSON");
    assert_eq!(v["as_of"], "2026-11-23");
    assert_eq!(v["transfers"].as_array().unwrap().len(), 15);
    insta::assert_snapshot!("assess_lumen_json", s);
}

#[test]
fn snapshot_demo() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let s = stdout_of(&[
        "demo",
        "--as-of",
        "2026-11-23",
        "--dir",
        demo_dir.to_str().unwrap(),
    ]);
    // The demo's directory differs per run; everything else is deterministic.
    let s = s.replace(demo_dir.to_str().unwrap(), "<DEMO_DIR>");
    insta::assert_snapshot!("demo_table", s);
}

/// `--suggest` with `--format json`: one JSON document, the suggested block
/// inside it, names from the data quoted so that YAML reads them back.
#[test]
fn suggest_in_json_stays_one_json_document() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.csv");
    std::fs::write(&p, "\"id\nno\",mobile\n11010519491231002X,13800138000\n").unwrap();
    let v = json_of(
        outbound()
            .arg("scan")
            .arg(&p)
            .args(["--suggest", "--format", "json"]),
    );
    let block = v["suggestion"].as_str().expect("a suggestion");
    assert!(block.starts_with("    fields:\n"), "{block}");
    assert!(
        block.contains("{name: \"id\\nno\", category: identity.national_id"),
        "{block}"
    );
    assert!(
        block.contains("{name: mobile, category: contact.phone"),
        "{block}"
    );
}

/// Order numbers a few of which pass Luhn: the table marks those cards
/// "(by chance)", and `--suggest` declares the column with `not_kinds`.
#[test]
fn order_numbers_are_cards_by_chance_in_the_table_and_the_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("o.csv");
    let mut csv = String::from("order_no\n");
    for o in outbound_scan::corpus::order_numbers(400, 42) {
        csv.push_str(&o);
        csv.push('\n');
    }
    std::fs::write(&p, csv).unwrap();
    let out = stdout_ok(outbound().arg("scan").arg(&p).arg("--suggest"));
    assert!(out.contains("(by chance)"), "{out}");
    assert!(
        out.contains(
            "{name: order_no, category: operational, subject: customer, not_kinds: [bank_card]}"
        ),
        "{out}"
    );
}

/// `scan --map` reads the map before the data: its fields' `not_kinds`
/// set matches aside as the gate does (user numbers count nobody, order
/// numbers make nobody sensitive); without them the same file has
/// findings; a map that does not load, or a dataset it lacks, stops the
/// run before any table.
#[test]
fn scan_with_a_map_sets_its_not_kinds_aside() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("email,user_no,order_no\n");
    let users = outbound_scan::corpus::user_numbers(400, 42);
    for (i, (u, o)) in users
        .iter()
        .zip(outbound_scan::corpus::order_numbers(400, 43))
        .enumerate()
    {
        csv.push_str(&format!("user{}@example.com,{u},{o}\n", i % 20));
    }
    let data = dir.path().join("u.csv");
    std::fs::write(&data, &csv).unwrap();
    let map = |user_no: &str, order_no: &str| {
        format!(
            "version: 1\n\
             exporters: [{{id: e, name: E, country: CN, ciio: false, individuals_processed: 1}}]\n\
             systems: [{{id: s, name: S, exporter: e, owner: {{type: person, name: O}}}}]\n\
             datasets:\n  - id: d\n    name: D\n    system: s\n    fields:\n\
             \x20     - {{name: email, category: contact.email, subject: customer}}\n\
             \x20     - {{name: user_no, category: operational, subject: customer{user_no}}}\n\
             \x20     - {{name: order_no, category: operational, subject: customer{order_no}}}\n"
        )
    };
    let declared = dir.path().join("declared.yaml");
    std::fs::write(
        &declared,
        map(", not_kinds: [cn_mobile]", ", not_kinds: [bank_card]"),
    )
    .unwrap();
    let scan = |m: &std::path::Path, dataset: &str| {
        let mut c = outbound();
        c.arg("scan")
            .arg(&data)
            .arg("--map")
            .arg(m)
            .args(["--dataset", dataset]);
        c.output().unwrap()
    };
    let out = scan(&declared, "d");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("set aside by the map"), "{text}");
    assert!(
        text.contains("individuals (by email): 20 distinct, 0 with sensitive PI"),
        "{text}"
    );
    for u in &users {
        assert!(!text.contains(u.as_str()), "a user number is printed");
    }
    assert!(!text.contains("look like chance"), "{text}");
    // Without the map: counted by the chance "mobiles", and told so.
    let text = stdout_ok(outbound().arg("scan").arg(&data));
    assert!(text.contains("individuals (by cn_mobile)"), "{text}");
    assert!(
        text.contains("look like chance (user_no: cn_mobile; order_no: bank_card)"),
        "{text}"
    );
    let undeclared = dir.path().join("undeclared.yaml");
    std::fs::write(&undeclared, map("", "")).unwrap();
    let out = scan(&undeclared, "d");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("cn_mobile"), "{text}");
    assert!(!text.contains("set aside"), "{text}");
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, map(", not_kinds: [cn_mobil]", "")).unwrap();
    let out = scan(&broken, "d");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("cn_mobil"));
    let out = scan(&declared, "nope");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no dataset `nope`"));
}

/// The table shows names from the data with their control characters
/// escaped: an escape code in a header does not reach the terminal.
#[test]
fn scan_table_escapes_control_characters_in_names() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("e.csv");
    std::fs::write(&p, "\"\x1b[31mred\",\"a\nb\"\n11010519491231002X,x\n").unwrap();
    let out = stdout_ok(outbound().arg("scan").arg(&p));
    assert!(!out.contains('\x1b'), "{out:?}");
    assert!(out.contains("\\u{1b}[31mred"), "{out}");
    assert!(out.contains("a\\nb"), "{out}");
}
