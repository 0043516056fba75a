//! `threads`: N OS threads, each pulling the next job number from one shared atomic counter.
//!
//! The threads are spawned per run (that is the strategy: plain threads, no pool); a wait blocks its thread.
//! A thread the OS refuses is a [`RunError`]; the threads already started are stopped and joined first.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{NoProbe, Probe, RunError, Strategy, StrategyKind, run_blocking, spawn_and_join};
use crate::workload::{Digest, Workload};

/// N OS threads sharing a job counter, telling the probe `P`.
pub struct Threads<P = NoProbe> {
    workers: usize,
    probe: P,
}

impl<P: Probe> Threads<P> {
    /// A strategy that spawns `workers` threads per run.
    pub fn new(workers: usize, probe: P) -> Threads<P> {
        Threads { workers, probe }
    }
}

impl<P: Probe> Strategy for Threads<P> {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        let (next, workload) = (Arc::new(AtomicUsize::new(0)), *workload);
        let worker = |_| {
            let counter = Arc::clone(&next);
            let probe = self.probe;
            move || {
                let mut digest = Digest::default();
                loop {
                    let k = counter.fetch_add(1, Ordering::Relaxed);
                    if k >= workload.jobs {
                        return digest;
                    }
                    digest ^= run_blocking(&probe, workload.job(k));
                }
            }
        };
        // If a thread is refused, leave no job for the ones already running, so they finish at once.
        let stop = || next.store(usize::MAX / 2, Ordering::Relaxed);
        spawn_and_join(StrategyKind::Threads, self.workers, "cvp-threads", worker, stop)
    }
}
