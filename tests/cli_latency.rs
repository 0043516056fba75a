//! `cvp latency` end to end with a tiny batch: the JSON schema, every request served, one-core rows that
//! really ran on one CPU (the affinity read inside the run), bad flags refused with exit 2 before anything
//! runs, and `cvp report --latency` adding its section (and refusing one from another machine).

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn cvp(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cvp"));
    for var in ["CVP_THREADS", "CVP_JOBS", "CVP_ROUNDS", "CVP_WAIT_MS", "CVP_PROFILE"] {
        cmd.env_remove(var);
    }
    cmd.args(args).output().expect("cvp runs")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A batch of 4 jobs of about 2 ms: well under a second per run.
const TINY: [&str; 6] = ["--jobs", "4", "--job-ms", "2", "--interval-ms", "1"];

fn latency_json(extra: &[&str]) -> Value {
    let mut args = vec!["latency", "--format", "json"];
    args.extend(TINY);
    args.extend(extra);
    serde_json::from_str(&ok(&cvp(&args))).unwrap()
}

#[test]
fn one_structure_end_to_end_has_the_schema_and_serves_every_request() {
    let v = latency_json(&["--structures", "threads", "--workers", "2", "--cores", "all"]);
    for key in ["machine", "job_ms", "rounds", "interval_ms", "rows", "floor", "verdicts", "notes"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["job_ms"], 2);
    assert!(v["rounds"].as_u64().unwrap() > 0);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    for key in [
        "structure",
        "workers",
        "cores",
        "sent",
        "served",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "p999_ms",
        "max_ms",
        "batch_s",
        "slowdown",
        "involuntary_switches",
        "client_late_ms",
    ] {
        assert!(r.get(key).is_some(), "row misses {key}: {r}");
    }
    assert_eq!(r["structure"], "threads");
    assert_eq!(r["workers"], 2);
    assert!(r["sent"].as_u64().unwrap() >= 1);
    assert_eq!(r["sent"], r["served"], "open loop, and every request served");
    let p = |k: &str| r[k].as_f64().unwrap();
    assert!(p("p50_ms") <= p("p90_ms") && p("p90_ms") <= p("p99_ms") && p("p99_ms") <= p("max_ms"));
    assert!(p("batch_s") > 0.0 && p("slowdown") > 0.0);
    assert!(r["p999_ms"].is_null(), "fewer than 1000 requests: no p99.9, {r}");
    assert_eq!(v["floor"].as_array().unwrap().len(), 1);
    assert_eq!(v["floor"][0]["served"], v["floor"][0]["sent"]);
    assert!(v["floor"][0]["sent"].as_u64().unwrap() >= 300, "the floor sends for 400 ms");
    let c7 = &v["verdicts"][0];
    assert_eq!(c7["claim"], "C7");
    assert_eq!(c7["verdict"], "cannot be shown here", "no one-core rows: {c7}");
    // The table and CSV say the same rows.
    let mut args = vec!["latency", "--format", "csv", "--structures", "sequential", "--cores", "all"];
    args.extend(TINY);
    let csv = ok(&cvp(&args));
    assert!(csv.starts_with("kind,setting,cores,structure,workers,sent,served,p50_ms"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "header, one row, one floor row: {csv}");
}

#[test]
fn one_core_rows_really_run_on_one_cpu() {
    let v = latency_json(&["--structures", "threads,async_offload", "--workers", "2", "--cores", "both"]);
    let usable = v["machine"]["available_parallelism"].as_u64().unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "2 structures x 2 settings");
    // All-core rows first: pinning is inherited and never undone.
    let settings: Vec<&str> = rows.iter().map(|r| r["setting"].as_str().unwrap()).collect();
    assert_eq!(settings, ["all", "all", "1", "1"]);
    // A floor per core setting, each measured in it.
    let floor: Vec<(&str, u64)> = v["floor"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["setting"].as_str().unwrap(), f["cores"].as_u64().unwrap()))
        .collect();
    // All cores: every CPU but the client's where there are >= 3, every CPU where not.
    let all = if usable >= 3 { usable - 1 } else { usable };
    assert_eq!(floor, [("all", all), ("all", all), ("1", 1), ("1", 1)]);
    let cpus = |r: &serde_json::Value, k: &str| -> Vec<u64> {
        r[k].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).collect()
    };
    for r in rows {
        let cores = r["cores"].as_u64().unwrap();
        let (server, client) = (cpus(r, "server_cpus"), cpus(r, "client_cpus"));
        assert_eq!(server.len() as u64, cores, "the server ran on the CPUs it was given: {r}");
        let one = r["setting"].as_str().unwrap() == "1";
        match one {
            true => assert_eq!(cores, 1, "a one-core row could use {cores} CPUs: {r}"),
            false => assert_eq!(cores, all, "{r}"),
        }
        // The client on a CPU the server never had, wherever one is left over.
        let apart = client.iter().all(|c| !server.contains(c));
        assert_eq!(apart, if one { usable >= 2 } else { usable >= 3 }, "{r}");
    }
    // One-core rows run 6 times, their p99 the median of the runs' p99s.
    assert!(
        rows.iter().filter(|r| r["setting"] == "1").all(|r| r["p99_runs_ms"].as_array().unwrap().len() == 6)
    );
    // --cores 1 alone pins before everything, the floor included.
    let v = latency_json(&["--structures", "async", "--workers", "1", "--cores", "1"]);
    assert_eq!(v["rows"][0]["cores"], 1);
    assert_eq!(v["floor"][0]["cores"], 1);
    assert_eq!(v["rows"][0]["setting"], "1");
}

#[test]
fn bad_flags_exit_2_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/folder/lat.json");
    for (args, needle) in [
        (vec!["--cores", "3"], "--cores"),
        (vec!["--workers", "0"], "--workers"),
        (vec!["--workers", "1,1"], "--workers"),
        (vec!["--jobs", "0"], "--jobs"),
        (vec!["--job-ms", "0"], "--job-ms"),
        (vec!["--job-ms", "1001"], "--job-ms"),
        (vec!["--interval-ms", "0"], "--interval-ms"),
        (vec!["--interval-ms", "x"], "--interval-ms"),
        (vec!["--structures", "fibers"], "--structures"),
        (vec!["--structures", "async,async"], "--structures"),
        (vec!["--format", "xml"], "--format"),
        (vec!["--output", missing.to_str().unwrap()], "--output"),
    ] {
        let mut all = vec!["latency"];
        all.extend(&args);
        let started = std::time::Instant::now();
        let out = cvp(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{args:?} failed before measuring");
    }
}

fn sha256(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// One criterion benchmark (`cpu_bound/sequential/1`) with the record the benches write, measured on `m`.
fn criterion_fixture(dir: &Path, m: &Value) {
    let id = "cpu_bound/sequential/1";
    let d = dir.join(id).join("new");
    std::fs::create_dir_all(&d).unwrap();
    let b = json!({"group_id": "cpu_bound", "function_id": "sequential", "value_str": "1", "throughput": null,
        "full_id": id, "directory_name": id, "title": id});
    std::fs::write(d.join("benchmark.json"), b.to_string()).unwrap();
    let est = |p: f64| {
        json!({"confidence_interval": {"confidence_level": 0.95, "lower_bound": p * 0.99, "upper_bound": p * 1.01},
            "point_estimate": p, "standard_error": 1.0})
    };
    let e = json!({"mean": est(1.6e8), "median": est(1.6e8), "median_abs_dev": est(1.0), "slope": null,
        "std_dev": est(1.0)});
    std::fs::write(d.join("estimates.json"), e.to_string()).unwrap();
    let r = json!({
        "id": id, "bench": "cpu_bound", "invocation": "run-cpu_bound", "started_unix_s": 1_796_000_000u64,
        "runner": "cargo", "estimates_sha256": sha256(&d.join("estimates.json")),
        "size": {"jobs": 128, "wait_ms": 0, "rounds": 20000}, "machine": m, "profile": "quick",
        "env": {"CVP_PROFILE": "quick"}, "args": ["--bench"]
    });
    std::fs::write(d.join("cvp-record.json"), r.to_string()).unwrap();
}

#[test]
fn report_adds_the_latency_section_from_the_same_machine_only() {
    let dir = tempfile::tempdir().unwrap();
    let lat = latency_json(&["--structures", "async_yield", "--workers", "1", "--cores", "both"]);
    let lat_path = dir.path().join("lat.json");
    std::fs::write(&lat_path, lat.to_string()).unwrap();
    let crit = dir.path().join("criterion");
    criterion_fixture(&crit, &lat["machine"]);
    let out = dir.path().join("out");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    ok(&cvp(&["report", "--criterion-dir", &s(&crit), "--latency", &s(&lat_path), "--out", &s(&out)]));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("## Latency"), "{readme}");
    assert!(readme.contains("| 1 (1) | async_yield | 1 |"), "{readme}");
    assert!(readme.contains("C7"), "the verdict joins the table");
    for f in
        ["latency_percentiles.svg", "latency_percentiles_one_core.svg", "latency_percentiles_all_cores.svg"]
    {
        let svg = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(svg.contains("<svg") && svg.contains("async_yield/1"), "{f}");
    }
    // Measured on another machine: refused, nothing written.
    let mut other = lat.clone();
    other["machine"]["cpu_model"] = json!("Some Other CPU");
    std::fs::write(&lat_path, other.to_string()).unwrap();
    let out2 = dir.path().join("out2");
    let o = cvp(&["report", "--criterion-dir", &s(&crit), "--latency", &s(&lat_path), "--out", &s(&out2)]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("lat.json"));
    assert!(!out2.exists());
    // Not a latency file: exit 2, naming it.
    std::fs::write(&lat_path, "{}").unwrap();
    let o = cvp(&["report", "--criterion-dir", &s(&crit), "--latency", &s(&lat_path), "--out", &s(&out2)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cvp latency"));
}
