//! Group commit for the audit log.
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
//! What does not change: each group's transaction takes the store's lock row
//! and runs the same check ([`crate::state::check`]) as any write, so two
//! processes appending to one store stay exact; a caller returns only after
//! its group has committed; a group that fails (a database error, a failed
//! commit, a panic) leaves nothing of itself in the log, and every caller in it
//! gets an error. A group holds only entries to be signed by the same key.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::StoreError;
use crate::audit::Ready;
use crate::keys::Keys;
use crate::signed_head::SignedTreeHead;
use crate::store::Store;

/// What a caller gets: its entry's index and a signed head covering it.
type Outcome = Result<(u64, SignedTreeHead), StoreError>;

/// The appends waiting for a commit, and the outcomes not yet collected.
#[derive(Default)]
pub(crate) struct Queue {
    state: Mutex<State>,
    wake: Condvar,
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
    /// Whether a leader is waiting for more entries before it commits.
    lingering: bool,
}

/// How long a leader waits for entries to arrive, at most, when fewer are
/// pending than the last group held: callers that each wait for their append
/// come back a moment after their group commits, and without this wait the
/// first of them would commit alone (measured: 4.4 entries per group from 8
/// such callers). A lone caller (last group of one) never waits.
const LINGER: std::time::Duration = std::time::Duration::from_micros(300);

struct Request {
    id: u64,
    /// The verifying key that will sign the group's head.
    key: [u8; 32],
    entry: Ready,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; a poisoned lock still holds consistent state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `entry`, committed with whatever other appends are pending;
    /// returns once the group is durable (or has failed).
    pub(crate) fn append(&self, store: &Store, keys: &Keys, entry: Ready) -> Outcome {
        let id = self.submit(keys, entry);
        self.wait(store, keys, id)
    }

    /// Queues `entry` for the next group and returns its ticket number at once.
    pub(crate) fn submit(&self, keys: &Keys, entry: Ready) -> u64 {
        let key = keys.verifying().to_bytes();
        let mut st = self.lock();
        let id = st.next;
        st.next += 1;
        st.pending.push(Request { id, key, entry });
        if st.lingering {
            self.wake.notify_all();
        }
        id
    }

    /// Waits for the outcome of ticket `id`, committing a group when no other
    /// caller is: every pending entry signed by `keys`, this one included.
    pub(crate) fn wait(&self, store: &Store, keys: &Keys, id: u64) -> Outcome {
        let key = keys.verifying().to_bytes();
        let mut st = self.lock();
        loop {
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
                    st.lingering = true;
                    st = self
                        .wake
                        .wait_timeout(st, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                st.lingering = false;
                let (group, others): (Vec<_>, Vec<_>) = std::mem::take(&mut st.pending)
                    .into_iter()
                    .partition(|r| r.key == key);
                st.pending = others;
                st.last_group = group.len();
                drop(st);
                let mut leading = Leading {
                    queue: self,
                    ids: group.iter().map(|r| r.id).collect(),
                };
                let result = store.commit_ready(keys, group.into_iter().map(|r| r.entry).collect());
                st = self.lock();
                leading.finish(&mut st, id, result);
                continue;
            }
            st = self.wake.wait(st).unwrap_or_else(|e| e.into_inner());
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

/// The group a leader is committing. Dropped without [`Leading::finish`] (the
/// commit panicked), it fails every caller of the group, so none waits forever.
struct Leading<'a> {
    queue: &'a Queue,
    /// The group's callers, in the order of their entries; empty once finished.
    ids: Vec<u64>,
}

impl Leading<'_> {
    /// Hands each caller its outcome: an index and the head, or an error (the
    /// original to the leader `me`, a description of it to the others).
    fn finish(&mut self, st: &mut State, me: u64, result: Outcome) {
        let ids = std::mem::take(&mut self.ids);
        match result {
            Ok((first, head)) => {
                for (k, id) in ids.into_iter().enumerate() {
                    st.done.insert(id, Ok((first + k as u64, head.clone())));
                }
            }
            Err(e) => {
                let problem = describe(&e);
                for id in ids.into_iter().filter(|&id| id != me) {
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
        for id in std::mem::take(&mut st.abandoned) {
            st.done.remove(&id);
        }
        st.committing = false;
        self.queue.wake.notify_all();
    }
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if self.ids.is_empty() {
            return;
        }
        let mut st = self.queue.lock();
        for id in std::mem::take(&mut self.ids) {
            st.done.insert(
                id,
                Err(StoreError::GroupFailed {
                    problem: "the thread committing the group panicked".into(),
                }),
            );
        }
        st.committing = false;
        self.queue.wake.notify_all();
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
