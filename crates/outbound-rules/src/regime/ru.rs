//! RU: Federal Law No. 152-FZ on Personal Data — Art. 12 (cross-border
//! transfer) as amended by Federal Law No. 266-FZ, in force 2023-03-01, and
//! Art. 18(5) (localisation).
//!
//! How the law is read (every figure and list is in `data/ru.toml`):
//!
//! - Route. `prohibited` when Roskomnadzor has prohibited or restricted the
//!   transfer (Art. 12(9), 12(12)). Otherwise `notification` when the
//!   recipient's country ensures adequate protection (Art. 12(2): a party to
//!   Convention 108, or on Roskomnadzor's list, Order No. 128), and
//!   `notification_and_wait` when it does not.
//! - The wait. To a country that is not adequate, no transfer until the ten
//!   working days after the notice have expired. Counted as the Civil Code
//!   counts periods (Art. 191: from the day after the notice; Art. 194: the
//!   period runs to the end of its last day), by the Russian production
//!   calendar (`data/ru-calendar/`): the tenth working day is still inside the
//!   period, and the transfer may start on the day after it.
//! - Localisation. Art. 18(5) has required since 2015-09-01 (242-FZ wording)
//!   that Russian citizens' data be recorded, stored and retrieved using
//!   databases in Russia; from 2025-07-01 (23-FZ wording) it forbids doing so
//!   with databases abroad. Both wordings exempt the processing of Art. 6(1)
//!   items 2, 3, 4 and 8, and both make `collected_into_russian_databases` a
//!   condition: the judgement is the same on 2025-06-30 and 2025-07-01, the
//!   provision cited differs. (The 2025 wording also rules out collecting in
//!   parallel into a foreign database first, which the facts do not model.)
//! - Before 2023-03-01 the regime decides nothing: an error says so.

use std::sync::LazyLock;

use jiff::civil::Date;
use outbound_model::{RuLocalisationException, Transfer};
use serde::Deserialize;

use super::{InstrumentInfo, Regime, RegimeInfo, ThresholdInfo};
use crate::calendar::WorkingCalendar;
use crate::determination::{Determination, Obligation, Reason, RuleError};
use crate::facts::{Facts, RuFacts};
use crate::text::Msg;

/// The RU regime.
pub struct RegimeRU;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuData {
    instrument: Vec<Instrument>,
    notice: Provision,
    assessment: Provision,
    waiting: Waiting,
    restriction: Provision,
    incident: Incident,
    exception: Vec<Exception>,
    convention_108: Convention,
    rkn_list: RknList,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // `source` and `confirmed` are for readers and tests.
struct Instrument {
    id: String,
    name: String,
    short: String,
    in_force: Date,
    note: String,
    source: String,
    confirmed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Provision {
    citation: String,
    source: String,
    confirmed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Waiting {
    working_days: i32,
    citation: String,
    counting_citation: String,
    source: String,
    confirmed: bool,
    part_confirmed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Incident {
    first_hours: u32,
    second_hours: u32,
    citation: String,
    source: String,
    confirmed: bool,
    part_confirmed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Exception {
    id: String,
    citation: String,
    en: String,
    zh: String,
    confirmed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Convention {
    citation: String,
    source: String,
    parties: Vec<Party>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Party {
    country: String,
    /// Entry into force for it; absent when not confirmed (all such parties joined before 2023).
    since: Option<Date>,
    confirmed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RknList {
    citation: String,
    name: String,
    in_force: Date,
    source: String,
    complete: bool,
    countries: Vec<Listed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Listed {
    country: String,
    confirmed: bool,
}

static DATA: LazyLock<Result<RuData, String>> = LazyLock::new(|| {
    toml::from_str(include_str!("../../data/ru.toml")).map_err(|e| format!("data/ru.toml: {e}"))
});

fn data() -> Result<&'static RuData, RuleError> {
    DATA.as_ref().map_err(|e| RuleError {
        regime: "RU",
        message: e.clone(),
    })
}

impl RuData {
    fn instrument(&self, id: &str) -> Result<&Instrument, RuleError> {
        self.instrument
            .iter()
            .find(|i| i.id == id)
            .ok_or_else(|| RuleError {
                regime: "RU",
                message: format!("data/ru.toml has no instrument `{id}`"),
            })
    }

    fn exception(&self, e: RuLocalisationException) -> Result<&Exception, RuleError> {
        self.exception
            .iter()
            .find(|x| x.id == e.as_str())
            .ok_or_else(|| RuleError {
                regime: "RU",
                message: format!("data/ru.toml has no Art. 6(1) item `{e}`"),
            })
    }

    fn adequacy(&self, country: &str, as_of: Date) -> Adequacy {
        if self
            .convention_108
            .parties
            .iter()
            .any(|p| p.country == country && p.since.is_none_or(|s| s <= as_of))
        {
            return Adequacy::Convention;
        }
        match self
            .rkn_list
            .countries
            .iter()
            .find(|c| c.country == country)
        {
            Some(c) if as_of >= self.rkn_list.in_force => {
                if c.confirmed {
                    Adequacy::List
                } else {
                    Adequacy::Unconfirmed
                }
            }
            _ => Adequacy::No,
        }
    }
}

/// How the recipient's country stands under Art. 12(2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Adequacy {
    /// A party to Convention 108.
    Convention,
    /// On Roskomnadzor's list.
    List,
    /// Proposed for the list; its place on the adopted list not confirmed: treated as not adequate.
    Unconfirmed,
    /// Neither.
    No,
}

/// The `ru` facts of a map transfer (the `ru:` block of the data map).
pub fn facts_for_transfer(t: &Transfer) -> Option<RuFacts> {
    t.ru.as_ref().map(|r| RuFacts {
        notice_filed: r.notice_filed,
        rkn_restricted: r.rkn_restricted,
        collected_into_russian_databases: r.collected_into_russian_databases,
        localisation_exception: r.localisation_exception,
    })
}

fn with_country(msg: Msg, code: &str) -> Msg {
    let en = outbound_model::country::name(code).unwrap_or(code);
    let zh = outbound_model::country::name_zh(code).unwrap_or(en);
    msg.arg2("country", en, zh)
}

/// The localisation duty of Art. 18(5) on `as_of`: whether it is met, and why.
fn localisation(
    d: &RuData,
    ru: &RuFacts,
    as_of: Date,
    reasons: &mut Vec<Reason>,
    obligations: &mut Vec<Obligation>,
) -> Result<bool, RuleError> {
    let amended = d.instrument("art18_5_2025")?;
    let earlier = d.instrument("art18_5_2015")?;
    if let Some(x) = ru.localisation_exception {
        let e = d.exception(x)?;
        reasons.push(Reason::of(
            Msg::new("ru.localisation_exception").arg2("item", e.en.clone(), e.zh.clone()),
            format!("152-FZ Art. 18(5); {}", e.citation),
        ));
        return Ok(true);
    }
    let (new, cite) = if as_of >= amended.in_force {
        (true, format!("152-FZ Art. 18(5); {}", amended.short))
    } else {
        (false, format!("152-FZ Art. 18(5); {}", earlier.short))
    };
    let msg = match (ru.collected_into_russian_databases, new) {
        (true, true) => Msg::new("ru.localised_2025"),
        (true, false) => Msg::new("ru.localised_2015"),
        (false, true) => Msg::new("ru.not_localised_2025"),
        (false, false) => Msg::new("ru.not_localised_2015"),
    };
    reasons.push(Reason::of(msg, cite.clone()));
    if !ru.collected_into_russian_databases {
        obligations.push(Obligation::of(
            "localise_collection",
            cite,
            None,
            Msg::new("ru.obl_localise"),
        ));
    }
    Ok(ru.collected_into_russian_databases)
}

fn incident_obligation(d: &RuData) -> Obligation {
    Obligation::of(
        "incident_notification",
        d.incident.citation.clone(),
        None,
        Msg::new("ru.obl_incident")
            .arg("first", d.incident.first_hours)
            .arg("second", d.incident.second_hours),
    )
}

impl Regime for RegimeRU {
    fn id(&self) -> &'static str {
        "RU"
    }

    fn applies(&self, f: &Facts) -> bool {
        f.exporter.country == "RU" && f.transfer.ru.is_some()
    }

    fn evaluate(&self, f: &Facts) -> Result<Determination, RuleError> {
        let d = data()?;
        let art12 = d.instrument("art12_2023")?;
        if f.as_of < art12.in_force {
            return Err(RuleError {
                regime: "RU",
                message: format!(
                    "152-FZ Art. 12 as amended by 266-FZ applies from {}; {} is earlier, and the RU regime decides nothing before that date",
                    art12.in_force, f.as_of
                ),
            });
        }
        let Some(ru) = &f.transfer.ru else {
            return Err(RuleError {
                regime: "RU",
                message: "the facts carry no `transfer.ru` block: the RU regime needs it".into(),
            });
        };
        let t = &f.transfer;
        let determination = |mechanism, satisfied, obligations, reasons| Determination {
            regime: "RU",
            instrument: art12.name.clone(),
            mechanism,
            satisfied,
            obligations,
            reasons,
        };
        let mut reasons = Vec::new();
        let mut obligations = Vec::new();
        if !t.personal_information {
            reasons.push(Reason::of(
                Msg::new("ru.no_personal_data"),
                "152-FZ Art. 12(1)",
            ));
            return Ok(determination("notification", true, obligations, reasons));
        }
        let country = t.recipient_country.as_str();
        if country == "RU" {
            reasons.push(Reason::of(Msg::new("ru.domestic"), "152-FZ Art. 12(1)"));
            let ok = localisation(d, ru, f.as_of, &mut reasons, &mut obligations)?;
            obligations.push(incident_obligation(d));
            return Ok(determination("notification", ok, obligations, reasons));
        }
        if ru.rkn_restricted {
            reasons.push(Reason::of(
                Msg::new("ru.restricted"),
                d.restriction.citation.clone(),
            ));
            obligations.push(Obligation::of(
                "stop_transfer",
                d.restriction.citation.clone(),
                Some(f.as_of),
                Msg::new("ru.obl_stop"),
            ));
            localisation(d, ru, f.as_of, &mut reasons, &mut obligations)?;
            obligations.push(incident_obligation(d));
            return Ok(determination("prohibited", false, obligations, reasons));
        }
        let adequacy = d.adequacy(country, f.as_of);
        let (msg, cite) = match adequacy {
            Adequacy::Convention => (
                Msg::new("ru.adequate_convention"),
                format!("152-FZ Art. 12(2); {}", d.convention_108.citation),
            ),
            Adequacy::List => (
                Msg::new("ru.adequate_list"),
                format!("152-FZ Art. 12(2); {}", d.rkn_list.citation),
            ),
            Adequacy::Unconfirmed => (
                Msg::new("ru.list_unconfirmed"),
                format!("152-FZ Art. 12(2); {}", d.rkn_list.citation),
            ),
            Adequacy::No => (Msg::new("ru.not_adequate"), "152-FZ Art. 12(2)".to_string()),
        };
        reasons.push(Reason::of(with_country(msg, country), cite));
        let adequate = matches!(adequacy, Adequacy::Convention | Adequacy::List);
        let mechanism = if adequate {
            "notification"
        } else {
            "notification_and_wait"
        };
        // A notice dated after `as_of` has not been filed on `as_of`.
        let filed = ru.notice_filed.filter(|n| *n <= f.as_of);
        let notice_ok = match filed {
            None => {
                reasons.push(Reason::of(
                    Msg::new("ru.notice_missing").arg("as_of", f.as_of),
                    d.notice.citation.clone(),
                ));
                // The notice states the date of the recipient assessment (Art. 12(4)),
                // so once it is filed the assessment is done; before, it is due first.
                obligations.push(Obligation::of(
                    "recipient_assessment",
                    d.assessment.citation.clone(),
                    None,
                    Msg::new("ru.obl_recipient_assessment"),
                ));
                obligations.push(Obligation::of(
                    "rkn_transfer_notice",
                    d.notice.citation.clone(),
                    Some(f.as_of),
                    Msg::new("ru.obl_file_notice"),
                ));
                false
            }
            Some(n) if adequate => {
                reasons.push(Reason::of(
                    Msg::new("ru.notice_filed").arg("filed", n),
                    d.notice.citation.clone(),
                ));
                true
            }
            Some(n) => {
                let cal = WorkingCalendar::of("RU").ok_or_else(|| RuleError {
                    regime: "RU",
                    message: "the Russian production calendar (data/ru-calendar/) is not bundled"
                        .into(),
                })?;
                let tenth = cal.add_working_days(n, d.waiting.working_days);
                let start = tenth.date.tomorrow().unwrap_or(tenth.date);
                let over = f.as_of >= start;
                let cite = format!("{}; {}", d.waiting.citation, d.waiting.counting_citation);
                let msg = if over {
                    Msg::new("ru.wait_over")
                } else {
                    Msg::new("ru.wait_running").arg("as_of", f.as_of)
                };
                reasons.push(Reason::of(
                    msg.arg("filed", n)
                        .arg("tenth", tenth.date)
                        .arg("start", start),
                    cite.clone(),
                ));
                if !tenth.estimated_years.is_empty() {
                    let years = tenth
                        .estimated_years
                        .iter()
                        .map(|y| y.to_string())
                        .collect::<Vec<_>>()
                        .join(", ");
                    reasons.push(Reason::of(
                        Msg::new("ru.calendar_estimated").arg("years", years),
                        "RF Labour Code Art. 112",
                    ));
                }
                if !over {
                    obligations.push(Obligation::of(
                        "wait_after_notice",
                        cite,
                        Some(start),
                        with_country(Msg::new("ru.obl_wait"), country)
                            .arg("start", start)
                            .arg("filed", n)
                            .arg("tenth", tenth.date),
                    ));
                }
                over
            }
        };
        let localised = localisation(d, ru, f.as_of, &mut reasons, &mut obligations)?;
        obligations.push(incident_obligation(d));
        Ok(determination(
            mechanism,
            notice_ok && localised,
            obligations,
            reasons,
        ))
    }

    fn info(&self) -> RegimeInfo {
        let Ok(d) = data() else {
            return RegimeInfo {
                id: "RU",
                name: NAME,
                applies_when: APPLIES_WHEN,
                mechanisms: MECHANISMS,
                instruments: vec![],
                thresholds: vec![],
            };
        };
        let mark = |c: bool| if c { "" } else { " (not confirmed)" };
        let mut thresholds = vec![
            ThresholdInfo {
                text: "waiting period after the notice, to a country not ensuring adequate protection (working days, Russian production calendar; the transfer may start the day after the last one)".into(),
                value: d.waiting.working_days.to_string(),
                citation: format!("{}; {}", d.waiting.citation, d.waiting.counting_citation),
            },
            ThresholdInfo {
                text: "incident: notice to Roskomnadzor, then the results of the internal investigation (hours)".into(),
                value: format!("{} / {}", d.incident.first_hours, d.incident.second_hours),
                citation: d.incident.citation.clone(),
            },
            ThresholdInfo {
                text: "adequate: parties to Convention 108 (* from the Council of Europe's chart, not confirmed against a reprint)".into(),
                value: d
                    .convention_108
                    .parties
                    .iter()
                    .map(|p| format!("{}{}", p.country, if p.confirmed { "" } else { "*" }))
                    .collect::<Vec<_>>()
                    .join(" "),
                citation: format!("152-FZ Art. 12(2); {}", d.convention_108.citation),
            },
            ThresholdInfo {
                text: format!(
                    "adequate: {}{} (* not confirmed: treated as not adequate)",
                    d.rkn_list.name,
                    if d.rkn_list.complete { "" } else { ", incomplete" }
                ),
                value: d
                    .rkn_list
                    .countries
                    .iter()
                    .map(|c| format!("{}{}", c.country, if c.confirmed { "" } else { "*" }))
                    .collect::<Vec<_>>()
                    .join(" "),
                citation: format!("152-FZ Art. 12(2); {}", d.rkn_list.citation),
            },
        ];
        for e in &d.exception {
            thresholds.push(ThresholdInfo {
                text: format!("Art. 18(5) does not apply: {}{}", e.en, mark(e.confirmed)),
                value: e.id.clone(),
                citation: e.citation.clone(),
            });
        }
        RegimeInfo {
            id: "RU",
            name: NAME,
            applies_when: APPLIES_WHEN,
            mechanisms: MECHANISMS,
            instruments: d
                .instrument
                .iter()
                .map(|i| InstrumentInfo {
                    name: i.name.clone(),
                    in_force: i.in_force.to_string(),
                    note: format!("{}{}", i.note, mark(i.confirmed)),
                })
                .collect(),
            thresholds,
        }
    }
}

const NAME: &str = "Russia: Federal Law No. 152-FZ on Personal Data, Art. 12 and 18(5)";
const APPLIES_WHEN: &str = "the exporter is in Russia (RU) and the facts carry `transfer.ru`";
const MECHANISMS: &[&str] = &["notification", "notification_and_wait", "prohibited"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_loads_and_every_citation_is_known() {
        let d = data().unwrap();
        for id in ["art12_2023", "art18_5_2015", "art18_5_2025"] {
            d.instrument(id).unwrap();
        }
        for e in RuLocalisationException::ALL {
            let x = d.exception(*e).unwrap();
            assert!(crate::text::citation_known(&x.citation), "{}", x.citation);
        }
        for c in [
            &d.notice.citation,
            &d.assessment.citation,
            &d.waiting.citation,
            &d.waiting.counting_citation,
            &d.restriction.citation,
            &d.incident.citation,
            &d.convention_108.citation,
            &d.rkn_list.citation,
        ] {
            assert!(crate::text::citation_known(c), "{c}");
        }
        for i in &d.instrument {
            assert!(crate::text::citation_known(&i.short), "{}", i.short);
        }
    }

    #[test]
    fn lists_name_real_countries_once() {
        let d = data().unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let codes = d
            .convention_108
            .parties
            .iter()
            .map(|p| p.country.as_str())
            .chain(d.rkn_list.countries.iter().map(|c| c.country.as_str()));
        for c in codes {
            assert!(outbound_model::country::name(c).is_some(), "{c}");
            assert!(seen.insert(c), "{c} listed twice");
        }
        assert!(!seen.contains("RU") && !seen.contains("US"));
        // All 46 Council of Europe member states and the non-members known to be parties.
        assert_eq!(d.convention_108.parties.len(), 54);
    }
}
