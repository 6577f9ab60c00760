//! A small fixed pool of threads for login handling (the slow password hash): as many threads
//! as cores, so concurrent logins queue instead of each taking a thread and the hash's working
//! memory (19 MiB by default). Each thread keeps that memory for reuse.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool.
pub struct LoginPool {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl LoginPool {
    /// A pool of `threads` threads.
    pub fn new(threads: usize) -> std::io::Result<LoginPool> {
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
        })
    }

    /// Runs `f` on the pool and waits for its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.jobs.lock().ok()?.send(job).ok()?;
        rx.await.ok()
    }
}
