//! PRC fixed-line numbers: area code (`0` + 2–3 digits) and a 7–8 digit
//! subscriber number that does not start with 0 or 1.
//!
//! A separator (dash, space or parentheses around the area code) is
//! required by the scanner: an unseparated 11–12 digit run starting with 0
//! is too often an account or order number.

/// Validates an area code including the leading 0: `010`, `02x`, or
/// `0[3-9]xx`.
pub fn valid_area(a: &[u8]) -> bool {
    let shape = match a.len() {
        3 => a[0] == b'0' && (a[1] == b'1' && a[2] == b'0' || a[1] == b'2'),
        4 => a[0] == b'0' && (b'3'..=b'9').contains(&a[1]),
        _ => false,
    };
    shape && a.iter().all(u8::is_ascii_digit)
}

/// Validates a subscriber number.
pub fn valid_local(n: &[u8]) -> bool {
    (7..=8).contains(&n.len()) && n[0] >= b'2' && n.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        assert!(valid_area(b"010"));
        assert!(valid_area(b"021"));
        assert!(valid_area(b"0755"));
        assert!(!valid_area(b"011"));
        assert!(!valid_area(b"0155"));
        assert!(!valid_area(b"12"));
        assert!(!valid_local(b"12345678"));
        assert!(valid_local(b"62345678"));
        assert!(valid_local(b"6234567"));
        assert!(!valid_local(b"623456"));
    }
}
