//! Bad input ends `cvp` with exit status 2 and one clear line naming what was wrong, before anything runs;
//! Ctrl-C stops a run with a short message and leaves no file behind.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn cvp(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cvp"));
    cmd.args(args);
    for var in ["CVP_THREADS", "CVP_JOBS", "CVP_ROUNDS", "CVP_WAIT_MS", "CVP_PROFILE"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("cvp runs")
}

#[test]
fn bad_variables_exit_2_with_one_line_naming_variable_value_and_what_is_accepted() {
    let cases = [
        ("CVP_THREADS", "1,,2"),
        ("CVP_THREADS", "0"),
        ("CVP_THREADS", "-1"),
        ("CVP_THREADS", "2.5"),
        ("CVP_THREADS", "1,1"),
        ("CVP_THREADS", "100000"),
        ("CVP_THREADS", ""),
        ("CVP_JOBS", "18446744073709551616"),
        ("CVP_ROUNDS", "ten"),
        ("CVP_WAIT_MS", "0"),
        ("CVP_PROFILE", "turbo"),
    ];
    for (var, value) in cases {
        let started = Instant::now();
        let out = cvp(&["run", "--format", "json"], &[(var, value)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{var}={value}: {stderr}");
        assert!(stderr.contains(var) && stderr.contains(&format!("{value:?}")), "{stderr}");
        assert!(stderr.contains("accepted"), "{stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing measured, nothing printed");
        assert!(started.elapsed() < Duration::from_secs(5), "it failed before measuring");
    }
}

#[test]
fn bad_flags_exit_2_with_clap_errors() {
    for args in [
        vec!["run", "--threads", "0"],
        vec!["run", "--jobs", "-3"],
        vec!["run", "--workloads", "disk_bound"],
        vec!["run", "--strategies", "fibers"],
        vec!["run", "--format", "xml"],
        vec!["run", "--repeat", "0"],
        vec!["hash", "--seed", "x", "--rounds", "1"],
        vec!["frobnicate"],
    ] {
        let out = cvp(&args, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let out = cvp(&["run", "--threads", "4,4"], &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("listed twice"));
}

#[test]
fn ctrl_c_stops_promptly_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run.json");
    let child = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["run", "--format", "json", "--output"])
        .arg(&target)
        .env("CVP_WAIT_MS", "200")
        .env("CVP_JOBS", "50")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: sending SIGINT to a child we spawned and have not yet reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let sent = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(sent.elapsed() < Duration::from_secs(3), "stopped promptly");
    assert_eq!(out.status.code(), Some(130));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no output and no temporary file");
}

#[test]
fn a_flag_error_says_the_problem_once() {
    let out = cvp(&["run", "--threads", "0"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(err.matches("--threads").count(), 1, "{err}");
    assert!(err.contains("0 is not allowed") && err.contains("accepted"), "{err}");
}

#[test]
fn a_flag_overrides_a_bad_variable_of_the_same_meaning() {
    let tiny = ["--workloads", "io_bound", "--strategies", "async", "--wait-ms", "1", "--repeat", "1"];
    let mut args = vec!["run", "--format", "csv", "--threads", "1", "--jobs", "2"];
    args.extend(tiny);
    let out = cvp(&args, &[("CVP_THREADS", "bad"), ("CVP_JOBS", "0")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Without the flag, the same bad variable stops the run.
    let mut args = vec!["run", "--format", "csv", "--jobs", "2"];
    args.extend(tiny);
    let out = cvp(&args, &[("CVP_THREADS", "bad")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CVP_THREADS"));
}

#[test]
fn an_id_listed_twice_is_refused_like_a_worker_count_listed_twice() {
    for (flag, value) in [("--workloads", "io_bound,io_bound"), ("--strategies", "async,rayon,async")] {
        let out = cvp(&["run", flag, value], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(flag) && err.contains("listed twice"), "{err}");
    }
}
