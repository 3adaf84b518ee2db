//! Placeholder for the recipients workflow (issue 14): its table comes in migration
//! 6, its rows are committed as small-table parts.

use sqlx::AnyConnection;

use crate::StoreError;
use crate::schema::Backend;
use crate::state::Delta;

/// The migration that creates this workflow's tables.
pub(crate) fn migration(_backend: Backend) -> String {
    String::new()
}

/// This workflow's rows, for the small-table parts.
pub(crate) async fn parts(_conn: &mut AnyConnection, _d: &mut Delta) -> Result<(), StoreError> {
    Ok(())
}
