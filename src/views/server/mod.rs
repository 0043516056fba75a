//! `cvp server`: the program under test is a server. This first step is the server alone: six structures
//! ([`Structure`]) that answer the same HTTP/1.1 request, `GET /job?seed=S&rounds=R&wait_ms=W`, by waiting
//! W ms on real I/O (a request over loopback to a `cvp serve` backend, a child process) and then hashing R
//! rounds of the suite's SHA-256 chain; the body is the digest in hex, which any client can check against
//! `cvp hash --seed S --rounds R`. `cvp server --serve STRUCTURE` starts one of them for any client
//! (`curl`, `wrk`). The load generator, the sweep, the claims and the report section come in a later step.
//!
//! Files: `http.rs` (the request head, parsed by `httparse` the same way for every structure, and the
//! query), `measure.rs` (the structures, their limits and the backends), `analysis.rs` (what a reply must
//! be), `render.rs` (responses and the lines printed), `cli.rs` (the command).

pub mod analysis;
pub mod cli;
pub mod http;
pub mod measure;
pub mod render;

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
    /// A task per connection on tokio's current-thread runtime; each request's hashing on a rayon pool of N.
    AsyncOffload(usize),
    /// The smallest tokio server doing the same work (current-thread, a task per connection, no strategy
    /// machinery): the baseline `async/1` is compared with.
    Reference,
}

impl Structure {
    /// The structure names, as `--serve` accepts them (those that take N as `name/N` or with `--workers`).
    pub const NAMES: [&'static str; 5] =
        ["thread_per_connection", "threads", "async", "async_offload", "reference"];

    /// Its worker count, for those that have one.
    pub fn workers(self) -> Option<usize> {
        match self {
            Structure::Threads(n) | Structure::Async(n) | Structure::AsyncOffload(n) => Some(n),
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
            ("thread_per_connection" | "reference", Some(_)) => {
                Err(format!("{name} takes no worker count (those that do: threads, async, async_offload)"))
            }
            ("thread_per_connection", None) => Ok(Structure::ThreadPerConnection),
            ("reference", None) => Ok(Structure::Reference),
            ("threads", _) => Ok(Structure::Threads(n)),
            ("async", _) => Ok(Structure::Async(n)),
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

#[cfg(test)]
mod tests;
