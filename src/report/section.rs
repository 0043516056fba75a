//! What a view (`cvp scale`, `cvp latency`, `cvp trace`) adds to a results folder: a README section, its
//! files and its verdicts. The view builds it from its own rows; the report only checks the machine and
//! writes what it is handed, so adding a view adds a folder under `src/views/` and not a branch here.

use super::figure::Figure;
use crate::claims::Verdict;
use crate::machine::Machine;

/// One view's part of a results folder.
#[derive(Clone, Debug)]
pub struct Section {
    /// The README heading, e.g. `Scale: 1 to 100,000 waits in flight`.
    pub title: String,
    /// The README body under the heading (Markdown: tables, links to `files`, what the numbers mean).
    pub markdown: String,
    /// Files added to the folder: (file name, contents). Names must not clash with another section's.
    pub files: Vec<(String, Vec<u8>)>,
    /// The claims this view judged; they join the report's verdict table.
    pub verdicts: Vec<Verdict>,
    /// The machine that measured the view's data: the report refuses a section from another machine than
    /// its criterion data (unless told to assume this machine).
    pub machine: Machine,
    /// The file the section was read from, named in errors and in the README.
    pub source: std::path::PathBuf,
    /// Numbers this view shows that another view may show too ([`super::figure`]): the report puts each
    /// beside the other's value of the same quantity.
    pub figures: Vec<Figure>,
}
