//! Mixed: a wait then a hash chain per job; needs concurrency for the waits and parallelism for the hashing.

mod common;

use cvp::WorkloadKind;

fn main() {
    let config = common::config();
    let recorder = common::Recorder::new(&config);
    let mut c = common::criterion(&config);
    // This workload's one-wait floors first, in the same run as the workload they are the floor of.
    common::bench_one_waits(&mut c, &config, &recorder, WorkloadKind::Mixed);
    common::bench_workload(&mut c, &config, &recorder, WorkloadKind::Mixed);
    c.final_summary();
    recorder.verdict_page();
}
