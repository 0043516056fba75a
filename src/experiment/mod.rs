//! The experiments: one file per view, each a typed plan -> measured rows (plain serde data) -> analysis
//! (derived numbers, verdicts) -> a [`crate::report::Section`] for the results folder. A view owns its rows
//! and its verdicts; the report only writes what the view hands it.
//!
//! - [`sweep`]: `cvp run`, time against workers for every workload and strategy (claims C1..C6).
//! - [`scale`]: `cvp scale`, 1 to 100,000 waits in flight per structure: time, memory, threads, context
//!   switches, each in a child process of its own (claim C8); `--io socket` the same on net_bound's
//!   loopback TCP requests to a `cvp serve` child.

pub mod scale;
pub mod sweep;
