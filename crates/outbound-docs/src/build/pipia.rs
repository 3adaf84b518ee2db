//! The personal information protection impact assessment (PIPL Art. 55–56,
//! Standard Contract Measures Art. 5): risk register, conclusion, retention.

use jiff::ToSpan;
use outbound_model::{MechanismKind, Transfer};
use serde_json::{Value, json};

use super::Cx;
use super::context::transfer_ctx;
use crate::destinations::Destinations;
use crate::risk::{self, RiskInputs};
use crate::sources::{Figure, SourceKind};

/// What every pipia rests on, whatever the data.
pub(super) const CITATIONS: &[&str] = &[
    "PIPL Art. 55",
    "PIPL Art. 56",
    "Standard Contract Measures Art. 5",
];

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
    // The source of each factor.
    let rwhat = format!("recipient {}", t.recipient);
    let dsrc = tc["destination"]["src"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let factor_src = |cx: &mut Cx<'_, '_>, id: &str| -> String {
        match (id, r) {
            ("sec", Some(r)) => cx.map_src(&r.loc, &rwhat, "security_measures"),
            ("onward", Some(r)) => cx.map_src(&r.loc, &rwhat, "onward_recipients"),
            ("controller", Some(r)) => cx.map_src(&r.loc, &rwhat, "role"),
            ("exposure", _) => cx.map_src(&t.loc, &what, "method"),
            ("retention", _) => cx.map_src(&t.loc, &what, "retention_abroad"),
            ("volume", _) => cx.map_src(&t.loc, &what, "individuals_per_year"),
            ("sensitive" | "special", _) => cx.map_src(&t.loc, &what, "fields"),
            ("redress" | "access", _) => dsrc.clone(),
            _ => cx.src.add(SourceKind::Method, "risk scoring method (section 4.1 of this report; crates/outbound-docs/src/risk.rs)"),
        }
    };
    let method_src = cx.src.add(
        SourceKind::Method,
        "risk scoring method (section 4.1 of this report; crates/outbound-docs/src/risk.rs)",
    );
    let (_, impact_factors) = risk::impact(&inputs);
    let impact_factors: Vec<Value> = impact_factors
        .iter()
        .map(|f| {
            let src = factor_src(cx, f.id);
            json!({"label": cx.t(&format!("factor.{}", f.id)), "points": Figure { value: format!("+{}", f.points), src }})
        })
        .collect();
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
            let factors: Vec<Value> = s
                .factors
                .iter()
                .map(|f| {
                    let src = factor_src(cx, f.id);
                    json!({"label": cx.t(&format!("factor.{}", f.id)), "points": Figure { value: format!("+{}", f.points), src }})
                })
                .collect();
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
    let satisfied = cx
        .input
        .assessment
        .transfers
        .iter()
        .find(|a| a.transfer == t.id)
        .map(|a| a.determinations.iter().all(|d| d.satisfied))
        .unwrap_or(false);
    let conclusion = if !satisfied {
        "route_missing"
    } else if rank(worst) >= 2 {
        "measures_needed"
    } else {
        "acceptable"
    };
    let as_of = cx.input.assessment.as_of;
    let keep_until = as_of
        .checked_add(3.years())
        .ok()
        .map(|d| d.checked_sub(1.day()).unwrap_or(d))
        .unwrap_or(as_of);
    let keep_until = {
        let d = cx.date(keep_until);
        let src = cx.src.add(
            SourceKind::Data,
            "outbound-rules data/cn.toml [deadlines] pipia_retention_years = 3 (PIPL Art. 56)",
        );
        Figure { value: d, src }
    };
    cx.cite("PIPL Art. 56");
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
