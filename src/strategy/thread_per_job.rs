//! `thread_per_job`: one OS thread per job, the thread-per-connection server; N is always the job count.
//!
//! Threads are created with `std::thread::Builder`, so a thread the OS refuses (a limit on tasks, threads
//! or address space) is a [`RunError`] naming which thread failed, never a panic or a hang; the threads
//! already started are joined first.

use super::{
    NoProbe, Probe, RunError, Strategy, StrategyKind, net_target, run_blocking, run_net_blocking,
    spawn_and_join,
};
use crate::workload::{Digest, Workload};

/// Spawns one thread per job, telling the probe `P`.
pub struct ThreadPerJob<P = NoProbe>(pub P);

impl<P: Probe> Strategy for ThreadPerJob<P> {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        let workload = *workload;
        if let Some(target) = net_target(&workload, StrategyKind::ThreadPerJob)? {
            return spawn_and_join(
                StrategyKind::ThreadPerJob,
                workload.jobs,
                "cvp-job",
                |i| {
                    let probe = self.0;
                    move || run_net_blocking(&probe, target, i as u64, workload.wait)
                },
                || {},
            );
        }
        spawn_and_join(
            StrategyKind::ThreadPerJob,
            workload.jobs,
            "cvp-job",
            |i| {
                let probe = self.0;
                move || run_blocking(&probe, workload.job(i))
            },
            || {},
        )
    }
}
