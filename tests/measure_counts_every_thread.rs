//! CPU time is the whole process's: k threads spinning at once are all counted. A per-thread clock (the
//! calling thread's CPU time) would count none of them here, since the calling thread only waits.

use std::time::Duration;

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a platform constant.
    assert_eq!(unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) }, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[test]
fn cpu_time_of_k_spinning_threads_counts_every_thread() {
    let k = 2;
    let each = Duration::from_millis(60);
    let (per_thread, sample) = cvp::measure::measure(|| {
        let handles: Vec<_> = (0..k)
            .map(|_| {
                std::thread::spawn(move || {
                    // Spin until this thread has itself used `each` of CPU, however busy the machine is.
                    let start = thread_cpu_time();
                    let mut x = 0u64;
                    while thread_cpu_time() - start < each {
                        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                    }
                    thread_cpu_time() - start
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<Duration>>()
    });
    let spun: Duration = per_thread.iter().sum();
    assert!(spun >= each * k as u32);
    // Every thread's CPU time is in the process's (other tests' threads may only add to it).
    assert!(sample.cpu >= spun.mul_f64(0.95), "process CPU {:?} < threads' {:?}", sample.cpu, spun);
    // And when the threads really ran side by side (the wall within a fifth of one thread's spin: with
    // 2 x 60 ms of CPU that is at least 1.67 cores busy, while a wall of up to 1.5 x one spin, allowed
    // before, also let in threads that overlapped for only half their time on a loaded machine), cores
    // busy says so.
    if sample.wall < each.mul_f64(1.2) {
        assert!(sample.cores_busy() >= 0.8 * k as f64, "{sample:?}");
    }
}
