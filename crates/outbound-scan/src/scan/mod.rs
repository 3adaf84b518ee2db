//! Orchestration: files in parallel, batches of records in parallel within
//! a file, per-batch accumulators merged at the end (no locks on the hot
//! path).
//!
//! Parts: [`walk`] finds the files, [`csv`], [`jsonl`] and [`text`] (and
//! `parquet` with that feature) turn one input into an accumulator (a JSON
//! document through [`jsondoc`], which frames its records, and [`ahead`],
//! which scans them on the pool's other threads), [`merge`] holds the
//! accumulators and merges them into the report. This
//! module holds what they share: the options, limits and the per-run
//! context that validates and hashes cell values.

use std::hash::{BuildHasher, Hasher};

use foldhash::quality::RandomState;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use rayon::prelude::*;

use crate::detect::{self, Hints, trim};
use crate::read::{self, Format};
use crate::report::{ErrorEntry, FieldReport, FileReport, ScanReport};
use crate::{Kind, ProgressFn, mask};

use merge::{Acc, FieldAcc, Rec};

mod ahead;
pub(crate) mod csv;
mod flat;
mod jsondoc;
mod jsonl;
mod lines;
mod merge;
#[cfg(feature = "parquet")]
mod parquet;
mod rows;
mod text;
mod walk;

pub use rows::{RowChunk, RowContext, RowScan, TableScan};

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
    /// individuals. Without it each record counts by its strongest
    /// identifier: its resident ID, else its mobile, else its e-mail.
    pub subject_key: Option<String>,
    /// Masked sample values to keep per field (0 = none; raw values are
    /// never reported).
    pub samples: usize,
    /// Worker threads (None = all cores).
    pub threads: Option<usize>,
    /// Progress callback, see [`ProgressFn`].
    pub progress: Option<ProgressFn>,
    /// Fields (by name, as the report names them) and the kinds a data map
    /// says they match only by chance (`not_kinds`; `scan --map`): such
    /// matches are set aside as the gate sets them aside, counted in the
    /// field's `set_aside` only, not in `kinds`, the individuals or the
    /// sensitive ones.
    pub not_kinds: Vec<(String, Vec<Kind>)>,
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
            .field("not_kinds", &self.not_kinds)
            .finish()
    }
}

/// Records per parallel work item for CSV.
pub(crate) const CSV_BATCH: usize = 4096;
/// Values in a row of a field that [`detect::holds_nothing_by_shape`] may
/// turn down before the field's values are no longer tested
/// ([`FieldAcc::shape_tries`]).
const SHAPE_TRIES: u8 = 8;

/// Whether `v` holds nothing by its shape ([`detect::holds_nothing_by_shape`]),
/// keeping count in `f` of the values in a row that did not.
#[inline(always)]
fn by_shape(f: &mut FieldAcc, v: &[u8]) -> bool {
    let shaped = detect::holds_nothing_by_shape(v);
    f.shape_tries = if shaped {
        SHAPE_TRIES
    } else {
        f.shape_tries - 1
    };
    shaped
}

/// Bytes per parallel work item for line formats.
pub(crate) const LINE_BATCH: usize = 1 << 20;
/// Text lines longer than this are scanned in pieces.
const MAX_TEXT_LINE: usize = 1 << 20;
/// JSON lines longer than this are reported and skipped.
pub(crate) const MAX_JSON_LINE: usize = 16 << 20;
/// Longest field kept: a CSV cell or a JSON string. A cell of personal
/// data is a few hundred bytes; without a cap one gigabyte cell (a few MB
/// gzipped) took two gigabytes of memory. Longer ones are reported with
/// their line and their record is skipped.
const MAX_FIELD: usize = 16 << 20;
/// Longest record kept: a CSV row or an element of a JSON document (or
/// the whole document when it is not an array). Records are held whole
/// while they are scanned, a few per thread.
const MAX_RECORD: usize = 64 << 20;
/// Distinct fields kept per file; further key paths share one field (the
/// gate bounds its undeclared fields alike).
pub const MAX_FIELDS: usize = 10_000;
/// Name of the field collecting key paths beyond [`MAX_FIELDS`].
pub const OTHER_FIELDS: &str = "(other fields)";
/// Longer CSV header cells or JSON keys are not field names: names are
/// copied into every batch's accumulator and into the report, and header
/// hints are computed from them. A huge first line is then data, and a
/// huge key becomes `{long}`.
const MAX_NAME: usize = 1024;

/// How a key that is not personal data stands in a field path when not as
/// written: a number as `{n}` (a map keyed by ids would otherwise make a
/// field per key) and one over 1,024 bytes as `{long}`. The one rule for
/// the scanner's reports and the gate's fields, so that a field the scan
/// suggests is the field the gate checks.
pub fn key_placeholder(k: &str) -> Option<&'static str> {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) {
        Some("{n}")
    } else if k.len() > MAX_NAME {
        Some("{long}")
    } else {
        None
    }
}
/// Appends the segment that stands for a field name that was itself
/// personal data of kind `k` (`{person_name}`); [`segment_kind`] reads it.
pub(crate) fn push_kind_segment(path: &mut String, k: Kind) {
    path.push('{');
    path.push_str(k.as_str());
    path.push('}');
}

/// The kind of a path segment that stands for a key that was itself
/// personal data (`{person_name}`, as [`push_kind_segment`] writes it).
pub(crate) fn segment_kind(seg: &str) -> Option<Kind> {
    seg.strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .and_then(Kind::from_str_id)
}

/// Whether a field path has a segment standing for keys that were
/// themselves personal data (`contacts.{person_name}`): such a field's
/// `non_empty` counts those keys as well as the values under them (a JSON
/// key is in its record, and counted there as a value of its kind).
pub fn keyed_by_personal_data(field: &str) -> bool {
    field.split('.').any(|s| segment_kind(s).is_some())
}

/// Cells longer than this are treated as free text (keyword search too).
const FREE_TEXT_MIN: usize = 24;

/// Whether the plain (reference) paths are forced: set
/// `OUTBOUND_SCAN_PLAIN=1` to parse CSV with `csv-core` alone and run the
/// detectors without their first-stage filters. The output is the same
/// either way (tests compare both); this exists to measure and to rule the
/// fast paths out when chasing a bug.
#[inline]
pub(crate) fn plain_path() -> bool {
    // Asked for every value: one relaxed load once the environment is read.
    match FORCE_PATH.load(Ordering::Relaxed) {
        PATH_PLAIN => true,
        PATH_FAST => false,
        _ => {
            let plain =
                std::env::var_os("OUTBOUND_SCAN_PLAIN").is_some_and(|v| !v.is_empty() && v != "0");
            // Only an unset state is replaced: a concurrent `set_plain_path`
            // wins.
            let _ = FORCE_PATH.compare_exchange(
                PATH_UNSET,
                if plain { PATH_PLAIN } else { PATH_FAST },
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            plain
        }
    }
}

/// Whether `b` is valid UTF-8: SIMD (AVX2 or SSE4.2, chosen at run time,
/// with a scalar fallback) via `simdutf8` on the fast path, `std` on the
/// plain one. Both accept exactly the same inputs.
#[inline]
pub(crate) fn is_utf8(b: &[u8]) -> bool {
    as_utf8(b).is_some()
}

/// `b` as text when it is valid UTF-8, checked as [`is_utf8`] checks it.
#[inline]
pub(crate) fn as_utf8(b: &[u8]) -> Option<&str> {
    if plain_path() {
        std::str::from_utf8(b).ok()
    } else {
        simdutf8::basic::from_utf8(b).ok()
    }
}

/// Which path runs: unset until the environment is read (or after
/// `set_plain_path(None)`), then plain or fast.
static FORCE_PATH: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(PATH_UNSET);
const PATH_UNSET: u8 = 0;
const PATH_PLAIN: u8 = 1;
const PATH_FAST: u8 = 2;

/// For the differential tests: `Some(true)` forces the plain paths for
/// scans started from now on in this process, `Some(false)` the fast ones,
/// `None` goes back to `OUTBOUND_SCAN_PLAIN`. Both give the same report,
/// so a scan running meanwhile elsewhere in the process is unaffected in
/// its result.
#[doc(hidden)]
pub fn set_plain_path(plain: Option<bool>) {
    FORCE_PATH.store(
        plain.map_or(PATH_UNSET, |p| if p { PATH_PLAIN } else { PATH_FAST }),
        Ordering::Relaxed,
    );
}

/// Kinds that identify a subject when no `subject_key` is given, strongest
/// first: resident ID, mobile, e-mail. One rule for the scanner's counts and
/// the gate's ledger, so that both count the same individuals.
pub const SUBJECT_KINDS: [Kind; 3] = [Kind::CnResidentId, Kind::CnMobile, Kind::Email];

/// [`SUBJECT_KINDS`] under the scanner's older name.
const AUTO_KINDS: [Kind; 3] = SUBJECT_KINDS;

/// Per kind, its index in [`AUTO_KINDS`], or `u8::MAX`: one load per match
/// instead of a search.
const AUTO_SLOT: [u8; crate::KIND_COUNT] = {
    let mut t = [u8::MAX; crate::KIND_COUNT];
    let mut i = 0;
    while i < AUTO_KINDS.len() {
        t[AUTO_KINDS[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// [`ScanOptions::not_kinds`] as a bit set of kinds per field name.
#[derive(Default, Debug)]
pub(crate) struct Aside(std::collections::HashMap<String, u32>);

/// A [`FieldAcc`](merge::FieldAcc)'s set-aside kinds before the field's
/// first value looked them up (no kind has this bit).
pub(crate) const ASIDE_UNKNOWN: u32 = 1 << 31;
const _: () = assert!(crate::KIND_COUNT < 31);

impl Aside {
    pub(crate) fn new(not_kinds: &[(String, Vec<Kind>)]) -> Aside {
        let mut m = std::collections::HashMap::new();
        for (field, kinds) in not_kinds {
            let bits = m.entry(field.clone()).or_insert(0u32);
            for &k in kinds {
                *bits |= 1 << k as u32;
            }
        }
        Aside(m)
    }

    /// The kinds set aside in the field named `name`.
    fn of(&self, name: Option<&str>) -> u32 {
        name.and_then(|n| self.0.get(n)).copied().unwrap_or(0)
    }
}

/// What every batch of a run shares: the hash key, the subject key, the
/// sample count, the kinds set aside and which path runs.
struct Ctx<'a> {
    hasher: &'a RandomState,
    subject_key: Option<&'a str>,
    samples: usize,
    aside: &'a Aside,
    /// [`plain_path`], read once per run rather than once per cell.
    plain: bool,
}

impl Ctx<'_> {
    /// A 64-bit hash of a normalised identifier, seeded at random per run
    /// (`foldhash`'s quality hasher: the seed never leaves the process).
    /// Only these values are kept, so the sets can be counted exactly but
    /// not reversed; with ~10^9 subjects the chance of any collision is
    /// ~3%, negligible at the thresholds that matter (10^4–10^6). It
    /// replaced std's SipHash-1-3 (session 48): −2.5 % instructions and
    /// 4 % of a one-thread scan; the hashes never leave memory, so a
    /// keyed PRF buys nothing here (the gate's, which are stored, are
    /// HMAC-SHA-256).
    fn hash(&self, kind: Option<Kind>, v: &[u8]) -> u64 {
        let digest = |d: &[u8]| {
            let mut h = self.hasher.build_hasher();
            h.write(d);
            h.finish()
        };
        if kind == Some(Kind::CnMobile) {
            let mut buf = [0u8; 24];
            let mut n = 0;
            for &b in v.iter().filter(|b| b.is_ascii_digit()).take(24) {
                buf[n] = b;
                n += 1;
            }
            return digest(&buf[n.saturating_sub(11)..n]);
        }
        if kind.is_none() {
            // The subject key's values, compared as the gate compares them
            // (` c-1 ` and `C1` are one individual).
            let mut s = String::with_capacity(v.len());
            crate::normalize_subject_push(&String::from_utf8_lossy(v), &mut s);
            return digest(s.as_bytes());
        }
        let t = trim(v);
        let t = &t[..t.len().min(256)];
        // Lower-cased, the first 256 bytes; most identifiers (digits) have
        // no upper case and are hashed where they lie, without a copy (the
        // test folds without an early exit, so it is vectorised).
        if !t.iter().fold(false, |up, b| up | b.is_ascii_uppercase()) {
            return digest(t);
        }
        let mut buf = [0u8; 256];
        buf[..t.len()].copy_from_slice(t);
        buf[..t.len()].make_ascii_lowercase();
        digest(&buf[..t.len()])
    }

    /// [`Ctx::hash`] of a match, out of line: the match callback runs for
    /// every match and stays small (a record hashes one subject at most).
    #[inline(never)]
    fn hash_subject(&self, k: Kind, v: &[u8]) -> u64 {
        self.hash(Some(k), v)
    }

    #[inline(always)]
    fn cell(&self, f: &mut FieldAcc, v: &[u8], free: bool, is_key: bool, r: &mut Rec) {
        let hints = f.hints;
        self.cell_hinted(f, hints, v, free, is_key, r);
    }

    /// Counts once, in its field `f`, a field name that is itself personal
    /// data of `kind` (as `detect::kind_of_field_name` found it) and that
    /// names a column rather than sits in a record: a CSV header cell, a
    /// Parquet or database column name. (A JSON key is in its record and
    /// counted there, as a value.)
    /// An identifier so found counts its subject among the individuals, as
    /// a JSON key does in its record (no record is counted).
    #[inline(never)]
    fn count_field_name(&self, acc: &mut Acc, field: usize, kind: Kind, name: &[u8]) {
        let hints = Hints::of(kind);
        let mut r = Rec::default();
        let v = match kind {
            Kind::PersonName => detect::name::name_key_as_value(name),
            _ => name.into(),
        };
        self.cell_hinted(&mut acc.fields[field], hints, &v, true, false, &mut r);
        acc.take_subjects(&mut r);
    }

    /// [`Ctx::cell`] read with `hints` rather than its field's: a field
    /// name that is itself personal data is read as the kind it was found
    /// to be, while the values under it keep the field's own hints.
    #[inline(always)]
    fn cell_hinted(
        &self,
        f: &mut FieldAcc,
        hints: Hints,
        v: &[u8],
        free: bool,
        is_key: bool,
        r: &mut Rec,
    ) {
        // Fields with kinds set aside (and each field's first value, which
        // looks them up) take a copy of this path of their own: the one
        // every other cell takes tests no kind for them.
        if f.aside != 0 && self.sets_aside(f) {
            self.cell_setting_aside(f, hints, v, free, is_key, r);
        } else {
            self.cell_with::<false>(f, hints, v, free, is_key, r);
        }
    }

    /// Whether `f` has kinds set aside, looked up on its first value.
    #[cold]
    #[inline(never)]
    fn sets_aside(&self, f: &mut FieldAcc) -> bool {
        if f.aside == ASIDE_UNKNOWN {
            f.aside = self.aside.of(f.name.as_deref());
        }
        f.aside != 0
    }

    /// [`Ctx::cell_with`] for a field with kinds set aside.
    #[cold]
    #[inline(never)]
    fn cell_setting_aside(
        &self,
        f: &mut FieldAcc,
        hints: Hints,
        v: &[u8],
        free: bool,
        is_key: bool,
        r: &mut Rec,
    ) {
        self.cell_with::<true>(f, hints, v, free, is_key, r);
    }

    /// Detects and counts one value; with `ASIDE`, matches of the kinds
    /// `f` sets aside count only there.
    #[inline(always)]
    fn cell_with<const ASIDE: bool>(
        &self,
        f: &mut FieldAcc,
        hints: Hints,
        v: &[u8],
        free: bool,
        is_key: bool,
        r: &mut Rec,
    ) {
        // Blank: empty or all whitespace (most cells fail the first test).
        if v.first().is_none_or(u8::is_ascii_whitespace) && trim(v).is_empty() {
            return;
        }
        f.non_empty += 1;
        if is_key {
            let h = self.hash(None, v);
            if r.many {
                r.keys.push(h);
            } else {
                r.key = Some(h);
            }
        }
        let as_text = f.name.is_none() || (free && hints.is_empty() && v.len() >= FREE_TEXT_MIN);
        // A short word of a table (no digit, `@`, `:`, `-` or `(`) holds no
        // kind and is no card- or mobile-shaped miss: counted as a cell,
        // and nothing else to do.
        // So does a date, an amount, a number or a code no kind takes,
        // told by its shape, looked for while the field's values keep
        // being such.
        if !self.plain
            && !as_text
            && !hints.context_only()
            && (detect::holds_no_mark(v) || (f.shape_tries != 0 && by_shape(f, v)))
        {
            return;
        }
        // The kinds this cell has matched, in the record (one pointer the
        // callback already holds, not one more in its environment).
        r.seen = 0;
        let mut emit = |k: Kind, a: usize, b: usize| {
            // `f` and `r` captured whole: field by field (edition 2021's
            // disjoint captures) the closure's environment took sixteen
            // pointers, stored for every cell.
            let (f, r) = (&mut *f, &mut *r);
            let bit = 1u32 << k as u32;
            if ASIDE && f.aside & bit != 0 {
                f.set_aside[k as usize] += 1;
                return;
            }
            f.matches[k as usize] += 1;
            // A cell counts once per kind (most cells have one match: the
            // test is taken once, with no loop over the kinds afterwards).
            if r.seen & bit == 0 {
                r.seen |= bit;
                f.values[k as usize] += 1;
            }
            r.sensitive |= k.is_sensitive();
            let slot = AUTO_SLOT[k as usize] as usize;
            // A record's first value of its strongest kind (most records
            // hash one value: a weaker kind after a stronger one is skipped);
            // a record of many people keeps every value of every such kind
            // (`Acc::end_record` picks which count).
            if slot < AUTO_KINDS.len() && self.subject_key.is_none() {
                if r.many {
                    if r.line {
                        // Hashed when the line ends, if its kind counts.
                        r.spans.push((slot as u8, a, b));
                    } else {
                        // The first in `auto` (most documents hold one: no
                        // allocation), all of them in `all` from the second.
                        let h = (slot as u8, self.hash_subject(k, &v[a..b]));
                        match r.auto.take() {
                            None if r.all.is_empty() => r.auto = Some(h),
                            first => r.all.extend(first.into_iter().chain([h])),
                        }
                    }
                } else if r.auto.is_none_or(|(s, _)| usize::from(s) > slot) {
                    r.auto = Some((slot as u8, self.hash_subject(k, &v[a..b])));
                }
            }
            if f.samples.len() < self.samples {
                push_sample(&mut f.samples, k, &v[a..b], r.order);
            }
        };
        if as_text {
            detect::scan_text_path(v, Hints::NONE, true, self.plain, &mut emit);
        } else {
            detect::scan_value_path(v, hints, self.plain, &mut emit);
        }
        // A cell with no match that has the shape of a kind some other
        // numbering passes by chance, in a field where that kind was found:
        // the other half of telling order numbers that pass Luhn from cards
        // and user numbers from mobiles. One test of `seen` and the length
        // for most cells; numbers of a card's length starting with 1
        // (13-digit millisecond timestamps; UATP's 15-digit 1… is too rare
        // to tell a column by) stop before the call.
        if r.seen == 0 && v.len() >= 11 {
            if v.len() == 11 {
                if v[0] == b'1'
                    && v[1] <= b'2'
                    && f.values[Kind::CnMobile as usize] != 0
                    && detect::mobile::is_unissued_shape(v)
                {
                    f.mobile_misses += 1;
                }
            } else if v.len().wrapping_sub(13) < 7
                && v[0] != b'1'
                && f.values[Kind::BankCard as usize] != 0
                && detect::bank_card::is_card_shaped(v)
            {
                f.card_misses += 1;
            }
        }
    }

    /// Counts a line's identifiers, kept as spans by [`Ctx::cell`], once
    /// the line has been read: as `Acc::end_record` counts a record of many
    /// people (the kind with the most distinct values, the strongest among
    /// equals), but a kind with one value counts one without being hashed,
    /// and only the kind that counts is kept. A log line with an ID, a
    /// mobile and an e-mail hashes one value, not three. Leaves the line's
    /// subject in `auto`, or its distinct values, all of one kind, in `all`.
    #[inline(never)]
    pub(super) fn settle_line(&self, v: &[u8], r: &mut Rec) {
        let hash = |&(s, a, b): &(u8, usize, usize)| {
            (s, self.hash_subject(AUTO_KINDS[usize::from(s)], &v[a..b]))
        };
        let mut n = [0usize; AUTO_KINDS.len()];
        for &(s, ..) in &r.spans {
            n[usize::from(s)] += 1;
        }
        r.strongest = n.iter().position(|&c| c > 0).map(|s| s as u8);
        // Distinct values: 0 or 1 where there are that many, the distinct
        // hashes where there are more.
        let mut distinct = n.map(|c| c.min(1));
        if n.iter().any(|&c| c > 1) {
            for sp in &r.spans {
                if n[usize::from(sp.0)] > 1 {
                    r.all.push(hash(sp));
                }
            }
            merge::make_distinct(&mut r.all);
            let hashed = merge::per_slot(&r.all);
            for (s, d) in distinct.iter_mut().enumerate() {
                if n[s] > 1 {
                    *d = hashed[s];
                }
            }
        }
        let chosen = merge::most_distinct(&distinct);
        if distinct[usize::from(chosen)] > 1 {
            r.all.retain(|&(s, _)| s == chosen);
        } else {
            // One value: already hashed if its kind had copies.
            r.auto = r
                .all
                .iter()
                .find(|e| e.0 == chosen)
                .copied()
                .or_else(|| r.spans.iter().find(|&&(s, ..)| s == chosen).map(hash));
            r.all.clear();
        }
        r.spans.clear();
    }
}

/// Keeps a masked sample of a match (out of line: only the first few
/// matches of a field get here).
#[cold]
#[inline(never)]
fn push_sample(samples: &mut Vec<(u64, String)>, k: Kind, v: &[u8], order: u64) {
    samples.push((order, mask(k, &String::from_utf8_lossy(v))));
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

fn scan_paths_inner(paths: &[PathBuf], opts: &ScanOptions) -> ScanReport {
    let mut errors = Vec::new();
    let mut skipped = Vec::new();
    let files = walk::collect_files(paths, opts, &mut errors, &mut skipped);
    let hasher = RandomState::default();
    let aside = Aside::new(&opts.not_kinds);
    let ctx = Ctx {
        hasher: &hasher,
        subject_key: opts.subject_key.as_deref(),
        samples: opts.samples,
        aside: &aside,
        plain: plain_path(),
    };
    let results: Vec<(FileReport, Acc)> = files
        .par_iter()
        .map(|p| scan_file(p, &ctx, opts.progress.clone()))
        .collect();
    let mut report = merge::report(results, opts.subject_key.as_deref(), errors);
    report.skipped = skipped;
    report
}

/// An error about `path`, at `line` if known.
fn err(path: &str, line: Option<u64>, message: String) -> ErrorEntry {
    ErrorEntry {
        path: path.to_string(),
        line,
        offset: None,
        message,
    }
}

fn scan_file(path: &Path, ctx: &Ctx<'_>, progress: Option<ProgressFn>) -> (FileReport, Acc) {
    let display = path.display().to_string();
    let mut fr = FileReport {
        path: display.clone(),
        ..Default::default()
    };
    // A `.parquet` name is trusted without opening the file; other inputs
    // are opened once and `read::open` tells Parquet by its magic.
    let input = if has_parquet_extension(path) {
        None
    } else {
        match read::open(path, progress.clone()) {
            Ok(i) if i.format == Format::Parquet => None,
            Ok(i) => Some(i),
            Err(e) => {
                let mut acc = Acc::default();
                acc.errors
                    .push(err(&display, None, format!("cannot open: {e}")));
                return (fr, acc);
            }
        }
    };
    let Some(input) = input else {
        return scan_parquet_file(path, fr, ctx, progress);
    };
    fr.format = input.format.name().to_string();
    fr.compression = input.compression.map(str::to_string);
    fr.encoding = input.encoding.to_string();
    let raw = input.raw_bytes.clone();
    let head_error = input.head_error;
    let mut acc = match input.format {
        Format::Csv(d) => csv::scan_csv(input.reader, d, &display, ctx),
        Format::Text => lines::scan_lines(input.reader, false, &display, ctx),
        Format::JsonLines => lines::scan_lines(input.reader, true, &display, ctx),
        Format::Json => jsonl::scan_json_doc(input.reader, &display, ctx),
        // Handled above, before any stream was read.
        Format::Parquet => Acc::default(),
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
        .map(|f| merge::field_report(f, ctx.samples))
        .collect();
    if input.format == Format::Json || input.format == Format::JsonLines {
        fields.sort_by(|a, b| a.field.cmp(&b.field));
    }
    fr.fields = fields;
    (fr, acc)
}

/// Whether the name ends in `.parquet`.
fn has_parquet_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// A Parquet input: read by random access, so only from a regular file
/// (never from stdin or a pipe, which could not be read again).
fn scan_parquet_file(
    path: &Path,
    mut fr: FileReport,
    ctx: &Ctx<'_>,
    progress: Option<ProgressFn>,
) -> (FileReport, Acc) {
    fr.format = "parquet".into();
    fr.encoding = "binary".into();
    let mut acc = Acc::default();
    if !cfg!(feature = "parquet") {
        let _ = (ctx, progress);
        acc.errors.push(err(
            &fr.path,
            None,
            "Parquet support is not compiled in (build with the `parquet` feature)".into(),
        ));
        return (fr, acc);
    }
    if path.as_os_str() == "-" || !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        acc.errors.push(err(
            &fr.path,
            None,
            "Parquet is read by random access: give a regular file, not stdin or a pipe".into(),
        ));
        return (fr, acc);
    }
    #[cfg(feature = "parquet")]
    {
        let (a, size) = parquet::scan_parquet(path, &fr.path, ctx, progress);
        acc = a;
        fr.records = acc.records;
        fr.bytes = size;
        let mut fields: Vec<FieldReport> = acc
            .fields
            .iter_mut()
            .map(|f| merge::field_report(f, ctx.samples))
            .collect();
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        fr.fields = fields;
    }
    (fr, acc)
}

#[cfg(test)]
mod hash_tests;
