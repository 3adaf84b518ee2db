//! Precision and recall per kind on values nobody in this project wrote:
//! Faker's zh_CN provider (PyPI), labelled by `scripts/faker_labelled.py`.
//! Run the whole measurement with `scripts/accuracy-faker.sh` (it makes the
//! venv, writes the TSV under `target/` and calls this example):
//!
//! ```sh
//! cargo run --release -p outbound-scan --example accuracy_faker -- target/faker/labelled.tsv
//! ```
//!
//! Each value is scanned six ways:
//! 1. as a CSV cell under its natural column name (`name`, `姓名`,
//!    `address`, `mobile`, `id_no`, `email`; `company`, `job_title`,
//!    `remark` … for the negatives), which gives the detectors their hint;
//! 2. as a cell under the neutral column name `col3` (no hint);
//! 3. as a free-text line, the value alone;
//! 4. as a free-text line `KEYWORD：value` with the label that would
//!    introduce it (`姓名`, `联系人`, `地址`, `手机`, `身份证号`, `邮箱`;
//!    `公司`, `职位`, `备注` … for the negatives);
//! 5. as a field name (a JSON key or a CSV header cell), which the scanner
//!    masks and the gate refuses when it is personal data
//!    ([`detect::kind_of_field_name`]);
//! 6. as a field name read as the gate reads it
//!    ([`detect::kind_of_field_name_strict`]: only an ending tells a field
//!    word from a person's name).
//!
//! Cells are scanned as `outbound scan` scans them (a cell of 24+ bytes
//! under an unrecognised header is free text). A value labelled with a kind
//! is a TP when a match of that kind overlaps it, an FN otherwise; every
//! match of another kind on it, and every match on a negative (`none`), is
//! an FP of the matched kind. Precision therefore depends on the mix (the
//! script writes the same number of values per Faker generator).

use std::collections::BTreeMap;

use outbound_scan::Kind;
use outbound_scan::detect::{self, Hints};

/// One labelled row.
struct Row {
    kind: Option<Kind>,
    value: String,
    header: String,
    source: String,
    keyword: String,
}

fn load(path: &str) -> Result<Vec<Row>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut rows = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 5 {
            return Err(format!("{path} line {}: expected 5 columns", i + 1));
        }
        let kind = match cols[0] {
            "none" => None,
            k => Some(
                Kind::from_str_id(k)
                    .ok_or_else(|| format!("{path} line {}: unknown kind {k:?}", i + 1))?,
            ),
        };
        rows.push(Row {
            kind,
            value: cols[1].to_string(),
            header: cols[2].to_string(),
            source: cols[3].to_string(),
            keyword: cols[4].to_string(),
        });
    }
    Ok(rows)
}

/// The kinds found on `value` scanned in `mode`.
fn found(r: &Row, mode: Mode) -> Vec<Kind> {
    let mut kinds = Vec::new();
    let mut emit = |k: Kind, _, _| {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    };
    let v = r.value.as_bytes();
    let hints = match mode {
        Mode::Hinted => Hints::from_header(&r.header),
        Mode::Neutral => Hints::from_header("col3"),
        Mode::FreeText => {
            detect::scan_free_text(v, &mut emit);
            return kinds;
        }
        Mode::FieldName => {
            kinds.extend(detect::kind_of_field_name(r.value.trim()));
            return kinds;
        }
        Mode::GateFieldName => {
            kinds.extend(detect::kind_of_field_name_strict(r.value.trim()));
            return kinds;
        }
        Mode::Keyword => {
            // Only matches on the value count, not on the keyword.
            let line = format!("{}：{}", r.keyword, r.value);
            let off = line.len() - v.len();
            detect::scan_free_text(line.as_bytes(), &mut |k, _, b| {
                if b > off {
                    emit(k, 0, 0);
                }
            });
            return kinds;
        }
    };
    if hints.is_empty() && v.len() >= 24 {
        detect::scan_free_text(v, &mut emit);
    } else {
        detect::scan_value(v, hints, &mut emit);
    }
    kinds
}

#[derive(Clone, Copy)]
enum Mode {
    Hinted,
    Neutral,
    FreeText,
    Keyword,
    FieldName,
    GateFieldName,
}

#[derive(Default)]
struct Tally {
    values: u64,
    tp: u64,
    fn_: u64,
    fp: u64,
}

fn pct(n: u64, d: u64) -> String {
    if d == 0 {
        "–".into()
    } else {
        format!("{:.2} %", n as f64 * 100.0 / d as f64)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/faker/labelled.tsv".into());
    let rows = load(&path)?;
    println!("{} labelled values from `{path}`.\n", rows.len());
    for (mode, title) in [
        (Mode::Hinted, "cell under its natural column name (hint)"),
        (Mode::Neutral, "cell under the column name `col3` (no hint)"),
        (Mode::FreeText, "free-text line, the value alone"),
        (Mode::Keyword, "free-text line `KEYWORD：value`"),
        (
            Mode::FieldName,
            "field name (a JSON key, a CSV header cell)",
        ),
        (
            Mode::GateFieldName,
            "field name as the gate reads it (strict)",
        ),
    ] {
        let mut per_kind: BTreeMap<String, Tally> = BTreeMap::new();
        // (kind found or missed, source) -> (count, up to 3 samples)
        let mut misses: BTreeMap<(String, String), (u64, Vec<String>)> = BTreeMap::new();
        let mut fps: BTreeMap<(String, String), (u64, Vec<String>)> = BTreeMap::new();
        let mut negatives = (0u64, 0u64);
        for r in &rows {
            let kinds = found(r, mode);
            if let Some(k) = r.kind {
                let t = per_kind.entry(k.to_string()).or_default();
                t.values += 1;
                if kinds.contains(&k) {
                    t.tp += 1;
                } else {
                    t.fn_ += 1;
                    let e = misses
                        .entry((k.to_string(), format!("{} / `{}`", r.source, r.header)))
                        .or_default();
                    e.0 += 1;
                    if e.1.len() < 3 {
                        e.1.push(r.value.clone());
                    }
                }
            } else {
                negatives.0 += 1;
                if kinds.is_empty() {
                    negatives.1 += 1;
                }
            }
            for f in kinds.into_iter().filter(|f| Some(*f) != r.kind) {
                per_kind.entry(f.to_string()).or_default().fp += 1;
                let e = fps
                    .entry((f.to_string(), format!("{} / `{}`", r.source, r.header)))
                    .or_default();
                e.0 += 1;
                if e.1.len() < 3 {
                    e.1.push(r.value.clone());
                }
            }
        }
        println!("### {title}\n");
        println!("| kind | labelled values | TP | FN | FP | precision | recall |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for (k, t) in &per_kind {
            println!(
                "| `{k}` | {} | {} | {} | {} | {} | {} |",
                t.values,
                t.tp,
                t.fn_,
                t.fp,
                pct(t.tp, t.tp + t.fp),
                pct(t.tp, t.tp + t.fn_)
            );
        }
        println!(
            "\nNegatives with no match: {} of {} ({}).\n",
            negatives.1,
            negatives.0,
            pct(negatives.1, negatives.0)
        );
        for (what, map) in [("Misses (FN)", &misses), ("False positives", &fps)] {
            if map.is_empty() {
                continue;
            }
            println!("{what}, by kind and Faker source / column:\n");
            println!("| kind | source / column | count | synthetic samples |");
            println!("|---|---|---:|---|");
            for ((k, src), (n, samples)) in map {
                let s: Vec<String> = samples.iter().map(|v| format!("`{v}`")).collect();
                println!("| `{k}` | {src} | {n} | {} |", s.join(", "));
            }
            println!();
        }
    }
    Ok(())
}
