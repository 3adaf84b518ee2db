//! The CSV reader's tests: the fast path against csv-core and the plain
//! splitters, field by field and record by record.

use super::*;
use proptest::prelude::*;

/// `split_simple_quoted` as first written (memchr per field): the
/// reference for the one-pass version.
fn split_simple_quoted_memchr(text: &[u8], delim: u8, base: usize, spans: &mut Vec<Span>) -> bool {
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

/// The line at `input[pos..]` as the fast path splits it, found with
/// memchr (the splitters before the block-wise walk): its end, a `\r` or
/// quote in it, then its delimiters, or the quoted split above.
fn split_line_memchr(
    input: &[u8],
    pos: usize,
    delim: u8,
    base: usize,
    spans: &mut Vec<Span>,
) -> Option<usize> {
    let rest = &input[pos..];
    let nl = memchr::memchr(b'\n', rest)?;
    let text = &rest[..nl];
    if memchr::memchr(b'\r', text).is_some() {
        return None;
    }
    if memchr::memchr(b'"', text).is_some() {
        return split_simple_quoted_memchr(text, delim, base + pos, spans).then_some(pos + nl);
    }
    let mut prev = 0;
    for p in memchr::memchr_iter(delim, text) {
        spans.push(span(base + pos + prev, base + pos + p));
        prev = p + 1;
    }
    spans.push(span(base + pos + prev, base + pos + nl));
    Some(pos + nl)
}

/// Every line of `input` through [`split_line`], one walk of the
/// structural bytes for a run of lines as the fast path does, against
/// [`split_line_memchr`]. After a line the fast path leaves to `csv-core`
/// the walk starts again at the next line, as it does after `csv-core`
/// has read one. Returns the lines split.
fn lines_both(input: &[u8], delim: u8) -> usize {
    let needles = [delim, b'\n', b'"', b'\r'];
    let mut hits = Positions::new(input, 0, needles);
    let (mut pos, mut lines) = (0, 0);
    while pos < input.len() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ra = split_line(input, pos, &mut hits, 7, delim, &mut a);
        let rb = split_line_memchr(input, pos, delim, 7, &mut b);
        assert_eq!(ra, rb, "{:?} at {pos}", String::from_utf8_lossy(input));
        match ra {
            Some(nl) => {
                assert_eq!(a, b, "{:?} at {pos}", String::from_utf8_lossy(input));
                lines += 1;
                pos = nl + 1;
            }
            None => {
                let Some(nl) = memchr::memchr(b'\n', &input[pos..]) else {
                    break;
                };
                pos += nl + 1;
                hits = Positions::new(input, pos, needles);
            }
        }
    }
    lines
}

fn quoted_both(text: &[u8]) {
    let mut line = text.to_vec();
    line.push(b'\n');
    lines_both(&line, b',');
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

    /// Line by line through a buffer, the block-wise walk against
    /// memchr per line, on lines of structural bytes and a letter, with
    /// either delimiter.
    #[test]
    fn block_walk_splits_lines_as_memchr_does(
        bytes in proptest::collection::vec(
            prop::sample::select(vec![b'a', b',', b'\t', b'"', b'\r', b'\n', b'\n', b'\n', 0xe4]),
            0..300,
        ),
        tab in any::<bool>(),
    ) {
        lines_both(&bytes, if tab { b'\t' } else { b',' });
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
