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

pub mod corpus;
pub mod detect;
pub mod distinct;
mod kind;
mod mask;
mod read;
mod report;
mod scan;

pub use detect::Hints;
pub use kind::{KIND_COUNT, Kind};
pub use mask::mask;
pub use report::{ErrorEntry, FieldReport, FileReport, Individuals, ScanReport, Totals};
pub use scan::{ProgressFn, ScanOptions, scan_paths};
