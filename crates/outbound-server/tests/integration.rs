//! The server's integration tests, one binary: the API's roles and status
//! codes, sessions and CSRF, escaping, on both backends; the dashboard's pages.

#[macro_use]
mod common;

mod api;
mod api_association;
mod api_complaints;
mod api_incidents;
mod api_recipients;
mod api_reviews;
mod api_rights;
mod api_scans;
mod jobs;
mod log;
mod pages;
mod pages_complaints;
mod pages_incidents;
mod pages_recipient;
mod pages_reviews;
mod pages_rights;
mod security;
