//! What the server writes: its responses, and the lines `cvp server --serve` prints.

use std::net::SocketAddr;

use super::http::Reject;
use super::{DEFAULT_ROUNDS, DEFAULT_WAIT_MS, Limits, Structure};
use crate::workload::Digest;

/// The reason phrase of a status the server sends.
fn phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// A whole response: status line, `Content-Type`, `Content-Length`, `Connection: close` when `close`, and
/// `body`.
pub fn response(status: u16, body: &str, close: bool) -> Vec<u8> {
    let connection = if close { "Connection: close\r\n" } else { "" };
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{connection}\r\n{body}",
        phrase(status),
        body.len()
    )
    .into_bytes()
}

/// The answer to a request: the digest as lowercase hex and a newline.
pub fn digest_body(digest: Digest) -> String {
    format!("{}\n", digest.to_hex())
}

/// A refusal: its reason and a newline, always with `Connection: close`.
pub fn refusal(reject: &Reject) -> Vec<u8> {
    response(reject.status, &format!("{}\n", reject.reason), true)
}

/// The first line `cvp server --serve` prints: where it listens, as a URL any client can use.
pub fn listening_line(addr: SocketAddr) -> String {
    format!("listening on http://{addr}/job?seed=1&rounds={DEFAULT_ROUNDS}&wait_ms={DEFAULT_WAIT_MS}")
}

/// The second line: what serves, its limits, and how to stop it.
pub fn about_line(structure: Structure, limits: Limits) -> String {
    format!(
        "structure {structure}; limits: head {} bytes, {} connections, {} requests in flight, {} distinct \
         waits; stop with Ctrl-C or by closing stdin",
        super::MAX_HEAD_BYTES,
        limits.connections,
        limits.in_flight,
        super::MAX_BACKENDS
    )
}
