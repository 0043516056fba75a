//! CPU-bound: SHA-256 chains, no waits; scales with cores and nothing else.
//!
//! Also benchmarks `reference/bare_loop/cpu_bound`, the plainest loop over the same jobs, so the cost of the
//! `sequential` strategy's machinery can be read off as the ratio of the two; and `cpu_chain`, the same
//! hashing as one chain of all its rounds, which no number of workers can split (claim C5), under
//! `sequential`, `threads` and `rayon` only (`cvp::config::sweeps`): 7 benchmarks of one cpu_bound
//! sequential pass each, at half the profile's samples (about 30 s on 2 cores at the standard profile).

mod common;

use cvp::WorkloadKind;

fn main() {
    let config = common::config();
    let recorder = common::Recorder::new(&config);
    let mut c = common::criterion(&config);
    // The bare loop runs first, right before `cpu_bound/sequential/1`: measured minutes apart, the two
    // would differ by the machine's drift rather than by the strategy's cost.
    common::bench_bare_loop(&mut c, &config, &recorder);
    common::bench_workload(&mut c, &config, &recorder, WorkloadKind::CpuBound);
    common::bench_workload(&mut c, &config, &recorder, WorkloadKind::CpuChain);
    c.final_summary();
    recorder.verdict_page();
}
