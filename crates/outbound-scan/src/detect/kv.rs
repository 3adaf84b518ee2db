//! Keyword context in free text: `姓名：张三`, `name=John Smith`,
//! `dob: 1990-01-31`, `地址:北京市…`, `卡号 6222…` (non-Luhn UnionPay),
//! `passport: D1234567`, `lat=39.9042`.
//!
//! Keywords are recognised inside the main pass (`scan_text` with
//! `free = true`): every ASCII word is already visited there, so checking it
//! against the keyword table costs a length test and a short compare, and
//! CJK keywords are checked only at their (few) possible first characters.
//! (A separate Aho-Corasick pass cost 30 % of the scan time on logs: the
//! keywords are made of common letters, so its prefilter rarely skips.)
//! The value after the keyword and a separator is then checked with the
//! context-only validators. ASCII keywords must be whole words (`_`
//! counts as part of a word) so `filename=` or `hostname:` are not names.

use super::{bank_card, dob, geo, name, passport, util};
use crate::Kind;

/// Writes [`ascii_keyword`] and [`ASCII_KEYWORDS`] from one list, so that
/// the quick test built from the list ([`may_be_keyword`]) never turns
/// away a word the look-up would take.
macro_rules! ascii_keywords {
    ($($kind:ident: $($word:literal)|+;)+) => {
        /// ASCII keywords (lower case; a "word" here may contain `_`).
        pub fn ascii_keyword(word: &[u8]) -> Option<Kind> {
            Some(match word {
                $($($word)|+ => Kind::$kind,)+
                _ => return None,
            })
        }

        /// Every word [`ascii_keyword`] takes.
        const ASCII_KEYWORDS: &[&[u8]] = &[$($($word),+),+];
    };
}

ascii_keywords! {
    PersonName: b"name" | b"full_name" | b"fullname" | b"first_name" | b"firstname"
        | b"last_name" | b"lastname" | b"customer_name" | b"contact_name" | b"real_name";
    Address: b"address" | b"addr" | b"home_address" | b"street";
    DateOfBirth: b"dob" | b"birth" | b"birthday" | b"birthdate" | b"birth_date"
        | b"date_of_birth";
    BankCard: b"card" | b"card_no" | b"cardno" | b"card_number" | b"bank_card";
    CnPassport: b"passport" | b"passport_no";
    GeoCoordinate: b"lat" | b"lng" | b"lon" | b"latitude" | b"longitude";
}

/// The longest ASCII keyword, in bytes.
pub(super) const ASCII_KEYWORD_MAX: usize = 16;

/// Bit `c - 'a'` of entry `n`: some keyword of `n` bytes starts with the
/// letter `c`.
static KEYWORD_STARTS: [u32; ASCII_KEYWORD_MAX + 1] = {
    let mut t = [0u32; ASCII_KEYWORD_MAX + 1];
    let mut k = 0;
    while k < ASCII_KEYWORDS.len() {
        let w = ASCII_KEYWORDS[k];
        t[w.len()] |= 1 << (w[0] - b'a');
        k += 1;
    }
    t
};

/// Whether a word of `len` bytes that starts with the ASCII letter `first`
/// (either case) may be a keyword: most words of a log line are not, and
/// are turned away here before they are copied, lower-cased and looked up.
#[inline(always)]
pub(super) fn may_be_keyword(first: u8, len: usize) -> bool {
    len <= ASCII_KEYWORD_MAX
        && KEYWORD_STARTS[len] >> ((first | 0x20).wrapping_sub(b'a') & 31) & 1 != 0
}

pub(super) const CJK_KEYWORDS: &[(&str, Kind)] = &[
    ("姓名", Kind::PersonName),
    ("名字", Kind::PersonName),
    ("联系人", Kind::PersonName),
    ("收件人", Kind::PersonName),
    ("收货人", Kind::PersonName),
    ("持卡人", Kind::PersonName),
    ("地址", Kind::Address),
    ("住址", Kind::Address),
    ("出生日期", Kind::DateOfBirth),
    ("出生", Kind::DateOfBirth),
    ("生日", Kind::DateOfBirth),
    ("卡号", Kind::BankCard),
    ("银行卡号", Kind::BankCard),
    ("银行卡", Kind::BankCard),
    ("护照号", Kind::CnPassport),
    ("护照", Kind::CnPassport),
    ("纬度", Kind::GeoCoordinate),
    ("经度", Kind::GeoCoordinate),
];

/// Whether some CJK keyword starts with `c` (compile-time use: the
/// scanner's loop asks a bitset built from this, `NOTABLE_CJK`).
pub(super) const fn starts_keyword(c: char) -> bool {
    let mut k = 0;
    while k < CJK_KEYWORDS.len() {
        // Every keyword starts with a 3-byte character.
        let b = CJK_KEYWORDS[k].0.as_bytes();
        let first =
            ((b[0] as u32 & 0x0F) << 12) | ((b[1] as u32 & 0x3F) << 6) | (b[2] as u32 & 0x3F);
        if first == c as u32 {
            return true;
        }
        k += 1;
    }
    false
}

/// A CJK keyword starting at `s[i]` (the caller asks only at characters
/// that may start one, from a bitset built with [`starts_keyword`]).
/// Returns the kind and the keyword's end.
#[inline]
pub fn cjk_keyword(s: &[u8], i: usize) -> Option<(Kind, usize)> {
    // Longest first: the table lists longer keywords before their prefixes.
    CJK_KEYWORDS
        .iter()
        .find(|(k, _)| s[i..].starts_with(k.as_bytes()))
        .map(|(k, kind)| (*kind, i + k.len()))
}

const FULLWIDTH_COLON: &[u8] = "：".as_bytes();

/// Skips separators after a keyword; requires at least one for ASCII
/// keywords. Returns the value start.
fn skip_sep(s: &[u8], mut j: usize, ascii: bool) -> Option<usize> {
    let start = j;
    loop {
        match s.get(j) {
            Some(b' ' | b':' | b'=' | b'"' | b'\'' | b'\t') => j += 1,
            Some(_) if s[j..].starts_with(FULLWIDTH_COLON) => j += FULLWIDTH_COLON.len(),
            _ => break,
        }
        if j - start > 8 {
            return None;
        }
    }
    (j > start || !ascii).then_some(j)
}

/// The longest a keyword's value is looked at, in bytes.
const VALUE_MAX: usize = 300;

/// The ASCII bytes that end a value (not space).
const ENDS: [u8; 12] = *b",;\"'&\t|\n}])\r";

/// The first bytes of `，` and `；` (EF) and of `。` (E3), which end a
/// value when the rest of the character follows.
const CJK_LEADS: [u8; 2] = [0xEF, 0xE3];

/// The bytes [`value_end`] has to look at: [`ENDS`] and [`CJK_LEADS`].
const CANDIDATES: [u8; 14] = {
    let mut c = [0u8; 14];
    let mut k = 0;
    while k < ENDS.len() {
        c[k] = ENDS[k];
        k += 1;
    }
    c[12] = CJK_LEADS[0];
    c[13] = CJK_LEADS[1];
    c
};

/// What a byte says about a value's end: 1, one of [`ENDS`]; 2, one of
/// [`CJK_LEADS`]; 0, neither.
static STOP: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut k = 0;
    while k < CANDIDATES.len() {
        t[CANDIDATES[k] as usize] = if k < ENDS.len() { 1 } else { 2 };
        k += 1;
    }
    t
};

/// End of a value: the next delimiter (not space), the CJK comma,
/// semicolon or full stop, or [`VALUE_MAX`] + 1 bytes on. A log line often
/// has no delimiter, so the value after `name=` runs to the line's end:
/// testing each byte against the delimiters and three CJK prefixes in
/// turn was a third of a log's scan. Sixteen bytes are now compared with
/// the candidates at once, and a candidate is told by one table look-up.
fn value_end(s: &[u8], j: usize) -> usize {
    let end = s.len().min(j + VALUE_MAX + 1);
    let mut e = j;
    while e < end {
        // Sixteen bytes at a time to the next byte the table has to see.
        if let Some(v) = s.get(e..e + 16).filter(|_| e + 16 <= end) {
            let mut block = [0u8; 16];
            block.copy_from_slice(v);
            let m = crate::blocks::mask_any16(&block, CANDIDATES);
            if m == 0 {
                e += 16;
                continue;
            }
            e += m.trailing_zeros() as usize;
        }
        match STOP[usize::from(s[e])] {
            0 => {}
            1 => return e,
            _ => {
                let rest = &s[e..];
                if rest.starts_with("，".as_bytes())
                    || rest.starts_with("；".as_bytes())
                    || rest.starts_with("。".as_bytes())
                {
                    return e;
                }
            }
        }
        e += 1;
    }
    e
}

/// Checks the value after a keyword ending at `b` and emits it if it
/// validates as the keyword's kind. `generic` marks the bare English word
/// `name`, which in configs, code and docs mostly names things, not
/// people: after it only Chinese personal names (surname list) count.
pub fn handle<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    b: usize,
    kind: Kind,
    ascii: bool,
    generic: bool,
    emit: &mut F,
) {
    {
        let Some(j) = skip_sep(s, b, ascii) else {
            return;
        };
        let e = value_end(s, j);
        let v = super::trim(&s[j..e]);
        if v.is_empty() {
            return;
        }
        let vs = j + (v.as_ptr() as usize - s[j..].as_ptr() as usize);
        match kind {
            Kind::PersonName => {
                // The value often runs to the line's end: checked by SIMD
                // on the fast path (a quarter of a log's keyword work).
                let Some(t) = crate::scan::as_utf8(v) else {
                    return;
                };
                if generic && t.chars().next().is_none_or(|c| c.is_ascii()) {
                    return;
                }
                if name::is_valid(t) {
                    emit(Kind::PersonName, vs, vs + v.len());
                } else if let Some(w) = t.split_whitespace().next()
                    && name::is_valid(w)
                {
                    emit(Kind::PersonName, vs, vs + w.len());
                } else if let Some((cut, _)) = t.char_indices().nth(4) {
                    // `姓名张三手机…` without a delimiter: try 2–4 chars.
                    for n in (2..=4).rev() {
                        let end = t.char_indices().nth(n).map_or(cut, |(i, _)| i);
                        if name::is_valid(&t[..end]) {
                            emit(Kind::PersonName, vs, vs + end);
                            break;
                        }
                    }
                }
            }
            Kind::Address => {
                if let Some(t) = crate::scan::as_utf8(v)
                    && super::address::is_valid_in_text(t)
                {
                    emit(Kind::Address, vs, vs + v.len());
                }
            }
            Kind::DateOfBirth => {
                if let Some((y, mo, d, end)) = dob::parse(v)
                    && util::valid_birth_date(y, mo, d)
                    && !util::alnum_at(v, end)
                {
                    emit(Kind::DateOfBirth, vs, vs + end);
                }
            }
            Kind::BankCard => {
                // Only the UnionPay exception: Luhn-valid cards were already
                // found by the generic pass.
                let mut buf = [0u8; 19];
                let mut n = 0;
                let mut k = 0;
                while k < v.len()
                    && n < 19
                    && (v[k].is_ascii_digit() || v[k] == b' ' || v[k] == b'-')
                {
                    if v[k].is_ascii_digit() {
                        buf[n] = v[k];
                        n += 1;
                    }
                    k += 1;
                }
                if !util::alnum_at(v, k)
                    && !util::luhn(&buf[..n])
                    && bank_card::is_valid(&buf[..n], true)
                {
                    emit(Kind::BankCard, vs, vs + k);
                }
            }
            Kind::CnPassport => {
                let r = util::alnum_run(v, 0);
                if passport::is_valid(&v[..r], true) && !passport::is_valid(&v[..r], false) {
                    emit(Kind::CnPassport, vs, vs + r);
                }
            }
            Kind::GeoCoordinate => {
                if let Some((_, end, p)) = geo::parse_decimal(v, 0)
                    && p >= 4
                    && !util::alnum_at(v, end)
                    && geo::match_pair(v, 0).is_none()
                {
                    emit(Kind::GeoCoordinate, vs, vs + end);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every keyword passes the quick test in either case, and is taken by
    /// the look-up; words the quick test turns away include common ones.
    #[test]
    fn the_quick_test_keeps_every_keyword() {
        for w in ASCII_KEYWORDS {
            assert!(w.len() <= ASCII_KEYWORD_MAX && w.len() >= 3, "{w:?}");
            assert!(ascii_keyword(w).is_some(), "{w:?}");
            assert!(may_be_keyword(w[0], w.len()), "{w:?}");
            assert!(may_be_keyword(w[0].to_ascii_uppercase(), w.len()), "{w:?}");
        }
        for w in [
            &b"INFO"[..],
            b"order",
            b"ts",
            b"id",
            b"tel",
            b"mail",
            b"user",
            b"example",
            b"T08",
        ] {
            assert!(!may_be_keyword(w[0], w.len()), "{w:?}");
            assert!(ascii_keyword(&w.to_ascii_lowercase()).is_none());
        }
    }

    /// `value_end` as first written (each byte against the delimiters and
    /// the three CJK prefixes in turn): the reference.
    fn value_end_ref(s: &[u8], j: usize) -> usize {
        let mut e = j;
        while e < s.len() {
            let b = s[e];
            if matches!(
                b,
                b',' | b';'
                    | b'"'
                    | b'\''
                    | b'&'
                    | b'\t'
                    | b'|'
                    | b'\n'
                    | b'}'
                    | b']'
                    | b')'
                    | b'\r'
            ) {
                break;
            }
            if s[e..].starts_with("，".as_bytes())
                || s[e..].starts_with("；".as_bytes())
                || s[e..].starts_with("。".as_bytes())
            {
                break;
            }
            e += 1;
            if e - j > 300 {
                break;
            }
        }
        e
    }

    /// Every start of generated lines of delimiters, CJK punctuation and
    /// its look-alikes (other characters sharing a first byte, cut
    /// prefixes), and runs around the 301-byte bound.
    #[test]
    fn value_end_agrees_with_the_byte_loop() {
        let pieces: [&[u8]; 16] = [
            b"a",
            b" ",
            b",",
            b";",
            b"\"",
            b"'",
            b"&",
            b"\t",
            b"|",
            b"\n",
            b"}",
            b"])\r",
            "，；。".as_bytes(),
            "，".as_bytes(),
            "ｅ〇".as_bytes(),
            b"\xEF\xBC",
        ];
        let mut rng = crate::corpus::Rng::new(52);
        let mut ends = 0;
        for _ in 0..1_000 {
            let mut s = Vec::new();
            let n = rng.below(40) as usize;
            for _ in 0..n {
                let p = pieces[rng.below(pieces.len() as u64) as usize];
                // Long runs of a plain byte now and then: the 301-byte bound.
                let times = if rng.below(8) == 0 {
                    1 + rng.below(320) as usize
                } else {
                    1
                };
                for _ in 0..times {
                    s.extend_from_slice(p);
                }
            }
            for j in 0..=s.len() {
                let e = value_end(&s, j);
                assert_eq!(
                    e,
                    value_end_ref(&s, j),
                    "{:?} at {j}",
                    String::from_utf8_lossy(&s)
                );
                ends += usize::from(e == j + VALUE_MAX + 1);
            }
        }
        assert!(ends > 100, "the bound was reached {ends} times");
        // Every byte value at every place of a short value.
        for b in 0..=255u8 {
            for at in 0..6 {
                let mut s = b"abcdef".to_vec();
                s[at] = b;
                for j in 0..s.len() {
                    assert_eq!(value_end(&s, j), value_end_ref(&s, j), "{b:#x} at {at}");
                }
            }
        }
    }
}
