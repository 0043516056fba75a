//! The service, the requests and the parent's handle, in this process.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use super::server::parse_listening;
use super::*;

/// The service on a thread of this process (the tests' own binary cannot be started as it).
fn in_process(
    wait: Duration,
) -> (Target, tokio::sync::oneshot::Sender<()>, std::thread::JoinHandle<ServeReport>) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        serve(ServeOptions::new(wait), |t| ready_tx.send(t).unwrap(), async move {
            let _ = rx.await;
        })
        .unwrap()
    });
    (ready_rx.recv().unwrap(), tx, handle)
}

#[test]
fn replies_are_sha256_of_the_seed_on_every_address_blocking_and_async() {
    let (target, stop, handle) = in_process(Duration::from_millis(1));
    assert_eq!(target.spread, DEFAULT_SPREAD);
    for seed in 0..10 {
        assert_eq!(request_blocking(target, seed, Duration::ZERO).unwrap(), expected_reply(seed));
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for seed in 10..20 {
        assert_eq!(rt.block_on(request_async(target, seed, Duration::ZERO)).unwrap(), expected_reply(seed));
    }
    stop.send(()).unwrap();
    let report = handle.join().unwrap();
    assert_eq!((report.served, report.malformed), (20, 0));
}

#[test]
fn malformed_requests_are_closed_without_a_reply() {
    let (target, stop, handle) = in_process(Duration::ZERO);
    let addr = target.addr(0);
    for request in [&b"1234"[..], &b"123456789"[..], &b""[..]] {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(request).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut got = Vec::new();
        // Closed without a reply: end of stream (or a reset, when unread bytes were left) and no bytes.
        let _ = s.read_to_end(&mut got);
        assert!(got.is_empty(), "{request:?} got {} bytes back", got.len());
    }
    // A well-formed request still gets its answer afterwards.
    assert_eq!(request_blocking(target, 5, Duration::ZERO).unwrap(), expected_reply(5));
    stop.send(()).unwrap();
    let report = handle.join().unwrap();
    assert_eq!((report.served, report.malformed), (1, 3));
}

#[test]
fn a_wrong_or_short_reply_names_the_job() {
    let target = Target { base: Ipv4Addr::LOCALHOST, port: 1, spread: 1 };
    let err = check(7, target, expected_reply(8), expected_reply(7)).unwrap_err();
    assert!(err.to_string().starts_with("job 7: check the reply from 127.0.0.1:1"), "{err}");
    // A listener that answers 12 bytes and closes.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut seed = [0u8; 8];
        s.read_exact(&mut seed).unwrap();
        s.write_all(&[1; 12]).unwrap();
    });
    let target = Target { base: Ipv4Addr::LOCALHOST, port, spread: 1 };
    let err = request_blocking(target, 3, Duration::ZERO).unwrap_err();
    t.join().unwrap();
    assert!(err.to_string().contains("job 3: read the reply from"), "{err}");
    assert!(err.to_string().contains("after 12 of 32 bytes"), "{err}");
}

#[test]
fn only_loopback_is_accepted() {
    let mut o = ServeOptions::new(Duration::ZERO);
    assert!(o.validate().is_ok());
    for bad in [Ipv4Addr::UNSPECIFIED, Ipv4Addr::new(192, 168, 1, 2), Ipv4Addr::new(10, 0, 0, 1)] {
        o.bind = bad;
        assert!(o.validate().unwrap_err().contains("loopback only"), "{bad}");
    }
    // The spread may not walk out of 127.0.0.0/8.
    o.bind = Ipv4Addr::new(127, 255, 255, 250);
    o.spread = 8;
    assert!(o.validate().is_err());
    assert!(serve(o, |_| {}, async {}).is_err());
}

#[test]
fn the_report_line_round_trips() {
    let r = ServeReport { served: 3, malformed: 1, cpu_s: 0.25 };
    assert_eq!(ServeReport::parse(&r.line()), Some(r));
    assert_eq!(
        parse_listening("listening 127.0.0.1:4000 spread 8").map(|t| (t.port, t.spread)),
        Some((4000, 8))
    );
    assert_eq!(Target { base: Ipv4Addr::LOCALHOST, port: 9, spread: 8 }.addr(10).to_string(), "127.0.0.3:9");
}

#[cfg(target_os = "linux")]
#[test]
fn reserving_descriptors_grows_the_table_once_and_opening_them_then_does_not() {
    let limit = raise_fd_limit() as usize;
    // Room for n more, well inside the limit (the table's size is what is checked, not the limit).
    let n = (limit / 2).clamp(1, 3_000);
    let size = reserve_descriptors(n).expect("the table can be grown and read");
    assert!(size as usize >= n, "FDSize {size} after reserving {n}");
    assert_eq!(descriptor_table_size(), Some(size));
    // Opening n - 100 descriptors (fewer than the room made, whatever else is open) leaves it as it is.
    let held: Vec<std::fs::File> =
        (0..n.saturating_sub(100)).map(|_| std::fs::File::open("/dev/null").unwrap()).collect();
    assert_eq!(descriptor_table_size(), Some(size), "{} opened", held.len());
}
