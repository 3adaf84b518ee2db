//! The limit on field names (`MAX_FIELDS`, 10,000): past it, names share
//! one field, `(other fields)`, and which names get a field of their own
//! is what one pass over the file gives, on any number of threads.

use outbound_scan::{Kind, ScanOptions, scan_paths};

use crate::common::{scan, tmpdir, total, write};

#[test]
fn field_count_is_bounded() {
    let d = tmpdir();
    let mut s = String::from("{");
    for i in 0..12_000 {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\"k{i}\": \"v\""));
    }
    s.push('}');
    let p = write(&d, "wide.json", s.as_bytes());
    let r = scan(&[p]);
    assert!(r.files[0].fields.len() <= 10_001);
    assert!(
        r.files[0]
            .fields
            .iter()
            .any(|f| f.field.as_deref() == Some("(other fields)"))
    );
}

/// JSON lines with more than 10,000 distinct key paths: which of them get
/// a field of their own, and where a key first met past the limit counts,
/// is what one pass over the file gives, on any number of threads.
#[test]
fn json_lines_over_the_field_limit_report_as_one_pass_on_any_threads() {
    let d = tmpdir();
    // Batches of 1 MiB: 4 with about 4,000 names of their own, under the
    // limit alone but not together; one with 15,000, over it alone; then a
    // mobile under a key that one thread meets after the limit, and keys
    // of the first batch again.
    let mut s = String::new();
    let filler = "an ordinary value, nothing personal here. ".repeat(6);
    for i in 0..16_000u64 {
        s.push_str(&format!("{{\"key_{i:06}\":\"{filler}\",\"n\":{i}}}\n"));
    }
    for i in 0..15_000u64 {
        s.push_str(&format!("{{\"short_{i:06}\":1}}\n"));
    }
    for i in 0..1_000u64 {
        s.push_str(&format!(
            "{{\"mobile\":\"13{:09}\",\"key_{:06}\":\"13{:09}\"}}\n",
            100_000_000 + i,
            i,
            200_000_000 + i
        ));
    }
    let p = write(&d, "keys.jsonl", s.as_bytes());
    let run = |threads| {
        let opts = ScanOptions {
            samples: 2,
            threads: Some(threads),
            ..Default::default()
        };
        let r = scan_paths(std::slice::from_ref(&p), &opts);
        serde_json::to_string(&r).unwrap()
    };
    let one = run(1);
    let other = r#""field":"(other fields)""#;
    assert!(one.contains(other), "the limit is reached");
    assert!(!one.contains(r#""field":"mobile""#), "met past the limit");
    // Read in one pass, the mobile under a key of the first batch counts
    // there, though its own batch had reached the limit before it.
    assert!(
        one.contains(r#""field":"key_000999","kinds":{"cn_mobile":1},"non_empty":2"#),
        "a known key past a batch's own limit"
    );
    for _ in 0..6 {
        assert!(run(2) == one, "two threads report otherwise");
    }
}

/// A key first met past the limit counts under `(other fields)`, which has
/// no hints: a person's name under `name` is not looked for there, on any
/// number of threads, though its batch alone is far under the limit.
#[test]
fn json_lines_a_hinted_key_past_the_limit_is_scanned_as_other_fields() {
    let d = tmpdir();
    let mut s = String::from("{");
    for i in 0..=10_000 {
        s.push_str(&format!("\"k{i}\":1,"));
    }
    s.push_str("\"last\":1}\n");
    // Past the first batch of 1 MiB.
    while s.len() < (3 << 20) / 2 {
        s.push_str("{\"k0\":1}\n");
    }
    s.push_str("{\"name\":\"张三\",\"k5\":\"13800138000\"}\n");
    let p = write(&d, "wide.jsonl", s.as_bytes());
    for threads in [1, 2, 2, 2] {
        let opts = ScanOptions {
            threads: Some(threads),
            ..Default::default()
        };
        let r = scan_paths(std::slice::from_ref(&p), &opts);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("person_name"), "{threads} threads");
        assert_eq!(total(&r, Kind::CnMobile), 1);
        let k5 = r.files[0]
            .fields
            .iter()
            .find(|f| f.field.as_deref() == Some("k5"));
        assert_eq!(k5.map(|f| f.non_empty), Some(2), "{threads} threads");
    }
}
