//! The `cvp trace` command: its flags, its long help and the command itself (flags -> plan, then measure ->
//! analysis -> render).

use std::path::{Path, PathBuf};

use crate::cli::{self, Failure, Progress, parse_id, repeated};
use crate::config;
use crate::report::{self, ReportError};
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

/// The long help of `cvp trace` (`cvp trace --help`).
pub const HELP: &str = "\
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
        Ok(n) if (1..=super::MAX_WORKERS).contains(&n) => Ok(n),
        _ => Err(format!("accepted: a whole number from 1 to {}", super::MAX_WORKERS)),
    }
}

/// Jobs a trace draws.
fn parse_trace_jobs(v: &str) -> Result<usize, String> {
    match v.trim().parse::<usize>() {
        Ok(n) if (1..=super::MAX_JOBS).contains(&n) => Ok(n),
        _ => Err(format!(
            "accepted: a whole number from 1 to {} (more bars than that cannot be read)",
            super::MAX_JOBS
        )),
    }
}

/// `--cores`: only 1 (pin the whole process to one CPU).
fn parse_cores(v: &str) -> Result<usize, String> {
    match v.trim() {
        "1" => Ok(1),
        _ => Err("accepted: 1 (pin the whole process to one CPU)".into()),
    }
}

/// The flags of `cvp trace`.
#[derive(clap::Args)]
pub struct Args {
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
    /// Strategies, comma-separated, in panel order [default: all but async_multi]
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

/// `cvp trace`: checks the flags and --out (nothing is created before the run), traces, writes the folder
/// and prints the summary table.
pub fn run(args: Args) -> Result<(), Failure> {
    // The default also traces async on one worker (one event loop) beside async at --workers.
    let async_on_one = args.strategies.is_none();
    // C4's baseline (async_multi) is traced only when asked for.
    let strategies = args.strategies.unwrap_or_else(|| {
        StrategyKind::ALL.into_iter().filter(|&s| s != StrategyKind::AsyncMulti).collect()
    });
    if let Some(id) = repeated(&strategies) {
        return Err(Failure::Input(anyhow::anyhow!(
            "invalid --strategies: {id} is listed twice; accepted: distinct ids, comma-separated"
        )));
    }
    let out = &args.out;
    let bad_out = |e: ReportError| Failure::Input(anyhow::anyhow!("--out: {e}"));
    report::check_out_folder(out, &[]).map_err(bad_out)?;
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
    let plan = super::Plan {
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
    let file = super::run(&plan, std::env::args().collect(), |label| bar.step(label))
        .map_err(|e| Failure::Internal(anyhow::Error::new(e)))?;
    bar.finish();
    let files = super::files(&file)?;
    cli::writing(|| report::write_folder(out, &files, args.force))?;
    print!("{}", super::table(&file));
    println!("wrote {}", out.display());
    Ok(())
}
