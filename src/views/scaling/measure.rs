//! `cvp run`'s sweep: every workload x strategy x worker count, plus one job's wait measured alone (the
//! one-wait floor of each kind of wait), each checked once, then timed in rounds.
//!
//! `net_bound`'s requests go to a service this sweep starts, a child process ([`crate::workload::net::Server`]), before
//! anything is timed, and stops at the end. Its CPU clock is read right before and after each timed
//! `net_bound` run: the service's share of the run, never counted in the client's cores busy (the client's
//! CPU time is this process's own clock, which does not count children). Each `net_bound` configuration is
//! also run at W = 0 against a second service that replies at once, in the same rounds: what the socket
//! alone costs. Its one-request floors (blocking on `sequential`, async on `async/1`) are measured apart
//! from the sleep floors and only ever serve `net_bound`.
//!
//! Every pool and runtime is built once, before anything is timed, and reused. Each configuration first runs
//! once untimed (a warm-up whose digest is checked against the expected one). Then come `repeat` rounds; each
//! round runs every configuration once, in a freshly shuffled order, so a machine that drifts (frequency,
//! other load) spreads its drift over all configurations instead of biasing the ones measured last, and
//! `sequential`, the baseline of every speedup, is measured among them. The one-wait floors are items of
//! the same rounds, each on the runtime of the rows it divides. A configuration no verdict reads takes
//! part in the first [`super::OTHER_REPEAT`] rounds only ([`Plan::repeat_of`]). The median of the rounds
//! is kept (the mean of the middle two for an even count), with its 95% interval
//! ([`crate::claims::median_ci`], none below 6 rounds) and the fastest and slowest round beside it. A short
//! pause before each timed run lets the threads of the previous configuration go idle, so their CPU time
//! is not counted in the next one.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Plan, Run};
use crate::measure::{self, Sample};
use crate::scaling::Point;
use crate::scaling::{self, OneWait};
use crate::strategy::{RunError, Strategy, StrategyKind};
use crate::workload::net::Server;
use crate::workload::{Digest, WaitKind, Workload, WorkloadKind};

/// Pause before each timed run, so the previous configuration's threads are asleep.
const SETTLE: Duration = Duration::from_millis(2);

/// What a sweep measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// One entry per configuration, in plan order.
    pub runs: Vec<Run>,
    /// One job's wait alone, per kind of wait (empty when no workload waits).
    pub one_wait: Vec<OneWait>,
}

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A strategy computed the wrong digest: a bug, never a result.
    #[error("{label} computed digest {got}, expected {expected}: a wrong answer is not timed")]
    WrongDigest {
        /// `<workload>/<strategy>/<workers>`.
        label: String,
        /// What it computed.
        got: String,
        /// What every strategy must compute.
        expected: String,
    },
    /// A pool or runtime could not be built.
    #[error("building {strategy} with {workers} workers: {cause}")]
    Build {
        /// Strategy.
        strategy: StrategyKind,
        /// Workers.
        workers: usize,
        /// The cause (shown in the message, so not also a `source`).
        cause: std::io::Error,
    },
    /// The `net_bound` service could not be started or read.
    #[error("the net_bound service: {0}")]
    Service(std::io::Error),
    /// A run could not finish (a thread the OS refused, a job that died).
    #[error("running {label}: {cause}")]
    Run {
        /// `<workload>/<strategy>/<workers>`.
        label: String,
        /// The cause (shown in the message, so not also a `source`).
        cause: RunError,
    },
}

/// What an item of the sweep is for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    /// A configuration of the plan.
    Config,
    /// One job's wait alone, serving the workload named (`None`: every sleeping one).
    OneWait(Option<WorkloadKind>),
    /// A `net_bound` configuration (its index among the items) run at W = 0.
    SocketOnly(usize),
}

/// One thing the sweep times: a configuration, one job's wait alone, or a configuration at W = 0.
struct Item {
    label: String,
    role: Role,
    strategy: StrategyKind,
    workers: usize,
    workload: Workload,
    expected: Digest,
    /// What the strategy computed in the warm-up (it equals `expected`, or the sweep stopped): what the
    /// run file records, so a test comparing strategies compares what they computed.
    computed: Option<Digest>,
    /// The service whose CPU clock is read around each timed run (an index into the services).
    server: Option<usize>,
    /// Timed rounds it takes part in (the first ones).
    repeat: usize,
    samples: Vec<Sample>,
    server_cpu: Vec<Duration>,
}

/// How many times an item due `repeat` times in all, `done` of them already, runs in the next of `rounds`
/// rounds: its share of every round (`repeat / rounds`, rounded up), or what is left of it.
fn due_in_round(repeat: usize, done: usize, rounds: usize) -> usize {
    repeat.saturating_sub(done).min(repeat.div_ceil(rounds.max(1)))
}

/// The true median (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The median of counts (the lower middle one for an even number; `None` for none).
fn median_u64(values: impl Iterator<Item = u64>) -> Option<u64> {
    let mut v: Vec<u64> = values.collect();
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).copied()
}

/// The smallest and largest value.
fn min_max(values: &[f64]) -> (f64, f64) {
    (values.iter().copied().fold(f64::INFINITY, f64::min), values.iter().copied().fold(0.0, f64::max))
}

/// The 95% interval of the median of `values` ([`crate::claims::median_ci`]; none below 6 values).
fn ci(values: &[f64]) -> Option<(f64, f64)> {
    crate::claims::median_ci(values).map(|(range, _)| range)
}

/// A small xorshift generator for the round order (no need for cryptographic quality).
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Runs the plan, starting this executable as the `net_bound` service when the plan has it (see
/// [`run_with_service`]). `progress` is called before each run (warm-ups included) with its label.
pub fn run(plan: &Plan, progress: impl FnMut(&str)) -> Result<Sweep, SweepError> {
    run_with_service(plan, std::path::Path::new("/proc/self/exe"), progress)
}

/// Runs the plan; `net_bound`'s service is `exe` (a binary that calls [`crate::workload::net::serve_if_child`] first,
/// such as `cvp`), started twice before anything is timed (once replying after the plan's wait, once at
/// once for the W = 0 runs) and stopped at the end. `progress` is called before each run with its label.
pub fn run_with_service(
    plan: &Plan,
    exe: &std::path::Path,
    mut progress: impl FnMut(&str),
) -> Result<Sweep, SweepError> {
    let mut services: Vec<Server> = Vec::new();
    if plan.has_net() {
        // Room for every connection of a net_bound run in the service's descriptor table and in this
        // process's, made before anything runs, as `cvp scale --io socket` makes it in its service and in
        // each child ([`crate::workload::net::reserve_descriptors`]).
        let jobs = plan.workload(WorkloadKind::NetBound).jobs;
        crate::workload::net::raise_fd_limit();
        let _ = crate::workload::net::reserve_descriptors(jobs);
        let wait = Duration::from_millis(plan.wait_ms);
        services.push(Server::start_holding(exe, wait, jobs).map_err(SweepError::Service)?);
        if !plan.socket_only().is_empty() {
            services.push(Server::start_holding(exe, Duration::ZERO, jobs).map_err(SweepError::Service)?);
        }
    }
    // Each workload's expected digest once: it costs a whole sequential pass of its hashing.
    let mut digests: Vec<(Workload, Digest)> = Vec::new();
    let mut item = |label, role, strategy, workers, workload: Workload, server, repeat| {
        let expected = match digests.iter().find(|(w, _)| *w == workload) {
            Some(&(_, d)) => d,
            None => {
                let d = workload.expected_digest();
                digests.push((workload, d));
                d
            }
        };
        Item {
            label,
            role,
            strategy,
            workers,
            workload,
            expected,
            computed: None,
            server,
            repeat,
            samples: Vec::new(),
            server_cpu: Vec::new(),
        }
    };
    let mut items = Vec::new();
    for (kind, strategy, workers) in plan.configurations() {
        let mut workload = plan.workload(kind);
        let server = kind.is_net().then_some(0);
        if let Some(s) = server {
            workload = workload.on(&services[s]);
        }
        let label = format!("{kind}/{strategy}/{workers}");
        let repeat = plan.repeat_of(kind, strategy, workers);
        items.push(item(label, Role::Config, strategy, workers, workload, server, repeat));
    }
    let configurations = items.len();
    for i in 0..configurations {
        if items[i].workload.kind.is_net() && services.len() > 1 {
            let (strategy, workers) = (items[i].strategy, items[i].workers);
            let workload = items[i].workload.on(&services[1]);
            let label = format!("{} at W=0", items[i].label);
            let repeat = plan.repeat.clamp(1, super::OTHER_REPEAT);
            items.push(item(label, Role::SocketOnly(i), strategy, workers, workload, Some(1), repeat));
        }
    }
    for (serves, kind, workers) in plan.one_waits() {
        let strategy = match kind {
            WaitKind::Blocking => StrategyKind::Sequential,
            WaitKind::Async => StrategyKind::Async,
        };
        let at =
            if strategy == StrategyKind::Async { format!("async/{workers}") } else { "sequential".into() };
        let (label, workload, server) = match serves {
            Some(w) if w.is_net() => (
                format!("one {kind} request ({at}, 1 job)"),
                Workload::new(w, 1, Duration::ZERO, 0).on(&services[0]),
                Some(0),
            ),
            _ => (
                format!("one {kind} wait ({at}, 1 job)"),
                Workload::new(WorkloadKind::IoBound, 1, Duration::from_millis(plan.wait_ms), 0),
                None,
            ),
        };
        items.push(item(
            label,
            Role::OneWait(serves),
            strategy,
            workers,
            workload,
            server,
            plan.floor_repeat(),
        ));
    }
    // Every pool and runtime, built once and shared by all workloads (none of them is timed).
    let mut built: BTreeMap<(StrategyKind, usize), Box<dyn Strategy>> = BTreeMap::new();
    for item in &items {
        if let std::collections::btree_map::Entry::Vacant(slot) = built.entry((item.strategy, item.workers)) {
            let s = item.strategy.build(item.workers).map_err(|cause| SweepError::Build {
                strategy: item.strategy,
                workers: item.workers,
                cause,
            })?;
            slot.insert(s);
        }
    }
    // The service's CPU clock is read right outside the client's measurement: the same window, give or
    // take two clock reads.
    let server_cpu = |item: &Item| -> Result<Option<Duration>, SweepError> {
        item.server.map(|s| services[s].cpu_time().map_err(SweepError::Service)).transpose()
    };
    let run_once = |item: &Item| -> Result<(Digest, Sample, Option<Duration>), SweepError> {
        let strategy = &built[&(item.strategy, item.workers)];
        let before = server_cpu(item)?;
        let (got, sample) = measure::measure(|| strategy.run(&item.workload));
        let after = server_cpu(item)?;
        let got = got.map_err(|cause| SweepError::Run { label: item.label.clone(), cause })?;
        Ok((got, sample, before.zip(after).map(|(b, a)| a.saturating_sub(b))))
    };
    for item in items.iter_mut() {
        progress(&format!("warm-up {}", item.label));
        let (got, _, _) = run_once(item)?;
        if got != item.expected {
            return Err(SweepError::WrongDigest {
                label: item.label.clone(),
                got: got.to_hex(),
                expected: item.expected.to_hex(),
            });
        }
        item.computed = Some(got);
    }
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos());
    let mut rng = Shuffle((seed as u64) | 1);
    // `plan.repeat` rounds; an item due more times than that (a wait-long row, `WAIT_ROW_REPEAT` x) runs that
    // many times in every round, its runs shuffled among the others: each row's samples span the whole sweep,
    // so no row is timed only in a quieter stretch at the end. An item due fewer times runs in the first
    // rounds.
    let rounds = plan.repeat.max(1);
    for round in 0..rounds {
        let mut order: Vec<usize> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            order.extend(std::iter::repeat_n(i, due_in_round(item.repeat, item.samples.len(), rounds)));
        }
        rng.shuffle(&mut order);
        for &i in &order {
            progress(&format!(
                "round {}/{} {} ({} of {})",
                round + 1,
                rounds,
                items[i].label,
                items[i].samples.len() + 1,
                items[i].repeat
            ));
            std::thread::sleep(SETTLE);
            let (got, sample, served) = run_once(&items[i])?;
            if got != items[i].expected {
                return Err(SweepError::WrongDigest {
                    label: items[i].label.clone(),
                    got: got.to_hex(),
                    expected: items[i].expected.to_hex(),
                });
            }
            items[i].samples.push(sample);
            items[i].server_cpu.extend(served);
        }
    }
    for service in services {
        service.stop().map_err(SweepError::Service)?;
    }
    let walls = |item: &Item| item.samples.iter().map(|s| s.wall.as_secs_f64()).collect::<Vec<_>>();
    let one_wait: Vec<OneWait> = items
        .iter()
        .filter_map(|item| match item.role {
            Role::OneWait(serves) => Some((item, serves)),
            _ => None,
        })
        .map(|(item, serves)| {
            let w = walls(item);
            OneWait {
                workload: serves,
                wait_ms: plan.wait_ms,
                wait: item.strategy.wait_kind(),
                workers: item.workers,
                wall_s: median(&w),
                wall_range_s: ci(&w),
            }
        })
        .collect();
    let mut runs: Vec<Run> = items[..configurations]
        .iter()
        .map(|item| {
            let w = walls(item);
            let wall_s = median(&w);
            let cpus: Vec<f64> = item.samples.iter().map(|s| s.cpu.as_secs_f64()).collect();
            let cpu_s = median(&cpus);
            // Each round's total of both kinds of switch, then their median and its interval.
            let switches: Vec<f64> =
                item.samples.iter().map(|s| (s.switches.voluntary + s.switches.involuntary) as f64).collect();
            // Cores busy of each round, then their median: CPU and wall of the same round go together.
            let busies: Vec<f64> = item.samples.iter().map(Sample::cores_busy).collect();
            let busy = median(&busies);
            let (wall_min_s, wall_max_s) = min_max(&w);
            Run {
                workload: item.workload.kind,
                strategy: item.strategy,
                workers: item.workers,
                jobs: item.workload.jobs,
                wait_ms: item.workload.wait.as_millis() as u64,
                rounds: item.workload.rounds,
                wall_s,
                wall_min_s,
                wall_max_s,
                cpu_s,
                cpu_ci_s: ci(&cpus),
                speedup: 0.0,
                cores_busy: busy,
                cores_busy_range: Some(min_max(&busies)),
                wall_ci_s: ci(&w),
                cores_busy_ci: ci(&busies),
                repeats: item.samples.len(),
                in_flight: 0.0,
                voluntary_switches: median_u64(item.samples.iter().map(|s| s.switches.voluntary)),
                involuntary_switches: median_u64(item.samples.iter().map(|s| s.switches.involuntary)),
                switches: (!switches.is_empty()).then(|| median(&switches)),
                switches_ci: ci(&switches),
                digest: item.computed.map_or_else(String::new, |d| d.to_hex()),
                server_cpu_s: None,
                server_cores_busy: None,
                socket_only_s: None,
            }
        })
        .collect();
    for (i, item) in items[..configurations].iter().enumerate() {
        if item.server.is_none() || item.server_cpu.len() != item.samples.len() {
            continue;
        }
        let cpu: Vec<f64> = item.server_cpu.iter().map(Duration::as_secs_f64).collect();
        let busy: Vec<f64> =
            item.server_cpu.iter().zip(&item.samples).map(|(c, s)| measure::cores_busy(*c, s.wall)).collect();
        runs[i].server_cpu_s = Some(median(&cpu));
        runs[i].server_cores_busy = Some(median(&busy));
        runs[i].socket_only_s = if plan.wait_ms == 0 {
            Some(runs[i].wall_s)
        } else {
            items.iter().find(|x| x.role == Role::SocketOnly(i)).map(|x| median(&walls(x)))
        };
    }
    let points: Vec<Point> = runs.iter().map(|r| r.point(&one_wait)).collect();
    for (run, point) in runs.iter_mut().zip(&points) {
        run.speedup = scaling::speedup(&points, point).unwrap_or(0.0);
        run.in_flight = if run.wait_ms == 0 { 0.0 } else { point.in_flight() };
    }
    Ok(Sweep { runs, one_wait })
}

#[cfg(test)]
mod tests {
    use super::super::OTHER_REPEAT;
    use super::*;

    fn plan() -> Plan {
        Plan {
            workloads: vec![WorkloadKind::IoBound],
            strategies: vec![StrategyKind::Async, StrategyKind::ThreadPerJob],
            threads: vec![1, 3],
            jobs: Some(5),
            rounds: 1,
            wait_ms: 1,
            repeat: 2,
        }
    }

    #[test]
    fn sequential_always_comes_first() {
        let c = plan().configurations();
        assert_eq!(c[0], (WorkloadKind::IoBound, StrategyKind::Sequential, 1));
        assert_eq!(c.len(), 5);
        assert!(c.contains(&(WorkloadKind::IoBound, StrategyKind::ThreadPerJob, 5)));
    }

    #[test]
    fn async_multi_joins_async_on_the_waiting_workloads_only() {
        use StrategyKind::*;
        use WorkloadKind::*;
        let mut p = plan();
        p.workloads = vec![CpuBound, IoBound, Mixed, NetBound];
        let multi: Vec<(WorkloadKind, StrategyKind, usize)> =
            p.configurations().into_iter().filter(|c| c.1 == AsyncMulti).collect();
        assert_eq!(multi, [(IoBound, AsyncMulti, 1), (NetBound, AsyncMulti, 1)]);
        // Right after async's rows, C4's baseline beside what it is compared with.
        let io: Vec<(StrategyKind, usize)> =
            p.configurations().into_iter().filter(|c| c.0 == IoBound).map(|c| (c.1, c.2)).collect();
        assert_eq!(io, [(Sequential, 1), (Async, 1), (Async, 3), (AsyncMulti, 1), (ThreadPerJob, 5)]);
        // Listed too (the default list has every strategy): still once.
        p.strategies = StrategyKind::ALL.to_vec();
        assert_eq!(p.configurations().iter().filter(|c| c.1 == AsyncMulti).count(), 2);
        // Without async, only where it is listed.
        p.strategies = vec![Threads];
        assert!(p.configurations().iter().all(|c| c.1 != AsyncMulti));
        p.strategies = vec![AsyncMulti];
        assert_eq!(p.configurations().iter().filter(|c| c.1 == AsyncMulti).count(), 2);
        // The rows C4 reads take every round, 5 x --repeat, as the other async rows a wait long each.
        p.repeat = 9;
        let wait_rows = 9 * super::super::WAIT_ROW_REPEAT;
        assert_eq!(
            (p.repeat_of(IoBound, AsyncMulti, 1), p.repeat_of(NetBound, AsyncMulti, 1)),
            (wait_rows, wait_rows)
        );
    }

    #[test]
    fn net_bound_gets_its_own_floors_and_a_run_at_w_0_per_configuration() {
        let mut p = plan();
        // Async floors on each runtime async runs on: current-thread (1) and multi-thread (3).
        let sleeps =
            vec![(None, WaitKind::Blocking, 1), (None, WaitKind::Async, 1), (None, WaitKind::Async, 3)];
        assert_eq!(p.one_waits(), sleeps);
        assert!(!p.has_net() && p.socket_only().is_empty());
        p.workloads.push(WorkloadKind::NetBound);
        let net = Some(WorkloadKind::NetBound);
        let mut both = sleeps.clone();
        both.extend([(net, WaitKind::Blocking, 1), (net, WaitKind::Async, 1), (net, WaitKind::Async, 3)]);
        assert_eq!(p.one_waits(), both);
        assert_eq!(p.socket_only().len(), 5, "every net_bound configuration again at W = 0");
        // A warm-up each, then 2 rounds of io_bound sequential, of the 6 async rows a verdict reads (async at
        // 1 and 3 and async_multi/1 on both) and of the 6 floors (2 rounds give no interval: no 5 x), and
        // OTHER_REPEAT of the 3 other rows and of the 5 at W = 0.
        let wait_rows = 2;
        assert_eq!(p.floor_repeat(), wait_rows);
        assert_eq!(p.total_runs(), 3 + (6 + 6) * (1 + wait_rows) + (3 + 5) * (1 + OTHER_REPEAT));
        // net_bound alone: no sleep floors; at W = 0 already, no second pass.
        p.workloads = vec![WorkloadKind::NetBound];
        assert_eq!(p.one_waits().len(), 3);
        p.wait_ms = 0;
        assert!(p.one_waits().is_empty() && p.socket_only().is_empty());
    }

    #[test]
    fn rows_a_verdict_reads_get_every_round_the_others_at_most_other_repeat() {
        let mut p = plan();
        p.repeat = 9;
        p.workloads = WorkloadKind::ALL.to_vec();
        p.strategies = StrategyKind::ALL.to_vec();
        p.threads = vec![1, 2, 4];
        use StrategyKind::*;
        use WorkloadKind::*;
        for (w, s, n) in [
            (CpuBound, Sequential, 1),
            (CpuBound, Async, 1),
            (CpuBound, Threads, 2),
            (CpuBound, Rayon, 4),
            (IoBound, Sequential, 1),
            (IoBound, Async, 1),
            (IoBound, Async, 4),
            (IoBound, Threads, 4),
            (NetBound, Async, 2),
            (CpuChain, Sequential, 1),
            (CpuChain, Threads, 2),
            (CpuChain, Rayon, 4),
        ] {
            let wait_row = s == Async && matches!(w, IoBound | NetBound);
            let want = if wait_row { 9 * super::super::WAIT_ROW_REPEAT } else { 9 };
            assert_eq!(p.repeat_of(w, s, n), want, "{w}/{s}/{n} decides a claim");
        }
        for (w, s, n) in [
            (Mixed, Sequential, 1),
            (CpuBound, Async, 2),
            (IoBound, Threads, 2),
            (NetBound, Threads, 4),
            (CpuChain, Rayon, 1),
        ] {
            assert_eq!(p.repeat_of(w, s, n), OTHER_REPEAT, "{w}/{s}/{n} is only shown");
        }
    }

    #[test]
    fn cpu_chain_is_swept_under_sequential_threads_and_rayon_only_as_one_job() {
        let mut p = plan();
        p.workloads = WorkloadKind::ALL.to_vec();
        p.strategies = StrategyKind::ALL.to_vec();
        p.threads = vec![1, 2, 4];
        let chain: Vec<(StrategyKind, usize)> = p
            .configurations()
            .into_iter()
            .filter(|c| c.0 == WorkloadKind::CpuChain)
            .map(|(_, s, n)| (s, n))
            .collect();
        use StrategyKind::*;
        let want =
            [(Sequential, 1), (Threads, 1), (Threads, 2), (Threads, 4), (Rayon, 1), (Rayon, 2), (Rayon, 4)];
        assert_eq!(chain, want);
        let (cpu, one) = (p.workload(WorkloadKind::CpuBound), p.workload(WorkloadKind::CpuChain));
        assert_eq!((one.jobs, one.rounds), (1, cpu.rounds * cpu.jobs as u32));
    }

    #[test]
    fn median_is_the_true_median() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5, "even count: mean of the middle two");
        assert_eq!(median(&[5.0]), 5.0);
    }

    #[test]
    fn shuffled_rounds_visit_every_item_once() {
        let mut rng = Shuffle(12345);
        let mut v: Vec<usize> = (0..20).collect();
        rng.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
        assert_ne!(v, sorted, "a shuffle of 20 items that changes nothing is all but impossible");
    }

    #[test]
    fn a_row_due_more_often_runs_in_every_round_not_after_the_others() {
        // 30 runs over 6 rounds: 5 in each, none left for a quieter stretch at the end.
        let mut done = 0;
        for _ in 0..6 {
            let due = due_in_round(30, done, 6);
            assert_eq!(due, 5);
            done += due;
        }
        assert_eq!(due_in_round(30, done, 6), 0);
        // 6 runs: one a round; 1 run: the first round only.
        assert_eq!((0..6).map(|r| due_in_round(6, r, 6)).collect::<Vec<_>>(), [1; 6]);
        assert_eq!((due_in_round(1, 0, 6), due_in_round(1, 1, 6)), (1, 0));
    }

    #[test]
    fn a_sweep_measures_the_one_wait_floors_and_every_round() {
        let sweep = run(&plan(), |_| {}).unwrap();
        assert_eq!(sweep.runs.len(), 5);
        let kinds: Vec<(WaitKind, usize)> = sweep.one_wait.iter().map(|w| (w.wait, w.workers)).collect();
        assert_eq!(kinds, [(WaitKind::Blocking, 1), (WaitKind::Async, 1), (WaitKind::Async, 3)]);
        for w in &sweep.one_wait {
            assert!(w.wall_s >= 0.001, "a 1 ms wait cannot take less: {w:?}");
        }
        for r in &sweep.runs {
            assert!(r.wall_min_s <= r.wall_s && r.wall_s <= r.wall_max_s, "{r:?}");
            assert_eq!(r.repeats, plan().repeat_of(r.workload, r.strategy, r.workers), "{r:?}");
            if r.repeats < crate::claims::MIN_SAMPLES_FOR_CI {
                assert_eq!(r.wall_ci_s, None, "under 6 rounds: no 95% interval");
                assert_eq!((r.cpu_ci_s, r.switches_ci), (None, None), "nor of CPU time and switches");
            } else {
                assert!(r.wall_ci_s.is_some() && r.cpu_ci_s.is_some(), "5 x 2 rounds of an async row: {r:?}");
            }
            assert!(r.switches.is_some(), "{r:?}");
            assert!(r.in_flight > 0.0);
        }
    }

    #[test]
    fn six_rounds_give_cpu_time_and_switches_their_intervals() {
        let p = Plan { strategies: vec![StrategyKind::Async], threads: vec![1, 2], repeat: 6, ..plan() };
        let sweep = run(&p, |_| {}).unwrap();
        let multi =
            sweep.runs.iter().find(|r| r.strategy == StrategyKind::AsyncMulti).expect("C4's baseline");
        for r in sweep.runs.iter().filter(|r| r.repeats >= 6) {
            let (lo, hi) = r.cpu_ci_s.expect("an interval of the CPU time");
            assert!(lo <= r.cpu_s && r.cpu_s <= hi, "{r:?}");
            let (lo, hi) = r.switches_ci.expect("an interval of the switches");
            let mid = r.switches.unwrap();
            assert!(lo <= mid && mid <= hi, "{r:?}");
        }
        assert_eq!(multi.repeats, 6 * super::super::WAIT_ROW_REPEAT, "C4 reads it, a wait long a round");
    }
}
