//! `outbound validate`.

use std::path::Path;

use crate::common::{load, print_diagnostics};
use crate::output::{Format, markdown_table, out, outln, print_json};

pub(crate) fn run(map: &Path, format: Format) -> anyhow::Result<u8> {
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
            out!(
                "{}",
                markdown_table(&["where", "field", "problem", "fix"], &rows)
            )?;
        }
        Format::Table => {
            print_diagnostics(&loaded.diagnostics);
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
            } else {
                eprintln!("{n} problem(s) in {} file(s)", loaded.files.len());
            }
        }
    }
    Ok(if n == 0 { 0 } else { 1 })
}
