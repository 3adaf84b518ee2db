//! The framer's tests: buffer sizes, limits at their boundaries, and the
//! block path against the stop-byte path.

use super::*;
use crate::corpus::Rng;

/// Everything a reader hands on: serde's bytes, the hook's calls,
/// the skipped records, the counters and the column shift.
type Seen = (
    Vec<u8>,
    Vec<(Vec<u8>, bool, u64, u64, u64, bool)>,
    Vec<Skipped>,
    (u64, u64, u64),
    Shift,
);

/// Reads `doc` through [`Limited`] from buffers of `cap` bytes; the
/// hook scans objects and hands everything else to serde.
fn read_through(doc: &[u8], cap: usize) -> Seen {
    read_with(doc, cap, false)
}

/// [`read_through`], the records taken a stop byte at a time when
/// `exact` (the reference of the block path).
fn read_with(doc: &[u8], cap: usize, exact: bool) -> Seen {
    let calls = RefCell::new(Vec::new());
    let hook = |r: &Record<'_>| {
        let (line, col) = r.at;
        calls
            .borrow_mut()
            .push((r.bytes.to_vec(), r.top, line, col, r.order, r.serde_reads));
        if !r.serde_reads && r.bytes.first() == Some(&b'{') {
            Held::Scanned
        } else {
            Held::ToSerde
        }
    };
    let mut r = Limited::new(io::BufReader::with_capacity(cap, doc), hook);
    r.st.exact = exact;
    let mut out = Vec::new();
    r.read_to_end(&mut out).unwrap();
    let skipped = r.notes.skipped.borrow().clone();
    let counts = (
        r.notes.standins.get(),
        r.notes.records.get(),
        r.notes.consumed.get(),
    );
    let shift = r.notes.shift.get();
    drop(r);
    (out, calls.into_inner(), skipped, counts, shift)
}

/// A document of records with what moves the reader's state: escapes
/// (also of quotes and backslashes), brackets and line ends inside
/// strings, nesting, scalars, CJK text, and now and then a byte out of
/// place.
fn document(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&str] = &[
        "\"k\": \"v\"",
        "\"a\\\"b\": 1",
        "\"\\\\\": [1, {\"x\": \"]}\"}]",
        "\"n\": \"[{\\n\"",
        "\"张伟\": \"13800138000\"",
        "\"deep\": {\"a\": [[], {}, [\"}\"]]}",
        "\"t\": true",
        "\"e\": \"\\u00e9\\\\\"",
        "\"s\": \"line\nbreak\"",
    ];
    let mut d = Vec::new();
    d.extend_from_slice(if rng.pct(90) { b"[\n" } else { b" " });
    for r in 0..rng.below(6) {
        if r > 0 {
            d.extend_from_slice(if rng.pct(50) { b",\n" } else { b", " });
        }
        match rng.below(4) {
            0 => d.extend_from_slice(rng.pick(&["12", "-3.5e2", "null", "\"x\\\"y\""]).as_bytes()),
            1 => d.extend_from_slice(b"[1, \"]\", [2]]"),
            _ => {
                d.push(b'{');
                for f in 0..rng.below(5) {
                    if f > 0 {
                        d.extend_from_slice(b", ");
                    }
                    d.extend_from_slice(rng.pick(PIECES).as_bytes());
                }
                d.push(b'}');
            }
        }
    }
    d.extend_from_slice(b"\n]\n");
    if rng.pct(30) && !d.is_empty() {
        let at = rng.below(d.len() as u64) as usize;
        d.insert(at, *rng.pick(b"\"\\[]{},\n x"));
    }
    d
}

/// A record's bytes arrive in buffers of any size: what the reader
/// hands on is the same whether it meets every byte alone, a few at a
/// time, or the document at once (the stop bytes found 64 at a time
/// must not depend on where a buffer ends, nor must an escape or a
/// line end at a buffer's edge).
#[test]
fn what_is_handed_on_does_not_depend_on_buffer_sizes() {
    let mut rng = Rng::new(11);
    for _ in 0..3000 {
        let doc = document(&mut rng);
        let whole = read_through(&doc, 1 << 16);
        for cap in [1, 2, 3, 7, 63, 64, 65] {
            assert_eq!(
                read_through(&doc, cap),
                whole,
                "{cap} {}",
                String::from_utf8_lossy(&doc)
            );
        }
    }
}

/// Text with every state the blocks must carry from one to the next:
/// runs of backslashes of every length (in strings and out of them),
/// escaped quotes, brackets and line ends in strings, long strings
/// across blocks, nesting.
fn tangled(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"\"",
        b"\\",
        b"\\\\",
        b"\\\\\\",
        b"\\\"",
        b"{",
        b"}",
        b"[",
        b"]",
        b"\n",
        b",",
        b":",
        b" ",
        b"x",
        b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "\u{5f20}\u{4f1f}".as_bytes(),
    ];
    let mut d = b"[".to_vec();
    for _ in 0..rng.below(200) {
        d.extend_from_slice(rng.pick::<&[u8]>(PIECES));
    }
    d
}

/// The block path takes records exactly as the stop-byte path does
/// (the same records, positions, skipped records and shift) on
/// well-formed documents and on tangles of quotes, backslashes and
/// brackets, from buffers of every size that puts a block's edge
/// anywhere.
#[test]
fn blocks_of_64_take_records_as_stop_bytes_do() {
    let mut rng = Rng::new(5);
    for case in 0..4000 {
        let doc = if case % 2 == 0 {
            document(&mut rng)
        } else {
            tangled(&mut rng)
        };
        for cap in [1, 5, 64, 100, 1 << 16] {
            assert_eq!(
                read_with(&doc, cap, false),
                read_with(&doc, cap, true),
                "{cap} {}",
                String::from_utf8_lossy(&doc)
            );
        }
    }
}

/// The records of a plain array are held whole, in order, with their
/// first line and column; serde gets `null` for each object, and reads
/// the string shorter than `null` itself.
#[test]
fn records_are_held_with_their_places() {
    let doc = b"[{\"a\": \"x\\\"]\"},\n {\"b\": [1, {}]}, \"s\"]";
    let (out, calls, skipped, counts, _) = read_through(doc, 4);
    let got: Vec<(&[u8], u64, u64, u64, bool)> = calls
        .iter()
        .map(|(r, _, l, c, o, serde)| (r.as_slice(), *l, *c, *o, *serde))
        .collect();
    assert_eq!(
        got,
        [
            (&b"{\"a\": \"x\\\"]\"}"[..], 1, 2, 0, false),
            (&b"{\"b\": [1, {}]}"[..], 2, 2, 1, false),
            (&b"\"s\""[..], 2, 18, 2, true),
        ]
    );
    assert_eq!(out, b"[null,\n null, \"s\"]");
    assert!(skipped.is_empty());
    assert_eq!(counts, (2, 3, doc.len() as u64));
}

/// The field limit at its boundary: a string of exactly
/// [`MAX_FIELD`] bytes is held, one byte more drops its record (the
/// next is still held), also when the string ends in an escape.
#[test]
fn a_string_of_exactly_the_field_limit_is_held_and_one_byte_more_is_not() {
    for over in [false, true] {
        for escaped in [false, true] {
            let mut doc = b"[{\"a\": \"".to_vec();
            let len = MAX_FIELD + usize::from(over);
            doc.resize(doc.len() + len - if escaped { 2 } else { 0 }, b'x');
            if escaped {
                doc.extend_from_slice(b"\\\"");
            }
            doc.extend_from_slice(b"\"},\n{\"b\": 1}]");
            let (_, calls, skipped, counts, _) = read_through(&doc, 1 << 16);
            let held: Vec<usize> = calls.iter().map(|c| c.0.len()).collect();
            if over {
                assert_eq!(skipped, [(1, "field", 0)], "{escaped}");
                assert_eq!(held, [8], "{escaped}");
            } else {
                assert!(skipped.is_empty(), "{escaped}");
                assert_eq!(held, [len + 9, 8], "{escaped}");
            }
            assert_eq!(counts.1, 2);
        }
    }
}

/// Past the record limit inside a string that also breaks the field
/// limit: the string is named, as the byte loop named it, also when a
/// bracket in the string falls after the record limit.
#[test]
fn a_bracket_in_a_string_does_not_change_which_limit_is_named() {
    let mut doc = Vec::with_capacity(4 * MAX_FIELD + 64);
    doc.extend_from_slice(b"[{");
    for (k, name) in [b'a', b'b', b'c'].into_iter().enumerate() {
        if k > 0 {
            doc.push(b',');
        }
        doc.extend_from_slice(&[b'"', name, b'"', b':', b'"']);
        doc.resize(doc.len() + MAX_FIELD, b'x');
        doc.push(b'"');
    }
    // The record passes its limit 26 bytes before the string's end.
    doc.extend_from_slice(b",\"d\":\"");
    doc.resize(doc.len() + MAX_FIELD - 20, b'x');
    doc.push(b'[');
    doc.resize(doc.len() + 20, b'x');
    doc.extend_from_slice(b"\"}]");
    let (_, calls, skipped, ..) = read_through(&doc, 1 << 16);
    assert!(calls.is_empty());
    assert_eq!(skipped, [(1, "field", 0)]);
}
