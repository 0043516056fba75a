//! The recording probe of `cvp trace`: each phase of each job with its two instants and the OS thread that
//! started it. Everything else builds the strategies with `NoProbe`, which records nothing.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use super::Interval;
use crate::strategy::{Phase, Probe};

/// The OS thread names seen by any [`Tracer`], by thread id: a thread's name is registered once, the first
/// time it marks a phase, so a mark is two plain numbers.
static NAMES: Mutex<BTreeMap<u64, String>> = Mutex::new(BTreeMap::new());

/// The calling thread's id, its name registered in [`NAMES`] on first use.
fn this_thread() -> u64 {
    thread_local! {
        static TID: u64 = {
            let tid = os_tid();
            let name = std::thread::current().name().unwrap_or("<unnamed>").to_string();
            if let Ok(mut names) = NAMES.lock() {
                names.insert(tid, name);
            }
            tid
        };
    }
    TID.with(|t| *t)
}

#[cfg(target_os = "linux")]
fn os_tid() -> u64 {
    // SAFETY: gettid has no preconditions and cannot fail.
    unsafe { libc::gettid() as u64 }
}

#[cfg(not(target_os = "linux"))]
fn os_tid() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Where a phase started: when, and on which thread.
#[derive(Clone, Copy)]
pub struct Mark {
    at: Instant,
    tid: u64,
}

struct Raw {
    job: u64,
    phase: Phase,
    start: Mark,
    end: Instant,
}

/// The recording [`Probe`]: every phase of every job, with its start thread and its two instants, into one
/// log. It is `Copy` (a probe must be, see [`Probe`]), so the log is a leaked `&'static`: one small mutex
/// and vector per tracer, which `cvp trace` makes once per strategy.
#[derive(Clone, Copy)]
pub struct Tracer {
    log: &'static Mutex<Vec<Raw>>,
}

impl Probe for Tracer {
    type Mark = Mark;
    fn mark(&self) -> Mark {
        let tid = this_thread();
        Mark { at: Instant::now(), tid }
    }
    fn record(&self, job: u64, phase: Phase, start: Mark) {
        let end = Instant::now();
        // A poisoned log only means another job panicked; that run fails anyway.
        if let Ok(mut log) = self.log.lock() {
            log.push(Raw { job, phase, start, end });
        }
    }
}

impl Default for Tracer {
    fn default() -> Tracer {
        Tracer::new()
    }
}

impl Tracer {
    /// A tracer with an empty log of its own.
    pub fn new() -> Tracer {
        Tracer { log: Box::leak(Box::new(Mutex::new(Vec::new()))) }
    }

    /// Takes what was recorded, as intervals relative to `origin`, in start order.
    pub fn take(&self, origin: Instant) -> Vec<Interval> {
        // Keep the room: the next pass then records without growing the log.
        let raw = self.log.lock().map(|mut l| {
            let room = l.capacity();
            std::mem::replace(&mut *l, Vec::with_capacity(room))
        });
        let raw = raw.unwrap_or_default();
        let names = NAMES.lock().map(|n| n.clone()).unwrap_or_default();
        let ns = |t: Instant| t.saturating_duration_since(origin).as_nanos() as u64;
        let mut out: Vec<Interval> = raw
            .into_iter()
            .map(|r| Interval {
                job: r.job,
                phase: r.phase,
                thread: names.get(&r.start.tid).cloned().unwrap_or_else(|| "<unnamed>".into()),
                tid: r.start.tid,
                start_ns: ns(r.start.at),
                end_ns: ns(r.end),
            })
            .collect();
        out.sort_by_key(|i| (i.start_ns, i.end_ns, i.job));
        out
    }
}
