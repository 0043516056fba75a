//! `threads`: N scoped OS threads, each pulling the next job number from one shared atomic counter.
//!
//! The threads are spawned per run (that is the strategy: plain threads, no pool); a wait blocks its thread.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::Strategy;
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
    fn run(&self, workload: &Workload) -> Digest {
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..self.workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut digest = Digest::default();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= workload.jobs {
                                return digest;
                            }
                            digest ^= workload.job(i).run_blocking();
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a `threads` worker panicked")).collect()
        })
    }
}
