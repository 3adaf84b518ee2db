//! Opening inputs: decompression, text encoding, format sniffing and
//! bounded batch readers.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ProgressFn;

/// How many bytes of the (decompressed) start of a file are sniffed.
const HEAD: usize = 64 * 1024;

/// Counts raw bytes read and reports progress increments.
struct Counting<R> {
    inner: R,
    total: Arc<AtomicU64>,
    pending: u64,
    progress: Option<ProgressFn>,
}

impl<R> Drop for Counting<R> {
    fn drop(&mut self) {
        // Report the tail even when the reader stopped before EOF (errors).
        if self.pending > 0
            && let Some(p) = &self.progress
        {
            p(self.pending);
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total.fetch_add(n as u64, Ordering::Relaxed);
        self.pending += n as u64;
        if (self.pending >= 1 << 20 || n == 0) && self.pending > 0 {
            if let Some(p) = &self.progress {
                p(self.pending);
            }
            self.pending = 0;
        }
        Ok(n)
    }
}

/// Detected input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV or TSV, with its delimiter.
    Csv(u8),
    /// One JSON value per line.
    JsonLines,
    /// One JSON document (an array of records, or one object).
    Json,
    /// Free text.
    Text,
    /// Parquet (by the `PAR1` magic): read by random access, not streamed.
    Parquet,
}

impl Format {
    /// Its name in reports (`csv`, `tsv`, `jsonl`, `json`, `text`, `parquet`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv(b'\t') => "tsv",
            Format::Csv(_) => "csv",
            Format::JsonLines => "jsonl",
            Format::Json => "json",
            Format::Text => "text",
            Format::Parquet => "parquet",
        }
    }
}

/// An opened input, decompressed and transcoded to UTF-8.
pub(crate) struct Input {
    pub(crate) reader: Box<dyn BufRead + Send>,
    pub(crate) format: Format,
    pub(crate) compression: Option<&'static str>,
    pub(crate) encoding: &'static str,
    pub(crate) raw_bytes: Arc<AtomicU64>,
    /// Error met while reading the head (e.g. truncated gzip).
    pub(crate) head_error: Option<io::Error>,
}

/// Opens `path` (`-` = stdin) and sniffs compression, encoding and format.
///
/// The input is opened and read exactly once: every sniff looks at a
/// buffered head of the same reader, which is then read on from there.
/// A FIFO or a `<(cmd)` pipe cannot be opened twice (a second open waits
/// for a writer that never comes, or starts after the bytes the first one
/// took).
pub(crate) fn open(path: &Path, progress: Option<ProgressFn>) -> io::Result<Input> {
    let mut raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(path)?)
    };
    let total = Arc::new(AtomicU64::new(0));
    // The Parquet magic, read before counting: a Parquet file is then read
    // by random access (scan::parquet) and reports its own progress.
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut raw, &mut magic)?;
    if &magic[..got] == b"PAR1" {
        return Ok(Input {
            reader: Box::new(io::empty()),
            format: Format::Parquet,
            compression: None,
            encoding: "binary",
            raw_bytes: total,
            head_error: None,
        });
    }
    let raw: Box<dyn Read + Send> = Box::new(io::Cursor::new(magic[..got].to_vec()).chain(raw));
    let counting = Counting {
        inner: raw,
        total: total.clone(),
        pending: 0,
        progress,
    };
    let mut br = BufReader::with_capacity(64 * 1024, counting);
    let magic = br.fill_buf()?;
    let (decoded, compression): (Box<dyn Read + Send>, _) = if magic.starts_with(&[0x1f, 0x8b]) {
        (
            Box::new(flate2::bufread::MultiGzDecoder::new(br)),
            Some("gzip"),
        )
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        (
            Box::new(zstd::stream::read::Decoder::with_buffer(br)?),
            Some("zstd"),
        )
    } else {
        (Box::new(br), None)
    };
    // Read the head for sniffing, then chain it back in front.
    let mut head = Vec::with_capacity(HEAD);
    let mut head_error = None;
    let mut d = decoded;
    let mut lim = (&mut d).take(HEAD as u64);
    loop {
        match lim.read_to_end(&mut head) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                head_error = Some(e);
                break;
            }
        }
    }
    // Strip a UTF-8 BOM; detect UTF-16 BOMs; otherwise UTF-8 if the head is
    // valid UTF-8 (allowing a sequence cut at the end), else GB18030 (a
    // superset of GBK/GB2312, the usual legacy encoding of Chinese exports)
    // if the head decodes as GB18030 without errors; else UTF-8 with the
    // invalid bytes reported per line.
    let mut enc: &'static encoding_rs::Encoding = encoding_rs::UTF_8;
    let mut start = 0;
    if let Some((e, bom)) = encoding_rs::Encoding::for_bom(&head) {
        enc = e;
        start = bom;
    } else if let Some(e) = utf16_without_bom(&head) {
        enc = e;
    } else if let Err(e) = std::str::from_utf8(&head)
        && (e.error_len().is_some() || head.len() - e.valid_up_to() > 3)
    {
        // Allow a multi-byte sequence cut at the end of a full head.
        let cut = if head.len() == HEAD {
            head.len() - 3
        } else {
            head.len()
        };
        if encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(&head[..cut])
            .is_some()
        {
            enc = encoding_rs::GB18030;
        }
    }
    let rest: Box<dyn Read + Send> = if head_error.is_some() {
        Box::new(io::empty())
    } else {
        d
    };
    let chained = io::Cursor::new(head).chain(rest);
    let mut chained: Box<dyn Read + Send> = Box::new(chained);
    if start > 0 {
        let mut skip = vec![0u8; start];
        chained.read_exact(&mut skip)?;
    }
    let text: Box<dyn Read + Send> = if enc == encoding_rs::UTF_8 {
        chained
    } else {
        Box::new(Transcode::new(chained, enc))
    };
    // 64 KiB, small enough to stay in the L2 cache between the kernel's
    // copy into it and ours out of it: with 256 KiB the kernel's copy was
    // 12 % of a CSV scan's time, with 64 KiB 4 % (docs/PERFORMANCE.md).
    let mut reader: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(64 * 1024, text));
    let mut peek = reader.fill_buf().unwrap_or(&[]).to_vec();
    if first_object_line_unfinished(path, &peek) {
        // Whether `{…}` is a document or the first of JSON lines shows only
        // after its line: read on to it (the common case never comes here).
        // Up to the line's end and something that is not space after it
        // (or a head's worth of space).
        reader.consume(peek.len());
        let mut line_end = None;
        while peek.len() < SNIFF_LINE {
            let buf = match reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Kept as the head's error: a decoder may say it once only.
                Err(e) => {
                    head_error.get_or_insert(e);
                    break;
                }
            };
            if buf.is_empty() {
                break;
            }
            let (from, n) = (peek.len(), buf.len());
            peek.extend_from_slice(buf);
            reader.consume(n);
            line_end = line_end.or_else(|| memchr::memchr(b'\n', &peek[from..]).map(|e| from + e));
            if line_end.is_some_and(|e| {
                peek.len() - e > HEAD || peek[e..].iter().any(|b| !b.is_ascii_whitespace())
            }) {
                break;
            }
        }
        let format = sniff_format(path, &peek);
        let rest = io::Cursor::new(peek).chain(reader);
        reader = Box::new(BufReader::with_capacity(64 * 1024, rest));
        return Ok(input(reader, format, compression, enc, total, head_error));
    }
    let format = sniff_format(path, &peek);
    Ok(input(reader, format, compression, enc, total, head_error))
}

/// How far the sniffer reads a first line that starts with `{`: as far as
/// one JSON string may be long (`scan::MAX_FIELD`).
const SNIFF_LINE: usize = 16 << 20;

/// Whether `head` starts with `{` and ends before its first line does, in
/// a file whose extension does not fix the format: then only the rest of
/// that line tells a document from JSON lines.
fn first_object_line_unfinished(path: &Path, head: &[u8]) -> bool {
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    start.is_some_and(|i| head[i] == b'{' && memchr::memchr(b'\n', &head[i..]).is_none())
        && format_by_ext(&ext_of(path), head).is_none()
}

/// The opened input.
fn input(
    reader: Box<dyn BufRead + Send>,
    format: Format,
    compression: Option<&'static str>,
    enc: &'static encoding_rs::Encoding,
    raw_bytes: Arc<AtomicU64>,
    head_error: Option<io::Error>,
) -> Input {
    Input {
        reader,
        format,
        compression,
        encoding: if enc == encoding_rs::UTF_8 {
            "utf-8"
        } else {
            enc.name()
        },
        raw_bytes,
        head_error,
    }
}

/// UTF-16 written without a byte order mark, told by its zero bytes: text
/// with ASCII in it (digits, delimiters, line ends) has a zero byte in
/// every ASCII character's code unit, on the odd side for little-endian,
/// the even side for big-endian, and UTF-8 text has none. At least a
/// third of the code units must have it and the other side almost none
/// (Chinese text with ASCII delimiters passes; a binary file seldom does).
fn utf16_without_bom(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let units = head.len() / 2;
    if units < 8 {
        return None;
    }
    let zeros = |side: usize| head.chunks_exact(2).filter(|u| u[side] == 0).count();
    let (even, odd) = (zeros(0), zeros(1));
    if 3 * odd >= units && 50 * even <= units {
        Some(encoding_rs::UTF_16LE)
    } else if 3 * even >= units && 50 * odd <= units {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Reads until `buf` is full or the input ends (a pipe may hand out its
/// first bytes in several short reads); returns how many were read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn ext_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = ["gz", "gzip", "zst", "zstd"]
        .iter()
        .find_map(|c| name.strip_suffix(&format!(".{c}")).map(str::to_string))
        .unwrap_or(name);
    name.rsplit_once('.')
        .map(|(_, e)| e.to_string())
        .unwrap_or_default()
}

/// The format an extension fixes (`head` only gives a CSV's delimiter).
fn format_by_ext(ext: &str, head: &[u8]) -> Option<Format> {
    match ext {
        "csv" => Some(Format::Csv(sniff_delimiter(head).unwrap_or(b','))),
        "tsv" | "tab" => Some(Format::Csv(b'\t')),
        "jsonl" | "ndjson" => Some(Format::JsonLines),
        "log" | "txt" | "text" | "md" => Some(Format::Text),
        _ => None,
    }
}

/// Format from the extension (compression suffix removed), else content.
fn sniff_format(path: &Path, head: &[u8]) -> Format {
    let ext = ext_of(path);
    if let Some(f) = format_by_ext(&ext, head) {
        return f;
    }
    let first = head.iter().position(|b| !b.is_ascii_whitespace());
    // What follows the opening bracket must look like JSON (so TOML's
    // `[package]` or an INI section is not taken for JSON).
    let after = first.and_then(|i| {
        head[i + 1..]
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .copied()
    });
    let looks_json = first.is_some_and(|i| {
        let rest = head[i + 1..].trim_ascii_start();
        match rest.first() {
            None => true,
            Some(b'{' | b'[' | b'"' | b']' | b'-' | b'0'..=b'9') => true,
            Some(_) => [&b"true"[..], b"false", b"null"].iter().any(|w| {
                rest.starts_with(w) && !rest.get(w.len()).is_some_and(u8::is_ascii_alphanumeric)
            }),
        }
    });
    match first.map(|i| head[i]) {
        Some(b'[') if looks_json => return Format::Json,
        Some(b'{') if matches!(after, None | Some(b'"' | b'}')) => {
            let i = first.unwrap_or(0);
            let line_end = memchr::memchr(b'\n', &head[i..]).map_or(head.len(), |e| i + e);
            let one = serde_json::from_slice::<serde::de::IgnoredAny>(&head[i..line_end]).is_ok();
            let more = head[line_end..].iter().any(|b| !b.is_ascii_whitespace());
            return if (one && more) || objects_per_line(&head[line_end..]) {
                Format::JsonLines
            } else {
                Format::Json
            };
        }
        _ => {}
    }
    if ext == "json" {
        return Format::Json;
    }
    match sniff_delimiter(head) {
        Some(d) => Format::Csv(d),
        None => Format::Text,
    }
}

/// Whether the complete lines of `rest` (the head after its first line)
/// are mostly JSON objects, one a line: JSON lines whose first line is
/// broken. At least two, and at least half of the lines that are not
/// blank; a pretty-printed document has few lines that are whole objects
/// (`{"a": 1},` with its comma is not).
fn objects_per_line(rest: &[u8]) -> bool {
    let Some(end) = memchr::memrchr(b'\n', rest) else {
        return false;
    };
    let (mut lines, mut objects) = (0, 0);
    for l in rest[..end].split(|&b| b == b'\n') {
        let l = l.trim_ascii();
        if l.is_empty() {
            continue;
        }
        lines += 1;
        objects += usize::from(
            l.starts_with(b"{") && serde_json::from_slice::<serde::de::IgnoredAny>(l).is_ok(),
        );
    }
    objects >= 2 && 2 * objects >= lines
}

/// Picks the delimiter that occurs the same non-zero number of times on
/// each of the first lines (quotes respected roughly).
fn sniff_delimiter(head: &[u8]) -> Option<u8> {
    let lines: Vec<&[u8]> = head
        .split(|&b| b == b'\n')
        .skip_while(|l| l.starts_with(b"#"))
        .take(20)
        .collect();
    let complete = if lines.len() > 1 { lines.len() - 1 } else { 1 };
    let lines = &lines[..complete.min(lines.len())];
    let mut best = None;
    let mut best_count = 0;
    for d in [b',', b'\t', b';', b'|'] {
        let counts: Vec<usize> = lines
            .iter()
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut q = false;
                l.iter()
                    .filter(|&&b| {
                        if b == b'"' {
                            q = !q;
                        }
                        !q && b == d
                    })
                    .count()
            })
            .collect();
        let consistent =
            counts.len() >= 2 && counts[0] > 0 && counts.iter().all(|&c| c == counts[0]);
        let single_line = counts.len() == 1 && lines.len() == 1;
        if (consistent || single_line) && counts[0] > best_count {
            best = Some(d);
            best_count = counts[0];
        }
    }
    best
}

/// A `Read` adapter decoding a legacy encoding to UTF-8 on the fly
/// (bounded buffers; malformed sequences become U+FFFD).
struct Transcode<R> {
    inner: R,
    dec: encoding_rs::Decoder,
    inbuf: Vec<u8>,
    in_lo: usize,
    in_hi: usize,
    out: Vec<u8>,
    out_lo: usize,
    out_hi: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> Transcode<R> {
    fn new(inner: R, enc: &'static encoding_rs::Encoding) -> Self {
        Transcode {
            inner,
            dec: enc.new_decoder_without_bom_handling(),
            inbuf: vec![0; 64 * 1024],
            in_lo: 0,
            in_hi: 0,
            out: vec![0; 3 * 64 * 1024 + 16],
            out_lo: 0,
            out_hi: 0,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for Transcode<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_lo < self.out_hi {
                let n = buf.len().min(self.out_hi - self.out_lo);
                buf[..n].copy_from_slice(&self.out[self.out_lo..self.out_lo + n]);
                self.out_lo += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if self.in_lo == self.in_hi && !self.eof {
                let n = self.inner.read(&mut self.inbuf)?;
                self.in_lo = 0;
                self.in_hi = n;
                self.eof = n == 0;
            }
            let (result, read, written, _) = self.dec.decode_to_utf8(
                &self.inbuf[self.in_lo..self.in_hi],
                &mut self.out,
                self.eof,
            );
            self.in_lo += read;
            self.out_lo = 0;
            self.out_hi = written;
            // After the last call that consumed all input the decoder is finished and
            // must not be called again, even when that call still wrote output.
            if self.eof && result == encoding_rs::CoderResult::InputEmpty {
                self.done = true;
            }
        }
    }
}

/// A batch of whole lines (or a piece of an over-long line).
pub(crate) struct LineBatch {
    pub(crate) data: Vec<u8>,
    /// 1-based line number of the first line in `data`.
    pub(crate) first_line: u64,
    /// The first line continues a line cut in the previous batch.
    pub(crate) continues: bool,
    /// Which piece of its line the first line is (0: its start).
    pub(crate) piece: u64,
}

impl LineBatch {
    /// Its lines as (line number, continues a cut line, bytes without the
    /// line end).
    ///
    /// Line ends are found by memchr's vectorised search over the whole
    /// batch: a byte-at-a-time split took a tenth of a log's scan.
    pub(crate) fn lines(&self) -> impl Iterator<Item = (u64, bool, &[u8])> {
        let data = &self.data[..];
        let mut ends = memchr::memchr_iter(b'\n', data);
        let (mut start, mut line, mut first) = (0, self.first_line, true);
        std::iter::from_fn(move || {
            if start >= data.len() {
                return None;
            }
            let n = line;
            let l = match ends.next() {
                Some(e) => {
                    line += 1;
                    std::mem::replace(&mut start, e + 1)..e
                }
                None => std::mem::replace(&mut start, data.len())..data.len(),
            };
            let l = &data[l];
            let cont = first && self.continues;
            first = false;
            Some((n, cont, l.strip_suffix(b"\r").unwrap_or(l)))
        })
    }
}

/// Reads bounded batches of lines. Lines longer than `max_line` are cut
/// (at a UTF-8 boundary) so memory stays bounded; the pieces keep the same
/// line number.
pub(crate) struct LineBatches<R> {
    reader: R,
    target: usize,
    max_line: usize,
    next_line: u64,
    continues: bool,
    /// Pieces of the current line handed out so far (0 when it is whole).
    piece: u64,
    /// Read error that ended the input, with the line it was met on.
    pub(crate) error: Option<(u64, io::Error)>,
    done: bool,
    /// Rest of an over-long line cut at the end of the previous batch.
    carry: Vec<u8>,
    /// Buffers of batches already scanned, reused (see [`Self::give_back`]).
    spare: Vec<Vec<u8>>,
    /// Whether an over-long line is cut after a separator ([`cut_point`]:
    /// free text, scanned piece by piece) or exactly at `max_line` (JSON
    /// lines, where a piece that long says the line is too long).
    cut_between_values: bool,
}

impl<R> LineBatches<R> {
    pub(crate) fn new(reader: R, target: usize, max_line: usize) -> Self {
        LineBatches {
            reader,
            target,
            max_line,
            next_line: 1,
            continues: false,
            piece: 0,
            error: None,
            done: false,
            carry: Vec::new(),
            spare: Vec::new(),
            cut_between_values: false,
        }
    }

    /// Over-long lines cut after a separator (free text), see
    /// [`cut_point`].
    pub(crate) fn cut_between_values(mut self) -> Self {
        self.cut_between_values = true;
        self
    }

    /// Hands a scanned batch's buffer back for the next batch: a fresh
    /// megabyte a batch cost a page fault and a zeroed page every 4 KiB.
    /// Only a few are kept, and none that grew past twice the target.
    pub(crate) fn give_back(&mut self, mut data: Vec<u8>) {
        if self.spare.len() < 8 && data.capacity() <= 2 * (self.target + 1024) {
            data.clear();
            self.spare.push(data);
        }
    }
}

impl<R: BufRead> Iterator for LineBatches<R> {
    type Item = LineBatch;

    fn next(&mut self) -> Option<LineBatch> {
        if self.done && self.carry.is_empty() {
            return None;
        }
        let mut data = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.target + 1024));
        data.append(&mut self.carry);
        let first_line = self.next_line;
        let continues = self.continues;
        let piece = self.piece;
        let mut line_start = 0;
        while !self.done {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error = Some((self.next_line, e));
                    self.done = true;
                    break;
                }
            };
            if buf.is_empty() {
                self.done = true;
                break;
            }
            // Every whole line in the buffer at once (up to the target): one
            // copy and one count instead of a call per line.
            // `data` is under the target here (the loop stops at it).
            let room = self.target.saturating_sub(data.len()).max(1);
            let last = memchr::memrchr(b'\n', &buf[..buf.len().min(room)])
                .or_else(|| memchr::memchr(b'\n', buf));
            match last {
                Some(p) => {
                    let lines = memchr::memchr_iter(b'\n', &buf[..=p]).count() as u64;
                    data.extend_from_slice(&buf[..=p]);
                    self.reader.consume(p + 1);
                    self.next_line += lines;
                    self.continues = false;
                    self.piece = 0;
                    line_start = data.len();
                    if data.len() >= self.target {
                        break;
                    }
                }
                None => {
                    let n = buf.len();
                    data.extend_from_slice(buf);
                    self.reader.consume(n);
                }
            }
            if data.len() - line_start > self.max_line {
                let cut = line_start
                    + if self.cut_between_values {
                        cut_point(&data[line_start..], self.max_line)
                    } else {
                        char_boundary_before(&data[line_start..], self.max_line)
                    };
                self.carry = data.split_off(cut);
                self.continues = true;
                self.piece += 1;
                break;
            }
        }
        if data.is_empty() {
            return None;
        }
        Some(LineBatch {
            data,
            first_line,
            continues,
            piece,
        })
    }
}

/// Where to cut a line longer than `max` bytes (`line.len() > max`): after
/// the last separator in the 4 KiB before `max`, so that the identifier
/// the cut would fall into stays whole: a structural one first (`,` `;`
/// tab, quotes, brackets, `|`: a JSON dump or a CSV row on one line), else
/// a space; without either, at a character boundary as before.
fn cut_point(line: &[u8], max: usize) -> usize {
    const WINDOW: usize = 4096;
    let window = &line[max.saturating_sub(WINDOW)..max];
    let base = max - window.len();
    let structural = |b: &u8| b",;\t\"'{}[]<>|".contains(b);
    if let Some(i) = window.iter().rposition(structural) {
        return base + i + 1;
    }
    if let Some(i) = window.iter().rposition(|&b| b == b' ') {
        return base + i + 1;
    }
    char_boundary_before(line, max)
}

/// `max`, or the start of the UTF-8 character `max` falls in (`max` itself
/// when the line holds no boundary before it).
fn char_boundary_before(line: &[u8], max: usize) -> usize {
    let mut cut = max;
    while cut > 0 && (line[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    if cut == 0 { max } else { cut }
}

#[cfg(test)]
mod tests {
    use super::LineBatch;
    use proptest::prelude::*;

    /// The lines as a byte-at-a-time split reads them: the reference of
    /// [`LineBatch::lines`].
    fn reference(b: &LineBatch) -> Vec<(u64, bool, Vec<u8>)> {
        let mut line = b.first_line;
        let mut out = Vec::new();
        for (i, l) in b.data.split_inclusive(|&c| c == b'\n').enumerate() {
            let n = line;
            if l.ends_with(b"\n") {
                line += 1;
            }
            let l = l.strip_suffix(b"\n").unwrap_or(l);
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            out.push((n, i == 0 && b.continues, l.to_vec()));
        }
        out
    }

    fn lines(b: &LineBatch) -> Vec<(u64, bool, Vec<u8>)> {
        b.lines().map(|(n, c, l)| (n, c, l.to_vec())).collect()
    }

    fn batch(data: &[u8], continues: bool) -> LineBatch {
        LineBatch {
            data: data.to_vec(),
            first_line: 7,
            continues,
            piece: 0,
        }
    }

    #[test]
    fn lines_split_as_the_reference_does_at_the_edges() {
        for data in [
            &b""[..],
            b"\n",
            b"\n\n",
            b"a",
            b"a\n",
            b"a\r\n",
            b"\r",
            b"\r\n\r\n",
            b"a\nb",
            b"a\r\nb\r",
            b"\n\na\n",
        ] {
            for continues in [false, true] {
                let b = batch(data, continues);
                assert_eq!(lines(&b), reference(&b), "{data:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn lines_split_as_the_reference_does(
            data in proptest::collection::vec(
                prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'x'), any::<u8>()],
                0..300,
            ),
            continues in any::<bool>(),
        ) {
            let b = batch(&data, continues);
            prop_assert_eq!(lines(&b), reference(&b));
        }
    }
}
