//! The open-loop client and the latency recorder of `cvp latency`, the same for every structure.
//!
//! The client is one OS thread. Request `i` is due at `start + i x interval`; the client sleeps to just
//! before that instant, spins to it (on one CPU it only sleeps, with a 1 ns timer slack: a spin would take
//! the server's only CPU), sends the request stamped with its **due** time and never waits for an answer
//! (open loop). When the batch ends it still sends every request due before that instant, however late it
//! is. A handler's latency is the instant it finished minus that due time, so a server that stalls is
//! charged for every request that fell due during the stall (coordinated omission, as wrk2 and HdrHistogram
//! describe it), and a client that ran late is charged too, never hidden.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use crate::workload::chain;

/// Where the client may spin (a CPU of its own, or more than one CPU), it sleeps until this long before a
/// request is due, then spins: a sleep alone overshoots by tens of microseconds (and more under load), a
/// spin alone would keep one CPU busy. Sharing the server's only CPU it never spins (a spin would burn the
/// CPU the server needs): it sleeps to the due time with a 1 ns timer slack.
pub const SPIN: Duration = Duration::from_micros(60);

/// One light request, stamped with the instant it was due, not the instant it was sent.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// Its place in the schedule (also the seed it hashes).
    pub id: u64,
    /// When the schedule said it should be sent.
    pub due: Instant,
    /// When the client really sent it (later than `due` when the client itself ran late).
    pub sent: Instant,
}

/// Where handlers record latencies, in nanoseconds: (finish - due, finish - sent). The first is the
/// latency; the second leaves out the client's own lateness, to tell whose the tail is. It also keeps the
/// largest affinity mask any server thread read ([`Recorder::note_cpus`]). Cheap to clone, one per handler
/// thread or task.
#[derive(Clone)]
pub struct Recorder(mpsc::Sender<(u64, u64)>, Arc<AtomicUsize>);

impl Recorder {
    /// A recorder and the receiving end that collects what every clone recorded.
    pub fn new() -> (Recorder, mpsc::Receiver<(u64, u64)>) {
        let (tx, rx) = mpsc::channel();
        (Recorder(tx, Arc::new(AtomicUsize::new(0))), rx)
    }

    /// Reads the calling thread's affinity mask (a heavy thread, a rayon job, a tokio task's worker, the
    /// request handler) and keeps the largest seen.
    pub fn note_cpus(&self) {
        if let Some(n) = crate::machine::cpus_allowed_now() {
            self.1.fetch_max(n, Ordering::Relaxed);
        }
    }

    /// The largest affinity mask a server thread read, if any did.
    pub fn cpus_seen(&self) -> Option<usize> {
        Some(self.1.load(Ordering::Relaxed)).filter(|&n| n > 0)
    }

    /// Records that `req` is finished now.
    pub fn done(&self, req: &Request) {
        let now = Instant::now();
        let ns = |since: Instant| {
            u64::try_from(now.saturating_duration_since(since).as_nanos()).unwrap_or(u64::MAX)
        };
        // The receiver lives until the run is collected; a send can only fail after that, when nothing
        // would read the value anyway.
        let _ = self.0.send((ns(req.due), ns(req.sent)));
    }
}

/// Handles one request: one SHA-256 of its id, then records its latency.
pub fn handle(req: &Request, rec: &Recorder) {
    std::hint::black_box(chain(req.id, 0));
    rec.done(req);
}

/// What the client did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClientStats {
    /// Requests sent.
    pub sent: u64,
    /// The latest the client itself sent a request after its due time.
    pub max_late: Duration,
    /// Requests the client sent more than one interval after their due time (it fell behind its schedule).
    pub behind: u64,
    /// CPUs the client thread could run on (its affinity mask), when the platform tells.
    pub cpus: Option<usize>,
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

/// The instant the heavy batch ended, set once by whoever ends it (0 = not yet), read by the client.
#[derive(Debug)]
pub struct BatchEnd {
    origin: Instant,
    /// Nanoseconds after `origin`, plus one; 0 while the batch runs.
    nanos: AtomicU64,
}

impl BatchEnd {
    /// A batch that has not ended; `origin` must be at or before any instant later passed to [`BatchEnd::set`].
    pub fn new(origin: Instant) -> BatchEnd {
        BatchEnd { origin, nanos: AtomicU64::new(0) }
    }

    /// Records that the batch ended at `at` (the first call wins).
    pub fn set(&self, at: Instant) {
        let ns = u64::try_from(at.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX - 1);
        let _ = self.nanos.compare_exchange(0, ns + 1, Ordering::AcqRel, Ordering::Acquire);
    }

    /// When the batch ended, if it has.
    pub fn get(&self) -> Option<Instant> {
        match self.nanos.load(Ordering::Acquire) {
            0 => None,
            n => Some(self.origin + Duration::from_nanos(n - 1)),
        }
    }
}

/// Runs the open-loop client on the calling thread: request `i` is due at `start + i x interval` and sent
/// through `send` at that instant (or at once, however late, when the client is behind). It sends every
/// request due before the instant the batch ended (`end`, checked before each request) and before `until`
/// (if any), and stops at the first due time at or after both: a client that is behind when the batch ends
/// still sends what was due, so the end of the batch hides no request. `send` returning false (the server is
/// gone) also ends it. With `spin` false (it shares the server's only CPU) it sleeps to each due time
/// (tight timer slack) instead of spinning the last [`SPIN`].
pub fn client(
    start: Instant,
    interval: Duration,
    end: &BatchEnd,
    until: Option<Instant>,
    spin: bool,
    mut send: impl FnMut(Request) -> bool,
) -> ClientStats {
    tight_timer_slack();
    let mut stats = ClientStats { cpus: crate::machine::cpus_allowed_now(), ..ClientStats::default() };
    for id in 0u64.. {
        let due = start + interval * u32::try_from(id).unwrap_or(u32::MAX);
        if let Some(ended) = end.get()
            && due >= ended
            && until.is_none_or(|u| due >= u)
        {
            break;
        }
        loop {
            let now = Instant::now();
            if now >= due {
                break;
            }
            let left = due - now;
            if !spin {
                std::thread::sleep(left);
            } else if left > SPIN {
                std::thread::sleep(left - SPIN);
            } else {
                std::hint::spin_loop();
            }
        }
        let late = Instant::now().saturating_duration_since(due);
        stats.max_late = stats.max_late.max(late);
        if late > interval {
            stats.behind += 1;
        }
        if !send(Request { id, due, sent: Instant::now() }) {
            break;
        }
        stats.sent += 1;
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_sends_on_schedule_until_stopped() {
        let start = Instant::now();
        let end = BatchEnd::new(start);
        end.set(start);
        let mut dues = Vec::new();
        let stats = client(
            start,
            Duration::from_millis(1),
            &end,
            Some(start + Duration::from_millis(20)),
            true,
            |r| {
                dues.push(r.due);
                true
            },
        );
        assert_eq!(stats.sent, 20);
        assert!(dues.windows(2).all(|w| w[1] - w[0] == Duration::from_millis(1)));
        assert!(start.elapsed() >= Duration::from_millis(19));
    }
}
