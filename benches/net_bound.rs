//! Net-bound: io_bound's jobs, each wait a real request over loopback TCP to `cvp serve` (this executable,
//! started as a child process, so its CPU time is never the client's). Blocking strategies block a thread in
//! `read`; async ones wait on tokio's reactor (epoll).

mod common;

use std::process::exit;

use cvp::WorkloadKind;
use cvp::workload::net::Server;

fn main() {
    // The service this bench starts is this executable again: it serves and exits here.
    cvp::workload::net::serve_if_child();
    let config = common::config();
    let recorder = common::Recorder::new(&config);
    let server = Server::start(config.wait).unwrap_or_else(|e| {
        eprintln!("error: starting the net_bound service: {e}");
        exit(1)
    });
    let mut c = common::criterion(&config);
    // The one-request floors first, in the same run as the workload they are the floor of.
    common::bench_one_waits_on(&mut c, &config, &recorder, WorkloadKind::NetBound, Some(&server));
    common::bench_workload_on(&mut c, &config, &recorder, WorkloadKind::NetBound, Some(&server));
    c.final_summary();
    recorder.verdict_page();
    match server.stop() {
        Ok(r) => eprintln!(
            "net_bound service: {} requests served, {} malformed, {:.3} s of its own CPU time",
            r.served, r.malformed, r.cpu_s
        ),
        Err(e) => eprintln!("warning: the net_bound service: {e}"),
    }
}
