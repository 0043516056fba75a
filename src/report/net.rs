//! The side-by-side table of `io_bound` (each wait a sleep) and `net_bound` (each wait a request over
//! loopback TCP to `cvp serve`) per (strategy, workers): what the socket adds to the same waits.
//!
//! Built from a `cvp run` file ([`from_runs`]: both walls, the client's cores busy, the service's cores busy
//! and CPU per request, the socket's overhead per request = wall at W = 0 / jobs), or from criterion's rows
//! ([`from_rows`]: the walls, and whatever a `cvp run` file of the same machine adds).

use std::fmt::Write as _;

use super::tables::{aligned, human_time};
use super::{Row, RunFile};
use crate::experiment::sweep::Run;
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

/// One (strategy, workers) measured on both workloads.
#[derive(Clone, Debug, PartialEq)]
pub struct SideBySide {
    /// The strategy.
    pub strategy: StrategyKind,
    /// Its workers.
    pub workers: usize,
    /// io_bound's wall, seconds.
    pub io_wall_s: f64,
    /// net_bound's wall, seconds.
    pub net_wall_s: f64,
    /// io_bound's cores busy (the client), when CPU time was measured.
    pub io_cores_busy: Option<f64>,
    /// net_bound's cores busy (the client only), when CPU time was measured.
    pub net_cores_busy: Option<f64>,
    /// The service's cores busy during the net_bound run.
    pub server_cores_busy: Option<f64>,
    /// net_bound's wall at W = 0 over its jobs: what the socket costs per request.
    pub socket_per_request_s: Option<f64>,
    /// The service's CPU time per request.
    pub server_cpu_per_request_s: Option<f64>,
}

impl SideBySide {
    /// net_bound's wall / io_bound's.
    pub fn ratio(&self) -> f64 {
        if self.io_wall_s > 0.0 { self.net_wall_s / self.io_wall_s } else { f64::NAN }
    }
}

/// The pairs of a `cvp run` file's runs, in the order of its net_bound runs (empty without both workloads).
pub fn from_runs(runs: &[Run]) -> Vec<SideBySide> {
    runs.iter()
        .filter(|n| n.workload == WorkloadKind::NetBound)
        .filter_map(|n| {
            let io = runs.iter().find(|i| {
                i.workload == WorkloadKind::IoBound && i.strategy == n.strategy && i.workers == n.workers
            })?;
            Some(SideBySide {
                strategy: n.strategy,
                workers: n.workers,
                io_wall_s: io.wall_s,
                net_wall_s: n.wall_s,
                io_cores_busy: Some(io.cores_busy),
                net_cores_busy: Some(n.cores_busy),
                server_cores_busy: n.server_cores_busy,
                socket_per_request_s: n.socket_per_request_s(),
                server_cpu_per_request_s: n.server_cpu_per_request_s(),
            })
        })
        .collect()
}

/// The pairs of criterion's rows (walls: criterion's medians); cores busy and the service's numbers come
/// from `run` (a `cvp run` file of the same machine and sizes) where it has the configuration.
pub fn from_rows(rows: &[Row], run: Option<&RunFile>) -> Vec<SideBySide> {
    let in_run = |w: WorkloadKind, s: StrategyKind, n: usize| {
        run.and_then(|f| f.runs.iter().find(|r| r.workload == w && r.strategy == s && r.workers == n))
    };
    rows.iter()
        .filter(|n| n.point.workload == WorkloadKind::NetBound)
        .filter_map(|n| {
            let (s, k) = (n.point.strategy, n.point.workers);
            let io = rows.iter().find(|i| {
                i.point.workload == WorkloadKind::IoBound && i.point.strategy == s && i.point.workers == k
            })?;
            let net_run = in_run(WorkloadKind::NetBound, s, k);
            Some(SideBySide {
                strategy: s,
                workers: k,
                io_wall_s: io.median_ns / 1e9,
                net_wall_s: n.median_ns / 1e9,
                io_cores_busy: io.point.cores_busy,
                net_cores_busy: n.point.cores_busy,
                server_cores_busy: net_run.and_then(|r| r.server_cores_busy),
                socket_per_request_s: net_run.and_then(Run::socket_per_request_s),
                server_cpu_per_request_s: net_run.and_then(Run::server_cpu_per_request_s),
            })
        })
        .collect()
}

const HEADER: [&str; 9] = [
    "strategy",
    "workers",
    "io_bound wall",
    "net_bound wall",
    "net / io",
    "cores busy io / net",
    "server cores busy",
    "socket / request",
    "server CPU / request",
];

fn cells(p: &SideBySide) -> Vec<String> {
    let busy = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.2}"));
    let time = |v: Option<f64>| v.map_or("-".into(), human_time);
    vec![
        p.strategy.to_string(),
        p.workers.to_string(),
        human_time(p.io_wall_s),
        human_time(p.net_wall_s),
        format!("{:.2}x", p.ratio()),
        format!("{} / {}", busy(p.io_cores_busy), busy(p.net_cores_busy)),
        p.server_cores_busy.map_or("-".into(), |x| format!("{x:.3}")),
        time(p.socket_per_request_s),
        time(p.server_cpu_per_request_s),
    ]
}

/// What the columns mean, one paragraph.
pub const LEGEND: &str = "net / io: net_bound's wall over io_bound's (the same waits, each a request over loopback \
    TCP instead of a sleep). cores busy: the client's CPU time / wall (this process's own clock; the service is \
    another process and is not in it). server cores busy: the service's CPU time / the same wall, read from its \
    CPU clock right before and after each run. socket / request: net_bound at W = 0 (a service that replies at \
    once, in the same rounds) over the jobs. server CPU / request: the service's CPU time over the jobs.";

/// The plain-text table (`cvp run`), `None` without pairs.
pub fn text(pairs: &[SideBySide]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let rows: Vec<Vec<String>> = pairs.iter().map(cells).collect();
    Some(format!("io_bound vs net_bound:\n{}", aligned(&HEADER, &rows, 2)))
}

/// The Markdown table (the results folder's README), `None` without pairs.
pub fn markdown(pairs: &[SideBySide]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let mut s = format!("| {} |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n", HEADER.join(" | "));
    for p in pairs {
        let _ = writeln!(s, "| {} |", cells(p).join(" | "));
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(workload: WorkloadKind, strategy: StrategyKind, workers: usize, wall_s: f64) -> Run {
        let net = workload.is_net();
        Run {
            workload,
            strategy,
            workers,
            jobs: 32,
            wait_ms: 10,
            rounds: 0,
            wall_s,
            wall_min_s: wall_s,
            wall_max_s: wall_s,
            cpu_s: 0.001,
            speedup: 1.0,
            cores_busy: 0.01,
            cores_busy_range: None,
            repeats: 3,
            in_flight: 1.0,
            voluntary_switches: None,
            involuntary_switches: None,
            digest: String::new(),
            server_cpu_s: net.then_some(0.0032),
            server_cores_busy: net.then_some(0.02),
            socket_only_s: net.then_some(0.0064),
        }
    }

    #[test]
    fn pairs_only_what_both_workloads_measured() {
        let runs = vec![
            run(WorkloadKind::IoBound, StrategyKind::Sequential, 1, 0.32),
            run(WorkloadKind::IoBound, StrategyKind::Async, 1, 0.011),
            run(WorkloadKind::NetBound, StrategyKind::Sequential, 1, 0.36),
            run(WorkloadKind::NetBound, StrategyKind::Threads, 2, 0.18),
        ];
        let pairs = from_runs(&runs);
        assert_eq!(pairs.len(), 1, "threads/2 has no io_bound partner");
        let p = &pairs[0];
        assert!((p.ratio() - 0.36 / 0.32).abs() < 1e-12);
        assert!((p.socket_per_request_s.unwrap() - 0.0002).abs() < 1e-12);
        assert!((p.server_cpu_per_request_s.unwrap() - 0.0001).abs() < 1e-12);
        let md = markdown(&pairs).unwrap();
        assert!(
            md.contains(
                "| sequential | 1 | 320.0 ms | 360.0 ms | 1.12x | 0.01 / 0.01 | 0.020 | 200.0 µs | 100.0 µs |"
            ),
            "{md}"
        );
        assert!(text(&pairs).unwrap().starts_with("io_bound vs net_bound:"));
        assert_eq!(markdown(&from_runs(&runs[..2])), None, "no net_bound, no table");
    }
}
