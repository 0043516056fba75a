//! Loopback TCP for the `net_bound` workload: the service, `cvp serve`, and the request a job makes, blocking
//! ([`request_blocking`]: a thread blocked in `read`) or async ([`request_async`]: epoll through tokio's
//! reactor).
//!
//! The protocol: job k connects, sends its seed as 8 bytes little-endian, and reads 32 bytes, which the
//! service sends W ms after the request and which are SHA-256 of those 8 bytes: the io_bound job digest, so
//! the workload's digest check proves every request got its own answer. A request of any other length is
//! closed without a reply.
//!
//! The service runs as a **child process** ([`Server`]), so its CPU time is never counted as the client's:
//! the parent reads it from the child's CPU clock ([`Server::cpu_time`]). It binds loopback addresses only,
//! prints its address, serves until its stdin closes (so it cannot outlive a parent that crashed), bounds
//! its connections and reports what it served and its own CPU time on exit.
//!
//! Many connections per second on one host: the client closes with `SO_LINGER` 0 after reading the reply
//! (a reset, so neither side keeps a socket in TIME_WAIT and no ephemeral port is held across criterion's
//! iterations), and the service listens on [`DEFAULT_SPREAD`] loopback addresses (127.0.0.1, 127.0.0.2 ...)
//! on one port, job k using address k mod spread: each address has its own ~28,000 ephemeral ports, so
//! 100,000 connections can be open at once without touching the host's sysctls.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::workload::{Digest, chain};

/// How long any one socket operation of a request may take beyond the wait itself (connect, send, reply):
/// a server that stops answering is an error naming the job, never a hang.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// How long the service waits for a request's 8 bytes before closing the connection.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Loopback addresses the service listens on by default (127.0.0.1 up to 127.0.0.8).
pub const DEFAULT_SPREAD: u8 = 8;
/// The environment variable that turns a process started by [`Server::start`] into the service.
pub const CHILD_ENV: &str = "CVP_SERVE_CHILD";
/// File descriptors the service keeps for itself (listeners, stdio) below its limit on connections.
const FD_RESERVE: u64 = 64;

/// Where a `net_bound` job sends its request: `spread` consecutive loopback addresses from `base`, one port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// The first address (127.0.0.1 by default).
    pub base: Ipv4Addr,
    /// The port, the same on every address.
    pub port: u16,
    /// How many consecutive addresses listen (at least 1).
    pub spread: u8,
}

impl Target {
    /// The address job `seed` connects to: address `seed mod spread`.
    pub fn addr(self, seed: u64) -> SocketAddrV4 {
        let k = (seed % u64::from(self.spread.max(1))) as u32;
        SocketAddrV4::new(Ipv4Addr::from(u32::from(self.base) + k), self.port)
    }
}

/// Why a request failed: names the job, the address and the step.
#[derive(Debug, thiserror::Error)]
#[error("job {job}: {step} {addr}: {cause}")]
pub struct NetError {
    /// The job (its seed).
    pub job: u64,
    /// The address it used.
    pub addr: SocketAddrV4,
    /// What it was doing: `connect to`, `send the request to`, `read the reply from`.
    pub step: &'static str,
    /// What went wrong.
    pub cause: String,
}

/// The reply a request must get: SHA-256 of the seed's 8 bytes (the io_bound job digest).
pub fn expected_reply(seed: u64) -> Digest {
    chain(seed, 0)
}

/// Checks job `seed`'s `reply` against the digest the job computed itself, `own` (its hash phase: one
/// SHA-256, as an io_bound job), and returns the reply: a wrong answer is an error naming the job.
pub fn check(seed: u64, target: Target, reply: Digest, own: Digest) -> Result<Digest, NetError> {
    if reply == own {
        Ok(reply)
    } else {
        Err(NetError {
            job: seed,
            addr: target.addr(seed),
            step: "check the reply from",
            cause: format!("got {reply}, expected SHA-256 of the seed, {own}"),
        })
    }
}

/// Closes with a reset instead of a FIN (`SO_LINGER` on, 0 s): no TIME_WAIT on either side, so no port is
/// held after the request. It cannot fail on a connected TCP socket (checked in debug builds); a failure
/// would only leave the ordinary close. (A request that fails closes the ordinary way.)
fn reset_on_close(socket: &impl AsRawFd) {
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket descriptor and a pointer to a `linger` that lives across the call, with its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    debug_assert_eq!(rc, 0, "SO_LINGER: {}", io::Error::last_os_error());
}

/// Reads the 32-byte reply, counting the bytes, so a short reply says how short.
fn read_reply(mut stream: &TcpStream) -> io::Result<Digest> {
    let mut reply = [0u8; 32];
    let mut got = 0;
    while got < 32 {
        match stream.read(&mut reply[got..])? {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the server closed after {got} of 32 bytes"),
                ));
            }
            n => got += n,
        }
    }
    Ok(Digest(reply))
}

/// Job `seed`'s request on the calling thread, which blocks in `connect`, `write` and `read`; each step
/// times out ([`TIMEOUT`], plus `wait` for the reply). Returns the reply, unchecked.
pub fn request_blocking(target: Target, seed: u64, wait: Duration) -> Result<Digest, NetError> {
    let addr = target.addr(seed);
    // A socket timeout surfaces as WouldBlock (EAGAIN) or TimedOut: say what it is.
    let fail = |step, limit: Duration, e: io::Error| NetError {
        job: seed,
        addr,
        step,
        cause: match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => no_answer(limit),
            _ => e.to_string(),
        },
    };
    let mut stream =
        TcpStream::connect_timeout(&addr.into(), TIMEOUT).map_err(|e| fail("connect to", TIMEOUT, e))?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| fail("connect to", TIMEOUT, e))?;
    stream.set_read_timeout(Some(TIMEOUT + wait)).map_err(|e| fail("connect to", TIMEOUT, e))?;
    stream.write_all(&seed.to_le_bytes()).map_err(|e| fail("send the request to", TIMEOUT, e))?;
    let reply = read_reply(&stream).map_err(|e| fail("read the reply from", TIMEOUT + wait, e))?;
    reset_on_close(&stream);
    Ok(reply)
}

/// What a timed-out step says.
fn no_answer(limit: Duration) -> String {
    format!("timed out: no answer within {:.1} s", limit.as_secs_f64())
}

/// Job `seed`'s request as a future on a tokio runtime with its I/O driver: the task yields at every step
/// and the reactor (epoll) wakes it. The whole request times out after [`TIMEOUT`] plus `wait`.
pub async fn request_async(target: Target, seed: u64, wait: Duration) -> Result<Digest, NetError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = target.addr(seed);
    const STEPS: [&str; 3] = ["connect to", "send the request to", "read the reply from"];
    // Which step the exchange is in, for a timeout's message (an atomic: the task must stay `Send`).
    let at = std::sync::atomic::AtomicU8::new(0);
    let exchange = async {
        let mut stream =
            tokio::net::TcpStream::connect(addr).await.map_err(|e| ("connect to", e.to_string()))?;
        at.store(1, Ordering::Relaxed);
        stream.write_all(&seed.to_le_bytes()).await.map_err(|e| ("send the request to", e.to_string()))?;
        at.store(2, Ordering::Relaxed);
        let mut reply = [0u8; 32];
        let mut got = 0;
        while got < 32 {
            match stream.read(&mut reply[got..]).await.map_err(|e| ("read the reply from", e.to_string()))? {
                0 => {
                    return Err((
                        "read the reply from",
                        format!("the server closed after {got} of 32 bytes"),
                    ));
                }
                n => got += n,
            }
        }
        reset_on_close(&stream);
        Ok(Digest(reply))
    };
    let limit = TIMEOUT + wait;
    match tokio::time::timeout(limit, exchange).await {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err((step, cause))) => Err(NetError { job: seed, addr, step, cause }),
        Err(_) => Err(NetError {
            job: seed,
            addr,
            step: STEPS[usize::from(at.load(Ordering::Relaxed)).min(2)],
            cause: format!("{} (the whole exchange)", no_answer(limit)),
        }),
    }
}

/// Raises this process's soft limit on open files to its hard limit (never above it, never lowering it) and
/// returns the soft limit now in force: each connection is a descriptor, in the client and in the service.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid, writable rlimit owned by this frame.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
        // SAFETY: a valid rlimit, read just above, whose soft value does not exceed its hard one.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return raised.rlim_cur;
        }
    }
    lim.rlim_cur
}

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

/// What the service did, printed as its last line (`served N malformed M cpu_s S`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServeReport {
    /// Requests answered.
    pub served: u64,
    /// Connections closed without a reply: a request that was not exactly 8 bytes, or came too late.
    pub malformed: u64,
    /// The service's own CPU time (user + system), seconds.
    pub cpu_s: f64,
}

impl ServeReport {
    /// The line the service prints on exit.
    pub fn line(&self) -> String {
        format!("served {} malformed {} cpu_s {:.6}", self.served, self.malformed, self.cpu_s)
    }

    /// Reads [`ServeReport::line`] back.
    pub fn parse(line: &str) -> Option<ServeReport> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["served", s, "malformed", m, "cpu_s", c] => Some(ServeReport {
                served: s.parse().ok()?,
                malformed: m.parse().ok()?,
                cpu_s: c.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// The service: binds, calls `ready` with the target (the caller prints it), answers requests until `stop`
/// resolves, and returns what it served. Runs a tokio current-thread runtime on the calling thread (one
/// event loop for every connection) and an alarm thread that times the replies ([`Alarm`]).
pub fn serve(
    options: ServeOptions,
    ready: impl FnOnce(Target),
    stop: impl std::future::Future<Output = ()>,
) -> io::Result<ServeReport> {
    options.validate().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let limit = raise_fd_limit();
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
        cpu_s: crate::measure::process_cpu_time().as_secs_f64(),
    })
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
struct Alarm {
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
    fn start(wait: Duration) -> io::Result<Alarm> {
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
    async fn wait(&self) {
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

/// If this process was started by [`Server::start`] (it has [`CHILD_ENV`]), runs the service until stdin
/// closes and exits; otherwise returns at once. Call it first thing in `main` of any binary that starts a
/// [`Server`] on itself (`cvp`, the `net_bound` bench).
pub fn serve_if_child() {
    let Some(value) = std::env::var_os(CHILD_ENV) else { return };
    let code = match value.to_str().and_then(|v| v.parse::<u64>().ok()) {
        Some(ms) => match serve_until_stdin_closes(ServeOptions::new(Duration::from_millis(ms))) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("cvp serve: {e}");
                1
            }
        },
        None => {
            eprintln!("cvp serve: {CHILD_ENV}={value:?} is not a wait in whole milliseconds");
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

/// The service as a child process of this one, for the lifetime of this value: the client's measurements
/// never include its CPU time, and dropping it (or this process dying) closes the child's stdin, which
/// stops it.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    target: Target,
    wait: Duration,
    clock: Option<libc::clockid_t>,
}

impl Server {
    /// Starts this very executable as the service (it must call [`serve_if_child`] first in `main`),
    /// replying after `wait`. Raises this process's open-file limit too.
    pub fn start(wait: Duration) -> io::Result<Server> {
        Server::start_exe(Path::new("/proc/self/exe"), wait)
    }

    /// Starts `exe` (a binary that calls [`serve_if_child`], such as `cvp`) as the service.
    pub fn start_exe(exe: &Path, wait: Duration) -> io::Result<Server> {
        raise_fd_limit();
        let mut child = Command::new(exe)
            .env(CHILD_ENV, wait.as_millis().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot start the service {}: {e}", exe.display()))
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::Builder::new().name("cvp-server-out".into()).spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        })?;
        let mut server = Server {
            child,
            stdin,
            lines,
            target: Target { base: Ipv4Addr::LOCALHOST, port: 0, spread: 1 },
            wait,
            clock: None,
        };
        let first = server.lines.recv_timeout(Duration::from_secs(10)).map_err(|_| {
            io::Error::other(format!(
                "the service {} did not say where it listens within 10 s",
                exe.display()
            ))
        })?;
        server.target = parse_listening(&first).ok_or_else(|| {
            io::Error::other(format!("the service said {first:?}, not `listening <address> spread <n>`"))
        })?;
        let mut clock: libc::clockid_t = 0;
        // SAFETY: `clock` is a valid, writable clockid owned by this frame; the pid is our live child's.
        if unsafe { libc::clock_getcpuclockid(server.child.id() as libc::pid_t, &mut clock) } == 0 {
            server.clock = Some(clock);
        }
        Ok(server)
    }

    /// Where jobs send their requests.
    pub fn target(&self) -> Target {
        self.target
    }

    /// The delay before each reply.
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// The service's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The service's CPU time so far (all its threads, user + system), read from its CPU clock: take it
    /// before and after a run for the service's share of that run.
    pub fn cpu_time(&self) -> io::Result<Duration> {
        let clock = self.clock.ok_or_else(|| io::Error::other("the service's CPU clock is not readable"))?;
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec owned by this frame.
        if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    /// Stops the service (closes its stdin) and returns its report.
    pub fn stop(mut self) -> io::Result<ServeReport> {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut report = None;
        while let Ok(line) = self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            report = ServeReport::parse(&line).or(report);
        }
        // A service that did not stop by itself (it should, once its stdin closed) is killed, never waited
        // for forever.
        let status = match self.child.try_wait()? {
            Some(status) => status,
            None => {
                std::thread::sleep(Duration::from_millis(100));
                match self.child.try_wait()? {
                    Some(status) => status,
                    None => {
                        let _ = self.child.kill();
                        let status = self.child.wait()?;
                        return Err(io::Error::other(format!(
                            "the service (pid {}) did not stop within 10 s of its stdin closing; killed ({status})",
                            self.child.id()
                        )));
                    }
                }
            }
        };
        match report {
            Some(r) if status.success() => Ok(r),
            _ => Err(io::Error::other(format!("the service ended with {status} and no report"))),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `listening 127.0.0.1:PORT spread N`.
fn parse_listening(line: &str) -> Option<Target> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let ["listening", addr, "spread", n] = words.as_slice() else { return None };
    let addr: SocketAddrV4 = addr.parse().ok()?;
    Some(Target { base: *addr.ip(), port: addr.port(), spread: n.parse().ok()? })
}

#[cfg(test)]
mod tests {
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
            assert_eq!(
                rt.block_on(request_async(target, seed, Duration::ZERO)).unwrap(),
                expected_reply(seed)
            );
        }
        stop.send(()).unwrap();
        let report = handle.join().unwrap();
        assert_eq!((report.served, report.malformed), (20, 0));
    }

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
        assert_eq!(
            Target { base: Ipv4Addr::LOCALHOST, port: 9, spread: 8 }.addr(10).to_string(),
            "127.0.0.3:9"
        );
    }
}
