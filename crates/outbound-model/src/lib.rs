//! The Outbound data map: exporters, systems, datasets, recipients and
//! transfers, the taxonomy of personal-information categories, and loading
//! hand-written YAML with precise diagnostics.
//!
//! This crate knows nothing of law: it describes what exists. The rules crate
//! judges it.

#[macro_use]
mod choice;
pub mod country;
pub mod counts;
pub mod diag;
pub mod example;
pub mod limits;
mod load;
pub mod map;
pub mod taxonomy;

pub use choice::*;
pub use counts::Counts;
pub use diag::{Code, Diagnostic, Loc};
pub use load::{LoadError, Loaded, known_keys, load_path, load_sources, parse_retention};
pub use map::*;
pub use taxonomy::{Category, Taxonomy};

/// The JSON Schema of the data-map format.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(DataMap)).expect("a schema serialises")
}
