//! Reading and rewriting a batch, CSV with a header or JSON lines: every value
//! goes through the run's policy, every record through its consent filter.

use std::io::{BufRead, BufReader, Read, Write};

use outbound_model::{Transform, UndeclaredPolicy};

use crate::policy::{Overflow, RecordState, Run, Value};
use crate::{Format, GateError, Io};

/// The input, buffered, and its format (sniffed from the name or the first bytes when not given).
pub(crate) fn open(
    input: &Io,
    format: Option<Format>,
) -> Result<(BufReader<Box<dyn Read>>, Format), GateError> {
    let name = input.name();
    let raw: Box<dyn Read> = match input {
        Io::Path(p) => Box::new(std::fs::File::open(p).map_err(|e| GateError::Input {
            file: name.clone(),
            line: 0,
            message: format!("cannot open: {e}"),
        })?),
        Io::Std => Box::new(std::io::stdin()),
    };
    let mut reader = BufReader::with_capacity(1 << 16, raw);
    let head = reader.fill_buf().map_err(|e| GateError::Input {
        file: name,
        line: 0,
        message: e.to_string(),
    })?;
    let format = format.unwrap_or_else(|| sniff(input, head));
    Ok((reader, format))
}

/// Passes every record of `reader` through `run` and writes what leaves to `out`.
pub(crate) fn process<W: Write>(
    run: &mut Run<'_>,
    reader: impl BufRead,
    format: Format,
    out: &mut W,
    input: &Io,
) -> Result<(), GateError> {
    let name = input.name();
    match format {
        Format::Csv => process_csv(run, reader, out, &name, input),
        Format::Jsonl => process_jsonl(run, reader, out, &name),
    }
}

fn sniff(input: &Io, head: &[u8]) -> Format {
    if let Io::Path(p) = input {
        match p.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson" | "json") => return Format::Jsonl,
            Some("csv" | "tsv") => return Format::Csv,
            _ => {}
        }
    }
    if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        Format::Jsonl
    } else {
        Format::Csv
    }
}

fn process_csv<W: Write>(
    run: &mut Run<'_>,
    reader: impl Read,
    out: &mut W,
    name: &str,
    input: &Io,
) -> Result<(), GateError> {
    let delim = match input {
        Io::Path(p) if p.extension().and_then(|e| e.to_str()) == Some("tsv") => b'\t',
        _ => b',',
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| GateError::Input {
            file: name.into(),
            line: 1,
            message: format!("cannot read the header: {}", csv_msg(&e)),
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    // A header that is itself personal data refuses the batch before anything is written.
    for (i, h) in headers.iter().enumerate() {
        let column = |k: &str| format!("column {} (a header that is itself a {k})", i + 1);
        if !run.check_name(h, column) {
            return Ok(());
        }
    }
    // Columns that leave: everything except drops decided up front.
    let keep_col: Vec<bool> = headers
        .iter()
        .map(|h| match run.declared.get(h) {
            Some(d) => d.transform != Some(Transform::Drop),
            None => run.policy != UndeclaredPolicy::Drop,
        })
        .collect();
    let mut w = csv::WriterBuilder::new().delimiter(delim).from_writer(out);
    w.write_record(
        headers
            .iter()
            .zip(&keep_col)
            .filter(|(_, k)| **k)
            .map(|(h, _)| h.as_str()),
    )
    .map_err(|e| GateError::Output(e.to_string()))?;
    let mut row = csv::StringRecord::new();
    let mut cells: Vec<String> = Vec::with_capacity(headers.len());
    loop {
        match rdr.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(GateError::Input {
                    file: name.into(),
                    line,
                    message: csv_msg(&e),
                });
            }
        }
        let line = row.position().map_or(0, |p| p.line());
        let mut rec = RecordState::default();
        cells.clear();
        for (i, v) in row.iter().enumerate() {
            let out = run
                .value(&headers[i], v, &mut rec)
                .map_err(|o| overflow(o, name, line))?;
            if keep_col[i] {
                cells.push(match out {
                    Value::Keep(s) => s,
                    Value::Drop => String::new(),
                });
            }
        }
        if run
            .end_record(rec, line)
            .map_err(|o| overflow(o, name, line))?
        {
            w.write_record(&cells)
                .map_err(|e| GateError::Output(e.to_string()))?;
        }
    }
    w.flush().map_err(|e| GateError::Output(e.to_string()))?;
    Ok(())
}

/// An impossible count, as an input error naming the count and the line.
fn overflow(o: Overflow, name: &str, line: u64) -> GateError {
    GateError::Input {
        file: name.into(),
        line,
        message: format!("the count of {} overflows", o.0),
    }
}

/// A CSV error without the record's content.
fn csv_msg(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("a record has {len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => "malformed CSV".into(),
    }
}

fn process_jsonl<W: Write>(
    run: &mut Run<'_>,
    reader: impl BufRead,
    out: &mut W,
    name: &str,
) -> Result<(), GateError> {
    for (i, line) in reader.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.map_err(|e| GateError::Input {
            file: name.into(),
            line: line_no,
            message: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let mut v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| GateError::Input {
                file: name.into(),
                line: line_no,
                message: format!(
                    "invalid JSON at column {}: {}",
                    e.column(),
                    e.classify_name()
                ),
            })?;
        let mut rec = RecordState::default();
        walk(run, &mut v, "", &mut rec, line_no).map_err(|o| overflow(o, name, line_no))?;
        if run.name_refusal.is_some() {
            // A key that is itself personal data refuses the batch: stop reading.
            return Ok(());
        }
        if run
            .end_record(rec, line_no)
            .map_err(|o| overflow(o, name, line_no))?
        {
            serde_json::to_writer(&mut *out, &v).map_err(|e| GateError::Output(e.to_string()))?;
            out.write_all(b"\n")
                .map_err(|e| GateError::Output(e.to_string()))?;
        }
    }
    Ok(())
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Eof => "unexpected end",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Io => "read error",
        }
    }
}

/// Visits every scalar leaf with its dotted path (array elements share their parent's path).
/// Stops at a key that is itself personal data, leaving the refusal in `run`.
fn walk(
    run: &mut Run<'_>,
    v: &mut serde_json::Value,
    path: &str,
    rec: &mut RecordState,
    line: u64,
) -> Result<(), Overflow> {
    match v {
        serde_json::Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let place = |kind: &str| {
                    let within = if path.is_empty() {
                        "the record".to_string()
                    } else {
                        format!("the object at `{path}`")
                    };
                    format!("line {line}, a key of {within} (a key that is itself a {kind})")
                };
                if !run.check_name(&k, place) {
                    return Ok(());
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                let Some(child) = m.get_mut(&k) else {
                    continue;
                };
                let drop = match child {
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        walk(run, child, &p, rec, line)?;
                        false
                    }
                    _ => leaf(run, child, &p, rec)?,
                };
                if run.name_refusal.is_some() {
                    return Ok(());
                }
                if drop {
                    m.remove(&k);
                }
            }
        }
        serde_json::Value::Array(a) => {
            for child in a.iter_mut() {
                match child {
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        walk(run, child, path, rec, line)?;
                        if run.name_refusal.is_some() {
                            return Ok(());
                        }
                    }
                    _ => {
                        if leaf(run, child, path, rec)? {
                            *child = serde_json::Value::Null;
                        }
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Handles one scalar; returns true when it must be removed.
fn leaf(
    run: &mut Run<'_>,
    v: &mut serde_json::Value,
    path: &str,
    rec: &mut RecordState,
) -> Result<bool, Overflow> {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(_) | serde_json::Value::Null => return Ok(false),
        _ => return Ok(false),
    };
    Ok(match run.value(path, &text, rec)? {
        Value::Drop => true,
        Value::Keep(s) => {
            if s != text {
                *v = serde_json::Value::String(s);
            }
            false
        }
    })
}
