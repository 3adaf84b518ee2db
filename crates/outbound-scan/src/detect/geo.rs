//! Precise geographic coordinates.
//!
//! Without context a coordinate is a `lat,lng` (or `lng,lat`) pair of
//! decimals each with at least 4 decimal places (≈11 m, "precise location"
//! in PIPL terms) and in range. With a `lat`/`lng`/`纬度`/`经度` header a
//! single such decimal counts. Amounts like `1234.56` never match.

/// Parses an optionally signed decimal with 4–15 decimal places at
/// `s[i..]`; returns (value, end, decimal places).
pub fn parse_decimal(s: &[u8], i: usize) -> Option<(f64, usize, usize)> {
    let mut j = i;
    if s.get(j) == Some(&b'-') || s.get(j) == Some(&b'+') {
        j += 1;
    }
    let int_start = j;
    while j < s.len() && s[j].is_ascii_digit() {
        j += 1;
    }
    if j == int_start || j - int_start > 3 || s.get(j) != Some(&b'.') {
        return None;
    }
    j += 1;
    let frac_start = j;
    while j < s.len() && s[j].is_ascii_digit() {
        j += 1;
    }
    let places = j - frac_start;
    // Fewer than 4 places is not precise location; checked before the
    // float parse because decimals like `5.0` or `01.123` are common.
    if !(4..=15).contains(&places) {
        return None;
    }
    let v: f64 = std::str::from_utf8(&s[i..j]).ok()?.parse().ok()?;
    Some((v, j, places))
}

fn lat(v: f64) -> bool {
    (-90.0..=90.0).contains(&v)
}

fn lng(v: f64) -> bool {
    (-180.0..=180.0).contains(&v)
}

/// Matches a coordinate pair starting at `s[i]` (which may be a sign or a
/// digit). Returns the end offset.
pub fn match_pair(s: &[u8], i: usize) -> Option<usize> {
    let (a, mut j, pa) = parse_decimal(s, i)?;
    if pa < 4 {
        return None;
    }
    let sep_start = j;
    while j < s.len() && s[j] == b' ' {
        j += 1;
    }
    if s.get(j) == Some(&b',') {
        j += 1;
        while j < s.len() && s[j] == b' ' {
            j += 1;
        }
    } else if j == sep_start {
        return None;
    }
    let (b, end, pb) = parse_decimal(s, j)?;
    if pb < 4
        || s.get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.')
    {
        return None;
    }
    ((lat(a) && lng(b)) || (lng(a) && lat(b))).then_some(end)
}

/// Validates a single value with geo context (one coordinate, or a pair).
pub fn is_valid_single(s: &[u8]) -> bool {
    if match_pair(s, 0) == Some(s.len()) {
        return true;
    }
    matches!(parse_decimal(s, 0), Some((v, end, p)) if end == s.len() && p >= 4 && lng(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs() {
        assert_eq!(match_pair(b"39.9042,116.4074", 0), Some(16));
        assert_eq!(match_pair(b"39.9042, 116.4074 x", 0), Some(17));
        assert_eq!(match_pair(b"-33.8688 151.2093", 0), Some(17));
        assert_eq!(match_pair(b"39.90,116.40", 0), None);
        assert_eq!(match_pair(b"99.9042,216.4074", 0), None);
        assert_eq!(match_pair(b"1234.5678,1.0000", 0), None);
        assert!(is_valid_single(b"116.407396"));
        assert!(!is_valid_single(b"1234.56"));
    }
}
