//! The results folder's `index.html`: the README as a page a person reads, the verdict board on top, the
//! plots inline and the data embedded ([`crate::report::html`]).

use crate::claims::Claim;
use crate::report::html::{self, Folder};

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

/// The page for `report`, whose README is `readme` and whose other files are `files`.
pub fn page(report: &Report, readme: &str, files: &[(String, Vec<u8>)]) -> String {
    let title = readme.lines().find_map(|l| l.strip_prefix("# ")).unwrap_or("Results").to_string();
    let judged = |c: &Claim| report.verdicts.iter().any(|v| v.claim == c.id);
    let link = |c: &Claim| judged(c).then(|| format!("#{}", html::view_anchor(c.view)));
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
