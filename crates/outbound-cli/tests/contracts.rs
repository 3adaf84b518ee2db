//! docs/CONTRACTS.md is what the code does: every block marked
//! `<!-- contract: NAME -->` is checked against the binary's real output, so
//! the page other tools rely on cannot drift from the behaviour.

use serde_json::Value;

use crate::common::{DESIGN_FACTS, outbound, outbound_in, root};

/// The generator's rows and seed behind the page's CSV.
const SCAN_ROWS: usize = 4;
const SCAN_SEED: u64 = 7;

/// The fenced block right after `<!-- contract: NAME` (the marker may carry
/// more words after the name, such as the file name of an input).
fn block(name: &str) -> String {
    let doc = std::fs::read_to_string(root().join("docs/CONTRACTS.md")).unwrap();
    let marker = format!("<!-- contract: {name}");
    let (at, _) = doc
        .match_indices(&marker)
        .find(|(i, _)| {
            let rest = &doc[i + marker.len()..];
            rest.starts_with(' ') || rest.starts_with("-->")
        })
        .unwrap_or_else(|| panic!("docs/CONTRACTS.md has no block `{name}`"));
    let after = &doc[at..];
    let marker_end = after.find("-->").expect("the marker closes") + 3;
    let between = &after[marker_end..];
    let open = between
        .find("```")
        .expect("a fenced block after the marker");
    assert!(
        between[..open].trim().is_empty(),
        "block `{name}`: the fence must follow its marker"
    );
    let body = &between[open..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").expect("a closing fence")].to_string()
}

fn json(text: &str, what: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what} is not JSON: {e}"))
}

fn stdout_json(out: std::process::Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&String::from_utf8(out.stdout).unwrap(), what)
}

#[test]
fn documented_facts_are_the_example_file_and_parse() {
    let documented = json(&block("facts"), "the documented facts");
    assert_eq!(
        documented,
        json(DESIGN_FACTS, "examples/facts/design-example.json")
    );
    let facts: outbound_rules::Facts = serde_json::from_value(documented).unwrap();
    assert_eq!(facts.transfer.id, "crm-sync");
}

#[test]
fn documented_determination_is_what_evaluate_prints() {
    let out = outbound()
        .args([
            "evaluate",
            "--facts",
            "examples/facts/design-example.json",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        json(&block("determination"), "the documented determination"),
        stdout_json(out, "outbound evaluate")
    );
}

#[test]
fn documented_scan_input_is_generated_and_scans_as_documented() {
    // The CSV on the page is the repository's synthetic generator's output.
    let csv = block("scan-input");
    let (generated, _) = outbound_scan::corpus::csv_bytes(SCAN_ROWS, SCAN_SEED);
    assert_eq!(csv, String::from_utf8(generated).unwrap());

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("customers.csv"), &csv).unwrap();
    let out = outbound_in(dir.path())
        .args(["scan", "customers.csv", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        json(&block("scan"), "the documented scan report"),
        stdout_json(out, "outbound scan")
    );
}
