//! The views: one folder each, every one with the same roles (see ARCHITECTURE.md): `mod.rs` the plan and
//! rows (plain serde data), `measure` the only place that runs jobs or children, `analysis` rows -> derived
//! numbers and verdicts (no I/O), `render` table, CSV, JSON, SVG and the view's report section, `cli` flags +
//! `Config` -> plan, then measure -> analysis -> render. A view imports no other view.

pub mod latency;
pub mod scale;
pub mod trace;
