//! The risk register of the impact assessment, scored by a documented method.
//!
//! # Method
//!
//! Each risk gets a **likelihood** and an **impact** on 1–5 scales; the
//! **score** is likelihood × impact (1–25) and its **level** is low (1–4),
//! medium (5–9), high (10–14) or very high (15–25).
//!
//! Impact is the same for every risk of a transfer and comes from the data:
//! 2 for ordinary personal information; 3 when sensitive personal information
//! (PIPL Art. 28) is included; 4 when it includes biometric, medical/health
//! or children's data (harm that cannot be undone); +1 when 100,000 or more
//! individuals a year are exported; at most 5.
//!
//! Likelihood starts at 1 and adds factors, each derived from the data map or
//! the destination file, at most 5:
//!
//! | factor | value | applies to |
//! |---|---|---|
//! | security measures of the recipient | +2 none listed, +1 one listed, 0 two or more | tampering, leakage, loss |
//! | exposure of the method | +1 for remote access, e-mail, physical media | tampering, leakage |
//! | onward recipients abroad | +1 when any | leakage, misuse, rights |
//! | retention abroad | +1 over 2 years | leakage, loss, misuse |
//! | recipient decides purposes | +1 controller or joint controller | misuse |
//! | weak redress in the destination | +1 when its government-access score is 4 or 5 | rights |
//!
//! The government-access risk takes its likelihood directly from the
//! destination's `access_risk` (1–5) in `data/destinations.toml`.

use outbound_model::{Method, RecipientRole, SensitiveClass};
use serde::Serialize;

/// The risks the register scores (Standard Contract Measures Art. 5(4)–(5)).
pub const RISKS: &[&str] = &[
    "tampering",
    "leakage",
    "loss",
    "misuse",
    "government_access",
    "rights",
];

/// What the score is computed from.
#[derive(Clone, Debug)]
pub(crate) struct RiskInputs {
    /// Sensitive classes included.
    pub(crate) sensitive: Vec<SensitiveClass>,
    /// Individuals a year.
    pub(crate) individuals: u64,
    /// Number of security measures the recipient lists.
    pub(crate) security_measures: usize,
    /// Transfer method.
    pub(crate) method: Method,
    /// Onward recipients abroad.
    pub(crate) onward: usize,
    /// Retention abroad in days.
    pub(crate) retention_days: u32,
    /// The recipient's role.
    pub(crate) role: RecipientRole,
    /// Government-access score of the destination (1–5); 5 when unknown.
    pub(crate) access_risk: u8,
}

/// One factor that raised a likelihood or impact.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Factor {
    /// Factor id (`sec`, `exposure`, `onward`, `retention`, `controller`, `redress`, `access`,
    /// `sensitive`, `special`, `volume`, `base`).
    pub(crate) id: &'static str,
    /// Points added.
    pub(crate) points: u8,
}

/// One scored risk.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Scored {
    /// Risk id (one of [`RISKS`]).
    pub(crate) id: &'static str,
    /// 1–5.
    pub(crate) likelihood: u8,
    /// 1–5.
    pub(crate) impact: u8,
    /// likelihood × impact.
    pub(crate) score: u8,
    /// `low`, `medium`, `high`, `very_high`.
    pub(crate) level: &'static str,
    /// The factors behind the likelihood.
    pub(crate) factors: Vec<Factor>,
}

/// The impact of a transfer and the factors behind it.
pub(crate) fn impact(i: &RiskInputs) -> (u8, Vec<Factor>) {
    let mut f = vec![Factor {
        id: "base",
        points: 2,
    }];
    if !i.sensitive.is_empty() {
        f.push(Factor {
            id: "sensitive",
            points: 1,
        });
        if i.sensitive.iter().any(|c| {
            matches!(
                c,
                SensitiveClass::Biometric
                    | SensitiveClass::MedicalHealth
                    | SensitiveClass::MinorUnder14
            )
        }) {
            f.push(Factor {
                id: "special",
                points: 1,
            });
        }
    }
    if i.individuals >= 100_000 {
        f.push(Factor {
            id: "volume",
            points: 1,
        });
    }
    let v: u8 = f.iter().map(|x| x.points).sum();
    (v.clamp(1, 5), f)
}

/// The level of a score.
pub(crate) fn level(score: u8) -> &'static str {
    match score {
        0..=4 => "low",
        5..=9 => "medium",
        10..=14 => "high",
        _ => "very_high",
    }
}

/// Scores every risk.
pub(crate) fn score(i: &RiskInputs) -> Vec<Scored> {
    let (imp, _) = impact(i);
    let sec = match i.security_measures {
        0 => 2,
        1 => 1,
        _ => 0,
    };
    let exposure = u8::from(matches!(
        i.method,
        Method::RemoteAccess | Method::Email | Method::PhysicalMedia
    ));
    let onward = u8::from(i.onward > 0);
    let retention = u8::from(i.retention_days > 730);
    let controller = u8::from(matches!(
        i.role,
        RecipientRole::Controller | RecipientRole::JointController
    ));
    let redress = u8::from(i.access_risk >= 4);
    RISKS
        .iter()
        .map(|&id| {
            let factors: Vec<Factor> = match id {
                "tampering" => vec![("sec", sec), ("exposure", exposure)],
                "leakage" => vec![
                    ("sec", sec),
                    ("exposure", exposure),
                    ("onward", onward),
                    ("retention", retention),
                ],
                "loss" => vec![("sec", sec), ("retention", retention)],
                "misuse" => vec![
                    ("controller", controller),
                    ("onward", onward),
                    ("retention", retention),
                ],
                "rights" => vec![("onward", onward), ("redress", redress)],
                _ => vec![("access", i.access_risk.saturating_sub(1))],
            }
            .into_iter()
            .filter(|(_, p)| *p > 0)
            .map(|(id, points)| Factor { id, points })
            .collect();
            let l = (1 + factors.iter().map(|f| f.points).sum::<u8>()).clamp(1, 5);
            let s = l * imp;
            Scored {
                id,
                likelihood: l,
                impact: imp,
                score: s,
                level: level(s),
                factors,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> RiskInputs {
        RiskInputs {
            sensitive: vec![],
            individuals: 1000,
            security_measures: 3,
            method: Method::Api,
            onward: 0,
            retention_days: 365,
            role: RecipientRole::Processor,
            access_risk: 2,
        }
    }

    #[test]
    fn ordinary_low_volume_well_secured_is_low() {
        let r = score(&base());
        assert!(r.iter().all(|s| s.impact == 2));
        assert_eq!(r.iter().find(|s| s.id == "leakage").unwrap().score, 2);
        assert_eq!(
            r.iter()
                .find(|s| s.id == "government_access")
                .unwrap()
                .likelihood,
            2
        );
    }

    #[test]
    fn factors_raise_scores_and_are_capped() {
        let i = RiskInputs {
            sensitive: vec![SensitiveClass::Biometric],
            individuals: 2_000_000,
            security_measures: 0,
            method: Method::Email,
            onward: 1,
            retention_days: 2000,
            role: RecipientRole::Controller,
            access_risk: 5,
        };
        assert_eq!(impact(&i).0, 5);
        let r = score(&i);
        let leak = r.iter().find(|s| s.id == "leakage").unwrap();
        assert_eq!(
            (leak.likelihood, leak.score, leak.level),
            (5, 25, "very_high")
        );
        assert_eq!(level(4), "low");
        assert_eq!(level(5), "medium");
        assert_eq!(level(10), "high");
        assert_eq!(level(15), "very_high");
    }
}
