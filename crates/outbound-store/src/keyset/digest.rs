//! The digests of chunks and runs, which the ledger's parts commit to.

use sha2::{Digest, Sha256};

use super::*;

/// The digest of a chunk's records, as stored.
pub(super) fn chunk_digest(records: &[u8]) -> Hash {
    Sha256::new()
        .chain_update(b"outbound-keyset-chunk-v1\n")
        .chain_update(records)
        .finalize()
        .into()
}

/// The digest of a run: SHA-256 over a domain string, its set's name (which
/// fixes the record width), its chunks' digests in order, and its size.
pub(crate) struct RunHasher(Sha256);

impl RunHasher {
    /// A hasher for a run of `set`.
    pub(crate) fn new(set: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"outbound-keyset-run-v2\n");
        h.update((set.len() as u64).to_be_bytes());
        h.update(set.as_bytes());
        RunHasher(h)
    }

    /// The next chunk's digest.
    pub(super) fn chunk(&mut self, digest: &Hash) {
        self.0.update(digest);
    }

    /// The digest of the run of `records` records.
    pub(super) fn finish(self, records: i64) -> Hash {
        let mut h = self.0;
        h.update(records.to_be_bytes());
        h.finalize().into()
    }
}

/// A run written, or removed by a merge: what moves a part's digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RunChange {
    /// The run's digest.
    pub(crate) digest: Hash,
    /// Its records.
    pub(crate) records: i64,
    /// Written (true) or removed (false).
    pub(crate) added: bool,
}

/// A run read to its end by a [`SetCursor`]: its digest from the index and
/// from the records read.
#[derive(Clone, Debug)]
pub(crate) struct RunRead {
    /// The run's number.
    pub(crate) id: i64,
    /// Its records.
    pub(crate) records: i64,
    /// The digest its index gives (`None`: a chunk without a digest).
    pub(crate) stored: Option<Hash>,
    /// The digest of the records read.
    pub(crate) read: Hash,
    /// The chunks stored without a digest, with the digest of their records.
    pub(crate) unhashed: Vec<(i64, Hash)>,
}

/// The digests and sizes of a set's runs, from the index alone.
pub(crate) async fn run_digests(
    conn: &mut AnyConnection,
    set: &str,
) -> Result<Vec<(Option<Hash>, i64)>, StoreError> {
    Ok(runs(conn, set)
        .await?
        .iter()
        .map(|r| (r.digest(set), r.records))
        .collect())
}

/// Stores a chunk's digest (chunks written before schema 15, when the ledger's digests move).
pub(crate) async fn set_digest(
    conn: &mut AnyConnection,
    set: &str,
    (run, chunk): (i64, i64),
    digest: &Hash,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE keyset_chunks SET digest = $1 WHERE set_name = $2 AND run = $3 AND chunk = $4",
    )
    .bind(digest.to_vec())
    .bind(set.to_string())
    .bind(run)
    .bind(chunk)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
