//! The crate's integration tests, in one binary (one link, one run).

mod common;
mod documents;
mod incident;
#[cfg(feature = "pdf")]
mod pdf;
mod templates;
