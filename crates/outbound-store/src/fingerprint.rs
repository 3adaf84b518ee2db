//! A cheap re-validation, for audit appends, of the state [`crate::state::check`]
//! last verified in this process.
//!
//! A durable append runs the full check first (the signed head, the tree
//! state, the last entry, `ledger_state` against it, the small tables
//! rehashed): about 20 statements, most of a commit's time when writers
//! block on every append. After an append commits, this process knows the
//! state is one the check accepts (it checked the state before and wrote
//! the rest itself), so it keeps the state's *fingerprint*: the very
//! content of everything the check reads, read back in one statement
//! inside the append's transaction. The next append reads the fingerprint
//! again, under the store's lock; only if it is byte for byte the one kept,
//! for the same signing key, is the full check skipped. Any edit between
//! two appends of what the check reads (by another process, or by the
//! store's holder behind the log's back) changes the fingerprint, and the
//! full check runs and judges it exactly as before.
//!
//! What the fingerprint holds: the log's last entry and its number, the
//! newest signed head, every row of `meta` but the lock row (whose value is
//! never read), and every row of every other table except those in
//! [`LEFT_OUT`]. Tables are listed from the database's catalogue, so a table
//! added later is covered by default. Values are typed and hex-encoded on
//! SQLite (so a byte after a NUL counts), the row's text form on PostgreSQL.
//! It is kept in memory only: the store's holder cannot see or set it.

use sqlx::{AnyConnection, Row};

use crate::merkle::CompactTree;

use crate::StoreError;

/// Tables not in the fingerprint, for size: none of them is read by
/// [`crate::state::check`] (a batch's own check reads the ledger's rows, and
/// `audit verify` every table), except the log's two tables, whose last
/// entry and newest head are in the fingerprint on their own. A table the
/// check comes to read must not be listed here.
const LEFT_OUT: &[&str] = &[
    "audit_entries",
    "tree_heads",
    "meta",
    "subjects",
    "consents",
    "batches",
    "keyset_runs",
    "keyset_chunks",
    "deliveries",
    "cosignatures",
    "sessions",
    "complaints",
    "complaint_handling",
    // The parts' LtHash states: the check reads their checksums in
    // `ledger_state`; a writer checks a state against its checksum before it builds on it.
    "ledger_lthash",
];

/// An identifier quoted for SQL (the catalogue is the store's holder's too).
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The statement that reads the fingerprint, built from the catalogue (once per store).
pub(crate) async fn statement(conn: &mut AnyConnection) -> Result<String, StoreError> {
    let sqlite = conn.backend_name() == "SQLite";
    let tables: Vec<String> = if sqlite {
        sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    } else {
        sqlx::query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")
    }
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>(0))
    .collect::<Result<_, _>>()?;
    let mut parts = Vec::new();
    if sqlite {
        // Every value as its type and its bytes in hex: unambiguous, and a
        // text's bytes after a NUL count too.
        let val = |c: &str| format!("typeof({c}) || ':' || hex(CAST({c} AS BLOB))");
        parts.push(format!(
            "(SELECT {} || ',' || {} || ',' || {} || ',' || {} || ',' || {} FROM audit_entries ORDER BY idx DESC LIMIT 1)",
            val("idx"), val("at"), val("kind"), val("body"), val("leaf_hash")
        ));
        parts.push(format!(
            "(SELECT {} || ',' || {} FROM tree_heads ORDER BY size DESC LIMIT 1)",
            val("size"),
            val("head")
        ));
        parts.push(format!(
            "(SELECT group_concat({} || ',' || {}, ';') FROM meta WHERE key <> 'lock')",
            val("key"),
            val("value")
        ));
        for t in tables.iter().filter(|t| !LEFT_OUT.contains(&t.as_str())) {
            let cols: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info($1)")
                .bind(t.clone())
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0).map(|c| val(&ident(&c))))
                .collect::<Result<_, _>>()?;
            if cols.is_empty() {
                continue;
            }
            parts.push(format!(
                "(SELECT COUNT(*) || '|' || coalesce(group_concat({}, ';'), '') FROM {})",
                cols.join(" || ',' || "),
                ident(t)
            ));
        }
    } else {
        parts.push("(SELECT t::text FROM audit_entries t ORDER BY idx DESC LIMIT 1)".into());
        parts.push("(SELECT t::text FROM tree_heads t ORDER BY size DESC LIMIT 1)".into());
        parts.push(
            "(SELECT string_agg(t::text, chr(10) ORDER BY t::text) FROM meta t WHERE key <> 'lock')"
                .into(),
        );
        for t in tables.iter().filter(|t| !LEFT_OUT.contains(&t.as_str())) {
            parts.push(format!(
                "(SELECT COUNT(*) || '|' || coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '') FROM {} t)",
                ident(t)
            ));
        }
    }
    // One column per part: the parts cannot run into each other.
    Ok(format!("SELECT {}", parts.join(", ")))
}

/// Reads the fingerprint with `sql` (from [`statement`]): each part, or
/// `None` where it is NULL (an empty log or table).
pub(crate) async fn read(
    conn: &mut AnyConnection,
    sql: &str,
) -> Result<Vec<Option<String>>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *conn)
        .await?;
    parts(Some(&row))
}

/// The fingerprint's parts from the row of its statement, read by the
/// caller (after an append, in the append's own statement).
pub(crate) fn parts(row: Option<&sqlx::any::AnyRow>) -> Result<Vec<Option<String>>, StoreError> {
    let row = row.ok_or_else(|| crate::invalid("the fingerprint's read returned no row"))?;
    (0..row.len())
        .map(|i| Ok(row.try_get::<Option<String>, _>(i)?))
        .collect()
}

/// A state this process committed: the signing key's public half, the
/// fingerprint, and the audit tree and ledger root it left (so the next
/// append need not read them again).
pub(crate) struct Verified {
    key: [u8; 32],
    parts: Vec<Option<String>>,
    tree: CompactTree,
    ledger: String,
}

fn lock(v: &std::sync::Mutex<Option<Verified>>) -> std::sync::MutexGuard<'_, Option<Verified>> {
    // Only whole values are stored under the lock: a poisoned lock still holds one.
    v.lock().unwrap_or_else(|e| e.into_inner())
}

/// When `now`, read for key `key`, is the fingerprint kept: the tree and the
/// ledger root that state holds.
pub(crate) fn verified(
    v: &std::sync::Mutex<Option<Verified>>,
    key: &[u8; 32],
    now: &[Option<String>],
) -> Option<(CompactTree, String)> {
    lock(v)
        .as_ref()
        .filter(|k| &k.key == key && k.parts.as_slice() == now)
        .map(|k| (k.tree.clone(), k.ledger.clone()))
}

/// Keeps the fingerprint of a state this process just committed.
pub(crate) fn keep(
    v: &std::sync::Mutex<Option<Verified>>,
    key: [u8; 32],
    parts: Vec<Option<String>>,
    (tree, ledger): (CompactTree, String),
) {
    *lock(v) = Some(Verified {
        key,
        parts,
        tree,
        ledger,
    });
}
