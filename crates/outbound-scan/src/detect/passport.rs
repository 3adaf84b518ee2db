//! PRC passport numbers.
//!
//! Ordinary electronic passports: `E` + 8 digits, or `E` + a letter (not I
//! or O) + 7 digits (issued since 2017 when `E` + digits ran out); older
//! ordinary passports `G` + 8 digits. Diplomatic (`D`), service (`S`) and
//! public-affairs (`P`) passports `[DSP]` + 7–8 digits are accepted only
//! with a passport header/keyword, since alone they look like product codes.

/// Validates a token; `context` is true when a header or keyword says
/// "passport"/"护照".
pub fn is_valid(t: &[u8], context: bool) -> bool {
    let digits = |d: &[u8]| d.iter().all(u8::is_ascii_digit);
    match (t.len(), t.first().map(u8::to_ascii_uppercase)) {
        (9, Some(b'E')) => {
            digits(&t[1..])
                || (t[1].is_ascii_alphabetic()
                    && !matches!(t[1].to_ascii_uppercase(), b'I' | b'O')
                    && digits(&t[2..]))
        }
        (9, Some(b'G')) => digits(&t[1..]),
        (8 | 9, Some(b'D' | b'S' | b'P')) => context && digits(&t[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passports() {
        assert!(is_valid(b"E12345678", false));
        assert!(is_valid(b"EA1234567", false));
        assert!(is_valid(b"G12345678", false));
        assert!(!is_valid(b"EI1234567", false));
        assert!(!is_valid(b"E1234567", false));
        assert!(!is_valid(b"D1234567", false));
        assert!(is_valid(b"D1234567", true));
        assert!(!is_valid(b"X12345678", true));
    }
}
