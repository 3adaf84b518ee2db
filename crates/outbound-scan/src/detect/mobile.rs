//! PRC mobile numbers: 11 digits `1[3-9]\d{9}`.
//!
//! Prefixes `+86`, `0086`, `86` and 3-4-4 grouping with spaces or dashes are
//! handled by the candidate scanner in `detect::mod`, which passes the bare
//! 11 digits here.

/// Validates exactly 11 ASCII digits.
#[inline]
pub fn is_valid(d: &[u8]) -> bool {
    d.len() == 11
        && d[0] == b'1'
        && (b'3'..=b'9').contains(&d[1])
        && d.iter().all(u8::is_ascii_digit)
}

/// Whether `d` is 11 ASCII digits starting `10`, `11` or `12`: a mobile
/// number's shape with a prefix no mobile has. A column where many values
/// are so holds another numbering (user or account numbers), whose values
/// starting `13`–`19` are mobiles only by chance.
#[inline(never)]
pub fn is_unissued_shape(d: &[u8]) -> bool {
    d.len() == 11 && d[0] == b'1' && d[1] <= b'2' && d.iter().all(u8::is_ascii_digit)
}

/// Strips a `0086` / `86` country prefix from a digit run, if what remains
/// is a mobile number.
pub fn strip_country(d: &[u8]) -> Option<&[u8]> {
    let rest = d.strip_prefix(b"0086").or_else(|| d.strip_prefix(b"86"))?;
    is_valid(rest).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles() {
        assert!(is_valid(b"13812345678"));
        assert!(is_valid(b"19912345678"));
        assert!(!is_valid(b"12812345678"));
        assert!(!is_valid(b"1381234567"));
        assert!(!is_valid(b"23812345678"));
        assert_eq!(strip_country(b"8613812345678"), Some(&b"13812345678"[..]));
        assert_eq!(strip_country(b"008613812345678"), Some(&b"13812345678"[..]));
        assert_eq!(strip_country(b"8612812345678"), None);
        for unissued in [&b"10012345678"[..], b"11912345678", b"12812345678"] {
            assert!(is_unissued_shape(unissued) && !is_valid(unissued));
        }
        for not in [
            &b"13812345678"[..],
            b"1281234567",
            b"128123456789",
            b"1281234567x",
            b"22812345678",
        ] {
            assert!(!is_unissued_shape(not), "{not:?}");
        }
    }
}
