//! Reviews of overseas recipients: when the next review is due, and a risk
//! score per recipient computed by a documented method (docs/RISK.md), always
//! with its breakdown: each input, its value, its points and where it came
//! from, never a bare number.
//!
//! The schedule, the criteria, their weights and the bands are data
//! (`data/recipient-risk.toml`, each with its rationale and source); this
//! module only applies them. The inputs come from three places: the data map
//! (destination country, sensitivity of the fields, onward recipients, read
//! by [`RiskInputs::from_map`]), the ledger (volume) and the store's reviews
//! and attestations (findings, overdue attestations), which the caller fills.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use jiff::ToSpan;
use jiff::civil::Date;
use outbound_model::taxonomy::Taxonomy;
use outbound_model::{DataMap, SensitiveClass, SubjectKind};
use serde::{Deserialize, Serialize};

/// How often a recipient is reviewed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewSchedule {
    /// Months from one review to the next.
    pub months: i32,
    /// Days before the due date from which a review is due soon.
    pub due_soon_days: i32,
    /// Where the interval comes from.
    pub basis: String,
    /// The instruments consulted.
    pub sources: Vec<String>,
}

/// The method as a whole.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Method {
    /// Its version, shown with every score.
    pub version: u32,
    /// Where the method comes from.
    pub basis: String,
    /// The instruments it follows.
    pub sources: Vec<String>,
}

/// One step of a criterion: `points` from `at_least` up.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The lowest value that earns these points.
    pub at_least: u64,
    /// The points.
    pub points: i64,
}

/// One criterion of the method.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// `destination`, `sensitivity`, `volume`, `findings`, `attestations` or `onward`.
    pub id: String,
    /// Name in English.
    pub en: String,
    /// Name in Chinese.
    pub zh: String,
    /// What the input is and where it is read.
    pub input: String,
    /// Why it counts.
    pub rationale: String,
    /// The instrument behind it.
    pub source: String,
    /// Points by value (the highest step reached).
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Points per counted item, by item.
    #[serde(default)]
    pub weights: BTreeMap<String, i64>,
    /// The most points the weights give.
    #[serde(default)]
    pub cap: Option<i64>,
}

impl Criterion {
    /// The most points this criterion gives.
    pub fn max_points(&self) -> i64 {
        match self.cap {
            Some(c) => c,
            None => self.steps.iter().map(|s| s.points).max().unwrap_or(0),
        }
    }

    /// The points of `value` by the steps.
    pub fn step_points(&self, value: u64) -> i64 {
        self.steps
            .iter()
            .rev()
            .find(|s| value >= s.at_least)
            .map(|s| s.points)
            .unwrap_or(0)
    }

    /// The points of counted items by the weights, at most the cap.
    pub fn weighted_points(&self, counts: &[(&str, u64)]) -> i64 {
        let sum: i64 = counts
            .iter()
            .map(|(k, n)| {
                self.weights
                    .get(*k)
                    .copied()
                    .unwrap_or(0)
                    .saturating_mul(i64::try_from(*n).unwrap_or(i64::MAX))
            })
            .fold(0i64, i64::saturating_add);
        self.cap.map_or(sum, |c| sum.min(c))
    }
}

/// A band of totals.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// `low`, `medium`, `high`, `very_high`.
    pub id: String,
    /// Name in English.
    pub en: String,
    /// Name in Chinese.
    pub zh: String,
    /// The lowest total in the band.
    pub at_least: i64,
    /// What the band calls for.
    pub meaning: String,
}

/// The whole data file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskData {
    /// The review schedule.
    pub review_schedule: ReviewSchedule,
    /// The method.
    pub method: Method,
    /// The criteria, in the order shown.
    pub criterion: Vec<Criterion>,
    /// The bands, lowest first.
    pub band: Vec<Band>,
}

impl RiskData {
    /// The criterion `id`.
    pub fn criterion(&self, id: &str) -> Option<&Criterion> {
        self.criterion.iter().find(|c| c.id == id)
    }

    /// The band of a total.
    pub fn band_of(&self, total: i64) -> &Band {
        self.band
            .iter()
            .rev()
            .find(|b| total >= b.at_least)
            .unwrap_or(&self.band[0])
    }
}

static DATA: LazyLock<RiskData> = LazyLock::new(|| {
    toml::from_str(include_str!("../data/recipient-risk.toml"))
        .expect("recipient-risk.toml is valid (tested)")
});

/// The bundled schedule and method.
pub fn data() -> &'static RiskData {
    &DATA
}

/// Where a recipient's review stands; declared worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStanding {
    /// The due date has passed.
    Overdue,
    /// Never reviewed, and the first review is not yet overdue (or has no date).
    NeverReviewed,
    /// Due within the due-soon window.
    DueSoon,
    /// Reviewed, next due later.
    Current,
}

impl ReviewStanding {
    /// The name used in JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStanding::Overdue => "overdue",
            ReviewStanding::NeverReviewed => "never_reviewed",
            ReviewStanding::DueSoon => "due_soon",
            ReviewStanding::Current => "current",
        }
    }
}

/// When a recipient's next review is due and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReviewStatus {
    /// The day of the latest review, if any.
    pub last: Option<Date>,
    /// When the next review is due (`None`: never reviewed and no contract is dated).
    pub due: Option<Date>,
    /// Where it stands on the day judged.
    pub standing: ReviewStanding,
}

/// The earliest effective date of the mechanisms of the transfers made to `recipient`.
pub fn first_effective(map: &DataMap, recipient: &str) -> Option<Date> {
    map.transfers
        .iter()
        .filter(|t| t.recipient == recipient)
        .flat_map(|t| t.mechanisms.iter().filter_map(|m| m.effective))
        .min()
}

/// Where a recipient's review stands on `as_of`: due one schedule after the
/// latest review, or, never reviewed, one schedule after `first_effective`;
/// overdue from the day after the due date.
pub fn review_status(
    last: Option<Date>,
    first_effective: Option<Date>,
    as_of: Date,
) -> ReviewStatus {
    let s = &data().review_schedule;
    let plus = |d: Date| d.checked_add(s.months.months()).unwrap_or(Date::MAX);
    let due = last.or(first_effective).map(plus);
    let overdue = due.is_some_and(|d| as_of > d);
    let soon = due.is_some_and(|d| {
        d.checked_sub(s.due_soon_days.days())
            .is_ok_and(|from| as_of >= from)
    });
    let standing = if overdue {
        ReviewStanding::Overdue
    } else if last.is_none() {
        ReviewStanding::NeverReviewed
    } else if soon {
        ReviewStanding::DueSoon
    } else {
        ReviewStanding::Current
    };
    ReviewStatus {
        last,
        due,
        standing,
    }
}

/// The recipient's destination.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DestinationInput {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Its government-access score (1–5), `None` when the country is not listed.
    pub access_risk: Option<u8>,
    /// Where the score was read.
    pub from: String,
}

/// The most sensitive data the recipient's transfers carry.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SensitivityInput {
    /// 0 none, 1 sensitive, 2 biometric, medical/health or a child's.
    pub level: u8,
    /// The sensitive classes found.
    pub classes: Vec<String>,
    /// The transfers that carry sensitive data.
    pub transfers: Vec<String>,
}

/// Distinct individuals the recipient received.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VolumeInput {
    /// The year judged.
    pub year: i16,
    /// Summed over its transfers, this year.
    pub this_year: u64,
    /// Summed over its transfers, the previous year.
    pub last_year: u64,
    /// The transfers counted.
    pub transfers: Vec<String>,
}

impl VolumeInput {
    /// The value scored: the larger of the two years.
    pub fn value(&self) -> u64 {
        self.this_year.max(self.last_year)
    }
}

/// The recipient's findings by state and severity.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct FindingCounts {
    /// Open, high.
    pub open_high: u64,
    /// Open, medium.
    pub open_medium: u64,
    /// Open, low.
    pub open_low: u64,
    /// Accepted, high.
    pub accepted_high: u64,
    /// Accepted, medium.
    pub accepted_medium: u64,
    /// Accepted, low.
    pub accepted_low: u64,
    /// Fixed (no points; shown).
    pub fixed: u64,
}

/// The recipient's obligations behind.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct AttestationCounts {
    /// Overdue.
    pub overdue: u64,
    /// The latest attestation says not met.
    pub not_met: u64,
}

/// Everything a recipient's score is computed from.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RiskInputs {
    /// The recipient's id.
    pub recipient: String,
    /// From the data map and the destinations file.
    pub destination: DestinationInput,
    /// From the data map.
    pub sensitivity: SensitivityInput,
    /// From the ledger.
    pub volume: VolumeInput,
    /// From the store's reviews.
    pub findings: FindingCounts,
    /// From the store's attestations and the checklist.
    pub attestations: AttestationCounts,
    /// From the data map: each onward recipient as `name (country)`.
    pub onward: Vec<String>,
}

impl RiskInputs {
    /// The inputs the data map gives for `recipient` (country, sensitivity,
    /// onward recipients, the transfers whose volume counts); the rest are
    /// zero until the caller fills them. `None` for an unknown recipient.
    pub fn from_map(map: &DataMap, recipient: &str, year: i16) -> Option<RiskInputs> {
        let r = map.recipients.iter().find(|r| r.id == recipient)?;
        let tax = Taxonomy::builtin();
        let mut classes = std::collections::BTreeSet::new();
        let mut sensitive_transfers = Vec::new();
        let mut transfers = Vec::new();
        for t in map.transfers.iter().filter(|t| t.recipient == recipient) {
            transfers.push(t.id.clone());
            let mut any = false;
            for f in map.transfer_fields(t) {
                let Some(c) = tax.get(&f.category) else {
                    continue;
                };
                if !c.personal {
                    continue;
                }
                if let Some(class) = c.sensitivity(map.sensitivity_profile) {
                    classes.insert(class);
                    any = true;
                }
                if f.subject == SubjectKind::ChildUnder14 {
                    classes.insert(SensitiveClass::MinorUnder14);
                    any = true;
                }
            }
            if any {
                sensitive_transfers.push(t.id.clone());
            }
        }
        let special = classes.iter().any(|c| {
            matches!(
                c,
                SensitiveClass::Biometric
                    | SensitiveClass::MedicalHealth
                    | SensitiveClass::MinorUnder14
            )
        });
        Some(RiskInputs {
            recipient: recipient.to_string(),
            destination: DestinationInput {
                country: r.country.clone(),
                access_risk: None,
                from: String::new(),
            },
            sensitivity: SensitivityInput {
                level: if special {
                    2
                } else {
                    u8::from(!classes.is_empty())
                },
                classes: classes.iter().map(|c| c.as_str().to_string()).collect(),
                transfers: sensitive_transfers,
            },
            volume: VolumeInput {
                year,
                transfers,
                ..VolumeInput::default()
            },
            onward: r
                .onward_recipients
                .iter()
                .map(|o| format!("{} ({})", o.name, o.country))
                .collect(),
            ..RiskInputs::default()
        })
    }
}

/// One line of a score's breakdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The criterion's id.
    pub criterion: String,
    /// Its name in English.
    pub en: String,
    /// Its name in Chinese.
    pub zh: String,
    /// The input's value as scored (`4`, `12,500`, `1 open high, 1 accepted low`).
    pub value: String,
    /// The points it earns.
    pub points: i64,
    /// The most points the criterion gives.
    pub max: i64,
    /// Where the value came from.
    pub from: String,
    /// The criterion's source.
    pub source: String,
}

/// A recipient's score with its breakdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiskScore {
    /// The recipient's id.
    pub recipient: String,
    /// The method's version.
    pub method_version: u32,
    /// The sum of the points.
    pub total: i64,
    /// The most points possible.
    pub max: i64,
    /// The band's id.
    pub band: String,
    /// The band in English.
    pub band_en: String,
    /// The band in Chinese.
    pub band_zh: String,
    /// What the band calls for.
    pub band_meaning: String,
    /// One line per criterion, in the data file's order.
    pub lines: Vec<Line>,
}

fn thousands(n: u64) -> String {
    crate::format::thousands(n)
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// Scores `i` by the bundled method.
pub fn score(i: &RiskInputs) -> RiskScore {
    let d = data();
    let mut lines = Vec::new();
    for c in &d.criterion {
        let (value, points, from) = match c.id.as_str() {
            "destination" => {
                let v = i.destination.access_risk.unwrap_or(5);
                let shown = match i.destination.access_risk {
                    Some(v) => format!("{} (access score {v})", i.destination.country),
                    None => format!("{} (not listed: counts as 5)", i.destination.country),
                };
                (
                    shown,
                    c.step_points(u64::from(v)),
                    i.destination.from.clone(),
                )
            }
            "sensitivity" => {
                let s = &i.sensitivity;
                let shown = match s.level {
                    0 => "none".to_string(),
                    l => format!("{l} ({})", s.classes.join(", ")),
                };
                (
                    shown,
                    c.step_points(u64::from(s.level)),
                    format!("data map: fields of transfers {}", list(&s.transfers)),
                )
            }
            "volume" => {
                let v = &i.volume;
                (
                    thousands(v.value()),
                    c.step_points(v.value()),
                    format!(
                        "ledger: distinct individuals per transfer summed ({} in {}, {} in {}; an upper bound if one person came by two transfers) over {}",
                        thousands(v.this_year),
                        v.year,
                        thousands(v.last_year),
                        v.year - 1,
                        list(&v.transfers)
                    ),
                )
            }
            "findings" => {
                let f = &i.findings;
                let counts = [
                    ("open_high", f.open_high),
                    ("open_medium", f.open_medium),
                    ("open_low", f.open_low),
                    ("accepted_high", f.accepted_high),
                    ("accepted_medium", f.accepted_medium),
                    ("accepted_low", f.accepted_low),
                ];
                let mut parts: Vec<String> = counts
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
                    .collect();
                if f.fixed > 0 {
                    parts.push(format!("{} fixed", f.fixed));
                }
                (
                    if parts.is_empty() {
                        "none".into()
                    } else {
                        parts.join(", ")
                    },
                    c.weighted_points(&counts),
                    "store: the recipient's reviews".into(),
                )
            }
            "attestations" => {
                let a = &i.attestations;
                (
                    format!("{} overdue, {} not met", a.overdue, a.not_met),
                    c.weighted_points(&[("overdue", a.overdue), ("not_met", a.not_met)]),
                    "store: latest attestations against the checklist".into(),
                )
            }
            "onward" => (
                format!("{} ({})", i.onward.len(), list(&i.onward)),
                c.step_points(i.onward.len() as u64),
                "data map: the recipient's onward_recipients".into(),
            ),
            _ => ("?".into(), 0, String::new()),
        };
        lines.push(Line {
            criterion: c.id.clone(),
            en: c.en.clone(),
            zh: c.zh.clone(),
            value,
            points,
            max: c.max_points(),
            from,
            source: c.source.clone(),
        });
    }
    let total = lines.iter().map(|l| l.points).sum();
    let band = d.band_of(total);
    RiskScore {
        recipient: i.recipient.clone(),
        method_version: d.method.version,
        total,
        max: d.criterion.iter().map(Criterion::max_points).sum(),
        band: band.id.clone(),
        band_en: band.en.clone(),
        band_zh: band.zh.clone(),
        band_meaning: band.meaning.clone(),
        lines,
    }
}

/// The breakdown as a Markdown table (docs/RISK.md's example, the CLI).
pub fn markdown(s: &RiskScore) -> String {
    let mut out = String::from("| Criterion | Value | Points | From |\n|---|---|---|---|\n");
    for l in &s.lines {
        out.push_str(&format!(
            "| {} | {} | {} / {} | {} |\n",
            l.en, l.value, l.points, l.max, l.from
        ));
    }
    out.push_str(&format!(
        "| **Total** | | **{} / {}** | band **{}** (method v{}) |\n",
        s.total, s.max, s.band_en, s.method_version
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_is_consistent() {
        let d = data();
        let ids: Vec<&str> = d.criterion.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "destination",
                "sensitivity",
                "volume",
                "findings",
                "attestations",
                "onward"
            ]
        );
        for c in &d.criterion {
            assert!(
                c.steps.is_empty() != c.weights.is_empty(),
                "{}: steps or weights",
                c.id
            );
            assert!(c.weights.is_empty() || c.cap.is_some(), "{}: a cap", c.id);
            if !c.steps.is_empty() {
                assert_eq!(c.steps[0].at_least, 0, "{}", c.id);
                assert!(
                    c.steps
                        .windows(2)
                        .all(|w| w[0].at_least < w[1].at_least && w[0].points <= w[1].points),
                    "{}: ascending",
                    c.id
                );
            }
            for s in [&c.rationale, &c.source, &c.input, &c.zh] {
                assert!(!s.trim().is_empty(), "{}", c.id);
            }
        }
        assert_eq!(d.band[0].at_least, 0);
        assert!(d.band.windows(2).all(|w| w[0].at_least < w[1].at_least));
        assert_eq!(d.review_schedule.months, 12);
        assert!(d.review_schedule.basis.contains("Company policy"));
    }
}
