//! The analysis of `cvp trace`: rows -> lanes, tracks, in flight, time slicing and the C9 verdict. No I/O.

use std::time::Duration;

use super::{Interval, Pass, TraceFile};
use crate::claims::{
    C9_CPU_OURS, C9_JUDGED_OVERLAP, C9_MIN_JUDGED, C9_MOST_OF_THE_RUN, C9_SLICED, Judged, Outcome, Verdict,
};
use crate::measure;
use crate::strategy::{Phase, StrategyKind};

/// One OS thread that ran job work in a pass, and where its phases go.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    /// The OS thread id.
    pub tid: u64,
    /// The OS thread's name.
    pub thread: String,
    /// The lane's label: the name, with the tid when another lane of the pass has the same name.
    pub label: String,
    /// Indices into the pass's intervals of this thread's phases.
    pub intervals: Vec<usize>,
}

impl Pass {
    /// Cores busy = CPU time / wall time.
    pub fn cores_busy(&self) -> f64 {
        measure::cores_busy(Duration::from_secs_f64(self.cpu_s), Duration::from_secs_f64(self.wall_s))
    }

    /// In flight: the average number of jobs in progress (from a job's first phase's start to its last
    /// phase's end), i.e. the sum of the jobs' time in progress over the wall time (Little's law).
    pub fn in_flight(&self) -> f64 {
        let mut span: std::collections::BTreeMap<u64, (u64, u64)> = Default::default();
        for i in &self.intervals {
            let e = span.entry(i.job).or_insert((i.start_ns, i.end_ns));
            e.0 = e.0.min(i.start_ns);
            e.1 = e.1.max(i.end_ns);
        }
        let busy: u64 = span.values().map(|(a, b)| b - a).sum();
        if self.wall_s > 0.0 { busy as f64 / 1e9 / self.wall_s } else { 0.0 }
    }

    /// One lane per distinct OS thread that ran a phase, ordered by name (numbers in names compared as
    /// numbers) and then by first start.
    pub fn lanes(&self) -> Vec<Lane> {
        let mut lanes: Vec<Lane> = Vec::new();
        for (k, i) in self.intervals.iter().enumerate() {
            match lanes.iter_mut().find(|l| l.tid == i.tid) {
                Some(l) => l.intervals.push(k),
                None => lanes.push(Lane {
                    tid: i.tid,
                    thread: i.thread.clone(),
                    label: i.thread.clone(),
                    intervals: vec![k],
                }),
            }
        }
        let first = |l: &Lane| l.intervals.iter().map(|&k| self.intervals[k].start_ns).min().unwrap_or(0);
        lanes.sort_by(|a, b| {
            natural_key(&a.thread).cmp(&natural_key(&b.thread)).then(first(a).cmp(&first(b)))
        });
        let names: Vec<String> = lanes.iter().map(|l| l.thread.clone()).collect();
        for l in &mut lanes {
            if names.iter().filter(|n| **n == l.thread).count() > 1 {
                l.label = format!("{} [tid {}]", l.thread, l.tid);
            }
        }
        lanes
    }
}

/// A name split into text and numbers, so `x-10` sorts after `x-2`.
fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num: Option<u64> = None;
    for c in s.chars() {
        match c.to_digit(10) {
            Some(d) => num = Some(num.unwrap_or(0).saturating_mul(10).saturating_add(d as u64)),
            None => {
                if let Some(n) = num.take() {
                    out.push((std::mem::take(&mut text), n));
                }
                text.push(c);
            }
        }
    }
    out.push((text, num.unwrap_or(0)));
    out
}

/// Tracks for intervals that may overlap: track of each `(start, end)`, the fewest tracks such that no two
/// intervals on one track overlap (first fit in start order is optimal for intervals). Touching is allowed.
pub fn tracks(spans: &[(u64, u64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&k| spans[k]);
    let mut ends: Vec<u64> = Vec::new();
    let mut out = vec![0; spans.len()];
    for k in order {
        let (start, end) = spans[k];
        let t = match ends.iter().position(|&e| e <= start) {
            Some(t) => t,
            None => {
                ends.push(0);
                ends.len() - 1
            }
        };
        ends[t] = end;
        out[k] = t;
    }
    out
}

/// Tracks for one thread's phases `(start, end, is_hash)`: every hash on track 0, the thread's own (a
/// thread's hashes never overlap); each other span, in start order, on track 0 if it overlaps nothing there,
/// else on the first extra track (1, 2, ...) where it overlaps nothing. Touching is allowed.
pub fn thread_tracks(spans: &[(u64, u64, bool)]) -> Vec<usize> {
    let mut placed: Vec<Vec<(u64, u64)>> = vec![spans.iter().filter(|s| s.2).map(|s| (s.0, s.1)).collect()];
    let mut out = vec![0; spans.len()];
    let mut order: Vec<usize> = (0..spans.len()).filter(|&k| !spans[k].2).collect();
    order.sort_by_key(|&k| (spans[k].0, spans[k].1));
    for k in order {
        let (a, b, _) = spans[k];
        let free = |t: &Vec<(u64, u64)>| t.iter().all(|&(s, e)| e <= a || b <= s);
        let t = match placed.iter().position(free) {
            Some(t) => t,
            None => {
                placed.push(Vec::new());
                placed.len() - 1
            }
        };
        placed[t].push((a, b));
        out[k] = t;
    }
    out
}

/// How two or more threads shared the hashing of one pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Slicing {
    /// Distinct threads that hashed.
    pub threads: usize,
    /// Fraction of the wall time during which at least two threads were hashing.
    pub overlap: f64,
    /// For each judged hash (other threads' hashes overlapped it for >= [`C9_JUDGED_OVERLAP`] of its length,
    /// and its thread's CPU time over it is known): wall time / the thread's own CPU time over the hash.
    pub stretches: Vec<f64>,
}

impl Slicing {
    /// The judged hashes' (minimum, median) stretch; `None` when none was judged.
    pub fn min_median(&self) -> Option<(f64, f64)> {
        let mut x = self.stretches.clone();
        x.sort_by(f64::total_cmp);
        let n = x.len();
        if n == 0 {
            return None;
        }
        let median = if n % 2 == 1 { x[n / 2] } else { (x[n / 2 - 1] + x[n / 2]) / 2.0 };
        Some((x[0], median))
    }
}

/// The total length of the union of `spans`, ns.
fn union_len(mut spans: Vec<(u64, u64)>) -> u64 {
    spans.sort_unstable();
    let (mut total, mut reach) = (0u64, 0u64);
    for (a, b) in spans {
        let a = a.max(reach);
        if b > a {
            total += b - a;
            reach = b;
        }
    }
    total
}

/// The hashing of `pass`: how long two threads hashed at once, and each judged hash's stretch.
pub fn slicing(pass: &Pass) -> Slicing {
    let hashes: Vec<&Interval> = pass.intervals.iter().filter(|i| i.phase == Phase::Hash).collect();
    let mut tids: Vec<u64> = hashes.iter().map(|i| i.tid).collect();
    tids.sort_unstable();
    tids.dedup();
    // Sweep: the time during which two or more hashes (necessarily on different threads) are open.
    let mut edges: Vec<(u64, i32)> = hashes.iter().flat_map(|i| [(i.start_ns, 1), (i.end_ns, -1)]).collect();
    edges.sort_by_key(|&(t, d)| (t, d));
    let (mut open, mut last, mut both) = (0i32, 0u64, 0u64);
    for (t, d) in edges {
        if open >= 2 {
            both += t - last;
        }
        open += d;
        last = t;
    }
    // The part of `h` during which another thread was hashing too.
    let beside = |h: &Interval| -> u64 {
        union_len(
            hashes
                .iter()
                .filter(|o| o.tid != h.tid)
                .map(|o| (o.start_ns.max(h.start_ns), o.end_ns.min(h.end_ns)))
                .filter(|(a, b)| b > a)
                .collect(),
        )
    };
    let stretches = hashes
        .iter()
        .filter(|h| h.end_ns > h.start_ns)
        .filter(|h| beside(h) as f64 >= C9_JUDGED_OVERLAP * (h.end_ns - h.start_ns) as f64)
        .filter_map(|h| h.cpu_ns.filter(|&c| c > 0).map(|c| (h.end_ns - h.start_ns) as f64 / c as f64))
        .collect();
    let wall_ns = pass.wall_s * 1e9;
    Slicing {
        threads: tids.len(),
        overlap: if wall_ns > 0.0 { both as f64 / wall_ns } else { 0.0 },
        stretches,
    }
}

/// C9 from the trace, on one CPU: two threads' hashes overlap for most of the run (>=
/// [`C9_MOST_OF_THE_RUN`]), and a hash that ran beside another thread's hash (nearly) all along (>=
/// [`C9_JUDGED_OVERLAP`] of its length) got only part of the core: each such hash's wall time / the thread's
/// own CPU time over it is at least [`C9_SLICED`] (the "each job"; minimum, median and count shown).
/// Each hash is measured against its own thread's CPU clock, so no "one hash alone" baseline enters. It
/// cannot be shown when the process kept the CPU busy less than [`C9_CPU_OURS`] (other processes took it too,
/// and a stretch could be theirs) or fewer than [`C9_MIN_JUDGED`] hashes could be judged. Judged on `threads`
/// when it hashed on two threads or more, else on the first such pass. Its headline names the number that
/// decided: the stretches' minimum (and median), else the overlap, the cores busy or the count of judged hashes.
pub fn verdict_c9(file: &TraceFile) -> Verdict {
    let claim = |judged: Judged| crate::claims::claim("C9").verdict(judged);
    let cannot = |why: String| claim(crate::claims::cannot(why));
    if file.cpus != Some(1) {
        let cpus = file.cpus.map_or("an unknown number of".into(), |c| c.to_string());
        return cannot(format!(
            "the passes ran on {cpus} CPUs; C9 needs one: `cvp trace --workload cpu_bound --workers 2 --cores 1 --wait-ms 50`"
        ));
    }
    if file.rounds == 0 {
        return cannot("no hashing to share: trace cpu_bound or mixed".into());
    }
    let eligible: Vec<(&Pass, Slicing)> =
        file.passes.iter().map(|p| (p, slicing(p))).filter(|(_, s)| s.threads >= 2).collect();
    let Some((pass, s)) =
        eligible.iter().find(|(p, _)| p.strategy == StrategyKind::Threads).or_else(|| eligible.first())
    else {
        return cannot("no strategy hashed on two threads or more: trace `threads` with --workers 2".into());
    };
    let busy = pass.cores_busy();
    let head = format!("{} on 1 CPU, {} hashing threads", pass.strategy, s.threads);
    if busy < C9_CPU_OURS {
        return claim(
            crate::claims::cannot(format!(
                "{head}: the CPU was shared with other processes (cores busy {busy:.2} < {C9_CPU_OURS})"
            ))
            .with_headline(format!("cores busy {busy:.2} (>= {C9_CPU_OURS})")),
        );
    }
    let two_at_once = format!(
        "two hashing at once for {:.0}% of the run (>= {:.0}%)",
        100.0 * s.overlap,
        100.0 * C9_MOST_OF_THE_RUN
    );
    let overlap = format!("{two_at_once}, cores busy {busy:.2} (>= {C9_CPU_OURS})");
    let judged = s.stretches.len();
    if s.overlap < C9_MOST_OF_THE_RUN {
        let evidence = format!("{head}: {overlap}: the threads did not hash side by side");
        return claim(Judged { outcome: Outcome::NotShown, evidence, headline: two_at_once });
    }
    let Some((min, median)) = s.min_median().filter(|_| judged >= C9_MIN_JUDGED) else {
        let beside = format!(
            "only {judged} hash(es) ran beside another thread's for >= {:.0}% of their length",
            100.0 * C9_JUDGED_OVERLAP
        );
        return claim(
            crate::claims::cannot(format!(
                "{head}: {overlap}; {beside} (need {C9_MIN_JUDGED}): longer hashes (`--wait-ms 50` sizes them to ~50 \
                 ms; the second thread first runs a scheduler slice late) or more --jobs"
            ))
            .with_headline(format!("{beside} (>= {C9_MIN_JUDGED})")),
        );
    };
    let shown = min >= C9_SLICED;
    let took = if shown {
        format!("took wall / own CPU time >= {C9_SLICED}x each: minimum {min:.2}x, median {median:.2}x")
    } else {
        format!(
            "needed wall / own CPU time >= {C9_SLICED}x each, but the minimum was {min:.2}x (median {median:.2}x)"
        )
    };
    claim(Judged {
        outcome: if shown { Outcome::Shown } else { Outcome::NotShown },
        evidence: format!(
            "{head}: {overlap}; the {judged} hashes that ran beside another thread's for >= {:.0}% of their \
             length {took}",
            100.0 * C9_JUDGED_OVERLAP
        ),
        headline: format!(
            "wall / own CPU time of {judged} hashes: minimum {min:.2}x, median {median:.2}x (>= {C9_SLICED}x each)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::Plan;
    use super::*;
    use crate::machine::Machine;
    use crate::workload::WorkloadKind;

    fn iv(job: u64, phase: Phase, tid: u64, start_ms: u64, end_ms: u64) -> Interval {
        Interval {
            job,
            phase,
            thread: format!("t-{tid}"),
            tid,
            start_ns: start_ms * 1_000_000,
            end_ns: end_ms * 1_000_000,
            cpu_ns: None,
        }
    }

    /// A hash that ran `cpu_ms` of its thread's CPU time.
    fn hash(job: u64, tid: u64, start_ms: u64, end_ms: u64, cpu_ms: u64) -> Interval {
        Interval { cpu_ns: Some(cpu_ms * 1_000_000), ..iv(job, Phase::Hash, tid, start_ms, end_ms) }
    }

    fn pass(strategy: StrategyKind, wall_ms: u64, cpu_ms: u64, intervals: Vec<Interval>) -> Pass {
        Pass {
            strategy,
            workers: 2,
            wall_s: wall_ms as f64 / 1e3,
            cpu_s: cpu_ms as f64 / 1e3,
            intervals,
            digest: String::new(),
        }
    }

    fn file(cpus: Option<usize>, passes: Vec<Pass>) -> TraceFile {
        TraceFile {
            command: vec![],
            machine: Machine::detect(),
            plan: Plan {
                workload: WorkloadKind::CpuBound,
                jobs: 4,
                workers: 2,
                strategies: passes.iter().map(|p| p.strategy).collect(),
                wait_ms: 10,
                rounds: Some(100),
                one_core: cpus == Some(1),
                async_on_one: false,
            },
            rounds: 100,
            pinned_cpu: cpus.filter(|&c| c == 1).map(|_| 0),
            cpus,
            solo_hash_s: 0.010,
            passes,
            verdicts: vec![],
        }
    }

    /// Two threads sharing one core: each hash of 10 ms of CPU takes 20 ms, side by side.
    fn sliced() -> Pass {
        pass(
            StrategyKind::Threads,
            40,
            40,
            vec![
                hash(0, 1, 0, 20, 10),
                hash(1, 2, 0, 20, 10),
                hash(2, 1, 20, 40, 10),
                hash(3, 2, 20, 40, 10),
            ],
        )
    }

    #[test]
    fn first_fit_tracks_never_overlap_and_are_fewest() {
        let spans = [(0, 10), (1, 11), (2, 5), (5, 8), (10, 12), (11, 20)];
        let t = tracks(&spans);
        assert_eq!(t.iter().max(), Some(&2)); // at most 3 intervals open at once
        for a in 0..spans.len() {
            for b in a + 1..spans.len() {
                if t[a] == t[b] {
                    assert!(spans[a].1 <= spans[b].0 || spans[b].1 <= spans[a].0, "{a} {b}");
                }
            }
        }
    }

    #[test]
    fn c9_shown_on_one_core_with_sliced_hashes() {
        let v = verdict_c9(&file(Some(1), vec![sliced()]));
        assert_eq!(v.verdict, Outcome::Shown, "{}", v.evidence);
        assert!(v.evidence.contains("100%") && v.evidence.contains("median 2.00x"), "{}", v.evidence);
        assert!(v.evidence.contains("the 4 hashes"), "{}", v.evidence);
    }

    #[test]
    fn c9_needs_every_judged_hash_sliced_not_just_the_median() {
        // Three hashes took 2x their CPU time, one only 1.25x: the median passes, the minimum does not.
        let p = pass(
            StrategyKind::Threads,
            40,
            40,
            vec![
                hash(0, 1, 0, 20, 10),
                hash(1, 2, 0, 20, 10),
                hash(2, 1, 20, 40, 10),
                hash(3, 2, 20, 40, 16),
            ],
        );
        let v = verdict_c9(&file(Some(1), vec![p]));
        assert_eq!(v.verdict, Outcome::NotShown, "{}", v.evidence);
        assert!(v.evidence.contains("the minimum was 1.25x"), "{}", v.evidence);
    }

    #[test]
    fn c9_not_shown_when_threads_ran_in_parallel() {
        // Two cores' worth of work in the same time: each hash had a core to itself.
        let p = pass(
            StrategyKind::Threads,
            20,
            40,
            vec![
                hash(0, 1, 0, 10, 10),
                hash(1, 2, 0, 10, 10),
                hash(2, 1, 10, 20, 10),
                hash(3, 2, 10, 20, 10),
            ],
        );
        let v = verdict_c9(&file(Some(1), vec![p]));
        assert_eq!(v.verdict, Outcome::NotShown, "{}", v.evidence);
        // One after the other on one core: no overlap at all.
        let q = pass(StrategyKind::Threads, 20, 20, vec![hash(0, 1, 0, 10, 10), hash(1, 2, 10, 20, 10)]);
        assert_eq!(verdict_c9(&file(Some(1), vec![q])).verdict, Outcome::NotShown);
    }

    #[test]
    fn c9_judges_only_hashes_overlapped_almost_all_along() {
        // Hashes 0 and 1 overlap for 15 of their 20 ms (75% < 90%): not judged, however stretched; only
        // 2 and 3 are, too few to decide.
        let p = pass(
            StrategyKind::Threads,
            45,
            45,
            vec![hash(0, 1, 0, 20, 5), hash(1, 2, 5, 25, 5), hash(2, 1, 25, 45, 10), hash(3, 2, 25, 45, 10)],
        );
        let s = slicing(&p);
        assert_eq!(s.stretches, vec![2.0, 2.0]);
        let v = verdict_c9(&file(Some(1), vec![p]));
        assert_eq!(v.verdict, Outcome::CannotBeShown, "{}", v.evidence);
        assert!(v.evidence.contains("only 2"), "{}", v.evidence);
    }

    #[test]
    fn c9_cannot_be_shown_when_other_processes_shared_the_cpu() {
        let mut p = sliced();
        p.cpu_s = 0.030; // 0.75 cores busy: a quarter of the CPU went elsewhere
        let v = verdict_c9(&file(Some(1), vec![p]));
        assert_eq!(v.verdict, Outcome::CannotBeShown, "{}", v.evidence);
        assert!(v.evidence.contains("shared with other processes (cores busy 0.75"), "{}", v.evidence);
    }

    /// C9's headline names what decided it, as the evidence writes it, with its bound: the stretches' minimum
    /// and median when judged, else the overlap, the cores busy or the count of hashes judged.
    #[test]
    fn c9_is_headed_by_the_number_that_decided_it() {
        use crate::claims::tests::assert_headline;
        let head = |p: Pass| {
            let v = verdict_c9(&file(Some(1), vec![p]));
            (v.verdict, assert_headline(&v).to_string())
        };
        let unsliced = pass(
            StrategyKind::Threads,
            40,
            40,
            vec![
                hash(0, 1, 0, 20, 10),
                hash(1, 2, 0, 20, 10),
                hash(2, 1, 20, 40, 10),
                hash(3, 2, 20, 40, 16),
            ],
        );
        let apart = pass(StrategyKind::Threads, 20, 20, vec![hash(0, 1, 0, 10, 10), hash(1, 2, 10, 20, 10)]);
        let few = pass(
            StrategyKind::Threads,
            45,
            45,
            vec![hash(0, 1, 0, 20, 5), hash(1, 2, 5, 25, 5), hash(2, 1, 25, 45, 10), hash(3, 2, 25, 45, 10)],
        );
        let shared = Pass { cpu_s: 0.030, ..sliced() };
        let heads = [sliced(), unsliced, apart, few, shared].map(head);
        let want = [
            (Outcome::Shown, "wall / own CPU time of 4 hashes: minimum 2.00x, median 2.00x (>= 1.6x each)"),
            (
                Outcome::NotShown,
                "wall / own CPU time of 4 hashes: minimum 1.25x, median 2.00x (>= 1.6x each)",
            ),
            (Outcome::NotShown, "two hashing at once for 0% of the run (>= 50%)"),
            (
                Outcome::CannotBeShown,
                "only 2 hash(es) ran beside another thread's for >= 90% of their length (>= 4)",
            ),
            (Outcome::CannotBeShown, "cores busy 0.75 (>= 0.9)"),
        ];
        assert_eq!(heads, want.map(|(o, h)| (o, h.to_string())));
        // Off one core nothing was judged: no headline.
        assert_eq!(verdict_c9(&file(Some(2), vec![sliced()])).headline, "");
    }

    #[test]
    fn hashes_stay_on_their_thread_track_and_waits_fit_around_them() {
        // A hash 10..20; waits 0..5 (fits on the thread track), 2..8 and 3..30 (do not).
        let spans = [(10, 20, true), (0, 5, false), (2, 8, false), (3, 30, false), (20, 25, false)];
        assert_eq!(thread_tracks(&spans), vec![0, 0, 1, 2, 0]);
    }

    #[test]
    fn c9_cannot_be_shown_off_one_core_or_without_two_hashing_threads() {
        let v = verdict_c9(&file(Some(2), vec![sliced()]));
        assert_eq!(v.verdict, Outcome::CannotBeShown);
        assert!(v.evidence.contains("--cores 1"), "{}", v.evidence);
        let seq = pass(
            StrategyKind::Sequential,
            20,
            20,
            vec![iv(0, Phase::Hash, 1, 0, 10), iv(1, Phase::Hash, 1, 10, 20)],
        );
        assert_eq!(verdict_c9(&file(Some(1), vec![seq])).verdict, Outcome::CannotBeShown);
    }

    #[test]
    fn lanes_are_distinct_threads_labelled_by_name() {
        use Phase::*;
        let mut p = sliced();
        p.intervals.push(Interval { thread: "t-1".into(), ..iv(4, Wait, 1, 40, 41) });
        let lanes = p.lanes();
        assert_eq!(lanes.len(), 2);
        assert_eq!(lanes[0].label, "t-1");
        assert_eq!(lanes.iter().map(|l| l.intervals.len()).sum::<usize>(), p.intervals.len());
        // Same name, two threads: the tid tells them apart.
        p.intervals[1].thread = "t-1".into();
        p.intervals[3].thread = "t-1".into();
        assert!(p.lanes().iter().all(|l| l.label.contains("[tid ")));
    }

    #[test]
    fn in_flight_counts_jobs_in_progress() {
        // 4 jobs of 20 ms each in 40 ms of wall: 2 in flight on average.
        assert!((sliced().in_flight() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn natural_order_puts_10_after_2() {
        assert!(natural_key("cvp-job-2") < natural_key("cvp-job-10"));
        assert!(natural_key("cvp-async") < natural_key("cvp-job-0"));
    }
}
