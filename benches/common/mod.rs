//! Shared setup of the benches: `CVP_*` -> config, `CVP_PROFILE` -> criterion settings, one criterion group
//! per workload with one line per strategy across worker counts, the reference benchmarks, and the record
//! left beside every baseline criterion writes.
//!
//! What is timed here: `Strategy::run` on an already-built strategy, nothing else (the server bench's
//! timing is its own, in `benches/server.rs`). Building pools and runtimes and the check of the digest
//! against the expected one happen before criterion starts timing. After each benchmark,
//! `cvp-record.json` (size, machine, profile, `CVP_*`, arguments, and the hash of the estimates it
//! describes) is written into each baseline folder that benchmark's run wrote; `cvp report` refuses data
//! without a matching record.

mod args;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::exit;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{AxisScale, BenchmarkGroup, BenchmarkId, Criterion, PlotConfiguration, SamplingMode};
use cvp::config::Profile;
use cvp::machine::Machine;
use cvp::report::{self, BenchRecord, BenchSize, WorkloadSize};
use cvp::workload::WaitKind;
use cvp::{Config, StrategyKind, Workload, WorkloadKind};

/// The config from `CVP_*`; a bad value ends the process with status 2 and one line, before anything runs.
pub fn config() -> Config {
    let available = std::thread::available_parallelism().map_or(1, |n| n.get());
    Config::from_env(available).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        exit(2)
    })
}

/// criterion with the profile's warm-up and sample size; command-line flags still override them.
pub fn criterion(config: &Config) -> Criterion {
    Criterion::default()
        .warm_up_time(config.profile.warm_up())
        .measurement_time(config.profile.measurement())
        .sample_size(config.profile.sample_size())
        .nresamples(config.profile.resamples())
        .configure_from_args()
}

/// What every benchmark of this process shares: the criterion arguments the benches honour themselves (the
/// filter, `--sample-size`, `--measurement-time`), and what the records need: where criterion writes, the
/// machine, the profile, the `CVP_*` values and the arguments.
pub struct Recorder {
    criterion_args: args::BenchArgs,
    invocation: String,
    started_unix_s: u64,
    home: PathBuf,
    bench: String,
    machine: Machine,
    profile: String,
    env: BTreeMap<String, String>,
    args: Vec<String>,
    /// `--load-baseline` re-analyses old samples: nothing is measured, so nothing is recorded.
    enabled: bool,
    /// Whether criterion will measure and save (not `--test`, `--list`, `--profile-time`,
    /// `--discard-baseline`).
    measuring: bool,
}

impl Recorder {
    /// Reads the machine, the `CVP_*` values and the arguments once. Call it before [`criterion`]: a bad
    /// filter or `--sample-size` then ends the process with status 2 and one line, not criterion's panic.
    pub fn new(config: &Config) -> Recorder {
        let mut argv = std::env::args();
        // cargo names the executable `<target>-<hash>`.
        let exe = argv.next().unwrap_or_default();
        let stem = std::path::Path::new(&exe)
            .file_stem()
            .map_or(String::new(), |s| s.to_string_lossy().into_owned());
        let bench = stem
            .rsplit_once('-')
            .filter(|(_, h)| h.chars().all(|c| c.is_ascii_hexdigit()))
            .map_or(stem.clone(), |(t, _)| t.to_string());
        let args: Vec<String> = argv.collect();
        let parsed = args::BenchArgs::parse(&args).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            exit(2)
        });
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Recorder {
            criterion_args: parsed,
            invocation: format!("{}-{}", std::process::id(), now.as_nanos()),
            started_unix_s: now.as_secs(),
            home: report::criterion_home(),
            bench,
            machine: Machine::detect(),
            profile: config.profile.as_str().into(),
            env: cvp::config::VARIABLES
                .iter()
                .filter_map(|&k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
                .collect(),
            enabled: !args.iter().any(|a| a.starts_with("--load-baseline")),
            measuring: !args.iter().any(|a| {
                ["--test", "--list", "--profile-time", "--discard-baseline"]
                    .iter()
                    .any(|m| a == m || a.starts_with(&format!("{m}=")))
            }),
            args,
        }
    }

    /// At the end of a bench target: `target/criterion/cvp/index.html`, the verdicts criterion's data decides
    /// (from everything criterion's folder now holds), and its path as the last line. A filtered run,
    /// `--test`, `--list` and the like leave the page as it was: they measured a part or nothing.
    pub fn verdict_page(&self) {
        if !(self.enabled && self.measuring && self.criterion_args.selects_all()) {
            return;
        }
        // criterion saves into `new`, or into the baseline `--save-baseline` names.
        let named =
            self.args.windows(2).find(|w| w[0] == "--save-baseline" || w[0] == "-s").map(|w| w[1].clone());
        let inline = self.args.iter().find_map(|a| a.strip_prefix("--save-baseline=").map(String::from));
        let baseline = named.or(inline).unwrap_or_else(|| "new".into());
        match cvp::views::scaling::page::write_bench_page(&self.home, &baseline) {
            Ok(page) => println!("cvp: the verdicts criterion's data decides: {}", page.display()),
            Err(e) => eprintln!("cvp: no verdict page: {e}"),
        }
    }

    /// Whether criterion will run the benchmark `id`: the digest check and the setup are skipped otherwise.
    pub fn selects(&self, id: &str) -> bool {
        self.criterion_args.selects(id)
    }

    /// criterion's flat sampling warns unless a sample holds two or more runs: unless the profile is `quick`
    /// or `--measurement-time` was given, stretch the measurement time to fit two runs of `once` in each of
    /// the samples criterion will take (`--sample-size`, else the profile's).
    pub fn fit_measurement(
        &self,
        group: &mut BenchmarkGroup<'_, WallTime>,
        profile: Profile,
        once: Duration,
    ) {
        self.fit_measurement_of(group, profile, once, profile.sample_size());
    }

    /// [`Recorder::fit_measurement`] for a group whose own sample size (unless `--sample-size` overrides it)
    /// is `samples`.
    fn fit_measurement_of(
        &self,
        group: &mut BenchmarkGroup<'_, WallTime>,
        profile: Profile,
        once: Duration,
        samples: usize,
    ) {
        if profile.stretch() && !self.criterion_args.measurement_time {
            let samples = self.criterion_args.sample_size.unwrap_or(samples);
            let needed = once.mul_f64(1.1 * samples as f64);
            group.measurement_time(profile.measurement().max(needed));
        }
    }

    /// Runs `bench` (the benchmark `id`, timing what `size` says) and records it beside what criterion
    /// wrote.
    pub fn around(&self, id: &str, size: BenchSize, bench: impl FnOnce()) {
        if !self.enabled {
            return bench();
        }
        let template = BenchRecord {
            id: id.into(),
            bench: self.bench.clone(),
            invocation: self.invocation.clone(),
            started_unix_s: self.started_unix_s,
            // cargo sets $CARGO for what it runs; a kit's run.sh runs the executable directly.
            runner: if std::env::var_os("CARGO").is_some() { "cargo" } else { "direct" }.into(),
            estimates_sha256: String::new(),
            size,
            machine: self.machine.clone(),
            profile: self.profile.clone(),
            env: self.env.clone(),
            args: self.args.clone(),
        };
        match report::record_around(&self.home, &template, bench) {
            Err(e) => eprintln!(
                "warning: cannot record the size and machine of {id} under {}: {e}; `cvp report` will refuse it",
                self.home.display()
            ),
            // A measuring run that selected this benchmark must have written its estimates under this id.
            Ok(recorded) if recorded.is_empty() && self.measuring => eprintln!(
                "warning: criterion wrote no estimates under {}/{id}: nothing was recorded for it",
                self.home.display()
            ),
            Ok(_) => {}
        }
    }
}

/// Builds `strategy` and checks its digest on `workload` before anything is timed; a wrong answer, or a
/// strategy that cannot be built or run, ends the process (status 1) with a message naming it.
fn checked(
    strategy: StrategyKind,
    workers: usize,
    workload: &Workload,
    label: &str,
) -> (Box<dyn cvp::Strategy>, Duration) {
    let built = strategy.build(workers).unwrap_or_else(|e| {
        eprintln!("error: building {label}: {e}");
        exit(1)
    });
    let start = Instant::now();
    let got = built.run(workload).unwrap_or_else(|e| {
        eprintln!("error: running {label}: {e}");
        exit(1)
    });
    let once = start.elapsed();
    let expected = workload.expected_digest();
    if got != expected {
        eprintln!("error: {label} computed digest {got}, expected {expected}: a wrong answer is not timed");
        exit(1);
    }
    (built, once)
}

/// The timed closure: a failure inside criterion's loop ends the process rather than timing an error.
fn run_or_exit(s: &dyn cvp::Strategy, w: &Workload) -> cvp::Digest {
    s.run(w).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        exit(1)
    })
}

#[allow(dead_code)] // used by the workload benches only
/// Benchmarks every strategy the sweeps time on the workload `kind` (`cvp::config::sweeps`: all of them but on
/// `cpu_chain`, and `async_multi/1` on io_bound and net_bound only) at every worker count: ids
/// `<workload>/<strategy>/<workers>`.
pub fn bench_workload(c: &mut Criterion, config: &Config, recorder: &Recorder, kind: WorkloadKind) {
    bench_workload_on(c, config, recorder, kind, None)
}

#[allow(dead_code)] // used by the workload benches only
/// [`bench_workload`], with `net_bound`'s requests sent to `server`.
pub fn bench_workload_on(
    c: &mut Criterion,
    config: &Config,
    recorder: &Recorder,
    kind: WorkloadKind,
    server: Option<&cvp::workload::net::Server>,
) {
    let workload = match server {
        Some(s) => config.workload(kind).on(s),
        None => config.workload(kind),
    };
    let mut group = c.benchmark_group(kind.as_str());
    // Iterations take milliseconds: flat sampling; no Throughput, so criterion draws the line chart.
    group
        .sampling_mode(SamplingMode::Flat)
        .plot_config(PlotConfiguration::default().summary_scale(AxisScale::Logarithmic));
    for strategy in StrategyKind::ALL.into_iter().filter(|&s| cvp::config::sweeps(kind, s)) {
        for workers in strategy.worker_counts(&config.threads, workload.jobs) {
            let id = format!("{kind}/{strategy}/{workers}");
            if !recorder.selects(&id) {
                continue;
            }
            let (built, once) = checked(strategy, workers, &workload, &id);
            let samples = samples_for(config, recorder, kind, once, &mut group);
            recorder.fit_measurement_of(&mut group, config.profile, once, samples);
            recorder.around(&id, WorkloadSize::of(&workload).into(), || {
                group.bench_with_input(BenchmarkId::new(strategy.as_str(), workers), &workload, |b, w| {
                    b.iter(|| run_or_exit(built.as_ref(), w))
                });
            });
        }
    }
    group.finish();
}

/// The sample size of one benchmark of `kind`: the profile's, but for a `net_bound` or `cpu_chain` benchmark
/// that must be stretched to fit two runs in each sample (net_bound's blocking ones at few workers, where
/// every one of the jobs' requests is a real round trip after the other; every cpu_chain one, each run a
/// whole cpu_bound sequential pass), half of it, at least criterion's 10: with it the default `cargo bench`
/// stays within 8 minutes on 2 cores (cpu_chain's 7 benchmarks then add about 30 s, not 50). The others keep
/// the profile's samples: they take the profile's measurement time either way. `--sample-size` still
/// overrides both.
#[allow(dead_code)] // used by the workload benches only
fn samples_for(
    config: &Config,
    recorder: &Recorder,
    kind: WorkloadKind,
    once: Duration,
    group: &mut BenchmarkGroup<'_, WallTime>,
) -> usize {
    let profile = config.profile.sample_size();
    let stretched = once.mul_f64(1.1 * profile as f64) > config.profile.measurement();
    let halved = kind.is_net() || kind == WorkloadKind::CpuChain;
    let samples =
        if halved && stretched && config.profile.stretch() { (profile / 2).max(10) } else { profile };
    if recorder.criterion_args.sample_size.is_none() {
        group.sample_size(samples);
    }
    samples
}

#[allow(dead_code)] // used by the waiting benches only
/// `reference/one_wait/<workload>-<kind>-<W>ms[-<N>w]`: one job's wait alone, blocking (`sequential`) and
/// async on every runtime an `async` row waits on (`async` at each worker count of `CVP_THREADS`: tokio's
/// current-thread runtime at 1, the multi-thread one of N workers above), measured by the bench of
/// `workload` in the same run as its other benchmarks. It is the floor under the waits of the rows on that
/// runtime: Little's law and claims C1, C3 and C4 are measured against it rather than against the nominal
/// wait, which tokio's timer rounds up, and each row against the floor of its own runtime.
pub fn bench_one_waits(c: &mut Criterion, config: &Config, recorder: &Recorder, workload: WorkloadKind) {
    bench_one_waits_on(c, config, recorder, workload, None)
}

#[allow(dead_code)] // used by the waiting benches only
/// [`bench_one_waits`]; for `net_bound`, one request alone to `server`.
pub fn bench_one_waits_on(
    c: &mut Criterion,
    config: &Config,
    recorder: &Recorder,
    workload: WorkloadKind,
    server: Option<&cvp::workload::net::Server>,
) {
    let one = match server {
        Some(s) => Workload::new(WorkloadKind::NetBound, 1, config.wait, 0).on(s),
        None => Workload::new(WorkloadKind::IoBound, 1, config.wait, 0),
    };
    let wait_ms = config.wait.as_millis() as u64;
    let mut group = c.benchmark_group("reference");
    group.sampling_mode(SamplingMode::Flat);
    let runtimes = std::iter::once((WaitKind::Blocking, StrategyKind::Sequential, 1))
        .chain(config.threads.iter().map(|&n| (WaitKind::Async, StrategyKind::Async, n)));
    for (kind, strategy, workers) in runtimes {
        // One value names both criterion's benchmark and the record: they cannot drift apart.
        let value = report::one_wait_value(workload, kind, wait_ms, workers);
        let id = format!("reference/one_wait/{value}");
        debug_assert_eq!(id, report::one_wait_id(workload, kind, wait_ms, workers));
        if !recorder.selects(&id) {
            continue;
        }
        let (built, once) = checked(strategy, workers, &one, &id);
        recorder.fit_measurement(&mut group, config.profile, once);
        recorder.around(&id, WorkloadSize::of(&one).into(), || {
            group.bench_with_input(BenchmarkId::new("one_wait", &value), &one, |b, w| {
                b.iter(|| run_or_exit(built.as_ref(), w))
            });
        });
    }
    group.finish();
}

/// `reference/bare_loop/cpu_bound`: the cpu_bound jobs hashed by a plain loop, without any strategy.
#[allow(dead_code)] // used by the cpu_bound bench only
pub fn bench_bare_loop(c: &mut Criterion, config: &Config, recorder: &Recorder) {
    let workload = config.workload(WorkloadKind::CpuBound);
    if !recorder.selects(report::BARE_LOOP_ID) {
        return;
    }
    let mut group = c.benchmark_group("reference");
    group.sampling_mode(SamplingMode::Flat);
    let start = Instant::now();
    std::hint::black_box(workload.expected_digest());
    recorder.fit_measurement(&mut group, config.profile, start.elapsed());
    recorder.around(report::BARE_LOOP_ID, WorkloadSize::of(&workload).into(), || {
        group.bench_function(BenchmarkId::new("bare_loop", WorkloadKind::CpuBound.as_str()), |b| {
            b.iter(|| std::hint::black_box(&workload).expected_digest())
        });
    });
    group.finish();
}

/// `io_scale/<structure>/<J>`: the io_bound workload at every J of `CVP_SCALE_JOBS` up to
/// [`SCALE_BENCH_MAX_JOBS`], on `thread_per_job`, `async-1` (one event loop) and `async-<cores>`, so
/// criterion draws one line per structure across J. Memory and threads are `cvp scale`'s: criterion times.
#[allow(dead_code)] // used by the scale bench only
pub fn bench_scale(c: &mut Criterion, config: &Config, recorder: &Recorder) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let limits = cvp::machine::limits::Limits::detect();
    let mut structures = vec![(StrategyKind::ThreadPerJob, 0), (StrategyKind::Async, 1)];
    if cores > 1 {
        structures.push((StrategyKind::Async, cores));
    }
    // The default list starts at 1 for `cvp scale`'s one-wait rows; criterion's lines start at 10.
    let scale_jobs: Vec<usize> = if config.scale_jobs == cvp::config::DEFAULT_SCALE_JOBS {
        config.scale_jobs.iter().copied().filter(|&j| j >= 10).collect()
    } else {
        config.scale_jobs.clone()
    };
    let mut group = c.benchmark_group("io_scale");
    // criterion's fewest samples: a thread per job at 10,000 takes about a second a run, and the spread
    // between structures is tens of times, not percent.
    let samples = 10;
    if recorder.criterion_args.sample_size.is_none() {
        group.sample_size(samples);
    }
    group
        .sampling_mode(SamplingMode::Flat)
        .plot_config(PlotConfiguration::default().summary_scale(AxisScale::Logarithmic));
    for (strategy, n) in structures {
        let name = if n == 0 { strategy.to_string() } else { format!("{strategy}-{n}") };
        for &jobs in scale_jobs.iter().filter(|&&j| j <= SCALE_BENCH_MAX_JOBS) {
            let id = format!("io_scale/{name}/{jobs}");
            if !recorder.selects(&id) {
                continue;
            }
            let workers = if n == 0 { jobs } else { n };
            if let Some(why) = limits.refuse(jobs).filter(|_| strategy == StrategyKind::ThreadPerJob) {
                eprintln!("skipping {id}: {why}");
                continue;
            }
            let workload = Workload::new(WorkloadKind::IoBound, jobs, config.wait, 0);
            let (built, once) = checked(strategy, workers, &workload, &id);
            recorder.fit_measurement_of(&mut group, config.profile, once, samples);
            recorder.around(&id, WorkloadSize::of(&workload).into(), || {
                group.bench_with_input(BenchmarkId::new(name.as_str(), jobs), &workload, |b, w| {
                    b.iter(|| run_or_exit(built.as_ref(), w))
                });
            });
        }
    }
    group.finish();
}

/// The largest J the scale bench times (criterion repeats each run many times; `cvp scale` goes further).
#[allow(dead_code)] // used by the scale bench only
pub const SCALE_BENCH_MAX_JOBS: usize = 10_000;
