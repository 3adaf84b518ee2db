//! Postal addresses: only consulted with an address header or keyword.
//! Rejects values that are too short or are placeholders; requires either
//! a Chinese administrative/street marker (省 市 区 县 镇 乡 村 路 街 道 号
//! 巷 弄 楼 室 …) or, in Latin script, at least two words with a letter.

const MARKERS: &str = "省市区县旗镇乡村路街道号巷弄楼室幢栋单元苑里";

/// Validates a (trimmed) value in an address field.
pub fn is_valid(s: &str) -> bool {
    let s = s.trim();
    let n = s.chars().count();
    if !(4..=300).contains(&n) {
        return false;
    }
    let cjk = s
        .chars()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
        .count();
    if cjk >= 4 {
        return s.chars().any(|c| MARKERS.contains(c));
    }
    n >= 8
        && s.split_whitespace().count() >= 2
        && s.chars().any(char::is_alphabetic)
        && !s.eq_ignore_ascii_case("not available")
}

/// Stricter form for free text after an `address:` keyword, where the
/// word is often about network or memory addresses: a Latin-script value
/// must also hold a digit (house number, postcode) and a comma or at
/// least three words.
pub fn is_valid_in_text(s: &str) -> bool {
    let s = s.trim();
    if s.chars()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
        .count()
        >= 4
    {
        return is_valid(s);
    }
    is_valid(s)
        && s.chars().any(|c| c.is_ascii_digit())
        && (s.contains(',') || s.split_whitespace().count() >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(is_valid("北京市朝阳区建国路88号"));
        assert!(is_valid("10 Downing Street, London"));
        assert!(!is_valid("北京"));
        assert!(!is_valid("今天天气很好"));
        assert!(!is_valid("12345678"));
        assert!(!is_valid("n/a"));
        assert!(is_valid_in_text("221B Baker Street London"));
        assert!(!is_valid_in_text("to its city"));
        assert!(!is_valid_in_text("of the buffer start"));
    }
}
