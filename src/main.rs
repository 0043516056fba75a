//! The `cvp` command: `hash`, `machine`, `config`, `run`, `scale`, `latency`, `trace`, `report`, `compare`
//! and `server` over the `cvp` library.
//!
//! Exit status: 0 on success, 2 on bad input (a `CVP_*` variable, a flag, missing criterion data, an existing
//! output folder), 1 when something that should work did not (a wrong digest, a failed write), 130 on Ctrl-C.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cvp::WorkloadKind;
use cvp::cli::{self, Failure};
use cvp::config::{self, Config};
use cvp::machine::Machine;
use cvp::views::{self, latency, scale, scaling, server, trace};

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
    #[command(long_about = scaling::cli::HELP)]
    Run(scaling::cli::RunArgs),
    /// While a heavy batch computes, how late are light requests? Open-loop requests, percentiles per
    /// structure, on all cores and on one; judges claim C7.
    #[command(long_about = latency::cli::HELP)]
    Latency(latency::cli::Args),
    /// Trace one pass per strategy: which OS thread ran which job's wait and hash, when (claim C9). Writes
    /// timeline.svg and trace.json (Chrome Trace Event Format, for Perfetto UI) into a folder.
    #[command(long_about = trace::cli::HELP)]
    Trace(trace::cli::Args),
    /// Turn criterion's output (and a `cvp run` JSON) into tables, fits, plots and verdicts in a folder; or,
    /// with --index, write the page across every record of a folder.
    Report(views::ReportArgs),
    /// Compare two criterion baselines (by name) or two results folders, benchmark by benchmark; --html
    /// also writes them side by side as a page.
    Compare(views::CompareArgs),
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
    /// The program under test is a server (HTTP/1.1: waits on a `cvp serve` backend, then hashes): each
    /// structure swept at constant rates from its own process up to its knee, or with `--serve STRUCTURE`
    /// one structure on loopback for any client, until Ctrl-C or the end of stdin.
    #[command(long_about = server::cli::HELP)]
    Server(server::cli::Args),
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
    #[arg(long, default_value_t = cvp::workload::net::DEFAULT_SPREAD)]
    spread: u8,
    /// The delay before each reply, 0 to 1000 ms.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=1000))]
    wait_ms: u64,
    /// Most connections handled at once (default: the open-file limit less a reserve); more wait in the
    /// kernel's backlog.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: Option<u64>,
}

fn main() -> ExitCode {
    // A service started by `net::Server::start` (net_bound's waits) is this executable: it serves and exits.
    cvp::workload::net::serve_if_child();
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
    // `cvp server` serves until Ctrl-C and stops its backends first: it installs its own handler.
    if let Command::Server(args) = cli.command {
        return cli::exit_code(server::cli::run(args));
    }
    cli::install_ctrl_c();
    let result = match cli.command {
        Command::Hash { seed, rounds } => {
            println!("{}", cvp::workload::chain(seed, rounds));
            Ok(())
        }
        Command::Machine { json } => machine(json),
        Command::Config => show_config(),
        Command::Run(args) => scaling::cli::run(args),
        Command::Latency(args) => latency::cli::run(args),
        Command::Trace(args) => trace::cli::run(args),
        Command::Report(args) => views::report(args),
        Command::Compare(args) => views::compare(args),
        Command::Scale(args) => scale::cli::run(args),
        Command::ScaleChild(_) | Command::Server(_) => unreachable!("handled before the Ctrl-C handler"),
        Command::Serve(args) => serve(args),
    };
    cli::exit_code(result)
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    let options = cvp::workload::net::ServeOptions {
        bind: args.bind,
        port: args.port,
        spread: args.spread,
        wait: std::time::Duration::from_millis(args.wait_ms),
        max_connections: args.max_connections.map(|n| n as usize),
        reserve: 0,
    };
    options.validate().map_err(|e| Failure::Input(anyhow::anyhow!(e)))?;
    cvp::workload::net::serve_until_stdin_closes(options).context("serving")?;
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
    println!("environment (every variable cvp reads):");
    let value = |var: &str| std::env::var(var).unwrap_or_else(|_| "unset".to_string());
    for var in config::VARIABLES {
        println!("  {var:<21} {}", value(var));
    }
    for (var, what) in config::OTHER_VARIABLES {
        println!("  {var:<21} {:<9} {what}", value(var));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// clap's own checks of the whole command tree (unique group and argument names, valid requirements),
    /// every subcommand at once: clap makes them in debug builds only (`cargo test`), and otherwise only for
    /// the subcommand a test happens to run.
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
