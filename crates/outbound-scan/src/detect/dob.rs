//! Dates of birth: only consulted with a birth-date header or keyword
//! (`出生日期`, `birth`, `dob` …), because a date alone is not personal.
//!
//! Accepts `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`, `YYYYMMDD`,
//! `YYYY年M月D日` (one- or two-digit month/day for separated forms),
//! optionally followed by a time; the date must be real, year >= 1880 and
//! not in the future.

use super::util::{num, valid_birth_date};

/// A separator of a date: up to three bytes and how many.
type Sep = ([u8; 3], usize);
const YEAR: Sep = ([0xE5, 0xB9, 0xB4], 3); // 年
const MONTH: Sep = ([0xE6, 0x9C, 0x88], 3); // 月
const DAY: Sep = ([0xE6, 0x97, 0xA5], 3); // 日

/// Whether `s[at..]` starts with `sep` (always, for an empty one).
#[inline(always)]
fn starts_at(s: &[u8], at: usize, (b, n): Sep) -> bool {
    match n {
        0 => true,
        1 => s.get(at) == Some(&b[0]),
        _ => s
            .get(at..at + 3)
            .is_some_and(|t| t[0] == b[0] && t[1] == b[1] && t[2] == b[2]),
    }
}

/// Parses a date at the start of `s`; returns (y, m, d, end).
pub fn parse(s: &[u8]) -> Option<(u32, u32, u32, usize)> {
    if s.len() < 8 || !s[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let y = num(&s[..4]);
    if s[4].is_ascii_digit() {
        if s.len() >= 8
            && s[..8].iter().all(u8::is_ascii_digit)
            && !s.get(8).is_some_and(u8::is_ascii_digit)
        {
            return Some((y, num(&s[4..6]), num(&s[6..8]), 8));
        }
        return None;
    }
    // The separators as (bytes, length): a slice of runtime length
    // compared with `starts_with` is a call to `memcmp`, a tenth of a
    // scan's time on a table with a birth-date column.
    let (sep1, sep2, sep3): (Sep, Sep, Sep) = if starts_at(s, 4, YEAR) {
        (YEAR, MONTH, DAY)
    } else if matches!(s[4], b'-' | b'/' | b'.') {
        let one = ([s[4], 0, 0], 1);
        (one, one, ([0; 3], 0))
    } else {
        return None;
    };
    let mut j = 4 + sep1.1;
    let two = |j: usize| -> Option<(u32, usize)> {
        let e = super::util::digit_run(s, j);
        (e > j && e - j <= 2).then(|| (num(&s[j..e]), e))
    };
    let (m, e) = two(j)?;
    if !starts_at(s, e, sep2) {
        return None;
    }
    j = e + sep2.1;
    let (d, mut e) = two(j)?;
    if starts_at(s, e, sep3) {
        e += sep3.1;
    }
    Some((y, m, d, e))
}

/// The date of `YYYY-MM-DD` (or with `/` or `.` twice) and nothing
/// else, the form most birth-date columns hold, read in place: what
/// [`parse`] finds in it (its two-digit groups end at the second
/// separator and at the value's end, so the date ends there and no time
/// follows), without its separator tests and digit runs. `None` for any
/// other value, which [`parse`] then reads.
#[inline]
fn plain_iso(s: &[u8]) -> Option<(u32, u32, u32)> {
    let &[y0, y1, y2, y3, sep, m0, m1, sep2, d0, d1] = s else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
    if sep != sep2 || !matches!(sep, b'-' | b'/' | b'.') || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |a: &[u8]| a.iter().fold(0u32, |v, &b| v * 10 + u32::from(b - b'0'));
    Some((n(&digits[..4]), n(&digits[4..6]), n(&digits[6..])))
}

/// Validates a (trimmed) value in a birth-date field: a plausible birth
/// date, optionally followed by a time of day.
pub fn is_valid(s: &[u8]) -> bool {
    if let Some((y, m, d)) = plain_iso(s) {
        return valid_birth_date(y, m, d);
    }
    match parse(s) {
        Some((y, m, d, end)) => {
            valid_birth_date(y, m, d)
                && s[end..]
                    .iter()
                    .all(|&b| b.is_ascii_digit() || matches!(b, b' ' | b':' | b'T' | b'.' | b'Z'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separators_are_the_characters() {
        for ((b, n), c) in [(YEAR, "年"), (MONTH, "月"), (DAY, "日")] {
            assert_eq!(&b[..n], c.as_bytes());
        }
        assert!(is_valid("1990年1月31".as_bytes()));
        assert!(!is_valid("1990年1日31".as_bytes()));
        assert!(!is_valid("1990年1月".as_bytes()));
        assert!(!is_valid(b"1990-01/31"));
    }

    /// Every byte at every position of ten-byte dates (and a few around
    /// the calendar's edges): the in-place reading agrees with `parse`.
    #[test]
    fn plain_iso_is_what_parse_reads() {
        let general = |s: &[u8]| match parse(s) {
            Some((y, m, d, end)) => {
                valid_birth_date(y, m, d)
                    && s[end..].iter().all(|&b| {
                        b.is_ascii_digit() || matches!(b, b' ' | b':' | b'T' | b'.' | b'Z')
                    })
            }
            None => false,
        };
        for base in [
            &b"1990-01-31"[..],
            b"2000/02/29",
            b"1900.02.29",
            b"1880-01-01",
            b"1879-12-31",
            b"2024-12-31",
        ] {
            for pos in 0..base.len() {
                for b in 0..=255u8 {
                    let mut s = base.to_vec();
                    s[pos] = b;
                    if plain_iso(&s).is_some() {
                        let (y, m, d, end) = parse(&s).expect("parse reads it too");
                        assert_eq!(plain_iso(&s), Some((y, m, d)), "{s:?}");
                        assert_eq!(end, 10);
                    }
                    assert_eq!(is_valid(&s), general(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn dobs() {
        assert!(is_valid(b"1990-01-31"));
        assert!(is_valid(b"1990/1/5"));
        assert!(is_valid(b"19900131"));
        assert!(is_valid("1990年1月31日".as_bytes()));
        assert!(is_valid(b"1990-01-31 00:00:00"));
        assert!(!is_valid(b"1990-02-30"));
        assert!(!is_valid(b"2990-01-01"));
        assert!(!is_valid(b"1870-01-01"));
        assert!(!is_valid(b"199001311"));
        assert!(!is_valid(b"hello"));
    }
}
