//! China: PIPL and its export instruments, effective-dated.
//!
//! The facts' date picks the era: PIPL alone (from 2021-11-01), the Assessment
//! Measures (2022-09-01), the Standard Contract Measures (2023-06-01), the 2024
//! Provisions (2024-03-22), which prevail over the earlier rules (Art. 13).
//!
//! Counting reading (LAW.md, "Open question"): individuals exported under any
//! exemption count towards the cumulative thresholds, except those under
//! Provisions Art. 3, 4 and 6 (data outside the regime). No source settles the
//! question either way; this is the conservative reading. The facts carry the
//! cumulative counts already computed under it.

use jiff::ToSpan;
use jiff::civil::Date;
use outbound_model::{LegalBasis, MechanismKind, Necessity, Origin};

use super::{InstrumentInfo, Regime, RegimeInfo, ThresholdInfo};
use crate::calendar::WorkingCalendar;
use crate::data::{ChinaData, Threshold, china};
use crate::determination::{Determination, Obligation, Reason, RuleError};
use crate::facts::{Counts, Facts};
use crate::text::Msg;

/// The China regime.
pub struct China;

const EXEMPT: &str = "exempt";
const SC: &str = "standard_contract_or_certification";
const SA: &str = "security_assessment";
const AUTH: &str = "authority_approval";

/// A date as a Chinese text writes it: `2026年1月1日`.
fn zh_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// Which instruments are in force.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Era {
    PiplOnly,
    Assessment2022,
    Contract2023,
    Provisions2024,
}

struct Judge<'a> {
    f: &'a Facts,
    data: &'static ChinaData,
    reasons: Vec<Reason>,
    obligations: Vec<Obligation>,
    calendar_gaps: std::collections::BTreeSet<i16>,
}

use crate::format::thousands as n;

impl Judge<'_> {
    fn reason(&mut self, msg: Msg, citation: impl Into<String>) {
        self.reasons.push(Reason::of(msg, citation));
    }

    fn oblige(
        &mut self,
        id: &'static str,
        citation: impl Into<String>,
        due: Option<Date>,
        msg: Msg,
    ) {
        self.obligations
            .push(Obligation::of(id, citation, due, msg));
    }

    fn working_days(&mut self, from: Date, days: i32) -> Date {
        let w = WorkingCalendar::china().add_working_days(from, days);
        self.calendar_gaps.extend(w.estimated_years);
        w.date
    }

    fn has_sensitive(&self) -> bool {
        let t = &self.f.transfer;
        t.sensitive_individuals > 0
            || !t.sensitive_categories.is_empty()
            || self.f.cumulative.current_year.sensitive_individuals > 0
    }

    /// The counts a threshold compares, never less than this transfer alone.
    fn counts(&self, window: &str) -> Result<Counts, RuleError> {
        let t = &self.f.transfer;
        let c = match window {
            "current_year" => self.f.cumulative.current_year,
            "previous_and_current_year" => self.f.cumulative.previous_and_current_year.ok_or_else(|| RuleError {
                regime: "CN",
                message: format!(
                    "cumulative.previous_and_current_year is required for a transfer judged as of {} (before 2024-03-22 the \
                     thresholds count from 1 January of the previous year, Assessment Measures Art. 4(3))",
                    self.f.as_of
                ),
            })?,
            _ => Counts { individuals: self.f.exporter.individuals_processed, sensitive_individuals: 0 },
        };
        if window == "processed" {
            return Ok(c);
        }
        Ok(Counts {
            individuals: c.individuals.max(t.individuals),
            sensitive_individuals: c.sensitive_individuals.max(t.sensitive_individuals),
        })
    }

    /// Whether a threshold is reached, with a reason either way when `explain` is set.
    fn reached(&mut self, th: &Threshold) -> Result<bool, RuleError> {
        let c = self.counts(&th.window)?;
        let v = if th.measure == "individuals" {
            c.individuals
        } else {
            c.sensitive_individuals
        };
        Ok(v >= th.at_least)
    }

    /// Whether any of these export-count thresholds is reached; the first one reached becomes the reason.
    fn any_export_threshold(&mut self, ids: &[&str]) -> Result<bool, RuleError> {
        for id in ids {
            let th = self.data.threshold(id);
            if !self.reached(th)? {
                continue;
            }
            let c = self.counts(&th.window)?;
            let (v, msg) = if th.measure == "individuals" {
                (c.individuals, Msg::new("cn.export_threshold_individuals"))
            } else {
                (
                    c.sensitive_individuals,
                    Msg::new("cn.export_threshold_sensitive"),
                )
            };
            let msg = self
                .window(msg, &th.window)
                .arg("count", n(v))
                .arg("at_least", n(th.at_least));
            self.reason(msg, th.citation.clone());
            return Ok(true);
        }
        Ok(false)
    }

    /// Adds the `{window}` argument: which count a figure is, in both languages.
    fn window(&self, msg: Msg, window: &str) -> Msg {
        let y = self.f.as_of.year();
        match window {
            "current_year" => msg.arg2(
                "window",
                format!("since 1 January {y}"),
                format!("自{y}年1月1日起"),
            ),
            "previous_and_current_year" => msg.arg2(
                "window",
                format!("since 1 January {}", y - 1),
                format!("自{}年1月1日起", y - 1),
            ),
            _ => msg.arg2("window", "processed in total", "累计处理"),
        }
    }
}

fn era(f: &Facts, d: &ChinaData) -> Result<Era, RuleError> {
    let on = |id: &str| f.as_of >= d.instrument(id).in_force;
    Ok(if on("provisions_2024") {
        Era::Provisions2024
    } else if on("standard_contract_measures_2023") {
        Era::Contract2023
    } else if on("assessment_measures_2022") {
        Era::Assessment2022
    } else if on("pipl") {
        Era::PiplOnly
    } else {
        return Err(RuleError {
            regime: "CN",
            message: format!(
                "the rules are encoded from the PIPL's entry into force on {}; {} is earlier",
                d.instrument("pipl").in_force,
                f.as_of
            ),
        });
    })
}

impl Judge<'_> {
    /// The route under the 2024 Provisions.
    fn route_2024(&mut self) -> Result<&'static str, RuleError> {
        let f = self.f;
        let t = &f.transfer;
        if !t.personal_information && !t.important_data {
            self.reason(
                Msg::new("cn.no_personal_or_important_data"),
                "Provisions Art. 3",
            );
            return Ok(EXEMPT);
        }
        if let Some(zone) = &f.exporter.free_trade_zone
            && t.outside_ftz_negative_list
        {
            self.reason(
                // The zone by its list's title when Outbound has the list; as written otherwise.
                match crate::ftz::zone(zone) {
                    Some(z) => Msg::new("cn.free_trade_zone").arg2("zone", &z.name_en, &z.name_zh),
                    None => Msg::new("cn.free_trade_zone").arg("zone", zone),
                },
                "Provisions Art. 6",
            );
            return Ok(EXEMPT);
        }
        if t.important_data {
            self.reason(
                Msg::new("cn.important_data_notified"),
                "Provisions Art. 7(1)-(2), 2",
            );
            return Ok(SA);
        }
        if t.origin == Origin::ForeignTransit {
            self.reason(Msg::new("cn.foreign_transit"), "Provisions Art. 4");
            return Ok(EXEMPT);
        }
        let necessity = match t.necessity {
            Necessity::ContractWithIndividual => {
                Some((Msg::new("cn.necessity_contract"), "Provisions Art. 5(1)"))
            }
            Necessity::HrManagement => Some((Msg::new("cn.necessity_hr"), "Provisions Art. 5(2)")),
            Necessity::Emergency => {
                Some((Msg::new("cn.necessity_emergency"), "Provisions Art. 5(3)"))
            }
            _ => None,
        };
        if let Some((msg, cite)) = necessity {
            let msg = if f.exporter.ciio {
                msg.arg2(
                    "ciio",
                    "; this exemption applies to CIIOs too (Art. 7, second paragraph)",
                    "；该豁免同样适用于关键信息基础设施运营者（第七条第二款）",
                )
            } else {
                msg.arg("ciio", "")
            };
            self.reason(msg, cite);
            return Ok(EXEMPT);
        }
        if t.necessity == Necessity::StatutoryDuty {
            self.reason(
                Msg::new("cn.statutory_duty_not_exempt"),
                "Provisions Art. 5",
            );
        }
        if f.exporter.ciio {
            self.reason(Msg::new("cn.ciio"), "Provisions Art. 7(1)");
            return Ok(SA);
        }
        let d = self.data;
        if self.any_export_threshold(&["sa_individuals", "sa_sensitive"])? {
            return Ok(SA);
        }
        let c = self.counts("current_year")?;
        let sc_ind = d.threshold("sc_individuals");
        if c.individuals >= sc_ind.at_least {
            let msg = self
                .window(Msg::new("cn.standard_contract_volume"), "current_year")
                .arg("count", n(c.individuals))
                .arg("at_least", n(sc_ind.at_least))
                .arg("upper", n(d.threshold("sa_individuals").at_least));
            self.reason(msg, sc_ind.citation.clone());
            return Ok(SC);
        }
        if self.has_sensitive() {
            let msg = self
                .window(Msg::new("cn.standard_contract_sensitive"), "current_year")
                .arg("count", n(c.sensitive_individuals.max(1)))
                .arg("upper", n(d.threshold("sa_sensitive").at_least));
            self.reason(msg, d.threshold("sc_sensitive").citation.clone());
            return Ok(SC);
        }
        let msg = self
            .window(Msg::new("cn.below_thresholds"), "current_year")
            .arg("count", n(c.individuals))
            .arg("upper", n(sc_ind.at_least));
        self.reason(msg, "Provisions Art. 5(4)");
        Ok(EXEMPT)
    }

    /// Security-assessment triggers of the 2022 Measures (used until 2024-03-21).
    fn assessment_triggers_2022(&mut self) -> Result<bool, RuleError> {
        let f = self.f;
        let t = &f.transfer;
        if t.important_data {
            self.reason(
                Msg::new("cn.important_data"),
                "Assessment Measures Art. 4(1)",
            );
            return Ok(true);
        }
        if !t.personal_information {
            return Ok(false);
        }
        if f.exporter.ciio {
            self.reason(Msg::new("cn.ciio"), "Assessment Measures Art. 4(2)");
            return Ok(true);
        }
        let d = self.data;
        let th = d.threshold("sa_processed");
        if self.reached(th)? {
            self.reason(
                Msg::new("cn.processed_threshold")
                    .arg("count", n(f.exporter.individuals_processed))
                    .arg("at_least", n(th.at_least)),
                th.citation.clone(),
            );
            return Ok(true);
        }
        self.any_export_threshold(&["sa_exported", "sa_exported_sensitive"])
    }

    fn route_before_2024(&mut self, era: Era) -> Result<&'static str, RuleError> {
        let f = self.f;
        let t = &f.transfer;
        if !t.personal_information && !t.important_data {
            self.reason(
                Msg::new("cn.no_personal_or_important_data"),
                "PIPL Art. 38; Assessment Measures Art. 2",
            );
            return Ok(EXEMPT);
        }
        if t.origin == Origin::ForeignTransit
            || t.necessity != Necessity::None
            || t.outside_ftz_negative_list
        {
            self.reason(
                Msg::new("cn.no_exemptions_before_2024").arg2(
                    "date",
                    f.as_of.to_string(),
                    zh_date(f.as_of),
                ),
                "Provisions Art. 3-6, 14",
            );
        }
        match era {
            Era::PiplOnly => {
                if t.important_data || f.exporter.ciio {
                    self.reason(
                        Msg::new("cn.pipl_only_assessment"),
                        "PIPL Art. 40; CSL Art. 37; DSL Art. 31",
                    );
                    return Ok(SA);
                }
                self.reason(Msg::new("cn.pipl_only_routes"), "PIPL Art. 38(1)");
                Ok(SC)
            }
            Era::Assessment2022 | Era::Contract2023 => {
                if self.assessment_triggers_2022()? {
                    return Ok(SA);
                }
                if era == Era::Assessment2022 {
                    self.reason(
                        Msg::new("cn.no_assessment_trigger_2022"),
                        "PIPL Art. 38(1); Assessment Measures Art. 4",
                    );
                } else {
                    let c = self.counts("previous_and_current_year")?;
                    let msg = self
                        .window(
                            Msg::new("cn.below_thresholds_2023"),
                            "previous_and_current_year",
                        )
                        .arg("processed", n(f.exporter.individuals_processed))
                        .arg("count", n(c.individuals))
                        .arg("sensitive", n(c.sensitive_individuals));
                    self.reason(msg, "Standard Contract Measures Art. 4");
                }
                Ok(SC)
            }
            Era::Provisions2024 => unreachable!("handled by route_2024"),
        }
    }

    /// Whether a mechanism that fulfils the route is in place and valid on the facts' date.
    fn satisfied(&mut self, route: &str, era: Era) -> bool {
        let f = self.f;
        let t = &f.transfer;
        let has = |m| t.mechanisms_in_place.contains(&m);
        match route {
            EXEMPT => true,
            SA => {
                if !has(MechanismKind::SecurityAssessment) {
                    return false;
                }
                match self.assessment_expiry() {
                    Some((exp, _)) if exp < f.as_of => {
                        self.reason(
                            Msg::new("cn.assessment_expired").arg2(
                                "date",
                                exp.to_string(),
                                zh_date(exp),
                            ),
                            self.validity_citation(),
                        );
                        false
                    }
                    _ => true,
                }
            }
            _ => {
                if has(MechanismKind::StandardContract) {
                    return true;
                }
                if has(MechanismKind::Certification) {
                    if let Some(exp) = t.dates.certification_expires
                        && exp < f.as_of
                    {
                        self.reason(
                            Msg::new("cn.certification_expired").arg2(
                                "date",
                                exp.to_string(),
                                zh_date(exp),
                            ),
                            "Certification Measures Art. 8",
                        );
                        return false;
                    }
                    if era == Era::Provisions2024
                        && f.as_of < self.data.instrument("certification_measures_2026").in_force
                    {
                        self.reason(
                            Msg::new("cn.certification_before_measures"),
                            "PIPL Art. 38(1)(2)",
                        );
                    }
                    return true;
                }
                false
            }
        }
    }

    /// Expiry of the security assessment: given, or approval plus the validity of the rules under which it was approved.
    fn assessment_expiry(&self) -> Option<(Date, String)> {
        let dts = &self.f.transfer.dates;
        if let Some(e) = dts.assessment_expires {
            return Some((e, "as stated".into()));
        }
        let approved = dts.assessment_approved?;
        let dl = &self.data.deadlines;
        // The period in force on the day of approval.
        let years = dl.get("assessment_validity", approved).value;
        // Valid for N years from approval: the last valid day is the day before the anniversary.
        approved
            .checked_add(years.years())
            .and_then(|d| d.checked_sub(1.day()))
            .ok()
            .map(|d| (d, format!("{years} years from approval")))
    }

    fn validity_citation(&self) -> String {
        let dl = &self.data.deadlines;
        let on = self
            .f
            .transfer
            .dates
            .assessment_approved
            .unwrap_or(self.f.as_of);
        dl.get("assessment_validity", on).citation.clone()
    }

    fn obligations(&mut self, route: &str, satisfied: bool, era: Era) {
        let f = self.f;
        let t = &f.transfer;
        let dl = &self.data.deadlines;
        if t.personal_information {
            self.oblige("notice", "PIPL Art. 39", None, Msg::new("cn.notice"));
            let consent = match t.legal_basis {
                Some(b) => b == LegalBasis::Consent,
                None => t.necessity == Necessity::None,
            };
            if consent {
                self.oblige(
                    "separate_consent",
                    "PIPL Art. 39",
                    None,
                    Msg::new("cn.separate_consent"),
                );
            }
            match t.dates.pipia_completed {
                None => {
                    let cite = if route == SC {
                        "Standard Contract Measures Art. 5; PIPL Art. 55(1)(4)"
                    } else {
                        "PIPL Art. 55(1)(4), 56"
                    };
                    let due = if route == SC {
                        t.dates.contract_effective
                    } else {
                        None
                    };
                    self.oblige("pipia", cite, due, Msg::new("cn.pipia"));
                }
                Some(done) => {
                    let keep = done
                        .checked_add(dl.get("pipia_retention", f.as_of).value.years())
                        .ok();
                    self.oblige(
                        "pipia_retention",
                        dl.get("pipia_retention", f.as_of).citation.clone(),
                        keep,
                        Msg::new("cn.pipia_retention")
                            .arg("years", dl.get("pipia_retention", f.as_of).value),
                    );
                }
            }
        }
        if f.exporter.ciio && t.personal_information {
            self.oblige(
                "localisation",
                "CSL Art. 37; PIPL Art. 40",
                None,
                Msg::new("cn.localisation"),
            );
        }
        if t.important_data {
            self.oblige(
                "important_data_risk_assessment",
                "DSL Art. 30",
                None,
                Msg::new("cn.important_data_risk_assessment"),
            );
        }
        match route {
            SC => {
                let has_sc = t
                    .mechanisms_in_place
                    .contains(&MechanismKind::StandardContract);
                if !satisfied {
                    let rect = dl.get("sc_rectification", f.as_of);
                    let due = rect
                        .date
                        .filter(|d| era == Era::Contract2023 && f.as_of <= *d);
                    let cite = if due.is_some() {
                        rect.citation.clone()
                    } else {
                        "Standard Contract Measures Art. 6; Certification Measures".to_string()
                    };
                    self.oblige(
                        "standard_contract",
                        cite,
                        due,
                        Msg::new("cn.conclude_standard_contract"),
                    );
                }
                if has_sc {
                    match (t.dates.contract_effective, t.dates.contract_filed) {
                        (_, Some(_)) => self.oblige(
                            "refiling_watch",
                            "Standard Contract Measures Art. 8",
                            None,
                            Msg::new("cn.refiling_watch"),
                        ),
                        (Some(eff), None) => {
                            let due = self.working_days(eff, dl.get("filing", f.as_of).value);
                            self.oblige(
                                "filing",
                                dl.get("filing", f.as_of).citation.clone(),
                                Some(due),
                                Msg::new("cn.filing")
                                    .arg("days", dl.get("filing", f.as_of).value)
                                    .arg2("effective", eff.to_string(), zh_date(eff)),
                            );
                        }
                        (None, None) => self.oblige(
                            "filing",
                            dl.get("filing", f.as_of).citation.clone(),
                            None,
                            Msg::new("cn.filing_undated")
                                .arg("days", dl.get("filing", f.as_of).value),
                        ),
                    }
                }
                if t.mechanisms_in_place
                    .contains(&MechanismKind::Certification)
                    && let Some(exp) = t.dates.certification_expires
                {
                    let due = exp
                        .checked_sub(dl.get("certification_renewal", f.as_of).value.months())
                        .ok();
                    self.oblige(
                        "certification_renewal",
                        dl.get("certification_renewal", f.as_of).citation.clone(),
                        due,
                        Msg::new("cn.certification_renewal")
                            .arg("months", dl.get("certification_renewal", f.as_of).value)
                            .arg2("date", exp.to_string(), zh_date(exp)),
                    );
                }
            }
            SA => {
                if t.mechanisms_in_place
                    .contains(&MechanismKind::SecurityAssessment)
                    && satisfied
                {
                    if let Some((exp, _)) = self.assessment_expiry() {
                        let renew =
                            self.working_days(exp, -dl.get("assessment_renewal", f.as_of).value);
                        self.oblige(
                            "assessment_renewal",
                            dl.get("assessment_renewal", f.as_of).citation.clone(),
                            Some(renew),
                            Msg::new("cn.assessment_renewal")
                                .arg("days", dl.get("assessment_renewal", f.as_of).value)
                                .arg2("date", exp.to_string(), zh_date(exp)),
                        );
                        self.oblige(
                            "assessment_expiry",
                            self.validity_citation(),
                            Some(exp),
                            Msg::new("cn.assessment_expiry"),
                        );
                    }
                } else {
                    let cite = if era == Era::Provisions2024 {
                        "Provisions Art. 7"
                    } else {
                        "Assessment Measures Art. 4"
                    };
                    let due = (era == Era::Assessment2022
                        && f.as_of <= jiff::civil::date(2023, 2, 28))
                    .then_some(jiff::civil::date(2023, 2, 28));
                    let cite = if due.is_some() {
                        "Assessment Measures Art. 20".to_string()
                    } else {
                        cite.to_string()
                    };
                    self.oblige(
                        "security_assessment",
                        cite,
                        due,
                        Msg::new("cn.apply_security_assessment"),
                    );
                    if t.dates.pipia_completed.is_none() {
                        self.oblige(
                            "self_assessment",
                            "Assessment Measures Art. 5",
                            None,
                            Msg::new("cn.self_assessment"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// Data for a foreign judicial or law enforcement authority (PIPL Art. 41, DSL
/// Art. 36): only with the competent authority's approval, judged before any
/// exemption or threshold, none of which changes it.
fn foreign_authority(f: &Facts, data: &'static ChinaData) -> Result<Determination, RuleError> {
    let t = &f.transfer;
    let dsl = data.instrument("dsl").in_force;
    if f.as_of < dsl {
        return Err(RuleError {
            regime: "CN",
            message: format!(
                "data for a foreign judicial or law enforcement authority is judged from the Data Security Law's entry \
                 into force on {dsl} (Art. 36); {} is earlier",
                f.as_of
            ),
        });
    }
    // PIPL Art. 41 (personal information, from 2021-11-01) adds to DSL Art. 36 (all data, from 2021-09-01).
    let pipl = t.personal_information && f.as_of >= data.instrument("pipl").in_force;
    let citation = if pipl {
        "PIPL Art. 41; DSL Art. 36"
    } else {
        "DSL Art. 36"
    };
    let mut j = Judge {
        f,
        data,
        reasons: Vec::new(),
        obligations: Vec::new(),
        calendar_gaps: Default::default(),
    };
    j.reason(Msg::new("cn.foreign_authority_request"), citation);
    let satisfied = t
        .mechanisms_in_place
        .contains(&MechanismKind::AuthorityApproval);
    if satisfied {
        j.reason(Msg::new("cn.authority_approval_in_place"), citation);
    } else {
        j.reason(Msg::new("cn.authority_approval_missing"), citation);
        j.oblige(
            "authority_approval",
            citation,
            None,
            Msg::new("cn.apply_authority_approval"),
        );
    }
    // The duties owed to individuals and for important data stay (notice, consent, PIPIA …).
    if let Ok(era) = era(f, data) {
        j.obligations(AUTH, satisfied, era);
    }
    Ok(Determination {
        regime: "CN",
        instrument: data
            .instrument(if pipl { "pipl" } else { "dsl" })
            .name
            .clone(),
        mechanism: AUTH,
        satisfied,
        obligations: j.obligations,
        reasons: j.reasons,
    })
}

impl Regime for China {
    fn id(&self) -> &'static str {
        "CN"
    }

    fn applies(&self, f: &Facts) -> bool {
        china().judges_exporter(&f.exporter.country)
    }

    fn evaluate(&self, f: &Facts) -> Result<Determination, RuleError> {
        let data = china();
        if f.transfer.foreign_authority_request {
            return foreign_authority(f, data);
        }
        let era = era(f, data)?;
        let mut j = Judge {
            f,
            data,
            reasons: Vec::new(),
            obligations: Vec::new(),
            calendar_gaps: Default::default(),
        };
        let route = if era == Era::Provisions2024 {
            j.route_2024()?
        } else {
            j.route_before_2024(era)?
        };
        let instrument_id = match era {
            Era::Provisions2024 => "provisions_2024",
            Era::Contract2023 if route == SC => "standard_contract_measures_2023",
            Era::Contract2023 | Era::Assessment2022 => "assessment_measures_2022",
            Era::PiplOnly => "pipl",
        };
        let satisfied = j.satisfied(route, era);
        if !satisfied {
            let what = match route {
                SA => Msg::new("cn.no_valid_assessment"),
                _ => Msg::new("cn.no_contract_or_certification"),
            };
            j.reason(what, "PIPL Art. 38(1)");
        }
        j.obligations(route, satisfied, era);
        for y in std::mem::take(&mut j.calendar_gaps) {
            j.reason(
                Msg::new("cn.calendar_estimated").arg("year", y),
                "State Council holiday notice",
            );
        }
        Ok(Determination {
            regime: "CN",
            instrument: data.instrument(instrument_id).name.clone(),
            mechanism: route,
            satisfied,
            obligations: j.obligations,
            reasons: j.reasons,
        })
    }

    fn info(&self) -> RegimeInfo {
        let d = china();
        let mut thresholds: Vec<ThresholdInfo> = d
            .threshold
            .iter()
            .map(|t| ThresholdInfo {
                text: format!(
                    "{} → {} (from {})",
                    t.text,
                    t.route,
                    d.instrument(&t.instrument).in_force
                ),
                value: format!("≥ {}", n(t.at_least)),
                citation: t.citation.clone(),
            })
            .collect();
        thresholds.extend(d.deadlines.0.iter().map(|dl| ThresholdInfo {
            text: format!("{} (from {})", dl.text, dl.from),
            value: dl.value_text(),
            citation: dl.citation.clone(),
        }));
        // The free-trade-zone negative lists, each with its source and how completely it is encoded.
        thresholds.extend(crate::ftz::zones().iter().map(|z| ThresholdInfo {
            text: format!(
                "negative list: {} ({} entries; {})",
                z.name_en,
                z.entry.len(),
                if z.complete { "complete" } else { "partial" }
            ),
            value: format!("from {}", z.in_force),
            citation: format!("Provisions Art. 6; {}", z.source),
        }));
        RegimeInfo {
            id: "CN",
            name: "China: PIPL and the cross-border data instruments",
            applies_when: "the exporter is established in China (CN)",
            mechanisms: &[EXEMPT, SC, SA, AUTH],
            instruments: d
                .instrument
                .iter()
                .map(|i| InstrumentInfo {
                    name: i.name.clone(),
                    in_force: i.in_force.to_string(),
                    note: i.note.clone(),
                })
                .collect(),
            thresholds,
        }
    }
}
