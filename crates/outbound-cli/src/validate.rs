//! `outbound validate`.

use std::path::Path;

use outbound_model::{Diagnostic, Loaded, load_path};

use crate::output::{Format, markdown_table, print_json};

/// Loads a map; on an unreadable path prints the error and returns exit code 2.
pub fn load(map: &Path) -> Result<Loaded, u8> {
    load_path(map).map_err(|e| {
        eprintln!("error: {e}");
        2
    })
}

/// Loads a map that must be valid: prints its problems and returns the exit code otherwise
/// (2 unreadable, 1 invalid).
pub fn load_valid(map: &Path) -> Result<Loaded, u8> {
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
pub fn print_diagnostics(diags: &[Diagnostic]) {
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

pub fn run(map: &Path, format: Format) -> anyhow::Result<u8> {
    let loaded = match load(map) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let n = loaded.diagnostics.len();
    match format {
        Format::Json => print_json(&serde_json::json!({
            "files": loaded.files,
            "valid": n == 0,
            "diagnostics": loaded.diagnostics,
        }))?,
        Format::Markdown => {
            let rows: Vec<Vec<String>> = loaded
                .diagnostics
                .iter()
                .map(|d| {
                    vec![
                        d.loc.to_string(),
                        d.field.clone(),
                        d.message.clone(),
                        d.help.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                markdown_table(&["where", "field", "problem", "fix"], &rows)
            );
        }
        Format::Table => {
            print_diagnostics(&loaded.diagnostics);
            let m = &loaded.map;
            if n == 0 {
                println!(
                    "ok: {} file(s), {} exporters, {} systems, {} datasets, {} recipients, {} transfers",
                    loaded.files.len(),
                    m.exporters.len(),
                    m.systems.len(),
                    m.datasets.len(),
                    m.recipients.len(),
                    m.transfers.len()
                );
            } else {
                eprintln!("{n} problem(s) in {} file(s)", loaded.files.len());
            }
        }
    }
    Ok(if n == 0 { 0 } else { 1 })
}
