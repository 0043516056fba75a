//! The report toolkit, which runs nothing and knows no view: criterion's folder and the records beside it
//! ([`criterion`]), text helpers ([`text`]: times, aligned tables, shell words), plots with one palette
//! ([`plot`]), the atomic writers of a file or a whole results folder ([`folder`]), [`Section`], what a
//! view adds to a results folder, and [`Figure`], a number two views both show ([`figure`]).
//!
//! Every file is written atomically: a results folder is assembled under a temporary name and renamed into
//! place (with `--force`, swapped with the old one), and a single file is written to a temporary name and
//! renamed. Nothing is written when an input is missing, unreadable or untrusted.

pub mod criterion;
pub mod figure;
pub mod folder;
pub mod html;
pub mod plot;
mod section;
pub mod text;

use std::path::PathBuf;

pub use criterion::{
    BARE_LOOP_ID, BenchRecord, BenchSize, Provenance, ServerSize, WorkloadSize, criterion_home, one_wait_id,
    one_wait_value, parse_one_wait, record_around,
};
pub use figure::{Figure, VIEWS_AGREE};
pub use folder::{
    OutputFile, check_out_folder, check_writable, civil_date, output_file, to_json, today, write_atomic,
    write_folder,
};
pub use section::Section;
pub use text::{aligned, bytes_text, human_time, shell_word};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Input data is missing (a folder, a baseline, a benchmark).
    #[error("{0}")]
    Missing(String),
    /// An input file exists but cannot be read or parsed.
    #[error("cannot read {}: {why}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The cause.
        why: String,
    },
    /// Data whose size or machine is unknown, or does not match the data beside it.
    #[error("{0}")]
    Untrusted(String),
    /// The output folder exists and `--force` was not given.
    #[error("{} already exists; pass --force to replace its files", .0.display())]
    Exists(PathBuf),
    /// Writing failed.
    #[error("writing {}: {cause}", path.display())]
    Write {
        /// What was being written.
        path: PathBuf,
        /// The cause (shown in the message, so not also a `source`).
        cause: std::io::Error,
    },
    /// A plot could not be drawn.
    #[error("drawing {0}")]
    Plot(String),
}

impl ReportError {
    /// Whether this is the user's input (exit status 2) rather than a failure of the program.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            ReportError::Missing(_)
                | ReportError::Unreadable { .. }
                | ReportError::Exists(_)
                | ReportError::Untrusted(_)
        )
    }
}
