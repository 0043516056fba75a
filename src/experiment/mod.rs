//! The experiments: one file per view, each a typed plan -> measured rows (plain serde data) -> analysis
//! (derived numbers, verdicts) -> a [`crate::report::Section`] for the results folder. A view owns its rows
//! and its verdicts; the report only writes what the view hands it.
//!
//! - [`sweep`]: `cvp run`, time against workers for every workload and strategy (claims C1..C6).
//! - [`latency`]: `cvp latency`, how late light requests are while a heavy batch computes, per structure,
//!   on all cores and on one (claim C7, and the first evidence for C9: time slicing).
//! - [`trace`]: `cvp trace`, which OS thread ran which job's wait and hash, when: a timeline SVG and a
//!   Chrome trace (claim C9).

pub mod latency;
pub mod sweep;
pub mod trace;
