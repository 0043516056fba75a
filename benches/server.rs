//! Server: the time for K requests over C keep-alive connections, closed loop, against each structure of
//! `cvp server` (`thread_per_connection`, `threads/N`, `async/1`, `async/N`, `async_offload/N`,
//! `reference`; N = the server's CPUs), placed as `cvp server` places them (`Plan::default_for`): the
//! server a child process pinned to the first quarter of the usable CPUs (at least one), this process (the
//! client) and the server's backend on the rest. The server and its backend are this executable again
//! (`cvp::views::server::cli::serve_if_child`, `cvp::workload::net::serve_if_child`), so a kit that holds
//! the bench alone still runs it.
//!
//! What is timed (`iter_custom`): [`Generator::exactly`], from just before the first request to the K-th
//! reply, each connection sending its next request as soon as its last reply is in. Outside the timed
//! region: starting the server and its backend, opening the C connections (kept open across iterations),
//! and one untimed pass of K requests that checks every reply's digest (a wrong reply ends the bench with
//! status 1 and names the structure; it is never timed). Every timed reply is checked too.
//!
//! `cvp server` sweeps constant rates open loop and judges C4 on a server; this bench gives criterion's
//! pages and `cvp compare` one number per structure. `threads/N` with N below C is skipped, named: a pool
//! serves a keep-alive connection to its end, so the other C - N connections would never be answered.

mod common;

use std::process::exit;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use cvp::Config;
use cvp::report::{BenchSize, ServerSize};
use cvp::views::server::load::Generator;
use cvp::views::server::sweep::Served;
use cvp::views::server::{DEFAULT_ROUNDS, Plan, Query, Structure};

/// Keep-alive connections (C): the requests in flight at once. 64 keeps every structure busy with more
/// requests than the server has CPUs (on 2 cores, one), while the client's side stays cheap: at about 6,000
/// requests/s (C / 10 ms), `cvp server`'s sweep measured the generator and the backend together well under
/// their one CPU on 2 cores.
const CONNECTIONS: usize = 64;

/// Requests per iteration (K): 10 per connection, so one iteration is at least K / C x W = 100 ms at the
/// default 10 ms wait (`CVP_WAIT_MS`), short enough that the quick profile's 10 samples of one iteration
/// each take about a second per structure on 2 cores, long enough that the loop's start and end (the first
/// and last requests, when fewer than C are in flight) are a small part of it.
const REQUESTS: u64 = 640;

/// How long one pass of K requests may take before it is an error (a server that stops answering is not a
/// hang): far above the 0.1 s a pass takes.
const LIMIT: Duration = Duration::from_secs(30);

fn main() {
    // The servers this bench starts, and their backends, are this executable again: they serve and exit here.
    cvp::workload::net::serve_if_child();
    cvp::views::server::cli::serve_if_child();
    let config = common::config();
    let recorder = common::Recorder::new(&config);
    let mut c = common::criterion(&config);
    bench_servers(&mut c, &config, &recorder);
    c.final_summary();
    recorder.verdict_page();
}

/// Ends the bench (status 1) with `what` about the benchmark `id`.
fn fail(id: &str, what: String) -> ! {
    eprintln!("error: {id}: {what}");
    exit(1)
}

/// `server/<structure>`: one benchmark per structure of the default plan.
fn bench_servers(c: &mut Criterion, config: &Config, recorder: &common::Recorder) {
    let wait_ms = config.wait.as_millis() as u64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let allowed = cvp::machine::allowed_cpu_ids().unwrap_or_else(|| (0..cores).collect());
    let hash_ms = cvp::views::server::measure::hash_ms(DEFAULT_ROUNDS);
    let plan = Plan::default_for(&allowed, DEFAULT_ROUNDS, wait_ms, hash_ms);
    let size = BenchSize::Server(ServerSize {
        requests: REQUESTS,
        connections: CONNECTIONS,
        wait_ms,
        rounds: DEFAULT_ROUNDS,
    });
    let selected: Vec<Structure> =
        plan.structures.iter().copied().filter(|s| recorder.selects(&format!("server/{s}"))).collect();
    if selected.is_empty() {
        return;
    }
    // The client on the generator's CPUs; each server is started from here (its backend stays on them)
    // and pins itself to the server's.
    if plan.server_cpus == plan.generator_cpus {
        eprintln!(
            "note: the server and the client share the only CPU this process may use ({:?})",
            plan.server_cpus
        );
    } else if let Err(e) = cvp::machine::pin_process_to(&plan.generator_cpus) {
        eprintln!("note: the client could not be pinned to CPUs {:?}: {e}", plan.generator_cpus);
    }
    let mut group = c.benchmark_group("server");
    group.sampling_mode(SamplingMode::Flat);
    for structure in selected {
        let id = format!("server/{structure}");
        if let Structure::Threads(n) = structure
            && n < CONNECTIONS
        {
            eprintln!(
                "skipping {id}: a pool of {n} serves a keep-alive connection to its end, so {} of the {CONNECTIONS} \
                 connections would never be answered (`cvp server` shows its throughput: N / wait)",
                CONNECTIONS - n
            );
            continue;
        }
        let served = Served::start_child(structure, &plan.server_cpus, wait_ms)
            .unwrap_or_else(|e| fail(&id, format!("starting the server: {e}")));
        let query = Query { seed: 0, rounds: DEFAULT_ROUNDS, wait_ms };
        let generator = Generator::new(served.addr(), CONNECTIONS, plan.generator_cpus.len().max(1), query)
            .unwrap_or_else(|e| fail(&id, format!("starting the client: {e}")));
        let mut open = generator.open().unwrap_or_else(|e| fail(&id, e));
        // Correctness before speed, and the warm-up criterion's own does not replace: one untimed pass.
        let once = generator
            .exactly(&mut open, REQUESTS, LIMIT)
            .unwrap_or_else(|e| fail(&id, format!("{e}; a wrong or missing reply is not timed")));
        recorder.fit_measurement(&mut group, config.profile, once);
        let name = structure.to_string();
        let bench_id = match name.split_once('/') {
            Some((name, n)) => BenchmarkId::new(name, n),
            None => BenchmarkId::from_parameter(&name),
        };
        recorder.around(&id, size, || {
            group.bench_function(bench_id, |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            generator.exactly(&mut open, REQUESTS, LIMIT).unwrap_or_else(|e| fail(&id, e))
                        })
                        .sum()
                })
            });
        });
        drop(open);
        drop(served);
    }
    group.finish();
}
