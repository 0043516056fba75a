//! What the server writes: its responses, and the lines `cvp server --serve` prints.

use std::net::SocketAddr;

use super::http::Reject;
use super::{DEFAULT_ROUNDS, DEFAULT_WAIT_MS, Limits, ServerFile, StepOutcome, StepRow, Structure};
use crate::report::text::{aligned, opt};
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

/// A step's outcome in a word or two.
fn outcome_text(o: &StepOutcome) -> String {
    match o {
        StepOutcome::KeptUp => "kept up".into(),
        StepOutcome::Saturated(why) => format!("saturated: {why}"),
        StepOutcome::GeneratorBound(why) => format!("generator-bound: {why}"),
    }
}

/// The columns of the step table and the CSV.
const COLUMNS: [&str; 20] = [
    "structure",
    "offered/s",
    "achieved/s",
    "p50 ms",
    "p99 ms",
    "p99.9 ms",
    "p99 after send ms",
    "lag mean ms",
    "lag p99 ms",
    "gen cores",
    "gen CPUs busy",
    "server cores",
    "CPU us/req",
    "RSS KiB",
    "threads",
    "vol sw/req",
    "invol sw/req",
    "in flight",
    "side",
    "outcome",
];

fn cells(r: &StepRow) -> Vec<String> {
    let f = |v: Option<f64>, d: usize| opt(v, |x| format!("{x:.d$}"));
    vec![
        r.structure.to_string(),
        format!("{:.0}", r.offered),
        format!("{:.0}", r.achieved),
        f(r.p50, 2),
        f(r.p99, 2),
        f(r.p999, 2),
        f(r.p99_after_send, 2),
        format!("{:.3}", r.lag_mean),
        format!("{:.3}", r.lag_p99),
        format!("{:.2}", r.generator_cores_busy),
        format!("{:.2}", r.generator_cpus_busy),
        format!("{:.2}", r.server_cores_busy),
        f(r.cpu_us_per_request, 1),
        r.rss_kib.to_string(),
        r.threads.to_string(),
        f(r.voluntary_per_request, 2),
        f(r.involuntary_per_request, 2),
        format!("{:.1}", r.in_flight),
        r.saturated_side.clone(),
        outcome_text(&r.outcome),
    ]
}

/// Each structure's knee in one line.
fn knees(file: &ServerFile) -> Vec<String> {
    file.plan
        .structures
        .iter()
        .map(|&s| {
            let rows: Vec<&StepRow> = file.rows.iter().filter(|r| r.structure == s).collect();
            let bound = rows.iter().find_map(|r| match &r.outcome {
                StepOutcome::GeneratorBound(why) => {
                    Some(format!("the generator fell behind at {:.0}/s ({why})", r.offered))
                }
                _ => None,
            });
            let text = match (super::analysis::knee(&rows), bound) {
                (_, Some(b)) => format!("not measured past this: {b}"),
                ((Some(lo), Some(hi)), None) => {
                    format!("knee between {lo:.0}/s (kept up) and {hi:.0}/s (saturated)")
                }
                ((Some(lo), None), None) => format!("kept up to {lo:.0}/s, the highest rate offered"),
                ((None, Some(hi)), None) => format!("saturated at the first rate, {hi:.0}/s"),
                ((None, None), None) => "no step".into(),
            };
            format!("- {s}: {text}")
        })
        .collect()
}

/// The header of the table: what was offered, where everything ran.
fn header(file: &ServerFile) -> String {
    let p = &file.plan;
    format!(
        "cvp server: {} keep-alive connections per structure; each request waits {} ms on its backend and \
         hashes {} rounds; rates from {:.0}/s, x{} until a step saturates, then halved to {:.0}%; windows \
         of {} s after {} s of warm-up; saturated above p99 {:.1} ms. Server on CPUs {:?}, generator and \
         backend on CPUs {:?}.\n",
        p.connections,
        p.wait_ms,
        p.rounds,
        p.start_rate,
        p.factor,
        (p.resolution - 1.0) * 100.0,
        p.window_s,
        p.warmup_s,
        p.p99_bound_ms,
        p.server_cpus,
        p.generator_cpus
    )
}

/// The C10k rows: each structure's levels, and its memory per connection with the interval.
fn idle_table(file: &ServerFile) -> String {
    let mut out = format!(
        "cvp server --idle: keep-alive connections to each structure in levels up to {}, each used once \
         (one request, no wait) and left idle; the server's resident memory and threads at each level, and \
         the memory per connection as the slope of a least-squares line through them (95% interval). Server \
         on CPUs {:?}.\n\n",
        file.plan.connections, file.plan.server_cpus
    );
    let rows: Vec<Vec<String>> = file
        .idle
        .iter()
        .map(|r| {
            let levels: Vec<String> = r
                .points
                .iter()
                .map(|&(c, kib, t)| format!("{c}: {:.1} MiB, {t} thr", kib as f64 / 1024.0))
                .collect();
            let per = match r.bytes_per_connection {
                Some((b, lo, hi)) => format!("{:.0} [{:.0} to {:.0}]", b, lo, hi),
                None => "-".into(),
            };
            vec![r.structure.to_string(), per, levels.join("; "), r.stopped.clone().unwrap_or_default()]
        })
        .collect();
    out.push_str(&aligned(&["structure", "bytes/connection", "levels", "stopped"], &rows, 1));
    out
}

/// The text table: the header, every step, each structure's knee, and the notes (or the C10k rows).
pub fn table(file: &ServerFile) -> String {
    if file.rows.is_empty() && !file.idle.is_empty() {
        let mut out = idle_table(file);
        for note in &file.notes {
            out.push_str(&format!("\nNote: {note}\n"));
        }
        return out;
    }
    let rows: Vec<Vec<String>> = file.rows.iter().map(cells).collect();
    let mut out = header(file);
    out.push('\n');
    out.push_str(&aligned(&COLUMNS, &rows, 1));
    out.push_str(
        "\nKnees (latency from each request's due time; a generator-bound step is never the server's):\n",
    );
    for line in knees(file) {
        out.push_str(&line);
        out.push('\n');
    }
    for note in &file.notes {
        out.push_str(&format!("\nNote: {note}\n"));
    }
    out
}

/// One row per step, the table's columns.
pub fn csv(file: &ServerFile) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    let mut out = COLUMNS.join(",") + "\n";
    for r in &file.rows {
        out.push_str(&cells(r).iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}
