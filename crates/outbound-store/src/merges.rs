//! Merging key set runs after the batches that wrote them, in steps: an
//! LSM's compaction that never holds the store for long.
//!
//! A batch writes its new keys as a run and merges nothing (unless a set has
//! grown past its run limit, see `keyset::add`), so its time no longer
//! depends on where the binary counter over run sizes stands: a batch that
//! used to merge 64M keys took 5× the others. [`Store::merge_runs`] does the
//! merges afterwards (the gate calls it once a batch's output is in place;
//! a server can call it off the request), one pair of runs at a time:
//!
//! 1. **Write, unlisted.** The merged run is written under a number no
//!    listed run holds, between the two runs' numbers (its place in the
//!    order), [`STEP_CHUNKS`] chunks a transaction, without the store's lock:
//!    batches and other writers go on between the steps (on SQLite they wait
//!    at most one step for the write lock). No look-up reads an unlisted
//!    run, and the two runs it is made of stay listed and unchanged, so
//!    nothing that decides a count moves. Every chunk read is checked, and
//!    each run read whole against its digest, as before.
//! 2. **Swap, under the lock.** One short transaction takes the lock, runs
//!    `state::check`, checks the part's runs against what the log committed
//!    (as a batch does), checks that the two runs are still listed as read
//!    and that the written run's index is what its writer wrote, then lists
//!    it, unlists the two, and commits the part's new digest with a
//!    `ledger_merged` audit entry: every state that decides a count is
//!    committed to by the log.
//! 3. **Clear.** The two runs' chunks are deleted, in steps.
//!
//! One merger at a time per store: an exclusive lock on a file beside the
//! SQLite database, or a PostgreSQL advisory lock held by a connection of
//! its own (both go with the process); a caller that finds a merge running
//! leaves it the work. A merge that a crash stops leaves chunks of no listed
//! run: never read, cleared by the next merger before it starts. A batch
//! that merges past the run limit meanwhile (in its own transaction, at a
//! number of its own) makes the unfinished merge give up at its swap.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::keyset::{self, Merging, RunWriter, Width};
use crate::state::{Delta, tampered};
use crate::{Keys, Store, StoreError};

/// Chunks a merge writes per transaction: 8 MiB of 16-byte keys, a few
/// hundred milliseconds of work.
pub(crate) const STEP_CHUNKS: i64 = 128;

/// What [`Store::merge_runs`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Merged {
    /// Merges committed (each with its own audit entry).
    pub merges: u64,
    /// Records written by the merges.
    pub records: i64,
    /// The longest time a merge held the store's lock (its swap), in
    /// microseconds: what other writers may have waited.
    pub locked_us: u64,
    /// Whether another merger held the store's merge lock, so this call
    /// merged nothing.
    pub busy: bool,
}

/// A ledger part made of key sets: its name, and each set with its record
/// layout and whether it counts in the part's sensitive column.
struct PartSets {
    part: String,
    sets: Vec<(String, Width, bool)>,
}

/// The part the key set `set` belongs to, with all of that part's sets. The
/// names are those the writers give (`counted`, `group_sets`, `deliveries`,
/// `consent_index`); any other is refused, never skipped.
fn part_of(set: &str) -> Result<PartSets, StoreError> {
    let unknown = || tampered("a key set has an unknown name");
    let v: serde_json::Value =
        serde_json::from_str(set).map_err(|_| tampered("a key set has an unreadable name"))?;
    let kind = v.get(0).and_then(|k| k.as_str()).ok_or_else(unknown)?;
    let name = |k: &str| match &v {
        serde_json::Value::Array(a) => {
            let mut a = a.clone();
            a[0] = k.into();
            serde_json::Value::Array(a).to_string()
        }
        _ => unreachable!("an array: its first element was read"),
    };
    // A pair of sets: everyone, and the sensitive subset in the same part.
    let pair = |all: &str, sens: &str| PartSets {
        part: name(all),
        sets: vec![
            (name(all), Width::KEY, false),
            (name(sens), Width::KEY, true),
        ],
    };
    let one = |w| PartSets {
        part: set.to_string(),
        sets: vec![(set.to_string(), w, false)],
    };
    Ok(match kind {
        "subjects" | "sensitive" => pair("subjects", "sensitive"),
        "group" | "group_sensitive" => pair("group", "group_sensitive"),
        "deliveries" => one(Width::KEY_U32),
        "delivery_days" => one(Width::KEY_DAYS),
        "consent_days" => one(Width::KEY_NEWEST),
        _ => return Err(unknown()),
    })
}

/// The one merger of a store, while held.
enum Claim {
    /// An exclusive lock on `<database>-merge`, beside the SQLite file.
    File(#[allow(dead_code)] std::fs::File),
    /// A connection of its own holding a session advisory lock.
    Postgres(sqlx::AnyConnection),
}

/// The PostgreSQL advisory lock key of the merger ("outbound merge").
const MERGE_LOCK_KEY: i64 = 0x6f75_7462_6d72_6765;

impl Claim {
    async fn release(self) -> Result<(), StoreError> {
        if let Claim::Postgres(mut conn) = self {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MERGE_LOCK_KEY)
                .execute(&mut conn)
                .await?;
            sqlx::Connection::close(conn).await?;
        }
        Ok(())
    }
}

/// A pair of runs to merge, as read before any lock.
struct Pair {
    a: keyset::Run,
    b: keyset::Run,
}

/// The next merge: its set, the set's part, layout and column, and the pair.
struct Next {
    set: String,
    ps: PartSets,
    w: Width,
    sensitive: bool,
    pair: Pair,
}

/// A merge written, not yet listed: its run number, the two runs as read,
/// and the run as written.
struct Written {
    id: i64,
    removed: [keyset::RunChange; 2],
    sealed: keyset::Sealed,
}

/// How a merge of one pair ended.
enum Outcome {
    /// Listed and committed.
    Done { records: i64, locked_us: u64 },
    /// The runs changed under it (a batch merged them past the run limit):
    /// its chunks were cleared; the caller looks again.
    Stale,
}

impl Store {
    /// Merges every key set's runs that are due a merge (see the module),
    /// one pair at a time, each committed with a `ledger_merged` audit
    /// entry. Counts never change; look-ups read fewer runs after. A part
    /// whose runs do not match the log is refused, as a batch would be.
    /// If another merger holds the store's merge lock, returns at once
    /// with [`Merged::busy`].
    pub fn merge_runs(&self, keys: &Keys) -> Result<Merged, StoreError> {
        self.merge_runs_with(keys, &mut || {})
    }

    /// [`Store::merge_runs`], calling `pause` between each merge's write and
    /// its swap (outside the store's runtime), for tests of what may happen
    /// there. Not public API.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn merge_runs_pausing(
        &self,
        keys: &Keys,
        pause: &mut dyn FnMut(),
    ) -> Result<Merged, StoreError> {
        self.merge_runs_with(keys, pause)
    }

    fn merge_runs_with(&self, keys: &Keys, pause: &mut dyn FnMut()) -> Result<Merged, StoreError> {
        const OP: &str = "merge the ledger's runs";
        // The claim's connection (PostgreSQL) may be dropped on an error
        // path: inside the runtime's context, as the driver needs.
        let _context = self.runtime().enter();
        let mut merged = Merged::default();
        let Some(claim) = self.run(OP, self.claim_merger())? else {
            merged.busy = true;
            return Ok(merged);
        };
        let result = self.merge_due(keys, &mut merged, pause);
        // A merge's own error comes first; the lock goes with the process anyway.
        let released = self.run(OP, claim.release());
        result?;
        released.map(|()| merged)
    }

    /// The store's merge lock, or `None` if another merger holds it.
    async fn claim_merger(&self) -> Result<Option<Claim>, StoreError> {
        if let Some(file) = &self.file {
            let mut path = file.clone().into_os_string();
            path.push("-merge");
            let path = std::path::PathBuf::from(path);
            let f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|source| StoreError::Io {
                    action: "open",
                    path: path.clone(),
                    source,
                })?;
            return match f.try_lock() {
                Ok(()) => Ok(Some(Claim::File(f))),
                Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Io {
                    action: "lock",
                    path,
                    source,
                }),
            };
        }
        let mut conn = self.pool.acquire().await?.detach();
        let got: bool = sqlx::Row::try_get(
            &sqlx::query("SELECT pg_try_advisory_lock($1)")
                .bind(MERGE_LOCK_KEY)
                .fetch_one(&mut conn)
                .await?,
            0,
        )?;
        if got {
            Ok(Some(Claim::Postgres(conn)))
        } else {
            sqlx::Connection::close(conn).await?;
            Ok(None)
        }
    }

    /// Every due merge, the merge lock held; each merge's phases in a call
    /// of their own on the store's runtime.
    fn merge_due(
        &self,
        keys: &Keys,
        merged: &mut Merged,
        pause: &mut dyn FnMut(),
    ) -> Result<(), StoreError> {
        const OP: &str = "merge the ledger's runs";
        self.run(OP, self.sweep_unlisted())?;
        // Runs that keep changing under the merger (a batch merging past the
        // run limit every time) are left to the next call.
        let mut stale = 0;
        while stale < 8 {
            let Some(next) = self.run(OP, self.next_pair())? else {
                return Ok(());
            };
            let outcome = if next.pair.b.id - next.pair.a.id < 2 {
                // Runs numbered one apart (a store made before `RUN_GAP`): no
                // number between them, so the merge runs whole under the
                // lock and renumbers, as it always did.
                self.run(OP, self.merge_locked(keys, &next))?
            } else {
                match self.run(OP, self.write_pair(&next))? {
                    Some(written) => {
                        pause();
                        self.run(OP, self.swap(keys, &next, written))?
                    }
                    None => Outcome::Stale,
                }
            };
            match outcome {
                Outcome::Done { records, locked_us } => {
                    merged.merges += 1;
                    merged.records += records;
                    merged.locked_us = merged.locked_us.max(locked_us);
                }
                Outcome::Stale => stale += 1,
            }
        }
        Ok(())
    }

    /// The first due merge: its set, part and pair of runs, read without a
    /// lock (listed runs never change; the swap checks they are still listed).
    async fn next_pair(&self) -> Result<Option<Next>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        for set in keyset::sets_due(&mut conn).await? {
            let ps = part_of(&set)?;
            let (w, sensitive) = ps
                .sets
                .iter()
                .find(|(s, _, _)| *s == set)
                .map(|(_, w, sens)| (*w, *sens))
                .ok_or_else(|| tampered("a key set has an unknown name"))?;
            let runs = keyset::runs(&mut conn, &set).await?;
            let sizes: Vec<i64> = runs.iter().map(|r| r.records).collect();
            if let Some((i, j)) = keyset::next_merge(&sizes) {
                return Ok(Some(Next {
                    pair: Pair {
                        a: runs[i].clone(),
                        b: runs[j].clone(),
                    },
                    ps,
                    set,
                    w,
                    sensitive,
                }));
            }
        }
        Ok(None)
    }

    /// Clears chunks of no listed run, left by merges that never finished.
    /// Only the merger writes unlisted runs, and it holds the merge lock;
    /// a batch's new run is listed in the transaction that writes it.
    async fn sweep_unlisted(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query(
            "DELETE FROM keyset_chunks WHERE NOT EXISTS (SELECT 1 FROM keyset_runs r \
             WHERE r.set_name = keyset_chunks.set_name AND r.run = keyset_chunks.run)",
        )
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Writes the merge of a pair, unlisted, in steps (phase 1, see the
    /// module); `None` if the runs went meanwhile (nothing left behind).
    async fn write_pair(&self, next: &Next) -> Result<Option<Written>, StoreError> {
        let (set, (a, b)) = (&next.set, (next.pair.a.id, next.pair.b.id));
        // A number between theirs, drawn at random so that a batch merging
        // the same pair past the run limit (at the midpoint) picks another.
        let mut r = [0u8; 8];
        getrandom::fill(&mut r).map_err(|e| StoreError::Io {
            action: "draw a run number for",
            path: set.into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let id = a + 1 + (u64::from_le_bytes(r) % (b - a - 1) as u64) as i64;
        match self.write_merged(set, next.w, &next.pair, id).await {
            Ok(Some((removed, sealed))) => Ok(Some(Written {
                id,
                removed,
                sealed,
            })),
            Ok(None) => {
                self.clear_run(set, id).await?;
                Ok(None)
            }
            Err(e) => {
                self.clear_run(set, id).await?;
                // Gone meanwhile (a batch merged them): not damage.
                if self.still_listed(set, &[a, b]).await? {
                    Err(e)
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// Lists a written merge in place of its two runs, under the lock
    /// (phase 2), then clears their chunks (phase 3).
    async fn swap(&self, keys: &Keys, next: &Next, w: Written) -> Result<Outcome, StoreError> {
        let (set, ps, (a, b)) = (&next.set, &next.ps, (next.pair.a.id, next.pair.b.id));
        let t = std::time::Instant::now();
        let mut tx = self.checked_tx(keys, ps).await?;
        let now = keyset::runs(&mut tx, set).await?;
        let same = |r: &keyset::RunChange, id: i64| {
            now.iter()
                .find(|x| x.id == id)
                .is_some_and(|x| x.records == r.records && x.digest(set) == Some(r.digest))
        };
        let between = now.iter().any(|x| x.id > a && x.id < b);
        if !same(&w.removed[0], a) || !same(&w.removed[1], b) || between {
            tx.rollback().await?;
            self.clear_run(set, w.id).await?;
            return Ok(Outcome::Stale);
        }
        // The written run's index is what its writer wrote (its chunks'
        // records are checked against it by every full read, as any run's).
        let index = keyset::read_index(&mut tx, set, w.id, w.sealed.records, w.sealed.chunks)
            .await
            .ok();
        if index.and_then(|i| i.digest(set)) != Some(w.sealed.digest) {
            return Err(tampered(format!(
                "{} changed while a merge wrote it",
                crate::state::describe(set)
            )));
        }
        let added = w.sealed.list(&mut tx, set).await?;
        keyset::unlist(&mut tx, set, &[a, b]).await?;
        commit_merge(tx, keys, next, &[w.removed[0], w.removed[1], added]).await?;
        let locked_us = t.elapsed().as_micros() as u64;
        for gone in [a, b] {
            self.clear_run(set, gone).await?;
        }
        Ok(Outcome::Done {
            records: added.records,
            locked_us,
        })
    }

    /// Writes the merge of `pair` under run number `id`, unlisted,
    /// [`STEP_CHUNKS`] a transaction; the two runs as read, and the run
    /// written. `None` if the runs went meanwhile.
    async fn write_merged(
        &self,
        set: &str,
        w: Width,
        pair: &Pair,
        id: i64,
    ) -> Result<Option<([keyset::RunChange; 2], keyset::Sealed)>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let out = RunWriter::at(&mut tx, set, w, id).await?;
        let mut m = Merging::start(&mut tx, set, w, pair.a.clone(), pair.b.clone(), out).await?;
        loop {
            let until = m.written() + STEP_CHUNKS;
            if m.step(&mut tx, set, Some(until)).await? {
                break;
            }
            tx.commit().await?;
            tx = self.pool.begin().await?;
        }
        let (removed, out) = m.finish(set)?;
        let sealed = out.seal(&mut tx, set).await?;
        tx.commit().await?;
        Ok(sealed.map(|s| (removed, s)))
    }

    /// Whether runs `ids` of `set` are all still listed.
    async fn still_listed(&self, set: &str, ids: &[i64]) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let listed = keyset::merge_run_ids(&mut conn, set).await?;
        Ok(ids.iter().all(|id| listed.contains(id)))
    }

    /// Deletes the chunks of run `id` of `set` if it is not listed,
    /// [`STEP_CHUNKS`] × 8 a statement.
    async fn clear_run(&self, set: &str, id: i64) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut from = 0;
        while keyset::clear_unlisted(&mut conn, set, id, from..from + 8 * STEP_CHUNKS).await? > 0 {
            from += 8 * STEP_CHUNKS;
        }
        Ok(())
    }

    /// A transaction under the store's lock, with the store checked and the
    /// part's runs checked against what the log committed.
    async fn checked_tx(
        &self,
        keys: &Keys,
        ps: &PartSets,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let mut tx = self.begin_write().await?;
        let checked = crate::state::check(&mut tx, keys).await?;
        check_part(&mut tx, &checked.parts, ps).await?;
        Ok(tx)
    }

    /// Merges one pair whole in one locked transaction (runs numbered one apart).
    async fn merge_locked(&self, keys: &Keys, next: &Next) -> Result<Outcome, StoreError> {
        let (set, ps, (a, b)) = (&next.set, &next.ps, (next.pair.a.id, next.pair.b.id));
        let t = std::time::Instant::now();
        let mut tx = self.checked_tx(keys, ps).await?;
        let listed = keyset::merge_run_ids(&mut tx, set).await?;
        if !listed.windows(2).any(|p| p == [a, b]) {
            tx.rollback().await?;
            return Ok(Outcome::Stale);
        }
        let mut changes = Vec::new();
        keyset::merge_whole(&mut tx, set, next.w, a, b, &mut changes).await?;
        let records = commit_merge(tx, keys, next, &changes).await?;
        Ok(Outcome::Done {
            records,
            locked_us: t.elapsed().as_micros() as u64,
        })
    }
}

/// Checks the part's runs against what the log committed, as a batch does.
async fn check_part(
    conn: &mut AnyConnection,
    parts: &crate::state::Parts,
    ps: &PartSets,
) -> Result<(), StoreError> {
    let p = parts.get(&ps.part).copied().unwrap_or_default();
    let committed: Vec<(&str, i64, Width)> = ps
        .sets
        .iter()
        .map(|(s, w, sens)| (s.as_str(), if *sens { p.sensitive } else { p.rows }, *w))
        .collect();
    crate::counted::check_runs(conn, &p, &ps.part, &committed).await
}

/// Commits one merge's run changes: the part's moved digest, with its
/// `ledger_merged` audit entry (the part, one merge, the records written;
/// never who). Returns the records written.
async fn commit_merge(
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    keys: &Keys,
    next: &Next,
    changes: &[keyset::RunChange],
) -> Result<i64, StoreError> {
    let mut delta = Delta::default();
    let mut records = 0;
    for c in changes {
        delta.run(&next.ps.part, c, next.sensitive);
        if c.added {
            records += c.records;
        }
    }
    delta.apply(&mut tx).await?;
    let body = serde_json::json!({
        "part": crate::state::describe(&next.ps.part),
        "merges": 1,
        "records": records,
    });
    crate::audit::append(&mut tx, keys, "ledger_merged", body).await?;
    tx.commit().await?;
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_replay_the_binary_counter() {
        use crate::keyset::next_merge;
        for stable in [&[][..], &[5], &[4, 2, 1], &[800, 200, 100]] {
            assert_eq!(next_merge(stable), None, "{stable:?}");
        }
        assert_eq!(next_merge(&[1, 1]), Some((0, 1)));
        assert_eq!(next_merge(&[4, 2, 2]), Some((1, 2)));
        // Runs left unmerged by several batches merge in pairs of like size.
        assert_eq!(next_merge(&[100; 8]), Some((0, 1)));
        assert_eq!(next_merge(&[200, 100, 100, 100]), Some((1, 2)));
        assert_eq!(next_merge(&[200, 200, 100, 100]), Some((0, 1)));
        // Past the limit, whatever the sizes: the newest two.
        let falling: Vec<i64> = (1..=26).rev().collect();
        assert_eq!(next_merge(&falling), Some((24, 25)));
        assert_eq!(next_merge(&falling[..24]), None);
    }

    #[test]
    fn every_writer_set_has_its_part() {
        let subjects = crate::state::subjects_part("acme", 2026);
        let sens = crate::counted::sensitive_set("acme", 2026);
        for s in [&subjects, &sens] {
            let ps = part_of(s).unwrap();
            assert_eq!(ps.part, subjects);
            assert_eq!(
                ps.sets,
                vec![
                    (subjects.clone(), Width::KEY, false),
                    (sens.clone(), Width::KEY, true)
                ]
            );
        }
        let d = crate::deliveries::part("crm-to-parent", 2026);
        assert_eq!(
            part_of(&d).unwrap().sets,
            vec![(d.clone(), Width::KEY_U32, false)]
        );
        for bad in ["[\"people\",\"acme\",2026]", "not json", "{}", "[]"] {
            assert!(
                matches!(part_of(bad), Err(StoreError::Tampered { .. })),
                "{bad}"
            );
        }
    }
}
