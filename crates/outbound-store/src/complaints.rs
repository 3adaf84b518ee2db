//! Handling of complaints from the public channel: triage, deadline, answer (issue 14).

use crate::schema::Backend;

/// The migration that adds this workflow's columns and tables.
pub(crate) fn migration(_backend: Backend) -> String {
    String::new()
}
