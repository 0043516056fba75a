//! The text of `cvp trace`: the summary table, the files of its output folder and its results-folder
//! section, read back from a `trace.json`.

use std::fmt::Write as _;
use std::path::Path;

use super::{TraceFile, chrome_json, svg, verdict_c9};
use crate::claims::Verdict;
use crate::report::text::short_time as ms;
use crate::report::{ReportError, Section};

/// Reads the rows back from a `trace.json` (or the folder holding it).
pub fn read(path: &Path) -> Result<(TraceFile, std::path::PathBuf), ReportError> {
    let file = if path.is_dir() { path.join("trace.json") } else { path.to_path_buf() };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| ReportError::Unreadable { path: file.clone(), why: e.to_string() })?;
    let bad = |why: String| ReportError::Unreadable { path: file.clone(), why };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let rows =
        value.get("cvp").cloned().ok_or_else(|| bad("no `cvp` key: not written by `cvp trace`".into()))?;
    let rows: TraceFile = serde_json::from_value(rows).map_err(|e| bad(e.to_string()))?;
    Ok((rows, file))
}

/// The summary table, one row per strategy, then the verdicts.
pub fn table(file: &TraceFile) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} x {} jobs, wait {} ms, {} rounds (one hash alone {}), {}",
        file.plan.workload,
        file.plan.jobs,
        if file.plan.workload.waits() { file.plan.wait_ms } else { 0 },
        file.rounds,
        ms(file.solo_hash_s),
        match file.pinned_cpu {
            Some(c) => format!("pinned to cpu {c}"),
            None => format!("{} CPUs usable", file.cpus.map_or("?".into(), |c| c.to_string())),
        }
    );
    let _ = writeln!(
        s,
        "{:<15} {:>7} {:>5} {:>10} {:>10} {:>10}",
        "strategy", "workers", "lanes", "wall", "cores busy", "in flight"
    );
    for p in &file.passes {
        let _ = writeln!(
            s,
            "{:<15} {:>7} {:>5} {:>10} {:>10.2} {:>10.2}",
            p.strategy.as_str(),
            p.workers,
            p.lanes().len(),
            ms(p.wall_s),
            p.cores_busy(),
            p.in_flight()
        );
    }
    for v in &file.verdicts {
        let _ = writeln!(s, "  {}  {:<20}  {}", v.claim, v.verdict.to_string(), v.statement);
        let _ = writeln!(s, "      {}", v.evidence);
    }
    s
}

/// The files `cvp trace` writes into its output folder: `timeline.svg` and `trace.json`.
pub fn files(file: &TraceFile) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let json = chrome_json(file).map_err(|e| ReportError::Plot(format!("trace JSON: {e}")))?;
    Ok(vec![("timeline.svg".into(), svg(file)?.into_bytes()), ("trace.json".into(), json.into_bytes())])
}

/// The name a trace's files take in a results folder, so two traces (e.g. the default and the one-core
/// one, or two job counts) do not clash: `<workload>-<jobs>j-<workers>w[-1cpu]`.
pub fn slug(file: &TraceFile) -> String {
    format!(
        "{}-{}j-{}w{}",
        file.plan.workload,
        file.plan.jobs,
        file.plan.workers,
        if file.pinned_cpu.is_some() { "-1cpu" } else { "" }
    )
}

/// The results-folder section of a trace (`cvp report --trace DIR`): the summary table, the picture, the
/// Chrome trace and, when the passes ran on one CPU, the C9 verdict.
pub fn read_section(path: &Path) -> Result<Section, ReportError> {
    let (file, source) = read(path)?;
    let slug = slug(&file);
    let (svg_name, json_name) = (format!("timeline-{slug}.svg"), format!("trace-{slug}.json"));
    let json = std::fs::read(&source)
        .map_err(|e| ReportError::Unreadable { path: source.clone(), why: e.to_string() })?;
    let mut md = String::new();
    let _ = writeln!(md, "![timeline]({svg_name})\n");
    let _ = writeln!(
        md,
        "Each lane is an OS thread that ran job work, named as the thread is; a thin bar is a job's wait, a \
         solid bar its hashing, coloured by job. [`{json_name}`]({json_name}) is the same trace in the Chrome \
         Trace Event Format: open it in <https://ui.perfetto.dev> (Open trace file) or chrome://tracing.\n"
    );
    let _ = writeln!(
        md,
        "| strategy | workers | lanes | wall | cores busy | in flight |\n|---|---:|---:|---:|---:|---:|"
    );
    for p in &file.passes {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.2} | {:.2} |",
            p.strategy,
            p.workers,
            p.lanes().len(),
            ms(p.wall_s),
            p.cores_busy(),
            p.in_flight()
        );
    }
    // Judged again from the rows, never copied from the file: the rule is the one this build applies.
    let verdicts: Vec<Verdict> = if file.cpus == Some(1) { vec![verdict_c9(&file)] } else { Vec::new() };
    for v in &verdicts {
        let _ = writeln!(md, "\n{} ({}): **{}**. {}", v.claim, v.statement, v.verdict, v.evidence);
    }
    Ok(Section {
        title: format!(
            "Timeline: {} x {} jobs, {} workers{}",
            file.plan.workload,
            file.plan.jobs,
            file.plan.workers,
            if file.pinned_cpu.is_some() { ", on one CPU" } else { "" }
        ),
        markdown: md,
        files: vec![(svg_name, svg(&file)?.into_bytes()), (json_name, json)],
        verdicts,
        machine: file.machine.clone(),
        source,
        figures: Vec::new(),
    })
}
