//! The determination (contract, version 1; see DESIGN.md "Determination").

use jiff::civil::Date;
use serde::Serialize;

/// What `outbound evaluate` prints: every regime's determination for one transfer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// The transfer id.
    pub transfer: String,
    /// One per regime that judges the transfer.
    pub determinations: Vec<Determination>,
}

/// One regime's answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Determination {
    /// `CN`, `EU`, …
    pub regime: &'static str,
    /// The instrument that decided the route, by its full name.
    pub instrument: String,
    /// The route required: `exempt`, `standard_contract_or_certification`, `security_assessment`,
    /// `adequacy`, `appropriate_safeguards`, `derogation`.
    pub mechanism: &'static str,
    /// Whether the route required is in place. Open obligations do not change it.
    pub satisfied: bool,
    /// What remains to do, with due dates.
    pub obligations: Vec<Obligation>,
    /// Why, each with the article it rests on.
    pub reasons: Vec<Reason>,
}

/// An obligation that remains.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Obligation {
    /// Stable identifier, e.g. `separate_consent`, `filing`.
    pub id: &'static str,
    /// The article it comes from.
    pub citation: String,
    /// When it is due (or, for retention, until when), if a date applies.
    pub due: Option<Date>,
    /// What to do, in a sentence.
    pub text: String,
}

/// One reason, with its citation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The reasoning.
    pub text: String,
    /// The article.
    pub citation: String,
}

impl Reason {
    /// A reason.
    pub fn new(text: impl Into<String>, citation: impl Into<String>) -> Reason {
        Reason {
            text: text.into(),
            citation: citation.into(),
        }
    }
}

impl Obligation {
    /// An obligation.
    pub fn new(
        id: &'static str,
        citation: impl Into<String>,
        due: Option<Date>,
        text: impl Into<String>,
    ) -> Obligation {
        Obligation {
            id,
            citation: citation.into(),
            due,
            text: text.into(),
        }
    }
}

/// The rules cannot judge these facts (a date before the regime's first instrument …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{regime}: {message}")]
pub struct RuleError {
    /// The regime.
    pub regime: &'static str,
    /// What is missing or out of range.
    pub message: String,
}
