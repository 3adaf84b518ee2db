//! Shared test setup: the bundled example, assessed on a fixed date.

use std::path::PathBuf;

use jiff::civil::{Date, date};
use outbound_docs::{DocKind, Document, Input, Lang};
use outbound_model::DataMap;
use outbound_rules::assess::{Assessment, assess};

pub(crate) const AS_OF: Date = date(2026, 11, 23);

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example map, loaded with paths relative to the workspace root (as a user would type them).
pub(crate) fn lumen() -> DataMap {
    std::env::set_current_dir(root()).unwrap();
    let loaded = outbound_model::load_path(std::path::Path::new("examples/lumen")).unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    loaded.map
}

pub(crate) fn assessed(map: &DataMap) -> Assessment {
    assess(map, AS_OF, None)
}

pub(crate) fn docs(kind: DocKind, transfer: Option<&str>, lang: Lang) -> Vec<Document> {
    let map = lumen();
    let a = assessed(&map);
    let input = Input::new(&map, &a);
    outbound_docs::documents(&input, kind, transfer, lang).unwrap()
}

/// The example map with the purpose of transfer `analytics-eu` replaced, for
/// the tests of text from the map reaching HTML and PDF.
pub(crate) fn lumen_with_analytics_purpose(purpose: &str) -> DataMap {
    let mut map = lumen();
    let t = map
        .transfers
        .iter_mut()
        .find(|t| t.id == "analytics-eu")
        .expect("the example has analytics-eu");
    t.purpose = purpose.into();
    map
}
