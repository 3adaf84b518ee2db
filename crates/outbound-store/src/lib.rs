//! Persistence for Outbound: the ledger of executed transfers, exact
//! distinct-individual sets, route suspensions, consent, and the
//! append-only Merkle audit log with signed tree heads.
//!
//! Two backends behind one interface: SQLite (embedded default, one file in
//! WAL mode) and PostgreSQL (several gates and servers sharing one database).

use std::path::PathBuf;

pub mod accounts;
pub mod audit;
pub mod c2sp;
pub mod complaints;
pub mod consent;
mod consent_index;
pub mod cosign;
mod counted;
pub mod deliveries;
pub mod entry_kinds;
mod fingerprint;
mod group;
mod group_sets;
pub mod hmac_sha256;
pub mod incidents;
pub mod keys;
mod keyset;
mod layout;
pub mod ledger;
mod lthash;
pub mod merges;
pub mod merkle;
mod names;
pub mod recipients;
pub mod reviews;
pub mod rights;
pub mod routes;
pub mod scans;
pub mod schema;
pub mod signed_head;
pub mod snapshots;
mod state;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use accounts::{Account, Complaint, Role};
pub use consent::{ConsentRecord, ConsentRegister};
pub use deliveries::{Delivery, DeliveryWindow};
pub use keys::Keys;
pub use ledger::{
    BatchCounts, BatchDay, BatchQuery, BatchRecord, BatchSummary, Counts, JudgedBatch, MapJudged,
    Recorded, Subject,
};
pub use merges::Merged;
pub use routes::RouteState;
pub use schema::Backend;
pub use store::{Store, default_location, is_postgres};

/// The most rows one page of a list holds ([`BatchQuery`],
/// [`rights::RequestQuery`], [`complaints::ComplaintQuery`]): a caller
/// asking for more gets this many.
pub const PAGE_MAX: u64 = 10_000;

/// The rows a page of a list holds when the caller names no limit.
pub const PAGE_DEFAULT: u64 = 1_000;

/// `$from, $from+1, …`: `n` numbered placeholders for an `IN (…)` list,
/// the values bound in that order.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An underlying failure kept as an error's source.
type Source = Box<dyn std::error::Error + Send + Sync>;

/// What can go wrong in the store. Messages never contain personal data:
/// subjects are only ever handled as keyed hashes, keys are never shown, and
/// each error keeps what caused it as its [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened.
    #[error("cannot open the store {location}")]
    Open {
        /// The file path or the URL without its password.
        location: String,
        /// Why the driver could not connect.
        #[source]
        source: sqlx::Error,
    },
    /// A database operation failed.
    #[error("store: cannot {op}")]
    Db {
        /// What the store was doing ("record a batch").
        op: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A SQLite file could not be read directly (not through the pool).
    #[error("store: cannot {op}")]
    File {
        /// What the store was doing ("read the audit log").
        op: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A file or directory could not be created.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was attempted ("create").
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The store's private runtime could not start.
    #[error("cannot start the store's runtime")]
    Runtime(#[source] std::io::Error),
    /// Keys are missing or unusable.
    #[error("keys: {problem}")]
    Keys {
        /// What is wrong, naming the file or variable (never a key).
        problem: String,
        /// The underlying failure, when there is one that shows no key material.
        #[source]
        source: Option<Source>,
    },
    /// The store was written by a newer Outbound.
    #[error(
        "the store's schema version {found} is newer than this Outbound knows ({known}); upgrade Outbound"
    )]
    SchemaTooNew {
        /// The store's version.
        found: i64,
        /// The newest version this build knows.
        known: usize,
    },
    /// Stored data does not have the form the store writes.
    #[error("store: the stored {what} is malformed")]
    Malformed {
        /// Which data ("audit tree state").
        what: &'static str,
        /// What is wrong with it.
        #[source]
        source: Option<Source>,
    },
    /// The audit log cannot take another entry.
    #[error("store: the audit log cannot grow")]
    AuditFull(#[source] merkle::CompactTreeError),
    /// The audit log has no entries, so nothing can be proved.
    #[error("the audit log is empty")]
    EmptyLog,
    /// No audit entry has the index asked for.
    #[error("no entry {index}; the log has {size} entries")]
    NoEntry {
        /// The index asked for.
        index: u64,
        /// The number of entries.
        size: u64,
    },
    /// A proof could not be built from the stored log.
    #[error("store: audit proof")]
    Proof(#[source] signed_head::BundleError),
    /// A batch to record names no exporter.
    #[error("store: a batch needs an exporter")]
    NoExporter,
    /// The store does not verify: what the next write would build on is not what
    /// the audit log last committed to. Nothing was written.
    #[error(
        "the store does not verify ({problem}); nothing was written or counted. Run `outbound audit verify`"
    )]
    Tampered {
        /// What does not match (tables and ids, never a subject or a key).
        problem: String,
    },
    /// What was asked for would duplicate something that exists.
    #[error("{problem}")]
    Conflict {
        /// What already exists (names and ids, never personal data).
        problem: String,
    },
    /// What was asked for is not valid (a field too long, a time in the
    /// future, an id of the wrong form); nothing was written.
    #[error("{problem}")]
    Invalid {
        /// What is wrong, naming the field (never repeating free text).
        problem: String,
    },
    /// What was asked for does not exist.
    #[error("no {what}")]
    NotFound {
        /// What was looked for ("account `ana`").
        what: String,
    },
    /// A log origin (the checkpoint's first line and its key's name) that a
    /// signed note cannot carry.
    #[error("a log origin is printable ASCII with no space and no `+`")]
    InvalidOrigin,
    /// An audit append or a domain write was group-committed with others and
    /// the group's transaction failed: nothing of the group was written.
    #[error("store: the group of writes this one was part of was not written ({problem})")]
    GroupFailed {
        /// Why the group failed (the store's error and its causes).
        problem: String,
    },
    /// The 12 months before a date fall outside the calendar's range.
    #[error("store: the 12 months before the date are out of range")]
    DateRange(#[source] jiff::Error),
}

/// A database error inside an operation; the store names the operation when it returns.
impl StoreError {
    /// A database failure named for the operation it failed (`op`), as the
    /// caller knows it; other errors as they are.
    pub(crate) fn relabel(self, op: &'static str) -> Self {
        match self {
            StoreError::Db { source, .. } => StoreError::Db { op, source },
            other => other,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(source: sqlx::Error) -> Self {
        StoreError::Db {
            op: "use the database",
            source,
        }
    }
}

/// A refusal of bad input that names what is wrong (never repeating free text); nothing was written.
pub(crate) fn invalid(problem: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        problem: problem.into(),
    }
}
