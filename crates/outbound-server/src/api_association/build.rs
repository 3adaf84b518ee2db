//! Builds a company's compliance snapshot for a period from what the API
//! already computes (the assessment, the obligations' standings, the review
//! standings, the rights requests' due dates, the incident clocks, the
//! complaints' handling): no computation of its own beyond counting, and no
//! personal data (ids of transfers, exporters, incidents and obligations;
//! countries, routes, states and counts; never subjects, names, contacts,
//! titles or texts typed by staff).

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use outbound_store::{Account, Role};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

/// The first and last day of a quarter `YYYY-Qn`.
pub fn period_days(period: &str) -> Option<(Date, Date)> {
    if !outbound_store::snapshots::valid_period(period) {
        return None;
    }
    let year: i16 = period[..4].parse().ok()?;
    let q: i8 = period[6..].parse().ok()?;
    let start = Date::new(year, 3 * (q - 1) + 1, 1).ok()?;
    let end = start.checked_add(3.months()).ok()?.yesterday().ok()?;
    Some((start, end))
}

/// The date a snapshot of `period` is judged at by default: the period's last
/// day once it has ended, else `today`.
pub fn default_as_of(period: &str, today: Date) -> Option<Date> {
    let (_, end) = period_days(period)?;
    Some(end.min(today))
}

/// JSON with keys sorted at every level and no spaces: the bytes a
/// snapshot's hash and signature cover (independent of how `serde_json`
/// orders a map in this build).
pub fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&m[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

fn count(map: &mut BTreeMap<String, u64>, key: &str) {
    *map.entry(key.to_string()).or_default() += 1;
}

fn get(map: &BTreeMap<String, u64>, keys: &[&str]) -> u64 {
    keys.iter().map(|k| map.get(*k).copied().unwrap_or(0)).sum()
}

/// Whether a stored RFC 3339 time (or a date) falls in `from..=to` (by its
/// first ten characters, the UTC date).
fn within(at: &str, from: Date, to: Date) -> bool {
    at.get(..10)
        .and_then(|d| d.parse::<Date>().ok())
        .is_some_and(|d| d >= from && d <= to)
}

/// The snapshot of `period` as canonical JSON, judged at the state's date.
/// `corrects` is the SHA-256 of the snapshot it corrects, if it is a correction.
pub async fn build(
    state: &AppState,
    period: &str,
    origin: &str,
    corrects: Option<&str>,
) -> Result<String, ApiError> {
    let (from, end) = period_days(period)
        .ok_or_else(|| ApiError::bad_request("`period` is a quarter, YYYY-Qn (2026-Q4)"))?;
    let as_of = state.as_of();
    if as_of < from {
        return Err(ApiError::bad_request(
            "the period has not started on the date judged at",
        ));
    }
    let to = end.min(as_of);
    // The reads below are the API's own, as an account that may read them all.
    let reader = Account {
        name: "snapshot".into(),
        role: Role::Admin,
        recipient: None,
        password_hash: None,
        created_at: String::new(),
    };
    let snap = state.snapshot().await?;
    let a = &snap.assessment;

    let (mut required, mut in_place) = (0u64, 0u64);
    let mut transfers = Vec::new();
    let (mut with_due, mut overdue, mut filings_overdue) = (0u64, Vec::new(), 0u64);
    for t in &a.transfers {
        let mut regimes = Vec::new();
        for d in &t.determinations {
            required += 1;
            in_place += u64::from(d.satisfied);
            regimes
                .push(json!({"regime": d.regime, "route": d.mechanism, "in_place": d.satisfied}));
            for o in &d.obligations {
                let Some(due) = o.due else { continue };
                with_due += 1;
                if due < as_of {
                    if o.id.contains("filing") {
                        filings_overdue += 1;
                    }
                    overdue.push(json!({
                        "transfer": t.transfer, "regime": d.regime, "obligation": o.id,
                        "due": due.to_string(), "citation": o.citation,
                    }));
                }
            }
        }
        transfers.push(json!({
            "id": t.transfer,
            "exporter": t.exporter,
            "recipient_country": t.recipient_country,
            "suspended": snap.suspended(&t.transfer),
            "rules_error": t.error.is_some(),
            "regimes": regimes,
        }));
    }
    let thresholds: Vec<Value> = a
        .exporters
        .iter()
        .flat_map(|e| {
            e.thresholds.iter().map(|l| {
                json!({
                    "exporter": e.exporter, "measure": l.measure, "count": l.count,
                    "at_least": l.at_least, "route": l.route, "citation": l.citation,
                    "reached": l.reached,
                })
            })
        })
        .collect();

    let mut attest = BTreeMap::new();
    let mut review = BTreeMap::new();
    for r in &state.map().recipients {
        if state.checklist(&r.id).is_none() {
            continue;
        }
        let list = crate::api_recipients::obligations(state, &reader, &r.id).await?;
        for o in &list.obligations {
            count(&mut attest, &o.standing);
        }
        let rv = crate::api_reviews::reviews(state, &reader, &r.id).await?;
        count(&mut review, &rv.standing);
    }

    let now = Timestamp::now();
    let requests = state.store(|s, _| s.rights_requests()).await?;
    let mut req = BTreeMap::new();
    for r in &requests {
        if !within(&r.received_at, from, to) && r.finished() {
            continue;
        }
        let dues = crate::api_rights::dues(r, now)?;
        let missed = dues.iter().any(|d| d.state == "missed");
        let key = match (r.finished(), missed) {
            (true, false) => "on_time",
            (true, true) => "late",
            (false, true) => "open_overdue",
            (false, false) => "open",
        };
        count(&mut req, key);
    }

    let incidents = crate::api_incidents::incidents(state, &reader).await?;
    let mut clocks = BTreeMap::new();
    let mut incident_list = Vec::new();
    for i in incidents.incidents {
        if !within(&i.discovered_at, from, to) && i.state == "closed" {
            continue;
        }
        let cs: Vec<Value> = i
            .clocks
            .iter()
            .map(|c| {
                count(&mut clocks, &c.state);
                json!({"clock": c.id, "regime": c.regime, "state": c.state})
            })
            .collect();
        incident_list.push(json!({
            "id": i.id, "severity": i.severity, "closed": i.state == "closed", "clocks": cs,
        }));
    }

    let complaints = crate::api_complaints::handling_views(state, &reader).await?;
    let (mut outcomes, mut handled) = (BTreeMap::new(), BTreeMap::new());
    for (c, v) in &complaints {
        let answered = v.answered_at.is_some();
        if !within(&c.at, from, to) && answered {
            continue;
        }
        count(&mut outcomes, v.outcome.as_deref().unwrap_or("open"));
        let key = match &v.answered_at {
            Some(at) => {
                let day = at.parse::<Timestamp>().ok().map(|t| {
                    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
                        .date()
                });
                let due = v.due.as_deref().and_then(|d| d.parse::<Date>().ok());
                match (day, due) {
                    (Some(a), Some(d)) if a > d => "late",
                    _ => "on_time",
                }
            }
            None if v.overdue => "open_overdue",
            None => "open",
        };
        count(&mut handled, key);
    }

    let totals = json!({
        "routes_required": required,
        "routes_in_place": in_place,
        "thresholds_reached": thresholds.iter().filter(|t| t["reached"] == true).count(),
        "obligations_with_due": with_due,
        "obligations_overdue": overdue.len(),
        "obligations_not_overdue": with_due - overdue.len() as u64,
        "filings_overdue": filings_overdue,
        "attestations_current": get(&attest, &["current", "due_soon"]),
        "attestations_overdue": get(&attest, &["overdue", "never_attested", "not_met"]),
        "reviews_on_time": get(&review, &["current", "due_soon"]),
        "reviews_overdue": get(&review, &["overdue", "never_reviewed"]),
        "requests_on_time": get(&req, &["on_time"]),
        "requests_late": get(&req, &["late"]),
        "requests_open": get(&req, &["open"]),
        "requests_open_overdue": get(&req, &["open_overdue"]),
        "incidents": incident_list.len(),
        "incident_clocks_met": get(&clocks, &["met"]),
        "incident_clocks_missed": get(&clocks, &["missed"]),
        "incident_clocks_running": get(&clocks, &["running"]),
        "complaints_on_time": get(&handled, &["on_time"]),
        "complaints_late": get(&handled, &["late"]),
        "complaints_open": get(&handled, &["open"]),
        "complaints_open_overdue": get(&handled, &["open_overdue"]),
    });
    let doc = json!({
        "format": outbound_store::snapshots::FORMAT,
        "period": period,
        "from": from.to_string(),
        "to": to.to_string(),
        "as_of": as_of.to_string(),
        "log_origin": origin,
        "corrects": corrects,
        "transfers": transfers,
        "thresholds": thresholds,
        "obligations": {"with_due": with_due, "overdue": overdue, "filings_overdue": filings_overdue},
        "attestations": {"by_standing": attest},
        "reviews": {"by_standing": review},
        "rights_requests": req,
        "incidents": incident_list,
        "complaints": {"by_outcome": outcomes, "handling": handled},
        "totals": totals,
    });
    Ok(canonical(&doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_their_days() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(
            period_days("2026-Q4"),
            Some((d("2026-10-01"), d("2026-12-31")))
        );
        assert_eq!(
            period_days("2024-Q1"),
            Some((d("2024-01-01"), d("2024-03-31")))
        );
        assert_eq!(period_days("2026-Q5"), None);
        // The last day of the period is its own as-of once it has ended.
        assert_eq!(
            default_as_of("2026-Q3", d("2026-11-30")),
            Some(d("2026-09-30"))
        );
        assert_eq!(
            default_as_of("2026-Q4", d("2026-11-30")),
            Some(d("2026-11-30"))
        );
        assert_eq!(
            default_as_of("2026-Q4", d("2026-12-31")),
            Some(d("2026-12-31"))
        );
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = json!({"b": [{"z": 1, "a": "é"}], "a": null});
        assert_eq!(canonical(&v), r#"{"a":null,"b":[{"a":"é","z":1}]}"#);
    }
}
