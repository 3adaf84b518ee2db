//! CSV and TSV: the first record is a header when every cell looks like a
//! name, none holds an identifier and at most half are person names
//! (which are masked); records are cut into batches in one
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
use crate::Kind;
use crate::blocks::Positions;
use crate::detect::{self, trim};
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

    /// The whole batch as text, when it is valid UTF-8 as a whole.
    pub(crate) fn text(&self) -> Option<&str> {
        super::as_utf8(&self.data)
    }

    /// The fields of record `r` as text, `None` for a field that is not
    /// valid UTF-8 alone. `whole` is [`Self::text`] of this batch: a field
    /// is then a slice of it, valid exactly when it starts and ends on a
    /// character's boundary, so no field is checked twice.
    pub(crate) fn record_text<'a>(
        &'a self,
        r: usize,
        whole: Option<&'a str>,
    ) -> impl Iterator<Item = Option<&'a str>> {
        let (_, first, _) = self.recs[r];
        let last = self.recs.get(r + 1).map_or(self.spans.len(), |x| x.1);
        self.spans[first..last].iter().map(move |&(a, e)| {
            let (a, e) = (a as usize, e as usize);
            match whole {
                Some(w) => w.get(a..e),
                None => std::str::from_utf8(&self.data[a..e]).ok(),
            }
        })
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
    /// but `\n` as a record start). Lines are split by [`split_line`],
    /// quoted ones too when their quoting is simple; anything else (other
    /// quoting, CR, blank lines, a line longer than the buffer, end of
    /// input, errors) goes to `csv-core`.
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
        // Every delimiter, line end, quote and CR of the buffer, found a
        // block at a time, walked once for all its lines.
        let mut hits = Positions::new(input, 0, [self.delim, b'\n', b'"', b'\r']);
        loop {
            if taken > 0 && (b.recs.len() >= max_recs || counted >= max_bytes) {
                break;
            }
            let spans_start = b.spans.len();
            let base = data_start + pos;
            let line = split_line(input, pos, &mut hits, data_start, self.delim, &mut b.spans)
                .map(|end| end - pos);
            let Some(nl) = line.filter(|&nl| nl > 0 && nl <= MAX_FIELD.min(MAX_RECORD)) else {
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

/// Splits the line that starts at `input[pos]` as `csv-core` would,
/// pushing each field's span (`base` is where `input[0]` lies in the
/// batch), and returns where its `\n` is; `None` when the line is not for
/// the fast path: no `\n` in the input, a `\r` before it, or quoting
/// that is not simple (the caller then drops the spans pushed and leaves
/// the line to `csv-core`). `hits` walks the positions of the delimiter,
/// `\n`, `"` and `\r` in `input` and stands at or before `pos` with
/// nothing between; it is left after this line's `\n`. Every hit that
/// is not `\n`, `"` or `\r` is the delimiter.
///
/// Simple quoting: a `"` opens a field only right after a delimiter or at
/// the line's start, the next `"` closes it and is followed by a
/// delimiter or the line's end, and the field is what lies between
/// (delimiters included). Anything else (an escaped `""`, a quote inside
/// an unquoted field, text after a closing quote, a quote left open
/// because the field spans lines) is `None`. One record in five of the
/// generated corpus has a quoted note, and `csv-core`'s byte-at-a-time
/// machine cost 2,000 instructions a line.
///
/// One walk over the structural bytes, whatever the line holds: before,
/// a line took a memchr for its end, one for quotes and CR, a SWAR pass
/// for its delimiters and, when quoted, a second pass for the quotes.
#[inline(always)]
fn split_line(
    input: &[u8],
    pos: usize,
    hits: &mut Positions<'_>,
    base: usize,
    delim: u8,
    spans: &mut Vec<Span>,
) -> Option<usize> {
    /// Where the field being read stands.
    enum At {
        /// Unquoted, started here.
        Field(usize),
        /// Quoted, opened at this `"`.
        Quoted(usize),
        /// Closed by the `"` here; a delimiter or the line's end must
        /// follow at once.
        Closed(usize),
    }
    let mut at = At::Field(pos);
    for p in hits.by_ref() {
        let c = input[p];
        // Most hits: a delimiter that ends an unquoted field.
        if c == delim
            && let At::Field(start) = at
        {
            spans.push(span(base + start, base + p));
            at = At::Field(p + 1);
            continue;
        }
        at = if c == b'\n' {
            return match at {
                At::Field(start) => {
                    spans.push(span(base + start, base + p));
                    Some(p)
                }
                At::Quoted(_) => None, // left open: the field spans lines
                At::Closed(close) => (close + 1 == p).then_some(p),
            };
        } else if c == b'\r' {
            return None;
        } else if c == b'"' {
            match at {
                At::Field(start) if p == start => At::Quoted(p),
                At::Field(_) => return None, // a quote inside an unquoted field
                At::Quoted(open) => {
                    spans.push(span(base + open + 1, base + p));
                    At::Closed(p)
                }
                At::Closed(_) => return None, // `""` or a quote after a closing one
            }
        } else {
            match at {
                At::Field(start) => {
                    spans.push(span(base + start, base + p));
                    At::Field(p + 1)
                }
                At::Quoted(open) => At::Quoted(open), // a delimiter inside quotes
                At::Closed(close) if p == close + 1 => At::Field(p + 1),
                At::Closed(_) => return None, // text after a closing quote
            }
        };
    }
    None
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

/// The first record's field names if it is a header: every cell is a
/// name (some letters, at most [`MAX_NAME`] bytes), none holds an
/// identifier, and at most half are person names (a row of people's names
/// is data; a header may hold one by mistake, or a field name taken for
/// one). A cell that is a person's name is named by its column's position,
/// so it never becomes a name in the report; the second list holds those
/// columns. At most [`MAX_FIELDS`] names.
fn header_names<'a>(
    fields: impl Iterator<Item = &'a [u8]>,
) -> Option<(Vec<Option<String>>, Vec<usize>)> {
    let mut cells = 0usize;
    let (mut names, mut people) = (Vec::new(), Vec::new());
    for (i, f) in fields.enumerate() {
        let t = trim(f);
        let s = std::str::from_utf8(t).ok()?;
        cells += 1;
        if t.is_empty() || t.len() > MAX_NAME || !s.chars().any(char::is_alphabetic) {
            return None;
        }
        let name = match detect::kind_of_field_name(s) {
            None => s.to_owned(),
            Some(Kind::PersonName) => {
                people.push(i);
                format!("column_{}", i + 1)
            }
            Some(_) => return None,
        };
        if names.len() < MAX_FIELDS {
            names.push(Some(name));
        }
    }
    (2 * people.len() <= cells).then_some((names, people))
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
    let header_row = may_be_header
        .then(|| header_names(first.record(0).1))
        .flatten();
    let header = header_row.is_some();
    let first_width = first.spans.len();
    let (header_row, people) = header_row.unzip();
    // At most MAX_FIELDS named columns: a line of millions of commas must
    // not make millions of names (further columns share one field).
    let names: Vec<Option<String>> = header_row.unwrap_or_else(|| {
        (1..=first_width.min(MAX_FIELDS))
            .map(|i| Some(format!("column_{i}")))
            .collect()
    });
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
        // One record for the batch, blanked by `end_reused`.
        let mut r = Rec::default();
        for ri in 0..batch.recs.len() {
            let (at, fields) = batch.record(ri);
            let line = Some(at);
            let nf = batch.width(ri);
            if nf != width {
                acc.ragged.hit(line);
            }
            // Field by field: a character cut by a delimiter is invalid in
            // the line, whichever parser split it.
            if bad && fields.clone().any(|f| !super::is_utf8(f)) {
                acc.bad_utf8.hit(line);
            }
            r.order = at;
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
            acc.end_reused(&mut r);
        }
        acc
    };
    let mut acc = if header {
        // A header cell that is a person's name (a table pivoted by
        // person) is counted as one in its column, as a JSON key is; the
        // header is not a record.
        let mut h = Acc::with_names(&names);
        // In column order, as `header_names` listed them: one pass over a
        // header of millions of cells, not a search per cell.
        let mut people = people.unwrap_or_default().into_iter().peekable();
        for (i, v) in first.record(0).1.enumerate() {
            if people.next_if_eq(&i).is_none() {
                continue;
            }
            let idx = if i < named {
                i
            } else {
                h.field(Some(OTHER_FIELDS))
            };
            ctx.count_field_name(&mut h, idx, Kind::PersonName, v);
        }
        h.merge(acc)
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
mod tests;
