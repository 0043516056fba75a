//! Judging `cvp latency`'s rows: the verdict on C7 ([`verdicts`], the one place it is judged, for the
//! command and for the report alike), C9's first evidence ([`time_slicing`]) and the notes. No I/O.

use super::{LatencyFile, Row, Setting, Structure};
use crate::claims::{
    BLOCKED, CLIENT_BEHIND_FRACTION, Check, Judged, MIN_SERVED, Outcome, RESPONSIVE, Range, Test, Verdict,
    at_least, at_most, cannot, claim, headline,
};

/// The harness's own p99 (no heavy work) should stay below this for `threads` and `sequential`, ms.
pub const FLOOR_THREADS_MS: f64 = 0.2;
/// ... and below this for the tokio structures, ms (a wake-up through the runtime, no timer on the path).
pub const FLOOR_TOKIO_MS: f64 = 1.2;

/// Sets `file`'s verdicts and notes from its rows (never copied from a file): what `cvp latency` prints and
/// what `cvp report --latency` shows.
pub fn judge_file(file: &mut LatencyFile) {
    file.verdicts = verdicts(file);
    file.notes = notes(file);
}

/// A row's p99 with its 95% interval, as the verdict toolkit tests it.
fn p99(r: &Row) -> Range {
    Range { lo: r.p99_range_ms.0, mid: r.p99_ms, hi: r.p99_range_ms.1, known: true }
}

fn p99_text(r: &Row) -> String {
    let runs = if r.p99_runs_ms.len() > 1 {
        format!(", median of {} runs", r.p99_runs_ms.len())
    } else {
        String::new()
    };
    format!(
        "{}/{} p99 {:.2} ms [{:.2} to {:.2}{runs}; {:.2} after send]",
        r.structure, r.workers, r.p99_ms, r.p99_range_ms.0, r.p99_range_ms.1, r.p99_after_send_ms
    )
}

/// Where the one-core rows' client ran, and how their p99 intervals were taken, in words.
fn arrangement(rows: &[&Row]) -> String {
    let apart = rows.iter().all(|r| r.client_apart());
    let cpus = |v: &[usize]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",");
    let place = match rows.first() {
        Some(r) if apart => {
            format!(
                "server on CPU {}, client on CPU {} of its own",
                cpus(&r.server_cpus),
                cpus(&r.client_cpus)
            )
        }
        Some(r) if !r.server_cpus.is_empty() => {
            format!("client and server share CPU {} (no other CPU usable)", cpus(&r.server_cpus))
        }
        _ => "client and server on the same CPU (a file from before the client had its own)".into(),
    };
    let by_runs = rows.iter().all(|r| r.p99_runs_ms.len() > 1);
    let interval = if by_runs {
        "p99 = the median of the runs' p99s, its 95% interval between runs".to_string()
    } else {
        "p99 intervals from one run's requests (assumed independent, so too narrow after a stall)".to_string()
    };
    format!("{place}; {interval}")
}

/// C7, from the one-core rows: shown when `async_yield`, `async_offload` and `threads` each keep p99 (its
/// whole interval) at most [`RESPONSIVE`] x one job while `async` on 1 worker has p99 at least
/// [`BLOCKED`] x one job. A threshold inside an interval gives "cannot be shown here (too noisy)", naming
/// the rows it leaves undecided; a
/// responsive row that fails only from the due time, while its p99 after send passes and its client could
/// not keep its schedule ([`client_could_not_keep_up`]), gives "cannot be shown here (the client could not
/// keep its schedule: ...)"; the one-core idle floor above the bound gives "cannot be shown here" too.
pub fn verdicts(file: &LatencyFile) -> Vec<Verdict> {
    vec![claim("C7").verdict(c7(file))]
}

/// C7's verdict ([`verdicts`]). Its headline: shown, the blocked loop's p99 and the highest of the others'
/// (their intervals are in the evidence: with them both would not fit); otherwise the p99s that decided, each
/// with its interval (a client that could not keep its schedule: its p99 from the due time and after send).
fn c7(file: &LatencyFile) -> Judged {
    let one: Vec<&Row> = file.rows.iter().filter(|r| r.setting == Setting::One).collect();
    if one.is_empty() {
        return cannot("no one-core rows: run with --cores 1 or --cores both");
    }
    if let Some(r) = one.iter().find(|r| r.cores != 1) {
        return cannot(format!(
            "{}/{} was asked for one core but could use {}",
            r.structure, r.workers, r.cores
        ));
    }
    let job = file.job_measured_ms;
    let Some(blocked) = one.iter().find(|r| r.structure == Structure::Async && r.workers == 1) else {
        return cannot("async on 1 worker (the blocked loop) was not measured on one core");
    };
    let mut responsive = Vec::new();
    for s in [Structure::AsyncYield, Structure::AsyncOffload, Structure::Threads] {
        let rs: Vec<&Row> = one.iter().copied().filter(|r| r.structure == s).collect();
        if rs.is_empty() {
            return cannot(format!("{s} was not measured on one core"));
        }
        responsive.extend(rs);
    }
    if let Some(r) = std::iter::once(blocked).chain(&responsive).find(|r| r.served < MIN_SERVED) {
        return cannot(format!(
            "{}/{} served {} requests, fewer than {MIN_SERVED}: no p99 to judge (a longer batch: --jobs)",
            r.structure, r.workers, r.served
        ));
    }
    let bound = RESPONSIVE * job;
    if let Some(f) = file.floor.iter().find(|f| {
        f.setting == Setting::One && responsive.iter().any(|r| r.structure == f.structure) && f.p99_ms > bound
    }) {
        return cannot(format!(
            "the harness alone (no heavy work, one core) already has p99 {:.2} ms for {}, above {RESPONSIVE} x \
             one job ({bound:.2} ms): the machine is too busy to tell",
            f.p99_ms, f.structure
        ))
        .with_headline(format!("the harness alone: p99 {:.2} ms for {} (<= {bound:.2} ms)", f.p99_ms, f.structure));
    }
    let blocked_test = at_least(p99(blocked), BLOCKED * job);
    let tests: Vec<(&Row, Test)> = responsive.iter().map(|r| (*r, at_most(p99(r), bound))).collect();
    // Each p99 as a headline names it, with its interval and its bound.
    let says = |r: &Row, cmp: &str, b: f64| {
        let (lo, hi) = r.p99_range_ms;
        format!("{}/{} p99 {:.2} ms [{lo:.2} to {hi:.2}] ({cmp} {b:.2} ms)", r.structure, r.workers, r.p99_ms)
    };
    let evidence = format!(
        "one core ({}), one job {job:.2} ms: {} (needs >= {:.2} ms); {} (each needs <= {bound:.2} ms; judged \
         from the due time, the client's own lateness included)",
        arrangement(&one),
        p99_text(blocked),
        BLOCKED * job,
        responsive.iter().map(|r| p99_text(r)).collect::<Vec<_>>().join(", ")
    );
    // A responsive row that fails only because its client could not keep its schedule (on one core the
    // client shares the CPU with the server, so the due-time p99 then measures the client's own wake-up)
    // while its p99 after send passes: the data cannot decide, never "not shown".
    let failing = tests.iter().filter(|(_, t)| *t == Test::Fails).map(|(r, _)| *r);
    // The rows a threshold lies inside the interval of, by name: noise leaves them undecided.
    let undecided: Vec<String> = std::iter::once((*blocked, blocked_test))
        .chain(tests.iter().map(|(r, t)| (*r, *t)))
        .filter(|(_, t)| *t == Test::Unsure)
        .map(|(r, _)| format!("{}/{}", r.structure, r.workers))
        .collect();
    let undecided = undecided.join(", ");
    let (client_fails, real_fails): (Vec<&Row>, Vec<&Row>) =
        failing.partition(|r| client_could_not_keep_up(r, bound) && r.p99_after_send_ms <= bound);
    // The checks a headline may name: a row whose client could not keep up decides nothing.
    let checks: Vec<Check> = std::iter::once((blocked_test, says(blocked, ">=", BLOCKED * job)))
        .chain(
            tests.iter().filter(|(r, _)| !client_fails.contains(r)).map(|(r, t)| (*t, says(r, "<=", bound))),
        )
        .collect();
    let judged = |outcome, evidence| Judged { outcome, evidence, headline: headline(&checks) };
    if blocked_test == Test::Fails || !real_fails.is_empty() {
        judged(Outcome::NotShown, evidence)
    } else if !client_fails.is_empty() {
        let why = client_fails
            .iter()
            .map(|r| {
                format!(
                    "{}/{}: {} of {} requests sent more than one interval late, {:.2} ms at the latest; p99 \
                     {:.2} ms from the due time but {:.2} ms after send",
                    r.structure,
                    r.workers,
                    r.client_behind,
                    r.sent,
                    r.client_late_ms,
                    r.p99_ms,
                    r.p99_after_send_ms
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let undecided = match undecided.as_str() {
            "" => String::new(),
            u => format!("; undecided (the bound lies inside the p99's interval): {u}"),
        };
        let shared = if client_fails.iter().any(|r| !r.client_apart()) {
            " (it shared the server's CPU: this machine has no other CPU to give it)"
        } else {
            ""
        };
        let r = client_fails[0];
        cannot(format!("the client could not keep its schedule{shared}: {why}{undecided}; {evidence}"))
            .with_headline(format!(
                "{}/{} p99 {:.2} ms from the due time but {:.2} ms after send (<= {bound:.2} ms)",
                r.structure, r.workers, r.p99_ms, r.p99_after_send_ms
            ))
    } else if blocked_test == Test::Meets && tests.iter().all(|(_, t)| *t == Test::Meets) {
        let worst = responsive.iter().max_by(|a, b| a.p99_ms.total_cmp(&b.p99_ms)).expect("measured above");
        let shown = [
            format!(
                "{}/{} p99 {:.2} ms (>= {:.2} ms)",
                blocked.structure,
                blocked.workers,
                blocked.p99_ms,
                BLOCKED * job
            ),
            format!(
                "worst other {}/{} {:.2} ms (<= {bound:.2} ms)",
                worst.structure, worst.workers, worst.p99_ms
            ),
        ];
        let headline = headline(&shown.map(|s| (Test::Meets, s)));
        Judged { outcome: Outcome::Shown, evidence, headline }
    } else {
        judged(
            Outcome::CannotBeShown,
            format!(
                "too noisy to decide: a threshold lies inside a p99's 95% interval, undecided: {undecided}; \
                 {evidence}"
            ),
        )
    }
}

/// Whether a row's client fell behind its schedule for more than [`CLIENT_BEHIND_FRACTION`] of its
/// requests, or was ever later than `bound_ms` itself.
pub fn client_could_not_keep_up(r: &Row, bound_ms: f64) -> bool {
    r.client_behind as f64 > CLIENT_BEHIND_FRACTION * r.sent as f64 || r.client_late_ms > bound_ms
}

/// C9's first evidence (not a verdict): on one core, `threads` and `async_offload` run several runnable
/// threads on one CPU, and the OS takes turns between them. One sentence per such row, from its involuntary
/// context switches, put beside the same structure's idle floor on one core (no heavy work: the harness's
/// own switches), so a reader sees how many come from the heavy work being time-sliced.
pub fn time_slicing(file: &LatencyFile) -> Vec<String> {
    let bound = RESPONSIVE * file.job_measured_ms;
    file.rows
        .iter()
        .filter(|r| r.setting == Setting::One && r.cores == 1)
        .filter(|r| matches!(r.structure, Structure::Threads | Structure::AsyncOffload))
        .map(|r| {
            let run_s = (r.sent as f64 * file.interval_ms as f64 / 1e3).max(r.batch_s).max(1e-9);
            let per_ms = r.involuntary_switches as f64 / (run_s * 1e3);
            let baseline = file
                .floor
                .iter()
                .find(|f| f.setting == Setting::One && f.structure == r.structure)
                .map_or_else(
                    || "no one-core idle floor to compare with".to_string(),
                    |f| {
                        let f_s = (f.sent as f64 * file.interval_ms as f64 / 1e3).max(1e-9);
                        format!(
                            "against {} in the {:.2} s of its one-core idle floor with no heavy work ({:.2} per ms)",
                            f.involuntary_switches,
                            f_s,
                            f.involuntary_switches as f64 / (f_s * 1e3)
                        )
                    },
                );
            if r.involuntary_switches == 0 {
                format!(
                    "C9 (first evidence): {}/{} on one core: no involuntary context switch measured, so no time \
                     slicing was seen",
                    r.structure, r.workers
                )
            } else {
                let finished = if r.p99_ms <= bound {
                    format!("requests still finished at p99 {:.2} ms, within the C7 bound of {bound:.2} ms", r.p99_ms)
                } else {
                    format!("requests finished at p99 {:.2} ms, above the C7 bound of {bound:.2} ms", r.p99_ms)
                };
                let who = if r.client_apart() {
                    "its heavy threads and its request handler on one CPU (the client on another)"
                } else {
                    "its heavy threads, its request handler and the client on one CPU"
                };
                format!(
                    "C9 (first evidence): {}/{} on one core ran {who}; the OS preempted a runnable thread {} \
                     times in {run_s:.2} s ({per_ms:.2} per ms), {baseline}; {finished}: time slicing",
                    r.structure, r.workers, r.involuntary_switches
                )
            }
        })
        .collect()
}

/// The notes: C9's first evidence, floors above what the harness should reach, a client that fell behind,
/// requests never served. Recomputed from the rows whenever a file is read.
pub fn notes(file: &LatencyFile) -> Vec<String> {
    let mut notes = time_slicing(file);
    for f in &file.floor {
        let limit = if f.structure.is_async() { FLOOR_TOKIO_MS } else { FLOOR_THREADS_MS };
        if f.p99_ms > limit {
            notes.push(format!(
                "floor: {} with no heavy work ({}) has p99 {:.3} ms, above the {limit} ms the harness should \
                 reach (a busy machine, or a slow wake-up)",
                f.structure,
                f.setting.words(),
                f.p99_ms
            ));
        }
    }
    let behind: Vec<&Row> = file.rows.iter().chain(&file.floor).filter(|r| r.client_behind > 0).collect();
    if let Some(worst) = behind.iter().max_by_key(|r| r.client_behind) {
        let latest = behind.iter().map(|r| r.client_late_ms).fold(0.0, f64::max);
        notes.push(format!(
            "the client fell behind its schedule (a request sent more than one interval after its due time) in \
             {} of {} runs, at worst {} of {} requests ({}/{}, {}), {latest:.2} ms at the latest: the \
             machine did not give the client thread a CPU in time (other load, or one core shared with the \
             server). Every request is still charged from its due time, so this inflates latencies, never hides them",
            behind.len(),
            file.rows.len() + file.floor.len(),
            worst.client_behind,
            worst.sent,
            worst.structure,
            worst.workers,
            worst.setting.words()
        ));
    }
    for r in file.rows.iter().chain(&file.floor).filter(|r| r.served < r.sent) {
        notes.push(format!(
            "{}/{} ({}): {} of {} requests were never served",
            r.structure,
            r.workers,
            r.setting.words(),
            r.sent - r.served,
            r.sent
        ));
    }
    notes
}
