//! Differential test of the scanner's fast paths (issue 13): the CSV
//! line splitter that bypasses `csv-core` and the detectors' SWAR `@`
//! search must give exactly the report of the plain paths, on the
//! generated corpus, the labelled test data, the fuzzers' broken inputs
//! (`fuzz_readers::broken_file`, small and past the sniffed head) and
//! random CSV bytes. (The fuzzers in fuzz_readers.rs run on the fast path,
//! the default, and check its properties; here each of their inputs is
//! also scanned on the plain path and the two reports compared.)

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use outbound_scan::{ScanOptions, corpus, scan_paths, set_plain_path};
use proptest::prelude::*;

use crate::common::{gzip, write};

/// One differential comparison at a time (the path switch is global).
static SWITCH: Mutex<()> = Mutex::new(());

fn report_json(paths: &[PathBuf], plain: bool) -> String {
    set_plain_path(Some(plain));
    let opts = ScanOptions {
        samples: 3,
        threads: Some(1),
        ..Default::default()
    };
    let r = scan_paths(paths, &opts);
    serde_json::to_string(&r).unwrap()
}

fn same(paths: &[PathBuf]) -> Result<(), TestCaseError> {
    let _g = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    let plain = report_json(paths, true);
    let fast = report_json(paths, false);
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
