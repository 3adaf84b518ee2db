//! SQLite: opened read-only (never created), `PRAGMA query_only = ON`,
//! each table counted and read inside one transaction (a consistent view
//! of that table, without holding a lock across the whole database scan).

use std::str::FromStr;

use futures_util::TryStreamExt;
use outbound_scan::RowScan;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row};

use crate::{Filter, describe, display_url, quote_ident, table_info};

/// A read-only connection to the database `url` names.
pub(crate) async fn open(url: &str) -> Result<SqliteConnection, String> {
    let shown = display_url(url);
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(|e| format!("{shown} is not a usable SQLite URL: {}", describe(&e)))?
        // After parsing: `?mode=rwc` in the URL cannot make it writable.
        .read_only(true)
        .create_if_missing(false)
        .disable_statement_logging();
    let mut conn = opts
        .connect()
        .await
        .map_err(|e| format!("cannot open {shown}: {}", describe(&e)))?;
    sqlx::query("PRAGMA query_only = ON")
        .execute(&mut conn)
        .await
        .map_err(|e| format!("cannot make {shown} query-only: {}", describe(&e)))?;
    Ok(conn)
}

/// Scans the tables of one SQLite database into `scan`.
pub(crate) async fn scan(
    url: &str,
    filter: &Filter,
    limit: Option<u64>,
    scan: &mut RowScan,
) -> Result<(), String> {
    let shown = display_url(url);
    let mut conn = open(url).await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(|e| format!("cannot list the tables of {shown}: {}", describe(&e)))?;
    for name in tables.iter().filter(|t| filter.allows(Some("main"), t)) {
        let path = format!("{shown}#{name}");
        if let Err(e) = table(&mut conn, name, &path, limit, scan).await {
            scan.error(&path, format!("table `{name}`: {e}"));
        }
    }
    let _ = conn.close().await;
    Ok(())
}

async fn table(
    conn: &mut SqliteConnection,
    name: &str,
    path: &str,
    limit: Option<u64>,
    scan: &mut RowScan,
) -> Result<(), String> {
    let mut tx = conn
        .begin()
        .await
        .map_err(|e| format!("cannot begin a read transaction: {}", describe(&e)))?;
    let cols: Vec<(String, String)> =
        sqlx::query_as("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")
            .bind(name)
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| format!("cannot read its columns: {}", describe(&e)))?;
    let binary: Vec<String> = cols
        .iter()
        .filter(|(_, ty)| ty.to_ascii_uppercase().contains("BLOB"))
        .map(|(c, _)| c.clone())
        .collect();
    let exprs: Vec<String> = cols
        .iter()
        .map(|(c, _)| {
            if binary.contains(c) {
                "NULL".to_string()
            } else {
                let q = quote_ident(c);
                // BLOB values in other columns are not scanned either.
                format!("CASE WHEN typeof({q}) = 'blob' THEN NULL ELSE CAST({q} AS TEXT) END")
            }
        })
        .collect();
    let qt = quote_ident(name);
    let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {qt}")))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| format!("cannot count its rows: {}", describe(&e)))?;
    let select = if exprs.is_empty() {
        "NULL".to_string()
    } else {
        exprs.join(", ")
    };
    let sql = match limit {
        Some(n) => format!("SELECT {select} FROM {qt} LIMIT {n}"),
        None => format!("SELECT {select} FROM {qt}"),
    };
    let names: Vec<String> = cols.into_iter().map(|(c, _)| c).collect();
    let n = names.len();
    let mut t = scan.table(path, "table", &names);
    let mut failure = None;
    {
        let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *tx);
        loop {
            match rows.try_next().await {
                // Cells borrowed from the row: no copy per value.
                Ok(Some(row)) => {
                    t.row((0..n).map(|i| row.try_get::<Option<&[u8]>, _>(i).ok().flatten()))
                }
                Ok(None) => break,
                Err(e) => {
                    failure = Some(describe(&e));
                    break;
                }
            }
        }
    }
    let read = t.records();
    t.finish(Some(table_info(
        read,
        u64::try_from(total).unwrap_or(0),
        binary,
    )));
    let _ = tx.rollback().await;
    match failure {
        Some(e) => Err(format!("reading stopped after {read} rows: {e}")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The connection the scan uses refuses every write, even when the URL
    /// asks for read-write mode.
    #[test]
    fn the_connection_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("w.db");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let rw = format!("sqlite:{}?mode=rwc", db.display());
            let mut c = SqliteConnection::connect(&rw).await.unwrap();
            sqlx::query("CREATE TABLE t (a TEXT)")
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();

            let mut ro = open(&rw).await.unwrap();
            for sql in [
                "INSERT INTO t VALUES ('x')",
                "CREATE TABLE u (b TEXT)",
                "DELETE FROM t",
                "PRAGMA query_only = OFF; INSERT INTO t VALUES ('y')",
            ] {
                let r = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut ro).await;
                assert!(r.is_err(), "{sql} succeeded");
            }
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
                .fetch_one(&mut ro)
                .await
                .unwrap();
            assert_eq!(n, 0);
        });
    }

    #[test]
    fn a_missing_file_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("missing.db");
        let url = format!("sqlite:{}", db.display());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let e = rt.block_on(open(&url)).unwrap_err();
        assert!(e.starts_with(&format!("cannot open {url}")), "{e}");
        assert!(!db.exists());
    }
}
