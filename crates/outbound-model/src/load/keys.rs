//! The keys the format defines for each object, and what to say about a key it does not.
//!
//! The loader rejects any other key (a typo silently ignored is a wrong
//! filing); `known_keys` also lets the schema test check that the JSON Schema
//! lists exactly these.

use crate::diag::did_you_mean;

pub(super) const TOP: &[&str] = &[
    "version",
    "organisation",
    "sensitivity_profile",
    "exporters",
    "systems",
    "datasets",
    "recipients",
    "transfers",
];
pub(super) const EXPORTER: &[&str] = &[
    "id",
    "name",
    "country",
    "ciio",
    "individuals_processed",
    "group",
    "free_trade_zone",
    "exported_this_year",
    "exported_last_year",
    "us_person",
    "gdpr_applies",
    "sectors",
];
pub(super) const STATED: &[&str] = &["as_of", "individuals", "sensitive_individuals"];
pub(super) const SYSTEM: &[&str] = &["id", "name", "exporter", "owner", "location"];
pub(super) const OWNER: &[&str] = &["type", "name", "contact"];
pub(super) const DATASET: &[&str] = &[
    "id",
    "name",
    "system",
    "fields",
    "grade",
    "grade_source",
    "table",
];
pub(super) const FIELD: &[&str] = &[
    "name",
    "category",
    "subject",
    "subject_key",
    "description",
    "not_kinds",
    "grade",
    "grade_source",
];
pub(super) const RECIPIENT: &[&str] = &[
    "id",
    "name",
    "country",
    "role",
    "contact",
    "security_measures",
    "onward_recipients",
    "dpf_certified",
];
pub(super) const ONWARD: &[&str] = &["name", "country", "purpose"];
pub(super) const TRANSFER: &[&str] = &[
    "id",
    "name",
    "exporter",
    "recipient",
    "fields",
    "purpose",
    "necessity",
    "legal_basis",
    "method",
    "frequency",
    "individuals_per_year",
    "sensitive_individuals_per_year",
    "important_data",
    "origin",
    "outside_ftz_negative_list",
    "retention_abroad",
    "storage",
    "derogation",
    "mechanisms",
    "pipia",
    "gate",
    "us",
    "ru",
];
pub(super) const RU: &[&str] = &[
    "notice_filed",
    "rkn_restricted",
    "collected_into_russian_databases",
    "localisation_exception",
];
pub(super) const US: &[&str] = &[
    "recipient_covered_person",
    "transaction",
    "government_related",
    "exemption",
    "onward_transfer_clause",
    "data_broker",
    "recipient_foreign_adversary_controlled",
];
pub(super) const GATE: &[&str] = &["undeclared", "transforms"];
pub(super) const STORAGE: &[&str] = &["country", "location"];
pub(super) const MECHANISM: &[&str] = &[
    "type",
    "effective",
    "filed",
    "approved",
    "expires",
    "module",
    "tia_completed",
    "reference",
];
pub(super) const PIPIA: &[&str] = &["completed", "reference"];

/// Every key the format defines, per object, for the schema consistency test.
pub fn known_keys() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("DataMap", TOP),
        ("Exporter", EXPORTER),
        ("StatedCounts", STATED),
        ("System", SYSTEM),
        ("Owner", OWNER),
        ("Dataset", DATASET),
        ("Field", FIELD),
        ("Recipient", RECIPIENT),
        ("OnwardRecipient", ONWARD),
        ("Transfer", TRANSFER),
        ("GatePolicy", GATE),
        ("Storage", STORAGE),
        ("Mechanism", MECHANISM),
        ("Pipia", PIPIA),
        ("UsTransfer", US),
        ("RuTransfer", RU),
    ]
}

/// The message and help for `key` in an object that allows only `allowed`,
/// or None when it is allowed; the help names the likeliest intended key.
pub(super) fn unknown_field(key: &str, allowed: &[&str]) -> Option<(String, String)> {
    if allowed.contains(&key) {
        return None;
    }
    let help = match did_you_mean(key, allowed.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("allowed here: {}", allowed.join(", ")),
    };
    Some((format!("unknown field `{key}`"), help))
}
