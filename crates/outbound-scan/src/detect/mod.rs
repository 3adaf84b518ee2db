//! Candidate extraction and validation.
//!
//! One forward pass over the bytes of a value (or a text line). ASCII
//! alphanumeric runs are the unit of work: a run is only inspected when it
//! starts after a non-alphanumeric byte and is consumed whole, so digits
//! embedded in a longer run of digits or letters never match (an 18-digit
//! ID inside a 20-digit order number is not an ID; a 13-digit millisecond
//! timestamp does not contain a mobile). Only runs whose shape fits some
//! kind (length, separators, `@`, `:`, `.`) reach a validator; validators
//! work on borrowed slices and stack buffers, so nothing is allocated per
//! value. Every emitted match has passed its kind's validator.
//!
//! Text is mostly what holds nothing, so the pass steps over it in the
//! largest pieces it can tell hold nothing: a run of Chinese characters
//! that start no plate and no keyword, a log line's timestamp or time of
//! day (`shapes::timestamp_end`, `time_end`), a word that is no keyword
//! and of no kind's length; the first stages settle a whole cell of a
//! table by its shape before the loop starts. The plain path
//! (`OUTBOUND_SCAN_PLAIN=1`) skips nothing by shape (neither the first
//! stages nor the times), so the differential tests compare the two; runs
//! of Chinese characters are walked alike on both, tested against a walk
//! character by character.

pub mod address;
pub mod bank_card;
pub mod dob;
pub mod email;
pub mod geo;
pub mod hints;
pub mod imei;
pub mod ip;
pub mod kv;
pub mod landline;
pub mod mac;
pub mod mobile;
pub mod name;
pub mod passport;
pub mod plate;
pub mod resident_id;
mod shapes;
mod tokens;
pub mod uscc;
pub mod util;

use crate::Kind;
use crate::scan::plain_path;
pub use hints::Hints;
use shapes::{
    ANY_MARK, AT, DIGIT, DOT, LETTER, MARKS, grouped_mobile, is_date_time, time_end, timestamp_end,
    whole_email,
};
pub use shapes::{holds_no_mark, holds_nothing_by_shape};
use tokens::{
    alnum_end, ascii_keyword_at, code_token, dotted, mac_or_v6, paren_landline, single_run, token,
};
use util::{alnum_at, digit_run};

/// Trims ASCII and ideographic whitespace and surrounding quotes.
pub fn trim(s: &[u8]) -> &[u8] {
    let mut a = 0;
    let mut b = s.len();
    while a < b && (s[a].is_ascii_whitespace()) {
        a += 1;
    }
    while b > a && (s[b - 1].is_ascii_whitespace()) {
        b -= 1;
    }
    &s[a..b]
}

/// What a field name (a CSV header cell, a JSON key) holds when it
/// is itself personal data: a kind found in it as in a value with no
/// hints, preferring one with a PI category (an organisation's code is
/// reported only when nothing else is), or [`Kind::PersonName`] for a
/// person's name ([`name::is_name_as_field_name`]). `None` for an ordinary
/// field name. The scanner masks such a name in its report and does not
/// take such a row for a header; the gate uses [`kind_of_field_name_strict`].
pub fn kind_of_field_name(name: &str) -> Option<Kind> {
    field_name_kind(name, false)
}

/// [`kind_of_field_name`] for the gate, which refuses a batch over an
/// undeclared such name: a word that starts with a surname is a field word
/// only by its ending (`余额`, `申请`). Words listed whole and place names
/// (`白天`, `许可`, `金华`) are also plausible people's names, so the gate
/// takes them for names; a data map that declares the field lets it pass.
pub fn kind_of_field_name_strict(name: &str) -> Option<Kind> {
    field_name_kind(name, true)
}

fn field_name_kind(name: &str, strict: bool) -> Option<Kind> {
    // Every kind found without hints holds a digit, `@` (e-mail), `:` or
    // `-` (IPv6, MAC); `.` is kept in case a MAC as `abcd.ef01.2345` is
    // ever read. A name is not ASCII. Most keys are ASCII words and are done in one pass over
    // their bytes, a table lookup each (JSON keys are checked in every
    // record, untrimmed).
    const MARKED: u8 = 1;
    const NOT_ASCII: u8 = 2;
    const SPACE: u8 = 4;
    const UNDERSCORE: u8 = 8;
    static CLASS: [u8; 256] = {
        let mut c = [0u8; 256];
        let mut b = 0;
        while b < 256 {
            let u = b as u8;
            c[b] = if u >= 0x80 {
                NOT_ASCII
            } else if u == b' ' {
                SPACE
            } else if u == b'_' {
                UNDERSCORE
            } else if u.is_ascii_digit() || matches!(u, b'@' | b':' | b'-' | b'.') {
                MARKED
            } else {
                0
            };
            b += 1;
        }
        c
    };
    let t = name.as_bytes();
    let class = t.iter().fold(0u8, |a, &b| a | CLASS[b as usize]);
    let mut found: Option<Kind> = None;
    if class & MARKED != 0 {
        scan_value(t, Hints::NONE, &mut |k, _, _| {
            if found.is_none_or(|f| f.category().is_none() && k.category().is_some()) {
                found = Some(k);
            }
        });
    }
    // A name has letters beyond ASCII or, in Latin script, a space or an
    // `_` between its words (`mary_johnson`): most keys have none and stop
    // here. (A snake-case key, `order_no`, goes on to the lists: JSON keys
    // come here once a batch through `Acc::key_kind`, not once a record.)
    found.or_else(|| {
        (class & (NOT_ASCII | SPACE | UNDERSCORE) != 0
            && name::name_as_field_name(name.trim(), strict))
        .then_some(Kind::PersonName)
    })
}

/// Scans one value (a CSV cell, a JSON string, a text line) and calls
/// `emit(kind, start, end)` for every validated match, `start..end` being
/// the byte span inside `s`.
///
/// With context-only hints (name/address/birth date/single coordinate) the
/// whole trimmed value is validated first; if it validates, it is one match
/// and the value is not scanned further.
#[inline]
pub fn scan_value<F: FnMut(Kind, usize, usize)>(s: &[u8], hints: Hints, emit: &mut F) {
    scan_value_path(s, hints, plain_path(), emit);
}

/// [`scan_value`] on the fast path (`plain = false`) or the plain one,
/// chosen by the caller: the scanner reads the switch once per run, not
/// once per cell (an atomic load and a test, 1 % of the instructions).
#[doc(hidden)]
#[inline(always)]
pub fn scan_value_path<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    hints: Hints,
    plain: bool,
    emit: &mut F,
) {
    // The digit-only first stage of `scan_text_path`, here too so that a
    // digit cell (most cells) makes one call, not two; context-only hints
    // validate the whole value first, so those take the full path.
    if !hints.context_only() {
        if s.first().is_some_and(u8::is_ascii_digit) && digit_run(s, 0) == s.len() && !plain {
            return single_run(s, 0, s.len(), hints, emit);
        }
        return scan_text_path(s, hints, false, plain, emit);
    }
    scan_value_full(s, hints, plain, emit);
}

/// [`scan_value`] with context-only hints.
fn scan_value_full<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    hints: Hints,
    plain: bool,
    emit: &mut F,
) {
    if hints.context_only() {
        let t = trim(s);
        let off = t.as_ptr() as usize - s.as_ptr() as usize;
        let end = off + t.len();
        if hints.has(Kind::DateOfBirth) && dob::is_valid(t) {
            return emit(Kind::DateOfBirth, off, end);
        }
        if hints.has(Kind::GeoCoordinate) && geo::is_valid_single(t) {
            return emit(Kind::GeoCoordinate, off, end);
        }
        // Most cells of a name column: a name read from the bytes, without
        // `from_utf8` (true only where the lines below accept it too).
        if hints.has(Kind::PersonName) && !plain && name::is_plain_cjk_name(t) {
            return emit(Kind::PersonName, off, end);
        }
        // Most cells of an address column, the same way (the name check
        // below comes first when a header asks for both).
        if hints.has(Kind::Address)
            && !hints.has(Kind::PersonName)
            && !plain
            && address::is_plain_cjk_address(t)
        {
            return emit(Kind::Address, off, end);
        }
        if let Ok(text) = std::str::from_utf8(t) {
            if hints.has(Kind::PersonName) && name::is_valid(text) {
                return emit(Kind::PersonName, off, end);
            }
            if hints.has(Kind::Address) && address::is_valid(text) {
                return emit(Kind::Address, off, end);
            }
        }
    }
    scan_text_path(s, hints, false, plain, emit);
}

/// Like [`scan_value`] for free text (no header): additionally looks for
/// keywords (`姓名:`, `name=`, `dob:` …) introducing context-only kinds.
pub fn scan_free_text<F: FnMut(Kind, usize, usize)>(s: &[u8], emit: &mut F) {
    scan_text(s, Hints::NONE, true, emit);
}

/// Bytes that can start a candidate. Everything else is skipped with one
/// table lookup.
static START: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'(' || c == b':' || (c >= 0xE4 && c <= 0xE9);
        b += 1;
    }
    t
};

/// The positions of `@` in a value, in order. Most values are short (a
/// CSV cell is tens of bytes), and for them a call into memchr's
/// runtime-dispatched SIMD search cost more than the search: the fast path
/// looks at 8 bytes at a time in a register (SWAR) and leaves values of 64
/// bytes and more to memchr. The plain path is memchr alone; both yield the
/// same positions.
struct Ats<'a> {
    s: &'a [u8],
    pos: usize,
    plain: bool,
}

impl<'a> Ats<'a> {
    fn new(s: &'a [u8], plain: bool) -> Self {
        Ats { s, pos: 0, plain }
    }

    /// Whether no `@` is left (a cheap test for short values; the
    /// iterator's position is unchanged).
    #[inline(always)]
    fn peek_none(&self) -> bool {
        !self.plain
            && self.s.len() - self.pos < 64
            && util::find_byte_swar(self.s, self.pos, b'@').is_none()
    }
}

impl Iterator for Ats<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let (s, i) = (self.s, self.pos);
        let found = if self.plain || s.len() - i >= 64 {
            memchr::memchr(b'@', &s[i..]).map(|p| i + p)
        } else {
            util::find_byte_swar(s, i, b'@')
        };
        self.pos = found.map_or(s.len(), |p| p + 1);
        found
    }
}

/// Finds the next valid e-mail whose `@` comes from `ats` and whose local
/// part starts at or after `min`. Expanding left from each `@` is cheaper
/// than checking every token for a following `@`.
fn next_email(s: &[u8], ats: &mut Ats<'_>, min: usize) -> Option<(usize, usize)> {
    for at in ats.by_ref() {
        if at < min {
            continue;
        }
        let floor = min.max(at.saturating_sub(65));
        let mut l = at;
        while l > floor && email::is_local_char(s[l - 1]) {
            l -= 1;
        }
        // Leading punctuation is not part of the address.
        while l < at && !s[l].is_ascii_alphanumeric() {
            l += 1;
        }
        if l == floor && floor > min {
            continue; // local part longer than 64 characters
        }
        if email::valid_local(&s[l..at]) {
            let dl = email::domain_len(&s[at + 1..]);
            if dl > 0 {
                return Some((l, at + 1 + dl));
            }
        }
    }
    None
}

/// The generic pass: structured identifiers found anywhere in `s`; with
/// `free`, also keyword-introduced context-only kinds (see [`kv`]).
pub fn scan_text<F: FnMut(Kind, usize, usize)>(s: &[u8], hints: Hints, free: bool, emit: &mut F) {
    scan_text_path(s, hints, free, plain_path(), emit);
}

/// [`scan_text`] on the fast path (`plain = false`) or the plain one; the
/// differential tests call both. The first stages are inlined into the
/// caller (a record's loop): most cells of a table are settled by them,
/// and a call into the general loop's frame cost more than they do.
#[doc(hidden)]
#[inline(always)]
pub fn scan_text_path<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    hints: Hints,
    free: bool,
    plain: bool,
    emit: &mut F,
) {
    // First stage: a value that is one run of ASCII digits (an ID, a
    // phone, a card, an order number, a timestamp: most cells of a
    // table) can only be what `single_run` says, and a plain decimal
    // nothing (below). The loop below would
    // find no `@`, start one token at 0, consume the run whole and, with
    // nothing after it, hand it to `single_run` (keywords need a letter):
    // the same matches without the `@` search, the loop and the token.
    // One SWAR pass tells; anything else takes the general loop.
    let n = s.len();
    // Every shape below starts with a digit or `+`; other values (text)
    // go to the loop without the tests.
    if !plain && n > 0 && (s[0].is_ascii_digit() || s[0] == b'+') {
        let d = digit_run(s, 0);
        if d == n {
            single_run(s, 0, n, hints, emit);
            return;
        }
        // A decimal and nothing else (`7830.42`, an amount): the loop would
        // take it whole to `dotted`, where one dot is neither an IPv4
        // address nor, with no second number after it, a coordinate pair.
        if d > 0 && s[d] == b'.' && d + 1 < n && digit_run(s, d + 1) == n {
            return;
        }
        if let Some((a, e)) = grouped_mobile(s, d) {
            return emit(Kind::CnMobile, a, e);
        }
        if d == 4 && is_date_time(s) {
            return;
        }
        // An IPv4 address (an octet, a dot, …): all of it, as the
        // digits-and-dots test below finds it, without the byte classes.
        if d <= 3 && s[d] == b'.' && ip::valid_v4(s) {
            return emit(Kind::Ipv4, 0, n);
        }
    }
    // A short value's bytes looked up once: whether it holds an `@`, and
    // whether it holds anything a kind needs at all (`Marks`).
    let short = !plain && n < 64;
    let marks = if !short {
        ANY_MARK
    } else if s.first().is_some_and(u8::is_ascii_alphabetic)
        && util::find_byte_swar(s, 0, b'@').is_some()
    {
        // Most likely an e-mail address: the tests below but the e-mail's
        // want no `@`, and a search for it eight bytes at a time is
        // cheaper than the table.
        AT
    } else {
        s.iter().fold(0u8, |a, &b| a | MARKS[b as usize])
    };
    if !free && marks & ANY_MARK == 0 {
        return;
    }
    if !free
        && short
        && marks & !(DIGIT | LETTER) == 0
        && s.first().is_some_and(u8::is_ascii_alphabetic)
    {
        // One word of letters and digits that starts with a letter (a
        // product or customer code): the loop's one token, a passport or
        // a credit code by its length, or nothing.
        if matches!(n, 8 | 9 | 18) {
            code_token(s, hints, emit);
        }
        return;
    }
    if short && marks & !(DIGIT | DOT) == 0 && s.first().is_some_and(u8::is_ascii_digit) {
        // Digits and dots alone, led by a number, a dot and a digit (an
        // IPv4 address; a lone decimal left the first stage): the loop's
        // first token goes to `dotted`, which takes the whole run; only
        // dots can be left after it. No letter, so no keyword either.
        let d = digit_run(s, 0);
        if s.get(d + 1).is_some_and(u8::is_ascii_digit) {
            // An address (what `dotted` would find, the trailing dots cut
            // off as it does) without its walk; anything else to it.
            let mut e = n;
            while s[e - 1] == b'.' {
                e -= 1;
            }
            if ip::valid_v4(&s[..e]) {
                emit(Kind::Ipv4, 0, e);
            } else {
                dotted(s, 0, emit);
            }
            return;
        }
    }
    let no_at = short && marks & AT == 0;
    if !no_at && !plain && whole_email(s) {
        return emit(Kind::Email, 0, n);
    }
    scan_loop(s, hints, free, plain, no_at, emit);
}

/// The general loop of [`scan_text_path`], for the values its first
/// stages did not settle; `no_at` when the value holds no `@`.
#[inline(never)]
fn scan_loop<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    hints: Hints,
    free: bool,
    plain: bool,
    no_at: bool,
    emit: &mut F,
) {
    let n = s.len();
    let mut ats = Ats::new(s, plain);
    let mut mail = if no_at {
        None
    } else {
        next_email(s, &mut ats, 0)
    };
    let mut i = 0;
    while i < n {
        let b = s[i];
        if !START[b as usize] {
            i += 1;
            continue;
        }
        if let Some((ms, me)) = mail
            && i >= ms
        {
            if i < me {
                emit(Kind::Email, ms, me);
                i = me;
            }
            mail = if ats.peek_none() {
                None
            } else {
                next_email(s, &mut ats, i)
            };
            continue;
        }
        if b.is_ascii_alphanumeric() {
            let (d, r) = alnum_end(s, i);
            // A log line's timestamp or time of day, where there is
            // nothing to find.
            if !plain
                && r == d
                && let Some(e) = match (d - i, s.get(d)) {
                    (4, Some(b'-')) => timestamp_end(s, i),
                    (2, Some(b':')) => time_end(s, i),
                    _ => None,
                }
            {
                i = e;
                continue;
            }
            if free && b.is_ascii_alphabetic() && (i == 0 || s[i - 1] != b'_') {
                ascii_keyword_at(s, i, r, emit);
            }
            i = token(s, i, d, r, hints, emit);
        } else if b == b':' {
            // An IPv6 literal that starts with `::` (`::ffff:c0a8:101`); the
            // same group rule as any other, so `::1` and `::` stay unreported.
            i = if s.get(i + 1) == Some(&b':')
                && (i == 0 || !(s[i - 1].is_ascii_alphanumeric() || s[i - 1] == b':'))
            {
                mac_or_v6(s, i, emit).unwrap_or(i + 2)
            } else {
                i + 1
            };
        } else if b == b'(' {
            i = match paren_landline(s, i) {
                Some(e) => {
                    emit(Kind::CnLandline, i, e);
                    e
                }
                None => i + 1,
            };
        } else {
            // Lead byte of a 3-byte UTF-8 sequence in U+4000..U+9FFF.
            if i + 3 <= n
                && let Some(c) = lead_e4_e9_char(s[i], s[i + 1], s[i + 2])
            {
                if !notable_cjk(c) {
                    i = plain_cjk_end(s, i + 3);
                    continue;
                }
                if plate::is_province(c)
                    && !alnum_at(s, i.wrapping_sub(1))
                    && let Some(e) = plate::match_at(s, i, 3)
                {
                    emit(Kind::CnLicensePlate, i, e);
                    i = e;
                    continue;
                }
                if free && let Some((k, e)) = kv::cjk_keyword(s, i) {
                    kv::handle(s, e, k, false, false, emit);
                    i = e;
                    continue;
                }
                i += 3;
                continue;
            }
            i += 1;
        }
    }
}

/// CJK characters U+4000–U+9FFF at which the loop has work: a plate's
/// province or the first character of a keyword. One bit each, built at
/// compile time from the two lists, so most characters of Chinese text
/// cost one load and a test, not two chains of compares. Indexed by the
/// code point over the whole plane of 3-byte characters (8 KiB, of which
/// the 3 KiB for U+4000–U+9FFF are ever read) so that an index computed
/// from any three bytes is in bounds without a test.
static NOTABLE_CJK: [u64; 1024] = {
    let mut t = [0u64; 1024];
    let mut cp = 0x4000u32;
    while cp < 0xA000 {
        if let Some(c) = char::from_u32(cp)
            && (plate::is_province(c) || kv::starts_keyword(c))
        {
            t[(cp / 64) as usize] |= 1 << (cp % 64);
        }
        cp += 1;
    }
    t
};

/// Whether the code point `cp` (below U+10000) is in [`NOTABLE_CJK`].
#[inline(always)]
fn notable_code(cp: usize) -> bool {
    NOTABLE_CJK[(cp >> 6) & 1023] >> (cp & 63) & 1 != 0
}

/// Whether `c` (U+4000–U+9FFF, as [`lead_e4_e9_char`] gives) is in
/// [`NOTABLE_CJK`].
#[inline(always)]
fn notable_cjk(c: char) -> bool {
    notable_code(c as usize)
}

/// Where the run of characters U+4000–U+9FFF from `i` that are not
/// [`notable_cjk`] ends: most of Chinese text, walked here with a few
/// tests a character (the lead, both continuation bytes at once, the
/// bit) instead of through every test of the loop and a `char` built
/// each time (40 instructions a character). An e-mail address found
/// ahead cannot be stepped into: it starts with an ASCII letter or
/// digit, and the run holds no ASCII.
#[inline(always)]
fn plain_cjk_end(s: &[u8], mut i: usize) -> usize {
    while let Some(&[a, b, c]) = s.get(i..i + 3)
        && a.wrapping_sub(0xE4) <= 0xE9 - 0xE4
        && let Some(cp) = e4_e9_code(a, b, c)
        && !notable_code(cp)
    {
        i += 3;
    }
    i
}

/// The code point of the 3-byte UTF-8 sequence `a b c` whose lead `a` is
/// 0xE4–0xE9, or `None` when `b` or `c` is not a continuation byte (both
/// tested at once): what [`lead_e4_e9_char`] and [`plain_cjk_end`] decode.
#[inline(always)]
fn e4_e9_code(a: u8, b: u8, c: u8) -> Option<usize> {
    if (u16::from(b) << 8 | u16::from(c)) & 0xC0C0 != 0x8080 {
        return None;
    }
    Some(usize::from(a & 0x0F) << 12 | usize::from(b & 0x3F) << 6 | usize::from(c & 0x3F))
}

/// The character of the 3-byte UTF-8 sequence `a b c` whose lead `a` is
/// 0xE4–0xE9 (U+4000–U+9FFF), or `None` when `b` or `c` is not a
/// continuation byte. For these leads every pair of continuation bytes is
/// well-formed (no overlong form, no surrogate), so this accepts exactly
/// what `str::from_utf8` accepts, without the call per character.
#[inline(always)]
pub(super) fn lead_e4_e9_char(a: u8, b: u8, c: u8) -> Option<char> {
    debug_assert!((0xE4..=0xE9).contains(&a));
    e4_e9_code(a, b, c).and_then(|cp| char::from_u32(cp as u32))
}

/// Convenience for tests and callers that want a list: all matches of a
/// value as (kind, span text) pairs.
pub fn find_all(s: &str, hints: Hints) -> Vec<(Kind, String)> {
    let mut v = Vec::new();
    scan_value(s.as_bytes(), hints, &mut |k, a, b| {
        v.push((k, s[a..b].to_string()))
    });
    v
}

/// Like [`find_all`] for free text with keyword context.
pub fn find_all_text(s: &str) -> Vec<(Kind, String)> {
    let mut v = Vec::new();
    scan_free_text(s.as_bytes(), &mut |k, a, b| {
        v.push((k, s[a..b].to_string()))
    });
    v
}

#[cfg(test)]
mod decode_tests {
    #[test]
    fn three_byte_decode_agrees_with_std_for_every_sequence() {
        for a in 0xE4..=0xE9u8 {
            for b in 0..=255u8 {
                for c in 0..=255u8 {
                    let std = std::str::from_utf8(&[a, b, c])
                        .ok()
                        .and_then(|s| s.chars().next());
                    assert_eq!(super::lead_e4_e9_char(a, b, c), std, "{a:x} {b:x} {c:x}");
                }
            }
        }
    }
}
#[cfg(test)]
mod fast_tests;
#[cfg(test)]
mod shape_tests;
#[cfg(test)]
mod tests;
