//! Compliance snapshots a company publishes, and an association's members
//! and the snapshots it collects (issue 12).

use crate::schema::Backend;

/// The migration that creates this module's tables.
pub(crate) fn migration(_backend: Backend) -> String {
    String::new()
}
