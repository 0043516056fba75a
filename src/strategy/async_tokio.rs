//! `async`: tokio with N workers, one task per job, hashing inline on the workers.
//!
//! With one worker it is tokio's current-thread runtime: one event loop, run by the thread that calls
//! [`Strategy::run`], the classic single-threaded server. With N >= 2 it is the multi-thread runtime with N
//! workers; `block_on` runs the top-level future on the calling thread and every job is spawned onto the
//! workers, so the waits and the hashing happen there, never on the caller. (A multi-thread runtime with
//! one worker is not one event loop: the caller spawns from outside while the worker runs, two threads
//! sharing an injection queue, measurably slower per task at 100,000 tasks than the loop itself.)

use std::io;

use tokio::runtime::Runtime;

use super::{RunError, Strategy, StrategyKind, tokio_runtime, xor_tasks};
use crate::workload::{Digest, Workload, chain, wait_async};

/// One task per job on a runtime of N workers.
pub struct Async {
    runtime: Runtime,
}

impl Async {
    /// Builds the runtime: current-thread for one worker, else `workers` worker threads.
    pub fn new(workers: usize) -> io::Result<Async> {
        let runtime = if workers <= 1 {
            tokio::runtime::Builder::new_current_thread().enable_time().build()?
        } else {
            tokio_runtime(workers, "cvp-async")?
        };
        Ok(Async { runtime })
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
