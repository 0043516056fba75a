//! The verdicts on the article's claims C1..C6, computed from measurements only: each from its own
//! measurement, with the thresholds and the toolkit of [`crate::claims`], on the points of
//! [`crate::scaling`]. Nothing here measures; nothing here is hard-coded to a verdict.

use crate::claims::{
    BOUNDARY, C4_NOT_FASTER, CAP, CLAIMS, Check, FOLLOWS, IDLE_CORES, Judged, MANY_IN_FLIGHT,
    MIN_SAMPLES_FOR_CI, NET_LABEL, NO_FASTER, ONE_WAIT, PAST_CORES, Range, Test, Verdict, above, at_least,
    at_most, cannot, plain,
};
use crate::machine::Cores;
use crate::scaling::{Point, find, sequential_wall, speedup_range};
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

fn ms(s: f64) -> String {
    format!("{:.2} ms", s * 1e3)
}

fn x1(v: f64) -> String {
    format!("{v:.1}")
}

fn x2(v: f64) -> String {
    format!("{v:.2}")
}

/// Cores busy, as the evidence shows them.
fn x3(v: f64) -> String {
    format!("{v:.3}")
}

/// The verdicts on C1..C6 from `points` (with their one-wait floors attached), on a machine with `cores`.
/// Each claim is judged from its own measurement, so each can fail on its own; a threshold that falls
/// inside a measurement's interval makes the claim "cannot be shown here", never a coin toss.
///
/// When `points` has `net_bound`, C1, C3 and C4 are judged on it too, by the same criteria, each right
/// after its io_bound verdict with the same claim id and "(net_bound: loopback TCP)" in its statement.
/// Where a workload's loop is busy, C4's boundary line ([`boundary`]) follows that workload's C4 verdict:
/// claim id `C4`, its statement beginning with [`BOUNDARY`], never counted as C4's verdict.
///
/// Each point's cores busy is from the same run as its wall (`cvp run`); for criterion's walls with a run
/// file's cores busy, see [`report_verdicts`].
pub fn verdicts(points: &[Point], cores: Cores) -> Vec<Verdict> {
    judge_all(points, cores, true)
}

/// [`verdicts`] for criterion's walls with the cores busy of a `cvp run` file: two different runs, so no
/// check pairs one's speedup with the other's cores busy (C5's impossible value, a speedup beyond the cores
/// busy, is checked on the run's own verdicts).
pub fn report_verdicts(points: &[Point], cores: Cores) -> Vec<Verdict> {
    judge_all(points, cores, false)
}

/// The verdicts; `same_run`: each point's wall and cores busy come from one run.
fn judge_all(points: &[Point], cores: Cores, same_run: bool) -> Vec<Verdict> {
    let io = WorkloadKind::IoBound;
    let judged = [
        c1(points, io),
        c2(points, cores),
        c3(points, io),
        c4(points, io, cores),
        c5(points, cores, same_run),
        c6(points),
    ];
    let net = WorkloadKind::NetBound;
    let has_net = points.iter().any(|p| p.workload == net);
    let mut out = Vec::new();
    // C4's boundary line on `workload`, right after its C4 verdict, when the loop there is busy.
    let boundary_line = |out: &mut Vec<Verdict>, workload: WorkloadKind, label: &str| {
        if let Some(line) = boundary(points, workload, cores) {
            let statement = format!("{BOUNDARY}more workers speed up a busy event loop{label}");
            out.push(Verdict { statement, ..crate::claims::claim("C4").verdict(line) });
        }
    };
    for (c, judged) in CLAIMS[..6].iter().zip(judged) {
        out.push(c.verdict(judged));
        if c.id == "C4" {
            boundary_line(&mut out, io, "");
        }
        let on_net = match c.id {
            "C1" => c1(points, net),
            "C3" => c3(points, net),
            "C4" => c4(points, net, cores),
            _ => continue,
        };
        if has_net {
            out.push(Verdict { statement: format!("{} ({NET_LABEL})", c.statement), ..c.verdict(on_net) });
            if c.id == "C4" {
                boundary_line(&mut out, net, &format!(" ({NET_LABEL})"));
            }
        }
    }
    out
}

/// [`crate::claims::judge`], but a value without an interval says why here: `cvp run`'s intervals are the
/// 95% intervals of medians ([`crate::claims::median_ci`]), which need at least 6 rounds (criterion's always
/// have one).
fn judge(checks: &[Check], evidence: String) -> Judged {
    if checks.iter().any(|c| c.0 == Test::NoInterval) {
        return cannot(format!(
            "no 95% interval to test against (a median's needs at least {MIN_SAMPLES_FOR_CI} rounds: a row with \
             fewer has none, and neither has a run file from before `cvp run` kept them; measure again with \
             --repeat {MIN_SAMPLES_FOR_CI} or more); {evidence}"
        ))
        .with_headline(crate::claims::headline(checks));
    }
    crate::claims::judge(checks, evidence)
}

/// The checks every claim on io_bound (or net_bound) needs first: at least 2 jobs, the measured one-wait
/// floor of that workload on the point's own runtime, and a possible measurement. Each of the J jobs waits
/// at least one wait, so a wall shorter than one wait alone on the same runtime, beyond both 95% intervals
/// (that is, more jobs in flight than there are jobs), is impossible: a failed measurement, named as such,
/// never evidence.
fn io_ready(p: &Point) -> Result<Range, Judged> {
    if p.jobs < 2 {
        return Err(cannot(format!("{} has {} job: overlapping waits needs at least 2", p.workload, p.jobs)));
    }
    let what = if p.workload.is_net() { "request" } else { "wait" };
    let runtime = match (p.strategy.wait_kind(), p.floor_workers()) {
        (crate::workload::WaitKind::Async, 1) => " on tokio's current-thread runtime".to_string(),
        (crate::workload::WaitKind::Async, n) => format!(" on the multi-thread runtime of {n} workers"),
        _ => String::new(),
    };
    let floor = p.floor().ok_or_else(|| {
        cannot(format!(
            "needs one {} {what} of {} measured alone{runtime}, the runtime of {}/{}/{} (`cvp run` measures it, \
             and criterion's benchmark `{}`)",
            p.strategy.wait_kind(),
            p.workload,
            p.workload,
            p.strategy,
            p.workers,
            crate::report::one_wait_id(
                p.workload,
                p.strategy.wait_kind(),
                (p.wait_s * 1e3).round() as u64,
                p.floor_workers()
            )
        ))
    })?;
    let wall = p.wall();
    if wall.known && floor.known && wall.hi < floor.lo {
        let flight = (floor / wall).scale(p.jobs as f64);
        return Err(cannot(format!(
            "impossible value, a failed measurement: {}/{}/{} ran {} jobs in {}, shorter than one {what} alone \
             on the same runtime ({}) beyond both 95% intervals, i.e. {} of {} jobs in flight; every job waits \
             at least one {what}, so the clock or the floor failed here; measure again",
            p.workload,
            p.strategy,
            p.workers,
            p.jobs,
            wall.show(ms),
            floor.show(ms),
            flight.show(x1),
            p.jobs
        )));
    }
    Ok(floor)
}

/// C1 on `io` (io_bound, or net_bound): async on one worker overlaps all the waits.
fn c1(points: &[Point], io: WorkloadKind) -> Judged {
    let Some(p) = find(points, io, StrategyKind::Async, 1) else {
        return cannot(format!("needs {io}/async/1"));
    };
    let floor = match io_ready(p) {
        Ok(f) => f,
        Err(j) => return j,
    };
    let waits = p.wall() / floor;
    let (what, one) = (waits_of(io), wait_of(io));
    let says = format!("{} {what} in {} x one {one} alone (<= {ONE_WAIT})", p.jobs, waits.show(x2));
    judge(
        &[(at_most(waits, ONE_WAIT), says)],
        format!(
            "{io} async on 1 worker ran {} {} in {} = {} x one {} measured alone on the same runtime \
             ({}; nominal {}) (criterion: <= {ONE_WAIT})",
            p.jobs,
            waits_of(io),
            ms(p.wall_s),
            waits.show(x2),
            wait_of(io),
            ms(floor.mid),
            ms(p.wait_s)
        ),
    )
}

/// What one job's wait is called in the evidence: a request for `net_bound`, a wait otherwise.
fn wait_of(workload: WorkloadKind) -> &'static str {
    if workload.is_net() { "request" } else { "wait" }
}

/// [`wait_of`], plural.
fn waits_of(workload: WorkloadKind) -> &'static str {
    if workload.is_net() { "requests" } else { "waits" }
}

/// The best of `threads` and `rayon` at `n` workers on `workload`, with its interval.
fn best_parallel(points: &[Point], workload: WorkloadKind, n: usize) -> Option<(StrategyKind, Range)> {
    [StrategyKind::Threads, StrategyKind::Rayon]
        .into_iter()
        .filter_map(|s| find(points, workload, s, n).and_then(|p| speedup_range(points, p)).map(|x| (s, x)))
        .max_by(|a, b| a.1.mid.total_cmp(&b.1.mid))
}

fn worker_counts(points: &[Point], workload: WorkloadKind, strategies: &[StrategyKind]) -> Vec<usize> {
    let mut ns: Vec<usize> = points
        .iter()
        .filter(|p| p.workload == workload && strategies.contains(&p.strategy))
        .map(|p| p.workers)
        .collect();
    ns.sort_unstable();
    ns.dedup();
    ns
}

/// C2: the speedup follows the physical cores up to their count, and stops at the usable cores. Counts
/// between the physical and the logical cores (SMT siblings) are shown but not judged.
fn c2(points: &[Point], cores: Cores) -> Judged {
    let (phys, usable) = (cores.parallel(), cores.usable);
    if phys < 2 {
        return cannot(format!(
            "only {phys} core that can compute in parallel ({usable} usable): parallel speedup needs at least 2"
        ));
    }
    let cpu = WorkloadKind::CpuBound;
    let ns = worker_counts(points, cpu, &[StrategyKind::Threads, StrategyKind::Rayon]);
    let within: Vec<usize> = ns.iter().copied().filter(|&n| (2..=phys).contains(&n)).collect();
    let beyond: Vec<usize> = ns.iter().copied().filter(|&n| n > usable).collect();
    if within.is_empty() || beyond.is_empty() || sequential_wall(points, cpu).is_none() {
        let up_to = if phys == 2 { "2 workers".to_string() } else { format!("2 to {phys} workers") };
        return cannot(format!(
            "needs cpu_bound sequential, and threads or rayon at {up_to} and at more than {usable}"
        ));
    }
    // The headline's order: the speedup at the most workers within the cores, at the fewest beyond them, the rest.
    let (mut follows, mut caps): (Vec<Check>, Vec<Check>) = (Vec::new(), Vec::new());
    let mut parts = Vec::new();
    for &n in ns.iter().filter(|&&n| n >= 2) {
        let Some((s, x)) = best_parallel(points, cpu, n) else { continue };
        let says = |cmp: &str, t: f64| format!("speedup {}x at N={n} ({cmp} {})", x.show(x2), plain(t));
        if (2..=phys).contains(&n) {
            follows.insert(0, (at_least(x, FOLLOWS * n as f64), says(">=", FOLLOWS * n as f64)));
        } else if n > usable {
            caps.push((at_most(x, CAP * usable as f64), says("<=", CAP * usable as f64)));
        } else {
            // Above the physical cores, within the usable ones: SMT siblings.
            parts.push(format!("N={n} {}x ({s}, SMT: not judged)", x.show(x2)));
            continue;
        }
        parts.push(format!("N={n} {}x ({s})", x.show(x2)));
    }
    let smt = if phys < usable { format!(" ({phys} physical)") } else { String::new() };
    let mut rest = follows.split_off(follows.len().min(1));
    rest.extend(caps.split_off(caps.len().min(1)));
    let checks: Vec<Check> = follows.into_iter().chain(caps).chain(rest).collect();
    judge(
        &checks,
        format!(
            "cpu_bound best speedup: {}; criterion: >= {FOLLOWS} x workers up to {phys} cores{smt}, <= {CAP} x \
             {usable} beyond {usable}",
            parts.join(", ")
        ),
    )
}

/// C3 looks at async with the most workers measured: the structure is concurrent, and even with workers
/// to spare it keeps almost no core busy. (C1 looks at 1 worker; the two fail separately when async ran at
/// more than one worker count.)
fn c3(points: &[Point], io: WorkloadKind) -> Judged {
    let Some(p) = points
        .iter()
        .filter(|p| p.workload == io && p.strategy == StrategyKind::Async && p.cores_busy.is_some())
        .max_by_key(|p| p.workers)
    else {
        return cannot(format!(
            "needs {io} async with CPU time, which criterion does not record (pass a `cvp run` JSON)"
        ));
    };
    let busy = p.cores_busy.unwrap_or_default();
    let floor = match io_ready(p) {
        Ok(f) => f,
        Err(j) => return j,
    };
    let flight = (floor / p.wall()).scale(p.jobs as f64);
    let (many, busy_range) = (MANY_IN_FLIGHT * p.jobs as f64, Range::of(busy, p.cores_busy_range));
    let in_flight = format!("{} of {} jobs in flight (>= {})", flight.show(x1), p.jobs, plain(many));
    let idle = format!("{busy:.3} cores busy (<= {IDLE_CORES})");
    judge(
        &[(at_least(flight, many), in_flight), (at_most(busy_range, IDLE_CORES), idle)],
        format!(
            "{io} async on {} worker(s): {} of {} jobs in flight (measured wait), {busy:.3} cores busy \
             (criterion: >= {MANY_IN_FLIGHT} x jobs in flight, <= {IDLE_CORES} cores busy)",
            p.workers,
            flight.show(x1),
            p.jobs
        ),
    )
}

/// Microseconds, for CPU time per job.
fn us(s: f64) -> String {
    format!("{:.1} µs", s * 1e6)
}

/// `async` at 2 workers or more on `io`, by worker count: what C4 compares with its baseline.
fn async_above_one(points: &[Point], io: WorkloadKind) -> Vec<&Point> {
    let mut more: Vec<&Point> = points
        .iter()
        .filter(|p| p.workload == io && p.strategy == StrategyKind::Async && p.workers >= 2)
        .collect();
    more.sort_by_key(|p| p.workers);
    more
}

/// What C4 (and its boundary line) name their baseline.
const BASELINE: &str = "async_multi/1 (tokio's multi-thread runtime with one worker)";

/// C4's baseline on `io`, `async_multi/1`, with its cores busy; or why C4 cannot use it.
fn baseline(points: &[Point], io: WorkloadKind) -> Result<(&Point, Range), Judged> {
    let Some(base) = find(points, io, StrategyKind::AsyncMulti, 1) else {
        return Err(cannot(format!(
            "needs {io}/async_multi/1, tokio's multi-thread runtime with one worker: the baseline C4 compares more \
             workers against on the same scheduler (`cvp run` runs it beside async; criterion's benchmark \
             `{io}/async_multi/1`)"
        )));
    };
    if base.jobs < 2 {
        return Err(cannot(format!("{io} has {} job: overlapping waits needs at least 2", base.jobs)));
    }
    let Some(busy) = base.cores_busy else {
        return Err(cannot(format!(
            "needs the CPU time and context switches of {io} async_multi/1 and async, which criterion does not \
             record (pass a `cvp run` JSON with --run)"
        )));
    };
    Ok((base, Range::of(busy, base.cores_busy_range)))
}

/// `async/1` on tokio's current-thread runtime, shown beside C4 for context (never tested): wall, CPU time and
/// context switches per job.
fn current_thread_context(points: &[Point], io: WorkloadKind) -> String {
    let Some(p) = find(points, io, StrategyKind::Async, 1) else { return String::new() };
    let mut parts = vec![format!("wall {}", p.wall().show(ms))];
    parts.extend(p.cpu_per_job().map(|c| format!("CPU {}/job", c.show(us))));
    parts.extend(p.switches_per_job().map(|c| format!("{} switches/job", c.show(x2))));
    format!(
        "; context, not tested: async/1 on the current_thread runtime (one event loop) {}",
        parts.join(", ")
    )
}

/// C4 where the loop is mostly waiting (the article's condition: `async_multi/1` keeps at most [`IDLE_CORES`]
/// busy): more workers are not faster (`async_multi/1` wall / `async/N` wall <= [`C4_NOT_FASTER`] at every
/// N >= 2) and they add overhead (at the smallest N at or above the cores, CPU time and context switches per
/// job above the baseline's, beyond both intervals). The baseline is the multi-thread runtime with one worker,
/// the scheduler `async/N` uses, so C4 measures workers rather than a change of scheduler; `async/1` (the
/// current-thread runtime) is shown for context. A busy baseline leaves C4 "cannot be shown here", and
/// [`boundary`] judges what more workers do there.
fn c4(points: &[Point], io: WorkloadKind, cores: Cores) -> Judged {
    let (base, busy) = match baseline(points, io) {
        Ok(b) => b,
        Err(j) => return j,
    };
    let idle = at_most(busy, IDLE_CORES);
    let idle_says = format!("async_multi/1 keeps {} cores busy (<= {IDLE_CORES})", busy.show(x3));
    match idle {
        Test::Fails => {
            return cannot(format!(
                "{io} {BASELINE} keeps {} cores busy, above {IDLE_CORES} beyond its interval: the loop is not \
                 mostly waiting on I/O, the article's condition for C4; what more workers do there is the \
                 boundary line below, C4 (boundary)",
                busy.show(x3)
            ))
            .with_headline(idle_says);
        }
        Test::Unsure => {
            return cannot(format!(
                "too noisy to decide whether the loop is mostly waiting: {io} {BASELINE} keeps {} cores busy, and \
                 {IDLE_CORES} lies inside that interval",
                busy.show(x3)
            ))
            .with_headline(idle_says);
        }
        Test::Meets | Test::NoInterval => {}
    }
    let more = async_above_one(points, io);
    if more.is_empty() {
        return cannot(format!("needs {io} async at 2 workers or more beside async_multi/1"));
    }
    // A wall below one wait alone on its own runtime, beyond both intervals, is a failed measurement.
    for p in more.iter().filter(|p| p.floor().is_some()) {
        if let Err(j) = io_ready(p) {
            return j;
        }
    }
    let least = cores.usable.max(2);
    let Some(&at) = more.iter().find(|p| p.workers >= least) else {
        return cannot(format!(
            "needs {io} async at N >= {least} (the {} usable cores, and at least 2) for the overhead half",
            cores.usable
        ));
    };
    let usage = |p: &Point| p.cpu_per_job().zip(p.switches_per_job());
    let (Some((cpu_b, sw_b)), Some((cpu_n, sw_n))) = (usage(base), usage(at)) else {
        return cannot(format!(
            "needs the CPU time and context switches of {io} async_multi/1 and async/{}, which criterion does \
             not record (pass a `cvp run` JSON with --run)",
            at.workers
        ));
    };
    // The headline's order: the overhead (the evidence where the loop waits), then not faster, then idle.
    let (n, base_s) = (at.workers, "async_multi/1's");
    let switches = format!("async/{n} {} switches per job (> {base_s} {})", sw_n.show(x2), sw_b.show(x2));
    let cpu = format!("async/{n} CPU {} per job (> {base_s} {})", cpu_n.show(us), cpu_b.show(us));
    let mut checks: Vec<Check> = vec![(above(sw_n - sw_b, 0.0), switches), (above(cpu_n - cpu_b, 0.0), cpu)];
    let mut walls = Vec::new();
    // The most any async/N could gain: it cannot beat one wait alone on its own runtime, so the baseline's
    // wall over that floor bounds its speedup. Where even that bound is within C4_NOT_FASTER, "not faster"
    // follows from the waits themselves (a control, as the claims table says), and the overhead half is the
    // evidence.
    let mut ceilings = Vec::new();
    for p in &more {
        let x = base.wall() / p.wall();
        let says =
            format!("async_multi/1 wall / async/{} wall {}x (<= {C4_NOT_FASTER:.2})", p.workers, x.show(x2));
        checks.push((at_most(x, C4_NOT_FASTER), says));
        walls.push(format!("async/{} {} ({}x)", p.workers, p.wall().show(ms), x.show(x2)));
        if let Some(floor) = p.floor() {
            ceilings.push(base.wall() / floor);
        }
    }
    let most = ceilings.iter().map(|c| c.hi).fold(f64::NAN, f64::max);
    let control = if ceilings.len() == more.len() && most <= C4_NOT_FASTER {
        format!(
            " (a control here: no async/N can beat one wait alone on its runtime, so none could gain more than \
             {most:.2}x; the overhead half is the evidence)"
        )
    } else if ceilings.len() == more.len() {
        format!(" (the most any async/N could gain, down to one wait alone on its runtime: {most:.2}x)")
    } else {
        String::new()
    };
    checks.push((idle, idle_says));
    judge(
        &checks,
        format!(
            "{io}, mostly waiting: {BASELINE} keeps {} cores busy (criterion: <= {IDLE_CORES}); not faster: \
             async_multi/1 wall {}, multi_thread runtime {} (async_multi/1 wall / async/N wall; criterion: <= \
             {C4_NOT_FASTER:.2}x each){control}; more overhead at async/{} (the smallest N >= {least}): CPU {} against {} \
             per job, {} against {} switches per job (criterion: above async_multi/1's, beyond both \
             intervals){}",
            busy.show(x3),
            base.wall().show(ms),
            walls.join(", "),
            at.workers,
            cpu_n.show(us),
            cpu_b.show(us),
            sw_n.show(x2),
            sw_b.show(x2),
            current_thread_context(points, io)
        ),
    )
}

/// C4's boundary line on `io`, never C4's verdict: where `async_multi/1` is busy (cores busy above
/// [`IDLE_CORES`] beyond its interval) the loop is no longer mostly waiting, and this judges whether more
/// workers help it: the speedup of `async/N` over `async_multi/1` above [`C4_NOT_FASTER`], beyond the
/// intervals, at one N chosen before looking: the smallest at or above the usable cores (and 2), where
/// every core can take a share of the loop (the best of several would favour "shown" by chance). Every
/// async/N must be a possible measurement first. `None` where the loop is not shown busy (C4 itself judges
/// it, or says why not).
fn boundary(points: &[Point], io: WorkloadKind, cores: Cores) -> Option<Judged> {
    let (base, busy) = baseline(points, io).ok()?;
    if at_most(busy, IDLE_CORES) != Test::Fails {
        return None;
    }
    let more = async_above_one(points, io);
    for p in more.iter().filter(|p| p.floor().is_some()) {
        if let Err(j) = io_ready(p) {
            return Some(j);
        }
    }
    let least = cores.usable.max(2);
    let Some(&at) = more.iter().find(|p| p.workers >= least) else {
        return Some(cannot(format!(
            "needs {io} async at N >= {least} (the {} usable cores, and at least 2) beside async_multi/1",
            cores.usable
        )));
    };
    let speedups: Vec<String> = more
        .iter()
        .map(|p| {
            format!("async/{} {} ({}x)", p.workers, p.wall().show(ms), (base.wall() / p.wall()).show(x2))
        })
        .collect();
    let x = base.wall() / at.wall();
    let says =
        format!("async_multi/1 wall / async/{} wall {}x (> {C4_NOT_FASTER:.2})", at.workers, x.show(x2));
    Some(judge(
        &[(above(x, C4_NOT_FASTER), says)],
        format!(
            "{io}, not mostly waiting: {BASELINE} keeps {} cores busy (above {IDLE_CORES}) with wall {}; \
             multi_thread runtime {}; tested at async/{} (the smallest N >= {least}, chosen before measuring) \
             (async_multi/1 wall / async/N wall; criterion: > {C4_NOT_FASTER:.2}x: more workers help){}",
            busy.show(x3),
            base.wall().show(ms),
            speedups.join(", "),
            at.workers,
            current_thread_context(points, io)
        ),
    ))
}

/// C5: parallelism helps only work that is CPU-bound and splittable, judged on both conditions at once.
/// CPU-bound: on io_bound, blocked threads beat the core count with no core busy, a gain that is
/// concurrency, so parallelism was not what helped ([`c5_io`]). Splittable: of the same hashing, cpu_chain,
/// one chain of all J x R rounds, gains nothing at any worker count, while cpu_bound, the same rounds as J
/// independent chains, follows the cores ([`c5_hashing`]). (That CPU-bound work gains only up to the cores
/// is C2.)
fn c5(points: &[Point], cores: Cores, same_run: bool) -> Judged {
    let (phys, usable) = (cores.parallel(), cores.usable);
    if phys < 2 {
        return cannot(format!(
            "only {phys} core that can compute in parallel ({usable} usable): split and unsplit hashing both run \
             at 1x on it, so nothing here can tell them apart; needs at least 2"
        ));
    }
    let (io_checks, io_evidence) = match c5_io(points, usable) {
        Ok(io) => io,
        Err(j) => return j,
    };
    let (hash_checks, hash_evidence) = match c5_hashing(points, phys, same_run) {
        Ok(hashing) => hashing,
        Err(j) => return j,
    };
    // The headline's order: split against unsplit first, the claim's heart.
    judge(&[hash_checks, io_checks].concat(), format!("{io_evidence}; {hash_evidence}"))
}

/// C5's first condition: io_bound threads or rayon above the usable cores speed up past them with no core
/// busy. Its checks and evidence, or why it cannot be judged.
fn c5_io(points: &[Point], cores: usize) -> Result<(Vec<Check>, String), Judged> {
    let io = WorkloadKind::IoBound;
    let blocking = [StrategyKind::Threads, StrategyKind::Rayon];
    let above_cores: Vec<usize> =
        worker_counts(points, io, &blocking).into_iter().filter(|&n| n > cores).collect();
    if above_cores.is_empty() {
        return Err(cannot(format!("needs io_bound threads or rayon above the {cores} usable cores")));
    }
    let Some(jobs) = points.iter().find(|p| p.workload == io).map(|p| p.jobs) else {
        return Err(cannot("needs io_bound"));
    };
    // With J jobs on n threads the best possible speedup is J / ceil(J / n).
    let reachable = |n: usize| jobs as f64 / jobs.div_ceil(n) as f64;
    let need = PAST_CORES * cores as f64;
    let Some(&n) = above_cores.iter().filter(|&&n| reachable(n) > need).max() else {
        let n = *above_cores.iter().max().unwrap_or(&1);
        return Err(cannot(format!(
            "io_bound has {jobs} jobs: at {n} workers the best possible speedup is {:.2}x, not above \
             {PAST_CORES} x {cores} cores; needs more jobs or workers (the defaults give 2 x cores)",
            reachable(n)
        )));
    };
    let Some((s, io_x)) = best_parallel(points, io, n) else {
        return Err(cannot("needs io_bound sequential"));
    };
    let Some((busy, busy_range)) =
        find(points, io, s, n).and_then(|p| p.cores_busy.map(|b| (b, p.cores_busy_range)))
    else {
        return Err(cannot("needs CPU time, which criterion does not record (pass a `cvp run` JSON)"));
    };
    let busy_range = Range::of(busy, busy_range);
    let past = format!("io_bound {s} {}x at N={n} (> {})", io_x.show(x2), plain(need));
    let idle = format!("{busy:.3} cores busy (<= {IDLE_CORES})");
    Ok((
        vec![(above(io_x, need), past), (at_most(busy_range, IDLE_CORES), idle)],
        format!(
            "io_bound {s} at N={n}: {}x over sequential with {busy:.3} cores busy: a gain past the cores from \
             blocked threads, not from parallelism (criterion: > {PAST_CORES} x {cores} cores, <= {IDLE_CORES} \
             cores busy)",
            io_x.show(x2)
        ),
    ))
}

/// C5's other two conditions, on the same hashing: unsplit, cpu_chain's best of threads and rayon is at most
/// [`NO_FASTER`] x its sequential at every worker count from 2 (a control: each round hashes the one
/// before, so only a measuring error or a chain someone split can gain); split, cpu_bound's best at the
/// physical cores (or the most workers within them) reaches [`FOLLOWS`] x those workers, as C2 asks. Its
/// checks (split first) and evidence, or why they cannot be judged. `same_run`: each point's wall and cores
/// busy come from one run, so a speedup beyond the cores busy is checked ([`cpu_possible`]).
fn c5_hashing(points: &[Point], phys: usize, same_run: bool) -> Result<(Vec<Check>, String), Judged> {
    let (chain, cpu) = (WorkloadKind::CpuChain, WorkloadKind::CpuBound);
    let parallel = [StrategyKind::Threads, StrategyKind::Rayon];
    let chain_ns: Vec<usize> =
        worker_counts(points, chain, &parallel).into_iter().filter(|&n| n >= 2).collect();
    if chain_ns.is_empty() || sequential_wall(points, chain).is_none() {
        return Err(cannot(
            "needs cpu_chain sequential, and threads or rayon at 2 workers or more (`cvp run` sweeps cpu_chain by \
             default; criterion's group `cpu_chain` is in the cpu_bound bench)",
        ));
    }
    let Some(n) =
        worker_counts(points, cpu, &parallel).into_iter().filter(|&n| (2..=phys).contains(&n)).max()
    else {
        return Err(cannot(format!("needs cpu_bound threads or rayon at 2 to {phys} workers")));
    };
    let Some((split_s, split_x)) = best_parallel(points, cpu, n) else {
        return Err(cannot("needs cpu_bound sequential"));
    };
    let (split, split_text) = (FOLLOWS * n as f64, split_x.show(x2));
    let mut checks: Vec<Check> =
        vec![(at_least(split_x, split), format!("split {split_text}x at N={n} (>= {})", plain(split)))];
    let mut parts = Vec::new();
    for &k in &chain_ns {
        let Some((s, x)) = best_parallel(points, chain, k) else { continue };
        if same_run {
            cpu_possible(points, chain, s, k, x)?;
        }
        checks.push((at_most(x, NO_FASTER), format!("unsplit {}x at N={k} (<= {NO_FASTER})", x.show(x2))));
        parts.push(format!("N={k} {}x ({s})", x.show(x2)));
    }
    if same_run {
        cpu_possible(points, cpu, split_s, n, split_x)?;
    }
    let jobs = find(points, cpu, split_s, n).map_or(0, |p| p.jobs);
    Ok((
        checks,
        format!(
            "unsplit, cpu_chain (the hashing as one chain) best speedup: {} (criterion: <= {NO_FASTER}x at every N \
             from 2); split, cpu_bound (as {jobs} chains) at N={n}: {split_text}x ({split_s}) (criterion: >= \
             {FOLLOWS} x {n})",
            parts.join(", "),
        ),
    ))
}

/// A CPU-bound speedup `x` of `workload`/`strategy`/`n` beyond the cores its run kept busy is impossible:
/// with the same hashing in both (the parallel run's CPU time at least the sequential one's),
/// speedup = (CPU time / cores busy of sequential) / (CPU time / cores busy of the row) <= cores busy of the
/// row / cores busy of sequential. A speedup above that beyond every 95% interval is a failed measurement,
/// named as such, never evidence. Without CPU time or intervals nothing is checked; nor is it when the
/// walls and the cores busy come from different runs ([`report_verdicts`]), for which the bound does not hold.
fn cpu_possible(
    points: &[Point],
    workload: WorkloadKind,
    strategy: StrategyKind,
    n: usize,
    x: Range,
) -> Result<(), Judged> {
    let busy = |p: &Point| p.cores_busy.map(|b| Range::of(b, p.cores_busy_range));
    let (Some(row), Some(seq)) = (
        find(points, workload, strategy, n).and_then(busy),
        find(points, workload, StrategyKind::Sequential, 1).and_then(busy),
    ) else {
        return Ok(());
    };
    let bound = row / seq;
    if x.known && bound.known && x.lo > bound.hi {
        return Err(cannot(format!(
            "impossible value, a failed measurement: {workload}/{strategy}/{n} ran {}x faster than sequential \
             with {} cores busy against sequential's {}, beyond the 95% intervals: a CPU-bound speedup beyond \
             the cores it kept busy (at most {}x for the same hashing), so the clock or the CPU time failed \
             here; measure again",
            x.show(x2),
            row.show(x2),
            seq.show(x2),
            bound.show(x2)
        )));
    }
    Ok(())
}

/// C6 is a control: async on one worker runs the same hash chains as `sequential` on one thread, so only a
/// measuring error (or an unfair structure) could make it faster.
fn c6(points: &[Point]) -> Judged {
    let cpu = WorkloadKind::CpuBound;
    let Some(x) = find(points, cpu, StrategyKind::Async, 1).and_then(|p| speedup_range(points, p)) else {
        return cannot("needs cpu_bound sequential and async/1");
    };
    judge(
        &[(at_most(x, NO_FASTER), format!("async/1 {}x sequential (<= {NO_FASTER})", x.show(x2)))],
        format!("cpu_bound async on 1 worker: {}x sequential (criterion: <= {NO_FASTER}x)", x.show(x2)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Outcome;
    use crate::scaling::fixtures::*;
    use crate::scaling::{OneWait, Point};
    use crate::workload::WaitKind;
    use StrategyKind::*;
    use WorkloadKind::*;

    /// The points as if measured with tight intervals (+-0.1%), where a test gave none.
    fn known(points: &[Point]) -> Vec<Point> {
        let tight = |x: f64| Some((x * 0.999, x * 1.001));
        points
            .iter()
            .map(|p| Point {
                wall_range_s: p.wall_range_s.or(tight(p.wall_s)),
                cores_busy_range: p.cores_busy_range.or(p.cores_busy.map(|b| (b, b))),
                one_wait_range_s: p.one_wait_range_s.or(p.one_wait_s.and_then(tight)),
                cpu_range_s: p.cpu_range_s.or(p.cpu_s.and_then(tight)),
                switches_range: p.switches_range.or(p.switches.and_then(tight)),
                ..p.clone()
            })
            .collect()
    }

    fn judged(points: &[Point], cores: Cores) -> Vec<Verdict> {
        verdicts(&known(points), cores)
    }

    fn outcomes(points: &[Point], cores: usize) -> Vec<Outcome> {
        judged(points, Cores::flat(cores)).into_iter().map(|v| v.verdict).collect()
    }

    fn evidence(points: &[Point], cores: usize, claim: usize) -> String {
        judged(points, Cores::flat(cores))[claim].evidence.clone()
    }

    fn set(points: &mut [Point], w: WorkloadKind, s: StrategyKind, n: usize, f: impl Fn(&mut Point)) {
        points.iter_mut().filter(|p| p.workload == w && p.strategy == s && p.workers == n).for_each(f);
    }

    /// The rows `cvp run` times only once (no interval) are rows no verdict reads: taking their intervals
    /// away changes no verdict, on any core count (1, 2, 4, SMT), for the ideal machine of each.
    #[test]
    fn no_verdict_reads_a_row_the_plan_times_once() {
        let plan = crate::views::scaling::Plan {
            workloads: WorkloadKind::ALL.to_vec(),
            strategies: StrategyKind::ALL.to_vec(),
            threads: vec![1, 2, 4],
            jobs: None,
            rounds: 100,
            wait_ms: 10,
            repeat: 6,
        };
        for cores in [Cores::flat(1), Cores::flat(2), Cores::flat(4), Cores::new(4, 2)] {
            let par = |n: usize| n.min(cores.parallel()) as f64;
            let mut points = Vec::new();
            for (w, s, n) in plan.configurations() {
                let (wall, busy) = match (w, s) {
                    (CpuChain, _) => (0.4, 1.0),
                    (CpuBound | Mixed, Sequential | AsyncOffload) => (0.4, 1.0),
                    (CpuBound | Mixed, _) => (0.4 / par(n), par(n)),
                    (_, Async | AsyncOffload | ThreadPerJob | AsyncMulti) => (1.002 * FLOOR_ASYNC, 0.02),
                    (_, Sequential) => (32.0 * FLOOR_BLOCKING, 0.01),
                    (_, _) => (32.0 * FLOOR_BLOCKING / n as f64, 0.01),
                };
                // More workers, more CPU time and switches: C4 decides too.
                let more = if s == Async { n as f64 } else { 1.0 };
                let p = pt(w, s, n, wall, busy * more);
                points.push(Point { switches: Some(more), ..p });
            }
            let all = verdicts(&known(&points), cores);
            let once: Vec<Point> = known(&points)
                .into_iter()
                .map(|p| {
                    if plan.decides(p.workload, p.strategy, p.workers) {
                        p
                    } else {
                        Point {
                            wall_range_s: None,
                            cores_busy_range: None,
                            cpu_range_s: None,
                            switches_range: None,
                            ..p
                        }
                    }
                })
                .collect();
            assert_eq!(verdicts(&once, cores), all, "{cores:?}");
            assert!(all.iter().any(|v| v.verdict != Outcome::CannotBeShown), "a test that decides something");
        }
    }

    /// Every verdict, shown, not shown or undecided, is headed by the numbers that decided it, written as its
    /// evidence writes them ([`crate::claims::tests::assert_headline`]), with its bound: the ideal machine's
    /// (io_bound and net_bound), and the failing and noisy fixtures of the tests below.
    #[test]
    fn every_verdict_is_headed_by_the_numbers_that_decided_it() {
        use crate::claims::tests::assert_headline;
        let heads = |points: &[Point], cores: usize, want: Outcome| -> Vec<String> {
            let v = judged(points, Cores::flat(cores));
            v.iter().filter(|v| v.verdict == want).map(|v| assert_headline(v).to_string()).collect()
        };
        // Shown: C2 within the cores and beyond them, C3 both conditions, C4 the overhead at the cores, C5
        // split against unsplit; the net_bound twins count requests.
        let shown = heads(&with_net(ideal(2)), 2, Outcome::Shown);
        assert_eq!(shown.len(), 9);
        for (i, part) in [
            (0, "32 waits in 1.00 [1.00 to 1.00] x one wait alone (<= 1.5)"),
            (1, "32 requests in 1.00 [1.00 to 1.00] x one request alone"),
            (2, "speedup 2.00 [2.00 to 2.00]x at N=2 (>= 1.5); speedup 2.00 [2.00 to 2.00]x at N=4 (<= 2.3)"),
            (3, "31.9 [31.9 to 32.0] of 32 jobs in flight (>= 16); 0.040 cores busy (<= 0.25)"),
            (5, "async/2 0.22 [0.22 to 0.22] switches per job (> async_multi/1's 0.09 [0.09 to 0.09])"),
            (7, "split 2.00 [2.00 to 2.00]x at N=2 (>= 1.5); unsplit 1.00 [1.00 to 1.00]x at N=2 (<= 1.1)"),
            (8, "async/1 1.00 [1.00 to 1.00]x sequential (<= 1.1)"),
        ] {
            assert!(shown[i].contains(part), "{part}: {}", shown[i]);
        }
        // Not shown: the check that failed, and only it (C1, C2, C3, C4, C5, C6 in order).
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 1, |p| p.wall_s = 10.0 * FLOOR_ASYNC);
        set(&mut points, IoBound, Async, 4, |p| p.wall_s = 4.0 * FLOOR_ASYNC);
        for s in [Threads, Rayon] {
            for n in [2, 4] {
                set(&mut points, CpuBound, s, n, |p| p.wall_s = 0.4);
            }
        }
        set(&mut points, CpuBound, Async, 1, |p| p.wall_s = 0.2);
        set(&mut points, IoBound, AsyncMulti, 1, |p| p.wall_s = 1.3 * FLOOR_ASYNC);
        let failed = heads(&points, 2, Outcome::NotShown);
        assert_eq!(
            failed,
            [
                "32 waits in 10.00 [9.98 to 10.02] x one wait alone (<= 1.5)",
                "speedup 1.00 [1.00 to 1.00]x at N=2 (>= 1.5)",
                "8.0 [8.0 to 8.0] of 32 jobs in flight (>= 16)",
                "async_multi/1 wall / async/2 wall 1.30 [1.29 to 1.30]x (<= 1.10)",
                "split 1.00 [1.00 to 1.00]x at N=2 (>= 1.5)",
                "async/1 2.00 [2.00 to 2.00]x sequential (<= 1.1)",
            ]
        );
        // Undecided by noise: the number whose interval holds the threshold, never the ones decided.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 1, |p| {
            p.wall_s = 1.4 * FLOOR_ASYNC;
            p.wall_range_s = Some((p.wall_s * 0.9, p.wall_s * 1.15))
        });
        set(&mut points, IoBound, Async, 2, |p| p.switches_range = Some((SWITCHES_MULTI - 1.0, 9.0)));
        let noisy = heads(&points, 2, Outcome::CannotBeShown);
        assert!(noisy[0].starts_with("32 waits in 1.40 [1.26 to 1.61] x one wait alone"), "{noisy:?}");
        assert!(noisy[1].starts_with("async/2 0.22 [") && noisy[1].contains("switches per job"), "{noisy:?}");
        assert!(!noisy[1].contains("CPU"), "decided, not named: {noisy:?}");
        // Without intervals: the numbers, undecided.
        let v = verdicts(&ideal(2), Cores::flat(2));
        assert!(assert_headline(&v[0]).starts_with("32 waits in 1.00 x one wait alone"), "{}", v[0].headline);
        // A busy loop: C4 names the baseline's cores busy, its boundary line the speedup that decided.
        let mut points = ideal(2);
        set(&mut points, IoBound, AsyncMulti, 1, |p| {
            p.wall_s = 0.030;
            p.cores_busy = Some(0.9)
        });
        set(&mut points, IoBound, Async, 2, |p| p.wall_s = 0.015);
        set(&mut points, IoBound, Async, 4, |p| p.wall_s = 0.016);
        let v = judged(&points, Cores::flat(2));
        assert_eq!(assert_headline(&v[3]), "async_multi/1 keeps 0.900 cores busy (<= 0.25)");
        assert!(v[4].is_boundary());
        assert_eq!(assert_headline(&v[4]), "async_multi/1 wall / async/2 wall 2.00 [2.00 to 2.00]x (> 1.10)");
        // Nothing measured, no headline: the reason is the news.
        assert_eq!(judged(&ideal(1), Cores::flat(1))[1].headline, "", "C2 on one core");
    }

    #[test]
    fn ideal_two_core_machine_shows_every_claim_that_its_data_can_decide() {
        let v = outcomes(&ideal(2), 2);
        use Outcome::*;
        assert_eq!(v, vec![Shown, Shown, Shown, Shown, Shown, Shown]);
    }

    #[test]
    fn one_core_cannot_show_c2_but_still_shows_c1_and_c3() {
        let v = outcomes(&ideal(1), 1);
        assert_eq!(v[1], Outcome::CannotBeShown);
        assert_eq!((v[0], v[2]), (Outcome::Shown, Outcome::Shown));
        assert!(evidence(&ideal(1), 1, 1).contains("only 1 core"));
    }

    #[test]
    fn claims_fail_when_the_numbers_do() {
        let mut points = ideal(2);
        // async/1 on io takes 10 waits: no overlap.
        set(&mut points, IoBound, Async, 1, |p| p.wall_s = 10.0 * FLOOR_ASYNC);
        // async on the most workers keeps too few in flight.
        set(&mut points, IoBound, Async, 4, |p| p.wall_s = 4.0 * FLOOR_ASYNC);
        // cpu_bound does not scale.
        for s in [Threads, Rayon] {
            for n in [2, 4] {
                set(&mut points, CpuBound, s, n, |p| p.wall_s = 0.4);
            }
        }
        // async/1 on cpu beats sequential: impossible honestly, so C6 must say "not shown".
        set(&mut points, CpuBound, Async, 1, |p| p.wall_s = 0.2);
        let v = outcomes(&points, 2);
        assert_eq!(v[0], Outcome::NotShown, "C1");
        assert_eq!(v[1], Outcome::NotShown, "C2");
        assert_eq!(v[2], Outcome::NotShown, "C3: 8 of 32 in flight");
        assert_eq!(v[5], Outcome::NotShown, "C6");
    }

    #[test]
    fn c1_and_c3_fail_independently() {
        // 1 worker does not overlap, 4 workers do, idle: C1 fails, C3 holds.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 1, |p| p.wall_s = 3.0 * FLOOR_ASYNC);
        let v = outcomes(&points, 2);
        assert_eq!((v[0], v[2]), (Outcome::NotShown, Outcome::Shown));
        // 4 workers overlap but burn the cores: C3 fails, C1 holds.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 4, |p| p.cores_busy = Some(1.9));
        let v = outcomes(&points, 2);
        assert_eq!((v[0], v[2]), (Outcome::Shown, Outcome::NotShown));
    }

    #[test]
    fn c1_counts_measured_waits_not_nominal_ones() {
        // 1 ms nominal waits that tokio stretches to 2.1 ms: 32 of them in 2.3 ms is about one real wait,
        // although it is 2.3 nominal waits.
        let floor = |workers| OneWait {
            workload: None,
            wait_ms: 1,
            wait: WaitKind::Async,
            workers,
            wall_s: 0.0021,
            wall_range_s: None,
        };
        let floors = [floor(1), floor(4)];
        let p = |workers, wall_s| {
            Point {
                workload: IoBound,
                strategy: Async,
                workers,
                jobs: 32,
                wait_s: 0.001,
                wall_s,
                wall_range_s: None,
                cores_busy: Some(0.02),
                cores_busy_range: None,
                cpu_s: None,
                cpu_range_s: None,
                switches: None,
                switches_range: None,
                one_wait_s: None,
                one_wait_range_s: None,
            }
            .with_one_wait(&floors)
        };
        let points = [p(1, 0.0023), p(4, 0.0023)];
        let v = judged(&points, Cores::flat(2));
        assert_eq!(v[0].verdict, Outcome::Shown, "{}", v[0].evidence);
        assert_eq!(v[2].verdict, Outcome::Shown, "{}", v[2].evidence);
        assert!((points[1].in_flight() - 32.0 * 2.1 / 2.3).abs() < 1e-9);
        let nominal = Point { one_wait_s: None, ..points[0].clone() };
        assert_eq!(outcomes(&[nominal], 2)[0], Outcome::CannotBeShown, "no floor, no verdict");
    }

    #[test]
    fn one_job_cannot_show_c1_or_c3() {
        let points: Vec<Point> = ideal(2).into_iter().map(|p| Point { jobs: 1, ..p }).collect();
        let v = judged(&points, Cores::flat(2));
        assert_eq!((v[0].verdict, v[2].verdict), (Outcome::CannotBeShown, Outcome::CannotBeShown));
        assert_eq!(v[0].evidence, v[2].evidence);
    }

    /// C4's verdict and its boundary line on io_bound (2 cores), as the tables show them.
    fn c4_lines(points: &[Point]) -> Vec<(String, Outcome, String)> {
        judged(points, Cores::flat(2))
            .into_iter()
            .filter(|v| v.claim == "C4" && !v.statement.contains(NET_LABEL))
            .map(|v| (v.label(), v.verdict, v.evidence))
            .collect()
    }

    #[test]
    fn c4_is_shown_where_more_workers_are_not_faster_and_cost_more() {
        let lines = c4_lines(&ideal(2));
        assert_eq!(lines.len(), 1, "no boundary line while the loop is mostly waiting");
        let (label, outcome, e) = &lines[0];
        assert_eq!((label.as_str(), *outcome), ("C4 (part control)", Outcome::Shown), "{e}");
        // Which runtime each side used, the walls, CPU and switches per job with their intervals, and async/1
        // as context.
        for part in [
            "async_multi/1 (tokio's multi-thread runtime with one worker) keeps 0.020 cores busy",
            "multi_thread runtime async/2 11.12 ms [11.11 ms to 11.13 ms] (1.00 [1.00 to 1.00]x)",
            "more overhead at async/2 (the smallest N >= 2)",
            "CPU 13.9 µs [13.9 µs to 13.9 µs] against 7.0 µs [6.9 µs to 7.0 µs] per job",
            "0.22 [0.22 to 0.22] against 0.09 [0.09 to 0.09] switches per job",
            "async/1 on the current_thread runtime (one event loop) wall 11.12 ms",
            // The baseline already finishes in about one wait: no async/N could gain more than that.
            "(a control here: no async/N can beat one wait alone on its runtime, so none could gain more than",
        ] {
            assert!(e.contains(part), "{part}: {e}");
        }
        // On one core the overhead half reads N = 2, the smallest N of 2 or more at or above the cores.
        let v = judged(&ideal(1), Cores::flat(1));
        assert_eq!(v[3].verdict, Outcome::Shown, "{}", v[3].evidence);
        assert!(v[3].evidence.contains("at async/2 (the smallest N >= 2)"), "{}", v[3].evidence);
        // On 4 cores, N = 4.
        let v = judged(&ideal(4), Cores::flat(4));
        assert!(v[3].evidence.contains("at async/4 (the smallest N >= 4)"), "{}", v[3].evidence);
        // On 8 cores the sweep stops at 4: no N at or above the cores, and it says so.
        let v = judged(&ideal(8), Cores::flat(8));
        assert_eq!(v[3].verdict, Outcome::CannotBeShown);
        assert!(v[3].evidence.contains("needs io_bound async at N >= 8"), "{}", v[3].evidence);
    }

    #[test]
    fn c4_is_not_shown_where_more_workers_are_faster() {
        // One worker of the multi-thread runtime takes 1.3 waits; async/4 finishes in one: 1.30x, beyond the
        // 10% for noise.
        let mut points = ideal(2);
        set(&mut points, IoBound, AsyncMulti, 1, |p| p.wall_s = 1.3 * FLOOR_ASYNC);
        let (_, outcome, e) = &c4_lines(&points)[0];
        assert_eq!(*outcome, Outcome::NotShown, "{e}");
        assert!(e.contains("async/4 11.12 ms [11.11 ms to 11.13 ms] (1.30 [1.29 to 1.30]x)"), "{e}");
        // A baseline 1.3 waits long leaves room to be faster: the half is evidence, not a control.
        assert!(
            e.contains("(the most any async/N could gain, down to one wait alone on its runtime: 1.3"),
            "{e}"
        );
        assert!(!e.contains("a control here"), "{e}");
        assert!(e.contains("criterion: <= 1.10x each"), "{e}");
        // 5% faster is within the noise allowed: still shown.
        set(&mut points, IoBound, AsyncMulti, 1, |p| p.wall_s = 1.05 * 1.002 * FLOOR_ASYNC);
        assert_eq!(c4_lines(&points)[0].1, Outcome::Shown, "{}", c4_lines(&points)[0].2);
    }

    #[test]
    fn c4_is_not_shown_without_extra_overhead() {
        // async/2 spends less CPU time per job than the baseline, beyond both intervals: no overhead shown.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 2, |p| p.cpu_s = Some(0.01 * p.wall_s));
        assert_eq!(c4_lines(&points)[0].1, Outcome::NotShown, "{}", c4_lines(&points)[0].2);
        // It switches no more than the baseline either way: not shown, even with the CPU time above.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 2, |p| p.switches = Some(SWITCHES_MULTI - 1.0));
        assert_eq!(c4_lines(&points)[0].1, Outcome::NotShown, "{}", c4_lines(&points)[0].2);
        // Only async/4 costs less: the overhead half reads the smallest N at or above the cores, 2.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 4, |p| p.switches = Some(SWITCHES_MULTI - 1.0));
        assert_eq!(c4_lines(&points)[0].1, Outcome::Shown, "{}", c4_lines(&points)[0].2);
    }

    #[test]
    fn c4_cannot_decide_when_a_threshold_is_inside_an_interval() {
        // The switches of async/2 may be as few as the baseline's.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 2, |p| p.switches_range = Some((SWITCHES_MULTI - 1.0, 9.0)));
        let (_, outcome, e) = &c4_lines(&points)[0];
        assert_eq!(*outcome, Outcome::CannotBeShown, "{e}");
        assert!(e.starts_with("too noisy"), "{e}");
        // async/4 may be 1.2x faster: undecided, not "not faster".
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 4, |p| p.wall_range_s = Some((p.wall_s / 1.2, p.wall_s * 1.01)));
        let (_, outcome, e) = &c4_lines(&points)[0];
        assert_eq!(*outcome, Outcome::CannotBeShown, "{e}");
        assert!(e.starts_with("too noisy"), "{e}");
        // The baseline's cores busy may be above 0.25: whether the loop is mostly waiting is undecided.
        let mut points = ideal(2);
        set(&mut points, IoBound, AsyncMulti, 1, |p| p.cores_busy_range = Some((0.01, 0.3)));
        let lines = c4_lines(&points);
        assert_eq!(lines.len(), 1, "a loop not shown busy has no boundary line");
        assert_eq!(lines[0].1, Outcome::CannotBeShown);
        assert!(
            lines[0].2.starts_with("too noisy to decide whether the loop is mostly waiting"),
            "{}",
            lines[0].2
        );
        // One round: no interval, no verdict.
        let v = verdicts(&ideal(2), Cores::flat(2));
        assert_eq!(v[3].verdict, Outcome::CannotBeShown);
        assert!(v[3].evidence.contains("no 95% interval"), "{}", v[3].evidence);
    }

    #[test]
    fn a_busy_loop_is_no_case_for_c4_and_gets_its_own_boundary_line() {
        // 4096 waits of 1 ms: one worker is busy (0.9 cores), and two workers halve its wall.
        let mut points = ideal(2);
        set(&mut points, IoBound, AsyncMulti, 1, |p| {
            p.wall_s = 0.030;
            p.cores_busy = Some(0.9)
        });
        set(&mut points, IoBound, Async, 2, |p| p.wall_s = 0.015);
        set(&mut points, IoBound, Async, 4, |p| p.wall_s = 0.016);
        let lines = c4_lines(&points);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let (label, outcome, e) = &lines[0];
        assert_eq!((label.as_str(), *outcome), ("C4 (part control)", Outcome::CannotBeShown), "{e}");
        assert!(e.contains("the loop is not mostly waiting on I/O"), "{e}");
        assert!(e.contains("C4 (boundary)"), "it points at the boundary line: {e}");
        let (label, outcome, e) = &lines[1];
        assert_eq!((label.as_str(), *outcome), ("C4 (boundary)", Outcome::Shown), "{e}");
        assert!(e.contains("tested at async/2 (the smallest N >= 2, chosen before measuring)"), "{e}");
        let v = judged(&points, Cores::flat(2));
        let line = v.iter().find(|v| v.is_boundary()).unwrap();
        assert!(line.statement.starts_with("boundary, no longer mostly waiting:"), "{}", line.statement);
        // The boundary line is no verdict on C4: the six claims keep their places.
        assert_eq!(v.iter().filter(|v| !v.is_boundary()).count(), 6);
        // More workers that do not help the busy loop: the boundary line is not shown.
        set(&mut points, IoBound, Async, 2, |p| p.wall_s = 0.029);
        set(&mut points, IoBound, Async, 4, |p| p.wall_s = 0.031);
        assert_eq!(c4_lines(&points)[1].1, Outcome::NotShown, "{}", c4_lines(&points)[1].2);
        // Only async/4 helps: the line reads the N chosen before measuring (2), not the best one.
        set(&mut points, IoBound, Async, 4, |p| p.wall_s = 0.015);
        assert_eq!(c4_lines(&points)[1].1, Outcome::NotShown, "{}", c4_lines(&points)[1].2);
        // An async/N faster than one wait alone on its runtime is a failed measurement, never "more workers
        // help".
        set(&mut points, IoBound, Async, 2, |p| {
            p.wall_s = 0.005;
            p.wall_range_s = Some((0.0049, 0.0051))
        });
        let (_, outcome, e) = &c4_lines(&points)[1];
        assert_eq!(*outcome, Outcome::CannotBeShown, "{e}");
        assert!(e.contains("impossible value, a failed measurement"), "{e}");
    }

    #[test]
    fn c4_needs_its_baseline_and_cpu_time_and_says_so() {
        // No async_multi/1 (a run file from before it was run): C4 names the row it needs.
        let points: Vec<Point> = ideal(2).into_iter().filter(|p| p.strategy != AsyncMulti).collect();
        let e = &c4_lines(&points)[0].2;
        assert!(
            e.starts_with("needs io_bound/async_multi/1, tokio's multi-thread runtime with one worker"),
            "{e}"
        );
        // criterion's walls alone: no CPU time, no switches.
        let points: Vec<Point> = ideal(2)
            .into_iter()
            .map(|p| Point { cores_busy: None, cpu_s: None, switches: None, ..p })
            .collect();
        let (_, outcome, e) = &c4_lines(&points)[0];
        assert_eq!(*outcome, Outcome::CannotBeShown);
        assert!(e.contains("which criterion does not record (pass a `cvp run` JSON with --run)"), "{e}");
        // A run file from before the intervals of CPU time and switches were kept: no interval, no verdict.
        let old: Vec<Point> = known(&ideal(2))
            .into_iter()
            .map(|p| Point { cpu_range_s: None, switches_range: None, ..p })
            .collect();
        let v = verdicts(&old, Cores::flat(2));
        assert_eq!(v[3].verdict, Outcome::CannotBeShown);
        assert!(v[3].evidence.contains("no 95% interval"), "{}", v[3].evidence);
    }

    #[test]
    fn an_old_run_file_loads_and_its_switches_have_no_interval() {
        let json = r#"{"workload":"io_bound","strategy":"async_multi","workers":1,"jobs":32,"wait_ms":10,
            "rounds":0,"wall_s":0.0112,"wall_min_s":0.0111,"wall_max_s":0.0113,"cpu_s":0.0002,"speedup":29.0,
            "cores_busy":0.02,"in_flight":31.0,"voluntary_switches":2,"involuntary_switches":1,"digest":"00"}"#;
        let run: crate::views::scaling::Run = serde_json::from_str(json).unwrap();
        let p = run.point(&[]);
        assert_eq!((p.switches, p.switches_range, p.cpu_range_s), (Some(3.0), None, None));
        assert_eq!(p.one_wait_s, None, "no floor of its runtime is measured");
    }

    #[test]
    fn an_impossible_value_is_a_failed_measurement_never_evidence() {
        // async/1 ran 32 waits in 1.14 ms against a 2.10 ms floor on the same runtime, both intervals tight:
        // shorter than one wait, 59 of 32 jobs in flight. C1 would be "shown" by it: it must not be.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 1, |p| p.wall_s = 0.55 * FLOOR_ASYNC);
        let v = judged(&points, Cores::flat(2));
        assert_eq!(v[0].verdict, Outcome::CannotBeShown, "{}", v[0].evidence);
        assert!(v[0].evidence.starts_with("impossible value"), "{}", v[0].evidence);
        assert!(v[0].evidence.contains("i.e. 58.2 [58.1 to 58.3] of 32 jobs in flight"), "{}", v[0].evidence);
        assert!(v[0].evidence.contains("6.11 ms"), "the wall, named: {}", v[0].evidence);
        // C4 reads async/1 for context only: decided.
        assert_eq!(v[3].verdict, Outcome::Shown, "{}", v[3].evidence);
        // C4 reads async/2: an impossible wall there is named, never evidence that more workers are faster.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 2, |p| p.wall_s = 0.55 * FLOOR_ASYNC);
        let v = judged(&points, Cores::flat(2));
        assert!(v[3].evidence.starts_with("impossible value"), "{}", v[3].evidence);
        // C3 at 4 workers: more jobs in flight than jobs, beyond the intervals.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 4, |p| p.wall_s = 0.9 * FLOOR_ASYNC);
        let v = judged(&points, Cores::flat(2));
        assert_eq!(v[2].verdict, Outcome::CannotBeShown, "{}", v[2].evidence);
        assert!(v[2].evidence.contains("35.6 [35.5 to 35.6] of 32 jobs in flight"), "{}", v[2].evidence);
        // Below the floor by the medians but within the intervals: noise, not impossible; C3 is decided.
        set(&mut points, IoBound, Async, 4, |p| {
            p.wall_s = 0.99 * FLOOR_ASYNC;
            p.wall_range_s = Some((0.97 * FLOOR_ASYNC, 1.02 * FLOOR_ASYNC))
        });
        let v = judged(&points, Cores::flat(2));
        assert_eq!(v[2].verdict, Outcome::Shown, "{}", v[2].evidence);
    }

    #[test]
    fn one_round_measures_no_interval_and_decides_nothing() {
        // Tight medians, but no interval (a single `cvp run` round): no timing verdict.
        let v = verdicts(&ideal(2), Cores::flat(2));
        for i in [0, 2, 4, 5] {
            assert_eq!(v[i].verdict, Outcome::CannotBeShown, "{}", v[i].evidence);
            assert!(v[i].evidence.contains("no 95% interval"), "{}", v[i].evidence);
            assert!(v[i].evidence.contains("at least 6 rounds"), "{}", v[i].evidence);
        }
        // C2 on one core needs no timing at all: still decided.
        assert!(verdicts(&ideal(1), Cores::flat(1))[1].evidence.contains("only 1 core"));
    }

    #[test]
    fn each_claim_is_undecided_when_its_threshold_falls_inside_the_interval() {
        let noisy = |points: &mut Vec<Point>, w, s, n, lo: f64, hi: f64| {
            set(points, w, s, n, |p| p.wall_range_s = Some((p.wall_s * lo, p.wall_s * hi)))
        };
        // C1: 1.4 waits, but the wall may be 1.6.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 1, |p| p.wall_s = 1.4 * FLOOR_ASYNC);
        noisy(&mut points, IoBound, Async, 1, 0.9, 1.15);
        assert!(evidence(&points, 2, 0).starts_with("too noisy"), "{}", evidence(&points, 2, 0));
        // C2: 1.6x at 2 workers, the threshold 1.5x inside.
        let mut points = ideal(2);
        for s in [Threads, Rayon] {
            set(&mut points, CpuBound, s, 2, |p| p.wall_s = 0.4 / 1.6);
            noisy(&mut points, CpuBound, s, 2, 0.9, 1.2);
        }
        assert!(evidence(&points, 2, 1).starts_with("too noisy"), "{}", evidence(&points, 2, 1));
        // C3: cores busy 0.2, but a round reached 0.3.
        let mut points = ideal(2);
        set(&mut points, IoBound, Async, 4, |p| {
            p.cores_busy = Some(0.2);
            p.cores_busy_range = Some((0.1, 0.3))
        });
        assert!(evidence(&points, 2, 2).starts_with("too noisy"), "{}", evidence(&points, 2, 2));
        // C5: 3x on 2 cores, the threshold 2.5x inside.
        let mut points = ideal(2);
        for s in [Threads, Rayon] {
            set(&mut points, IoBound, s, 4, |p| p.wall_s = 32.0 * FLOOR_BLOCKING / 3.0);
            noisy(&mut points, IoBound, s, 4, 0.8, 1.3);
        }
        assert!(evidence(&points, 2, 4).starts_with("too noisy"), "{}", evidence(&points, 2, 4));
    }

    #[test]
    fn a_threshold_inside_the_interval_cannot_decide() {
        // A noisy sequential (151 to 252 ms around 191.6 ms): async on 1 worker at 160 ms is 1.20x by the
        // medians, above C6's 1.10, but the interval allows 0.94x too: undecided, not "async is faster".
        let mut points = ideal(2);
        set(&mut points, CpuBound, Sequential, 1, |p| {
            p.wall_s = 0.1916;
            p.wall_range_s = Some((0.151, 0.252));
        });
        set(&mut points, CpuBound, Async, 1, |p| p.wall_s = 0.160);
        let v = judged(&points, Cores::flat(2));
        assert_eq!(v[5].verdict, Outcome::CannotBeShown, "{}", v[5].evidence);
        assert!(v[5].evidence.contains("too noisy"), "{}", v[5].evidence);
        // The same medians with a tight interval: not shown.
        set(&mut points, CpuBound, Sequential, 1, |p| p.wall_range_s = Some((0.190, 0.193)));
        assert_eq!(outcomes(&points, 2)[5], Outcome::NotShown);
    }

    #[test]
    fn c2_follows_physical_cores_on_an_smt_machine() {
        // 8 cores, 16 threads: SHA-256 gains about 1.25x per core from its SMT sibling.
        let threads = crate::config::default_threads(16);
        let mut points = vec![pt(CpuBound, Sequential, 1, 1.6, 1.0)];
        for &n in &threads {
            let x = if n <= 8 { n as f64 } else { 8.0 + 2.0 * (n.min(16) as f64 - 8.0) / 8.0 };
            points.push(pt(CpuBound, Rayon, n, 1.6 / x, x));
        }
        let v = judged(&points, Cores::new(16, 8));
        assert_eq!(v[1].verdict, Outcome::Shown, "{}", v[1].evidence);
        assert!(
            v[1].evidence.contains("N=16 10.00 [") && v[1].evidence.contains("x (rayon, SMT: not judged)")
        );
        assert!(
            v[1].evidence.contains("up to 8 cores (8 physical), <= 1.15 x 16 beyond 16"),
            "{}",
            v[1].evidence
        );
        // Judged against 16 cores, 10x at 16 workers would fail.
        let v = judged(&points, Cores::flat(16));
        assert_eq!(v[1].verdict, Outcome::NotShown);
        assert!(
            v[1].evidence.contains("up to 16 cores, <= 1.15 x 16"),
            "no SMT, none named: {}",
            v[1].evidence
        );
    }

    #[test]
    fn busy_cores_on_io_deny_c3_and_c5() {
        let mut points = ideal(2);
        for p in points.iter_mut().filter(|p| p.workload == IoBound) {
            p.cores_busy = Some(1.5);
        }
        let v = outcomes(&points, 2);
        assert_eq!((v[2], v[4]), (Outcome::NotShown, Outcome::NotShown));
    }

    /// What an ideal machine measures on io_bound with the default sweep and jobs for `cores`.
    fn ideal_io(cores: usize, jobs: Option<usize>) -> Vec<Point> {
        let threads = crate::config::default_threads(cores);
        let jobs = jobs.unwrap_or_else(|| crate::config::default_jobs(IoBound, &threads));
        let io = jobs as f64 * FLOOR_BLOCKING;
        let mk = |strategy, workers, wall_s| Point {
            workload: IoBound,
            strategy,
            workers,
            jobs,
            wait_s: WAIT,
            wall_s,
            wall_range_s: None,
            cores_busy: Some(0.05),
            cores_busy_range: None,
            cpu_s: None,
            cpu_range_s: None,
            switches: None,
            switches_range: None,
            one_wait_s: Some(FLOOR_BLOCKING),
            one_wait_range_s: None,
        };
        let mut points = vec![mk(Sequential, 1, io)];
        // Each thread waits ceil(J / N) times in a row.
        points.extend(threads.iter().map(|&n| mk(Threads, n, jobs.div_ceil(n) as f64 * FLOOR_BLOCKING)));
        points
    }

    /// What an ideal machine with `cores` cores measures on cpu_bound and cpu_chain with the default sweep:
    /// cpu_bound's chains spread over the cores, cpu_chain's one chain runs on one core at every count.
    fn ideal_hashing(cores: usize) -> Vec<Point> {
        let seq = 0.4;
        let mut points = vec![pt(CpuBound, Sequential, 1, seq, 1.0), pt(CpuChain, Sequential, 1, seq, 1.0)];
        for n in crate::config::default_threads(cores) {
            let par = n.min(cores) as f64;
            points.push(pt(CpuBound, Threads, n, seq / par, par));
            points.push(pt(CpuChain, Threads, n, seq, 1.0));
        }
        points
    }

    #[test]
    fn c5_is_decidable_on_every_core_count_with_the_defaults() {
        for cores in 1..=128 {
            let points = [ideal_io(cores, None), ideal_hashing(cores)].concat();
            let v = judged(&points, Cores::flat(cores));
            let want = if cores == 1 { Outcome::CannotBeShown } else { Outcome::Shown };
            assert_eq!(v[4].verdict, want, "{cores} cores: {}", v[4].evidence);
        }
        // The old fixed 32 jobs cannot beat 1.25 x 64: undecidable, and said so.
        let points = [ideal_io(64, Some(32)), ideal_hashing(64)].concat();
        let v = judged(&points, Cores::flat(64));
        assert_eq!(v[4].verdict, Outcome::CannotBeShown, "{}", v[4].evidence);
        assert!(v[4].evidence.contains("best possible speedup"), "{}", v[4].evidence);
    }

    #[test]
    fn c5_is_shown_when_io_gains_past_the_cores_the_chain_stays_flat_and_the_split_hashing_follows() {
        let v = judged(&ideal(2), Cores::flat(2));
        assert_eq!(v[4].verdict, Outcome::Shown, "{}", v[4].evidence);
        let e = &v[4].evidence;
        assert!(e.starts_with("io_bound rayon at N=4: 4.00 ["), "{e}");
        assert!(e.contains("cpu_chain (the hashing as one chain) best speedup: N=2 1.00 ["), "{e}");
        assert!(e.contains("N=4 1.00 [") && e.contains("(criterion: <= 1.1x at every N from 2)"), "{e}");
        assert!(e.contains("cpu_bound (as 128 chains) at N=2: 2.00 ["), "{e}");
        assert!(e.contains("(criterion: >= 0.75 x 2)"), "{e}");
        // On 3 cores, swept at 1, 2 and 4: the split hashing is judged at 2, the most workers within the cores.
        let v = judged(&ideal(3), Cores::flat(3));
        assert_eq!(v[4].verdict, Outcome::Shown, "{}", v[4].evidence);
        assert!(v[4].evidence.contains("cpu_bound (as 128 chains) at N=2: 2.00 ["), "{}", v[4].evidence);
    }

    #[test]
    fn c5_is_not_shown_when_the_chain_speeds_up_at_any_worker_count() {
        // Someone split the chain: 2x on 2 cores, 2 cores busy (possible, so evidence).
        let mut points = ideal(2);
        for s in [Threads, Rayon] {
            for n in [2, 4] {
                set(&mut points, CpuChain, s, n, |p| {
                    p.wall_s = 0.2;
                    p.cores_busy = Some(2.0)
                });
            }
        }
        let v = judged(&points, Cores::flat(2));
        assert_eq!(v[4].verdict, Outcome::NotShown, "{}", v[4].evidence);
        assert!(v[4].evidence.contains("N=2 2.00 ["), "{}", v[4].evidence);
        // Flat at 2 workers, 1.3x at 4 (one count is enough to fail "at every N").
        let mut points = ideal(2);
        set(&mut points, CpuChain, Rayon, 4, |p| {
            p.wall_s = 0.4 / 1.3;
            p.cores_busy = Some(1.4)
        });
        assert_eq!(outcomes(&points, 2)[4], Outcome::NotShown, "{}", evidence(&points, 2, 4));
        // The other conditions alone still hold: C2 and the io_bound part are untouched.
        assert_eq!(outcomes(&points, 2)[1], Outcome::Shown);
    }

    #[test]
    fn c5_is_not_shown_when_the_split_hashing_does_not_follow_the_cores() {
        // cpu_bound at 2 workers 1.2x (1.2 cores busy): splittable work that did not scale.
        let mut points = ideal(2);
        for s in [Threads, Rayon] {
            set(&mut points, CpuBound, s, 2, |p| {
                p.wall_s = 0.4 / 1.2;
                p.cores_busy = Some(1.2)
            });
        }
        let v = judged(&points, Cores::flat(2));
        assert_eq!(v[4].verdict, Outcome::NotShown, "{}", v[4].evidence);
        assert!(v[4].evidence.contains("at N=2: 1.20 ["), "{}", v[4].evidence);
    }

    #[test]
    fn c5_cannot_be_shown_on_one_core_nor_without_the_chain() {
        for cores in [Cores::flat(1), Cores::new(2, 1)] {
            let v = judged(&ideal(cores.usable), cores);
            assert_eq!(v[4].verdict, Outcome::CannotBeShown, "{cores:?}: {}", v[4].evidence);
            assert!(
                v[4].evidence.starts_with("only 1 core that can compute in parallel"),
                "{}",
                v[4].evidence
            );
            assert!(v[4].evidence.contains("split and unsplit hashing both run at 1x"), "{}", v[4].evidence);
        }
        let no_chain: Vec<Point> = ideal(2).into_iter().filter(|p| p.workload != CpuChain).collect();
        let v = judged(&no_chain, Cores::flat(2));
        assert_eq!(v[4].verdict, Outcome::CannotBeShown);
        assert!(v[4].evidence.starts_with("needs cpu_chain sequential"), "{}", v[4].evidence);
        let no_split: Vec<Point> =
            ideal(2).into_iter().filter(|p| p.workload != CpuBound || p.workers == 1).collect();
        assert!(evidence(&no_split, 2, 4).starts_with("needs cpu_bound threads or rayon at 2 to 2"));
    }

    #[test]
    fn c5_cannot_be_decided_when_a_threshold_lies_inside_an_interval() {
        let noisy = |points: &mut Vec<Point>, w, n, x: f64, lo: f64, hi: f64| {
            for s in [Threads, Rayon] {
                set(points, w, s, n, |p| {
                    p.wall_s = 0.4 / x;
                    p.wall_range_s = Some((p.wall_s * lo, p.wall_s * hi));
                    p.cores_busy = Some(x.min(2.0));
                });
            }
        };
        // The chain at 1.05x, but its interval reaches 1.17x, past 1.10.
        let mut points = ideal(2);
        noisy(&mut points, CpuChain, 4, 1.05, 0.9, 1.2);
        let e = evidence(&points, 2, 4);
        assert_eq!(outcomes(&points, 2)[4], Outcome::CannotBeShown, "{e}");
        assert!(e.starts_with("too noisy"), "{e}");
        // The split hashing at 1.6x on 2 cores, its interval across 1.5x.
        let mut points = ideal(2);
        noisy(&mut points, CpuBound, 2, 1.6, 0.9, 1.2);
        assert!(evidence(&points, 2, 4).starts_with("too noisy"), "{}", evidence(&points, 2, 4));
        // A condition that fails over its whole interval decides, whatever another one's noise.
        noisy(&mut points, CpuChain, 2, 2.0, 0.99, 1.01);
        assert_eq!(outcomes(&points, 2)[4], Outcome::NotShown, "{}", evidence(&points, 2, 4));
    }

    #[test]
    fn a_cpu_bound_speedup_beyond_the_cores_busy_is_a_failed_measurement() {
        // The chain 2x faster at 2 workers with 1.0 core busy: beyond the cores it kept busy.
        let mut points = ideal(2);
        for s in [Threads, Rayon] {
            set(&mut points, CpuChain, s, 2, |p| p.wall_s = 0.2);
        }
        let v = judged(&points, Cores::flat(2));
        assert_eq!(v[4].verdict, Outcome::CannotBeShown, "{}", v[4].evidence);
        assert!(
            v[4].evidence.starts_with("impossible value, a failed measurement: cpu_chain/"),
            "{}",
            v[4].evidence
        );
        assert!(v[4].evidence.contains("at most 1.00x for the same hashing"), "{}", v[4].evidence);
        // criterion's walls with a run file's cores busy are two runs: not checked, the speedup decides.
        let v = report_verdicts(&known(&points), Cores::flat(2));
        assert_eq!(v[4].verdict, Outcome::NotShown, "{}", v[4].evidence);
        // cpu_bound 2x at 2 workers on 1.5 cores busy [1.45 to 1.55]: impossible too.
        let mut points = ideal(2);
        for s in [Threads, Rayon] {
            set(&mut points, CpuBound, s, 2, |p| {
                p.cores_busy = Some(1.5);
                p.cores_busy_range = Some((1.45, 1.55))
            });
        }
        let e = evidence(&points, 2, 4);
        assert!(e.starts_with("impossible value, a failed measurement: cpu_bound/"), "{e}");
        // Within the intervals (1.5 cores busy, up to 2.05): noise, not impossible; C5 is decided.
        for s in [Threads, Rayon] {
            set(&mut points, CpuBound, s, 2, |p| p.cores_busy_range = Some((1.45, 2.05)));
        }
        assert_eq!(outcomes(&points, 2)[4], Outcome::Shown, "{}", evidence(&points, 2, 4));
    }

    #[test]
    fn the_defaults_leave_c5_a_margin_on_every_core_count() {
        // The largest default worker count is 2 x cores and the jobs allow it a speedup of at least 1.6 x
        // cores, so C5's 1.25 x cores does not need a near-ideal run.
        for cores in 1..=512 {
            let threads = crate::config::default_threads(cores);
            let n = *threads.iter().max().unwrap();
            let jobs = crate::config::default_jobs(IoBound, &threads);
            let reachable = jobs as f64 / jobs.div_ceil(n) as f64;
            assert_eq!(n, 2 * cores, "{cores} cores");
            assert!(reachable >= 1.6 * cores as f64, "{cores} cores: {reachable} with {jobs} jobs on {n}");
        }
    }

    #[test]
    fn missing_measurements_cannot_be_shown() {
        assert_eq!(outcomes(&[], 2), vec![Outcome::CannotBeShown; 6]);
        let no_cpu_time: Vec<Point> = ideal(2).into_iter().map(|p| Point { cores_busy: None, ..p }).collect();
        let v = outcomes(&no_cpu_time, 2);
        assert_eq!((v[0], v[2], v[4]), (Outcome::Shown, Outcome::CannotBeShown, Outcome::CannotBeShown));
    }

    /// net_bound's floors: one request alone takes a little longer than one sleep.
    const NET: f64 = 1.02;

    /// `points` with their io_bound points copied as net_bound (walls x [`NET`]), on net_bound's own floors.
    fn with_net(points: Vec<Point>) -> Vec<Point> {
        let floor = |wait, workers, wall_s| OneWait {
            workload: Some(NetBound),
            wait_ms: 10,
            wait,
            workers,
            wall_s,
            wall_range_s: None,
        };
        let floors = [
            floor(WaitKind::Blocking, 1, NET * FLOOR_BLOCKING),
            floor(WaitKind::Async, 1, NET * FLOOR_ASYNC),
            floor(WaitKind::Async, 2, NET * FLOOR_ASYNC),
            floor(WaitKind::Async, 4, NET * FLOOR_ASYNC),
        ];
        let net: Vec<Point> = points
            .iter()
            .filter(|p| p.workload == IoBound)
            .map(|p| {
                Point {
                    workload: NetBound,
                    wall_s: NET * p.wall_s,
                    one_wait_s: None,
                    one_wait_range_s: None,
                    ..p.clone()
                }
                .with_one_wait(&floors)
            })
            .collect();
        points.into_iter().chain(net).collect()
    }

    /// The net_bound verdict on `claim`, and the io_bound one.
    fn net_and_io(points: &[Point], claim: &str) -> (Verdict, Verdict) {
        let v = judged(points, Cores::flat(2));
        let of = |net: bool| {
            v.iter().find(|x| x.claim == claim && x.statement.contains(NET_LABEL) == net).unwrap().clone()
        };
        (of(true), of(false))
    }

    #[test]
    fn net_bound_verdicts_appear_only_with_net_bound_each_after_its_io_bound_one() {
        assert!(judged(&ideal(2), Cores::flat(2)).iter().all(|v| !v.statement.contains("net_bound")));
        let v = judged(&with_net(ideal(2)), Cores::flat(2));
        let claims: Vec<&str> = v.iter().map(|x| x.claim.as_str()).collect();
        assert_eq!(claims, ["C1", "C1", "C2", "C3", "C3", "C4", "C4", "C5", "C6"]);
        use Outcome::*;
        let outcomes: Vec<Outcome> = v.iter().map(|x| x.verdict).collect();
        assert_eq!(outcomes, [Shown; 9]);
        for i in [1, 4, 6] {
            assert!(v[i].statement.ends_with("(net_bound: loopback TCP)"), "{}", v[i].statement);
            let starts = if i == 6 { "net_bound, mostly waiting" } else { "net_bound async" };
            assert!(v[i].evidence.starts_with(starts), "{}", v[i].evidence);
        }
    }

    #[test]
    fn each_net_bound_verdict_fails_on_its_own() {
        let floor = NET * FLOOR_ASYNC;
        // C1: async/1 on net_bound takes 10 requests' time; io_bound's C1 and net_bound's C3 still hold.
        let mut points = with_net(ideal(2));
        set(&mut points, NetBound, Async, 1, |p| p.wall_s = 10.0 * floor);
        let (net, io) = net_and_io(&points, "C1");
        assert_eq!((net.verdict, io.verdict), (Outcome::NotShown, Outcome::Shown), "{}", net.evidence);
        assert_eq!(net_and_io(&points, "C3").0.verdict, Outcome::Shown);
        // C3: async on 4 workers burns the cores on net_bound only.
        let mut points = with_net(ideal(2));
        set(&mut points, NetBound, Async, 4, |p| p.cores_busy = Some(1.9));
        let (net, io) = net_and_io(&points, "C3");
        assert_eq!((net.verdict, io.verdict), (Outcome::NotShown, Outcome::Shown), "{}", net.evidence);
        assert_eq!(net_and_io(&points, "C1").0.verdict, Outcome::Shown);
        // C4: more workers on net_bound only are faster than one (1.5 requests' time on async_multi/1).
        let mut points = with_net(ideal(2));
        set(&mut points, NetBound, AsyncMulti, 1, |p| p.wall_s = 1.5 * floor);
        let (net, io) = net_and_io(&points, "C4");
        assert_eq!((net.verdict, io.verdict), (Outcome::NotShown, Outcome::Shown), "{}", net.evidence);
        // A busy net_bound loop: C4 cannot be shown there, and net_bound's boundary line follows its C4 line;
        // io_bound's C4 is still shown, with no boundary line.
        set(&mut points, NetBound, AsyncMulti, 1, |p| p.cores_busy = Some(0.8));
        let v = judged(&points, Cores::flat(2));
        let lines: Vec<(String, Outcome, bool)> = v
            .iter()
            .filter(|x| x.claim == "C4")
            .map(|x| (x.label(), x.verdict, x.statement.contains(NET_LABEL)))
            .collect();
        assert_eq!(
            lines,
            [
                ("C4 (part control)".to_string(), Outcome::Shown, false),
                ("C4 (part control)".to_string(), Outcome::CannotBeShown, true),
                ("C4 (boundary)".to_string(), Outcome::Shown, true),
            ],
            "{v:#?}"
        );
    }

    #[test]
    fn a_sleep_floor_never_serves_a_request_nor_the_reverse() {
        let sleep = OneWait {
            workload: None,
            wait_ms: 10,
            wait: WaitKind::Async,
            workers: 1,
            wall_s: 0.0111,
            wall_range_s: None,
        };
        let request = OneWait { workload: Some(NetBound), ..sleep.clone() };
        let p = |workload| Point { one_wait_s: None, ..pt(workload, Async, 1, 0.012, 0.01) };
        assert_eq!(p(NetBound).with_one_wait(std::slice::from_ref(&sleep)).one_wait_s, None);
        assert_eq!(p(IoBound).with_one_wait(std::slice::from_ref(&request)).one_wait_s, None);
        assert_eq!(p(NetBound).with_one_wait(&[sleep.clone(), request]).one_wait_s, Some(0.0111));
        assert_eq!(
            p(Mixed).with_one_wait(&[sleep]).one_wait_s,
            Some(0.0111),
            "a sleep floor serves every sleep"
        );
        // Without its own floor, net_bound's C1 says what it needs.
        let points: Vec<Point> = with_net(ideal(2))
            .into_iter()
            .map(|p| if p.workload == NetBound { Point { one_wait_s: None, ..p } } else { p })
            .collect();
        let (net, _) = net_and_io(&points, "C1");
        assert_eq!(net.verdict, Outcome::CannotBeShown);
        assert!(net.evidence.contains("one async request of net_bound measured alone"), "{}", net.evidence);
    }

    #[test]
    fn two_jobs_are_enough_to_overlap_and_one_is_not() {
        let jobs = |n: usize| -> Vec<Point> {
            ideal(2)
                .into_iter()
                .map(|p| if p.workload == IoBound { Point { jobs: n, ..p } } else { p })
                .collect()
        };
        let v = judged(&jobs(2), Cores::flat(2));
        for i in [0, 2, 3] {
            assert_eq!(v[i].verdict, Outcome::Shown, "{}: {}", v[i].claim, v[i].evidence);
        }
        let v = judged(&jobs(1), Cores::flat(2));
        for i in [0, 2, 3] {
            assert_eq!(v[i].verdict, Outcome::CannotBeShown, "{}: {}", v[i].claim, v[i].evidence);
            assert_eq!(v[i].evidence, "io_bound has 1 job: overlapping waits needs at least 2");
        }
    }

    #[test]
    fn a_missing_floor_names_the_runtime_it_must_be_measured_on() {
        let points: Vec<Point> = ideal(2)
            .into_iter()
            .map(|p| {
                if p.workload == IoBound && p.strategy == Async { Point { one_wait_s: None, ..p } } else { p }
            })
            .collect();
        let v = judged(&points, Cores::flat(2));
        assert_eq!((v[0].verdict, v[2].verdict), (Outcome::CannotBeShown, Outcome::CannotBeShown));
        assert!(
            v[0].evidence.starts_with(
                "needs one async wait of io_bound measured alone on tokio's current-thread runtime, the runtime \
                 of io_bound/async/1"
            ),
            "C1: {}",
            v[0].evidence
        );
        assert!(
            v[2].evidence.starts_with(
                "needs one async wait of io_bound measured alone on the multi-thread runtime of 4 workers, the \
                 runtime of io_bound/async/4"
            ),
            "C3: {}",
            v[2].evidence
        );
    }

    #[test]
    fn a_wall_that_ends_where_the_floor_begins_is_possible() {
        // async/1's wall may be as short as one wait alone, and no shorter: every job waits at least one wait,
        // so it is a measurement, and C1 is decided on it.
        let mut points = known(&ideal(2));
        set(&mut points, IoBound, Async, 1, |p| {
            p.wall_s = FLOOR_ASYNC;
            p.wall_range_s = Some((0.99 * FLOOR_ASYNC, FLOOR_ASYNC));
            p.one_wait_range_s = Some((FLOOR_ASYNC, 1.01 * FLOOR_ASYNC));
        });
        let v = verdicts(&points, Cores::flat(2));
        assert_eq!(v[0].verdict, Outcome::Shown, "{}", v[0].evidence);
        // A wall that ends below where the floor begins is not.
        set(&mut points, IoBound, Async, 1, |p| {
            p.wall_s = 0.99 * FLOOR_ASYNC;
            p.wall_range_s = Some((0.98 * FLOOR_ASYNC, 0.999 * FLOOR_ASYNC))
        });
        let v = verdicts(&points, Cores::flat(2));
        assert!(v[0].evidence.starts_with("impossible value"), "{}", v[0].evidence);
    }

    #[test]
    fn c2_needs_sequential_a_count_within_the_cores_and_one_beyond_them() {
        let without = |points: Vec<Point>, drop: &dyn Fn(&Point) -> bool| -> Verdict {
            let kept: Vec<Point> =
                points.into_iter().filter(|p| !(p.workload == CpuBound && drop(p))).collect();
            judged(&kept, Cores::flat(2)).swap_remove(1)
        };
        let needs = "needs cpu_bound sequential, and threads or rayon at 2 workers and at more than 2";
        for (what, drop) in [
            ("nothing beyond the cores", &(|p: &Point| p.workers == 4) as &dyn Fn(&Point) -> bool),
            ("nothing within the cores", &|p: &Point| p.workers == 2),
            ("no sequential", &|p: &Point| p.strategy == Sequential),
        ] {
            let v = without(ideal(2), drop);
            assert_eq!((v.verdict, v.evidence.as_str()), (Outcome::CannotBeShown, needs), "{what}");
        }
        // On 4 cores the counts within them are 2 to 4, and the sweep (1, 2, 4) has none beyond.
        let v = judged(&ideal(4), Cores::flat(4)).swap_remove(1);
        assert_eq!(v.verdict, Outcome::CannotBeShown);
        assert_eq!(
            v.evidence,
            "needs cpu_bound sequential, and threads or rayon at 2 to 4 workers and at more than 4"
        );
    }

    #[test]
    fn c2_is_not_shown_when_more_workers_than_cores_beat_the_cores() {
        // 3x at 4 workers on 2 cores, above 1.15 x 2: no code computes on more cores than it has, so the
        // measurement failed, and C2's control part says so.
        let mut points = ideal(2);
        for s in [Threads, Rayon] {
            set(&mut points, CpuBound, s, 4, |p| p.wall_s = 0.4 / 3.0);
        }
        let v = judged(&points, Cores::flat(2));
        assert_eq!(v[1].verdict, Outcome::NotShown, "{}", v[1].evidence);
        assert!(
            v[1].headline.starts_with("speedup 3.00 [2.99 to 3.01]x at N=4 (<= 2.3)"),
            "{}",
            v[1].headline
        );
        assert!(
            v[1].evidence.contains("up to 2 cores, <= 1.15 x 2 beyond 2"),
            "no SMT named: {}",
            v[1].evidence
        );
    }

    #[test]
    fn c5_needs_io_bound_threads_above_the_cores_and_enough_jobs_to_beat_them() {
        // A sweep that stops at the cores: nothing above them to judge.
        let points: Vec<Point> =
            ideal(2).into_iter().filter(|p| !(p.workload == IoBound && p.workers > 2)).collect();
        let e = evidence(&points, 2, 4);
        assert_eq!(e, "needs io_bound threads or rayon above the 2 usable cores");
        // 10 jobs on 8 threads take two waits in a row: at best 5x, which is 1.25 x 4 cores and not above it,
        // so C5 cannot be shown however the run went.
        let points = [ideal_io(4, Some(10)), ideal_hashing(4)].concat();
        let e = evidence(&points, 4, 4);
        assert!(
            e.starts_with(
                "io_bound has 10 jobs: at 8 workers the best possible speedup is 5.00x, not above 1.25 x 4"
            ),
            "{e}"
        );
    }

    #[test]
    fn c5_needs_cpu_chain_s_own_sequential() {
        let points: Vec<Point> =
            ideal(2).into_iter().filter(|p| !(p.workload == CpuChain && p.strategy == Sequential)).collect();
        let v = judged(&points, Cores::flat(2));
        assert_eq!(v[4].verdict, Outcome::CannotBeShown, "{}", v[4].evidence);
        assert!(v[4].evidence.starts_with("needs cpu_chain sequential"), "{}", v[4].evidence);
    }

    #[test]
    fn a_cpu_bound_speedup_equal_to_the_cores_it_kept_busy_is_possible() {
        // 2x on 2 cores busy against sequential's 1, every interval without width: the speedup reaches the
        // bound and does not pass it, so C5 is decided.
        let mut points = known(&ideal(2));
        let exact = |p: &mut Point| p.wall_range_s = Some((p.wall_s, p.wall_s));
        set(&mut points, CpuBound, Sequential, 1, exact);
        for s in [Threads, Rayon] {
            set(&mut points, CpuBound, s, 2, exact);
        }
        let v = verdicts(&points, Cores::flat(2));
        assert_eq!(v[4].verdict, Outcome::Shown, "{}", v[4].evidence);
        assert!(v[4].evidence.contains("at N=2: 2.00x ("), "{}", v[4].evidence);
    }
}
