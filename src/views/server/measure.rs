//! The structures under test, their limits and their backends: the only file of the view that runs
//! threads, runtimes or child processes. Every structure parses with [`super::http::parse`], answers with
//! [`answer_blocking`] or [`answer_async`] (the same backend request, the same hash) and keeps the same
//! [`Limits`]; what differs is who runs a connection and where its hashing runs.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::Duration;

use super::http::{self, Head, Reject};
use super::{Limits, MAX_BACKENDS, Query, Structure, render};
use crate::workload::net::{self, Server, Target};
use crate::workload::{Digest, chain};

/// Descriptors kept for the process itself (listener, stdio, backends' pipes) below its open-file limit.
const FD_RESERVE: usize = 64;
/// How long writing a response may block on a client that does not read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// After a refusal, how long the client's remaining bytes are read and dropped before closing (closing
/// with unread bytes would reset the connection, and the client could lose the refusal).
const LINGER: Duration = Duration::from_millis(500);

/// Descriptors this process may use for connections and requests: its open-file limit (raised to the hard
/// one) less a reserve.
pub fn usable_descriptors() -> usize {
    (net::raise_fd_limit() as usize).saturating_sub(FD_RESERVE).max(2)
}

/// The default limits: a quarter of the usable descriptors (at most 4,096) for requests in flight, each of
/// which holds a backend connection, and the rest for client connections.
pub fn default_limits() -> Limits {
    let usable = usable_descriptors();
    let in_flight = (usable / 4).clamp(1, 4096);
    Limits { connections: (usable - in_flight).max(1), in_flight }
}

/// Refuses limits that need more descriptors than the process may open.
pub fn check_limits(limits: Limits) -> Result<(), String> {
    let usable = usable_descriptors();
    let need = limits.connections.saturating_add(limits.in_flight);
    if limits.connections == 0 || limits.in_flight == 0 || need > usable {
        return Err(format!(
            "--max-connections {} and --max-in-flight {}: each at least 1, together at most {usable} (this \
             process's open-file limit less {FD_RESERVE} kept for itself)",
            limits.connections, limits.in_flight
        ));
    }
    Ok(())
}

/// The backends: one `cvp serve` child per distinct wait (it replies after one fixed wait), started on the
/// first request that asks for it, at most [`MAX_BACKENDS`].
struct Backends {
    list: Mutex<Vec<(u64, Server)>>,
}

impl Backends {
    fn lock(&self) -> MutexGuard<'_, Vec<(u64, Server)>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The backend for `wait_ms` if it runs and the list is free now (never blocks: for async handlers).
    fn known(&self, wait_ms: u64) -> Option<Target> {
        let list = self.list.try_lock().ok()?;
        list.iter().find(|(w, _)| *w == wait_ms).map(|(_, s)| s.target())
    }

    /// The backend for `wait_ms`, started if it is not running (blocks while a backend starts).
    fn target(&self, wait_ms: u64) -> Result<Target, Reject> {
        let mut list = self.lock();
        if let Some((_, s)) = list.iter().find(|(w, _)| *w == wait_ms) {
            return Ok(s.target());
        }
        if list.len() >= MAX_BACKENDS {
            let waits: Vec<String> = list.iter().map(|(w, _)| w.to_string()).collect();
            return Err(Reject {
                status: 503,
                reason: format!(
                    "limit: {MAX_BACKENDS} distinct wait_ms values (one backend each), in use: {}",
                    waits.join(", ")
                ),
            });
        }
        let server = Server::start(Duration::from_millis(wait_ms)).map_err(|e| Reject {
            status: 502,
            reason: format!("cannot start the backend for wait_ms={wait_ms}: {e}"),
        })?;
        let target = server.target();
        list.push((wait_ms, server));
        Ok(target)
    }

    /// Stops every backend (each closes with its stdin; one that does not is killed).
    fn stop(&self) {
        let list = std::mem::take(&mut *self.lock());
        drop(list);
    }

    /// The backends' process ids.
    fn pids(&self) -> Vec<u32> {
        self.lock().iter().map(|(_, s)| s.pid()).collect()
    }
}

/// What every connection of one server shares: its limits, the counts they bound, and the backends.
struct Shared {
    limits: Limits,
    connections: AtomicUsize,
    in_flight: AtomicUsize,
    backends: Backends,
    warned: AtomicBool,
}

/// Which count a [`Slot`] holds one of.
#[derive(Clone, Copy)]
enum Bound {
    Connection,
    InFlight,
}

/// One connection or request counted against its limit, given back when dropped.
struct Slot {
    shared: Arc<Shared>,
    bound: Bound,
}

impl Shared {
    fn counter(&self, bound: Bound) -> &AtomicUsize {
        match bound {
            Bound::Connection => &self.connections,
            Bound::InFlight => &self.in_flight,
        }
    }

    /// Counts one more against `bound`, or refuses with 503 naming the limit.
    fn take(self: &Arc<Shared>, bound: Bound) -> Result<Slot, Reject> {
        let (limit, name) = match bound {
            Bound::Connection => (self.limits.connections, "connections open (--max-connections)"),
            Bound::InFlight => (self.limits.in_flight, "requests in flight (--max-in-flight)"),
        };
        if self.counter(bound).fetch_add(1, Ordering::SeqCst) >= limit {
            self.counter(bound).fetch_sub(1, Ordering::SeqCst);
            return Err(Reject { status: 503, reason: format!("limit: {limit} {name}") });
        }
        Ok(Slot { shared: Arc::clone(self), bound })
    }

    /// Says once on stderr that accepting failed (out of descriptors or memory); the server goes on.
    fn warn(&self, what: &str, e: &io::Error) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            eprintln!("cvp server: {what}: {e}; going on (said once)");
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.shared.counter(self.bound).fetch_sub(1, Ordering::SeqCst);
    }
}

/// A backend failure, as the client sees it.
fn backend_failed(e: net::NetError) -> Reject {
    Reject { status: 502, reason: format!("backend: {e}") }
}

/// One request on the calling thread: the wait on the backend (blocking), then the hash.
fn answer_blocking(shared: &Arc<Shared>, q: Query) -> Result<Digest, Reject> {
    let _slot = shared.take(Bound::InFlight)?;
    let target = shared.backends.target(q.wait_ms)?;
    let reply = net::request_blocking(target, q.seed, Duration::from_millis(q.wait_ms))
        .and_then(|r| net::check(q.seed, target, r, net::expected_reply(q.seed)))
        .map_err(backend_failed)?;
    debug_assert_eq!(reply, net::expected_reply(q.seed));
    Ok(chain(q.seed, q.rounds))
}

/// Where an async structure hashes: on the task, or on a rayon pool (the task waits without blocking).
#[derive(Clone)]
enum Hasher {
    Inline,
    Rayon(Arc<rayon::ThreadPool>),
}

impl Hasher {
    async fn chain(&self, seed: u64, rounds: u32) -> Result<Digest, Reject> {
        match self {
            Hasher::Inline => Ok(chain(seed, rounds)),
            Hasher::Rayon(pool) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                pool.spawn(move || {
                    let _ = tx.send(chain(seed, rounds));
                });
                rx.await
                    .map_err(|_| Reject { status: 500, reason: "the hashing pool dropped the job".into() })
            }
        }
    }
}

/// The backend for `wait_ms` from a task: a backend that must first start starts on tokio's blocking pool.
async fn target_async(shared: &Arc<Shared>, wait_ms: u64) -> Result<Target, Reject> {
    if let Some(target) = shared.backends.known(wait_ms) {
        return Ok(target);
    }
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || shared.backends.target(wait_ms))
        .await
        .unwrap_or_else(|_| Err(Reject { status: 500, reason: "starting the backend failed".into() }))
}

/// One request on a task: the wait on the backend (the task yields), then the hash where `hasher` says.
async fn answer_async(shared: &Arc<Shared>, q: Query, hasher: &Hasher) -> Result<Digest, Reject> {
    let _slot = shared.take(Bound::InFlight)?;
    let target = target_async(shared, q.wait_ms).await?;
    let reply = net::request_async(target, q.seed, Duration::from_millis(q.wait_ms)).await;
    reply.and_then(|r| net::check(q.seed, target, r, net::expected_reply(q.seed))).map_err(backend_failed)?;
    hasher.chain(q.seed, q.rounds).await
}

/// The response to a request's outcome, and whether to close after it.
fn respond(outcome: Result<Digest, Reject>, close: bool) -> (Vec<u8>, bool) {
    match outcome {
        Ok(d) => (render::response(200, &render::digest_body(d), close), close),
        Err(r) => (render::refusal(&r), true),
    }
}

/// One connection on the calling thread, request after request (keep-alive) until the client closes, asks
/// to close, or is refused.
fn connection_blocking(mut stream: TcpStream, shared: &Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match http::parse(&buf) {
            Head::Partial => match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            },
            Head::Reject(r) => return refuse_blocking(stream, &r),
            Head::Request { query, close, len } => {
                buf.drain(..len);
                let (bytes, close) = respond(answer_blocking(shared, query), close);
                if stream.write_all(&bytes).is_err() || close {
                    return;
                }
            }
        }
    }
}

/// Sends a refusal, closes the sending side and drops what the client still sends for a moment, so the
/// close is not a reset that could discard the refusal before the client reads it.
fn refuse_blocking(mut stream: TcpStream, r: &Reject) {
    if stream.write_all(&render::refusal(r)).is_err() {
        return;
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(LINGER));
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        if matches!(stream.read(&mut sink), Ok(0) | Err(_)) {
            return;
        }
    }
}

/// A refusal to a connection over a limit: one attempt to write it, without blocking, then close.
fn refuse_now(stream: &TcpStream, r: &Reject) {
    let _ = stream.set_nonblocking(true);
    let _ = (&*stream).write(&render::refusal(r));
}

/// One connection on a task: as [`connection_blocking`], yielding instead of blocking. While it waits for
/// a request it holds no buffer (it waits for the socket to be readable, then reads into a buffer that is
/// freed once drained) and no request's state (the answer is a boxed future, alive only while it runs): an
/// idle keep-alive connection costs its task and its socket.
async fn connection_async(mut stream: tokio::net::TcpStream, shared: &Arc<Shared>, hasher: &Hasher) {
    use tokio::io::AsyncWriteExt;
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        match http::parse(&buf) {
            Head::Partial => match read_some(&stream, &mut buf).await {
                Ok(true) => {}
                Ok(false) | Err(_) => return,
            },
            Head::Reject(r) => return Box::pin(refuse_async(stream, &r)).await,
            Head::Request { query, close, len } => {
                buf.drain(..len);
                if buf.is_empty() {
                    buf = Vec::new();
                }
                let outcome = Box::pin(answer_async(shared, query, hasher)).await;
                let (bytes, close) = respond(outcome, close);
                let sent = tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(&bytes)).await;
                if !matches!(sent, Ok(Ok(()))) || close {
                    return;
                }
            }
        }
    }
}

/// Waits until `stream` is readable, then reads what it holds onto the end of `buf`: `Ok(false)` at the end
/// of the stream.
async fn read_some(stream: &tokio::net::TcpStream, buf: &mut Vec<u8>) -> io::Result<bool> {
    loop {
        stream.readable().await?;
        buf.reserve(1024);
        match stream.try_read_buf(buf) {
            Ok(0) => return Ok(false),
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

/// [`refuse_blocking`] on a task.
async fn refuse_async(mut stream: tokio::net::TcpStream, r: &Reject) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if !matches!(tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(&render::refusal(r))).await, Ok(Ok(())))
    {
        return;
    }
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        if !matches!(tokio::time::timeout(LINGER, stream.read(&mut sink)).await, Ok(Ok(n)) if n > 0) {
            return;
        }
    }
}

/// A server started by [`start`]: it serves on threads of its own until the process exits.
pub struct Handle {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Handle {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The backends' process ids (children of this process).
    pub fn backend_pids(&self) -> Vec<u32> {
        self.shared.backends.pids()
    }

    /// Stops the backends (they exit with their stdin closed; one that does not is killed): call it before
    /// the process exits, so no child outlives it.
    pub fn stop_backends(&self) {
        self.shared.backends.stop();
    }
}

/// Starts `structure` on 127.0.0.1:`port` (0: any free one) with `limits`, and the backend for `wait_ms`;
/// returns once it accepts connections. With `cpus`, the server's threads are pinned to them once that
/// backend has started (the backend keeps the CPUs this process was started on: outside the server's).
/// Its threads (and runtime) serve until the process exits.
pub fn start(
    structure: Structure,
    port: u16,
    limits: Limits,
    wait_ms: u64,
    cpus: Option<&[usize]>,
) -> io::Result<Handle> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let addr = listener.local_addr()?;
    widen_backlog(&listener);
    let shared = Arc::new(Shared {
        limits,
        connections: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        backends: Backends { list: Mutex::new(Vec::new()) },
        warned: AtomicBool::new(false),
    });
    shared.backends.target(wait_ms).map_err(|r| io::Error::other(r.reason))?;
    if let Some(cpus) = cpus {
        crate::machine::pin_process_to(cpus)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot pin the server to CPUs {cpus:?}: {e}")))?;
    }
    let accept = std::thread::Builder::new().name("cvp-server-accept".into());
    let s = Arc::clone(&shared);
    match structure {
        Structure::ThreadPerConnection => accept.spawn(move || thread_per_connection(listener, s))?,
        Structure::Threads(n) => {
            let (tx, rx) = mpsc::channel::<(TcpStream, Slot)>();
            let rx = Arc::new(Mutex::new(rx));
            for k in 0..n {
                let (rx, s) = (Arc::clone(&rx), Arc::clone(&shared));
                std::thread::Builder::new()
                    .name(format!("cvp-server-{k}"))
                    .spawn(move || pool_worker(&rx, &s))?;
            }
            accept.spawn(move || pool_accept(listener, s, tx))?
        }
        Structure::Async(_) | Structure::AsyncMulti(_) | Structure::AsyncOffload(_) => {
            // async/1 and async_offload/N run on the current-thread runtime; async/N above 1 and
            // async_multi/N (even for 1) on the multi-thread runtime with N workers.
            let workers = match structure {
                Structure::Async(n) if n > 1 => Some(n),
                Structure::AsyncMulti(n) => Some(n),
                _ => None,
            };
            let runtime = match workers {
                Some(n) => {
                    tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build()?
                }
                None => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
            };
            let hasher = match structure {
                Structure::AsyncOffload(n) => Hasher::Rayon(Arc::new(
                    rayon::ThreadPoolBuilder::new().num_threads(n).build().map_err(io::Error::other)?,
                )),
                _ => Hasher::Inline,
            };
            accept.spawn(move || runtime.block_on(accept_async(listener, s, hasher)))?
        }
        Structure::Reference => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            accept.spawn(move || runtime.block_on(reference(listener, s)))?
        }
    };
    Ok(Handle { addr, shared })
}

/// The queue of connections the kernel completes before the server accepts them: std listens with 128,
/// and a client that opens thousands at once (the C10k row) would see its connections dropped and retried
/// a second later whenever a structure accepts slower than they arrive. Listening again with 4,096 widens
/// it (Linux caps it at `net.core.somaxconn`, 4,096 by default).
fn widen_backlog(listener: &TcpListener) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: listen on a socket this process owns and that is already bound and listening.
        unsafe { libc::listen(listener.as_raw_fd(), 4096) };
    }
}

/// `thread_per_connection`: a new OS thread for each accepted connection.
fn thread_per_connection(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) => {
                shared.warn("accept failed", &e);
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
        };
        let slot = match shared.take(Bound::Connection) {
            Ok(slot) => slot,
            Err(r) => {
                refuse_now(&stream, &r);
                continue;
            }
        };
        // The stream goes to the thread through a cell, so a thread that cannot start gives it back.
        let cell = Arc::new(Mutex::new(Some(stream)));
        let (theirs, s) = (Arc::clone(&cell), Arc::clone(&shared));
        let started = std::thread::Builder::new().name("cvp-server-conn".into()).spawn(move || {
            let stream = theirs.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(stream) = stream {
                connection_blocking(stream, &s);
            }
            drop(slot);
        });
        if let Err(e) = started
            && let Some(stream) = cell.lock().unwrap_or_else(PoisonError::into_inner).take()
        {
            let r = Reject { status: 503, reason: format!("limit: threads (cannot start one: {e})") };
            refuse_now(&stream, &r);
        }
    }
}

/// `threads/N`'s acceptor: counts each connection and queues it to the pool.
fn pool_accept(listener: TcpListener, shared: Arc<Shared>, queue: mpsc::Sender<(TcpStream, Slot)>) {
    loop {
        match listener.accept() {
            Ok((stream, _)) => match shared.take(Bound::Connection) {
                Ok(slot) => {
                    if queue.send((stream, slot)).is_err() {
                        return;
                    }
                }
                Err(r) => refuse_now(&stream, &r),
            },
            Err(e) => {
                shared.warn("accept failed", &e);
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

/// One thread of `threads/N`: takes the next queued connection and serves it to its end.
fn pool_worker(queue: &Mutex<mpsc::Receiver<(TcpStream, Slot)>>, shared: &Arc<Shared>) {
    loop {
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok((stream, slot)) = next else { return };
        connection_blocking(stream, shared);
        drop(slot);
    }
}

/// The async structures' acceptor: a task per connection on the runtime it runs on.
async fn accept_async(listener: TcpListener, shared: Arc<Shared>, hasher: Hasher) {
    let listener =
        match listener.set_nonblocking(true).and_then(|()| tokio::net::TcpListener::from_std(listener)) {
            Ok(l) => l,
            Err(e) => return shared.warn("cannot register the listener", &e),
        };
    loop {
        match listener.accept().await {
            Ok((stream, _)) => match shared.take(Bound::Connection) {
                Ok(slot) => {
                    let (s, h) = (Arc::clone(&shared), hasher.clone());
                    tokio::spawn(async move {
                        connection_async(stream, &s, &h).await;
                        drop(slot);
                    });
                }
                Err(r) => {
                    let _ = stream.try_write(&render::refusal(&r));
                }
            },
            Err(e) => {
                shared.warn("accept failed", &e);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// `reference`: the smallest tokio server doing the same work, written out plainly: accept, a task per
/// connection, the same parsing, the backend request and the hash inline; no strategy choice anywhere.
async fn reference(listener: TcpListener, shared: Arc<Shared>) {
    use tokio::io::AsyncWriteExt;
    let Ok(listener) =
        listener.set_nonblocking(true).and_then(|()| tokio::net::TcpListener::from_std(listener))
    else {
        return;
    };
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        let slot = match shared.take(Bound::Connection) {
            Ok(slot) => slot,
            Err(r) => {
                let _ = stream.try_write(&render::refusal(&r));
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut buf = Vec::new();
            loop {
                let (query, close) = match http::parse(&buf) {
                    Head::Partial => match read_some(&stream, &mut buf).await {
                        Ok(true) => continue,
                        Ok(false) | Err(_) => break,
                    },
                    Head::Reject(r) => break Box::pin(refuse_async(stream, &r)).await,
                    Head::Request { query, close, len } => {
                        buf.drain(..len);
                        if buf.is_empty() {
                            buf = Vec::new();
                        }
                        (query, close)
                    }
                };
                let outcome = Box::pin(answer_async(&shared, query, &Hasher::Inline)).await;
                let (bytes, close) = respond(outcome, close);
                if stream.write_all(&bytes).await.is_err() || close {
                    break;
                }
            }
            drop(slot);
        });
    }
}

/// How long `rounds` rounds of the chain take here, ms: the median of 5 (the sweep's p99 bound counts a
/// request's hashing beside its wait).
pub fn hash_ms(rounds: u32) -> f64 {
    let mut t: Vec<f64> = (0..5u64)
        .map(|seed| {
            let start = std::time::Instant::now();
            std::hint::black_box(chain(seed, rounds));
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

/// The rounds whose hashing takes about `ms` here, and how long they take ([`hash_ms`]): scaled from a
/// first measure of 20,000 rounds, then once more from a measure of that many (a short chain runs faster
/// per round than a long one on a CPU that has not yet raised its clock).
pub fn rounds_for_ms(ms: f64) -> (u32, f64) {
    let scaled =
        |rounds: u32, took: f64| (rounds as f64 * ms / took.max(1e-9)).round().clamp(1.0, 4e6) as u32;
    let first = scaled(20_000, hash_ms(20_000));
    let rounds = scaled(first, hash_ms(first));
    (rounds, hash_ms(rounds))
}
