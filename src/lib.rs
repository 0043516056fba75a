//! `cvp`: measure, on your own machine, that **concurrency is structure** (many things in flight) and
//! **parallelism is execution** (many cores busy).
//!
//! # The model: job x workload x strategy x workers
//!
//! - A **job** ([`workload::Job`]) is one independent request: a **wait** of W ms (a simulated network round
//!   trip), then a **SHA-256 chain** of R rounds. Its digest is checkable with `sha256sum` or Python.
//! - A **workload** ([`workload::Workload`]) is J jobs with seeds `0..J`: `cpu_bound` (no wait),
//!   `io_bound` (no rounds), `mixed` (both) or `net_bound` (io_bound's jobs, each wait a real request over
//!   loopback TCP to `cvp serve`, a child process: [`net`]). Its digest is the XOR of the job digests.
//! - A **strategy** ([`strategy::StrategyKind`]) runs every job with N **workers**: `sequential`, `threads`,
//!   `thread_per_job`, `async` (tokio), `async_offload` (tokio waits, rayon hashing) or `rayon`. Every
//!   strategy must return the same digest; the benches and `cvp run` check it before timing anything.
//!
//! Two numbers per run ([`measure`], [`scaling::Point::in_flight`]) tell concurrency from parallelism:
//! **cores busy** = CPU time / wall time, and **in flight** = (J x W) / wall time (Little's law), with W the
//! wait of one job measured alone on the same kind of wait ([`scaling::OneWait`]), not the nominal one.
//!
//! Results travel with their provenance: every criterion baseline the benches write carries a record of the
//! workload size and the measuring machine, hashed to the data it describes ([`report::criterion`]), and a
//! report uses the measuring machine's cores, refusing data it cannot tie to a size and a machine.
//!
//! # Modules
//! - [`workload`]: jobs, workloads, the digest, the SHA-256 chain and the two wait functions.
//! - [`net`]: `net_bound`'s waits: the loopback service (a child process) and the blocking and async request.
//! - [`strategy`]: one file per strategy; pools and runtimes are built once per worker count. Each is
//!   generic over a [`strategy::Probe`] chosen at compile time: the no-op one everywhere but `cvp trace`.
//! - [`config`]: the `CVP_*` environment variables, parsed once into a [`config::Config`].
//! - [`machine`]: what this machine offers (cores six ways, CPU, OS, toolchain).
//! - [`measure`]: wall and CPU time of one run.
//! - [`experiment`]: one file per view. [`experiment::sweep`] is `cvp run`: every configuration warmed up and
//!   checked, then timed in shuffled rounds. [`views::scale`] is `cvp scale`: 1 to 100,000 waits in
//!   flight per structure, each in a child process of its own, with memory, threads and context switches
//!   (claim C8). [`views::latency`] is `cvp latency`: how late light requests are while a heavy batch
//!   computes, per structure, on all cores and on one (claim C7). [`views::trace`] is `cvp trace`: which
//!   OS thread ran which job's wait and hash, when (claim C9).
//! - [`analysis`]: speedup, efficiency, Karp-Flatt, Amdahl and USL fits (only with enough points), and the
//!   verdicts on claims C1..C6, each from its own measurement.
//! - [`report`]: criterion's folder and the records beside it, CSV, Markdown and SVG, comparing runs.
//!
//! # Environment variables
//! | variable | default | accepted |
//! |---|---|---|
//! | `CVP_THREADS` | 1, 2, 4, ... up to 2 x available parallelism (+ it and twice it, if not powers of 2) | distinct counts 1..=1024 |
//! | `CVP_JOBS` | `cpu_bound` 128 (or 4 per worker at the largest count); `io_bound`/`mixed`/`net_bound` 32 (or 2 per worker) | 1..=4096 |
//! | `CVP_ROUNDS` | 20000 | 1..=1000000 |
//! | `CVP_WAIT_MS` | 10 | 1..=1000 |
//! | `CVP_PROFILE` | `standard` | `quick`, `standard`, `thorough` |
//! | `CVP_SCALE_JOBS` | `1,10,100,1000,10000,100000` (`cvp scale`; the `scale` bench takes those up to 10,000) | distinct counts 1..=1000000 |
//!
//! A bad value stops the program with exit status 2 and one line naming the variable, before anything runs.

#![warn(missing_docs)]

pub mod claims;
pub mod cli;
pub mod config;
pub mod machine;
pub mod measure;

pub mod report;
pub mod scaling;
pub mod strategy;
pub mod views;
pub mod workload;

pub use config::Config;
pub use strategy::{Strategy, StrategyKind};
pub use workload::{Digest, Workload, WorkloadKind};
