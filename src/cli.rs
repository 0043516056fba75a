//! What every command shares: the exit status a failure deserves ([`Failure`]), `--format`, printing or
//! writing one output atomically ([`emit`]), a progress bar, and Ctrl-C ([`install_ctrl_c`]): stop at once,
//! except while a finished output is being written.
//!
//! Exit status: 0 on success, 2 on bad input (a `CVP_*` variable, a flag, missing criterion data, an existing
//! output folder), 1 when something that should work did not (a wrong digest, a failed write), 130 on Ctrl-C.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::ValueEnum;

use crate::report::{self, ReportError};

/// A failure and the exit status it deserves.
#[derive(Debug)]
pub enum Failure {
    /// Bad input: exit 2.
    Input(anyhow::Error),
    /// Something that should have worked: exit 1.
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Internal(e)
    }
}

impl From<ReportError> for Failure {
    fn from(e: ReportError) -> Failure {
        if e.is_input() { Failure::Input(e.into()) } else { Failure::Internal(e.into()) }
    }
}

/// `--format` of the measuring commands: aligned text, everything measured as JSON (for `cvp report`), or
/// CSV. (No doc comment per variant: clap would print each in the help.)
#[allow(missing_docs)]
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Parses an id (`cpu_bound`, `async`, ...) for clap.
pub fn parse_id<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.trim().parse()
}

/// The first id listed twice, if any.
pub fn repeated<T: PartialEq + std::fmt::Display>(ids: &[T]) -> Option<String> {
    ids.iter().enumerate().find(|(i, id)| ids[..*i].contains(id)).map(|(_, id)| id.to_string())
}

/// Set while a finished output is being written: Ctrl-C then waits for the write to end.
static WRITING: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ctrl-C: stop at once with a short message; nothing half-written is left, since files are written to a
/// temporary name and renamed only when complete ([`writing`] marks that stretch).
pub fn install_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        if !WRITING.load(Ordering::SeqCst) {
            eprintln!("\ncvp: interrupted; nothing was written");
            std::process::exit(130);
        }
    });
}

/// Runs `write` with Ctrl-C held off until it returns.
pub fn writing<T>(write: impl FnOnce() -> T) -> T {
    WRITING.store(true, Ordering::SeqCst);
    let result = write();
    WRITING.store(false, Ordering::SeqCst);
    result
}

/// The exit status of a finished command, its error printed.
pub fn exit_code(result: Result<(), Failure>) -> ExitCode {
    if INTERRUPTED.load(Ordering::SeqCst) {
        eprintln!("cvp: interrupted after the output was complete");
        return ExitCode::from(130);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// A progress bar on standard error, only when it is a terminal: `step` names the item about to run and
/// counts the one before it as done.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// A bar of `len` steps, each label after `prefix`.
    pub fn new(len: usize, prefix: &str) -> Progress {
        Progress(std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(len as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(&format!(
                    "{{bar:30}} {{pos}}/{{len}} {{elapsed}} {prefix}{{msg}}"
                ))
                .expect("a valid progress template"),
            );
            bar
        }))
    }

    /// The step about to run.
    pub fn step(&self, label: &str) {
        if let Some(bar) = &self.0 {
            if !bar.message().is_empty() {
                bar.inc(1);
            }
            bar.set_message(label.to_string());
        }
    }

    /// Clears the bar.
    pub fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Prints `text`, or writes it to `path` atomically.
pub fn emit(text: &str, path: Option<&Path>) -> Result<(), Failure> {
    match path {
        // A FIFO or a device (standard output too) is written in place and may block until a reader
        // comes: Ctrl-C stays live, as nothing is renamed and there is nothing to leave half done.
        Some(path)
            if matches!(
                report::output_file(path)?,
                report::OutputFile::Stream(_) | report::OutputFile::Descriptor(_)
            ) =>
        {
            report::write_atomic(path, text.as_bytes()).map_err(Failure::from)
        }
        Some(path) => writing(|| report::write_atomic(path, text.as_bytes()).map_err(Failure::from)),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("writing to standard output")
            .map_err(Failure::from),
    }
}

/// Checks before anything runs that `--output PATH` can be written.
pub fn check_output(path: Option<&Path>) -> Result<(), Failure> {
    match path {
        Some(path) => {
            report::check_writable(path).map_err(|e| Failure::Input(anyhow::anyhow!("--output: {e}")))
        }
        None => Ok(()),
    }
}
