//! The `cvp` command: `hash`, `machine`, `config`, `run`, `scale`, `latency`, `trace`, `report` and `compare`
//! over the `cvp` library.
//!
//! Exit status: 0 on success, 2 on bad input (a `CVP_*` variable, a flag, missing criterion data, an existing
//! output folder), 1 when something that should work did not (a wrong digest, a failed write), 130 on Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cvp::analysis;
use cvp::cli::{self, Failure, Format, Progress, emit, parse_id, repeated};
use cvp::config::{self, Config};
use cvp::experiment::sweep::{self, Plan};
use cvp::machine::Machine;
use cvp::machine::limits::Limits;
use cvp::report::{self, RunFile};
use cvp::views::{latency, scale, trace};
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
    #[command(long_about = latency::cli::HELP)]
    Latency(latency::cli::Args),
    /// Trace one pass per strategy: which OS thread ran which job's wait and hash, when (claim C9). Writes
    /// timeline.svg and trace.json (Chrome Trace Event Format, for Perfetto UI) into a folder.
    #[command(long_about = trace::cli::HELP)]
    Trace(trace::cli::Args),
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
        Command::Latency(args) => latency::cli::run(args),
        Command::Trace(args) => trace::cli::run(args),
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
