//! `cvp scale`'s outputs: the table, the CSV, the two log-log plots and the results-folder section.

use std::path::Path;

use super::analysis::{C8_ROWS, NET_GOAL, NET_GOAL_JOBS, REFERENCE_GOAL, goal, net_goal, verdicts};
use super::{Io, Row, ScaleFile};
use crate::claims::{MIN_SAMPLES_FOR_CI, Range};
use crate::report::text::{Csv, aligned, bytes_text, human_time, shell_word};
use crate::report::{Figure, ReportError, Section, plot};

fn or_dash<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map_or_else(|| "-".into(), f)
}

fn cells(r: &Row, io: Io) -> Vec<String> {
    let mut c = vec![r.label(), r.jobs.to_string()];
    if !r.ok() {
        c.extend(std::iter::repeat_n("-".to_string(), header(io).len() - 3));
        c.push(r.status.clone());
        return c;
    }
    c.extend([or_dash(r.wall_s, human_time), or_dash(r.waits, |x| format!("{x:.2}"))]);
    if io == Io::Sleep {
        c.push(or_dash(r.vs_reference, |x| format!("{x:.2}")));
    }
    c.extend([
        or_dash(r.overhead_us_per_wait, |x| format!("{x:.1}")),
        or_dash(r.in_flight, |x| format!("{x:.0}")),
        or_dash(r.cpu_s, human_time),
        or_dash(r.cores_busy, |x| format!("{x:.2}")),
    ]);
    if io == Io::Socket {
        c.push(or_dash(r.server_us_per_request, |x| format!("{x:.1}")));
    }
    c.extend([
        or_dash(r.peak_rss_bytes, |x| bytes_text(x as f64)),
        or_dash(r.bytes_per_wait, bytes_text),
        or_dash(r.vm_pte_bytes, |x| bytes_text(x as f64)),
        or_dash(r.peak_threads, |x| x.to_string()),
        format!(
            "{} / {}",
            or_dash(r.voluntary_switches, |x| x.to_string()),
            or_dash(r.involuntary_switches, |x| x.to_string())
        ),
        if r.peak_reset == Some(false) { "ok (peak since start-up)".into() } else { "ok".into() },
    ]);
    c
}

const HEADER: [&str; 15] = [
    "structure",
    "J",
    "wall",
    "waits",
    "vs ref",
    "µs/wait",
    "in flight",
    "CPU",
    "cores busy",
    "peak RSS",
    "RSS/wait",
    "VmPTE",
    "threads",
    "switches vol / invol",
    "status",
];

/// The columns of `--io socket`: requests instead of waits, the service's CPU per request, and no `vs ref`
/// (the socket goal compares walls, [`net_goal`]).
const SOCKET_HEADER: [&str; 15] = [
    "structure",
    "J",
    "wall",
    "requests",
    "µs/req",
    "in flight",
    "CPU",
    "cores busy",
    "server µs/req",
    "peak RSS",
    "RSS/req",
    "VmPTE",
    "threads",
    "switches vol / invol",
    "status",
];

/// The columns for `io`.
fn header(io: Io) -> &'static [&'static str] {
    match io {
        Io::Sleep => &HEADER,
        Io::Socket => &SOCKET_HEADER,
    }
}

/// What the socket rows add to [`LEGEND`].
const SOCKET_LEGEND: &str = "For sockets a wait is a request (connect, 8 bytes, the 32-byte reply after W, a \
reset), and the columns say requests where they say waits above: requests: wall / the same structure's J=1 \
wall (one request); µs/req: (wall - one request) / J; server µs/req: the service's CPU time \
over the child's run / (J + 1) (its warm-up request included), read from the service's own CPU clock and never \
counted in CPU or cores busy; RSS/req counts the client's memory only (socket buffers are kernel memory, not in \
RSS); reference: the smallest connect-per-request client (a current-thread tokio runtime, one task per request: \
connect, send the seed, read the reply, check it, reset; no timeout, no strategy machinery)";

/// The one line a socket table and its README section add about the same figure in `cvp run`.
pub const SOCKET_VS_RUN: &str = "The requests of async/N are the figure `cvp run --workloads net_bound --jobs J` \
shows as net_bound async/N's wall over its one request alone: the same request code, service and settings (room \
for every connection made before timing), but a fresh child per run here and one warm process for all rounds \
there; both move with the machine's load and with whether client and service share a CPU, so read them side by \
side from one window (`cvp report` puts them beside each other and flags them more than 2x apart)";

const LEGEND: &str = "waits: wall / the same structure's J=1 wall (one wait); vs ref: waits / the reference's \
at that J; µs/wait: (wall - one wait) / J, what one more wait costs; in flight: J x one wait / wall (Little's \
law); CPU: the child's CPU time over the jobs; RSS/wait: (peak resident memory - the child's idle baseline) / J, \
shown only where that excess is at least 5x the structure's J=1 excess (the kernel's counters are approximate; \
a thread's stack stays resident until it is joined, so thread_per_job counts every thread it started); VmPTE: \
peak page tables (not in RSS); threads: the most OS threads alive at once; switches: voluntary (a thread \
blocked) / involuntary (the OS preempted a runnable thread); -: not measured or below the noise floor";

/// What the rows ran, in one phrase.
fn what(file: &ScaleFile) -> String {
    match file.plan.io {
        Io::Sleep => format!("io_bound, wait {} ms", file.plan.wait_ms),
        Io::Socket => format!(
            "net_bound: loopback TCP requests to one `cvp serve` child that replies after {} ms",
            file.plan.wait_ms
        ),
    }
}

/// How many runs the rows' medians are of: the plan's, and the rows that decide C8 where they had more.
fn runs_text(file: &ScaleFile) -> String {
    let repeat = file.plan.repeat;
    let more: Vec<String> = file
        .rows
        .iter()
        .filter(|r| r.ok() && r.repeats > repeat && C8_ROWS.contains(&r.label().as_str()))
        .map(|r| format!("{} at J={}", r.label(), r.jobs))
        .collect();
    let most = file.rows.iter().filter(|r| r.ok()).map(|r| r.repeats).max().unwrap_or(repeat);
    if more.is_empty() {
        format!("{repeat} run(s)")
    } else {
        format!(
            "{repeat} run(s), {most} for the rows that decide C8 ({}: a 95% interval for a median needs \
             {MIN_SAMPLES_FOR_CI})",
            more.join(", ")
        )
    }
}

/// The table `cvp scale` prints: one line per (structure, J), the goal, then the verdict.
pub fn table(file: &ScaleFile) -> String {
    let io = file.plan.io;
    let mut out = format!(
        "machine: {}\n{}; each row a fresh child process, median of {}; pool-bound rows skipped beyond \
         --budget-s {}\n\n",
        file.machine.summary(),
        what(file),
        runs_text(file),
        file.plan.budget_s
    );
    let rows: Vec<Vec<String>> = file.rows.iter().map(|r| cells(r, io)).collect();
    out += &aligned(header(io), &rows, 1);
    out += "\n";
    out += LEGEND;
    if io == Io::Socket {
        out += ".\n";
        out += SOCKET_LEGEND;
        out += ".\n";
        out += SOCKET_VS_RUN;
    }
    out += "\n\n";
    let goals = if io == Io::Sleep { goal_lines(&file.rows) } else { net_goal_lines(&file.rows, io) };
    for line in goals {
        out += &line;
        out += "\n";
    }
    out += "\n";
    for v in &file.verdicts {
        out +=
            &format!("  {}  {:<20}  {}\n      {}\n", v.claim, v.verdict.to_string(), v.statement, v.evidence);
    }
    out
}

/// The goal "`async` on 1 worker within 1.10 of the reference", one line per J > 1 where both ran.
pub fn goal_lines(rows: &[Row]) -> Vec<String> {
    let parts: Vec<String> = rows
        .iter()
        .filter(|r| r.label() == "async/1" && r.jobs > 1)
        .filter_map(|r| {
            let v = r.vs_reference?;
            let range =
                r.vs_reference_range.map_or(String::new(), |(lo, hi)| format!(" [{lo:.2} to {hi:.2}]"));
            Some(format!("J={}: {v:.2}{range} {}", r.jobs, goal(r)?))
        })
        .collect();
    if parts.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![format!(
        "goal: async/1 within {REFERENCE_GOAL:.2}x the reference's waits (vs ref, min - max of the runs):"
    )];
    lines.extend(parts.into_iter().map(|p| format!("  {p}")));
    lines
}

/// The goal of `--io socket` ([`net_goal`]): a head line, then one line per J of [`NET_GOAL_JOBS`] saying
/// the ratio and its outcome, or why it was not judged; nothing for sleeps.
pub fn net_goal_lines(rows: &[Row], io: Io) -> Vec<String> {
    if io != Io::Socket {
        return Vec::new();
    }
    let at: Vec<String> = NET_GOAL_JOBS.iter().map(|&j| crate::report::text::thousands(j)).collect();
    let mut lines = vec![format!(
        "goal: net_bound async/1 within {NET_GOAL:.2}x the reference's wall at {} requests (async/1 wall / \
         reference wall, min - max of the runs): the reference does the same socket work with no strategy \
         machinery, and the machinery should cost nothing visible next to it:",
        at.join(" and ")
    )];
    let find = |label: &str, j: usize| rows.iter().find(|r| r.label() == label && r.jobs == j);
    for j in NET_GOAL_JOBS {
        let line = match (net_goal(rows, j), find("async/1", j), find("reference", j)) {
            (Some((r, outcome)), ..) => {
                let range = if r.known { format!(" [{:.2} to {:.2}]", r.lo, r.hi) } else { String::new() };
                format!("{:.2}{range} {outcome}", r.mid)
            }
            (None, Some(r), _) if !r.ok() => format!("not judged: async/1 {}", r.status),
            (None, _, Some(x)) if !x.ok() => format!("not judged: reference {}", x.status),
            (None, None, _) => "not judged: async/1 did not run at this J".to_string(),
            (None, _, None) => {
                "not judged: no reference row (a file from before sockets had one)".to_string()
            }
            (None, ..) => "not judged: a wall is missing".to_string(),
        };
        lines.push(format!("  J={j}: {line}"));
    }
    lines
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

fn opt_f(v: Option<f64>, digits: usize) -> String {
    v.map_or(String::new(), |x| format!("{x:.digits$}"))
}

/// `cvp scale --format csv` and the results folder's `scale.csv` (an empty cell: not measured).
pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "strategy,workers,jobs,wait_ms,wall_s,wall_min_s,wall_max_s,waits,vs_reference,overhead_us_per_wait,\
         in_flight,cpu_s,cores_busy,peak_rss_bytes,baseline_rss_bytes,bytes_per_wait,noise_floor_bytes,\
         vm_pte_bytes,peak_threads,voluntary_switches,involuntary_switches,server_cpu_s,server_us_per_request,\
         repeats,status\n",
    );
    for r in rows {
        let status = if r.status.contains(',') || r.status.contains('"') {
            format!("\"{}\"", r.status.replace('"', "\"\""))
        } else {
            r.status.clone()
        };
        let fields = [
            r.strategy.clone(),
            r.workers.to_string(),
            r.jobs.to_string(),
            r.wait_ms.to_string(),
            opt_f(r.wall_s, 6),
            opt_f(r.wall_min_s, 6),
            opt_f(r.wall_max_s, 6),
            opt_f(r.waits, 4),
            opt_f(r.vs_reference, 4),
            opt_f(r.overhead_us_per_wait, 3),
            opt_f(r.in_flight, 1),
            opt_f(r.cpu_s, 6),
            opt_f(r.cores_busy, 4),
            opt(r.peak_rss_bytes),
            opt(r.baseline_rss_bytes),
            opt_f(r.bytes_per_wait, 1),
            opt(r.noise_floor_bytes),
            opt(r.vm_pte_bytes),
            opt(r.peak_threads),
            opt(r.voluntary_switches),
            opt(r.involuntary_switches),
            opt_f(r.server_cpu_s, 6),
            opt_f(r.server_us_per_request, 3),
            r.repeats.to_string(),
            status,
        ];
        out += &fields.join(",");
        out += "\n";
    }
    out
}

/// One line per structure: (J, y) for the rows where y was measured.
fn lines(rows: &[Row], y: impl Fn(&Row) -> Option<f64>) -> Vec<plot::Line> {
    let mut labels: Vec<String> = Vec::new();
    for r in rows {
        if !labels.contains(&r.label()) {
            labels.push(r.label());
        }
    }
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| plot::Line {
            label: label.clone(),
            color: plot::COLORS[i % plot::COLORS.len()],
            points: rows
                .iter()
                .filter(|r| &r.label() == label && r.ok())
                .filter_map(|r| Some((r.jobs as f64, y(r)?)))
                .collect(),
            dashed: label == "reference",
        })
        .filter(|l| !l.points.is_empty())
        .collect()
}

fn count(x: &f64) -> String {
    if *x >= 1e6 {
        format!("{:.0}M", x / 1e6)
    } else if *x >= 1000.0 {
        format!("{:.0}k", x / 1000.0)
    } else {
        format!("{x:.0}")
    }
}

/// `scale_time.svg`: wall / one wait against J; `scale_memory.svg`: memory per wait against J (where it
/// is clear of the noise floor).
/// `scale_socket_time.svg` and `scale_socket_memory.svg` for `--io socket`: the same with requests.
pub fn plots(file: &ScaleFile) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let (what, unit) = match file.plan.io {
        Io::Sleep => ("io_bound", "wait"),
        Io::Socket => ("net_bound (loopback TCP)", "request"),
    };
    let time = plot::log_log(
        &format!("{what}: all J {unit}s, in one-{unit}s ({} ms each)", file.plan.wait_ms),
        &format!("J = {unit}s (log scale)"),
        &format!("wall / one {unit} (log scale)"),
        &lines(&file.rows, |r| r.waits),
        &count,
        &|y| format!("{y:.1}"),
    )?;
    let memory = plot::log_log(
        &format!("{what}: client memory per {unit} (peak RSS above idle / J)"),
        &format!("J = {unit}s (log scale)"),
        &format!("bytes per {unit} (log scale)"),
        &lines(&file.rows, |r| r.bytes_per_wait),
        &count,
        &count,
    )?;
    let (t, m) = names(file.plan.io);
    Ok(vec![(t.into(), time.into_bytes()), (m.into(), memory.into_bytes())])
}

/// The file names of a section: (time plot, memory plot); the CSV and JSON are `<stem>.csv` / `.json`.
fn names(io: Io) -> (&'static str, &'static str) {
    match io {
        Io::Sleep => ("scale_time.svg", "scale_memory.svg"),
        Io::Socket => ("scale_socket_time.svg", "scale_socket_memory.svg"),
    }
}

/// Reads a `cvp scale --format json` file into the results folder's section: a table, `scale.csv`, the two
/// plots and C8, judged again from the file's rows (never copied from the file).
pub fn read_section(path: &Path) -> Result<Section, ReportError> {
    let unreadable = |why: String| ReportError::Unreadable { path: path.to_path_buf(), why };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let mut file: ScaleFile = serde_json::from_str(&text)
        .map_err(|e| unreadable(format!("{e} (expected the output of `cvp scale --format json`)")))?;
    let io = file.plan.io;
    file.verdicts = verdicts(&file.rows, io);
    let mut md = format!(
        "`{}`: {}, every row a fresh child process, median of {}.\n\n",
        file.command.iter().map(|a| shell_word(a)).collect::<Vec<_>>().join(" "),
        what(&file),
        runs_text(&file)
    );
    let (time_svg, memory_svg) = names(io);
    let unit = io.unit();
    md += &format!(
        "![wall / one {unit} against J]({time_svg})\n\n![memory per {unit} against J]({memory_svg})\n\n"
    );
    let head = header(io);
    md += &format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len()));
    for r in &file.rows {
        md += &format!("| {} |\n", cells(r, io).join(" | "));
    }
    md += &format!("\n{LEGEND}.\n");
    if io == Io::Socket {
        md += &format!("\n{SOCKET_LEGEND}.\n\n{SOCKET_VS_RUN}.\n");
    }
    let goal = if io == Io::Sleep { goal_lines(&file.rows) } else { net_goal_lines(&file.rows, io) };
    if let Some((head, rest)) = goal.split_first() {
        md += &format!("\n{head}\n\n");
        for line in rest {
            md += &format!("- {}\n", line.trim());
        }
    }
    let stem = match io {
        Io::Sleep => "scale",
        Io::Socket => "scale_socket",
    };
    let mut files = plots(&file)?;
    files.push((format!("{stem}.csv"), csv(&file.rows).into_bytes()));
    let json = serde_json::to_vec_pretty(&file).map_err(|e| unreadable(e.to_string()))?;
    files.push((format!("{stem}.json"), json));
    let title = match io {
        Io::Sleep => "Scale: 1 to 100,000 waits in flight (claim C8)".to_string(),
        Io::Socket => format!(
            "Scale over loopback TCP: 1 to {} requests in flight (net_bound, claim C8)",
            crate::report::text::thousands(file.plan.jobs.iter().copied().max().unwrap_or(1))
        ),
    };
    Ok(Section {
        title,
        markdown: md,
        files,
        verdicts: file.verdicts.clone(),
        machine: file.machine.clone(),
        source: path.to_path_buf(),
        figures: figures(&file),
    })
}

/// What `cvp report` may put beside another view's value of the same quantity: with `--io socket`,
/// `async/N`'s requests at each J > 1 (wall over the same structure's J = 1 wall, the fastest and slowest run
/// beside it), the figure `cvp run` shows for net_bound async/N ([`Figure::requests`]).
pub fn figures(file: &ScaleFile) -> Vec<Figure> {
    if file.plan.io != Io::Socket {
        return Vec::new();
    }
    let one = |label: &str| file.rows.iter().find(|x| x.ok() && x.jobs == 1 && x.label() == label)?.wall_s;
    file.rows
        .iter()
        .filter(|r| r.ok() && r.strategy == "async" && r.jobs > 1)
        .filter_map(|r| {
            let one = one(&r.label())?;
            let range =
                r.wall_min_s.zip(r.wall_max_s).filter(|_| r.repeats > 1).map(|(lo, hi)| (lo / one, hi / one));
            Some(Figure::requests(
                &r.label(),
                r.jobs,
                r.wait_ms,
                r.waits?,
                range,
                format!("`cvp scale --io socket` (a fresh child per run, median of {})", r.repeats),
            ))
        })
        .collect()
}

/// For the page across records: memory per wait at `jobs` waits of `async/1` and of `thread_per_job` (C8's
/// two rows), from the text of a results folder's scale files: `scale.json` (when given) gives each its 95%
/// interval as C8 reads it, `scale.csv` alone the medians. A row not measured (or under the noise floor) is
/// `None`; `Err` says why the file read (`scale.json` when given, else `scale.csv`) cannot be read.
pub fn memory_per_wait(
    json: Option<&str>,
    csv: Option<&str>,
    jobs: usize,
) -> Result<[Option<Range>; 2], String> {
    let pick = |strategy: &str, r: (&str, usize, usize)| {
        r.0 == strategy && r.2 == jobs && (r.1 == 1 || strategy != "async")
    };
    if let Some(text) = json {
        #[derive(serde::Deserialize)]
        struct Rows {
            rows: Vec<Row>,
        }
        let file: Rows = serde_json::from_str(text)
            .map_err(|e| format!("{e} (accepted: the output of `cvp scale --format json`)"))?;
        let find = |s: &str| {
            file.rows
                .iter()
                .find(|r| pick(s, (&r.strategy, r.workers, r.jobs)) && r.ok())
                .and_then(Row::bytes)
        };
        return Ok([find("async"), find("thread_per_job")]);
    }
    let Some(text) = csv else { return Ok([None, None]) };
    let csv = Csv::parse(text, &["strategy", "workers", "jobs", "bytes_per_wait"])
        .ok_or("it has not the columns `cvp report` writes (strategy, workers, jobs, bytes_per_wait, ...)")?;
    let find = |s: &str| {
        csv.rows()
            .find(|r| {
                let n = |c: &str| r.get(c).parse::<usize>().unwrap_or(0);
                pick(s, (r.get("strategy"), n("workers"), n("jobs"))) && matches!(r.get("status"), "ok" | "")
            })
            .and_then(|r| r.num("bytes_per_wait"))
            .map(|b| Range::of(b, None))
    };
    Ok([find("async"), find("thread_per_job")])
}
