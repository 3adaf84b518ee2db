//! Unified Social Credit Code (GB 32100-2015): organisations' identifiers.
//!
//! Recognised only so that an 18-character organisation code is reported as
//! `cn_uscc` and never mistaken for a resident ID or card number.

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value(b: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&c| c == b.to_ascii_uppercase())
        .map(|p| p as u32)
}

/// Validates 18 characters: 8 leading digits, the rest from the 31-symbol
/// alphabet, mod-31 check character (same rule as python-stdnum).
pub fn is_valid(s: &[u8]) -> bool {
    if s.len() != 18 || !s[..8].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut sum = 0;
    for (&b, w) in s[..17].iter().zip(WEIGHTS) {
        match value(b) {
            Some(v) => sum += v * w,
            None => return false,
        }
    }
    let check = (31 - sum % 31) % 31;
    value(s[17]) == Some(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdnum_numbers() {
        // From python-stdnum tests/test_cn_uscc.doctest.
        for n in [
            "91110000600037341L",
            "121200004013590816",
            "91110000710926094P",
            "9115220107837757XE",
            "91310115MA1K3BTP2B",
            "91340600MA2PBNE723",
            "91620105L015101280",
            "92340603MA2UK3DT5H",
            "913101145852519045",
        ] {
            assert!(is_valid(n.as_bytes()), "{n}");
        }
        assert!(!is_valid(b"A1110000600037341L"));
        assert!(!is_valid(b"9111000060003IOZSV"));
        assert!(!is_valid(b"91110000600037341N"));
        assert!(!is_valid(b"12345"));
    }
}
