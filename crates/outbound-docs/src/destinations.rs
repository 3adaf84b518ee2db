//! Destination countries: government access, supervisory authority, redress,
//! adequacy, with sources and a date (`data/destinations.toml`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The text of one country in one language.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountryText {
    /// Country name.
    pub name: String,
    /// Laws and practice of access by public authorities.
    pub government_access: String,
    /// The supervisory authority.
    pub authority: String,
    /// Redress open to individuals.
    pub redress: String,
    /// Adequacy or equivalence decisions.
    pub adequacy: String,
    /// Why the government-access score is what it is.
    pub access_risk_reason: String,
}

/// One destination country.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    /// Government-access risk, 1 (low) to 5 (high), used by the risk register.
    pub access_risk: u8,
    /// Statutes and sites.
    pub sources: Vec<String>,
    /// English text.
    pub en: CountryText,
    /// Chinese text.
    pub zh: CountryText,
}

/// The file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destinations {
    /// The date the entries describe.
    pub as_of: jiff::civil::Date,
    /// Whether and how the entries were checked.
    pub status: String,
    /// The countries.
    pub country: Vec<Destination>,
}

/// Where the bundled file is, for citing it.
pub(crate) const FILE: &str = "crates/outbound-docs/data/destinations.toml";

static BUILTIN: LazyLock<Destinations> = LazyLock::new(|| {
    toml::from_str(include_str!("../data/destinations.toml"))
        .expect("destinations.toml is valid (tested)")
});

impl Destinations {
    /// The bundled data.
    pub fn builtin() -> &'static Destinations {
        &BUILTIN
    }

    /// The entry for a country.
    pub fn get(&self, code: &str) -> Option<&Destination> {
        self.country.iter().find(|c| c.code == code)
    }

    /// Codes, sorted.
    pub fn codes(&self) -> BTreeMap<&str, &Destination> {
        self.country.iter().map(|c| (c.code.as_str(), c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_countries_are_present_and_scored() {
        let d = Destinations::builtin();
        for c in [
            "US", "SG", "NL", "IE", "DE", "JP", "GB", "HK", "CN", "IN", "BR", "CH",
        ] {
            let e = d.get(c).unwrap_or_else(|| panic!("{c} missing"));
            assert!((1..=5).contains(&e.access_risk), "{c}");
            assert!(!e.sources.is_empty(), "{c} has no sources");
            for t in [&e.en, &e.zh] {
                assert!(!t.government_access.is_empty() && !t.authority.is_empty());
                assert!(!t.redress.is_empty() && !t.adequacy.is_empty());
            }
            assert!(
                outbound_model::country::name(c).is_some(),
                "{c} is not ISO 3166-1"
            );
        }
        assert_eq!(
            d.codes().len(),
            d.country.len(),
            "a country is listed twice"
        );
    }
}
