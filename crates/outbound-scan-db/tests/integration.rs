//! outbound-scan-db's integration tests, in one binary: SQLite databases
//! made in the test from the synthetic corpus, and PostgreSQL on the test
//! cluster (`OUTBOUND_TEST_POSTGRES`) and MariaDB on the test server
//! (`OUTBOUND_TEST_MYSQL`; each skipped when unset outside CI).

mod common;
mod mysql;
mod postgres;
mod sampling;
mod sqlite;
