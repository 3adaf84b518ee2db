//! Loading and judging the labelled cases of `labelled.tsv`, and counting
//! what the detectors find in the generated corpus ([`corpus_cells`]).
//!
//! Shared by `examples/accuracy.rs` (which prints the figures of
//! `docs/ACCURACY.md`) and `tests/accuracy.rs` (which fails on any change
//! in outcome), through `#[path]`, so both measure the same way.
//!
//! Judging one case: the text (the value alone, or the value placed in its
//! context) is scanned the way `outbound scan` scans a free-text line or a
//! cell under a header. Matches whose span overlaps the value's span are
//! the ones that count:
//! - `valid`: a TP when one of them has the case's kind, else an FN; an
//!   overlapping match of another kind is also an FP for that kind
//!   (the value was reported as something it is not). IPv4 and IPv6 count
//!   as one kind here, as in the source (Presidio has one `IP_ADDRESS`
//!   entity): `::ffff:10.0.0.1` found as the IPv4 address `10.0.0.1` is a
//!   hit, with a note that the span and version differ.
//! - `invalid`: each overlapping match of the case's kind (or, for IP
//!   cases, of the other IP version) is an FP; none is a correct rejection.
//!   Matches of unrelated kinds are not judged (the Presidio text
//!   `MAC address aa:bb:cc:dd:ee:ff` is a negative IP case, and reporting
//!   the MAC address in it is right).
//!
//! Matches outside the value's span (other values in the context) are
//! ignored; each of those values has a row of its own.

// Each of the two targets uses only part of this module.
#![allow(dead_code)]

use outbound_scan::detect::{self, Hints};
use outbound_scan::{KIND_COUNT, Kind};

/// One row of the file.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    /// 1-based line in the file.
    pub(crate) line: usize,
    /// The kind the row is about.
    pub(crate) kind: Kind,
    /// `valid` (true) or `invalid` (false).
    pub(crate) valid: bool,
    /// The candidate.
    pub(crate) value: String,
    /// Where the row was copied from.
    pub(crate) source: String,
    /// Empty, a text with `{}`, or `header:NAME`.
    pub(crate) context: String,
}

/// Parses the TSV (comment lines start with `#`; the first other line is
/// the column header).
pub(crate) fn parse(text: &str) -> Result<Vec<Case>, String> {
    let mut out = Vec::new();
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
        if cols.len() < 4 || cols.len() > 5 {
            return Err(format!("line {}: expected 4 or 5 columns", i + 1));
        }
        let kind = Kind::from_str_id(cols[0])
            .ok_or_else(|| format!("line {}: unknown kind {:?}", i + 1, cols[0]))?;
        let valid = match cols[1] {
            "valid" => true,
            "invalid" => false,
            o => return Err(format!("line {}: expected valid/invalid, not {o:?}", i + 1)),
        };
        let context = cols.get(4).copied().unwrap_or("").to_string();
        if !context.is_empty() && !context.starts_with("header:") && !context.contains("{}") {
            return Err(format!("line {}: context without {{}}", i + 1));
        }
        out.push(Case {
            line: i + 1,
            kind,
            valid,
            value: cols[2].to_string(),
            source: cols[3].to_string(),
            context,
        });
    }
    Ok(out)
}

/// Loads the file next to this module.
pub(crate) fn load_default() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/labelled.tsv");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What the scanner did with one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// For `valid` cases: the value was reported as its kind.
    pub(crate) found: bool,
    /// False positives: (kind, matched text).
    pub(crate) false_pos: Vec<(Kind, String)>,
    /// Overlapping matches not judged (other kinds on `invalid` cases), and
    /// span differences on hits; for the report only.
    pub(crate) notes: Vec<String>,
}

impl Verdict {
    /// Whether the scanner agreed with the label.
    pub(crate) fn agrees(&self, c: &Case) -> bool {
        self.false_pos.is_empty() && (self.found || !c.valid)
    }
}

fn ip(k: Kind) -> bool {
    matches!(k, Kind::Ipv4 | Kind::Ipv6)
}

/// The scanned text and the value's span in it.
pub(crate) fn text_of(c: &Case) -> (String, usize, usize) {
    match c.context.split_once("{}") {
        Some((pre, post)) if !c.context.starts_with("header:") => (
            format!("{pre}{}{post}", c.value),
            pre.len(),
            pre.len() + c.value.len(),
        ),
        _ => (c.value.clone(), 0, c.value.len()),
    }
}

/// Scans and judges one case.
pub(crate) fn judge(c: &Case) -> Verdict {
    let (text, vs, ve) = text_of(c);
    let mut matches: Vec<(Kind, usize, usize)> = Vec::new();
    let mut emit = |k, a, b| matches.push((k, a, b));
    match c.context.strip_prefix("header:") {
        Some(h) => detect::scan_value(text.as_bytes(), Hints::from_header(h), &mut emit),
        None => detect::scan_free_text(text.as_bytes(), &mut emit),
    }
    let mut v = Verdict {
        found: false,
        false_pos: Vec::new(),
        notes: Vec::new(),
    };
    for (k, a, b) in matches {
        if b <= vs || a >= ve {
            continue; // another value in the context
        }
        let span = text[a..b].to_string();
        let same = k == c.kind || (ip(k) && ip(c.kind));
        if c.valid {
            if same && !v.found {
                v.found = true;
                if k != c.kind {
                    v.notes.push(format!("found as `{k}` `{span}`"));
                } else if (a, b) != (vs, ve) {
                    v.notes.push(format!("found as `{span}`"));
                }
            } else if !same {
                v.false_pos.push((k, span));
            }
        } else if same {
            v.false_pos.push((k, span));
        } else {
            v.notes.push(format!("also {k} {span:?}"));
        }
    }
    v
}

/// Per-kind confusion counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Labelled valid and reported.
    pub(crate) tp: u64,
    /// Reported but not valid (or another kind).
    pub(crate) fp: u64,
    /// Labelled valid and not reported.
    pub(crate) fn_: u64,
    /// Labelled invalid and not reported.
    pub(crate) tn: u64,
}

impl Counts {
    /// TP / (TP + FP), or None without any report.
    pub(crate) fn precision(&self) -> Option<f64> {
        let d = self.tp + self.fp;
        (d > 0).then(|| self.tp as f64 / d as f64)
    }
    /// TP / (TP + FN), or None without any valid value.
    pub(crate) fn recall(&self) -> Option<f64> {
        let d = self.tp + self.fn_;
        (d > 0).then(|| self.tp as f64 / d as f64)
    }
}

/// Adds one judged case to per-kind counts (indexed by `Kind as usize`).
pub(crate) fn tally(counts: &mut [Counts], c: &Case, v: &Verdict) {
    let k = c.kind as usize;
    if c.valid {
        if v.found {
            counts[k].tp += 1;
        } else {
            counts[k].fn_ += 1;
        }
    } else if !v.false_pos.iter().any(|(fk, _)| *fk == c.kind) {
        counts[k].tn += 1;
    }
    for (fk, _) in &v.false_pos {
        counts[*fk as usize].fp += 1;
    }
}

/// What the detectors find in a generated corpus CSV, per column.
pub(crate) struct CorpusCells {
    /// Column names, from the header.
    pub(crate) headers: Vec<String>,
    /// Matches per column, indexed by `Kind as usize`.
    pub(crate) found: Vec<[u64; KIND_COUNT]>,
    /// Non-empty cells per column.
    pub(crate) cells: Vec<u64>,
}

/// Scans every cell of `bytes` (a corpus CSV with a header) as `outbound
/// scan` scans a CSV cell: the column header gives the hints; cells of 24+
/// bytes under an unrecognised header are free text.
pub(crate) fn corpus_cells(bytes: &[u8]) -> CorpusCells {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let headers: Vec<String> = rdr
        .headers()
        .expect("corpus header")
        .iter()
        .map(str::to_string)
        .collect();
    let hints: Vec<Hints> = headers.iter().map(|h| Hints::from_header(h)).collect();
    let mut found = vec![[0u64; KIND_COUNT]; headers.len()];
    let mut cells = vec![0u64; headers.len()];
    let mut rec = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut rec).expect("corpus CSV") {
        for (i, v) in rec.iter().enumerate() {
            if detect::trim(v).is_empty() {
                continue;
            }
            cells[i] += 1;
            let f = &mut found[i];
            let mut emit = |k: Kind, _, _| f[k as usize] += 1;
            if hints[i].is_empty() && v.len() >= 24 {
                detect::scan_free_text(v, &mut emit);
            } else {
                detect::scan_value(v, hints[i], &mut emit);
            }
        }
    }
    CorpusCells {
        headers,
        found,
        cells,
    }
}
