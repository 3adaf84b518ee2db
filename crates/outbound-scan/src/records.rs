//! The scanner's readers, for the crates that must read exactly what
//! `outbound scan` reads: the gate passes a batch through the same
//! decompression (gzip, zstd), encoding detection and transcoding (UTF-8,
//! UTF-16 with a byte order mark, GB18030), format sniffing and CSV /
//! JSON-lines record splitting, so that a file the scanner reads is a file
//! the gate can pass, and both see the same records.
//!
//! Why a separate, small API: the scanner's own batches are tied to its
//! accumulators and to rayon; these types expose only the reading, with
//! bounded memory (records over the scanner's limits are errors naming
//! their line, never held whole) and errors that never quote the data.

use std::io::{self, BufRead};
use std::path::Path;

pub use crate::read::Format;
use crate::read::{self, LineBatches};
use crate::scan::csv::{FlatBatch, Next, Records};

/// An opened input: decompressed and transcoded to UTF-8, with what was found.
pub struct Input {
    /// The decoded text (UTF-8, or bytes that claim to be and may not be).
    pub reader: Box<dyn BufRead + Send>,
    /// The format sniffed from the name (compression suffix removed) or the content.
    pub format: Format,
    /// `gzip` or `zstd` when the input was compressed.
    pub compression: Option<&'static str>,
    /// The input's text encoding: `utf-8`, `UTF-16LE`, `UTF-16BE` or `gb18030`.
    /// Everything but `utf-8` was transcoded to UTF-8 on the way.
    pub encoding: &'static str,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("format", &self.format)
            .field("compression", &self.compression)
            .field("encoding", &self.encoding)
            .finish()
    }
}

/// Opens `path` (`-` is standard input) as `outbound scan` does: read once
/// (pipes work), compression by magic bytes, encoding by byte order mark or
/// by whether the first 64 KiB are UTF-8 or else GB18030, format by name or
/// content. A read error in those first bytes (a truncated gzip) is an error
/// here, not a shorter input.
pub fn open(path: &Path) -> io::Result<Input> {
    let input = read::open(path, None)?;
    if let Some(e) = input.head_error {
        return Err(io::Error::new(
            e.kind(),
            format!("read error (input truncated or corrupt): {e}"),
        ));
    }
    Ok(Input {
        reader: input.reader,
        format: input.format,
        compression: input.compression,
        encoding: input.encoding,
    })
}

/// Why a record could not be read. Names the line and field, never a value.
#[derive(Debug)]
pub enum RecordError {
    /// A field over 16 MiB or a record over 64 MiB (the scanner's limits):
    /// read past, never held.
    TooLarge {
        /// The record's first line.
        line: u64,
        /// The 1-based field where the limit was met.
        field: usize,
        /// `field` or `record`.
        limit: &'static str,
    },
    /// The input could not be read on (truncated or corrupt).
    Io {
        /// The line being read.
        line: u64,
        /// What the reader said.
        error: io::Error,
    },
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordError::TooLarge {
                field,
                limit: "field",
                ..
            } => write!(f, "field {field} is longer than 16 MiB"),
            RecordError::TooLarge { field, .. } => {
                write!(f, "a record is longer than 64 MiB (at field {field})")
            }
            RecordError::Io { error, .. } => {
                write!(f, "read error (input truncated or corrupt): {error}")
            }
        }
    }
}

impl std::error::Error for RecordError {}

/// CSV records, parsed as the scanner parses them (`csv-core` with the
/// scanner's memchr fast path for lines without quotes), into flat batches:
/// one allocation per batch, reused, instead of one per record.
pub struct CsvRecords {
    records: Records<Box<dyn BufRead + Send>>,
    done: bool,
}

impl std::fmt::Debug for CsvRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvRecords")
            .field("done", &self.done)
            .finish()
    }
}

impl CsvRecords {
    /// Reads `reader` (from [`open`]) as CSV with `delimiter`. Every record
    /// comes out, the header too; blank lines are skipped as `csv-core` does.
    pub fn new(reader: Box<dyn BufRead + Send>, delimiter: u8) -> Self {
        CsvRecords {
            records: Records::new(reader, delimiter),
            done: false,
        }
    }

    /// Clears `batch` and fills it with the next records, up to
    /// `max_records` or about `max_bytes` of field data (at most 1 GiB). An
    /// empty batch means the input has ended.
    pub fn read_batch(
        &mut self,
        batch: &mut CsvBatch,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<(), RecordError> {
        batch.0.clear();
        let max_bytes = max_bytes.min(crate::scan::csv::MAX_BATCH_BYTES);
        while !self.done && batch.len() < max_records && batch.0.data_len() < max_bytes {
            match self.records.read_many(&mut batch.0, max_records, max_bytes) {
                Next::Record => {}
                Next::End => self.done = true,
                Next::TooLarge(line, field, limit) => {
                    self.done = true;
                    return Err(RecordError::TooLarge { line, field, limit });
                }
                Next::Io(line, error) => {
                    self.done = true;
                    return Err(RecordError::Io { line, error });
                }
            }
        }
        Ok(())
    }
}

/// A batch of CSV records in one flat buffer.
#[derive(Default)]
pub struct CsvBatch(FlatBatch);

impl std::fmt::Debug for CsvBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CsvBatch({} records)", self.len())
    }
}

impl CsvBatch {
    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.0.recs.len()
    }

    /// Whether it holds none (the input has ended).
    pub fn is_empty(&self) -> bool {
        self.0.recs.is_empty()
    }

    /// The 1-based line record `i` starts on.
    pub fn line(&self, i: usize) -> u64 {
        self.0.record(i).0
    }

    /// How many fields record `i` has.
    pub fn width(&self, i: usize) -> usize {
        self.0.width(i)
    }

    /// The fields of record `i`, unquoted.
    pub fn fields(&self, i: usize) -> impl Iterator<Item = &[u8]> {
        self.0.record(i).1
    }

    /// The whole batch as text when it is valid UTF-8 as a whole (checked
    /// once, at the speed of SIMD), for [`Self::text_fields`].
    pub fn text(&self) -> Option<&str> {
        self.0.text()
    }

    /// The fields of record `i`, unquoted, as text: `None` for a field that
    /// is not valid UTF-8 alone. Pass [`Self::text`] of this batch as
    /// `whole`: each field is then a slice of it (a check of its two ends),
    /// not validated again; with `None` each field is validated.
    pub fn text_fields<'a>(
        &'a self,
        i: usize,
        whole: Option<&'a str>,
    ) -> impl Iterator<Item = Option<&'a str>> {
        self.0.record_text(i, whole)
    }
}

/// Lines in bounded batches, as the scanner reads JSON lines: lines longer
/// than 16 MiB are cut, and the piece after a cut says so.
pub struct Lines {
    inner: LineBatches<Box<dyn BufRead + Send>>,
}

impl std::fmt::Debug for Lines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lines")
    }
}

impl Lines {
    /// Reads `reader` (from [`open`]) in batches of about 1 MiB of whole lines.
    pub fn new(reader: Box<dyn BufRead + Send>) -> Self {
        Lines {
            inner: LineBatches::new(reader, crate::scan::LINE_BATCH, crate::scan::MAX_JSON_LINE),
        }
    }

    /// The next batch, or the read error that ended the input (with its
    /// line), or `None` at the end.
    pub fn next_batch(&mut self) -> Option<Result<LineBatch, RecordError>> {
        if let Some((line, error)) = self.inner.error.take() {
            return Some(Err(RecordError::Io { line, error }));
        }
        match self.inner.next() {
            Some(b) => Some(Ok(LineBatch(b))),
            None => self
                .inner
                .error
                .take()
                .map(|(line, error)| Err(RecordError::Io { line, error })),
        }
    }
}

/// Whole lines (or the pieces of a line over 16 MiB).
pub struct LineBatch(read::LineBatch);

impl std::fmt::Debug for LineBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LineBatch(from line {})", self.0.first_line)
    }
}

impl LineBatch {
    /// Its lines: (1-based line number, whether it continues a line cut
    /// before it, the bytes without `\n` or `\r\n`).
    pub fn lines(&self) -> impl Iterator<Item = (u64, bool, &[u8])> {
        self.0.lines()
    }

    /// [`Self::lines`], each with its text when the whole batch is valid
    /// UTF-8 (checked once, vectorised; `None` for every line otherwise).
    /// A parser handed the text need not check each string's UTF-8 again:
    /// serde_json's `from_str` against `from_slice` is a tenth of the time
    /// of a JSON line.
    pub fn text_lines(&self) -> impl Iterator<Item = (u64, bool, &[u8], Option<&str>)> {
        let text = crate::scan::as_utf8(&self.0.data);
        let base = self.0.data.as_ptr() as usize;
        self.0.lines().map(move |(n, cont, l)| {
            // A line is a slice of the batch ending at a line end (or a cut
            // made at a character boundary), so `get` finds its text.
            let start = l.as_ptr() as usize - base;
            (n, cont, l, text.and_then(|t| t.get(start..start + l.len())))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of a CSV file as strings, with its line.
    fn csv_of(path: &Path) -> (Input, Vec<(u64, Vec<String>)>) {
        let mut input = open(path).unwrap();
        let Format::Csv(d) = input.format else {
            panic!("{:?}", input.format)
        };
        let reader = std::mem::replace(&mut input.reader, Box::new(io::empty()));
        let mut recs = CsvRecords::new(reader, d);
        let mut b = CsvBatch::default();
        let mut out = Vec::new();
        loop {
            recs.read_batch(&mut b, 3, 1 << 20).unwrap();
            if b.is_empty() {
                break;
            }
            for i in 0..b.len() {
                let f: Vec<String> = b
                    .fields(i)
                    .map(|f| String::from_utf8(f.to_vec()).unwrap())
                    .collect();
                assert_eq!(f.len(), b.width(i));
                out.push((b.line(i), f));
            }
        }
        (input, out)
    }

    /// A field is text through the batch's one check exactly when it is
    /// valid UTF-8 alone: on csv-core's records (fields end to end, so two
    /// halves of a character can make a valid batch) and on the fast path's
    /// lines, with characters whole, cut by a delimiter or quote, or broken,
    /// at every batch size.
    #[test]
    fn text_fields_agree_with_each_field_checked_alone() {
        let lines: [&[u8]; 8] = [
            b"id,name,note\n",
            "C1,张伟,北京\n".as_bytes(),
            b"\"a\"\"\xE4\",\xB8\xAD,x\n",
            b"\xE4,\xB8\xAD,y\n",
            "\"李, 娜\",\"\"\"上\"\"\",海\n".as_bytes(),
            b"C2,\xFFab,z\n",
            "C3,\"a\nb\",é\n".as_bytes(),
            b"C4,\xC3,\xA9\n",
        ];
        let mut input = Vec::new();
        for _ in 0..3 {
            for l in lines {
                input.extend_from_slice(l);
            }
        }
        for max_records in [1, 2, 3, 5, 100] {
            let reader: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(input.clone()));
            let mut recs = CsvRecords::new(reader, b',');
            let mut b = CsvBatch::default();
            // Fields invalid alone in a batch valid as a whole.
            let (mut valid, mut invalid, mut halves) = (0, 0, 0);
            loop {
                recs.read_batch(&mut b, max_records, 1 << 20).unwrap();
                if b.is_empty() {
                    break;
                }
                let whole = b.text();
                for i in 0..b.len() {
                    let alone: Vec<Option<&str>> =
                        b.fields(i).map(|f| std::str::from_utf8(f).ok()).collect();
                    assert_eq!(b.text_fields(i, whole).collect::<Vec<_>>(), alone);
                    assert_eq!(b.text_fields(i, None).collect::<Vec<_>>(), alone);
                    if whole.is_some() {
                        halves += alone.iter().filter(|f| f.is_none()).count();
                    }
                    valid += alone.iter().filter(|f| f.is_some()).count();
                    invalid += alone.iter().filter(|f| f.is_none()).count();
                }
            }
            assert!(valid > 40 && invalid >= 18, "{valid} {invalid}");
            if max_records == 1 {
                // Three times on csv-core's records (every line's, on the
                // plain path: `OUTBOUND_SCAN_PLAIN=1`).
                assert!(halves >= 6, "a character in two fields: {halves}");
            }
        }
    }

    #[test]
    fn gzip_utf16_and_gb18030_read_as_the_same_records() {
        let dir = tempfile::tempdir().unwrap();
        let text = "id,name,city\nC1,张伟,北京\nC2,\"李, 娜\",上海\n\nC3,王芳,杭州\nC4,x,y\n";
        let plain = dir.path().join("a.csv");
        std::fs::write(&plain, text).unwrap();
        let (_, want) = csv_of(&plain);
        assert_eq!(want.len(), 5);
        assert_eq!(
            want[2],
            (3, vec!["C2".into(), "李, 娜".into(), "上海".into()])
        );
        // The lines the `csv` crate gives (what the gate reported before it read through here).
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let lines: Vec<u64> = r
            .records()
            .map(|x| x.unwrap().position().unwrap().line())
            .collect();
        assert_eq!(want.iter().map(|w| w.0).collect::<Vec<_>>(), lines);
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
        for (name, bytes, encoding, compression) in [
            ("u.csv", utf16, "UTF-16LE", None),
            ("g.csv", gb.into_owned(), "gb18030", None),
            ("z.csv.gz", gz.finish().unwrap(), "utf-8", Some("gzip")),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let (input, got) = csv_of(&p);
            assert_eq!((input.encoding, input.compression), (encoding, compression));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn a_truncated_gzip_is_an_error_not_a_shorter_input() {
        let dir = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for i in 0..1000 {
            io::Write::write_all(&mut gz, format!("C{i},13812345678\n").as_bytes()).unwrap();
        }
        let bytes = gz.finish().unwrap();
        let p = dir.path().join("t.csv.gz");
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let e = open(&p).unwrap_err();
        assert!(e.to_string().contains("truncated or corrupt"), "{e}");
    }
}
