//! PRC resident identity card numbers (GB 11643-1999).
//!
//! 18 characters: 6-digit GB/T 2260 region code, `YYYYMMDD` birth date,
//! 3-digit sequence, ISO 7064 MOD 11-2 check character. Legacy 15-digit
//! numbers: region + `YYMMDD` (19YY) + 3-digit sequence, no check.
//! Region codes include retired ones (people keep their old numbers), taken
//! from python-stdnum's `loc.dat` by `data/gen_regions.py`.

use super::util::{num, valid_birth_date};
use std::sync::LazyLock;

/// The GB/T 2260 table: `code<TAB>name` lines (see `data/gen_regions.py`).
pub(super) const REGIONS_TXT: &str = include_str!("../../data/cn_regions.txt");

/// Bitset over 0..1_000_000: bit set when the 6-digit code is a known
/// (current or retired) region. 125 KB, built once, O(1) lookup with no
/// hashing on the hot path.
static REGIONS: LazyLock<Vec<u64>> = LazyLock::new(|| {
    let mut bits = vec![0u64; 1_000_000 / 64 + 1];
    for line in REGIONS_TXT.lines() {
        if line.starts_with('#') {
            continue;
        }
        let code = line.split('\t').next().unwrap_or("");
        if code.len() == 6
            && let Ok(c) = code.parse::<usize>()
        {
            bits[c / 64] |= 1 << (c % 64);
        }
    }
    bits
});

/// Whether `code` (6 ASCII digits) is a known GB/T 2260 region code.
pub fn is_region(code: &[u8]) -> bool {
    if code.len() != 6 || !code.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let c = num(code) as usize;
    REGIONS[c / 64] & (1 << (c % 64)) != 0
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// Outcome of checking an 18-character candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id18 {
    /// Region, date and check character all valid.
    Valid,
    /// Region and date valid but wrong check character: a typo'd or forged
    /// ID. Not counted, but also not re-interpreted as a card or USCC.
    BadCheck,
    /// Not shaped like a resident ID.
    Invalid,
}

/// The expected check character for the first 17 digits.
pub fn check_char(d17: &[u8]) -> u8 {
    let sum: u32 = d17
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

/// Checks an 18-character value (17 digits + digit/`X`/`x`).
pub fn check18(s: &[u8]) -> Id18 {
    if s.len() != 18 || !s[..17].iter().all(u8::is_ascii_digit) {
        return Id18::Invalid;
    }
    let last = s[17].to_ascii_uppercase();
    if !(last.is_ascii_digit() || last == b'X') {
        return Id18::Invalid;
    }
    if !is_region(&s[..6]) || !valid_birth_date(num(&s[6..10]), num(&s[10..12]), num(&s[12..14])) {
        return Id18::Invalid;
    }
    if check_char(&s[..17]) == last {
        Id18::Valid
    } else {
        Id18::BadCheck
    }
}

/// Validates a legacy 15-digit number (region + YYMMDD + sequence).
pub fn valid15(s: &[u8]) -> bool {
    s.len() == 15
        && s.iter().all(u8::is_ascii_digit)
        && is_region(&s[..6])
        && valid_birth_date(1900 + num(&s[6..8]), num(&s[8..10]), num(&s[10..12]))
}

/// Validates either form.
pub fn is_valid(s: &[u8]) -> bool {
    match s.len() {
        18 => check18(s) == Id18::Valid,
        15 => valid15(s),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdnum_valid_numbers() {
        // python-stdnum tests/test_cn_ric.doctest
        for n in [
            "360426199101010071",
            "44011320141005001x",
            "44011320141005001X",
            "412723199010050012",
            "110102199101010078",
            "120110198012010073",
            "120110199212010072",
        ] {
            assert!(is_valid(n.as_bytes()), "{n}");
        }
    }

    #[test]
    fn stdnum_invalid_numbers() {
        assert_eq!(check18(b"T60426199101010078"), Id18::Invalid); // format
        assert_eq!(check18(b"360426199113010079"), Id18::Invalid); // month 13
        assert_eq!(check18(b"36042619910102009X"), Id18::BadCheck); // checksum
        assert_eq!(check18(b"990426199112010074"), Id18::Invalid); // region 99
    }

    #[test]
    fn retired_region_and_future_date() {
        // 110103 崇文区 was merged in 2010 but its IDs remain valid.
        let mut id = *b"11010319800101001_";
        id[17] = check_char(&id[..17]);
        assert!(is_valid(&id));
        let mut future = *b"11010129990101001_";
        future[17] = check_char(&future[..17]);
        assert!(!is_valid(&future));
        let mut old = *b"11010118790101001_";
        old[17] = check_char(&old[..17]);
        assert!(!is_valid(&old));
    }

    #[test]
    fn legacy_15() {
        assert!(valid15(b"110102910101007"));
        assert!(!valid15(b"110102911301007"));
        assert!(!valid15(b"990102910101007"));
    }
}
