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
use std::sync::{Mutex, MutexGuard};
use std::thread::Thread;

use crate::StoreError;
use crate::audit::Ready;
use crate::keys::Keys;
use crate::signed_head::SignedTreeHead;
use crate::store::Store;

/// What a caller gets: its entry's index and a signed head covering it.
type Outcome = Result<(u64, SignedTreeHead), StoreError>;

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
        if let Some(leader) = &st.lingering {
            leader.unpark();
        }
        id
    }

    /// Waits for the outcome of ticket `id`, committing a group when no other
    /// caller is: every pending entry signed by `keys`, this one included.
    pub(crate) fn wait(&self, store: &Store, keys: &Keys, id: u64) -> Outcome {
        let key = keys.verifying().to_bytes();
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
                    st.lingering = Some(std::thread::current());
                    drop(st);
                    std::thread::park_timeout(deadline - now);
                    st = self.lock();
                }
                st.lingering = None;
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
                let wake = leading.finish(&mut st, id, result);
                drop(st);
                wake.iter().for_each(Thread::unpark);
                st = self.lock();
                continue;
            }
            st.asleep.insert(id, std::thread::current());
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

impl State {
    /// Ends a commit: whom to wake, once the lock is released. Every
    /// sleeping caller whose outcome is ready, and the caller of the oldest
    /// pending entry, if asleep, to lead the next group (a caller arriving
    /// meanwhile may lead it first; the one woken then sleeps again).
    fn settle(&mut self) -> Vec<Thread> {
        self.committing = false;
        for id in std::mem::take(&mut self.abandoned) {
            self.done.remove(&id);
        }
        let mut wake: Vec<Thread> = Vec::new();
        for id in self.done.keys() {
            wake.extend(self.asleep.remove(id));
        }
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
    /// The group's callers, in the order of their entries; empty once finished.
    ids: Vec<u64>,
}

impl Leading<'_> {
    /// Hands each caller its outcome: an index and the head, or an error (the
    /// original to the leader `me`, a description of it to the others).
    /// Returns the callers to wake.
    fn finish(&mut self, st: &mut State, me: u64, result: Outcome) -> Vec<Thread> {
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
        st.settle()
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
        let wake = st.settle();
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
