//! `async`: tokio with N workers, one task per job, hashing inline on the workers.
//!
//! With one worker it is tokio's current-thread runtime: one event loop, run by the thread that calls
//! [`Strategy::run`], the classic single-threaded server ([`super::tokio_runtime`] says why). With N >= 2 it
//! is the multi-thread runtime with N workers; `block_on` runs the top-level future on the calling thread
//! and every job is spawned onto the workers, so the waits and the hashing happen there, never on the caller.

use std::io;

use tokio::runtime::Runtime;

use super::{RunError, Strategy, StrategyKind, tokio_runtime, xor_tasks};
use crate::workload::{Digest, Workload, chain, wait_async};

/// One task per job on a runtime of N workers.
pub struct Async {
    runtime: Runtime,
}

impl Async {
    /// Builds the runtime ([`super::tokio_runtime`]): one event loop for one worker, else `workers` workers.
    pub fn new(workers: usize) -> io::Result<Async> {
        Ok(Async { runtime: tokio_runtime(workers, "cvp-async")? })
    }
}

impl Strategy for Async {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        self.runtime.block_on(async {
            let tasks: Vec<_> = workload
                .jobs()
                .map(|job| {
                    // Only what the task needs lives in it (the wait's future is made inside, not captured
                    // beside it): a task is allocated in 128-byte steps, and 100,000 of them are in flight.
                    let (seed, rounds, wait) = (job.seed, job.rounds, job.wait);
                    tokio::spawn(async move {
                        wait_async(wait).await;
                        chain(seed, rounds)
                    })
                })
                .collect();
            xor_tasks(tasks, StrategyKind::Async).await
        })
    }
}
