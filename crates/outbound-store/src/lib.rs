//! Persistence for Outbound: the ledger of executed transfers, exact
//! distinct-individual sets, route suspensions, consent, and the
//! append-only Merkle audit log with signed tree heads.
//!
//! Two backends behind one interface: SQLite (embedded default, one file in
//! WAL mode) and PostgreSQL (several gates and servers sharing one database).

pub mod audit;
pub mod keys;
pub mod ledger;
pub mod merkle;
pub mod schema;
pub mod signed_head;
mod store;
pub mod testing;

pub use keys::Keys;
pub use ledger::{
    BatchCounts, BatchRecord, BatchSummary, ConsentRecord, Counts, Recorded, RouteState, Subject,
};
pub use schema::Backend;
pub use store::{Store, default_location, is_postgres};

/// What can go wrong in the store. Messages never contain personal data:
/// subjects are only ever handled as keyed hashes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened.
    #[error("cannot open the store {0}")]
    Open(String),
    /// A database operation failed.
    #[error("store: {0}")]
    Db(String),
    /// A file operation failed.
    #[error("{0}")]
    Io(String),
    /// Keys are missing or unusable.
    #[error("keys: {0}")]
    Keys(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}
