//! `cvp scale`: what it costs to keep 1 ... 100,000 waits in flight, per structure: wall time, CPU time,
//! peak memory, OS threads and context switches (the `scale` view, claim C8).
//!
//! Every (structure, J) runs the `io_bound` workload (J jobs, each one wait, no hashing) in a **fresh child
//! process** ([`child`]: `cvp` re-running itself through the hidden `scale-child` subcommand), so its peak
//! memory, threads and context switches are its own. What is counted:
//! - **peak memory**: the peak resident set (`VmHWM`, reset at the child's idle baseline) above that
//!   baseline: pages actually touched (a thread's used stack pages, a task's heap cell), not the 2 MiB of
//!   address space reserved per thread stack. The kernel keeps these counters per CPU and reports sums that
//!   may be off by tens of KiB, so each structure's J = 1 row gives the **noise floor**, and a memory per
//!   wait is printed only where the excess is at least [`NOISE_FACTOR`] times it;
//! - **page tables** (`VmPTE`, the peak the sampler saw): kernel memory RSS does not count. Neither counts the
//!   kernel's own stack for each thread (16 KiB on x86-64) or its task structures;
//! - **CPU time and context switches**: `getrusage(RUSAGE_SELF)` of the child over the jobs (every thread,
//!   ended ones included), minus the sampling thread's own over the same window;
//! - **peak OS threads**: the most the sampler (every millisecond, `/proc/self/status`) saw, itself not counted.
//!
//! Thread rows are checked against this machine's limits before anything is started ([`Limits`]); a
//! pool-bound row whose predicted time exceeds the budget is skipped, never half-run. The `reference` row is
//! the cheapest program that keeps J waits in flight: a current-thread tokio runtime that spawns one sleep per
//! job and awaits them all. Measured values that do not exist (a skipped or failed row, a J = 1 row that
//! failed) are `null` in JSON and empty in CSV, never 0.
//!
//! With `--io socket` ([`Io::Socket`]) every job's wait is a real request over loopback TCP (the
//! `net_bound` workload) to one `cvp serve` child of the parent, started before the first row: the rows'
//! memory, threads and CPU are the client's alone, and the service's CPU per request is read from its CPU
//! clock around each child. Descriptors and ephemeral ports are checked beside the thread limits
//! ([`Limits::refuse_sockets`]). Its `reference` row is the smallest connect-per-request client: a
//! current-thread tokio runtime, one task per request (connect, send the seed, read the reply, check it),
//! no strategy machinery.
//!
//! Every row runs `repeat` times; the rows that can decide C8 (`thread_per_job` and `async/1` at each
//! J >= [`crate::claims::C8_MIN_JOBS`] where both run) at least [`crate::claims::MIN_SAMPLES_FOR_CI`] times,
//! the fewest that give a distribution-free 95% interval for a median ([`crate::claims::median_ci`]).
//!
//! Here: the plan, the rows and the file. [`measure`] decides which cells run and runs them (each in a
//! child: `child.rs`), [`analysis`] derives numbers, the goals and C8 from rows (its thresholds are in
//! [`crate::claims`]), [`render`] writes the table, CSV, plots and the report's section, and [`cli`] holds
//! the flags and the two commands.

pub mod analysis;
mod child;
pub mod cli;
pub mod measure;
pub mod render;

use serde::{Deserialize, Serialize};

pub use analysis::{
    C8_ROWS, NET_GOAL, NET_GOAL_JOBS, NOISE_FACTOR, REFERENCE_GOAL, c8, c8_on, derive, goal, net_goal,
    verdicts,
};
pub use child::{ChildReport, child, run_child};
pub use measure::{cells, run, runs, skip_reason};
pub use render::{csv, goal_lines, net_goal_lines, plots, read_section, table};

use crate::claims::Verdict;
use crate::machine::Machine;
use crate::machine::limits::Limits;
use crate::strategy::StrategyKind;

/// The job counts of `cvp scale --io socket` when neither `--jobs` nor `CVP_SCALE_JOBS` is given
/// ([`default_socket_jobs`] adds 100,000 where the limits allow it).
pub const SOCKET_JOBS: [usize; 5] = [1, 10, 100, 1_000, 10_000];

/// What a job's wait is in `cvp scale`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Io {
    /// A sleep: the `io_bound` workload (tokio's timer or `std::thread::sleep`).
    #[default]
    Sleep,
    /// A request over loopback TCP to a `cvp serve` child: the `net_bound` workload.
    Socket,
}

impl Io {
    /// The id: `sleep` or `socket`.
    pub fn as_str(self) -> &'static str {
        match self {
            Io::Sleep => "sleep",
            Io::Socket => "socket",
        }
    }

    /// The workload its rows run: `io_bound` or `net_bound`.
    pub fn workload(self) -> crate::WorkloadKind {
        match self {
            Io::Sleep => crate::WorkloadKind::IoBound,
            Io::Socket => crate::WorkloadKind::NetBound,
        }
    }

    /// What one job's wait is called in tables and plots: `wait` or `request`.
    pub fn unit(self) -> &'static str {
        match self {
            Io::Sleep => "wait",
            Io::Socket => "request",
        }
    }
}

impl std::fmt::Display for Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Io {
    type Err = String;
    fn from_str(s: &str) -> Result<Io, String> {
        match s {
            "sleep" => Ok(Io::Sleep),
            "socket" => Ok(Io::Socket),
            _ => Err(format!("unknown --io '{s}' (accepted: sleep, socket)")),
        }
    }
}

/// One structure: how the J waits are held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Structure {
    /// The cheapest program that keeps J waits in flight: a current-thread runtime, one sleep per job (for
    /// sockets: one task per request, connect, send, read, check, and nothing else).
    Reference,
    /// A strategy at a worker count (`thread_per_job` ignores it: one thread per job).
    Of(StrategyKind, usize),
}

impl Structure {
    /// The strategy id in rows: `reference` or the strategy's id.
    pub fn id(self) -> &'static str {
        match self {
            Structure::Reference => "reference",
            Structure::Of(s, _) => s.as_str(),
        }
    }

    /// Workers for a run of `jobs` jobs (`thread_per_job`: one per job).
    pub fn workers(self, jobs: usize) -> usize {
        match self {
            Structure::Reference => 1,
            Structure::Of(StrategyKind::ThreadPerJob, _) => jobs,
            Structure::Of(_, n) => n,
        }
    }

    /// `async/1`, `thread_per_job`, `reference`: how tables and plots name it.
    pub fn label(self) -> String {
        match self {
            Structure::Of(StrategyKind::ThreadPerJob, _) | Structure::Reference => self.id().into(),
            Structure::Of(s, n) => format!("{s}/{n}"),
        }
    }

    /// Whether the jobs queue for a fixed pool of threads that block in their waits: J x W / N.
    pub(crate) fn pool_bound(self) -> bool {
        matches!(
            self,
            Structure::Of(StrategyKind::Sequential | StrategyKind::Threads | StrategyKind::Rayon, _)
        )
    }

    /// OS threads the structure starts for `jobs` jobs (beyond the main thread).
    pub(crate) fn threads(self, jobs: usize) -> usize {
        match self {
            Structure::Reference | Structure::Of(StrategyKind::Sequential, _) => 0,
            Structure::Of(StrategyKind::AsyncOffload, n) => n + 1,
            Structure::Of(s, _) => self.workers(jobs).max(usize::from(s == StrategyKind::ThreadPerJob)),
        }
    }
}

/// The structures of a default `cvp scale` on a machine with `cores` usable cores: the `reference` first
/// (for sleeps and sockets alike: the goals compare `async/1` with it), then the strategies.
pub fn default_structures(cores: usize, strategies: &[StrategyKind]) -> Vec<Structure> {
    let cores = cores.max(1);
    let mut out = vec![Structure::Reference];
    for &s in strategies {
        let counts: Vec<usize> = match s {
            StrategyKind::Sequential | StrategyKind::ThreadPerJob => vec![1],
            StrategyKind::Async => vec![1, cores],
            _ => vec![cores],
        };
        for n in counts {
            if !out.contains(&Structure::Of(s, n)) {
                out.push(Structure::Of(s, n));
            }
        }
    }
    out
}

/// The strategies a default `cvp scale` runs (sequential only when asked: it is 1 x J waits).
pub const DEFAULT_STRATEGIES: [StrategyKind; 5] = [
    StrategyKind::ThreadPerJob,
    StrategyKind::Async,
    StrategyKind::AsyncOffload,
    StrategyKind::Threads,
    StrategyKind::Rayon,
];

/// What `cvp scale` runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Job counts, ascending; 1 is always among them (the one-wait reference of every structure).
    pub jobs: Vec<usize>,
    /// Milliseconds per wait.
    pub wait_ms: u64,
    /// Structures as labels (`reference`, `thread_per_job`, `async/1`, ...).
    pub structures: Vec<String>,
    /// A pool-bound row runs only when J x W / N fits this many seconds.
    pub budget_s: f64,
    /// Child processes per (structure, J); the median is kept, fastest and slowest beside it. The rows that
    /// can decide C8 run at least [`crate::claims::MIN_SAMPLES_FOR_CI`] times ([`runs`]; each row's
    /// `repeats` says how many it had).
    pub repeat: usize,
    /// What a wait is: a sleep (`io_bound`, the default and what files without this field hold) or a
    /// loopback TCP request (`net_bound`).
    #[serde(default)]
    pub io: Io,
}

/// One row of `cvp scale`: a structure at a job count, the median of its child runs. Every measured value
/// is `None` (JSON `null`) when the row was skipped or failed, or when what it derives from is missing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `reference` or the strategy id.
    pub strategy: String,
    /// Workers (`thread_per_job`: J).
    pub workers: usize,
    /// Jobs = waits.
    pub jobs: usize,
    /// Milliseconds per wait.
    pub wait_ms: u64,
    /// Median wall time of the runs.
    pub wall_s: Option<f64>,
    /// Fastest run.
    pub wall_min_s: Option<f64>,
    /// Slowest run.
    pub wall_max_s: Option<f64>,
    /// Wall / the same structure's J = 1 wall: how many one-waits all J waits took.
    pub waits: Option<f64>,
    /// `waits` over the reference's at the same J (the goals: <= 1.10 for `async/1`).
    pub vs_reference: Option<f64>,
    /// The lowest and highest `vs_reference` the runs' fastest and slowest allow.
    pub vs_reference_range: Option<(f64, f64)>,
    /// (wall - one wait) / J in microseconds: what one more wait in flight costs.
    pub overhead_us_per_wait: Option<f64>,
    /// J x one wait / wall (Little's law).
    pub in_flight: Option<f64>,
    /// CPU time of the median run (the sampler's own taken out).
    pub cpu_s: Option<f64>,
    /// CPU time / wall time.
    pub cores_busy: Option<f64>,
    /// Peak resident memory of the median run.
    pub peak_rss_bytes: Option<u64>,
    /// Resident memory before its jobs.
    pub baseline_rss_bytes: Option<u64>,
    /// Whether every run reset the kernel's peak mark at its baseline (else peaks count from start-up).
    pub peak_reset: Option<bool>,
    /// The median over the runs of (peak - baseline) / J, when every run's excess is clear of the noise
    /// floor (the median of each run's own memory, not the memory of the median-wall run).
    pub bytes_per_wait: Option<f64>,
    /// The lowest and highest `bytes_per_wait` over the runs.
    pub bytes_per_wait_range: Option<(f64, f64)>,
    /// The largest excess over the baseline of this structure's J = 1 runs: what the kernel's approximate
    /// counters (and one job) add; memory per wait is printed only well above it.
    pub noise_floor_bytes: Option<u64>,
    /// Peak page-table memory.
    pub vm_pte_bytes: Option<u64>,
    /// Peak OS threads (the sampler not counted).
    pub peak_threads: Option<u64>,
    /// `--io socket`: the service's CPU time over the median run's child (its J requests and the
    /// warm-up's one), read from the service's CPU clock; never counted in `cpu_s`.
    #[serde(default)]
    pub server_cpu_s: Option<f64>,
    /// `--io socket`: `server_cpu_s` / (J + 1) in microseconds: what the service spent per request.
    #[serde(default)]
    pub server_us_per_request: Option<f64>,
    /// Voluntary context switches of the median run.
    pub voluntary_switches: Option<u64>,
    /// Involuntary context switches of the median run.
    pub involuntary_switches: Option<u64>,
    /// Child runs behind the median.
    pub repeats: usize,
    /// `ok`, `skipped: <reason>` or `failed ...`.
    pub status: String,
    /// The excess over the baseline of each run (bytes), the median run's first: the noise floor (at J = 1)
    /// and the memory range.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excess_bytes: Vec<u64>,
    /// The wall time of each run (seconds), the median run's first: C8's 95% interval for the median wall
    /// ([`crate::claims::median_ci`]). Empty in files from before it was kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wall_runs_s: Vec<f64>,
}

impl Row {
    /// Whether the row was measured.
    pub fn ok(&self) -> bool {
        self.status == "ok"
    }

    /// The structure label (`async/1`, `thread_per_job`, ...).
    pub fn label(&self) -> String {
        match self.strategy.as_str() {
            "reference" | "thread_per_job" => self.strategy.clone(),
            s => format!("{s}/{}", self.workers),
        }
    }
}

/// What `cvp scale --format json` writes and `cvp report --scale` reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScaleFile {
    /// The command line.
    pub command: Vec<String>,
    /// The measuring machine.
    pub machine: Machine,
    /// The limits thread rows were checked against.
    pub limits: Limits,
    /// What ran.
    pub plan: Plan,
    /// One row per (structure, J), in structure then J order.
    pub rows: Vec<Row>,
    /// C8.
    pub verdicts: Vec<Verdict>,
}

/// The job counts of a default `cvp scale --io socket`: [`SOCKET_JOBS`], and 100,000 where the limits
/// hold that many connections.
pub fn default_socket_jobs(limits: &Limits) -> Vec<usize> {
    let mut jobs = SOCKET_JOBS.to_vec();
    if limits.refuse_sockets(100_000, crate::workload::net::DEFAULT_SPREAD).is_none() {
        jobs.push(100_000);
    }
    jobs
}

#[cfg(test)]
mod tests;
