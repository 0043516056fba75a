//! criterion's output folder: where it is, reading `<dir>/<group>/<function>/<value>/<baseline>/
//! {benchmark,estimates}.json`, and the record this suite leaves beside each baseline's data.
//!
//! criterion records times, not what was timed. So after each benchmark the benches write
//! `<baseline>/cvp-record.json` into every baseline folder criterion just wrote: the workload's size, the
//! machine that measured, the profile, the `CVP_*` values and the bench's arguments, and the SHA-256 of the
//! `estimates.json` it describes. A report trusts a benchmark only when its record is there and that hash
//! matches: a record left from an earlier run, or data written without one, is refused, never assumed.
//! Only the median and its confidence interval are read; criterion's raw samples are left alone.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::ReportError;
use crate::machine::Machine;
use crate::workload::{WaitKind, Workload, WorkloadKind};

/// The record's file name, inside each baseline folder of each benchmark.
pub const RECORD_FILE: &str = "cvp-record.json";

/// criterion's output folder, found exactly as criterion 0.8 finds it: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the target directory `cargo metadata` reports (when run under cargo,
/// which sets `$CARGO`), else `target/criterion`.
pub fn criterion_home() -> PathBuf {
    criterion_home_from(std::env::var_os("CRITERION_HOME"), std::env::var_os("CARGO_TARGET_DIR"), || {
        let cargo = std::env::var_os("CARGO")?;
        let out =
            std::process::Command::new(cargo).args(["metadata", "--format-version", "1"]).output().ok()?;
        #[derive(Deserialize)]
        struct Metadata {
            target_directory: PathBuf,
        }
        serde_json::from_slice::<Metadata>(&out.stdout).ok().map(|m| m.target_directory)
    })
}

/// [`criterion_home`] as a pure function of its inputs.
pub fn criterion_home_from(
    criterion_home: Option<OsString>,
    cargo_target_dir: Option<OsString>,
    cargo_metadata: impl FnOnce() -> Option<PathBuf>,
) -> PathBuf {
    if let Some(home) = criterion_home {
        PathBuf::from(home)
    } else if let Some(target) = cargo_target_dir.map(PathBuf::from).or_else(cargo_metadata) {
        target.join("criterion")
    } else {
        PathBuf::from("target/criterion")
    }
}

/// The size of a workload as it was run.
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
}

impl std::fmt::Display for WorkloadSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} jobs, wait {} ms, {} rounds", self.jobs, self.wait_ms, self.rounds)
    }
}

/// The size of a `server` benchmark: K requests over C keep-alive connections, each request waiting W ms on
/// the server's backend and then hashing R rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSize {
    /// Requests per iteration (K).
    pub requests: u64,
    /// Keep-alive connections they go over (C).
    pub connections: usize,
    /// Wait per request, ms.
    pub wait_ms: u64,
    /// Hash rounds per request.
    pub rounds: u32,
}

impl std::fmt::Display for ServerSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests over {} connections, wait {} ms, {} rounds",
            self.requests, self.connections, self.wait_ms, self.rounds
        )
    }
}

/// What one benchmark timed, as its record says: a workload's jobs (every group but `server`), or a
/// server's requests. Written as the inner size alone, so a workload's record reads as it always did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BenchSize {
    /// A workload's jobs.
    Workload(WorkloadSize),
    /// A server's requests (the `server` bench).
    Server(ServerSize),
}

impl BenchSize {
    /// The workload size, unless this is a server's.
    pub fn workload(self) -> Option<WorkloadSize> {
        match self {
            BenchSize::Workload(w) => Some(w),
            BenchSize::Server(_) => None,
        }
    }
}

impl From<WorkloadSize> for BenchSize {
    fn from(w: WorkloadSize) -> BenchSize {
        BenchSize::Workload(w)
    }
}

impl std::fmt::Display for BenchSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BenchSize::Workload(w) => w.fmt(f),
            BenchSize::Server(s) => s.fmt(f),
        }
    }
}

/// What the benches record beside each baseline's data of one benchmark.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchRecord {
    /// criterion's id, e.g. `io_bound/async/1`.
    pub id: String,
    /// The bench target that measured it, e.g. `io_bound`.
    pub bench: String,
    /// The bench process that measured it (`<pid>-<start in ns>`): benchmarks of one invocation share it.
    /// Empty in records written before it was kept: they count as one unknown run.
    #[serde(default)]
    pub invocation: String,
    /// When that process started, seconds since 1970 (UTC); 0 when unknown.
    #[serde(default)]
    pub started_unix_s: u64,
    /// How the bench ran: `cargo` (`cargo bench`), or `direct` (its executable, e.g. from a kit's run.sh).
    #[serde(default)]
    pub runner: String,
    /// SHA-256 (hex) of the `estimates.json` this record describes.
    pub estimates_sha256: String,
    /// What was timed: the workload, or the server's requests.
    pub size: BenchSize,
    /// The machine that measured.
    pub machine: Machine,
    /// `CVP_PROFILE` as used.
    pub profile: String,
    /// Every `CVP_*` variable that was set, as set.
    pub env: BTreeMap<String, String>,
    /// The bench executable's arguments (criterion's flags), without the executable.
    pub args: Vec<String>,
}

fn sha256_file(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// The SHA-256 of every `<baseline>/estimates.json` of the benchmark folder `bench_dir`, by baseline name.
/// Only baseline folders count (those holding `benchmark.json`): criterion's `change/` folder holds
/// estimates of the relative change between two runs, which no record describes.
fn estimates_hashes(bench_dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(bench_dir) else { return out };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir())
            && e.path().join("benchmark.json").is_file()
            && let Some(hash) = sha256_file(&e.path().join("estimates.json"))
        {
            out.insert(e.file_name().to_string_lossy().into_owned(), hash);
        }
    }
    out
}

/// Runs `bench` (one criterion benchmark with id `template.id`) and then writes `template`, with the right
/// hash, into every baseline folder of that benchmark whose `estimates.json` it changed. Under `--test`,
/// `--list`, `--profile-time` or a filter that skips the benchmark, criterion writes no estimates, and so
/// nothing is recorded. Returns the baselines recorded.
pub fn record_around(
    home: &Path,
    template: &BenchRecord,
    bench: impl FnOnce(),
) -> std::io::Result<Vec<String>> {
    let dir = home.join(&template.id);
    let before = estimates_hashes(&dir);
    bench();
    let mut recorded = Vec::new();
    for (baseline, hash) in estimates_hashes(&dir) {
        if before.get(&baseline) == Some(&hash) {
            continue;
        }
        let record = BenchRecord { estimates_sha256: hash, ..template.clone() };
        let mut json = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
        json.push(b'\n');
        super::write_atomic(&dir.join(&baseline).join(RECORD_FILE), &json).map_err(std::io::Error::other)?;
        recorded.push(baseline);
    }
    Ok(recorded)
}

/// Whether a benchmark's data carries a record that describes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Provenance {
    /// The record is there and its hash matches `estimates.json`.
    Recorded(Box<BenchRecord>),
    /// No record (data from before records existed, or from another tool).
    Missing,
    /// A record that describes other data (left from an earlier run).
    Stale,
    /// A record that cannot be parsed.
    Unreadable(String),
}

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
    /// The baseline folder the numbers came from.
    pub dir: PathBuf,
    /// Its record.
    pub provenance: Provenance,
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
    /// Criterion's `--confidence-level` (0.95 unless changed); read so an interval at another level is never
    /// shown, or judged, as a 95% one.
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ReportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ReportError::Unreadable { path: path.to_path_buf(), why: e.to_string() })?;
    serde_json::from_str(&text)
        .map_err(|e| ReportError::Unreadable { path: path.to_path_buf(), why: e.to_string() })
}

/// Every baseline folder under `dir` (those holding `benchmark.json`). Symbolic links are not followed, so
/// a link loop cannot make the walk endless.
fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ReportError::Unreadable { path: dir.to_path_buf(), why: e.to_string() })?;
    let mut subdirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
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

fn provenance(bdir: &Path, full_id: &str) -> Provenance {
    let path = bdir.join(RECORD_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else { return Provenance::Missing };
    let record: BenchRecord = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => return Provenance::Unreadable(e.to_string()),
    };
    let same_data =
        sha256_file(&bdir.join("estimates.json")).as_deref() == Some(record.estimates_sha256.as_str());
    // A record copied or moved with its folder to another benchmark's place describes that other one.
    if same_data && record.id == full_id { Provenance::Recorded(Box::new(record)) } else { Provenance::Stale }
}

/// Reads the median of every benchmark of `baseline` under `dir`, with its record, sorted by id.
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
        let level = est.median.confidence_interval.confidence_level;
        if (level - crate::claims::CONFIDENCE).abs() > 1e-9 {
            return Err(ReportError::Untrusted(format!(
                "benchmark {} has intervals at a confidence level of {level} (criterion's --confidence-level); \
                 accepted: {} (criterion's default), the level every interval here is shown and judged at",
                bench.full_id,
                crate::claims::CONFIDENCE
            )));
        }
        let provenance = provenance(bdir, &bench.full_id);
        out.push(Measured {
            id: bench.full_id,
            group: bench.group_id,
            function: bench.function_id,
            value: bench.value_str,
            median_ns: est.median.point_estimate,
            ci_low_ns: est.median.confidence_interval.lower_bound,
            ci_high_ns: est.median.confidence_interval.upper_bound,
            dir: bdir.clone(),
            provenance,
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

/// criterion id of the plain loop over the cpu_bound jobs.
pub const BARE_LOOP_ID: &str = "reference/bare_loop/cpu_bound";

/// criterion id of one job's wait alone, measured by the bench of `workload` beside it on a runtime of
/// `workers` workers: `reference/one_wait/<workload>-<kind>-<W>ms` on one worker (a blocking wait, or tokio's
/// current-thread runtime), `...-<W>ms-<N>w` on tokio's multi-thread runtime of N workers, the floor of
/// `async/N`.
pub fn one_wait_id(workload: WorkloadKind, kind: WaitKind, wait_ms: u64, workers: usize) -> String {
    format!("reference/one_wait/{}", one_wait_value(workload, kind, wait_ms, workers))
}

/// The parameter part of [`one_wait_id`].
pub fn one_wait_value(workload: WorkloadKind, kind: WaitKind, wait_ms: u64, workers: usize) -> String {
    if workers > 1 {
        format!("{workload}-{kind}-{wait_ms}ms-{workers}w")
    } else {
        format!("{workload}-{kind}-{wait_ms}ms")
    }
}

/// The parts of a one-wait benchmark's parameter: its workload, kind of wait, wait in ms and the workers of
/// its runtime.
pub fn parse_one_wait(value: &str) -> Option<(WorkloadKind, WaitKind, u64, usize)> {
    let mut parts = value.split('-');
    let workload = parts.next()?.parse::<WorkloadKind>().ok()?;
    let kind = parts.next()?;
    let kind = WaitKind::ALL.into_iter().find(|k| k.as_str() == kind)?;
    let ms = parts.next()?.strip_suffix("ms")?.parse().ok()?;
    let workers = match parts.next() {
        None => 1,
        Some(w) => w.strip_suffix('w')?.parse().ok().filter(|&n: &usize| n > 1 && kind == WaitKind::Async)?,
    };
    parts.next().is_none().then_some((workload, kind, ms, workers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criterion_home_is_found_as_criterion_finds_it() {
        let none = || -> Option<PathBuf> { None };
        assert_eq!(criterion_home_from(Some("/h".into()), Some("/t".into()), none), PathBuf::from("/h"));
        assert_eq!(criterion_home_from(None, Some("/t".into()), none), PathBuf::from("/t/criterion"));
        let meta = || Some(PathBuf::from("/ws/target"));
        assert_eq!(criterion_home_from(None, None, meta), PathBuf::from("/ws/target/criterion"));
        assert_eq!(criterion_home_from(None, None, none), PathBuf::from("target/criterion"));
    }

    fn template(id: &str) -> BenchRecord {
        BenchRecord {
            id: id.into(),
            bench: "io_bound".into(),
            invocation: "1-2".into(),
            started_unix_s: 0,
            runner: "cargo".into(),
            estimates_sha256: String::new(),
            size: WorkloadSize { jobs: 4, wait_ms: 2, rounds: 0 }.into(),
            machine: Machine::detect(),
            profile: "quick".into(),
            env: BTreeMap::new(),
            args: vec![],
        }
    }

    /// Writes a baseline folder as criterion does: benchmark.json and estimates.json.
    fn write_baseline(dir: &Path, id: &str, baseline: &str, estimate: &str) {
        let d = dir.join(id).join(baseline);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("benchmark.json"), format!(r#"{{"full_id":"{id}"}}"#)).unwrap();
        std::fs::write(d.join("estimates.json"), estimate).unwrap();
    }

    #[test]
    fn records_follow_exactly_the_baselines_a_benchmark_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let id = "io_bound/async/1";
        write_baseline(dir.path(), id, "before", "old");
        // criterion writes `new`, copies it to `base`, and writes `change` (no benchmark.json there).
        let recorded = record_around(dir.path(), &template(id), || {
            write_baseline(dir.path(), id, "new", "e1");
            write_baseline(dir.path(), id, "base", "e1");
            let change = dir.path().join(id).join("change");
            std::fs::create_dir_all(&change).unwrap();
            std::fs::write(change.join("estimates.json"), "relative").unwrap();
        })
        .unwrap();
        assert_eq!(recorded, vec!["base".to_string(), "new".to_string()]);
        assert!(!dir.path().join(id).join("before").join(RECORD_FILE).exists(), "untouched baseline");
        assert!(!dir.path().join(id).join("change").join(RECORD_FILE).exists());
        assert!(matches!(provenance(&dir.path().join(id).join("new"), id), Provenance::Recorded(_)));
        // `--test`, `--list` or a filter: criterion writes nothing, so nothing is recorded.
        assert!(record_around(dir.path(), &template(id), || {}).unwrap().is_empty());
        // Data re-measured without a record: stale. A record read for another id: stale too.
        write_baseline(dir.path(), id, "new", "e2");
        assert_eq!(provenance(&dir.path().join(id).join("new"), id), Provenance::Stale);
        assert_eq!(provenance(&dir.path().join(id).join("base"), "io_bound/async/2"), Provenance::Stale);
        assert_eq!(provenance(&dir.path().join(id).join("before"), id), Provenance::Missing);
    }

    #[test]
    fn a_size_reads_back_as_what_it_is() {
        // A workload's record is written and read as it always was: the size alone, no tag.
        let workload: BenchSize =
            serde_json::from_str(r#"{"jobs": 32, "wait_ms": 10, "rounds": 0}"#).unwrap();
        assert_eq!(workload, BenchSize::Workload(WorkloadSize { jobs: 32, wait_ms: 10, rounds: 0 }));
        assert_eq!(serde_json::to_string(&workload).unwrap(), r#"{"jobs":32,"wait_ms":10,"rounds":0}"#);
        let server =
            BenchSize::Server(ServerSize { requests: 640, connections: 64, wait_ms: 10, rounds: 10 });
        let text = serde_json::to_string(&server).unwrap();
        assert_eq!(serde_json::from_str::<BenchSize>(&text).unwrap(), server);
        assert_eq!(server.workload(), None);
        assert_eq!(server.to_string(), "640 requests over 64 connections, wait 10 ms, 10 rounds");
        assert!(serde_json::from_str::<BenchSize>(r#"{"jobs": 32}"#).is_err(), "neither size");
    }

    #[test]
    fn the_walk_does_not_follow_a_symlink_loop() {
        let dir = tempfile::tempdir().unwrap();
        let b = dir.path().join("g/f/1/new");
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("benchmark.json"), "{}").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("g/loop")).unwrap();
        let mut found = Vec::new();
        walk(dir.path(), &mut found).unwrap();
        assert_eq!(found, vec![b]);
    }

    #[test]
    fn one_wait_ids_round_trip() {
        let id = one_wait_id(WorkloadKind::IoBound, WaitKind::Async, 10, 1);
        assert_eq!(id, "reference/one_wait/io_bound-async-10ms");
        assert_eq!(
            one_wait_id(WorkloadKind::NetBound, WaitKind::Async, 10, 4),
            "reference/one_wait/net_bound-async-10ms-4w"
        );
        assert_eq!(
            parse_one_wait("io_bound-async-10ms"),
            Some((WorkloadKind::IoBound, WaitKind::Async, 10, 1))
        );
        assert_eq!(
            parse_one_wait("io_bound-async-10ms-4w"),
            Some((WorkloadKind::IoBound, WaitKind::Async, 10, 4))
        );
        assert_eq!(
            parse_one_wait("mixed-blocking-7ms"),
            Some((WorkloadKind::Mixed, WaitKind::Blocking, 7, 1))
        );
        assert_eq!(
            parse_one_wait("mixed-blocking-7ms-2w"),
            None,
            "a blocking wait has no runtime of workers"
        );
        assert_eq!(parse_one_wait("io_bound-async-7ms-1w"), None, "one worker is the id without a suffix");
        assert_eq!(parse_one_wait("mixed-fast-7ms"), None);
        assert_eq!(parse_one_wait("async-7ms"), None);
    }
}
