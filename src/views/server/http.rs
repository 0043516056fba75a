//! The request head, parsed by `httparse` the same way for every structure, and the query it carries.
//! Everything here is pure: bytes in, a request or a refusal out, never a panic on any input.

use super::{MAX_HEAD_BYTES, MAX_HEADERS, MAX_ROUNDS, MAX_WAIT_MS, Query};

/// A refusal: the status and a one-line reason (the body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// 400, 404, 500, 502 or 503.
    pub status: u16,
    /// One line, no newline.
    pub reason: String,
}

impl Reject {
    /// A 400 Bad Request.
    pub fn bad(reason: impl Into<String>) -> Reject {
        Reject { status: 400, reason: reason.into() }
    }
}

/// What the bytes read so far on a connection hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Head {
    /// Not a whole head yet (and under [`MAX_HEAD_BYTES`]): read more.
    Partial,
    /// A whole request of `len` bytes (the head: a body is refused).
    Request {
        /// The job it asks for.
        query: Query,
        /// The client asked to close after the reply (`Connection: close`, or HTTP/1.0 without keep-alive).
        close: bool,
        /// Bytes of the buffer it took.
        len: usize,
    },
    /// Answer this and close the connection.
    Reject(Reject),
}

/// Parses the head at the start of `buf`.
pub fn parse(buf: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD_BYTES => return Head::Partial,
        Ok(httparse::Status::Partial) => {
            return Head::Reject(Reject::bad(format!("request head over {MAX_HEAD_BYTES} bytes")));
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Head::Reject(Reject::bad(format!("more than {MAX_HEADERS} headers")));
        }
        Err(e) => return Head::Reject(Reject::bad(format!("malformed request: {e}"))),
    };
    if len > MAX_HEAD_BYTES {
        return Head::Reject(Reject::bad(format!("request head over {MAX_HEAD_BYTES} bytes")));
    }
    // A complete head has its method, path and version.
    let (Some(method), Some(path), Some(version)) = (req.method, req.path, req.version) else {
        return Head::Reject(Reject::bad("malformed request: no request line"));
    };
    if method != "GET" {
        return Head::Reject(Reject::bad(format!("method {}: only GET is served", printable(method))));
    }
    let mut keep_alive = version == 1;
    for h in req.headers.iter() {
        let value = String::from_utf8_lossy(h.value);
        if h.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    keep_alive = true;
                }
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding")
            || (h.name.eq_ignore_ascii_case("content-length") && value.trim() != "0")
        {
            return Head::Reject(Reject::bad("a request body is not accepted"));
        }
    }
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    if route != "/job" {
        return Head::Reject(Reject {
            status: 404,
            reason: format!("no {}: the only path is /job?seed=S&rounds=R&wait_ms=W", printable(route)),
        });
    }
    match parse_query(query) {
        Ok(query) => Head::Request { query, close: !keep_alive, len },
        Err(reason) => Head::Reject(Reject::bad(reason)),
    }
}

/// Reads `seed=S&rounds=R&wait_ms=W`, each optional, in any order, none twice, nothing else.
pub fn parse_query(text: &str) -> Result<Query, String> {
    let mut q = Query::default();
    let mut seen = [false; 3];
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let k = match key {
            "seed" => 0,
            "rounds" => 1,
            "wait_ms" => 2,
            _ => return Err(format!("unknown query key {}: accepted seed, rounds, wait_ms", printable(key))),
        };
        if std::mem::replace(&mut seen[k], true) {
            return Err(format!("{key} given twice"));
        }
        let bad = |accepted: &str| format!("{key}={}: accepted {accepted}", printable(value));
        match k {
            0 => q.seed = value.parse().map_err(|_| bad("a whole number 0..=18446744073709551615"))?,
            1 => {
                q.rounds = value
                    .parse()
                    .ok()
                    .filter(|r| *r <= MAX_ROUNDS)
                    .ok_or_else(|| bad(&format!("a whole number 0..={MAX_ROUNDS}")))?;
            }
            _ => {
                q.wait_ms = value
                    .parse()
                    .ok()
                    .filter(|w| *w <= MAX_WAIT_MS)
                    .ok_or_else(|| bad(&format!("a whole number of ms 0..={MAX_WAIT_MS}")))?;
            }
        }
    }
    Ok(q)
}

/// At most 40 characters of `s`, control characters escaped: a reason is one line, whatever was sent.
fn printable(s: &str) -> String {
    let short: String = s.chars().take(40).collect();
    let escaped: String = short.escape_debug().collect();
    if s.chars().count() > 40 { format!("{escaped}...") } else { escaped }
}

/// The Content-Length of a reply's headers, or why there is none (the generator and the C10k row read
/// replies with it).
pub fn content_length(headers: &[httparse::Header<'_>]) -> Result<usize, String> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse::<usize>().ok())
        .ok_or_else(|| "a reply without Content-Length".to_string())
}
