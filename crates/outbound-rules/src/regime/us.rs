//! US: 28 CFR Part 202 (the Department of Justice's data security rule, in
//! force 2025-04-08; due diligence, audit and reports from 2025-10-06) and
//! PADFA (15 U.S.C. 9901, in force 2024-06-23).
//!
//! Each instrument is judged on its own, then the stricter outcome decides:
//! `prohibited` > `restricted` > `exempt` > `not_covered`. An exemption ranks
//! above `not_covered` because it is relied on and must be shown; PADFA has no
//! exemptions, so a DOJ exemption never hides a PADFA prohibition. The
//! reasons of both instruments are given, each with its citation, and a last
//! reason says which outcome each gave.
//!
//! Every figure, list and date is in `data/us.toml`; every sentence in
//! `data/text/us.toml`.

mod map_facts;

use std::sync::LazyLock;

use jiff::ToSpan;
use jiff::civil::{Date, date};
use outbound_model::{MechanismKind, UsExemption, UsTransaction};
use serde::Deserialize;

pub use map_facts::{CategoryKinds, kinds_of_category, us_facts_for_transfer};

use super::{InstrumentInfo, Regime, RegimeInfo, ThresholdInfo};
use crate::determination::{Determination, Obligation, Reason, RuleError};
use crate::facts::{Facts, UsBulk, UsFacts};
use crate::text::Msg;

/// The US regime.
pub struct RegimeUS;

/// An instrument with its day in force.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct UsInstrument {
    pub id: String,
    pub name: String,
    pub in_force: Date,
    pub citation: String,
    pub note: String,
    pub source: String,
    pub confirmed: bool,
}

/// A country on a list (countries of concern, foreign adversaries).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ListedCountry {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub citation: String,
    pub confirmed: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// A bulk threshold: bulk is MORE THAN `more_than` (§202.205).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct BulkThreshold {
    pub kind: String,
    pub more_than: u64,
    pub unit: String,
    pub citation: String,
    pub confirmed: bool,
}

/// An exemption with its section.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Exemption {
    pub id: String,
    pub citation: String,
    pub confirmed: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// A duty with its period or fixed due day.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Duty {
    pub id: String,
    pub citation: String,
    #[serde(default)]
    pub from: Option<Date>,
    #[serde(default)]
    pub years: Option<i16>,
    #[serde(default)]
    pub days: Option<i32>,
    #[serde(default)]
    pub due_month: Option<i8>,
    #[serde(default)]
    pub due_day: Option<i8>,
    #[serde(default)]
    pub percent: Option<u8>,
    pub note: String,
    pub confirmed: bool,
}

/// The US rule data (`data/us.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct UsData {
    pub instrument: Vec<UsInstrument>,
    pub country_of_concern: Vec<ListedCountry>,
    pub foreign_adversary: Vec<ListedCountry>,
    pub threshold: Vec<BulkThreshold>,
    pub exemption: Vec<Exemption>,
    pub duty: Vec<Duty>,
    pub category: Vec<CategoryKinds>,
}

impl UsData {
    /// The instrument with this id.
    pub fn instrument(&self, id: &str) -> &UsInstrument {
        self.instrument
            .iter()
            .find(|i| i.id == id)
            .unwrap_or_else(|| panic!("instrument {id} is in us.toml (tested)"))
    }
    /// The duty with this id.
    pub fn duty(&self, id: &str) -> &Duty {
        self.duty
            .iter()
            .find(|d| d.id == id)
            .unwrap_or_else(|| panic!("duty {id} is in us.toml (tested)"))
    }
    /// The country of concern with this code (§202.601), if it is one.
    pub fn country_of_concern(&self, code: &str) -> Option<&ListedCountry> {
        self.country_of_concern.iter().find(|c| c.code == code)
    }
    /// The PADFA foreign adversary country with this code, if it is one.
    pub fn foreign_adversary(&self, code: &str) -> Option<&ListedCountry> {
        self.foreign_adversary.iter().find(|c| c.code == code)
    }
    /// The section of an exemption.
    pub fn exemption(&self, e: UsExemption) -> &Exemption {
        self.exemption
            .iter()
            .find(|x| x.id == e.as_str())
            .unwrap_or_else(|| panic!("exemption {e} is in us.toml (tested)"))
    }
}

static US: LazyLock<UsData> = LazyLock::new(|| {
    toml::from_str(include_str!("../../data/us.toml")).expect("us.toml is valid (tested)")
});

/// The US rule data.
pub fn us_data() -> &'static UsData {
    &US
}

impl UsData {
    /// The count of U.S. persons from which every bulk threshold of
    /// §202.205 reads "more than": one past the largest. A ledger may stop
    /// counting a window there; no decision here changes past it.
    pub fn bulk_count_enough(&self) -> u64 {
        self.threshold
            .iter()
            .map(|t| t.more_than)
            .max()
            .unwrap_or(0)
            .saturating_add(1)
    }
}

/// The seven kinds of §202.205, in its order.
pub const KINDS: [&str; 7] = [
    "human_genomic",
    "human_omic",
    "biometric",
    "precise_geolocation_devices",
    "health",
    "financial",
    "covered_identifiers",
];

/// The count of one kind.
pub fn bulk_count(b: &UsBulk, kind: &str) -> u64 {
    match kind {
        "human_genomic" => b.human_genomic,
        "human_omic" => b.human_omic,
        "biometric" => b.biometric,
        "precise_geolocation_devices" => b.precise_geolocation_devices,
        "health" => b.health,
        "financial" => b.financial,
        "covered_identifiers" => b.covered_identifiers,
        _ => 0,
    }
}

/// A mutable count of one kind (unknown kinds have none).
pub(crate) fn bulk_count_mut<'a>(b: &'a mut UsBulk, kind: &str) -> Option<&'a mut u64> {
    Some(match kind {
        "human_genomic" => &mut b.human_genomic,
        "human_omic" => &mut b.human_omic,
        "biometric" => &mut b.biometric,
        "precise_geolocation_devices" => &mut b.precise_geolocation_devices,
        "health" => &mut b.health,
        "financial" => &mut b.financial,
        "covered_identifiers" => &mut b.covered_identifiers,
        _ => return None,
    })
}

fn kind_name(kind: &str) -> Msg {
    Msg::new(match kind {
        "human_genomic" => "us.kind_human_genomic",
        "human_omic" => "us.kind_human_omic",
        "biometric" => "us.kind_biometric",
        "precise_geolocation_devices" => "us.kind_precise_geolocation_devices",
        "health" => "us.kind_health",
        "financial" => "us.kind_financial",
        _ => "us.kind_covered_identifiers",
    })
}

fn exemption_name(e: UsExemption) -> Msg {
    Msg::new(match e {
        UsExemption::PersonalCommunications => "us.ex_personal_communications",
        UsExemption::InformationalMaterials => "us.ex_informational_materials",
        UsExemption::Travel => "us.ex_travel",
        UsExemption::OfficialBusiness => "us.ex_official_business",
        UsExemption::FinancialServices => "us.ex_financial_services",
        UsExemption::CorporateGroup => "us.ex_corporate_group",
        UsExemption::RequiredByLaw => "us.ex_required_by_law",
        UsExemption::InvestmentCfius => "us.ex_investment_cfius",
        UsExemption::Telecommunications => "us.ex_telecommunications",
        UsExemption::DrugApproval => "us.ex_drug_approval",
        UsExemption::ClinicalInvestigation => "us.ex_clinical_investigation",
    })
}

fn transaction_name(t: UsTransaction) -> Msg {
    Msg::new(match t {
        UsTransaction::DataBrokerage => "us.tx_data_brokerage",
        UsTransaction::Vendor => "us.tx_vendor",
        UsTransaction::Employment => "us.tx_employment",
        UsTransaction::Investment => "us.tx_investment",
        UsTransaction::PassiveInvestment => "us.tx_passive_investment",
        UsTransaction::None => "us.tx_none",
    })
}

/// A message argument that reads differently in each language.
fn with(msg: Msg, name: &'static str, value: Msg) -> Msg {
    let t = value.render();
    msg.arg2(name, t.en, t.zh)
}

fn with_country(msg: Msg, c: &ListedCountry) -> Msg {
    msg.arg2("country", c.name_en.clone(), c.name_zh.clone())
}

/// The US routes, weakest first: the order in which the stricter wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    NotCovered,
    Exempt,
    Restricted,
    Prohibited,
}

impl Route {
    fn id(self) -> &'static str {
        match self {
            Route::NotCovered => "not_covered",
            Route::Exempt => "exempt",
            Route::Restricted => "restricted",
            Route::Prohibited => "prohibited",
        }
    }
}

/// One instrument's outcome.
struct Outcome {
    route: Route,
    satisfied: bool,
    reasons: Vec<Reason>,
    obligations: Vec<Obligation>,
}

impl Outcome {
    fn new(route: Route, satisfied: bool) -> Outcome {
        Outcome {
            route,
            satisfied,
            reasons: Vec::new(),
            obligations: Vec::new(),
        }
    }
}

/// The DOJ rule's outcome (Subparts C–E, J, K).
fn judge_doj(f: &Facts, us: &UsFacts, d: &UsData) -> Outcome {
    let mut reasons = Vec::new();
    // Covered person: declared, or organised in a country of concern whatever is declared.
    let country = d.country_of_concern(&f.transfer.recipient_country);
    let covered = us.recipient_covered_person || country.is_some();
    match country {
        Some(c) => reasons.push(Reason::of(
            with_country(Msg::new("us.covered_person_country"), c),
            format!("{}; 28 CFR §202.211", c.citation),
        )),
        None if covered => reasons.push(Reason::of(
            Msg::new("us.covered_person_declared"),
            "28 CFR §202.211",
        )),
        None => reasons.push(Reason::of(
            Msg::new("us.not_covered_person"),
            "28 CFR §202.211; 28 CFR §202.601",
        )),
    }
    // Bulk: any kind MORE THAN its threshold over the preceding 12 months.
    let mut bulk = Vec::new();
    for th in &d.threshold {
        let n = bulk_count(&us.bulk_12_months, &th.kind);
        if n > th.more_than {
            // A ledger that stopped counting gives a lower bound: say so.
            let msg = if us.bulk_at_least && n >= d.bulk_count_enough() {
                "us.bulk_at_least"
            } else {
                "us.bulk"
            };
            reasons.push(Reason::of(
                with(Msg::new(msg), "kind", kind_name(&th.kind))
                    .arg("count", crate::format::thousands(n))
                    .arg("limit", crate::format::thousands(th.more_than)),
                th.citation.clone(),
            ));
            bulk.push(th.kind.as_str());
        }
    }
    if us.government_related {
        reasons.push(Reason::of(
            Msg::new("us.government_related"),
            "28 CFR §202.222",
        ));
    }
    if bulk.is_empty() && !us.government_related {
        reasons.push(Reason::of(
            Msg::new("us.below_thresholds"),
            "28 CFR §202.205; 28 CFR §202.222",
        ));
        return Outcome {
            reasons,
            ..Outcome::new(Route::NotCovered, true)
        };
    }
    if let Some(e) = us.exemption {
        let ex = d.exemption(e);
        reasons.push(Reason::of(
            with(Msg::new("us.exempt"), "exemption", exemption_name(e)),
            ex.citation.clone(),
        ));
        if e == UsExemption::CorporateGroup {
            reasons.push(Reason::of(
                Msg::new("us.corporate_group_caveat"),
                "28 CFR §202.506(b)",
            ));
        }
        return Outcome {
            reasons,
            ..Outcome::new(Route::Exempt, true)
        };
    }
    let omic = bulk.contains(&"human_genomic") || bulk.contains(&"human_omic");
    let duties_from = d.instrument("doj_duties").in_force;
    let records = |o: &mut Outcome| {
        let r = d.duty("records");
        let until = r
            .years
            .and_then(|y| f.as_of.checked_add(y.years()).ok())
            .unwrap_or(f.as_of);
        o.obligations.push(Obligation::of(
            "records",
            r.citation.clone(),
            Some(until),
            Msg::new("us.ob_records").arg("until", until),
        ));
    };
    let rejected_offer = |o: &mut Outcome| {
        let r = d.duty("rejected_offer_report");
        o.obligations.push(Obligation::of(
            "rejected_offer_report",
            r.citation.clone(),
            None,
            Msg::new("us.ob_rejected_offer")
                .arg("from", r.from.unwrap_or(duties_from))
                .arg("days", r.days.unwrap_or(14)),
        ));
    };
    if covered {
        let tx = us.transaction;
        match tx {
            UsTransaction::DataBrokerage => {
                reasons.push(Reason::of(
                    Msg::new("us.data_brokerage_covered"),
                    "28 CFR §202.301",
                ));
                if omic {
                    reasons.push(Reason::of(Msg::new("us.omic"), "28 CFR §202.303"));
                }
                let mut o = Outcome {
                    reasons,
                    ..Outcome::new(Route::Prohibited, false)
                };
                rejected_offer(&mut o);
                return o;
            }
            UsTransaction::Vendor | UsTransaction::Employment | UsTransaction::Investment => {
                if omic {
                    reasons.push(Reason::of(Msg::new("us.omic"), "28 CFR §202.303"));
                    return Outcome {
                        reasons,
                        ..Outcome::new(Route::Prohibited, false)
                    };
                }
                reasons.push(Reason::of(
                    with(
                        Msg::new("us.restricted"),
                        "transaction",
                        transaction_name(tx),
                    ),
                    "28 CFR §202.401",
                ));
                let cisa = f
                    .transfer
                    .mechanisms_in_place
                    .contains(&MechanismKind::CisaSecurityRequirements);
                reasons.push(Reason::of(
                    Msg::new(if cisa {
                        "us.cisa_in_place"
                    } else {
                        "us.cisa_missing"
                    }),
                    "28 CFR §202.248; 28 CFR §202.401",
                ));
                let mut o = Outcome {
                    reasons,
                    ..Outcome::new(Route::Restricted, cisa)
                };
                records(&mut o);
                restricted_duties(f.as_of, d, &mut o);
                return o;
            }
            UsTransaction::PassiveInvestment => {
                reasons.push(Reason::of(
                    Msg::new("us.passive_investment"),
                    "28 CFR §202.228(b)",
                ));
            }
            UsTransaction::None => {
                reasons.push(Reason::of(
                    Msg::new("us.no_covered_transaction"),
                    "28 CFR §202.210",
                ));
            }
        }
        return Outcome {
            reasons,
            ..Outcome::new(Route::NotCovered, true)
        };
    }
    // Not a covered person: only data brokerage with a foreign person is caught (§202.302).
    if us.transaction == UsTransaction::DataBrokerage && f.transfer.recipient_country != "US" {
        if !us.onward_transfer_clause {
            reasons.push(Reason::of(
                Msg::new("us.onward_no_clause"),
                "28 CFR §202.302(a)",
            ));
            let mut o = Outcome {
                reasons,
                ..Outcome::new(Route::Prohibited, false)
            };
            rejected_offer(&mut o);
            return o;
        }
        reasons.push(Reason::of(
            Msg::new("us.onward_clause"),
            "28 CFR §202.302(a)",
        ));
        let mut o = Outcome {
            reasons,
            ..Outcome::new(Route::NotCovered, true)
        };
        let b = d.duty("onward_breach_report");
        o.obligations.push(Obligation::of(
            "onward_breach_report",
            b.citation.clone(),
            None,
            Msg::new("us.ob_onward_breach").arg("days", b.days.unwrap_or(14)),
        ));
        records(&mut o);
        return o;
    }
    reasons.push(Reason::of(
        Msg::new("us.no_prohibition"),
        "28 CFR §202.301; 28 CFR §202.302; 28 CFR §202.401",
    ));
    Outcome {
        reasons,
        ..Outcome::new(Route::NotCovered, true)
    }
}

/// The compliance programme, audit and cloud report of a restricted transaction.
fn restricted_duties(as_of: Date, d: &UsData, o: &mut Outcome) {
    let from_default = d.instrument("doj_duties").in_force;
    let p = d.duty("compliance_programme");
    let from = p.from.unwrap_or(from_default);
    o.obligations.push(Obligation::of(
        "compliance_programme",
        p.citation.clone(),
        (as_of < from).then_some(from),
        Msg::new("us.ob_compliance_programme").arg("from", from),
    ));
    let a = d.duty("audit");
    let from = a.from.unwrap_or(from_default);
    let year = as_of.year().max(from.year());
    o.obligations.push(Obligation::of(
        "audit",
        a.citation.clone(),
        Some(date(year, 12, 31)),
        Msg::new("us.ob_audit")
            .arg("from", from)
            .arg("year", year)
            .arg("days", a.days.unwrap_or(60)),
    ));
    let c = d.duty("cloud_report");
    let from = c.from.unwrap_or(from_default);
    let year = as_of.year().max(from.year()) + 1;
    let due = date(year, c.due_month.unwrap_or(3), c.due_day.unwrap_or(1));
    o.obligations.push(Obligation::of(
        "cloud_report",
        c.citation.clone(),
        Some(due),
        Msg::new("us.ob_cloud_report")
            .arg("from", from)
            .arg("due", due)
            .arg("percent", c.percent.unwrap_or(25)),
    ));
}

/// PADFA's outcome.
fn judge_padfa(f: &Facts, us: &UsFacts, d: &UsData) -> Outcome {
    let mut o = Outcome::new(Route::NotCovered, true);
    if !us.data_broker {
        o.reasons.push(Reason::of(
            Msg::new("us.padfa_not_broker"),
            "15 U.S.C. §9901(c)",
        ));
        return o;
    }
    if !f.transfer.personal_information {
        o.reasons
            .push(Reason::of(Msg::new("us.padfa_no_pi"), "15 U.S.C. §9901(a)"));
        return o;
    }
    if let Some(c) = d.foreign_adversary(&f.transfer.recipient_country) {
        o.reasons.push(Reason::of(
            with_country(Msg::new("us.padfa_country"), c),
            format!("15 U.S.C. §9901(a)(1); {}", c.citation),
        ));
        o.route = Route::Prohibited;
        o.satisfied = false;
        return o;
    }
    if us.recipient_foreign_adversary_controlled {
        o.reasons.push(Reason::of(
            Msg::new("us.padfa_controlled"),
            "15 U.S.C. §9901(a)(2); 15 U.S.C. §9901(c)",
        ));
        o.route = Route::Prohibited;
        o.satisfied = false;
        return o;
    }
    o.reasons.push(Reason::of(
        Msg::new("us.padfa_no_adversary"),
        "15 U.S.C. §9901(a)",
    ));
    o
}

impl Regime for RegimeUS {
    fn id(&self) -> &'static str {
        "US"
    }

    fn applies(&self, f: &Facts) -> bool {
        f.exporter.is_us_person() && f.transfer.us.is_some()
    }

    fn evaluate(&self, f: &Facts) -> Result<Determination, RuleError> {
        let Some(us) = &f.transfer.us else {
            return Err(RuleError {
                regime: "US",
                message: "the facts carry no `transfer.us` block".into(),
            });
        };
        let d = us_data();
        let doj = d.instrument("doj_rule");
        let padfa = d.instrument("padfa");
        if f.as_of < padfa.in_force {
            return Ok(Determination {
                regime: "US",
                instrument: "none in force".into(),
                mechanism: Route::NotCovered.id(),
                satisfied: true,
                obligations: vec![],
                reasons: vec![Reason::of(
                    Msg::new("us.before_any")
                        .arg("as_of", f.as_of)
                        .arg("padfa", padfa.in_force)
                        .arg("doj", doj.in_force),
                    format!("{}; {}", padfa.citation, doj.citation),
                )],
            });
        }
        let p = judge_padfa(f, us, d);
        let j = if f.as_of < doj.in_force {
            let mut o = Outcome::new(Route::NotCovered, true);
            o.reasons.push(Reason::of(
                Msg::new("us.doj_not_yet")
                    .arg("as_of", f.as_of)
                    .arg("doj", doj.in_force),
                doj.citation.clone(),
            ));
            o
        } else {
            judge_doj(f, us, d)
        };
        let route = j.route.max(p.route);
        let instrument = match (j.route == route, p.route == route) {
            (true, true) if route > Route::Exempt => format!("{}; {}", doj.name, padfa.name),
            (true, false) | (true, true) if f.as_of >= doj.in_force => doj.name.clone(),
            _ => padfa.name.clone(),
        };
        let satisfied = match route {
            Route::NotCovered | Route::Exempt => true,
            Route::Prohibited => false,
            Route::Restricted => j.satisfied,
        };
        let mut reasons = j.reasons;
        reasons.extend(p.reasons);
        reasons.push(Reason::of(
            Msg::new("us.strictest")
                .arg2("doj", route_en(j.route.id()), route_zh(j.route.id()))
                .arg2("padfa", route_en(p.route.id()), route_zh(p.route.id()))
                .arg2("route", route_en(route.id()), route_zh(route.id())),
            format!("{}; {}", doj.citation, padfa.citation),
        ));
        let mut obligations = Vec::new();
        if j.route == route {
            obligations.extend(j.obligations);
        }
        if p.route == route {
            obligations.extend(p.obligations);
        }
        Ok(Determination {
            regime: "US",
            instrument,
            mechanism: route.id(),
            satisfied,
            obligations,
            reasons,
        })
    }

    fn info(&self) -> RegimeInfo {
        let d = us_data();
        RegimeInfo {
            id: "US",
            name: "United States: 28 CFR Part 202 (DOJ data security rule) and PADFA (15 U.S.C. 9901)",
            applies_when: "the exporter is a U.S. person (default: its country is US) and the facts carry `transfer.us`",
            mechanisms: &["not_covered", "exempt", "restricted", "prohibited"],
            instruments: d
                .instrument
                .iter()
                .map(|i| InstrumentInfo {
                    name: i.name.clone(),
                    in_force: i.in_force.to_string(),
                    note: i.note.clone(),
                })
                .collect(),
            thresholds: d
                .threshold
                .iter()
                .map(|t| ThresholdInfo {
                    text: format!("bulk {}: more than", t.kind),
                    value: format!("{} {}", t.more_than, t.unit),
                    citation: t.citation.clone(),
                })
                .chain(std::iter::once(ThresholdInfo {
                    text: "countries of concern".into(),
                    value: d
                        .country_of_concern
                        .iter()
                        .map(|c| c.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    citation: "28 CFR §202.601".into(),
                }))
                .chain(std::iter::once(ThresholdInfo {
                    text: "PADFA foreign adversary countries".into(),
                    value: d
                        .foreign_adversary
                        .iter()
                        .map(|c| c.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    citation: "15 U.S.C. §9901(c)".into(),
                }))
                .collect(),
        }
    }
}

/// A US route by its name (data/text/us.toml `[route]`), in English.
fn route_en(id: &str) -> String {
    crate::text::route_name("US", id).map_or_else(|| id.to_string(), |n| n.en.clone())
}

/// The same in Chinese.
fn route_zh(id: &str) -> String {
    crate::text::route_name("US", id).map_or_else(|| id.to_string(), |n| n.zh.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_loads_and_is_complete() {
        let d = us_data();
        for id in ["doj_rule", "doj_duties", "padfa"] {
            d.instrument(id);
        }
        for id in [
            "records",
            "compliance_programme",
            "audit",
            "cloud_report",
            "rejected_offer_report",
            "onward_breach_report",
        ] {
            d.duty(id);
        }
        for e in UsExemption::ALL {
            d.exemption(*e);
        }
        let kinds: Vec<&str> = d.threshold.iter().map(|t| t.kind.as_str()).collect();
        assert_eq!(kinds, KINDS);
        for c in d.category.iter().flat_map(|c| &c.kinds) {
            assert!(KINDS.contains(&c.as_str()), "unknown kind {c}");
        }
        for c in d.country_of_concern.iter().chain(&d.foreign_adversary) {
            assert!(
                outbound_model::country::name(&c.code).is_some(),
                "{}",
                c.code
            );
            assert!(crate::text::citation_known(&c.citation), "{}", c.citation);
        }
        for c in d
            .instrument
            .iter()
            .map(|i| &i.citation)
            .chain(d.threshold.iter().map(|t| &t.citation))
            .chain(d.exemption.iter().map(|e| &e.citation))
            .chain(d.duty.iter().map(|x| &x.citation))
        {
            assert!(crate::text::citation_known(c), "{c}");
        }
        // Every taxonomy category named exists.
        let tax = outbound_model::Taxonomy::builtin();
        for c in &d.category {
            assert!(tax.get(&c.prefix).is_some(), "{}", c.prefix);
        }
    }
}
