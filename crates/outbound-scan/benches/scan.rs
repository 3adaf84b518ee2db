//! Throughput of the scanner on a generated 100k-row corpus, next to a
//! naive baseline (one `regex` per kind, every line, then validation).
//!
//! Run: `cargo bench -p outbound-scan` (reports bytes/s per benchmark).

use std::path::PathBuf;
use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::BytesCount;
use outbound_scan::detect::{self, bank_card, email, resident_id};
use outbound_scan::{ScanOptions, corpus, scan_paths};

fn main() {
    divan::main();
}

const ROWS: usize = 100_000;

static CORPUS: LazyLock<(Vec<u8>, corpus::GroundTruth)> =
    LazyLock::new(|| corpus::csv_bytes(ROWS, 2024));

/// `bytes` written to a file of the temporary directory named for this
/// process and `name`; the path and the size.
fn bench_file(name: &str, bytes: &[u8]) -> (PathBuf, usize) {
    let p = std::env::temp_dir().join(format!("outbound-scan-bench-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).expect("write a bench file");
    (p, bytes.len())
}

/// The scan of `file` (a path and its size) on one thread, timed.
fn one_thread(b: Bencher<'_, '_>, (path, len): &(PathBuf, usize)) {
    let opts = ScanOptions {
        threads: Some(1),
        ..Default::default()
    };
    b.counter(BytesCount::new(*len)).bench(|| {
        let r = scan_paths(std::slice::from_ref(path), &opts);
        assert_eq!(r.files[0].records, ROWS as u64);
        r
    });
}

static FILE: LazyLock<(PathBuf, usize)> = LazyLock::new(|| bench_file("corpus.csv", &CORPUS.0));

/// Whole pipeline: open, sniff, CSV parse, detect, classify, count
/// individuals; all cores.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn scan_file_all_threads(b: Bencher<'_, '_>) {
    let path = FILE.0.clone();
    b.counter(BytesCount::new(CORPUS.0.len())).bench(|| {
        let r = scan_paths(std::slice::from_ref(&path), &ScanOptions::default());
        assert_eq!(r.files[0].records, ROWS as u64);
        r
    });
}

/// Whole pipeline on one thread.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn scan_file_one_thread(b: Bencher<'_, '_>) {
    one_thread(b, &FILE);
}

static CUSTOMERS: LazyLock<(PathBuf, usize)> =
    LazyLock::new(|| bench_file("customers.csv", &corpus::customers_csv_bytes(ROWS, 2024).0));

/// Whole pipeline on one thread over the customer table (twenty columns,
/// seven of them personal data: the shape issue 13 measured on).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn scan_customer_table_one_thread(b: Bencher<'_, '_>) {
    one_thread(b, &CUSTOMERS);
}

static LOG: LazyLock<(PathBuf, usize)> = LazyLock::new(|| {
    use std::fmt::Write;
    // The corpus's records as an application's log lines (as in
    // docs/PERFORMANCE.md's throughput commands): keywords, `key=value`
    // pairs and a timestamp, free text throughout.
    let mut rdr = csv::Reader::from_reader(&CORPUS.0[..]);
    let mut log = String::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.expect("corpus record");
        // name,id_no,mobile,email,card_no,order_no,created_ms,amount,note
        writeln!(
            log,
            "2026-11-23T08:{:02}:{:02}Z INFO order={} ts={} customer name={} id {} tel {} mail {} card {} amount={} note={}",
            i / 60 % 60,
            i % 60,
            &r[5],
            &r[6],
            &r[0],
            &r[1],
            &r[2],
            &r[3],
            &r[4],
            &r[7],
            &r[8]
        )
        .expect("write to a String");
    }
    bench_file("corpus.log", log.as_bytes())
});

/// Whole pipeline on one thread over the corpus as log lines (text: the
/// free-text detectors and keyword context, no CSV).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn scan_log_one_thread(b: Bencher<'_, '_>) {
    one_thread(b, &LOG);
}

static CUSTOMER_LINES: LazyLock<(PathBuf, usize)> = LazyLock::new(|| {
    // The customer table as JSON lines, an object a row with its header's
    // keys (numbers as strings, as a CSV export turned JSON has them).
    let (csv, _) = corpus::customers_csv_bytes(ROWS, 2024);
    let mut rdr = csv::Reader::from_reader(&csv[..]);
    let keys = rdr.headers().expect("customer header").clone();
    let mut lines = String::new();
    for r in rdr.records() {
        let r = r.expect("customer record");
        let obj: serde_json::Map<String, serde_json::Value> = keys
            .iter()
            .zip(r.iter())
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        lines.push_str(&serde_json::Value::Object(obj).to_string());
        lines.push('\n');
    }
    bench_file("customers.jsonl", lines.as_bytes())
});

/// Whole pipeline on one thread over the customer table as JSON lines
/// (the flat-record reader, `scan/flat.rs`).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn scan_customer_json_lines_one_thread(b: Bencher<'_, '_>) {
    one_thread(b, &CUSTOMER_LINES);
}

static CHINESE: LazyLock<(PathBuf, usize)> = LazyLock::new(|| {
    // Chinese free text (customer-service notes, chat): lines of 20–60
    // common characters, none of them a plate's province or a keyword's
    // first character, and a mobile after `，电话` on every seventh line.
    let chars: Vec<char> = "请您核对以下信息谢谢合作我们已经收到您的订单将尽快为发货如有问题随时联系客服今天天气很好明天会下雨"
        .chars()
        .collect();
    let mut rng = corpus::Rng::new(2024);
    let mut text = String::new();
    for i in 0..ROWS {
        for _ in 0..20 + rng.below(41) {
            text.push(*rng.pick(&chars));
        }
        if i % 7 == 0 {
            text.push_str(&format!("，电话138{:08}", rng.below(100_000_000)));
        }
        text.push('\n');
    }
    bench_file("chinese.txt", text.as_bytes())
});

/// Whole pipeline on one thread over Chinese text (the free-text loop's
/// runs of plain characters, `detect::plain_cjk_end`).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn scan_chinese_text_one_thread(b: Bencher<'_, '_>) {
    one_thread(b, &CHINESE);
}

/// The detector alone, each line treated as free text (no CSV parsing).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn detect_lines(b: Bencher<'_, '_>) {
    let data = &CORPUS.0;
    b.counter(BytesCount::new(data.len())).bench(|| {
        let mut n = 0u64;
        for line in data.split(|&c| c == b'\n') {
            detect::scan_free_text(line, &mut |_, _, _| n += 1);
        }
        n
    });
}

static NAIVE: LazyLock<Vec<regex::bytes::Regex>> = LazyLock::new(|| {
    [
        r"\b\d{17}[\dXx]\b",                               // resident ID
        r"\b1[3-9]\d{9}\b",                                // mobile
        r"\b\d{13,19}\b",                                  // card
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", // email
        r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b",         // ipv4
        r"\b0\d{2,3}-\d{7,8}\b",                           // landline
        r"\b[EG]\d{8}\b",                                  // passport
    ]
    .iter()
    .map(|p| regex::bytes::Regex::new(p).expect("baseline regex"))
    .collect()
});

/// Naive baseline: one regex per kind over every line, validating matches
/// with the same validators.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn naive_regex_per_kind(b: Bencher<'_, '_>) {
    let data = &CORPUS.0;
    let res = &*NAIVE;
    b.counter(BytesCount::new(data.len())).bench(|| {
        let mut n = 0u64;
        for line in data.split(|&c| c == b'\n') {
            for (i, re) in res.iter().enumerate() {
                for m in re.find_iter(line) {
                    let v = m.as_bytes();
                    let ok = match i {
                        0 => resident_id::is_valid(v),
                        2 => bank_card::is_valid(v, false),
                        3 => email::is_valid(v),
                        _ => true,
                    };
                    n += u64::from(ok);
                }
            }
        }
        n
    });
}
