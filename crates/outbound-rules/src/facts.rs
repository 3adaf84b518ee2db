//! The facts document (contract, version 1; see docs/CONTRACTS.md "Facts document").
//!
//! Facts are plain JSON so anyone can test the rules without a data map. Fields
//! beyond version 1 are optional, so version 1 documents keep working.

use jiff::civil::Date;
use outbound_model::{
    Derogation, LegalBasis, MechanismKind, Necessity, Origin, RuLocalisationException,
    SensitiveClass, UsExemption, UsTransaction,
};
use serde::{Deserialize, Serialize};

/// One facts document: a transfer, its exporter and the cumulative counts, as of a date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Optional format version; only 1 exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The date the transfer is judged at; chooses the instruments in force.
    pub as_of: Date,
    /// The exporting entity.
    pub exporter: ExporterFacts,
    /// The transfer.
    pub transfer: TransferFacts,
    /// Distinct individuals exported by the exporter, including this transfer.
    pub cumulative: Cumulative,
}

/// Facts about the exporter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExporterFacts {
    /// Exporter id.
    pub id: String,
    /// ISO 3166-1 alpha-2 country of establishment.
    pub country: String,
    /// Critical information infrastructure operator.
    pub ciio: bool,
    /// Individuals whose PI the exporter processes.
    pub individuals_processed: u64,
    /// Pilot free trade zone, or null.
    pub free_trade_zone: Option<String>,
    /// EU: GDPR Art. 3(2) applies to an exporter outside the EEA (it offers
    /// goods or services to, or monitors, people in the EU).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gdpr_applies: bool,
    /// US: the exporter is a U.S. person (28 CFR 202.256); default: its country is `US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us_person: Option<bool>,
}

/// Whether a transfer's individuals count towards China's cumulative thresholds:
/// personal information collected in China, not exempted by a free trade zone's
/// negative list. Data outside the regime (Provisions Art. 3, 4 and 6) is recorded,
/// not counted. The one statement of that rule; the map and the facts both ask it.
pub fn counts_towards_thresholds(personal: bool, origin: Origin, outside_ftz: bool) -> bool {
    personal && origin == Origin::Domestic && !outside_ftz
}

impl Facts {
    /// [`counts_towards_thresholds`] for these facts.
    pub fn counts_towards_thresholds(&self) -> bool {
        let t = &self.transfer;
        counts_towards_thresholds(
            t.personal_information,
            t.origin,
            self.exporter.free_trade_zone.is_some() && t.outside_ftz_negative_list,
        )
    }
}

impl ExporterFacts {
    /// Whether the exporter is a U.S. person: as declared, else by its country.
    pub fn is_us_person(&self) -> bool {
        self.us_person.unwrap_or(self.country == "US")
    }
}

/// Facts about the transfer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferFacts {
    /// Transfer id.
    pub id: String,
    /// ISO 3166-1 alpha-2 country of the recipient.
    pub recipient_country: String,
    /// `domestic` or `foreign_transit`.
    pub origin: Origin,
    /// The data includes personal information.
    pub personal_information: bool,
    /// The data includes important data notified or published as such.
    pub important_data: bool,
    /// The necessity ground.
    pub necessity: Necessity,
    /// PIPL Art. 28 classes present.
    pub sensitive_categories: Vec<SensitiveClass>,
    /// Individuals whose PI is in the transfer.
    pub individuals: u64,
    /// Individuals whose sensitive PI is in the transfer.
    pub sensitive_individuals: u64,
    /// Mechanisms in place.
    pub mechanisms_in_place: Vec<MechanismKind>,
    /// EU: the US recipient is certified under the EU-US Data Privacy Framework.
    #[serde(default)]
    pub recipient_dpf_certified: bool,
    /// EU: the Art. 49 derogation relied on.
    #[serde(default)]
    pub derogation: Option<Derogation>,
    /// China: the exporter is in a free trade zone and the data is outside its negative list (Provisions Art. 6).
    #[serde(default)]
    pub outside_ftz_negative_list: bool,
    /// The legal basis; when absent, consent is assumed where necessity is `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<LegalBasis>,
    /// Dates of mechanisms and assessments, for due dates.
    #[serde(default, skip_serializing_if = "Dates::is_empty")]
    pub dates: Dates,
    /// China: the data goes to a foreign judicial or law-enforcement authority
    /// (PIPL Art. 41, DSL Art. 36).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub foreign_authority_request: bool,
    /// US: what 28 CFR Part 202 and PADFA need to judge the transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us: Option<UsFacts>,
    /// Russia: what 152-FZ Art. 12 and 18(5) need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ru: Option<RuFacts>,
}

/// US facts (DESIGN.md "More regimes on the same contract", `transfer.us`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsFacts {
    /// The recipient is a country of concern or a covered person (§202.211).
    #[serde(default)]
    pub recipient_covered_person: bool,
    /// The kind of transaction.
    #[serde(default = "no_transaction")]
    pub transaction: UsTransaction,
    /// U.S. persons (devices for geolocation) whose data of each kind went to
    /// this counterparty in the preceding 12 months, this transfer included.
    #[serde(default)]
    pub bulk_12_months: UsBulk,
    /// The counts of `bulk_12_months` came from a ledger that stops counting
    /// at one past the largest threshold (`UsData::bulk_count_enough`): a
    /// count that reaches it means at least that many.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bulk_at_least: bool,
    /// Government-related data (§202.222): no threshold.
    #[serde(default)]
    pub government_related: bool,
    /// The exemption of §§202.501–511 relied on.
    #[serde(default)]
    pub exemption: Option<UsExemption>,
    /// A data-brokerage contract with a foreign person that is not a covered
    /// person bars onward brokerage to countries of concern (§202.302).
    #[serde(default)]
    pub onward_transfer_clause: bool,
    /// PADFA: the exporter is a data broker.
    #[serde(default)]
    pub data_broker: bool,
    /// PADFA: the recipient is controlled by a foreign adversary.
    #[serde(default)]
    pub recipient_foreign_adversary_controlled: bool,
}

fn no_transaction() -> UsTransaction {
    UsTransaction::None
}

/// U.S. persons per kind of sensitive personal data, over 12 months (§202.205).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct UsBulk {
    #[serde(default)]
    pub human_genomic: u64,
    #[serde(default)]
    pub human_omic: u64,
    #[serde(default)]
    pub biometric: u64,
    #[serde(default)]
    pub precise_geolocation_devices: u64,
    #[serde(default)]
    pub health: u64,
    #[serde(default)]
    pub financial: u64,
    #[serde(default)]
    pub covered_identifiers: u64,
}

/// Russian facts (`transfer.ru`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuFacts {
    /// The day the notice of cross-border transfer was filed with Roskomnadzor.
    #[serde(default)]
    pub notice_filed: Option<Date>,
    /// Roskomnadzor has restricted or prohibited the transfer.
    #[serde(default)]
    pub rkn_restricted: bool,
    /// The data was collected into databases in Russia (Art. 18(5)).
    #[serde(default)]
    pub collected_into_russian_databases: bool,
    /// The Art. 6(1) item exempting the data from Art. 18(5).
    #[serde(default)]
    pub localisation_exception: Option<RuLocalisationException>,
}

/// Dates that turn obligations into deadlines. All optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dates {
    /// Standard contract takes effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_effective: Option<Date>,
    /// Standard contract filed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_filed: Option<Date>,
    /// Impact assessment completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipia_completed: Option<Date>,
    /// Security assessment approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_approved: Option<Date>,
    /// Security assessment expires (computed from approval when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_expires: Option<Date>,
    /// Certification expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certification_expires: Option<Date>,
    /// SCC transfer impact assessment completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tia_completed: Option<Date>,
}

impl Dates {
    fn is_empty(&self) -> bool {
        *self == Dates::default()
    }
}

/// Counts per window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cumulative {
    /// From 1 January of the facts' year.
    pub current_year: Counts,
    /// From 1 January of the previous year (the 2022–2023 instruments' window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_and_current_year: Option<Counts>,
}

/// Distinct individuals, all and sensitive: one type for the facts, the ledger and the gate.
pub use outbound_model::Counts;

/// A facts document that could not be read, with the field at fault.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}:{line}:{column}: {field}: {message}")]
pub struct FactsError {
    /// The file name as given (`-` for stdin).
    pub source_name: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// Dotted path of the field, `.` for the document.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl Facts {
    /// Parses and checks a facts document.
    pub fn from_json(source_name: &str, text: &str) -> Result<Facts, FactsError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let facts: Facts = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            FactsError {
                source_name: source_name.into(),
                line: inner.line(),
                column: inner.column(),
                field: if path.is_empty() { ".".into() } else { path },
                message: explain(&inner.to_string()),
            }
        })?;
        // One document: text after it is a second document or a paste gone wrong.
        de.end().map_err(|e| FactsError {
            source_name: source_name.into(),
            line: e.line(),
            column: e.column(),
            field: ".".into(),
            message: "unexpected text after the facts document; a file holds one JSON object"
                .into(),
        })?;
        facts.check(source_name, text)?;
        Ok(facts)
    }

    /// Checks what the types cannot: country codes, counts that contradict each other.
    fn check(&self, source_name: &str, text: &str) -> Result<(), FactsError> {
        let err = |field: &str, _key: &str, message: String| {
            let (line, column) = locate_path(text, field);
            FactsError {
                source_name: source_name.into(),
                line,
                column,
                field: field.into(),
                message,
            }
        };
        if let Some(v) = self.version
            && v != 1
        {
            return Err(err(
                "version",
                "\"version\"",
                format!("facts version {v} is not supported; this Outbound reads version 1"),
            ));
        }
        for (field, key, code) in [
            ("exporter.country", "\"country\"", &self.exporter.country),
            (
                "transfer.recipient_country",
                "\"recipient_country\"",
                &self.transfer.recipient_country,
            ),
        ] {
            if outbound_model::country::name(code).is_none() {
                return Err(err(
                    field,
                    key,
                    format!("`{code}` is not an ISO 3166-1 alpha-2 country code"),
                ));
            }
        }
        let max = outbound_model::limits::max_individuals();
        let mut counts = vec![
            (
                "exporter.individuals_processed",
                self.exporter.individuals_processed,
            ),
            ("transfer.individuals", self.transfer.individuals),
            (
                "transfer.sensitive_individuals",
                self.transfer.sensitive_individuals,
            ),
        ];
        let windows = [
            (
                "cumulative.current_year",
                Some(&self.cumulative.current_year),
            ),
            (
                "cumulative.previous_and_current_year",
                self.cumulative.previous_and_current_year.as_ref(),
            ),
        ];
        let named: Vec<(String, u64)> = windows
            .iter()
            .filter_map(|(w, c)| c.map(|c| (w, c)))
            .flat_map(|(w, c)| {
                [
                    (format!("{w}.individuals"), c.individuals),
                    (
                        format!("{w}.sensitive_individuals"),
                        c.sensitive_individuals,
                    ),
                ]
            })
            .collect();
        counts.extend(named.iter().map(|(f, v)| (f.as_str(), *v)));
        if let Some((field, v)) = counts.into_iter().find(|(_, v)| *v > max) {
            return Err(err(
                field,
                "",
                format!(
                    "{v} individuals is more than the {max} Outbound accepts, more people than exist"
                ),
            ));
        }
        let t = &self.transfer;
        if t.sensitive_individuals > t.individuals {
            return Err(err(
                "transfer.sensitive_individuals",
                "\"sensitive_individuals\"",
                format!(
                    "{} sensitive individuals exceed the {} individuals in the transfer",
                    t.sensitive_individuals, t.individuals
                ),
            ));
        }
        let c = &self.cumulative.current_year;
        if c.sensitive_individuals > c.individuals {
            return Err(err(
                "cumulative.current_year.sensitive_individuals",
                "\"current_year\"",
                format!(
                    "{} sensitive individuals exceed the {} individuals",
                    c.sensitive_individuals, c.individuals
                ),
            ));
        }
        if let Some(p) = &self.cumulative.previous_and_current_year
            && p.individuals < c.individuals
        {
            return Err(err(
                "cumulative.previous_and_current_year.individuals",
                "\"previous_and_current_year\"",
                format!(
                    "{} is less than the current year's {}, which it includes",
                    p.individuals, c.individuals
                ),
            ));
        }
        Ok(())
    }
}

/// Line and column of a dotted field path (`transfer.sensitive_individuals`), for errors
/// found after parsing: each key is searched for after its parent's key, so a key that
/// also appears under another object is not mistaken for it.
fn locate_path(text: &str, path: &str) -> (usize, usize) {
    let mut pos = 0;
    for seg in path.split('.') {
        match text[pos..].find(&format!("\"{seg}\"")) {
            Some(i) => pos += i,
            None => break,
        }
    }
    if pos == 0 && !text.starts_with('"') {
        return (0, 0);
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, column)
}

/// What each facts field means, for "missing field" messages (docs/CONTRACTS.md asks for both).
const MEANINGS: &[(&str, &str)] = &[
    ("as_of", "the date the transfer is judged at, YYYY-MM-DD"),
    (
        "exporter",
        "the exporting entity: id, country, ciio, individuals_processed, free_trade_zone",
    ),
    (
        "transfer",
        "the transfer: id, recipient_country, origin, personal_information, important_data, necessity, sensitive_categories, individuals, sensitive_individuals, mechanisms_in_place",
    ),
    (
        "cumulative",
        "distinct individuals exported by the exporter including this transfer: current_year (and previous_and_current_year before 2024-03-22)",
    ),
    ("id", "the identifier"),
    ("country", "the exporter's ISO 3166-1 alpha-2 country"),
    (
        "ciio",
        "whether the exporter is a critical information infrastructure operator (true/false)",
    ),
    (
        "individuals_processed",
        "how many individuals' personal information the exporter processes",
    ),
    (
        "free_trade_zone",
        "the pilot free trade zone the exporter is in, or null",
    ),
    (
        "recipient_country",
        "the recipient's ISO 3166-1 alpha-2 country",
    ),
    ("origin", "`domestic` or `foreign_transit`"),
    (
        "personal_information",
        "whether the data includes personal information (true/false)",
    ),
    (
        "important_data",
        "whether the data includes important data notified or published as such (true/false)",
    ),
    (
        "necessity",
        "none, contract_with_individual, hr_management, emergency or statutory_duty",
    ),
    (
        "sensitive_categories",
        "the PIPL Art. 28 classes present, [] for none",
    ),
    (
        "individuals",
        "the number of individuals whose personal information is included",
    ),
    (
        "sensitive_individuals",
        "the number of individuals whose sensitive personal information is included",
    ),
    (
        "mechanisms_in_place",
        "mechanisms in place: standard_contract, certification, security_assessment, scc, bcr; [] for none",
    ),
    (
        "current_year",
        "counts since 1 January of the facts' year: {individuals, sensitive_individuals}",
    ),
];

/// Rewrites serde's messages into a user's terms, dropping its own position suffix.
fn explain(msg: &str) -> String {
    let msg = match msg.find(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    if msg.starts_with("invalid value: integer `-") {
        return format!("{msg}: counts cannot be negative");
    }
    if let Some(rest) = msg.strip_prefix("missing field `")
        && let Some(name) = rest.strip_suffix('`')
        && let Some((_, meaning)) = MEANINGS.iter().find(|(k, _)| *k == name)
    {
        return format!("{msg}: {meaning}");
    }
    msg.replace("invalid type", "wrong type").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_after_parsing_point_at_the_right_key() {
        // `sensitive_individuals` appears under `cumulative` first; the error is about the transfer's.
        let text = r#"{"as_of": "2026-11-23",
 "cumulative": {"current_year": {"individuals": 60000, "sensitive_individuals": 0}},
 "exporter": {"id": "a", "country": "CN", "ciio": false, "individuals_processed": 1, "free_trade_zone": null},
 "transfer": {"id": "t", "recipient_country": "US", "origin": "domestic", "personal_information": true,
   "important_data": false, "necessity": "none", "sensitive_categories": [], "individuals": 50000,
   "sensitive_individuals": 60000, "mechanisms_in_place": []}}"#;
        let e = Facts::from_json("r.json", text).unwrap_err();
        assert_eq!(e.field, "transfer.sensitive_individuals");
        assert_eq!((e.line, e.column), (6, 4));
    }

    #[test]
    fn missing_field_says_what_it_means() {
        let e = Facts::from_json("f.json", r#"{"as_of": "2026-11-23"}"#).unwrap_err();
        assert!(
            e.message
                .contains("missing field `exporter`: the exporting entity"),
            "{}",
            e.message
        );
    }
}
