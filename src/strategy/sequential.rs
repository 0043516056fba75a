//! `sequential`: every job on the calling thread, one after another; the baseline of every speedup.

use super::{RunError, Strategy};
use crate::workload::{Digest, Workload};

/// Runs jobs in seed order on the calling thread.
pub struct Sequential;

impl Strategy for Sequential {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        Ok(workload.jobs().map(|job| job.run_blocking()).collect())
    }
}
