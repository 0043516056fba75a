//! `cvp server`: the program under test is a server. Seven structures ([`Structure`]) answer the same
//! HTTP/1.1 request, `GET /job?seed=S&rounds=R&wait_ms=W`, by waiting W ms on real I/O (a request over
//! loopback to a `cvp serve` backend, a child process) and then hashing R rounds of the suite's SHA-256
//! chain; the body is the digest in hex, which any client can check against `cvp hash --seed S --rounds R`.
//! `cvp server --serve STRUCTURE` starts one of them for any client (`curl`, `wrk`); `cvp server` sweeps
//! offered rates against each from a load generator in this process, up to its knee, and judges C4's
//! server twin; `cvp server --idle` measures memory per idle keep-alive connection (the C10k row) and
//! judges C8's; `cvp server --mix` loads each structure with a heavy-request mix and judges C7's; `cvp
//! server --cores` sweeps `async_multi/N` to its knee at several N with CPU-bound and with waiting requests
//! and judges C5's.
//!
//! Files: `http.rs` (the request head, parsed by `httparse` the same way for every structure, and the
//! query), `measure.rs` (the structures, their limits and the backends), `load.rs` (the open-loop
//! generator), `sweep.rs` (each structure as a pinned child, the steps, `/proc` samples, pairs of steps),
//! `idle.rs` (the C10k row), `cores.rs` (C5's sweeps against workers), `analysis.rs` (replies, steps, the
//! stop rules, knees), `twins.rs` (the claims judged on a server: C4, C5, C7, C8), `render.rs`
//! (responses, the table, CSV, plots and the report's section), `cli.rs` (the command).

pub mod analysis;
pub mod cli;
pub mod cores;
pub mod http;
pub mod idle;
pub mod load;
pub mod measure;
pub mod render;
pub mod sweep;
pub mod twins;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The wait of a request that names none, ms: mostly waiting, as most servers are.
pub const DEFAULT_WAIT_MS: u64 = 10;
/// The rounds of a request that names none: a few microseconds of hashing (one round, one SHA-256 of 32
/// bytes, takes a few hundred nanoseconds).
pub const DEFAULT_ROUNDS: u32 = 10;
/// The longest wait a request may ask for, ms: what `cvp serve` accepts.
pub const MAX_WAIT_MS: u64 = 1000;
/// The most rounds a request may ask for: about a second of hashing, so no request holds a worker for
/// longer than that.
pub const MAX_ROUNDS: u32 = 4_000_000;
/// The largest request head (request line and headers) accepted, bytes.
pub const MAX_HEAD_BYTES: usize = 8192;
/// The most headers a request may carry.
pub const MAX_HEADERS: usize = 32;
/// The most distinct waits served at once: each is a backend process of its own (`cvp serve` replies after
/// one fixed wait), started on the first request that asks for it.
pub const MAX_BACKENDS: usize = 8;
/// The largest worker count accepted.
pub const MAX_WORKERS: usize = 1024;
/// The first argument that makes an executable other than `cvp` (the `server` bench) run `cvp server` with
/// the arguments after it ([`cli::serve_if_child`], started by [`sweep::Served::start_child`]). An argument,
/// not an environment variable, as `workload::net::CHILD_ARG`: nobody types it by accident.
pub const CHILD_ARG: &str = "__cvp-server-child";

/// How the server is built: what differs between the structures is only who runs a connection's handler
/// and where its hashing runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Structure {
    /// One OS thread per accepted connection, blocking on its socket and on the backend.
    ThreadPerConnection,
    /// A fixed pool of N OS threads; accepted connections queue to it, each served to its end by one thread.
    Threads(usize),
    /// tokio, a task per connection: on the current-thread runtime for N = 1, on a multi-thread runtime of N
    /// workers above.
    Async(usize),
    /// tokio's multi-thread runtime with N workers, a task per connection, even for N = 1: with one worker,
    /// the scheduler of `async/N` on one thread, the like-for-like baseline C4's pairs compare with.
    AsyncMulti(usize),
    /// A task per connection on tokio's current-thread runtime; each request's hashing on a rayon pool of N.
    AsyncOffload(usize),
    /// The smallest tokio server doing the same work (current-thread, a task per connection, no strategy
    /// machinery): the baseline `async/1` is compared with.
    Reference,
}

impl Structure {
    /// The structure names, as `--serve` accepts them (those that take N as `name/N` or with `--workers`).
    pub const NAMES: [&'static str; 6] =
        ["thread_per_connection", "threads", "async", "async_multi", "async_offload", "reference"];

    /// Its worker count, for those that have one.
    pub fn workers(self) -> Option<usize> {
        match self {
            Structure::Threads(n)
            | Structure::Async(n)
            | Structure::AsyncMulti(n)
            | Structure::AsyncOffload(n) => Some(n),
            Structure::ThreadPerConnection | Structure::Reference => None,
        }
    }

    /// Builds a structure from its name and a worker count (`None`: `default`). A name that takes no
    /// count refuses one.
    pub fn build(name: &str, workers: Option<usize>, default: usize) -> Result<Structure, String> {
        let n = workers.unwrap_or(default);
        if workers.is_some() && !(1..=MAX_WORKERS).contains(&n) {
            return Err(format!("{n} workers: accepted 1..={MAX_WORKERS}"));
        }
        let n = n.clamp(1, MAX_WORKERS);
        match (name, workers) {
            ("thread_per_connection" | "reference", Some(_)) => Err(format!(
                "{name} takes no worker count (those that do: threads, async, async_multi, async_offload)"
            )),
            ("thread_per_connection", None) => Ok(Structure::ThreadPerConnection),
            ("reference", None) => Ok(Structure::Reference),
            ("threads", _) => Ok(Structure::Threads(n)),
            ("async", _) => Ok(Structure::Async(n)),
            ("async_multi", _) => Ok(Structure::AsyncMulti(n)),
            ("async_offload", _) => Ok(Structure::AsyncOffload(n)),
            _ => Err(format!("unknown structure {name:?}; accepted: {}", Structure::NAMES.join(", "))),
        }
    }
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Structure::ThreadPerConnection => f.write_str("thread_per_connection"),
            Structure::Threads(n) => write!(f, "threads/{n}"),
            Structure::Async(n) => write!(f, "async/{n}"),
            Structure::AsyncMulti(n) => write!(f, "async_multi/{n}"),
            Structure::AsyncOffload(n) => write!(f, "async_offload/{n}"),
            Structure::Reference => f.write_str("reference"),
        }
    }
}

/// `name` or `name/N`; a name that takes a count and has none gets the usable cores.
impl FromStr for Structure {
    type Err = String;
    fn from_str(s: &str) -> Result<Structure, String> {
        match s.split_once('/') {
            None => Structure::build(s, None, crate::machine::Machine::detect().usable_cores()),
            Some((name, n)) => {
                let n: usize = n.parse().map_err(|_| {
                    format!("{s:?}: the worker count after / must be a whole number 1..={MAX_WORKERS}")
                })?;
                Structure::build(name, Some(n), n)
            }
        }
    }
}

/// What one request asks for: `GET /job?seed=S&rounds=R&wait_ms=W`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The job's seed (default 0).
    pub seed: u64,
    /// SHA-256 rounds after the first hash ([`DEFAULT_ROUNDS`], at most [`MAX_ROUNDS`]).
    pub rounds: u32,
    /// The wait on the backend, ms ([`DEFAULT_WAIT_MS`], at most [`MAX_WAIT_MS`]).
    pub wait_ms: u64,
}

impl Default for Query {
    fn default() -> Query {
        Query { seed: 0, rounds: DEFAULT_ROUNDS, wait_ms: DEFAULT_WAIT_MS }
    }
}

/// The bounds a server keeps; hitting one refuses with 503 and its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Connections open at once, queued ones included (each is a descriptor).
    pub connections: usize,
    /// Requests being answered at once (each holds a backend connection, a descriptor).
    pub in_flight: usize,
}

/// What a sweep measures: every structure at a geometric series of offered rates, from `start_rate` up by
/// `factor` until a step saturates, then between the last step below and the first above until they are
/// within `resolution` of each other.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The structures, in order.
    pub structures: Vec<Structure>,
    /// Keep-alive connections the generator opens to each structure (C).
    pub connections: usize,
    /// SHA-256 rounds per request.
    pub rounds: u32,
    /// The wait per request, ms.
    pub wait_ms: u64,
    /// The first offered rate, requests/s.
    pub start_rate: f64,
    /// The highest rate offered: C requests in flight at twice the unloaded latency would need this much.
    pub max_rate: f64,
    /// Each step's rate over the last while no step has saturated.
    pub factor: f64,
    /// The sweep of a structure ends when its last rate below saturation and its first above are within
    /// this ratio: its knee is known to that resolution.
    pub resolution: f64,
    /// Each step's warm-up (sent, not counted), s.
    pub warmup_s: f64,
    /// Each step's counted window, s.
    pub window_s: f64,
    /// A step whose p99 lies above this is saturated, ms.
    pub p99_bound_ms: f64,
    /// One request's hashing measured alone before the sweep, ms.
    #[serde(default)]
    pub hash_ms: f64,
    /// In C7's mix (`--mix`), the rounds of a heavy request (one in [`crate::claims::C7_SERVER_EVERY`]);
    /// 0 without a mix.
    #[serde(default)]
    pub heavy_rounds: u32,
    /// A heavy request's hashing measured alone before the mix, ms (0 without a mix).
    #[serde(default)]
    pub heavy_ms: f64,
    /// The CPUs the server runs on.
    pub server_cpus: Vec<usize>,
    /// The CPUs the generator (and the backend) run on.
    pub generator_cpus: Vec<usize>,
}

/// How a step came out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Every counted request answered correctly, the achieved rate within 1% of the offered, p99 under the
    /// bound: the server kept up.
    KeptUp,
    /// The server fell behind (the reason names how).
    Saturated(String),
    /// The generator fell behind: the step says nothing about the server (the reason names how).
    GeneratorBound(String),
}

/// One step of the sweep: one structure at one offered rate. Rates are requests/s, latencies ms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    /// The structure under load.
    pub structure: Structure,
    /// The rate offered.
    pub offered: f64,
    /// Correct replies per second that arrived inside the window.
    pub achieved: f64,
    /// Requests due inside the window.
    pub counted: u64,
    /// Of those, answered with an error (refused, wrong digest, closed).
    pub errors: u64,
    /// Of those, not answered by the end of the drain.
    pub unanswered: u64,
    /// The first error seen.
    pub first_error: Option<String>,
    /// Latency from the due time: median, 99th and 99.9th percentile (the last with at least 1,000
    /// requests), and mean, of the correct replies.
    pub p50: Option<f64>,
    /// See `p50`.
    pub p99: Option<f64>,
    /// See `p50`.
    pub p999: Option<f64>,
    /// See `p50`.
    pub mean: Option<f64>,
    /// In a mix, the light requests' median and 99th percentile latency from the due time.
    #[serde(default)]
    pub light_p50: Option<f64>,
    /// See `light_p50`.
    #[serde(default)]
    pub light_p99: Option<f64>,
    /// In a mix, the light requests due in the window (0 without one).
    #[serde(default)]
    pub light_counted: u64,
    /// Whether the percentiles are lower bounds: unanswered requests count at the end of the drain.
    #[serde(default)]
    pub latency_lower_bound: bool,
    /// The 99th percentile from the send instead of the due time.
    pub p99_after_send: Option<f64>,
    /// The generator's own lag: its mean (what decides whether it kept its schedule) and 99th percentile.
    pub lag_mean: f64,
    /// See `lag_mean`.
    pub lag_p99: f64,
    /// The generator's and the backend's CPU over the window, in cores (their own CPU clocks).
    pub generator_cores_busy: f64,
    /// How busy the generator's CPUs were (the generator, the backend, anything else on them), in CPUs:
    /// shown, never judged.
    pub generator_cpus_busy: f64,
    /// The server process's CPU over the window, in cores.
    pub server_cores_busy: f64,
    /// The server's CPU per correct reply in the window, microseconds.
    pub cpu_us_per_request: Option<f64>,
    /// The server's resident memory at the end of the window, KiB.
    pub rss_kib: u64,
    /// The server's threads at the end of the window.
    pub threads: u64,
    /// The server's voluntary and involuntary context switches per correct reply in the window (threads
    /// alive at both ends of it).
    pub voluntary_per_request: Option<f64>,
    /// See `voluntary_per_request`.
    pub involuntary_per_request: Option<f64>,
    /// Requests on the connections by Little's law: achieved rate x mean latency from the send (the
    /// connections bound it).
    pub in_flight: f64,
    /// How it came out.
    pub outcome: StepOutcome,
    /// Which side ran out first: "server CPU", "generator", "connections" or "none".
    pub saturated_side: String,
}

/// Pairs of steps of two structures at one rate with `connections` keep-alive connections open to each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairsAt {
    /// Connections open to each structure.
    pub connections: usize,
    /// The pairs, in the order measured (which structure went first alternates).
    pub pairs: Vec<[StepRow; 2]>,
}

/// Which half of C5 a sweep measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Half {
    /// CPU-bound requests: [`crate::claims::C5_SERVER_HASH_MS`] of hashing, no wait.
    Hashing,
    /// Waiting requests: the plan's wait, a few microseconds of hashing, over
    /// [`crate::claims::C5_SERVER_WAITING_CONNECTIONS`] connections.
    Waiting,
}

impl fmt::Display for Half {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Half::Hashing => "CPU-bound requests",
            Half::Waiting => "waiting requests",
        })
    }
}

/// One sweep of C5: one structure at one half's requests, to its knee.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoresSweep {
    /// Which half.
    pub half: Half,
    /// The structure swept (`async_multi/N`).
    pub structure: Structure,
    /// Physical cores among the server's CPUs (P).
    pub cores: usize,
    /// Keep-alive connections.
    pub connections: usize,
    /// SHA-256 rounds per request.
    pub rounds: u32,
    /// The wait per request, ms.
    pub wait_ms: u64,
    /// One request's hashing measured alone, ms.
    pub hash_ms: f64,
    /// A step whose p99 lies above this is saturated, ms.
    pub p99_bound_ms: f64,
    /// The first rate offered, requests/s.
    #[serde(default)]
    pub start_rate: f64,
    /// The highest rate it would offer, requests/s.
    #[serde(default)]
    pub max_rate: f64,
    /// The sweep ended once its highest rate kept up and lowest saturated were within this ratio.
    #[serde(default)]
    pub resolution: f64,
    /// The steps, in the order measured.
    pub rows: Vec<StepRow>,
}

/// What `cvp server --format json` prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerFile {
    /// The command line that made this file.
    pub command: Vec<String>,
    /// The machine that measured.
    pub machine: crate::machine::Machine,
    /// What was asked for.
    pub plan: Plan,
    /// Every step, in the order measured.
    pub rows: Vec<StepRow>,
    /// The C10k rows (`--idle`): memory per idle keep-alive connection.
    #[serde(default)]
    pub idle: Vec<idle::IdleRow>,
    /// C4's pairs: `async/1`'s step and `async/N`'s at one rate below both knees, alternately.
    #[serde(default)]
    pub c4_pairs: Vec<[StepRow; 2]>,
    /// C8's pairs (`--idle`): `thread_per_connection`'s step and `async/1`'s at one rate, alternately,
    /// with C/10 and with C connections open.
    #[serde(default)]
    pub c8: Vec<PairsAt>,
    /// C7's steps (`--mix`): each structure at one rate of a heavy-request mix, in the order measured.
    #[serde(default)]
    pub c7: Vec<StepRow>,
    /// C5's sweeps (`--cores`): `async_multi/N` to its knee at several N, with CPU-bound and with waiting
    /// requests.
    #[serde(default)]
    pub c5: Vec<CoresSweep>,
    /// The verdicts on the claims this run decides (judged again from the rows by `cvp report`).
    #[serde(default)]
    pub verdicts: Vec<crate::claims::Verdict>,
    /// Sentences the numbers support: where the generator and the server shared CPUs, a structure that
    /// could not be measured.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests;

/// Client connections per server CPU by default: enough for the requests in flight at the highest rate a
/// CPU may answer (tens of thousands a second at 10 ms each: a few hundred in flight), with room to spare.
pub const CONNECTIONS_PER_CPU: usize = 512;
/// The most connections the default opens: a thread each in `thread_per_connection`.
pub const MAX_DEFAULT_CONNECTIONS: usize = 4096;
/// Steps below the highest rate the sweep starts: it starts at the highest rate / 2^7 and doubles.
pub const DOUBLINGS: i32 = 7;

impl Plan {
    /// The default sweep for a process that may run on `allowed` CPUs and hashes `rounds` rounds in
    /// `hash_ms`: the server on the first quarter of them (at least one), the generator and the backend on
    /// the rest, since together they spend about twice the server's CPU per request (each request is a
    /// connection and a reply on both of their sides; measured on 2 cores at 12,800/s: generator 0.47 and
    /// backend about 0.5 cores, `async/1` 0.54); all share the only CPU where there is one. N = the
    /// server's CPUs (at least 2 for `async/N`, so it differs from `async/1`); C =
    /// [`CONNECTIONS_PER_CPU`] per server CPU; rates from the highest / 2^[`DOUBLINGS`], doubling, then
    /// halving the interval around the knee to 10%.
    pub fn default_for(allowed: &[usize], rounds: u32, wait_ms: u64, hash_ms: f64) -> Plan {
        let n = allowed.len();
        let (server_cpus, generator_cpus) = if n >= 2 {
            let s = (n / 4).max(1);
            (allowed[..s].to_vec(), allowed[s..].to_vec())
        } else {
            (allowed.to_vec(), allowed.to_vec())
        };
        let s = server_cpus.len().max(1);
        let connections = (CONNECTIONS_PER_CPU * s).min(MAX_DEFAULT_CONNECTIONS);
        let mut plan = Plan {
            structures: vec![
                Structure::ThreadPerConnection,
                Structure::Threads(s),
                Structure::Async(1),
                Structure::Async(s.max(2)),
                Structure::AsyncOffload(s),
                Structure::Reference,
            ],
            connections,
            rounds,
            wait_ms,
            start_rate: 0.0,
            max_rate: 0.0,
            factor: 2.0,
            resolution: 1.1,
            warmup_s: 0.25,
            window_s: 1.0,
            p99_bound_ms: analysis::p99_bound_ms(wait_ms, hash_ms, s),
            hash_ms,
            heavy_rounds: 0,
            heavy_ms: 0.0,
            server_cpus,
            generator_cpus,
        };
        plan.set_connections(connections, hash_ms);
        plan
    }

    /// Sets C, and the rates with it: the highest is C requests in flight at twice the unloaded latency
    /// (past it the connections, not the server, would bind), the first 2^[`DOUBLINGS`] below it.
    ///
    /// The first rate is also at most a quarter of what the server's CPUs could hash (`--rounds` makes
    /// requests CPU-bound: the sweep must start below such a knee, not above it).
    pub fn set_connections(&mut self, connections: usize, hash_ms: f64) {
        let work_s = (self.wait_ms as f64 + hash_ms) / 1e3;
        self.connections = connections;
        self.max_rate = (connections as f64 / (2.0 * work_s.max(1e-4))).min(1e6);
        let hashing = 0.25 * self.server_cpus.len().max(1) as f64 / (hash_ms / 1e3).max(1e-9);
        self.start_rate = (self.max_rate / 2f64.powi(DOUBLINGS)).min(hashing);
    }
}
