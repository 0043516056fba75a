//! What a reply must be: the digest the suite's own chain gives for the request's seed and rounds. The load
//! generator of a later step checks every reply with it; the tests do now.

use super::Query;
use crate::workload::{Digest, chain};

/// The digest a request's reply must carry: `h(rounds)` from `seed` (`cvp hash --seed S --rounds R`).
pub fn expected(query: Query) -> Digest {
    chain(query.seed, query.rounds)
}

/// Checks a 200 reply's body against [`expected`]: the digest in lowercase hex, a newline allowed after it.
pub fn check_body(query: Query, body: &[u8]) -> Result<(), String> {
    let want = expected(query).to_hex();
    let got = body.strip_suffix(b"\n").unwrap_or(body);
    if got == want.as_bytes() {
        Ok(())
    } else {
        Err(format!(
            "seed {} rounds {}: got {:?}, expected {want}",
            query.seed,
            query.rounds,
            String::from_utf8_lossy(&got[..got.len().min(80)])
        ))
    }
}

/// A step whose generator lag averages above this is generator-bound, ms. A generator that cannot keep its
/// schedule falls further behind with every request, so its lag grows through the step and the mean with
/// it; one that keeps it wakes within tens of microseconds of each due time (1 ns timer slack), and the
/// machine's own stalls (a thread of this kind of machine stops 2-5 ms a few times a second, idle or not)
/// delay a few requests and leave the mean near that. A mean of a whole millisecond is a tenth of the
/// default 10 ms wait: beyond it the step's latencies say more about the generator than about the server.
/// The mean, not p99: a p99 is a few requests, and those stalls alone put p99 above 1 ms at low rates.
pub const GENERATOR_LAG_MS: f64 = 1.0;
/// A side whose CPUs were busy this share of the window ran out of CPU: above 90% a queue's wait grows
/// many times its service time (M/M/1: wait = service x load / (1 - load), 9 service times at 90%).
pub const BUSY_SHARE: f64 = 0.9;
/// Fewest requests a step counts: a p99 of fewer than 100 is the largest of them. A step at a low rate
/// lasts long enough to count this many.
pub const MIN_COUNTED: f64 = 100.0;
/// How many times the sweep halves its first rate when that saturates, looking for a rate the structure
/// keeps up with (16 times lower at most), before it says the structure kept up with none.
pub const MAX_BACKOFF: i32 = 4;
/// Linux's scheduling period: 6 ms x (1 + log2 of the CPUs, at most 8), how long a runnable thread may
/// wait behind others on its CPU, ms.
pub fn scheduling_period_ms(cpus: usize) -> f64 {
    6.0 * (1.0 + (cpus.clamp(1, 8) as f64).log2())
}

/// The p99 above which a step is saturated, ms: twice a request's own work (its wait and its hashing,
/// `hash_ms`) plus one scheduling period of the server's CPUs. Below the knee a request takes its work
/// plus a queueing delay of about one service time, and a thread of a busy thread-per-connection server
/// may wait one scheduling period for its CPU; past the knee the queue grows through the whole step and
/// p99 with it (10% over the knee adds a tenth of the step's length), so the bound separates the two
/// without calling a thread structure saturated for the scheduler's constants.
pub fn p99_bound_ms(wait_ms: u64, hash_ms: f64, server_cpus: usize) -> f64 {
    2.0 * (wait_ms as f64 + hash_ms) + scheduling_period_ms(server_cpus)
}

/// The value at quantile `q` of `ns`, ms (`None` for none).
pub fn quantile_ms(ns: &[u64], q: f64) -> Option<f64> {
    if ns.is_empty() {
        return None;
    }
    let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).ok()?;
    for &v in ns {
        h.saturating_record(v.max(1));
    }
    Some(h.value_at_quantile(q) as f64 / 1e6)
}

/// The numbers of one step before it is judged: what the generator measured and what the server's
/// `/proc` said over the window.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    /// The rate offered, requests/s.
    pub offered: f64,
    /// The generator's outcome (its `window_s` is the window every rate is taken over).
    pub load: super::load::Outcome,
    /// The backend's CPU over the window, s: it runs on the generator's CPUs.
    pub backend_cpu_s: f64,
    /// The server's CPU over the window, s.
    pub server_cpu_s: f64,
    /// The server's resident memory at the window's end, KiB.
    pub rss_kib: u64,
    /// Its threads at the window's end.
    pub threads: u64,
    /// Its voluntary and involuntary switches over the window.
    pub switches: (u64, u64),
    /// How busy the generator's CPUs were over the window (every process on them), in CPUs: shown, never
    /// judged (another program's work there is not the generator's).
    pub generator_cpus_busy: f64,
}

/// The most CPUs a structure can keep busy on `server_cpus` CPUs: one event loop for `async/1` and
/// `reference`; the loop and N hashing threads for `async_offload/N`; N for `threads/N` and `async/N`; all
/// of them for a thread per connection.
pub fn cpu_cap(structure: super::Structure, server_cpus: usize) -> usize {
    use super::Structure;
    let n = match structure {
        Structure::Async(1) | Structure::Reference => 1,
        Structure::AsyncOffload(n) => n + 1,
        Structure::Threads(n) | Structure::Async(n) | Structure::AsyncMulti(n) => n,
        Structure::ThreadPerConnection => server_cpus,
    };
    n.clamp(1, server_cpus.max(1))
}

/// Makes one step's row and judges it, in this order: saturated if a counted request failed (refused,
/// wrong digest: the server's doing whatever the generator did); generator-bound if the generator lagged
/// over [`GENERATOR_LAG_MS`] on average, or it and the backend (its own CPU clocks, never the other work
/// on their CPUs) kept over [`BUSY_SHARE`] of the generator's CPUs busy; saturated if a counted request
/// went unanswered by the end of the drain, or p99 passed the plan's bound; kept up otherwise. The
/// achieved rate is the counted requests answered correctly over the window: it can fall short of the
/// offered only by requests failed or unanswered, so "achieved below 99% of offered" is inside the first
/// rule. Latencies of unanswered requests count at the end of the drain, a lower bound (the row says so).
pub fn step_row(structure: super::Structure, plan: &super::Plan, m: &Measured) -> super::StepRow {
    use super::StepOutcome;
    let load = &m.load;
    let window = load.window_s.max(1e-9);
    let answered = load.latency_ns.len() as f64;
    let achieved = answered / window;
    let mean =
        (answered > 0.0).then(|| load.latency_ns.iter().map(|&v| v as f64).sum::<f64>() / answered / 1e6);
    let mut all = load.latency_ns.clone();
    all.extend_from_slice(&load.unanswered_ns);
    let p99 = quantile_ms(&all, 0.99);
    let lag_p99 = quantile_ms(&load.lag_ns, 0.99).unwrap_or(0.0);
    let lag_mean = if load.lag_ns.is_empty() {
        0.0
    } else {
        load.lag_ns.iter().map(|&v| v as f64).sum::<f64>() / load.lag_ns.len() as f64 / 1e6
    };
    let generator_cores_busy = (load.cpu.as_secs_f64() + m.backend_cpu_s) / window;
    let server_cores_busy = m.server_cpu_s / window;
    let per_request = |x: f64| (answered > 0.0).then(|| x / answered);
    let after_send_mean =
        (answered > 0.0).then(|| load.after_send_ns.iter().map(|&v| v as f64).sum::<f64>() / answered / 1e6);
    // Little's law on what the connections carry: from the send, since a request due while its connection
    // is busy waits in the generator, not on the wire.
    let in_flight = achieved * after_send_mean.unwrap_or(0.0) / 1e3;
    let generator_cpus = plan.generator_cpus.len().max(1) as f64;
    let outcome = if load.errors > 0 {
        StepOutcome::Saturated(format!("{} of {} failed", load.errors, load.counted))
    } else if lag_mean > GENERATOR_LAG_MS {
        StepOutcome::GeneratorBound(format!("its mean lag {lag_mean:.2} ms > {GENERATOR_LAG_MS} ms"))
    } else if generator_cores_busy > BUSY_SHARE * generator_cpus {
        StepOutcome::GeneratorBound(format!(
            "it and the backend kept {generator_cores_busy:.2} of its {generator_cpus} CPUs busy (> {:.0}%)",
            BUSY_SHARE * 100.0
        ))
    } else if load.unanswered > 0 {
        StepOutcome::Saturated(format!("{} of {} unanswered", load.unanswered, load.counted))
    } else if p99.is_some_and(|p| p > plan.p99_bound_ms) {
        StepOutcome::Saturated(format!("p99 {:.1} ms > {:.1} ms", p99.unwrap_or(0.0), plan.p99_bound_ms))
    } else {
        StepOutcome::KeptUp
    };
    // The connections bind where the offered rate needs most of them even at the unloaded latency.
    let unloaded_in_flight = m.offered * (plan.wait_ms as f64 + plan.hash_ms) / 1e3;
    let cap = cpu_cap(structure, plan.server_cpus.len()) as f64;
    let saturated_side = if matches!(outcome, StepOutcome::GeneratorBound(_)) {
        "generator"
    } else if server_cores_busy > BUSY_SHARE * cap {
        "server CPU"
    } else if unloaded_in_flight > BUSY_SHARE * plan.connections as f64 {
        "connections"
    } else if matches!(outcome, StepOutcome::Saturated(_)) {
        "server (not its CPU)"
    } else {
        "none"
    };
    super::StepRow {
        structure,
        offered: m.offered,
        achieved,
        counted: load.counted,
        errors: load.errors,
        unanswered: load.unanswered,
        first_error: load.first_error.clone(),
        p50: quantile_ms(&all, 0.5),
        p99,
        p999: (all.len() >= 1000).then(|| quantile_ms(&all, 0.999)).flatten(),
        light_p50: quantile_ms(&load.light_ns, 0.5),
        light_p99: quantile_ms(&load.light_ns, 0.99),
        light_counted: load.light_counted,
        mean,
        latency_lower_bound: load.unanswered > 0,
        p99_after_send: quantile_ms(&load.after_send_ns, 0.99),
        lag_mean,
        lag_p99,
        generator_cores_busy,
        generator_cpus_busy: m.generator_cpus_busy,
        server_cores_busy,
        cpu_us_per_request: per_request(m.server_cpu_s * 1e6),
        rss_kib: m.rss_kib,
        threads: m.threads,
        voluntary_per_request: per_request(m.switches.0 as f64),
        involuntary_per_request: per_request(m.switches.1 as f64),
        in_flight,
        outcome,
        saturated_side: saturated_side.to_string(),
    }
}

/// How each rate offered to a structure came out, over its steps (a rate may be offered twice): kept up
/// if any step at it kept up, saturated if every step at it saturated, generator-bound otherwise; rates in
/// the order first offered.
pub fn by_rate(rows: &[&super::StepRow]) -> Vec<(f64, super::StepOutcome)> {
    use super::StepOutcome;
    let mut out: Vec<(f64, StepOutcome)> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|(rate, _)| *rate == r.offered) {
            None => out.push((r.offered, r.outcome.clone())),
            Some((_, o)) => match (&*o, &r.outcome) {
                (StepOutcome::KeptUp, _) => {}
                (_, StepOutcome::KeptUp) => *o = StepOutcome::KeptUp,
                (StepOutcome::Saturated(_), StepOutcome::GeneratorBound(_)) => *o = r.outcome.clone(),
                _ => {}
            },
        }
    }
    out
}

/// Whether a step is one a stall of the machine or another program can cause: saturated on its latency
/// alone (every request answered correctly), or generator-bound. Such a step is offered once more before
/// it counts (a stall of several milliseconds twice in a row, at the same step, is rare).
fn worth_repeating(r: &super::StepRow) -> bool {
    use super::StepOutcome;
    match &r.outcome {
        StepOutcome::Saturated(why) => why.starts_with("p99"),
        StepOutcome::GeneratorBound(_) => true,
        StepOutcome::KeptUp => false,
    }
}

/// The next rate to offer a structure after `rows` (its steps so far, in order), or `None` when its sweep
/// is over: the same rate again after a step [`worth_repeating`] the first time; up by the plan's factor
/// while every rate kept up (to the plan's highest rate); then halfway (in logarithms) between the highest
/// rate kept up and the lowest saturated one, until they are within the plan's resolution. A rate the
/// generator could not offer (twice) ends it: a higher one would measure the generator. When the first
/// rates saturate, down by the factor, at most [`MAX_BACKOFF`] times, unless the last left more than half
/// of its requests unanswered.
pub fn next_rate(rows: &[super::StepRow], plan: &super::Plan) -> Option<f64> {
    use super::StepOutcome;
    let Some(last) = rows.last() else { return Some(plan.start_rate) };
    let all: Vec<&super::StepRow> = rows.iter().collect();
    if worth_repeating(last) && rows.iter().filter(|r| r.offered == last.offered).count() == 1 {
        return Some(last.offered);
    }
    let rates = by_rate(&all);
    if rates.iter().any(|(_, o)| matches!(o, StepOutcome::GeneratorBound(_))) {
        return None;
    }
    let (below, above) = knee(&all);
    let highest = rates.iter().map(|(r, _)| *r).reduce(f64::max).unwrap_or(last.offered);
    let lowest = rates.iter().map(|(r, _)| *r).reduce(f64::min).unwrap_or(last.offered);
    match (below, above) {
        (_, None) if highest >= plan.max_rate => None,
        (_, None) => Some((highest * plan.factor).min(plan.max_rate)),
        (None, Some(_)) if lowest <= plan.start_rate / plan.factor.powi(MAX_BACKOFF) * 1.000_001 => None,
        // More than half unanswered at a rate a quarter of what the server's CPUs can hash: not short of
        // CPU time but holding requests (a pool's threads held by other connections): a lower rate would
        // leave the same share.
        (None, Some(_)) if last.unanswered * 2 > last.counted => None,
        (None, Some(_)) => Some(lowest / plan.factor),
        (Some(lo), Some(hi)) if hi <= lo * plan.resolution => None,
        (Some(lo), Some(hi)) => Some((lo * hi).sqrt()),
    }
}

/// A structure's knee: the highest rate it kept up at below the lowest rate it saturated at, and that
/// rate (`None` for either when there is none: it kept up to the highest rate offered, or never kept up),
/// each rate judged over its steps ([`by_rate`]).
pub fn knee(rows: &[&super::StepRow]) -> (Option<f64>, Option<f64>) {
    use super::StepOutcome;
    let rates = by_rate(rows);
    let above = rates
        .iter()
        .filter(|(_, o)| matches!(o, StepOutcome::Saturated(_)))
        .map(|(r, _)| *r)
        .reduce(f64::min);
    let below = rates
        .iter()
        .filter(|(r, o)| *o == StepOutcome::KeptUp && above.is_none_or(|a| *r < a))
        .map(|(r, _)| *r)
        .reduce(f64::max);
    (below, above)
}

/// Sentences the rows support: a pool of threads that held its connections while the others waited
/// (`threads/N` serves a connection to its end, so with keep-alive it serves N of C at a time); structures
/// whose sweep the generator ended.
pub fn notes(file: &super::ServerFile) -> Vec<String> {
    let mut out = Vec::new();
    for &s in &file.plan.structures {
        let rows: Vec<&super::StepRow> = file.rows.iter().filter(|r| r.structure == s).collect();
        if let (super::Structure::Threads(n), Some(first)) = (s, rows.first())
            && n < file.plan.connections
            && first.unanswered > 0
        {
            out.push(format!(
                "{s} serves a connection to its end on one of its {n} threads, so with {} keep-alive \
                 connections {} of {} requests due at {:.0}/s were never answered: its throughput is its \
                 threads' (N / wait), not its CPU's.",
                file.plan.connections, first.unanswered, first.counted, first.offered
            ));
        }
    }
    let bound: Vec<String> = file
        .plan
        .structures
        .iter()
        .filter_map(|&s| {
            let rows: Vec<&super::StepRow> = file.rows.iter().filter(|r| r.structure == s).collect();
            let (rate, _) = by_rate(&rows)
                .into_iter()
                .find(|(_, o)| matches!(o, super::StepOutcome::GeneratorBound(_)))?;
            match knee(&rows) {
                (_, Some(_)) => None,
                (Some(lo), None) => {
                    Some(format!("{s} (kept up at {lo:.0}/s; the generator could not offer {rate:.0}/s)"))
                }
                (None, None) => Some(format!("{s} (the generator could not offer {rate:.0}/s)")),
            }
        })
        .collect();
    if !bound.is_empty() {
        out.push(format!(
            "The generator could not load these further, so their knee lies above the last rate they kept up \
             at and is not measured here: {}. The generator and the backend ran out of CPU (or lagged) \
             first: give them more CPUs (a machine with more cores), or make requests cost the server more \
             (--rounds).",
            bound.join(", ")
        ));
    }
    out
}
