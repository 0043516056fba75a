//! Reports: `cvp run`'s table and CSV, `cvp report`'s results folder (README, CSV, machine JSON, SVG plots)
//! from criterion's output, and `cvp compare`.
//!
//! Every file is written atomically: a results folder is assembled under a temporary name and renamed into
//! place, and a single file is written to a temporary name and renamed. Nothing is written when an input
//! is missing or unreadable.

mod compare;
pub mod criterion;
mod plot;
mod tables;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::{self, LineFit, Point, Verdict};
use crate::machine::Machine;
use crate::strategy::StrategyKind;
use crate::sweep::{Plan, Run};
use crate::workload::WorkloadKind;

pub use compare::compare;
pub use criterion::WorkloadSize;
pub use tables::{run_csv, run_table};

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
    /// The output folder exists and `--force` was not given.
    #[error("{} already exists; pass --force to replace its files", .0.display())]
    Exists(PathBuf),
    /// Writing failed.
    #[error("writing {}: {source}", path.display())]
    Write {
        /// What was being written.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A plot could not be drawn.
    #[error("drawing {0}")]
    Plot(String),
}

impl ReportError {
    /// Whether this is the user's input (exit status 2) rather than a failure of the program.
    pub fn is_input(&self) -> bool {
        matches!(self, ReportError::Missing(_) | ReportError::Unreadable { .. } | ReportError::Exists(_))
    }
}

/// What `cvp run --format json` prints, and `cvp report --run` reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFile {
    /// The machine the sweep ran on.
    pub machine: Machine,
    /// What was swept.
    pub config: Plan,
    /// One entry per configuration.
    pub runs: Vec<Run>,
    /// C1..C6.
    pub verdicts: Vec<Verdict>,
}

/// criterion's output folder, found as criterion finds it: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion`.
pub fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        PathBuf::from(home)
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        PathBuf::from(target).join("criterion")
    } else {
        PathBuf::from("target/criterion")
    }
}

/// A hidden sibling name for the temporary form of `path`.
fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = temp_sibling(path);
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|source| ReportError::Write { path: path.to_path_buf(), source })
}

/// Reads a `cvp run --format json` file.
pub fn read_run_file(path: &Path) -> Result<RunFile, ReportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ReportError::Unreadable { path: path.to_path_buf(), why: e.to_string() })?;
    serde_json::from_str(&text).map_err(|e| ReportError::Unreadable {
        path: path.to_path_buf(),
        why: format!("not a `cvp run --format json` file: {e}"),
    })
}

/// One row of `scaling.csv` and of the README tables.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The measurement (wall = criterion's median).
    pub point: Point,
    /// Median, ns.
    pub median_ns: f64,
    /// Confidence interval of the median, ns.
    pub ci_low_ns: f64,
    /// Upper bound, ns.
    pub ci_high_ns: f64,
    /// Over `sequential`.
    pub speedup: Option<f64>,
    /// Speedup / min(workers, cores).
    pub efficiency: Option<f64>,
    /// Karp-Flatt serial fraction.
    pub karp_flatt: Option<f64>,
}

/// A results folder, computed in memory and not yet written.
pub struct Report {
    /// The machine the numbers describe.
    pub machine: Machine,
    /// The date, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Rows, in workload, strategy, worker order.
    pub rows: Vec<Row>,
    /// Fits of lines with 3+ worker counts.
    pub fits: Vec<LineFit>,
    /// C1..C6.
    pub verdicts: Vec<Verdict>,
    /// File name -> contents.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// Days since 1970-01-01 -> `YYYY-MM-DD` (Howard Hinnant's civil_from_days).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Reads criterion's `baseline` under `criterion_dir` (and optionally the `cvp run` file at `run_path`) and computes the
/// whole results folder in memory. `command` is recorded in the generated README.
pub fn build(
    criterion_dir: &Path,
    baseline: &str,
    run_path: Option<&Path>,
    command: &str,
) -> Result<Report, ReportError> {
    let run = run_path.map(read_run_file).transpose()?;
    let measured = criterion::read(criterion_dir, baseline)?;
    let machine = run.as_ref().map_or_else(Machine::detect, |r| r.machine.clone());
    let cores = machine.usable_cores();
    let mut rows = Vec::new();
    let mut sizes = Vec::new();
    for m in &measured {
        let (Ok(workload), Some(Ok(strategy)), Some(Ok(workers))) = (
            m.group.parse::<WorkloadKind>(),
            m.function.as_deref().map(str::parse::<StrategyKind>),
            m.value.as_deref().map(str::parse::<usize>),
        ) else {
            continue;
        };
        let size = workload_size(criterion_dir, workload, run.as_ref());
        if !sizes.iter().any(|(w, _): &(WorkloadKind, SizeSource)| *w == workload) {
            sizes.push((workload, size));
        }
        let size = size.size();
        let cores_busy = run.as_ref().and_then(|r| {
            r.runs
                .iter()
                .find(|x| x.workload == workload && x.strategy == strategy && x.workers == workers)
                .map(|x| x.cores_busy)
        });
        let point = Point {
            workload,
            strategy,
            workers,
            jobs: size.jobs,
            wait_s: size.wait_ms as f64 / 1e3,
            wall_s: m.median_ns / 1e9,
            cores_busy,
        };
        rows.push(Row {
            point,
            median_ns: m.median_ns,
            ci_low_ns: m.ci_low_ns,
            ci_high_ns: m.ci_high_ns,
            speedup: None,
            efficiency: None,
            karp_flatt: None,
        });
    }
    if rows.is_empty() {
        return Err(ReportError::Missing(format!(
            "baseline '{baseline}' under {} has no <workload>/<strategy>/<workers> benchmark (run `cargo bench`)",
            criterion_dir.display()
        )));
    }
    rows.sort_by_key(|r| (r.point.workload, r.point.strategy, r.point.workers));
    let points: Vec<Point> = rows.iter().map(|r| r.point.clone()).collect();
    for row in &mut rows {
        row.speedup = analysis::speedup(&points, &row.point);
        row.efficiency = row.speedup.map(|s| analysis::efficiency(s, row.point.workers, cores));
        row.karp_flatt = row.speedup.and_then(|s| analysis::karp_flatt(s, row.point.workers, cores));
    }
    let fits = analysis::fit_lines(&points, cores);
    let verdicts = analysis::verdicts(&points, cores);
    let bare_loop = measured.iter().find(|m| m.id == "reference/bare_loop/cpu_bound").map(|m| m.median_ns);
    let mut report = Report { machine, date: today(), rows, fits, verdicts, files: Vec::new() };
    let context = tables::ReadmeContext {
        command,
        criterion_dir,
        baseline,
        run: run.as_ref(),
        run_path,
        sizes: &sizes,
        bare_loop_ns: bare_loop,
    };
    let mut files = vec![
        ("README.md".to_string(), tables::readme(&report, &context).into_bytes()),
        ("scaling.csv".to_string(), tables::scaling_csv(&report.rows).into_bytes()),
        ("machine.json".to_string(), to_json(&report.machine)?),
    ];
    for workload in WorkloadKind::ALL {
        if report.rows.iter().any(|r| r.point.workload == workload) {
            files.push((
                format!("speedup_{workload}.svg"),
                plot::speedup(&report.rows, workload, cores)?.into_bytes(),
            ));
        }
    }
    if report.rows.iter().any(|r| r.point.workload == WorkloadKind::IoBound) {
        files.push((
            "time_io_bound.svg".into(),
            plot::time(&report.rows, WorkloadKind::IoBound, cores)?.into_bytes(),
        ));
    }
    if let Some(run) = &run {
        files.push(("run.json".into(), to_json(run)?));
    }
    report.files = files;
    Ok(report)
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, ReportError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| ReportError::Plot(format!("JSON: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Where a workload's size came from: criterion's folder, the run file, or the defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SizeSource {
    /// `cvp-workload.json`, left by the benches.
    Recorded(WorkloadSize),
    /// The `cvp run` file's configuration.
    RunFile(WorkloadSize),
    /// Nothing recorded: the default size was assumed.
    Assumed(WorkloadSize),
}

impl SizeSource {
    /// The size, wherever it came from.
    pub fn size(self) -> WorkloadSize {
        match self {
            SizeSource::Recorded(s) | SizeSource::RunFile(s) | SizeSource::Assumed(s) => s,
        }
    }
}

fn workload_size(dir: &Path, kind: WorkloadKind, run: Option<&RunFile>) -> SizeSource {
    if let Some(s) = WorkloadSize::read(dir, kind) {
        return SizeSource::Recorded(s);
    }
    if let Some(r) = run {
        return SizeSource::RunFile(WorkloadSize::of(&r.config.workload(kind)));
    }
    let wait = std::time::Duration::from_millis(crate::config::DEFAULT_WAIT_MS);
    let defaults =
        crate::Workload::new(kind, crate::config::default_jobs(kind), wait, crate::config::DEFAULT_ROUNDS);
    SizeSource::Assumed(WorkloadSize::of(&defaults))
}

impl Report {
    /// `results/<machine slug>/<date>`.
    pub fn default_out(&self) -> PathBuf {
        Path::new("results").join(self.machine.slug()).join(&self.date)
    }

    /// Writes the folder `out`: assembled under a temporary name and renamed into place when new; with
    /// `force`, each file of an existing folder is replaced atomically and other files are left alone.
    pub fn write(&self, out: &Path, force: bool) -> Result<(), ReportError> {
        if out.exists() {
            if !force {
                return Err(ReportError::Exists(out.to_path_buf()));
            }
            if !out.is_dir() {
                return Err(ReportError::Missing(format!("{} exists and is not a folder", out.display())));
            }
            for (name, bytes) in &self.files {
                write_atomic(&out.join(name), bytes)?;
            }
            return Ok(());
        }
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .map_err(|source| ReportError::Write { path: parent.to_path_buf(), source })?;
        let tmp = temp_sibling(out);
        let result = (|| {
            std::fs::create_dir(&tmp).map_err(|source| ReportError::Write { path: tmp.clone(), source })?;
            for (name, bytes) in &self.files {
                let path = tmp.join(name);
                std::fs::write(&path, bytes).map_err(|source| ReportError::Write { path, source })?;
            }
            std::fs::rename(&tmp, out)
                .map_err(|source| ReportError::Write { path: out.to_path_buf(), source })
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_418), "2025-11-26");
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
