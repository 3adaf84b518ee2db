//! Keyword context in free text: `姓名：张三`, `name=John Smith`,
//! `dob: 1990-01-31`, `地址:北京市…`, `卡号 6222…` (non-Luhn UnionPay),
//! `passport: D1234567`, `lat=39.9042`.
//!
//! One Aho-Corasick pass finds the keywords (its prefilter skips text
//! without them quickly); the value after the keyword and a separator is
//! then checked with the context-only validators. ASCII keywords must be
//! whole words so `filename=` or `hostname:` do not count as names.

use super::{bank_card, dob, geo, name, passport, util};
use crate::Kind;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::sync::LazyLock;

const KEYWORDS: &[(&str, Kind)] = &[
    ("name", Kind::PersonName),
    ("full_name", Kind::PersonName),
    ("fullname", Kind::PersonName),
    ("first_name", Kind::PersonName),
    ("last_name", Kind::PersonName),
    ("customer_name", Kind::PersonName),
    ("姓名", Kind::PersonName),
    ("名字", Kind::PersonName),
    ("联系人", Kind::PersonName),
    ("收件人", Kind::PersonName),
    ("收货人", Kind::PersonName),
    ("持卡人", Kind::PersonName),
    ("address", Kind::Address),
    ("addr", Kind::Address),
    ("地址", Kind::Address),
    ("住址", Kind::Address),
    ("dob", Kind::DateOfBirth),
    ("birth", Kind::DateOfBirth),
    ("birthday", Kind::DateOfBirth),
    ("birthdate", Kind::DateOfBirth),
    ("birth_date", Kind::DateOfBirth),
    ("date_of_birth", Kind::DateOfBirth),
    ("date of birth", Kind::DateOfBirth),
    ("出生日期", Kind::DateOfBirth),
    ("出生", Kind::DateOfBirth),
    ("生日", Kind::DateOfBirth),
    ("card", Kind::BankCard),
    ("card_no", Kind::BankCard),
    ("cardno", Kind::BankCard),
    ("卡号", Kind::BankCard),
    ("银行卡", Kind::BankCard),
    ("passport", Kind::CnPassport),
    ("护照", Kind::CnPassport),
    ("lat", Kind::GeoCoordinate),
    ("lng", Kind::GeoCoordinate),
    ("lon", Kind::GeoCoordinate),
    ("latitude", Kind::GeoCoordinate),
    ("longitude", Kind::GeoCoordinate),
    ("纬度", Kind::GeoCoordinate),
    ("经度", Kind::GeoCoordinate),
];

static AC: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(KEYWORDS.iter().map(|(k, _)| k))
        .expect("static keyword set")
});

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

/// End of a value: the next delimiter (not space).
fn value_end(s: &[u8], j: usize) -> usize {
    let mut e = j;
    while e < s.len() {
        let b = s[e];
        if matches!(
            b,
            b',' | b';' | b'"' | b'\'' | b'&' | b'\t' | b'|' | b'\n' | b'}' | b']' | b')' | b'\r'
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

/// Finds context-only kinds introduced by keywords in free text.
pub fn scan_keywords<F: FnMut(Kind, usize, usize)>(s: &[u8], emit: &mut F) {
    for m in AC.find_iter(s) {
        let (a, b) = (m.start(), m.end());
        let kw = KEYWORDS[m.pattern().as_usize()];
        let ascii = kw.0.is_ascii();
        if ascii
            && (a > 0 && (s[a - 1].is_ascii_alphanumeric() || s[a - 1] == b'_')
                || util::alnum_at(s, b))
        {
            continue;
        }
        let Some(j) = skip_sep(s, b, ascii) else {
            continue;
        };
        let e = value_end(s, j);
        let v = super::trim(&s[j..e]);
        if v.is_empty() {
            continue;
        }
        let vs = j + (v.as_ptr() as usize - s[j..].as_ptr() as usize);
        match kw.1 {
            Kind::PersonName => {
                let Ok(t) = std::str::from_utf8(v) else {
                    continue;
                };
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
                if let Ok(t) = std::str::from_utf8(v)
                    && super::address::is_valid(t)
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
