//! `cvp run`'s sweep: every workload x strategy x worker count, each warmed up, checked, repeated, and its
//! median (by wall time) kept with the CPU time of that same run.
//!
//! Building a strategy (its pool or runtime) and the warm-up run are not timed. `sequential` always runs:
//! it is the baseline of every speedup.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::analysis::{self, Point};
use crate::measure::{self, Sample};
use crate::strategy::StrategyKind;
use crate::workload::{Workload, WorkloadKind};

/// What to sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Workloads, in order.
    pub workloads: Vec<WorkloadKind>,
    /// Strategies, in order (`sequential` is added if missing).
    pub strategies: Vec<StrategyKind>,
    /// Worker counts for the strategies that take one.
    pub threads: Vec<usize>,
    /// Jobs per workload (`None`: each workload's default).
    pub jobs: Option<usize>,
    /// Hash rounds per job.
    pub rounds: u32,
    /// Wait per job in milliseconds.
    pub wait_ms: u64,
    /// Timed repeats per configuration.
    pub repeat: usize,
}

impl Plan {
    /// The workload `kind` as this plan sizes it.
    pub fn workload(&self, kind: WorkloadKind) -> Workload {
        let jobs = self.jobs.unwrap_or_else(|| crate::config::default_jobs(kind));
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
    /// Median wall time.
    pub wall_s: f64,
    /// Process CPU time of the median run.
    pub cpu_s: f64,
    /// `sequential` wall / this wall.
    pub speedup: f64,
    /// CPU time / wall time.
    pub cores_busy: f64,
    /// jobs x wait / wall time.
    pub in_flight: f64,
    /// Workload digest, lowercase hex (checked against the expected digest before timing).
    pub digest: String,
}

impl Run {
    /// The analysis view of this run.
    pub fn point(&self) -> Point {
        Point {
            workload: self.workload,
            strategy: self.strategy,
            workers: self.workers,
            jobs: self.jobs,
            wait_s: self.wait_ms as f64 / 1e3,
            wall_s: self.wall_s,
            cores_busy: Some(self.cores_busy),
        }
    }
}

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A strategy computed the wrong digest: a bug, never a result.
    #[error("{workload}/{strategy}/{workers} computed digest {got}, expected {expected}")]
    WrongDigest {
        /// Workload.
        workload: WorkloadKind,
        /// Strategy.
        strategy: StrategyKind,
        /// Workers.
        workers: usize,
        /// What it computed.
        got: String,
        /// What every strategy must compute.
        expected: String,
    },
    /// A pool or runtime could not be built.
    #[error("building {strategy} with {workers} workers: {source}")]
    Build {
        /// Strategy.
        strategy: StrategyKind,
        /// Workers.
        workers: usize,
        /// The cause.
        source: std::io::Error,
    },
}

/// Runs the plan. `progress` is called once before each configuration with its label.
pub fn run(plan: &Plan, mut progress: impl FnMut(&str)) -> Result<Vec<Run>, SweepError> {
    let mut runs: Vec<Run> = Vec::new();
    let mut expected = None;
    for (kind, strategy, workers) in plan.configurations() {
        progress(&format!("{kind}/{strategy}/{workers}"));
        let workload = plan.workload(kind);
        let want = match expected {
            Some((k, d)) if k == kind => d,
            _ => {
                let d = workload.expected_digest();
                expected = Some((kind, d));
                d
            }
        };
        let built =
            strategy.build(workers).map_err(|source| SweepError::Build { strategy, workers, source })?;
        let got = built.run(&workload);
        if got != want {
            return Err(SweepError::WrongDigest {
                workload: kind,
                strategy,
                workers,
                got: got.to_hex(),
                expected: want.to_hex(),
            });
        }
        let mut samples: Vec<Sample> =
            (0..plan.repeat.max(1)).map(|_| measure::measure(|| built.run(&workload)).1).collect();
        samples.sort_by_key(|s| s.wall);
        let median = samples[samples.len() / 2];
        runs.push(Run {
            workload: kind,
            strategy,
            workers,
            jobs: workload.jobs,
            wait_ms: workload.wait.as_millis() as u64,
            rounds: workload.rounds,
            wall_s: median.wall.as_secs_f64(),
            cpu_s: median.cpu.as_secs_f64(),
            speedup: 0.0,
            cores_busy: median.cores_busy(),
            in_flight: measure::in_flight(workload.total_wait(), median.wall),
            digest: got.to_hex(),
        });
    }
    let points: Vec<Point> = runs.iter().map(Run::point).collect();
    for (run, point) in runs.iter_mut().zip(&points) {
        run.speedup = analysis::speedup(&points, point).unwrap_or(0.0);
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_always_comes_first() {
        let plan = Plan {
            workloads: vec![WorkloadKind::IoBound],
            strategies: vec![StrategyKind::Async, StrategyKind::ThreadPerJob],
            threads: vec![1, 3],
            jobs: Some(5),
            rounds: 1,
            wait_ms: 1,
            repeat: 1,
        };
        let c = plan.configurations();
        assert_eq!(c[0], (WorkloadKind::IoBound, StrategyKind::Sequential, 1));
        assert_eq!(c.len(), 4);
        assert!(c.contains(&(WorkloadKind::IoBound, StrategyKind::ThreadPerJob, 5)));
    }
}
