//! This machine's limits on what a run may start at once: threads and processes (`RLIMIT_NPROC`,
//! `kernel.threads-max`, the cgroup's `pids.max`, `vm.max_map_count`), memory for threads and tasks, and
//! for sockets the open-file limit and the ephemeral ports. `cvp scale` checks every row against them
//! before anything starts, and `cvp run` its net_bound connections.

use serde::{Deserialize, Serialize};

/// Resident memory counted per thread when comparing J threads with the available memory: a touched
/// stack page or two, the kernel stack, page tables and guard (a generous estimate: the skip is a safety
/// margin, not a measurement).
pub const THREAD_FOOTPRINT_BYTES: u64 = 64 * 1024;
/// The same for a task (about 0.5 KiB measured; twice that as a margin).
pub const TASK_FOOTPRINT_BYTES: u64 = 1024;
/// File descriptors a client or the service keeps for itself (stdio, epoll, listeners, pipes) beside one
/// per connection: a J is run only when J plus this fits the open-file limit of both.
pub const FD_RESERVE: u64 = 64;

/// This machine's limits on threads, each `None` when unlimited or unknown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// `RLIMIT_NPROC` (soft): processes and threads of this user, all of them.
    pub rlimit_nproc: Option<u64>,
    /// `/proc/sys/kernel/threads-max`.
    pub threads_max: Option<u64>,
    /// The cgroup's `pids.max`.
    pub cgroup_pids_max: Option<u64>,
    /// `/proc/sys/vm/max_map_count`: each thread maps a stack and a guard page.
    pub max_map_count: Option<u64>,
    /// `MemAvailable` in bytes.
    pub mem_available_bytes: Option<u64>,
    /// `RLIMIT_NOFILE` after raising the soft limit to the hard one, as the client children and the
    /// service both do (the service is started by `cvp scale`, so it has the same hard limit).
    #[serde(default)]
    pub rlimit_nofile: Option<u64>,
    /// `net.ipv4.ip_local_port_range`: the ephemeral ports a connection's local end takes from, per
    /// destination address.
    #[serde(default)]
    pub local_ports: Option<(u64, u64)>,
}

impl Limits {
    /// Reads them from this machine, after raising this process's soft open-file limit to the hard one
    /// (what a socket child and the service do too, so the limit recorded is the one they get).
    pub fn detect() -> Limits {
        let num = |path: &str| std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse::<u64>().ok());
        let mut nproc = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: `nproc` is a valid, writable rlimit owned by this frame.
        let rlimit_nproc = (unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut nproc) } == 0
            && nproc.rlim_cur != libc::RLIM_INFINITY)
            .then_some(nproc.rlim_cur);
        let mem_available_bytes = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("MemAvailable:")).and_then(|v| kib(v).map(|k| k * 1024))
        });
        let local_ports =
            std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok().and_then(|s| {
                let mut it = s.split_whitespace().map(|v| v.parse::<u64>().ok());
                Some((it.next()??, it.next()??))
            });
        let nofile = crate::workload::net::raise_fd_limit();
        Limits {
            rlimit_nproc,
            threads_max: num("/proc/sys/kernel/threads-max"),
            cgroup_pids_max: cgroup_pids_max(),
            max_map_count: num("/proc/sys/vm/max_map_count"),
            mem_available_bytes,
            rlimit_nofile: (nofile != libc::RLIM_INFINITY).then_some(nofile),
            local_ports,
        }
    }

    /// Why `jobs` connections must not be opened at once here, to a service on `spread` loopback addresses:
    /// the client's and the service's open-file limit (a descriptor per connection on each side, plus
    /// [`FD_RESERVE`]), and the ephemeral ports per destination address (`jobs / spread` each). Every limit
    /// exceeded is named; `None` when they fit.
    pub fn refuse_sockets(&self, jobs: usize, spread: u8) -> Option<String> {
        let j = jobs as u64;
        let mut over = Vec::new();
        if let Some(limit) = self.rlimit_nofile.filter(|&l| j + FD_RESERVE > l) {
            over.push(format!(
                "the client's and the service's RLIMIT_NOFILE = {limit} (ulimit -n, after raising the soft limit \
                 to the hard one; a descriptor per connection on each side, {FD_RESERVE} kept for the rest)"
            ));
        }
        let per_address = j.div_ceil(u64::from(spread.max(1)));
        if let Some((lo, hi)) = self.local_ports.filter(|&(lo, hi)| per_address > (hi + 1).saturating_sub(lo))
        {
            over.push(format!(
                "the ephemeral ports net.ipv4.ip_local_port_range = {lo}-{hi} ({} per address; {per_address} \
                 connections to each of {spread} addresses)",
                (hi + 1).saturating_sub(lo)
            ));
        }
        (!over.is_empty()).then(|| format!("{jobs} connections exceed {}", over.join(", and ")))
    }

    /// Why `threads` threads must not be started here: more than half of one or more limits (every one
    /// exceeded is named, so the binding one is among them). `None` when they fit.
    pub fn refuse(&self, threads: usize) -> Option<String> {
        let t = threads as u64;
        let mut over = Vec::new();
        for (name, limit) in [
            ("RLIMIT_NPROC (ulimit -u; root may be exempt)", self.rlimit_nproc),
            ("kernel.threads-max", self.threads_max),
            ("the cgroup's pids.max", self.cgroup_pids_max),
        ] {
            if let Some(limit) = limit.filter(|&l| t > l / 2) {
                over.push(format!("{name} = {limit}"));
            }
        }
        // Each thread maps its stack and a guard page: two memory maps.
        if let Some(limit) = self.max_map_count.filter(|&l| 2 * t > l / 2) {
            over.push(format!(
                "vm.max_map_count = {limit} (they need {} maps: a stack and a guard page each)",
                2 * t
            ));
        }
        if let Some(avail) =
            self.mem_available_bytes.filter(|&a| t.saturating_mul(THREAD_FOOTPRINT_BYTES) > a / 2)
        {
            over.push(format!(
                "the available memory = {} MiB (at ~{} KiB a thread)",
                avail >> 20,
                THREAD_FOOTPRINT_BYTES / 1024
            ));
        }
        (!over.is_empty()).then(|| format!("{threads} threads exceed half of {}", over.join(", and of ")))
    }

    /// Why `tasks` tasks must not be started here: more than half of the available memory at
    /// [`TASK_FOOTPRINT_BYTES`] each. `None` when they fit.
    pub fn refuse_tasks(&self, tasks: usize) -> Option<String> {
        let bytes = (tasks as u64).saturating_mul(TASK_FOOTPRINT_BYTES);
        self.mem_available_bytes.filter(|&a| bytes > a / 2).map(|avail| {
            format!(
                "{tasks} tasks at ~{} KiB each exceed half of the available memory = {} MiB",
                TASK_FOOTPRINT_BYTES / 1024,
                avail >> 20
            )
        })
    }
}

fn cgroup_pids_max() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let file = if controllers.is_empty() {
            format!("/sys/fs/cgroup{path}/pids.max")
        } else if controllers.split(',').any(|c| c == "pids") {
            format!("/sys/fs/cgroup/pids{path}/pids.max")
        } else {
            continue;
        };
        if let Ok(v) = std::fs::read_to_string(&file) {
            return v.trim().parse().ok();
        }
    }
    None
}

/// `"  1234 kB"` -> 1234.
pub(crate) fn kib(v: &str) -> Option<u64> {
    v.trim().trim_end_matches("kB").trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refuse_above_half_of_any_and_name_every_one_exceeded() {
        let limits = Limits {
            rlimit_nproc: Some(10_000),
            threads_max: Some(192_729),
            cgroup_pids_max: Some(96_364),
            max_map_count: Some(65_530),
            mem_available_bytes: Some(24 << 30),
            ..Limits::default()
        };
        assert_eq!(limits.refuse(4_000), None);
        assert!(limits.refuse(5_001).unwrap().contains("RLIMIT_NPROC"), "{:?}", limits.refuse(5_001));
        let open = Limits { rlimit_nproc: None, ..limits.clone() };
        assert_eq!(open.refuse(10_000), None);
        let why = open.refuse(100_000).unwrap();
        assert!(why.starts_with("100000 threads exceed half of"), "{why}");
        assert!(
            why.contains("kernel.threads-max = 192729") && why.contains("vm.max_map_count = 65530"),
            "{why}"
        );
        assert!(why.contains("pids.max = 96364"), "{why}");
        let maps = open.refuse(20_000).unwrap();
        assert!(maps.contains("vm.max_map_count = 65530") && !maps.contains("threads-max"), "{maps}");
        let small = Limits { mem_available_bytes: Some(1 << 30), ..Limits::default() };
        assert!(small.refuse(10_000).unwrap().contains("available memory"));
        assert_eq!(Limits::default().refuse(1_000_000), None);
        assert!(small.refuse_tasks(1_000_000).unwrap().contains("1000000 tasks"));
        assert_eq!(small.refuse_tasks(100_000), None);
    }

    #[test]
    fn sockets_are_refused_above_the_open_file_limit_and_the_ports_naming_each() {
        let limits =
            Limits { rlimit_nofile: Some(20_000), local_ports: Some((32_768, 60_999)), ..Limits::default() };
        assert_eq!(limits.refuse_sockets(10_000, 8), None);
        let why = limits.refuse_sockets(100_000, 8).unwrap();
        assert!(why.starts_with("100000 connections exceed"), "{why}");
        assert!(why.contains("RLIMIT_NOFILE = 20000"), "{why}");
        // 12,500 per address fit 28,232 ports; on one address they would not.
        assert!(!why.contains("ip_local_port_range"), "{why}");
        let one = Limits { rlimit_nofile: None, ..limits.clone() };
        let ports = one.refuse_sockets(30_000, 1).unwrap();
        assert!(ports.contains("ip_local_port_range = 32768-60999") && !ports.contains("NOFILE"), "{ports}");
        // The reserve: 300 descriptors hold 236 connections, not 237.
        let tight = Limits { rlimit_nofile: Some(300), ..Limits::default() };
        assert_eq!(tight.refuse_sockets(236, 8), None);
        assert!(tight.refuse_sockets(237, 8).is_some());
    }
}
