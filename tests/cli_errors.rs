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

#[test]
fn a_stray_variable_never_changes_what_a_command_does() {
    // The old hand-over variable, with stdin that would keep a service alive: the command still runs as
    // asked (a digest, not "served 0"), and returns at once.
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["hash", "--seed", "7", "--rounds", "1000"])
        .env("CVP_SERVE_CHILD", "5")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _stdin_kept_open = child.stdin.take();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(20), "cvp hash hangs with CVP_SERVE_CHILD set");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "467faa000914398109914d301b10374c1150e40f4f17639e9dc0985db600414b"
    );
}

#[test]
fn config_lists_every_variable_cvp_reads_with_its_value() {
    let out = cvp(&["config"], &[("CVP_JOBS", "5"), ("CRITERION_HOME", "/tmp/crit-home")]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for var in cvp::config::VARIABLES.iter().chain(cvp::config::OTHER_VARIABLES.iter().map(|(v, _)| v)) {
        assert!(text.lines().any(|l| l.trim_start().starts_with(var)), "{var} missing:\n{text}");
    }
    assert!(text.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["CVP_JOBS", "5"]), "{text}");
    assert!(text.contains("/tmp/crit-home"), "{text}");
    // Every variable the sources read is in the list (a new one must be added to it).
    let listed: Vec<&str> = cvp::config::VARIABLES
        .iter()
        .copied()
        .chain(cvp::config::OTHER_VARIABLES.iter().map(|(v, _)| *v))
        .collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(env_reads(root.join("src")).contains(&"CRITERION_HOME".to_string()), "the scan finds reads");
    for dir in ["src", "benches"] {
        for var in env_reads(root.join(dir)).into_iter().filter(|v| !v.starts_with('<')) {
            assert!(listed.contains(&var.as_str()), "{var} is read in {dir}/ but not listed by `cvp config`");
        }
    }
}

/// The names in `std::env::var("NAME")` / `var_os("NAME")` calls of every .rs file under `dir`, tests
/// (`#[cfg(test)]` modules) left out.
fn env_reads(dir: std::path::PathBuf) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(env_reads(path));
            continue;
        }
        if path.extension().is_none_or(|x| x != "rs") || path.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for call in ["env::var(", "env::var_os("] {
            for part in code.split(call).skip(1) {
                match part.strip_prefix('"') {
                    Some(name) => out.push(name.split('"').next().unwrap().to_string()),
                    // A name that is not a literal: only the three reads of the listed sizing variables
                    // (config's lookup, `cvp config` printing them, the benches recording them) may do that.
                    None => {
                        let arg = part.split(')').next().unwrap();
                        let known = ["var", "k"];
                        assert!(
                            known.contains(&arg),
                            "{}: env::var({arg}): list the variable it reads",
                            path.display()
                        );
                        out.push(format!("<{arg}>"));
                    }
                }
            }
        }
    }
    out
}
