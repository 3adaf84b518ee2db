//! Rights requests: what a person may ask for (with the PIPL and GDPR
//! articles) and by when the answer is due under each regime.
//!
//! Every number and article is in `data/rights-deadlines.toml`; this module
//! only counts. GDPR Art. 12(3): one month from receipt (31 January → the last
//! day of February), extendable by two further months if the person is told
//! within the first month. China: no statute fixes a number of days (PIPL
//! Art. 45, 46 and 50 and the Network Data Security Management Regulations say
//! "promptly"); GB/T 35273-2020 §8.7 a), a recommended standard, sets thirty
//! days from the identity check, used as the benchmark and marked `binding =
//! false`. A pause stops the clock for the calendar days it covers.
//!
//! The store keeps the facts of a request (received, identity checked,
//! pauses, extension); [`due`] turns them into a due date per regime and
//! [`Due::state`] says whether it is running, met or missed.

use std::sync::LazyLock;

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};

/// A kind of request as the data file describes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindData {
    /// Id (`delete` …): the store's `RequestKind`.
    pub id: String,
    /// What the person asks for.
    pub en: String,
    /// The same, in Chinese.
    pub zh: String,
    /// The PIPL article.
    pub pipl: String,
    /// The PIPL article, cited the Chinese way.
    pub pipl_zh: String,
    /// The GDPR article(s).
    pub gdpr: String,
    /// Whether the articles were checked against a published text.
    pub confirmed: bool,
    /// Where, or why not.
    pub source: String,
}

/// Where a clock starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Starts {
    /// The day the request is received.
    Receipt,
    /// The day the person's identity is verified.
    IdentityVerified,
}

/// A citation that bears on a deadline without fixing its number.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteData {
    /// The instrument and article.
    pub article: String,
    /// The same, cited the Chinese way.
    #[serde(default)]
    pub article_zh: Option<String>,
    /// What it says.
    pub text: String,
    /// The same, in Chinese.
    #[serde(default)]
    pub text_zh: Option<String>,
    /// Whether it was checked against a published text.
    pub confirmed: bool,
    /// Where, or why not.
    pub source: String,
}

/// A regime's deadline as the data file describes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineData {
    /// Regime id (`CN`, `EU`).
    pub regime: String,
    /// Local time (hours from UTC) in which days are counted.
    pub offset: i8,
    /// The instrument's full name.
    pub instrument: String,
    /// Its short name.
    pub short: String,
    /// The article that fixes the number.
    pub article: String,
    /// The same, cited the Chinese way.
    pub article_zh: String,
    /// Day in force.
    pub in_force: Date,
    /// Where the clock starts.
    pub starts: Starts,
    /// The period in months, if expressed in months.
    #[serde(default)]
    pub months: Option<i8>,
    /// The period in days, if expressed in days.
    #[serde(default)]
    pub days: Option<i16>,
    /// The extension available, in months (0: none).
    pub extension_months: i8,
    /// Whether the instrument binds (false: a recommended standard).
    pub binding: bool,
    /// What is owed.
    pub text: String,
    /// The same, in Chinese.
    pub text_zh: String,
    /// Whether it was checked against a published text.
    pub confirmed: bool,
    /// Where, or why not.
    pub source: String,
    /// Citations that bear on it.
    #[serde(default)]
    pub note: Vec<NoteData>,
}

impl DeadlineData {
    /// The citation as shown: `GDPR Art. 12(3)`.
    pub fn citation(&self) -> String {
        format!("{} {}", self.short, self.article)
    }
}

/// The data file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RightsFile {
    /// The kinds of request.
    pub kind: Vec<KindData>,
    /// The deadlines, one per regime.
    pub deadline: Vec<DeadlineData>,
}

static DATA: LazyLock<RightsFile> = LazyLock::new(|| {
    toml::from_str(include_str!("../data/rights-deadlines.toml"))
        .expect("rights-deadlines.toml is valid (tested)")
});

/// The rights data (parsed once; the crate's tests check that it parses and
/// that every deadline has exactly one period).
pub fn data() -> &'static RightsFile {
    &DATA
}

/// The kind `id`, if the data file has it.
pub fn kind(id: &str) -> Option<&'static KindData> {
    data().kind.iter().find(|k| k.id == id)
}

/// The deadline of `regime`, if the data file has one.
pub fn deadline(regime: &str) -> Option<&'static DeadlineData> {
    data().deadline.iter().find(|d| d.regime == regime)
}

/// The facts of a request a due date depends on (as the store records them).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// When the request was received.
    pub received_at: Option<Timestamp>,
    /// When the identity was verified, if it was.
    pub identity_at: Option<Timestamp>,
    /// The pauses: from, and to if ended.
    pub pauses: Vec<(Timestamp, Option<Timestamp>)>,
    /// When the person was told of an extension, if they were.
    pub extended_at: Option<Timestamp>,
}

impl Clock {
    /// The facts from the store's RFC 3339 strings; `None` where one does not parse.
    pub fn parse(
        received_at: &str,
        identity_at: Option<&str>,
        pauses: &[(&str, Option<&str>)],
        extended_at: Option<&str>,
    ) -> Option<Clock> {
        let t = |s: &str| s.parse::<Timestamp>().ok();
        Some(Clock {
            received_at: Some(t(received_at)?),
            identity_at: match identity_at {
                Some(s) => Some(t(s)?),
                None => None,
            },
            pauses: pauses
                .iter()
                .map(|(f, to)| {
                    Some((
                        t(f)?,
                        match to {
                            Some(s) => Some(t(s)?),
                            None => None,
                        },
                    ))
                })
                .collect::<Option<Vec<_>>>()?,
            extended_at: match extended_at {
                Some(s) => Some(t(s)?),
                None => None,
            },
        })
    }
}

/// What became of an extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionState {
    /// None recorded.
    None,
    /// Told within the first period: the longer period applies.
    InTime,
    /// Told after the first period ended: it does not count.
    Late,
    /// The regime provides none: it does not count.
    NotProvided,
}

impl ExtensionState {
    /// The state as shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionState::None => "none",
            ExtensionState::InTime => "in_time",
            ExtensionState::Late => "late",
            ExtensionState::NotProvided => "not_provided",
        }
    }
}

/// Where a due date stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// The clock has not started (awaiting the identity check).
    NotStarted,
    /// Paused now.
    Paused,
    /// Running, not yet due.
    Running,
    /// Answered on or before the due date.
    Met,
    /// Not answered by the end of the due date.
    Missed,
}

impl DueState {
    /// The state as shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DueState::NotStarted => "not_started",
            DueState::Paused => "paused",
            DueState::Running => "running",
            DueState::Met => "met",
            DueState::Missed => "missed",
        }
    }
}

/// A regime's due date for one request.
#[derive(Clone, Debug, Serialize)]
pub struct Due {
    /// The regime.
    pub regime: String,
    /// Its citation (`GDPR Art. 12(3)`).
    pub citation: String,
    /// Whether the instrument binds.
    pub binding: bool,
    /// Whether the citation was checked against a published text.
    pub confirmed: bool,
    /// The day the clock started (local), if it has.
    pub starts_on: Option<Date>,
    /// Calendar days the clock was paused.
    pub paused_days: i64,
    /// Whether it is paused now.
    pub paused_now: bool,
    /// The end of the first period (the last day to tell the person of an
    /// extension), pauses included.
    pub first_period_end: Option<Date>,
    /// What became of an extension.
    pub extension: ExtensionState,
    /// The due date (local, inclusive): `None` while not started or paused.
    pub due: Option<Date>,
    /// The local offset the days are counted in (hours).
    pub offset: i8,
}

impl Due {
    /// Where it stands at `now`, given when the request was answered (closed).
    pub fn state(&self, answered_at: Option<Timestamp>, now: Timestamp) -> DueState {
        let local = |t: Timestamp| local_date(t, self.offset);
        match (self.starts_on, answered_at) {
            (None, None) => DueState::NotStarted,
            (None, Some(_)) => DueState::Met,
            (Some(_), Some(a)) => match self.due {
                Some(d) if local(a) > d => DueState::Missed,
                _ => DueState::Met,
            },
            (Some(_), None) if self.paused_now => DueState::Paused,
            (Some(_), None) => match self.due {
                Some(d) if local(now) > d => DueState::Missed,
                _ => DueState::Running,
            },
        }
    }
}

/// A regime without a deadline in the data file.
#[derive(Debug, thiserror::Error)]
#[error("no rights-request deadline for regime `{0}` in rights-deadlines.toml (one of: {1})")]
pub struct UnknownRegime(pub String, pub String);

fn local_date(t: Timestamp, offset: i8) -> Date {
    t.to_zoned(TimeZone::fixed(Offset::constant(offset))).date()
}

fn add_months(d: Date, months: i64) -> Date {
    // jiff constrains the day to the month's last: 2026-01-31 + 1 month = 2026-02-28.
    d.checked_add(Span::new().months(months))
        .expect("dates of requests are far from jiff's limits")
}

fn add_days(d: Date, days: i64) -> Date {
    d.checked_add(Span::new().days(days))
        .expect("dates of requests are far from jiff's limits")
}

/// The due date of a request under `regime`.
pub fn due(regime: &str, clock: &Clock) -> Result<Due, UnknownRegime> {
    let dl = deadline(regime).ok_or_else(|| {
        UnknownRegime(
            regime.to_string(),
            data()
                .deadline
                .iter()
                .map(|d| d.regime.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )
    })?;
    let start = match dl.starts {
        Starts::Receipt => clock.received_at,
        Starts::IdentityVerified => clock.identity_at,
    };
    let local = |t: Timestamp| local_date(t, dl.offset);
    let mut out = Due {
        regime: dl.regime.clone(),
        citation: dl.citation(),
        binding: dl.binding,
        confirmed: dl.confirmed,
        starts_on: start.map(local),
        paused_days: 0,
        paused_now: false,
        first_period_end: None,
        extension: ExtensionState::None,
        due: None,
        offset: dl.offset,
    };
    let Some(start) = start else {
        return Ok(out);
    };
    let starts_on = local(start);
    for (from, to) in &clock.pauses {
        let from = (*from).max(start);
        match to {
            None => out.paused_now = true,
            Some(to) if *to > from => {
                out.paused_days += (local(*to) - local(from)).get_days() as i64;
            }
            Some(_) => {}
        }
    }
    let period = |extra_months: i64| match (dl.months, dl.days) {
        (Some(m), _) => add_months(starts_on, i64::from(m) + extra_months),
        (None, Some(d)) => add_months(add_days(starts_on, i64::from(d)), extra_months),
        (None, None) => starts_on,
    };
    let first = add_days(period(0), out.paused_days);
    out.first_period_end = Some(first);
    let mut due = first;
    if let Some(at) = clock.extended_at {
        out.extension = if dl.extension_months == 0 {
            ExtensionState::NotProvided
        } else if local(at) <= first {
            due = add_days(period(i64::from(dl.extension_months)), out.paused_days);
            ExtensionState::InTime
        } else {
            ExtensionState::Late
        };
    }
    if !out.paused_now {
        out.due = Some(due);
    }
    Ok(out)
}

/// The due dates under each of `regimes`, earliest first (unknown regimes
/// are errors, not skipped).
pub fn due_all(regimes: &[String], clock: &Clock) -> Result<Vec<Due>, UnknownRegime> {
    let mut v = regimes
        .iter()
        .map(|r| due(r, clock))
        .collect::<Result<Vec<_>, _>>()?;
    v.sort_by_key(|d| (d.due.is_none(), d.due));
    Ok(v)
}
