//! Finds personal information in files, validates every candidate,
//! classifies fields and counts distinct individuals.
//!
//! Why this shape: the gate and the PIPIA both need *counts per field and
//! kind* and *exact numbers of individuals*, over data sets far larger than
//! memory, without ever copying personal data into reports or logs. So the
//! scanner streams every input once, validates candidates with the real
//! check algorithms (a value counts only when it validates), keeps only
//! counters and keyed 64-bit hashes of subject keys, and reports masked
//! samples only when asked.
//!
//! Entry point: [`scan_paths`] with [`ScanOptions`], returning a
//! [`ScanReport`] that serialises to the JSON contract of DESIGN.md.
//!
//! # Detection
//!
//! One forward pass per value ([`detect`]); candidates are cut at ASCII
//! alphanumeric boundaries (digits inside a longer digit/letter run never
//! match) and must pass their validator: GB 11643 check character, real
//! birth date and GB/T 2260 region (retired codes included) for resident
//! IDs; Luhn plus a real issuer prefix for cards; `std::net` parsing for IP
//! addresses; mod-31 for USCC; Luhn for IMEI; ranges and >= 4 decimals for
//! coordinates. Conflicts: an 18-digit value that has a valid region and
//! date but a wrong check character is treated as a mistyped ID and not
//! re-read as a card; 15 digits are a legacy ID if region and date are
//! valid, else an Amex card (34/37), else an IMEI (a header saying `imei`
//! reverses that order).
//!
//! **UnionPay choice:** a 16–19 digit number starting with 62 that fails
//! Luhn counts as `bank_card` only when the field header (`card`, `卡号`,
//! `bank`, `账号` …) or a keyword right before it in free text says it is a
//! card. Without that context Luhn is required: a non-Luhn 62… number is
//! far more often an order or tracking number.
//!
//! **Context-only kinds:** `person_name`, `address`, `date_of_birth` (and a
//! single latitude or longitude, D/S/P passports) are reported only when a
//! header or a keyword (`姓名:`, `name=`, `dob:` …) says so, and the value
//! then still has to look right (surname list, address markers, real date).
//!
//! # Fields
//!
//! CSV/TSV columns, dotted JSON key paths (array elements share their
//! parent's path) or `null` for free text. A field is `classified_as` the
//! kind that more than half of its non-empty values validate as; headers
//! alone never make values count. Cells longer than 24 bytes in columns
//! without a recognised header are also searched for keywords.
//!
//! # Individuals
//!
//! Exact distinct counts of a keyed hash (SipHash-1-3 with a random
//! per-run key) of the `subject_key` field, or automatically of each
//! record's strongest identifier: its first resident ID, else its first
//! mobile, else its first e-mail (as the gate counts); a line of free text
//! or a JSON document that is one object may hold many people, so it counts
//! the distinct values of the kind it has most of (the strongest among
//! equals). `sensitive` counts
//! the subjects whose record holds a sensitive kind: resident ID, passport,
//! bank card or precise coordinates ([`Kind::is_sensitive`]).
//!
//! # Limits
//!
//! Inputs are streamed in bounded batches (about 1 MiB or 4096 records per
//! work item, a few items per thread). Text lines longer than 1 MiB are
//! scanned in 1 MiB pieces (a value cut at a piece boundary can be missed);
//! JSON lines over 16 MiB, CSV fields and JSON strings over 16 MiB, and
//! CSV rows and JSON document records (array elements, or the whole
//! document when it is not an array) over 64 MiB are reported with their
//! line and skipped, never held whole. Every input is opened and read
//! once, so FIFOs and `<(cmd)` pipes work. Distinct sets take about 8
//! bytes per distinct subject.

#![warn(missing_docs)]

mod blocks;
pub mod compare;
pub mod corpus;
pub mod detect;
pub mod distinct;
mod kind;
mod mask;
mod read;
pub mod records;
mod report;
mod scan;
pub mod subject;

pub use detect::Hints;
pub use kind::{KIND_COUNT, Kind};
pub use mask::mask;
pub use report::{
    ErrorEntry, FieldReport, FileReport, Individuals, ScanReport, Skipped, TableInfo, Totals,
};
#[doc(hidden)]
pub use scan::set_plain_path;
pub use scan::{MAX_FIELDS, OTHER_FIELDS, key_placeholder, keyed_by_personal_data};
pub use scan::{RowChunk, RowContext, RowScan, SUBJECT_KINDS, ScanOptions, TableScan, scan_paths};
pub use subject::{normalize_subject, normalize_subject_push};

/// Progress callback: called from worker threads with the number of raw
/// input bytes processed since the previous call (increments, so that
/// files scanned in parallel simply add up).
///
/// Defined here, below both `read` (which reports progress while reading)
/// and `scan` (which takes it in [`ScanOptions`]), so neither imports the
/// other for it.
pub type ProgressFn = std::sync::Arc<dyn Fn(u64) + Send + Sync>;
