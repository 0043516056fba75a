//! `cvp scale`'s measuring side: which (structure, J) cells run and which are skipped (before anything
//! starts), and the run itself: every cell `repeat` times in a fresh child process ([`super::child`]), with
//! the `--io socket` service around them, the children's reports folded into one row per cell.

use std::time::Duration;

use super::analysis::{C8_ROWS, derive};
use super::child::{self, ChildReport, run_child};
use super::{Io, Plan, Row, Structure};
use crate::claims::{C8_MIN_JOBS, MIN_SAMPLES_FOR_CI};
use crate::machine::limits::Limits;
use crate::strategy::StrategyKind;

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
                Io::Socket => limits.refuse_sockets(j, crate::workload::net::DEFAULT_SPREAD),
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

/// How many child runs each cell of `cells` gets: `repeat`, and at least [`MIN_SAMPLES_FOR_CI`] for the
/// rows that can decide C8 ([`C8_ROWS`] at every J >= [`C8_MIN_JOBS`] where neither is skipped): a 95%
/// interval for a median needs that many, and the verdict reads nothing else. A skipped cell gets none.
pub fn runs(cells: &[(Structure, usize, Option<String>)], repeat: usize) -> Vec<usize> {
    let runnable = |label: &str, j: usize| {
        cells.iter().any(|(s, n, skip)| s.label() == label && *n == j && skip.is_none())
    };
    cells
        .iter()
        .map(|(s, j, skip)| match skip {
            Some(_) => 0,
            None if *j >= C8_MIN_JOBS
                && C8_ROWS.contains(&s.label().as_str())
                && C8_ROWS.iter().all(|l| runnable(l, *j)) =>
            {
                repeat.max(MIN_SAMPLES_FOR_CI)
            }
            None => repeat.max(1),
        })
        .collect()
}

/// Runs the whole plan: every (structure, J) as often as [`runs`] says, in a fresh child, rounds in a shuffled order,
/// skipping what the limits or the budget rule out. `progress` gets a label before each child. With
/// `--io socket` one service ([`crate::workload::net::Server`], replying after the plan's wait) is started before
/// the first child and stopped after the last; its CPU time is read around each child. The only error is
/// a service that cannot be started.
pub fn run(
    structures: &[Structure],
    plan: &Plan,
    limits: &Limits,
    mut progress: impl FnMut(&str),
) -> std::io::Result<Vec<Row>> {
    let planned = cells(structures, plan, limits);
    let wanted = runs(&planned, plan.repeat);
    let rounds = wanted.iter().copied().max().unwrap_or(0);
    let mut cells: Vec<(Structure, usize, Option<String>, Vec<ChildReport>)> =
        planned.into_iter().map(|(s, j, skip)| (s, j, skip, Vec::new())).collect();
    // Room for the largest J's connections in the service's descriptor table before the first child, as
    // `cvp run` starts it: no child's requests pay for the table growing.
    let most = cells.iter().filter(|c| c.2.is_none()).map(|c| c.1).max();
    let server = match (plan.io, most) {
        (Io::Socket, Some(most)) => Some(crate::workload::net::Server::start_holding(
            std::path::Path::new("/proc/self/exe"),
            Duration::from_millis(plan.wait_ms),
            most,
        )?),
        _ => None,
    };
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos());
    let mut order: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].2.is_none()).collect();
    let mut rng = (seed as u64) | 1;
    for round in 0..rounds {
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            let (s, j, _, runs) = &mut cells[i];
            // A structure that already failed at this J is not started again.
            if round >= wanted[i] || runs.iter().any(|r| r.status != "ok") {
                continue;
            }
            progress(&format!("round {}/{} {} J={}", round + 1, wanted[i], s.label(), j));
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
    row.wall_runs_s = runs.iter().map(|r| r.wall_s).collect();
    // The median-wall run first in both lists (memory per wait is the median over all of them).
    let at = runs.iter().position(|r| std::ptr::eq(r, median)).unwrap_or(0);
    row.excess_bytes.rotate_left(at);
    row.wall_runs_s.rotate_left(at);
    row
}
