//! `cvp run --workloads net_bound` end to end, with tiny settings: the sweep starts its own service, every
//! digest agrees with io_bound's, the service's CPU time and the socket-only walls are recorded, the floors
//! that serve net_bound are its own (one request alone), and its C1, C3, C4 sit beside io_bound's.

use std::process::{Command, Output};

use serde_json::Value;

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

const TINY: [&str; 12] = [
    "--jobs",
    "6",
    "--wait-ms",
    "5",
    "--threads",
    "1,2",
    "--repeat",
    "3",
    "--strategies",
    "async,threads",
    "--workloads",
    "io_bound,net_bound",
];

#[test]
fn a_net_bound_sweep_records_the_service_and_keeps_its_floors_apart() {
    let mut args = vec!["run", "--format", "json"];
    args.extend(TINY);
    let v: Value = serde_json::from_str(&ok(&cvp(&args))).unwrap();
    let runs = v["runs"].as_array().unwrap();
    let of = |w: &'static str| runs.iter().filter(move |r| r["workload"] == w);
    // sequential + async and threads at 1 and 2 workers + async_multi/1 (C4's baseline), per workload.
    assert_eq!((of("io_bound").count(), of("net_bound").count()), (6, 6));
    let io_digest = &of("io_bound").next().unwrap()["digest"];
    for r in of("net_bound") {
        assert_eq!(&r["digest"], io_digest, "net_bound's replies are io_bound's job digests: {r}");
        let server_cpu = r["server_cpu_s"].as_f64().unwrap();
        let busy = r["server_cores_busy"].as_f64().unwrap();
        let socket = r["socket_only_s"].as_f64().unwrap();
        assert!(server_cpu > 0.0 && busy > 0.0, "the service did work for 6 requests: {r}");
        assert!(busy < 2.0, "a service that sleeps through its waits: {r}");
        assert!(socket > 0.0 && socket < r["wall_s"].as_f64().unwrap(), "W=0 beats W=5 ms: {r}");
    }
    for r in of("io_bound") {
        assert!(r.get("server_cpu_s").is_none() && r.get("socket_only_s").is_none(), "{r}");
    }
    // One request alone, per kind of wait (async also on the multi-thread runtime of async/2), serving
    // net_bound only; and the sleep floors, serving the rest.
    let floors = v["one_wait"].as_array().unwrap();
    let net: Vec<&Value> = floors.iter().filter(|f| f["workload"] == "net_bound").collect();
    let sleeps: Vec<&Value> = floors.iter().filter(|f| f["workload"].is_null()).collect();
    assert_eq!((net.len(), sleeps.len(), floors.len()), (3, 3, 6), "{floors:?}");
    for f in net.iter().chain(&sleeps) {
        assert!(f["wall_s"].as_f64().unwrap() >= 0.005, "a 5 ms wait cannot take less: {f}");
    }
    // In flight uses each workload's own floor: async/1 on net_bound divides by the request's floor.
    let net_async = |kind: &str| {
        net.iter().find(|f| f["wait"] == kind && f["workers"] == 1).unwrap()["wall_s"].as_f64().unwrap()
    };
    let a1 = of("net_bound").find(|r| r["strategy"] == "async" && r["workers"] == 1).unwrap();
    let expected = 6.0 * net_async("async") / a1["wall_s"].as_f64().unwrap();
    assert!((a1["in_flight"].as_f64().unwrap() - expected).abs() < 1e-6 * expected, "{a1}");
    let verdicts = v["verdicts"].as_array().unwrap();
    let net_claims: Vec<&str> = verdicts
        .iter()
        .filter(|v| v["statement"].as_str().unwrap().contains("net_bound: loopback TCP"))
        .map(|v| v["claim"].as_str().unwrap())
        .collect();
    assert_eq!(net_claims, ["C1", "C3", "C4"]);
    for v in verdicts.iter().filter(|v| v["statement"].as_str().unwrap().contains("net_bound")) {
        assert!(v["evidence"].as_str().unwrap().starts_with("net_bound") || v["verdict"] != "shown", "{v}");
    }
}

#[test]
fn the_table_shows_the_service_and_the_side_by_side() {
    let mut args = vec!["run", "--format", "table"];
    args.extend(TINY);
    args[10] = "1"; // one round is enough for the layout
    let table = ok(&cvp(&args));
    assert!(table.contains("server busy"), "{table}");
    assert!(table.contains("io_bound vs net_bound:") && table.contains("W=0 wall / J"), "{table}");
    args[2] = "csv";
    let csv = ok(&cvp(&args));
    let net = csv.lines().find(|l| l.starts_with("net_bound,")).unwrap();
    let cells: Vec<&str> = net.split(',').collect();
    assert_eq!(cells.len(), 30, "{net}");
    // server_cpu_s, server_cores_busy, socket_only_s; then the timed rounds and the (empty at 1 round) intervals.
    assert!(cells[16..19].iter().all(|c| !c.is_empty()), "net_bound has its service's columns: {net}");
    assert_eq!(&cells[19..24], ["1", "", "", "", ""], "one round has no 95% interval: {net}");
    // sequential uses no tokio runtime; the switches of its one round, without an interval.
    assert_eq!((cells[24], cells[25], cells[26]), ("", "", ""), "{net}");
    assert!(!cells[27].is_empty() && cells[28..].iter().all(|c| c.is_empty()), "{net}");
}

#[test]
fn net_bound_jobs_above_the_open_file_limit_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let mut cmd = Command::new("sh");
    // Soft and hard limit 128: raising the soft limit still leaves 128.
    cmd.arg("-c").arg("ulimit -n 128 && exec \"$0\" \"$@\"").arg(env!("CARGO_BIN_EXE_cvp"));
    for var in ["CVP_THREADS", "CVP_JOBS", "CVP_ROUNDS", "CVP_WAIT_MS", "CVP_PROFILE"] {
        cmd.env_remove(var);
    }
    let out = cmd
        .args(["run", "--workloads", "net_bound", "--jobs", "300", "--threads", "1", "--wait-ms", "1"])
        .args(["--strategies", "async", "--repeat", "1", "--output"])
        .arg(&output)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--jobs") && err.contains("RLIMIT_NOFILE = 128") && err.contains("300"), "{err}");
    assert!(!err.contains("Too many open files"), "refused up front, not failed midway: {err}");
    assert!(!output.exists(), "nothing written");
    // The same plan under the limit runs (the check refuses only what does not fit).
    let small = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 128 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_cvp"))
        .args(["run", "--workloads", "net_bound", "--jobs", "8", "--threads", "1", "--wait-ms", "1"])
        .args(["--strategies", "async", "--repeat", "1", "--format", "csv"])
        .output()
        .unwrap();
    assert!(small.status.success(), "{}", String::from_utf8_lossy(&small.stderr));
}
