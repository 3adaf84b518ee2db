//! Tests of the early exits in shapes.rs that a table's cell takes before
//! the match callback is built (`holds_no_mark`, `holds_nothing_by_shape`):
//! each is its definition, byte by byte, and what it passes holds nothing
//! on the plain path under every hint set that is not context-only.

use super::Hints;
use super::fast_tests::all_hints;

/// `holds_no_mark` is its definition (no byte from `(` to `@`, 1 to 16
/// bytes) for every byte at every position of every length to 17, and a
/// value it passes holds nothing on either path under every hint set that
/// is not context-only, nor is it card-shaped (the scan's other test of a
/// cell without a match).
#[test]
fn a_value_without_marks_is_told_in_a_word_or_two() {
    let def =
        |v: &[u8]| (1..=16).contains(&v.len()) && !v.iter().any(|b| (0x28..=0x40).contains(b));
    for len in 0..=17usize {
        for pos in 0..len.max(1) {
            for b in 0..=255u8 {
                let mut v = vec![b'k'; len];
                if len > 0 {
                    v[pos] = b;
                }
                assert_eq!(super::holds_no_mark(&v), def(&v), "{v:?}");
            }
        }
    }
    let mut rng = crate::corpus::Rng::new(31);
    let pieces: &[&str] = &[
        "a",
        "Z",
        "active",
        "wechat",
        "false",
        " ",
        "_",
        ".",
        ",",
        ";",
        "/",
        "+",
        "#",
        "?",
        "=",
        "<",
        ">",
        "\"",
        "京",
        "省",
        "广东省",
        "男",
        "，",
        "\u{3000}",
        "０",
        "É",
    ];
    let hints: Vec<Hints> = all_hints()
        .into_iter()
        .filter(|h| !h.context_only())
        .collect();
    let mut passed = 0;
    for _ in 0..20_000 {
        let n = 1 + rng.below(8) as usize;
        let value: String = (0..n).map(|_| *rng.pick(pieces)).collect();
        let v = value.as_bytes();
        assert_eq!(super::holds_no_mark(v), def(v), "{value:?}");
        if !super::holds_no_mark(v) {
            continue;
        }
        passed += 1;
        assert!(!super::bank_card::is_card_shaped(v), "{value:?}");
        for &h in &hints {
            for plain in [true, false] {
                let mut found = Vec::new();
                super::scan_value_path(v, h, plain, &mut |k, a, b| found.push((k, a, b)));
                assert!(found.is_empty(), "{value:?} {plain}: {found:?}");
            }
        }
    }
    assert!(passed > 2_000, "{passed}");
}

/// Whether some kind may take this number (of digits alone): 11, 15 or
/// 18 digits, `86` and a mobile, or a card network's prefix for its length.
fn kind_takes_number(v: &[u8]) -> bool {
    matches!(v.len(), 11 | 15 | 18)
        || (v.len() == 13 && v[0] == b'8')
        || super::bank_card::is_card_shaped(v)
}

/// `holds_nothing_by_shape`: every value it passes (dates, timestamps,
/// decimals, numbers and codes of random digits and letters, and the
/// same with a byte changed, dropped or added anywhere) holds nothing on
/// the plain value path under every hint set that is not context-only,
/// and is no card- or mobile-shaped miss; it passes the three date
/// shapes, decimals, numbers no kind takes and codes, and nothing with a
/// byte out of place (every byte at every position of each).
#[test]
fn values_told_by_shape_hold_nothing() {
    use super::{bank_card, holds_nothing_by_shape, mobile, scan_value_path};
    let mut rng = crate::corpus::Rng::new(31);
    let hints: Vec<Hints> = all_hints()
        .into_iter()
        .filter(|h| !h.context_only())
        .collect();
    let shapes: [&[u8]; 3] = [b"dddd-dd-dd", b"dddd-dd-dd dd:dd", b"dddd-dd-dd dd:dd:dd"];
    let digits = |rng: &mut crate::corpus::Rng, n: u64| -> Vec<u8> {
        (0..n).map(|_| b'0' + rng.below(10) as u8).collect()
    };
    let (mut passed, mut tried) = (0, 0);
    for i in 0..60_000 {
        let mut v: Vec<u8> = if i % 4 == 3 {
            // A number of any length to 24.
            let n = 1 + rng.below(24);
            digits(&mut rng, n)
        } else if i % 4 == 2 {
            // A code: a letter, then letters and digits.
            let n = 1 + rng.below(20);
            let mut v = vec![*rng.pick(b"ACUXZacuxz")];
            v.extend((1..n).map(|_| *rng.pick(b"0123456789ABCXYZabcxyz")));
            v
        } else if i % 4 == 0 {
            rng.pick(&shapes)
                .iter()
                .map(|&c| {
                    if c == b'd' {
                        b'0' + rng.below(10) as u8
                    } else {
                        c
                    }
                })
                .collect()
        } else {
            let (whole, fraction) = (1 + rng.below(12), 1 + rng.below(6));
            let mut v = digits(&mut rng, whole);
            v.push(b'.');
            v.extend(digits(&mut rng, fraction));
            v
        };
        let whole = v.clone();
        if rng.pct(50) {
            let at = rng.below(v.len() as u64) as usize;
            match rng.below(3) {
                0 => v[at] = *rng.pick("0123456789 -:./Tx+@_é".as_bytes()),
                1 => {
                    v.remove(at);
                }
                _ => v.insert(at, *rng.pick(b"0123456789 -:.")),
            }
        }
        tried += 1;
        let left = if v.iter().all(u8::is_ascii_digit) {
            kind_takes_number(&v)
        } else {
            matches!(v.len(), 8 | 9 | 17..)
        };
        if v == whole && !left {
            assert!(
                holds_nothing_by_shape(&v),
                "{:?}",
                String::from_utf8_lossy(&v)
            );
        }
        if !holds_nothing_by_shape(&v) {
            continue;
        }
        passed += 1;
        for &h in &hints {
            let mut found = Vec::new();
            scan_value_path(&v, h, true, &mut |k, a, b| found.push((k, a, b)));
            assert!(
                found.is_empty(),
                "{:?} {h:?}: {found:?}",
                String::from_utf8_lossy(&v)
            );
        }
        assert!(!bank_card::is_card_shaped(&v) && !mobile::is_unissued_shape(&v));
    }
    assert!(passed > tried / 2, "{passed} of {tried}");
    // A byte out of place at every position of each shape: no pass
    // unless the result is itself a date, a decimal, a number no kind
    // takes or a code.
    let mut shapes_and_neighbours: Vec<&[u8]> = Vec::new();
    for shape in [
        &b"2024-05-01"[..],
        b"2024-05-01 12:30",
        b"2024-05-01 12:30:59",
        b"7830.42",
        b"C",
        b"CU0001",
        b"CU0001000000",
        b"ABCDEFGHIJ123456",
        b"4",
        b"129",
        b"200030",
        b"1234567890",
        b"123456789012",
        b"12345678901234567890",
        b"1788813438721",
        b"1234567890123456",
        b"9999999999999999999",
    ] {
        assert!(holds_nothing_by_shape(shape));
        shapes_and_neighbours.push(shape);
    }
    // Words of a passport's lengths and one past 16, and numbers of a
    // mobile's or a card's lengths, are left to the loop.
    for shape in [
        &b"E1234567"[..],
        b"G12345678",
        b"ABCDEFGHIJ1234567",
        b"13800138000",
        b"8613800138000",
        b"4652678861647499",
        b"123456789012345",
        b"110101200011243942",
        b"6222021234567890123",
    ] {
        assert!(!holds_nothing_by_shape(shape));
        shapes_and_neighbours.push(shape);
    }
    for shape in shapes_and_neighbours {
        for at in 0..shape.len() {
            for b in 0..=255u8 {
                let mut v = shape.to_vec();
                v[at] = b;
                let decimal = v.iter().filter(|&&c| c == b'.').count() == 1
                    && v.first().is_some_and(u8::is_ascii_digit)
                    && v.last().is_some_and(u8::is_ascii_digit)
                    && v.iter().all(|c| c.is_ascii_digit() || *c == b'.');
                let date = v.len() == shape.len() && matches!(shape.len(), 10 | 16 | 19) && {
                    let pattern = &b"dddd-dd-dd dd:dd:dd"[..shape.len()];
                    v.iter().zip(pattern).all(|(c, p)| {
                        if *p == b'd' {
                            c.is_ascii_digit()
                        } else {
                            c == p
                        }
                    })
                };
                let number = v.iter().all(u8::is_ascii_digit) && !kind_takes_number(&v);
                let code = v.first().is_some_and(u8::is_ascii_alphabetic)
                    && v.iter().all(u8::is_ascii_alphanumeric)
                    && !matches!(v.len(), 8 | 9 | 17..);
                assert_eq!(
                    holds_nothing_by_shape(&v),
                    decimal || date || code || number,
                    "{:?}",
                    String::from_utf8_lossy(&v)
                );
            }
        }
    }
}
