//! `threads`: N OS threads, each pulling the next job number from one shared atomic counter.
//!
//! The threads are spawned per run (that is the strategy: plain threads, no pool); a wait blocks its thread.
//! A thread the OS refuses is a [`RunError`]; the threads already started are stopped and joined first.

use std::convert::Infallible;
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
        // If a thread is refused, leave no job for the others, so they finish at once.
        let stop = || next.store(NO_MORE, Ordering::Relaxed);
        let probe = self.probe;
        if let Some(target) = net_target(&workload, StrategyKind::Threads)? {
            let worker = |_| {
                let counter = Arc::clone(&next);
                move || {
                    pull(&counter, workload.jobs, |k| {
                        run_net_blocking(&probe, target, k as u64, workload.wait)
                    })
                }
            };
            return spawn_and_join(StrategyKind::Threads, self.workers, "cvp-threads", worker, stop);
        }
        let worker = |_| {
            let counter = Arc::clone(&next);
            move || {
                pull(&counter, workload.jobs, |k| Ok::<_, Infallible>(run_blocking(&probe, workload.job(k))))
            }
        };
        spawn_and_join(StrategyKind::Threads, self.workers, "cvp-threads", worker, stop)
    }
}

/// A counter value past any job: set, it leaves no job for the threads still pulling.
const NO_MORE: usize = usize::MAX / 2;

/// One thread's loop: takes the next job number from `counter` until all `jobs` are taken, XORing what
/// `job` returns. The first failure leaves no job for the other threads and is returned.
fn pull<E>(
    counter: &AtomicUsize,
    jobs: usize,
    mut job: impl FnMut(usize) -> Result<Digest, E>,
) -> Result<Digest, E> {
    let mut digest = Digest::default();
    loop {
        let k = counter.fetch_add(1, Ordering::Relaxed);
        if k >= jobs {
            return Ok(digest);
        }
        match job(k) {
            Ok(d) => digest ^= d,
            Err(e) => {
                counter.store(NO_MORE, Ordering::Relaxed);
                return Err(e);
            }
        }
    }
}
