//! `cvp run`'s sweep: every workload x strategy x worker count, plus one job's wait measured alone (the
//! one-wait floor of each kind of wait), each checked once, then timed in rounds.
//!
//! Every pool and runtime is built once, before anything is timed, and reused. Each configuration first runs
//! once untimed (a warm-up whose digest is checked against the expected one). Then come `repeat` rounds; each
//! round runs every configuration once, in a freshly shuffled order, so a machine that drifts (frequency,
//! other load) spreads its drift over all configurations instead of biasing the ones measured last, and
//! `sequential`, the baseline of every speedup, is measured among them. The median of the rounds is kept
//! (the mean of the middle two for an even count), with the fastest and slowest round beside it. A short
//! pause before each timed run lets the threads of the previous configuration go idle, so their CPU time
//! is not counted in the next one.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::analysis::{self, OneWait, Point};
use crate::measure::{self, Sample};
use crate::strategy::{RunError, Strategy, StrategyKind};
use crate::workload::{Digest, WaitKind, Workload, WorkloadKind};

/// Pause before each timed run, so the previous configuration's threads are asleep.
const SETTLE: Duration = Duration::from_millis(2);

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
    /// Timed rounds: each configuration is timed this many times.
    pub repeat: usize,
}

impl Plan {
    /// The workload `kind` as this plan sizes it.
    pub fn workload(&self, kind: WorkloadKind) -> Workload {
        let jobs = self.jobs.unwrap_or_else(|| crate::config::default_jobs(kind, &self.threads));
        Workload::new(kind, jobs, Duration::from_millis(self.wait_ms), self.rounds)
    }

    /// Every (workload, strategy, workers) the sweep will run, `sequential` first in each workload.
    pub fn configurations(&self) -> Vec<(WorkloadKind, StrategyKind, usize)> {
        let mut strategies = vec![StrategyKind::Sequential];
        strategies.extend(self.strategies.iter().copied().filter(|&s| s != StrategyKind::Sequential));
        let mut out = Vec::new();
        for &w in &self.workloads {
            let jobs = self.workload(w).jobs;
            for &s in &strategies {
                for n in s.worker_counts(&self.threads, jobs) {
                    out.push((w, s, n));
                }
            }
        }
        out
    }

    /// The kinds of wait whose one-job floor is measured: both, when any workload waits.
    pub fn one_waits(&self) -> Vec<WaitKind> {
        let waits = self.workloads.iter().any(|&w| !self.workload(w).wait.is_zero());
        if waits { WaitKind::ALL.to_vec() } else { Vec::new() }
    }

    /// How many runs the sweep makes (warm-ups included), for a progress bar.
    pub fn total_runs(&self) -> usize {
        (self.configurations().len() + self.one_waits().len()) * (1 + self.repeat.max(1))
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
    /// `sequential` wall / this wall.
    pub speedup: f64,
    /// CPU time / wall time, the median over the rounds of each round's own ratio.
    pub cores_busy: f64,
    /// The lowest and highest round's cores busy.
    #[serde(default)]
    pub cores_busy_range: Option<(f64, f64)>,
    /// Timed rounds behind the median (the interval counts from [`crate::analysis::MIN_ROUNDS`] on).
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
    /// Workload digest, lowercase hex (checked against the expected digest before timing).
    pub digest: String,
}

impl Run {
    /// The analysis view of this run, with its one-wait floor from `floors`. Its intervals (fastest and
    /// slowest round) count only from [`crate::analysis::MIN_ROUNDS`] rounds on.
    pub fn point(&self, floors: &[OneWait]) -> Point {
        let enough = self.repeats >= crate::analysis::MIN_ROUNDS;
        Point {
            workload: self.workload,
            strategy: self.strategy,
            workers: self.workers,
            jobs: self.jobs,
            wait_s: self.wait_ms as f64 / 1e3,
            wall_s: self.wall_s,
            wall_range_s: Some((self.wall_min_s, self.wall_max_s)).filter(|_| enough),
            cores_busy: Some(self.cores_busy),
            cores_busy_range: self.cores_busy_range.filter(|_| enough),
            one_wait_s: None,
            one_wait_range_s: None,
        }
        .with_one_wait(floors)
    }
}

/// What a sweep measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// One entry per configuration, in plan order.
    pub runs: Vec<Run>,
    /// One job's wait alone, per kind of wait (empty when no workload waits).
    pub one_wait: Vec<OneWait>,
}

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A strategy computed the wrong digest: a bug, never a result.
    #[error("{label} computed digest {got}, expected {expected}: a wrong answer is not timed")]
    WrongDigest {
        /// `<workload>/<strategy>/<workers>`.
        label: String,
        /// What it computed.
        got: String,
        /// What every strategy must compute.
        expected: String,
    },
    /// A pool or runtime could not be built.
    #[error("building {strategy} with {workers} workers: {cause}")]
    Build {
        /// Strategy.
        strategy: StrategyKind,
        /// Workers.
        workers: usize,
        /// The cause (shown in the message, so not also a `source`).
        cause: std::io::Error,
    },
    /// A run could not finish (a thread the OS refused, a job that died).
    #[error("running {label}: {cause}")]
    Run {
        /// `<workload>/<strategy>/<workers>`.
        label: String,
        /// The cause (shown in the message, so not also a `source`).
        cause: RunError,
    },
}

/// One thing the sweep times: a configuration, or one job's wait alone.
struct Item {
    label: String,
    strategy: StrategyKind,
    workers: usize,
    workload: Workload,
    expected: Digest,
    samples: Vec<Sample>,
}

/// The true median (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The median of counts (the lower middle one for an even number; `None` for none).
fn median_u64(values: impl Iterator<Item = u64>) -> Option<u64> {
    let mut v: Vec<u64> = values.collect();
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).copied()
}

/// The smallest and largest value.
fn min_max(values: &[f64]) -> (f64, f64) {
    (values.iter().copied().fold(f64::INFINITY, f64::min), values.iter().copied().fold(0.0, f64::max))
}

/// A small xorshift generator for the round order (no need for cryptographic quality).
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Runs the plan. `progress` is called before each run (warm-ups included) with its label.
pub fn run(plan: &Plan, mut progress: impl FnMut(&str)) -> Result<Sweep, SweepError> {
    let mut items = Vec::new();
    for (kind, strategy, workers) in plan.configurations() {
        let workload = plan.workload(kind);
        let expected = workload.expected_digest();
        let label = format!("{kind}/{strategy}/{workers}");
        items.push(Item { label, strategy, workers, workload, expected, samples: Vec::new() });
    }
    let one = Workload::new(WorkloadKind::IoBound, 1, Duration::from_millis(plan.wait_ms), 0);
    for kind in plan.one_waits() {
        let (strategy, label) = match kind {
            WaitKind::Blocking => (StrategyKind::Sequential, format!("one {kind} wait (sequential, 1 job)")),
            WaitKind::Async => (StrategyKind::Async, format!("one {kind} wait (async/1, 1 job)")),
        };
        let expected = one.expected_digest();
        items.push(Item { label, strategy, workers: 1, workload: one, expected, samples: Vec::new() });
    }
    // Every pool and runtime, built once and shared by all workloads (none of them is timed).
    let mut built: BTreeMap<(StrategyKind, usize), Box<dyn Strategy>> = BTreeMap::new();
    for item in &items {
        if let std::collections::btree_map::Entry::Vacant(slot) = built.entry((item.strategy, item.workers)) {
            let s = item.strategy.build(item.workers).map_err(|cause| SweepError::Build {
                strategy: item.strategy,
                workers: item.workers,
                cause,
            })?;
            slot.insert(s);
        }
    }
    let run_once = |item: &Item| -> Result<(Digest, Sample), SweepError> {
        let strategy = &built[&(item.strategy, item.workers)];
        let (got, sample) = measure::measure(|| strategy.run(&item.workload));
        let got = got.map_err(|cause| SweepError::Run { label: item.label.clone(), cause })?;
        Ok((got, sample))
    };
    for item in &items {
        progress(&format!("warm-up {}", item.label));
        let (got, _) = run_once(item)?;
        if got != item.expected {
            return Err(SweepError::WrongDigest {
                label: item.label.clone(),
                got: got.to_hex(),
                expected: item.expected.to_hex(),
            });
        }
    }
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos());
    let mut rng = Shuffle((seed as u64) | 1);
    let mut order: Vec<usize> = (0..items.len()).collect();
    for round in 0..plan.repeat.max(1) {
        rng.shuffle(&mut order);
        for &i in &order {
            progress(&format!("round {}/{} {}", round + 1, plan.repeat.max(1), items[i].label));
            std::thread::sleep(SETTLE);
            let (got, sample) = run_once(&items[i])?;
            if got != items[i].expected {
                return Err(SweepError::WrongDigest {
                    label: items[i].label.clone(),
                    got: got.to_hex(),
                    expected: items[i].expected.to_hex(),
                });
            }
            items[i].samples.push(sample);
        }
    }
    let walls = |item: &Item| item.samples.iter().map(|s| s.wall.as_secs_f64()).collect::<Vec<_>>();
    let configurations = plan.configurations().len();
    let one_wait: Vec<OneWait> = items[configurations..]
        .iter()
        .map(|item| {
            let w = walls(item);
            OneWait {
                workload: None,
                wait_ms: plan.wait_ms,
                wait: item.strategy.wait_kind(),
                wall_s: median(&w),
                wall_range_s: Some(min_max(&w)).filter(|_| w.len() >= crate::analysis::MIN_ROUNDS),
            }
        })
        .collect();
    let mut runs: Vec<Run> = items[..configurations]
        .iter()
        .map(|item| {
            let w = walls(item);
            let wall_s = median(&w);
            let cpu_s = median(&item.samples.iter().map(|s| s.cpu.as_secs_f64()).collect::<Vec<_>>());
            // Cores busy of each round, then their median: CPU and wall of the same round go together.
            let busies: Vec<f64> = item.samples.iter().map(Sample::cores_busy).collect();
            let busy = median(&busies);
            let (wall_min_s, wall_max_s) = min_max(&w);
            Run {
                workload: item.workload.kind,
                strategy: item.strategy,
                workers: item.workers,
                jobs: item.workload.jobs,
                wait_ms: item.workload.wait.as_millis() as u64,
                rounds: item.workload.rounds,
                wall_s,
                wall_min_s,
                wall_max_s,
                cpu_s,
                speedup: 0.0,
                cores_busy: busy,
                cores_busy_range: Some(min_max(&busies)),
                repeats: item.samples.len(),
                in_flight: 0.0,
                voluntary_switches: median_u64(item.samples.iter().map(|s| s.switches.voluntary)),
                involuntary_switches: median_u64(item.samples.iter().map(|s| s.switches.involuntary)),
                digest: item.expected.to_hex(),
            }
        })
        .collect();
    let points: Vec<Point> = runs.iter().map(|r| r.point(&one_wait)).collect();
    for (run, point) in runs.iter_mut().zip(&points) {
        run.speedup = analysis::speedup(&points, point).unwrap_or(0.0);
        run.in_flight = if run.wait_ms == 0 { 0.0 } else { point.in_flight() };
    }
    Ok(Sweep { runs, one_wait })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            workloads: vec![WorkloadKind::IoBound],
            strategies: vec![StrategyKind::Async, StrategyKind::ThreadPerJob],
            threads: vec![1, 3],
            jobs: Some(5),
            rounds: 1,
            wait_ms: 1,
            repeat: 2,
        }
    }

    #[test]
    fn sequential_always_comes_first() {
        let c = plan().configurations();
        assert_eq!(c[0], (WorkloadKind::IoBound, StrategyKind::Sequential, 1));
        assert_eq!(c.len(), 4);
        assert!(c.contains(&(WorkloadKind::IoBound, StrategyKind::ThreadPerJob, 5)));
    }

    #[test]
    fn median_is_the_true_median() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5, "even count: mean of the middle two");
        assert_eq!(median(&[5.0]), 5.0);
    }

    #[test]
    fn shuffled_rounds_visit_every_item_once() {
        let mut rng = Shuffle(12345);
        let mut v: Vec<usize> = (0..20).collect();
        rng.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
        assert_ne!(v, sorted, "a shuffle of 20 items that changes nothing is all but impossible");
    }

    #[test]
    fn a_sweep_measures_the_one_wait_floors_and_every_round() {
        let sweep = run(&plan(), |_| {}).unwrap();
        assert_eq!(sweep.runs.len(), 4);
        let kinds: Vec<WaitKind> = sweep.one_wait.iter().map(|w| w.wait).collect();
        assert_eq!(kinds, WaitKind::ALL.to_vec());
        for w in &sweep.one_wait {
            assert!(w.wall_s >= 0.001, "a 1 ms wait cannot take less: {w:?}");
        }
        for r in &sweep.runs {
            assert!(r.wall_min_s <= r.wall_s && r.wall_s <= r.wall_max_s, "{r:?}");
            assert!(r.in_flight > 0.0);
        }
    }
}
