//! `cvp trace`, the timeline view (claim C9): which OS thread ran which job's wait and hash, and when.
//!
//! Plan ([`Plan`]) -> one traced pass per strategy ([`run`], in `measure.rs`: rows [`TraceFile`], [`Pass`],
//! [`Interval`]) -> analysis (`analysis.rs`: lanes, tracks, time slicing, the C9 verdict [`verdict_c9`]) ->
//! rendering (`render.rs`: the summary [`table`], the output [`files`] and a results-folder section
//! [`read_section`]): `timeline.svg` ([`svg`], in `picture.rs`), `trace.json` in the Chrome Trace Event
//! Format ([`chrome_json`], in `chrome.rs`, which Perfetto UI and chrome://tracing open). The recording
//! probe, [`Tracer`], is in `tracer.rs`; the command's flags and help in `cli.rs`.
//!
//! Recording costs nothing when nobody traces: a strategy is generic over a [`Probe`](crate::strategy::Probe)
//! chosen at compile time, and everything but this view builds it with [`crate::strategy::NoProbe`]. Here it
//! gets a [`Tracer`], which stamps each phase with [`Instant`](std::time::Instant)s, the OS thread that
//! started it and that thread's own CPU clock. Each strategy runs twice: a warm-up, traced too but its
//! recording dropped, then the pass that is kept. What is left out: the time a strategy spends outside its
//! jobs (spawning, scheduling, joining) is not drawn, only seen as gaps, and a zero wait (`cpu_bound`) is not
//! recorded. A wait ends when its thread (async: its task) runs again, so it includes the time it was ready
//! while the cores, or its worker, were busy: the picture draws the nominal wait as the thin bar and the rest
//! as a lighter "ready, not running" bar. An async wait is drawn on the thread that started it, although no
//! thread is busy during it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::claims::Verdict;
use crate::machine::Machine;
use crate::strategy::{Phase, RunError, StrategyKind};
use crate::workload::{Workload, WorkloadKind};

mod analysis;
mod chrome;
pub mod cli;
mod measure;
mod picture;
mod render;
mod tracer;

pub use analysis::{Lane, Slicing, slicing, thread_tracks, tracks, verdict_c9};
pub use chrome::chrome_json;
pub use measure::calibrate_rounds;
pub use picture::svg;
pub use render::{files, read, read_section, slug, table};
pub use tracer::{Mark, Tracer};

/// The most jobs a trace draws: beyond this the bars are too thin to read.
pub const MAX_JOBS: usize = 64;
/// The most workers a trace draws (lanes): beyond this the panels are too tall to read.
pub const MAX_WORKERS: usize = 32;

/// What to trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The workload.
    pub workload: WorkloadKind,
    /// Jobs, 1..=[`MAX_JOBS`].
    pub jobs: usize,
    /// Workers of the strategies that take a count (`sequential` uses 1, `thread_per_job` one per job).
    pub workers: usize,
    /// Strategies, in panel order.
    pub strategies: Vec<StrategyKind>,
    /// Wait per job, ms.
    pub wait_ms: u64,
    /// Hash rounds per job; `None`: sized so that one hash takes about as long as one wait.
    pub rounds: Option<u32>,
    /// Pin the whole process to one CPU before anything runs (`--cores 1`).
    pub one_core: bool,
    /// Also trace `async` on one worker (one event loop), right after `async` at [`Plan::workers`], when
    /// that is more than 1 and `async` is traced (the default `cvp trace` does).
    #[serde(default)]
    pub async_on_one: bool,
}

impl Plan {
    /// The passes, in panel order: each strategy with its worker count.
    pub fn passes(&self) -> Vec<(StrategyKind, usize)> {
        let mut out = Vec::new();
        for &s in &self.strategies {
            out.push((s, s.worker_counts(&[self.workers], self.jobs)[0]));
            if s == StrategyKind::Async && self.async_on_one && self.workers > 1 {
                out.push((s, 1));
            }
        }
        out
    }

    /// The nominal wait of each job (zero for `cpu_bound`).
    pub fn wait(&self, rounds: u32) -> Duration {
        Workload::new(self.workload, self.jobs, Duration::from_millis(self.wait_ms), rounds).wait
    }
}

/// One phase of one job: when it ran (ns since the pass started) and on which OS thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The job number (its seed).
    pub job: u64,
    /// `wait` or `hash`.
    pub phase: Phase,
    /// The OS thread's name (`<unnamed>` if it has none).
    pub thread: String,
    /// The OS thread id (Linux `gettid`; elsewhere a number per thread of this process).
    pub tid: u64,
    /// Start, ns after the pass started.
    pub start_ns: u64,
    /// End, ns after the pass started.
    pub end_ns: u64,
    /// The thread's own CPU time over the phase (`CLOCK_THREAD_CPUTIME_ID`), ns, when it started and ended
    /// on the same thread (always for a hash) and the clock could be read.
    #[serde(default)]
    pub cpu_ns: Option<u64>,
}

/// One traced pass of one strategy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pass {
    /// The strategy.
    pub strategy: StrategyKind,
    /// Its workers (1 for `sequential`, the job count for `thread_per_job`).
    pub workers: usize,
    /// Wall time of the pass, s.
    pub wall_s: f64,
    /// Process CPU time over the pass, s.
    pub cpu_s: f64,
    /// Every job's wait and hash.
    pub intervals: Vec<Interval>,
    /// The digest, lowercase hex (checked against the expected one).
    pub digest: String,
}

/// What `cvp trace` measured: the rows, kept under the key `cvp` of `trace.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceFile {
    /// The command line.
    pub command: Vec<String>,
    /// The measuring machine.
    pub machine: Machine,
    /// The plan as given.
    pub plan: Plan,
    /// Hash rounds per job as run (the plan's, or calibrated).
    pub rounds: u32,
    /// The CPU the process was pinned to (`--cores 1`).
    pub pinned_cpu: Option<usize>,
    /// CPUs this process could use during the passes (its affinity mask), when known.
    pub cpus: Option<usize>,
    /// One job's hash alone on one thread, s (median of 5, measured right before the passes): shown in the
    /// headers; C9 measures each hash against its own thread's CPU time instead.
    pub solo_hash_s: f64,
    /// One pass per strategy, in plan order.
    pub passes: Vec<Pass>,
    /// C9, judged from the passes.
    pub verdicts: Vec<Verdict>,
}

/// Why a trace stopped.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// Pinning to one CPU failed.
    #[error("cannot pin the process to one CPU: {0}")]
    Pin(std::io::Error),
    /// A pool or runtime could not be built.
    #[error("building {strategy}: {cause}")]
    Build {
        /// The strategy.
        strategy: StrategyKind,
        /// The OS error.
        cause: std::io::Error,
    },
    /// net_bound's service could not be started.
    #[error("starting net_bound's service: {0}")]
    Server(std::io::Error),
    /// A run failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The tracer's log held a phase from outside the pass (a bug: never clamped into the picture).
    #[error("job {job}'s {} was recorded outside the traced pass", phase.as_str())]
    OutsideThePass {
        /// The job.
        job: u64,
        /// The phase.
        phase: Phase,
    },
    /// A strategy computed the wrong digest.
    #[error("{strategy} computed digest {got}, expected {expected}: a wrong answer is not traced")]
    Digest {
        /// The strategy.
        strategy: StrategyKind,
        /// What it computed.
        got: String,
        /// What it should have.
        expected: String,
    },
}

/// Traces `plan` (`measure::run`) and judges C9 on what it traced ([`verdict_c9`]): the file `cvp trace`
/// writes. `progress` is called before each pass with its label.
pub fn run(plan: &Plan, command: Vec<String>, progress: impl FnMut(&str)) -> Result<TraceFile, TraceError> {
    let mut file = measure::run(plan, command, progress)?;
    file.verdicts = vec![verdict_c9(&file)];
    Ok(file)
}
