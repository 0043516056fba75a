//! I/O-bound: waits only; scales with how many waits are in flight, not with cores.

mod common;

use cvp::WorkloadKind;

fn main() {
    let config = common::config();
    let recorder = common::Recorder::new(&config);
    let mut c = common::criterion(&config);
    // This workload's one-wait floors first, in the same run as the workload they are the floor of.
    common::bench_one_waits(&mut c, &config, &recorder, WorkloadKind::IoBound);
    common::bench_workload(&mut c, &config, &recorder, WorkloadKind::IoBound);
    c.final_summary();
    recorder.verdict_page();
}
