//! `cvp`: measure, on your own machine, that **concurrency is structure** (many things in flight) and
//! **parallelism is execution** (many cores busy).
//!
//! # The model: job x workload x strategy x workers
//!
//! - A **job** ([`workload::Job`]) is one independent request: a **wait** of W ms (a simulated network round
//!   trip), then a **SHA-256 chain** of R rounds. Its digest is checkable with `sha256sum` or Python.
//! - A **workload** ([`workload::Workload`]) is J jobs with seeds `0..J`: `cpu_bound` (no wait),
//!   `cpu_chain` (cpu_bound's J x R rounds as one job, one chain no worker can split), `io_bound` (no
//!   rounds), `mixed` (both) or `net_bound` (io_bound's jobs, each wait a real request over loopback TCP to
//!   `cvp serve`, a child process: [`workload::net`]). Its digest is the XOR of the job digests.
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
//! # Modules, bottom up (ARCHITECTURE.md has the map and the rules)
//! Every view follows one flow: a typed plan -> measured rows (plain serde data) -> analysis (derived numbers,
//! verdicts) -> rendering. A module imports only modules of its own layer or below; `tests/layout.rs` checks.
//!
//! 1. The model: [`workload`] (jobs, workloads, the digest and chain, the two waits, and [`workload::net`]:
//!    `net_bound`'s request, the `cvp serve` service and the parent's handle on it), then [`strategy`] (one
//!    file per strategy, each generic over a [`strategy::Probe`]: the no-op one everywhere but `cvp trace`).
//! 2. What is around a run: [`config`] (the `CVP_*` variables, parsed once), [`machine`] (cores six ways,
//!    CPU, toolchain, and the limits: open files, threads, memory), [`measure`] (wall and CPU time, context
//!    switches of one run).
//! 3. Judging: [`claims`] (the nine claims in one table, their thresholds and the verdict toolkit) and
//!    [`scaling`] (the point model, speedup, efficiency, Karp-Flatt, Amdahl and USL fits).
//! 4. [`report`]: a toolkit that runs nothing and knows no view: criterion's folder and its records, text,
//!    plots with one palette, the atomic file and folder writers, [`report::Section`].
//! 5. [`cli`]: what every command shares (exit status, `--format`, output, progress, Ctrl-C).
//! 6. [`views`]: one folder per view, each judging its claims: [`views::scaling`] (`cargo bench`, `cvp run`,
//!    `cvp compare`: C1..C6), [`views::scale`] (`cvp scale`: C8), [`views::latency`] (`cvp latency`: C7),
//!    [`views::trace`] (`cvp trace`: C9); `cvp report` composes their sections into a results folder.
//!
//! # Environment variables
//! | variable | default | accepted |
//! |---|---|---|
//! | `CVP_THREADS` | 1, 2, 4, ... up to 2 x available parallelism (+ it and twice it, if not powers of 2) | distinct counts 1..=1024 |
//! | `CVP_JOBS` | `cpu_bound` 128 (or 4 per worker at the largest count); `io_bound`/`mixed`/`net_bound` 32 (or 2 per worker); `cpu_chain` always 1, of cpu_bound's J x R rounds | 1..=4096 |
//! | `CVP_ROUNDS` | 20000 | 1..=1000000 |
//! | `CVP_WAIT_MS` | 10 | 1..=1000 |
//! | `CVP_PROFILE` | `standard` | `quick`, `standard`, `thorough` |
//! | `CVP_SCALE_JOBS` | `1,10,100,1000,10000,100000` (`cvp scale`; the `scale` bench takes those up to 10,000) | distinct counts 1..=1000000 |
//!
//! A bad value stops the program with exit status 2 and one line naming the variable, before anything runs.

#![warn(missing_docs)]

// 1. the model
pub mod strategy;
pub mod workload;
// 2. around a run
pub mod config;
pub mod machine;
pub mod measure;
// 3. judging
pub mod claims;
pub mod scaling;
// 4. the report toolkit, 5. what every command shares
pub mod cli;
pub mod report;
// 6. the views
pub mod views;

pub use config::Config;
pub use strategy::{Strategy, StrategyKind};
pub use workload::{Digest, Workload, WorkloadKind};
