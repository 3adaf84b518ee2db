//! Fuzzing the readers through `scan_paths` (issue 3: bad input).
//!
//! Properties checked on every case (see [`check`]):
//! - the scan never panics (a panic fails the case);
//! - every error names a scanned file or directory, and an error about the
//!   content carries a line or a byte offset (line >= 1);
//! - a broken file does not stop the valid file beside it from being
//!   reported in full (same records and kinds as the ground truth);
//! - no error message contains data from the input (a synthetic marker
//!   inserted into the broken data never shows up in a message).
//!
//! Cases: `arbitrary_bytes_under_each_extension` 1,200,
//! `mutated_valid_inputs` 1,600, `several_broken_files_in_one_directory`
//! 250, `mutated_inputs_past_the_head` 150,
//! `mutated_json_document_errors_are_placed_as_serde_places_them` 500
//! (3,700 in total); the plain tests for specific bad inputs are in
//! `bad_inputs.rs`. The whole file takes about 20 s in a
//! debug build; `OUTBOUND_FUZZ_SCALE=N` multiplies the case counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use outbound_scan::{ErrorEntry, FileReport, ScanReport, corpus};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::common::{gzip, scan, write};

/// Synthetic markers put into broken data; they must never appear in an
/// error message. One is all digits (a JSON number, a CSV cell), one is
/// a word.
pub(crate) const MARK_NUM: &str = "48151623420";
pub(crate) const MARK_TXT: &str = "zqMARKERxv";

/// Forms in which the markers are inserted.
const MARKED: &[&[u8]] = &[
    b"48151623420",
    b"\"48151623420\"",
    b"{\"zqMARKERxv\":48151623420}",
    b"zqMARKERxv",
    b"\xffzqMARKERxv\xfe",
    b"\"zqMARKERxv",
    b"[48151623420,",
    b"\"zqMARKERxv\":",
];

/// Snippets inserted by mutations: quotes, newlines, NULs, invalid UTF-8,
/// JSON and CSV punctuation.
const SNIPPETS: &[&[u8]] = &[
    b"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b"\0",
    b"\0\0\0\0",
    b"\xff",
    b"\xc3",
    b"\xe4\xb8",
    b"\xed\xa0\x80",
    b"\xfe\xff",
    b"\xef\xbb\xbf",
    b",",
    b"\t",
    b";",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"\"\n\"",
    b",,,,,,",
    b"\n\n\n",
    b"#",
    b"1e999999",
    b"-",
    b"[[[[[[[[[[[[[[[[",
];

// ---------------------------------------------------------------- helpers

pub(crate) fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 1).unwrap()
}

/// The valid file put beside broken ones: corpus CSV and its truth.
fn good() -> &'static (Vec<u8>, corpus::GroundTruth) {
    static G: OnceLock<(Vec<u8>, corpus::GroundTruth)> = OnceLock::new();
    G.get_or_init(|| corpus::csv_bytes(20, 42))
}

pub(crate) fn write_good(dir: &Path) -> PathBuf {
    write(dir, "good.csv", &good().0)
}

fn file_kinds(f: &FileReport) -> BTreeMap<&'static str, u64> {
    let mut m = BTreeMap::new();
    for field in &f.fields {
        for (k, v) in &field.kinds {
            *m.entry(*k).or_default() += v;
        }
    }
    m
}

pub(crate) fn file<'a>(r: &'a ScanReport, p: &Path) -> &'a FileReport {
    let name = p.display().to_string();
    r.files
        .iter()
        .find(|f| f.path == name)
        .unwrap_or_else(|| panic!("{name} not reported: {:?}", r.files))
}

/// The valid file is reported in full and has no errors.
pub(crate) fn assert_good(r: &ScanReport, p: &Path) -> Result<(), TestCaseError> {
    let gt = &good().1;
    let f = file(r, p);
    prop_assert_eq!(f.records, gt.rows);
    prop_assert_eq!(&file_kinds(f), &gt.kinds);
    let name = p.display().to_string();
    prop_assert!(
        !r.errors.iter().any(|e| e.path == name),
        "error on the valid file: {:?}",
        r.errors
    );
    Ok(())
}

/// Errors about reaching a file (not its content) need no location.
fn is_access_error(e: &ErrorEntry) -> bool {
    e.message.starts_with("cannot open")
        || e.message.starts_with("cannot read directory")
        || e.message.starts_with("Parquet support is not compiled in")
}

/// The properties every report must have. `named` are the paths an error
/// may name (files and directories given or found).
pub(crate) fn check(r: &ScanReport, named: &[&Path]) -> Result<(), TestCaseError> {
    let names: Vec<String> = named.iter().map(|p| p.display().to_string()).collect();
    for e in &r.errors {
        prop_assert!(
            names.contains(&e.path),
            "error does not name a scanned path: {e:?}"
        );
        if !is_access_error(e) {
            prop_assert!(
                e.line.is_some() || e.offset.is_some(),
                "content error without line or offset: {e:?}"
            );
        }
        if let Some(l) = e.line {
            prop_assert!(l >= 1, "line numbers are 1-based: {e:?}");
        }
        prop_assert!(
            !e.message.contains(MARK_NUM) && !e.message.contains(MARK_TXT),
            "input data in an error message: {e:?}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- strategies

/// Bytes biased toward the characters the parsers care about.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        any::<u8>(),
        prop::sample::select(b",;\t|\n\r\" {}[]:\\#0123456789aez-.\xff\xc3\xe4\x00".to_vec()),
    ]
}

const EXTS: &[&str] = &[
    ".csv",
    ".tsv",
    ".jsonl",
    ".json",
    ".txt",
    ".log",
    ".csv.gz",
    ".jsonl.zst",
];

/// How an arbitrary payload is stored under a compressed extension.
#[derive(Debug, Clone, Copy)]
enum Wrap {
    /// As is (usually no magic: read as plain).
    Raw,
    /// Properly compressed with the extension's codec.
    Compressed,
    /// The codec's magic followed by garbage.
    MagicGarbage,
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Truncate(Index),
    Insert(Index, Index),
    DupLine(Index),
    Delete(Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(i, s)| Mutation::Insert(i, s)),
        2 => any::<Index>().prop_map(Mutation::DupLine),
        1 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn apply(data: &mut Vec<u8>, m: &Mutation) {
    let len = data.len();
    match m {
        Mutation::Flip(i, bit) => {
            if len > 0 {
                data[i.index(len)] ^= 1 << bit;
            }
        }
        Mutation::Truncate(i) => data.truncate(i.index(len + 1)),
        Mutation::Insert(i, s) => {
            let s = SNIPPETS[s.index(SNIPPETS.len())];
            let at = i.index(len + 1);
            data.splice(at..at, s.iter().copied());
        }
        Mutation::DupLine(i) => {
            let starts: Vec<usize> = std::iter::once(0)
                .chain(memchr_lines(data))
                .filter(|&s| s < len)
                .collect();
            if starts.is_empty() {
                return;
            }
            let k = i.index(starts.len());
            let (a, b) = (starts[k], starts.get(k + 1).copied().unwrap_or(len));
            let line = data[a..b].to_vec();
            data.splice(b..b, line);
        }
        Mutation::Delete(i, n) => {
            let at = i.index(len + 1);
            data.drain(at..(at + n).min(len));
        }
    }
}

pub(crate) fn memchr_lines(d: &[u8]) -> impl Iterator<Item = usize> + '_ {
    d.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
}

fn insert_at(data: &mut Vec<u8>, i: Index, s: &[u8]) {
    let at = i.index(data.len() + 1);
    data.splice(at..at, s.iter().copied());
}

/// Valid inputs the mutations start from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Base {
    Csv,
    JsonLines,
    JsonDoc,
}

pub(crate) fn json_record(i: u64, seed: u64) -> String {
    format!(
        r#"{{"id":{i},"name":"张伟{i}","contact":{{"phone":"1381234{:04}","email":"u{i}@example.com"}},"id_no":"11010519491231002X","tags":["a",{{"k":{}}}],"ok":true,"n":null,"amount":-12.5e1}}"#,
        (seed + i) % 10_000,
        seed % 1000
    )
}

pub(crate) fn base_bytes(base: Base, n: usize, seed: u64) -> Vec<u8> {
    match base {
        Base::Csv => corpus::csv_bytes(n, seed).0,
        Base::JsonLines => {
            let mut s = String::new();
            for i in 0..n as u64 {
                s.push_str(&json_record(i, seed));
                s.push('\n');
            }
            s.into_bytes()
        }
        Base::JsonDoc => {
            let recs: Vec<String> = (0..n as u64).map(|i| json_record(i, seed)).collect();
            format!("[\n{}\n]\n", recs.join(",\n")).into_bytes()
        }
    }
}

/// Where compression happens relative to the mutations.
#[derive(Debug, Clone, Copy)]
enum Codec {
    Plain,
    /// Mutate, then gzip (a valid stream of broken content).
    GzipAfter,
    ZstdAfter,
    /// Gzip, then mutate the compressed bytes (a corrupt stream).
    GzipCorrupt,
    ZstdCorrupt,
}

fn codec() -> impl Strategy<Value = Codec> {
    prop_oneof![
        3 => Just(Codec::Plain),
        1 => Just(Codec::GzipAfter),
        1 => Just(Codec::ZstdAfter),
        1 => Just(Codec::GzipCorrupt),
        1 => Just(Codec::ZstdCorrupt),
    ]
}

/// A broken file: name and bytes; `records` of valid input before the
/// mutations.
pub(crate) fn broken_file(
    records: std::ops::Range<usize>,
) -> impl Strategy<Value = (String, Vec<u8>)> {
    (
        prop_oneof![Just(Base::Csv), Just(Base::JsonLines), Just(Base::JsonDoc)],
        records,
        any::<u64>(),
        codec(),
        any::<Index>(),
        any::<Index>(),
        prop::collection::vec(mutation(), 1..5),
    )
        .prop_map(|(base, n, seed, codec, mi, mk, muts)| {
            let mut data = base_bytes(base, n, seed);
            insert_at(&mut data, mi, MARKED[mk.index(MARKED.len())]);
            let ext = match base {
                Base::Csv => "csv",
                Base::JsonLines => "jsonl",
                Base::JsonDoc => "json",
            };
            let (suffix, data) = match codec {
                Codec::Plain | Codec::GzipAfter | Codec::ZstdAfter => {
                    for m in &muts {
                        apply(&mut data, m);
                    }
                    match codec {
                        Codec::GzipAfter => (".gz", gzip(&data)),
                        Codec::ZstdAfter => (".zst", zst(&data)),
                        _ => ("", data),
                    }
                }
                Codec::GzipCorrupt | Codec::ZstdCorrupt => {
                    let (s, mut c) = if matches!(codec, Codec::GzipCorrupt) {
                        (".gz", gzip(&data))
                    } else {
                        (".zst", zst(&data))
                    };
                    for m in &muts {
                        apply(&mut c, m);
                    }
                    (s, c)
                }
            };
            (format!("broken.{ext}{suffix}"), data)
        })
}

/// `cases` times `OUTBOUND_FUZZ_SCALE` (default 1), for longer runs.
fn config(cases: u32) -> ProptestConfig {
    let scale = std::env::var("OUTBOUND_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(1);
    ProptestConfig {
        cases: cases.saturating_mul(scale),
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(config(1_200))]

    /// (a) Arbitrary bytes under each extension, beside a valid file.
    #[test]
    fn arbitrary_bytes_under_each_extension(
        bytes in prop::collection::vec(byte(), 0..1536),
        ext in 0..EXTS.len(),
        wrap in prop_oneof![Just(Wrap::Raw), Just(Wrap::Compressed), Just(Wrap::MagicGarbage)],
        marker in (any::<Index>(), any::<Index>()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let ext = EXTS[ext];
        let mut bytes = bytes;
        insert_at(&mut bytes, marker.0, MARKED[marker.1.index(MARKED.len())]);
        let data = match (ext.ends_with(".gz"), ext.ends_with(".zst"), wrap) {
            (true, _, Wrap::Compressed) => gzip(&bytes),
            (true, _, Wrap::MagicGarbage) => [&[0x1f, 0x8b][..], &bytes].concat(),
            (_, true, Wrap::Compressed) => zst(&bytes),
            (_, true, Wrap::MagicGarbage) => [&[0x28, 0xb5, 0x2f, 0xfd][..], &bytes].concat(),
            _ => bytes,
        };
        let bad = write(dir.path(), &format!("arb{ext}"), &data);
        let ok = write_good(dir.path());
        let r = scan(&[bad.clone(), ok.clone()]);
        prop_assert_eq!(r.files.len(), 2);
        check(&r, &[&bad])?;
        assert_good(&r, &ok)?;
    }
}

proptest! {
    #![proptest_config(config(500))]

    /// A JSON document with one byte removed or put in: its error is where
    /// serde, reading the file as a stream, places it (the reader parses
    /// the records it holds itself and gives serde stand-ins for them), and
    /// a document serde reads whole has no error.
    #[test]
    fn mutated_json_document_errors_are_placed_as_serde_places_them(
        n in 1..8u64,
        seed in any::<u64>(),
        sep in prop_oneof![Just(","), Just(",\n"), Just(" ,\n  "), Just("\n,")],
        at in any::<Index>(),
        what in 0..10usize,
    ) {
        let recs: Vec<String> = (0..n).map(|i| json_record(i, seed)).collect();
        let mut doc = format!("[{}]\n", recs.join(sep)).into_bytes();
        let i = at.index(doc.len());
        match what {
            0 => {
                doc.remove(i);
            }
            k => doc.insert(i, b",]}{\"x:\n1"[k - 1]),
        }
        // A character cut in two makes the file another encoding, read
        // after transcoding: not what is checked here.
        prop_assume!(std::str::from_utf8(&doc).is_ok());
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "m.json", &doc);
        let r = scan(std::slice::from_ref(&p));
        // Into a `Value`, which reads every string as the scanner does.
        match serde_json::from_reader::<_, serde_json::Value>(&doc[..]) {
            Ok(_) => prop_assert!(r.errors.is_empty(), "{:?}", r.errors),
            Err(e) => {
                prop_assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
                let got = &r.errors[0];
                prop_assert_eq!(got.line, Some(e.line() as u64), "{:?} / {}", got, e);
                let place = format!(" at line {} column {}", e.line(), e.column());
                prop_assert!(got.message.ends_with(&place), "{:?} / {}", got, e);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(1_600))]

    /// (b) Mutations of valid CSV (corpus), JSON lines and JSON documents,
    /// plain, compressed after mutating, or with the compressed stream
    /// itself mutated; scanned as a directory with a valid file beside.
    #[test]
    fn mutated_valid_inputs((name, data) in broken_file(1..25)) {
        let dir = tempfile::tempdir().unwrap();
        let bad = write(dir.path(), &name, &data);
        let ok = write_good(dir.path());
        let r = scan(&[dir.path().to_path_buf()]);
        prop_assert_eq!(r.files.len(), 2);
        file(&r, &bad);
        check(&r, &[&bad, dir.path()])?;
        assert_good(&r, &ok)?;
    }
}

proptest! {
    #![proptest_config(config(250))]

    /// Several broken files scanned together (in parallel) with a valid
    /// one: each error is attributed to its own file.
    #[test]
    fn several_broken_files_in_one_directory(
        files in prop::collection::vec(broken_file(1..25), 2..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for (i, (name, data)) in files.iter().enumerate() {
            paths.push(write(dir.path(), &format!("{i}-{name}"), data));
        }
        let ok = write_good(dir.path());
        let r = scan(&[dir.path().to_path_buf()]);
        prop_assert_eq!(r.files.len(), files.len() + 1);
        let mut named: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        named.push(dir.path());
        check(&r, &named)?;
        assert_good(&r, &ok)?;
    }
}

proptest! {
    #![proptest_config(config(150))]

    /// As `mutated_valid_inputs`, with inputs of 64–200 KiB so that the
    /// damage often lies past the sniffed 64 KiB head (the batch readers'
    /// error paths rather than the sniffer's).
    #[test]
    fn mutated_inputs_past_the_head((name, data) in broken_file(450..900)) {
        let dir = tempfile::tempdir().unwrap();
        let bad = write(dir.path(), &name, &data);
        let ok = write_good(dir.path());
        let r = scan(&[bad.clone(), ok.clone()]);
        prop_assert_eq!(r.files.len(), 2);
        check(&r, &[&bad])?;
        assert_good(&r, &ok)?;
    }
}
