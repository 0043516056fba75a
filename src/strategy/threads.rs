//! `threads`: N OS threads, each pulling the next job number from one shared atomic counter.
//!
//! The threads are spawned per run (that is the strategy: plain threads, no pool); a wait blocks its thread.
//! A thread the OS refuses is a [`RunError`]; the threads already started are stopped and joined first.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{RunError, Strategy, StrategyKind, join_all};
use crate::workload::{Digest, Workload};

/// N OS threads sharing a job counter.
pub struct Threads {
    workers: usize,
}

impl Threads {
    /// A strategy that spawns `workers` threads per run.
    pub fn new(workers: usize) -> Threads {
        Threads { workers }
    }
}

impl Strategy for Threads {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        let next = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::with_capacity(self.workers);
        for i in 0..self.workers {
            let (counter, workload) = (Arc::clone(&next), *workload);
            let spawned = std::thread::Builder::new().name(format!("cvp-threads-{i}")).spawn(move || {
                let mut digest = Digest::default();
                loop {
                    let k = counter.fetch_add(1, Ordering::Relaxed);
                    if k >= workload.jobs {
                        return digest;
                    }
                    digest ^= workload.job(k).run_blocking();
                }
            });
            match spawned {
                Ok(h) => handles.push(h),
                Err(cause) => {
                    // Leave no job for the threads already running, then wait for them.
                    next.store(usize::MAX / 2, Ordering::Relaxed);
                    let _ = join_all(handles, StrategyKind::Threads);
                    return Err(RunError::Spawn {
                        strategy: StrategyKind::Threads,
                        index: i + 1,
                        of: self.workers,
                        cause,
                    });
                }
            }
        }
        join_all(handles, StrategyKind::Threads)
    }
}
