//! The nine claims in one place, and the verdict toolkit every view judges with.
//!
//! (Being moved here from `analysis.rs`: until the move lands this module re-exports the toolkit.)

#[allow(unused_imports)] // used by the views as they move onto it
pub(crate) use crate::analysis::{Judged, Test, at_least, at_most, judge};
pub use crate::analysis::{Outcome, Range, Verdict};

// ---- C1..C6: judged by the scaling view (`cvp run`, and `cvp report` from criterion's data) ----

// ---- C7: judged by the latency view (`cvp latency`) ----

// ---- C8: judged by the scale view (`cvp scale`) ----

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
