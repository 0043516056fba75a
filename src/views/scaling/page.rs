//! The results folder's `index.html`: the README as a page a person reads, the verdict board on top, the
//! plots inline and the data embedded ([`crate::report::html`]).

use std::path::{Path, PathBuf};

use crate::claims::Claim;
use crate::report::html::{self, Folder};
use crate::report::{self as toolkit, ReportError};

use super::Report;

/// Which level-2 heading opens each view's part of the README, for the board's links.
const VIEWS: [(&str, &str); 4] =
    [("Scaling", "scaling"), ("Scale", "scale"), ("Latency", "latency"), ("Timeline", "trace")];

/// The command that measures what a claim's view needs, for a claim with no verdict.
pub fn needs(claim: &Claim) -> String {
    match claim.view {
        "scaling" => "not measured: needs `cvp run --format json`, given to `cvp report --run`".into(),
        "scale" => "not measured: needs `cvp scale --format json`, given to `cvp report --scale`".into(),
        "latency" => {
            "not measured: needs `cvp latency --format json`, given to `cvp report --latency`".into()
        }
        "trace" => {
            "not measured: needs `cvp trace --cores 1`, its folder given to `cvp report --trace`".into()
        }
        other => format!("not measured: needs the {other} view"),
    }
}

/// The claims criterion's data decides alone: it records wall time only, and C3, C4 and C5 need CPU time
/// (cores busy, CPU per job), which `cvp run` measures; C7, C8 and C9 are other views' altogether.
pub const CRITERION_DECIDES: [&str; 3] = ["C1", "C2", "C6"];

/// The benchmark whose criterion page shows what decides a claim, as a path under criterion's folder.
fn deciding_bench(claim: &str) -> Option<&'static str> {
    match claim {
        "C1" => Some("io_bound/async/1"),
        "C2" => Some("cpu_bound"),
        "C6" => Some("cpu_bound/async/1"),
        _ => None,
    }
}

/// The commands that measure what criterion cannot, one line.
pub const OTHER_COMMANDS: &str = "C3, C4 and C5 need CPU time: `cargo run --release -- run`; C7: `cargo run \
    --release -- latency`; C8: `cargo run --release -- scale`; C9: `cargo run --release -- trace --cores 1`; \
    all of them into one results folder with its own page: `scripts/record`.";

/// `report` with its `index.html`: its README as a page ([`page`]), beside the files it makes.
pub fn with_index(mut report: Report) -> Report {
    let readme = report.files.iter().find(|(n, _)| n == "README.md").map(|(_, b)| b.clone());
    let readme = String::from_utf8_lossy(&readme.unwrap_or_default()).into_owned();
    let index = page(&report, &readme, &report.files);
    report.files.push(("index.html".into(), index.into_bytes()));
    report
}

/// Writes `criterion_dir/cvp/` from `baseline` (index.html, the README and the plots, the same as a results folder from
/// criterion's data alone) and returns its page. Criterion's folder that cannot be read as one run of this
/// suite (another build's data beside this one's, a bench run that was cut short) gets a page that says
/// why instead of verdicts.
pub fn write_bench_page(criterion_dir: &Path, baseline: &str) -> Result<PathBuf, ReportError> {
    let out = criterion_dir.join("cvp");
    let built = super::bench::build(&super::bench::Options {
        criterion_dir,
        baseline,
        run_path: None,
        command: "cargo bench",
        assume_this_machine: false,
        sections: Vec::new(),
        mixed_builds: false,
    });
    let files = match built {
        Ok(report) => {
            let readme = report.files.iter().find(|(n, _)| n == "README.md").map(|(_, b)| b.clone());
            let readme = String::from_utf8_lossy(&readme.unwrap_or_default()).into_owned();
            let page = bench_page(&report, &readme, criterion_dir);
            let mut files = report.files;
            files.push(("index.html".into(), page.into_bytes()));
            files
        }
        Err(e) => {
            let body = maud::html! {
                (html::board(&[], &|_| None, &|_| "not decided: see below".into()))
                p { "criterion's folder could not be read as one run of this suite, so no claim is decided here: " (e.to_string()) }
                p { (OTHER_COMMANDS) }
            };
            let page = html::page("cargo bench: the verdicts", &[], body, "");
            vec![("index.html".into(), page.into_bytes())]
        }
    };
    toolkit::write_folder(&out, &files, true)?;
    Ok(out.join("index.html"))
}

/// The page `cargo bench` leaves: the claims criterion decides, each linking to criterion's page for the
/// benchmark that decides it, the commands for the others, then the README of criterion's data.
fn bench_page(report: &Report, readme: &str, criterion_dir: &Path) -> String {
    // The bench target whose data decides a claim, when criterion's folder has none of it: not measured
    // (the claim's verdict would only say what is missing).
    let unmeasured = |claim: &str| {
        let group = deciding_bench(claim).and_then(|b| b.split('/').next());
        group.filter(|g| !criterion_dir.join(g).is_dir())
    };
    let decided: Vec<_> = report
        .verdicts
        .iter()
        .filter(|v| CRITERION_DECIDES.contains(&v.claim.as_str()) && unmeasured(&v.claim).is_none())
        .cloned()
        .collect();
    let link = |c: &Claim| {
        let bench = deciding_bench(c.id)?;
        criterion_dir
            .join(bench)
            .join("report/index.html")
            .is_file()
            .then(|| format!("../{bench}/report/index.html"))
    };
    let needs = |c: &Claim| match (unmeasured(c.id), c.view) {
        (Some(group), _) => format!("not measured: needs `cargo bench --bench {group}`"),
        (None, "scaling") => "needs CPU time: `cargo run --release -- run`".to_string(),
        _ => needs(c),
    };
    let files: Vec<(String, Vec<u8>)> =
        report.files.iter().filter(|(n, _)| n != "index.html").cloned().collect();
    let folder = Folder { files: &files, views: &VIEWS };
    let body = maud::html! {
        (html::board(&decided, &link, &needs))
        p.hint {
            (OTHER_COMMANDS)
            @if criterion_dir.join("report/index.html").is_file() {
                " criterion's own report: " a href="../report/index.html" { "../report/index.html" } "."
            }
        }
        (html::markdown(readme, &folder))
    };
    let title = format!("cargo bench: the verdicts criterion's data decides, {}", report.date);
    let header = vec![
        format!("Measured on {}", report.machine.summary()),
        format!("Measured by {}", report.machine.build()),
    ];
    html::page(
        &title,
        &header,
        body,
        "Written by the benches at the end of each bench target, from what criterion's folder holds.",
    )
}

/// The heading of the figure that decides `claim` on a record's page (`#id`, from [`html::heading_ids`]):
/// io_bound's table and plot for C1, C3, C4 and C5, cpu_bound's for C2 and C6, the one-CPU cpu_bound
/// timeline for C9. `None` where the claim's view section is the figure, or the heading is missing.
fn claim_anchor(claim: &str, ids: &[(String, String)]) -> Option<String> {
    let wanted = |text: &str| match claim {
        "C1" | "C3" | "C4" | "C5" => text == "io_bound",
        "C2" | "C6" => text == "cpu_bound",
        "C9" => text.starts_with("Timeline: cpu_bound") && text.contains("one CPU"),
        _ => false,
    };
    ids.iter().find(|(text, _)| wanted(text)).map(|(_, id)| format!("#{id}"))
}

/// The page for `report`, whose README is `readme` and whose other files are `files`.
pub fn page(report: &Report, readme: &str, files: &[(String, Vec<u8>)]) -> String {
    let title = readme.lines().find_map(|l| l.strip_prefix("# ")).unwrap_or("Results").to_string();
    let judged = |c: &Claim| report.verdicts.iter().any(|v| v.claim == c.id);
    let ids = html::heading_ids(readme, &VIEWS);
    let link = |c: &Claim| {
        judged(c)
            .then(|| claim_anchor(c.id, &ids).unwrap_or_else(|| format!("#{}", html::view_anchor(c.view))))
    };
    let folder = Folder { files, views: &VIEWS };
    let body = maud::html! {
        (html::board(&report.verdicts, &link, &needs))
        (html::markdown(readme, &folder))
        (html::data(files))
    };
    let header = vec![format!("Measured by {}", report.machine.build())];
    let footer = "The same as README.md in this folder; its data is embedded in this page as JSON (the script \
                  elements data-*.json), and each plot links to its SVG file.";
    html::page(&title, &header, body, footer)
}
