//! Parquet input (feature `parquet`): row groups are scanned in parallel,
//! columns become fields named by their dotted path; nested groups, lists
//! and maps are flattened like JSON. Parquet needs random access, so it is
//! read from the file directly (not from stdin or a compressed stream).

use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use rayon::prelude::*;

use super::jsonl::json_leaf;
use super::merge::{Acc, Rec};
use super::{Ctx, err};
use crate::ProgressFn;

/// Scans a Parquet file; returns its accumulator and size in bytes.
pub(super) fn scan_parquet(
    path: &Path,
    display: &str,
    ctx: &Ctx<'_>,
    progress: Option<ProgressFn>,
) -> (Acc, u64) {
    let mut acc = Acc::default();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let open = || -> Result<SerializedFileReader<std::fs::File>, String> {
        let f = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        SerializedFileReader::new(f).map_err(|e| format!("invalid Parquet file: {e}"))
    };
    let reader = match open() {
        Ok(r) => r,
        Err(m) => {
            acc.errors.push(err(display, None, m));
            return (acc, size);
        }
    };
    // A top-level column name that is personal data (a table pivoted by
    // person) is counted once, as a CSV header cell is; in the rows below
    // it is only masked.
    let mut names = Acc::default();
    let mut p = String::new();
    let schema = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema();
    for f in schema.get_fields() {
        p.clear();
        let kind = crate::detect::kind_of_field_name(f.name());
        super::jsonl::push_named(&mut p, f.name(), kind);
        if let Some(kind) = kind {
            let i = names.field(Some(&p));
            ctx.count_field_name(&mut names, i, kind, f.name().as_bytes());
        }
    }
    let groups = reader.metadata().num_row_groups();
    let sizes: Vec<u64> = (0..groups)
        .map(|i| reader.metadata().row_group(i).compressed_size().max(0) as u64)
        .collect();
    drop(reader);
    let mut acc = (0..groups)
        .into_par_iter()
        .map(|g| {
            let mut acc = Acc {
                sample_cap: ctx.samples,
                ..Default::default()
            };
            // One reader per task: no shared state between row groups.
            let res = open().and_then(|r| {
                let rg = r
                    .get_row_group(g)
                    .map_err(|e| format!("row group {g}: {e}"))?;
                let iter = rg
                    .get_row_iter(None)
                    .map_err(|e| format!("row group {g}: {e}"))?;
                let (mut p, mut num) = (String::new(), String::new());
                for (i, row) in iter.enumerate() {
                    let row = row.map_err(|e| format!("row group {g}: {e}"))?;
                    // Row groups in order, then rows: masked samples are
                    // the file's first, however the groups were scheduled.
                    let mut r = Rec::at(((g as u64) << 32) | i as u64);
                    p.clear();
                    walk_row(&row, &mut p, &mut acc, ctx, &mut r, &mut num);
                    acc.end_record(r);
                }
                Ok(())
            });
            if let Err(m) = res {
                acc.errors.push(err(display, None, m));
            }
            if let Some(p) = &progress {
                p(sizes[g]);
            }
            acc
        })
        .reduce(Acc::default, Acc::merge);
    acc = names.merge(acc);
    acc.errors.sort_by(|a, b| a.message.cmp(&b.message));
    (acc, size)
}

fn walk_row(
    row: &Row,
    path: &mut String,
    acc: &mut Acc,
    ctx: &Ctx<'_>,
    r: &mut Rec,
    num: &mut String,
) {
    for (name, f) in row.get_column_iter() {
        let base = path.len();
        // Counted once, from the schema (`scan_parquet`); masked here.
        super::jsonl::push_key(path, name, acc, r);
        walk_field(f, path, acc, ctx, r, num);
        path.truncate(base);
    }
}

fn walk_field(
    f: &Field,
    path: &mut String,
    acc: &mut Acc,
    ctx: &Ctx<'_>,
    r: &mut Rec,
    num: &mut String,
) {
    use std::fmt::Write;
    num.clear();
    match f {
        Field::Str(s) => return json_leaf(path, s.as_bytes(), acc, ctx, r),
        Field::Bytes(b) => return json_leaf(path, b.data(), acc, ctx, r),
        Field::Group(g) => return walk_row(g, path, acc, ctx, r, num),
        Field::ListInternal(l) => {
            for x in l.elements() {
                walk_field(x, path, acc, ctx, r, num);
            }
            return;
        }
        Field::MapInternal(m) => {
            for (k, v) in m.entries() {
                walk_field(k, path, acc, ctx, r, num);
                walk_field(v, path, acc, ctx, r, num);
            }
            return;
        }
        Field::Int(v) => write!(num, "{v}"),
        Field::Long(v) => write!(num, "{v}"),
        Field::UInt(v) => write!(num, "{v}"),
        Field::ULong(v) => write!(num, "{v}"),
        Field::Float(v) => write!(num, "{v}"),
        Field::Double(v) => write!(num, "{v}"),
        Field::Date(d) => {
            let (y, m, dd) = crate::detect::util::civil_from_days(i64::from(*d));
            write!(num, "{y:04}-{m:02}-{dd:02}")
        }
        _ => return,
    }
    .ok();
    let v = std::mem::take(num);
    json_leaf(path, v.as_bytes(), acc, ctx, r);
    *num = v;
}
