//! The two waits: blocking the OS thread, or yielding to the async runtime. The only place that knows a
//! simulated wait is a sleep.

use std::time::Duration;

/// Waits `d` on the calling OS thread, blocking it (the wait of `sequential`, `threads`,
/// `thread_per_job` and `rayon`). A zero wait returns at once without a system call.
pub fn wait_blocking(d: Duration) {
    if !d.is_zero() {
        std::thread::sleep(d);
    }
}

/// Waits `d` without blocking the thread: the task yields to its runtime (the wait of `async` and
/// `async_offload`). tokio's timer has millisecond granularity, so a wait ends up to 1 ms late. A zero wait
/// is ready at once without touching the timer.
pub fn wait_async(d: Duration) -> WaitAsync {
    if d.is_zero() { WaitAsync::Done } else { WaitAsync::Sleeping { sleep: tokio::time::sleep(d) } }
}

pub use wait_future::WaitAsync;

mod wait_future {
    // The projection type pin_project_lite generates carries no docs.
    #![allow(missing_docs)]

    pin_project_lite::pin_project! {
        /// The future of [`wait_async`]: no bigger than tokio's `Sleep` itself. (An `async fn` would also keep
        /// its argument beside the `Sleep`; at 100,000 tasks in flight every byte of a task counts, and the
        /// task cell is allocated in 128-byte steps.)
        #[project = WaitProj]
        pub enum WaitAsync {
            /// A zero wait.
            Done,
            /// A timer wait.
            Sleeping {
                #[pin]
                sleep: tokio::time::Sleep,
            },
        }
    }
}

impl std::future::Future for WaitAsync {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        match self.project() {
            wait_future::WaitProj::Done => std::task::Poll::Ready(()),
            wait_future::WaitProj::Sleeping { sleep } => sleep.poll(cx),
        }
    }
}
