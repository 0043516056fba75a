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
//! [`Tracer`], which stamps each phase with [`Instant`]s and the OS thread that started it. What is left
//! out: the time a strategy spends outside its jobs (spawning, scheduling, joining) is not drawn, only seen
//! as gaps. A wait ends when its thread (async: its task) runs again, so it includes the time it was ready
//! while the cores, or its worker, were busy. An async wait is drawn on the thread that started it, although
//! no thread is busy during it.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::analysis::{Outcome, Verdict};
use crate::machine::Machine;
use crate::measure;
use crate::report::{ReportError, Section};
use crate::strategy::{Phase, RunError, StrategyKind};
use crate::workload::{Workload, WorkloadKind, chain};

/// C9: two threads' hashes overlap "for most of the run": at least this fraction of the pass's wall time.
pub const MOST_OF_THE_RUN: f64 = 0.5;
/// C9: "one core" busy: cores busy at most this (a little above 1 for the clock's and accounting's slack).
pub const ONE_CORE_BUSY: f64 = 1.05;
/// C9: "taking turns": each hashing thread's hashes that ran beside another take on average at least this
/// many times one hash alone (two runnable threads sharing one core give 2x; 1x is not sharing it).
pub const SLICED: f64 = 1.6;
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
    /// One job's hash alone on one thread, s (median of 5, measured right before the passes).
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
    /// A run failed.
    #[error(transparent)]
    Run(#[from] RunError),
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

/// Runs the plan: pins first when asked, sizes the rounds, times one hash alone, then per strategy builds
/// it with a [`Tracer`], runs it once as a warm-up (digest checked; what it recorded is dropped, so the
/// threads' names are registered and the log has its room before the pass that counts) and once traced
/// (digest checked). `progress` hears each strategy before it runs.
pub fn run(
    plan: &Plan,
    command: Vec<String>,
    mut progress: impl FnMut(&str),
) -> Result<TraceFile, TraceError> {
    // The machine as it is, before pinning: a one-CPU trace and the criterion data of the same machine go
    // into one results folder; the pinning is kept beside it (`pinned_cpu`, `cpus`).
    let machine = Machine::detect();
    let pinned_cpu =
        if plan.one_core { Some(crate::machine::pin_to_one_cpu().map_err(TraceError::Pin)?) } else { None };
    let wait = Duration::from_millis(plan.wait_ms);
    let rounds = plan.rounds.unwrap_or_else(|| calibrate_rounds(wait));
    let workload = Workload::new(plan.workload, plan.jobs, wait, rounds);
    let expected = workload.expected_digest();
    let solo_hash_s = solo_hash(workload.rounds);
    let mut passes = Vec::new();
    for &strategy in &plan.strategies {
        progress(strategy.as_str());
        let workers = strategy.worker_counts(&[plan.workers], plan.jobs)[0];
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
        tracer.take(Instant::now());
        let mut origin = Instant::now();
        let (got, sample) = measure::measure(|| {
            origin = Instant::now();
            built.run(&workload)
        });
        let got = got?;
        check(got)?;
        passes.push(Pass {
            strategy,
            workers,
            wall_s: sample.wall.as_secs_f64(),
            cpu_s: sample.cpu.as_secs_f64(),
            intervals: tracer.take(origin),
            digest: got.to_hex(),
        });
    }
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

/// How two or more threads shared the hashing of one pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Slicing {
    /// Distinct threads that hashed.
    pub threads: usize,
    /// Fraction of the wall time during which at least two threads were hashing.
    pub overlap: f64,
    /// For each hash that overlapped another thread's hash for at least half its length: its thread and
    /// its duration over one hash alone.
    pub stretches: Vec<(u64, f64)>,
}

impl Slicing {
    /// Each hashing thread's mean stretch (over its hashes that ran beside another), lowest first.
    pub fn per_thread(&self) -> Vec<f64> {
        let mut by: std::collections::BTreeMap<u64, (f64, usize)> = Default::default();
        for &(tid, x) in &self.stretches {
            let e = by.entry(tid).or_default();
            e.0 += x;
            e.1 += 1;
        }
        let mut out: Vec<f64> = by.values().map(|(sum, n)| sum / *n as f64).collect();
        out.sort_by(f64::total_cmp);
        out
    }
}

/// The hashing of `pass` against one hash alone (`solo_s`).
pub fn slicing(pass: &Pass, solo_s: f64) -> Slicing {
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
    let beside = |h: &Interval| -> u64 {
        hashes
            .iter()
            .filter(|o| o.tid != h.tid)
            .map(|o| o.end_ns.min(h.end_ns).saturating_sub(o.start_ns.max(h.start_ns)))
            .sum::<u64>()
            .min(h.end_ns - h.start_ns)
    };
    let stretches = hashes
        .iter()
        .filter(|h| h.end_ns > h.start_ns && 2 * beside(h) >= h.end_ns - h.start_ns)
        .map(|h| (h.tid, (h.end_ns - h.start_ns) as f64 / 1e9 / solo_s))
        .collect();
    let wall_ns = pass.wall_s * 1e9;
    Slicing {
        threads: tids.len(),
        overlap: if wall_ns > 0.0 { both as f64 / wall_ns } else { 0.0 },
        stretches,
    }
}

/// C9 from the trace: on one core, two runnable threads' hashes overlap for most of the run
/// (>= [`MOST_OF_THE_RUN`]), cores busy stays <= [`ONE_CORE_BUSY`] and the jobs take >= [`SLICED`] x one
/// hash alone. "The jobs" is judged per thread (each hashing thread's mean over its hashes that ran beside
/// another): a hash of about 10 ms spans only a few of the scheduler's slices, so a single job's share of
/// the core swings with where the slices fall (1.4x to 2.3x seen on a quiet machine), while each thread's
/// mean is the share it got. Judged on `threads` when it hashed on two threads or more, else on the first
/// such strategy.
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
            "the passes ran on {cpus} CPUs; C9 needs one: `cvp trace --workload cpu_bound --workers 2 --cores 1`"
        ));
    }
    if file.rounds == 0 || file.solo_hash_s <= 0.0 {
        return cannot("no hashing to share: trace cpu_bound or mixed".into());
    }
    let eligible: Vec<(&Pass, Slicing)> = file
        .passes
        .iter()
        .map(|p| (p, slicing(p, file.solo_hash_s)))
        .filter(|(_, s)| s.threads >= 2)
        .collect();
    let Some((pass, s)) =
        eligible.iter().find(|(p, _)| p.strategy == StrategyKind::Threads).or_else(|| eligible.first())
    else {
        return cannot("no strategy hashed on two threads or more: trace `threads` with --workers 2".into());
    };
    let busy = pass.cores_busy();
    let threads = s.per_thread();
    let lowest = threads.first().copied().unwrap_or(0.0);
    let shown =
        s.overlap >= MOST_OF_THE_RUN && busy <= ONE_CORE_BUSY && threads.len() >= 2 && lowest >= SLICED;
    let stretch = if threads.len() < 2 {
        "fewer than two threads had a hash that ran beside another for half its length".to_string()
    } else {
        let each = s.stretches.iter().map(|x| x.1);
        let (min, max) = each.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
        let means: Vec<String> = threads.iter().map(|x| format!("{x:.2}x")).collect();
        format!(
            "each thread's hashes beside another took on average {} its one-thread time {} (>= {SLICED}x; \
             single hashes {min:.2}x to {max:.2}x)",
            means.join(", "),
            ms(file.solo_hash_s)
        )
    };
    claim(
        if shown { Outcome::Shown } else { Outcome::NotShown },
        format!(
            "{} on 1 CPU, {} hashing threads: two hashing at once for {:.0}% of the run (>= {:.0}%), cores busy \
             {busy:.2} (<= {ONE_CORE_BUSY}); {stretch}",
            pass.strategy,
            s.threads,
            100.0 * s.overlap,
            100.0 * MOST_OF_THE_RUN
        ),
    )
}

fn ms(s: f64) -> String {
    format!("{:.1} ms", s * 1e3)
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
/// one) do not clash: `<workload>-<workers>w[-1cpu]`.
pub fn slug(file: &TraceFile) -> String {
    format!(
        "{}-{}w{}",
        file.plan.workload,
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
    let verdicts: Vec<Verdict> = if file.cpus == Some(1) { file.verdicts.clone() } else { Vec::new() };
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
        }
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
            },
            rounds: 100,
            pinned_cpu: cpus.filter(|&c| c == 1).map(|_| 0),
            cpus,
            solo_hash_s: 0.010,
            passes,
            verdicts: vec![],
        }
    }

    /// Two threads sharing one core: each 10 ms hash takes 20 ms, side by side.
    fn sliced() -> Pass {
        use Phase::Hash;
        pass(
            StrategyKind::Threads,
            40,
            40,
            vec![
                iv(0, Hash, 1, 0, 20),
                iv(1, Hash, 2, 0, 20),
                iv(2, Hash, 1, 20, 40),
                iv(3, Hash, 2, 20, 40),
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
        assert!(v.evidence.contains("100%"), "{}", v.evidence);
    }

    #[test]
    fn c9_not_shown_when_threads_ran_in_parallel() {
        // Two cores' worth of work in the same time: no stretch, 2 cores busy.
        use Phase::Hash;
        let p = pass(
            StrategyKind::Threads,
            20,
            40,
            vec![
                iv(0, Hash, 1, 0, 10),
                iv(1, Hash, 2, 0, 10),
                iv(2, Hash, 1, 10, 20),
                iv(3, Hash, 2, 10, 20),
            ],
        );
        let v = verdict_c9(&file(Some(1), vec![p]));
        assert_eq!(v.verdict, Outcome::NotShown, "{}", v.evidence);
        // One after the other on one core: no overlap at all.
        let q = pass(StrategyKind::Threads, 40, 40, vec![iv(0, Hash, 1, 0, 10), iv(1, Hash, 2, 10, 20)]);
        assert_eq!(verdict_c9(&file(Some(1), vec![q])).verdict, Outcome::NotShown);
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
