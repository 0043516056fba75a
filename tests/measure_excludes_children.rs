//! The client's CPU time is this process's own: a child process that burns CPU during the measured window
//! (as net_bound's service does) is not in it. `CLOCK_PROCESS_CPUTIME_ID` and `getrusage(RUSAGE_SELF)` count
//! this process's threads only; a child's time shows up in `RUSAGE_CHILDREN` once it is waited for.

use std::process::Command;
use std::time::Duration;

fn children_cpu() -> Duration {
    // SAFETY: `ru` is a zeroed rusage owned by this frame, RUSAGE_CHILDREN a platform constant.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) }, 0);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

#[test]
fn a_child_burning_cpu_is_not_in_the_parents_measure() {
    let before = children_cpu();
    let (ok, sample) = cvp::measure::measure(|| {
        // Hashing in children, one after another, until they have burned 0.2 s of CPU (however fast this
        // build's hashing is), while this thread only waits for them.
        (0..200).all(|_| {
            let status = Command::new(env!("CARGO_BIN_EXE_cvp"))
                .args(["hash", "--seed", "1", "--rounds", "100000"])
                .output()
                .expect("cvp hash runs")
                .status;
            status.success() && children_cpu() - before < Duration::from_millis(200)
        }) || children_cpu() - before >= Duration::from_millis(200)
    });
    assert!(ok, "a child failed");
    let child = children_cpu() - before;
    assert!(
        child >= Duration::from_millis(50),
        "the child must have burned CPU to prove anything: {child:?}"
    );
    // Other tests of this binary may add a little CPU of their own; the child's would add all of its time.
    assert!(
        sample.cpu < child / 4,
        "the parent's measure counted the child: parent {:?}, child {child:?}",
        sample.cpu
    );
    assert!(sample.wall >= child.mul_f64(0.5), "the parent really waited through the child's work");
}
