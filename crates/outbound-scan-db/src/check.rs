//! The data map checked against the database: each dataset that names its
//! `table` is scanned there and compared with its own declaration, for
//! `outbound scan --map MAP --system ID DB` and the server's map check.

use outbound_model::{DataMap, Dataset};
use outbound_scan::ScanOptions;
use serde::Serialize;

use crate::{DbScanOptions, scan_databases};

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
    let table = dataset.table.clone()?;
    let fields: Vec<_> = dataset.fields.iter().collect();
    let opts = DbScanOptions {
        scan: ScanOptions {
            not_kinds: outbound_scan::compare::not_kinds(&fields),
            ..scan
        },
        // The name as written: `orders_*` is a table's name here, not a pattern.
        tables: vec![globset::escape(&table)],
        ..opts.clone()
    };
    let mut check = DatasetCheck {
        dataset: dataset.id.clone(),
        system: dataset.system.clone(),
        table,
        state: CheckState::Failed,
        rows_read: 0,
        findings: 0,
        undeclared_fields: Vec::new(),
        error: None,
        matches: Vec::new(),
    };
    let report = match scan_databases(&[url.to_string()], &opts) {
        Ok(r) => r,
        Err(e) => {
            check.error = Some(e.to_string());
            return Some(check);
        }
    };
    let c =
        outbound_scan::compare::compare(&report, map, &fields, &format!("dataset {}", dataset.id));
    let undeclared: Vec<String> = c
        .undeclared_fields()
        .into_iter()
        .map(String::from)
        .collect();
    // `customers` names a table in any schema; two of them are two
    // datasets' worth, not one to compare with this declaration.
    let read: Vec<&str> = report
        .files
        .iter()
        .filter(|f| f.table.is_some())
        .map(|f| f.path.rsplit_once('#').map_or("", |(_, t)| t))
        .collect();
    if read.len() > 1 {
        check.state = CheckState::Ambiguous;
        check.matches = read.into_iter().map(String::from).collect();
        return Some(check);
    }
    check.state = if read.is_empty() || !report.errors.is_empty() {
        CheckState::NotRead
    } else if c.findings.is_empty() {
        CheckState::Ok
    } else {
        CheckState::Drift
    };
    check.rows_read = report.files.iter().map(|f| f.records).sum();
    check.findings = c.findings.len();
    check.undeclared_fields = undeclared;
    Some(check)
}
