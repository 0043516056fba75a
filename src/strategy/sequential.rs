//! `sequential`: every job on the calling thread, one after another; the baseline of every speedup.

use super::{NoProbe, Probe, RunError, Strategy, StrategyKind, net_target, run_blocking, run_net_blocking};
use crate::workload::{Digest, Workload};

/// Runs jobs in seed order on the calling thread, telling the probe `P`.
pub struct Sequential<P = NoProbe>(pub P);

impl<P: Probe> Strategy for Sequential<P> {
    fn run(&self, workload: &Workload) -> Result<Digest, RunError> {
        let Some(target) = net_target(workload, StrategyKind::Sequential)? else {
            return Ok(workload.jobs().map(|job| run_blocking(&self.0, job)).collect());
        };
        workload
            .jobs()
            .map(|job| run_net_blocking(&self.0, target, job.seed, job.wait))
            .collect::<Result<Digest, _>>()
            .map_err(|e| RunError::Job { strategy: StrategyKind::Sequential, why: e.to_string() })
    }
}
