//! Text outputs: `cvp run`'s table and CSV, and the results folder's `scaling.csv` and generated README.

use std::fmt::Write as _;

use super::{NetPairs, Row, Run, RunFile, SideBySide};
use crate::claims::{Range, Verdict};
use crate::machine::Machine;
use crate::report::text::{Csv, CsvRow, aligned, human_time, opt};
use crate::report::{Figure, ReportError, plot};
use crate::scaling::OneWait;
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

pub(super) fn machine_line(m: &Machine) -> String {
    m.summary()
}

pub(super) fn one_wait_line(floors: &[OneWait]) -> Option<String> {
    let mut parts = Vec::new();
    for f in floors {
        let range = f
            .wall_range_s
            .map_or(String::new(), |(lo, hi)| format!(" [{} to {}]", human_time(lo), human_time(hi)));
        let whose = f.workload.map_or(String::new(), |w| format!("{w} "));
        let runtime = if f.workers > 1 { format!(" on {} workers", f.workers) } else { String::new() };
        parts.push(format!(
            "{whose}{}{runtime} {}{range} ({} ms nominal)",
            f.wait,
            human_time(f.wall_s),
            f.wait_ms
        ));
    }
    (!parts.is_empty())
        .then(|| format!("one wait measured alone (median [95% interval]): {}", parts.join(", ")))
}

/// What a control is, and which claims are (or have a part that is) one.
pub(super) fn control_legend() -> String {
    use crate::claims::{CLAIMS, Control};
    let parts: Vec<String> = CLAIMS
        .iter()
        .filter_map(|c| match c.control {
            Control::No => None,
            Control::Whole => Some(c.id.to_string()),
            Control::Part(part) => Some(format!("{} {part}", c.id)),
        })
        .collect();
    format!(
        "control: a claim the code's own structure guarantees, so it fails only through a measuring error; \
         controls here: {}",
        parts.join(", ")
    )
}

pub(super) fn capitalised(text: &str) -> String {
    let mut c = text.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// What a boundary line is ([`crate::claims::BOUNDARY`]).
pub(super) const BOUNDARY_LEGEND: &str = "boundary: a line beside C4, never its verdict: where the event loop is \
    busy, past the article's \"mostly waiting on I/O\", whether more workers help it";

/// Whether `verdicts` has a control ([`crate::claims::Control`]), so its legend is due.
pub(super) fn has_control(verdicts: &[Verdict]) -> bool {
    verdicts.iter().any(|v| !v.is_boundary() && v.label() != v.claim)
}

fn verdict_lines(verdicts: &[Verdict], cores: usize) -> String {
    let mut out = format!("verdicts (cores = {cores}):\n");
    if has_control(verdicts) {
        out += &format!("  ({})\n", control_legend());
    }
    if verdicts.iter().any(Verdict::is_boundary) {
        out += &format!("  ({BOUNDARY_LEGEND})\n");
    }
    let width = verdicts.iter().map(|v| v.label().chars().count()).max().unwrap_or(2);
    for v in verdicts {
        let _ = writeln!(out, "  {:<width$}  {:<20}  {}", v.label(), v.verdict.to_string(), v.statement);
        let _ = writeln!(out, "      {}", v.evidence);
    }
    out
}

/// The table `cvp run` prints: one row per configuration, then the verdicts.
pub fn run_table(file: &RunFile, pairs: &NetPairs) -> String {
    let plan = &file.config;
    let sizes: Vec<String> = plan
        .workloads
        .iter()
        .map(|&w| match plan.workload(w) {
            // Its one job's rounds are not the plan's per-job rounds: cpu_bound's J x R.
            chain if w == WorkloadKind::CpuChain => format!("{w} {} ({} rounds)", chain.jobs, chain.rounds),
            other => format!("{w} {}", other.jobs),
        })
        .collect();
    let mut size = format!("jobs: {}", sizes.join(", "));
    if plan.workloads.iter().any(|&w| plan.workload(w).rounds > 0) {
        size += &format!("; rounds {}", plan.rounds);
    }
    if plan.workloads.iter().any(|&w| !plan.workload(w).wait.is_zero()) {
        size += &format!("; wait {} ms", plan.wait_ms);
    }
    let mut out = format!(
        "machine: {}\n{size}; median of each row's timed rounds (the rounds column), configurations in shuffled \
         order\n",
        machine_line(&file.machine),
    );
    if let Some(line) = one_wait_line(&file.one_wait) {
        out += &line;
        out += "\n";
    }
    out += "\n";
    let rows: Vec<Vec<String>> = file
        .runs
        .iter()
        .map(|r| {
            vec![
                r.workload.to_string(),
                r.strategy.to_string(),
                r.workers.to_string(),
                r.strategy.runtime(r.workers).unwrap_or("-").to_string(),
                human_time(r.wall_s),
                r.wall_ci_s
                    .map_or("-".into(), |(lo, hi)| format!("{} to {}", human_time(lo), human_time(hi))),
                format!("{} – {}", human_time(r.wall_min_s), human_time(r.wall_max_s)),
                r.repeats.to_string(),
                format!("{:.2}x", r.speedup),
                format!("{:.2}", r.cores_busy),
                if r.wait_ms == 0 {
                    "-".into()
                } else if r.strategy == StrategyKind::AsyncMulti {
                    // No floor is measured on its runtime (`Point::with_one_wait`).
                    format!("{:.1} (nominal wait)", r.in_flight)
                } else {
                    format!("{:.1}", r.in_flight)
                },
                opt(r.server_cores_busy, |v| format!("{v:.3}")),
                format!(
                    "{} / {}",
                    opt(r.voluntary_switches.map(|v| v as f64), |v| format!("{v:.0}")),
                    opt(r.involuntary_switches.map(|v| v as f64), |v| format!("{v:.0}"))
                ),
            ]
        })
        .collect();
    out += &aligned(
        &[
            "workload",
            "strategy",
            "workers",
            "runtime",
            "wall",
            "95% interval",
            "min – max",
            "rounds",
            "speedup",
            "cores busy",
            "in flight",
            "server busy",
            "switches vol / invol",
        ],
        &rows,
        2,
    );
    out += "\nwall: median of the rounds; 95% interval: the distribution-free 95% interval of that median (binomial \
            order statistics of the rounds, at least 95% coverage; none below 6 rounds), the only interval the \
            verdicts test; min – max: the fastest and slowest round, shown only; speedup: over sequential; cores busy: CPU time / wall \
            (parallelism, this process only); in flight: jobs x one measured wait / wall (concurrency); server busy: \
            net_bound's service (a child process) CPU time / wall, never in cores busy\n\
            switches: context switches of the process per round, each the median over the rounds; voluntary = a \
            thread blocked (sleep, join), involuntary = the OS preempted a runnable thread (time slicing)\n\
            runtime: the tokio runtime the jobs wait on: current_thread = one event loop (async/1, async_offload's \
            loop), multi_thread = tokio's work-stealing workers (async/N at 2 or more, and async_multi/1: the same \
            scheduler with one worker, C4's baseline; no one-wait floor is measured on its runtime: its in flight \
            is against the nominal wait)\n\n";
    if !run_figures(file).is_empty() {
        out += RUN_VS_SCALE;
        out += "\n\n";
    }
    if let Some(table) = net_text(&pairs.pairs) {
        out += &table;
        out += "\n";
        out += NET_LEGEND;
        out += "\n\n";
    } else if let Some(why) = pairs.unpaired.clone() {
        out += &why;
        out += "\n\n";
    }
    out += &verdict_lines(&file.verdicts, file.machine.usable_cores());
    out
}

/// `cvp run --format csv`: one header line, one line per run.
pub fn run_csv(runs: &[Run]) -> String {
    let mut out = String::from(
        "workload,strategy,workers,jobs,wait_ms,rounds,wall_s,cpu_s,speedup,cores_busy,in_flight,digest,wall_min_s,wall_max_s,voluntary_switches,involuntary_switches,server_cpu_s,server_cores_busy,socket_only_s,timed_rounds,wall_ci_low_s,wall_ci_high_s,cores_busy_ci_low,cores_busy_ci_high,runtime,cpu_ci_low_s,cpu_ci_high_s,switches,switches_ci_low,switches_ci_high\n",
    );
    for r in runs {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{:.6},{:.6},{:.4},{:.4},{:.4},{},{:.6},{:.6},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.workload,
            r.strategy,
            r.workers,
            r.jobs,
            r.wait_ms,
            r.rounds,
            r.wall_s,
            r.cpu_s,
            r.speedup,
            r.cores_busy,
            r.in_flight,
            r.digest,
            r.wall_min_s,
            r.wall_max_s,
            r.voluntary_switches.map_or(String::new(), |v| v.to_string()),
            r.involuntary_switches.map_or(String::new(), |v| v.to_string()),
            r.server_cpu_s.map_or(String::new(), |v| format!("{v:.6}")),
            r.server_cores_busy.map_or(String::new(), |v| format!("{v:.4}")),
            r.socket_only_s.map_or(String::new(), |v| format!("{v:.6}")),
            r.repeats,
            r.wall_ci_s.map_or(String::new(), |(lo, _)| format!("{lo:.6}")),
            r.wall_ci_s.map_or(String::new(), |(_, hi)| format!("{hi:.6}")),
            r.cores_busy_ci.map_or(String::new(), |(lo, _)| format!("{lo:.4}")),
            r.cores_busy_ci.map_or(String::new(), |(_, hi)| format!("{hi:.4}")),
            r.strategy.runtime(r.workers).unwrap_or(""),
            r.cpu_ci_s.map_or(String::new(), |(lo, _)| format!("{lo:.6}")),
            r.cpu_ci_s.map_or(String::new(), |(_, hi)| format!("{hi:.6}")),
            r.switches.map_or(String::new(), |v| format!("{v:.1}")),
            r.switches_ci.map_or(String::new(), |(lo, _)| format!("{lo:.1}")),
            r.switches_ci.map_or(String::new(), |(_, hi)| format!("{hi:.1}"))
        );
    }
    out
}

/// The header of `scaling.csv`.
pub const SCALING_HEADER: &str = "workload,strategy,workers,median_ns,ci_low_ns,ci_high_ns,speedup,efficiency,karp_flatt,jobs,wait_ms,rounds";

/// The header `cvp report` wrote before the size columns existed (still read by `cvp compare`).
pub const SCALING_HEADER_V1: &str =
    "workload,strategy,workers,median_ns,ci_low_ns,ci_high_ns,speedup,efficiency,karp_flatt";

/// `scaling.csv`: one line per benchmark; an empty cell where a value is undefined.
pub fn scaling_csv(rows: &[Row]) -> String {
    let mut out = format!("{SCALING_HEADER}\n");
    let num = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.4}"));
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{:.0},{:.0},{:.0},{},{},{},{},{},{}",
            r.point.workload,
            r.point.strategy,
            r.point.workers,
            r.median_ns,
            r.ci_low_ns,
            r.ci_high_ns,
            num(r.speedup),
            num(r.efficiency),
            num(r.karp_flatt),
            r.size.jobs,
            r.size.wait_ms,
            r.size.rounds
        );
    }
    out
}

/// One series per strategy: (workers, y) pairs sorted by workers.
fn series(
    rows: &[Row],
    workload: WorkloadKind,
    y: impl Fn(&Row) -> Option<f64>,
) -> Vec<(StrategyKind, Vec<(f64, f64)>)> {
    StrategyKind::ALL
        .into_iter()
        .filter_map(|s| {
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.point.workload == workload && r.point.strategy == s)
                .filter_map(|r| y(r).filter(|v| *v > 0.0).map(|v| (r.point.workers as f64, v)))
                .collect();
            (!pts.is_empty()).then_some((s, pts))
        })
        .collect()
}

/// Speedup over sequential vs workers, one line per strategy, the ideal line and the core count.
pub fn speedup_plot(rows: &[Row], workload: WorkloadKind, cores: usize) -> Result<String, ReportError> {
    let lines = series(rows, workload, |r| r.speedup);
    plot::workers(&format!("{workload}: speedup over sequential"), "speedup (log scale)", &lines, cores, true)
}

/// Median time vs workers, one line per strategy (ms).
pub fn time_plot(rows: &[Row], workload: WorkloadKind, cores: usize) -> Result<String, ReportError> {
    let lines = series(rows, workload, |r| Some(r.median_ns / 1e6));
    plot::workers(&format!("{workload}: time per run"), "median time, ms (log scale)", &lines, cores, false)
}

const NET_HEADER: [&str; 9] = [
    "strategy",
    "workers",
    "io_bound wall",
    "net_bound wall",
    "net / io",
    "cores busy io / net",
    "server cores busy",
    "W=0 wall / J",
    "server CPU / request",
];

fn net_cells(p: &SideBySide) -> Vec<String> {
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

/// The one line `cvp run`'s table adds about the same figure in `cvp scale --io socket`.
pub const RUN_VS_SCALE: &str = "net_bound async/N's wall over its one request alone is the figure `cvp scale --io \
socket` shows as requests for async/N at the same J: the same request code, service and settings (room for every \
connection made before timing), but one warm process for all rounds here and a fresh child per run there; both \
move with the machine's load and with whether client and service share a CPU, so read them side by side from one \
window (`cvp report` puts them beside each other and flags them more than 2x apart)";

/// What `cvp report` may put beside another view's value of the same quantity: each net_bound async/N row's
/// wall over its one request measured alone on the same runtime, the fastest and slowest round beside it:
/// the figure `cvp scale --io socket` shows as requests ([`Figure::requests`]).
pub fn run_figures(file: &RunFile) -> Vec<Figure> {
    file.runs
        .iter()
        .zip(file.points())
        .filter(|(r, _)| {
            r.workload == WorkloadKind::NetBound && r.strategy == StrategyKind::Async && r.wait_ms > 0
        })
        .filter_map(|(r, p)| {
            let one = p.one_wait_s.filter(|&s| s > 0.0)?;
            let range = (r.repeats > 1).then(|| (r.wall_min_s / one, r.wall_max_s / one));
            Some(Figure::requests(
                &format!("async/{}", r.workers),
                r.jobs,
                r.wait_ms,
                r.wall_s / one,
                range,
                format!("`cvp run` (one warm process, median of {} rounds)", r.repeats),
            ))
        })
        .collect()
}

/// What the columns mean, one paragraph.
pub const NET_LEGEND: &str = "net / io: net_bound's wall over io_bound's at the same jobs J and the same W (each wait a \
    request over loopback TCP to a service that replies after W instead of a sleep of W). cores busy: the \
    client's CPU time / wall (this process's own clock; the service is another process and is not in it). \
    server cores busy: the service's CPU time / the same wall, read from its CPU clock right before and after \
    each run. W=0 wall / J: net_bound's wall at W = 0 (a service that replies at once, in the same rounds) over \
    the jobs: a whole request's cost in that structure, the socket's round trip plus the structure's own \
    per-job cost (a thread spawn for thread_per_job); where requests overlap (async, threads) it is throughput \
    (wall / J), not one request's latency. server CPU / request: the service's CPU time over the jobs.";

/// The plain-text table (`cvp run`), `None` without pairs.
pub fn net_text(pairs: &[SideBySide]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let rows: Vec<Vec<String>> = pairs.iter().map(net_cells).collect();
    Some(format!("io_bound vs net_bound:\n{}", aligned(&NET_HEADER, &rows, 2)))
}

/// The Markdown table (the results folder's README), `None` without pairs.
pub fn net_markdown(pairs: &[SideBySide]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let mut s = format!("| {} |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n", NET_HEADER.join(" | "));
    for p in pairs {
        let _ = writeln!(s, "| {} |", net_cells(p).join(" | "));
    }
    Some(s)
}

/// For the page across records: `workload`'s best speedup over `sequential` at each worker count (the best
/// of the strategies there, by median), with every ratio the two medians' 95% intervals allow, from the text
/// of a results folder's `scaling.csv`. `thread_per_job` is left out: its N is the job count, not a worker
/// count chosen (the plots draw it as a level for the same reason). `Err` says why it cannot be read.
pub fn best_speedups(csv: &str, workload: WorkloadKind) -> Result<Vec<(usize, Range)>, String> {
    let csv = Csv::parse(csv, &["workload", "strategy", "workers", "median_ns", "ci_low_ns", "ci_high_ns"])
        .ok_or(
        "it has not the columns `cvp report` writes (workload, strategy, workers, median_ns, ...)",
    )?;
    let median = |r: &CsvRow| {
        let (m, lo, hi) = (r.num("median_ns")?, r.num("ci_low_ns")?, r.num("ci_high_ns")?);
        (m > 0.0 && lo > 0.0).then(|| Range::of(m, Some((lo, hi))))
    };
    let rows: Vec<CsvRow> = csv.rows().filter(|r| r.get("workload") == workload.as_str()).collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let sequential = rows
        .iter()
        .find(|r| r.get("strategy") == StrategyKind::Sequential.as_str())
        .and_then(median)
        .ok_or_else(|| format!("it has {workload} rows but no {workload}/sequential row with a median"))?;
    let mut best: Vec<(usize, Range)> = Vec::new();
    let swept = |r: &&CsvRow| {
        ![StrategyKind::Sequential.as_str(), StrategyKind::ThreadPerJob.as_str()].contains(&r.get("strategy"))
    };
    for r in rows.iter().filter(swept) {
        let (Some(n), Some(m)) = (r.get("workers").parse::<usize>().ok(), median(r)) else { continue };
        let speedup = sequential / m;
        match best.iter_mut().find(|(k, _)| *k == n) {
            Some((_, b)) if b.mid >= speedup.mid => {}
            Some((_, b)) => *b = speedup,
            None => best.push((n, speedup)),
        }
    }
    best.sort_by_key(|(n, _)| *n);
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "workload,strategy,workers,median_ns,ci_low_ns,ci_high_ns\n";

    #[test]
    fn best_speedups_take_the_best_strategy_at_each_worker_count_with_its_interval() {
        let csv = format!(
            "{HEAD}cpu_bound,sequential,1,100,90,110\ncpu_bound,threads,2,60,55,66\ncpu_bound,rayon,2,50,45,55\n\
             cpu_bound,thread_per_job,128,20,19,21\ncpu_bound,async,1,100,95,105\nio_bound,sequential,1,9,9,9\n"
        );
        let best = best_speedups(&csv, WorkloadKind::CpuBound).unwrap();
        let ns: Vec<usize> = best.iter().map(|(n, _)| *n).collect();
        assert_eq!(ns, [1, 2], "thread_per_job's N is its job count: left out");
        let (lo, mid, hi) = (best[1].1.lo, best[1].1.mid, best[1].1.hi);
        assert_eq!(mid, 2.0, "rayon's 50 beats threads' 60");
        assert!((lo - 90.0 / 55.0).abs() < 1e-9 && (hi - 110.0 / 45.0).abs() < 1e-9, "{lo} {hi}");
        assert!(best_speedups(&csv, WorkloadKind::Mixed).unwrap().is_empty(), "no rows: nothing measured");
        let no_sequential = format!("{HEAD}cpu_bound,threads,2,60,55,66\n");
        assert!(best_speedups(&no_sequential, WorkloadKind::CpuBound).unwrap_err().contains("sequential"));
        assert!(best_speedups("a,b\n1,2\n", WorkloadKind::CpuBound).unwrap_err().contains("columns"));
    }
}
