//! `cvp server`'s load generator and sweep, end to end. The generator against a server written here that
//! stalls once: every request due during the stall is charged from its due time (coordinated omission
//! corrected, as wrk2 does), while the after-send latency and the generator's own lag stay small; a wrong
//! digest is an error, never a latency. The closed loop of exactly K requests (the `server` bench's): it
//! sends K, returns at the K-th reply, reuses its connections, and stops at a wrong digest or a server that
//! stops answering. Then a short sweep of the binary: its JSON, digests checked on
//! every reply, a thread pool's unserved keep-alive connections explained. No timing is asserted beyond
//! what a 300 ms stall makes unmistakable.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cvp::views::server::Query;
use cvp::views::server::load::{Generator, Step};
use cvp::workload::chain;

/// Request number never reached: no wrong digest.
const NEVER: u64 = u64::MAX;
/// Rounds from which the server here takes 30 ms to answer (a heavy request of a mix).
const HEAVY: u32 = 1000;

/// A keep-alive HTTP server on its own threads: answers each `GET /job?seed=S&rounds=R...` with the
/// digest of (S, R), except that it sleeps `stall` before answering request number `stall_at` (counted
/// from 1 across connections) and answers with a wrong digest from request number `wrong_from` on.
fn fake_server(stall_at: u64, stall: Duration, wrong_from: u64) -> SocketAddr {
    fake_server_counting(stall_at, stall, wrong_from).0
}

/// [`fake_server`], with the count of requests it has received and of connections it has accepted.
fn fake_server_counting(
    stall_at: u64,
    stall: Duration,
    wrong_from: u64,
) -> (SocketAddr, Arc<[AtomicU64; 2]>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let seen = Arc::clone(&counts);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            seen[1].fetch_add(1, Ordering::SeqCst);
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || answer(stream, &seen[0], stall_at, stall, wrong_from));
        }
    });
    (addr, counts)
}

fn answer(mut stream: TcpStream, count: &AtomicU64, stall_at: u64, stall: Duration, wrong_from: u64) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let num = |key: &str| -> u64 {
            let at = head.find(key).unwrap() + key.len();
            head[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
        };
        let (seed, rounds) = (num("seed="), num("rounds=") as u32);
        if rounds >= HEAVY {
            // A heavy request: its hashing takes a while here.
            std::thread::sleep(Duration::from_millis(30));
        }
        let number = count.fetch_add(1, Ordering::SeqCst) + 1;
        if number == stall_at {
            std::thread::sleep(stall);
        }
        let wrong = number >= wrong_from;
        let body = format!("{}\n", chain(if wrong { seed + 1 } else { seed }, rounds).to_hex());
        let reply = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn step() -> Step {
    Step {
        rate: 100.0,
        warmup: Duration::from_millis(100),
        window: Duration::from_secs(1),
        drain: Duration::from_secs(2),
    }
}

#[test]
fn a_stall_is_charged_to_every_request_due_during_it() {
    let _turn = SWEEPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // One connection at 100/s: request 40 (due at 0.39 s, inside the window) stalls 300 ms, so the 30
    // requests due behind it on the connection go out late, each charged from its due time.
    let addr = fake_server(40, Duration::from_millis(300), NEVER);
    let query = Query { seed: 0, rounds: 3, wait_ms: 0 };
    let generator = Generator::new(addr, 1, 1, query).unwrap();
    let mut edges = Vec::new();
    let out = generator.run(step(), |e| edges.push(e)).unwrap();
    assert_eq!(edges, vec![0, 1], "the window's edges are called in order");
    assert_eq!(out.counted, 100);
    assert_eq!((out.errors, out.unanswered), (0, 0), "{:?}", out.first_error);
    assert_eq!(out.latency_ns.len(), 100);
    let over = |v: &[u64], ms: u64| v.iter().filter(|&&ns| ns > ms * 1_000_000).count();
    // Requests due from 0.39 s to 0.59 s finish at about 0.69 s: about 20 over 100 ms.
    let charged = over(&out.latency_ns, 100);
    assert!((15..=25).contains(&charged), "{charged} requests over 100 ms from their due time");
    assert!(over(&out.latency_ns, 250) >= 1, "the stalled request itself waited 300 ms");
    // From the send, only the stalled request waited: the others were answered at once.
    assert!(over(&out.after_send_ns, 100) <= 2, "{:?}", out.after_send_ns);
    // The late sends were the server's doing (the connection was busy), not the generator's.
    let mean_lag = out.lag_ns.iter().sum::<u64>() as f64 / out.lag_ns.len() as f64 / 1e6;
    assert!(mean_lag < 1.0, "mean lag {mean_lag} ms");
}

#[test]
fn a_wrong_digest_is_an_error_not_a_latency() {
    let _turn = SWEEPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let addr = fake_server(0, Duration::ZERO, 1);
    let generator = Generator::new(addr, 2, 1, Query { seed: 0, rounds: 3, wait_ms: 0 }).unwrap();
    let out = generator.run(step(), |_| {}).unwrap();
    assert_eq!(out.errors, out.counted);
    assert!(out.latency_ns.is_empty());
    assert!(out.first_error.as_deref().is_some_and(|e| e.contains("wrong digest")), "{:?}", out.first_error);
}

#[test]
fn a_closed_loop_of_k_requests_ends_at_the_kth_reply_on_the_connections_it_was_given() {
    let _turn = SWEEPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // 4 connections, 40 requests a pass: the 40th request to arrive (the last of the first pass) stalls
    // 300 ms, so a loop that returned before its last reply would take far less.
    let (addr, seen) = fake_server_counting(40, Duration::from_millis(300), NEVER);
    let generator = Generator::new(addr, 4, 1, Query { seed: 0, rounds: 3, wait_ms: 0 }).unwrap();
    let mut open = generator.open().unwrap();
    let limit = Duration::from_secs(10);
    let first = generator.exactly(&mut open, 40, limit).unwrap();
    assert!(first >= Duration::from_millis(300), "returned after {first:?}, before the stalled last reply");
    assert_eq!(seen[0].load(Ordering::SeqCst), 40, "exactly K requests, no more");
    let second = generator.exactly(&mut open, 40, limit).unwrap();
    assert!(second < Duration::from_millis(300), "{second:?}: the second pass has no stall");
    assert_eq!(seen[0].load(Ordering::SeqCst), 80);
    assert_eq!(seen[1].load(Ordering::SeqCst), 4, "both passes on the 4 connections opened once");
}

#[test]
fn a_closed_loop_stops_at_a_wrong_digest_or_a_server_that_stops_answering() {
    let _turn = SWEEPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let query = Query { seed: 0, rounds: 3, wait_ms: 0 };
    let limit = Duration::from_secs(10);
    // Right up to request 24, wrong from 25 on.
    let generator = Generator::new(fake_server(0, Duration::ZERO, 25), 4, 1, query).unwrap();
    let mut open = generator.open().unwrap();
    let err = generator.exactly(&mut open, 40, limit).unwrap_err();
    assert!(err.contains("wrong digest") && err.contains("of 40"), "{err}");
    let err = generator.exactly(&mut open, 40, limit).unwrap_err();
    assert!(err.contains("no open connections"), "{err}");
    // Request 5 is held 3 s: a pass limited to 0.3 s is an error naming how far it got, not a hang.
    let generator = Generator::new(fake_server(5, Duration::from_secs(3), NEVER), 4, 1, query).unwrap();
    let mut open = generator.open().unwrap();
    let err = generator.exactly(&mut open, 40, Duration::from_millis(300)).unwrap_err();
    assert!(err.ends_with("of 40 requests answered within 300ms"), "{err}");
}

/// The tests that measure take turns: each one's load would be the others' noise.
static SWEEPS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_short_sweep_checks_every_reply_and_explains_a_pool_holding_its_connections() {
    let _turn = SWEEPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let out = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["server", "--structures", "async/1,threads/1", "--connections", "64", "--window", "0.2"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = file["rows"].as_array().unwrap();
    let async_rows: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r["structure"].get("Async").is_some_and(|n| n == 1)).collect();
    assert!(!async_rows.is_empty(), "{rows:?}");
    for r in &async_rows {
        assert_eq!(r["errors"], 0, "{r}");
    }
    // At 25 requests a second an async server keeps up; on a busy machine the generator may be the one
    // that cannot, and the step then says so (never "saturated").
    let first = &async_rows[0]["outcome"];
    assert!(first == "kept_up" || first.get("generator_bound").is_some(), "{}", async_rows[0]);
    let pool: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r["structure"].get("Threads").is_some_and(|n| n == 1)).collect();
    assert!(pool[0]["unanswered"].as_u64().unwrap() > 0, "{}", pool[0]);
    let notes = file["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().contains("threads/1 serves a connection to its end")));
    assert_eq!(file["plan"]["connections"], 64);
}

#[test]
fn bad_sweep_flags_exit_2_naming_what_is_accepted() {
    for (args, says) in [
        (vec!["--window", "0"], "0.1 to 60"),
        (vec!["--structures", "async/1,async/1"], "listed twice"),
        (vec!["--serve", "async", "--connections", "5"], "cannot be used with"),
        (vec!["--cpus", "0"], "--serve"),
        (vec!["--wait-ms", "5000"], "0..=1000"),
        (vec!["--mix", "--idle"], "cannot be used with"),
        (vec!["--cores", "--mix"], "cannot be used with"),
        (vec!["--cores", "--rounds", "100"], "cannot be used with"),
        (vec!["--cores", "--wait-ms", "0"], "needs requests that wait; accepted: 1..=1000"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_cvp")).arg("server").args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn the_idle_row_fits_memory_per_connection_over_its_levels() {
    let _turn = SWEEPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let out = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["server", "--idle", "--structures", "async/1,thread_per_connection", "--connections", "2560"])
        .args(["--window", "0.3"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(file["rows"].as_array().unwrap().is_empty());
    let idle = file["idle"].as_array().unwrap();
    assert_eq!(idle.len(), 2);
    for row in idle {
        let points = row["points"].as_array().unwrap();
        let levels: Vec<u64> = points.iter().map(|p| p[0].as_u64().unwrap()).collect();
        assert_eq!(levels, vec![1, 320, 640, 1280, 2560], "{row}");
        assert!(row["bytes_per_connection"].is_array(), "{row}");
        assert!(row["stopped"].is_null(), "{row}");
    }
    // A thread per connection: 2559 more threads at 2560 connections than at one.
    let tpc = &idle[1]["points"];
    let threads = |i: usize| tpc[i][2].as_u64().unwrap();
    assert_eq!(threads(4) - threads(0), 2559, "{tpc}");
    // The async server's threads do not grow with its connections.
    let a = &idle[0]["points"];
    assert_eq!(a[4][2], a[0][2], "{a}");
    // C8's pairs follow, with a tenth of C and with C connections open: both structures in every pair, at
    // one rate, and a C8 verdict judged from them (whatever it comes out as on a loaded machine).
    let c8 = file["c8"].as_array().unwrap();
    let held: Vec<u64> = c8.iter().map(|s| s["connections"].as_u64().unwrap()).collect();
    assert_eq!(held, vec![256, 2560]);
    for set in c8 {
        let pairs = set["pairs"].as_array().unwrap();
        assert!((6..=9).contains(&pairs.len()), "{set}");
        for p in pairs {
            let names: Vec<String> =
                p.as_array().unwrap().iter().map(|r| r["structure"].to_string()).collect();
            assert_eq!(names, vec!["\"ThreadPerConnection\"", "{\"Async\":1}"], "{p}");
        }
    }
    let claims: Vec<&str> =
        file["verdicts"].as_array().unwrap().iter().map(|v| v["claim"].as_str().unwrap()).collect();
    assert_eq!(claims, vec!["C8"]);
}

#[test]
fn a_step_finds_the_backend_and_reads_its_cpu() {
    use cvp::views::server::Plan;
    use cvp::views::server::sweep::{UnderTest, children, cpu_s};
    let _turn = SWEEPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // Not /proc/self/exe of this test: the server child must be cvp itself.
    let allowed = cvp::machine::allowed_cpu_ids().unwrap_or_else(|| vec![0]);
    let mut plan = Plan::default_for(&allowed, 10, 10, 0.003);
    plan.set_connections(16, 0.003);
    plan.window_s = 0.5;
    let under = UnderTest::start_exe(
        std::path::Path::new(env!("CARGO_BIN_EXE_cvp")),
        cvp::views::server::Structure::Async(1),
        &plan,
    )
    .unwrap();
    let backends = children(under.pid());
    assert_eq!(backends.len(), 1, "one backend for the one wait: {backends:?}");
    let before = cpu_s(backends[0]);
    let (row, _) = under.step(&plan, 200.0).unwrap();
    assert_eq!(row.errors, 0, "{row:?}");
    assert!(cpu_s(backends[0]) > before, "the backend's CPU clock did not move over a step");
    // The generator's column counts the generator's CPU and the backend's: above zero.
    assert!(row.generator_cores_busy > 0.0, "{row:?}");
}

#[test]
fn the_mix_keeps_light_requests_apart_and_checks_the_heavy_digests() {
    let _turn = SWEEPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let out = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["server", "--mix", "--structures", "async/1,thread_per_connection", "--window", "0.3"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(file["rows"].as_array().unwrap().is_empty());
    // The heavy requests' rounds were calibrated to C7's heavy job and the plan says so.
    let heavy = file["plan"]["heavy_rounds"].as_u64().unwrap();
    assert!(heavy > 10_000, "{}", file["plan"]);
    assert!(file["plan"]["heavy_ms"].as_f64().unwrap() > 1.0, "{}", file["plan"]);
    let c7 = file["c7"].as_array().unwrap();
    for structure in [serde_json::json!({"Async": 1}), serde_json::json!("ThreadPerConnection")] {
        let steps: Vec<&serde_json::Value> = c7.iter().filter(|r| r["structure"] == structure).collect();
        assert!((9..=13).contains(&steps.len()), "{structure}: {} steps", steps.len());
        for r in steps {
            // Every reply checked against its seed's digest, the heavy ones' at the heavy rounds: none failed.
            assert_eq!(r["errors"], 0, "{r}");
            // The light requests' percentiles are their own, below the heavy requests' (which wait and
            // hash a whole job): the p99 of all lies at or above the light p50.
            let (lp50, p99) = (r["light_p50"].as_f64().unwrap(), r["p99"].as_f64().unwrap());
            assert!(lp50 <= p99, "{r}");
        }
    }
    let claims: Vec<&str> =
        file["verdicts"].as_array().unwrap().iter().map(|v| v["claim"].as_str().unwrap()).collect();
    assert_eq!(claims, vec!["C7"]);
}

#[test]
fn a_mix_keeps_its_light_requests_latencies_apart_from_the_heavy_ones() {
    let _turn = SWEEPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // 16 connections at 100/s: connection i mod 16 carries seed i mod 16, so the heavy requests (seed 15,
    // 30 ms each here) have a connection of their own and never delay a light one.
    let addr = fake_server(NEVER, Duration::ZERO, NEVER);
    let query = Query { seed: 0, rounds: 3, wait_ms: 0 };
    let generator = Generator::with_mix(addr, 16, 1, query, HEAVY).unwrap();
    let out = generator.run(step(), |_| {}).unwrap();
    assert_eq!((out.errors, out.unanswered), (0, 0), "{:?}", out.first_error);
    // Every reply checked against its seed's digest at its own rounds: the heavy ones asked for HEAVY.
    assert_eq!(out.latency_ns.len(), 100);
    let heavy = (0..100u64).filter(|i| (10 + i) % 16 == 15).count();
    assert_eq!(out.light_ns.len(), 100 - heavy, "the light requests only");
    assert_eq!(out.light_counted, (100 - heavy) as u64);
    let over_25ms = |v: &[u64]| v.iter().filter(|&&ns| ns > 25_000_000).count();
    assert_eq!(over_25ms(&out.latency_ns), heavy, "the heavy requests took their 30 ms");
    assert_eq!(over_25ms(&out.light_ns), 0, "no heavy latency among the light ones");
    // Without a mix, nothing is kept apart.
    let plain = Generator::new(addr, 16, 1, query).unwrap().run(step(), |_| {}).unwrap();
    assert!(plain.light_ns.is_empty());
    assert_eq!(over_25ms(&plain.latency_ns), 0);
}
