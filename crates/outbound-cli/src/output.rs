//! Output formats shared by the commands, and the writes to standard output.
//!
//! Commands print with `out!`/`outln!`, which return the write's error instead
//! of panicking as `print!` does: when the reader of a pipe stops (`| head`),
//! the error reaches `main`, which ends quietly (see `is_broken_pipe`).

use comfy_table::{ContentArrangement, Table, presets};

/// `print!` to standard output, returning `std::io::Result<()>`.
macro_rules! out {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(&mut std::io::stdout().lock(), format_args!($($arg)*))
    };
}

/// `println!` to standard output, returning `std::io::Result<()>`.
macro_rules! outln {
    () => {
        $crate::output::out!("\n")
    };
    ($($arg:tt)*) => {
        $crate::output::out!("{}\n", format_args!($($arg)*))
    };
}

pub(crate) use {out, outln};

/// Whether an error is a write to a pipe whose reader has gone: not a failure
/// of the command, so it ends quietly with success, as ripgrep does.
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// How a command prints its result.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Aligned text for a terminal.
    Table,
    /// JSON for programs.
    Json,
    /// Markdown for reports and pull requests.
    Markdown,
}

/// A table in the house style: plain ASCII so snapshots and logs stay readable.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::ASCII_BORDERS_ONLY_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    t
}

/// A Markdown table.
pub(crate) fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for r in rows {
        out.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    out
}

/// Prints a value as pretty JSON.
pub(crate) fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?)?;
    Ok(())
}

/// A name from the data (a header cell, a key, a file name) as a terminal
/// shows it: control characters escaped (`\n`, `\u{1b}`), so a header
/// cannot move the cursor, recolour the screen or forge a line.
pub(crate) fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}
