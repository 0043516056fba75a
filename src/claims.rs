//! The nine claims in one place, and the verdict toolkit every view judges with.
//!
//! (Being moved here from `analysis.rs`: until the move lands this module re-exports the toolkit.)

#[allow(unused_imports)] // used by the views as they move onto it
pub(crate) use crate::analysis::{Judged, Test, at_least, at_most, judge};
pub use crate::analysis::{Outcome, Range, Verdict};

// ---- C1..C6: judged by the scaling view (`cvp run`, and `cvp report` from criterion's data) ----

// ---- C7: judged by the latency view (`cvp latency`) ----

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
