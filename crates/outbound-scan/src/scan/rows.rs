//! Rows handed over one at a time, with column names: a database's
//! tables (crate `outbound-scan-db` reads them). Each table becomes one
//! file entry, scanned exactly like a CSV with a header: the column name is
//! the field name (so header hints apply), each cell goes through the same
//! per-field detection, and distinct individuals are counted over all
//! tables of the run together.

use std::hash::RandomState;
use std::sync::atomic::AtomicBool;

use super::merge::{self, Acc, Rec};
use super::{Ctx, MAX_FIELDS, OTHER_FIELDS, ScanOptions, err};
use crate::report::{ErrorEntry, FieldReport, FileReport, ScanReport, TableInfo};

/// A scan of rows from several tables; [`RowScan::finish`] gives the
/// report. Only counters and keyed hashes are kept, never values.
pub struct RowScan {
    hasher: RandomState,
    auto_seen: [AtomicBool; 3],
    subject_key: Option<String>,
    samples: usize,
    results: Vec<(FileReport, Acc)>,
    errors: Vec<ErrorEntry>,
}

impl std::fmt::Debug for RowScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowScan")
            .field("subject_key", &self.subject_key)
            .field("tables", &self.results.len())
            .finish_non_exhaustive()
    }
}

impl RowScan {
    /// A new scan; of `opts`, `subject_key` and `samples` apply (tables
    /// are read by the caller, so paths, globs and threads do not).
    pub fn new(opts: &ScanOptions) -> Self {
        RowScan {
            hasher: RandomState::new(),
            auto_seen: Default::default(),
            subject_key: opts.subject_key.clone(),
            samples: opts.samples,
            results: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Starts a table reported as `path` (format `format`) whose rows have
    /// these columns. Rows are added with [`TableScan::row`]; the table is
    /// added to the report by [`TableScan::finish`].
    pub fn table(&mut self, path: &str, format: &str, columns: &[String]) -> TableScan<'_> {
        let names: Vec<Option<String>> = columns
            .iter()
            .take(MAX_FIELDS)
            .map(|c| Some(c.clone()))
            .collect();
        let key_idx = self
            .subject_key
            .as_deref()
            .and_then(|k| columns.iter().position(|c| c == k));
        let mut acc = Acc::with_names(&names);
        acc.key_seen = key_idx.is_some();
        acc.sample_cap = self.samples;
        TableScan {
            fr: FileReport {
                path: path.to_string(),
                format: format.to_string(),
                encoding: "utf-8".into(),
                ..Default::default()
            },
            owner: self,
            acc,
            key_idx,
            named: names.len(),
        }
    }

    /// Records a problem with `path` (a table or the database); the scan
    /// goes on. The message must not contain values.
    pub fn error(&mut self, path: &str, message: String) {
        self.errors.push(err(path, None, message));
    }

    /// The report: one file entry per table in the order finished, totals,
    /// distinct individuals over all tables, and the errors.
    pub fn finish(self) -> ScanReport {
        merge::report(self.results, self.subject_key.as_deref(), self.errors)
    }
}

/// One table being scanned; see [`RowScan::table`].
pub struct TableScan<'s> {
    owner: &'s mut RowScan,
    fr: FileReport,
    acc: Acc,
    key_idx: Option<usize>,
    named: usize,
}

impl std::fmt::Debug for TableScan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableScan")
            .field("path", &self.fr.path)
            .field("records", &self.acc.records)
            .finish_non_exhaustive()
    }
}

impl TableScan<'_> {
    /// Scans one row: its cells in column order, `None` for NULL (or a
    /// value not scanned, such as binary). Cells past the named columns
    /// become `column_N` fields.
    pub fn row<'v, I: IntoIterator<Item = Option<&'v [u8]>>>(&mut self, cells: I) {
        let o = &*self.owner;
        let ctx = Ctx {
            hasher: &o.hasher,
            auto_seen: &o.auto_seen,
            subject_key: o.subject_key.as_deref(),
            samples: o.samples,
        };
        let mut r = Rec::default();
        for (i, v) in cells.into_iter().enumerate() {
            let Some(v) = v else { continue };
            self.fr.bytes += v.len() as u64;
            let idx = if i < self.named {
                i
            } else if i >= MAX_FIELDS {
                self.acc.field(Some(OTHER_FIELDS))
            } else {
                self.acc.field(Some(&format!("column_{}", i + 1)))
            };
            ctx.cell(
                &mut self.acc.fields[idx],
                v,
                true,
                self.key_idx == Some(i),
                &mut r,
            );
        }
        self.acc.end_record(r, &ctx);
    }

    /// Rows scanned so far.
    pub fn records(&self) -> u64 {
        self.acc.records
    }

    /// Ends the table: adds its entry, with `table` (rows read out of how
    /// many) when given, to the report.
    pub fn finish(mut self, table: Option<TableInfo>) {
        let samples = self.owner.samples;
        self.fr.records = self.acc.records;
        self.fr.fields = self
            .acc
            .fields
            .iter_mut()
            .map(|f| merge::field_report(f, samples))
            .collect::<Vec<FieldReport>>();
        self.fr.table = table;
        self.owner.results.push((self.fr, self.acc));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table scanned row by row reports what the same data as a CSV
    /// file reports: same fields, kinds, classification and individuals.
    #[test]
    fn rows_scan_like_the_same_csv() {
        let (csv, gt) = crate::corpus::csv_bytes(300, 11);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.csv");
        std::fs::write(&p, &csv).unwrap();
        let file = crate::scan_paths(&[p], &ScanOptions::default());

        let mut rdr = ::csv::Reader::from_reader(&csv[..]);
        let cols: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        let mut scan = RowScan::new(&ScanOptions::default());
        let mut t = scan.table("db#t", "table", &cols);
        for rec in rdr.records() {
            let rec = rec.unwrap();
            // NULL for an empty cell, as a database would hold it.
            t.row(rec.iter().map(|c| (!c.is_empty()).then_some(c.as_bytes())));
        }
        assert_eq!(t.records(), 300);
        t.finish(None);
        let rows = scan.finish();

        assert_eq!(rows.files[0].format, "table");
        assert_eq!(rows.files[0].records, gt.rows);
        let summary = |r: &ScanReport| {
            r.files[0]
                .fields
                .iter()
                .map(|f| (f.field.clone(), f.kinds.clone(), f.classified_as))
                .collect::<Vec<_>>()
        };
        assert_eq!(summary(&rows), summary(&file));
        assert_eq!(rows.totals.kinds, file.totals.kinds);
        assert_eq!(rows.individuals.key, file.individuals.key);
        assert_eq!(rows.individuals.distinct, gt.distinct_ids);
        assert_eq!(rows.individuals.sensitive, file.individuals.sensitive);
    }

    #[test]
    fn subject_key_column_and_extra_cells() {
        let opts = ScanOptions {
            subject_key: Some("uid".into()),
            ..Default::default()
        };
        let mut scan = RowScan::new(&opts);
        let cols = ["uid".to_string(), "mobile".to_string()];
        let mut t = scan.table("db#a", "table", &cols);
        for (u, m) in [
            ("1", "13812345678"),
            ("2", "13912345678"),
            ("1", "13812345678"),
        ] {
            t.row([Some(u.as_bytes()), Some(m.as_bytes()), Some(&b"x"[..])]);
        }
        t.row([None, None]);
        t.finish(None);
        let r = scan.finish();
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.individuals.key.as_deref(), Some("uid"));
        assert_eq!(r.individuals.distinct, 2);
        let f = &r.files[0];
        assert_eq!(f.records, 4);
        assert_eq!(f.fields[1].kinds.get("cn_mobile"), Some(&3));
        assert_eq!(f.fields[2].field.as_deref(), Some("column_3"));
    }
}
