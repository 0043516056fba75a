//! `cvp scale` end to end with small J: the JSON schema, child processes that measure their own memory and
//! threads, a thread the OS refuses reported as `failed at k` with every started thread joined, bad input
//! exiting 2, and Ctrl-C leaving neither a file nor a child process behind.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

const VARS: [&str; 6] =
    ["CVP_THREADS", "CVP_JOBS", "CVP_ROUNDS", "CVP_WAIT_MS", "CVP_PROFILE", "CVP_SCALE_JOBS"];

fn cvp(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cvp"));
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd.args(args).envs(env.iter().copied()).output().expect("cvp runs")
}

/// `cvp` under `ulimit -v 6 GiB` with 1 GiB as the default thread stack (`RUST_MIN_STACK`): the fifth or so
/// thread's stack cannot be mapped, so `pthread_create` refuses it, while everything else (small
/// allocations, explicitly sized stacks) still fits. (Root is exempt from `ulimit -u`, so the address space
/// is the limit a test can set.)
fn cvp_limited(args: &[&str]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg("ulimit -v 6291456 && exec \"$0\" \"$@\"").arg(env!("CARGO_BIN_EXE_cvp"));
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd.env("RUST_MIN_STACK", (1u64 << 30).to_string());
    cmd.args(args).output().expect("sh runs")
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

#[test]
fn scale_json_has_a_row_per_structure_and_j_measured_in_its_own_process() {
    let args = [
        "scale",
        "--jobs",
        "100",
        "--wait-ms",
        "20",
        "--strategies",
        "thread_per_job,async",
        "--repeat",
        "1",
        "--format",
        "json",
    ];
    let v = json(&cvp(&args, &[]));
    for key in ["machine", "limits", "plan", "rows", "verdicts", "command"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let rows = v["rows"].as_array().unwrap();
    let labels: Vec<(String, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["strategy"].as_str().unwrap().to_string(),
                r["workers"].as_u64().unwrap(),
                r["jobs"].as_u64().unwrap(),
            )
        })
        .collect();
    let cores = v["machine"]["available_parallelism"].as_u64().unwrap();
    // 1 is always added: each structure's one-wait reference.
    let mut expected = vec![("reference".to_string(), 1, 1), ("reference".to_string(), 1, 100)];
    expected.extend([("thread_per_job".to_string(), 1, 1), ("thread_per_job".to_string(), 100, 100)]);
    for n in if cores > 1 { vec![1, cores] } else { vec![1] } {
        expected.extend([("async".to_string(), n, 1), ("async".to_string(), n, 100)]);
    }
    assert_eq!(labels, expected);
    for r in rows {
        for key in [
            "strategy",
            "workers",
            "jobs",
            "wait_ms",
            "wall_s",
            "waits",
            "overhead_us_per_wait",
            "in_flight",
            "cpu_s",
            "cores_busy",
            "peak_rss_bytes",
            "baseline_rss_bytes",
            "bytes_per_wait",
            "vm_pte_bytes",
            "peak_threads",
            "voluntary_switches",
            "involuntary_switches",
            "status",
        ] {
            assert!(r.get(key).is_some(), "missing {key} in {r}");
        }
        assert_eq!(r["status"], "ok", "{r}");
        assert!(r["wall_s"].as_f64().unwrap() >= 0.020, "a 20 ms wait cannot take less: {r}");
        assert!(r["peak_rss_bytes"].as_u64().unwrap() >= r["baseline_rss_bytes"].as_u64().unwrap(), "{r}");
    }
    let find = |s: &str, j: u64| rows.iter().find(|r| r["strategy"] == s && r["jobs"] == j).unwrap();
    let tpj = find("thread_per_job", 100);
    // The child's own sampler saw its threads: far more than the main thread alone.
    assert!(tpj["peak_threads"].as_u64().unwrap() >= 10, "{tpj}");
    // 100 thread stacks are touched: the peak is above the baseline. A memory per wait, where printed
    // (clear of the noise floor), is a few KiB, not bytes and not megabytes.
    assert!(tpj["peak_rss_bytes"].as_u64().unwrap() > tpj["baseline_rss_bytes"].as_u64().unwrap(), "{tpj}");
    if let Some(b) = tpj["bytes_per_wait"].as_f64() {
        assert!((1024.0..1048576.0).contains(&b), "{tpj}");
    }
    // 100 blocking sleeps: each one a voluntary switch.
    assert!(tpj["voluntary_switches"].as_u64().unwrap() >= 100, "{tpj}");
    // One event loop waiting in epoll blocks too: the sampler's own switches are not what is left.
    for (s, j) in [("reference", 1), ("async", 100)] {
        let r = find(s, j);
        assert!(r["voluntary_switches"].as_u64().unwrap() >= 1, "{r}");
        assert_eq!(r["peak_threads"].as_u64(), Some(1), "one event loop is one thread: {r}");
    }
    assert_eq!(find("async", 1)["waits"].as_f64(), Some(1.0), "J = 1 is its own one wait");
    assert!(find("async", 1)["bytes_per_wait"].is_null(), "J = 1 is the noise floor, not a memory per wait");
    let verdicts = v["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0]["claim"], "C8");
    assert_eq!(verdicts[0]["verdict"], "cannot be shown here", "no J >= 1000 ran");
    assert!(verdicts[0]["evidence"].as_str().unwrap().contains("1000"));
}

#[test]
fn a_refused_thread_is_reported_at_its_index_after_every_started_thread_was_joined() {
    let out = cvp_limited(&[
        "scale-child",
        "--strategy",
        "thread_per_job",
        "--workers",
        "1",
        "--jobs",
        "3000",
        "--wait-ms",
        "300",
    ]);
    let report = json(&out);
    let status = report["status"].as_str().unwrap();
    let k: usize = status
        .strip_prefix("failed at ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| panic!("not a refused thread: {status}"));
    assert!(k > 1 && k <= 3000, "{status}");
    // The threads that did start each slept 300 ms and were joined before the report.
    assert!(report["wall_s"].as_f64().unwrap() >= 0.3, "{report}");
    // The parent turns it into the row's status and goes on.
    let out = cvp_limited(&[
        "scale",
        "--strategies",
        "thread_per_job",
        "--jobs",
        "3000",
        "--wait-ms",
        "50",
        "--repeat",
        "1",
        "--format",
        "json",
    ]);
    let v = json(&out);
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["jobs"] == 3000 && r["strategy"] == "thread_per_job")
        .unwrap();
    assert!(row["status"].as_str().unwrap().starts_with("failed at "), "{row}");
    let reference = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["jobs"] == 3000 && r["strategy"] == "reference")
        .unwrap();
    assert_eq!(reference["status"], "ok");
}

#[test]
fn bad_scale_input_exits_2_naming_it() {
    for (var, value) in
        [("CVP_SCALE_JOBS", "0"), ("CVP_SCALE_JOBS", "10,,100"), ("CVP_SCALE_JOBS", "2000000")]
    {
        let out = cvp(&["scale", "--format", "json"], &[(var, value)]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {err}");
        assert!(err.contains(var) && err.contains("accepted"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
    for args in [
        vec!["scale", "--jobs", "0"],
        vec!["scale", "--jobs", "10,10"],
        vec!["scale", "--budget-s", "-1"],
        vec!["scale", "--repeat", "0"],
        vec!["scale", "--strategies", "async,async"],
        vec!["scale", "--wait-ms", "0"],
    ] {
        let out = cvp(&args, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Child processes of `cvp scale` whose command line holds `--wait-ms <marker>`.
fn children_with(marker: &str) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| c.split(|&b| b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>())
        .filter(|args| {
            args.iter().any(|a| a == "scale-child")
                && args.windows(2).any(|w| w[0] == "--wait-ms" && w[1] == marker)
        })
        .count()
}

#[test]
fn ctrl_c_leaves_no_file_and_no_child() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("scale.json");
    // 997 ms waits: long enough to be interrupted mid-child, and a marker no other test uses.
    let child = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args([
            "scale",
            "--jobs",
            "1,10",
            "--wait-ms",
            "997",
            "--strategies",
            "async",
            "--format",
            "json",
            "--output",
        ])
        .arg(&target)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while children_with("997") == 0 && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(children_with("997") > 0, "a child process was started");
    // SAFETY: sending SIGINT to a child we spawned and have not yet reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let t1 = Instant::now();
    while children_with("997") > 0 && t1.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(children_with("997"), 0, "the child died with its parent");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no output and no temporary file");
}

/// `cvp scale` under `ulimit -n 300` (soft and hard): the raised limit is still 300.
fn cvp_few_files(args: &[&str]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg("ulimit -n 300 && exec \"$0\" \"$@\"").arg(env!("CARGO_BIN_EXE_cvp"));
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd.args(args).output().expect("sh runs")
}

#[test]
fn a_socket_j_above_the_open_file_limit_is_skipped_naming_it_and_the_rest_runs() {
    let out = cvp_few_files(&[
        "scale",
        "--io",
        "socket",
        "--jobs",
        "10,1000",
        "--wait-ms",
        "2",
        "--strategies",
        "thread_per_job,async",
        "--repeat",
        "1",
        "--format",
        "json",
    ]);
    let v = json(&out);
    assert_eq!(v["plan"]["io"], "socket");
    assert_eq!(v["limits"]["rlimit_nofile"], 300);
    let rows = v["rows"].as_array().unwrap();
    assert!(
        rows.iter().any(|r| r["strategy"] == "reference" && r["jobs"] == 10 && r["status"] == "ok"),
        "sockets have a reference row, measured like the others"
    );
    for r in rows {
        let status = r["status"].as_str().unwrap();
        if r["jobs"] == 1000 {
            assert!(status.starts_with("skipped: 1000 connections exceed"), "{r}");
            assert!(status.contains("RLIMIT_NOFILE = 300"), "{r}");
            assert!(r["wall_s"].is_null() && r["server_cpu_s"].is_null(), "{r}");
        } else {
            assert_eq!(status, "ok", "{r}");
            // The service's CPU is its own, read around the child: something per request, and the client's
            // CPU is measured apart from it.
            assert!(r["server_cpu_s"].as_f64().unwrap() > 0.0, "{r}");
            let per = r["server_us_per_request"].as_f64().unwrap();
            assert!(per > 0.0 && per < 1e6, "{r}");
            assert!(r["wall_s"].as_f64().unwrap() >= 0.002, "{r}");
        }
    }
    let tpj = rows.iter().find(|r| r["strategy"] == "thread_per_job" && r["jobs"] == 10).unwrap();
    assert!(tpj["peak_threads"].as_u64().unwrap() >= 2, "{tpj}");
    let verdict = &v["verdicts"][0];
    assert_eq!(verdict["claim"], "C8");
    assert!(verdict["statement"].as_str().unwrap().contains("net_bound: loopback TCP"), "{verdict}");
    assert_eq!(verdict["verdict"], "cannot be shown here");
    assert!(verdict["evidence"].as_str().unwrap().contains("RLIMIT_NOFILE"), "{verdict}");
    // The table says it too, and the goal line says why it was not judged.
    let out = cvp_few_files(&[
        "scale",
        "--io",
        "socket",
        "--jobs",
        "1000",
        "--wait-ms",
        "2",
        "--strategies",
        "async",
        "--repeat",
        "1",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("server µs/req") && table.contains("RLIMIT_NOFILE = 300"), "{table}");
    assert!(table.contains("goal: net_bound async/1") && table.contains("not judged"), "{table}");
}

#[test]
fn a_bad_io_exits_2_naming_the_flag_and_what_is_accepted() {
    let out = cvp(&["scale", "--io", "pipe"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--io") && err.contains("accepted: sleep, socket"), "{err}");
    assert!(!err.contains("panicked") && out.stdout.is_empty(), "{err}");
}

/// Processes started as the service: command line `<exe> __cvp-serve-child <marker> <connections>` (the
/// wait in ms).
fn services_with(marker: &str) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| c.split(|&b| b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>())
        .filter(|args| {
            args.get(1..3) == Some(&[cvp::workload::net::CHILD_ARG.to_string(), marker.to_string()])
        })
        .count()
}

#[test]
fn ctrl_c_during_a_socket_scale_leaves_no_service_no_child_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("scale.json");
    // 991 ms waits: a marker no other test uses, and long enough to be interrupted mid-child.
    let child = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["scale", "--io", "socket", "--jobs", "1,10", "--wait-ms", "991", "--strategies", "async"])
        .args(["--format", "json", "--output"])
        .arg(&target)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while children_with("991") == 0 && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(children_with("991") > 0, "a child process was started");
    assert_eq!(services_with("991"), 1, "one service for the whole run");
    // SAFETY: sending SIGINT to a child we spawned and have not yet reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let t1 = Instant::now();
    while (children_with("991") > 0 || services_with("991") > 0) && t1.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(children_with("991"), 0, "the child died with its parent");
    assert_eq!(services_with("991"), 0, "the service stopped when its parent's end of stdin closed");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no output and no temporary file");
}
