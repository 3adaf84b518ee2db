//! Cumulative individuals against the thresholds over the year, as SVG.
//!
//! Without a ledger series the line runs straight from 0 on 1 January to the
//! count on the assessment date (the map states one figure, not a history);
//! a dashed line projects the same average daily rate to 31 December. With a
//! ledger series the measured points are drawn instead.

use std::fmt::Write as _;

use jiff::civil::{Date, date};
use outbound_rules::assess::ExporterSummary;
use outbound_rules::format::thousands;
use outbound_rules::trend::YearTrend;

use crate::html::escape;
use crate::templates::Strings;
use crate::{Lang, LedgerCount};

const W: f64 = 640.0;
const H: f64 = 300.0;
const L: f64 = 80.0;
const R: f64 = 190.0;
const T: f64 = 30.0;
const B: f64 = 40.0;

/// The two charts (all individuals, sensitive individuals) of an exporter.
pub(crate) fn exporter_charts(
    lang: Lang,
    s: &Strings,
    e: &ExporterSummary,
    as_of: Date,
    ledger: Option<&LedgerCount>,
) -> (String, String) {
    let series = |sensitive: bool| -> Vec<(Date, u64)> {
        match ledger {
            Some(l) if !l.series.is_empty() => l
                .series
                .iter()
                .map(|(d, a, b)| (*d, if sensitive { *b } else { *a }))
                .collect(),
            _ => {
                let v = if sensitive {
                    e.current_year.sensitive_individuals
                } else {
                    e.current_year.individuals
                };
                vec![(date(as_of.year(), 1, 1), 0), (as_of, v)]
            }
        }
    };
    let thresholds = |measure: &str| -> Vec<(u64, String)> {
        e.thresholds
            .iter()
            .filter(|t| t.measure == measure && t.at_least > 1)
            .map(|t| (t.at_least, lang.route("CN", &t.route)))
            .collect()
    };
    let title_i = format!("{} — {}", e.name, s.t("chart.individuals"));
    let title_s = format!("{} — {}", e.name, s.t("chart.sensitive"));
    (
        svg(
            lang,
            &title_i,
            &series(false),
            &thresholds("individuals"),
            as_of,
            s,
        ),
        svg(
            lang,
            &title_s,
            &series(true),
            &thresholds("sensitive_individuals"),
            as_of,
            s,
        ),
    )
}

fn svg(
    lang: Lang,
    title: &str,
    points: &[(Date, u64)],
    thresholds: &[(u64, String)],
    as_of: Date,
    s: &Strings,
) -> String {
    let year = as_of.year();
    let start = date(year, 1, 1);
    let end = date(year, 12, 31);
    let days = (end - start).get_days().max(1) as f64;
    let last = points.last().copied().unwrap_or((as_of, 0));
    // The same trend as `outbound status`, so that the two never disagree.
    let projected = YearTrend::new(last.0, last.1).at_year_end();
    let max_v = thresholds
        .iter()
        .map(|t| t.0)
        .chain(points.iter().map(|p| p.1))
        .chain([projected, 1])
        .max()
        .unwrap_or(1) as f64
        * 1.1;
    let x = |d: Date| L + (d - start).get_days() as f64 / days * (W - L - R);
    let y = |v: u64| H - B - v as f64 / max_v * (H - T - B);
    let font = match lang {
        Lang::En => "sans-serif",
        Lang::Zh => "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif",
    };
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-family="{font}" font-size="11" role="img" aria-label="{t}">"#,
        t = escape(title)
    );
    let _ = write!(o, r#"<title>{}</title>"#, escape(title));
    let _ = write!(
        o,
        r##"<rect x="0" y="0" width="{W}" height="{H}" fill="#fff"/>"##
    );
    let _ = write!(
        o,
        r#"<text x="{L}" y="18" font-size="13" font-weight="bold">{}</text>"#,
        escape(title)
    );
    // Axes and month ticks.
    let _ = write!(
        o,
        r##"<line x1="{L}" y1="{yb}" x2="{xr}" y2="{yb}" stroke="#333"/><line x1="{L}" y1="{T}" x2="{L}" y2="{yb}" stroke="#333"/>"##,
        yb = H - B,
        xr = W - R
    );
    for m in 1..=12i8 {
        let d = date(year, m, 1);
        let _ = write!(
            o,
            r##"<line x1="{x0:.1}" y1="{yb}" x2="{x0:.1}" y2="{yb2}" stroke="#333"/><text x="{x0:.1}" y="{yt}" text-anchor="start">{m}</text>"##,
            x0 = x(d),
            yb = H - B,
            yb2 = H - B + 4.0,
            yt = H - B + 16.0
        );
    }
    let _ = write!(
        o,
        r#"<text x="{xm}" y="{yt}" text-anchor="middle">{}</text>"#,
        escape(&s.t("chart.month").replace("{year}", &year.to_string())),
        xm = (L + W - R) / 2.0,
        yt = H - 6.0
    );
    for i in 0..=4 {
        let v = (max_v / 1.1 * f64::from(i) / 4.0).round() as u64;
        let _ = write!(
            o,
            r##"<text x="{xl}" y="{yv:.1}" text-anchor="end">{}</text><line x1="{L}" y1="{yv:.1}" x2="{xr}" y2="{yv:.1}" stroke="#eee"/>"##,
            thousands(v),
            xl = L - 6.0,
            yv = y(v),
            xr = W - R
        );
    }
    // Thresholds.
    for (v, label) in thresholds {
        let _ = write!(
            o,
            r##"<line x1="{L}" y1="{yv:.1}" x2="{xr}" y2="{yv:.1}" stroke="#c0392b" stroke-width="1.5"/><text x="{xt}" y="{yt:.1}" fill="#c0392b" font-size="10">{}</text><text x="{xt}" y="{yt2:.1}" fill="#c0392b" font-size="9">{}</text>"##,
            thousands(*v),
            escape(label),
            yv = y(*v),
            xr = W - R,
            xt = W - R + 4.0,
            yt = y(*v) - 2.0,
            yt2 = y(*v) + 9.0
        );
    }
    // Measured / stated line.
    let pts: Vec<String> = points
        .iter()
        .map(|(d, v)| format!("{:.1},{:.1}", x(*d), y(*v)))
        .collect();
    let _ = write!(
        o,
        r##"<polyline points="{}" fill="none" stroke="#1f5fa8" stroke-width="2.5"/>"##,
        pts.join(" ")
    );
    let _ = write!(
        o,
        r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#1f5fa8"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#1f5fa8">{}</text>"##,
        x(last.0),
        y(last.1),
        x(last.0) - 6.0,
        y(last.1) - 8.0,
        thousands(last.1)
    );
    // Projection.
    let _ = write!(
        o,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#1f5fa8" stroke-dasharray="5,4"/><text x="{xt}" y="{:.1}" fill="#1f5fa8" font-size="10">{} {}</text>"##,
        x(last.0),
        y(last.1),
        x(end),
        y(projected),
        y(projected) + 22.0,
        escape(&s.t("chart.projection")),
        thousands(projected),
        xt = W - R + 4.0
    );
    o.push_str("</svg>\n");
    o
}
