//! `cvp scale`'s command line: the flags and help text, flags + the `CVP_*` variables -> a [`Plan`], then
//! measure -> analysis -> render; and the hidden `cvp scale-child` that one child process runs.

use std::path::PathBuf;

use anyhow::Context;

use super::{
    DEFAULT_STRATEGIES, Io, Plan, Row, ScaleFile, Structure, cells, csv, default_socket_jobs,
    default_structures, measure, runs, table, verdicts,
};
use crate::StrategyKind;
use crate::cli::{Failure, Format, Progress, check_output, emit, parse_id, repeated};
use crate::config::{self, Config};
use crate::machine::Machine;
use crate::machine::limits::Limits;

/// `cvp scale --help`: what the command runs, what each row holds, the goals and how C8 is judged.
pub const HELP: &str = "\
Run the io_bound workload (J jobs, each one wait, no hashing) at every J in CVP_SCALE_JOBS (default
1,10,100,1000,10000,100000) for each structure: reference (a current-thread tokio runtime, one sleep per
job: the cheapest way to keep J waits in flight), thread_per_job (J threads), async on 1 worker and on
all cores, async_offload, and the pool-bound threads and rayon at N = cores (J x W / N: run only when that
fits --budget-s). Every (structure, J) runs in a fresh child process, so its peak memory, threads and
context switches are its own; thread rows above half of a limit of this machine (RLIMIT_NPROC,
kernel.threads-max, the cgroup's pids.max, vm.max_map_count, available memory) are skipped, never tried.

Per row: wall, wall / one wait (the J = 1 row of the same structure), overhead per wait, in flight
(Little's law), CPU time and cores busy, peak RSS above the child's idle baseline per wait (only where it
is at least 5x the structure's J = 1 excess, the noise floor of the kernel's approximate counters), page
tables (VmPTE), peak OS threads, voluntary / involuntary context switches, and a status. Then whether
async on 1 worker stays within 1.10x of the reference at each J (met / missed / undecided).

C8 'threads for waiting add overhead, not speed': shown when, at the largest J >= 1000 at which both were
measured above the noise floor, thread_per_job needs >= 5x the memory per wait of async on 1 worker and
is not faster (its wall at most 1.10x shorter), each tested over the distribution-free 95% intervals of
the medians (binomial order statistics). Those need >= 6 runs, so thread_per_job and async/1 at every
J >= 1000 where both run are run at least 6 times, whatever --repeat says; with fewer C8 cannot be shown.
The goals' ranges are the fastest to slowest run, and say so.

--io socket: the same on net_bound, each wait a request over loopback TCP to one `cvp serve` child that
this command starts before the first row (its CPU is never the rows'; its CPU per request is shown).
Default J 1 to 10,000, and 100,000 where the limits hold it. Each J is also checked against the client's
and the service's RLIMIT_NOFILE (raised to the hard limit; a descriptor per connection, plus 64) and the
ephemeral ports per loopback address (net.ipv4.ip_local_port_range); what does not fit is skipped, naming
every limit. Its reference row is the smallest connect-per-request client (a current-thread tokio
runtime, one task per request: connect, send the 8-byte seed, read the 32-byte reply, check it, reset;
no strategy machinery). C8 is judged on these rows as its own verdict, and the goal: async/1's wall within
1.10x of the reference's at 1,000 and 10,000 requests (the strategy machinery should cost nothing visible
next to the socket work).";

/// The flags of `cvp scale`.
#[derive(clap::Args)]
pub struct Args {
    /// Job counts (waits in flight), comma-separated, distinct, 1..=1000000; 1 is always added (the
    /// one-wait reference) [default: CVP_SCALE_JOBS, else 1,10,100,1000,10000,100000]
    #[arg(long, value_parser = |v: &str| config::parse_scale_jobs("--jobs", v).map(Jobs).map_err(|e| e.short()))]
    jobs: Option<Jobs>,
    /// Strategies besides the reference, comma-separated [default: thread_per_job, async, async_offload,
    /// threads, rayon; sequential only when named]
    #[arg(long, value_delimiter = ',', value_parser = parse_id::<StrategyKind>)]
    strategies: Option<Vec<StrategyKind>>,
    /// Milliseconds per wait, 1..=1000 [default: CVP_WAIT_MS, else 10]
    #[arg(long, value_parser = |v: &str| config::parse_wait_ms("--wait-ms", v).map_err(|e| e.short()))]
    wait_ms: Option<std::time::Duration>,
    /// Seconds a pool-bound row (threads, rayon, sequential) may be predicted to take (J x W / N), 0.01..=600
    #[arg(long, default_value_t = 2.0, value_parser = parse_budget)]
    budget_s: f64,
    /// Child processes per (structure, J), 1..=20; the median is kept [default: by CVP_PROFILE: quick 1,
    /// standard 3, thorough 5; thread_per_job and async/1 at J >= 1000, which decide C8, at least 6: a 95%
    /// interval for a median needs that many]
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=20))]
    repeat: Option<u16>,
    /// What a wait is: sleep (io_bound) or socket (net_bound: a request over loopback TCP to one
    /// `cvp serve` child started by this command; default J then 1 to 10,000, and 100,000 where the
    /// open-file limits and ephemeral ports allow).
    #[arg(long, default_value = "sleep", value_parser = parse_id::<Io>)]
    io: Io,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the output to this file (atomically, when complete) instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

/// The flags of the hidden `cvp scale-child`: the one (structure, J) a child process measures.
#[derive(clap::Args)]
pub struct ChildArgs {
    #[arg(long)]
    strategy: String,
    #[arg(long)]
    workers: usize,
    #[arg(long)]
    jobs: usize,
    #[arg(long)]
    wait_ms: u64,
    /// net_bound: the service's first address and port.
    #[arg(long)]
    server: Option<std::net::SocketAddrV4>,
    /// net_bound: how many consecutive addresses it listens on.
    #[arg(long, default_value_t = crate::workload::net::DEFAULT_SPREAD)]
    spread: u8,
}

/// A parsed `--jobs` list for `cvp scale`.
#[derive(Clone)]
struct Jobs(Vec<usize>);

fn parse_budget(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if (0.01..=600.0).contains(&x) => Ok(x),
        _ => Err("accepted: seconds from 0.01 to 600, e.g. 2".into()),
    }
}

/// `cvp scale`: flags and the `CVP_*` variables -> a plan, checked against this machine's limits; then
/// measure -> analysis (C8) -> the table, JSON or CSV.
pub fn run(args: Args) -> Result<(), Failure> {
    let machine = Machine::detect();
    let mut overridden = Vec::new();
    if args.jobs.is_some() {
        overridden.push("CVP_SCALE_JOBS");
    }
    if args.wait_ms.is_some() {
        overridden.push("CVP_WAIT_MS");
    }
    let env =
        Config::from_env_except(machine.usable_cores(), &overridden).map_err(|e| Failure::Input(e.into()))?;
    let strategies = args.strategies.unwrap_or_else(|| DEFAULT_STRATEGIES.to_vec());
    if let Some(id) = repeated(&strategies) {
        return Err(Failure::Input(anyhow::anyhow!(
            "invalid --strategies: {id} is listed twice; accepted: distinct ids, comma-separated"
        )));
    }
    check_output(args.output.as_deref())?;
    // Raises the open-file limit to the hard one (what the children and the service do too) and reads it.
    let limits = Limits::detect();
    let mut jobs = match (args.jobs, args.io) {
        (Some(j), _) => j.0,
        (None, Io::Socket) if std::env::var_os("CVP_SCALE_JOBS").is_none() => default_socket_jobs(&limits),
        (None, _) => env.scale_jobs,
    };
    if !jobs.contains(&1) {
        jobs.insert(0, 1);
    }
    let structures = default_structures(machine.usable_cores(), &strategies);
    let repeat = args.repeat.map_or(
        match env.profile {
            config::Profile::Quick => 1,
            config::Profile::Standard => 3,
            config::Profile::Thorough => 5,
        },
        usize::from,
    );
    let plan = Plan {
        jobs,
        wait_ms: args.wait_ms.unwrap_or(env.wait).as_millis() as u64,
        structures: structures.iter().map(|s| s.label()).collect(),
        budget_s: args.budget_s,
        repeat,
        io: args.io,
    };
    let runs: usize = runs(&cells(&structures, &plan, &limits), repeat).iter().sum();
    let bar = Progress::new(runs, "");
    let rows = measure::run(&structures, &plan, &limits, |label| bar.step(label))
        .context("cvp scale --io socket could not start its service")?;
    bar.finish();
    // No child could be started at all: that is not a measurement, it is a broken installation.
    if !rows.iter().any(Row::ok)
        && let Some(r) = rows.iter().find(|r| r.status.starts_with("failed: cannot start"))
    {
        return Err(Failure::Internal(anyhow::anyhow!(
            "cvp scale could not start its children: {}",
            r.status
        )));
    }
    let verdicts = verdicts(&rows, plan.io);
    let file = ScaleFile { command: std::env::args().collect(), machine, limits, plan, rows, verdicts };
    let text = match args.format {
        Format::Table => table(&file),
        Format::Json => serde_json::to_string_pretty(&file).context("encoding scale JSON")? + "\n",
        Format::Csv => csv(&file.rows),
    };
    emit(&text, args.output.as_deref())
}

/// `cvp scale-child`: measures one (structure, J) in this process ([`super::child`]) and prints its report
/// as one JSON line for the parent.
pub fn run_child(args: ChildArgs) -> Result<(), Failure> {
    let structure = if args.strategy == "reference" {
        Structure::Reference
    } else {
        let s = args.strategy.parse::<StrategyKind>().map_err(|e| Failure::Input(anyhow::anyhow!(e)))?;
        Structure::Of(s, args.workers.max(1))
    };
    let server = args.server.map(|a| crate::workload::net::Target {
        base: *a.ip(),
        port: a.port(),
        spread: args.spread.max(1),
    });
    let report = super::child(structure, args.jobs.max(1), args.wait_ms, server);
    println!("{}", serde_json::to_string(&report).context("encoding the child's report")?);
    Ok(())
}
