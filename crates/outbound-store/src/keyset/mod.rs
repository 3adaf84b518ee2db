//! Sets of keyed hashes stored as sorted runs: the ledger's counted subjects,
//! their sensitive subset, and which transfers carried whom.
//!
//! Why runs rather than one row per subject: subject hashes are uniform random
//! keys, so a B-tree of them is touched all over by every batch and degrades
//! once it outgrows the page cache (75,000 inserts/s at 1M people, 13,000/s
//! past 2M, 160 bytes per person). Here a set is a list of immutable runs,
//! each a sorted array of fixed-width records (a 16-byte key, and for
//! deliveries the 4-byte batch that first carried it) cut into chunks of
//! [`CHUNK`] records, stored as blobs next to their first key and a Bloom
//! filter of their keys (4 bytes a key; 2 before schema 18). A batch, sorted
//! once, is looked up run by run: the filters of the chunks its keys fall in,
//! then the records of only the chunks a key may be in — so a batch of new
//! people reads a quarter of the set, and a batch of people already counted
//! reads their chunks — and the keys that were new become one new run. Each
//! run's row keeps its index (every chunk's first key and digest), so a batch
//! reads a run's index as one row. Runs of equal size are merged (a binary
//! counter: a record is rewritten about log2(set / batch) times, and a set
//! has about as many runs), after the batch in transactions of their own
//! (`merge.rs`, `crate::merges`).
//!
//! Everything lives in the store's own tables and is written in the batch's
//! (or the merge's) transaction: a crash leaves the runs before it, two writers serialise on
//! the store's lock, and PostgreSQL shares the runs between machines. The
//! store's holder is the adversary: a chunk that is not strictly sorted, whose
//! first key or length disagrees with its index, or a key in two runs (but
//! in the sets whose keys recur, [`Width::KEY_DAYS`] and
//! [`Width::KEY_NEWEST`]), is reported as tampering, never read past. Each chunk carries the SHA-256 of
//! its records, and a run's digest is a hash over its set's name, its
//! chunks' digests and its size ([`RunHasher`]), computed from the index
//! alone; the ledger's parts commit to the multiset of their runs' digests
//! (`state/`), so a batch moves them by a run or two, not a hash per
//! person. The gate checks the run lists' digests against the committed
//! parts before a batch (which authenticates every chunk's digest), and
//! every chunk read — look-ups included — is checked against its digest:
//! a key added, removed or replaced in a chunk is refused at the first read,
//! not only by `audit verify`.

use sqlx::{AnyConnection, Row};

use crate::StoreError;
use crate::merkle::Hash;
use crate::schema::Backend;
use crate::state::tampered;

mod digest;
mod filter;
mod lookup;
mod merge;
mod record;

pub(crate) use digest::*;
use filter::{filter_matches, filter_of, may_hold};
pub(crate) use lookup::lookup;
use merge::{MAX_RUNS, run_sizes};
pub(crate) use merge::{
    Merging, compact, merge_run_ids, merge_whole, next_merge, sets_due, unlist,
};
pub(crate) use record::*;

/// Records per chunk: 64 KiB of 16-byte keys, so a chunk is a few overflow
/// pages read in one go and a set of 100M people has 24,000 index entries.
pub(crate) const CHUNK: usize = 4096;

/// Chunks fetched per query when reading a run in order.
const PAGE_CHUNKS: i64 = 32;

/// A key: the keyed hash of a subject.
pub(crate) type Key = [u8; 16];

/// The migration that creates the tables.
pub(crate) fn migration(backend: Backend) -> String {
    let blob = match backend {
        Backend::Sqlite => "BLOB",
        Backend::Postgres => "BYTEA",
    };
    format!(
        "CREATE TABLE keyset_runs (
            set_name TEXT NOT NULL,
            run BIGINT NOT NULL,
            records BIGINT NOT NULL,
            chunks BIGINT NOT NULL,
            PRIMARY KEY (set_name, run)
        );
        CREATE TABLE keyset_chunks (
            set_name TEXT NOT NULL,
            run BIGINT NOT NULL,
            chunk BIGINT NOT NULL,
            first_key {blob} NOT NULL,
            filter {blob} NOT NULL,
            records {blob} NOT NULL,
            PRIMARY KEY (set_name, run, chunk)
        )"
    )
}

/// One run of a set, with the first key of each of its chunks.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub(crate) id: i64,
    pub(crate) records: i64,
    pub(crate) firsts: Vec<Key>,
    /// Each chunk's digest as stored (`None`: written before schema 15,
    /// until the ledger's digests move).
    pub(crate) chunk_digests: Vec<Option<Hash>>,
    /// Whether the index was read from the run's row (schema 18) rather
    /// than from its chunks' rows: only a kept index needs comparing with
    /// the rows on a whole read.
    pub(crate) kept: bool,
}

impl Run {
    /// The run's digest from its index: `None` when a chunk has no digest.
    pub(crate) fn digest(&self, set: &str) -> Option<Hash> {
        let mut h = RunHasher::new(set);
        for d in &self.chunk_digests {
            h.chunk(d.as_ref()?);
        }
        Some(h.finish(self.records))
    }
}

/// The runs of a set, oldest first, with their indexes: from the run's row
/// when its writer stored the index there (schema 18), else from its chunks'
/// rows. A gap in the chunk numbers or a count that disagrees with the chunks
/// is tampering.
pub(crate) async fn runs(conn: &mut AnyConnection, set: &str) -> Result<Vec<Run>, StoreError> {
    let heads = sqlx::query(
        "SELECT run, records, chunks, chunk_index FROM keyset_runs WHERE set_name = $1 ORDER BY run",
    )
    .bind(set.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| match e {
        sqlx::Error::Decode(_) | sqlx::Error::ColumnDecode { .. } => {
            corrupt(set, "a run's kept index is not bytes")
        }
        other => other.into(),
    })?;
    let mut out = Vec::with_capacity(heads.len());
    for h in heads {
        let (id, records, chunks): (i64, i64, i64) = (h.try_get(0)?, h.try_get(1)?, h.try_get(2)?);
        let stored: Option<Vec<u8>> = h
            .try_get(3)
            .map_err(|_| corrupt(set, "a run's kept index is not bytes"))?;
        out.push(match stored {
            Some(index) => parse_index(set, id, records, chunks, &index)?,
            None => read_index(conn, set, id, records, chunks).await?,
        });
    }
    Ok(out)
}

/// Bytes of a stored index entry: a chunk's first key and its digest.
const INDEX_ENTRY: usize = 16 + 32;

/// A run's index as its writer stored it in the run's row: every chunk's
/// first key and digest, end to end. At 100M a set's index is 24,000 chunks,
/// and reading it from the chunks' rows (a row and a b-tree page each) took
/// a quarter of a batch. Each chunk read is still checked against it (first
/// key, digest), and the digests make the run's digest, which the ledger's
/// parts commit to: an index edited behind the log is refused, as a chunk's
/// row would be.
fn parse_index(
    set: &str,
    id: i64,
    records: i64,
    chunks: i64,
    index: &[u8],
) -> Result<Run, StoreError> {
    let expected = (records.max(0) as usize).div_ceil(CHUNK);
    if records <= 0 || chunks as usize != expected || index.len() != expected * INDEX_ENTRY {
        return Err(corrupt(set, "its index does not match its run list"));
    }
    let mut firsts: Vec<Key> = Vec::with_capacity(expected);
    let mut chunk_digests = Vec::with_capacity(expected);
    for e in index.chunks_exact(INDEX_ENTRY) {
        let first: Key = e[..16].try_into().expect("16 bytes");
        if firsts.last().is_some_and(|p| *p >= first) {
            return Err(corrupt(set, "its chunks are out of order"));
        }
        firsts.push(first);
        chunk_digests.push(Some(e[16..].try_into().expect("32 bytes")));
    }
    Ok(Run {
        id,
        records,
        firsts,
        chunk_digests,
        kept: true,
    })
}

/// The index of run `id` of a set (listed or not), which should hold
/// `records` records in `chunks` chunks.
pub(crate) async fn read_index(
    conn: &mut AnyConnection,
    set: &str,
    id: i64,
    records: i64,
    chunks: i64,
) -> Result<Run, StoreError> {
    let rows = sqlx::query("SELECT chunk, first_key, digest FROM keyset_chunks WHERE set_name = $1 AND run = $2 ORDER BY chunk")
        .bind(set.to_string())
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| undecodable(set, e))?;
    let expected = (records.max(0) as usize).div_ceil(CHUNK);
    if records <= 0 || rows.len() as i64 != chunks || chunks as usize != expected {
        return Err(corrupt(set, "its chunks do not match its run list"));
    }
    let mut firsts = Vec::with_capacity(rows.len());
    let mut chunk_digests = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let first = blob(r, 1, set)?;
        if r.try_get::<i64, _>(0)? != i as i64 {
            return Err(corrupt(set, "a chunk is missing"));
        }
        let first = Key::try_from(first.as_slice())
            .map_err(|_| corrupt(set, "a chunk's first key is not 16 bytes"))?;
        if firsts.last().is_some_and(|p: &Key| *p >= first) {
            return Err(corrupt(set, "its chunks are out of order"));
        }
        firsts.push(first);
        let digest = r
            .try_get::<Option<Vec<u8>>, _>(2)
            .map_err(|e| undecodable(set, e))?
            .map(|d| Hash::try_from(d.as_slice()))
            .transpose()
            .map_err(|_| corrupt(set, "a chunk's digest is not 32 bytes"))?;
        chunk_digests.push(digest);
    }
    Ok(Run {
        id,
        records,
        firsts,
        chunk_digests,
        kept: false,
    })
}

/// The number of records in a set, from its run list (no record is read).
pub(crate) async fn len(conn: &mut AnyConnection, set: &str) -> Result<i64, StoreError> {
    let n: Option<i64> =
        sqlx::query("SELECT CAST(SUM(records) AS BIGINT) FROM keyset_runs WHERE set_name = $1")
            .bind(set.to_string())
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
    Ok(n.unwrap_or(0))
}

/// The bytes the chunks of the set's listed runs hold, for a cheap check
/// that they match the run list. Chunks of no listed run (a merge's, written
/// before the merge lists its run, or left by one that never finished) are
/// never read, so they are not counted.
pub(crate) async fn stored_bytes(conn: &mut AnyConnection, set: &str) -> Result<i64, StoreError> {
    let n: Option<i64> = sqlx::query(
        "SELECT CAST(SUM(LENGTH(c.records)) AS BIGINT) FROM keyset_chunks c \
         JOIN keyset_runs r ON r.set_name = c.set_name AND r.run = c.run WHERE c.set_name = $1",
    )
    .bind(set.to_string())
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(n.unwrap_or(0))
}

/// The names of every set, in order.
pub(crate) async fn set_names(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT DISTINCT set_name FROM keyset_runs ORDER BY set_name")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>(0)?))
        .collect()
}

/// A binary column of a chunk; anything else stored there (SQLite keeps what
/// it is given) is damage, not a database error.
fn blob(r: &sqlx::any::AnyRow, i: usize, set: &str) -> Result<Vec<u8>, StoreError> {
    r.try_get::<Vec<u8>, _>(i)
        .map_err(|_| corrupt(set, "a chunk holds something other than bytes"))
}

/// A chunk that the driver cannot even decode (text where bytes belong) is damage too.
fn undecodable(set: &str, e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Decode(_) | sqlx::Error::ColumnDecode { .. } => {
            corrupt(set, "a chunk holds something other than bytes")
        }
        other => other.into(),
    }
}

fn corrupt(set: &str, what: &str) -> StoreError {
    tampered(format!(
        "{} are damaged: {what}",
        crate::state::describe(set)
    ))
}

/// Checks a chunk read from the store: its length, its first key, and strict order.
fn check_chunk(
    set: &str,
    w: Width,
    bytes: &[u8],
    first: &Key,
    expected: usize,
) -> Result<(), StoreError> {
    let wb = w.bytes();
    if bytes.len() != expected * wb || bytes.len() < wb || bytes[..16] != first[..] {
        return Err(corrupt(set, "a chunk disagrees with its index"));
    }
    for i in 1..bytes.len() / wb {
        if bytes[(i - 1) * wb..(i - 1) * wb + 16] >= bytes[i * wb..i * wb + 16] {
            return Err(corrupt(set, "a chunk is not sorted"));
        }
    }
    Ok(())
}

/// How many records chunk `c` of `run` should hold.
fn chunk_len(run: &Run, c: usize) -> usize {
    if c + 1 < run.firsts.len() {
        CHUNK
    } else {
        run.records as usize - CHUNK * (run.firsts.len() - 1)
    }
}

/// The rows of chunks `from..=to` of a run with `cols` after the chunk
/// number, every chunk there and in order.
async fn chunk_rows(
    conn: &mut AnyConnection,
    set: &str,
    run: &Run,
    (from, to): (usize, usize),
    cols: &str,
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    let sql = format!(
        "SELECT chunk, {cols} FROM keyset_chunks WHERE set_name = $1 AND run = $2 AND chunk >= $3 AND chunk <= $4 ORDER BY chunk"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(set.to_string())
        .bind(run.id)
        .bind(from as i64)
        .bind(to as i64)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| undecodable(set, e))?;
    if rows.len() != to + 1 - from {
        return Err(corrupt(set, "a chunk is missing"));
    }
    for (i, r) in rows.iter().enumerate() {
        if r.try_get::<i64, _>(0)? != (from + i) as i64 {
            return Err(corrupt(set, "a chunk is missing"));
        }
    }
    Ok(rows)
}

/// Checks chunk `c` of `run` as read (`bytes`: its records): its length,
/// first key and order, and its digest. Returns the digest.
fn check_read(set: &str, w: Width, run: &Run, c: usize, bytes: &[u8]) -> Result<Hash, StoreError> {
    check_chunk(set, w, bytes, &run.firsts[c], chunk_len(run, c))?;
    // The records are the ones the chunk's digest names (the digests are
    // committed through the run's digest before a batch builds on them).
    let digest = chunk_digest(bytes);
    if run.chunk_digests[c].is_some_and(|d| d != digest) {
        return Err(corrupt(set, "a chunk is not what its digest says"));
    }
    Ok(digest)
}

/// Fetches chunks `from..=to` of a run, checked, in order.
async fn fetch_range(
    conn: &mut AnyConnection,
    set: &str,
    w: Width,
    run: &Run,
    from: usize,
    to: usize,
    check_filter: bool,
) -> Result<Vec<(usize, Vec<u8>, Hash)>, StoreError> {
    let cols = if check_filter {
        "records, filter"
    } else {
        "records"
    };
    let rows = chunk_rows(conn, set, run, (from, to), cols).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let c = from + i;
        let bytes = blob(r, 1, set)?;
        let digest = check_read(set, w, run, c, &bytes)?;
        // A filter that lost a bit would hide a key from look-ups (and count
        // its person again): every full read checks it against the records.
        if check_filter && !filter_matches(&blob(r, 2, set)?, &bytes, w) {
            return Err(corrupt(set, "a chunk's filter does not match its records"));
        }
        out.push((c, bytes, digest));
    }
    Ok(out)
}

/// Reads one run in key order, a page of chunks at a time, hashing it as it goes.
pub(crate) struct RunCursor {
    run: Run,
    next_chunk: usize,
    buf: Vec<Rec>,
    pos: usize,
    hasher: Option<RunHasher>,
    read: Option<Hash>,
    unhashed: Vec<(i64, Hash)>,
}

impl RunCursor {
    pub(crate) fn new(run: Run, set: &str) -> Self {
        RunCursor {
            run,
            next_chunk: 0,
            buf: Vec::new(),
            pos: 0,
            hasher: Some(RunHasher::new(set)),
            read: None,
            unhashed: Vec::new(),
        }
    }

    /// The next record, or `None` at the end.
    pub(crate) async fn next(
        &mut self,
        conn: &mut AnyConnection,
        set: &str,
        w: Width,
    ) -> Result<Option<Rec>, StoreError> {
        if self.pos == self.buf.len() {
            if self.next_chunk >= self.run.firsts.len() {
                if let Some(h) = self.hasher.take() {
                    self.read = Some(h.finish(self.run.records));
                }
                return Ok(None);
            }
            let to = (self.next_chunk + PAGE_CHUNKS as usize).min(self.run.firsts.len()) - 1;
            let chunks = fetch_range(conn, set, w, &self.run, self.next_chunk, to, true).await?;
            let last = self.buf.last().copied();
            self.buf.clear();
            self.pos = 0;
            for (c, bytes, digest) in chunks {
                if let Some(h) = &mut self.hasher {
                    h.chunk(&digest);
                }
                if self.run.chunk_digests[c].is_none() {
                    self.unhashed.push((c as i64, digest));
                }
                self.buf
                    .extend(bytes.chunks_exact(w.bytes()).map(|b| Rec::read(b, w)));
            }
            if let (Some(l), Some(f)) = (last, self.buf.first())
                && l.key >= f.key
            {
                return Err(corrupt(set, "its chunks are out of order"));
            }
            self.next_chunk = to + 1;
        }
        self.pos += 1;
        Ok(Some(self.buf[self.pos - 1]))
    }

    /// The run as read, once [`RunCursor::next`] has returned `None`.
    fn read(&self, set: &str) -> Option<RunRead> {
        Some(RunRead {
            id: self.run.id,
            records: self.run.records,
            stored: self.run.digest(set),
            read: self.read?,
            unhashed: self.unhashed.clone(),
        })
    }

    /// The run's digest, read to its end and equal to the one stored; else tampering.
    fn verified(&self, set: &str) -> Result<Hash, StoreError> {
        match self.read(set) {
            Some(r) if r.stored == Some(r.read) => Ok(r.read),
            _ => Err(corrupt(set, "a run is not what its digest says")),
        }
    }
}

/// Reads a whole set in key order: the runs merged. A key in two runs is
/// tampering, unless the set's keys recur ([`Width::KEY_DAYS`],
/// [`Width::KEY_NEWEST`]): then its records are combined into one.
pub(crate) struct SetCursor {
    set: String,
    w: Width,
    heads: Vec<(Option<Rec>, RunCursor)>,
    started: bool,
}

impl SetCursor {
    /// A cursor over `set` as it is now. A whole read (`audit verify`, a
    /// count streamed from the sets) also reads each run's index from its
    /// chunks' rows and requires the kept one to match it, so a row edited,
    /// added or removed behind the log is found even where no look-up reads it.
    /// A run without a kept index was read from those rows already.
    pub(crate) async fn open(
        conn: &mut AnyConnection,
        set: &str,
        w: Width,
    ) -> Result<Self, StoreError> {
        let runs = runs(conn, set).await?;
        for run in runs.iter().filter(|r| r.kept) {
            let rows = read_index(conn, set, run.id, run.records, run.firsts.len() as i64).await?;
            if rows.firsts != run.firsts || rows.chunk_digests != run.chunk_digests {
                return Err(corrupt(set, "a run's kept index does not match its chunks"));
            }
        }
        Ok(SetCursor {
            set: set.to_string(),
            w,
            heads: runs
                .into_iter()
                .map(|r| (None, RunCursor::new(r, set)))
                .collect(),
            started: false,
        })
    }

    /// The next record of the set, or `None` at the end.
    pub(crate) async fn next(
        &mut self,
        conn: &mut AnyConnection,
    ) -> Result<Option<Rec>, StoreError> {
        if !self.started {
            for (h, c) in &mut self.heads {
                *h = c.next(conn, &self.set, self.w).await?;
            }
            self.started = true;
        }
        let mut best: Option<usize> = None;
        for (i, (h, _)) in self.heads.iter().enumerate() {
            if let Some(r) = h {
                match best {
                    Some(b) if self.heads[b].0.expect("set").key < r.key => {}
                    Some(b) if self.heads[b].0.expect("set").key == r.key => {
                        if !self.w.recurs() {
                            return Err(corrupt(&self.set, "a key is in two runs"));
                        }
                    }
                    _ => best = Some(i),
                }
            }
        }
        let Some(b) = best else { return Ok(None) };
        let Some(mut out) = self.heads[b].0 else {
            return Ok(None);
        };
        // The first run holding the key, then (where keys recur) every other.
        for i in b..self.heads.len() {
            let (h, c) = &mut self.heads[i];
            match h {
                Some(r) if r.key == out.key => {
                    if i != b {
                        out.value = self.w.combine(out.value, r.value);
                    }
                    *h = c.next(conn, &self.set, self.w).await?;
                }
                _ => {}
            }
        }
        Ok(Some(out))
    }

    /// Every run as read, once [`SetCursor::next`] has returned `None`.
    pub(crate) fn runs_read(&self) -> Result<Vec<RunRead>, StoreError> {
        self.heads
            .iter()
            .map(|(_, c)| {
                c.read(&self.set)
                    .ok_or_else(|| corrupt(&self.set, "a run was not read to its end"))
            })
            .collect()
    }
}

/// Writes `records` (sorted by key, distinct, none already in the set unless
/// its keys recur) as a new run of `set`, then merges runs of equal size. Returns the runs written
/// and removed, in order, for the ledger's digests.
pub(crate) async fn add(
    conn: &mut AnyConnection,
    set: &str,
    w: Width,
    records: &[Rec],
) -> Result<Vec<RunChange>, StoreError> {
    let mut changes = Vec::new();
    if records.is_empty() {
        return Ok(changes);
    }
    changes.extend(write_run(conn, set, w, records).await?);
    // Merges are left to their own transactions (`Store::merge_runs`), so a
    // batch's time does not depend on where the binary counter stands. Only a
    // set that nobody merges, past `MAX_RUNS`, is merged here, as a backstop
    // for look-ups that would otherwise read ever more runs.
    if run_sizes(conn, set).await?.len() > MAX_RUNS {
        compact(conn, set, w, &mut changes).await?;
    }
    Ok(changes)
}

/// How far apart new runs are numbered. A run's number is its place in the
/// order of runs (for the consent index the order is the meaning: the
/// newest record of a subject wins), so a merged run must take a number
/// between the two it replaces; numbering new runs `RUN_GAP` apart leaves
/// room for about 32 levels of merges at one place, and a merge writes its
/// run once, in place, instead of writing it and then renumbering it (which
/// rewrote every chunk of the merged run: half a large merge's time).
/// Stores made before kept runs numbered one apart; their merges renumber.
pub(crate) const RUN_GAP: i64 = 1 << 32;

/// The next run number of a set.
async fn next_run(conn: &mut AnyConnection, set: &str) -> Result<i64, StoreError> {
    let max: Option<i64> = sqlx::query("SELECT MAX(run) FROM keyset_runs WHERE set_name = $1")
        .bind(set.to_string())
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    max.map_or(Ok(0), |m| {
        m.checked_add(RUN_GAP)
            .ok_or_else(|| corrupt(set, "its run numbers are exhausted"))
    })
}

/// Removes chunks `chunks` of run number `id` of a set unless the run is
/// listed (a listed run's chunks are never touched here): a merged run's
/// two runs once unlisted, or what a merge that never finished left (a
/// crash between its steps). Returns how many were removed.
pub(crate) async fn clear_unlisted(
    conn: &mut AnyConnection,
    set: &str,
    id: i64,
    chunks: std::ops::Range<i64>,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "DELETE FROM keyset_chunks WHERE set_name = $1 AND run = $2 AND chunk >= $3 AND chunk < $4 \
         AND NOT EXISTS (SELECT 1 FROM keyset_runs WHERE set_name = $1 AND run = $2)",
    )
    .bind(set.to_string())
    .bind(id)
    .bind(chunks.start)
    .bind(chunks.end)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Writes a run from sorted records, chunk by chunk as they come.
pub(crate) struct RunWriter {
    id: i64,
    w: Width,
    buf: Vec<u8>,
    chunk: i64,
    records: i64,
    last: Option<Key>,
    hasher: RunHasher,
    /// Each chunk's first key and digest so far (the index the run's row keeps).
    index: Vec<u8>,
}

impl RunWriter {
    /// A writer of a new run, numbered after every run of the set.
    async fn new(conn: &mut AnyConnection, set: &str, w: Width) -> Result<Self, StoreError> {
        let id = next_run(conn, set).await?;
        RunWriter::at(conn, set, w, id).await
    }

    /// A writer of a run numbered `id`, which no listed run of the set may
    /// hold; whatever an unfinished merge left there is cleared first.
    pub(crate) async fn at(
        conn: &mut AnyConnection,
        set: &str,
        w: Width,
        id: i64,
    ) -> Result<Self, StoreError> {
        clear_unlisted(conn, set, id, 0..i64::MAX).await?;
        Ok(RunWriter {
            id,
            w,
            buf: Vec::with_capacity(CHUNK * w.bytes()),
            chunk: 0,
            records: 0,
            last: None,
            hasher: RunHasher::new(set),
            index: Vec::new(),
        })
    }

    async fn push(
        &mut self,
        conn: &mut AnyConnection,
        set: &str,
        r: Rec,
    ) -> Result<(), StoreError> {
        if self.last.is_some_and(|l| l >= r.key) {
            return Err(crate::invalid(
                "a run's records must be sorted and distinct".to_string(),
            ));
        }
        self.last = Some(r.key);
        r.write(self.w, &mut self.buf);
        self.records += 1;
        if self.buf.len() == CHUNK * self.w.bytes() {
            self.flush(conn, set).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, conn: &mut AnyConnection, set: &str) -> Result<(), StoreError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let digest = chunk_digest(&self.buf);
        self.hasher.chunk(&digest);
        self.index.extend_from_slice(&self.buf[..16]);
        self.index.extend_from_slice(&digest);
        sqlx::query("INSERT INTO keyset_chunks (set_name, run, chunk, first_key, filter, records, digest) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(set.to_string())
            .bind(self.id)
            .bind(self.chunk)
            .bind(self.buf[..16].to_vec())
            .bind(filter_of(&self.buf, self.w))
            .bind(std::mem::take(&mut self.buf))
            .bind(digest.to_vec())
            .execute(&mut *conn)
            .await?;
        self.buf = Vec::with_capacity(CHUNK * self.w.bytes());
        self.chunk += 1;
        Ok(())
    }

    /// Writes the last chunk and the run's entry; the run written, if it has records.
    async fn finish(
        self,
        conn: &mut AnyConnection,
        set: &str,
    ) -> Result<Option<RunChange>, StoreError> {
        match self.seal(conn, set).await? {
            Some(run) => run.list(conn, set).await.map(Some),
            None => Ok(None),
        }
    }

    /// Chunks written so far.
    pub(crate) fn chunks(&self) -> i64 {
        self.chunk
    }

    /// Writes the last chunk, not the run's entry: the run is written but
    /// not listed (no look-up reads it) until [`Sealed::list`].
    pub(crate) async fn seal(
        mut self,
        conn: &mut AnyConnection,
        set: &str,
    ) -> Result<Option<Sealed>, StoreError> {
        self.flush(conn, set).await?;
        Ok((self.records > 0).then(|| Sealed {
            id: self.id,
            records: self.records,
            chunks: self.chunk,
            digest: self.hasher.finish(self.records),
            index: self.index,
        }))
    }
}

/// A run whose chunks are written, with what its writer computed of it.
#[derive(Clone, Debug)]
pub(crate) struct Sealed {
    /// Its number.
    pub(crate) id: i64,
    pub(crate) records: i64,
    pub(crate) chunks: i64,
    /// Its digest, from the records as written.
    pub(crate) digest: Hash,
    /// Its chunks' first keys and digests, as written.
    index: Vec<u8>,
}

impl Sealed {
    /// Lists the run: from now on look-ups read it.
    pub(crate) async fn list(
        &self,
        conn: &mut AnyConnection,
        set: &str,
    ) -> Result<RunChange, StoreError> {
        sqlx::query(
            "INSERT INTO keyset_runs (set_name, run, records, chunks, chunk_index) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(set.to_string())
        .bind(self.id)
        .bind(self.records)
        .bind(self.chunks)
        .bind(self.index.clone())
        .execute(&mut *conn)
        .await?;
        Ok(RunChange {
            digest: self.digest,
            records: self.records,
            added: true,
        })
    }
}

async fn write_run(
    conn: &mut AnyConnection,
    set: &str,
    w: Width,
    records: &[Rec],
) -> Result<Option<RunChange>, StoreError> {
    let mut wr = RunWriter::new(conn, set, w).await?;
    for r in records {
        wr.push(conn, set, *r).await?;
    }
    wr.finish(conn, set).await
}

/// Distinct keys in the union of `sets`, exactly, streaming each in key order.
pub(crate) async fn union_len(
    conn: &mut AnyConnection,
    sets: &[String],
    w: &[Width],
) -> Result<u64, StoreError> {
    let mut cursors = Vec::with_capacity(sets.len());
    for (s, w) in sets.iter().zip(w) {
        cursors.push(SetCursor::open(conn, s, *w).await?);
    }
    let mut heads = Vec::with_capacity(cursors.len());
    for c in &mut cursors {
        heads.push(c.next(conn).await?.map(|r| r.key));
    }
    let mut n = 0u64;
    loop {
        let Some(min) = heads.iter().flatten().min().copied() else {
            return Ok(n);
        };
        n += 1;
        for (h, c) in heads.iter_mut().zip(cursors.iter_mut()) {
            if *h == Some(min) {
                *h = c.next(conn).await?.map(|r| r.key);
            }
        }
    }
}
