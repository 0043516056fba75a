//! The `cvp` command: `hash`, `machine`, `config`, `run`, `scale`, `latency`, `trace`, `report` and `compare`
//! over the `cvp` library.
//!
//! Exit status: 0 on success, 2 on bad input (a `CVP_*` variable, a flag, missing criterion data, an existing
//! output folder), 1 when something that should work did not (a wrong digest, a failed write), 130 on Ctrl-C.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use cvp::analysis;
use cvp::cli::{self, Failure, Format, Progress, emit, parse_id, repeated};
use cvp::config::{self, Config};
use cvp::experiment::latency;
use cvp::experiment::sweep::{self, Plan};
use cvp::experiment::trace;
use cvp::machine::Machine;
use cvp::machine::limits::Limits;
use cvp::report::{self, ReportError, RunFile};
use cvp::views::scale;
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
    /// While a heavy batch computes, how late are light requests? Open-loop requests, percentiles per
    /// structure, on all cores and on one; judges claim C7.
    #[command(long_about = LATENCY_HELP)]
    Latency(LatencyArgs),
    /// Trace one pass per strategy: which OS thread ran which job's wait and hash, when (claim C9). Writes
    /// timeline.svg and trace.json (Chrome Trace Event Format, for Perfetto UI) into a folder.
    #[command(long_about = TRACE_HELP)]
    Trace(TraceArgs),
    /// Turn criterion's output (and a `cvp run` JSON) into tables, fits, plots and verdicts in a folder.
    Report(ReportArgs),
    /// Compare two criterion baselines (by name) or two results folders, benchmark by benchmark.
    Compare(CompareArgs),
    /// Keep 1 to 100,000 waits in flight per structure: time, memory, threads, context switches (claim C8).
    #[command(long_about = scale::cli::HELP)]
    Scale(scale::cli::Args),
    /// One (structure, J) of `cvp scale`, measured in this process and printed as one JSON line.
    #[command(hide = true)]
    ScaleChild(scale::cli::ChildArgs),
    /// Serve net_bound's requests on loopback TCP: each connection sends a seed (8 bytes, little-endian)
    /// and gets SHA-256 of those bytes back after --wait-ms. Prints `listening <address> spread <n>`,
    /// serves until stdin closes (Ctrl-D), then prints what it served and its own CPU time. The benches
    /// and `cvp run`, `scale` and `trace` start it themselves as a child process.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The first loopback address to listen on (127.0.0.0/8 only).
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::Ipv4Addr,
    /// The port, the same on every address (0: any free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Listen on this many consecutive addresses from --bind (job k uses address k mod spread), so more
    /// connections than one address's ephemeral ports can be open at once.
    #[arg(long, default_value_t = cvp::net::DEFAULT_SPREAD)]
    spread: u8,
    /// The delay before each reply, 0 to 1000 ms.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=1000))]
    wait_ms: u64,
    /// Most connections handled at once (default: the open-file limit less a reserve); more wait in the
    /// kernel's backlog.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: Option<u64>,
}

const RUN_HELP: &str = "\
Sweep workloads x strategies x worker counts. Every pool and runtime is built once; every configuration
runs once untimed as a warm-up whose digest is checked against the expected one; then come --repeat
rounds, each timing every configuration once in a freshly shuffled order (so drift spreads evenly and
sequential, the baseline, is measured among the others). The median round is kept with its CPU time,
and the fastest and slowest beside it. One job's wait is also measured alone, blocking and async: the
floor that Little's law and the verdicts use instead of the nominal wait.
net_bound (in the default sweep) sends each job's wait as a request over loopback TCP to `cvp serve`,
which this command starts as a child process (and a second one replying at once, for the same runs at
W = 0: the socket's cost per request); its own one-request floors serve net_bound only. Its rows add
server busy: the service's CPU time / wall, read from its CPU clock around each run, never part of cores
busy (this process's own clock). Two numbers per row:
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
  C6 cpu_bound async on 1 worker is <= 1.10x sequential.
  With net_bound, C1, C3 and C4 are judged on it too, each right after io_bound's.";

const LATENCY_HELP: &str = "\
While a heavy batch computes, how late are light requests? The batch is --jobs cpu_bound jobs, each
calibrated from the measured hash rate to take about --job-ms. One client thread (the same for every
structure) sends a request (one SHA-256) every --interval-ms on a fixed schedule, never waiting for an
answer (open loop), stamped with its due time: latency = the instant a handler finished it - its due
time, so a stalled server is charged for every request due during the stall (no coordinated omission).
Structures, each at N = 1 and N = cores (--workers):
  sequential     one thread: a heavy job, then the requests that are due, then the next job
  async          tokio, N workers; heavy jobs and request handlers are tasks, hashing inline
  async_yield    as async, but each heavy job yields to the runtime about every 100 us of hashing
  async_offload  requests on a one-worker tokio runtime; hashing on a rayon pool of N
  threads        N OS threads for the heavy jobs, one OS thread blocking on the requests
--cores 1 pins the whole process (client included) to one CPU; both runs every core first, then pins
(pinning is inherited by every later thread and is not undone). Each row also runs the batch alone
(slowdown = with requests / alone). The idle floor: every structure with no heavy work, N = 1.
C7 (one core): async_yield, async_offload and threads each keep p99 <= 1/4 of one job while async on
1 worker has p99 >= one job; each p99 is tested with its 95% order-statistic interval.";
const TRACE_HELP: &str = "\
Trace one pass per strategy: which OS thread ran which job's wait and hash, and when. Each strategy is
built once, runs once as a warm-up (traced too, digest checked; its recording is dropped), then once
traced (digest checked). Without --strategies, async also runs on 1 worker (one event loop) as an extra
panel when --workers > 1. Zero waits (cpu_bound) are not recorded.
Writes into --out:
  timeline.svg  one panel per pass on one shared time axis (ms; µs for runs under 1 ms), one lane per OS
                thread that ran job work (named as the thread is), a solid bar per hash, coloured by
                job; a thin bar per wait for its nominal length, then a light bar for the time it was
                ready but not running yet; each panel's title gives wall time, cores busy and jobs in
                flight.
  trace.json    the same in the Chrome Trace Event Format: open it in https://ui.perfetto.dev (Open trace
                file) or chrome://tracing. A process per pass, a track per thread holding all its hashes
                and the waits that fit; waits that overlap (async) go to extra `(waits k)` tracks. Events
                `hash`, `wait` (nominal) and `ready` (the overrun), with args {job, thread}. The rows
                (`cvp report --trace DIR` reads them, and judges C9 again) are under the key `cvp`.
Recording is compiled in for this command only: the benches and `cvp run` build every strategy with a
probe that does nothing and compiles away. The CVP_* variables are not read here.

--cores 1 pins the whole process to one CPU (sched_setaffinity) before anything runs, and C9 is judged
from the trace. Each hash records its thread's own CPU time (CLOCK_THREAD_CPUTIME_ID). Judged: hashes
that another thread's hashes overlapped for >= 90% of their length, on wall / own CPU time. Shown when
two threads hash at once for >= 50% of the run and each judged hash took >= 1.6x its CPU time (it ran
at most ~60% of the time it was runnable), minimum, median and count shown; cannot be shown when cores
busy < 0.9 (other processes shared the CPU) or fewer than 4 hashes could be judged. Hashes of ~50 ms
(--wait-ms 50 sizes them) keep the few ms before the second thread first runs under 10% of a hash:
  cvp trace --workload cpu_bound --workers 2 --cores 1 --wait-ms 50";

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
    /// Pin this process to one CPU before anything runs (only 1 is accepted): time slicing, C9.
    ///
    /// net_bound's service, a child process started before the pinning, keeps every CPU.
    #[arg(long, value_parser = parse_cores)]
    cores: Option<usize>,
    /// Output folder.
    #[arg(long, default_value = "trace")]
    out: PathBuf,
    /// Replace the files of an existing output folder (files of your own in it are kept).
    #[arg(long)]
    force: bool,
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CoresArg {
    #[value(name = "1")]
    One,
    All,
    Both,
}

#[derive(clap::Args)]
struct LatencyArgs {
    /// Structures, comma-separated: sequential, async, async_yield, async_offload, threads [default: all]
    #[arg(long, value_delimiter = ',', value_parser = parse_id::<latency::Structure>)]
    structures: Option<Vec<latency::Structure>>,
    /// Worker counts, comma-separated, distinct, 1..=1024 [default: 1 and the usable cores]
    #[arg(long, value_parser = |v: &str| config::parse_threads("--workers", v).map(Threads).map_err(|e| e.short()))]
    workers: Option<Threads>,
    /// Heavy jobs per batch, 1..=4096 [default: 24, or 2 per worker at the largest count]
    #[arg(long, value_parser = |v: &str| config::parse_jobs("--jobs", v).map_err(|e| e.short()))]
    jobs: Option<usize>,
    /// Length of one heavy job in ms, 1..=1000; the rounds are calibrated from the measured hash rate.
    #[arg(long, default_value_t = latency::DEFAULT_JOB_MS, value_parser = clap::value_parser!(u64).range(1..=1000))]
    job_ms: u64,
    /// Milliseconds between two requests, 1..=1000.
    #[arg(long, default_value_t = latency::DEFAULT_INTERVAL_MS, value_parser = clap::value_parser!(u64).range(1..=1000))]
    interval_ms: u64,
    /// CPUs: 1 (the whole process pinned to one), all, or both (all first, then one).
    #[arg(long, value_enum, default_value = "both")]
    cores: CoresArg,
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
    /// A `cvp latency --format json` file: adds the latency section (tables, plot, C7).
    #[arg(long)]
    latency: Option<PathBuf>,
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
    /// A `cvp scale --format json` file: adds the scale section (table, scale.csv, two plots, C8). Given
    /// twice, a sleep file and a `--io socket` one: a section each.
    #[arg(long)]
    scale: Vec<PathBuf>,
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

fn main() -> ExitCode {
    // A service started by `net::Server::start` (net_bound's waits) is this executable: it serves and exits.
    cvp::net::serve_if_child();
    let cli = Cli::parse();
    // A `cvp scale` child measures its own threads: it installs no Ctrl-C handler (that is a thread), and
    // dies with its parent instead.
    if let Command::ScaleChild(args) = cli.command {
        return match scale::cli::run_child(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(Failure::Input(e) | Failure::Internal(e)) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    cli::install_ctrl_c();
    let result = match cli.command {
        Command::Hash { seed, rounds } => {
            println!("{}", cvp::workload::chain(seed, rounds));
            Ok(())
        }
        Command::Machine { json } => machine(json),
        Command::Config => show_config(),
        Command::Run(args) => run(args),
        Command::Latency(args) => latency_cmd(args),
        Command::Trace(args) => trace_cmd(args),
        Command::Report(args) => report_cmd(args),
        Command::Compare(args) => compare(args),
        Command::Scale(args) => scale::cli::run(args),
        Command::ScaleChild(_) => unreachable!("handled before the Ctrl-C handler"),
        Command::Serve(args) => serve(args),
    };
    cli::exit_code(result)
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    let options = cvp::net::ServeOptions {
        bind: args.bind,
        port: args.port,
        spread: args.spread,
        wait: std::time::Duration::from_millis(args.wait_ms),
        max_connections: args.max_connections.map(|n| n as usize),
    };
    options.validate().map_err(|e| Failure::Input(anyhow::anyhow!(e)))?;
    cvp::net::serve_until_stdin_closes(options).context("serving")?;
    Ok(())
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
    // net_bound opens up to J connections at once, a descriptor each in the client and in the service:
    // refused before anything runs when this machine's limits (soft limit raised to the hard one) cannot.
    if plan.workloads.contains(&WorkloadKind::NetBound) {
        let jobs = plan.workload(WorkloadKind::NetBound).jobs;
        if let Some(why) = Limits::detect().refuse_sockets(jobs, cvp::net::DEFAULT_SPREAD) {
            return Err(Failure::Input(anyhow::anyhow!(
                "invalid --jobs: net_bound's {why}; lower --jobs (or CVP_JOBS), raise the limit, or leave \
                 net_bound out of --workloads"
            )));
        }
    }
    let hashes = plan.workloads.iter().any(|&w| plan.workload(w).rounds > 0);
    if let Some(warning) = machine.oversubscription_warning(&plan.threads).filter(|_| hashes) {
        eprintln!("note: {warning}");
    }
    let bar = Progress::new(plan.total_runs(), "");
    let sweep =
        sweep::run(&plan, |label| bar.step(label)).map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
    bar.finish();
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

fn latency_cmd(args: LatencyArgs) -> Result<(), Failure> {
    // Read before any pinning: the machine that measured, with all its cores.
    let machine = Machine::detect();
    if let Some(id) = repeated(args.structures.as_deref().unwrap_or_default()) {
        return Err(Failure::Input(anyhow::anyhow!(
            "invalid --structures: {id} is listed twice; accepted: distinct ids, comma-separated"
        )));
    }
    if let Some(path) = &args.output {
        report::check_writable(path).map_err(|e| Failure::Input(anyhow::anyhow!("--output: {e}")))?;
    }
    let mut plan = latency::Plan::default_for(machine.usable_cores());
    if let Some(s) = args.structures {
        plan.structures = s;
    }
    if let Some(w) = args.workers {
        plan.workers = w.0;
    }
    plan.jobs = args.jobs.unwrap_or_else(|| latency::default_jobs(&plan.workers));
    plan.job_ms = args.job_ms;
    plan.interval_ms = args.interval_ms;
    plan.cores = match args.cores {
        CoresArg::One => latency::Cores::One,
        CoresArg::All => latency::Cores::All,
        CoresArg::Both => latency::Cores::Both,
    };
    let bar = Progress::new(plan.total_runs(), "");
    let file = latency::run(&plan, machine, std::env::args().collect(), |label| bar.step(label))
        .map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
    bar.finish();
    let text = match args.format {
        Format::Table => latency::table(&file),
        Format::Json => serde_json::to_string_pretty(&file).context("encoding latency JSON")? + "\n",
        Format::Csv => latency::csv(&file),
    };
    emit(&text, args.output.as_deref())
}

fn trace_cmd(args: TraceArgs) -> Result<(), Failure> {
    // The default also traces async on one worker (one event loop) beside async at --workers.
    let async_on_one = args.strategies.is_none();
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
        // Nothing is created before the run (a Ctrl-C leaves nothing behind): the nearest existing folder
        // above --out must take a file; write_folder creates the missing ones at the end.
        let mut above = out.as_path();
        while std::fs::symlink_metadata(above).is_err() {
            match above.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(p) => above = p,
                None => {
                    above = Path::new(".");
                    break;
                }
            }
        }
        report::check_writable(&above.join(".cvp-trace-check")).map_err(bad_out)?;
    }
    let plan = trace::Plan {
        workload: args.workload,
        jobs: args.jobs,
        workers: args.workers,
        strategies,
        wait_ms: args.wait_ms.as_millis() as u64,
        rounds: args.rounds,
        one_core: args.cores == Some(1),
        async_on_one,
    };
    let bar = Progress::new(plan.passes().len(), "tracing ");
    let file = trace::run(&plan, std::env::args().collect(), |label| bar.step(label))
        .map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
    bar.finish();
    let files = trace::files(&file)?;
    cli::writing(|| report::write_folder(out, &files, args.force))?;
    print!("{}", trace::table(&file));
    println!("wrote {}", out.display());
    Ok(())
}

fn report_cmd(args: ReportArgs) -> Result<(), Failure> {
    let criterion_dir = args.criterion_dir.unwrap_or_else(report::criterion_home);
    let command = std::env::args().map(|a| report::shell_word(&a)).collect::<Vec<_>>().join(" ");
    let mut sections = Vec::new();
    for path in &args.scale {
        let section = scale::read_section(path)?;
        let clash =
            |s: &&report::Section| s.files.iter().any(|(n, _)| section.files.iter().any(|(m, _)| m == n));
        if let Some(other) = sections.iter().find(clash) {
            return Err(Failure::Input(anyhow::anyhow!(
                "--scale {}: {} holds the same kind of scale run; accepted: at most one --io sleep file and \
                 one --io socket file",
                path.display(),
                other.source.display()
            )));
        }
        sections.push(section);
    }
    if let Some(path) = &args.latency {
        sections.push(latency::read_section(path)?);
    }
    for path in &args.trace {
        sections.push(trace::read_section(path)?);
    }
    let built = report::build(&report::Options {
        criterion_dir: &criterion_dir,
        baseline: &args.baseline,
        run_path: args.run.as_deref(),
        command: &command,
        assume_this_machine: args.assume_this_machine,
        sections,
    })?;
    let out = args.out.unwrap_or_else(|| built.default_out());
    cli::writing(|| built.write(&out, args.force))?;
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
