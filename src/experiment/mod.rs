//! The experiments: one file per view, each a typed plan -> measured rows (plain serde data) -> analysis
//! (derived numbers, verdicts) -> a [`crate::report::Section`] for the results folder. A view owns its rows
//! and its verdicts; the report only writes what the view hands it.
//!
//! - [`sweep`]: `cvp run`, time against workers for every workload and strategy (claims C1..C6).

pub mod sweep;
