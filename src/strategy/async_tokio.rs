//! `async`: tokio with N workers, one task per job, hashing inline on the workers.
//!
//! With one worker it is tokio's current-thread runtime: one event loop, run by the thread that calls
//! [`Strategy::run`], the classic single-threaded server ([`super::tokio_runtime`] says why). With N >= 2 it
//! is the multi-thread runtime with N workers; `block_on` runs the top-level future on the calling thread
//! and every job is spawned onto the workers, so the waits and the hashing happen there, never on the caller.

use std::io;

use tokio::runtime::Runtime;

use super::{NoProbe, Phase, Probe, RunError, Strategy, StrategyKind, hash, tokio_runtime, xor_tasks};
use crate::workload::{Digest, Workload, wait_async};

/// One task per job on a runtime of N workers, telling the probe `P`.
pub struct Async<P = NoProbe> {
    runtime: Runtime,
    probe: P,
}

impl<P: Probe> Async<P> {
    /// Builds the runtime ([`super::tokio_runtime`]): one event loop for one worker, else `workers` workers.
    pub fn new(workers: usize, probe: P) -> io::Result<Async<P>> {
        Ok(Async { runtime: tokio_runtime(workers, "cvp-async")?, probe })
    }
}

impl<P: Probe> Strategy for Async<P> {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        self.runtime.block_on(async {
            let tasks: Vec<_> = workload
                .jobs()
                .map(|job| {
                    // The task holds the job and the (for `NoProbe`, empty) probe; the wait's future is made
                    // inside it, not captured beside it: a task is allocated in 128-byte steps, and 100,000
                    // of them are in flight in `cvp scale`.
                    let probe = self.probe;
                    tokio::spawn(async move {
                        let start = probe.mark();
                        wait_async(job.wait).await;
                        probe.record(job.seed, Phase::Wait, start);
                        hash(&probe, job)
                    })
                })
                .collect();
            xor_tasks(tasks, StrategyKind::Async).await
        })
    }
}
