//! outbound-scan-db's integration tests, in one binary: SQLite databases
//! made in the test from the synthetic corpus, and PostgreSQL on the test
//! cluster (`OUTBOUND_TEST_POSTGRES`; skipped when unset outside CI).

mod common;
mod postgres;
mod sampling;
mod sqlite;
