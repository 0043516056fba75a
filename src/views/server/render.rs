//! What the server writes: its responses, and the lines `cvp server --serve` prints.

use std::net::SocketAddr;

use super::http::Reject;
use super::{DEFAULT_ROUNDS, DEFAULT_WAIT_MS, Limits, ServerFile, StepOutcome, StepRow, Structure};
use crate::report::text::{aligned, opt};
use crate::report::{ReportError, Section, plot};
use crate::workload::Digest;
use plot::Line;
use plotters::style::RGBColor;
use std::path::Path;

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
    // Unanswered requests count at the end of the drain: their percentiles are lower bounds.
    let at_least = if r.latency_lower_bound { ">=" } else { "" };
    let p = |v: Option<f64>| opt(v, |x| format!("{at_least}{x:.2}"));
    vec![
        r.structure.to_string(),
        format!("{:.0}", r.offered),
        format!("{:.0}", r.achieved),
        p(r.p50),
        p(r.p99),
        p(r.p999),
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

/// What one structure's steps say of its knee, in words.
fn knee_text(rows: &[&StepRow]) -> String {
    // A rate the generator could not offer on every try (a rate it offered once kept up counts).
    let bound = super::analysis::by_rate(rows).into_iter().find_map(|(rate, o)| match o {
        StepOutcome::GeneratorBound(why) => Some(format!("the generator fell behind at {rate:.0}/s ({why})")),
        _ => None,
    });
    match (super::analysis::knee(rows), bound) {
        ((Some(lo), Some(hi)), None) => format!("knee between {lo:.0}/s (kept up) and {hi:.0}/s (saturated)"),
        ((Some(lo), Some(hi)), Some(b)) => {
            format!("knee between {lo:.0}/s (kept up) and {hi:.0}/s (saturated), not narrowed further: {b}")
        }
        ((None, Some(hi)), _) => format!("saturated at the first rate, {hi:.0}/s"),
        ((Some(lo), None), Some(b)) => format!("kept up to {lo:.0}/s; above it, {b}: the knee lies higher"),
        ((None, None), Some(b)) => format!("not measured: {b}"),
        ((Some(lo), None), None) => format!("kept up to {lo:.0}/s, the highest rate offered"),
        ((None, None), None) => "no step".into(),
    }
}

/// Each structure's knee in one line.
fn knees(file: &ServerFile) -> Vec<String> {
    file.plan
        .structures
        .iter()
        .map(|&s| {
            let rows: Vec<&StepRow> = file.rows.iter().filter(|r| r.structure == s).collect();
            format!("- {s}: {}", knee_text(&rows))
        })
        .collect()
}

/// C5's sweeps: what they measured, in one paragraph.
fn cores_header(file: &ServerFile) -> String {
    use super::Half;
    let p = &file.plan;
    let cores = file.c5.first().map_or(0, |w| w.cores);
    let of = |half: Half| file.c5.iter().filter(|w| w.half == half).collect::<Vec<_>>();
    let ns = |half: Half| {
        of(half).iter().map(|w| w.structure.workers().unwrap_or(0).to_string()).collect::<Vec<_>>().join(", ")
    };
    let describe = |half: Half| match of(half).first() {
        Some(w) => format!(
            "{half} ({} rounds, {:.2} ms of hashing, {} ms wait, {} connections; saturated above p99 {:.1} ms) at \
             N = {}",
            w.rounds,
            w.hash_ms,
            w.wait_ms,
            w.connections,
            w.p99_bound_ms,
            ns(half)
        ),
        None => format!("no sweep of {half}"),
    };
    let shared =
        if p.server_cpus == p.generator_cpus { ", shared with the generator and the backend" } else { "" };
    format!(
        "cvp server --cores: async_multi/N on the server CPUs {:?} ({cores} physical cores{shared}), each swept to its \
         knee (doubling, then narrowed to {:.1}%): {}; {}. Generator and backend on CPUs {:?}.\n",
        p.server_cpus,
        (file.c5.first().map_or(p.resolution, |w| w.resolution) - 1.0) * 100.0,
        describe(Half::Hashing),
        describe(Half::Waiting),
        p.generator_cpus
    )
}

/// C5's knees, one line per sweep.
fn cores_knees(file: &ServerFile) -> Vec<String> {
    file.c5
        .iter()
        .map(|w| format!("- {}, {}: {}", w.half, w.structure, knee_text(&w.rows.iter().collect::<Vec<_>>())))
        .collect()
}

/// The knee (the highest rate kept up below the lowest saturated) against the workers N, one line per
/// half of C5, and N x the CPU-bound knee of N = 1 up to the physical cores dashed: what growing with the
/// cores would give.
pub fn cores_plot(file: &ServerFile) -> Result<String, ReportError> {
    use super::Half;
    let mut lines = Vec::new();
    let points = |half: Half| -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = file
            .c5
            .iter()
            .filter(|w| w.half == half)
            .filter_map(|w| {
                let rows: Vec<&StepRow> = w.rows.iter().collect();
                Some((w.structure.workers()? as f64, super::analysis::knee(&rows).0?))
            })
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    for (k, half) in [Half::Hashing, Half::Waiting].into_iter().enumerate() {
        let points = points(half);
        if !points.is_empty() {
            // The knees in the legend: a log axis labels few values between its decades.
            let at: Vec<String> = points.iter().map(|&(n, k)| format!("{k:.0}/s at N = {n:.0}")).collect();
            let label = format!("{half}: {}", at.join(", "));
            lines.push(Line { label, color: plot::COLORS[k], points, dashed: false });
        }
    }
    let hashing = points(Half::Hashing);
    let cores = file.c5.first().map_or(1, |w| w.cores.max(1)) as f64;
    if let Some(&(1.0, one)) = hashing.first() {
        let ideal = hashing.iter().map(|&(n, _)| (n, one * n.min(cores))).collect();
        lines.push(Line {
            label: "N x the CPU-bound knee of N = 1, up to the cores".into(),
            color: RGBColor(0x88, 0x88, 0x88),
            points: ideal,
            dashed: true,
        });
    }
    plot::log_log(
        "knee (highest rate kept up) vs workers",
        "workers N (async_multi/N)",
        "requests/s",
        &lines,
        &|x| format!("{x:.0}"),
        &|y| format!("{y:.0}"),
    )
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

/// The C10k rows' cells: structure, bytes per connection with its interval, the levels, why it stopped.
fn idle_cells(file: &ServerFile) -> Vec<Vec<String>> {
    file.idle
        .iter()
        .map(|r| {
            let levels: Vec<String> = r
                .points
                .iter()
                .map(|&(c, kib, t)| format!("{c}: {:.1} MiB, {t} thr", kib as f64 / 1024.0))
                .collect();
            let per = match r.bytes_per_connection {
                Some((b, lo, hi)) => format!("{b:.0} [{lo:.0} to {hi:.0}]"),
                None => "-".into(),
            };
            vec![r.structure.to_string(), per, levels.join("; "), r.stopped.clone().unwrap_or_default()]
        })
        .collect()
}

/// What the C10k rows measured, in one paragraph.
fn idle_header(file: &ServerFile) -> String {
    format!(
        "cvp server --idle: keep-alive connections to each structure in levels up to {}, each used once \
         (one request, no wait) and left idle; the server's resident memory and threads at each level, and \
         the memory per connection as the slope of a least-squares line through them (95% interval). Server \
         on CPUs {:?}.\n\n",
        file.plan.connections, file.plan.server_cpus
    )
}

/// The header of the C10k columns.
const IDLE_COLUMNS: [&str; 4] = ["structure", "bytes/connection [95%]", "levels", "stopped"];

/// The C10k rows as text: what was measured, then the aligned table.
fn idle_table(file: &ServerFile) -> String {
    idle_header(file) + &aligned(&IDLE_COLUMNS, &idle_cells(file), 1)
}

/// The columns of C7's mix table.
const MIX_COLUMNS: [&str; 9] = [
    "structure",
    "offered/s",
    "achieved/s",
    "light p50 ms",
    "light p99 ms",
    "light p99 - p50 (jobs)",
    "p99 ms (all)",
    "server cores",
    "outcome",
];

/// C7's mix steps, one row each.
fn mix_cells(file: &ServerFile) -> Vec<Vec<String>> {
    let job = file.plan.heavy_ms.max(1e-9);
    file.c7
        .iter()
        .map(|r| {
            let excess = r.light_p99.zip(r.light_p50).map(|(a, b)| (a - b) / job);
            vec![
                r.structure.to_string(),
                format!("{:.0}", r.offered),
                format!("{:.0}", r.achieved),
                opt(r.light_p50, |x| format!("{x:.2}")),
                opt(r.light_p99, |x| format!("{x:.2}")),
                opt(excess, |x| format!("{x:.2}")),
                opt(r.p99, |x| format!("{x:.2}")),
                format!("{:.2}", r.server_cores_busy),
                outcome_text(&r.outcome),
            ]
        })
        .collect()
}

/// What C7's mix measured, in one paragraph.
fn mix_header(file: &ServerFile) -> String {
    let p = &file.plan;
    format!(
        "cvp server --mix: 1 request in {} is heavy ({} rounds: {:.1} ms of hashing after its {} ms wait), the \
         others light ({} rounds), at {:.0}/s over {} keep-alive connections; the light requests' latency from \
         their due time. Server on CPUs {:?}, generator and backend on {:?}.\n\n",
        crate::claims::C7_SERVER_EVERY,
        p.heavy_rounds,
        p.heavy_ms,
        p.wait_ms,
        p.rounds,
        file.c7.first().map_or(0.0, |r| r.offered),
        p.connections,
        p.server_cpus,
        p.generator_cpus
    )
}

/// C8's pairs, a title and the steps for each number of connections.
fn pair_sets(file: &ServerFile) -> Vec<(String, Vec<&StepRow>)> {
    file.c8
        .iter()
        .map(|set| {
            let title = format!(
                "C8's pairs with {} connections (thread_per_connection and async/1 in turn at one rate)",
                set.connections
            );
            (title, set.pairs.iter().flatten().collect())
        })
        .collect()
}

/// The text table: the header, every step, each structure's knee, and the notes (or the C10k rows).
pub fn table(file: &ServerFile) -> String {
    if file.rows.is_empty() && !file.c5.is_empty() {
        let mut out = cores_header(file);
        for w in &file.c5 {
            out.push_str(&format!("\nC5, {}: {}\n", w.half, w.structure));
            out.push_str(&aligned(&COLUMNS, &w.rows.iter().map(cells).collect::<Vec<_>>(), 1));
        }
        out.push_str("\nKnees:\n");
        for line in cores_knees(file) {
            out.push_str(&line);
            out.push('\n');
        }
        for v in &file.verdicts {
            out.push_str(&format!("\n{}: {} ({}). {}\n", v.label(), v.verdict, v.headline, v.evidence));
        }
        for note in &file.notes {
            out.push_str(&format!("\nNote: {note}\n"));
        }
        return out;
    }
    let mix = file.rows.is_empty() && !file.c7.is_empty();
    if mix || (file.rows.is_empty() && !file.idle.is_empty()) {
        let mut out = if mix {
            mix_header(file) + &aligned(&MIX_COLUMNS, &mix_cells(file), 1)
        } else {
            idle_table(file)
        };
        for (title, rows) in pair_sets(file) {
            out.push_str(&format!("\n{title}:\n"));
            out.push_str(&aligned(&COLUMNS, &rows.iter().map(|r| cells(r)).collect::<Vec<_>>(), 1));
        }
        for v in &file.verdicts {
            out.push_str(&format!("\n{}: {} ({}). {}\n", v.label(), v.verdict, v.headline, v.evidence));
        }
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
    if !file.c4_pairs.is_empty() {
        let rows: Vec<Vec<String>> = file.c4_pairs.iter().flatten().map(cells).collect();
        out.push_str("\nC4's pairs (async/1 and async/N in turn at one rate below both knees):\n");
        out.push_str(&aligned(&COLUMNS, &rows, 1));
    }
    for v in &file.verdicts {
        out.push_str(&format!("\n{}: {} ({}). {}\n", v.label(), v.verdict, v.headline, v.evidence));
    }
    for note in &file.notes {
        out.push_str(&format!("\nNote: {note}\n"));
    }
    out
}

/// One row per step of the file (the sweep's, C4's and C8's pairs', C7's mix), the table's columns, then which
/// part it belongs to and, in the mix, the light requests' p50 and p99.
pub fn csv(file: &ServerFile) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    let mut parts: Vec<(String, &StepRow)> = file.rows.iter().map(|r| ("sweep".to_string(), r)).collect();
    parts.extend(file.c4_pairs.iter().flatten().map(|r| ("C4 pair".to_string(), r)));
    for set in &file.c8 {
        parts.extend(
            set.pairs.iter().flatten().map(|r| (format!("C8 pair, {} connections", set.connections), r)),
        );
    }
    parts.extend(file.c7.iter().map(|r| ("C7 mix".to_string(), r)));
    for w in &file.c5 {
        parts.extend(w.rows.iter().map(|r| (format!("C5 {}", w.half), r)));
    }
    let mut out = COLUMNS.join(",") + ",part,light p50 ms,light p99 ms\n";
    for (part, r) in parts {
        let light = |v: Option<f64>| opt(v, |x| format!("{x:.2}"));
        let mut cells = cells(r);
        cells.extend([part, light(r.light_p50), light(r.light_p99)]);
        out.push_str(&cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// A Markdown table: the header row of `columns`, then one row per item of `rows`.
fn md_table<S: AsRef<str>>(columns: &[&str], rows: impl IntoIterator<Item = Vec<S>>) -> String {
    let mut md = format!("| {} |\n|{}\n", columns.join(" | "), "---|".repeat(columns.len()));
    for row in rows {
        let cells: Vec<&str> = row.iter().map(AsRef::as_ref).collect();
        md += &format!("| {} |\n", cells.join(" | "));
    }
    md
}

/// A Markdown table of every step (the text table's columns).
fn steps_markdown(file: &ServerFile) -> String {
    md_table(&COLUMNS, file.rows.iter().map(|r| cells(r).into_iter().map(|c| c.replace('\n', " ")).collect()))
}

/// p99 (from the due time) against the achieved rate, one line per structure, the p99 bound dashed: the
/// hockey stick. Steps the generator bound are left out (never the server's).
pub fn p99_plot(file: &ServerFile) -> Result<String, ReportError> {
    let mut lines = Vec::new();
    for (k, &s) in file.plan.structures.iter().enumerate() {
        let mut points: Vec<(f64, f64)> = file
            .rows
            .iter()
            .filter(|r| r.structure == s && !matches!(r.outcome, StepOutcome::GeneratorBound(_)))
            .filter_map(|r| Some((r.achieved, r.p99?)))
            .filter(|&(x, y)| x > 0.0 && y > 0.0)
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !points.is_empty() {
            lines.push(Line {
                label: s.to_string(),
                color: plot::COLORS[k % plot::COLORS.len()],
                points,
                dashed: false,
            });
        }
    }
    let (lo, hi) = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if lo.is_finite() {
        lines.push(Line {
            label: format!("saturated above ({:.0} ms)", file.plan.p99_bound_ms),
            color: RGBColor(0x88, 0x88, 0x88),
            points: vec![(lo, file.plan.p99_bound_ms), (hi, file.plan.p99_bound_ms)],
            dashed: true,
        });
    }
    plot::log_log(
        "p99 latency from the due time vs achieved rate",
        "achieved requests/s",
        "p99 ms",
        &lines,
        &|x| format!("{x:.0}"),
        &|y| format!("{y:.0}"),
    )
}

/// The server's resident memory against idle connections, one line per structure (the C10k row).
pub fn memory_plot(file: &ServerFile) -> Result<String, ReportError> {
    let lines: Vec<Line> = file
        .idle
        .iter()
        .enumerate()
        .map(|(k, r)| Line {
            label: match r.bytes_per_connection {
                Some((b, _, _)) => format!("{} ({:.1} KiB/conn)", r.structure, b / 1024.0),
                None => r.structure.to_string(),
            },
            color: plot::COLORS[k % plot::COLORS.len()],
            points: r.points.iter().map(|&(c, kib, _)| (c as f64, kib as f64 / 1024.0)).collect(),
            dashed: false,
        })
        .collect();
    plot::log_log(
        "server resident memory vs idle keep-alive connections",
        "connections",
        "MiB",
        &lines,
        &|x| format!("{x:.0}"),
        &|y| format!("{y:.0}"),
    )
}

/// Reads a `cvp server --format json` file (a sweep or `--idle`) into the report's section.
pub fn read_section(path: &Path) -> Result<Section, ReportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ReportError::Unreadable { path: path.to_path_buf(), why: e.to_string() })?;
    let mut file: ServerFile = serde_json::from_str(&text).map_err(|e| ReportError::Unreadable {
        path: path.to_path_buf(),
        why: format!("not a `cvp server --format json` file: {e}"),
    })?;
    // The verdicts are judged again from the rows, never copied from the file.
    file.verdicts = super::twins::verdicts(&file);
    let mut md = format!("`{}`\n\n", file.command.join(" "));
    let mut files = Vec::new();
    let idle = file.rows.is_empty() && !file.idle.is_empty();
    let mix = file.rows.is_empty() && !file.c7.is_empty();
    let cores = file.rows.is_empty() && !file.c5.is_empty();
    let stem = if cores {
        "server_cores"
    } else if mix {
        "server_mix"
    } else if idle {
        "server_idle"
    } else {
        "server"
    };
    if cores {
        md += &cores_header(&file);
        md += "\nKnees:\n\n";
        for line in cores_knees(&file) {
            md += &line;
            md += "\n";
        }
        md += "\n![knee vs workers](server_cores_knees.svg)\n";
        for w in &file.c5 {
            md += &format!("\nC5, {}: {}\n\n", w.half, w.structure);
            md += &md_table(&COLUMNS, w.rows.iter().map(cells));
        }
        files.push(("server_cores_knees.svg".to_string(), cores_plot(&file)?.into_bytes()));
        files.push(("server_cores.csv".to_string(), csv(&file).into_bytes()));
    } else if mix {
        md += &mix_header(&file);
        md += &md_table(&MIX_COLUMNS, mix_cells(&file));
    } else if idle {
        md += &idle_header(&file);
        md += &md_table(&IDLE_COLUMNS, idle_cells(&file));
        md += "\n![memory vs idle connections](server_idle_memory.svg)\n";
        for (title, rows) in pair_sets(&file) {
            md += &format!("\n{title}:\n\n");
            md += &md_table(&COLUMNS, rows.into_iter().map(cells));
        }
        files.push(("server_idle_memory.svg".to_string(), memory_plot(&file)?.into_bytes()));
    } else {
        md += &header(&file);
        md += "\n";
        md += &steps_markdown(&file);
        md += "\nKnees (a generator-bound step is never the server's):\n\n";
        for line in knees(&file) {
            md += &line;
            md += "\n";
        }
        md += "\n![p99 vs achieved rate](server_p99.svg)\n";
        if !file.c4_pairs.is_empty() {
            md += "\nC4's pairs (async/1 and async/N in turn at one rate below both knees):\n\n";
            md += &md_table(&COLUMNS, file.c4_pairs.iter().flatten().map(cells));
        }
        files.push(("server_p99.svg".to_string(), p99_plot(&file)?.into_bytes()));
        files.push(("server.csv".to_string(), csv(&file).into_bytes()));
    }
    for note in &file.notes {
        md += &format!("\n- {note}\n");
    }
    files.push((format!("{stem}.json"), text.into_bytes()));
    Ok(Section {
        title: if cores {
            "Server: knees against cores (C5)".into()
        } else if mix {
            "Server: a heavy-request mix (C7)".into()
        } else if idle {
            "Server: memory per idle keep-alive connection (C10k)".into()
        } else {
            "Server: constant-rate load to the knee".into()
        },
        markdown: md,
        files,
        verdicts: file.verdicts.clone(),
        machine: file.machine.clone(),
        source: path.to_path_buf(),
        figures: Vec::new(),
    })
}
