//! The page across records: `results/index.html` (`cvp report --index results/`) and `cvp compare A B --html
//! OUT`. Each record's verdicts as its own `cvp report` judged them (never judged again), side by side: a
//! column per record, grouped by machine (the same CPU and cores, [`Machine::same_hardware`]), a row per
//! claim; the numbers three views measured, run against run; and three charts. The records are read by
//! [`crate::views::records`]; like it, this file composes views, so it sits beside their index, and no view
//! refers to it.
//!
//! Two records of one machine are two runs of it, and only they are compared: a number whose 95% intervals
//! overlap between the runs is "within the intervals"; one whose intervals are apart says by how much, in
//! neither direction called better or worse. Between two machines nothing is compared: a difference there
//! is another machine, never a regression or an improvement.

use std::path::Path;

use maud::{Markup, html};

use crate::claims::{BOUNDARY, CLAIMS, Claim, Outcome, Range, Verdict};
use crate::cli::{self, Failure};
use crate::machine::Machine;
use crate::report::html::{look, page, shorten, svg_figure};
use crate::report::plot::{self, COLORS, Dots, Line, Mark};
use crate::report::text::bytes_text;
use crate::report::{self, ReportError};
use crate::strategy::StrategyKind;
use crate::views::records::{
    ACCEPTED, MEMORY_AT, Record, Source, baseline_record, check_page_out, find_records, group_by_machine,
    read_record, relative_link,
};

/// One column: a record, the machine it belongs to and which run of it.
struct Column<'a> {
    record: &'a Record,
    /// Its record's place in the page's order, and its link.
    link: Option<String>,
    /// The index of its machine among the page's machines.
    machine: usize,
    /// Its run of that machine, from 1, and how many runs the machine has.
    run: usize,
    runs: usize,
    /// What the notes call it (`run 2`, `B`).
    tag: String,
    /// What its head says of it beside its date (`run 2 of 3`, `B`), if anything.
    heading: Option<String>,
    /// The previous run of the same machine, if any: what its numbers are compared with.
    prev: Option<usize>,
}

/// The columns for `records` (in page order: each machine's runs together), with their links from
/// `page_dir` and their tags (`tags` given: one per record, else `run N`).
fn columns<'a>(records: &'a [Record], page_dir: &Path, tags: Option<&[&str]>) -> Vec<Column<'a>> {
    let mut machines: Vec<&Machine> = Vec::new();
    let mut cols: Vec<Column> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let m = machines.iter().position(|m| m.same_hardware(&r.machine)).unwrap_or_else(|| {
            machines.push(&r.machine);
            machines.len() - 1
        });
        let run = cols.iter().filter(|c| c.machine == m).count() + 1;
        let link = r.folder.as_ref().and_then(|f| {
            let file = ["index.html", "README.md"].into_iter().find(|n| f.join(n).is_file())?;
            relative_link(page_dir, &f.join(file))
        });
        let tag = tags.and_then(|t| t.get(i)).map_or(format!("run {run}"), |t| t.to_string());
        let prev = cols.iter().rposition(|c| c.machine == m);
        cols.push(Column { record: r, link, machine: m, run, runs: 0, tag, heading: None, prev });
    }
    let counts: Vec<usize> =
        (0..machines.len()).map(|m| cols.iter().filter(|c| c.machine == m).count()).collect();
    for c in &mut cols {
        c.runs = counts[c.machine];
        c.heading = match tags {
            Some(_) => Some(c.tag.clone()),
            None => (c.runs > 1).then(|| format!("{} of {}", c.tag, c.runs)),
        };
    }
    cols
}

/// The table's head: a cell per machine (CPU model, cores; "another machine" after the first), then a
/// cell per record (its date, linked to its own page, and which run it is).
fn head(cols: &[Column], corner: &str) -> Markup {
    let machines: Vec<(usize, &Column)> = cols
        .iter()
        .filter(|c| c.run == 1)
        .map(|c| (cols.iter().filter(|d| d.machine == c.machine).count(), c))
        .collect();
    html! {
        thead {
            tr {
                th.claim rowspan="2" scope="col" { (corner) }
                @for (n, c) in &machines {
                    th.machine colspan=(n) scope="colgroup" {
                        span.cpu { (c.record.machine.cpu_model) }
                        " "
                        span.cores { (c.record.machine.usable_cores()) " cores" }
                        @if c.machine > 0 {
                            " "
                            span.other title="another CPU or core count than the first column's: its numbers are \
                                              not compared with theirs" { "another machine" }
                        }
                    }
                }
            }
            tr {
                @for c in cols {
                    th.run scope="col" data-machine=(c.machine) {
                        @match &c.link {
                            Some(href) => a href=(href) title=(c.record.name) { (c.record.date) },
                            None => span title=(c.record.name) { (c.record.date) },
                        }
                        @if let Some(h) = &c.heading { " " span.runof { (h) } }
                        @if c.record.source == Source::Readme {
                            span.from-readme { "verdicts from its README" }
                        }
                    }
                }
            }
        }
    }
}

/// The line of `claim` a verdict sits on: `""` for the claim's own, else what its statement adds (the
/// net_bound twin's `(net_bound: loopback TCP)`, a boundary line's words). A statement in an older wording of
/// the claim is the claim's own line.
fn line_of(claim: &Claim, v: &Verdict) -> String {
    if v.statement == claim.statement {
        String::new()
    } else if let Some(rest) = v.statement.strip_prefix(claim.statement) {
        rest.trim().trim_start_matches('(').trim_end_matches(')').to_string()
    } else if v.is_boundary() {
        v.statement.clone()
    } else {
        String::new()
    }
}

/// The verdict table: a row per claim line (the claim's own, then its twins), a cell per record.
fn verdict_table<'a>(cols: &[Column<'a>]) -> Markup {
    let mut rows: Vec<Markup> = Vec::new();
    for claim in &CLAIMS {
        let mut lines = vec![String::new()];
        for v in cols.iter().flat_map(|c| &c.record.verdicts).filter(|v| v.claim == claim.id) {
            let line = line_of(claim, v);
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
        for line in &lines {
            let find =
                |r: &'a Record| r.verdicts.iter().find(|v| v.claim == claim.id && line_of(claim, v) == *line);
            let cells: Vec<Markup> = cols
                .iter()
                .map(|c| {
                    let before =
                        c.prev.map(|p| (find(cols[p].record).map(|v| v.verdict), cols[p].tag.as_str()));
                    verdict_cell(find(c.record), c, before)
                })
                .collect();
            let what = line.strip_prefix(BOUNDARY).map_or(line.clone(), |l| format!("boundary: {l}"));
            rows.push(html! {
                tr class=(if line.is_empty() { "claim-row" } else { "claim-row sub" }) data-claim=(claim.id) {
                    th.claim scope="row" {
                        @if line.is_empty() {
                            b { (claim.id) } " " q title=(claim.statement) { (claim.article) }
                        } @else {
                            "↳ " (what)
                        }
                    }
                    @for cell in &cells { (cell) }
                }
            });
        }
    }
    html! {
        div.scroll {
            table.across.verdicts {
                (head(cols, "claim"))
                tbody { @for row in &rows { (row) } }
            }
        }
    }
}

/// One verdict: colour and word, its headline (the evidence's start where it has none), the evidence
/// folded; marked when it comes from a README, and when it differs from the previous run of its machine.
fn verdict_cell(v: Option<&Verdict>, col: &Column, prev: Option<(Option<Outcome>, &str)>) -> Markup {
    let (class, word) = look(v.map(|v| v.verdict));
    let changed = prev.filter(|(o, _)| v.map(|v| v.verdict) != *o);
    html! {
        td class=(class) {
            span.badge { (word) }
            @if let Some(v) = v {
                details {
                    summary { (if v.headline.is_empty() { shorten(&v.evidence, 90) } else { v.headline.clone() }) }
                    p { (v.evidence) }
                }
                @if col.record.source == Source::Readme {
                    span.from-readme title="this record has no verdicts.json: its README's verdict, as the rules of \
                                            its day judged it" { "from its README" }
                }
            }
            @if let Some((o, tag)) = changed {
                span.change { (tag) ": " (look(o).1) }
            }
        }
    }
}

/// How `now` stands against `before`, the previous run of the same machine: within the intervals when they
/// overlap; otherwise the ratio, apart or without an interval to tell.
fn change(before: Range, now: Range, tag: &str) -> (bool, String) {
    let ratio =
        if before.mid > 0.0 { format!("{:.2}x {tag}", now.mid / before.mid) } else { format!("vs {tag}") };
    if !(before.known && now.known) {
        (false, format!("{ratio}: no interval to tell"))
    } else if now.lo <= before.hi && before.lo <= now.hi {
        (false, format!("within the intervals of {tag}"))
    } else {
        (true, format!("{ratio}: the intervals are apart"))
    }
}

/// Where a record keeps one number.
type Reader<'a> = Box<dyn Fn(&Record) -> Option<Range> + 'a>;

/// A number of the numbers table: its row label, how it shows, and where each record keeps it.
struct Number<'a> {
    label: String,
    show: &'a dyn Fn(f64) -> String,
    of: Reader<'a>,
    /// Compared between runs only when both measured the same work ([`Record::work`]).
    sized: bool,
}

/// The numbers the charts draw, one row each, a cell per record; a later run of a machine says how each
/// stands against its previous run.
fn numbers_table(cols: &[Column]) -> Markup {
    let times = |x: f64| format!("{x:.2}x");
    let ms = |x: f64| format!("{x:.2} ms");
    let bytes = |x: f64| bytes_text(x);
    let mut workers: Vec<usize> =
        cols.iter().flat_map(|c| c.record.speedups.iter().map(|(n, _)| *n)).collect();
    workers.sort();
    workers.dedup();
    let mut rows: Vec<Number> = workers
        .iter()
        .map(|&n| Number {
            label: format!("cpu_bound best speedup, N={n}"),
            show: &times,
            of: Box::new(move |r: &Record| r.speedups.iter().find(|(k, _)| *k == n).map(|(_, s)| *s)),
            sized: true,
        })
        .collect();
    let at = report::text::thousands(MEMORY_AT);
    for (i, what) in ["async/1", "thread_per_job"].into_iter().enumerate() {
        rows.push(Number {
            label: format!("memory per wait at {at} waits, {what}"),
            show: &bytes,
            of: Box::new(move |r: &Record| r.memory[i]),
            sized: false,
        });
    }
    for (i, what) in ["async/1 (the loop blocked by the batch)", "async_offload/1 (the batch offloaded)"]
        .into_iter()
        .enumerate()
    {
        rows.push(Number {
            label: format!("p99 on one core, {what}"),
            show: &ms,
            of: Box::new(move |r: &Record| r.p99[i]),
            sized: false,
        });
    }
    html! {
        div.scroll {
            table.across.numbers {
                (head(cols, "number"))
                tbody {
                    @for n in &rows {
                        tr {
                            th.claim scope="row" { (n.label) }
                            @for c in cols {
                                @let now = (n.of)(c.record);
                                @let before = c.prev.and_then(|p| (n.of)(cols[p].record));
                                td {
                                    @match now {
                                        Some(x) => span.value { (x.show(n.show)) },
                                        None => span.hint { "not measured" },
                                    }
                                    @if let (Some(b), Some(x), Some(p)) = (before, now, c.prev) {
                                        @if n.sized && cols[p].record.work != c.record.work {
                                            span.change { "other sizes than " (cols[p].tag) ": not compared" }
                                        } @else {
                                            @let (apart, text) = change(b, x, &cols[p].tag);
                                            span class=(if apart { "change beyond" } else { "change" }) { (text) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A record's name in a chart: CPU model, cores, date, and which run (or A, B) where that says more.
fn label(c: &Column) -> String {
    let m = &c.record.machine;
    let model: String = m.cpu_model.chars().take(40).collect();
    let run = c.heading.as_ref().map_or(String::new(), |h| format!(", {h}"));
    format!("{model}, {} cores, {}{run}", m.usable_cores(), c.record.date)
}

/// Each machine's colour (runs of one machine share it; a later run is dashed).
fn color(c: &Column) -> plotters::style::RGBColor {
    COLORS[1 + c.machine % (COLORS.len() - 1)]
}

/// The three charts, each a figure with its caption; what a record lacks is named "not measured".
fn charts(cols: &[Column]) -> Result<Markup, ReportError> {
    let missing = |has: &dyn Fn(&Record) -> bool| -> String {
        let names: Vec<String> = cols.iter().filter(|c| !has(c.record)).map(label).collect();
        if names.is_empty() { String::new() } else { format!(" Not measured: {}.", names.join("; ")) }
    };
    let mut lines: Vec<Line> = cols
        .iter()
        .filter(|c| !c.record.speedups.is_empty())
        .map(|c| Line {
            label: label(c),
            color: color(c),
            points: c.record.speedups.iter().map(|(n, s)| (*n as f64, s.mid)).collect(),
            dashed: c.run > 1,
        })
        .collect();
    // The ideal line up to the most cores of any machine: past its cores no machine can follow it.
    let most = cols.iter().map(|c| c.record.machine.usable_cores()).max().unwrap_or(1).max(2);
    lines.push(Line {
        label: "ideal: speedup = workers, up to the cores".into(),
        color: COLORS[0],
        points: vec![(1.0, 1.0), (most as f64, most as f64)],
        dashed: true,
    });
    let mut cores: Vec<usize> = cols.iter().map(|c| c.record.machine.usable_cores()).collect();
    cores.sort();
    cores.dedup();
    let marks: Vec<Mark> = cores
        .iter()
        .map(|&n| {
            let on: Vec<&Column> =
                cols.iter().filter(|c| c.run == 1 && c.record.machine.usable_cores() == n).collect();
            let who = if on.len() == 1 {
                on[0].record.machine.cpu_model.chars().take(40).collect()
            } else {
                format!("{} machines", on.len())
            };
            Mark {
                x: n as f64,
                label: format!("{n} cores: {who}"),
                color: if on.len() == 1 { color(on[0]) } else { COLORS[0] },
            }
        })
        .collect();
    let speedup = plot::log_log_marked(
        "cpu_bound: best speedup over sequential",
        ("workers", "best speedup (any strategy)"),
        &lines,
        &marks,
        &|x| format!("{x:.0}"),
        &|y| format!("{y:.1}"),
    )?;
    // A row with neither value says so where its dots would be.
    let rows = |of: &dyn Fn(&Record) -> [Option<Range>; 2]| -> Vec<String> {
        let mark = |c: &Column| if of(c.record).iter().all(Option::is_none) { " (not measured)" } else { "" };
        cols.iter().map(|c| format!("{}{}", label(c), mark(c))).collect()
    };
    let series = |labels: [&str; 2],
                  kinds: [StrategyKind; 2],
                  of: &dyn Fn(&Record) -> [Option<Range>; 2]|
     -> Vec<Dots> {
        (0..2)
            .map(|i| Dots {
                label: labels[i].to_string(),
                color: plot::color(kinds[i]),
                values: cols.iter().map(|c| of(c.record)[i].map(|r| (r.lo, r.mid, r.hi))).collect(),
            })
            .collect()
    };
    let memory = plot::dots(
        &format!("Memory per wait at {} waits in flight", report::text::thousands(MEMORY_AT)),
        "bytes per wait (log scale)",
        &rows(&|r| r.memory),
        &series(["async/1", "thread_per_job"], [StrategyKind::Async, StrategyKind::ThreadPerJob], &|r| {
            r.memory
        }),
        &|x| bytes_text(*x),
    )?;
    let p99 = plot::dots(
        "p99 latency on one core while a batch computes",
        "p99 of the light requests, ms (log scale)",
        &rows(&|r| r.p99),
        &series(
            ["async/1: the batch blocks the loop", "async_offload/1: the batch offloaded"],
            [StrategyKind::Async, StrategyKind::AsyncOffload],
            &|r| r.p99,
        ),
        &|x| if *x < 10.0 { format!("{x:.2} ms") } else { format!("{x:.0} ms") },
    )?;
    let cores_text: Vec<String> = cores.iter().map(|n| n.to_string()).collect();
    Ok(html! {
        h2 #charts { "Charts" }
        (svg_figure(&speedup, "cpu_bound's best speedup against workers, a line per record, each machine's core count marked", html! {
            "cpu_bound (hashing only): the best speedup over sequential any strategy reaches at each worker count \
             (medians), a line per record (a later run of a machine dashed), the ideal line, and each machine's \
             usable cores marked (" (cores_text.join(", ")) "): speedup should follow the ideal line up to the \
             cores and stay flat past them (C2)." (missing(&|r| !r.speedups.is_empty()))
        }))
        (svg_figure(&memory, "memory per wait of async/1 and thread_per_job, a row per record", html! {
            "Memory per wait at " (report::text::thousands(MEMORY_AT)) " waits in flight, an event loop's task \
             (async/1) against a thread per wait (thread_per_job), with the 95% interval of the median where \
             the record has one (bars): the thread's stack is the cost C8 speaks of."
        }))
        (svg_figure(&p99, "p99 on one core of the blocked loop and of the offloaded one, a row per record", html! {
            "Light requests' p99 on one core while a heavy batch computes: the batch on the event loop \
             (async/1) against the batch offloaded to a pool (async_offload/1), with its 95% interval (bars): \
             offloading is what keeps a loop responsive (C7)."
        }))
    })
}

/// The page for `records` (each machine's runs together), links relative to `page_dir`; `tags` names the
/// records in notes (`A`, `B`) instead of `run N`; `intro` sits above the tables.
pub fn across_page(
    records: &[Record],
    page_dir: &Path,
    tags: Option<&[&str]>,
    title: &str,
    header: &[String],
    intro: Markup,
) -> Result<String, ReportError> {
    let cols = columns(records, page_dir, tags);
    let body = html! {
        (intro)
        h2 #verdicts { "Verdicts" }
        p.hint {
            "A column per record, grouped by machine (the same CPU model and core counts); two records of one \
             machine are two runs of it. Each verdict is the record's own, as its " code { "cvp report" } " judged \
             it: never judged again here. Click a headline for the evidence. A record from before verdicts.json \
             shows its README's verdicts, marked \"from its README\": judged by the rules of its day."
        }
        (verdict_table(&cols))
        h2 #numbers { "Numbers" }
        p.hint {
            "The numbers the charts draw, with their intervals: a median's is its 95% interval; a best speedup \
             (over sequential, of whichever strategy was fastest at that worker count) takes every ratio its two \
             medians' 95% intervals allow, which covers at least 90%. Only runs of one machine that measured \
             the same work are compared: a later run says how each number stands against the run before it, \
             \"within the intervals\" when they overlap. Between machines nothing is compared: a difference \
             there is another machine, never a regression or an improvement."
        }
        (numbers_table(&cols))
        (charts(&cols)?)
    };
    let footer = "Made by cvp from the records' own files (verdicts.json, else the README's verdict table; \
                  scaling.csv, scale.json or scale.csv, latency.csv); it loads nothing and runs no script.";
    Ok(page(title, header, body, footer))
}

/// `cvp report --index FOLDER`: writes FOLDER/index.html, the page across every record under FOLDER.
pub fn index(folder: &Path, force: bool) -> Result<(), Failure> {
    let bad = |e: String| Failure::Input(anyhow::anyhow!("--index {}: {e}", folder.display()));
    if !folder.is_dir() {
        return Err(bad(format!("not a folder; {ACCEPTED}")));
    }
    let paths = find_records(folder);
    if paths.is_empty() {
        return Err(bad(format!("no records under it; {ACCEPTED}")));
    }
    let out = folder.join("index.html");
    check_page_out(&out, force, &paths).map_err(|e| bad(e.to_string()))?;
    let records = paths.iter().map(|p| read_record(p)).collect::<Result<Vec<_>, _>>()?;
    let records = group_by_machine(records);
    let machines = columns(&records, folder, None).iter().filter(|c| c.run == 1).count();
    let header = vec![
        format!("{} records of {machines} machine(s) under {}", records.len(), folder.display()),
        "Made by cvp report --index; each column links to its record's own page.".to_string(),
    ];
    let html = across_page(&records, folder, None, "The claims across machines", &header, html! {})?;
    cli::writing(|| report::write_atomic(&out, html.as_bytes()))?;
    println!("wrote {}", out.display());
    Ok(())
}

/// The page `cvp compare A B --html OUT` writes: A and B (results folders or criterion baselines) side by
/// side, said first whether they are two runs of one machine or two machines.
pub fn compare_page(criterion_dir: &Path, a: &str, b: &str, out: &Path) -> Result<String, ReportError> {
    let side = |x: &str| {
        if Path::new(x).is_dir() {
            read_record(Path::new(x))
        } else if x.contains('/') {
            // A baseline's name is one folder name: a path that is no folder is a mistyped record.
            Err(ReportError::Missing(format!(
                "{x} is no folder; accepted: a results folder (one with machine.json) or a criterion baseline \
                 name"
            )))
        } else {
            baseline_record(criterion_dir, x)
        }
    };
    let records = vec![side(a)?, side(b)?];
    let same = records[0].machine.same_hardware(&records[1].machine);
    let intro = html! {
        @if same {
            p.note { "A and B are two runs of one machine: a number whose intervals overlap is within the \
                      intervals; one whose intervals are apart says by how much." }
        } @else {
            p.note { "A and B are different machines (" (records[0].machine.summary()) "; "
                     (records[1].machine.summary()) "): a difference between them is another machine, never \
                     a regression or an improvement, and none is computed." }
        }
    };
    let header = vec![
        format!("A = {}: {}", records[0].name, records[0].machine.summary()),
        format!("B = {}: {}", records[1].name, records[1].machine.summary()),
    ];
    let page_dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    across_page(&records, page_dir, Some(&["A", "B"]), "cvp compare: A and B side by side", &header, intro)
}

/// Writes a finished page to `out` (atomically; a FIFO or a device in place) and says so on standard error
/// (standard output carries `cvp compare`'s text).
pub fn write_page(out: &Path, html: &str) -> Result<(), Failure> {
    cli::writing(|| report::write_atomic(out, html.as_bytes()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(cpu: &str, cores: usize) -> Machine {
        serde_json::from_value(serde_json::json!({
            "cpu_model": cpu, "logical_cpus": cores, "online_cpus": cores, "physical_cpus": cores,
            "available_parallelism": cores, "affinity_cpus": cores, "cgroup_cpu_quota": null,
            "os": "linux x86_64", "kernel": "6", "rustc": "rustc 1.95.0", "cvp_version": "0.1.0",
            "git_commit": null, "rayon_num_threads": null, "tokio_worker_threads": null
        }))
        .unwrap()
    }

    fn record(cpu: &str, cores: usize, date: &str) -> Record {
        Record {
            name: date.into(),
            folder: None,
            machine: machine(cpu, cores),
            date: date.into(),
            verdicts: Vec::new(),
            source: Source::Judged,
            speedups: Vec::new(),
            work: String::new(),
            memory: [None, None],
            p99: [None, None],
        }
    }

    #[test]
    fn runs_of_one_machine_sit_together_and_only_they_are_compared() {
        let records = group_by_machine(vec![
            record("X", 2, "2026-01-01"),
            record("Y", 2, "2026-01-02"),
            record("X", 2, "2026-01-03"),
            record("X", 4, "2026-01-04"),
        ]);
        let dates: Vec<&str> = records.iter().map(|r| r.date.as_str()).collect();
        assert_eq!(dates, ["2026-01-01", "2026-01-03", "2026-01-02", "2026-01-04"]);
        let cols = columns(&records, Path::new("."), None);
        let seen: Vec<(usize, usize, Option<usize>)> =
            cols.iter().map(|c| (c.machine, c.run, c.prev)).collect();
        assert_eq!(
            seen,
            [(0, 1, None), (0, 2, Some(0)), (1, 1, None), (2, 1, None)],
            "4 cores is another machine"
        );
        assert_eq!(cols[1].heading.as_deref(), Some("run 2 of 2"));
        assert_eq!(cols[2].heading, None, "a machine's only run needs no number");
        let tagged = columns(&records[2..], Path::new("."), Some(&["A", "B"]));
        assert_eq!((tagged[1].tag.as_str(), tagged[1].heading.as_deref()), ("B", Some("B")));
    }

    #[test]
    fn a_number_is_within_the_intervals_when_they_overlap_and_says_by_how_much_when_apart() {
        let r = |lo, mid, hi| Range { lo, mid, hi, known: true };
        assert_eq!(
            change(r(9.0, 10.0, 11.0), r(10.5, 12.0, 13.0), "run 1"),
            (false, "within the intervals of run 1".into())
        );
        let (apart, text) = change(r(9.0, 10.0, 11.0), r(12.0, 13.0, 14.0), "A");
        assert!(apart && text == "1.30x A: the intervals are apart", "{text}");
        let (apart, text) = change(Range::of(10.0, None), r(10.0, 10.0, 10.0), "run 1");
        assert!(!apart && text.contains("no interval to tell"), "{text}");
        for word in ["regression", "improvement", "better", "worse", "faster", "slower"] {
            assert!(!text.contains(word));
        }
    }

    #[test]
    fn a_verdict_sits_on_its_claims_line_or_on_its_twins() {
        let c1 = crate::claims::claim("C1");
        let v = |statement: &str| Verdict {
            claim: "C1".into(),
            statement: statement.into(),
            verdict: Outcome::Shown,
            evidence: String::new(),
            headline: String::new(),
        };
        assert_eq!(line_of(c1, &v(c1.statement)), "");
        assert_eq!(
            line_of(c1, &v(&format!("{} (net_bound: loopback TCP)", c1.statement))),
            "net_bound: loopback TCP"
        );
        assert_eq!(line_of(c1, &v("an older wording of it")), "", "a claim's own line whatever its wording");
        let boundary = format!("{BOUNDARY}the loop busy");
        assert_eq!(line_of(c1, &v(&boundary)), boundary);
    }
}
