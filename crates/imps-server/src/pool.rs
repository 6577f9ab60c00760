//! A small fixed pool of threads for login handling (the slow password hash): as many threads
//! as cores, so concurrent logins queue instead of each taking a thread and the hash's working
//! memory (19 MiB by default). Each thread keeps that memory for reuse.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool.
pub struct LoginPool {
    jobs: Mutex<mpsc::Sender<Job>>,
    queued: Arc<std::sync::atomic::AtomicUsize>,
    max_queued: usize,
}

/// Why a job did not run.
#[derive(Debug, PartialEq, Eq)]
pub enum PoolError {
    /// Too many logins wait already (a flood): answer 503 at once.
    Busy,
    /// The pool is gone.
    Stopped,
}

impl LoginPool {
    /// A pool of `threads` threads; at most `max_queued` jobs wait.
    pub fn new(threads: usize, max_queued: usize) -> std::io::Result<LoginPool> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("impsd-login-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })?;
        }
        Ok(LoginPool {
            jobs: Mutex::new(tx),
            queued: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            max_queued,
        })
    }

    /// Runs `f` on the pool and waits for its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        use std::sync::atomic::Ordering;
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.max_queued {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(PoolError::Busy);
        }
        let queued = self.queued.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            queued.fetch_sub(1, Ordering::AcqRel);
            let _ = tx.send(f());
        });
        let sent = match self.jobs.lock() {
            Ok(jobs) => jobs.send(job).is_ok(),
            Err(_) => false,
        };
        if !sent {
            return Err(PoolError::Stopped);
        }
        rx.await.map_err(|_| PoolError::Stopped)
    }
}
