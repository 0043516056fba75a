//! The C10k row of `cvp server --idle`: what a keep-alive connection that sits idle costs each structure.
//! The server runs as a child pinned to its CPUs (as in the sweep); this process opens connections to it
//! in levels up to C (10,000 by default), uses each once (one request with no wait, so every connection has
//! been read, parsed and answered: a handler exists for it) and leaves it open and idle; at each level it
//! reads the server's resident memory and threads from `/proc/<pid>/status`. The memory per connection is
//! the slope of a least-squares line through those points, with its 95% interval from the line's residuals.
//! Limits (open files here and in the server, threads for `thread_per_connection`) are checked before a
//! level is opened, and a level they forbid is named, never attempted.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::sweep::Served;
use super::{MAX_HEAD_BYTES, Structure};

/// The most connections the row opens by default: the C10k problem's ten thousand.
pub const DEFAULT_IDLE: usize = 10_000;
/// The levels, as shares of C: four above the first connection, so the line has 3 degrees of freedom.
const LEVELS: [f64; 4] = [0.125, 0.25, 0.5, 1.0];
/// Connections used at once while a level is filled: their requests are written, then their replies read.
const BATCH: usize = 256;
/// How long a reply may take while a level is filled.
const REPLY_LIMIT: Duration = Duration::from_secs(30);
/// Descriptors kept for this process itself (stdio, the server's pipes, the runtime).
const FD_RESERVE: usize = 64;

/// One structure's idle connections.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdleRow {
    /// The structure.
    pub structure: Structure,
    /// (connections open, the server's resident memory in KiB, its threads) at each level, the first with
    /// one connection.
    pub points: Vec<(usize, u64, u64)>,
    /// The slope of resident memory over connections, bytes per connection, with its 95% interval (`None`
    /// with fewer than 3 levels).
    pub bytes_per_connection: Option<(f64, f64, f64)>,
    /// Why the row stopped below its C, if it did.
    pub stopped: Option<String>,
}

/// The levels for `c` connections: 1, then c/8, c/4, c/2 and c (each at least one more than the last).
pub fn levels(c: usize) -> Vec<usize> {
    let mut out = vec![1];
    for share in LEVELS {
        let n = ((c as f64 * share).round() as usize).max(out.last().copied().unwrap_or(0) + 1);
        if n <= c.max(1) && out.last().is_some_and(|&l| n > l) {
            out.push(n);
        }
    }
    out
}

/// Why `connections` connections must not be opened to `structure` here (`None`: they fit): this
/// process's open files (it holds one per connection), the server's (one per connection, and its
/// backend's), and for `thread_per_connection` the limits on threads.
pub fn refuse(structure: Structure, connections: usize) -> Option<String> {
    let usable = (crate::workload::net::raise_fd_limit() as usize).saturating_sub(FD_RESERVE);
    if connections > usable {
        return Some(format!(
            "{connections} connections exceed the open files this process may use ({usable}: its limit less \
             {FD_RESERVE})"
        ));
    }
    let server = super::measure::default_limits().connections;
    if connections > server {
        return Some(format!(
            "{connections} connections exceed the server's default --max-connections ({server}: three \
             quarters of the open files it may use)"
        ));
    }
    if structure == Structure::ThreadPerConnection {
        return crate::machine::limits::Limits::detect().refuse(connections);
    }
    None
}

/// The least-squares slope of `y` over `x` and its 95% interval (Student's t with n - 2 degrees of
/// freedom), `None` for fewer than 3 points or no spread in `x`.
pub fn slope(points: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / nf;
    let my = points.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let b = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
    let a = my - b * mx;
    let sse: f64 = points.iter().map(|p| (p.1 - a - b * p.0).powi(2)).sum();
    let se = (sse / (nf - 2.0) / sxx).sqrt();
    // Two-sided 97.5% points of Student's t for 1..=10 degrees of freedom, then the normal's.
    const T: [f64; 10] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
    let t = T.get(n - 3).copied().unwrap_or(1.96);
    Some((b, b - t * se, b + t * se))
}

/// Opens `connections` connections to `structure` in [`levels`], each used once, and reads the server's
/// memory and threads at each level. `progress` is called before each level.
pub fn idle_row(
    structure: Structure,
    server_cpus: &[usize],
    connections: usize,
    mut progress: impl FnMut(&str),
) -> Result<IdleRow, String> {
    let served =
        Served::start(structure, server_cpus, 0).map_err(|e| format!("starting {structure}: {e}"))?;
    let mut open: Vec<TcpStream> = Vec::new();
    let mut row = IdleRow { structure, points: Vec::new(), bytes_per_connection: None, stopped: None };
    // A pool serves a connection to its end: past its N, a request would never be answered. Its idle
    // connections are opened and left unused.
    let used = match structure {
        Structure::Threads(n) => n,
        _ => usize::MAX,
    };
    for level in levels(connections) {
        if let Some(why) = refuse(structure, level) {
            row.stopped = Some(format!("not {level}: {why}"));
            break;
        }
        progress(&format!("{structure}: {level} idle connections"));
        let start = open.len();
        while open.len() < level {
            let s = TcpStream::connect(served.addr())
                .map_err(|e| format!("connection {}: {e}", open.len() + 1))?;
            let _ = s.set_nodelay(true);
            open.push(s);
        }
        let first_unused = start.min(used);
        let last_used = level.min(used);
        for batch in (first_unused..last_used).collect::<Vec<_>>().chunks(BATCH) {
            for &i in batch {
                let request = format!("GET /job?seed={i}&rounds=1&wait_ms=0 HTTP/1.1\r\nHost: x\r\n\r\n");
                open[i]
                    .write_all(request.as_bytes())
                    .map_err(|e| format!("connection {}: send: {e}", i + 1))?;
            }
            for &i in batch {
                read_reply(&mut open[i]).map_err(|e| format!("connection {}: {e}", i + 1))?;
            }
        }
        // Connections past a pool's N are only queued: give the acceptor a moment to take them.
        std::thread::sleep(Duration::from_millis(if used < level { 200 } else { 20 }));
        let s = super::sweep::sample(served.pid());
        row.points.push((level, s.rss_kib, s.threads));
    }
    let xy: Vec<(f64, f64)> = row.points.iter().map(|&(c, kib, _)| (c as f64, kib as f64 * 1024.0)).collect();
    row.bytes_per_connection = slope(&xy);
    Ok(row)
}

/// Reads one reply (head and a body of Content-Length bytes) and checks that it is a 200.
fn read_reply(stream: &mut TcpStream) -> Result<(), String> {
    stream.set_read_timeout(Some(REPLY_LIMIT)).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(head)) = resp.parse(&buf) {
            let length = super::http::content_length(resp.headers)?;
            if buf.len() >= head + length {
                return match resp.code {
                    Some(200) => Ok(()),
                    code => Err(format!("{code:?}: {}", String::from_utf8_lossy(&buf[head..]).trim_end())),
                };
            }
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err("a reply head over 8192 bytes".into());
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err("the server closed the connection".into()),
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
            Err(e) => return Err(format!("receive: {e}")),
        }
    }
}
