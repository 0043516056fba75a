//! Text outputs: `cvp run`'s table and CSV, and the results folder's `scaling.csv` and generated README.

use std::fmt::Write as _;
use std::path::Path;

use super::{Report, Row, RunFile, SizeSource};
use crate::analysis::Verdict;
use crate::machine::Machine;
use crate::sweep::Run;
use crate::workload::WorkloadKind;

/// A duration in seconds, in a unit that keeps 3-4 significant digits.
pub fn human_time(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".into(), f)
}

/// Left-aligns text columns and right-aligns numeric ones (all but the first `text_cols`).
fn aligned(header: &[&str], rows: &[Vec<String>], text_cols: usize) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| if i < text_cols { format!("{c:<w$}") } else { format!("{c:>w$}") })
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.iter().map(|s| s.to_string()).collect());
    out += &line(widths.iter().map(|&w| "-".repeat(w)).collect());
    for r in rows {
        out += &line(r.clone());
    }
    out
}

fn machine_line(m: &Machine) -> String {
    format!(
        "{}, {} usable core(s) (available parallelism; {} logical, {} physical)",
        m.cpu_model,
        m.usable_cores(),
        m.logical_cpus,
        m.physical_cpus
    )
}

fn verdict_lines(verdicts: &[Verdict], cores: usize) -> String {
    let mut out = format!("verdicts (cores = {cores}):\n");
    for v in verdicts {
        let _ = writeln!(out, "  {}  {:<20}  {}", v.claim, v.verdict.to_string(), v.statement);
        let _ = writeln!(out, "      {}", v.evidence);
    }
    out
}

/// The table `cvp run` prints: one row per configuration, then the verdicts.
pub fn run_table(file: &RunFile) -> String {
    let plan = &file.config;
    let sizes: Vec<String> =
        plan.workloads.iter().map(|&w| format!("{w} {}", plan.workload(w).jobs)).collect();
    let mut out = format!(
        "machine: {}\njobs: {}; rounds {}; wait {} ms; median of {} run(s) each\n\n",
        machine_line(&file.machine),
        sizes.join(", "),
        plan.rounds,
        plan.wait_ms,
        plan.repeat
    );
    let rows: Vec<Vec<String>> = file
        .runs
        .iter()
        .map(|r| {
            vec![
                r.workload.to_string(),
                r.strategy.to_string(),
                r.workers.to_string(),
                human_time(r.wall_s),
                format!("{:.2}x", r.speedup),
                format!("{:.2}", r.cores_busy),
                if r.wait_ms == 0 { "-".into() } else { format!("{:.1}", r.in_flight) },
            ]
        })
        .collect();
    out += &aligned(
        &["workload", "strategy", "workers", "wall", "speedup", "cores busy", "in flight"],
        &rows,
        2,
    );
    out += "\nspeedup: over sequential; cores busy: CPU time / wall (parallelism); in flight: jobs x wait / wall (concurrency)\n\n";
    out += &verdict_lines(&file.verdicts, file.machine.usable_cores());
    out
}

/// `cvp run --format csv`: one header line, one line per run.
pub fn run_csv(runs: &[Run]) -> String {
    let mut out = String::from(
        "workload,strategy,workers,jobs,wait_ms,rounds,wall_s,cpu_s,speedup,cores_busy,in_flight,digest\n",
    );
    for r in runs {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{:.6},{:.6},{:.4},{:.4},{:.4},{}",
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
            r.digest
        );
    }
    out
}

/// The header of `scaling.csv`.
pub const SCALING_HEADER: &str =
    "workload,strategy,workers,median_ns,ci_low_ns,ci_high_ns,speedup,efficiency,karp_flatt";

/// `scaling.csv`: one line per benchmark; an empty cell where a value is undefined.
pub fn scaling_csv(rows: &[Row]) -> String {
    let mut out = format!("{SCALING_HEADER}\n");
    let num = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.4}"));
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{:.0},{:.0},{:.0},{},{},{}",
            r.point.workload,
            r.point.strategy,
            r.point.workers,
            r.median_ns,
            r.ci_low_ns,
            r.ci_high_ns,
            num(r.speedup),
            num(r.efficiency),
            num(r.karp_flatt)
        );
    }
    out
}

/// What the README says about where its numbers came from.
pub struct ReadmeContext<'a> {
    /// The `cvp report` command line.
    pub command: &'a str,
    /// criterion's folder.
    pub criterion_dir: &'a Path,
    /// The baseline read.
    pub baseline: &'a str,
    /// The `cvp run` file, if one was given, and its path.
    pub run: Option<&'a RunFile>,
    /// Where the run file was read from.
    pub run_path: Option<&'a Path>,
    /// Where each workload's size came from.
    pub sizes: &'a [(WorkloadKind, SizeSource)],
    /// `reference/bare_loop/cpu_bound`, if measured.
    pub bare_loop_ns: Option<f64>,
}

/// The generated `README.md` of a results folder.
pub fn readme(report: &Report, ctx: &ReadmeContext) -> String {
    let m = &report.machine;
    let cores = m.usable_cores();
    let mut s = String::from(
        "<!-- Generated by `cvp report`: edit the command below and rerun it, not this file. -->\n",
    );
    let _ = writeln!(s, "# Results: {}, {} usable cores, {}\n", m.cpu_model, cores, report.date);
    s += "One run on one machine. A benchmark run is never enough: rerun it, compare (`cvp compare`), and \
          distrust any difference smaller than the confidence intervals.\n\n";
    s += "## How these numbers were made\n\n```sh\ncargo bench";
    let _ = writeln!(s, "                      # criterion data, baseline `{}`", ctx.baseline);
    if let Some(path) = ctx.run_path {
        let _ = writeln!(
            s,
            "cvp run --format json --output {} # CPU time, cores busy, in flight",
            path.display()
        );
    }
    let _ = writeln!(s, "{}\n```\n", ctx.command);
    let _ = writeln!(s, "criterion folder: `{}`.", ctx.criterion_dir.display());
    for (w, src) in ctx.sizes {
        let (size, from) = match src {
            SizeSource::Recorded(x) => (x, "recorded by the bench"),
            SizeSource::RunFile(x) => (x, "from the run file: the bench recorded none"),
            SizeSource::Assumed(x) => (x, "ASSUMED: the default, since nothing was recorded"),
        };
        let _ = writeln!(
            s,
            "- `{w}`: {} jobs, wait {} ms, {} rounds ({from}).",
            size.jobs, size.wait_ms, size.rounds
        );
        if let Some(run) = ctx.run.filter(|r| r.config.workloads.contains(w)) {
            let theirs = super::WorkloadSize::of(&run.config.workload(*w));
            if theirs != *size {
                let _ = writeln!(
                    s,
                    "  WARNING: the `cvp run` file ran `{w}` with {} jobs, wait {} ms, {} rounds: its cores busy \
                     and in flight describe another size than criterion's times.",
                    theirs.jobs, theirs.wait_ms, theirs.rounds
                );
            }
        }
    }
    s += "\n## Machine\n\n| | |\n|---|---|\n";
    let rows = [
        ("cpu model", m.cpu_model.clone()),
        ("logical / physical cpus", format!("{} / {}", m.logical_cpus, m.physical_cpus)),
        ("available parallelism (used as cores)", m.available_parallelism.to_string()),
        ("affinity cpus", m.affinity_cpus.map_or("unknown".into(), |a| a.to_string())),
        ("cgroup cpu quota", m.cgroup_cpu_quota.map_or("unlimited".into(), |q| format!("{q:.2} cores"))),
        ("os / kernel", format!("{} / {}", m.os, m.kernel.as_deref().unwrap_or("unknown"))),
        ("rustc", m.rustc.clone()),
        ("cvp", format!("{} ({})", m.cvp_version, m.git_commit.as_deref().unwrap_or("commit unknown"))),
    ];
    for (k, v) in rows {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    s += "\n## Scaling\n\nmedian: criterion's median time per run, with its 95% confidence interval. relative: time over \
          the fastest row of the workload (`1.00x` = fastest). speedup: sequential time / time. efficiency: speedup / \
          min(workers, cores). Karp-Flatt: experimentally determined serial fraction (negative: faster than the cores \
          can explain, i.e. the gain is concurrency, not parallelism).";
    if ctx.run.is_some() {
        s += " cores busy and in flight come from the `cvp run` file (criterion measures no CPU time).";
    }
    s += "\n";
    for w in WorkloadKind::ALL {
        let rows: Vec<&Row> = report.rows.iter().filter(|r| r.point.workload == w).collect();
        if rows.is_empty() {
            continue;
        }
        let fastest = rows.iter().map(|r| r.median_ns).fold(f64::INFINITY, f64::min);
        let _ = writeln!(s, "\n### {w}\n\n![speedup of {w}](speedup_{w}.svg)\n");
        s += "| strategy | workers | median | 95% CI | relative | speedup | efficiency | Karp-Flatt | cores busy | in flight |\n";
        s += "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
        for r in rows {
            let p = &r.point;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} – {} | {:.2}x | {} | {} | {} | {} | {} |",
                p.strategy,
                p.workers,
                human_time(r.median_ns / 1e9),
                human_time(r.ci_low_ns / 1e9),
                human_time(r.ci_high_ns / 1e9),
                r.median_ns / fastest,
                opt(r.speedup, |x| format!("{x:.2}x")),
                opt(r.efficiency, |x| format!("{x:.2}")),
                opt(r.karp_flatt, |x| format!("{x:.3}")),
                opt(p.cores_busy, |x| format!("{x:.2}")),
                if p.wait_s == 0.0 { "-".into() } else { format!("{:.1}", p.in_flight()) },
            );
        }
        if w == WorkloadKind::IoBound {
            s += "\n![time of io_bound](time_io_bound.svg)\n";
        }
    }
    if let (Some(bare), Some(seq)) = (
        ctx.bare_loop_ns,
        report.rows.iter().find(|r| {
            r.point.workload == WorkloadKind::CpuBound && r.point.strategy == crate::StrategyKind::Sequential
        }),
    ) {
        let _ = writeln!(
            s,
            "\nThe `sequential` strategy costs {:+.1}% over a bare loop over the same jobs \
             (`reference/bare_loop/cpu_bound`: {}).",
            (seq.median_ns / bare - 1.0) * 100.0,
            human_time(bare / 1e9)
        );
    }
    s += "\n## Fits\n\nLeast squares; see `src/analysis.rs`. Amdahl uses p = min(workers, cores); the USL uses \
          N = workers and each strategy's own 1-worker time. A negative serial fraction or sigma means the line \
          scales better than cores allow: the work overlaps waits rather than computing in parallel.\n\n";
    s += "| workload | strategy | workers | Amdahl serial fraction | USL sigma | USL kappa | USL peak at |\n";
    s += "|---|---|---|--:|--:|--:|--:|\n";
    for f in &report.fits {
        let counts: Vec<String> = f.worker_counts.iter().map(|n| n.to_string()).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            f.workload,
            f.strategy,
            counts.join(", "),
            opt(f.amdahl_serial_fraction, |x| format!("{x:.3}")),
            opt(f.usl.map(|u| u.sigma), |x| format!("{x:.4}")),
            opt(f.usl.map(|u| u.kappa), |x| format!("{x:.5}")),
            f.usl.and_then(|u| u.peak_workers).map_or("no peak".into(), |x| format!("{x:.1} workers")),
        );
    }
    s += "\n## Verdicts on the claims\n\nThe criteria are in `cvp run --help` and the top-level README; \
          every verdict follows from the numbers above.\n\n| claim | verdict | evidence |\n|---|---|---|\n";
    for v in &report.verdicts {
        let _ = writeln!(s, "| {} {} | **{}** | {} |", v.claim, v.statement, v.verdict, v.evidence);
    }
    if let Some(run) = ctx.run {
        let agree: Vec<&str> = run
            .verdicts
            .iter()
            .zip(&report.verdicts)
            .filter(|(a, b)| a.verdict != b.verdict)
            .map(|(a, _)| a.claim.as_str())
            .collect();
        if !agree.is_empty() {
            let _ = writeln!(
                s,
                "\n`cvp run`'s own verdicts differ on {} (its walls are medians of a few runs, not criterion's).",
                agree.join(", ")
            );
        }
    }
    let _ = writeln!(
        s,
        "\nFiles: `scaling.csv` (the tables above, machine-readable), `machine.json` (`cvp machine --json`), \
         `speedup_<workload>.svg`, `time_io_bound.svg`{}. Cores used throughout: {cores}.",
        if ctx.run.is_some() { ", `run.json` (the `cvp run` file)" } else { "" }
    );
    s
}
