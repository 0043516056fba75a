//! `net_bound`: real requests over loopback TCP to `cvp serve`, a child process. Every strategy must get the
//! io_bound digest back; the service must refuse what is not loopback, and must die with its parent.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cvp::workload::net::Server;
use cvp::{StrategyKind, Workload, WorkloadKind};

fn cvp() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_cvp"))
}

#[test]
fn every_strategy_gets_the_io_bound_digest_over_sockets() {
    let server = Server::start_exe(cvp(), Duration::from_millis(2)).unwrap();
    for (jobs, workers) in [(1, 1), (7, 2), (33, 4), (200, 3)] {
        let net = Workload::new(WorkloadKind::NetBound, jobs, Duration::ZERO, 999).on(&server);
        let io = Workload::new(WorkloadKind::IoBound, jobs, Duration::from_millis(2), 0);
        assert_eq!(net.expected_digest(), io.expected_digest());
        for strategy in StrategyKind::ALL {
            let n = strategy.worker_counts(&[workers], jobs)[0];
            let got = strategy.build(n).unwrap().run(&net).unwrap();
            assert_eq!(got, io.expected_digest(), "{strategy}/{n} with {jobs} jobs");
        }
    }
    let report = server.stop().unwrap();
    let per_pass: u64 = [1u64, 7, 33, 200].iter().sum();
    assert_eq!((report.served, report.malformed), (StrategyKind::ALL.len() as u64 * per_pass, 0));
    assert!(report.cpu_s > 0.0);
}

/// `FDSize` of a process: the size of its descriptor table.
fn fd_table(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find_map(|l| l.strip_prefix("FDSize:")).unwrap().trim().parse().unwrap()
}

/// What both views do before timing net_bound: `cvp run` and `cvp scale --io socket` start the service with
/// room for their largest J made in its descriptor table, and the scale child (a fresh process) makes room
/// for its J before its warm-up, as `cvp run` does in its own process: no timed request pays for the
/// table growing (a grace period per doubling in a process of several threads).
#[cfg(target_os = "linux")]
#[test]
fn the_service_and_the_scale_child_make_room_for_every_connection_before_timing() {
    let limit = cvp::workload::net::raise_fd_limit() as usize;
    let n = (limit / 2).clamp(1, 2_000);
    let server = Server::start_holding(cvp(), Duration::from_millis(1), n).unwrap();
    assert!(fd_table(server.pid()) as usize >= n, "the service's table holds {n} before any request");
    let plain = Server::start_exe(cvp(), Duration::from_millis(1)).unwrap();
    assert!(fd_table(plain.pid()) < 512, "without the reserve the table starts small, so the check can fail");
    drop(plain);
    let jobs = n / 2;
    let t = server.target();
    let out = Command::new(cvp())
        .args(["scale-child", "--strategy", "async", "--workers", "1", "--wait-ms", "1"])
        .args(["--jobs", &jobs.to_string(), "--server", &format!("{}:{}", t.base, t.port)])
        .args(["--spread", &t.spread.to_string()])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "ok", "{report}");
    assert!(report["descriptors"].as_u64().unwrap() as usize >= jobs, "{report}");
    server.stop().unwrap();
}

#[test]
fn a_workload_without_its_server_is_an_error_not_a_hang() {
    let net = Workload::new(WorkloadKind::NetBound, 3, Duration::from_millis(1), 0);
    for strategy in StrategyKind::ALL {
        let err = strategy.build(2).unwrap().run(&net).unwrap_err();
        assert!(err.to_string().contains("net_bound needs its server"), "{strategy}: {err}");
    }
}

#[test]
fn a_stopped_server_fails_the_run_naming_a_job() {
    let server = Server::start_exe(cvp(), Duration::ZERO).unwrap();
    let net = Workload::new(WorkloadKind::NetBound, 4, Duration::ZERO, 0).on(&server);
    server.stop().unwrap();
    for strategy in StrategyKind::ALL {
        let err = strategy.build(2).unwrap().run(&net).unwrap_err().to_string();
        assert!(
            err.contains(": a job failed: job ") && err.contains("connect to 127.0.0."),
            "{strategy}: {err}"
        );
    }
}

#[test]
fn serve_refuses_addresses_that_are_not_loopback() {
    for bind in ["0.0.0.0", "192.168.1.10", "10.0.0.1"] {
        let out = Command::new(cvp()).args(["serve", "--bind", bind]).stdin(Stdio::null()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bind}: {err}");
        assert!(err.contains("loopback only") && err.contains("127.0.0.0/8"), "{bind}: {err}");
    }
    // A spread that would leave 127.0.0.0/8.
    let out = Command::new(cvp())
        .args(["serve", "--bind", "127.255.255.254", "--spread", "4"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn serve_prints_where_it_listens_and_reports_on_exit() {
    let mut child = Command::new(cvp())
        .args(["serve", "--wait-ms", "0", "--spread", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first.split_whitespace().nth(1).unwrap().to_string();
    assert!(first.starts_with("listening 127.0.0.1:") && first.trim_end().ends_with("spread 2"), "{first}");
    // A malformed request (3 bytes, then close) is closed without a reply.
    {
        use std::io::{Read, Write};
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(b"abc").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        assert!(got.is_empty());
    }
    drop(child.stdin.take());
    let mut rest = String::new();
    out.read_line(&mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    let report = cvp::workload::net::ServeReport::parse(&rest).unwrap_or_else(|| panic!("{rest}"));
    assert_eq!((report.served, report.malformed), (0, 1));
}

/// The parent half of [`the_server_dies_with_its_parent`]: this test binary, started again with
/// `CVP_TEST_PARENT`, starts the service, prints its address and waits to be killed.
#[test]
fn parent_half() {
    if std::env::var_os("CVP_TEST_PARENT").is_none() {
        return;
    }
    let server = Server::start_exe(cvp(), Duration::ZERO).unwrap();
    println!("PORT {} PID {}", server.target().port, server.pid());
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn the_server_dies_with_its_parent() {
    let mut parent = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "parent_half", "--nocapture", "--test-threads", "1"])
        .env("CVP_TEST_PARENT", "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(parent.stdout.take().unwrap());
    let (port, pid) = loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "the parent ended before starting its server");
        // libtest may print `test parent_half ... ` on the same line first.
        let words: Vec<&str> = line.split_whitespace().skip_while(|w| *w != "PORT").collect();
        if let ["PORT", port, "PID", pid, ..] = words.as_slice() {
            break (port.parse::<u16>().unwrap(), pid.parse::<u32>().unwrap());
        }
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let connect = || TcpStream::connect_timeout(&addr, Duration::from_secs(2));
    assert!(connect().is_ok(), "the server is not listening");
    parent.kill().unwrap(); // SIGKILL: no destructor runs, only the kernel closes the server's stdin
    parent.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        // A zombie (reparented, not yet reaped) has no open sockets: the port test below decides.
        if std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z ")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let refused = (0..250).any(|_| {
        let closed = connect().is_err();
        if !closed {
            std::thread::sleep(Duration::from_millis(20));
        }
        closed
    });
    assert!(refused, "the server (pid {pid}) still listens on {port} after its parent was killed");
}
