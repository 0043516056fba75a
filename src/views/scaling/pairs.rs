//! The io_bound vs net_bound pairs: `io_bound` (each wait a sleep) and `net_bound` (each wait a request over
//! loopback TCP to `cvp serve`) per (strategy, workers) at the same jobs J and wait W: what the socket adds.
//! Analysis only: [`super::render`] draws the table.
//!
//! Built from a `cvp run` file ([`from_runs`]: both walls, the client's cores busy, the service's cores busy
//! and CPU per request, net_bound's wall at W = 0 / J), or from criterion's rows ([`from_rows`]: the walls,
//! and whatever a `cvp run` file of the same machine and sizes adds). Rows of different J or W are never
//! paired; when that leaves no pair, [`unpaired_runs`] / [`unpaired_rows`] say why in one line.

use super::{NetPairs, Row, Run, RunFile, SideBySide};
use crate::report::text::human_time;
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

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
                i.workload == WorkloadKind::IoBound
                    && i.strategy == n.strategy
                    && i.workers == n.workers
                    && i.jobs == n.jobs
                    && i.wait_ms == n.wait_ms
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
    let in_run = |w: WorkloadKind, s: StrategyKind, n: usize, size: (usize, f64)| {
        run.and_then(|f| {
            f.runs.iter().find(|r| {
                r.workload == w
                    && r.strategy == s
                    && r.workers == n
                    && same_size((r.jobs, r.wait_ms as f64 / 1e3), size)
            })
        })
    };
    rows.iter()
        .filter(|n| n.point.workload == WorkloadKind::NetBound)
        .filter_map(|n| {
            let (s, k, size) = (n.point.strategy, n.point.workers, (n.point.jobs, n.point.wait_s));
            let io = rows.iter().find(|i| {
                i.point.workload == WorkloadKind::IoBound
                    && i.point.strategy == s
                    && i.point.workers == k
                    && same_size((i.point.jobs, i.point.wait_s), size)
            })?;
            let net_run = in_run(WorkloadKind::NetBound, s, k, size);
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

/// The same jobs and the same wait (seconds; equal to the nanosecond, as the configs give whole ms).
fn same_size(a: (usize, f64), b: (usize, f64)) -> bool {
    a.0 == b.0 && (a.1 - b.1).abs() < 1e-9
}

/// Why a file that has both workloads gets no table, one line; `None` when it has a pair or lacks a workload.
/// `rows` are (workload, strategy, workers, jobs, wait in seconds).
fn unpaired(rows: &[(WorkloadKind, StrategyKind, usize, usize, f64)]) -> Option<String> {
    let sizes = |w: WorkloadKind| {
        let mut v: Vec<(usize, f64)> = Vec::new();
        for r in rows.iter().filter(|r| r.0 == w) {
            if !v.iter().any(|&x| same_size(x, (r.3, r.4))) {
                v.push((r.3, r.4));
            }
        }
        v
    };
    let (io, net) = (sizes(WorkloadKind::IoBound), sizes(WorkloadKind::NetBound));
    if io.is_empty() || net.is_empty() {
        return None;
    }
    let paired = rows.iter().filter(|n| n.0 == WorkloadKind::NetBound).any(|n| {
        rows.iter().any(|i| {
            i.0 == WorkloadKind::IoBound && (i.1, i.2) == (n.1, n.2) && same_size((i.3, i.4), (n.3, n.4))
        })
    });
    if paired {
        return None;
    }
    let list = |v: &[(usize, f64)]| {
        v.iter().map(|&(j, w)| format!("{j} jobs x {}", human_time(w))).collect::<Vec<_>>().join(", ")
    };
    Some(if io.iter().any(|&a| net.iter().any(|&b| same_size(a, b))) {
        "io_bound vs net_bound left out: no (strategy, workers) was measured on both at the same jobs and wait."
            .to_string()
    } else {
        format!(
            "io_bound vs net_bound left out: io_bound ran at {}, net_bound at {}; only the same jobs and wait \
             are compared.",
            list(&io),
            list(&net)
        )
    })
}

/// Why a `cvp run` file with both workloads has no io_bound vs net_bound pair (different jobs or waits), one
/// line; `None` when [`from_runs`] has pairs or a workload is missing.
pub fn unpaired_runs(runs: &[Run]) -> Option<String> {
    let rows: Vec<_> =
        runs.iter().map(|r| (r.workload, r.strategy, r.workers, r.jobs, r.wait_ms as f64 / 1e3)).collect();
    unpaired(&rows)
}

/// Why criterion's rows with both workloads have no io_bound vs net_bound pair, one line; `None` when
/// [`from_rows`] has pairs or a workload is missing.
pub fn unpaired_rows(rows: &[Row]) -> Option<String> {
    let rows: Vec<_> = rows
        .iter()
        .map(|r| (r.point.workload, r.point.strategy, r.point.workers, r.point.jobs, r.point.wait_s))
        .collect();
    unpaired(&rows)
}

impl NetPairs {
    /// The pairs of a `cvp run` file's runs.
    pub fn of_runs(runs: &[Run]) -> NetPairs {
        NetPairs { pairs: from_runs(runs), unpaired: unpaired_runs(runs) }
    }

    /// The pairs of criterion's rows, with what the `cvp run` file `run` adds.
    pub fn of_rows(rows: &[Row], run: Option<&RunFile>) -> NetPairs {
        NetPairs { pairs: from_rows(rows, run), unpaired: unpaired_rows(rows) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaling::Point;
    use crate::views::scaling::render::{net_markdown as markdown, net_text as text};

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
            cpu_ci_s: None,
            speedup: 1.0,
            cores_busy: 0.01,
            cores_busy_range: None,
            wall_ci_s: None,
            cores_busy_ci: None,
            repeats: 3,
            in_flight: 1.0,
            voluntary_switches: None,
            involuntary_switches: None,
            switches: None,
            switches_ci: None,
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
        assert_eq!(unpaired_runs(&runs), None, "it has a pair");
        assert_eq!(unpaired_runs(&runs[..2]), None, "no net_bound, nothing to explain");
    }

    fn sized(mut r: Run, jobs: usize, wait_ms: u64) -> Run {
        r.jobs = jobs;
        r.wait_ms = wait_ms;
        r
    }

    #[test]
    fn never_pairs_different_jobs_or_waits_and_says_why() {
        let io = sized(run(WorkloadKind::IoBound, StrategyKind::Async, 1, 0.002), 8, 2);
        let net = sized(run(WorkloadKind::NetBound, StrategyKind::Async, 1, 0.005), 4, 5);
        assert!(from_runs(&[io.clone(), net.clone()]).is_empty(), "8 x 2 ms vs 4 x 5 ms is no pair");
        let why = unpaired_runs(&[io.clone(), net.clone()]).unwrap();
        assert_eq!(
            why,
            "io_bound vs net_bound left out: io_bound ran at 8 jobs x 2.0 ms, net_bound at 4 jobs x 5.0 ms; only \
             the same jobs and wait are compared."
        );
        assert!(!why.contains('\n'));
        // Only the wait differs, or only the jobs: still no pair.
        assert!(from_runs(&[sized(io.clone(), 4, 2), net.clone()]).is_empty());
        assert!(from_runs(&[sized(io.clone(), 8, 5), net.clone()]).is_empty());
        // The same sizes pair; other sizes beside them are ignored.
        let io_4x5 = sized(run(WorkloadKind::IoBound, StrategyKind::Async, 1, 0.004), 4, 5);
        let pairs = from_runs(&[io.clone(), io_4x5.clone(), net.clone()]);
        assert_eq!(pairs.len(), 1);
        assert!((pairs[0].ratio() - 1.25).abs() < 1e-12, "paired with the 4 x 5 ms io_bound run");

        // Criterion's rows: the same rule.
        let row = |r: &Run| Row {
            point: Point {
                workload: r.workload,
                strategy: r.strategy,
                workers: r.workers,
                jobs: r.jobs,
                wait_s: r.wait_ms as f64 / 1e3,
                wall_s: r.wall_s,
                wall_range_s: None,
                cores_busy: None,
                cores_busy_range: None,
                cpu_s: None,
                cpu_range_s: None,
                switches: None,
                switches_range: None,
                one_wait_s: None,
                one_wait_range_s: None,
            },
            size: super::super::WorkloadSize { jobs: r.jobs, wait_ms: r.wait_ms, rounds: 0 },
            median_ns: r.wall_s * 1e9,
            ci_low_ns: r.wall_s * 1e9,
            ci_high_ns: r.wall_s * 1e9,
            speedup: None,
            efficiency: None,
            karp_flatt: None,
        };
        let rows = [row(&io), row(&net)];
        assert!(from_rows(&rows, None).is_empty());
        assert_eq!(unpaired_rows(&rows).as_deref(), Some(why.as_str()));
        let same = [row(&io), row(&io_4x5), row(&net)];
        assert_eq!(from_rows(&same, None).len(), 1);
        assert_eq!(unpaired_rows(&same), None);
    }
}
