//! Outputs pinned to what the gate wrote before it read through the
//! scanner's readers and split its pass in two (issue 11): the same keys,
//! the same batch, the same bytes. The vectors were produced by the
//! previous version (commit 85d39b7's policy and CSV/JSON code) with these
//! keys; a change here changes what recipients receive.

use std::path::Path;

use outbound_gate::{GateRequest, Io, run, sample};
use outbound_store::{Keys, Store};
use sha2::Digest;

use crate::example;

/// Keys from fixed files, as `outbound store init` would leave them.
fn fixed_keys(dir: &Path) -> Keys {
    let k = dir.join("keys");
    std::fs::create_dir(&k).unwrap();
    for (f, byte) in [("hash.key", "11"), ("signing.key", "22")] {
        let p = k.join(f);
        std::fs::write(&p, byte.repeat(32)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    Keys::load(&k).unwrap()
}

#[test]
fn outputs_are_byte_for_byte_what_the_previous_gate_wrote() {
    let csv = sample::customers_csv(0, 3000, 1, true);
    let mut jsonl = String::new();
    for l in csv.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        jsonl.push_str(&format!(
            "{{\"customer_id\":\"{}\",\"name\":\"{}\",\"contact\":{{\"mobile\":\"{}\",\"email\":[\"{}\", 5]}},\"items\":\"{}\",\"id_no\":\"{}\",\"n\":12.5,\"b\":true}}\n",
            f[0], f[1], f[2], f[3], f[4], f[5]
        ));
    }
    let plain = sample::customers_csv(0, 3000, 1, false);
    // One thread and two: the pipeline keeps the order and the bytes.
    for threads in [1, 2] {
        outbound_gate::set_threads(Some(threads));
        for (policy, name, text, want, undeclared) in [
            (
                "mask",
                "b.csv",
                csv.as_str(),
                "600eb2de39143a61004cea2a7d098e83e6caee211eaf6535600974a7ff26184e",
                &["id_no"][..],
            ),
            (
                "drop",
                "b.csv",
                csv.as_str(),
                "53e587696316fac37e375c54b9e4be773cfc02ba484f5a920c184883c1d42d69",
                &["id_no"],
            ),
            (
                "fail",
                "b.csv",
                plain.as_str(),
                "a8830e9decdc95313373a4b637e9f409eab6ebcb3a5f4134895822defeeb5be0",
                &[],
            ),
            (
                "mask",
                "b.jsonl",
                jsonl.as_str(),
                "1c9341b350597f878920fa76f7658816880f14dcdf680ff26972a8b11736d158",
                &["contact.email", "contact.mobile", "id_no", "n"],
            ),
            (
                "drop",
                "b.jsonl",
                jsonl.as_str(),
                "11042db6ccbb5c439a155600358e2db9aecec10fb2062cb527a56bc1fac83880",
                &["contact.email", "contact.mobile", "id_no", "n"],
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let keys = fixed_keys(dir.path());
            let store = Store::open(&dir.path().join("s.db").display().to_string()).unwrap();
            let recs = sample::consents(&keys, "crm-to-parent", 0, 3000, 7);
            store.consent_import(&keys, &recs, "t").unwrap();
            let mut map = example();
            let t = map
                .transfers
                .iter_mut()
                .find(|t| t.id == "crm-to-parent")
                .unwrap();
            t.gate.undeclared = outbound_model::UndeclaredPolicy::parse(policy).unwrap();
            let input = dir.path().join(name);
            std::fs::write(&input, text).unwrap();
            let out = dir.path().join("out");
            let req = GateRequest {
                transfer: "crm-to-parent".into(),
                input: Io::Path(input),
                output: Io::Path(out.clone()),
                format: None,
                as_of: "2026-11-23".parse().unwrap(),
                dry_run: false,
                count_group: false,
            };
            let r = run(&map, &store, &keys, &req).unwrap();
            let bytes = std::fs::read(&out).unwrap();
            assert_eq!(
                hex::encode(sha2::Sha256::digest(&bytes)),
                want,
                "{policy} {name}"
            );
            assert_eq!(r.sha256, want, "{policy} {name}");
            assert_eq!(
                (r.records_in, r.records_out, r.dropped_no_consent),
                (3000, 2571, 429),
                "{policy} {name}"
            );
            assert_eq!(r.counts.batch.individuals, 2571, "{policy} {name}");
            assert_eq!(r.undeclared_fields, undeclared, "{policy} {name}");
        }
    }
    outbound_gate::set_threads(None);
}

/// The gate on `text` with `threads` threads, fixed keys and a fresh store:
/// the report as JSON and the output's bytes, or the error.
fn gate_with(
    threads: usize,
    text: &str,
    policy: &str,
) -> Result<(serde_json::Value, Vec<u8>), String> {
    let dir = tempfile::tempdir().unwrap();
    let keys = fixed_keys(dir.path());
    let store = Store::open(&dir.path().join("s.db").display().to_string()).unwrap();
    let recs = sample::consents(&keys, "crm-to-parent", 0, 20_000, 7);
    store.consent_import(&keys, &recs, "t").unwrap();
    let mut map = example();
    let t = map
        .transfers
        .iter_mut()
        .find(|t| t.id == "crm-to-parent")
        .unwrap();
    t.gate.undeclared = outbound_model::UndeclaredPolicy::parse(policy).unwrap();
    let input = dir.path().join("b.csv");
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("out");
    let req = GateRequest {
        transfer: "crm-to-parent".into(),
        input: Io::Path(input),
        output: Io::Path(out.clone()),
        format: None,
        as_of: "2026-11-23".parse().unwrap(),
        dry_run: false,
        count_group: false,
    };
    outbound_gate::set_threads(Some(threads));
    let r = run(&map, &store, &keys, &req);
    outbound_gate::set_threads(None);
    let r = r.map_err(|e| e.to_string())?;
    let mut json = serde_json::to_value(&r).unwrap();
    json["outcome"] = serde_json::Value::Null;
    Ok((json, std::fs::read(&out).unwrap_or_default()))
}

#[test]
fn many_batches_on_two_threads_give_what_one_thread_gives() {
    // 20,000 records: five batches, handed to the workers in turn.
    let csv = sample::customers_csv(0, 20_000, 3, true);
    let plain = sample::customers_csv(0, 20_000, 3, false);
    // With resident ids the batch is refused (sensitive individuals over
    // 10,000) and nothing is kept, but its report names the digest of what
    // would have left; without them it passes.
    for (policy, text, passes) in [
        ("mask", &csv, false),
        ("drop", &csv, false),
        ("fail", &plain, true),
    ] {
        let one = gate_with(1, text, policy).unwrap();
        let two = gate_with(2, text, policy).unwrap();
        assert_eq!(one.0, two.0, "{policy}: the same report, the same digest");
        assert_eq!(one.0["records_in"], 20_000);
        assert!(
            one.0["bytes"].as_u64().unwrap() > 1_000_000,
            "several batches"
        );
        assert_eq!(!one.1.is_empty(), passes, "{policy}");
        assert!(one.1 == two.1, "{policy}: the same bytes");
    }
    // The first error in input order, whichever worker met it.
    let mut lines: Vec<&str> = csv.lines().collect();
    lines[15_001] = "C1,x";
    lines[19_001] = "\u{0}bad";
    let ragged = lines.join("\n") + "\n";
    let one = gate_with(1, &ragged, "mask").unwrap_err();
    let two = gate_with(2, &ragged, "mask").unwrap_err();
    let after = |e: &str| e.split_once("b.csv").map(|(_, r)| r.to_string());
    assert_eq!(after(&one), after(&two));
    assert!(
        one.contains("b.csv:15002") && one.contains("2 fields"),
        "{one}"
    );
}

#[test]
fn quoted_values_and_records_without_a_subject_on_one_and_two_threads() {
    // 20,000 records (five batches): every 7th without a customer id
    // (counted as its own individual, so never consented), every 5th with a
    // name holding the delimiter and quotes (written quoted).
    let plain = sample::customers_csv(0, 20_000, 5, false);
    let mut names = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    for (i, l) in plain.lines().enumerate() {
        let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
        if i > 0 && i % 7 == 0 {
            f[0].clear();
        }
        if i > 0 && i % 5 == 0 {
            names.push((f[0].is_empty(), format!("{}, \"x\"", f[1])));
            f[1] = format!("\"{}, \"\"x\"\"\"", f[1]);
        } else if i > 0 {
            names.push((f[0].is_empty(), f[1].clone()));
        }
        lines.push(f.join(","));
    }
    let text = lines.join("\n") + "\n";
    let one = gate_with(1, &text, "fail").unwrap();
    let two = gate_with(2, &text, "fail").unwrap();
    assert_eq!(one.0, two.0, "the same report, the same digest");
    assert!(one.1 == two.1, "the same bytes");
    assert_eq!(one.0["records_in"], 20_000);
    let dropped = one.0["dropped_no_consent"].as_u64().unwrap();
    assert!(dropped >= 20_000 / 7, "{dropped}");
    // Read back with the csv crate: every name that left is the name that came in.
    let mut back = csv::Reader::from_reader(&one.1[..]);
    let left: Vec<String> = back
        .records()
        .map(|r| r.unwrap().get(1).unwrap().to_string())
        .collect();
    assert_eq!(left.len() as u64, 20_000 - dropped);
    let mut theirs = names.iter().filter(|(anonymous, _)| !anonymous);
    for name in &left {
        // Records leave in input order; the dropped ones are skipped.
        assert!(theirs.any(|(_, n)| n == name), "{name:?}");
    }
    assert!(left.iter().any(|n| n.contains(", \"x\"")));
}
