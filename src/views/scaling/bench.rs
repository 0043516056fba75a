//! criterion's folder, read back and trusted: every benchmark tied to the record of its size and machine
//! beside it (or taken under `--assume-this-machine`, said so), one machine, one build and one size per
//! workload, each workload's rows from the bench run of its `sequential`; then the rows, speedups, fits and
//! C1..C6 of a results folder, with the `cvp run` file's CPU time where it has the same configuration.

use std::path::Path;

use super::{
    Invocation, NetPairs, Provenances, Report, Row, SizeSource, analysis, read_run_file, readme, render,
};
use crate::config::Config;
use crate::machine::{BuildMatch, Machine};
use crate::report::criterion::{self, BenchRecord, Provenance, WorkloadSize};
use crate::report::{BARE_LOOP_ID, ReportError, Section, civil_date, parse_one_wait, to_json, today};
use crate::scaling::{self, OneWait, Point};
use crate::strategy::StrategyKind;
use crate::workload::{WaitKind, Workload, WorkloadKind};

/// What `cvp report` reads.
pub struct Options<'a> {
    /// criterion's folder.
    pub criterion_dir: &'a Path,
    /// The baseline to read.
    pub baseline: &'a str,
    /// A `cvp run --format json` file.
    pub run_path: Option<&'a Path>,
    /// The `cvp report` command line, recorded in the README.
    pub command: &'a str,
    /// Take benchmarks without a valid record as measured on this machine at the current `CVP_*` sizes.
    pub assume_this_machine: bool,
    /// What other views (`cvp scale`, `cvp latency`, `cvp trace`) add, read from their files by the caller.
    pub sections: Vec<Section>,
    /// Accept input files measured by other builds than the criterion data's (each section then names its
    /// build); by default such a mix is refused.
    pub mixed_builds: bool,
}

/// Refuses `what`, measured by `theirs`, beside criterion data measured by `ours`, when the builds differ
/// (commit, compiler, version, profile) and `mixed` was not given: different code measured them.
fn same_build(what: &Path, theirs: &Machine, ours: &Machine, mixed: bool) -> Result<(), ReportError> {
    if mixed || theirs.same_build(ours) != BuildMatch::Other {
        return Ok(());
    }
    Err(ReportError::Untrusted(format!(
        "{} was measured by another build ({}) than the criterion data ({}): different code measured them. \
         Measure both with one build, or pass --mixed-builds to report them anyway (each section then names \
         its build)",
        what.display(),
        theirs.build(),
        ours.build()
    )))
}

/// What a criterion benchmark is to the report.
enum Bench {
    Scaling(WorkloadKind, StrategyKind, usize),
    BareLoop,
    OneWait(WorkloadKind, WaitKind, u64, usize),
}

/// What the report reads of a benchmark, by its id; `None` for the rest (the `server` group's, which
/// criterion's own pages show and `cvp server` measures, is no workload).
fn classify(m: &criterion::Measured) -> Option<Bench> {
    if m.id == BARE_LOOP_ID {
        return Some(Bench::BareLoop);
    }
    if m.group == "reference" && m.function.as_deref() == Some("one_wait") {
        let (workload, kind, ms, workers) = parse_one_wait(m.value.as_deref()?)?;
        return Some(Bench::OneWait(workload, kind, ms, workers));
    }
    let workload = m.group.parse::<WorkloadKind>().ok()?;
    let strategy = m.function.as_deref()?.parse::<StrategyKind>().ok()?;
    let workers = m.value.as_deref()?.parse::<usize>().ok()?;
    Some(Bench::Scaling(workload, strategy, workers))
}

/// A benchmark with its size and machine established.
struct Trusted {
    m: criterion::Measured,
    bench: Bench,
    size: WorkloadSize,
    machine: Machine,
    record: Option<BenchRecord>,
}

fn untrusted_list(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(4).map(String::as_str).collect();
    let more = items.len().saturating_sub(shown.len());
    format!("{}{}", shown.join("; "), if more > 0 { format!("; and {more} more") } else { String::new() })
}

/// Reads criterion's `baseline` (and optionally a `cvp run` file) and computes the whole results folder in
/// memory. Every benchmark must carry a record that matches its data (or `--assume-this-machine` is given);
/// all of them, and the run file, must come from one machine and agree on each workload's size.
pub fn build(opts: &Options) -> Result<Report, ReportError> {
    let run = opts.run_path.map(read_run_file).transpose()?;
    let measured = criterion::read(opts.criterion_dir, opts.baseline)?;
    let reporter = Machine::detect();
    let assumed_config = if opts.assume_this_machine {
        Some(Config::from_env(reporter.usable_cores()).map_err(|e| {
            ReportError::Untrusted(format!("--assume-this-machine takes its sizes from CVP_*: {e}"))
        })?)
    } else {
        None
    };
    let mut trusted = Vec::new();
    let mut problems = Vec::new();
    for m in measured {
        let Some(bench) = classify(&m) else { continue };
        let record = match &m.provenance {
            Provenance::Recorded(r) => Some((**r).clone()),
            other => {
                let why = match other {
                    Provenance::Missing => format!("{} has no {}", m.dir.display(), criterion::RECORD_FILE),
                    Provenance::Stale => format!(
                        "{} describes other data than the estimates.json beside it (left from an earlier run)",
                        m.dir.join(criterion::RECORD_FILE).display()
                    ),
                    Provenance::Unreadable(e) => {
                        format!("{} cannot be read: {e}", m.dir.join(criterion::RECORD_FILE).display())
                    }
                    Provenance::Recorded(_) => unreachable!(),
                };
                if assumed_config.is_none() {
                    problems.push(why);
                    continue;
                }
                None
            }
        };
        let (size, machine) = match (&record, &assumed_config) {
            (Some(r), _) => match r.size.workload() {
                Some(size) => (size, r.machine.clone()),
                None => {
                    problems.push(format!("{} records {}, not a workload's size", m.id, r.size));
                    continue;
                }
            },
            (None, Some(config)) => {
                let workload = match bench {
                    Bench::Scaling(w, _, _) => config.workload(w),
                    Bench::BareLoop => config.workload(WorkloadKind::CpuBound),
                    Bench::OneWait(_, _, ms, _) => {
                        Workload::new(WorkloadKind::IoBound, 1, std::time::Duration::from_millis(ms), 0)
                    }
                };
                // The hardware is assumed, the build is not known: no commit, so it is never taken for
                // the reporting build's.
                (WorkloadSize::of(&workload), Machine { git_commit: None, ..reporter.clone() })
            }
            (None, None) => unreachable!(),
        };
        trusted.push(Trusted { m, bench, size, machine, record });
    }
    if !problems.is_empty() {
        return Err(ReportError::Untrusted(format!(
            "{} benchmark(s) of baseline '{}' cannot be tied to a workload size and a machine: {}. \
             Rerun `cargo bench` (it records both beside every baseline it writes), or pass \
             --assume-this-machine to take them as measured here at the current CVP_* sizes (the README will \
             say so)",
            problems.len(),
            opts.baseline,
            untrusted_list(&problems)
        )));
    }
    if !trusted.iter().any(|t| matches!(t.bench, Bench::Scaling(..))) {
        return Err(ReportError::Missing(format!(
            "baseline '{}' under {} has no <workload>/<strategy>/<workers> benchmark (run `cargo bench`)",
            opts.baseline,
            opts.criterion_dir.display()
        )));
    }
    let machine = trusted[0].machine.clone();
    let foreign: Vec<String> = trusted
        .iter()
        .filter(|t| !t.machine.same_hardware(&machine))
        .map(|t| format!("{} on {}", t.m.id, t.machine.summary()))
        .collect();
    if !foreign.is_empty() {
        return Err(ReportError::Untrusted(format!(
            "baseline '{}' mixes machines: {} on {}, but {}. Report one machine's data at a time (another \
             baseline, or rerun the benches)",
            opts.baseline,
            trusted[0].m.id,
            machine.summary(),
            untrusted_list(&foreign)
        )));
    }
    // The build every row is held to: the first that recorded its commit, so one row without a commit
    // cannot make the others uncheckable; a row without one beside rows with one is a build of its own.
    let reference = trusted.iter().find(|t| t.machine.git_commit.is_some()).unwrap_or(&trusted[0]);
    let (machine, reference_id) = (reference.machine.clone(), reference.m.id.clone());
    let other_builds: Vec<String> = trusted
        .iter()
        .filter(|t| {
            t.machine.same_build(&machine) == BuildMatch::Other
                || (machine.git_commit.is_some() && t.machine.git_commit.is_none() && t.record.is_some())
        })
        .map(|t| {
            format!(
                "{} by {} ({})",
                t.m.id,
                t.machine.git_commit.as_deref().unwrap_or("commit unknown"),
                t.machine.rustc
            )
        })
        .collect();
    if !other_builds.is_empty() {
        return Err(ReportError::Untrusted(format!(
            "baseline '{}' mixes builds: {} was measured by {} ({}), but {}. Different code measured different \
             rows; rerun `cargo bench`",
            opts.baseline,
            reference_id,
            machine.git_commit.as_deref().unwrap_or("commit unknown"),
            machine.rustc,
            untrusted_list(&other_builds)
        )));
    }
    // A workload's rows are compared with its `sequential`: keep only those measured by the same bench run
    // (the same process), so no speedup mixes two runs and the machine's drift between them. The bare loop
    // goes with `cpu_bound/sequential/1`, measured right after it.
    let invocation = |t: &Trusted| t.record.as_ref().map_or("assumed".to_string(), |r| r.invocation.clone());
    let mut left_out = Vec::new();
    let baselines: Vec<(WorkloadKind, String, String)> = trusted
        .iter()
        .filter_map(|t| match t.bench {
            Bench::Scaling(w, StrategyKind::Sequential, _) => Some((w, invocation(t), t.m.id.clone())),
            _ => None,
        })
        .collect();
    trusted.retain(|t| {
        let workload = match t.bench {
            Bench::Scaling(w, _, _) => w,
            Bench::BareLoop => WorkloadKind::CpuBound,
            Bench::OneWait(w, _, _, _) => w,
        };
        match baselines.iter().find(|(w, _, _)| *w == workload) {
            Some((_, inv, seq)) if *inv != invocation(t) => {
                left_out.push(format!("`{}` (another bench run than `{seq}`)", t.m.id));
                false
            }
            None => {
                left_out.push(format!("`{}` (no `{workload}/sequential/1` to compare it with)", t.m.id));
                false
            }
            _ => true,
        }
    });
    if !trusted.iter().any(|t| matches!(t.bench, Bench::Scaling(..))) {
        return Err(ReportError::Missing(format!(
            "baseline '{}' has no workload with a `sequential` benchmark to compare with: {}",
            opts.baseline,
            left_out.join(", ")
        )));
    }
    let mut sizes: Vec<(WorkloadKind, SizeSource)> = Vec::new();
    for t in &trusted {
        let Bench::Scaling(w, _, _) = t.bench else { continue };
        match sizes.iter().find(|(k, _)| *k == w) {
            None => sizes.push((
                w,
                if t.record.is_some() { SizeSource::Recorded(t.size) } else { SizeSource::Assumed(t.size) },
            )),
            Some((_, src)) if src.size() != t.size => {
                return Err(ReportError::Untrusted(format!(
                    "baseline '{}' has {w} benchmarks of different sizes: {} ({}) and {} ({}); speedups \
                     between them would mean nothing. Rerun `cargo bench --bench {w}`",
                    opts.baseline,
                    trusted
                        .iter()
                        .find(|x| matches!(x.bench, Bench::Scaling(k, _, _) if k == w))
                        .unwrap()
                        .m
                        .id,
                    src.size(),
                    t.m.id,
                    t.size
                )));
            }
            Some((_, SizeSource::Recorded(size))) if t.record.is_none() => {
                let size = *size;
                if let Some(entry) = sizes.iter_mut().find(|(k, _)| *k == w) {
                    entry.1 = SizeSource::Assumed(size);
                }
            }
            Some(_) => {}
        }
    }
    sizes.sort_by_key(|(w, _)| *w);
    if let (Some(run), Some(path)) = (&run, opts.run_path) {
        same_build(path, &run.machine, &machine, opts.mixed_builds)?;
        if !run.machine.same_hardware(&machine) {
            return Err(ReportError::Untrusted(format!(
                "{} was measured on {}, the criterion data on {}: its CPU time cannot go with these times",
                path.display(),
                run.machine.summary(),
                machine.summary()
            )));
        }
        for (w, src) in &sizes {
            if run.config.workloads.contains(w) {
                let theirs = WorkloadSize::of(&run.config.workload(*w));
                if theirs != src.size() {
                    return Err(ReportError::Untrusted(format!(
                        "{} ran {w} with {theirs}, criterion with {}: its cores busy and in flight would \
                         describe another size. Rerun `cvp run` with the benches' sizes (--jobs, --wait-ms, \
                         --rounds, --threads)",
                        path.display(),
                        src.size()
                    )));
                }
            }
        }
    }
    let one_wait: Vec<OneWait> = trusted
        .iter()
        .filter_map(|t| match t.bench {
            Bench::OneWait(workload, kind, ms, workers) => Some(OneWait {
                workload: Some(workload),
                wait_ms: ms,
                wait: kind,
                // The runtime it was measured on: one worker, or tokio's multi-thread runtime of `workers`.
                workers,
                wall_s: t.m.median_ns / 1e9,
                wall_range_s: Some((t.m.ci_low_ns / 1e9, t.m.ci_high_ns / 1e9)),
            }),
            _ => None,
        })
        .collect();
    let cores = machine.usable_cores();
    let mut rows = Vec::new();
    for t in &trusted {
        let Bench::Scaling(workload, strategy, workers) = t.bench else { continue };
        let from_run = run.as_ref().and_then(|r| {
            r.runs.iter().find(|x| x.workload == workload && x.strategy == strategy && x.workers == workers)
        });
        let cores_busy = from_run.map(|x| x.cores_busy);
        let cores_busy_range = from_run.and_then(|x| x.cores_busy_ci);
        // CPU time and context switches, which criterion does not measure, from the run file's row (C4).
        let usage = from_run.map(|x| x.point(&[]));
        let point = Point {
            workload,
            strategy,
            workers,
            jobs: t.size.jobs,
            wait_s: t.size.wait_ms as f64 / 1e3,
            wall_s: t.m.median_ns / 1e9,
            wall_range_s: Some((t.m.ci_low_ns / 1e9, t.m.ci_high_ns / 1e9)),
            cores_busy,
            cores_busy_range,
            cpu_s: usage.as_ref().and_then(|u| u.cpu_s),
            cpu_range_s: usage.as_ref().and_then(|u| u.cpu_range_s),
            switches: usage.as_ref().and_then(|u| u.switches),
            switches_range: usage.as_ref().and_then(|u| u.switches_range),
            one_wait_s: None,
            one_wait_range_s: None,
        }
        .with_one_wait(&one_wait);
        rows.push(Row {
            point,
            size: t.size,
            median_ns: t.m.median_ns,
            ci_low_ns: t.m.ci_low_ns,
            ci_high_ns: t.m.ci_high_ns,
            speedup: None,
            efficiency: None,
            karp_flatt: None,
        });
    }
    rows.sort_by_key(|r| (r.point.workload, r.point.strategy, r.point.workers));
    let points: Vec<Point> = rows.iter().map(|r| r.point.clone()).collect();
    for row in &mut rows {
        row.speedup = scaling::speedup(&points, &row.point);
        row.efficiency = row.speedup.map(|s| scaling::efficiency(s, row.point.workers, cores));
        row.karp_flatt = row.speedup.and_then(|s| scaling::karp_flatt(s, row.point.workers, cores));
    }
    let fits = scaling::fit_lines(&points, machine.cores());
    let verdicts = analysis::report_verdicts(&points, machine.cores());
    let cpu_size = sizes.iter().find(|(w, _)| *w == WorkloadKind::CpuBound).map(|(_, src)| src.size());
    let bare_loop = trusted.iter().find(|t| matches!(t.bench, Bench::BareLoop)).filter(|t| {
        let same = Some(t.size) == cpu_size;
        if !same {
            left_out.push(format!("`{}` (measured at another size than cpu_bound)", t.m.id));
        }
        same
    });
    let bare_loop = bare_loop.map(|t| &t.m);
    let mut benches: Vec<Invocation> = Vec::new();
    for r in trusted.iter().filter_map(|t| t.record.as_ref()) {
        let env: Vec<(String, String)> = r.env.clone().into_iter().collect();
        let same = |i: &&mut Invocation| {
            i.profile == r.profile && i.env == env && i.args == r.args && i.runner == r.runner
        };
        match benches.iter_mut().find(same) {
            Some(i) if !i.benches.contains(&r.bench) => i.benches.push(r.bench.clone()),
            Some(_) => {}
            None => benches.push(Invocation {
                benches: vec![r.bench.clone()],
                profile: r.profile.clone(),
                env,
                args: r.args.clone(),
                started_unix_s: r.started_unix_s,
                runner: r.runner.clone(),
            }),
        }
    }
    let assumed: Vec<String> =
        trusted.iter().filter(|t| t.record.is_none()).map(|t| t.m.id.clone()).collect();
    let provenance = Provenances { sizes, benches, assumed, left_out };
    // The folder is dated when the data was measured (the first bench run), not when it is reported.
    let date = trusted
        .iter()
        .filter_map(|t| t.record.as_ref().map(|r| r.started_unix_s))
        .min()
        .map_or_else(today, |secs| civil_date((secs / 86_400) as i64));
    let net_pairs = NetPairs::of_rows(&rows, run.as_ref());
    let run_net_pairs = run.as_ref().map(|r| NetPairs::of_runs(&r.runs));
    let mut report = Report {
        machine,
        reporter,
        date,
        rows,
        fits,
        one_wait,
        verdicts,
        net_pairs,
        run_net_pairs,
        files: Vec::new(),
    };
    let context = readme::ReadmeContext {
        command: opts.command,
        criterion_dir: opts.criterion_dir,
        baseline: opts.baseline,
        run: run.as_ref(),
        run_path: opts.run_path,
        provenance: &provenance,
        bare_loop: bare_loop.map(|m| (m.median_ns, m.ci_low_ns, m.ci_high_ns)),
        run_verdicts: run.as_ref().map(|r| analysis::verdicts(&r.points(), r.machine.cores())),
    };
    for section in &opts.sections {
        if !opts.assume_this_machine && !section.machine.same_hardware(&report.machine) {
            return Err(ReportError::Untrusted(format!(
                "{} was measured on {}, the criterion data on {}: one results folder describes one machine \
                 (pass --assume-this-machine to take it anyway)",
                section.source.display(),
                section.machine.summary(),
                report.machine.summary()
            )));
        }
        same_build(&section.source, &section.machine, &report.machine, opts.mixed_builds)?;
        report.verdicts.extend(section.verdicts.iter().cloned());
    }
    // C1 .. C9 in order, whichever view judged them.
    report.verdicts.sort_by_key(|v| v.claim.trim_start_matches('C').parse::<u32>().unwrap_or(u32::MAX));
    let mut readme = readme::readme(&report, &context);
    // A figure the run shows that a section shows too: both values, in the run's part and in the section's.
    let ours = run.as_ref().map(render::run_figures).unwrap_or_default();
    let theirs: Vec<_> = opts.sections.iter().flat_map(|s| s.figures.iter().cloned()).collect();
    let both = |lines: Vec<String>| lines.iter().map(|l| format!("- {l}\n")).collect::<String>();
    let shared = both(crate::report::figure::compare(&ours, &theirs));
    if !shared.is_empty() {
        readme += &format!("\n### The same figure in two views\n\n{shared}");
    }
    for section in &opts.sections {
        let build = match section.machine.same_build(&report.machine) {
            BuildMatch::Same => String::new(),
            other => format!(
                ", measured by {} than the criterion data: {}",
                other.describe(),
                section.machine.build()
            ),
        };
        let foreign = if section.machine.same_hardware(&report.machine) {
            String::new()
        } else {
            format!(
                "**WARNING: `--assume-this-machine` was used.** This section was measured on {}, not on the \
                 machine that measured the rest.\n\n",
                section.machine.summary()
            )
        };
        let shared = both(crate::report::figure::compare(&section.figures, &ours));
        let shared =
            if shared.is_empty() { shared } else { format!("\nThe same figure in `cvp run`:\n\n{shared}") };
        readme += &format!(
            "\n## {}\n\n{foreign}From `{}`{build}.\n\n{}{shared}\n",
            section.title,
            section.source.display(),
            section.markdown
        );
    }
    let mut files = vec![
        ("README.md".to_string(), readme.clone().into_bytes()),
        ("scaling.csv".to_string(), render::scaling_csv(&report.rows).into_bytes()),
        ("machine.json".to_string(), to_json(&report.machine)?),
        // Every verdict of the folder, the views' too, as the report judged them: what a page across
        // records reads (a README is for people).
        ("verdicts.json".to_string(), to_json(&report.verdicts)?),
    ];
    for workload in WorkloadKind::ALL {
        if report.rows.iter().any(|r| r.point.workload == workload) {
            files.push((
                format!("speedup_{workload}.svg"),
                render::speedup_plot(&report.rows, workload, cores)?.into_bytes(),
            ));
        }
    }
    for workload in [WorkloadKind::IoBound, WorkloadKind::NetBound] {
        if report.rows.iter().any(|r| r.point.workload == workload) {
            files.push((
                format!("time_{workload}.svg"),
                render::time_plot(&report.rows, workload, cores)?.into_bytes(),
            ));
        }
    }
    if let Some(run) = &run {
        files.push(("run.json".into(), to_json(run)?));
    }
    for section in &opts.sections {
        for (name, bytes) in &section.files {
            if files.iter().any(|(n, _)| n == name) {
                return Err(ReportError::Untrusted(format!(
                    "{} would write {name}, which the report already has",
                    section.source.display()
                )));
            }
            files.push((name.clone(), bytes.clone()));
        }
    }
    report.files = files;
    Ok(report)
}
