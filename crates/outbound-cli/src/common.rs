//! Helpers more than one command uses. Imports none of its sibling modules,
//! so that commands can share it without importing each other.

use std::path::Path;

use jiff::civil::Date;
use outbound_model::{Diagnostic, Loaded, load_path};
use outbound_rules::assess::Assessment;
use outbound_store::Store;

/// Parses a command-line date with a message that says what is expected.
pub(crate) fn parse_date(s: &str) -> Result<Date, String> {
    s.parse::<Date>()
        .map_err(|_| format!("`{s}` is not a real date in the form YYYY-MM-DD"))
}

/// Who a change made from the command line is logged as: `cli:` and the
/// operating-system user.
pub(crate) fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

/// Today's date in the local time zone.
pub(crate) fn today() -> Date {
    jiff::Zoned::now().date()
}

/// Loads a map; on an unreadable path prints the error and returns exit code 2.
pub(crate) fn load(map: &Path) -> Result<Loaded, u8> {
    let mut loaded = load_path(map).map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    // What the rule data finds (a free trade zone without a negative list) makes a map invalid too.
    let found = outbound_rules::mapcheck::check(&loaded.map, today());
    loaded.diagnostics.extend(found.errors);
    Ok(loaded)
}

/// Loads a map that must be valid: prints its problems and returns the exit code otherwise
/// (2 unreadable, 1 invalid).
pub(crate) fn load_valid(map: &Path) -> Result<Loaded, u8> {
    let loaded = load(map)?;
    if !loaded.diagnostics.is_empty() {
        print_diagnostics(&loaded.diagnostics);
        eprintln!(
            "error: the data map has {} problem(s); fix them first (`outbound validate`)",
            loaded.diagnostics.len()
        );
        return Err(1);
    }
    Ok(loaded)
}

/// Prints diagnostics to stderr in the compiler style.
pub(crate) fn print_diagnostics(diags: &[Diagnostic]) {
    for d in diags {
        eprintln!(
            "{}: error[{}]: {}: {}",
            d.loc,
            serde_json::to_value(d.code)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            d.field,
            d.message
        );
        if !d.help.is_empty() {
            eprintln!("  help: {}", d.help);
        }
    }
}

/// Opens a store that a command only reads. It must exist: opening a mistyped
/// SQLite path would create an empty store, and a report would cite its zeros.
/// (A PostgreSQL URL names a database that must exist to connect at all.)
pub(crate) fn open_existing_store(location: &str) -> anyhow::Result<Store> {
    if !outbound_store::is_postgres(location) && !Path::new(location).is_file() {
        anyhow::bail!(
            "no store at {location}; `outbound store init --store {location}` creates one"
        );
    }
    Ok(Store::open(location)?)
}

/// Judges the map as of a date with the ledger's counts
/// ([`outbound_gate::ledger::assess_with_ledger`]), saying what failed.
pub(crate) fn assess_with_ledger(
    map: &outbound_model::DataMap,
    as_of: Date,
    store: Option<&Store>,
) -> anyhow::Result<Assessment> {
    outbound_gate::ledger::assess_with_ledger(map, as_of, store)
        .map_err(|e| anyhow::Error::new(e).context("the ledger could not give its counts"))
}
