//! Rule data: instruments, thresholds, deadlines, adequacy decisions, the EEA.
//!
//! Every number a rule uses is here, loaded from `data/*.toml`, with the
//! article it comes from; the regime modules hold only the decision logic.

use std::sync::LazyLock;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// An instrument and the day it took effect.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Stable id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Short name used in citations.
    pub short: String,
    /// Day in force.
    pub in_force: Date,
    /// What it decides.
    pub note: String,
}

/// A numeric trigger with its article.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Stable id.
    pub id: String,
    /// Instrument id.
    pub instrument: String,
    /// `current_year`, `previous_and_current_year` or `processed`.
    pub window: String,
    /// `individuals` or `sensitive_individuals`.
    pub measure: String,
    /// Triggers at this count or more (以上 includes the number).
    pub at_least: u64,
    /// The route it triggers.
    pub route: String,
    /// The article that sets the threshold.
    pub citation: String,
    /// Plain description.
    pub text: String,
}

/// The unit of a [`Deadline`]'s value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Working days of the regime's official calendar.
    WorkingDays,
    /// Calendar days.
    Days,
    /// Calendar months.
    Months,
    /// Calendar years.
    Years,
    /// A fixed day, in [`Deadline::date`].
    Date,
}

/// A period the law sets, with the day it applies from and its article.
///
/// The same shape serves every regime (`[[deadline]]` in its data file): a
/// later entry with the same id replaces an earlier one from its `from` day.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// Stable id (`filing`, `assessment_validity` …).
    pub id: String,
    /// The first day this value applies.
    pub from: Date,
    /// The number of units.
    pub value: i32,
    /// What the value counts.
    pub unit: Unit,
    /// For `unit = "date"`: the day.
    #[serde(default)]
    pub date: Option<Date>,
    /// The article that sets it.
    pub citation: String,
    /// What it is, for listings.
    pub text: String,
}

impl Deadline {
    /// The value as printed in listings.
    pub fn value_text(&self) -> String {
        match self.unit {
            Unit::WorkingDays => format!("{} working days", self.value),
            Unit::Days => format!("{} days", self.value),
            Unit::Months => format!("{} months", self.value),
            Unit::Years => format!("{} years", self.value),
            Unit::Date => self.date.map_or_else(String::new, |d| d.to_string()),
        }
    }
}

/// A regime's deadlines, looked up by id and date.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Deadlines(pub Vec<Deadline>);

impl Deadlines {
    /// The entry `id` that applies on `on`: the latest whose `from` is not
    /// after `on`, else the earliest (a period asked about before its
    /// instrument is read as the first version, never as none).
    pub fn get(&self, id: &str, on: Date) -> &Deadline {
        let mut all: Vec<&Deadline> = self.0.iter().filter(|d| d.id == id).collect();
        all.sort_by_key(|d| d.from);
        all.iter()
            .rev()
            .find(|d| d.from <= on)
            .or_else(|| all.first())
            .copied()
            .unwrap_or_else(|| panic!("deadline {id} is in the regime's data file (tested)"))
    }
}

/// China's rule data.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChinaData {
    /// The country whose exporters the regime judges.
    pub country: String,
    /// Instruments.
    pub instrument: Vec<Instrument>,
    /// Thresholds.
    pub threshold: Vec<Threshold>,
    /// Deadlines and validity periods.
    #[serde(rename = "deadline")]
    pub deadlines: Deadlines,
}

impl ChinaData {
    /// Whether an exporter established in `country` is judged by China's rules
    /// (and so counts towards its volume thresholds).
    pub fn judges_exporter(&self, country: &str) -> bool {
        self.country == country
    }
    /// The instrument with this id.
    pub fn instrument(&self, id: &str) -> &Instrument {
        self.instrument
            .iter()
            .find(|i| i.id == id)
            .unwrap_or_else(|| panic!("instrument {id} is in cn.toml (tested)"))
    }
    /// The threshold with this id.
    pub fn threshold(&self, id: &str) -> &Threshold {
        self.threshold
            .iter()
            .find(|t| t.id == id)
            .unwrap_or_else(|| panic!("threshold {id} is in cn.toml (tested)"))
    }
}

/// An EU adequacy decision.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdequacyDecision {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Country name.
    pub name: String,
    /// The decision, e.g. `Commission Decision 2010/625/EU`.
    pub decision: String,
    /// The day it was adopted.
    pub adopted: Date,
    /// Last day of validity; empty when open-ended.
    #[serde(deserialize_with = "opt_date")]
    pub valid_until: Option<Date>,
    /// `all`, `commercial` or `dpf_certified`.
    pub scope: String,
    /// Caveats.
    pub note: String,
}

fn opt_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    let s = String::deserialize(d)?;
    if s.is_empty() {
        Ok(None)
    } else {
        s.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

/// The EU's rule data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EuData {
    /// Where the adequacy list comes from.
    pub adequacy_source: String,
    /// Adequacy decisions.
    pub decisions: Vec<AdequacyDecision>,
    /// Where the EEA list comes from.
    pub eea_source: String,
    /// EEA countries.
    pub eea: Vec<String>,
}

#[derive(Deserialize)]
struct AdequacyFile {
    source: String,
    decision: Vec<AdequacyDecision>,
}

#[derive(Deserialize)]
struct EeaFile {
    source: String,
    countries: Vec<String>,
}

impl EuData {
    /// Whether a country is in the EEA.
    pub fn in_eea(&self, country: &str) -> bool {
        self.eea.iter().any(|c| c == country)
    }
    /// The decision covering `country` on `on`, whatever its scope.
    pub fn adequacy(&self, country: &str, on: Date) -> Option<&AdequacyDecision> {
        self.decisions
            .iter()
            .filter(|d| {
                d.country == country && d.adopted <= on && d.valid_until.is_none_or(|u| on <= u)
            })
            .max_by_key(|d| d.adopted)
    }
}

static CHINA: LazyLock<ChinaData> = LazyLock::new(|| {
    toml::from_str(include_str!("../data/cn.toml")).expect("cn.toml is valid (tested)")
});

static EU: LazyLock<EuData> = LazyLock::new(|| {
    let a: AdequacyFile = toml::from_str(include_str!("../data/eu-adequacy.toml"))
        .expect("eu-adequacy.toml is valid (tested)");
    let e: EeaFile =
        toml::from_str(include_str!("../data/eea.toml")).expect("eea.toml is valid (tested)");
    EuData {
        adequacy_source: a.source,
        decisions: a.decision,
        eea_source: e.source,
        eea: e.countries,
    }
});

/// China's bundled rule data.
pub fn china() -> &'static ChinaData {
    &CHINA
}

/// The EU's bundled rule data.
pub fn eu() -> &'static EuData {
    &EU
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_loads_and_is_consistent() {
        let cn = china();
        for t in &cn.threshold {
            cn.instrument(&t.instrument);
            assert!(
                ["current_year", "previous_and_current_year", "processed"]
                    .contains(&t.window.as_str()),
                "{}",
                t.id
            );
            assert!(
                ["individuals", "sensitive_individuals"].contains(&t.measure.as_str()),
                "{}",
                t.id
            );
        }
        let eu = eu();
        assert_eq!(eu.eea.len(), 30);
        for d in &eu.decisions {
            assert!(
                outbound_model::country::name(&d.country).is_some(),
                "{}",
                d.country
            );
            assert!(["all", "commercial", "dpf_certified"].contains(&d.scope.as_str()));
        }
        for c in &eu.eea {
            assert!(outbound_model::country::name(c).is_some(), "{c}");
        }
    }

    #[test]
    fn deadlines_are_looked_up_by_the_day_they_apply_from() {
        let dl = &china().deadlines;
        let d = |s: &str| s.parse::<Date>().unwrap();
        // Assessment Measures Art. 14 (2 years) until the Provisions' Art. 9 (3 years) took effect.
        assert_eq!(dl.get("assessment_validity", d("2024-03-21")).value, 2);
        assert_eq!(dl.get("assessment_validity", d("2024-03-22")).value, 3);
        // Asked before its first version, a period reads as that first version.
        assert_eq!(dl.get("assessment_validity", d("2022-01-01")).value, 2);
        for id in [
            "filing",
            "assessment_validity",
            "assessment_renewal",
            "pipia_retention",
            "certification_renewal",
            "sc_rectification",
        ] {
            let x = dl.get(id, d("2026-11-23"));
            assert!(
                crate::text::citation_known(&x.citation),
                "{id}: {}",
                x.citation
            );
            assert_eq!(x.unit == Unit::Date, x.date.is_some(), "{id}");
        }
    }

    #[test]
    fn uk_is_adequate_without_gap() {
        let eu = eu();
        for d in [
            "2021-06-28",
            "2025-06-30",
            "2025-12-27",
            "2025-12-28",
            "2026-11-23",
            "2031-12-27",
        ] {
            assert!(eu.adequacy("GB", d.parse().unwrap()).is_some(), "{d}");
        }
        assert!(eu.adequacy("GB", "2021-06-27".parse().unwrap()).is_none());
        assert!(eu.adequacy("GB", "2031-12-28".parse().unwrap()).is_none());
    }
}
