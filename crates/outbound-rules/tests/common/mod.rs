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

/// Whether a text has Chinese characters in it.
pub(crate) fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Everything a person reads of a determination exists in English and Chinese:
/// the instrument, each reason and obligation (with nothing left to fill in),
/// each obligation's label, and citations whose instruments are all known.
pub(crate) fn assert_bilingual(d: &Determination) {
    use outbound_rules::text;
    let regime = d.regime.to_ascii_lowercase();
    assert!(
        text::instrument_known(&d.instrument),
        "{}: instrument {:?} has no Chinese title",
        d.regime,
        d.instrument
    );
    for r in &d.reasons {
        assert!(
            r.id.starts_with(&format!("{regime}.")),
            "{}: reason id {}",
            d.regime,
            r.id
        );
        assert!(text::exists(r.id), "{}: no message", r.id);
        assert!(
            !r.text.trim().is_empty() && !r.text.contains('{'),
            "{}: {}",
            r.id,
            r.text
        );
        assert!(
            has_chinese(&r.text_zh) && !r.text_zh.contains('{'),
            "{}: {}",
            r.id,
            r.text_zh
        );
        assert!(
            text::citation_known(&r.citation),
            "{}: {}",
            r.id,
            r.citation
        );
        assert!(has_chinese(&r.citation_zh), "{}: {}", r.id, r.citation_zh);
    }
    for o in &d.obligations {
        assert!(
            text::obligation_label(&regime, o.id).is_some(),
            "{}: obligation {} has no label",
            d.regime,
            o.id
        );
        assert!(
            !o.text.trim().is_empty() && !o.text.contains('{'),
            "{}: {}",
            o.id,
            o.text
        );
        assert!(
            has_chinese(&o.text_zh) && !o.text_zh.contains('{'),
            "{}: {}",
            o.id,
            o.text_zh
        );
        assert!(has_chinese(&o.label_zh), "{}: {}", o.id, o.label_zh);
        assert!(
            text::citation_known(&o.citation),
            "{}: {}",
            o.id,
            o.citation
        );
    }
}
