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
//! ([`Limits::refuse_sockets`]). There is no `reference` row for sockets (see [`default_structures`]).

mod child;
mod render;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use child::{ChildReport, child, run_child};
pub use render::{bytes_text, csv, goal_lines, net_goal_lines, plots, read_section, table};

use crate::analysis::{self, Outcome, Range, Verdict};
use crate::machine::Machine;
use crate::machine::limits::Limits;
use crate::strategy::StrategyKind;

/// Claim C8, as the report names it.
pub const C8: (&str, &str) = ("C8", "threads for waiting add overhead, not speed");
/// C8: the smallest J at which the claim is judged (fewer waits hide the overhead).
pub const C8_MIN_JOBS: usize = 1_000;
/// C8: `thread_per_job` must need at least this many times the memory per wait of `async` on 1 worker.
pub const C8_MEMORY: f64 = 5.0;
/// C8: "not faster": `thread_per_job`'s wall may be at most this much shorter than `async`'s (as in C6).
pub const C8_NOT_FASTER: f64 = analysis::NO_FASTER;
/// Performance goal: `async` on 1 worker within this factor of the reference's `waits` at every J.
pub const REFERENCE_GOAL: f64 = 1.10;
/// A memory per wait is printed only where the excess over the baseline is at least this many times the
/// structure's noise floor (its J = 1 excess): the error is then at most 1 / this.
pub const NOISE_FACTOR: f64 = 5.0;

/// C8 on `net_bound` and the socket goal: the job count of the goal "1,000 requests of one wait within
/// [`NET_GOAL`] of one request on the same runtime".
pub const NET_GOAL_JOBS: usize = 1_000;
/// Performance goal for `--io socket`: `async` on 1 worker runs [`NET_GOAL_JOBS`] requests within this
/// factor of one request's wall on the same runtime (its J = 1 row).
pub const NET_GOAL: f64 = 1.3;
/// The wait, ms, at which the socket goal is defined ("1,000 requests of 10 ms"): at another W the same
/// per-request cost is a different share of the wall, so [`net_goal`] does not judge it.
pub const NET_GOAL_WAIT_MS: u64 = 10;
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
    /// The cheapest program that keeps J waits in flight: a current-thread runtime, one sleep per job.
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

/// The structures of a default `cvp scale` on a machine with `cores` usable cores. `--io socket` has no
/// `reference` row: the cheapest program that keeps J requests in flight is a current-thread runtime that
/// spawns one request per job, which is `async/1` itself, so its goal compares `async/1` with its own J = 1.
pub fn default_structures(cores: usize, strategies: &[StrategyKind], io: Io) -> Vec<Structure> {
    let cores = cores.max(1);
    let mut out = if io == Io::Sleep { vec![Structure::Reference] } else { Vec::new() };
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
    /// Child processes per (structure, J); the median is kept, fastest and slowest beside it.
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
    /// `waits` over the reference's at the same J (the goal: <= 1.10 for `async/1`).
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
    /// (peak - baseline) / J of the median run, when the excess is clear of the noise floor.
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

    /// The wall time with its min - max, when measured (an interval only from 3 runs on).
    fn wall(&self) -> Option<Range> {
        let range = self.wall_min_s.zip(self.wall_max_s).filter(|_| self.repeats >= analysis::MIN_ROUNDS);
        self.wall_s.map(|w| Range::of(w, range))
    }

    /// The memory per wait with its min - max, when clear of the noise floor.
    fn bytes(&self) -> Option<Range> {
        let range = self.bytes_per_wait_range.filter(|_| self.repeats >= analysis::MIN_ROUNDS);
        self.bytes_per_wait.map(|b| Range::of(b, range))
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
    if limits.refuse_sockets(100_000, crate::net::DEFAULT_SPREAD).is_none() {
        jobs.push(100_000);
    }
    jobs
}

/// Why a (structure, J) is not run, decided before anything starts.
pub fn skip_reason(
    structure: Structure,
    jobs: usize,
    wait_ms: u64,
    budget_s: f64,
    limits: &Limits,
) -> Option<String> {
    if let Some(why) = limits.refuse(structure.threads(jobs)) {
        return Some(why);
    }
    let tasks = !structure.pool_bound() && !matches!(structure, Structure::Of(StrategyKind::ThreadPerJob, _));
    if let Some(why) = limits.refuse_tasks(jobs).filter(|_| tasks) {
        return Some(why);
    }
    if structure.pool_bound() {
        let predicted = jobs as f64 * wait_ms as f64 / 1e3 / structure.workers(jobs) as f64;
        if predicted > budget_s {
            return Some(format!("would take ~{predicted:.1} s (J x W / N; --budget-s {budget_s})"));
        }
    }
    None
}

/// The (structure, J) cells of a plan with why each is skipped, if it is.
pub fn cells(
    structures: &[Structure],
    plan: &Plan,
    limits: &Limits,
) -> Vec<(Structure, usize, Option<String>)> {
    let mut cells = Vec::new();
    for &s in structures {
        for &j in &plan.jobs {
            let sockets = match plan.io {
                Io::Sleep => None,
                Io::Socket => limits.refuse_sockets(j, crate::net::DEFAULT_SPREAD),
            };
            let why = match (sockets, skip_reason(s, j, plan.wait_ms, plan.budget_s, limits)) {
                (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                (a, b) => a.or(b),
            };
            cells.push((s, j, why));
        }
    }
    cells
}

/// Runs the whole plan: every (structure, J) `repeat` times in a fresh child, rounds in a shuffled order,
/// skipping what the limits or the budget rule out. `progress` gets a label before each child. With
/// `--io socket` one service ([`crate::net::Server`], replying after the plan's wait) is started before
/// the first child and stopped after the last; its CPU time is read around each child. The only error is
/// a service that cannot be started.
pub fn run(
    structures: &[Structure],
    plan: &Plan,
    limits: &Limits,
    mut progress: impl FnMut(&str),
) -> std::io::Result<Vec<Row>> {
    let mut cells: Vec<(Structure, usize, Option<String>, Vec<ChildReport>)> =
        cells(structures, plan, limits).into_iter().map(|(s, j, skip)| (s, j, skip, Vec::new())).collect();
    let server = match plan.io {
        Io::Socket if cells.iter().any(|c| c.2.is_none()) => {
            Some(crate::net::Server::start(Duration::from_millis(plan.wait_ms))?)
        }
        _ => None,
    };
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos());
    let mut order: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].2.is_none()).collect();
    let mut rng = (seed as u64) | 1;
    for round in 0..plan.repeat.max(1) {
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            let (s, j, _, runs) = &mut cells[i];
            // A structure that already failed at this J is not started again.
            if runs.iter().any(|r| r.status != "ok") {
                continue;
            }
            progress(&format!("round {}/{} {} J={}", round + 1, plan.repeat.max(1), s.label(), j));
            let timeout = child::timeout(*s, *j, plan.wait_ms);
            let Some(server) = &server else {
                runs.push(run_child(*s, *j, plan.wait_ms, None, timeout));
                continue;
            };
            let before = server.cpu_time().ok();
            let mut report = run_child(*s, *j, plan.wait_ms, Some(server.target()), timeout);
            report.server_cpu_s =
                before.zip(server.cpu_time().ok()).map(|(a, b)| b.saturating_sub(a).as_secs_f64());
            runs.push(report);
        }
    }
    if let Some(server) = server {
        // Its counts are not needed (every reply was checked by the children); a service that ended badly
        // shows in the rows it failed.
        let _ = server.stop();
    }
    let mut rows: Vec<Row> =
        cells.into_iter().map(|(s, j, skip, runs)| row(s, j, plan.wait_ms, skip, runs)).collect();
    derive(&mut rows);
    Ok(rows)
}

fn min_max(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    (v.clone().fold(f64::INFINITY, f64::min), v.fold(f64::NEG_INFINITY, f64::max))
}

fn row(s: Structure, jobs: usize, wait_ms: u64, skip: Option<String>, runs: Vec<ChildReport>) -> Row {
    let mut row = Row {
        strategy: s.id().into(),
        workers: s.workers(jobs),
        jobs,
        wait_ms,
        repeats: runs.len(),
        status: skip.map_or_else(|| "ok".to_string(), |why| format!("skipped: {why}")),
        ..Row::default()
    };
    if let Some(bad) = runs.iter().find(|r| r.status != "ok") {
        row.status = bad.status.clone();
        return row;
    }
    if runs.is_empty() {
        if row.ok() {
            row.status = "failed: not run".into();
        }
        return row;
    }
    let mut sorted: Vec<&ChildReport> = runs.iter().collect();
    sorted.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
    let median = sorted[(sorted.len() - 1) / 2];
    row.wall_s = Some(median.wall_s);
    row.wall_min_s = Some(sorted[0].wall_s);
    row.wall_max_s = Some(sorted[sorted.len() - 1].wall_s);
    row.cpu_s = Some(median.cpu_s);
    row.cores_busy = Some(crate::measure::cores_busy(
        Duration::from_secs_f64(median.cpu_s),
        Duration::from_secs_f64(median.wall_s),
    ));
    row.peak_rss_bytes = Some(median.peak_rss_bytes);
    row.baseline_rss_bytes = Some(median.baseline_rss_bytes);
    row.peak_reset = Some(runs.iter().all(|r| r.peak_reset));
    row.excess_bytes = runs.iter().map(|r| r.peak_rss_bytes.saturating_sub(r.baseline_rss_bytes)).collect();
    row.vm_pte_bytes = Some(median.vm_pte_bytes);
    row.peak_threads = Some(median.peak_threads);
    row.server_cpu_s = median.server_cpu_s;
    // The warm-up's request is served during the child's run too.
    row.server_us_per_request = median.server_cpu_s.map(|c| c / (jobs as f64 + 1.0) * 1e6);
    row.voluntary_switches = Some(median.voluntary_switches);
    row.involuntary_switches = Some(median.involuntary_switches);
    // The median run's own excess, for bytes per wait (same run as the wall).
    let at = runs.iter().position(|r| std::ptr::eq(r, median)).unwrap_or(0);
    row.excess_bytes.rotate_left(at);
    row
}

/// Fills in what needs other rows: waits, overhead and in flight against the same structure's J = 1 wall,
/// memory per wait above the same structure's noise floor, and the ratio to the reference.
pub fn derive(rows: &mut [Row]) {
    let floors: Vec<(String, f64, u64)> = rows
        .iter()
        .filter(|r| r.jobs == 1 && r.ok())
        .filter_map(|r| Some((r.label(), r.wall_s?, r.excess_bytes.iter().copied().max()?)))
        .collect();
    let floor = |label: &str| floors.iter().find(|(l, _, _)| l == label).map(|&(_, w, n)| (w, n));
    for r in rows.iter_mut().filter(|r| r.ok()) {
        let Some((w1, noise)) = floor(&r.label()) else { continue };
        let Some(wall) = r.wall_s else { continue };
        let j = r.jobs as f64;
        r.waits = Some(wall / w1);
        r.overhead_us_per_wait = Some((wall - w1) / j * 1e6);
        r.in_flight = Some(j * w1 / wall);
        // A page is the least the counters can move by: the floor is never below one.
        let noise = noise.max(4096);
        r.noise_floor_bytes = Some(noise);
        let clear = |e: u64| r.jobs > 1 && e as f64 >= NOISE_FACTOR * noise as f64;
        if r.excess_bytes.first().is_some_and(|&e| clear(e)) && r.excess_bytes.iter().all(|&e| clear(e)) {
            r.bytes_per_wait = Some(r.excess_bytes[0] as f64 / j);
            r.bytes_per_wait_range = Some(min_max(r.excess_bytes.iter().map(|&e| e as f64 / j)));
        }
    }
    let reference: Vec<Row> =
        rows.iter().filter(|r| r.strategy == "reference" && r.waits.is_some()).cloned().collect();
    let ref_one = reference.iter().find(|r| r.jobs == 1).cloned();
    let one: Vec<Row> = rows.iter().filter(|r| r.jobs == 1 && r.ok()).cloned().collect();
    for r in rows.iter_mut().filter(|r| r.waits.is_some()) {
        let Some(reference) = reference.iter().find(|x| x.jobs == r.jobs) else { continue };
        r.vs_reference = r.waits.zip(reference.waits).map(|(a, b)| a / b);
        // Every ratio the four walls' fastest and slowest allow: (wall / wall1) / (ref / ref1).
        let own_one = one.iter().find(|x| x.label() == r.label());
        let walls = [Some(&*r), own_one, Some(reference), ref_one.as_ref()].map(|x| x.and_then(Row::wall));
        if let [Some(w), Some(w1), Some(rf), Some(rf1)] = walls {
            let ratio = (w / w1) / (rf / rf1);
            if ratio.known {
                r.vs_reference_range = Some((ratio.lo, ratio.hi));
            }
        }
    }
}

/// The goal "`async` on 1 worker within [`REFERENCE_GOAL`] of the reference" at one J: met when the
/// whole interval is at or below it, missed when the whole interval is above, undecided otherwise.
pub fn goal(row: &Row) -> Option<&'static str> {
    let v = row.vs_reference?;
    Some(match row.vs_reference_range {
        None => "no interval (fewer than 3 runs)",
        Some((_, hi)) if hi <= REFERENCE_GOAL => "met",
        Some((lo, _)) if lo > REFERENCE_GOAL => "missed",
        Some(_) if v <= REFERENCE_GOAL => "undecided (noise; the median meets it)",
        Some(_) => "undecided (noise; the median misses it)",
    })
}

/// The goal of `--io socket`: `async/1` at [`NET_GOAL_JOBS`] requests within [`NET_GOAL`] of its own
/// J = 1 wall: its `waits` with every ratio the runs' fastest and slowest allow, and `met`, `missed` or
/// `undecided` as for [`goal`]. `None` when either row was not measured, or their wait is not
/// [`NET_GOAL_WAIT_MS`].
pub fn net_goal(rows: &[Row]) -> Option<(Range, &'static str)> {
    let find = |j: usize| {
        rows.iter().find(|r| r.label() == "async/1" && r.jobs == j && r.ok() && r.wait_ms == NET_GOAL_WAIT_MS)
    };
    let (many, one) = (find(NET_GOAL_JOBS)?.wall()?, find(1)?.wall()?);
    let ratio = many / one;
    let outcome = if !ratio.known {
        "no interval (fewer than 3 runs)"
    } else if ratio.hi <= NET_GOAL {
        "met"
    } else if ratio.lo > NET_GOAL {
        "missed"
    } else if ratio.mid <= NET_GOAL {
        "undecided (noise; the median meets it)"
    } else {
        "undecided (noise; the median misses it)"
    };
    Some((ratio, outcome))
}

/// Claim C8 from the rows: at the largest J >= [`C8_MIN_JOBS`] where `thread_per_job` and `async/1` both
/// ran with a memory per wait clear of the noise floor, `thread_per_job` needs >= [`C8_MEMORY`] x the memory
/// per wait and is not faster.
pub fn c8(rows: &[Row]) -> Verdict {
    c8_on(rows, Io::Sleep)
}

/// C8 as [`c8`], on rows whose waits are `io`: for [`Io::Socket`] the statement and the evidence say
/// `net_bound: loopback TCP` and count requests, not waits.
pub fn c8_on(rows: &[Row], io: Io) -> Verdict {
    let (claim, statement) = C8;
    let (statement, prefix) = match io {
        Io::Sleep => (statement.to_string(), String::new()),
        Io::Socket => (format!("{statement} (net_bound: loopback TCP)"), "net_bound: loopback TCP: ".into()),
    };
    let unit = io.unit();
    let verdict = |verdict: Outcome, evidence: String| Verdict {
        claim: claim.into(),
        statement: statement.clone(),
        verdict,
        evidence: format!("{prefix}{evidence}"),
    };
    let find = |label: &str, j: usize| rows.iter().find(|r| r.label() == label && r.jobs == j);
    let usable = |r: &Row| r.ok() && r.bytes_per_wait.is_some() && r.wall_s.is_some();
    let both: Option<usize> = rows
        .iter()
        .filter(|r| r.jobs >= C8_MIN_JOBS && r.label() == "thread_per_job" && usable(r))
        .map(|r| r.jobs)
        .filter(|&j| find("async/1", j).is_some_and(usable))
        .max();
    let Some(j) = both else {
        let why: Vec<String> = rows
            .iter()
            .filter(|r| r.jobs >= C8_MIN_JOBS && (r.label() == "thread_per_job" || r.label() == "async/1"))
            .filter(|r| !usable(r))
            .map(|r| {
                let what = if r.ok() {
                    format!("memory per {unit} below the noise floor")
                } else {
                    r.status.clone()
                };
                format!("{} at J={}: {what}", r.label(), r.jobs)
            })
            .collect();
        let why = if why.is_empty() {
            format!("thread_per_job and async/1 were not both run at a J of at least {C8_MIN_JOBS}")
        } else {
            why.join("; ")
        };
        return verdict(
            Outcome::CannotBeShown,
            format!("no J >= {C8_MIN_JOBS} at which both were measured: {why}"),
        );
    };
    let (tpj, asy) =
        (find("thread_per_job", j).expect("found above"), find("async/1", j).expect("found above"));
    let (Some(tb), Some(ab), Some(tw), Some(aw)) = (tpj.bytes(), asy.bytes(), tpj.wall(), asy.wall()) else {
        unreachable!("usable rows have memory and wall")
    };
    let memory = tb / ab;
    let faster = aw / tw;
    let tests = [analysis::at_least(memory, C8_MEMORY), analysis::at_most(faster, C8_NOT_FASTER)];
    let threads = tpj.peak_threads.unwrap_or(0);
    let evidence = format!(
        "at J={j}: thread_per_job {} per {unit}, {} wall, at most {threads} threads alive at once ({:.0} {unit}s \
         in flight on average: starting a thread costs more than a {unit} lasts, and each thread's stack stays \
         resident until it is joined); async/1 {} per {unit}, {} wall; memory ratio {}x, async wall / \
         thread_per_job wall {} (criterion: memory >= {C8_MEMORY}x, ratio <= {C8_NOT_FASTER})",
        bytes_text(tb.mid),
        crate::report::human_time(tw.mid),
        tpj.in_flight.unwrap_or(0.0),
        bytes_text(ab.mid),
        crate::report::human_time(aw.mid),
        memory.show(|x| format!("{x:.1}")),
        faster.show(|x| format!("{x:.2}")),
    );
    let (outcome, evidence) = analysis::judge(&tests, evidence);
    verdict(outcome, evidence)
}

#[cfg(test)]
mod tests;
