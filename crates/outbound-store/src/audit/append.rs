//! Writing entries: an entry checked before any transaction starts
//! ([`Ready`]), and the rows, the signed head and the tree's state that an
//! append writes inside the caller's transaction ([`append_ready`]).

use sqlx::{Any, Transaction};

use super::{entry_leaf, ledger_root, now};
use crate::StoreError;
use crate::keys::Keys;
use crate::merkle::{CompactTree, Hash};
use crate::signed_head::SignedTreeHead;

/// Appends an entry and signs the new head, inside the caller's transaction,
/// which has run [`crate::state::check`] and written its rows.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    keys: &Keys,
    kind: &str,
    body: serde_json::Value,
) -> Result<(u64, SignedTreeHead), StoreError> {
    let done = append_ready(tx, keys, vec![prepare(kind, body)?], None, None).await?;
    Ok((done.first, done.head))
}

/// An entry checked for appending: a registered kind and an object body that
/// leaves `v` and `ledger` to the store. Checked before a transaction starts,
/// so that one bad entry is refused alone and never fails a group commit.
pub(crate) struct Ready {
    kind: String,
    version: u32,
    body: serde_json::Map<String, serde_json::Value>,
    /// The ledger's root this entry commits to, when it is not the root as
    /// the append finds it: a domain write's entry in a group commits the
    /// root right after its own write.
    pub(super) ledger: Option<String>,
}

/// Checks an entry for appending (see [`Ready`]); nothing is written.
pub(crate) fn prepare(kind: &str, body: serde_json::Value) -> Result<Ready, StoreError> {
    let version = crate::entry_kinds::version_for(kind).ok_or_else(|| {
        crate::invalid(format!(
            "unknown audit entry kind `{}`: every kind needs a line and a schema in entry_kinds.rs",
            kind.chars().take(40).collect::<String>()
        ))
    })?;
    let body = match body {
        serde_json::Value::Object(m) => m,
        _ => {
            return Err(crate::invalid(format!(
                "the body of an audit entry of kind `{kind}` must be a JSON object"
            )));
        }
    };
    if body.contains_key("v") || body.contains_key("ledger") {
        return Err(crate::invalid(format!(
            "the body of an audit entry of kind `{kind}` sets `v` or `ledger`, which the store adds"
        )));
    }
    Ok(Ready {
        kind: kind.to_string(),
        version,
        body,
        ledger: None,
    })
}

/// Rows per multi-row INSERT: 5 values each, under SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters.
const INSERT_ROWS: usize = 1000;

/// What [`append_ready`] wrote: the first entry's index, the signed head,
/// the tree and ledger root after the entries, and the row of the read asked
/// to follow them (`None` if it returned none: its reader says what that means).
pub(crate) struct Appended {
    pub(crate) first: u64,
    pub(crate) head: SignedTreeHead,
    pub(crate) state: (CompactTree, String),
    pub(crate) after: Option<sqlx::any::AnyRow>,
}

/// Appends `entries` (at least one) in order, each committing the ledger's
/// state (`"ledger"`: the root of `ledger_state` after the caller's writes),
/// and signs one tree head covering them all, inside the caller's transaction
/// (which has run [`crate::state::check`]). The tree state and the ledger's
/// root are read once, the rows written by multi-row INSERTs: a group of n
/// entries costs one signature, not n. `known`: the tree and the ledger's
/// root when the caller knows them (the state this process left, found
/// unchanged: `fingerprint.rs`), else read. `after`: a one-row read to run
/// once the entries are written (its row is returned).
///
/// On SQLite the head, the tree state, `after` and a lone entry go in one
/// statement: each statement is a round trip to sqlx's worker thread, which
/// costs more than the writes themselves in a small commit.
pub(crate) async fn append_ready(
    tx: &mut Transaction<'static, Any>,
    keys: &Keys,
    entries: Vec<Ready>,
    known: Option<(CompactTree, String)>,
    after: Option<&str>,
) -> Result<Appended, StoreError> {
    if entries.is_empty() {
        return Err(crate::invalid("an append needs at least one audit entry"));
    }
    let (at, ms) = now();
    let (mut tree, mut ledger) = match known {
        Some(k) => k,
        None => (
            crate::state::load_tree(tx)
                .await?
                .map_or_else(CompactTree::new, |t| t.tree),
            ledger_root(tx).await?,
        ),
    };
    let first = tree.size();
    let mut rows = Vec::with_capacity(entries.len());
    let mut path = Vec::new();
    for e in entries {
        let mut body = e.body;
        if let Some(own) = e.ledger {
            ledger = own;
        }
        body.insert("ledger".into(), ledger.clone().into());
        if e.version > 0 {
            body.insert("v".into(), e.version.into());
        }
        let body = serde_json::Value::Object(body).to_string();
        let index = tree.size();
        let leaf = entry_leaf(index, &at, &e.kind, &body);
        path = crate::state::append_leaf(&mut tree, leaf)?;
        rows.push((index, e.kind, body, leaf));
    }
    let head = SignedTreeHead::sign(keys.signing(), tree.size(), tree.root(), ms);
    let head_json = serde_json::to_string(&head).expect("a signed head serialises to JSON");
    let tree_state = crate::state::tree_state(&tree, &path);
    let sqlite = tx.backend_name() == "SQLite";
    // A lone entry goes in SQLite's one statement below; more go apart, so
    // that statement's text stays the same whatever a group's size (sqlx
    // keeps prepared statements by their text, and the fingerprint's read
    // costs more to prepare than a small commit's writes).
    let in_one: &[EntryRow] = if sqlite && rows.len() == 1 {
        &rows
    } else {
        &[]
    };
    let apart: &[EntryRow] = if in_one.is_empty() { &rows } else { &[] };
    for chunk in apart.chunks(INSERT_ROWS) {
        bind_entries(
            sqlx::query(sqlx::AssertSqlSafe(insert_entries(chunk.len(), sqlite))),
            chunk,
            &at,
        )
        .execute(&mut **tx)
        .await?;
    }
    let read_after = if sqlite {
        let mut sql = String::new();
        if !in_one.is_empty() {
            sql.push_str(&insert_entries(in_one.len(), true));
            sql.push_str("; ");
        }
        sql.push_str("INSERT INTO tree_heads (size, head) VALUES (?, ?); ");
        sql.push_str(&crate::state::save_tree_sql("?"));
        if let Some(read) = after {
            sql.push_str("; ");
            sql.push_str(read);
        }
        let rows = bind_entries(sqlx::query(sqlx::AssertSqlSafe(sql)), in_one, &at)
            .bind(tree.size() as i64)
            .bind(head_json)
            .bind(tree_state)
            .fetch_all(&mut **tx)
            .await?;
        rows.into_iter().next()
    } else {
        sqlx::query("INSERT INTO tree_heads (size, head) VALUES ($1, $2)")
            .bind(tree.size() as i64)
            .bind(head_json)
            .execute(&mut **tx)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(crate::state::save_tree_sql("$1")))
            .bind(tree_state)
            .execute(&mut **tx)
            .await?;
        match after {
            Some(read) => Some(
                sqlx::query(sqlx::AssertSqlSafe(read.to_string()))
                    .fetch_one(&mut **tx)
                    .await?,
            ),
            None => None,
        }
    };
    Ok(Appended {
        first,
        head,
        state: (tree, ledger),
        after: read_after,
    })
}

/// An entry's row: index, kind, body, leaf hash.
type EntryRow = (u64, String, String, Hash);

/// A multi-row INSERT of `n` entries. SQLite gets anonymous `?` parameters:
/// it looks each numbered one up by name in a list, which makes binding n of
/// them cost n² (and anonymous ones can follow in further statements).
fn insert_entries(n: usize, sqlite: bool) -> String {
    let mut sql =
        String::from("INSERT INTO audit_entries (idx, at, kind, body, leaf_hash) VALUES ");
    for i in 0..n {
        let p = i * 5;
        if i > 0 {
            sql.push(',');
        }
        if sqlite {
            sql.push_str("(?, ?, ?, ?, ?)");
        } else {
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5
            ));
        }
    }
    sql
}

/// Binds `rows` in the order of [`insert_entries`].
fn bind_entries<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    rows: &[EntryRow],
    at: &str,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for (index, kind, body, leaf) in rows {
        q = q
            .bind(*index as i64)
            .bind(at.to_string())
            .bind(kind.clone())
            .bind(body.clone())
            .bind(leaf.to_vec());
    }
    q
}
