//! `async`: a tokio multi-thread runtime with N workers, one task per job, hashing inline on the workers.
//!
//! `block_on` runs the top-level future on the calling thread, so every job is spawned onto the runtime:
//! the waits and the hashing happen on the N workers, never on the caller.

use std::io;

use tokio::runtime::Runtime;

use super::{RunError, Strategy, StrategyKind, tokio_runtime, xor_tasks};
use crate::workload::{Digest, Workload, chain, wait_async};

/// One task per job on a runtime of N workers.
pub struct Async {
    runtime: Runtime,
}

impl Async {
    /// Builds the runtime with `workers` worker threads.
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
                    tokio::spawn(async move {
                        wait_async(job.wait).await;
                        chain(job.seed, job.rounds)
                    })
                })
                .collect();
            xor_tasks(tasks, StrategyKind::Async).await
        })
    }
}
