//! Rows handed over one at a time, with column names: a database's
//! tables (crate `outbound-scan-db` reads them). Each table becomes one
//! file entry, scanned exactly like a CSV with a header: the column name is
//! the field name (so header hints apply; one that is itself personal data
//! stands as `{kind}`), each cell goes through the same
//! per-field detection, and distinct individuals are counted over all
//! tables of the run together.
//!
//! Two ways in. [`RowScan::table`] scans a table row by row on the
//! caller's thread. For several cores, a table's rows are cut into chunks:
//! each chunk is scanned into its own [`RowChunk`] on any thread (from a
//! [`RowContext`], which needs no access to the [`RowScan`]), the chunks
//! are joined in row order with [`RowChunk::append`], and the table is
//! added with [`RowScan::add_table`]. The report is then the same byte for
//! byte as row by row: counts add up, the first masked samples are kept in
//! row order, fields beyond the columns appear in the order first met, and
//! every chunk hashes with the run's key, so distinct individuals stay
//! exact over all chunks and tables.

use foldhash::quality::RandomState;
use std::sync::Arc;

use super::merge::{self, Acc, Rec};
use super::{Ctx, MAX_FIELDS, OTHER_FIELDS, ScanOptions, err};
use crate::report::{ErrorEntry, FieldReport, FileReport, ScanReport, TableInfo};
use crate::{KIND_COUNT, Kind};

/// What every chunk of a run shares: the hash key (so that the same
/// individual hashes alike in every chunk and table), the subject key and
/// the samples wanted.
struct Shared {
    hasher: RandomState,
    subject_key: Option<String>,
    samples: usize,
    aside: super::Aside,
}

impl Shared {
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            hasher: &self.hasher,
            subject_key: self.subject_key.as_deref(),
            samples: self.samples,
            aside: &self.aside,
            plain: super::plain_path(),
        }
    }
}

/// A scan of rows from several tables; [`RowScan::finish`] gives the
/// report. Only counters and keyed hashes are kept, never values.
pub struct RowScan {
    shared: Arc<Shared>,
    results: Vec<(FileReport, Acc)>,
    errors: Vec<ErrorEntry>,
}

impl std::fmt::Debug for RowScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowScan")
            .field("subject_key", &self.shared.subject_key)
            .field("tables", &self.results.len())
            .finish_non_exhaustive()
    }
}

impl RowScan {
    /// A new scan; of `opts`, `subject_key`, `samples` and `not_kinds` apply (tables
    /// are read by the caller, so paths, globs and threads do not).
    pub fn new(opts: &ScanOptions) -> Self {
        RowScan {
            shared: Arc::new(Shared {
                hasher: RandomState::default(),
                subject_key: opts.subject_key.clone(),
                samples: opts.samples,
                aside: super::Aside::new(&opts.not_kinds),
            }),
            results: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// What chunks of this run's tables are made from, on any thread,
    /// while this scan itself is busy adding other tables.
    pub fn context(&self) -> RowContext {
        RowContext {
            shared: self.shared.clone(),
        }
    }

    /// Starts a table reported as `path` (format `format`) whose rows have
    /// these columns. Rows are added with [`TableScan::row`]; the table is
    /// added to the report by [`TableScan::finish`].
    pub fn table(&mut self, path: &str, format: &str, columns: &[String]) -> TableScan<'_> {
        let chunk = self.context().table(columns);
        TableScan {
            owner: self,
            path: path.to_string(),
            format: format.to_string(),
            chunk,
        }
    }

    /// Adds a table reported as `path` (format `format`): `rows`, all its
    /// chunks appended in row order, and `table` (rows read out of how
    /// many) when given. Tables are reported in the order added.
    pub fn add_table(
        &mut self,
        path: &str,
        format: &str,
        rows: RowChunk,
        table: Option<TableInfo>,
    ) {
        if !Arc::ptr_eq(&rows.layout.shared, &self.shared) {
            // Hashed under another run's key: its individuals would not
            // match this run's, so it is not counted at all.
            self.error(
                path,
                "internal: rows scanned for another run were left out".into(),
            );
            return;
        }
        let samples = self.shared.samples;
        let mut acc = rows.acc;
        let ctx = self.shared.ctx();
        for (i, kind, name) in &rows.layout.pi_columns {
            ctx.count_field_name(&mut acc, *i, *kind, name.as_bytes());
        }
        let fr = FileReport {
            path: path.to_string(),
            format: format.to_string(),
            encoding: "utf-8".into(),
            bytes: rows.bytes,
            records: acc.records,
            fields: acc
                .fields
                .iter_mut()
                .map(|f| merge::field_report(f, samples))
                .collect::<Vec<FieldReport>>(),
            table,
            ..Default::default()
        };
        self.results.push((fr, acc));
    }

    /// Records a problem with `path` (a table or the database); the scan
    /// goes on. The message must not contain values.
    pub fn error(&mut self, path: &str, message: String) {
        self.errors.push(err(path, None, message));
    }

    /// The report: one file entry per table in the order finished, totals,
    /// distinct individuals over all tables, and the errors.
    pub fn finish(self) -> ScanReport {
        merge::report(
            self.results,
            self.shared.subject_key.as_deref(),
            self.errors,
        )
    }
}

/// A [`RowScan`]'s shared part, for scanning chunks on other threads
/// (cheap to clone, `Send` and `Sync`); see [`RowScan::context`].
#[derive(Clone)]
pub struct RowContext {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RowContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowContext")
            .field("subject_key", &self.shared.subject_key)
            .finish_non_exhaustive()
    }
}

impl RowContext {
    /// An empty chunk of a table whose rows have these columns; further
    /// chunks of the same table come from [`RowChunk::empty`].
    pub fn table(&self, columns: &[String]) -> RowChunk {
        // A column name that is itself personal data (a view pivoted by
        // person) stands as `{kind}`, one field per kind as such JSON keys
        // share one, and is counted once when the table is added. Other
        // names stay as written (a column `2024` of a table pivoted by
        // year is not a map key: no `{n}`). A column named `{person_name}`
        // as written joins that field rather than making a second field of
        // the same name (as such a JSON key does).
        let (mut names, mut fields, mut pi_columns) = (Vec::new(), Vec::new(), Vec::new());
        let mut kind_field = [None; KIND_COUNT];
        for c in columns.iter().take(MAX_FIELDS) {
            let kind = crate::detect::kind_of_field_name(c);
            let field = match kind.or_else(|| super::segment_kind(c)) {
                Some(k) => *kind_field[k as usize].get_or_insert_with(|| {
                    let mut name = String::new();
                    super::push_kind_segment(&mut name, k);
                    names.push(Some(name));
                    names.len() - 1
                }),
                None => {
                    names.push(Some(c.clone()));
                    names.len() - 1
                }
            };
            if let Some(k) = kind {
                pi_columns.push((field, k, c.clone()));
            }
            fields.push(field);
        }
        let key_idx = self
            .shared
            .subject_key
            .as_deref()
            .and_then(|k| columns.iter().position(|c| c == k));
        RowChunk::new(Arc::new(Layout {
            shared: self.shared.clone(),
            names,
            fields,
            key_idx,
            pi_columns,
        }))
    }
}

/// A table's columns and its run: what every chunk of it starts from.
struct Layout {
    shared: Arc<Shared>,
    names: Vec<Option<String>>,
    /// Each named column's field in `names`.
    fields: Vec<usize>,
    key_idx: Option<usize>,
    /// Columns whose names are personal data: field, kind, name (kept to
    /// be counted, never reported).
    pi_columns: Vec<(usize, Kind, String)>,
}

/// Consecutive rows of one table scanned into counters and keyed hashes
/// (never values): a chunk scanned on its own thread, or the whole table
/// once its chunks are appended in order. `Send`, so chunks can be scanned
/// on worker threads and joined on another.
pub struct RowChunk {
    layout: Arc<Layout>,
    acc: Acc,
    bytes: u64,
}

impl std::fmt::Debug for RowChunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowChunk")
            .field("records", &self.acc.records)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl RowChunk {
    fn new(layout: Arc<Layout>) -> RowChunk {
        let mut acc = Acc::with_names(&layout.names);
        acc.key_seen = layout.key_idx.is_some();
        acc.sample_cap = layout.shared.samples;
        RowChunk {
            layout,
            acc,
            bytes: 0,
        }
    }

    /// A new empty chunk of the same table (same columns, same run).
    pub fn empty(&self) -> RowChunk {
        RowChunk::new(self.layout.clone())
    }

    /// Scans one row: its cells in column order, `None` for NULL (or a
    /// value not scanned, such as binary). Cells past the named columns
    /// become `column_N` fields.
    pub fn row<'v, I: IntoIterator<Item = Option<&'v [u8]>>>(&mut self, cells: I) {
        let l = &*self.layout;
        let ctx = l.shared.ctx();
        let named = l.fields.len();
        let mut r = Rec::at(self.acc.records);
        for (i, v) in cells.into_iter().enumerate() {
            let Some(v) = v else { continue };
            self.bytes += v.len() as u64;
            let idx = if i < named {
                l.fields[i]
            } else if i >= MAX_FIELDS {
                self.acc.field(Some(OTHER_FIELDS))
            } else {
                self.acc.field(Some(&format!("column_{}", i + 1)))
            };
            ctx.cell(
                &mut self.acc.fields[idx],
                v,
                true,
                l.key_idx == Some(i),
                &mut r,
            );
        }
        self.acc.end_record(r);
    }

    /// Rows scanned (or appended) so far.
    pub fn records(&self) -> u64 {
        self.acc.records
    }

    /// Appends `later`, the rows that follow these: the result is what
    /// scanning both one after the other into one chunk gives. A chunk of
    /// another table or run is not appended (its counts would be
    /// misread) but recorded as an error of the report.
    pub fn append(&mut self, later: RowChunk) {
        if !Arc::ptr_eq(&self.layout, &later.layout) {
            self.acc.errors.push(err(
                "",
                None,
                "internal: rows of another table were left out".into(),
            ));
            return;
        }
        let acc = std::mem::take(&mut self.acc);
        let mut later_acc = later.acc;
        // Its rows come after ours: so do its samples.
        later_acc.shift_order(acc.records);
        self.acc = acc.merge(later_acc);
        self.bytes += later.bytes;
    }
}

/// One table being scanned row by row; see [`RowScan::table`].
pub struct TableScan<'s> {
    owner: &'s mut RowScan,
    path: String,
    format: String,
    chunk: RowChunk,
}

impl std::fmt::Debug for TableScan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableScan")
            .field("path", &self.path)
            .field("records", &self.chunk.records())
            .finish_non_exhaustive()
    }
}

impl TableScan<'_> {
    /// Scans one row: its cells in column order, `None` for NULL (or a
    /// value not scanned, such as binary). Cells past the named columns
    /// become `column_N` fields.
    pub fn row<'v, I: IntoIterator<Item = Option<&'v [u8]>>>(&mut self, cells: I) {
        self.chunk.row(cells);
    }

    /// Rows scanned so far.
    pub fn records(&self) -> u64 {
        self.chunk.records()
    }

    /// Ends the table: adds its entry, with `table` (rows read out of how
    /// many) when given, to the report.
    pub fn finish(self, table: Option<TableInfo>) {
        let TableScan {
            owner,
            path,
            format,
            chunk,
        } = self;
        owner.add_table(&path, &format, chunk, table);
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
        assert_eq!(rows.individuals.distinct, gt.distinct_subjects);
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

    /// Rows of the synthetic corpus, NULL for empty cells; from row 1,500
    /// on, every third row has two cells past the columns (a mobile and a
    /// word), so `column_N` fields first appear in a later chunk.
    fn rows_with_extras(n: usize) -> (Vec<String>, Vec<Vec<Option<String>>>) {
        let (csv, _) = crate::corpus::csv_bytes(n, 23);
        let mut rdr = ::csv::Reader::from_reader(&csv[..]);
        let cols: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        let rows = rdr
            .records()
            .enumerate()
            .map(|(i, rec)| {
                let mut r: Vec<Option<String>> = rec
                    .unwrap()
                    .iter()
                    .map(|c| (!c.is_empty()).then(|| c.to_string()))
                    .collect();
                if i >= 1_500 && i % 3 == 0 {
                    r.push(Some(format!("139{:08}", i)));
                    r.push(Some("note".into()));
                }
                r
            })
            .collect();
        (cols, rows)
    }

    fn cells(r: &[Option<String>]) -> impl Iterator<Item = Option<&[u8]>> {
        r.iter().map(|c| c.as_deref().map(str::as_bytes))
    }

    /// Two tables (the second holds the first's last 1,000 rows again, so
    /// individuals overlap) scanned row by row: the reference.
    fn row_by_row(opts: &ScanOptions, cols: &[String], rows: &[Vec<Option<String>>]) -> String {
        let mut scan = RowScan::new(opts);
        for (name, part) in [("db#a", rows), ("db#b", &rows[rows.len() - 1_000..])] {
            let mut t = scan.table(name, "table", cols);
            for r in part {
                t.row(cells(r));
            }
            t.finish(Some(TableInfo {
                rows_read: part.len() as u64,
                ..Default::default()
            }));
        }
        serde_json::to_string(&scan.finish()).unwrap()
    }

    /// The same tables cut into chunks of `size` rows, each scanned on a
    /// thread of its own, finished in reverse order, appended in row order.
    fn chunked(
        opts: &ScanOptions,
        cols: &[String],
        rows: &[Vec<Option<String>>],
        size: usize,
    ) -> String {
        let mut scan = RowScan::new(opts);
        let ctx = scan.context();
        for (name, part) in [("db#a", rows), ("db#b", &rows[rows.len() - 1_000..])] {
            let template = ctx.table(cols);
            let mut done: Vec<(usize, RowChunk)> = std::thread::scope(|s| {
                let handles: Vec<_> = part
                    .chunks(size)
                    .enumerate()
                    .map(|(i, rs)| {
                        let mut c = template.empty();
                        s.spawn(move || {
                            for r in rs {
                                c.row(cells(r));
                            }
                            (i, c)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .rev()
                    .map(|h| h.join().unwrap())
                    .collect()
            });
            done.sort_by_key(|(i, _)| *i);
            let mut table = template;
            for (_, c) in done {
                table.append(c);
            }
            assert_eq!(table.records(), part.len() as u64);
            scan.add_table(
                name,
                "table",
                table,
                Some(TableInfo {
                    rows_read: part.len() as u64,
                    ..Default::default()
                }),
            );
        }
        serde_json::to_string(&scan.finish()).unwrap()
    }

    /// Chunks scanned on other threads and appended in order report what
    /// one row-by-row pass reports, byte for byte: samples, fields past the
    /// columns, distinct individuals over both tables, by automatic kind
    /// and by a subject key column.
    #[test]
    fn chunks_on_threads_report_what_row_by_row_reports() {
        let (cols, rows) = rows_with_extras(3_000);
        for opts in [
            ScanOptions {
                samples: 3,
                ..Default::default()
            },
            ScanOptions {
                subject_key: Some("id_no".into()),
                samples: 1,
                ..Default::default()
            },
        ] {
            let one = row_by_row(&opts, &cols, &rows);
            assert!(one.contains("column_"), "{one}");
            for size in [1, 7, 512, 4_096] {
                assert_eq!(one, chunked(&opts, &cols, &rows, size), "chunks of {size}");
            }
        }
    }

    /// A chunk of another table or another run is not counted, and the
    /// report says so.
    #[test]
    fn chunks_of_another_table_or_run_are_left_out_with_an_error() {
        let opts = ScanOptions::default();
        let mut scan = RowScan::new(&opts);
        let cols = ["mobile".to_string()];
        let mut a = scan.context().table(&cols);
        let mut b = scan.context().table(&cols);
        a.row([Some(&b"13812345678"[..])]);
        b.row([Some(&b"13912345678"[..])]);
        a.append(b);
        assert_eq!(a.records(), 1);
        scan.add_table("db#a", "table", a, None);
        let mut other = RowScan::new(&opts).context().table(&cols);
        other.row([Some(&b"13712345678"[..])]);
        scan.add_table("db#other", "table", other, None);
        let r = scan.finish();
        assert_eq!(r.files.len(), 1);
        assert_eq!(r.individuals.distinct, 1);
        let msgs: Vec<&str> = r.errors.iter().map(|e| e.message.as_str()).collect();
        assert!(msgs.iter().any(|m| m.contains("another table")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("another run")), "{msgs:?}");
    }
}
