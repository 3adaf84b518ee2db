//! Background jobs: long work (verifying the audit log, scanning an upload)
//! runs on tokio's blocking pool, never in the request; the request gets a
//! job id, and the job's page shows its progress and then its result.
//!
//! Jobs live in memory only (a restart forgets them), belong to the account
//! that started them (anyone else is told they do not exist), and are
//! bounded: beyond the newest [`KEEP_FINISHED`] finished jobs the oldest are
//! dropped, and an account runs at most [`MAX_RUNNING_PER_ACCOUNT`] at once.
//! A database scan can be stopped by its owner ([`Job::cancel`]): its
//! readers stop at their next chunk of rows and the job ends `cancelled`,
//! with no partial result.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Finished jobs kept for their pages; older ones are dropped.
pub const KEEP_FINISHED: usize = 100;

/// Jobs one account may have running at the same time.
pub const MAX_RUNNING_PER_ACCOUNT: usize = 4;

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Still working.
    Running,
    /// Finished with a result.
    Done,
    /// Finished with an error message.
    Failed,
    /// Stopped by its owner before it finished (no result).
    Cancelled,
}

/// The kinds of job that stop when asked: those that read databases,
/// whose readers look at the flag between chunks of rows.
const CANCELLABLE: [&str; 2] = ["scan_db", "scan_map"];

/// One piece of long work.
#[derive(Debug)]
pub struct Job {
    /// Random hex: the job page's address, not guessable.
    pub id: String,
    /// The account that started it, the only one that may see it.
    pub owner: String,
    /// What it does (`audit_verify`, `scan`).
    pub kind: &'static str,
    done: AtomicU64,
    total: AtomicU64,
    outcome: Mutex<Option<Result<serde_json::Value, String>>>,
    /// Set when its owner asked it to stop; the work reads it.
    cancel: Arc<AtomicBool>,
}

impl Job {
    /// Reports progress: `done` of `total` units.
    pub fn progress(&self, done: u64, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }

    /// Adds `n` units done (work counted from several threads).
    pub fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// Units done and the total (0 while unknown).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// Running, done, failed or cancelled (a job asked to stop that then
    /// ended without a result; one that finished first is done).
    pub fn state(&self) -> JobState {
        self.state_of(&self.outcome.lock().expect("not poisoned"))
    }

    fn state_of(&self, outcome: &Option<Result<serde_json::Value, String>>) -> JobState {
        match outcome {
            None => JobState::Running,
            Some(Ok(_)) => JobState::Done,
            Some(Err(_)) if self.cancel_requested() => JobState::Cancelled,
            Some(Err(_)) => JobState::Failed,
        }
    }

    /// The state and, once finished, the result (JSON) or the error (a
    /// short message without personal data), read together: read apart, a
    /// job that finished between the two reads showed `done` with no result.
    pub fn settled(&self) -> (JobState, Option<serde_json::Value>, Option<String>) {
        let outcome = self.outcome.lock().expect("not poisoned");
        let state = self.state_of(&outcome);
        match &*outcome {
            Some(Ok(v)) => (state, Some(v.clone()), None),
            Some(Err(e)) => (state, None, Some(e.clone())),
            None => (state, None, None),
        }
    }

    /// Whether this kind of job stops when asked.
    pub fn cancellable(&self) -> bool {
        CANCELLABLE.contains(&self.kind)
    }

    /// Asks the job to stop (again, if asked before: harmless); false,
    /// and nothing asked, when it cannot: not a kind that stops, or
    /// already finished.
    pub fn cancel(&self) -> bool {
        if !self.cancellable() || self.state() != JobState::Running {
            return false;
        }
        self.cancel.store(true, Ordering::Relaxed);
        true
    }

    /// Whether [`Job::cancel`] would ask it to stop now: a kind that
    /// stops, still running, not asked yet.
    pub fn stoppable(&self) -> bool {
        self.cancellable() && !self.cancel_requested() && self.state() == JobState::Running
    }

    /// Whether its owner asked it to stop.
    pub fn cancel_requested(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The flag the work passes to what it runs (a database scan's
    /// `cancel`).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    fn finish(&self, outcome: Result<serde_json::Value, String>) {
        *self.outcome.lock().expect("not poisoned") = Some(outcome);
    }
}

/// Refused: the account already runs [`MAX_RUNNING_PER_ACCOUNT`] jobs.
#[derive(Debug)]
pub struct Busy;

/// Every job of this server, oldest first.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<VecDeque<Arc<Job>>>,
}

impl Jobs {
    /// Registers a job for `owner` and runs `work(job)` as a task of its
    /// own; the work must do its blocking part on the blocking pool (through
    /// `AppState::store` or `spawn_blocking`). A panic fails the job.
    pub fn start<W, F>(&self, owner: &str, kind: &'static str, work: W) -> Result<Arc<Job>, Busy>
    where
        W: FnOnce(Arc<Job>) -> F,
        F: Future<Output = Result<serde_json::Value, String>> + Send + 'static,
    {
        let job = Arc::new(Job {
            id: crate::auth::random_hex(),
            owner: owner.to_string(),
            kind,
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            outcome: Mutex::new(None),
            cancel: Arc::new(AtomicBool::new(false)),
        });
        {
            let mut jobs = self.jobs.lock().expect("not poisoned");
            let running = jobs
                .iter()
                .filter(|j| j.owner == owner && j.state() == JobState::Running)
                .count();
            if running >= MAX_RUNNING_PER_ACCOUNT {
                return Err(Busy);
            }
            jobs.push_back(job.clone());
            prune(&mut jobs);
        }
        let task = tokio::spawn(work(job.clone()));
        let j = job.clone();
        tokio::spawn(async move {
            // A panic in the work is a JoinError here: the job fails, the server goes on.
            let outcome = task
                .await
                .unwrap_or_else(|_| Err("the job failed; see the server's log".to_string()));
            j.finish(outcome);
        });
        Ok(job)
    }

    /// The job `id` if `owner` started it; None otherwise, as if it did not exist.
    pub fn get(&self, id: &str, owner: &str) -> Option<Arc<Job>> {
        self.jobs
            .lock()
            .expect("not poisoned")
            .iter()
            .find(|j| crate::auth::same_secret(&j.id, id) && j.owner == owner)
            .cloned()
    }

    /// How many jobs are kept (running or finished).
    pub fn len(&self) -> usize {
        self.jobs.lock().expect("not poisoned").len()
    }

    /// Whether no job is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops the oldest finished jobs beyond [`KEEP_FINISHED`]; running ones stay.
fn prune(jobs: &mut VecDeque<Arc<Job>>) {
    let mut finished = jobs
        .iter()
        .filter(|j| j.state() != JobState::Running)
        .count();
    jobs.retain(|j| {
        if finished > KEEP_FINISHED && j.state() != JobState::Running {
            finished -= 1;
            false
        } else {
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_runs_and_only_its_owner_sees_it() {
        let jobs = Jobs::default();
        let job = jobs
            .start("alice", "test", |j| async move {
                j.progress(3, 3);
                Ok(serde_json::json!({"n": 3}))
            })
            .unwrap();
        for _ in 0..10_000 {
            if job.state() != JobState::Running {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(job.state(), JobState::Done);
        assert_eq!(job.counts(), (3, 3));
        assert!(jobs.get(&job.id, "alice").is_some());
        assert!(jobs.get(&job.id, "bob").is_none());
        assert!(jobs.get("0000", "alice").is_none());
    }

    #[tokio::test]
    async fn a_panic_fails_the_job_and_finished_jobs_are_bounded() {
        let jobs = Jobs::default();
        let job = jobs
            .start("alice", "test", |_| async move {
                if true {
                    panic!("synthetic");
                }
                Ok(serde_json::Value::Null)
            })
            .unwrap();
        for _ in 0..10_000 {
            if job.state() != JobState::Running {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(job.state(), JobState::Failed);
        for _ in 0..KEEP_FINISHED + 20 {
            let j = jobs
                .start("alice", "test", |_| async { Ok(serde_json::Value::Null) })
                .unwrap();
            while j.state() == JobState::Running {
                tokio::task::yield_now().await;
            }
        }
        // Pruned on each start: at most the kept finished ones plus the newest.
        assert!(jobs.len() <= KEEP_FINISHED + 1, "{}", jobs.len());
        assert!(
            jobs.get(&job.id, "alice").is_none(),
            "the oldest is dropped"
        );
    }

    async fn settled(job: &Job) -> JobState {
        for _ in 0..100_000 {
            if job.state() != JobState::Running {
                break;
            }
            tokio::task::yield_now().await;
        }
        job.state()
    }

    /// A database job asked to stop ends cancelled once its work gives
    /// up; one that finishes first stays done and cannot be cancelled
    /// after; other kinds are never asked.
    #[tokio::test]
    async fn a_database_job_is_cancelled_by_its_flag() {
        let jobs = Jobs::default();
        // The work stops when the flag is set, as a database scan does.
        let job = jobs
            .start("alice", "scan_db", |j| async move {
                let flag = j.cancel_flag();
                while !flag.load(Ordering::Relaxed) {
                    tokio::task::yield_now().await;
                }
                Err("the scan was cancelled before it finished".to_string())
            })
            .unwrap();
        assert!(job.cancellable() && !job.cancel_requested());
        assert!(job.cancel());
        assert_eq!(settled(&job).await, JobState::Cancelled);
        assert!(!job.cancel(), "finished: nothing to stop");
        // A job that ends on its own is done, and stays so.
        let done = jobs
            .start("alice", "scan_map", |_| async { Ok(serde_json::json!({})) })
            .unwrap();
        assert_eq!(settled(&done).await, JobState::Done);
        assert!(!done.cancel());
        assert_eq!(done.state(), JobState::Done);
        // A failure nobody asked for is a failure.
        let failed = jobs
            .start("alice", "scan_db", |_| async {
                Err("no such database".into())
            })
            .unwrap();
        assert_eq!(settled(&failed).await, JobState::Failed);
        // Kinds that do not look at the flag are not asked.
        let (tx, rx) = tokio::sync::watch::channel(false);
        let verify = jobs
            .start("alice", "audit_verify", |_| async move {
                let mut rx = rx;
                let _ = rx.wait_for(|v| *v).await;
                Ok(serde_json::Value::Null)
            })
            .unwrap();
        assert!(!verify.cancellable() && !verify.cancel());
        assert!(!verify.cancel_requested());
        tx.send(true).unwrap();
        assert_eq!(settled(&verify).await, JobState::Done);
    }

    #[tokio::test]
    async fn an_account_runs_a_bounded_number_of_jobs() {
        let jobs = Jobs::default();
        let (tx, rx) = tokio::sync::watch::channel(false);
        for _ in 0..MAX_RUNNING_PER_ACCOUNT {
            let mut rx = rx.clone();
            jobs.start("alice", "test", |_| async move {
                let _ = rx.wait_for(|v| *v).await;
                Ok(serde_json::Value::Null)
            })
            .unwrap();
        }
        assert!(
            jobs.start("alice", "test", |_| async { Ok(serde_json::Value::Null) })
                .is_err()
        );
        assert!(
            jobs.start("bob", "test", |_| async { Ok(serde_json::Value::Null) })
                .is_ok()
        );
        tx.send(true).unwrap();
    }
}
