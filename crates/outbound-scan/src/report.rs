//! The serialisable scan report (the JSON contract of DESIGN.md,
//! "Scanning (contract)"), plus extra per-field keys.

use crate::Kind;
use serde::Serialize;
use std::collections::BTreeMap;

/// Result of [`crate::scan_paths`]. Contains counts, masked samples (only
/// if requested) and error locations, never raw values.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    /// One entry per scanned file, in input order.
    pub files: Vec<FileReport>,
    /// Sums over all files and fields.
    pub totals: Totals,
    /// Distinct individuals (exact, by keyed hash of the subject key).
    pub individuals: Individuals,
    /// Problems met while reading; the scan continued past each of them.
    pub errors: Vec<ErrorEntry>,
    /// Inputs deliberately not read (database views without `--views`;
    /// under a directory, symbolic links to directories, links that lead
    /// nowhere, pipes, sockets and devices), so that the report says what
    /// it does not cover; omitted when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

/// An input the scan left out on purpose, and why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Skipped {
    /// As a scanned entry's `path` would be (`DATABASE#TABLE`, or the file).
    pub path: String,
    /// Why it was not read (contains no values).
    pub reason: String,
}

/// Per-file counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    /// Path as given (or found under a given directory); `-` for stdin.
    pub path: String,
    /// `csv`, `tsv`, `jsonl`, `json` or `text`.
    pub format: String,
    /// `gzip` or `zstd` when the file was compressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    /// `utf-8`, `gb18030`, … (the detected text encoding).
    pub encoding: String,
    /// Records: CSV rows after the header, JSON lines or array elements,
    /// text lines.
    pub records: u64,
    /// Bytes read from disk (compressed size for compressed files).
    pub bytes: u64,
    /// Per field (column, JSON key path, or `null` for free text).
    pub fields: Vec<FieldReport>,
    /// For a database table (`format: "table"`): rows read out of how many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<TableInfo>,
}

impl FileReport {
    /// Its field names in report order (free text, which has none, left out).
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().filter_map(|f| f.field.as_deref())
    }

    /// The field named `name`, if the file has one.
    pub fn field(&self, name: &str) -> Option<&FieldReport> {
        self.fields
            .iter()
            .find(|f| f.field.as_deref() == Some(name))
    }
}

/// How much of a database table was read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableInfo {
    /// Rows read and scanned (= the file entry's `records`).
    pub rows_read: u64,
    /// Rows in the table when it was counted (or estimated, see
    /// `rows_total_estimated`).
    pub rows_total: u64,
    /// Whether `rows_total` is the database planner's estimate rather
    /// than a count (a count of a very large table costs a full read);
    /// omitted when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rows_total_estimated: bool,
    /// Whether only a sample was read (`sample` is not `full`).
    pub sampled: bool,
    /// How the rows were picked: `full` (every row), `random` (a
    /// reproducible random sample) or `first` (the first rows the database
    /// returned), so that a reader can judge how representative it is.
    pub sample: &'static str,
    /// `view` or `materialized_view` for a view; omitted for a table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<&'static str>,
    /// Columns of a binary type (bytea, BLOB): not scanned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binary_columns: Vec<String>,
}

/// Per-field counts and classification.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldReport {
    /// Column name, dotted JSON key path (`contact.phone`; array elements
    /// share their parent's path), or `null` for free text.
    pub field: Option<String>,
    /// Validated matches per kind.
    pub kinds: BTreeMap<&'static str, u64>,
    /// Non-empty values seen in this field.
    pub non_empty: u64,
    /// The kind more than half of the non-empty values validate as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classified_as: Option<Kind>,
    /// Share of non-empty values that validate as `classified_as` (0–1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// Taxonomy category of `classified_as`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'static str>,
    /// Kinds whose matches here look like chance: many values of the
    /// kind's shape fail its check (`bank_card`: card-length numbers with a
    /// network's prefix, four failing Luhn for each that passes, as order
    /// numbers do; `cn_mobile`: 11-digit numbers starting `10`–`12`, as
    /// user numbers do). Still counted in `kinds`; `--suggest` declares the
    /// field with `not_kinds` for them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_chance: Vec<&'static str>,
    /// Matches per kind set aside because the data map says the field
    /// matches that kind only by chance ([`crate::ScanOptions::not_kinds`]):
    /// not in `kinds`, counting nobody and nothing sensitive.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub set_aside: BTreeMap<&'static str, u64>,
    /// Masked examples, only when samples were requested.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<String>,
}

/// Totals over all files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Validated matches per kind.
    pub kinds: BTreeMap<&'static str, u64>,
}

/// Distinct-individual counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Individuals {
    /// The subject key: the `subject_key` field, or the strongest kind a
    /// record was counted by (`cn_resident_id`, else `cn_mobile`, else
    /// `email`; each record counts by its own strongest); `null` if none
    /// was found.
    pub key: Option<String>,
    /// Distinct subjects.
    pub distinct: u64,
    /// Distinct subjects with at least one sensitive kind in the same
    /// record (see [`Kind::is_sensitive`]).
    pub sensitive: u64,
}

/// A problem with one input; names the file and where, never the data.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorEntry {
    /// The file.
    pub path: String,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Byte offset, when the line is not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// What went wrong (contains no values from the file).
    pub message: String,
}
