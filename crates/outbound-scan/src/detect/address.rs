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
    }
}
