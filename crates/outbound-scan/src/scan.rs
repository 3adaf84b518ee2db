//! Orchestration: files in parallel, batches of records in parallel within
//! a file, per-batch accumulators merged at the end (no locks on the hot
//! path).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::detect::{self, Hints, trim};
use crate::read::{self, Format, LineBatches};
use crate::report::{ErrorEntry, FieldReport, FileReport, Individuals, ScanReport, Totals};
use crate::{KIND_COUNT, Kind, mask};

#[cfg(feature = "parquet")]
mod parquet_in;

/// Progress callback: called from worker threads with the number of raw
/// input bytes processed since the previous call (increments, so that
/// files scanned in parallel simply add up).
pub type ProgressFn = Arc<dyn Fn(u64) + Send + Sync>;

/// What to scan and how.
#[derive(Clone, Default)]
pub struct ScanOptions {
    /// Glob patterns (globset syntax) a file found under a directory must
    /// match (any of them); empty = all files. Files named explicitly are
    /// always scanned.
    pub include: Vec<String>,
    /// Glob patterns excluding files found under a directory.
    pub exclude: Vec<String>,
    /// Field (CSV header or JSON key path) whose distinct values are the
    /// individuals. Without it the strongest identifier found is used:
    /// resident ID, else mobile, else e-mail.
    pub subject_key: Option<String>,
    /// Masked sample values to keep per field (0 = none; raw values are
    /// never reported).
    pub samples: usize,
    /// Worker threads (None = all cores).
    pub threads: Option<usize>,
    /// Progress callback, see [`ProgressFn`].
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("include", &self.include)
            .field("exclude", &self.exclude)
            .field("subject_key", &self.subject_key)
            .field("samples", &self.samples)
            .field("threads", &self.threads)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Records per parallel work item for CSV.
const CSV_BATCH: usize = 4096;
/// Bytes per parallel work item for line formats.
const LINE_BATCH: usize = 1 << 20;
/// Text lines longer than this are scanned in pieces.
const MAX_TEXT_LINE: usize = 1 << 20;
/// JSON lines longer than this are reported and skipped.
const MAX_JSON_LINE: usize = 16 << 20;
/// Distinct fields kept per file; further key paths share one field.
const MAX_FIELDS: usize = 10_000;
/// Name of the field collecting key paths beyond [`MAX_FIELDS`].
const OTHER_FIELDS: &str = "(other fields)";
/// Longer CSV header cells or JSON keys are not field names: names are
/// copied into every batch's accumulator and into the report, and header
/// hints are computed from them. A huge first line is then data, and a
/// huge key becomes `{long}`.
const MAX_NAME: usize = 1024;
/// Cells longer than this are treated as free text (keyword search too).
const FREE_TEXT_MIN: usize = 24;

type IdSet = crate::distinct::DistinctSet;

/// Exact distinct-subject sets: 64-bit keyed SipHash values.
#[derive(Default)]
struct Subjects {
    key: IdSet,
    key_sensitive: IdSet,
    auto: [IdSet; 3],
    auto_sensitive: [IdSet; 3],
}

impl Subjects {
    fn merge(&mut self, o: Subjects) {
        fn m(a: &mut IdSet, b: IdSet) {
            a.merge(b);
        }
        m(&mut self.key, o.key);
        m(&mut self.key_sensitive, o.key_sensitive);
        for (a, b) in self.auto.iter_mut().zip(o.auto) {
            m(a, b);
        }
        for (a, b) in self.auto_sensitive.iter_mut().zip(o.auto_sensitive) {
            m(a, b);
        }
    }
}

const AUTO_KINDS: [Kind; 3] = [Kind::CnResidentId, Kind::CnMobile, Kind::Email];

#[derive(Clone)]
struct FieldAcc {
    name: Option<String>,
    hints: Hints,
    non_empty: u64,
    matches: [u64; KIND_COUNT],
    values: [u64; KIND_COUNT],
    samples: Vec<String>,
}

impl FieldAcc {
    fn new(name: Option<String>) -> Self {
        let hints = name.as_deref().map(Hints::from_header).unwrap_or_default();
        FieldAcc {
            name,
            hints,
            non_empty: 0,
            matches: [0; KIND_COUNT],
            values: [0; KIND_COUNT],
            samples: Vec::new(),
        }
    }
}

/// First occurrence and count of a per-line problem.
#[derive(Default, Clone, Copy)]
struct Tally {
    count: u64,
    first_line: Option<u64>,
}

impl Tally {
    fn hit(&mut self, line: Option<u64>) {
        self.count += 1;
        if self.first_line.is_none() || line < self.first_line {
            self.first_line = line.or(self.first_line);
        }
    }
    fn merge(&mut self, o: Tally) {
        self.count += o.count;
        self.first_line = match (self.first_line, o.first_line) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Per-file (or per-batch) accumulator.
#[derive(Default)]
struct Acc {
    records: u64,
    fields: Vec<FieldAcc>,
    index: HashMap<String, usize>,
    subjects: Subjects,
    errors: Vec<ErrorEntry>,
    bad_utf8: Tally,
    ragged: Tally,
    key_seen: bool,
    /// Samples kept per field (0 = unknown/none): bounds samples on merge.
    sample_cap: usize,
    /// Fields `0..positional` are columns by position ([`Acc::with_names`]):
    /// a CSV header may repeat a name, and each column stays its own field.
    positional: usize,
}

impl Acc {
    fn with_names(names: &[Option<String>]) -> Acc {
        let mut a = Acc::default();
        for n in names {
            let i = a.fields.len();
            a.fields.push(FieldAcc::new(n.clone()));
            let key = n.as_deref().unwrap_or("\0null");
            a.index.entry(key.to_string()).or_insert(i);
        }
        a.positional = names.len();
        a
    }

    fn field(&mut self, name: Option<&str>) -> usize {
        let mut key = name.unwrap_or("\0null");
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        // Bound memory on documents with unbounded key sets.
        if self.fields.len() >= MAX_FIELDS {
            key = OTHER_FIELDS;
            if let Some(&i) = self.index.get(key) {
                return i;
            }
            let i = self.fields.len();
            self.fields.push(FieldAcc::new(Some(key.to_string())));
            self.index.insert(key.to_string(), i);
            return i;
        }
        let i = self.fields.len();
        self.fields.push(FieldAcc::new(name.map(str::to_string)));
        self.index.insert(key.to_string(), i);
        i
    }

    fn merge(mut self, o: Acc) -> Acc {
        self.records += o.records;
        let cap = self.sample_cap.max(o.sample_cap);
        self.sample_cap = cap;
        let positional = self.positional.min(o.positional);
        for (j, f) in o.fields.into_iter().enumerate() {
            let i = if j < positional {
                j
            } else {
                self.field(f.name.as_deref())
            };
            let t = &mut self.fields[i];
            t.non_empty += f.non_empty;
            for k in 0..KIND_COUNT {
                t.matches[k] += f.matches[k];
                t.values[k] += f.values[k];
            }
            t.samples.extend(f.samples);
            t.samples.truncate(cap);
        }
        self.subjects.merge(o.subjects);
        self.errors.extend(o.errors);
        self.bad_utf8.merge(o.bad_utf8);
        self.ragged.merge(o.ragged);
        self.key_seen |= o.key_seen;
        self
    }

    fn end_record(&mut self, r: Rec, ctx: &Ctx<'_>) {
        self.records += 1;
        if let Some(h) = r.key {
            self.subjects.key.insert(h);
            if r.sensitive {
                self.subjects.key_sensitive.insert(h);
            }
        }
        for (slot, h) in r.auto.iter().enumerate() {
            if let Some(h) = *h {
                if !ctx.auto_seen[slot].load(Ordering::Relaxed) {
                    ctx.auto_seen[slot].store(true, Ordering::Relaxed);
                }
                self.subjects.auto[slot].insert(h);
                if r.sensitive {
                    self.subjects.auto_sensitive[slot].insert(h);
                }
            }
        }
    }
}

/// Per-record subject state.
#[derive(Default)]
struct Rec {
    key: Option<u64>,
    auto: [Option<u64>; 3],
    sensitive: bool,
}

struct Ctx<'a> {
    hasher: &'a RandomState,
    /// Set once a subject of the automatic key kind (ID, mobile, e-mail)
    /// was seen anywhere. Weaker kinds are only needed when no stronger one
    /// exists in the whole run, so once a stronger one is seen, hashing and
    /// storing the weaker ones is skipped: the result is the same, the work
    /// is a third.
    auto_seen: &'a [AtomicBool; 3],
    subject_key: Option<&'a str>,
    samples: usize,
}

impl Ctx<'_> {
    /// Keyed SipHash-1-3 (std's `RandomState`, random 128-bit key per run)
    /// of a normalised identifier. Only these 64-bit values are kept, so
    /// the sets can be counted exactly but not reversed; with ~10^9
    /// subjects the chance of any collision is ~3%, negligible at the
    /// thresholds that matter (10^4–10^6).
    fn hash(&self, kind: Option<Kind>, v: &[u8]) -> u64 {
        let mut buf = [0u8; 256];
        let mut n = 0;
        if kind == Some(Kind::CnMobile) {
            for &b in v.iter().filter(|b| b.is_ascii_digit()).take(24) {
                buf[n] = b;
                n += 1;
            }
        } else {
            for &b in trim(v).iter().take(256) {
                buf[n] = b.to_ascii_lowercase();
                n += 1;
            }
        }
        let d = if kind == Some(Kind::CnMobile) {
            &buf[n.saturating_sub(11)..n]
        } else {
            &buf[..n]
        };
        let mut h = self.hasher.build_hasher();
        h.write(d);
        h.finish()
    }

    #[inline]
    fn stronger_seen(&self, slot: usize) -> bool {
        self.subject_key.is_some()
            || self.auto_seen[..slot]
                .iter()
                .any(|b| b.load(Ordering::Relaxed))
    }

    #[inline]
    fn cell(&self, f: &mut FieldAcc, v: &[u8], free: bool, is_key: bool, r: &mut Rec) {
        if trim(v).is_empty() {
            return;
        }
        f.non_empty += 1;
        if is_key {
            r.key = Some(self.hash(None, v));
        }
        let mut seen = 0u32;
        let samples = self.samples;
        let mut emit = |k: Kind, a: usize, b: usize| {
            f.matches[k as usize] += 1;
            seen |= 1 << k as u32;
            r.sensitive |= k.is_sensitive();
            if let Some(slot) = AUTO_KINDS.iter().position(|&x| x == k)
                && r.auto[slot].is_none()
                && !self.stronger_seen(slot)
            {
                r.auto[slot] = Some(self.hash(Some(k), &v[a..b]));
            }
            if f.samples.len() < samples {
                f.samples.push(mask(k, &String::from_utf8_lossy(&v[a..b])));
            }
        };
        if f.name.is_none() || (free && f.hints.is_empty() && v.len() >= FREE_TEXT_MIN) {
            detect::scan_free_text(v, &mut emit);
        } else {
            detect::scan_value(v, f.hints, &mut emit);
        }
        while seen != 0 {
            let k = seen.trailing_zeros() as usize;
            f.values[k] += 1;
            seen &= seen - 1;
        }
    }
}

/// Scans files and directories and reports counts per file, field and
/// kind, totals, distinct individuals and errors. Never panics on bad
/// input: every unreadable or malformed input becomes an [`ErrorEntry`] and
/// the scan continues with the rest.
pub fn scan_paths(paths: &[PathBuf], opts: &ScanOptions) -> ScanReport {
    let run = || scan_paths_inner(paths, opts);
    match opts.threads {
        Some(n) if n > 0 => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        },
        _ => run(),
    }
}

fn build_globs(pats: &[String], errors: &mut Vec<ErrorEntry>) -> Option<globset::GlobSet> {
    if pats.is_empty() {
        return None;
    }
    let mut b = globset::GlobSetBuilder::new();
    for p in pats {
        match globset::Glob::new(p) {
            Ok(g) => {
                b.add(g);
            }
            Err(e) => errors.push(ErrorEntry {
                path: p.clone(),
                message: format!("invalid glob pattern: {e}"),
                ..Default::default()
            }),
        }
    }
    b.build().ok()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<ErrorEntry>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => {
            errors.push(ErrorEntry {
                path: dir.display().to_string(),
                message: format!("cannot read directory: {e}"),
                ..Default::default()
            });
            return;
        }
    };
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = rd
        .filter_map(|e| e.ok().and_then(|e| Some((e.path(), e.file_type().ok()?))))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (p, t) in entries {
        if t.is_dir() {
            walk(&p, out, errors);
        } else if t.is_file() || (t.is_symlink() && p.is_file()) {
            // Symlinked directories are not followed (no loops).
            out.push(p);
        }
    }
}

fn collect_files(
    paths: &[PathBuf],
    opts: &ScanOptions,
    errors: &mut Vec<ErrorEntry>,
) -> Vec<PathBuf> {
    let include = build_globs(&opts.include, errors);
    let exclude = build_globs(&opts.exclude, errors);
    let mut files = Vec::new();
    for p in paths {
        if p.as_os_str() != "-" && p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, errors);
            for f in found {
                let rel = f.strip_prefix(p).unwrap_or(&f);
                if include
                    .as_ref()
                    .is_some_and(|g| !g.is_match(rel) && !g.is_match(&f))
                {
                    continue;
                }
                if exclude
                    .as_ref()
                    .is_some_and(|g| g.is_match(rel) || g.is_match(&f))
                {
                    continue;
                }
                files.push(f);
            }
        } else {
            files.push(p.clone());
        }
    }
    files
}

fn scan_paths_inner(paths: &[PathBuf], opts: &ScanOptions) -> ScanReport {
    let mut errors = Vec::new();
    let files = collect_files(paths, opts, &mut errors);
    let hasher = RandomState::new();
    let auto_seen = [
        AtomicBool::new(false),
        AtomicBool::new(false),
        AtomicBool::new(false),
    ];
    let ctx = Ctx {
        hasher: &hasher,
        auto_seen: &auto_seen,
        subject_key: opts.subject_key.as_deref(),
        samples: opts.samples,
    };
    let results: Vec<(FileReport, Acc)> = files
        .par_iter()
        .map(|p| scan_file(p, &ctx, opts.progress.clone()))
        .collect();
    let mut report = ScanReport::default();
    let mut subjects = Subjects::default();
    let mut key_seen = false;
    let mut totals = [0u64; KIND_COUNT];
    for (fr, acc) in results {
        for f in &fr.fields {
            for (k, v) in &f.kinds {
                if let Some(kind) = Kind::from_str_id(k) {
                    totals[kind as usize] += v;
                }
            }
        }
        key_seen |= acc.key_seen;
        subjects.merge(acc.subjects);
        errors.extend(acc.errors);
        report.files.push(fr);
    }
    report.totals = Totals {
        kinds: Kind::ALL
            .iter()
            .filter(|k| totals[**k as usize] > 0)
            .map(|k| (k.as_str(), totals[*k as usize]))
            .collect(),
    };
    report.individuals = match &opts.subject_key {
        Some(key) => {
            if !key_seen && !files.is_empty() {
                errors.push(ErrorEntry {
                    path: String::new(),
                    message: format!("subject key field `{key}` not found in any file"),
                    ..Default::default()
                });
            }
            Individuals {
                key: Some(key.clone()),
                distinct: subjects.key.len() as u64,
                sensitive: subjects.key_sensitive.len() as u64,
            }
        }
        None => (0..3)
            .find(|&s| !subjects.auto[s].is_empty())
            .map(|s| Individuals {
                key: Some(AUTO_KINDS[s].as_str().to_string()),
                distinct: subjects.auto[s].len() as u64,
                sensitive: subjects.auto_sensitive[s].len() as u64,
            })
            .unwrap_or_default(),
    };
    report.errors = errors;
    report
}

fn err(path: &str, line: Option<u64>, message: String) -> ErrorEntry {
    ErrorEntry {
        path: path.to_string(),
        line,
        offset: None,
        message,
    }
}

fn scan_file(path: &Path, ctx: &Ctx<'_>, progress: Option<crate::ProgressFn>) -> (FileReport, Acc) {
    let display = path.display().to_string();
    let mut fr = FileReport {
        path: display.clone(),
        ..Default::default()
    };
    if is_parquet(path) {
        fr.format = "parquet".into();
        fr.encoding = "binary".into();
        #[cfg(feature = "parquet")]
        {
            let (acc, size) = parquet_in::scan_parquet(path, &display, ctx, progress);
            fr.records = acc.records;
            fr.bytes = size;
            let mut acc = acc;
            let mut fields: Vec<FieldReport> = acc
                .fields
                .iter_mut()
                .map(|f| field_report(f, ctx.samples))
                .collect();
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            fr.fields = fields;
            return (fr, acc);
        }
        #[cfg(not(feature = "parquet"))]
        {
            let _ = progress;
            let mut acc = Acc::default();
            acc.errors.push(err(
                &display,
                None,
                "Parquet support is not compiled in (build with the `parquet` feature)".into(),
            ));
            return (fr, acc);
        }
    }
    let input = match read::open(path, progress) {
        Ok(i) => i,
        Err(e) => {
            let mut acc = Acc::default();
            acc.errors
                .push(err(&display, None, format!("cannot open: {e}")));
            return (fr, acc);
        }
    };
    fr.format = input.format.name().to_string();
    fr.compression = input.compression.map(str::to_string);
    fr.encoding = input.encoding.to_string();
    let raw = input.raw_bytes.clone();
    let head_error = input.head_error;
    let mut acc = match input.format {
        Format::Csv(d) => scan_csv(input.reader, d, &display, ctx),
        Format::Text => scan_lines(input.reader, false, &display, ctx),
        Format::JsonLines => scan_lines(input.reader, true, &display, ctx),
        Format::Json => scan_json_doc(input.reader, &display, ctx),
    };
    if let Some(e) = head_error {
        acc.errors.push(ErrorEntry {
            path: display.clone(),
            line: None,
            offset: Some(raw.load(Ordering::Relaxed)),
            message: format!("read error (input truncated or corrupt): {e}"),
        });
    }
    if acc.bad_utf8.count > 0 {
        let e = err(
            &display,
            acc.bad_utf8.first_line,
            format!(
                "invalid UTF-8 in {} line(s) (first shown); bytes were scanned as-is",
                acc.bad_utf8.count
            ),
        );
        acc.errors.push(e);
    }
    if acc.ragged.count > 0 {
        let e = err(
            &display,
            acc.ragged.first_line,
            format!(
                "{} row(s) have a different number of fields than the header (first shown)",
                acc.ragged.count
            ),
        );
        acc.errors.push(e);
    }
    acc.errors.sort_by_key(|e| (e.line, e.offset));
    fr.records = acc.records;
    fr.bytes = raw.load(Ordering::Relaxed);
    let mut fields: Vec<FieldReport> = acc
        .fields
        .iter_mut()
        .map(|f| field_report(f, ctx.samples))
        .collect();
    if input.format == Format::Json || input.format == Format::JsonLines {
        fields.sort_by(|a, b| a.field.cmp(&b.field));
    }
    fr.fields = fields;
    (fr, acc)
}

/// Parquet by extension or by the `PAR1` magic at the start.
fn is_parquet(path: &Path) -> bool {
    if path.as_os_str() == "-" {
        return false;
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"PAR1"
}

fn field_report(f: &mut FieldAcc, samples: usize) -> FieldReport {
    let mut best: Option<(Kind, u64)> = None;
    for k in Kind::ALL {
        let v = f.values[k as usize];
        if v > 0 && best.is_none_or(|(_, b)| v > b) {
            best = Some((k, v));
        }
    }
    let classified = best.filter(|&(_, v)| v * 2 > f.non_empty);
    f.samples.truncate(samples);
    FieldReport {
        field: f.name.clone(),
        kinds: Kind::ALL
            .iter()
            .filter(|k| f.matches[**k as usize] > 0)
            .map(|k| (k.as_str(), f.matches[*k as usize]))
            .collect(),
        non_empty: f.non_empty,
        classified_as: classified.map(|(k, _)| k),
        share: classified.map(|(_, v)| (v as f64 / f.non_empty as f64 * 1e4).round() / 1e4),
        category: classified.and_then(|(k, _)| k.category()),
        samples: std::mem::take(&mut f.samples),
    }
}

// ---------------------------------------------------------------- CSV

/// Records of one work item in one flat buffer: one allocation per batch
/// instead of one per record.
#[derive(Default)]
struct FlatBatch {
    data: Vec<u8>,
    /// End offset in `data` of every field.
    ends: Vec<usize>,
    /// Per record: (data start, index of first field in `ends`, line).
    recs: Vec<(usize, usize, u64)>,
}

impl FlatBatch {
    fn push(&mut self, rec: &csv::ByteRecord) {
        let line = rec.position().map_or(0, |p| p.line());
        self.recs.push((self.data.len(), self.ends.len(), line));
        for f in rec.iter() {
            self.data.extend_from_slice(f);
            self.ends.push(self.data.len());
        }
    }

    /// (line, whole-record bytes, iterator over fields)
    fn record(&self, r: usize) -> (u64, &[u8], impl Iterator<Item = &[u8]>) {
        let (start, first, line) = self.recs[r];
        let last = self.recs.get(r + 1).map_or(self.ends.len(), |x| x.1);
        let end = if last > first {
            self.ends[last - 1]
        } else {
            start
        };
        let mut prev = start;
        let fields = self.ends[first..last].iter().map(move |&e| {
            let f = &self.data[prev..e];
            prev = e;
            f
        });
        (line, &self.data[start..end], fields)
    }
}

struct CsvBatches<R: io::Read> {
    rdr: csv::Reader<R>,
    rec: csv::ByteRecord,
    error: Arc<Mutex<Option<ErrorEntry>>>,
    path: String,
    last_line: u64,
    done: bool,
}

impl<R: io::Read> Iterator for CsvBatches<R> {
    type Item = FlatBatch;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut batch = FlatBatch {
            data: Vec::with_capacity(LINE_BATCH + 4096),
            ends: Vec::with_capacity(CSV_BATCH * 8),
            recs: Vec::with_capacity(CSV_BATCH),
        };
        while batch.recs.len() < CSV_BATCH && batch.data.len() < LINE_BATCH {
            match self.rdr.read_byte_record(&mut self.rec) {
                Ok(true) => {
                    if let Some(p) = self.rec.position() {
                        self.last_line = p.line();
                    }
                    batch.push(&self.rec);
                }
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(self.last_line + 1);
                    let msg = match e.kind() {
                        csv::ErrorKind::Io(io) => {
                            format!("read error (input truncated or corrupt): {io}")
                        }
                        _ => "malformed CSV".to_string(),
                    };
                    if let Ok(mut g) = self.error.lock() {
                        *g = Some(err(&self.path, Some(line), msg));
                    }
                    self.done = true;
                    break;
                }
            }
        }
        (!batch.recs.is_empty()).then_some(batch)
    }
}

fn looks_like_header(rec: &csv::ByteRecord) -> bool {
    rec.iter().all(|f| {
        let t = trim(f);
        if t.len() > MAX_NAME {
            return false;
        }
        let Ok(s) = std::str::from_utf8(t) else {
            return false;
        };
        !t.is_empty() && s.chars().any(char::is_alphabetic) && {
            let mut any = false;
            detect::scan_value(t, Hints::NONE, &mut |_, _, _| any = true);
            !any
        }
    })
}

fn scan_csv(reader: Box<dyn BufRead + Send>, delim: u8, path: &str, ctx: &Ctx<'_>) -> Acc {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(reader);
    let mut first = csv::ByteRecord::new();
    let mut acc = Acc::default();
    // Leading `#` comment lines (provenance notes in data files) are not
    // the header; later rows starting with `#` are data.
    loop {
        match rdr.read_byte_record(&mut first) {
            Ok(true) if first.get(0).is_some_and(|f| trim(f).starts_with(b"#")) => continue,
            Ok(true) => break,
            Ok(false) => return acc,
            Err(e) => {
                let line = e.position().map(|p| p.line()).or(Some(1));
                acc.errors.push(err(
                    path,
                    line,
                    "malformed CSV or read error at the start".into(),
                ));
                return acc;
            }
        }
    }
    let header = looks_like_header(&first);
    // At most MAX_FIELDS named columns: a line of millions of commas must
    // not make millions of names (further columns share one field).
    let names: Vec<Option<String>> = if header {
        first
            .iter()
            .take(MAX_FIELDS)
            .map(|f| Some(String::from_utf8_lossy(trim(f)).into_owned()))
            .collect()
    } else {
        (1..=first.len().min(MAX_FIELDS))
            .map(|i| Some(format!("column_{i}")))
            .collect()
    };
    let key_idx = ctx
        .subject_key
        .and_then(|k| names.iter().position(|n| n.as_deref() == Some(k)));
    let width = first.len();
    let named = names.len();
    let process = |batch: &FlatBatch| -> Acc {
        let mut acc = Acc::with_names(&names);
        acc.key_seen = key_idx.is_some();
        acc.sample_cap = ctx.samples;
        let bad = std::str::from_utf8(&batch.data).is_err();
        for ri in 0..batch.recs.len() {
            let (line, whole, fields) = batch.record(ri);
            let line = Some(line);
            let nf = batch.recs.get(ri + 1).map_or(batch.ends.len(), |x| x.1) - batch.recs[ri].1;
            if nf != width {
                acc.ragged.hit(line);
            }
            if bad && std::str::from_utf8(whole).is_err() {
                acc.bad_utf8.hit(line);
            }
            let mut r = Rec::default();
            for (i, v) in fields.enumerate() {
                let idx = if i < named {
                    i
                } else if i >= MAX_FIELDS {
                    acc.field(Some(OTHER_FIELDS))
                } else {
                    acc.field(Some(&format!("column_{}", i + 1)))
                };
                ctx.cell(&mut acc.fields[idx], v, true, key_idx == Some(i), &mut r);
            }
            acc.end_record(r, ctx);
        }
        acc
    };
    let mut acc = if header {
        Acc::with_names(&names)
    } else {
        let mut b = FlatBatch::default();
        b.push(&first);
        process(&b)
    };
    let error = Arc::new(Mutex::new(None));
    let batches = CsvBatches {
        rdr,
        rec: csv::ByteRecord::new(),
        error: error.clone(),
        path: path.to_string(),
        last_line: 1,
        done: false,
    };
    let rest = batches
        .par_bridge()
        .map(|b| process(&b))
        .reduce(|| Acc::with_names(&names), Acc::merge);
    acc = acc.merge(rest);
    acc.key_seen |= key_idx.is_some();
    if let Some(e) = error.lock().ok().and_then(|mut g| g.take()) {
        acc.errors.push(e);
    }
    acc
}

// ---------------------------------------------------------------- lines

fn scan_lines(reader: Box<dyn BufRead + Send>, json: bool, path: &str, ctx: &Ctx<'_>) -> Acc {
    let max = if json { MAX_JSON_LINE } else { MAX_TEXT_LINE };
    let batches = Arc::new(Mutex::new(LineBatches::new(reader, LINE_BATCH, max)));
    let iter = SharedBatches(batches.clone());
    let mut acc = iter
        .par_bridge()
        .map(|b| {
            if json {
                jsonl_batch(&b, path, ctx, max)
            } else {
                text_batch(&b, ctx)
            }
        })
        .reduce(Acc::default, Acc::merge);
    if let Ok(mut g) = batches.lock()
        && let Some((line, e)) = g.error.take()
    {
        acc.errors.push(err(
            path,
            Some(line),
            format!("read error (input truncated or corrupt): {e}"),
        ));
    }
    acc
}

/// Lets the error stay reachable after `par_bridge` consumed the iterator.
struct SharedBatches(Arc<Mutex<LineBatches<Box<dyn BufRead + Send>>>>);

impl Iterator for SharedBatches {
    type Item = read::LineBatch;
    fn next(&mut self) -> Option<read::LineBatch> {
        self.0.lock().ok()?.next()
    }
}

fn lines_of(b: &read::LineBatch) -> impl Iterator<Item = (u64, bool, &[u8])> {
    let mut line = b.first_line;
    let mut first = true;
    b.data.split_inclusive(|&c| c == b'\n').map(move |l| {
        let cont = first && b.continues;
        first = false;
        let n = line;
        if l.ends_with(b"\n") {
            line += 1;
        }
        let l = l.strip_suffix(b"\n").unwrap_or(l);
        (n, cont, l.strip_suffix(b"\r").unwrap_or(l))
    })
}

fn text_batch(b: &read::LineBatch, ctx: &Ctx<'_>) -> Acc {
    let mut acc = Acc::with_names(&[None]);
    acc.sample_cap = ctx.samples;
    let bad = std::str::from_utf8(&b.data).is_err();
    for (line, cont, l) in lines_of(b) {
        if bad && std::str::from_utf8(l).is_err() {
            acc.bad_utf8.hit(Some(line));
        }
        let mut r = Rec::default();
        ctx.cell(&mut acc.fields[0], l, true, false, &mut r);
        acc.end_record(r, ctx);
        if cont {
            // A piece of an over-long line: same record as before.
            acc.records -= 1;
        }
    }
    acc
}

fn jsonl_batch(b: &read::LineBatch, path: &str, ctx: &Ctx<'_>, max: usize) -> Acc {
    let mut acc = Acc {
        sample_cap: ctx.samples,
        ..Default::default()
    };
    let mut p = String::new();
    let mut num = String::new();
    for (line, cont, l) in lines_of(b) {
        if trim(l).is_empty() {
            continue;
        }
        if cont || l.len() >= max {
            if !cont {
                acc.errors.push(err(
                    path,
                    Some(line),
                    format!("JSON line longer than {max} bytes skipped"),
                ));
            }
            continue;
        }
        let mut r = Rec::default();
        let mut de = serde_json::Deserializer::from_slice(l);
        let res = serde::de::DeserializeSeed::deserialize(
            Walk {
                path: &mut p,
                acc: &mut acc,
                ctx,
                rec: &mut r,
                num: &mut num,
            },
            &mut de,
        )
        .and_then(|()| de.end());
        p.clear();
        match res {
            // Cells of a broken line seen before the error stay counted;
            // the line is not counted as a record.
            Ok(()) => acc.end_record(r, ctx),
            Err(e) => acc
                .errors
                .push(err(path, Some(line), format!("invalid JSON: {e}"))),
        }
    }
    acc
}

/// Streams a JSON value into the accumulator without building a
/// `serde_json::Value`: strings are borrowed from the input where
/// possible, keys are appended to one reused path buffer, so the only
/// per-value work is the scan itself.
struct Walk<'a, 'c> {
    path: &'a mut String,
    acc: &'a mut Acc,
    ctx: &'a Ctx<'c>,
    rec: &'a mut Rec,
    num: &'a mut String,
}

impl Walk<'_, '_> {
    fn reborrow(&mut self) -> Walk<'_, '_> {
        Walk {
            path: &mut *self.path,
            acc: &mut *self.acc,
            ctx: self.ctx,
            rec: &mut *self.rec,
            num: &mut *self.num,
        }
    }

    fn leaf(self, v: &[u8]) {
        json_leaf(self.path, v, self.acc, self.ctx, self.rec);
    }

    fn number(self, n: impl std::fmt::Display) {
        use std::fmt::Write;
        self.num.clear();
        let _ = write!(self.num, "{n}");
        json_leaf(self.path, self.num.as_bytes(), self.acc, self.ctx, self.rec);
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Appends an object key to the path. A key that is itself personal data
/// (maps keyed by phone number or ID) is counted as a value and replaced
/// in the path by `{kind}`; purely numeric keys become `{n}`. So raw values
/// never become field names, and such maps do not explode into one field
/// per key.
struct KeySeed<'a, 'c> {
    path: &'a mut String,
    acc: &'a mut Acc,
    ctx: &'a Ctx<'c>,
    rec: &'a mut Rec,
}

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<(), E> {
        if !self.path.is_empty() {
            self.path.push('.');
        }
        let mut kind = None;
        if k.len() >= 6 && k.bytes().any(|b| b.is_ascii_digit() || b == b'@') {
            detect::scan_value(k.as_bytes(), Hints::NONE, &mut |kd, _, _| {
                kind.get_or_insert(kd);
            });
        }
        match kind {
            Some(kd) => {
                self.path.push('{');
                self.path.push_str(kd.as_str());
                self.path.push('}');
                json_leaf(self.path, k.as_bytes(), self.acc, self.ctx, self.rec);
            }
            None if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => {
                self.path.push_str("{n}");
            }
            None if k.len() > MAX_NAME => self.path.push_str("{long}"),
            None => self.path.push_str(k),
        }
        Ok(())
    }
}

impl<'de> serde::de::Visitor<'de> for Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.leaf(v.as_bytes());
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        self.number(v);
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.number(v);
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.number(v);
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self.reborrow())?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let base = self.path.len();
        while map
            .next_key_seed(KeySeed {
                path: &mut *self.path,
                acc: &mut *self.acc,
                ctx: self.ctx,
                rec: &mut *self.rec,
            })?
            .is_some()
        {
            map.next_value_seed(self.reborrow())?;
            self.path.truncate(base);
        }
        Ok(())
    }
}

fn json_leaf(path: &str, v: &[u8], acc: &mut Acc, ctx: &Ctx<'_>, r: &mut Rec) {
    let name = if path.is_empty() { "$" } else { path };
    let i = acc.field(Some(name));
    let is_key = ctx.subject_key == Some(name);
    acc.key_seen |= is_key;
    ctx.cell(&mut acc.fields[i], v, true, is_key, r);
}

// ---------------------------------------------------------------- JSON document

struct TopVisitor<'a, 'c> {
    acc: &'a mut Acc,
    ctx: &'a Ctx<'c>,
}

impl<'c> TopVisitor<'_, 'c> {
    fn walk<'s>(
        &'s mut self,
        path: &'s mut String,
        num: &'s mut String,
        r: &'s mut Rec,
    ) -> Walk<'s, 'c> {
        Walk {
            path: &mut *path,
            acc: &mut *self.acc,
            ctx: self.ctx,
            rec: &mut *r,
            num: &mut *num,
        }
    }
}

impl<'de> serde::de::Visitor<'de> for TopVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array or object")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        // One element at a time, streamed: arrays of millions of records
        // never sit in memory.
        let (mut p, mut num) = (String::new(), String::new());
        loop {
            let mut r = Rec::default();
            p.clear();
            let w = self.walk(&mut p, &mut num, &mut r);
            if seq.next_element_seed(w)?.is_none() {
                break;
            }
            self.acc.end_record(r, self.ctx);
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, map: A) -> Result<(), A::Error> {
        let (mut p, mut num) = (String::new(), String::new());
        let mut r = Rec::default();
        let w = self.walk(&mut p, &mut num, &mut r);
        serde::de::Visitor::visit_map(w, map)?;
        self.acc.end_record(r, self.ctx);
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(mut self, s: &str) -> Result<(), E> {
        let (mut p, mut num) = (String::new(), String::new());
        let mut r = Rec::default();
        self.walk(&mut p, &mut num, &mut r).leaf(s.as_bytes());
        self.acc.end_record(r, self.ctx);
        Ok(())
    }

    // A scalar document is valid JSON. Without these, serde's "invalid
    // type" error would quote the value (raw data) in the error message.
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(v)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(v)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.scalar(v)
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

impl TopVisitor<'_, '_> {
    /// A number as the whole document: one record, field `$`.
    fn scalar<E>(mut self, v: impl std::fmt::Display) -> Result<(), E> {
        let (mut p, mut num) = (String::new(), String::new());
        let mut r = Rec::default();
        self.walk(&mut p, &mut num, &mut r).number(v);
        self.acc.end_record(r, self.ctx);
        Ok(())
    }
}

fn scan_json_doc(reader: Box<dyn BufRead + Send>, path: &str, ctx: &Ctx<'_>) -> Acc {
    let mut acc = Acc::default();
    let mut de = serde_json::Deserializer::from_reader(reader);
    let res = serde::Deserializer::deserialize_any(&mut de, TopVisitor { acc: &mut acc, ctx })
        .and_then(|_| de.end());
    if let Err(e) = res {
        let msg = if e.is_io() {
            format!("read error (input truncated or corrupt): {e}")
        } else {
            format!("invalid JSON: {e}")
        };
        acc.errors.push(err(path, Some(e.line() as u64), msg));
    }
    acc
}
