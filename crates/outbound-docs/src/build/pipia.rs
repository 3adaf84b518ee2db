//! The personal information protection impact assessment (PIPL Art. 55–56,
//! Standard Contract Measures Art. 5): risk register, conclusion, retention.

use jiff::ToSpan;
use outbound_model::{MechanismKind, Transfer};
use outbound_rules::data;
use serde_json::{Value, json};

use super::context::transfer_ctx;
use super::{Cx, assessment_of};
use crate::destinations::Destinations;
use crate::risk::{self, RiskInputs};
use crate::sources::{Figure, SourceKind};

/// What every pipia rests on, whatever the data.
pub(super) const CITATIONS: &[&str] = &[
    "PIPL Art. 55",
    "PIPL Art. 56",
    "Standard Contract Measures Art. 5",
];

/// The source of every score: the method documented in [`crate::risk`].
const METHOD: &str =
    "risk scoring method (section 4.1 of this report; crates/outbound-docs/src/risk.rs)";

/// The context of `templates/<lang>/pipia.md.j2`.
pub(super) fn context(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
    let tc = transfer_ctx(cx, t);
    let map = cx.input.map;
    let r = map.recipient(&t.recipient);
    let dest = Destinations::builtin().get(r.map_or("", |r| r.country.as_str()));
    let sensitive: Vec<outbound_model::SensitiveClass> = tc["data"]["sensitive_classes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().and_then(outbound_model::SensitiveClass::parse))
        .collect();
    let inputs = RiskInputs {
        sensitive,
        individuals: t.individuals_per_year,
        security_measures: r.map_or(0, |r| r.security_measures.len()),
        method: t.method,
        onward: r.map_or(0, |r| r.onward_recipients.len()),
        retention_days: t.retention_abroad_days,
        role: r.map_or(outbound_model::RecipientRole::Controller, |r| r.role),
        access_risk: dest.map_or(5, |d| d.access_risk),
    };
    let what = format!("transfer {}", t.id);
    let rwhat = format!("recipient {}", t.recipient);
    let dsrc = tc["destination"]["src"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // Each factor with the map key or data entry it was derived from.
    let factors_ctx = |cx: &mut Cx<'_, '_>, factors: &[risk::Factor]| -> Vec<Value> {
        factors
            .iter()
            .map(|f| {
                let src = match (f.id, r) {
                    ("sec", Some(r)) => cx.map_src(&r.loc, &rwhat, "security_measures"),
                    ("onward", Some(r)) => cx.map_src(&r.loc, &rwhat, "onward_recipients"),
                    ("controller", Some(r)) => cx.map_src(&r.loc, &rwhat, "role"),
                    ("exposure", _) => cx.map_src(&t.loc, &what, "method"),
                    ("retention", _) => cx.map_src(&t.loc, &what, "retention_abroad"),
                    ("volume", _) => cx.map_src(&t.loc, &what, "individuals_per_year"),
                    ("sensitive" | "special", _) => cx.map_src(&t.loc, &what, "fields"),
                    ("redress" | "access", _) => dsrc.clone(),
                    _ => cx.src.add(SourceKind::Method, METHOD),
                };
                let points = Figure {
                    value: format!("+{}", f.points),
                    src,
                };
                json!({"label": cx.t(&format!("factor.{}", f.id)), "points": points})
            })
            .collect()
    };
    let method_src = cx.src.add(SourceKind::Method, METHOD);
    let impact_factors = factors_ctx(cx, &risk::impact(&inputs).1);
    let has_contract = t.mechanisms.iter().any(|m| {
        matches!(
            m.kind,
            MechanismKind::StandardContract
                | MechanismKind::Certification
                | MechanismKind::SecurityAssessment
        )
    });
    let measures: Vec<String> = r.map(|r| r.security_measures.clone()).unwrap_or_default();
    let scored = risk::score(&inputs);
    let mut worst = "low";
    let rank = |l: &str| {
        ["low", "medium", "high", "very_high"]
            .iter()
            .position(|x| *x == l)
            .unwrap_or(0)
    };
    let risks: Vec<Value> = scored
        .iter()
        .map(|s| {
            if rank(s.level) > rank(worst) {
                worst = s.level;
            }
            let factors = factors_ctx(cx, &s.factors);
            let mut mitigations: Vec<String> = Vec::new();
            match s.id {
                "tampering" | "leakage" | "loss" => mitigations.extend(measures.iter().cloned()),
                _ => {}
            }
            if has_contract {
                mitigations.push(cx.t(&format!("mitigation.{}", s.id)));
            }
            if mitigations.is_empty() {
                mitigations.push(cx.t("mitigation.none"));
            }
            json!({
                "id": s.id,
                "name": cx.t(&format!("risk.{}", s.id)),
                "likelihood": Figure { value: s.likelihood.to_string(), src: method_src.clone() },
                "impact": Figure { value: s.impact.to_string(), src: method_src.clone() },
                "score": Figure { value: s.score.to_string(), src: method_src.clone() },
                "level": cx.t(&format!("level.{}", s.level)),
                "factors": factors,
                "mitigations": mitigations,
            })
        })
        .collect();
    let satisfied = assessment_of(cx.input, &t.id)
        .is_some_and(|a| a.determinations.iter().all(|d| d.satisfied));
    let conclusion = if !satisfied {
        "route_missing"
    } else if rank(worst) >= 2 {
        "measures_needed"
    } else {
        "acceptable"
    };
    let as_of = cx.input.assessment.as_of;
    let retention = data::china().deadlines.get("pipia_retention", as_of);
    let (years, citation) = (retention.value, &retention.citation);
    let keep_until = as_of
        .checked_add(years.years())
        .ok()
        .map(|d| d.checked_sub(1.day()).unwrap_or(d))
        .unwrap_or(as_of);
    let keep_until = {
        let d = cx.date(keep_until);
        let src = cx.src.add(
            SourceKind::Data,
            format!("outbound-rules data/cn.toml, deadline `pipia_retention` = {years} years ({citation})"),
        );
        Figure { value: d, src }
    };
    cx.cite(citation);
    json!({
        "t": tc,
        "risks": risks,
        "impact_factors": impact_factors,
        "worst": cx.t(&format!("level.{worst}")),
        "conclusion": cx.t(&format!("conclusion.{conclusion}")),
        "conclusion_id": conclusion,
        "keep_until": keep_until,
    })
}
