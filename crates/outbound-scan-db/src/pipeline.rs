//! Several tables read at once and scanned on several cores, the report as
//! if read and scanned one row after the other.
//!
//! Up to `threads` readers, each on its own thread with its own connection
//! (its own read-only transaction per table), take the tables in report
//! order. A reader cuts its table's rows into chunks of [`CHUNK`] rows and
//! queues them; `threads` scanners take chunks from the queue, whichever
//! table they belong to, and scan each into its own [`RowChunk`] (with the
//! run's hashing key, so distinct individuals stay exact). A table's
//! chunks are appended in row order as they come back (the scanner that
//! finishes the next chunk in order appends it and any that waited for
//! it), and the calling thread adds the finished tables to the report in
//! table order. Reading and scanning overlap even within one table, and a
//! big table's chunks spread over every scanner.
//!
//! The report (fields, masked samples, errors, distinct individuals) is
//! thus the same byte for byte whatever the number of threads: appending
//! chunks in order gives what one pass over the rows gives
//! ([`RowChunk::append`]). Memory stays bounded: at most `8 × threads`
//! chunks wait in the queue, one is being scanned per scanner and one
//! filled per reader; chunks finished out of order wait as counters, not
//! rows.
//!
//! A panic while scanning a chunk (a bug) does not hang the other threads:
//! the chunk is counted as done, everything finishes, and the panic is
//! raised again on the calling thread, so no report is returned.

use std::any::Any;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use outbound_scan::{RowChunk, RowContext, RowScan, TableInfo};

/// Rows per batch of rowids that the SQLite random sample looks up.
pub(crate) const BATCH: usize = 256;
/// Rows per chunk scanned on one thread: big enough that queueing and
/// appending cost little next to scanning (about a millisecond of work),
/// small enough that a table of a few thousand rows still spreads and
/// that the rows are still in the cache when scanned (1,024 cost SQLite
/// more CPU: its rows are a few small allocations each).
const CHUNK: usize = 256;
/// Chunks waiting to be scanned, per scanner.
const QUEUE_PER_SCANNER: usize = 8;

/// A row whose cells the scanner can read as text.
pub(crate) trait Cells: Send + 'static {
    /// Cell `i` as UTF-8 bytes; `None` for NULL or a value not scanned.
    fn cell(&self, i: usize) -> Option<&[u8]>;
}

/// Rows of one table to scan.
struct Job<R> {
    table: usize,
    /// Position of the chunk in its table.
    seq: u64,
    /// The empty chunk they are scanned into.
    chunk: RowChunk,
    /// The first `skip` cells of each row are the reader's own (a rowid).
    skip: usize,
    /// Cells per row.
    width: usize,
    rows: Vec<R>,
}

/// How a table's reading ended.
enum End {
    /// Read (or reading stopped with `failure`).
    Read {
        info: TableInfo,
        failure: Option<String>,
    },
    /// The reader reported a failure.
    Fail(String),
    /// The reader gave the table up without a word (it stopped).
    Stopped,
    /// Rows were sent before the columns.
    Early,
    /// No reader took the table.
    NotTaken,
}

/// One table's progress.
#[derive(Default)]
struct Table {
    /// Its chunks appended so far (from the start, in order); `None`
    /// before the reader gave the columns, or while a scanner appends.
    merged: Option<RowChunk>,
    /// Chunks scanned out of order: wait for the ones before them.
    /// `None`: a chunk whose scan panicked.
    pending: BTreeMap<u64, Option<RowChunk>>,
    /// The next chunk to append.
    next: u64,
    /// A scanner is appending (holds `merged`).
    merging: bool,
    /// Chunks queued, known once `end` is.
    chunks: u64,
    taken: bool,
    end: Option<End>,
}

impl Table {
    fn complete(&self) -> bool {
        self.end.is_some() && !self.merging && self.next == self.chunks
    }
}

struct State {
    tables: Vec<Table>,
    /// The next table a reader takes.
    next: usize,
    /// Readers not finished.
    readers: usize,
    /// Readers that opened a connection.
    connected: usize,
    open_error: Option<String>,
    /// The first panic caught while scanning.
    panic: Option<Box<dyn Any + Send>>,
}

/// What readers, scanners and the calling thread share.
struct Hub {
    state: Mutex<State>,
    /// Signalled when a table may have become complete.
    changed: Condvar,
    ctx: RowContext,
    /// Set when the calling thread is gone: readers stop.
    stop: AtomicBool,
    /// Told the rows of each chunk once it is scanned.
    progress: Option<outbound_scan::ProgressFn>,
    /// Set by the scan's caller to stop it (`DbScanOptions::cancel`).
    cancel: Option<Arc<AtomicBool>>,
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether readers stop: the calling thread left, or the scan was
    /// cancelled.
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || crate::is_cancelled(&self.cancel)
    }

    /// Chunk `seq` of `table` is scanned: appends it, and every chunk that
    /// waited for it, in order.
    fn deliver(&self, table: usize, seq: u64, chunk: Option<RowChunk>) {
        let mut st = self.lock();
        let t = &mut st.tables[table];
        t.pending.insert(seq, chunk);
        if t.merging {
            // The scanner appending will find it.
            return;
        }
        t.merging = true;
        let mut merged = t.merged.take();
        loop {
            let t = &mut st.tables[table];
            let mut ready = Vec::new();
            while let Some(c) = t.pending.remove(&t.next) {
                ready.push(c);
                t.next += 1;
            }
            if ready.is_empty() {
                t.merged = merged;
                t.merging = false;
                if t.complete() {
                    self.changed.notify_all();
                }
                return;
            }
            // Appended without the lock: other scanners go on delivering.
            drop(st);
            let appended = catch_unwind(AssertUnwindSafe(|| {
                for c in ready.into_iter().flatten() {
                    if let Some(m) = merged.as_mut() {
                        m.append(c);
                    }
                }
            }));
            st = self.lock();
            if let Err(p) = appended {
                st.panic.get_or_insert(p);
            }
        }
    }

    /// The reader of `table` is done with it.
    fn end(&self, table: usize, chunks: u64, end: End) {
        let mut st = self.lock();
        let t = &mut st.tables[table];
        t.chunks = chunks;
        t.end = Some(end);
        if t.complete() {
            self.changed.notify_all();
        }
    }
}

/// A reader's end of one table.
pub(crate) struct Sink<R> {
    hub: Arc<Hub>,
    tx: SyncSender<Job<R>>,
    table: usize,
    /// An empty chunk of the table, once started.
    template: Option<RowChunk>,
    skip: usize,
    width: usize,
    rows: Vec<R>,
    /// Chunks queued.
    seq: u64,
    sent: u64,
    early: bool,
    lost: bool,
    done: bool,
}

impl<R> Sink<R> {
    /// Starts the table; false once the scan is gone (stop reading).
    pub(crate) fn start(&mut self, columns: Vec<String>, skip: usize) -> bool {
        let template = self.hub.ctx.table(&columns);
        {
            let mut st = self.hub.lock();
            let t = &mut st.tables[self.table];
            t.merged = Some(template.empty());
        }
        self.template = Some(template);
        self.skip = skip;
        self.width = columns.len() + skip;
        !self.hub.stopped()
    }

    /// Adds a row; false once the scan is gone (stop reading).
    pub(crate) fn row(&mut self, r: R) -> bool {
        self.rows.push(r);
        self.sent += 1;
        if self.rows.len() < CHUNK {
            return true;
        }
        self.flush()
    }

    fn flush(&mut self) -> bool {
        if self.rows.is_empty() {
            return true;
        }
        let Some(template) = &self.template else {
            self.early = true;
            self.rows.clear();
            return false;
        };
        let job = Job {
            table: self.table,
            seq: self.seq,
            chunk: template.empty(),
            skip: self.skip,
            width: self.width,
            rows: std::mem::replace(&mut self.rows, Vec::with_capacity(CHUNK)),
        };
        if self.tx.send(job).is_err() {
            // No scanner left (they only leave when every reader has):
            // the table ends as stopped rather than waiting for it.
            self.lost = true;
            return false;
        }
        self.seq += 1;
        !self.hub.stopped()
    }

    /// Rows added so far.
    pub(crate) fn sent(&self) -> u64 {
        self.sent
    }

    /// Ends the table.
    pub(crate) fn end(mut self, info: TableInfo, failure: Option<String>) {
        self.flush();
        let end = if self.early {
            End::Early
        } else if self.lost {
            End::Stopped
        } else {
            End::Read { info, failure }
        };
        self.finish(end);
    }

    /// The table could not be read (or reading it failed).
    pub(crate) fn fail(mut self, message: String) {
        self.finish(End::Fail(message));
    }

    fn finish(&mut self, end: End) {
        self.done = true;
        self.hub.end(self.table, self.seq, end);
    }
}

impl<R> Drop for Sink<R> {
    fn drop(&mut self) {
        if !self.done {
            self.finish(End::Stopped);
        }
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
    /// Told the rows of each chunk once it is scanned.
    pub(crate) progress: Option<outbound_scan::ProgressFn>,
    /// Stops the readers when set.
    pub(crate) cancel: Option<Arc<AtomicBool>>,
}

/// Counts a reader out, even when it unwinds; the last one out marks the
/// tables nobody took, so the calling thread never waits for them.
struct ReaderOut<'h>(&'h Hub);

impl Drop for ReaderOut<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.readers -= 1;
        if st.readers == 0 {
            for t in st.tables.iter_mut().filter(|t| !t.taken) {
                t.taken = true;
                t.end = Some(End::NotTaken);
            }
            self.0.changed.notify_all();
        }
    }
}

/// Stops the readers when the calling thread leaves, even unwinding.
struct StopOnDrop<'h>(&'h Hub);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads every job with up to `plan.threads` readers, scans the rows on
/// `plan.threads` scanners, and adds the tables to `scan` in job order.
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
    let threads = plan.threads.max(1);
    let readers = threads.min(n);
    let hub = Arc::new(Hub {
        state: Mutex::new(State {
            tables: (0..n).map(|_| Table::default()).collect(),
            next: 0,
            readers,
            connected: 0,
            open_error: None,
            panic: None,
        }),
        changed: Condvar::new(),
        ctx: scan.context(),
        stop: AtomicBool::new(false),
        progress: plan.progress.clone(),
        cancel: plan.cancel.clone(),
    });
    let (tx, rx) = sync_channel::<Job<R>>(threads * QUEUE_PER_SCANNER);
    let rx = Mutex::new(rx);
    let res = std::thread::scope(|s| {
        let _stop = StopOnDrop(&hub);
        for _ in 0..threads {
            s.spawn(|| scanner(&hub, &rx));
        }
        for _ in 0..readers {
            let tx = tx.clone();
            let hub = &hub;
            s.spawn(move || reader(plan, hub, tx));
        }
        // Only the readers' senders are left: the scanners end with them.
        drop(tx);
        for (i, job) in plan.jobs.iter().enumerate() {
            let path = (plan.path)(job);
            let (end, rows, connected, open_error) = {
                let st = hub
                    .changed
                    .wait_while(hub.lock(), |st| !st.tables[i].complete())
                    .unwrap_or_else(PoisonError::into_inner);
                let (connected, open_error) = (st.connected, st.open_error.clone());
                let mut st = st;
                let t = &mut st.tables[i];
                (t.end.take(), t.merged.take(), connected, open_error)
            };
            let not_read = |scan: &mut RowScan| {
                if connected == 0 {
                    return Err(open_error.clone().unwrap_or_else(|| "no connection".into()));
                }
                let e = open_error
                    .clone()
                    .unwrap_or_else(|| "its reader stopped".into());
                scan.error(&path, (plan.scrub)(&format!("not read: {e}")));
                Ok(())
            };
            match (end, rows) {
                (Some(End::Read { mut info, failure }), Some(rows)) => {
                    info.rows_read = rows.records();
                    info.rows_total = info.rows_total.max(info.rows_read);
                    scan.add_table(&path, "table", rows, Some(info));
                    if let Some(f) = failure {
                        scan.error(&path, (plan.scrub)(&f));
                    }
                }
                (Some(End::Early), _) | (Some(End::Read { .. }), None) => {
                    scan.error(&path, "internal: rows before the table started".into());
                }
                (Some(End::Fail(m)), rows) => {
                    if let Some(rows) = rows {
                        stopped(scan, &path, rows);
                    }
                    scan.error(&path, (plan.scrub)(&m));
                }
                (Some(End::Stopped), Some(rows)) => {
                    let read = rows.records();
                    stopped(scan, &path, rows);
                    scan.error(
                        &path,
                        (plan.scrub)(&format!("reading stopped after {read} rows")),
                    );
                }
                (Some(End::Stopped | End::NotTaken) | None, _) => not_read(scan)?,
            }
        }
        Ok(())
    });
    if let Some(p) = hub.lock().panic.take() {
        resume_unwind(p);
    }
    res
}

/// Adds a table whose reading stopped part-way: the rows scanned.
fn stopped(scan: &mut RowScan, path: &str, rows: RowChunk) {
    let read = rows.records();
    scan.add_table(
        path,
        "table",
        rows,
        Some(TableInfo {
            rows_read: read,
            rows_total: read,
            sampled: true,
            sample: "first",
            ..Default::default()
        }),
    );
}

/// A reader: opens its connection, then reads the next table not taken
/// until there is none.
fn reader<J: Sync, R: Cells, W>(plan: &Plan<'_, J, R, W>, hub: &Arc<Hub>, tx: SyncSender<Job<R>>) {
    let _out = ReaderOut(hub);
    let mut w = match (plan.open)() {
        Ok(w) => w,
        Err(e) => {
            hub.lock().open_error.get_or_insert(e);
            return;
        }
    };
    hub.lock().connected += 1;
    while !hub.stopped() {
        let i = {
            let mut st = hub.lock();
            let i = st.next;
            if i >= plan.jobs.len() {
                break;
            }
            st.next += 1;
            st.tables[i].taken = true;
            i
        };
        let sink = Sink {
            hub: hub.clone(),
            tx: tx.clone(),
            table: i,
            template: None,
            skip: 0,
            width: 0,
            rows: Vec::with_capacity(CHUNK),
            seq: 0,
            sent: 0,
            early: false,
            lost: false,
            done: false,
        };
        (plan.read)(&mut w, &plan.jobs[i], sink);
    }
    (plan.close)(w);
}

/// A scanner: scans queued chunks until every reader is gone.
fn scanner<R: Cells>(hub: &Hub, rx: &Mutex<Receiver<Job<R>>>) {
    loop {
        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(Job {
            table,
            seq,
            mut chunk,
            skip,
            width,
            rows,
        }) = job
        else {
            return;
        };
        let scanned = catch_unwind(AssertUnwindSafe(|| {
            for r in &rows {
                chunk.row((skip..width).map(|i| r.cell(i)));
            }
            chunk
        }));
        if let Some(p) = &hub.progress {
            p(rows.len() as u64);
        }
        drop(rows);
        let chunk = match scanned {
            Ok(c) => Some(c),
            Err(p) => {
                hub.lock().panic.get_or_insert(p);
                None
            }
        };
        hub.deliver(table, seq, chunk);
    }
}
