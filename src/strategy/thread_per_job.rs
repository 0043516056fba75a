//! `thread_per_job`: one OS thread per job, the thread-per-connection server; N is always the job count.
//!
//! Threads are created with `std::thread::Builder`, so a thread the OS refuses (a limit on tasks, threads
//! or address space) is a [`RunError`] naming which thread failed, never a panic or a hang; the threads
//! already started are joined first.

use super::{RunError, Strategy, StrategyKind, join_all};
use crate::workload::{Digest, Workload};

/// Spawns one thread per job.
pub struct ThreadPerJob;

impl Strategy for ThreadPerJob {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        let mut handles = Vec::with_capacity(workload.jobs);
        for (i, job) in workload.jobs().enumerate() {
            let spawned =
                std::thread::Builder::new().name(format!("cvp-job-{i}")).spawn(move || job.run_blocking());
            match spawned {
                Ok(h) => handles.push(h),
                Err(cause) => {
                    let _ = join_all(handles, StrategyKind::ThreadPerJob);
                    return Err(RunError::Spawn {
                        strategy: StrategyKind::ThreadPerJob,
                        index: i + 1,
                        of: workload.jobs,
                        cause,
                    });
                }
            }
        }
        join_all(handles, StrategyKind::ThreadPerJob)
    }
}
