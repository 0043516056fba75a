//! The scaling model: a measured point (workload, strategy, workers, wall time, cores busy), one wait
//! measured alone, and what follows from points without judging anything: speedup, efficiency, Karp-Flatt,
//! Amdahl and USL fits.
//!
//! Speedup is relative to `sequential` on the same workload. Efficiency and Karp-Flatt use
//! `p = min(workers, cores)`: a worker beyond the usable cores adds no processor. Fits, on each strategy's own
//! scaling `time(1 worker) / time(N workers)` and **only on worker counts up to the measuring machine's
//! cores** (past them a worker adds no processor, and a fit would read waiting or oversubscription as a
//! property of the code):
//! - **Amdahl**: `S(p) = 1 / (s + (1 - s)/p)`, rearranged to `1/S - 1/p = s (1 - 1/p)`; the serial fraction
//!   `s` by least squares, constrained to `0 <= s <= 1`.
//! - **USL** (Gunther): `S(N) = N / (1 + sigma (N - 1) + kappa N (N - 1))`, rearranged to
//!   `N/S - 1 = sigma (N - 1) + kappa N (N - 1)`; `sigma, kappa >= 0` by non-negative least squares.
//!   Peak at `N* = sqrt((1 - sigma) / kappa)` when `kappa > 0`.
//!
//! A fit is made only with at least 2 degrees of freedom left: 3 worker counts above 1 for Amdahl (one
//! parameter), 4 for the USL (two); otherwise it is reported as too few points. R-squared is computed on the
//! speedups themselves. Little's law uses the **measured** wait of one job alone on the same runtime (the
//! one-wait floor), not the nominal wait: tokio rounds every sleep up by up to a millisecond.

use serde::{Deserialize, Serialize};

use crate::claims::Range;
use crate::machine::Cores;
use crate::strategy::StrategyKind;
use crate::workload::{WaitKind, WorkloadKind};

/// One measured configuration, as the analysis needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The workload.
    pub workload: WorkloadKind,
    /// The strategy.
    pub strategy: StrategyKind,
    /// Its worker count.
    pub workers: usize,
    /// Jobs in the workload.
    pub jobs: usize,
    /// Nominal wait per job in seconds.
    pub wait_s: f64,
    /// Median wall time in seconds.
    pub wall_s: f64,
    /// The 95% interval around `wall_s` (criterion's confidence interval, or `cvp run`'s distribution-free
    /// interval for the median of its rounds, [`crate::claims::median_ci`]), when known: a verdict whose
    /// threshold falls inside it cannot be decided.
    pub wall_range_s: Option<(f64, f64)>,
    /// CPU time / wall time, when CPU time was measured (criterion does not measure it).
    pub cores_busy: Option<f64>,
    /// The 95% interval around `cores_busy` (`cvp run`'s [`crate::claims::median_ci`] of its rounds), when known.
    pub cores_busy_range: Option<(f64, f64)>,
    /// The process's CPU time in a run, seconds (`cvp run`: the median of its rounds), when measured
    /// (criterion does not measure it).
    pub cpu_s: Option<f64>,
    /// The 95% interval around `cpu_s`, when known.
    pub cpu_range_s: Option<(f64, f64)>,
    /// The process's context switches in a run, voluntary + involuntary (`cvp run`: the median of its rounds'
    /// totals), when measured (criterion does not).
    pub switches: Option<f64>,
    /// The 95% interval around `switches`, when known.
    pub switches_range: Option<(f64, f64)>,
    /// One job's wait measured alone with this strategy's kind of wait ([`OneWait`]), when measured.
    pub one_wait_s: Option<f64>,
    /// The interval around `one_wait_s`, when known.
    pub one_wait_range_s: Option<(f64, f64)>,
}

impl Point {
    /// The wait one job really takes: the measured one-wait floor when known, else the nominal wait.
    pub fn per_job_wait_s(&self) -> f64 {
        self.one_wait_s.unwrap_or(self.wait_s)
    }

    /// In flight = jobs x (measured) wait / wall (Little's law).
    pub fn in_flight(&self) -> f64 {
        if self.wall_s > 0.0 { self.jobs as f64 * self.per_job_wait_s() / self.wall_s } else { 0.0 }
    }

    /// Attaches the measured one-wait floor for this point's wait and kind of wait, if `floors` has it. A
    /// floor names its workload, or serves every workload whose wait is a sleep (`workload: None`); a
    /// request's floor (`net_bound`) never serves a sleep, nor a sleep's floor a request.
    pub fn with_one_wait(mut self, floors: &[OneWait]) -> Point {
        if self.strategy == StrategyKind::AsyncMulti {
            // Its runtime (multi-thread, one worker) is neither the current-thread one nor async/N's.
            return self;
        }
        let wait_ms = (self.wait_s * 1e3).round() as u64;
        let kind = self.strategy.wait_kind();
        let runtime = self.floor_workers();
        let mine = |f: &&OneWait| f.workload.map_or(!self.workload.is_net(), |w| w == self.workload);
        if let Some(f) = floors
            .iter()
            .filter(mine)
            .find(|f| wait_ms > 0 && f.wait_ms == wait_ms && f.wait == kind && f.workers == runtime)
        {
            self.one_wait_s = Some(f.wall_s);
            self.one_wait_range_s = f.wall_range_s;
        }
        self
    }

    /// The workers of the runtime this point's waits run on, which its floor must be measured on too: `async`
    /// at N >= 2 waits on tokio's multi-thread runtime of N workers; every other wait on one worker (`async`
    /// at 1 and `async_offload`'s loop: tokio's current-thread runtime; a blocking wait: a thread).
    /// `async_multi` (the multi-thread runtime of one worker) has no floor of its own runtime: no floor is
    /// attached to it ([`Point::with_one_wait`]), and no verdict divides it by one.
    pub fn floor_workers(&self) -> usize {
        if self.strategy == StrategyKind::Async { self.workers } else { 1 }
    }

    /// CPU time per job, seconds, with its interval, when measured.
    pub fn cpu_per_job(&self) -> Option<Range> {
        let jobs = self.jobs.max(1) as f64;
        self.cpu_s.map(|c| Range::of(c, self.cpu_range_s).scale(1.0 / jobs))
    }

    /// Context switches per job, with their interval, when measured.
    pub fn switches_per_job(&self) -> Option<Range> {
        let jobs = self.jobs.max(1) as f64;
        self.switches.map(|c| Range::of(c, self.switches_range).scale(1.0 / jobs))
    }

    /// The wall time with its interval.
    pub fn wall(&self) -> Range {
        Range::of(self.wall_s, self.wall_range_s)
    }

    /// The measured one-wait floor with its interval.
    pub fn floor(&self) -> Option<Range> {
        self.one_wait_s.map(|f| Range::of(f, self.one_wait_range_s))
    }
}

/// One job's wait measured alone: the floor under every wait of that kind (criterion id
/// `reference/one_wait/<workload>-<kind>-<W>ms`, or measured by `cvp run`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OneWait {
    /// The workload whose bench measured it (criterion: each waiting bench measures its own, in the same
    /// run; `cvp run`: `net_bound`'s one request alone); `None` when it serves every workload whose wait is
    /// a sleep (`cvp run` measures it once among all configurations), never `net_bound`.
    #[serde(default)]
    pub workload: Option<WorkloadKind>,
    /// The nominal wait, ms.
    pub wait_ms: u64,
    /// Blocking (`std::thread::sleep`) or async (`tokio::time::sleep`).
    pub wait: WaitKind,
    /// The workers of the runtime it was measured on ([`Point::floor_workers`]): 1 for a blocking wait and for
    /// tokio's current-thread runtime (`async/1`), N for the multi-thread runtime of `async/N`. Files from
    /// before it was kept measured every floor on one worker.
    #[serde(default = "one_worker")]
    pub workers: usize,
    /// Median wall time of the one-job run, seconds.
    pub wall_s: f64,
    /// Its 95% interval (criterion's confidence interval, or `cvp run`'s [`crate::claims::median_ci`] of its
    /// rounds), when known.
    #[serde(default)]
    pub wall_range_s: Option<(f64, f64)>,
}

fn one_worker() -> usize {
    1
}

pub(crate) fn find(points: &[Point], w: WorkloadKind, s: StrategyKind, n: usize) -> Option<&Point> {
    points.iter().find(|p| p.workload == w && p.strategy == s && p.workers == n)
}

/// The speedup of `point` over `sequential`, with the interval the two walls allow.
pub(crate) fn speedup_range(points: &[Point], point: &Point) -> Option<Range> {
    let seq = find(points, point.workload, StrategyKind::Sequential, 1)?;
    (point.wall_s > 0.0).then(|| seq.wall() / point.wall())
}

/// The `sequential` wall time of `workload`, the baseline of its speedups.
pub fn sequential_wall(points: &[Point], workload: WorkloadKind) -> Option<f64> {
    find(points, workload, StrategyKind::Sequential, 1).map(|p| p.wall_s)
}

/// Speedup over `sequential` on the same workload.
pub fn speedup(points: &[Point], point: &Point) -> Option<f64> {
    sequential_wall(points, point.workload).filter(|_| point.wall_s > 0.0).map(|seq| seq / point.wall_s)
}

/// Speedup / `min(workers, cores)`.
pub fn efficiency(speedup: f64, workers: usize, cores: usize) -> f64 {
    speedup / workers.min(cores).max(1) as f64
}

/// Karp-Flatt experimentally determined serial fraction `(1/S - 1/p) / (1 - 1/p)`, `p = min(workers, cores)`;
/// undefined for `p = 1`. Negative means faster than `p` processors can explain: the gain is not parallelism.
pub fn karp_flatt(speedup: f64, workers: usize, cores: usize) -> Option<f64> {
    let p = workers.min(cores) as f64;
    (p > 1.0 && speedup > 0.0).then(|| (1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p))
}

/// Worker counts above 1 an Amdahl fit needs: one parameter, 2 degrees of freedom left.
pub const AMDAHL_MIN_POINTS: usize = 3;
/// Worker counts above 1 a USL fit needs: two parameters, 2 degrees of freedom left.
pub const USL_MIN_POINTS: usize = 4;

/// An Amdahl fit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AmdahlFit {
    /// Serial fraction `s`, in `[0, 1]`.
    pub serial_fraction: f64,
    /// R-squared of the fitted speedups (`None` when the speedups do not vary).
    pub r_squared: Option<f64>,
}

/// R-squared of `predict` against the observed `(x, speedup)` pairs.
fn r_squared(points: &[(f64, f64)], predict: impl Fn(f64) -> f64) -> Option<f64> {
    let n = points.len() as f64;
    let mean = points.iter().map(|p| p.1).sum::<f64>() / n;
    let total: f64 = points.iter().map(|p| (p.1 - mean).powi(2)).sum();
    let residual: f64 = points.iter().map(|p| (p.1 - predict(p.0)).powi(2)).sum();
    (total > 1e-12 * mean.powi(2).max(f64::MIN_POSITIVE)).then(|| 1.0 - residual / total)
}

fn distinct_above_one(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = points.iter().copied().filter(|(n, s)| *n > 1.0 && *s > 0.0).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v.dedup_by(|a, b| a.0 == b.0);
    v
}

/// Least-squares Amdahl fit from `(p, speedup)` pairs with `0 <= s <= 1`; `None` with fewer than
/// [`AMDAHL_MIN_POINTS`] distinct `p > 1`.
pub fn fit_amdahl(points: &[(f64, f64)]) -> Option<AmdahlFit> {
    let used = distinct_above_one(points);
    if used.len() < AMDAHL_MIN_POINTS {
        return None;
    }
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(p, s) in &used {
        let x = 1.0 - 1.0 / p;
        sxy += x * (1.0 / s - 1.0 / p);
        sxx += x * x;
    }
    // One parameter, convex objective: the constrained optimum is the clamped unconstrained one.
    let serial_fraction = (sxy / sxx).clamp(0.0, 1.0);
    let predict = |p: f64| 1.0 / (serial_fraction + (1.0 - serial_fraction) / p);
    Some(AmdahlFit { serial_fraction, r_squared: r_squared(&used, predict) })
}

/// A Universal Scalability Law fit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct UslFit {
    /// Contention (serialisation) coefficient, `>= 0`.
    pub sigma: f64,
    /// Coherency (crosstalk) coefficient, `>= 0`.
    pub kappa: f64,
    /// Worker count where the fitted curve peaks (1 when `sigma >= 1`: it falls from the start), `None`
    /// when it never turns down (`kappa = 0`, `sigma < 1`).
    pub peak_workers: Option<f64>,
    /// R-squared of the fitted speedups (`None` when the speedups do not vary).
    pub r_squared: Option<f64>,
}

/// Least-squares USL fit from `(workers, speedup)` pairs with `sigma, kappa >= 0`; `None` with fewer than
/// [`USL_MIN_POINTS`] distinct worker counts above 1.
pub fn fit_usl(points: &[(f64, f64)]) -> Option<UslFit> {
    let used = distinct_above_one(points);
    if used.len() < USL_MIN_POINTS {
        return None;
    }
    let rows: Vec<(f64, f64, f64)> =
        used.iter().map(|&(n, s)| (n - 1.0, n * (n - 1.0), n / s - 1.0)).collect();
    let sse = |sigma: f64, kappa: f64| -> f64 {
        rows.iter().map(|&(x1, x2, y)| (y - sigma * x1 - kappa * x2).powi(2)).sum()
    };
    let (mut a11, mut a12, mut a22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x1, x2, y) in &rows {
        a11 += x1 * x1;
        a12 += x1 * x2;
        a22 += x2 * x2;
        b1 += x1 * y;
        b2 += x2 * y;
    }
    // Non-negative least squares in two unknowns: the unconstrained optimum if it is feasible, else the best
    // of the boundary optima (one coefficient held at zero, the other fitted and clamped at zero).
    let mut candidates = vec![((b1 / a11).max(0.0), 0.0), (0.0, (b2 / a22).max(0.0)), (0.0, 0.0)];
    let det = a11 * a22 - a12 * a12;
    if det.abs() > 1e-12 * (a11 * a22) {
        let sigma = (b1 * a22 - b2 * a12) / det;
        let kappa = (a11 * b2 - a12 * b1) / det;
        if sigma >= 0.0 && kappa >= 0.0 {
            candidates.insert(0, (sigma, kappa));
        }
    }
    let (sigma, kappa) =
        candidates.into_iter().min_by(|a, b| sse(a.0, a.1).total_cmp(&sse(b.0, b.1))).expect("candidates");
    // The curve peaks at sqrt((1 - sigma) / kappa); with sigma >= 1 it falls from the first worker on.
    let peak_workers =
        if sigma >= 1.0 { Some(1.0) } else { (kappa > 0.0).then(|| ((1.0 - sigma) / kappa).sqrt().max(1.0)) };
    let predict = |n: f64| n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0));
    Some(UslFit { sigma, kappa, peak_workers, r_squared: r_squared(&used, predict) })
}

/// The fits of one workload/strategy line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineFit {
    /// The workload.
    pub workload: WorkloadKind,
    /// The strategy.
    pub strategy: StrategyKind,
    /// Worker counts up to the cores: the ones the fits may use.
    pub worker_counts: Vec<usize>,
    /// Worker counts above the cores that compute in parallel, left out of the fits.
    pub above_cores: Vec<usize>,
    /// Amdahl, when there were enough points.
    pub amdahl: Option<AmdahlFit>,
    /// USL, when there were enough points.
    pub usl: Option<UslFit>,
}

impl LineFit {
    /// Worker counts above 1 (and up to the cores) the fits had.
    pub fn points_above_one(&self) -> usize {
        self.worker_counts.iter().filter(|&&n| n > 1).count()
    }
}

/// Fits every `cpu_bound` line that takes a worker count, on its worker counts up to the cores that can
/// compute in parallel ([`Cores::parallel`]). Only `cpu_bound`: Amdahl and the USL model processors sharing
/// work, and the waiting workloads gain from overlapped waits, which no processor model describes (C5).
pub fn fit_lines(points: &[Point], cores: Cores) -> Vec<LineFit> {
    let mut fits = Vec::new();
    let workload = WorkloadKind::CpuBound;
    for strategy in StrategyKind::ALL {
        if matches!(strategy, StrategyKind::Sequential | StrategyKind::ThreadPerJob) {
            continue;
        }
        let mut line: Vec<&Point> =
            points.iter().filter(|p| p.workload == workload && p.strategy == strategy).collect();
        if line.is_empty() {
            continue;
        }
        line.sort_by_key(|p| p.workers);
        let base = line
            .iter()
            .find(|p| p.workers == 1)
            .map(|p| p.wall_s)
            .or_else(|| sequential_wall(points, workload));
        let (within, above): (Vec<&Point>, Vec<&Point>) =
            line.iter().partition(|p| p.workers <= cores.parallel());
        let scaled: Vec<(f64, f64)> = match base {
            Some(base) => within.iter().map(|p| (p.workers as f64, base / p.wall_s)).collect(),
            None => Vec::new(),
        };
        fits.push(LineFit {
            workload,
            strategy,
            worker_counts: within.iter().map(|p| p.workers).collect(),
            above_cores: above.iter().map(|p| p.workers).collect(),
            amdahl: fit_amdahl(&scaled),
            usl: fit_usl(&scaled),
        });
    }
    fits
}

/// Points as an ideal machine would measure them, for the tests of the fits and of the verdicts.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use StrategyKind::*;
    use WorkloadKind::*;

    pub(crate) const WAIT: f64 = 0.010;
    /// What one 10 ms wait measures alone: a thread sleep is on time, tokio's timer rounds it up.
    pub(crate) const FLOOR_BLOCKING: f64 = 0.0101;
    pub(crate) const FLOOR_ASYNC: f64 = 0.0111;

    pub(crate) fn pt(
        workload: WorkloadKind,
        strategy: StrategyKind,
        workers: usize,
        wall_s: f64,
        busy: f64,
    ) -> Point {
        let jobs = crate::config::default_jobs(workload, &[1, 2, 4]);
        let wait_s = if workload.waits() { WAIT } else { 0.0 };
        // Each floor on the runtime it serves: one worker, and the multi-thread runtimes of async/2 and /4.
        let floor = |wait, workers, wall_s| OneWait {
            workload: None,
            wait_ms: 10,
            wait,
            workers,
            wall_s,
            wall_range_s: None,
        };
        let floors = [
            floor(WaitKind::Blocking, 1, FLOOR_BLOCKING),
            floor(WaitKind::Async, 1, FLOOR_ASYNC),
            floor(WaitKind::Async, 2, FLOOR_ASYNC),
            floor(WaitKind::Async, 4, FLOOR_ASYNC),
        ];
        Point {
            workload,
            strategy,
            workers,
            jobs,
            wait_s,
            wall_s,
            wall_range_s: None,
            cores_busy: Some(busy),
            cores_busy_range: None,
            cpu_s: Some(busy * wall_s),
            cpu_range_s: None,
            switches: None,
            switches_range: None,
            one_wait_s: None,
            one_wait_range_s: None,
        }
        .with_one_wait(&floors)
    }

    /// Context switches of the ideal io_bound `async_multi/1` in a run: the caller hands the loop to one
    /// worker and back (the `async` rows take their counts from it).
    pub(crate) const SWITCHES_MULTI: f64 = 3.0;

    /// What an ideal machine with `cores` cores would measure at the default sweep for 2 cores (1, 2, 4):
    /// cpu_bound's chains spread over the cores, cpu_chain's one chain on one core at every count. On
    /// io_bound the async loops all finish in about one wait; `async_multi/1` keeps as little busy as one
    /// event loop, and more workers spend twice its CPU time and more context switches (waking and parking
    /// workers): C4's "not faster, more overhead".
    pub(crate) fn ideal(cores: usize) -> Vec<Point> {
        let cpu = 0.4;
        let io = 32.0 * FLOOR_BLOCKING;
        let mut v = vec![
            pt(CpuBound, Sequential, 1, cpu, 1.0),
            pt(CpuChain, Sequential, 1, cpu, 1.0),
            pt(IoBound, Sequential, 1, io, 0.01),
        ];
        let io_async = |s, n: usize, busy, switches| Point {
            switches: Some(switches),
            ..pt(IoBound, s, n, 1.002 * FLOOR_ASYNC, busy)
        };
        for n in [1, 2, 4] {
            let par = n.min(cores) as f64;
            for s in [Threads, Rayon] {
                v.push(pt(CpuBound, s, n, cpu / par, par));
                v.push(pt(CpuChain, s, n, cpu, 1.0));
                v.push(pt(IoBound, s, n, io / n as f64, 0.01));
            }
            v.push(pt(CpuBound, Async, n, cpu / par, par));
            if n == 1 {
                v.push(io_async(Async, 1, 0.02, 1.0));
                v.push(io_async(AsyncMulti, 1, 0.02, SWITCHES_MULTI));
            } else {
                v.push(io_async(Async, n, 0.04, SWITCHES_MULTI + 2.0 * n as f64));
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use StrategyKind::*;
    use WorkloadKind::*;

    /// Each point takes the floor of its own runtime, and no other: async/N the multi-thread one of N workers,
    /// async/1 and async_offload's loop the one-worker one, a blocking wait the blocking one.
    #[test]
    fn a_point_takes_the_floor_of_its_own_runtime_and_no_other() {
        let floor = |wait, workers, wall_s| OneWait {
            workload: None,
            wait_ms: 10,
            wait,
            workers,
            wall_s,
            wall_range_s: None,
        };
        let only_one_worker = [floor(WaitKind::Blocking, 1, 0.0101), floor(WaitKind::Async, 1, 0.0111)];
        let at = |strategy, workers| Point {
            workload: IoBound,
            strategy,
            workers,
            jobs: 32,
            wait_s: WAIT,
            wall_s: 0.012,
            wall_range_s: None,
            cores_busy: None,
            cores_busy_range: None,
            cpu_s: None,
            cpu_range_s: None,
            switches: None,
            switches_range: None,
            one_wait_s: None,
            one_wait_range_s: None,
        };
        assert_eq!(
            at(Async, 2).with_one_wait(&only_one_worker).one_wait_s,
            None,
            "no fallback to one worker"
        );
        assert_eq!(at(Async, 1).with_one_wait(&only_one_worker).one_wait_s, Some(0.0111));
        assert_eq!(at(AsyncOffload, 2).with_one_wait(&only_one_worker).one_wait_s, Some(0.0111));
        assert_eq!(at(Threads, 4).with_one_wait(&only_one_worker).one_wait_s, Some(0.0101));
        let with_two =
            [only_one_worker[0].clone(), only_one_worker[1].clone(), floor(WaitKind::Async, 2, 0.0125)];
        assert_eq!(at(Async, 2).with_one_wait(&with_two).one_wait_s, Some(0.0125));
    }

    #[test]
    fn metrics() {
        assert_eq!(efficiency(3.0, 4, 2), 1.5);
        assert_eq!(karp_flatt(2.0, 2, 16), Some(0.0));
        assert_eq!(karp_flatt(3.0, 1, 16), None);
        assert!(karp_flatt(4.0, 4, 2).unwrap() < 0.0, "super-linear on 2 cores: not parallelism");
        let p = pt(IoBound, Async, 1, 0.0111, 0.01);
        assert!((p.in_flight() - 32.0 * FLOOR_ASYNC / 0.0111).abs() < 1e-9, "measured, not nominal wait");
    }

    #[test]
    fn amdahl_recovers_a_known_serial_fraction_and_stays_in_range() {
        let s = 0.1;
        let noise = [1.01, 0.99, 1.005, 0.995, 1.0, 1.008];
        let pts: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
            .iter()
            .zip(noise)
            .map(|(&p, e)| (p, e / (s + (1.0 - s) / p)))
            .collect();
        let fit = fit_amdahl(&pts).unwrap();
        assert!((fit.serial_fraction - s).abs() < 0.01, "{fit:?}");
        assert!(fit.r_squared.unwrap() > 0.99, "{fit:?}");
        assert_eq!(fit_amdahl(&pts[..3]), None, "2 points above 1 leave 1 degree of freedom");
        // R-squared is on the measured points only: a flat line badly fitted scores below zero, where the
        // built-in (1, 1) would have lifted it to 0.67.
        let flat = [(1.0, 1.0), (2.0, 1.6), (4.0, 1.7), (8.0, 1.65)];
        assert!(fit_amdahl(&flat).unwrap().r_squared.unwrap() < 0.0);
        // Flat speedups would give s > 1 unconstrained (slower with more workers): clamped to 1.
        let slower = [(1.0, 1.0), (2.0, 0.9), (4.0, 0.8), (8.0, 0.7)];
        assert_eq!(fit_amdahl(&slower).unwrap().serial_fraction, 1.0);
        // Super-linear speedups would give s < 0: clamped to 0, and R-squared tells the fit is poor.
        let superlinear = [(1.0, 1.0), (2.0, 3.0), (4.0, 7.0), (8.0, 15.0)];
        let fit = fit_amdahl(&superlinear).unwrap();
        assert_eq!(fit.serial_fraction, 0.0);
        assert!(fit.r_squared.unwrap() < 0.9, "{fit:?}");
    }

    #[test]
    fn usl_recovers_known_coefficients() {
        let (sigma, kappa) = (0.05, 0.002);
        let noise = [1.0, 1.004, 0.997, 1.002, 0.998, 1.003, 0.999];
        let pts: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
            .iter()
            .zip(noise)
            .map(|(&n, e)| (n, e * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))))
            .collect();
        let fit = fit_usl(&pts).unwrap();
        assert!((fit.sigma - sigma).abs() / sigma < 0.10, "{fit:?}");
        assert!((fit.kappa - kappa).abs() / kappa < 0.10, "{fit:?}");
        let peak = ((1.0 - sigma) / kappa).sqrt();
        assert!((fit.peak_workers.unwrap() - peak).abs() / peak < 0.10, "{fit:?}");
        assert!(fit.r_squared.unwrap() > 0.99, "{fit:?}");
    }

    #[test]
    fn usl_needs_two_degrees_of_freedom_and_keeps_coefficients_non_negative() {
        // The default 2-core sweep (1, 2, 4) has one worker count above 1 within the cores: no fit.
        assert_eq!(fit_usl(&[(1.0, 1.0), (2.0, 1.98)]), None);
        assert_eq!(fit_usl(&[(1.0, 1.0), (2.0, 1.9), (4.0, 3.5), (8.0, 6.0)]), None, "3 points, 1 dof");
        // Super-linear data would need sigma < 0: the constrained fit holds it at 0.
        let fit = fit_usl(&[(1.0, 1.0), (2.0, 2.2), (4.0, 4.6), (8.0, 9.0), (16.0, 17.0)]).unwrap();
        assert!(fit.sigma >= 0.0 && fit.kappa >= 0.0, "{fit:?}");
        // Data that rises ever faster would need kappa < 0: held at 0.
        let fit = fit_usl(&[(1.0, 1.0), (2.0, 1.5), (4.0, 2.5), (8.0, 5.0), (16.0, 12.0)]).unwrap();
        assert!(fit.sigma >= 0.0 && fit.kappa >= 0.0 && fit.peak_workers.is_none(), "{fit:?}");
        // A line that falls from the first worker: sigma >= 1, and the peak is at 1, not "no peak".
        let fit = fit_usl(&[(1.0, 1.0), (2.0, 0.9), (4.0, 0.8), (8.0, 0.7), (16.0, 0.6)]).unwrap();
        assert!(fit.sigma >= 1.0 && fit.peak_workers == Some(1.0), "{fit:?}");
    }

    #[test]
    fn two_core_lines_are_not_fitted_and_say_why() {
        let fits = fit_lines(&ideal(2), Cores::flat(2));
        let cpu_threads = fits.iter().find(|f| f.workload == CpuBound && f.strategy == Threads).unwrap();
        assert_eq!(
            (cpu_threads.worker_counts.clone(), cpu_threads.above_cores.clone()),
            (vec![1, 2], vec![4])
        );
        assert_eq!(cpu_threads.points_above_one(), 1);
        assert!(fits.iter().all(|f| f.amdahl.is_none() && f.usl.is_none()));
        assert!(fits.iter().all(|f| f.strategy != Sequential && f.strategy != ThreadPerJob));
        assert!(fits.iter().all(|f| f.workload == CpuBound), "no processor model for waiting");
    }

    #[test]
    fn sixteen_core_lines_are_fitted_on_counts_up_to_the_cores() {
        let threads = crate::config::default_threads(16);
        let mut points = vec![pt(CpuBound, Sequential, 1, 1.6, 1.0)];
        for &n in &threads {
            let s = n.min(16) as f64 / (1.0 + 0.02 * (n.min(16) as f64 - 1.0));
            points.push(pt(CpuBound, Rayon, n, 1.6 / s, n.min(16) as f64));
        }
        let fit = fit_lines(&points, Cores::flat(16)).into_iter().find(|f| f.strategy == Rayon).unwrap();
        assert_eq!(fit.worker_counts, vec![1, 2, 4, 8, 16]);
        assert_eq!(fit.points_above_one(), 4);
        assert_eq!(fit.above_cores, vec![32]);
        let usl = fit.usl.unwrap();
        assert!((usl.sigma - 0.02).abs() < 1e-6 && usl.kappa.abs() < 1e-9, "{usl:?}");
        assert!(fit.amdahl.is_some());
    }

    #[test]
    fn a_speedup_is_over_sequential_on_the_same_workload_and_needs_a_wall() {
        let points = vec![pt(CpuBound, Sequential, 1, 0.5, 1.0), pt(IoBound, Sequential, 1, 0.75, 0.01)];
        let cpu = |wall_s| pt(CpuBound, Threads, 2, wall_s, 2.0);
        assert_eq!(sequential_wall(&points, CpuBound), Some(0.5));
        assert_eq!(sequential_wall(&points, IoBound), Some(0.75));
        assert_eq!(sequential_wall(&points, CpuChain), None);
        assert_eq!(speedup(&points, &cpu(0.125)), Some(4.0));
        assert_eq!(speedup_range(&points, &cpu(0.125)).map(|r| r.mid), Some(4.0));
        assert_eq!(speedup(&points, &pt(IoBound, Threads, 2, 0.25, 0.01)), Some(3.0), "its own sequential");
        assert_eq!(speedup(&points, &pt(CpuChain, Threads, 2, 0.4, 1.0)), None, "no sequential, no speedup");
        // A wall of zero measured nothing: no speedup, no jobs in flight.
        assert_eq!(speedup(&points, &cpu(0.0)), None);
        assert_eq!(speedup_range(&points, &cpu(0.0)), None);
        assert_eq!(pt(IoBound, Async, 1, 0.0, 0.01).in_flight(), 0.0);
    }

    #[test]
    fn karp_flatt_recovers_amdahl_s_serial_fraction_and_needs_a_speedup() {
        // A speedup that follows Amdahl's law with s = 0.1 on p = 4 processors gives back s.
        let (s, p) = (0.1, 4.0);
        let amdahl = 1.0 / (s + (1.0 - s) / p);
        assert!((karp_flatt(amdahl, 4, 8).unwrap() - s).abs() < 1e-12, "{:?}", karp_flatt(amdahl, 4, 8));
        // p = min(workers, cores): 8 workers on 4 cores are 4 processors.
        assert!((karp_flatt(amdahl, 8, 4).unwrap() - s).abs() < 1e-12);
        assert_eq!(karp_flatt(0.0, 4, 4), None, "no speedup measured");
    }

    #[test]
    fn a_floor_serves_only_a_workload_that_waits() {
        // A floor of 0 ms (as from a run without waits) is never attached to a point that does not wait.
        let zero = OneWait {
            workload: None,
            wait_ms: 0,
            wait: WaitKind::Blocking,
            workers: 1,
            wall_s: 0.0001,
            wall_range_s: None,
        };
        let p = Point { one_wait_s: None, ..pt(CpuBound, Threads, 1, 0.4, 1.0) };
        assert_eq!(p.wait_s, 0.0);
        assert_eq!(p.with_one_wait(&[zero]).one_wait_s, None);
    }

    #[test]
    fn a_floor_from_before_runtimes_were_kept_was_measured_on_one_worker() {
        let old = r#"{"wait_ms":10,"wait":"async","wall_s":0.0111}"#;
        let floor: OneWait = serde_json::from_str(old).unwrap();
        assert_eq!((floor.workers, floor.workload, floor.wall_range_s), (1, None, None));
    }

    #[test]
    fn fits_are_exact_on_exact_data() {
        // Speedups that follow the USL exactly: the fit gives back sigma, kappa, the peak sqrt((1 - sigma) /
        // kappa) and R-squared 1.
        let (sigma, kappa) = (0.1, 0.01);
        let usl = |n: f64| n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0));
        let pts: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0, 16.0].iter().map(|&n| (n, usl(n))).collect();
        let fit = fit_usl(&pts).unwrap();
        assert!((fit.sigma - sigma).abs() < 1e-9 && (fit.kappa - kappa).abs() < 1e-9, "{fit:?}");
        assert!((fit.peak_workers.unwrap() - 90f64.sqrt()).abs() < 1e-6, "{fit:?}");
        assert!((fit.r_squared.unwrap() - 1.0).abs() < 1e-9, "{fit:?}");
        // Speedups that do not vary but for rounding have no R-squared, whatever their size.
        let flat = [(2.0, 10.0), (4.0, 10.0 + 1e-6), (8.0, 10.0)];
        assert_eq!(fit_amdahl(&flat).unwrap().r_squared, None);
        // A speedup of zero (a run that measured nothing) is no point: two points above 1 are left, too few.
        let failed = [(1.0, 1.0), (2.0, 1.8), (4.0, 3.0), (8.0, 0.0)];
        assert_eq!(fit_amdahl(&failed), None);
    }
}
