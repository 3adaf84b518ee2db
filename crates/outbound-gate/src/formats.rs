//! Reading and rewriting a batch, CSV with a header or JSON lines: every value
//! goes through the run's policy, every record through its consent filter.
//!
//! The input is read through the scanner's readers
//! ([`outbound_scan::records`]): the same decompression (gzip, zstd), the
//! same encoding detection and transcoding to UTF-8 (UTF-16 with a byte
//! order mark, GB18030), the same format sniffing and the same CSV and
//! JSON-lines record splitting as `outbound scan`, so the gate passes what
//! the scanner reads and both see the same records. Reading runs on a
//! thread of its own when a second core is there ([`stream`]); records are
//! still handled and written one after the other, in input order, so the
//! output is the same whatever the cores.

use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel};

use outbound_scan::records::{self, CsvBatch, CsvRecords, LineBatch, Lines, RecordError};

use crate::policy::{Overflow, PendingBatch, Policy, RecordState, Run, Value};
use crate::{Format, GateError, Io};

/// Records per CSV batch handed from the reading thread.
const CSV_BATCH_RECORDS: usize = 4096;
/// Bytes of field data per CSV batch.
const CSV_BATCH_BYTES: usize = 1 << 20;
/// Batches read ahead of the one being handled: memory stays a few MiB.
const READ_AHEAD: usize = 2;

/// An opened input: the decoded text, its record format, and how it was stored.
pub(crate) struct Source {
    reader: Box<dyn BufRead + Send>,
    /// The record format.
    pub(crate) format: Format,
    delimiter: u8,
    /// `gzip` or `zstd` when the input was compressed.
    pub(crate) compression: Option<&'static str>,
    /// The input's text encoding (`utf-8`, `UTF-16LE`, `UTF-16BE`, `gb18030`).
    pub(crate) encoding: &'static str,
}

/// Opens the input through the scanner's reader; the format is `format` when
/// given, else what the scanner sniffs (a JSON document or free text is read
/// as JSON lines or CSV, as the gate always did).
pub(crate) fn open(input: &Io, format: Option<Format>) -> Result<Source, GateError> {
    let name = input.name();
    let path = match input {
        Io::Path(p) => p.as_path(),
        Io::Std => Path::new("-"),
    };
    let fail = |message: String| GateError::Input {
        file: name.clone(),
        line: 0,
        message,
    };
    let mut opened = records::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            fail(format!("cannot open: {e}"))
        }
        _ => fail(e.to_string()),
    })?;
    let sniffed = opened.format;
    if sniffed == records::Format::Parquet {
        return Err(fail(
            "a Parquet file is not a batch the gate passes (CSV or JSON lines)".into(),
        ));
    }
    let head = opened.reader.fill_buf().map_err(|e| fail(e.to_string()))?;
    let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let tsv = matches!(input, Io::Path(p) if has_extension(p, "tsv"));
    let format = format.unwrap_or(match sniffed {
        records::Format::Csv(_) => Format::Csv,
        records::Format::JsonLines => Format::Jsonl,
        _ if matches!(input, Io::Path(p) if ["jsonl", "ndjson", "json"].iter().any(|e| has_extension(p, e))) => {
            Format::Jsonl
        }
        _ if first == Some(b'{') => Format::Jsonl,
        _ => Format::Csv,
    });
    let delimiter = match sniffed {
        records::Format::Csv(d) => d,
        _ if tsv => b'\t',
        _ => b',',
    };
    Ok(Source {
        reader: opened.reader,
        format,
        delimiter,
        compression: opened.compression,
        encoding: opened.encoding,
    })
}

/// Whether the file's name, without a compression suffix, ends in `.ext`.
fn has_extension(p: &Path, ext: &str) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = [".gz", ".gzip", ".zst", ".zstd"]
        .iter()
        .find_map(|c| name.strip_suffix(c))
        .unwrap_or(&name);
    name.rsplit_once('.').is_some_and(|(_, e)| e == ext)
}

/// Passes every record of `src` through `run` and writes what leaves to `out`.
pub(crate) fn process<W: Write + ?Sized>(
    run: &mut Run<'_>,
    src: Source,
    out: &mut W,
    input: &Io,
) -> Result<(), GateError> {
    let name = input.name();
    match src.format {
        Format::Csv => process_csv(run, src.reader, src.delimiter, out, &name),
        Format::Jsonl => process_jsonl(run, src.reader, out, &name),
    }
}

/// Whether reading may run beside the handling: a second core is there
/// (or a test asked for one or two threads, [`crate::set_threads`]).
fn two_cores() -> bool {
    match THREADS.load(std::sync::atomic::Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2),
    }
}

/// 0: as many as the cores; 1 or 2 threads.
pub(crate) static THREADS: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Feeds `take` the batches `fill` reads, in order. With two cores `fill`
/// runs on a reading thread of its own, [`READ_AHEAD`] batches ahead at most
/// (buffers go back to it for reuse, so memory stays bounded); with one,
/// both run here, one batch at a time. `fill` returns false at the end,
/// `take` false to stop early. The first error ends both.
fn stream<S: Default + Send>(
    mut fill: impl FnMut(&mut S) -> Result<bool, GateError> + Send,
    mut take: impl FnMut(&S) -> Result<bool, GateError>,
) -> Result<(), GateError> {
    if !two_cores() {
        let mut s = S::default();
        while fill(&mut s)? {
            if !take(&s)? {
                break;
            }
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = sync_channel::<Result<S, GateError>>(READ_AHEAD);
        let (empty_tx, empty_rx) = channel::<S>();
        for _ in 0..=READ_AHEAD {
            let _ = empty_tx.send(S::default());
        }
        scope.spawn(move || {
            // Ends when the handler hangs up (done or failed) or the input ends.
            while let Ok(mut s) = empty_rx.recv() {
                let next = match fill(&mut s) {
                    Ok(true) => Ok(s),
                    Ok(false) => return,
                    Err(e) => Err(e),
                };
                let stop = next.is_err();
                if full_tx.send(next).is_err() || stop {
                    return;
                }
            }
        });
        let mut handle = || -> Result<(), GateError> {
            for s in full_rx.iter() {
                let s = s?;
                if !take(&s)? {
                    break;
                }
                let _ = empty_tx.send(s);
            }
            Ok(())
        };
        let result = handle();
        // Hang up so that a reader still at work stops.
        drop(empty_tx);
        drop(full_rx);
        result
    })
}

/// A read error as an input error naming the line, never a value.
fn record_error(e: RecordError, name: &str) -> GateError {
    let line = match &e {
        RecordError::TooLarge { line, .. } | RecordError::Io { line, .. } => *line,
    };
    GateError::Input {
        file: name.into(),
        line,
        message: e.to_string(),
    }
}

fn process_csv<W: Write + ?Sized>(
    run: &mut Run<'_>,
    reader: Box<dyn BufRead + Send>,
    delim: u8,
    out: &mut W,
    name: &str,
) -> Result<(), GateError> {
    let mut records = CsvRecords::new(reader, delim);
    let mut csv_batch = CsvBatch::default();
    records
        .read_batch(&mut csv_batch, 1, usize::MAX)
        .map_err(|e| record_error(e, name))?;
    let mut headers: Vec<String> = Vec::new();
    if !csv_batch.is_empty() {
        for h in csv_batch.fields(0) {
            let h = std::str::from_utf8(h).map_err(|_| GateError::Input {
                file: name.into(),
                line: csv_batch.line(0),
                message: "cannot read the header: invalid UTF-8".into(),
            })?;
            headers.push(h.trim_start_matches('\u{feff}').trim().to_string());
        }
    }
    let Run { policy, count } = run;
    // A header that is itself personal data refuses the batch before anything is written.
    for (i, h) in headers.iter().enumerate() {
        let column = |k: &str| format!("column {} (a header that is itself a {k})", i + 1);
        if !policy.check_name(h, h, column) {
            return Ok(());
        }
    }
    // Columns that leave: everything except drops decided up front.
    let keep_col: Vec<bool> = headers.iter().map(|h| policy.keeps(h)).collect();
    let cols: Vec<usize> = headers.iter().map(|h| policy.column(h)).collect();
    let mut w = csv::WriterBuilder::new()
        .delimiter(delim)
        .from_writer(Vec::new());
    w.write_record(
        headers
            .iter()
            .zip(&keep_col)
            .filter(|(_, k)| **k)
            .map(|(h, _)| h.as_str()),
    )
    .and_then(|_| w.flush().map_err(csv::Error::from))
    .map_err(|e| GateError::Output(e.to_string()))?;
    out.write_all(w.get_ref())
        .map_err(|e| GateError::Output(e.to_string()))?;
    let width = headers.len();
    let shape = Shape {
        width,
        delim,
        keep_col: &keep_col,
        cols: &cols,
        name,
        keys: count.keys,
    };
    if two_cores() {
        return parallel_csv(policy, count, records, &shape, out);
    }
    let mut rec = RecordState::default();
    // Reading, scanning and transforming, then counting and writing, batch by batch.
    let fill = |p: &mut PendingBatch| -> Result<bool, GateError> {
        records
            .read_batch(&mut csv_batch, CSV_BATCH_RECORDS, CSV_BATCH_BYTES)
            .map_err(|e| record_error(e, name))?;
        if csv_batch.is_empty() {
            return Ok(false);
        }
        csv_policy(policy, &shape, &csv_batch, &mut rec, p)?;
        Ok(true)
    };
    // Hashing, the consent filter, counting and writing, in input order.
    let take = |p: &PendingBatch| {
        count.take(p, out, name)?;
        Ok(true)
    };
    stream(fill, take)
}

/// What every CSV record of an input shares: its width, delimiter, which
/// columns leave, their columns in the policy, the input's name, and the
/// keys its subjects are hashed with.
struct Shape<'s> {
    width: usize,
    delim: u8,
    keep_col: &'s [bool],
    cols: &'s [usize],
    name: &'s str,
    keys: &'s outbound_store::Keys,
}

/// The policy half over one batch of CSV records: every value scanned,
/// enforced and transformed, every record ended into `p` (cleared first)
/// with its output bytes.
fn csv_policy(
    policy: &mut Policy,
    shape: &Shape<'_>,
    csv_batch: &CsvBatch,
    rec: &mut RecordState,
    p: &mut PendingBatch,
) -> Result<(), GateError> {
    let name = shape.name;
    p.clear();
    // Validated once for the batch; fields are slices of it.
    let whole = csv_batch.text();
    for r in 0..csv_batch.len() {
        let line = csv_batch.line(r);
        let got = csv_batch.width(r);
        if got != shape.width {
            return Err(GateError::Input {
                file: name.into(),
                line,
                message: format!(
                    "a record has {got} fields where the header has {}",
                    shape.width
                ),
            });
        }
        rec.start(p);
        // The record's output, field by field, as it is decided.
        let from = p.out.len();
        let mut fields = 0usize;
        for (i, v) in csv_batch.text_fields(r, whole).enumerate() {
            let v = v.ok_or_else(|| GateError::Input {
                file: name.into(),
                line,
                message: "invalid UTF-8".into(),
            })?;
            let out = policy
                .value(shape.cols[i], v, rec, p)
                .map_err(|o| overflow(o, name, line))?;
            if shape.keep_col[i] {
                let field: &[u8] = match &out {
                    Value::Keep => v.as_bytes(),
                    Value::New(s) => s.as_bytes(),
                    Value::Token(t) => t,
                    Value::Drop => b"",
                };
                csv_field(&mut p.out, shape.delim, fields, field);
                fields += 1;
            }
        }
        csv_end_record(&mut p.out, from);
        let to = p.out.len();
        policy.end_record(rec, line, (from, to), p);
    }
    // The subjects' keyed hashes here, on the policy workers when there are
    // two cores: the counting half, on one thread, has the rest.
    p.hash_subjects(shape.keys);
    Ok(())
}

/// Appends one field of a CSV record to `out` as `csv::Writer` (its
/// defaults but the delimiter: quotes only where needed, a quote doubled,
/// `\n` between records) writes it: a delimiter before all but the first
/// (`index` 0), and quotes around a field holding the delimiter, a quote,
/// `\r` or `\n`. Written in place, without the writer's buffer and a
/// flush a record (a twentieth of the pass); tested against `csv::Writer`.
fn csv_field(out: &mut Vec<u8>, delim: u8, index: usize, field: &[u8]) {
    if index > 0 {
        out.push(delim);
    }
    if !field
        .iter()
        .any(|&b| b == delim || b == b'"' || b == b'\n' || b == b'\r')
    {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for piece in field.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(piece);
        if piece.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// Ends a CSV record that started at `from` in `out`, as `csv::Writer`
/// does: a record that wrote nothing (one empty field, or none) is `""`.
fn csv_end_record(out: &mut Vec<u8>, from: usize) {
    if out.len() == from {
        out.extend_from_slice(b"\"\"");
    }
    out.push(b'\n');
}

/// Workers for the policy half on two cores or more: it is most of the
/// work, and each batch's share of it depends only on the batch.
const POLICY_WORKERS: usize = 2;

/// CSV on several threads: one reads and splits records, [`POLICY_WORKERS`]
/// copies of the policy take batches in turn (batch `k` to worker `k mod
/// n`), and this thread counts and writes their results in batch order, so
/// the output, the counts and the first error are the same as on one
/// thread. Channels hold one batch each way per worker: memory stays a few
/// MiB. Buffers go back once used (read batches to the reader, pending
/// batches to their worker) instead of fresh ones a batch: a fresh MiB
/// costs a page fault and a zeroed page every 4 KiB. What the copies found
/// is added back into `policy` at the end; the first transform refusal is
/// the earliest batch's.
fn parallel_csv<W: Write + ?Sized>(
    policy: &mut Policy,
    count: &mut crate::policy::Count<'_>,
    mut records: CsvRecords,
    shape: &Shape<'_>,
    out: &mut W,
) -> Result<(), GateError> {
    let name = shape.name;
    let n = POLICY_WORKERS;
    std::thread::scope(|scope| {
        let mut to_workers = Vec::new();
        let mut from_workers = Vec::new();
        let mut handles = Vec::new();
        // Used buffers on their way back: read batches to the reader,
        // pending batches to the worker that filled them.
        let (read_back, read_pool) = channel::<CsvBatch>();
        let mut pending_back = Vec::new();
        for _ in 0..n {
            let (in_tx, in_rx) = sync_channel::<(usize, Result<CsvBatch, GateError>)>(1);
            let (out_tx, out_rx) = sync_channel::<Result<PendingBatch, GateError>>(1);
            let (back_tx, pending_pool) = channel::<PendingBatch>();
            to_workers.push(in_tx);
            from_workers.push(out_rx);
            pending_back.push(back_tx);
            let read_back = read_back.clone();
            let mut mine = policy.clone();
            handles.push(scope.spawn(move || {
                let mut rec = RecordState::default();
                let mut refused_at: Option<usize> = None;
                for (k, batch) in in_rx.iter() {
                    let result = batch.and_then(|b| {
                        let mut p = pending_pool.try_recv().unwrap_or_default();
                        let done = csv_policy(&mut mine, shape, &b, &mut rec, &mut p).map(|_| p);
                        let _ = read_back.send(b);
                        done
                    });
                    if refused_at.is_none() && mine.transform_refusal.is_some() {
                        refused_at = Some(k);
                    }
                    let stop = result.is_err();
                    if out_tx.send(result).is_err() || stop {
                        break;
                    }
                }
                (mine, refused_at)
            }));
        }
        scope.spawn(move || {
            for k in 0.. {
                let mut b = read_pool.try_recv().unwrap_or_default();
                let read = records
                    .read_batch(&mut b, CSV_BATCH_RECORDS, CSV_BATCH_BYTES)
                    .map_err(|e| record_error(e, name));
                let end = matches!(&read, Ok(()) if b.is_empty());
                if end {
                    break;
                }
                let stop = read.is_err();
                if to_workers[k % n].send((k, read.map(|_| b))).is_err() || stop {
                    break;
                }
            }
            // Dropping the senders tells every worker the input has ended.
        });
        let mut handle = || -> Result<(), GateError> {
            for k in 0.. {
                match from_workers[k % n].recv() {
                    Ok(p) => {
                        let p = p?;
                        count.take(&p, out, name)?;
                        // Back to its worker for a later batch (gone if the worker is).
                        let _ = pending_back[k % n].send(p);
                    }
                    // That worker got no batch `k`: the input has ended.
                    Err(_) => return Ok(()),
                }
            }
            Ok(())
        };
        let result = handle();
        // Hang up, so that workers and the reader still at work stop.
        drop(from_workers);
        let mut first: Option<(usize, String)> = None;
        for h in handles {
            let (mine, refused_at) = h
                .join()
                .map_err(|_| GateError::Output("a gate worker thread failed".into()))?;
            if let (Some(k), Some(reason)) = (refused_at, mine.transform_refusal.clone())
                && first.as_ref().is_none_or(|(f, _)| k < *f)
            {
                first = Some((k, reason));
            }
            policy.absorb(mine).map_err(|o| overflow(o, name, 0))?;
        }
        if let Some((_, reason)) = first {
            policy.transform_refusal.get_or_insert(reason);
        }
        result
    })
}

/// An impossible count, as an input error naming the count and the line.
fn overflow(o: Overflow, name: &str, line: u64) -> GateError {
    GateError::Input {
        file: name.into(),
        line,
        message: format!("the count of {} overflows", o.0),
    }
}

fn process_jsonl<W: Write + ?Sized>(
    run: &mut Run<'_>,
    reader: Box<dyn BufRead + Send>,
    out: &mut W,
    name: &str,
) -> Result<(), GateError> {
    let mut lines = Lines::new(reader);
    let Run { policy, count } = run;
    let mut pending = PendingBatch::default();
    let mut rec = RecordState::default();
    let mut path = String::new();
    let fill = |b: &mut Option<LineBatch>| match lines.next_batch() {
        None => Ok(false),
        Some(Ok(batch)) => {
            *b = Some(batch);
            Ok(true)
        }
        Some(Err(e)) => Err(record_error(e, name)),
    };
    let take = |b: &Option<LineBatch>| {
        let Some(b) = b else { return Ok(true) };
        pending.clear();
        let mut go_on = true;
        for (line_no, continues, line, text) in b.text_lines() {
            if continues {
                return Err(GateError::Input {
                    file: name.into(),
                    line: line_no,
                    message: "the line is longer than 16 MiB".into(),
                });
            }
            if line.trim_ascii().is_empty() {
                continue;
            }
            // Parsed as text when the batch is (the same value, the same
            // errors: only the UTF-8 checks of each string are not redone).
            let parsed: serde_json::Result<serde_json::Value> = match text {
                Some(t) => serde_json::from_str(t),
                None => serde_json::from_slice(line),
            };
            let mut v = parsed.map_err(|e| GateError::Input {
                file: name.into(),
                line: line_no,
                message: format!(
                    "invalid JSON at column {}: {}",
                    e.column(),
                    e.classify_name()
                ),
            })?;
            rec.start(&pending);
            path.clear();
            walk(policy, &mut v, &mut path, &mut rec, &mut pending, line_no)
                .map_err(|o| overflow(o, name, line_no))?;
            if policy.name_refusal.is_some() {
                // A key that is itself personal data refuses the batch: stop reading.
                go_on = false;
                break;
            }
            let from = pending.out.len();
            serde_json::to_writer(&mut pending.out, &v)
                .map_err(|e| GateError::Output(e.to_string()))?;
            pending.out.push(b'\n');
            let to = pending.out.len();
            policy.end_record(&rec, line_no, (from, to), &mut pending);
        }
        count.take(&pending, out, name)?;
        Ok(go_on)
    };
    stream(fill, take)
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Eof => "unexpected end",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Io => "read error",
        }
    }
}
/// Visits every scalar leaf with its dotted path (array elements share their parent's path).
/// Stops at a key that is itself personal data, leaving the refusal in `run`.
/// `path` is one buffer for the whole record: each key's segment is pushed
/// and taken off again (no key or path is copied per value).
fn walk(
    run: &mut Policy,
    v: &mut serde_json::Value,
    path: &mut String,
    rec: &mut RecordState,
    batch: &mut PendingBatch,
    line: u64,
) -> Result<(), Overflow> {
    match v {
        serde_json::Value::Object(m) => {
            let base = path.len();
            let mut result = Ok(());
            // Once refused or overflowed, the rest is kept as it is: the
            // batch is not written.
            let mut stopped = false;
            m.retain(|k, child| {
                if stopped {
                    return true;
                }
                // A numeric or over-long key stands as the scanner writes it
                // (`items.{n}`), so that a map keyed by ids is one field.
                let seg = outbound_scan::key_placeholder(k).unwrap_or(k);
                if base > 0 {
                    path.push('.');
                }
                path.push_str(seg);
                let keep = visit(run, k, child, path, base, rec, batch, line);
                path.truncate(base);
                match keep {
                    Ok(Some(keep)) => keep,
                    Ok(None) => {
                        stopped = true;
                        true
                    }
                    Err(o) => {
                        result = Err(o);
                        stopped = true;
                        true
                    }
                }
            });
            result?;
        }
        serde_json::Value::Array(a) => {
            for child in a.iter_mut() {
                match child {
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        walk(run, child, path, rec, batch, line)?;
                        if run.name_refusal.is_some() {
                            return Ok(());
                        }
                    }
                    _ => {
                        if leaf(run, child, path, rec, batch)? {
                            *child = serde_json::Value::Null;
                        }
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// One entry `k: child` of an object at `path[..base]`, `path` holding the
/// entry's own path: whether to keep it, or `None` when a key that is
/// itself personal data refused the batch.
#[allow(clippy::too_many_arguments)]
fn visit(
    run: &mut Policy,
    k: &str,
    child: &mut serde_json::Value,
    path: &mut String,
    base: usize,
    rec: &mut RecordState,
    batch: &mut PendingBatch,
    line: u64,
) -> Result<Option<bool>, Overflow> {
    let place = |kind: &str| {
        let within = if base == 0 {
            "the record".to_string()
        } else {
            format!("the object at `{}`", &path[..base])
        };
        format!("line {line}, a key of {within} (a key that is itself a {kind})")
    };
    if !run.check_name(k, path, place) {
        return Ok(None);
    }
    let drop = match child {
        serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
            walk(run, child, path, rec, batch, line)?;
            false
        }
        _ => leaf(run, child, path, rec, batch)?,
    };
    if run.name_refusal.is_some() {
        return Ok(None);
    }
    Ok(Some(!drop))
}

/// Handles one scalar; returns true when it must be removed.
fn leaf(
    run: &mut Policy,
    v: &mut serde_json::Value,
    path: &str,
    rec: &mut RecordState,
    batch: &mut PendingBatch,
) -> Result<bool, Overflow> {
    let (drop, new) = {
        // Booleans and nulls hold nothing: their fields are not even noted.
        let text: Cow<'_, str> = match &*v {
            serde_json::Value::String(s) => Cow::Borrowed(s.as_str()),
            serde_json::Value::Number(n) => Cow::Owned(n.to_string()),
            _ => return Ok(false),
        };
        let col = run.column(path);
        match run.value(col, &text, rec, batch)? {
            Value::Drop => (true, None),
            Value::Keep => (false, None),
            Value::New(s) => (false, (s != *text).then_some(s)),
            Value::Token(t) => {
                let s: String = t.iter().map(|&b| char::from(b)).collect();
                (false, (s != *text).then_some(s))
            }
        }
    };
    if let Some(s) = new {
        *v = serde_json::Value::String(s);
    }
    Ok(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records of every shape the quoting rules tell apart, written by
    /// `csv::Writer` and by [`csv_field`]: byte for byte the same.
    #[test]
    fn records_are_written_as_the_csv_writer_writes_them() {
        let pieces: [&[u8]; 14] = [
            b"",
            b"a",
            b"C0000001",
            b" x ",
            b"\"",
            b"a\"b\"\"c",
            b"a,b",
            b"a;b",
            b"a\tb",
            b"a|b",
            b"line\nbreak",
            b"cr\rhere",
            "张伟".as_bytes(),
            b"tok_646079299cbf05a14ef3",
        ];
        for delim in [b',', b'\t', b';', b'|'] {
            // Every record of 0 to 3 fields drawn from the pieces.
            let mut records: Vec<Vec<&[u8]>> = vec![vec![]];
            for a in pieces {
                records.push(vec![a]);
                for b in pieces {
                    records.push(vec![a, b]);
                    records.push(vec![b, a, b""]);
                }
            }
            for record in records {
                let mut w = csv::WriterBuilder::new()
                    .delimiter(delim)
                    .from_writer(Vec::new());
                w.write_record(&record).unwrap();
                let want = w.into_inner().unwrap();
                let mut got = b"before".to_vec();
                for (i, f) in record.iter().enumerate() {
                    csv_field(&mut got, delim, i, f);
                }
                csv_end_record(&mut got, 6);
                assert_eq!(
                    &got[6..],
                    &want[..],
                    "{record:?} with {:?}",
                    char::from(delim)
                );
            }
        }
    }
}
