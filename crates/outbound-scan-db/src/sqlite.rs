//! SQLite: opened read-only (never created), `PRAGMA query_only = ON`,
//! each table counted and read inside one transaction (a consistent view
//! of that table, without holding a lock across the whole database scan).
//!
//! Random samples pick rowids: uniformly among `min(rowid)..=max(rowid)`
//! without repeats, looked up in batches (`WHERE rowid IN (…)`), until the
//! bound is reached; every row is then equally likely, and only the rows
//! picked are read. Where rowids are sparse (under one in [`SPARSE`] of
//! the range used), a table up to four times the bound keeps a reservoir
//! of rowids over one pass (uniform too), and a larger one takes the next
//! row at or after each random point (a row's chance grows with the gap
//! before it; no rowid pass over a large table). Views
//! and `WITHOUT ROWID` tables have no rowid: their first rows are read
//! and the entry says `sample: "first"`.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use futures_util::TryStreamExt;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row};

use crate::pipeline::{BATCH, Cells, Sink};
use crate::sample::{SplitMix, table_seed};
use crate::{
    DbScanOptions, Failed, Relation, Sample, Source, describe, display_url, quote_ident, table_info,
};

/// Rowids used per rowid in the range below which the table counts as
/// sparse.
const SPARSE: u64 = 16;

/// A read-only connection to the database `url` names.
pub(crate) async fn open(url: &str) -> Result<SqliteConnection, String> {
    let shown = display_url(url);
    // `sqlite:` with no file, or an in-memory database: sqlx opens a new,
    // empty database, which would scan as a clean one.
    let file = url
        .strip_prefix("sqlite:")
        .map(|r| r.strip_prefix("//").unwrap_or(r))
        .map(|r| r.split('?').next().unwrap_or(r))
        .unwrap_or("");
    if file.is_empty() || file == ":memory:" || url.contains("mode=memory") {
        return Err(format!(
            "{shown} names no database file (give sqlite:PATH to an existing file)"
        ));
    }
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

/// SQLite as a [`Source`].
pub(crate) struct Sqlite;

impl Source for Sqlite {
    type Db = sqlx::Sqlite;
    type Row = SqliteRow;
    /// A deferred transaction on a query-only connection: one snapshot
    /// from its first read on.
    const BEGIN: &'static str = "BEGIN";

    async fn open(url: &str) -> Result<SqliteConnection, String> {
        open(url).await
    }

    /// Tables and views by name (no schema: `--table` also matches them as
    /// `main.NAME`).
    async fn list(url: &str, shown: &str) -> Result<Vec<Relation>, String> {
        let mut conn = open(url).await?;
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .fetch_all(&mut conn)
        .await
        .map_err(|e| format!("cannot list the tables of {shown}: {}", describe(&e)))?;
        let _ = conn.close().await;
        Ok(rows
            .into_iter()
            .map(|(name, ty)| Relation {
                oid: 0,
                schema: None,
                name,
                view: (ty == "view").then_some("view"),
            })
            .collect())
    }

    async fn read(
        conn: &mut SqliteConnection,
        rel: &Relation,
        opts: &DbScanOptions,
        sink: Sink<SqliteRow>,
    ) -> Result<(), Failed<SqliteRow>> {
        read(conn, rel, opts, sink).await
    }
}

impl Cells for SqliteRow {
    fn cell(&self, i: usize) -> Option<&[u8]> {
        self.try_get::<Option<&[u8]>, _>(i).ok().flatten()
    }
}

/// The name by which this table's rowid can be selected: none for a view
/// or a `WITHOUT ROWID` table, nor when columns named `rowid`, `_rowid_`
/// and `oid` hide all three.
async fn rowid_alias(
    conn: &mut SqliteConnection,
    rel: &Relation,
    cols: &[(String, String)],
) -> Option<&'static str> {
    if rel.view.is_some() {
        return None;
    }
    let without_rowid: i64 =
        sqlx::query_scalar("SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1")
            .bind(&rel.name)
            .fetch_one(&mut *conn)
            .await
            .ok()?;
    if without_rowid != 0 {
        return None;
    }
    ["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|a| !cols.iter().any(|(c, _)| c.eq_ignore_ascii_case(a)))
}

async fn read(
    conn: &mut SqliteConnection,
    rel: &Relation,
    opts: &DbScanOptions,
    mut sink: Sink<SqliteRow>,
) -> Result<(), Failed<SqliteRow>> {
    let cols: Vec<(String, String)> =
        match sqlx::query_as("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")
            .bind(&rel.name)
            .fetch_all(&mut *conn)
            .await
        {
            Ok(c) => c,
            Err(e) => return Err((sink, format!("cannot read its columns: {}", describe(&e)))),
        };
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
    let select = if exprs.is_empty() {
        "NULL".to_string()
    } else {
        exprs.join(", ")
    };
    let qt = quote_ident(&rel.name);
    let n = opts.sample_rows;
    // A view is counted only if its first rows were not all of it.
    let total = if opts.full || rel.view.is_some() {
        None
    } else {
        match count(conn, &qt).await {
            Ok(c) => Some(c),
            Err(e) => return Err((sink, e)),
        }
    };
    let alias = if !opts.full && opts.sample == Sample::Random && total.is_some_and(|t| t > n) {
        rowid_alias(conn, rel, &cols).await
    } else {
        None
    };
    let names: Vec<String> = cols.into_iter().map(|(c, _)| c).collect();
    let res = match alias {
        Some(alias) => {
            let seed = table_seed(opts.seed, &rel.name);
            random(
                conn,
                &qt,
                &select,
                alias,
                n,
                total.unwrap_or(0),
                seed,
                names,
                &mut sink,
            )
            .await
        }
        None => {
            let sql = if opts.full {
                format!("SELECT {select} FROM {qt}")
            } else {
                format!("SELECT {select} FROM {qt} LIMIT {n}")
            };
            if !sink.start(names, 0) {
                return Ok(());
            }
            stream(conn, sql, &mut sink).await
        }
    };
    let (read, failure) = match res {
        Ok(true) => (sink.sent(), None),
        Ok(false) => return Ok(()),
        Err(e) => (
            sink.sent(),
            Some(format!("reading stopped after {} rows: {e}", sink.sent())),
        ),
    };
    let (sample, total) = if opts.full {
        ("full", None)
    } else if alias.is_some() {
        ("random", total.map(|t| (t, false)))
    } else if failure.is_none() && (read < n || total == Some(read)) {
        ("full", None)
    } else if rel.view.is_some() {
        let total = if failure.is_none() {
            match count(conn, &qt).await {
                Ok(c) => Some((c, false)),
                Err(e) => return Err((sink, e)),
            }
        } else {
            None
        };
        ("first", total)
    } else {
        ("first", total.map(|t| (t, false)))
    };
    let info = table_info(read, total, sample, rel, binary);
    sink.end(info, failure);
    Ok(())
}

async fn count(conn: &mut SqliteConnection, qt: &str) -> Result<u64, String> {
    sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!("SELECT count(*) FROM {qt}")))
        .fetch_one(conn)
        .await
        .map(|c| u64::try_from(c).unwrap_or(0))
        .map_err(|e| format!("cannot count its rows: {}", describe(&e)))
}

/// Sends the rows with these rowids, in this order, until `got` reaches
/// `n`; Ok(false) when the scanner is gone.
#[allow(clippy::too_many_arguments)]
async fn fetch(
    conn: &mut SqliteConnection,
    qt: &str,
    select: &str,
    alias: &str,
    ids: &[i64],
    n: u64,
    got: &mut u64,
    sink: &mut Sink<SqliteRow>,
) -> Result<bool, String> {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!("SELECT {alias}, {select} FROM {qt} WHERE {alias} IN ({list})");
    let mut found: HashMap<i64, SqliteRow> = HashMap::new();
    {
        let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await.map_err(|e| describe(&e))? {
            let id: i64 = row.try_get(0).map_err(|e| describe(&e))?;
            found.insert(id, row);
        }
    }
    // In the order given, so the rows taken do not depend on how the
    // batches were cut.
    for r in ids {
        if *got == n {
            break;
        }
        if let Some(row) = found.remove(r) {
            *got += 1;
            if !sink.row(row) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Sends every row `sql` gives; Ok(false) when the scanner is gone.
async fn stream(
    conn: &mut SqliteConnection,
    sql: String,
    sink: &mut Sink<SqliteRow>,
) -> Result<bool, String> {
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await.map_err(|e| describe(&e))? {
        if !sink.row(row) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Sends up to `n` rows picked at random by rowid (see the module's
/// documentation); Ok(false) when the scanner is gone.
#[allow(clippy::too_many_arguments)]
async fn random(
    conn: &mut SqliteConnection,
    qt: &str,
    select: &str,
    alias: &str,
    n: u64,
    total: u64,
    seed: u64,
    names: Vec<String>,
    sink: &mut Sink<SqliteRow>,
) -> Result<bool, String> {
    let (lo, hi): (Option<i64>, Option<i64>) = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT min({alias}), max({alias}) FROM {qt}"
    )))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| describe(&e))?;
    if !sink.start(names, 1) {
        return Ok(false);
    }
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Ok(true);
    };
    let span = u64::try_from(i128::from(hi) - i128::from(lo) + 1).unwrap_or(u64::MAX);
    let mut rng = SplitMix(seed);
    let mut drawn: HashSet<i64> = HashSet::new();
    let mut got = 0u64;
    if total.saturating_mul(SPARSE) >= span {
        // Dense: uniform rowids without repeats, looked up by batches; at
        // most `SPARSE` * 2 lookups per row wanted.
        let cap = span.min(n.saturating_mul(SPARSE * 2));
        while got < n && (drawn.len() as u64) < cap {
            let want = (cap - drawn.len() as u64).min(BATCH as u64 * 2);
            let mut batch = Vec::new();
            while (batch.len() as u64) < want {
                let r = rng.between(lo, hi);
                if drawn.insert(r) {
                    batch.push(r);
                }
            }
            if !fetch(conn, qt, select, alias, &batch, n, &mut got, sink).await? {
                return Ok(false);
            }
        }
    } else if total <= n.saturating_mul(4) {
        // Sparse and not much larger than the bound: a reservoir of rowids
        // (8 bytes a row wanted) over one pass of the rowids, then those
        // rows; uniform.
        let mut ids: Vec<i64> = Vec::new();
        {
            let sql = format!("SELECT {alias} FROM {qt}");
            let mut rows = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql)).fetch(&mut *conn);
            let mut seen = 0u64;
            while let Some(id) = rows.try_next().await.map_err(|e| describe(&e))? {
                if seen < n {
                    ids.push(id);
                } else {
                    let j = rng.between(0, i64::try_from(seen).unwrap_or(i64::MAX));
                    if let Some(slot) = usize::try_from(j).ok().and_then(|j| ids.get_mut(j)) {
                        *slot = id;
                    }
                }
                seen += 1;
            }
        }
        for chunk in ids.chunks(BATCH * 2) {
            if !fetch(conn, qt, select, alias, chunk, n, &mut got, sink).await? {
                return Ok(false);
            }
        }
    } else {
        // Sparse and large: the next row at or after each random point
        // (a row already taken is rare here: under one point in four).
        let sql = format!(
            "SELECT {alias}, {select} FROM {qt} WHERE {alias} >= ?1 ORDER BY {alias} LIMIT 1"
        );
        let mut points = 0u64;
        while got < n && points < n.saturating_mul(2) {
            points += 1;
            let p = rng.between(lo, hi);
            let row = sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(p)
                .fetch_optional(&mut *conn)
                .await
                .map_err(|e| describe(&e))?;
            let Some(row) = row else { continue };
            let id: i64 = row.try_get(0).map_err(|e| describe(&e))?;
            if drawn.insert(id) {
                got += 1;
                if !sink.row(row) {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
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
