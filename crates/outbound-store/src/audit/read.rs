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
    text: String,
    idx: Vec<i64>,
    stored: Vec<Hash>,
    /// Where each entry's canonical bytes start, its body starts, and both end.
    spans: Vec<(usize, usize, usize)>,
}

/// One page of entries as one row: the database concatenates the page's
/// entries, each length-prefixed (`idx la lk lb leafhex at\nkind\nbody`), in
/// index order, so a million entries cost a few hundred rows through the
/// driver instead of a million. A NULL anywhere makes the entry `x`, which
/// does not parse: an error, never a skipped entry.
fn page_sql(backend: crate::Backend, first: bool) -> String {
    let (rec, agg, cond) = match backend {
        // One printf per entry (a chain of `||` copies the growing string at
        // each step: twice the time). A value of an unexpected type, or NULL,
        // makes the entry `x`.
        crate::Backend::Sqlite => (
            "CASE WHEN typeof(idx) = 'integer' AND typeof(at) = 'text' AND typeof(kind) = 'text' AND typeof(body) = 'text' AND typeof(leaf_hash) = 'blob' \
             THEN printf('%d %d %d %d %s %s' || char(10) || '%s' || char(10) || '%s', idx, octet_length(at), octet_length(kind), octet_length(body), hex(leaf_hash), at, kind, body) ELSE 'x' END",
            "group_concat(rec, '' ORDER BY idx)",
            "idx > ?",
        ),
        crate::Backend::Postgres => (
            "COALESCE(idx::text || ' ' || octet_length(at) || ' ' || octet_length(kind) || ' ' || octet_length(body) || ' ' || encode(leaf_hash, 'hex') || ' ' || at || chr(10) || kind || chr(10) || body, 'x')",
            "string_agg(rec, '' ORDER BY idx)",
            "idx > $1",
        ),
    };
    let limit = match (backend, first) {
        (crate::Backend::Sqlite, _) => "?",
        (crate::Backend::Postgres, true) => "$1",
        (crate::Backend::Postgres, false) => "$2",
    };
    let filter = if first {
        String::new()
    } else {
        format!("WHERE {cond} ")
    };
    format!(
        "SELECT COUNT(*), MAX(idx), {agg} FROM (SELECT idx, {rec} AS rec FROM audit_entries {filter}ORDER BY idx LIMIT {limit}) AS page"
    )
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
        text: String::new(),
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
            // As when the entries are read whole: a stored leaf hash not of 32 bytes.
            return Err(StoreError::Malformed {
                what: "hash (not 32 bytes)",
                source: None,
            });
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
    page.text = text;
    Ok(page)
}

/// Reads every entry in index order, a page at a time, into pages sent to
/// `send`; checks that the pages hold every row. A stored leaf hash that is
/// not 32 bytes is an error, as when the entries are read whole.
pub(super) async fn read_pages(
    tx: &mut Transaction<'static, Any>,
    backend: crate::Backend,
    total: u64,
    send: std::sync::mpsc::SyncSender<Page>,
) -> Result<(), StoreError> {
    let first_sql = page_sql(backend, true);
    let next_sql = page_sql(backend, false);
    let mut after: Option<i64> = None;
    let mut read = 0u64;
    loop {
        let q = match after {
            None => sqlx::query(sqlx::AssertSqlSafe(first_sql.clone())).bind(PAGE_ROWS),
            Some(a) => sqlx::query(sqlx::AssertSqlSafe(next_sql.clone()))
                .bind(a)
                .bind(PAGE_ROWS),
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
        let data = page.text.as_bytes();
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
