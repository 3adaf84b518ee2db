//! The filing package for the provincial cyberspace administration (Standard
//! Contract Measures Art. 7–8): deadline, materials and re-filing triggers.

use std::collections::BTreeSet;

use outbound_model::{DataMap, MechanismKind, Recipient, Transfer};
use outbound_rules::calendar::WorkingCalendar;
use outbound_rules::data;
use outbound_rules::format::thousands;
use serde_json::{Value, json};

use super::context::{retention_text, sensitive_of, transfer_ctx};
use super::{Cx, determination};
use crate::sources::{Figure, SourceKind};
use crate::templates::Strings;

/// What every filing rests on, whatever the data.
pub(super) const CITATIONS: &[&str] = &[
    "Standard Contract Measures Art. 7",
    "Standard Contract Measures Art. 8",
];

/// The context of `templates/<lang>/filing.md.j2`.
pub(super) fn context(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
    let tc = transfer_ctx(cx, t);
    let as_of = cx.input.assessment.as_of;
    let what = format!("transfer {}", t.id);
    let sc = t
        .mechanisms
        .iter()
        .find(|m| m.kind == MechanismKind::StandardContract);
    // The deadline: the rules' `filing` obligation when still open, else computed from the effective date.
    let obligation = determination(cx.input, &t.id, "CN")
        .and_then(|d| d.obligations.iter().find(|o| o.id == "filing"))
        .cloned();
    let filing = data::china().deadlines.get("filing", as_of);
    let cal = WorkingCalendar::china();
    let deadline = match (&obligation, sc.and_then(|m| m.effective)) {
        (Some(o), _) if o.due.is_some() => {
            let src = cx.assessment_src(&format!(
                "transfer {}, obligation filing ({})",
                t.id, o.citation
            ));
            o.due.map(|d| (d, src))
        }
        (_, Some(eff)) => {
            let days = filing.value;
            let wd = cal.add_working_days(eff, days);
            let year_src = cal.year(wd.date.year()).map_or(
                "no official calendar on file: Monday to Friday counted".to_string(),
                |y| y.source.clone(),
            );
            let src = cx.src.add(
                SourceKind::Data,
                format!("{days} working days after {eff} (outbound-rules data/cn.toml deadline `filing`; calendar: {year_src})"),
            );
            Some((wd.date, src))
        }
        _ => None,
    };
    let filed = sc.and_then(|m| m.filed);
    let deadline_ctx = deadline.map(|(d, src)| {
        let state = match filed {
            Some(f) if f <= d => cx.t("filing.filed_in_time"),
            Some(_) => cx.t("filing.filed_late"),
            None if d < as_of => cx.overdue(d),
            None => cx.t("filing.open"),
        };
        json!({"date": Figure { value: cx.date(d), src }, "state": state})
    });
    cx.cite(&filing.citation);
    // Materials (SCC Filing Guide, 2nd ed., 2024-03-22).
    let contract_ready = sc.is_some_and(|m| m.effective.is_some() && m.reference.is_some());
    let pipia_ready = t.pipia.is_some();
    let mut materials = Vec::new();
    for (id, state, src) in [
        ("uscc_copy", "not_tracked", None),
        ("legal_rep_id", "not_tracked", None),
        ("agent_id", "not_tracked", None),
        ("authorisation", "not_tracked", None),
        ("commitment", "not_tracked", None),
        (
            "contract",
            if contract_ready { "ready" } else { "missing" },
            sc.map(|m| {
                cx.map_src(
                    &m.loc,
                    &format!("{what}, mechanism standard_contract"),
                    "reference",
                )
            }),
        ),
        (
            "pipia_report",
            if pipia_ready { "ready" } else { "missing" },
            Some(cx.map_src(&t.loc, &what, "pipia")),
        ),
        ("other", "not_tracked", None),
    ] {
        materials.push(json!({
            "name": cx.t(&format!("material.{id}")),
            "state": Figure { value: cx.t(&format!("state.{state}")), src: src.unwrap_or_else(|| cx.src.add(SourceKind::Method, "not recorded in the data map: to be confirmed by the filing officer")) },
            "ready": state == "ready",
        }));
    }
    let triggers = refiling_triggers(cx, t);
    json!({
        "t": tc,
        "deadline": deadline_ctx,
        "filed": filed.map(|f| { let d = cx.date(f); cx.map_fig(d, &sc.expect("filed implies a contract").loc, &format!("{what}, mechanism standard_contract"), "filed") }),
        "materials": materials,
        "missing": materials_missing(&cx.s, contract_ready, pipia_ready),
        "compared": cx.input.filed_map.is_some(),
        "triggers": triggers,
    })
}

fn materials_missing(s: &Strings, contract: bool, pipia: bool) -> Vec<String> {
    let mut v = Vec::new();
    if !contract {
        v.push(s.t("material.contract"));
    }
    if !pipia {
        v.push(s.t("material.pipia_report"));
    }
    v
}

/// Standard Contract Measures Art. 8: what changed since the map that was filed.
fn refiling_triggers(cx: &mut Cx<'_, '_>, t: &Transfer) -> Vec<Value> {
    let Some(filed) = cx.input.filed_map else {
        return Vec::new();
    };
    let what = format!("transfer {}", t.id);
    let Some(old) = filed.transfer(&t.id) else {
        let src = cx.map_src(&t.loc, &what, "id");
        return vec![
            json!({"trigger": cx.t("trigger.new_transfer"), "before": null, "after": null, "change": Figure { value: t.id.clone(), src }}),
        ];
    };
    changes(cx, filed, old, t)
        .into_iter()
        .map(|c| {
            // The key's line in the map now and in the map as filed.
            let now = cx.loc.find(&t.loc, c.key);
            let then = cx.loc.find(&old.loc, c.key);
            let src = cx
                .src
                .add(SourceKind::Map, format!("{now} ({what}: {})", c.key));
            let filed_src = cx
                .src
                .add(SourceKind::FiledMap, format!("{then} ({what}: {})", c.key));
            json!({
                "trigger": cx.t(&format!("trigger.{}", c.trigger)),
                "before": Figure { value: c.before, src: filed_src },
                "after": Figure { value: c.after, src },
            })
        })
        .collect()
}

/// A change that triggers re-filing.
struct Change {
    /// The map key that changed, whose line both maps cite.
    key: &'static str,
    /// `trigger.<id>` in strings.toml.
    trigger: &'static str,
    before: String,
    after: String,
}

impl Change {
    fn when(
        changed: bool,
        key: &'static str,
        trigger: &'static str,
        before: impl ToString,
        after: impl ToString,
    ) -> Option<Change> {
        changed.then(|| Change {
            key,
            trigger,
            before: before.to_string(),
            after: after.to_string(),
        })
    }
}

/// What changed between transfer `old` of the map as filed and `t` now, in
/// the order Art. 8 lists the triggers.
fn changes(cx: &Cx<'_, '_>, filed: &DataMap, old: &Transfer, t: &Transfer) -> Vec<Change> {
    let now = cx.input.map;
    let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
    let cats = |m: &DataMap, t: &Transfer| -> BTreeSet<String> {
        m.transfer_fields(t).map(|f| f.category.clone()).collect()
    };
    let (c_old, c_new) = (cats(filed, old), cats(now, t));
    let added: Vec<String> = c_new.difference(&c_old).cloned().collect();
    let sens = |m: &DataMap, t: &Transfer| -> BTreeSet<String> {
        m.transfer_fields(t)
            .filter_map(|f| sensitive_of(m, f))
            .map(|c| c.as_str().to_string())
            .collect()
    };
    let (s_old, s_new) = (sens(filed, old), sens(now, t));
    let storage = |s: &outbound_model::Storage| {
        format!("{} {}", s.country, s.location.clone().unwrap_or_default())
            .trim()
            .to_string()
    };
    let mut changes = vec![
        Change::when(
            t.purpose != old.purpose,
            "purpose",
            "purpose",
            &old.purpose,
            &t.purpose,
        ),
        Change::when(
            !added.is_empty(),
            "fields",
            "categories",
            list(&c_old),
            format!("+ {}", added.join(", ")),
        ),
        Change::when(
            s_new.difference(&s_old).next().is_some(),
            "fields",
            "sensitivity",
            list(&s_old),
            list(&s_new),
        ),
        Change::when(
            t.individuals_per_year > old.individuals_per_year,
            "individuals_per_year",
            "scale",
            thousands(old.individuals_per_year),
            thousands(t.individuals_per_year),
        ),
        Change::when(
            t.method != old.method,
            "method",
            "method",
            old.method,
            t.method,
        ),
        Change::when(
            t.storage.country != old.storage.country || t.storage.location != old.storage.location,
            "storage",
            "storage",
            storage(&old.storage),
            storage(&t.storage),
        ),
        Change::when(
            t.retention_abroad_days > old.retention_abroad_days,
            "retention_abroad",
            "retention",
            retention_text(cx, old.retention_abroad_days),
            retention_text(cx, t.retention_abroad_days),
        ),
        Change::when(
            t.recipient != old.recipient,
            "recipient",
            "recipient",
            &old.recipient,
            &t.recipient,
        ),
    ];
    // The same recipient: did its onward recipients or its country change?
    if t.recipient == old.recipient
        && let (Some(rn), Some(ro)) = (now.recipient(&t.recipient), filed.recipient(&old.recipient))
    {
        let onward = |r: &Recipient| {
            r.onward_recipients
                .iter()
                .map(|o| format!("{} ({})", o.name, o.country))
                .collect::<Vec<_>>()
        };
        let (on_old, on_new) = (onward(ro), onward(rn));
        changes.push(Change::when(
            on_new != on_old,
            "recipient",
            "onward",
            on_old.join(", "),
            on_new.join(", "),
        ));
        changes.push(Change::when(
            rn.country != ro.country,
            "recipient",
            "destination",
            &ro.country,
            &rn.country,
        ));
    }
    changes.into_iter().flatten().collect()
}
