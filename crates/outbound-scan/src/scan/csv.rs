//! CSV and TSV: the first record is a header when every cell looks like a
//! name and none holds personal data; records are cut into batches in one
//! flat buffer each and scanned in parallel.

use std::io::{self, BufRead};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::merge::{Acc, Rec};
use super::{CSV_BATCH, Ctx, LINE_BATCH, MAX_FIELDS, MAX_NAME, OTHER_FIELDS, err};
use crate::detect::{self, Hints, trim};
use crate::report::ErrorEntry;

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

/// Scans a CSV or TSV input with delimiter `delim`.
pub(super) fn scan_csv(
    reader: Box<dyn BufRead + Send>,
    delim: u8,
    path: &str,
    ctx: &Ctx<'_>,
) -> Acc {
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
