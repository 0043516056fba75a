//! Wall time and process CPU time of one run, and cores busy derived from them.
//!
//! CPU time is the whole process's user + system time (`CLOCK_PROCESS_CPUTIME_ID`): every thread counts,
//! pool threads spinning before they sleep included. Nothing else is measured here. In flight, the other of
//! the two numbers, needs the measured one-job wait and lives with it: [`crate::analysis::Point::in_flight`].

use std::time::{Duration, Instant};

/// What one run cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Elapsed wall-clock time.
    pub wall: Duration,
    /// CPU time of the whole process (user + system) over the same interval.
    pub cpu: Duration,
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
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant the platform defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `f` once and returns its result with the wall and CPU time it took.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Sample) {
    let cpu0 = process_cpu_time();
    let t0 = Instant::now();
    let out = f();
    let wall = t0.elapsed();
    let cpu = process_cpu_time().saturating_sub(cpu0);
    (out, Sample { wall, cpu })
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
}
