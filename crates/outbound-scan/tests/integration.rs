//! outbound-scan's integration tests, in one binary (one link, one run).
//! Parquet tests only build with the `parquet` feature.

mod accuracy;
mod bad_inputs;
mod common;
mod fast_path;
mod field_limit;
mod field_names;
mod fuzz_readers;
mod individuals;
mod limits;
mod parquet;
mod readers;
mod streams;
