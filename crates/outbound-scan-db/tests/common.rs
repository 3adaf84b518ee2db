//! The synthetic corpus as rows, and checks shared by the SQLite and
//! PostgreSQL tests.

use outbound_scan::corpus::{GroundTruth, csv_bytes};
use outbound_scan::{ScanOptions, ScanReport};

/// Columns and rows of `outbound_scan::corpus` (`rows` records, `seed`),
/// the CSV bytes and the ground truth.
pub(crate) struct Corpus {
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
    pub(crate) csv: Vec<u8>,
    pub(crate) truth: GroundTruth,
}

pub(crate) fn corpus(rows: usize, seed: u64) -> Corpus {
    let (csv, truth) = csv_bytes(rows, seed);
    let mut rdr = csv::Reader::from_reader(&csv[..]);
    let columns = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    Corpus {
        columns,
        rows,
        csv,
        truth,
    }
}

/// The same corpus scanned as a CSV file.
pub(crate) fn scan_as_file(c: &Corpus) -> ScanReport {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("customers.csv");
    std::fs::write(&p, &c.csv).unwrap();
    outbound_scan::scan_paths(&[p], &ScanOptions::default())
}

/// (field, kinds, classified_as) of one field.
pub(crate) type FieldSummary = (
    Option<String>,
    std::collections::BTreeMap<&'static str, u64>,
    Option<outbound_scan::Kind>,
);

/// [`FieldSummary`] of every field of one report entry, without `skip`.
pub(crate) fn summary(f: &outbound_scan::FileReport, skip: &[&str]) -> Vec<FieldSummary> {
    f.fields
        .iter()
        .filter(|x| !skip.contains(&x.field.as_deref().unwrap_or("")))
        .map(|x| (x.field.clone(), x.kinds.clone(), x.classified_as))
        .collect()
}

/// Asserts that no identifier, mobile, e-mail or name of the corpus
/// appears in `text`.
pub(crate) fn assert_no_raw_values(c: &Corpus, text: &str) {
    for row in &c.rows {
        // id_no, mobile (digits of any notation), email, card_no; names are
        // short and may occur inside other words, so only full names of
        // three characters or more are checked.
        for (i, v) in row.iter().enumerate() {
            let col = c.columns[i].as_str();
            let check = match col {
                "id_no" | "email" | "card_no" | "order_no" => true,
                "mobile" => true,
                "name" => v.chars().count() >= 3,
                _ => false,
            };
            if check {
                assert!(!text.contains(v.as_str()), "a raw `{col}` value was output");
            }
        }
    }
}

/// A minimal data map around a suggested `datasets:` block whose tables
/// live in system `system`; loads without diagnostics.
pub(crate) fn load_with_map(datasets: &str, system: &str) -> outbound_model::DataMap {
    let text = format!(
        "version: 1\n\
         exporters: [{{id: e, name: E, country: CN, ciio: false, individuals_processed: 1}}]\n\
         systems: [{{id: {system}, name: S, exporter: e, owner: {{type: person, name: O}}}}]\n\
         {datasets}"
    );
    let l = outbound_model::load_sources(
        &[("m.yaml".into(), text.clone())],
        outbound_model::Taxonomy::builtin(),
    );
    assert!(l.diagnostics.is_empty(), "{:?}\n{text}", l.diagnostics);
    l.map
}

/// A new SQLite file `name` in a temporary directory, `sql` run in it:
/// the directory (removed when dropped) and the file's path.
pub(crate) fn temp_sqlite(
    name: &str,
    sql: impl Into<String>,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(name);
    sqlite_exec(&db, sql.into());
    (dir, db)
}

/// Creates the SQLite file `path` if need be and runs `sql` in it.
pub(crate) fn sqlite_exec(path: &std::path::Path, sql: String) {
    use sqlx::Connection;
    rt().block_on(async {
        let url = format!("sqlite:{}?mode=rwc", path.display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
}

/// A single-threaded runtime for a test's own database statements.
pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The environment variable `var`, set by `scripts/test.sh` for the `what`
/// tests; `None` skips the test outside CI, and CI without it fails.
fn test_env(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the {what} tests: set {var}"
            );
            eprintln!("skipping a {what} test: {var} is not set");
            None
        }
    }
}

/// The test cluster's URL (`OUTBOUND_TEST_POSTGRES`).
pub(crate) fn pg_url() -> Option<String> {
    test_env("OUTBOUND_TEST_POSTGRES", "PostgreSQL")
}

/// The test server's URL (`OUTBOUND_TEST_MYSQL`, from
/// `scripts/mysql-test-server.sh`).
pub(crate) fn mysql_url() -> Option<String> {
    test_env("OUTBOUND_TEST_MYSQL", "MySQL")
}

/// The test servers' certificate authority (`OUTBOUND_TEST_POSTGRES_CA`,
/// `OUTBOUND_TEST_MYSQL_CA`).
pub(crate) fn test_ca(var: &str) -> Option<String> {
    test_env(var, "TLS")
}

/// A certificate authority that did not sign the test servers'
/// certificates: the system's bundle, where there is one.
pub(crate) fn other_ca() -> Option<&'static str> {
    let p = "/etc/ssl/certs/ca-certificates.crt";
    std::path::Path::new(p).exists().then_some(p)
}
