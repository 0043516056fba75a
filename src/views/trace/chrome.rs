//! `trace.json`: a trace in the Chrome Trace Event Format (JSON object form), for Perfetto UI and
//! chrome://tracing.

use serde_json::json;

use super::{TraceFile, thread_tracks};
use crate::report::text::short_time as ms;
use crate::strategy::Phase;

/// tids of the extra wait tracks start here, above any Linux tid (`pid_max` is at most 2^22).
const EXTRA_TID: u64 = 100_000_000;

/// The Chrome Trace Event Format (JSON object form) of `file`: a process per pass, a track per OS thread
/// (named as the thread is) holding every hash of that thread (a thread's hashes never overlap) and its
/// waits where they fit; a wait that overlaps something on its thread's track (async: many waits at once)
/// goes to an extra track `<thread> (waits k)`, so every track's complete events are disjoint. One complete
/// event (`ph: "X"`, `ts`/`dur` in whole microseconds) per phase, with `args: {job, thread}`: `hash`,
/// `wait` (the nominal wait, from its start) and, when the wait ended later than that, `ready` (ready but
/// not yet running again) right after it on the same track. The rows ride along under the key `cvp`.
///
/// The keys come in this order on purpose: `displayTimeUnit`, then `traceEvents`, then `cvp`. Perfetto's
/// JSON reader stops at the first top-level key it does not know and ignores the rest of the file, so a
/// `cvp` key first (where a sorted map puts it) would leave Perfetto with an empty trace.
pub fn chrome_json(file: &TraceFile) -> Result<String, serde_json::Error> {
    let nominal_ns = file.plan.wait(file.rounds).as_nanos() as u64;
    let mut events = Vec::new();
    let mut extra = EXTRA_TID;
    for (p, pass) in file.passes.iter().enumerate() {
        let pid = p + 1;
        events.push(json!({"ph": "M", "name": "process_name", "pid": pid,
            "args": {"name": format!("{} ({} worker{}, wall {})", pass.strategy, pass.workers, if pass.workers == 1 { "" } else { "s" }, ms(pass.wall_s))}}));
        events
            .push(json!({"ph": "M", "name": "process_sort_index", "pid": pid, "args": {"sort_index": pid}}));
        for (l, lane) in pass.lanes().iter().enumerate() {
            // Placed in whole microseconds, as written: rounding down keeps disjoint spans disjoint.
            let spans: Vec<(u64, u64, bool)> = lane
                .intervals
                .iter()
                .map(|&k| {
                    let i = &pass.intervals[k];
                    (us(i.start_ns), us(i.end_ns), i.phase == Phase::Hash)
                })
                .collect();
            let track = thread_tracks(&spans);
            let count = track.iter().max().map_or(1, |m| m + 1);
            let mut tids = vec![lane.tid];
            for _ in 1..count {
                tids.push(extra);
                extra += 1;
            }
            for (t, &tid) in tids.iter().enumerate() {
                let name = if t == 0 { lane.label.clone() } else { format!("{} (waits {t})", lane.label) };
                events.push(
                    json!({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": name}}),
                );
                events.push(json!({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid,
                    "args": {"sort_index": l * 1000 + t}}));
            }
            for (n, &k) in lane.intervals.iter().enumerate() {
                let i = &pass.intervals[k];
                let tid = tids[track[n]];
                let args = json!({"job": i.job, "thread": i.thread});
                let mut event = |name: &str, ts: u64, end: u64| {
                    events.push(json!({"ph": "X", "name": name, "cat": "job", "pid": pid, "tid": tid,
                        "ts": ts, "dur": end - ts, "args": args}));
                };
                let (ts, end) = (spans[n].0, spans[n].1);
                match i.phase {
                    Phase::Hash => event("hash", ts, end),
                    Phase::Wait => {
                        let due = us(i.start_ns.saturating_add(nominal_ns).min(i.end_ns)).max(ts);
                        event("wait", ts, due);
                        if end > due {
                            event("ready", due, end);
                        }
                    }
                }
            }
        }
    }
    Ok(format!(
        "{{\"displayTimeUnit\":\"ms\",\"traceEvents\":{},\"cvp\":{}}}\n",
        serde_json::to_string(&events)?,
        serde_json::to_string(file)?
    ))
}

/// Whole microseconds, rounded down: monotonic, so disjoint intervals stay disjoint.
fn us(ns: u64) -> u64 {
    ns / 1000
}
