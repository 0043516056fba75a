//! Jobs and workloads: a wait (simulated network round trip), then a SHA-256 chain; nothing here knows threads.
//!
//! A job's digest is `h(R)` where `h0 = SHA-256(seed as 8 bytes little-endian)` and
//! `h(k+1) = SHA-256(h(k))`. A workload's digest is the XOR of its jobs' digests, so it does not depend on
//! the order in which a strategy finishes jobs. `cpu_chain` is cpu_bound's hashing as one job: one chain of
//! all its rounds, each round needing the one before, so no number of workers can share it. The two wait functions are the only place that knows a
//! wait is a sleep; `net_bound`'s wait is a real request over loopback TCP, [`net`]'s two request
//! functions, whose reply is the job's digest.

pub mod digest;
pub mod net;
mod wait;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use digest::{Digest, chain};
pub use wait::{WaitAsync, wait_async, wait_blocking};

/// How a strategy waits: blocking its OS thread, or yielding to an async runtime. Each kind has its own
/// measured floor (one job's wait alone), since tokio's timer rounds a sleep up and a thread sleep does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitKind {
    /// [`wait_blocking`]: `std::thread::sleep`.
    Blocking,
    /// [`wait_async`]: `tokio::time::sleep`.
    Async,
}

impl WaitKind {
    /// Both kinds.
    pub const ALL: [WaitKind; 2] = [WaitKind::Blocking, WaitKind::Async];

    /// The id: `blocking` or `async`.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitKind::Blocking => "blocking",
            WaitKind::Async => "async",
        }
    }
}

impl fmt::Display for WaitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The five workloads. The id strings are the criterion group names, CSV and JSON values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadKind {
    /// Hashing only: bound by cores.
    CpuBound,
    /// cpu_bound's hashing as one job, one chain of its J x R rounds: the same total work, CPU-bound but
    /// unsplittable (each round hashes the one before), so bound by one core whatever the workers.
    CpuChain,
    /// Waiting only (one hash per job): bound by how many waits are in flight.
    IoBound,
    /// A wait, then the hash chain: bound by both.
    Mixed,
    /// io_bound's jobs with a real wait: a request over loopback TCP to `cvp serve`, which replies after W
    /// ms with the job's digest ([`crate::workload::net`]). Its waits need a server ([`Workload::on`]).
    NetBound,
}

impl WorkloadKind {
    /// Every workload, in report order.
    pub const ALL: [WorkloadKind; 5] = [
        WorkloadKind::CpuBound,
        WorkloadKind::CpuChain,
        WorkloadKind::IoBound,
        WorkloadKind::Mixed,
        WorkloadKind::NetBound,
    ];

    /// The id: `cpu_bound`, `cpu_chain`, `io_bound`, `mixed` or `net_bound`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::CpuBound => "cpu_bound",
            WorkloadKind::CpuChain => "cpu_chain",
            WorkloadKind::IoBound => "io_bound",
            WorkloadKind::Mixed => "mixed",
            WorkloadKind::NetBound => "net_bound",
        }
    }

    /// Whether a job's wait is a request to a server (`net_bound`) rather than a sleep.
    pub fn is_net(self) -> bool {
        self == WorkloadKind::NetBound
    }

    /// Whether a job waits at all (`cpu_bound` and `cpu_chain` only hash).
    pub fn waits(self) -> bool {
        !matches!(self, WorkloadKind::CpuBound | WorkloadKind::CpuChain)
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WorkloadKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        WorkloadKind::ALL.into_iter().find(|w| w.as_str() == s).ok_or_else(|| {
            format!("unknown workload '{s}' (accepted: cpu_bound, cpu_chain, io_bound, mixed, net_bound)")
        })
    }
}

/// One independent request: wait, then hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// Seed of the hash chain; a workload's jobs have seeds `0..jobs`.
    pub seed: u64,
    /// The simulated network round trip.
    pub wait: Duration,
    /// Rounds of the hash chain after the first hash.
    pub rounds: u32,
}

impl Job {
    /// Runs the job on the calling thread: a blocking wait, then the chain.
    pub fn run_blocking(&self) -> Digest {
        wait_blocking(self.wait);
        chain(self.seed, self.rounds)
    }
}

/// `jobs` jobs of one kind. Build it with [`Workload::new`], which applies the kind's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    /// Which workload this is.
    pub kind: WorkloadKind,
    /// Number of jobs (seeds `0..jobs`).
    pub jobs: usize,
    /// Wait per job (zero for `cpu_bound` and `cpu_chain`).
    pub wait: Duration,
    /// Hash rounds per job (zero for `io_bound` and `net_bound`).
    pub rounds: u32,
    /// `net_bound` only: the server its requests go to, which replies after `wait` ([`Workload::on`]).
    pub server: Option<crate::workload::net::Target>,
}

impl Workload {
    /// The workload `kind` with `jobs` jobs of `rounds` rounds: `cpu_bound` drops the wait, `io_bound` and
    /// `net_bound` drop the rounds. `cpu_chain` chains cpu_bound's work into one job: `jobs` x `rounds`
    /// rounds, no wait, seed 0 (saturating at `u32::MAX` rounds, which no size the `CVP_*` limits accept
    /// reaches). A `net_bound` workload still needs its server ([`Workload::on`]).
    pub fn new(kind: WorkloadKind, jobs: usize, wait: Duration, rounds: u32) -> Workload {
        let (jobs, wait, rounds) = match kind {
            WorkloadKind::CpuBound => (jobs, Duration::ZERO, rounds),
            WorkloadKind::CpuChain => {
                let chained = u32::try_from(jobs).map_or(u32::MAX, |j| j.saturating_mul(rounds));
                (1, Duration::ZERO, chained)
            }
            WorkloadKind::IoBound | WorkloadKind::NetBound => (jobs, wait, 0),
            WorkloadKind::Mixed => (jobs, wait, rounds),
        };
        Workload { kind, jobs, wait, rounds, server: None }
    }

    /// This `net_bound` workload sending its requests to `server`, whose reply delay becomes the wait.
    /// Panics for any other workload (a programming error: only net_bound's waits are requests).
    pub fn on(mut self, server: &crate::workload::net::Server) -> Workload {
        assert!(
            self.kind.is_net(),
            "Workload::on: {} does not send requests (only net_bound does)",
            self.kind
        );
        self.server = Some(server.target());
        self.wait = server.wait();
        self
    }

    /// Job number `i` (its seed is `i`).
    pub fn job(&self, i: usize) -> Job {
        Job { seed: i as u64, wait: self.wait, rounds: self.rounds }
    }

    /// All jobs in seed order.
    pub fn jobs(&self) -> impl Iterator<Item = Job> + '_ {
        (0..self.jobs).map(|i| self.job(i))
    }

    /// The expected digest, computed by the plainest loop there is, without any wait.
    /// Every strategy's answer is checked against this before it is timed.
    pub fn expected_digest(&self) -> Digest {
        self.jobs().map(|j| chain(j.seed, j.rounds)).collect()
    }

    /// Total time the jobs spend waiting, `jobs x wait` (nominal): the numerator of Little's law.
    /// Computed in 128-bit nanoseconds, so no job count is truncated; saturates at `Duration::MAX`.
    pub fn total_wait(&self) -> Duration {
        let nanos = self.wait.as_nanos().saturating_mul(self.jobs as u128);
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
        Duration::new(secs, (nanos % 1_000_000_000) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_rules_drop_what_the_kind_does_not_use() {
        let w = Duration::from_millis(10);
        assert_eq!(Workload::new(WorkloadKind::CpuBound, 4, w, 9).wait, Duration::ZERO);
        assert_eq!(Workload::new(WorkloadKind::IoBound, 4, w, 9).rounds, 0);
        let m = Workload::new(WorkloadKind::Mixed, 4, w, 9);
        assert_eq!((m.wait, m.rounds, m.total_wait()), (w, 9, w * 4));
    }

    #[test]
    fn cpu_chain_is_cpu_bound_hashing_as_one_chain() {
        let c = Workload::new(WorkloadKind::CpuChain, 4, Duration::from_millis(10), 9);
        assert_eq!((c.jobs, c.wait, c.rounds), (1, Duration::ZERO, 36));
        assert_eq!(c.expected_digest(), chain(0, 36));
        assert_ne!(
            c.expected_digest(),
            Workload::new(WorkloadKind::CpuBound, 4, c.wait, 9).expected_digest()
        );
        // The largest size the config accepts fits; past it, the rounds saturate rather than wrap.
        assert_eq!(Workload::new(WorkloadKind::CpuChain, 4096, c.wait, 1_000_000).rounds, 4_096_000_000);
        assert_eq!(Workload::new(WorkloadKind::CpuChain, 8192, c.wait, 1_000_000).rounds, u32::MAX);
    }

    #[test]
    fn total_wait_does_not_truncate_the_job_count() {
        let w = Workload::new(WorkloadKind::IoBound, (1usize << 32) + 1, Duration::from_millis(1), 0);
        assert_eq!(w.total_wait(), Duration::from_millis((1u64 << 32) + 1));
    }

    #[test]
    fn ids_round_trip() {
        for k in WorkloadKind::ALL {
            assert_eq!(k.as_str().parse::<WorkloadKind>(), Ok(k));
        }
        assert!("cpu".parse::<WorkloadKind>().unwrap_err().contains("accepted"));
    }
}
