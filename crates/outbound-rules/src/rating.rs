//! Ratings of an association's members from their compliance snapshots, by
//! the method published in `data/ratings.toml` and docs/RATINGS.md.
//!
//! Pure: a rating is computed from a snapshot's JSON (already checked by the
//! caller against the member's signature and log) and the evidence of that
//! check; every line of it names the snapshot fields it read and the
//! evidence, so a reader can recompute it.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The rating method.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Method {
    /// Raised whenever a criterion, weight or band changes.
    pub version: u32,
    /// What is judged, in the file's order.
    pub criterion: Vec<Criterion>,
    /// Bands, highest first.
    pub band: Vec<Band>,
}

/// One criterion: a ratio of snapshot totals, weighted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Stable id.
    pub id: String,
    /// Name in English.
    pub name_en: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Its weight.
    pub weight: u32,
    /// Dotted paths in the snapshot, summed: what went right.
    pub good: Vec<String>,
    /// Dotted paths in the snapshot, summed: what was judged.
    pub total: Vec<String>,
    /// Which snapshot fields are the evidence, in a sentence.
    pub evidence: String,
    /// The duties it rests on.
    pub basis: String,
    /// Why it weighs what it weighs.
    pub rationale: String,
}

/// A band of scores.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// `A` …
    pub id: String,
    /// The lowest score in the band.
    pub at_least: f64,
    /// Meaning in English.
    pub en: String,
    /// Meaning in Chinese.
    pub zh: String,
}

static METHOD: LazyLock<Method> = LazyLock::new(|| {
    toml::from_str(include_str!("../data/ratings.toml")).expect("data/ratings.toml is valid")
});

/// The bundled method.
pub fn method() -> &'static Method {
    &METHOD
}

/// What a snapshot was checked against: named by every rating line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The member.
    pub member: String,
    /// The period.
    pub period: String,
    /// SHA-256 (hex) of the snapshot's canonical JSON.
    pub snapshot_sha256: String,
    /// Index of its `snapshot` entry in the member's log.
    pub log_index: u64,
    /// Size of the member's signed checkpoint that includes that entry.
    pub checkpoint_size: u64,
    /// The witnesses whose cosignatures of that checkpoint were checked and
    /// counted (omitted when the member has none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
}

/// One criterion's part of a rating.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    /// Criterion id.
    pub criterion: String,
    /// Its name in English.
    pub name_en: String,
    /// Its name in Chinese.
    pub name_zh: String,
    /// Its weight.
    pub weight: u32,
    /// What went right.
    pub good: u64,
    /// What was judged; 0 means not applicable.
    pub total: u64,
    /// Points earned, `weight × good / total` (0 when not applicable).
    pub points: f64,
    /// Whether it counted this period.
    pub applicable: bool,
    /// The snapshot fields read, each as `path=value`.
    pub fields: Vec<String>,
    /// The evidence the fields come from.
    pub evidence: Evidence,
}

/// A member's rating for a period.
#[derive(Clone, Debug, Serialize)]
pub struct Rating {
    /// The method's version.
    pub method_version: u32,
    /// 0 to 100, one decimal; `None` when no criterion applied.
    pub score: Option<f64>,
    /// The band's id.
    pub band: Option<String>,
    /// Its meaning in English.
    pub band_en: Option<String>,
    /// Its meaning in Chinese.
    pub band_zh: Option<String>,
    /// One line per criterion, in the method's order.
    pub lines: Vec<Line>,
    /// The evidence.
    pub evidence: Evidence,
}

/// Why a snapshot cannot be rated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    /// A field the method reads is missing or not a whole number.
    #[error("the snapshot has no whole number at `{0}`")]
    MissingField(String),
}

fn at(snapshot: &serde_json::Value, path: &str) -> Result<u64, RatingError> {
    path.split('.')
        .try_fold(snapshot, |v, k| v.get(k))
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| RatingError::MissingField(path.to_string()))
}

/// Rates a verified snapshot by `method`.
///
/// # Errors
///
/// [`RatingError::MissingField`] when the snapshot lacks a field the method reads.
pub fn rate(
    method: &Method,
    snapshot: &serde_json::Value,
    evidence: &Evidence,
) -> Result<Rating, RatingError> {
    let mut lines = Vec::new();
    let (mut earned, mut possible) = (0.0, 0.0);
    for c in &method.criterion {
        let mut fields = Vec::new();
        let mut sum = |paths: &[String]| -> Result<u64, RatingError> {
            let mut s = 0;
            for p in paths {
                let v = at(snapshot, p)?;
                let f = format!("{p}={v}");
                if !fields.contains(&f) {
                    fields.push(f);
                }
                s += v;
            }
            Ok(s)
        };
        let good = sum(&c.good)?;
        let total = sum(&c.total)?;
        let applicable = total > 0;
        let points = if applicable {
            f64::from(c.weight) * (good.min(total) as f64) / (total as f64)
        } else {
            0.0
        };
        if applicable {
            earned += points;
            possible += f64::from(c.weight);
        }
        lines.push(Line {
            criterion: c.id.clone(),
            name_en: c.name_en.clone(),
            name_zh: c.name_zh.clone(),
            weight: c.weight,
            good,
            total,
            points: (points * 10.0).round() / 10.0,
            applicable,
            fields,
            evidence: evidence.clone(),
        });
    }
    let score = (possible > 0.0).then(|| (1000.0 * earned / possible).round() / 10.0);
    let band = score.and_then(|s| method.band.iter().find(|b| s >= b.at_least));
    Ok(Rating {
        method_version: method.version,
        score,
        band: band.map(|b| b.id.clone()),
        band_en: band.map(|b| b.en.clone()),
        band_zh: band.map(|b| b.zh.clone()),
        lines,
        evidence: evidence.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev() -> Evidence {
        Evidence {
            member: "lumen".into(),
            period: "2026-Q4".into(),
            snapshot_sha256: "ab".repeat(32),
            log_index: 7,
            checkpoint_size: 9,
            witnesses: Vec::new(),
        }
    }

    fn totals(pairs: &[(&str, u64)]) -> serde_json::Value {
        let mut t = serde_json::Map::new();
        for c in &method().criterion {
            for p in c.good.iter().chain(&c.total) {
                t.insert(p.trim_start_matches("totals.").into(), 0.into());
            }
        }
        for (k, v) in pairs {
            t.insert((*k).into(), (*v).into());
        }
        serde_json::json!({ "totals": t })
    }

    #[test]
    fn the_bundled_method_loads_and_is_consistent() {
        let m = method();
        assert!(m.version >= 1);
        assert_eq!(m.criterion.iter().map(|c| c.weight).sum::<u32>(), 100);
        for c in &m.criterion {
            assert!(!c.good.is_empty() && !c.total.is_empty(), "{}", c.id);
            assert!(
                !c.evidence.is_empty() && !c.basis.is_empty() && !c.rationale.is_empty(),
                "{}",
                c.id
            );
            assert!(!c.name_zh.is_empty(), "{}", c.id);
        }
        let mut last = f64::INFINITY;
        for b in &m.band {
            assert!(b.at_least < last, "bands highest first");
            last = b.at_least;
        }
        assert_eq!(last, 0.0, "the lowest band starts at 0");
    }

    #[test]
    fn every_line_names_its_fields_and_evidence() {
        let s = totals(&[
            ("routes_required", 4),
            ("routes_in_place", 3),
            ("requests_on_time", 1),
            ("requests_late", 1),
        ]);
        let r = rate(method(), &s, &ev()).unwrap();
        assert_eq!(r.lines.len(), method().criterion.len());
        for l in &r.lines {
            assert_eq!(l.evidence, ev());
            assert!(!l.fields.is_empty(), "{}", l.criterion);
        }
        let routes = &r.lines[0];
        assert_eq!(
            routes.fields,
            ["totals.routes_in_place=3", "totals.routes_required=4"]
        );
        assert_eq!(routes.points, 22.5);
        // Only routes (30) and rights (15) applied: (22.5 + 7.5) / 45.
        assert_eq!(r.score, Some(66.7));
        assert_eq!(r.band.as_deref(), Some("C"));
        assert!(!r.lines[5].applicable, "no incident clock to judge");
    }

    #[test]
    fn band_boundaries_are_inclusive_and_nothing_to_judge_is_no_score() {
        let s = totals(&[("routes_required", 10), ("routes_in_place", 9)]);
        let r = rate(method(), &s, &ev()).unwrap();
        assert_eq!((r.score, r.band.as_deref()), (Some(90.0), Some("A")));
        let s = totals(&[("routes_required", 4), ("routes_in_place", 3)]);
        assert_eq!(
            rate(method(), &s, &ev()).unwrap().band.as_deref(),
            Some("B")
        );
        let r = rate(method(), &totals(&[]), &ev()).unwrap();
        assert_eq!((r.score, r.band), (None, None));
    }

    #[test]
    fn a_missing_field_is_named() {
        let e = rate(method(), &serde_json::json!({"totals": {}}), &ev()).unwrap_err();
        assert_eq!(
            e,
            RatingError::MissingField("totals.routes_in_place".into())
        );
    }
}
