//! The server's integration tests, one binary: the API's roles and status
//! codes, sessions and CSRF, escaping, on both backends.

mod api;
mod common;
