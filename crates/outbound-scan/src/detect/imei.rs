//! IMEI: 15 digits with a Luhn check digit (3GPP TS 23.003).
//!
//! The first two digits are the reporting-body identifier of the type
//! allocation code; `00` is not allocated, which keeps zero-padded
//! counters out.

use super::util::luhn;

/// Validates 15 ASCII digits.
pub fn is_valid(d: &[u8]) -> bool {
    d.len() == 15 && d.iter().all(u8::is_ascii_digit) && !d.starts_with(b"00") && luhn(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imeis() {
        assert!(is_valid(b"490154203237518"));
        assert!(is_valid(b"356938035643809"));
        assert!(!is_valid(b"490154203237519"));
        assert!(!is_valid(b"000000000000000"));
        assert!(!is_valid(b"49015420323751"));
    }
}
