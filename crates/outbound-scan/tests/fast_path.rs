//! Differential test of the scanner's fast paths (issue 13): the CSV
//! line splitter that bypasses `csv-core`, the detectors' SWAR `@`
//! search and the cell's early exits (no mark, a shape that holds
//! nothing) must give exactly the report of the plain paths, on the
//! generated corpus, the labelled test data, the fuzzers' broken inputs
//! (`fuzz_readers::broken_file`, small and past the sniffed head), random
//! CSV bytes and columns of values near the shapes' edges. (The fuzzers in fuzz_readers.rs run on the fast path,
//! the default, and check its properties; here each of their inputs is
//! also scanned on the plain path and the two reports compared.)

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use outbound_scan::{ScanOptions, corpus, scan_paths, set_plain_path};
use proptest::prelude::*;

use crate::common::{gzip, write};

/// One differential comparison at a time (the path switch is global).
static SWITCH: Mutex<()> = Mutex::new(());

fn report_json(paths: &[PathBuf], plain: bool, subject_key: Option<&str>) -> String {
    set_plain_path(Some(plain));
    let opts = ScanOptions {
        samples: 3,
        threads: Some(1),
        subject_key: subject_key.map(str::to_string),
        ..Default::default()
    };
    let r = scan_paths(paths, &opts);
    serde_json::to_string(&r).unwrap()
}

fn same(paths: &[PathBuf]) -> Result<(), TestCaseError> {
    same_keyed(paths, None)
}

/// [`same`] with individuals counted by `subject_key`'s values.
fn same_keyed(paths: &[PathBuf], subject_key: Option<&str>) -> Result<(), TestCaseError> {
    let _g = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    let plain = report_json(paths, true, subject_key);
    let fast = report_json(paths, false, subject_key);
    set_plain_path(None);
    prop_assert_eq!(plain, fast);
    Ok(())
}

/// [`same`] on `data` written as a file named `name`.
fn same_on_file(name: &str, data: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    same(&[write(dir.path(), name, data)])
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

#[test]
fn fast_and_plain_paths_agree_on_the_corpora() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, _) = corpus::csv_bytes(5_000, 42);
    let tsv: Vec<u8> = csv
        .iter()
        .map(|&c| if c == b',' { b'\t' } else { c })
        .collect();
    let crlf: Vec<u8> = csv
        .split(|&c| c == b'\n')
        .flat_map(|l| l.iter().copied().chain(*b"\r\n"))
        .collect();
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(&csv);
    let paths = vec![
        write(dir.path(), "c.csv", &csv),
        write(dir.path(), "c.tsv", &tsv),
        write(dir.path(), "crlf.csv", &crlf),
        write(dir.path(), "bom.csv", &bom),
        write(dir.path(), "c.csv.gz", &gzip(&csv)),
        write(dir.path(), "c.txt", &csv),
        write(
            dir.path(),
            "customers.csv",
            &corpus::customers_csv_bytes(3_000, 42).0,
        ),
        data_dir(),
    ];
    for p in &paths {
        same(std::slice::from_ref(p)).unwrap();
    }
}

#[test]
fn a_character_cut_by_a_delimiter_is_invalid_on_both_paths() {
    // `\xe4` ends one field and `\xb8\x80` starts the next: each field is
    // invalid UTF-8, though the two joined are a valid character (张 is
    // E5 BC A0; 一 is E4 B8 80). Plain lines, a quoted line (csv-core on
    // both paths) and one whose quoting is simple.
    let dir = tempfile::tempdir().unwrap();
    let data = b"a,b\nx\xe4,\xb8\x80y\n\"x\"\"\xe4\",\xb8\x80\nok,ok\n\"x\xe4\",\xb8\x80\n";
    let p = write(dir.path(), "cut.csv", data);
    same(std::slice::from_ref(&p)).unwrap();
    set_plain_path(None);
    let r = scan_paths(&[p], &ScanOptions::default());
    let e = r
        .errors
        .iter()
        .find(|e| e.message.contains("invalid UTF-8"))
        .expect("invalid UTF-8 reported");
    assert!(e.message.contains("in 3 line(s)"), "{}", e.message);
    assert_eq!(e.line, Some(2));
}

fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"name,id,mobile,email,note\n".to_vec()),
        Just(b"user@example.com".to_vec()),
        Just(b"13812345678".to_vec()),
        Just(b"11010519491231002X".to_vec()),
        Just(b"4111111111111111".to_vec()),
        Just("张伟".as_bytes().to_vec()),
        Just(b"\"a,\"\"b\"\"\"".to_vec()),
        Just(b"\"13812345678,x\"".to_vec()),
        Just(b"\xe4".to_vec()),
        Just(b"\xb8\x80".to_vec()),
        prop::collection::vec(
            prop::sample::select(
                b"0123456789,,\n\n\r\"@ .:-#\tab\xef\xbb\xbf\xff\xe4\x80".to_vec()
            ),
            1..8
        ),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn fast_and_plain_paths_agree_on_random_csv(data in csv_bytes(), tsv in any::<bool>()) {
        same_on_file(if tsv { "r.tsv" } else { "r.csv" }, &data)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]
    /// The fuzzers' broken inputs (mutated CSV, JSON lines and JSON
    /// documents; plain, compressed, or with the compressed stream itself
    /// mutated): both paths give the same report, errors and their lines
    /// included.
    #[test]
    fn fast_and_plain_paths_agree_on_the_fuzzers_broken_inputs(
        (name, data) in crate::fuzz_readers::broken_file(1..25),
    ) {
        same_on_file(&name, &data)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]
    /// As above with inputs of 64–200 KiB, so that the damage often lies
    /// past the sniffed head and several batches are read.
    #[test]
    fn fast_and_plain_paths_agree_on_broken_inputs_past_the_head(
        (name, data) in crate::fuzz_readers::broken_file(450..900),
    ) {
        same_on_file(&name, &data)?;
    }
}

/// Values the cell's early exit (`detect::holds_nothing_by_shape`) passes
/// (dates, timestamps, amounts, codes, numbers no kind takes, millisecond
/// times of a card's length) beside values of the same shapes it must
/// leave to the detectors (passports, mobiles, `86` and a mobile, cards,
/// IDs, addresses), so that a column runs through shapes and then meets
/// one that is not.
const SHAPED: &[&str] = &[
    "2024-05-01",
    "2024-05-01 12:30",
    "2024-05-01 12:30:59",
    "2024-02-30",
    "7830.42",
    "0.5",
    "CU0001",
    "ABCDEFGHIJ123456",
    "ABCDEFGHIJ1234567",
    "1788813438721",
    "1234567890123456",
    "12345678901234567890",
    "200030",
    "E1234567",
    "G12345678",
    "EA1234567",
    "13800138000",
    "8613800138000",
    "4652678861647499",
    "4111111111111111",
    "6222021234567890123",
    "110101200011243942",
    "11010519491231002X",
    "192.168.1.20",
    "10.0.0.256",
    "010.1.2.3",
    "1.2.3",
    "8.8.8.8.8",
    "user@example.com",
    "",
];

/// Headers whose names give hints (passport, card, mobile, IP, ID) or none.
const HEADERS: &[&str] = &[
    "passport",
    "护照号",
    "card_no",
    "mobile",
    "ip",
    "id_no",
    "created",
    "amount",
    "code",
    "note",
    "order_no",
];

/// A table of four columns under hinting headers, each cell one of
/// [`SHAPED`], sometimes with a byte changed, dropped or added, so that a
/// value near a shape's edge is as likely as one on it.
fn shaped_table() -> impl Strategy<Value = (Vec<&'static str>, Vec<Vec<String>>)> {
    let cell = (
        prop::sample::select(SHAPED),
        0u8..6,
        any::<prop::sample::Index>(),
        prop::sample::select(&b"0123456789AX-:. "[..]),
    )
        .prop_map(|(v, op, at, b)| {
            let mut s = v.as_bytes().to_vec();
            if !s.is_empty() {
                let i = at.index(s.len());
                match op {
                    0 => s[i] = b,
                    1 => {
                        s.remove(i);
                    }
                    2 => s.insert(i, b),
                    _ => {}
                }
            }
            String::from_utf8(s).unwrap()
        });
    (
        prop::collection::vec(prop::sample::select(HEADERS), 4),
        prop::collection::vec(prop::collection::vec(cell, 4), 1..40),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Columns that run through values told by their shape and then meet
    /// one that is not (the early exit is taken while a column's values
    /// keep passing it, `FieldAcc::shape_tries`): the same report on both
    /// paths, as CSV and as JSON lines (numbers as JSON numbers where they
    /// are ones).
    #[test]
    fn fast_and_plain_paths_agree_on_columns_of_shapes((header, rows) in shaped_table()) {
        let mut csv = header.join(",");
        let mut jsonl = String::new();
        for r in &rows {
            csv.push('\n');
            csv.push_str(&r.join(","));
            let rec: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(r)
                .map(|(h, v)| {
                    let j = match v.parse::<u64>() {
                        Ok(n) if !v.starts_with('0') || v == "0" => serde_json::json!(n),
                        _ => serde_json::json!(v),
                    };
                    (h.to_string(), j)
                })
                .collect();
            jsonl.push_str(&serde_json::Value::Object(rec).to_string());
            jsonl.push('\n');
        }
        csv.push('\n');
        same_on_file("shapes.csv", csv.as_bytes())?;
        same_on_file("shapes.jsonl", jsonl.as_bytes())?;
    }
}

/// [`same_keyed`] on `records` as JSON lines and as a JSON document (an
/// array of them, one a line).
fn same_as_lines_and_document(
    records: &[String],
    subject_key: Option<&str>,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let lines = write(dir.path(), "r.jsonl", records.join("\n").as_bytes());
    same_keyed(&[lines], subject_key)?;
    let doc = format!("[{}]", records.join(",\n"));
    same_keyed(&[write(dir.path(), "r.json", doc.as_bytes())], subject_key)
}

/// Keys of the JSON records below that the flat-record reader takes:
/// plain, hinting, a number, a mobile and a person's name (keys that are
/// personal data, counted as values), an empty one.
const JSON_KEYS: &[&str] = &[
    "\"name\"",
    "\"mobile\"",
    "\"note\"",
    "\"amount\"",
    "\"123\"",
    "\"13812345678\"",
    "\"张伟\"",
    "\"\"",
];

/// Values the flat-record reader takes: strings the detectors find, numbers
/// at the edges of those it prints as written, literals, objects and
/// lists inside.
const JSON_VALUES_TAKEN: &[&str] = &[
    "\"13812345678\"",
    "\"user@example.com\"",
    "\"110105194912310029\"",
    "\"张伟\"",
    "\"北京市东城区解放路250号\"",
    "\"\"",
    "0",
    "7",
    "13812345678",
    "-13812345678",
    "123456789012345678",
    "4111111111111111",
    "7830.42",
    "-0.5",
    "0.000000000000001",
    "123456789012.125",
    "true",
    "false",
    "null",
    // Objects and lists inside, with keys that are personal data, a key
    // the subject key's name one level down, empty ones.
    "{\"mobile\": \"13912345678\", \"13712345678\": {\"张伟\": [\"a\", 7]}}",
    "[\"13912345678\", 1.5, {\"name\": \"王芳\", \"x\": []}, [[\"user@example.com\"]]]",
    "{\"a\": {\"b\": {\"c\": \"110105194912310029\"}}, \"d\": null}",
    "{}",
    "[]",
    "[\"13912345678\"]",
    // Escapes serde reads: a name as Python writes it by default, a
    // mobile with an escaped digit, quotes and a surrogate pair.
    "\"\\u5f20\\u4f1f\"",
    "\"1381234\\u0035678\"",
    "\"a \\\"quoted\\\" 13812345678 \\ud83d\\ude00\\n\"",
    "{\"\\u59d3\\u540d\": \"\\u738b\\u82b3\"}",
];

/// Values and a key it leaves to serde: escapes serde turns down, control
/// characters,
/// numbers serde prints otherwise than written (some then identifiers),
/// broken literals, nesting with any of these.
const JSON_LEFT: &[&str] = &[
    "\"a \\q 13812345678\"",
    "\"\\ud800 13812345678\"",
    "\"\\u12\"",
    "\"tab\there\"",
    "-0",
    "1234567890123456789",
    "7830.40",
    "0.0000000000000001",
    "1234567890123.456",
    "1e3",
    "1.5E-7",
    "13812345678.0",
    "1.3812345678e10",
    "4111111111111111.0",
    "-0.0",
    "01",
    "1.",
    "nul",
    "{\"mobile\": \"13912345678\", \"n\": 1.50}",
    "[\"13912345678\", \"\\x31\"]",
    "[1,]",
];

/// One JSON record of pairs from the lists above, with whitespace of
/// every sort JSON allows: most records of pairs the reader takes, one in
/// four with a pair it leaves to serde (a value, or a key with an escape),
/// now and then more pairs than it takes or a byte of damage. (Records it
/// turns down eight in a row make it rest, `flat::Tries`.)
fn json_record() -> impl Strategy<Value = String> {
    let ws = || prop::sample::select(&["", " ", "\t", "\r", " \n "][..]);
    let pair = (
        prop::sample::select(JSON_KEYS),
        prop::sample::select(JSON_VALUES_TAKEN),
        ws(),
    )
        .prop_map(|(k, v, w)| format!("{w}{k}{w}:{w}{v}{w}"));
    let left = (prop::sample::select(JSON_LEFT), any::<bool>(), ws()).prop_map(|(v, in_key, w)| {
        if in_key {
            format!("{w}\"a\\u006\"{w}:{w}1{w}")
        } else {
            format!("{w}\"note\"{w}:{w}{v}{w}")
        }
    });
    (
        prop::collection::vec(pair, 0..8),
        (0..4u32, left, 0..8usize),
        0..100u32,
        prop::sample::select(&["", "x", ",", "}", "{", "\"", "\u{feff}"][..]),
    )
        .prop_map(|(pairs, (odd, left, at), wide, damage)| {
            let mut pairs = pairs;
            if odd == 0 {
                pairs.insert(at.min(pairs.len()), left);
            }
            if wide < 5 {
                // Past the 256 events (a pair each) the flat reader takes.
                pairs.extend((0..260).map(|i| format!("\"k{i}\": {i}")));
            }
            let mut r = format!("{{{}}}", pairs.join(","));
            if wide % 10 == 7 {
                r.push_str(damage);
            }
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    /// JSON lines and documents of records around the flat-record reader's
    /// edges (numbers it takes and those it leaves to serde, escapes,
    /// nesting, keys that are personal data, more than 256 events, damage):
    /// the same report, errors included, as serde's alone on the plain path.
    #[test]
    fn fast_and_plain_paths_agree_on_json_records_of_every_shape(
        records in prop::collection::vec(json_record(), 1..30),
        keyed in any::<bool>(),
    ) {
        // Individuals counted by a key's values (the fast path remembers
        // whether a key is the subject key) or by their identifiers.
        same_as_lines_and_document(&records, keyed.then_some("mobile"))?;
    }
}

/// A string of pieces the detectors find and characters JSON must escape
/// or may leave raw (quotes, backslashes, control characters, CJK, a
/// character outside the basic plane), and random ones.
fn json_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("13812345678".to_string()),
        Just("张伟".to_string()),
        Just("user@example.com".to_string()),
        Just("110105194912310029".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("\n\t\u{1}".to_string()),
        Just("\u{1F600}".to_string()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..5).prop_map(|v| v.concat())
}

/// Any JSON value up to four levels deep, its strings from [`json_text`]
/// (keys too), numbers of every sort serde writes.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    // Mostly what the flat-record reader takes (a record with one thing it
    // does not take is serde's whole, and eight in a row make it rest).
    let leaf = prop_oneof![
        8 => json_text().prop_map(Value::from),
        2 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        2 => (0u64..100_000, 0u32..4).prop_map(|(n, d)| Value::from(n as f64 / 10f64.powi(d as i32))),
        1 => any::<bool>().prop_map(Value::from),
        1 => Just(Value::Null),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec((json_text(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// `v` as JSON with every character outside ASCII written `\uXXXX` (a
/// surrogate pair past the basic plane), as Python's `json.dumps` writes
/// by default.
fn ascii_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    for c in v.to_string().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Records of any JSON (objects of any values, up to four levels, with
    /// strings that need escapes), written as serde writes them and with
    /// every non-ASCII character escaped: the same report on both paths,
    /// as JSON lines and as a document, counted by a key or not.
    #[test]
    fn fast_and_plain_paths_agree_on_any_json_records(
        records in prop::collection::vec(
            prop::collection::vec((json_text(), json_value()), 0..8),
            1..12,
        ),
        ascii in any::<bool>(),
        keyed in any::<bool>(),
    ) {
        let records: Vec<String> = records
            .into_iter()
            .map(|kv| {
                let v = serde_json::Value::Object(kv.into_iter().collect());
                if ascii { ascii_json(&v) } else { v.to_string() }
            })
            .collect();
        same_as_lines_and_document(&records, keyed.then_some("13812345678"))?;
    }
}
