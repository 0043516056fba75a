//! `rayon`: an explicit rayon pool of N threads, `par_iter` over the jobs. A wait blocks a pool thread,
//! so on I/O-bound work rayon behaves like N plain threads.

use std::io;
use std::ops::BitXor;

use rayon::ThreadPool;
use rayon::prelude::*;

use super::{
    NoProbe, Probe, RunError, Strategy, StrategyKind, net_target, rayon_pool, run_blocking, run_net_blocking,
};
use crate::workload::{Digest, Workload};

/// `par_iter` inside a pool of N, telling the probe `P`.
pub struct Rayon<P = NoProbe> {
    pool: ThreadPool,
    probe: P,
}

impl<P: Probe> Rayon<P> {
    /// Builds a pool of `workers` threads.
    pub fn new(workers: usize, probe: P) -> io::Result<Rayon<P>> {
        Ok(Rayon { pool: rayon_pool(workers, "cvp-rayon")?, probe })
    }
}

impl<P: Probe> Strategy for Rayon<P> {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        if let Some(target) = net_target(workload, StrategyKind::Rayon)? {
            return self
                .pool
                .install(|| {
                    (0..workload.jobs)
                        .into_par_iter()
                        .map(|i| run_net_blocking(&self.probe, target, i as u64, workload.wait))
                        .try_reduce(Digest::default, |a, b| Ok(a ^ b))
                })
                .map_err(|e| RunError::Job { strategy: StrategyKind::Rayon, why: e.to_string() });
        }
        Ok(self.pool.install(|| {
            (0..workload.jobs)
                .into_par_iter()
                .map(|i| run_blocking(&self.probe, workload.job(i)))
                .reduce(Digest::default, BitXor::bitxor)
        }))
    }
}
