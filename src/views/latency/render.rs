//! Rendering `cvp latency`'s rows: the terminal table, CSV, and the results-folder section with its
//! latency-by-percentile SVG (HdrHistogram's x axis, log y, one panel per core setting).

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use super::{LatencyFile, MIN_FOR_P999, Row, Setting, Structure, judge_file};
use crate::claims::{RESPONSIVE, Range};
use crate::report::text::Csv;
use crate::report::{ReportError, Section, plot};

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.digits$}"))
}

fn rows_table(rows: &[Row], markdown: bool) -> String {
    let head = [
        "cores",
        "structure",
        "N",
        "sent",
        "served",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99 after send",
        "p99.9 ms",
        "max ms",
        "batch s",
        "alone s",
        "slowdown",
        "invol. sw",
        "client late ms",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                format!("{} ({})", r.setting.as_str(), r.cores),
                r.structure.to_string(),
                r.workers.to_string(),
                r.sent.to_string(),
                r.served.to_string(),
                format!("{:.3}", r.p50_ms),
                format!("{:.3}", r.p90_ms),
                format!("{:.3}", r.p99_ms),
                format!("{:.3}", r.p99_after_send_ms),
                opt(r.p999_ms, 3),
                format!("{:.3}", r.max_ms),
                format!("{:.3}", r.batch_s),
                opt(r.batch_alone_s, 3),
                opt(r.slowdown, 2),
                r.involuntary_switches.to_string(),
                format!("{:.3}", r.client_late_ms),
            ]
        })
        .collect();
    let mut out = String::new();
    if markdown {
        let _ = writeln!(out, "| {} |", head.join(" | "));
        let _ = writeln!(
            out,
            "|{}",
            head.iter().enumerate().map(|(i, _)| if i < 2 { "---|" } else { "--:|" }).collect::<String>()
        );
        for c in cells {
            let _ = writeln!(out, "| {} |", c.join(" | "));
        }
    } else {
        let widths: Vec<usize> = (0..head.len())
            .map(|i| cells.iter().map(|c| c[i].len()).chain([head[i].len()]).max().unwrap_or(0))
            .collect();
        let line = |c: &[String]| -> String {
            c.iter()
                .enumerate()
                .map(|(i, v)| {
                    if i < 2 { format!("{v:<w$}", w = widths[i]) } else { format!("{v:>w$}", w = widths[i]) }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        let _ = writeln!(out, "{}", line(&head.iter().map(|h| h.to_string()).collect::<Vec<_>>()));
        for c in &cells {
            let _ = writeln!(out, "{}", line(c));
        }
    }
    out
}

/// Where the client ran beside the server in each core setting, and how the p99 intervals were taken, from
/// the rows (a file from before the client had a CPU of its own says so).
fn arrangement(file: &LatencyFile) -> String {
    let cpus = |v: &[usize]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",");
    let mut parts = Vec::new();
    for setting in [Setting::All, Setting::One] {
        let rows: Vec<&Row> = file.rows.iter().filter(|r| r.setting == setting).collect();
        let Some(r) = rows.first() else { continue };
        let place = if r.server_cpus.is_empty() {
            "client among the server's CPUs (a file from before the client had a CPU of its own)".to_string()
        } else if r.client_apart() {
            format!(
                "server on CPU {}, client on CPU {} of its own",
                cpus(&r.server_cpus),
                cpus(&r.client_cpus)
            )
        } else {
            format!("client and server share CPU {} (no CPU left over for the client)", cpus(&r.server_cpus))
        };
        let runs = r.p99_runs_ms.len();
        let interval = if runs > 1 {
            format!(
                "each row run {runs} times, p99 = the median of the runs' p99s with its 95% interval between runs"
            )
        } else {
            "each row run once, p99 interval from its requests' order statistics (assumes them independent)"
                .into()
        };
        parts.push(format!("{}: {place}; {interval}", setting.words()));
    }
    parts.join("\n")
}

fn header(file: &LatencyFile) -> String {
    format!(
        "{}\nheavy batch: {} cpu_bound jobs of {} rounds (calibrated to --job-ms {}; one job measured {:.2} ms); \
         a request (one SHA-256) every {} ms, open loop, latency = finish - due time; async_yield yields every {} \
         rounds (about 100 us); at most N heavy jobs hash at once in the async structures; the client sleeps to \
         60 us before each due time and spins the rest, but only sleeps (1 ns timer slack) where it shares the \
         server's only CPU; p99.9 is shown only from {MIN_FOR_P999} requests\n{}\n",
        file.machine.summary(),
        file.jobs,
        file.rounds,
        file.job_ms,
        file.job_measured_ms,
        file.interval_ms,
        file.yield_rounds,
        arrangement(file)
    )
}

/// The terminal table: rows, the idle floor, the verdict and the notes.
pub fn table(file: &LatencyFile) -> String {
    let mut out = header(file);
    out.push('\n');
    out += &rows_table(&file.rows, false);
    let _ =
        writeln!(out, "\nidle floor (no heavy work, N = 1, in each core setting): the harness's own latency");
    out += &rows_table(&file.floor, false);
    let _ = writeln!(out, "\nverdicts:");
    for v in &file.verdicts {
        let _ = writeln!(out, "  {} {}: {}\n     {}", v.claim, v.statement, v.verdict, v.evidence);
    }
    if !file.notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for n in &file.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}

/// CSV: one line per row, the floor rows with `kind` = `floor`.
pub fn csv(file: &LatencyFile) -> String {
    let mut out = String::from(
        "kind,setting,cores,structure,workers,sent,served,p50_ms,p90_ms,p99_ms,p99_lo_ms,p99_hi_ms,p99_after_send_ms,p999_ms,\
         max_ms,batch_s,batch_alone_s,slowdown,involuntary_switches,voluntary_switches,client_late_ms,\
         client_behind\n",
    );
    for (kind, rows) in [("load", &file.rows), ("floor", &file.floor)] {
        for r in rows {
            let _ = writeln!(
                out,
                "{kind},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.setting.as_str(),
                r.cores,
                r.structure,
                r.workers,
                r.sent,
                r.served,
                r.p50_ms,
                r.p90_ms,
                r.p99_ms,
                r.p99_range_ms.0,
                r.p99_range_ms.1,
                r.p99_after_send_ms,
                r.p999_ms.map_or(String::new(), |v| v.to_string()),
                r.max_ms,
                r.batch_s,
                r.batch_alone_s.map_or(String::new(), |v| v.to_string()),
                r.slowdown.map_or(String::new(), |v| v.to_string()),
                r.involuntary_switches,
                r.voluntary_switches,
                r.client_late_ms,
                r.client_behind
            );
        }
    }
    out
}

/// The SVG file names a section writes: all panels, and one per core setting (the README shows one core).
pub fn plot_name(setting: Option<Setting>) -> String {
    match setting {
        None => "latency_percentiles.svg".into(),
        Some(Setting::All) => "latency_percentiles_all_cores.svg".into(),
        Some(Setting::One) => "latency_percentiles_one_core.svg".into(),
    }
}

/// Reads a `cvp latency --format json` file into the report's section: tables, the plots, C7.
pub fn read_section(path: &Path) -> Result<Section, ReportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ReportError::Unreadable { path: path.to_path_buf(), why: e.to_string() })?;
    let mut file: LatencyFile = serde_json::from_str(&text).map_err(|e| ReportError::Unreadable {
        path: path.to_path_buf(),
        why: format!("not a `cvp latency --format json` file: {e}"),
    })?;
    // The verdicts and notes are judged again from the rows (never copied from the file), as the scale
    // section does; a p99.9 of too few requests (an older file) is dropped.
    for r in file.rows.iter_mut().chain(file.floor.iter_mut()) {
        if r.served < MIN_FOR_P999 {
            r.p999_ms = None;
        }
    }
    judge_file(&mut file);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "`{}`\n\n{} cpu_bound jobs of {} SHA-256 rounds each (calibrated to {} ms; one job measured {:.2} ms), \
         while one client thread sends a request (one SHA-256) every {} ms on a fixed schedule, open loop. \
         Latency = the instant a handler finished it - the instant it was **due**, so a stalled server is \
         charged for every request that fell due during the stall. Percentiles from HdrHistogram (3 \
         significant digits); p99 with its 95% interval in the JSON. `slowdown` = the batch \
         with requests / the same structure's batch alone. `invol. sw` = involuntary context switches of the \
         process during the run, the client's own left out where it was measured. The client sleeps to 60 us \
         before each due time and spins the rest, but where it shares the server's only CPU it only sleeps (1 ns \
         timer slack), and there its own wake-up is part of the latency (see `p99 after send` and `client late \
         ms`). p99.9 is `-` below {MIN_FOR_P999} requests. The verdict and notes are judged again from these \
         rows.\n\n{}\n",
        file.command.join(" "),
        file.jobs,
        file.rounds,
        file.job_ms,
        file.job_measured_ms,
        file.interval_ms,
        arrangement(&file).replace('\n', "\n\n")
    );
    md += &rows_table(&file.rows, true);
    let _ = writeln!(md, "\nThe harness's own floor (no heavy work, N = 1, in each core setting):\n");
    md += &rows_table(&file.floor, true);
    let settings: Vec<Setting> = [Setting::All, Setting::One]
        .into_iter()
        .filter(|s| file.rows.iter().any(|r| r.setting == *s))
        .collect();
    let mut files = Vec::new();
    if !settings.is_empty() {
        files.push((plot_name(None), plot(&file, &settings)?.into_bytes()));
        for &s in &settings {
            files.push((plot_name(Some(s)), plot(&file, &[s])?.into_bytes()));
        }
        let _ = writeln!(md, "\n![latency by percentile]({})", plot_name(None));
    }
    if !file.notes.is_empty() {
        md.push('\n');
        for n in &file.notes {
            let _ = writeln!(md, "- {n}");
        }
    }
    // The rows themselves travel with the pictures: the CSV, and the whole file as judged again here.
    files.push(("latency.csv".into(), csv(&file).into_bytes()));
    let json =
        serde_json::to_vec_pretty(&file).map_err(|e| ReportError::Plot(format!("latency JSON: {e}")))?;
    files.push(("latency.json".into(), json));
    Ok(Section {
        title: "Latency: responsive while computing (C7)".into(),
        markdown: md,
        files,
        verdicts: file.verdicts.clone(),
        machine: file.machine.clone(),
        source: path.to_path_buf(),
        figures: Vec::new(),
    })
}

fn color(s: Structure) -> RGBColor {
    // The toolkit's palette: grey, red, green, blue, orange, in Structure::ALL order.
    plot::COLORS[[0, 4, 3, 1, 2][Structure::ALL.iter().position(|&k| k == s).unwrap_or(0)]]
}

fn x_label(x: f64) -> String {
    match x.round() as i64 {
        0 => "0%".into(),
        1 => "90%".into(),
        2 => "99%".into(),
        3 => "99.9%".into(),
        4 => "99.99%".into(),
        5 => "99.999%".into(),
        _ => String::new(),
    }
}

/// Latency by percentile, one panel per setting, one line per structure and worker count (dashed at 1
/// worker, solid at more), with one job and the C7 bound (a quarter job) as grey references.
pub fn plot(file: &LatencyFile, settings: &[Setting]) -> Result<String, ReportError> {
    let e = |x: &dyn std::fmt::Display| ReportError::Plot(format!("latency plot: {x}"));
    let job = file.job_measured_ms;
    let (mut y_min, mut y_max, mut x_max) = (f64::INFINITY, job, 2.0f64);
    for r in file.rows.iter().filter(|r| settings.contains(&r.setting)) {
        for &(x, y) in &r.curve {
            if y > 0.0 {
                y_min = y_min.min(y);
                y_max = y_max.max(y);
            }
            x_max = x_max.max(x);
        }
    }
    if !y_min.is_finite() {
        y_min = 0.01;
    }
    let (y_lo, y_hi) = ((y_min / 2.0).max(1e-3), y_max * 3.0);
    let x_hi = x_max.ceil().max(x_max + 0.2);
    const LEGEND: u32 = 230;
    let width = 600 * settings.len() as u32 + LEGEND;
    let grey = RGBColor(0x88, 0x88, 0x88);
    // Every line drawn, once for the shared legend: (label, colour, width, dashed).
    let mut keys: Vec<(String, RGBColor, u32, bool)> = vec![
        (format!("one heavy job ({job:.1} ms)"), grey, 1, true),
        (format!("C7 bound: 1/4 job ({:.1} ms)", RESPONSIVE * job), grey, 1, true),
    ];
    let style_of = |r: &Row| {
        let dashed = r.workers == 1 && r.structure != Structure::Sequential;
        (color(r.structure), if r.workers == 1 { 1 } else { 3 }, dashed)
    };
    for r in file.rows.iter().filter(|r| settings.contains(&r.setting)) {
        let label = format!("{}/{}", r.structure, r.workers);
        if !keys.iter().any(|k| k.0 == label) {
            let (c, w, d) = style_of(r);
            keys.push((label, c, w, d));
        }
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let (plots, legend) = root.split_horizontally(width - LEGEND);
        let panels = plots.split_evenly((1, settings.len()));
        for (area, &setting) in panels.iter().zip(settings) {
            let rows: Vec<&Row> = file.rows.iter().filter(|r| r.setting == setting).collect();
            let cores = rows.first().map_or(0, |r| r.cores);
            let title = format!(
                "{} ({} CPU{}): request latency",
                setting.words(),
                cores,
                if cores == 1 { "" } else { "s" }
            );
            let mut chart = ChartBuilder::on(area)
                .caption(title, ("sans-serif", 20))
                .margin(14)
                .x_label_area_size(44)
                .y_label_area_size(64)
                .build_cartesian_2d(0.0..x_hi, (y_lo..y_hi).log_scale())
                .map_err(|x| e(&x))?;
            chart
                .configure_mesh()
                .x_desc("percentile")
                .y_desc("latency, ms (log scale)")
                .label_style(("sans-serif", 14))
                .axis_desc_style(("sans-serif", 15))
                .x_labels(x_hi as usize + 1)
                .x_label_formatter(&|x| x_label(*x))
                .y_label_formatter(&|y| if *y >= 1.0 { format!("{y:.0}") } else { format!("{y}") })
                .light_line_style(WHITE)
                .draw()
                .map_err(|x| e(&x))?;
            for y in [job, RESPONSIVE * job] {
                chart
                    .draw_series(DashedLineSeries::new(vec![(0.0, y), (x_hi, y)], 4, 4, grey.stroke_width(1)))
                    .map_err(|x| e(&x))?;
            }
            for r in rows {
                let (c, w, dashed) = style_of(r);
                let pts: Vec<(f64, f64)> = r.curve.iter().copied().filter(|&(_, y)| y > 0.0).collect();
                if dashed {
                    chart
                        .draw_series(DashedLineSeries::new(pts, 5, 3, c.stroke_width(w)))
                        .map_err(|x| e(&x))?;
                } else {
                    chart.draw_series(LineSeries::new(pts, c.stroke_width(w))).map_err(|x| e(&x))?;
                }
            }
        }
        let font = ("sans-serif", 14).into_font();
        legend
            .draw(&Text::new("N = workers; dashed: N = 1", (8, 40), font.clone().color(&grey)))
            .map_err(|x| e(&x))?;
        for (i, (label, c, w, dashed)) in keys.iter().enumerate() {
            let y = 70 + 22 * i as i32;
            let segments: Vec<(i32, i32)> =
                if *dashed { vec![(8, 14), (18, 24), (28, 34)] } else { vec![(8, 34)] };
            for (a, b) in segments {
                legend
                    .draw(&PathElement::new(vec![(a, y), (b, y)], c.stroke_width(*w)))
                    .map_err(|x| e(&x))?;
            }
            legend.draw(&Text::new(label.clone(), (42, y - 7), font.clone())).map_err(|x| e(&x))?;
        }
        root.present().map_err(|x| e(&x))?;
    }
    Ok(svg)
}

/// For the page across records: the p99 on one core of the blocked loop (`async/1`) and of the offloaded one
/// (`async_offload/1`), with the intervals the record gives them, from the text of a results folder's
/// `latency.csv`. A row not measured is `None`; `Err` says why the file cannot be read.
pub fn one_core_p99(csv: &str) -> Result<[Option<Range>; 2], String> {
    let csv = Csv::parse(csv, &["kind", "setting", "structure", "workers", "p99_ms"]).ok_or(
        "it has not the columns `cvp report` writes (kind, setting, structure, workers, p99_ms, ...)",
    )?;
    let find = |s: Structure| {
        let r = csv.rows().find(|r| {
            r.get("kind") == "load"
                && r.get("setting") == Setting::One.as_str()
                && r.get("structure") == s.as_str()
                && r.get("workers") == "1"
        })?;
        let range = r.num("p99_lo_ms").zip(r.num("p99_hi_ms"));
        r.num("p99_ms").map(|p| Range::of(p, range))
    };
    Ok([find(Structure::Async), find(Structure::AsyncOffload)])
}
