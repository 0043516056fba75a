//! Measuring `cvp trace`: the only part of the view that runs jobs, builds strategies and pins the CPU.

use std::time::{Duration, Instant};

use super::{Pass, Plan, TraceError, TraceFile, Tracer};
use crate::machine::Machine;
use crate::measure;
use crate::strategy::Phase;
use crate::workload::{Workload, chain};

/// Pause before each traced pass, so the warm-up's threads are asleep.
const SETTLE: Duration = Duration::from_millis(5);

/// Rounds that make one hash take about `wait` on this thread (at least 1).
pub fn calibrate_rounds(wait: Duration) -> u32 {
    let probe = 2_000u32;
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(chain(0, probe));
        best = best.min(t.elapsed());
    }
    let per_round = best.as_secs_f64() / probe as f64;
    ((wait.as_secs_f64() / per_round.max(1e-12)).round() as u32).clamp(1, 1_000_000)
}

/// One job's hash alone on the calling thread: the median of 5, s.
fn solo_hash(rounds: u32) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(chain(0, rounds));
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

/// Runs the plan: starts net_bound's service, then pins when asked (the service, another process, keeps
/// every CPU), sizes the rounds, times one hash alone, then per pass ([`Plan::passes`]) builds the strategy
/// with a [`Tracer`], runs it once as a warm-up (traced too, digest checked; what it recorded is dropped, so the threads' names are registered and the log has its room
/// before the pass that counts) and once traced (digest checked). A zero wait (`cpu_bound`) is dropped from
/// the recording: there is nothing to draw. `progress` hears each pass before it runs.
pub fn run(
    plan: &Plan,
    command: Vec<String>,
    mut progress: impl FnMut(&str),
) -> Result<TraceFile, TraceError> {
    // The machine as it is, before pinning: a one-CPU trace and the criterion data of the same machine go
    // into one results folder; the pinning is kept beside it (`pinned_cpu`, `cpus`).
    let machine = Machine::detect();
    let wait = Duration::from_millis(plan.wait_ms);
    // net_bound: its waits are requests to a service of our own, a child process (its CPU is not in the
    // passes' cores busy), stopped when the trace ends. Started before pinning, so it keeps the machine's
    // CPUs: a child inherits its parent's affinity mask, and a service pinned to the client's one CPU would
    // compete with the client it serves.
    let server = if plan.workload.is_net() {
        Some(crate::workload::net::Server::start(wait).map_err(TraceError::Server)?)
    } else {
        None
    };
    let pinned_cpu =
        if plan.one_core { Some(crate::machine::pin_to_one_cpu().map_err(TraceError::Pin)?) } else { None };
    let rounds = plan.rounds.unwrap_or_else(|| calibrate_rounds(wait));
    let mut workload = Workload::new(plan.workload, plan.jobs, wait, rounds);
    if let Some(server) = &server {
        workload = workload.on(server);
    }
    let expected = workload.expected_digest();
    let solo_hash_s = solo_hash(workload.rounds);
    let mut passes = Vec::new();
    for (strategy, workers) in plan.passes() {
        progress(&format!("{strategy} ({workers} worker{})", if workers == 1 { "" } else { "s" }));
        let tracer = Tracer::new();
        let built =
            strategy.build_probed(workers, tracer).map_err(|cause| TraceError::Build { strategy, cause })?;
        let check = |got: crate::Digest| {
            if got == expected {
                Ok(())
            } else {
                Err(TraceError::Digest { strategy, got: got.to_hex(), expected: expected.to_hex() })
            }
        };
        check(built.run(&workload)?)?;
        std::thread::sleep(SETTLE);
        tracer.clear();
        let mut origin = Instant::now();
        let (got, sample) = measure::measure(|| {
            origin = Instant::now();
            built.run(&workload)
        });
        let got = got?;
        check(got)?;
        let mut intervals = tracer.take(origin)?;
        if workload.wait.is_zero() {
            intervals.retain(|i| i.phase != Phase::Wait);
        }
        passes.push(Pass {
            strategy,
            workers,
            wall_s: sample.wall.as_secs_f64(),
            cpu_s: sample.cpu.as_secs_f64(),
            intervals,
            digest: got.to_hex(),
        });
    }
    drop(server);
    let file = TraceFile {
        command,
        machine,
        plan: plan.clone(),
        rounds: workload.rounds,
        pinned_cpu,
        cpus: crate::machine::cpus_allowed_now(),
        solo_hash_s,
        passes,
        verdicts: Vec::new(),
    };
    Ok(file)
}
