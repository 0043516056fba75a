//! Wall time and process CPU time of one run, and cores busy derived from them.
//!
//! CPU time is the whole process's user + system time (`CLOCK_PROCESS_CPUTIME_ID`): every thread counts,
//! pool threads spinning before they sleep included. Context switches come from `getrusage(RUSAGE_SELF)`,
//! summed over every thread of the process, ended ones included: a **voluntary** switch is a thread giving
//! up its CPU because it blocks (a sleep, a lock, a join), an **involuntary** one is the kernel taking the
//! CPU from a thread that could have run on: time slicing. Nothing else is measured here. In flight, the other of
//! the two numbers, needs the measured one-job wait and lives with it, in the scaling model (`Point::in_flight`).

use std::time::{Duration, Instant};

/// What one run cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Elapsed wall-clock time.
    pub wall: Duration,
    /// CPU time of the whole process (user + system) over the same interval.
    pub cpu: Duration,
    /// Context switches of the whole process over the same interval.
    pub switches: Switches,
}

/// Context switches of a process, from `getrusage` (zero where the platform does not tell).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Switches {
    /// A thread blocked and gave up its CPU (`ru_nvcsw`).
    pub voluntary: u64,
    /// The kernel preempted a thread that could have run on (`ru_nivcsw`): time slicing.
    pub involuntary: u64,
}

impl Switches {
    /// The switches since `earlier`.
    pub fn since(self, earlier: Switches) -> Switches {
        Switches {
            voluntary: self.voluntary.saturating_sub(earlier.voluntary),
            involuntary: self.involuntary.saturating_sub(earlier.involuntary),
        }
    }
}

/// Context switches of this process so far, all threads (ended ones included).
pub fn process_switches() -> Switches {
    rusage_switches(libc::RUSAGE_SELF)
}

/// Context switches of the calling thread so far (Linux; zero elsewhere).
pub fn thread_switches() -> Switches {
    #[cfg(target_os = "linux")]
    {
        rusage_switches(libc::RUSAGE_THREAD)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Switches::default()
    }
}

fn rusage_switches(who: libc::c_int) -> Switches {
    // SAFETY: `ru` is a zeroed rusage owned by this frame, and `who` is a constant the platform defines.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return Switches::default();
    }
    Switches { voluntary: ru.ru_nvcsw as u64, involuntary: ru.ru_nivcsw as u64 }
}

/// CPU time used so far by the calling thread (user + system).
pub fn thread_cpu_time() -> Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

impl Sample {
    /// Cores busy: CPU time / wall time, the parallelism actually achieved.
    pub fn cores_busy(&self) -> f64 {
        cores_busy(self.cpu, self.wall)
    }
}

/// Cores busy = CPU time / wall time (0 for a zero wall time).
pub fn cores_busy(cpu: Duration, wall: Duration) -> f64 {
    if wall.is_zero() { 0.0 } else { cpu.as_secs_f64() / wall.as_secs_f64() }
}

/// CPU time used so far by this process, all threads, user + system.
pub fn process_cpu_time() -> Duration {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant the platform defines.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `f` once and returns its result with the wall and CPU time it took.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Sample) {
    let switches0 = process_switches();
    let cpu0 = process_cpu_time();
    let t0 = Instant::now();
    let out = f();
    let wall = t0.elapsed();
    let cpu = process_cpu_time().saturating_sub(cpu0);
    let switches = process_switches().since(switches0);
    (out, Sample { wall, cpu, switches })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_ratios() {
        let ms = Duration::from_millis;
        assert_eq!(cores_busy(ms(200), ms(100)), 2.0);
        assert_eq!(cores_busy(ms(1), Duration::ZERO), 0.0);
    }

    #[test]
    fn spinning_costs_cpu_time() {
        // Other tests run in this process at the same time, so only a lower bound is safe to assert.
        let (_, s) = measure(|| crate::workload::chain(1, 20_000));
        assert!(s.cpu > Duration::ZERO, "{s:?}");
    }

    #[test]
    fn a_sleep_is_a_voluntary_switch() {
        // Each sleep blocks this thread, so the process switches at least once per sleep.
        let (_, s) = measure(|| {
            for _ in 0..5 {
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        assert!(s.switches.voluntary >= 5, "{s:?}");
        let mine = thread_switches();
        assert!(mine.voluntary >= 5, "{mine:?}");
    }
}
