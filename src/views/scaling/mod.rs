//! The scaling view: how does time fall as workers grow, per strategy, and how much of it was parallel
//! (cores busy) and how much concurrent (in flight)? Its jobs are measured twice over: by criterion
//! (`cargo bench`: the benches in `benches/`, read back from criterion's folder by [`mod@bench`]) and by
//! `cvp run` ([`measure`]: wall and CPU time in shuffled rounds). It judges claims C1..C6.
//!
//! - this file: the plan and the rows, plain serde data: [`Plan`], [`Run`], [`RunFile`] (`cvp run --format
//!   json`), and [`Row`], a criterion benchmark with its size.
//! - [`measure`]: the sweep, the only place here that runs jobs (and `net_bound`'s service).
//! - [`mod@bench`]: criterion's folder read back and trusted (every benchmark tied to its size and machine).
//! - [`analysis`]: C1..C6 from the points; [`pairs`]: io_bound vs net_bound, configuration by configuration;
//!   no I/O in either.
//! - [`render`]: the run table and CSV, `scaling.csv`, the plots; [`readme`]: the results folder's README.
//! - [`compare`]: two baselines or two results folders, benchmark by benchmark.
//! - [`cli`]: `cvp run`, `cvp compare`.

pub mod analysis;
pub mod bench;
pub mod cli;
pub mod compare;
pub mod measure;
pub mod page;
pub mod pairs;
pub mod readme;
pub mod render;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::claims::Verdict;
use crate::machine::Machine;
use crate::report::{self, ReportError, WorkloadSize};
use crate::scaling::{LineFit, OneWait, Point};
use crate::strategy::StrategyKind;
use crate::workload::{WaitKind, Workload, WorkloadKind};

/// What to sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Workloads, in order.
    pub workloads: Vec<WorkloadKind>,
    /// Strategies, in order (`sequential` is added if missing).
    pub strategies: Vec<StrategyKind>,
    /// Worker counts for the strategies that take one.
    pub threads: Vec<usize>,
    /// Jobs per workload (`None`: each workload's default for this sweep).
    pub jobs: Option<usize>,
    /// Hash rounds per job.
    pub rounds: u32,
    /// Wait per job in milliseconds.
    pub wait_ms: u64,
    /// Timed rounds of every configuration a verdict reads ([`Plan::decides`]) and of the one-wait floors;
    /// the others get at most [`OTHER_REPEAT`].
    pub repeat: usize,
}

/// Timed rounds, at most, of a configuration no verdict reads: it is only shown, for context, and one round
/// of it (no interval) keeps the default sweep within 40 s on 2 cores (measured: 34 s with one, 43 s with two,
/// on a loaded 2-core machine); `--repeat` gives the rows that decide a claim all their rounds.
pub const OTHER_REPEAT: usize = 1;

/// How many times [`Plan::repeat`] a deciding row whose round lasts about one wait takes: `async` and
/// `async_multi` on io_bound and net_bound, and the one-wait floors. Each of their rounds costs ~W (11 ms at
/// the default 10 ms), so 5 x 6 = 30 rounds cost about a third of a second a row (the default sweep: 25 s
/// with 6 rounds, 30 s with 30, on a quiet 2-core machine), and C1, C3 and C4 compare these rows at a few
/// percent (C4: CPU time and switches per job of runtimes a few microseconds apart): the 95% interval of a
/// median of 6 rounds is their min..max, of 30 rounds the 10th..21st. Only when `--repeat` itself gives an
/// interval (at least 6): fewer rounds are a look, not a judgement, for every row alike.
pub const WAIT_ROW_REPEAT: usize = 5;

impl Plan {
    /// The workload `kind` as this plan sizes it ([`crate::config::workload_of`]: cpu_chain is one job of
    /// cpu_bound's jobs x rounds rounds).
    pub fn workload(&self, kind: WorkloadKind) -> Workload {
        crate::config::workload_of(
            kind,
            self.jobs,
            &self.threads,
            Duration::from_millis(self.wait_ms),
            self.rounds,
        )
    }

    /// Every (workload, strategy, workers) the sweep will run, `sequential` first in each workload; cpu_chain
    /// only under the strategies [`crate::config::sweeps`] names (sequential, threads, rayon). With `async` in
    /// the list, `async_multi/1` (C4's baseline) runs right after `async`'s rows on the workloads it runs on
    /// ([`StrategyKind::runs_on`]: io_bound, net_bound), listed or not; listed without `async`, in its own place
    /// there.
    pub fn configurations(&self) -> Vec<(WorkloadKind, StrategyKind, usize)> {
        use StrategyKind::{Async, AsyncMulti, Sequential};
        let mut strategies = vec![Sequential];
        strategies.extend(self.strategies.iter().copied().filter(|&s| s != Sequential));
        let with_async = strategies.contains(&Async);
        let mut out = Vec::new();
        for &w in &self.workloads {
            let jobs = self.workload(w).jobs;
            for &s in strategies
                .iter()
                .filter(|&&s| crate::config::sweeps(w, s) && !(s == AsyncMulti && with_async))
            {
                for n in s.worker_counts(&self.threads, jobs) {
                    out.push((w, s, n));
                }
                if s == Async && AsyncMulti.runs_on(w) {
                    out.push((w, AsyncMulti, 1));
                }
            }
        }
        out
    }

    /// Whether a C1..C6 verdict reads the configuration (so it gets [`Plan::repeat`] rounds): each
    /// workload's `sequential` baseline of a speedup a verdict tests (cpu_bound, cpu_chain, io_bound); `async`
    /// at every worker count and `async_multi/1` on io_bound and net_bound (C1, C3, C4); on cpu_bound `async/1`
    /// (C6) and threads and rayon from 2 workers on (C2, and C5 within the cores); on cpu_chain threads and
    /// rayon from 2 workers on (C5); on io_bound threads and rayon at the largest count (C5). `mixed` and
    /// net_bound's other strategies are only shown.
    pub fn decides(&self, workload: WorkloadKind, strategy: StrategyKind, workers: usize) -> bool {
        use StrategyKind::*;
        use WorkloadKind::*;
        let largest = self.threads.iter().copied().max().unwrap_or(1);
        match (workload, strategy) {
            (CpuBound | CpuChain | IoBound, Sequential) => true,
            (IoBound | NetBound, Async | AsyncMulti) => true,
            (CpuBound, Async) => workers == 1,
            (CpuBound | CpuChain, Threads | Rayon) => workers >= 2,
            (IoBound, Threads | Rayon) => workers == largest,
            _ => false,
        }
    }

    /// Timed rounds of a configuration: [`Plan::repeat`] when a verdict reads it ([`WAIT_ROW_REPEAT`] times
    /// that for the async rows of io_bound and net_bound, a wait long each), else at most [`OTHER_REPEAT`].
    pub fn repeat_of(&self, workload: WorkloadKind, strategy: StrategyKind, workers: usize) -> usize {
        let all = self.repeat.max(1);
        let one_wait_long = workload.is_net() || workload == WorkloadKind::IoBound;
        match (self.decides(workload, strategy, workers), strategy) {
            (true, StrategyKind::Async | StrategyKind::AsyncMulti) if one_wait_long => self.floor_repeat(),
            (true, _) => all,
            (false, _) => all.min(OTHER_REPEAT),
        }
    }

    /// Timed rounds of each one-wait floor, as of the async rows they divide: [`WAIT_ROW_REPEAT`] x
    /// [`Plan::repeat`] when that gives an interval (at least 6 rounds), else [`Plan::repeat`].
    pub fn floor_repeat(&self) -> usize {
        let all = self.repeat.max(1);
        if all >= crate::claims::MIN_SAMPLES_FOR_CI { all * WAIT_ROW_REPEAT } else { all }
    }

    /// The one-job floors measured, each as (the workload it serves, the kind of wait, the runtime's
    /// workers): both kinds of sleep (`None`: every workload whose wait is a sleep) when a sleeping workload
    /// waits, and both kinds of request (`Some(net_bound)`: that workload only) when `net_bound` waits. Each
    /// floor is measured on the runtime of the rows it divides ([`Point::floor_workers`]): blocking on one
    /// thread, async on tokio's current-thread runtime (`async/1`, `async_offload`'s loop) and, for each
    /// count `async` runs at above 1, on the multi-thread runtime of that many workers.
    ///
    /// [`Point::floor_workers`]: crate::scaling::Point::floor_workers
    pub fn one_waits(&self) -> Vec<(Option<WorkloadKind>, WaitKind, usize)> {
        let waits =
            |net: bool| self.workloads.iter().any(|&w| w.is_net() == net && !self.workload(w).wait.is_zero());
        let configurations = self.configurations();
        let async_counts = |net: bool| {
            let mut ns: Vec<usize> = configurations
                .iter()
                .filter(|&&(w, s, n)| w.is_net() == net && s == StrategyKind::Async && n > 1)
                .map(|&(_, _, n)| n)
                .collect();
            ns.sort_unstable();
            ns.dedup();
            ns
        };
        let mut out = Vec::new();
        for net in [false, true] {
            if waits(net) {
                let serves = net.then_some(WorkloadKind::NetBound);
                out.push((serves, WaitKind::Blocking, 1));
                out.push((serves, WaitKind::Async, 1));
                out.extend(async_counts(net).into_iter().map(|n| (serves, WaitKind::Async, n)));
            }
        }
        out
    }

    /// Whether the sweep needs the service (it has `net_bound`).
    pub fn has_net(&self) -> bool {
        self.workloads.iter().any(|w| w.is_net())
    }

    /// The `net_bound` configurations that are also run at W = 0 (none when the wait is already 0).
    pub fn socket_only(&self) -> Vec<(WorkloadKind, StrategyKind, usize)> {
        if self.wait_ms == 0 {
            return Vec::new();
        }
        self.configurations().into_iter().filter(|(w, _, _)| w.is_net()).collect()
    }

    /// How many runs the sweep makes (warm-ups included), for a progress bar.
    pub fn total_runs(&self) -> usize {
        let configurations: usize =
            self.configurations().iter().map(|&(w, s, n)| 1 + self.repeat_of(w, s, n)).sum();
        let others: usize = self.socket_only().iter().map(|_| 1 + self.repeat.clamp(1, OTHER_REPEAT)).sum();
        configurations + others + self.one_waits().len() * (1 + self.floor_repeat())
    }
}

/// One measured configuration: the `runs` entries of `cvp run --format json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Workload id.
    pub workload: WorkloadKind,
    /// Strategy id.
    pub strategy: StrategyKind,
    /// Workers.
    pub workers: usize,
    /// Jobs.
    pub jobs: usize,
    /// Wait per job (0 for `cpu_bound`).
    pub wait_ms: u64,
    /// Hash rounds per job (0 for `io_bound`).
    pub rounds: u32,
    /// Median wall time over the rounds.
    pub wall_s: f64,
    /// Fastest round.
    pub wall_min_s: f64,
    /// Slowest round.
    pub wall_max_s: f64,
    /// Median process CPU time over the rounds.
    pub cpu_s: f64,
    /// The 95% interval of the median CPU time, as `wall_ci_s`: what C4 tests (CPU time per job). `None`
    /// below 6 rounds, and in files from before it was kept.
    #[serde(default)]
    pub cpu_ci_s: Option<(f64, f64)>,
    /// `sequential` wall / this wall.
    pub speedup: f64,
    /// CPU time / wall time, the median over the rounds of each round's own ratio.
    pub cores_busy: f64,
    /// The lowest and highest round's cores busy (shown, never tested: see `cores_busy_ci`).
    #[serde(default)]
    pub cores_busy_range: Option<(f64, f64)>,
    /// The 95% interval of the median wall, [`crate::claims::median_ci`] of the rounds: what the verdicts
    /// test. `None` below [`crate::claims::MIN_SAMPLES_FOR_CI`] rounds, and in files from before it was kept.
    #[serde(default)]
    pub wall_ci_s: Option<(f64, f64)>,
    /// The 95% interval of the median cores busy, as `wall_ci_s`: what the verdicts test.
    #[serde(default)]
    pub cores_busy_ci: Option<(f64, f64)>,
    /// Timed rounds behind the medians.
    #[serde(default)]
    pub repeats: usize,
    /// jobs x measured one-job wait / wall time (Little's law); 0 for `cpu_bound`.
    pub in_flight: f64,
    /// Voluntary context switches of the whole process in a round, the median over the rounds: threads
    /// blocking (a sleep, a lock, a join). `None` in files written before it was measured.
    #[serde(default)]
    pub voluntary_switches: Option<u64>,
    /// Involuntary context switches in a round, the median over the rounds (on its own, not necessarily
    /// the same round as the voluntary median): the kernel preempting a thread that could have run on, the
    /// time slicing of more runnable threads than cores. `None` in files written before it was measured.
    #[serde(default)]
    pub involuntary_switches: Option<u64>,
    /// Voluntary + involuntary context switches in a round, the median of the rounds' totals (not the sum of
    /// the two medians above). `None` in files written before it was kept.
    #[serde(default)]
    pub switches: Option<f64>,
    /// The 95% interval of that median, as `wall_ci_s`: what C4 tests (switches per job). `None` below 6
    /// rounds, and in files from before it was kept.
    #[serde(default)]
    pub switches_ci: Option<(f64, f64)>,
    /// Workload digest, lowercase hex (checked against the expected digest before timing).
    pub digest: String,
    /// `net_bound` only: the service's CPU time in a round (its own process, read from its CPU clock right
    /// before and after the run), the median over the rounds. Never part of `cpu_s` or `cores_busy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cpu_s: Option<f64>,
    /// `net_bound` only: the service's CPU time / wall of each round, the median over the rounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cores_busy: Option<f64>,
    /// `net_bound` only: the median wall of the same configuration at W = 0, against a service that
    /// replies at once, measured in the same rounds: what the sockets alone cost. Over the jobs, the
    /// socket's overhead per request ([`Run::socket_per_request_s`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_only_s: Option<f64>,
}

impl Run {
    /// The service's CPU time per request (`net_bound`).
    pub fn server_cpu_per_request_s(&self) -> Option<f64> {
        self.server_cpu_s.filter(|_| self.jobs > 0).map(|s| s / self.jobs as f64)
    }

    /// The socket's overhead per request: the wall at W = 0 over the jobs (`net_bound`).
    pub fn socket_per_request_s(&self) -> Option<f64> {
        self.socket_only_s.filter(|_| self.jobs > 0).map(|s| s / self.jobs as f64)
    }

    /// The analysis view of this run, with its one-wait floor from `floors`. Its intervals are the 95%
    /// intervals of the medians (none below [`crate::claims::MIN_SAMPLES_FOR_CI`] rounds), never min..max.
    pub fn point(&self, floors: &[OneWait]) -> Point {
        Point {
            workload: self.workload,
            strategy: self.strategy,
            workers: self.workers,
            jobs: self.jobs,
            wait_s: self.wait_ms as f64 / 1e3,
            wall_s: self.wall_s,
            wall_range_s: self.wall_ci_s,
            cores_busy: Some(self.cores_busy),
            cores_busy_range: self.cores_busy_ci,
            cpu_s: Some(self.cpu_s),
            cpu_range_s: self.cpu_ci_s,
            // A file from before the totals were kept: the sum of the two medians, with no interval.
            switches: self.switches.or_else(|| {
                self.voluntary_switches.zip(self.involuntary_switches).map(|(v, i)| (v + i) as f64)
            }),
            switches_range: self.switches_ci,
            one_wait_s: None,
            one_wait_range_s: None,
        }
        .with_one_wait(floors)
    }
}

/// What `cvp run --format json` prints, and `cvp report --run` reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFile {
    /// The command line that made this file.
    #[serde(default)]
    pub command: Vec<String>,
    /// The machine the sweep ran on.
    pub machine: Machine,
    /// What was swept.
    pub config: Plan,
    /// One entry per configuration.
    pub runs: Vec<Run>,
    /// One job's wait measured alone, per kind of wait: the floor Little's law and C1, C3, C4 use.
    #[serde(default)]
    pub one_wait: Vec<OneWait>,
    /// C1..C6.
    pub verdicts: Vec<Verdict>,
}

impl RunFile {
    /// The analysis view of the runs.
    pub fn points(&self) -> Vec<Point> {
        self.runs.iter().map(|r| r.point(&self.one_wait)).collect()
    }
}

/// Reads a `cvp run --format json` file.
pub fn read_run_file(path: &Path) -> Result<RunFile, ReportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ReportError::Unreadable { path: path.to_path_buf(), why: e.to_string() })?;
    serde_json::from_str(&text).map_err(|e| ReportError::Unreadable {
        path: path.to_path_buf(),
        why: format!("not a `cvp run --format json` file: {e}"),
    })
}

/// One row of `scaling.csv` and of the README tables.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The measurement (wall = criterion's median).
    pub point: Point,
    /// The size it ran at.
    pub size: WorkloadSize,
    /// Median, ns.
    pub median_ns: f64,
    /// Confidence interval of the median, ns.
    pub ci_low_ns: f64,
    /// Upper bound, ns.
    pub ci_high_ns: f64,
    /// Over `sequential`.
    pub speedup: Option<f64>,
    /// Speedup / min(workers, cores).
    pub efficiency: Option<f64>,
    /// Karp-Flatt serial fraction.
    pub karp_flatt: Option<f64>,
}

/// Where a workload's size and machine came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SizeSource {
    /// The benches' records, checked against the data they describe.
    Recorded(WorkloadSize),
    /// Nothing valid was recorded; `--assume-this-machine` took the current `CVP_*` sizes.
    Assumed(WorkloadSize),
}

impl SizeSource {
    /// The size, wherever it came from.
    pub fn size(self) -> WorkloadSize {
        match self {
            SizeSource::Recorded(s) | SizeSource::Assumed(s) => s,
        }
    }
}

/// A results folder, computed in memory and not yet written.
pub struct Report {
    /// The machine that measured: every core count in the report is its.
    pub machine: Machine,
    /// The machine that made the report.
    pub reporter: Machine,
    /// The date the data was measured (its first bench run), `YYYY-MM-DD` (UTC); today when unrecorded.
    pub date: String,
    /// Rows, in workload, strategy, worker order.
    pub rows: Vec<Row>,
    /// One line per strategy that takes a worker count.
    pub fits: Vec<LineFit>,
    /// The one-wait floors criterion measured.
    pub one_wait: Vec<OneWait>,
    /// C1..C6.
    pub verdicts: Vec<Verdict>,
    /// io_bound vs net_bound on criterion's rows (with the run file's CPU numbers where it has them).
    pub net_pairs: NetPairs,
    /// The same from the run file alone (shown only when criterion has no net_bound benchmark).
    pub run_net_pairs: Option<NetPairs>,
    /// File name -> contents.
    pub files: Vec<(String, Vec<u8>)>,
}

/// One recorded `cargo bench` invocation: the bench targets that ran with the same settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Invocation {
    /// Bench targets, e.g. `cpu_bound`.
    pub benches: Vec<String>,
    /// `CVP_PROFILE` as used.
    pub profile: String,
    /// `CVP_*` variables as set.
    pub env: Vec<(String, String)>,
    /// criterion's arguments.
    pub args: Vec<String>,
    /// When the first of them started, seconds since 1970 (UTC).
    pub started_unix_s: u64,
    /// `cargo`, or `direct` (the executables themselves, e.g. a kit's run.sh).
    pub runner: String,
}

/// What the README says about where its numbers came from.
pub struct Provenances {
    /// Each workload's size and where it came from.
    pub sizes: Vec<(WorkloadKind, SizeSource)>,
    /// Distinct bench invocations as recorded.
    pub benches: Vec<Invocation>,
    /// Benchmarks taken under `--assume-this-machine`.
    pub assumed: Vec<String>,
    /// Benchmarks left out, and why.
    pub left_out: Vec<String>,
}

impl Report {
    /// `results/<machine slug>/<date>`, named for the machine that measured.
    pub fn default_out(&self) -> PathBuf {
        Path::new("results").join(self.machine.slug()).join(&self.date)
    }

    /// Writes the folder `out` whole or not at all ([`report::write_folder`]).
    pub fn write(&self, out: &Path, force: bool) -> Result<(), ReportError> {
        report::write_folder(out, &self.files, force)
    }
}

/// One (strategy, workers) measured on both workloads.
#[derive(Clone, Debug, PartialEq)]
pub struct SideBySide {
    /// The strategy.
    pub strategy: StrategyKind,
    /// Its workers.
    pub workers: usize,
    /// io_bound's wall, seconds.
    pub io_wall_s: f64,
    /// net_bound's wall, seconds.
    pub net_wall_s: f64,
    /// io_bound's cores busy (the client), when CPU time was measured.
    pub io_cores_busy: Option<f64>,
    /// net_bound's cores busy (the client only), when CPU time was measured.
    pub net_cores_busy: Option<f64>,
    /// The service's cores busy during the net_bound run.
    pub server_cores_busy: Option<f64>,
    /// net_bound's wall at W = 0 over its jobs: a whole request's cost in this structure (the socket's round
    /// trip plus the structure's own per-job cost; overlapped throughput where requests overlap).
    pub socket_per_request_s: Option<f64>,
    /// The service's CPU time per request.
    pub server_cpu_per_request_s: Option<f64>,
}

/// The io_bound vs net_bound pairs of a run file or of criterion's rows, and, when there are none although
/// both workloads were measured, why (one line).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetPairs {
    /// The pairs, in the order of the net_bound rows.
    pub pairs: Vec<SideBySide>,
    /// Why nothing was paired, when both workloads are there.
    pub unpaired: Option<String>,
}
