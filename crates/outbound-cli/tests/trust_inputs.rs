//! Issue 15 at the command line: a closed pipe ends a command quietly, a
//! mistyped store is not created and cited, and map and facts files hold one
//! document with counts that can exist.

use std::path::Path;
use std::process::Stdio;

use crate::common::{DESIGN_FACTS, outbound_in, root};

/// Runs `outbound args` in `dir` with standard output a pipe whose reader is
/// already gone (as `| head -1` leaves it); returns (exit code, stderr).
fn with_closed_stdout(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outbound"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_each_printing_command_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("c.csv");
    std::fs::write(&csv, "name,mobile\nA,13800138000\n").unwrap();
    let store = tmp.path().join("s.db");
    let store = store.to_str().unwrap();
    let facts = tmp.path().join("f.json");
    std::fs::write(&facts, DESIGN_FACTS).unwrap();
    outbound_in(&root())
        .args(["store", "init", "--store", store])
        .assert()
        .code(0);
    let csv = csv.to_str().unwrap();
    let facts = facts.to_str().unwrap();
    let starter = tmp.path().join("starter");
    let starter = starter.to_str().unwrap();
    let demo = tmp.path().join("demo");
    let demo = demo.to_str().unwrap();
    for args in [
        &["rules"][..],
        &["rules", "--taxonomy"],
        &["rules", "--format", "json"],
        &["schema"],
        &["scan", csv],
        &["scan", csv, "--format", "json"],
        &["validate", "examples/lumen"],
        &["assess", "examples/lumen", "--as-of", "2026-11-23"],
        &["evaluate", "--facts", facts],
        &[
            "status",
            "examples/lumen",
            "--store",
            store,
            "--as-of",
            "2026-11-23",
        ],
        &["route", "list", "--store", store],
        &["audit", "verify", "--store", store],
        &["init", starter],
        &["demo", "--as-of", "2026-11-23", "--dir", demo],
    ] {
        let (code, stderr) = with_closed_stdout(&root(), args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn reading_commands_do_not_create_a_mistyped_store() {
    let tmp = tempfile::tempdir().unwrap();
    let typo = tmp.path().join("stroe.db");
    let typo = typo.to_str().unwrap();
    let out = tmp.path().join("reports");
    for args in [
        &[
            "report",
            "summary",
            "--map",
            "examples/lumen",
            "--store",
            typo,
            "--out",
            out.to_str().unwrap(),
        ][..],
        &["assess", "examples/lumen", "--store", typo],
        &["status", "examples/lumen", "--store", typo],
    ] {
        let o = outbound_in(&root()).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("no store at {typo}")) && stderr.contains("store init"),
            "{args:?}: {stderr}"
        );
        assert!(!Path::new(typo).exists(), "{args:?} created {typo}");
    }
    assert!(!out.exists(), "a report was written citing no store");
}

/// Runs `validate` on one map file; returns (exit code, stderr).
fn validate_text(text: &str) -> (Option<i32>, String) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("map.yaml"), text).unwrap();
    let o = outbound_in(tmp.path())
        .args(["validate", "map.yaml"])
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const STARTER: &str = include_str!("../templates/starter.yaml");

#[test]
fn a_second_document_in_a_map_file_is_refused_at_its_line() {
    let lines = STARTER.lines().count();
    let (code, stderr) = validate_text(&format!("{STARTER}---\ntransfers:\n  - id: hidden\n"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("map.yaml:{}:1: error[syntax]", lines + 1)),
        "{stderr}"
    );
}

#[test]
fn a_map_with_a_byte_order_mark_is_valid() {
    let (code, stderr) = validate_text(&format!("\u{feff}{STARTER}"));
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_count_above_the_worlds_population_is_refused_with_its_position() {
    let text = STARTER.replace(
        "individuals_per_year: 20000",
        "individuals_per_year: 18446744073709551600",
    );
    let line = text
        .lines()
        .position(|l| l.contains("18446744073709551600"))
        .unwrap()
        + 1;
    let (code, stderr) = validate_text(&text);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("map.yaml:{line}:"))
            && stderr.contains("transfers[0].individuals_per_year"),
        "{stderr}"
    );
}

#[test]
fn text_after_a_facts_document_is_refused_with_its_position() {
    let text = format!("{}\n]\n", DESIGN_FACTS.trim_end());
    let line = text.lines().count();
    let o = outbound_in(&root())
        .args(["evaluate", "--facts", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("<stdin>:{line}:1:")), "{stderr}");
}
