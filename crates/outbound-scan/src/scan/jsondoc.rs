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
//!
//! A record held whole is handed to a hook first, which scans it from the
//! held bytes (serde reading the document through `io::Read` goes a byte
//! at a time, six times slower than parsing a slice); serde is then given
//! `null` and the record's line ends in its place, and reads only the
//! document's frame (`[`, the commas, `]`). A record the hook cannot
//! parse ends the document there, as serde's own error would.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use super::{MAX_FIELD, MAX_RECORD};
use crate::blocks::{BLOCK, Positions, mask_any};

/// A record that was skipped: its first line, which limit it broke and
/// its order among the records.
pub(super) type Skipped = (u64, &'static str, u64);

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

/// Bytes that change a record's state or position: a quote, a
/// backslash, a line end and the brackets (which matter outside strings
/// only).
const STOPS: [u8; 7] = *b"\"\\\n[]{}";

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

/// A complete record, as the reader shows it to its hook.
pub(super) struct Record<'r> {
    pub(super) bytes: &'r [u8],
    /// The record is the whole document.
    pub(super) top: bool,
    /// Line and column of its first byte.
    pub(super) at: (u64, u64),
    /// Its order among the records.
    pub(super) order: u64,
    /// serde reads it itself: a number or a word, which serde must see
    /// to end, a record out of place, which serde must fail before, or a
    /// record shorter than its stand-in `null` (`{}`, `[]`, `""`), which
    /// would lengthen the document serde reads.
    pub(super) serde_reads: bool,
    /// The input ended (or could not be read on) right after it: it may
    /// be cut short.
    pub(super) at_end: bool,
}

/// What the hook says of a held record: scanned, to be handed to serde
/// as it is (one serde reads itself, [`Record::serde_reads`]), or not JSON, with
/// serde's error placed in the document (message without position, line,
/// column, and whether the record merely ended too soon).
pub(super) enum Held {
    Scanned,
    ToSerde,
    Invalid(String, u64, u64, bool),
}

/// The reader; see the module docs.
pub(super) struct Limited<R, H> {
    src: R,
    st: State,
    error: Option<io::Error>,
    eof: bool,
    /// Scans a held record. A record serde reads itself is shown too, so
    /// that the hook knows every record in order; it answers
    /// [`Held::ToSerde`] or an earlier record's [`Held::Invalid`].
    hook: H,
    /// What the reader notes, shared with serde's visitor (which reads
    /// from the reader, so cannot borrow it) and kept for the report.
    pub(super) notes: Rc<Notes>,
}

/// What [`Limited`] notes as it reads.
#[derive(Default)]
pub(super) struct Notes {
    /// Bytes consumed from the input (to locate read errors).
    pub(super) consumed: Cell<u64>,
    /// Records skipped so far, in order.
    pub(super) skipped: RefCell<Vec<Skipped>>,
    /// Records handed to serde as `null` (skipped or scanned): serde's
    /// visitor counts none of them.
    pub(super) standins: Cell<u64>,
    /// Records met so far, whoever scanned them: the order of the next.
    pub(super) records: Cell<u64>,
    /// The first record that is not JSON, placed in the document: the
    /// document ends there.
    pub(super) invalid: RefCell<Option<(String, u64, u64)>>,
    /// How far serde's columns are from the document's, stand-ins being
    /// shorter than their records.
    pub(super) shift: Cell<Shift>,
    /// Set by serde's visitor when an element failed: serde still reads
    /// on for the array's end, but no record after the error may count.
    pub(super) failed: Cell<bool>,
}

/// Where the last stand-in serde was given starts, in serde's (line,
/// column), and (line, bytes) before and after it: on that line, what
/// serde reads is that many bytes shorter than the document. serde reads
/// in order, so an error is at the last stand-in's start (a comma was
/// missing before it) or after it.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub(super) struct Shift {
    start: (u64, u64),
    before: (u64, u64),
    after: (u64, u64),
}

impl Shift {
    /// The document's column of serde's (line, column).
    pub(super) fn column(&self, line: u64, col: u64) -> u64 {
        let (on, by) = if (line, col) == self.start {
            self.before
        } else {
            self.after
        };
        if on == line { col + by } else { col }
    }
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
    /// Bytes since the last line end, and the record's first byte's
    /// 1-based column.
    col: u64,
    rec_col: u64,
    /// A record held whole is complete, for the hook.
    ready: bool,
    /// A record (held or skipped) was completed, for `hand_over`.
    finished: bool,
    /// A `[` or a comma came since the last element.
    separated: bool,
    /// The record stands where a value may: the document, or an element
    /// after `[` or a comma.
    rec_in_place: bool,
    over: &'static str,
    /// Take records a stop byte at a time only: the reference the block
    /// path is tested against.
    exact: bool,
}

impl<R: BufRead, H: FnMut(&Record<'_>) -> Held> Limited<R, H> {
    pub(super) fn new(src: R, hook: H) -> Self {
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
                col: 0,
                rec_col: 1,
                ready: false,
                finished: false,
                separated: false,
                rec_in_place: false,
                over: "",
                exact: false,
            },
            error: None,
            eof: false,
            hook,
            notes: Rc::default(),
        }
    }

    /// A stand-in for the record just finished goes to serde: what follows
    /// on the record's last line moves left by the bytes it saves there.
    fn note_standin(&self) {
        let st = &self.st;
        let prev = self.notes.shift.get();
        // Saved on the record's first line by the stand-ins before it.
        let by = if prev.after.0 == st.rec_line {
            prev.after.1
        } else {
            0
        };
        // On its last line the record took `col` bytes (all of it when it
        // has no line end); `null` and the line ends take 4 or 0.
        let end = st.rec_line + st.rec_newlines;
        let after = if st.rec_newlines == 0 {
            by + st.rec_len.saturating_sub(4)
        } else {
            st.col
        };
        self.notes.shift.set(Shift {
            start: (st.rec_line, st.rec_col - by),
            before: (st.rec_line, by),
            after: (end, after),
        });
        self.notes.standins.set(self.notes.standins.get() + 1);
    }

    /// Hands a complete record over: scanned by the hook and replaced by
    /// its stand-in, or as it is. Skipped ones have their stand-in already.
    fn hand_over(&mut self) {
        if !std::mem::take(&mut self.st.finished) {
            return;
        }
        let order = self.notes.records.get();
        self.notes.records.set(order + 1);
        if !std::mem::take(&mut self.st.ready) {
            let st = &self.st;
            self.notes
                .skipped
                .borrow_mut()
                .push((st.rec_line, st.over, order));
            self.note_standin();
            return;
        }
        let st = &mut self.st;
        let top = st.base == 0;
        // Serde reads a number or a word itself (it must see what follows
        // to end it), and a record out of place, to fail before it.
        let held = (self.hook)(&Record {
            bytes: &st.rec,
            top,
            at: (st.rec_line, st.rec_col),
            order,
            serde_reads: st.shape == Shape::Scalar || !st.rec_in_place || st.rec.len() < 4,
            at_end: self.eof || self.error.is_some(),
        });
        match held {
            Held::Scanned => {
                st.out.extend_from_slice(b"null");
                st.newlines = st.rec_newlines;
                self.note_standin();
            }
            Held::ToSerde => std::mem::swap(&mut st.out, &mut st.rec),
            // A read error cut the record short where it was still
            // valid: the read error is what to report, `read` returns it
            // next (serde met it before any syntax error).
            Held::Invalid(.., true) if self.error.is_some() => {}
            Held::Invalid(msg, line, col, _) => {
                *self.notes.invalid.borrow_mut() = Some((msg, line, col));
                self.eof = true;
            }
        }
        // A large record's buffer is not kept for the next one.
        if self.st.rec.capacity() > 1 << 20 {
            self.st.rec = Vec::new();
        } else {
            self.st.rec.clear();
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
                self.hand_over();
                return;
            }
        };
        if buf.is_empty() {
            self.st.finish_if_open();
            self.eof = true;
            self.hand_over();
            return;
        }
        let n = self.st.take(buf);
        self.src.consume(n);
        self.notes
            .consumed
            .set(self.notes.consumed.get() + n as u64);
        self.hand_over();
    }
}

impl<R: BufRead, H: FnMut(&Record<'_>) -> Held> Read for Limited<R, H> {
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
            if self.notes.invalid.borrow().is_some() || self.notes.failed.get() {
                return Ok(0);
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

/// Bit `i` set where byte `i` of a block is escaped by a backslash (as
/// simdjson finds them): in a run of backslashes every other one escapes
/// the next byte. `carry` is 1 when the block's first byte is escaped,
/// and becomes 1 when the next block's is.
fn escaped_bytes(backslash: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    let backslash = backslash & !*carry;
    let follows = backslash << 1 | *carry;
    let odd_starts = backslash & !EVEN & !follows;
    let (even_starts, over) = odd_starts.overflowing_add(backslash);
    *carry = u64::from(over);
    (EVEN ^ (even_starts << 1)) & follows
}

/// Bit `i` set where an odd number of bits `0..=i` of `x` are: with the
/// quotes, the bytes from an opening quote up to its closing one.
fn prefix_xor(mut x: u64) -> u64 {
    for s in [1, 2, 4, 8, 16, 32] {
        x ^= x << s;
    }
    x
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

    /// The record is complete: its stand-in when it was skipped, else it
    /// is ready for [`Limited::hand_over`] (`out` is empty here: a record
    /// starts only once the bytes before it were handed over).
    fn finish_record(&mut self) {
        self.finished = true;
        if self.mode == Mode::Skip {
            self.out.extend_from_slice(b"null");
            self.newlines = self.rec_newlines;
        } else {
            self.ready = true;
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
                    // Positions are no longer needed: no record follows.
                    self.out.extend_from_slice(&buf[i..]);
                    return buf.len();
                }
                Mode::Top | Mode::Between => {
                    let between = self.mode == Mode::Between;
                    if b.is_ascii_whitespace() || (between && b == b',') {
                        self.separated |= b == b',';
                        self.out.push(b);
                    } else if !between && b == b'[' {
                        self.out.push(b);
                        self.step(b);
                        self.mode = Mode::Between;
                        self.separated = true;
                    } else if between && b == b']' {
                        self.out.push(b);
                        self.step(b);
                        self.mode = Mode::Pass;
                    } else if !self.out.is_empty() {
                        // Hand over what comes before the record first: a
                        // record is read only once serde asks for it.
                        return i;
                    } else {
                        // The document itself, or an element after `[` or
                        // a comma; serde's error on any other comes before
                        // the record, which is then not counted.
                        self.rec_in_place = !between || std::mem::take(&mut self.separated);
                        self.base = self.depth;
                        self.rec_line = self.line;
                        self.rec_col = self.col + 1;
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
                Mode::Record | Mode::Skip if self.shape != Shape::Scalar => {
                    return self.take_delimited(buf, i);
                }
                Mode::Record | Mode::Skip => {
                    // A number or a word ends before a space, a comma, a
                    // bracket or a quote, which serde must see to end it.
                    if self.rec_len > 0 && (b.is_ascii_whitespace() || b"[]{},\"".contains(&b)) {
                        self.finish_record();
                        return i;
                    }
                    self.step(b);
                    self.rec_len += 1;
                    if b == b'\n' {
                        self.rec_newlines += 1;
                    }
                    self.hold(std::slice::from_ref(&b));
                }
            }
            self.count_position(b);
            i += 1;
        }
        i
    }

    /// Takes the bytes of a `{…}`, `[…]` or `"…"` record from `buf[i..]`
    /// up to its end (or `buf`'s); returns how far it took.
    ///
    /// Where no limit can be reached in `buf` (all but records of tens of
    /// MB), whole blocks of 64 bytes are taken at once
    /// ([`State::take_blocks`]); from a block it cannot judge on, and near
    /// a limit, a stop byte at a time ([`State::take_exact`]).
    fn take_delimited(&mut self, buf: &[u8], i: usize) -> usize {
        let rest = buf.len() - i;
        let open = if self.in_str { self.str_len } else { 0 };
        let far_from_limits = self.mode == Mode::Skip
            || (self.rec.len() + rest <= MAX_RECORD && open + rest <= MAX_FIELD);
        let (at, ended) = if far_from_limits && !self.exact {
            self.take_blocks(buf, i)
        } else {
            (i, false)
        };
        if self.mode == Mode::Record {
            self.rec.extend_from_slice(&buf[i..at]);
        }
        if ended {
            self.finish_record();
            return at;
        }
        if at == buf.len() {
            return at;
        }
        self.take_exact(buf, at)
    }

    /// Takes whole blocks of a record from `buf[i..]`, 64 bytes at a time
    /// as simdjson does: quotes not escaped (backslash runs told apart by
    /// an add's carry), the bytes in strings by a prefix XOR of those
    /// quotes, and the record's end among the brackets outside strings.
    /// Returns how far it took and whether the record ended there; it
    /// stops short of `buf`'s end at a block with a backslash outside a
    /// string (the byte loop ignores those, this scheme would not).
    /// No limit is checked: the caller knows none can be reached.
    fn take_blocks(&mut self, buf: &[u8], i: usize) -> (usize, bool) {
        let mut at = i;
        while at < buf.len() {
            let n = (buf.len() - at).min(BLOCK);
            let mut block = [0u8; BLOCK];
            block[..n].copy_from_slice(&buf[at..at + n]);
            let valid = if n == BLOCK { !0 } else { (1u64 << n) - 1 };
            let quote = mask_any(&block, [b'"']);
            let backslash = mask_any(&block, [b'\\']);
            let newline = mask_any(&block, [b'\n']);
            let open = mask_any(&block, [b'[', b'{']);
            let close = mask_any(&block, [b']', b'}']);
            let mut carry = u64::from(self.esc);
            let escaped = escaped_bytes(backslash, &mut carry);
            let quotes = quote & !escaped;
            let in_string = prefix_xor(quotes) ^ if self.in_str { !0 } else { 0 };
            if backslash & !in_string != 0 {
                return (at, false);
            }
            // Where the record ends in this block, if it does.
            let mut depth = self.depth;
            let end = match self.shape {
                Shape::Nested => {
                    let (open, close) = (open & !in_string, close & !in_string);
                    let mut brackets = open | close;
                    let mut end = None;
                    while brackets != 0 {
                        let k = brackets.trailing_zeros();
                        brackets &= brackets - 1;
                        if open >> k & 1 == 1 {
                            depth += 1;
                        } else {
                            depth = depth.saturating_sub(1);
                            if depth == self.base {
                                end = Some(k);
                                break;
                            }
                        }
                    }
                    end
                }
                _ => {
                    let closing = quotes & !in_string & valid;
                    (closing != 0).then(|| closing.trailing_zeros())
                }
            };
            let taken = end.map_or(n, |k| k as usize + 1);
            let range = if taken == BLOCK {
                !0
            } else {
                (1u64 << taken) - 1
            };
            self.depth = depth;
            self.rec_len += taken as u64;
            let lines = newline & range;
            if lines == 0 {
                self.col += taken as u64;
            } else {
                let last = (BLOCK - 1) as u32 - lines.leading_zeros();
                self.line += u64::from(lines.count_ones());
                self.rec_newlines += u64::from(lines.count_ones());
                self.col = (taken - 1 - last as usize) as u64;
            }
            self.in_str = in_string >> (taken - 1) & 1 == 1;
            if self.in_str {
                // The string's length so far: from its opening quote, the
                // last quote taken, else on from the block before.
                let q = quotes & range;
                if q == 0 {
                    self.str_len += taken;
                } else {
                    self.str_len = taken - 1 - ((BLOCK - 1) as u32 - q.leading_zeros()) as usize;
                }
            }
            // Whether the next byte is escaped: the carry out of a whole
            // block, else the bit after the last byte taken.
            self.esc = if taken == BLOCK {
                carry == 1
            } else {
                escaped >> taken & 1 == 1
            };
            at += taken;
            if end.is_some() {
                return (at, true);
            }
        }
        (at, false)
    }

    /// Takes the bytes of a `{…}`, `[…]` or `"…"` record from `buf[i..]`
    /// up to its end (or `buf`'s), a stop byte at a time; returns how far
    /// it took.
    ///
    /// Why not [`State::take`]'s byte loop: a record of short fields is
    /// mostly stop bytes (quotes, colons between them), and that loop paid
    /// for a mode match, a one-byte copy and a limit check on each byte.
    /// Here the stop bytes are found 64 at a time ([`Positions`]), the
    /// bytes between them are counted at once, and the record is copied
    /// into `rec` once, when this returns. The limits are checked where
    /// the byte loop checked them (after every run, every stop byte and
    /// every escaped byte, a bracket in a string being part of its run),
    /// so a record is dropped at the same byte and for the same reason.
    fn take_exact(&mut self, buf: &[u8], i: usize) -> usize {
        let from = i;
        // Whether `buf[from..at]` is still to be added to `rec`: until a
        // limit drops the record.
        let mut holding = self.mode == Mode::Record;
        let mut at = i;
        for p in Positions::new(buf, i, STOPS) {
            // The byte after a backslash counts alone, as in the byte loop.
            if self.esc && p > at {
                self.count_run(1);
                at += 1;
                holding = holding && self.within_limits(at - from);
            }
            let b = buf[p];
            // A bracket in a string is a plain byte of the run: the byte
            // loop checked the limits only where a run of a string ended.
            if self.in_str && !self.esc && matches!(b, b'[' | b']' | b'{' | b'}') {
                continue;
            }
            if p > at {
                self.count_run(p - at);
                holding = holding && self.within_limits(p - from);
            }
            // A stop byte, in a string or not; `step` knows which matter.
            self.step(b);
            self.rec_len += 1;
            if b == b'\n' {
                self.rec_newlines += 1;
            }
            self.count_position(b);
            at = p + 1;
            holding = holding && self.within_limits(at - from);
            let end = match self.shape {
                Shape::Nested => !self.in_str && self.depth == self.base,
                _ => !self.in_str,
            };
            if end {
                if holding {
                    self.rec.extend_from_slice(&buf[from..at]);
                }
                self.finish_record();
                return at;
            }
        }
        if self.esc && buf.len() > at {
            self.count_run(1);
            at += 1;
            holding = holding && self.within_limits(at - from);
        }
        if buf.len() > at {
            self.count_run(buf.len() - at);
            holding = holding && self.within_limits(buf.len() - from);
        }
        if holding {
            self.rec.extend_from_slice(&buf[from..]);
        }
        buf.len()
    }

    /// Counts `n` bytes of the record that hold no stop byte (the first
    /// may be an escaped one): they move the column and the lengths only.
    #[inline(always)]
    fn count_run(&mut self, n: usize) {
        self.rec_len += n as u64;
        self.col += n as u64;
        if self.in_str {
            self.str_len += n;
            self.esc = false;
        }
    }

    /// Whether the record being held, with `pending` more bytes than
    /// `rec` has, is still within the limits; when not, it is dropped and
    /// read past ([`Mode::Skip`]).
    #[inline(always)]
    fn within_limits(&mut self, pending: usize) -> bool {
        let field = self.in_str && self.str_len > MAX_FIELD;
        if field || self.rec.len() + pending > MAX_RECORD {
            self.over = if field { "field" } else { "record" };
            self.rec = Vec::new();
            self.mode = Mode::Skip;
            return false;
        }
        true
    }

    /// Keeps bytes of a scalar record being held, until it breaks the
    /// record limit: it is then dropped and read past.
    #[inline(always)]
    fn hold(&mut self, bytes: &[u8]) {
        if self.mode != Mode::Record {
            return;
        }
        self.rec.extend_from_slice(bytes);
        self.within_limits(0);
    }

    #[inline(always)]
    fn count_position(&mut self, b: u8) {
        if b == b'\n' {
            self.line += 1;
            self.col = 0;
        } else {
            self.col += 1;
        }
    }
}

#[cfg(test)]
mod tests;
