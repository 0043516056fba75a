//! Golden files: what every command prints and writes for fixed inputs, byte for byte, so that a change to the
//! code shows exactly what it changes in the output (and a move that should change nothing, changes nothing).
//!
//! The inputs in `tests/golden/input/` are one tiny measured run of this suite, kept as they were measured: a
//! criterion folder (only the files `cvp report` reads: `benchmark.json`, `estimates.json`, `cvp-record.json`),
//! and the JSON of `cvp run`, `cvp scale` (sleeps and sockets), `cvp latency` and three `cvp trace` passes,
//! all at the same sizes on the same machine (`tests/golden/README.md` has the commands). The outputs in
//! `tests/golden/expected/` were written by this test with `CVP_GOLDEN_BLESS=1`; without it the test compares.
//!
//! What is measured afresh on every run (`cvp run`, `scale`, `latency`, `trace`) cannot be compared byte for
//! byte: for those the golden file is the JSON's shape (every key path), which
//! still fails on a renamed, dropped or added field. Only three things are masked in any output: the path of
//! the `cvp` executable, the temporary output folder, and the line naming the machine and build that made
//! the report (the one thing that must differ between builds and hosts).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// `CVP_GOLDEN_BLESS=1` rewrites the golden files instead of comparing; never under CI, where a rewrite
/// would turn every comparison into a pass.
fn bless() -> bool {
    let bless = std::env::var("CVP_GOLDEN_BLESS").is_ok_and(|v| v == "1");
    assert!(
        !(bless && std::env::var_os("CI").is_some()),
        "CVP_GOLDEN_BLESS=1 under CI would compare nothing"
    );
    bless
}

/// Runs `cvp` in `tests/golden` (so input paths stay relative and the same on every checkout), with no `CVP_*`
/// variable from the caller's environment; returns its exit status, stdout and stderr, masked.
fn cvp(args: &[&str], out: &Path) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cvp"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CVP_") || k == "CRITERION_HOME" {
            cmd.env_remove(k);
        }
    }
    let o = cmd.current_dir(golden()).args(args).output().expect("cvp runs");
    let text = format!(
        "$ cvp {}\nstatus: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        o.status.code().map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    mask(&text, out)
}

fn mask(text: &str, out: &Path) -> String {
    let exe = env!("CARGO_BIN_EXE_cvp");
    let text = text.replace(exe, "cvp").replace(out.to_str().unwrap(), "OUT");
    let mut masked = String::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("Reported on: ") {
            masked.push_str("Reported on: (masked: the reporting host and build)\n");
        } else {
            masked.push_str(line);
        }
    }
    masked
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Compares (or, blessing, writes) the actual files against `expected/<case>/`; returns the differences.
fn check(case: &str, actual: &[(PathBuf, String)], failures: &mut Vec<String>) {
    let dir = golden().join("expected").join(case);
    if bless() {
        let _ = std::fs::remove_dir_all(&dir);
        for (name, text) in actual {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        return;
    }
    let expected: BTreeSet<PathBuf> =
        if dir.is_dir() { files(&dir).into_iter().collect() } else { BTreeSet::new() };
    let got: BTreeSet<PathBuf> = actual.iter().map(|(n, _)| n.clone()).collect();
    for missing in expected.difference(&got) {
        failures.push(format!("{case}: {} is no longer written", missing.display()));
    }
    for (name, text) in actual {
        let Ok(want) = std::fs::read_to_string(dir.join(name)) else {
            failures.push(format!("{case}: {} is new (no golden file)", name.display()));
            continue;
        };
        if &want != text {
            let line = want
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(want.lines().count().min(text.lines().count()));
            let show = |s: &str| {
                s.lines().nth(line).unwrap_or("(end of file)").chars().take(300).collect::<String>()
            };
            failures.push(format!(
                "{case}: {} differs from line {}:\n  golden: {}\n  now:    {}",
                name.display(),
                line + 1,
                show(&want),
                show(text)
            ));
        }
    }
}

/// A command's masked transcript plus every file it wrote into `out`, masked.
fn transcript_and_folder(args: &[&str], out: &Path) -> Vec<(PathBuf, String)> {
    let mut actual = vec![(PathBuf::from("transcript.txt"), cvp(args, out))];
    if out.is_dir() {
        // The HTML page is the README and these files again, as a page (inlined plots, embedded data): its
        // structure is checked by tests/pages.rs, not byte for byte here.
        for f in files(out).into_iter().filter(|f| f != Path::new("index.html")) {
            let bytes = std::fs::read(out.join(&f)).unwrap();
            let text = String::from_utf8(bytes).expect("every output file is text");
            actual.push((PathBuf::from("files").join(&f), mask(&text, out)));
        }
    }
    actual
}

const INPUTS: &[&str] = &[
    "--criterion-dir",
    "input/criterion",
    "--run",
    "input/run.json",
    "--scale",
    "input/scale.json",
    "--scale",
    "input/scale_socket.json",
    "--latency",
    "input/latency.json",
    "--trace",
    "input/trace-mixed.json",
    "--trace",
    "input/trace-cpu_bound-1cpu.json",
    "--trace",
    "input/trace-net_bound.json",
];

#[test]
fn reports_compares_help_and_errors_are_byte_for_byte_the_golden_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();

    // cvp report: criterion's folder alone, then with every view's file.
    let alone = tmp.path().join("alone");
    let args = ["report", "--criterion-dir", "input/criterion", "--out", alone.to_str().unwrap()];
    check("report-criterion-only", &transcript_and_folder(&args, &alone), &mut failures);
    let all = tmp.path().join("all");
    let mut args: Vec<&str> = vec!["report"];
    args.extend_from_slice(INPUTS);
    args.extend(["--out", all.to_str().unwrap()]);
    check("report-every-view", &transcript_and_folder(&args, &all), &mut failures);

    // cvp compare: two baselines, two results folders (one of them the committed 2-core record).
    let none = tmp.path().join("none");
    let mut compare = Vec::new();
    for (name, args) in [
        ("baselines", vec!["compare", "--criterion-dir", "input/criterion", "base", "new"]),
        ("folders", vec!["compare", alone.to_str().unwrap(), all.to_str().unwrap()]),
        ("record-vs-tiny", vec!["compare", "../../results/amd-epyc-2c/2026-11-27", all.to_str().unwrap()]),
    ] {
        let text =
            cvp(&args, &none).replace(alone.to_str().unwrap(), "ALONE").replace(all.to_str().unwrap(), "ALL");
        compare.push((PathBuf::from(format!("{name}.txt")), text));
    }
    check("compare", &compare, &mut failures);

    // Every command's help, where the texts live that explain each view.
    let mut help = Vec::new();
    for cmd in [
        "", "hash", "machine", "config", "run", "latency", "trace", "report", "compare", "scale", "serve",
        "server",
    ] {
        let args: Vec<&str> = if cmd.is_empty() { vec!["--help"] } else { vec![cmd, "--help"] };
        let name = if cmd.is_empty() { "cvp" } else { cmd };
        help.push((PathBuf::from(format!("{name}.txt")), cvp(&args, &none)));
    }
    check("help", &help, &mut failures);

    // Bad input: the message and the status, with nothing written.
    let bad_out = tmp.path().join("bad");
    let bad = bad_out.to_str().unwrap();
    let mut errors = Vec::new();
    for (name, args) in [
        ("run-threads-0", vec!["run", "--threads", "0"]),
        ("run-unknown-strategy", vec!["run", "--strategies", "fibers"]),
        ("scale-jobs-0", vec!["scale", "--jobs", "0"]),
        ("latency-cores-3", vec!["latency", "--cores", "3"]),
        ("trace-workers-0", vec!["trace", "--workers", "0", "--out", bad]),
        (
            "report-missing-run",
            vec!["report", "--criterion-dir", "input/criterion", "--run", "input/none.json", "--out", bad],
        ),
        ("report-no-criterion", vec!["report", "--criterion-dir", "input/none", "--out", bad]),
        (
            "report-latency-as-run",
            vec!["report", "--criterion-dir", "input/criterion", "--run", "input/latency.json", "--out", bad],
        ),
        (
            "report-scale-as-latency",
            vec![
                "report",
                "--criterion-dir",
                "input/criterion",
                "--latency",
                "input/scale.json",
                "--out",
                bad,
            ],
        ),
        ("compare-unknown-baseline", vec!["compare", "--criterion-dir", "input/criterion", "new", "nope"]),
        ("hash-bad-rounds", vec!["hash", "--seed", "1", "--rounds", "0"]),
        ("server-unknown-structure", vec!["server", "--serve", "fibers"]),
        ("server-workers-twice", vec!["server", "--serve", "threads/2", "--workers", "3"]),
    ] {
        errors.push((PathBuf::from(format!("{name}.txt")), cvp(&args, &bad_out)));
        assert!(!bad_out.exists(), "{name} wrote {bad}");
    }
    check("errors", &errors, &mut failures);

    assert!(
        failures.is_empty(),
        "{} golden difference(s); if the change is intended, rerun with CVP_GOLDEN_BLESS=1 and commit the diff:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What the measuring commands print (`--format table` and `csv`), rendered by the library from the fixed
/// rows in `input/`: the same functions the commands call after measuring.
#[test]
fn tables_and_csv_of_the_measuring_commands_are_the_golden_ones() {
    use cvp::views::{latency, scale, scaling, trace};
    let input = golden().join("input");
    let json = |name: &str| std::fs::read_to_string(input.join(name)).unwrap();
    let mut actual = Vec::new();
    let run = scaling::read_run_file(&input.join("run.json")).unwrap();
    let pairs = scaling::NetPairs::of_runs(&run.runs);
    actual.push(("run-table.txt", scaling::render::run_table(&run, &pairs)));
    actual.push(("run.csv", scaling::render::run_csv(&run.runs)));
    for name in ["scale.json", "scale_socket.json"] {
        let file: scale::ScaleFile = serde_json::from_str(&json(name)).unwrap();
        actual.push((
            if name == "scale.json" { "scale-table.txt" } else { "scale-socket-table.txt" },
            scale::table(&file),
        ));
        actual.push((
            if name == "scale.json" { "scale.csv" } else { "scale-socket.csv" },
            scale::csv(&file.rows),
        ));
    }
    let mut file: latency::LatencyFile = serde_json::from_str(&json("latency.json")).unwrap();
    latency::judge_file(&mut file);
    actual.push(("latency-table.txt", latency::table(&file)));
    actual.push(("latency.csv", latency::csv(&file)));
    for name in ["trace-mixed.json", "trace-cpu_bound-1cpu.json", "trace-net_bound.json"] {
        let (file, _) = trace::read(&input.join(name)).unwrap();
        actual.push((name, trace::table(&file)));
    }
    let actual: Vec<(PathBuf, String)> =
        actual.into_iter().map(|(n, t)| (PathBuf::from(n.replace(".json", "-table.txt")), t)).collect();
    let mut failures = Vec::new();
    check("tables", &actual, &mut failures);
    assert!(
        failures.is_empty(),
        "{} golden difference(s); if the change is intended, rerun with CVP_GOLDEN_BLESS=1 and commit the diff:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The shape of a JSON document: one line per key path (objects in arrays merged as `[]`), sorted. Types are left
/// out: a measured value may be a number in one run and null in the next (nothing measured there).
fn shape(v: &Value) -> String {
    fn walk(v: &Value, path: &str, out: &mut BTreeSet<String>) {
        out.insert(path.to_string());
        match v {
            Value::Array(items) => {
                items.iter().filter(|i| i.is_object()).for_each(|i| walk(i, &format!("{path}[]"), out))
            }
            Value::Object(map) => map.iter().for_each(|(k, i)| walk(i, &format!("{path}.{k}"), out)),
            _ => {}
        }
    }
    let mut paths = BTreeSet::new();
    walk(v, "", &mut paths);
    paths.iter().map(|p| format!("{p}\n")).collect()
}

#[test]
fn measured_json_keeps_the_golden_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let mut failures = Vec::new();
    let mut shapes = Vec::new();
    let run = |name: &str, args: &[&str]| -> Value {
        let path = out.join(name);
        let mut full = args.to_vec();
        full.extend(["--format", "json", "--output", path.to_str().unwrap()]);
        let t = cvp(&full, out);
        assert!(t.contains("status: 0\n"), "{t}");
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    let small = ["--threads", "1,2", "--jobs", "4", "--rounds", "100", "--wait-ms", "2", "--repeat", "3"];
    let mut args = vec!["run"];
    args.extend(small);
    shapes.push(("run.json", run("run.json", &args)));
    let mut args = vec!["run", "--workloads", "net_bound", "--strategies", "sequential,async"];
    args.extend(small);
    shapes.push(("run-net_bound.json", run("run-net.json", &args)));
    shapes.push((
        "scale.json",
        run("scale.json", &["scale", "--jobs", "1,10", "--wait-ms", "2", "--repeat", "1"]),
    ));
    shapes.push((
        "scale-socket.json",
        run(
            "scale-socket.json",
            &["scale", "--io", "socket", "--jobs", "1,10", "--wait-ms", "2", "--repeat", "1"],
        ),
    ));
    shapes.push(("latency.json", run("latency.json", &["latency", "--jobs", "4", "--job-ms", "20"])));
    for (name, extra) in [
        ("trace.json", vec![]),
        (
            "trace-1cpu.json",
            vec!["--workload", "cpu_bound", "--workers", "2", "--cores", "1", "--wait-ms", "20"],
        ),
        ("trace-net.json", vec!["--workload", "net_bound"]),
    ] {
        let dir = out.join(name.trim_end_matches(".json"));
        let mut args = vec!["trace", "--jobs", "4", "--out", dir.to_str().unwrap()];
        args.extend(extra);
        let t = cvp(&args, out);
        assert!(t.contains("status: 0\n"), "{t}");
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("trace.json")).unwrap()).unwrap();
        shapes.push((name, v));
    }
    let actual: Vec<(PathBuf, String)> =
        shapes.iter().map(|(n, v)| (PathBuf::from(format!("{n}.shape")), shape(v))).collect();
    check("measured-shapes", &actual, &mut failures);
    assert!(
        failures.is_empty(),
        "{} golden difference(s); if the change is intended, rerun with CVP_GOLDEN_BLESS=1 and commit the diff:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
