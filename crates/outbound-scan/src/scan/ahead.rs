//! A JSON document's held records scanned on the pool's other threads
//! while the reader goes on.
//!
//! The reader ([`super::jsondoc::Limited`]) holds each record whole; on
//! one thread it scans it there and then. With more threads, records are
//! gathered into batches of about [`BATCH`] bytes which any thread of the
//! pool scans, and the reader frames the next ones meanwhile. The report
//! is the one a single thread gives.
//!
//! Why scanning behind the reader is safe: a held record goes to serde as
//! `null` whether or not it then parses, and a `null` changes nothing
//! serde's visitor counts. What a record that is not JSON changes on one
//! thread, the document ending there with its error, is rebuilt here:
//!
//! - before serde reads a record itself (which its visitor would count),
//!   every batch so far is scanned; if one held a record that is not JSON,
//!   the reader is told so instead, and stops as it would have there;
//! - at the end, batches after that record's, and its own after it, are
//!   dropped ([`Scanned`] stops at it), and so are the records skipped
//!   after it (by their order).

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;

use super::Ctx;
use super::jsondoc::{Held, Record};
use super::merge::Acc;

/// Bytes of records a batch gathers before it is handed to the pool: a
/// few thousand records of an API export, so the hand-over costs nothing
/// next to the scan, and a few batches per core in a document of tens of
/// MB.
pub(super) const BATCH: usize = 1 << 20;

/// Batches that may wait for a thread. Past that the reader scans one
/// itself: memory stays bounded by the threads, not by the document.
const WAITING: usize = 2;

/// Records to scan, their bytes back to back.
#[derive(Default)]
struct Batch {
    index: usize,
    bytes: Vec<u8>,
    records: Vec<Entry>,
}

/// A record of a batch.
struct Entry {
    end: usize,
    top: bool,
    /// Line and column of its first byte in the document.
    at: (u64, u64),
    order: u64,
}

/// A record that is not JSON: its order, and serde's error placed in the
/// document (message, line, column, whether the record ended too soon).
pub(super) struct Invalid {
    pub(super) order: u64,
    pub(super) message: String,
    pub(super) line: u64,
    pub(super) column: u64,
    pub(super) eof: bool,
}

impl Invalid {
    fn held(&self) -> Held {
        Held::Invalid(self.message.clone(), self.line, self.column, self.eof)
    }
}

/// A batch scanned: its counts, up to and with the cells before the error
/// of its first record that is not JSON.
struct Scanned {
    acc: Acc,
    invalid: Option<Invalid>,
}

/// What the reader and the pool's threads share.
pub(super) struct Shared<'a, 'c> {
    ctx: &'a Ctx<'c>,
    waiting: Mutex<VecDeque<Batch>>,
    /// By batch index; `Err` holds a scan's panic.
    scanned: Mutex<Vec<Option<thread::Result<Scanned>>>>,
    one_done: Condvar,
    /// Some batch held a record that is not JSON: the reader stops at its
    /// next record.
    invalid: AtomicBool,
}

/// A lock whose holder panicked still guards plain data: a panic in a
/// scan reaches the caller through the pool's scope anyway.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'a, 'c> Shared<'a, 'c> {
    pub(super) fn new(ctx: &'a Ctx<'c>) -> Self {
        Shared {
            ctx,
            waiting: Mutex::default(),
            scanned: Mutex::default(),
            one_done: Condvar::new(),
            invalid: AtomicBool::new(false),
        }
    }

    /// Scans the batch that has waited longest, if any; false when none
    /// waits.
    fn scan_next(&self) -> bool {
        let Some(batch) = lock(&self.waiting).pop_front() else {
            return false;
        };
        // A panic is carried to the reader, which would otherwise wait for
        // this batch for ever; it goes on from there as on one thread.
        let done = panic::catch_unwind(AssertUnwindSafe(|| scan_batch(&batch, self.ctx)));
        if done.is_err() || done.as_ref().is_ok_and(|d| d.invalid.is_some()) {
            self.invalid.store(true, Ordering::Release);
        }
        let mut scanned = lock(&self.scanned);
        if scanned.len() <= batch.index {
            scanned.resize_with(batch.index + 1, || None);
        }
        scanned[batch.index] = Some(done);
        self.one_done.notify_all();
        true
    }
}

/// Scans a batch's records in order, up to the first that is not JSON.
fn scan_batch(batch: &Batch, ctx: &Ctx<'_>) -> Scanned {
    let mut acc = Acc {
        sample_cap: ctx.samples,
        ..Acc::default()
    };
    let (mut p, mut num) = (String::new(), String::new());
    let mut start = 0;
    for e in &batch.records {
        let rec = &batch.bytes[start..e.end];
        start = e.end;
        let held =
            super::jsonl::scan_held(&mut acc, ctx, (&mut p, &mut num), rec, e.top, e.at, e.order);
        if let Held::Invalid(message, line, column, eof) = held {
            let invalid = Invalid {
                order: e.order,
                message,
                line,
                column,
                eof,
            };
            return Scanned {
                acc,
                invalid: Some(invalid),
            };
        }
    }
    Scanned { acc, invalid: None }
}

/// The reader's side: gathers held records into batches and hands them
/// to the pool.
pub(super) struct Ahead<'a, 's, 'b, 'c> {
    shared: &'s Shared<'b, 'c>,
    scope: &'a rayon::Scope<'s>,
    batch: Batch,
    /// Bytes a batch gathers before it is sent ([`BATCH`]).
    batch_bytes: usize,
    sent: usize,
}

impl<'a, 's, 'b: 's, 'c: 's> Ahead<'a, 's, 'b, 'c> {
    pub(super) fn new(
        shared: &'s Shared<'b, 'c>,
        scope: &'a rayon::Scope<'s>,
        batch_bytes: usize,
    ) -> Self {
        Ahead {
            shared,
            scope,
            batch: Batch::default(),
            batch_bytes,
            sent: 0,
        }
    }

    /// The hook's answer for a record: scanned later (`null` now), or,
    /// when serde reads it itself, what serde may do once every batch so
    /// far is scanned; once a record was found not to be JSON, its error.
    /// The last record is scanned before the answer: it may be cut short
    /// by a read error, which the reader then reports instead.
    pub(super) fn record(&mut self, r: &Record<'_>) -> Held {
        // A record shorter than `null` goes to serde as it is (see
        // `scan_held`): serde counts it, so it waits for the batches too.
        let serde_counts = r.serde_reads || r.bytes.len() < 4;
        if !serde_counts && !self.shared.invalid.load(Ordering::Acquire) {
            self.batch.bytes.extend_from_slice(r.bytes);
            self.batch.records.push(Entry {
                end: self.batch.bytes.len(),
                top: r.top,
                at: r.at,
                order: r.order,
            });
            if self.batch.bytes.len() >= self.batch_bytes {
                self.send();
            }
            if !r.at_end {
                return Held::Scanned;
            }
        }
        self.settle();
        let scanned = lock(&self.shared.scanned);
        match scanned
            .iter()
            .flatten()
            .flatten()
            .find_map(|s| s.invalid.as_ref())
        {
            Some(i) => i.held(),
            None if serde_counts => Held::ToSerde,
            None => Held::Scanned,
        }
    }

    /// Hands the batch being gathered to the pool.
    fn send(&mut self) {
        let mut batch = std::mem::take(&mut self.batch);
        batch.index = self.sent;
        self.sent += 1;
        let waiting = {
            let mut w = lock(&self.shared.waiting);
            w.push_back(batch);
            w.len()
        };
        let shared = self.shared;
        self.scope.spawn(move |_| {
            shared.scan_next();
        });
        if waiting > WAITING {
            self.shared.scan_next();
        }
    }

    /// Returns once every record so far is scanned (the reader scans what
    /// still waits; the rest is being scanned by other threads).
    fn settle(&mut self) {
        if !self.batch.records.is_empty() {
            self.send();
        }
        while self.shared.scan_next() {}
        let mut scanned = lock(&self.shared.scanned);
        while scanned.len() < self.sent || scanned.iter().any(Option::is_none) {
            scanned = self
                .shared
                .one_done
                .wait(scanned)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if let Some(i) = scanned.iter().position(|s| matches!(s, Some(Err(_))))
            && let Some(Err(p)) = scanned[i].take()
        {
            drop(scanned);
            panic::resume_unwind(p);
        }
    }

    /// Every record scanned: the counts of those up to the first that is
    /// not JSON (with its cells before the error), and that record.
    pub(super) fn finish(mut self, mut acc: Acc) -> (Acc, Option<Invalid>) {
        self.settle();
        let scanned = std::mem::take(&mut *lock(&self.shared.scanned));
        // `settle` has resumed any panic: every batch is `Ok`.
        for s in scanned.into_iter().flatten().flatten() {
            acc = acc.merge(s.acc);
            if s.invalid.is_some() {
                return (acc, s.invalid);
            }
        }
        (acc, None)
    }
}
