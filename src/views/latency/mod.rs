//! `cvp latency`: while a heavy batch computes, how late are light requests? Open-loop requests on a fixed
//! schedule, HdrHistogram percentiles, per structure, on all cores and on one; claim C7 and the first
//! evidence for C9 (time slicing).
//!
//! Plan ([`Plan`]) -> measured rows ([`Row`], one per core setting x structure x workers, plus the idle
//! floor) -> analysis ([`verdicts`], [`time_slicing`]) -> rendering (`render`: table, CSV, report section
//! with a latency-by-percentile SVG). What is left out: the request is one SHA-256, not a network round
//! trip; the client is one thread of the same process, pinned to a CPU the server's threads never get
//! where the machine has one to spare ([`placement`]), else sharing the server's CPUs (its own lateness is
//! reported, and charged to the server).
//!
//! The folder: this file holds the plan and the rows (plain serde data); [`measure`] the calibration and
//! the runs of a plan (with [`serve`], the five structures under load, and [`client`], the open-loop client:
//! the only places that start threads or pin CPUs); [`analysis`] rows -> verdict (C7, judged in
//! [`analysis::verdicts`] only) and notes, no I/O; [`render`] the table, CSV, SVG and the report's section;
//! [`cli`] the `cvp latency` flags and command.

pub mod analysis;
pub mod cli;
pub mod client;
pub mod measure;
pub mod render;
pub mod serve;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::claims::Verdict;
use crate::machine::Machine;
pub use analysis::{client_could_not_keep_up, judge_file, notes, time_slicing, verdicts};
pub use measure::{Calibration, LatencyError, calibrate, curve, histogram, quantile_interval, quantile_ms};
pub use render::{csv, plot, plot_name, read_section, table};

/// The five ways to run a heavy batch while serving requests. The ids are the strategies' where they match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Structure {
    /// One thread: a heavy job, then the requests that are due, then the next job.
    Sequential,
    /// tokio with N workers; heavy jobs and request handlers are tasks, hashing inline (at N = 1 the
    /// event loop is blocked for a whole job).
    Async,
    /// As `async`, but each heavy job yields to the runtime about every 100 us of hashing: cooperative.
    AsyncYield,
    /// Requests on a one-worker tokio runtime; heavy jobs on a rayon pool of N.
    AsyncOffload,
    /// N OS threads for the heavy jobs, one OS thread blocking on the request channel: the OS preempts.
    Threads,
}

impl Structure {
    /// Every structure, in table order.
    pub const ALL: [Structure; 5] = [
        Structure::Sequential,
        Structure::Async,
        Structure::AsyncYield,
        Structure::AsyncOffload,
        Structure::Threads,
    ];

    /// The id.
    pub fn as_str(self) -> &'static str {
        match self {
            Structure::Sequential => "sequential",
            Structure::Async => "async",
            Structure::AsyncYield => "async_yield",
            Structure::AsyncOffload => "async_offload",
            Structure::Threads => "threads",
        }
    }

    /// Whether requests reach it through tokio.
    pub fn is_async(self) -> bool {
        matches!(self, Structure::Async | Structure::AsyncYield | Structure::AsyncOffload)
    }

    /// The worker counts it runs at: `sequential` always 1.
    pub fn worker_counts(self, workers: &[usize]) -> Vec<usize> {
        if self == Structure::Sequential { vec![1] } else { workers.to_vec() }
    }
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Structure {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Structure::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            format!(
                "unknown structure '{s}' (accepted: sequential, async, async_yield, async_offload, threads)"
            )
        })
    }
}

/// Which CPUs a row's server ran on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Setting {
    /// Every CPU the process may use, but the client's where there are at least 3 ([`placement`]).
    #[serde(rename = "all")]
    All,
    /// Every thread of the server pinned to one CPU; the client on another where there are at least 2.
    #[serde(rename = "1")]
    One,
}

impl Setting {
    /// `all` or `1`.
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::All => "all",
            Setting::One => "1",
        }
    }

    /// `all cores` or `one core`.
    pub fn words(self) -> &'static str {
        match self {
            Setting::All => "all cores",
            Setting::One => "one core",
        }
    }
}

/// `--cores`: which settings to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cores {
    /// One CPU only.
    One,
    /// Every CPU only.
    All,
    /// Every CPU first, then one (the process is pinned after the all-core rows).
    Both,
}

impl Cores {
    /// The settings in run order: all-core rows always before one-core rows, since pinning is inherited by
    /// every thread started later and is not undone.
    pub fn settings(self) -> Vec<Setting> {
        match self {
            Cores::One => vec![Setting::One],
            Cores::All => vec![Setting::All],
            Cores::Both => vec![Setting::All, Setting::One],
        }
    }
}

/// Where the server and the client run in `setting`, given the CPUs the process may use (`allowed`, in
/// order): `(server, client)`. A load generator must not take the CPUs it measures, so the client gets a CPU
/// of its own (the last one) whenever one is left over: on one core the server gets the first CPU and the
/// client the last where there are at least 2; on all cores the server gets every CPU but the client's
/// where there are at least 3 (with 2, giving one to the client would leave "all cores" one core, so the
/// two share every CPU). With one usable CPU both share it, as before. Empty when `allowed` is unknown.
pub fn placement(setting: Setting, allowed: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let (Some(&first), Some(&last)) = (allowed.first(), allowed.last()) else {
        return (Vec::new(), Vec::new());
    };
    match setting {
        Setting::One if allowed.len() >= 2 => (vec![first], vec![last]),
        Setting::One => (vec![first], vec![first]),
        Setting::All if allowed.len() >= 3 => (allowed[..allowed.len() - 1].to_vec(), vec![last]),
        Setting::All => (allowed.to_vec(), allowed.to_vec()),
    }
}

/// How many times each one-core row runs (C7's rows): its p99 interval is taken between runs
/// ([`crate::claims::median_ci`] over each run's p99), since one stall delays every request due during it and
/// the requests of one run are not independent; 6 is the fewest runs that interval accepts.
pub const DEFAULT_REPEATS: usize = crate::claims::MIN_SAMPLES_FOR_CI;

/// Default heavy job length, ms. C7 calls a structure responsive when its p99 stays under a quarter of a
/// job ([`crate::claims::RESPONSIVE`]); a structure that interleaves still waits its turn behind the
/// hashing threads sharing its CPU, up to one scheduling period, which Linux sets at 6 ms x (1 + log2 of
/// the CPUs, at most 8): 12 ms on 2 CPUs, 24 ms on 8 or more. A quarter of the job must lie above that on
/// every machine, or an interleaving structure would be "not responsive" for the scheduler's constants
/// rather than its structure (at 20 ms a job, the bound was 5 ms, inside one period): 100 ms gives 25 ms.
pub const DEFAULT_JOB_MS: u64 = 100;
/// Default time between two requests, ms.
pub const DEFAULT_INTERVAL_MS: u64 = 1;
/// Default batch: at least this many heavy jobs (and 2 per worker at the largest count): at 100 ms a job,
/// a 1-worker batch lasts about 0.4 s, about 400 requests at 1 ms, so each run's p99 lies below its 4
/// largest latencies rather than at the max; the one-core rows run [`DEFAULT_REPEATS`] times (about 2,400
/// requests each), which keeps the default command within 40 s on 2 cores (measured: 34 s).
pub const DEFAULT_MIN_JOBS: usize = 4;
/// `async_yield` yields after about this much hashing.
pub const YIELD_EVERY: Duration = Duration::from_micros(100);
/// How long the idle floor sends requests per structure (no heavy work).
pub const FLOOR_DURATION: Duration = Duration::from_millis(400);

/// What to measure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Structures, in order.
    pub structures: Vec<Structure>,
    /// Worker counts (`sequential` runs at 1 only).
    pub workers: Vec<usize>,
    /// Heavy jobs in the batch.
    pub jobs: usize,
    /// Target length of one heavy job, ms.
    pub job_ms: u64,
    /// Time between two requests, ms.
    pub interval_ms: u64,
    /// Core settings.
    pub cores: Cores,
    /// Runs of each one-core row (all-core rows run once); 1 in files written before repeats existed.
    #[serde(default = "one")]
    pub repeats: usize,
}

fn one() -> usize {
    1
}

impl Plan {
    /// The default plan on a machine with `cores` usable cores: every structure at 1 and `cores` workers.
    pub fn default_for(cores: usize) -> Plan {
        let workers = if cores > 1 { vec![1, cores] } else { vec![1] };
        Plan {
            structures: Structure::ALL.to_vec(),
            jobs: default_jobs(&workers),
            workers,
            job_ms: DEFAULT_JOB_MS,
            interval_ms: DEFAULT_INTERVAL_MS,
            cores: Cores::Both,
            repeats: DEFAULT_REPEATS,
        }
    }

    /// Every (setting, structure, workers) measured, in run order.
    pub fn configurations(&self) -> Vec<(Setting, Structure, usize)> {
        let mut out = Vec::new();
        for setting in self.cores.settings() {
            for &s in &self.structures {
                for n in s.worker_counts(&self.workers) {
                    out.push((setting, s, n));
                }
            }
        }
        out
    }

    /// How many runs of a configuration with requests in `setting`: [`Plan::repeats`] on one core, else 1.
    pub fn runs_of(&self, setting: Setting) -> usize {
        if setting == Setting::One { self.repeats.max(1) } else { 1 }
    }

    /// How many runs it makes (each configuration with requests [`Plan::runs_of`] times, and once alone;
    /// one floor run per structure and core setting), for a progress bar.
    pub fn total_runs(&self) -> usize {
        self.configurations().iter().map(|c| 1 + self.runs_of(c.0)).sum::<usize>()
            + self.structures.len() * self.cores.settings().len()
    }

    fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }
}

/// The default batch size for these worker counts.
pub fn default_jobs(workers: &[usize]) -> usize {
    DEFAULT_MIN_JOBS.max(2 * workers.iter().copied().max().unwrap_or(1))
}

impl Row {
    /// Whether the client ran on CPUs the server never had (false where unknown, as in older files).
    pub fn client_apart(&self) -> bool {
        !self.server_cpus.is_empty()
            && !self.client_cpus.is_empty()
            && self.client_cpus.iter().all(|c| !self.server_cpus.contains(c))
    }

    /// How the p99's interval was taken, in words.
    pub fn p99_interval_words(&self) -> String {
        if self.p99_runs_ms.len() > 1 {
            format!("median of {} runs' p99, 95% interval between runs", self.p99_runs_ms.len())
        } else {
            "one run, 95% interval from its requests' order statistics (assumes them independent)".into()
        }
    }
}

/// One measured row: `rows` and `floor` entries of `cvp latency --format json`. With several runs, the
/// latencies of all runs are pooled for every percentile but the p99 (see [`Row::p99_range_ms`]), and
/// `sent`, `served`, the switches and `client_behind` are summed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Structure id.
    pub structure: Structure,
    /// Workers.
    pub workers: usize,
    /// Core setting asked for.
    pub setting: Setting,
    /// CPUs the server could use, read inside the run (the largest affinity mask of its threads; in files
    /// written before the client had a CPU of its own, the client's too).
    pub cores: usize,
    /// The CPUs the server's threads were pinned to (empty in older files, or where the mask is unknown).
    #[serde(default)]
    pub server_cpus: Vec<usize>,
    /// The CPUs the client thread was pinned to: apart from `server_cpus` where a CPU was left over,
    /// the same CPUs where not ([`placement`]); empty in older files.
    #[serde(default)]
    pub client_cpus: Vec<usize>,
    /// Requests the client sent.
    pub sent: u64,
    /// Requests a handler finished (every one sent, unless a run failed).
    pub served: u64,
    /// Latency percentiles, ms (finish - due time).
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// A 95% interval for the p99: with several runs ([`Row::p99_runs_ms`]), the distribution-free interval
    /// of their median ([`crate::claims::median_ci`]), and `p99_ms` is that median; with one run, from the
    /// order statistics of its requests, which assumes them independent (latencies after one stall are not,
    /// so read it as a lower bound on the uncertainty).
    pub p99_range_ms: (f64, f64),
    /// Each run's p99, ms, when the row ran more than once (empty otherwise, and in older files).
    #[serde(default)]
    pub p99_runs_ms: Vec<f64>,
    /// 99th percentile counted from the instant the client really sent each request, ms: the server's
    /// part of the tail, without the client's own lateness (the latency above includes it).
    pub p99_after_send_ms: f64,
    /// 99.9th percentile, ms; `null` with fewer than [`MIN_FOR_P999`] served requests, where it would only
    /// be the max.
    pub p999_ms: Option<f64>,
    /// Largest latency, ms.
    pub max_ms: f64,
    /// Latency by percentile for the plot: (x, ms) with x = -log10(1 - percentile/100), so 0, 1, 2, 3, 4
    /// are the 0th, 90th, 99th, 99.9th, 99.99th percentiles; the last point is the max.
    pub curve: Vec<(f64, f64)>,
    /// From the start of the schedule to the end of the last heavy job, s (0 for the floor).
    pub batch_s: f64,
    /// The same batch run by the same structure with no requests, s.
    pub batch_alone_s: Option<f64>,
    /// batch_s / batch_alone_s: what serving the requests cost the batch.
    pub slowdown: Option<f64>,
    /// Involuntary context switches of the process during the run (the OS preempted a runnable thread),
    /// the client thread's own left out; summed over the runs.
    pub involuntary_switches: u64,
    /// Voluntary context switches (a thread blocked or slept).
    pub voluntary_switches: u64,
    /// The latest the client itself sent a request, after its due time, ms (the latest of the runs).
    pub client_late_ms: f64,
    /// Requests the client sent more than one interval late: it fell behind its schedule (they are still
    /// charged from their due time).
    pub client_behind: u64,
}

/// What `cvp latency --format json` prints and `cvp report --latency` reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyFile {
    /// The command line that made this file.
    #[serde(default)]
    pub command: Vec<String>,
    /// The machine that measured (read before any pinning).
    pub machine: Machine,
    /// Target heavy job length, ms.
    pub job_ms: u64,
    /// SHA-256 rounds per heavy job, calibrated from the measured hash rate.
    pub rounds: u32,
    /// One heavy job measured alone after calibration (median of 3), ms: the job length C7 uses.
    pub job_measured_ms: f64,
    /// Time between two requests, ms.
    pub interval_ms: u64,
    /// Heavy jobs per batch.
    pub jobs: usize,
    /// `async_yield` yields after this many rounds.
    pub yield_rounds: u32,
    /// What was asked for.
    pub plan: Plan,
    /// One row per core setting x structure x workers.
    pub rows: Vec<Row>,
    /// Every structure with no heavy work (N = 1), in each core setting: the harness's own latency floor.
    pub floor: Vec<Row>,
    /// C7.
    pub verdicts: Vec<Verdict>,
    /// Sentences the numbers support: C9's first evidence, floors above what they should be, a client
    /// that fell behind.
    pub notes: Vec<String>,
}

/// Fewest served requests for a p99.9 that is not just the max.
pub const MIN_FOR_P999: u64 = 1000;

/// Measures `plan` (`measure::run`) and judges C7 and the notes on what it measured ([`judge_file`]): the
/// file `cvp latency` writes. `progress` is called before each run with its label.
pub fn run(
    plan: &Plan,
    machine: Machine,
    command: Vec<String>,
    progress: impl FnMut(&str),
) -> Result<LatencyFile, LatencyError> {
    let mut file = measure::run(plan, machine, command, progress)?;
    judge_file(&mut file);
    Ok(file)
}

#[cfg(test)]
mod tests;
