//! Several tables read at once, the report as if read one by one.
//!
//! Up to `threads` readers, each on its own thread with its own connection
//! (its own read-only transaction per table), take the tables in report
//! order and send their rows, in batches over a small bounded channel per
//! table, to the one thread that scans them. That thread scans table 1,
//! then table 2, … exactly in the order a single reader would, so the
//! report (fields, masked samples, errors, distinct individuals) is the
//! same byte for byte whatever the number of threads; the readers only
//! work ahead. Memory stays bounded: at most [`QUEUE`] batches of
//! [`BATCH`] rows wait per table being read.
//!
//! Why the scanning itself stays on one thread: [`RowScan`] takes the
//! table being scanned by `&mut`. The database side (the driver's
//! decoding, SQLite's own reading and text conversion, PostgreSQL's
//! server processes) is what runs in parallel.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Mutex, PoisonError};

use outbound_scan::{RowScan, TableInfo};

/// Rows per message.
pub(crate) const BATCH: usize = 256;
/// Messages waiting per table.
const QUEUE: usize = 8;

/// A row whose cells the scanner can read as text.
pub(crate) trait Cells: Send + 'static {
    /// Cell `i` as UTF-8 bytes; `None` for NULL or a value not scanned.
    fn cell(&self, i: usize) -> Option<&[u8]>;
}

/// What a reader tells the scanner about one table.
pub(crate) enum Msg<R> {
    /// The table starts: its columns; the first `skip` cells of each row
    /// are the reader's own (a rowid) and not scanned.
    Start { columns: Vec<String>, skip: usize },
    /// Rows, in order.
    Rows(Vec<R>),
    /// The table was read (or reading stopped: `failure`).
    End {
        info: TableInfo,
        failure: Option<String>,
    },
    /// The table could not be read at all.
    Fail(String),
}

/// A reader's end of one table's channel.
pub(crate) struct Sink<R> {
    tx: SyncSender<Msg<R>>,
    batch: Vec<R>,
    sent: u64,
}

impl<R> Sink<R> {
    /// Starts the table.
    pub(crate) fn start(&mut self, columns: Vec<String>, skip: usize) -> bool {
        self.tx.send(Msg::Start { columns, skip }).is_ok()
    }

    /// Adds a row; false once the scanner is gone (stop reading).
    pub(crate) fn row(&mut self, r: R) -> bool {
        self.batch.push(r);
        self.sent += 1;
        if self.batch.len() < BATCH {
            return true;
        }
        self.flush()
    }

    fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let b = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.tx.send(Msg::Rows(b)).is_ok()
    }

    /// Rows added so far.
    pub(crate) fn sent(&self) -> u64 {
        self.sent
    }

    /// Ends the table.
    pub(crate) fn end(mut self, info: TableInfo, failure: Option<String>) {
        if self.flush() {
            let _ = self.tx.send(Msg::End { info, failure });
        }
    }

    /// The table could not be read.
    pub(crate) fn fail(self, message: String) {
        let _ = self.tx.send(Msg::Fail(message));
    }
}

/// One worker's state: created on its thread by `open`, used by `read`
/// for each table it takes, then given to `close`.
pub(crate) struct Plan<'a, J, R, W> {
    pub(crate) jobs: &'a [J],
    pub(crate) threads: usize,
    pub(crate) open: &'a (dyn Fn() -> Result<W, String> + Sync),
    pub(crate) read: &'a (dyn Fn(&mut W, &J, Sink<R>) + Sync),
    pub(crate) close: &'a (dyn Fn(W) + Sync),
    /// The report path of a job.
    pub(crate) path: &'a (dyn Fn(&J) -> String + Sync),
    /// Applied to every message before it reaches the report.
    pub(crate) scrub: &'a (dyn Fn(&str) -> String + Sync),
}

/// Reads every job with up to `plan.threads` readers and scans them, in
/// job order, into `scan`.
///
/// # Errors
///
/// When no reader could open a connection (the first one's message);
/// nothing has then been added to `scan`.
pub(crate) fn run<J: Sync, R: Cells, W>(
    plan: &Plan<'_, J, R, W>,
    scan: &mut RowScan,
) -> Result<(), String> {
    let n = plan.jobs.len();
    if n == 0 {
        return Ok(());
    }
    let workers = plan.threads.clamp(1, n);
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..n)
        .map(|_| {
            let (tx, rx) = sync_channel::<Msg<R>>(QUEUE);
            (Mutex::new(Some(tx)), rx)
        })
        .unzip();
    let next = AtomicUsize::new(0);
    let alive = AtomicUsize::new(workers);
    let connected = AtomicUsize::new(0);
    let open_error: Mutex<Option<String>> = Mutex::new(None);
    let take = |i: usize| {
        senders[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    };
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                match (plan.open)() {
                    Ok(mut w) => {
                        connected.fetch_add(1, Ordering::SeqCst);
                        loop {
                            let i = next.fetch_add(1, Ordering::SeqCst);
                            if i >= n {
                                break;
                            }
                            if let Some(tx) = take(i) {
                                let sink = Sink {
                                    tx,
                                    batch: Vec::with_capacity(BATCH),
                                    sent: 0,
                                };
                                (plan.read)(&mut w, &plan.jobs[i], sink);
                            }
                        }
                        (plan.close)(w);
                    }
                    Err(e) => {
                        open_error
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .get_or_insert(e);
                    }
                }
                // The last reader out closes the tables nobody took, so the
                // scanner never waits for them.
                if alive.fetch_sub(1, Ordering::SeqCst) == 1 {
                    for i in 0..n {
                        drop(take(i));
                    }
                }
            });
        }
        // Owned here: should this loop unwind, the channels close and the
        // readers stop instead of waiting for it.
        for (job, rx) in plan.jobs.iter().zip(receivers) {
            let path = (plan.path)(job);
            if !consume(&rx, &path, plan.scrub, scan) {
                // Disconnected before anything was sent: no reader took it.
                if connected.load(Ordering::SeqCst) == 0 {
                    let e = open_error
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone()
                        .unwrap_or_else(|| "no connection".into());
                    return Err(e);
                }
                let e = open_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()
                    .unwrap_or_else(|| "its reader stopped".into());
                scan.error(&path, (plan.scrub)(&format!("not read: {e}")));
            }
        }
        Ok(())
    })
}

/// Scans one table's messages; false if the channel closed before any.
fn consume<R: Cells>(
    rx: &Receiver<Msg<R>>,
    path: &str,
    scrub: &(dyn Fn(&str) -> String + Sync),
    scan: &mut RowScan,
) -> bool {
    let (columns, skip) = match rx.recv() {
        Err(_) => return false,
        Ok(Msg::Fail(m)) => {
            scan.error(path, scrub(&m));
            return true;
        }
        Ok(Msg::Start { columns, skip }) => (columns, skip),
        Ok(Msg::Rows(_) | Msg::End { .. }) => {
            scan.error(path, "internal: rows before the table started".into());
            return true;
        }
    };
    let width = columns.len() + skip;
    let mut t = scan.table(path, "table", &columns);
    let failure = loop {
        match rx.recv() {
            Ok(Msg::Rows(rows)) => {
                for r in &rows {
                    t.row((skip..width).map(|i| r.cell(i)));
                }
            }
            Ok(Msg::End { mut info, failure }) => {
                info.rows_read = t.records();
                info.rows_total = info.rows_total.max(info.rows_read);
                t.finish(Some(info));
                break failure;
            }
            Ok(Msg::Start { .. } | Msg::Fail(_)) | Err(_) => {
                let read = t.records();
                t.finish(Some(TableInfo {
                    rows_read: read,
                    rows_total: read,
                    sampled: true,
                    sample: "first",
                    ..Default::default()
                }));
                break Some(format!("reading stopped after {read} rows"));
            }
        }
    };
    if let Some(f) = failure {
        scan.error(path, scrub(&f));
    }
    true
}
