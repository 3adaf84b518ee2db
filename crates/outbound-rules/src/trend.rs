//! Where this year's count is heading: the average daily rate since
//! 1 January, carried forward.
//!
//! Deliberately simple. A compliance officer must be able to redo the
//! arithmetic by hand (count ÷ days elapsed), and a straight line errs early
//! rather than late for the growing exporters the thresholds are about.
//! `outbound status` (crossing dates) and the documents' charts (the count
//! on 31 December) read the same trend, so they never disagree.

use jiff::civil::Date;

/// The count an exporter reached by a date, and its average daily rate since
/// 1 January of that year (both days included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YearTrend {
    as_of: Date,
    count: u64,
    per_day: f64,
}

impl YearTrend {
    /// The trend of `count` individuals reached on `as_of`.
    pub fn new(as_of: Date, count: u64) -> Self {
        let days_elapsed = f64::from(as_of.day_of_year()).max(1.0);
        YearTrend {
            as_of,
            count,
            per_day: count as f64 / days_elapsed,
        }
    }

    /// Individuals per day, on average, since 1 January.
    pub fn per_day(&self) -> f64 {
        self.per_day
    }

    /// The first day on which the count reaches `threshold` at this rate, if
    /// that day falls in the same calendar year (counts restart on
    /// 1 January). `as_of` itself when the threshold is already reached.
    pub fn crossing(&self, threshold: u64) -> Option<Date> {
        if self.count >= threshold {
            return Some(self.as_of);
        }
        if self.per_day <= 0.0 {
            return None;
        }
        let days = ((threshold - self.count) as f64 / self.per_day).ceil();
        if days > 366.0 {
            return None;
        }
        let date = self
            .as_of
            .checked_add(jiff::Span::new().days(days as i64))
            .ok()?;
        (date.year() == self.as_of.year()).then_some(date)
    }

    /// The count on 31 December at this rate.
    pub fn at_year_end(&self) -> u64 {
        let days_in_year = f64::from(self.as_of.days_in_year());
        (self.per_day * days_in_year).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::YearTrend;
    use jiff::civil::date;

    #[test]
    fn rate_counts_both_ends() {
        // 1 January is one day elapsed: the whole count is that day's.
        assert_eq!(YearTrend::new(date(2026, 1, 1), 500).per_day(), 500.0);
        // 10 February 2026 is day 41.
        assert_eq!(YearTrend::new(date(2026, 2, 10), 4_100).per_day(), 100.0);
    }

    #[test]
    fn crossing_date_in_the_year() {
        // 100 a day; 4,100 on day 41; 100,000 needs 959 more days: next year or later.
        assert_eq!(
            YearTrend::new(date(2026, 2, 10), 4_100).crossing(100_000),
            None
        );
        // 300 a day on 31 October (day 304): 91,200; 8,800 more takes 29.33 → 30 days.
        let t = YearTrend::new(date(2026, 10, 31), 91_200);
        assert_eq!(t.crossing(100_000), Some(date(2026, 11, 30)));
        // Exactly reached: today.
        assert_eq!(t.crossing(91_200), Some(date(2026, 10, 31)));
        // Nothing exported: never.
        assert_eq!(YearTrend::new(date(2026, 6, 1), 0).crossing(1), None);
    }

    #[test]
    fn year_end_projection() {
        assert_eq!(
            YearTrend::new(date(2026, 2, 10), 4_100).at_year_end(),
            36_500
        );
        // A leap year has 366 days.
        assert_eq!(YearTrend::new(date(2028, 1, 1), 10).at_year_end(), 3_660);
        assert_eq!(YearTrend::new(date(2026, 12, 31), 365).at_year_end(), 365);
    }
}
