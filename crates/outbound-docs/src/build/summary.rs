//! The compliance summary for management: every transfer's status, the
//! obligations due, and each Chinese exporter's headroom under the thresholds
//! with its charts.

use outbound_rules::Obligation;
use outbound_rules::assess::TransferAssessment;
use outbound_rules::format::thousands;
use serde_json::{Value, json};

use super::context::country_name;
use super::{Cx, merge};
use crate::Attachment;
use crate::chart;
use crate::sources::{Figure, SourceKind};

/// The context of `templates/<lang>/summary.md.j2`.
pub(super) fn context(cx: &mut Cx<'_, '_>) -> Value {
    let a = cx.input.assessment;
    let map = cx.input.map;
    let as_of = a.as_of;
    let mut rows = Vec::new();
    for ta in &a.transfers {
        let t = map.transfer(&ta.transfer);
        let src = match t {
            Some(t) => cx.map_src(&t.loc, &format!("transfer {}", t.id), "id"),
            None => cx.src.add(SourceKind::Map, ta.source.clone()),
        };
        for d in &ta.determinations {
            let dsrc = cx.determination_src(ta, d);
            let open: Vec<&Obligation> = d
                .obligations
                .iter()
                .filter(|o| !o.id.ends_with("_retention"))
                .collect();
            let next = open
                .iter()
                .filter_map(|o| o.due.map(|due| (due, o)))
                .min_by_key(|(due, _)| *due);
            let next = next.map(|(due, o)| {
                let mut v = format!("{} {}", cx.said(&o.label, &o.label_zh), cx.date(due));
                if due < as_of {
                    v = cx.paren(&v, &cx.overdue(due));
                }
                Figure {
                    value: v,
                    src: dsrc.clone(),
                }
            });
            for o in &d.obligations {
                cx.cite(&o.citation);
            }
            let status = cx.status(d.satisfied);
            rows.push(row(
                cx,
                ta,
                &src,
                json!({
                    "regime": d.regime,
                    "route": cx.lang.route(d.regime, d.mechanism),
                    "status": Figure { value: status, src: dsrc.clone() },
                    "satisfied": d.satisfied,
                    "open": Figure { value: open.len().to_string(), src: dsrc.clone() },
                    "next": next,
                }),
            ));
        }
        if let Some(err) = &ta.error {
            let dsrc = cx.assessment_src(&format!("transfer {}: {err}", ta.transfer));
            let status = cx.t("status.error");
            rows.push(row(
                cx,
                ta,
                &src,
                json!({
                    "regime": "—", "route": "—", "satisfied": false,
                    "status": Figure { value: status, src: dsrc.clone() },
                    "open": Figure { value: "—".into(), src: dsrc }, "next": null,
                }),
            ));
        }
    }
    let not_in_place = rows.iter().filter(|r| r["satisfied"] == false).count();
    let overdue: usize = a
        .transfers
        .iter()
        .flat_map(|t| &t.determinations)
        .flat_map(|d| &d.obligations)
        .filter(|o| !o.id.ends_with("_retention") && o.due.is_some_and(|d| d < as_of))
        .count();
    let all_src = cx.assessment_src("all transfers");
    let kpis = json!({
        "transfers": Figure { value: a.transfers.len().to_string(), src: all_src.clone() },
        "not_in_place": Figure { value: not_in_place.to_string(), src: all_src.clone() },
        "overdue": Figure { value: overdue.to_string(), src: all_src },
    });
    // Threshold headroom and charts, per Chinese exporter.
    let mut exporters = Vec::new();
    for s in &a.exporters {
        if s.thresholds.is_empty() {
            continue;
        }
        let e = map.exporter(&s.exporter);
        let ledger = cx
            .input
            .evidence
            .ledger
            .iter()
            .find(|l| l.exporter == s.exporter && l.year == as_of.year())
            .cloned();
        let count_src = match &ledger {
            Some(l) => cx.src.add(SourceKind::Ledger, l.query.clone()),
            None => {
                let stated = e.and_then(|e| {
                    e.exported_this_year
                        .as_ref()
                        .map(|_| cx.loc.find(&e.loc, "exported_this_year"))
                });
                let detail = match stated {
                    Some(at) => format!(
                        "exporter {} counts since 1 January: {} (stated at {at})",
                        s.exporter, s.counts_source
                    ),
                    None => format!(
                        "exporter {} counts since 1 January: {}",
                        s.exporter, s.counts_source
                    ),
                };
                cx.assessment_src(&detail)
            }
        };
        let lines: Vec<Value> = s
            .thresholds
            .iter()
            .map(|l| {
                let tsrc = cx.src.add(
                    SourceKind::Data,
                    format!(
                        "outbound-rules data/cn.toml threshold {} {} ≥ {} ({})",
                        l.route, l.measure, l.at_least, l.citation
                    ),
                );
                let citation = cx.cite(&l.citation);
                let headroom = if l.reached {
                    cx.t("headroom.reached")
                } else {
                    thousands(l.at_least - l.count)
                };
                json!({
                    "measure": cx.t(&format!("measure.{}", l.measure)),
                    "count": Figure { value: thousands(l.count), src: count_src.clone() },
                    "threshold": Figure { value: thousands(l.at_least), src: tsrc.clone() },
                    "headroom": Figure { value: headroom, src: count_src.clone() },
                    "route": cx.lang.route("CN", &l.route),
                    "citation": citation,
                    "reached": l.reached,
                })
            })
            .collect();
        let (svg_ind, svg_sens) = chart::exporter_charts(cx.lang, &cx.s, s, as_of, ledger.as_ref());
        let mut charts = Vec::new();
        for (m, svg) in [("individuals", svg_ind), ("sensitive", svg_sens)] {
            let name = format!("summary-{}-{m}.svg", s.exporter);
            cx.attachments.push(Attachment {
                name: name.clone(),
                content: svg,
            });
            let method = cx.src.add(
                SourceKind::Method,
                "chart: straight line from 0 on 1 January to the count on the assessment date (ledger series where available), dashed projection to 31 December at the same average daily rate",
            );
            charts.push(json!({"file": name, "alt": cx.t(&format!("chart.{m}")), "src": method}));
        }
        exporters.push(json!({
            "id": s.exporter,
            "name": s.name,
            "note": s.note,
            "ciio": e.is_some_and(|e| e.ciio),
            "lines": lines,
            "charts": charts,
        }));
    }
    let groups: Vec<Value> = a
        .groups
        .iter()
        .filter_map(|g| {
            g.warning
                .as_ref()
                .map(|w| json!({"group": g.group, "warning": w}))
        })
        .collect();
    json!({"rows": rows, "kpis": kpis, "exporters": exporters, "groups": groups})
}

/// One row of the status table: the transfer, where from and to, and `status`
/// (its route and obligations under one regime, or why it was not assessed).
fn row(cx: &Cx<'_, '_>, ta: &TransferAssessment, src: &str, status: Value) -> Value {
    let mut row = json!({
        "id": Figure { value: ta.transfer.clone(), src: src.to_string() },
        "from": ta.exporter,
        "to": country_name(cx, &ta.recipient_country),
    });
    merge(&mut row, status);
    row
}
