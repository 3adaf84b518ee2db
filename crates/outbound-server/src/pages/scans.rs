//! Scans: upload a CSV or JSON-lines file, or pick one of the databases the
//! operator named (`--scan-sources`) and its tables, pick a dataset or
//! transfer of the map, and see what the scanner finds against what the map
//! declares. The scan runs as a background job: over a private temporary
//! copy of the upload (mode 0600, removed when the scan ends), or over a
//! read-only connection reading a bounded random sample of each table. The
//! result holds field and table names and counts only, never a value, and
//! never a database's URL.

use std::io::Write;
use std::sync::Arc;

use axum::extract::{Form, Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use outbound_model::{DataMap, Field};
use outbound_scan::{Kind, ScanOptions, ScanReport};

use super::jobs::{job_started, message_page};
use super::{LangQuery, csrf_refused, forbidden_page, language, render};
use crate::access::{Action, allows};
use crate::auth::{PageUser, same_secret};
use crate::state::AppState;

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
    render(
        "scans.html",
        StatusCode::OK,
        lang,
        Some(&user),
        context! {
            page => "scans", datasets, transfers, sources,
            max_mib => MAX_UPLOAD / (1024 * 1024),
            sample_rows => outbound_rules::format::thousands(outbound_scan_db::DEFAULT_SAMPLE_ROWS),
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
        scan(&st, &target, &bytes, suffix, job)
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
    let started = state.jobs().start(&user.account.name, kind, move |job| {
        let work = tokio::task::spawn_blocking(move || work(job));
        async move {
            work.await
                .unwrap_or_else(|_| Err("the scan failed; see the server's log".to_string()))
        }
    });
    job_started(lang, user, started)
}

/// Writes the upload to a private temporary file, scans it, compares what
/// was found with the target's declared fields (blocking; on the pool).
fn scan(
    state: &AppState,
    target: &str,
    bytes: &[u8],
    suffix: &str,
    job: Arc<crate::jobs::Job>,
) -> Result<serde_json::Value, String> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        eprintln!("outbound serve: scan: {what}: {e}");
        "the scan could not run; see the server's log".to_string()
    };
    // tempfile creates it 0600 and removes it when dropped.
    let mut tmp = tempfile::Builder::new()
        .prefix("outbound-scan-")
        .suffix(suffix)
        .tempfile()
        .map_err(|e| failed("temporary file", &e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.flush())
        .map_err(|e| failed("temporary file", &e))?;
    // The target first: its fields' `not_kinds` apply during the scan.
    let map = state.map();
    let (fields, against) = target_fields(map, target)?;
    let opts = scan_options(&fields, &job);
    let report = outbound_scan::scan_paths(&[tmp.path().to_path_buf()], &opts);
    drop(tmp);
    let (_, total) = job.counts();
    job.progress(total, total);
    Ok(result(&report, map, &fields, against))
}

/// The fields of `target` (`dataset:ID` or `transfer:ID`) a scan is
/// compared with, and the target's kind and id.
fn target_fields<'m, 't>(
    map: &'m DataMap,
    target: &'t str,
) -> Result<(Vec<&'m Field>, (&'static str, &'t str)), String> {
    match target.split_once(':') {
        Some(("dataset", id)) => match map.dataset(id) {
            Some(d) => Ok((d.fields.iter().collect(), ("dataset", id))),
            None => Err("no such dataset in the map".to_string()),
        },
        Some(("transfer", id)) => match map.transfer(id) {
            Some(t) => Ok((map.transfer_fields(t).collect(), ("transfer", id))),
            None => Err("no such transfer in the map".to_string()),
        },
        _ => Err("no such dataset or transfer in the map".to_string()),
    }
}

/// A scan on two threads with the target's `not_kinds`, telling `job`.
fn scan_options(fields: &[&Field], job: &Arc<crate::jobs::Job>) -> ScanOptions {
    let j = job.clone();
    ScanOptions {
        threads: Some(2),
        progress: Some(Arc::new(move |n| j.advance(n))),
        not_kinds: outbound_scan::compare::not_kinds(fields),
        ..ScanOptions::default()
    }
}

/// The job's result: the report compared with the target's fields.
fn result(
    report: &ScanReport,
    map: &DataMap,
    fields: &[&Field],
    (kind, id): (&str, &str),
) -> serde_json::Value {
    let comparison = outbound_scan::compare::compare(report, map, fields, &format!("{kind} {id}"));
    let mut result = summary(report, &comparison, fields);
    // The page names the target in its own language: the kind and the id apart.
    result["against_kind"] = kind.into();
    result["against_id"] = id.into();
    result
}

/// The form that starts a database scan.
#[derive(serde::Deserialize)]
pub(super) struct DbScanForm {
    csrf: String,
    source: String,
    #[serde(default)]
    tables: String,
    target: String,
}

/// POST `/scans/database` (`csrf`, `source`, `tables`, `target`): starts a
/// scan of one of the operator's databases, a bounded random sample of
/// each table (`tables`: globs on `table` or `schema.table`, separated by
/// spaces or commas; empty for every table).
pub(super) async fn start_db_scan(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Form(form): Form<DbScanForm>,
) -> Response {
    let lang = language(&LangQuery::default(), &headers);
    if !allows(user.account.role, Action::Scan) {
        return forbidden_page(lang, &user);
    }
    if !same_secret(&form.csrf, &user.csrf) {
        return csrf_refused();
    }
    let Some(source) = state
        .scan_sources()
        .iter()
        .find(|s| s.id == form.source)
        .cloned()
    else {
        return message_page(lang, &user, StatusCode::BAD_REQUEST, "bad_scan_source");
    };
    if target_fields(state.map(), &form.target).is_err() {
        return message_page(lang, &user, StatusCode::BAD_REQUEST, "bad_scan_target");
    }
    let tables: Vec<String> = form
        .tables
        .split([',', ' ', '\n', '\t'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect();
    let st = state.clone();
    let target = form.target;
    start_scan_job(&state, lang, &user, "scan_db", move |job| {
        scan_db(&st, &source, tables, &target, job)
    })
}

/// Scans the tables of `source` (blocking; on the pool) and compares what
/// was found with the target's declared fields. Progress is rows scanned.
fn scan_db(
    state: &AppState,
    source: &crate::scan_sources::ScanSource,
    tables: Vec<String>,
    target: &str,
    job: Arc<crate::jobs::Job>,
) -> Result<serde_json::Value, String> {
    let map = state.map();
    let (fields, against) = target_fields(map, target)?;
    let opts = outbound_scan_db::DbScanOptions {
        scan: scan_options(&fields, &job),
        tables,
        ..Default::default()
    };
    // The message names the database (host and name, never a password)
    // and what failed: the operator's to fix, shown to the one who asked.
    let report = outbound_scan_db::scan_databases(&[source.url().to_string()], &opts)
        .map_err(|e| e.to_string())?;
    let (done, _) = job.counts();
    job.progress(done, done);
    let mut v = result(&report, map, &fields, against);
    v["source"] = source.id.clone().into();
    v["tables"] = report
        .files
        .iter()
        .filter_map(|f| {
            let t = f.table.as_ref()?;
            Some(serde_json::json!({
                "table": table_name(&f.path),
                "rows_read": t.rows_read,
                "rows_total": t.rows_total,
                "estimated": t.rows_total_estimated,
                "sample": t.sample,
            }))
        })
        .collect();
    // Which tables failed; not the messages, which come from the server.
    let failed: std::collections::BTreeSet<&str> =
        report.errors.iter().map(|e| table_name(&e.path)).collect();
    v["error_tables"] = failed.into_iter().collect::<Vec<_>>().into();
    v["skipped"] = report
        .skipped
        .iter()
        .map(|s| table_name(&s.path))
        .collect::<Vec<_>>()
        .into();
    Ok(v)
}

/// `schema.table` of a report path `URL#schema.table`: the page never
/// shows the database's URL.
fn table_name(path: &str) -> &str {
    path.rsplit_once('#').map_or("", |(_, t)| t)
}

/// What the job page shows: names and counts only. The report's paths (the
/// temporary file), error messages and samples are left out.
fn summary(
    report: &ScanReport,
    comparison: &outbound_scan::compare::Comparison,
    declared: &[&outbound_model::Field],
) -> serde_json::Value {
    let kinds = |m: &std::collections::BTreeMap<&'static str, u64>| -> Vec<serde_json::Value> {
        Kind::ALL
            .iter()
            .filter_map(|k| {
                m.get(k.as_str())
                    .map(|n| serde_json::json!({"kind": k.as_str(), "count": n}))
            })
            .collect()
    };
    let is_declared = |f: &Option<String>| {
        f.as_deref()
            .is_some_and(|n| declared.iter().any(|d| d.name == n))
    };
    let file = report.files.first();
    let records: u64 = report.files.iter().map(|f| f.records).sum();
    let bytes: u64 = report.files.iter().map(|f| f.bytes).sum();
    let fields: Vec<_> = report
        .files
        .iter()
        .flat_map(|f| {
            // A database's columns are named with their table.
            let table = f.table.as_ref().map(|_| table_name(&f.path));
            f.fields.iter().map(move |fr| (table, fr))
        })
        .map(|(table, fr)| {
            serde_json::json!({
                "table": table,
                "field": fr.field,
                "kinds": kinds(&fr.kinds),
                "non_empty": fr.non_empty,
                "category": fr.category,
                "declared": is_declared(&fr.field),
                "by_chance": fr.by_chance,
                "set_aside": kinds(&fr.set_aside),
                // Its non-empty count holds the keys too: the page says so.
                "keys_counted": fr.field.as_deref().is_some_and(outbound_scan::keyed_by_personal_data),
            })
        })
        .collect();
    let findings: Vec<_> = comparison
        .findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "field": f.field,
                "problem": f.problem,
                "kind": f.kind,
                "category": f.category,
                "count": f.count,
                "declared": f.declared,
                "sensitive_class": f.sensitive_class,
            })
        })
        .collect();
    let undeclared_fields: std::collections::BTreeSet<&str> = comparison
        .findings
        .iter()
        .filter(|f| f.problem == "undeclared_field")
        .filter_map(|f| f.field.as_deref())
        .collect();
    // The lines that would declare them, for the dataset's `fields:` list,
    // about the subject most of the target's fields are about.
    let mut subjects = std::collections::BTreeMap::new();
    for f in declared {
        *subjects.entry(f.subject.as_str()).or_insert(0) += 1;
    }
    let subject = subjects
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map_or("customer", |(s, _)| s);
    let suggestion = (!undeclared_fields.is_empty()).then(|| {
        outbound_scan::compare::suggest_fields_for(report, subject, |n| {
            undeclared_fields.contains(n)
        })
        .lines()
        .skip(1)
        .map(|l| l.strip_prefix("      ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
    });
    serde_json::json!({
        "against": comparison.against,
        "format": file.map(|f| f.format.clone()),
        "records": records,
        "bytes": bytes,
        "totals": kinds(&report.totals.kinds),
        "individuals": report.individuals.distinct,
        "subject_key": report.individuals.key,
        "fields": fields,
        "findings": findings,
        "undeclared_fields": undeclared_fields,
        "suggestion": suggestion,
        // Error messages may quote the input: only where they are.
        "errors": report.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
    })
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
