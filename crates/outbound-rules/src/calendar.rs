//! Working days by country: each official calendar, with its days off and its
//! working weekends, shipped as data.
//!
//! No crate knows China's or Russia's holidays, and each government announces
//! them a year at a time (China's State Council notice; Russia's Government
//! decree on moved days off), so each year is a data file with its source:
//! `data/<cc>-calendar/<year>.toml`. `build.rs` lists whatever files exist, so a
//! new year or a new country is a new file and no code. For a year without a
//! file, Monday to Friday count and the result says the holiday calendar was
//! missing, so that nobody mistakes an estimate for a deadline.

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

/// The working-day calendar of one country.
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

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/calendars.rs"));
}

/// Every bundled calendar by country code (`CN`, `RU`), or the first problem
/// found in a file (tests make sure there is none).
static ALL: LazyLock<Result<BTreeMap<String, WorkingCalendar>, String>> =
    LazyLock::new(load_bundled);

fn load_bundled() -> Result<BTreeMap<String, WorkingCalendar>, String> {
    let mut texts: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for (cc, year, text) in bundled::YEAR_FILES {
        texts.entry(cc).or_default().push((year, text));
    }
    let mut out = BTreeMap::new();
    for (cc, files) in texts {
        let mut c = WorkingCalendar::from_files(&files.iter().map(|(_, t)| *t).collect::<Vec<_>>())
            .map_err(|e| format!("data/{}-calendar: {e}", cc.to_ascii_lowercase()))?;
        for (year, _) in &files {
            if !c.years.keys().any(|y| y.to_string() == *year) {
                return Err(format!(
                    "data/{}-calendar/{year}.toml: `year` differs from the file name",
                    cc.to_ascii_lowercase()
                ));
            }
        }
        if let Some((_, p)) = bundled::PROVISIONAL_FILES.iter().find(|(c2, _)| *c2 == cc) {
            let p: ProvisionalFile = toml::from_str(p).map_err(|e| {
                format!(
                    "data/{}-calendar/provisional.toml: {e}",
                    cc.to_ascii_lowercase()
                )
            })?;
            c.provisional = p.years.into_values().flatten().collect();
        }
        out.insert(cc.to_string(), c);
    }
    Ok(out)
}

impl WorkingCalendar {
    /// The bundled official calendar of China.
    pub fn china() -> &'static WorkingCalendar {
        WorkingCalendar::of("CN").expect("China's calendar is bundled (checked by tests)")
    }

    /// The bundled calendar of a country (ISO 3166-1 alpha-2), if any file exists for it.
    pub fn of(country: &str) -> Option<&'static WorkingCalendar> {
        ALL.as_ref().ok()?.get(country)
    }

    /// Countries with a bundled calendar.
    pub fn countries() -> Vec<&'static str> {
        ALL.as_ref()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Whether every bundled calendar file is valid: the first problem otherwise.
    pub fn check_bundled() -> Result<(), String> {
        ALL.as_ref().map(|_| ()).map_err(Clone::clone)
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
        WorkingCalendar::check_bundled().unwrap();
        let c = WorkingCalendar::china();
        assert!(c.year(2024).is_some() && c.year(2026).is_some());
        assert_eq!(WorkingCalendar::countries(), vec!["CN", "RU"]);
        let ru = WorkingCalendar::of("RU").unwrap();
        for y in 2023..=2026 {
            assert!(ru.year(y).is_some(), "RU {y}");
        }
        assert!(WorkingCalendar::of("FR").is_none());
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
    fn russia_may_2024_with_the_working_saturday_of_27_april() {
        let c = WorkingCalendar::of("RU").unwrap();
        // Sat 27 Apr works; 28 Apr – 1 May and 9–12 May are off (Decree No. 1314).
        assert_eq!(c.is_working_day(date(2024, 4, 27)), (true, true));
        assert_eq!(c.is_working_day(date(2024, 4, 30)), (false, true));
        assert_eq!(c.is_working_day(date(2024, 5, 10)), (false, true));
        // Wed 24 Apr + 10: 25, 26, 27 (Sat), 2, 3, 6, 7, 8, 13, 14 May.
        let w = c.add_working_days(date(2024, 4, 24), 10);
        assert_eq!(w.date, date(2024, 5, 14));
        assert!(w.estimated_years.is_empty());
    }

    #[test]
    fn russia_2025_moves_and_working_saturday() {
        let c = WorkingCalendar::of("RU").unwrap();
        // 23 Feb (Sun) moved to 8 May, so Mon 24 Feb works; 8 Mar (Sat) moved to 13 Jun.
        assert!(c.is_working_day(date(2025, 2, 24)).0);
        assert!(!c.is_working_day(date(2025, 5, 8)).0);
        assert!(!c.is_working_day(date(2025, 6, 13)).0);
        // Sat 1 Nov works; 3–4 Nov off.
        assert_eq!(
            c.add_working_days(date(2025, 10, 31), 1).date,
            date(2025, 11, 1)
        );
        assert_eq!(
            c.add_working_days(date(2025, 11, 1), 1).date,
            date(2025, 11, 5)
        );
    }

    #[test]
    fn russia_new_year_2026_and_a_missing_year() {
        let c = WorkingCalendar::of("RU").unwrap();
        // 31 Dec 2025 – 11 Jan 2026 off: Tue 30 Dec 2025 + 1 = Mon 12 Jan 2026.
        assert_eq!(
            c.add_working_days(date(2025, 12, 30), 1).date,
            date(2026, 1, 12)
        );
        let w = c.add_working_days(date(2027, 3, 1), 10);
        assert_eq!(w.date, date(2027, 3, 15));
        assert!(w.estimated_years.contains(&2027));
    }

    #[test]
    fn every_bundled_year_matches_its_file_name_and_official_counts() {
        // Working days per year as the decrees' production calendars give them.
        let ru = WorkingCalendar::of("RU").unwrap();
        for (y, n) in [(2023, 247), (2024, 248), (2025, 247), (2026, 247)] {
            let mut d = date(y, 1, 1);
            let mut count = 0;
            while d.year() == y {
                if ru.is_working_day(d).0 {
                    count += 1;
                }
                d = d.tomorrow().unwrap();
            }
            assert_eq!(count, n, "RU {y}");
        }
    }

    #[test]
    fn rejects_weekend_holiday() {
        let bad = "year = 2026\nsource = \"x\"\nconfirmed = false\nholidays = [\"2026-01-03\"]\nworking_weekends = []\n";
        assert!(WorkingCalendar::from_files(&[bad]).is_err());
    }
}
