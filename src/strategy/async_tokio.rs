//! `async`: tokio with N workers, one task per job, hashing inline on the workers.
//!
//! With one worker it is tokio's current-thread runtime: one event loop, run by the thread that calls
//! [`Strategy::run`], the classic single-threaded server ([`super::tokio_runtime`] says why). With N >= 2 it
//! is the multi-thread runtime with N workers; `block_on` runs the top-level future on the calling thread
//! and every job is spawned onto the workers, so the waits and the hashing happen there, never on the caller.
//!
//! `async_multi` is the same tasks on the multi-thread runtime at every worker count, one included: the
//! scheduler of `async/2..` with one worker, the baseline C4 compares more workers against (so that C4
//! measures workers, not a change of scheduler).

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::runtime::Runtime;

use super::{
    NoProbe, Phase, Probe, RunError, Strategy, StrategyKind, hash, net_target, tokio_multi_thread,
    tokio_runtime, xor_tasks,
};
use crate::workload::net::{self, NetError, Target};
use crate::workload::{Digest, Workload, wait_async};

/// One task per job on a runtime of N workers, telling the probe `P`.
pub struct Async<P = NoProbe> {
    runtime: Runtime,
    probe: P,
    /// `async` or `async_multi`, as errors name it.
    kind: StrategyKind,
}

impl<P: Probe> Async<P> {
    /// `async`: builds the runtime ([`super::tokio_runtime`]): one event loop for one worker, else `workers`
    /// workers.
    pub fn new(workers: usize, probe: P) -> io::Result<Async<P>> {
        Ok(Async { runtime: tokio_runtime(workers, "cvp-async")?, probe, kind: StrategyKind::Async })
    }

    /// `async_multi`: tokio's multi-thread runtime with `workers` workers, even one
    /// ([`super::tokio_multi_thread`]).
    pub fn multi(workers: usize, probe: P) -> io::Result<Async<P>> {
        Ok(Async {
            runtime: tokio_multi_thread(workers, "cvp-async-multi")?,
            probe,
            kind: StrategyKind::AsyncMulti,
        })
    }
}

/// One job's task: wait, then hash, telling `probe`. It holds the three numbers of the job and the (for
/// [`NoProbe`], empty) probe; the wait's future is made inside it, not captured beside it: a task is
/// allocated in 128-byte steps, and 100,000 of them are in flight in `cvp scale`. Under [`NoProbe`] it is
/// exactly as big as the same task without a probe (a test below checks).
// An `async move` block, as the task was written inline before: the form the size test compares.
#[allow(clippy::manual_async_fn)]
fn task<P: Probe>(probe: P, seed: u64, rounds: u32, wait: Duration) -> impl Future<Output = Digest> {
    async move {
        let start = probe.mark();
        wait_async(wait).await;
        probe.record(seed, Phase::Wait, start);
        hash(&probe, seed, rounds)
    }
}

/// One `net_bound` job's task: the request (the task yields to the reactor at every step), then the job's
/// own hash, which the reply must equal, telling `probe`.
async fn net_task<P: Probe>(probe: P, target: Target, seed: u64, wait: Duration) -> Result<Digest, NetError> {
    let start = probe.mark();
    let reply = net::request_async(target, seed, wait).await;
    probe.record(seed, Phase::Wait, start);
    net::check(seed, target, reply?, hash(&probe, seed, 0))
}

impl<P: Probe> Strategy for Async<P> {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        if let Some(target) = net_target(workload, self.kind)? {
            return self.runtime.block_on(async {
                let tasks: Vec<_> = workload
                    .jobs()
                    .map(|job| tokio::spawn(net_task(self.probe, target, job.seed, job.wait)))
                    .collect();
                xor_tasks(tasks, self.kind).await
            });
        }
        self.runtime.block_on(async {
            let tasks: Vec<_> = workload
                .jobs()
                .map(|job| tokio::spawn(task(self.probe, job.seed, job.rounds, job.wait)))
                .collect();
            xor_tasks(tasks, self.kind).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::chain;

    /// The task as it would be written with no probe at all.
    #[allow(clippy::manual_async_fn)]
    fn plain(seed: u64, rounds: u32, wait: Duration) -> impl Future<Output = Digest> {
        async move {
            wait_async(wait).await;
            chain(seed, rounds)
        }
    }

    #[test]
    fn no_probe_task_is_as_big_as_the_task_without_a_probe() {
        let wait = Duration::from_millis(1);
        let probed = task(NoProbe, 1, 2, wait);
        let without = plain(1, 2, wait);
        assert_eq!(std::mem::size_of_val(&probed), std::mem::size_of_val(&without));
    }
}
