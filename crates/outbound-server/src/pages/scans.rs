//! The scans page: upload a CSV or JSON-lines file, or pick one of the
//! databases the operator named (`--scan-sources`) and its tables, pick a
//! dataset or transfer of the map, and see on the job's page what the
//! scanner finds against what the map declares (the scans themselves are
//! [`crate::scans`]).

use std::sync::Arc;

use axum::extract::{Form, Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::jobs::{job_started, message_page};
use super::{LangQuery, csrf_refused, forbidden_page, language, render};
use crate::access::{Action, allows};
use crate::auth::{PageUser, same_secret};
use crate::scans::{self, target_fields};
use crate::state::AppState;

/// The database scans the page lists, newest first.
const RECENT_SCANS: u32 = 20;

/// The largest upload a scan takes.
pub(super) const MAX_UPLOAD: usize = 50 * 1024 * 1024;

/// GET `/scans`: the upload form.
pub(super) async fn scans_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    user: PageUser,
) -> Response {
    let lang = language(&q, &headers);
    if !allows(user.account.role, Action::Scan) {
        return forbidden_page(lang, &user);
    }
    let map = state.map();
    let datasets: Vec<_> = map.datasets.iter().map(|d| d.id.clone()).collect();
    let transfers: Vec<_> = map.transfers.iter().map(|t| t.id.clone()).collect();
    let sources: Vec<String> = state.scan_sources().iter().map(|s| s.id.clone()).collect();
    let placed = scans::placed_in_sources(&state);
    // Who read which databases through this server, from the audit log.
    let logged: Vec<serde_json::Value> = match scans::logged(&state, RECENT_SCANS).await {
        Ok(l) => l
            .into_iter()
            .map(|l| {
                // The page names the target in its own language.
                let (kind, id) = l.target.split_once(':').unwrap_or(("map", ""));
                let (kind, id) = (kind.to_string(), id.to_string());
                let mut v = serde_json::to_value(l).unwrap_or_default();
                v["target_kind"] = kind.into();
                v["target_id"] = id.into();
                v
            })
            .collect(),
        Err(e) => return e.into_response(),
    };
    render(
        "scans.html",
        StatusCode::OK,
        lang,
        Some(&user),
        context! {
            page => "scans", datasets, transfers, sources, placed, logged => super::ser(&logged),
            max_mib => MAX_UPLOAD / (1024 * 1024),
            sample_rows => outbound_rules::format::thousands(outbound_scan_db::DEFAULT_SAMPLE_ROWS),
            max_rows => scans::MAX_SAMPLE_ROWS,
        },
    )
}

/// The file's format, from its name's extension (else the scanner sniffs it).
fn suffix(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => ".csv",
        "tsv" => ".tsv",
        "jsonl" | "ndjson" => ".jsonl",
        "json" => ".json",
        "txt" => ".txt",
        _ => "",
    }
}

/// POST `/scans` (multipart: `csrf`, `target`, `file`): starts the scan job.
pub(super) async fn start_scan(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    mut form: Multipart,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    // Refused before a byte of the upload is read.
    if !allows(user.account.role, Action::Scan) {
        return forbidden_page(lang, &user);
    }
    let (mut csrf, mut target, mut file, mut name) = (String::new(), String::new(), None, None);
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return (e.status(), "the upload could not be read").into_response(),
        };
        let field_name = field.name().unwrap_or_default().to_string();
        match field_name.as_str() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "target" => target = field.text().await.unwrap_or_default(),
            "file" => {
                name = field.file_name().map(str::to_string);
                match field.bytes().await {
                    Ok(b) => file = Some(b),
                    Err(e) => {
                        return (e.status(), "the upload could not be read").into_response();
                    }
                }
            }
            _ => {}
        }
    }
    if !same_secret(&csrf, &user.csrf) {
        return csrf_refused();
    }
    if target_fields(state.map(), &target).is_err() {
        return message_page(lang, &user, StatusCode::BAD_REQUEST, "bad_scan_target");
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return message_page(lang, &user, StatusCode::BAD_REQUEST, "no_scan_file");
    };
    let suffix = suffix(name.as_deref().unwrap_or_default());
    let st = state.clone();
    start_scan_job(&state, lang, &user, "scan", move |job| {
        job.progress(0, bytes.len() as u64);
        scans::scan_upload(&st, &target, &bytes, suffix, job)
    })
}

/// Starts `work` on tokio's blocking pool as the account's job of `kind`.
fn start_scan_job(
    state: &AppState,
    lang: (&'static str, Option<String>),
    user: &PageUser,
    kind: &'static str,
    work: impl FnOnce(Arc<crate::jobs::Job>) -> Result<serde_json::Value, String> + Send + 'static,
) -> Response {
    job_started(
        lang,
        user,
        scans::start(state, &user.account.name, kind, work),
    )
}

/// The form that starts a database scan.
#[derive(serde::Deserialize)]
pub(super) struct DbScanForm {
    csrf: String,
    source: String,
    #[serde(default)]
    tables: String,
    /// Rows a table at most (empty: the default).
    #[serde(default)]
    rows: String,
    /// `random` or `first` (absent: random).
    #[serde(default)]
    sample: Option<String>,
    target: String,
}

/// POST `/scans/database` (`csrf`, `source`, `tables`, `rows`, `sample`,
/// `target`): starts a scan of one of the operator's databases, a bounded
/// sample of each table (`tables`: globs on `table` or `schema.table`,
/// separated by spaces or commas; empty for every table), recorded in the
/// audit log before a row is read.
pub(super) async fn start_db_scan(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Form(form): Form<DbScanForm>,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    if let Some(refusal) = refused(&lang, &user, &form.csrf) {
        return refusal;
    }
    let tables: Vec<String> = form
        .tables
        .split([',', ' ', '\n', '\t'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect();
    let sample_rows = match form.rows.trim() {
        "" => None,
        r => match r.replace(',', "").parse::<u64>() {
            Ok(n) => Some(n),
            _ => return message_page(lang, &user, StatusCode::BAD_REQUEST, "bad_sample_rows"),
        },
    };
    let ask = scans::DbScanAsk {
        source: form.source,
        target: form.target,
        tables,
        sample_rows,
        sample: form.sample,
    };
    match ask.check(&state) {
        Ok(scan) => job_started(
            lang,
            &user,
            scans::start_db_scan(&state, &user.account.name, scan),
        ),
        Err(r) => message_page(lang, &user, StatusCode::BAD_REQUEST, r.key),
    }
}

/// POST `/scans/map` (`csrf`): checks every dataset that names its table
/// against that table, in the database of the source named like its system.
pub(super) async fn start_map_scan(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Form(form): Form<super::CsrfForm>,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    if let Some(refusal) = refused(&lang, &user, &form.csrf) {
        return refusal;
    }
    match scans::start_map_scan(&state, &user.account.name) {
        Some(started) => job_started(lang, &user, started),
        None => message_page(lang, &user, StatusCode::BAD_REQUEST, "no_placed_datasets"),
    }
}

/// A scan form's refusal: 403 for a role that may not scan or a token that
/// is not the session's; `None` when the form may go on.
fn refused(lang: &(&'static str, Option<String>), user: &PageUser, csrf: &str) -> Option<Response> {
    if !allows(user.account.role, Action::Scan) {
        return Some(forbidden_page(lang.clone(), user));
    }
    if !same_secret(csrf, &user.csrf) {
        return Some(csrf_refused());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use outbound_store::Role;

    #[test]
    fn only_known_extensions_name_the_format() {
        assert_eq!(suffix("people.CSV"), ".csv");
        assert_eq!(suffix("x.ndjson"), ".jsonl");
        assert_eq!(suffix("../../etc/passwd"), "");
        assert_eq!(suffix("noext"), "");
    }

    #[test]
    fn roles_that_may_scan() {
        let can: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| allows(*r, Action::Scan))
            .collect();
        assert_eq!(
            can,
            [Role::Admin, Role::Compliance, Role::Engineer, Role::Auditor]
        );
    }
}
