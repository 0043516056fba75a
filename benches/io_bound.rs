//! I/O-bound: waits only; scales with how many waits are in flight, not with cores.

mod common;

use cvp::WorkloadKind;

fn main() {
    let config = common::config();
    let mut c = common::criterion(&config);
    common::bench_workload(&mut c, &config, WorkloadKind::IoBound);
    c.final_summary();
}
