//! Loopback TCP for the `net_bound` workload: the service, `cvp serve`, and the request a job makes, blocking
//! ([`request_blocking`]: a thread blocked in `read`) or async ([`request_async`]: epoll through tokio's
//! reactor).
//!
//! The protocol: job k connects, sends its seed as 8 bytes little-endian, and reads 32 bytes, which the
//! service sends W ms after the request and which are SHA-256 of those 8 bytes: the io_bound job digest, so
//! the workload's digest check proves every request got its own answer. A request of any other length is
//! closed without a reply.
//!
//! The service runs as a **child process** ([`Server`]), so its CPU time is never counted as the client's:
//! the parent reads it from the child's CPU clock ([`Server::cpu_time`]). It binds loopback addresses only,
//! prints its address, serves until its stdin closes (so it cannot outlive a parent that crashed), bounds
//! its connections and reports what it served and its own CPU time on exit.
//!
//! Many connections per second on one host: the client closes with `SO_LINGER` 0 after reading the reply
//! (a reset, so neither side keeps a socket in TIME_WAIT and no ephemeral port is held across criterion's
//! iterations), and the service listens on [`DEFAULT_SPREAD`] loopback addresses (127.0.0.1, 127.0.0.2 ...)
//! on one port, job k using address k mod spread: each address has its own ~28,000 ephemeral ports, so
//! 100,000 connections can be open at once without touching the host's sysctls.

mod request;
mod server;
mod service;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use super::digest::{Digest, chain};

pub use request::{request_async, request_blocking};
pub use server::Server;
pub use service::{ServeOptions, serve, serve_if_child, serve_until_stdin_closes};

/// How long any one socket operation of a request may take beyond the wait itself (connect, send, reply):
/// a server that stops answering is an error naming the job, never a hang.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// How long the service waits for a request's 8 bytes before closing the connection.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Loopback addresses the service listens on by default (127.0.0.1 up to 127.0.0.8).
pub const DEFAULT_SPREAD: u8 = 8;
/// The first argument that turns a process started by [`Server::start`] into the service (the wait in
/// whole milliseconds comes second, and nothing else). An argument, never an environment variable: a
/// variable left set in a shell would turn every later command into the service; this takes a command
/// line nobody types by accident.
pub const CHILD_ARG: &str = "__cvp-serve-child";
/// The command line is `<exe> CHILD_ARG <wait ms> <connections>`: the third argument tells the service how
/// many connections to make room for before it listens ([`ServeOptions::reserve`]).
/// File descriptors the service keeps for itself (listeners, stdio) below its limit on connections.
const FD_RESERVE: u64 = 64;

/// Where a `net_bound` job sends its request: `spread` consecutive loopback addresses from `base`, one port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// The first address (127.0.0.1 by default).
    pub base: Ipv4Addr,
    /// The port, the same on every address.
    pub port: u16,
    /// How many consecutive addresses listen (at least 1).
    pub spread: u8,
}

impl Target {
    /// The address job `seed` connects to: address `seed mod spread`.
    pub fn addr(self, seed: u64) -> SocketAddrV4 {
        let k = (seed % u64::from(self.spread.max(1))) as u32;
        SocketAddrV4::new(Ipv4Addr::from(u32::from(self.base) + k), self.port)
    }
}

/// Why a request failed: names the job, the address and the step.
#[derive(Debug, thiserror::Error)]
#[error("job {job}: {step} {addr}: {cause}")]
pub struct NetError {
    /// The job (its seed).
    pub job: u64,
    /// The address it used.
    pub addr: SocketAddrV4,
    /// What it was doing: `connect to`, `send the request to`, `read the reply from`.
    pub step: &'static str,
    /// What went wrong.
    pub cause: String,
}

/// The reply a request must get: SHA-256 of the seed's 8 bytes (the io_bound job digest).
pub fn expected_reply(seed: u64) -> Digest {
    chain(seed, 0)
}

/// Checks job `seed`'s `reply` against the digest the job computed itself, `own` (its hash phase: one
/// SHA-256, as an io_bound job), and returns the reply: a wrong answer is an error naming the job.
pub fn check(seed: u64, target: Target, reply: Digest, own: Digest) -> Result<Digest, NetError> {
    if reply == own {
        Ok(reply)
    } else {
        Err(NetError {
            job: seed,
            addr: target.addr(seed),
            step: "check the reply from",
            cause: format!("got {reply}, expected SHA-256 of the seed, {own}"),
        })
    }
}

/// Raises this process's soft limit on open files to its hard limit (never above it, never lowering it) and
/// returns the soft limit now in force: each connection is a descriptor, in the client and in the service.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid, writable rlimit owned by this frame.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
        // SAFETY: a valid rlimit, read just above, whose soft value does not exceed its hard one.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return raised.rlim_cur;
        }
    }
    lim.rlim_cur
}

/// Grows this process's descriptor table now, so that `more` descriptors beyond the few already open fit
/// in it and opening them later (a socket per request) never grows it inside a timed run. Linux grows the
/// table by doubling it, and in a process of more than one thread each doubling waits for an RCU grace
/// period (`expand_fdtable` calls `synchronize_rcu`): milliseconds each on an idle machine, tens under load,
/// four doublings for 1,000 connections. A fresh process pays them on its first connections, a warmed-up one
/// never again (the table never shrinks), so without this the same requests cost more in a fresh child
/// (`cvp scale`) than after a warm-up (`cvp run`). The table is kernel memory, not the process's resident
/// set. Capped below the soft open-file limit; returns the table's size afterwards (`None` where it cannot
/// be read or grown: nothing else changed).
pub fn reserve_descriptors(more: usize) -> Option<u64> {
    use std::os::fd::AsRawFd;
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid, writable rlimit owned by this frame.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 || lim.rlim_cur < 2 {
        return None;
    }
    let want = (more as u64).saturating_add(FD_RESERVE).min(lim.rlim_cur - 1).min(libc::c_int::MAX as u64);
    let null = std::fs::File::open("/dev/null").ok()?;
    // F_DUPFD takes the lowest free descriptor at or above `want` (never one that is open), and the table
    // grows to hold it; closing it leaves the table as big.
    // SAFETY: a valid descriptor, a command that takes an int, and the descriptor it returns closed once.
    let fd = unsafe { libc::fcntl(null.as_raw_fd(), libc::F_DUPFD_CLOEXEC, want as libc::c_int) };
    if fd < 0 {
        return None;
    }
    // SAFETY: `fd` was just returned to us and nothing else holds it.
    unsafe { libc::close(fd) };
    descriptor_table_size()
}

/// The size of this process's descriptor table (`FDSize` in `/proc/self/status`; Linux only).
pub fn descriptor_table_size() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("FDSize:")).and_then(|v| v.trim().parse().ok())
}

/// What the service did, printed as its last line (`served N malformed M cpu_s S`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServeReport {
    /// Requests answered.
    pub served: u64,
    /// Connections closed without a reply: a request that was not exactly 8 bytes, or came too late.
    pub malformed: u64,
    /// The service's own CPU time (user + system), seconds.
    pub cpu_s: f64,
}

impl ServeReport {
    /// The line the service prints on exit.
    pub fn line(&self) -> String {
        format!("served {} malformed {} cpu_s {:.6}", self.served, self.malformed, self.cpu_s)
    }

    /// Reads [`ServeReport::line`] back.
    pub fn parse(line: &str) -> Option<ServeReport> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["served", s, "malformed", m, "cpu_s", c] => Some(ServeReport {
                served: s.parse().ok()?,
                malformed: m.parse().ok()?,
                cpu_s: c.parse().ok()?,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
