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
