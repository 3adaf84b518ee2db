//! ISO 3166-1 alpha-2 country codes (data/countries.tsv, generated from Debian's iso-codes).

use std::collections::HashMap;
use std::sync::LazyLock;

static COUNTRIES: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    include_str!("../data/countries.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once('\t'))
        .collect()
});

/// The English name of an ISO 3166-1 alpha-2 code, or None when the code does not exist.
pub fn name(code: &str) -> Option<&'static str> {
    COUNTRIES.get(code).copied()
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
}
