//! The audit tree's state as kept in `meta`: its size, peaks and the path
//! from the last leaf, which [`super::check`] verifies against the signed head.

use super::*;

/// The audit tree as stored in `meta`, with the path from the last leaf to the last peak.
pub(crate) struct StoredTree {
    pub(crate) tree: CompactTree,
    pub(crate) last_path: Option<Vec<Hash>>,
}

pub(super) fn hashes(v: &serde_json::Value) -> Option<Vec<Hash>> {
    v.as_array()?
        .iter()
        .map(|p| {
            hex::decode(p.as_str()?)
                .ok()
                .and_then(|b| Hash::try_from(b.as_slice()).ok())
        })
        .collect()
}

/// Reads the stored tree; `None` when the log never had an entry. Unreadable state is tampering.
pub(crate) async fn load_tree(conn: &mut AnyConnection) -> Result<Option<StoredTree>, StoreError> {
    let Some(row) = sqlx::query("SELECT value FROM meta WHERE key = 'audit_tree'")
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let bad = || tampered("the stored audit tree state is unreadable");
    let v: serde_json::Value =
        serde_json::from_str(&row.try_get::<String, _>(0)?).map_err(|_| bad())?;
    let size = v["size"].as_u64().ok_or_else(bad)?;
    let peaks = hashes(&v["peaks"]).ok_or_else(bad)?;
    let tree = CompactTree::from_parts(size, peaks).map_err(|_| bad())?;
    let last_path = match v.get("last_path") {
        None => None,
        Some(p) => Some(hashes(p).ok_or_else(bad)?),
    };
    Ok(Some(StoredTree { tree, last_path }))
}

/// Appends a leaf and returns the path from it to the new last peak.
pub(crate) fn append_leaf(tree: &mut CompactTree, leaf: Hash) -> Result<Vec<Hash>, StoreError> {
    let merged = tree.size().trailing_ones() as usize;
    let peaks = tree.peaks();
    let path = peaks[peaks.len().saturating_sub(merged)..]
        .iter()
        .rev()
        .copied()
        .collect();
    tree.append(leaf).map_err(StoreError::AuditFull)?;
    Ok(path)
}

/// The statement that writes the tree state to `meta`, its one parameter
/// ([`tree_state`]) written `param` (`$1`, or `?` inside a longer statement).
pub(crate) fn save_tree_sql(param: &str) -> String {
    format!(
        "INSERT INTO meta (key, value) VALUES ('audit_tree', {param}) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
}

/// The tree state as [`save_tree_sql`] stores it and [`load_tree`] reads it.
pub(crate) fn tree_state(tree: &CompactTree, last_path: &[Hash]) -> String {
    serde_json::json!({
        "size": tree.size(),
        "peaks": tree.peaks().iter().map(hex::encode).collect::<Vec<_>>(),
        "last_path": last_path.iter().map(hex::encode).collect::<Vec<_>>(),
    })
    .to_string()
}

/// Writes the tree state to `meta`.
pub(crate) async fn save_tree(
    conn: &mut AnyConnection,
    tree: &CompactTree,
    last_path: &[Hash],
) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(save_tree_sql("$1")))
        .bind(tree_state(tree, last_path))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Rebuilds the tree state from the entries: once, at the migration that
/// adds `last_path` (O(entries)).
pub(crate) async fn rebuild_tree(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT leaf_hash FROM audit_entries ORDER BY idx")
        .fetch_all(&mut *conn)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut tree = CompactTree::new();
    let mut path = Vec::new();
    for r in rows {
        let leaf = Hash::try_from(r.try_get::<Vec<u8>, _>(0)?.as_slice())
            .map_err(|_| tampered("a stored leaf hash is not 32 bytes"))?;
        path = append_leaf(&mut tree, leaf)?;
    }
    save_tree(conn, &tree, &path).await
}
