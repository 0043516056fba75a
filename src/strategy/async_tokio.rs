//! `async`: a tokio multi-thread runtime with N workers, one task per job, hashing inline on the workers.
//!
//! `block_on` runs the top-level future on the calling thread, so every job is spawned onto the runtime:
//! the waits and the hashing happen on the N workers, never on the caller.

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
    /// Builds the runtime with `workers` worker threads.
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
