//! The scaling model: a measured point (workload, strategy, workers, wall, cores busy), one wait measured
//! alone, speedup, efficiency, Karp-Flatt, Amdahl and USL fits.
//!
//! (Being moved here from `analysis.rs`: until the move lands this module re-exports it.)

pub use crate::analysis::{
    AMDAHL_MIN_POINTS, AmdahlFit, LineFit, OneWait, Point, USL_MIN_POINTS, UslFit, efficiency, fit_amdahl,
    fit_lines, fit_usl, karp_flatt, sequential_wall, speedup,
};
