//! Rights-request deadlines at their boundaries: the last day of the month,
//! leap years, the extension told on the last day of the first month and a
//! day late, pauses, and China's clock starting at the identity check.

use jiff::Timestamp;
use jiff::civil::{Date, date};
use outbound_rules::rights::{
    Clock, DueState, ExtensionState, Starts, data, deadline, due, due_all, kind,
};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn received(s: &str) -> Clock {
    Clock {
        received_at: Some(t(s)),
        ..Clock::default()
    }
}

fn eu(c: &Clock) -> Option<Date> {
    due("EU", c).unwrap().due
}

#[test]
fn the_data_file_loads_with_every_kind_and_one_period_per_deadline() {
    let ids: Vec<&str> = data().kind.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "know",
            "access",
            "copy",
            "correct",
            "delete",
            "restrict",
            "withdraw_consent",
            "explain"
        ],
        "the store's RequestKind values, in order"
    );
    assert_eq!(kind("withdraw_consent").unwrap().gdpr, "Art. 7(3)");
    assert_eq!(kind("withdraw_consent").unwrap().pipl, "Art. 15");
    assert_eq!(kind("explain").unwrap().pipl, "Art. 48");
    for d in &data().deadline {
        assert!(
            d.months.is_some() != d.days.is_some(),
            "{}: exactly one of months and days",
            d.regime
        );
        assert!(!d.source.is_empty() && !d.article.is_empty());
    }
    let e = deadline("EU").unwrap();
    assert_eq!(e.citation(), "GDPR Art. 12(3)");
    assert_eq!((e.months, e.extension_months), (Some(1), 2));
    assert_eq!(e.starts, Starts::Receipt);
    let c = deadline("CN").unwrap();
    assert_eq!(c.days, Some(30));
    assert_eq!(c.starts, Starts::IdentityVerified);
    assert!(!c.binding, "GB/T 35273 is a recommended standard");
    assert!(!c.confirmed, "§8.7 not read in a published copy");
    assert!(
        c.note
            .iter()
            .any(|n| n.article.starts_with("PIPL Art. 50") && n.confirmed),
        "PIPL Art. 50 cited, and confirmed"
    );
    assert!(due("RU", &Clock::default()).is_err());
}

#[test]
fn one_month_ends_on_the_same_date_or_the_last_day_of_the_month() {
    assert_eq!(
        eu(&received("2026-01-15T09:00:00Z")),
        Some(date(2026, 2, 15))
    );
    // 31 January: February has no 31st → its last day.
    assert_eq!(
        eu(&received("2026-01-31T09:00:00Z")),
        Some(date(2026, 2, 28))
    );
    assert_eq!(
        eu(&received("2028-01-31T09:00:00Z")),
        Some(date(2028, 2, 29)),
        "leap year"
    );
    assert_eq!(
        eu(&received("2026-01-29T09:00:00Z")),
        Some(date(2026, 2, 28))
    );
    assert_eq!(
        eu(&received("2026-03-31T09:00:00Z")),
        Some(date(2026, 4, 30))
    );
    assert_eq!(
        eu(&received("2026-12-31T09:00:00Z")),
        Some(date(2027, 1, 31))
    );
    // Counted in Brussels time (UTC+1 as in the data): 23:30 UTC on 31 January is 1 February.
    assert_eq!(
        eu(&received("2026-01-31T23:30:00Z")),
        Some(date(2026, 3, 1))
    );
}

#[test]
fn the_due_day_is_met_until_its_end_and_missed_the_next_day() {
    let c = received("2026-01-31T09:00:00Z");
    let d = due("EU", &c).unwrap();
    assert_eq!(d.due, Some(date(2026, 2, 28)));
    // 28 February 23:59:59 in UTC+1 is 22:59:59 UTC.
    assert_eq!(d.state(None, t("2026-02-28T22:59:59Z")), DueState::Running);
    assert_eq!(d.state(None, t("2026-02-28T23:00:00Z")), DueState::Missed);
    assert_eq!(
        d.state(Some(t("2026-02-28T22:59:59Z")), t("2026-06-01T00:00:00Z")),
        DueState::Met
    );
    assert_eq!(
        d.state(Some(t("2026-02-28T23:00:00Z")), t("2026-06-01T00:00:00Z")),
        DueState::Missed
    );
}

#[test]
fn an_extension_told_within_the_first_month_adds_two_months() {
    let mut c = received("2026-01-31T09:00:00Z");
    // Told on the last day of the first month: in time; three months from 31 January.
    c.extended_at = Some(t("2026-02-28T22:59:59Z"));
    let d = due("EU", &c).unwrap();
    assert_eq!(d.extension, ExtensionState::InTime);
    assert_eq!(d.first_period_end, Some(date(2026, 2, 28)));
    assert_eq!(d.due, Some(date(2026, 4, 30)));
    // One second later (1 March local): late, the first month stands.
    c.extended_at = Some(t("2026-02-28T23:00:00Z"));
    let d = due("EU", &c).unwrap();
    assert_eq!(d.extension, ExtensionState::Late);
    assert_eq!(d.due, Some(date(2026, 2, 28)));
}

#[test]
fn a_pause_stops_the_clock_for_the_days_it_covers() {
    let mut c = received("2026-01-31T09:00:00Z");
    c.pauses = vec![(t("2026-02-02T09:00:00Z"), None)];
    let d = due("EU", &c).unwrap();
    assert!(d.paused_now);
    assert_eq!(d.due, None, "open while paused");
    assert_eq!(d.state(None, t("2026-12-31T00:00:00Z")), DueState::Paused);
    c.pauses = vec![(t("2026-02-02T09:00:00Z"), Some(t("2026-02-07T09:00:00Z")))];
    let d = due("EU", &c).unwrap();
    assert_eq!(d.paused_days, 5);
    assert_eq!(d.due, Some(date(2026, 3, 5)), "28 February + 5 days");
    // A pause within one day costs no day.
    c.pauses = vec![(t("2026-02-02T09:00:00Z"), Some(t("2026-02-02T15:00:00Z")))];
    assert_eq!(eu(&c), Some(date(2026, 2, 28)));
    // The extension deadline moves with the pause.
    c.pauses = vec![(t("2026-02-02T09:00:00Z"), Some(t("2026-02-07T09:00:00Z")))];
    c.extended_at = Some(t("2026-03-05T12:00:00Z"));
    let d = due("EU", &c).unwrap();
    assert_eq!(d.extension, ExtensionState::InTime);
    assert_eq!(d.due, Some(date(2026, 5, 5)));
}

#[test]
fn china_counts_thirty_days_from_the_identity_check() {
    let mut c = received("2026-01-01T02:00:00Z");
    let d = due("CN", &c).unwrap();
    assert_eq!(d.starts_on, None);
    assert_eq!(d.due, None);
    assert_eq!(
        d.state(None, t("2026-06-01T00:00:00Z")),
        DueState::NotStarted
    );
    // Verified 2 January, Beijing time (UTC+8): due on the thirtieth day after, 1 February.
    c.identity_at = Some(t("2026-01-01T16:00:00Z"));
    let d = due("CN", &c).unwrap();
    assert_eq!(d.starts_on, Some(date(2026, 1, 2)));
    assert_eq!(d.due, Some(date(2026, 2, 1)));
    assert_eq!(d.citation, "GB/T 35273-2020 §8.7 a)");
    // 1 February 23:59:59 Beijing = 15:59:59 UTC.
    assert_eq!(d.state(None, t("2026-02-01T15:59:59Z")), DueState::Running);
    assert_eq!(d.state(None, t("2026-02-01T16:00:00Z")), DueState::Missed);
    // No extension under this regime.
    c.extended_at = Some(t("2026-01-05T00:00:00Z"));
    let d = due("CN", &c).unwrap();
    assert_eq!(d.extension, ExtensionState::NotProvided);
    assert_eq!(d.due, Some(date(2026, 2, 1)));
    // A pause before the identity check costs the clock nothing.
    c.extended_at = None;
    c.pauses = vec![(t("2026-01-01T03:00:00Z"), Some(t("2026-01-01T16:00:00Z")))];
    assert_eq!(due("CN", &c).unwrap().due, Some(date(2026, 2, 1)));
}

#[test]
fn several_regimes_earliest_first() {
    let c = Clock {
        received_at: Some(t("2026-01-31T09:00:00Z")),
        identity_at: Some(t("2026-01-31T09:00:00Z")),
        ..Clock::default()
    };
    let v = due_all(&["EU".into(), "CN".into()], &c).unwrap();
    assert_eq!(v[0].regime, "EU");
    assert_eq!(v[0].due, Some(date(2026, 2, 28)));
    assert_eq!(v[1].regime, "CN");
    assert_eq!(v[1].due, Some(date(2026, 3, 2)), "31 January + 30 days");
    let parsed = Clock::parse(
        "2026-01-31T09:00:00Z",
        Some("2026-01-31T09:00:00Z"),
        &[("2026-02-02T09:00:00Z", None)],
        None,
    )
    .unwrap();
    assert_eq!(parsed.pauses.len(), 1);
    assert!(Clock::parse("yesterday", None, &[], None).is_none());
}
