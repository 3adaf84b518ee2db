//! EU: GDPR Chapter V (Art. 44–49), from 2018-05-25.
//!
//! Route order follows the Regulation: an adequacy decision (Art. 45) makes
//! further safeguards unnecessary; otherwise appropriate safeguards (Art. 46);
//! only without both may a derogation (Art. 49) be relied on.
//!
//! Whether there is a transfer follows the EDPB Guidelines 05/2021 (version
//! 2.0, 14 February 2023): three cumulative criteria — the exporter is subject
//! to the GDPR for the processing (established in the EEA, or under Art. 3(2)),
//! it discloses or makes the data available to another controller or processor,
//! and that importer is in a third country, whether or not the importer is
//! itself subject to the GDPR. So an exporter outside the EEA caught by Art.
//! 3(2) transfers when it sends the data to a recipient outside the EEA, its own
//! country included; sending it into the EEA is no Chapter V transfer.

use std::sync::LazyLock;

use jiff::civil::{Date, date};
use outbound_model::{Derogation, MechanismKind};
use serde::Deserialize;

use super::{InstrumentInfo, Regime, RegimeInfo, ThresholdInfo};
use crate::data::{AdequacyDecision, eu};
use crate::determination::{Determination, Obligation, Reason, RuleError};
use crate::facts::Facts;
use crate::text::{Msg, citation_zh};

/// The EU regime.
pub struct Eu;

const GDPR: &str = "General Data Protection Regulation (EU) 2016/679, Chapter V";
const GDPR_IN_FORCE: Date = date(2018, 5, 25);

/// A date as a Chinese text writes it: `2026年1月26日`.
fn zh_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// Court proceedings against an adequacy decision (`[[challenge]]` in eu-adequacy.toml).
#[derive(Debug, Deserialize)]
struct Challenge {
    decision: String,
    citation: String,
    lodged: Date,
    decided: String,
    text: String,
    text_zh: String,
    #[allow(dead_code)]
    source: String,
    #[allow(dead_code)]
    confirmed: bool,
    #[allow(dead_code)]
    why: String,
}

#[derive(Debug, Deserialize)]
struct ChallengeFile {
    #[serde(default)]
    challenge: Vec<Challenge>,
}

static CHALLENGES: LazyLock<Vec<Challenge>> = LazyLock::new(|| {
    toml::from_str::<ChallengeFile>(include_str!("../../data/eu-adequacy.toml"))
        .map(|f| f.challenge)
        .expect("eu-adequacy.toml's challenges are valid (tested)")
});

/// The proceeding pending against `decision` on `on`, if any.
fn pending_challenge(decision: &str, on: Date) -> Option<&'static Challenge> {
    CHALLENGES.iter().find(|c| {
        c.decision == decision
            && c.lodged <= on
            && (c.decided.is_empty() || c.decided.parse::<Date>().is_ok_and(|d| on < d))
    })
}

/// The country's name in both languages (the code itself when unknown).
fn with_country(msg: Msg, name: &'static str, code: &str) -> Msg {
    let en = outbound_model::country::name(code)
        .unwrap_or(code)
        .to_string();
    let zh = outbound_model::country::name_zh(code)
        .unwrap_or(code)
        .to_string();
    msg.arg2(name, en, zh)
}

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

/// How a Chinese text names each derogation of Art. 49(1).
fn derogation_zh(d: Derogation) -> &'static str {
    match d {
        Derogation::ExplicitConsent => "数据主体明确同意",
        Derogation::Contract => "履行合同所必需",
        Derogation::PublicInterest => "重要公共利益所必需",
        Derogation::LegalClaims => "确立、行使或者抗辩法律主张所必需",
        Derogation::VitalInterests => "保护重大利益所必需",
        Derogation::PublicRegister => "自公共登记簿传输",
        Derogation::CompellingLegitimateInterests => "重大正当利益",
    }
}

/// The reason for an adequacy decision relied on, with its scope.
fn adequacy_reason(d: &AdequacyDecision, country: &str) -> Reason {
    let (en, zh) = match d.scope.as_str() {
        "dpf_certified" => (
            " for organisations certified under the EU-US Data Privacy Framework; the recipient is certified",
            "；该决定仅覆盖经欧盟—美国数据隐私框架认证的组织，接收方已获认证",
        ),
        "commercial" => (
            " for organisations subject to PIPEDA (commercial organisations)",
            "；该决定仅覆盖受加拿大《个人信息保护和电子文件法》（PIPEDA）约束的组织（商业机构）",
        ),
        _ => ("", ""),
    };
    let msg = with_country(Msg::new("eu.adequacy"), "country", country)
        .arg2("scope", en, zh)
        .arg2("decision", d.decision.clone(), citation_zh(&d.decision))
        .arg2("adopted", d.adopted.to_string(), zh_date(d.adopted));
    Reason::of(msg, format!("GDPR Art. 45(1); {}", d.decision))
}

impl Regime for Eu {
    fn id(&self) -> &'static str {
        "EU"
    }

    /// The exporter is subject to the GDPR (established in the EEA, or under Art.
    /// 3(2)) and the recipient is outside the EEA.
    fn applies(&self, f: &Facts) -> bool {
        let eu = eu();
        (eu.in_eea(&f.exporter.country) || f.exporter.gdpr_applies)
            && !eu.in_eea(&f.transfer.recipient_country)
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
            Obligation::of(
                "transparency",
                "GDPR Art. 13(1)(f), 14(1)(f)",
                None,
                Msg::new("eu.transparency"),
            ),
            Obligation::of(
                "records_of_processing",
                "GDPR Art. 30(1)(e)",
                None,
                Msg::new("eu.records_of_processing"),
            ),
        ];
        if !t.personal_information {
            reasons.push(Reason::of(Msg::new("eu.no_personal_data"), "GDPR Art. 44"));
            return Ok(Determination {
                regime: "EU",
                instrument: GDPR.into(),
                mechanism: "adequacy",
                satisfied: true,
                obligations: vec![],
                reasons,
            });
        }
        let country = t.recipient_country.as_str();
        if !eu().in_eea(&f.exporter.country) {
            // GDPR Art. 3(2): the EDPB's three criteria make this a transfer.
            let msg = with_country(
                Msg::new("eu.art3_2_transfer"),
                "exporter_country",
                &f.exporter.country,
            );
            let msg = with_country(msg, "country", country);
            let msg = if f.exporter.country == country {
                msg.arg2(
                    "own",
                    " — the exporter's own country: the importer need only be in a third country",
                    "（即数据输出方本国；只要接收方位于第三国即满足该要件）",
                )
            } else {
                msg.arg("own", "")
            };
            reasons.push(Reason::of(
                msg,
                "GDPR Art. 3(2), 44; EDPB Guidelines 05/2021",
            ));
        }
        if let Some(d) = eu().adequacy(country, f.as_of) {
            let covered = match d.scope.as_str() {
                "dpf_certified" => t.recipient_dpf_certified,
                _ => true,
            };
            if covered {
                reasons.push(adequacy_reason(d, country));
                if d.scope == "dpf_certified" {
                    obligations.push(Obligation::of(
                        "verify_dpf_certification",
                        d.decision.clone(),
                        None,
                        Msg::new("eu.verify_dpf_certification"),
                    ));
                }
                if d.scope == "commercial" {
                    obligations.push(Obligation::of(
                        "verify_adequacy_scope",
                        d.decision.clone(),
                        None,
                        Msg::new("eu.verify_adequacy_scope"),
                    ));
                }
                if let Some(c) = pending_challenge(&d.decision, f.as_of) {
                    reasons.push(Reason::of(
                        Msg::new("eu.adequacy_challenged")
                            .arg2("decision", d.decision.clone(), citation_zh(&d.decision))
                            .arg2("challenge", c.text.clone(), c.text_zh.clone()),
                        format!("{}; {}", d.decision, c.citation),
                    ));
                    let id = if d.scope == "dpf_certified" {
                        "dpf_challenge_pending"
                    } else {
                        "adequacy_challenge_pending"
                    };
                    obligations.push(Obligation::of(
                        id,
                        c.citation.clone(),
                        None,
                        Msg::new("eu.adequacy_fallback").arg2(
                            "case",
                            c.citation.clone(),
                            citation_zh(&c.citation),
                        ),
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
            reasons.push(Reason::of(
                with_country(
                    Msg::new("eu.adequacy_dpf_not_certified"),
                    "country",
                    country,
                ),
                format!("GDPR Art. 45(1); {}", d.decision),
            ));
        } else {
            reasons.push(Reason::of(
                with_country(Msg::new("eu.no_adequacy"), "country", country).arg2(
                    "date",
                    f.as_of.to_string(),
                    zh_date(f.as_of),
                ),
                "GDPR Art. 45(1)",
            ));
        }
        let has = |m: MechanismKind| t.mechanisms_in_place.contains(&m);
        if has(MechanismKind::Scc) || has(MechanismKind::Bcr) {
            if has(MechanismKind::Scc) {
                reasons.push(Reason::of(
                    Msg::new("eu.scc_in_place"),
                    "GDPR Art. 46(2)(c)",
                ));
                if t.dates.tia_completed.is_none() {
                    obligations.push(Obligation::of(
                        "transfer_impact_assessment",
                        "CJEU C-311/18 (Schrems II); SCC Clause 14; EDPB Recommendations 01/2020",
                        None,
                        Msg::new("eu.transfer_impact_assessment"),
                    ));
                }
            }
            if has(MechanismKind::Bcr) {
                reasons.push(Reason::of(
                    Msg::new("eu.bcr_in_place"),
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
            reasons.push(Reason::of(
                Msg::new("eu.derogation").arg2("derogation", d.to_string(), derogation_zh(d)),
                derogation_citation(d),
            ));
            match d {
                Derogation::ExplicitConsent => obligations.push(Obligation::of(
                    "inform_of_risks",
                    "GDPR Art. 49(1)(a)",
                    None,
                    Msg::new("eu.inform_of_risks"),
                )),
                Derogation::CompellingLegitimateInterests => {
                    obligations.push(Obligation::of(
                        "notify_authority",
                        "GDPR Art. 49(1) second subparagraph",
                        None,
                        Msg::new("eu.notify_authority"),
                    ));
                    obligations.push(Obligation::of(
                        "document_assessment",
                        "GDPR Art. 49(6)",
                        None,
                        Msg::new("eu.document_assessment"),
                    ));
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
        reasons.push(Reason::of(
            Msg::new("eu.no_safeguards"),
            "GDPR Art. 46(1), 49(1)",
        ));
        obligations.push(Obligation::of(
            "put_safeguards_in_place",
            "GDPR Art. 46(2)(c); Decision (EU) 2021/914",
            None,
            Msg::new("eu.put_safeguards_in_place"),
        ));
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
            applies_when: "the exporter is established in the EEA, or is subject to the GDPR under Art. 3(2), and the recipient is outside the EEA",
            mechanisms: &["adequacy", "appropriate_safeguards", "derogation"],
            instruments: vec![
                InstrumentInfo { name: GDPR.into(), in_force: GDPR_IN_FORCE.to_string(), note: "Art. 45 adequacy, Art. 46 safeguards, Art. 49 derogations".into() },
                InstrumentInfo { name: "Standard contractual clauses, Commission Implementing Decision (EU) 2021/914".into(), in_force: "2021-06-27".into(), note: "modules 1 C→C, 2 C→P, 3 P→P, 4 P→C".into() },
            ],
            thresholds,
        }
    }
}
