//! Scaling analysis and the verdicts on the article's claims C1..C6, computed from measurements only.
//!
//! Speedup is relative to `sequential` on the same workload. Efficiency and Karp-Flatt use
//! `p = min(workers, cores)`: a worker beyond the usable cores adds no processor. Fits:
//! - **Amdahl**: `1/S = s + (1 - s)/p`, rearranged to `1/S - 1/p = s (1 - 1/p)` and solved for the serial
//!   fraction `s` by ordinary least squares through the origin.
//! - **USL** (Gunther): `S(N) = N / (1 + sigma (N - 1) + kappa N (N - 1))`, rearranged to
//!   `N/S - 1 = sigma (N - 1) + kappa N (N - 1)` and solved for `sigma`, `kappa` by linear least squares
//!   (2x2 normal equations). Peak at `N* = sqrt((1 - sigma) / kappa)` when `kappa > 0`.
//!
//! Both fits use each strategy's own scaling, `time(1 worker) / time(N workers)`, when the sweep has N = 1.
//! Nothing here measures; nothing here is hard-coded to a verdict.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

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
    /// Wait per job in seconds.
    pub wait_s: f64,
    /// Median wall time in seconds.
    pub wall_s: f64,
    /// CPU time / wall time, when CPU time was measured (criterion does not measure it).
    pub cores_busy: Option<f64>,
}

impl Point {
    /// In flight = jobs x wait / wall (Little's law).
    pub fn in_flight(&self) -> f64 {
        if self.wall_s > 0.0 { self.jobs as f64 * self.wait_s / self.wall_s } else { 0.0 }
    }
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

/// Least-squares Amdahl serial fraction from `(p, speedup)` pairs; `None` without a pair with `p > 1`.
pub fn fit_amdahl(points: &[(f64, f64)]) -> Option<f64> {
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(p, s) in points.iter().filter(|(p, s)| *p > 1.0 && *s > 0.0) {
        let x = 1.0 - 1.0 / p;
        let y = 1.0 / s - 1.0 / p;
        sxy += x * y;
        sxx += x * x;
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

/// A Universal Scalability Law fit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct UslFit {
    /// Contention (serialisation) coefficient.
    pub sigma: f64,
    /// Coherency (crosstalk) coefficient.
    pub kappa: f64,
    /// Worker count where the fitted curve peaks, `None` when it never turns down (`kappa <= 0`).
    pub peak_workers: Option<f64>,
}

/// Least-squares USL fit from `(workers, speedup)` pairs; needs two distinct worker counts above 1.
pub fn fit_usl(points: &[(f64, f64)]) -> Option<UslFit> {
    let (mut a11, mut a12, mut a22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(n, s) in points.iter().filter(|(n, s)| *n > 1.0 && *s > 0.0) {
        let (x1, x2, y) = (n - 1.0, n * (n - 1.0), n / s - 1.0);
        a11 += x1 * x1;
        a12 += x1 * x2;
        a22 += x2 * x2;
        b1 += x1 * y;
        b2 += x2 * y;
    }
    let det = a11 * a22 - a12 * a12;
    if det.abs() <= 1e-12 * (a11 * a22).max(f64::MIN_POSITIVE) {
        return None;
    }
    let sigma = (b1 * a22 - b2 * a12) / det;
    let kappa = (a11 * b2 - a12 * b1) / det;
    let peak_workers = (kappa > 0.0 && sigma < 1.0).then(|| ((1.0 - sigma) / kappa).sqrt());
    Some(UslFit { sigma, kappa, peak_workers })
}

/// The fits of one workload/strategy line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineFit {
    /// The workload.
    pub workload: WorkloadKind,
    /// The strategy.
    pub strategy: StrategyKind,
    /// Worker counts the fit used.
    pub worker_counts: Vec<usize>,
    /// Amdahl serial fraction (with `p = min(workers, cores)`).
    pub amdahl_serial_fraction: Option<f64>,
    /// USL coefficients (with `N = workers`).
    pub usl: Option<UslFit>,
}

/// Fits every workload/strategy line with at least 3 worker counts.
pub fn fit_lines(points: &[Point], cores: usize) -> Vec<LineFit> {
    let mut fits = Vec::new();
    for workload in WorkloadKind::ALL {
        for strategy in StrategyKind::ALL {
            let mut line: Vec<&Point> =
                points.iter().filter(|p| p.workload == workload && p.strategy == strategy).collect();
            if line.len() < 3 {
                continue;
            }
            line.sort_by_key(|p| p.workers);
            let base = line
                .iter()
                .find(|p| p.workers == 1)
                .map(|p| p.wall_s)
                .or_else(|| sequential_wall(points, workload));
            let Some(base) = base else { continue };
            let scaled: Vec<(usize, f64)> = line.iter().map(|p| (p.workers, base / p.wall_s)).collect();
            let amdahl: Vec<(f64, f64)> = scaled.iter().map(|&(n, s)| (n.min(cores) as f64, s)).collect();
            let usl: Vec<(f64, f64)> = scaled.iter().map(|&(n, s)| (n as f64, s)).collect();
            fits.push(LineFit {
                workload,
                strategy,
                worker_counts: line.iter().map(|p| p.workers).collect(),
                amdahl_serial_fraction: fit_amdahl(&amdahl),
                usl: fit_usl(&usl),
            });
        }
    }
    fits
}

/// How a claim fared on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The measurements meet the claim's criterion.
    #[serde(rename = "shown")]
    Shown,
    /// The measurements were taken and do not meet it.
    #[serde(rename = "not shown")]
    NotShown,
    /// The measurements needed are missing, or this machine cannot show it (e.g. one core).
    #[serde(rename = "cannot be shown here")]
    CannotBeShown,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Shown => "shown",
            Outcome::NotShown => "not shown",
            Outcome::CannotBeShown => "cannot be shown here",
        })
    }
}

/// The verdict on one claim, with the numbers behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// `C1` .. `C6`.
    pub claim: String,
    /// The claim in words.
    pub statement: String,
    /// The outcome.
    pub verdict: Outcome,
    /// The measured numbers and the criterion they were held to (or why it cannot be shown).
    pub evidence: String,
}

/// "One wait" for C1 means at most this many waits of wall time.
pub const ONE_WAIT: f64 = 1.5;
/// "Almost no CPU busy" (C3, C5) means at most this many cores busy.
pub const IDLE_CORES: f64 = 0.25;
/// "Many in flight" (C3) means at least this fraction of the jobs in flight on average.
pub const MANY_IN_FLIGHT: f64 = 0.5;
/// C2: a CPU-bound speedup "follows" min(workers, cores) when it reaches this fraction of it ...
pub const FOLLOWS: f64 = 0.75;
/// ... and "stops at the cores" when no worker count beats the cores by more than this factor (C2, C5).
pub const CAP: f64 = 1.15;
/// C4: more async workers "do not speed up" I/O when the best is at most this much faster than 1 worker.
pub const FLAT: f64 = 1.25;
/// C5: an I/O speedup "grows past the cores" when it exceeds the cores by this factor.
pub const PAST_CORES: f64 = 1.25;
/// C6: async on 1 worker is "no faster than sequential" when its speedup is at most this.
pub const NO_FASTER: f64 = 1.10;

/// The claims, in order, with their statements.
pub const CLAIMS: [(&str, &str); 6] = [
    ("C1", "concurrency works without multiple cores"),
    ("C2", "parallelism needs cores"),
    ("C3", "concurrent programs are often not parallel"),
    ("C4", "more threads do not speed up an I/O-bound event loop"),
    ("C5", "parallelism helps only CPU-bound, splittable work"),
    ("C6", "concurrency is not speed"),
];

fn find(points: &[Point], w: WorkloadKind, s: StrategyKind, n: usize) -> Option<&Point> {
    points.iter().find(|p| p.workload == w && p.strategy == s && p.workers == n)
}

type Judged = (Outcome, String);

fn cannot(why: impl Into<String>) -> Judged {
    (Outcome::CannotBeShown, why.into())
}

fn judge(ok: bool, evidence: String) -> Judged {
    (if ok { Outcome::Shown } else { Outcome::NotShown }, evidence)
}

fn ms(s: f64) -> String {
    format!("{:.1} ms", s * 1e3)
}

/// The verdicts on C1..C6 from `points`, on a machine with `cores` usable cores.
pub fn verdicts(points: &[Point], cores: usize) -> Vec<Verdict> {
    let judged = [c1(points), c2(points, cores), c3(points), c4(points), c5(points, cores), c6(points)];
    CLAIMS
        .iter()
        .zip(judged)
        .map(|(&(claim, statement), (verdict, evidence))| Verdict {
            claim: claim.into(),
            statement: statement.into(),
            verdict,
            evidence,
        })
        .collect()
}

fn c1(points: &[Point]) -> Judged {
    let Some(p) = find(points, WorkloadKind::IoBound, StrategyKind::Async, 1) else {
        return cannot("needs io_bound/async/1");
    };
    if p.jobs < 2 {
        return cannot("needs at least 2 jobs to overlap");
    }
    let waits = p.wall_s / p.wait_s;
    judge(
        waits <= ONE_WAIT,
        format!(
            "io_bound async on 1 worker ran {} waits of {} in {} = {waits:.2} waits (criterion: <= {ONE_WAIT})",
            p.jobs,
            ms(p.wait_s),
            ms(p.wall_s)
        ),
    )
}

/// The best of `threads` and `rayon` at `n` workers on `workload`.
fn best_parallel(points: &[Point], workload: WorkloadKind, n: usize) -> Option<(StrategyKind, f64)> {
    [StrategyKind::Threads, StrategyKind::Rayon]
        .into_iter()
        .filter_map(|s| find(points, workload, s, n).and_then(|p| speedup(points, p)).map(|x| (s, x)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

fn worker_counts(points: &[Point], workload: WorkloadKind, strategies: &[StrategyKind]) -> Vec<usize> {
    let mut ns: Vec<usize> = points
        .iter()
        .filter(|p| p.workload == workload && strategies.contains(&p.strategy))
        .map(|p| p.workers)
        .collect();
    ns.sort_unstable();
    ns.dedup();
    ns
}

fn c2(points: &[Point], cores: usize) -> Judged {
    if cores < 2 {
        return cannot(format!("only {cores} core available: parallel speedup needs at least 2"));
    }
    let cpu = WorkloadKind::CpuBound;
    let ns = worker_counts(points, cpu, &[StrategyKind::Threads, StrategyKind::Rayon]);
    let (within, beyond): (Vec<usize>, Vec<usize>) =
        ns.iter().filter(|&&n| n >= 2).partition(|&&n| n <= cores);
    if within.is_empty() || beyond.is_empty() || sequential_wall(points, cpu).is_none() {
        return cannot(format!(
            "needs cpu_bound sequential and threads or rayon at 2..={cores} workers and above {cores}"
        ));
    }
    let mut ok = true;
    let mut parts = Vec::new();
    for &n in within.iter().chain(&beyond) {
        let Some((s, x)) = best_parallel(points, cpu, n) else { continue };
        let expect = n.min(cores) as f64;
        let fine = if n <= cores { x >= FOLLOWS * expect } else { x <= CAP * cores as f64 };
        ok &= fine;
        parts.push(format!("N={n} {x:.2}x ({s})"));
    }
    judge(
        ok,
        format!(
            "cpu_bound best speedup: {}; criterion: >= {FOLLOWS} x min(workers, {cores} cores) up to {cores} workers, \
             <= {CAP} x {cores} beyond",
            parts.join(", ")
        ),
    )
}

fn c3(points: &[Point]) -> Judged {
    let Some(p) = find(points, WorkloadKind::IoBound, StrategyKind::Async, 1) else {
        return cannot("needs io_bound/async/1");
    };
    let Some(busy) = p.cores_busy else {
        return cannot("needs CPU time, which criterion does not record (pass a `cvp run` JSON)");
    };
    let flight = p.in_flight();
    judge(
        flight >= MANY_IN_FLIGHT * p.jobs as f64 && busy <= IDLE_CORES && p.jobs >= 2,
        format!(
            "io_bound async on 1 worker: {flight:.1} of {} jobs in flight, {busy:.3} cores busy \
             (criterion: >= {MANY_IN_FLIGHT} x jobs in flight, <= {IDLE_CORES} cores busy)",
            p.jobs
        ),
    )
}

fn c4(points: &[Point]) -> Judged {
    let io = WorkloadKind::IoBound;
    let ns = worker_counts(points, io, &[StrategyKind::Async]);
    let Some(one) = find(points, io, StrategyKind::Async, 1) else {
        return cannot("needs io_bound/async/1");
    };
    if ns.len() < 2 {
        return cannot("needs io_bound/async at 2 or more worker counts");
    }
    let walls: Vec<String> = ns
        .iter()
        .filter_map(|&n| find(points, io, StrategyKind::Async, n))
        .map(|p| format!("N={} {}", p.workers, ms(p.wall_s)))
        .collect();
    let best = points
        .iter()
        .filter(|p| p.workload == io && p.strategy == StrategyKind::Async)
        .map(|p| p.wall_s)
        .fold(f64::INFINITY, f64::min);
    let gain = one.wall_s / best;
    judge(
        gain <= FLAT,
        format!(
            "io_bound async: {}; best is {gain:.2}x the 1-worker time (criterion: <= {FLAT}x)",
            walls.join(", ")
        ),
    )
}

fn c5(points: &[Point], cores: usize) -> Judged {
    let io = WorkloadKind::IoBound;
    let blocking = [StrategyKind::Threads, StrategyKind::Rayon];
    let Some(&n) = worker_counts(points, io, &blocking).iter().filter(|&&n| n > cores).max() else {
        return cannot(format!("needs io_bound threads or rayon above the {cores} usable cores"));
    };
    let Some((s, io_x)) = best_parallel(points, io, n) else {
        return cannot("needs io_bound sequential");
    };
    let Some(busy) = find(points, io, s, n).and_then(|p| p.cores_busy) else {
        return cannot("needs CPU time, which criterion does not record (pass a `cvp run` JSON)");
    };
    let cpu = WorkloadKind::CpuBound;
    let cpu_best = worker_counts(points, cpu, &blocking)
        .into_iter()
        .filter_map(|m| best_parallel(points, cpu, m).map(|(_, x)| (m, x)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let Some((m, cpu_x)) = cpu_best else {
        return cannot("needs cpu_bound sequential and threads or rayon");
    };
    let io_ok = io_x >= PAST_CORES * cores as f64 && busy <= IDLE_CORES;
    let cpu_ok = cpu_x <= CAP * cores as f64;
    judge(
        io_ok && cpu_ok,
        format!(
            "io_bound {s} at N={n}: {io_x:.2}x with {busy:.3} cores busy (gain from blocked threads: \
             criterion > {PAST_CORES} x {cores} cores, <= {IDLE_CORES} busy); cpu_bound best {cpu_x:.2}x at N={m} \
             (criterion: <= {CAP} x {cores} cores)"
        ),
    )
}

fn c6(points: &[Point]) -> Judged {
    let cpu = WorkloadKind::CpuBound;
    let Some(x) = find(points, cpu, StrategyKind::Async, 1).and_then(|p| speedup(points, p)) else {
        return cannot("needs cpu_bound sequential and async/1");
    };
    judge(
        x <= NO_FASTER,
        format!("cpu_bound async on 1 worker: {x:.2}x sequential (criterion: <= {NO_FASTER}x)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use StrategyKind::*;
    use WorkloadKind::*;

    const WAIT: f64 = 0.010;

    fn pt(workload: WorkloadKind, strategy: StrategyKind, workers: usize, wall_s: f64, busy: f64) -> Point {
        let jobs = if workload == CpuBound { 128 } else { 32 };
        let wait_s = if workload == CpuBound { 0.0 } else { WAIT };
        Point { workload, strategy, workers, jobs, wait_s, wall_s, cores_busy: Some(busy) }
    }

    /// What an ideal machine with `cores` cores would measure at workers 1, 2, 4.
    fn ideal(cores: usize) -> Vec<Point> {
        let cpu = 0.4;
        let io = 32.0 * WAIT;
        let mut v = vec![pt(CpuBound, Sequential, 1, cpu, 1.0), pt(IoBound, Sequential, 1, io, 0.01)];
        for n in [1, 2, 4] {
            let par = n.min(cores) as f64;
            for s in [Threads, Rayon] {
                v.push(pt(CpuBound, s, n, cpu / par, par));
                v.push(pt(IoBound, s, n, io / n as f64, 0.01));
            }
            v.push(pt(CpuBound, Async, n, cpu / par, par));
            v.push(pt(IoBound, Async, n, 1.05 * WAIT, 0.02));
        }
        v
    }

    fn outcomes(points: &[Point], cores: usize) -> Vec<Outcome> {
        verdicts(points, cores).into_iter().map(|v| v.verdict).collect()
    }

    #[test]
    fn ideal_two_core_machine_shows_every_claim() {
        assert_eq!(outcomes(&ideal(2), 2), vec![Outcome::Shown; 6]);
    }

    #[test]
    fn one_core_cannot_show_c2_but_still_shows_c1_and_c3() {
        let v = outcomes(&ideal(1), 1);
        assert_eq!(v[1], Outcome::CannotBeShown);
        assert_eq!((v[0], v[2]), (Outcome::Shown, Outcome::Shown));
        assert!(verdicts(&ideal(1), 1)[1].evidence.contains("only 1 core"));
    }

    #[test]
    fn claims_fail_when_the_numbers_do() {
        let mut points = ideal(2);
        for p in points.iter_mut() {
            match (p.workload, p.strategy, p.workers) {
                // async/1 on io takes 10 waits: no overlap; more async workers help: C4 fails too.
                (IoBound, Async, 1) => p.wall_s = 10.0 * WAIT,
                // cpu_bound does not scale.
                (CpuBound, Threads | Rayon, _) => p.wall_s = 0.4,
                // async/1 on cpu beats sequential: impossible honestly, so C6 must say "not shown".
                (CpuBound, Async, 1) => p.wall_s = 0.2,
                _ => {}
            }
        }
        let v = outcomes(&points, 2);
        assert_eq!(v[0], Outcome::NotShown, "C1");
        assert_eq!(v[1], Outcome::NotShown, "C2");
        assert_eq!(v[2], Outcome::NotShown, "C3: 3.2 of 32 in flight");
        assert_eq!(v[3], Outcome::NotShown, "C4");
        assert_eq!(v[5], Outcome::NotShown, "C6");
    }

    #[test]
    fn busy_cores_on_io_deny_c3_and_c5() {
        let mut points = ideal(2);
        for p in points.iter_mut().filter(|p| p.workload == IoBound) {
            p.cores_busy = Some(1.5);
        }
        let v = outcomes(&points, 2);
        assert_eq!((v[2], v[4]), (Outcome::NotShown, Outcome::NotShown));
    }

    #[test]
    fn missing_measurements_cannot_be_shown() {
        assert_eq!(outcomes(&[], 2), vec![Outcome::CannotBeShown; 6]);
        let no_cpu_time: Vec<Point> = ideal(2).into_iter().map(|p| Point { cores_busy: None, ..p }).collect();
        let v = outcomes(&no_cpu_time, 2);
        assert_eq!((v[0], v[2], v[4]), (Outcome::Shown, Outcome::CannotBeShown, Outcome::CannotBeShown));
    }

    #[test]
    fn metrics() {
        assert_eq!(efficiency(3.0, 4, 2), 1.5);
        assert_eq!(karp_flatt(2.0, 2, 16), Some(0.0));
        assert_eq!(karp_flatt(3.0, 1, 16), None);
        assert!(karp_flatt(4.0, 4, 2).unwrap() < 0.0, "super-linear on 2 cores: not parallelism");
        let p = pt(IoBound, Async, 1, 0.0105, 0.01);
        assert!((p.in_flight() - 32.0 * 0.010 / 0.0105).abs() < 1e-9);
    }

    #[test]
    fn amdahl_recovers_a_known_serial_fraction() {
        let s = 0.1;
        let noise = [1.01, 0.99, 1.005, 0.995, 1.0, 1.008];
        let pts: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
            .iter()
            .zip(noise)
            .map(|(&p, e)| (p, e / (s + (1.0 - s) / p)))
            .collect();
        let fit = fit_amdahl(&pts).unwrap();
        assert!((fit - s).abs() < 0.01, "{fit}");
        assert_eq!(fit_amdahl(&[(1.0, 1.0)]), None);
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
        assert_eq!(fit_usl(&[(1.0, 1.0), (2.0, 1.9)]), None, "one equation cannot fix two unknowns");
    }

    #[test]
    fn lines_with_three_worker_counts_are_fitted() {
        let fits = fit_lines(&ideal(2), 2);
        let cpu_threads = fits.iter().find(|f| f.workload == CpuBound && f.strategy == Threads).unwrap();
        assert_eq!(cpu_threads.worker_counts, vec![1, 2, 4]);
        assert!(cpu_threads.amdahl_serial_fraction.unwrap().abs() < 1e-9);
        assert!(fits.iter().all(|f| f.strategy != Sequential), "one point is not a line");
    }
}
