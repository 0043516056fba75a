//! `cvp latency`: its flags (with the long help) and the command: flags -> [`Plan`], then measure -> judge
//! -> render.

use std::path::PathBuf;

use anyhow::Context;
use clap::ValueEnum;

use super::{Cores, Plan, Structure, csv, default_jobs, table};
use crate::cli::{Failure, Format, Progress, check_output, emit, parse_id, repeated};
use crate::config;
use crate::machine::Machine;

/// The long help of `cvp latency`.
pub const HELP: &str = "\
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
--cores 1 pins every server thread to one CPU and the client to another (where there are >= 2 usable
CPUs; with one they share it); all gives the server every CPU but the client's where there are >= 3,
and client and server share them where not; both runs all first, then 1. Each one-core row runs 6
times: its p99 is the median of the runs' p99s, with the 95% interval between runs (one stall delays
every request due during it, so requests are not independent). Each row also runs the batch alone
(slowdown = with requests / alone). The idle floor: every structure with no heavy work, N = 1.
C7 (one core): async_yield, async_offload and threads each keep p99 <= 1/4 of one job while async on
1 worker has p99 >= 1/2 job (a loop that serves only between jobs makes requests wait half a job on
average, 0.99 of one at p99); each p99 is tested with its 95% interval.";

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CoresArg {
    #[value(name = "1")]
    One,
    All,
    Both,
}

/// A parsed `--workers` list (one value to clap, not many).
#[derive(Clone)]
struct Workers(Vec<usize>);

/// The flags of `cvp latency`.
#[derive(clap::Args)]
pub struct Args {
    /// Structures, comma-separated: sequential, async, async_yield, async_offload, threads [default: all]
    #[arg(long, value_delimiter = ',', value_parser = parse_id::<Structure>)]
    structures: Option<Vec<Structure>>,
    /// Worker counts, comma-separated, distinct, 1..=1024 [default: 1 and the usable cores]
    #[arg(long, value_parser = |v: &str| config::parse_threads("--workers", v).map(Workers).map_err(|e| e.short()))]
    workers: Option<Workers>,
    /// Heavy jobs per batch, 1..=4096 [default: 12, or 2 per worker at the largest count]
    #[arg(long, value_parser = |v: &str| config::parse_jobs("--jobs", v).map_err(|e| e.short()))]
    jobs: Option<usize>,
    /// Length of one heavy job in ms, 1..=1000; the rounds are calibrated from the measured hash rate.
    #[arg(long, default_value_t = super::DEFAULT_JOB_MS, value_parser = clap::value_parser!(u64).range(1..=1000))]
    job_ms: u64,
    /// Milliseconds between two requests, 1..=1000.
    #[arg(long, default_value_t = super::DEFAULT_INTERVAL_MS, value_parser = clap::value_parser!(u64).range(1..=1000))]
    interval_ms: u64,
    /// CPUs for the server: 1 (pinned to one; the client on another), all, or both (all first, then one).
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

/// `cvp latency`: checks the flags, measures the plan, judges C7 and prints (or writes) the table, JSON or CSV.
pub fn run(args: Args) -> Result<(), Failure> {
    // Read before any pinning: the machine that measured, with all its cores.
    let machine = Machine::detect();
    if let Some(id) = repeated(args.structures.as_deref().unwrap_or_default()) {
        return Err(Failure::Input(anyhow::anyhow!(
            "invalid --structures: {id} is listed twice; accepted: distinct ids, comma-separated"
        )));
    }
    check_output(args.output.as_deref())?;
    let mut plan = Plan::default_for(machine.usable_cores());
    if let Some(s) = args.structures {
        plan.structures = s;
    }
    if let Some(w) = args.workers {
        plan.workers = w.0;
    }
    plan.jobs = args.jobs.unwrap_or_else(|| default_jobs(&plan.workers));
    plan.job_ms = args.job_ms;
    plan.interval_ms = args.interval_ms;
    plan.cores = match args.cores {
        CoresArg::One => Cores::One,
        CoresArg::All => Cores::All,
        CoresArg::Both => Cores::Both,
    };
    let bar = Progress::new(plan.total_runs(), "");
    let file = super::run(&plan, machine, std::env::args().collect(), |label| bar.step(label))
        .map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
    bar.finish();
    let text = match args.format {
        Format::Table => table(&file),
        Format::Json => serde_json::to_string_pretty(&file).context("encoding latency JSON")? + "\n",
        Format::Csv => csv(&file),
    };
    emit(&text, args.output.as_deref())
}
