//! The crate's one integration-test binary: each former test file is a
//! module, so the suite links once instead of five times.

mod common;

mod cli;
mod contracts;
mod facts_fuzz;
mod gate_kill;
mod gate_trust;
mod incident_cli;
mod recipient_cli;
mod report_cli;
mod request_cli;
mod scan_db_cli;
mod serve_cli;
mod snapshot_cli;
mod store_cli;
mod store_trust;
mod trust_inputs;
mod witness_cli;
