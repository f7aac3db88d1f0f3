//! Group commit: the writes that arrive while one transaction is being made
//! durable go together into the next one.
//!
//! With `synchronous = FULL` every commit waits for the disk; SQLite admits
//! one writer at a time, so under load the fsyncs, not the CPU, would set the
//! pace. On PostgreSQL every submission about a unit adds to the same tally
//! rows, so one transaction per submission queues on their locks. A writer
//! thread takes every queued write, runs each in its own savepoint (one write
//! failing does not undo the others), adds the batch's tallies at the end
//! ([`Pending`]: each row once, in key order), commits once, and only then
//! answers each caller. A success page therefore still means the answer is
//! on disk, as with one transaction per write.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};

use diesel::Connection;

use super::tallies::Pending;
use super::{DbConn, DbPool, StorageError};

/// Told the outcome of the batch's commit.
type Finish = Box<dyn FnOnce(Result<(), &StorageError>) + Send>;
/// A write run in its savepoint, handing on its tally additions.
type Work = Box<dyn FnOnce(&mut DbConn, &mut Pending) -> Finish + Send>;

struct Job {
    /// The respondent whose rows the write touches, locked with the batch's
    /// others in one order before any write runs.
    respondent: Option<i64>,
    /// Runs the write in its savepoint; what it adds to the tallies joins the
    /// batch's only if the savepoint held.
    work: Work,
    /// Called instead of `work` when there is no connection to run it on.
    fail: Box<dyn FnOnce(&StorageError) + Send>,
}

pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts `threads` writer threads on `pool`, each committing at most
    /// `max_batch` writes together. (SQLite: one, its single writer.)
    pub fn start(pool: DbPool, max_batch: usize, threads: usize) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let (pool, rx) = (pool.clone(), rx.clone());
            std::thread::Builder::new()
                .name(format!("db-writer-{i}"))
                .spawn(move || writer(pool, &rx, max_batch.max(1)))?;
        }
        Ok(Self { jobs })
    }

    /// Runs `f` in the next batch; returns once the batch is committed (or
    /// with the error that undid it).
    pub fn run<T, F>(&self, respondent: Option<i64>, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn, &mut Pending) -> Result<T, StorageError> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<Result<T, StorageError>>(1);
        let fail_tx = tx.clone();
        let job = Job {
            respondent,
            work: Box::new(move |conn, batch_pending| {
                // A nested transaction is a savepoint: a failed write is
                // rolled back alone, with what it would have added.
                let mut mine = Pending::default();
                let out = conn.transaction(|c| f(c, &mut mine));
                if out.is_ok() {
                    batch_pending.append(mine);
                }
                Box::new(move |committed: Result<(), &StorageError>| {
                    let _ = tx.send(match committed {
                        Ok(()) => out,
                        Err(e) => Err(StorageError::Unavailable(format!(
                            "không ghi được xuống cơ sở dữ liệu: {e}"
                        ))),
                    });
                })
            }),
            fail: Box::new(move |e| {
                let _ = fail_tx.send(Err(StorageError::Unavailable(e.to_string())));
            }),
        };
        let stopped = || StorageError::Unavailable("việc ghi dữ liệu bị gián đoạn".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())?
    }
}

fn writer(pool: DbPool, rx: &Mutex<mpsc::Receiver<Job>>, max_batch: usize) {
    loop {
        // One thread at a time gathers a batch; the others commit theirs.
        let batch = {
            let Ok(rx) = rx.lock() else { return };
            let Ok(first) = rx.recv() else { return };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        let mut conn = match pool.get() {
            Ok(c) => c,
            Err(e) => {
                let e = StorageError::from(e);
                for job in batch {
                    (job.fail)(&e);
                }
                continue;
            }
        };
        let mut finishes = Vec::with_capacity(batch.len());
        // A panicking write must not take the writer thread down with it;
        // its batch is lost (every caller hears of it, nothing is committed)
        // and the pool discards the connection, whose transaction is broken.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            conn.transaction::<_, StorageError, _>(|c| {
                let mut ids: Vec<i64> = batch.iter().filter_map(|j| j.respondent).collect();
                super::respondents::lock_in_order(c, &mut ids)?;
                let mut pending = Pending::default();
                for job in batch {
                    finishes.push((job.work)(c, &mut pending));
                }
                pending.apply(c)
            })
        }));
        match outcome {
            Ok(committed) => {
                for finish in finishes {
                    finish(committed.as_ref().map(|_| ()));
                }
            }
            Err(_) => {
                tracing::error!("a database write panicked; its batch was rolled back");
                drop(finishes);
            }
        }
    }
}
