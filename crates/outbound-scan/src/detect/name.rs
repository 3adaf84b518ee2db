//! Person names. A name cannot be told from arbitrary text by its value
//! alone, so this validator is only consulted when a header (`姓名`,
//! `name`, …) or a keyword before the value says it is a name; it then
//! rejects values that cannot be names (numbers, placeholders, long text).
//!
//! Chinese: 2–4 CJK characters starting with a common surname (single or
//! compound, list in `data/cn_surnames.txt`), or ethnic-minority names with
//! a middle dot (`买买提·艾力`). Latin script: 1–5 alphabetic words.

use std::collections::HashSet;
use std::sync::LazyLock;

const SURNAMES_TXT: &str = include_str!("../../data/cn_surnames.txt");

static SURNAMES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    SURNAMES_TXT
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
        .collect()
});

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
    let mut it = s.char_indices();
    let Some((_, c0)) = it.next() else {
        return false;
    };
    let one = &s[..c0.len_utf8()];
    if SURNAMES.contains(one) {
        return true;
    }
    match it.next() {
        Some((i1, c1)) => SURNAMES.contains(&s[..i1 + c1.len_utf8()]),
        None => false,
    }
}

/// Validates a (trimmed) value in a name field.
pub fn is_valid(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 || PLACEHOLDERS.iter().any(|p| s.eq_ignore_ascii_case(p)) {
        return false;
    }
    let n = s.chars().count();
    if s.chars().all(is_cjk) {
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
    fn common_surnames_missed_on_faker_names() {
        // Frequent surnames that Faker's zh_CN names use and the list lacked.
        for n in ["傅强", "洪飞", "赖鑫", "萧小红", "阎玉梅"] {
            assert!(is_valid(n), "{n}");
        }
    }
}
