//! The overseas recipient's obligations: which checklist applies to a
//! recipient (from the mechanisms of the transfers made to it) and where each
//! obligation stands given its attestations and a date.
//!
//! The checklist and the attestation schedule are data
//! (`data/recipient-obligations.toml`), each item with its article or clause;
//! this module holds only the logic.
//!
//! How an obligation stands on a day (`as_of`):
//! - the due date is the last attestation's day plus the schedule (12 months);
//!   never attested, it is the mechanism's effective date plus the schedule
//!   (the recipient has one schedule period from the day the contract takes
//!   effect to attest for the first time);
//! - `not_met`: the latest attestation says the obligation is not met;
//! - `overdue`: `as_of` is after the due date (on the due date itself it is
//!   still due, not overdue);
//! - `never_attested`: no attestation yet and not yet overdue;
//! - `due_soon`: the due date is within `due_soon_days` (30) of `as_of`;
//! - `current`: otherwise.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use jiff::ToSpan;
use jiff::civil::Date;
use outbound_model::{DataMap, MechanismKind, RecipientRole};
use serde::{Deserialize, Serialize};

/// How often a recipient attests.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Months between attestations of one obligation.
    pub months: i32,
    /// Days before the due date from which an obligation is due soon.
    pub due_soon_days: i32,
    /// Where the interval comes from.
    pub basis: String,
}

/// A mechanism whose recipient obligations are listed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistMechanism {
    /// `standard_contract`, `scc_module_1` or `scc_module_2`.
    pub id: String,
    /// Full name.
    pub name: String,
    /// The instrument that sets the clauses.
    pub instrument: String,
    /// The day the instrument took effect.
    pub in_force: Date,
}

/// One obligation of the overseas recipient.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientObligation {
    /// Stable id (`sc-3-5`, `scc2-8.6`).
    pub id: String,
    /// The checklist mechanisms it belongs to.
    pub applies: Vec<String>,
    /// Only for a recipient with this role (`processor`), when set.
    #[serde(default)]
    pub role: Option<String>,
    /// The article or clause, in English.
    pub reference: String,
    /// The article or clause, in Chinese.
    pub reference_zh: String,
    /// What the recipient must do, in English.
    pub en: String,
    /// What the recipient must do, in Chinese.
    pub zh: String,
    /// `confirmed` or `unconfirmed` against the text.
    pub status: String,
    /// Remarks on the source.
    #[serde(default)]
    pub note: Option<String>,
}

/// The whole data file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientData {
    /// The attestation schedule.
    pub schedule: Schedule,
    /// The mechanisms with a checklist.
    pub mechanism: Vec<ChecklistMechanism>,
    /// Every obligation.
    pub obligation: Vec<RecipientObligation>,
}

impl RecipientData {
    /// The obligation with this id.
    pub fn obligation(&self, id: &str) -> Option<&RecipientObligation> {
        self.obligation.iter().find(|o| o.id == id)
    }
}

static DATA: LazyLock<RecipientData> = LazyLock::new(|| {
    toml::from_str(include_str!("../data/recipient-obligations.toml"))
        .expect("recipient-obligations.toml is valid (tested)")
});

/// The bundled checklist data.
pub fn data() -> &'static RecipientData {
    &DATA
}

/// An obligation that applies to a recipient, with the transfers that bring it.
#[derive(Clone, Debug, Serialize)]
pub struct Applicable {
    /// The obligation.
    pub obligation: &'static RecipientObligation,
    /// The checklist mechanism(s) that bring it.
    pub mechanisms: Vec<String>,
    /// The transfers whose mechanism brings it.
    pub transfers: Vec<String>,
    /// The earliest effective date of those mechanisms, if any is dated.
    pub effective: Option<Date>,
}

/// A transfer's mechanism for which no checklist exists (SCC Modules 3 and
/// 4, or a mechanism that is not a contract).
#[derive(Clone, Debug, Serialize)]
pub struct Uncovered {
    /// The transfer.
    pub transfer: String,
    /// What it uses (`scc module 3`).
    pub mechanism: String,
}

/// The checklist that applies to one recipient.
#[derive(Clone, Debug, Serialize)]
pub struct Checklist {
    /// The recipient's id.
    pub recipient: String,
    /// The obligations, in the data file's order.
    pub items: Vec<Applicable>,
    /// Contract mechanisms with no checklist here.
    pub uncovered: Vec<Uncovered>,
}

/// The checklist mechanism a transfer's mechanism maps to, or `None` where
/// there is none (`Err` names what is uncovered).
fn checklist_mechanism(
    kind: MechanismKind,
    module: Option<u8>,
    role: RecipientRole,
) -> Option<Result<&'static str, String>> {
    match kind {
        MechanismKind::StandardContract => Some(Ok("standard_contract")),
        MechanismKind::Scc => {
            // Without a module, the recipient's role decides (controller: One, processor: Two).
            let m = module.unwrap_or(match role {
                RecipientRole::Controller => 1,
                _ => 2,
            });
            Some(match m {
                1 => Ok("scc_module_1"),
                2 => Ok("scc_module_2"),
                other => Err(format!("scc module {other}")),
            })
        }
        _ => None,
    }
}

/// The checklist for `recipient` in `map`, or `None` if the map has no such recipient.
pub fn checklist(map: &DataMap, recipient: &str) -> Option<Checklist> {
    let r = map.recipients.iter().find(|r| r.id == recipient)?;
    let mut by_mech: BTreeMap<&str, (Vec<String>, Option<Date>)> = BTreeMap::new();
    let mut uncovered = Vec::new();
    for t in map.transfers.iter().filter(|t| t.recipient == recipient) {
        for m in &t.mechanisms {
            match checklist_mechanism(m.kind, m.module, r.role) {
                Some(Ok(id)) => {
                    let e = by_mech.entry(id).or_default();
                    if !e.0.contains(&t.id) {
                        e.0.push(t.id.clone());
                    }
                    if let Some(d) = m.effective {
                        e.1 = Some(e.1.map_or(d, |x| x.min(d)));
                    }
                }
                Some(Err(what)) => uncovered.push(Uncovered {
                    transfer: t.id.clone(),
                    mechanism: what,
                }),
                None => {}
            }
        }
    }
    let role = r.role.as_str();
    let items = data()
        .obligation
        .iter()
        .filter(|o| o.role.as_deref().is_none_or(|want| want == role))
        .filter_map(|o| {
            let mechs: Vec<&str> = o
                .applies
                .iter()
                .map(String::as_str)
                .filter(|m| by_mech.contains_key(m))
                .collect();
            if mechs.is_empty() {
                return None;
            }
            let mut transfers: Vec<String> = Vec::new();
            let mut effective: Option<Date> = None;
            for m in &mechs {
                let (ts, e) = &by_mech[m];
                for t in ts {
                    if !transfers.contains(t) {
                        transfers.push(t.clone());
                    }
                }
                if let Some(d) = e {
                    effective = Some(effective.map_or(*d, |x| x.min(*d)));
                }
            }
            Some(Applicable {
                obligation: o,
                mechanisms: mechs.iter().map(|m| m.to_string()).collect(),
                transfers,
                effective,
            })
        })
        .collect();
    Some(Checklist {
        recipient: recipient.to_string(),
        items,
        uncovered,
    })
}

/// The latest attestation of one obligation, as the status needs it.
#[derive(Clone, Debug)]
pub struct LastAttestation {
    /// The obligation's id.
    pub obligation: String,
    /// The day it was made (UTC).
    pub on: Date,
    /// Whether it said the obligation is not met.
    pub not_met: bool,
}

/// Where an obligation stands; declared worst first (the order of a status list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// The latest attestation says it is not met.
    NotMet,
    /// The due date has passed.
    Overdue,
    /// Never attested, and the first attestation is not yet overdue.
    NeverAttested,
    /// Due within the due-soon window.
    DueSoon,
    /// Attested, next due later.
    Current,
}

impl Standing {
    /// The name used in JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::NotMet => "not_met",
            Standing::Overdue => "overdue",
            Standing::NeverAttested => "never_attested",
            Standing::DueSoon => "due_soon",
            Standing::Current => "current",
        }
    }
}

/// One obligation's status on a day.
#[derive(Clone, Debug, Serialize)]
pub struct ObligationStatus {
    /// The obligation's id.
    pub obligation: String,
    /// Its article or clause.
    pub reference: String,
    /// Where it stands.
    pub standing: Standing,
    /// The last attestation's day, if any.
    pub last: Option<Date>,
    /// When the next attestation is due (`None`: never attested and no mechanism is dated).
    pub due: Option<Date>,
}

/// `d` plus the schedule, saturating at the calendar's end.
fn plus_schedule(d: Date, s: &Schedule) -> Date {
    d.checked_add(s.months.months()).unwrap_or(Date::MAX)
}

/// Where each obligation of `checklist` stands on `as_of`, given the latest
/// attestation of each (others in `last` are ignored); worst first, then by
/// due date, then in checklist order.
pub fn status(
    checklist: &Checklist,
    last: &[LastAttestation],
    as_of: Date,
) -> Vec<ObligationStatus> {
    let s = &data().schedule;
    let mut out: Vec<(usize, ObligationStatus)> = checklist
        .items
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let latest = last
                .iter()
                .filter(|l| l.obligation == a.obligation.id)
                .max_by_key(|l| l.on);
            let due = match latest {
                Some(l) => Some(plus_schedule(l.on, s)),
                None => a.effective.map(|e| plus_schedule(e, s)),
            };
            let overdue = due.is_some_and(|d| as_of > d);
            let soon = due.is_some_and(|d| {
                d.checked_sub(s.due_soon_days.days())
                    .is_ok_and(|from| as_of >= from)
            });
            let standing = match latest {
                Some(l) if l.not_met => Standing::NotMet,
                _ if overdue => Standing::Overdue,
                None => Standing::NeverAttested,
                Some(_) if soon => Standing::DueSoon,
                Some(_) => Standing::Current,
            };
            (
                i,
                ObligationStatus {
                    obligation: a.obligation.id.clone(),
                    reference: a.obligation.reference.clone(),
                    standing,
                    last: latest.map(|l| l.on),
                    due,
                },
            )
        })
        .collect();
    out.sort_by_key(|(i, o)| (o.standing, o.due, *i));
    out.into_iter().map(|(_, o)| o).collect()
}
