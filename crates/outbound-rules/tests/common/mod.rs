//! Shared builders for the rule tests.

use outbound_rules::{Determination, Facts, evaluate};

/// The facts document of docs/CONTRACTS.md, as of a date, adjusted by `edit`.
pub(crate) fn facts(as_of: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Facts {
    let mut v = serde_json::json!({
        "as_of": as_of,
        "exporter": {"id": "acme-cn", "country": "CN", "ciio": false, "individuals_processed": 2500000, "free_trade_zone": null},
        "transfer": {
            "id": "crm-sync", "recipient_country": "US", "origin": "domestic",
            "personal_information": true, "important_data": false, "necessity": "none",
            "sensitive_categories": [], "individuals": 0, "sensitive_individuals": 0,
            "mechanisms_in_place": []
        },
        "cumulative": {
            "current_year": {"individuals": 0, "sensitive_individuals": 0},
            "previous_and_current_year": {"individuals": 0, "sensitive_individuals": 0}
        }
    });
    edit(&mut v);
    Facts::from_json("test.json", &v.to_string()).expect("test facts are valid")
}

/// Sets this year's cumulative counts (and the two-year window to at least the same).
pub(crate) fn this_year(v: &mut serde_json::Value, individuals: u64, sensitive: u64) {
    v["cumulative"]["current_year"] =
        serde_json::json!({"individuals": individuals, "sensitive_individuals": sensitive});
    v["cumulative"]["previous_and_current_year"] =
        serde_json::json!({"individuals": individuals, "sensitive_individuals": sensitive});
}

/// The determination of one regime.
pub(crate) fn det(f: &Facts, regime: &str) -> Determination {
    let ev = evaluate(f).expect("facts can be judged");
    ev.determinations
        .into_iter()
        .find(|d| d.regime == regime)
        .unwrap_or_else(|| panic!("no {regime} determination"))
}

/// Whether any reason cites `citation`.
pub(crate) fn cites(d: &Determination, citation: &str) -> bool {
    d.reasons.iter().any(|r| r.citation.contains(citation))
}

/// The obligation with this id, if listed.
pub(crate) fn obligation<'a>(
    d: &'a Determination,
    id: &str,
) -> Option<&'a outbound_rules::Obligation> {
    d.obligations.iter().find(|o| o.id == id)
}
