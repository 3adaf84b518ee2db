//! CSV and TSV: the first record is a header when every cell looks like a
//! name and none holds personal data; records are cut into batches in one
//! flat buffer each and scanned in parallel.
//!
//! Records are parsed with `csv-core` straight into the batch buffer, so a
//! field or a record over its limit ([`MAX_FIELD`], [`MAX_RECORD`]) is
//! noticed while it grows, reported with its line and skipped, and never
//! held whole.

use std::io::{self, BufRead};
use std::sync::{Arc, Mutex};

use csv_core::ReadRecordResult;
use rayon::prelude::*;

use super::merge::{Acc, Rec};
use super::{
    CSV_BATCH, Ctx, LINE_BATCH, MAX_FIELD, MAX_FIELDS, MAX_NAME, MAX_RECORD, OTHER_FIELDS, err,
};
use crate::detect::{self, Hints, trim};
use crate::report::ErrorEntry;

/// Where a field lies in a batch's `data`: 8 bytes a field, as the field
/// ends were before (a record of millions of empty fields is as large as
/// its spans). A batch holds at most [`MAX_BATCH_BYTES`] plus one record
/// (at most [`MAX_RECORD`] bytes) of field data, and at most as many line
/// ends, so offsets fit in `u32`.
type Span = (u32, u32);

/// The most field data a batch is filled up to (callers of
/// `records::CsvRecords::read_batch` ask for less; this bounds what they
/// can ask for).
pub(crate) const MAX_BATCH_BYTES: usize = 1 << 30;

// Line ends kept between fast-path lines (`FlatBatch::gaps`) are at most
// one per byte of field data, so `data` is at most twice as long.
const _: () = assert!(2 * MAX_BATCH_BYTES + MAX_RECORD + MAX_FIELD < u32::MAX as usize);

/// A span from two offsets in a batch (below `u32::MAX` by the bounds above).
#[inline(always)]
fn span(a: usize, b: usize) -> Span {
    debug_assert!(b < u32::MAX as usize);
    (a as u32, b as u32)
}

/// Records of one work item in one flat buffer: one allocation per batch
/// instead of one per record.
#[derive(Default)]
pub(crate) struct FlatBatch {
    data: Vec<u8>,
    /// Where every field lies in `data`. Fields parsed by `csv-core` are
    /// end to end; a line split on the fast path is copied whole, so its
    /// fields have the delimiters between them.
    spans: Vec<Span>,
    /// Per record: (data start, index of first field in `spans`, line).
    pub(crate) recs: Vec<(usize, usize, u64)>,
    /// Line ends kept in `data` between fast-path lines copied together
    /// (one copy per read buffer); not counted as field data, so batches
    /// end where they did with one copy per line.
    gaps: usize,
    /// Ranges of `spans` whose fields may start with a UTF-8 continuation
    /// byte in a batch that is valid as a whole ([`Self::cuts_a_character`]):
    /// `csv-core`'s records (fields end to end) and the first field of
    /// each run of fast-path lines (it follows the bytes before the run).
    /// Every other field of a run follows an ASCII delimiter, quote or
    /// line end, and a continuation byte after an ASCII byte makes the
    /// batch invalid.
    exposed: Vec<(usize, usize)>,
}

impl FlatBatch {
    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.spans.clear();
        self.recs.clear();
        self.gaps = 0;
        self.exposed.clear();
    }

    /// Bytes of field data held.
    pub(crate) fn data_len(&self) -> usize {
        self.data.len() - self.gaps
    }

    /// How many fields record `r` has.
    pub(crate) fn width(&self, r: usize) -> usize {
        self.recs.get(r + 1).map_or(self.spans.len(), |x| x.1) - self.recs[r].1
    }

    /// Whether some non-empty field starts with a UTF-8 continuation byte
    /// (so it is invalid alone even if the batch is valid as a whole).
    /// Only fields in [`Self::exposed`] are looked at: in a valid batch no
    /// other field can (the whole-span loop cost 1.4 % of a scan).
    pub(crate) fn cuts_a_character(&self) -> bool {
        self.exposed
            .iter()
            .flat_map(|&(i, j)| &self.spans[i..j])
            .any(|&(a, e)| a < e && self.data[a as usize] & 0xC0 == 0x80)
    }

    /// (line, iterator over fields)
    pub(crate) fn record(&self, r: usize) -> (u64, impl Iterator<Item = &[u8]> + Clone) {
        let (_, first, line) = self.recs[r];
        let last = self.recs.get(r + 1).map_or(self.spans.len(), |x| x.1);
        let fields = self.spans[first..last]
            .iter()
            .map(move |&(a, e)| &self.data[a as usize..e as usize]);
        (line, fields)
    }
}

/// What reading one record gave.
pub(crate) enum Next {
    /// A record was appended to the batch.
    Record,
    /// A record over a limit was read past and not kept: its line, the
    /// 1-based field where the limit was met, and which limit.
    TooLarge(u64, usize, &'static str),
    /// No more records.
    End,
    /// A read error (truncated or corrupt input) at this line.
    Io(u64, io::Error),
}

/// Parses CSV records into [`FlatBatch`]es with bounded memory.
pub(crate) struct Records<R> {
    core: csv_core::Reader,
    delim: u8,
    rdr: R,
    /// The record being parsed. It persists across records, so its slack is
    /// allocated once, not zero-filled per record (that cost 4× the whole
    /// CSV scan); it only grows towards the limits plus one byte.
    record: Vec<u8>,
    /// Where output goes while an over-long record is read past.
    sink: Vec<u8>,
    sink_ends: Vec<usize>,
    /// Whether whole unquoted lines may bypass `csv-core` ([`Self::fast_lines`]).
    fast: bool,
    /// Set once `csv-core` has read: it strips a UTF-8 byte order mark at
    /// the very start, so the first record always goes through it.
    started: bool,
}

impl<R: BufRead> Records<R> {
    pub(crate) fn new(rdr: R, delim: u8) -> Self {
        Self::with_path(rdr, delim, !super::plain_path())
    }

    /// `fast = false` keeps every record on `csv-core` (the plain path).
    fn with_path(rdr: R, delim: u8, fast: bool) -> Self {
        Records {
            core: csv_core::ReaderBuilder::new().delimiter(delim).build(),
            delim,
            rdr,
            record: vec![0; 64 * 1024],
            sink: vec![0; 64 * 1024],
            sink_ends: vec![0; 1024],
            fast: fast && !matches!(delim, b'"' | b'\r' | b'\n'),
            started: false,
        }
    }

    /// The fast path: when the buffered input holds a whole non-empty line
    /// without `\r` and without quotes (or with simple quoting, below),
    /// that line is a record whose fields are the
    /// pieces between delimiters, exactly as `csv-core` would parse it
    /// (between records `csv-core` is at a record start: a record ended by
    /// `\n` leaves it there, and after one ended by `\r` it treats any byte
    /// but `\n` as a record start). The line is split by
    /// [`split_plain_line`]; a line with
    /// quotes is split by [`split_simple_quoted`] if its quoting is simple;
    /// anything else (other quoting, CR, blank lines, a line longer than the
    /// buffer, end of input, errors) goes to `csv-core`.
    ///
    /// Every such line the read buffer holds is taken at once, while `b`
    /// has fewer than `max_recs` records and less than `max_bytes` of field
    /// data (the limits the caller tests before each record), and the run
    /// of lines is copied into the batch in one piece with its inner line
    /// ends (counted in `gaps`), and consumed once: one copy and one
    /// `consume` per buffer instead of per line.
    /// Returns `None` when the next line is left to `csv-core`.
    #[inline]
    fn fast_lines(&mut self, b: &mut FlatBatch, max_recs: usize, max_bytes: usize) -> Option<Next> {
        let input = match self.rdr.fill_buf() {
            Ok(i) => i,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return None,
            Err(e) => return Some(Next::Io(self.core.line(), e)),
        };
        let first_line = self.core.line();
        let data_start = b.data.len();
        // Field data of the batch as the caller counts it, and where the
        // next line starts in `input`.
        let mut counted = b.data_len();
        let (mut pos, mut taken) = (0usize, 0u64);
        // Where the next `"` or `\r` at or after `pos` is (`input.len()`:
        // none), found once for many lines rather than once a line.
        let mut special: Option<usize> = None;
        loop {
            if taken > 0 && (b.recs.len() >= max_recs || counted >= max_bytes) {
                break;
            }
            let rest = &input[pos..];
            let spans_start = b.spans.len();
            let base = data_start + pos;
            let nl =
                match split_line_cached(input, pos, &mut special, self.delim, base, &mut b.spans) {
                    Split::Line(nl) => Some(nl),
                    Split::NoLine => None,
                    Split::Quote(nl) => {
                        b.spans.truncate(spans_start);
                        (memchr::memchr(b'\r', &rest[..nl]).is_none()
                            && split_simple_quoted(&rest[..nl], self.delim, base, &mut b.spans))
                        .then_some(nl)
                    }
                };
            let Some(nl) = nl.filter(|&nl| nl > 0 && nl <= MAX_FIELD.min(MAX_RECORD)) else {
                b.spans.truncate(spans_start);
                break;
            };
            b.recs.push((base, spans_start, first_line + taken));
            taken += 1;
            counted += nl;
            pos += nl + 1;
        }
        if taken == 0 {
            return None;
        }
        // The first field of the run follows whatever the batch held
        // before; with a non-ASCII delimiter every field is exposed.
        let run_start = b.recs[b.recs.len() - taken as usize].1;
        let exposed_end = if self.delim.is_ascii() {
            run_start + 1
        } else {
            b.spans.len()
        };
        b.exposed.push((run_start, exposed_end));
        // The lines and the line ends between them (not the last one).
        b.data.extend_from_slice(&input[..pos - 1]);
        b.gaps += taken as usize - 1;
        self.core.set_line(first_line + taken);
        self.rdr.consume(pos);
        Some(Next::Record)
    }

    /// Appends the next record to `b`, or reads past it when it is over
    /// a limit: the buffer only ever grows to the limits plus one.
    pub(crate) fn read(&mut self, b: &mut FlatBatch) -> Next {
        let one = b.recs.len() + 1;
        self.read_many(b, one, usize::MAX)
    }

    /// Appends at least one record to `b` as [`Self::read`] does, and on
    /// the fast path every further whole line of the read buffer while `b`
    /// has fewer than `max_recs` records and less than `max_bytes` of
    /// field data ([`FlatBatch::data_len`]).
    pub(crate) fn read_many(
        &mut self,
        b: &mut FlatBatch,
        max_recs: usize,
        max_bytes: usize,
    ) -> Next {
        if self.fast
            && self.started
            && let Some(n) = self.fast_lines(b, max_recs, max_bytes)
        {
            return n;
        }
        self.started = true;
        let line = self.core.line();
        let (data_start, ends_start) = (b.data.len(), b.spans.len());
        // Bytes of this record in `self.record`, and the end of its last
        // field (csv-core counts both from the record's start).
        let (mut outlen, mut last_end) = (0usize, 0usize);
        let mut over: Option<(usize, &'static str)> = None;
        let mut ends = [0usize; 256];
        let res = loop {
            let input = match self.rdr.fill_buf() {
                Ok(i) => i,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    b.spans.truncate(ends_start);
                    return Next::Io(self.core.line(), e);
                }
            };
            let (res, nin) = if over.is_some() {
                let (res, nin, _, _) =
                    self.core
                        .read_record(input, &mut self.sink, &mut self.sink_ends);
                (res, nin)
            } else {
                if self.record.len() == outlen {
                    // Room up to one byte past either limit, growing by
                    // doubling (at least 64 KiB).
                    let room = (MAX_FIELD + 1 - (outlen - last_end))
                        .min(MAX_RECORD + 1 - outlen)
                        .min(outlen.max(64 * 1024));
                    self.record.resize(outlen + room, 0);
                }
                let (res, nin, nout, nend) =
                    self.core
                        .read_record(input, &mut self.record[outlen..], &mut ends);
                for &e in &ends[..nend] {
                    if e - last_end > MAX_FIELD && over.is_none() {
                        over = Some((b.spans.len() - ends_start + 1, "field"));
                    }
                    b.spans.push(span(data_start + last_end, data_start + e));
                    last_end = e;
                }
                outlen += nout;
                if over.is_none() {
                    if outlen - last_end > MAX_FIELD {
                        over = Some((b.spans.len() - ends_start + 1, "field"));
                    } else if outlen > MAX_RECORD {
                        over = Some((b.spans.len() - ends_start + 1, "record"));
                    }
                }
                if over.is_some() {
                    b.spans.truncate(ends_start);
                    // Give back what the over-long record made it grow to.
                    self.record.truncate(64 * 1024);
                    self.record.shrink_to_fit();
                }
                (res, nin)
            };
            self.rdr.consume(nin);
            match res {
                ReadRecordResult::InputEmpty
                | ReadRecordResult::OutputFull
                | ReadRecordResult::OutputEndsFull => {}
                r => break r,
            }
        };
        if let Some((field, what)) = over {
            return Next::TooLarge(line, field, what);
        }
        if res == ReadRecordResult::End {
            b.spans.truncate(ends_start);
            return Next::End;
        }
        b.data.extend_from_slice(&self.record[..outlen]);
        b.exposed.push((ends_start, b.spans.len()));
        b.recs.push((data_start, ends_start, line));
        Next::Record
    }
}

/// What [`split_plain_line`] found.
enum Split {
    /// The line ends at this `\n`; its fields' spans were pushed.
    Line(usize),
    /// A `"` before the first `\n`, which is here.
    Quote(usize),
    /// A `\r` before the first `\n`, or no `\n` in the input.
    NoLine,
}

/// Splits the line at the start of `input` at its delimiters, pushing
/// each field's span (offset by `base`, where the line will lie in the
/// batch), unless a `"` or `\r` comes before the first `\n`. memchr
/// (AVX2) for the line end, then for quotes and CR, then the delimiters
/// in one SWAR pass ([`for_each_byte`]; a one-pass SWAR splitter for all
/// four bytes measured the same time as memchr with more instructions).
/// `delim` is none of `"`, `\r`, `\n` (the caller checks).
/// Now the reference for [`split_line_cached`] in the tests.
#[cfg(test)]
fn split_plain_line(input: &[u8], delim: u8, base: usize, spans: &mut Vec<Span>) -> Split {
    let Some(nl) = memchr::memchr(b'\n', input) else {
        return Split::NoLine;
    };
    let text = &input[..nl];
    match memchr::memchr2(b'"', b'\r', text) {
        None => {
            let mut prev = 0;
            for_each_byte(text, delim, |p| {
                spans.push(span(base + prev, base + p));
                prev = p + 1;
            });
            spans.push(span(base + prev, base + nl));
            Split::Line(nl)
        }
        Some(p) if text[p] == b'\r' => Split::NoLine,
        Some(_) => Split::Quote(nl),
    }
}

/// [`split_plain_line`] for the line at `input[pos..]`, with the search
/// for `"` and `\r` shared by the lines of a buffer: `special` holds the
/// position in `input` of the next such byte at or after an earlier line's
/// start (`input.len()` when there is none; `None` before the first search)
/// and is searched again only once `pos` has passed it. A line ending
/// before it has neither; one the byte lies in is judged as
/// [`split_plain_line`] would (a `\r` first: no line; a `"` first: quoted).
#[inline]
fn split_line_cached(
    input: &[u8],
    pos: usize,
    special: &mut Option<usize>,
    delim: u8,
    base: usize,
    spans: &mut Vec<Span>,
) -> Split {
    let rest = &input[pos..];
    let Some(nl) = memchr::memchr(b'\n', rest) else {
        return Split::NoLine;
    };
    let at = match *special {
        Some(p) if p >= pos => p,
        _ => {
            let p = memchr::memchr2(b'"', b'\r', rest).map_or(input.len(), |p| pos + p);
            *special = Some(p);
            p
        }
    };
    if at >= pos + nl {
        let mut prev = 0;
        for_each_byte(&rest[..nl], delim, |p| {
            spans.push(span(base + prev, base + p));
            prev = p + 1;
        });
        spans.push(span(base + prev, base + nl));
        Split::Line(nl)
    } else if input[at] == b'\r' {
        Split::NoLine
    } else {
        Split::Quote(nl)
    }
}

/// Calls `f` with every position of `needle` in `text`, in order, 8
/// bytes at a time in a register (SWAR). Delimiters lie a field apart
/// (10–30 bytes in a table), and `memchr_iter` paid its setup for every
/// one of them: one pass over the line costs half the instructions. In
/// `x = word ^ needle×8` a byte is zero exactly where the needle is;
/// `((x & 0x7F…) + 0x7F…) | x` sets a byte's high bit exactly when the
/// byte is not zero (no carry crosses a byte), so its complement's high
/// bits are the needles, all of them and nothing else.
#[inline(always)]
fn for_each_byte(text: &[u8], needle: u8, mut f: impl FnMut(usize)) {
    const LO7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pat = 0x0101_0101_0101_0101 * u64::from(needle);
    let mut i = 0;
    while i + 8 <= text.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&text[i..i + 8]);
        let x = u64::from_le_bytes(w) ^ pat;
        let mut z = !(((x & LO7) + LO7) | x) & HI;
        while z != 0 {
            f(i + (z.trailing_zeros() / 8) as usize);
            z &= z - 1;
        }
        i += 8;
    }
    for (p, &b) in text.iter().enumerate().skip(i) {
        if b == needle {
            f(p);
        }
    }
}

/// The positions of `a` or `b` in `text`, in order; SWAR as in
/// [`for_each_byte`], two masks or-ed, one word's flags at a time.
struct Bytes2<'a> {
    text: &'a [u8],
    /// Start of the word whose flags are `z`.
    i: usize,
    z: u64,
    pa: u64,
    pb: u64,
    /// A byte that is neither `a` nor `b`.
    pad: u8,
}

impl<'a> Bytes2<'a> {
    fn new(text: &'a [u8], a: u8, b: u8) -> Self {
        let mut s = Bytes2 {
            text,
            i: 0,
            z: 0,
            pa: 0x0101_0101_0101_0101 * u64::from(a),
            pb: 0x0101_0101_0101_0101 * u64::from(b),
            pad: (0..3).find(|&c| c != a && c != b).unwrap_or(0),
        };
        s.z = s.flags(0);
        s
    }

    /// Flags of the word at `i` (a short tail is padded).
    #[inline(always)]
    fn flags(&self, i: usize) -> u64 {
        const LO7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
        const HI: u64 = 0x8080_8080_8080_8080;
        let zero = |x: u64| !(((x & LO7) + LO7) | x) & HI;
        let rest = &self.text[i.min(self.text.len())..];
        let w = if rest.len() >= 8 {
            let mut w = [0u8; 8];
            w.copy_from_slice(&rest[..8]);
            u64::from_le_bytes(w)
        } else {
            let mut w = [self.pad; 8];
            w[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(w)
        };
        zero(w ^ self.pa) | zero(w ^ self.pb)
    }
}

impl Iterator for Bytes2<'_> {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        while self.z == 0 {
            self.i += 8;
            if self.i >= self.text.len() {
                return None;
            }
            self.z = self.flags(self.i);
        }
        let p = self.i + (self.z.trailing_zeros() / 8) as usize;
        self.z &= self.z - 1;
        Some(p)
    }
}

/// Splits a line (no `\n`, no `\r`) whose quoted fields are all simple
/// as `csv-core` would, pushing each field's span (`base` is where the
/// line will lie in the batch): a `"` opens a field only
/// right after a delimiter or at the line's start, the next `"` closes it
/// and is followed by a delimiter or the line's end, and the field is what
/// lies between (delimiters included). Returns false on anything else (an
/// escaped `""`, a quote inside an unquoted field, text after a closing
/// quote, a quote left open because the field spans lines): the caller
/// then drops the spans pushed and leaves the line to `csv-core`. One
/// record in five of the generated corpus has a quoted note, and
/// `csv-core`'s byte-at-a-time machine cost 2,000 instructions a line.
fn split_simple_quoted(text: &[u8], delim: u8, base: usize, spans: &mut Vec<Span>) -> bool {
    /// Where the field being read stands.
    enum At {
        /// Unquoted, started here.
        Field(usize),
        /// Quoted, opened at this `"`.
        Quoted(usize),
        /// Closed by the `"` here; a delimiter must follow at once.
        Closed(usize),
    }
    // One SWAR pass over the delimiters and quotes in order (a memchr
    // call per field and per quote cost more than the splitting).
    let mut at = At::Field(0);
    for p in Bytes2::new(text, delim, b'"') {
        let quote = text[p] == b'"';
        at = match at {
            At::Field(start) if quote && p == start => At::Quoted(p),
            At::Field(_) if quote => return false, // a quote inside an unquoted field
            At::Field(start) => {
                spans.push(span(base + start, base + p));
                At::Field(p + 1)
            }
            At::Quoted(open) if quote => {
                spans.push(span(base + open + 1, base + p));
                At::Closed(p)
            }
            At::Quoted(open) => At::Quoted(open), // a delimiter inside quotes
            At::Closed(close) if !quote && p == close + 1 => At::Field(p + 1),
            At::Closed(_) => return false, // text or a quote after a closing quote
        };
    }
    match at {
        At::Field(start) => {
            spans.push(span(base + start, base + text.len()));
            true
        }
        At::Quoted(_) => false, // left open: the field spans lines
        At::Closed(close) => close + 1 == text.len(),
    }
}

/// The error for a record over a limit; names the field, never a value.
fn too_large(path: &str, line: u64, field: &str, what: &str) -> ErrorEntry {
    let limit = if what == "field" {
        format!("field `{field}` is longer than {} MiB", MAX_FIELD >> 20)
    } else {
        format!(
            "record is longer than {} MiB (at field `{field}`)",
            MAX_RECORD >> 20
        )
    };
    err(path, Some(line), format!("{limit}: record skipped"))
}

/// The name of 1-based field `i` for messages.
fn field_name(names: &[Option<String>], i: usize) -> String {
    match names.get(i.wrapping_sub(1)) {
        Some(Some(n)) => n.clone(),
        _ => format!("column_{i}"),
    }
}

struct CsvBatches<R> {
    records: Records<R>,
    names: Arc<Vec<Option<String>>>,
    errors: Arc<Mutex<Vec<ErrorEntry>>>,
    /// Batches scanned and handed back, reused: a fresh megabyte per batch
    /// cost a page fault and a zeroed page every 4 KiB.
    pool: Arc<Mutex<Vec<FlatBatch>>>,
    path: String,
    done: bool,
}

impl<R: BufRead> Iterator for CsvBatches<R> {
    type Item = FlatBatch;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let reused = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut batch = reused.unwrap_or_else(|| FlatBatch {
            data: Vec::with_capacity(LINE_BATCH + 4096),
            spans: Vec::with_capacity(CSV_BATCH * 8),
            recs: Vec::with_capacity(CSV_BATCH),
            gaps: 0,
            exposed: Vec::new(),
        });
        batch.clear();
        while batch.recs.len() < CSV_BATCH && batch.data_len() < LINE_BATCH {
            let e = match self.records.read_many(&mut batch, CSV_BATCH, LINE_BATCH) {
                Next::Record => continue,
                Next::TooLarge(line, i, what) => {
                    too_large(&self.path, line, &field_name(&self.names, i), what)
                }
                Next::End => {
                    self.done = true;
                    break;
                }
                Next::Io(line, io) => {
                    self.done = true;
                    err(
                        &self.path,
                        Some(line),
                        format!("read error (input truncated or corrupt): {io}"),
                    )
                }
            };
            if let Ok(mut g) = self.errors.lock() {
                g.push(e);
            }
            if self.done {
                break;
            }
        }
        (!batch.recs.is_empty()).then_some(batch)
    }
}

fn looks_like_header<'a>(mut fields: impl Iterator<Item = &'a [u8]>) -> bool {
    fields.all(|f| {
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

/// Scans a CSV or TSV input with delimiter `delim`.
pub(super) fn scan_csv(
    reader: Box<dyn BufRead + Send>,
    delim: u8,
    path: &str,
    ctx: &Ctx<'_>,
) -> Acc {
    let mut records = Records::new(reader, delim);
    let mut first = FlatBatch::default();
    let mut acc = Acc::default();
    // A first record over the limits is data, not a header.
    let mut may_be_header = true;
    // Leading `#` comment lines (provenance notes in data files) are not
    // the header; later rows starting with `#` are data.
    loop {
        first.clear();
        match records.read(&mut first) {
            Next::Record => {
                let (_, mut fields) = first.record(0);
                if !fields.next().is_some_and(|f| trim(f).starts_with(b"#")) {
                    break;
                }
            }
            Next::TooLarge(line, i, what) => {
                acc.errors
                    .push(too_large(path, line, &format!("column_{i}"), what));
                may_be_header = false;
            }
            Next::End => return acc,
            Next::Io(line, _) => {
                acc.errors.push(err(
                    path,
                    Some(line),
                    "malformed CSV or read error at the start".into(),
                ));
                return acc;
            }
        }
    }
    let header = may_be_header && looks_like_header(first.record(0).1);
    let first_width = first.spans.len();
    // At most MAX_FIELDS named columns: a line of millions of commas must
    // not make millions of names (further columns share one field).
    let names: Vec<Option<String>> = if header {
        first
            .record(0)
            .1
            .take(MAX_FIELDS)
            .map(|f| Some(String::from_utf8_lossy(trim(f)).into_owned()))
            .collect()
    } else {
        (1..=first_width.min(MAX_FIELDS))
            .map(|i| Some(format!("column_{i}")))
            .collect()
    };
    let key_idx = ctx
        .subject_key
        .and_then(|k| names.iter().position(|n| n.as_deref() == Some(k)));
    let width = first_width;
    let named = names.len();
    let process = |batch: &FlatBatch| -> Acc {
        let mut acc = Acc::with_names(&names);
        acc.key_seen = key_idx.is_some();
        acc.sample_cap = ctx.samples;
        // The batch at once, and field by field only if that fails. A
        // valid batch can still hold an invalid field: one that starts
        // inside a character (fields parsed by csv-core lie end to end).
        let bad = !super::is_utf8(&batch.data) || batch.cuts_a_character();
        for ri in 0..batch.recs.len() {
            let (line, fields) = batch.record(ri);
            let line = Some(line);
            let nf = batch.width(ri);
            if nf != width {
                acc.ragged.hit(line);
            }
            // Field by field: a character cut by a delimiter is invalid in
            // the line, whichever parser split it.
            if bad && fields.clone().any(|f| !super::is_utf8(f)) {
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
        Acc::with_names(&names).merge(acc)
    } else {
        process(&first).merge(acc)
    };
    let errors = Arc::new(Mutex::new(Vec::new()));
    let pool = Arc::new(Mutex::new(Vec::new()));
    let batches = CsvBatches {
        records,
        names: Arc::new(names.clone()),
        errors: errors.clone(),
        pool: pool.clone(),
        path: path.to_string(),
        done: false,
    };
    let rest = batches
        .par_bridge()
        .map(|b| {
            let acc = process(&b);
            // A batch that grew past its usual size (a huge record, or one of
            // very many fields) is dropped rather than kept.
            if b.data.capacity() <= 2 * (LINE_BATCH + 4096)
                && b.spans.capacity() <= 4 * CSV_BATCH * 8
                && let Ok(mut p) = pool.lock()
            {
                p.push(b);
            }
            acc
        })
        .reduce(|| Acc::with_names(&names), Acc::merge);
    acc = acc.merge(rest);
    acc.key_seen |= key_idx.is_some();
    if let Ok(mut g) = errors.lock() {
        acc.errors.append(&mut g);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `split_simple_quoted` as first written (memchr per field): the
    /// reference for the one-pass version.
    fn split_simple_quoted_memchr(
        text: &[u8],
        delim: u8,
        base: usize,
        spans: &mut Vec<Span>,
    ) -> bool {
        let mut i = 0;
        loop {
            if text.get(i) == Some(&b'"') {
                let Some(close) = memchr::memchr(b'"', &text[i + 1..]).map(|p| i + 1 + p) else {
                    return false;
                };
                spans.push(span(base + i + 1, base + close));
                match text.get(close + 1) {
                    None => return true,
                    Some(&c) if c == delim => i = close + 2,
                    Some(_) => return false,
                }
            } else {
                let end = memchr::memchr(delim, &text[i..]).map_or(text.len(), |p| i + p);
                if memchr::memchr(b'"', &text[i..end]).is_some() {
                    return false;
                }
                spans.push(span(base + i, base + end));
                if end == text.len() {
                    return true;
                }
                i = end + 1;
            }
        }
    }

    fn quoted_both(text: &[u8]) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ra = split_simple_quoted(text, b',', 7, &mut a);
        let rb = split_simple_quoted_memchr(text, b',', 7, &mut b);
        assert_eq!(ra, rb, "{:?}", String::from_utf8_lossy(text));
        if ra {
            assert_eq!(a, b, "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn two_byte_search_finds_every_position() {
        let mut rng = crate::corpus::Rng::new(9);
        for (a, b) in [
            (b',', b'"'),
            (0, 1),
            (0, b'"'),
            (2, 1),
            (b'\t', b'\t'),
            (255, 0x80),
        ] {
            for len in 0..40 {
                for _ in 0..50 {
                    let t: Vec<u8> = (0..len)
                        .map(|_| *rng.pick(&[0, 1, 2, a, b, b'x', 255]))
                        .collect();
                    let want: Vec<usize> = (0..len).filter(|&i| t[i] == a || t[i] == b).collect();
                    assert_eq!(
                        Bytes2::new(&t, a, b).collect::<Vec<_>>(),
                        want,
                        "{t:?} {a} {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn one_pass_quoted_split_agrees_with_memchr() {
        // Every line up to 7 bytes over a, `,`, `"`, `;`.
        let alpha = b"a,\";";
        let mut line = Vec::new();
        for len in 0..=7u32 {
            for mut v in 0..4usize.pow(len) {
                line.clear();
                for _ in 0..len {
                    line.push(alpha[v % 4]);
                    v /= 4;
                }
                quoted_both(&line);
            }
        }
        // Longer lines: quoted fields of every length around a word.
        let mut rng = crate::corpus::Rng::new(3);
        for _ in 0..20_000 {
            line.clear();
            for _ in 0..rng.below(6) {
                let n = rng.below(20) as usize;
                let body: Vec<u8> = (0..n).map(|_| *rng.pick(b"aaaa,;")).collect();
                if rng.pct(50) {
                    line.push(b'"');
                    line.extend_from_slice(&body);
                    line.push(b'"');
                } else {
                    line.extend_from_slice(&body);
                }
                if rng.pct(15) {
                    line.push(*rng.pick(b"\"a"));
                }
                line.push(b',');
            }
            line.pop();
            quoted_both(&line);
        }
    }

    /// Every record, limit hit and end the parser reports, with the line,
    /// the fields and where each record starts, for one path.
    fn parse(input: &[u8], delim: u8, cap: usize, fast: bool) -> Vec<String> {
        let rdr = io::BufReader::with_capacity(cap, input);
        let mut r = Records::with_path(rdr, delim, fast);
        let mut out = Vec::new();
        let mut b = FlatBatch::default();
        for _ in 0..input.len() + 2 {
            match r.read(&mut b) {
                Next::Record => {
                    let i = b.recs.len() - 1;
                    let (line, fields) = b.record(i);
                    let f: Vec<&[u8]> = fields.collect();
                    out.push(format!("{line} {f:?}"));
                }
                Next::TooLarge(l, f, w) => out.push(format!("too large {l} {f} {w}")),
                Next::End => {
                    out.push(format!("end {}", r.core.line()));
                    break;
                }
                Next::Io(l, e) => {
                    out.push(format!("io {l} {e}"));
                    break;
                }
            }
        }
        out
    }

    fn same(input: &[u8], delim: u8, cap: usize) {
        let plain = parse(input, delim, cap, false);
        let fast = parse(input, delim, cap, true);
        assert_eq!(plain, fast, "input {input:?} delim {delim} buffer {cap}");
    }

    /// Records in batches as `CsvBatches` fills them (at most `max_recs`
    /// records, field data up to `max_bytes`): with `many` through
    /// `read_many` (several lines per call on the fast path), else
    /// through `read`, one record a call. Each batch is listed with its
    /// records, its field data length and whether its data is UTF-8; the
    /// last item counts the calls that appended more than one record.
    fn parse_batches(
        input: &[u8],
        delim: u8,
        cap: usize,
        fast: bool,
        many: bool,
        (max_recs, max_bytes): (usize, usize),
    ) -> (Vec<String>, usize) {
        let rdr = io::BufReader::with_capacity(cap, input);
        let mut r = Records::with_path(rdr, delim, fast);
        let (mut out, mut multi) = (Vec::new(), 0);
        let mut b = FlatBatch::default();
        let mut done = false;
        while !done {
            b.clear();
            while b.recs.len() < max_recs && b.data_len() < max_bytes {
                let before = b.recs.len();
                let n = if many {
                    r.read_many(&mut b, max_recs, max_bytes)
                } else {
                    r.read(&mut b)
                };
                match n {
                    Next::Record => multi += usize::from(b.recs.len() > before + 1),
                    Next::TooLarge(l, f, w) => out.push(format!("too large {l} {f} {w}")),
                    Next::End => done = true,
                    Next::Io(l, e) => {
                        out.push(format!("io {l} {e}"));
                        done = true;
                    }
                }
                if done {
                    break;
                }
            }
            // Only exposed fields are looked at: in a valid batch that
            // finds what a look at every field finds.
            let every = b
                .spans
                .iter()
                .any(|&(a, e)| a < e && b.data[a as usize] & 0xC0 == 0x80);
            if super::super::is_utf8(&b.data) {
                assert_eq!(b.cuts_a_character(), every, "{input:?} buffer {cap}");
            }
            for i in 0..b.recs.len() {
                let (line, fields) = b.record(i);
                let f: Vec<&[u8]> = fields.collect();
                out.push(format!("{line} {f:?} width {}", b.width(i)));
            }
            // What the scan decides from it: fields checked one by one.
            out.push(format!(
                "batch of {} records, {} bytes, bad {}",
                b.recs.len(),
                b.data_len(),
                !super::super::is_utf8(&b.data) || b.cuts_a_character()
            ));
        }
        out.push(format!("end {}", r.core.line()));
        (out, multi)
    }

    /// Many lines a call (fast path) against one record a call on the
    /// fast path (the same records, fields, lines and batch boundaries)
    /// and on `csv-core` (the same records; its batches count field data
    /// without delimiters and quotes, so they end elsewhere). Returns how
    /// many calls took more than one line.
    fn same_batches(input: &[u8], delim: u8, cap: usize, limits: (usize, usize)) -> usize {
        let (one, _) = parse_batches(input, delim, cap, true, false, limits);
        let (many, multi) = parse_batches(input, delim, cap, true, true, limits);
        let (plain, _) = parse_batches(input, delim, cap, false, false, limits);
        let records = |v: &[String]| -> Vec<String> {
            v.iter()
                .filter(|x| !x.starts_with("batch of"))
                .cloned()
                .collect()
        };
        for (what, a, b) in [
            ("one record a call", one, many.clone()),
            ("csv-core", records(&plain), records(&many)),
        ] {
            if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
                panic!(
                    "item {i}: {what} {:?}, many {:?}; input of {} bytes {:?}, delim {delim}, buffer {cap}, limits {limits:?}",
                    a.get(i),
                    b.get(i),
                    input.len(),
                    String::from_utf8_lossy(&input[..input.len().min(200)]),
                );
            }
        }
        multi
    }

    /// A character cut by a line end, the two lines in two runs of the
    /// fast path: the batch is valid UTF-8 as a whole, and only the
    /// exposed first field of the second run tells.
    #[test]
    fn a_run_after_a_cut_character_is_looked_at() {
        let input = b"h\nx\xe4\n\xb8\x80\n";
        let mut seen = 0;
        for cap in 1..12 {
            let rdr = io::BufReader::with_capacity(cap, &input[..]);
            let mut r = Records::with_path(rdr, b',', true);
            let mut b = FlatBatch::default();
            while !matches!(r.read_many(&mut b, 100, 1 << 20), Next::End) {}
            assert_eq!(b.recs.len(), 3);
            if super::super::is_utf8(&b.data) {
                assert!(b.cuts_a_character(), "buffer {cap}");
                seen += 1;
            }
        }
        assert!(seen > 0);
    }

    #[test]
    fn many_lines_a_call_agree_with_one_record_a_call() {
        let (csv, _) = crate::corpus::csv_bytes(1_000, 11);
        let mut multi = 0;
        for cap in [64, 4096, 64 * 1024] {
            for limits in [
                (1, usize::MAX),
                (7, usize::MAX),
                (1000, 3000),
                (100_000, 1 << 20),
            ] {
                multi += same_batches(&csv, b',', cap, limits);
            }
        }
        // The corpus holds resident IDs, mobiles and e-mails in those
        // records, and most calls took several lines.
        let (recs, _) = parse_batches(&csv, b',', 4096, true, true, (100, 1 << 20));
        assert!(recs.len() > 1_000 && multi > 100, "{multi}");
        let mut found = 0;
        crate::detect::scan_free_text(&csv, &mut |k, _, _| {
            found += usize::from(matches!(k, crate::Kind::CnResidentId | crate::Kind::Email))
        });
        assert!(found > 1_000);
        for case in [
            &b"h\na,b\nc,d\n\ne,f\n\"q\",r\ns\"t,u\n\xe4\xb8,\x80\n\xe4\n\xb8\x80,x\n"[..],
            b"h\na\r\nb\nc\n\"x\ny\"\nz",
            b"h\n1\n22\n333\n4444\n55555\n666666\n",
        ] {
            for cap in [1, 3, 8, 16, 4096] {
                for limits in [(1, usize::MAX), (2, 5), (3, 1), (100, 4), (100, usize::MAX)] {
                    same_batches(case, b',', cap, limits);
                }
            }
        }
    }

    #[test]
    fn fast_path_agrees_on_corpus_and_edge_cases() {
        let (csv, _) = crate::corpus::csv_bytes(2_000, 7);
        for cap in [64, 4096, 64 * 1024] {
            same(&csv, b',', cap);
        }
        let tsv: Vec<u8> = csv
            .iter()
            .map(|&c| if c == b',' { b'\t' } else { c })
            .collect();
        same(&tsv, b'\t', 4096);
        for case in [
            &b""[..],
            b"\xef\xbb\xbfa,b\nc,d\n",
            b"a,b\r\nc,d\r\ne,f",
            b"a,b\n\n\nc,d\n",
            b"a,b\rc,d\n\ne",
            b"a\n\"x,y\",z\nq,\"w\"\"\"\n1,2",
            b"a,b\n,,\n,\n\n",
            b"#c\nx,y\n#z,1\n",
            b"a\n\r\n\rb\n",
            b"h\nx\"y,z\n",
            b"h\n\"a,b\",\"c\"\n\"\",x,\"\"\n",
            b"h\n\"a\" ,b\n\"a\"b,c\n\"a\"\"b\",c\n",
            b"h\n\"open,x\ny\",z\n",
            b"h\na,\"b\"\n,\"\",\n\"\"\"\",x\n",
            b"h\n\"a\r\",b\n\"a\",b\r\n",
            b"h\n\"x\",\"y\",\n\",\",\",\"\n",
        ] {
            for cap in [1, 2, 3, 8, 4096] {
                same(case, b',', cap);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(800))]
        /// Many lines a call against one record a call and `csv-core` on
        /// random input with tiny buffers and batch limits.
        #[test]
        fn many_lines_a_call_agree_on_random_input(
            bytes in proptest::collection::vec(
                prop::sample::select(vec![
                    b'a', b'1', b',', b',', b'\t', b'"', b'\r', b'\n', b'\n', b' ',
                    0xe4, 0xb8, 0x80, 0xac, 0x00,
                ]),
                0..200,
            ),
            cap in 1usize..64,
            tab in any::<bool>(),
            max_recs in 1usize..8,
            max_bytes in 1usize..40,
        ) {
            same_batches(&bytes, if tab { b'\t' } else { b',' }, cap, (max_recs, max_bytes));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]
        #[test]
        fn fast_path_agrees_on_random_input(
            bytes in proptest::collection::vec(
                prop::sample::select(vec![
                    b'a', b'1', b'9', b',', b',', b'\t', b'"', b'\r', b'\n', b'\n', b' ', b'#',
                    b'@', 0xef, 0xbb, 0xbf, 0xe4,
                    // Bytes next to the structural ones (high bit set, one
                    // bit off, zero): what a SWAR test gets wrong first.
                    0xac, 0x8a, 0xa2, 0x8d, 0x89, 0x00, 0x01, 0x0b, 0x2d, 0x2b, 0x2d, 0x23,
                ]),
                0..200,
            ),
            cap in 1usize..64,
            tab in any::<bool>(),
        ) {
            same(&bytes, if tab { b'\t' } else { b',' }, cap);
        }

        /// Line by line through a buffer, the shared search for quotes
        /// and CR against a search per line.
        #[test]
        fn cached_quote_search_agrees_with_a_search_per_line(
            bytes in proptest::collection::vec(
                prop::sample::select(vec![b'a', b',', b'"', b'\r', b'\n', b'\n', b'\n']),
                0..120,
            ),
        ) {
            let (mut pos, mut special) = (0, None);
            let mut lines = 0;
            while pos < bytes.len() {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let r = split_plain_line(&bytes[pos..], b',', 7, &mut a);
                let c = split_line_cached(&bytes, pos, &mut special, b',', 7, &mut b);
                let (r, c) = match (r, c) {
                    (Split::Line(x), Split::Line(y)) => (x, y),
                    (Split::Quote(x), Split::Quote(y)) => (x, y),
                    (Split::NoLine, Split::NoLine) => (0, 0),
                    _ => panic!("{bytes:?} at {pos}"),
                };
                prop_assert_eq!(r, c);
                prop_assert_eq!(&a, &b);
                lines += 1;
                // On to the next line, whatever this one was.
                match memchr::memchr(b'\n', &bytes[pos..]) {
                    Some(n) => pos += n + 1,
                    None => break,
                }
            }
            prop_assert!(lines > 0 || bytes.is_empty());
        }

        #[test]
        fn simd_utf8_check_agrees_with_std(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("张伟北京".as_bytes().to_vec()),
                    Just("é€😀".as_bytes().to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..4),
                    proptest::collection::vec(Just(b'a'), 0..70),
                ],
                0..40,
            ),
        ) {
            let b = pieces.concat();
            prop_assert_eq!(simdutf8::basic::from_utf8(&b).is_ok(), std::str::from_utf8(&b).is_ok());
        }
    }
}
