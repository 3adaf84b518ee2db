//! MySQL and MariaDB: a session whose transactions are read-only
//! (`SET SESSION TRANSACTION READ ONLY`: every write, DDL and temporary
//! table refused), each table counted and read inside its own
//! `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` that is rolled
//! back. The URL's database, or with none every database but the
//! server's own (`mysql`, `sys`, `information_schema`,
//! `performance_schema`); base tables, and with `views` views.
//!
//! Sizing: `information_schema.TABLES.TABLE_ROWS` (exact for MyISAM, an
//! estimate for InnoDB); a table estimated at or below `count_limit` rows
//! is counted exactly.
//! Sampling: MySQL has no `TABLESAMPLE`. In a table of at most
//! `count_limit` rows the bound is picked in the order of `RAND(seed)`
//! (one pass, the bound kept in a priority queue: a uniform pick, the same
//! rows for the same seed on unchanged data): with a one-column integer
//! primary key only the keys are ordered so, and their rows fetched by key
//! (8 times faster than ordering whole rows, measured), else the rows. A
//! larger table with such a key is read in blocks of [`BLOCK`] rows at
//! random points of the key's range (the rows of a block are neighbours,
//! as PostgreSQL's `SYSTEM` pages are); without one its first rows are
//! read and the table entry says `sample: "first"`. Keys may be signed or
//! `UNSIGNED` ([`Key`]).

use std::str::FromStr;

use futures_util::TryStreamExt;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlRow};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row};

use crate::pipeline::{Cells, Sink};
use crate::sample::{SplitMix, table_seed};
use crate::{DbScanOptions, Failed, Relation, Sample, Source, describe, display_url, end_read};

/// Why a MySQL 8 account may not log in: without TLS its password goes
/// RSA-encrypted, and this build has no RSA for the driver (the `rsa`
/// crate is left out of the tree).
const NO_RSA: &str = "the server asks for the password encrypted with RSA \
     (MySQL 8's caching_sha2_password without TLS), which this build does not have: \
     connect over TLS (the server must offer it; ssl-mode=REQUIRED or VERIFY_IDENTITY \
     in the URL), or scan as an account using mysql_native_password";

/// Rows read at each random point of a large table's key.
const BLOCK: u64 = 100;

/// The server's own databases, never scanned.
const SYSTEM: [&str; 4] = ["mysql", "sys", "information_schema", "performance_schema"];

/// Column types that are not text: not scanned, listed as binary.
const BINARY_TYPES: [&str; 15] = [
    "binary",
    "varbinary",
    "tinyblob",
    "blob",
    "mediumblob",
    "longblob",
    "bit",
    "geometry",
    "point",
    "linestring",
    "polygon",
    "multipoint",
    "multilinestring",
    "multipolygon",
    "geometrycollection",
];

/// `` `name` `` with inner backticks doubled: a MySQL identifier whatever
/// the server's `sql_mode` (`"…"` is one only under `ANSI_QUOTES`).
fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A session on the database `url` names whose transactions are all
/// read-only.
pub(crate) async fn open_session(url: &str) -> Result<MySqlConnection, String> {
    let shown = display_url(url);
    let opts = MySqlConnectOptions::from_str(url)
        .map_err(|e| format!("{shown} is not a usable MySQL URL: {}", describe(&e)))?
        .charset("utf8mb4")
        .disable_statement_logging();
    let mut conn = opts.connect().await.map_err(|e| {
        let why = match &e {
            // MySQL 8's `caching_sha2_password`, before the server has
            // cached the password, sends it over TLS or encrypted with RSA.
            sqlx::Error::Configuration(m) if m.to_string().contains("RSA") => NO_RSA.to_string(),
            _ => describe(&e),
        };
        format!("cannot connect to {shown}: {why}")
    })?;
    sqlx::raw_sql("SET SESSION TRANSACTION READ ONLY")
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

/// Base tables and views of the URL's database (or of every database but
/// the server's own), by database and name.
async fn list_relations(url: &str, shown: &str) -> Result<Vec<Relation>, String> {
    let mut conn = open_session(url).await?;
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(TABLE_TYPE AS CHAR) \
         FROM information_schema.TABLES \
         WHERE TABLE_TYPE IN ('BASE TABLE', 'VIEW') \
           AND (DATABASE() IS NULL OR TABLE_SCHEMA = DATABASE()) \
           AND TABLE_SCHEMA NOT IN (?, ?, ?, ?) \
         ORDER BY 1, 2",
    )
    .bind(SYSTEM[0])
    .bind(SYSTEM[1])
    .bind(SYSTEM[2])
    .bind(SYSTEM[3])
    .fetch_all(&mut conn)
    .await
    .map_err(|e| format!("cannot list the tables of {shown}: {}", describe(&e)))?;
    let _ = conn.close().await;
    Ok(rows
        .into_iter()
        .map(|(schema, name, kind)| Relation {
            oid: 0,
            schema: Some(schema),
            name,
            view: (kind == "VIEW").then_some("view"),
        })
        .collect())
}

/// MySQL and MariaDB as a [`Source`].
pub(crate) struct MySql;

impl Source for MySql {
    type Db = sqlx::MySql;
    type Row = MySqlRow;
    const BEGIN: &'static str = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";

    async fn open(url: &str) -> Result<MySqlConnection, String> {
        open_session(url).await
    }

    async fn list(url: &str, shown: &str) -> Result<Vec<Relation>, String> {
        list_relations(url, shown).await
    }

    async fn read(
        conn: &mut MySqlConnection,
        rel: &Relation,
        opts: &DbScanOptions,
        sink: Sink<MySqlRow>,
    ) -> Result<(), Failed<MySqlRow>> {
        read(conn, rel, opts, sink).await
    }
}

impl Cells for MySqlRow {
    /// The value's bytes as sent: every column is selected as
    /// `CAST(… AS CHAR)` (binary ones as `NULL`) on a `utf8mb4`
    /// connection, so they are the text itself.
    fn cell(&self, i: usize) -> Option<&[u8]> {
        self.try_get::<Option<&[u8]>, _>(i).ok().flatten()
    }
}

/// A one-column integer primary key's type. Its values are held as
/// `i128`, which holds both `BIGINT` and `BIGINT UNSIGNED`, and sent back
/// to the server as the column's own type: a key above 2^63 read as
/// `SIGNED` would turn negative and its row would never be picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    unsigned: bool,
}

impl Key {
    /// The key selected as a 64-bit integer of its sign.
    fn select(self, column: &str) -> String {
        let to = if self.unsigned { "UNSIGNED" } else { "SIGNED" };
        format!("CAST({column} AS {to})")
    }

    /// The key in column `i` of a row selected by [`Key::select`].
    fn get(self, row: &MySqlRow, i: usize) -> Option<i128> {
        if self.unsigned {
            row.try_get::<Option<u64>, _>(i)
                .ok()
                .flatten()
                .map(i128::from)
        } else {
            row.try_get::<Option<i64>, _>(i)
                .ok()
                .flatten()
                .map(i128::from)
        }
    }

    /// Binds `k`, a value between two of the column's keys.
    fn bind<'q>(
        self,
        q: sqlx::query::Query<'q, sqlx::MySql, sqlx::mysql::MySqlArguments>,
        k: i128,
    ) -> sqlx::query::Query<'q, sqlx::MySql, sqlx::mysql::MySqlArguments> {
        if self.unsigned {
            q.bind(u64::try_from(k).unwrap_or(0))
        } else {
            q.bind(i64::try_from(k).unwrap_or(0))
        }
    }
}

/// A column: its name, whether it is binary (not scanned), and the key's
/// type when it is a one-column integer primary key.
type Column = (String, bool, Option<Key>);

/// A table's columns, in order.
async fn columns(
    conn: &mut MySqlConnection,
    schema: &str,
    name: &str,
) -> Result<Vec<Column>, String> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT CAST(COLUMN_NAME AS CHAR), CAST(LOWER(DATA_TYPE) AS CHAR), CAST(COLUMN_KEY AS CHAR), \
         CAST(LOWER(COLUMN_TYPE) AS CHAR) \
         FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
    )
    .bind(schema)
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| format!("cannot read its columns: {}", describe(&e)))?;
    let keys = rows.iter().filter(|r| r.2 == "PRI").count();
    Ok(rows
        .into_iter()
        .map(|(c, ty, key, full)| {
            let binary = BINARY_TYPES.contains(&ty.as_str());
            let int = matches!(
                ty.as_str(),
                "tinyint" | "smallint" | "mediumint" | "int" | "bigint"
            );
            let key = (keys == 1 && key == "PRI" && int).then(|| Key {
                unsigned: full.contains("unsigned"),
            });
            (c, binary, key)
        })
        .collect())
}

async fn read(
    conn: &mut MySqlConnection,
    rel: &Relation,
    opts: &DbScanOptions,
    mut sink: Sink<MySqlRow>,
) -> Result<(), Failed<MySqlRow>> {
    let schema = rel.schema.as_deref().unwrap_or_default();
    let cols = match columns(conn, schema, &rel.name).await {
        Ok(c) => c,
        Err(e) => return Err((sink, e)),
    };
    let binary: Vec<String> = cols.iter().filter(|c| c.1).map(|c| c.0.clone()).collect();
    let select = cols
        .iter()
        .map(|(c, b, _)| {
            if *b {
                "NULL".to_string()
            } else {
                format!("CAST({} AS CHAR)", quote_ident(c))
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let key = cols
        .iter()
        .find_map(|c| c.2.map(|t| (quote_ident(&c.0), t)));
    let qt = format!("{}.{}", quote_ident(schema), quote_ident(&rel.name));
    let n = opts.sample_rows;
    // (rows, estimated) before reading; None when every row is read.
    let mut total: Option<(u64, bool)> = None;
    let (pick, sample) = if opts.full {
        let locks = match locks_while_read(conn, schema, &rel.name).await {
            Ok(l) => l,
            Err(e) => return Err((sink, e)),
        };
        match &key {
            // The key first (not scanned): where the next chunk starts.
            Some((k, t)) if locks => (
                Pick::Chunks {
                    first: format!(
                        "SELECT {}, {select} FROM {qt} ORDER BY {k} LIMIT ?",
                        t.select(k)
                    ),
                    next: format!(
                        "SELECT {}, {select} FROM {qt} WHERE {k} > ? ORDER BY {k} LIMIT ?",
                        t.select(k)
                    ),
                    key: *t,
                },
                "full",
            ),
            _ => (Pick::Rows(format!("SELECT {select} FROM {qt}")), "full"),
        }
    } else {
        let est: Option<u64> = match sqlx::query_scalar::<_, Option<u64>>(
            "SELECT TABLE_ROWS FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
        )
        .bind(schema)
        .bind(&rel.name)
        .fetch_optional(&mut *conn)
        .await
        {
            Ok(e) => e.flatten(),
            Err(e) => return Err((sink, format!("cannot estimate its rows: {}", describe(&e)))),
        };
        // A view is not counted: that would run its query twice.
        match est {
            _ if rel.view.is_some() => total = Some((0, true)),
            Some(e) if e > opts.count_limit => total = Some((e, true)),
            _ => {
                let q = format!("SELECT COUNT(*) FROM {qt}");
                match sqlx::query_scalar::<_, i64>(AssertSqlSafe(q))
                    .fetch_one(&mut *conn)
                    .await
                {
                    Ok(c) => total = Some((u64::try_from(c).unwrap_or(0), false)),
                    Err(e) => {
                        return Err((sink, format!("cannot count its rows: {}", describe(&e))));
                    }
                }
            }
        }
        let rows = total.map_or(0, |t| t.0);
        let seed = table_seed(opts.seed, &rel.qualified());
        let first = || Pick::Rows(format!("SELECT {select} FROM {qt} LIMIT {n}"));
        if opts.sample == Sample::Random && rel.view.is_none() && rows > n {
            // RAND's seed is an integer: 31 bits of the table's.
            let rand = seed >> 33;
            match (&key, rows > opts.count_limit) {
                (Some((k, t)), false) => (
                    Pick::Keys {
                        keys: format!(
                            "SELECT {} FROM {qt} ORDER BY RAND({rand}) LIMIT {n}",
                            t.select(k)
                        ),
                        rows: (
                            format!("SELECT {}, {select} FROM {qt} WHERE {k} IN (", t.select(k)),
                            format!(") ORDER BY {k}"),
                        ),
                        key: *t,
                    },
                    "random",
                ),
                (None, false) => (
                    Pick::Rows(format!(
                        "SELECT {select} FROM {qt} ORDER BY RAND({rand}) LIMIT {n}"
                    )),
                    "random",
                ),
                (Some((k, t)), true) => (
                    Pick::Blocks {
                        range: format!(
                            "SELECT {}, {} FROM {qt}",
                            t.select(&format!("MIN({k})")),
                            t.select(&format!("MAX({k})"))
                        ),
                        // The key first (not scanned): where the next block starts.
                        rows: format!(
                            "SELECT {}, {select} FROM {qt} \
                             WHERE {k} >= ? AND {k} <= ? ORDER BY {k} LIMIT ?",
                            t.select(k)
                        ),
                        seed,
                        key: *t,
                    },
                    "random",
                ),
                (None, true) => (first(), "first"),
            }
        } else {
            (first(), "first")
        }
    };
    let names: Vec<String> = cols.into_iter().map(|c| c.0).collect();
    let skip = usize::from(!matches!(pick, Pick::Rows(_)));
    if !sink.start(names, skip) {
        return Ok(());
    }
    let failure = match &pick {
        Pick::Rows(sql) => send(conn, sql, None, &[], None, &mut sink)
            .await
            .map(|s| s.0),
        Pick::Keys { keys, rows, key } => by_keys(conn, keys, rows, *key, &mut sink).await,
        Pick::Blocks {
            range,
            rows,
            seed,
            key,
        } => in_blocks(conn, range, rows, *key, n, *seed, &mut sink).await,
        Pick::Chunks { first, next, key } => in_chunks(conn, first, next, *key, &mut sink).await,
    };
    let failure = match failure {
        Ok(true) => None,
        Ok(false) => return Ok(()),
        Err(e) => Some(e),
    };
    end_read(sink, rel, binary, n, (sample, total), failure);
    Ok(())
}

/// How a table's rows are picked.
enum Pick {
    /// The rows one query returns.
    Rows(String),
    /// A uniform sample of a table with an integer key: the keys in the
    /// order of `RAND(seed)` (`keys`: a sort of 8-byte keys, not of rows),
    /// then their rows by key, a thousand at a time (`rows`: the query
    /// before and after the list of keys).
    Keys {
        keys: String,
        rows: (String, String),
        key: Key,
    },
    /// Blocks at random points of a large table's key ([`in_blocks`]).
    Blocks {
        range: String,
        rows: String,
        seed: u64,
        key: Key,
    },
    /// Every row of a table whose engine locks it while a query reads it,
    /// in key order, [`LOCK_CHUNK`] rows a query ([`in_chunks`]).
    Chunks {
        first: String,
        next: String,
        key: Key,
    },
}

/// Rows a query reads of a table whose engine locks it while it is read
/// (MyISAM, Aria, MEMORY: no transactions, so no snapshot): the table's
/// writers wait for one chunk at a time, not for the whole table's read.
pub(crate) const LOCK_CHUNK: u64 = 10_000;

/// Whether the table's engine has no transactions, and so holds a table
/// lock for as long as a query reads it (a view or an unknown engine: no).
async fn locks_while_read(
    conn: &mut MySqlConnection,
    schema: &str,
    name: &str,
) -> Result<bool, String> {
    let transactions: Option<Option<String>> = sqlx::query_scalar(
        "SELECT CAST(e.TRANSACTIONS AS CHAR) FROM information_schema.TABLES t \
         JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE \
         WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ?",
    )
    .bind(schema)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| format!("cannot read its engine: {}", describe(&e)))?;
    Ok(transactions.flatten().as_deref() == Some("NO"))
}

/// Sends every row of a table in key order, [`LOCK_CHUNK`] rows a query
/// (`first` from the start, `next` after a key; the key first): each
/// query's table lock ends with it. Rows written meanwhile are read or not
/// by where their key falls, as with any read of a table without a
/// snapshot; none is read twice.
async fn in_chunks(
    conn: &mut MySqlConnection,
    first: &str,
    next: &str,
    key: Key,
    sink: &mut Sink<MySqlRow>,
) -> Result<bool, String> {
    let mut after: Option<i128> = None;
    loop {
        let before = sink.sent();
        let (more, last) = match after {
            None => send(conn, first, Some(key), &[], Some(LOCK_CHUNK), sink).await?,
            Some(k) => send(conn, next, Some(key), &[k], Some(LOCK_CHUNK), sink).await?,
        };
        if !more {
            return Ok(false);
        }
        if sink.sent() - before < LOCK_CHUNK || last.is_none() {
            return Ok(true);
        }
        after = last;
    }
}

/// Sends the rows `sql` returns to `sink`, with `keys` bound (as `key`'s
/// type) and then `limit`: whether the scan still wants rows (false once
/// it is gone), and with a `key` (the first column is the key, as
/// [`Pick::Keys`] and [`Pick::Blocks`] select it) the last key sent. `Err`
/// with the driver's message if reading fails.
async fn send(
    conn: &mut MySqlConnection,
    sql: &str,
    key: Option<Key>,
    keys: &[i128],
    limit: Option<u64>,
    sink: &mut Sink<MySqlRow>,
) -> Result<(bool, Option<i128>), String> {
    let mut q = sqlx::query(AssertSqlSafe(sql.to_string()));
    if let Some(t) = key {
        for k in keys {
            q = t.bind(q, *k);
        }
    }
    if let Some(l) = limit {
        q = q.bind(l);
    }
    let mut rows = q.fetch(&mut *conn);
    let mut last = None;
    loop {
        match rows.try_next().await {
            Ok(Some(row)) => {
                if let Some(t) = key {
                    last = t.get(&row, 0).or(last);
                }
                if !sink.row(row) {
                    return Ok((false, last));
                }
            }
            Ok(None) => return Ok((true, last)),
            Err(e) => return Err(describe(&e)),
        }
    }
}

/// Sends the rows [`Pick::Keys`] picks, in key order.
async fn by_keys(
    conn: &mut MySqlConnection,
    keys: &str,
    (before, after): &(String, String),
    key: Key,
    sink: &mut Sink<MySqlRow>,
) -> Result<bool, String> {
    let mut picked: Vec<i128> = sqlx::query(AssertSqlSafe(keys.to_string()))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| describe(&e))?
        .iter()
        .filter_map(|row| key.get(row, 0))
        .collect();
    picked.sort_unstable();
    for chunk in picked.chunks(1_000) {
        let sql = format!("{before}{}{after}", vec!["?"; chunk.len()].join(", "));
        if !send(conn, &sql, Some(key), chunk, None, sink).await?.0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Sends up to `n` rows of a large table in blocks of [`BLOCK`] at random
/// points of its integer key (`range` reads the key's least and greatest,
/// `rows` up to a number of rows between two keys, the key first): points
/// drawn uniformly in the key's range and taken in order, each block
/// starting after the previous one's last key, so no row is read twice;
/// what blocks cut short at the end of the range miss comes from the rows
/// no block read, lowest first.
async fn in_blocks(
    conn: &mut MySqlConnection,
    range: &str,
    rows: &str,
    key: Key,
    n: u64,
    seed: u64,
    sink: &mut Sink<MySqlRow>,
) -> Result<bool, String> {
    let range = sqlx::query(AssertSqlSafe(range.to_string()))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| describe(&e))?;
    let (Some(lo), Some(hi)) = (key.get(&range, 0), key.get(&range, 1)) else {
        return Ok(true);
    };
    let mut rng = SplitMix(seed);
    let mut points: Vec<i128> = (0..n.div_ceil(BLOCK))
        .map(|_| rng.between_wide(lo, hi))
        .collect();
    points.sort_unstable();
    // Where the next block may start: past the last key read.
    let mut next = lo;
    // Each block read: the key it started at and the last key read.
    let mut blocks: Vec<(i128, i128)> = Vec::new();
    for p in points {
        let start = p.max(next);
        let want = (n - sink.sent()).min(BLOCK);
        if want == 0 || start > hi {
            break;
        }
        let (more, last) = send(conn, rows, Some(key), &[start, hi], Some(want), sink).await?;
        if !more {
            return Ok(false);
        }
        match last {
            Some(l) => {
                blocks.push((start, l));
                next = l + 1;
            }
            // Nothing at or after this point: nothing after the later ones.
            None => break,
        }
    }
    // Blocks cut short by the end of the range leave the bound unmet: the
    // rest comes from the rows no block read, lowest first (below the first
    // block, between blocks, after the last), so that a table of more rows
    // than the bound gives the bound whatever the seed.
    let mut gaps = Vec::new();
    let mut from = lo;
    for &(start, last) in &blocks {
        if start > from {
            gaps.push((from, start - 1));
        }
        from = last + 1;
    }
    if from <= hi {
        gaps.push((from, hi));
    }
    for (a, b) in gaps {
        let want = n - sink.sent();
        if want == 0 {
            break;
        }
        if !send(conn, rows, Some(key), &[a, b], Some(want), sink)
            .await?
            .0
        {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_with_backticks() {
        assert_eq!(quote_ident("a`b"), "`a``b`");
        assert_eq!(quote_ident("身份证号"), "`身份证号`");
    }

    /// MyISAM and Aria tables lock while a query reads them; InnoDB's do
    /// not, and neither does a view or a table that is not there.
    #[test]
    fn engines_without_transactions_lock_while_read() {
        crate::on_test_server("OUTBOUND_TEST_MYSQL", |url| async move {
            let mut admin = MySqlConnection::connect(&url).await.unwrap();
            let db = format!("scan_lock_{}", std::process::id());
            sqlx::raw_sql(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db};
                 CREATE TABLE {db}.m (id INT PRIMARY KEY) ENGINE=MyISAM;
                 CREATE TABLE {db}.a (id INT PRIMARY KEY) ENGINE=Aria;
                 CREATE TABLE {db}.i (id INT PRIMARY KEY) ENGINE=InnoDB;
                 CREATE VIEW {db}.v AS SELECT id FROM {db}.m;"
            )))
            .execute(&mut admin)
            .await
            .unwrap();
            let mut conn = open_session(&url).await.unwrap();
            for (table, locks) in [
                ("m", true),
                ("a", true),
                ("i", false),
                ("v", false),
                ("none", false),
            ] {
                assert_eq!(
                    locks_while_read(&mut conn, &db, table).await.unwrap(),
                    locks,
                    "{table}"
                );
            }
            sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE {db}")))
                .execute(&mut admin)
                .await
                .unwrap();
        });
    }

    /// The session the scan uses refuses every write, temporary tables
    /// and new databases included.
    #[test]
    fn the_session_cannot_write() {
        crate::on_test_server("OUTBOUND_TEST_MYSQL", |url| async move {
            let mut conn = open_session(&url).await.unwrap();
            for sql in [
                "CREATE TABLE outbound_scan_db_must_not_exist (a int)",
                "CREATE TEMPORARY TABLE t (a int)",
                "CREATE DATABASE outbound_scan_db_must_not_exist",
            ] {
                let e = sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .unwrap_err();
                assert!(e.to_string().contains("READ ONLY"), "{sql}: {e}");
            }
            let mut tx = conn
                .begin_with("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                .await
                .unwrap();
            let e = sqlx::raw_sql("CREATE TABLE outbound_scan_db_must_not_exist (a int)")
                .execute(&mut *tx)
                .await
                .unwrap_err();
            assert!(e.to_string().contains("READ ONLY"), "{e}");
        });
    }
}
