//! Text helpers every view renders with: human times, aligned tables, shell quoting.
//!
//! (Being moved here from `tables.rs`: until the move lands this module re-exports them.)

pub use super::tables::{aligned, human_time, shell_word};
