//! The request a job makes, blocking (`std::net`) or async (tokio's reactor).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{NetError, TIMEOUT, Target};
use crate::workload::digest::Digest;

/// Closes with a reset instead of a FIN (`SO_LINGER` on, 0 s): no TIME_WAIT on either side, so no port is
/// held after the request. It cannot fail on a connected TCP socket (checked in debug builds); a failure
/// would only leave the ordinary close. (A request that fails closes the ordinary way.)
fn reset_on_close(socket: &impl AsRawFd) {
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket descriptor and a pointer to a `linger` that lives across the call, with its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    debug_assert_eq!(rc, 0, "SO_LINGER: {}", io::Error::last_os_error());
}

/// Reads the 32-byte reply, counting the bytes, so a short reply says how short.
fn read_reply(mut stream: &TcpStream) -> io::Result<Digest> {
    let mut reply = [0u8; 32];
    let mut got = 0;
    while got < 32 {
        match stream.read(&mut reply[got..])? {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the server closed after {got} of 32 bytes"),
                ));
            }
            n => got += n,
        }
    }
    Ok(Digest(reply))
}

/// Job `seed`'s request on the calling thread, which blocks in `connect`, `write` and `read`; each step
/// times out ([`TIMEOUT`], plus `wait` for the reply). Returns the reply, unchecked.
pub fn request_blocking(target: Target, seed: u64, wait: Duration) -> Result<Digest, NetError> {
    let addr = target.addr(seed);
    // A socket timeout surfaces as WouldBlock (EAGAIN) or TimedOut: say what it is.
    let fail = |step, limit: Duration, e: io::Error| NetError {
        job: seed,
        addr,
        step,
        cause: match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => no_answer(limit),
            _ => e.to_string(),
        },
    };
    let mut stream =
        TcpStream::connect_timeout(&addr.into(), TIMEOUT).map_err(|e| fail("connect to", TIMEOUT, e))?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| fail("connect to", TIMEOUT, e))?;
    stream.set_read_timeout(Some(TIMEOUT + wait)).map_err(|e| fail("connect to", TIMEOUT, e))?;
    stream.write_all(&seed.to_le_bytes()).map_err(|e| fail("send the request to", TIMEOUT, e))?;
    let reply = read_reply(&stream).map_err(|e| fail("read the reply from", TIMEOUT + wait, e))?;
    reset_on_close(&stream);
    Ok(reply)
}

/// What a timed-out step says.
fn no_answer(limit: Duration) -> String {
    format!("timed out: no answer within {:.1} s", limit.as_secs_f64())
}

/// Job `seed`'s request as a future on a tokio runtime with its I/O driver: the task yields at every step
/// and the reactor (epoll) wakes it. The whole request times out after [`TIMEOUT`] plus `wait`.
pub async fn request_async(target: Target, seed: u64, wait: Duration) -> Result<Digest, NetError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = target.addr(seed);
    const STEPS: [&str; 3] = ["connect to", "send the request to", "read the reply from"];
    // Which step the exchange is in, for a timeout's message (an atomic: the task must stay `Send`).
    let at = std::sync::atomic::AtomicU8::new(0);
    let exchange = async {
        let mut stream =
            tokio::net::TcpStream::connect(addr).await.map_err(|e| ("connect to", e.to_string()))?;
        at.store(1, Ordering::Relaxed);
        stream.write_all(&seed.to_le_bytes()).await.map_err(|e| ("send the request to", e.to_string()))?;
        at.store(2, Ordering::Relaxed);
        let mut reply = [0u8; 32];
        let mut got = 0;
        while got < 32 {
            match stream.read(&mut reply[got..]).await.map_err(|e| ("read the reply from", e.to_string()))? {
                0 => {
                    return Err((
                        "read the reply from",
                        format!("the server closed after {got} of 32 bytes"),
                    ));
                }
                n => got += n,
            }
        }
        reset_on_close(&stream);
        Ok(Digest(reply))
    };
    let limit = TIMEOUT + wait;
    match tokio::time::timeout(limit, exchange).await {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err((step, cause))) => Err(NetError { job: seed, addr, step, cause }),
        Err(_) => Err(NetError {
            job: seed,
            addr,
            step: STEPS[usize::from(at.load(Ordering::Relaxed)).min(2)],
            cause: format!("{} (the whole exchange)", no_answer(limit)),
        }),
    }
}
