//! The claims judged on a server, twins of the article's claims measured on a client: C4 (more threads do
//! not speed up a loop that waits), C7 (a loop that hashes stalls its light requests) and C8 (a thread per
//! connection costs memory and switches for no speed). Each is judged by one function from a
//! [`ServerFile`]'s rows, by `cvp server` and by `cvp report --server` alike; the rules and thresholds are in
//! `src/claims.rs`. No I/O.

use super::analysis::by_rate;
use super::{ServerFile, StepOutcome, StepRow, Structure};

/// The rate of C4's pairs after the sweep: [`crate::claims::C4_SERVER_LOAD`] x the lower of the highest
/// rates `async/1` and `async/N` kept up with (each judged over its steps), and no higher than the highest
/// rate at which `async/1` kept at most [`crate::claims::C4_SERVER_BUSY`] x [`crate::claims::IDLE_CORES`]
/// busy; with that N. `None` where the plan lacks one of them, either kept up with no rate, or `async/1`
/// was never that idle.
pub fn c4_rate(file: &ServerFile) -> Option<(f64, usize)> {
    use crate::claims::{C4_SERVER_BUSY, C4_SERVER_LOAD, IDLE_CORES};
    let n = file.plan.structures.iter().find_map(|s| match s {
        Structure::Async(n) if *n >= 2 => Some(*n),
        _ => None,
    })?;
    let kept = |s: Structure| {
        let rows: Vec<&StepRow> = file.rows.iter().filter(|r| r.structure == s).collect();
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
    pairs: &[[StepRow; 2]],
    is_a: impl Fn(Structure) -> bool,
    is_b: impl Fn(Structure) -> bool,
) -> Vec<(&StepRow, &StepRow)> {
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
        .filter(|(a, b)| [a, b].iter().all(|r| r.outcome == StepOutcome::KeptUp))
        .filter(|(a, b)| {
            [a, b].iter().all(|r| {
                r.p50.is_some() && r.cpu_us_per_request.is_some() && r.voluntary_per_request.is_some()
            })
        })
        .collect()
}

/// A step's context switches per request, voluntary and involuntary.
fn switches(r: &StepRow) -> f64 {
    r.voluntary_per_request.unwrap_or(0.0) + r.involuntary_per_request.unwrap_or(0.0)
}

/// C4 on a server ([`crate::claims::C4_SERVER_RULE`]): over the pairs of `async_multi/1` (the baseline:
/// `async/N`'s scheduler with one worker) and `async/N` where both steps kept up (each pair's rows taken by
/// structure, not position), with the baseline mostly waiting (median cores busy at most
/// [`crate::claims::IDLE_CORES`]), `async/N` is not faster (async/1 p50 / async/N p50 at most
/// [`crate::claims::C4_NOT_FASTER`]) and costs more (CPU per request and switches per request above
/// [`crate::claims::C4_SERVER_MORE`] x async/1's), each over the 95% interval of the pairs' median ratio.
pub fn c4(file: &ServerFile) -> crate::claims::Verdict {
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
pub fn c8(file: &ServerFile) -> crate::claims::Verdict {
    use crate::claims::{
        C8_MEMORY, C8_NOT_FASTER, C8_SERVER_MORE, C8_SERVER_RULE, MIN_SAMPLES_FOR_CI, Range, SERVER_LABEL,
        above, at_least, at_most, cannot, claim, judge,
    };
    use Structure;
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
        let ratio = |f: &dyn Fn(&StepRow, &StepRow) -> f64| {
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

/// C7's mix for `plan`: heavy requests of `heavy_rounds` rounds (`heavy_ms` each, measured alone), the p99
/// bound of a step raised by them (a light request may wait one heavy job on a loop that hashes: the
/// claim's very stall, not saturation), and the rate at which one loop hashes
/// [`crate::claims::C7_SERVER_BUSY`] of the time.
pub fn c7_plan(plan: &super::Plan, heavy_rounds: u32, heavy_ms: f64) -> (super::Plan, f64) {
    use crate::claims::{C7_SERVER_BUSY, C7_SERVER_EVERY};
    let mut mix = plan.clone();
    mix.heavy_rounds = heavy_rounds;
    mix.heavy_ms = heavy_ms;
    mix.p99_bound_ms = super::analysis::p99_bound_ms(plan.wait_ms, heavy_ms, plan.server_cpus.len());
    let rate = C7_SERVER_EVERY as f64 * C7_SERVER_BUSY / (heavy_ms / 1e3).max(1e-6);
    (mix, rate)
}

/// C7 on a server ([`crate::claims::C7_SERVER_RULE`]): over each structure's mix steps that kept up, the
/// light requests' p99 less their p50 (the wait a light request can add behind heavy ones), in heavy jobs:
/// `async/1`'s median at least [`crate::claims::BLOCKED`], and `async_offload/N`'s and
/// `thread_per_connection`'s at most [`crate::claims::RESPONSIVE`], each over its 95% interval.
pub fn c7(file: &ServerFile) -> crate::claims::Verdict {
    use crate::claims::{
        BLOCKED, C7_SERVER_RULE, MIN_SAMPLES_FOR_CI, RESPONSIVE, SERVER_LABEL, at_least, at_most, cannot,
        claim, judge,
    };
    let c = claim("C7");
    let verdict = |judged: crate::claims::Judged| crate::claims::Verdict {
        statement: format!("{} ({SERVER_LABEL})", c.statement),
        evidence: format!("{SERVER_LABEL}: {}", judged.evidence),
        ..c.verdict(judged)
    };
    let job = file.plan.heavy_ms;
    if job <= 0.0 {
        return verdict(cannot("no heavy-request mix was measured"));
    }
    let mut structures: Vec<Structure> = Vec::new();
    for r in &file.c7 {
        if !structures.contains(&r.structure) {
            structures.push(r.structure);
        }
    }
    let blocking = |s: Structure| s == Structure::Async(1);
    let responsive = |s: Structure| matches!(s, Structure::AsyncOffload(_) | Structure::ThreadPerConnection);
    if !structures.iter().any(|&s| blocking(s)) || !structures.iter().any(|&s| responsive(s)) {
        return verdict(cannot(
            "the mix needs async/1 and async_offload/N or thread_per_connection: one of each side was not measured",
        ));
    }
    let mut checks = Vec::new();
    let mut said = Vec::new();
    for s in structures.into_iter().filter(|&s| blocking(s) || responsive(s)) {
        let kept: Vec<&StepRow> = file
            .c7
            .iter()
            .filter(|r| r.structure == s && r.outcome == StepOutcome::KeptUp)
            .filter(|r| r.light_p50.is_some() && r.light_p99.is_some())
            .collect();
        let tried = file.c7.iter().filter(|r| r.structure == s).count();
        if kept.len() < MIN_SAMPLES_FOR_CI {
            return verdict(cannot(format!(
                "{s}: {} of {tried} mix steps kept up; {MIN_SAMPLES_FOR_CI} are needed for an interval",
                kept.len()
            )));
        }
        let excess = median_range(
            &kept
                .iter()
                .map(|r| (r.light_p99.unwrap_or(0.0) - r.light_p50.unwrap_or(0.0)) / job)
                .collect::<Vec<_>>(),
        );
        let shown = excess.show(|v| format!("{v:.2}"));
        if blocking(s) {
            checks
                .push((at_least(excess, BLOCKED), format!("{s} light p99 - p50 {shown} job (>= {BLOCKED})")));
        } else {
            checks.push((
                at_most(excess, RESPONSIVE),
                format!("{s} light p99 - p50 {shown} job (<= {RESPONSIVE})"),
            ));
        }
        said.push(format!("{s} {} steps", kept.len()));
    }
    let rate = file.c7.first().map_or(0.0, |r| r.offered);
    let evidence = format!(
        "a mix at {rate:.0}/s, one heavy job {job:.1} ms; {}: {}. Rule: {C7_SERVER_RULE}.",
        said.join(", "),
        checks.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join("; ")
    );
    verdict(judge(&checks, evidence))
}

/// The verdicts this file decides, judged from its rows.
/// C4's only where it was measured: pairs, or a sweep that could have had them (async/1 and async/N
/// both kept up with a rate); nothing for a sweep without them (nothing was measured to decide it).
pub fn verdicts(file: &ServerFile) -> Vec<crate::claims::Verdict> {
    let mut out = Vec::new();
    if !file.c4_pairs.is_empty() || c4_rate(file).is_some() {
        out.push(c4(file));
    }
    // C8's where its idle rows or its pairs were measured.
    let c8_measured = [Structure::ThreadPerConnection, Structure::Async(1)]
        .iter()
        .all(|s| file.idle.iter().any(|r| r.structure == *s));
    if c8_measured || !file.c8.is_empty() {
        out.push(c8(file));
    }
    if !file.c7.is_empty() {
        out.push(c7(file));
    }
    out
}
