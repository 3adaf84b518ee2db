//! Issue 15, "Trust": no personal data in names or messages, one batch per
//! output, owner-only files, no orphaned partial files, honest counting.

use std::path::Path;

use outbound_gate::{GateRequest, Io, Outcome, run, sample};
use outbound_model::UndeclaredPolicy;
use outbound_store::{Keys, Store};

use crate::{assert_passed, env, example, ids_csv, refused, threshold_map};

const RESIDENT_ID: &str = "110101199003074514";

fn with_policy(policy: &str) -> outbound_model::DataMap {
    let mut map = example();
    let t = map
        .transfers
        .iter_mut()
        .find(|t| t.id == "crm-to-parent")
        .unwrap();
    t.gate.undeclared = UndeclaredPolicy::parse(policy).unwrap();
    map
}

/// Files in `dir` whose name ends with `.outbound-partial`.
fn partials(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".outbound-partial"))
        .collect()
}

/// `csv` with one more column, `header` over `value` in every row.
fn with_column(csv: &str, header: &str, value: &str) -> String {
    csv.lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},{header}\n")
            } else {
                format!("{l},{value}\n")
            }
        })
        .collect()
}

#[test]
fn a_header_that_is_personal_data_refuses_the_batch_without_naming_it() {
    // A resident ID, and a person's name (a first row of names taken for
    // the header would send names out as column names).
    let name = outbound_scan::corpus::chinese_name(&mut outbound_scan::corpus::Rng::new(3));
    for (header, kind) in [(RESIDENT_ID, "cn_resident_id"), (&name, "person_name")] {
        for policy in ["mask", "drop", "fail"] {
            let e = env(with_policy(policy));
            e.consent_all_but_every("crm-to-parent", 0, 20, 0);
            let csv = with_column(&sample::customers_csv(0, 20, 1, false), header, "x");
            let input = e.file("batch.csv", &csv);
            let r = e.gate("crm-to-parent", &input, "out.csv", false);
            let Outcome::Refused { reason } = &r.outcome else {
                panic!("{policy}: {:?}", r.outcome)
            };
            assert!(
                reason.contains("column 6") && reason.contains(kind),
                "{policy}: {reason}"
            );
            let json = serde_json::to_string(&r).unwrap();
            assert!(!json.contains(header), "{policy}: {json}");
            assert!(!e.dir.path().join("out.csv").exists(), "{policy}");
            assert!(partials(e.dir.path()).is_empty(), "{policy}");
            assert_eq!(e.store.batch_count().unwrap(), 0, "{policy}");
        }
    }
}

/// A field the data map declares is named by it, whatever its name looks
/// like: a column declared as `张伟` is not refused for its name; the same
/// key elsewhere in a JSON record is another field, and is.
#[test]
fn a_declared_field_is_never_refused_for_its_name() {
    let name = outbound_scan::corpus::chinese_name(&mut outbound_scan::corpus::Rng::new(3));
    let map = declared_as(&name);
    let csv = sample::customers_csv(0, 20, 1, false).replacen("items\n", &format!("{name}\n"), 1);
    passes(map.clone(), &csv);
    let e = env(map);
    e.consent_all_but_every("crm-to-parent", 0, 20, 0);
    let record = |i: u64, extra: &str| {
        format!(
            "{{\"customer_id\":\"{}\",\"mobile\":\"13812345678\",\"{name}\":\"sku-1\"{extra}}}\n",
            sample::customer_id(i)
        )
    };
    let top = e.file("top.jsonl", &(record(0, "") + &record(1, "")));
    let r = e.gate("crm-to-parent", &top, "top.out.jsonl", false);
    assert_passed(&r.outcome);
    let nested = e.file(
        "nested.jsonl",
        &(record(2, "") + &record(3, &format!(",\"x\":{{\"{name}\":1}}"))),
    );
    let r = e.gate("crm-to-parent", &nested, "nested.out.jsonl", false);
    let reason = refused(&r.outcome);
    assert!(
        reason.contains("line 2") && reason.contains("person_name"),
        "{reason}"
    );
    assert!(!serde_json::to_string(&r).unwrap().contains(&name));
}

/// The example under the `fail` policy, with `crm-to-parent`'s `items`
/// declared as `name`.
fn declared_as(name: &str) -> outbound_model::DataMap {
    let mut map = with_policy("fail");
    let refs = &mut map
        .transfers
        .iter_mut()
        .find(|t| t.id == "crm-to-parent")
        .unwrap()
        .fields;
    let items = refs.iter_mut().find(|r| r.field == "items").unwrap();
    items.field = name.to_string();
    let dataset = items.dataset.clone();
    let d = map.datasets.iter_mut().find(|d| d.id == dataset).unwrap();
    let f = d.fields.iter_mut().find(|f| f.name == "items").unwrap();
    f.name = name.to_string();
    map
}

/// A field name that starts with a surname (`余额`, `金额`) is a field name
/// even undeclared.
#[test]
fn a_chinese_header_that_starts_with_a_surname_passes() {
    let csv = with_column(&sample::customers_csv(0, 20, 1, false), "余额", "12.5");
    passes(with_policy("mask"), &csv);
}

/// The gate tells a field word from a name by its ending only: a word the
/// scanner lists whole, or a city, may be someone's name, so undeclared it
/// refuses the batch (declared, it passes: the map says what it is).
#[test]
fn a_header_that_may_be_a_name_is_refused_until_declared() {
    // A Latin-script name too: both words common names.
    for header in ["金华", "许可", "周一", "Mary Johnson"] {
        let e = env(with_policy("mask"));
        e.consent_all_but_every("crm-to-parent", 0, 20, 0);
        let csv = with_column(&sample::customers_csv(0, 20, 1, false), header, "x");
        let r = e.gate(
            "crm-to-parent",
            &e.file("batch.csv", &csv),
            "out.csv",
            false,
        );
        let reason = refused(&r.outcome);
        assert!(reason.contains("person_name"), "{header}: {reason}");
        assert!(!reason.contains(header), "{header} named: {reason}");
        let csv =
            sample::customers_csv(0, 20, 1, false).replacen("items\n", &format!("{header}\n"), 1);
        passes(declared_as(header), &csv);
    }
}

/// Gates `csv` through `crm-to-parent` of `map`, everyone consenting, and
/// checks that it passes.
fn passes(map: outbound_model::DataMap, csv: &str) {
    let e = env(map);
    e.consent_all_but_every("crm-to-parent", 0, 20, 0);
    let input = e.file("batch.csv", csv);
    let r = e.gate("crm-to-parent", &input, "out.csv", false);
    assert_passed(&r.outcome);
}

#[test]
fn a_json_key_that_is_personal_data_refuses_the_batch_without_naming_it() {
    let mut map = threshold_map(0);
    map.transfers[0].gate.undeclared = UndeclaredPolicy::Mask;
    let e = env(map);
    let input = e.file(
        "b.jsonl",
        "{\"customer_id\":\"C1\",\"mobile\":\"13812345678\"}\n{\"customer_id\":\"C2\",\"extra\":{\"13912345678\":true}}\n",
    );
    let r = e.gate("t", &input, "out.jsonl", false);
    let reason = refused(&r.outcome);
    assert!(
        reason.contains("line 2") && reason.contains("cn_mobile"),
        "{reason}"
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("13912345678"), "{json}");
    assert!(!e.dir.path().join("out.jsonl").exists());
    assert_eq!(e.store.batch_count().unwrap(), 0);
}

#[cfg(unix)]
#[test]
fn outputs_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let e = env(threshold_map(0));
    let input = e.file("a.csv", &ids_csv(0, 5));
    let r = e.gate("t", &input, "a.out.csv", false);
    assert_passed(&r.outcome);
    let mode = std::fs::metadata(e.dir.path().join("a.out.csv"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "mode {mode:o}");
}

#[test]
fn an_empty_input_is_not_a_batch() {
    let e = env(threshold_map(0));
    for (name, text) in [("empty.csv", ""), ("header.csv", "customer_id,mobile\n")] {
        let input = e.file(name, text);
        let err = e
            .try_gate("t", &input, &format!("{name}.out"), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains(name) && err.contains("no records"), "{err}");
        assert!(!e.dir.path().join(format!("{name}.out")).exists());
    }
    assert_eq!(e.store.batch_count().unwrap(), 0);
    assert!(partials(e.dir.path()).is_empty());
}

#[test]
fn a_subject_key_far_below_the_identifiers_refuses_the_batch() {
    let e = env(threshold_map(0));
    let mut csv = String::from("customer_id,mobile\n");
    for i in 0..1000u64 {
        csv.push_str(&format!("M1,1381234{i:04}\n"));
    }
    let input = e.file("m1.csv", &csv);
    let r = e.gate("t", &input, "m1.out.csv", false);
    let reason = refused(&r.outcome);
    assert!(
        reason.contains("customer_id") && reason.contains("cn_mobile") && reason.contains("1,000"),
        "{reason}"
    );
    let check = r.subject_key_check.as_ref().expect("the check is reported");
    assert_eq!(
        (
            check.key_distinct,
            check.identifier_distinct,
            check.action.as_str()
        ),
        (1, 1000, "refuse")
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["subject_key_check"]["action"], "refuse");
    assert!(!e.dir.path().join("m1.out.csv").exists());
    assert_eq!(e.store.batch_count().unwrap(), 0);
    // A customer with a second number is no reason to refuse.
    let mut csv = String::from("customer_id,mobile\n");
    for i in 0..100u64 {
        csv.push_str(&format!("C{i},1381234{:04}\n", i % 60 + (i / 60) * 1000));
    }
    let ok = e.file("ok.csv", &csv);
    let r = e.gate("t", &ok, "ok.out.csv", false);
    assert_passed(&r.outcome);
    assert!(r.subject_key_check.is_none());
}

#[test]
fn two_gates_on_one_output_never_mix_their_batches() {
    let e = env(threshold_map(0));
    let a = e.file("a.csv", &ids_csv(0, 20_000));
    let b = e.file("b.csv", &ids_csv(20_000, 20_000));
    let out = e.dir.path().join("shared.csv");
    let db = e.dir.path().join("store.db").display().to_string();
    let barrier = std::sync::Barrier::new(2);
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = [a, b]
            .into_iter()
            .map(|input| {
                let (out, db, map, barrier) = (&out, &db, &e.map, &barrier);
                let keys_dir = e.dir.path().join("keys");
                s.spawn(move || {
                    let store = Store::open(db).unwrap();
                    let keys = Keys::load(&keys_dir).unwrap();
                    let req = GateRequest {
                        transfer: "t".into(),
                        input: Io::Path(input),
                        output: Io::Path(out.clone()),
                        format: None,
                        as_of: "2026-11-23".parse().unwrap(),
                        dry_run: false,
                        count_group: false,
                    };
                    barrier.wait();
                    run(map, &store, &keys, &req)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let passed: Vec<_> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter(|r| matches!(r.outcome, Outcome::Passed { .. }))
        .collect();
    assert_eq!(passed.len(), 1, "{results:?}");
    let batches = e.store.batches().unwrap();
    assert_eq!(batches.len(), 1, "one batch recorded");
    assert_eq!(batches[0].state, "done");
    let bytes = std::fs::read(&out).unwrap();
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), batches[0].sha256);
    assert_eq!(passed[0].sha256, batches[0].sha256);
    assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 20_001);
    assert!(partials(e.dir.path()).is_empty());
}

#[test]
fn recovery_removes_every_orphaned_partial_file() {
    let e = env(threshold_map(0));
    // What a gate killed before its commit left, for another output.
    std::fs::write(
        e.dir.path().join("killed.csv.outbound-partial"),
        ids_csv(0, 10),
    )
    .unwrap();
    let input = e.file("a.csv", &ids_csv(0, 5));
    let r = e.gate("t", &input, "a.out.csv", false);
    assert_passed(&r.outcome);
    assert!(
        partials(e.dir.path()).is_empty(),
        "{:?}",
        partials(e.dir.path())
    );
    assert!(!e.dir.path().join("killed.csv").exists());
}

/// Keys that never repeat (here 10,050 of them in one record) are named up
/// to a bound and then one field, `(other fields)`: the report, the policy
/// and a refusal stay bounded, and under `mask` every value, past the bound
/// too, is masked.
#[test]
fn keys_that_never_repeat_are_bounded_and_still_masked() {
    let mut record = String::from("{\"customer_id\":\"C1\",\"mobile\":\"13812345678\",\"tags\":{");
    for i in 0..10_050u32 {
        if i > 0 {
            record.push(',');
        }
        record.push_str(&format!("\"k{i:05x}\":\"v{i}\""));
    }
    record.push_str("}}\n");
    let e = env(threshold_map(0));
    let input = e.file("keys.jsonl", &record);
    let r = e.gate("t", &input, "out.jsonl", false);
    let reason = refused(&r.outcome);
    assert_eq!(r.undeclared_fields.len(), 10_001);
    assert!(r.undeclared_fields.iter().any(|f| f == "(other fields)"));
    assert!(
        reason.len() < 2_000 && reason.contains(" and 9981 more;"),
        "{reason}"
    );
    // A map that declares a field named `(other fields)` declares that
    // field, not the ones past the bound.
    let mut map = with_json_field(threshold_map(0), "(other fields)");
    map.transfers[0].gate.undeclared = UndeclaredPolicy::Mask;
    let e = env(map);
    let input = e.file("keys.jsonl", &record);
    let r = e.gate("t", &input, "out.jsonl", false);
    assert_passed(&r.outcome);
    let out = std::fs::read_to_string(e.dir.path().join("out.jsonl")).unwrap();
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let tags = v["tags"].as_object().unwrap();
    assert_eq!(tags.len(), 10_050);
    for (k, v) in tags {
        let raw = format!("v{}", u32::from_str_radix(&k[1..], 16).unwrap());
        assert_ne!(v.as_str(), Some(raw.as_str()), "{k} left unmasked");
    }
}

/// `map` (from `threshold_map`) with one more field of its dataset,
/// `name`, category `operational` (the transfer takes `customers.*`).
fn with_json_field(mut map: outbound_model::DataMap, name: &str) -> outbound_model::DataMap {
    let mut field = map.datasets[0].fields[1].clone();
    field.name = name.into();
    field.category = "operational".into();
    map.datasets[0].fields.push(field);
    map
}

/// A key too long to be named stands as `{long}`; declaring `tags.{long}`
/// says nothing of what such a key holds, so a person's name padded past
/// the bound is still refused.
#[test]
fn a_declared_placeholder_does_not_exempt_a_name_key() {
    let name = outbound_scan::corpus::chinese_name(&mut outbound_scan::corpus::Rng::new(3));
    let key = format!("{name}{}", " ".repeat(1_100));
    let e = env(with_json_field(threshold_map(0), "tags.{long}"));
    let input = e.file(
        "long.jsonl",
        &format!(
            "{{\"customer_id\":\"C1\",\"mobile\":\"13812345678\",\"tags\":{{\"{key}\":\"x\"}}}}\n"
        ),
    );
    let r = e.gate("t", &input, "out.jsonl", false);
    let reason = refused(&r.outcome);
    assert!(reason.contains("person_name"), "{reason}");
    assert!(!serde_json::to_string(&r).unwrap().contains(&name));
}
