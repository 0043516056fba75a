//! The parent's handle on the service: this executable started as a child process, stopped with its stdin.

use std::io::{self, BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{CHILD_ARG, ServeReport, Target, raise_fd_limit};

/// The service as a child process of this one, for the lifetime of this value: the client's measurements
/// never include its CPU time, and dropping it (or this process dying) closes the child's stdin, which
/// stops it.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    target: Target,
    wait: Duration,
    clock: Option<libc::clockid_t>,
}

impl Server {
    /// Starts this very executable as the service (it must call [`super::serve_if_child`] first in `main`),
    /// replying after `wait`. Raises this process's open-file limit too.
    pub fn start(wait: Duration) -> io::Result<Server> {
        Server::start_exe(Path::new("/proc/self/exe"), wait)
    }

    /// Starts `exe` (a binary that calls [`super::serve_if_child`], such as `cvp`) as the service.
    pub fn start_exe(exe: &Path, wait: Duration) -> io::Result<Server> {
        Server::start_holding(exe, wait, 0)
    }

    /// Starts `exe` as the service with room for `connections` open at once made before it listens
    /// ([`super::ServeOptions::reserve`]): what `cvp run` and `cvp scale` start, each with its largest J, so
    /// neither view's first burst of connections pays for the service's descriptor table growing.
    pub fn start_holding(exe: &Path, wait: Duration, connections: usize) -> io::Result<Server> {
        raise_fd_limit();
        let mut child = Command::new(exe)
            .arg(CHILD_ARG)
            .arg(wait.as_millis().to_string())
            .arg(connections.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot start the service {}: {e}", exe.display()))
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::Builder::new().name("cvp-server-out".into()).spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        })?;
        let mut server = Server {
            child,
            stdin,
            lines,
            target: Target { base: Ipv4Addr::LOCALHOST, port: 0, spread: 1 },
            wait,
            clock: None,
        };
        let first = server.lines.recv_timeout(Duration::from_secs(10)).map_err(|_| {
            io::Error::other(format!(
                "the service {} did not say where it listens within 10 s",
                exe.display()
            ))
        })?;
        server.target = parse_listening(&first).ok_or_else(|| {
            io::Error::other(format!("the service said {first:?}, not `listening <address> spread <n>`"))
        })?;
        let mut clock: libc::clockid_t = 0;
        // SAFETY: `clock` is a valid, writable clockid owned by this frame; the pid is our live child's.
        if unsafe { libc::clock_getcpuclockid(server.child.id() as libc::pid_t, &mut clock) } == 0 {
            server.clock = Some(clock);
        }
        Ok(server)
    }

    /// Where jobs send their requests.
    pub fn target(&self) -> Target {
        self.target
    }

    /// The delay before each reply.
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// The service's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The service's CPU time so far (all its threads, user + system), read from its CPU clock: take it
    /// before and after a run for the service's share of that run.
    pub fn cpu_time(&self) -> io::Result<Duration> {
        let clock = self.clock.ok_or_else(|| io::Error::other("the service's CPU clock is not readable"))?;
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec owned by this frame.
        if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    /// Stops the service (closes its stdin) and returns its report.
    pub fn stop(mut self) -> io::Result<ServeReport> {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut report = None;
        while let Ok(line) = self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            report = ServeReport::parse(&line).or(report);
        }
        // A service that did not stop by itself (it should, once its stdin closed) is killed, never waited
        // for forever.
        let status = match self.child.try_wait()? {
            Some(status) => status,
            None => {
                std::thread::sleep(Duration::from_millis(100));
                match self.child.try_wait()? {
                    Some(status) => status,
                    None => {
                        let _ = self.child.kill();
                        let status = self.child.wait()?;
                        return Err(io::Error::other(format!(
                            "the service (pid {}) did not stop within 10 s of its stdin closing; killed ({status})",
                            self.child.id()
                        )));
                    }
                }
            }
        };
        match report {
            Some(r) if status.success() => Ok(r),
            _ => Err(io::Error::other(format!("the service ended with {status} and no report"))),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `listening 127.0.0.1:PORT spread N`.
pub(super) fn parse_listening(line: &str) -> Option<Target> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let ["listening", addr, "spread", n] = words.as_slice() else { return None };
    let addr: SocketAddrV4 = addr.parse().ok()?;
    Some(Target { base: *addr.ip(), port: addr.port(), spread: n.parse().ok()? })
}
