//! The overview: transfers and whether each route is in place, this month's
//! deadlines, and per exporter the threshold charts with the projected
//! crossing dates.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use minijinja::context;
use outbound_rules::assess::{ExporterSummary, TransferAssessment};
use outbound_rules::format::thousands;
use outbound_store::{Account, Role};

use super::chart::{Threshold, Words, crossing, threshold_chart};
use super::{LangQuery, Texts, language, render, ser, strings};
use crate::access::{Action, allows};
use crate::api::{sees, view};
use crate::api_incidents::incidents;
use crate::api_recipients::obligations_from;
use crate::auth::PageUser;
use crate::state::AppState;

/// An obligation, its due date if it has one, and the transfer it belongs to.
#[derive(serde::Serialize)]
pub(super) struct Deadline {
    due: Option<String>,
    overdue: bool,
    transfer: String,
    transfer_name: String,
    regime: &'static str,
    id: &'static str,
    label: String,
    label_zh: String,
    text: String,
    text_zh: String,
    citation: String,
    citation_zh: String,
}

/// The obligations of `transfers` whose due date (None: no date) passes
/// `keep`, soonest first, those without a date last.
pub(super) fn deadlines<'a>(
    transfers: impl Iterator<Item = &'a TransferAssessment>,
    as_of: Date,
    keep: impl Fn(Option<Date>) -> bool,
) -> Vec<Deadline> {
    let mut out = Vec::new();
    for t in transfers {
        for d in &t.determinations {
            for o in d.obligations.iter().filter(|o| keep(o.due)) {
                out.push(Deadline {
                    due: o.due.map(|d| d.to_string()),
                    overdue: o.due.is_some_and(|d| d < as_of),
                    transfer: t.transfer.clone(),
                    transfer_name: t.name.clone().unwrap_or_else(|| t.transfer.clone()),
                    regime: d.regime,
                    id: o.id,
                    label: o.label.clone(),
                    label_zh: o.label_zh.clone(),
                    text: o.text.clone(),
                    text_zh: o.text_zh.clone(),
                    citation: o.citation.clone(),
                    citation_zh: o.citation_zh.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.due.is_none(), &a.due, &a.transfer).cmp(&(b.due.is_none(), &b.due, &b.transfer))
    });
    out
}

/// The string `k`, or `k` itself when a language lacks it.
pub(super) fn text<'a>(t: &'a Texts, k: &'a str) -> &'a str {
    t.get(k).map_or(k, String::as_str)
}

/// One exporter's table rows and charts.
fn exporter_view(e: &ExporterSummary, as_of: Date, lang: &str, t: &Texts) -> serde_json::Value {
    let s = |k: &'static str| text(t, k);
    let words = Words {
        lang,
        today: s("chart_today"),
        crossing: s("chart_crossing"),
        not_this_year: s("not_this_year"),
        reached: s("reached"),
        per_day: s("chart_per_day"),
        above: s("chart_above"),
    };
    let lines: Vec<_> = e
        .thresholds
        .iter()
        .map(|l| {
            let pct = l
                .count
                .saturating_mul(100)
                .checked_div(l.at_least)
                .map_or(100, |p| p.min(100));
            let cross = (!l.reached && l.at_least > 1)
                .then(|| crossing(as_of, l.count, l.at_least))
                .flatten();
            serde_json::json!({
                "at_least": thousands(l.at_least),
                "count": thousands(l.count),
                "measure": l.measure, "route": l.route, "citation": l.citation,
                "reached": l.reached, "percent": pct,
                "crossing": cross.map(|d| d.to_string()),
            })
        })
        .collect();
    let mut charts = Vec::new();
    for measure in ["individuals", "sensitive_individuals"] {
        let of: Vec<_> = e
            .thresholds
            .iter()
            .filter(|l| l.measure == measure && l.at_least > 1)
            .collect();
        let Some(count) = of.iter().map(|l| l.count).max() else {
            continue;
        };
        let drawn: Vec<Threshold> = of
            .iter()
            .map(|l| Threshold {
                at_least: l.at_least,
                label: super::route_label(lang, "CN", &l.route),
            })
            .collect();
        let title = text(t, &format!("measure_{measure}")).to_string();
        charts.push(threshold_chart(&title, count, &drawn, as_of, &words));
    }
    serde_json::json!({"id": e.exporter, "name": e.name, "thresholds": lines, "charts": charts})
}

/// A recipient with obligations overdue or not met, as the API judges them.
#[derive(serde::Serialize)]
struct Behind {
    id: String,
    name: String,
    overdue: usize,
    not_met: usize,
}

/// The recipients `a` may read whose obligations are overdue or not met
/// (`api_recipients::obligations_from`, so the page and the API agree); none for
/// a role that does not read obligations.
async fn recipients_behind(state: &AppState, a: &Account) -> Vec<Behind> {
    if !allows(a.role, Action::ReadObligations) {
        return Vec::new();
    }
    // One read of the store for every recipient on the page.
    let Ok(latest) = state.store(|s, _| s.latest_attestations(None)).await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in &state.map().recipients {
        if a.role == Role::Recipient && a.recipient.as_deref() != Some(r.id.as_str()) {
            continue;
        }
        // A recipient without a checklist (no standard contract) is "not found".
        let Ok(list) = obligations_from(state, a, &r.id, &latest) else {
            continue;
        };
        let count = |s: &str| list.obligations.iter().filter(|o| o.standing == s).count();
        let (overdue, not_met) = (count("overdue"), count("not_met"));
        if overdue + not_met > 0 {
            out.push(Behind {
                id: r.id.clone(),
                name: r.name.clone(),
                overdue,
                not_met,
            });
        }
    }
    out
}

/// An open incident with clocks running or missed.
#[derive(serde::Serialize)]
struct Pending {
    id: String,
    title: String,
    severity: String,
    /// The earliest due time of its running clocks (UTC; `immediately` /
    /// `without undue delay` when none has a time), if one is running.
    next_due: Option<String>,
    running: usize,
    missed: usize,
}

/// The open incidents with clocks running or missed (`api_incidents::incidents`);
/// none for a role that does not read incidents.
async fn incidents_pending(state: &AppState, a: &Account) -> Vec<Pending> {
    if !allows(a.role, Action::ReadIncidents) {
        return Vec::new();
    }
    let Ok(list) = incidents(state, a).await else {
        return Vec::new();
    };
    list.incidents
        .into_iter()
        .filter(|i| i.state == "open")
        .filter_map(|i| {
            let running: Vec<_> = i.clocks.iter().filter(|c| c.state == "running").collect();
            let missed = i.clocks.iter().filter(|c| c.state == "missed").count();
            if running.is_empty() && missed == 0 {
                return None;
            }
            // The soonest fixed time; a word ("without undue delay") only
            // when no running clock has a time.
            let next_due = running
                .iter()
                .map(|c| (c.due.parse::<jiff::Timestamp>().ok(), &c.due))
                .min_by_key(|(t, _)| (t.is_none(), *t))
                .map(|(_, d)| d.clone());
            Some(Pending {
                id: i.id,
                title: i.title,
                severity: i.severity,
                next_due,
                running: running.len(),
                missed,
            })
        })
        .collect()
}

/// Rows of the transfers table per page.
const PAGE: usize = 100;

/// `?offset=N`: the first row of the transfers table.
#[derive(serde::Deserialize, Default)]
pub(super) struct Paging {
    offset: Option<usize>,
}

pub(super) async fn overview(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    Query(paging): Query<Paging>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    let snap = match state.snapshot().await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let a = &user.account;
    let visible: Vec<&TransferAssessment> = if allows(a.role, Action::ReadTransfers) {
        snap.assessment
            .transfers
            .iter()
            .filter(|t| sees(a, t))
            .collect()
    } else {
        Vec::new()
    };
    // Those that need attention (a route not in place, an error, a suspension)
    // first; a page of them at a time, so that a map of 10,000 transfers
    // draws in milliseconds (the API lists them all).
    let needs_attention =
        |t: &TransferAssessment| t.error.is_some() || t.determinations.iter().any(|d| !d.satisfied);
    let unsatisfied = visible.iter().filter(|t| needs_attention(t)).count();
    let suspended = visible
        .iter()
        .filter(|t| snap.suspended(&t.transfer))
        .count();
    let mut ordered: Vec<&TransferAssessment> = visible.clone();
    ordered.sort_by_key(|t| !(needs_attention(t) || snap.suspended(&t.transfer)));
    let total = ordered.len();
    let offset = paging
        .offset
        .unwrap_or(0)
        .min(total.saturating_sub(1) / PAGE * PAGE);
    let transfers: Vec<_> = ordered
        .iter()
        .skip(offset)
        .take(PAGE)
        .map(|t| view(&snap, t))
        .collect();
    let pages = serde_json::json!({
        "total": total,
        "first": if total == 0 { 0 } else { offset + 1 },
        "last": offset + transfers.len(),
        "prev": (offset > 0).then(|| offset.saturating_sub(PAGE)),
        "next": (offset + PAGE < total).then_some(offset + PAGE),
    });
    let as_of = snap.as_of;
    let t = strings().get(lang.0).cloned().unwrap_or_default();
    let exporters: Vec<serde_json::Value> = if allows(a.role, Action::ReadStatus) {
        snap.assessment
            .exporters
            .iter()
            .map(|e| exporter_view(e, as_of, lang.0, &t))
            .collect()
    } else {
        Vec::new()
    };
    let this_month = deadlines(visible.iter().copied(), as_of, |d| {
        d.is_some_and(|d| d.year() == as_of.year() && d.month() == as_of.month())
    });
    // A recipient's own: every obligation of the transfers made to it.
    let concern = if a.role == Role::Recipient {
        deadlines(visible.iter().copied(), as_of, |_| true)
    } else {
        Vec::new()
    };
    let batches = if allows(a.role, Action::ReadBatches) && a.role != Role::Recipient {
        state.store(|s, _| s.batch_count()).await.unwrap_or(0)
    } else {
        0
    };
    let behind = recipients_behind(&state, a).await;
    let pending = incidents_pending(&state, a).await;
    render(
        "overview.html",
        StatusCode::OK,
        lang,
        Some(&user),
        context! {
            page => "overview",
            as_of => as_of.to_string(),
            month => format!("{:04}-{:02}", as_of.year(), as_of.month()),
            transfers => ser(&transfers),
            pages => ser(&pages),
            exporters => ser(&exporters),
            deadlines => ser(&this_month),
            obligations => ser(&concern),
            recipient => a.recipient.as_deref().and_then(|r| state.map().recipient(r)).map(|r| ser(serde_json::json!({"name": r.name, "country": r.country}))),
            unsatisfied, suspended, batches,
            reads_obligations => allows(a.role, Action::ReadObligations),
            reads_incidents => allows(a.role, Action::ReadIncidents),
            behind => ser(&behind),
            pending => ser(&pending),
            clocks_at => super::clocks_at(),
            reviews => super::reviews::overview(&state, a).await,
            complaints => super::complaints::overview(&state, a).await,
            requests => super::rights::overview(&state, a).await,
        },
    )
}
