//! `thread_per_job`: one OS thread per job, the thread-per-connection server; N is always the job count.

use super::Strategy;
use crate::workload::{Digest, Workload};

/// Spawns one scoped thread per job.
pub struct ThreadPerJob;

impl Strategy for ThreadPerJob {
    fn run(&self, workload: &Workload) -> Digest {
        std::thread::scope(|scope| {
            let handles: Vec<_> =
                workload.jobs().map(|job| scope.spawn(move || job.run_blocking())).collect();
            handles.into_iter().map(|h| h.join().expect("a `thread_per_job` thread panicked")).collect()
        })
    }
}
