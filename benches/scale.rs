//! Scale: the time to keep J waits in flight (io_bound, J from CVP_SCALE_JOBS up to 10,000) per structure:
//! one thread per job, one event loop, an event loop on every core. `cvp scale` adds memory and threads.

mod common;

fn main() {
    let config = common::config();
    let recorder = common::Recorder::new(&config);
    let mut c = common::criterion(&config);
    common::bench_scale(&mut c, &config, &recorder);
    c.final_summary();
    recorder.verdict_page();
}
