//! The transfer impact assessment of an SCC transfer (C-311/18; EDPB
//! Recommendations 01/2020).

use outbound_model::{MechanismKind, Transfer};
use serde_json::{Value, json};

use super::Cx;
use super::context::transfer_ctx;
use crate::destinations::Destinations;

/// What every tia rests on, whatever the data.
pub(super) const CITATIONS: &[&str] = &[
    "GDPR Art. 46(2)(c)",
    "Decision (EU) 2021/914",
    "CJEU C-311/18 (Schrems II)",
    "EDPB Recommendations 01/2020",
];

/// The context of `templates/<lang>/tia.md.j2`.
pub(super) fn context(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
    let tc = transfer_ctx(cx, t);
    let scc = t.mechanisms.iter().find(|m| m.kind == MechanismKind::Scc);
    let dest = Destinations::builtin()
        .get(tc["recipient"]["country_code"].as_str().unwrap_or_default())
        .map(|d| d.access_risk)
        .unwrap_or(5);
    let outcome = if scc.is_none() {
        "no_scc"
    } else if dest >= 4 {
        "supplementary"
    } else {
        "effective"
    };
    cx.cite("EDPB Recommendations 01/2020");
    json!({
        "t": tc,
        "scc": scc.is_some(),
        "tia_done": scc.and_then(|m| m.tia_completed).is_some(),
        "outcome": cx.t(&format!("tia_outcome.{outcome}")),
        "outcome_id": outcome,
    })
}
