//! PostgreSQL: a session that is read-only three times over
//! (`default_transaction_read_only = on` at connection start,
//! `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`, and each table
//! counted and read inside a `REPEATABLE READ READ ONLY` transaction that
//! is rolled back). Every schema but `pg_catalog`, `information_schema`,
//! TOAST and temporary ones; ordinary and partitioned tables (a partition
//! is read through its parent, once), and with `views` views and
//! materialized views.
//!
//! Sizing: the planner's estimate of the rows (`EXPLAIN`, which also
//! covers tables never analysed and partitioned parents); a table
//! estimated at or below `count_limit` rows is counted exactly.
//! Sampling: a table with more rows than the bound is sampled with
//! `TABLESAMPLE BERNOULLI` (rows; up to `count_limit`) or `SYSTEM`
//! (pages; above) `REPEATABLE (seed)` at 1.25 times the bound's share,
//! and the bound is taken in an order fixed by a hash of each row's
//! place and the seed, so it is a uniform pick of the sample rather than
//! its first pages. The session turns off synchronized and parallel
//! scans, whose row order varies from run to run, so a read of the first
//! rows is reproducible too.

use std::str::FromStr;

use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row};

use crate::pipeline::{Cells, Sink};
use crate::sample::table_seed;
use crate::{
    DbScanOptions, Failed, Relation, Sample, Source, describe, display_url, end_read, quote_ident,
};

/// A read-only session on the database `url` names.
pub(crate) async fn open_session(url: &str) -> Result<PgConnection, String> {
    let shown = display_url(url);
    let opts = PgConnectOptions::from_str(url)
        .map_err(|e| format!("{shown} is not a usable PostgreSQL URL: {}", describe(&e)))?
        .options([
            ("default_transaction_read_only", "on"),
            // Row order fixed by the data, so `LIMIT` reads are reproducible.
            ("synchronize_seqscans", "off"),
            ("max_parallel_workers_per_gather", "0"),
        ])
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

/// Tables, partitioned tables, views and materialized views, by schema and
/// name.
async fn list_relations(url: &str, shown: &str) -> Result<Vec<Relation>, String> {
    let mut conn = open_session(url).await?;
    let mut tx = conn
        .begin_with("BEGIN TRANSACTION READ ONLY")
        .await
        .map_err(|e| {
            format!(
                "cannot begin a read-only transaction on {shown}: {}",
                describe(&e)
            )
        })?;
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
         ORDER BY 2, 3",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(|e| format!("cannot list the tables of {shown}: {}", describe(&e)))?;
    let _ = tx.rollback().await;
    let _ = conn.close().await;
    Ok(rows
        .into_iter()
        .map(|(oid, schema, name, kind)| Relation {
            oid,
            schema: Some(schema),
            name,
            view: match kind.as_str() {
                "v" => Some("view"),
                "m" => Some("materialized_view"),
                _ => None,
            },
        })
        .collect())
}

/// PostgreSQL as a [`Source`].
pub(crate) struct Postgres;

impl Source for Postgres {
    type Db = sqlx::Postgres;
    type Row = PgRow;
    const BEGIN: &'static str = "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";

    async fn open(url: &str) -> Result<PgConnection, String> {
        open_session(url).await
    }

    async fn list(url: &str, shown: &str) -> Result<Vec<Relation>, String> {
        list_relations(url, shown).await
    }

    async fn read(
        conn: &mut PgConnection,
        rel: &Relation,
        opts: &DbScanOptions,
        sink: Sink<PgRow>,
    ) -> Result<(), Failed<PgRow>> {
        read(conn, rel, opts, sink).await
    }
}

impl Cells for PgRow {
    /// The value's bytes as sent: every column is selected as `::text`
    /// (binary ones as `NULL::text`) and the connection's client encoding
    /// is UTF-8, so they are the text itself. Decoding as `&str` checked
    /// the type and the UTF-8 of every cell again (a fifth of the CPU of a
    /// full read); the scanner copes with invalid UTF-8 as in files anyway.
    fn cell(&self, i: usize) -> Option<&[u8]> {
        self.try_get_raw(i).ok()?.as_bytes().ok()
    }
}

/// The planner's estimate of the rows `SELECT * FROM qt` returns.
async fn estimate(conn: &mut PgConnection, qt: &str) -> Result<u64, String> {
    let plan: Vec<String> =
        sqlx::query_scalar(AssertSqlSafe(format!("EXPLAIN SELECT * FROM {qt}")))
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| format!("cannot estimate its rows: {}", describe(&e)))?;
    // `Seq Scan on t  (cost=0.00..15.00 rows=500 width=36)`: the top node.
    plan.first()
        .and_then(|l| l.split(" rows=").nth(1))
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| "cannot estimate its rows: unexpected EXPLAIN output".to_string())
}

async fn read(
    conn: &mut PgConnection,
    rel: &Relation,
    opts: &DbScanOptions,
    mut sink: Sink<PgRow>,
) -> Result<(), Failed<PgRow>> {
    // Binary: bytea, a domain over it, or an array of it.
    let cols: Vec<(String, bool)> = match sqlx::query_as(
        "SELECT a.attname::text, \
                (t.typname = 'bytea' OR t.typelem = 'bytea'::regtype \
                 OR t.typbasetype = 'bytea'::regtype) \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
    )
    .bind(rel.oid)
    .fetch_all(&mut *conn)
    .await
    {
        Ok(c) => c,
        Err(e) => return Err((sink, format!("cannot read its columns: {}", describe(&e)))),
    };
    let binary: Vec<String> = cols
        .iter()
        .filter(|(_, b)| *b)
        .map(|(c, _)| c.clone())
        .collect();
    let select = cols
        .iter()
        .map(|(c, b)| {
            if *b {
                "NULL::text".to_string()
            } else {
                format!("{}::text", quote_ident(c))
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let qt = format!(
        "{}.{}",
        quote_ident(rel.schema.as_deref().unwrap_or("public")),
        quote_ident(&rel.name)
    );
    let n = opts.sample_rows;
    // (rows, estimated) before reading; None when every row is read.
    let mut total: Option<(u64, bool)> = None;
    let (sql, sample) = if opts.full {
        (format!("SELECT {select} FROM {qt}"), "full")
    } else {
        let est = match estimate(conn, &qt).await {
            Ok(e) => e,
            Err(e) => return Err((sink, e)),
        };
        // A view is not counted: that would run its query twice.
        if est > opts.count_limit || rel.view == Some("view") {
            total = Some((est, true));
        } else {
            let q = format!("SELECT count(*) FROM {qt}");
            match sqlx::query_scalar::<_, i64>(AssertSqlSafe(q))
                .fetch_one(&mut *conn)
                .await
            {
                Ok(c) => total = Some((u64::try_from(c).unwrap_or(0), false)),
                Err(e) => return Err((sink, format!("cannot count its rows: {}", describe(&e)))),
            }
        }
        let rows = total.map_or(0, |t| t.0);
        if opts.sample == Sample::Random && rel.view != Some("view") && rows > n {
            let method = if rows > opts.count_limit {
                "SYSTEM"
            } else {
                "BERNOULLI"
            };
            let pct = (125.0 * n as f64 / rows as f64).min(100.0);
            // An integer below 2^53: the seed is a float8 in PostgreSQL.
            let seed = table_seed(opts.seed, &rel.qualified()) >> 11;
            (
                format!(
                    "SELECT {select} FROM {qt} TABLESAMPLE {method} ({pct:e}) REPEATABLE ({seed}) \
                     ORDER BY md5(tableoid::text || ctid::text || '{seed}') LIMIT {n}"
                ),
                "random",
            )
        } else {
            (format!("SELECT {select} FROM {qt} LIMIT {n}"), "first")
        }
    };
    let names: Vec<String> = cols.into_iter().map(|(c, _)| c).collect();
    if !sink.start(names, 0) {
        return Ok(());
    }
    let mut failure = None;
    {
        let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
        loop {
            match rows.try_next().await {
                Ok(Some(row)) => {
                    if !sink.row(row) {
                        return Ok(());
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    failure = Some(describe(&e));
                    break;
                }
            }
        }
    }
    end_read(sink, rel, binary, n, (sample, total), failure);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The session the scan uses refuses every write, temporary tables
    /// included.
    #[test]
    fn the_session_cannot_write() {
        crate::on_test_server("OUTBOUND_TEST_POSTGRES", |url| async move {
            let mut conn = open_session(&url).await.unwrap();
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
