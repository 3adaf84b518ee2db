//! What a token is: a run of ASCII letters and digits that starts after
//! some other byte (an ID, a mobile or card, digit groups, a dotted
//! address, a MAC or IPv6 address, a passport or credit code), and a
//! landline in parentheses. The text loop (`scan_loop`) finds where a
//! token starts and hands it here whole.

use super::util::{alnum_at, alnum_run, digit_run};
use super::{Hints, kv};
use super::{bank_card, geo, imei, ip, landline, mac, mobile, passport, resident_id, uscc};
use crate::Kind;
use resident_id::Id18;

/// The ends of the run of ASCII digits at `i` and of the run of ASCII
/// letters and digits it starts: what [`token`] and
/// [`ascii_keyword_at`] both need, found once.
#[inline(always)]
pub(super) fn alnum_end(s: &[u8], i: usize) -> (usize, usize) {
    // A word (most tokens of text) has no leading digits to look for.
    let d = if s[i].is_ascii_digit() {
        digit_run(s, i)
    } else {
        i
    };
    (d, alnum_run(s, d))
}

/// If the ASCII word (letters, digits, `_`) at `i`, whose letters and
/// digits run to `r`, is a keyword, checks the value after it.
#[inline]
pub(super) fn ascii_keyword_at<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    i: usize,
    r: usize,
    emit: &mut F,
) {
    const MAX: usize = kv::ASCII_KEYWORD_MAX;
    // The word runs on past `_` (`first_name`); most words end at `r`.
    let mut w = r;
    if s.get(r) == Some(&b'_') {
        while w < s.len() && (s[w].is_ascii_alphanumeric() || s[w] == b'_') {
            w += 1;
        }
    }
    if !kv::may_be_keyword(s[i], w - i) {
        return;
    }
    let mut buf = [0u8; MAX];
    let word = &mut buf[..w - i];
    word.copy_from_slice(&s[i..w]);
    word.make_ascii_lowercase();
    if let Some(k) = kv::ascii_keyword(word) {
        kv::handle(s, w, k, true, word == b"name", emit);
    }
}

/// [`token`] for a value that is one code of letters and digits, a letter
/// first (no leading digits; the run is the value). Out of line: `token`
/// is inlined into the text loop, and inlined here too it made a table's
/// cell path 1 % longer.
#[inline(never)]
pub(super) fn code_token<F: FnMut(Kind, usize, usize)>(s: &[u8], hints: Hints, emit: &mut F) {
    token(s, 0, 0, s.len(), hints, emit);
}

/// Handles the alphanumeric run `s[i..r]` (preceded by a non-alphanumeric
/// byte; its leading digits end at `d`, as [`alnum_end`] gives them);
/// returns where scanning resumes. Inlined into the text loop, its one
/// caller there (a call a word was 5 % of a log's instructions).
#[inline(always)]
pub(super) fn token<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    i: usize,
    d: usize,
    r: usize,
    hints: Hints,
    emit: &mut F,
) -> usize {
    let next = s.get(r).copied();
    if s[i].is_ascii_digit() {
        if d < r {
            // Mixed token starting with a digit: ID with X, USCC, MAC, IPv6.
            if let Some(e) = token_mac_or_v6(s, i, r, emit) {
                return e;
            }
            if r - i == 18 {
                match resident_id::check18(&s[i..r]) {
                    Id18::Valid => emit(Kind::CnResidentId, i, r),
                    Id18::BadCheck => {}
                    Id18::Invalid if uscc::is_valid(&s[i..r]) => emit(Kind::CnUscc, i, r),
                    Id18::Invalid => {}
                }
            }
            return r;
        }
        if next == Some(b'.') && s.get(r + 1).is_some_and(u8::is_ascii_digit) {
            return dotted(s, i, emit);
        }
        if let Some(e) = token_mac_or_v6(s, i, r, emit) {
            return e;
        }
        // `groups` needs a second group: a digit right after the space
        // or dash (a number then a word is most of a log's numbers).
        if matches!(next, Some(b' ' | b'-'))
            && s.get(r + 1).is_some_and(u8::is_ascii_digit)
            && let Some(e) = groups(s, i, hints, emit)
        {
            return e;
        }
        single_run(s, i, r, hints, emit);
        return r;
    }
    // Letter first.
    let len = r - i;
    if let Some(e) = token_mac_or_v6(s, i, r, emit) {
        return e;
    }
    if len == 9 || len == 8 {
        if passport::is_valid(&s[i..r], hints.has(Kind::CnPassport)) {
            emit(Kind::CnPassport, i, r);
        }
    } else if len == 18 && uscc::is_valid(&s[i..r]) {
        emit(Kind::CnUscc, i, r);
    }
    r
}

/// A run of digits `s[i..r]` with no separators around it. Always inlined,
/// as [`scan_value_path`] is: left to the compiler, whether the record
/// loops inline them changed with how unrelated code was partitioned
/// (5 % of the CSV scan's instructions).
#[inline(always)]
pub(super) fn single_run<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    i: usize,
    r: usize,
    hints: Hints,
    emit: &mut F,
) {
    let d = &s[i..r];
    let card = hints.has(Kind::BankCard);
    let kind = match d.len() {
        11 if mobile::is_valid(d) => Some(Kind::CnMobile),
        13 if mobile::strip_country(d).is_some() => Some(Kind::CnMobile),
        15 => {
            if mobile::strip_country(d).is_some() {
                Some(Kind::CnMobile)
            } else if hints.has(Kind::Imei) && imei::is_valid(d) {
                Some(Kind::Imei)
            } else if resident_id::valid15(d) {
                Some(Kind::CnResidentId)
            } else if (d.starts_with(b"34") || d.starts_with(b"37") || d[0] == b'1')
                && bank_card::is_valid(d, card)
            {
                Some(Kind::BankCard)
            } else if imei::is_valid(d) {
                Some(Kind::Imei)
            } else {
                None
            }
        }
        18 => match resident_id::check18(d) {
            Id18::Valid => Some(Kind::CnResidentId),
            Id18::BadCheck => (card && bank_card::is_valid(d, true)).then_some(Kind::BankCard),
            Id18::Invalid if uscc::is_valid(d) => Some(Kind::CnUscc),
            Id18::Invalid => bank_card::is_valid(d, card).then_some(Kind::BankCard),
        },
        13..=19 => bank_card::is_valid(d, card).then_some(Kind::BankCard),
        _ => None,
    };
    if let Some(k) = kind {
        emit(k, i, r);
    }
}

/// The fewest digits [`groups`] can find anything in: a landline, area
/// code (three or four digits, [`landline::valid_area`]) and number
/// (seven or eight, [`landline::valid_local`]); a mobile has eleven, a
/// card at least thirteen ([`bank_card::is_valid`]), an ID eighteen.
const MIN_GROUPED_DIGITS: usize = 10;

/// Digit groups separated by single spaces or dashes: `138 1234 5678`,
/// `010-12345678`, `6222 0212 3456 7890`, `+86 138-1234-5678`.
pub(super) fn groups<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    i: usize,
    hints: Hints,
    emit: &mut F,
) -> Option<usize> {
    const MAX: usize = 6;
    let mut g = [(0usize, 0usize); MAX];
    let mut n = 0;
    let mut j = i;
    let mut sep = 0u8;
    loop {
        let e = digit_run(s, j);
        if e == j
            || alnum_at(s, e)
            || (s.get(e) == Some(&b'.') && s.get(e + 1).is_some_and(u8::is_ascii_digit))
        {
            break;
        }
        g[n] = (j, e);
        n += 1;
        if n == MAX {
            break;
        }
        match s.get(e) {
            Some(&c @ (b' ' | b'-'))
                if (sep == 0 || sep == c) && s.get(e + 1).is_some_and(u8::is_ascii_digit) =>
            {
                sep = c;
                j = e + 1;
            }
            _ => break,
        }
    }
    // The fewest digits of any kind below is ten (a landline's area code
    // and number); a date or a time (`2026-11-23`) has fewer, and is
    // turned down before its groups are copied and tried.
    if n < 2 || g[..n].iter().map(|&(a, b)| b - a).sum::<usize>() < MIN_GROUPED_DIGITS {
        return None;
    }
    let plus = i > 0 && s[i - 1] == b'+';
    // Longest prefix of groups that forms something valid.
    let mut buf = [0u8; 24];
    for m in (2..=n).rev() {
        let lens: [usize; MAX] = std::array::from_fn(|k| if k < m { g[k].1 - g[k].0 } else { 0 });
        let total: usize = lens[..m].iter().sum();
        if total > buf.len() {
            continue;
        }
        let mut w = 0;
        for &(a, b) in &g[..m] {
            buf[w..w + b - a].copy_from_slice(&s[a..b]);
            w += b - a;
        }
        let digits = &buf[..w];
        let first = &s[g[0].0..g[0].1];
        let end = g[m - 1].1;
        let kind = if (lens[..m] == [3, 4, 4] && mobile::is_valid(digits))
            || ((first == b"86" || first == b"0086")
                && (lens[1..m] == [11] || lens[1..m] == [3, 4, 4])
                && mobile::is_valid(&digits[first.len()..]))
        {
            Some(Kind::CnMobile)
        } else if ((m == 2 || (m == 3 && lens[2] == 4 && (3..=4).contains(&lens[1])))
            && landline::valid_area(first)
            && landline::valid_local(&digits[lens[0]..]))
            || (plus
                && first == b"86"
                && m == 3
                && (2..=3).contains(&lens[1])
                && s[g[1].0] != b'0'
                && {
                    let mut a = [b'0'; 4];
                    a[1..1 + lens[1]].copy_from_slice(&s[g[1].0..g[1].1]);
                    landline::valid_area(&a[..1 + lens[1]])
                }
                && landline::valid_local(&s[g[2].0..g[2].1]))
        {
            Some(Kind::CnLandline)
        } else if (m >= 3
            && lens[..m - 1].iter().all(|&l| l == 4)
            && (1..=4).contains(&lens[m - 1]))
            || lens[..m] == [4, 6, 5]
            || lens[..m] == [6, 13]
        {
            bank_card::is_valid(digits, hints.has(Kind::BankCard)).then_some(Kind::BankCard)
        } else if lens[..m] == [6, 8, 4] {
            (resident_id::check18(digits) == Id18::Valid).then_some(Kind::CnResidentId)
        } else {
            None
        };
        if let Some(k) = kind {
            emit(k, i, end);
            return Some(end);
        }
        if sep == b'-' {
            // Dash-joined groups are one token; don't try shorter prefixes.
            break;
        }
    }
    None
}

/// `(010)12345678`, `(0755) 1234-5678`.
pub(super) fn paren_landline(s: &[u8], i: usize) -> Option<usize> {
    let a = digit_run(s, i + 1);
    if !landline::valid_area(&s[i + 1..a]) || s.get(a) != Some(&b')') {
        return None;
    }
    let mut j = a + 1;
    if s.get(j) == Some(&b' ') || s.get(j) == Some(&b'-') {
        j += 1;
    }
    let e1 = digit_run(s, j);
    let mut buf = [0u8; 8];
    let l1 = e1 - j;
    if l1 == 0 || l1 > 8 {
        return None;
    }
    buf[..l1].copy_from_slice(&s[j..e1]);
    let mut end = e1;
    let mut len = l1;
    if l1 <= 4 && matches!(s.get(e1), Some(b' ' | b'-')) {
        let e2 = digit_run(s, e1 + 1);
        if e2 - (e1 + 1) == 4 && l1 + 4 <= 8 {
            buf[l1..l1 + 4].copy_from_slice(&s[e1 + 1..e2]);
            len += 4;
            end = e2;
        }
    }
    (landline::valid_local(&buf[..len]) && !alnum_at(s, end)).then_some(end)
}

/// Digit run followed by `.digit`: IPv4, a coordinate pair, or just a
/// decimal/dotted number (consumed whole so its parts never match).
pub(super) fn dotted<F: FnMut(Kind, usize, usize)>(s: &[u8], i: usize, emit: &mut F) -> usize {
    let mut e = i;
    let mut dots = 0;
    while e < s.len() && (s[e].is_ascii_digit() || s[e] == b'.') {
        dots += usize::from(s[e] == b'.');
        e += 1;
    }
    while e > i && s[e - 1] == b'.' {
        e -= 1;
        dots -= 1;
    }
    if dots == 3 && !alnum_at(s, e) && ip::valid_v4(&s[i..e]) {
        emit(Kind::Ipv4, i, e);
        return e;
    }
    if dots == 1 {
        let start = if i > 0 && s[i - 1] == b'-' { i - 1 } else { i };
        if let Some(end) = geo::match_pair(s, start) {
            emit(Kind::GeoCoordinate, start, end);
            return end;
        }
    }
    // Skip the rest of an alphanumeric tail too (`1.2.3a`).
    alnum_run(s, e)
}

/// Whether [`mac_or_v6`] at `i` may find anything, told from the token
/// `s[i..r]` of letters and digits that a `:` or `-` ends: a MAC's first
/// group is two hex digits, an IPv6 address's one to four followed by `:`
/// (a longer group, or a letter past `f`, fails both parsers). A log
/// line's timestamp (`2026-11-23T08:00:00Z`) asked for both at each of
/// its groups.
#[inline(always)]
pub(super) fn may_be_mac_or_v6(s: &[u8], i: usize, r: usize) -> bool {
    let len = r - i;
    (len == 2 || (len <= 4 && s.get(r) == Some(&b':'))) && s[i..r].iter().all(u8::is_ascii_hexdigit)
}

/// [`mac_or_v6`] at the token `s[i..r]` of letters and digits, asked only
/// when a `:` or `-` ends it and [`may_be_mac_or_v6`] lets it start one.
#[inline(always)]
fn token_mac_or_v6<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    i: usize,
    r: usize,
    emit: &mut F,
) -> Option<usize> {
    if matches!(s.get(r), Some(b':' | b'-')) && may_be_mac_or_v6(s, i, r) {
        mac_or_v6(s, i, emit)
    } else {
        None
    }
}

/// MAC (`00:1A:2B:3C:4D:5E`, `00-1a-…`) or IPv6 starting at `i`.
pub(super) fn mac_or_v6<F: FnMut(Kind, usize, usize)>(
    s: &[u8],
    i: usize,
    emit: &mut F,
) -> Option<usize> {
    if i + 17 <= s.len()
        && mac::is_valid(&s[i..i + 17])
        && !alnum_at(s, i + 17)
        && !matches!(s.get(i + 17), Some(b':' | b'-'))
    {
        emit(Kind::MacAddress, i, i + 17);
        return Some(i + 17);
    }
    let mut e = i;
    while e < s.len() && ip::is_v6_char(s[e]) && e - i < 46 {
        e += 1;
    }
    while e > i && s[e - 1] == b'.' {
        e -= 1;
    }
    if !alnum_at(s, e) && ip::valid_v6(&s[i..e]) {
        emit(Kind::Ipv6, i, e);
        return Some(e);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind [`groups`] tries turns down every digit string shorter
    /// than [`MIN_GROUPED_DIGITS`], so turning such groups down before
    /// trying them finds the same; and a landline of exactly that many
    /// digits is still found.
    #[test]
    fn fewer_grouped_digits_than_the_least_find_nothing() {
        let mut rng = crate::corpus::Rng::new(54);
        for _ in 0..20_000 {
            let n = rng.below(MIN_GROUPED_DIGITS as u64) as usize;
            // Leading digits that the kinds' prefixes want, now and then.
            let mut d: Vec<u8> = match rng.below(4) {
                0 => b"0".to_vec(),
                1 => b"1".to_vec(),
                2 => b"62".to_vec(),
                _ => Vec::new(),
            };
            while d.len() < n {
                d.push(b'0' + rng.below(10) as u8);
            }
            d.truncate(n);
            assert!(!mobile::is_valid(&d), "{d:?}");
            assert!(!bank_card::is_valid(&d, true), "{d:?}");
            assert!(resident_id::check18(&d) == Id18::Invalid, "{d:?}");
            for cut in 0..=n {
                let (area, local) = d.split_at(cut);
                assert!(!(landline::valid_area(area) && landline::valid_local(local)));
            }
        }
        let found = |t: &str| {
            let mut v = Vec::new();
            groups(t.as_bytes(), 0, Hints::default(), &mut |k, a, b| {
                v.push((k, t[a..b].to_string()))
            });
            v
        };
        for t in ["010-2345678", "010 2345678"] {
            assert_eq!(found(t), [(Kind::CnLandline, t.to_string())]);
        }
        assert_eq!(found("010-234567"), []);
        assert_eq!(found("2026-11-23"), []);
    }

    /// Where `may_be_mac_or_v6` says no, `mac_or_v6` finds nothing: at every
    /// token start of generated runs of hex and other letters and digits, in
    /// groups of one to six, parted by `:`, `-`, `.` and `::`, with MACs,
    /// IPv6 addresses and timestamps among them.
    #[test]
    fn a_token_that_cannot_start_a_mac_or_v6_finds_none() {
        let mut rng = crate::corpus::Rng::new(53);
        let seps: [&[u8]; 5] = [b":", b"-", b".", b"::", b" "];
        let (mut found, mut skipped) = (0, 0);
        for k in 0..40_000 {
            let mut s: Vec<u8> = match k % 4 {
                0 => b"00:1A:2B:3C:4D:5E".to_vec(),
                1 => b"2001:db8:85a3::8a2e:370:7334".to_vec(),
                2 => b"2026-11-23T08:00:00Z".to_vec(),
                _ => Vec::new(),
            };
            for _ in 0..rng.below(10) {
                for _ in 0..1 + rng.below(6) {
                    s.push(*rng.pick(b"0123456789abcdefABCDEFxyzT"));
                }
                s.extend_from_slice(seps[rng.below(5) as usize]);
            }
            if rng.pct(50) && !s.is_empty() {
                // One byte changed: a group made longer, shorter or not hex.
                let at = rng.below(s.len() as u64) as usize;
                s[at] = *rng.pick(b"0a:-.g");
            }
            for i in 0..s.len() {
                if !s[i].is_ascii_alphanumeric() || (i > 0 && s[i - 1].is_ascii_alphanumeric()) {
                    continue;
                }
                let r = alnum_run(&s, i);
                if !matches!(s.get(r), Some(b':' | b'-')) {
                    continue;
                }
                let hit = mac_or_v6(&s, i, &mut |_, _, _| {}).is_some();
                if may_be_mac_or_v6(&s, i, r) {
                    found += usize::from(hit);
                } else {
                    skipped += 1;
                    assert!(!hit, "{:?} at {i}", String::from_utf8_lossy(&s));
                }
            }
        }
        assert!(
            found > 2_000 && skipped > 10_000,
            "{found} found, {skipped} skipped"
        );
    }
}
