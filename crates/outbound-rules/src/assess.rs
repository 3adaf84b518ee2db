//! From a data map to determinations: builds one facts document per transfer
//! and runs the rules on it, then sums each exporter's counts against the
//! thresholds in force.
//!
//! Counts: until the ledger holds exact figures, an exporter's cumulative count
//! for the year is the larger of what the map states was exported and the sum
//! of the per-year estimates of its transfers that count towards thresholds.
//! The sum is an upper bound (an individual in two transfers is counted twice),
//! which errs on the safe side, as docs/CONTRACTS.md asks for planned transfers.
//! Transfers that count: those with personal information, except foreign-transit
//! data (Provisions Art. 4) and free-trade-zone data outside the negative list
//! (Art. 6). See `regime::cn` for why exempted necessity transfers still count.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::Date;
use outbound_model::{
    DataMap, Dataset, Exporter, MechanismKind, SensitiveClass, SubjectKind, Taxonomy, Transfer,
};
use serde::Serialize;

use crate::data::china;
use crate::determination::Determination;
use crate::facts::{Counts, Cumulative, Dates, ExporterFacts, Facts, TransferFacts};
use crate::format::thousands;

/// Counts already exported, from a source better than the map (the ledger).
pub trait CountSource {
    /// Distinct individuals exported by `exporter` in the window starting on `from` up to `to`, inclusive.
    fn exported(&self, exporter: &str, from: Date, to: Date) -> Option<Counts>;

    /// Distinct individuals the given transfers delivered from `from` to `to`
    /// inclusive, or None when the source cannot say: the US regime's 12-month
    /// volume per counterparty (28 CFR §202.205, see `regime::us`).
    fn delivered_to(&self, _transfers: &[&str], _from: Date, _to: Date) -> Option<u64> {
        None
    }

    /// Where this source stops counting a window, if it does: an answer of
    /// at least this is "at least so many" (see `UsData::bulk_count_enough`).
    fn delivered_counted_to(&self) -> Option<u64> {
        None
    }
}

/// The result of assessing a whole map.
#[derive(Debug, Serialize)]
pub struct Assessment {
    /// The date judged at; chooses the instruments in force.
    pub as_of: Date,
    /// One per transfer, in map order.
    pub transfers: Vec<TransferAssessment>,
    /// One per exporter.
    pub exporters: Vec<ExporterSummary>,
    /// Corporate groups of two or more Chinese exporters, summed against splitting.
    pub groups: Vec<GroupSummary>,
}

/// A corporate group's entities counted together.
///
/// The Provisions forbid splitting a volume across entities to stay under a
/// threshold; whether a group must be counted as one exporter depends on the
/// facts, so Outbound shows the group total and warns when it crosses a
/// threshold that no single entity crosses.
#[derive(Debug, Serialize)]
pub struct GroupSummary {
    /// Group id.
    pub group: String,
    /// Its Chinese exporters.
    pub exporters: Vec<String>,
    /// Sum of their current-year counts (an upper bound: people may overlap).
    pub current_year: Counts,
    /// Set when the group total crosses a threshold that none of its entities crosses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// One transfer's determinations.
#[derive(Debug, Serialize)]
pub struct TransferAssessment {
    /// Transfer id.
    pub transfer: String,
    /// Display name.
    pub name: Option<String>,
    /// Exporter id.
    pub exporter: String,
    /// Recipient id.
    pub recipient: String,
    /// Recipient country.
    pub recipient_country: String,
    /// Where the transfer is defined (`file:line:column`).
    pub source: String,
    /// The facts the rules were given.
    pub facts: Facts,
    /// One per regime that applies.
    pub determinations: Vec<Determination>,
    /// Pairs of regimes whose demands cannot both be met as declared.
    pub conflicts: Vec<crate::conflicts::Conflict>,
    /// Set when the rules could not judge the facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An exporter's counts against the thresholds in force.
#[derive(Debug, Serialize)]
pub struct ExporterSummary {
    /// Exporter id.
    pub exporter: String,
    /// Name.
    pub name: String,
    /// Country.
    pub country: String,
    /// Cumulative counts for the current year.
    pub current_year: Counts,
    /// Where the counts come from.
    pub counts_source: String,
    /// Each threshold with the count it compares.
    pub thresholds: Vec<ThresholdLine>,
    /// What else bears on the exporter's thresholds (CIIO status …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The transfers whose estimates add up to the count, so a reader can see where it comes from.
    pub contributions: Vec<Contribution>,
}

/// One transfer's part in an exporter's count.
#[derive(Debug, Serialize)]
pub struct Contribution {
    /// Transfer id.
    pub transfer: String,
    /// Estimated individuals per year.
    pub individuals: u64,
    /// Estimated sensitive individuals per year.
    pub sensitive_individuals: u64,
    /// Set when the transfer is exempt from every route but still counts (see docs/RULES.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exempt_but_counted: Option<String>,
}

/// One line such as "312,450 of 1,000,000 non-sensitive".
#[derive(Debug, Serialize)]
pub struct ThresholdLine {
    /// Individuals counted so far in the window.
    pub count: u64,
    /// The threshold, reached at this count or more.
    pub at_least: u64,
    /// `individuals` or `sensitive_individuals`.
    pub measure: String,
    /// The route it triggers.
    pub route: String,
    /// The article that sets the threshold.
    pub citation: String,
    /// Whether it is reached.
    pub reached: bool,
    /// Human-readable form.
    pub text: String,
}

struct Index<'a> {
    datasets: HashMap<&'a str, &'a Dataset>,
    exporters: HashMap<&'a str, &'a Exporter>,
}

/// What one transfer contains, derived from its fields.
struct Contents {
    personal: bool,
    classes: BTreeSet<SensitiveClass>,
}

fn contents(map: &DataMap, idx: &Index<'_>, t: &Transfer, tax: &Taxonomy) -> Contents {
    let mut personal = false;
    let mut classes = BTreeSet::new();
    for r in &t.fields {
        let Some(d) = idx.datasets.get(r.dataset.as_str()) else {
            continue;
        };
        for f in d
            .fields
            .iter()
            .filter(|f| r.field == "*" || f.name == r.field)
        {
            let Some(c) = tax.get(&f.category) else {
                continue;
            };
            if !c.personal {
                continue;
            }
            personal = true;
            if let Some(class) = c.sensitivity(map.sensitivity_profile) {
                classes.insert(class);
            }
            if f.subject == SubjectKind::ChildUnder14 {
                classes.insert(SensitiveClass::MinorUnder14);
            }
        }
    }
    Contents { personal, classes }
}

/// `outside_ftz`: computed from the zone's negative list (`ftz::resolve`), never the map's word alone.
fn counts_towards_thresholds(t: &Transfer, _e: &Exporter, c: &Contents, outside_ftz: bool) -> bool {
    crate::facts::counts_towards_thresholds(c.personal, t.origin, outside_ftz)
}

/// Whether the individuals of a transfer count towards China's cumulative
/// thresholds: the one home of that rule, read by the assessment and the gate.
/// Data outside the regime (Provisions Art. 3, 4 and 6) is recorded, not counted.
pub fn transfer_counts_towards_thresholds(map: &DataMap, t: &Transfer, as_of: Date) -> bool {
    let idx = Index {
        datasets: map.datasets.iter().map(|d| (d.id.as_str(), d)).collect(),
        exporters: map.exporters.iter().map(|e| (e.id.as_str(), e)).collect(),
    };
    let Some(e) = idx.exporters.get(t.exporter.as_str()) else {
        return true;
    };
    let c = contents(map, &idx, t, Taxonomy::builtin());
    counts_towards_thresholds(t, e, &c, crate::ftz::resolve(map, t, as_of).outside)
}

/// Builds the facts for every transfer of the map.
pub fn facts_for_map(
    map: &DataMap,
    as_of: Date,
    counts: Option<&dyn CountSource>,
) -> Vec<(usize, Facts)> {
    let tax = Taxonomy::builtin();
    let idx = Index {
        datasets: map.datasets.iter().map(|d| (d.id.as_str(), d)).collect(),
        exporters: map.exporters.iter().map(|e| (e.id.as_str(), e)).collect(),
    };
    let contents: Vec<Contents> = map
        .transfers
        .iter()
        .map(|t| contents(map, &idx, t, tax))
        .collect();
    // Per-exporter estimate sums, in one pass.
    let mut sums: HashMap<&str, Counts> = HashMap::new();
    for (t, c) in map.transfers.iter().zip(&contents) {
        let Some(e) = idx.exporters.get(t.exporter.as_str()) else {
            continue;
        };
        let outside_ftz = crate::ftz::resolve(map, t, as_of).outside;
        if counts_towards_thresholds(t, e, c, outside_ftz) {
            let s = sums.entry(e.id.as_str()).or_default();
            *s = s.saturating_add(Counts {
                individuals: t.individuals_per_year,
                sensitive_individuals: sensitive_estimate(t, c),
            });
        }
    }
    let year_start = jiff::civil::date(as_of.year(), 1, 1);
    let prev_start = jiff::civil::date(as_of.year() - 1, 1, 1);
    let mut out = Vec::with_capacity(map.transfers.len());
    for (i, (t, c)) in map.transfers.iter().zip(&contents).enumerate() {
        let (Some(e), Some(r)) = (
            idx.exporters.get(t.exporter.as_str()),
            map.recipient(&t.recipient),
        ) else {
            continue;
        };
        let (current, previous) = exporter_counts(
            e,
            sums.get(e.id.as_str()).copied().unwrap_or_default(),
            counts,
            year_start,
            prev_start,
            as_of,
        );
        let mut dates = Dates {
            pipia_completed: t.pipia.as_ref().map(|p| p.completed),
            ..Dates::default()
        };
        for m in &t.mechanisms {
            match m.kind {
                MechanismKind::StandardContract => {
                    dates.contract_effective = m.effective;
                    dates.contract_filed = m.filed;
                }
                MechanismKind::SecurityAssessment => {
                    dates.assessment_approved = m.approved;
                    dates.assessment_expires = m.expires;
                }
                MechanismKind::Certification => dates.certification_expires = m.expires,
                MechanismKind::Scc => dates.tia_completed = m.tia_completed,
                MechanismKind::Bcr
                | MechanismKind::AuthorityApproval
                | MechanismKind::CisaSecurityRequirements => {}
            }
        }
        // A mechanism counts as in place once it has taken effect.
        let in_place = t
            .mechanisms
            .iter()
            .filter(|m| m.effective.or(m.approved).is_none_or(|d| d <= as_of))
            .map(|m| m.kind)
            .collect();
        let facts = Facts {
            version: None,
            as_of,
            exporter: ExporterFacts {
                id: e.id.clone(),
                country: e.country.clone(),
                ciio: e.ciio,
                individuals_processed: e.individuals_processed,
                free_trade_zone: e.free_trade_zone.clone(),
                gdpr_applies: e.gdpr_applies,
                us_person: e.us_person,
            },
            transfer: TransferFacts {
                id: t.id.clone(),
                recipient_country: r.country.clone(),
                origin: t.origin,
                personal_information: c.personal,
                important_data: crate::grade::important_data(map, t),
                necessity: t.necessity,
                sensitive_categories: c.classes.iter().copied().collect(),
                individuals: t.individuals_per_year,
                sensitive_individuals: sensitive_estimate(t, c),
                mechanisms_in_place: in_place,
                recipient_dpf_certified: r.dpf_certified,
                derogation: t.derogation,
                outside_ftz_negative_list: crate::ftz::resolve(map, t, as_of).outside,
                legal_basis: Some(t.legal_basis),
                dates,
                foreign_authority_request: false,
                us: crate::regime::us::us_facts_for_transfer(map, t, as_of, counts),
                ru: crate::regime::ru::facts_for_transfer(t),
            },
            cumulative: Cumulative {
                current_year: current,
                previous_and_current_year: Some(previous),
            },
        };
        out.push((i, facts));
    }
    out
}

fn sensitive_estimate(t: &Transfer, c: &Contents) -> u64 {
    match t.sensitive_individuals_per_year {
        Some(s) => s,
        None if !c.classes.is_empty() => t.individuals_per_year,
        None => 0,
    }
}

/// Current-year and previous-and-current-year counts for an exporter.
fn exporter_counts(
    e: &Exporter,
    estimates: Counts,
    ledger: Option<&dyn CountSource>,
    year_start: Date,
    prev_start: Date,
    as_of: Date,
) -> (Counts, Counts) {
    let stated = |s: &Option<outbound_model::StatedCounts>| {
        s.as_ref()
            .map(|s| Counts {
                individuals: s.individuals,
                sensitive_individuals: s.sensitive_individuals,
            })
            .unwrap_or_default()
    };
    // The map's stated figure covers exports before the ledger counted; the two add up
    // (an individual in both is counted twice, on the safe side).
    let from_ledger = ledger.and_then(|l| l.exported(&e.id, year_start, as_of));
    // Saturating: a tampered ledger near u64::MAX must not wrap below a threshold.
    let current = stated(&e.exported_this_year)
        .saturating_add(from_ledger.unwrap_or_default())
        .max(estimates);
    let last_year = match ledger.and_then(|l| l.exported(&e.id, prev_start, as_of)) {
        Some(window) => return (current, window.max(current)),
        None if e.exported_last_year.is_some() => stated(&e.exported_last_year),
        // Nothing stated: assume last year looked like this one.
        None => current,
    };
    (current, current.saturating_add(last_year))
}

/// Where an exporter's figures come from, for the report.
fn counts_source(e: &Exporter, ledger: bool) -> String {
    if ledger {
        return "the map's stated figures plus the ledger's exact distinct individuals, or the sum of per-year estimates where larger".into();
    }
    match &e.exported_this_year {
        Some(s) => format!(
            "the larger of the map's stated figures{} and the sum of per-year estimates of its transfers",
            s.as_of.map_or(String::new(), |d| format!(" (as of {d})"))
        ),
        None => "sum of per-year estimates of its transfers (an upper bound)".into(),
    }
}

/// Assesses every transfer of the map as of a date.
pub fn assess(map: &DataMap, as_of: Date, counts: Option<&dyn CountSource>) -> Assessment {
    let facts = facts_for_map(map, as_of, counts);
    let mut transfers = Vec::with_capacity(facts.len());
    let mut per_exporter: HashMap<String, Facts> = HashMap::new();
    for (i, f) in facts {
        let t = &map.transfers[i];
        let (determinations, conflicts, error) = match crate::evaluate(&f) {
            Ok(ev) => (ev.determinations, ev.conflicts, None),
            Err(e) => (Vec::new(), Vec::new(), Some(e.to_string())),
        };
        per_exporter
            .entry(t.exporter.clone())
            .or_insert_with(|| f.clone());
        transfers.push(TransferAssessment {
            transfer: t.id.clone(),
            name: t.name.clone(),
            exporter: t.exporter.clone(),
            recipient: t.recipient.clone(),
            recipient_country: f.transfer.recipient_country.clone(),
            source: t.loc.to_string(),
            facts: f,
            determinations,
            conflicts,
            error,
        });
    }
    let exporters: Vec<ExporterSummary> = map
        .exporters
        .iter()
        .map(|e| {
            let cum = per_exporter.get(&e.id).map(|f| f.cumulative.clone());
            let current = cum.as_ref().map(|c| c.current_year).unwrap_or_default();
            let counted = china().judges_exporter(&e.country);
            let thresholds = if counted { threshold_lines(as_of, cum.as_ref(), e) } else { Vec::new() };
            let note = if counted && e.ciio {
                Some("a CIIO: every export of personal information needs a security assessment whatever the volume (Provisions Art. 7(1))".to_string())
            } else if !counted {
                Some("no China volume thresholds apply".to_string())
            } else {
                None
            };
            ExporterSummary {
                exporter: e.id.clone(),
                name: e.name.clone(),
                country: e.country.clone(),
                current_year: current,
                counts_source: counts_source(e, counts.is_some()),
                thresholds,
                note,
                contributions: contributions(&transfers, &e.id),
            }
        })
        .collect();
    let groups = group_summaries(map, &exporters, as_of);
    Assessment {
        as_of,
        transfers,
        exporters,
        groups,
    }
}

/// The transfers of an exporter that count towards its thresholds, largest first.
fn contributions(transfers: &[TransferAssessment], exporter: &str) -> Vec<Contribution> {
    let mut v: Vec<Contribution> = transfers
        .iter()
        .filter(|t| t.exporter == exporter)
        .filter(|t| t.facts.counts_towards_thresholds())
        .map(|t| Contribution {
            transfer: t.transfer.clone(),
            individuals: t.facts.transfer.individuals,
            sensitive_individuals: t.facts.transfer.sensitive_individuals,
            exempt_but_counted: t
                .determinations
                .iter()
                .find(|d| d.regime == "CN" && d.mechanism == "exempt")
                .and_then(|d| d.reasons.first())
                // Below the thresholds (Art. 5(4)) is counted by definition; flag only the other exemptions.
                .filter(|r| r.id != "cn.below_thresholds")
                .map(|r| r.citation.clone()),
        })
        .collect();
    v.sort_by(|a, b| {
        b.individuals
            .cmp(&a.individuals)
            .then_with(|| a.transfer.cmp(&b.transfer))
    });
    v
}

fn group_summaries(map: &DataMap, exporters: &[ExporterSummary], as_of: Date) -> Vec<GroupSummary> {
    let mut groups: std::collections::BTreeMap<&str, Vec<(&Exporter, &ExporterSummary)>> =
        Default::default();
    for (e, s) in map.exporters.iter().zip(exporters) {
        if let Some(g) = &e.group
            && china().judges_exporter(&e.country)
            && !e.ciio
        {
            groups.entry(g.as_str()).or_default().push((e, s));
        }
    }
    let d = china();
    let provisions = as_of >= d.instrument("provisions_2024").in_force;
    groups
        .into_iter()
        .filter(|(_, members)| members.len() >= 2)
        .map(|(g, members)| {
            let total = members.iter().fold(Counts::default(), |acc, (_, s)| acc.saturating_add(s.current_year));
            let mut warning = None;
            if provisions {
                for id in ["sa_individuals", "sa_sensitive", "sc_individuals"] {
                    let th = d.threshold(id);
                    let v = |c: &Counts| if th.measure == "individuals" { c.individuals } else { c.sensitive_individuals };
                    if v(&total) >= th.at_least && members.iter().all(|(_, s)| v(&s.current_year) < th.at_least) {
                        warning = Some(format!(
                            "together the group's entities reach {} ({} or more, {} → {}), which no single entity does: splitting a volume to avoid a security assessment is not allowed (Standard Contract Measures Art. 4, second paragraph); check whether the entities must be counted together",
                            thousands(v(&total)), thousands(th.at_least), th.citation, th.route
                        ));
                        break;
                    }
                }
            }
            GroupSummary { group: g.to_string(), exporters: members.iter().map(|(e, _)| e.id.clone()).collect(), current_year: total, warning }
        })
        .collect()
}

fn threshold_lines(as_of: Date, cum: Option<&Cumulative>, e: &Exporter) -> Vec<ThresholdLine> {
    let d = china();
    let provisions = as_of >= d.instrument("provisions_2024").in_force;
    let ids: &[&str] = if provisions {
        &["sc_individuals", "sa_individuals", "sa_sensitive"]
    } else {
        &["sa_exported", "sa_exported_sensitive", "sa_processed"]
    };
    ids.iter()
        .map(|id| {
            let th = d.threshold(id);
            let c = match (th.window.as_str(), cum) {
                ("processed", _) => Counts {
                    individuals: e.individuals_processed,
                    sensitive_individuals: 0,
                },
                ("previous_and_current_year", Some(c)) => {
                    c.previous_and_current_year.unwrap_or(c.current_year)
                }
                (_, Some(c)) => c.current_year,
                (_, None) => Counts::default(),
            };
            let count = if th.measure == "individuals" {
                c.individuals
            } else {
                c.sensitive_individuals
            };
            let what = match (th.measure.as_str(), th.window.as_str()) {
                (_, "processed") => "individuals processed",
                ("individuals", _) => "individuals",
                _ => "individuals with sensitive PI",
            };
            ThresholdLine {
                count,
                at_least: th.at_least,
                measure: th.measure.clone(),
                route: th.route.clone(),
                citation: th.citation.clone(),
                reached: count >= th.at_least,
                text: format!(
                    "{} of {} {what}{} ({}, {})",
                    thousands(count),
                    thousands(th.at_least),
                    if count < th.at_least && th.at_least > 1 {
                        format!(", {}%", count.saturating_mul(100) / th.at_least)
                    } else {
                        String::new()
                    },
                    th.route,
                    th.citation
                ),
            }
        })
        .collect()
}
