//! Mixed: a wait then a hash chain per job; needs concurrency for the waits and parallelism for the hashing.

mod common;

use cvp::WorkloadKind;

fn main() {
    let config = common::config();
    let mut c = common::criterion(&config);
    common::bench_workload(&mut c, &config, WorkloadKind::Mixed);
    c.final_summary();
}
