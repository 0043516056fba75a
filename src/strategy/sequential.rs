//! `sequential`: every job on the calling thread, one after another; the baseline of every speedup.

use super::{NoProbe, Probe, RunError, Strategy, run_blocking};
use crate::workload::{Digest, Workload};

/// Runs jobs in seed order on the calling thread, telling the probe `P`.
pub struct Sequential<P = NoProbe>(pub P);

impl<P: Probe> Strategy for Sequential<P> {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        Ok(workload.jobs().map(|job| run_blocking(&self.0, job)).collect())
    }
}
