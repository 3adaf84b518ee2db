//! Issue 15 on the command line: `store init` never replaces the keys of a
//! store in use, and `audit verify --since` proves the log only grew.

use crate::common::run_on_store as run;

#[test]
fn init_refuses_new_keys_for_a_store_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.db");
    let keys = dir.path().join("store.db.keys");
    assert_eq!(run(&store, &["store", "init"]).0, 0);
    let old = std::fs::read_to_string(keys.join("hash.key")).unwrap();
    let args = ["route", "suspend", "t", "--reason", "breach"];
    assert_eq!(run(&store, &args).0, 0);
    std::fs::remove_dir_all(&keys).unwrap();
    let (code, out, err) = run(&store, &["store", "init"]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        err.contains("OUTBOUND_HASH_KEY") && err.contains("hash.key"),
        "says how to restore: {err}"
    );
    assert!(!keys.join("hash.key").exists(), "no new keys");
    assert!(!err.contains(&old) && !out.contains(&old), "no key printed");
}

/// A copy of the store from before its last entry, presented later, is
/// caught by a head kept from the longer log.
#[test]
fn verify_since_a_kept_head_catches_a_truncated_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.db");
    assert_eq!(run(&store, &["store", "init"]).0, 0);
    assert_eq!(
        run(&store, &["route", "suspend", "t", "--reason", "breach"]).0,
        0
    );
    let old = dir.path().join("old.db");
    std::fs::copy(&store, &old).unwrap();
    std::fs::create_dir(dir.path().join("old.db.keys")).unwrap();
    for f in ["hash.key", "signing.key"] {
        let to = dir.path().join("old.db.keys").join(f);
        std::fs::copy(dir.path().join("store.db.keys").join(f), &to).unwrap();
    }
    assert_eq!(
        run(&store, &["route", "resume", "t", "--reason", "fixed"]).0,
        0
    );
    let (_, head, _) = run(&store, &["audit", "head"]);
    let kept = dir.path().join("head.json");
    std::fs::write(&kept, head).unwrap();
    let since = ["audit", "verify", "--since", kept.to_str().unwrap()];
    assert_eq!(run(&store, &since).0, 0, "the log extends its own head");
    let (code, _, err) = run(&old, &since);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("kept head"), "{err}");
}

/// A ledger that cannot answer is an error: `assess --store` and `status`
/// never fall back to the map's stated figures as if the ledger held zero.
#[test]
fn a_ledger_that_cannot_count_is_an_error_not_the_stated_figures() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.db");
    assert_eq!(run(&store, &["store", "init"]).0, 0);
    // Break the subjects table behind the store's back (Python's sqlite3:
    // the test needs no SQLite client of its own).
    let py = format!(
        "import sqlite3; c = sqlite3.connect({:?}); c.execute('DROP TABLE subjects'); c.commit()",
        store.to_str().unwrap()
    );
    let st = std::process::Command::new("python3")
        .args(["-c", &py])
        .status()
        .expect("python3");
    assert!(st.success());
    let s = store.to_str().unwrap();
    for args in [
        vec![
            "assess",
            "examples/lumen",
            "--as-of",
            "2026-11-23",
            "--store",
            s,
        ],
        vec!["status", "examples/lumen", "--as-of", "2026-11-23"],
    ] {
        let (code, out, err) = run(&store, &args);
        assert_ne!(code, 0, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: nothing judged: {out}");
        assert!(err.contains("ledger could not give its counts"), "{err}");
    }
}
