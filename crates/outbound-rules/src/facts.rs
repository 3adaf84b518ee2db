//! The facts document (contract, version 1; see DESIGN.md "Facts document").
//!
//! Facts are plain JSON so anyone can test the rules without a data map. Fields
//! beyond version 1 are optional, so version 1 documents keep working.

use jiff::civil::Date;
use outbound_model::{Derogation, LegalBasis, MechanismKind, Necessity, Origin, SensitiveClass};
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

/// Distinct individuals, all and sensitive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Individuals whose PI was exported.
    pub individuals: u64,
    /// Individuals whose sensitive PI was exported.
    pub sensitive_individuals: u64,
}

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
        let facts: Facts = serde_path_to_error::deserialize(de).map_err(|e| {
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
        facts.check(source_name, text)?;
        Ok(facts)
    }

    /// Checks what the types cannot: country codes, counts that contradict each other.
    fn check(&self, source_name: &str, text: &str) -> Result<(), FactsError> {
        let err = |field: &str, key: &str, message: String| {
            let (line, column) = locate(text, key);
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

/// Line and column of the first occurrence of `needle`, for errors found after parsing.
fn locate(text: &str, needle: &str) -> (usize, usize) {
    match text.find(needle) {
        Some(pos) => {
            let before = &text[..pos];
            let line = before.matches('\n').count() + 1;
            let column = pos - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            (line, column)
        }
        None => (0, 0),
    }
}

/// Rewrites serde's messages into a user's terms, dropping its own position suffix.
fn explain(msg: &str) -> String {
    let msg = match msg.find(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    if msg.starts_with("invalid value: integer `-") {
        return format!("{msg}: counts cannot be negative");
    }
    msg.replace("invalid type", "wrong type").to_string()
}
