//! Witnesses' cosignatures of the log's checkpoints (issue 12).

use crate::schema::Backend;

/// The migration that creates this module's tables.
pub(crate) fn migration(_backend: Backend) -> String {
    String::new()
}
