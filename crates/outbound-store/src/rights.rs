//! Rights requests of individuals and their forwarding to recipients (issue 14).

use sqlx::AnyConnection;

use crate::StoreError;
use crate::schema::Backend;
use crate::state::Delta;

/// The migration that creates this workflow's tables.
pub(crate) fn migration(_backend: Backend) -> String {
    String::new()
}

/// Every row of this module's small-table parts, into `d`.
pub(crate) async fn parts(_conn: &mut AnyConnection, _d: &mut Delta) -> Result<(), StoreError> {
    Ok(())
}
