//! The taxonomy of personal-information categories, loaded from `data/taxonomy.toml`.
//!
//! Kept as data so that lawyers can review which standard calls what sensitive
//! without reading Rust.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::choice::{SensitiveClass, SensitivityProfile};

/// A standard that lists sensitive categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SensitivitySource {
    /// PIPL Art. 28.
    #[serde(rename = "pipl_art28")]
    PiplArt28,
    /// GB/T 45574-2025.
    #[serde(rename = "gbt45574_2025")]
    Gbt45574,
    /// GB/T 35273-2020 Annex B.
    #[serde(rename = "gbt35273_2020_b")]
    Gbt35273AnnexB,
}

impl SensitivitySource {
    /// How the source is cited.
    pub fn citation(self) -> &'static str {
        match self {
            SensitivitySource::PiplArt28 => "PIPL Art. 28",
            SensitivitySource::Gbt45574 => "GB/T 45574-2025",
            SensitivitySource::Gbt35273AnnexB => "GB/T 35273-2020 Annex B",
        }
    }
}

/// One category of the taxonomy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Hierarchical id, e.g. `contact.phone`.
    pub id: String,
    /// English name.
    pub en: String,
    /// Chinese name.
    pub zh: String,
    /// The PIPL Art. 28 class it maps onto when sensitive.
    #[serde(default)]
    pub class: Option<SensitiveClass>,
    /// Standards that call it sensitive.
    #[serde(default)]
    pub sensitive_in: Vec<SensitivitySource>,
    /// Scanner kinds that evidence it.
    #[serde(default)]
    pub scan_kinds: Vec<String>,
    /// False for organisation or operational data.
    #[serde(default = "yes")]
    pub personal: bool,
    /// Caveats, including unconfirmed readings.
    #[serde(default)]
    pub note: Option<String>,
}

fn yes() -> bool {
    true
}

impl Category {
    /// The sensitive class under a profile, with the standards that say so.
    pub fn sensitivity(&self, profile: SensitivityProfile) -> Option<SensitiveClass> {
        let counts = |s: &SensitivitySource| match profile {
            SensitivityProfile::Standard => {
                matches!(
                    s,
                    SensitivitySource::PiplArt28 | SensitivitySource::Gbt45574
                )
            }
            SensitivityProfile::Conservative => true,
        };
        if self.sensitive_in.iter().any(counts) {
            Some(self.class.unwrap_or(SensitiveClass::OtherSensitive))
        } else {
            None
        }
    }
}

/// The personal-information categories a field may name, each with its sensitivity.
#[derive(Debug)]
pub struct Taxonomy {
    /// Where the sensitivity assignments come from.
    pub source: String,
    categories: Vec<Category>,
    by_id: HashMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    source: String,
    category: Vec<Category>,
}

static BUILTIN: LazyLock<Taxonomy> = LazyLock::new(|| {
    Taxonomy::from_toml(include_str!("../data/taxonomy.toml"))
        .expect("the bundled taxonomy is valid (checked by tests)")
});

impl Taxonomy {
    /// The taxonomy shipped with Outbound.
    pub fn builtin() -> &'static Taxonomy {
        &BUILTIN
    }

    /// Parses a taxonomy file; parents must precede their children.
    pub fn from_toml(text: &str) -> Result<Taxonomy, String> {
        let file: TaxonomyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut by_id = HashMap::new();
        for (i, c) in file.category.iter().enumerate() {
            if let Some((parent, _)) = c.id.rsplit_once('.')
                && !by_id.contains_key(parent)
            {
                return Err(format!(
                    "category {} comes before its parent {parent}",
                    c.id
                ));
            }
            if by_id.insert(c.id.clone(), i).is_some() {
                return Err(format!("category {} is defined twice", c.id));
            }
        }
        Ok(Taxonomy {
            source: file.source,
            categories: file.category,
            by_id,
        })
    }

    /// The category with this id.
    pub fn get(&self, id: &str) -> Option<&Category> {
        self.by_id.get(id).map(|&i| &self.categories[i])
    }

    /// All categories, parents first.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// True when `ancestor` is `id` or one of its parents: a rule on `contact` covers `contact.phone`.
    pub fn covers(ancestor: &str, id: &str) -> bool {
        id == ancestor
            || (id.len() > ancestor.len()
                && id.starts_with(ancestor)
                && id.as_bytes()[ancestor.len()] == b'.')
    }

    /// The category a scanner kind evidences most specifically (first listed wins).
    pub fn category_for_kind(&self, kind: &str) -> Option<&Category> {
        self.categories
            .iter()
            .find(|c| c.scan_kinds.iter().any(|k| k == kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_loads_and_parents_exist() {
        let t = Taxonomy::builtin();
        assert!(t.categories().len() > 40);
        assert!(t.get("contact.phone").is_some());
    }

    #[test]
    fn covers_is_hierarchical_not_prefix() {
        assert!(Taxonomy::covers("contact", "contact.phone"));
        assert!(Taxonomy::covers("contact.phone", "contact.phone"));
        assert!(!Taxonomy::covers("contact", "contacts.phone"));
        assert!(!Taxonomy::covers("contact.phone", "contact"));
    }

    #[test]
    fn resident_id_is_sensitive_only_in_conservative_profile() {
        let c = Taxonomy::builtin().get("identity.national_id").unwrap();
        assert_eq!(c.sensitivity(SensitivityProfile::Standard), None);
        assert_eq!(
            c.sensitivity(SensitivityProfile::Conservative),
            Some(SensitiveClass::SpecificIdentity)
        );
    }

    #[test]
    fn pipl_classes_are_sensitive_in_both_profiles() {
        let t = Taxonomy::builtin();
        for (id, class) in [
            ("biometric.face", SensitiveClass::Biometric),
            ("religion", SensitiveClass::ReligiousBelief),
            ("health.diagnosis", SensitiveClass::MedicalHealth),
            ("financial.bank_account", SensitiveClass::FinancialAccount),
            ("location.trajectory", SensitiveClass::Whereabouts),
            ("identity.criminal_record", SensitiveClass::SpecificIdentity),
        ] {
            for p in SensitivityProfile::ALL {
                assert_eq!(t.get(id).unwrap().sensitivity(*p), Some(class), "{id} {p}");
            }
        }
        assert_eq!(
            t.get("contact.phone")
                .unwrap()
                .sensitivity(SensitivityProfile::Conservative),
            None
        );
    }

    #[test]
    fn scan_kinds_map_to_categories() {
        let t = Taxonomy::builtin();
        assert_eq!(
            t.category_for_kind("cn_mobile").unwrap().id,
            "contact.phone"
        );
        assert_eq!(
            t.category_for_kind("bank_card").unwrap().id,
            "financial.bank_account"
        );
        assert!(!t.category_for_kind("cn_uscc").unwrap().personal);
    }
}
