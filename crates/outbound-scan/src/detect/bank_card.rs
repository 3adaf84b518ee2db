//! Payment card numbers.
//!
//! Accepts 13–19 digits with a plausible issuer prefix (IIN) for the length
//! and a valid Luhn check. Why the IIN filter: a random 16-digit order
//! number passes Luhn one time in ten; requiring a real network prefix
//! (Visa 4, Mastercard 51-55/2221-2720, Amex 34/37, JCB 35, Diners
//! 30/36/38/39, UnionPay/Discover/Maestro 6…, Dankort 5019 and the Maestro
//! ranges under 5 — 5018, 5020, 5038, 5612, 5893 —, UATP 1 with exactly 15
//! digits) removes most of those, and 13-digit millisecond timestamps
//! (starting with 1) can never match.
//!
//! A 13-digit Visa number (a length Visa no longer issues) is accepted
//! only with that context too: without it, a 13-digit number starting
//! with 4 is far more likely an EAN-13 barcode (prefixes 400–499 are
//! Germany, Japan, Russia, Taiwan …), and one in ten of those passes Luhn
//! (Faker's `ean13()`: 21 of 2,000 were reported as cards before).
//!
//! UnionPay (prefix 62) issued some cards that fail Luhn. Such a number is
//! accepted only when it has 16–19 digits **and** the field header or a
//! keyword before it says "card"/"卡号"/"bank" (`card_context`); otherwise
//! Luhn is required, because without context a non-Luhn 62… number is far
//! more likely an order or tracking number.

#[cfg(test)]
use super::util::luhn;
use super::util::luhn_digits;

/// Whether the prefix is a plausible issuer for this length (of 13 to 19
/// digits; the first four are read).
#[inline(always)]
pub(crate) fn iin_ok(d: &[u8]) -> bool {
    let n = d.len();
    let p2 = (d[0] - b'0') * 10 + (d[1] - b'0');
    match d[0] {
        b'4' => matches!(n, 13 | 16 | 19),
        b'5' => {
            let p4 = super::util::num(&d[..4]);
            ((51..=55).contains(&p2) && n == 16)
                || (matches!(p4, 5018 | 5019 | 5020 | 5038 | 5612 | 5893) && (13..=19).contains(&n))
        }
        // UATP (airline accounts): 15 digits only, never a 13-digit timestamp.
        b'1' => n == 15,
        b'2' => {
            let p4 = super::util::num(&d[..4]);
            (2221..=2720).contains(&p4) && n == 16
        }
        b'3' => match p2 {
            34 | 37 => n == 15,
            35 => (16..=19).contains(&n),
            30 | 36 | 38 | 39 => (14..=19).contains(&n),
            _ => false,
        },
        b'6' => (16..=19).contains(&n),
        _ => false,
    }
}

/// Whether `d` has a card number's shape: 13–19 ASCII digits with a
/// network's prefix for that length, whether or not it passes Luhn. A
/// column of such numbers that mostly fail Luhn holds another numbering
/// (orders, parcels), whose one-in-ten passes are chance.
#[inline(never)]
pub fn is_card_shaped(d: &[u8]) -> bool {
    // The prefix first: most 13–19 digit numbers that are no card (13-digit
    // millisecond timestamps) fail it on their first digit.
    (13..=19).contains(&d.len())
        && d[..4].iter().all(u8::is_ascii_digit)
        && iin_ok(d)
        && super::util::digit_run(d, 4) == d.len()
}

/// Validates a run of ASCII digits as a card number.
pub fn is_valid(d: &[u8], card_context: bool) -> bool {
    // The prefix reads the first four digits; the Luhn pass checks the rest.
    if !(13..=19).contains(&d.len()) || !d[..4].iter().all(u8::is_ascii_digit) || !iin_ok(d) {
        return false;
    }
    if d.len() == 13 && d[0] == b'4' && !card_context {
        return false;
    }
    match luhn_digits(d) {
        Some(ok) => ok || (card_context && d.starts_with(b"62") && d.len() >= 16),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_cards() {
        assert!(is_valid(b"4111111111111111", false));
        assert!(is_valid(b"5500000000000004", false));
        assert!(is_valid(b"378282246310005", false));
        assert!(is_valid(b"6011111111111117", false));
    }

    #[test]
    fn unionpay_non_luhn_needs_context() {
        let d = b"6222021234567890123";
        assert!(!luhn(d));
        assert!(!is_valid(d, false));
        assert!(is_valid(d, true));
        // Too short for the UnionPay exception.
        assert!(!is_valid(b"622202123456789", true));
    }

    #[test]
    fn dankort_maestro_and_uatp_prefixes() {
        assert!(is_valid(b"5019717010103742", false)); // Dankort
        assert!(is_valid(b"122000000000003", false)); // UATP
        assert!(!is_valid(b"5019717010103743", false)); // Luhn
        assert!(!is_valid(b"5011111111111117", false)); // 5011: no network
        assert!(!is_valid(b"1220000000000031", false)); // UATP is 15 digits
        assert!(!is_valid(b"1700000000006", false)); // a 13-digit timestamp
    }

    #[test]
    fn a_letter_anywhere_is_never_a_card() {
        // Luhn-valid and UnionPay-with-context numbers with one digit
        // replaced: the prefix test reads four digits, the rest must be
        // digits too, with and without context.
        for d in [&b"4111111111111111"[..], b"6222021234567890123"] {
            for pos in 0..d.len() {
                let mut v = d.to_vec();
                v[pos] = b'a';
                assert!(!is_valid(&v, true), "{pos}");
                assert!(!is_valid(&v, false), "{pos}");
            }
        }
    }

    #[test]
    fn a_13_digit_visa_needs_card_context() {
        // Luhn-valid 13-digit numbers starting with 4: Visa's old length,
        // and EAN-13 barcodes (4536980754351 is one of Faker's).
        for d in [b"4222222222222", b"4536980754351"] {
            assert!(is_valid(d, true));
            assert!(!is_valid(d, false));
        }
        // Other lengths of Visa need no context.
        assert!(is_valid(b"4111111111111111", false));
    }

    #[test]
    fn invalid_cards() {
        assert!(!is_valid(b"4111111111111112", false));
        assert!(!is_valid(b"1700000000000", false)); // timestamp
        assert!(!is_valid(b"9111111111111111", false)); // no such IIN
        assert!(!is_valid(b"411111111111", false)); // too short
    }
}
