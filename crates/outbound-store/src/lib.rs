//! Persistence for Outbound: the ledger of executed transfers, exact
//! distinct-individual sets, consent, and the append-only Merkle audit log.

pub mod merkle;
