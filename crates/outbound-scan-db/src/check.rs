//! The data map checked against the database: each dataset that names its
//! `table` is scanned there and compared with its own declaration, for
//! `outbound scan --map MAP --system ID DB` and the server's map check.

use outbound_model::{DataMap, Dataset};
use outbound_scan::{Kind, ScanOptions, ScanReport};
use serde::Serialize;

use crate::{DbScanOptions, Filter, Read, scan_with_relations};

/// The kinds each field name sets aside, as `compare::not_kinds` gives them.
type NotKinds = Vec<(String, Vec<Kind>)>;

/// How a dataset's table compares with its declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// Read; nothing in it that the dataset does not declare.
    Ok,
    /// Read; it holds what the dataset does not declare (`findings`).
    Drift,
    /// No such table, or reading it failed.
    NotRead,
    /// Tables of that name in several schemas (`matches`): the dataset
    /// must name one as `schema.table`.
    Ambiguous,
    /// The database could not be opened (`error`).
    Failed,
}

impl CheckState {
    /// The state's name, as it is serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckState::Ok => "ok",
            CheckState::Drift => "drift",
            CheckState::NotRead => "not_read",
            CheckState::Ambiguous => "ambiguous",
            CheckState::Failed => "failed",
        }
    }
}

/// One dataset's table, checked.
#[derive(Clone, Debug, Serialize)]
pub struct DatasetCheck {
    /// The dataset's id.
    pub dataset: String,
    /// Its system.
    pub system: String,
    /// The table it names.
    pub table: String,
    /// How it compares.
    pub state: CheckState,
    /// Rows read and scanned.
    pub rows_read: u64,
    /// Gaps between what was found and what the dataset declares.
    pub findings: usize,
    /// The columns the dataset does not declare.
    pub undeclared_fields: Vec<String>,
    /// Why the database could not be opened (names it without a password).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For [`CheckState::Ambiguous`]: the tables of that name, as
    /// `schema.table`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<String>,
}

/// Scans `dataset`'s `table` in the database at `url` (read-only, a
/// bounded sample unless `opts` says otherwise) and compares it with the
/// dataset's fields; `scan` gives threads and progress, the dataset its
/// `not_kinds`. `None` for a dataset that names no table.
pub fn check_dataset(
    url: &str,
    map: &DataMap,
    dataset: &Dataset,
    scan: ScanOptions,
    opts: &DbScanOptions,
) -> Option<DatasetCheck> {
    check_datasets(url, map, &[dataset], scan, opts).pop()
}

/// [`check_dataset`] for each of `datasets` that names its table, in their
/// order, in one scan of the database for all of them: one listing of its
/// tables, one session a reader, the tables read side by side (a check
/// of each dataset alone listed the database and opened its sessions
/// again for every table). Datasets whose fields set aside different
/// `not_kinds` are scanned apart, since a scan sets aside by field name.
pub fn check_datasets(
    url: &str,
    map: &DataMap,
    datasets: &[&Dataset],
    scan: ScanOptions,
    opts: &DbScanOptions,
) -> Vec<DatasetCheck> {
    let placed: Vec<(&Dataset, &str)> = datasets
        .iter()
        .filter_map(|d| Some((*d, d.table.as_deref()?)))
        .collect();
    // The datasets of each set of `not_kinds`, by their place in `placed`.
    let mut groups: Vec<(NotKinds, Vec<usize>)> = Vec::new();
    for (i, (d, _)) in placed.iter().enumerate() {
        let fields: Vec<_> = d.fields.iter().collect();
        let nk = outbound_scan::compare::not_kinds(&fields);
        match groups.iter_mut().find(|g| g.0 == nk) {
            Some(g) => g.1.push(i),
            None => groups.push((nk, vec![i])),
        }
    }
    let mut checks: Vec<Option<DatasetCheck>> = vec![None; placed.len()];
    for (not_kinds, members) in groups {
        let opts = DbScanOptions {
            scan: ScanOptions {
                not_kinds,
                ..scan.clone()
            },
            // The names as written: `orders_*` is a table's name here, not
            // a pattern.
            tables: members
                .iter()
                .map(|&i| globset::escape(placed[i].1))
                .collect(),
            ..opts.clone()
        };
        let scanned = scan_with_relations(&[url.to_string()], &opts);
        for i in members {
            let (d, table) = placed[i];
            checks[i] = Some(match &scanned {
                Ok((report, read)) => judge(map, d, table, report, read),
                Err(e) => DatasetCheck {
                    error: Some(e.to_string()),
                    ..unread(d, table, CheckState::Failed)
                },
            });
        }
    }
    checks.into_iter().flatten().collect()
}

/// A check of `d`'s `table` in `state`, nothing read.
fn unread(d: &Dataset, table: &str, state: CheckState) -> DatasetCheck {
    DatasetCheck {
        dataset: d.id.clone(),
        system: d.system.clone(),
        table: table.to_string(),
        state,
        rows_read: 0,
        findings: 0,
        undeclared_fields: Vec::new(),
        error: None,
        matches: Vec::new(),
    }
}

/// Compares what `report` found in the relations `d`'s `table` picks
/// among those `read` (each with its report path) with `d`'s fields.
fn judge(
    map: &DataMap,
    d: &Dataset,
    table: &str,
    report: &ScanReport,
    read: &Read,
) -> DatasetCheck {
    let mut check = unread(d, table, CheckState::Failed);
    let filter = match Filter::new(&[globset::escape(table)]) {
        Ok(f) => f,
        Err(e) => {
            check.error = Some(e.to_string());
            return check;
        }
    };
    let paths: Vec<&str> = read
        .iter()
        .filter(|(_, r)| filter.picks(r))
        .map(|(p, _)| p.as_str())
        .collect();
    let mine = |p: &str| paths.contains(&p);
    let own = ScanReport {
        files: report
            .files
            .iter()
            .filter(|f| mine(&f.path))
            .cloned()
            .collect(),
        errors: report
            .errors
            .iter()
            .filter(|e| mine(&e.path))
            .cloned()
            .collect(),
        ..ScanReport::default()
    };
    let fields: Vec<_> = d.fields.iter().collect();
    let c = outbound_scan::compare::compare(&own, map, &fields, &format!("dataset {}", d.id));
    // `customers` names a table in any schema; two of them are two
    // datasets' worth, not one to compare with this declaration.
    let tables: Vec<&str> = own
        .files
        .iter()
        .filter(|f| f.table.is_some())
        .map(|f| f.path.rsplit_once('#').map_or("", |(_, t)| t))
        .collect();
    if tables.len() > 1 {
        check.state = CheckState::Ambiguous;
        check.matches = tables.into_iter().map(String::from).collect();
        return check;
    }
    check.state = if tables.is_empty() || !own.errors.is_empty() {
        CheckState::NotRead
    } else if c.findings.is_empty() {
        CheckState::Ok
    } else {
        CheckState::Drift
    };
    check.rows_read = own.files.iter().map(|f| f.records).sum();
    check.findings = c.findings.len();
    check.undeclared_fields = c
        .undeclared_fields()
        .into_iter()
        .map(String::from)
        .collect();
    check
}
