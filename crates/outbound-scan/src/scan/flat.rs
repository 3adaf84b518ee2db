//! A JSON record read without serde: the usual record of JSON lines (a
//! log event, a row exported as an object) is an object of `"key": value`
//! pairs with plain strings, now and then an object or a list inside.
//! serde_json's streaming parse of such a line cost half the instructions
//! of a JSON-lines scan (its string scanning a byte class at a time, its
//! visitor calls per token).
//!
//! [`events`] reads a record's structure in one pass, its strings' ends
//! from masks found 64 bytes at a time, and gives what serde's visitor
//! would be handed, in order (each key, each string or number, the end
//! of each key's value; a string with escapes unescaped as serde does),
//! or `None` for anything it does not take, which serde then reads as
//! before: a control character or an escape serde turns down in a
//! string, a number that serde's visitor would not print as written,
//! more than [`MAX_EVENTS`] events or [`MAX_DEPTH`] levels, a record that
//! is not an object, or anything that is not valid JSON. It decides before
//! anything is counted, so a record it turns down is counted once, by
//! serde.

use crate::blocks::string_stops16;

/// Most events a record may have to be read here (more: serde reads it).
pub(super) const MAX_EVENTS: usize = 256;

/// Most levels of objects and lists inside the record (deeper: serde).
pub(super) const MAX_DEPTH: usize = 16;

/// Records in a row the reader may turn down before it rests.
const MISSES: u8 = 8;
/// Records a resting reader lets serde read before it tries one again.
const REST: u16 = 256;

/// Whether the reader is worth trying on the next record: a file of
/// nested records would have it read most of each line before serde reads
/// it again (16 % slower with a nested object at each line's end). After
/// [`MISSES`] records in a row turned down it rests for [`REST`] records,
/// then tries one again. Only where the work goes: serde counts the same.
#[derive(Default, Debug)]
pub(super) struct Tries {
    misses: u8,
    resting: u16,
}

impl Tries {
    /// Whether to try the reader on the next record.
    #[inline(always)]
    pub(super) fn due(&mut self) -> bool {
        if self.misses < MISSES {
            return true;
        }
        self.resting += 1;
        if self.resting < REST {
            return false;
        }
        self.resting = 0;
        true
    }

    /// Notes whether the reader took the record it tried.
    #[inline(always)]
    pub(super) fn note(&mut self, taken: bool) {
        self.misses = if taken {
            0
        } else {
            self.misses.saturating_add(1)
        };
    }
}

/// What the reader keeps from record to record: whether it is worth
/// trying ([`Tries`]), and its buffers (sized once, reused).
#[derive(Default, Debug)]
pub(super) struct Kept {
    tries: Tries,
    events: Vec<Event>,
    unescaped: Vec<u8>,
}

impl Kept {
    /// [`events`] of the record `s` and the text of its strings that had
    /// escapes, when the reader is due ([`Tries`]) and takes the record.
    pub(super) fn read(&mut self, s: &[u8]) -> Option<(&[Event], &[u8])> {
        if !self.tries.due() {
            return None;
        }
        self.events.resize(MAX_EVENTS, Event::End);
        let n = events(s, &mut self.events, &mut self.unescaped);
        self.tries.note(n.is_some());
        Some((&self.events[..n?], &self.unescaped))
    }
}

/// What serde's visitor is handed, with where it lies in the record (a
/// key's or a string's text without its quotes, a number as written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Event {
    /// A key and its value, a string or a number: the key appended to the
    /// path, the value a leaf there, the key's path gone (most pairs).
    Pair(u32, u32, u32, u32),
    /// A key whose value is `true`, `false`, `null` or an empty object or
    /// list: the key appended to the path and gone.
    Bare(u32, u32),
    /// A key whose value is an object or a list with something in it: the
    /// key appended to the path until its [`Event::End`].
    Key(u32, u32),
    /// A string or a number in a list: a leaf at the path.
    Leaf(u32, u32),
    /// The end of the value of the last [`Event::Key`] not yet ended.
    End,
}

/// The events of `s` when it is one JSON object (whitespace around it
/// allowed) whose keys and strings hold no control character and only
/// escapes serde takes, whose numbers are [`printed_as_read`], of at most
/// as many events as `out` holds ([`MAX_EVENTS`]) and [`MAX_DEPTH`]
/// levels: the events are written to `out`, and how many is returned.
/// A string with escapes is written unescaped to `unescaped`, its span
/// there marked [`UNESCAPED`]. `true`, `false` and `null` give no leaf, as
/// serde's visitor counts nothing for them. `None` for anything else, or
/// a record of 2 GiB or more (serde reads the record).
pub(super) fn events(s: &[u8], out: &mut [Event], unescaped: &mut Vec<u8>) -> Option<usize> {
    unescaped.clear();
    let i = ws(s, 0);
    if s.get(i) != Some(&b'{') || s.len() >= UNESCAPED as usize {
        return None;
    }
    let mut r = Reader {
        s,
        stops: Stops::new(s),
        out,
        n: 0,
        unescaped,
    };
    let end = r.object(i, 0)?;
    (ws(s, end) == s.len()).then_some(r.n)
}

/// [`events`]' state: the record, its stops, the events so far and the
/// text of the strings that had escapes.
struct Reader<'a, 'o> {
    s: &'a [u8],
    stops: Stops,
    out: &'o mut [Event],
    n: usize,
    unescaped: &'o mut Vec<u8>,
}

/// Set on both ends of a span that lies in the text of strings that had
/// escapes (`unescaped` of [`events`]) rather than in the record.
pub(super) const UNESCAPED: u32 = 1 << 31;

/// A value as [`Reader::value`] read it.
enum Value {
    /// A string or a number: its text.
    Leaf(u32, u32),
    /// A literal, or an empty object or list: nothing counted.
    Bare,
    /// An object or a list with something in it, whose events follow.
    Nested,
}

impl Reader<'_, '_> {
    /// Appends an event, `None` when `out` is full.
    #[inline(always)]
    fn push(&mut self, e: Event) -> Option<()> {
        let slot = self.out.get_mut(self.n)?;
        *slot = e;
        self.n += 1;
        Some(())
    }

    /// The object whose `{` is at `i`, `depth` levels in; where it ends.
    fn object(&mut self, i: usize, depth: usize) -> Option<usize> {
        let s = self.s;
        let mut i = ws(s, i + 1);
        if s.get(i) == Some(&b'}') {
            return Some(i + 1);
        }
        loop {
            if s.get(i) != Some(&b'"') {
                return None;
            }
            let ((ka, ke), key_end) = self.string(i)?;
            i = ws(s, key_end);
            if s.get(i) != Some(&b':') {
                return None;
            }
            let at = ws(s, i + 1);
            let end = if let Some(b'{' | b'[') = s.get(at) {
                // The key's event comes before its value's: bare if the
                // value holds nothing, once read.
                let key = self.n;
                self.push(Event::Key(ka, ke))?;
                let (value, end) = self.value(at, depth)?;
                match value {
                    Value::Nested => self.push(Event::End)?,
                    _ => self.out[key] = Event::Bare(ka, ke),
                }
                end
            } else {
                let (value, end) = self.scalar(at)?;
                self.push(match value {
                    Value::Leaf(a, e) => Event::Pair(ka, ke, a, e),
                    _ => Event::Bare(ka, ke),
                })?;
                end
            };
            i = ws(s, end);
            match s.get(i) {
                Some(b',') => i = ws(s, i + 1),
                Some(b'}') => return Some(i + 1),
                _ => return None,
            }
        }
    }

    /// The string whose opening quote is at `i`: the span of its text
    /// (in the record, or [`UNESCAPED`] when it had escapes) and where it
    /// ends. `None` for a control character in it, an escape serde turns
    /// down (or a lone surrogate), or no closing quote.
    #[inline(always)]
    fn string(&mut self, i: usize) -> Option<((u32, u32), usize)> {
        let s = self.s;
        let stop = self.stops.next_from(s, i + 1)?;
        match s[stop] {
            b'"' => Some(((i as u32 + 1, stop as u32), stop + 1)),
            b'\\' => self.escaped(i, stop),
            _ => None,
        }
    }

    /// [`Reader::string`] of a string with an escape at `esc`, a byte at a
    /// time from there (the stops after it are passed over by the next
    /// [`Stops::next_from`]).
    #[cold]
    fn escaped(&mut self, i: usize, esc: usize) -> Option<((u32, u32), usize)> {
        let s = self.s;
        let start = self.unescaped.len();
        self.unescaped.extend_from_slice(&s[i + 1..esc]);
        let mut j = esc;
        loop {
            match *s.get(j)? {
                b'"' => break,
                b'\\' => j = unescape(s, j, self.unescaped)?,
                0..0x20 => return None,
                b => {
                    self.unescaped.push(b);
                    j += 1;
                }
            }
        }
        let end = u32::try_from(self.unescaped.len())
            .ok()
            .filter(|&e| e < UNESCAPED)?;
        Some(((start as u32 | UNESCAPED, end | UNESCAPED), j + 1))
    }

    /// The list whose `[` is at `i`, `depth` levels in; where it ends.
    fn list(&mut self, i: usize, depth: usize) -> Option<usize> {
        let s = self.s;
        let mut i = ws(s, i + 1);
        if s.get(i) == Some(&b']') {
            return Some(i + 1);
        }
        loop {
            let (value, end) = self.value(i, depth)?;
            if let Value::Leaf(a, e) = value {
                self.push(Event::Leaf(a, e))?;
            }
            i = ws(s, end);
            match s.get(i) {
                Some(b',') => i = ws(s, i + 1),
                Some(b']') => return Some(i + 1),
                _ => return None,
            }
        }
    }

    /// The value at `i` in a container `depth` levels in, and where it
    /// ends; a nested one's events are appended.
    fn value(&mut self, i: usize, depth: usize) -> Option<(Value, usize)> {
        let s = self.s;
        match *s.get(i)? {
            b'{' | b'[' if depth < MAX_DEPTH => {
                let before = self.n;
                let end = if s[i] == b'{' {
                    self.object(i, depth + 1)?
                } else {
                    self.list(i, depth + 1)?
                };
                let nested = if self.n > before {
                    Value::Nested
                } else {
                    Value::Bare
                };
                Some((nested, end))
            }
            _ => self.scalar(i),
        }
    }

    /// The string, number or literal at `i`, and where it ends.
    #[inline(always)]
    fn scalar(&mut self, i: usize) -> Option<(Value, usize)> {
        let s = self.s;
        match *s.get(i)? {
            b'"' => {
                let ((a, e), end) = self.string(i)?;
                Some((Value::Leaf(a, e), end))
            }
            b't' => Some((Value::Bare, literal(s, i, b"true")?)),
            b'f' => Some((Value::Bare, literal(s, i, b"false")?)),
            b'n' => Some((Value::Bare, literal(s, i, b"null")?)),
            b'-' | b'0'..=b'9' => {
                let e = number_end(s, i);
                printed_as_read(&s[i..e]).then_some((Value::Leaf(i as u32, e as u32), e))
            }
            _ => None,
        }
    }
}

/// Where the whitespace JSON allows (space, tab, line feed, carriage
/// return) from `i` ends.
#[inline(always)]
fn ws(s: &[u8], mut i: usize) -> usize {
    // Most calls stop at once, on a byte above the space.
    while let Some(&b) = s.get(i)
        && b <= b' '
        && matches!(b, b' ' | b'\t' | b'\n' | b'\r')
    {
        i += 1;
    }
    i
}

/// The bytes that stop a string's plain run ([`string_stops16`]: quotes,
/// backslashes, control characters) of a line, found 64 at a time and
/// walked in order. The masks do not depend on where the parse stands,
/// so the processor computes them ahead of it; finding each string's end
/// from its start, 16 bytes at a time, made every string wait for the one
/// before (a third of a JSON-lines scan's time was that chain).
struct Stops {
    /// Start of the block whose remaining stops are `mask`.
    at: usize,
    mask: u64,
}

impl Stops {
    fn new(s: &[u8]) -> Self {
        Stops {
            at: 0,
            mask: block_stops(s, 0),
        }
    }

    /// The next stop at or after `from`, if any.
    #[inline(always)]
    fn next_from(&mut self, s: &[u8], from: usize) -> Option<usize> {
        loop {
            // Stops before `from`: whitespace between tokens, which the
            // parse has read already.
            if from > self.at {
                let skip = (from - self.at).min(64);
                self.mask &= u64::MAX.checked_shl(skip as u32).unwrap_or(0);
            }
            if self.mask != 0 {
                return Some(self.at + self.mask.trailing_zeros() as usize);
            }
            self.at += 64;
            if self.at >= s.len() {
                return None;
            }
            self.mask = block_stops(s, self.at);
        }
    }
}

/// [`string_stops16`] of the 64 bytes of `s` from `at` (past its end,
/// none).
#[inline(always)]
fn block_stops(s: &[u8], at: usize) -> u64 {
    let rest = &s[at.min(s.len())..];
    let mut block = [b' '; 64];
    let block = match rest.first_chunk::<64>() {
        Some(full) => full,
        None => {
            block[..rest.len()].copy_from_slice(rest);
            &block
        }
    };
    let mut m = 0u64;
    for (k, lane) in block.chunks_exact(16).enumerate() {
        let lane: &[u8; 16] = lane.try_into().expect("16 bytes");
        m |= u64::from(string_stops16(lane)) << (16 * k);
    }
    m
}

/// Appends what the escape at `s[i]` (a backslash) stands for to `out`, as
/// serde_json reads it, and returns where the escape ends; `None` for an
/// escape serde turns down: an unknown letter, a `\\u` without four hex
/// digits, a lone surrogate (serde's default).
fn unescape(s: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let byte = match *s.get(i + 1)? {
        b @ (b'"' | b'\\' | b'/') => b,
        b'b' => 0x08,
        b'f' => 0x0C,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'u' => {
            let hi = hex4(s, i + 2)?;
            let (c, end) = match hi {
                0xD800..0xDC00 => {
                    if s.get(i + 6..i + 8) != Some(b"\\u") {
                        return None;
                    }
                    let lo = hex4(s, i + 8)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), i + 12)
                }
                0xDC00..0xE000 => return None,
                _ => (hi, i + 6),
            };
            let c = char::from_u32(c)?;
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            return Some(end);
        }
        _ => return None,
    };
    out.push(byte);
    Some(i + 2)
}

/// The four hex digits at `s[i..]` as a number.
fn hex4(s: &[u8], i: usize) -> Option<u32> {
    let h = s.get(i..i + 4)?;
    h.iter()
        .try_fold(0u32, |v, &b| Some((v << 4) | char::from(b).to_digit(16)?))
}

/// Where `lit` at `i` ends, if it is there.
fn literal(s: &[u8], i: usize, lit: &[u8]) -> Option<usize> {
    let e = i + lit.len();
    (s.get(i..e) == Some(lit)).then_some(e)
}

/// Where the run of bytes a JSON number may hold, from `i`, ends.
fn number_end(s: &[u8], mut i: usize) -> usize {
    while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = s.get(i) {
        i += 1;
    }
    i
}

/// Whether `t` is a JSON number that serde's visitor hands on as a value
/// `Walk::number` prints exactly as `t` is written, so that the written
/// text can be counted in its place:
///
/// - an integer without leading zeros of at most 18 digits, not `-0`:
///   serde gives it as `u64` or `i64`, printed as written;
/// - a decimal without exponent, leading zeros or trailing zeros in its
///   fraction, of at most 15 significant digits and 15 fraction digits:
///   serde gives it as `f64`, from a significand below 2^53 and a power
///   of ten it holds exactly, so correctly rounded; every decimal of at
///   most 15 significant digits is the shortest that gives back its
///   `f64`, which is what `Display` prints (never with an exponent).
///
/// Anything else (`1e3`, `1.50`, `-0`, 16 digits …) goes to serde with
/// its line. The differential tests compare both on every such shape.
fn printed_as_read(t: &[u8]) -> bool {
    let d = t.strip_prefix(b"-").unwrap_or(t);
    let (int, frac) = match d.iter().position(|&b| b == b'.') {
        Some(p) => (&d[..p], Some(&d[p + 1..])),
        None => (d, None),
    };
    let digits = |x: &[u8]| !x.is_empty() && x.iter().all(u8::is_ascii_digit);
    if !digits(int) || (int.len() > 1 && int[0] == b'0') {
        return false;
    }
    match frac {
        None => int.len() <= 18 && t != b"-0",
        Some(f) => {
            if !digits(f) || f.last() == Some(&b'0') || f.len() > 15 {
                return false;
            }
            let significant = if int == b"0" {
                f.len() - f.iter().take_while(|&&b| b == b'0').count()
            } else {
                int.len() + f.len()
            };
            significant <= 15
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The events of `s` as words: `k KEY` for a key whose value follows,
    /// `k KEY = VALUE` for a pair, `k KEY =` for a bare key, `v VALUE` for
    /// a leaf in a list, `.` for an end.
    fn read(s: &str) -> Option<Vec<String>> {
        let mut out = [Event::End; MAX_EVENTS];
        let mut unescaped = Vec::new();
        let n = events(s.as_bytes(), &mut out, &mut unescaped)?;
        let text = |a: u32, e: u32| {
            let bytes = if a & UNESCAPED != 0 {
                &unescaped[(a & !UNESCAPED) as usize..(e & !UNESCAPED) as usize]
            } else {
                &s.as_bytes()[a as usize..e as usize]
            };
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        Some(
            out[..n]
                .iter()
                .map(|e| match *e {
                    Event::Pair(a, e, va, ve) => format!("k {} = {}", text(a, e), text(va, ve)),
                    Event::Bare(a, e) => format!("k {} =", text(a, e)),
                    Event::Key(a, e) => format!("k {}", text(a, e)),
                    Event::Leaf(a, e) => format!("v {}", text(a, e)),
                    Event::End => ".".to_string(),
                })
                .collect(),
        )
    }

    /// The events of an object of scalars: a pair each.
    fn kv(pairs: &[(&str, Option<&str>)]) -> Option<Vec<String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| match v {
                    Some(v) => format!("k {k} = {v}"),
                    None => format!("k {k} ="),
                })
                .collect(),
        )
    }

    #[test]
    fn objects_of_scalars_are_read_as_serde_visits_them() {
        assert_eq!(read("{}"), kv(&[]));
        assert_eq!(read(" \t{ \r\n}\r"), kv(&[]));
        assert_eq!(
            read(
                r#"{"name":"张伟","mobile":"13812345678","n":12,"x":-3.25,"ok":true,"no":false,"z":null}"#
            ),
            kv(&[
                ("name", Some("张伟")),
                ("mobile", Some("13812345678")),
                ("n", Some("12")),
                ("x", Some("-3.25")),
                ("ok", None),
                ("no", None),
                ("z", None),
            ])
        );
        // Whitespace everywhere JSON allows it; a key twice is visited twice.
        assert_eq!(
            read(" { \"a\" : \"1\" ,\n\"a\"\t:\r0 } "),
            kv(&[("a", Some("1")), ("a", Some("0"))])
        );
        // Strings of every length across the 64-byte blocks, from every
        // offset in a block, and empty ones; a quote, backslash or control
        // character anywhere in them.
        for len in 0..140 {
            for pad in [0, 1, 30, 61, 62, 63, 64, 65] {
                let v = "x".repeat(len);
                let sp = " ".repeat(pad);
                let line = format!(r#"{sp}{{"{v}":{sp}"{v}", "a":"{v}"}}"#);
                assert_eq!(
                    read(&line),
                    kv(&[(&v, Some(&v)), ("a", Some(&v))]),
                    "{len} {pad}"
                );
                for bad in ["\\", "\t", "\u{1}", "\n"] {
                    let cut = len / 2;
                    let w = format!("{}{bad}{}", &v[..cut], &v[cut..]);
                    let line = format!(r#"{sp}{{"{v}":{sp}"{w}"}}"#);
                    assert_eq!(read(&line), None, "{len} {pad} {bad:?}");
                }
            }
        }
        // Whitespace control characters between tokens are no stops.
        assert_eq!(
            read("{\t\"a\"\r:\n\"b\"\t,\"c\":1\n}\n"),
            kv(&[("a", Some("b")), ("c", Some("1"))])
        );
    }

    #[test]
    fn anything_else_is_left_to_serde() {
        for s in [
            "",
            "[]",
            "\"a\"",
            "12",
            "{",
            "{\"a\":1",
            "{\"a\":1,}",
            "{,}",
            "{\"a\" 1}",
            "{\"a\":}",
            "{a:1}",
            "{\"a\":1}x",
            "{\"a\":1}{}",
            "{\"a\":[1,]}",
            "{\"a\":[,1]}",
            "{\"a\":[1 2]}",
            "{\"a\":[}",
            "{\"a\":{\"b\"}}",
            "{\"a\":{\"b\":1]}",
            "{\"a\":[1}",
            "{\"a\":[\"x\\q\"]}",
            "{\"a\":\"q\\xq\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\u12g4\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"\\ud800\\u0041\"}",
            "{\"a\":\"\\ud800x\"}",
            "{\"a\":\"x\\\"}",
            "{\"a\":\"x\\u00e9\tx\"}",
            "{\"a\":\"tab\there\"}",
            "{\"a\":\"nul\u{0}\"}",
            "{\"a\":tru}",
            "{\"a\":True}",
            "{\"a\":nulls}",
            "{\"a\":12x}",
            "{\"a\":\"unclosed}",
            "\u{feff}{}",
        ] {
            assert_eq!(read(s), None, "{s:?}");
        }
        // A pair an event.
        let wide = |pairs: usize| {
            let p: Vec<String> = (0..pairs).map(|i| format!("\"k{i}\":{i}")).collect();
            format!("{{{}}}", p.join(","))
        };
        assert_eq!(read(&wide(MAX_EVENTS)).map(|e| e.len()), Some(MAX_EVENTS));
        assert_eq!(read(&wide(MAX_EVENTS + 1)), None, "past the events' limit");
        // Levels: MAX_DEPTH inside the record are read, one more is not.
        let deep = |n: usize| format!("{{\"a\":{}1{}}}", "[".repeat(n), "]".repeat(n));
        assert_eq!(
            read(&deep(MAX_DEPTH)),
            Some(vec!["k a".into(), "v 1".into(), ".".into()])
        );
        assert_eq!(read(&deep(MAX_DEPTH + 1)), None, "too deep");
    }

    /// Objects and lists inside a record: each key, each leaf, each key's
    /// end, in serde's order; literals and empty containers give nothing.
    #[test]
    fn objects_and_lists_inside_are_read_as_serde_visits_them() {
        let words = |w: &[&str]| Some(w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            read(
                r#"{"a":{"b":"x","c":[1,"y",{"d":null},[],{}]},"e":[],"f":{}, "g" : [ true , "z" ] }"#
            ),
            words(&[
                "k a", "k b = x", "k c", "v 1", "v y", "k d =", ".", ".", "k e =", "k f =", "k g",
                "v z", ".",
            ])
        );
    }

    /// Escapes as serde_json reads them, in keys and in values, from
    /// every place in the 64-byte blocks.
    #[test]
    fn escapes_are_read_as_serde_reads_them() {
        let cases = [
            (r#"\u5f20\u4F1F"#, "张伟"),
            (r#"\ud83d\ude00!"#, "😀!"),
            (r#"a\"b\\c\/d\b\f\n\r\te"#, "a\"b\\c/d\u{8}\u{c}\n\r\te"),
            (r#"\u0000"#, "\u{0}"),
            (r#"1381234\u0035678"#, "13812345678"),
        ];
        for (raw, text) in cases {
            for pad in [0, 1, 40, 62, 63] {
                let sp = " ".repeat(pad);
                let line = format!(r#"{sp}{{"k{raw}":"{raw}","b":"{raw}x","c":"plain"}}"#);
                let k = format!("k{text}");
                let x = format!("{text}x");
                assert_eq!(
                    read(&line),
                    kv(&[(&k, Some(text)), ("b", Some(&x)), ("c", Some("plain"))]),
                    "{raw} {pad}"
                );
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                assert_eq!(v["b"].as_str(), Some(x.as_str()), "serde agrees: {raw}");
            }
        }
    }

    #[test]
    fn the_reader_rests_after_records_it_turns_down_and_tries_again() {
        let mut t = Tries::default();
        for _ in 0..MISSES {
            assert!(t.due());
            t.note(false);
        }
        // Resting: serde reads the next REST - 1, then one is tried.
        for _ in 1..REST {
            assert!(!t.due());
        }
        assert!(t.due());
        t.note(false);
        assert!(!t.due(), "turned down again: resting again");
        for _ in 2..REST {
            assert!(!t.due());
        }
        assert!(t.due());
        t.note(true);
        assert!(t.due() && t.due(), "taken: tried on every record");
        t.note(false);
        assert!(t.due(), "one miss is no rest");
    }

    #[test]
    fn numbers_are_taken_only_where_serde_prints_them_as_written() {
        for t in [
            "0",
            "7",
            "-7",
            "123456789012345678",
            "-123456789012345678",
            "0.5",
            "-0.5",
            "0.000000000000001",
            "7830.42",
            "123456789012.125",
            "99999999999999.9",
        ] {
            assert!(printed_as_read(t.as_bytes()), "{t}");
        }
        for t in [
            "",
            "-",
            "-0",
            "00",
            "01",
            "1234567890123456789",
            "1.",
            ".5",
            "1.50",
            "-0.0",
            "1e3",
            "1E3",
            "1.5e3",
            "+1",
            "1-2",
            "0.0000000000000001",
            "1234567890123.456",
            "1.2.3",
        ] {
            assert!(!printed_as_read(t.as_bytes()), "{t}");
        }
    }

    /// What the module's claim rests on: a number taken here prints, as
    /// serde gives it to `Walk::number`, exactly as written. Every shape
    /// at the bounds, and 200,000 generated ones.
    #[test]
    fn a_number_taken_is_what_serde_and_display_print() {
        fn serde_printed(t: &str) -> Option<String> {
            match serde_json::from_str::<serde_json::Number>(t).ok()? {
                n if n.is_u64() => n.as_u64().map(|v| v.to_string()),
                n if n.is_i64() => n.as_i64().map(|v| v.to_string()),
                n => n.as_f64().map(|v| v.to_string()),
            }
        }
        let mut rng = crate::corpus::Rng::new(53);
        let mut checked = 0;
        for _ in 0..200_000 {
            let mut t = String::new();
            if rng.pct(30) {
                t.push('-');
            }
            let int_len = 1 + rng.below(18) as usize;
            for k in 0..int_len {
                let d = if k == 0 && int_len > 1 {
                    1 + rng.below(9)
                } else {
                    rng.below(10)
                };
                t.push(char::from(b'0' + d as u8));
            }
            if rng.pct(70) {
                t.push('.');
                for _ in 0..1 + rng.below(16) {
                    t.push(char::from(b'0' + rng.below(10) as u8));
                }
            }
            if printed_as_read(t.as_bytes()) {
                checked += 1;
                assert_eq!(serde_printed(&t).as_deref(), Some(t.as_str()), "{t}");
            }
        }
        assert!(checked > 50_000, "{checked}");
    }
}
