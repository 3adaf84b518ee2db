//! Incident notification clocks: given when an incident was discovered, its
//! grade, the regimes its transfers involve and whether critical information
//! infrastructure is involved, who must be told and by when.
//!
//! Every number and article is in `data/incident-clocks.toml`; this module
//! only selects the clocks that apply and computes their due times.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use jiff::civil::Date;
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// A CAC incident grade (网络安全事件分级指南), lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 一般.
    General,
    /// 较大.
    RelativelyMajor,
    /// 重大.
    Major,
    /// 特别重大.
    ParticularlyMajor,
}

impl Grade {
    /// Every grade, lowest first.
    pub const ALL: [Grade; 4] = [
        Grade::General,
        Grade::RelativelyMajor,
        Grade::Major,
        Grade::ParticularlyMajor,
    ];

    /// The grade's id as the data file spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::General => "general",
            Grade::RelativelyMajor => "relatively_major",
            Grade::Major => "major",
            Grade::ParticularlyMajor => "particularly_major",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A grade name that is not one of [`Grade::ALL`].
#[derive(Debug, thiserror::Error)]
#[error("unknown severity `{0}` (one of: general, relatively_major, major, particularly_major)")]
pub struct UnknownGrade(pub String);

impl FromStr for Grade {
    type Err = UnknownGrade;
    fn from_str(s: &str) -> Result<Grade, UnknownGrade> {
        Grade::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| UnknownGrade(s.to_string()))
    }
}

/// How a clock's time limit is expressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Within {
    /// A fixed number of hours from discovery.
    Hours,
    /// 立即: no fixed hours.
    Immediately,
    /// "Without undue delay": no fixed hours.
    WithoutUndueDelay,
}

/// Who a clock's notice goes to: an authority or the individuals concerned
/// (the two drafts of `outbound incident draft --to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// A supervisory authority, a regulator, a department.
    Authority,
    /// The individuals (data subjects) concerned.
    Individuals,
}

impl Audience {
    /// `authority` or `individuals`.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Authority => "authority",
            Audience::Individuals => "individuals",
        }
    }
}

impl FromStr for Audience {
    type Err = String;
    fn from_str(s: &str) -> Result<Audience, String> {
        match s {
            "authority" => Ok(Audience::Authority),
            "individuals" => Ok(Audience::Individuals),
            _ => Err(format!(
                "unknown addressee `{s}` (authority or individuals)"
            )),
        }
    }
}

/// A grade as the data file describes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeData {
    /// Id (`general` …).
    pub id: Grade,
    /// Chinese name.
    pub zh: String,
    /// English name.
    pub en: String,
}

/// Which transfers involve a regime.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeData {
    /// Regime id (`CN`, `EU`, `RU`, `US`).
    pub id: String,
    /// ISO 3166-1 alpha-2 codes, or `EEA`.
    pub countries: Vec<String>,
    /// Which parties count: `exporter`, `recipient`.
    pub parties: Vec<String>,
    /// UTC offset (hours) in which dates in force are read.
    pub offset: i8,
}

/// An instrument that sets clocks.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentData {
    /// Stable id.
    pub id: String,
    /// The regime it belongs to.
    pub regime: String,
    /// Full name.
    pub name: String,
    /// Short name.
    pub short: String,
    /// Day in force (local to the regime's offset).
    pub in_force: Date,
}

/// A clock as the data file describes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockData {
    /// Stable id.
    pub id: String,
    /// Instrument id.
    pub instrument: String,
    /// Who is to be told.
    pub to: String,
    /// Who is to be told, in Chinese.
    pub to_zh: String,
    /// Whether that is an authority or the individuals.
    pub audience: Audience,
    /// How the limit is expressed.
    pub within: Within,
    /// Hours from discovery, when `within = "hours"`.
    #[serde(default)]
    pub hours: Option<u32>,
    /// The lowest grade it applies to.
    #[serde(default)]
    pub min_grade: Option<Grade>,
    /// Only with (true) or only without (false) critical information infrastructure.
    #[serde(default)]
    pub ciio: Option<bool>,
    /// The article.
    pub citation: String,
    /// The article, cited the Chinese way.
    pub citation_zh: String,
    /// What is owed.
    pub text: String,
    /// When it does not apply although selected.
    #[serde(default)]
    pub condition: Option<String>,
    /// The same, in Chinese.
    #[serde(default)]
    pub condition_zh: Option<String>,
    /// Whether the article was checked against a published text.
    pub confirmed: bool,
    /// Where it was checked, or why it is unconfirmed.
    pub source: String,
}

/// The bundled clock data.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockFile {
    /// Grades, lowest first.
    pub grade: Vec<GradeData>,
    /// Regimes.
    pub regime: Vec<RegimeData>,
    /// Instruments.
    pub instrument: Vec<InstrumentData>,
    /// Clocks.
    pub clock: Vec<ClockData>,
}

static DATA: LazyLock<ClockFile> = LazyLock::new(|| {
    toml::from_str(include_str!("../data/incident-clocks.toml"))
        .expect("incident-clocks.toml is valid (tested)")
});

/// The bundled clock data.
pub fn data() -> &'static ClockFile {
    &DATA
}

/// What the clocks depend on.
#[derive(Clone, Debug)]
pub struct IncidentFacts {
    /// When the incident was discovered (the clocks start here).
    pub discovered_at: Timestamp,
    /// Its CAC grade.
    pub grade: Grade,
    /// The regimes involved (see [`regimes_involved`]).
    pub regimes: BTreeSet<String>,
    /// Whether critical information infrastructure is involved.
    pub ciio: bool,
}

/// The regimes involved by transfers given as (exporter country, recipient country).
pub fn regimes_involved<'a>(
    parties: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeSet<String> {
    let in_list = |r: &RegimeData, c: &str| {
        r.countries
            .iter()
            .any(|x| x == c || (x == "EEA" && crate::data::eu().in_eea(c)))
    };
    let mut out = BTreeSet::new();
    for (exporter, recipient) in parties {
        for r in &DATA.regime {
            let hit = r.parties.iter().any(|p| match p.as_str() {
                "exporter" => in_list(r, exporter),
                "recipient" => in_list(r, recipient),
                _ => false,
            });
            if hit {
                out.insert(r.id.clone());
            }
        }
    }
    out
}

/// The transfers named by an incident, checked against the map: the regimes
/// their exporters and recipients involve, and whether any exporter is a
/// critical information infrastructure operator. Errs naming the first
/// transfer id the map does not have.
pub fn involved(
    map: &outbound_model::DataMap,
    transfers: &[String],
) -> Result<(BTreeSet<String>, bool), String> {
    let mut parties = Vec::new();
    let mut ciio = false;
    for id in transfers {
        let t = map
            .transfer(id)
            .ok_or_else(|| format!("unknown transfer `{id}`: the data map has no such transfer"))?;
        let e = map.exporter(&t.exporter);
        let r = map.recipient(&t.recipient);
        ciio |= e.is_some_and(|e| e.ciio);
        parties.push((
            e.map_or("", |e| e.country.as_str()),
            r.map_or("", |r| r.country.as_str()),
        ));
    }
    Ok((regimes_involved(parties), ciio))
}

impl IncidentFacts {
    /// Facts from the register's text fields (an RFC 3339 time, a grade id).
    pub fn parse(
        discovered_at: &str,
        severity: &str,
        regimes: &[String],
        ciio: bool,
    ) -> Result<IncidentFacts, String> {
        Ok(IncidentFacts {
            discovered_at: discovered_at
                .parse()
                .map_err(|_| format!("`{discovered_at}` is not an RFC 3339 time"))?,
            grade: severity.parse().map_err(|e: UnknownGrade| e.to_string())?,
            regimes: regimes.iter().cloned().collect(),
            ciio,
        })
    }
}

/// When a clock falls due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// At this instant (inclusive).
    At(Timestamp),
    /// 立即: no fixed time.
    Immediately,
    /// Without undue delay: no fixed time.
    WithoutUndueDelay,
}

impl fmt::Display for Due {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Due::At(t) => write!(f, "{t}"),
            Due::Immediately => f.write_str("immediately"),
            Due::WithoutUndueDelay => f.write_str("without undue delay"),
        }
    }
}

impl Serialize for Due {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// One clock that applies to an incident.
#[derive(Clone, Debug, Serialize)]
pub struct Clock {
    /// The clock's id in the data file.
    pub id: String,
    /// Regime id.
    pub regime: String,
    /// Who is to be told.
    pub to: String,
    /// Who is to be told, in Chinese.
    pub to_zh: String,
    /// Whether that is an authority or the individuals.
    pub audience: Audience,
    /// The instrument's id.
    pub instrument: String,
    /// When it falls due.
    pub due: Due,
    /// The article.
    pub citation: String,
    /// The article, cited the Chinese way.
    pub citation_zh: String,
    /// What is owed.
    pub text: String,
    /// When it does not apply although listed.
    pub condition: Option<String>,
    /// The same, in Chinese.
    pub condition_zh: Option<String>,
    /// Whether the article was checked against a published text.
    pub confirmed: bool,
}

/// Where a clock stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockState {
    /// Not yet met, and not yet due (or with no fixed time).
    Running,
    /// Met on time.
    Met,
    /// Due and not met, or met late.
    Missed,
}

impl ClockState {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::Met => "met",
            ClockState::Missed => "missed",
        }
    }
}

impl Clock {
    /// The state at `now`, given when the notice was sent (`met_at`). A notice
    /// sent exactly at the due instant is on time. A clock with no fixed time
    /// is met once a notice is sent, running until then.
    pub fn state(&self, met_at: Option<Timestamp>, now: Timestamp) -> ClockState {
        match (self.due, met_at) {
            (Due::At(due), Some(m)) if m <= due => ClockState::Met,
            (Due::At(_), Some(_)) => ClockState::Missed,
            (Due::At(due), None) if now > due => ClockState::Missed,
            (_, Some(_)) => ClockState::Met,
            (_, None) => ClockState::Running,
        }
    }
}

fn in_force(i: &InstrumentData, at: Timestamp) -> bool {
    let offset = DATA
        .regime
        .iter()
        .find(|r| r.id == i.regime)
        .map_or(Offset::UTC, |r| Offset::constant(r.offset));
    offset.to_datetime(at).date() >= i.in_force
}

/// The clocks that apply to an incident, in the data file's order.
pub fn clocks(f: &IncidentFacts) -> Vec<Clock> {
    let mut out = Vec::new();
    for c in &DATA.clock {
        let Some(i) = DATA.instrument.iter().find(|i| i.id == c.instrument) else {
            continue;
        };
        if !f.regimes.contains(&i.regime)
            || !in_force(i, f.discovered_at)
            || c.min_grade.is_some_and(|g| f.grade < g)
            || c.ciio.is_some_and(|x| x != f.ciio)
        {
            continue;
        }
        let due = match c.within {
            Within::Immediately => Due::Immediately,
            Within::WithoutUndueDelay => Due::WithoutUndueDelay,
            Within::Hours => {
                let h = c.hours.unwrap_or(0);
                Due::At(
                    f.discovered_at
                        .checked_add(SignedDuration::from_hours(i64::from(h)))
                        .unwrap_or(Timestamp::MAX),
                )
            }
        };
        out.push(Clock {
            id: c.id.clone(),
            regime: i.regime.clone(),
            to: c.to.clone(),
            to_zh: c.to_zh.clone(),
            audience: c.audience,
            instrument: c.instrument.clone(),
            due,
            citation: c.citation.clone(),
            citation_zh: c.citation_zh.clone(),
            text: c.text.clone(),
            condition: c.condition.clone(),
            condition_zh: c.condition_zh.clone(),
            confirmed: c.confirmed,
        });
    }
    out
}

/// A clock with where it stands, for listing.
#[derive(Clone, Debug, Serialize)]
pub struct ClockView {
    /// The clock.
    #[serde(flatten)]
    pub clock: Clock,
    /// Running, met or missed.
    pub state: ClockState,
    /// When the notice was sent, if it was.
    pub met_at: Option<Timestamp>,
}

/// The clocks of an incident and where each stands at `now`, given the
/// notices sent (clock id → when). A notice recorded under an id that is not
/// one of the clocks is ignored here.
pub fn clock_views(
    f: &IncidentFacts,
    notices: &std::collections::BTreeMap<String, Timestamp>,
    now: Timestamp,
) -> Vec<ClockView> {
    clocks(f)
        .into_iter()
        .map(|c| {
            let met_at = notices.get(&c.id).copied();
            ClockView {
                state: c.state(met_at, now),
                met_at,
                clock: c,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_loads_and_is_consistent() {
        let d = data();
        assert_eq!(
            d.grade.iter().map(|g| g.id).collect::<Vec<_>>(),
            Grade::ALL,
            "grades lowest first"
        );
        let mut ids = BTreeSet::new();
        for c in &d.clock {
            assert!(ids.insert(c.id.clone()), "duplicate clock {}", c.id);
            let i = d.instrument.iter().find(|i| i.id == c.instrument);
            let i = i.unwrap_or_else(|| panic!("{}: unknown instrument", c.id));
            assert!(d.regime.iter().any(|r| r.id == i.regime), "{}", c.id);
            assert_eq!(c.within == Within::Hours, c.hours.is_some(), "{}", c.id);
            assert!(!c.citation.is_empty() && !c.source.is_empty(), "{}", c.id);
            assert_eq!(
                c.condition.is_some(),
                c.condition_zh.is_some(),
                "{}: a condition in both languages",
                c.id
            );
        }
        for r in &d.regime {
            for c in &r.countries {
                assert!(
                    c == "EEA" || outbound_model::country::name(c).is_some(),
                    "{c}"
                );
            }
            for p in &r.parties {
                assert!(["exporter", "recipient"].contains(&p.as_str()), "{p}");
            }
        }
    }

    #[test]
    fn each_clock_goes_to_an_authority_or_to_the_individuals() {
        let individuals: Vec<&str> = data()
            .clock
            .iter()
            .filter(|c| c.audience == Audience::Individuals)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(
            individuals,
            ["cn-pipl57-individuals", "eu-gdpr34-individuals"]
        );
        assert_eq!("authority".parse::<Audience>(), Ok(Audience::Authority));
        assert_eq!("individuals".parse::<Audience>(), Ok(Audience::Individuals));
        assert!(
            "regulator"
                .parse::<Audience>()
                .unwrap_err()
                .contains("regulator")
        );
        let f = IncidentFacts::parse(
            "2026-11-23T08:00:00Z",
            "general",
            &["CN".to_string()],
            false,
        )
        .unwrap();
        for c in clocks(&f) {
            assert_eq!(c.instrument, "pipl", "{}", c.id);
            assert_eq!(
                c.audience == Audience::Individuals,
                c.id.ends_with("-individuals")
            );
        }
    }
}
