//! The determination (contract, version 1; see docs/CONTRACTS.md "Determination").

use jiff::civil::Date;
use serde::Serialize;

use crate::text::{Cite, Msg, citation_zh, cites};

/// What `outbound evaluate` prints: every regime's determination for one transfer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Id of the transfer judged, as in the facts.
    pub transfer: String,
    /// One per regime that judges the transfer.
    pub determinations: Vec<Determination>,
    /// Pairs of regimes whose demands cannot both be met as declared.
    pub conflicts: Vec<crate::conflicts::Conflict>,
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
    /// A short label (`filing with the provincial CAC`).
    pub label: String,
    /// The label in Chinese.
    pub label_zh: String,
    /// The article it comes from, e.g. `PIPL Art. 39`.
    pub citation: String,
    /// When it is due (or, for retention, until when), if a date applies.
    pub due: Option<Date>,
    /// What to do, in a sentence.
    pub text: String,
    /// The same in Chinese.
    pub text_zh: String,
    /// The citation as a Chinese reader expects it (`《个人信息保护法》第39条`).
    pub citation_zh: String,
    /// The citation, provision by provision.
    pub cites: Vec<Cite>,
}

/// One reason, with its citation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable identifier of the step of reasoning (`cn.threshold_reached`),
    /// the key of its sentence in `data/text/`.
    pub id: &'static str,
    /// The step of reasoning, in a sentence.
    pub text: String,
    /// The article it rests on, e.g. `Provisions Art. 5(4)`.
    pub citation: String,
    /// The sentence in Chinese.
    pub text_zh: String,
    /// The citation in Chinese.
    pub citation_zh: String,
    /// The citation, provision by provision.
    pub cites: Vec<Cite>,
}

impl Reason {
    /// A reason from a message of `data/text/`, resting on `citation`.
    pub fn of(msg: Msg, citation: impl Into<String>) -> Reason {
        let t = msg.render();
        let citation = citation.into();
        Reason {
            id: msg.id(),
            text: t.en,
            text_zh: t.zh,
            citation_zh: citation_zh(&citation),
            cites: cites(&citation),
            citation,
        }
    }
}

impl Obligation {
    /// An obligation with its stable id, source article, due date if any, and
    /// its sentence from `data/text/`.
    pub fn of(
        id: &'static str,
        citation: impl Into<String>,
        due: Option<Date>,
        msg: Msg,
    ) -> Obligation {
        let t = msg.render();
        let citation = citation.into();
        // The regime is the message's prefix (`cn.filing` → `cn`).
        let regime = msg.id().split('.').next().unwrap_or_default();
        let (label, label_zh) = match crate::text::obligation_label(regime, id) {
            Some(l) => (l.en.clone(), l.zh.clone()),
            None => (id.replace('_', " "), id.replace('_', " ")),
        };
        Obligation {
            id,
            label,
            label_zh,
            citation_zh: citation_zh(&citation),
            cites: cites(&citation),
            citation,
            due,
            text: t.en,
            text_zh: t.zh,
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
