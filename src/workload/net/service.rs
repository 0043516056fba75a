//! The service (`cvp serve`): replies to each request after the wait, on a timer of its own.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{
    CHILD_ARG, DEFAULT_SPREAD, FD_RESERVE, REQUEST_TIMEOUT, ServeReport, Target, expected_reply,
    raise_fd_limit, reserve_descriptors,
};

/// How the service is set up (`cvp serve`'s flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeOptions {
    /// The first loopback address to listen on.
    pub bind: Ipv4Addr,
    /// The port (0: any free one, the same on every address).
    pub port: u16,
    /// How many consecutive addresses to listen on.
    pub spread: u8,
    /// The delay before each reply (W).
    pub wait: Duration,
    /// Most connections handled at once (`None`: the open-file limit less a reserve); more wait in the
    /// kernel's backlog.
    pub max_connections: Option<usize>,
    /// Connections to make room for in the descriptor table before listening
    /// ([`super::reserve_descriptors`]), so the first burst of that many is not slowed by the table's growth.
    pub reserve: usize,
}

impl ServeOptions {
    /// Loopback 127.0.0.1 on any free port, [`DEFAULT_SPREAD`] addresses, replying after `wait`.
    pub fn new(wait: Duration) -> ServeOptions {
        ServeOptions {
            bind: Ipv4Addr::LOCALHOST,
            port: 0,
            spread: DEFAULT_SPREAD,
            wait,
            max_connections: None,
            reserve: 0,
        }
    }

    /// Refuses anything but loopback: the service is for this host alone, never on a wildcard or a
    /// network address.
    pub fn validate(&self) -> Result<(), String> {
        let last = u32::from(self.bind).checked_add(u32::from(self.spread.max(1)) - 1).map(Ipv4Addr::from);
        if !self.bind.is_loopback() || !last.is_some_and(|l| l.is_loopback()) {
            return Err(format!(
                "--bind {} with --spread {}: the service listens on loopback only (accepted: addresses in \
                 127.0.0.0/8, the last one included)",
                self.bind, self.spread
            ));
        }
        if self.spread == 0 {
            return Err("--spread 0: at least one address (accepted: 1..=255)".into());
        }
        Ok(())
    }
}

/// The service: binds, calls `ready` with the target (the caller prints it), answers requests until `stop`
/// resolves, and returns what it served. Runs a tokio current-thread runtime on the calling thread (one
/// event loop for every connection) and an alarm thread that times the replies (`Alarm`).
pub fn serve(
    options: ServeOptions,
    ready: impl FnOnce(Target),
    stop: impl std::future::Future<Output = ()>,
) -> io::Result<ServeReport> {
    options.validate().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let limit = raise_fd_limit();
    if options.reserve > 0 {
        // Best effort: a table that cannot grow now grows later, as it would without this.
        let _ = reserve_descriptors(options.reserve);
    }
    let bound = options.max_connections.unwrap_or(limit.saturating_sub(FD_RESERVE).max(1) as usize);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let served = Arc::new(AtomicU64::new(0));
    let malformed = Arc::new(AtomicU64::new(0));
    runtime.block_on(async {
        let listeners = listen(options)?;
        let target =
            Target { base: options.bind, port: listeners[0].local_addr()?.port(), spread: options.spread };
        let permits = Arc::new(tokio::sync::Semaphore::new(bound));
        let alarm = Alarm::start(options.wait)?;
        for listener in listeners {
            let (permits, served, malformed) =
                (Arc::clone(&permits), Arc::clone(&served), Arc::clone(&malformed));
            tokio::spawn(accept_loop(listener, alarm.clone(), permits, served, malformed));
        }
        ready(target);
        stop.await;
        io::Result::Ok(())
    })?;
    drop(runtime);
    Ok(ServeReport {
        served: served.load(Ordering::Relaxed),
        malformed: malformed.load(Ordering::Relaxed),
        cpu_s: own_cpu_s(),
    })
}

/// This process's CPU time so far, user + system, every thread, in seconds: the service runs as a process
/// of its own, so that is the service's (read here rather than through `measure`, which sits above the
/// workload: the service is part of what is measured, not of the measuring).
fn own_cpu_s() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant the platform defines.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// One listener per address, all on the port the first one got.
fn listen(options: ServeOptions) -> io::Result<Vec<tokio::net::TcpListener>> {
    let mut listeners = Vec::new();
    let mut port = options.port;
    for k in 0..u32::from(options.spread) {
        let ip = Ipv4Addr::from(u32::from(options.bind) + k);
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket
            .bind(SocketAddrV4::new(ip, port).into())
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {ip}:{port}: {e}")))?;
        // The kernel caps the backlog at net.core.somaxconn.
        let listener = socket.listen(65_535)?;
        port = listener.local_addr()?.port();
        listeners.push(listener);
    }
    Ok(listeners)
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    alarm: Alarm,
    permits: Arc<tokio::sync::Semaphore>,
    served: Arc<AtomicU64>,
    malformed: Arc<AtomicU64>,
) {
    let mut warned = false;
    loop {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { return };
        match listener.accept().await {
            Ok((stream, _)) => {
                let (served, malformed, alarm) = (Arc::clone(&served), Arc::clone(&malformed), alarm.clone());
                tokio::spawn(async move {
                    match answer(stream, &alarm).await {
                        Ok(()) => served.fetch_add(1, Ordering::Relaxed),
                        Err(()) => malformed.fetch_add(1, Ordering::Relaxed),
                    };
                    drop(permit);
                });
            }
            // Out of descriptors or memory: say so once, let connections finish, try again.
            Err(e) => {
                if !warned {
                    eprintln!("cvp serve: accept failed: {e}; retrying");
                    warned = true;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// The service's wait, as precise as a thread sleep: tokio's timer fires on whole milliseconds, so a 10 ms
/// `tokio::time::sleep` ends up to a millisecond late (11.1 ms for one 10 ms sleep here), while io_bound's
/// blocking strategies sleep with `std::thread::sleep` (10.1 ms). A net_bound request must wait what an
/// io_bound job waits, or the timer's rounding would pass for the socket's cost. One thread of the service
/// keeps every pending reply's deadline in a heap and sleeps until the earliest (a futex wait with a
/// timeout, like `thread::sleep`), then wakes the replies that are due.
#[derive(Clone)]
pub(super) struct Alarm {
    wait: Duration,
    deadlines: Option<mpsc::Sender<Pending>>,
}

/// A reply waiting for its deadline.
struct Pending {
    due: Instant,
    wake: tokio::sync::oneshot::Sender<()>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Pending) -> bool {
        self.due == other.due
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Pending) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    // Reversed: `BinaryHeap` is a max-heap, the earliest deadline must come first.
    fn cmp(&self, other: &Pending) -> std::cmp::Ordering {
        other.due.cmp(&self.due)
    }
}

impl Alarm {
    /// The alarm thread for replies `wait` after their request (none for a zero wait). It ends when the
    /// last [`Alarm`] is dropped.
    pub(super) fn start(wait: Duration) -> io::Result<Alarm> {
        if wait.is_zero() {
            return Ok(Alarm { wait, deadlines: None });
        }
        let (tx, rx) = mpsc::channel::<Pending>();
        std::thread::Builder::new().name("cvp-serve-alarm".into()).spawn(move || {
            let mut heap = std::collections::BinaryHeap::<Pending>::new();
            loop {
                let next = match heap.peek() {
                    None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                    Some(p) => rx.recv_timeout(p.due.saturating_duration_since(Instant::now())),
                };
                match next {
                    Ok(p) => heap.push(p),
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
                let now = Instant::now();
                while heap.peek().is_some_and(|p| p.due <= now) {
                    // A connection that has gone dropped its receiver: nothing to wake.
                    let _ = heap.pop().expect("peeked").wake.send(());
                }
            }
        })?;
        Ok(Alarm { wait, deadlines: Some(tx) })
    }

    /// Resolves `wait` after now, to within a thread sleep's precision.
    pub(super) async fn wait(&self) {
        let Some(deadlines) = &self.deadlines else { return };
        let (wake, woken) = tokio::sync::oneshot::channel();
        if deadlines.send(Pending { due: Instant::now() + self.wait, wake }).is_ok() {
            let _ = woken.await;
        }
    }
}

/// One connection: exactly 8 bytes of request (fewer before the peer closes or within [`REQUEST_TIMEOUT`],
/// or more already arrived once 8 are read: closed without a reply), the wait, then the 32-byte reply and
/// close. (A byte sent after the service has read the 8 is not seen: the rule is about what has arrived.)
async fn answer(mut stream: tokio::net::TcpStream, alarm: &Alarm) -> Result<(), ()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = [0u8; 9];
    let read = async {
        let mut got = 0;
        while got < 8 {
            match stream.read(&mut request[got..]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        got
    };
    let got = tokio::time::timeout(REQUEST_TIMEOUT, read).await.unwrap_or(0);
    // Bytes beyond the 8, in the same read or already behind it, make the request malformed too.
    let mut extra = [0u8; 1];
    if got != 8 || matches!(stream.try_read(&mut extra), Ok(n) if n > 0) {
        return Err(());
    }
    alarm.wait().await;
    let seed = u64::from_le_bytes(request[..8].try_into().expect("8 bytes"));
    let reply = expected_reply(seed);
    // A client that has gone is not a malformed request: the reply was due.
    let _ = tokio::time::timeout(REQUEST_TIMEOUT, stream.write_all(&reply.0)).await;
    Ok(())
}

/// If this process was started by `Server::start` (its command line is exactly [`CHILD_ARG`], a wait in
/// whole milliseconds and the connections to make room for), runs the service until stdin closes and exits; otherwise returns at once. Call it
/// first thing in `main` of any binary that starts a `Server` on itself (`cvp`, the `net_bound` bench).
pub fn serve_if_child() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).take(4).collect();
    let [marker, value, reserve] = args.as_slice() else { return };
    if marker != CHILD_ARG {
        return;
    }
    let number = |v: &std::ffi::OsString| v.to_str().and_then(|v| v.parse::<u64>().ok());
    let code = match (number(value), number(reserve)) {
        (Some(ms), Some(reserve)) => match serve_until_stdin_closes(ServeOptions {
            reserve: reserve as usize,
            ..ServeOptions::new(Duration::from_millis(ms))
        }) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("cvp serve: {e}");
                1
            }
        },
        _ => {
            eprintln!(
                "cvp serve: {CHILD_ARG} {value:?} {reserve:?}: not a wait in whole ms and a connection count"
            );
            2
        }
    };
    std::process::exit(code);
}

/// The service as a process: prints `listening <first address> spread <n>`, serves until stdin reaches its
/// end (a parent that exits or crashes closes it), then prints [`ServeReport::line`].
pub fn serve_until_stdin_closes(options: ServeOptions) -> io::Result<()> {
    let closed = Arc::new(tokio::sync::Notify::new());
    let notify = Arc::clone(&closed);
    std::thread::Builder::new().name("cvp-serve-stdin".into()).spawn(move || {
        let mut sink = [0u8; 256];
        let mut stdin = io::stdin().lock();
        while !matches!(stdin.read(&mut sink), Ok(0) | Err(_)) {}
        notify.notify_one();
    })?;
    let report = serve(
        options,
        |target| {
            let mut out = io::stdout().lock();
            let _ = writeln!(out, "listening {}:{} spread {}", target.base, target.port, target.spread)
                .and_then(|()| out.flush());
        },
        async move { closed.notified().await },
    )?;
    // The parent may have gone (that is how it stopped us): a report nobody reads is not an error.
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{}", report.line()).and_then(|()| out.flush());
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn the_alarm_never_wakes_a_reply_early() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let wait = Duration::from_millis(3);
        let alarm = Alarm::start(wait).unwrap();
        rt.block_on(async {
            let start = Instant::now();
            // Many at once, in one heap: each resolves no sooner than its own deadline.
            let waits: Vec<_> = (0..50)
                .map(|_| {
                    let alarm = alarm.clone();
                    tokio::spawn(async move {
                        let asked = Instant::now();
                        alarm.wait().await;
                        asked.elapsed()
                    })
                })
                .collect();
            for w in waits {
                assert!(w.await.unwrap() >= wait);
            }
            assert!(start.elapsed() >= wait);
        });
        // No alarm thread for a zero wait: it resolves at once.
        let zero = Alarm::start(Duration::ZERO).unwrap();
        assert!(zero.deadlines.is_none());
        rt.block_on(zero.wait());
    }
}
