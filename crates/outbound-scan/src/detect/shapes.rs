//! Whole-value shapes the first stages of [`super::scan_text_path`]
//! settle without the general loop: the class of each byte of a short
//! value ([`MARKS`]), a mobile in its two written layouts, a date and
//! time, one e-mail address and nothing else. Each says what the loop
//! would find in such a value (the argument is in each doc comment), and
//! `fast_tests` checks that the loop agrees. The early exits a table's
//! cell takes before its match callback is built (`holds_no_mark`,
//! `holds_nothing_by_shape`) are tested in `shape_tests`.

use super::bank_card;
use super::util::{self, digit_run};
use super::{email, mobile};

/// A byte of a value that some kind needs (`MARKS`): a digit, `@`, `:`
/// or `-` (IPv6 and MAC addresses of hex letters) and `(`. Every kind the
/// loop can find without keywords holds one: e-mail an `@`; phones, IDs,
/// cards, IPv4, coordinates, passports (a letter and digits), credit
/// codes (a six-digit region) and plates (three digits or more after the
/// province) digits; MAC and IPv6 `:` or `-`. A short value with none
/// (`active`, `true`, `n/a`, `广东省`, `男`) is passed over after one
/// look-up a byte; free text still goes on to its keywords.
pub(super) const DIGIT: u8 = 1;
/// `@` among [`MARKS`].
pub(super) const AT: u8 = 2;
/// `:`, `-` or `(` among [`MARKS`].
pub(super) const OTHER_MARK: u8 = 4;
/// Any of [`MARKS`] some kind needs.
pub(super) const ANY_MARK: u8 = DIGIT | AT | OTHER_MARK;
/// `.` in [`MARKS`].
pub(super) const DOT: u8 = 8;
/// An ASCII letter in [`MARKS`].
pub(super) const LETTER: u8 = 16;
/// Any other byte in [`MARKS`]: a space, other punctuation, a byte
/// beyond ASCII.
pub(super) const OTHER: u8 = 32;

/// The class of each byte for the pass over a short value (see
/// [`DIGIT`]).
pub(super) static MARKS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c == b'@' {
            AT
        } else if c.is_ascii_digit() {
            DIGIT
        } else if matches!(c, b':' | b'-' | b'(') {
            OTHER_MARK
        } else if c == b'.' {
            DOT
        } else if c.is_ascii_alphabetic() {
            LETTER
        } else {
            OTHER
        };
        b += 1;
    }
    t
};

/// Whether a cell of 1 to 16 bytes has no byte from `(` to `@`
/// (0x28–0x40): no digit, `@`, `:`, `-` or `(`, so none of [`ANY_MARK`]
/// (the range holds a few more, `+ , . / ; < = > ?`, which only send a
/// value on to the checks). Read with hints that are not context-only and
/// not as free text, such a value holds nothing ([`DIGIT`]'s argument):
/// `scan_text_path`'s first stage needs a digit or `+` first, and its
/// class pass then returns. The caller (a table's cell) stops here,
/// before the match callback is even built: a table's words (`active`,
/// `男`, `广东省`, `wechat`) cost a test of their first byte and one or two
/// words (SWAR), where the class pass cost a loop whose exit the
/// predictor missed. A value led by a digit fails on its first byte.
#[inline(always)]
pub fn holds_no_mark(s: &[u8]) -> bool {
    const H: u64 = 0x8080_8080_8080_8080;
    // The first byte first: most cells of a table that hold something
    // start with a digit.
    let n = s.len();
    if s.first().is_none_or(|b| (0x28..=0x40).contains(b)) || n > 16 {
        return false;
    }
    // A byte of 0x28–0x40: its low seven bits are at least 0x28 and not
    // at least 0x41, and its high bit is clear. (Zeros above a short
    // value: no byte of the range.)
    util::words_pass(s, |w, _| {
        let x = w & !H;
        util::bytes_at_least(x, 0x28) & !util::bytes_at_least(x, 0x41) & !w & H == 0
    })
}

/// Whether a cell's shape alone says it holds nothing:
///
/// - a date, or a date and time (`2024-05-01 12:00:00`, `is_date_time`);
/// - a plain decimal (`7830.42`);
/// - a number no kind takes: not of 11, 15 or 18 digits (mobiles; IDs,
///   IMEIs, credit codes), and of 13 to 19 only without a card network's
///   prefix for its length, nor `86` and a mobile (a count, a postcode, a
///   millisecond timestamp, a 20-digit order number);
/// - a code: ASCII letters and digits led by a letter (`CU0001000000`,
///   `SKU42`), up to 16 bytes but not 8 or 9 (a passport's lengths; a
///   credit code's 18 is past 16).
///
/// Read with hints that are not context-only and not as free text, the
/// value path returns on each without a match whatever the hints (such a
/// number matches nothing in `single_run`; a decimal stops right after its
/// digit run; a date after the grouped-mobile layouts, which no date fits;
/// a code at the class pass: no `@`, no mark but digits), and none is a
/// card- or mobile-shaped miss (those are digits alone, a mobile's 11 or
/// with a card network's prefix). A table's cell stops here, before the
/// match callback is built, the value path's prelude, its digit runs and
/// the mobile layouts: a timestamp column's cell cost 190 instructions,
/// its shape test 30. Tested against the value path on every hint set
/// (`shape_tests::values_told_by_shape_hold_nothing`).
#[inline(always)]
pub fn holds_nothing_by_shape(s: &[u8]) -> bool {
    let n = s.len();
    match s.first() {
        Some(b) if b.is_ascii_alphabetic() => return is_code(s),
        Some(b) if b.is_ascii_digit() => {}
        _ => return false,
    }
    let d = util::digit_run(s, 0);
    if d == n {
        return match n {
            11 | 15 | 18 => false,
            // `86` and a mobile.
            13 if s[0] == b'8' => false,
            13..=19 => !bank_card::iin_ok(s),
            _ => true,
        };
    }
    if d == 4 && matches!(n, 10 | 16 | 19) && is_date_time(s) {
        return true;
    }
    d + 1 < n && s[d] == b'.' && util::digit_run(s, d + 1) == n
}

/// Whether `s` is a code as [`holds_nothing_by_shape`] reads one (led by
/// a letter, which the caller has seen): every byte an ASCII letter or
/// digit, tested a word at a time.
#[inline(always)]
fn is_code(s: &[u8]) -> bool {
    const L: u64 = 0x0101_0101_0101_0101;
    const H: u64 = 0x8080_8080_8080_8080;
    let n = s.len();
    if n > 16 || n == 8 || n == 9 {
        return false;
    }
    // High bits set at the value's bytes (`valid`) that are letters or
    // digits.
    util::words_pass(s, |w, valid| {
        let low = w & !H;
        let digit = util::bytes_at_least(low, 0x30) & !util::bytes_at_least(low, 0x3A);
        // Upper case folded into lower: only `A`–`Z` and `a`–`z` land in `a`–`z`.
        let folded = low | (0x20 * L);
        let letter = util::bytes_at_least(folded, 0x61) & !util::bytes_at_least(folded, 0x7B);
        (digit | letter) & !w & valid == valid
    })
}

/// The two common written layouts of a mobile number, when the value is
/// one of them and nothing else and the number is valid: `+86 1xxxxxxxxxx`
/// (the loop skips the `+`, and `groups` joins `86` and the 11 digits:
/// a mobile from 1 to the end) and `1xx-xxxx-xxxx` (the loop's token stops
/// at the first dash, `mac_or_v6` finds no address in three digits, and
/// `groups` joins the 3-4-4 groups: a mobile over the whole value). The
/// span the loop would emit, or `None` (then the loop decides). `d` is
/// where the value's leading digits end.
#[inline]
pub(super) fn grouped_mobile(s: &[u8], d: usize) -> Option<(usize, usize)> {
    match s.len() {
        15 if d == 0 && s.starts_with(b"+86 ") && digit_run(s, 4) == 15 => {
            mobile::is_valid(&s[4..]).then_some((1, 15))
        }
        13 if d == 3
            && s[3] == b'-'
            && s[8] == b'-'
            && digit_run(s, 4) == 8
            && digit_run(s, 9) == 13 =>
        {
            let mut m = [0u8; 11];
            m[..3].copy_from_slice(&s[..3]);
            m[3..7].copy_from_slice(&s[4..8]);
            m[7..].copy_from_slice(&s[9..]);
            mobile::is_valid(&m).then_some((0, 13))
        }
        _ => None,
    }
}

/// Whether `s` is a date, `dddd-dd-dd`, alone or followed by a time,
/// ` dd:dd` or ` dd:dd:dd`, whatever the digits: a timestamp column's
/// every cell. The loop finds nothing in one (tested on random digits):
/// the date's groups (4-2-2, then 2-2 and 2-2 across the space) are no
/// mobile (3-4-4 or 86 and 11 digits), no landline (a local number has
/// 7 or 8 digits), no card (groups of four) and no ID (6-8-4); no group
/// is followed by a MAC's six pairs; the time's `dd:dd:dd` is no IPv6
/// (fewer than eight groups, no `::`); no run is long enough for a kind
/// of its own; there is no letter for a keyword, no `@`, no ideograph.
///
/// Eight bytes at a time ([`Shape8`]): a timestamp column is a million
/// cells, and the byte-by-byte version cost a tenth of them again.
#[inline]
pub(super) fn is_date_time(s: &[u8]) -> bool {
    const DATE: Shape8 = Shape8::of(b"dddd-dd-");
    const DAY: Shape8 = Shape8::of(b"dd-dd-dd");
    const DAY_HOUR: Shape8 = Shape8::of(b"dd dd:dd");
    const SECONDS: Shape8 = Shape8::of(b"dd:dd:dd");
    let at = |i: usize| util::word(s, i);
    match s.len() {
        10 => DATE.is(at(0)) && DAY.is(at(2)),
        16 => DATE.is(at(0)) && DAY_HOUR.is(at(8)),
        19 => DATE.is(at(0)) && DAY_HOUR.is(at(8)) && SECONDS.is(at(11)),
        _ => false,
    }
}

/// The end of an ISO 8601 timestamp at `i` in text, `dddd-dd-ddTdd:dd:dd`
/// (or a space for the `T`), with what [`time_end`] takes after it;
/// `None` otherwise. A log line starts with one, and the loop took 1,500
/// instructions to find nothing in it: besides what [`is_date_time`] says
/// of the date, nothing is there to find.
#[inline]
pub(super) fn timestamp_end(s: &[u8], i: usize) -> Option<usize> {
    const DATE: Shape8 = Shape8::of(b"dddd-dd-");
    const DAY_T: Shape8 = Shape8::of(b"ddTdd:dd");
    const DAY_HOUR: Shape8 = Shape8::of(b"dd dd:dd");
    if s.len() < i + 16 {
        return None;
    }
    let at = |k: usize| util::word(s, k);
    if !(DATE.is(at(i)) && (DAY_T.is(at(i + 8)) || DAY_HOUR.is(at(i + 8)))) {
        return None;
    }
    time_end(s, i + 11)
}

/// The end of a time of day at `t` in text, `dd:dd:dd`, with a fraction
/// of a second, `Z` or an offset (`+08:00`), when a byte that ends a token
/// follows it (the text's end, white space, a quote, a closing bracket,
/// `,` `;` `|`); `None` otherwise: a syslog line's `Nov 23 08:00:00`, an
/// access log's `[23/Nov/2026:08:00:00 +0800]`, an ISO timestamp's end.
/// Nothing is there to find, and nothing the loop does inside it reaches
/// past its end: a MAC or IPv6 address would need a `:` or a hex digit
/// where the end is (one that begins before the time was tried where it
/// begins); the seconds begin with 0–6 so that, followed by a space and
/// digits, they are no `86` of a mobile (the one kind whose digit groups
/// may start with two); and a fraction is taken only when it cannot
/// start a coordinate pair: at most three digits (a coordinate has four
/// or more), or a `Z` or an offset right after it. The fast and plain
/// paths are compared on times of every shape, their near misses and what
/// comes before and after them.
#[inline]
pub(super) fn time_end(s: &[u8], t: usize) -> Option<usize> {
    const SECONDS: Shape8 = Shape8::of(b"dd:dd:dd");
    if s.len() < t + 8 || !SECONDS.is(util::word(s, t)) || s[t + 6] > b'6' {
        return None;
    }
    let mut e = t + 8;
    let mut places = 0;
    if s.get(e) == Some(&b'.') {
        let f = util::digit_run(s, e + 1);
        places = f - e - 1;
        if !(1..=9).contains(&places) {
            return None;
        }
        e = f;
    }
    let zone = match s.get(e) {
        Some(b'Z') => 1,
        Some(b'+' | b'-')
            if s.get(e + 1..e + 6).is_some_and(|o| {
                o[0].is_ascii_digit()
                    && o[1].is_ascii_digit()
                    && o[2] == b':'
                    && o[3].is_ascii_digit()
                    && o[4].is_ascii_digit()
            }) =>
        {
            6
        }
        _ => 0,
    };
    if places > 3 && zone == 0 {
        return None;
    }
    e += zone;
    match s.get(e) {
        None
        | Some(
            b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b']' | b')' | b'}' | b',' | b';' | b'|',
        ) => Some(e),
        _ => None,
    }
}

/// The shape of eight bytes, each an ASCII digit (`d` in the pattern) or
/// one given byte, tested on a word at once: the given bytes by a mask
/// and a compare, the digits by their high nibble (3) and their low one
/// (at most 9: adding 6 leaves bit 4 clear; no byte's sum carries into
/// the next).
#[derive(Clone, Copy)]
struct Shape8 {
    /// 0xFF at each digit.
    digits: u64,
    /// 0xFF at each given byte.
    given_mask: u64,
    /// The given bytes, 0 elsewhere.
    given: u64,
}

impl Shape8 {
    const fn of(pattern: &[u8; 8]) -> Shape8 {
        let (mut digits, mut given_mask, mut given) = (0u64, 0u64, 0u64);
        let mut i = 0;
        while i < 8 {
            if pattern[i] == b'd' {
                digits |= 0xFF << (8 * i);
            } else {
                given_mask |= 0xFF << (8 * i);
                given |= (pattern[i] as u64) << (8 * i);
            }
            i += 1;
        }
        Shape8 {
            digits,
            given_mask,
            given,
        }
    }

    #[inline(always)]
    fn is(self, w: u64) -> bool {
        const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
        const LOW: u64 = 0x0F0F_0F0F_0F0F_0F0F;
        const THREES: u64 = 0x3030_3030_3030_3030;
        const SIXES: u64 = 0x0606_0606_0606_0606;
        const FOURTH: u64 = 0x1010_1010_1010_1010;
        w & self.given_mask == self.given
            && w & HIGH & self.digits == THREES & self.digits
            && ((w & LOW) + SIXES) & FOURTH & self.digits == 0
    }
}

/// Whether `s` is one e-mail address and nothing else, in which case the
/// general loop emits exactly that one match: it starts with a letter or
/// digit (the loop's first candidate is at 0, and `next_email` keeps the
/// local part from 0), its first `@` is at most 64 bytes in (so
/// `next_email` looks back to 0), the part before is a valid local part
/// and the rest, not empty, a valid domain to the end. An e-mail column's cells skip
/// the look back from the `@`, the loop and the search for another `@`.
/// Values up to 64 bytes are judged from class masks
/// ([`email::whole_by_masks`]), longer ones by [`whole_email_bytes`].
#[inline]
pub(super) fn whole_email(s: &[u8]) -> bool {
    email::whole_by_masks(s).unwrap_or_else(|| whole_email_bytes(s))
}

/// [`whole_email`] a byte at a time: for values over 64 bytes, and the
/// reference of the mask version in the tests.
#[inline(never)]
pub(super) fn whole_email_bytes(s: &[u8]) -> bool {
    // The `@` is looked for where it may be, in the first 65 bytes (one
    // call of memchr): a log line's first `@` is far in or nowhere, and
    // the search to it, eight bytes at a time, cost a thirtieth of the
    // line's scan.
    s.first().is_some_and(u8::is_ascii_alphanumeric)
        && memchr::memchr(b'@', &s[..s.len().min(65)]).is_some_and(|at| {
            at <= 64
                && email::valid_local(&s[..at])
                && at + 1 < s.len()
                && email::domain_len(&s[at + 1..]) == s.len() - at - 1
        })
}
