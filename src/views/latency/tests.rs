//! Tests of `cvp latency`'s parts: percentile math, coordinated omission, every structure on a tiny
//! batch, and C7 on synthetic rows (each outcome).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::client::{self, BatchEnd, Recorder, Request};
use super::measure;
use super::serve::{self, Batch, Load};
use super::*;
use crate::claims::Outcome;
use crate::workload::{Workload, WorkloadKind};

#[test]
fn percentiles_of_known_inputs() {
    // 1 .. 1000 microseconds, once each.
    let ns: Vec<u64> = (1..=1000).map(|us| us * 1000).collect();
    let h = histogram(&ns);
    let close = |got: f64, want: f64| (got - want).abs() <= want * 0.002;
    assert!(close(quantile_ms(&h, 0.5), 0.5), "{}", quantile_ms(&h, 0.5));
    assert!(close(quantile_ms(&h, 0.9), 0.9));
    assert!(close(quantile_ms(&h, 0.99), 0.99));
    assert!(close(quantile_ms(&h, 0.999), 0.999));
    assert!(close(h.max() as f64 / 1e6, 1.0));
    assert_eq!(quantile_ms(&histogram(&[]), 0.99), 0.0);
    // The order-statistic interval of the p99 of 1000 samples: ranks 990 -+ 1.96 sqrt(9.9).
    let (lo, hi) = quantile_interval(0.99, 1000);
    assert!((lo - 0.983).abs() < 1e-9 && (hi - 0.998).abs() < 1e-9, "{lo} {hi}");
    assert_eq!(quantile_interval(0.99, 0), (0.0, 1.0));
    // The curve: x = -log10(1 - q), so x = 2 is the p99; it ends at the max.
    let c = curve(&h);
    let at = |x: f64| c.iter().find(|p| (p.0 - x).abs() < 1e-9).map(|p| p.1);
    assert!(close(at(2.0).unwrap(), 0.99), "{c:?}");
    assert!(close(at(1.0).unwrap(), 0.9));
    assert_eq!(c.last().unwrap().0, 3.0);
    assert!(close(c.last().unwrap().1, 1.0));
    assert!(c.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
}

#[test]
fn a_stall_is_charged_to_every_request_due_during_it() {
    // Requests due every 1 ms; the handler blocks 100 ms on the first one, then keeps up. Latencies are
    // counted from the due time, so the ~100 requests due during the stall all come out late, spread from
    // ~100 ms down to ~1 ms: coordinated omission is not hidden. Lower bounds hold whatever the load (no
    // request can finish before the stall ends); upper bounds only need the server to catch up eventually.
    let (tx, rx) = mpsc::channel::<Request>();
    let (rec, latencies) = Recorder::new();
    let server = std::thread::spawn(move || {
        let mut by_id = Vec::new();
        for req in rx {
            if req.id == 0 {
                std::thread::sleep(Duration::from_millis(100));
            }
            client::handle(&req, &rec);
            by_id.push((req.id, req.due.elapsed().as_secs_f64() * 1e3));
        }
        by_id
    });
    let start = Instant::now();
    let end = BatchEnd::new(start);
    end.set(start);
    let stats = client::client(
        start,
        Duration::from_millis(1),
        &end,
        Some(start + Duration::from_millis(200)),
        true,
        |r| tx.send(r).is_ok(),
    );
    drop(tx);
    let by_id = server.join().unwrap();
    assert_eq!(stats.sent, 200);
    let ns: Vec<u64> = latencies.try_iter().map(|(due, _)| due).collect();
    assert_eq!(ns.len(), 200, "the recorder got every request");
    // Every request due during the stall is charged from its due time: request i (due at i ms) is at
    // least (100 - i) ms late: ~100 late requests spread from ~100 ms down to ~1 ms, not one.
    for &(id, ms) in by_id.iter().filter(|(id, _)| *id < 100) {
        assert!(ms >= 99.0 - id as f64, "request {id} due during the stall is only {ms:.2} ms late");
    }
    let h = histogram(&ns);
    let late = ns.iter().filter(|&&v| v >= 1_000_000).count();
    assert!(late >= 99, "late requests: {late}, want about 100");
    assert!(h.max() as f64 / 1e6 >= 99.0, "the first request waited the whole stall");
    assert!(quantile_ms(&h, 0.25) <= quantile_ms(&h, 0.75) / 4.0, "a spread, not one level");
    // After the stall the server caught up: the last 50 requests are not charged the stall.
    let mut tail: Vec<f64> = by_id.iter().filter(|(id, _)| *id >= 150).map(|(_, ms)| *ms).collect();
    tail.sort_by(f64::total_cmp);
    assert!(tail[tail.len() / 2] < 20.0, "after the stall: {tail:?}");
    // So at most ~100 requests are late by more than a few ms (a loaded machine adds a few).
    let very_late = ns.iter().filter(|&&v| v >= 5_000_000).count();
    assert!((95..=150).contains(&very_late), "requests >= 5 ms late: {very_late}, want about 95");
}

#[test]
fn a_stalled_client_still_sends_every_request_and_charges_it_from_its_due_time() {
    // The client itself stalls: its send of request 0 sleeps 100 ms. An honest client then sends the ~100
    // requests that fell due meanwhile at once, says it was behind, and each is charged from its due time
    // (~100 ms down to ~1 ms late); a client that stamped the send time, or skipped the missed due times,
    // would report ~0 ms or send fewer.
    let (tx, rx) = mpsc::channel::<Request>();
    let (rec, latencies) = Recorder::new();
    let server = std::thread::spawn(move || {
        for req in rx {
            client::handle(&req, &rec);
        }
    });
    let start = Instant::now();
    let end = BatchEnd::new(start);
    end.set(start);
    let stats = client::client(
        start,
        Duration::from_millis(1),
        &end,
        Some(start + Duration::from_millis(200)),
        true,
        |r| {
            if r.id == 0 {
                std::thread::sleep(Duration::from_millis(100));
            }
            tx.send(r).is_ok()
        },
    );
    drop(tx);
    server.join().unwrap();
    assert_eq!(stats.sent, 200, "every due time got its request");
    assert!(stats.behind >= 90, "the client says it fell behind: {stats:?}");
    assert!(stats.max_late >= Duration::from_millis(95), "{stats:?}");
    let (due, sent): (Vec<u64>, Vec<u64>) = latencies.try_iter().unzip();
    assert_eq!(due.len(), 200);
    let h = histogram(&due);
    assert!(h.max() as f64 / 1e6 >= 99.0, "request 1 was due 99 ms before it went out");
    let late = due.iter().filter(|&&v| v >= 1_000_000).count();
    assert!(late >= 95, "late requests: {late}, want about 100");
    // Half the requests (due after the stall) are on time; the other half spread from ~1 to ~100 ms.
    assert!(quantile_ms(&h, 0.6) <= quantile_ms(&h, 0.9) / 2.5, "a spread, not one level");
    assert!(quantile_ms(&h, 0.9) >= 50.0, "{}", quantile_ms(&h, 0.9));
    // Counted from the send instead, the stall disappears: that is what the due time is for.
    let after_send = histogram(&sent);
    assert!(quantile_ms(&after_send, 0.5) < quantile_ms(&h, 0.5) || quantile_ms(&h, 0.5) < 1.0);
    assert!(quantile_ms(&after_send, 0.99) < 50.0, "{}", quantile_ms(&after_send, 0.99));
}

#[test]
fn a_client_behind_when_the_batch_ends_still_sends_what_was_due() {
    // The batch ends at ~20 ms while the client is stalled (its send of request 0 sleeps 60 ms). It must
    // still send every request due before that end, however late, and stop at the first due time after it.
    let start = Instant::now();
    let end = BatchEnd::new(start);
    let ended = std::thread::scope(|s| {
        let ender = s.spawn(|| {
            std::thread::sleep(Duration::from_millis(20));
            let at = Instant::now();
            end.set(at);
            at
        });
        let mut ids = Vec::new();
        let stats = client::client(start, Duration::from_millis(1), &end, None, true, |r| {
            if r.id == 0 {
                std::thread::sleep(Duration::from_millis(60));
            }
            ids.push(r.id);
            true
        });
        let at = ender.join().unwrap();
        let want = (at - start).as_nanos().div_ceil(1_000_000) as u64;
        assert!(want >= 20);
        assert_eq!(stats.sent, want, "every request due before the end ({:?}), no more", at - start);
        assert_eq!(ids, (0..want).collect::<Vec<_>>());
        assert!(stats.behind >= 15, "{stats:?}");
        at
    });
    assert_eq!(end.get(), Some(ended).map(|e| start + (e - start)));
}

#[test]
fn sequential_with_one_100_ms_job_charges_every_request_due_during_it() {
    // The real `sequential` structure with one heavy job of ~100 ms: requests due during the job are served
    // after it, from ~one job down to ~0 ms late. Bounds are relative to the job as it ran (a shared machine).
    let cal = calibrate(5);
    let batch = Batch { jobs: 1, rounds: cal.rounds * 20, yield_rounds: cal.yield_rounds };
    let load = Load { interval: Duration::from_millis(1), at_least: Duration::ZERO };
    let m = serve::run(Structure::Sequential, 1, batch, Some(load), &[]).unwrap();
    let job_ms = m.batch.as_secs_f64() * 1e3;
    assert!(job_ms >= 40.0, "the job took {job_ms:.1} ms");
    assert_eq!(m.latencies_ns.len() as u64, m.client.sent, "every request sent is served");
    // One request per ms of the batch, none skipped at its end.
    assert!(m.client.sent as f64 >= job_ms - 1.0, "sent {} in a {job_ms:.1} ms batch", m.client.sent);
    let h = histogram(&m.latencies_ns);
    assert!(h.max() as f64 / 1e6 >= 0.9 * job_ms, "request 0 waited the whole job: {}", h.max());
    assert!(quantile_ms(&h, 0.1) <= 0.3 * job_ms, "the last requests were due near the job's end");
    assert!(quantile_ms(&h, 0.25) <= quantile_ms(&h, 0.75) / 1.5, "a spread, not one level");
}

#[test]
fn every_structure_serves_every_request_and_computes_the_batch() {
    let batch = Batch { jobs: 4, rounds: 3000, yield_rounds: 200 };
    let want = Workload::new(WorkloadKind::CpuBound, 4, Duration::ZERO, 3000).expected_digest();
    let load = Load { interval: Duration::from_millis(1), at_least: Duration::from_millis(15) };
    for s in Structure::ALL {
        for n in s.worker_counts(&[1, 2]) {
            let m = serve::run(s, n, batch, Some(load), &[]).unwrap();
            assert_eq!(m.digest, want, "{s}/{n}");
            assert!(m.client.sent >= 15, "{s}/{n}: {:?}", m.client);
            assert_eq!(m.latencies_ns.len() as u64, m.client.sent, "{s}/{n}: every request served");
            assert!(m.batch > Duration::ZERO);
            // The largest mask any thread of the run read: the process's own here (nothing pinned).
            assert_eq!(m.cpus, crate::machine::cpus_allowed_now(), "{s}/{n}");
            let alone = serve::run(s, n, batch, None, &[]).unwrap();
            assert_eq!(alone.digest, want);
            assert!(alone.latencies_ns.is_empty() && alone.client.sent == 0);
        }
    }
}

#[test]
fn calibration_sizes_a_job_near_its_target() {
    let c = calibrate(5);
    assert!(c.rounds > 0 && c.yield_rounds > 0 && c.yield_rounds < c.rounds);
    // Only a wide bound: the machine is shared.
    assert!(c.job > Duration::from_millis(2) && c.job < Duration::from_millis(100), "{c:?}");
}

fn row(structure: Structure, workers: usize, setting: Setting, p99: f64) -> Row {
    Row {
        structure,
        workers,
        setting,
        cores: if setting == Setting::One { 1 } else { 2 },
        server_cpus: if setting == Setting::One { vec![0] } else { vec![0, 1] },
        client_cpus: if setting == Setting::One { vec![1] } else { vec![0, 1] },
        sent: 500,
        served: 500,
        p50_ms: p99 / 2.0,
        p90_ms: p99 * 0.9,
        p99_ms: p99,
        p99_after_send_ms: p99,
        p99_range_ms: (p99 * 0.95, p99 * 1.05),
        p99_runs_ms: Vec::new(),
        p999_ms: None,
        max_ms: p99,
        curve: vec![(0.0, p99 / 4.0), (2.0, p99), (2.7, p99)],
        batch_s: 0.5,
        batch_alone_s: Some(0.45),
        slowdown: Some(1.1),
        involuntary_switches: 300,
        voluntary_switches: 10,
        client_late_ms: 0.05,
        client_behind: 0,
    }
}

fn file(rows: Vec<Row>) -> LatencyFile {
    let mut f = LatencyFile {
        command: vec!["cvp".into(), "latency".into()],
        machine: Machine::detect(),
        job_ms: 20,
        rounds: 1000,
        job_measured_ms: 20.0,
        interval_ms: 1,
        jobs: 24,
        yield_rounds: 5,
        plan: Plan::default_for(2),
        rows,
        floor: [Setting::All, Setting::One]
            .into_iter()
            .flat_map(|setting| Structure::ALL.iter().map(move |&s| row(s, 1, setting, 0.1)))
            .collect(),
        verdicts: Vec::new(),
        notes: Vec::new(),
    };
    f.verdicts = verdicts(&f);
    f.notes = notes(&f);
    f
}

fn one_core(blocked: f64, responsive: f64) -> Vec<Row> {
    vec![
        row(Structure::Sequential, 1, Setting::One, 20.0),
        row(Structure::Async, 1, Setting::One, blocked),
        row(Structure::AsyncYield, 1, Setting::One, responsive),
        row(Structure::AsyncOffload, 1, Setting::One, responsive),
        row(Structure::Threads, 2, Setting::One, responsive),
    ]
}

#[test]
fn c7_can_be_shown_not_shown_or_undecided() {
    let shown = file(one_core(40.0, 0.5));
    assert_eq!(shown.verdicts[0].verdict, Outcome::Shown, "{:?}", shown.verdicts);
    // A responsive structure at p99 = one job: not shown.
    let slow = file(one_core(40.0, 20.0));
    assert_eq!(slow.verdicts[0].verdict, Outcome::NotShown, "{:?}", slow.verdicts);
    // The blocked loop answered fast: the claim's contrast is missing, not shown.
    let fast = file(one_core(1.0, 0.5));
    assert_eq!(fast.verdicts[0].verdict, Outcome::NotShown);
    // The bound (5 ms) inside a p99 interval [4.75, 5.25]: too noisy.
    let noisy = file(one_core(40.0, 5.0));
    assert_eq!(noisy.verdicts[0].verdict, Outcome::CannotBeShown);
    assert!(noisy.verdicts[0].evidence.contains("too noisy"));
    // No one-core rows: cannot be shown, and says how to get them.
    let all: Vec<Row> =
        one_core(40.0, 0.5).into_iter().map(|r| Row { setting: Setting::All, cores: 2, ..r }).collect();
    let v = &file(all).verdicts[0];
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("--cores"), "{}", v.evidence);
    // A one-core row that could use 2 CPUs is not a one-core row.
    let mut leaky = one_core(40.0, 0.5);
    leaky[2].cores = 2;
    assert_eq!(file(leaky).verdicts[0].verdict, Outcome::CannotBeShown);
    // Too few requests for a p99.
    let mut few = one_core(40.0, 0.5);
    few[3].served = 20;
    assert_eq!(file(few).verdicts[0].verdict, Outcome::CannotBeShown);
}

#[test]
fn time_slicing_is_said_for_one_core_threads_and_offload_only() {
    let f = file(one_core(40.0, 0.5));
    let c9: Vec<&String> = f.notes.iter().filter(|n| n.starts_with("C9")).collect();
    assert_eq!(c9.len(), 2, "{c9:?}");
    assert!(c9.iter().any(|n| n.contains("threads/2") && n.contains("300 times")), "{c9:?}");
    let mut quiet = one_core(40.0, 0.5);
    quiet[4].involuntary_switches = 0;
    assert!(time_slicing(&file(quiet)).iter().any(|n| n.contains("no involuntary")));
}

#[test]
fn floor_and_client_problems_are_said() {
    let mut rows = one_core(40.0, 0.5);
    rows[1].client_behind = 7;
    let mut f = file(rows);
    f.floor[4].p99_ms = 0.9;
    let n = notes(&f);
    assert!(n.iter().any(|n| n.contains("floor: threads") && n.contains("0.2 ms")), "{n:?}");
    assert!(
        n.iter().any(|n| n.contains("fell behind") && n.contains("7 of 500") && n.contains("1 of 15 runs")),
        "{n:?}"
    );
}

#[test]
fn section_renders_tables_plots_and_the_verdict() {
    let mut rows = one_core(40.0, 0.5);
    rows.extend(one_core(30.0, 0.3).into_iter().map(|r| Row { setting: Setting::All, cores: 2, ..r }));
    let f = file(rows);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lat.json");
    std::fs::write(&path, serde_json::to_string(&f).unwrap()).unwrap();
    let s = read_section(&path).unwrap();
    assert!(s.markdown.contains("| 1 (1) | async_yield | 1 |"), "{}", s.markdown);
    assert!(s.markdown.contains("p99 after send"));
    let names: Vec<&str> = s.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "latency_percentiles.svg",
            "latency_percentiles_all_cores.svg",
            "latency_percentiles_one_core.svg",
            "latency.csv",
            "latency.json"
        ]
    );
    let svg = String::from_utf8(s.files[0].1.clone()).unwrap();
    assert!(svg.contains("99.9%") && svg.contains("async_offload/1") && svg.contains("one core"), "labels");
    assert_eq!(s.verdicts[0].claim, "C7");
    assert!(table(&f).contains("C7") && csv(&f).lines().count() == 1 + 10 + 10);
    std::fs::write(&path, "{}").unwrap();
    assert!(matches!(read_section(&path), Err(crate::report::ReportError::Unreadable { .. })));
}

#[test]
fn c7_cannot_be_shown_when_the_client_could_not_keep_its_schedule() {
    // threads/2 fails from the due time (p99 20 ms > 5 ms), but after send it passes and its client was
    // behind for 5% of its requests: the due-time p99 measured the client, not the server.
    let mut rows = one_core(40.0, 0.5);
    rows[4].p99_ms = 20.0;
    rows[4].p99_range_ms = (19.0, 21.0);
    rows[4].p99_after_send_ms = 1.0;
    rows[4].client_behind = 25;
    rows[4].client_late_ms = 18.0;
    let v = &file(rows.clone()).verdicts[0];
    assert_eq!(v.verdict, Outcome::CannotBeShown, "{v:?}");
    assert!(
        v.evidence.contains("the client could not keep its schedule") && v.evidence.contains("25 of 500")
    );
    // Only lateness beyond the bound, no request behind: the same.
    let mut late = rows.clone();
    late[4].client_behind = 0;
    assert_eq!(file(late).verdicts[0].verdict, Outcome::CannotBeShown);
    // A client on time: the server's own tail, not shown.
    let mut on_time = rows.clone();
    on_time[4].client_behind = 2;
    on_time[4].client_late_ms = 0.5;
    assert_eq!(file(on_time).verdicts[0].verdict, Outcome::NotShown);
    // Failing after send too: not shown, whatever the client did.
    let mut slow = rows;
    slow[4].p99_after_send_ms = 19.0;
    assert_eq!(file(slow).verdicts[0].verdict, Outcome::NotShown);
}

#[test]
fn c7_is_gated_by_the_one_core_floor() {
    let mut f = file(one_core(40.0, 0.5));
    // A slow all-core floor does not gate the one-core claim...
    f.floor.iter_mut().filter(|r| r.setting == Setting::All).for_each(|r| r.p99_ms = 9.0);
    assert_eq!(verdicts(&f)[0].verdict, Outcome::Shown);
    // ... the one-core floor does.
    f.floor.iter_mut().filter(|r| r.setting == Setting::One).for_each(|r| r.p99_ms = 9.0);
    let v = &verdicts(&f)[0];
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("one core"), "{}", v.evidence);
}

#[test]
fn p999_needs_a_thousand_requests() {
    let m = |n: u64| serve::Measured {
        latencies_ns: (1..=n).map(|i| i * 1000).collect(),
        since_sent_ns: (1..=n).map(|i| i * 1000).collect(),
        client: client::ClientStats { sent: n, ..Default::default() },
        batch: Duration::from_millis(500),
        digest: Default::default(),
        involuntary_switches: 0,
        voluntary_switches: 0,
        cpus: Some(1),
    };
    assert_eq!(measure::row(Structure::Threads, 1, Setting::One, &[m(999)], None, &[0], &[1]).p999_ms, None);
    let r = measure::row(Structure::Threads, 1, Setting::One, &[m(1000)], None, &[0], &[1]);
    assert!((r.p999_ms.unwrap() - 0.999).abs() < 0.002, "{:?}", r.p999_ms);
    let t =
        table(&file(vec![measure::row(Structure::Threads, 1, Setting::One, &[m(500)], None, &[0], &[1])]));
    assert!(t.lines().any(|l| l.starts_with("1 (1)") && l.contains(" - ")), "{t}");
}

#[test]
fn the_c9_note_says_when_requests_were_above_the_bound_and_gives_the_floor() {
    let mut rows = one_core(40.0, 0.5);
    rows[4].p99_ms = 12.0;
    let f = file(rows);
    let c9: Vec<&String> = f.notes.iter().filter(|n| n.starts_with("C9")).collect();
    let threads = c9.iter().find(|n| n.contains("threads/2")).unwrap();
    assert!(threads.contains("above the C7 bound") && !threads.contains("still finished"), "{threads}");
    assert!(threads.contains("idle floor"), "{threads}");
    let offload = c9.iter().find(|n| n.contains("async_offload/1")).unwrap();
    assert!(offload.contains("still finished") && offload.contains("within the C7 bound"), "{offload}");
}

#[test]
fn the_report_judges_the_rows_again() {
    // A file whose stored verdict and notes disagree with its rows: the section recomputes them.
    let mut f = file(one_core(40.0, 0.5));
    f.verdicts[0].verdict = Outcome::NotShown;
    f.verdicts[0].evidence = "stale".into();
    f.notes = vec!["stale note".into()];
    f.rows[2].p999_ms = Some(3.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lat.json");
    std::fs::write(&path, serde_json::to_string(&f).unwrap()).unwrap();
    let s = read_section(&path).unwrap();
    assert_eq!(s.verdicts[0].verdict, Outcome::Shown);
    assert!(!s.verdicts[0].evidence.contains("stale") && !s.markdown.contains("stale note"));
    assert!(s.markdown.contains("C9 (first evidence)"));
    assert!(!s.markdown.contains("| 3.000 |"), "a p99.9 of 500 requests is dropped: {}", s.markdown);
}

#[test]
fn the_client_gets_a_cpu_of_its_own_where_one_is_left_over() {
    // One usable CPU: client and server share it, in both settings.
    assert_eq!(placement(Setting::One, &[3]), (vec![3], vec![3]));
    assert_eq!(placement(Setting::All, &[3]), (vec![3], vec![3]));
    // Two: one core is the first, the client the last; all cores are shared (one core left is not "all").
    assert_eq!(placement(Setting::One, &[0, 1]), (vec![0], vec![1]));
    assert_eq!(placement(Setting::All, &[0, 1]), (vec![0, 1], vec![0, 1]));
    // Three or more: all cores is every CPU but the client's.
    assert_eq!(placement(Setting::One, &[0, 2, 5]), (vec![0], vec![5]));
    assert_eq!(placement(Setting::All, &[0, 2, 5]), (vec![0, 2], vec![5]));
    assert_eq!(placement(Setting::All, &[]), (vec![], vec![]));
    for n in 1..=8 {
        let cpus: Vec<usize> = (0..n).collect();
        for setting in [Setting::One, Setting::All] {
            let (server, client) = placement(setting, &cpus);
            let apart = client.iter().all(|c| !server.contains(c));
            let want = if setting == Setting::One { n >= 2 } else { n >= 3 };
            assert_eq!(apart, want, "{setting:?} on {n} CPUs");
            assert!(!server.is_empty() && !client.is_empty());
        }
    }
}

#[test]
fn the_client_pins_itself_to_its_cpus() {
    let Some(cpus) = crate::machine::allowed_cpu_ids() else { return };
    let last = *cpus.last().unwrap();
    let batch = Batch { jobs: 2, rounds: 200, yield_rounds: 20 };
    let load = Load { interval: Duration::from_millis(1), at_least: Duration::from_millis(20) };
    let m = serve::run(Structure::Threads, 1, batch, Some(load), &[last]).unwrap();
    assert_eq!(m.client.cpus, Some(1), "the client ran on CPU {last} only");
    assert_eq!(m.cpus, crate::machine::cpus_allowed_now(), "the server kept the caller's CPUs");
    assert_eq!(m.latencies_ns.len() as u64, m.client.sent);
}

/// `n` runs of one configuration whose latencies are 1 .. 200 us, then `tail` us for the last 3 of each
/// run, so each run's p99 is its `tail`.
fn runs(tails: &[u64]) -> Vec<serve::Measured> {
    tails
        .iter()
        .map(|&tail| {
            let ns: Vec<u64> = (1..=200).map(|i| if i > 197 { tail * 1000 } else { i * 1000 }).collect();
            serve::Measured {
                latencies_ns: ns.clone(),
                since_sent_ns: ns,
                client: client::ClientStats { sent: 200, ..Default::default() },
                batch: Duration::from_millis(200),
                digest: Default::default(),
                involuntary_switches: 10,
                voluntary_switches: 1,
                cpus: Some(1),
            }
        })
        .collect()
}

#[test]
fn repeated_rows_take_the_p99_interval_between_runs() {
    // Six runs: the p99 is the median of the runs' p99s, its interval the extremes (median_ci of 6 is
    // the min and max, coverage 0.969); counts are summed.
    let r = measure::row(
        Structure::Threads,
        1,
        Setting::One,
        &runs(&[1000, 2000, 3000, 4000, 5000, 6000]),
        Some(0.2),
        &[0],
        &[1],
    );
    assert_eq!(r.p99_runs_ms.len(), 6);
    assert!((r.p99_ms - 3.5).abs() < 0.01, "{}", r.p99_ms);
    assert!(
        (r.p99_range_ms.0 - 1.0).abs() < 0.01 && (r.p99_range_ms.1 - 6.0).abs() < 0.01,
        "{:?}",
        r.p99_range_ms
    );
    assert_eq!((r.sent, r.served, r.involuntary_switches), (1200, 1200, 60));
    assert!(r.client_apart() && r.p99_interval_words().contains("between runs"));
    // One run: the order-statistic interval of its requests, said so.
    let one = measure::row(Structure::Threads, 1, Setting::All, &runs(&[1000]), Some(0.2), &[0, 1], &[0, 1]);
    assert!(one.p99_runs_ms.is_empty() && !one.client_apart());
    assert!(one.p99_interval_words().contains("independent"));
}

#[test]
fn c7_not_shown_when_a_structure_computes_on_its_loop() {
    // A "responsive" structure that in fact hashes on its loop: its p99 is what a blocked loop's is, 0.99
    // of a job (19.8 ms of 20), far above 0.25 x one job: not shown, whatever the others do.
    let mut rows = one_core(19.8, 0.5);
    rows[2].p99_ms = 19.8;
    rows[2].p99_range_ms = (19.0, 20.5);
    rows[2].p99_after_send_ms = 19.8;
    let v = &file(rows).verdicts[0];
    assert_eq!(v.verdict, Outcome::NotShown, "{v:?}");
    assert!(v.evidence.contains("async_yield/1 p99 19.80 ms"), "{}", v.evidence);
}

#[test]
fn c7_shown_when_the_blocked_loop_waits_for_the_job_and_the_others_do_not() {
    // The blocked loop as the model has it: p99 0.99 of a job, its interval about it. The old rule (p99 >=
    // one job) could not be met by it; half a job is.
    let shown = file(one_core(19.8, 0.5));
    assert_eq!(shown.verdicts[0].verdict, Outcome::Shown, "{:?}", shown.verdicts);
    assert!(
        shown.verdicts[0].evidence.contains("client on CPU 1 of its own"),
        "{}",
        shown.verdicts[0].evidence
    );
    // The same from repeated rows: each run's p99 as the interval.
    let mut rows = one_core(19.8, 0.5);
    for r in &mut rows {
        r.p99_runs_ms = vec![r.p99_ms; 6];
    }
    let v = &file(rows).verdicts[0];
    assert_eq!(v.verdict, Outcome::Shown);
    assert!(v.evidence.contains("median of 6 runs") && v.evidence.contains("between runs"), "{}", v.evidence);
}

#[test]
fn rows_undecided_by_noise_are_named() {
    // The bound (5 ms) inside three responsive rows' intervals [4.75, 5.25]: each is named.
    let v = &file(one_core(40.0, 5.0)).verdicts[0];
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("undecided: async_yield/1, async_offload/1, threads/2"), "{}", v.evidence);
    // The blocked loop's threshold (10 ms) inside its interval, the others clear: only it is named.
    let mut rows = one_core(10.0, 0.5);
    rows[1].p99_range_ms = (8.0, 12.0);
    let v = &file(rows).verdicts[0];
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("undecided: async/1;"), "{}", v.evidence);
}

#[test]
fn c7_says_when_the_client_shared_the_only_cpu() {
    let mut rows = one_core(40.0, 0.5);
    for r in &mut rows {
        r.client_cpus = r.server_cpus.clone();
    }
    rows[4].p99_ms = 20.0;
    rows[4].p99_range_ms = (19.0, 21.0);
    rows[4].p99_after_send_ms = 1.0;
    rows[4].client_behind = 25;
    let v = &file(rows).verdicts[0];
    assert_eq!(v.verdict, Outcome::CannotBeShown);
    assert!(v.evidence.contains("it shared the server's CPU"), "{}", v.evidence);
    assert!(v.evidence.contains("client and server share CPU 0"), "{}", v.evidence);
}

/// C7's headline names the p99s that decided it, as the evidence writes them, with their bounds: shown, the
/// blocked loop's and the highest other; not shown or undecided, the rows that failed or that noise left
/// undecided, with their intervals; a late client, its p99 from the due time and after send.
#[test]
fn c7_is_headed_by_the_p99s_that_decided_it() {
    use crate::claims::tests::assert_headline;
    let head = |rows: Vec<Row>| {
        let v = file(rows).verdicts.remove(0);
        (v.verdict, assert_headline(&v).to_string())
    };
    let mut shown = one_core(40.0, 0.5);
    shown[4].p99_ms = 0.7;
    let mut slow = one_core(40.0, 0.5);
    slow[2].p99_ms = 19.8;
    slow[2].p99_range_ms = (19.0, 20.5);
    let mut late = one_core(40.0, 0.5);
    late[4].p99_ms = 20.0;
    late[4].p99_range_ms = (19.0, 21.0);
    late[4].p99_after_send_ms = 1.0;
    late[4].client_behind = 25;
    let heads = [shown, slow, one_core(1.0, 0.5), one_core(40.0, 5.0), late].map(head);
    let want = [
        (Outcome::Shown, "async/1 p99 40.00 ms (>= 10.00 ms); worst other threads/2 0.70 ms (<= 5.00 ms)"),
        (Outcome::NotShown, "async_yield/1 p99 19.80 ms [19.00 to 20.50] (<= 5.00 ms)"),
        (Outcome::NotShown, "async/1 p99 1.00 ms [0.95 to 1.05] (>= 10.00 ms)"),
        (Outcome::CannotBeShown, "async_yield/1 p99 5.00 ms [4.75 to 5.25] (<= 5.00 ms)"),
        (
            Outcome::CannotBeShown,
            "threads/2 p99 20.00 ms from the due time but 1.00 ms after send (<= 5.00 ms)",
        ),
    ];
    assert_eq!(heads, want.map(|(o, h)| (o, h.to_string())));
    // The one-core floor above the bound: named; nothing measured: no headline.
    let mut f = file(one_core(40.0, 0.5));
    f.floor.iter_mut().filter(|r| r.setting == Setting::One).for_each(|r| r.p99_ms = 9.0);
    assert_eq!(
        assert_headline(&verdicts(&f)[0]),
        "the harness alone: p99 9.00 ms for async_yield (<= 5.00 ms)"
    );
    let all: Vec<Row> =
        one_core(40.0, 0.5).into_iter().map(|r| Row { setting: Setting::All, cores: 2, ..r }).collect();
    assert_eq!(file(all).verdicts[0].headline, "");
}

#[test]
fn one_core_p99_reads_the_blocked_and_the_offloaded_loop_with_their_intervals() {
    let head = "kind,setting,cores,structure,workers,p99_ms,p99_lo_ms,p99_hi_ms\n";
    let csv = format!(
        "{head}load,all,2,async,1,9,8,10\nload,1,1,async,1,371.2,367.3,381.9\nload,1,1,async,2,1,1,1\n\
         floor,1,1,async_offload,1,0.1,0.1,0.2\nload,1,1,async_offload,1,2.9,,\n"
    );
    let [blocked, offloaded] = render::one_core_p99(&csv).unwrap();
    let blocked = blocked.unwrap();
    assert!((blocked.mid, blocked.lo, blocked.hi) == (371.2, 367.3, 381.9) && blocked.known, "{blocked:?}");
    let offloaded = offloaded.unwrap();
    assert!(offloaded.mid == 2.9 && !offloaded.known, "no interval written: none known: {offloaded:?}");
    assert_eq!(render::one_core_p99(&format!("{head}load,all,2,async,1,9,8,10\n")).unwrap(), [None, None]);
    assert!(render::one_core_p99("kind,setting\n").unwrap_err().contains("columns"));
}
