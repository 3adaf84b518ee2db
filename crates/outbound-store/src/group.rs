//! Group commit for the audit log and the writes it records.
//!
//! A durable append costs one transaction, one signed head and one sync of
//! the database to disk; the sync dominates. When several threads append at
//! once, [`Queue::append`] lets one of them (the leader) take every pending
//! entry, write them all in ONE transaction with ONE signed head and ONE sync,
//! and hand each caller its index; the others wait meanwhile, and whoever
//! arrives during a commit joins the next group. No thread of its own: the
//! leader is a caller, so nothing runs when nobody appends, and the commit runs
//! on the store's runtime like every other write.
//!
//! A domain write (a consent withdrawn, a complaint or a rights request
//! received: what a busy server's callers do many at once) joins a group
//! too, as an [`Op`] that the leader runs in the group's transaction, after
//! the check, in a savepoint of its own: a write that fails is undone alone
//! and fails only its caller. Its entry commits the ledger's state right
//! after it, as a write committed alone would ([`Store::write_grouped`]).
//!
//! What does not change: each group's transaction takes the store's lock row
//! and runs the same check ([`crate::state::check`]) as any write, or finds
//! by its fingerprint the store exactly as this process left it
//! (`fingerprint.rs`), so two processes appending to one store stay exact
//! and an edit behind the log is refused; a caller returns only after
//! its group has committed; a group that fails (a database error, a failed
//! commit, a panic) leaves nothing of itself in the log, and every caller in it
//! gets an error. A group holds only entries to be signed by the same key.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::thread::Thread;

use sqlx::AnyConnection;

use crate::StoreError;
use crate::audit::Ready;
use crate::keys::Keys;
use crate::signed_head::SignedTreeHead;
use crate::state::Parts;
use crate::store::Store;

/// What a caller gets: its entry's index, a signed head covering it, and
/// what its operation returned (`None` for a plain entry).
pub(crate) type Outcome = Result<Done, StoreError>;

/// A caller's share of a committed group.
pub(crate) struct Done {
    /// Its entry's index in the log.
    pub(crate) index: u64,
    /// The group's signed head, which covers the entry.
    pub(crate) head: SignedTreeHead,
    /// What its operation returned; `None` for a plain entry.
    pub(crate) value: Option<Box<dyn Any + Send>>,
}

/// What a group's commit gives back: each caller's outcome, in the order of
/// the group's work, or one error for the whole group (nothing of it written).
pub(crate) type Committed = Result<Vec<Outcome>, StoreError>;

/// A domain write run by whichever caller leads the group, inside the
/// group's transaction, after the store's check: it writes its rows and
/// moves `ledger_state` by exactly its change (as any write), given the
/// ledger's parts as they stand, and returns the audit entry that records
/// it and what its caller gets back. It must not append to the log itself.
pub(crate) type Op =
    Box<dyn for<'a> FnOnce(&'a mut AnyConnection, &'a Parts) -> Writing<'a, Written> + Send>;

/// A domain write under way, to give a `T`: its answer and its audit entry.
pub(crate) type Writing<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + 'a>>;

/// Boxes a domain write whose answer is a `T` as an [`Op`].
pub(crate) fn op<T: Any + Send>(
    write: impl for<'a> FnOnce(&'a mut AnyConnection, &'a Parts) -> Writing<'a, (T, Ready)>
    + Send
    + 'static,
) -> Op {
    Box::new(move |conn, parts| {
        let write = write(conn, parts);
        Box::pin(async move {
            let (answer, entry) = write.await?;
            Ok(Written {
                entry,
                value: Box::new(answer),
            })
        })
    })
}

/// What an [`Op`] wrote: the audit entry for it, and its caller's answer.
pub(crate) struct Written {
    pub(crate) entry: Ready,
    pub(crate) value: Box<dyn Any + Send>,
}

/// One caller's part of a group: a plain audit entry, or a domain write with its entry.
pub(crate) enum Work {
    Entry(Ready),
    Op(Op),
}

/// The appends waiting for a commit, and the outcomes not yet collected.
///
/// Each waiting caller sleeps on its own (`thread::park`) and is woken
/// alone: when its outcome is ready, or when it is to lead the next group.
/// One condition variable woken for all made every commit wake every
/// waiter, most of them only to sleep again: with 128 blocking writers
/// on two cores, three quarters of the time went to context switches.
#[derive(Default)]
pub(crate) struct Queue {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next: u64,
    pending: Vec<Request>,
    committing: bool,
    done: HashMap<u64, Outcome>,
    /// Tickets dropped while their group was being committed.
    abandoned: Vec<u64>,
    /// The size of the last group committed.
    last_group: usize,
    /// The leader waiting for more entries before it commits, if any.
    lingering: Option<Thread>,
    /// The callers asleep in [`Queue::wait`], by ticket.
    asleep: HashMap<u64, Thread>,
}

/// How long a leader waits for entries to arrive, at most, when fewer are
/// pending than the last group held: callers that each wait for their append
/// come back a moment after their group commits, and without this wait the
/// first of them would commit alone (measured: 4.4 entries per group from 8
/// such callers). A lone caller (last group of one) never waits.
const LINGER: std::time::Duration = std::time::Duration::from_micros(300);

/// The most domain writes a group holds (plain entries, a few µs each, are
/// not counted). Measured on SQLite (`bench_writes`, tmpfs): a write's median
/// time was near 110 µs for the first 70 writes of a group's transaction
/// and 8× that past 80 (with or without savepoints; the cause is not known),
/// so uncapped groups from 128 writers ran slower than a transaction a
/// write. Capped at 32, 128 writers ran as fast as 8; at 48, a little slower.
const MAX_WRITES: usize = 32;

struct Request {
    id: u64,
    /// The verifying key that will sign the group's head.
    key: [u8; 32],
    work: Work,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; a poisoned lock still holds consistent state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `entry`, committed with whatever other appends are pending;
    /// returns once the group is durable (or has failed).
    pub(crate) fn append(&self, store: &Store, keys: &Keys, work: Work) -> Outcome {
        let id = self.submit(keys, work);
        self.wait(store, keys, id)
    }

    /// Queues `work` for the next group and returns its ticket number at once.
    pub(crate) fn submit(&self, keys: &Keys, work: Work) -> u64 {
        self.submit_keyed(keys.verifying().to_bytes(), work)
    }

    fn submit_keyed(&self, key: [u8; 32], work: Work) -> u64 {
        let mut st = self.lock();
        let id = st.next;
        st.next += 1;
        st.pending.push(Request { id, key, work });
        // At most one wake-up a linger: the leader sets itself again if it
        // parks again.
        let leader = st.lingering.take();
        drop(st);
        if let Some(leader) = leader {
            leader.unpark();
        }
        id
    }

    /// Waits for the outcome of ticket `id`, committing a group when no other
    /// caller is: every pending entry signed by `keys`, this one included.
    pub(crate) fn wait(&self, store: &Store, keys: &Keys, id: u64) -> Outcome {
        self.wait_keyed(keys.verifying().to_bytes(), id, |work| {
            store.commit_work(keys, work)
        })
    }

    /// [`Queue::wait`] for entries signed by `key`, a group written by `commit`.
    fn wait_keyed(
        &self,
        key: [u8; 32],
        id: u64,
        mut commit: impl FnMut(Vec<Work>) -> Committed,
    ) -> Outcome {
        let me = std::thread::current();
        let mut st = self.lock();
        loop {
            // Woken (or not: a park may end early), this caller is awake.
            st.asleep.remove(&id);
            if let Some(outcome) = st.done.remove(&id) {
                return outcome;
            }
            if !st.committing {
                // Lead: this caller's entry is still pending (a finished group
                // would have left its outcome), so it is in the group taken here.
                st.committing = true;
                let deadline = std::time::Instant::now() + LINGER;
                loop {
                    let mine = st.pending.iter().filter(|r| r.key == key).count();
                    let now = std::time::Instant::now();
                    if mine >= st.last_group || now >= deadline {
                        break;
                    }
                    st.lingering = Some(me.clone());
                    drop(st);
                    std::thread::park_timeout(deadline - now);
                    st = self.lock();
                }
                st.lingering = None;
                // This key's entries, oldest first, this caller's own always;
                // at most MAX_WRITES domain writes, the rest left for the next group.
                let (mut group, mut others) = (Vec::new(), Vec::new());
                let mut writes = 0;
                for r in std::mem::take(&mut st.pending) {
                    let write = matches!(r.work, Work::Op(_));
                    if r.key == key && (r.id == id || !write || writes < MAX_WRITES - 1) {
                        writes += usize::from(write && r.id != id);
                        group.push(r);
                    } else {
                        others.push(r);
                    }
                }
                st.pending = others;
                st.last_group = group.len();
                drop(st);
                let mut leading = Leading {
                    queue: self,
                    me: id,
                    ids: group.iter().map(|r| r.id).collect(),
                };
                let result = commit(group.into_iter().map(|r| r.work).collect());
                st = self.lock();
                let wake = leading.finish(&mut st, result);
                let mine = st.done.remove(&id);
                drop(st);
                wake.iter().for_each(Thread::unpark);
                match mine {
                    Some(outcome) => return outcome,
                    // `finish` leaves the leader's outcome; should it not, look again.
                    None => {
                        st = self.lock();
                        continue;
                    }
                }
            }
            st.asleep.insert(id, me.clone());
            drop(st);
            std::thread::park();
            st = self.lock();
        }
    }

    /// Ticket `id` will not be waited for: its entry is withdrawn if no group
    /// has taken it yet, and its outcome is not kept.
    pub(crate) fn abandon(&self, id: u64) {
        let mut st = self.lock();
        st.pending.retain(|r| r.id != id);
        if st.done.remove(&id).is_none() && st.committing {
            st.abandoned.push(id);
        }
    }
}

impl Store {
    /// Runs the domain `write` group-committed with whatever other writes
    /// and audit entries are pending (see [`Op`]): its rows and its entry
    /// are durable, in one transaction with the others', when this returns
    /// its answer and its entry's index. A write that fails is undone alone
    /// and its error, labelled `label`, is its caller's only; a group that
    /// fails as a whole fails every caller in it.
    pub(crate) fn write_grouped<T: Any + Send>(
        &self,
        keys: &Keys,
        label: &'static str,
        write: impl for<'a> FnOnce(&'a mut AnyConnection, &'a Parts) -> Writing<'a, (T, Ready)>
        + Send
        + 'static,
    ) -> Result<(T, u64), StoreError> {
        let done = self
            .group
            .append(self, keys, Work::Op(op(write)))
            .map_err(|e| e.relabel(label))?;
        let answer = done
            .value
            .and_then(|v| v.downcast::<T>().ok())
            .ok_or_else(|| crate::invalid("a grouped write's answer came back as another type"))?;
        Ok((*answer, done.index))
    }
}

impl State {
    /// Ends a commit whose callers were `finished`: whom to wake, once the
    /// lock is released. Those of them asleep (their outcomes are ready),
    /// and the caller of the oldest pending entry, if asleep, to lead the
    /// next group (a caller arriving meanwhile may lead it first; the one
    /// woken then sleeps again).
    fn settle(&mut self, finished: &[u64]) -> Vec<Thread> {
        self.committing = false;
        for id in std::mem::take(&mut self.abandoned) {
            self.done.remove(&id);
        }
        let mut wake: Vec<Thread> = finished
            .iter()
            .filter_map(|id| self.asleep.remove(id))
            .collect();
        if let Some(next) = self
            .pending
            .iter()
            .find(|r| self.asleep.contains_key(&r.id))
        {
            wake.extend(self.asleep.remove(&next.id));
        }
        wake
    }
}

/// The group a leader is committing. Dropped without [`Leading::finish`] (the
/// commit panicked), it fails every caller of the group, so none waits forever.
struct Leading<'a> {
    queue: &'a Queue,
    /// The leader's own ticket.
    me: u64,
    /// The group's callers, in the order of their entries; empty once finished.
    ids: Vec<u64>,
}

impl Leading<'_> {
    /// Hands each caller its outcome: its own when the group committed, else
    /// the group's error (the original to the leader, a description of it to
    /// the others). Returns the callers to wake.
    fn finish(&mut self, st: &mut State, result: Committed) -> Vec<Thread> {
        let (ids, me) = (std::mem::take(&mut self.ids), self.me);
        match result {
            Ok(outcomes) if outcomes.len() == ids.len() => {
                for (&id, outcome) in ids.iter().zip(outcomes) {
                    st.done.insert(id, outcome);
                }
            }
            Ok(outcomes) => {
                // A commit answers every caller; should one not, none is left waiting.
                let problem = format!("a group of {} gave {} outcomes", ids.len(), outcomes.len());
                for &id in &ids {
                    st.done.insert(
                        id,
                        Err(StoreError::GroupFailed {
                            problem: problem.clone(),
                        }),
                    );
                }
            }
            Err(e) => {
                let problem = describe(&e);
                for &id in ids.iter().filter(|&&id| id != me) {
                    st.done.insert(
                        id,
                        Err(StoreError::GroupFailed {
                            problem: problem.clone(),
                        }),
                    );
                }
                st.done.insert(me, Err(e));
            }
        }
        st.settle(&ids)
    }
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if self.ids.is_empty() {
            return;
        }
        let mut st = self.queue.lock();
        let ids = std::mem::take(&mut self.ids);
        // The leader is unwinding: nobody will collect its own outcome.
        for &id in ids.iter().filter(|&&id| id != self.me) {
            st.done.insert(
                id,
                Err(StoreError::GroupFailed {
                    problem: "the thread committing the group panicked".into(),
                }),
            );
        }
        let wake = st.settle(&ids);
        drop(st);
        wake.iter().for_each(Thread::unpark);
    }
}

/// An error and its causes on one line (the store's errors name tables and
/// operations, never personal data).
fn describe(e: &StoreError) -> String {
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    const A: [u8; 32] = [1; 32];
    const B: [u8; 32] = [2; 32];
    /// Long enough for any scheduler. Callers run on threads of their own,
    /// not joined on failure: a caller left asleep fails the test here
    /// instead of hanging it.
    const PATIENCE: Duration = Duration::from_secs(10);

    fn entry() -> Work {
        Work::Entry(crate::audit::prepare("test", serde_json::json!({})).unwrap())
    }

    /// A commit of `n` plain entries from index `first`.
    fn indexed(first: u64, n: usize) -> Committed {
        Ok((0..n as u64)
            .map(|k| {
                Ok(Done {
                    index: first + k,
                    head: head(),
                    value: None,
                })
            })
            .collect())
    }

    fn head() -> SignedTreeHead {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        SignedTreeHead::sign(&key, 1, [0; 32], 0)
    }

    /// Waits, failing after [`PATIENCE`], until the caller of ticket `id` is asleep.
    fn until_asleep(q: &Queue, id: u64) {
        let t = std::time::Instant::now();
        while !q.lock().asleep.contains_key(&id) {
            assert!(t.elapsed() < PATIENCE, "ticket {id} never slept");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Starts a leader of `key` whose commit, once it has begun, waits for
    /// the returned sender and then does `then`. Returns once it has begun.
    fn held_commit(
        q: &Arc<Queue>,
        key: [u8; 32],
        then: fn() -> Committed,
    ) -> (
        mpsc::Sender<()>,
        mpsc::Receiver<std::thread::Result<Outcome>>,
    ) {
        let (started, started_rx) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        let (done, done_rx) = mpsc::channel();
        let q = Arc::clone(q);
        std::thread::spawn(move || {
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let id = q.submit_keyed(key, entry());
                q.wait_keyed(key, id, |_| {
                    started.send(()).unwrap();
                    release_rx.recv().unwrap();
                    then()
                })
            }));
            let _ = done.send(got);
        });
        started_rx.recv_timeout(PATIENCE).unwrap();
        (release, done_rx)
    }

    /// Waits for ticket `id` of `key` on a thread of its own, its group
    /// committed as `commit` says; the index comes back on the channel.
    fn waiter(
        q: &Arc<Queue>,
        key: [u8; 32],
        id: u64,
        commit: fn(usize) -> Committed,
    ) -> mpsc::Receiver<Result<u64, String>> {
        let (answer, answers) = mpsc::channel();
        let q = Arc::clone(q);
        std::thread::spawn(move || {
            let got = q.wait_keyed(key, id, |group| commit(group.len()));
            let _ = answer.send(got.map(|d| d.index).map_err(|e| e.to_string()));
        });
        answers
    }

    /// A caller asleep behind a commit of another key, with an older
    /// entry of its own key whose owner is not waiting: when the commit
    /// ends, it is woken to lead its key's group, and the entry queued
    /// before it is written first.
    #[test]
    fn the_next_leader_is_woken_past_a_ticket_nobody_waits_for() {
        let q = Arc::new(Queue::default());
        let (release, leader) = held_commit(&q, A, || indexed(0, 1));
        let queued = q.submit_keyed(B, entry());
        let id = q.submit_keyed(B, entry());
        let answer = waiter(&q, B, id, |n| {
            assert_eq!(n, 2, "the queued entry and its own");
            indexed(10, n)
        });
        until_asleep(&q, id);
        release.send(()).unwrap();
        assert_eq!(answer.recv_timeout(PATIENCE).unwrap(), Ok(11));
        let first = leader.recv_timeout(PATIENCE).unwrap().unwrap();
        assert_eq!(first.unwrap().index, 0);
        // The queued ticket's outcome waits for it; no second commit.
        let got = q.wait_keyed(B, queued, |_| panic!("already written"));
        assert_eq!(got.unwrap().index, 10);
    }

    /// A commit that panics fails its callers, and the caller asleep behind
    /// it is woken to commit its own group; nothing is left behind.
    #[test]
    fn a_panicking_commit_wakes_the_next_leader() {
        let q = Arc::new(Queue::default());
        let (release, leader) = held_commit(&q, A, || panic!("the commit panicked (on purpose)"));
        let id = q.submit_keyed(A, entry());
        let answer = waiter(&q, A, id, |n| {
            assert_eq!(n, 1);
            indexed(5, n)
        });
        until_asleep(&q, id);
        release.send(()).unwrap();
        assert_eq!(answer.recv_timeout(PATIENCE).unwrap(), Ok(5));
        assert!(leader.recv_timeout(PATIENCE).unwrap().is_err());
        let st = q.lock();
        assert!(st.done.is_empty() && st.asleep.is_empty() && !st.committing);
    }

    /// Callers asleep in the group being committed are each woken with
    /// their own outcome, in their entries' order.
    #[test]
    fn every_caller_of_a_group_is_woken_with_its_outcome() {
        let q = Arc::new(Queue::default());
        let (release, leader) = held_commit(&q, A, || indexed(0, 1));
        let ids: Vec<u64> = (0..5).map(|_| q.submit_keyed(A, entry())).collect();
        let answers: Vec<_> = ids
            .iter()
            .map(|&id| waiter(&q, A, id, |n| indexed(100 - n as u64, n)))
            .collect();
        for &id in &ids {
            until_asleep(&q, id);
        }
        release.send(()).unwrap();
        for (k, answer) in answers.iter().enumerate() {
            assert_eq!(answer.recv_timeout(PATIENCE).unwrap(), Ok(95 + k as u64));
        }
        let first = leader.recv_timeout(PATIENCE).unwrap().unwrap();
        assert_eq!(first.unwrap().index, 0);
    }

    /// The `ledger` each entry of `s` commits to, in order.
    fn ledger_fields(s: &Store) -> Vec<String> {
        s.audit_entries()
            .unwrap()
            .iter()
            .map(|e| {
                let body: serde_json::Value = serde_json::from_str(&e.body).unwrap();
                body["ledger"].as_str().unwrap().to_string()
            })
            .collect()
    }

    /// The store's side: three consent withdrawals committed as one group,
    /// the second failing after it has written (its row, the consent index,
    /// the ledger's digests) on a statement the database refuses (which on
    /// PostgreSQL aborts the transaction until the savepoint is rolled
    /// back). It alone is undone and fails; the other two are written with
    /// consecutive indexes under one head, and each entry commits the ledger
    /// as it stood right after its own write: the very roots of the same two
    /// withdrawals made one at a time.
    fn a_failed_write_in_a_group_is_undone_alone(pg: bool) {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::create(&dir.path().join("keys")).unwrap();
        let subject = |p: &str| keys.subject_hash(p.as_bytes());
        if pg && crate::testing::fresh_postgres_database().is_none() {
            return;
        }
        let open = |name: &str| {
            let location = if pg {
                crate::testing::fresh_postgres_database().unwrap()
            } else {
                dir.path().join(name).display().to_string()
            };
            let s = Store::open(&location).unwrap();
            let records: Vec<_> = ["a", "b", "c"]
                .iter()
                .map(|p| crate::ConsentRecord {
                    subject: subject(p),
                    transfer: "t".into(),
                    granted_at: "2026-01-01".into(),
                    withdrawn_at: None,
                })
                .collect();
            s.consent_import(&keys, &records, "consents.csv").unwrap();
            s
        };
        let withdraw =
            |p: &str| crate::consent::withdrawal(subject(p), Some("t".into()), "2026-02-01".into());

        let one_at_a_time = open("alone.db");
        for p in ["a", "c"] {
            let n = one_at_a_time
                .consent_withdraw(&keys, subject(p), Some("t"), "2026-02-01")
                .unwrap();
            assert_eq!(n, 1);
        }
        let want = ledger_fields(&one_at_a_time);

        let s = open("grouped.db");
        let before = ledger_fields(&s);
        assert_eq!(before, want[..1], "both stores start alike");
        let b = withdraw("b");
        let ids = [
            s.group.submit(&keys, Work::Op(op(withdraw("a")))),
            s.group.submit(
                &keys,
                Work::Op(op(move |conn, parts| {
                    Box::pin(async move {
                        let (n, _) = b(conn, parts).await?;
                        assert_eq!(n, 1, "it wrote before failing");
                        sqlx::query("SELECT no_such_column FROM meta")
                            .execute(&mut *conn)
                            .await?;
                        Err::<(u64, Ready), _>(crate::invalid("the statement did not fail"))
                    })
                })),
            ),
            s.group.submit(&keys, Work::Op(op(withdraw("c")))),
        ];
        let a = s.group.wait(&s, &keys, ids[0]).unwrap();
        let failed = s.group.wait(&s, &keys, ids[1]);
        let c = s.group.wait(&s, &keys, ids[2]).unwrap();
        assert!(
            matches!(&failed, Err(StoreError::Db { .. })),
            "the failed write gets its own error: {:?}",
            failed.err()
        );
        assert_eq!((a.index, c.index), (1, 2));
        assert_eq!((a.head.size, c.head.size), (3, 3), "one head for the group");
        let answer = |d: Done| *d.value.unwrap().downcast::<u64>().unwrap();
        assert_eq!((answer(a), answer(c)), (1, 1));
        assert_eq!(
            s.consented("t", "2026-03-01").unwrap(),
            std::collections::HashSet::from([subject("b")]),
            "b's withdrawal was undone"
        );
        let report = s.audit_verify(&keys).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(ledger_fields(&s), want);
        assert_ne!(want[1], want[2]);

        // The same failing write alone in its group (no savepoint): nothing of it stays.
        let b = withdraw("b");
        let alone = s.write_grouped(&keys, "withdraw consent", move |conn, parts| {
            Box::pin(async move {
                b(conn, parts).await?;
                Err::<(u64, Ready), _>(crate::invalid("refused on purpose"))
            })
        });
        assert!(matches!(alone, Err(e) if e.to_string().contains("refused on purpose")));
        assert_eq!(
            s.consented("t", "2026-03-01").unwrap(),
            std::collections::HashSet::from([subject("b")])
        );
        assert_eq!(ledger_fields(&s), want, "no entry for it");
        let report = s.audit_verify(&keys).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }

    #[test]
    fn a_failed_write_in_a_group_is_undone_alone_sqlite() {
        a_failed_write_in_a_group_is_undone_alone(false);
    }

    /// Runs only when `OUTBOUND_TEST_POSTGRES` names a server.
    #[test]
    fn a_failed_write_in_a_group_is_undone_alone_postgres() {
        a_failed_write_in_a_group_is_undone_alone(true);
    }

    /// A group holds this key's plain entries and at most [`MAX_WRITES`]
    /// domain writes, the oldest, with the leader's own always among them;
    /// the writes left over make the next group.
    #[test]
    fn a_group_holds_at_most_max_writes() {
        let q = Queue::default();
        let write = || {
            Work::Op(op(|_, _| {
                Box::pin(async { Err::<((), Ready), _>(crate::invalid("not run here")) })
            }))
        };
        let ids: Vec<u64> = (0..MAX_WRITES + 5)
            .map(|_| q.submit_keyed(A, write()))
            .collect();
        let plain = q.submit_keyed(A, entry());
        let other_key = q.submit_keyed(B, write());
        let newest = *ids.last().unwrap();
        let shape = |group: &[Work]| {
            let writes = group.iter().filter(|w| matches!(w, Work::Op(_))).count();
            (writes, group.len() - writes)
        };
        let got = q.wait_keyed(A, newest, |group| {
            assert_eq!(
                shape(&group),
                (MAX_WRITES, 1),
                "32 writes and the plain entry"
            );
            indexed(0, group.len())
        });
        // The oldest 31 writes, then the leader's own, then the plain entry.
        assert_eq!(got.unwrap().index, MAX_WRITES as u64 - 1);
        let plain = q.wait_keyed(A, plain, |_| panic!("already written"));
        assert_eq!(plain.unwrap().index, MAX_WRITES as u64);
        let left = q.wait_keyed(A, ids[MAX_WRITES - 1], |group| {
            assert_eq!(shape(&group), (5, 0), "the writes left over");
            indexed(100, group.len())
        });
        assert_eq!(left.unwrap().index, 100);
        for (k, &id) in ids.iter().enumerate().take(MAX_WRITES - 1) {
            let got = q.wait_keyed(A, id, |_| panic!("already written"));
            assert_eq!(got.unwrap().index, k as u64);
        }
        let st = q.lock();
        let left: Vec<u64> = st.pending.iter().map(|r| r.id).collect();
        assert_eq!(left, [other_key], "only the other key's write is left");
    }
}
