//! `cvp server`: its flags (with the long help) and the command. In this step it only serves: `--serve`
//! starts one structure for any client until Ctrl-C or the end of stdin.

use std::io::{Read, Write};
use std::sync::mpsc;

use super::{Limits, Structure, measure, render};
use crate::cli::Failure;

/// The long help of `cvp server`.
pub const HELP: &str = "\
The program under test is a server. `--serve STRUCTURE` starts one structure alone on 127.0.0.1 and
prints `listening on http://127.0.0.1:PORT/job?...` (a URL to try) as its first line, so any HTTP/1.1
client can drive it (curl, wrk, ab); it stops on Ctrl-C or when its stdin closes, and its backends with it.
A request is GET /job?seed=S&rounds=R&wait_ms=W (each optional: seed 0, rounds 10, wait_ms 10): the
server waits W ms on real I/O (a request over loopback to a `cvp serve` backend, a child process; one per
distinct W, at most 8), then hashes R rounds of the SHA-256 chain and answers 200 with the digest in hex,
the same as `cvp hash --seed S --rounds R`. Connections are kept alive (HTTP/1.1) unless the client asks
to close. Structures (N: --workers or name/N, default the usable cores):
  thread_per_connection  one OS thread per accepted connection
  threads/N              a fixed pool of N threads; accepted connections queue to it
  async/N                tokio, a task per connection: current-thread for N = 1, N workers above
  async_offload/N        tokio current-thread, each request's hashing on a rayon pool of N
  reference              the smallest tokio server doing the same work (current-thread), no strategy code
Limits, never a panic: a malformed request, a bad query or a head over 8192 bytes gets 400 with a
one-line reason and the connection closed; a path other than /job gets 404; over --max-connections or
--max-in-flight (default: from the open-file limit) a 503 names the limit. rounds <= 4000000,
wait_ms <= 1000. The load generator, the sweep and claims on servers come in a later step.";

/// The flags of `cvp server`.
#[derive(clap::Args)]
pub struct Args {
    /// The structure to serve: thread_per_connection, threads, async, async_offload or reference (those
    /// that take a worker count also as name/N).
    #[arg(long, value_name = "STRUCTURE", value_parser = parse_structure)]
    serve: (String, Option<usize>),
    /// Worker count for threads, async and async_offload, 1..=1024 [default: the usable cores].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=super::MAX_WORKERS as u64))]
    workers: Option<u64>,
    /// The port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Most client connections open at once [default: the descriptors this process may open, less 64 kept
    /// for itself and the requests in flight].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: Option<u64>,
    /// Most requests being answered at once, each holding a backend connection [default: a quarter of the
    /// descriptors this process may open less 64, at most 4096].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_in_flight: Option<u64>,
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
    let input = |e: String| Failure::Input(anyhow::anyhow!(e));
    let (name, suffix) = args.serve;
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
    let handle = measure::start(structure, args.port, limits)
        .map_err(|e| Failure::Internal(anyhow::anyhow!("starting {structure}: {e}")))?;
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
