//! `threads`: N OS threads, each pulling the next job number from one shared atomic counter.
//!
//! The threads are spawned per run (that is the strategy: plain threads, no pool); a wait blocks its thread.
//! A thread the OS refuses is a [`RunError`]; the threads already started are stopped and joined first.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{
    NoProbe, Probe, RunError, Strategy, StrategyKind, net_target, run_blocking, run_net_blocking,
    spawn_and_join,
};
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
        // If a thread is refused, or a request fails, leave no job for the others, so they finish at once.
        let stop = || next.store(usize::MAX / 2, Ordering::Relaxed);
        if let Some(target) = net_target(&workload, StrategyKind::Threads)? {
            let worker = |_| {
                let counter = Arc::clone(&next);
                let probe = self.probe;
                move || {
                    let mut digest = Digest::default();
                    loop {
                        let k = counter.fetch_add(1, Ordering::Relaxed);
                        if k >= workload.jobs {
                            return Ok(digest);
                        }
                        match run_net_blocking(&probe, target, k as u64, workload.wait) {
                            Ok(d) => digest ^= d,
                            Err(e) => {
                                counter.store(usize::MAX / 2, Ordering::Relaxed);
                                return Err(e);
                            }
                        }
                    }
                }
            };
            return spawn_and_join(StrategyKind::Threads, self.workers, "cvp-threads", worker, stop);
        }
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
        spawn_and_join(StrategyKind::Threads, self.workers, "cvp-threads", worker, stop)
    }
}
