//! The server under load in `cvp latency`: the five structures that run a heavy batch while serving the
//! light requests of [`super::client`]'s open-loop client. Nothing here analyses or prints.
//!
//! Requests reach the tokio structures through a channel, so no runtime timer is on the measured path.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use super::Structure;
use super::client::{BatchEnd, ClientStats, Recorder, Request, client, handle};
use crate::workload::{Digest, Job, Workload, WorkloadKind, chain};

/// The heavy batch: `jobs` cpu_bound jobs of `rounds` rounds each (seeds `0..jobs`), and for
/// `async_yield` how many rounds to hash between two yields.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Batch {
    /// Heavy jobs.
    pub jobs: usize,
    /// SHA-256 rounds per heavy job.
    pub rounds: u32,
    /// `async_yield` yields after this many rounds (about 100 us of hashing).
    pub yield_rounds: u32,
}

impl Batch {
    fn workload(&self) -> Workload {
        Workload::new(WorkloadKind::CpuBound, self.jobs, Duration::ZERO, self.rounds)
    }
}

/// The light load: one request every `interval`, or none (the batch alone).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    /// Time between two due times.
    pub interval: Duration,
    /// Keep sending at least this long, even when the batch is done sooner (the idle floor has no batch).
    pub at_least: Duration,
}

/// What one run of a structure measured.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Latency of every served request (finish - due), ns.
    pub latencies_ns: Vec<u64>,
    /// The same requests from the instant the client really sent them (finish - sent), ns.
    pub since_sent_ns: Vec<u64>,
    /// The client's own account (all zero without a load).
    pub client: ClientStats,
    /// From the start of the schedule to the last heavy job's end.
    pub batch: Duration,
    /// XOR of the heavy jobs' digests.
    pub digest: Digest,
    /// Involuntary context switches of the whole process during the run (the OS preempted a runnable thread).
    pub involuntary_switches: u64,
    /// Voluntary context switches (a thread blocked or slept).
    pub voluntary_switches: u64,
    /// CPUs the server could use: the largest affinity mask read by the thread that starts the server, and
    /// every heavy thread, rayon job, tokio heavy task and request handler (the client's is in `client`).
    pub cpus: Option<usize>,
}

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A thread, pool or runtime could not be started.
    #[error("starting {what}: {cause}")]
    Start {
        /// What was being started.
        what: String,
        /// The cause.
        cause: std::io::Error,
    },
    /// A thread or task died.
    #[error("{0} failed while running")]
    Died(String),
}

fn start_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServeError {
    let what = what.into();
    move |cause| ServeError::Start { what, cause }
}

/// Voluntary and involuntary context switches of the whole process so far.
pub fn context_switches() -> (u64, u64) {
    // SAFETY: `usage` is a zeroed rusage owned by this frame; getrusage fills it in.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return (0, 0);
        }
        (usage.ru_nvcsw as u64, usage.ru_nivcsw as u64)
    }
}

/// Voluntary and involuntary context switches of the calling thread so far (Linux; elsewhere zero).
fn thread_switches() -> (u64, u64) {
    #[cfg(target_os = "linux")]
    // SAFETY: `usage` is a zeroed rusage owned by this frame; getrusage fills it in.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_THREAD, &mut usage) == 0 {
            return (usage.ru_nvcsw as u64, usage.ru_nivcsw as u64);
        }
    }
    (0, 0)
}

/// How requests reach a structure: a std channel for the thread structures, a tokio one for the async ones.
enum Inbox {
    Std(mpsc::Receiver<Request>),
    Tokio(tokio::sync::mpsc::UnboundedReceiver<Request>),
}

/// Starts the schedule: picks its first due time a little ahead, hands it to the client, and waits for it.
/// Every structure calls it once, after its threads exist, so starting them is not on the batch's clock.
struct Clock {
    to_client: Option<mpsc::Sender<Instant>>,
}

impl Clock {
    fn begin(mut self) -> Instant {
        let start = Instant::now() + Duration::from_micros(200);
        if let Some(tx) = self.to_client.take() {
            // The client waits for this; if it is gone the run reports it when joined.
            let _ = tx.send(start);
        }
        while Instant::now() < start {
            std::hint::spin_loop();
        }
        start
    }
}

/// Runs `structure` with `workers` on `batch`, with the light `load` (or without, for the batch alone). The
/// server's threads have the calling thread's affinity; the client thread pins itself to `client_cpus`
/// first (none: it keeps the caller's), and its own context switches are left out of the process's.
pub fn run(
    structure: Structure,
    workers: usize,
    batch: Batch,
    load: Option<Load>,
    client_cpus: &[usize],
) -> Result<Measured, ServeError> {
    let (rec, latencies) = Recorder::new();
    let end = Arc::new(BatchEnd::new(Instant::now()));
    // Build the inbox and the client's sending end before anything starts.
    let (inbox, send): (Inbox, Box<dyn FnMut(Request) -> bool + Send>) = if structure.is_async() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (Inbox::Tokio(rx), Box::new(move |r| tx.send(r).is_ok()))
    } else {
        let (tx, rx) = mpsc::channel();
        (Inbox::Std(rx), Box::new(move |r| tx.send(r).is_ok()))
    };
    let server = Server::build(structure, workers)?;
    rec.note_cpus();
    let (vol0, invol0) = context_switches();
    let (clock, client) = match load {
        Some(load) => {
            let end = Arc::clone(&end);
            let mut send = send;
            let (tx, rx) = mpsc::channel::<Instant>();
            let pin = client_cpus.to_vec();
            // The client spins the last few microseconds only where that takes no CPU from the server: on
            // CPUs of its own, or where more than one CPU is shared.
            let server_cpus = crate::machine::allowed_cpu_ids().unwrap_or_default();
            let spin = if pin.is_empty() {
                crate::machine::cpus_allowed_now() != Some(1)
            } else {
                pin.len() > 1 || pin.iter().all(|c| !server_cpus.contains(c))
            };
            let handle = std::thread::Builder::new()
                .name("cvp-latency-client".into())
                .spawn(move || -> Result<(ClientStats, (u64, u64)), std::io::Error> {
                    if !pin.is_empty() {
                        crate::machine::pin_this_thread_to(&pin)?;
                    }
                    let (v0, i0) = thread_switches();
                    let stats = match rx.recv() {
                        Ok(start) => {
                            client(start, load.interval, &end, Some(start + load.at_least), spin, &mut send)
                        }
                        Err(_) => ClientStats::default(),
                    };
                    let (v1, i1) = thread_switches();
                    Ok((stats, (v1.saturating_sub(v0), i1.saturating_sub(i0))))
                })
                .map_err(start_err("the client thread"))?;
            (Clock { to_client: Some(tx) }, Some(handle))
        }
        None => {
            drop(send);
            (Clock { to_client: None }, None)
        }
    };
    let done = {
        let end = Arc::clone(&end);
        move |at: Instant| end.set(at)
    };
    let served = server.serve(batch, inbox, &rec, clock, done);
    // A server that failed before its batch ended never said so: end the batch now, never hang.
    end.set(Instant::now());
    let (client, (client_vol, client_invol)) = match client {
        Some(h) => h
            .join()
            .map_err(|_| ServeError::Died("the client thread".into()))?
            .map_err(start_err(format!("the client thread on CPUs {client_cpus:?}")))?,
        None => (ClientStats::default(), (0, 0)),
    };
    let (vol1, invol1) = context_switches();
    let (batch_time, digest) = served?;
    let cpus = rec.cpus_seen();
    drop(rec);
    let (latencies_ns, since_sent_ns) = latencies.try_iter().unzip();
    Ok(Measured {
        latencies_ns,
        since_sent_ns,
        client,
        batch: batch_time,
        digest,
        involuntary_switches: invol1.saturating_sub(invol0).saturating_sub(client_invol),
        voluntary_switches: vol1.saturating_sub(vol0).saturating_sub(client_vol),
        cpus,
    })
}

/// A structure with its threads, pool or runtime built (outside the measured time).
enum Server {
    Sequential,
    Threads(usize),
    Async { rt: tokio::runtime::Runtime, workers: usize, yield_rounds: bool },
    Offload { rt: tokio::runtime::Runtime, pool: Arc<rayon::ThreadPool> },
}

/// The suite's runtime for N workers ([`crate::strategy::tokio_runtime`]): one event loop at N = 1, so
/// `async` on one worker means the same program here as in `cvp run` and `cvp scale`.
fn runtime(workers: usize, name: &'static str) -> Result<tokio::runtime::Runtime, ServeError> {
    crate::strategy::tokio_runtime(workers, name)
        .map_err(start_err(format!("a tokio runtime of {workers} worker(s)")))
}

impl Server {
    fn build(structure: Structure, workers: usize) -> Result<Server, ServeError> {
        Ok(match structure {
            Structure::Sequential => Server::Sequential,
            Structure::Threads => Server::Threads(workers),
            Structure::Async => {
                Server::Async { rt: runtime(workers, "cvp-lat-async")?, workers, yield_rounds: false }
            }
            Structure::AsyncYield => {
                Server::Async { rt: runtime(workers, "cvp-lat-yield")?, workers, yield_rounds: true }
            }
            Structure::AsyncOffload => Server::Offload {
                rt: runtime(1, "cvp-lat-offload-io")?,
                pool: Arc::new(
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(workers)
                        .thread_name(|i| format!("cvp-lat-offload-cpu-{i}"))
                        .build()
                        .map_err(|e| ServeError::Start {
                            what: format!("a rayon pool of {workers}"),
                            cause: std::io::Error::other(e),
                        })?,
                ),
            },
        })
    }

    /// Starts the clock, runs the batch and serves every request the client sends until it stops; `done`
    /// is called with the instant the last heavy job ended (the client then sends what was due before it
    /// and stops). Returns the batch time and the batch digest.
    fn serve(
        self,
        batch: Batch,
        inbox: Inbox,
        rec: &Recorder,
        clock: Clock,
        done: impl FnOnce(Instant),
    ) -> Result<(Duration, Digest), ServeError> {
        let work = batch.workload();
        match (self, inbox) {
            (Server::Sequential, Inbox::Std(rx)) => {
                let start = clock.begin();
                let mut digest = Digest::default();
                for job in work.jobs() {
                    digest ^= job.run_blocking();
                    while let Ok(req) = rx.try_recv() {
                        handle(&req, rec);
                    }
                }
                let ended = Instant::now();
                done(ended);
                let elapsed = ended - start;
                for req in rx {
                    handle(&req, rec);
                }
                Ok((elapsed, digest))
            }
            (Server::Threads(n), Inbox::Std(rx)) => threads(n, &work, rx, rec, clock, done),
            (Server::Async { rt, workers, yield_rounds }, Inbox::Tokio(rx)) => {
                let every = if yield_rounds { Some(batch.yield_rounds.max(1)) } else { None };
                let start = clock.begin();
                let out = rt.block_on(async_serve(&work, rx, rec.clone(), start, done, workers, every, None));
                rt.shutdown_background();
                out
            }
            (Server::Offload { rt, pool }, Inbox::Tokio(rx)) => {
                let start = clock.begin();
                let n = pool.current_num_threads();
                let out = rt.block_on(async_serve(&work, rx, rec.clone(), start, done, n, None, Some(pool)));
                rt.shutdown_background();
                out
            }
            _ => unreachable!("the inbox is built for the structure"),
        }
    }
}

/// A one-shot barrier: threads wait until the main thread opens it (however many were started).
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    changed: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = self.changed.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.changed.notify_all();
    }
}

/// `threads`: N OS threads pull heavy jobs from a shared counter; one more thread blocks on the request
/// channel. The OS decides who runs; on one core it preempts. The threads are spawned before the clock
/// starts and wait on a barrier that releases them at the first due time.
fn threads(
    n: usize,
    work: &Workload,
    rx: mpsc::Receiver<Request>,
    rec: &Recorder,
    clock: Clock,
    done: impl FnOnce(Instant),
) -> Result<(Duration, Digest), ServeError> {
    let next = AtomicUsize::new(0);
    let gate = Gate::default();
    std::thread::scope(|s| {
        let requests = std::thread::Builder::new()
            .name("cvp-lat-requests".into())
            .spawn_scoped(s, move || {
                rec.note_cpus();
                for req in rx {
                    handle(&req, rec);
                }
            })
            .map_err(start_err("the request thread"))?;
        let mut heavy = Vec::with_capacity(n);
        let mut refused = None;
        for i in 0..n {
            let (next, gate) = (&next, &gate);
            let spawned =
                std::thread::Builder::new().name(format!("cvp-lat-heavy-{i}")).spawn_scoped(s, move || {
                    gate.wait();
                    rec.note_cpus();
                    let mut d = Digest::default();
                    loop {
                        let j = next.fetch_add(1, Ordering::Relaxed);
                        if j >= work.jobs {
                            return d;
                        }
                        d ^= work.job(j).run_blocking();
                    }
                });
            match spawned {
                Ok(h) => heavy.push(h),
                Err(e) => {
                    // The started threads take the remaining jobs; the error is still reported.
                    refused =
                        Some(ServeError::Start { what: format!("heavy thread {} of {n}", i + 1), cause: e });
                    break;
                }
            }
        }
        let start = clock.begin();
        gate.open();
        let mut digest = Digest::default();
        let mut died = false;
        for h in heavy {
            match h.join() {
                Ok(d) => digest ^= d,
                Err(_) => died = true,
            }
        }
        let ended = Instant::now();
        done(ended);
        let elapsed = ended - start;
        let requests_ok = requests.join().is_ok();
        if let Some(e) = refused {
            return Err(e);
        }
        if died || !requests_ok {
            return Err(ServeError::Died("a thread of `threads`".into()));
        }
        Ok((elapsed, digest))
    })
}

/// Continues a SHA-256 chain from `h` for `rounds` rounds (the same steps as [`chain`]).
#[inline(never)]
fn continue_chain(mut h: [u8; 32], rounds: u32) -> [u8; 32] {
    for _ in 0..rounds {
        h = Sha256::digest(h).into();
    }
    h
}

/// One heavy job as a task: hashed inline (the loop is blocked for the whole job), or in slices of
/// `yield_every` rounds with a `yield_now` between them.
async fn heavy_task(job: Job, yield_every: Option<u32>) -> Digest {
    let Some(every) = yield_every else {
        return chain(job.seed, job.rounds);
    };
    let mut h: [u8; 32] = Sha256::digest(job.seed.to_le_bytes()).into();
    let mut left = job.rounds;
    while left > 0 {
        let k = left.min(every);
        h = continue_chain(h, k);
        left -= k;
        tokio::task::yield_now().await;
    }
    Digest(h)
}

/// `async`, `async_yield` and `async_offload`: one dispatcher task receives requests and handles each
/// inline (one SHA-256, no task spawned per request, so a request waits for the dispatcher's turn once, not
/// again for a handler's); heavy jobs are tasks hashing inline (optionally yielding), or hashed on a rayon
/// pool. Every job is a task from the start, but at most `in_flight` (the worker count) hash at once, through
/// a semaphore: the others wait for a permit and are not runnable, so a request waits behind at most
/// `in_flight` slices, however many jobs the batch has.
#[allow(clippy::too_many_arguments)]
async fn async_serve(
    work: &Workload,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Request>,
    rec: Recorder,
    start: Instant,
    done: impl FnOnce(Instant),
    in_flight: usize,
    yield_every: Option<u32>,
    pool: Option<Arc<rayon::ThreadPool>>,
) -> Result<(Duration, Digest), ServeError> {
    // Every piece is spawned, so the runtime's scheduler decides who runs: on one worker (the current-thread
    // runtime) the thread in block_on is that worker and runs every task; on N, the N workers do.
    let handler = rec.clone();
    let dispatcher = tokio::spawn(async move {
        let rec = handler;
        rec.note_cpus();
        while let Some(req) = rx.recv().await {
            handle(&req, &rec);
        }
    });
    let permits = Arc::new(tokio::sync::Semaphore::new(in_flight.max(1)));
    let tasks: Vec<_> = work
        .jobs()
        .map(|job| {
            let permits = Arc::clone(&permits);
            let pool = pool.clone();
            let rec = rec.clone();
            tokio::spawn(async move {
                // The semaphore is never closed, so acquiring only waits.
                let _permit = permits.acquire_owned().await.ok();
                match pool {
                    Some(pool) => {
                        let (tx, rx) = tokio::sync::oneshot::channel();
                        pool.spawn(move || {
                            rec.note_cpus();
                            let _ = tx.send(chain(job.seed, job.rounds));
                        });
                        rx.await.unwrap_or_default()
                    }
                    None => {
                        rec.note_cpus();
                        heavy_task(job, yield_every).await
                    }
                }
            })
        })
        .collect();
    let mut digest = Digest::default();
    let mut died = false;
    for t in tasks {
        match t.await {
            Ok(d) => digest ^= d,
            Err(_) => died = true,
        }
    }
    let ended = Instant::now();
    done(ended);
    let elapsed = ended - start;
    let served = dispatcher.await.is_ok();
    if died || !served {
        return Err(ServeError::Died("a task".into()));
    }
    Ok((elapsed, digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yielding_chain_computes_the_same_digest() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let job = Job { seed: 5, wait: Duration::ZERO, rounds: 1000 };
        for every in [1, 7, 999, 1000, 5000] {
            assert_eq!(rt.block_on(heavy_task(job, Some(every))), chain(5, 1000), "every {every}");
        }
    }
}
