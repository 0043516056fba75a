//! The nine claims in one place, and the verdict toolkit every view judges with.
//!
//! (Being moved here from `analysis.rs`: until the move lands this module re-exports the toolkit.)

#[allow(unused_imports)] // used by the views as they move onto it
pub(crate) use crate::analysis::{Judged, Test, at_least, at_most, judge};
pub use crate::analysis::{Outcome, Range, Verdict};

// ---- C1..C6: judged by the scaling view (`cvp run`, and `cvp report` from criterion's data) ----

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

// ---- C9: judged by the trace view (`cvp trace`) ----
