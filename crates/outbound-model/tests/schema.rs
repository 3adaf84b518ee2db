//! Keeping the published JSON Schema in step with the loader: the same keys
//! per object, unknown keys refused, and a key required in the schema exactly
//! when the loader reports it missing.

use std::collections::BTreeSet;

use outbound_model::{Code, Taxonomy, json_schema, known_keys, load_sources};
use serde_json::{Value, json};

/// Known, reported differences between the schema and the loader: (definition, key, side).
/// Each entry is a bug; remove it when fixed (the test then insists).
const KNOWN_DRIFT: &[(&str, &str)] = &[];

fn schema_props<'a>(schema: &'a serde_json::Value, def: &str) -> BTreeSet<&'a str> {
    let node = if def == "DataMap" {
        schema
    } else {
        &schema["$defs"][def]
    };
    node["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("schema has no properties for `{def}`"))
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn schema_and_loader_keys_agree() {
    let schema = json_schema();
    let mut problems = Vec::new();
    let mut stale = Vec::new();
    let drift: BTreeSet<(&str, &str)> = KNOWN_DRIFT.iter().copied().collect();
    let mut seen_defs = BTreeSet::new();
    for (def, keys) in known_keys() {
        seen_defs.insert(def);
        let loader: BTreeSet<&str> = keys.iter().copied().collect();
        let props = schema_props(&schema, def);
        for k in loader.difference(&props) {
            if !drift.contains(&(def, *k)) {
                problems.push(format!(
                    "{def}.{k}: read by the loader, absent from the schema"
                ));
            }
        }
        for k in props.difference(&loader) {
            if !drift.contains(&(def, *k)) {
                problems.push(format!("{def}.{k}: in the schema, rejected by the loader"));
            }
        }
        for (d, k) in &drift {
            if *d == def && loader.contains(k) == props.contains(k) {
                stale.push(format!(
                    "{d}.{k}: no longer drifts; remove it from KNOWN_DRIFT"
                ));
            }
        }
    }
    // Every object definition in the schema is covered by the loader's key lists.
    for (name, def) in schema["$defs"].as_object().unwrap() {
        if def.get("properties").is_some() {
            assert!(
                seen_defs.contains(name.as_str()),
                "schema definition `{name}` has no key list in known_keys()"
            );
        }
    }
    assert!(
        problems.is_empty(),
        "schema drift:\n{}",
        problems.join("\n")
    );
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

#[test]
fn schema_forbids_unknown_fields_like_the_loader() {
    let schema = json_schema();
    assert_eq!(
        schema["additionalProperties"],
        serde_json::Value::Bool(false)
    );
    for (def, _) in known_keys().into_iter().filter(|(d, _)| *d != "DataMap") {
        assert_eq!(
            schema["$defs"][def]["additionalProperties"],
            serde_json::Value::Bool(false),
            "{def}"
        );
    }
}

// ---------------------------------------------------------------------------
// required in the schema iff the loader reports it missing

/// A one-file map that sets every key the format defines, valid as a whole.
/// JSON is YAML, so the loader reads it as written here.
fn full_map() -> Value {
    json!({
        "version": 1,
        "organisation": "Org",
        "sensitivity_profile": "standard",
        "exporters": [{
            "id": "e", "name": "E", "country": "CN", "ciio": false,
            "individuals_processed": 1000, "group": "g", "free_trade_zone": "Hainan",
            "exported_this_year": {"as_of": "2026-01-31", "individuals": 10, "sensitive_individuals": 1},
            "exported_last_year": {"as_of": "2025-12-31", "individuals": 10, "sensitive_individuals": 1},
            "us_person": false,
            "gdpr_applies": false,
            "sectors": ["tourism"]
        }],
        "systems": [{
            "id": "s", "name": "S", "exporter": "e", "location": "Beijing",
            "owner": {"type": "person", "name": "N", "contact": "owner@example.com"}
        }],
        "datasets": [{
            "id": "d", "name": "D", "system": "s",
            "grade": "important", "grade_source": "catalogue (test)", "table": "public.d",
            "fields": [{"name": "phone", "category": "contact.phone", "subject": "customer",
                        "subject_key": true, "description": "mobile",
                        "not_kinds": ["imei"],
                        "grade": "core", "grade_source": "decision (test)"}]
        }],
        "recipients": [{
            "id": "r", "name": "R", "country": "US", "role": "processor",
            "contact": "dpo@example.com", "security_measures": ["encryption"],
            "onward_recipients": [{"name": "O", "country": "DE", "purpose": "hosting"}],
            "dpf_certified": false
        }],
        "transfers": [{
            "id": "t", "name": "T", "exporter": "e", "recipient": "r", "fields": ["d.phone"],
            "purpose": "support", "necessity": "none", "legal_basis": "consent", "method": "api",
            "frequency": "daily", "individuals_per_year": 100, "sensitive_individuals_per_year": 0,
            "important_data": false, "origin": "domestic", "outside_ftz_negative_list": false,
            "retention_abroad": "3 years", "storage": {"country": "US", "location": "us-east-1"},
            "derogation": "explicit_consent",
            "mechanisms": [{
                "type": "standard_contract", "effective": "2026-01-01", "filed": "2026-01-05",
                "approved": "2026-01-02", "expires": "2029-01-01", "module": 1,
                "tia_completed": "2025-12-01", "reference": "SC-1"
            }],
            "pipia": {"completed": "2025-12-01", "reference": "P-1"},
            "gate": {"undeclared": "fail", "transforms": {"d.phone": "mask"}},
            "us": {"recipient_covered_person": false, "transaction": "vendor",
                   "government_related": false, "exemption": "travel",
                   "onward_transfer_clause": false, "data_broker": false,
                   "recipient_foreign_adversary_controlled": false},
            "ru": {"notice_filed": "2026-03-02", "rkn_restricted": false,
                   "collected_into_russian_databases": true,
                   "localisation_exception": "art6_1_2"}
        }]
    })
}

/// Where `full_map` holds one object of each schema definition: (definition,
/// JSON pointer, the loader's path for its fields).
const PLACES: &[(&str, &str, &str)] = &[
    ("DataMap", "", ""),
    ("Exporter", "/exporters/0", "exporters[0]"),
    (
        "StatedCounts",
        "/exporters/0/exported_this_year",
        "exporters[0].exported_this_year",
    ),
    ("System", "/systems/0", "systems[0]"),
    ("Owner", "/systems/0/owner", "systems[0].owner"),
    ("Dataset", "/datasets/0", "datasets[0]"),
    ("Field", "/datasets/0/fields/0", "datasets[0].fields[0]"),
    ("Recipient", "/recipients/0", "recipients[0]"),
    (
        "OnwardRecipient",
        "/recipients/0/onward_recipients/0",
        "recipients[0].onward_recipients[0]",
    ),
    ("Transfer", "/transfers/0", "transfers[0]"),
    ("GatePolicy", "/transfers/0/gate", "transfers[0].gate"),
    ("Storage", "/transfers/0/storage", "transfers[0].storage"),
    (
        "Mechanism",
        "/transfers/0/mechanisms/0",
        "transfers[0].mechanisms[0]",
    ),
    ("Pipia", "/transfers/0/pipia", "transfers[0].pipia"),
    ("UsTransfer", "/transfers/0/us", "transfers[0].us"),
    ("RuTransfer", "/transfers/0/ru", "transfers[0].ru"),
];

/// Keys the loader requires only in some cases, which a schema of one file
/// cannot require: the schema must leave them optional.
const CONDITIONAL: &[(&str, &str)] = &[
    // Required in one file of a map, not in each.
    ("DataMap", "version"),
    // Required for a standard contract or SCCs, not for other mechanisms.
    ("Mechanism", "effective"),
    // Required for a security assessment or certification.
    ("Mechanism", "approved"),
    // Required for core and important data only.
    ("Dataset", "grade_source"),
    ("Field", "grade_source"),
];

fn schema_required<'a>(schema: &'a Value, def: &str) -> BTreeSet<&'a str> {
    let node = if def == "DataMap" {
        schema
    } else {
        &schema["$defs"][def]
    };
    node["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn load_json(map: &Value) -> Vec<outbound_model::Diagnostic> {
    let sources = [("map.yaml".to_string(), map.to_string())];
    load_sources(&sources, Taxonomy::builtin()).diagnostics
}

#[test]
fn schema_requires_exactly_what_the_loader_reports_missing() {
    let full = full_map();
    let clean = load_json(&full);
    assert!(clean.is_empty(), "the full map must load clean: {clean:#?}");

    let schema = json_schema();
    let conditional: BTreeSet<(&str, &str)> = CONDITIONAL.iter().copied().collect();
    let mut problems = Vec::new();
    let mut covered = BTreeSet::new();
    for (def, keys) in known_keys() {
        let &(_, pointer, path) = PLACES
            .iter()
            .find(|(d, _, _)| *d == def)
            .unwrap_or_else(|| panic!("no place for `{def}` in full_map()"));
        covered.insert(def);
        let required = schema_required(&schema, def);
        for &key in keys {
            let mut map = full.clone();
            let removed = map
                .pointer_mut(pointer)
                .and_then(Value::as_object_mut)
                .and_then(|o| o.remove(key));
            assert!(removed.is_some(), "full_map() does not set {def}.{key}");
            let field = if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            };
            let loader_requires = load_json(&map)
                .iter()
                .any(|d| d.code == Code::MissingField && d.field == field);
            let schema_requires = required.contains(key);
            if conditional.contains(&(def, key)) {
                if schema_requires {
                    problems.push(format!(
                        "{def}.{key}: required only in some cases, but the schema always requires it"
                    ));
                }
            } else if loader_requires != schema_requires {
                problems.push(format!(
                    "{def}.{key}: the loader {} it, the schema {} it",
                    if loader_requires {
                        "requires"
                    } else {
                        "does not require"
                    },
                    if schema_requires {
                        "requires"
                    } else {
                        "does not require"
                    },
                ));
            }
        }
        // The schema requires nothing the loader does not know.
        for key in required.iter().filter(|k| !keys.contains(k)) {
            problems.push(format!(
                "{def}.{key}: required by the schema, unknown to the loader"
            ));
        }
    }
    assert_eq!(
        covered.len(),
        PLACES.len(),
        "a place in PLACES has no key list"
    );
    assert!(
        problems.is_empty(),
        "required drift:\n{}",
        problems.join("\n")
    );
}
