//! `cvp scale`'s outputs: the table, the CSV, the two log-log plots and the results-folder section.

use std::path::Path;

use super::{REFERENCE_GOAL, Row, ScaleFile, c8, goal};
use crate::report::{self, ReportError, Section, plot};

/// `512 B`, `4.6 KiB`, `1.2 MiB`.
pub fn bytes_text(b: f64) -> String {
    if b < 1024.0 {
        format!("{b:.0} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    }
}

fn or_dash<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map_or_else(|| "-".into(), f)
}

fn cells(r: &Row) -> Vec<String> {
    let mut c = vec![r.label(), r.jobs.to_string()];
    if !r.ok() {
        c.extend(std::iter::repeat_n("-".to_string(), HEADER.len() - 3));
        c.push(r.status.clone());
        return c;
    }
    c.extend([
        or_dash(r.wall_s, report::human_time),
        or_dash(r.waits, |x| format!("{x:.2}")),
        or_dash(r.vs_reference, |x| format!("{x:.2}")),
        or_dash(r.overhead_us_per_wait, |x| format!("{x:.1}")),
        or_dash(r.in_flight, |x| format!("{x:.0}")),
        or_dash(r.cpu_s, report::human_time),
        or_dash(r.cores_busy, |x| format!("{x:.2}")),
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

const LEGEND: &str = "waits: wall / the same structure's J=1 wall (one wait); vs ref: waits / the reference's \
at that J; µs/wait: (wall - one wait) / J, what one more wait costs; in flight: J x one wait / wall (Little's \
law); CPU: the child's CPU time over the jobs; RSS/wait: (peak resident memory - the child's idle baseline) / J, \
shown only where that excess is at least 5x the structure's J=1 excess (the kernel's counters are approximate; \
a thread's stack stays resident until it is joined, so thread_per_job counts every thread it started); VmPTE: \
peak page tables (not in RSS); threads: the most OS threads alive at once; switches: voluntary (a thread \
blocked) / involuntary (the OS preempted a runnable thread); -: not measured or below the noise floor";

/// The table `cvp scale` prints: one line per (structure, J), the goal, then the verdict.
pub fn table(file: &ScaleFile) -> String {
    let mut out = format!(
        "machine: {}\nio_bound, wait {} ms; each row a fresh child process, median of {} run(s); pool-bound rows \
         skipped beyond --budget-s {}\n\n",
        file.machine.summary(),
        file.plan.wait_ms,
        file.plan.repeat,
        file.plan.budget_s
    );
    let rows: Vec<Vec<String>> = file.rows.iter().map(cells).collect();
    out += &report::aligned(&HEADER, &rows, 1);
    out += "\n";
    out += LEGEND;
    out += "\n\n";
    for line in goal_lines(&file.rows) {
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
         vm_pte_bytes,peak_threads,voluntary_switches,involuntary_switches,repeats,status\n",
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
pub fn plots(file: &ScaleFile) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let time = plot::log_log(
        &format!("io_bound: all J waits, in one-waits ({} ms each)", file.plan.wait_ms),
        "J = waits (log scale)",
        "wall / one wait (log scale)",
        &lines(&file.rows, |r| r.waits),
        &count,
        &|y| format!("{y:.1}"),
    )?;
    let memory = plot::log_log(
        "io_bound: memory per wait (peak RSS above idle / J)",
        "J = waits (log scale)",
        "bytes per wait (log scale)",
        &lines(&file.rows, |r| r.bytes_per_wait),
        &count,
        &count,
    )?;
    Ok(vec![("scale_time.svg".into(), time.into_bytes()), ("scale_memory.svg".into(), memory.into_bytes())])
}

/// Reads a `cvp scale --format json` file into the results folder's section: a table, `scale.csv`, the two
/// plots and C8, judged again from the file's rows (never copied from the file).
pub fn read_section(path: &Path) -> Result<Section, ReportError> {
    let unreadable = |why: String| ReportError::Unreadable { path: path.to_path_buf(), why };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let mut file: ScaleFile = serde_json::from_str(&text)
        .map_err(|e| unreadable(format!("{e} (expected the output of `cvp scale --format json`)")))?;
    file.verdicts = vec![c8(&file.rows)];
    let mut md = format!(
        "`{}`: io_bound with {} ms waits, every row a fresh child process, median of {} run(s).\n\n",
        file.command.iter().map(|a| report::shell_word(a)).collect::<Vec<_>>().join(" "),
        file.plan.wait_ms,
        file.plan.repeat
    );
    md +=
        "![wall / one wait against J](scale_time.svg)\n\n![memory per wait against J](scale_memory.svg)\n\n";
    md += &format!("| {} |\n|{}\n", HEADER.join(" | "), "---|".repeat(HEADER.len()));
    for r in &file.rows {
        md += &format!("| {} |\n", cells(r).join(" | "));
    }
    md += &format!("\n{LEGEND}.\n");
    let goal = goal_lines(&file.rows);
    if let Some((head, rest)) = goal.split_first() {
        md += &format!("\n{head}\n\n");
        for line in rest {
            md += &format!("- {}\n", line.trim());
        }
    }
    let mut files = plots(&file)?;
    files.push(("scale.csv".into(), csv(&file.rows).into_bytes()));
    let json = serde_json::to_vec_pretty(&file).map_err(|e| unreadable(e.to_string()))?;
    files.push(("scale.json".into(), json));
    Ok(Section {
        title: "Scale: 1 to 100,000 waits in flight (claim C8)".into(),
        markdown: md,
        files,
        verdicts: file.verdicts.clone(),
        machine: file.machine.clone(),
        source: path.to_path_buf(),
    })
}
