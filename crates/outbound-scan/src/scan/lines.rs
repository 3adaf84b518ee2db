//! Text and JSON lines: bounded batches of lines scanned on the pool's
//! threads and merged in reading order ([`InOrder`]), so the report is the
//! one a single pass gives.
//!
//! Reading waits while [`out_at_most`] batches are read and not merged
//! (twice the threads, at least 4): one slow batch (long lines, deep JSON)
//! would otherwise let the other threads read and scan the rest of the
//! file, and every batch's counts and lines wait for it in memory.

use std::io::BufRead;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use rayon::prelude::*;

use super::merge::{Acc, InOrder};
use super::{Ctx, LINE_BATCH, MAX_JSON_LINE, MAX_TEXT_LINE, err, jsonl, text};
use crate::read::{LineBatch, LineBatches};

/// How many batches may be read and not merged yet: every thread scanning
/// one with one more waiting for it, so the bound never idles a thread
/// that has work, and at least 4.
fn out_at_most() -> u64 {
    (2 * rayon::current_num_threads() as u64).max(4)
}

/// The counts merged so far and the batches waiting to be.
struct Merged {
    order: InOrder<(Acc, LineBatch)>,
    acc: Acc,
    /// A scan panicked: the batch it held never comes, so reading stops
    /// (the panic goes on from `for_each`).
    failed: bool,
}

/// The batches and their merge, shared by the pool's threads.
struct Shared {
    lines: Mutex<LineBatches<Box<dyn BufRead + Send>>>,
    merged: Mutex<Merged>,
    one_merged: Condvar,
}

impl Shared {
    fn new(lines: LineBatches<Box<dyn BufRead + Send>>, sample_cap: usize) -> Self {
        Shared {
            lines: Mutex::new(lines),
            merged: Mutex::new(Merged {
                order: InOrder::new(),
                acc: Acc {
                    sample_cap,
                    ..Acc::default()
                },
                failed: false,
            }),
            one_merged: Condvar::new(),
        }
    }
}

/// A lock whose holder panicked still guards whole data: a batch's counts
/// are added or not, and the panic goes on from `for_each`.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Scans text (`json` false) or JSON lines from `reader`.
pub(super) fn scan_lines(
    reader: Box<dyn BufRead + Send>,
    json: bool,
    path: &str,
    ctx: &Ctx<'_>,
) -> Acc {
    let max = if json { MAX_JSON_LINE } else { MAX_TEXT_LINE };
    let mut lines = LineBatches::new(reader, LINE_BATCH, max);
    if !json {
        lines = lines.cut_between_values();
    }
    let (mut acc, error) = scan_batches(
        lines,
        ctx.samples,
        |b| {
            if json {
                jsonl::jsonl_batch(b, path, ctx, max)
            } else {
                text::text_batch(b, ctx)
            }
        },
        // Text has one field: it always merges.
        |acc, b| jsonl::jsonl_into(acc, b, path, ctx, max),
    );
    if let Some((line, e)) = error {
        acc.errors.push(err(
            path,
            Some(line),
            format!("read error (input truncated or corrupt): {e}"),
        ));
    }
    acc
}

/// Scans every batch of `lines` with `scan` on the pool's threads and
/// merges the counts in reading order, `rescan` scanning a batch again
/// into the merged counts where its own would not merge as one pass
/// counts. Returns them and the read error that ended the input, if any.
fn scan_batches(
    lines: LineBatches<Box<dyn BufRead + Send>>,
    sample_cap: usize,
    scan: impl Fn(&LineBatch) -> Acc + Sync,
    rescan: impl Fn(&mut Acc, &LineBatch) + Sync,
) -> (Acc, Option<(u64, std::io::Error)>) {
    let shared = Shared::new(lines, sample_cap);
    Batches {
        shared: &shared,
        read: 0,
        out_at_most: out_at_most(),
    }
    .par_bridge()
    .for_each(|(index, b)| {
        let failing = FailOnPanic(&shared);
        let counted = scan(&b);
        let mut guard = lock(&shared.merged);
        let m = &mut *guard;
        m.order.add(index, (counted, b), |(counted, b)| {
            m.acc.add_in_order(counted, |acc| rescan(acc, &b));
            lock(&shared.lines).give_back(b.data);
        });
        drop(guard);
        shared.one_merged.notify_all();
        std::mem::forget(failing);
    });
    let m = shared
        .merged
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    debug_assert!(m.order.is_empty(), "a batch is missing");
    let error = lock(&shared.lines).error.take();
    (m.acc, error)
}

/// The batches, numbered in reading order. `par_bridge` calls `next` on one
/// thread at a time.
struct Batches<'s> {
    shared: &'s Shared,
    /// Batches read so far: the number of the next.
    read: u64,
    /// Batches read and not merged that make reading wait.
    out_at_most: u64,
}

impl Iterator for Batches<'_> {
    type Item = (u64, LineBatch);
    fn next(&mut self) -> Option<Self::Item> {
        {
            let mut m = lock(&self.shared.merged);
            // The oldest batch not merged is being scanned on another
            // thread (every batch read before it was merged), which
            // notifies when it is.
            while !m.failed && self.read >= m.order.handed_on() + self.out_at_most {
                m = self
                    .shared
                    .one_merged
                    .wait(m)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if m.failed {
                return None;
            }
        }
        let b = lock(&self.shared.lines).next()?;
        let index = self.read;
        self.read += 1;
        Some((index, b))
    }
}

/// Marks the merge failed when a scan panics, so that reading does not
/// wait for the batch for ever (forgotten when the scan returns).
struct FailOnPanic<'s>(&'s Shared);

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        lock(&self.0.merged).failed = true;
        self.0.one_merged.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::panic::AssertUnwindSafe;

    use super::*;

    /// `n` lines.
    fn lines(n: usize) -> LineBatches<Box<dyn BufRead + Send>> {
        let text: String = (0..n).map(|i| format!("line {i}\n")).collect();
        let reader: Box<dyn BufRead + Send> = Box::new(std::io::Cursor::new(text.into_bytes()));
        LineBatches::new(reader, 1, 1 << 10)
    }

    /// Batches of `n` lines, a line each, that make reading wait past 4.
    fn batches(s: &Shared) -> Batches<'_> {
        Batches {
            shared: s,
            read: 0,
            out_at_most: 4,
        }
    }

    /// Merges batch `index`, counted as empty, as a scan's end does.
    fn merge(s: &Shared, index: u64, b: LineBatch) {
        lock(&s.merged)
            .order
            .add(index, (Acc::default(), b), |_| {});
        s.one_merged.notify_all();
    }

    #[test]
    fn reading_waits_while_the_oldest_batch_is_not_merged() {
        let s = Shared::new(lines(20), 0);
        let mut batches = batches(&s);
        let mut held: Vec<(u64, LineBatch)> = (0..4).map(|_| batches.next().unwrap()).collect();
        assert_eq!(held.iter().map(|h| h.0).collect::<Vec<_>>(), [0, 1, 2, 3]);
        // Batches after the oldest merge or not: reading still waits for it.
        for (i, b) in held.drain(1..) {
            merge(&s, i, b);
        }
        std::thread::scope(|scope| {
            let reader = scope.spawn(|| batches.next().map(|b| b.0));
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!reader.is_finished(), "read past 4 batches not merged");
            let (i, b) = held.pop().unwrap();
            merge(&s, i, b);
            assert_eq!(reader.join().unwrap(), Some(4));
        });
    }

    #[test]
    fn every_batch_is_merged_on_many_threads() {
        // More threads than the least bound, and so more batches out.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(8)
            .build()
            .unwrap();
        assert_eq!(pool.install(out_at_most), 16);
        let (acc, error) = pool.install(|| {
            scan_batches(
                lines(2_000),
                0,
                |b| Acc {
                    records: b.first_line,
                    ..Acc::default()
                },
                |_, _| unreachable!("no field: every batch merges"),
            )
        });
        assert!(error.is_none());
        // Line numbers 1 to 2,000, one batch each, summed.
        assert_eq!(acc.records, 2_000 * 2_001 / 2);
    }

    #[test]
    fn a_panicking_scan_does_not_hang_reading() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
            pool.install(|| {
                scan_batches(
                    lines(200),
                    0,
                    |b| {
                        assert_ne!(b.first_line, 1, "a scan panics");
                        Acc::default()
                    },
                    |_, _| {},
                )
            })
        }));
        assert!(r.is_err());
    }
}
