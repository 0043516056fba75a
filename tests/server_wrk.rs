//! The cross-check with a client nobody here wrote: `wrk` (Debian's package; `.ci/run` installs it) drives
//! `cvp server --serve async/1` closed loop over 16 connections for 3 s, and the suite's own generator does
//! the same in closed loop over the same 16 connections for the same time. Their requests per second must
//! agree within 15%: each request waits 10 ms on the server's backend, so either client's throughput is
//! 16 / (10 ms + the server's and the client's time per request, tens of microseconds), about 1,550/s,
//! whoever sends; 15% covers a difference of 1.5 ms per request in client overhead, or a 0.45 s stall of
//! the machine in one of the two runs. A client that miscounted (replies not read, errors counted as
//! replies, requests pipelined) would be off by far more.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use cvp::views::server::Query;
use cvp::views::server::load::Generator;

/// Where `wrk` is, if it is installed.
fn wrk() -> Option<String> {
    let out = Command::new("sh").args(["-c", "command -v wrk"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `Requests/sec:   1545.23` from wrk's report.
fn requests_per_sec(report: &str) -> Option<f64> {
    report.lines().find_map(|l| l.trim().strip_prefix("Requests/sec:")?.trim().parse().ok())
}

#[test]
fn wrk_and_the_suites_closed_loop_agree_on_requests_per_second() {
    let Some(wrk) = wrk() else {
        assert!(std::env::var_os("CI").is_none(), "wrk is not installed: .ci/run installs Debian's wrk");
        eprintln!("skipped: wrk is not installed (apt-get install wrk); CI installs it and runs this");
        return;
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["server", "--serve", "async/1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("listening on ").unwrap().to_string();
    let addr = url.strip_prefix("http://").unwrap().split('/').next().unwrap().parse().unwrap();
    assert!(url.contains("wait_ms=10"), "{url}");

    let out = Command::new(&wrk).args(["-t1", "-c16", "-d3s", &url]).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!report.contains("Non-2xx"), "wrk saw refusals:\n{report}");
    assert!(!report.contains("Socket errors"), "wrk saw socket errors:\n{report}");
    let theirs = requests_per_sec(&report).unwrap_or_else(|| panic!("no Requests/sec in:\n{report}"));

    let query = Query { seed: 1, rounds: 10, wait_ms: 10 };
    let ours = Generator::new(addr, 16, 1, query).unwrap().closed_loop(Duration::from_secs(3)).unwrap();
    drop(child.stdin.take());
    let _ = child.wait();

    let ratio = theirs.max(ours) / theirs.min(ours);
    eprintln!("wrk {theirs:.0}/s, cvp's closed loop {ours:.0}/s: {ratio:.3}x apart");
    assert!(
        ratio <= 1.15,
        "wrk {theirs:.0}/s and cvp's closed loop {ours:.0}/s are {ratio:.2}x apart (> 1.15)"
    );
    // Both near what the wait allows: 16 connections / 10 ms.
    assert!(ours <= 1600.0 * 1.02, "{ours}/s is more than 16 connections waiting 10 ms each can carry");
}
