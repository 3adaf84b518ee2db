//! The append-only audit log: entries, their RFC 6962 Merkle tree, signed heads.
//!
//! An entry's leaf is the canonical bytes `index \n at \n kind \n body`, so
//! editing any stored field changes its leaf hash; deleting, inserting or
//! reordering entries changes every later root, which the signed heads pin.

use sqlx::{Any, Row, Transaction};

use crate::StoreError;
use crate::group::{Committed, Done, Work, Written};
use crate::keys::Keys;
use crate::merkle::{CompactTree, Hash};
use crate::signed_head::{ConsistencyBundle, InclusionBundle, SignedTreeHead};
use crate::store::Store;

mod append;
mod read;
pub(crate) use append::{Ready, append, append_ready, prepare};
use read::{Page, Walked, copy_pages, joined, read_file_pages, walk};

/// One audit entry as stored.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Entry {
    /// Position in the log, from 0.
    pub index: u64,
    /// When it was appended (RFC 3339, UTC).
    pub at: String,
    /// One of [`crate::entry_kinds::KINDS`]: `batch`, `route_suspended`, `consent_import` …
    pub kind: String,
    /// JSON body: ids, counts, digests; never personal data. Its `v` is the
    /// kind's version (absent: version 0, written before versions existed);
    /// its schema is in docs/AUDIT-ENTRIES.md.
    pub body: String,
    /// The leaf hash stored with it.
    #[serde(with = "hex::serde")]
    pub stored_leaf_hash: Hash,
}

impl Entry {
    /// The version of its kind's body: its `v`, or 0 when it has none (an
    /// entry written before versions existed) or its body is not JSON.
    pub fn version(&self) -> u64 {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|b| b.get("v").and_then(serde_json::Value::as_u64))
            .unwrap_or(0)
    }

    /// The digest of the data map a `batch` entry was judged under (its
    /// `map_sha256`, since `batch` v2); `None` for other kinds and for a
    /// v1 batch, written before entries recorded it.
    pub fn map_sha256(&self) -> Option<String> {
        /// The one key read; the rest of the body is skipped, not built.
        #[derive(serde::Deserialize)]
        struct Judged {
            map_sha256: Option<String>,
        }
        if self.kind != "batch" {
            return None;
        }
        serde_json::from_str::<Judged>(&self.body).ok()?.map_sha256
    }

    /// The canonical bytes hashed into the leaf.
    pub fn canonical(&self) -> Vec<u8> {
        canonical(self.index, &self.at, &self.kind, &self.body)
    }
}

pub(crate) fn canonical(index: u64, at: &str, kind: &str, body: &str) -> Vec<u8> {
    format!("{index}\n{at}\n{kind}\n{body}").into_bytes()
}

/// The current time as RFC 3339 (UTC, seconds) and milliseconds.
pub fn now() -> (String, u64) {
    let t = jiff::Timestamp::now();
    (
        t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        t.as_millisecond().max(0) as u64,
    )
}

/// The root of `ledger_state` as it stands, as an entry commits it.
async fn ledger_root(conn: &mut sqlx::AnyConnection) -> Result<String, StoreError> {
    Ok(hex::encode(crate::state::root(
        &crate::state::stored(conn).await?,
    )))
}

pub(crate) fn to_hash(v: &[u8]) -> Result<Hash, StoreError> {
    v.try_into().map_err(|_| StoreError::Malformed {
        what: "hash (not 32 bytes)",
        source: None,
    })
}

/// The leaf hash of an entry: `leaf_hash(canonical(index, at, kind, body))`,
/// fed to SHA-256 piece by piece instead of formatted into a new buffer.
pub(crate) fn entry_leaf(index: u64, at: &str, kind: &str, body: &str) -> Hash {
    leaf_of_parts(
        index,
        &[
            at.as_bytes(),
            b"\n",
            kind.as_bytes(),
            b"\n",
            body.as_bytes(),
        ],
    )
}

/// The leaf hash of `index \n` followed by `rest` (the canonical form's other fields).
fn leaf_of_parts(index: u64, rest: &[&[u8]]) -> Hash {
    use sha2::Digest;
    let mut digits = [0u8; 21];
    let mut n = index;
    let mut i = digits.len() - 1;
    digits[i] = b'\n';
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut h = sha2::Sha256::new();
    h.update([crate::merkle::LEAF_PREFIX]);
    h.update(&digits[i..]);
    for part in rest {
        h.update(part);
    }
    h.finalize().into()
}

/// An audit entry queued by [`Store::audit_submit`]. Dropped without
/// [`AuditTicket::wait`], its entry is withdrawn unless a group has already
/// taken it (then it is written, and its outcome discarded).
#[must_use = "an entry is durable only once its ticket's `wait` returns"]
pub struct AuditTicket<'a> {
    store: &'a Store,
    keys: &'a Keys,
    /// `None` once waited for.
    id: Option<u64>,
}

impl AuditTicket<'_> {
    /// Waits until the entry is durable and returns its index and a signed
    /// head covering it; commits a group itself when no other caller is.
    pub fn wait(mut self) -> Result<(u64, SignedTreeHead), StoreError> {
        let id = self.id.take().expect("a ticket is waited for once");
        let done = self.store.group.wait(self.store, self.keys, id)?;
        Ok((done.index, done.head))
    }
}

impl Drop for AuditTicket<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.store.group.abandon(id);
        }
    }
}

impl std::fmt::Debug for AuditTicket<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditTicket({:?})", self.id)
    }
}

/// What `audit verify` found.
#[derive(Debug, Default, serde::Serialize)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// Signed heads checked.
    pub heads: u64,
    /// Every problem; empty when the log is intact.
    pub problems: Vec<String>,
}

impl Store {
    /// Appends one audit entry and returns its index and a signed head that
    /// covers it, once the entry is durable (committed: SQLite's WAL synced,
    /// PostgreSQL's commit acknowledged).
    ///
    /// Callers on several threads are group-committed (see [`crate::group`]):
    /// one of them writes every pending entry in one transaction, with one
    /// signed head and one sync, so the log keeps up with many writers. An
    /// entry of an unknown kind or with a body the store would not write is
    /// refused alone, before it joins a group.
    pub fn audit_append(
        &self,
        keys: &Keys,
        kind: &str,
        body: &serde_json::Value,
    ) -> Result<(u64, SignedTreeHead), StoreError> {
        let ready = prepare(kind, body.clone())?;
        let done = self.group.append(self, keys, Work::Entry(ready))?;
        Ok((done.index, done.head))
    }

    /// Queues one audit entry for the next group commit and returns at once,
    /// so that a writer can go on while its entries are written; the entry is
    /// durable once [`AuditTicket::wait`] returns its index. An entry the store
    /// would not write is refused here, alone.
    pub fn audit_submit<'a>(
        &'a self,
        keys: &'a Keys,
        kind: &str,
        body: &serde_json::Value,
    ) -> Result<AuditTicket<'a>, StoreError> {
        let ready = prepare(kind, body.clone())?;
        Ok(AuditTicket {
            store: self,
            keys,
            id: Some(self.group.submit(keys, Work::Entry(ready))),
        })
    }

    /// Writes a group's `work` in one transaction that first checks the store
    /// ([`crate::state::check`]), with one signed head and one sync. Each
    /// domain write runs in a savepoint of its own: one that fails is undone
    /// alone and fails only its caller; its entry commits the ledger's root
    /// right after it, a plain entry the root as it stands at its turn.
    pub(crate) fn commit_work(&self, keys: &Keys, work: Vec<Work>) -> Committed {
        self.run("append to the audit log", async {
            let mut tx = self.begin_write().await?;
            // The full check, unless the store is exactly as this process
            // left it after its last append (`fingerprint.rs`).
            let sql = match self.fingerprint_sql.get() {
                Some(sql) => sql.clone(),
                None => {
                    let sql = crate::fingerprint::statement(&mut tx).await?;
                    self.fingerprint_sql.get_or_init(|| sql).clone()
                }
            };
            let key = keys.verifying().to_bytes();
            let before = crate::fingerprint::read(&mut tx, &sql).await?;
            // Found unchanged: the tree and the ledger's root are the ones this process wrote.
            let known = match crate::fingerprint::verified(&self.verified, &key, &before) {
                Some(known) => known,
                None => {
                    self.full_checks
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    crate::state::check(&mut tx, keys).await?;
                    let tree = crate::state::load_tree(&mut tx)
                        .await?
                        .map_or_else(CompactTree::new, |t| t.tree);
                    (tree, ledger_root(&mut tx).await?)
                }
            };
            let mut ledger = known.1.clone();
            // The ledger's parts as they stand: read once, then as each write left them.
            let mut parts = None;
            // A write alone in its group needs no savepoint: when it fails, nothing is committed.
            let alone = work.len() == 1;
            let mut entries = Vec::with_capacity(work.len());
            let mut answers = Vec::with_capacity(work.len());
            for w in work {
                let op = match w {
                    Work::Entry(mut e) => {
                        e.ledger = Some(ledger.clone());
                        entries.push(e);
                        answers.push(Ok(None));
                        continue;
                    }
                    Work::Op(op) => op,
                };
                if !alone {
                    sqlx::query("SAVEPOINT outbound_write")
                        .execute(&mut *tx)
                        .await?;
                }
                let now = match parts.take() {
                    Some(p) => p,
                    None => crate::state::stored(&mut tx).await?,
                };
                match op(&mut tx, &now).await {
                    Ok(Written { mut entry, value }) => {
                        if !alone {
                            sqlx::query("RELEASE SAVEPOINT outbound_write")
                                .execute(&mut *tx)
                                .await?;
                        }
                        let after = crate::state::stored(&mut tx).await?;
                        ledger = hex::encode(crate::state::root(&after));
                        parts = Some(after);
                        entry.ledger = Some(ledger.clone());
                        entries.push(entry);
                        answers.push(Ok(Some(value)));
                    }
                    // Dropped, the transaction rolls back.
                    Err(e) if alone => return Ok(vec![Err(e)]),
                    Err(e) => {
                        sqlx::query("ROLLBACK TO SAVEPOINT outbound_write")
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("RELEASE SAVEPOINT outbound_write")
                            .execute(&mut *tx)
                            .await?;
                        // Undone: the parts are as they were before it.
                        parts = Some(now);
                        answers.push(Err(e));
                    }
                }
            }
            // Every domain write failed: nothing to sign, nothing committed.
            let written = if entries.is_empty() {
                None
            } else {
                // The fingerprint of the state left, read in the append's own statement.
                let done = append_ready(&mut tx, keys, entries, Some(known), Some(&sql)).await?;
                let after = crate::fingerprint::parts(done.after.as_ref())?;
                tx.commit().await?;
                crate::fingerprint::keep(&self.verified, key, after, done.state);
                Some((done.first, done.head))
            };
            let mut next = written.as_ref().map_or(0, |w| w.0);
            Ok(answers
                .into_iter()
                .map(|answer| {
                    let value = answer?;
                    let (_, head) = written.as_ref().ok_or_else(|| {
                        crate::invalid("a group wrote no entry for a caller it answered")
                    })?;
                    next += 1;
                    Ok(Done {
                        index: next - 1,
                        head: head.clone(),
                        value,
                    })
                })
                .collect())
        })
    }

    /// How many audit appends (groups) of this process ran the full check
    /// rather than finding the store as this process left it; for tests.
    #[doc(hidden)]
    pub fn audit_full_checks(&self) -> u64 {
        self.full_checks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Appends several entries in one transaction (one write to disk) and
    /// signs the head once, at the end; returns the last entry's index.
    pub fn audit_append_many(
        &self,
        keys: &Keys,
        entries: &[(&str, serde_json::Value)],
    ) -> Result<u64, StoreError> {
        let ready = entries
            .iter()
            .map(|(kind, body)| prepare(kind, body.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        if ready.is_empty() {
            // Nothing to append; the store is still checked, as by any write.
            return self.run("append to the audit log", async {
                let mut tx = self.begin_write().await?;
                crate::state::check(&mut tx, keys).await?;
                tx.commit().await?;
                Ok(0)
            });
        }
        let outcomes = self.commit_work(keys, ready.into_iter().map(Work::Entry).collect())?;
        match outcomes.into_iter().last() {
            Some(last) => Ok(last?.index),
            None => Err(crate::invalid("a group of entries gave no outcome")),
        }
    }

    /// Every entry, in index order.
    pub fn audit_entries(&self) -> Result<Vec<Entry>, StoreError> {
        let rows = self.run_sql(
            "read the audit log",
            sqlx::query("SELECT idx, at, kind, body, leaf_hash FROM audit_entries ORDER BY idx")
                .fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| {
                Ok(Entry {
                    index: r.try_get::<i64, _>(0)? as u64,
                    at: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    body: r.try_get(3)?,
                    stored_leaf_hash: to_hash(&r.try_get::<Vec<u8>, _>(4)?)?,
                })
            })
            .collect()
    }

    /// The number of entries in the audit log (one indexed read).
    pub fn audit_size(&self) -> Result<u64, StoreError> {
        let row = self.run_sql(
            "read the audit log's size",
            sqlx::query("SELECT MAX(idx) FROM audit_entries").fetch_one(&self.pool),
        )?;
        Ok(row
            .try_get::<Option<i64>, _>(0)?
            .map_or(0, |m| m as u64 + 1))
    }

    /// The newest signed head, if the log has one.
    pub fn audit_latest_head(&self) -> Result<Option<SignedTreeHead>, StoreError> {
        let row = self.run_sql(
            "read the audit log",
            sqlx::query("SELECT head FROM tree_heads ORDER BY size DESC LIMIT 1")
                .fetch_optional(&self.pool),
        )?;
        row.map(|r| {
            serde_json::from_str(&r.try_get::<String, _>(0)?).map_err(|e| StoreError::Malformed {
                what: "tree head",
                source: Some(e.into()),
            })
        })
        .transpose()
    }

    /// Every signed head, by size.
    pub fn audit_heads(&self) -> Result<Vec<SignedTreeHead>, StoreError> {
        let rows = self.run_sql(
            "read the audit log",
            sqlx::query("SELECT head FROM tree_heads ORDER BY size").fetch_all(&self.pool),
        )?;
        rows.iter()
            .map(|r| {
                serde_json::from_str(&r.try_get::<String, _>(0)?).map_err(|e| {
                    StoreError::Malformed {
                        what: "tree head",
                        source: Some(e.into()),
                    }
                })
            })
            .collect()
    }

    /// Recomputes the tree from the entries and checks every signed head.
    pub fn audit_verify(&self, keys: &Keys) -> Result<VerifyReport, StoreError> {
        self.audit_verify_progress(keys, &|_, _| {})
    }

    /// As [`Store::audit_verify`], calling `progress(checked, total)` as the
    /// entries are checked, so that a long verification can show how far it is.
    pub fn audit_verify_progress(
        &self,
        keys: &Keys,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<VerifyReport, StoreError> {
        self.verify_with(keys, None, progress)
    }

    /// Recomputes the tree from the entries and checks every signed head; the
    /// newest must cover the whole log, the stored tree state must be the
    /// recomputed one, the ledger's rows must reproduce the digests the last
    /// entry committed to, and, given a head kept from earlier, the log must
    /// extend it (not truncated, not rewritten).
    pub fn audit_verify_since(
        &self,
        keys: &Keys,
        kept: Option<&SignedTreeHead>,
    ) -> Result<VerifyReport, StoreError> {
        self.verify_with(keys, kept, &|_, _| {})
    }

    fn verify_with(
        &self,
        keys: &Keys,
        kept: Option<&SignedTreeHead>,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<VerifyReport, StoreError> {
        let key = keys.verifying();
        // The transaction below lives across several runs on the runtime; an
        // error returned between them drops it here, and the driver's drop
        // needs the runtime's context (declared first, so it outlives `tx`).
        let _context = self.runtime().enter();
        // One read transaction, so that the entries, the heads, the tree state
        // and the ledger are one snapshot even while another process appends.
        let (mut tx, total) = self.log_snapshot("verify the audit log")?;
        let rows = self.run("read the audit log", async {
            Ok(
                sqlx::query("SELECT size, head FROM tree_heads ORDER BY size")
                    .fetch_all(&mut *tx)
                    .await?,
            )
        })?;
        progress(0, total);
        let mut report = VerifyReport {
            entries: 0,
            heads: rows.len() as u64,
            problems: Vec::new(),
        };
        let mut heads = Vec::new();
        for r in &rows {
            let size: i64 = r.try_get(0)?;
            match serde_json::from_str::<SignedTreeHead>(&r.try_get::<String, _>(1)?) {
                Ok(h) if h.size as i64 == size => heads.push(h),
                Ok(h) => report.problems.push(format!(
                    "the signed head of size {} is stored as size {size}: the heads were edited",
                    h.size
                )),
                Err(_) => report.problems.push(format!(
                    "the signed head stored as size {size} is unreadable: the heads were edited"
                )),
            }
        }
        drop(rows);
        // The tree sizes whose roots are compared: the heads' and the kept head's.
        let mut needed: Vec<u64> = heads
            .iter()
            .map(|h| h.size)
            .chain(kept.map(|k| k.size))
            .collect();
        needed.sort_unstable();
        needed.dedup();
        // Three strands at once: this thread reads the entries (from a SQLite
        // file directly, or through PostgreSQL's COPY), one hashes them into the tree,
        // one checks each signed head's signature once.
        let (walked, signatures, fetched) = std::thread::scope(|s| {
            let signatures = s.spawn(|| {
                heads
                    .iter()
                    .map(|h| h.verify(&key).err())
                    .collect::<Vec<_>>()
            });
            let (send, recv) = std::sync::mpsc::sync_channel::<Page>(4);
            let needed = &needed;
            let walker = s.spawn(move || walk(recv, needed, total, progress));
            let fetched = self.read_entries(total, send);
            (joined(walker.join()), joined(signatures.join()), fetched)
        });
        fetched?;
        let Walked {
            tree,
            roots,
            problems,
            entries,
            last_body,
        } = walked;
        report.entries = entries;
        report.problems.extend(problems);
        for (h, bad) in heads.iter().zip(signatures) {
            if let Some(e) = bad {
                report
                    .problems
                    .push(format!("signed head of size {}: {e}", h.size));
            }
            match roots.get(&h.size) {
                Some(root) if *root == h.root => {}
                Some(_) => report.problems.push(format!("the entries do not reproduce the signed root of size {}: the log was rewritten", h.size)),
                None => report.problems.push(format!("signed head of size {} but only {entries} entries: entries were deleted", h.size)),
            }
        }
        // Every append signs a head: entries beyond the newest head were not written by the store.
        let newest = heads.iter().map(|h| h.size).max().unwrap_or(0);
        if newest < entries {
            report.problems.push(format!(
                "no signed head covers the whole log: the newest covers {newest} of {entries} entries; entries were appended, or edited and their heads deleted"
            ));
        }
        if let Some(kept) = kept {
            if let Err(e) = kept.verify(&key) {
                report
                    .problems
                    .push(format!("the kept head of size {}: {e}", kept.size));
            } else if roots.get(&kept.size) != Some(&kept.root) {
                report.problems.push(format!(
                    "the log does not extend the kept head of size {}: it was truncated or rewritten",
                    kept.size
                ));
            }
        }
        let committed = last_body
            .as_deref()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .and_then(|b| b.get("ledger").and_then(|c| c.as_str()).map(String::from));
        let (stored_tree, stored, recomputed, kept) = self.run("verify the ledger", async {
            let t = crate::state::load_tree(&mut tx).await;
            let s = crate::state::stored(&mut tx).await;
            // The old sums only for a store whose log still commits them.
            let scheme = match &s {
                Ok(s) => crate::state::scheme_of(s, committed.as_deref()),
                Err(_) => crate::state::Scheme::LtHash,
            };
            let r = crate::state::recompute_for(&mut tx, scheme).await?;
            let kept = match &s {
                Ok(s) => crate::state::state_problems(&mut tx, s).await?,
                Err(_) => Vec::new(),
            };
            tx.rollback().await?;
            Ok((t, s, r, kept))
        })?;
        match stored_tree {
            Ok(t) if t.as_ref().map_or(0, |t| t.tree.size()) == tree.size()
                && t.as_ref().map_or(tree.peaks().is_empty(), |t| t.tree.peaks() == tree.peaks()) => {}
            _ => report.problems.push("the stored audit tree state is not the tree of the entries: the next entry would build on a forged tree".into()),
        }
        match stored {
            Err(e) => report.problems.push(e.to_string()),
            Ok(stored) => {
                // A store whose log still commits the old sums is checked against them.
                let scheme = crate::state::scheme_of(&stored, committed.as_deref());
                // Every chunk of a moved store carries its digest, every part its state.
                if scheme == crate::state::Scheme::LtHash {
                    report.problems.extend(kept);
                    let sets: std::collections::BTreeSet<&str> = recomputed
                        .unhashed()
                        .iter()
                        .map(|(s, _, _)| s.as_str())
                        .collect();
                    for set in sets {
                        report.problems.push(format!(
                            "{} have chunks without a digest",
                            crate::state::describe(set)
                        ));
                    }
                }
                let recomputed = recomputed.parts_with(scheme);
                for part in stored
                    .keys()
                    .chain(recomputed.keys())
                    .collect::<std::collections::BTreeSet<_>>()
                {
                    if stored.get(part) != recomputed.get(part) {
                        report.problems.push(format!(
                            "{} do not match their digest: rows were edited, deleted or inserted",
                            crate::state::describe(part)
                        ));
                    }
                }
                let root = hex::encode(crate::state::root_with(&stored, scheme));
                match last_body
                    .as_deref()
                    .map(serde_json::from_str::<serde_json::Value>)
                {
                    None if !stored.is_empty() => report
                        .problems
                        .push("the ledger holds data that no audit entry records".into()),
                    Some(Ok(body)) => match body.get("ledger") {
                        Some(c) if c.as_str() != Some(root.as_str()) => report.problems.push(
                            "the ledger's digests are not what the last audit entry committed to"
                                .into(),
                        ),
                        _ => {}
                    },
                    Some(Err(_)) => report
                        .problems
                        .push("the last audit entry is not JSON".into()),
                    None => {}
                }
            }
        }
        Ok(report)
    }

    /// A read-only transaction over one snapshot of the log (repeatable read
    /// on PostgreSQL; SQLite's is one by nature), with the number of entries
    /// in it. The caller enters the runtime's context first, so that an error
    /// dropping the transaction between runs does not panic.
    fn log_snapshot(
        &self,
        op: &'static str,
    ) -> Result<(Transaction<'static, Any>, u64), StoreError> {
        self.run(op, async {
            let mut tx = self.pool.begin().await?;
            if self.backend == crate::Backend::Postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            let total: i64 = sqlx::query("SELECT COUNT(*) FROM audit_entries")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            Ok((tx, total.max(0) as u64))
        })
    }

    /// Reads the first `total` entries into pages sent to `send`: straight
    /// from a SQLite file, or through PostgreSQL's COPY, each on a connection
    /// of its own (the caller's snapshot counted `total`).
    fn read_entries(
        &self,
        total: u64,
        send: std::sync::mpsc::SyncSender<Page>,
    ) -> Result<(), StoreError> {
        match &self.file {
            Some(file) => read_file_pages(file, total, send),
            None => {
                let url = self.pool.connect_options().database_url.to_string();
                self.run("read the audit log", copy_pages(&url, total, send))
            }
        }
    }

    /// Every entry's leaf, hashed from the entries as read a page at a time
    /// (as `audit verify` reads them, on a thread of its own), and the
    /// canonical bytes of entry `want`, with the newest signed head of the same
    /// snapshot.
    fn leaves(&self, want: Option<u64>) -> Result<Leaves, StoreError> {
        let _context = self.runtime().enter();
        let (mut tx, total) = self.log_snapshot("read the audit log")?;
        let head = self.run("read the audit log", async {
            let head: Option<String> =
                sqlx::query("SELECT head FROM tree_heads ORDER BY size DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
            Ok(head)
        })?;
        let head = head
            .map(|h| {
                serde_json::from_str::<SignedTreeHead>(&h).map_err(|e| StoreError::Malformed {
                    what: "signed tree head",
                    source: Some(Box::new(e)),
                })
            })
            .transpose()?;
        let ((leaves, entry), fetched) = std::thread::scope(|s| {
            let (send, recv) = std::sync::mpsc::sync_channel::<Page>(4);
            let hasher = s.spawn(move || read::leaves(recv, total, want));
            let fetched = self.read_entries(total, send);
            (joined(hasher.join()), fetched)
        });
        fetched?;
        self.run("read the audit log", async { Ok(tx.rollback().await?) })?;
        Ok(Leaves {
            leaves,
            entry,
            head,
        })
    }

    /// An inclusion proof for entry `index` against the latest signed head, with the entry's bytes.
    pub fn audit_prove(&self, index: u64) -> Result<InclusionBundle, StoreError> {
        let Leaves {
            leaves,
            entry,
            head,
        } = self.leaves(Some(index))?;
        let head = head.ok_or(StoreError::EmptyLog)?;
        let entry = entry.ok_or(StoreError::NoEntry {
            index,
            size: leaves.len() as u64,
        })?;
        InclusionBundle::build(&leaves, index, head)
            .map(|b| b.with_entry(entry))
            .map_err(StoreError::Proof)
    }

    /// A consistency proof from an earlier signed head to the latest one.
    pub fn audit_consistency(&self, old: SignedTreeHead) -> Result<ConsistencyBundle, StoreError> {
        let Leaves { leaves, head, .. } = self.leaves(None)?;
        let head = head.ok_or(StoreError::EmptyLog)?;
        ConsistencyBundle::build(&leaves, old, head).map_err(StoreError::Proof)
    }
}

/// The log's leaves as read for a proof (`Store::leaves`).
struct Leaves {
    leaves: Vec<Hash>,
    /// The canonical bytes of the entry asked for, if the log has it.
    entry: Option<Vec<u8>>,
    /// The newest signed head, read in the same snapshot.
    head: Option<SignedTreeHead>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;

    proptest::proptest! {
        /// The leaf hashed piece by piece is the leaf of the canonical bytes,
        /// whatever the fields hold (newlines, any Unicode, any index).
        #[test]
        fn entry_leaf_is_the_leaf_of_the_canonical_bytes(
            index in proptest::prop_oneof![0u64..100_000, proptest::num::u64::ANY],
            at in ".{0,30}",
            kind in ".{0,20}",
            body in "(.|\n){0,300}",
        ) {
            proptest::prop_assert_eq!(
                entry_leaf(index, &at, &kind, &body),
                leaf_hash(&canonical(index, &at, &kind, &body))
            );
        }
    }

    /// Only a `batch` entry that records a map has its digest: a v1 batch,
    /// another kind with such a key, or a body that is not JSON has none.
    #[test]
    fn a_batch_entry_gives_the_map_it_was_judged_under() {
        let entry = |kind: &str, body: &str| Entry {
            index: 0,
            at: String::new(),
            kind: kind.into(),
            body: body.into(),
            stored_leaf_hash: [0; 32],
        };
        let d = "5d".repeat(32);
        let v2 = format!(r#"{{"v":2,"map_sha256":"{d}"}}"#);
        assert_eq!(entry("batch", &v2).map_sha256(), Some(d));
        assert_eq!(entry("batch", r#"{"v":1,"batch":0}"#).map_sha256(), None);
        assert_eq!(entry("route_suspended", &v2).map_sha256(), None);
        assert_eq!(entry("batch", "not json").map_sha256(), None);
        assert_eq!(entry("batch", r#"{"map_sha256":7}"#).map_sha256(), None);
    }

    #[test]
    fn entry_leaf_at_the_edges_of_the_index() {
        for index in [0, 9, 10, 99, 100, u64::MAX - 1, u64::MAX] {
            assert_eq!(
                entry_leaf(index, "t", "k", "{}"),
                leaf_hash(&canonical(index, "t", "k", "{}"))
            );
        }
    }

    #[test]
    fn verify_reports_progress_up_to_the_whole_log() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::create(&dir.path().join("keys")).unwrap();
        let store = Store::open(&dir.path().join("s.db").display().to_string()).unwrap();
        let entries: Vec<(&str, serde_json::Value)> = (0..2500)
            .map(|i| ("test", serde_json::json!({ "n": i })))
            .collect();
        store.audit_append_many(&keys, &entries).unwrap();
        let seen = std::sync::Mutex::new(Vec::new());
        let report = store
            .audit_verify_progress(&keys, &|done, total| {
                seen.lock().unwrap().push((done, total))
            })
            .unwrap();
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.first(), Some(&(0, 2500)));
        assert!(seen.contains(&(1024, 2500)), "{seen:?}");
        assert_eq!(seen.last(), Some(&(2500, 2500)));
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
        let plain = store.audit_verify(&keys).unwrap();
        assert_eq!((report.entries, report.heads), (plain.entries, plain.heads));
        assert_eq!(report.problems, plain.problems);
        assert_eq!(report.entries, 2500);
    }
}
