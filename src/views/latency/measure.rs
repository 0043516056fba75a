//! Measuring `cvp latency`: the hash-rate calibration, the runs of a [`Plan`] (pinning the server and the
//! client to the CPUs [`placement`] gives each core setting) and the summary of each run's latencies into a [`Row`]. The five structures
//! under load are in [`super::serve`], the open-loop client that loads them in [`super::client`]. Nothing
//! here judges or prints.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::serve::{self, Batch, Load, ServeError};
use super::{
    FLOOR_DURATION, LatencyFile, MIN_FOR_P999, Plan, Row, Setting, Structure, YIELD_EVERY, placement,
};
use crate::machine::Machine;

/// Why a measurement stopped.
#[derive(Debug, thiserror::Error)]
pub enum LatencyError {
    /// A structure could not run.
    #[error("{label}: {cause}")]
    Serve {
        /// `<setting>/<structure>/<workers>`.
        label: String,
        /// The cause.
        cause: ServeError,
    },
    /// A structure computed another digest than the others: a bug, never a result.
    #[error("{label} computed digest {got}, the first run {expected}: a wrong answer is not measured")]
    WrongDigest {
        /// `<setting>/<structure>/<workers>`.
        label: String,
        /// What it computed.
        got: String,
        /// What the first run computed.
        expected: String,
    },
    /// Pinning the server to its CPUs failed.
    #[error("pinning the server to its CPUs: {0}")]
    Pin(std::io::Error),
}

/// The calibrated batch: rounds per job and its measured length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// Rounds per heavy job.
    pub rounds: u32,
    /// Rounds per [`YIELD_EVERY`].
    pub yield_rounds: u32,
    /// One job with those rounds, measured (median of 3).
    pub job: Duration,
}

/// Measures the hash rate (the fastest of several short chains, so a preemption does not slow the
/// estimate) and sizes a job to `job_ms`.
pub fn calibrate(job_ms: u64) -> Calibration {
    const PROBE: u32 = 2_000;
    let mut best = Duration::MAX;
    let began = Instant::now();
    while best == Duration::MAX || began.elapsed() < Duration::from_millis(30) {
        let t = Instant::now();
        std::hint::black_box(crate::workload::chain(1, PROBE));
        best = best.min(t.elapsed());
    }
    let per_round = best.as_secs_f64() / f64::from(PROBE);
    let rounds = ((job_ms as f64 / 1e3) / per_round).round().clamp(1.0, f64::from(u32::MAX)) as u32;
    let yield_rounds = (YIELD_EVERY.as_secs_f64() / per_round).round().max(1.0) as u32;
    let mut times: Vec<Duration> = (0..3)
        .map(|i| {
            let t = Instant::now();
            std::hint::black_box(crate::workload::chain(i, rounds));
            t.elapsed()
        })
        .collect();
    times.sort();
    Calibration { rounds, yield_rounds, job: times[1] }
}

/// Measures every configuration of `plan`; the file comes back with no verdicts or notes (the analysis'
/// [`super::judge_file`] adds them). `machine` is the machine before any pinning. `progress` is called with
/// a label before each run.
///
/// Each core setting pins the server (every thread of the process, and so every thread started later) to
/// its CPUs and the client thread, which pins itself, to its own, as [`placement`] says from the CPUs the
/// process could use before any pinning: the all-core rows first, then the one-core rows. One-core rows run
/// [`Plan::runs_of`] times with requests (their p99 interval is taken between runs), every row once alone.
pub fn run(
    plan: &Plan,
    machine: Machine,
    command: Vec<String>,
    mut progress: impl FnMut(&str),
) -> Result<LatencyFile, LatencyError> {
    let allowed = crate::machine::allowed_cpu_ids().unwrap_or_default();
    let enter = |setting: Setting| -> Result<(Vec<usize>, Vec<usize>), LatencyError> {
        let (server, client) = placement(setting, &allowed);
        if server.is_empty() {
            // The mask is unknown: one core still means one CPU (this fails where pinning is unsupported).
            if setting == Setting::One {
                crate::machine::pin_to_one_cpu().map_err(LatencyError::Pin)?;
            }
        } else {
            crate::machine::pin_process_to(&server).map_err(LatencyError::Pin)?;
        }
        Ok((server, client))
    };
    let settings = plan.cores.settings();
    // Calibrated where the first setting's server runs.
    let mut placed = enter(settings[0])?;
    let mut current = settings[0];
    let cal = calibrate(plan.job_ms);
    let batch = Batch { jobs: plan.jobs, rounds: cal.rounds, yield_rounds: cal.yield_rounds };
    let mut floor = Vec::new();
    let mut rows = Vec::new();
    let mut expected = None;
    let mut floor_done = Vec::new();
    for (setting, s, n) in plan.configurations() {
        if setting != current {
            placed = enter(setting)?;
            current = setting;
        }
        let (server_cpus, client_cpus) = (&placed.0, &placed.1);
        if !floor_done.contains(&setting) {
            // The floor of each core setting, measured in it (the one-core floor gates the one-core C7).
            floor_done.push(setting);
            for &s in &plan.structures {
                let label = format!("floor/{}/{s}/1", setting.words());
                progress(&label);
                let none = Batch { jobs: 0, ..batch };
                let load = Load { interval: plan.interval(), at_least: FLOOR_DURATION };
                let m = serve::run(s, 1, none, Some(load), client_cpus)
                    .map_err(|cause| LatencyError::Serve { label, cause })?;
                floor.push(row(s, 1, setting, &[m], None, server_cpus, client_cpus));
            }
        }
        let label = format!("{}/{s}/{n}", if setting == Setting::One { "1core" } else { "allcores" });
        progress(&format!("{label} alone"));
        let alone = serve::run(s, n, batch, None, client_cpus)
            .map_err(|cause| LatencyError::Serve { label: label.clone(), cause })?;
        let mut digests = vec![alone.digest];
        let mut runs = Vec::new();
        let total = plan.runs_of(setting);
        for i in 0..total {
            progress(&if total > 1 { format!("{label} run {} of {total}", i + 1) } else { label.clone() });
            let load = Load { interval: plan.interval(), at_least: Duration::ZERO };
            let m = serve::run(s, n, batch, Some(load), client_cpus)
                .map_err(|cause| LatencyError::Serve { label: label.clone(), cause })?;
            digests.push(m.digest);
            runs.push(m);
        }
        for d in digests {
            let want = *expected.get_or_insert(d);
            if d != want {
                return Err(LatencyError::WrongDigest { label, got: d.to_hex(), expected: want.to_hex() });
            }
        }
        rows.push(row(s, n, setting, &runs, Some(alone.batch.as_secs_f64()), server_cpus, client_cpus));
    }
    Ok(LatencyFile {
        command,
        machine,
        job_ms: plan.job_ms,
        rounds: cal.rounds,
        job_measured_ms: cal.job.as_secs_f64() * 1e3,
        interval_ms: plan.interval_ms,
        jobs: plan.jobs,
        yield_rounds: cal.yield_rounds,
        plan: plan.clone(),
        rows,
        floor,
        verdicts: Vec::new(),
        notes: Vec::new(),
    })
}

/// The histogram of `latencies_ns`: 1 ns to one hour, 3 significant digits.
pub fn histogram(latencies_ns: &[u64]) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid histogram bounds");
    for &v in latencies_ns {
        h.saturating_record(v.max(1));
    }
    h
}

/// The value at quantile `q` of `h`, ms (0 for an empty histogram).
pub fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() { 0.0 } else { h.value_at_quantile(q) as f64 / 1e6 }
}

/// The 95% order-statistic interval of the `q` quantile of `n` independent samples, as quantiles
/// `(lo, hi)`: the ranks `n q -+ 1.96 sqrt(n q (1 - q))`, widened to whole ranks.
pub fn quantile_interval(q: f64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let sd = (n * q * (1.0 - q)).sqrt();
    let lo = ((n * q - 1.96 * sd).floor() / n).clamp(0.0, 1.0);
    let hi = (((n * q + 1.96 * sd).ceil() + 1.0) / n).clamp(0.0, 1.0);
    (lo, hi)
}

/// The plot's curve: latency at x = -log10(1 - q) in steps of 0.1 up to the last quantile the samples
/// resolve (1 - 1/n), then the max.
pub fn curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    let n = h.len();
    if n == 0 {
        return Vec::new();
    }
    let x_max = (n as f64).log10().min(5.0);
    let mut out = Vec::new();
    let mut k = 0;
    loop {
        let x = f64::from(k) / 10.0;
        if x >= x_max {
            break;
        }
        out.push((x, quantile_ms(h, 1.0 - 10f64.powf(-x))));
        k += 1;
    }
    out.push((x_max, h.max() as f64 / 1e6));
    out
}

/// The median of `v` (the mean of the middle two for an even count); 0 for none.
fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// One row from the runs of one configuration: percentiles of the pooled latencies, but the p99 and its
/// interval from the runs' p99s where [`crate::claims::median_ci`] takes them (at least 6 runs), else from
/// the pooled requests' order statistics.
pub(super) fn row(
    s: Structure,
    n: usize,
    setting: Setting,
    runs: &[serve::Measured],
    alone: Option<f64>,
    server_cpus: &[usize],
    client_cpus: &[usize],
) -> Row {
    let all: Vec<u64> = runs.iter().flat_map(|m| m.latencies_ns.iter().copied()).collect();
    let since: Vec<u64> = runs.iter().flat_map(|m| m.since_sent_ns.iter().copied()).collect();
    let h = histogram(&all);
    let per_run: Vec<f64> = runs.iter().map(|m| quantile_ms(&histogram(&m.latencies_ns), 0.99)).collect();
    let (p99_ms, p99_range_ms, p99_runs_ms) = match crate::claims::median_ci(&per_run) {
        Some((range, _)) => (median(&per_run), range, per_run),
        None => {
            let (lo, hi) = quantile_interval(0.99, h.len());
            (quantile_ms(&h, 0.99), (quantile_ms(&h, lo), quantile_ms(&h, hi)), Vec::new())
        }
    };
    let batch_s = median(&runs.iter().map(|m| m.batch.as_secs_f64()).collect::<Vec<_>>());
    Row {
        structure: s,
        workers: n,
        setting,
        cores: runs.iter().filter_map(|m| m.cpus).max().unwrap_or(0),
        server_cpus: server_cpus.to_vec(),
        client_cpus: client_cpus.to_vec(),
        sent: runs.iter().map(|m| m.client.sent).sum(),
        served: h.len(),
        p50_ms: quantile_ms(&h, 0.5),
        p90_ms: quantile_ms(&h, 0.9),
        p99_ms,
        p99_range_ms,
        p99_runs_ms,
        p99_after_send_ms: quantile_ms(&histogram(&since), 0.99),
        p999_ms: (h.len() >= MIN_FOR_P999).then(|| quantile_ms(&h, 0.999)),
        max_ms: if h.is_empty() { 0.0 } else { h.max() as f64 / 1e6 },
        curve: curve(&h),
        batch_s,
        batch_alone_s: alone,
        slowdown: alone.filter(|&a| a > 0.0).map(|a| batch_s / a),
        involuntary_switches: runs.iter().map(|m| m.involuntary_switches).sum(),
        voluntary_switches: runs.iter().map(|m| m.voluntary_switches).sum(),
        client_late_ms: runs.iter().map(|m| m.client.max_late.as_secs_f64() * 1e3).fold(0.0, f64::max),
        client_behind: runs.iter().map(|m| m.client.behind).sum(),
    }
}
