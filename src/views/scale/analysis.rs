//! `cvp scale`'s rows -> derived numbers and verdicts, no I/O: waits, overhead, in flight and memory per
//! wait against each structure's J = 1 row and noise floor, the ratio to the reference, the two
//! performance goals, and claim C8 (its thresholds are in [`crate::claims`]).

use super::{Io, Row};
use crate::claims::{
    C8_MEMORY, C8_MIN_JOBS, C8_NOT_FASTER, Judged, MIN_ROUNDS, MIN_SAMPLES_FOR_CI, NET_LABEL, Range, Verdict,
    at_least, at_most, cannot, judge, median_ci,
};
use crate::report::text::bytes_text;
use crate::report::text::human_time;

/// Performance goal: `async` on 1 worker within this factor of the reference's `waits` at every J.
pub const REFERENCE_GOAL: f64 = 1.10;
/// A memory per wait is printed only where the excess over the baseline is at least this many times the
/// structure's noise floor (its J = 1 excess): the error is then at most 1 / this.
pub const NOISE_FACTOR: f64 = 5.0;

/// Performance goal for `--io socket`: `async` on 1 worker within this factor of the socket reference's
/// wall at each J of [`NET_GOAL_JOBS`] ([`net_goal`]). The reference does the same socket work
/// (connect, send the seed, read the reply, check it, reset) with no strategy machinery, so the ratio is
/// what the machinery (its task, its timeout, its probe, its join) adds; that should cost nothing visible
/// next to the socket work, and 10% is what noise alone may move the ratio, as for sleeps.
pub const NET_GOAL: f64 = 1.10;
/// The job counts the socket goal is judged at: where the requests' own work is a visible part of the wall
/// (at 10 or 100 requests both programs take about one request, and the ratio says nothing).
pub const NET_GOAL_JOBS: [usize; 2] = [1_000, 10_000];

/// The rows C8 compares, by label. At every J >= [`C8_MIN_JOBS`] where both run, they run at least
/// [`MIN_SAMPLES_FOR_CI`] times (`measure::runs`): the fewest that give a 95% interval for a median.
pub const C8_ROWS: [&str; 2] = ["thread_per_job", "async/1"];

impl Row {
    /// The wall time with the fastest and slowest run (from [`MIN_ROUNDS`] runs on): what the goals read,
    /// and say so ("min - max of the runs"). No verdict reads it.
    pub(super) fn wall_span(&self) -> Option<Range> {
        let range = self.wall_min_s.zip(self.wall_max_s).filter(|_| self.repeats >= MIN_ROUNDS);
        self.wall_s.map(|w| Range::of(w, range))
    }

    /// The median wall time with its distribution-free 95% interval over the runs ([`median_ci`]): what C8
    /// reads. No interval below [`MIN_SAMPLES_FOR_CI`] runs, or in a file that kept no wall per run.
    pub(super) fn wall(&self) -> Option<Range> {
        self.wall_s.map(|w| Range::of(w, median_ci(&self.wall_runs_s).map(|(ci, _)| ci)))
    }

    /// The memory per wait, when clear of the noise floor: the median over the runs with its 95% interval
    /// ([`median_ci`]), what C8 reads. No interval below [`MIN_SAMPLES_FOR_CI`] runs.
    pub(super) fn bytes(&self) -> Option<Range> {
        let per: Vec<f64> = self.excess_bytes.iter().map(|&e| e as f64 / self.jobs as f64).collect();
        self.bytes_per_wait.map(|b| Range::of(b, median_ci(&per).map(|(ci, _)| ci)))
    }

    /// The runs behind the intervals C8 reads: walls kept per run, else (an older file) the row's count.
    fn runs_kept(&self) -> usize {
        if self.wall_runs_s.is_empty() { 0 } else { self.wall_runs_s.len().min(self.excess_bytes.len()) }
    }
}

/// The true median (the mean of the middle two for an even count); `NaN` for none.
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
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
        if !r.excess_bytes.is_empty() && r.excess_bytes.iter().all(|&e| clear(e)) {
            // The median over the runs (its own statistic, not the median-wall run's memory): the value
            // C8's interval ([`median_ci`] of the same per-run values) is an interval for.
            let per: Vec<f64> = r.excess_bytes.iter().map(|&e| e as f64 / j).collect();
            r.bytes_per_wait = Some(median(&per));
            r.bytes_per_wait_range = Some(min_max(per.iter().copied()));
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
        let walls =
            [Some(&*r), own_one, Some(reference), ref_one.as_ref()].map(|x| x.and_then(Row::wall_span));
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
    within(row, REFERENCE_GOAL)
}

/// The goal of `--io socket` at `jobs` requests (one of [`NET_GOAL_JOBS`]): `async/1`'s wall over the socket
/// reference's at the same J, with every ratio the runs' fastest and slowest allow, and `met`, `missed` or
/// `undecided` against [`NET_GOAL`] as for [`goal`]. The walls compare directly: both programs send the
/// same J requests to the same service with the same wait (dividing each by its own one-request wall, as
/// `vs ref` does for sleeps, would only add two more measurements' noise). `None` when either row was not
/// measured.
pub fn net_goal(rows: &[Row], jobs: usize) -> Option<(Range, &'static str)> {
    let find = |label: &str| rows.iter().find(|r| r.label() == label && r.jobs == jobs && r.ok());
    let ratio = find("async/1")?.wall_span()? / find("reference")?.wall_span()?;
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

fn within(row: &Row, limit: f64) -> Option<&'static str> {
    let v = row.vs_reference?;
    Some(match row.vs_reference_range {
        None => "no interval (fewer than 3 runs)",
        Some((_, hi)) if hi <= limit => "met",
        Some((lo, _)) if lo > limit => "missed",
        Some(_) if v <= limit => "undecided (noise; the median meets it)",
        Some(_) => "undecided (noise; the median misses it)",
    })
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
    let (statement, prefix) = match io {
        Io::Sleep => (c8.statement.to_string(), String::new()),
        Io::Socket => (format!("{} ({NET_LABEL})", c8.statement), format!("{NET_LABEL}: ")),
    };
    let unit = io.unit();
    let verdict = |judged: Judged| Verdict {
        statement: statement.clone(),
        evidence: format!("{prefix}{}", judged.evidence),
        ..c8.verdict(judged)
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
        return verdict(cannot(format!("no J >= {C8_MIN_JOBS} at which both were measured: {why}")));
    };
    let (tpj, asy) =
        (find("thread_per_job", j).expect("found above"), find("async/1", j).expect("found above"));
    let short: Vec<String> = [tpj, asy]
        .iter()
        .filter(|r| r.runs_kept() < MIN_SAMPLES_FOR_CI)
        .map(|r| match r.runs_kept() {
            0 if r.repeats >= MIN_SAMPLES_FOR_CI => {
                format!(
                    "{} at J={j}: {} runs, but no wall per run kept (a file from before they were)",
                    r.label(),
                    r.repeats
                )
            }
            0 => format!("{} at J={j}: {} run(s)", r.label(), r.repeats),
            n => format!("{} at J={j}: {n} run(s)", r.label()),
        })
        .collect();
    if !short.is_empty() {
        return verdict(cannot(format!(
            "fewer than {MIN_SAMPLES_FOR_CI} runs: {}; a distribution-free 95% interval for a median needs at least \
             {MIN_SAMPLES_FOR_CI} (the fastest to slowest of 3 covers it only 75% of the time; `cvp scale` runs \
             these rows {MIN_SAMPLES_FOR_CI} times)",
            short.join("; ")
        )));
    }
    let (Some(tb), Some(ab), Some(tw), Some(aw)) = (tpj.bytes(), asy.bytes(), tpj.wall(), asy.wall()) else {
        unreachable!("usable rows have memory and wall")
    };
    let memory = tb / ab;
    let faster = aw / tw;
    let (memory_text, faster_text) = (memory.show(|x| format!("{x:.1}")), faster.show(|x| format!("{x:.2}")));
    let checks = [
        (at_least(memory, C8_MEMORY), format!("memory {memory_text}x per {unit} (>= {C8_MEMORY}x)")),
        (
            at_most(faster, C8_NOT_FASTER),
            format!("async wall / thread_per_job wall {faster_text} (<= {C8_NOT_FASTER})"),
        ),
    ];
    let threads = tpj.peak_threads.unwrap_or(0);
    let evidence = format!(
        "at J={j}: thread_per_job {} per {unit}, {} wall, at most {threads} threads alive at once ({:.0} {unit}s \
         in flight on average: starting a thread costs more than a {unit} lasts, and each thread's stack stays \
         resident until it is joined); async/1 {} per {unit}, {} wall; memory ratio {}x, async wall / \
         thread_per_job wall {} (medians, each with its distribution-free 95% interval over {} and {} runs; \
         criterion: memory >= {C8_MEMORY}x, ratio <= {C8_NOT_FASTER}, over every ratio the intervals allow)",
        bytes_text(tb.mid),
        human_time(tw.mid),
        tpj.in_flight.unwrap_or(0.0),
        bytes_text(ab.mid),
        human_time(aw.mid),
        memory_text,
        faster_text,
        tpj.runs_kept(),
        asy.runs_kept(),
    );
    verdict(judge(&checks, evidence))
}

/// The verdicts of a scale run, judged afresh from its rows: C8 on rows whose waits are `io`. What
/// `cvp scale` writes and what `cvp report --scale` shows (never copied from the file).
pub fn verdicts(rows: &[Row], io: Io) -> Vec<Verdict> {
    vec![c8_on(rows, io)]
}
