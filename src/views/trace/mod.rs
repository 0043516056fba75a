//! `cvp trace`, the timeline view (claim C9): which OS thread ran which job's wait and hash, and when.
//!
//! Plan ([`Plan`]) -> one traced pass per strategy ([`run`]: rows [`TraceFile`], [`Pass`], [`Interval`]) ->
//! analysis (lanes, tracks, time slicing, the C9 verdict) -> rendering: `timeline.svg` ([`svg`], in
//! `picture.rs`), `trace.json` in the Chrome Trace Event Format ([`chrome_json`], in `chrome.rs`, which
//! Perfetto UI and chrome://tracing open) and a results-folder section ([`read_section`]). The recording
//! probe, [`Tracer`], is in `tracer.rs`.
//!
//! Recording costs nothing when nobody traces: a strategy is generic over a
//! [`Probe`](crate::strategy::Probe) chosen at compile time, and everything but this view builds it with
//! [`crate::strategy::NoProbe`]. Here it gets a
//! [`Tracer`], which stamps each phase with [`Instant`]s, the OS thread that started it and that thread's
//! own CPU clock. Each strategy runs twice: a warm-up, traced too but its recording dropped, then the pass
//! that is kept. What is left out: the time a strategy spends outside its
//! jobs (spawning, scheduling, joining) is not drawn, only seen as gaps, and a zero wait (`cpu_bound`) is
//! not recorded. A wait ends when its thread (async: its task) runs again, so it includes the time it was
//! ready while the cores, or its worker, were busy: the picture draws the nominal wait as the thin bar and
//! the rest as a lighter "ready, not running" bar. An async wait is drawn on the thread that started it,
//! although no thread is busy during it.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::claims::{Outcome, Verdict};
use crate::machine::Machine;
use crate::measure;
use crate::report::{ReportError, Section};
use crate::strategy::{Phase, RunError, StrategyKind};
use crate::workload::{Workload, WorkloadKind, chain};

/// C9: two threads' hashes overlap "for most of the run": at least this fraction of the pass's wall time.
pub const MOST_OF_THE_RUN: f64 = 0.5;
/// C9: the one CPU was ours: the process kept it busy at least this fraction of the pass (cores busy). Below
/// it, other processes took the CPU too, and a hash's stretch cannot be pinned on our own threads.
pub const CPU_OURS: f64 = 0.9;
/// C9: a hash is judged only if other threads' hashes overlapped it for at least this fraction of its
/// length: it was runnable beside another runnable thread (nearly) all along.
pub const JUDGED_OVERLAP: f64 = 0.9;
/// C9: "taking turns": each judged hash's wall time / the thread's own CPU time over the hash is at least
/// this. 1.6 means the thread ran at most about 60% of the time it was runnable (two threads
/// sharing one core give 2; a hash that had a core to itself gives 1).
pub const SLICED: f64 = 1.6;
/// C9: the fewest judged hashes a verdict is drawn from.
pub const MIN_JUDGED: usize = 4;
/// The most jobs a trace draws: beyond this the bars are too thin to read.
pub const MAX_JOBS: usize = 64;
/// The most workers a trace draws (lanes): beyond this the panels are too tall to read.
pub const MAX_WORKERS: usize = 32;
/// Pause before each traced pass, so the warm-up's threads are asleep.
const SETTLE: Duration = Duration::from_millis(5);

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

mod chrome;
mod picture;
mod tracer;

pub use chrome::chrome_json;
pub use picture::svg;
pub use tracer::{Mark, Tracer};

// ---------------------------------------------------------------------------------------------------------
// Measuring

/// Rounds that make one hash take about `wait` on this thread (at least 1).
pub fn calibrate_rounds(wait: Duration) -> u32 {
    let probe = 2_000u32;
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(chain(0, probe));
        best = best.min(t.elapsed());
    }
    let per_round = best.as_secs_f64() / probe as f64;
    ((wait.as_secs_f64() / per_round.max(1e-12)).round() as u32).clamp(1, 1_000_000)
}

/// One job's hash alone on the calling thread: the median of 5, s.
fn solo_hash(rounds: u32) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(chain(0, rounds));
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

/// Runs the plan: starts net_bound's service, then pins when asked (the service, another process, keeps
/// every CPU), sizes the rounds, times one hash alone, then per pass ([`Plan::passes`]) builds the strategy
/// with a [`Tracer`], runs it once as a warm-up (traced too, digest checked; what it recorded is dropped, so the threads' names are registered and the log has its room
/// before the pass that counts) and once traced (digest checked). A zero wait (`cpu_bound`) is dropped from
/// the recording: there is nothing to draw. `progress` hears each pass before it runs.
pub fn run(
    plan: &Plan,
    command: Vec<String>,
    mut progress: impl FnMut(&str),
) -> Result<TraceFile, TraceError> {
    // The machine as it is, before pinning: a one-CPU trace and the criterion data of the same machine go
    // into one results folder; the pinning is kept beside it (`pinned_cpu`, `cpus`).
    let machine = Machine::detect();
    let wait = Duration::from_millis(plan.wait_ms);
    // net_bound: its waits are requests to a service of our own, a child process (its CPU is not in the
    // passes' cores busy), stopped when the trace ends. Started before pinning, so it keeps the machine's
    // CPUs: a child inherits its parent's affinity mask, and a service pinned to the client's one CPU would
    // compete with the client it serves.
    let server = if plan.workload.is_net() {
        Some(crate::net::Server::start(wait).map_err(TraceError::Server)?)
    } else {
        None
    };
    let pinned_cpu =
        if plan.one_core { Some(crate::machine::pin_to_one_cpu().map_err(TraceError::Pin)?) } else { None };
    let rounds = plan.rounds.unwrap_or_else(|| calibrate_rounds(wait));
    let mut workload = Workload::new(plan.workload, plan.jobs, wait, rounds);
    if let Some(server) = &server {
        workload = workload.on(server);
    }
    let expected = workload.expected_digest();
    let solo_hash_s = solo_hash(workload.rounds);
    let mut passes = Vec::new();
    for (strategy, workers) in plan.passes() {
        progress(&format!("{strategy} ({workers} worker{})", if workers == 1 { "" } else { "s" }));
        let tracer = Tracer::new();
        let built =
            strategy.build_probed(workers, tracer).map_err(|cause| TraceError::Build { strategy, cause })?;
        let check = |got: crate::Digest| {
            if got == expected {
                Ok(())
            } else {
                Err(TraceError::Digest { strategy, got: got.to_hex(), expected: expected.to_hex() })
            }
        };
        check(built.run(&workload)?)?;
        std::thread::sleep(SETTLE);
        tracer.clear();
        let mut origin = Instant::now();
        let (got, sample) = measure::measure(|| {
            origin = Instant::now();
            built.run(&workload)
        });
        let got = got?;
        check(got)?;
        let mut intervals = tracer.take(origin)?;
        if workload.wait.is_zero() {
            intervals.retain(|i| i.phase != Phase::Wait);
        }
        passes.push(Pass {
            strategy,
            workers,
            wall_s: sample.wall.as_secs_f64(),
            cpu_s: sample.cpu.as_secs_f64(),
            intervals,
            digest: got.to_hex(),
        });
    }
    drop(server);
    let mut file = TraceFile {
        command,
        machine,
        plan: plan.clone(),
        rounds: workload.rounds,
        pinned_cpu,
        cpus: crate::machine::cpus_allowed_now(),
        solo_hash_s,
        passes,
        verdicts: Vec::new(),
    };
    file.verdicts = vec![verdict_c9(&file)];
    Ok(file)
}

// ---------------------------------------------------------------------------------------------------------
// Analysis

/// One OS thread that ran job work in a pass, and where its phases go.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    /// The OS thread id.
    pub tid: u64,
    /// The OS thread's name.
    pub thread: String,
    /// The lane's label: the name, with the tid when another lane of the pass has the same name.
    pub label: String,
    /// Indices into the pass's intervals of this thread's phases.
    pub intervals: Vec<usize>,
}

impl Pass {
    /// Cores busy = CPU time / wall time.
    pub fn cores_busy(&self) -> f64 {
        measure::cores_busy(Duration::from_secs_f64(self.cpu_s), Duration::from_secs_f64(self.wall_s))
    }

    /// In flight: the average number of jobs in progress (from a job's first phase's start to its last
    /// phase's end), i.e. the sum of the jobs' time in progress over the wall time (Little's law).
    pub fn in_flight(&self) -> f64 {
        let mut span: std::collections::BTreeMap<u64, (u64, u64)> = Default::default();
        for i in &self.intervals {
            let e = span.entry(i.job).or_insert((i.start_ns, i.end_ns));
            e.0 = e.0.min(i.start_ns);
            e.1 = e.1.max(i.end_ns);
        }
        let busy: u64 = span.values().map(|(a, b)| b - a).sum();
        if self.wall_s > 0.0 { busy as f64 / 1e9 / self.wall_s } else { 0.0 }
    }

    /// One lane per distinct OS thread that ran a phase, ordered by name (numbers in names compared as
    /// numbers) and then by first start.
    pub fn lanes(&self) -> Vec<Lane> {
        let mut lanes: Vec<Lane> = Vec::new();
        for (k, i) in self.intervals.iter().enumerate() {
            match lanes.iter_mut().find(|l| l.tid == i.tid) {
                Some(l) => l.intervals.push(k),
                None => lanes.push(Lane {
                    tid: i.tid,
                    thread: i.thread.clone(),
                    label: i.thread.clone(),
                    intervals: vec![k],
                }),
            }
        }
        let first = |l: &Lane| l.intervals.iter().map(|&k| self.intervals[k].start_ns).min().unwrap_or(0);
        lanes.sort_by(|a, b| {
            natural_key(&a.thread).cmp(&natural_key(&b.thread)).then(first(a).cmp(&first(b)))
        });
        let names: Vec<String> = lanes.iter().map(|l| l.thread.clone()).collect();
        for l in &mut lanes {
            if names.iter().filter(|n| **n == l.thread).count() > 1 {
                l.label = format!("{} [tid {}]", l.thread, l.tid);
            }
        }
        lanes
    }
}

/// A name split into text and numbers, so `x-10` sorts after `x-2`.
fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num: Option<u64> = None;
    for c in s.chars() {
        match c.to_digit(10) {
            Some(d) => num = Some(num.unwrap_or(0).saturating_mul(10).saturating_add(d as u64)),
            None => {
                if let Some(n) = num.take() {
                    out.push((std::mem::take(&mut text), n));
                }
                text.push(c);
            }
        }
    }
    out.push((text, num.unwrap_or(0)));
    out
}

/// Tracks for intervals that may overlap: track of each `(start, end)`, the fewest tracks such that no two
/// intervals on one track overlap (first fit in start order is optimal for intervals). Touching is allowed.
pub fn tracks(spans: &[(u64, u64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&k| spans[k]);
    let mut ends: Vec<u64> = Vec::new();
    let mut out = vec![0; spans.len()];
    for k in order {
        let (start, end) = spans[k];
        let t = match ends.iter().position(|&e| e <= start) {
            Some(t) => t,
            None => {
                ends.push(0);
                ends.len() - 1
            }
        };
        ends[t] = end;
        out[k] = t;
    }
    out
}

/// Tracks for one thread's phases `(start, end, is_hash)`: every hash on track 0, the thread's own (a
/// thread's hashes never overlap); each other span, in start order, on track 0 if it overlaps nothing there,
/// else on the first extra track (1, 2, ...) where it overlaps nothing. Touching is allowed.
pub fn thread_tracks(spans: &[(u64, u64, bool)]) -> Vec<usize> {
    let mut placed: Vec<Vec<(u64, u64)>> = vec![spans.iter().filter(|s| s.2).map(|s| (s.0, s.1)).collect()];
    let mut out = vec![0; spans.len()];
    let mut order: Vec<usize> = (0..spans.len()).filter(|&k| !spans[k].2).collect();
    order.sort_by_key(|&k| (spans[k].0, spans[k].1));
    for k in order {
        let (a, b, _) = spans[k];
        let free = |t: &Vec<(u64, u64)>| t.iter().all(|&(s, e)| e <= a || b <= s);
        let t = match placed.iter().position(free) {
            Some(t) => t,
            None => {
                placed.push(Vec::new());
                placed.len() - 1
            }
        };
        placed[t].push((a, b));
        out[k] = t;
    }
    out
}

/// How two or more threads shared the hashing of one pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Slicing {
    /// Distinct threads that hashed.
    pub threads: usize,
    /// Fraction of the wall time during which at least two threads were hashing.
    pub overlap: f64,
    /// For each judged hash (other threads' hashes overlapped it for >= [`JUDGED_OVERLAP`] of its length,
    /// and its thread's CPU time over it is known): wall time / the thread's own CPU time over the hash.
    pub stretches: Vec<f64>,
}

impl Slicing {
    /// The judged hashes' (minimum, median) stretch; `None` when none was judged.
    pub fn min_median(&self) -> Option<(f64, f64)> {
        let mut x = self.stretches.clone();
        x.sort_by(f64::total_cmp);
        let n = x.len();
        if n == 0 {
            return None;
        }
        let median = if n % 2 == 1 { x[n / 2] } else { (x[n / 2 - 1] + x[n / 2]) / 2.0 };
        Some((x[0], median))
    }
}

/// The total length of the union of `spans`, ns.
fn union_len(mut spans: Vec<(u64, u64)>) -> u64 {
    spans.sort_unstable();
    let (mut total, mut reach) = (0u64, 0u64);
    for (a, b) in spans {
        let a = a.max(reach);
        if b > a {
            total += b - a;
            reach = b;
        }
    }
    total
}

/// The hashing of `pass`: how long two threads hashed at once, and each judged hash's stretch.
pub fn slicing(pass: &Pass) -> Slicing {
    let hashes: Vec<&Interval> = pass.intervals.iter().filter(|i| i.phase == Phase::Hash).collect();
    let mut tids: Vec<u64> = hashes.iter().map(|i| i.tid).collect();
    tids.sort_unstable();
    tids.dedup();
    // Sweep: the time during which two or more hashes (necessarily on different threads) are open.
    let mut edges: Vec<(u64, i32)> = hashes.iter().flat_map(|i| [(i.start_ns, 1), (i.end_ns, -1)]).collect();
    edges.sort_by_key(|&(t, d)| (t, d));
    let (mut open, mut last, mut both) = (0i32, 0u64, 0u64);
    for (t, d) in edges {
        if open >= 2 {
            both += t - last;
        }
        open += d;
        last = t;
    }
    // The part of `h` during which another thread was hashing too.
    let beside = |h: &Interval| -> u64 {
        union_len(
            hashes
                .iter()
                .filter(|o| o.tid != h.tid)
                .map(|o| (o.start_ns.max(h.start_ns), o.end_ns.min(h.end_ns)))
                .filter(|(a, b)| b > a)
                .collect(),
        )
    };
    let stretches = hashes
        .iter()
        .filter(|h| h.end_ns > h.start_ns)
        .filter(|h| beside(h) as f64 >= JUDGED_OVERLAP * (h.end_ns - h.start_ns) as f64)
        .filter_map(|h| h.cpu_ns.filter(|&c| c > 0).map(|c| (h.end_ns - h.start_ns) as f64 / c as f64))
        .collect();
    let wall_ns = pass.wall_s * 1e9;
    Slicing {
        threads: tids.len(),
        overlap: if wall_ns > 0.0 { both as f64 / wall_ns } else { 0.0 },
        stretches,
    }
}

/// C9 from the trace, on one CPU: two threads' hashes overlap for most of the run (>= [`MOST_OF_THE_RUN`]),
/// and a hash that ran beside another thread's hash (nearly) all along (>= [`JUDGED_OVERLAP`] of its
/// length) got only part of the core: each such hash's wall time / the thread's own CPU time over it is at
/// least [`SLICED`] (the "each job"; minimum, median and count shown). Each hash is measured against
/// its own thread's CPU clock, so no "one hash alone" baseline enters. It cannot be shown when the process kept the CPU
/// busy less than [`CPU_OURS`] (other processes took it too, and a stretch could be theirs) or fewer than
/// [`MIN_JUDGED`] hashes could be judged. Judged on `threads` when it hashed on two threads or more, else on
/// the first such pass.
pub fn verdict_c9(file: &TraceFile) -> Verdict {
    let claim = |verdict, evidence: String| Verdict {
        claim: "C9".into(),
        statement: "on one core the OS time-slices: runnable threads take turns".into(),
        verdict,
        evidence,
    };
    let cannot = |why: String| claim(Outcome::CannotBeShown, why);
    if file.cpus != Some(1) {
        let cpus = file.cpus.map_or("an unknown number of".into(), |c| c.to_string());
        return cannot(format!(
            "the passes ran on {cpus} CPUs; C9 needs one: `cvp trace --workload cpu_bound --workers 2 --cores 1 --wait-ms 50`"
        ));
    }
    if file.rounds == 0 {
        return cannot("no hashing to share: trace cpu_bound or mixed".into());
    }
    let eligible: Vec<(&Pass, Slicing)> =
        file.passes.iter().map(|p| (p, slicing(p))).filter(|(_, s)| s.threads >= 2).collect();
    let Some((pass, s)) =
        eligible.iter().find(|(p, _)| p.strategy == StrategyKind::Threads).or_else(|| eligible.first())
    else {
        return cannot("no strategy hashed on two threads or more: trace `threads` with --workers 2".into());
    };
    let busy = pass.cores_busy();
    let head = format!("{} on 1 CPU, {} hashing threads", pass.strategy, s.threads);
    if busy < CPU_OURS {
        return cannot(format!(
            "{head}: the CPU was shared with other processes (cores busy {busy:.2} < {CPU_OURS})"
        ));
    }
    let overlap = format!(
        "two hashing at once for {:.0}% of the run (>= {:.0}%), cores busy {busy:.2} (>= {CPU_OURS})",
        100.0 * s.overlap,
        100.0 * MOST_OF_THE_RUN
    );
    let judged = s.stretches.len();
    if s.overlap < MOST_OF_THE_RUN {
        return claim(Outcome::NotShown, format!("{head}: {overlap}: the threads did not hash side by side"));
    }
    let Some((min, median)) = s.min_median().filter(|_| judged >= MIN_JUDGED) else {
        return cannot(format!(
            "{head}: {overlap}; only {judged} hash(es) ran beside another thread's for >= {:.0}% of their \
             length (need {MIN_JUDGED}): longer hashes (`--wait-ms 50` sizes them to ~50 ms; the second \
             thread first runs a scheduler slice late) or more --jobs",
            100.0 * JUDGED_OVERLAP
        ));
    };
    let shown = min >= SLICED;
    let took = if shown {
        format!("took wall / own CPU time >= {SLICED}x each: minimum {min:.2}x, median {median:.2}x")
    } else {
        format!(
            "needed wall / own CPU time >= {SLICED}x each, but the minimum was {min:.2}x (median {median:.2}x)"
        )
    };
    claim(
        if shown { Outcome::Shown } else { Outcome::NotShown },
        format!(
            "{head}: {overlap}; the {judged} hashes that ran beside another thread's for >= {:.0}% of their \
             length {took}",
            100.0 * JUDGED_OVERLAP
        ),
    )
}

/// A duration in s, readable at any length: µs below 1 ms, then ms, with the decimals that matter.
fn ms(s: f64) -> String {
    if s < 1e-5 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1e-2 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

/// Reads the rows back from a `trace.json` (or the folder holding it).
pub fn read(path: &Path) -> Result<(TraceFile, std::path::PathBuf), ReportError> {
    let file = if path.is_dir() { path.join("trace.json") } else { path.to_path_buf() };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| ReportError::Unreadable { path: file.clone(), why: e.to_string() })?;
    let bad = |why: String| ReportError::Unreadable { path: file.clone(), why };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let rows =
        value.get("cvp").cloned().ok_or_else(|| bad("no `cvp` key: not written by `cvp trace`".into()))?;
    let rows: TraceFile = serde_json::from_value(rows).map_err(|e| bad(e.to_string()))?;
    Ok((rows, file))
}

// ---------------------------------------------------------------------------------------------------------
// Tables and the results-folder section

/// The summary table, one row per strategy, then the verdicts.
pub fn table(file: &TraceFile) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} x {} jobs, wait {} ms, {} rounds (one hash alone {}), {}",
        file.plan.workload,
        file.plan.jobs,
        if file.plan.workload == WorkloadKind::CpuBound { 0 } else { file.plan.wait_ms },
        file.rounds,
        ms(file.solo_hash_s),
        match file.pinned_cpu {
            Some(c) => format!("pinned to cpu {c}"),
            None => format!("{} CPUs usable", file.cpus.map_or("?".into(), |c| c.to_string())),
        }
    );
    let _ = writeln!(
        s,
        "{:<15} {:>7} {:>5} {:>10} {:>10} {:>10}",
        "strategy", "workers", "lanes", "wall", "cores busy", "in flight"
    );
    for p in &file.passes {
        let _ = writeln!(
            s,
            "{:<15} {:>7} {:>5} {:>10} {:>10.2} {:>10.2}",
            p.strategy.as_str(),
            p.workers,
            p.lanes().len(),
            ms(p.wall_s),
            p.cores_busy(),
            p.in_flight()
        );
    }
    for v in &file.verdicts {
        let _ = writeln!(s, "  {}  {:<20}  {}", v.claim, v.verdict.to_string(), v.statement);
        let _ = writeln!(s, "      {}", v.evidence);
    }
    s
}

/// The files `cvp trace` writes into its output folder: `timeline.svg` and `trace.json`.
pub fn files(file: &TraceFile) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let json = chrome_json(file).map_err(|e| ReportError::Plot(format!("trace JSON: {e}")))?;
    Ok(vec![("timeline.svg".into(), svg(file)?.into_bytes()), ("trace.json".into(), json.into_bytes())])
}

/// The name a trace's files take in a results folder, so two traces (e.g. the default and the one-core
/// one, or two job counts) do not clash: `<workload>-<jobs>j-<workers>w[-1cpu]`.
pub fn slug(file: &TraceFile) -> String {
    format!(
        "{}-{}j-{}w{}",
        file.plan.workload,
        file.plan.jobs,
        file.plan.workers,
        if file.pinned_cpu.is_some() { "-1cpu" } else { "" }
    )
}

/// The results-folder section of a trace (`cvp report --trace DIR`): the summary table, the picture, the
/// Chrome trace and, when the passes ran on one CPU, the C9 verdict.
pub fn read_section(path: &Path) -> Result<Section, ReportError> {
    let (file, source) = read(path)?;
    let slug = slug(&file);
    let (svg_name, json_name) = (format!("timeline-{slug}.svg"), format!("trace-{slug}.json"));
    let json = std::fs::read(&source)
        .map_err(|e| ReportError::Unreadable { path: source.clone(), why: e.to_string() })?;
    let mut md = String::new();
    let _ = writeln!(md, "![timeline]({svg_name})\n");
    let _ = writeln!(
        md,
        "Each lane is an OS thread that ran job work, named as the thread is; a thin bar is a job's wait, a \
         solid bar its hashing, coloured by job. [`{json_name}`]({json_name}) is the same trace in the Chrome \
         Trace Event Format: open it in <https://ui.perfetto.dev> (Open trace file) or chrome://tracing.\n"
    );
    let _ = writeln!(
        md,
        "| strategy | workers | lanes | wall | cores busy | in flight |\n|---|---:|---:|---:|---:|---:|"
    );
    for p in &file.passes {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.2} | {:.2} |",
            p.strategy,
            p.workers,
            p.lanes().len(),
            ms(p.wall_s),
            p.cores_busy(),
            p.in_flight()
        );
    }
    // Judged again from the rows, never copied from the file: the rule is the one this build applies.
    let verdicts: Vec<Verdict> = if file.cpus == Some(1) { vec![verdict_c9(&file)] } else { Vec::new() };
    for v in &verdicts {
        let _ = writeln!(md, "\n{} ({}): **{}**. {}", v.claim, v.statement, v.verdict, v.evidence);
    }
    Ok(Section {
        title: format!(
            "Timeline: {} x {} jobs, {} workers{}",
            file.plan.workload,
            file.plan.jobs,
            file.plan.workers,
            if file.pinned_cpu.is_some() { ", on one CPU" } else { "" }
        ),
        markdown: md,
        files: vec![(svg_name, svg(&file)?.into_bytes()), (json_name, json)],
        verdicts,
        machine: file.machine.clone(),
        source,
    })
}

// ---------------------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(job: u64, phase: Phase, tid: u64, start_ms: u64, end_ms: u64) -> Interval {
        Interval {
            job,
            phase,
            thread: format!("t-{tid}"),
            tid,
            start_ns: start_ms * 1_000_000,
            end_ns: end_ms * 1_000_000,
            cpu_ns: None,
        }
    }

    /// A hash that ran `cpu_ms` of its thread's CPU time.
    fn hash(job: u64, tid: u64, start_ms: u64, end_ms: u64, cpu_ms: u64) -> Interval {
        Interval { cpu_ns: Some(cpu_ms * 1_000_000), ..iv(job, Phase::Hash, tid, start_ms, end_ms) }
    }

    fn pass(strategy: StrategyKind, wall_ms: u64, cpu_ms: u64, intervals: Vec<Interval>) -> Pass {
        Pass {
            strategy,
            workers: 2,
            wall_s: wall_ms as f64 / 1e3,
            cpu_s: cpu_ms as f64 / 1e3,
            intervals,
            digest: String::new(),
        }
    }

    fn file(cpus: Option<usize>, passes: Vec<Pass>) -> TraceFile {
        TraceFile {
            command: vec![],
            machine: Machine::detect(),
            plan: Plan {
                workload: WorkloadKind::CpuBound,
                jobs: 4,
                workers: 2,
                strategies: passes.iter().map(|p| p.strategy).collect(),
                wait_ms: 10,
                rounds: Some(100),
                one_core: cpus == Some(1),
                async_on_one: false,
            },
            rounds: 100,
            pinned_cpu: cpus.filter(|&c| c == 1).map(|_| 0),
            cpus,
            solo_hash_s: 0.010,
            passes,
            verdicts: vec![],
        }
    }

    /// Two threads sharing one core: each hash of 10 ms of CPU takes 20 ms, side by side.
    fn sliced() -> Pass {
        pass(
            StrategyKind::Threads,
            40,
            40,
            vec![
                hash(0, 1, 0, 20, 10),
                hash(1, 2, 0, 20, 10),
                hash(2, 1, 20, 40, 10),
                hash(3, 2, 20, 40, 10),
            ],
        )
    }

    #[test]
    fn first_fit_tracks_never_overlap_and_are_fewest() {
        let spans = [(0, 10), (1, 11), (2, 5), (5, 8), (10, 12), (11, 20)];
        let t = tracks(&spans);
        assert_eq!(t.iter().max(), Some(&2)); // at most 3 intervals open at once
        for a in 0..spans.len() {
            for b in a + 1..spans.len() {
                if t[a] == t[b] {
                    assert!(spans[a].1 <= spans[b].0 || spans[b].1 <= spans[a].0, "{a} {b}");
                }
            }
        }
    }

    #[test]
    fn c9_shown_on_one_core_with_sliced_hashes() {
        let v = verdict_c9(&file(Some(1), vec![sliced()]));
        assert_eq!(v.verdict, Outcome::Shown, "{}", v.evidence);
        assert!(v.evidence.contains("100%") && v.evidence.contains("median 2.00x"), "{}", v.evidence);
        assert!(v.evidence.contains("the 4 hashes"), "{}", v.evidence);
    }

    #[test]
    fn c9_needs_every_judged_hash_sliced_not_just_the_median() {
        // Three hashes took 2x their CPU time, one only 1.25x: the median passes, the minimum does not.
        let p = pass(
            StrategyKind::Threads,
            40,
            40,
            vec![
                hash(0, 1, 0, 20, 10),
                hash(1, 2, 0, 20, 10),
                hash(2, 1, 20, 40, 10),
                hash(3, 2, 20, 40, 16),
            ],
        );
        let v = verdict_c9(&file(Some(1), vec![p]));
        assert_eq!(v.verdict, Outcome::NotShown, "{}", v.evidence);
        assert!(v.evidence.contains("the minimum was 1.25x"), "{}", v.evidence);
    }

    #[test]
    fn c9_not_shown_when_threads_ran_in_parallel() {
        // Two cores' worth of work in the same time: each hash had a core to itself.
        let p = pass(
            StrategyKind::Threads,
            20,
            40,
            vec![
                hash(0, 1, 0, 10, 10),
                hash(1, 2, 0, 10, 10),
                hash(2, 1, 10, 20, 10),
                hash(3, 2, 10, 20, 10),
            ],
        );
        let v = verdict_c9(&file(Some(1), vec![p]));
        assert_eq!(v.verdict, Outcome::NotShown, "{}", v.evidence);
        // One after the other on one core: no overlap at all.
        let q = pass(StrategyKind::Threads, 20, 20, vec![hash(0, 1, 0, 10, 10), hash(1, 2, 10, 20, 10)]);
        assert_eq!(verdict_c9(&file(Some(1), vec![q])).verdict, Outcome::NotShown);
    }

    #[test]
    fn c9_judges_only_hashes_overlapped_almost_all_along() {
        // Hashes 0 and 1 overlap for 15 of their 20 ms (75% < 90%): not judged, however stretched; only
        // 2 and 3 are, too few to decide.
        let p = pass(
            StrategyKind::Threads,
            45,
            45,
            vec![hash(0, 1, 0, 20, 5), hash(1, 2, 5, 25, 5), hash(2, 1, 25, 45, 10), hash(3, 2, 25, 45, 10)],
        );
        let s = slicing(&p);
        assert_eq!(s.stretches, vec![2.0, 2.0]);
        let v = verdict_c9(&file(Some(1), vec![p]));
        assert_eq!(v.verdict, Outcome::CannotBeShown, "{}", v.evidence);
        assert!(v.evidence.contains("only 2"), "{}", v.evidence);
    }

    #[test]
    fn c9_cannot_be_shown_when_other_processes_shared_the_cpu() {
        let mut p = sliced();
        p.cpu_s = 0.030; // 0.75 cores busy: a quarter of the CPU went elsewhere
        let v = verdict_c9(&file(Some(1), vec![p]));
        assert_eq!(v.verdict, Outcome::CannotBeShown, "{}", v.evidence);
        assert!(v.evidence.contains("shared with other processes (cores busy 0.75"), "{}", v.evidence);
    }

    #[test]
    fn hashes_stay_on_their_thread_track_and_waits_fit_around_them() {
        // A hash 10..20; waits 0..5 (fits on the thread track), 2..8 and 3..30 (do not).
        let spans = [(10, 20, true), (0, 5, false), (2, 8, false), (3, 30, false), (20, 25, false)];
        assert_eq!(thread_tracks(&spans), vec![0, 0, 1, 2, 0]);
    }

    #[test]
    fn c9_cannot_be_shown_off_one_core_or_without_two_hashing_threads() {
        let v = verdict_c9(&file(Some(2), vec![sliced()]));
        assert_eq!(v.verdict, Outcome::CannotBeShown);
        assert!(v.evidence.contains("--cores 1"), "{}", v.evidence);
        let seq = pass(
            StrategyKind::Sequential,
            20,
            20,
            vec![iv(0, Phase::Hash, 1, 0, 10), iv(1, Phase::Hash, 1, 10, 20)],
        );
        assert_eq!(verdict_c9(&file(Some(1), vec![seq])).verdict, Outcome::CannotBeShown);
    }

    #[test]
    fn lanes_are_distinct_threads_labelled_by_name() {
        use Phase::*;
        let mut p = sliced();
        p.intervals.push(Interval { thread: "t-1".into(), ..iv(4, Wait, 1, 40, 41) });
        let lanes = p.lanes();
        assert_eq!(lanes.len(), 2);
        assert_eq!(lanes[0].label, "t-1");
        assert_eq!(lanes.iter().map(|l| l.intervals.len()).sum::<usize>(), p.intervals.len());
        // Same name, two threads: the tid tells them apart.
        p.intervals[1].thread = "t-1".into();
        p.intervals[3].thread = "t-1".into();
        assert!(p.lanes().iter().all(|l| l.label.contains("[tid ")));
    }

    #[test]
    fn in_flight_counts_jobs_in_progress() {
        // 4 jobs of 20 ms each in 40 ms of wall: 2 in flight on average.
        assert!((sliced().in_flight() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn natural_order_puts_10_after_2() {
        assert!(natural_key("cvp-job-2") < natural_key("cvp-job-10"));
        assert!(natural_key("cvp-async") < natural_key("cvp-job-0"));
    }
}
