//! The `cvp` command: `hash`, `machine`, `run`, `trace`, `report` and `compare` over the `cvp` library.
//!
//! Exit status: 0 on success, 2 on bad input (a `CVP_*` variable, a flag, missing criterion data, an existing
//! output folder), 1 when something that should work did not (a wrong digest, a failed write), 130 on Ctrl-C.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use cvp::analysis;
use cvp::config::{self, Config};
use cvp::experiment::sweep::{self, Plan};
use cvp::experiment::trace;
use cvp::machine::Machine;
use cvp::report::{self, ReportError, RunFile};
use cvp::{StrategyKind, WorkloadKind};

#[derive(Parser)]
#[command(name = "cvp", version, about = "Concurrency is structure, parallelism is execution: measure both.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the SHA-256 chain digest h(R) of one job, as lowercase hex.
    Hash {
        /// The job's seed; h0 = SHA-256(seed as 8 bytes little-endian).
        #[arg(long)]
        seed: u64,
        /// Rounds after the first hash: h(k+1) = SHA-256(h(k)).
        #[arg(long)]
        rounds: u32,
    },
    /// Show what this machine offers: core counts (logical, online, physical, available parallelism,
    /// affinity, cgroup quota), CPU, OS, toolchain.
    Machine {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the configuration the CVP_* variables give on this machine (what the benches will run), or
    /// stop with status 2 and one line if a value is bad.
    Config,
    /// Sweep workloads x strategies x worker counts, measuring wall and CPU time, and judge claims C1..C6.
    #[command(long_about = RUN_HELP)]
    Run(RunArgs),
    /// Trace one pass per strategy: which OS thread ran which job's wait and hash, when (claim C9). Writes
    /// timeline.svg and trace.json (Chrome Trace Event Format, for Perfetto UI) into a folder.
    #[command(long_about = TRACE_HELP)]
    Trace(TraceArgs),
    /// Turn criterion's output (and a `cvp run` JSON) into tables, fits, plots and verdicts in a folder.
    Report(ReportArgs),
    /// Compare two criterion baselines (by name) or two results folders, benchmark by benchmark.
    Compare(CompareArgs),
}

const RUN_HELP: &str = "\
Sweep workloads x strategies x worker counts. Every pool and runtime is built once; every configuration
runs once untimed as a warm-up whose digest is checked against the expected one; then come --repeat
rounds, each timing every configuration once in a freshly shuffled order (so drift spreads evenly and
sequential, the baseline, is measured among the others). The median round is kept with its CPU time,
and the fastest and slowest beside it. One job's wait is also measured alone, blocking and async: the
floor that Little's law and the verdicts use instead of the nominal wait. Two numbers per row:
  cores busy = CPU time / wall time                   (parallelism achieved)
  in flight  = jobs x one measured wait / wall time   (concurrency achieved, Little's law)
Flags override the CVP_* variables of the same meaning.

Verdicts (cores = available parallelism; each is 'shown', 'not shown' or 'cannot be shown here'; one wait
= one job's wait measured alone on the same kind of wait; every value is tested with its min - max, and a
threshold inside it gives 'cannot be shown here (too noisy)'):
  C1 io_bound async on 1 worker finishes all jobs in <= 1.5 x one wait.
  C2 cpu_bound best of threads/rayon reaches >= 0.75 x workers up to the physical cores and stays
     <= 1.15 x cores beyond the cores (needs 2+ cores and a worker count above them).
  C3 io_bound async on its most workers keeps >= 0.5 x jobs in flight with <= 0.25 cores busy.
  C4 io_bound async: more workers cut the 1-worker loop's own time (wall - one wait) by <= 1.25x;
     decidable only when that own time is clearly >= 0.25 x one wait (otherwise nothing is left to cut).
  C5 io_bound threads/rayon above the cores speed up > 1.25 x cores with <= 0.25 cores busy: a gain
     past the cores that is not parallelism (decidable when the jobs allow such a speedup).
  C6 cpu_bound async on 1 worker is <= 1.10x sequential.";

const TRACE_HELP: &str = "\
Trace one pass per strategy: which OS thread ran which job's wait and hash, and when. Each strategy is
built once, runs once as a warm-up whose digest is checked (what it recorded is dropped), then once
traced (digest checked).
Writes into --out:
  timeline.svg  one panel per strategy on one shared time axis (ms), one lane per OS thread that ran
                job work (named as the thread is), a thin bar per wait, a solid bar per hash, coloured
                by job; each panel's title gives wall time, cores busy and jobs in flight.
  trace.json    the same in the Chrome Trace Event Format: open it in https://ui.perfetto.dev (Open trace
                file) or chrome://tracing. A process per strategy, a track per thread; waits that overlap
                on one thread (async) get tracks of their own. Each event is `wait` or `hash` with
                args {job, thread}. The rows (`cvp report --trace DIR` reads them) are under the key `cvp`.
Recording is compiled in for this command only: the benches and `cvp run` build every strategy with a
probe that does nothing and compiles away. The CVP_* variables are not read here.

--cores 1 pins the whole process to one CPU (sched_setaffinity) before anything runs, and C9 is judged
from the trace: shown when, on one CPU, two threads' hashes overlap for >= 50% of the run, cores busy stays
<= 1.05 and each thread's hashes that ran beside another took >= 1.6x one hash alone on average (single
hashes swing with where the scheduler's slices fall; their range is shown). Try
  cvp trace --workload cpu_bound --workers 2 --cores 1";

/// Largest worker count a trace draws.
fn parse_trace_workers(v: &str) -> Result<usize, String> {
    match v.trim().parse::<usize>() {
        Ok(n) if (1..=trace::MAX_WORKERS).contains(&n) => Ok(n),
        _ => Err(format!("accepted: a whole number from 1 to {}", trace::MAX_WORKERS)),
    }
}

fn parse_trace_jobs(v: &str) -> Result<usize, String> {
    match v.trim().parse::<usize>() {
        Ok(n) if (1..=trace::MAX_JOBS).contains(&n) => Ok(n),
        _ => Err(format!(
            "accepted: a whole number from 1 to {} (more bars than that cannot be read)",
            trace::MAX_JOBS
        )),
    }
}

fn parse_cores(v: &str) -> Result<usize, String> {
    match v.trim() {
        "1" => Ok(1),
        _ => Err("accepted: 1 (pin the whole process to one CPU)".into()),
    }
}

#[derive(clap::Args)]
struct TraceArgs {
    /// The workload.
    #[arg(long, default_value = "mixed", value_parser = parse_id::<WorkloadKind>)]
    workload: WorkloadKind,
    /// Jobs, 1..=64.
    #[arg(long, default_value_t = 8, value_parser = parse_trace_jobs)]
    jobs: usize,
    /// Workers of threads, async, async_offload (hashing threads) and rayon, 1..=32; sequential uses 1,
    /// thread_per_job one per job.
    #[arg(long, default_value_t = 2, value_parser = parse_trace_workers)]
    workers: usize,
    /// Strategies, comma-separated, in panel order [default: all]
    #[arg(long, value_delimiter = ',', value_parser = parse_id::<StrategyKind>)]
    strategies: Option<Vec<StrategyKind>>,
    /// Milliseconds per wait, 1..=1000.
    #[arg(long, default_value = "10", value_parser = |v: &str| config::parse_wait_ms("--wait-ms", v).map_err(|e| e.short()))]
    wait_ms: std::time::Duration,
    /// Hash rounds per job, 1..=1000000 [default: sized on this machine so one hash takes about one wait]
    #[arg(long, value_parser = |v: &str| config::parse_rounds("--rounds", v).map_err(|e| e.short()))]
    rounds: Option<u32>,
    /// Pin the whole process to one CPU before anything runs (only 1 is accepted): time slicing, C9.
    #[arg(long, value_parser = parse_cores)]
    cores: Option<usize>,
    /// Output folder.
    #[arg(long, default_value = "trace")]
    out: PathBuf,
    /// Replace the files of an existing output folder (files of your own in it are kept).
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Workloads, comma-separated [default: all]
    #[arg(long, value_delimiter = ',', value_parser = parse_id::<WorkloadKind>)]
    workloads: Option<Vec<WorkloadKind>>,
    /// Strategies, comma-separated; sequential always runs as the baseline [default: all]
    #[arg(long, value_delimiter = ',', value_parser = parse_id::<StrategyKind>)]
    strategies: Option<Vec<StrategyKind>>,
    /// Worker counts, comma-separated, distinct, 1..=1024 [default: CVP_THREADS, else 1, 2, 4 .. up to
    /// 2 x cores, plus the core count and twice it when they are not powers of two]
    #[arg(long, value_parser = |v: &str| config::parse_threads("--threads", v).map(Threads).map_err(|e| e.short()))]
    threads: Option<Threads>,
    /// Jobs per workload, 1..=4096 [default: CVP_JOBS, else cpu_bound 128 (or 4 per worker at the largest
    /// count), io_bound and mixed the smallest multiple of the largest count that is at least 32 and at
    /// least 2 per worker; `cvp config` prints them]
    #[arg(long, value_parser = |v: &str| config::parse_jobs("--jobs", v).map_err(|e| e.short()))]
    jobs: Option<usize>,
    /// Hash rounds per job, 1..=1000000 [default: CVP_ROUNDS, else 20000]
    #[arg(long, value_parser = |v: &str| config::parse_rounds("--rounds", v).map_err(|e| e.short()))]
    rounds: Option<u32>,
    /// Milliseconds per wait, 1..=1000 [default: CVP_WAIT_MS, else 10]
    #[arg(long, value_parser = |v: &str| config::parse_wait_ms("--wait-ms", v).map_err(|e| e.short()))]
    wait_ms: Option<std::time::Duration>,
    /// Timed repeats per configuration, 1..=100 [default: by CVP_PROFILE: quick 3, standard 3, thorough 9; fewer than 3 give no interval, so no timing verdict]
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=100))]
    repeat: Option<u16>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the output to this file (atomically, when complete) instead of standard output; checked
    /// before anything is measured.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// criterion's output folder [default: $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion, else target/criterion]
    #[arg(long)]
    criterion_dir: Option<PathBuf>,
    /// The criterion baseline to read.
    #[arg(long, default_value = "new")]
    baseline: String,
    /// A `cvp run --format json` file: adds CPU time, cores busy and in flight.
    #[arg(long)]
    run: Option<PathBuf>,
    /// Output folder [default: results/<machine>/<YYYY-MM-DD>]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the files of an existing output folder (the whole folder is swapped in at once; files of
    /// your own in it are kept).
    #[arg(long)]
    force: bool,
    /// A `cvp trace` output folder (or its trace.json): adds its timeline, Chrome trace and, when it ran
    /// on one CPU, the C9 verdict. May be given more than once.
    #[arg(long)]
    trace: Vec<PathBuf>,
    /// Take benchmarks that carry no valid record (of their size and machine) as measured on this machine
    /// at the current CVP_* sizes. The generated README says so.
    #[arg(long)]
    assume_this_machine: bool,
}

#[derive(clap::Args)]
struct CompareArgs {
    /// Baseline name (in the criterion folder) or results folder: the reference.
    a: String,
    /// Baseline name or results folder: the candidate.
    b: String,
    /// criterion's output folder, for baseline names [default: as for `report`]
    #[arg(long)]
    criterion_dir: Option<PathBuf>,
    /// Smallest relative change called faster or slower, as criterion's own (0.01 = 1%).
    #[arg(long, default_value_t = 0.01, value_parser = parse_threshold)]
    noise_threshold: f64,
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if (0.0..1.0).contains(&x) => Ok(x),
        _ => Err("accepted: a fraction from 0 to below 1, e.g. 0.01 for 1%".into()),
    }
}

/// A parsed `--threads` list (one value to clap, not many).
#[derive(Clone)]
struct Threads(Vec<usize>);

fn parse_id<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.trim().parse()
}

/// The first id listed twice, if any.
fn repeated<T: PartialEq + std::fmt::Display>(ids: &[T]) -> Option<String> {
    ids.iter().enumerate().find(|(i, id)| ids[..*i].contains(id)).map(|(_, id)| id.to_string())
}

/// A failure and the exit status it deserves.
enum Failure {
    /// Bad input: exit 2.
    Input(anyhow::Error),
    /// Something that should have worked: exit 1.
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Internal(e)
    }
}

impl From<ReportError> for Failure {
    fn from(e: ReportError) -> Failure {
        if e.is_input() { Failure::Input(e.into()) } else { Failure::Internal(e.into()) }
    }
}

/// Set while a finished output is being written: Ctrl-C then waits for the write to end.
static WRITING: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C: stop at once with a short message; nothing half-written is left, since files are written to a
    // temporary name and renamed only when complete.
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        if !WRITING.load(Ordering::SeqCst) {
            eprintln!("\ncvp: interrupted; nothing was written");
            std::process::exit(130);
        }
    });
    let result = match cli.command {
        Command::Hash { seed, rounds } => {
            println!("{}", cvp::workload::chain(seed, rounds));
            Ok(())
        }
        Command::Machine { json } => machine(json),
        Command::Config => show_config(),
        Command::Run(args) => run(args),
        Command::Trace(args) => trace_cmd(args),
        Command::Report(args) => report_cmd(args),
        Command::Compare(args) => compare(args),
    };
    if INTERRUPTED.load(Ordering::SeqCst) {
        eprintln!("cvp: interrupted after the output was complete");
        return ExitCode::from(130);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn machine(json: bool) -> Result<(), Failure> {
    let m = Machine::detect();
    if json {
        println!("{}", serde_json::to_string_pretty(&m).context("encoding machine JSON")?);
    } else {
        print!("{}", m.to_text());
    }
    Ok(())
}

fn show_config() -> Result<(), Failure> {
    let cores = Machine::detect().usable_cores();
    let c = Config::from_env(cores).map_err(|e| Failure::Input(e.into()))?;
    let threads: Vec<String> = c.threads.iter().map(|n| n.to_string()).collect();
    println!("profile   {}", c.profile);
    println!("threads   {}  (worker counts; available parallelism {cores})", threads.join(","));
    for w in WorkloadKind::ALL {
        let wl = c.workload(w);
        println!("{:<9} {} jobs, wait {} ms, {} rounds", w.as_str(), wl.jobs, wl.wait.as_millis(), wl.rounds);
    }
    for var in config::VARIABLES {
        if let Ok(v) = std::env::var(var) {
            println!("set       {var}={v}");
        }
    }
    Ok(())
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let machine = Machine::detect();
    let mut overridden = Vec::new();
    for (given, var) in [
        (args.threads.is_some(), "CVP_THREADS"),
        (args.jobs.is_some(), "CVP_JOBS"),
        (args.rounds.is_some(), "CVP_ROUNDS"),
        (args.wait_ms.is_some(), "CVP_WAIT_MS"),
    ] {
        if given {
            overridden.push(var);
        }
    }
    let env =
        Config::from_env_except(machine.usable_cores(), &overridden).map_err(|e| Failure::Input(e.into()))?;
    for (flag, twice) in [
        ("--workloads", repeated(args.workloads.as_deref().unwrap_or_default())),
        ("--strategies", repeated(args.strategies.as_deref().unwrap_or_default())),
    ] {
        if let Some(id) = twice {
            return Err(Failure::Input(anyhow::anyhow!(
                "invalid {flag}: {id} is listed twice; accepted: distinct ids, comma-separated"
            )));
        }
    }
    if let Some(path) = &args.output {
        report::check_writable(path).map_err(|e| Failure::Input(anyhow::anyhow!("--output: {e}")))?;
    }
    let plan = Plan {
        workloads: args.workloads.unwrap_or_else(|| WorkloadKind::ALL.to_vec()),
        strategies: args.strategies.unwrap_or_else(|| StrategyKind::ALL.to_vec()),
        threads: args.threads.map_or(env.threads, |t| t.0),
        jobs: args.jobs.or(env.jobs),
        rounds: args.rounds.unwrap_or(env.rounds),
        wait_ms: args.wait_ms.unwrap_or(env.wait).as_millis() as u64,
        repeat: args.repeat.map_or(env.profile.repeats(), usize::from),
    };
    let hashes = plan.workloads.iter().any(|&w| plan.workload(w).rounds > 0);
    if let Some(warning) = machine.oversubscription_warning(&plan.threads).filter(|_| hashes) {
        eprintln!("note: {warning}");
    }
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(plan.total_runs() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {msg}")
                .expect("a valid progress template"),
        );
        bar
    });
    let sweep = sweep::run(&plan, |label| {
        if let Some(bar) = &bar {
            if bar.position() > 0 || !bar.message().is_empty() {
                bar.inc(1);
            }
            bar.set_message(label.to_string());
        }
    })
    .map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut file = RunFile {
        command: std::env::args().collect(),
        machine,
        config: plan,
        runs: sweep.runs,
        one_wait: sweep.one_wait,
        verdicts: Vec::new(),
    };
    file.verdicts = analysis::verdicts(&file.points(), file.machine.cores());
    let text = match args.format {
        Format::Table => report::run_table(&file),
        Format::Json => serde_json::to_string_pretty(&file).context("encoding run JSON")? + "\n",
        Format::Csv => report::run_csv(&file.runs),
    };
    emit(&text, args.output.as_deref())
}

fn trace_cmd(args: TraceArgs) -> Result<(), Failure> {
    let strategies = args.strategies.unwrap_or_else(|| StrategyKind::ALL.to_vec());
    if let Some(id) = repeated(&strategies) {
        return Err(Failure::Input(anyhow::anyhow!(
            "invalid --strategies: {id} is listed twice; accepted: distinct ids, comma-separated"
        )));
    }
    let out = &args.out;
    let bad_out = |e: ReportError| Failure::Input(anyhow::anyhow!("--out: {e}"));
    if std::fs::symlink_metadata(out).is_ok() {
        if !args.force {
            return Err(bad_out(ReportError::Exists(out.clone())));
        }
        report::check_writable(&out.join("trace.json")).map_err(bad_out)?;
    } else {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                Failure::Input(anyhow::anyhow!("--out: cannot create {}: {e}", parent.display()))
            })?;
        }
        report::check_writable(out).map_err(bad_out)?;
    }
    let plan = trace::Plan {
        workload: args.workload,
        jobs: args.jobs,
        workers: args.workers,
        strategies,
        wait_ms: args.wait_ms.as_millis() as u64,
        rounds: args.rounds,
        one_core: args.cores == Some(1),
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(plan.strategies.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} tracing {msg}")
                .expect("a valid progress template"),
        );
        bar
    });
    let file = trace::run(&plan, std::env::args().collect(), |label| {
        if let Some(bar) = &bar {
            if !bar.message().is_empty() {
                bar.inc(1);
            }
            bar.set_message(label.to_string());
        }
    })
    .map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let files = trace::files(&file)?;
    WRITING.store(true, Ordering::SeqCst);
    let written = report::write_folder(out, &files, args.force);
    WRITING.store(false, Ordering::SeqCst);
    written?;
    print!("{}", trace::table(&file));
    println!("wrote {}", out.display());
    Ok(())
}

/// Prints `text`, or writes it to `path` atomically.
fn emit(text: &str, path: Option<&Path>) -> Result<(), Failure> {
    WRITING.store(true, Ordering::SeqCst);
    let result = match path {
        Some(path) => report::write_atomic(path, text.as_bytes()).map_err(Failure::from),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("writing to standard output")
            .map_err(Failure::from),
    };
    WRITING.store(false, Ordering::SeqCst);
    result
}

fn report_cmd(args: ReportArgs) -> Result<(), Failure> {
    let criterion_dir = args.criterion_dir.unwrap_or_else(report::criterion_home);
    let command = std::env::args().map(|a| report::shell_word(&a)).collect::<Vec<_>>().join(" ");
    let built = report::build(&report::Options {
        criterion_dir: &criterion_dir,
        baseline: &args.baseline,
        run_path: args.run.as_deref(),
        command: &command,
        assume_this_machine: args.assume_this_machine,
        sections: args.trace.iter().map(|p| trace::read_section(p)).collect::<Result<Vec<_>, _>>()?,
    })?;
    let out = args.out.unwrap_or_else(|| built.default_out());
    WRITING.store(true, Ordering::SeqCst);
    let written = built.write(&out, args.force);
    WRITING.store(false, Ordering::SeqCst);
    written?;
    println!("wrote {}", out.display());
    Ok(())
}

fn compare(args: CompareArgs) -> Result<(), Failure> {
    let criterion_dir = args.criterion_dir.unwrap_or_else(report::criterion_home);
    let opts =
        report::CompareOptions { criterion_dir: &criterion_dir, noise_threshold: args.noise_threshold };
    let text = report::compare(&opts, &args.a, &args.b)?;
    print!("{text}");
    Ok(())
}
