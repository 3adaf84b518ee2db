//! ISO 3166-1 alpha-2 country codes (data/countries.tsv, generated from Debian's iso-codes),
//! with Simplified Chinese names (data/countries-zh.tsv, from the same package's zh_CN
//! translation by data/gen_countries_zh.py).

use std::collections::HashMap;
use std::sync::LazyLock;

static COUNTRIES: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    include_str!("../data/countries.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once('\t'))
        .collect()
});

static COUNTRIES_ZH: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    include_str!("../data/countries-zh.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once('\t'))
        .collect()
});

/// The English name of an ISO 3166-1 alpha-2 code, or None when the code does not exist.
pub fn name(code: &str) -> Option<&'static str> {
    COUNTRIES.get(code).copied()
}

/// The Simplified Chinese name of an ISO 3166-1 alpha-2 code (`DE` → `德国`), or None
/// when the code does not exist.
pub fn name_zh(code: &str) -> Option<&'static str> {
    COUNTRIES_ZH.get(code).copied()
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_and_unknown_codes() {
        assert_eq!(super::name("CN"), Some("China"));
        assert!(super::name("XX").is_none());
        assert!(super::name("cn").is_none());
        assert!(super::name("UK").is_none(), "the UK's ISO code is GB");
    }

    #[test]
    fn every_code_has_a_chinese_name() {
        assert_eq!(super::name_zh("DE"), Some("德国"));
        assert_eq!(super::name_zh("HK"), Some("中国香港"));
        assert!(super::name_zh("XX").is_none());
        for code in super::COUNTRIES.keys() {
            let zh = super::name_zh(code).unwrap_or_else(|| panic!("{code} has no Chinese name"));
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{code}: {zh}"
            );
        }
        assert_eq!(super::COUNTRIES.len(), super::COUNTRIES_ZH.len());
    }
}
