//! `rayon`: an explicit rayon pool of N threads, `par_iter` over the jobs. A wait blocks a pool thread,
//! so on I/O-bound work rayon behaves like N plain threads.

use std::io;
use std::ops::BitXor;

use rayon::ThreadPool;
use rayon::prelude::*;

use super::{RunError, Strategy, rayon_pool};
use crate::workload::{Digest, Workload};

/// `par_iter` inside a pool of N.
pub struct Rayon {
    pool: ThreadPool,
}

impl Rayon {
    /// Builds a pool of `workers` threads.
    pub fn new(workers: usize) -> io::Result<Rayon> {
        Ok(Rayon { pool: rayon_pool(workers, "cvp-rayon")? })
    }
}

impl Strategy for Rayon {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        Ok(self.pool.install(|| {
            (0..workload.jobs)
                .into_par_iter()
                .map(|i| workload.job(i).run_blocking())
                .reduce(Digest::default, BitXor::bitxor)
        }))
    }
}
