//! Reading the log for `audit verify`: entries a page to a row (one query
//! per 4,096 entries, not a row each through the driver), and the walk that
//! hashes them and rebuilds the tree on its own thread.

use super::*;

/// Entries per page: read by one query, handed to the hashing thread at once.
const PAGE_ROWS: i64 = 4096;

/// A run of entries as read: one string holding, per entry, its stored index,
/// leaf hash and canonical bytes after the index (`at \n kind \n body`), and
/// where each entry's parts are in it.
#[derive(Default)]
pub(super) struct Page {
    text: Vec<u8>,
    idx: Vec<i64>,
    stored: Vec<Hash>,
    /// Where each entry's canonical bytes start, its body starts, and both end.
    spans: Vec<(usize, usize, usize)>,
}

/// PostgreSQL: one page of entries as one row. The database concatenates the
/// page's entries, each length-prefixed (`idx la lk lb leafhex at\nkind\nbody`),
/// in index order, so a million entries cost a few hundred rows through the
/// driver instead of a million. A NULL anywhere makes the entry `x`, which
/// does not parse: an error, never a skipped entry. (SQLite's entries are read
/// straight from the file instead: [`read_file_pages`].)
fn page_sql(first: bool) -> &'static str {
    if first {
        concat!(
            "SELECT COUNT(*), MAX(idx), string_agg(rec, '' ORDER BY idx) FROM (SELECT idx, ",
            "COALESCE(idx::text || ' ' || octet_length(at) || ' ' || octet_length(kind) || ' ' || octet_length(body) || ' ' || encode(leaf_hash, 'hex') || ' ' || at || chr(10) || kind || chr(10) || body, 'x')",
            " AS rec FROM audit_entries ORDER BY idx LIMIT $1) AS page"
        )
    } else {
        concat!(
            "SELECT COUNT(*), MAX(idx), string_agg(rec, '' ORDER BY idx) FROM (SELECT idx, ",
            "COALESCE(idx::text || ' ' || octet_length(at) || ' ' || octet_length(kind) || ' ' || octet_length(body) || ' ' || encode(leaf_hash, 'hex') || ' ' || at || chr(10) || kind || chr(10) || body, 'x')",
            " AS rec FROM audit_entries WHERE idx > $1 ORDER BY idx LIMIT $2) AS page"
        )
    }
}

/// The audit entries as read are not in the form the store writes.
fn malformed_entries() -> StoreError {
    StoreError::Malformed {
        what: "audit entries",
        source: None,
    }
}

/// Splits a page's text into its entries; `n` is the count the database gave.
fn parse_page(text: String, n: usize) -> Result<Page, StoreError> {
    let b = text.as_bytes();
    let mut page = Page {
        idx: Vec::with_capacity(n),
        stored: Vec::with_capacity(n),
        spans: Vec::with_capacity(n),
        text: Vec::new(),
    };
    let mut pos = 0;
    // The next space-terminated field.
    let field = |pos: &mut usize| -> Result<&[u8], StoreError> {
        let rest = b.get(*pos..).ok_or_else(malformed_entries)?;
        let len = rest
            .iter()
            .take(70)
            .position(|&c| c == b' ')
            .ok_or_else(malformed_entries)?;
        *pos += len + 1;
        Ok(&rest[..len])
    };
    let number = |f: &[u8]| -> Result<i64, StoreError> {
        std::str::from_utf8(f)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(malformed_entries)
    };
    while pos < b.len() {
        let idx = number(field(&mut pos)?)?;
        let la = usize::try_from(number(field(&mut pos)?)?).map_err(|_| malformed_entries())?;
        let lk = usize::try_from(number(field(&mut pos)?)?).map_err(|_| malformed_entries())?;
        let lb = usize::try_from(number(field(&mut pos)?)?).map_err(|_| malformed_entries())?;
        let hex_leaf = field(&mut pos)?;
        let mut leaf = [0u8; 32];
        if hex_leaf.len() != 64 {
            return Err(leaf_not_32());
        }
        hex::decode_to_slice(hex_leaf, &mut leaf).map_err(|_| malformed_entries())?;
        let body = pos
            .checked_add(la)
            .and_then(|p| p.checked_add(lk))
            .and_then(|p| p.checked_add(2))
            .ok_or_else(malformed_entries)?;
        let end = body.checked_add(lb).ok_or_else(malformed_entries)?;
        if end > b.len() || b[pos + la] != b'\n' || b[body - 1] != b'\n' {
            return Err(malformed_entries());
        }
        page.idx.push(idx);
        page.stored.push(leaf);
        page.spans.push((pos, body, end));
        pos = end;
    }
    if page.idx.len() != n {
        return Err(malformed_entries());
    }
    page.text = text.into_bytes();
    Ok(page)
}

/// A stored leaf hash that is not 32 bytes.
fn leaf_not_32() -> StoreError {
    // As when the entries are read whole.
    StoreError::Malformed {
        what: "hash (not 32 bytes)",
        source: None,
    }
}

/// PostgreSQL: reads every entry in index order, a page at a time, into pages
/// sent to `send`; checks that the pages hold every row. A stored leaf hash
/// that is not 32 bytes is an error, as when the entries are read whole.
pub(super) async fn read_pages(
    tx: &mut Transaction<'static, Any>,
    total: u64,
    send: std::sync::mpsc::SyncSender<Page>,
) -> Result<(), StoreError> {
    let mut after: Option<i64> = None;
    let mut read = 0u64;
    loop {
        let q = match after {
            None => sqlx::query(page_sql(true)).bind(PAGE_ROWS),
            Some(a) => sqlx::query(page_sql(false)).bind(a).bind(PAGE_ROWS),
        };
        let row = q.fetch_one(&mut **tx).await?;
        let n: i64 = row.try_get(0)?;
        if n == 0 {
            break;
        }
        let last: i64 = row.try_get(1)?;
        let text: String = row.try_get(2)?;
        drop(row);
        let page = parse_page(text, n as usize)?;
        read += n as u64;
        if send.send(page).is_err() {
            // The hashing thread is gone (it panicked): its join reports it.
            return Ok(());
        }
        if n < PAGE_ROWS {
            break;
        }
        after = Some(last);
    }
    if read != total {
        return Err(malformed_entries());
    }
    Ok(())
}

/// SQLite: reads the first `total` entries in index order straight from the
/// file, through a read-only connection of its own, into pages sent to `send`.
///
/// Why not the pool: each row through sqlx costs ~3 µs (a worker thread and a
/// channel per step), and concatenating pages inside SQLite cost more than the
/// hashing (docs/PERFORMANCE.md). A cursor here steps at a fraction of that.
///
/// The connection's snapshot begins after the caller's (which counted
/// `total`). Entries are only ever appended, so the first `total` of them in
/// index order are the caller's; anything appended since lies beyond them and
/// is not read. A value of the wrong type is an error, never a skipped entry.
pub(super) fn read_file_pages(
    file: &std::path::Path,
    total: u64,
    send: std::sync::mpsc::SyncSender<Page>,
) -> Result<(), StoreError> {
    use rusqlite::types::ValueRef;
    let op = "read the audit log";
    let fail = |source| StoreError::File { op, source };
    let conn = rusqlite::Connection::open_with_flags(
        file,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(fail)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(fail)?;
    // One read transaction: one snapshot for every page.
    conn.execute_batch("BEGIN").map_err(fail)?;
    let mut stmt = conn
        .prepare("SELECT idx, at, kind, body, leaf_hash FROM audit_entries ORDER BY idx LIMIT ?1")
        .map_err(fail)?;
    let limit = i64::try_from(total).map_err(|_| malformed_entries())?;
    let mut rows = stmt.query([limit]).map_err(fail)?;
    let page_rows = PAGE_ROWS as usize;
    let mut page = Page::default();
    let mut read = 0u64;
    while let Some(row) = rows.next().map_err(fail)? {
        let text = |i| match row.get_ref(i) {
            Ok(ValueRef::Text(t)) => Ok(t),
            Ok(_) => Err(malformed_entries()),
            Err(e) => Err(fail(e)),
        };
        let idx = match row.get_ref(0).map_err(fail)? {
            ValueRef::Integer(i) => i,
            _ => return Err(malformed_entries()),
        };
        let (at, kind, body) = (text(1)?, text(2)?, text(3)?);
        let leaf: Hash = match row.get_ref(4).map_err(fail)? {
            ValueRef::Blob(b) => b.try_into().map_err(|_| leaf_not_32())?,
            _ => return Err(malformed_entries()),
        };
        let start = page.text.len();
        page.text.extend_from_slice(at);
        page.text.push(b'\n');
        page.text.extend_from_slice(kind);
        page.text.push(b'\n');
        let body_at = page.text.len();
        page.text.extend_from_slice(body);
        page.idx.push(idx);
        page.stored.push(leaf);
        page.spans.push((start, body_at, page.text.len()));
        read += 1;
        if page.idx.len() == page_rows && send.send(std::mem::take(&mut page)).is_err() {
            // The hashing thread is gone (it panicked): its join reports it.
            return Ok(());
        }
    }
    if !page.idx.is_empty() && send.send(page).is_err() {
        return Ok(());
    }
    if read != total {
        return Err(malformed_entries());
    }
    Ok(())
}

/// Every entry's leaf from `pages` (by position, as the tree is built), and
/// the canonical bytes (`index \n at \n kind \n body`) of entry `want`.
pub(super) fn leaves(
    pages: std::sync::mpsc::Receiver<Page>,
    total: u64,
    want: Option<u64>,
) -> (Vec<Hash>, Option<Vec<u8>>) {
    let mut leaves = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    let mut entry = None;
    for page in pages {
        for &(start, _, end) in &page.spans {
            let i = leaves.len() as u64;
            let bytes = &page.text[start..end];
            leaves.push(leaf_of_parts(i, &[bytes]));
            if want == Some(i) {
                let mut c = format!("{i}\n").into_bytes();
                c.extend_from_slice(bytes);
                entry = Some(c);
            }
        }
    }
    (leaves, entry)
}

/// A scoped thread's result; its panic goes on in the caller.
pub(super) fn joined<T>(r: std::thread::Result<T>) -> T {
    r.unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// What hashing the entries found.
pub(super) struct Walked {
    pub(super) tree: CompactTree,
    /// The roots at the sizes asked for.
    pub(super) roots: std::collections::HashMap<u64, Hash>,
    pub(super) problems: Vec<String>,
    pub(super) entries: u64,
    pub(super) last_body: Option<String>,
}

/// Hashes the entries of `pages` into the tree, checking each against its
/// stored index and leaf hash, and keeps the root at each size in `needed`
/// (sorted). Only those roots are computed: a root at every size would cost
/// about log2(n) node hashes per entry.
pub(super) fn walk(
    pages: std::sync::mpsc::Receiver<Page>,
    needed: &[u64],
    total: u64,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Walked {
    let mut tree = CompactTree::new();
    let mut roots = std::collections::HashMap::new();
    let mut problems = Vec::new();
    let mut next = needed.iter().copied().peekable();
    let mut keep = |tree: &CompactTree, roots: &mut std::collections::HashMap<u64, Hash>| {
        while next.next_if_eq(&tree.size()).is_some() {
            roots.insert(tree.size(), tree.root());
        }
    };
    keep(&tree, &mut roots);
    let mut last_body = None;
    for page in pages {
        let data = &page.text[..];
        for (j, &(start, _, end)) in page.spans.iter().enumerate() {
            let i = tree.size();
            if page.idx[j] != i as i64 {
                problems.push(format!("entry at position {i} has index {}: entries were deleted, inserted or reordered", page.idx[j] as u64));
            }
            let leaf = leaf_of_parts(i, &[&data[start..end]]);
            if leaf != page.stored[j] {
                problems.push(format!(
                    "entry {i} does not match its stored leaf hash: it was edited"
                ));
            }
            let _ = tree.append(leaf);
            keep(&tree, &mut roots);
            if tree.size().is_multiple_of(1024) {
                progress(tree.size(), total);
            }
        }
        if let Some(&(_, b, e)) = page.spans.last() {
            last_body = Some(String::from_utf8_lossy(&data[b..e]).into_owned());
        }
    }
    progress(total, total);
    Walked {
        entries: tree.size(),
        tree,
        roots,
        problems,
        last_body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Keys, Store};

    /// The direct read of a SQLite file takes the first `total` entries of a
    /// later snapshot: an entry appended after verify counted is not read, and
    /// fewer entries than counted is an error.
    #[test]
    fn file_read_stops_at_the_count_it_was_given() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::create(&dir.path().join("keys")).unwrap();
        let file = dir.path().join("s.db");
        let store = Store::open(&file.display().to_string()).unwrap();
        let entries: Vec<(&str, serde_json::Value)> = (0..5000)
            .map(|i| ("test", serde_json::json!({ "n": i })))
            .collect();
        store.audit_append_many(&keys, &entries).unwrap();
        let read = |total| {
            let (send, recv) = std::sync::mpsc::sync_channel::<Page>(16);
            let r = read_file_pages(&file, total, send);
            let pages: Vec<Page> = recv.into_iter().collect();
            let idx: Vec<i64> = pages.iter().flat_map(|p| p.idx.clone()).collect();
            (r, idx)
        };
        let (r, idx) = read(4097);
        r.unwrap();
        assert_eq!(idx, (0..4097).collect::<Vec<i64>>());
        let (r, idx) = read(5000);
        r.unwrap();
        assert_eq!(idx.len(), 5000);
        let (r, _) = read(5001);
        assert!(matches!(r, Err(StoreError::Malformed { .. })), "{r:?}");
        // The whole verify reads the same bytes the store wrote.
        assert!(store.audit_verify(&keys).unwrap().problems.is_empty());
    }
}
