//! Reading the log for `audit verify`: entries in pages of 4,096 (straight
//! from a SQLite file, or through PostgreSQL's COPY; never a row each
//! through sqlx's driver), and the walk that hashes them and rebuilds the
//! tree on its own thread.

use super::*;

/// Entries per page, handed to the hashing thread at once.
const PAGE_ROWS: i64 = 4096;

/// A run of entries as read: their canonical bytes after the index
/// (`at \n kind \n body`) end to end in one buffer, where each entry's
/// parts lie in it, and each entry's stored index and leaf hash.
#[derive(Default)]
pub(super) struct Page {
    text: Vec<u8>,
    idx: Vec<i64>,
    stored: Vec<Hash>,
    /// Where each entry's canonical bytes start, its body starts, and both end.
    spans: Vec<(usize, usize, usize)>,
}

/// The audit entries as read are not in the form the store writes.
fn malformed_entries() -> StoreError {
    StoreError::Malformed {
        what: "audit entries",
        source: None,
    }
}

/// A stored leaf hash that is not 32 bytes.
fn leaf_not_32() -> StoreError {
    // As when the entries are read whole.
    StoreError::Malformed {
        what: "hash (not 32 bytes)",
        source: None,
    }
}

/// PostgreSQL: reads the first `total` entries in index order through
/// `COPY … TO STDOUT (FORMAT binary)` on a connection of its own, into
/// pages sent to `send`.
///
/// Why COPY: it is the server's fastest way out, a length-prefixed stream
/// of the columns as stored. Building a page of text per query in the
/// server (`string_agg`, the way before) took 1.6 s for a million entries,
/// COPY about 0.6 s (docs/PERFORMANCE.md). Why a connection of its own:
/// sqlx's `Any` driver cannot run COPY. As with SQLite's own connection,
/// its snapshot begins after the caller's (which counted `total`); entries
/// are only ever appended, so the first `total` of them in index order are
/// the caller's. A NULL, a field count other than five, a stream cut short
/// or bytes past its end are errors, never skipped entries.
pub(super) async fn copy_pages(
    url: &str,
    total: u64,
    send: std::sync::mpsc::SyncSender<Page>,
) -> Result<(), StoreError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let sql = format!(
        "COPY (SELECT idx, at, kind, body, leaf_hash FROM audit_entries ORDER BY idx LIMIT {total}) \
         TO STDOUT WITH (FORMAT binary)"
    );
    let mut reader = CopyReader::default();
    {
        let mut stream = conn.copy_out_raw(&sql).await?;
        while let Some(chunk) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
            for page in reader.feed(&chunk?)? {
                if send.send(page).is_err() {
                    // The hashing thread is gone (it panicked): its join reports it.
                    return Ok(());
                }
            }
        }
    }
    conn.close().await?;
    let (last, read) = reader.finish()?;
    if read != total {
        return Err(malformed_entries());
    }
    if !last.idx.is_empty() {
        let _ = send.send(last);
    }
    Ok(())
}

/// PostgreSQL's binary COPY format, parsed into pages as chunks arrive:
/// a signature, flags and a header extension; then per row a field count
/// and each field length-prefixed (-1: NULL); then a count of -1.
#[derive(Default)]
struct CopyReader {
    /// Bytes received and not yet parsed.
    buf: Vec<u8>,
    header: bool,
    ended: bool,
    page: Page,
    rows: u64,
}

/// The signature a binary COPY stream starts with.
const COPY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

impl CopyReader {
    /// Parses what `chunk` completes; returns the pages filled.
    fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Page>, StoreError> {
        if self.ended {
            return Err(malformed_entries());
        }
        self.buf.extend_from_slice(chunk);
        let mut pos = 0;
        let mut full = Vec::new();
        if !self.header {
            // Signature, flags, extension length, the extension.
            let Some(ext) = self.buf.get(15..19) else {
                return Ok(full);
            };
            let ext = usize::try_from(be_i32(ext)).map_err(|_| malformed_entries())?;
            if &self.buf[..11] != COPY_SIGNATURE {
                return Err(malformed_entries());
            }
            if self.buf.len() < 19 + ext {
                return Ok(full);
            }
            pos = 19 + ext;
            self.header = true;
        }
        loop {
            let b = &self.buf[pos..];
            let Some(count) = b.get(..2) else { break };
            let count = i16::from_be_bytes([count[0], count[1]]);
            if count == -1 {
                self.ended = true;
                pos += 2;
                if pos != self.buf.len() {
                    return Err(malformed_entries());
                }
                break;
            }
            if count != 5 {
                return Err(malformed_entries());
            }
            let mut fields: [&[u8]; 5] = [&[]; 5];
            let mut p = 2;
            let mut complete = true;
            for f in &mut fields {
                let Some(len) = b.get(p..p + 4) else {
                    complete = false;
                    break;
                };
                // A NULL (-1) is no entry the store writes.
                let len = usize::try_from(be_i32(len)).map_err(|_| malformed_entries())?;
                let Some(v) = b.get(p + 4..p + 4 + len) else {
                    complete = false;
                    break;
                };
                *f = v;
                p += 4 + len;
            }
            if !complete {
                break;
            }
            let idx: [u8; 8] = fields[0].try_into().map_err(|_| malformed_entries())?;
            let leaf: Hash = fields[4].try_into().map_err(|_| leaf_not_32())?;
            self.page.push(
                i64::from_be_bytes(idx),
                fields[1],
                fields[2],
                fields[3],
                leaf,
            );
            self.rows += 1;
            pos += p;
            if self.page.idx.len() == PAGE_ROWS as usize {
                full.push(std::mem::take(&mut self.page));
            }
        }
        self.buf.drain(..pos);
        Ok(full)
    }

    /// The last page and the rows read, once the stream has ended whole.
    fn finish(self) -> Result<(Page, u64), StoreError> {
        if !self.ended || !self.buf.is_empty() {
            return Err(malformed_entries());
        }
        Ok((self.page, self.rows))
    }
}

fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl Page {
    /// Appends an entry: its canonical bytes after the index
    /// (`at \n kind \n body`) and its stored leaf hash.
    fn push(&mut self, idx: i64, at: &[u8], kind: &[u8], body: &[u8], leaf: Hash) {
        let start = self.text.len();
        self.text.extend_from_slice(at);
        self.text.push(b'\n');
        self.text.extend_from_slice(kind);
        self.text.push(b'\n');
        let body_at = self.text.len();
        self.text.extend_from_slice(body);
        self.idx.push(idx);
        self.stored.push(leaf);
        self.spans.push((start, body_at, self.text.len()));
    }
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
        page.push(idx, at, kind, body, leaf);
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

    /// A binary COPY stream of `rows` (idx, at, kind, body, leaf), each field
    /// given as bytes or `None` for NULL, with a header extension of `ext` bytes.
    fn copy_stream(rows: &[[Option<Vec<u8>>; 5]], ext: usize) -> Vec<u8> {
        let mut b = COPY_SIGNATURE.to_vec();
        b.extend_from_slice(&0i32.to_be_bytes());
        b.extend_from_slice(&(ext as i32).to_be_bytes());
        b.extend(std::iter::repeat_n(7u8, ext));
        for r in rows {
            b.extend_from_slice(&(r.len() as i16).to_be_bytes());
            for f in r {
                match f {
                    Some(v) => {
                        b.extend_from_slice(&(v.len() as i32).to_be_bytes());
                        b.extend_from_slice(v);
                    }
                    None => b.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
        }
        b.extend_from_slice(&(-1i16).to_be_bytes());
        b
    }

    fn row(i: i64, body: &str) -> [Option<Vec<u8>>; 5] {
        [
            Some(i.to_be_bytes().to_vec()),
            Some(b"2026-12-02T00:00:00Z".to_vec()),
            Some(b"batch".to_vec()),
            Some(body.as_bytes().to_vec()),
            Some(vec![i as u8; 32]),
        ]
    }

    /// Feeds `stream` in chunks of `size`; the pages and rows read.
    fn read_in(stream: &[u8], size: usize) -> Result<(Vec<Page>, u64), StoreError> {
        let mut r = CopyReader::default();
        let mut pages = Vec::new();
        for c in stream.chunks(size) {
            pages.extend(r.feed(c)?);
        }
        let (last, rows) = r.finish()?;
        pages.push(last);
        Ok((pages, rows))
    }

    /// Entries as (idx, canonical bytes after the index, stored leaf).
    fn entries(pages: &[Page]) -> Vec<(i64, Vec<u8>, Hash)> {
        pages
            .iter()
            .flat_map(|p| {
                p.spans
                    .iter()
                    .zip(&p.idx)
                    .zip(&p.stored)
                    .map(|((&(a, _, e), &i), &l)| (i, p.text[a..e].to_vec(), l))
            })
            .collect()
    }

    /// The same entries whatever the chunks the stream arrives in (one byte,
    /// odd sizes, a page's worth of rows, all at once), pages of at most
    /// `PAGE_ROWS`, and each entry's bytes the canonical `at \n kind \n body`.
    #[test]
    fn copy_stream_is_read_the_same_in_any_chunks() {
        let n = PAGE_ROWS as usize + 10;
        let rows: Vec<_> = (0..n as i64)
            .map(|i| row(i, &format!("{{\"n\":{i},\"t\":\"多\\n行\"}}")))
            .collect();
        let stream = copy_stream(&rows, 3);
        let (whole, count) = read_in(&stream, stream.len()).unwrap();
        assert_eq!(count, n as u64);
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0].idx.len(), PAGE_ROWS as usize);
        let want = entries(&whole);
        assert_eq!(want[5].0, 5);
        assert_eq!(
            want[5].1,
            "2026-12-02T00:00:00Z\nbatch\n{\"n\":5,\"t\":\"多\\n行\"}".as_bytes()
        );
        assert_eq!(want[5].2, [5u8; 32]);
        for size in [1, 2, 7, 19, 20, 333, 4096] {
            let (pages, count) = read_in(&stream, size).unwrap();
            assert_eq!(count, n as u64, "chunks of {size}");
            assert_eq!(entries(&pages), want, "chunks of {size}");
        }
    }

    /// What the store never writes is an error, never a skipped entry: a
    /// NULL, a field count other than five, a leaf not 32 bytes, an index
    /// not 8 bytes, a wrong signature, a stream cut short, bytes after its end.
    #[test]
    fn a_copy_stream_not_as_written_is_an_error() {
        let good = copy_stream(&[row(0, "{}"), row(1, "{}")], 0);
        assert!(read_in(&good, 5).is_ok());
        let mut null = row(1, "{}");
        null[3] = None;
        let mut short_leaf = row(1, "{}");
        short_leaf[4] = Some(vec![0; 31]);
        let mut short_idx = row(1, "{}");
        short_idx[0] = Some(vec![0; 4]);
        for (what, stream) in [
            ("NULL", copy_stream(&[row(0, "{}"), null], 0)),
            ("leaf", copy_stream(&[short_leaf], 0)),
            ("index", copy_stream(&[short_idx], 0)),
        ] {
            assert!(read_in(&stream, 3).is_err(), "{what}");
        }
        let mut four = copy_stream(&[row(0, "{}")], 0);
        four[19..21].copy_from_slice(&4i16.to_be_bytes());
        assert!(read_in(&four, 64).is_err(), "four fields");
        let mut signature = good.clone();
        signature[0] = b'X';
        assert!(read_in(&signature, 64).is_err(), "signature");
        assert!(read_in(&good[..good.len() - 2], 64).is_err(), "no end");
        assert!(
            read_in(&good[..good.len() - 9], 64).is_err(),
            "cut in a row"
        );
        let mut after = good.clone();
        after.push(0);
        assert!(read_in(&after, 64).is_err(), "bytes after the end");
        assert!(
            read_in(&after, 1).is_err(),
            "bytes after the end, one at a time"
        );
    }

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
