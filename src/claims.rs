//! The nine claims in one place, and the verdict toolkit every view judges with.
//!
//! A claim is judged from measurements only, each condition on a value **with its interval**
//! ([`Range`]): `at_most` / `at_least` say whether the whole interval meets a threshold, misses it, or
//! straddles it, and `judge` turns the tests into an [`Outcome`]: shown when every condition is met over
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
    /// `C1` .. `C9`.
    pub claim: String,
    /// The claim in words (a boundary line's begins with [`BOUNDARY`]).
    pub statement: String,
    /// The outcome.
    pub verdict: Outcome,
    /// The measured numbers and the criterion they were held to (or why it cannot be shown).
    pub evidence: String,
    /// The one or two numbers that decide it, with their intervals and the bound they were held to, short
    /// enough for a verdict board (the evidence has the rest). Empty where nothing was measured.
    #[serde(default)]
    pub headline: String,
}

/// What a boundary line's statement begins with: a line beside a claim, never its verdict, that judges what
/// happens past the claim's condition (C4's: the loop "mostly waiting on I/O, not burning CPU").
pub const BOUNDARY: &str = "boundary, no longer mostly waiting: ";

impl Verdict {
    /// Whether this is a boundary line ([`BOUNDARY`]): judged like a verdict, counted as none.
    pub fn is_boundary(&self) -> bool {
        self.statement.starts_with(BOUNDARY)
    }

    /// The claim as a verdict table shows it: the claim's [`Claim::label`] (`C6 (control)`), or `C4 (boundary)`
    /// for a boundary line.
    pub fn label(&self) -> String {
        if self.is_boundary() {
            format!("{} (boundary)", self.claim)
        } else if self.is_server_twin() {
            match server_control(&self.claim) {
                Control::No => self.claim.clone(),
                Control::Whole => format!("{} (control)", self.claim),
                Control::Part(_) => format!("{} (part control)", self.claim),
            }
        } else {
            CLAIMS.iter().find(|c| c.id == self.claim).map_or(self.claim.clone(), Claim::label)
        }
    }

    /// Whether this is a claim's twin judged on a server: its statement ends with ([`SERVER_LABEL`]).
    pub fn is_server_twin(&self) -> bool {
        self.statement.ends_with(&format!("({SERVER_LABEL})"))
    }
}

/// The confidence of every interval a verdict is drawn from.
pub const CONFIDENCE: f64 = 0.95;

/// Fewest samples that give a distribution-free [`CONFIDENCE`] interval for a median: with `n` samples the
/// widest one, smallest to largest, covers the median with probability `1 - 2^(1-n)`, which first reaches 95%
/// at `n = 6` (96.9%; 93.8% at 5).
pub const MIN_SAMPLES_FOR_CI: usize = 6;

/// The distribution-free interval for the median of `values` at [`CONFIDENCE`] or more: order statistics
/// `(x(k), x(n+1-k))` with the largest `k` such that `P(k <= B <= n-k) >= CONFIDENCE`, `B ~ Binomial(n, 1/2)`
/// (the number of samples below the median). It assumes only independent samples of one distribution, not a
/// shape. `None` below [`MIN_SAMPLES_FOR_CI`] samples: no such interval exists, and min..max of fewer would
/// claim more than it covers. Returns the interval and its exact coverage.
pub fn median_ci(values: &[f64]) -> Option<((f64, f64), f64)> {
    let n = values.len();
    // A NaN would sort to one end and pass for a bound: no interval from values that are not numbers.
    if n < MIN_SAMPLES_FOR_CI || !values.iter().all(|v| v.is_finite()) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    // P(B <= j) for B ~ Binomial(n, 1/2), j = 0..n, each term C(n, j) / 2^n taken in logarithms: both
    // overflow a float from n = 1024 on.
    let mut cdf = Vec::with_capacity(n + 1);
    let (mut ln_c, mut acc) = (0.0f64, 0.0f64);
    let ln_2n = n as f64 * std::f64::consts::LN_2;
    for j in 0..=n {
        if j > 0 {
            ln_c += ((n + 1 - j) as f64 / j as f64).ln();
        }
        acc += (ln_c - ln_2n).exp();
        cdf.push(acc);
    }
    // Coverage of (x(k), x(n+1-k)), 1-based: 1 - 2 P(B <= k-1).
    let coverage = |k: usize| 1.0 - 2.0 * cdf[k - 1];
    let k = (1..=n / 2).rev().find(|&k| coverage(k) >= CONFIDENCE)?;
    Some(((v[k - 1], v[n - k]), coverage(k)))
}

/// Fewest runs whose fastest and slowest `cvp scale` shows beside its goals (which are goals, not verdicts: every
/// verdict needs [`MIN_SAMPLES_FOR_CI`] samples, its intervals are [`median_ci`]).
pub const MIN_ROUNDS: usize = 3;

/// A verdict before it is given its claim ([`Claim::verdict`]): the outcome, the evidence and the headline.
#[derive(Clone, Debug, PartialEq)]
pub struct Judged {
    /// The outcome.
    pub outcome: Outcome,
    /// The evidence ([`Verdict::evidence`]).
    pub evidence: String,
    /// The headline ([`Verdict::headline`]); empty where nothing was measured.
    pub headline: String,
}

impl Judged {
    /// The same verdict with `headline` (for a verdict judged without [`judge`]'s checks).
    pub(crate) fn with_headline(self, headline: impl Into<String>) -> Judged {
        Judged { headline: headline.into(), ..self }
    }
}

/// A claim the data at hand cannot decide, and why; no headline (the reason is the news).
pub(crate) fn cannot(why: impl Into<String>) -> Judged {
    Judged { outcome: Outcome::CannotBeShown, evidence: why.into(), headline: String::new() }
}

/// The most characters a headline takes where it can choose ([`headline`]).
pub const HEADLINE_MAX: usize = 90;

/// One condition of a claim and the words a headline names it with: the value as the evidence shows it,
/// with its interval, and the bound in parentheses (`1.02 [0.97 to 1.08]x at N=2 (<= 1.1)`).
pub(crate) type Check = (Test, String);

/// A verdict's headline from the checks it was judged on: the checks that decided the outcome (as
/// [`judge`] decides it: those without an interval if any, else those that fail if any, else all if all are
/// met, else those the data could not decide), in the order given (a claim lists its checks most telling
/// first), joined by `; ` while they fit in [`HEADLINE_MAX`] characters (the first always).
pub(crate) fn headline(checks: &[Check]) -> String {
    let has = |t: Test| checks.iter().any(|c| c.0 == t);
    let deciding = |c: &&Check| {
        if has(Test::NoInterval) {
            c.0 == Test::NoInterval
        } else if has(Test::Fails) {
            c.0 == Test::Fails
        } else {
            !has(Test::Unsure) || c.0 == Test::Unsure
        }
    };
    let mut out = String::new();
    for (_, words) in checks.iter().filter(deciding) {
        if out.is_empty() {
            out = words.clone();
        } else if out.chars().count() + 2 + words.chars().count() <= HEADLINE_MAX {
            out = format!("{out}; {words}");
        } else {
            break;
        }
    }
    out
}

/// A bound as a headline shows it: at most two decimals, no trailing zeros (`1.5`, `2.3`, `16`).
pub(crate) fn plain(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
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

/// Shown when every check is met over its whole interval, not shown when one fails over its whole
/// interval, and undecided (too noisy) otherwise; the headline names the checks that decided ([`headline`]).
pub(crate) fn judge(checks: &[Check], evidence: String) -> Judged {
    let tests: Vec<Test> = checks.iter().map(|c| c.0).collect();
    let (outcome, evidence) = if tests.is_empty() {
        // No condition tested is no evidence: never "shown" by default.
        (Outcome::CannotBeShown, format!("nothing was measured to test; {evidence}"))
    } else if tests.contains(&Test::NoInterval) {
        (
            Outcome::CannotBeShown,
            format!(
                "no interval to test against (fewer than {MIN_SAMPLES_FOR_CI} rounds give no 95% interval for a \
                 median: use at least --repeat {MIN_SAMPLES_FOR_CI}); {evidence}"
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
    };
    Judged { outcome, evidence, headline: headline(checks) }
}

/// One of the article's claims: what the suite says it is, the article's own words, the view that judges
/// it and the rule it is judged by (its thresholds are the constants below, each with its reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    /// `C1` .. `C9`.
    pub id: &'static str,
    /// The claim as a verdict states it.
    pub statement: &'static str,
    /// The article's words it comes from, quoted.
    pub article: &'static str,
    /// The view (`src/views/<view>`) that judges it.
    pub view: &'static str,
    /// The rule: what is measured, and when it is shown.
    pub rule: &'static str,
    /// Whether the claim, or a part of it, is a control ([`Control`]).
    pub control: Control,
}

/// A control is a claim (or part of one) that the code's own structure guarantees, so it can fail only
/// through a measuring error (or an unfair structure): its verdict checks the measurement, not the article.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Not a control: the claim tests the article.
    No,
    /// The whole claim is a control.
    Whole,
    /// The part named is a control (the rest tests the article).
    Part(&'static str),
}

impl Claim {
    /// The id as a verdict table shows it: `C6 (control)` for a control, `C2 (part control)` for a claim with
    /// a control part ([`Control::Part`] names it).
    pub fn label(&self) -> String {
        match self.control {
            Control::No => self.id.to_string(),
            Control::Whole => format!("{} (control)", self.id),
            Control::Part(_) => format!("{} (part control)", self.id),
        }
    }

    /// The verdict on this claim.
    pub fn verdict(&self, judged: Judged) -> Verdict {
        Verdict {
            claim: self.id.into(),
            statement: self.statement.into(),
            verdict: judged.outcome,
            evidence: judged.evidence,
            headline: judged.headline,
        }
    }
}

/// The nine claims, in order.
pub const CLAIMS: [Claim; 9] = [
    Claim {
        id: "C1",
        statement: "concurrency works without multiple cores",
        article: "concurrency works even without multiple cores",
        view: "scaling",
        rule: "io_bound (and net_bound), async on 1 worker: all J jobs finish in <= 1.5 one-job waits measured alone",
        control: Control::No,
    },
    Claim {
        id: "C2",
        statement: "parallelism needs cores",
        article: "You don\u{2019}t get this without hardware support",
        view: "scaling",
        rule: "cpu_bound, best of threads and rayon: speedup >= 0.75 x N up to the physical cores, and <= 1.15 x the \
               usable cores above them (a control: no code computes on more cores than it has)",
        control: Control::Part("beyond the cores"),
    },
    Claim {
        id: "C3",
        statement: "concurrent programs are often not parallel",
        article: "concurrent programs are very often not parallel",
        view: "scaling",
        rule: "io_bound (and net_bound), async at its largest N: >= 0.5 x J in flight with <= 0.25 cores busy",
        control: Control::No,
    },
    Claim {
        id: "C4",
        statement: "more threads do not speed up an I/O-bound event loop",
        article: "Adding more threads there doesn\u{2019}t make them faster",
        view: "scaling",
        rule: "io_bound (and net_bound), where the loop is mostly waiting: async_multi/1 (tokio's multi-thread \
               runtime with one worker, the scheduler of async/N) keeps <= 0.25 cores busy; then async at every N \
               of 2 or more is not faster (async_multi/1 wall / async/N wall <= 1.10) and, at the smallest N at or \
               above the cores, spends more CPU time and more context switches per job than async_multi/1, beyond \
               both 95% intervals (not faster is a control where the loop waits: no async/N beats one wait \
               alone, so the overhead is the evidence); a busier loop gets a boundary line instead, never C4's \
               verdict: more workers help when the speedup over async_multi/1 at the smallest N at or above the \
               cores is > 1.10",
        control: Control::Part("not faster where the loop waits"),
    },
    Claim {
        id: "C5",
        statement: "parallelism helps only CPU-bound, splittable work",
        article: "Parallelism only helps when the work is actually CPU-bound and can be split into independent pieces",
        view: "scaling",
        rule: "io_bound, best of threads and rayon above the cores: speedup > 1.25 x cores with <= 0.25 cores busy, \
               a gain past the cores that is not parallelism; and of the same hashing, best of threads and rayon: \
               cpu_chain (one chain of cpu_bound's J x R rounds) speedup <= 1.10 at every N from 2 (unsplittable: a \
               control), cpu_bound at N = the physical cores (or the most workers within them) speedup >= 0.75 x N \
               (split); needs 2 physical cores",
        control: Control::Part("the unsplittable chain"),
    },
    Claim {
        id: "C6",
        statement: "concurrency is not speed",
        article: "If you think concurrency equals speed, you\u{2019}ll design bad systems",
        view: "scaling",
        rule: "cpu_bound, async on 1 worker: speedup over sequential <= 1.10 (a control)",
        control: Control::Whole,
    },
    Claim {
        id: "C7",
        statement: "concurrency keeps a program responsive while it computes",
        article: "Concurrency helps you stay responsive",
        view: "latency",
        rule: "one core, >= 100 requests served per row: async_yield, async_offload and threads keep p99 <= 0.25 x \
               one heavy job, async on 1 worker has p99 >= 0.5 job (requests due during a job wait for its end: \
               half a job on average, 0.99 of one at p99); a client late for > 0.01 of its requests measured \
               itself",
        control: Control::No,
    },
    Claim {
        id: "C8",
        statement: "threads for waiting add overhead, not speed",
        article: "it just adds overhead",
        view: "scale",
        rule: "at the largest J >= 1000 both ran, each row >= 6 runs: thread_per_job needs >= 5 x the memory per wait \
               of async on 1 worker and is not faster (async wall / thread_per_job wall <= 1.10), over the 95% \
               intervals of the medians",
        control: Control::No,
    },
    Claim {
        id: "C9",
        statement: "on one core the OS time-slices: runnable threads take turns",
        article: "the OS keeps switching between tasks so fast (time slicing)",
        view: "trace",
        rule: "one CPU, cores busy >= 0.9: two threads hash at once for >= 0.5 of the pass, and each hash others \
               overlapped for >= 0.9 of it took wall >= 1.6 x its own CPU time; >= 4 such hashes",
        control: Control::No,
    },
];

/// The claim `id` (`C1` .. `C9`).
///
/// # Panics
/// On an id not in [`CLAIMS`]: the ids are this crate's own constants.
pub fn claim(id: &str) -> &'static Claim {
    CLAIMS.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no claim {id}"))
}

// ---- C1..C6: judged by the scaling view (`cvp run`, and `cvp report` from criterion's data) ----

/// C1: "all the waits in about one wait": at most this many measured one-job waits of wall time.
pub const ONE_WAIT: f64 = 1.5;
/// C3, C4, C5: "almost no CPU busy": at most this many cores busy. For C4 it is the article's condition,
/// a loop "mostly waiting on I/O, not burning CPU": its baseline must be this idle for C4 to be judged.
pub const IDLE_CORES: f64 = 0.25;
/// C3: "many in flight": at least this fraction of the jobs in flight on average (measured wait).
pub const MANY_IN_FLIGHT: f64 = 0.5;
/// C2: a CPU-bound speedup "follows" min(workers, physical cores) when it reaches this fraction of it ...
/// C5's split hashing (cpu_bound at the physical cores) is held to the same: that half of C5 is C2's claim
/// at the cores, so it must not pass more easily, or less, than C2 does there.
pub const FOLLOWS: f64 = 0.75;
/// ... and "stops at the cores" when no worker count beats the usable cores by more than this factor.
pub const CAP: f64 = 1.15;
/// C4: more workers are "not faster" when `async_multi/1`'s wall over theirs is at most this. Not a noise
/// allowance (the 95% intervals carry the noise) but the smallest gain worth calling faster: a tenth, the
/// margin C8's "not faster" uses too. The boundary line (a busy loop) says more workers help when the
/// speedup at its chosen N is above it: the same margin, the other way. Where the loop is mostly waiting,
/// its wall is about one wait and no async/N can beat one wait alone, so this half is a control there
/// (the evidence prints the most any async/N could gain); the overhead half is the evidence.
pub const C4_NOT_FASTER: f64 = 1.10;
/// C5: an I/O speedup "grows past the cores" when it exceeds the cores by this factor.
pub const PAST_CORES: f64 = 1.25;
/// C6: async on 1 worker is "no faster than sequential" when its speedup is at most this; C5: cpu_chain's
/// one chain is "no faster" on any number of workers when each speedup is at most this. Both run the same
/// chain code on one core at a time as their sequential baseline, so any gain is noise (or a measuring
/// error, or a chain someone split): 10% for noise.
pub const NO_FASTER: f64 = 1.10;

/// What the `net_bound` verdicts add to their claim's statement.
pub const NET_LABEL: &str = "net_bound: loopback TCP";

// ---- C7: judged by the latency view (`cvp latency`) ----

/// C7 "responsive": p99 at most this fraction of one heavy job (a request waits for a slice, not a job).
pub const RESPONSIVE: f64 = 0.25;
/// C7 "blocked": p99 at least this many heavy jobs. A loop that serves only between jobs makes a request
/// that falls due during a job wait for the rest of it: with requests due uniformly in time the wait is
/// uniform on 0..1 job, half a job on average and 0.99 of one at p99, whatever the scheduler's constants
/// (a scheduler that lets requests wait past a job's end only adds). So "p99 >= one job" would be missed
/// by the very loop it describes; half a job, the blocked loop's mean wait, leaves its p99 (0.99) twice the
/// threshold above it and [`RESPONSIVE`] (0.25) half of it below: no structure can pass both by noise.
pub const BLOCKED: f64 = 0.5;
/// C7: fewest served requests for a p99 worth judging (with fewer, the p99 is one of the last few values).
pub const MIN_SERVED: u64 = 100;
/// C7: a client over one interval late for more than this fraction of requests measured its own wake-up.
pub const CLIENT_BEHIND_FRACTION: f64 = 0.01;

// ---- C8: judged by the scale view (`cvp scale`) ----

/// C8: the smallest J at which the claim is judged (fewer waits hide the overhead).
pub const C8_MIN_JOBS: usize = 1_000;
/// C8: `thread_per_job` must need at least this many times the memory per wait of `async` on 1 worker.
pub const C8_MEMORY: f64 = 5.0;
/// C8: "not faster": `thread_per_job`'s wall may be at most this much shorter than `async/1`'s: 10% for noise.
pub const C8_NOT_FASTER: f64 = 1.10;

// ---- Twins on a server: judged by the server view (`cvp server`) ----

/// What the server view's verdicts add to their claim's statement.
pub const SERVER_LABEL: &str = "server: constant-rate load";
/// C4 on a server: the rate of the pairs, as a share of the lower of the highest rates `async/1` and
/// `async/N` kept up with in the sweep. "Below saturation" is the claim's condition: at half the last rate
/// kept up, a structure that kept up there runs at most half as busy, clear of the knee (past it latency
/// grows with the queue and would measure the knee, not the structure), yet busy enough that its
/// per-request costs are not dominated by waking up from idle.
pub const C4_SERVER_LOAD: f64 = 0.5;
/// C4 on a server: the pairs' rate is also no higher than the highest rate at which `async/1` kept at most
/// this share of [`IDLE_CORES`] busy in the sweep: the claim is judged only on a loop mostly waiting (its
/// median over the pairs at most [`IDLE_CORES`]), and a fifth below it leaves room for the pairs' own
/// spread (a step's cores busy varies by a few hundredths between steps at one rate).
pub const C4_SERVER_BUSY: f64 = 0.8;
/// C4 on a server: `async/N` "costs more" when its CPU per request (and its switches per request) over
/// `async/1`'s is above this over the whole interval: any amount the interval clears is more (the interval
/// carries the noise; the claim says it "adds overhead", not how much).
pub const C4_SERVER_MORE: f64 = 1.0;
/// C4 on a server, the rule: the twin of C4's, on a server (`cvp server`). Its "not faster" is C4's
/// [`C4_NOT_FASTER`], the same claim's margin.
pub const C4_SERVER_RULE: &str = "async_multi/1 (tokio's multi-thread runtime with one worker: the scheduler of async/N, \
     like for like) and async/N (N of 2 or more) on the same server CPUs, at one rate (0.5 x the lower of the highest \
     rates async/1 and async/N kept up with in the sweep, and no higher than the highest at which async/1 kept <= 0.2 \
     cores busy there), in alternating pairs of steps, >= 6 pairs where both kept up, async_multi/1 mostly waiting \
     (its median cores busy <= 0.25): async/N is not faster (async_multi/1 p50 latency / async/N p50 latency <= \
     1.10; a control where requests mostly wait: the evidence prints the most async/N could gain) and costs more \
     (async/N / async_multi/1 CPU per request > 1 and context switches per request > 1), over the 95% intervals of \
     the pairs' medians";

/// C8 on a server: the load of its pairs, as the share of the time each connection has a request in
/// flight (rate = C x this / one request's unloaded work): every client the same, mostly idle (the C10k
/// case: many connections, each busy now and then), so the load grows with the connections held as a
/// server's does when more clients come, and a loop has many connections to serve at once where a thread
/// per connection wakes one thread per request. 1/256 is the sweep's first rate at C connections (each
/// connection one request every 2.56 s at a 10 ms wait: 391/s at 1,000 and 3,906/s at 10,000), which
/// every structure but a pool kept up with (on 2 cores `thread_per_connection` kept up to 3,906/s with
/// 10,000 connections, where the generator, not the server, ran out at twice that).
pub const C8_SERVER_PER_CONNECTION: f64 = 1.0 / 256.0;
/// C8 on a server: `thread_per_connection` costs "more switches" when its context switches per request
/// over `async/1`'s are above this over the whole interval (the interval carries the noise; the claim says
/// it "adds overhead", not how much).
pub const C8_SERVER_MORE: f64 = 1.0;
/// C8 on a server, the rule: the twin of C8's, on a server (`cvp server --idle`). Its memory and "not
/// faster" thresholds are C8's own ([`C8_MEMORY`], [`C8_NOT_FASTER`]), the same claim's.
pub const C8_SERVER_RULE: &str = "thread_per_connection and async/1 on the same server CPUs: memory per idle keep-alive \
     connection (the least-squares slope of resident memory over 1 to C connections, 10,000 by default, with its 95% \
     interval): thread_per_connection / async/1 >= 5 over both intervals; and with C/10 and C connections open \
     (1,000 and 10,000), in alternating pairs of steps at the rate where each connection has a request in flight \
     1/256 of the time, >= 6 pairs where both kept up at each: thread_per_connection costs more context switches \
     per request (thread_per_connection / async/1 > 1) and is not faster (async/1 p50 latency / \
     thread_per_connection p50 latency <= 1.10: a control where requests mostly wait, since neither can answer \
     before its wait is over), over the 95% intervals of the pairs' medians";

/// C7 on a server: one request in this many is heavy (the generator's 16th seed of each cycle), the rest
/// light: a mix where the light requests are most and each heavy one is far apart from the next.
pub const C7_SERVER_EVERY: u64 = 16;
/// C7 on a server: one heavy request's hashing, ms (its rounds calibrated to it before the run). A
/// quarter of it, the [`RESPONSIVE`] bound, is 10 ms: above this kind of machine's own stalls (a thread
/// stops 2-5 ms a few times a second, idle or not) and a scheduling period on a few CPUs, so a
/// time-sliced structure is not called blocked for the machine's constants.
pub const C7_SERVER_HEAVY_MS: f64 = 40.0;
/// C7 on a server: the share of its time one event loop hashes heavy requests at the mix's rate (rate =
/// [`C7_SERVER_EVERY`] x this / the heavy job). With a share f of the time blocked, a light request waits
/// past its due time with probability f, uniformly up to one job: its p99 excess is (1 - 0.01 / f) of a
/// job, 0.96 at a quarter, twice the [`BLOCKED`] threshold; and a quarter leaves the loop three quarters
/// idle, far below saturation (the claim is about responsiveness, not capacity).
pub const C7_SERVER_BUSY: f64 = 0.25;
/// C7 on a server: light requests each step of the mix counts at least: a step's p99 then leaves out its
/// two largest light latencies (the 198th of 200), so one stall of the machine in a step (2-5 ms, a few
/// times a second) does not set that step's p99 alone.
pub const C7_SERVER_LIGHT: f64 = 200.0;
/// C7 on a server: steps of each structure in the mix: 9, the fewest for which the 95% interval of the
/// steps' median leaves out the lowest and the highest step (x(2) to x(8), 96%; with 6 to 8 it is the
/// whole range), so one step spoiled by stalls does not decide the interval either.
pub const C7_SERVER_STEPS: usize = 9;
/// C7 on a server, the rule: the twin of C7's, on a server (`cvp server --mix`). Its thresholds are C7's
/// own ([`RESPONSIVE`], [`BLOCKED`]).
pub const C7_SERVER_RULE: &str = "a heavy-request mix: 1 request in 16 hashes one heavy job (40 ms, rounds calibrated \
     before the run) after its wait, the others are light, at the rate where async/1's one loop hashes 0.25 of the \
     time; 9 steps per structure of >= 200 light requests each, those the generator kept up with counted, >= 6 of \
     them: the light requests' p99 latency less their p50 is >= 0.5 heavy job for async/1 (it hashes on its loop: a \
     light request due during a heavy one waits for its end; only steps where it kept up count) and <= 0.25 heavy \
     job for async_offload/N and thread_per_connection (a step where one did not keep up counts as a whole job), \
     over the 95% intervals of the steps' medians";

/// C5 on a server: one CPU-bound request's hashing, ms (its rounds calibrated before the run, no wait).
/// The server's own cost per request (a connection's read, parse, reply and the backend's round trip:
/// 66-95 us measured on 2 cores) is then under 5% of a request, so the knee of N workers is N cores'
/// hashing within 5%, far inside [`FOLLOWS`]'s quarter; yet short enough that 16 server CPUs reach their
/// knee at 8,000/s, a rate the generator offers on the other CPUs.
pub const C5_SERVER_HASH_MS: f64 = 2.0;
/// C5 on a server: its sweeps narrow each knee until the highest rate kept up and the lowest saturated
/// are within this ratio, and a knee is that bracket: the rate grid's resolution around one search, not a
/// confidence interval (one step per rate, two where p99 alone saturated; a knee moved 8% between two
/// runs on 2 cores). A ratio of two knees then spans at most 1.025^2 = 1.051 over its brackets: under a
/// quarter of [`FOLLOWS`]'s allowance (a quarter of the ideal growth) and under half of [`CAP`]'s (15%),
/// so the rate grid alone does not leave a ratio undecided. Each halving of the bracket costs one step per
/// sweep.
pub const C5_SERVER_RESOLUTION: f64 = 1.025;
/// C5 on a server: `async_multi/1` is CPU-bound at its knee with CPU-bound requests (the claim's
/// condition for that half) when it keeps at least this share of its one core busy there: the share above
/// which the sweep calls a side out of CPU (the server view's `BUSY_SHARE`: past it a queue's wait grows
/// many times its service time).
pub const C5_SERVER_CPU_BOUND: f64 = 0.9;
/// C5 on a server: the most requests a second the waiting half's connections carry (its connections are
/// this x one request's wait and hashing, Little's law: 16 at a 10 ms wait), the same at every N, set by
/// the waits in flight and not by any core. There a server that spends 100 us per request (66-95 us
/// measured) is 0.16 cores busy, under [`IDLE_CORES`]: the requests mostly wait, the claim's condition,
/// whatever `--wait-ms`.
pub const C5_SERVER_WAITING_CEILING: f64 = 1600.0;
/// C5 on a server, the rule: the twin of C5's, on a server (`cvp server --cores`). Its thresholds are C2's
/// and C5's own ([`FOLLOWS`], [`CAP`], [`IDLE_CORES`]); "reaches the ceiling" and "does not pass N = 1"
/// take [`CAP`] too, the margin by which C2 calls a rate beyond the cores no gain.
pub const C5_SERVER_RULE: &str = "async_multi/N (tokio's multi-thread runtime with N workers) on the same server \
     CPUs (S CPUs, P physical cores; P >= 2), the N of a half searched in turn, step by step, each to its knee: \
     the bracket between the highest rate kept up and the lowest saturated, narrowed to 2.5% (the rate grid's \
     resolution around one search, not a confidence interval: one step per rate, two where p99 alone \
     saturated); with CPU-bound requests (2 ms of hashing, no wait) where async_multi/1 keeps >= 0.9 cores busy \
     at its knee, the knee of N = P over that of N = 1 is >= 0.75 x P and the knee of N = 2S over that of N = S \
     is <= 1.15 (a control: no structure computes on more cores than it has); with waiting requests (waits of \
     --wait-ms, 10 ms by default, over as many connections as carry at most 1,600 requests/s by Little's law: \
     16 at 10 ms) where async_multi/1 keeps <= 0.25 cores busy at its knee, one worker reaches that ceiling \
     (the ceiling over the knee of N = 1 is <= 1.15; a knee above the ceiling is a failed measurement) and P \
     workers do not pass it (the knee of N = P over that of N = 1 is <= 1.15, a control: the connections cap \
     every N), over the brackets";

/// A claim's twin on a server ([`SERVER_LABEL`]) has its own control, not the client claim's: the parts
/// the server view's own structure guarantees. C4's and C8's "not faster" (neither structure can answer
/// before its wait is over); C5's cap past the cores and its waiting workers (the connections cap every
/// N); C7's none.
pub fn server_control(id: &str) -> Control {
    match id {
        "C4" => Control::Part("not faster where requests mostly wait"),
        "C5" => Control::Part("the cap past the cores and the waiting workers"),
        "C8" => Control::Part("not faster where requests mostly wait"),
        _ => Control::No,
    }
}

// ---- C9: judged by the trace view (`cvp trace`) ----

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// For every view's tests: `v`'s headline is there, plain text (no Markdown), at most [`HEADLINE_MAX`]
    /// characters, and names its numbers as the evidence does: each number outside the bounds in parentheses
    /// (with its unit and the start of its interval, where it has them) is written the same in the evidence.
    /// Returns the headline.
    pub(crate) fn assert_headline(v: &Verdict) -> &str {
        let h = v.headline.as_str();
        assert!(!h.is_empty(), "{} ({}) has no headline: {}", v.claim, v.verdict, v.evidence);
        assert!(h.chars().count() <= HEADLINE_MAX, "{} characters: {h}", h.chars().count());
        assert!(!h.contains(['|', '*', '`', '\n']), "not plain text: {h}");
        let outside = regex::Regex::new(r"\([^()]*\)").unwrap().replace_all(h, "");
        let numbers = regex::Regex::new(r"(?:^| )([0-9]+(?:\.[0-9]+)?(?: µs| ms)?(?: \[[^\]]+)?)").unwrap();
        let found: Vec<&str> = numbers.captures_iter(&outside).map(|c| c.get(1).unwrap().as_str()).collect();
        assert!(!found.is_empty(), "{h} names no number");
        for n in found {
            // The whole number: not `5` of `1.05`, nor `1.0` of `1.05`.
            let whole = format!(r"(?:^|[^0-9.]){}(?:$|[^0-9.]|\.$|\.[^0-9])", regex::escape(n));
            assert!(
                regex::Regex::new(&whole).unwrap().is_match(&v.evidence),
                "{n:?} of the headline {h:?} is not in the evidence: {}",
                v.evidence
            );
        }
        h
    }

    #[test]
    fn a_ratio_and_a_difference_take_every_value_their_intervals_allow_and_know_only_what_both_know() {
        let a = Range { lo: 8.0, mid: 10.0, hi: 12.0, known: true };
        let b = Range { lo: 1.0, mid: 2.0, hi: 4.0, known: true };
        let q = a / b;
        assert_eq!((q.lo, q.mid, q.hi, q.known), (2.0, 5.0, 12.0, true));
        let d = a - b;
        assert_eq!((d.lo, d.mid, d.hi, d.known), (4.0, 8.0, 11.0, true));
        // One side without an interval: the result has none either, whichever side it is.
        let unknown = Range { known: false, ..b };
        assert!(!(a / unknown).known && !(unknown / a).known);
        assert!(!(a - unknown).known && !(unknown - a).known);
        // A range with no width shows its value alone; any width shows the interval.
        assert_eq!(Range::of(2.0, None).show(|v| format!("{v}")), "2");
        assert_eq!(Range::of(2.0, Some((1.0, 3.0))).show(|v| format!("{v}")), "2 [1 to 3]");
        assert_eq!(Range { lo: 0.0, mid: 0.0, hi: 0.0, known: true }.show(|v| format!("{v}")), "0");
    }

    #[test]
    fn judge_decides_on_its_checks_and_nothing_tested_is_never_shown() {
        let check = |t| (t, "x".to_string());
        assert_eq!(judge(&[], "e".into()).outcome, Outcome::CannotBeShown, "no check is no evidence");
        assert_eq!(judge(&[check(Test::Meets)], "e".into()).outcome, Outcome::Shown);
        assert_eq!(judge(&[check(Test::Meets), check(Test::Fails)], "e".into()).outcome, Outcome::NotShown);
        assert_eq!(
            judge(&[check(Test::Meets), check(Test::Unsure)], "e".into()).outcome,
            Outcome::CannotBeShown
        );
        assert_eq!(
            judge(&[check(Test::Fails), check(Test::NoInterval)], "e".into()).outcome,
            Outcome::CannotBeShown
        );
    }

    #[test]
    fn the_nine_claims_are_in_order_each_judged_by_a_view() {
        for (i, c) in CLAIMS.iter().enumerate() {
            assert_eq!(c.id, format!("C{}", i + 1));
            assert!(["scaling", "latency", "scale", "trace"].contains(&c.view), "{}: {}", c.id, c.view);
            assert!(!c.article.is_empty() && !c.rule.is_empty(), "{}", c.id);
        }
    }

    /// Every threshold a rule depends on is written in its rule, with its comparison: the rule's text cannot
    /// drift from the code. Numbers are compared as numbers (so `0.2` is not found in `0.25`), each after the
    /// comparison the code makes.
    #[test]
    fn the_controls_are_c6_c2_beyond_the_cores_and_c5_s_chain_and_their_labels_say_so() {
        let labels: Vec<String> = CLAIMS.iter().map(Claim::label).collect();
        assert_eq!(
            labels,
            [
                "C1",
                "C2 (part control)",
                "C3",
                "C4 (part control)",
                "C5 (part control)",
                "C6 (control)",
                "C7",
                "C8",
                "C9"
            ]
        );
        assert_eq!(claim("C2").control, Control::Part("beyond the cores"));
        assert_eq!(claim("C5").control, Control::Part("the unsplittable chain"));
        for c in CLAIMS.iter().filter(|c| c.control != Control::No) {
            assert!(c.rule.contains("a control"), "{}'s rule says it is a control: {}", c.id, c.rule);
        }
    }

    #[test]
    fn a_boundary_line_is_labelled_as_one_and_a_verdict_is_not() {
        let shown = || Judged { outcome: Outcome::Shown, evidence: String::new(), headline: String::new() };
        let verdict = claim("C4").verdict(shown());
        assert!(!verdict.is_boundary());
        assert_eq!(verdict.label(), "C4 (part control)");
        let line = Verdict { statement: format!("{BOUNDARY}more workers help"), ..verdict };
        assert!(line.is_boundary());
        assert_eq!(line.label(), "C4 (boundary)");
        assert_eq!(claim("C6").verdict(shown()).label(), "C6 (control)");
        assert!(claim("C4").rule.contains("boundary line"), "the rule names it");
    }

    #[test]
    fn a_headline_names_the_checks_that_decided_and_fits_the_board() {
        let check = |t: Test, w: &str| (t, w.to_string());
        let (met, failed, unsure, none) = (Test::Meets, Test::Fails, Test::Unsure, Test::NoInterval);
        // Shown: every check, in the order given.
        assert_eq!(headline(&[check(met, "a"), check(met, "b")]), "a; b");
        // Not shown: the failing checks only; undecided: the undecided ones; no interval beats both.
        assert_eq!(headline(&[check(met, "a"), check(failed, "b"), check(unsure, "c")]), "b");
        assert_eq!(headline(&[check(unsure, "a"), check(met, "b"), check(unsure, "c")]), "a; c");
        assert_eq!(headline(&[check(failed, "a"), check(none, "b")]), "b");
        assert_eq!(headline(&[]), "");
        // The first check always; the next only while the whole fits in HEADLINE_MAX characters (µs is one).
        let long = "µ".repeat(HEADLINE_MAX - 3);
        assert_eq!(headline(&[check(met, &long), check(met, "b")]), format!("{long}; b"));
        assert_eq!(headline(&[check(met, &long), check(met, "bc"), check(met, "d")]), long);
        let longer = "x".repeat(HEADLINE_MAX + 1);
        assert_eq!(headline(&[check(failed, &longer), check(failed, "b")]), longer);
        // And the judge's headline is this one, with its outcome.
        let j = judge(&[check(met, "a"), check(failed, "b")], "e".into());
        assert_eq!((j.outcome, j.evidence.as_str(), j.headline.as_str()), (Outcome::NotShown, "e", "b"));
        assert_eq!(judge(&[check(none, "a")], "e".into()).headline, "a");
        assert_eq!(cannot("why").headline, "");
        assert_eq!(cannot("why").with_headline("x 1.2").headline, "x 1.2");
    }

    #[test]
    fn the_headline_check_fails_on_a_headline_the_board_cannot_use() {
        let v = |h: &str| Verdict {
            claim: "C1".into(),
            statement: String::new(),
            verdict: Outcome::Shown,
            evidence: "ran 4 waits in 1.03 [1.01 to 1.05] x one wait".into(),
            headline: h.into(),
        };
        assert_eq!(
            assert_headline(&v("4 waits in 1.03 [1.01 to 1.05] x (<= 1.5)")),
            "4 waits in 1.03 [1.01 to 1.05] x (<= 1.5)"
        );
        let long = "1.03 ".repeat(19);
        for bad in [
            "",
            "1.030 (<= 1.5)",
            "1.0 (<= 1.5)",
            "1.03 [1.00 to 1.05]",
            "5 waits",
            "**1.03**",
            "no number (<= 1.5)",
            &long,
        ] {
            assert!(std::panic::catch_unwind(|| assert_headline(&v(bad)).len()).is_err(), "{bad:?} passed");
        }
    }

    #[test]
    fn a_bound_shows_at_most_two_decimals_and_no_trailing_zeros() {
        assert_eq!(plain(FOLLOWS * 2.0), "1.5");
        assert_eq!(plain(CAP * 3.0), "3.45");
        assert_eq!(plain(MANY_IN_FLIGHT * 32.0), "16");
        assert_eq!(plain(C8_MEMORY), "5");
        assert_eq!(plain(0.25), "0.25");
    }

    #[test]
    fn each_rule_states_the_thresholds_it_is_judged_by() {
        let stated = |rule: &str| -> Vec<(String, f64)> {
            regex::Regex::new(r"(<=|>=|<|>) ([0-9]+(?:\.[0-9]+)?)")
                .unwrap()
                .captures_iter(rule)
                .map(|c| (c[1].to_string(), c[2].parse().unwrap()))
                .collect()
        };
        let uses: [(&str, &[(&str, f64)]); 9] = [
            ("C1", &[("<=", ONE_WAIT)]),
            ("C2", &[(">=", FOLLOWS), ("<=", CAP)]),
            ("C3", &[(">=", MANY_IN_FLIGHT), ("<=", IDLE_CORES)]),
            ("C4", &[("<=", IDLE_CORES), ("<=", C4_NOT_FASTER), (">", C4_NOT_FASTER)]),
            ("C5", &[(">", PAST_CORES), ("<=", IDLE_CORES), ("<=", NO_FASTER), (">=", FOLLOWS)]),
            ("C6", &[("<=", NO_FASTER)]),
            (
                "C7",
                &[
                    (">=", MIN_SERVED as f64),
                    ("<=", RESPONSIVE),
                    (">=", BLOCKED),
                    (">", CLIENT_BEHIND_FRACTION),
                ],
            ),
            (
                "C8",
                &[
                    (">=", C8_MIN_JOBS as f64),
                    (">=", MIN_SAMPLES_FOR_CI as f64),
                    (">=", C8_MEMORY),
                    ("<=", C8_NOT_FASTER),
                ],
            ),
            (
                "C9",
                &[
                    (">=", C9_CPU_OURS),
                    (">=", C9_MOST_OF_THE_RUN),
                    (">=", C9_JUDGED_OVERLAP),
                    (">=", C9_SLICED),
                    (">=", C9_MIN_JUDGED as f64),
                ],
            ),
        ];
        for (id, thresholds) in uses {
            let rule = claim(id).rule;
            let stated = stated(rule);
            for (cmp, value) in thresholds {
                assert!(
                    stated.iter().any(|(c, v)| c == cmp && (v - value).abs() < 1e-12),
                    "{id}'s rule does not state {cmp} {value}: {rule}"
                );
            }
            assert_eq!(
                stated.len(),
                thresholds.len(),
                "{id}'s rule states a number no threshold backs: {rule}"
            );
        }
    }

    /// Every "comparison number" a rule's text states, in order.
    fn stated_bounds(rule: &str) -> Vec<(String, f64)> {
        regex::Regex::new(r"(<=|>=|<|>) ([0-9]+(?:\.[0-9]+)?)")
            .unwrap()
            .captures_iter(rule)
            .map(|c| (c[1].to_string(), c[2].parse().unwrap()))
            .collect()
    }

    #[test]
    fn the_server_rule_states_the_thresholds_it_is_judged_by() {
        let stated = stated_bounds(C4_SERVER_RULE);
        let uses = [
            ("<=", C4_SERVER_BUSY * IDLE_CORES),
            (">=", MIN_SAMPLES_FOR_CI as f64),
            ("<=", IDLE_CORES),
            ("<=", C4_NOT_FASTER),
            (">", C4_SERVER_MORE),
            (">", C4_SERVER_MORE),
        ];
        assert_eq!(stated.len(), uses.len(), "{C4_SERVER_RULE}");
        for ((c, v), (cmp, value)) in stated.iter().zip(uses) {
            assert!(c == cmp && (v - value).abs() < 1e-12, "states {c} {v}, judged by {cmp} {value}");
        }
        assert!(C4_SERVER_RULE.contains(&format!("{} x the lower", C4_SERVER_LOAD)));
    }

    #[test]
    fn the_c5_server_rule_states_the_thresholds_it_is_judged_by() {
        let stated = stated_bounds(C5_SERVER_RULE);
        let uses = [
            (">=", 2.0),
            (">=", C5_SERVER_CPU_BOUND),
            (">=", FOLLOWS),
            ("<=", CAP),
            ("<=", IDLE_CORES),
            ("<=", CAP),
            ("<=", CAP),
        ];
        let ceiling = format!(
            "{},{:03}",
            C5_SERVER_WAITING_CEILING as u64 / 1000,
            C5_SERVER_WAITING_CEILING as u64 % 1000
        );
        assert!(C5_SERVER_RULE.contains(&format!("at most {ceiling} requests/s")));
        assert!(
            C5_SERVER_RULE.contains(&format!("{} at 10 ms", (C5_SERVER_WAITING_CEILING * 0.010).round()))
        );
        assert_eq!(stated.len(), uses.len(), "{C5_SERVER_RULE}");
        for ((c, v), (cmp, value)) in stated.iter().zip(uses) {
            assert!(c == cmp && (v - value).abs() < 1e-12, "states {c} {v}, judged by {cmp} {value}");
        }
        assert!(C5_SERVER_RULE.contains(&format!("({C5_SERVER_HASH_MS:.0} ms of hashing")));
        let percent = (C5_SERVER_RESOLUTION - 1.0) * 100.0;
        assert!(C5_SERVER_RULE.contains(&format!("narrowed to {percent:.1}%")));
        // A ratio over two brackets spans under a quarter of FOLLOWS's allowance and under half of CAP's.
        const { assert!(C5_SERVER_RESOLUTION * C5_SERVER_RESOLUTION - 1.0 < (1.0 - FOLLOWS) / 4.0) };
        const { assert!(C5_SERVER_RESOLUTION * C5_SERVER_RESOLUTION - 1.0 < (CAP - 1.0) / 2.0) };
    }

    #[test]
    fn a_twin_on_a_server_carries_its_own_control() {
        let twin = |id: &str| Verdict {
            claim: id.into(),
            statement: format!("{} ({SERVER_LABEL})", claim(id).statement),
            verdict: Outcome::Shown,
            evidence: String::new(),
            headline: String::new(),
        };
        // C5's client control is the unsplittable chain, which no server measures: its twin's is its own.
        assert_eq!(claim("C5").control, Control::Part("the unsplittable chain"));
        assert!(twin("C5").is_server_twin());
        assert_eq!(twin("C5").label(), "C5 (part control)");
        assert_eq!(server_control("C5"), Control::Part("the cap past the cores and the waiting workers"));
        assert_eq!(twin("C7").label(), "C7");
        let client = Verdict { statement: claim("C7").statement.into(), ..twin("C7") };
        assert!(!client.is_server_twin());
    }

    #[test]
    fn the_c8_server_rule_states_the_thresholds_it_is_judged_by() {
        let stated = stated_bounds(C8_SERVER_RULE);
        let uses = [
            (">=", C8_MEMORY),
            (">=", MIN_SAMPLES_FOR_CI as f64),
            (">", C8_SERVER_MORE),
            ("<=", C8_NOT_FASTER),
        ];
        assert_eq!(stated.len(), uses.len(), "{C8_SERVER_RULE}");
        for ((c, v), (cmp, value)) in stated.iter().zip(uses) {
            assert!(c == cmp && (v - value).abs() < 1e-12, "states {c} {v}, judged by {cmp} {value}");
        }
        assert!(
            C8_SERVER_RULE.contains(&format!("1/{} of the time", (1.0 / C8_SERVER_PER_CONNECTION) as u32))
        );
    }

    #[test]
    fn the_c7_server_rule_states_the_thresholds_it_is_judged_by() {
        let stated = stated_bounds(C7_SERVER_RULE);
        let uses =
            [(">=", C7_SERVER_LIGHT), (">=", MIN_SAMPLES_FOR_CI as f64), (">=", BLOCKED), ("<=", RESPONSIVE)];
        assert_eq!(stated.len(), uses.len(), "{C7_SERVER_RULE}");
        for ((c, v), (cmp, value)) in stated.iter().zip(uses) {
            assert!(c == cmp && (v - value).abs() < 1e-12, "states {c} {v}, judged by {cmp} {value}");
        }
        assert!(C7_SERVER_RULE.contains(&format!("1 request in {C7_SERVER_EVERY} hashes")));
        assert!(C7_SERVER_RULE.contains(&format!("({C7_SERVER_HEAVY_MS} ms")));
        assert!(C7_SERVER_RULE.contains(&format!("hashes {C7_SERVER_BUSY} of the")));
    }

    #[test]
    fn the_median_interval_holds_for_a_thousand_samples_and_more() {
        // From n = 1024 on, 2^n and C(n, n/2) overflow a float: the interval stays the narrowest at 95%,
        // near the normal approximation's ranks n/2 -+ 1.96 sqrt(n)/2, never the whole range.
        for n in [1023usize, 1024, 1500, 5000] {
            let x: Vec<f64> = (1..=n).map(|i| i as f64).collect();
            let ((lo, hi), cov) = median_ci(&x).unwrap();
            assert!((CONFIDENCE..0.96).contains(&cov), "n = {n}: coverage {cov}");
            let expected = n as f64 / 2.0 - 1.96 * (n as f64).sqrt() / 2.0;
            assert!((lo - expected).abs() <= 2.0, "n = {n}: lower rank {lo}, about {expected:.1}");
            assert_eq!(lo + hi, (n + 1) as f64, "n = {n}: symmetric ranks");
        }
    }

    #[test]
    fn an_outcome_reads_as_the_json_names_it() {
        for (outcome, words) in [
            (Outcome::Shown, "shown"),
            (Outcome::NotShown, "not shown"),
            (Outcome::CannotBeShown, "cannot be shown here"),
        ] {
            assert_eq!(outcome.to_string(), words);
            assert_eq!(serde_json::to_string(&outcome).unwrap(), format!("\"{words}\""));
        }
    }

    /// A threshold that one end of the interval touches: `at_most` and `at_least` count the threshold itself
    /// as meeting them, `above` does not; an interval from the threshold outwards is undecided.
    #[test]
    fn a_threshold_at_an_end_of_the_interval_counts_as_the_rule_says() {
        let r = |lo: f64, hi: f64| Range { lo, mid: (lo + hi) / 2.0, hi, known: true };
        // at most 1: [0.5, 1] meets it; [1, 2] may be 1, so it does not miss it over its whole interval.
        assert_eq!(at_most(r(0.5, 1.0), 1.0), Test::Meets);
        assert_eq!(at_most(r(1.0, 2.0), 1.0), Test::Unsure);
        assert_eq!(at_most(r(1.5, 2.0), 1.0), Test::Fails);
        // at least 1: [1, 2] meets it; [0.5, 1] may be 1.
        assert_eq!(at_least(r(1.0, 2.0), 1.0), Test::Meets);
        assert_eq!(at_least(r(0.5, 1.0), 1.0), Test::Unsure);
        assert_eq!(at_least(r(0.5, 0.9), 1.0), Test::Fails);
        // above 1: [1, 2] may be 1, not above it; [0.5, 1] is nowhere above it.
        assert_eq!(above(r(1.0, 2.0), 1.0), Test::Unsure);
        assert_eq!(above(r(0.5, 1.0), 1.0), Test::Fails);
        assert_eq!(above(r(1.1, 2.0), 1.0), Test::Meets);
        // Without an interval, none of them decides.
        let unknown = Range { known: false, ..r(2.0, 3.0) };
        for t in [at_most(unknown, 1.0), at_least(unknown, 1.0), above(unknown, 1.0)] {
            assert_eq!(t, Test::NoInterval);
        }
    }

    #[test]
    fn the_median_interval_covers_what_it_says_and_no_less() {
        let v = |n: usize| (1..=n).map(|x| x as f64).collect::<Vec<f64>>();
        assert_eq!(median_ci(&v(5)), None, "no 95% interval from 5 samples");
        assert_eq!(median_ci(&[1.0, 2.0, f64::NAN, 4.0, 5.0, 6.0]), None, "a NaN is no sample");
        let ((lo, hi), cov) = median_ci(&v(6)).unwrap();
        assert_eq!((lo, hi), (1.0, 6.0));
        assert!((cov - 0.96875).abs() < 1e-12, "1 - 2^(1-6): {cov}");
        // n = 9: (x(2), x(8)) covers 96.1%, (x(3), x(7)) only 82%.
        let ((lo, hi), cov) = median_ci(&v(9)).unwrap();
        assert_eq!((lo, hi), (2.0, 8.0));
        assert!((cov - 0.9609375).abs() < 1e-12, "{cov}");
        // n = 10: (x(2), x(9)) covers 1 - 2 (1 + 10) / 2^10; (x(3), x(8)) only 89%.
        let ((lo, hi), cov) = median_ci(&v(10)).unwrap();
        assert_eq!((lo, hi), (2.0, 9.0));
        assert!((cov - 0.978515625).abs() < 1e-12, "{cov}");
        // n = 30: (x(10), x(21)) covers 95.7%, (x(11), x(20)) only 90%: the binomial sums reach deep.
        let ((lo, hi), cov) = median_ci(&v(30)).unwrap();
        assert_eq!((lo, hi), (10.0, 21.0));
        assert!((cov - 0.9572260547429323).abs() < 1e-12, "{cov}");
        // The order does not matter, and every coverage is at least 95%.
        for n in MIN_SAMPLES_FOR_CI..60 {
            let mut x = v(n);
            x.reverse();
            let ((lo, hi), cov) = median_ci(&x).unwrap();
            assert!(cov >= CONFIDENCE && lo <= hi, "n = {n}: {cov}");
        }
        // Simulated: over many samples of 6, the interval holds the true median about 97% of the time.
        let mut state = 0x9e3779b97f4a7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let trials = 20_000;
        let held = (0..trials)
            .filter(|_| {
                let x: Vec<f64> = (0..6).map(|_| next().powi(3)).collect(); // skewed; median 0.125
                let ((lo, hi), _) = median_ci(&x).unwrap();
                lo <= 0.125 && 0.125 <= hi
            })
            .count();
        let rate = held as f64 / trials as f64;
        assert!((rate - 0.96875).abs() < 0.01, "{rate}");
    }
}
