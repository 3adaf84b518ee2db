//! Issue 15: what `outbound gate` says when its output goes missing, and what a
//! killed gate leaves on disk.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use outbound_store::{Keys, Store};

fn rows(first: u64, n: u64) -> String {
    (first..first + n)
        .map(|i| format!("C{i:08},1381{i:07}\n"))
        .collect()
}

/// A store and a map in `d`; returns the gate command without input and output.
fn setup(d: &Path) -> impl Fn() -> Command {
    let (map, store) = crate::common::one_transfer_store(d);
    let bin = assert_cmd::cargo::cargo_bin("outbound");
    move || {
        let mut c = Command::new(&bin);
        c.args(["gate", "--transfer", "t", "--as-of", "2026-11-23"])
            .arg("--map")
            .arg(&map)
            .arg("--store")
            .arg(&store);
        c
    }
}

/// Runs `gate` on `d/in.csv` into `d/{out}`, writing `in.csv` first with
/// the header and `body` when `body` is given.
fn run_on_file(
    gate: &impl Fn() -> Command,
    d: &Path,
    body: Option<String>,
    out: &str,
) -> std::process::Output {
    if let Some(body) = body {
        std::fs::write(d.join("in.csv"), format!("customer_id,mobile\n{body}")).unwrap();
    }
    gate()
        .arg("--input")
        .arg(d.join("in.csv"))
        .arg("--output")
        .arg(d.join(out))
        .output()
        .unwrap()
}

fn batches(d: &Path) -> Vec<outbound_store::BatchSummary> {
    let store = d.join("store.db");
    let _keys = Keys::load(&outbound_store::keys::default_dir_for(&store)).unwrap();
    Store::open(store.to_str().unwrap())
        .unwrap()
        .batches()
        .unwrap()
}

fn partials(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect()
}

#[test]
fn a_reader_that_goes_away_hears_that_the_batch_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gate = setup(d);
    let tmp = d.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    std::fs::write(
        d.join("in.csv"),
        format!("customer_id,mobile\n{}", rows(0, 50)),
    )
    .unwrap();
    let mut child = gate()
        .arg("--input")
        .arg(d.join("in.csv"))
        .args(["--output", "-"])
        .env("TMPDIR", &tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // `| true`: the reader is gone before the batch is out.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("batch 0 is recorded") && err.contains("closed standard output"),
        "{err}"
    );
    assert!(!err.contains("nothing counted"), "{err}");
    assert_eq!(batches(d).len(), 1);
    assert!(partials(&tmp).is_empty(), "{:?}", partials(&tmp));
}

#[test]
fn a_gate_killed_mid_batch_leaves_no_partial_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gate = setup(d);
    let mut child = gate()
        .args(["--input", "-"])
        .arg("--output")
        .arg(d.join("killed.csv"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("customer_id,mobile\n{}", rows(0, 100)).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    // The gate now waits for more input with its partial file open: kill it there.
    let t0 = Instant::now();
    while partials(d).is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no partial file appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    drop(stdin);
    let st = run_on_file(&gate, d, Some(rows(100, 5)), "out.csv");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(partials(d).is_empty(), "{:?}", partials(d));
    assert!(
        !d.join("killed.csv").exists(),
        "nothing of the killed batch stays"
    );
    assert_eq!(batches(d).len(), 1);
}

/// A UTF-16 input passes like its UTF-8 twin, and the table says it was
/// transcoded and that a `.gz` output is compressed.
#[test]
fn the_table_says_what_was_transcoded_and_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gate = setup(d);
    let text = format!("customer_id,mobile\n{}", rows(0, 20));
    let mut utf16 = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(d.join("in16.csv"), &utf16).unwrap();
    let o = gate()
        .arg("--input")
        .arg(d.join("in16.csv"))
        .arg("--output")
        .arg(d.join("out.csv.gz"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("read: UTF-16LE; written: UTF-8, gzip (transcoded"),
        "{stdout}"
    );
    assert!(stdout.contains("20 in, 20 out"), "{stdout}");
    // A plain UTF-8 batch says nothing about storage.
    std::fs::write(
        d.join("in8.csv"),
        format!("customer_id,mobile\n{}", rows(100, 5)),
    )
    .unwrap();
    let o = gate()
        .arg("--input")
        .arg(d.join("in8.csv"))
        .arg("--output")
        .arg(d.join("out8.csv"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}");
    assert!(!stdout.contains("read:"), "{stdout}");
}

/// A store edited behind the log's back: the gate refuses (exit 3, as the
/// README says), writes nothing and counts nothing.
#[test]
fn a_store_that_does_not_verify_is_refused_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gate = setup(d);
    let first = run_on_file(&gate, d, Some(rows(0, 20)), "out1.csv");
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let store = d.join("store.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite:{}", store.display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("UPDATE ledger_state SET digest = '00'")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
    let out = run_on_file(&gate, d, None, "out2.csv");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("does not verify") && err.contains("REFUSED"),
        "{err}"
    );
    assert!(!d.join("out2.csv").exists());
    assert!(partials(d).is_empty(), "{:?}", partials(d));
}

/// A map's `not_kinds` lets order numbers that pass Luhn through: the
/// gate says how many it set aside, and the batch's audit entry records
/// them with the SHA-256 that `outbound validate` prints for the map;
/// `audit verify --map` tells batches judged under that map from those
/// judged under another.
#[test]
fn what_a_maps_not_kinds_let_pass_is_in_the_audit_entry_with_the_maps_digest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gate = setup(d);
    let map = crate::common::ONE_TRANSFER_MAP.replace(
        "      - {name: mobile, category: contact.phone, subject: customer}\n",
        "      - {name: mobile, category: contact.phone, subject: customer}\n      \
         - {name: order_no, category: operational, subject: customer, not_kinds: [bank_card]}\n",
    );
    assert_ne!(map, crate::common::ONE_TRANSFER_MAP);
    std::fs::write(d.join("map.yaml"), &map).unwrap();
    let mut csv = String::from("customer_id,mobile,order_no\n");
    let orders = outbound_scan::corpus::order_numbers(200, 42);
    for (i, o) in orders.iter().enumerate() {
        csv.push_str(&format!("C{i:08},1381{i:07},{o}\n"));
    }
    std::fs::write(d.join("in.csv"), &csv).unwrap();
    let out = run_on_file(&gate, d, None, "out.csv");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.contains("set aside by the map"))
        .unwrap_or_else(|| panic!("{text}"));
    for o in &orders {
        assert!(!text.contains(o.as_str()), "an order number is printed");
    }
    let store = d.join("store.db");
    let _keys = Keys::load(&outbound_store::keys::default_dir_for(&store)).unwrap();
    let entries = Store::open(store.to_str().unwrap())
        .unwrap()
        .audit_entries()
        .unwrap();
    let batch = entries.iter().rev().find(|e| e.kind == "batch").unwrap();
    let body: serde_json::Value = serde_json::from_str(&batch.body).unwrap();
    let aside = body["set_aside"]["bank_card"].as_u64().unwrap();
    assert!(aside > 0, "{body}");
    assert!(line.ends_with(&format!("bank_card ×{aside}")), "{line}");
    let validate = Command::new(assert_cmd::cargo::cargo_bin("outbound"))
        .args(["validate", "--format", "json"])
        .arg(d.join("map.yaml"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&validate.stdout).unwrap();
    assert_eq!(body["map_sha256"], v["content_sha256"], "{body}");
    // An auditor holding the map checks every batch against it.
    let verify = |map: &str, format: &str| {
        Command::new(assert_cmd::cargo::cargo_bin("outbound"))
            .args(["audit", "verify", "--format", format, "--store"])
            .arg(&store)
            .arg("--map")
            .arg(d.join(map))
            .output()
            .unwrap()
    };
    let out = verify("map.yaml", "table");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let digest = v["content_sha256"].as_str().unwrap();
    assert!(
        text.contains(&format!("map {digest}: 1 batch(es) judged under it")),
        "{text}"
    );
    assert!(!text.contains("another map"), "{text}");
    // The same map with the order numbers declared as cards: another map.
    std::fs::write(
        d.join("map2.yaml"),
        map.replace("not_kinds: [bank_card]", "not_kinds: []"),
    )
    .unwrap();
    let out = verify("map2.yaml", "table");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(": 0 batch(es) judged under it"), "{text}");
    assert!(
        text.contains(&format!(
            "under another map, {digest}: 1 (batches {})",
            body["batch"]
        )),
        "{text}"
    );
    let out = verify("map2.yaml", "json");
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(j["problems"].as_array().map(Vec::len), Some(0), "{j}");
    assert_eq!(j["map"]["current"], 0, "{j}");
    assert_eq!(j["map"]["other"][0]["map_sha256"], digest, "{j}");
    assert_eq!(j["map"]["other"][0]["count"], 1, "{j}");
    assert_eq!(j["map"]["not_recorded"]["count"], 0, "{j}");
    // A map that does not load stops before the store is read.
    std::fs::write(d.join("bad.yaml"), "version: 1\ndatasets: 7\n").unwrap();
    let out = verify("bad.yaml", "table");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
