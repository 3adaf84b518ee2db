//! The overview's threshold chart: this year's cumulative count against each
//! threshold, and where the average daily rate since 1 January crosses the
//! next one. The projection is `outbound status`'s ([`YearTrend`]), so the
//! page and the command never disagree.

use std::fmt::Write as _;

use jiff::civil::{Date, date};
use outbound_rules::format::thousands;
use outbound_rules::trend::YearTrend;

use super::svg::escape;

const W: f64 = 640.0;
const H: f64 = 270.0;
const L: f64 = 70.0;
const R: f64 = 190.0;
const T: f64 = 48.0;
const B: f64 = 34.0;

/// A threshold drawn on the chart.
pub(super) struct Threshold {
    /// Reached at this count or more.
    pub at_least: u64,
    /// The route it triggers, in the page's language.
    pub label: String,
}

/// The words the chart writes, in the page's language.
pub(super) struct Words<'a> {
    pub lang: &'a str,
    pub today: &'a str,
    pub crossing: &'a str,
    pub not_this_year: &'a str,
    pub reached: &'a str,
    pub per_day: &'a str,
    pub above: &'a str,
}

/// When the count crosses `at_least` at the trend, if this year.
pub(super) fn crossing(as_of: Date, count: u64, at_least: u64) -> Option<Date> {
    YearTrend::new(as_of, count).crossing(at_least)
}

/// A round step for about four grid lines up to `top`: 1, 2, 2.5 or 5 × 10ⁿ.
fn step(top: f64) -> f64 {
    let raw = (top / 4.0).max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

/// One chart: `count` reached on `as_of` against `lines`. The scale ends a
/// little above the count, its year-end projection and the next threshold;
/// thresholds beyond that are named above the plot, not drawn.
pub(super) fn threshold_chart(
    title: &str,
    count: u64,
    lines: &[Threshold],
    as_of: Date,
    w: &Words<'_>,
) -> String {
    let year = as_of.year();
    let start = date(year, 1, 1);
    let end = date(year, 12, 31);
    let trend = YearTrend::new(as_of, count);
    let days = (end - start).get_days().max(1) as f64;
    let open: Vec<&Threshold> = lines.iter().filter(|l| count < l.at_least).collect();
    let crossings: Vec<(Date, u64)> = open
        .iter()
        .filter_map(|l| trend.crossing(l.at_least).map(|d| (d, l.at_least)))
        .collect();
    // The projection ends at the last crossing this year, else on 31 December.
    let projection_end = if open.is_empty() {
        None
    } else if crossings.len() == open.len() {
        crossings.last().copied()
    } else {
        Some((end, trend.at_year_end()))
    };
    let next = open.iter().map(|l| l.at_least).min().unwrap_or(0);
    let top = [count, trend.at_year_end(), next, 1]
        .into_iter()
        .max()
        .unwrap_or(1) as f64
        * 1.12;
    let x = |d: Date| L + (d - start).get_days() as f64 / days * (W - L - R);
    let y = |v: u64| H - B - (v as f64 / top).min(1.0) * (H - T - B);
    let font = if w.lang == "zh" {
        "'Noto Sans CJK SC','Noto Sans SC',system-ui,sans-serif"
    } else {
        "system-ui,sans-serif"
    };
    let mut o = String::new();
    let title = escape(title);
    let _ = write!(
        o,
        r##"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" font-family="{font}" font-size="11" role="img" aria-label="{title}"><title>{title}</title><rect width="{W}" height="{H}" fill="#fff"/><text x="{L}" y="17" font-size="13" font-weight="600">{title}</text>"##
    );
    // What the line says, in words: the count today, the rate, where it goes.
    let mut ahead = String::new();
    let mut sorted = open.clone();
    sorted.sort_by_key(|l| l.at_least);
    for l in sorted {
        let _ = match trend.crossing(l.at_least) {
            Some(d) => write!(ahead, " → {}: {d}", thousands(l.at_least)),
            None => write!(
                ahead,
                " → {}: {}",
                thousands(l.at_least),
                escape(w.not_this_year)
            ),
        };
    }
    let _ = write!(
        o,
        r##"<text class="summary" x="8" y="35" fill="#1f4e8c">● {} {as_of}: {} ({:.0} {}){ahead}</text>"##,
        escape(w.today),
        thousands(count),
        trend.per_day(),
        escape(w.per_day),
    );
    // Axes, months, count grid.
    let (yb, xr) = (H - B, W - R);
    let _ = write!(
        o,
        r##"<line x1="{L}" y1="{yb}" x2="{xr}" y2="{yb}" stroke="#5b6775"/><line x1="{L}" y1="{T}" x2="{L}" y2="{yb}" stroke="#5b6775"/>"##
    );
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    for m in 1..=12i8 {
        let x0 = x(date(year, m, 1));
        let label = if w.lang == "zh" {
            format!("{m}月")
        } else {
            EN[(m - 1) as usize].to_string()
        };
        let _ = write!(
            o,
            r##"<line x1="{x0:.1}" y1="{yb}" x2="{x0:.1}" y2="{:.1}" stroke="#5b6775"/><text x="{:.1}" y="{:.1}" fill="#5b6775">{label}</text>"##,
            yb + 4.0,
            x0 + 2.0,
            yb + 16.0
        );
    }
    let st = step(top);
    let mut v = 0.0;
    while v <= top {
        let yv = y(v as u64);
        let _ = write!(
            o,
            r##"<line x1="{L}" y1="{yv:.1}" x2="{xr}" y2="{yv:.1}" stroke="#eef0f3"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#5b6775">{}</text>"##,
            L - 6.0,
            yv + 4.0,
            thousands(v as u64)
        );
        v += st;
    }
    // Thresholds, labelled at the right; those above the scale named at the top.
    let mut above = 0.0;
    for l in lines {
        let reached = count >= l.at_least;
        let tag = if reached {
            format!(" · {}", escape(w.reached))
        } else {
            String::new()
        };
        if l.at_least as f64 > top {
            let _ = write!(
                o,
                r##"<g class="threshold above" data-at-least="{a}"><title>{}</title><text x="{:.1}" y="{:.1}" fill="#b3261e" font-weight="600">↑ {}</text><text x="{:.1}" y="{:.1}" fill="#b3261e" font-size="10">{}</text></g>"##,
                escape(w.above),
                xr + 6.0,
                T + 4.0 + above,
                thousands(l.at_least),
                xr + 6.0,
                T + 16.0 + above,
                escape(&l.label),
                a = l.at_least,
            );
            above += 28.0;
            continue;
        }
        let yv = y(l.at_least);
        let _ = write!(
            o,
            r##"<g class="threshold" data-at-least="{a}"><line x1="{L}" y1="{yv:.1}" x2="{xr}" y2="{yv:.1}" stroke="#b3261e" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" fill="#b3261e" font-weight="600">{}{tag}</text><text x="{:.1}" y="{:.1}" fill="#b3261e" font-size="10">{}</text></g>"##,
            xr + 6.0,
            yv + 1.0,
            thousands(l.at_least),
            xr + 6.0,
            yv + 13.0,
            escape(&l.label),
            a = l.at_least,
        );
    }
    // The count so far: straight from 1 January at the average daily rate.
    let (xt, yt) = (x(as_of), y(count));
    let _ = write!(
        o,
        r##"<line x1="{L}" y1="{yb}" x2="{xt:.1}" y2="{yt:.1}" stroke="#1f4e8c" stroke-width="2.5"/><circle cx="{xt:.1}" cy="{yt:.1}" r="4" fill="#1f4e8c"/>"##
    );
    // The projection: dashed to the crossing point; the date at its foot.
    if let Some((d, v)) = projection_end {
        let _ = write!(
            o,
            r##"<line class="projection" x1="{xt:.1}" y1="{yt:.1}" x2="{:.1}" y2="{:.1}" stroke="#1f4e8c" stroke-width="1.8" stroke-dasharray="6,4"/>"##,
            x(d),
            y(v.min(top as u64))
        );
    }
    for (i, (d, v)) in crossings.iter().enumerate() {
        let (xc, yc) = (x(*d), y(*v));
        let _ = write!(
            o,
            r##"<g class="crossing" data-date="{d}"><line x1="{xc:.1}" y1="{yc:.1}" x2="{xc:.1}" y2="{yb}" stroke="#1f4e8c" stroke-dasharray="2,3"/><circle cx="{xc:.1}" cy="{yc:.1}" r="4.5" fill="#fff" stroke="#1f4e8c" stroke-width="2"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#1f4e8c" font-weight="600">{} {d}</text></g>"##,
            xc - 5.0,
            yb - 6.0 - 14.0 * i as f64,
            escape(w.crossing)
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words<'static> {
        Words {
            lang: "en",
            today: "today",
            crossing: "crosses",
            not_this_year: "not this year",
            reached: "reached",
            per_day: "a day",
            above: "above the chart",
        }
    }

    fn line(at_least: u64) -> Threshold {
        Threshold {
            at_least,
            label: "route".into(),
        }
    }

    #[test]
    fn the_crossing_date_is_drawn_and_labelled() {
        // 99,950 by day 327 (305.7 a day): 100,000 the next day.
        let svg = threshold_chart(
            "Hainan",
            99_950,
            &[line(100_000), line(1_000_000)],
            date(2026, 11, 23),
            &words(),
        );
        assert!(svg.contains(r#"data-date="2026-11-24""#), "{svg}");
        assert!(svg.contains("crosses 2026-11-24"), "{svg}");
        // 1,000,000 is not reached this year: said, not drawn as a date, and
        // far above the scale (the next threshold sets it).
        assert!(svg.contains("not this year"), "{svg}");
        assert!(svg.contains(r#"class="threshold above" data-at-least="1000000""#));
        assert_eq!(svg.matches(r#"class="crossing""#).count(), 1);
        assert!(svg.contains("stroke-dasharray=\"6,4\""));
    }

    #[test]
    fn grid_steps_are_round() {
        assert_eq!(step(1_120_000.0), 500_000.0);
        assert_eq!(step(112_000.0), 50_000.0);
        assert_eq!(step(11_200.0), 5_000.0);
        assert_eq!(step(2.0), 1.0);
    }

    #[test]
    fn reached_thresholds_have_no_projection() {
        let svg = threshold_chart(
            "Mobility",
            2_030_000,
            &[line(100_000), line(1_000_000)],
            date(2026, 11, 23),
            &words(),
        );
        assert_eq!(svg.matches("· reached").count(), 2, "{svg}");
        assert!(!svg.contains("class=\"projection\""));
        assert!(!svg.contains("not this year"));
    }

    #[test]
    fn titles_are_escaped() {
        let svg = threshold_chart(
            "<script>x</script>",
            0,
            &[line(10)],
            date(2026, 1, 5),
            &words(),
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }
}
