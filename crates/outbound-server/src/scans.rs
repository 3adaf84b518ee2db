//! Scans as background jobs, for the dashboard's forms and the API: an
//! upload scanned from a private temporary copy (mode 0600, removed when the
//! scan ends), or one of the operator's databases (`--scan-sources`) over a
//! read-only connection, a bounded random sample of each table; what was
//! found compared with a dataset or transfer of the map. A result holds
//! field and table names and counts only: never a value, never a
//! database's URL, never the temporary file's path.

use std::io::Write;
use std::sync::Arc;

use outbound_model::{DataMap, Field};
use outbound_scan::{Kind, ScanOptions, ScanReport};
use outbound_scan_db::Sample;
use outbound_store::scans::DatabaseScan;

use crate::jobs::{Busy, Job};
use crate::scan_sources::ScanSource;
use crate::state::AppState;

/// The largest sample a scan from the server may read, a table: it reads a
/// production database, and a bounded part of it.
pub(crate) const MAX_SAMPLE_ROWS: u64 = 1_000_000;

/// At most this many table patterns in one scan.
pub(crate) const MAX_TABLES: usize = 100;

/// Starts `work` on tokio's blocking pool as `owner`'s job of `kind`.
pub(crate) fn start(
    state: &AppState,
    owner: &str,
    kind: &'static str,
    work: impl FnOnce(Arc<Job>) -> Result<serde_json::Value, String> + Send + 'static,
) -> Result<Arc<Job>, Busy> {
    state.jobs().start(owner, kind, move |job| {
        let work = tokio::task::spawn_blocking(move || work(job));
        async move {
            work.await
                .unwrap_or_else(|_| Err("the scan failed; see the server's log".to_string()))
        }
    })
}

/// [`start`] for a scan of the server's databases: the job first appends
/// `entry` to the audit log and reads no row unless that succeeds (a read
/// of production personal data nobody can later see is what the log is
/// for); the result gives the entry's index.
fn start_logged(
    state: &AppState,
    owner: &str,
    kind: &'static str,
    entry: DatabaseScan,
    work: impl FnOnce(Arc<Job>) -> Result<serde_json::Value, String> + Send + 'static,
) -> Result<Arc<Job>, Busy> {
    let st = state.clone();
    state.jobs().start(owner, kind, move |job| async move {
        let index = match st.store(move |s, k| s.record_database_scan(k, &entry)).await {
            Ok(index) => index,
            Err(e) => {
                eprintln!("outbound serve: scan: the audit log: {}", e.message);
                return Err(
                    "the scan could not be recorded in the audit log, so no row was read; see the server's log"
                        .to_string(),
                );
            }
        };
        let mut result = tokio::task::spawn_blocking(move || work(job))
            .await
            .unwrap_or_else(|_| Err("the scan failed; see the server's log".to_string()))?;
        result["audit_index"] = index.into();
        Ok(result)
    })
}

/// A database scan as the audit log records it (`database_scanned`).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LoggedScanView {
    /// The entry's index in the audit log (its inclusion proof's).
    pub index: u64,
    /// When it was appended, before the scan read a row (RFC 3339, UTC).
    pub at: String,
    /// The account that started it.
    pub by: String,
    /// The databases read, by id.
    pub sources: Vec<String>,
    /// The table patterns; empty: every table.
    pub tables: Vec<String>,
    /// `random`, `first` or `full` (every row).
    pub sample: String,
    /// Rows read a table at most; 0 for `full`.
    pub sample_rows: u64,
    /// `dataset:ID`, `transfer:ID` or `map`.
    pub target: String,
}

/// The newest database scans the audit log records, newest first, for the
/// scans page and `GET /api/v1/scans`.
pub(crate) async fn logged(
    state: &AppState,
    limit: u32,
) -> Result<Vec<LoggedScanView>, crate::error::ApiError> {
    let scans = state.store(move |s, _| s.database_scans(limit)).await?;
    Ok(scans
        .into_iter()
        .map(|l| LoggedScanView {
            index: l.index,
            at: l.at,
            by: l.scan.by,
            sources: l.scan.sources,
            tables: l.scan.tables,
            sample: l.scan.sample,
            sample_rows: l.scan.sample_rows,
            target: l.scan.target,
        })
        .collect())
}

/// A database scan as the dashboard's form or the API's body asks for it,
/// before [`DbScanAsk::check`].
pub(crate) struct DbScanAsk {
    /// A scan source's id.
    pub source: String,
    /// `dataset:ID` or `transfer:ID`.
    pub target: String,
    /// Table globs; none for every table.
    pub tables: Vec<String>,
    /// Rows a table at most (`None`: the default).
    pub sample_rows: Option<u64>,
    /// `random`, `first` or `full` (every row; `None`: random).
    pub sample: Option<String>,
}

/// Why a database scan was refused: the key of the page's message and the
/// API's sentence, one check for both.
#[derive(Debug)]
pub(crate) struct Refusal {
    /// The message's key in `i18n.toml`.
    pub key: &'static str,
    /// The API's `400` message.
    pub message: String,
}

fn refusal(key: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        key,
        message: message.into(),
    }
}

/// A database scan checked against the server's sources and the map.
pub(crate) struct DbScan {
    source: ScanSource,
    target: String,
    tables: Vec<String>,
    sample: Sample,
    /// Rows a table at most; `None`: every row.
    bound: Option<u64>,
}

impl DbScan {
    /// The way rows are picked as the audit entry and the job's page name
    /// it, and the bound they record (0: none).
    fn picked(&self) -> (&'static str, u64) {
        let name = match (self.bound, self.sample) {
            (None, _) => "full",
            (_, Sample::Random) => "random",
            (_, Sample::First) => "first",
        };
        (name, self.bound.unwrap_or(0))
    }
}

impl DbScanAsk {
    /// The scan, or why it may not run: a source the server was not given
    /// (never a URL: a request cannot point the server at another host or
    /// file), a target not in the map, too many or too long table patterns,
    /// a sample size out of bounds or an unknown way of picking rows (or a
    /// sample size given with `full`, which reads every row).
    pub(crate) fn check(self, state: &AppState) -> Result<DbScan, Refusal> {
        let source = state
            .scan_sources()
            .iter()
            .find(|s| s.id == self.source)
            .cloned()
            .ok_or_else(|| {
                refusal(
                    "bad_scan_source",
                    "`source` is not one of the server's databases (GET /api/v1/scan-sources)",
                )
            })?;
        if target_fields(state.map(), &self.target).is_err() {
            return Err(refusal(
                "bad_scan_target",
                "`target` must be dataset:ID or transfer:ID of the data map",
            ));
        }
        if self.tables.len() > MAX_TABLES
            || self
                .tables
                .iter()
                .any(|t| t.is_empty() || t.chars().count() > 200)
        {
            return Err(refusal(
                "bad_scan_tables",
                format!("`tables`: at most {MAX_TABLES} patterns of 1 to 200 characters"),
            ));
        }
        let (sample, full) = match self.sample.as_deref() {
            None | Some("random") => (Sample::Random, false),
            Some("first") => (Sample::First, false),
            Some("full") => (Sample::Random, true),
            Some(_) => {
                return Err(refusal(
                    "bad_sample",
                    "`sample`: `random` (a random sample of each table), `first` (its first rows) or `full` (every row)",
                ));
            }
        };
        let bound = match (full, self.sample_rows) {
            (true, Some(_)) => {
                return Err(refusal(
                    "bad_sample_rows_full",
                    "`sample_rows` bounds a sample: leave it out with `sample: full`, which reads every row",
                ));
            }
            (true, None) => None,
            (false, rows) => {
                let rows = rows.unwrap_or(outbound_scan_db::DEFAULT_SAMPLE_ROWS);
                if !(1..=MAX_SAMPLE_ROWS).contains(&rows) {
                    return Err(refusal(
                        "bad_sample_rows",
                        format!("`sample_rows`: 1 to {MAX_SAMPLE_ROWS}"),
                    ));
                }
                Some(rows)
            }
        };
        Ok(DbScan {
            source,
            target: self.target,
            tables: self.tables,
            sample,
            bound,
        })
    }
}

/// Starts `scan` as `owner`'s job, logged before a row is read.
pub(crate) fn start_db_scan(state: &AppState, owner: &str, scan: DbScan) -> Result<Arc<Job>, Busy> {
    let (sample, sample_rows) = scan.picked();
    let entry = DatabaseScan {
        by: owner.to_string(),
        sources: vec![scan.source.id.clone()],
        tables: scan.tables.clone(),
        sample: sample.to_string(),
        sample_rows,
        target: scan.target.clone(),
    };
    let st = state.clone();
    start_logged(state, owner, "scan_db", entry, move |job| {
        scan_db(&st, scan, job)
    })
}

/// Starts the check of the map against the databases as `owner`'s job,
/// logged before a row is read; `None` when no dataset names a table in a
/// database this server may scan.
pub(crate) fn start_map_scan(state: &AppState, owner: &str) -> Option<Result<Arc<Job>, Busy>> {
    let placed = placed(state.map(), state.scan_sources());
    let sources: std::collections::BTreeSet<String> = placed
        .iter()
        .filter_map(|p| Some(p.2?.id.clone()))
        .collect();
    if sources.is_empty() {
        return None;
    }
    let tables: std::collections::BTreeSet<String> = placed
        .iter()
        .filter(|p| p.2.is_some())
        .map(|p| p.1.to_string())
        .collect();
    let entry = DatabaseScan {
        by: owner.to_string(),
        sources: sources.into_iter().collect(),
        tables: tables.into_iter().collect(),
        sample: "random".to_string(),
        sample_rows: outbound_scan_db::DEFAULT_SAMPLE_ROWS,
        target: "map".to_string(),
    };
    let st = state.clone();
    Some(start_logged(state, owner, "scan_map", entry, move |job| {
        scan_map(&st, job)
    }))
}

/// Writes the upload to a private temporary file, scans it, compares what
/// was found with the target's declared fields (blocking; on the pool).
pub(crate) fn scan_upload(
    state: &AppState,
    target: &str,
    bytes: &[u8],
    suffix: &str,
    job: Arc<Job>,
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
pub(crate) fn target_fields<'m, 't>(
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
fn scan_options(fields: &[&Field], job: &Arc<Job>) -> ScanOptions {
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

/// Scans the tables of `scan`'s source (blocking; on the pool) and
/// compares what was found with the target's declared fields. Progress is
/// rows scanned.
fn scan_db(state: &AppState, scan: DbScan, job: Arc<Job>) -> Result<serde_json::Value, String> {
    let map = state.map();
    let (fields, against) = target_fields(map, &scan.target)?;
    let (sample, sample_rows) = scan.picked();
    let opts = outbound_scan_db::DbScanOptions {
        scan: scan_options(&fields, &job),
        tables: scan.tables,
        sample_rows: scan.bound.unwrap_or(outbound_scan_db::DEFAULT_SAMPLE_ROWS),
        sample: scan.sample,
        full: scan.bound.is_none(),
        cancel: Some(job.cancel_flag()),
        ..Default::default()
    };
    let source = &scan.source;
    // The message names the database (host and name, never a password)
    // and what failed: the operator's to fix, shown to the one who asked;
    // a cancelled scan says so (`outbound_scan_db::CANCELLED`).
    let report = outbound_scan_db::scan_databases(&[source.url().to_string()], &opts)
        .map_err(|e| e.to_string())?;
    let (done, _) = job.counts();
    job.progress(done, done);
    let mut v = result(&report, map, &fields, against);
    v["source"] = source.id.clone().into();
    v["sample"] = sample.into();
    v["sample_rows"] = sample_rows.into();
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
    // An error on the database itself (no table at all, or none matching
    // the patterns) is said apart.
    let (whole, tables): (Vec<_>, Vec<_>) =
        report.errors.iter().partition(|e| !e.path.contains('#'));
    let failed: std::collections::BTreeSet<&str> =
        tables.iter().map(|e| table_name(&e.path)).collect();
    v["error_tables"] = failed.into_iter().collect::<Vec<_>>().into();
    v["nothing_scanned"] = (!whole.is_empty()).into();
    v["skipped"] = report
        .skipped
        .iter()
        .map(|s| table_name(&s.path))
        .collect::<Vec<_>>()
        .into();
    Ok(v)
}

/// How many datasets name their table in a database this server may scan.
pub(crate) fn placed_in_sources(state: &AppState) -> usize {
    placed(state.map(), state.scan_sources())
        .iter()
        .filter(|p| p.2.is_some())
        .count()
}

/// The datasets that name their `table`, each with the scan source whose
/// id is its system's (`None`: the server was given no such database).
pub(crate) fn placed<'m, 's>(
    map: &'m DataMap,
    sources: &'s [ScanSource],
) -> Vec<(&'m outbound_model::Dataset, &'m str, Option<&'s ScanSource>)> {
    map.datasets
        .iter()
        .filter_map(|d| {
            let table = d.table.as_deref()?;
            Some((d, table, sources.iter().find(|s| s.id == d.system)))
        })
        .collect()
}

/// Checks every dataset that names its table against that table, in the
/// database of the scan source named like its system: one line per dataset,
/// `ok` (read, nothing the map does not declare), `drift` (findings),
/// `not_read` (the table was not found or could not be read), `ambiguous`
/// (tables of that name in several schemas), `failed`
/// (the database could not be opened) or `no_source` (the server has no
/// database for its system). Progress is rows scanned.
fn scan_map(state: &AppState, job: Arc<Job>) -> Result<serde_json::Value, String> {
    let map = state.map();
    let placed = placed(map, state.scan_sources());
    // Each database's datasets checked in one scan of it.
    let mut checked: Vec<(String, serde_json::Value)> = Vec::new();
    let mut sources: Vec<&ScanSource> = Vec::new();
    for s in placed.iter().filter_map(|p| p.2) {
        if !sources.iter().any(|x| x.id == s.id) {
            sources.push(s);
        }
    }
    for source in sources {
        if job.cancel_requested() {
            return Err(outbound_scan_db::CANCELLED.to_string());
        }
        let datasets: Vec<_> = placed
            .iter()
            .filter(|p| p.2.is_some_and(|s| s.id == source.id))
            .map(|p| p.0)
            .collect();
        let opts = outbound_scan_db::DbScanOptions {
            cancel: Some(job.cancel_flag()),
            ..Default::default()
        };
        let checks = outbound_scan_db::check::check_datasets(
            source.url(),
            map,
            &datasets,
            scan_options(&[], &job),
            &opts,
        );
        for c in checks {
            let v = serde_json::to_value(&c).map_err(|e| e.to_string())?;
            checked.push((c.dataset, v));
        }
    }
    let lines: Vec<serde_json::Value> = placed
        .iter()
        .map(|(d, table, _)| {
            checked
                .iter()
                .find(|(id, _)| *id == d.id)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| {
                    serde_json::json!({
                        "dataset": d.id, "system": d.system, "table": table, "state": "no_source",
                    })
                })
        })
        .collect();
    // A check cancelled part-way says `failed` for the dataset it was
    // reading: the job is cancelled, not a list with a false failure.
    if job.cancel_requested() {
        return Err(outbound_scan_db::CANCELLED.to_string());
    }
    let (done, _) = job.counts();
    job.progress(done, done);
    Ok(serde_json::json!({ "datasets": lines }))
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
    let undeclared_fields = comparison.undeclared_fields();
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
