//! Unified Social Credit Code (GB 32100-2015): organisations' identifiers.
//!
//! Recognised only so that an 18-character organisation code is reported as
//! `cn_uscc` and never mistaken for a resident ID or card number.
//!
//! The mod-31 check character alone lets one 18-digit number in 31 through
//! (order numbers, serials), so the structure is checked too: the
//! registration-authority code and the organisation-type code under it
//! (GB 32100-2015 §4.2 and its annex table, with the authorities and types
//! added since: diplomatic, justice, culture, tourism, religion, trade
//! unions, the military's establishment office, agriculture) and the
//! registering authority's region code (GB/T 2260, or `100000` for
//! registration at national level).

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

/// Registration-authority codes and the organisation-type codes each allows
/// (GB 32100-2015 annex A and later additions; `9` under most: "other").
const AUTHORITY_TYPES: &[(u8, &[u8])] = &[
    (b'1', b"1239"),   // 机构编制: organs, public institutions, mass organisations, other
    (b'2', b"19"),     // 外交: resident foreign news agencies, other
    (b'3', b"123459"), // 司法行政: law firms, notaries, legal services, forensics, arbitration, other
    (b'4', b"19"),     // 文化: foreign cultural centres, other
    (b'5', b"1239"), // 民政: social organisations, private non-enterprise units, foundations, other
    (b'6', b"129"),  // 旅游: foreign and HK/Macao/Taiwan tourism offices, other
    (b'7', b"129"),  // 宗教: religious venues and schools, other
    (b'8', b"19"),   // 工会: grassroots trade unions, other
    (b'9', b"123"),  // 市场监管 (工商): enterprises, individual businesses, farmers' cooperatives
    (b'A', b"19"),   // 中央军委改革和编制办公室: military public institutions, other
    (b'N', b"1239"), // 农业: rural collective economic organisations by level, other
    (b'Y', b"1"),    // 其他: other
];

/// Whether the first two characters are an authority and a type it registers.
fn authority_and_type(a: u8, t: u8) -> bool {
    AUTHORITY_TYPES
        .iter()
        .any(|(code, types)| *code == a.to_ascii_uppercase() && types.contains(&t))
}

/// Whether `code` (6 digits) is where an authority can sit: a GB/T 2260
/// region or the national level.
fn is_authority_region(code: &[u8]) -> bool {
    code == b"100000" || super::resident_id::is_region(code)
}

/// Validates 18 characters: authority and type codes, the authority's region
/// code, the rest from the 31-symbol alphabet, and the mod-31 check
/// character (the checksum rule is python-stdnum's).
pub fn is_valid(s: &[u8]) -> bool {
    if s.len() != 18
        || !authority_and_type(s[0], s[1])
        || !s[2..8].iter().all(u8::is_ascii_digit)
        || !is_authority_region(&s[2..8])
    {
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

    /// The check character of the first 17 characters.
    fn with_check(d17: &str) -> String {
        let sum: u32 = d17
            .bytes()
            .zip(WEIGHTS)
            .map(|(b, w)| value(b).unwrap() * w)
            .sum();
        format!("{d17}{}", ALPHABET[((31 - sum % 31) % 31) as usize] as char)
    }

    #[test]
    fn authority_type_and_region_are_checked_not_just_the_check_character() {
        // Each passes the mod-31 check; only the structure differs.
        assert!(is_valid(with_check("91110000600037341").as_bytes()));
        assert!(
            is_valid(with_check("11100000000013127").as_bytes()),
            "national level"
        );
        assert!(is_valid(with_check("Y1110000600037341").as_bytes()));
        assert!(
            !is_valid(with_check("01110000600037341").as_bytes()),
            "no authority 0"
        );
        assert!(
            !is_valid(with_check("94110000600037341").as_bytes()),
            "market regulation has no type 4"
        );
        assert!(
            !is_valid(with_check("Y2110000600037341").as_bytes()),
            "other has type 1 only"
        );
        assert!(
            !is_valid(with_check("91990000600037341").as_bytes()),
            "region 990000 does not exist"
        );
        assert!(
            !is_valid(with_check("91000000600037341").as_bytes()),
            "region 000000 does not exist"
        );
    }

    #[test]
    fn order_numbers_that_pass_the_check_character_are_mostly_refused() {
        // 18-digit numbers with a valid check character: before, all of them were reported.
        let mut rng = crate::corpus::Rng::new(7);
        let (mut passing_check, mut reported) = (0, 0);
        while passing_check < 2000 {
            let d17: String = (0..17)
                .map(|_| char::from(b'0' + (rng.next_u64() % 10) as u8))
                .collect();
            let n = with_check(&d17);
            if !n.as_bytes()[17].is_ascii_digit() {
                continue;
            }
            passing_check += 1;
            reported += usize::from(is_valid(n.as_bytes()));
        }
        assert!(
            reported * 50 < passing_check,
            "{reported} of {passing_check} still reported"
        );
    }
}
