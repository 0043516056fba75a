//! Reading criterion's output folder: `<dir>/<group>/<function>/<value>/<baseline>/{benchmark,estimates}.json`.
//!
//! Only the median and its confidence interval are read; criterion's raw samples are left alone. The
//! benches also leave `<dir>/<workload>/cvp-workload.json` with the workload's size, since criterion does
//! not record how many jobs a benchmark ran.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ReportError;
use crate::workload::{Workload, WorkloadKind};

/// One benchmark's median from one baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// criterion's full id, e.g. `cpu_bound/threads/2`.
    pub id: String,
    /// Group id (the workload, or `reference`).
    pub group: String,
    /// Function id (the strategy).
    pub function: Option<String>,
    /// Parameter (the worker count).
    pub value: Option<String>,
    /// Median time per iteration, ns.
    pub median_ns: f64,
    /// Lower bound of the median's confidence interval, ns.
    pub ci_low_ns: f64,
    /// Upper bound, ns.
    pub ci_high_ns: f64,
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    full_id: String,
}

#[derive(Deserialize)]
struct EstimatesJson {
    median: EstimateJson,
}

#[derive(Deserialize)]
struct EstimateJson {
    point_estimate: f64,
    confidence_interval: IntervalJson,
}

#[derive(Deserialize)]
struct IntervalJson {
    lower_bound: f64,
    upper_bound: f64,
}

/// The size of a workload as the benches ran it (`<criterion dir>/<workload>/cvp-workload.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadSize {
    /// Jobs.
    pub jobs: usize,
    /// Wait per job, ms.
    pub wait_ms: u64,
    /// Hash rounds per job.
    pub rounds: u32,
}

impl WorkloadSize {
    /// The size of `w`.
    pub fn of(w: &Workload) -> WorkloadSize {
        WorkloadSize { jobs: w.jobs, wait_ms: w.wait.as_millis() as u64, rounds: w.rounds }
    }

    fn path(dir: &Path, kind: WorkloadKind) -> PathBuf {
        dir.join(kind.as_str()).join("cvp-workload.json")
    }

    /// Records `w`'s size beside criterion's data for that workload.
    pub fn record(dir: &Path, w: &Workload) -> std::io::Result<()> {
        let path = WorkloadSize::path(dir, w.kind);
        std::fs::create_dir_all(dir.join(w.kind.as_str()))?;
        let json = serde_json::to_vec_pretty(&WorkloadSize::of(w)).map_err(std::io::Error::other)?;
        super::write_atomic(&path, &json).map_err(std::io::Error::other)
    }

    /// Reads the recorded size of `kind`, if the benches left one.
    pub fn read(dir: &Path, kind: WorkloadKind) -> Option<WorkloadSize> {
        let text = std::fs::read_to_string(WorkloadSize::path(dir, kind)).ok()?;
        serde_json::from_str(&text).ok()
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ReportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ReportError::Unreadable { path: path.to_path_buf(), why: e.to_string() })?;
    serde_json::from_str(&text)
        .map_err(|e| ReportError::Unreadable { path: path.to_path_buf(), why: e.to_string() })
}

/// Every benchmark folder under `dir` (those holding `<baseline>/benchmark.json` for some baseline).
fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ReportError::Unreadable { path: dir.to_path_buf(), why: e.to_string() })?;
    let mut subdirs: Vec<PathBuf> =
        entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    subdirs.sort();
    for sub in subdirs {
        if sub.join("benchmark.json").is_file() {
            found.push(sub);
        } else if sub.file_name().is_some_and(|n| n != "report") {
            walk(&sub, found)?;
        }
    }
    Ok(())
}

/// Reads the median of every benchmark of `baseline` under `dir`, sorted by id.
pub fn read(dir: &Path, baseline: &str) -> Result<Vec<Measured>, ReportError> {
    if !dir.is_dir() {
        return Err(ReportError::Missing(format!(
            "no criterion data at {} (run `cargo bench` first, or pass --criterion-dir)",
            dir.display()
        )));
    }
    let mut baseline_dirs = Vec::new();
    walk(dir, &mut baseline_dirs)?;
    let mut out = Vec::new();
    for bdir in baseline_dirs.iter().filter(|d| d.file_name().is_some_and(|n| n == baseline)) {
        let bench: BenchmarkJson = read_json(&bdir.join("benchmark.json"))?;
        let estimates_path = bdir.join("estimates.json");
        if !estimates_path.is_file() {
            return Err(ReportError::Missing(format!(
                "benchmark {} has no {} (an interrupted `cargo bench`? run it again)",
                bench.full_id,
                estimates_path.display()
            )));
        }
        let est: EstimatesJson = read_json(&estimates_path)?;
        out.push(Measured {
            id: bench.full_id,
            group: bench.group_id,
            function: bench.function_id,
            value: bench.value_str,
            median_ns: est.median.point_estimate,
            ci_low_ns: est.median.confidence_interval.lower_bound,
            ci_high_ns: est.median.confidence_interval.upper_bound,
        });
    }
    if out.is_empty() {
        let mut names: Vec<String> = baseline_dirs
            .iter()
            .filter_map(|d| d.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        names.sort();
        names.dedup();
        let found = if names.is_empty() { "none".to_string() } else { names.join(", ") };
        return Err(ReportError::Missing(format!(
            "no benchmark has baseline '{baseline}' under {} (baselines found: {found})",
            dir.display()
        )));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}
