//! `cvp scale`'s rows -> derived numbers and verdicts, no I/O: waits, overhead, in flight and memory per
//! wait against each structure's J = 1 row and noise floor, the ratio to the reference, the two
//! performance goals, and claim C8 (its thresholds are in [`crate::claims`]).

use super::{Io, Row};
use crate::claims::MIN_ROUNDS;
use crate::claims::{
    C8_MEMORY, C8_MIN_JOBS, C8_NOT_FASTER, NET_LABEL, Outcome, Range, Verdict, at_least, at_most, judge,
};
use crate::report::text::bytes_text;
use crate::report::text::human_time;

/// Performance goal: `async` on 1 worker within this factor of the reference's `waits` at every J.
pub const REFERENCE_GOAL: f64 = 1.10;
/// A memory per wait is printed only where the excess over the baseline is at least this many times the
/// structure's noise floor (its J = 1 excess): the error is then at most 1 / this.
pub const NOISE_FACTOR: f64 = 5.0;

/// C8 on `net_bound` and the socket goal: the job count of the goal "1,000 requests of one wait within
/// [`NET_GOAL`] of one request on the same runtime".
pub const NET_GOAL_JOBS: usize = 1_000;
/// Performance goal for `--io socket`: `async` on 1 worker runs [`NET_GOAL_JOBS`] requests within this
/// factor of one request's wall on the same runtime (its J = 1 row).
pub const NET_GOAL: f64 = 1.3;
/// The wait, ms, at which the socket goal is defined ("1,000 requests of 10 ms"): at another W the same
/// per-request cost is a different share of the wall, so [`net_goal`] does not judge it.
pub const NET_GOAL_WAIT_MS: u64 = 10;
impl Row {
    /// The wall time with its min - max, when measured (an interval only from 3 runs on).
    pub(super) fn wall(&self) -> Option<Range> {
        let range = self.wall_min_s.zip(self.wall_max_s).filter(|_| self.repeats >= MIN_ROUNDS);
        self.wall_s.map(|w| Range::of(w, range))
    }

    /// The memory per wait with its min - max, when clear of the noise floor.
    pub(super) fn bytes(&self) -> Option<Range> {
        let range = self.bytes_per_wait_range.filter(|_| self.repeats >= MIN_ROUNDS);
        self.bytes_per_wait.map(|b| Range::of(b, range))
    }
}

fn min_max(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    (v.clone().fold(f64::INFINITY, f64::min), v.fold(f64::NEG_INFINITY, f64::max))
}

/// Fills in what needs other rows: waits, overhead and in flight against the same structure's J = 1 wall,
/// memory per wait above the same structure's noise floor, and the ratio to the reference.
pub fn derive(rows: &mut [Row]) {
    let floors: Vec<(String, f64, u64)> = rows
        .iter()
        .filter(|r| r.jobs == 1 && r.ok())
        .filter_map(|r| Some((r.label(), r.wall_s?, r.excess_bytes.iter().copied().max()?)))
        .collect();
    let floor = |label: &str| floors.iter().find(|(l, _, _)| l == label).map(|&(_, w, n)| (w, n));
    for r in rows.iter_mut().filter(|r| r.ok()) {
        let Some((w1, noise)) = floor(&r.label()) else { continue };
        let Some(wall) = r.wall_s else { continue };
        let j = r.jobs as f64;
        r.waits = Some(wall / w1);
        r.overhead_us_per_wait = Some((wall - w1) / j * 1e6);
        r.in_flight = Some(j * w1 / wall);
        // A page is the least the counters can move by: the floor is never below one.
        let noise = noise.max(4096);
        r.noise_floor_bytes = Some(noise);
        let clear = |e: u64| r.jobs > 1 && e as f64 >= NOISE_FACTOR * noise as f64;
        if r.excess_bytes.first().is_some_and(|&e| clear(e)) && r.excess_bytes.iter().all(|&e| clear(e)) {
            r.bytes_per_wait = Some(r.excess_bytes[0] as f64 / j);
            r.bytes_per_wait_range = Some(min_max(r.excess_bytes.iter().map(|&e| e as f64 / j)));
        }
    }
    let reference: Vec<Row> =
        rows.iter().filter(|r| r.strategy == "reference" && r.waits.is_some()).cloned().collect();
    let ref_one = reference.iter().find(|r| r.jobs == 1).cloned();
    let one: Vec<Row> = rows.iter().filter(|r| r.jobs == 1 && r.ok()).cloned().collect();
    for r in rows.iter_mut().filter(|r| r.waits.is_some()) {
        let Some(reference) = reference.iter().find(|x| x.jobs == r.jobs) else { continue };
        r.vs_reference = r.waits.zip(reference.waits).map(|(a, b)| a / b);
        // Every ratio the four walls' fastest and slowest allow: (wall / wall1) / (ref / ref1).
        let own_one = one.iter().find(|x| x.label() == r.label());
        let walls = [Some(&*r), own_one, Some(reference), ref_one.as_ref()].map(|x| x.and_then(Row::wall));
        if let [Some(w), Some(w1), Some(rf), Some(rf1)] = walls {
            let ratio = (w / w1) / (rf / rf1);
            if ratio.known {
                r.vs_reference_range = Some((ratio.lo, ratio.hi));
            }
        }
    }
}

/// The goal "`async` on 1 worker within [`REFERENCE_GOAL`] of the reference" at one J: met when the
/// whole interval is at or below it, missed when the whole interval is above, undecided otherwise.
pub fn goal(row: &Row) -> Option<&'static str> {
    let v = row.vs_reference?;
    Some(match row.vs_reference_range {
        None => "no interval (fewer than 3 runs)",
        Some((_, hi)) if hi <= REFERENCE_GOAL => "met",
        Some((lo, _)) if lo > REFERENCE_GOAL => "missed",
        Some(_) if v <= REFERENCE_GOAL => "undecided (noise; the median meets it)",
        Some(_) => "undecided (noise; the median misses it)",
    })
}

/// The goal of `--io socket`: `async/1` at [`NET_GOAL_JOBS`] requests within [`NET_GOAL`] of its own
/// J = 1 wall: its `waits` with every ratio the runs' fastest and slowest allow, and `met`, `missed` or
/// `undecided` as for [`goal`]. `None` when either row was not measured, or their wait is not
/// [`NET_GOAL_WAIT_MS`].
pub fn net_goal(rows: &[Row]) -> Option<(Range, &'static str)> {
    let find = |j: usize| {
        rows.iter().find(|r| r.label() == "async/1" && r.jobs == j && r.ok() && r.wait_ms == NET_GOAL_WAIT_MS)
    };
    let (many, one) = (find(NET_GOAL_JOBS)?.wall()?, find(1)?.wall()?);
    let ratio = many / one;
    let outcome = if !ratio.known {
        "no interval (fewer than 3 runs)"
    } else if ratio.hi <= NET_GOAL {
        "met"
    } else if ratio.lo > NET_GOAL {
        "missed"
    } else if ratio.mid <= NET_GOAL {
        "undecided (noise; the median meets it)"
    } else {
        "undecided (noise; the median misses it)"
    };
    Some((ratio, outcome))
}

/// Claim C8 from the rows: at the largest J >= [`C8_MIN_JOBS`] where `thread_per_job` and `async/1` both
/// ran with a memory per wait clear of the noise floor, `thread_per_job` needs >= [`C8_MEMORY`] x the memory
/// per wait and is not faster.
pub fn c8(rows: &[Row]) -> Verdict {
    c8_on(rows, Io::Sleep)
}

/// C8 as [`c8`], on rows whose waits are `io`: for [`Io::Socket`] the statement and the evidence say
/// `net_bound: loopback TCP` and count requests, not waits.
pub fn c8_on(rows: &[Row], io: Io) -> Verdict {
    let c8 = crate::claims::claim("C8");
    let (claim, statement) = (c8.id, c8.statement);
    let (statement, prefix) = match io {
        Io::Sleep => (statement.to_string(), String::new()),
        Io::Socket => (format!("{statement} ({NET_LABEL})"), format!("{NET_LABEL}: ")),
    };
    let unit = io.unit();
    let verdict = |verdict: Outcome, evidence: String| Verdict {
        claim: claim.into(),
        statement: statement.clone(),
        verdict,
        evidence: format!("{prefix}{evidence}"),
    };
    let find = |label: &str, j: usize| rows.iter().find(|r| r.label() == label && r.jobs == j);
    let usable = |r: &Row| r.ok() && r.bytes_per_wait.is_some() && r.wall_s.is_some();
    let both: Option<usize> = rows
        .iter()
        .filter(|r| r.jobs >= C8_MIN_JOBS && r.label() == "thread_per_job" && usable(r))
        .map(|r| r.jobs)
        .filter(|&j| find("async/1", j).is_some_and(usable))
        .max();
    let Some(j) = both else {
        let why: Vec<String> = rows
            .iter()
            .filter(|r| r.jobs >= C8_MIN_JOBS && (r.label() == "thread_per_job" || r.label() == "async/1"))
            .filter(|r| !usable(r))
            .map(|r| {
                let what = if r.ok() {
                    format!("memory per {unit} below the noise floor")
                } else {
                    r.status.clone()
                };
                format!("{} at J={}: {what}", r.label(), r.jobs)
            })
            .collect();
        let why = if why.is_empty() {
            format!("thread_per_job and async/1 were not both run at a J of at least {C8_MIN_JOBS}")
        } else {
            why.join("; ")
        };
        return verdict(
            Outcome::CannotBeShown,
            format!("no J >= {C8_MIN_JOBS} at which both were measured: {why}"),
        );
    };
    let (tpj, asy) =
        (find("thread_per_job", j).expect("found above"), find("async/1", j).expect("found above"));
    let (Some(tb), Some(ab), Some(tw), Some(aw)) = (tpj.bytes(), asy.bytes(), tpj.wall(), asy.wall()) else {
        unreachable!("usable rows have memory and wall")
    };
    let memory = tb / ab;
    let faster = aw / tw;
    let tests = [at_least(memory, C8_MEMORY), at_most(faster, C8_NOT_FASTER)];
    let threads = tpj.peak_threads.unwrap_or(0);
    let evidence = format!(
        "at J={j}: thread_per_job {} per {unit}, {} wall, at most {threads} threads alive at once ({:.0} {unit}s \
         in flight on average: starting a thread costs more than a {unit} lasts, and each thread's stack stays \
         resident until it is joined); async/1 {} per {unit}, {} wall; memory ratio {}x, async wall / \
         thread_per_job wall {} (criterion: memory >= {C8_MEMORY}x, ratio <= {C8_NOT_FASTER})",
        bytes_text(tb.mid),
        human_time(tw.mid),
        tpj.in_flight.unwrap_or(0.0),
        bytes_text(ab.mid),
        human_time(aw.mid),
        memory.show(|x| format!("{x:.1}")),
        faster.show(|x| format!("{x:.2}")),
    );
    let (outcome, evidence) = judge(&tests, evidence);
    verdict(outcome, evidence)
}

/// The verdicts of a scale run, judged afresh from its rows: C8 on rows whose waits are `io`. What
/// `cvp scale` writes and what `cvp report --scale` shows (never copied from the file).
pub fn verdicts(rows: &[Row], io: Io) -> Vec<Verdict> {
    vec![c8_on(rows, io)]
}
