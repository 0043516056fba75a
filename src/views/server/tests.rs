//! Unit tests of the server's pure parts: the request head, the query, the structures' names, the responses
//! and the reply check. The structures themselves are tested end to end in `tests/server.rs`.

use super::analysis::{check_body, expected};
use super::http::{Head, Reject, parse, parse_query};
use super::render::{digest_body, refusal, response};
use super::*;
use crate::workload::chain;

fn request(text: &str) -> Head {
    parse(text.as_bytes())
}

#[test]
fn a_whole_request_gives_its_query_length_and_keep_alive() {
    let text = "GET /job?seed=7&rounds=100&wait_ms=5 HTTP/1.1\r\nHost: x\r\n\r\nGET /job HTTP/1.1\r\n";
    let Head::Request { query, close, len } = request(text) else { panic!("{:?}", request(text)) };
    assert_eq!(query, Query { seed: 7, rounds: 100, wait_ms: 5 });
    assert!(!close);
    // Only the first request's bytes: the pipelined one after it stays in the buffer.
    assert_eq!(len, text.find("GET /job HTTP").unwrap());
    // Every key may be left out, in any order.
    let Head::Request { query, .. } = request("GET /job?wait_ms=0&seed=3 HTTP/1.1\r\n\r\n") else { panic!() };
    assert_eq!(query, Query { seed: 3, rounds: DEFAULT_ROUNDS, wait_ms: 0 });
    let Head::Request { query, .. } = request("GET /job HTTP/1.1\r\n\r\n") else { panic!() };
    assert_eq!(query, Query::default());
}

#[test]
fn close_is_asked_by_the_header_or_by_http_1_0() {
    let close = |text: &str| match request(text) {
        Head::Request { close, .. } => close,
        other => panic!("{other:?}"),
    };
    assert!(close("GET /job HTTP/1.1\r\nConnection: close\r\n\r\n"));
    assert!(close("GET /job HTTP/1.1\r\nconnection: Keep-Alive, Close\r\n\r\n"));
    assert!(close("GET /job HTTP/1.0\r\n\r\n"));
    assert!(!close("GET /job HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    assert!(!close("GET /job HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
}

#[test]
fn a_partial_head_asks_for_more_until_the_bound() {
    assert_eq!(request(""), Head::Partial);
    assert_eq!(request("GET /job?seed=1 HTTP/1.1\r\nHost: x\r\n"), Head::Partial);
    let mut long = b"GET /job HTTP/1.1\r\nX-Pad: ".to_vec();
    long.resize(MAX_HEAD_BYTES - 1, b'a');
    assert_eq!(parse(&long), Head::Partial);
    long.push(b'a');
    assert_eq!(parse(&long), Head::Reject(Reject::bad(format!("request head over {MAX_HEAD_BYTES} bytes"))));
    // A complete head longer than the bound is refused too.
    long.extend_from_slice(b"\r\n\r\n");
    assert_eq!(parse(&long), Head::Reject(Reject::bad(format!("request head over {MAX_HEAD_BYTES} bytes"))));
}

#[test]
fn malformed_requests_get_400_with_one_line() {
    let mut many = String::from("GET /job HTTP/1.1\r\n");
    for k in 0..=MAX_HEADERS {
        many.push_str(&format!("X-{k}: v\r\n"));
    }
    many.push_str("\r\n");
    let cases = [
        ("NOT A REQUEST\r\n\r\n", "malformed request"),
        ("GET /job HTTP/9.9\r\n\r\n", "malformed request"),
        ("\x00\x01\x02\r\n\r\n", "malformed request"),
        ("POST /job HTTP/1.1\r\n\r\n", "method POST: only GET"),
        ("GET /job HTTP/1.1\r\nContent-Length: 5\r\n\r\n", "a request body is not accepted"),
        ("GET /job HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "a request body is not accepted"),
        (many.as_str(), "more than 32 headers"),
        ("GET /job?seed=x HTTP/1.1\r\n\r\n", "seed=x: accepted a whole number"),
    ];
    for (text, reason) in cases {
        match request(text) {
            Head::Reject(r) => {
                assert_eq!(r.status, 400, "{text:?}");
                assert!(r.reason.starts_with(reason), "{text:?}: {}", r.reason);
                assert!(!r.reason.contains('\n'), "{text:?}: {}", r.reason);
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let Head::Reject(r) = request("GET /other HTTP/1.1\r\n\r\n") else { panic!() };
    assert_eq!((r.status, r.reason.starts_with("no /other")), (404, true), "{r:?}");
}

#[test]
fn bad_query_values_are_refused_with_what_is_accepted() {
    assert_eq!(parse_query("seed=18446744073709551615"), Ok(Query { seed: u64::MAX, ..Query::default() }));
    assert_eq!(parse_query(&format!("rounds={MAX_ROUNDS}")).map(|q| q.rounds), Ok(MAX_ROUNDS));
    assert_eq!(parse_query(&format!("wait_ms={MAX_WAIT_MS}")).map(|q| q.wait_ms), Ok(MAX_WAIT_MS));
    for (text, words) in [
        ("seed=-1", "seed=-1: accepted a whole number"),
        ("seed=18446744073709551616", "accepted a whole number"),
        (&format!("rounds={}", MAX_ROUNDS + 1), "accepted a whole number 0..=4000000"),
        ("wait_ms=1001", "accepted a whole number of ms 0..=1000"),
        ("wait_ms=", "wait_ms=: accepted"),
        ("seed=1&seed=2", "seed given twice"),
        ("colour=red", "unknown query key colour: accepted seed, rounds, wait_ms"),
        ("seed=1\n2", "seed=1\\n2"),
    ] {
        let e = parse_query(text).unwrap_err();
        assert!(e.contains(words), "{text}: {e}");
        assert!(!e.contains('\n'), "{text}: {e}");
    }
    // A long value is cut in the reason.
    let e = parse_query(&format!("seed={}", "9".repeat(500))).unwrap_err();
    assert!(e.len() < 200 && e.contains("..."), "{e}");
}

#[test]
fn structures_parse_from_their_names_and_counts() {
    assert_eq!("threads/4".parse(), Ok(Structure::Threads(4)));
    assert_eq!("async/1".parse(), Ok(Structure::Async(1)));
    assert_eq!("async_offload/2".parse(), Ok(Structure::AsyncOffload(2)));
    assert_eq!("async_multi/1".parse(), Ok(Structure::AsyncMulti(1)));
    assert_eq!("reference".parse(), Ok(Structure::Reference));
    assert_eq!("thread_per_connection".parse(), Ok(Structure::ThreadPerConnection));
    assert!(matches!("async".parse(), Ok(Structure::Async(n)) if n >= 1));
    for s in ["threads/0", "threads/x", "async/1025", "reference/2", "fibers", "thread_per_connection/1"] {
        assert!(s.parse::<Structure>().is_err(), "{s}");
    }
    for s in [
        Structure::ThreadPerConnection,
        Structure::Threads(3),
        Structure::Async(1),
        Structure::Async(8),
        Structure::AsyncOffload(2),
        Structure::AsyncMulti(1),
        Structure::Reference,
    ] {
        assert_eq!(s.to_string().parse(), Ok(s));
    }
    assert_eq!(Structure::build("threads", None, 6), Ok(Structure::Threads(6)));
    assert_eq!(Structure::Threads(6).workers(), Some(6));
    assert_eq!(Structure::Reference.workers(), None);
}

#[test]
fn responses_carry_their_length_and_close() {
    let ok = String::from_utf8(response(200, "abc\n", false)).unwrap();
    assert_eq!(ok, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nabc\n");
    let no =
        String::from_utf8(refusal(&Reject { status: 503, reason: "limit: 1 connections".into() })).unwrap();
    assert!(no.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{no}");
    assert!(no.contains("Content-Length: 21\r\nConnection: close\r\n\r\nlimit: 1 connections\n"), "{no}");
}

#[test]
fn a_reply_is_checked_against_the_chain() {
    let q = Query { seed: 7, rounds: 100, wait_ms: 0 };
    assert_eq!(expected(q), chain(7, 100));
    assert_eq!(check_body(q, digest_body(chain(7, 100)).as_bytes()), Ok(()));
    assert_eq!(check_body(q, chain(7, 100).to_hex().as_bytes()), Ok(()));
    assert!(check_body(q, digest_body(chain(7, 99)).as_bytes()).is_err());
    assert!(check_body(q, b"").is_err());
}

#[test]
fn the_help_states_the_bounds_the_code_keeps() {
    let help = cli::HELP.replace('\n', " ");
    for words in [
        format!("head over {MAX_HEAD_BYTES} bytes"),
        format!("rounds <= {MAX_ROUNDS}"),
        format!("wait_ms <= {MAX_WAIT_MS}"),
        format!("at most {MAX_BACKENDS}"),
        format!("seed 0, rounds {DEFAULT_ROUNDS}, wait_ms {DEFAULT_WAIT_MS}"),
        // C5's twin: each number the same as the constant it is judged by.
        format!("narrowed to {:.1}%", (crate::claims::C5_SERVER_RESOLUTION - 1.0) * 100.0),
        format!("({} ms of hashing", crate::claims::C5_SERVER_HASH_MS),
        format!("{} connections per server CPU", super::cores::HASHING_CONNECTIONS_PER_CPU),
        format!("at most 1,{:03}/s", crate::claims::C5_SERVER_WAITING_CEILING as u64 % 1000),
        format!("async_multi/1 >= {} cores busy", crate::claims::C5_SERVER_CPU_BOUND),
        format!(">= {} x P", crate::claims::FOLLOWS),
        format!("2S over S <= {}", crate::claims::CAP),
        format!("async_multi/1 <= {} cores busy", crate::claims::IDLE_CORES),
        format!("N = 1 is <= {}", crate::claims::CAP),
        format!("P over 1 <= {}", crate::claims::CAP),
    ] {
        assert!(help.contains(&words), "the help does not say {words:?}");
    }
    for name in Structure::NAMES {
        assert!(help.contains(name), "{name}");
    }
}

#[test]
fn limits_must_fit_in_the_descriptors() {
    let usable = measure::usable_descriptors();
    let default = measure::default_limits();
    assert_eq!(measure::check_limits(default), Ok(()));
    assert!(default.connections >= 1 && default.in_flight >= 1 && default.in_flight <= 4096);
    assert_eq!(default.connections + default.in_flight, usable.max(2));
    for bad in [
        Limits { connections: usable, in_flight: 1 },
        Limits { connections: 0, in_flight: 1 },
        Limits { connections: 1, in_flight: 0 },
        Limits { connections: usize::MAX, in_flight: usize::MAX },
    ] {
        let e = measure::check_limits(bad).unwrap_err();
        assert!(e.contains("--max-connections") && e.contains(&usable.to_string()), "{e}");
    }
    assert_eq!(measure::check_limits(Limits { connections: usable - 1, in_flight: 1 }), Ok(()));
}

#[test]
fn no_input_makes_the_parser_panic() {
    // Random bytes, and random cuts and flips of a valid request: every one is parsed to a head, a wait
    // for more, or a refusal, and a request never claims more bytes than it was given.
    let valid = b"GET /job?seed=7&rounds=100&wait_ms=5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let mut bytes = if next() % 2 == 0 {
            (0..next() % 200).map(|_| next() as u8).collect::<Vec<u8>>()
        } else {
            let mut v = valid[..(next() as usize % (valid.len() + 1))].to_vec();
            if !v.is_empty() {
                let at = next() as usize % v.len();
                v[at] = next() as u8;
            }
            v
        };
        if next() % 8 == 0 {
            bytes.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES));
        }
        match parse(&bytes) {
            Head::Request { len, .. } => assert!(len <= bytes.len()),
            Head::Reject(r) => assert!(!r.reason.contains('\n') && [400, 404].contains(&r.status)),
            Head::Partial => assert!(bytes.len() < MAX_HEAD_BYTES),
        }
    }
}

// The sweep's pure parts: a step's judgement, the next rate, the knee, the default plan.

use super::analysis::{Measured, by_rate, knee, next_rate, p99_bound_ms, step_row};
use super::load::Outcome;

fn plan() -> Plan {
    Plan::default_for(&[0, 1], 10, 10, 0.003)
}

/// A step at `rate` over a 1 s window: every request answered in `ms` ms (sent on time, after-send the
/// same), the generator and the server each `busy` CPUs busy.
fn measured(rate: f64, ms: f64, busy: f64) -> Measured {
    let n = rate as u64;
    let ns = (ms * 1e6) as u64;
    Measured {
        offered: rate,
        load: Outcome {
            counted: n,
            latency_ns: vec![ns; n as usize],
            after_send_ns: vec![ns; n as usize],
            lag_ns: vec![50_000; n as usize],
            window_s: 1.0,
            cpu: std::time::Duration::from_secs_f64(busy / 4.0),
            ..Outcome::default()
        },
        backend_cpu_s: busy / 4.0,
        server_cpu_s: busy,
        rss_kib: 10_000,
        threads: 5,
        switches: (2 * n, 0),
        generator_cpus_busy: busy,
    }
}

fn row(rate: f64, outcome: StepOutcome) -> StepRow {
    StepRow { outcome, ..step_row(Structure::Async(1), &plan(), &measured(rate, 10.5, 0.3)) }
}

#[test]
fn a_step_keeps_up_saturates_or_is_the_generators() {
    let p = plan();
    let kept = step_row(Structure::Async(1), &p, &measured(1000.0, 10.5, 0.3));
    assert_eq!(kept.outcome, StepOutcome::KeptUp, "{kept:?}");
    assert_eq!(kept.saturated_side, "none");
    assert!((kept.achieved - 1000.0).abs() < 1e-9);
    assert!((kept.cpu_us_per_request.unwrap() - 300.0).abs() < 1e-6);
    assert!((kept.voluntary_per_request.unwrap() - 2.0).abs() < 1e-9);
    // The generator's own CPU and the backend's: 0.075 + 0.075 cores.
    assert!((kept.generator_cores_busy - 0.15).abs() < 1e-9);
    // Little's law from the send: 1000/s x 10.5 ms.
    assert!((kept.in_flight - 10.5).abs() < 1e-6);
    // Over the p99 bound.
    let slow = step_row(Structure::Async(1), &p, &measured(1000.0, p.p99_bound_ms + 1.0, 0.3));
    assert!(matches!(&slow.outcome, StepOutcome::Saturated(w) if w.starts_with("p99")), "{slow:?}");
    // A failed request: saturated, and the achieved rate falls short by it.
    let mut m = measured(1000.0, 10.5, 0.3);
    m.load.errors = 1;
    m.load.latency_ns.pop();
    let failed = step_row(Structure::Async(1), &p, &m);
    assert!(matches!(&failed.outcome, StepOutcome::Saturated(w) if w.contains("failed")), "{failed:?}");
    assert!((failed.achieved - 999.0).abs() < 1e-9);
    // Unanswered requests: saturated, their latency counted at the end of the drain (a lower bound).
    let mut m = measured(1000.0, 10.5, 0.3);
    m.load.latency_ns.truncate(980);
    m.load.unanswered = 20;
    m.load.unanswered_ns = vec![900_000_000; 20];
    let lost = step_row(Structure::Async(1), &p, &m);
    assert!(matches!(&lost.outcome, StepOutcome::Saturated(w) if w.contains("unanswered")), "{lost:?}");
    assert!(lost.latency_lower_bound);
    assert!(lost.p99.unwrap() > 800.0, "the unanswered are in p99: {:?}", lost.p99);
    assert!(super::render::table(&file_with(vec![lost.clone()], vec![])).contains(">=9"));
    // The generator's mean lag over 1 ms: its step, not the server's, whatever the latencies.
    let mut m = measured(1000.0, p.p99_bound_ms + 1.0, 0.3);
    m.load.lag_ns = vec![1_100_000; 1000];
    let lagged = step_row(Structure::Async(1), &p, &m);
    assert!(
        matches!(&lagged.outcome, StepOutcome::GeneratorBound(w) if w.contains("mean lag")),
        "{lagged:?}"
    );
    assert_eq!(lagged.saturated_side, "generator");
    // ... but a failed request is the server's even then.
    m.load.errors = 1;
    assert!(matches!(step_row(Structure::Async(1), &p, &m).outcome, StepOutcome::Saturated(_)));
    // A few stalled requests raise the lag's p99, not its mean: still the server's step.
    let mut m = measured(1000.0, 10.5, 0.3);
    for v in m.load.lag_ns.iter_mut().take(20) {
        *v = 5_000_000;
    }
    let stalls = step_row(Structure::Async(1), &p, &m);
    assert_eq!(stalls.outcome, StepOutcome::KeptUp);
    assert!(stalls.lag_p99 > 1.0);
    // The generator and the backend over 90% of the generator's one CPU (0.5 + 0.45).
    let mut m = measured(1000.0, 10.5, 0.3);
    m.load.cpu = std::time::Duration::from_secs_f64(0.5);
    m.backend_cpu_s = 0.45;
    assert!(matches!(step_row(Structure::Async(1), &p, &m).outcome, StepOutcome::GeneratorBound(_)));
    m.backend_cpu_s = 0.35;
    assert_eq!(step_row(Structure::Async(1), &p, &m).outcome, StepOutcome::KeptUp);
    // Another program keeping the generator's CPU busy is not the generator's limit.
    m.generator_cpus_busy = 1.0;
    assert_eq!(step_row(Structure::Async(1), &p, &m).outcome, StepOutcome::KeptUp);
    // The server's CPU over 90% of what the structure can use names the side.
    let mut m = measured(1000.0, p.p99_bound_ms + 1.0, 0.3);
    m.server_cpu_s = 0.95;
    assert_eq!(step_row(Structure::Async(1), &p, &m).saturated_side, "server CPU");
    // The connections, only where the offered rate needs 90% of them at the unloaded latency.
    let mut m = measured(50_000.0, p.p99_bound_ms + 1.0, 0.3);
    m.server_cpu_s = 0.1;
    assert_eq!(step_row(Structure::Async(1), &p, &m).saturated_side, "connections");
    let mut m = measured(1000.0, p.p99_bound_ms + 1.0, 0.3);
    m.server_cpu_s = 0.1;
    assert_eq!(step_row(Structure::Async(1), &p, &m).saturated_side, "server (not its CPU)");
}

#[test]
fn the_cpus_a_structure_can_use() {
    use super::analysis::cpu_cap;
    assert_eq!(cpu_cap(Structure::Async(1), 4), 1);
    assert_eq!(cpu_cap(Structure::Reference, 4), 1);
    assert_eq!(cpu_cap(Structure::AsyncOffload(2), 4), 3);
    assert_eq!(cpu_cap(Structure::AsyncOffload(4), 4), 4);
    assert_eq!(cpu_cap(Structure::Threads(2), 4), 2);
    assert_eq!(cpu_cap(Structure::Async(8), 4), 4);
    assert_eq!(cpu_cap(Structure::ThreadPerConnection, 4), 4);
}

#[test]
fn the_sweep_doubles_confirms_then_halves_the_interval_to_the_resolution() {
    let p = plan();
    let sat = |why: &str| StepOutcome::Saturated(why.into());
    let mut rows: Vec<StepRow> = Vec::new();
    assert_eq!(next_rate(&rows, &p), Some(p.start_rate));
    rows.push(row(100.0, StepOutcome::KeptUp));
    assert_eq!(next_rate(&rows, &p), Some(200.0));
    rows.push(row(200.0, StepOutcome::KeptUp));
    rows.push(row(400.0, sat("p99 30 ms > 26 ms")));
    // Saturated on latency alone, once: offered again.
    assert_eq!(next_rate(&rows, &p), Some(400.0));
    rows.push(row(400.0, sat("p99 31 ms > 26 ms")));
    // Twice: halfway in logarithms between 200 and 400.
    let mid = next_rate(&rows, &p).unwrap();
    assert!((mid - (200.0f64 * 400.0).sqrt()).abs() < 1e-9);
    rows.push(row(mid, StepOutcome::KeptUp));
    let mid2 = next_rate(&rows, &p).unwrap();
    assert!((mid2 - (mid * 400.0).sqrt()).abs() < 1e-9);
    // Saturated for want of replies: not offered again.
    rows.push(row(mid2, sat("3 of 400 failed")));
    let mid3 = next_rate(&rows, &p).unwrap();
    assert!((mid3 - (mid * mid2).sqrt()).abs() < 1e-9);
    rows.push(row(mid3, StepOutcome::KeptUp));
    // mid3 .. mid2 is within 10%: over.
    assert!(mid2 / mid3 <= p.resolution);
    assert_eq!(next_rate(&rows, &p), None);
    let refs: Vec<&StepRow> = rows.iter().collect();
    assert_eq!(knee(&refs), (Some(mid3), Some(mid2)));
    // A repeated rate that kept up once counts as kept up.
    let again = [row(400.0, sat("p99 40 ms > 26 ms")), row(400.0, StepOutcome::KeptUp)];
    assert_eq!(by_rate(&again.iter().collect::<Vec<_>>()), vec![(400.0, StepOutcome::KeptUp)]);
}

#[test]
fn the_sweep_stops_at_the_first_rate_the_highest_rate_or_the_generator() {
    let p = plan();
    // The first rate saturated: down by the factor, at most 4 times, then over.
    let late = |rate: f64| StepRow {
        unanswered: 3,
        ..row(rate, StepOutcome::Saturated("3 of 9 unanswered".into()))
    };
    let mut down = vec![late(p.start_rate)];
    assert_eq!(knee(&down.iter().collect::<Vec<_>>()), (None, Some(p.start_rate)));
    for k in 1..=4 {
        let next = next_rate(&down, &p).unwrap();
        assert!((next - p.start_rate / 2f64.powi(k)).abs() < 1e-9, "{k}: {next}");
        down.push(late(next));
    }
    assert_eq!(next_rate(&down, &p), None);
    // More than half unanswered: a lower rate would not help, over at once.
    let held =
        StepRow { unanswered: 6, counted: 9, ..row(p.start_rate, StepOutcome::Saturated("6 of 9".into())) };
    assert_eq!(next_rate(&[held], &p), None);
    // One that keeps up on the way down brackets the knee from below.
    let mut found = vec![late(p.start_rate)];
    found.push(row(next_rate(&found, &p).unwrap(), StepOutcome::KeptUp));
    let next = next_rate(&found, &p).unwrap();
    assert!((next - (p.start_rate * p.start_rate / 2.0).sqrt()).abs() < 1e-6);
    let top = [row(p.max_rate, StepOutcome::KeptUp)];
    assert_eq!(next_rate(&top, &p), None);
    assert_eq!(knee(&top.iter().collect::<Vec<_>>()), (Some(p.max_rate), None));
    // Doubling never passes the highest rate.
    let near = [row(p.max_rate * 0.75, StepOutcome::KeptUp)];
    assert_eq!(next_rate(&near, &p), Some(p.max_rate));
    // Generator-bound once: offered again; twice: over, and the knee is not claimed.
    let mut bound =
        vec![row(100.0, StepOutcome::KeptUp), row(200.0, StepOutcome::GeneratorBound("lag".into()))];
    assert_eq!(next_rate(&bound, &p), Some(200.0));
    bound.push(row(200.0, StepOutcome::GeneratorBound("lag".into())));
    assert_eq!(next_rate(&bound, &p), None);
    assert_eq!(knee(&bound.iter().collect::<Vec<_>>()), (Some(100.0), None));
    let text = super::render::table(&file_with(bound.clone(), vec![]));
    assert!(text.contains("kept up to 100/s; above it, the generator fell behind at 200/s"), "{text}");
    // Kept up on the second try: not the generator's limit.
    bound[2] = row(200.0, StepOutcome::KeptUp);
    assert_eq!(next_rate(&bound, &p), Some(400.0));
}

#[test]
fn the_default_plan_follows_the_cpus() {
    let two = Plan::default_for(&[0, 1], 10, 10, 0.003);
    assert_eq!((two.server_cpus.clone(), two.generator_cpus.clone()), (vec![0], vec![1]));
    assert_eq!(two.connections, CONNECTIONS_PER_CPU);
    assert!(two.structures.contains(&Structure::Async(2)) && two.structures.contains(&Structure::Async(1)));
    let sixteen: Vec<usize> = (0..16).collect();
    let big = Plan::default_for(&sixteen, 10, 10, 0.003);
    assert_eq!(big.server_cpus, vec![0, 1, 2, 3]);
    assert_eq!(big.generator_cpus.len(), 12);
    assert!(big.structures.contains(&Structure::Threads(4)) && big.structures.contains(&Structure::Async(4)));
    assert_eq!(big.connections, 4 * CONNECTIONS_PER_CPU);
    // The highest rate keeps C in flight at twice the unloaded latency; the first is 2^7 below.
    assert!((two.max_rate - 512.0 / (2.0 * 0.010003)).abs() < 1e-6);
    assert!((two.max_rate / two.start_rate - 128.0).abs() < 1e-9);
    // CPU-bound requests start below what the server's CPUs can hash: 10 ms each on one CPU, 25/s.
    let heavy = Plan::default_for(&[0, 1], 100_000, 10, 10.0);
    assert!((heavy.start_rate - 25.0).abs() < 1e-9, "{}", heavy.start_rate);
    assert!(heavy.start_rate < heavy.max_rate / 128.0);
    // The p99 bound: twice the work plus one scheduling period (6 ms on 1 CPU, 18 ms on 4).
    assert!((p99_bound_ms(10, 0.0, 1) - 26.0).abs() < 1e-9);
    assert!((p99_bound_ms(10, 0.0, 4) - 38.0).abs() < 1e-9);
    assert!((big.p99_bound_ms - p99_bound_ms(10, 0.003, 4)).abs() < 1e-9);
}

#[test]
fn a_thread_pool_that_left_connections_unserved_is_explained() {
    let p = plan();
    let mut m = measured(100.0, 10.5, 0.01);
    m.load.unanswered = 99;
    m.load.latency_ns.truncate(1);
    let rows = vec![step_row(Structure::Threads(1), &p, &m)];
    let file = ServerFile {
        command: vec![],
        machine: crate::machine::Machine::detect(),
        plan: Plan { structures: vec![Structure::Threads(1)], ..p },
        rows,
        idle: vec![],
        c4_pairs: vec![],
        c8: vec![],
        c7: vec![],
        c5: vec![],
        verdicts: vec![],
        notes: vec![],
    };
    let notes = super::analysis::notes(&file);
    assert!(notes.iter().any(|n| n.contains("threads/1 serves a connection to its end")), "{notes:?}");
    // The same with as many threads as connections says nothing of the kind.
    let mut wide = file.clone();
    wide.plan.connections = 1;
    assert!(super::analysis::notes(&wide).is_empty());
}

#[test]
fn the_idle_levels_are_one_then_eighths_to_c() {
    use super::idle::levels;
    assert_eq!(levels(10_000), vec![1, 1250, 2500, 5000, 10_000]);
    assert_eq!(levels(8), vec![1, 2, 3, 4, 8]);
    // Few connections: every level above the last, none above C.
    assert_eq!(levels(3), vec![1, 2, 3]);
    assert_eq!(levels(1), vec![1]);
}

#[test]
fn the_slope_and_its_interval_come_from_the_residuals() {
    use super::idle::slope;
    // Exact line: slope 2048 B per connection, a zero-width interval.
    let exact: Vec<(f64, f64)> = [1.0, 10.0, 20.0, 40.0].iter().map(|&c| (c, 5e6 + 2048.0 * c)).collect();
    let (b, lo, hi) = slope(&exact).unwrap();
    assert!((b - 2048.0).abs() < 1e-6 && (hi - lo).abs() < 1e-3, "{b} {lo} {hi}");
    // Noise widens it, and the interval holds the slope.
    let noisy = [(1.0, 100.0), (10.0, 230.0), (20.0, 390.0), (40.0, 800.0), (80.0, 1500.0)];
    let (b, lo, hi) = slope(&noisy).unwrap();
    assert!(lo < b && b < hi && hi - lo > 1.0, "{b} {lo} {hi}");
    // Student's t at 3 degrees of freedom (5 points), not the normal's 1.96.
    let n = noisy.len() as f64;
    let mx = noisy.iter().map(|p| p.0).sum::<f64>() / n;
    let sxx: f64 = noisy.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let a = noisy.iter().map(|p| p.1).sum::<f64>() / n - b * mx;
    let sse: f64 = noisy.iter().map(|p| (p.1 - a - b * p.0).powi(2)).sum();
    let se = (sse / (n - 2.0) / sxx).sqrt();
    assert!(((hi - b) / se - 3.182).abs() < 1e-9);
    // Two points, or no spread: no line.
    assert!(slope(&[(1.0, 1.0), (2.0, 2.0)]).is_none());
    assert!(slope(&[(5.0, 1.0), (5.0, 2.0), (5.0, 3.0)]).is_none());
}

#[test]
fn more_idle_connections_than_open_files_are_refused_by_name() {
    let usable = crate::workload::net::raise_fd_limit() as usize;
    let why = super::idle::refuse(Structure::Async(1), usable + 1).unwrap();
    assert!(why.contains("open files"), "{why}");
    assert!(super::idle::refuse(Structure::Async(1), 10).is_none());
}

fn file_with(rows: Vec<StepRow>, idle: Vec<super::idle::IdleRow>) -> ServerFile {
    ServerFile {
        command: vec!["cvp".into(), "server".into()],
        machine: crate::machine::Machine::detect(),
        plan: plan(),
        rows,
        idle,
        c4_pairs: vec![],
        c8: vec![],
        c7: vec![],
        c5: vec![],
        verdicts: vec![],
        notes: vec!["a note".into()],
    }
}

#[test]
fn the_sweep_section_has_its_steps_knees_plot_csv_and_file() {
    let saturated =
        StepRow { p99: Some(80.0), ..row(800.0, StepOutcome::Saturated("p99 80 ms > 26 ms".into())) };
    let bound = row(1600.0, StepOutcome::GeneratorBound("its mean lag 2 ms > 1 ms".into()));
    let rows = vec![row(200.0, StepOutcome::KeptUp), row(400.0, StepOutcome::KeptUp), saturated, bound];
    let file = file_with(rows, vec![]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.json");
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    let section = super::render::read_section(&path).unwrap();
    assert!(section.title.contains("constant-rate"), "{}", section.title);
    let names: Vec<&str> = section.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["server_p99.svg", "server.csv", "server.json"]);
    assert!(section.markdown.contains("| async/1 | 800 |"), "{}", section.markdown);
    assert!(
        section.markdown.contains("knee between 400/s (kept up) and 800/s (saturated)"),
        "{}",
        section.markdown
    );
    assert!(section.markdown.contains("- a note"));
    // The generator-bound step is in the table, never in the plot.
    let svg = String::from_utf8(section.files[0].1.clone()).unwrap();
    assert!(roxmltree::Document::parse(&svg).is_ok());
    assert_eq!(super::render::p99_plot(&file).unwrap(), svg);
    let mut without = file.clone();
    without.rows.pop();
    assert_eq!(super::render::p99_plot(&without).unwrap(), svg, "a generator-bound step changed the plot");
    // Not a server file: a clear error naming it.
    std::fs::write(&path, "{}").unwrap();
    let e = super::render::read_section(&path).unwrap_err().to_string();
    assert!(e.contains("not a `cvp server --format json` file"), "{e}");
}

#[test]
fn the_idle_section_has_its_table_and_memory_plot() {
    let idle = vec![super::idle::IdleRow {
        structure: Structure::Async(1),
        points: vec![(1, 6000, 5), (125, 6300, 5), (250, 6600, 5), (500, 7200, 5), (1000, 8400, 5)],
        bytes_per_connection: Some((2460.0, 2400.0, 2520.0)),
        stopped: None,
    }];
    let file = file_with(vec![], idle);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idle.json");
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    let section = super::render::read_section(&path).unwrap();
    assert!(section.title.contains("C10k"));
    let names: Vec<&str> = section.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["server_idle_memory.svg", "server_idle.json"]);
    assert!(section.markdown.contains("| async/1 | 2460 [2400 to 2520] |"), "{}", section.markdown);
    let svg = String::from_utf8(section.files[0].1.clone()).unwrap();
    assert!(svg.contains("2.4 KiB/conn"), "the legend names the slope");
}

#[test]
fn proc_samples_count_switches_cpu_and_children() {
    use super::sweep::{ProcSample, children, cpu_s, cpus_busy, sample, switches_between};
    let a = ProcSample { switches: vec![(1, 10, 1), (2, 5, 0)], ..ProcSample::default() };
    // Thread 1 went on, thread 2 ended (its count is gone with it), thread 3 was born in between.
    let b = ProcSample { switches: vec![(1, 14, 3), (3, 7, 2)], ..ProcSample::default() };
    assert_eq!(switches_between(&a, &b), (4 + 7, 2 + 2));
    // Busy ticks over total ticks, in CPUs.
    assert!((cpus_busy((100, 400), (250, 600), 2) - 1.5).abs() < 1e-9);
    assert_eq!(cpus_busy((1, 1), (1, 1), 2), 0.0);
    // This very process: CPU time, memory, threads; a child it starts is listed, and gone once reaped.
    let me = std::process::id();
    let s = sample(me);
    assert!(s.cpu_s > 0.0 && s.rss_kib > 0 && s.threads >= 1 && !s.switches.is_empty(), "{s:?}");
    assert!(cpu_s(me) >= s.cpu_s);
    let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
    assert!(children(me).contains(&child.id()));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!children(me).contains(&child.id()));
}

#[test]
fn a_knee_above_what_the_generator_could_offer_is_named_not_claimed() {
    let bound = vec![
        row(100.0, StepOutcome::KeptUp),
        row(200.0, StepOutcome::GeneratorBound("lag".into())),
        row(200.0, StepOutcome::GeneratorBound("lag".into())),
    ];
    let notes = super::analysis::notes(&file_with(bound.clone(), vec![]));
    assert!(
        notes.iter().any(|n| n.contains("async/1 (kept up at 100/s; the generator could not offer 200/s)")),
        "{notes:?}"
    );
    // Bound once, kept up on the second try: nothing to say.
    let mut once = bound;
    once[2] = row(200.0, StepOutcome::KeptUp);
    assert!(super::analysis::notes(&file_with(once, vec![])).is_empty());
}

/// A pair at 1000/s: async/1's step and async/2's, with their p50 latency (ms), CPU per request (us) and
/// voluntary switches per request.
fn pair(one: (f64, f64, f64), many: (f64, f64, f64)) -> [StepRow; 2] {
    let step = |s: Structure, (p50, cpu, sw): (f64, f64, f64)| StepRow {
        structure: s,
        server_cores_busy: 0.1,
        p50: Some(p50),
        cpu_us_per_request: Some(cpu),
        voluntary_per_request: Some(sw),
        involuntary_per_request: Some(0.0),
        ..row(1000.0, StepOutcome::KeptUp)
    };
    [step(Structure::AsyncMulti(1), one), step(Structure::Async(2), many)]
}

fn c4_of(pairs: Vec<[StepRow; 2]>) -> crate::claims::Verdict {
    let mut file = file_with(vec![row(2000.0, StepOutcome::KeptUp)], vec![]);
    file.c4_pairs = pairs;
    super::twins::c4(&file)
}

#[test]
fn c4_on_a_server_is_shown_not_shown_or_undecided() {
    use crate::claims::Outcome;
    // async/2: the same latency, 10-20% more CPU and switches per request, in every pair.
    let costly: Vec<[StepRow; 2]> =
        (0..6).map(|k| pair((10.3, 60.0, 1.5), (10.3 + 0.01 * k as f64, 66.0 + k as f64, 1.7))).collect();
    let v = c4_of(costly.clone());
    assert_eq!(v.verdict, Outcome::Shown, "{v:?}");
    assert!(v.statement.ends_with("(server: constant-rate load)"), "{}", v.statement);
    assert!(v.headline.contains("p50 async_multi/1 / async/2"), "{}", v.headline);
    // Faster: async/1's p50 1.2x async/2's in every pair.
    let faster: Vec<[StepRow; 2]> = (0..6).map(|_| pair((12.0, 60.0, 1.5), (10.0, 66.0, 1.7))).collect();
    assert_eq!(c4_of(faster).verdict, Outcome::NotShown);
    // Cheaper: async/2 costs less CPU per request in every pair.
    let cheaper: Vec<[StepRow; 2]> = (0..6).map(|_| pair((10.3, 60.0, 1.5), (10.3, 50.0, 1.7))).collect();
    assert_eq!(c4_of(cheaper).verdict, Outcome::NotShown);
    // Noise: CPU ratios on both sides of 1 leave it undecided.
    let mixed: Vec<[StepRow; 2]> =
        (0..6).map(|k| pair((10.3, 60.0, 1.5), (10.3, if k % 2 == 0 { 55.0 } else { 65.0 }, 1.7))).collect();
    assert_eq!(c4_of(mixed).verdict, Outcome::CannotBeShown);
    // Five usable pairs: no interval.
    let mut five = costly.clone();
    five[0][1].outcome = StepOutcome::Saturated("p99 30 ms > 26 ms".into());
    let v = c4_of(five);
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("5 of 6 pairs"), "{}", v.evidence);
    // No pairs.
    assert_eq!(c4_of(vec![]).verdict, Outcome::CannotBeShown);
    // Pairs stored the other way round are read by structure: the same verdict.
    let swapped: Vec<[StepRow; 2]> = costly.iter().map(|[a, b]| [b.clone(), a.clone()]).collect();
    assert_eq!(c4_of(swapped).verdict, Outcome::Shown);
    let swapped_faster: Vec<[StepRow; 2]> =
        (0..6).map(|_| pair((12.0, 60.0, 1.5), (10.0, 66.0, 1.7))).map(|[a, b]| [b, a]).collect();
    assert_eq!(c4_of(swapped_faster).verdict, Outcome::NotShown);
    // async/1 busier than 0.25 cores: not the claim's mostly waiting loop, whatever the ratios.
    let busy: Vec<[StepRow; 2]> =
        costly.iter().map(|[a, b]| [StepRow { server_cores_busy: 0.3, ..a.clone() }, b.clone()]).collect();
    let v = c4_of(busy);
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("not mostly"), "{}", v.evidence);
    // The evidence says how much async/N could gain at most: p50 10.3 ms over a 10 ms wait.
    assert!(c4_of(costly).evidence.contains("more than 1.03x"), "the control's bound");
}

#[test]
fn c4_is_said_only_where_it_was_measured() {
    // A sweep without async/N: no C4 line at all.
    let mut file = file_with(vec![row(2000.0, StepOutcome::KeptUp)], vec![]);
    file.plan.structures = vec![Structure::Async(1), Structure::Threads(1)];
    assert!(super::twins::verdicts(&file).is_empty());
    // With async/N in the sweep and both keeping up somewhere, it is said (here: no pairs, cannot).
    let mut both = file_with(
        vec![
            StepRow { server_cores_busy: 0.1, ..row(2000.0, StepOutcome::KeptUp) },
            StepRow { structure: Structure::Async(2), ..row(2000.0, StepOutcome::KeptUp) },
        ],
        vec![],
    );
    both.c4_pairs.clear();
    assert_eq!(super::twins::verdicts(&both).len(), 1);
}

#[test]
fn settle_waits_for_the_process_to_go_idle() {
    // This process burns a CPU for 300 ms on a thread: settle returns only once that is over.
    let start = std::time::Instant::now();
    let burner = std::thread::spawn(|| {
        let t = std::time::Instant::now();
        let mut x = 0u64;
        while t.elapsed() < std::time::Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        x
    });
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(super::sweep::settle(std::process::id()));
    assert!(start.elapsed() >= std::time::Duration::from_millis(250), "settled while the thread burned");
    burner.join().unwrap();
}

#[test]
fn c4s_rate_is_half_the_lower_last_rate_both_kept_up_with() {
    let step = |s: Structure, rate: f64, o: StepOutcome| StepRow {
        structure: s,
        server_cores_busy: 0.1,
        ..row(rate, o)
    };
    let rows = vec![
        step(Structure::Async(1), 1000.0, StepOutcome::KeptUp),
        step(Structure::Async(1), 2000.0, StepOutcome::KeptUp),
        step(Structure::Async(1), 4000.0, StepOutcome::GeneratorBound("lag".into())),
        step(Structure::Async(2), 1000.0, StepOutcome::KeptUp),
        step(Structure::Async(2), 2000.0, StepOutcome::Saturated("p99".into())),
        step(Structure::Async(2), 2000.0, StepOutcome::Saturated("p99".into())),
    ];
    let file = file_with(rows.clone(), vec![]);
    assert_eq!(super::twins::c4_rate(&file), Some((500.0, 2)));
    // No higher than where async/1 kept at most 0.2 cores busy: at 2000/s it kept 0.3 (row's default),
    // at 1000/s 0.15.
    let mut busy = rows.clone();
    for r in busy.iter_mut().filter(|r| r.structure == Structure::Async(1)) {
        r.server_cores_busy = if r.offered < 1500.0 { 0.15 } else { 0.3 };
    }
    let mut wide = busy.clone();
    for r in wide.iter_mut().filter(|r| r.structure == Structure::Async(2)) {
        r.outcome = StepOutcome::KeptUp;
    }
    wide.push(StepRow {
        structure: Structure::Async(1),
        server_cores_busy: 0.5,
        ..row(4000.0, StepOutcome::KeptUp)
    });
    wide.push(StepRow { structure: Structure::Async(2), ..row(4000.0, StepOutcome::KeptUp) });
    // Half the lower knee would be 2000/s; async/1 was idle enough only up to 1000/s.
    assert_eq!(super::twins::c4_rate(&file_with(wide, vec![])), Some((1000.0, 2)));
    // Never that idle: no pairs.
    for r in busy.iter_mut().filter(|r| r.structure == Structure::Async(1)) {
        r.server_cores_busy = 0.3;
    }
    assert_eq!(super::twins::c4_rate(&file_with(busy, vec![])), None);
    // Without async/N, or with a structure that kept up with nothing: no pairs.
    let mut one_only = file.clone();
    one_only.plan.structures.retain(|s| *s != Structure::Async(2));
    assert_eq!(super::twins::c4_rate(&one_only), None);
    let never = file_with(
        rows.into_iter().filter(|r| r.structure != Structure::Async(2) || r.offered > 1500.0).collect(),
        vec![],
    );
    assert_eq!(super::twins::c4_rate(&never), None);
}

#[test]
fn a_replys_length_is_read_from_its_header_or_refused() {
    use super::http::content_length;
    let mut headers = [httparse::EMPTY_HEADER; 4];
    let mut r = httparse::Response::new(&mut headers);
    r.parse(b"HTTP/1.1 200 OK\r\ncontent-LENGTH:  65 \r\n\r\n").unwrap();
    assert_eq!(content_length(r.headers), Ok(65));
    let mut headers = [httparse::EMPTY_HEADER; 4];
    let mut r = httparse::Response::new(&mut headers);
    r.parse(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").unwrap();
    assert!(content_length(r.headers).unwrap_err().contains("Content-Length"));
}

/// An idle row of `structure` with `bytes` per connection (its 95% interval +-2%).
fn idle_of(structure: Structure, bytes: f64) -> super::idle::IdleRow {
    super::idle::IdleRow {
        structure,
        points: vec![(1, 8000, 5), (10_000, 8000 + (bytes * 10_000.0 / 1024.0) as u64, 5)],
        bytes_per_connection: Some((bytes, 0.98 * bytes, 1.02 * bytes)),
        stopped: None,
    }
}

/// C8's pairs with `connections` open: thread_per_connection's step and async/1's, with their p50 (ms) and
/// switches per request.
fn c8_set(connections: usize, tpc: (f64, f64), one: (f64, f64), k: usize) -> super::PairsAt {
    let step = |s: Structure, (p50, sw): (f64, f64)| StepRow {
        structure: s,
        p50: Some(p50),
        voluntary_per_request: Some(sw),
        involuntary_per_request: Some(0.0),
        ..row(200.0, StepOutcome::KeptUp)
    };
    let pairs = (0..k)
        .map(|i| {
            let jitter = 0.01 * i as f64;
            [
                step(Structure::ThreadPerConnection, (tpc.0 + jitter, tpc.1 + jitter)),
                step(Structure::Async(1), one),
            ]
        })
        .collect();
    super::PairsAt { connections, pairs }
}

fn c8_of(tpc_bytes: f64, sets: Vec<super::PairsAt>) -> crate::claims::Verdict {
    let idle = vec![idle_of(Structure::ThreadPerConnection, tpc_bytes), idle_of(Structure::Async(1), 2300.0)];
    let mut file = file_with(vec![], idle);
    file.plan.connections = 10_000;
    file.c8 = sets;
    super::twins::c8(&file)
}

#[test]
fn c8_on_a_server_is_shown_not_shown_or_undecided() {
    use crate::claims::Outcome;
    let both =
        |tpc: (f64, f64), one: (f64, f64)| vec![c8_set(1000, tpc, one, 6), c8_set(10_000, tpc, one, 6)];
    // 8x the memory, 2.4 switches per request against 1.1, the same latency: shown.
    let v = c8_of(18_700.0, both((10.4, 2.4), (10.4, 1.1)));
    assert_eq!(v.verdict, Outcome::Shown, "{v:?}");
    assert!(v.statement.ends_with("(server: constant-rate load)"), "{}", v.statement);
    assert!(v.evidence.contains("at 10000 connections"), "{}", v.evidence);
    // 4x the memory (under 5x over the intervals): not shown.
    assert_eq!(c8_of(9_200.0, both((10.4, 2.4), (10.4, 1.1))).verdict, Outcome::NotShown);
    // Fewer switches than async/1: not shown.
    assert_eq!(c8_of(18_700.0, both((10.4, 1.0), (10.4, 1.1))).verdict, Outcome::NotShown);
    // Faster: async/1's p50 1.2x thread_per_connection's: not shown.
    assert_eq!(c8_of(18_700.0, both((10.0, 2.4), (12.0, 1.1))).verdict, Outcome::NotShown);
    // Switches on both sides of async/1's: undecided.
    let mut noisy = both((10.4, 2.4), (10.4, 1.1));
    for (i, p) in noisy[1].pairs.iter_mut().enumerate() {
        p[0].voluntary_per_request = Some(if i % 2 == 0 { 1.0 } else { 1.2 });
    }
    assert_eq!(c8_of(18_700.0, noisy).verdict, Outcome::CannotBeShown);
    // Five pairs kept up with 10,000 connections: no interval.
    let mut five = both((10.4, 2.4), (10.4, 1.1));
    five[1].pairs[2][1].outcome = StepOutcome::Saturated("p99 30 ms > 26 ms".into());
    let v = c8_of(18_700.0, five);
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("with 10000 connections, 5 of 6 pairs"), "{}", v.evidence);
    // No pairs, or no idle row of async/1: undecided.
    assert_eq!(c8_of(18_700.0, vec![]).verdict, Outcome::CannotBeShown);
    let mut one_row = file_with(vec![], vec![idle_of(Structure::ThreadPerConnection, 18_700.0)]);
    one_row.plan.connections = 10_000;
    one_row.c8 = both((10.4, 2.4), (10.4, 1.1));
    assert_eq!(super::twins::c8(&one_row).verdict, Outcome::CannotBeShown);
    // Pairs with 1,000 connections only (10,000 refused or failed): undecided, naming what is missing.
    let v = c8_of(18_700.0, vec![c8_set(1000, (10.4, 2.4), (10.4, 1.1), 6)]);
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("no pairs with 10000 connections"), "{}", v.evidence);
    // ... but a part that fails decides, whatever is missing: 4x the memory and no pairs is not shown.
    assert_eq!(c8_of(9_200.0, vec![]).verdict, Outcome::NotShown);
    // A slope whose interval reaches 0 gives no ratio: undecided.
    let mut flat = file_with(
        vec![],
        vec![idle_of(Structure::ThreadPerConnection, 18_700.0), idle_of(Structure::Async(1), 2300.0)],
    );
    flat.plan.connections = 10_000;
    flat.idle[1].bytes_per_connection = Some((30.0, -20.0, 80.0));
    flat.c8 = both((10.4, 2.4), (10.4, 1.1));
    assert_eq!(super::twins::c8(&flat).verdict, Outcome::CannotBeShown);
    // Pairs stored the other way round are read by structure.
    let mut swapped = both((10.0, 2.4), (12.0, 1.1));
    for set in &mut swapped {
        for p in &mut set.pairs {
            p.swap(0, 1);
        }
    }
    assert_eq!(c8_of(18_700.0, swapped).verdict, Outcome::NotShown);
}

#[test]
fn c8s_pairs_run_at_a_tenth_of_c_and_at_c_at_a_light_rate() {
    use super::twins::{c8_levels, c8_rate};
    assert_eq!(c8_levels(10_000), vec![1000, 10_000]);
    assert_eq!(c8_levels(5), vec![5]);
    // Each of 10,000 connections a request in flight 1/256 of the time at 10 ms (and 0.01 ms of hashing).
    let p = Plan { connections: 10_000, wait_ms: 10, hash_ms: 0.01, ..plan() };
    assert!((c8_rate(&p) - 10_000.0 / 256.0 / 0.01001).abs() < 1e-6, "{}", c8_rate(&p));
    // C8 is said where its idle rows were measured, and not for a sweep without them.
    let idle = vec![idle_of(Structure::ThreadPerConnection, 18_700.0), idle_of(Structure::Async(1), 2300.0)];
    let ids = |f: &ServerFile| super::twins::verdicts(f).iter().map(|v| v.claim.clone()).collect::<Vec<_>>();
    assert!(ids(&file_with(vec![], idle)).contains(&"C8".to_string()));
    assert!(!ids(&file_with(vec![row(100.0, StepOutcome::KeptUp)], vec![])).contains(&"C8".to_string()));
}

/// C7's mix steps of `structure`: `k` kept up, each with light p50 10.5 ms and light p99 10.5 + `excess`
/// heavy jobs of 40 ms (a little spread).
fn mix_steps(structure: Structure, excess: f64, k: usize) -> Vec<StepRow> {
    (0..k)
        .map(|i| StepRow {
            structure,
            light_p50: Some(10.5),
            light_p99: Some(10.5 + 40.0 * (excess + 0.01 * i as f64)),
            light_counted: 200,
            ..row(100.0, StepOutcome::KeptUp)
        })
        .collect()
}

fn c7_of(steps: Vec<Vec<StepRow>>) -> crate::claims::Verdict {
    let mut file = file_with(vec![], vec![]);
    file.plan.heavy_ms = 40.0;
    file.c7 = steps.into_iter().flatten().collect();
    super::twins::c7(&file)
}

#[test]
fn c7_on_a_server_is_shown_not_shown_or_undecided() {
    use crate::claims::Outcome;
    let (one, offload, tpc) =
        (Structure::Async(1), Structure::AsyncOffload(2), Structure::ThreadPerConnection);
    // async/1's light p99 a whole job above its p50, the others a tenth: shown.
    let v = c7_of(vec![mix_steps(one, 0.95, 6), mix_steps(offload, 0.1, 6), mix_steps(tpc, 0.1, 6)]);
    assert_eq!(v.verdict, Outcome::Shown, "{v:?}");
    assert!(v.statement.ends_with("(server: constant-rate load)"), "{}", v.statement);
    // async/1 not blocked (0.3 job): not shown.
    assert_eq!(c7_of(vec![mix_steps(one, 0.3, 6), mix_steps(tpc, 0.1, 6)]).verdict, Outcome::NotShown);
    // The offload stalls as well (a pool of one): not shown.
    assert_eq!(c7_of(vec![mix_steps(one, 0.95, 6), mix_steps(offload, 0.6, 6)]).verdict, Outcome::NotShown);
    // An interval across the bound: undecided.
    let mut wide = mix_steps(tpc, 0.1, 6);
    for r in wide.iter_mut().skip(3) {
        r.light_p99 = Some(10.5 + 40.0 * 0.4);
    }
    assert_eq!(c7_of(vec![mix_steps(one, 0.95, 6), wide]).verdict, Outcome::CannotBeShown);
    // A responsive structure's step that did not keep up counts as over the bound, never dropped: one of
    // 6 leaves the interval across it (undecided), eight of 9 put the whole interval above it (not shown).
    let mut late = mix_steps(tpc, 0.1, 6);
    late[0].outcome = StepOutcome::Saturated("p99 200 ms > 108 ms".into());
    let v = c7_of(vec![mix_steps(one, 0.95, 6), late]);
    assert_eq!(v.verdict, Outcome::CannotBeShown, "{v:?}");
    assert!(v.evidence.contains("(1 did not keep up)"), "{}", v.evidence);
    let mut stalls = mix_steps(tpc, 0.1, 9);
    for r in stalls.iter_mut().take(8) {
        r.outcome = StepOutcome::Saturated("3 of 200 unanswered".into());
    }
    assert_eq!(c7_of(vec![mix_steps(one, 0.95, 6), stalls]).verdict, Outcome::NotShown);
    // async/1's steps count only where it kept up: five of them give no interval.
    let mut five = mix_steps(one, 0.95, 6);
    five[0].outcome = StepOutcome::Saturated("p99 200 ms > 108 ms".into());
    let v = c7_of(vec![five, mix_steps(tpc, 0.1, 6)]);
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("5 of 6 mix steps"), "{}", v.evidence);
    // Generator-bound steps are the generator's: left out on either side.
    let mut bound = mix_steps(tpc, 0.1, 7);
    bound[0].outcome = StepOutcome::GeneratorBound("lag".into());
    assert_eq!(c7_of(vec![mix_steps(one, 0.95, 6), bound]).verdict, Outcome::Shown);
    // A step of fewer than 200 light requests (a file from before the rule) does not count.
    let short: Vec<StepRow> =
        mix_steps(one, 0.95, 6).into_iter().map(|r| StepRow { light_counted: 95, ..r }).collect();
    assert_eq!(c7_of(vec![short, mix_steps(tpc, 0.1, 6)]).verdict, Outcome::CannotBeShown);
    // async/1's step that kept up without light percentiles is missing, never evidence of a stall.
    let mut blank = mix_steps(one, 0.95, 6);
    blank[0].light_p99 = None;
    let v = c7_of(vec![blank, mix_steps(tpc, 0.1, 6)]);
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("5 of 6 mix steps"), "{}", v.evidence);
    // async/1 not blocked decides even where a responsive structure could not be judged, and the evidence
    // names what was not measured.
    let v = c7_of(vec![mix_steps(one, 0.3, 6), mix_steps(tpc, 0.1, 3)]);
    assert_eq!(v.verdict, Outcome::NotShown);
    assert!(v.evidence.contains("Not measured: thread_per_connection: 3 of 3"), "{}", v.evidence);
    // Only one side measured: undecided.
    assert_eq!(c7_of(vec![mix_steps(one, 0.95, 6)]).verdict, Outcome::CannotBeShown);
    assert_eq!(c7_of(vec![mix_steps(tpc, 0.1, 6)]).verdict, Outcome::CannotBeShown);
}

#[test]
fn c7s_mix_runs_where_one_loop_hashes_a_quarter_of_the_time() {
    let (mix, rate) = super::twins::c7_plan(&plan(), 700_000, 40.0);
    // 1 in 16 heavy at 100/s: 6.25 heavy jobs of 40 ms a second, a quarter of one loop's time.
    assert!((rate - 100.0).abs() < 1e-9, "{rate}");
    assert_eq!((mix.heavy_rounds, mix.heavy_ms), (700_000, 40.0));
    // A light request may wait one heavy job behind a loop that hashes: the bound counts the job.
    assert!((mix.p99_bound_ms - p99_bound_ms(10, 40.0, 1)).abs() < 1e-9);
    // Windows of at least 200 light requests whatever their phase: 216 requests at 100/s.
    assert!((mix.window_s - 2.16).abs() < 1e-9, "{}", mix.window_s);
    for n in [214u64, 215, 216] {
        assert!(n - n.div_ceil(16) >= 200, "{n} requests hold 200 light ones");
    }
    assert!(super::load::is_heavy(15) && super::load::is_heavy(31) && !super::load::is_heavy(16));
}

/// A C5 sweep of `async_multi/n` whose knee lies between `lo` (kept up) and `hi` (saturated), narrowed
/// to that bracket, with `busy` cores busy at every step; CPU-bound requests of 2 ms or waits of 10 ms
/// over 16 connections (a ceiling of 1,600/s).
fn c5_sweep(half: super::Half, n: usize, lo: f64, hi: f64, busy: f64) -> super::CoresSweep {
    let structure = Structure::AsyncMulti(n);
    let step = |rate: f64, outcome: StepOutcome| StepRow {
        structure,
        server_cores_busy: busy,
        ..row(rate, outcome)
    };
    let hashing = half == super::Half::Hashing;
    super::CoresSweep {
        half,
        structure,
        cores: 2,
        connections: if hashing { 1024 } else { 16 },
        rounds: if hashing { 34_000 } else { 10 },
        wait_ms: if hashing { 0 } else { 10 },
        hash_ms: if hashing { 2.0 } else { 0.0 },
        p99_bound_ms: 16.0,
        start_rate: lo / 2.0,
        max_rate: 1e6,
        resolution: hi / lo,
        rows: vec![
            step(lo / 2.0, StepOutcome::KeptUp),
            step(lo, StepOutcome::KeptUp),
            step(hi, StepOutcome::Saturated("3 of 900 unanswered".into())),
        ],
    }
}

/// A C5 file on 2 server CPUs (2 cores) from knees `(lo, hi)`: the CPU-bound ones of N = 1, 2, 4
/// (async_multi/1 `cpu` cores busy) and the waiting ones of N = 1, 2 (async_multi/1 `busy` cores busy).
fn c5_file(hashing: [(f64, f64); 3], cpu: f64, waiting: [(f64, f64); 2], busy: f64) -> ServerFile {
    use super::Half;
    let mut file = file_with(vec![], vec![]);
    file.plan.server_cpus = vec![0, 1];
    file.plan.generator_cpus = vec![0, 1];
    for (n, (lo, hi)) in [1, 2, 4].into_iter().zip(hashing) {
        file.c5.push(c5_sweep(Half::Hashing, n, lo, hi, if n == 1 { cpu } else { 1.9 }));
    }
    for (n, (lo, hi)) in [1, 2].into_iter().zip(waiting) {
        file.c5.push(c5_sweep(Half::Waiting, n, lo, hi, busy));
    }
    file
}

/// [`c5_file`]'s verdict, async_multi/1 CPU-bound at its CPU-bound knee (1.0 cores busy).
fn c5_of(hashing: [(f64, f64); 3], waiting: [(f64, f64); 2], busy: f64) -> crate::claims::Verdict {
    super::twins::c5(&c5_file(hashing, 1.0, waiting, busy))
}

#[test]
fn c5_on_a_server_is_shown_not_shown_or_undecided() {
    use crate::claims::Outcome;
    let cpu = [(470.0, 480.0), (930.0, 950.0), (935.0, 955.0)];
    let wait = [(1510.0, 1540.0), (1515.0, 1545.0)];
    // CPU-bound knees double from 1 to 2 workers on 2 cores and stop there; waiting ones reach the
    // ceiling of 16 connections / 10 ms with one worker and stay: shown.
    let v = c5_of(cpu, wait, 0.15);
    assert_eq!(v.verdict, Outcome::Shown, "{v:?}");
    assert!(v.statement.ends_with("(server: constant-rate load)"), "{}", v.statement);
    assert!(v.evidence.contains("ceiling 1600/s (16 connections / 10 ms)"), "{}", v.evidence);
    crate::claims::tests::assert_headline(&v);
    // CPU-bound knees that do not grow (a server that hashes on one thread whatever N): not shown.
    let v = c5_of([(470.0, 480.0), (480.0, 490.0), (480.0, 490.0)], wait, 0.15);
    assert_eq!(v.verdict, Outcome::NotShown, "{v:?}");
    // Growing past the cores (a measuring error: 4 workers cannot hash on 2 cores twice as fast): not shown.
    let v = c5_of([cpu[0], cpu[1], (1800.0, 1840.0)], wait, 0.15);
    assert_eq!(v.verdict, Outcome::NotShown, "{v:?}");
    // Waiting requests whose knee grows with the workers (one worker short of the ceiling, two at it):
    // not shown, on both checks. (Past the ceiling no knee can grow: that is a failed measurement, below.)
    let v = c5_of(cpu, [(1000.0, 1025.0), (1510.0, 1540.0)], 0.15);
    assert_eq!(v.verdict, Outcome::NotShown, "{v:?}");
    assert!(v.evidence.contains("waiting knee N=2 / N=1 1.51x"), "{}", v.evidence);
    // One worker far below what the waits allow (the server, not the waits, binds): not shown.
    let v = c5_of(cpu, [(900.0, 920.0), (905.0, 925.0)], 0.15);
    assert_eq!(v.verdict, Outcome::NotShown, "{v:?}");
    assert!(
        v.evidence
            .contains("ceiling 1600/s (16 connections / 10 ms) / knee N=1 1.76x (brackets 1.74x to 1.78x)"),
        "{}",
        v.evidence
    );
    // A knee kept up above what the connections carry is a failed measurement, never a ratio.
    let v = c5_of(cpu, [(1700.0, 1740.0), (1515.0, 1545.0)], 0.15);
    assert_eq!(v.verdict, Outcome::CannotBeShown, "{v:?}");
    assert!(v.evidence.contains("async_multi/1 kept up at 1700/s, above the 1600/s"), "{}", v.evidence);
    // The CPU-bound condition is read from the steps at the knee alone, the strict one of them: a busy
    // step below the knee or at the saturated rate does not make async_multi/1 CPU-bound.
    let mut file = c5_file(cpu, 0.5, wait, 0.15);
    file.c5[0].rows[0].server_cores_busy = 1.0;
    file.c5[0].rows[2].server_cores_busy = 1.0;
    let mut again = file.c5[0].rows[1].clone();
    again.server_cores_busy = 0.95;
    file.c5[0].rows.push(again);
    let v = super::twins::c5(&file);
    assert!(v.evidence.contains("kept 0.50 cores busy at its knee, not >= 0.9"), "{}", v.evidence);
    // A growth whose bracket spans the threshold (1.5 x): undecided.
    let v = c5_of([(470.0, 560.0), (760.0, 800.0), (765.0, 805.0)], wait, 0.15);
    assert_eq!(v.verdict, Outcome::CannotBeShown, "{v:?}");
    assert!(v.evidence.contains("inside the knees' brackets (the rate grid"), "{}", v.evidence);
    // A waiting server busy at its knee is not mostly waiting, the claim's condition: that half is not
    // judged, even where its knee grows (requests that do not wait may scale).
    let v = c5_of(cpu, [(1000.0, 1025.0), (1510.0, 1540.0)], 0.4);
    assert_eq!(v.verdict, Outcome::CannotBeShown, "{v:?}");
    assert!(v.evidence.contains("not mostly waiting"), "{}", v.evidence);
    // A CPU-bound half whose one worker is not CPU-bound at its knee is not judged either.
    let v = super::twins::c5(&c5_file([(470.0, 480.0), (480.0, 490.0), (480.0, 490.0)], 0.5, wait, 0.15));
    assert_eq!(v.verdict, Outcome::CannotBeShown, "{v:?}");
    assert!(v.evidence.contains("not CPU-bound"), "{}", v.evidence);
    // ... but a failed check of the other half still decides.
    let v = c5_of([(470.0, 480.0), (480.0, 490.0), (480.0, 490.0)], wait, 0.4);
    assert_eq!(v.verdict, Outcome::NotShown, "{v:?}");
    // A bracket the generator stopped before it was narrowed, or wider than its resolution, is named,
    // never a ratio.
    let mut file = c5_file(cpu, 1.0, wait, 0.15);
    file.c5[1].rows.push(row(940.0, StepOutcome::GeneratorBound("its mean lag 2 ms > 1 ms".into())));
    file.c5[1].rows.iter_mut().for_each(|r| r.structure = Structure::AsyncMulti(2));
    let v = super::twins::c5(&file);
    assert_eq!(v.verdict, Outcome::CannotBeShown, "{v:?}");
    assert!(v.evidence.contains("the generator fell behind at 940/s"), "{}", v.evidence);
    let mut file = c5_file(cpu, 1.0, wait, 0.15);
    file.c5[1].resolution = 1.01;
    let v = super::twins::c5(&file);
    assert_eq!(v.verdict, Outcome::CannotBeShown, "{v:?}");
    assert!(v.evidence.contains("was not narrowed to its resolution"), "{}", v.evidence);
    // A knee not found (kept up to the highest rate offered) and a sweep missing are named.
    let mut file = c5_file(cpu, 1.0, wait, 0.15);
    file.c5[1].rows.pop();
    file.c5.remove(2);
    let v = super::twins::c5(&file);
    assert_eq!(v.verdict, Outcome::CannotBeShown, "{v:?}");
    assert!(v.evidence.contains("async_multi/2 kept up to 930/s, the highest rate"), "{}", v.evidence);
    assert!(v.evidence.contains("no sweep of async_multi/4"), "{}", v.evidence);
    // One physical core among the server's CPUs: growth with cores cannot be shown.
    file.c5.iter_mut().for_each(|w| w.cores = 1);
    let v = super::twins::c5(&file);
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("1 physical core"), "{}", v.evidence);
}

#[test]
fn c5s_sweeps_follow_the_server_cores() {
    use super::Half;
    use super::cores::{placement, plan_for, workers};
    // 2 cores: 1, 2 and 4 workers hash; 1 and 2 wait. 4 CPUs of 2 cores (SMT): 1, 2, 4, 8.
    assert_eq!(workers(Half::Hashing, 2, 2), vec![1, 2, 4]);
    assert_eq!(workers(Half::Waiting, 2, 2), vec![1, 2]);
    assert_eq!(workers(Half::Hashing, 2, 4), vec![1, 2, 4, 8]);
    assert_eq!(workers(Half::Hashing, 4, 4), vec![1, 4, 8]);
    // A server of one CPU (2 cores here: the first quarter) runs on every CPU, shared with the generator;
    // a server of 2 cores keeps its own, apart from the generator's.
    let two = Plan::default_for(&[0, 1], 10, 10, 0.003);
    assert_eq!(placement(&two, &[0, 1], |c| c.len()), (vec![0, 1], vec![0, 1], true));
    let one = Plan::default_for(&[0], 10, 10, 0.003);
    assert_eq!(placement(&one, &[0], |c| c.len()), (vec![0], vec![0], true));
    let mut apart = two.clone();
    apart.server_cpus = vec![0, 1];
    apart.generator_cpus = vec![2, 3, 4, 5, 6, 7];
    let all: Vec<usize> = (0..8).collect();
    assert_eq!(placement(&apart, &all, |c| c.len()), (vec![0, 1], vec![2, 3, 4, 5, 6, 7], false));
    // Two CPUs of one core (SMT siblings) are one core: shared, on every CPU.
    assert_eq!(placement(&apart, &all, |_| 1), (all.clone(), all.clone(), true));
    // Hashing: no wait, 64 connections per server CPU, rates from a quarter of what min(N, S) cores hash,
    // knees to 2.5%.
    let mut base = two.clone();
    base.server_cpus = vec![0, 1];
    let p = plan_for(&base, Half::Hashing, 4, 9000, 2.0);
    assert_eq!((p.wait_ms, p.rounds, p.structures.clone()), (0, 9000, vec![Structure::AsyncMulti(4)]));
    assert!((p.start_rate - 250.0).abs() < 1e-9, "{}", p.start_rate);
    // The highest rate keeps C = 2 x 64 connections busy at twice a request's 2 ms.
    assert_eq!(p.connections, 128);
    assert!((p.max_rate - 128.0 / 0.004).abs() < 1e-6, "{}", p.max_rate);
    assert_eq!(p.resolution, crate::claims::C5_SERVER_RESOLUTION);
    // Waiting: 16 connections carry 16 / 10 ms = 1,600/s; rates from an eighth of it to 4 times it.
    let w = plan_for(&base, Half::Waiting, 2, 9000, 0.0);
    assert_eq!((w.wait_ms, w.rounds, w.connections), (10, 10, 16));
    assert!((w.start_rate - 200.0).abs() < 1e-9 && (w.max_rate - 6400.0).abs() < 1e-9, "{w:?}");
    // Other waits keep the ceiling: 2 connections at 1 ms, 1,600 at 1 s.
    for (wait, c) in [(1, 2), (1000, 1600)] {
        let b = Plan { wait_ms: wait, ..base.clone() };
        assert_eq!(plan_for(&b, Half::Waiting, 1, 9000, 0.0).connections, c, "{wait} ms");
    }
}

#[test]
fn the_cores_section_has_its_knees_plot_and_file() {
    use super::Half;
    let mut file = file_with(vec![], vec![]);
    file.plan.server_cpus = vec![0, 1];
    for (n, lo) in [(1, 470.0), (2, 930.0), (4, 935.0)] {
        file.c5.push(c5_sweep(Half::Hashing, n, lo, lo * 1.02, 1.0));
    }
    for n in [1, 2] {
        file.c5.push(c5_sweep(Half::Waiting, n, 1500.0, 1570.0, 0.15));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cores.json");
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    let section = super::render::read_section(&path).unwrap();
    assert!(section.title.contains("C5"), "{}", section.title);
    let names: Vec<&str> = section.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["server_cores_knees.svg", "server_cores.csv", "server_cores.json"]);
    assert!(
        section
            .markdown
            .contains("- CPU-bound requests, async_multi/2: knee between 930/s (kept up) and 949/s"),
        "{}",
        section.markdown
    );
    assert_eq!(section.verdicts.len(), 1);
    assert_eq!(section.verdicts[0].claim, "C5");
    let svg = String::from_utf8(section.files[0].1.clone()).unwrap();
    assert!(roxmltree::Document::parse(&svg).is_ok());
    assert!(svg.contains("waiting requests") && svg.contains("up to the cores"));
    let csv = String::from_utf8(section.files[1].1.clone()).unwrap();
    assert_eq!(csv.lines().filter(|l| l.contains(",C5 CPU-bound requests,")).count(), 9, "{csv}");
    let table = super::render::table(&file);
    assert!(table.contains("C5, waiting requests: async_multi/2"), "{table}");
}
