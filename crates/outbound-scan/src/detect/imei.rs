//! IMEI: 15 digits with a Luhn check digit (3GPP TS 23.003) whose first two
//! digits, the reporting-body identifier of the type allocation code, name
//! a body that allocates or allocated codes (GSMA TS.06, Appendix A:
//! `data/imei_reporting_bodies.txt`).
//!
//! Why the list: a Luhn digit alone takes one 15-digit number in ten (order
//! and tracking numbers), and only 17 of the 100 two-digit prefixes were
//! ever allocated. Test IMEIs (`00`, `02`–`09`) and zero-padded counters are
//! left out with the rest.

use super::util::luhn;

/// `code body` lines after `#` comment lines.
const BODIES_TXT: &str = include_str!("../../data/imei_reporting_bodies.txt");

/// Bit `n` set when `n` (0–99) is a listed reporting-body identifier.
const BODIES: u128 = bodies(BODIES_TXT.as_bytes());

const fn bodies(b: &[u8]) -> u128 {
    let mut set = 0u128;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'#' {
            assert!(
                b[i].is_ascii_digit() && b[i + 1].is_ascii_digit() && b[i + 2] == b' ',
                "a line starts with a two-digit code and a space"
            );
            let code = (b[i] - b'0') as u32 * 10 + (b[i + 1] - b'0') as u32;
            assert!(set & (1 << code) == 0, "each code once");
            set |= 1 << code;
        }
        while b[i] != b'\n' {
            i += 1;
        }
        i += 1;
    }
    set
}

/// Whether the first two bytes of `d` are the digits of a listed
/// reporting body.
pub(super) fn listed_body(d: &[u8]) -> bool {
    match d {
        [a @ b'0'..=b'9', b @ b'0'..=b'9', ..] => {
            BODIES & (1 << ((a - b'0') * 10 + (b - b'0'))) != 0
        }
        _ => false,
    }
}

/// Validates 15 ASCII digits.
pub fn is_valid(d: &[u8]) -> bool {
    d.len() == 15 && d.iter().all(u8::is_ascii_digit) && listed_body(d) && luhn(d)
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
        assert!(!is_valid(b"49015420323751a"));
    }

    /// The set is the file's codes, and a Luhn-valid number passes exactly
    /// when its first two digits are one of them.
    #[test]
    fn reporting_bodies_are_the_data_file() {
        let listed: Vec<u32> = BODIES_TXT
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l[..2].parse().unwrap())
            .collect();
        assert_eq!(
            listed,
            [
                1, 10, 30, 33, 35, 44, 45, 49, 50, 51, 52, 53, 54, 86, 91, 98, 99
            ]
        );
        for nn in 0..100u32 {
            // `NN` + 12 digits, then the digit that makes the Luhn sum right.
            let body = format!("{nn:02}123456789012");
            let d = (0..10)
                .map(|c| format!("{body}{c}"))
                .find(|v| luhn(v.as_bytes()))
                .unwrap();
            assert_eq!(is_valid(d.as_bytes()), listed.contains(&nn), "{d}");
        }
    }
}
