//! The claims judged on a server, twins of the article's claims measured on a client: C4 (more threads do
//! not speed up a loop that waits), C5 (workers raise the knee of CPU-bound requests up to the cores, not
//! that of waiting ones), C7 (a loop that hashes stalls its light requests) and C8 (a thread per
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

/// Claim `id`'s verdict on a server: its statement and evidence marked with
/// [`crate::claims::SERVER_LABEL`], so a twin is never read as the claim measured on a client.
fn twin(id: &str, judged: crate::claims::Judged) -> crate::claims::Verdict {
    use crate::claims::SERVER_LABEL;
    let c = crate::claims::claim(id);
    crate::claims::Verdict {
        statement: format!("{} ({SERVER_LABEL})", c.statement),
        evidence: format!("{SERVER_LABEL}: {}", judged.evidence),
        ..c.verdict(judged)
    }
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
        C4_NOT_FASTER, C4_SERVER_MORE, C4_SERVER_RULE, IDLE_CORES, MIN_SAMPLES_FOR_CI, above, at_most,
        cannot, judge,
    };
    let verdict = |judged| twin("C4", judged);
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

/// C8's rate for `plan` (its C connections): each connection has a request in flight
/// [`crate::claims::C8_SERVER_PER_CONNECTION`] of the time at one request's unloaded work (its wait and
/// its hashing).
pub fn c8_rate(plan: &super::Plan) -> f64 {
    let work_s = (plan.wait_ms as f64 + plan.hash_ms) / 1e3;
    plan.connections as f64 * crate::claims::C8_SERVER_PER_CONNECTION / work_s.max(1e-4)
}

/// The outcome from `checks` (each measured) and `missing` (what could not be measured, in words): not
/// shown when a measured check fails over its whole interval, whatever is missing; else undecided while
/// anything is missing; else as [`crate::claims::judge`] decides.
fn judge_or_missing(
    checks: &[crate::claims::Check],
    missing: &[String],
    evidence: String,
) -> crate::claims::Judged {
    use crate::claims::{Test, cannot, judge};
    if missing.is_empty() {
        judge(checks, evidence)
    } else if checks.iter().any(|c| c.0 == Test::Fails) {
        judge(checks, format!("{evidence} Not measured: {}.", missing.join("; ")))
    } else {
        cannot(format!("{}; {evidence}", missing.join("; ")))
    }
}

/// C8 on a server ([`crate::claims::C8_SERVER_RULE`]): from the idle rows, `thread_per_connection`'s memory
/// per connection over `async/1`'s (the quotient of the slopes' intervals) at least
/// [`crate::claims::C8_MEMORY`]; at both numbers of connections of [`c8_levels`], over the pairs where both
/// kept up, `thread_per_connection`'s switches per request over `async/1`'s above
/// [`crate::claims::C8_SERVER_MORE`] and `async/1`'s p50 over `thread_per_connection`'s at most
/// [`crate::claims::C8_NOT_FASTER`], each over the 95% interval of the pairs' median. A failed check decides
/// (not shown) even where a part could not be measured.
pub fn c8(file: &ServerFile) -> crate::claims::Verdict {
    use crate::claims::{
        C8_MEMORY, C8_NOT_FASTER, C8_SERVER_MORE, C8_SERVER_RULE, MIN_SAMPLES_FOR_CI, Range, above, at_least,
        at_most,
    };
    let verdict = |judged| twin("C8", judged);
    let (tpc, one) = (Structure::ThreadPerConnection, Structure::Async(1));
    let slope =
        |s: Structure| file.idle.iter().find(|r| r.structure == s).and_then(|r| r.bytes_per_connection);
    let x = |v: f64| format!("{v:.2}x");
    let (mut checks, mut missing, mut said) = (Vec::new(), Vec::new(), Vec::new());
    match (slope(tpc), slope(one)) {
        (Some(t), Some(a)) if a.1 > 0.0 && t.1 > 0.0 => {
            let memory = Range { lo: t.1, mid: t.0, hi: t.2, known: true }
                / Range { lo: a.1, mid: a.0, hi: a.2, known: true };
            checks.push((
                at_least(memory, C8_MEMORY),
                format!(
                    "memory/connection thread_per_connection / async/1 {} (>= {C8_MEMORY})",
                    memory.show(x)
                ),
            ));
        }
        (Some(_), Some(_)) => missing.push("a memory slope's interval reaches 0 bytes: no ratio".to_string()),
        _ => missing.push("no idle row of thread_per_connection or of async/1".to_string()),
    }
    for k in c8_levels(file.plan.connections) {
        let Some(set) = file.c8.iter().find(|s| s.connections == k) else {
            missing.push(format!("no pairs with {k} connections"));
            continue;
        };
        let usable = usable_pairs(&set.pairs, |s| s == tpc, |s| s == one);
        if usable.len() < MIN_SAMPLES_FOR_CI {
            missing.push(format!(
                "with {k} connections, {} of {} pairs had both steps keep up; {MIN_SAMPLES_FOR_CI} are needed for \
                 an interval",
                usable.len(),
                set.pairs.len()
            ));
            continue;
        }
        let ratio = |f: &dyn Fn(&StepRow, &StepRow) -> f64| {
            median_range(&usable.iter().map(|(t, a)| f(t, a)).collect::<Vec<_>>())
        };
        let sw = ratio(&|t, a| switches(t) / switches(a));
        let lat = ratio(&|t, a| a.p50.unwrap_or(0.0) / t.p50.unwrap_or(f64::NAN));
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
    let at = file.idle.iter().find(|r| r.structure == tpc).and_then(|r| r.points.last()).map_or(0, |p| p.0);
    let evidence = format!(
        "idle rows to {at} connections; {}: {} (not faster is a control: neither answers before its wait is \
         over). Rule: {C8_SERVER_RULE}.",
        if said.is_empty() { "no pairs".to_string() } else { said.join(", ") },
        checks.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join("; ")
    );
    verdict(judge_or_missing(&checks, &missing, evidence))
}

/// C7's mix for `plan`: heavy requests of `heavy_rounds` rounds (`heavy_ms` each, measured alone), the p99
/// bound of a step raised by them (a light request may wait one heavy job on a loop that hashes: the
/// claim's very stall, not saturation), the rate at which one loop hashes
/// [`crate::claims::C7_SERVER_BUSY`] of the time, and windows long enough for
/// [`crate::claims::C7_SERVER_LIGHT`] light requests.
pub fn c7_plan(plan: &super::Plan, heavy_rounds: u32, heavy_ms: f64) -> (super::Plan, f64) {
    use crate::claims::{C7_SERVER_BUSY, C7_SERVER_EVERY, C7_SERVER_LIGHT};
    let mut mix = plan.clone();
    mix.heavy_rounds = heavy_rounds;
    mix.heavy_ms = heavy_ms;
    mix.p99_bound_ms = super::analysis::p99_bound_ms(plan.wait_ms, heavy_ms, plan.server_cpus.len());
    let rate = C7_SERVER_EVERY as f64 * C7_SERVER_BUSY / (heavy_ms / 1e3).max(1e-6);
    // n consecutive requests hold at least n - ceil(n / EVERY) light ones: enough requests for the lights
    // whatever the window's phase, and two more for its edges' rounding.
    let every = C7_SERVER_EVERY as f64;
    let requests = (C7_SERVER_LIGHT * every / (every - 1.0)).ceil() + 2.0;
    mix.window_s = plan.window_s.max(requests / rate);
    (mix, rate)
}

/// Whether a mix step counts for C7: the generator kept up with it, its window held at least
/// [`crate::claims::C7_SERVER_LIGHT`] light requests, and for `async/1` (whose stall is the claim) the
/// server kept up and the light percentiles were measured; for a responsive structure a step it did not
/// keep up with counts too (as at least a whole job: it left light requests unanswered or late).
pub fn c7_counts(r: &StepRow) -> bool {
    let measured = !matches!(r.outcome, StepOutcome::GeneratorBound(_))
        && r.light_counted as f64 >= crate::claims::C7_SERVER_LIGHT;
    let kept = r.outcome == StepOutcome::KeptUp && r.light_p50.is_some() && r.light_p99.is_some();
    match r.structure {
        Structure::Async(1) => measured && kept,
        Structure::AsyncOffload(_) | Structure::ThreadPerConnection => {
            measured && (kept || r.outcome != StepOutcome::KeptUp)
        }
        _ => false,
    }
}

/// C7 on a server ([`crate::claims::C7_SERVER_RULE`]): over each structure's mix steps that the generator
/// kept up with, the light requests' p99 less their p50 (the wait a light request can add behind heavy
/// ones), in heavy jobs: `async/1`'s median (over its steps that kept up) at least
/// [`crate::claims::BLOCKED`], and `async_offload/N`'s and `thread_per_connection`'s at most
/// [`crate::claims::RESPONSIVE`] (a step of theirs that did not keep up counts as at least one whole job: it
/// left light requests unanswered or late), each over its 95% interval.
pub fn c7(file: &ServerFile) -> crate::claims::Verdict {
    use crate::claims::{BLOCKED, C7_SERVER_RULE, MIN_SAMPLES_FOR_CI, RESPONSIVE, at_least, at_most, cannot};
    let verdict = |judged| twin("C7", judged);
    let job = file.plan.heavy_ms;
    if job <= 0.0 {
        return verdict(cannot("no heavy-request mix was measured"));
    }
    let blocking = |s: Structure| s == Structure::Async(1);
    let responsive = |s: Structure| matches!(s, Structure::AsyncOffload(_) | Structure::ThreadPerConnection);
    let mut structures: Vec<Structure> = Vec::new();
    for r in file.c7.iter().filter(|r| blocking(r.structure) || responsive(r.structure)) {
        if !structures.contains(&r.structure) {
            structures.push(r.structure);
        }
    }
    let (mut checks, mut missing, mut said) = (Vec::new(), Vec::new(), Vec::new());
    if !structures.iter().any(|&s| blocking(s)) {
        missing.push("async/1 (the loop that hashes) was not in the mix".to_string());
    }
    if !structures.iter().any(|&s| responsive(s)) {
        missing.push("neither async_offload/N nor thread_per_connection was in the mix".to_string());
    }
    for s in structures {
        let tried: Vec<&StepRow> = file.c7.iter().filter(|r| r.structure == s).collect();
        let counted: Vec<&StepRow> = tried.iter().copied().filter(|r| c7_counts(r)).collect();
        if counted.len() < MIN_SAMPLES_FOR_CI {
            missing.push(format!(
                "{s}: {} of {} mix steps counted; {MIN_SAMPLES_FOR_CI} are needed for an interval",
                counted.len(),
                tried.len()
            ));
            continue;
        }
        // A step that did not keep up left light requests unanswered or late: it counts as at least one
        // whole heavy job (as blocked as a loop that hashes), or its own excess over all requests if more.
        let excess = |r: &StepRow| match (r.light_p50, r.light_p99) {
            (Some(p50), Some(p99)) if r.outcome == StepOutcome::KeptUp => (p99 - p50) / job,
            _ => ((r.p99.unwrap_or(0.0) - r.light_p50.unwrap_or(0.0)) / job).max(1.0),
        };
        let range = median_range(&counted.iter().map(|r| excess(r)).collect::<Vec<_>>());
        let shown = range.show(|v| format!("{v:.2}"));
        let late = counted.iter().filter(|r| r.outcome != StepOutcome::KeptUp).count();
        if blocking(s) {
            checks
                .push((at_least(range, BLOCKED), format!("{s} light p99 - p50 {shown} job (>= {BLOCKED})")));
        } else {
            checks.push((
                at_most(range, RESPONSIVE),
                format!("{s} light p99 - p50 {shown} job (<= {RESPONSIVE})"),
            ));
        }
        said.push(format!(
            "{s} {} steps{}",
            counted.len(),
            if late > 0 { format!(" ({late} did not keep up)") } else { String::new() }
        ));
    }
    let rate = file.c7.first().map_or(0.0, |r| r.offered);
    let evidence = format!(
        "a mix at {rate:.0}/s, one heavy job {job:.1} ms; {}: {}. Rule: {C7_SERVER_RULE}.",
        said.join(", "),
        checks.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join("; ")
    );
    verdict(judge_or_missing(&checks, &missing, evidence))
}

/// A C5 sweep's knee as a range: from the highest rate kept up below the lowest saturated to that one, the
/// middle their geometric mean; or why there is none: no knee found, the generator fell behind before the
/// bracket was narrowed, or a bracket wider than the sweep's resolution.
fn knee_range(sweep: &super::CoresSweep) -> Result<crate::claims::Range, String> {
    let rows: Vec<&StepRow> = sweep.rows.iter().collect();
    let s = sweep.structure;
    let bound = by_rate(&rows).into_iter().find(|(_, o)| matches!(o, StepOutcome::GeneratorBound(_)));
    match (super::analysis::knee(&rows), bound) {
        (_, Some((rate, _))) => {
            Err(format!("the generator fell behind at {rate:.0}/s before {s}'s knee was narrowed"))
        }
        ((Some(lo), Some(hi)), None) if sweep.resolution > 0.0 && hi > lo * sweep.resolution * 1.000_001 => {
            Err(format!("{s}'s knee between {lo:.0} and {hi:.0}/s was not narrowed to its resolution"))
        }
        ((Some(lo), Some(hi)), None) => {
            Ok(crate::claims::Range { lo, mid: (lo * hi).sqrt(), hi, known: true })
        }
        ((Some(lo), None), None) => {
            Err(format!("{s} kept up to {lo:.0}/s, the highest rate it was offered: no knee"))
        }
        ((None, Some(hi)), None) => Err(format!("{s} kept up with no rate (saturated at {hi:.0}/s)")),
        ((None, None), None) => Err(format!("{s} has no step")),
    }
}

/// The cores `sweep`'s structure kept busy at its knee (the highest rate kept up), over its steps there
/// that kept up, the one `pick` prefers (`f64::min` for a floor, `f64::max` for a ceiling: the strict one).
fn busy_at_knee(sweep: &super::CoresSweep, pick: fn(f64, f64) -> f64) -> Option<f64> {
    let rows: Vec<&StepRow> = sweep.rows.iter().collect();
    let lo = super::analysis::knee(&rows).0?;
    sweep
        .rows
        .iter()
        .filter(|r| r.offered == lo && r.outcome == StepOutcome::KeptUp)
        .map(|r| r.server_cores_busy)
        .reduce(pick)
}

/// A ratio of two knees as C5's evidence shows it: its middle and the brackets' extremes (never written as
/// an interval: a bracket is the rate grid's resolution).
fn bracketed(r: crate::claims::Range) -> String {
    format!("{:.2}x (brackets {:.2}x to {:.2}x)", r.mid, r.lo, r.hi)
}

/// C5 on a server ([`crate::claims::C5_SERVER_RULE`]): from the sweeps of `async_multi/N` (their knees as
/// brackets), with P physical cores among the server's S CPUs (P at least 2). CPU-bound requests, where
/// `async_multi/1` keeps at least [`crate::claims::C5_SERVER_CPU_BOUND`] cores busy at its knee (the half's
/// condition, else not judged): the knee of N = P over that of N = 1 at least [`crate::claims::FOLLOWS`] x P,
/// and that of N = 2S over that of N = S at most [`crate::claims::CAP`]. Waiting requests, where
/// `async_multi/1` keeps at most [`crate::claims::IDLE_CORES`] busy at its knee (else not judged): the
/// ceiling the waits set (connections / (wait + hashing)) over the knee of N = 1 at most
/// [`crate::claims::CAP`], and the knee of N = P over that of N = 1 at most [`crate::claims::CAP`]. Each
/// ratio over its brackets; a failed check decides (not shown) even where a part could not be measured.
pub fn c5(file: &ServerFile) -> crate::claims::Verdict {
    use super::Half;
    use crate::claims::{
        C5_SERVER_CPU_BOUND, C5_SERVER_RULE, CAP, FOLLOWS, IDLE_CORES, Range, at_least, at_most, cannot,
    };
    let verdict = |judged| twin("C5", judged);
    let Some(first) = file.c5.first() else { return verdict(cannot("no sweep of C5 was measured")) };
    let (p, s) = (first.cores, file.plan.server_cpus.len().max(1));
    if p < 2 {
        return verdict(cannot(format!(
            "the server's CPUs {:?} hold {p} physical core: growth with cores needs 2",
            file.plan.server_cpus
        )));
    }
    let find = |half: Half, n: usize| {
        file.c5.iter().find(|w| w.half == half && w.structure == Structure::AsyncMulti(n))
    };
    let (mut checks, mut missing, mut said) = (Vec::new(), Vec::new(), Vec::new());
    // Each half is judged only where async_multi/1 meets its condition at its knee: CPU-bound, or waiting.
    let mut condition = |half: Half| -> bool {
        let Some(one) = find(half, 1) else {
            missing.push(format!("{half}: no sweep of async_multi/1"));
            return false;
        };
        let pick: fn(f64, f64) -> f64 = if half == Half::Hashing { f64::min } else { f64::max };
        let Some(busy) = busy_at_knee(one, pick) else { return true };
        let (ok, wanted) = match half {
            Half::Hashing => {
                (busy >= C5_SERVER_CPU_BOUND, format!(">= {C5_SERVER_CPU_BOUND}: not CPU-bound"))
            }
            Half::Waiting => (busy <= IDLE_CORES, format!("<= {IDLE_CORES}: not mostly waiting")),
        };
        if !ok {
            missing.push(format!(
                "{half}: async_multi/1 kept {busy:.2} cores busy at its knee, not {wanted}, the claim's condition"
            ));
        }
        ok
    };
    let judge_hashing = condition(Half::Hashing);
    let judge_waiting = condition(Half::Waiting);
    let mut knee = |half: Half, n: usize, missing: &mut Vec<String>| -> Option<Range> {
        let Some(sweep) = find(half, n) else {
            missing.push(format!("{half}: no sweep of async_multi/{n}"));
            return None;
        };
        match knee_range(sweep) {
            Ok(k) => {
                let line = format!("{half}: async_multi/{n} knee {:.0} to {:.0}/s", k.lo, k.hi);
                if !said.contains(&line) {
                    said.push(line);
                }
                Some(k)
            }
            Err(e) => {
                missing.push(format!("{half}: {e}"));
                None
            }
        }
    };
    if judge_hashing {
        let (one, at_p) = (knee(Half::Hashing, 1, &mut missing), knee(Half::Hashing, p, &mut missing));
        let (at_s, beyond) = (knee(Half::Hashing, s, &mut missing), knee(Half::Hashing, 2 * s, &mut missing));
        if let (Some(one), Some(at_p)) = (one, at_p) {
            let growth = at_p / one;
            let want = FOLLOWS * p as f64;
            checks.push((
                at_least(growth, want),
                format!(
                    "CPU-bound knee N={p} / N=1 {} (>= {})",
                    bracketed(growth),
                    crate::claims::plain(want)
                ),
            ));
        }
        if let (Some(at_s), Some(beyond)) = (at_s, beyond) {
            let cap = beyond / at_s;
            checks.push((
                at_most(cap, CAP),
                format!("CPU-bound knee N={} / N={s} {} (<= {CAP}, a control)", 2 * s, bracketed(cap)),
            ));
        }
    }
    if judge_waiting {
        let (one, at_p) = (knee(Half::Waiting, 1, &mut missing), knee(Half::Waiting, p, &mut missing));
        if let Some(one) = one {
            let w = find(Half::Waiting, 1).expect("a sweep with a knee");
            let ceiling = w.connections as f64 / ((w.wait_ms as f64 + w.hash_ms) / 1e3).max(1e-9);
            // No server answers more than its connections carry: a knee kept up above the ceiling (past
            // the grid's resolution) was a step too short to see the queue grow, a failed measurement.
            let over: Vec<String> = [(1, Some(one)), (p, at_p)]
                .into_iter()
                .filter_map(|(n, k)| k.filter(|k| k.lo > ceiling * w.resolution.max(1.0)).map(|k| (n, k)))
                .map(|(n, k)| {
                    format!(
                        "{half}: async_multi/{n} kept up at {:.0}/s, above the {ceiling:.0}/s its connections carry: a \
                         failed measurement (a step too short for its queue to show)",
                        k.lo,
                        half = Half::Waiting
                    )
                })
                .collect();
            if over.is_empty() {
                let reach = Range { lo: ceiling, mid: ceiling, hi: ceiling, known: true } / one;
                checks.push((
                    at_most(reach, CAP),
                    format!(
                        "waiting: ceiling {ceiling:.0}/s ({} connections / {} ms) / knee N=1 {} (<= {CAP})",
                        w.connections,
                        w.wait_ms,
                        bracketed(reach)
                    ),
                ));
                if let Some(at_p) = at_p {
                    let flat = at_p / one;
                    checks.push((
                        at_most(flat, CAP),
                        format!("waiting knee N={p} / N=1 {} (<= {CAP}, a control)", bracketed(flat)),
                    ));
                }
            }
            missing.extend(over);
        }
    }
    let shared =
        if file.plan.server_cpus == file.plan.generator_cpus { " (shared with the generator)" } else { "" };
    let evidence = format!(
        "server CPUs {:?}{shared}, {p} physical cores; {}: {}. Rule: {C5_SERVER_RULE}.",
        file.plan.server_cpus,
        if said.is_empty() { "no knees".to_string() } else { said.join("; ") },
        checks.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join("; ")
    );
    let mut judged = judge_or_missing(&checks, &missing, evidence);
    // A threshold inside a ratio's brackets is the rate grid's doing, not noise measured over rounds.
    judged.evidence = judged.evidence.replace(
        "too noisy to decide: a threshold lies inside the measured interval [low to high]",
        "undecided: a threshold lies inside the knees' brackets (the rate grid's resolution)",
    );
    verdict(judged)
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
    if !file.c5.is_empty() {
        out.push(c5(file));
    }
    out
}
