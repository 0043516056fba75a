//! `async_offload`: one event loop (tokio's current-thread runtime, on the thread that runs it) overlaps all
//! the waits; the hashing goes to a rayon pool of N threads through a oneshot channel, as tokio advises for
//! CPU-bound work. N counts hashing threads only.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use rayon::ThreadPool;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use super::{
    NoProbe, Phase, Probe, RunError, Strategy, StrategyKind, hash, net_target, rayon_pool, tokio_runtime,
    xor_tasks,
};
use crate::workload::net::{self, NetError, Target};
use crate::workload::{Digest, Workload, wait_async};

/// Waits on a one-worker runtime, hashes on a rayon pool, telling the probe `P`.
pub struct AsyncOffload<P = NoProbe> {
    runtime: Runtime,
    pool: Arc<ThreadPool>,
    probe: P,
}

impl<P: Probe> AsyncOffload<P> {
    /// Builds a one-loop runtime and a rayon pool of `workers` hashing threads.
    pub fn new(workers: usize, probe: P) -> io::Result<AsyncOffload<P>> {
        Ok(AsyncOffload {
            runtime: tokio_runtime(1, "cvp-offload-io")?,
            pool: Arc::new(rayon_pool(workers, "cvp-offload-cpu")?),
            probe,
        })
    }
}

/// What the rayon pool runs for one job: hash, telling `probe`, and send the digest back. It holds the
/// sender, the seed and the rounds (and the probe): 24 bytes under [`NoProbe`], as without a probe.
fn hashing<P: Probe>(probe: P, seed: u64, rounds: u32, tx: oneshot::Sender<Digest>) -> impl FnOnce() + Send {
    move || {
        // The receiver only disappears if the task was cancelled; nothing to report then.
        let _ = tx.send(hash(&probe, seed, rounds));
    }
}

/// One job's task on the event loop: wait, then hand the hash to the pool and await its digest. It holds
/// the pool, the job's three numbers and the probe; the wait's future is made inside it, never captured
/// beside it. Under [`NoProbe`] it is exactly as big as the same task without a probe (a test checks).
// An `async move` block, as the task was written inline before: the form the size test compares.
#[allow(clippy::manual_async_fn)]
fn task<P: Probe>(
    probe: P,
    pool: Arc<ThreadPool>,
    seed: u64,
    rounds: u32,
    wait: Duration,
) -> impl Future<Output = Digest> {
    async move {
        let start = probe.mark();
        wait_async(wait).await;
        probe.record(seed, Phase::Wait, start);
        let (tx, rx) = oneshot::channel();
        pool.spawn(hashing(probe, seed, rounds, tx));
        rx.await.expect("the rayon pool dropped a hashing job")
    }
}

/// One `net_bound` job's task on the event loop: the request, then the job's own hash on the pool, which
/// the reply must equal.
async fn net_task<P: Probe>(
    probe: P,
    pool: Arc<ThreadPool>,
    target: Target,
    seed: u64,
    wait: Duration,
) -> Result<Digest, NetError> {
    let start = probe.mark();
    let reply = net::request_async(target, seed, wait).await;
    probe.record(seed, Phase::Wait, start);
    let reply = reply?;
    let (tx, rx) = oneshot::channel();
    pool.spawn(hashing(probe, seed, 0, tx));
    net::check(seed, target, reply, rx.await.expect("the rayon pool dropped a hashing job"))
}

impl<P: Probe> Strategy for AsyncOffload<P> {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        if let Some(target) = net_target(workload, StrategyKind::AsyncOffload)? {
            return self.runtime.block_on(async {
                let tasks: Vec<_> = workload
                    .jobs()
                    .map(|job| {
                        let pool = Arc::clone(&self.pool);
                        tokio::spawn(net_task(self.probe, pool, target, job.seed, job.wait))
                    })
                    .collect();
                xor_tasks(tasks, StrategyKind::AsyncOffload).await
            });
        }
        self.runtime.block_on(async {
            let tasks: Vec<_> = workload
                .jobs()
                .map(|job| {
                    let pool = Arc::clone(&self.pool);
                    tokio::spawn(task(self.probe, pool, job.seed, job.rounds, job.wait))
                })
                .collect();
            xor_tasks(tasks, StrategyKind::AsyncOffload).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::chain;

    /// The rayon closure as it would be written with no probe at all.
    fn plain_hashing(seed: u64, rounds: u32, tx: oneshot::Sender<Digest>) -> impl FnOnce() + Send {
        move || {
            let _ = tx.send(chain(seed, rounds));
        }
    }

    /// The task as it would be written with no probe at all.
    #[allow(clippy::manual_async_fn)]
    fn plain(pool: Arc<ThreadPool>, seed: u64, rounds: u32, wait: Duration) -> impl Future<Output = Digest> {
        async move {
            wait_async(wait).await;
            let (tx, rx) = oneshot::channel();
            pool.spawn(plain_hashing(seed, rounds, tx));
            rx.await.expect("the rayon pool dropped a hashing job")
        }
    }

    #[test]
    fn no_probe_task_and_closure_are_as_big_as_without_a_probe() {
        let pool = Arc::new(rayon_pool(1, "cvp-test").unwrap());
        let wait = Duration::from_millis(1);
        let probed = task(NoProbe, Arc::clone(&pool), 1, 2, wait);
        let without = plain(Arc::clone(&pool), 1, 2, wait);
        assert_eq!(std::mem::size_of_val(&probed), std::mem::size_of_val(&without));
        let (tx, _rx) = oneshot::channel();
        let (tx2, _rx2) = oneshot::channel();
        let probed = hashing(NoProbe, 1, 2, tx);
        let without = plain_hashing(1, 2, tx2);
        assert_eq!(std::mem::size_of_val(&probed), std::mem::size_of_val(&without));
        // The closure holds the sender, the seed and the rounds: nothing of the job beyond them.
        assert_eq!(std::mem::size_of_val(&probed), 24);
    }
}
