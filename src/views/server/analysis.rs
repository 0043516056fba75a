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

/// The rate of C4's pairs after the sweep: [`crate::claims::C4_SERVER_LOAD`] x the lower of the highest
/// rates `async/1` and `async/N` kept up with (each judged over its steps), and no higher than the highest
/// rate at which `async/1` kept at most [`crate::claims::C4_SERVER_BUSY`] x [`crate::claims::IDLE_CORES`]
/// busy; with that N. `None` where the plan lacks one of them, either kept up with no rate, or `async/1`
/// was never that idle.
pub fn c4_rate(file: &super::ServerFile) -> Option<(f64, usize)> {
    use super::{StepOutcome, Structure};
    use crate::claims::{C4_SERVER_BUSY, C4_SERVER_LOAD, IDLE_CORES};
    let n = file.plan.structures.iter().find_map(|s| match s {
        Structure::Async(n) if *n >= 2 => Some(*n),
        _ => None,
    })?;
    let kept = |s: Structure| {
        let rows: Vec<&super::StepRow> = file.rows.iter().filter(|r| r.structure == s).collect();
        by_rate(&rows).into_iter().filter(|(_, o)| *o == StepOutcome::KeptUp).map(|(r, _)| r).reduce(f64::max)
    };
    let idle = file
        .rows
        .iter()
        .filter(|r| r.structure == Structure::Async(1) && r.outcome == StepOutcome::KeptUp)
        .filter(|r| r.server_cores_busy <= C4_SERVER_BUSY * IDLE_CORES)
        .map(|r| r.offered)
        .reduce(f64::max)?;
    let rate = kept(Structure::Async(1))?.min(kept(Structure::Async(n))?);
    Some(((C4_SERVER_LOAD * rate).min(idle), n))
}

/// A ratio's median over the pairs with its 95% interval ([`crate::claims::median_ci`]).
fn median_range(values: &[f64]) -> crate::claims::Range {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mid = if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    crate::claims::Range::of(mid, crate::claims::median_ci(&v).map(|(ci, _)| ci))
}

/// The pairs where both steps kept up and have the numbers a verdict reads (p50, CPU and switches per
/// request), each as (`is_a`'s row, `is_b`'s row) whatever order it was stored in: read by structure, never
/// by position.
fn usable_pairs(
    pairs: &[[super::StepRow; 2]],
    is_a: impl Fn(super::Structure) -> bool,
    is_b: impl Fn(super::Structure) -> bool,
) -> Vec<(&super::StepRow, &super::StepRow)> {
    pairs
        .iter()
        .filter_map(|[x, y]| {
            if is_a(x.structure) && is_b(y.structure) {
                Some((x, y))
            } else if is_a(y.structure) && is_b(x.structure) {
                Some((y, x))
            } else {
                None
            }
        })
        .filter(|(a, b)| [a, b].iter().all(|r| r.outcome == super::StepOutcome::KeptUp))
        .filter(|(a, b)| {
            [a, b].iter().all(|r| {
                r.p50.is_some() && r.cpu_us_per_request.is_some() && r.voluntary_per_request.is_some()
            })
        })
        .collect()
}

/// A step's context switches per request, voluntary and involuntary.
fn switches(r: &super::StepRow) -> f64 {
    r.voluntary_per_request.unwrap_or(0.0) + r.involuntary_per_request.unwrap_or(0.0)
}

/// C4 on a server ([`crate::claims::C4_SERVER_RULE`]): over the pairs of `async_multi/1` (the baseline:
/// `async/N`'s scheduler with one worker) and `async/N` where both steps kept up (each pair's rows taken by
/// structure, not position), with the baseline mostly waiting (median cores busy at most
/// [`crate::claims::IDLE_CORES`]), `async/N` is not faster (async/1 p50 / async/N p50 at most
/// [`crate::claims::C4_NOT_FASTER`]) and costs more (CPU per request and switches per request above
/// [`crate::claims::C4_SERVER_MORE`] x async/1's), each over the 95% interval of the pairs' median ratio.
pub fn c4(file: &super::ServerFile) -> crate::claims::Verdict {
    use super::{StepRow, Structure};
    use crate::claims::{
        C4_NOT_FASTER, C4_SERVER_MORE, C4_SERVER_RULE, IDLE_CORES, MIN_SAMPLES_FOR_CI, SERVER_LABEL, above,
        at_most, cannot, claim, judge,
    };
    let c = claim("C4");
    let verdict = |judged: crate::claims::Judged| crate::claims::Verdict {
        statement: format!("{} ({SERVER_LABEL})", c.statement),
        evidence: format!("{SERVER_LABEL}: {}", judged.evidence),
        ..c.verdict(judged)
    };
    let usable = usable_pairs(
        &file.c4_pairs,
        |s| s == Structure::AsyncMulti(1),
        |s| matches!(s, Structure::Async(n) if n >= 2),
    );
    let Some(first) = file.c4_pairs.first().map(|p| &p[0]) else {
        return verdict(cannot("no pairs were measured"));
    };
    if usable.len() < MIN_SAMPLES_FOR_CI {
        return verdict(cannot(format!(
            "{} of {} pairs at {:.0}/s had both steps keep up; {MIN_SAMPLES_FOR_CI} are needed for an interval",
            usable.len(),
            file.c4_pairs.len(),
            first.offered
        )));
    }
    let busy = median_range(&usable.iter().map(|(a, _)| a.server_cores_busy).collect::<Vec<_>>());
    if at_most(busy, IDLE_CORES) != crate::claims::Test::Meets {
        return verdict(cannot(format!(
            "async_multi/1 keeps {} cores busy at {:.0}/s, not <= {IDLE_CORES} over its interval: the loop is not \
             mostly waiting, the claim's condition",
            busy.show(|v| format!("{v:.2}")),
            first.offered
        )));
    }
    let n = usable[0].1.structure;
    let ratios =
        |f: &dyn Fn(&StepRow, &StepRow) -> f64| -> Vec<f64> { usable.iter().map(|(a, b)| f(a, b)).collect() };
    let lat = median_range(&ratios(&|a, b| a.p50.unwrap_or(0.0) / b.p50.unwrap_or(f64::NAN)));
    let cpu = median_range(&ratios(&|a, b| {
        b.cpu_us_per_request.unwrap_or(0.0) / a.cpu_us_per_request.unwrap_or(f64::NAN)
    }));
    let switches = median_range(&ratios(&|a, b| switches(b) / switches(a)));
    // The most async/N could gain: all of async/1's p50 but the wait itself.
    let p50_one = median_range(&usable.iter().map(|(a, _)| a.p50.unwrap_or(0.0)).collect::<Vec<_>>()).mid;
    let wait = file.plan.wait_ms as f64;
    let most = if p50_one > wait { p50_one / wait.max(1e-9) } else { 1.0 };
    let x = |v: f64| format!("{v:.2}x");
    let checks = vec![
        (
            at_most(lat, C4_NOT_FASTER),
            format!("p50 async_multi/1 / {n} {} (<= {C4_NOT_FASTER})", lat.show(x)),
        ),
        (
            above(cpu, C4_SERVER_MORE),
            format!("CPU/request {n} / async_multi/1 {} (> {C4_SERVER_MORE})", cpu.show(x)),
        ),
        (
            above(switches, C4_SERVER_MORE),
            format!("switches/request {n} / async_multi/1 {} (> {C4_SERVER_MORE})", switches.show(x)),
        ),
    ];
    let evidence = format!(
        "{} pairs at {:.0}/s, both kept up, async_multi/1 {} cores busy: {} (not faster is a control here: a request \
         waits {wait:.0} ms of its {p50_one:.2} ms p50, so no structure could gain more than {most:.2}x). Rule: \
         {C4_SERVER_RULE}.",
        usable.len(),
        first.offered,
        busy.show(|v| format!("{v:.2}")),
        checks.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join("; ")
    );
    verdict(judge(&checks, evidence))
}

/// C8's numbers of connections for an idle row of `c`: a tenth of it and all of it (1,000 and 10,000 by
/// default: the two, where a thread per connection is a thousand or ten thousand threads).
pub fn c8_levels(c: usize) -> Vec<usize> {
    let tenth = c / 10;
    if tenth >= 1 && tenth < c { vec![tenth, c] } else { vec![c] }
}

/// C8's rate for `plan`: [`crate::claims::C8_SERVER_IN_FLIGHT`] requests in flight per server CPU at one
/// request's unloaded work (its wait and its hashing).
pub fn c8_rate(plan: &super::Plan) -> f64 {
    let work_s = (plan.wait_ms as f64 + plan.hash_ms) / 1e3;
    crate::claims::C8_SERVER_IN_FLIGHT * plan.server_cpus.len().max(1) as f64 / work_s.max(1e-4)
}

/// C8 on a server ([`crate::claims::C8_SERVER_RULE`]): from the idle rows, `thread_per_connection`'s memory
/// per connection over `async/1`'s (the quotient of the slopes' intervals) at least
/// [`crate::claims::C8_MEMORY`]; at each number of connections C8's pairs were run with, over the pairs
/// where both kept up, `thread_per_connection`'s switches per request over `async/1`'s above
/// [`crate::claims::C8_SERVER_MORE`] and `async/1`'s p50 over `thread_per_connection`'s at most
/// [`crate::claims::C8_NOT_FASTER`], each over the 95% interval of the pairs' median.
pub fn c8(file: &super::ServerFile) -> crate::claims::Verdict {
    use super::Structure;
    use crate::claims::{
        C8_MEMORY, C8_NOT_FASTER, C8_SERVER_MORE, C8_SERVER_RULE, MIN_SAMPLES_FOR_CI, Range, SERVER_LABEL,
        above, at_least, at_most, cannot, claim, judge,
    };
    let c = claim("C8");
    let verdict = |judged: crate::claims::Judged| crate::claims::Verdict {
        statement: format!("{} ({SERVER_LABEL})", c.statement),
        evidence: format!("{SERVER_LABEL}: {}", judged.evidence),
        ..c.verdict(judged)
    };
    let (tpc, one) = (Structure::ThreadPerConnection, Structure::Async(1));
    let slope = |s: Structure| {
        file.idle.iter().find(|r| r.structure == s).and_then(|r| r.bytes_per_connection.map(|b| (r, b)))
    };
    let (Some((tpc_row, t)), Some((_, a))) = (slope(tpc), slope(one)) else {
        return verdict(cannot(
            "the idle rows lack thread_per_connection's or async/1's memory per connection",
        ));
    };
    let memory =
        Range { lo: t.1, mid: t.0, hi: t.2, known: true } / Range { lo: a.1, mid: a.0, hi: a.2, known: true };
    let at = tpc_row.points.last().map_or(0, |p| p.0);
    let x = |v: f64| format!("{v:.2}x");
    let mut checks = vec![(
        at_least(memory, C8_MEMORY),
        format!("memory/connection thread_per_connection / async/1 {} (>= {C8_MEMORY})", memory.show(x)),
    )];
    let mut said = Vec::new();
    if file.c8.is_empty() {
        return verdict(cannot("no pairs at 1,000 or 10,000 connections were measured"));
    }
    for set in &file.c8 {
        let usable = usable_pairs(&set.pairs, |s| s == tpc, |s| s == one);
        if usable.len() < MIN_SAMPLES_FOR_CI {
            return verdict(cannot(format!(
                "with {} connections, {} of {} pairs had both steps keep up; {MIN_SAMPLES_FOR_CI} are needed for an \
                 interval",
                set.connections,
                usable.len(),
                set.pairs.len()
            )));
        }
        let ratio = |f: &dyn Fn(&super::StepRow, &super::StepRow) -> f64| {
            median_range(&usable.iter().map(|(t, a)| f(t, a)).collect::<Vec<_>>())
        };
        let sw = ratio(&|t, a| switches(t) / switches(a));
        let lat = ratio(&|t, a| a.p50.unwrap_or(0.0) / t.p50.unwrap_or(f64::NAN));
        let k = set.connections;
        checks.push((
            above(sw, C8_SERVER_MORE),
            format!(
                "switches/request thread_per_connection / async/1 at {k} connections {} (> {C8_SERVER_MORE})",
                sw.show(x)
            ),
        ));
        checks.push((
            at_most(lat, C8_NOT_FASTER),
            format!(
                "p50 async/1 / thread_per_connection at {k} connections {} (<= {C8_NOT_FASTER})",
                lat.show(x)
            ),
        ));
        said.push(format!("{} pairs at {:.0}/s with {k} connections", usable.len(), usable[0].0.offered));
    }
    let evidence = format!(
        "idle rows to {at} connections; {}: {}. Rule: {C8_SERVER_RULE}.",
        said.join(", "),
        checks.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join("; ")
    );
    verdict(judge(&checks, evidence))
}

/// The verdicts this file decides, judged from its rows.
/// C4's only where it was measured: pairs, or a sweep that could have had them (async/1 and async/N
/// both kept up with a rate); nothing for a sweep without them (nothing was measured to decide it).
pub fn verdicts(file: &super::ServerFile) -> Vec<crate::claims::Verdict> {
    let mut out = Vec::new();
    if !file.c4_pairs.is_empty() || c4_rate(file).is_some() {
        out.push(c4(file));
    }
    // C8's where its idle rows or its pairs were measured.
    let c8_measured = [super::Structure::ThreadPerConnection, super::Structure::Async(1)]
        .iter()
        .all(|s| file.idle.iter().any(|r| r.structure == *s));
    if c8_measured || !file.c8.is_empty() {
        out.push(c8(file));
    }
    out
}
