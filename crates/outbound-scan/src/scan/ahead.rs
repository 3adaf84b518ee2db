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
//! - batches are merged in their order, and nothing after the first
//!   record that is not JSON is merged: the batches after its, and its
//!   own after it ([`scan_records`] stops there);
//! - before serde reads a record itself (which its visitor would count),
//!   every batch so far is merged; if one held a record that is not JSON,
//!   the reader is told so instead, and stops as it would have there;
//! - the records skipped after that record are dropped by their order
//!   (the caller's part).
//!
//! Merging in order also keeps the field limit ([`super::MAX_FIELDS`])
//! exact: the merged counts give fields to names in the order one thread
//! meets them, and a batch whose counts would not merge as one pass
//! counts (one that reached the limit on its own, or whose names would
//! go to `(other fields)`: [`Acc::merges_as_one_pass`]) is scanned again
//! into the merged counts, as one thread would have scanned it.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::Ctx;
use super::jsondoc::{Held, Record};
use super::merge::{Acc, InOrder};

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
    index: u64,
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

/// A batch scanned on its own: its counts (with the cells before the
/// error of its first record that is not JSON), that record, and the
/// batch, scanned again in order where its counts do not merge as one
/// pass counts ([`Acc::merges_as_one_pass`]).
struct Scanned {
    acc: Box<Acc>,
    invalid: Option<Invalid>,
    batch: Batch,
}

/// The batches merged so far, in order.
struct Merged {
    /// Batches scanned but not merged yet (they finish out of order): at
    /// most the threads' and the waiting ones.
    order: InOrder<std::thread::Result<Scanned>>,
    /// Counts of the batches merged.
    acc: Acc,
    /// The first record that is not JSON: nothing after it is merged.
    invalid: Option<Invalid>,
    /// The panic of a batch merged in order, for the reader to resume.
    panic: Option<Box<dyn Any + Send>>,
}

impl Merged {
    /// Whether a record was found not to be JSON or a scan panicked:
    /// nothing more is counted.
    fn ended(&self) -> bool {
        self.invalid.is_some() || self.panic.is_some()
    }
}

/// What the reader and the pool's threads share.
pub(super) struct Shared<'a, 'c> {
    ctx: &'a Ctx<'c>,
    waiting: Mutex<VecDeque<Batch>>,
    merged: Mutex<Merged>,
    one_merged: Condvar,
    /// Some batch held a record that is not JSON (or panicked): the
    /// reader stops at its next record.
    stop: AtomicBool,
}

/// A lock whose holder panicked still guards plain data: a panic in a
/// scan reaches the reader through [`Merged::panic`] anyway.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'a, 'c> Shared<'a, 'c> {
    pub(super) fn new(ctx: &'a Ctx<'c>) -> Self {
        Shared {
            ctx,
            waiting: Mutex::default(),
            merged: Mutex::new(Merged {
                order: InOrder::new(),
                acc: Acc {
                    sample_cap: ctx.samples,
                    ..Acc::default()
                },
                invalid: None,
                panic: None,
            }),
            one_merged: Condvar::new(),
            stop: AtomicBool::new(false),
        }
    }

    /// Scans the batch that has waited longest, if any, and merges what
    /// is next in order; false when none waits.
    fn scan_next(&self) -> bool {
        let Some(batch) = lock(&self.waiting).pop_front() else {
            return false;
        };
        let index = batch.index;
        // A panic is carried to the reader, which would otherwise wait for
        // this batch for ever.
        let scanned = panic::catch_unwind(AssertUnwindSafe(|| {
            let mut acc = Acc {
                sample_cap: self.ctx.samples,
                ..Acc::default()
            };
            let invalid = scan_records(&mut acc, &batch, self.ctx);
            (acc, invalid)
        }))
        .map(|(acc, invalid)| Scanned {
            acc: Box::new(acc),
            invalid,
            batch,
        });
        if matches!(
            &scanned,
            Err(_)
                | Ok(Scanned {
                    invalid: Some(_),
                    ..
                })
        ) {
            self.stop.store(true, Ordering::Release);
        }
        let mut guard = lock(&self.merged);
        let m = &mut *guard;
        let (acc, invalid, panicked) = (&mut m.acc, &mut m.invalid, &mut m.panic);
        m.order.add(index, scanned, |scanned| {
            if invalid.is_some() || panicked.is_some() {
                return;
            }
            match scanned {
                Err(p) => *panicked = Some(p),
                Ok(s) => {
                    let mut found = s.invalid;
                    acc.add_in_order(*s.acc, |acc| {
                        let r = panic::catch_unwind(AssertUnwindSafe(|| {
                            scan_records(acc, &s.batch, self.ctx)
                        }));
                        found = r.unwrap_or_else(|p| {
                            *panicked = Some(p);
                            None
                        });
                    });
                    *invalid = found;
                }
            }
        });
        drop(guard);
        self.one_merged.notify_all();
        true
    }
}

/// Scans a batch's records in order into `acc`, up to the first that is
/// not JSON, which it returns.
fn scan_records(acc: &mut Acc, batch: &Batch, ctx: &Ctx<'_>) -> Option<Invalid> {
    let (mut p, mut num) = (String::new(), String::new());
    let mut start = 0;
    for e in &batch.records {
        let rec = &batch.bytes[start..e.end];
        start = e.end;
        let held = super::jsonl::scan_held(acc, ctx, (&mut p, &mut num), rec, e.top, e.at, e.order);
        if let Held::Invalid(message, line, column, eof) = held {
            return Some(Invalid {
                order: e.order,
                message,
                line,
                column,
                eof,
            });
        }
    }
    None
}

/// The reader's side: gathers held records into batches and hands them
/// to the pool.
pub(super) struct Ahead<'a, 's, 'b, 'c> {
    shared: &'s Shared<'b, 'c>,
    scope: &'a rayon::Scope<'s>,
    batch: Batch,
    /// Bytes a batch gathers before it is sent ([`BATCH`]).
    batch_bytes: usize,
    sent: u64,
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
    /// when serde reads it itself, what serde may do once every record
    /// before it is counted; once a record was found not to be JSON, its
    /// error. The last record is counted before the answer: it may be cut
    /// short by a read error, which the reader then reports instead.
    pub(super) fn record(&mut self, r: &Record<'_>) -> Held {
        if !r.serde_reads {
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
            // A batch found a record that is not JSON: the reader stops
            // at the first such record's error, as soon as it is known.
            if !r.at_end && !self.shared.stop.load(Ordering::Acquire) {
                return Held::Scanned;
            }
        }
        let m = self.settle();
        match &m.invalid {
            Some(i) => i.held(),
            None if r.serde_reads => Held::ToSerde,
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

    /// Counts every record so far: waits for the batches sent (the reader
    /// scans those still waiting), then scans the one being gathered into
    /// the merged counts itself (nothing is in flight then, and a batch a
    /// record long is not worth a thread). Resumes a scan's panic.
    fn settle(&mut self) -> MutexGuard<'s, Merged> {
        while self.shared.scan_next() {}
        let mut m = lock(&self.shared.merged);
        while m.order.handed_on() < self.sent {
            m = self
                .shared
                .one_merged
                .wait(m)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let batch = std::mem::take(&mut self.batch);
        if !batch.records.is_empty() && !m.ended() {
            m.invalid = scan_records(&mut m.acc, &batch, self.shared.ctx);
            if m.invalid.is_some() {
                self.shared.stop.store(true, Ordering::Release);
            }
        }
        if let Some(p) = m.panic.take() {
            drop(m);
            panic::resume_unwind(p);
        }
        m
    }

    /// Every record counted: the counts of those up to the first that is
    /// not JSON (with its cells before the error), and that record.
    pub(super) fn finish(mut self) -> (Acc, Option<Invalid>) {
        let mut m = self.settle();
        (std::mem::take(&mut m.acc), m.invalid.take())
    }
}
