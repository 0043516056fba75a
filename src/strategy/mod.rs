//! Strategies: how a workload's jobs are spread over workers. One file per strategy (`async_multi` shares
//! `async_tokio.rs`: the same tasks on another runtime); this file holds the ids.
//!
//! A strategy is built once per worker count ([`StrategyKind::build`]): its thread pool or runtime lives in
//! the returned value and is reused by every [`Strategy::run`], so building it is never timed.
//!
//! Every strategy is generic over a [`Probe`], told when each job's wait and hash start and end. The probe
//! is chosen at compile time: [`StrategyKind::build`] (the benches, `cvp run`) uses [`NoProbe`], whose
//! empty inlined methods compile away, so what they run is the strategy and nothing else;
//! [`StrategyKind::build_probed`] is for `cvp trace`, which records each interval.

mod async_offload;
mod async_tokio;
mod rayon_pool;
mod sequential;
mod thread_per_job;
mod threads;

use std::fmt;
use std::io;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::workload::net::{self, NetError, Target};
use crate::workload::{Digest, Job, WaitKind, Workload, WorkloadKind, chain, wait_blocking};

/// Runs every job of a workload and returns the workload digest.
pub trait Strategy: Send + Sync {
    /// Runs all jobs of `workload`; the result is the XOR of the job digests.
    fn run(&self, workload: &Workload) -> Result<Digest, RunError>;
}

/// The two phases of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The wait (simulated network round trip).
    Wait,
    /// The SHA-256 chain.
    Hash,
}

impl Phase {
    /// The id: `wait` or `hash`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Wait => "wait",
            Phase::Hash => "hash",
        }
    }
}

/// Told by a strategy when each phase of each job starts ([`Probe::mark`], on the thread that starts it)
/// and ends ([`Probe::record`], with the job number and the mark). Chosen at compile time: a strategy built
/// with [`NoProbe`] runs the code it would run without any probe. Both the probe and its mark are `Copy`:
/// a type that may need dropping would give every async job's state machine a drop flag, even for
/// [`NoProbe`] (drop flags are decided before the probe type is known).
pub trait Probe: Copy + Send + Sync + 'static {
    /// What [`Probe::mark`] remembers of the start (nothing, for [`NoProbe`]).
    type Mark: Copy + Send + 'static;
    /// Called on the thread that starts a phase, right before it starts.
    fn mark(&self) -> Self::Mark;
    /// Called right after the phase ends: job `job` ran `phase` from `start` until now.
    fn record(&self, job: u64, phase: Phase, start: Self::Mark);
}

/// The probe of every timed run: does nothing, costs nothing (a zero-sized type whose methods are empty
/// and inlined away).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProbe;

impl Probe for NoProbe {
    type Mark = ();
    #[inline(always)]
    fn mark(&self) {}
    #[inline(always)]
    fn record(&self, _job: u64, _phase: Phase, _start: ()) {}
}

/// Runs `job` on the calling thread, a blocking wait then the chain, telling `probe`. With [`NoProbe`] this
/// is exactly [`Job::run_blocking`].
#[inline]
fn run_blocking<P: Probe>(probe: &P, job: Job) -> Digest {
    let start = probe.mark();
    wait_blocking(job.wait);
    probe.record(job.seed, Phase::Wait, start);
    hash(probe, job.seed, job.rounds)
}

/// The chain of job `seed` (`rounds` rounds) on the calling thread, telling `probe`. It takes the two
/// numbers, not the [`Job`]: a closure or task that calls it then holds 12 bytes, not the job's 32.
#[inline]
fn hash<P: Probe>(probe: &P, seed: u64, rounds: u32) -> Digest {
    let start = probe.mark();
    let digest = chain(seed, rounds);
    probe.record(seed, Phase::Hash, start);
    digest
}

/// Where `workload`'s waits go: `None` when a wait is a sleep; for `net_bound` its server, or an error
/// when it was given none.
fn net_target(workload: &Workload, strategy: StrategyKind) -> Result<Option<Target>, RunError> {
    match (workload.kind.is_net(), workload.server) {
        (false, _) => Ok(None),
        (true, Some(target)) => Ok(Some(target)),
        (true, None) => Err(RunError::NoServer { strategy }),
    }
}

/// `net_bound`'s job `seed` on the calling thread: the request (the thread blocks in `connect`, `write`
/// and `read`), then the job's own hash, which the reply must equal, telling `probe`.
fn run_net_blocking<P: Probe>(
    probe: &P,
    target: Target,
    seed: u64,
    wait: Duration,
) -> Result<Digest, NetError> {
    let start = probe.mark();
    let reply = net::request_blocking(target, seed, wait);
    probe.record(seed, Phase::Wait, start);
    net::check(seed, target, reply?, hash(probe, seed, 0))
}

/// What a job's thread or task hands back: a digest, or (`net_bound`) a digest or the failure naming the job.
trait JobOutput: Send + 'static {
    /// The digest, or why the job failed.
    fn into_digest(self) -> Result<Digest, String>;
}

impl JobOutput for Digest {
    #[inline(always)]
    fn into_digest(self) -> Result<Digest, String> {
        Ok(self)
    }
}

impl JobOutput for Result<Digest, std::convert::Infallible> {
    #[inline(always)]
    fn into_digest(self) -> Result<Digest, String> {
        match self {
            Ok(d) => Ok(d),
        }
    }
}

impl JobOutput for Result<Digest, NetError> {
    fn into_digest(self) -> Result<Digest, String> {
        self.map_err(|e| e.to_string())
    }
}

/// Why a run could not finish: the OS refused a thread, or a job's thread or task died.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The OS refused to create a thread (a limit on tasks, threads or address space).
    #[error(
        "{strategy}: cannot create thread {index} of {of}: {cause} (a limit on threads or memory: \
         `ulimit -u`, systemd TasksMax, `ulimit -v`; lower the job or worker count)"
    )]
    Spawn {
        /// The strategy.
        strategy: StrategyKind,
        /// Which thread (1-based) could not be created.
        index: usize,
        /// How many the run needed.
        of: usize,
        /// The OS error (shown in the message, so not also a `source`).
        cause: io::Error,
    },
    /// A `net_bound` workload was run without a server to send its requests to.
    #[error(
        "{strategy}: net_bound needs its server (`Workload::on` a started `net::Server`); none was given"
    )]
    NoServer {
        /// The strategy.
        strategy: StrategyKind,
    },
    /// A job's thread or task panicked or was cancelled, or its request failed.
    #[error("{strategy}: a job failed: {why}")]
    Job {
        /// The strategy.
        strategy: StrategyKind,
        /// What happened.
        why: String,
    },
}

/// The seven strategies. The id strings are criterion function ids, CSV and JSON values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    /// The calling thread, one job after another.
    Sequential,
    /// N OS threads, spawned per run, pulling jobs from a shared counter.
    Threads,
    /// One OS thread per job (thread-per-connection).
    ThreadPerJob,
    /// tokio, one task per job, hashing inline: the current-thread runtime at N = 1 (one event loop), the
    /// multi-thread runtime with N workers above. A `net_bound` request is epoll through tokio's reactor.
    Async,
    /// A one-worker tokio runtime for the waits; hashing sent to a rayon pool of N.
    AsyncOffload,
    /// A rayon pool of N, `par_iter` over the jobs; a wait blocks a pool thread.
    Rayon,
    /// tokio's multi-thread runtime with ONE worker: `async/1`'s jobs on the scheduler `async/2..` use, C4's
    /// like-for-like baseline (more workers against one, the scheduler unchanged). Swept at one worker only,
    /// on the workloads that wait on I/O ([`StrategyKind::runs_on`]); built with N workers it is the
    /// multi-thread runtime of N, as `async/N`.
    AsyncMulti,
}

impl StrategyKind {
    /// Every strategy, in report order (`async_multi` last: each of the others keeps its place, and its colour
    /// in the plots).
    pub const ALL: [StrategyKind; 7] = [
        StrategyKind::Sequential,
        StrategyKind::Threads,
        StrategyKind::ThreadPerJob,
        StrategyKind::Async,
        StrategyKind::AsyncOffload,
        StrategyKind::Rayon,
        StrategyKind::AsyncMulti,
    ];

    /// The id, e.g. `thread_per_job`.
    pub fn as_str(self) -> &'static str {
        match self {
            StrategyKind::Sequential => "sequential",
            StrategyKind::Threads => "threads",
            StrategyKind::ThreadPerJob => "thread_per_job",
            StrategyKind::Async => "async",
            StrategyKind::AsyncOffload => "async_offload",
            StrategyKind::Rayon => "rayon",
            StrategyKind::AsyncMulti => "async_multi",
        }
    }

    /// The worker counts this strategy is run at, given the sweep and the job count: `sequential` and
    /// `async_multi` always use 1 and `thread_per_job` always uses one thread per job, so they ignore the
    /// sweep.
    pub fn worker_counts(self, sweep: &[usize], jobs: usize) -> Vec<usize> {
        match self {
            StrategyKind::Sequential | StrategyKind::AsyncMulti => vec![1],
            StrategyKind::ThreadPerJob => vec![jobs],
            _ => sweep.to_vec(),
        }
    }

    /// Whether the sweeps (`cvp run`, the benches) run this strategy on `workload`: `async_multi`, C4's
    /// baseline, only on the workloads that wait on I/O with nothing to compute (io_bound, net_bound), where
    /// C4 is judged; every other strategy on every workload.
    pub fn runs_on(self, workload: WorkloadKind) -> bool {
        self != StrategyKind::AsyncMulti || matches!(workload, WorkloadKind::IoBound | WorkloadKind::NetBound)
    }

    /// The tokio runtime this strategy's jobs wait on with `workers` workers, as the tables name it:
    /// `current_thread` for `async` at 1 worker and for `async_offload`'s loop (one event loop), `multi_thread`
    /// for `async` at 2 or more and for `async_multi`; `None` for the strategies that use no tokio runtime.
    pub fn runtime(self, workers: usize) -> Option<&'static str> {
        match self {
            StrategyKind::Async if workers <= 1 => Some("current_thread"),
            StrategyKind::Async | StrategyKind::AsyncMulti => Some("multi_thread"),
            StrategyKind::AsyncOffload => Some("current_thread"),
            _ => None,
        }
    }

    /// How this strategy's jobs wait: the blocking strategies sleep their thread, the async ones yield.
    pub fn wait_kind(self) -> WaitKind {
        match self {
            StrategyKind::Async | StrategyKind::AsyncOffload | StrategyKind::AsyncMulti => WaitKind::Async,
            _ => WaitKind::Blocking,
        }
    }

    /// Builds the strategy with `workers` workers: pools and runtimes are created here, once. It tells no
    /// probe anything ([`NoProbe`]).
    pub fn build(self, workers: usize) -> io::Result<Box<dyn Strategy>> {
        self.build_probed(workers, NoProbe)
    }

    /// Builds the strategy with `workers` workers, telling `probe` when each job's wait and hash start and
    /// end (`cvp trace`).
    pub fn build_probed<P: Probe>(self, workers: usize, probe: P) -> io::Result<Box<dyn Strategy>> {
        Ok(match self {
            StrategyKind::Sequential => Box::new(sequential::Sequential(probe)),
            StrategyKind::Threads => Box::new(threads::Threads::new(workers, probe)),
            StrategyKind::ThreadPerJob => Box::new(thread_per_job::ThreadPerJob(probe)),
            StrategyKind::Async => Box::new(async_tokio::Async::new(workers, probe)?),
            StrategyKind::AsyncOffload => Box::new(async_offload::AsyncOffload::new(workers, probe)?),
            StrategyKind::Rayon => Box::new(rayon_pool::Rayon::new(workers, probe)?),
            StrategyKind::AsyncMulti => Box::new(async_tokio::Async::multi(workers, probe)?),
        })
    }
}

impl fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StrategyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        StrategyKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            format!(
                "unknown strategy '{s}' (accepted: sequential, threads, thread_per_job, async, async_offload, rayon, \
                 async_multi)"
            )
        })
    }
}

/// A rayon pool of exactly `workers` threads: never the global pool, which criterion uses for its analysis.
fn rayon_pool(workers: usize, name: &'static str) -> io::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(move |i| format!("{name}-{i}"))
        .build()
        .map_err(io::Error::other)
}

/// Awaits every task and XORs their digests (the tail of both async strategies).
async fn xor_tasks<T: JobOutput>(
    tasks: Vec<tokio::task::JoinHandle<T>>,
    strategy: StrategyKind,
) -> Result<Digest, RunError> {
    let mut digest = Digest::default();
    let mut failed = None;
    for task in tasks {
        match task.await.map_err(|e| e.to_string()).and_then(JobOutput::into_digest) {
            Ok(d) => digest ^= d,
            Err(e) => failed = failed.or(Some(e)),
        }
    }
    match failed {
        None => Ok(digest),
        Some(why) => Err(RunError::Job { strategy, why }),
    }
}

/// Spawns `n` threads named `<name>-<i>`, thread `i` running `body(i)`, and joins them all for the XOR of
/// their digests. If the OS refuses a thread, `refused` runs first (so the started threads can finish), they
/// are joined, and the error names the thread: never a panic, never a hang.
fn spawn_and_join<F, T>(
    strategy: StrategyKind,
    n: usize,
    name: &str,
    mut body: impl FnMut(usize) -> F,
    refused: impl FnOnce(),
) -> Result<Digest, RunError>
where
    F: FnOnce() -> T + Send + 'static,
    T: JobOutput,
{
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        match std::thread::Builder::new().name(format!("{name}-{i}")).spawn(body(i)) {
            Ok(h) => handles.push(h),
            Err(cause) => {
                refused();
                let _ = join_all(handles, strategy);
                return Err(RunError::Spawn { strategy, index: i + 1, of: n, cause });
            }
        }
    }
    join_all(handles, strategy)
}

/// Joins every thread (all of them, even after a failure) and XORs their digests.
fn join_all<T: JobOutput>(
    handles: Vec<std::thread::JoinHandle<T>>,
    strategy: StrategyKind,
) -> Result<Digest, RunError> {
    let mut digest = Digest::default();
    let mut failed = None;
    for h in handles {
        match h.join().map_err(|_| "a thread panicked".to_string()).and_then(JobOutput::into_digest) {
            Ok(d) => digest ^= d,
            Err(e) => failed = failed.or(Some(e)),
        }
    }
    match failed {
        None => Ok(digest),
        Some(why) => Err(RunError::Job { strategy, why }),
    }
}

/// A tokio runtime with `workers` workers and a timer: with one worker the current-thread runtime, one event
/// loop run by the thread that calls `block_on` (the classic single-threaded server); with more, the
/// multi-thread runtime with exactly that many workers. A multi-thread runtime with one worker is not one
/// event loop: the caller feeds it from outside through a shared injection queue, two threads for one
/// loop's work (1.3 to 1.8 times the waits of a plain loop at 100,000 tasks in `cvp scale`).
///
/// Both drivers are on, timer and I/O (epoll), for every workload alike, so a sleep and a socket wait run on
/// the same runtime.
pub fn tokio_runtime(workers: usize, name: &'static str) -> io::Result<tokio::runtime::Runtime> {
    if workers <= 1 {
        return tokio::runtime::Builder::new_current_thread().enable_all().build();
    }
    tokio_multi_thread(workers, name)
}

/// tokio's multi-thread runtime with exactly `workers` workers (at least one), timer and I/O drivers on: the
/// runtime of `async` at N >= 2, and of `async_multi` at every N, one worker included.
pub fn tokio_multi_thread(workers: usize, name: &'static str) -> io::Result<tokio::runtime::Runtime> {
    // Workers named `<name>-0` .. `<name>-<N-1>`, as the rayon pools' threads are (tokio starts its workers
    // first; a blocking-pool thread, if any were ever started, would take the next numbers).
    let next = std::sync::atomic::AtomicUsize::new(0);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .thread_name_fn(move || format!("{name}-{}", next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)))
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for k in StrategyKind::ALL {
            assert_eq!(k.as_str().parse::<StrategyKind>(), Ok(k));
        }
        assert!("tokio".parse::<StrategyKind>().unwrap_err().contains("accepted"));
    }

    #[test]
    fn fixed_strategies_ignore_the_sweep() {
        assert_eq!(StrategyKind::Sequential.worker_counts(&[2, 4], 9), vec![1]);
        assert_eq!(StrategyKind::ThreadPerJob.worker_counts(&[2, 4], 9), vec![9]);
        assert_eq!(StrategyKind::Rayon.worker_counts(&[2, 4], 9), vec![2, 4]);
        assert_eq!(StrategyKind::AsyncMulti.worker_counts(&[2, 4], 9), vec![1]);
    }

    #[test]
    fn async_multi_runs_only_where_c4_is_judged_and_each_tokio_row_names_its_runtime() {
        use crate::workload::WorkloadKind::*;
        let on: Vec<_> =
            WorkloadKind::ALL.into_iter().filter(|&w| StrategyKind::AsyncMulti.runs_on(w)).collect();
        assert_eq!(on, [IoBound, NetBound]);
        assert!(
            StrategyKind::ALL.iter().filter(|&&s| s != StrategyKind::AsyncMulti).all(|s| s.runs_on(CpuBound))
        );
        assert_eq!(StrategyKind::Async.runtime(1), Some("current_thread"));
        assert_eq!(StrategyKind::Async.runtime(2), Some("multi_thread"));
        assert_eq!(StrategyKind::AsyncMulti.runtime(1), Some("multi_thread"));
        assert_eq!(StrategyKind::AsyncOffload.runtime(4), Some("current_thread"));
        assert_eq!(StrategyKind::Threads.runtime(4), None);
    }
}
