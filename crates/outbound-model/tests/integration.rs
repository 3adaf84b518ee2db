//! The model crate's integration tests, in one binary.

mod fuzz;
mod load;
mod schema;
