//! `async_offload`: one event loop (tokio's current-thread runtime, on the thread that runs it) overlaps all
//! the waits; the hashing goes to a rayon pool of N threads through a oneshot channel, as tokio advises for
//! CPU-bound work. N counts hashing threads only.

use std::io;
use std::sync::Arc;

use rayon::ThreadPool;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use super::{
    NoProbe, Phase, Probe, RunError, Strategy, StrategyKind, hash, rayon_pool, tokio_runtime, xor_tasks,
};
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

impl<P: Probe> Strategy for AsyncOffload<P> {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        self.runtime.block_on(async {
            let tasks: Vec<_> = workload
                .jobs()
                .map(|job| {
                    let pool = Arc::clone(&self.pool);
                    let probe = self.probe;
                    tokio::spawn(async move {
                        let start = probe.mark();
                        wait_async(job.wait).await;
                        probe.record(job.seed, Phase::Wait, start);
                        let (tx, rx) = oneshot::channel();
                        pool.spawn(move || {
                            // The receiver only disappears if the task was cancelled; nothing to report then.
                            let _ = tx.send(hash(&probe, job));
                        });
                        rx.await.expect("the rayon pool dropped a hashing job")
                    })
                })
                .collect();
            xor_tasks(tasks, StrategyKind::AsyncOffload).await
        })
    }
}
