//! `cvp server`: its flags (with the long help) and the command. In this step it only serves: `--serve`
//! starts one structure for any client until Ctrl-C or the end of stdin.

use std::io::{Read, Write};
use std::sync::mpsc;

use std::path::PathBuf;

use anyhow::Context;

use super::{Limits, Plan, ServerFile, Structure, measure, render, sweep};
use crate::cli::{Failure, Format, Progress, check_output, emit, repeated};

/// The long help of `cvp server`.
pub const HELP: &str = "\
The program under test is a server, driven at a constant rate from another process. Without --serve,
each structure runs as a child process pinned to the server's CPUs (the first quarter of the usable
ones, at least one); this process is the load generator, pinned with the backend to the others. It opens
C keep-alive connections (--connections, default 512 per server CPU) and offers requests open loop at a
constant rate, as wrk2 does: request i is due at i / rate on connection i mod C, and its latency counts
from that due time, so a stall is charged to every request due during it; the latency after the send is
shown beside it, and the generator's own lag (its send minus the later of the due time and the previous
reply on its connection). Every reply's digest is checked. Rates start at the highest / 128 (at most a
quarter of what the server's CPUs can hash, for CPU-bound --rounds) and double until a step saturates,
then the interval around the knee is halved until it is within 10%; the highest rate keeps C requests
in flight at twice a request's own work. When the first rate saturates it is halved, at most 4 times
(not when over half its requests went unanswered: a lower rate would not help).
Each step starts once the server is idle: 0.25 s of warm-up, then a window (--window, default 1 s, longer
at low rates so it counts at least 100 requests) whose requests are counted. It keeps up when every
counted request is answered correctly by the end of the drain (so the achieved rate, answered requests
over the window, is the offered) and p99 is under twice a request's work plus one Linux scheduling
period of the server's CPUs (26 ms at 10 ms waits on one CPU); unanswered requests count in the
percentiles at the end of the drain (shown as >=). A step is generator-bound, never the server's, when
the generator's mean lag passes 1 ms or the generator and the backend (their own CPU clocks) kept over
90% of the generator's CPUs busy. A step saturated on its p99 alone, or generator-bound, is offered once
more before it counts (a machine stall can cause one); a generator-bound rate ends that structure's
sweep, and its knee lies above the last rate it kept up at. Per step, from /proc/<server pid> over the
window: the server's CPU (cores busy, us per reply), RSS, threads, voluntary and involuntary switches
per reply; and requests on the connections by Little's law.
C4 on a server (a twin of C4): after the sweep (async/1 and async/N, N >= 2, both in the plan), at half
the lower of the highest rates both kept up with, and no higher than where async/1 kept <= 0.2 cores busy,
6 pairs of steps in turn (up to 9 tried; which goes first alternates) of async_multi/1 (async/N's
scheduler with one worker: like for like) and async/N. Judged only where async_multi/1 keeps <= 0.25 cores
busy (mostly waiting); shown when the pairs' median async_multi/1 p50 / async/N p50 is <= 1.10 and async/N
/ async_multi/1 CPU per request and switches per request are > 1, each over its 95% interval.
--idle: instead of the sweep, the C10k row: keep-alive connections in levels of 1, C/8, C/4, C/2 and C
(--connections, default 10000), each used once and left idle; the server's memory per connection is the
slope of a least-squares line through its RSS at those levels (95% interval); limits (open files,
threads) are checked first and named when they stop a row. C8 on a server (a twin of C8): then, with C/10
and C connections open (1,000 and 10,000), 6 pairs of steps in turn (up to 9 tried) of
thread_per_connection and async/1 at the rate where each connection has a request in flight 1/256 of the
time (C / 2.56 s at 10 ms: 391/s and 3,906/s). Shown when thread_per_connection's memory per connection
is >= 5 x async/1's over both intervals and, at both C, the pairs' median switches per request
thread_per_connection / async/1 is > 1 and p50 async/1 / thread_per_connection <= 1.10 (a control), each
over its 95% interval.
--mix: instead of the sweep, C7 on a server (a twin of C7): 1 request in 16 hashes one heavy job (40 ms,
rounds calibrated first) after its wait, at the rate where async/1's loop hashes a quarter of the time;
9 steps of each structure, each of >= 200 light requests (up to 13 tried while the generator fell
behind; default async/1, async_offload/S (at least 2: a pool of one queues light hashing behind heavy),
thread_per_connection). Shown when the median of the light requests' p99 - p50 is >= 0.5 heavy job for
async/1 and <= 0.25 for async_offload/N and thread_per_connection (a step they did not keep up with
counts as a whole job), each over its 95% interval.
--cores: instead of the sweep, C5 on a server (a twin of C5): async_multi/N on the same server CPUs (S
CPUs holding P physical cores; where the first quarter holds fewer than 2 cores, every usable CPU, shared
with the generator and the backend, whose work then weighs most on N >= 2, against the claim), the N of
each half searched in turn, step by step, each to its knee: the bracket from the highest rate kept up to
the lowest saturated, narrowed to 2.5% (the rate grid's resolution, not a confidence interval). With
CPU-bound requests (2 ms of hashing, rounds calibrated first, no wait, 64 connections per server CPU) at
N = 1, P, S and 2S; with waiting requests (--wait-ms, 10 by default, over as many connections as carry at
most 1,600/s: 16 at 10 ms) at N = 1 and P. Shown when, with async_multi/1 >= 0.9 cores busy at its
CPU-bound knee, that knee of N = P over N = 1 is >= 0.75 x P and of 2S over S <= 1.15 (a control); and,
with async_multi/1 <= 0.25 cores busy at its waiting knee, the ceiling over that knee of N = 1 is <= 1.15
(one worker reaches what the waits allow) and the waiting knee of P over 1 <= 1.15 (a control: the
connections cap every N); over the brackets.
Structures (N: name/N, default the server's CPUs; --serve also takes --workers):
  thread_per_connection  one OS thread per accepted connection
  threads/N              a fixed pool of N threads; accepted connections queue to it, each served to its
                         end (with keep-alive it serves N connections at a time)
  async/N                tokio, a task per connection: current-thread for N = 1, N workers above
  async_multi/N          tokio's multi-thread runtime with N workers even for N = 1 (C4's baseline)
  async_offload/N        tokio current-thread, each request's hashing on a rayon pool of N
  reference              the smallest tokio server doing the same work (current-thread), no strategy code
--serve STRUCTURE starts one structure alone on 127.0.0.1 and prints `listening on
http://127.0.0.1:PORT/job?...` (a URL to try) as its first line, so any HTTP/1.1 client can drive it
(curl, wrk, ab); it stops on Ctrl-C or when its stdin closes, and its backends with it. A request is GET
/job?seed=S&rounds=R&wait_ms=W (each optional: seed 0, rounds 10, wait_ms 10): the server waits W ms on
real I/O (a request over loopback to a `cvp serve` backend, a child process; one per distinct W, at most
8), then hashes R rounds of the SHA-256 chain and answers 200 with the digest in hex, the same as `cvp
hash --seed S --rounds R`. Limits, never a panic: a malformed request, a bad query or a head over 8192
bytes gets 400 with a one-line reason and the connection closed; a path other than /job gets 404; over
--max-connections or --max-in-flight (default: from the open-file limit) a 503 names the limit. rounds
<= 4000000, wait_ms <= 1000.";

/// The flags of `cvp server`.
#[derive(clap::Args)]
pub struct Args {
    /// Serve one structure for any client instead of sweeping: thread_per_connection, threads, async,
    /// async_offload or reference (those that take a worker count also as name/N).
    #[arg(long, value_name = "STRUCTURE", value_parser = parse_structure)]
    serve: Option<(String, Option<usize>)>,
    /// Worker count for threads, async and async_offload with --serve, 1..=1024 [default: the usable
    /// cores].
    #[arg(long, requires = "serve", value_parser = clap::value_parser!(u64).range(1..=super::MAX_WORKERS as u64))]
    workers: Option<u64>,
    /// With --serve: the port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 0, requires = "serve")]
    port: u16,
    /// With --serve: most client connections open at once [default: the descriptors this process may
    /// open, less 64 kept for itself and the requests in flight].
    #[arg(long, requires = "serve", value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: Option<u64>,
    /// With --serve: most requests being answered at once, each holding a backend connection [default: a
    /// quarter of the descriptors this process may open less 64, at most 4096].
    #[arg(long, requires = "serve", value_parser = clap::value_parser!(u64).range(1..))]
    max_in_flight: Option<u64>,
    /// With --serve: pin the server's threads to these CPUs (comma-separated numbers), once its backend
    /// has started on the CPUs it was started on.
    #[arg(long, requires = "serve", value_delimiter = ',', value_parser = clap::value_parser!(u16))]
    cpus: Option<Vec<u16>>,
    /// The wait of each request of the sweep, ms, and the backend started first with --serve (0..=1000).
    #[arg(long, default_value_t = super::DEFAULT_WAIT_MS, value_parser = clap::value_parser!(u64).range(0..=super::MAX_WAIT_MS as i64 as u64))]
    wait_ms: u64,
    /// The sweep's structures, comma-separated (name or name/N) [default: thread_per_connection,
    /// threads/S, async/1, async/S (at least 2), async_offload/S, reference; S = the server's CPUs].
    #[arg(long, conflicts_with = "serve", value_delimiter = ',', value_parser = parse_structure)]
    structures: Option<Vec<(String, Option<usize>)>>,
    /// Instead of the rate sweep, the C10k row: open idle keep-alive connections to each structure in
    /// levels up to --connections (default 10000), and fit the server's memory per connection.
    #[arg(long, conflicts_with = "serve")]
    idle: bool,
    /// Instead of the rate sweep, C7's heavy-request mix: 1 request in 16 hashes 40 ms, at one rate, 9
    /// steps of each structure [default structures: async/1, async_offload/S (at least 2),
    /// thread_per_connection].
    #[arg(long, conflicts_with_all = ["serve", "idle"])]
    mix: bool,
    /// Instead of the rate sweep, C5 on a server: async_multi/N swept to its knee at N = 1, the server's
    /// physical cores P, its CPUs S and 2S with CPU-bound requests (2 ms of hashing), and at N = 1 and P
    /// with waiting requests (--wait-ms over 16 connections). Where the server's CPUs hold one core, it
    /// runs on every usable CPU, shared with the generator (said in the output).
    #[arg(long, conflicts_with_all = ["serve", "idle", "mix", "structures", "connections", "rounds"])]
    cores: bool,
    /// The sweep's keep-alive connections per structure [default: 512 per server CPU, at most 4096], or
    /// with --idle the most idle connections [default: 10000].
    #[arg(long, conflicts_with = "serve", value_parser = clap::value_parser!(u64).range(1..=65536))]
    connections: Option<u64>,
    /// SHA-256 rounds per request of the sweep (more makes requests CPU-bound), 0..=4000000.
    #[arg(long, default_value_t = super::DEFAULT_ROUNDS, conflicts_with = "serve", value_parser = clap::value_parser!(u32).range(0..=super::MAX_ROUNDS as i64))]
    rounds: u32,
    /// Each step's counted window, seconds (0.1..=60).
    #[arg(long, default_value_t = 1.0, conflicts_with = "serve", value_parser = parse_window)]
    window: f64,
    /// Output format of the sweep.
    #[arg(long, value_enum, default_value_t = Format::Table, conflicts_with = "serve")]
    format: Format,
    /// Write the sweep's output to this file (atomically) instead of standard output.
    #[arg(long, conflicts_with = "serve")]
    output: Option<PathBuf>,
}

/// A window length in seconds, 0.1..=60.
fn parse_window(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(w) if (0.1..=60.0).contains(&w) => Ok(w),
        _ => Err("accepted: seconds from 0.1 to 60".into()),
    }
}

/// `name` or `name/N`, the name checked here and the count (if any) with `--workers` in [`run`].
fn parse_structure(s: &str) -> Result<(String, Option<usize>), String> {
    let (name, n) = match s.split_once('/') {
        None => (s, None),
        Some((name, n)) => match n.parse::<usize>() {
            Ok(n) if (1..=super::MAX_WORKERS).contains(&n) => (name, Some(n)),
            _ => return Err(format!("the worker count after / must be 1..={}", super::MAX_WORKERS)),
        },
    };
    if !Structure::NAMES.contains(&name) {
        return Err(format!("accepted: {}", Structure::NAMES.join(", ")));
    }
    Ok((name.to_string(), n))
}

/// `cvp server`: checks the flags, starts the structure, prints where it listens and serves until Ctrl-C
/// or the end of stdin, then stops its backends. Installs its own Ctrl-C handler (exit 130).
pub fn run(args: Args) -> Result<(), Failure> {
    match args.serve.clone() {
        Some(serve) => run_serve(args, serve),
        None => run_sweep(args),
    }
}

/// If this process was started by [`sweep::Served::start_child`] (its first argument is
/// [`super::CHILD_ARG`]), runs `cvp server` with the arguments after it (`--serve STRUCTURE` ...) and exits
/// with its status (2 for bad arguments); otherwise returns at once. Call it first in `main` of an
/// executable that starts servers on itself (the `server` bench), beside `workload::net::serve_if_child`
/// (their backends are that executable again).
pub fn serve_if_child() {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_none_or(|a| a != super::CHILD_ARG) {
        return;
    }
    #[derive(clap::Parser)]
    #[command(name = "cvp server")]
    struct Child {
        #[command(flatten)]
        args: Args,
    }
    let command = std::iter::once(std::ffi::OsString::from("cvp server")).chain(args);
    let args = match <Child as clap::Parser>::try_parse_from(command) {
        Ok(child) => child.args,
        // clap's message, and its status: 2 for bad arguments.
        Err(e) => e.exit(),
    };
    let code = match run(args) {
        Ok(()) => 0,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e:#}");
            2
        }
        Err(Failure::Internal(e)) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

/// `cvp server` without `--serve`: the rate sweep, then its table, JSON or CSV.
fn run_sweep(args: Args) -> Result<(), Failure> {
    let input = |e: String| Failure::Input(anyhow::anyhow!(e));
    let machine = crate::machine::Machine::detect();
    check_output(args.output.as_deref())?;
    crate::cli::install_ctrl_c();
    let allowed = crate::machine::allowed_cpu_ids().unwrap_or_else(|| (0..machine.usable_cores()).collect());
    let hash_ms = measure::hash_ms(args.rounds);
    let mut plan = Plan::default_for(&allowed, args.rounds, args.wait_ms, hash_ms);
    let explicit = args.structures.is_some();
    if let Some(list) = args.structures {
        // A name without /N gets the server's CPUs, as the default list does.
        let n = plan.server_cpus.len().max(1);
        let mut structures = Vec::new();
        for (name, workers) in list {
            structures.push(
                Structure::build(&name, workers, n)
                    .map_err(|e| input(format!("invalid --structures: {e}")))?,
            );
        }
        if let Some(id) = repeated(&structures) {
            return Err(input(format!("invalid --structures: {id} is listed twice; accepted: distinct ids")));
        }
        plan.structures = structures;
    }
    let usable = measure::usable_descriptors();
    if let Some(c) = args.connections.filter(|&c| c as usize > usable) {
        return Err(input(format!(
            "--connections {c}: more than the {usable} descriptors this process may use (its open-file limit \
             less 64); accepted: 1..={usable}, or raise the limit (ulimit -n)"
        )));
    }

    if let Some(c) = args.connections.filter(|_| !args.idle) {
        plan.set_connections(c as usize, hash_ms);
    }
    plan.window_s = args.window;
    let mut notes = Vec::new();
    let mut c5_sweeps = 0;
    if args.cores {
        if args.wait_ms == 0 {
            return Err(input(
                "--cores with --wait-ms 0: its waiting half needs requests that wait; accepted: 1..=1000"
                    .into(),
            ));
        }
        let (server, generator, shared) =
            super::cores::placement(&plan, &allowed, super::cores::physical_cores);
        if shared && server.len() > 1 {
            notes.push(format!(
                "C5's sweeps ran the server on every usable CPU {server:?}, shared with the generator and the \
                 backend: the server's first quarter of them holds fewer than 2 physical cores. Their work per \
                 request (each step's gen cores) comes out of the CPUs the workers hash on, least at N = 1 (its \
                 one worker leaves them the other CPUs) and most at N >= 2: it lowers the growth the claim needs. \
                 A generator short of CPU lags: past 1 ms on average its step is generator-bound; a smaller lag \
                 adds to the latency from the due time and can only lower a knee."
            ));
        }
        plan.server_cpus = server;
        plan.generator_cpus = generator;
        plan.connections =
            (super::CONNECTIONS_PER_CPU * plan.server_cpus.len()).min(super::MAX_DEFAULT_CONNECTIONS);
        plan.set_connections(plan.connections, hash_ms);
        plan.resolution = crate::claims::C5_SERVER_RESOLUTION;
        plan.p99_bound_ms = super::analysis::p99_bound_ms(plan.wait_ms, hash_ms, plan.server_cpus.len());
        let cores = super::cores::physical_cores(&plan.server_cpus);
        let mut all = Vec::new();
        for half in [super::Half::Hashing, super::Half::Waiting] {
            for n in super::cores::workers(half, cores, plan.server_cpus.len()) {
                c5_sweeps += 1;
                if !all.contains(&Structure::AsyncMulti(n)) {
                    all.push(Structure::AsyncMulti(n));
                }
            }
        }
        plan.structures = all;
    }
    if plan.server_cpus == plan.generator_cpus && plan.server_cpus.len() > 1 {
        // Shared on purpose (C5's sweeps, said above): the generator may run on all of them.
    } else if plan.server_cpus == plan.generator_cpus {
        notes.push(format!(
            "The generator and the server shared the only CPU this process may use ({:?}): every step's \
             numbers include the other's work.",
            plan.server_cpus
        ));
    } else if let Err(e) = crate::machine::pin_process_to(&plan.generator_cpus) {
        notes.push(format!("The generator could not be pinned to CPUs {:?}: {e}.", plan.generator_cpus));
    }
    // About 10 steps a sweep (12 for C5's, narrowed further).
    let bar = Progress::new(if args.cores { c5_sweeps * 12 } else { plan.structures.len() * 10 }, "");
    let mut rows = Vec::new();
    let mut idle = Vec::new();
    if args.idle {
        let c = args.connections.map_or(super::idle::DEFAULT_IDLE, |c| c as usize);
        plan.connections = c;
        for &structure in &plan.structures {
            let row = super::idle::idle_row(structure, &plan.server_cpus, c, |label| bar.step(label))
                .map_err(|e| Failure::Internal(anyhow::anyhow!("{structure}: {e}")))?;
            idle.push(row);
        }
    }
    let mut c7 = Vec::new();
    if args.mix {
        if !explicit {
            let n = plan.server_cpus.len().max(1);
            // At least two hashing threads: a pool of one queues a light request's hashing behind a heavy
            // one, moving the loop's stall into the pool instead of letting the OS time-slice the two.
            plan.structures =
                vec![Structure::Async(1), Structure::AsyncOffload(n.max(2)), Structure::ThreadPerConnection];
        }
        let (rounds, ms) = measure::rounds_for_ms(crate::claims::C7_SERVER_HEAVY_MS);
        let (mix, rate) = super::twins::c7_plan(&plan, rounds, ms);
        plan = mix;
        for &structure in &plan.structures {
            let (mut steps, mut said) =
                sweep::mix(&plan, rate, structure, crate::claims::C7_SERVER_STEPS, |label| bar.step(label))
                    .map_err(|e| Failure::Internal(anyhow::anyhow!("{structure}: {e}")))?;
            c7.append(&mut steps);
            notes.append(&mut said);
        }
    }
    let mut c5 = Vec::new();
    if args.cores {
        let calibrated = measure::rounds_for_ms(crate::claims::C5_SERVER_HASH_MS);
        let cores = super::cores::physical_cores(&plan.server_cpus);
        for half in [super::Half::Hashing, super::Half::Waiting] {
            let (mut sweeps, mut said) =
                super::cores::run_half(&plan, half, cores, calibrated, |label| bar.step(label))
                    .map_err(|e| Failure::Internal(anyhow::anyhow!("C5, {half}: {e}")))?;
            c5.append(&mut sweeps);
            notes.append(&mut said);
        }
    }
    for &structure in plan.structures.iter().filter(|_| !args.idle && !args.mix && !args.cores) {
        let (mut steps, mut said) = sweep::sweep_one(structure, &plan, |label| bar.step(label))
            .map_err(|e| Failure::Internal(anyhow::anyhow!("{structure}: {e}")))?;
        rows.append(&mut steps);
        notes.append(&mut said);
    }
    let mut file = ServerFile {
        command: std::env::args().collect(),
        machine,
        plan,
        rows,
        idle,
        c4_pairs: Vec::new(),
        c8: Vec::new(),
        c7,
        c5,
        verdicts: Vec::new(),
        notes,
    };
    // C8's pairs follow the idle rows, where both of its structures were asked for.
    let c8_pair = [Structure::ThreadPerConnection, Structure::Async(1)];
    if args.idle && c8_pair.iter().all(|s| file.plan.structures.contains(s)) {
        for connections in super::twins::c8_levels(file.plan.connections) {
            if let Some(why) = c8_pair.iter().find_map(|&s| super::idle::refuse(s, connections)) {
                file.notes.push(format!("C8's pairs with {connections} connections were not run: {why}."));
                continue;
            }
            let mut plan = file.plan.clone();
            plan.set_connections(connections, hash_ms);
            let rate = super::twins::c8_rate(&plan);
            let label = format!("C8 ({connections} connections)");
            // A failure here loses none of the idle rows measured: C8 then says what is missing.
            match sweep::pairs(&plan, rate, c8_pair, crate::claims::MIN_SAMPLES_FOR_CI, &label, |l| {
                bar.step(l)
            }) {
                Ok((pairs, mut said)) => {
                    file.c8.push(super::PairsAt { connections, pairs });
                    file.notes.append(&mut said);
                }
                Err(e) => file.notes.push(format!("C8's pairs with {connections} connections failed: {e}.")),
            }
        }
    }
    if let Some((rate, n)) = super::twins::c4_rate(&file).filter(|_| !args.idle && !args.mix && !args.cores) {
        let both = [Structure::AsyncMulti(1), Structure::Async(n)];
        let (pairs, mut said) =
            sweep::pairs(&file.plan, rate, both, crate::claims::MIN_SAMPLES_FOR_CI, "C4", |label| {
                bar.step(label)
            })
            .map_err(|e| Failure::Internal(anyhow::anyhow!("C4's pairs: {e}")))?;
        file.c4_pairs = pairs;
        file.notes.append(&mut said);
    }
    file.verdicts = super::twins::verdicts(&file);
    bar.finish();
    let derived = super::analysis::notes(&file);
    file.notes.extend(derived);
    let text = match args.format {
        Format::Table => render::table(&file),
        Format::Json => serde_json::to_string_pretty(&file).context("encoding server JSON")? + "\n",
        Format::Csv => render::csv(&file),
    };
    emit(&text, args.output.as_deref())
}

/// `cvp server --serve`: one structure for any client.
fn run_serve(args: Args, serve: (String, Option<usize>)) -> Result<(), Failure> {
    let input = |e: String| Failure::Input(anyhow::anyhow!(e));
    let (name, suffix) = serve;
    let workers = match (suffix, args.workers.map(|n| n as usize)) {
        (Some(a), Some(b)) if a != b => {
            return Err(input(format!("--serve {name}/{a} and --workers {b}: give the worker count once")));
        }
        (a, b) => a.or(b),
    };
    let cores = crate::machine::Machine::detect().usable_cores();
    let structure = Structure::build(&name, workers, cores).map_err(|e| input(format!("--serve: {e}")))?;
    let default = measure::default_limits();
    let limits = Limits {
        connections: args.max_connections.map_or(default.connections, |n| n as usize),
        in_flight: args.max_in_flight.map_or(default.in_flight, |n| n as usize),
    };
    measure::check_limits(limits).map_err(input)?;
    let (stop, stopped) = mpsc::channel::<bool>();
    let on_ctrl_c = stop.clone();
    ctrlc::set_handler(move || {
        let _ = on_ctrl_c.send(true);
    })
    .map_err(|e| Failure::Internal(anyhow::anyhow!("cannot install the Ctrl-C handler: {e}")))?;
    let cpus: Option<Vec<usize>> = args.cpus.map(|c| c.into_iter().map(usize::from).collect());
    let handle =
        measure::start(structure, args.port, limits, args.wait_ms, cpus.as_deref()).map_err(|e| {
            match e.kind() {
                // sched_setaffinity refuses a CPU the machine (or this cgroup) does not offer: the flag's fault.
                std::io::ErrorKind::InvalidInput => {
                    input(format!("--cpus: {e}; accepted: CPUs this machine lets the process use"))
                }
                _ => Failure::Internal(anyhow::anyhow!("starting {structure}: {e}")),
            }
        })?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", render::listening_line(handle.addr()))
            .and_then(|()| writeln!(out, "{}", render::about_line(structure, limits)))
            .and_then(|()| out.flush());
    }
    std::thread::Builder::new()
        .name("cvp-server-stdin".into())
        .spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            while !matches!(stdin.read(&mut sink), Ok(0) | Err(_)) {}
            let _ = stop.send(false);
        })
        .map_err(|e| Failure::Internal(anyhow::anyhow!("cannot watch stdin: {e}")))?;
    let interrupted = stopped.recv().unwrap_or(false);
    handle.stop_backends();
    if interrupted {
        eprintln!("cvp server: interrupted; stopped");
        std::process::exit(130);
    }
    Ok(())
}
