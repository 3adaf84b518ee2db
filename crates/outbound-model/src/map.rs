//! The data map: who exports what to whom, as written by hand in YAML.
//!
//! These types are the in-memory form after validation: every reference
//! resolves, every category exists, every date is real. They derive
//! `JsonSchema` so that `outbound schema` publishes the file format editors
//! complete against, from the same definitions the loader fills.

use jiff::civil::Date;
use schemars::JsonSchema;
use serde::Serialize;

use crate::choice::*;
use crate::diag::{KeyLocs, Loc};

/// A whole data map, possibly assembled from several files.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
#[schemars(title = "Outbound data map", deny_unknown_fields)]
pub struct DataMap {
    /// Format version; 1. Required in at least one file of a map.
    #[serde(default)]
    pub version: u32,
    /// The organisation the map describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// Which standard decides sensitivity (default `standard`).
    #[serde(default)]
    pub sensitivity_profile: SensitivityProfile,
    /// Legal entities that export.
    #[serde(default)]
    pub exporters: Vec<Exporter>,
    /// Systems holding the data, each with an accountable owner.
    #[serde(default)]
    pub systems: Vec<System>,
    /// Datasets and their fields.
    #[serde(default)]
    pub datasets: Vec<Dataset>,
    /// Recipients abroad.
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    /// Cross-border transfers.
    #[serde(default)]
    pub transfers: Vec<Transfer>,
}

impl DataMap {
    /// SHA-256 (64 lowercase hex digits) of the map's content as loaded: its
    /// JSON in the data-map format (`outbound schema`), without file
    /// positions; `outbound validate` prints it. A map
    /// split into other files, with other comments or its keys in another
    /// order digests the same; any change to what it declares (a category,
    /// a `not_kinds`, a transfer) does not. The gate's audit entries record
    /// it (`batch` v2), so that the log commits to the declarations each
    /// batch was judged under.
    pub fn content_sha256(&self) -> String {
        use sha2::Digest as _;
        /// SHA-256 as a writer: the JSON streams into the hash, never held
        /// whole (megabytes for a map of 10,000 transfers).
        struct Hashing(sha2::Sha256);
        impl std::io::Write for Hashing {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.update(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut w = std::io::BufWriter::with_capacity(1 << 16, Hashing(sha2::Sha256::new()));
        // Serialising plain structs, vectors, strings and string-keyed maps
        // into a writer that cannot fail cannot fail.
        let _ = serde_json::to_writer(&mut w, self);
        let _ = std::io::Write::flush(&mut w);
        let (hashing, _) = w.into_parts();
        hashing
            .0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Distinct individuals exported in a window, as stated in the map until the ledger counts them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StatedCounts {
    /// The date the figures were taken.
    #[schemars(with = "Option<String>")]
    #[serde(default)]
    pub as_of: Option<Date>,
    /// Distinct individuals whose PI was exported.
    #[schemars(schema_with = "crate::map::count_schema")]
    pub individuals: u64,
    /// Distinct individuals whose sensitive PI was exported.
    #[serde(default)]
    #[schemars(schema_with = "crate::map::count_schema")]
    pub sensitive_individuals: u64,
}

/// A legal entity that sends personal information abroad.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Exporter {
    /// Unique id (lowercase letters, digits, `-`, `_`, `.`).
    pub id: String,
    /// Registered name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country of establishment.
    pub country: String,
    /// Critical information infrastructure operator (CSL Art. 37, PIPL Art. 40).
    #[serde(default)]
    pub ciio: bool,
    /// Individuals whose PI the entity processes in total (Security Assessment Measures Art. 4(2)).
    #[schemars(schema_with = "crate::map::count_schema")]
    pub individuals_processed: u64,
    /// Corporate group, for counting entities together against splitting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Pilot free trade zone the entity is registered in (Provisions Art. 6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_trade_zone: Option<String>,
    /// Already exported since 1 January of this year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exported_this_year: Option<StatedCounts>,
    /// Exported in the whole of last year (the 2022–2023 window counts it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exported_last_year: Option<StatedCounts>,
    /// US: the entity is a U.S. person (28 CFR 202.256); when absent, an entity
    /// whose country is `US` is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us_person: Option<bool>,
    /// EU: GDPR Art. 3(2) applies to this entity outside the EEA (it offers goods
    /// or services to, or monitors, people in the EU).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gdpr_applies: bool,
    /// The sectors the entity works in, as a free-trade-zone list names them
    /// (`tourism`, `duty_free_retail` …): a list that covers sectors then applies
    /// by them (Provisions Art. 6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sectors: Vec<String>,
    /// Where it is defined.
    #[serde(skip)]
    #[schemars(skip)]
    pub loc: Loc,
    /// Where each key is written.
    #[serde(skip)]
    #[schemars(skip)]
    pub key_locs: KeyLocs,
}

/// The accountable owner of a system.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Owner {
    /// Person or department.
    #[serde(rename = "type")]
    pub kind: OwnerKind,
    /// Name of the person or department.
    pub name: String,
    /// How to reach them (e-mail of a role account, not a private address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// A system that holds personal information.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct System {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The exporter that operates it.
    pub exporter: String,
    /// Accountable owner.
    pub owner: Owner,
    /// Where it is hosted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Where it is defined.
    #[serde(skip)]
    #[schemars(skip)]
    pub loc: Loc,
    /// Where each key is written.
    #[serde(skip)]
    #[schemars(skip)]
    pub key_locs: KeyLocs,
}

/// A field of a dataset.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Field {
    /// Column or dotted key path.
    pub name: String,
    /// Taxonomy category id, e.g. `contact.phone`.
    pub category: String,
    /// Who the value is about.
    pub subject: SubjectKind,
    /// This field identifies the data subject (used for exact counting and consent).
    /// The gate compares its values after removing spaces and `-` and upper-casing
    /// (`outbound_gate::normalize_subject`): ` c-1 ` and `C1` are one individual.
    #[serde(default)]
    pub subject_key: bool,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Scanner kinds (`bank_card`, `cn_mobile` …) that this field's values
    /// match only by chance and are not: an order number of a card's length
    /// passes Luhn one time in ten, an 11-digit ticket number looks like a
    /// mobile. Matches of these kinds here are not undeclared data: the gate
    /// neither refuses nor masks them, and `scan --compare` reports no
    /// finding. A statement by whoever keeps the map, reviewed with the rest
    /// of it: real card numbers in such a field pass unnoticed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_kinds: Vec<String>,
    /// Data grade (DSL Art. 21; GB/T 43697-2024); without one the field takes its dataset's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<DataGrade>,
    /// The catalogue, notice or decision that graded it; required for `core` and `important`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade_source: Option<String>,
    /// Where it is defined.
    #[serde(skip)]
    #[schemars(skip)]
    pub loc: Loc,
}

/// A dataset held in a system.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Dataset {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The system that holds it.
    pub system: String,
    /// Its fields.
    pub fields: Vec<Field>,
    /// Data grade of the whole dataset (DSL Art. 21; GB/T 43697-2024); each field is at least this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<DataGrade>,
    /// The catalogue, notice or decision that graded it; required for `core` and `important`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade_source: Option<String>,
    /// The database table that holds it (`table` or `schema.table`), so that
    /// a scan of its system's database can be checked against these fields
    /// (`outbound serve` reads it from the scan source whose id is the system's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Where it is defined.
    #[serde(skip)]
    #[schemars(skip)]
    pub loc: Loc,
    /// Where each key is written.
    #[serde(skip)]
    #[schemars(skip)]
    pub key_locs: KeyLocs,
}

/// A recipient abroad that passes the data on.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OnwardRecipient {
    /// Name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// What it does with the data.
    pub purpose: String,
}

/// An overseas recipient.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Recipient {
    /// Unique id.
    pub id: String,
    /// Registered name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// Controller, processor or joint controller.
    pub role: RecipientRole,
    /// Contact for individuals and regulators (PIPL Art. 39 requires it in the notice).
    pub contact: String,
    /// Technical and organisational security measures.
    #[serde(default)]
    pub security_measures: Vec<String>,
    /// Onward recipients (Standard contract Annex I).
    #[serde(default)]
    pub onward_recipients: Vec<OnwardRecipient>,
    /// Certified under the EU-US Data Privacy Framework.
    #[serde(default)]
    pub dpf_certified: bool,
    /// Where it is defined.
    #[serde(skip)]
    #[schemars(skip)]
    pub loc: Loc,
    /// Where each key is written.
    #[serde(skip)]
    #[schemars(skip)]
    pub key_locs: KeyLocs,
}

/// A mechanism in place for a transfer, with its dates.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Mechanism {
    /// Which mechanism.
    #[serde(rename = "type")]
    pub kind: MechanismKind,
    /// Standard contract or SCCs: the day the contract takes effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub effective: Option<Date>,
    /// Standard contract: the day it was filed with the provincial CAC.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub filed: Option<Date>,
    /// Security assessment or certification: the day it was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub approved: Option<Date>,
    /// Security assessment or certification: the day it expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub expires: Option<Date>,
    /// SCC module (1 C→C, 2 C→P, 3 P→P, 4 P→C).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<u8>,
    /// SCCs: the day the transfer impact assessment was completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub tia_completed: Option<Date>,
    /// Filing or certificate number, contract reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Where it is defined.
    #[serde(skip)]
    #[schemars(skip)]
    pub loc: Loc,
}

/// A field of a dataset, named as `dataset.field`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(with = "String")]
pub struct FieldRef {
    /// Dataset id.
    pub dataset: String,
    /// Field name.
    pub field: String,
    /// Where it is written.
    #[serde(skip)]
    pub loc: Loc,
}

/// Where the data is stored abroad.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Storage {
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// Data centre, region or cloud service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// What the gate enforces on a transfer.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct GatePolicy {
    /// What to do with fields or kinds the transfer did not declare (default `fail`).
    #[serde(default)]
    pub undeclared: UndeclaredPolicy,
    /// Transforms per field, keyed `dataset.field`.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, Transform>")]
    pub transforms: Vec<(FieldRef, Transform)>,
}

/// The personal information impact assessment (PIPL Art. 55–56).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Pipia {
    /// The day the report was completed.
    #[schemars(with = "String")]
    pub completed: Date,
    /// Document reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// One cross-border transfer.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Transfer {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The exporter.
    pub exporter: String,
    /// The recipient abroad.
    pub recipient: String,
    /// Fields that leave, as `dataset.field`; `dataset.*` for all of a dataset.
    pub fields: Vec<FieldRef>,
    /// Purpose of the transfer.
    pub purpose: String,
    /// Why it is necessary (Provisions Art. 5).
    pub necessity: Necessity,
    /// Legal basis of the processing.
    pub legal_basis: LegalBasis,
    /// How the data leaves.
    pub method: Method,
    /// How often.
    pub frequency: Frequency,
    /// Estimated distinct individuals per year.
    #[schemars(schema_with = "crate::map::count_schema")]
    pub individuals_per_year: u64,
    /// Estimated distinct individuals per year whose sensitive PI is included;
    /// when absent, every individual counts as sensitive if a sensitive field is included.
    // `default`: schemars cannot see the Option behind `schema_with`; without it
    // the schema would require a key the loader treats as optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::map::opt_count_schema")]
    pub sensitive_individuals_per_year: Option<u64>,
    /// The data includes important data notified or published by the authorities (DSL Art. 21, Provisions Art. 2).
    #[serde(default)]
    pub important_data: bool,
    /// Where the data was collected.
    #[serde(default)]
    pub origin: Origin,
    /// Exporter in a free trade zone, data outside the zone's negative list (Provisions Art. 6).
    #[serde(default)]
    pub outside_ftz_negative_list: bool,
    /// Retention abroad in days; written `3 years`, `18 months`, `90 days` in the map.
    #[serde(rename = "retention_abroad")]
    #[schemars(schema_with = "crate::map::duration_schema")]
    pub retention_abroad_days: u32,
    /// Storage abroad.
    pub storage: Storage,
    /// GDPR Art. 49 derogation relied on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derogation: Option<Derogation>,
    /// Mechanisms in place.
    #[serde(default)]
    pub mechanisms: Vec<Mechanism>,
    /// The impact assessment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipia: Option<Pipia>,
    /// What the gate enforces on this transfer.
    #[serde(default)]
    pub gate: GatePolicy,
    /// US: what 28 CFR Part 202 and PADFA need to judge the transfer
    /// (the 12-month volumes come from the estimates and the ledger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us: Option<UsTransfer>,
    /// Russia: what 152-FZ Art. 12 and 18(5) need to judge the transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ru: Option<RuTransfer>,
    /// Where it is defined.
    #[serde(skip)]
    #[schemars(skip)]
    pub loc: Loc,
    /// Where each key is written.
    #[serde(skip)]
    #[schemars(skip)]
    pub key_locs: KeyLocs,
}

/// A transfer's facts for the US regime (28 CFR Part 202, PADFA); the
/// `transfer.us` block of the facts document without `bulk_12_months`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct UsTransfer {
    /// The recipient is a country of concern or a covered person (§202.211).
    #[serde(default)]
    pub recipient_covered_person: bool,
    /// The kind of transaction (§§202.214, 202.217, 202.228, 202.258).
    pub transaction: UsTransaction,
    /// Government-related data (§202.222): no volume threshold.
    #[serde(default)]
    pub government_related: bool,
    /// The exemption of §§202.501–511 relied on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption: Option<UsExemption>,
    /// A data-brokerage contract with a foreign person that is not a covered
    /// person bars onward brokerage to countries of concern (§202.302).
    #[serde(default)]
    pub onward_transfer_clause: bool,
    /// PADFA: the exporter acts as a data broker for this transfer.
    #[serde(default)]
    pub data_broker: bool,
    /// PADFA: the recipient is controlled by a foreign adversary.
    #[serde(default)]
    pub recipient_foreign_adversary_controlled: bool,
}

/// A transfer's facts for Russia (152-FZ Art. 12 and 18(5)); the `transfer.ru`
/// block of the facts document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RuTransfer {
    /// The day the notice of cross-border transfer was filed with Roskomnadzor (Art. 12(3)).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub notice_filed: Option<Date>,
    /// Roskomnadzor has prohibited or restricted the transfer (Art. 12(9), 12(12)).
    #[serde(default)]
    pub rkn_restricted: bool,
    /// The data is collected into databases in Russia (Art. 18(5)).
    #[serde(default)]
    pub collected_into_russian_databases: bool,
    /// The Art. 6(1) item that exempts the data from Art. 18(5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localisation_exception: Option<RuLocalisationException>,
}

impl Dataset {
    /// A field's grade: the stricter of its own and its dataset's (a field inherits its
    /// dataset's grade and cannot grade itself below it), with the source that set it.
    pub fn grade_of<'a>(&'a self, f: &'a Field) -> Option<(DataGrade, Option<&'a str>)> {
        let own = f.grade.map(|g| (g, f.grade_source.as_deref()));
        let inherited = self.grade.map(|g| (g, self.grade_source.as_deref()));
        match (own, inherited) {
            // `DataGrade` orders core < important < general: the smaller is the stricter.
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

impl Transfer {
    /// The transform the gate applies to field `field` of dataset
    /// `dataset`: the first rule naming that dataset or `*` and the field.
    pub fn transform_of(&self, dataset: &str, field: &str) -> Option<Transform> {
        self.gate
            .transforms
            .iter()
            .find(|(r, _)| r.field == field && (r.dataset == "*" || r.dataset == dataset))
            .map(|(_, t)| *t)
    }
}

impl DataMap {
    /// The exporter with this id.
    pub fn exporter(&self, id: &str) -> Option<&Exporter> {
        self.exporters.iter().find(|e| e.id == id)
    }
    /// The recipient with this id.
    pub fn recipient(&self, id: &str) -> Option<&Recipient> {
        self.recipients.iter().find(|e| e.id == id)
    }
    /// The dataset with this id.
    pub fn dataset(&self, id: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|e| e.id == id)
    }
    /// The transfer with this id.
    pub fn transfer(&self, id: &str) -> Option<&Transfer> {
        self.transfers.iter().find(|e| e.id == id)
    }
    /// The fields a transfer sends, resolved (`dataset.*` expanded).
    pub fn transfer_fields<'a>(&'a self, t: &'a Transfer) -> impl Iterator<Item = &'a Field> + 'a {
        self.transfer_dataset_fields(t).map(|(_, f)| f)
    }

    /// The same, each with the dataset it belongs to.
    pub fn transfer_dataset_fields<'a>(
        &'a self,
        t: &'a Transfer,
    ) -> impl Iterator<Item = (&'a Dataset, &'a Field)> + 'a {
        t.fields.iter().flat_map(move |r| {
            self.dataset(&r.dataset).into_iter().flat_map(move |d| {
                d.fields
                    .iter()
                    .filter(move |f| r.field == "*" || f.name == r.field)
                    .map(move |f| (d, f))
            })
        })
    }
}

/// A count: a non-negative integer up to `limits::max_individuals`, or digits
/// grouped by `_` or `,` as people write them.
pub(crate) fn count_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": crate::limits::max_individuals()},
            {"type": "string", "pattern": "^[0-9]{1,3}([_,][0-9]{3})*$|^[0-9]+$"}
        ]
    })
}

/// An optional count.
pub(crate) fn opt_count_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut s = count_schema(g);
    if let Some(any) = s.get_mut("anyOf").and_then(|v| v.as_array_mut()) {
        any.push(serde_json::json!({"type": "null"}));
    }
    s
}

/// A duration such as `3 years`, `18 months`, `90 days`.
pub(crate) fn duration_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": "^[0-9]+ ?(d|day|days|w|week|weeks|m|month|months|y|year|years)$"
    })
}
