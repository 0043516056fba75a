//! `cvp trace` records what really ran: consistent intervals, one lane per OS thread that did job work, the
//! lanes each strategy must have, a Chrome trace with the fields Perfetto needs, every hash on its own
//! thread's track and no overlapping events on a track, a well-formed SVG with one panel per pass, and
//! `async` on one worker starting every wait at once on one lane.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use cvp::StrategyKind;
use cvp::strategy::Phase;
use cvp::views::trace::{self, Pass, Plan, TraceFile};
use cvp::workload::WorkloadKind;

const JOBS: usize = 4;
const WORKERS: usize = 2;

fn traced() -> TraceFile {
    let plan = Plan {
        workload: WorkloadKind::Mixed,
        jobs: JOBS,
        workers: WORKERS,
        strategies: StrategyKind::ALL.to_vec(),
        wait_ms: 5,
        // A few ms of hashing per job: long enough for both hashing threads of async_offload to take one.
        rounds: Some(10_000),
        one_core: false,
        async_on_one: true,
    };
    trace::run(&plan, vec!["test".into()], |_| {}).expect("every strategy traces")
}

fn pass(file: &TraceFile, s: StrategyKind) -> &Pass {
    file.passes.iter().find(|p| p.strategy == s).expect("a pass per strategy")
}

fn pass_on(file: &TraceFile, s: StrategyKind, workers: usize) -> &Pass {
    file.passes.iter().find(|p| p.strategy == s && p.workers == workers).expect("the pass")
}

fn threads_of(p: &Pass, phase: Phase) -> BTreeSet<String> {
    p.intervals.iter().filter(|i| i.phase == phase).map(|i| i.thread.clone()).collect()
}

#[test]
fn intervals_lanes_json_and_svg() {
    let file = traced();
    // Every strategy, and async once more on one worker, right after async on WORKERS.
    let passes = StrategyKind::ALL.len() + 1;
    assert_eq!(file.passes.len(), passes);
    let order: Vec<(StrategyKind, usize)> = file.passes.iter().map(|p| (p.strategy, p.workers)).collect();
    let at = order.iter().position(|&x| x == (StrategyKind::Async, WORKERS)).unwrap();
    assert_eq!(order[at + 1], (StrategyKind::Async, 1));

    for p in &file.passes {
        let wall_ns = (p.wall_s * 1e9) as u64;
        // Every job has exactly one wait and one hash, the wait first, both inside the pass.
        for job in 0..JOBS as u64 {
            let of = |ph| p.intervals.iter().filter(|i| i.job == job && i.phase == ph).collect::<Vec<_>>();
            let (w, h) = (of(Phase::Wait), of(Phase::Hash));
            assert_eq!((w.len(), h.len()), (1, 1), "{}: job {job}", p.strategy);
            assert!(
                w[0].start_ns <= w[0].end_ns && w[0].end_ns <= h[0].start_ns,
                "{}: job {job}",
                p.strategy
            );
            assert!(h[0].start_ns <= h[0].end_ns && h[0].end_ns <= wall_ns, "{}: job {job}", p.strategy);
        }
        // One lane per distinct OS thread, every interval in exactly one lane.
        let lanes = p.lanes();
        let tids: BTreeSet<u64> = p.intervals.iter().map(|i| i.tid).collect();
        assert_eq!(lanes.len(), tids.len(), "{}", p.strategy);
        assert_eq!(lanes.iter().map(|l| l.intervals.len()).sum::<usize>(), p.intervals.len());
    }

    assert_eq!(pass(&file, StrategyKind::Sequential).lanes().len(), 1);
    let tpj = pass(&file, StrategyKind::ThreadPerJob);
    assert_eq!(tpj.lanes().len(), JOBS);
    assert!(tpj.lanes().iter().all(|l| l.thread.starts_with("cvp-job-")));
    let threads = pass(&file, StrategyKind::Threads);
    assert_eq!(threads.lanes().len(), WORKERS);
    assert!(threads.lanes().iter().all(|l| l.thread.starts_with("cvp-threads-")));
    let offload = pass(&file, StrategyKind::AsyncOffload);
    // The waits on one event loop (tokio's current-thread runtime: the thread that runs the strategy), the
    // hashes on the N pool threads, none of which waited.
    let waiters = threads_of(offload, Phase::Wait);
    assert_eq!(waiters.len(), 1, "{waiters:?}");
    let hashers = threads_of(offload, Phase::Hash);
    assert_eq!(hashers.len(), WORKERS, "{hashers:?}");
    assert!(hashers.iter().all(|t| t.starts_with("cvp-offload-cpu-")));
    assert!(waiters.is_disjoint(&hashers));
    let rayon = pass(&file, StrategyKind::Rayon);
    assert!(
        rayon.lanes().iter().all(|l| l.thread.starts_with("cvp-rayon-")) && rayon.lanes().len() <= WORKERS
    );
    // tokio's workers are named one by one, as the pools' threads are: no lane needs its tid to tell it.
    let async_n = pass_on(&file, StrategyKind::Async, WORKERS);
    assert!(async_n.lanes().len() <= WORKERS);
    assert!(async_n.lanes().iter().all(|l| l.thread.starts_with("cvp-async-") && l.label == l.thread));
    assert_eq!(pass_on(&file, StrategyKind::Async, 1).lanes().len(), 1);

    // The Chrome trace: the fields Perfetto reads, every process and thread named, no overlap on a track.
    let text = String::from_utf8(trace::files(&file).unwrap()[1].1.clone()).unwrap();
    // Perfetto stops reading at the first top-level key it does not know: ours comes last.
    assert!(text.starts_with(r#"{"displayTimeUnit":"ms","traceEvents":["#), "{}", &text[..80]);
    assert!(text.find(r#""cvp":"#) > text.find(r#""traceEvents":"#));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let events = json["traceEvents"].as_array().expect("traceEvents");
    let mut named_pids = BTreeSet::new();
    let mut named_tracks = BTreeSet::new();
    let mut tracks: BTreeMap<(u64, u64), Vec<(u64, u64)>> = BTreeMap::new();
    let mut complete: BTreeMap<String, usize> = BTreeMap::new();
    for e in events {
        let pid = e["pid"].as_u64().expect("pid");
        match (e["ph"].as_str(), e["name"].as_str()) {
            (Some("M"), Some("process_name")) => {
                assert!(e["args"]["name"].is_string());
                named_pids.insert(pid);
            }
            (Some("M"), Some("thread_name")) => {
                assert!(e["args"]["name"].is_string());
                named_tracks.insert((pid, e["tid"].as_u64().expect("tid")));
            }
            (Some("M"), _) => {}
            (Some("X"), Some(name)) => {
                let (ts, dur) = (e["ts"].as_u64().expect("ts in us"), e["dur"].as_u64().expect("dur in us"));
                let job = e["args"]["job"].as_u64().expect("job");
                assert!(job < JOBS as u64);
                assert!(e["args"]["thread"].as_str().is_some_and(|t| !t.is_empty()));
                let tid = e["tid"].as_u64().expect("tid");
                tracks.entry((pid, tid)).or_default().push((ts, ts + dur));
                *complete.entry(name.to_string()).or_insert(0) += 1;
                if name == "hash" {
                    // Every hash on its thread's own track, never on an extra one.
                    let p = &file.passes[pid as usize - 1];
                    let h = p.intervals.iter().find(|i| i.job == job && i.phase == Phase::Hash).unwrap();
                    assert_eq!(tid, h.tid, "{} job {job}", p.strategy);
                } else {
                    assert!(name == "wait" || name == "ready", "{name}");
                }
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert_eq!(complete["hash"], passes * JOBS);
    assert_eq!(complete["wait"], passes * JOBS);
    assert!(complete.get("ready").copied().unwrap_or(0) <= passes * JOBS);
    assert_eq!(named_pids.len(), passes);
    for (track, mut spans) in tracks {
        assert!(named_tracks.contains(&track), "{track:?} has no thread_name");
        spans.sort_unstable();
        assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "{track:?} overlaps: {spans:?}");
    }
    // The rows ride along and read back.
    let back: TraceFile = serde_json::from_value(json["cvp"].clone()).unwrap();
    assert_eq!(back, file);

    // The SVG: well-formed XML, one panel title per strategy.
    let svg = trace::svg(&file).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for p in &file.passes {
        let head = format!("{} · {} worker", p.strategy, p.workers);
        let titles = texts.iter().filter(|t| t.starts_with(&head)).count();
        assert_eq!(titles, 1, "{head}: {texts:?}");
    }
    // On this (multi-CPU, or unknown) run C9 is not decided, and the report section carries no verdict.
    if file.cpus != Some(1) {
        assert_eq!(file.verdicts[0].verdict, cvp::claims::Outcome::CannotBeShown);
    }
}

#[test]
fn async_on_one_worker_starts_every_wait_at_once_on_one_lane() {
    let wait_ms = 60;
    let plan = Plan {
        workload: WorkloadKind::Mixed,
        jobs: 8,
        workers: 1,
        strategies: vec![StrategyKind::Async],
        wait_ms,
        rounds: Some(2_000),
        one_core: false,
        async_on_one: true,
    };
    let file = trace::run(&plan, vec!["test".into()], |_| {}).unwrap();
    // --workers 1 already is one worker: no extra pass.
    assert_eq!(file.passes.len(), 1);
    let p = &file.passes[0];
    assert_eq!(p.lanes().len(), 1, "one event loop, one thread");
    let starts: Vec<u64> =
        p.intervals.iter().filter(|i| i.phase == Phase::Wait).map(|i| i.start_ns).collect();
    assert_eq!(starts.len(), 8);
    let spread = starts.iter().max().unwrap() - starts.iter().min().unwrap();
    // All eight waits begin before the first can end: well within half a wait (loose: a shared machine).
    assert!(spread < wait_ms * 1_000_000 / 2, "waits started {spread} ns apart");
}

fn cvp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cvp"))
}

#[test]
fn bad_trace_flags_exit_2_naming_the_flag() {
    for (args, flag) in [
        (&["trace", "--cores", "2"][..], "--cores"),
        (&["trace", "--jobs", "0"][..], "--jobs"),
        (&["trace", "--jobs", "65"][..], "--jobs"),
        (&["trace", "--workers", "x"][..], "--workers"),
        (&["trace", "--strategies", "rayon,rayon"][..], "--strategies"),
        (&["trace", "--workload", "cpu"][..], "--workload"),
    ] {
        let out = cvp().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag) && err.contains("accepted"), "{args:?}: {err}");
    }
}

#[test]
fn one_core_trace_writes_both_files_and_a_report_section() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    let run = |extra: &[&str]| {
        cvp()
            .args([
                "trace",
                "--workload",
                "cpu_bound",
                "--jobs",
                "4",
                "--rounds",
                "3000",
                "--cores",
                "1",
                "--out",
            ])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let first = run(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("C9"));
    // An existing folder is refused before anything runs, unless --force.
    let again = run(&[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--out"));
    assert_eq!(run(&["--force"]).status.code(), Some(0));

    let (file, _) = trace::read(&out).unwrap();
    assert_eq!(file.cpus, Some(1), "the child pinned itself");
    assert!(file.pinned_cpu.is_some());
    assert!(out.join("timeline.svg").is_file());
    // cpu_bound has no wait: nothing recorded for it, so async_offload's event loop has no lane.
    for p in &file.passes {
        assert!(p.intervals.iter().all(|i| i.phase == Phase::Hash), "{}", p.strategy);
        assert!(p.intervals.iter().all(|i| i.cpu_ns.is_some()), "{}: a hash's own CPU time", p.strategy);
    }
    // Only the rayon pool's threads hash (one or both of its 2: on one CPU the first may drain the 4 jobs
    // before the second is scheduled).
    let lanes = pass(&file, StrategyKind::AsyncOffload).lanes();
    assert!((1..=2).contains(&lanes.len()), "{} lanes", lanes.len());
    assert!(lanes.iter().all(|l| l.thread.starts_with("cvp-offload-cpu-")), "a lane not in the pool");
    // The report judges C9 again from the rows: a verdict planted in the file is not copied.
    let json = out.join("trace.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    v["cvp"]["verdicts"][0]["evidence"] = "PLANTED".into();
    std::fs::write(&json, serde_json::to_vec(&v).unwrap()).unwrap();
    let section = trace::read_section(&out).unwrap();
    let names: Vec<&str> = section.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["timeline-cpu_bound-4j-2w-1cpu.svg", "trace-cpu_bound-4j-2w-1cpu.json"]);
    assert_eq!(section.verdicts.len(), 1, "a one-CPU trace judges C9");
    assert!(!section.verdicts[0].evidence.contains("PLANTED"));
    assert_eq!(section.verdicts[0], file.verdicts[0], "the same rows, the same rule, the same verdict");
    assert!(section.markdown.contains("ui.perfetto.dev"));
}

#[test]
fn net_bound_traces_its_requests_against_a_service_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("trace");
    let o = Command::new(env!("CARGO_BIN_EXE_cvp"))
        .args(["trace", "--workload", "net_bound", "--jobs", "4", "--wait-ms", "5"])
        .args(["--strategies", "thread_per_job,async", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(out.join("timeline.svg")).unwrap();
    assert!(svg.contains("loopback TCP request") && svg.contains("request, its nominal wait"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("trace.json")).unwrap()).unwrap();
    let file: TraceFile = serde_json::from_value(json["cvp"].clone()).unwrap();
    // Every request got its own answer: the io_bound digest of the same jobs.
    let io = cvp::Workload::new(WorkloadKind::IoBound, 4, std::time::Duration::from_millis(5), 0);
    assert_eq!(file.passes.len(), 2);
    for p in &file.passes {
        assert_eq!(p.digest, io.expected_digest().to_hex(), "{}", p.strategy);
        // A request per job, then its one hash, and the request lasted at least its wait.
        for job in 0..4u64 {
            let wait = p.intervals.iter().find(|i| i.job == job && i.phase == Phase::Wait).unwrap();
            assert!(wait.end_ns - wait.start_ns >= 5_000_000, "{}: {wait:?}", p.strategy);
        }
    }
}

/// A process's `Cpus_allowed_list` from /proc/<pid>/status.
fn cpus_allowed(pid: u32) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).map(|v| v.trim().to_string())
}

/// The pids whose parent is `parent` (field 4 of /proc/<pid>/stat, after the command's closing paren).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().is_some_and(|stat| {
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}

#[test]
fn one_core_net_bound_trace_leaves_the_service_on_every_cpu() {
    if cvp::machine::cpus_allowed_now().unwrap_or(1) < 2 {
        eprintln!("skipped: this machine lets the test run on one CPU only, so the masks cannot differ");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = cvp()
        .args(["trace", "--workload", "net_bound", "--jobs", "16", "--wait-ms", "40", "--rounds", "1"])
        .args(["--strategies", "sequential", "--cores", "1", "--out"])
        .arg(dir.path().join("t"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Poll until the client is pinned (one CPU) and its service is up, then read both masks.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = None;
    while std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        let client = cpus_allowed(child.id());
        let pinned = client.as_deref().is_some_and(|c| !c.contains([',', '-']));
        if let (true, Some(service)) =
            (pinned, children_of(child.id()).first().and_then(|&p| cpus_allowed(p)))
        {
            seen = Some((client.unwrap(), service));
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.wait();
    let (client, service) = seen.expect("saw the pinned client and its service while the trace ran");
    assert_ne!(client, service, "the service must not inherit the client's one-CPU mask");
}
