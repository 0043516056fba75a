//! The load generator of `cvp server`: open loop at a constant rate over C keep-alive HTTP/1.1 connections,
//! as wrk2 drives a server. It runs in the process that sweeps (never in the server's), on CPUs of its own
//! where the machine has them.
//!
//! Request `i` of a step is due at `start + i / rate` and goes to connection `i mod C` (each connection
//! carries rate / C, wrk2's arrangement). A pacer thread sleeps to each due instant (1 ns timer slack) and
//! hands the request to its connection's task; a connection sends it as soon as its previous reply is in.
//! Each request's **latency** runs from its due time to its reply, so a server that stalls is charged for
//! every request that fell due during the stall (coordinated omission, as wrk2 and HdrHistogram describe
//! it); the **after-send** latency beside it runs from the instant it was sent. The generator's own **lag**
//! is the send instant minus the later of the due time and the previous reply on its connection: what the
//! generator itself added, which a step must keep small to be the server's measurement at all.
//!
//! Every reply's body is checked against the digest the suite's chain gives for its seed (seeds cycle over
//! [`SEEDS`] values whose digests are computed before the step, so checking costs a comparison).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc as tmpsc;

use super::{MAX_HEAD_BYTES, Query};

/// Distinct seeds the requests cycle over; their digests are computed once, before any step. In a mix
/// (C7's), the last seed's requests are the heavy ones: one in [`crate::claims::C7_SERVER_EVERY`].
pub const SEEDS: u64 = crate::claims::C7_SERVER_EVERY;

/// Whether request `id` is a heavy one of a mix.
pub fn is_heavy(id: u64) -> bool {
    id % SEEDS == SEEDS - 1
}
/// How long connecting C connections may take before a step is given up.
const CONNECT_LIMIT: Duration = Duration::from_secs(10);

/// One step: a constant rate for `warmup + window`, the requests due in `window` counted.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// Requests per second offered.
    pub rate: f64,
    /// Requests due in this first part are sent and answered but not counted (connections settle, the
    /// server's threads start).
    pub warmup: Duration,
    /// The part whose requests are counted.
    pub window: Duration,
    /// How long after the last due time replies are still awaited; one not in by then is unanswered.
    pub drain: Duration,
}

/// One request's outcome, times in nanoseconds from the step's start.
#[derive(Clone, Debug)]
struct Record {
    id: u64,
    due: u64,
    sent: u64,
    free: u64,
    done: u64,
    error: Option<String>,
}

/// What the generator measured in one step (the requests due in its window).
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Requests due in the window.
    pub counted: u64,
    /// Latency from the due time, ns, of each counted request answered correctly.
    pub latency_ns: Vec<u64>,
    /// In a mix, the same of the light requests only (empty without a mix).
    pub light_ns: Vec<u64>,
    /// In a mix, the light requests due in the window (0 without a mix).
    pub light_counted: u64,
    /// Latency from the send, ns, of the same requests.
    pub after_send_ns: Vec<u64>,
    /// The generator's own lag, ns, of every counted request it sent.
    pub lag_ns: Vec<u64>,
    /// Counted requests that failed (refused, wrong digest, closed connection).
    pub errors: u64,
    /// Counted requests with no reply by the end of the drain.
    pub unanswered: u64,
    /// For each of those, the time from its due time to the end of the drain, ns: a lower bound on its
    /// latency.
    pub unanswered_ns: Vec<u64>,
    /// The window as measured between the two edges, s (the nominal one, if the edges ran late).
    pub window_s: f64,
    /// The first error, as the reply or the socket said it.
    pub first_error: Option<String>,
    /// The generator process's CPU time over the window.
    pub cpu: Duration,
}

/// The generator: its runtime (on the CPUs this process is pinned to) and what every request asks for.
pub struct Generator {
    runtime: tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    connections: usize,
    query: Query,
    /// The rounds of a mix's heavy requests ([`is_heavy`]); 0: no mix, every request is `query`'s.
    heavy_rounds: u32,
    expected: Arc<Vec<Vec<u8>>>,
}

impl Generator {
    /// A generator of `connections` connections to `addr` on a runtime of `threads` workers, asking each
    /// request for `query`'s rounds and wait (the seed cycles). Computes the [`SEEDS`] digests now.
    pub fn new(
        addr: std::net::SocketAddr,
        connections: usize,
        threads: usize,
        query: Query,
    ) -> std::io::Result<Generator> {
        Generator::with_mix(addr, connections, threads, query, 0)
    }

    /// [`Generator::new`] with a mix: the heavy requests ([`is_heavy`]) ask for `heavy_rounds` rounds
    /// (none with 0), and each step's outcome keeps the light requests' latencies apart.
    pub fn with_mix(
        addr: std::net::SocketAddr,
        connections: usize,
        threads: usize,
        query: Query,
        heavy_rounds: u32,
    ) -> std::io::Result<Generator> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("cvp-load")
            .enable_all()
            .build()?;
        let rounds =
            move |seed: u64| if heavy_rounds > 0 && is_heavy(seed) { heavy_rounds } else { query.rounds };
        let expected = (0..SEEDS)
            .map(|seed| {
                let mut hex = crate::workload::chain(seed, rounds(seed)).to_hex().into_bytes();
                hex.push(b'\n');
                hex
            })
            .collect();
        Ok(Generator { runtime, addr, connections, query, heavy_rounds, expected: Arc::new(expected) })
    }

    /// The request for `id`, as bytes.
    fn request(&self, id: u64) -> Vec<u8> {
        format!(
            "GET /job?seed={}&rounds={}&wait_ms={} HTTP/1.1\r\nHost: {}\r\n\r\n",
            id % SEEDS,
            if self.heavy_rounds > 0 && is_heavy(id) { self.heavy_rounds } else { self.query.rounds },
            self.query.wait_ms,
            self.addr
        )
        .into_bytes()
    }

    /// Every seed's request, as bytes, shared by the connections.
    fn requests(&self) -> Arc<Vec<Vec<u8>>> {
        Arc::new((0..SEEDS).map(|s| self.request(s)).collect())
    }

    /// A connection's task state over `stream`, reporting to `records`, its times from `start`.
    fn connection(
        &self,
        stream: TcpStream,
        records: mpsc::Sender<Record>,
        start: Instant,
        interval_ns: f64,
    ) -> Connection {
        Connection {
            addr: self.addr,
            stream: Some(stream),
            buf: Vec::with_capacity(512),
            expected: Arc::clone(&self.expected),
            records,
            start,
            interval_ns,
        }
    }

    /// Runs one step: opens the connections (before the clock starts), paces the requests, calls
    /// `at_edge(0)` as the window opens and `at_edge(1)` as it closes (the caller samples the server
    /// there), then waits for the replies up to the drain and closes the connections.
    pub fn run(&self, step: Step, at_edge: impl FnMut(usize)) -> Result<Outcome, String> {
        self.run_after(step, || {}, at_edge)
    }

    /// [`Generator::run`], calling `connected` once every connection is open and before the clock starts
    /// (the caller may wait there for the server to finish accepting them: a thread per connection starts
    /// C threads, work that belongs to no step).
    pub fn run_after(
        &self,
        step: Step,
        connected: impl FnOnce(),
        mut at_edge: impl FnMut(usize),
    ) -> Result<Outcome, String> {
        let c = self.connections;
        let streams = self.runtime.block_on(async {
            let connects = (0..c).map(|_| TcpStream::connect(self.addr));
            let all = async {
                let mut out = Vec::with_capacity(c);
                for f in connects {
                    out.push(f.await?);
                }
                Ok::<_, std::io::Error>(out)
            };
            tokio::time::timeout(CONNECT_LIMIT, all).await
        });
        let streams = match streams {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(format!("connecting {c} connections to {}: {e}", self.addr)),
            Err(_) => return Err(format!("connecting {c} connections took over {CONNECT_LIMIT:?}")),
        };
        connected();
        let total_secs = (step.warmup + step.window).as_secs_f64();
        let n = (step.rate * total_secs).floor().max(1.0) as u64;
        let interval_ns = 1e9 / step.rate;
        let due_ns = move |i: u64| (i as f64 * interval_ns) as u64;
        let (warm_ns, end_ns) = (nanos(step.warmup), nanos(step.warmup + step.window));
        // The clock starts a little after now, so the pacer and the tasks are ready for request 0.
        let start = Instant::now() + Duration::from_millis(20);
        let (records_tx, records) = mpsc::channel::<Record>();
        let mut senders = Vec::with_capacity(c);
        let mut tasks = Vec::with_capacity(c);
        let requests = self.requests();
        for stream in streams {
            let (tx, rx) = tmpsc::unbounded_channel::<u64>();
            senders.push(tx);
            let conn = self.connection(stream, records_tx.clone(), start, interval_ns);
            tasks.push(self.runtime.spawn(conn.serve(rx, Arc::clone(&requests))));
        }
        drop(records_tx);
        let pacer = std::thread::Builder::new()
            .name("cvp-load-pacer".into())
            .spawn(move || {
                tight_timer_slack();
                for i in 0..n {
                    let due = start + Duration::from_nanos(due_ns(i));
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    if senders[(i % senders.len() as u64) as usize].send(i).is_err() {
                        break;
                    }
                }
                // Handed back, not dropped: a connection's task ends when its channel closes, and its
                // connection must stay open until the step is over (a server may serve connections in turn).
                senders
            })
            .map_err(|e| format!("cannot start the pacer: {e}"))?;
        sleep_until(start + Duration::from_nanos(warm_ns));
        let cpu0 = crate::measure::process_cpu_time();
        let opened = Instant::now();
        at_edge(0);
        sleep_until(start + Duration::from_nanos(end_ns));
        let closed = Instant::now();
        at_edge(1);
        let cpu = crate::measure::process_cpu_time().saturating_sub(cpu0);
        let senders = pacer.join().map_err(|_| "the pacer panicked".to_string())?;
        let deadline = start + Duration::from_nanos(due_ns(n - 1)) + step.drain;
        let mut out = Outcome { cpu, window_s: (closed - opened).as_secs_f64(), ..Outcome::default() };
        let mut got = 0u64;
        let in_window: Vec<u64> = (0..n).filter(|&i| (warm_ns..end_ns).contains(&due_ns(i))).collect();
        let mut reported = vec![false; in_window.len()];
        while got < n {
            let Ok(r) = records.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
                break;
            };
            got += 1;
            if !(warm_ns..end_ns).contains(&r.due) {
                continue;
            }
            out.counted += 1;
            if let Some(k) = in_window.first().and_then(|&f| r.id.checked_sub(f)) {
                reported[k as usize] = true;
            }
            out.lag_ns.push(r.sent.saturating_sub(r.free.max(r.due)));
            match r.error {
                None => {
                    out.latency_ns.push(r.done.saturating_sub(r.due));
                    if self.heavy_rounds > 0 && !is_heavy(r.id) {
                        out.light_ns.push(r.done.saturating_sub(r.due));
                    }
                    out.after_send_ns.push(r.done.saturating_sub(r.sent));
                }
                Some(e) => {
                    out.errors += 1;
                    out.first_error.get_or_insert(e);
                }
            }
        }
        for t in &tasks {
            t.abort();
        }
        drop(senders);
        // Requests due in the window that never reported: unanswered by the deadline, each at least as late
        // as the deadline.
        let deadline_ns = nanos(deadline.saturating_duration_since(start));
        for (k, &id) in in_window.iter().enumerate() {
            if !reported[k] {
                out.unanswered += 1;
                out.unanswered_ns.push(deadline_ns.saturating_sub(due_ns(id)));
            }
        }
        out.counted = in_window.len() as u64;
        if self.heavy_rounds > 0 {
            out.light_counted = in_window.iter().filter(|&&id| !is_heavy(id)).count() as u64;
        }
        Ok(out)
    }
}

impl Generator {
    /// Closed loop, as `wrk` drives a server: every connection sends its next request as soon as the last
    /// reply is in, for `duration`. Returns the correct replies per second, or the first error. For the
    /// cross-check with a client nobody here wrote (`tests/server_wrk.rs`), not for the sweep: a closed
    /// loop slows down with the server, so its latencies hide a stall.
    pub fn closed_loop(&self, duration: Duration) -> Result<f64, String> {
        let c = self.connections;
        let requests = self.requests();
        let (records_tx, records) = mpsc::channel::<Record>();
        let start = Instant::now();
        let end = start + duration;
        let mut tasks = Vec::with_capacity(c);
        for k in 0..c {
            let stream = self
                .runtime
                .block_on(TcpStream::connect(self.addr))
                .map_err(|e| format!("connecting to {}: {e}", self.addr))?;
            let mut conn = self.connection(stream, records_tx.clone(), start, 0.0);
            let requests = Arc::clone(&requests);
            tasks.push(self.runtime.spawn(async move {
                let mut id = k as u64;
                while Instant::now() < end {
                    let seed = (id % SEEDS) as usize;
                    let result = conn.exchange(&requests[seed], seed).await;
                    let done = conn.since_start(Instant::now());
                    let error = result.err();
                    let failed = error.is_some();
                    if conn.records.send(Record { id, due: 0, sent: 0, free: 0, done, error }).is_err()
                        || failed
                    {
                        return;
                    }
                    id += c as u64;
                }
            }));
        }
        drop(records_tx);
        let mut ok = 0u64;
        let end_ns = nanos(duration);
        while let Ok(r) =
            records.recv_timeout(end.saturating_duration_since(Instant::now()) + Duration::from_secs(5))
        {
            if let Some(e) = r.error {
                return Err(e);
            }
            if r.done <= end_ns {
                ok += 1;
            }
        }
        for t in &tasks {
            t.abort();
        }
        Ok(ok as f64 / duration.as_secs_f64())
    }
}

/// C keep-alive connections, opened by [`Generator::open`] for closed loops of exactly K requests
/// ([`Generator::exactly`]) that reuse them.
pub struct Open {
    connections: Vec<Connection>,
}

impl Generator {
    /// Opens the generator's C connections (within 10 s), so that no closed loop times a connect.
    pub fn open(&self) -> Result<Open, String> {
        let c = self.connections;
        let opened = self.runtime.block_on(async {
            let all = async {
                let mut out = Vec::with_capacity(c);
                for _ in 0..c {
                    out.push(TcpStream::connect(self.addr).await?);
                }
                Ok::<_, std::io::Error>(out)
            };
            // The timer is made inside the runtime.
            tokio::time::timeout(CONNECT_LIMIT, all).await
        });
        let streams = match opened {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(format!("connecting {c} connections to {}: {e}", self.addr)),
            Err(_) => return Err(format!("connecting {c} connections took over {CONNECT_LIMIT:?}")),
        };
        // A closed loop reports nothing per request: its records go nowhere.
        let (records, _) = mpsc::channel();
        let start = Instant::now();
        let connections =
            streams.into_iter().map(|s| self.connection(s, records.clone(), start, 0.0)).collect();
        Ok(Open { connections })
    }

    /// Closed loop of exactly `k` requests over `open`'s connections: each connection sends its next request
    /// as soon as its last reply is in, while fewer than `k` have been sent in all, and the call returns
    /// after the `k`-th reply. Returns the time from just before the first send to the last reply (the
    /// connections are already open; the C tasks that drive them are spawned inside it, microseconds).
    /// Every reply's digest is checked: a wrong one, a refusal, a connection closed, or fewer than `k`
    /// replies within `limit` is the error (and the connections are then spent).
    pub fn exactly(&self, open: &mut Open, k: u64, limit: Duration) -> Result<Duration, String> {
        if open.connections.is_empty() {
            return Err("no open connections (an earlier closed loop failed)".into());
        }
        let requests = self.requests();
        let next = Arc::new(AtomicU64::new(0));
        let answered = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let tasks: Vec<_> = std::mem::take(&mut open.connections)
            .into_iter()
            .map(|mut conn| {
                let (requests, next, answered) =
                    (Arc::clone(&requests), Arc::clone(&next), Arc::clone(&answered));
                self.runtime.spawn(async move {
                    loop {
                        let id = next.fetch_add(1, Ordering::Relaxed);
                        if id >= k {
                            return Ok(conn);
                        }
                        let seed = (id % SEEDS) as usize;
                        if let Err(e) = conn.exchange(&requests[seed], seed).await {
                            // The others stop at their next request.
                            next.fetch_max(k, Ordering::Relaxed);
                            return Err(format!("request {id} of {k}: {e}"));
                        }
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let aborts: Vec<_> = tasks.iter().map(|t| t.abort_handle()).collect();
        let joined = self.runtime.block_on(async {
            let all = async {
                let mut out = Vec::with_capacity(tasks.len());
                for t in tasks {
                    out.push(t.await.map_err(|e| format!("a connection's task failed: {e}"))?);
                }
                Ok::<_, String>(out)
            };
            tokio::time::timeout(limit, all).await
        });
        let elapsed = start.elapsed();
        let Ok(joined) = joined else {
            aborts.iter().for_each(tokio::task::AbortHandle::abort);
            let n = answered.load(Ordering::Relaxed);
            return Err(format!("{n} of {k} requests answered within {limit:?}"));
        };
        let mut first_error = None;
        for outcome in joined? {
            match outcome {
                Ok(conn) => open.connections.push(conn),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => {
                open.connections.clear();
                Err(e)
            }
            None => {
                let n = answered.load(Ordering::Relaxed);
                if n != k {
                    return Err(format!("{n} replies to {k} requests"));
                }
                Ok(elapsed)
            }
        }
    }
}

/// Nanoseconds of `d`, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Sleeps the calling thread until `t` (at once if it has passed).
fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        std::thread::sleep(t - now);
    }
}

/// Lets the calling thread's sleeps end within about a microsecond of their deadline instead of the
/// default 50 us timer slack (Linux; elsewhere nothing).
fn tight_timer_slack() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and affects only the calling thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

/// One connection's task: sends each request handed to it once its previous reply is in, reads and checks
/// the reply, and reports. A connection the server closed is opened again for the next request.
struct Connection {
    addr: std::net::SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    expected: Arc<Vec<Vec<u8>>>,
    records: mpsc::Sender<Record>,
    start: Instant,
    interval_ns: f64,
}

impl Connection {
    fn since_start(&self, t: Instant) -> u64 {
        nanos(t.saturating_duration_since(self.start))
    }

    async fn serve(mut self, mut ids: tmpsc::UnboundedReceiver<u64>, requests: Arc<Vec<Vec<u8>>>) {
        let mut free = 0u64;
        while let Some(id) = ids.recv().await {
            let due = (id as f64 * self.interval_ns) as u64;
            let sent = self.since_start(Instant::now());
            let result = self.exchange(&requests[(id % SEEDS) as usize], (id % SEEDS) as usize).await;
            let done = self.since_start(Instant::now());
            let error = result.err();
            if error.is_some() {
                self.stream = None;
                self.buf.clear();
            }
            if self.records.send(Record { id, due, sent, free, done, error }).is_err() {
                return;
            }
            free = done;
        }
    }

    /// One request and its reply on this connection (opened first if it is closed).
    async fn exchange(&mut self, request: &[u8], seed: usize) -> Result<(), String> {
        if self.stream.is_none() {
            self.stream = Some(TcpStream::connect(self.addr).await.map_err(|e| format!("reconnect: {e}"))?);
        }
        let stream = self.stream.as_mut().expect("opened above");
        let _ = stream.set_nodelay(true);
        stream.write_all(request).await.map_err(|e| format!("send: {e}"))?;
        let mut chunk = [0u8; 1024];
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.buf) {
                Ok(httparse::Status::Complete(head)) => {
                    let status = resp.code.unwrap_or(0);
                    let length = super::http::content_length(resp.headers)?;
                    let close = resp.headers.iter().any(|h| {
                        h.name.eq_ignore_ascii_case("connection") && h.value.eq_ignore_ascii_case(b"close")
                    });
                    if self.buf.len() >= head + length {
                        let body = self.buf[head..head + length].to_vec();
                        self.buf.drain(..head + length);
                        if close {
                            self.stream = None;
                            self.buf.clear();
                        }
                        if status != 200 {
                            let text = String::from_utf8_lossy(&body);
                            return Err(format!("{status}: {}", text.trim_end()));
                        }
                        if body != self.expected[seed] {
                            return Err(format!(
                                "seed {seed}: wrong digest {:?}",
                                String::from_utf8_lossy(&body[..body.len().min(80)])
                            ));
                        }
                        return Ok(());
                    }
                }
                Ok(httparse::Status::Partial) if self.buf.len() < MAX_HEAD_BYTES => {}
                Ok(httparse::Status::Partial) => return Err("a reply head over 8192 bytes".into()),
                Err(e) => return Err(format!("a malformed reply: {e}")),
            }
            let stream = self.stream.as_mut().ok_or("closed")?;
            match stream.read(&mut chunk).await {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e) => return Err(format!("receive: {e}")),
            }
        }
    }
}
