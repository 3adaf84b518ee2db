//! EU: GDPR Chapter V (Art. 44–49), from 2018-05-25.
//!
//! Route order follows the Regulation: an adequacy decision (Art. 45) makes
//! further safeguards unnecessary; otherwise appropriate safeguards (Art. 46);
//! only without both may a derogation (Art. 49) be relied on.

use jiff::civil::{Date, date};
use outbound_model::{Derogation, MechanismKind};

use super::{InstrumentInfo, Regime, RegimeInfo, ThresholdInfo};
use crate::data::eu;
use crate::determination::{Determination, Obligation, Reason, RuleError};
use crate::facts::Facts;

/// The EU regime.
pub struct Eu;

const GDPR: &str = "General Data Protection Regulation (EU) 2016/679, Chapter V";
const GDPR_IN_FORCE: Date = date(2018, 5, 25);

fn derogation_citation(d: Derogation) -> &'static str {
    match d {
        Derogation::ExplicitConsent => "GDPR Art. 49(1)(a)",
        Derogation::Contract => "GDPR Art. 49(1)(b)-(c)",
        Derogation::PublicInterest => "GDPR Art. 49(1)(d)",
        Derogation::LegalClaims => "GDPR Art. 49(1)(e)",
        Derogation::VitalInterests => "GDPR Art. 49(1)(f)",
        Derogation::PublicRegister => "GDPR Art. 49(1)(g)",
        Derogation::CompellingLegitimateInterests => "GDPR Art. 49(1) second subparagraph",
    }
}

impl Regime for Eu {
    fn id(&self) -> &'static str {
        "EU"
    }

    fn applies(&self, f: &Facts) -> bool {
        let eu = eu();
        eu.in_eea(&f.exporter.country) && !eu.in_eea(&f.transfer.recipient_country)
    }

    fn evaluate(&self, f: &Facts) -> Result<Determination, RuleError> {
        if f.as_of < GDPR_IN_FORCE {
            return Err(RuleError {
                regime: "EU",
                message: format!(
                    "the GDPR applies from {GDPR_IN_FORCE}; {} is earlier",
                    f.as_of
                ),
            });
        }
        let t = &f.transfer;
        let mut reasons = Vec::new();
        let mut obligations = vec![
            Obligation::new(
                "transparency",
                "GDPR Art. 13(1)(f), 14(1)(f)",
                None,
                "tell individuals of the transfer and the safeguard relied on, and how to obtain a copy",
            ),
            Obligation::new(
                "records_of_processing",
                "GDPR Art. 30(1)(e)",
                None,
                "record the transfer, the third country and, for Art. 49(1) second subparagraph transfers, the safeguards",
            ),
        ];
        if !t.personal_information {
            reasons.push(Reason::new(
                "no personal data: Chapter V does not apply",
                "GDPR Art. 44",
            ));
            return Ok(Determination {
                regime: "EU",
                instrument: GDPR.into(),
                mechanism: "adequacy",
                satisfied: true,
                obligations: vec![],
                reasons,
            });
        }
        let country = &t.recipient_country;
        let name = outbound_model::country::name(country).unwrap_or(country);
        if let Some(d) = eu().adequacy(country, f.as_of) {
            let covered = match d.scope.as_str() {
                "dpf_certified" => t.recipient_dpf_certified,
                _ => true,
            };
            if covered {
                let scope = match d.scope.as_str() {
                    "dpf_certified" => {
                        " for organisations certified under the EU-US Data Privacy Framework; the recipient is certified"
                    }
                    "commercial" => {
                        " for organisations subject to PIPEDA (commercial organisations)"
                    }
                    _ => "",
                };
                reasons.push(Reason::new(
                    format!(
                        "{name} is covered by an adequacy decision{scope} ({}, adopted {})",
                        d.decision, d.adopted
                    ),
                    format!("GDPR Art. 45(1); {}", d.decision),
                ));
                if d.scope == "dpf_certified" {
                    obligations.push(Obligation::new("verify_dpf_certification", d.decision.clone(), None,
                        "check before each transfer that the recipient is active on the Data Privacy Framework List for this type of data"));
                }
                if d.scope == "commercial" {
                    obligations.push(Obligation::new(
                        "verify_adequacy_scope",
                        d.decision.clone(),
                        None,
                        "confirm the recipient is subject to PIPEDA",
                    ));
                }
                return Ok(Determination {
                    regime: "EU",
                    instrument: GDPR.into(),
                    mechanism: "adequacy",
                    satisfied: true,
                    obligations,
                    reasons,
                });
            }
            reasons.push(Reason::new(
                format!("{name}'s adequacy decision covers only organisations certified under the Data Privacy Framework, and the recipient is not certified"),
                format!("GDPR Art. 45(1); {}", d.decision),
            ));
        } else {
            reasons.push(Reason::new(
                format!("no adequacy decision covers {name} on {}", f.as_of),
                "GDPR Art. 45(1)",
            ));
        }
        let has = |m: MechanismKind| t.mechanisms_in_place.contains(&m);
        if has(MechanismKind::Scc) || has(MechanismKind::Bcr) {
            if has(MechanismKind::Scc) {
                reasons.push(Reason::new(
                    "standard contractual clauses (Decision (EU) 2021/914) are in place",
                    "GDPR Art. 46(2)(c)",
                ));
                let tia = t.dates.tia_completed;
                if tia.is_none() {
                    obligations.push(Obligation::new("transfer_impact_assessment", "CJEU C-311/18 (Schrems II); SCC Clause 14; EDPB Recommendations 01/2020", None,
                        "assess whether the law and practice of the destination let the recipient comply with the clauses, and document supplementary measures"));
                }
            }
            if has(MechanismKind::Bcr) {
                reasons.push(Reason::new(
                    "binding corporate rules are in place",
                    "GDPR Art. 46(2)(b), 47",
                ));
            }
            return Ok(Determination {
                regime: "EU",
                instrument: GDPR.into(),
                mechanism: "appropriate_safeguards",
                satisfied: true,
                obligations,
                reasons,
            });
        }
        if let Some(d) = t.derogation {
            let cite = derogation_citation(d);
            reasons.push(Reason::new(format!("no adequacy decision and no appropriate safeguards: the transfer relies on the `{d}` derogation, which must be interpreted restrictively"), cite));
            match d {
                Derogation::ExplicitConsent => obligations.push(Obligation::new("inform_of_risks", "GDPR Art. 49(1)(a)", None,
                    "before consent, inform the individual of the risks of the transfer without an adequacy decision or safeguards")),
                Derogation::CompellingLegitimateInterests => {
                    obligations.push(Obligation::new("notify_authority", "GDPR Art. 49(1) second subparagraph", None,
                        "inform the supervisory authority of the transfer, and the individual of it and the compelling legitimate interests"));
                    obligations.push(Obligation::new("document_assessment", "GDPR Art. 49(6)", None,
                        "document the assessment and the suitable safeguards in the records of processing"));
                }
                _ => {}
            }
            return Ok(Determination {
                regime: "EU",
                instrument: GDPR.into(),
                mechanism: "derogation",
                satisfied: true,
                obligations,
                reasons,
            });
        }
        reasons.push(Reason::new("no standard contractual clauses or binding corporate rules are in place, and no derogation is declared", "GDPR Art. 46(1), 49(1)"));
        obligations.push(Obligation::new("put_safeguards_in_place", "GDPR Art. 46(2)(c); Decision (EU) 2021/914", None,
            "sign standard contractual clauses (choose the module by the parties' roles) and carry out a transfer impact assessment, or stop the transfer"));
        Ok(Determination {
            regime: "EU",
            instrument: GDPR.into(),
            mechanism: "appropriate_safeguards",
            satisfied: false,
            obligations,
            reasons,
        })
    }

    fn info(&self) -> RegimeInfo {
        let eu = eu();
        let mut thresholds: Vec<ThresholdInfo> = eu
            .decisions
            .iter()
            .map(|d| ThresholdInfo {
                text: format!(
                    "adequacy: {}{}",
                    d.name,
                    match d.scope.as_str() {
                        "dpf_certified" => " (DPF-certified recipients only)",
                        "commercial" => " (commercial organisations)",
                        _ => "",
                    }
                ),
                value: format!(
                    "{} to {}",
                    d.adopted,
                    d.valid_until
                        .map_or("open-ended".to_string(), |u| u.to_string())
                ),
                citation: d.decision.clone(),
            })
            .collect();
        thresholds.push(ThresholdInfo {
            text: "EEA countries (transfers among them are not Chapter V transfers)".into(),
            value: eu.eea.join(" "),
            citation: eu.eea_source.clone(),
        });
        RegimeInfo {
            id: "EU",
            name: "European Union: GDPR Chapter V",
            applies_when: "the exporter is established in the EEA and the recipient is outside it",
            mechanisms: &["adequacy", "appropriate_safeguards", "derogation"],
            instruments: vec![
                InstrumentInfo { name: GDPR.into(), in_force: GDPR_IN_FORCE.to_string(), note: "Art. 45 adequacy, Art. 46 safeguards, Art. 49 derogations".into() },
                InstrumentInfo { name: "Standard contractual clauses, Commission Implementing Decision (EU) 2021/914".into(), in_force: "2021-06-27".into(), note: "modules 1 C→C, 2 C→P, 3 P→P, 4 P→C".into() },
            ],
            thresholds,
        }
    }
}
