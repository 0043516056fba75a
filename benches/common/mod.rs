//! Shared setup of the three benches: `CVP_*` -> config, `CVP_PROFILE` -> criterion settings, and one
//! criterion group per workload with one line per strategy across worker counts.
//!
//! What is timed: `Strategy::run` on an already-built strategy, nothing else. Building pools and runtimes
//! and the check of the digest against the expected one happen before criterion starts timing.

use std::process::exit;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{AxisScale, BenchmarkGroup, BenchmarkId, Criterion, PlotConfiguration, SamplingMode};
use cvp::config::Profile;
use cvp::{Config, StrategyKind, WorkloadKind};

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

/// Benchmarks every strategy at every worker count on the workload `kind`: ids `<workload>/<strategy>/<workers>`.
pub fn bench_workload(c: &mut Criterion, config: &Config, kind: WorkloadKind) {
    let workload = config.workload(kind);
    let expected = workload.expected_digest();
    // criterion records times, not workload sizes: leave the size beside its data for `cvp report`.
    let home = cvp::report::criterion_home();
    if let Err(e) = cvp::report::WorkloadSize::record(&home, &workload) {
        eprintln!("warning: cannot record the workload size under {}: {e}", home.display());
    }
    let mut group = c.benchmark_group(kind.as_str());
    // Iterations take milliseconds: flat sampling; no Throughput, so criterion draws the line chart.
    group
        .sampling_mode(SamplingMode::Flat)
        .plot_config(PlotConfiguration::default().summary_scale(AxisScale::Logarithmic));
    for strategy in StrategyKind::ALL {
        for workers in strategy.worker_counts(&config.threads, workload.jobs) {
            let built = strategy.build(workers).unwrap_or_else(|e| {
                eprintln!("error: building {kind}/{strategy}/{workers}: {e}");
                exit(1)
            });
            let start = Instant::now();
            let got = built.run(&workload);
            let once = start.elapsed();
            if got != expected {
                eprintln!(
                    "error: {kind}/{strategy}/{workers} computed digest {got}, expected {expected}: a wrong answer is not timed"
                );
                exit(1);
            }
            fit_measurement(&mut group, config.profile, once);
            group.bench_with_input(BenchmarkId::new(strategy.as_str(), workers), &workload, |b, w| {
                b.iter(|| built.run(w))
            });
        }
    }
    group.finish();
}

/// criterion's flat sampling warns unless a sample holds two or more runs: unless the profile is `quick`,
/// stretch the measurement time to fit two runs of `once` per sample.
fn fit_measurement(group: &mut BenchmarkGroup<'_, WallTime>, profile: Profile, once: Duration) {
    if profile.stretch() {
        let needed = once.mul_f64(1.1 * profile.sample_size() as f64);
        group.measurement_time(profile.measurement().max(needed));
    }
}

/// `reference/bare_loop/cpu_bound`: the cpu_bound jobs hashed by a plain loop, without any strategy.
#[allow(dead_code)] // used by the cpu_bound bench only
pub fn bench_bare_loop(c: &mut Criterion, config: &Config) {
    let workload = config.workload(WorkloadKind::CpuBound);
    let mut group = c.benchmark_group("reference");
    group.sampling_mode(SamplingMode::Flat);
    let start = Instant::now();
    std::hint::black_box(workload.expected_digest());
    fit_measurement(&mut group, config.profile, start.elapsed());
    group.bench_function(BenchmarkId::new("bare_loop", WorkloadKind::CpuBound.as_str()), |b| {
        b.iter(|| std::hint::black_box(&workload).expected_digest())
    });
    group.finish();
}
