//! Text outputs: `cvp run`'s table and CSV, and the results folder's `scaling.csv` and generated README.

use std::fmt::Write as _;
use std::path::Path;

use super::{Invocation, NetPairs, Provenances, Report, Row, Run, RunFile, SideBySide, SizeSource};
use crate::claims::{NET_LABEL, Verdict};
use crate::machine::Machine;
use crate::report::text::{aligned, human_time, opt, shell_word};
use crate::report::{ReportError, civil_date, plot};
use crate::scaling::{self, OneWait};
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

fn machine_line(m: &Machine) -> String {
    m.summary()
}

fn one_wait_line(floors: &[OneWait]) -> Option<String> {
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
fn control_legend() -> String {
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

fn capitalised(text: &str) -> String {
    let mut c = text.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// A verdict's claim as the tables show it: `C6 (control)` for a control ([`crate::claims::Control`]).
fn label(id: &str) -> String {
    crate::claims::CLAIMS.iter().find(|c| c.id == id).map_or(id.to_string(), |c| c.label())
}

fn verdict_lines(verdicts: &[Verdict], cores: usize) -> String {
    let mut out = format!("verdicts (cores = {cores}):\n");
    if verdicts.iter().any(|v| label(&v.claim) != v.claim) {
        out += &format!("  ({})\n", control_legend());
    }
    let width = verdicts.iter().map(|v| label(&v.claim).chars().count()).max().unwrap_or(2);
    for v in verdicts {
        let _ =
            writeln!(out, "  {:<width$}  {:<20}  {}", label(&v.claim), v.verdict.to_string(), v.statement);
        let _ = writeln!(out, "      {}", v.evidence);
    }
    out
}

/// The table `cvp run` prints: one row per configuration, then the verdicts.
pub fn run_table(file: &RunFile, pairs: &NetPairs) -> String {
    let plan = &file.config;
    let sizes: Vec<String> =
        plan.workloads.iter().map(|&w| format!("{w} {}", plan.workload(w).jobs)).collect();
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
                human_time(r.wall_s),
                r.wall_ci_s
                    .map_or("-".into(), |(lo, hi)| format!("{} to {}", human_time(lo), human_time(hi))),
                format!("{} – {}", human_time(r.wall_min_s), human_time(r.wall_max_s)),
                r.repeats.to_string(),
                format!("{:.2}x", r.speedup),
                format!("{:.2}", r.cores_busy),
                if r.wait_ms == 0 { "-".into() } else { format!("{:.1}", r.in_flight) },
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
            thread blocked (sleep, join), involuntary = the OS preempted a runnable thread (time slicing)\n\n";
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
        "workload,strategy,workers,jobs,wait_ms,rounds,wall_s,cpu_s,speedup,cores_busy,in_flight,digest,wall_min_s,wall_max_s,voluntary_switches,involuntary_switches,server_cpu_s,server_cores_busy,socket_only_s,timed_rounds,wall_ci_low_s,wall_ci_high_s,cores_busy_ci_low,cores_busy_ci_high\n",
    );
    for r in runs {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{:.6},{:.6},{:.4},{:.4},{:.4},{},{:.6},{:.6},{},{},{},{},{},{},{},{},{},{}",
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
            r.cores_busy_ci.map_or(String::new(), |(_, hi)| format!("{hi:.4}"))
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
    /// Sizes, bench invocations and assumptions.
    pub provenance: &'a Provenances,
    /// `reference/bare_loop/cpu_bound` (median, CI low, CI high), if measured.
    pub bare_loop: Option<(f64, f64, f64)>,
    /// The run file's C1..C6 judged again by this build from its own rows (never the verdicts stored in it,
    /// which an older build may have judged by older rules).
    pub run_verdicts: Option<Vec<Verdict>>,
}

/// The `cargo bench` command the records describe: `CVP_*` values, bench targets, criterion's arguments.
fn bench_command(i: &Invocation) -> String {
    let mut words: Vec<String> = i.env.iter().map(|(k, v)| format!("{k}={}", shell_word(v))).collect();
    let args: Vec<&String> = i.args.iter().filter(|a| *a != "--bench").collect();
    if i.runner == "direct" {
        // The executables themselves (a kit's run.sh runs each with --bench).
        let env = words.join(" ");
        let lines: Vec<String> = i
            .benches
            .iter()
            .map(|b| {
                let mut w = vec![env.clone(), format!("benches/{}", shell_word(b)), "--bench".into()];
                w.extend(args.iter().map(|a| shell_word(a)));
                w.retain(|x| !x.is_empty());
                w.join(" ")
            })
            .collect();
        let secs = i.started_unix_s;
        return format!(
            "{}   # bench executables run directly (a kit's run.sh), profile {}, started {} {:02}:{:02} UTC",
            lines.join(" && "),
            i.profile,
            civil_date((secs / 86_400) as i64),
            secs % 86_400 / 3600,
            secs % 3600 / 60
        );
    }
    words.push("cargo bench".into());
    let all = ["cpu_bound", "io_bound", "mixed"].iter().all(|b| i.benches.iter().any(|x| x == b));
    if !all {
        for b in &i.benches {
            words.push(format!("--bench {}", shell_word(b)));
        }
    }
    if !args.is_empty() {
        words.push("--".into());
        words.extend(args.iter().map(|a| shell_word(a)));
    }
    let secs = i.started_unix_s;
    let time = format!(
        "{} {:02}:{:02} UTC",
        civil_date((secs / 86_400) as i64),
        secs % 86_400 / 3600,
        secs % 3600 / 60
    );
    format!("{}   # profile {}, started {time}", words.join(" "), i.profile)
}

fn fit_cell(points_above_one: usize, need: usize) -> String {
    format!("too few points: {points_above_one} (needs {need})")
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
    s += "## How these numbers were made\n\n";
    if ctx.provenance.benches.is_empty() {
        let _ = writeln!(
            s,
            "Measured on: ASSUMED to be {} (--assume-this-machine; nothing recorded it).",
            m.summary()
        );
    } else {
        let _ = writeln!(s, "Measured on: {} (from the records beside criterion's data).", m.summary());
    }
    // The build that wrote this report (it may differ from the one that measured: a report can be made again
    // from the same data by a newer `cvp report`).
    let by = report
        .reporter
        .git_commit
        .as_deref()
        .map_or(String::new(), |c| format!(" by the build at commit {c}"));
    if report.reporter.same_hardware(m) {
        let _ = writeln!(s, "Reported on: the same machine{by}.\n");
    } else {
        let _ = writeln!(
            s,
            "Reported on: {}, another machine{by}; every core count here is the measuring machine's.\n",
            report.reporter.summary()
        );
    }
    s += "The commands, as the benches and `cvp run` recorded them:\n\n```sh\n";
    for i in &ctx.provenance.benches {
        let _ = writeln!(s, "{}", bench_command(i));
    }
    if ctx.provenance.benches.is_empty() {
        s += "cargo bench   # not recorded: see the warning below\n";
    }
    if let Some(run) = ctx.run {
        if run.command.is_empty() {
            let _ = writeln!(
                s,
                "# {}: made by a `cvp run` that did not record its command",
                ctx.run_path.map_or("run file".into(), |p| p.display().to_string())
            );
        } else {
            let words: Vec<String> = run.command.iter().map(|w| shell_word(w)).collect();
            let _ = writeln!(s, "{}", words.join(" "));
        }
    }
    let _ = writeln!(s, "{}\n```\n", ctx.command);
    let _ = writeln!(s, "criterion folder: `{}`, baseline `{}`.", ctx.criterion_dir.display(), ctx.baseline);
    for (w, src) in &ctx.provenance.sizes {
        let (size, from) = match src {
            SizeSource::Recorded(x) => (x, "recorded beside every benchmark, checked against its data"),
            SizeSource::Assumed(x) => (x, "ASSUMED from the current CVP_* values (--assume-this-machine)"),
        };
        let _ = writeln!(s, "- `{w}`: {size} ({from}).");
    }
    if let Some(line) = one_wait_line(&report.one_wait) {
        let _ = writeln!(s, "- {line}: the wait Little's law and claims C1, C3, C4 use.");
    }
    if !ctx.provenance.left_out.is_empty() {
        let _ = writeln!(
            s,
            "\nLeft out, so that no speedup mixes two bench runs or sizes: {}. Rerun the whole workload \
             (`cargo bench --bench <workload>`) to include them.",
            ctx.provenance.left_out.join(", ")
        );
    }
    if !ctx.provenance.assumed.is_empty() {
        let _ = writeln!(
            s,
            "\n**WARNING: `--assume-this-machine` was used.** {} benchmark(s) carried no record that matches their \
             data and were taken as measured on the reporting machine at the current `CVP_*` sizes: {}. Nothing \
             proves that; trust these numbers only if you know how they were made.",
            ctx.provenance.assumed.len(),
            ctx.provenance.assumed.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
        );
    }
    s += "\n## Machine that measured\n\n| | |\n|---|---|\n";
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
          can explain, i.e. the gain is concurrency, not parallelism). in flight: jobs x one wait measured alone / \
          time (Little's law).";
    if ctx.run.is_some() {
        s += " cores busy comes from the `cvp run` file (criterion measures no CPU time).";
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
            let flight = if p.wait_s == 0.0 {
                "-".to_string()
            } else if p.one_wait_s.is_some() {
                format!("{:.1}", p.in_flight())
            } else {
                format!("{:.1} (nominal wait)", p.in_flight())
            };
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
                flight,
            );
        }
        if matches!(w, WorkloadKind::IoBound | WorkloadKind::NetBound) {
            let _ = writeln!(s, "\n![time of {w}](time_{w}.svg)");
        }
        if w == WorkloadKind::NetBound
            && let Some(why) = report.net_pairs.unpaired.clone()
        {
            let _ = writeln!(s, "\n{why}");
        }
        if w == WorkloadKind::NetBound
            && let Some(table) = net_markdown(&report.net_pairs.pairs)
        {
            let _ = writeln!(
                s,
                "\n#### io_bound vs net_bound\n\nThe same jobs and W, each wait a sleep (io_bound) or a \
                     request over loopback TCP to `cvp serve`, a child process (net_bound). Walls are criterion's \
                     medians; the other columns come from the `cvp run` file where it has the configuration (`-`: \
                     not measured). {}\n\n{table}",
                NET_LEGEND
            );
        }
    }
    // No net_bound bench in criterion's folder, but the run file has both workloads: its own table.
    let criterion_net = report.rows.iter().any(|r| r.point.workload == WorkloadKind::NetBound);
    if let Some(why) =
        report.run_net_pairs.as_ref().filter(|_| !criterion_net).and_then(|p| p.unpaired.clone())
    {
        let _ = writeln!(s, "\n{why}");
    }
    if let Some(table) =
        report.run_net_pairs.as_ref().filter(|_| !criterion_net).and_then(|p| net_markdown(&p.pairs))
    {
        let _ = writeln!(
            s,
            "\n### io_bound vs net_bound (from `cvp run`)\n\ncriterion's folder has no net_bound benchmark \
             (`cargo bench --bench net_bound`), so this table is the `cvp run` file's alone: its walls are the \
             medians of its rounds, and no verdict above uses it. {}\n\n{table}",
            NET_LEGEND
        );
    }
    if let (Some((bare, bare_lo, bare_hi)), Some(seq)) = (
        ctx.bare_loop,
        report.rows.iter().find(|r| {
            r.point.workload == WorkloadKind::CpuBound && r.point.strategy == crate::StrategyKind::Sequential
        }),
    ) {
        let apart = seq.ci_low_ns > bare_hi || seq.ci_high_ns < bare_lo;
        let _ = writeln!(
            s,
            "\n`cpu_bound/sequential/1` / `{}` = {:.3} ({} vs {}, 95% CIs {} – {} and {} – {}). {}",
            crate::report::BARE_LOOP_ID,
            seq.median_ns / bare,
            human_time(seq.median_ns / 1e9),
            human_time(bare / 1e9),
            human_time(seq.ci_low_ns / 1e9),
            human_time(seq.ci_high_ns / 1e9),
            human_time(bare_lo / 1e9),
            human_time(bare_hi / 1e9),
            if apart && seq.median_ns < bare {
                "The intervals are apart with `sequential` the faster: the two were timed one after the other, so \
                 that is the machine's drift, not a negative cost; the strategy's machinery costs nothing \
                 measurable here."
            } else if apart {
                "The intervals are apart, but the two were timed one after the other, so the machine's drift is \
                 part of the ratio: read it as an upper bound on what the strategy's machinery costs, not as its price."
            } else {
                "The intervals overlap: the strategy's machinery costs nothing measurable here."
            }
        );
    }
    let _ = writeln!(
        s,
        "\n## Fits\n\nLeast squares on each `cpu_bound` strategy's own scaling (its 1-worker time / its N-worker \
         time), only on worker counts up to the {phys} physical core(s) of the machine that measured: past them a \
         worker adds no processor. The waiting workloads are not fitted: they gain from overlapped waits, which \
         no processor model describes. A fit needs 2 degrees of freedom left: Amdahl (one parameter: the serial \
         fraction s, 0 <= s <= 1) needs {} worker counts above 1, the Universal Scalability Law (two: contention \
         sigma >= 0 and coherency kappa >= 0) needs {}. R-squared is on the measured speedups above 1 worker. \
         With fewer points the table says so instead of printing numbers that would fit any data; on 2 cores \
         (1 and 2 workers) nothing is fitted.\n",
        scaling::AMDAHL_MIN_POINTS,
        scaling::USL_MIN_POINTS,
        phys = m.cores().parallel()
    );
    s += "| workload | strategy | workers fitted | left out (above cores) | Amdahl s | R² | USL sigma | USL kappa | USL peak at | R² |\n";
    s += "|---|---|---|---|--:|--:|--:|--:|--:|--:|\n";
    let r2 = |r: Option<f64>| r.map_or("-".into(), |x| format!("{x:.3}"));
    for f in &report.fits {
        let list = |v: &[usize]| {
            if v.is_empty() {
                "-".into()
            } else {
                v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
            }
        };
        let k = f.points_above_one();
        let (amdahl, amdahl_r2) = match f.amdahl {
            Some(a) => (format!("{:.3}", a.serial_fraction), r2(a.r_squared)),
            None => (fit_cell(k, scaling::AMDAHL_MIN_POINTS), "-".into()),
        };
        let (sigma, kappa, peak, usl_r2) = match f.usl {
            Some(u) => (
                format!("{:.4}", u.sigma),
                format!("{:.5}", u.kappa),
                u.peak_workers.map_or("no peak".into(), |x| format!("{x:.1} workers")),
                r2(u.r_squared),
            ),
            None => (fit_cell(k, scaling::USL_MIN_POINTS), "-".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {amdahl} | {amdahl_r2} | {sigma} | {kappa} | {peak} | {usl_r2} |",
            f.workload,
            f.strategy,
            list(&f.worker_counts),
            list(&f.above_cores),
        );
    }
    s += "\n## Verdicts on the claims\n\nEach claim is judged from its own measurement, with the thresholds of the \
          table in the top-level README (\"How the claims are judged\"); every verdict follows from the numbers above.\n\n\
          | claim | verdict | evidence |\n|---|---|---|\n";
    for v in &report.verdicts {
        let _ = writeln!(s, "| {} {} | **{}** | {} |", label(&v.claim), v.statement, v.verdict, v.evidence);
    }
    if report.verdicts.iter().any(|v| label(&v.claim) != v.claim) {
        let _ = writeln!(s, "\n{}.", capitalised(&control_legend()));
    }
    if let Some(run_verdicts) = &ctx.run_verdicts {
        // Matched by claim and statement: a net_bound verdict shares its claim id with the io_bound one, and is
        // named as net_bound's.
        let differ: Vec<String> = run_verdicts
            .iter()
            .filter(|a| {
                report
                    .verdicts
                    .iter()
                    .find(|b| b.claim == a.claim && b.statement == a.statement)
                    .is_some_and(|b| b.verdict != a.verdict)
            })
            .map(|a| {
                if a.statement.ends_with(&format!("({NET_LABEL})")) {
                    format!("{} (net_bound)", a.claim)
                } else {
                    a.claim.clone()
                }
            })
            .collect();
        if !differ.is_empty() {
            let _ = writeln!(
                s,
                "\n`cvp run`'s own verdicts, judged from its rows by the same rules, differ on {} (its walls are the \
                 medians of its rounds, on its own floors; criterion's are its own medians and floors).",
                differ.join(", ")
            );
        }
    }
    let _ = writeln!(
        s,
        "\nFiles: `scaling.csv` (the tables above, machine-readable), `machine.json` (`cvp machine --json` of the \
         machine that measured), `speedup_<workload>.svg`, `time_io_bound.svg`{}{}. Cores used throughout: \
         {cores}.",
        if report.rows.iter().any(|r| r.point.workload == WorkloadKind::NetBound) {
            ", `time_net_bound.svg`"
        } else {
            ""
        },
        if ctx.run.is_some() { ", `run.json` (the `cvp run` file)" } else { "" }
    );
    s
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
