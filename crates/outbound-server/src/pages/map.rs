//! The data map page: exporters → systems → datasets → recipients (grouped
//! by country), drawn server-side as one SVG a person can read at a glance.
//! A recipient account sees only the part of the map that leads to it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use outbound_model::DataMap;
use outbound_store::{Account, Role};

use super::overview::text;
use super::svg::{escape, fit};
use super::{LangQuery, Texts, forbidden_page, language, render, strings};
use crate::access::{Action, allows};
use crate::auth::PageUser;
use crate::state::{AppState, Snapshot};

const BOX_W: f64 = 210.0;
const BOX_H: f64 = 40.0;
const GAP: f64 = 12.0;
const COL_GAP: f64 = 110.0;
const TOP: f64 = 44.0;
const LEFT: f64 = 16.0;
/// Room above a country's recipients for its code.
const GROUP_HEAD: f64 = 22.0;

/// The part of the map an account may see: every transfer, or a recipient's own.
struct Part<'a> {
    transfers: Vec<&'a outbound_model::Transfer>,
    exporters: Vec<&'a outbound_model::Exporter>,
    systems: Vec<&'a outbound_model::System>,
    datasets: Vec<&'a outbound_model::Dataset>,
    recipients: Vec<&'a outbound_model::Recipient>,
}

fn part<'a>(map: &'a DataMap, account: &Account) -> Part<'a> {
    let Some(own) = (account.role == Role::Recipient).then_some(account.recipient.as_deref())
    else {
        return Part {
            transfers: map.transfers.iter().collect(),
            exporters: map.exporters.iter().collect(),
            systems: map.systems.iter().collect(),
            datasets: map.datasets.iter().collect(),
            recipients: map.recipients.iter().collect(),
        };
    };
    let transfers: Vec<_> = map
        .transfers
        .iter()
        .filter(|t| Some(t.recipient.as_str()) == own)
        .collect();
    let datasets: BTreeSet<&str> = transfers
        .iter()
        .flat_map(|t| t.fields.iter().map(|f| f.dataset.as_str()))
        .collect();
    let datasets: Vec<_> = map
        .datasets
        .iter()
        .filter(|d| datasets.contains(d.id.as_str()))
        .collect();
    let systems: Vec<_> = map
        .systems
        .iter()
        .filter(|s| datasets.iter().any(|d| d.system == s.id))
        .collect();
    let exporters: Vec<_> = map
        .exporters
        .iter()
        .filter(|e| {
            transfers.iter().any(|t| t.exporter == e.id)
                || systems.iter().any(|s| s.exporter == e.id)
        })
        .collect();
    let recipients = map
        .recipients
        .iter()
        .filter(|r| Some(r.id.as_str()) == own)
        .collect();
    Part {
        transfers,
        exporters,
        systems,
        datasets,
        recipients,
    }
}

/// A box's place: its column's x and its top.
#[derive(Clone, Copy)]
struct At {
    x: f64,
    y: f64,
}

/// Tops for boxes wanted at `want` (their centres), in order, at least a box
/// and a gap apart.
fn spread(want: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(want.len());
    let mut next = TOP;
    for w in want {
        let y = (w - BOX_H / 2.0).max(next);
        out.push(y);
        next = y + BOX_H + GAP;
    }
    out
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, s) = v.fold((0u32, 0.0), |(n, s), x| (n + 1, s + x));
    (n > 0).then(|| s / f64::from(n))
}

/// Draws the part of the map as SVG; every label is escaped.
fn draw(p: &Part<'_>, snap: &Snapshot, t: &Texts) -> String {
    let col = |i: f64| LEFT + i * (BOX_W + COL_GAP);
    // Datasets first, in system order, then the rest placed on them.
    let sys_order: HashMap<&str, usize> = p
        .systems
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut datasets = p.datasets.clone();
    datasets.sort_by_key(|d| {
        sys_order
            .get(d.system.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    });
    let mut at: HashMap<(u8, &str), At> = HashMap::new();
    for (i, d) in datasets.iter().enumerate() {
        let y = TOP + i as f64 * (BOX_H + GAP);
        at.insert((2, d.id.as_str()), At { x: col(2.0), y });
    }
    let centre = |a: &At| a.y + BOX_H / 2.0;
    let mut fallback = TOP;
    // Systems at the mean height of their datasets.
    let mut systems: Vec<(&outbound_model::System, f64)> = p
        .systems
        .iter()
        .map(|s| {
            let want = mean(
                datasets
                    .iter()
                    .filter(|d| d.system == s.id)
                    .filter_map(|d| at.get(&(2, d.id.as_str())).map(centre)),
            )
            .unwrap_or_else(|| {
                fallback += BOX_H + GAP;
                fallback
            });
            (*s, want)
        })
        .collect();
    systems.sort_by(|a, b| a.1.total_cmp(&b.1));
    let tops = spread(&systems.iter().map(|s| s.1).collect::<Vec<_>>());
    for ((s, _), y) in systems.iter().zip(tops) {
        at.insert((1, s.id.as_str()), At { x: col(1.0), y });
    }
    // Exporters at the mean height of their systems.
    let mut exporters: Vec<(&outbound_model::Exporter, f64)> = p
        .exporters
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let want = mean(
                p.systems
                    .iter()
                    .filter(|s| s.exporter == e.id)
                    .filter_map(|s| at.get(&(1, s.id.as_str())).map(centre)),
            )
            .unwrap_or(TOP + i as f64 * (BOX_H + GAP));
            (*e, want)
        })
        .collect();
    exporters.sort_by(|a, b| a.1.total_cmp(&b.1));
    let tops = spread(&exporters.iter().map(|e| e.1).collect::<Vec<_>>());
    for ((e, _), y) in exporters.iter().zip(tops) {
        at.insert((0, e.id.as_str()), At { x: col(0.0), y });
    }
    // Edges into recipients: one per dataset and recipient, naming its transfers.
    let mut flows: BTreeMap<(&str, &str), Vec<&outbound_model::Transfer>> = BTreeMap::new();
    for tr in &p.transfers {
        let ds: BTreeSet<&str> = tr.fields.iter().map(|f| f.dataset.as_str()).collect();
        for d in ds {
            flows
                .entry((d, tr.recipient.as_str()))
                .or_default()
                .push(tr);
        }
    }
    // Recipients grouped by country; countries and recipients in the order of
    // the datasets that feed them, so that lines cross as little as may be.
    let feed = |r: &str| {
        mean(
            flows
                .keys()
                .filter(|(_, to)| *to == r)
                .filter_map(|(d, _)| at.get(&(2, *d)).map(centre)),
        )
        .unwrap_or(f64::MAX)
    };
    let mut countries: BTreeMap<&str, Vec<(&outbound_model::Recipient, f64)>> = BTreeMap::new();
    for r in &p.recipients {
        countries
            .entry(r.country.as_str())
            .or_default()
            .push((*r, feed(&r.id)));
    }
    let mut groups: Vec<(&str, Vec<(&outbound_model::Recipient, f64)>)> = countries
        .into_iter()
        .map(|(c, mut rs)| {
            rs.sort_by(|a, b| a.1.total_cmp(&b.1));
            (c, rs)
        })
        .collect();
    let group_key = |g: &(&str, Vec<(&outbound_model::Recipient, f64)>)| {
        mean(g.1.iter().map(|r| r.1).filter(|v| *v < f64::MAX)).unwrap_or(f64::MAX)
    };
    groups.sort_by(|a, b| group_key(a).total_cmp(&group_key(b)));
    let mut y = TOP;
    let mut group_boxes = Vec::new();
    for (country, rs) in &groups {
        let top = y;
        y += GROUP_HEAD;
        for (r, _) in rs {
            at.insert((3, r.id.as_str()), At { x: col(3.0), y });
            y += BOX_H + GAP;
        }
        group_boxes.push((*country, top, y - GAP + 6.0));
        y += GAP;
    }
    let bottom = at
        .values()
        .map(|a| a.y + BOX_H)
        .chain(group_boxes.iter().map(|g| g.2))
        .fold(TOP, f64::max)
        + 16.0;
    let width = col(3.0) + BOX_W + LEFT;

    let mut o = String::new();
    let title = escape(text(t, "map"));
    let _ = write!(
        o,
        r##"<svg class="map" id="map-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {bottom}" font-size="12" role="img" aria-label="{title}"><title>{title}</title><rect width="{width}" height="{bottom}" fill="#fff"/>"##
    );
    for (i, k) in ["exporters", "systems", "datasets", "recipients"]
        .iter()
        .enumerate()
    {
        let _ = write!(
            o,
            r##"<text x="{:.1}" y="24" font-weight="700" fill="#5b6775">{}</text>"##,
            col(i as f64),
            escape(text(t, k))
        );
    }
    for (country, top, end) in &group_boxes {
        let c = escape(country);
        let _ = write!(
            o,
            r##"<g class="country" data-country="{c}"><rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" rx="8" fill="#f1f4f8" stroke="#d9dee5"/><text x="{:.1}" y="{:.1}" font-weight="700" fill="#1f4e8c">{c}</text></g>"##,
            col(3.0) - 8.0,
            BOX_W + 16.0,
            end - top,
            col(3.0),
            top + 15.0
        );
    }
    // Edges under the boxes.
    let edge = |o: &mut String, from: At, to: At, stroke: &str, dash: &str, title: &str| {
        let (x1, y1) = (from.x + BOX_W, from.y + BOX_H / 2.0);
        let (x2, y2) = (to.x, to.y + BOX_H / 2.0);
        let mx = (x1 + x2) / 2.0;
        let _ = write!(
            o,
            r##"<path d="M{x1:.1},{y1:.1} C{mx:.1},{y1:.1} {mx:.1},{y2:.1} {x2:.1},{y2:.1}" fill="none" stroke="{stroke}" stroke-width="1.6"{dash}>{title}</path>"##
        );
    };
    for s in &p.systems {
        if let (Some(a), Some(b)) = (
            at.get(&(0, s.exporter.as_str())),
            at.get(&(1, s.id.as_str())),
        ) {
            edge(&mut o, *a, *b, "#9aa5b1", "", "");
        }
    }
    for d in &datasets {
        if let (Some(a), Some(b)) = (at.get(&(1, d.system.as_str())), at.get(&(2, d.id.as_str()))) {
            edge(&mut o, *a, *b, "#9aa5b1", "", "");
        }
    }
    for ((d, r), trs) in &flows {
        let (Some(a), Some(b)) = (at.get(&(2, *d)), at.get(&(3, *r))) else {
            continue;
        };
        let in_place = trs.iter().all(|tr| {
            snap.assessment
                .transfers
                .iter()
                .find(|x| x.transfer == tr.id)
                .is_some_and(|x| x.error.is_none() && x.determinations.iter().all(|d| d.satisfied))
        });
        let suspended = trs.iter().any(|tr| snap.suspended(&tr.id));
        let names: Vec<String> = trs
            .iter()
            .map(|tr| tr.name.clone().unwrap_or_else(|| tr.id.clone()))
            .collect();
        let title = format!("<title>{}</title>", escape(&names.join("; ")));
        let stroke = if in_place { "#1f4e8c" } else { "#b3261e" };
        let dash = if suspended {
            r#" stroke-dasharray="6,4""#
        } else {
            ""
        };
        edge(&mut o, *a, *b, stroke, dash, &title);
    }
    // Boxes.
    let boxed = |o: &mut String, a: At, kind: &str, id: &str, name: &str, sub: &str| {
        let _ = write!(
            o,
            r##"<g class="node {kind}" data-id="{}"><title>{} ({})</title><rect x="{:.1}" y="{:.1}" width="{BOX_W}" height="{BOX_H}" rx="5" fill="#fff" stroke="#1d2733"/><text x="{:.1}" y="{:.1}" font-weight="600">{}</text><text x="{:.1}" y="{:.1}" font-size="10.5" fill="#5b6775">{}</text></g>"##,
            escape(id),
            escape(name),
            escape(id),
            a.x,
            a.y,
            a.x + 8.0,
            a.y + 16.0,
            escape(&fit(name, 27)),
            a.x + 8.0,
            a.y + 31.0,
            escape(&fit(sub, 34)),
        );
    };
    for (e, _) in &exporters {
        if let Some(a) = at.get(&(0, e.id.as_str())) {
            boxed(
                &mut o,
                *a,
                "exporter",
                &e.id,
                &e.name,
                &format!("{} · {}", e.country, e.id),
            );
        }
    }
    for (s, _) in &systems {
        if let Some(a) = at.get(&(1, s.id.as_str())) {
            let sub = s.location.clone().unwrap_or_else(|| s.id.clone());
            boxed(&mut o, *a, "system", &s.id, &s.name, &sub);
        }
    }
    for d in &datasets {
        if let Some(a) = at.get(&(2, d.id.as_str())) {
            let sub = format!("{} · {} {}", d.id, d.fields.len(), text(t, "fields"));
            boxed(&mut o, *a, "dataset", &d.id, &d.name, &sub);
        }
    }
    for (_, rs) in &groups {
        for (r, _) in rs {
            if let Some(a) = at.get(&(3, r.id.as_str())) {
                let onward: Vec<&str> = r
                    .onward_recipients
                    .iter()
                    .map(|o| o.country.as_str())
                    .collect();
                let mut sub = format!("{} · {}", r.country, r.id);
                if !onward.is_empty() {
                    let _ = write!(sub, " → {}", onward.join(", "));
                }
                boxed(&mut o, *a, "recipient", &r.id, &r.name, &sub);
            }
        }
    }
    o.push_str("</svg>");
    o
}

pub(super) async fn map_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    if !allows(user.account.role, Action::ReadTransfers) {
        return forbidden_page(lang, &user);
    }
    let snap = match state.snapshot().await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let t = strings().get(lang.0).cloned().unwrap_or_default();
    let (svg, countries, n_transfers) = {
        let p = part(state.map(), &user.account);
        let countries: BTreeSet<String> = p.recipients.iter().map(|r| r.country.clone()).collect();
        (draw(&p, &snap, &t), countries, p.transfers.len())
    };
    render(
        "map.html",
        StatusCode::OK,
        lang,
        Some(&user),
        context! {
            page => "map",
            svg,
            scoped => user.account.role == Role::Recipient,
            countries => countries.into_iter().collect::<Vec<_>>(),
            n_transfers,
            map_sha256 => state.map_sha256(),
        },
    )
}
