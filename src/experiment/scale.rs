//! `cvp scale`: what it costs to keep 1 ... 100,000 waits in flight, per structure: wall time, CPU time,
//! peak memory, OS threads and context switches (the `scale` view, claim C8).
//!
//! Every (structure, J) runs the `io_bound` workload (J jobs, each one wait, no hashing) in a **fresh child
//! process** (`cvp` re-running itself through the hidden `scale-child` subcommand), so its peak memory,
//! threads and context switches are its own. The child builds its runtime or pool, runs one job untimed as a
//! warm-up, starts a sampling thread, notes its resident memory (the idle baseline), resets the kernel's
//! peak-RSS mark, and only then runs the J jobs; it checks the digest and prints one JSON line. What is
//! counted:
//! - **peak memory**: the peak resident set (`VmHWM`) above the baseline: pages actually touched (a thread's
//!   used stack pages, a task's heap allocation), not the 2 MiB of address space reserved per thread stack;
//! - **page tables** (`VmPTE`, the peak the sampler saw): kernel memory RSS does not count. Neither counts the
//!   kernel's own stack for each thread (16 KiB on x86-64) or its task structures;
//! - **CPU time and context switches**: `getrusage(RUSAGE_SELF)` of the child over the run (every thread,
//!   ended ones included), minus the sampling thread's own;
//! - **peak OS threads**: the most the sampler (every millisecond, `/proc/self/status`) saw, itself not counted.
//!
//! Thread rows are checked against this machine's limits before anything is started ([`Limits`]); a row
//! whose predicted time exceeds the budget is skipped, never half-run. The `reference` row is the cheapest
//! program that keeps J waits in flight: a current-thread tokio runtime that spawns one sleep per job and
//! awaits them all.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::analysis::{self, Outcome, Range, Verdict};
use crate::machine::Machine;
use crate::measure::{self, Switches};
use crate::strategy::{RunError, StrategyKind};
use crate::workload::{Digest, Workload, WorkloadKind};

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
/// Resident memory counted per thread when comparing J threads with the available memory: a touched
/// stack page or two, the kernel stack, page tables and guard (a generous estimate: the skip is a safety
/// margin, not a measurement).
pub const THREAD_FOOTPRINT_BYTES: u64 = 64 * 1024;
/// How often the child's sampler reads `/proc/self/status`.
const SAMPLE_EVERY: Duration = Duration::from_millis(1);

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
    fn pool_bound(self) -> bool {
        matches!(
            self,
            Structure::Of(StrategyKind::Sequential | StrategyKind::Threads | StrategyKind::Rayon, _)
        )
    }

    /// OS threads the structure starts for `jobs` jobs (beyond the main thread).
    fn threads(self, jobs: usize) -> usize {
        match self {
            Structure::Reference | Structure::Of(StrategyKind::Sequential, _) => 0,
            Structure::Of(StrategyKind::AsyncOffload, n) => n + 1,
            Structure::Of(s, _) => self.workers(jobs).max(usize::from(s == StrategyKind::ThreadPerJob)),
        }
    }
}

/// The structures of a default `cvp scale` on a machine with `cores` usable cores.
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
    /// Child processes per (structure, J); the median is kept, fastest and slowest beside it.
    pub repeat: usize,
}

/// What one child process measured (its one JSON line).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildReport {
    /// Wall time of the J jobs.
    pub wall_s: f64,
    /// CPU time of the child over the jobs, the sampler's own taken out.
    pub cpu_s: f64,
    /// Resident memory after the warm-up, before the jobs (bytes).
    pub baseline_rss_bytes: u64,
    /// Peak resident memory while the jobs ran (bytes; `VmHWM` after a reset at the baseline).
    pub peak_rss_bytes: u64,
    /// Whether the kernel's peak mark could be reset at the baseline (else the peak counts from start-up).
    pub peak_reset: bool,
    /// The most page-table memory the sampler saw (bytes).
    pub vm_pte_bytes: u64,
    /// Threads before the jobs (main, runtime or pool; the sampler not counted).
    pub baseline_threads: u64,
    /// The most threads the sampler saw while the jobs ran (itself not counted).
    pub peak_threads: u64,
    /// Voluntary context switches over the jobs.
    pub voluntary_switches: u64,
    /// Involuntary context switches over the jobs.
    pub involuntary_switches: u64,
    /// `ok`, or `failed at k: <OS error>`, or another failure.
    pub status: String,
}

/// One row of `cvp scale`: a structure at a job count, the median of its child runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    pub wall_s: f64,
    /// Fastest run.
    pub wall_min_s: f64,
    /// Slowest run.
    pub wall_max_s: f64,
    /// Wall / the same structure's J = 1 wall: how many one-waits all J waits took.
    pub waits: f64,
    /// `waits` over the reference's at the same J (the goal: <= 1.10 for `async/1`).
    pub vs_reference: Option<f64>,
    /// (wall - one wait) / J in microseconds: what one more wait in flight costs.
    pub overhead_us_per_wait: f64,
    /// J x one wait / wall (Little's law).
    pub in_flight: f64,
    /// CPU time of the median run.
    pub cpu_s: f64,
    /// CPU time / wall time.
    pub cores_busy: f64,
    /// Peak resident memory of the median run.
    pub peak_rss_bytes: u64,
    /// Resident memory before its jobs.
    pub baseline_rss_bytes: u64,
    /// (peak - baseline) / J.
    pub bytes_per_wait: f64,
    /// The lowest and highest `bytes_per_wait` over the runs.
    pub bytes_per_wait_range: (f64, f64),
    /// Peak page-table memory.
    pub vm_pte_bytes: u64,
    /// Peak OS threads (the sampler not counted).
    pub peak_threads: u64,
    /// Voluntary context switches.
    pub voluntary_switches: u64,
    /// Involuntary context switches.
    pub involuntary_switches: u64,
    /// Child runs behind the median.
    pub repeats: usize,
    /// `ok`, `skipped: <reason>` or `failed ...`.
    pub status: String,
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

    fn wall(&self) -> Range {
        Range::of(self.wall_s, Some((self.wall_min_s, self.wall_max_s)).filter(|_| self.repeats >= 3))
    }

    fn bytes(&self) -> Range {
        Range::of(self.bytes_per_wait, Some(self.bytes_per_wait_range).filter(|_| self.repeats >= 3))
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

/// This machine's limits on threads, each `None` when unlimited or unknown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// `RLIMIT_NPROC` (soft): processes and threads of this user, all of them.
    pub rlimit_nproc: Option<u64>,
    /// `/proc/sys/kernel/threads-max`.
    pub threads_max: Option<u64>,
    /// The cgroup's `pids.max`.
    pub cgroup_pids_max: Option<u64>,
    /// `/proc/sys/vm/max_map_count`: each thread maps a stack and a guard page.
    pub max_map_count: Option<u64>,
    /// `MemAvailable` in bytes.
    pub mem_available_bytes: Option<u64>,
}

impl Limits {
    /// Reads them from this machine.
    pub fn detect() -> Limits {
        let num = |path: &str| std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse::<u64>().ok());
        let mut nproc = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: `nproc` is a valid, writable rlimit owned by this frame.
        let rlimit_nproc = (unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut nproc) } == 0
            && nproc.rlim_cur != libc::RLIM_INFINITY)
            .then_some(nproc.rlim_cur);
        let mem_available_bytes = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("MemAvailable:")).and_then(|v| kib(v).map(|k| k * 1024))
        });
        Limits {
            rlimit_nproc,
            threads_max: num("/proc/sys/kernel/threads-max"),
            cgroup_pids_max: cgroup_pids_max(),
            max_map_count: num("/proc/sys/vm/max_map_count"),
            mem_available_bytes,
        }
    }

    /// Why `threads` threads must not be started here: more than half of a limit. `None` when they fit.
    pub fn refuse(&self, threads: usize) -> Option<String> {
        let t = threads as u64;
        let checks = [
            ("RLIMIT_NPROC (ulimit -u)", self.rlimit_nproc),
            ("kernel.threads-max", self.threads_max),
            ("the cgroup's pids.max", self.cgroup_pids_max),
        ];
        for (name, limit) in checks {
            if let Some(limit) = limit.filter(|&l| t > l / 2) {
                return Some(format!("{threads} threads exceed half of {name} = {limit}"));
            }
        }
        // Each thread maps its stack and a guard page: two memory maps.
        if let Some(limit) = self.max_map_count.filter(|&l| 2 * t > l / 2) {
            return Some(format!(
                "{threads} threads need {} memory maps (a stack and a guard page each), above half of \
                 vm.max_map_count = {limit}",
                2 * t
            ));
        }
        let bytes = t.saturating_mul(THREAD_FOOTPRINT_BYTES);
        match self.mem_available_bytes {
            Some(avail) if bytes > avail / 2 => Some(format!(
                "{threads} threads at ~{} KiB each exceed half of the available memory = {} MiB",
                THREAD_FOOTPRINT_BYTES / 1024,
                avail >> 20
            )),
            _ => None,
        }
    }
}

fn cgroup_pids_max() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let file = if controllers.is_empty() {
            format!("/sys/fs/cgroup{path}/pids.max")
        } else if controllers.split(',').any(|c| c == "pids") {
            format!("/sys/fs/cgroup/pids{path}/pids.max")
        } else {
            continue;
        };
        if let Ok(v) = std::fs::read_to_string(&file) {
            return v.trim().parse().ok();
        }
    }
    None
}

/// `"  1234 kB"` -> 1234.
fn kib(v: &str) -> Option<u64> {
    v.trim().trim_end_matches("kB").trim().parse().ok()
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
    if structure.pool_bound() {
        let predicted = jobs as f64 * wait_ms as f64 / 1e3 / structure.workers(jobs) as f64;
        if predicted > budget_s {
            return Some(format!("would take ~{predicted:.1} s (J x W / N; --budget-s {budget_s})"));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------------------
// The child: one (structure, J) in a process of its own.

/// One structure, built and ready to run a workload.
type Runner = Box<dyn Fn(&Workload) -> Result<Digest, RunError>>;

/// Runs J io_bound jobs on `structure` and measures them ([`ChildReport`]). Called by the hidden
/// `cvp scale-child` subcommand, in a process that does nothing else.
pub fn child(structure: Structure, jobs: usize, wait_ms: u64) -> ChildReport {
    die_with_parent();
    let wait = Duration::from_millis(wait_ms);
    let failed = |status: String| ChildReport { status, ..ChildReport::default() };
    let runner: Runner = match structure {
        Structure::Reference => match tokio::runtime::Builder::new_current_thread().enable_time().build() {
            Ok(rt) => Box::new(move |w: &Workload| Ok(reference(&rt, w))),
            Err(e) => return failed(format!("failed to build the runtime: {e}")),
        },
        Structure::Of(s, n) => match s.build(n) {
            Ok(strategy) => Box::new(move |w: &Workload| strategy.run(w)),
            Err(e) => return failed(format!("failed to build {s} with {n} workers: {e}")),
        },
    };
    let warm = Workload::new(WorkloadKind::IoBound, 1, wait, 0);
    match runner(&warm) {
        Ok(d) if d == warm.expected_digest() => {}
        Ok(_) => return failed("failed: wrong digest in the warm-up".into()),
        Err(e) => return failed(format!("failed in the warm-up: {e}")),
    }
    let workload = Workload::new(WorkloadKind::IoBound, jobs, wait, 0);
    let expected = workload.expected_digest();
    let sampler = Sampler::start();
    std::thread::sleep(5 * SAMPLE_EVERY);
    let baseline = Status::read();
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let switches0 = measure::process_switches();
    let cpu0 = measure::process_cpu_time();
    let t0 = Instant::now();
    let got = runner(&workload);
    let wall = t0.elapsed();
    let cpu = measure::process_cpu_time().saturating_sub(cpu0);
    let switches = measure::process_switches().since(switches0);
    let peaks = sampler.stop();
    let end = Status::read();
    let status = match got {
        Ok(d) if d == expected => "ok".to_string(),
        Ok(d) => format!("failed: wrong digest {d}, expected {expected}"),
        Err(RunError::Spawn { index, cause, .. }) => format!("failed at {index}: {cause}"),
        Err(e) => format!("failed: {e}"),
    };
    ChildReport {
        wall_s: wall.as_secs_f64(),
        cpu_s: cpu.saturating_sub(peaks.cpu).as_secs_f64(),
        baseline_rss_bytes: baseline.rss,
        peak_rss_bytes: end.hwm.max(peaks.rss).max(baseline.rss),
        peak_reset,
        vm_pte_bytes: peaks.pte.max(end.pte),
        baseline_threads: baseline.threads.saturating_sub(1),
        peak_threads: peaks.threads.saturating_sub(1),
        voluntary_switches: switches.voluntary.saturating_sub(peaks.switches.voluntary),
        involuntary_switches: switches.involuntary.saturating_sub(peaks.switches.involuntary),
        status,
    }
}

/// The cheapest program that keeps J waits in flight: spawn one sleep per job on a current-thread runtime,
/// await them all, XOR the seeds' digests.
fn reference(rt: &tokio::runtime::Runtime, workload: &Workload) -> Digest {
    rt.block_on(async {
        let tasks: Vec<_> = workload
            .jobs()
            .map(|job| {
                tokio::spawn(async move {
                    tokio::time::sleep(job.wait).await;
                    job.seed
                })
            })
            .collect();
        let mut digest = Digest::default();
        for t in tasks {
            // A sleep cannot panic, and nothing aborts these tasks.
            if let Ok(seed) = t.await {
                digest ^= crate::workload::chain(seed, 0);
            }
        }
        digest
    })
}

/// Linux: the child is killed when the process that started it ends (Ctrl-C included), so no child can
/// outlive `cvp scale`.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and has no memory effects.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() == 1 {
            libc::_exit(1);
        }
    }
}

/// The fields of `/proc/self/status` the child reads (bytes and counts; zero where absent).
#[derive(Clone, Copy, Debug, Default)]
struct Status {
    rss: u64,
    hwm: u64,
    pte: u64,
    threads: u64,
}

impl Status {
    fn read() -> Status {
        let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        Status::parse(&text)
    }

    fn parse(text: &str) -> Status {
        let mut s = Status::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else { continue };
            let bytes = || kib(value).map_or(0, |k| k * 1024);
            match key {
                "VmRSS" => s.rss = bytes(),
                "VmHWM" => s.hwm = bytes(),
                "VmPTE" => s.pte = bytes(),
                "Threads" => s.threads = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
        s
    }
}

/// The peaks a [`Sampler`] saw, and what the sampler itself cost.
#[derive(Clone, Copy, Debug, Default)]
struct Peaks {
    rss: u64,
    pte: u64,
    threads: u64,
    cpu: Duration,
    switches: Switches,
}

/// A thread that reads `/proc/self/status` every [`SAMPLE_EVERY`] and keeps the peaks.
struct Sampler {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<Peaks>>,
}

impl Sampler {
    fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("cvp-sampler".into())
            .spawn(move || {
                let mut peaks = Peaks::default();
                loop {
                    let s = Status::read();
                    peaks.rss = peaks.rss.max(s.rss);
                    peaks.pte = peaks.pte.max(s.pte);
                    peaks.threads = peaks.threads.max(s.threads);
                    if flag.load(Ordering::Acquire) {
                        break;
                    }
                    std::thread::sleep(SAMPLE_EVERY);
                }
                peaks.cpu = measure::thread_cpu_time();
                peaks.switches = measure::thread_switches();
                peaks
            })
            .ok();
        Sampler { stop, handle }
    }

    fn stop(mut self) -> Peaks {
        self.stop.store(true, Ordering::Release);
        self.handle.take().and_then(|h| h.join().ok()).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------------------
// The parent: plan, children, rows, verdict.

/// Starts `exe scale-child` for one (structure, J) and reads its report; a child that dies, hangs past
/// `timeout` or prints nothing readable gives a `failed: ...` report, never an error of `cvp scale` itself.
pub fn run_child(
    exe: &Path,
    structure: Structure,
    jobs: usize,
    wait_ms: u64,
    timeout: Duration,
) -> ChildReport {
    let failed = |status: String| ChildReport { status, ..ChildReport::default() };
    let (strategy, workers) = match structure {
        Structure::Reference => ("reference".to_string(), 1),
        Structure::Of(s, n) => (s.to_string(), n),
    };
    let spawned = Command::new(exe)
        .args(["scale-child", "--strategy", &strategy, "--workers", &workers.to_string()])
        .args(["--jobs", &jobs.to_string(), "--wait-ms", &wait_ms.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return failed(format!("failed: cannot start {}: {e}", exe.display())),
    };
    let t0 = Instant::now();
    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if t0.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return failed(format!("failed: no result after {:.0} s (killed)", timeout.as_secs_f64()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return failed(format!("failed: waiting for the child: {e}")),
        }
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    match serde_json::from_str::<ChildReport>(out.trim()) {
        Ok(report) if exit.success() => report,
        _ => {
            let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
            failed(format!("failed: the child ended with {exit}: {last}"))
        }
    }
}

/// How long a child may take before it is killed: its predicted time, plenty of slack, and thread creation
/// at a pessimistic 1 ms per thread.
fn timeout(structure: Structure, jobs: usize, wait_ms: u64) -> Duration {
    let waits = if structure.pool_bound() { jobs / structure.workers(jobs).max(1) } else { 1 };
    Duration::from_millis(30_000 + waits as u64 * wait_ms * 2 + structure.threads(jobs) as u64)
}

/// Runs the whole plan: every (structure, J) `repeat` times in a fresh child, rounds in a shuffled order,
/// skipping what the limits or the budget rule out. `progress` gets a label before each child.
pub fn run(
    exe: &Path,
    structures: &[Structure],
    plan: &Plan,
    limits: &Limits,
    mut progress: impl FnMut(&str),
) -> Vec<Row> {
    let mut cells: Vec<(Structure, usize, Option<String>, Vec<ChildReport>)> = Vec::new();
    for &s in structures {
        for &j in &plan.jobs {
            cells.push((s, j, skip_reason(s, j, plan.wait_ms, plan.budget_s, limits), Vec::new()));
        }
    }
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
            runs.push(run_child(exe, *s, *j, plan.wait_ms, timeout(*s, *j, plan.wait_ms)));
        }
    }
    let mut rows: Vec<Row> =
        cells.into_iter().map(|(s, j, skip, runs)| row(s, j, plan.wait_ms, skip, runs)).collect();
    derive(&mut rows);
    rows
}

fn row(s: Structure, jobs: usize, wait_ms: u64, skip: Option<String>, runs: Vec<ChildReport>) -> Row {
    let mut row = Row {
        strategy: s.id().into(),
        workers: s.workers(jobs),
        jobs,
        wait_ms,
        wall_s: 0.0,
        wall_min_s: 0.0,
        wall_max_s: 0.0,
        waits: 0.0,
        vs_reference: None,
        overhead_us_per_wait: 0.0,
        in_flight: 0.0,
        cpu_s: 0.0,
        cores_busy: 0.0,
        peak_rss_bytes: 0,
        baseline_rss_bytes: 0,
        bytes_per_wait: 0.0,
        bytes_per_wait_range: (0.0, 0.0),
        vm_pte_bytes: 0,
        peak_threads: 0,
        voluntary_switches: 0,
        involuntary_switches: 0,
        repeats: runs.len(),
        status: skip.map_or_else(|| "ok".to_string(), |why| format!("skipped: {why}")),
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
    let per_wait =
        |r: &ChildReport| r.peak_rss_bytes.saturating_sub(r.baseline_rss_bytes) as f64 / jobs as f64;
    let mut sorted: Vec<&ChildReport> = runs.iter().collect();
    sorted.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
    let median = sorted[(sorted.len() - 1) / 2];
    let bytes: Vec<f64> = runs.iter().map(per_wait).collect();
    row.wall_s = median.wall_s;
    row.wall_min_s = sorted[0].wall_s;
    row.wall_max_s = sorted[sorted.len() - 1].wall_s;
    row.cpu_s = median.cpu_s;
    row.cores_busy =
        measure::cores_busy(Duration::from_secs_f64(median.cpu_s), Duration::from_secs_f64(median.wall_s));
    row.peak_rss_bytes = median.peak_rss_bytes;
    row.baseline_rss_bytes = median.baseline_rss_bytes;
    row.bytes_per_wait = per_wait(median);
    row.bytes_per_wait_range =
        (bytes.iter().copied().fold(f64::INFINITY, f64::min), bytes.iter().copied().fold(0.0, f64::max));
    row.vm_pte_bytes = median.vm_pte_bytes;
    row.peak_threads = median.peak_threads;
    row.voluntary_switches = median.voluntary_switches;
    row.involuntary_switches = median.involuntary_switches;
    row
}

/// Fills in what needs other rows: waits and overhead against the same structure's J = 1, in flight, and the
/// ratio to the reference.
pub fn derive(rows: &mut [Row]) {
    let one: Vec<(String, f64)> =
        rows.iter().filter(|r| r.jobs == 1 && r.ok()).map(|r| (r.label(), r.wall_s)).collect();
    let one_wait = |label: &str| one.iter().find(|(l, _)| l == label).map(|(_, w)| *w);
    for r in rows.iter_mut().filter(|r| r.ok()) {
        if let Some(w1) = one_wait(&r.label()) {
            r.waits = r.wall_s / w1;
            r.overhead_us_per_wait = (r.wall_s - w1) / r.jobs as f64 * 1e6;
            r.in_flight = r.jobs as f64 * w1 / r.wall_s;
        }
    }
    let reference: Vec<(usize, f64)> = rows
        .iter()
        .filter(|r| r.strategy == "reference" && r.ok() && r.waits > 0.0)
        .map(|r| (r.jobs, r.waits))
        .collect();
    for r in rows.iter_mut().filter(|r| r.ok() && r.waits > 0.0) {
        r.vs_reference = reference.iter().find(|(j, _)| *j == r.jobs).map(|(_, w)| r.waits / w);
    }
}

/// Claim C8 from the rows: at the largest J >= [`C8_MIN_JOBS`] where `thread_per_job` and `async/1` both
/// ran, `thread_per_job` needs >= [`C8_MEMORY`] x the memory per wait and is not faster.
pub fn c8(rows: &[Row]) -> Verdict {
    let (claim, statement) = C8;
    let verdict = |verdict: Outcome, evidence: String| Verdict {
        claim: claim.into(),
        statement: statement.into(),
        verdict,
        evidence,
    };
    let find = |label: &str, j: usize| rows.iter().find(|r| r.label() == label && r.jobs == j);
    let both: Option<usize> = rows
        .iter()
        .filter(|r| r.jobs >= C8_MIN_JOBS && r.ok() && r.label() == "thread_per_job")
        .map(|r| r.jobs)
        .filter(|&j| find("async/1", j).is_some_and(Row::ok))
        .max();
    let Some(j) = both else {
        let why: Vec<String> = rows
            .iter()
            .filter(|r| {
                r.jobs >= C8_MIN_JOBS && !r.ok() && (r.label() == "thread_per_job" || r.label() == "async/1")
            })
            .map(|r| format!("{} at J={}: {}", r.label(), r.jobs, r.status))
            .collect();
        let why = if why.is_empty() {
            format!("thread_per_job and async/1 were not both run at a J of at least {C8_MIN_JOBS}")
        } else {
            why.join("; ")
        };
        return verdict(Outcome::CannotBeShown, format!("no J >= {C8_MIN_JOBS} at which both ran: {why}"));
    };
    let (tpj, asy) =
        (find("thread_per_job", j).expect("found above"), find("async/1", j).expect("found above"));
    let memory = tpj.bytes() / asy.bytes();
    let faster = asy.wall() / tpj.wall();
    let tests = [analysis::at_least(memory, C8_MEMORY), analysis::at_most(faster, C8_NOT_FASTER)];
    let evidence = format!(
        "at J={j}: thread_per_job {} per wait ({} threads at peak), {} wall; async/1 {} per wait, {} wall; \
         memory ratio {}x, async wall / thread_per_job wall {} (criterion: memory >= {C8_MEMORY}x, ratio <= \
         {C8_NOT_FASTER})",
        bytes_text(tpj.bytes_per_wait),
        tpj.peak_threads,
        crate::report::human_time(tpj.wall_s),
        bytes_text(asy.bytes_per_wait),
        crate::report::human_time(asy.wall_s),
        memory.show(|x| format!("{x:.1}")),
        faster.show(|x| format!("{x:.2}")),
    );
    let (outcome, evidence) = analysis::judge(&tests, evidence);
    verdict(outcome, evidence)
}

/// `512 B`, `4.6 KiB`, `1.2 MiB`.
pub fn bytes_text(b: f64) -> String {
    if b < 1024.0 {
        format!("{b:.0} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Rendering: table, CSV, and the results-folder section.

fn cells(r: &Row) -> Vec<String> {
    let mut c = vec![r.label(), r.jobs.to_string()];
    if !r.ok() {
        c.extend(std::iter::repeat_n("-".to_string(), 11));
        c.push(r.status.clone());
        return c;
    }
    c.extend([
        crate::report::human_time(r.wall_s),
        format!("{:.2}", r.waits),
        r.vs_reference.map_or("-".into(), |v| format!("{v:.2}")),
        format!("{:.1}", r.overhead_us_per_wait),
        format!("{:.0}", r.in_flight),
        format!("{:.2}", r.cores_busy),
        bytes_text(r.peak_rss_bytes as f64),
        bytes_text(r.bytes_per_wait),
        bytes_text(r.vm_pte_bytes as f64),
        r.peak_threads.to_string(),
        format!("{} / {}", r.voluntary_switches, r.involuntary_switches),
        "ok".into(),
    ]);
    c
}

const HEADER: [&str; 14] = [
    "structure",
    "J",
    "wall",
    "waits",
    "vs ref",
    "µs/wait",
    "in flight",
    "cores busy",
    "peak RSS",
    "RSS/wait",
    "VmPTE",
    "threads",
    "switches vol / invol",
    "status",
];

const LEGEND: &str = "waits: wall / the same structure's J=1 wall (one wait); vs ref: waits / the reference's at that J; \
µs/wait: (wall - one wait) / J, what one more wait in flight costs; in flight: J x one wait / wall (Little's law); \
RSS/wait: (peak resident memory - the child's idle baseline) / J; VmPTE: peak page tables (not in RSS); threads: \
peak OS threads; switches: voluntary (a thread blocked) / involuntary (the OS preempted a runnable thread)";

/// The table `cvp scale` prints: one line per (structure, J), then the verdict.
pub fn table(file: &ScaleFile) -> String {
    let mut out = format!(
        "machine: {}\nio_bound, wait {} ms; each row a fresh child process, median of {} run(s); pool-bound rows \
         skipped beyond --budget-s {}\n\n",
        file.machine.summary(),
        file.plan.wait_ms,
        file.plan.repeat,
        file.plan.budget_s
    );
    let rows: Vec<Vec<String>> = file.rows.iter().map(cells).collect();
    out += &crate::report::aligned(&HEADER, &rows, 1);
    out += "\n";
    out += LEGEND;
    out += "\n";
    if let Some(line) = goal_line(&file.rows) {
        out += &line;
        out += "\n";
    }
    out += "\n";
    for v in &file.verdicts {
        out +=
            &format!("  {}  {:<20}  {}\n      {}\n", v.claim, v.verdict.to_string(), v.statement, v.evidence);
    }
    out
}

/// How close `async` on 1 worker stays to the reference (the performance goal), if both ran.
pub fn goal_line(rows: &[Row]) -> Option<String> {
    let parts: Vec<String> = rows
        .iter()
        .filter(|r| r.label() == "async/1" && r.jobs > 1)
        .filter_map(|r| r.vs_reference.map(|v| format!("J={} {v:.2}", r.jobs)))
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "async/1 against the reference (waits over waits; goal <= {REFERENCE_GOAL:.2}): {}",
            parts.join(", ")
        )
    })
}

/// `cvp scale --format csv` and the results folder's `scale.csv`.
pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "strategy,workers,jobs,wait_ms,wall_s,wall_min_s,wall_max_s,waits,vs_reference,overhead_us_per_wait,\
         in_flight,cpu_s,cores_busy,peak_rss_bytes,baseline_rss_bytes,bytes_per_wait,vm_pte_bytes,peak_threads,\
         voluntary_switches,involuntary_switches,repeats,status\n",
    );
    for r in rows {
        let status = if r.status.contains(',') || r.status.contains('"') {
            format!("\"{}\"", r.status.replace('"', "\"\""))
        } else {
            r.status.clone()
        };
        out += &format!(
            "{},{},{},{},{:.6},{:.6},{:.6},{:.4},{},{:.3},{:.1},{:.6},{:.4},{},{},{:.1},{},{},{},{},{},{}\n",
            r.strategy,
            r.workers,
            r.jobs,
            r.wait_ms,
            r.wall_s,
            r.wall_min_s,
            r.wall_max_s,
            r.waits,
            r.vs_reference.map_or(String::new(), |v| format!("{v:.4}")),
            r.overhead_us_per_wait,
            r.in_flight,
            r.cpu_s,
            r.cores_busy,
            r.peak_rss_bytes,
            r.baseline_rss_bytes,
            r.bytes_per_wait,
            r.vm_pte_bytes,
            r.peak_threads,
            r.voluntary_switches,
            r.involuntary_switches,
            r.repeats,
            status
        );
    }
    out
}

/// One line per structure: (J, y) for the rows that ran.
fn lines(rows: &[Row], y: impl Fn(&Row) -> f64) -> Vec<crate::report::plot::Line> {
    let mut labels: Vec<String> = Vec::new();
    for r in rows {
        if !labels.contains(&r.label()) {
            labels.push(r.label());
        }
    }
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| crate::report::plot::Line {
            label: label.clone(),
            color: crate::report::plot::COLORS[i % crate::report::plot::COLORS.len()],
            points: rows
                .iter()
                .filter(|r| &r.label() == label && r.ok())
                .map(|r| (r.jobs as f64, y(r)))
                .collect(),
            dashed: label == "reference",
        })
        .filter(|l| !l.points.is_empty())
        .collect()
}

fn count(x: &f64) -> String {
    if *x >= 1000.0 { format!("{:.0}k", x / 1000.0) } else { format!("{x:.0}") }
}

/// `scale_time.svg`: wall / one wait against J; `scale_memory.svg`: memory per wait against J.
pub fn plots(file: &ScaleFile) -> Result<Vec<(String, Vec<u8>)>, crate::report::ReportError> {
    let time = crate::report::plot::log_log(
        &format!("io_bound: all J waits, in one-waits ({} ms each)", file.plan.wait_ms),
        "J = waits in flight (log scale)",
        "wall / one wait (log scale)",
        &lines(&file.rows, |r| r.waits),
        &count,
        &|y| format!("{y:.1}"),
    )?;
    let memory = crate::report::plot::log_log(
        "io_bound: memory per wait (peak RSS above idle / J, J >= 100)",
        "J = waits in flight (log scale)",
        "bytes per wait (log scale)",
        // Below 100 waits one 4 KiB page is 40+ bytes a wait: the page size, not the structure, would show.
        &lines(&file.rows.iter().filter(|r| r.jobs >= 100).cloned().collect::<Vec<_>>(), |r| {
            r.bytes_per_wait
        }),
        &count,
        &count,
    )?;
    Ok(vec![("scale_time.svg".into(), time.into_bytes()), ("scale_memory.svg".into(), memory.into_bytes())])
}

/// Reads a `cvp scale --format json` file into the results folder's section: a table, `scale.csv`, the two
/// plots and C8.
pub fn read_section(path: &Path) -> Result<crate::report::Section, crate::report::ReportError> {
    let unreadable = |why: String| crate::report::ReportError::Unreadable { path: path.to_path_buf(), why };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let file: ScaleFile = serde_json::from_str(&text)
        .map_err(|e| unreadable(format!("{e} (expected the output of `cvp scale --format json`)")))?;
    let mut md = format!(
        "`{}`: io_bound with {} ms waits, every row a fresh child process, median of {} run(s).\n\n",
        file.command.iter().map(|a| crate::report::shell_word(a)).collect::<Vec<_>>().join(" "),
        file.plan.wait_ms,
        file.plan.repeat
    );
    md +=
        "![wall / one wait against J](scale_time.svg)\n\n![memory per wait against J](scale_memory.svg)\n\n";
    md += &format!("| {} |\n|{}\n", HEADER.join(" | "), "---|".repeat(HEADER.len()));
    for r in &file.rows {
        md += &format!("| {} |\n", cells(r).join(" | "));
    }
    md += &format!("\n{LEGEND}.\n");
    if let Some(line) = goal_line(&file.rows) {
        md += &format!("\n{line}.\n");
    }
    let mut files = plots(&file)?;
    files.push(("scale.csv".into(), csv(&file.rows).into_bytes()));
    let json = serde_json::to_vec_pretty(&file).map_err(|e| unreadable(e.to_string()))?;
    files.push(("scale.json".into(), json));
    Ok(crate::report::Section {
        title: "Scale: 1 to 100,000 waits in flight (claim C8)".into(),
        markdown: md,
        files,
        verdicts: file.verdicts.clone(),
        machine: file.machine.clone(),
        source: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_bytes() {
        let s = Status::parse(
            "Name:\tcvp\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nVmPTE:\t      48 kB\nThreads:\t7\n",
        );
        assert_eq!((s.rss, s.hwm, s.pte, s.threads), (1 << 20, 2 << 20, 48 * 1024, 7));
    }

    #[test]
    fn limits_refuse_above_half_of_any() {
        let limits = Limits {
            rlimit_nproc: Some(10_000),
            threads_max: Some(192_729),
            cgroup_pids_max: Some(96_364),
            max_map_count: Some(65_530),
            mem_available_bytes: Some(24 << 30),
        };
        assert_eq!(limits.refuse(4_000), None);
        assert!(limits.refuse(5_001).unwrap().contains("RLIMIT_NPROC"), "{:?}", limits.refuse(5_001));
        let open = Limits { rlimit_nproc: None, ..limits.clone() };
        assert_eq!(open.refuse(10_000), None);
        let why = open.refuse(100_000).unwrap();
        assert!(why.starts_with("100000 threads exceed half of") && why.contains("= "), "{why}");
        assert!(open.refuse(20_000).unwrap().contains("vm.max_map_count = 65530"));
        let small = Limits { mem_available_bytes: Some(1 << 30), ..Limits::default() };
        assert!(small.refuse(10_000).unwrap().contains("available memory"));
        assert_eq!(Limits::default().refuse(1_000_000), None);
    }

    #[test]
    fn pool_bound_rows_are_skipped_beyond_the_budget() {
        let none = Limits::default();
        let threads = Structure::Of(StrategyKind::Threads, 2);
        assert_eq!(skip_reason(threads, 100, 10, 2.0, &none), None);
        let why = skip_reason(threads, 1_000, 10, 2.0, &none).unwrap();
        assert!(why.contains("would take ~5.0 s"), "{why}");
        assert_eq!(skip_reason(Structure::Of(StrategyKind::Async, 1), 1_000_000, 10, 2.0, &none), None);
        let tpj = Structure::Of(StrategyKind::ThreadPerJob, 1);
        let tight = Limits { threads_max: Some(1_000), ..Limits::default() };
        assert!(skip_reason(tpj, 600, 10, 2.0, &tight).unwrap().contains("kernel.threads-max"));
        assert_eq!(skip_reason(tpj, 400, 10, 2.0, &tight), None);
    }

    fn fake(label: &str, jobs: usize, wall: f64, bytes: f64) -> Row {
        let (strategy, workers) = match label.split_once('/') {
            Some((s, n)) => (s.to_string(), n.parse().unwrap()),
            None => (label.to_string(), if label == "thread_per_job" { jobs } else { 1 }),
        };
        let mut r = row(Structure::Reference, jobs, 10, None, Vec::new());
        r.strategy = strategy;
        r.workers = workers;
        r.status = "ok".into();
        r.repeats = 3;
        (r.wall_s, r.wall_min_s, r.wall_max_s) = (wall, wall * 0.98, wall * 1.02);
        r.bytes_per_wait = bytes;
        r.bytes_per_wait_range = (bytes * 0.95, bytes * 1.05);
        r
    }

    #[test]
    fn derived_numbers_use_the_same_structures_one_wait() {
        let mut rows = vec![
            fake("reference", 1, 0.0100, 0.0),
            fake("reference", 1000, 0.0110, 300.0),
            fake("async/1", 1, 0.0100, 0.0),
            fake("async/1", 1000, 0.0120, 300.0),
        ];
        derive(&mut rows);
        let r = &rows[3];
        assert!((r.waits - 1.2).abs() < 1e-9 && (r.in_flight - 1000.0 / 1.2).abs() < 1e-6, "{r:?}");
        assert!((r.overhead_us_per_wait - 2.0).abs() < 1e-9, "{r:?}");
        assert!((r.vs_reference.unwrap() - 1.2 / 1.1).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn c8_can_be_shown_refuted_or_undecidable() {
        let with = |tpj_wall: f64, tpj_bytes: f64, skipped: bool| {
            let mut rows = vec![
                fake("thread_per_job", 1, 0.010, 0.0),
                fake("thread_per_job", 10_000, tpj_wall, tpj_bytes),
                fake("async/1", 1, 0.010, 0.0),
                fake("async/1", 10_000, 0.020, 400.0),
            ];
            if skipped {
                rows[1].status = "skipped: 10000 threads exceed half of kernel.threads-max = 100".into();
            }
            derive(&mut rows);
            c8(&rows)
        };
        assert_eq!(with(0.5, 12_000.0, false).verdict, Outcome::Shown);
        // Threads as lean as tasks: not shown.
        assert_eq!(with(0.5, 500.0, false).verdict, Outcome::NotShown);
        // Threads clearly faster: not shown.
        assert_eq!(with(0.010, 12_000.0, false).verdict, Outcome::NotShown);
        // A memory ratio whose interval holds the threshold: undecided.
        assert_eq!(with(0.5, 2_000.0, false).verdict, Outcome::CannotBeShown);
        let skipped = with(0.5, 12_000.0, true);
        assert_eq!(skipped.verdict, Outcome::CannotBeShown);
        assert!(skipped.evidence.contains("kernel.threads-max"), "{}", skipped.evidence);
    }

    #[test]
    fn default_structures_hold_both_async_counts_once() {
        let two = default_structures(2, &DEFAULT_STRATEGIES);
        let labels: Vec<String> = two.iter().map(|s| s.label()).collect();
        assert_eq!(
            labels,
            ["reference", "thread_per_job", "async/1", "async/2", "async_offload/2", "threads/2", "rayon/2"]
        );
        assert_eq!(default_structures(1, &[StrategyKind::Async]).len(), 2);
    }
}
