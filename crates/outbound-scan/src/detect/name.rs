//! Person names. A name cannot be told from arbitrary text by its value
//! alone, so this validator is only consulted when a header (`姓名`,
//! `name`, …) or a keyword before the value says it is a name; it then
//! rejects values that cannot be names (numbers, placeholders, long text).
//!
//! Chinese: 2–4 CJK characters starting with a common surname (single or
//! compound, list in `data/cn_surnames.txt`), or ethnic-minority names with
//! a middle dot (`买买提·艾力`). Latin script: 1–5 alphabetic words.

use std::sync::LazyLock;

const SURNAMES_TXT: &str = include_str!("../../data/cn_surnames.txt");

/// First code point of the CJK blocks a surname can come from
/// (Extension A, U+3400, through the URO's end, U+9FFF).
const CJK_FIRST: u32 = 0x3400;
const CJK_LAST: u32 = 0x9FFF;

/// The surname list as lookups: one bit per code point for the
/// single-character surnames and the compound ones as sorted pairs. Why not
/// a `HashSet<&str>`: a name column asks for every cell, and hashing the
/// string cost more than the rest of the name check.
struct Surnames {
    single: Vec<u64>,
    double: Vec<(char, char)>,
}

static SURNAMES: LazyLock<Surnames> = LazyLock::new(|| {
    let mut single = vec![0u64; ((CJK_LAST - CJK_FIRST) / 64 + 1) as usize];
    let mut double = Vec::new();
    for w in SURNAMES_TXT
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
    {
        let mut cs = w.chars();
        match (cs.next(), cs.next(), cs.next()) {
            (Some(a), None, _) if is_cjk(a) => {
                let i = u32::from(a) - CJK_FIRST;
                single[(i / 64) as usize] |= 1 << (i % 64);
            }
            (Some(a), Some(b), None) => double.push((a, b)),
            // The list holds one- and two-character CJK surnames only (a
            // test checks); anything else could never match a name.
            _ => {}
        }
    }
    double.sort_unstable();
    double.dedup();
    Surnames { single, double }
});

impl Surnames {
    fn single(&self, c: char) -> bool {
        let c = u32::from(c);
        (CJK_FIRST..=CJK_LAST).contains(&c) && {
            let i = c - CJK_FIRST;
            self.single[(i / 64) as usize] & (1 << (i % 64)) != 0
        }
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

const PLACEHOLDERS: &[&str] = &[
    "null",
    "none",
    "n/a",
    "na",
    "nil",
    "unknown",
    "test",
    "anonymous",
    "未知",
    "无",
    "匿名",
    "测试",
    "暂无",
];

/// Whether `s` starts with a listed surname.
pub fn has_surname(s: &str) -> bool {
    let mut it = s.chars();
    let Some(c0) = it.next() else {
        return false;
    };
    surname_at(c0, it.next())
}

/// Whether the characters `c0` (and `c1`) start with a listed surname.
fn surname_at(c0: char, c1: Option<char>) -> bool {
    let sn = &*SURNAMES;
    sn.single(c0) || c1.is_some_and(|c1| sn.double.binary_search(&(c0, c1)).is_ok())
}

/// The common name read straight from the bytes: true when `t` is 2–4
/// characters of U+4000–U+9FFF (three UTF-8 bytes each, lead 0xE4–0xE9,
/// well-formed for every pair of continuation bytes), all CJK, not a
/// placeholder, and starts with a surname. Then `t` is valid UTF-8 and
/// [`is_valid`] accepts it by its all-CJK rule (nothing to trim, at most
/// 12 bytes), so a name column's cells skip `str::from_utf8` and the
/// general check. False says nothing: the caller asks [`is_valid`].
pub fn is_plain_cjk_name(t: &[u8]) -> bool {
    if !(6..=12).contains(&t.len()) || !t.len().is_multiple_of(3) {
        return false;
    }
    let mut cs = ['\0'; 4];
    for (k, b) in t.chunks_exact(3).enumerate() {
        if !(0xE4..=0xE9).contains(&b[0]) || b[1] & 0xC0 != 0x80 || b[2] & 0xC0 != 0x80 {
            return false;
        }
        let c =
            (u32::from(b[0] & 0x0F) << 12) | (u32::from(b[1] & 0x3F) << 6) | u32::from(b[2] & 0x3F);
        match char::from_u32(c) {
            Some(c) if is_cjk(c) => cs[k] = c,
            _ => return false,
        }
    }
    !PLACEHOLDERS.iter().any(|p| p.as_bytes() == t) && surname_at(cs[0], Some(cs[1]))
}

/// `str::trim`, called only when an end is whitespace: most cells have
/// none, and the general trim (a pattern searcher from both ends) cost as
/// much as the rest of the name check. The same string either way.
/// An end is plainly not whitespace when it is an ASCII non-space or a
/// character whose UTF-8 lead byte is 0xE4–0xE9 (U+4000–U+9FFF, where
/// Unicode has no whitespace); anything else asks `str::trim`.
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let ascii_solid = |c: u8| c < 0x80 && !char::from(c).is_whitespace();
    let cjk_lead = |c: u8| (0xE4..=0xE9).contains(&c);
    let first = b.first().is_some_and(|&c| ascii_solid(c) || cjk_lead(c));
    let last = b.last().is_some_and(|&c| {
        ascii_solid(c) || (c >= 0x80 && b.len() >= 3 && cjk_lead(b[b.len() - 3]))
    });
    if first && last { s } else { s.trim() }
}

/// Validates a (trimmed) value in a name field.
pub fn is_valid(s: &str) -> bool {
    let s = trim(s);
    if s.is_empty() || s.len() > 64 || PLACEHOLDERS.iter().any(|p| s.eq_ignore_ascii_case(p)) {
        return false;
    }
    // One pass for the count and the all-CJK test (most names).
    let (n, all_cjk) = s
        .chars()
        .fold((0usize, true), |(n, all), c| (n + 1, all && is_cjk(c)));
    if all_cjk {
        return (2..=4).contains(&n) && has_surname(s);
    }
    if s.contains('·') || s.contains('•') {
        return (3..=20).contains(&n) && s.chars().all(|c| is_cjk(c) || c == '·' || c == '•');
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    (1..=5).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_alphabetic)
                && w.chars()
                    .all(|c| c.is_alphabetic() && !is_cjk(c) || matches!(c, '\'' | '-' | '.'))
        })
        && s.chars().filter(|c| c.is_alphabetic()).count() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_plain_cjk_name` against `str::from_utf8` + `is_valid`: true
    /// only where those accept, and true for the generator's names.
    #[test]
    fn plain_cjk_names_are_valid_names() {
        let check = |t: &[u8]| {
            if is_plain_cjk_name(t) {
                let s = std::str::from_utf8(t).expect("valid UTF-8");
                assert!(is_valid(s), "{s:?}");
            }
        };
        let mut rng = crate::corpus::Rng::new(5);
        let mut hits = 0;
        for _ in 0..3_000 {
            let name = crate::corpus::chinese_name(&mut rng);
            hits += usize::from(is_plain_cjk_name(name.as_bytes()));
            check(name.as_bytes());
        }
        assert!(hits > 2_000, "only {hits} generated names on the fast path");
        // Surnames with given characters, placeholders, characters at the
        // edges of the CJK blocks and outside them, 1 to 5 characters.
        let chars: Vec<char> = "张王李欧阳司马诸葛伟娜未知匿名测试暂无无一龥\u{4000}\u{4DBF}\u{4DC0}\u{4DFF}\u{4E00}\u{3400}\u{9FFF}·a "
            .chars()
            .collect();
        let mut buf = String::new();
        for n in 1..=5 {
            for _ in 0..20_000 {
                buf.clear();
                for _ in 0..n {
                    buf.push(*rng.pick(&chars));
                }
                check(buf.as_bytes());
            }
        }
        for p in PLACEHOLDERS {
            assert!(!is_plain_cjk_name(p.as_bytes()), "{p}");
        }
        // Every byte in every position of a valid name.
        let good = "欧阳娜娜".as_bytes();
        assert!(is_plain_cjk_name(good));
        for i in 0..good.len() {
            for b in 0..=255u8 {
                let mut v = good.to_vec();
                v[i] = b;
                check(&v);
            }
        }
    }

    #[test]
    fn trim_is_str_trim() {
        // Every whitespace character and some that are not, at either end.
        let ends: Vec<char> = ('\0'..='\u{3100}')
            .filter(|c| c.is_whitespace() || c.is_ascii() || matches!(c, '·' | '\u{FEFF}'))
            .chain(['张', '龥', '䀀', 'é', '€', '😀', '\u{3000}', '\u{FEFF}'])
            .collect();
        for &a in &ends {
            for &b in &ends {
                for mid in ["", "张三", " ", "a b"] {
                    let s = format!("{a}{mid}{b}");
                    assert_eq!(trim(&s), s.trim(), "{s:?}");
                    assert_eq!(trim(&s[a.len_utf8()..]), s[a.len_utf8()..].trim());
                }
            }
        }
    }

    #[test]
    fn names() {
        assert!(is_valid("张三"));
        assert!(is_valid("欧阳娜娜"));
        assert!(is_valid("王小明"));
        assert!(is_valid("买买提·艾力"));
        assert!(is_valid("John Smith"));
        assert!(is_valid("Zoë O'Neil"));
        assert!(!is_valid("张"));
        assert!(!is_valid("的确是一个好人"));
        assert!(!is_valid("你好"));
        assert!(!is_valid("N/A"));
        assert!(!is_valid("12345"));
        assert!(!is_valid("未知"));
    }

    #[test]
    fn every_listed_surname_is_found() {
        let mut n = 0;
        for w in SURNAMES_TXT
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(str::split_whitespace)
        {
            let k = w.chars().count();
            assert!((1..=2).contains(&k) && w.chars().all(is_cjk), "{w}");
            assert!(has_surname(w), "{w}");
            assert!(has_surname(&format!("{w}明")), "{w}明");
            n += 1;
        }
        assert!(n > 400);
        // Not surnames: CJK characters off the list, Latin, empty text.
        for w in ["的确", "鬼才", "Smith", ""] {
            assert!(!has_surname(w), "{w}");
        }
    }

    #[test]
    fn common_surnames_missed_on_faker_names() {
        // Frequent surnames that Faker's zh_CN names use and the list lacked.
        for n in ["傅强", "洪飞", "赖鑫", "萧小红", "阎玉梅"] {
            assert!(is_valid(n), "{n}");
        }
    }
}
