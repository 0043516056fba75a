//! `cvp latency`: while a heavy batch computes, how late are light requests? Open-loop requests on a fixed
//! schedule, HdrHistogram percentiles, per structure, on all cores and on one; claim C7 and the first
//! evidence for C9 (time slicing).
//!
//! Plan ([`Plan`]) -> measured rows ([`Row`], one per core setting x structure x workers, plus the idle
//! floor) -> analysis ([`verdicts`], [`time_slicing`]) -> rendering (`render`: table, CSV, report section
//! with a latency-by-percentile SVG). What is left out: the request is one SHA-256, not a network round
//! trip; the client is one thread on the same machine, so on one core it competes with the server for the
//! CPU (its own lateness is reported, and charged to the server).

mod render;
pub mod serve;

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::analysis::{Outcome, Verdict};
use crate::machine::Machine;
pub use render::{csv, read_section, table};
use serve::{Batch, Load, ServeError};

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

/// Which CPUs a row ran on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Setting {
    /// Every CPU the process may use.
    #[serde(rename = "all")]
    All,
    /// The whole process (client included) pinned to one CPU.
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

/// Default heavy job length, ms.
pub const DEFAULT_JOB_MS: u64 = 20;
/// Default time between two requests, ms.
pub const DEFAULT_INTERVAL_MS: u64 = 1;
/// Default batch: at least this many heavy jobs (and 2 per worker at the largest count): at 20 ms a job,
/// a 1-worker batch lasts about 0.5 s, about 500 requests at 1 ms.
pub const DEFAULT_MIN_JOBS: usize = 24;
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

    /// How many runs it makes (each configuration twice: with requests and the batch alone; one floor run
    /// per structure and core setting), for a progress bar.
    pub fn total_runs(&self) -> usize {
        self.configurations().len() * 2 + self.structures.len() * self.cores.settings().len()
    }

    fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }
}

/// The default batch size for these worker counts.
pub fn default_jobs(workers: &[usize]) -> usize {
    DEFAULT_MIN_JOBS.max(2 * workers.iter().copied().max().unwrap_or(1))
}

/// One measured row: `rows` and `floor` entries of `cvp latency --format json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Structure id.
    pub structure: Structure,
    /// Workers.
    pub workers: usize,
    /// Core setting asked for.
    pub setting: Setting,
    /// CPUs the run could use, read inside the run (the client's and the server's affinity masks).
    pub cores: usize,
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
    /// A 95% interval for the p99 from order statistics (distribution-free, assuming independent requests;
    /// latencies after one stall are not, so read it as a lower bound on the uncertainty).
    pub p99_range_ms: (f64, f64),
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
    /// Involuntary context switches of the process during the run (the OS preempted a runnable thread).
    pub involuntary_switches: u64,
    /// Voluntary context switches (a thread blocked or slept).
    pub voluntary_switches: u64,
    /// The latest the client itself sent a request, after its due time, ms.
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

/// Why a measurement stopped.
#[derive(Debug, thiserror::Error)]
pub enum LatencyError {
    /// A structure could not run.
    #[error("{label}: {cause}")]
    Serve {
        /// `<setting>/<structure>/<workers>`.
        label: String,
        /// The cause.
        cause: ServeError,
    },
    /// A structure computed another digest than the others: a bug, never a result.
    #[error("{label} computed digest {got}, the first run {expected}: a wrong answer is not measured")]
    WrongDigest {
        /// `<setting>/<structure>/<workers>`.
        label: String,
        /// What it computed.
        got: String,
        /// What the first run computed.
        expected: String,
    },
    /// Pinning to one CPU failed.
    #[error("pinning the process to one CPU: {0}")]
    Pin(std::io::Error),
}

/// The calibrated batch: rounds per job and its measured length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// Rounds per heavy job.
    pub rounds: u32,
    /// Rounds per [`YIELD_EVERY`].
    pub yield_rounds: u32,
    /// One job with those rounds, measured (median of 3).
    pub job: Duration,
}

/// Measures the hash rate (the fastest of several short chains, so a preemption does not slow the
/// estimate) and sizes a job to `job_ms`.
pub fn calibrate(job_ms: u64) -> Calibration {
    const PROBE: u32 = 2_000;
    let mut best = Duration::MAX;
    let began = Instant::now();
    while best == Duration::MAX || began.elapsed() < Duration::from_millis(30) {
        let t = Instant::now();
        std::hint::black_box(crate::workload::chain(1, PROBE));
        best = best.min(t.elapsed());
    }
    let per_round = best.as_secs_f64() / f64::from(PROBE);
    let rounds = ((job_ms as f64 / 1e3) / per_round).round().clamp(1.0, f64::from(u32::MAX)) as u32;
    let yield_rounds = (YIELD_EVERY.as_secs_f64() / per_round).round().max(1.0) as u32;
    let mut times: Vec<Duration> = (0..3)
        .map(|i| {
            let t = Instant::now();
            std::hint::black_box(crate::workload::chain(i, rounds));
            t.elapsed()
        })
        .collect();
    times.sort();
    Calibration { rounds, yield_rounds, job: times[1] }
}

/// Measures every configuration of `plan`, then judges C7. `machine` is the machine before any pinning.
/// `progress` is called with a label before each run.
pub fn run(
    plan: &Plan,
    machine: Machine,
    command: Vec<String>,
    mut progress: impl FnMut(&str),
) -> Result<LatencyFile, LatencyError> {
    let settings = plan.cores.settings();
    if settings == [Setting::One] {
        crate::machine::pin_to_one_cpu().map_err(LatencyError::Pin)?;
    }
    let cal = calibrate(plan.job_ms);
    let batch = Batch { jobs: plan.jobs, rounds: cal.rounds, yield_rounds: cal.yield_rounds };
    let mut floor = Vec::new();
    let mut rows = Vec::new();
    let mut expected = None;
    let mut floor_done = Vec::new();
    for (setting, s, n) in plan.configurations() {
        if setting == Setting::One && crate::machine::cpus_allowed_now() != Some(1) {
            crate::machine::pin_to_one_cpu().map_err(LatencyError::Pin)?;
        }
        if !floor_done.contains(&setting) {
            // The floor of each core setting, measured in it (the one-core floor gates the one-core C7).
            floor_done.push(setting);
            for &s in &plan.structures {
                let label = format!("floor/{}/{s}/1", setting.words());
                progress(&label);
                let none = Batch { jobs: 0, ..batch };
                let load = Load { interval: plan.interval(), at_least: FLOOR_DURATION };
                let m = serve::run(s, 1, none, Some(load))
                    .map_err(|cause| LatencyError::Serve { label, cause })?;
                floor.push(row(s, 1, setting, &m, None));
            }
        }
        let label = format!("{}/{s}/{n}", if setting == Setting::One { "1core" } else { "allcores" });
        progress(&format!("{label} alone"));
        let alone = serve::run(s, n, batch, None)
            .map_err(|cause| LatencyError::Serve { label: label.clone(), cause })?;
        progress(&label);
        let load = Load { interval: plan.interval(), at_least: Duration::ZERO };
        let m = serve::run(s, n, batch, Some(load))
            .map_err(|cause| LatencyError::Serve { label: label.clone(), cause })?;
        for d in [alone.digest, m.digest] {
            let want = *expected.get_or_insert(d);
            if d != want {
                return Err(LatencyError::WrongDigest { label, got: d.to_hex(), expected: want.to_hex() });
            }
        }
        rows.push(row(s, n, setting, &m, Some(alone.batch.as_secs_f64())));
    }
    let mut file = LatencyFile {
        command,
        machine,
        job_ms: plan.job_ms,
        rounds: cal.rounds,
        job_measured_ms: cal.job.as_secs_f64() * 1e3,
        interval_ms: plan.interval_ms,
        jobs: plan.jobs,
        yield_rounds: cal.yield_rounds,
        plan: plan.clone(),
        rows,
        floor,
        verdicts: Vec::new(),
        notes: Vec::new(),
    };
    file.verdicts = verdicts(&file);
    file.notes = notes(&file);
    Ok(file)
}

/// The histogram of `latencies_ns`: 1 ns to one hour, 3 significant digits.
pub fn histogram(latencies_ns: &[u64]) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid histogram bounds");
    for &v in latencies_ns {
        h.saturating_record(v.max(1));
    }
    h
}

/// The value at quantile `q` of `h`, ms (0 for an empty histogram).
pub fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() { 0.0 } else { h.value_at_quantile(q) as f64 / 1e6 }
}

/// The 95% order-statistic interval of the `q` quantile of `n` independent samples, as quantiles
/// `(lo, hi)`: the ranks `n q -+ 1.96 sqrt(n q (1 - q))`, widened to whole ranks.
pub fn quantile_interval(q: f64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let sd = (n * q * (1.0 - q)).sqrt();
    let lo = ((n * q - 1.96 * sd).floor() / n).clamp(0.0, 1.0);
    let hi = (((n * q + 1.96 * sd).ceil() + 1.0) / n).clamp(0.0, 1.0);
    (lo, hi)
}

/// The plot's curve: latency at x = -log10(1 - q) in steps of 0.1 up to the last quantile the samples
/// resolve (1 - 1/n), then the max.
pub fn curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    let n = h.len();
    if n == 0 {
        return Vec::new();
    }
    let x_max = (n as f64).log10().min(5.0);
    let mut out = Vec::new();
    let mut k = 0;
    loop {
        let x = f64::from(k) / 10.0;
        if x >= x_max {
            break;
        }
        out.push((x, quantile_ms(h, 1.0 - 10f64.powf(-x))));
        k += 1;
    }
    out.push((x_max, h.max() as f64 / 1e6));
    out
}

fn row(s: Structure, n: usize, setting: Setting, m: &serve::Measured, alone: Option<f64>) -> Row {
    let h = histogram(&m.latencies_ns);
    let (lo, hi) = quantile_interval(0.99, h.len());
    let batch_s = m.batch.as_secs_f64();
    Row {
        structure: s,
        workers: n,
        setting,
        cores: m.cpus.unwrap_or(0),
        sent: m.client.sent,
        served: h.len(),
        p50_ms: quantile_ms(&h, 0.5),
        p90_ms: quantile_ms(&h, 0.9),
        p99_ms: quantile_ms(&h, 0.99),
        p99_range_ms: (quantile_ms(&h, lo), quantile_ms(&h, hi)),
        p99_after_send_ms: quantile_ms(&histogram(&m.since_sent_ns), 0.99),
        p999_ms: (h.len() >= MIN_FOR_P999).then(|| quantile_ms(&h, 0.999)),
        max_ms: if h.is_empty() { 0.0 } else { h.max() as f64 / 1e6 },
        curve: curve(&h),
        batch_s,
        batch_alone_s: alone,
        slowdown: alone.filter(|&a| a > 0.0).map(|a| batch_s / a),
        involuntary_switches: m.involuntary_switches,
        voluntary_switches: m.voluntary_switches,
        client_late_ms: m.client.max_late.as_secs_f64() * 1e3,
        client_behind: m.client.behind,
    }
}

/// Fewest served requests for a p99.9 that is not just the max.
pub const MIN_FOR_P999: u64 = 1000;
/// A client that sent more than this fraction of a row's requests more than one interval late could not
/// keep its schedule: that row's latencies (from the due time) measure the client's wake-up, not the server.
pub const CLIENT_BEHIND_FRACTION: f64 = 0.01;

/// C7 "responsive": at most this fraction of one heavy job at p99.
pub const RESPONSIVE: f64 = 0.25;
/// C7 "blocked": at least this many heavy jobs at p99 (the blocked loop answers only between jobs).
pub const BLOCKED: f64 = 1.0;
/// Fewest served requests for a p99 worth judging.
pub const MIN_SERVED: u64 = 100;
/// The harness's own p99 (no heavy work) should stay below this for `threads` and `sequential`, ms.
pub const FLOOR_THREADS_MS: f64 = 0.2;
/// ... and below this for the tokio structures, ms (a wake-up through the runtime, no timer on the path).
pub const FLOOR_TOKIO_MS: f64 = 1.2;

/// The statement of C7.
pub const C7: (&str, &str) = ("C7", "concurrency keeps a program responsive while it computes");

/// Where a value's interval stands against a threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Test {
    Meets,
    Fails,
    Unsure,
}

fn at_most((lo, hi): (f64, f64), t: f64) -> Test {
    if hi <= t {
        Test::Meets
    } else if lo > t {
        Test::Fails
    } else {
        Test::Unsure
    }
}

fn at_least((lo, hi): (f64, f64), t: f64) -> Test {
    if lo >= t {
        Test::Meets
    } else if hi < t {
        Test::Fails
    } else {
        Test::Unsure
    }
}

fn p99_text(r: &Row) -> String {
    format!(
        "{}/{} p99 {:.2} ms [{:.2} to {:.2}; {:.2} after send]",
        r.structure, r.workers, r.p99_ms, r.p99_range_ms.0, r.p99_range_ms.1, r.p99_after_send_ms
    )
}

/// C7, from the one-core rows: shown when `async_yield`, `async_offload` and `threads` each keep p99 (its
/// whole interval) at most [`RESPONSIVE`] x one job while `async` on 1 worker has p99 at least
/// [`BLOCKED`] x one job. A threshold inside an interval gives "cannot be shown here (too noisy)"; a
/// responsive row that fails only from the due time, while its p99 after send passes and its client could
/// not keep its schedule ([`client_could_not_keep_up`]), gives "cannot be shown here (the client could not
/// keep its schedule: ...)"; the one-core idle floor above the bound gives "cannot be shown here" too.
pub fn verdicts(file: &LatencyFile) -> Vec<Verdict> {
    let (verdict, evidence) = c7(file);
    vec![Verdict { claim: C7.0.into(), statement: C7.1.into(), verdict, evidence }]
}

fn c7(file: &LatencyFile) -> (Outcome, String) {
    let cannot = |why: String| (Outcome::CannotBeShown, why);
    let one: Vec<&Row> = file.rows.iter().filter(|r| r.setting == Setting::One).collect();
    if one.is_empty() {
        return cannot("no one-core rows: run with --cores 1 or --cores both".into());
    }
    if let Some(r) = one.iter().find(|r| r.cores != 1) {
        return cannot(format!(
            "{}/{} was asked for one core but could use {}",
            r.structure, r.workers, r.cores
        ));
    }
    let job = file.job_measured_ms;
    let Some(blocked) = one.iter().find(|r| r.structure == Structure::Async && r.workers == 1) else {
        return cannot("async on 1 worker (the blocked loop) was not measured on one core".into());
    };
    let mut responsive = Vec::new();
    for s in [Structure::AsyncYield, Structure::AsyncOffload, Structure::Threads] {
        let rs: Vec<&Row> = one.iter().copied().filter(|r| r.structure == s).collect();
        if rs.is_empty() {
            return cannot(format!("{s} was not measured on one core"));
        }
        responsive.extend(rs);
    }
    if let Some(r) = std::iter::once(blocked).chain(&responsive).find(|r| r.served < MIN_SERVED) {
        return cannot(format!(
            "{}/{} served {} requests, fewer than {MIN_SERVED}: no p99 to judge (a longer batch: --jobs)",
            r.structure, r.workers, r.served
        ));
    }
    let bound = RESPONSIVE * job;
    if let Some(f) = file.floor.iter().find(|f| {
        f.setting == Setting::One && responsive.iter().any(|r| r.structure == f.structure) && f.p99_ms > bound
    }) {
        return cannot(format!(
            "the harness alone (no heavy work, one core) already has p99 {:.2} ms for {}, above {RESPONSIVE} x \
             one job ({bound:.2} ms): the machine is too busy to tell",
            f.p99_ms, f.structure
        ));
    }
    let blocked_test = at_least(blocked.p99_range_ms, BLOCKED * job);
    let tests: Vec<(&Row, Test)> = responsive.iter().map(|r| (*r, at_most(r.p99_range_ms, bound))).collect();
    let evidence = format!(
        "one core, one job {job:.2} ms: {} (needs >= {:.2} ms); {} (each needs <= {bound:.2} ms; judged from \
         the due time, the client's own lateness included)",
        p99_text(blocked),
        BLOCKED * job,
        responsive.iter().map(|r| p99_text(r)).collect::<Vec<_>>().join(", ")
    );
    // A responsive row that fails only because its client could not keep its schedule (on one core the
    // client shares the CPU with the server, so the due-time p99 then measures the client's own wake-up)
    // while its p99 after send passes: the data cannot decide, never "not shown".
    let failing = tests.iter().filter(|(_, t)| *t == Test::Fails).map(|(r, _)| *r);
    let (client_fails, real_fails): (Vec<&Row>, Vec<&Row>) =
        failing.partition(|r| client_could_not_keep_up(r, bound) && r.p99_after_send_ms <= bound);
    if blocked_test == Test::Fails || !real_fails.is_empty() {
        (Outcome::NotShown, evidence)
    } else if !client_fails.is_empty() {
        let why = client_fails
            .iter()
            .map(|r| {
                format!(
                    "{}/{}: {} of {} requests sent more than one interval late, {:.2} ms at the latest; p99 \
                     {:.2} ms from the due time but {:.2} ms after send",
                    r.structure,
                    r.workers,
                    r.client_behind,
                    r.sent,
                    r.client_late_ms,
                    r.p99_ms,
                    r.p99_after_send_ms
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let undecided: Vec<String> = tests
            .iter()
            .filter(|(_, t)| *t == Test::Unsure)
            .map(|(r, _)| format!("{}/{}", r.structure, r.workers))
            .collect();
        let undecided = if undecided.is_empty() {
            String::new()
        } else {
            format!("; undecided (the bound lies inside the p99's interval): {}", undecided.join(", "))
        };
        cannot(format!("the client could not keep its schedule: {why}{undecided}; {evidence}"))
    } else if blocked_test == Test::Meets && tests.iter().all(|(_, t)| *t == Test::Meets) {
        (Outcome::Shown, evidence)
    } else {
        cannot(format!("too noisy to decide: a threshold lies inside a p99's 95% interval; {evidence}"))
    }
}

/// Whether a row's client fell behind its schedule for more than [`CLIENT_BEHIND_FRACTION`] of its
/// requests, or was ever later than `bound_ms` itself.
pub fn client_could_not_keep_up(r: &Row, bound_ms: f64) -> bool {
    r.client_behind as f64 > CLIENT_BEHIND_FRACTION * r.sent as f64 || r.client_late_ms > bound_ms
}

/// C9's first evidence (not a verdict): on one core, `threads` and `async_offload` run several runnable
/// threads on one CPU, and the OS takes turns between them. One sentence per such row, from its involuntary
/// context switches, put beside the same structure's idle floor on one core (no heavy work: the harness's
/// own switches), so a reader sees how many come from the heavy work being time-sliced.
pub fn time_slicing(file: &LatencyFile) -> Vec<String> {
    let bound = RESPONSIVE * file.job_measured_ms;
    file.rows
        .iter()
        .filter(|r| r.setting == Setting::One && r.cores == 1)
        .filter(|r| matches!(r.structure, Structure::Threads | Structure::AsyncOffload))
        .map(|r| {
            let run_s = (r.sent as f64 * file.interval_ms as f64 / 1e3).max(r.batch_s).max(1e-9);
            let per_ms = r.involuntary_switches as f64 / (run_s * 1e3);
            let baseline = file
                .floor
                .iter()
                .find(|f| f.setting == Setting::One && f.structure == r.structure)
                .map_or_else(
                    || "no one-core idle floor to compare with".to_string(),
                    |f| {
                        let f_s = (f.sent as f64 * file.interval_ms as f64 / 1e3).max(1e-9);
                        format!(
                            "against {} in the {:.2} s of its one-core idle floor with no heavy work ({:.2} per ms)",
                            f.involuntary_switches,
                            f_s,
                            f.involuntary_switches as f64 / (f_s * 1e3)
                        )
                    },
                );
            if r.involuntary_switches == 0 {
                format!(
                    "C9 (first evidence): {}/{} on one core: no involuntary context switch measured, so no time \
                     slicing was seen",
                    r.structure, r.workers
                )
            } else {
                let finished = if r.p99_ms <= bound {
                    format!("requests still finished at p99 {:.2} ms, within the C7 bound of {bound:.2} ms", r.p99_ms)
                } else {
                    format!("requests finished at p99 {:.2} ms, above the C7 bound of {bound:.2} ms", r.p99_ms)
                };
                format!(
                    "C9 (first evidence): {}/{} on one core ran its heavy threads, its request handler and the \
                     client on one CPU; the OS preempted a runnable thread {} times in {run_s:.2} s ({per_ms:.2} \
                     per ms), {baseline}; {finished}: time slicing",
                    r.structure, r.workers, r.involuntary_switches
                )
            }
        })
        .collect()
}

/// The notes: C9's first evidence, floors above what the harness should reach, a client that fell behind,
/// requests never served. Recomputed from the rows whenever a file is read.
pub fn notes(file: &LatencyFile) -> Vec<String> {
    let mut notes = time_slicing(file);
    for f in &file.floor {
        let limit = if f.structure.is_async() { FLOOR_TOKIO_MS } else { FLOOR_THREADS_MS };
        if f.p99_ms > limit {
            notes.push(format!(
                "floor: {} with no heavy work ({}) has p99 {:.3} ms, above the {limit} ms the harness should \
                 reach (a busy machine, or a slow wake-up)",
                f.structure,
                f.setting.words(),
                f.p99_ms
            ));
        }
    }
    let behind: Vec<&Row> = file.rows.iter().chain(&file.floor).filter(|r| r.client_behind > 0).collect();
    if let Some(worst) = behind.iter().max_by_key(|r| r.client_behind) {
        let latest = behind.iter().map(|r| r.client_late_ms).fold(0.0, f64::max);
        notes.push(format!(
            "the client fell behind its schedule (a request sent more than one interval after its due time) in \
             {} of {} runs, at worst {} of {} requests ({}/{}, {}), {latest:.2} ms at the latest: the \
             machine did not give the client thread a CPU in time (other load, or one core shared with the \
             server). Every request is still charged from its due time, so this inflates latencies, never hides them",
            behind.len(),
            file.rows.len() + file.floor.len(),
            worst.client_behind,
            worst.sent,
            worst.structure,
            worst.workers,
            worst.setting.words()
        ));
    }
    for r in file.rows.iter().chain(&file.floor).filter(|r| r.served < r.sent) {
        notes.push(format!(
            "{}/{} ({}): {} of {} requests were never served",
            r.structure,
            r.workers,
            r.setting.words(),
            r.sent - r.served,
            r.sent
        ));
    }
    notes
}

#[cfg(test)]
mod tests;
