//! The rate sweep of `cvp server`: each structure runs as a child process (`cvp server --serve S --cpus
//! LIST`, its own process, pinned to the server's CPUs; its backend keeps the generator's), this process
//! loads it with the generator ([`super::load`]) step by step, and reads the child's `/proc` numbers at
//! each window's two edges: CPU time (its CPU clock), resident memory, threads, context switches.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::analysis::{self, Measured};
use super::load::{Generator, Step};
use super::{Plan, Query, StepRow, Structure};

/// One structure served by a child process for the lifetime of this value (its stdin closes on drop,
/// which stops it and its backend).
pub struct Served {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
}

impl Served {
    /// Starts `structure` on `cpus`, its backend for `wait_ms` first (on this process's CPUs), and reads
    /// where it listens.
    pub fn start(structure: Structure, cpus: &[usize], wait_ms: u64) -> std::io::Result<Served> {
        Served::start_exe(std::path::Path::new("/proc/self/exe"), structure, cpus, wait_ms)
    }

    /// [`Served::start`] with `exe` as `cvp` (a test is not `cvp`).
    pub fn start_exe(
        exe: &std::path::Path,
        structure: Structure,
        cpus: &[usize],
        wait_ms: u64,
    ) -> std::io::Result<Served> {
        Served::spawn(Command::new(exe).arg("server"), structure, cpus, wait_ms)
    }

    /// [`Served::start`] from an executable that is not `cvp` (the `server` bench): this executable again,
    /// its first argument [`super::CHILD_ARG`], which its `main` hands to the view's `serve_if_child` (in
    /// `cli.rs`); its backends are this executable too (its `main` calls `workload::net::serve_if_child`
    /// first). Copied alone into a kit, a bench still finds its server.
    pub fn start_child(structure: Structure, cpus: &[usize], wait_ms: u64) -> std::io::Result<Served> {
        let mut cmd = Command::new("/proc/self/exe");
        Served::spawn(cmd.arg(super::CHILD_ARG), structure, cpus, wait_ms)
    }

    /// Runs `cmd` (`cvp server`, or what stands for it) with `--serve structure` and the rest.
    fn spawn(
        cmd: &mut Command,
        structure: Structure,
        cpus: &[usize],
        wait_ms: u64,
    ) -> std::io::Result<Served> {
        let list: Vec<String> = cpus.iter().map(usize::to_string).collect();
        cmd.args(["--serve", &structure.to_string(), "--port", "0", "--wait-ms", &wait_ms.to_string()]);
        if !cpus.is_empty() {
            cmd.args(["--cpus", &list.join(",")]);
        }
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn()?;
        let stdin = child.stdin.take();
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        // The first line, or a clear error if the child says nothing for 10 s (it starts its backend first).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut first = String::new();
            let _ = out.read_line(&mut first);
            let _ = tx.send(first);
            // Keep reading (and dropping) what it prints, so it never blocks on a full pipe.
            let mut sink = String::new();
            while matches!(out.read_line(&mut sink), Ok(n) if n > 0) {
                sink.clear();
            }
        });
        let first = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
        // The child prints a second line and nothing after; the pipe may be dropped.
        let addr = first
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok());
        let mut served = Served { child, stdin, addr: SocketAddr::from(([127, 0, 0, 1], 0)) };
        match addr {
            Some(addr) => served.addr = addr,
            None => {
                return Err(std::io::Error::other(format!(
                    "the server for {structure} said {:?}, not where it listens",
                    first.trim_end()
                )));
            }
        }
        Ok(served)
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `/proc/<pid>` said at one instant.
#[derive(Clone, Debug, Default)]
pub struct ProcSample {
    /// CPU time of all its threads (user + system), s.
    pub cpu_s: f64,
    /// Resident memory, KiB.
    pub rss_kib: u64,
    /// Threads.
    pub threads: u64,
    /// Each thread's (id, voluntary, involuntary) switches.
    pub switches: Vec<(u64, u64, u64)>,
}

/// Reads process `pid`: its CPU clock for CPU time, `/proc/<pid>/status` for memory and threads, and each
/// task's `status` for its switches.
pub fn sample(pid: u32) -> ProcSample {
    // CPU from the process's CPU clock, in nanoseconds (stat's ticks are 10 ms).
    let mut s = ProcSample { cpu_s: cpu_s(pid), ..ProcSample::default() };
    let field = |text: &str, key: &str| -> Option<u64> {
        text.lines().find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok())
    };
    if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
        s.rss_kib = field(&status, "VmRSS:").unwrap_or(0);
        s.threads = field(&status, "Threads:").unwrap_or(0);
    }
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else { continue };
            let Ok(status) = std::fs::read_to_string(task.path().join("status")) else { continue };
            let v = field(&status, "voluntary_ctxt_switches:").unwrap_or(0);
            let i = field(&status, "nonvoluntary_ctxt_switches:").unwrap_or(0);
            s.switches.push((tid, v, i));
        }
    }
    s
}

/// Busy and total time of `cpus` so far, in clock ticks, from `/proc/stat` (every process on them).
pub fn cpu_ticks(cpus: &[usize]) -> (u64, u64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return (0, 0) };
    let mut out = (0, 0);
    for line in stat.lines() {
        let mut words = line.split_whitespace();
        let Some(cpu) =
            words.next().and_then(|w| w.strip_prefix("cpu")).and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        if !cpus.contains(&cpu) {
            continue;
        }
        let v: Vec<u64> = words.filter_map(|w| w.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal: idle and iowait are not busy; guest is in user.
        let total: u64 = v.iter().take(8).sum();
        let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
        out.0 += total - idle;
        out.1 += total;
    }
    out
}

/// The share of `(busy, total)` ticks between two readings that was busy, in CPUs (0 when none passed).
pub fn cpus_busy(a: (u64, u64), b: (u64, u64), cpus: usize) -> f64 {
    let total = b.1.saturating_sub(a.1);
    if total == 0 { 0.0 } else { b.0.saturating_sub(a.0) as f64 / total as f64 * cpus as f64 }
}

/// The switches between two samples: of the threads alive at both, the difference; of a thread born in
/// between, all of its own (a thread that ended inside the window takes its count with it).
pub fn switches_between(a: &ProcSample, b: &ProcSample) -> (u64, u64) {
    let mut out = (0, 0);
    for &(tid, v, i) in &b.switches {
        let (v0, i0) = a.switches.iter().find(|s| s.0 == tid).map_or((0, 0), |s| (s.1, s.2));
        out.0 += v.saturating_sub(v0);
        out.1 += i.saturating_sub(i0);
    }
    out
}

/// The CPU time of process `pid` so far (all its threads), s, from its CPU clock; 0 when unreadable.
pub fn cpu_s(pid: u32) -> f64 {
    let mut clock: libc::clockid_t = 0;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `clock` and `ts` are valid, writable values owned by this frame.
    unsafe {
        if libc::clock_getcpuclockid(pid as libc::pid_t, &mut clock) != 0
            || libc::clock_gettime(clock, &mut ts) != 0
        {
            return 0.0;
        }
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// The child processes of `pid` (the server's backends), from each of its threads' `children`.
pub fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
                out.extend(text.split_whitespace().filter_map(|w| w.parse::<u32>().ok()));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// How long the sweep waits at most for the server to go idle between steps.
const SETTLE_LIMIT: Duration = Duration::from_secs(20);

/// Waits until the server is idle (under 5% of a CPU over 50 ms): what a saturated step left queued (a
/// request on each of C connections) is finished before the next step starts. Returns whether it went
/// idle within [`SETTLE_LIMIT`].
pub fn settle(pid: u32) -> bool {
    let deadline = Instant::now() + SETTLE_LIMIT;
    let mut before = cpu_s(pid);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        let now = cpu_s(pid);
        if now - before < 0.05 * 0.05 {
            return true;
        }
        before = now;
    }
    false
}

/// A structure under test: its server process and the generator that loads it.
pub struct UnderTest {
    structure: Structure,
    served: Served,
    generator: Generator,
}

impl UnderTest {
    /// Starts `structure` on the plan's server CPUs and a generator of the plan's connections for it.
    pub fn start(structure: Structure, plan: &Plan) -> Result<UnderTest, String> {
        UnderTest::start_exe(std::path::Path::new("/proc/self/exe"), structure, plan)
    }

    /// [`UnderTest::start`] with `exe` as `cvp` (a test is not `cvp`).
    pub fn start_exe(exe: &std::path::Path, structure: Structure, plan: &Plan) -> Result<UnderTest, String> {
        let served = Served::start_exe(exe, structure, &plan.server_cpus, plan.wait_ms)
            .map_err(|e| format!("starting {structure}: {e}"))?;
        let query = Query { seed: 0, rounds: plan.rounds, wait_ms: plan.wait_ms };
        let threads = plan.generator_cpus.len().max(1);
        let generator =
            Generator::with_mix(served.addr(), plan.connections, threads, query, plan.heavy_rounds)
                .map_err(|e| format!("starting the generator: {e}"))?;
        Ok(UnderTest { structure, served, generator })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.served.pid()
    }

    /// One step at `rate`, once the server is idle: its row, and a note if it never went idle.
    pub fn step(&self, plan: &Plan, rate: f64) -> Result<(StepRow, Option<String>), String> {
        let (structure, pid) = (self.structure, self.served.pid());
        let note = (!settle(pid)).then(|| {
            format!("{structure}: still busy {SETTLE_LIMIT:?} after a step; the next started anyway")
        });
        let step = Step {
            rate,
            warmup: Duration::from_secs_f64(plan.warmup_s),
            // Long enough to count MIN_COUNTED requests at a low rate (one more: the window's edges round).
            window: Duration::from_secs_f64(plan.window_s.max((analysis::MIN_COUNTED + 1.0) / rate)),
            drain: Duration::from_secs_f64(2.0 * plan.p99_bound_ms / 1e3 + 0.25),
        };
        let backends = children(pid);
        let mut edges: [Option<ProcSample>; 2] = [None, None];
        let mut ticks = [(0, 0); 2];
        let mut backend_cpu = [0.0; 2];
        // The server accepts the step's connections before the clock starts (a thread per connection
        // starts a thread for each), then goes idle again: that work falls in no window.
        let load = self.generator.run_after(
            step,
            || {
                settle(pid);
            },
            |edge| {
                ticks[edge] = cpu_ticks(&plan.generator_cpus);
                backend_cpu[edge] = backends.iter().map(|&b| cpu_s(b)).sum();
                edges[edge] = Some(sample(pid));
            },
        )?;
        let [Some(a), Some(b)] = edges else { return Err("the window's edges were not sampled".into()) };
        let measured = Measured {
            offered: rate,
            load,
            backend_cpu_s: backend_cpu[1] - backend_cpu[0],
            server_cpu_s: b.cpu_s - a.cpu_s,
            rss_kib: b.rss_kib,
            threads: b.threads,
            switches: switches_between(&a, &b),
            generator_cpus_busy: cpus_busy(ticks[0], ticks[1], plan.generator_cpus.len()),
        };
        Ok((analysis::step_row(structure, plan, &measured), note))
    }
}

/// Sweeps one structure: starts it, offers the rates [`analysis::next_rate`] gives (each after the server
/// went idle), and returns its rows and any note. `progress` is called before each step with its label.
pub fn sweep_one(
    structure: Structure,
    plan: &Plan,
    mut progress: impl FnMut(&str),
) -> Result<(Vec<StepRow>, Vec<String>), String> {
    let under = UnderTest::start(structure, plan)?;
    let (mut rows, mut notes) = (Vec::new(), Vec::new());
    while let Some(rate) = analysis::next_rate(&rows, plan) {
        progress(&format!("{structure} at {rate:.0}/s"));
        let (row, note) = under.step(plan, rate)?;
        rows.push(row);
        notes.extend(note);
    }
    Ok((rows, notes))
}

/// Pairs of steps: `a` and `b` both started, then a step of each at `rate` in turn, which goes first
/// alternating (so a drift of the machine falls on both alike), until `pairs` pairs had both keep up or
/// half as many again were tried (a stall can spoil a step, as in the sweep, where such a step is offered
/// twice). Each pair is stored as `[a's row, b's row]`. `label` names the pairs in the progress line.
pub fn pairs(
    plan: &Plan,
    rate: f64,
    [a, b]: [Structure; 2],
    pairs: usize,
    label: &str,
    mut progress: impl FnMut(&str),
) -> Result<(Vec<[StepRow; 2]>, Vec<String>), String> {
    let one = UnderTest::start(a, plan)?;
    let other = UnderTest::start(b, plan)?;
    let (mut out, mut notes) = (Vec::new(), Vec::new());
    let kept = |p: &[StepRow; 2]| p.iter().all(|r| r.outcome == super::StepOutcome::KeptUp);
    for k in 0..pairs + pairs / 2 {
        if out.iter().filter(|p| kept(p)).count() >= pairs {
            break;
        }
        progress(&format!("{label} pair {} at {rate:.0}/s", k + 1));
        let order = if k % 2 == 0 { [&one, &other] } else { [&other, &one] };
        let (first, n1) = order[0].step(plan, rate)?;
        let (second, n2) = order[1].step(plan, rate)?;
        notes.extend(n1.into_iter().chain(n2));
        out.push(if k % 2 == 0 { [first, second] } else { [second, first] });
    }
    Ok((out, notes))
}

/// C7's steps of `structure`: started, then steps at `rate` (the plan's mix) until `steps` count for C7
/// ([`super::twins::c7_counts`]) or half as many again were tried. Every step is kept; a responsive
/// structure's step it did not keep up with counts (it is what the claim denies), `async/1`'s does not.
pub fn mix(
    plan: &Plan,
    rate: f64,
    structure: Structure,
    steps: usize,
    mut progress: impl FnMut(&str),
) -> Result<(Vec<StepRow>, Vec<String>), String> {
    let under = UnderTest::start(structure, plan)?;
    let (mut out, mut notes) = (Vec::<StepRow>::new(), Vec::new());
    for k in 0..steps + steps / 2 {
        if out.iter().filter(|r| super::twins::c7_counts(r)).count() >= steps {
            break;
        }
        progress(&format!("C7 mix: {structure} step {} at {rate:.0}/s", k + 1));
        let (row, note) = under.step(plan, rate)?;
        out.push(row);
        notes.extend(note);
    }
    Ok((out, notes))
}
