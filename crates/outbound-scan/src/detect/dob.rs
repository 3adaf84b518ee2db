//! Dates of birth: only consulted with a birth-date header or keyword
//! (`出生日期`, `birth`, `dob` …), because a date alone is not personal.
//!
//! Accepts `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`, `YYYYMMDD`,
//! `YYYY年M月D日` (one- or two-digit month/day for separated forms),
//! optionally followed by a time; the date must be real, year >= 1880 and
//! not in the future.

use super::util::{num, valid_birth_date};

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
    let (sep1, sep2, sep3): (&[u8], &[u8], &[u8]) = if s[4..].starts_with("年".as_bytes()) {
        ("年".as_bytes(), "月".as_bytes(), "日".as_bytes())
    } else if matches!(s[4], b'-' | b'/' | b'.') {
        (&s[4..5], &s[4..5], b"")
    } else {
        return None;
    };
    let mut j = 4 + sep1.len();
    let two = |j: usize| -> Option<(u32, usize)> {
        let e = super::util::digit_run(s, j);
        (e > j && e - j <= 2).then(|| (num(&s[j..e]), e))
    };
    let (m, e) = two(j)?;
    if !s[e..].starts_with(sep2) {
        return None;
    }
    j = e + sep2.len();
    let (d, mut e) = two(j)?;
    if s[e..].starts_with(sep3) {
        e += sep3.len();
    }
    Some((y, m, d, e))
}

/// Validates a (trimmed) value in a birth-date field: a plausible birth
/// date, optionally followed by a time of day.
pub fn is_valid(s: &[u8]) -> bool {
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
