//! `cvp run` and `cvp compare`: flags and `Config` -> plan, then measure -> analysis -> render.

use std::path::PathBuf;

use anyhow::Context;

use super::{NetPairs, Plan, RunFile, analysis, compare, measure, render};
use crate::cli::{Failure, Format, Progress, check_output, emit, parse_id, repeated};
use crate::config::{self, Config};
use crate::machine::Machine;
use crate::machine::limits::Limits;
use crate::report;
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

/// The long help of `cvp run`.
pub const HELP: &str = "\
Sweep workloads x strategies x worker counts. Every pool and runtime is built once; every configuration
runs once untimed as a warm-up whose digest is checked against the expected one; then come --repeat
rounds, each timing every configuration once in a freshly shuffled order (so drift spreads evenly and
sequential, the baseline, is measured among the others). With async, async_multi/1 runs too on
io_bound and net_bound: tokio's multi-thread runtime with one worker, C4's baseline (the runtime column
names each async row's runtime: current_thread for async/1 and async_offload's loop, multi_thread for
async/N at 2 or more and async_multi/1). Every row a verdict reads (the sequential baselines of
cpu_bound, cpu_chain and io_bound, async at every count and async_multi/1 on io_bound and net_bound,
cpu_bound async/1, cpu_bound and cpu_chain threads/rayon from 2 workers, io_bound threads/rayon at the
largest count) takes all --repeat rounds, and the async rows of io_bound and net_bound and the
one-wait floors, a wait long each, take 5 x --repeat (30 by default: their verdicts compare them at a
few percent), 5 runs in each round; the others, only shown for context, take one round (no interval), which keeps the
default sweep within about 40 s on 2 cores. The median round is kept with its
CPU time, its 95% interval (distribution-free, from the order statistics of the rounds: none below 6
rounds), and the fastest and slowest round beside it. One job's wait is also measured alone in the same
rounds, blocking and async, each on the runtime of the rows it divides (tokio's current-thread runtime
for async/1 and async_offload, the multi-thread runtime of N workers for async/N; none for
async_multi/1, whose in flight is against the nominal wait): the floor that Little's law and the
verdicts use instead of the nominal wait. cpu_chain is cpu_bound's hashing as one job, one chain of all
its J x R rounds, which no number of workers can split; it runs under sequential, threads and rayon
only (the rows C5 reads).
net_bound (in the default sweep) sends each job's wait as a request over loopback TCP to `cvp serve`,
which this command starts as a child process (and a second one replying at once, for the same runs at
W = 0: the socket's cost per request); its own one-request floors serve net_bound only. Its rows add
server busy: the service's CPU time / wall, read from its CPU clock around each run, never part of cores
busy (this process's own clock). Two numbers per row:
  cores busy = CPU time / wall time                   (parallelism achieved)
  in flight  = jobs x one measured wait / wall time   (concurrency achieved, Little's law)
Flags override the CVP_* variables of the same meaning.

Verdicts (cores = available parallelism; each is 'shown', 'not shown' or 'cannot be shown here'; one wait
= one job's wait measured alone on the same runtime; every value is tested with its 95% interval (a ratio
of two with every ratio the two allow: at least 93.8% at 6 rounds), and a
threshold inside it gives 'cannot be shown here (too noisy)'; fewer than 6 rounds give no interval and
no timing verdict; a wall shorter than its floor beyond both intervals, i.e. more jobs in flight than
jobs, is a failed measurement, named, never evidence; (control): guaranteed by the code's structure, so it
fails only through a measuring error):
  C1 io_bound async on 1 worker finishes all jobs in <= 1.5 x one wait.
  C2 cpu_bound best of threads/rayon reaches >= 0.75 x workers up to the physical cores and stays
     <= 1.15 x cores beyond the cores (needs 2+ cores and a worker count above them; control beyond
     the cores).
  C3 io_bound async on its most workers keeps >= 0.5 x jobs in flight with <= 0.25 cores busy.
  C4 io_bound, where the loop is mostly waiting (async_multi/1 keeps <= 0.25 cores busy): async at
     every N of 2 or more is not faster (async_multi/1 wall / async/N wall <= 1.10x) and, at the smallest
     N at or above the cores, spends more CPU time and more context switches per job than async_multi/1,
     beyond both intervals (async/1, the current-thread runtime, is shown for context). A busier loop
     gets a line 'C4 (boundary)' instead, never C4's verdict: more workers help when the best speedup
     over async_multi/1 is > 1.10x.
  C5 all three: io_bound threads/rayon above the cores speed up > 1.25 x cores with <= 0.25 cores
     busy, a gain past the cores that is not parallelism (decidable when the jobs allow such a
     speedup); cpu_chain, cpu_bound's J x R rounds as one chain, stays <= 1.10x its sequential with
     threads/rayon at every N from 2 (unsplittable: control); cpu_bound, the same rounds as J chains,
     reaches >= 0.75 x N at N = the physical cores or the most workers within them (split). Needs 2+
     physical cores; a speedup beyond the cores the row kept busy (over sequential's) is a failed
     measurement, named.
  C6 cpu_bound async on 1 worker is <= 1.10x sequential (control).
  With net_bound, C1, C3 and C4 (and its boundary line) are judged on it too, each right after
  io_bound's.";

/// `cvp run`'s flags.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Workloads, comma-separated [default: all]
    #[arg(long, value_delimiter = ',', value_parser = parse_id::<WorkloadKind>)]
    pub workloads: Option<Vec<WorkloadKind>>,
    /// Strategies, comma-separated; sequential always runs as the baseline [default: all]
    #[arg(long, value_delimiter = ',', value_parser = parse_id::<StrategyKind>)]
    pub strategies: Option<Vec<StrategyKind>>,
    /// Worker counts, comma-separated, distinct, 1..=1024 [default: CVP_THREADS, else 1, 2, 4 .. up to
    /// 2 x cores, plus the core count and twice it when they are not powers of two]
    #[arg(long, value_parser = |v: &str| config::parse_threads("--threads", v).map(Threads).map_err(|e| e.short()))]
    pub threads: Option<Threads>,
    /// Jobs per workload, 1..=4096 (cpu_chain is always 1 job, of cpu_bound's jobs x rounds rounds)
    /// [default: CVP_JOBS, else cpu_bound 128 (or 4 per worker at the largest count), io_bound and mixed
    /// the smallest multiple of the largest count that is at least 32 and at least 2 per worker; `cvp
    /// config` prints them]
    #[arg(long, value_parser = |v: &str| config::parse_jobs("--jobs", v).map_err(|e| e.short()))]
    pub jobs: Option<usize>,
    /// Hash rounds per job, 1..=1000000 [default: CVP_ROUNDS, else 20000]
    #[arg(long, value_parser = |v: &str| config::parse_rounds("--rounds", v).map_err(|e| e.short()))]
    pub rounds: Option<u32>,
    /// Milliseconds per wait, 1..=1000 [default: CVP_WAIT_MS, else 10]
    #[arg(long, value_parser = |v: &str| config::parse_wait_ms("--wait-ms", v).map_err(|e| e.short()))]
    pub wait_ms: Option<std::time::Duration>,
    /// Timed rounds of each row a verdict reads, 1..=100; the other rows take 1 [default: by CVP_PROFILE: quick 3, standard 6, thorough 9; fewer than 6 give no 95% interval, so no timing verdict]
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub repeat: Option<u16>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the output to this file (atomically, when complete) instead of standard output; checked
    /// before anything is measured.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// `cvp compare`'s flags.
#[derive(clap::Args)]
pub struct CompareArgs {
    /// Baseline name (in the criterion folder) or results folder: the reference.
    pub a: String,
    /// Baseline name or results folder: the candidate.
    pub b: String,
    /// criterion's output folder, for baseline names [default: as for `report`]
    #[arg(long)]
    pub criterion_dir: Option<PathBuf>,
    /// Smallest relative change called faster or slower, as criterion's own (0.01 = 1%).
    #[arg(long, default_value_t = 0.01, value_parser = parse_threshold)]
    pub noise_threshold: f64,
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if (0.0..1.0).contains(&x) => Ok(x),
        _ => Err("accepted: a fraction from 0 to below 1, e.g. 0.01 for 1%".into()),
    }
}

/// A parsed `--threads` list (one value to clap, not many).
#[derive(Clone)]
pub struct Threads(pub Vec<usize>);

/// `cvp run`: sweeps the plan, judges C1..C6 and prints or writes the run file.
pub fn run(args: RunArgs) -> Result<(), Failure> {
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
    check_output(args.output.as_deref())?;
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
        if let Some(why) = Limits::detect().refuse_sockets(jobs, crate::workload::net::DEFAULT_SPREAD) {
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
        measure::run(&plan, |label| bar.step(label)).map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
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
        Format::Table => render::run_table(&file, &NetPairs::of_runs(&file.runs)),
        Format::Json => serde_json::to_string_pretty(&file).context("encoding run JSON")? + "\n",
        Format::Csv => render::run_csv(&file.runs),
    };
    emit(&text, args.output.as_deref())
}

/// `cvp compare`: two baselines or two results folders, benchmark by benchmark.
pub fn compare(args: CompareArgs) -> Result<(), Failure> {
    let criterion_dir = args.criterion_dir.unwrap_or_else(report::criterion_home);
    let opts =
        compare::CompareOptions { criterion_dir: &criterion_dir, noise_threshold: args.noise_threshold };
    let text = compare::compare(&opts, &args.a, &args.b)?;
    print!("{text}");
    Ok(())
}
