//! Small shared helpers: byte classes, Luhn, calendar dates.

use std::sync::LazyLock;

/// ASCII letter or digit: the characters that make a digit run "longer".
#[inline(always)]
pub fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// True when `s[i]` exists and is ASCII alphanumeric (a boundary violation).
#[inline(always)]
pub fn alnum_at(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(|b| b.is_ascii_alphanumeric())
}

/// End of the run of ASCII digits starting at `i`, 8 bytes at a time
/// (SWAR; digit runs of 11–20 are what the validators want, and the byte
/// loop was a quarter of the scan loop's time). In `x = word ^ 0x30…` a
/// digit byte holds its value 0–9; a byte is not a digit when its high
/// nibble is set or when adding 6 carries into it. A carry out of a byte
/// only happens when that byte is already flagged, so the lowest flag is
/// always the first non-digit.
#[inline(always)]
pub fn digit_run(s: &[u8], mut i: usize) -> usize {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const SIXES: u64 = 0x0606_0606_0606_0606;
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    while i + 8 <= s.len() {
        // Loaded here, not through `word`: through it this loop, inlined
        // into the record loop, took 1.8 % more instructions of the scan.
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let x = u64::from_le_bytes(w) ^ ZEROS;
        let bad = (x | x.wrapping_add(SIXES)) & HIGH;
        if bad != 0 {
            return i + (bad.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    if i >= s.len() {
        return i;
    }
    // The last bytes in one word: its zero padding is no digit (flagged),
    // so the lowest flag is at or before the value's end.
    let x = tail_word(s, i) ^ ZEROS;
    let bad = (x | x.wrapping_add(SIXES)) & HIGH;
    i + (bad.trailing_zeros() / 8) as usize
}

/// The eight bytes `s[i..i + 8]` as a little-endian word: what every
/// SWAR test here reads.
#[inline(always)]
pub fn word(s: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[i..i + 8]);
    u64::from_le_bytes(w)
}

/// Whether `test` holds for the words of `s` (1 to 16 bytes): one word
/// below 8 bytes ([`tail_word`], zeros above the value), two that may
/// overlap from 8 to 16. `test(word, valid)` is given 0x80 at each byte
/// of the word that is the value's. The SWAR class tests of a table's
/// short cells read their value so.
#[inline(always)]
pub fn words_pass(s: &[u8], test: impl Fn(u64, u64) -> bool) -> bool {
    const H: u64 = 0x8080_8080_8080_8080;
    let n = s.len();
    debug_assert!((1..=16).contains(&n));
    if n < 8 {
        return test(tail_word(s, 0), H >> (8 * (8 - n)));
    }
    test(word(s, 0), H) && test(word(s, n - 8), H)
}

/// 0x80 at each byte of `x` that is at least `c`, for a word whose bytes
/// are all below 0x80: adding `0x80 - c` carries into a byte's high bit
/// exactly when it is at least `c`, and no sum reaches the next byte.
#[inline(always)]
pub fn bytes_at_least(x: u64, c: u8) -> u64 {
    const L: u64 = 0x0101_0101_0101_0101;
    (x + (0x80 - u64::from(c)) * L) & (0x80 * L)
}

/// The bytes `s[at..]` (fewer than 8, at least one) in a little-endian
/// word, zero above them: two loads that may overlap rather than a loop
/// a byte at a time, whose exit at a length that varies from cell to
/// cell the branch predictor missed (a short value's tail was one of the
/// scan's costliest branches).
#[inline(always)]
pub fn tail_word(s: &[u8], at: usize) -> u64 {
    let r = s.len() - at;
    debug_assert!((1..8).contains(&r));
    let load4 = |i: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[i..i + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    if r >= 4 {
        // Bytes `at + r - 4 .. at + 4` are in both words, alike.
        load4(at) | (load4(s.len() - 4) << (8 * (r - 4)))
    } else {
        // One, two or three bytes: the first, the middle and the last.
        let b = |i: usize| u64::from(s[i]);
        b(at) | (b(at + r / 2) << (8 * (r / 2))) | (b(s.len() - 1) << (8 * (r - 1)))
    }
}

/// `a == b`, a short pair (up to 16 bytes, a JSON key or a field's path)
/// compared in one or two words rather than by a call to `memcmp`, whose
/// call and set-up were a tenth of a JSON-lines scan (every key of every
/// record is compared with the last record's, twice).
#[inline(always)]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..8 => tail_word(a, 0) == tail_word(b, 0),
        // Two words that may overlap cover 8 to 16 bytes.
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// [`digit_run`] a byte at a time: the reference the tests compare with.
#[cfg(test)]
pub fn digit_run_bytes(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// End of the run of ASCII alphanumerics starting at `i`, 8 bytes at a
/// time while 8 remain (SWAR, as [`digit_run`]): the text loop finds the
/// end of every word of a log line so, and a byte loop was a tenth of it.
#[inline(always)]
pub fn alnum_run(s: &[u8], mut i: usize) -> usize {
    const H: u64 = 0x8080_8080_8080_8080;
    const L: u64 = 0x0101_0101_0101_0101;
    while i + 8 <= s.len() {
        let w = word(s, i);
        // 0x80 at each byte that is a digit or a letter (bytes with the
        // high bit set are neither; upper case folded into lower).
        let low = w & !H;
        let digit = bytes_at_least(low, 0x30) & !bytes_at_least(low, 0x3A);
        let folded = low | (0x20 * L);
        let letter = bytes_at_least(folded, 0x61) & !bytes_at_least(folded, 0x7B);
        let other = !((digit | letter) & !w) & H;
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() && s[i].is_ascii_alphanumeric() {
        i += 1;
    }
    i
}

/// The first position at or after `from` where `s` holds `needle`, found
/// 8 bytes at a time in a 64-bit register (SWAR): `x = word ^ needle×8` has
/// a zero byte exactly where the needle is, and the classic
/// `(x - 0x01…) & !x & 0x80…` test flags it; its lowest flag is always a
/// true zero byte (borrows only create false flags above one).
#[inline]
pub fn find_byte_swar(s: &[u8], from: usize, needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pat = LO * u64::from(needle);
    let mut i = from;
    while i + 8 <= s.len() {
        let x = word(s, i) ^ pat;
        let z = x.wrapping_sub(LO) & !x & HI;
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    if i >= s.len() {
        return None;
    }
    let x = tail_word(s, i) ^ pat;
    let z = x.wrapping_sub(LO) & !x & HI;
    // A zero needle also matches the word's padding, past the end.
    Some(i + (z.trailing_zeros() / 8) as usize).filter(|&p| z != 0 && p < s.len())
}

/// Luhn (ISO/IEC 7812-1) check over ASCII digits.
pub fn luhn(d: &[u8]) -> bool {
    luhn_digits(d) == Some(true)
}

/// The Luhn check of `d` if it is all ASCII digits (`None` if not): one
/// pass for both, 8 digits at a time from the right (SWAR), the rest one
/// by one. Within each 8-byte word (little-endian, ending at a position
/// counted from the right in steps of 8) the doubled digits are the
/// even-indexed bytes; a doubled digit `v` counts `2v - 9·[v ≥ 5]`, and
/// `v + 0x7B` has its high bit set exactly when `v ≥ 5`. No byte of a sum
/// exceeds 18, so nothing carries between bytes.
#[inline]
pub fn luhn_digits(d: &[u8]) -> Option<bool> {
    const DOUBLED: [u8; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const SIXES: u64 = 0x0606_0606_0606_0606;
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const EVEN: u64 = 0x00FF_00FF_00FF_00FF;
    let mut sum = 0u32;
    let mut end = d.len();
    while end >= 8 {
        let v = word(d, end - 8) ^ ZEROS;
        if (v | v.wrapping_add(SIXES)) & HIGH != 0 {
            return None;
        }
        let doubled = v & EVEN;
        let five_up = ((doubled + 0x007B_007B_007B_007B) >> 7) & 0x0001_0001_0001_0001;
        let t = doubled * 2 - five_up * 9 + (v & !EVEN);
        sum += (t.wrapping_mul(0x0101_0101_0101_0101) >> 56) as u32;
        end -= 8;
    }
    for (j, &b) in d[..end].iter().enumerate() {
        let v = b.wrapping_sub(b'0');
        if v > 9 {
            return None;
        }
        sum += u32::from(if (d.len() - 1 - j) % 2 == 1 {
            DOUBLED[usize::from(v)]
        } else {
            v
        });
    }
    Some(sum.is_multiple_of(10))
}

/// [`luhn`] as the standard states it, for the tests to compare with.
#[cfg(test)]
fn luhn_reference(d: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &b) in d.iter().rev().enumerate() {
        let mut v = u32::from(b.wrapping_sub(b'0'));
        if v > 9 {
            return false;
        }
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// Parses ASCII digits into a number (caller guarantees digits, len <= 9).
#[inline]
pub fn num(d: &[u8]) -> u32 {
    d.iter().fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'))
}

/// Whether the slice is non-empty and all ASCII digits.
#[inline]
pub fn all_digits(d: &[u8]) -> bool {
    !d.is_empty() && d.iter().all(u8::is_ascii_digit)
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

/// Days in month `m` (1-12) of year `y`; 0 for an invalid month.
pub fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Today's date (UTC) as `yyyymmdd`, computed once per process.
pub static TODAY: LazyLock<u32> = LazyLock::new(|| {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    (y as u32) * 10_000 + m * 100 + d
});

/// Howard Hinnant's days → civil date algorithm (proleptic Gregorian).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A real calendar date that is a plausible birth date: year >= 1880 and
/// not in the future. (Why 1880: the oldest verified living people were born
/// in the 1890s; anything earlier is an order number, not a birth date.)
pub fn valid_birth_date(y: u32, m: u32, d: u32) -> bool {
    y >= 1880 && d >= 1 && d <= days_in_month(y, m) && y * 10_000 + m * 100 + d <= *TODAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known() {
        assert!(luhn(b"4111111111111111"));
        assert!(luhn(b"79927398713"));
        assert!(!luhn(b"4111111111111112"));
        assert!(!luhn(b"41111a1111111111"));
    }

    #[test]
    fn swar_find_matches_a_plain_search() {
        let hay = b"ab@c\x80\xc0@@\x3f\x41user@example.com\x40\xff";
        for from in 0..=hay.len() {
            for n in [b'@', b'a', 0x80, 0xff, b'z'] {
                let want = hay[from..].iter().position(|&b| b == n).map(|p| from + p);
                assert_eq!(find_byte_swar(hay, from, n), want, "from {from} needle {n}");
            }
        }
    }

    /// Every needle and every byte at every position of values of every
    /// length up to three words, from every start: the tails read by
    /// `tail_word` agree with the byte loop.
    #[test]
    fn swar_find_and_digit_run_agree_on_every_tail() {
        for len in 0..=24usize {
            for pos in 0..len.max(1) {
                for b in 0..=255u8 {
                    let mut s: Vec<u8> = (0..len).map(|i| b'0' + (i % 10) as u8).collect();
                    if len > 0 {
                        s[pos] = b;
                    }
                    for from in 0..=len {
                        for n in [b'@', 0, b, b'0' + (pos % 10) as u8] {
                            let want = s[from..].iter().position(|&c| c == n).map(|p| from + p);
                            assert_eq!(find_byte_swar(&s, from, n), want, "{s:?} {from} {n}");
                        }
                        assert_eq!(
                            digit_run(&s, from),
                            digit_run_bytes(&s, from),
                            "{s:?} {from}"
                        );
                    }
                }
            }
        }
    }

    /// `same_bytes` is `==` on every pair of lengths to 20 and on every
    /// byte at every position of a value of every length to 20 (each
    /// against the value unchanged, so that every word and every overlap
    /// is tested for a difference in it).
    #[test]
    fn same_bytes_is_equality() {
        let base = b"user.address.city.zh";
        for n in 0..=base.len() {
            for m in 0..=base.len() {
                assert_eq!(same_bytes(&base[..n], &base[..m]), n == m, "{n} {m}");
            }
            for pos in 0..n {
                for b in 0..=255u8 {
                    let mut v = base[..n].to_vec();
                    v[pos] = b;
                    let want = v[..] == base[..n];
                    assert_eq!(same_bytes(&v, &base[..n]), want, "{v:?}");
                    assert_eq!(same_bytes(&base[..n], &v), want, "{v:?}");
                }
            }
        }
    }

    #[test]
    fn tail_word_holds_the_bytes_and_zeros() {
        let s = b"abcdefg";
        for at in 0..s.len() {
            let mut want = [0u8; 8];
            want[..s.len() - at].copy_from_slice(&s[at..]);
            assert_eq!(tail_word(s, at), u64::from_le_bytes(want), "{at}");
        }
    }

    #[test]
    fn swar_luhn_matches_the_reference_on_every_digit_and_length() {
        // Every length 0..=24, every digit at every position of a base
        // number, and every non-digit byte at every position.
        let base = b"798273987130412345678901";
        for n in 0..=base.len() {
            for pos in 0..n {
                for b in 0..=255u8 {
                    let mut s = base[..n].to_vec();
                    s[pos] = b;
                    assert_eq!(luhn(&s), luhn_reference(&s), "{s:?}");
                    assert_eq!(luhn_digits(&s).is_some(), s.iter().all(u8::is_ascii_digit));
                }
            }
        }
        assert!(luhn(b"4111111111111111") && luhn(b"79927398713"));
    }

    #[test]
    fn swar_digit_run_matches_the_byte_loop_on_every_byte() {
        // Each byte value at each position of a 17-digit run, from every
        // start: the SWAR test must stop exactly where the byte loop does
        // (bytes next to '0'..'9' in value, and those that carry, included).
        for b in 0..=255u8 {
            for pos in 0..17 {
                let mut s = b"12345678901234567".to_vec();
                s[pos] = b;
                for from in 0..=s.len() {
                    assert_eq!(
                        digit_run(&s, from),
                        digit_run_bytes(&s, from),
                        "{s:?} {from}"
                    );
                }
            }
        }
    }

    #[test]
    fn swar_alnum_run_matches_the_byte_loop_on_every_byte() {
        // Each byte value at each position of a 17-byte word of letters
        // and digits (the bytes around `0`–`9`, `A`–`Z`, `a`–`z` and those
        // with the high bit set included), from every start.
        let byte_loop = |s: &[u8], mut i: usize| {
            while i < s.len() && s[i].is_ascii_alphanumeric() {
                i += 1;
            }
            i
        };
        for b in 0..=255u8 {
            for pos in 0..17 {
                let mut s = b"aZ09zA9mM0b1Yy8Qq".to_vec();
                s[pos] = b;
                for from in 0..=s.len() {
                    assert_eq!(alnum_run(&s, from), byte_loop(&s, from), "{s:?} {from}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn luhn_matches_the_reference(
            s in proptest::collection::vec(
                proptest::prop_oneof![16 => b'0'..=b'9', 1 => proptest::prelude::any::<u8>()],
                0..40,
            ),
        ) {
            proptest::prop_assert_eq!(luhn(&s), luhn_reference(&s));
            proptest::prop_assert_eq!(luhn_digits(&s).is_some(), s.iter().all(u8::is_ascii_digit));
        }

        #[test]
        fn swar_digit_run_matches_the_byte_loop(
            s in proptest::collection::vec(
                proptest::prop_oneof![b'0'..=b'9', proptest::prelude::any::<u8>()],
                0..40,
            ),
            from in 0usize..40,
        ) {
            let from = from.min(s.len());
            proptest::prop_assert_eq!(digit_run(&s, from), digit_run_bytes(&s, from));
        }
    }

    #[test]
    fn dates() {
        assert!(valid_birth_date(2000, 2, 29));
        assert!(!valid_birth_date(1900, 2, 29));
        assert!(!valid_birth_date(1879, 12, 31));
        assert!(!valid_birth_date(1990, 13, 1));
        assert!(!valid_birth_date(9999, 1, 1));
        assert!(*TODAY > 20240101);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
