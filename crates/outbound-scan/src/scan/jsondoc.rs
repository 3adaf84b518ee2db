//! The limits of a JSON document's records, enforced below serde: a reader
//! between the input and `serde_json` that finds the records (the elements
//! of a top-level array, else the document itself) by their structure,
//! holds each one until it is complete, and hands over the same bytes.
//!
//! A record over [`MAX_RECORD`] bytes, or holding a string over
//! [`MAX_FIELD`] bytes, is read past without being kept and handed over as
//! `null` followed by as many line ends as it had, so serde's line numbers
//! stay right and the parse goes on with the next record. Memory is then
//! bounded by the limits, not by the input.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use super::{MAX_FIELD, MAX_RECORD};

/// A record that was skipped: its first line and which limit it broke.
pub(super) type Skipped = (u64, &'static str);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Before the top-level value.
    Top,
    /// Inside a top-level array, between elements.
    Between,
    /// Holding a record.
    Record,
    /// Reading past a record over a limit.
    Skip,
    /// After the top-level value: bytes pass through.
    Pass,
}

/// How a record ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `{…}` or `[…]`: when the depth is back to the record's base.
    Nested,
    /// `"…"`: at the closing quote.
    Str,
    /// A number or a word: before a space, `,`, or a bracket.
    Scalar,
}

/// The reader; see the module docs.
pub(super) struct Limited<R> {
    src: R,
    st: State,
    error: Option<io::Error>,
    eof: bool,
    /// Bytes consumed from the input (to locate read errors).
    pub(super) consumed: Rc<Cell<u64>>,
    /// Records skipped so far, in order.
    pub(super) skipped: Rc<RefCell<Vec<Skipped>>>,
}

/// Where the reader is in the document.
struct State {
    mode: Mode,
    shape: Shape,
    /// Nesting depth of the bytes read so far, and the record's.
    depth: u32,
    base: u32,
    in_str: bool,
    esc: bool,
    /// Bytes of the string being read.
    str_len: usize,
    /// The record being held.
    rec: Vec<u8>,
    /// Bytes and line ends in the record so far.
    rec_len: u64,
    rec_newlines: u64,
    /// Bytes ready for serde.
    out: Vec<u8>,
    out_pos: usize,
    /// Line ends still owed for a skipped record.
    newlines: u64,
    /// Current 1-based line of the input, and where the record started.
    line: u64,
    rec_line: u64,
    over: &'static str,
    skipped: Rc<RefCell<Vec<Skipped>>>,
}

impl<R: BufRead> Limited<R> {
    pub(super) fn new(src: R) -> Self {
        let skipped: Rc<RefCell<Vec<Skipped>>> = Rc::default();
        Limited {
            src,
            st: State {
                mode: Mode::Top,
                shape: Shape::Scalar,
                depth: 0,
                base: 0,
                in_str: false,
                esc: false,
                str_len: 0,
                rec: Vec::new(),
                rec_len: 0,
                rec_newlines: 0,
                out: Vec::new(),
                out_pos: 0,
                newlines: 0,
                line: 1,
                rec_line: 1,
                over: "",
                skipped: skipped.clone(),
            },
            error: None,
            eof: false,
            consumed: Rc::default(),
            skipped,
        }
    }

    /// Reads one buffer of input and moves what it can into `out`.
    fn fill(&mut self) {
        let buf = match self.src.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            Err(e) => {
                // What was read before the error still goes to serde first.
                self.st.finish_if_open();
                self.error = Some(e);
                return;
            }
        };
        if buf.is_empty() {
            self.st.finish_if_open();
            self.eof = true;
            return;
        }
        let n = self.st.take(buf);
        self.src.consume(n);
        self.consumed.set(self.consumed.get() + n as u64);
    }
}

impl<R: BufRead> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let st = &mut self.st;
            if st.out_pos < st.out.len() {
                let n = buf.len().min(st.out.len() - st.out_pos);
                buf[..n].copy_from_slice(&st.out[st.out_pos..st.out_pos + n]);
                st.out_pos += n;
                return Ok(n);
            }
            if st.newlines > 0 {
                let n = buf
                    .len()
                    .min(usize::try_from(st.newlines).unwrap_or(usize::MAX));
                buf[..n].fill(b'\n');
                st.newlines -= n as u64;
                return Ok(n);
            }
            if let Some(e) = self.error.take() {
                return Err(e);
            }
            if self.eof || buf.is_empty() {
                return Ok(0);
            }
            // A large record's buffer is not kept for the next one.
            if st.out.capacity() > 1 << 20 {
                st.out = Vec::new();
            } else {
                st.out.clear();
            }
            st.out_pos = 0;
            self.fill();
        }
    }
}

impl State {
    /// Tracks strings and nesting over one byte.
    fn step(&mut self, b: u8) {
        if self.in_str {
            self.str_len += 1;
            if self.esc {
                self.esc = false;
            } else if b == b'\\' {
                self.esc = true;
            } else if b == b'"' {
                self.in_str = false;
            }
            return;
        }
        match b {
            b'"' => {
                self.in_str = true;
                self.str_len = 0;
            }
            b'[' | b'{' => self.depth += 1,
            b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }

    fn finish_if_open(&mut self) {
        if matches!(self.mode, Mode::Record | Mode::Skip) {
            self.finish_record();
        }
    }

    /// The record is complete: hand it over, or its stand-in.
    fn finish_record(&mut self) {
        if self.mode == Mode::Skip {
            self.out.extend_from_slice(b"null");
            self.newlines = self.rec_newlines;
            self.skipped.borrow_mut().push((self.rec_line, self.over));
        } else {
            // `out` is empty here: a record starts only once it was handed
            // over. Swapping keeps one large buffer, not two.
            std::mem::swap(&mut self.out, &mut self.rec);
            self.rec.clear();
        }
        self.mode = if self.base == 0 {
            Mode::Pass
        } else {
            Mode::Between
        };
    }

    /// Takes bytes from `buf` into `out` up to the end of a record (or of
    /// `buf`); returns how many it took.
    fn take(&mut self, buf: &[u8]) -> usize {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            match self.mode {
                Mode::Pass => {
                    self.out.extend_from_slice(&buf[i..]);
                    self.line += memchr::memchr_iter(b'\n', &buf[i..]).count() as u64;
                    return buf.len();
                }
                Mode::Top | Mode::Between => {
                    let between = self.mode == Mode::Between;
                    if b.is_ascii_whitespace() || (between && b == b',') {
                        self.out.push(b);
                    } else if !between && b == b'[' {
                        self.out.push(b);
                        self.step(b);
                        self.mode = Mode::Between;
                    } else if between && b == b']' {
                        self.out.push(b);
                        self.step(b);
                        self.mode = Mode::Pass;
                    } else if !self.out.is_empty() {
                        // Hand over what comes before the record first: a
                        // record is read only once serde asks for it.
                        return i;
                    } else {
                        self.base = self.depth;
                        self.rec_line = self.line;
                        self.rec_len = 0;
                        self.rec_newlines = 0;
                        self.shape = match b {
                            b'{' | b'[' => Shape::Nested,
                            b'"' => Shape::Str,
                            _ => Shape::Scalar,
                        };
                        self.mode = Mode::Record;
                        continue;
                    }
                }
                Mode::Record | Mode::Skip => {
                    if self.shape == Shape::Scalar
                        && self.rec_len > 0
                        && (b.is_ascii_whitespace() || b"[]{},\"".contains(&b))
                    {
                        // Not part of the record: read on from here.
                        self.finish_record();
                        return i;
                    }
                    self.step(b);
                    self.rec_len += 1;
                    if b == b'\n' {
                        self.rec_newlines += 1;
                    }
                    if self.mode == Mode::Record {
                        self.rec.push(b);
                        let field = self.in_str && self.str_len > MAX_FIELD;
                        if field || self.rec.len() > MAX_RECORD {
                            self.over = if field { "field" } else { "record" };
                            self.rec = Vec::new();
                            self.mode = Mode::Skip;
                        }
                    }
                    let end = match self.shape {
                        Shape::Nested => !self.in_str && self.depth == self.base,
                        Shape::Str => !self.in_str,
                        Shape::Scalar => false,
                    };
                    if end {
                        if b == b'\n' {
                            self.line += 1;
                        }
                        self.finish_record();
                        return i + 1;
                    }
                }
            }
            if b == b'\n' {
                self.line += 1;
            }
            i += 1;
        }
        i
    }
}
