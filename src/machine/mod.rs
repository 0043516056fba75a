//! What this machine offers the sweep: core counts seen six ways, the CPU, the OS and the toolchain.
//!
//! The counts disagree on purpose: `physical_cpus` and `logical_cpus` ignore affinity masks and cgroup
//! quotas, `available_parallelism` (std) honours both. The sweep and every "cores" in the analysis use
//! [`Machine::usable_cores`], which is `available_parallelism`: the cores this process may really use.

pub mod limits;

use serde::{Deserialize, Serialize};

/// A snapshot of the machine, as `cvp machine --json` prints it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name (from /proc/cpuinfo), or "unknown".
    pub cpu_model: String,
    /// Logical CPUs (`num_cpus::get`; on Linux it already honours the affinity mask).
    pub logical_cpus: usize,
    /// CPUs online in the whole machine, whatever this process may use.
    pub online_cpus: Option<usize>,
    /// Physical cores (`num_cpus::get_physical`).
    pub physical_cpus: usize,
    /// `std::thread::available_parallelism`: honours affinity and cgroup quota.
    pub available_parallelism: usize,
    /// CPUs in this process's affinity mask, when the platform tells.
    pub affinity_cpus: Option<usize>,
    /// The cgroup CPU quota in cores, `None` when unlimited or unknown.
    pub cgroup_cpu_quota: Option<f64>,
    /// Operating system and architecture, e.g. `linux x86_64`.
    pub os: String,
    /// Kernel release, when known.
    pub kernel: Option<String>,
    /// The compiler that built `cvp`.
    pub rustc: String,
    /// This crate's version.
    pub cvp_version: String,
    /// The git commit `cvp` was built from, when known (`-dirty-<hash>` when its code differed from it).
    pub git_commit: Option<String>,
    /// The cargo profile's kind `cvp` was built with: `release` (optimized, as `cargo bench` and
    /// `cargo run --release` build) or `debug`, followed by its opt-level and RUSTFLAGS where they are not
    /// the profile's own (`release (opt-level 0)`). `None` in files written before it was recorded.
    #[serde(default)]
    pub profile: Option<String>,
    /// `RAYON_NUM_THREADS` as set (the suite's own pools ignore it).
    pub rayon_num_threads: Option<String>,
    /// `TOKIO_WORKER_THREADS` as set (the suite's own runtimes ignore it).
    pub tokio_worker_threads: Option<String>,
}

/// How two files' builds compare: [`Machine::same_build`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildMatch {
    /// The same commit (or the same uncommitted diff of it), compiler, version and profile.
    Same,
    /// Another commit, compiler, version or profile: other code measured.
    Other,
    /// Nothing differs that was recorded, but a build recorded no commit, so the code cannot be compared.
    Unchecked,
}

impl BuildMatch {
    /// How a report names it beside a file that another build may have measured.
    pub fn describe(self) -> &'static str {
        match self {
            BuildMatch::Same => "the same build",
            BuildMatch::Other => "ANOTHER BUILD",
            BuildMatch::Unchecked => "a build that cannot be checked (no commit recorded)",
        }
    }
}

/// The profile as [`Machine::profile`] names it: `debug` or `release`, then what differs from that profile's
/// defaults (opt-level 0 and 3; no RUSTFLAGS), so a build compiled otherwise never passes for the same build.
fn profile(debug_assertions: bool, opt_level: &str, rustflags: &str) -> String {
    let (name, default_opt) = if debug_assertions { ("debug", "0") } else { ("release", "3") };
    let mut differs = Vec::new();
    if !opt_level.is_empty() && opt_level != default_opt {
        differs.push(format!("opt-level {opt_level}"));
    }
    if !rustflags.trim().is_empty() {
        differs.push(format!("RUSTFLAGS {}", rustflags.trim()));
    }
    if differs.is_empty() { name.to_string() } else { format!("{name} ({})", differs.join("; ")) }
}

impl Machine {
    /// Reads the machine now.
    pub fn detect() -> Machine {
        Machine {
            cpu_model: cpu_model().unwrap_or_else(|| "unknown".into()),
            logical_cpus: num_cpus::get(),
            online_cpus: online_cpus(),
            physical_cpus: num_cpus::get_physical(),
            available_parallelism: std::thread::available_parallelism().map_or(1, |n| n.get()),
            affinity_cpus: affinity_cpus(),
            cgroup_cpu_quota: cgroup_cpu_quota(),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            kernel: read_trimmed("/proc/sys/kernel/osrelease"),
            rustc: env!("CVP_RUSTC_VERSION").to_string(),
            cvp_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: Some(env!("CVP_GIT_COMMIT").to_string()).filter(|c| !c.is_empty()),
            profile: Some(profile(cfg!(debug_assertions), env!("CVP_OPT_LEVEL"), env!("CVP_RUSTFLAGS"))),
            rayon_num_threads: std::env::var("RAYON_NUM_THREADS").ok(),
            tokio_worker_threads: std::env::var("TOKIO_WORKER_THREADS").ok(),
        }
    }

    /// The cores this process may really use: `available_parallelism`, which already takes the smaller of
    /// the affinity mask and the cgroup quota.
    pub fn usable_cores(&self) -> usize {
        self.available_parallelism.max(1)
    }

    /// The cores the analysis counts on: usable (available parallelism) and physical.
    pub fn cores(&self) -> Cores {
        Cores::new(self.usable_cores(), self.physical_cpus)
    }

    /// Whether `other` describes the same hardware as far as the results are concerned: the same CPU and
    /// the same cores, counted every way (the toolchain, commit and environment may differ).
    pub fn same_hardware(&self, other: &Machine) -> bool {
        self.cpu_model == other.cpu_model
            && self.logical_cpus == other.logical_cpus
            && self.online_cpus == other.online_cpus
            && self.physical_cpus == other.physical_cpus
            && self.available_parallelism == other.available_parallelism
            && self.affinity_cpus == other.affinity_cpus
            && self.cgroup_cpu_quota == other.cgroup_cpu_quota
            && self.os == other.os
    }

    /// One line: CPU model and core counts.
    pub fn summary(&self) -> String {
        format!(
            "{}, {} usable core(s) (available parallelism; {} logical, {} physical)",
            self.cpu_model,
            self.usable_cores(),
            self.logical_cpus,
            self.physical_cpus
        )
    }

    /// The build that measured: commit, compiler, version and profile. Two files measured by different
    /// builds measured different code, and the report will not mix them unless told to.
    pub fn build(&self) -> String {
        format!(
            "commit {}, {}, cvp {}, {}",
            self.git_commit.as_deref().unwrap_or("unknown"),
            self.rustc,
            self.cvp_version,
            self.profile.as_deref().map_or("profile unknown".to_string(), |p| format!("{p} build"))
        )
    }

    /// Whether `other` was measured by this build. `Unchecked` where either build recorded no commit (built
    /// outside a git checkout): two such builds of one version may hold different code, and nothing tells.
    pub fn same_build(&self, other: &Machine) -> BuildMatch {
        let known = |m: &Machine| (m.rustc.clone(), m.cvp_version.clone(), m.profile.clone());
        match (&self.git_commit, &other.git_commit) {
            _ if known(self) != known(other) => BuildMatch::Other,
            (Some(a), Some(b)) if a != b => BuildMatch::Other,
            (Some(_), Some(_)) => BuildMatch::Same,
            _ => BuildMatch::Unchecked,
        }
    }

    /// A readable folder name: CPU model and usable core count, e.g. `amd-epyc-2c`.
    pub fn slug(&self) -> String {
        let mut slug = String::new();
        for c in self.cpu_model.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug: Vec<&str> = slug.split('-').filter(|w| !w.is_empty() && !NOISE.contains(w)).collect();
        let model = if slug.is_empty() { "unknown-cpu".to_string() } else { slug.join("-") };
        format!("{model}-{}c", self.usable_cores())
    }

    /// Sentences explaining where the counts disagree and which one the sweep uses.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let usable = self.usable_cores();
        let online = self.online_cpus.unwrap_or(self.logical_cpus);
        if let Some(aff) = self.affinity_cpus.filter(|&a| a < online) {
            notes.push(format!(
                "the affinity mask allows {aff} of {online} online CPUs (taskset or a container pins this process); \
                 physical_cpus ignores it"
            ));
        }
        if let Some(q) = self.cgroup_cpu_quota.filter(|&q| q < self.logical_cpus as f64) {
            notes.push(format!("a cgroup quota allows {q:.2} cores of CPU time"));
        }
        if self.physical_cpus < self.logical_cpus {
            notes.push(format!(
                "{} logical CPUs share {} physical cores (SMT): CPU-bound speedup may flatten before {}",
                self.logical_cpus, self.physical_cpus, self.logical_cpus
            ));
        }
        notes.push(format!(
            "the sweep and the analysis use available_parallelism = {usable}, the cores this process may \
             really use (it honours affinity and the cgroup quota; the logical count honours affinity only, the \
             online and physical counts neither)"
        ));
        for (var, value) in [
            ("RAYON_NUM_THREADS", &self.rayon_num_threads),
            ("TOKIO_WORKER_THREADS", &self.tokio_worker_threads),
        ] {
            if let Some(v) = value {
                notes.push(format!(
                    "{var}={v} is set: the suite's pools and runtimes use explicit worker counts and ignore it"
                ));
            }
        }
        notes
    }

    /// A warning for each requested worker count above the usable cores.
    pub fn oversubscription_warning(&self, threads: &[usize]) -> Option<String> {
        let usable = self.usable_cores();
        let over: Vec<String> = threads.iter().filter(|&&n| n > usable).map(|n| n.to_string()).collect();
        (!over.is_empty()).then(|| {
            format!(
                "worker counts {} exceed the {usable} core(s) this process may use: CPU-bound work cannot \
                 speed up past {usable}; these counts show concurrency, not parallelism",
                over.join(", ")
            )
        })
    }

    /// The human-readable form printed by `cvp machine`.
    pub fn to_text(&self) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "unset".into());
        let mut s = format!(
            "cpu model              {}\n\
             logical cpus           {}  (this process may use; honours taskset)\n\
             online cpus            {}  (the whole machine)\n\
             physical cores         {}  (the whole machine)\n\
             available parallelism  {}\n\
             affinity cpus          {}\n\
             cgroup cpu quota       {}\n\
             os                     {}\n\
             kernel                 {}\n\
             rustc                  {}\n\
             cvp                    {} ({}, {})\n\
             RAYON_NUM_THREADS      {}\n\
             TOKIO_WORKER_THREADS   {}\n",
            self.cpu_model,
            self.logical_cpus,
            self.online_cpus.map_or("unknown".into(), |n| n.to_string()),
            self.physical_cpus,
            self.available_parallelism,
            self.affinity_cpus.map_or("unknown".into(), |a| a.to_string()),
            self.cgroup_cpu_quota.map_or("unlimited".into(), |q| format!("{q:.2} cores")),
            self.os,
            self.kernel.as_deref().unwrap_or("unknown"),
            self.rustc,
            self.cvp_version,
            self.git_commit.as_deref().unwrap_or("commit unknown"),
            self.profile.as_deref().map_or("profile unknown".to_string(), |p| format!("{p} build")),
            opt(&self.rayon_num_threads),
            opt(&self.tokio_worker_threads),
        );
        for note in self.notes() {
            s.push_str(&format!("note: {note}\n"));
        }
        s
    }
}

/// Words that make a CPU slug longer without telling models apart.
const NOISE: &[&str] = &["r", "tm", "c", "cpu", "processor", "with", "radeon", "graphics", "core", "n"];

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name") || l.starts_with("Model") || l.starts_with("Hardware"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|v| !v.is_empty())
}

fn online_cpus() -> Option<usize> {
    // SAFETY: sysconf has no preconditions; a negative result means unknown.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).ok().filter(|&n| n > 0)
}

#[cfg(target_os = "linux")]
fn affinity_cpus() -> Option<usize> {
    // SAFETY: `set` is a zeroed cpu_set_t owned by this frame; the size passed is its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        usize::try_from(libc::CPU_COUNT(&set)).ok()
    }
}

#[cfg(not(target_os = "linux"))]
fn affinity_cpus() -> Option<usize> {
    None
}

/// Pins every thread of this process (those running now and, by inheritance, those it starts later) to
/// one CPU: the first one its affinity mask allows. Returns that CPU's number. `cvp latency --cores 1` and
/// `cvp trace --cores 1` call it first thing, so a one-core run needs no `taskset`.
pub fn pin_to_one_cpu() -> std::io::Result<usize> {
    let cpu = *allowed_cpu_ids()
        .ok_or_else(|| std::io::Error::other("cannot read the affinity mask"))?
        .first()
        .ok_or_else(|| std::io::Error::other("the affinity mask allows no CPU"))?;
    pin_process_to(&[cpu])?;
    Ok(cpu)
}

/// The numbers of the CPUs this thread may run on now (its affinity mask), in order, when the platform tells.
#[cfg(target_os = "linux")]
pub fn allowed_cpu_ids() -> Option<Vec<usize>> {
    // SAFETY: `set` is a zeroed cpu_set_t owned by this frame; the size passed is its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        Some((0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect())
    }
}

/// The affinity mask needs Linux's sched_getaffinity.
#[cfg(not(target_os = "linux"))]
pub fn allowed_cpu_ids() -> Option<Vec<usize>> {
    None
}

#[cfg(target_os = "linux")]
fn cpu_set(cpus: &[usize]) -> std::io::Result<libc::cpu_set_t> {
    if cpus.is_empty() || cpus.iter().any(|&c| c >= libc::CPU_SETSIZE as usize) {
        return Err(std::io::Error::other(format!("no CPU set to pin to: {cpus:?}")));
    }
    // SAFETY: `set` is a zeroed cpu_set_t owned by this frame; every CPU number is below CPU_SETSIZE.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c, &mut set);
        }
        Ok(set)
    }
}

/// Pins every thread of this process (those running now and, by inheritance, those it starts later) to
/// `cpus`.
#[cfg(target_os = "linux")]
pub fn pin_process_to(cpus: &[usize]) -> std::io::Result<()> {
    let set = cpu_set(cpus)?;
    // sched_setaffinity(tid) pins only that thread: pin every thread the process already has.
    for task in std::fs::read_dir("/proc/self/task")? {
        let tid: libc::pid_t = match task?.file_name().to_str().and_then(|t| t.parse().ok()) {
            Some(tid) => tid,
            None => continue,
        };
        // SAFETY: `set` is a valid cpu_set_t and the size passed is its size.
        if unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) } != 0 {
            let e = std::io::Error::last_os_error();
            // A thread that ended since the listing is not an error.
            if e.raw_os_error() != Some(libc::ESRCH) {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Pinning needs Linux's sched_setaffinity.
#[cfg(not(target_os = "linux"))]
pub fn pin_process_to(_cpus: &[usize]) -> std::io::Result<()> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "pinning to CPUs needs Linux"))
}

/// Pins the calling thread only (and the threads it starts later) to `cpus`.
#[cfg(target_os = "linux")]
pub fn pin_this_thread_to(cpus: &[usize]) -> std::io::Result<()> {
    let set = cpu_set(cpus)?;
    // SAFETY: `set` is a valid cpu_set_t and the size passed is its size; 0 is the calling thread.
    if unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Pinning needs Linux's sched_setaffinity.
#[cfg(not(target_os = "linux"))]
pub fn pin_this_thread_to(_cpus: &[usize]) -> std::io::Result<()> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "pinning to CPUs needs Linux"))
}

/// How many CPUs this thread may run on now (its affinity mask), when the platform tells.
pub fn cpus_allowed_now() -> Option<usize> {
    affinity_cpus()
}

/// The cgroup v2 (`cpu.max`) or v1 (`cpu.cfs_quota_us`) quota of this process's cgroup, in cores.
fn cgroup_cpu_quota() -> Option<f64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if controllers.is_empty() {
            let max = read_trimmed(&format!("/sys/fs/cgroup{path}/cpu.max"))
                .or_else(|| read_trimmed("/sys/fs/cgroup/cpu.max"))?;
            return parse_cpu_max(&max);
        }
        if controllers.split(',').any(|c| c == "cpu") {
            for base in [
                format!("/sys/fs/cgroup/cpu,cpuacct{path}"),
                format!("/sys/fs/cgroup/cpu{path}"),
                "/sys/fs/cgroup/cpu".into(),
            ] {
                let quota = read_trimmed(&format!("{base}/cpu.cfs_quota_us"));
                let period = read_trimmed(&format!("{base}/cpu.cfs_period_us"));
                if let (Some(q), Some(p)) = (quota, period) {
                    return parse_cpu_max(&format!("{q} {p}"));
                }
            }
        }
    }
    None
}

/// Parses `"<quota> <period>"` (`"max ..."` or a negative quota means unlimited) into cores.
fn parse_cpu_max(s: &str) -> Option<f64> {
    let mut it = s.split_whitespace();
    let quota: f64 = it.next()?.parse().ok()?;
    let period: f64 = it.next()?.parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// How many cores the analysis may count on: those the process may use, and the physical cores among them
/// (a CPU-bound speedup follows physical cores; SMT siblings add little to SHA-256).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cores {
    /// Available parallelism: logical CPUs this process may use.
    pub usable: usize,
    /// Physical cores of the machine.
    pub physical: usize,
}

impl Cores {
    /// `usable` logical CPUs on a machine with `physical` cores.
    pub fn new(usable: usize, physical: usize) -> Cores {
        Cores { usable: usable.max(1), physical: physical.max(1) }
    }

    /// The same count both ways (no SMT).
    pub fn flat(n: usize) -> Cores {
        Cores::new(n, n)
    }

    /// The cores that can compute in parallel: the physical cores, at most the usable ones.
    pub fn parallel(self) -> usize {
        self.physical.min(self.usable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(available: usize, logical: usize, physical: usize) -> Machine {
        Machine {
            cpu_model: "AMD EPYC 7B13 64-Core Processor".into(),
            logical_cpus: logical,
            online_cpus: Some(logical),
            physical_cpus: physical,
            available_parallelism: available,
            affinity_cpus: Some(available),
            cgroup_cpu_quota: None,
            os: "linux x86_64".into(),
            kernel: None,
            rustc: "rustc".into(),
            cvp_version: "0".into(),
            git_commit: None,
            profile: Some("release".into()),
            rayon_num_threads: Some("3".into()),
            tokio_worker_threads: None,
        }
    }

    #[test]
    fn quota_parsing() {
        assert_eq!(parse_cpu_max("max 100000"), None);
        assert_eq!(parse_cpu_max("150000 100000"), Some(1.5));
        assert_eq!(parse_cpu_max("-1 100000"), None);
    }

    #[test]
    fn slug_is_readable_and_names_the_cores() {
        assert_eq!(machine(2, 2, 2).slug(), "amd-epyc-7b13-64-2c");
    }

    #[test]
    fn notes_explain_disagreements() {
        let m = machine(1, 4, 2);
        let notes = m.notes().join("\n");
        assert!(notes.contains("affinity mask allows 1 of 4"), "{notes}");
        assert!(notes.contains("SMT"), "{notes}");
        assert!(notes.contains("RAYON_NUM_THREADS=3"), "{notes}");
        assert!(m.oversubscription_warning(&[1, 2, 4]).unwrap().contains("2, 4"));
        assert_eq!(m.oversubscription_warning(&[1]), None);
    }

    #[test]
    fn same_hardware_ignores_the_toolchain_but_not_the_cores() {
        let a = machine(2, 2, 2);
        let b = Machine { rustc: "other".into(), git_commit: Some("x".into()), ..a.clone() };
        assert_ne!(a.build(), b.build(), "another compiler and commit: another build");
        assert_ne!(
            a.build(),
            Machine { profile: Some("debug".into()), ..a.clone() }.build(),
            "another profile"
        );
        assert_eq!(profile(false, "3", ""), "release");
        assert_eq!(profile(true, "0", ""), "debug");
        assert_eq!(profile(false, "0", ""), "release (opt-level 0)", "an unoptimised release build");
        assert_eq!(profile(false, "3", "-C target-cpu=native"), "release (RUSTFLAGS -C target-cpu=native)");
        let o0 =
            Machine { profile: Some(profile(false, "0", "")), git_commit: Some("x".into()), ..a.clone() };
        let o3 = Machine { profile: Some(profile(false, "3", "")), ..o0.clone() };
        assert_eq!(o0.same_build(&o3), BuildMatch::Other, "the same commit at another opt-level");
        let elsewhere = Machine { cpu_model: "Another CPU".into(), logical_cpus: 64, ..a.clone() };
        assert_eq!(a.build(), elsewhere.build(), "the hardware is no part of the build");
        assert_eq!(a.same_build(&b), BuildMatch::Other, "another compiler and commit");
        let at = |c: &str| Machine { git_commit: Some(c.into()), ..a.clone() };
        assert_eq!(at("x").same_build(&at("x")), BuildMatch::Same);
        assert_eq!(at("x").same_build(&at("y")), BuildMatch::Other);
        assert_eq!(at("x").same_build(&at("x-dirty-1")), BuildMatch::Other);
        assert_eq!(a.same_build(&a.clone()), BuildMatch::Unchecked, "no commit on either side: cannot tell");
        assert_eq!(a.same_build(&at("x")), BuildMatch::Unchecked);
        assert_eq!(
            at("x").same_build(&Machine { profile: Some("debug".into()), ..at("x") }),
            BuildMatch::Other,
            "another profile"
        );
        assert!(a.same_hardware(&b));
        assert!(!a.same_hardware(&machine(1, 2, 2)), "taskset -c 0 is another machine for the results");
        assert!(!a.same_hardware(&Machine { cpu_model: "Other".into(), ..a.clone() }));
    }
}
