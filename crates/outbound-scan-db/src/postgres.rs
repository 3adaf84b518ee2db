//! PostgreSQL: a session that is read-only three times over
//! (`default_transaction_read_only = on` at connection start,
//! `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`, and each table
//! counted and read inside a `REPEATABLE READ READ ONLY` transaction that
//! is rolled back). Every schema but `pg_catalog`, `information_schema`,
//! TOAST and temporary ones; ordinary and partitioned tables (a partition
//! is read through its parent, once).

use std::str::FromStr;

use futures_util::TryStreamExt;
use outbound_scan::RowScan;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row};

use crate::{Filter, describe, display_url, quote_ident, table_info};

/// A read-only session on the database `url` names.
pub(crate) async fn open(url: &str) -> Result<PgConnection, String> {
    let shown = display_url(url);
    let opts = PgConnectOptions::from_str(url)
        .map_err(|e| format!("{shown} is not a usable PostgreSQL URL: {}", describe(&e)))?
        .options([("default_transaction_read_only", "on")])
        .application_name("outbound-scan")
        .disable_statement_logging();
    let mut conn = opts
        .connect()
        .await
        .map_err(|e| format!("cannot connect to {shown}: {}", describe(&e)))?;
    sqlx::query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        .execute(&mut conn)
        .await
        .map_err(|e| {
            format!(
                "cannot make the session on {shown} read-only: {}",
                describe(&e)
            )
        })?;
    Ok(conn)
}

/// Scans the tables of one PostgreSQL database into `scan`.
pub(crate) async fn scan(
    url: &str,
    filter: &Filter,
    limit: Option<u64>,
    scan: &mut RowScan,
) -> Result<(), String> {
    let shown = display_url(url);
    let mut conn = open(url).await?;
    let tables: Vec<(i64, String, String)> = {
        let mut tx = conn
            .begin_with("BEGIN TRANSACTION READ ONLY")
            .await
            .map_err(|e| {
                format!(
                    "cannot begin a read-only transaction on {shown}: {}",
                    describe(&e)
                )
            })?;
        let t = sqlx::query_as(
            "SELECT c.oid::int8, n.nspname::text, c.relname::text \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
             ORDER BY 2, 3",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| format!("cannot list the tables of {shown}: {}", describe(&e)))?;
        let _ = tx.rollback().await;
        t
    };
    for (oid, schema, name) in tables.iter().filter(|(_, s, t)| filter.allows(Some(s), t)) {
        let path = format!("{shown}#{schema}.{name}");
        if let Err(e) = table(&mut conn, *oid, schema, name, &path, limit, scan).await {
            scan.error(&path, format!("table `{schema}.{name}`: {e}"));
        }
    }
    let _ = conn.close().await;
    Ok(())
}

async fn table(
    conn: &mut PgConnection,
    oid: i64,
    schema: &str,
    name: &str,
    path: &str,
    limit: Option<u64>,
    scan: &mut RowScan,
) -> Result<(), String> {
    let mut tx = conn
        .begin_with("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(|e| format!("cannot begin a read-only transaction: {}", describe(&e)))?;
    // Binary: bytea, a domain over it, or an array of it.
    let cols: Vec<(String, bool)> = sqlx::query_as(
        "SELECT a.attname::text, \
                (t.typname = 'bytea' OR t.typelem = 'bytea'::regtype \
                 OR t.typbasetype = 'bytea'::regtype) \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
    )
    .bind(oid)
    .fetch_all(&mut *tx)
    .await
    .map_err(|e| format!("cannot read its columns: {}", describe(&e)))?;
    let binary: Vec<String> = cols
        .iter()
        .filter(|(_, b)| *b)
        .map(|(c, _)| c.clone())
        .collect();
    let exprs: Vec<String> = cols
        .iter()
        .map(|(c, b)| {
            if *b {
                "NULL::text".to_string()
            } else {
                format!("{}::text", quote_ident(c))
            }
        })
        .collect();
    let qt = format!("{}.{}", quote_ident(schema), quote_ident(name));
    let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {qt}")))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| format!("cannot count its rows: {}", describe(&e)))?;
    let select = exprs.join(", ");
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
                Ok(Some(row)) => t.row((0..n).map(|i| {
                    row.try_get::<Option<&str>, _>(i)
                        .ok()
                        .flatten()
                        .map(str::as_bytes)
                })),
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

    /// The session the scan uses refuses every write, temporary tables
    /// included.
    #[test]
    fn the_session_cannot_write() {
        let Ok(url) = std::env::var("OUTBOUND_TEST_POSTGRES") else {
            eprintln!("skipping a PostgreSQL test: OUTBOUND_TEST_POSTGRES is not set");
            return;
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut conn = open(&url).await.unwrap();
            let ro: String = sqlx::query_scalar("SHOW transaction_read_only")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(ro, "on");
            for sql in [
                "CREATE TABLE outbound_scan_db_must_not_exist (a int)",
                "CREATE TEMP TABLE t (a int)",
                "CREATE SCHEMA outbound_scan_db_must_not_exist",
            ] {
                let e = sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .unwrap_err();
                assert!(e.to_string().contains("read-only"), "{sql}: {e}");
            }
            let mut tx = conn
                .begin_with("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await
                .unwrap();
            let e = sqlx::raw_sql("CREATE TABLE outbound_scan_db_must_not_exist (a int)")
                .execute(&mut *tx)
                .await
                .unwrap_err();
            assert!(e.to_string().contains("read-only"), "{e}");
        });
    }
}
