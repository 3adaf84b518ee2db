//! Chinese working days: the official calendar with its adjusted working weekends.
//!
//! No crate knows China's holidays, and the State Council announces them a year
//! at a time, so each year is a data file with its source (`data/cn-calendar/`).
//! For a year without a file, Monday to Friday count and the result says the
//! holiday calendar was missing, so that nobody mistakes an estimate for a deadline.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::LazyLock;

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i16,
    source: String,
    confirmed: bool,
    holidays: Vec<Date>,
    working_weekends: Vec<Date>,
}

/// One year's official arrangement.
#[derive(Debug)]
pub struct YearCalendar {
    /// The notice it comes from.
    pub source: String,
    /// Whether the dates were confirmed against a reprint of the notice.
    pub confirmed: bool,
    holidays: HashSet<Date>,
    working_weekends: HashSet<Date>,
}

/// The working-day calendar for China.
#[derive(Debug)]
pub struct WorkingCalendar {
    years: BTreeMap<i16, YearCalendar>,
    /// Provisional days off for years without a notice, used only when counting backwards.
    provisional: HashSet<Date>,
}

#[derive(Deserialize)]
struct ProvisionalFile {
    #[allow(dead_code)]
    source: String,
    years: BTreeMap<String, Vec<Date>>,
}

/// A date computed in working days, with the years for which no calendar was available.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkingDate {
    /// The date reached after counting.
    pub date: Date,
    /// Years counted Monday to Friday because no official calendar was on file.
    pub estimated_years: BTreeSet<i16>,
}

macro_rules! years {
    ($($y:literal),*) => { [$(include_str!(concat!("../data/cn-calendar/", $y, ".toml"))),*] };
}

static CN: LazyLock<WorkingCalendar> = LazyLock::new(|| {
    let mut c =
        WorkingCalendar::from_files(&years!("2021", "2022", "2023", "2024", "2025", "2026"))
            .expect("bundled calendars are valid (checked by tests)");
    let p: ProvisionalFile = toml::from_str(include_str!("../data/cn-calendar/provisional.toml"))
        .expect("provisional.toml is valid (checked by tests)");
    c.provisional = p.years.into_values().flatten().collect();
    c
});

impl WorkingCalendar {
    /// The bundled official calendar.
    pub fn china() -> &'static WorkingCalendar {
        &CN
    }

    /// Builds a calendar from year files; checks that holidays are weekdays and make-up days weekends.
    pub fn from_files(texts: &[&str]) -> Result<WorkingCalendar, String> {
        let mut years = BTreeMap::new();
        for t in texts {
            let f: YearFile = toml::from_str(t).map_err(|e| e.to_string())?;
            for d in &f.holidays {
                if d.year() != f.year || is_weekend(*d) {
                    return Err(format!(
                        "{}: holiday {d} must be a weekday of that year",
                        f.year
                    ));
                }
            }
            for d in &f.working_weekends {
                if d.year() != f.year || !is_weekend(*d) {
                    return Err(format!(
                        "{}: working weekend {d} must be a weekend day of that year",
                        f.year
                    ));
                }
            }
            years.insert(
                f.year,
                YearCalendar {
                    source: f.source,
                    confirmed: f.confirmed,
                    holidays: f.holidays.into_iter().collect(),
                    working_weekends: f.working_weekends.into_iter().collect(),
                },
            );
        }
        Ok(WorkingCalendar {
            years,
            provisional: HashSet::new(),
        })
    }

    /// The calendar of a year, if on file.
    pub fn year(&self, year: i16) -> Option<&YearCalendar> {
        self.years.get(&year)
    }

    /// Years on file.
    pub fn years(&self) -> impl Iterator<Item = (i16, &YearCalendar)> {
        self.years.iter().map(|(y, c)| (*y, c))
    }

    /// Whether `d` is a working day; the bool says whether the official calendar decided it.
    pub fn is_working_day(&self, d: Date) -> (bool, bool) {
        match self.years.get(&d.year()) {
            Some(y) => (
                if is_weekend(d) {
                    y.working_weekends.contains(&d)
                } else {
                    !y.holidays.contains(&d)
                },
                true,
            ),
            None => (!is_weekend(d), false),
        }
    }

    /// The date `n` working days after `start` (`start` itself is day 0), or before it when `n` is negative.
    ///
    /// In a year without an official calendar the count errs on the safe side, so the
    /// date can only come earlier than the official one: forwards (a deadline after an
    /// event) Monday to Friday all count; backwards (a deadline before expiry) the
    /// provisional statutory holidays are days off too and no weekend is a working day.
    pub fn add_working_days(&self, start: Date, n: i32) -> WorkingDate {
        let step = if n >= 0 { 1.day() } else { (-1).day() };
        let mut d = start;
        let mut left = n.unsigned_abs();
        let mut estimated = BTreeSet::new();
        while left > 0 {
            d = match d.checked_add(step) {
                Ok(x) => x,
                Err(_) => break,
            };
            let (mut working, official) = self.is_working_day(d);
            if !official {
                estimated.insert(d.year());
                if n < 0 && self.provisional.contains(&d) {
                    working = false;
                }
            }
            if working {
                left -= 1;
            }
        }
        WorkingDate {
            date: d,
            estimated_years: estimated,
        }
    }
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn bundled_years_load() {
        let c = WorkingCalendar::china();
        assert!(c.year(2024).is_some() && c.year(2026).is_some());
    }

    #[test]
    fn national_day_2026_is_skipped_and_make_up_saturday_counts() {
        let c = WorkingCalendar::china();
        // 2026-09-30 (Wed) + 1 working day: Oct 1–7 off (Oct 3–4 weekend), Oct 8 is the next working day.
        assert_eq!(
            c.add_working_days(date(2026, 9, 30), 1).date,
            date(2026, 10, 8)
        );
        // Saturday 2026-10-10 is a make-up working day.
        assert_eq!(c.is_working_day(date(2026, 10, 10)), (true, true));
        assert_eq!(
            c.add_working_days(date(2026, 10, 9), 1).date,
            date(2026, 10, 10)
        );
    }

    #[test]
    fn plain_weeks_count_five_days() {
        let c = WorkingCalendar::china();
        // Monday 2026-11-02 + 10 working days = Monday 2026-11-16.
        let w = c.add_working_days(date(2026, 11, 2), 10);
        assert_eq!(w.date, date(2026, 11, 16));
        assert!(w.estimated_years.is_empty());
    }

    #[test]
    fn missing_year_is_reported() {
        let c = WorkingCalendar::china();
        let w = c.add_working_days(date(2027, 3, 1), 10);
        assert_eq!(w.date, date(2027, 3, 15));
        assert_eq!(
            w.estimated_years.into_iter().collect::<Vec<_>>(),
            vec![2027]
        );
    }

    #[test]
    fn backwards_through_a_missing_year_uses_provisional_holidays() {
        let c = WorkingCalendar::china();
        // 2027-10-11 (Mon) back 1 working day: Oct 8 and Oct 4–7 are provisional days off, so Sep 30.
        let w = c.add_working_days(date(2027, 10, 11), -1);
        assert_eq!(w.date, date(2027, 9, 30));
        assert!(w.estimated_years.contains(&2027));
        // Forwards, the same days count as working days (the safe side for a deadline after an event).
        assert_eq!(
            c.add_working_days(date(2027, 9, 30), 1).date,
            date(2027, 10, 1)
        );
    }

    #[test]
    fn provisional_days_are_weekdays() {
        for d in &WorkingCalendar::china().provisional {
            assert!(!is_weekend(*d), "{d}");
        }
    }

    #[test]
    fn backwards_counting() {
        let c = WorkingCalendar::china();
        assert_eq!(
            c.add_working_days(date(2026, 11, 16), -10).date,
            date(2026, 11, 2)
        );
    }

    #[test]
    fn spring_festival_2026() {
        let c = WorkingCalendar::china();
        // Feb 14 (Sat) is a make-up day; Feb 15–23 off; Feb 24 first day back.
        assert!(c.is_working_day(date(2026, 2, 14)).0);
        assert_eq!(
            c.add_working_days(date(2026, 2, 14), 1).date,
            date(2026, 2, 24)
        );
    }

    #[test]
    fn rejects_weekend_holiday() {
        let bad = "year = 2026\nsource = \"x\"\nconfirmed = false\nholidays = [\"2026-01-03\"]\nworking_weekends = []\n";
        assert!(WorkingCalendar::from_files(&[bad]).is_err());
    }
}
