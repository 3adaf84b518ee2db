//! `outbound validate`.

use std::path::Path;

use crate::common::{load, print_diagnostics, today};
use crate::output::{Format, markdown_table, out, outln, print_json};

pub(crate) fn run(map: &Path, format: Format) -> anyhow::Result<u8> {
    let loaded = match load(map) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let n = loaded.diagnostics.len();
    // Warnings (datasets without a data grade, declarations a negative list contradicts)
    // do not make the map invalid.
    let warnings = outbound_rules::mapcheck::check(&loaded.map, today()).warnings;
    match format {
        Format::Json => print_json(&serde_json::json!({
            "files": loaded.files,
            "valid": n == 0,
            // What the gate's audit entries record of the map (`batch` v2).
            "content_sha256": (n == 0).then(|| loaded.map.content_sha256()),
            "diagnostics": loaded.diagnostics,
            "warnings": warnings,
        }))?,
        Format::Markdown => {
            let rows: Vec<Vec<String>> = loaded
                .diagnostics
                .iter()
                .map(|d| (d, ""))
                .chain(warnings.iter().map(|d| (d, "warning: ")))
                .map(|(d, w)| {
                    vec![
                        d.loc.to_string(),
                        d.field.clone(),
                        format!("{w}{}", d.message),
                        d.help.clone(),
                    ]
                })
                .collect();
            out!(
                "{}",
                markdown_table(&["where", "field", "problem", "fix"], &rows)
            )?;
        }
        Format::Table => {
            print_diagnostics(&loaded.diagnostics);
            for d in &warnings {
                eprintln!("{}: warning: {}: {}", d.loc, d.field, d.message);
                if !d.help.is_empty() {
                    eprintln!("  help: {}", d.help);
                }
            }
            let m = &loaded.map;
            if n == 0 {
                outln!(
                    "ok: {} file(s), {} exporters, {} systems, {} datasets, {} recipients, {} transfers",
                    loaded.files.len(),
                    m.exporters.len(),
                    m.systems.len(),
                    m.datasets.len(),
                    m.recipients.len(),
                    m.transfers.len()
                )?;
                // What the gate's audit entries record of the map.
                outln!("content SHA-256: {}", m.content_sha256())?;
            } else {
                eprintln!("{n} problem(s) in {} file(s)", loaded.files.len());
            }
        }
    }
    Ok(if n == 0 { 0 } else { 1 })
}
