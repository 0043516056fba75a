//! One (structure, J) of `cvp scale` in a process of its own: the child that measures itself
//! ([`child`], run by the hidden `cvp scale-child`), and the parent's side that starts it ([`run_child`]).
//!
//! The child builds its runtime or pool (for sockets, first grows its descriptor table for all J
//! connections, as a warmed-up process has it), runs one job untimed (the warm-up, digest checked), starts a
//! sampling thread, notes its resident memory (the idle baseline), resets the kernel's peak-RSS mark, and
//! only then runs the J jobs. The sampler's own CPU time and context switches over the same window are read
//! from outside it (its thread CPU clock, `/proc/self/task/<tid>/status`) and taken out of the process's.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Structure;
use crate::measure::{self, Switches};
use crate::strategy::RunError;
use crate::workload::net::Target;
use crate::workload::{Digest, Workload, WorkloadKind};

/// How often the child's sampler reads `/proc/self/status`.
const SAMPLE_EVERY: Duration = Duration::from_millis(1);

/// What one child process measured (its one JSON line).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildReport {
    /// Wall time of the J jobs.
    pub wall_s: f64,
    /// CPU time of the child over the jobs, the sampler's own over the same window taken out.
    pub cpu_s: f64,
    /// Resident memory after the warm-up, before the jobs (bytes).
    pub baseline_rss_bytes: u64,
    /// Peak resident memory (`VmHWM`; reset at the baseline when `peak_reset`).
    pub peak_rss_bytes: u64,
    /// Whether the kernel's peak mark was reset at the baseline; if not, the peak counts from start-up.
    pub peak_reset: bool,
    /// The most page-table memory the sampler saw (bytes).
    pub vm_pte_bytes: u64,
    /// Threads before the jobs (main, runtime or pool; the sampler not counted).
    pub baseline_threads: u64,
    /// The most threads the sampler saw while the jobs ran (itself not counted).
    pub peak_threads: u64,
    /// Voluntary context switches over the jobs, the sampler's own taken out.
    pub voluntary_switches: u64,
    /// Involuntary context switches over the jobs, the sampler's own taken out.
    pub involuntary_switches: u64,
    /// `--io socket`: the service's CPU time over this child's run, filled in by the parent (the child
    /// cannot see the service's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cpu_s: Option<f64>,
    /// `--io socket`: the size of the child's descriptor table before the jobs, grown for all J of them
    /// ([`crate::workload::net::reserve_descriptors`]); `None` where it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptors: Option<u64>,
    /// `ok`, `failed at k: <OS error>` (thread k was refused; the started ones were joined), or another
    /// `failed: ...`.
    pub status: String,
}

/// One structure, built and ready to run a workload.
type Runner = Box<dyn Fn(&Workload) -> Result<Digest, RunError>>;

/// Runs J io_bound jobs on `structure` and measures them, or with `server` J net_bound jobs (each a
/// request to that service, which replies after `wait_ms`). Called by the hidden `cvp scale-child`
/// subcommand, in a process that does nothing else.
pub fn child(structure: Structure, jobs: usize, wait_ms: u64, server: Option<Target>) -> ChildReport {
    die_with_parent();
    let wait = Duration::from_millis(wait_ms);
    let failed = |status: String| ChildReport { status, ..ChildReport::default() };
    let mut descriptors = None;
    if server.is_some() {
        // A descriptor per connection: the soft limit up to the hard one, as the parent checked; and the
        // table grown now, untimed, for all J of them, as a warmed-up process has it (`cvp run`).
        crate::workload::net::raise_fd_limit();
        descriptors = crate::workload::net::reserve_descriptors(jobs);
    }
    let kind = if server.is_some() { WorkloadKind::NetBound } else { WorkloadKind::IoBound };
    let workload_of = |jobs: usize| Workload { server, ..Workload::new(kind, jobs, wait, 0) };
    let runner: Runner = match structure {
        Structure::Reference if let Some(target) = server => {
            match tokio::runtime::Builder::new_current_thread().enable_io().build() {
                Ok(rt) => Box::new(move |w: &Workload| {
                    reference_socket(&rt, w, target)
                        .map_err(|why| RunError::Job { strategy: REFERENCE_AS, why })
                }),
                Err(e) => return failed(format!("failed to build the runtime: {e}")),
            }
        }
        Structure::Reference => match tokio::runtime::Builder::new_current_thread().enable_time().build() {
            Ok(rt) => Box::new(move |w: &Workload| Ok(reference(&rt, w))),
            Err(e) => return failed(format!("failed to build the runtime: {e}")),
        },
        Structure::Of(s, n) => match s.build(n) {
            Ok(strategy) => Box::new(move |w: &Workload| strategy.run(w)),
            Err(e) => return failed(format!("failed to build {s} with {n} workers: {e}")),
        },
    };
    let warm = workload_of(1);
    match runner(&warm) {
        Ok(d) if d == warm.expected_digest() => {}
        Ok(_) => return failed("failed: wrong digest in the warm-up".into()),
        Err(e) => return failed(format!("failed in the warm-up: {e}")),
    }
    let workload = workload_of(jobs);
    let expected = workload.expected_digest();
    let sampler = match Sampler::start() {
        Ok(s) => s,
        Err(e) => return failed(format!("failed: cannot start the sampling thread: {e}")),
    };
    let Some(baseline) = Status::read() else {
        return failed("failed: cannot read /proc/self/status".into());
    };
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    // The sampler's window lies inside the process's (its readings are taken after the process's at the
    // start and before them at the end), so what is taken out is never more than the sampler cost.
    let switches0 = measure::process_switches();
    let cpu0 = measure::process_cpu_time();
    let sampler0 = sampler.cost();
    let t0 = Instant::now();
    let got = runner(&workload);
    let wall = t0.elapsed();
    let sampler1 = sampler.cost();
    let cpu = measure::process_cpu_time().saturating_sub(cpu0);
    let switches = measure::process_switches().since(switches0);
    let peaks = sampler.stop();
    let end = Status::read().unwrap_or_default();
    let status = match got {
        Ok(d) if d == expected => "ok".to_string(),
        Ok(d) => format!("failed: wrong digest {d}, expected {expected}"),
        Err(RunError::Spawn { index, cause, .. }) => format!("failed at {index}: {cause}"),
        Err(e) => format!("failed: {e}"),
    };
    let own_switches = sampler1.switches.since(sampler0.switches);
    ChildReport {
        wall_s: wall.as_secs_f64(),
        cpu_s: cpu.saturating_sub(sampler1.cpu.saturating_sub(sampler0.cpu)).as_secs_f64(),
        baseline_rss_bytes: baseline.rss,
        peak_rss_bytes: end.hwm.max(baseline.rss),
        peak_reset,
        vm_pte_bytes: peaks.pte.max(end.pte),
        baseline_threads: baseline.threads.saturating_sub(1),
        peak_threads: peaks.threads.saturating_sub(1),
        voluntary_switches: switches.voluntary.saturating_sub(own_switches.voluntary),
        involuntary_switches: switches.involuntary.saturating_sub(own_switches.involuntary),
        server_cpu_s: None,
        descriptors,
        status,
    }
}

/// The cheapest program that keeps J waits in flight: spawn one sleep per job on a current-thread runtime,
/// await them all, XOR the seeds' digests.
fn reference(rt: &tokio::runtime::Runtime, workload: &Workload) -> Digest {
    rt.block_on(async {
        let tasks: Vec<_> = workload
            .jobs()
            .map(|job| {
                tokio::spawn(async move {
                    tokio::time::sleep(job.wait).await;
                    job.seed
                })
            })
            .collect();
        let mut digest = Digest::default();
        for t in tasks {
            // A sleep cannot panic and nothing aborts these tasks; a lost one shows as a wrong digest.
            if let Ok(seed) = t.await {
                digest ^= crate::workload::chain(seed, 0);
            }
        }
        digest
    })
}

/// What a failed socket reference names as its strategy in [`RunError::Job`] (the message goes on to say
/// it was the reference: "a job failed: reference: ...").
const REFERENCE_AS: crate::StrategyKind = crate::StrategyKind::Async;

/// The smallest connect-per-request client: one task per request on a current-thread runtime, each
/// connecting, sending the 8-byte seed, reading the 32-byte reply and checking it against the seed's
/// SHA-256, then closing with a reset as every `net_bound` request does (no TIME_WAIT holding a port);
/// no timeout, no probe, no strategy. A lost request shows as an error, a hung one as the parent's timeout.
fn reference_socket(
    rt: &tokio::runtime::Runtime,
    workload: &Workload,
    target: Target,
) -> Result<Digest, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    rt.block_on(async {
        let tasks: Vec<_> = workload
            .jobs()
            .map(|job| {
                tokio::spawn(async move {
                    let addr = target.addr(job.seed);
                    let fail = |e: std::io::Error| format!("reference: job {} at {addr}: {e}", job.seed);
                    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(fail)?;
                    stream.write_all(&job.seed.to_le_bytes()).await.map_err(fail)?;
                    let mut reply = [0u8; 32];
                    stream.read_exact(&mut reply).await.map_err(fail)?;
                    stream.set_zero_linger().map_err(fail)?;
                    let (reply, own) = (Digest(reply), crate::workload::net::expected_reply(job.seed));
                    if reply == own {
                        Ok(reply)
                    } else {
                        Err(format!("reference: job {} at {addr}: got {reply}, expected {own}", job.seed))
                    }
                })
            })
            .collect();
        let mut digest = Digest::default();
        for t in tasks {
            digest ^= t.await.map_err(|e| format!("reference: a task ended: {e}"))??;
        }
        Ok(digest)
    })
}

/// Linux: the child is killed when the thread that started it ends, so no child outlives `cvp scale`
/// (Ctrl-C included). Elsewhere nothing is armed.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and has no memory effects; getppid and _exit
    // have no preconditions.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() == 1 {
            libc::_exit(1);
        }
    }
}

/// The fields of `/proc/self/status` (or a thread's) the child reads, in bytes and counts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Status {
    pub rss: u64,
    pub hwm: u64,
    pub pte: u64,
    pub threads: u64,
    pub switches: Switches,
}

impl Status {
    fn read() -> Option<Status> {
        Status::read_from("/proc/self/status")
    }

    fn read_from(path: &str) -> Option<Status> {
        std::fs::read_to_string(path).ok().map(|text| Status::parse(&text))
    }

    pub(super) fn parse(text: &str) -> Status {
        let mut s = Status::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else { continue };
            let bytes = || crate::machine::limits::kib(value).map_or(0, |k| k * 1024);
            let count = || value.trim().parse().unwrap_or(0);
            match key {
                "VmRSS" => s.rss = bytes(),
                "VmHWM" => s.hwm = bytes(),
                "VmPTE" => s.pte = bytes(),
                "Threads" => s.threads = count(),
                "voluntary_ctxt_switches" => s.switches.voluntary = count(),
                "nonvoluntary_ctxt_switches" => s.switches.involuntary = count(),
                _ => {}
            }
        }
        s
    }
}

/// The peaks a [`Sampler`] saw.
#[derive(Clone, Copy, Debug, Default)]
struct Peaks {
    pte: u64,
    threads: u64,
}

/// What the sampler has cost so far: its thread's CPU time and context switches.
#[derive(Clone, Copy, Debug, Default)]
struct Cost {
    cpu: Duration,
    switches: Switches,
}

/// A thread that reads `/proc/self/status` every [`SAMPLE_EVERY`] and keeps the peaks.
struct Sampler {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<Peaks>>,
    /// The sampler's kernel thread id, for its `/proc/self/task/<tid>/status`.
    tid: i64,
    /// Its CPU-time clock.
    clock: Option<libc::clockid_t>,
}

impl Sampler {
    fn start() -> std::io::Result<Sampler> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new().name("cvp-sampler".into()).spawn(move || {
            // SAFETY: gettid has no preconditions.
            let _ = tx.send(i64::from(unsafe { libc::gettid() }));
            let mut peaks = Peaks::default();
            loop {
                if let Some(s) = Status::read() {
                    peaks.pte = peaks.pte.max(s.pte);
                    peaks.threads = peaks.threads.max(s.threads);
                }
                if flag.load(Ordering::Acquire) {
                    return peaks;
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        })?;
        let tid = rx.recv().map_err(|_| std::io::Error::other("the sampler ended at once"))?;
        let clock = {
            use std::os::unix::thread::JoinHandleExt;
            let mut clock: libc::clockid_t = 0;
            // SAFETY: the thread is alive (its handle is held and it loops until told to stop), and `clock` is
            // a valid place for the id.
            (unsafe { libc::pthread_getcpuclockid(handle.as_pthread_t(), &mut clock) } == 0).then_some(clock)
        };
        // A few samples before the baseline, so its own start-up is behind it.
        std::thread::sleep(5 * SAMPLE_EVERY);
        Ok(Sampler { stop, handle: Some(handle), tid, clock })
    }

    /// The sampler's CPU time and switches so far, read from outside it.
    fn cost(&self) -> Cost {
        let cpu = self.clock.map_or(Duration::ZERO, |clock| {
            let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: `ts` is a valid, writable timespec; the clock belongs to a live thread.
            if unsafe { libc::clock_gettime(clock, &mut ts) } == 0 {
                Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
            } else {
                Duration::ZERO
            }
        });
        let switches = Status::read_from(&format!("/proc/self/task/{}/status", self.tid))
            .map_or(Switches::default(), |s| s.switches);
        Cost { cpu, switches }
    }

    fn stop(mut self) -> Peaks {
        self.stop.store(true, Ordering::Release);
        self.handle.take().and_then(|h| h.join().ok()).unwrap_or_default()
    }
}

/// The executable to run as the child: this very binary (`/proc/self/exe` on Linux, which stays valid even
/// if the file on disk is rebuilt or removed meanwhile).
fn this_exe() -> std::io::Result<std::path::PathBuf> {
    if cfg!(target_os = "linux") && Path::new("/proc/self/exe").exists() {
        Ok("/proc/self/exe".into())
    } else {
        std::env::current_exe()
    }
}

/// Starts `cvp scale-child` for one (structure, J) and reads its report. A child that dies, hangs past
/// `timeout` or prints nothing readable gives a `failed: ...` report, never an error of `cvp scale` itself.
/// The child's output is drained while it runs, and the parent sleeps in `wait` meanwhile.
/// With `server`, the child runs net_bound requests to it (`--server`, `--spread`).
pub fn run_child(
    structure: Structure,
    jobs: usize,
    wait_ms: u64,
    server: Option<Target>,
    timeout: Duration,
) -> ChildReport {
    let failed = |status: String| ChildReport { status, ..ChildReport::default() };
    let (strategy, workers) = match structure {
        Structure::Reference => ("reference".to_string(), 1),
        Structure::Of(s, n) => (s.to_string(), n),
    };
    let exe = match this_exe() {
        Ok(exe) => exe,
        Err(e) => return failed(format!("failed: cannot find this executable: {e}")),
    };
    let mut command = Command::new(&exe);
    command.args(["scale-child", "--strategy", &strategy, "--workers", &workers.to_string()]).args([
        "--jobs",
        &jobs.to_string(),
        "--wait-ms",
        &wait_ms.to_string(),
    ]);
    if let Some(t) = server {
        command.args(["--server", &format!("{}:{}", t.base, t.port), "--spread", &t.spread.to_string()]);
    }
    let spawned = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return failed(format!("failed: cannot start {}: {e}", exe.display())),
    };
    // Small helper threads with an explicit stack: they must start even where the default stack size
    // (RUST_MIN_STACK) or the address space is tight.
    let helper = |name: &str| std::thread::Builder::new().name(name.into()).stack_size(64 * 1024);
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        helper("cvp-scale-pipe").spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let pid = child.id();
    let kill = || {
        // SAFETY: `pid` is our child, not yet reaped (nobody has waited for it yet).
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    };
    let (out, err) = match (
        drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>)),
        drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>)),
    ) {
        (Ok(out), Ok(err)) => (out, err),
        (Err(e), _) | (_, Err(e)) => {
            kill();
            let _ = child.wait();
            return failed(format!("failed: cannot start a thread to read the child's output: {e}"));
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = match helper("cvp-scale-wait").spawn(move || {
        let _ = tx.send(child.wait());
    }) {
        Ok(w) => w,
        Err(e) => {
            kill();
            return failed(format!("failed: cannot start a thread to wait for the child: {e}"));
        }
    };
    let exit = match rx.recv_timeout(timeout) {
        Ok(Ok(status)) => Ok(status),
        Ok(Err(e)) => Err(format!("failed: waiting for the child: {e}")),
        Err(_) => {
            kill();
            Err(format!("failed: no result after {:.0} s (killed)", timeout.as_secs_f64()))
        }
    };
    let _ = waiter.join();
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    let exit = match exit {
        Ok(status) => status,
        Err(why) => return failed(why),
    };
    match serde_json::from_str::<ChildReport>(out.trim()) {
        Ok(report) if exit.success() => report,
        _ => {
            let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
            failed(format!("failed: the child ended with {exit}: {last}"))
        }
    }
}

/// How long a child may take before it is killed: its predicted time, plenty of slack, and thread creation
/// at a pessimistic 1 ms per thread.
pub fn timeout(structure: Structure, jobs: usize, wait_ms: u64) -> Duration {
    let waits = if structure.pool_bound() { jobs / structure.workers(jobs).max(1) } else { 1 };
    Duration::from_millis(30_000 + waits as u64 * wait_ms * 2 + structure.threads(jobs) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_bytes_and_counts() {
        let s = Status::parse(
            "Name:\tcvp\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nVmPTE:\t      48 kB\nThreads:\t7\n\
             voluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n",
        );
        assert_eq!((s.rss, s.hwm, s.pte, s.threads), (1 << 20, 2 << 20, 48 * 1024, 7));
        assert_eq!(s.switches, Switches { voluntary: 12, involuntary: 3 });
    }

    #[test]
    fn the_sampler_cost_is_read_from_outside_and_grows() {
        let sampler = Sampler::start().unwrap();
        let a = sampler.cost();
        std::thread::sleep(Duration::from_millis(30));
        let b = sampler.cost();
        sampler.stop();
        // It sleeps a millisecond between samples: each sleep is a voluntary switch of its own thread.
        assert!(b.switches.voluntary >= a.switches.voluntary + 5, "{a:?} {b:?}");
        assert!(b.cpu >= a.cpu, "{a:?} {b:?}");
    }
}
