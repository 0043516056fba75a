//! `cvp server --serve`, end to end with the binary: every structure answers keep-alive requests with the
//! digest the suite's own chain gives (correctness before speed), refuses malformed, oversized and bad
//! requests with 400 and a closed connection while serving others, refuses over a limit with 503 naming it,
//! and stops when its stdin closes, leaving no backend process behind. No timing is asserted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use cvp::views::server::Query;
use cvp::views::server::analysis::check_body;

/// A `cvp server --serve` child, its address read from its first line.
struct Served {
    child: Child,
    port: u16,
    _stdout: BufReader<ChildStdout>,
}

fn serve(args: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .arg("server")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let rest = first
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("{args:?}: first line {first:?}"));
    let port = rest.split('/').next().unwrap().parse().unwrap();
    assert!(rest.contains("/job?seed="), "{first}");
    Served { child, port, _stdout: stdout }
}

impl Served {
    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        s
    }

    /// Closes its stdin and waits (at most 20 s) for it to exit; returns its status.
    fn stop(mut self) -> std::process::ExitStatus {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit within 20 s of its stdin closing");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Reads one response: status, headers (lowercase names), body (by Content-Length).
fn read_response(stream: &mut TcpStream) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).unwrap();
        assert_eq!(n, 1, "the connection closed inside a response head: {:?}", String::from_utf8_lossy(&buf));
        buf.push(byte[0]);
    }
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut headers);
    assert!(response.parse(&buf).unwrap().is_complete());
    let headers: Vec<(String, String)> = response
        .headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned()))
        .collect();
    let length: usize = headers.iter().find(|(n, _)| n == "content-length").unwrap().1.parse().unwrap();
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    (response.code.unwrap(), headers, body)
}

fn get(stream: &mut TcpStream, q: Query) -> (u16, Vec<u8>) {
    let line = format!(
        "GET /job?seed={}&rounds={}&wait_ms={} HTTP/1.1\r\nHost: t\r\n\r\n",
        q.seed, q.rounds, q.wait_ms
    );
    stream.write_all(line.as_bytes()).unwrap();
    let (status, headers, body) = read_response(stream);
    assert!(!headers.iter().any(|(n, v)| n == "connection" && v == "close"), "{headers:?}");
    (status, body)
}

/// Sends `raw`, expects a 400 whose body names `reason`, then the end of the stream.
fn refused(served: &Served, raw: &[u8], reason: &str) {
    let mut s = served.connect();
    s.write_all(raw).unwrap();
    let (status, headers, body) = read_response(&mut s);
    let body = String::from_utf8(body).unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(reason) && body.ends_with('\n') && body.lines().count() == 1, "{body:?}");
    assert!(headers.iter().any(|(n, v)| n == "connection" && v == "close"), "{headers:?}");
    let mut rest = Vec::new();
    // Closed: the end of the stream, nothing after the response (a reset also ends it).
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{rest:?}");
}

/// The process ids whose parent is `pid` (from /proc).
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else { continue };
        // Fields after the command (which may hold spaces) end with ')': state, then the parent's pid.
        let Some(after) = stat.rsplit_once(')').map(|(_, a)| a) else { continue };
        if after.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
            out.push(child);
        }
    }
    out
}

fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A zombie has exited: it only waits to be reaped.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, a)| a.trim_start().starts_with('Z')),
    }
}

fn serves_correctly_and_stops(structure: &str) {
    let served = serve(&["--serve", structure]);
    let queries = [
        Query { seed: 1, rounds: 100, wait_ms: 10 },
        Query { seed: 7, rounds: 0, wait_ms: 0 },
        Query { seed: u64::MAX, rounds: 1000, wait_ms: 3 },
        Query { seed: 42, rounds: 10, wait_ms: 10 },
    ];
    // One keep-alive connection, several requests.
    let mut s = served.connect();
    for q in queries {
        let (status, body) = get(&mut s, q);
        assert_eq!(status, 200, "{structure} {q:?}: {}", String::from_utf8_lossy(&body));
        check_body(q, &body).unwrap_or_else(|e| panic!("{structure}: {e}"));
    }
    // A request that names nothing gets the defaults.
    s.write_all(b"GET /job HTTP/1.1\r\n\r\n").unwrap();
    let (status, _, body) = read_response(&mut s);
    assert_eq!(status, 200);
    check_body(Query::default(), &body).unwrap();
    // Two requests in one write (pipelined): two answers, in order.
    s.write_all(b"GET /job?seed=5&wait_ms=0 HTTP/1.1\r\n\r\nGET /job?seed=6&wait_ms=0 HTTP/1.1\r\n\r\n")
        .unwrap();
    for seed in [5, 6] {
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200, "{structure}");
        check_body(Query { seed, wait_ms: 0, ..Query::default() }, &body).unwrap();
    }
    // Bad requests: 400 and closed.
    refused(&served, b"BLAH\r\n\r\n", "malformed request");
    let mut big = b"GET /job HTTP/1.1\r\nX-Pad: ".to_vec();
    big.resize(9000, b'a');
    big.extend_from_slice(b"\r\n\r\n");
    refused(&served, &big, "request head over 8192 bytes");
    refused(&served, b"GET /job?seed=1&rounds=lots HTTP/1.1\r\n\r\n", "rounds=lots: accepted");
    // ... and the server goes on serving, the first connection included.
    let q = Query { seed: 9, rounds: 5, wait_ms: 1 };
    for stream in [&mut s, &mut served.connect()] {
        let (status, body) = get(stream, q);
        assert_eq!(status, 200, "{structure}");
        check_body(q, &body).unwrap();
    }
    drop(s);
    // Its backends (one per distinct wait: 10, 0, 3, 1) are its children; closing stdin stops them all.
    let pid = served.child.id();
    let backends = children(pid);
    assert_eq!(backends.len(), 4, "{structure}: children {backends:?}");
    let status = served.stop();
    assert!(status.success(), "{structure}: {status}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !backends.iter().all(|b| gone(*b)) {
        assert!(
            Instant::now() < deadline,
            "{structure}: backends {backends:?} still run after the server exited"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn thread_per_connection_serves_the_right_digests() {
    serves_correctly_and_stops("thread_per_connection");
}

#[test]
fn threads_serve_the_right_digests() {
    serves_correctly_and_stops("threads/2");
}

#[test]
fn async_1_serves_the_right_digests() {
    serves_correctly_and_stops("async/1");
}

#[test]
fn async_n_serves_the_right_digests() {
    serves_correctly_and_stops("async/3");
}

#[test]
fn async_offload_serves_the_right_digests() {
    serves_correctly_and_stops("async_offload/2");
}

#[test]
fn async_multi_serves_the_right_digests() {
    serves_correctly_and_stops("async_multi/1");
}

#[test]
fn reference_serves_the_right_digests() {
    serves_correctly_and_stops("reference");
}

#[test]
fn over_a_limit_the_server_refuses_with_503_naming_it() {
    for structure in ["thread_per_connection", "threads/1", "async/1", "reference"] {
        let served = serve(&["--serve", structure, "--max-connections", "1"]);
        let mut first = served.connect();
        let q = Query { seed: 3, rounds: 1, wait_ms: 0 };
        // The first connection is being served (it has an answer), so it holds the one slot.
        assert_eq!(get(&mut first, q).0, 200);
        let mut second = served.connect();
        let (status, _, body) = read_response(&mut second);
        let body = String::from_utf8(body).unwrap();
        assert_eq!(status, 503, "{structure}: {body}");
        assert!(body.contains("limit: 1 connections open (--max-connections)"), "{structure}: {body}");
        // The slot comes back when the first connection closes.
        drop(first);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // A refused connection may be reset rather than closed (it sent bytes the server never read):
            // any failure here is a refusal, tried again.
            let mut again = served.connect();
            let mut head = [0u8; 12];
            let answered = again.write_all(b"GET /job?wait_ms=0 HTTP/1.1\r\n\r\n").is_ok()
                && again.read_exact(&mut head).is_ok();
            if answered && head.starts_with(b"HTTP/1.1 200") {
                break;
            }
            assert!(Instant::now() < deadline, "{structure}: the slot never came back");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(served.stop().success());
    }
}

#[test]
fn bad_flags_exit_2_naming_what_is_accepted() {
    for (args, words) in [
        (&["server", "--serve", "fibers"][..], "accepted: thread_per_connection, threads, async"),
        (&["server", "--serve", "threads/0"], "1..=1024"),
        (&["server", "--serve", "reference", "--workers", "2"], "reference takes no worker count"),
        (&["server", "--serve", "threads/2", "--workers", "3"], "give the worker count once"),
        (&["server", "--serve", "async", "--max-connections", "999999999999"], "--max-connections"),
        (&["server", "--port", "80"], "--serve"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_cvp")).args(args).stdin(Stdio::null()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }
}

#[test]
fn over_the_in_flight_limit_a_request_gets_503_naming_it() {
    for structure in ["async/1", "threads/2"] {
        let served = serve(&["--serve", structure, "--max-in-flight", "1"]);
        // The first request waits a second on its backend: while it does, it is the one in flight. (Should
        // the machine be so slow that it is not yet in flight, the second is served and the test tries again.)
        let mut refused = None;
        for _ in 0..5 {
            let mut slow = served.connect();
            slow.write_all(b"GET /job?seed=1&wait_ms=1000 HTTP/1.1\r\n\r\n").unwrap();
            std::thread::sleep(Duration::from_millis(300));
            let mut other = served.connect();
            other.write_all(b"GET /job?seed=2&wait_ms=0 HTTP/1.1\r\n\r\n").unwrap();
            let (status, headers, body) = read_response(&mut other);
            assert_eq!(read_response(&mut slow).0, 200, "{structure}");
            if status == 503 {
                assert!(headers.iter().any(|(n, v)| n == "connection" && v == "close"), "{headers:?}");
                refused = Some(String::from_utf8(body).unwrap());
                break;
            }
        }
        let body = refused.unwrap_or_else(|| panic!("{structure}: no request was refused"));
        assert_eq!(body, "limit: 1 requests in flight (--max-in-flight)\n", "{structure}");
        assert!(served.stop().success());
    }
}
