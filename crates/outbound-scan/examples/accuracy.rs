//! Precision and recall per kind, printed as Markdown (the figures of
//! `docs/ACCURACY.md`):
//!
//! ```sh
//! cargo run --release -p outbound-scan --example accuracy -- 100000 42
//! ```
//!
//! Arguments: corpus rows (default 100000) and seed (default 42).
//!
//! Two measurements:
//! 1. The generated tables ([`outbound_scan::corpus`]: the corpus of
//!    personal data and decoys, then the twenty-column customer table):
//!    every cell is scanned as `outbound scan` scans a CSV cell (the column
//!    header gives the hints; cells of 24+ bytes under an unrecognised
//!    header are free text), and the matches per (column, kind) are compared with the
//!    generator's ground truth. The generators only record counts per column,
//!    so per column and kind TP = min(found, true), FP = found − TP,
//!    FN = true − TP: an FP and an FN in the same column would cancel (the
//!    second table shows every column, decoy columns included, to make that
//!    visible). The same counts are then taken again through the full
//!    pipeline ([`outbound_scan::scan_paths`] on a temporary file) and must
//!    agree.
//! 2. The labelled public cases of `tests/data/labelled.tsv`, judged one by
//!    one (see `tests/data/labelled.rs`), with every disagreement listed.

use std::collections::BTreeMap;

use outbound_scan::{KIND_COUNT, Kind, ScanOptions, corpus, scan_paths};

#[path = "../tests/data/labelled.rs"]
mod labelled;

use labelled::Counts;

fn pct(x: Option<f64>) -> String {
    match x {
        Some(v) => format!("{:.2} %", v * 100.0),
        None => "–".into(),
    }
}

/// One generated table's section: per kind and per column, the matches
/// of every cell against the generator's ground truth, and whether the
/// whole pipeline counts the same.
fn corpus_section(
    title: &str,
    generator: &str,
    (rows, seed): (usize, u64),
    bytes: &[u8],
    gt: &corpus::GroundTruth,
) -> Result<(), Box<dyn std::error::Error>> {
    let labelled::CorpusCells {
        headers,
        found,
        cells,
    } = labelled::corpus_cells(bytes);

    // The same counts through the whole pipeline.
    let tmp = std::env::temp_dir().join(format!("outbound-accuracy-{}.csv", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    let report = scan_paths(std::slice::from_ref(&tmp), &ScanOptions::default());
    let _ = std::fs::remove_file(&tmp);
    let mut pipeline_agrees = report.errors.is_empty();
    for (i, h) in headers.iter().enumerate() {
        let fr = report.files[0]
            .fields
            .iter()
            .find(|f| f.field.as_deref() == Some(h.as_str()));
        for k in Kind::ALL {
            let p = fr
                .and_then(|f| f.kinds.get(k.as_str()))
                .copied()
                .unwrap_or(0);
            pipeline_agrees &= p == found[i][k as usize];
        }
    }

    let mut per_kind = [Counts::default(); KIND_COUNT];
    let mut col_rows = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let truth = gt.fields.get(h.as_str()).cloned().unwrap_or_default();
        let mut desc_true = Vec::new();
        let mut desc_found = Vec::new();
        for k in Kind::ALL {
            let t = truth.get(k.as_str()).copied().unwrap_or(0);
            let d = found[i][k as usize];
            let tp = t.min(d);
            per_kind[k as usize].tp += tp;
            per_kind[k as usize].fp += d - tp;
            per_kind[k as usize].fn_ += t - tp;
            if t > 0 {
                desc_true.push(format!("{k} {t}"));
            }
            if d > 0 {
                desc_found.push(format!("{k} {d}"));
            }
        }
        let none = || "0".to_string();
        col_rows.push(format!(
            "| `{h}` | {} | {} | {} |",
            cells[i],
            if desc_true.is_empty() {
                none()
            } else {
                desc_true.join(", ")
            },
            if desc_found.is_empty() {
                none()
            } else {
                desc_found.join(", ")
            },
        ));
    }

    println!("## {title}\n");
    println!(
        "{rows} rows, seed {seed}, {:.1} MB; `outbound_scan::corpus::{generator}`.\n",
        bytes.len() as f64 / 1e6
    );
    println!("| kind | true values | TP | FP | FN | precision | recall |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for k in Kind::ALL {
        let c = per_kind[k as usize];
        if c.tp + c.fp + c.fn_ == 0 {
            continue;
        }
        println!(
            "| `{k}` | {} | {} | {} | {} | {} | {} |",
            c.tp + c.fn_,
            c.tp,
            c.fp,
            c.fn_,
            pct(c.precision()),
            pct(c.recall())
        );
    }
    println!("\nPer column (decoy columns included):\n");
    println!("| column | non-empty cells | true values (generator) | reported |");
    println!("|---|---:|---|---|");
    for r in &col_rows {
        println!("{r}");
    }
    println!(
        "\nFull pipeline (`scan_paths`) counts per column and kind {} the per-cell counts above.",
        if pipeline_agrees {
            "equal"
        } else {
            "DIFFER FROM"
        }
    );

    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().as_deref().unwrap_or("100000").parse()?;
    let seed: u64 = args.next().as_deref().unwrap_or("42").parse()?;

    // ---- 1. generated tables ------------------------------------------
    let (bytes, gt) = corpus::csv_bytes(rows, seed);
    corpus_section("Generated corpus", "write_csv", (rows, seed), &bytes, &gt)?;
    println!();
    let (bytes, gt) = corpus::customers_csv_bytes(rows, seed);
    corpus_section(
        "Customer table",
        "write_customers_csv",
        (rows, seed),
        &bytes,
        &gt,
    )?;
    println!();

    // ---- 2. labelled public cases --------------------------------------
    let cases = labelled::load_default();
    let mut counts = [Counts::default(); KIND_COUNT];
    let mut sources: BTreeMap<Kind, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut n_valid = [0u64; KIND_COUNT];
    let mut n_invalid = [0u64; KIND_COUNT];
    let mut misses = Vec::new();
    for c in &cases {
        let v = labelled::judge(c);
        labelled::tally(&mut counts, c, &v);
        let src = c.source.split(" (").next().unwrap_or(&c.source);
        sources.entry(c.kind).or_default().insert(src.to_string());
        if c.valid {
            n_valid[c.kind as usize] += 1;
        } else {
            n_invalid[c.kind as usize] += 1;
        }
        if !v.agrees(c) || !v.notes.is_empty() {
            misses.push((c.clone(), v));
        }
    }
    println!("\n## Public test cases\n");
    println!(
        "{} cases from `crates/outbound-scan/tests/data/labelled.tsv`.\n",
        cases.len()
    );
    println!(
        "| kind | source | valid cases | invalid cases | TP | FP | FN | TN | precision | recall |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for k in Kind::ALL {
        let c = counts[k as usize];
        if c.tp + c.fp + c.fn_ + c.tn == 0 {
            continue;
        }
        let src = sources
            .get(&k)
            .map(|s| s.iter().cloned().collect::<Vec<_>>().join("; "))
            .unwrap_or_else(|| "(misread as this kind)".into());
        println!(
            "| `{k}` | {src} | {} | {} | {} | {} | {} | {} | {} | {} |",
            n_valid[k as usize],
            n_invalid[k as usize],
            c.tp,
            c.fp,
            c.fn_,
            c.tn,
            pct(c.precision()),
            pct(c.recall())
        );
    }
    let n_dis = misses.iter().filter(|(c, v)| !v.agrees(c)).count();
    println!(
        "\n### Disagreements ({n_dis}) and hits with another span or IP version ({})\n",
        misses.len() - n_dis
    );
    println!("| line | kind | label | agrees | text scanned | what the scanner did |");
    println!("|---:|---|---|---|---|---|");
    for (c, v) in &misses {
        let (text, _, _) = labelled::text_of(c);
        let mut did = Vec::new();
        if c.valid && !v.found {
            did.push("not reported".to_string());
        }
        for (k, s) in &v.false_pos {
            did.push(format!("reported `{s}` as `{k}`"));
        }
        did.extend(v.notes.iter().cloned());
        println!(
            "| {} | `{}` | {} | {} | `{}` | {} |",
            c.line,
            c.kind,
            if c.valid { "valid" } else { "invalid" },
            if v.agrees(c) { "yes" } else { "**no**" },
            text,
            did.join("; ")
        );
    }
    Ok(())
}
