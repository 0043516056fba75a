//! `cvp report` and `cvp compare` on small criterion folders written here in criterion's own format, each
//! benchmark with the record the benches leave beside it: the expected rows, the measuring machine's cores
//! (never the test host's), and every refusal (exit 2, nothing written): a missing record, a stale one, a
//! baseline that mixes machines or sizes, a run file from elsewhere.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const HEADER: &str = "workload,strategy,workers,median_ns,ci_low_ns,ci_high_ns,speedup,efficiency,karp_flatt,jobs,wait_ms,rounds";

fn machine(cpu: &str, cores: usize) -> Value {
    json!({
        "cpu_model": cpu, "logical_cpus": cores, "online_cpus": cores, "physical_cpus": cores,
        "available_parallelism": cores, "affinity_cpus": cores, "cgroup_cpu_quota": null,
        "os": "linux x86_64", "kernel": "6.0", "rustc": "rustc 1.95.0", "cvp_version": "0.1.0",
        "git_commit": "aaaa", "rayon_num_threads": null, "tokio_worker_threads": null
    })
}

fn sha256(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes the record the benches would write beside `dir/<id>/<baseline>`.
/// As in a real `cargo bench`, each bench target is its own run: cpu_bound's (with the bare loop), io_bound's
/// and mixed's (each with its own one-wait floors).
fn record(dir: &Path, baseline: &str, id: &str, size: (usize, u64, u32), m: &Value) {
    let workload = match id.strip_prefix("reference/") {
        Some(r) if r.starts_with("bare_loop") => "cpu_bound",
        Some(r) => r.trim_start_matches("one_wait/").split('-').next().unwrap(),
        None => id.split('/').next().unwrap(),
    };
    record_run(dir, baseline, id, size, m, &format!("run-{workload}"));
}

/// The same, as measured by the bench run `invocation`.
fn record_run(dir: &Path, baseline: &str, id: &str, size: (usize, u64, u32), m: &Value, invocation: &str) {
    let d = dir.join(id).join(baseline);
    let r = json!({
        "id": id, "bench": invocation.trim_start_matches("run-"), "invocation": invocation, "started_unix_s": 1_796_000_000u64, "runner": "cargo",
        "estimates_sha256": sha256(&d.join("estimates.json")),
        "size": {"jobs": size.0, "wait_ms": size.1, "rounds": size.2}, "machine": m, "profile": "quick",
        "env": {"CVP_PROFILE": "quick"}, "args": ["--bench"]
    });
    std::fs::write(d.join("cvp-record.json"), r.to_string()).unwrap();
}

/// Writes one benchmark of `baseline` as criterion 0.8 does (benchmark.json + estimates.json) and its record.
fn bench(dir: &Path, baseline: &str, id: &str, median_ns: f64, size: (usize, u64, u32), m: &Value) {
    let parts: Vec<&str> = id.split('/').collect();
    let d = dir.join(id).join(baseline);
    std::fs::create_dir_all(&d).unwrap();
    let b = json!({"group_id": parts[0], "function_id": parts[1], "value_str": parts[2], "throughput": null,
        "full_id": id, "directory_name": id, "title": id});
    std::fs::write(d.join("benchmark.json"), b.to_string()).unwrap();
    let est = |p: f64| {
        json!({"confidence_interval": {"confidence_level": 0.95, "lower_bound": p * 0.99, "upper_bound": p * 1.01},
            "point_estimate": p, "standard_error": 1.0})
    };
    let e = json!({"mean": est(median_ns), "median": est(median_ns), "median_abs_dev": est(1.0),
        "slope": null, "std_dev": est(1.0)});
    std::fs::write(d.join("estimates.json"), e.to_string()).unwrap();
    record(dir, baseline, id, size, m);
}

const CPU: (usize, u64, u32) = (128, 0, 20000);
const IO: (usize, u64, u32) = (32, 10, 0);

/// A 2-core machine's criterion folder: cpu_bound scales to 2, io_bound threads scale with workers, async
/// finishes all waits in one wait.
fn fixture_on(dir: &Path, baseline: &str, scale: f64, m: &Value) {
    let ms = 1e6 * scale;
    bench(dir, baseline, "cpu_bound/sequential/1", 160.0 * ms, CPU, m);
    for (n, t) in [(1, 160.0), (2, 80.0), (4, 80.0)] {
        bench(dir, baseline, &format!("cpu_bound/threads/{n}"), t * ms, CPU, m);
        bench(dir, baseline, &format!("cpu_bound/async/{n}"), t * ms, CPU, m);
    }
    bench(dir, baseline, "io_bound/sequential/1", 320.0 * ms, IO, m);
    for (n, t) in [(1, 320.0), (2, 160.0), (4, 80.0)] {
        bench(dir, baseline, &format!("io_bound/threads/{n}"), t * ms, IO, m);
        bench(dir, baseline, &format!("io_bound/async/{n}"), 11.0 * ms, IO, m);
    }
    bench(dir, baseline, "reference/bare_loop/cpu_bound", 159.0 * ms, CPU, m);
    bench(dir, baseline, "reference/one_wait/io_bound-blocking-10ms", 10.05 * ms, (1, 10, 0), m);
    bench(dir, baseline, "reference/one_wait/io_bound-async-10ms", 10.95 * ms, (1, 10, 0), m);
}

fn fixture(dir: &Path, baseline: &str, scale: f64) {
    fixture_on(dir, baseline, scale, &machine("Test CPU 2000", 2));
}

/// Every record under `dir`.
fn walk_records(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_records(&p));
        } else if p.file_name().is_some_and(|n| n == "cvp-record.json") {
            out.push(p);
        }
    }
    out
}

fn cvp(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cvp"));
    for var in ["CVP_THREADS", "CVP_JOBS", "CVP_ROUNDS", "CVP_WAIT_MS", "CVP_PROFILE"] {
        cmd.env_remove(var);
    }
    cmd.args(args).output().expect("cvp runs")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn refused(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn report_writes_the_expected_rows_and_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("results/here"));
    fixture(&crit, "new", 1.0);
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("scaling.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], HEADER);
    // Speedup = sequential / time; efficiency = speedup / min(workers, 2 cores of the measuring machine).
    assert!(
        lines.contains(&"cpu_bound,sequential,1,160000000,158400000,161600000,1.0000,1.0000,,128,0,20000"),
        "{csv}"
    );
    assert!(
        lines.contains(&"io_bound,threads,4,80000000,79200000,80800000,4.0000,2.0000,-0.5000,32,10,0"),
        "{csv}"
    );
    assert_eq!(lines.len(), 1 + 2 * (1 + 3 + 3), "reference benchmarks are not scaling rows");
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.lines().next().unwrap().contains("Generated by `cvp report`"));
    assert!(
        readme.contains("| threads | 2 |") && readme.contains("1.00x") && readme.contains("C6"),
        "{readme}"
    );
    assert!(readme.contains("bare_loop"), "the sequential overhead is reported");
    assert!(
        readme.contains("`io_bound`: 32 jobs, wait 10 ms, 0 rounds (recorded beside every benchmark"),
        "{readme}"
    );
    assert!(readme.contains("CVP_PROFILE=quick cargo bench"), "the recorded command: {readme}");
    // 2 cores: one worker count above 1 within the cores; no fit is printed, and the table says why.
    assert!(readme.contains("too few points: 1 (needs 4)") && readme.contains("too few points: 1 (needs 3)"));
    assert!(!readme.contains("peak at 2.8"), "{readme}");
    // In flight uses the measured wait: 32 x 10.95 ms / 11 ms.
    assert!(readme.contains("| async | 1 | 11.0 ms |") && readme.contains("| 31.9 |"), "{readme}");
    for svg in ["speedup_cpu_bound.svg", "speedup_io_bound.svg", "time_io_bound.svg"] {
        let text = std::fs::read_to_string(out.join(svg)).unwrap();
        assert!(text.starts_with("<svg") && text.contains("threads"), "{svg}");
    }
    let m: Value = serde_json::from_str(&std::fs::read_to_string(out.join("machine.json")).unwrap()).unwrap();
    assert_eq!(m["cpu_model"], "Test CPU 2000", "machine.json is the measuring machine's");
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary folder left beside the output");
}

#[test]
fn a_foreign_machine_is_reported_with_its_own_cores_and_name() {
    let tmp = tempfile::tempdir().unwrap();
    let crit = tmp.path().join("criterion");
    fixture_on(&crit, "new", 1.0, &machine("Big CPU 9000", 16));
    let o = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["report", "--criterion-dir", s(&crit)])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let folders: Vec<_> =
        std::fs::read_dir(tmp.path().join("results")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(folders, vec!["big-9000-16c"], "named for the machine that measured");
    let out =
        std::fs::read_dir(tmp.path().join("results/big-9000-16c")).unwrap().next().unwrap().unwrap().path();
    let csv = std::fs::read_to_string(out.join("scaling.csv")).unwrap();
    // 4 threads on 16 cores: efficiency 4 / 4 = 1, not 4 / 2.
    assert!(csv.contains("io_bound,threads,4,80000000,79200000,80800000,4.0000,1.0000,"), "{csv}");
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("# Results: Big CPU 9000, 16 usable cores"), "{readme}");
    assert!(readme.contains("Reported on:") && readme.contains("another machine"), "{readme}");
    // C2 needs worker counts above the 16 cores: it cannot be shown, whatever this host has.
    assert!(
        readme.contains("| C2 (part control) parallelism needs cores | **cannot be shown here** |"),
        "{readme}"
    );
}

#[test]
fn data_without_a_matching_record_is_refused_unless_assumed() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("out"));
    // Recorded on this very machine, so that assuming it for one benchmark is consistent with the rest.
    let here: Value = serde_json::from_slice(&cvp(&["machine", "--json"]).stdout).unwrap();
    fixture_on(&crit, "new", 1.0, &here);
    // A benchmark re-measured (new estimates) without a new record: the smoke pass after a real run, or an
    // interrupted bench.
    let est = crit.join("io_bound/async/1/new/estimates.json");
    let text = std::fs::read_to_string(&est).unwrap().replace("11000000", "11500000");
    std::fs::write(&est, text).unwrap();
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    refused(&o, "io_bound/async/1/new/cvp-record.json describes other data");
    assert!(!out.exists());
    // No record at all.
    std::fs::remove_file(crit.join("io_bound/async/1/new/cvp-record.json")).unwrap();
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    refused(&o, "io_bound/async/1/new has no cvp-record.json");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--assume-this-machine"));
    assert!(!out.exists(), "nothing written");
    // The explicit escape works, and says so. (It takes the sizes from CVP_*: pin them to the fixture's, so
    // that the default job count of a host with more cores does not differ.)
    let o = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["report", "--criterion-dir", s(&crit), "--out", s(&out), "--assume-this-machine"])
        .env("CVP_JOBS", "32")
        .env("CVP_WAIT_MS", "10")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    // The one row without a record cannot be tied to the bench run of its `sequential`: left out, named.
    assert!(
        readme.contains("`io_bound/async/1` (another bench run than `io_bound/sequential/1`)"),
        "{readme}"
    );
    // Data from before records existed (no record at all): all of it assumed, and said so.
    for e in walk_records(&crit) {
        std::fs::remove_file(e).unwrap();
    }
    let out2 = tmp.path().join("out2");
    let o = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["report", "--criterion-dir", s(&crit), "--out", s(&out2), "--assume-this-machine"])
        .env("CVP_JOBS", "32")
        .env("CVP_WAIT_MS", "10")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out2.join("README.md")).unwrap();
    assert!(
        readme.contains("WARNING: `--assume-this-machine` was used") && readme.contains("`io_bound/async/1`")
    );
    assert!(readme.contains("Measured on: ASSUMED"), "{readme}");
    assert!(
        readme.contains("Measured by: commit unknown"),
        "an assumed build is not the reporting one: {readme}"
    );
    // Assuming this machine for data recorded on another is still refused.
    fixture(&crit, "new", 1.0);
    std::fs::remove_file(crit.join("io_bound/async/1/new/cvp-record.json")).unwrap();
    let o = cvp(&[
        "report",
        "--criterion-dir",
        s(&crit),
        "--out",
        s(&tmp.path().join("o2")),
        "--assume-this-machine",
    ]);
    refused(&o, "mixes machines");
}

#[test]
fn a_baseline_that_mixes_machines_or_sizes_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("out"));
    fixture(&crit, "new", 1.0);
    // `taskset -c 0 cargo bench --bench io_bound`: the io_bound records say 1 core.
    record(&crit, "new", "io_bound/threads/2", IO, &machine("Test CPU 2000", 1));
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    refused(&o, "mixes machines");
    fixture(&crit, "new", 1.0);
    // `CVP_JOBS=8 cargo bench -- io_bound/async/1`: one benchmark at another size.
    record(&crit, "new", "io_bound/async/1", (8, 10, 0), &machine("Test CPU 2000", 2));
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    refused(&o, "io_bound benchmarks of different sizes");
    assert!(!out.exists());
}

#[test]
fn a_baseline_that_mixes_builds_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("out"));
    fixture(&crit, "new", 1.0);
    let mut other = machine("Test CPU 2000", 2);
    other["git_commit"] = "bbbb".into();
    record(&crit, "new", "cpu_bound/threads/2", CPU, &other);
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    refused(&o, "mixes builds");
    assert!(!out.exists());
}

#[test]
fn intervals_at_another_confidence_level_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("out"));
    fixture(&crit, "new", 1.0);
    // `cargo bench -- --confidence-level 0.5` on one benchmark: its interval would pass for a 95% one.
    let path = crit.join("io_bound/async/1/new/estimates.json");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"confidence_level\":0.95", "\"confidence_level\":0.5");
    std::fs::write(&path, text).unwrap();
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    refused(&o, "io_bound/async/1 has intervals at a confidence level of 0.5");
    assert!(!out.exists());
}

#[test]
fn a_row_without_a_commit_beside_rows_with_one_is_another_build() {
    // Whichever row the report meets first, one that recorded no commit must not make the others
    // uncheckable: it is refused as a build of its own.
    for id in ["cpu_bound/sequential/1", "cpu_bound/async/1", "io_bound/threads/4"] {
        let tmp = tempfile::tempdir().unwrap();
        let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("out"));
        fixture(&crit, "new", 1.0);
        let mut unknown = machine("Test CPU 2000", 2);
        unknown["git_commit"] = Value::Null;
        record(&crit, "new", id, if id.starts_with("cpu") { CPU } else { IO }, &unknown);
        let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
        refused(&o, "mixes builds");
        assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("{id} by commit unknown")), "{id}");
        assert!(!out.exists());
    }
}

#[test]
fn rows_from_another_bench_run_are_left_out_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("out"));
    fixture(&crit, "new", 1.0);
    // An earlier sweep left io_bound/threads/8 behind, and cpu_bound's bare loop ran at another size.
    bench(&crit, "new", "io_bound/threads/8", 40e6, IO, &machine("Test CPU 2000", 2));
    record_run(&crit, "new", "io_bound/threads/8", IO, &machine("Test CPU 2000", 2), "run-0");
    record(&crit, "new", "reference/bare_loop/cpu_bound", (128, 0, 2000), &machine("Test CPU 2000", 2));
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("scaling.csv")).unwrap();
    assert!(!csv.contains("io_bound,threads,8,"), "{csv}");
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains("`io_bound/threads/8` (another bench run than `io_bound/sequential/1`)"),
        "{readme}"
    );
    assert!(readme.contains("`reference/bare_loop/cpu_bound` (measured at another size"), "{readme}");
    assert!(!readme.contains("cpu_bound/sequential/1` / `reference/bare_loop"), "no ratio of unequal work");
}

#[test]
fn compare_marks_rows_without_a_matching_record() {
    let tmp = tempfile::tempdir().unwrap();
    let crit = tmp.path().join("criterion");
    fixture(&crit, "before", 1.0);
    fixture(&crit, "after", 0.5);
    std::fs::remove_file(crit.join("io_bound/async/1/after/cvp-record.json")).unwrap();
    record(&crit, "after", "io_bound/async/2", IO, &machine("Other CPU", 64));
    let o = cvp(&["compare", "before", "after", "--criterion-dir", s(&crit)]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    let row = text.lines().find(|l| l.starts_with("io_bound/async/1 ")).unwrap();
    assert!(row.ends_with("unverified (B has no matching record)"), "{text}");
    assert!(text.contains("WARNING: B is not one run: io_bound/async/2 was measured on Other CPU"), "{text}");
}

/// A `cvp run` file (one configuration) from `m` at the io size `io`.
fn run_file(path: &Path, m: &Value, io_jobs: usize) {
    let run = json!({
        "command": ["cvp", "run"], "machine": m,
        "config": {"workloads": ["io_bound"], "strategies": ["async"], "threads": [1, 2, 4], "jobs": io_jobs,
            "rounds": 20000, "wait_ms": 10, "repeat": 1},
        "runs": [{"workload": "io_bound", "strategy": "async", "workers": 4, "jobs": io_jobs, "wait_ms": 10,
            "rounds": 0, "wall_s": 0.011, "wall_min_s": 0.011, "wall_max_s": 0.011, "cpu_s": 0.0002,
            "speedup": 29.0, "cores_busy": 0.02, "cores_busy_range": [0.01, 0.03], "repeats": 3,
            "in_flight": 31.0, "digest": "00"}],
        "one_wait": [], "verdicts": []
    });
    std::fs::write(path, run.to_string()).unwrap();
}

#[test]
fn a_run_file_must_match_the_machine_and_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("out"));
    fixture(&crit, "new", 1.0);
    let run = tmp.path().join("run.json");
    run_file(&run, &machine("Other CPU", 2), 32);
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--run", s(&run), "--out", s(&out)]);
    refused(&o, "run.json was measured on Other CPU");
    run_file(&run, &machine("Test CPU 2000", 2), 8);
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--run", s(&run), "--out", s(&out)]);
    refused(&o, "run.json ran io_bound with 8 jobs");
    assert!(!out.exists());
    run_file(&run, &machine("Test CPU 2000", 2), 32);
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--run", s(&run), "--out", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    // C3 now has CPU time, but criterion measured the async floor on one worker only: async on its most
    // workers runs on the multi-thread runtime, whose floor only `cvp run` measures, so C3 says so.
    assert!(
        readme.contains("| C3 concurrent programs are often not parallel | **cannot be shown here** | needs one async wait of io_bound measured alone on the multi-thread runtime of 4 workers, the runtime of io_bound/async/4 (`cvp run` measures it, and criterion's benchmark `reference/one_wait/io_bound-async-10ms-4w`)"),
        "{readme}"
    );
    // The benches measure that floor too (one per async worker count): with it, C3 is judged on its own runtime.
    for n in [2, 4] {
        bench(
            &crit,
            "new",
            &format!("reference/one_wait/io_bound-async-10ms-{n}w"),
            10.9e6,
            (1, 10, 0),
            &machine("Test CPU 2000", 2),
        );
    }
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--run", s(&run), "--out", s(&out), "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    let c3 =
        readme.lines().find(|l| l.starts_with("| C3 concurrent programs are often not parallel |")).unwrap();
    assert!(c3.contains("io_bound async on 4 worker(s): ") && c3.contains("of 32 jobs in flight"), "{c3}");
    assert!(!c3.contains("needs one async wait"), "{c3}");
}

#[test]
fn report_refuses_to_overwrite_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("out"));
    fixture(&crit, "new", 1.0);
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    refused(&o, "--force");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1, "nothing written");
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out), "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("scaling.csv").is_file());
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine", "a user's file is kept");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2, "no temporary folder left");
}

#[test]
fn report_errors_name_what_is_missing_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let crit = tmp.path().join("criterion");
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    refused(&o, s(&crit));
    fixture(&crit, "new", 1.0);
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--baseline", "before", "--out", s(&out)]);
    refused(&o, "found: new");
    std::fs::remove_file(crit.join("io_bound/async/2/new/estimates.json")).unwrap();
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    refused(&o, "estimates.json");
    fixture(&crit, "new", 1.0);
    let bogus = tmp.path().join("run.json");
    std::fs::write(&bogus, "{}").unwrap();
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--run", s(&bogus), "--out", s(&out)]);
    refused(&o, "run.json");
    assert!(!out.exists(), "nothing written on any error");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2, "no temporary folder either");
}

#[test]
fn compare_baselines_says_faster_slower_or_inconclusive_with_the_effect() {
    let tmp = tempfile::tempdir().unwrap();
    let crit = tmp.path().join("criterion");
    fixture(&crit, "before", 1.0);
    fixture(&crit, "after", 0.5);
    fixture(&crit, "same", 1.005);
    let compare = |a: &str, b: &str| {
        let o = cvp(&["compare", a, b, "--criterion-dir", s(&crit)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let row =
        |text: &str, id: &str| text.lines().find(|l| l.starts_with(&format!("{id} "))).unwrap().to_string();
    let text = compare("before", "after");
    assert!(
        row(&text, "cpu_bound/threads/2").contains("0.500")
            && row(&text, "cpu_bound/threads/2").ends_with("faster (-50.0%)"),
        "{text}"
    );
    assert!(row(&compare("after", "before"), "io_bound/async/1").ends_with("slower (+100.0%)"));
    // +0.5%: inside the intervals and below the 1% threshold.
    let text = compare("before", "same");
    assert!(row(&text, "io_bound/threads/4").ends_with("inconclusive (+0.5%)"), "{text}");
    assert!(text.contains("once in 180"), "the multiple-comparisons note: {text}");
    assert!(
        !text.contains("WARNING") && !text.contains("is unknown"),
        "both sides carry their machine: {text}"
    );
    let o = cvp(&["compare", "before", "nope", "--criterion-dir", s(&crit)]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn compare_folders_flags_different_machines_and_sizes_first() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let crit = tmp.path().join("criterion");
    fixture(&crit, "new", 1.0);
    assert!(cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&a)]).status.success());
    // B: a 16-core machine, io_bound at 64 jobs.
    let crit16 = tmp.path().join("criterion16");
    fixture_on(&crit16, "new", 1.0, &machine("Other CPU 9000", 16));
    for n in ["1", "2", "4"] {
        for strategy in ["threads", "async"] {
            record(
                &crit16,
                "new",
                &format!("io_bound/{strategy}/{n}"),
                (64, 10, 0),
                &machine("Other CPU 9000", 16),
            );
        }
    }
    record(&crit16, "new", "io_bound/sequential/1", (64, 10, 0), &machine("Other CPU 9000", 16));
    assert!(cvp(&["report", "--criterion-dir", s(&crit16), "--out", s(&b)]).status.success());
    let o = cvp(&["compare", s(&a), s(&a)]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(!text.contains("WARNING"), "{text}");
    assert!(
        text.lines()
            .find(|l| l.starts_with("io_bound/threads/4 "))
            .unwrap()
            .ends_with("inconclusive (+0.0%)")
    );
    let o = cvp(&["compare", s(&a), s(&b)]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("WARNING: different machines"), "{text}");
    assert!(text.contains("WARNING: io_bound ran at different sizes: A 32 jobs"), "{text}");
}

#[test]
fn a_trace_folder_becomes_a_section_of_its_machine_only() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, trace, out) = (tmp.path().join("criterion"), tmp.path().join("trace"), tmp.path().join("out"));
    let trace3 = tmp.path().join("deeper/still/trace3");
    let o = cvp(&["trace", "--workload", "cpu_bound", "--jobs", "2", "--rounds", "2000", "--out", s(&trace)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Missing parents of --out are created when the files are written.
    let o = cvp(&[
        "trace",
        "--workload",
        "cpu_bound",
        "--jobs",
        "3",
        "--rounds",
        "2000",
        "--strategies",
        "threads",
        "--out",
        s(&trace3),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The report judges C9 from the rows and never copies a verdict stored in the file: plant a false one.
    let json = trace.join("trace.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    v["cvp"]["verdicts"] = serde_json::json!([{"claim": "C9", "statement": "planted", "verdict": "shown",
        "evidence": "PLANTED"}]);
    std::fs::write(&json, serde_json::to_vec(&v).unwrap()).unwrap();
    // criterion data from this very machine: the section is taken, its files and its link land in the README.
    let here: Value = serde_json::from_slice(&cvp(&["machine", "--json"]).stdout).unwrap();
    fixture_on(&crit, "new", 1.0, &here);
    let o = cvp(&[
        "report",
        "--criterion-dir",
        s(&crit),
        "--trace",
        s(&trace),
        "--trace",
        s(&trace3),
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Two traces of different job counts side by side: the job count is in the names.
    for slug in ["cpu_bound-2j-2w", "cpu_bound-3j-2w"] {
        assert!(out.join(format!("timeline-{slug}.svg")).is_file(), "{slug}");
        assert!(out.join(format!("trace-{slug}.json")).is_file(), "{slug}");
    }
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("## Timeline: cpu_bound") && readme.contains("(timeline-cpu_bound-2j-2w.svg)"));
    assert!(!readme.contains("PLANTED"), "a stored verdict was copied");
    // criterion data from another machine: refused, nothing written.
    let other = tmp.path().join("other");
    fixture(&other, "new", 1.0);
    let out2 = tmp.path().join("out2");
    refused(
        &cvp(&["report", "--criterion-dir", s(&other), "--trace", s(&trace), "--out", s(&out2)]),
        "measured on",
    );
    assert!(!out2.exists());
    // Taken anyway, the section says where it was measured.
    let out3 = tmp.path().join("out3");
    let flags = ["--assume-this-machine", "--mixed-builds"];
    let o = cvp(&[
        &["report", "--criterion-dir", s(&other), "--trace", s(&trace), "--out", s(&out3)][..],
        &flags,
    ]
    .concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out3.join("README.md")).unwrap();
    let here = cvp::machine::Machine::detect().summary();
    assert!(readme.contains(&format!("This section was measured on {here}, not on the machine")), "{readme}");
}

#[test]
fn a_sleep_and_a_socket_scale_file_become_two_sections_with_their_own_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("out"));
    let (sleep, socket) = (tmp.path().join("sleep.json"), tmp.path().join("socket.json"));
    for (io, path) in [("sleep", &sleep), ("socket", &socket)] {
        let o = cvp(&[
            "scale",
            "--io",
            io,
            "--jobs",
            "10",
            "--wait-ms",
            "2",
            "--strategies",
            "async",
            "--repeat",
            "1",
            "--format",
            "json",
            "--output",
            s(path),
        ]);
        assert!(o.status.success(), "{io}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let here: Value = serde_json::from_slice(&cvp(&["machine", "--json"]).stdout).unwrap();
    fixture_on(&crit, "new", 1.0, &here);
    let report = |files: &[&Path], out: &Path| {
        let mut args = vec!["report", "--criterion-dir", s(&crit), "--out", s(out)];
        for f in files {
            args.extend(["--scale", s(f)]);
        }
        cvp(&args)
    };
    let o = report(&[&sleep, &socket], &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in [
        "scale_time.svg",
        "scale_memory.svg",
        "scale.csv",
        "scale_socket_time.svg",
        "scale_socket_memory.svg",
        "scale_socket.csv",
        "scale_socket.json",
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("## Scale: 1 to 100,000 waits in flight"), "{readme}");
    assert!(readme.contains("## Scale over loopback TCP: 1 to 10 requests in flight"), "{readme}");
    assert!(readme.contains("(scale_socket_time.svg)") && readme.contains("server µs/req"));
    assert!(readme.contains("net_bound: loopback TCP"), "the socket C8 is among the verdicts");
    // The same kind twice: refused, nothing written.
    let out2 = tmp.path().join("out2");
    refused(&report(&[&socket, &socket], &out2), "accepted: at most one --io sleep file and one --io socket");
    assert!(!out2.exists());
}

#[test]
fn net_bound_benches_and_a_run_file_make_the_io_vs_net_table_and_verdicts() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("out"));
    let m = machine("Test CPU 2000", 2);
    fixture(&crit, "new", 1.0);
    // Without net_bound: no net_bound table, plot or verdict.
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--out", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(!readme.contains("net_bound") && !out.join("time_net_bound.svg").exists(), "{readme}");
    // A run file with both workloads but no net_bound bench: the run's own table, said to be so.
    let run = tmp.path().join("run.json");
    let one = |workload: &str, extra: Value| {
        let mut r = json!({"workload": workload, "strategy": "async", "workers": 4, "jobs": 32, "wait_ms": 10,
            "rounds": 0, "wall_s": 0.012, "wall_min_s": 0.0118, "wall_max_s": 0.0122, "cpu_s": 0.0003,
            "speedup": 29.0, "cores_busy": 0.03, "cores_busy_range": [0.02, 0.04], "repeats": 3,
            "in_flight": 30.0, "digest": "00"});
        r.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        r
    };
    let file = json!({
        "command": ["cvp", "run"], "machine": m,
        "config": {"workloads": ["io_bound", "net_bound"], "strategies": ["async"], "threads": [1, 2, 4],
            "jobs": 32, "rounds": 20000, "wait_ms": 10, "repeat": 3},
        "runs": [one("io_bound", json!({"cores_busy": 0.02, "wall_s": 0.011})),
            one("net_bound", json!({"server_cpu_s": 0.00128, "server_cores_busy": 0.05, "socket_only_s": 0.0064}))],
        "one_wait": [], "verdicts": []
    });
    std::fs::write(&run, file.to_string()).unwrap();
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--run", s(&run), "--out", s(&out), "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("### io_bound vs net_bound (from `cvp run`)"), "{readme}");
    let row = "| async | 4 | 11.0 ms | 12.0 ms | 1.09x | 0.02 / 0.03 | 0.050 | 200.0 µs | 40.0 µs |";
    assert!(readme.contains(row), "{readme}");
    assert!(
        !readme.contains("(net_bound: loopback TCP)"),
        "no criterion net_bound, no net verdict: {readme}"
    );
    // The net_bound bench: the same waits as requests, a little slower; its own one-request floors.
    let ms = 1e6;
    bench(&crit, "new", "net_bound/sequential/1", 360.0 * ms, IO, &m);
    for (n, t) in [(1, 360.0), (2, 180.0), (4, 90.0)] {
        bench(&crit, "new", &format!("net_bound/threads/{n}"), t * ms, IO, &m);
        bench(&crit, "new", &format!("net_bound/async/{n}"), 12.0 * ms, IO, &m);
    }
    bench(&crit, "new", "reference/one_wait/net_bound-blocking-10ms", 11.2 * ms, (1, 10, 0), &m);
    bench(&crit, "new", "reference/one_wait/net_bound-async-10ms", 11.3 * ms, (1, 10, 0), &m);
    let o = cvp(&["report", "--criterion-dir", s(&crit), "--run", s(&run), "--out", s(&out), "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    for f in ["time_net_bound.svg", "speedup_net_bound.svg", "time_io_bound.svg"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    assert!(readme.contains("- `net_bound`: 32 jobs, wait 10 ms"), "{readme}");
    assert!(
        readme.contains("#### io_bound vs net_bound") && !readme.contains("(from `cvp run`)"),
        "{readme}"
    );
    // criterion's walls; cores busy, the service's share and the socket's overhead from the run file.
    assert!(readme.contains(row), "{readme}");
    assert!(readme.contains("| threads | 2 | 160.0 ms | 180.0 ms | 1.12x | - / - | - | - | - |"), "{readme}");
    // C1 and C3 on net_bound, each right after io_bound's; in flight over the request's own floor.
    let c1 = readme.find("| C1 concurrency works without multiple cores | **shown**").unwrap();
    let c1_net = readme
        .find("| C1 concurrency works without multiple cores (net_bound: loopback TCP) | **shown** | net_bound async on 1")
        .unwrap();
    let c2 = readme.find("| C2 ").unwrap();
    assert!(c1 < c1_net && c1_net < c2, "{readme}");
    assert!(readme.contains("(11.30 ms; nominal 10.00 ms)"), "net_bound's own floor: {readme}");
    // C3 at async's most workers needs the floor of the multi-thread runtime, which criterion does not measure.
    assert!(
        readme.contains(
            "| C3 concurrent programs are often not parallel (net_bound: loopback TCP) | **cannot be shown here** | \
             needs one async request of net_bound measured alone on the multi-thread runtime"
        ),
        "{readme}"
    );
}

/// The golden inputs: one tiny measured run, criterion's folder and every view's file, all by one build.
fn golden(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/input").join(path)
}

#[test]
fn a_run_file_from_another_build_is_refused_unless_mixed_builds_and_then_named() {
    let tmp = tempfile::tempdir().unwrap();
    let mut run: Value = serde_json::from_str(&std::fs::read_to_string(golden("run.json")).unwrap()).unwrap();
    run["machine"]["git_commit"] = json!("0123456789abcdef0123456789abcdef01234567");
    run["machine"]["rustc"] = json!("rustc 1.80.0 (old)");
    let path = tmp.path().join("other-build.json");
    std::fs::write(&path, serde_json::to_vec(&run).unwrap()).unwrap();
    let out = tmp.path().join("r");
    let crit = golden("criterion");
    let args = |extra: &[&str]| {
        let mut a =
            vec!["report", "--criterion-dir", crit.to_str().unwrap(), "--run", path.to_str().unwrap()];
        a.extend(["--out", out.to_str().unwrap()]);
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let refused = Command::new(env!("CARGO_BIN_EXE_cvp")).args(args(&[])).output().unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("commit 0123456789abcdef") && err.contains("rustc 1.80.0 (old)"),
        "names theirs: {err}"
    );
    assert!(err.contains("commit 318982f"), "names the criterion data's build: {err}");
    assert!(!out.exists(), "nothing written");
    let mixed = Command::new(env!("CARGO_BIN_EXE_cvp")).args(args(&["--mixed-builds"])).output().unwrap();
    assert!(mixed.status.success(), "{}", String::from_utf8_lossy(&mixed.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("ANOTHER BUILD, commit 0123456789abcdef"), "the README names the run's build");
    assert!(readme.contains("cores busy (`cvp run`)"), "the column from the run file is labelled");
    // A build outside git recorded no commit: nothing proves it is the criterion data's build, nor another.
    // The report takes it (it may well be the same code) but says it could not check.
    run["machine"] = serde_json::from_str::<Value>(&std::fs::read_to_string(golden("run.json")).unwrap())
        .unwrap()["machine"]
        .clone();
    run["machine"]["git_commit"] = Value::Null;
    std::fs::write(&path, serde_json::to_vec(&run).unwrap()).unwrap();
    let unchecked = Command::new(env!("CARGO_BIN_EXE_cvp")).args(args(&["--force"])).output().unwrap();
    assert!(unchecked.status.success(), "{}", String::from_utf8_lossy(&unchecked.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains("a build that cannot be checked (no commit recorded), commit unknown"),
        "the README says the build was not checked: {readme}"
    );
}

/// The one quantity `cvp run` and `cvp scale --io socket` both show (net_bound async/1's J requests in one
/// request alone): the report puts each view's value beside the other's, in the run's part and in the
/// scale section, and flags them when they are further apart than `VIEWS_AGREE` (2x).
#[test]
fn the_run_and_the_socket_scale_name_each_others_figure_and_are_flagged_beyond_2x() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out, socket, run) = (
        tmp.path().join("criterion"),
        tmp.path().join("out"),
        tmp.path().join("socket.json"),
        tmp.path().join("run.json"),
    );
    let o = cvp(&[
        "scale",
        "--io",
        "socket",
        "--jobs",
        "10",
        "--wait-ms",
        "2",
        "--strategies",
        "async",
        "--repeat",
        "1",
        "--format",
        "json",
        "--output",
        s(&socket),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let scale: Value = serde_json::from_str(&std::fs::read_to_string(&socket).unwrap()).unwrap();
    let rows = scale["rows"].as_array().unwrap();
    let async1 =
        rows.iter().find(|r| r["strategy"] == "async" && r["workers"] == 1 && r["jobs"] == 10).unwrap();
    let theirs = async1["waits"].as_f64().unwrap();
    let here: Value = serde_json::from_slice(&cvp(&["machine", "--json"]).stdout).unwrap();
    fixture_on(&crit, "new", 1.0, &here);
    let floor = 0.0021;
    let readme_with = |times: f64| {
        let wall = floor * theirs * times;
        let file = json!({
            "command": ["cvp", "run"], "machine": here,
            "config": {"workloads": ["net_bound"], "strategies": ["async"], "threads": [1], "jobs": 10,
                "rounds": 20000, "wait_ms": 2, "repeat": 6},
            "runs": [{"workload": "net_bound", "strategy": "async", "workers": 1, "jobs": 10, "wait_ms": 2,
                "rounds": 0, "wall_s": wall, "wall_min_s": wall * 0.9, "wall_max_s": wall * 1.2,
                "cpu_s": 0.0003, "speedup": 9.0, "cores_busy": 0.1, "repeats": 6, "in_flight": 8.0,
                "digest": "00"}],
            "one_wait": [{"workload": "net_bound", "wait_ms": 2, "wait": "async", "workers": 1, "wall_s": floor}],
            "verdicts": []
        });
        std::fs::write(&run, file.to_string()).unwrap();
        let o = cvp(&[
            "report",
            "--criterion-dir",
            s(&crit),
            "--run",
            s(&run),
            "--scale",
            s(&socket),
            "--out",
            s(&out),
            "--force",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out.join("README.md")).unwrap()
    };
    let quantity = "net_bound async/1, 10 requests at W = 2 ms, in one request alone: ";
    let readme = readme_with(1.5);
    let ours = format!("{:.2} (runs {:.2} to {:.2}) by `cvp run`", theirs * 1.5, theirs * 1.35, theirs * 1.8);
    let line = |readme: &str, from: &str| {
        let at = readme.find(from).unwrap_or_else(|| panic!("{from:?} in {readme}"));
        readme[at..].lines().find(|l| l.contains(quantity)).unwrap().to_string()
    };
    for from in ["### The same figure in two views", "The same figure in `cvp run`:"] {
        let l = line(&readme, from);
        assert!(l.contains(&ours) && l.contains(&format!("{theirs:.2} by `cvp scale --io socket`")), "{l}");
        assert!(l.contains("1.50x apart, within 2x") && !l.contains("**"), "{l}");
    }
    let readme = readme_with(3.0);
    for from in ["### The same figure in two views", "The same figure in `cvp run`:"] {
        assert!(line(&readme, from).contains("**3.00x apart, more than the 2x"), "{readme}");
    }
}

/// Writes `id` of `baseline` as the `server` bench does: criterion's files, and a record whose size is a
/// server's (K requests over C connections), not a workload's.
fn server_bench(dir: &Path, baseline: &str, id: &str, median_ns: f64, m: &Value) {
    bench(dir, baseline, id, median_ns, (0, 0, 0), m);
    let d = dir.join(id).join(baseline);
    let r = json!({
        "id": id, "bench": "server", "invocation": "run-server", "started_unix_s": 1_796_000_000u64, "runner": "cargo",
        "estimates_sha256": sha256(&d.join("estimates.json")),
        "size": {"requests": 640, "connections": 64, "wait_ms": 10, "rounds": 10}, "machine": m,
        "profile": "quick", "env": {"CVP_PROFILE": "quick"}, "args": ["--bench"]
    });
    std::fs::write(d.join("cvp-record.json"), r.to_string()).unwrap();
}

#[test]
fn the_server_group_is_compared_but_never_taken_for_a_workload() {
    let tmp = tempfile::tempdir().unwrap();
    let (plain, with) = (tmp.path().join("plain"), tmp.path().join("with"));
    let m = machine("Test CPU 2000", 2);
    fixture(&plain, "new", 1.0);
    for (baseline, scale) in [("new", 1.0), ("after", 0.5)] {
        fixture(&with, baseline, scale);
        server_bench(&with, baseline, "server/async/1", 111e6 * scale, &m);
        server_bench(&with, baseline, "server/async_offload/1", 117e6 * scale, &m);
    }
    // The same report, file for file, with the server group beside the workloads or without it.
    let report = |crit: &Path, out: &Path| {
        let o = cvp(&["report", "--criterion-dir", s(crit), "--out", s(out)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let (out_plain, out_with) = (tmp.path().join("out-plain"), tmp.path().join("out-with"));
    report(&plain, &out_plain);
    report(&with, &out_with);
    for file in ["verdicts.json", "scaling.csv", "machine.json"] {
        let read = |d: &Path| std::fs::read_to_string(d.join(file)).unwrap();
        assert_eq!(read(&out_plain), read(&out_with), "{file}");
    }
    let readme = |d: &Path, crit: &Path| {
        std::fs::read_to_string(d.join("README.md")).unwrap().replace(s(crit), "CRIT").replace(s(d), "OUT")
    };
    assert_eq!(readme(&out_plain, &plain), readme(&out_with, &with));
    // cvp compare shows the server's benchmarks with the others, its size no workload's.
    let o = cvp(&["compare", "new", "after", "--criterion-dir", s(&with)]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let row = text.lines().find(|l| l.starts_with("server/async/1 ")).unwrap_or_else(|| panic!("{text}"));
    assert!(row.ends_with("faster (-50.0%)"), "{text}");
    assert!(!text.contains("WARNING"), "{text}");
    // A server's size in a workload's record: that benchmark cannot be read as the workload.
    let id = "io_bound/async/2";
    server_bench(&with, "new", id, 11e6, &m);
    let o = cvp(&["report", "--criterion-dir", s(&with), "--out", s(&tmp.path().join("bad"))]);
    refused(
        &o,
        "io_bound/async/2 records 640 requests over 64 connections, wait 10 ms, 10 rounds, not a workload's size",
    );
}
