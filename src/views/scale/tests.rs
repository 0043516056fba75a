//! `cvp scale`'s logic on made-up rows and limits: skips, derived numbers, the noise floor, the goal, C8.

use super::*;
use crate::claims::{Outcome, claim};

#[test]
fn pool_bound_rows_are_skipped_beyond_the_budget_and_task_rows_beyond_memory() {
    let none = Limits::default();
    let threads = Structure::Of(StrategyKind::Threads, 2);
    assert_eq!(skip_reason(threads, 100, 10, 2.0, &none), None);
    let why = skip_reason(threads, 1_000, 10, 2.0, &none).unwrap();
    assert!(why.contains("would take ~5.0 s"), "{why}");
    assert_eq!(skip_reason(Structure::Of(StrategyKind::Async, 1), 1_000_000, 10, 2.0, &none), None);
    let small = Limits { mem_available_bytes: Some(256 << 20), ..Limits::default() };
    assert!(skip_reason(Structure::Reference, 1_000_000, 10, 2.0, &small).unwrap().contains("tasks"));
    let tpj = Structure::Of(StrategyKind::ThreadPerJob, 1);
    let tight = Limits { threads_max: Some(1_000), ..Limits::default() };
    assert!(skip_reason(tpj, 600, 10, 2.0, &tight).unwrap().contains("kernel.threads-max"));
    assert_eq!(skip_reason(tpj, 400, 10, 2.0, &tight), None);
}

/// A measured row: `wall` +-2%, an excess over the baseline of `excess` bytes +-5% over 6 runs (the fewest
/// that give C8 its 95% intervals: those are then the fastest to slowest, as the goals' ranges are).
fn fake(label: &str, jobs: usize, wall: f64, excess: u64) -> Row {
    let (strategy, workers) = match label.split_once('/') {
        Some((s, n)) => (s.to_string(), n.parse().unwrap()),
        None => (label.to_string(), if label == "thread_per_job" { jobs } else { 1 }),
    };
    Row {
        strategy,
        workers,
        jobs,
        wait_ms: 10,
        wall_s: Some(wall),
        wall_min_s: Some(wall * 0.98),
        wall_max_s: Some(wall * 1.02),
        repeats: 6,
        status: "ok".into(),
        excess_bytes: vec![
            excess,
            excess * 95 / 100,
            excess * 105 / 100,
            excess * 97 / 100,
            excess * 103 / 100,
            excess,
        ],
        wall_runs_s: vec![wall, wall * 0.98, wall * 1.02, wall * 0.99, wall * 1.01, wall],
        peak_threads: Some(3),
        ..Row::default()
    }
}

/// `row` as if it had been run only `n` times (its first `n` runs kept).
fn runs_only(mut row: Row, n: usize) -> Row {
    row.repeats = n;
    row.wall_runs_s.truncate(n);
    row.excess_bytes.truncate(n);
    row
}

#[test]
fn derived_numbers_use_the_same_structures_one_wait_and_noise_floor() {
    let mut rows = vec![
        fake("reference", 1, 0.0100, 64 << 10),
        fake("reference", 1000, 0.0110, 465_000),
        fake("reference", 10_000, 0.0200, 4_650_000),
        fake("async/1", 1, 0.0100, 128 << 10),
        fake("async/1", 1000, 0.0120, 465_000),
        fake("async/1", 10_000, 0.0210, 4_650_000),
    ];
    derive(&mut rows);
    let r = &rows[4];
    assert!(
        (r.waits.unwrap() - 1.2).abs() < 1e-9 && (r.in_flight.unwrap() - 1000.0 / 1.2).abs() < 1e-6,
        "{r:?}"
    );
    assert!((r.overhead_us_per_wait.unwrap() - 2.0).abs() < 1e-9, "{r:?}");
    assert!((r.vs_reference.unwrap() - 1.2 / 1.1).abs() < 1e-9, "{r:?}");
    let (lo, hi) = r.vs_reference_range.unwrap();
    assert!(lo < 1.2 / 1.1 && hi > 1.2 / 1.1, "{r:?}");
    // 465 kB against a floor of 128 KiB x 1.05: under 5x, so no memory per wait; at 10,000 it is clear.
    assert_eq!(r.bytes_per_wait, None, "{r:?}");
    assert_eq!(rows[1].bytes_per_wait, Some(465.0), "the reference's own floor is 64 KiB x 1.05");
    assert!((rows[5].bytes_per_wait.unwrap() - 465.0).abs() < 1e-9, "{:?}", rows[5]);
    // J = 1 rows are the floor, never a memory per wait.
    assert_eq!(rows[3].bytes_per_wait, None);
    assert_eq!(rows[3].noise_floor_bytes, Some(137_625));
}

#[test]
fn memory_per_wait_is_the_median_over_the_runs_not_the_median_wall_runs() {
    let mut rows = vec![fake("async/1", 1, 0.0100, 8 << 10), fake("async/1", 1000, 0.0120, 0)];
    // The median-wall run (listed first) touched twice the memory of the five others.
    rows[1].excess_bytes = vec![900_000, 400_000, 410_000, 420_000, 430_000, 440_000];
    derive(&mut rows);
    let r = &rows[1];
    assert_eq!(r.bytes_per_wait, Some(425.0), "the mean of the middle two of six: {r:?}");
    assert_eq!(r.bytes_per_wait_range, Some((400.0, 900.0)));
    // C8 reads that median with its own 95% interval (at 6 runs the fastest to slowest), which holds it.
    let b = r.bytes().unwrap();
    assert_eq!((b.mid, b.lo, b.hi), (425.0, 400.0, 900.0));
}

#[test]
fn a_missing_one_wait_leaves_derived_numbers_empty_not_zero() {
    let mut rows = vec![fake("async/1", 1, 0.01, 4096), fake("async/1", 100, 0.012, 1 << 20)];
    rows[0].status = "failed: the child ended with signal 9".into();
    derive(&mut rows);
    assert_eq!((rows[1].waits, rows[1].in_flight, rows[1].bytes_per_wait), (None, None, None));
}

#[test]
fn the_goal_is_met_missed_or_undecided_from_the_interval() {
    let mut r = Row { vs_reference: Some(1.02), vs_reference_range: Some((0.98, 1.06)), ..Row::default() };
    assert_eq!(goal(&r), Some("met"));
    r.vs_reference_range = Some((1.12, 1.4));
    r.vs_reference = Some(1.2);
    assert_eq!(goal(&r), Some("missed"));
    r.vs_reference_range = Some((1.0, 1.3));
    assert!(goal(&r).unwrap().starts_with("undecided"));
    r.vs_reference_range = None;
    assert!(goal(&r).unwrap().starts_with("no interval"));
}

#[test]
fn c8_can_be_shown_refuted_or_undecidable() {
    let with = |tpj_wall: f64, tpj_excess: u64, skipped: bool| {
        let mut rows = vec![
            fake("thread_per_job", 1, 0.010, 64 << 10),
            fake("thread_per_job", 10_000, tpj_wall, tpj_excess),
            fake("async/1", 1, 0.010, 64 << 10),
            fake("async/1", 10_000, 0.020, 4_000_000),
        ];
        if skipped {
            rows[1].status = "skipped: 10000 threads exceed half of kernel.threads-max = 100".into();
        }
        derive(&mut rows);
        c8(&rows)
    };
    assert_eq!(with(0.5, 100_000_000, false).verdict, Outcome::Shown);
    // Threads as lean as tasks: not shown.
    assert_eq!(with(0.5, 4_000_000, false).verdict, Outcome::NotShown);
    // Threads clearly faster: not shown.
    assert_eq!(with(0.010, 100_000_000, false).verdict, Outcome::NotShown);
    // A memory ratio whose interval holds the threshold: undecided.
    assert_eq!(with(0.5, 20_000_000, false).verdict, Outcome::CannotBeShown);
    let skipped = with(0.5, 100_000_000, true);
    assert_eq!(skipped.verdict, Outcome::CannotBeShown);
    assert!(skipped.evidence.contains("kernel.threads-max"), "{}", skipped.evidence);
    // async's memory lost in the noise floor: no ratio, no verdict (not an infinite ratio read as shown).
    let mut rows = vec![
        fake("thread_per_job", 1, 0.010, 64 << 10),
        fake("thread_per_job", 1000, 0.1, 10_000_000),
        fake("async/1", 1, 0.010, 256 << 10),
        fake("async/1", 1000, 0.012, 0),
    ];
    derive(&mut rows);
    let v = c8(&rows);
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("noise floor"), "{}", v.evidence);
}

#[test]
fn c8_reads_95_percent_intervals_of_the_medians_and_says_so() {
    let rows = |tpj_runs: usize, async_runs: usize| {
        let mut rows = vec![
            fake("thread_per_job", 1, 0.010, 64 << 10),
            runs_only(fake("thread_per_job", 10_000, 0.5, 100_000_000), tpj_runs),
            fake("async/1", 1, 0.010, 64 << 10),
            runs_only(fake("async/1", 10_000, 0.020, 4_000_000), async_runs),
        ];
        derive(&mut rows);
        rows
    };
    let shown = c8(&rows(6, 6));
    assert_eq!(shown.verdict, Outcome::Shown, "{}", shown.evidence);
    assert!(shown.evidence.contains("95% interval over 6 and 6 runs"), "{}", shown.evidence);
    // 3 runs: the fastest to slowest would cover the median only 75% of the time; no verdict, and why.
    let three = c8(&rows(3, 6));
    assert_eq!(three.verdict, Outcome::CannotBeShown, "{}", three.evidence);
    assert!(
        three.evidence.starts_with("fewer than 6 runs: thread_per_job at J=10000: 3 run(s);")
            && three.evidence.contains("75%")
            && !three.evidence.contains("async/1 at J=10000"),
        "{}",
        three.evidence
    );
    let both = c8(&rows(5, 1));
    assert!(
        both.evidence.contains("thread_per_job at J=10000: 5 run(s); async/1 at J=10000: 1 run(s)"),
        "{}",
        both.evidence
    );
    // An older file: rows of 1 run and no wall per run kept (the golden inputs are such files).
    let mut old = rows(6, 6);
    for r in &mut old {
        r.wall_runs_s.clear();
    }
    let v = c8(&old);
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("6 runs, but no wall per run kept"), "{}", v.evidence);
    // With 9 runs the interval is the 2nd to the 8th: one wild run no longer decides.
    let mut nine = rows(6, 6);
    for r in nine.iter_mut().filter(|r| r.jobs == 10_000) {
        let (w, e) = (r.wall_s.unwrap(), r.excess_bytes[0]);
        r.wall_runs_s = vec![w, w, w, w, w, w, w, w, w * 100.0];
        r.excess_bytes = vec![e; 9];
        r.repeats = 9;
    }
    derive(&mut nine);
    let v = c8(&nine);
    assert_eq!(v.verdict, Outcome::Shown, "{}", v.evidence);
}

#[test]
fn the_rows_that_decide_c8_run_at_least_6_times_and_no_others() {
    let plan = Plan {
        jobs: vec![1, 100, 1_000, 10_000],
        wait_ms: 10,
        structures: Vec::new(),
        budget_s: 2.0,
        repeat: 3,
        io: Io::Sleep,
    };
    // thread_per_job cannot run 10,000 threads here: at 10,000 nothing decides C8.
    let limits = Limits { threads_max: Some(10_000), ..Limits::default() };
    let structures = default_structures(2, &DEFAULT_STRATEGIES);
    let cells = cells(&structures, &plan, &limits);
    let runs = runs(&cells, plan.repeat);
    let of = |label: &str, j: usize| {
        cells.iter().zip(&runs).find(|(c, _)| c.0.label() == label && c.1 == j).map(|(_, &n)| n).unwrap()
    };
    assert_eq!((of("thread_per_job", 1_000), of("async/1", 1_000)), (6, 6));
    assert_eq!((of("thread_per_job", 100), of("async/1", 100), of("async/1", 1)), (3, 3, 3));
    assert_eq!((of("thread_per_job", 10_000), of("async/1", 10_000)), (0, 3));
    assert_eq!((of("reference", 1_000), of("async/2", 1_000)), (3, 3));
    // More asked than 6: more given.
    assert_eq!(super::runs(&cells, 9).iter().max(), Some(&9));
}

#[test]
fn default_structures_hold_both_async_counts_once() {
    let two = default_structures(2, &DEFAULT_STRATEGIES);
    let labels: Vec<String> = two.iter().map(|s| s.label()).collect();
    assert_eq!(
        labels,
        ["reference", "thread_per_job", "async/1", "async/2", "async_offload/2", "threads/2", "rayon/2"]
    );
    assert_eq!(default_structures(1, &[StrategyKind::Async]).len(), 2);
}

#[test]
fn default_socket_jobs_add_100000_only_where_the_limits_hold_it() {
    let limits =
        Limits { rlimit_nofile: Some(20_000), local_ports: Some((32_768, 60_999)), ..Limits::default() };
    assert_eq!(default_socket_jobs(&limits), SOCKET_JOBS.to_vec());
    let open = Limits::default();
    assert_eq!(default_socket_jobs(&open).last(), Some(&100_000));
}

#[test]
fn socket_cells_name_the_descriptor_limit_and_thread_limits_together() {
    let plan = Plan {
        jobs: vec![1, 1_000],
        wait_ms: 10,
        structures: Vec::new(),
        budget_s: 2.0,
        repeat: 1,
        io: Io::Socket,
    };
    let limits = Limits { rlimit_nofile: Some(300), threads_max: Some(1_000), ..Limits::default() };
    let structures = default_structures(2, &[StrategyKind::ThreadPerJob, StrategyKind::Async]);
    assert!(structures.contains(&Structure::Reference), "sockets have their reference row too");
    let cells = cells(&structures, &plan, &limits);
    let why = |label: &str, j: usize| {
        cells.iter().find(|c| c.0.label() == label && c.1 == j).map(|c| c.2.clone()).unwrap()
    };
    assert_eq!(why("async/1", 1), None);
    assert!(why("async/1", 1_000).unwrap().contains("RLIMIT_NOFILE = 300"));
    let both = why("thread_per_job", 1_000).unwrap();
    assert!(both.contains("RLIMIT_NOFILE") && both.contains("kernel.threads-max"), "{both}");
    // A sleep plan never looks at descriptors.
    let sleep = Plan { io: Io::Sleep, ..plan };
    assert!(
        super::cells(&structures, &sleep, &limits)
            .iter()
            .all(|c| c.1 == 1 || c.0.label() != "async/1" || c.2.is_none())
    );
}

#[test]
fn c8_on_sockets_can_be_shown_and_not_and_says_so() {
    let with = |tpj_excess: u64, async_ok: bool| {
        let mut rows = vec![
            fake("thread_per_job", 1, 0.012, 64 << 10),
            fake("thread_per_job", 10_000, 2.4, tpj_excess),
            fake("async/1", 1, 0.012, 64 << 10),
            fake("async/1", 10_000, 1.6, 13_000_000),
        ];
        if !async_ok {
            rows[3].status =
                "skipped: 10000 connections exceed the client's and the service's RLIMIT_NOFILE = \
                              300"
                .into();
        }
        derive(&mut rows);
        c8_on(&rows, Io::Socket)
    };
    let shown = with(88_000_000, true);
    assert_eq!(shown.verdict, Outcome::Shown, "{}", shown.evidence);
    assert!(shown.statement.contains("net_bound: loopback TCP"), "{}", shown.statement);
    assert!(shown.evidence.starts_with("net_bound: loopback TCP: at J=10000"), "{}", shown.evidence);
    assert!(shown.evidence.contains("per request"), "{}", shown.evidence);
    assert_eq!(with(14_000_000, true).verdict, Outcome::NotShown);
    let skipped = with(88_000_000, false);
    assert_eq!(skipped.verdict, Outcome::CannotBeShown);
    assert!(skipped.evidence.contains("RLIMIT_NOFILE"), "{}", skipped.evidence);
    // The sleep verdict keeps its own statement.
    assert_eq!(c8(&[]).statement, claim("C8").statement);
}

/// Socket rows: the reference and async/1 at 1, 1,000 and 10,000 requests, async/1's walls at 1,000 and
/// 10,000 `k` times the reference's (the J = 1 rows are not read by the goal).
fn socket_rows(k: f64) -> Vec<Row> {
    let mut rows = vec![
        fake("reference", 1, 0.011, 4096),
        fake("reference", 1_000, 0.060, 1 << 20),
        fake("reference", 10_000, 0.600, 12 << 20),
        fake("async/1", 1, 0.011, 4096),
        fake("async/1", 1_000, 0.060 * k, 1 << 20),
        fake("async/1", 10_000, 0.600 * k, 13 << 20),
    ];
    derive(&mut rows);
    rows
}

#[test]
fn the_socket_goal_compares_async_1_with_the_socket_reference_at_1000_and_10000() {
    let outcomes = |rows: &[Row]| -> Vec<&'static str> {
        NET_GOAL_JOBS.iter().map(|&j| net_goal(rows, j).unwrap().1).collect()
    };
    // 1.02x the reference, two walls of +-2%: the whole range (up to 1.06) under 1.10, met at both.
    let met = socket_rows(1.02);
    assert_eq!(outcomes(&met), ["met", "met"]);
    let (ratio, _) = net_goal(&met, 1_000).unwrap();
    assert!((ratio.mid - 1.02).abs() < 1e-9 && ratio.known, "{ratio:?}");
    let lines = net_goal_lines(&met, Io::Socket);
    assert!(lines[0].contains("1.10x the reference's wall at 1,000 and 10,000"), "{lines:?}");
    assert!(lines[1].starts_with("  J=1000: 1.02 [") && lines[1].ends_with("met"), "{lines:?}");
    assert!(lines[2].starts_with("  J=10000: 1.02 ["), "{lines:?}");
    // 1.3x: missed; 1.1x: the threshold inside the range, undecided.
    assert_eq!(outcomes(&socket_rows(1.3)), ["missed", "missed"]);
    assert!(outcomes(&socket_rows(1.1)).iter().all(|o| o.starts_with("undecided")));
    // Fewer than 3 runs: no range, no outcome drawn from it.
    let mut one = socket_rows(1.02);
    for r in &mut one {
        r.repeats = 1;
    }
    assert_eq!(outcomes(&one), ["no interval (fewer than 3 runs)"; 2]);
    // Not judged, with the reason: a skipped J, and a file from before sockets had a reference.
    let mut skipped = socket_rows(1.02);
    skipped[5].status = "skipped: 10000 connections exceed RLIMIT_NOFILE = 300".into();
    derive(&mut skipped);
    let lines = net_goal_lines(&skipped, Io::Socket);
    assert!(
        lines[1].ends_with("met") && lines[2].contains("not judged: async/1 skipped: 10000 connections"),
        "{lines:?}"
    );
    let old: Vec<Row> = socket_rows(1.02).into_iter().filter(|r| r.strategy != "reference").collect();
    let lines = net_goal_lines(&old, Io::Socket);
    assert!(lines[1..].iter().all(|l| l.contains("not judged: no reference row")), "{lines:?}");
    assert!(net_goal_lines(&met, Io::Sleep).is_empty());
}

/// C8's headline names the ratio that decided it, as the evidence writes it, with its bound: the memory when
/// shown (both would not fit), else the ratio that failed or that noise left undecided; sockets count requests.
#[test]
fn c8_is_headed_by_the_ratio_that_decided_it() {
    use crate::claims::tests::assert_headline;
    let with = |tpj_wall: f64, tpj_excess: u64, io: Io| {
        let mut rows = vec![
            fake("thread_per_job", 1, 0.010, 64 << 10),
            fake("thread_per_job", 10_000, tpj_wall, tpj_excess),
            fake("async/1", 1, 0.010, 64 << 10),
            fake("async/1", 10_000, 0.020, 4_000_000),
        ];
        derive(&mut rows);
        c8_on(&rows, io)
    };
    let heads: Vec<(Outcome, String)> = [
        with(0.5, 100_000_000, Io::Sleep),
        with(0.5, 4_000_000, Io::Sleep),
        with(0.010, 100_000_000, Io::Sleep),
        with(0.5, 20_000_000, Io::Sleep),
        with(0.5, 100_000_000, Io::Socket),
    ]
    .iter()
    .map(|v| (v.verdict, assert_headline(v).to_string()))
    .collect();
    let want = [
        (Outcome::Shown, "memory 25.0 [22.6 to 27.6]x per wait (>= 5x)"),
        (Outcome::NotShown, "memory 1.0 [0.9 to 1.1]x per wait (>= 5x)"),
        (Outcome::NotShown, "async wall / thread_per_job wall 2.00 [1.92 to 2.08] (<= 1.1)"),
        (Outcome::CannotBeShown, "memory 5.0 [4.5 to 5.5]x per wait (>= 5x)"),
        (Outcome::Shown, "memory 25.0 [22.6 to 27.6]x per request (>= 5x)"),
    ];
    assert_eq!(heads, want.map(|(o, h)| (o, h.to_string())));
    // Nothing to compare: no headline, the reason is the news.
    assert_eq!(c8(&[]).headline, "");
}

#[test]
fn memory_per_wait_reads_c8s_rows_with_their_intervals_from_json_and_medians_from_csv() {
    let record = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results/intel-xeon-2c/2026-12-07");
    let json = std::fs::read_to_string(record.join("scale.json")).unwrap();
    let csv = std::fs::read_to_string(record.join("scale.csv")).unwrap();
    let [a, t] = render::memory_per_wait(Some(&json), Some(&csv), 10_000).unwrap();
    let (a, t) = (a.unwrap(), t.unwrap());
    assert!(a.known && t.known, "scale.json keeps each run's memory: {a:?} {t:?}");
    assert!((a.mid - 457.7).abs() < 0.1 && (t.mid - 8771.2).abs() < 0.1, "{a:?} {t:?}");
    let [a, t] = render::memory_per_wait(None, Some(&csv), 10_000).unwrap();
    assert!(!a.unwrap().known && (t.unwrap().mid - 8771.2).abs() < 0.1, "the CSV has medians only");
    let [_, t] = render::memory_per_wait(None, Some(&csv), 100_000).unwrap();
    assert_eq!(t, None, "thread_per_job at 100,000 was skipped");
    assert_eq!(render::memory_per_wait(None, None, 10_000).unwrap(), [None, None]);
    assert!(
        render::memory_per_wait(Some("{"), None, 10_000).unwrap_err().contains("cvp scale --format json")
    );
    assert!(render::memory_per_wait(None, Some("a,b\n"), 10_000).unwrap_err().contains("columns"));
}
