//! The nine claims in one place, and the verdict toolkit every view judges with.
//!
//! A claim is judged from measurements only, each condition on a value **with its interval**
//! ([`Range`]): [`at_most`] / [`at_least`] say whether the whole interval meets a threshold, misses it, or
//! straddles it, and [`judge`] turns the tests into an [`Outcome`]: shown when every condition is met over
//! its whole interval, not shown when one fails over its whole interval, "cannot be shown here" otherwise
//! (too noisy, no interval, or a machine that cannot show it). No view keeps its own copy of these rules,
//! and no view borrows another claim's threshold: each claim's thresholds are below, each with its reason.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A measured value with its interval, `lo <= mid <= hi`. Without an interval (`known` false: a single
/// `cvp run` round, or a run file from before intervals were kept) the width is zero and no verdict is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// Lower end.
    pub lo: f64,
    /// The value.
    pub mid: f64,
    /// Upper end.
    pub hi: f64,
    /// Whether the interval was measured.
    pub known: bool,
}

/// The quotient of two positive ranges: every ratio their values allow.
impl std::ops::Div for Range {
    type Output = Range;
    fn div(self, b: Range) -> Range {
        Range { lo: self.lo / b.hi, mid: self.mid / b.mid, hi: self.hi / b.lo, known: self.known && b.known }
    }
}

/// The difference of two ranges: every difference their values allow.
impl std::ops::Sub for Range {
    type Output = Range;
    fn sub(self, b: Range) -> Range {
        Range { lo: self.lo - b.hi, mid: self.mid - b.mid, hi: self.hi - b.lo, known: self.known && b.known }
    }
}

impl Range {
    /// `mid` with the interval `range`, if any.
    pub fn of(mid: f64, range: Option<(f64, f64)>) -> Range {
        let (lo, hi) = range.unwrap_or((mid, mid));
        Range { lo: lo.min(mid), mid, hi: hi.max(mid), known: range.is_some() }
    }

    /// Scaled by `k > 0`.
    pub fn scale(self, k: f64) -> Range {
        Range { lo: self.lo * k, mid: self.mid * k, hi: self.hi * k, known: self.known }
    }

    pub(crate) fn show(self, f: impl Fn(f64) -> String) -> String {
        if self.hi - self.lo > 1e-12 * self.mid.abs() {
            format!("{} [{} to {}]", f(self.mid), f(self.lo), f(self.hi))
        } else {
            f(self.mid)
        }
    }
}

/// How a claim fared on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The measurements meet the claim's criterion.
    #[serde(rename = "shown")]
    Shown,
    /// The measurements were taken and do not meet it.
    #[serde(rename = "not shown")]
    NotShown,
    /// The measurements needed are missing, or this machine cannot show it (e.g. one core).
    #[serde(rename = "cannot be shown here")]
    CannotBeShown,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Shown => "shown",
            Outcome::NotShown => "not shown",
            Outcome::CannotBeShown => "cannot be shown here",
        })
    }
}

/// The verdict on one claim, with the numbers behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// `C1` .. `C6`.
    pub claim: String,
    /// The claim in words.
    pub statement: String,
    /// The outcome.
    pub verdict: Outcome,
    /// The measured numbers and the criterion they were held to (or why it cannot be shown).
    pub evidence: String,
}

/// Fewest `cvp run` rounds whose fastest and slowest make an interval the verdicts accept.
pub const MIN_ROUNDS: usize = 3;

/// A verdict before it is given its claim: the outcome and the evidence.
pub(crate) type Judged = (Outcome, String);

/// A claim the data at hand cannot decide, and why.
pub(crate) fn cannot(why: impl Into<String>) -> Judged {
    (Outcome::CannotBeShown, why.into())
}

/// One condition of a claim, tested on a value with its interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Test {
    /// The whole interval meets the threshold.
    Meets,
    /// The whole interval misses it.
    Fails,
    /// The threshold lies inside the interval: the data cannot decide.
    Unsure,
    /// No interval was measured: nothing rules noise out.
    NoInterval,
}

/// Whether `x` is at most `t` over its whole interval.
pub(crate) fn at_most(x: Range, t: f64) -> Test {
    if !x.known {
        Test::NoInterval
    } else if x.hi <= t {
        Test::Meets
    } else if x.lo > t {
        Test::Fails
    } else {
        Test::Unsure
    }
}

/// Whether `x` is at least `t` over its whole interval.
pub(crate) fn at_least(x: Range, t: f64) -> Test {
    if !x.known {
        Test::NoInterval
    } else if x.lo >= t {
        Test::Meets
    } else if x.hi < t {
        Test::Fails
    } else {
        Test::Unsure
    }
}

/// Whether `x` is above `t` over its whole interval.
pub(crate) fn above(x: Range, t: f64) -> Test {
    if !x.known {
        Test::NoInterval
    } else if x.lo > t {
        Test::Meets
    } else if x.hi <= t {
        Test::Fails
    } else {
        Test::Unsure
    }
}

/// Shown when every condition is met over its whole interval, not shown when one fails over its whole
/// interval, and undecided (too noisy) otherwise.
pub(crate) fn judge(tests: &[Test], evidence: String) -> Judged {
    if tests.contains(&Test::NoInterval) {
        (
            Outcome::CannotBeShown,
            format!(
                "no interval to test against (one round measures no noise: use at least {MIN_ROUNDS} rounds, e.g. \
                 --repeat {MIN_ROUNDS}); {evidence}"
            ),
        )
    } else if tests.contains(&Test::Fails) {
        (Outcome::NotShown, evidence)
    } else if tests.iter().all(|t| *t == Test::Meets) {
        (Outcome::Shown, evidence)
    } else {
        (
            Outcome::CannotBeShown,
            format!(
                "too noisy to decide: a threshold lies inside the measured interval [low to high]; {evidence}"
            ),
        )
    }
}

// ---- C1..C6: judged by the scaling view (`cvp run`, and `cvp report` from criterion's data) ----

/// C1: "all the waits in about one wait": at most this many measured one-job waits of wall time.
pub const ONE_WAIT: f64 = 1.5;
/// C3, C5: "almost no CPU busy": at most this many cores busy.
pub const IDLE_CORES: f64 = 0.25;
/// C3: "many in flight": at least this fraction of the jobs in flight on average (measured wait).
pub const MANY_IN_FLIGHT: f64 = 0.5;
/// C2: a CPU-bound speedup "follows" min(workers, physical cores) when it reaches this fraction of it ...
pub const FOLLOWS: f64 = 0.75;
/// ... and "stops at the cores" when no worker count beats the usable cores by more than this factor.
pub const CAP: f64 = 1.15;
/// C4 is decidable only when one worker's event loop takes at least this fraction of one wait of its own
/// (wall minus the one-wait floor, beyond its interval): otherwise there is nothing for threads to take.
pub const LOOP_OWN: f64 = 0.25;
/// C4: more async workers "do not speed up" the loop when they cut its own time by at most this factor.
pub const FLAT: f64 = 1.25;
/// C5: an I/O speedup "grows past the cores" when it exceeds the cores by this factor.
pub const PAST_CORES: f64 = 1.25;
/// C6: async on 1 worker is "no faster than sequential" when its speedup is at most this.
pub const NO_FASTER: f64 = 1.10;

/// The claims, in order, with their statements.
pub const CLAIMS: [(&str, &str); 6] = [
    ("C1", "concurrency works without multiple cores"),
    ("C2", "parallelism needs cores"),
    ("C3", "concurrent programs are often not parallel"),
    ("C4", "more threads do not speed up an I/O-bound event loop"),
    ("C5", "parallelism helps only CPU-bound, splittable work"),
    ("C6", "concurrency is not speed"),
];

/// What the `net_bound` verdicts add to their claim's statement.
pub const NET_LABEL: &str = "net_bound: loopback TCP";

// ---- C7: judged by the latency view (`cvp latency`) ----

/// The statement of C7.
pub const C7: (&str, &str) = ("C7", "concurrency keeps a program responsive while it computes");
/// C7 "responsive": p99 at most this fraction of one heavy job (a request waits for a slice, not a job).
pub const RESPONSIVE: f64 = 0.25;
/// C7 "blocked": p99 at least this many heavy jobs (the blocked loop answers only between jobs).
pub const BLOCKED: f64 = 1.0;
/// C7: fewest served requests for a p99 worth judging (with fewer, the p99 is one of the last few values).
pub const MIN_SERVED: u64 = 100;
/// C7: a client over one interval late for more than this fraction of requests measured its own wake-up.
pub const CLIENT_BEHIND_FRACTION: f64 = 0.01;

// ---- C8: judged by the scale view (`cvp scale`) ----

/// Claim C8, as the report names it.
pub const C8: (&str, &str) = ("C8", "threads for waiting add overhead, not speed");
/// C8: the smallest J at which the claim is judged (fewer waits hide the overhead).
pub const C8_MIN_JOBS: usize = 1_000;
/// C8: `thread_per_job` must need at least this many times the memory per wait of `async` on 1 worker.
pub const C8_MEMORY: f64 = 5.0;
/// C8: "not faster": `thread_per_job`'s wall may be at most this much shorter than `async/1`'s: 10% for noise.
pub const C8_NOT_FASTER: f64 = 1.10;

// ---- C9: judged by the trace view (`cvp trace`) ----

/// C9's statement, as the verdict gives it.
pub const C9_STATEMENT: &str = "on one core the OS time-slices: runnable threads take turns";
/// C9: two threads' hashes must overlap "for most of the run": this fraction of the pass's wall time.
pub const C9_MOST_OF_THE_RUN: f64 = 0.5;
/// C9: below this cores busy on the one CPU, other processes took it too and a stretch may be theirs.
pub const C9_CPU_OURS: f64 = 0.9;
/// C9: a hash is judged only if others overlapped this fraction of it: runnable beside another all along.
pub const C9_JUDGED_OVERLAP: f64 = 0.9;
/// C9: each judged hash's wall / own CPU time must reach this (two threads on one core give 2, alone 1).
pub const C9_SLICED: f64 = 1.6;
/// C9: the fewest judged hashes a verdict is drawn from, so one lucky hash decides nothing.
pub const C9_MIN_JUDGED: usize = 4;
