//! The recording probe of `cvp trace`: each phase of each job with its two instants, the OS thread that
//! started it and that thread's own CPU clock at both ends. Everything else builds the strategies with
//! `NoProbe`, which records nothing.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use super::{Interval, TraceError};
use crate::strategy::{Phase, Probe};

/// The OS thread names seen by any [`Tracer`], by thread id: a thread's name is registered once, the first
/// time it marks a phase, so a mark is plain numbers.
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

/// The calling thread's own CPU time (`CLOCK_THREAD_CPUTIME_ID`), ns: the time the kernel ran this thread.
#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> Option<u64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

/// Where a phase started: when, on which thread, and that thread's CPU clock then.
#[derive(Clone, Copy)]
pub struct Mark {
    at: Instant,
    tid: u64,
    cpu_ns: Option<u64>,
}

struct Raw {
    job: u64,
    phase: Phase,
    start: Mark,
    end: Instant,
    /// The CPU time of the start thread over the phase, when the phase also ended on that thread.
    cpu_ns: Option<u64>,
}

/// The recording [`Probe`]: every phase of every job, with its start thread, its two instants and the
/// thread's own CPU time over it, into one log. It is `Copy` (a probe must be, see [`Probe`]), so the log
/// is a leaked `&'static`: one small mutex and vector per tracer, which `cvp trace` makes once per pass.
#[derive(Clone, Copy)]
pub struct Tracer {
    log: &'static Mutex<Vec<Raw>>,
}

impl Probe for Tracer {
    type Mark = Mark;
    fn mark(&self) -> Mark {
        let tid = this_thread();
        let cpu_ns = thread_cpu_ns();
        Mark { at: Instant::now(), tid, cpu_ns }
    }
    fn record(&self, job: u64, phase: Phase, start: Mark) {
        let end = Instant::now();
        // A thread's CPU clock means something only on that thread (an async task may resume elsewhere).
        let cpu_ns = if this_thread() == start.tid {
            thread_cpu_ns().zip(start.cpu_ns).map(|(e, s)| e.saturating_sub(s))
        } else {
            None
        };
        // A poisoned log only means another job panicked; that run fails anyway.
        if let Ok(mut log) = self.log.lock() {
            log.push(Raw { job, phase, start, end, cpu_ns });
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

    /// Drops what was recorded (the warm-up), keeping the log's room: the next pass then records without
    /// growing it.
    pub fn clear(&self) {
        if let Ok(mut l) = self.log.lock() {
            l.clear();
        }
    }

    /// Takes what was recorded, as intervals relative to `origin` (the start of the pass), in start order.
    /// An interval that starts before `origin` or ends before it starts is an error, never clamped: it
    /// would mean the log holds something from outside the pass.
    pub fn take(&self, origin: Instant) -> Result<Vec<Interval>, TraceError> {
        let raw = self.log.lock().map(|mut l| {
            let room = l.capacity();
            std::mem::replace(&mut *l, Vec::with_capacity(room))
        });
        let raw = raw.unwrap_or_default();
        let names = NAMES.lock().map(|n| n.clone()).unwrap_or_default();
        let mut out = Vec::with_capacity(raw.len());
        for r in raw {
            let outside = || TraceError::OutsideThePass { job: r.job, phase: r.phase };
            let start = r.start.at.checked_duration_since(origin).ok_or_else(outside)?;
            let end = r.end.checked_duration_since(origin).ok_or_else(outside)?;
            if end < start {
                return Err(outside());
            }
            out.push(Interval {
                job: r.job,
                phase: r.phase,
                thread: names.get(&r.start.tid).cloned().unwrap_or_else(|| "<unnamed>".into()),
                tid: r.start.tid,
                start_ns: start.as_nanos() as u64,
                end_ns: end.as_nanos() as u64,
                cpu_ns: r.cpu_ns,
            });
        }
        out.sort_by_key(|i| (i.start_ns, i.end_ns, i.job));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_from_before_the_pass_is_an_error() {
        let tracer = Tracer::new();
        let m = tracer.mark();
        tracer.record(3, Phase::Hash, m);
        let later = Instant::now() + std::time::Duration::from_millis(50);
        assert!(matches!(tracer.take(later), Err(TraceError::OutsideThePass { job: 3, phase: Phase::Hash })));
        let origin = Instant::now();
        let m = tracer.mark();
        std::hint::black_box(crate::workload::chain(0, 2000));
        tracer.record(4, Phase::Hash, m);
        let got = tracer.take(origin).unwrap();
        assert_eq!(got.len(), 1);
        assert!(got[0].cpu_ns.is_some_and(|c| c > 0) || !cfg!(target_os = "linux"));
        tracer.record(5, Phase::Wait, tracer.mark());
        tracer.clear();
        assert!(tracer.take(origin).unwrap().is_empty());
    }
}
