//! `outbound evaluate --facts FILE`.

use std::io::Read;

use outbound_rules::{Facts, evaluate};

use crate::assess::{render_conflicts_text, render_determination_text};
use crate::output::{Format, out, outln, print_json};

pub(crate) fn run(path: &str, format: Format) -> anyhow::Result<u8> {
    let text = if path == "-" {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut s) {
            eprintln!("error: cannot read standard input: {e}");
            return Ok(2);
        }
        s
    } else {
        match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot read {path}: {e}");
                return Ok(2);
            }
        }
    };
    let name = if path == "-" { "<stdin>" } else { path };
    let facts = match Facts::from_json(name, &text) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let ev = match evaluate(&facts) {
        Ok(ev) => ev,
        Err(e) => {
            eprintln!("error: {name}: {e}");
            return Ok(2);
        }
    };
    match format {
        Format::Json => print_json(&ev)?,
        Format::Table | Format::Markdown => {
            outln!("transfer {} as of {}", ev.transfer, facts.as_of)?;
            if ev.determinations.is_empty() {
                outln!(
                    "  no regime applies (exporter in {}, recipient in {})",
                    facts.exporter.country,
                    facts.transfer.recipient_country
                )?;
            }
            for d in &ev.determinations {
                out!("{}", render_determination_text(d, facts.as_of))?;
            }
            out!("{}", render_conflicts_text(&ev.conflicts))?;
        }
    }
    Ok(0)
}
