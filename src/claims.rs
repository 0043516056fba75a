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
