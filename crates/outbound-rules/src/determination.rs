//! The determination (contract, version 1; see docs/CONTRACTS.md "Determination").

use jiff::civil::Date;
use serde::Serialize;

/// What `outbound evaluate` prints: every regime's determination for one transfer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Id of the transfer judged, as in the facts.
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
    /// The step of reasoning, in a sentence.
    pub text: String,
    /// The article it rests on, e.g. `Provisions Art. 5(4)`.
    pub citation: String,
}

impl Reason {
    /// A reason resting on `citation`.
    pub fn new(text: impl Into<String>, citation: impl Into<String>) -> Reason {
        Reason {
            text: text.into(),
            citation: citation.into(),
        }
    }
}

impl Obligation {
    /// An obligation with its stable id, source article and due date, if any.
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
    /// The regime that cannot judge them (`CN`, `EU`, …).
    pub regime: &'static str,
    /// What is missing or out of range.
    pub message: String,
}
