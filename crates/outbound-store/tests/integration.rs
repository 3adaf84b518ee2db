//! The store's integration tests, one binary: the Merkle tree and its proofs,
//! signed heads and bundles, tamper detection, and the store on both backends.

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
mod snapshots;
mod store;
mod tamper_tables;
mod windows;
