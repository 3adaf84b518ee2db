//! Complaint handling deadlines: given when a complaint was received, its
//! category and the regimes involved, by which day it must be answered and
//! under which article.
//!
//! Every number, article and date in force is in
//! `data/complaint-deadlines.toml`; this module selects the rules that apply
//! and counts the days. The day of receipt is read in the regime's local time
//! (the offsets of `incident-clocks.toml`); an answer on the due day is on
//! time, the next day is overdue.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::Offset;
use serde::{Deserialize, Serialize};

/// How a rule's time limit is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Calendar days after the day of receipt.
    CalendarDays,
    /// Months after the day of receipt (same day-number, or the month's last day).
    Months,
    /// No number: a duty to handle, listed as the basis only.
    None,
}

/// A complaint category as the data file describes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryData {
    /// Id (`rights_request` …).
    pub id: String,
    /// English name.
    pub en: String,
    /// Chinese name.
    pub zh: String,
}

/// A rule as the data file describes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleData {
    /// Stable id.
    pub id: String,
    /// The regime it belongs to (`CN`, `EU`).
    pub regime: String,
    /// The instrument's full name.
    pub instrument: String,
    /// The article.
    pub article: String,
    /// Day in force (local to the regime's offset).
    pub in_force: Date,
    /// The categories it applies to; empty: every category.
    pub categories: Vec<String>,
    /// How its limit is counted.
    pub unit: Unit,
    /// Days or months, unless `unit` is `none`.
    #[serde(default)]
    pub amount: Option<i32>,
    /// Months by which the limit may be extended, if any.
    #[serde(default)]
    pub extension_months: Option<i32>,
    /// What is owed.
    pub text: String,
    /// What is owed, in Chinese.
    pub text_zh: String,
    /// Whether the article was read in a published text.
    pub confirmed: bool,
    /// Where it was read, or why it is unconfirmed.
    pub source: String,
}

/// The bundled deadline data.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineFile {
    /// Complaint categories.
    pub category: Vec<CategoryData>,
    /// Rules.
    pub rule: Vec<RuleData>,
}

static DATA: LazyLock<DeadlineFile> = LazyLock::new(|| {
    toml::from_str(include_str!("../data/complaint-deadlines.toml"))
        .expect("complaint-deadlines.toml is valid (tested)")
});

/// The bundled deadline data.
pub fn data() -> &'static DeadlineFile {
    &DATA
}

/// The category `id`, if the data file has it.
pub fn category(id: &str) -> Option<&'static CategoryData> {
    DATA.category.iter().find(|c| c.id == id)
}

/// A complaint's handling deadline.
#[derive(Clone, Debug, Serialize)]
pub struct Deadline {
    /// The last day on which an answer is on time (in the rule's regime's local time).
    pub due: Date,
    /// The rule that sets it (the earliest due among those that apply).
    pub rule: &'static RuleData,
}

/// What applies to a complaint: the deadline, if any rule sets a number, and
/// every rule that applies (the basis for handling it).
#[derive(Clone, Debug, Serialize)]
pub struct Handling {
    /// The earliest due date, if any rule that applies sets one.
    pub deadline: Option<Deadline>,
    /// Every rule that applies, dated or not, in file order.
    pub rules: Vec<&'static RuleData>,
}

/// The UTC offset in which a regime's days are read.
fn offset(regime: &str) -> Offset {
    let hours = crate::incident::data()
        .regime
        .iter()
        .find(|r| r.id == regime)
        .map_or(0, |r| r.offset);
    Offset::constant(hours)
}

/// The day an instant falls on in a regime's local time.
pub fn local_day(regime: &str, at: Timestamp) -> Date {
    at.to_zoned(offset(regime).to_time_zone()).date()
}

fn due_date(rule: &RuleData, received: Date) -> Option<Date> {
    let n = rule.amount?;
    match rule.unit {
        Unit::CalendarDays => received.checked_add(n.days()).ok(),
        // jiff clamps to the month's last day (31 Jan + 1 month = 28/29 Feb).
        Unit::Months => received.checked_add(n.months()).ok(),
        Unit::None => None,
    }
}

/// The regimes a complaint involves: CN always (the channel is the
/// exporter's), plus those of its linked transfer's parties, if any.
pub fn regimes(transfer_regimes: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = transfer_regimes.clone();
    out.insert("CN".to_string());
    out
}

/// The rules that apply to a complaint received at `received`, of
/// `category` (none yet: only rules for every category), involving
/// `regimes`, and the earliest deadline among them.
pub fn handling(
    received: Timestamp,
    category: Option<&str>,
    regimes: &BTreeSet<String>,
) -> Handling {
    let mut rules = Vec::new();
    let mut deadline: Option<Deadline> = None;
    for r in &DATA.rule {
        let day = local_day(&r.regime, received);
        let applies = regimes.contains(&r.regime)
            && r.in_force <= day
            && (r.categories.is_empty()
                || category.is_some_and(|c| r.categories.iter().any(|x| x == c)));
        if !applies {
            continue;
        }
        rules.push(r);
        if let Some(due) = due_date(r, day)
            && deadline.as_ref().is_none_or(|d| due < d.due)
        {
            deadline = Some(Deadline { due, rule: r });
        }
    }
    Handling { deadline, rules }
}

/// Checks a triage against the rule data and the map (the category, the
/// transfer, the recipient) and returns what applies to the complaint
/// received at `received_at` (RFC 3339). Errs naming the field at fault,
/// never repeating more than an id.
pub fn triage(
    map: &outbound_model::DataMap,
    received_at: &str,
    category: &str,
    transfer: Option<&str>,
    recipient: Option<&str>,
) -> Result<Handling, String> {
    let received: Timestamp = received_at
        .parse()
        .map_err(|_| "the complaint's receipt time is not RFC 3339".to_string())?;
    if self::category(category).is_none() {
        let ids: Vec<&str> = DATA.category.iter().map(|c| c.id.as_str()).collect();
        return Err(format!("unknown category (one of: {})", ids.join(", ")));
    }
    let mut involved = BTreeSet::new();
    if let Some(t) = transfer {
        let (r, _) = crate::incident::involved(map, &[t.to_string()])?;
        involved.extend(r);
    }
    if let Some(id) = recipient {
        let r = map.recipient(id).ok_or_else(|| {
            format!("unknown recipient `{id}`: the data map has no such recipient")
        })?;
        involved.extend(crate::incident::regimes_involved([(
            "",
            r.country.as_str(),
        )]));
    }
    Ok(handling(received, Some(category), &regimes(&involved)))
}

/// What applies to a complaint received at `received_at` (RFC 3339) that is
/// not triaged yet: the rules for every category, CN only.
pub fn provisional(received_at: &str) -> Option<Handling> {
    let received: Timestamp = received_at.parse().ok()?;
    Some(handling(received, None, &regimes(&BTreeSet::new())))
}

/// Today in Beijing, the day against which complaint deadlines are read.
pub fn today() -> Date {
    local_day("CN", Timestamp::now())
}

/// Whether a complaint due on `due` is overdue on `today` (not yet answered):
/// the due day itself is still on time.
pub fn overdue(due: Date, today: Date) -> bool {
    today > due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn() -> BTreeSet<String> {
        regimes(&BTreeSet::new())
    }

    fn eu() -> BTreeSet<String> {
        regimes(&["EU".to_string()].into_iter().collect())
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn bundled_data_loads_and_is_consistent() {
        let data = data();
        let mut ids = BTreeSet::new();
        for r in &data.rule {
            assert!(ids.insert(r.id.clone()), "duplicate rule {}", r.id);
            assert!(
                crate::incident::data()
                    .regime
                    .iter()
                    .any(|x| x.id == r.regime),
                "{}: unknown regime",
                r.id
            );
            assert_eq!(r.unit == Unit::None, r.amount.is_none(), "{}", r.id);
            assert!(!r.article.is_empty() && !r.source.is_empty(), "{}", r.id);
            for c in &r.categories {
                assert!(category(c).is_some(), "{}: unknown category {c}", r.id);
            }
        }
        assert!(category("rights_request").is_some());
        assert!(category("nonsense").is_none());
    }

    #[test]
    fn thirty_calendar_days_the_last_day_on_time_the_next_overdue() {
        // Received 2026-03-02 in Beijing: due 2026-04-01 (30 calendar days,
        // holidays and weekends counted: 清明 2026 does not move it).
        let h = handling(at("2026-03-02T02:00:00Z"), Some("processing"), &cn());
        let dl = h.deadline.unwrap();
        assert_eq!(dl.rule.id, "gbt35273-8.7");
        assert_eq!(dl.due, d("2026-04-01"));
        assert!(!overdue(dl.due, d("2026-04-01")), "the 30th day is on time");
        assert!(overdue(dl.due, d("2026-04-02")), "the 31st day is overdue");
        // The undated rules are listed as the basis.
        let ids: Vec<_> = h.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["gbt35273-8.7", "pipl-50", "sc-6-1"]);
    }

    #[test]
    fn the_day_of_receipt_is_read_in_beijing_time() {
        // 15:59:59 UTC is 23:59:59 in Beijing, 16:00 UTC the next day there.
        let a = handling(at("2026-03-01T15:59:59Z"), None, &cn());
        let b = handling(at("2026-03-01T16:00:00Z"), None, &cn());
        assert_eq!(a.deadline.unwrap().due, d("2026-03-31"));
        assert_eq!(b.deadline.unwrap().due, d("2026-04-01"));
    }

    #[test]
    fn a_rights_request_with_the_eu_takes_the_earlier_of_one_month_and_thirty_days() {
        // 31 January: one month is 28 February (clamped), earlier than 30 days (2 March).
        let h = handling(at("2026-01-31T00:00:00Z"), Some("rights_request"), &eu());
        let dl = h.deadline.unwrap();
        assert_eq!(dl.rule.id, "gdpr-12-3");
        assert_eq!(dl.due, d("2026-02-28"));
        assert!(h.rules.iter().any(|r| r.id == "ndsmr-23"));
        // In a leap year, 29 February.
        let h = handling(at("2028-01-31T00:00:00Z"), Some("rights_request"), &eu());
        assert_eq!(h.deadline.unwrap().due, d("2028-02-29"));
        // 15 March: one month (15 April) is later than 30 days (14 April).
        let h = handling(at("2026-03-15T00:00:00Z"), Some("rights_request"), &eu());
        let dl = h.deadline.unwrap();
        assert_eq!(
            (dl.rule.id.as_str(), dl.due),
            ("gbt35273-8.7", d("2026-04-14"))
        );
        // Not a rights request: GDPR Art. 12(3) does not apply.
        let h = handling(at("2026-01-31T00:00:00Z"), Some("security"), &eu());
        assert!(h.rules.iter().all(|r| r.id != "gdpr-12-3"));
    }

    #[test]
    fn rules_apply_from_the_day_they_took_effect() {
        // The Network Data Security Management Regulations: 2025-01-01 in Beijing.
        let before = handling(at("2024-12-31T15:59:59Z"), Some("rights_request"), &cn());
        let on = handling(at("2024-12-31T16:00:00Z"), Some("rights_request"), &cn());
        assert!(before.rules.iter().all(|r| r.id != "ndsmr-23"));
        assert!(on.rules.iter().any(|r| r.id == "ndsmr-23"));
        // GB/T 35273-2020 from 2020-10-01: before it, no dated rule applies.
        let old = handling(at("2020-09-30T00:00:00Z"), None, &cn());
        assert!(old.deadline.is_none());
        let new = handling(at("2020-09-30T16:00:00Z"), None, &cn());
        assert_eq!(new.deadline.unwrap().due, d("2020-10-31"));
    }

    #[test]
    fn triage_checks_the_category_transfer_and_recipient() {
        let map = outbound_model::load_sources(
            &outbound_model::example::lumen_sources(),
            outbound_model::Taxonomy::builtin(),
        )
        .map;
        let t = &map.transfers[0];
        let h = triage(
            &map,
            "2026-03-02T02:00:00Z",
            "processing",
            Some(&t.id),
            None,
        )
        .unwrap();
        assert_eq!(h.deadline.unwrap().due, d("2026-04-01"));
        let e = triage(&map, "2026-03-02T02:00:00Z", "gossip", None, None).unwrap_err();
        assert!(e.contains("unknown category"), "{e}");
        let e = triage(&map, "2026-03-02T02:00:00Z", "other", Some("nope"), None).unwrap_err();
        assert!(e.contains("unknown transfer"), "{e}");
        let e = triage(&map, "2026-03-02T02:00:00Z", "other", None, Some("nope")).unwrap_err();
        assert!(e.contains("unknown recipient"), "{e}");
        assert!(
            provisional("2026-03-02T02:00:00Z")
                .unwrap()
                .deadline
                .is_some()
        );
        assert!(provisional("yesterday").is_none());
    }
}
