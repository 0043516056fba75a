//! CPU-bound: SHA-256 chains, no waits; scales with cores and nothing else.
//!
//! Also benchmarks `reference/bare_loop/cpu_bound`, the plainest loop over the same jobs, so the cost of the
//! `sequential` strategy's machinery can be read off as the ratio of the two.

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
    c.final_summary();
}
