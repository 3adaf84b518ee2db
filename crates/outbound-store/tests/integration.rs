//! The store's integration tests, one binary: the Merkle tree and its proofs,
//! signed heads and bundles, tamper detection, and the store on both backends.

/// Runs each named `fn(&Store, &Keys)` twice, in modules `sqlite` and
/// `postgres`: on a fresh store of each backend, or, given
/// `fixture "vN" as sqlite_mod, postgres_mod:`, on the store an earlier
/// version made (`tests/fixtures/vN`, `vN-postgres`) in modules of those
/// names. The PostgreSQL variants skip without a test cluster (and fail
/// under CI, `outbound_store::testing`).
macro_rules! both {
    (fixture $fixture:literal as $sqlite:ident, $postgres:ident: $($name:ident),* $(,)?) => {
        mod $sqlite { $( #[test] fn $name() { if let Some((_d, s, k)) = crate::layout::fixture_named($fixture, false) { super::$name(&s, &k) } } )* }
        mod $postgres { $( #[test] fn $name() { if let Some((_d, s, k)) = crate::layout::fixture_named($fixture, true) { super::$name(&s, &k) } } )* }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { if let Some((s, k, _d)) = crate::store::fresh(false) { super::$name(&s, &k) } } )* }
        mod postgres { $( #[test] fn $name() { if let Some((s, k, _d)) = crate::store::fresh(true) { super::$name(&s, &k) } } )* }
    };
}

mod accounts;
mod append_cache;
mod audit_group;
mod c2sp;
mod complaints;
mod consent_register;
mod cosign;
mod deliveries;
mod digests;
mod entry_kinds;
mod group_sets;
mod incidents;
mod keysets;
mod layout;
mod merges;
mod merkle_props;
mod merkle_signed_head;
mod merkle_tamper;
mod merkle_vectors;
mod recipients;
mod reviews;
mod rights;
mod scans;
mod snapshots;
mod store;
mod tamper_tables;
mod windows;
