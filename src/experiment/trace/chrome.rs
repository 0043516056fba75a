//! `trace.json`: a trace in the Chrome Trace Event Format (JSON object form), for Perfetto UI and
//! chrome://tracing.

use serde_json::json;

use super::{TraceFile, ms, tracks};

/// tids of the extra tracks start here, above any Linux tid (`pid_max` is at most 2^22).
const EXTRA_TID: u64 = 100_000_000;

/// The Chrome Trace Event Format (JSON object form) of `file`: a process per strategy, a track per OS
/// thread (named as the thread is; overlapping waits of one thread get extra tracks of their own, so every
/// track's complete events are disjoint), one complete event (`ph: "X"`, `ts`/`dur` in whole microseconds)
/// per phase named `wait` or `hash` with `args: {job, thread}`. The rows ride along under the key `cvp`.
///
/// The keys come in this order on purpose: `displayTimeUnit`, then `traceEvents`, then `cvp`. Perfetto's
/// JSON reader stops at the first top-level key it does not know and ignores the rest of the file, so a
/// `cvp` key first (where a sorted map puts it) would leave Perfetto with an empty trace.
pub fn chrome_json(file: &TraceFile) -> Result<String, serde_json::Error> {
    let mut events = Vec::new();
    let mut extra = EXTRA_TID;
    for (p, pass) in file.passes.iter().enumerate() {
        let pid = p + 1;
        events.push(json!({"ph": "M", "name": "process_name", "pid": pid,
            "args": {"name": format!("{} ({} worker{}, wall {})", pass.strategy, pass.workers, if pass.workers == 1 { "" } else { "s" }, ms(pass.wall_s))}}));
        events
            .push(json!({"ph": "M", "name": "process_sort_index", "pid": pid, "args": {"sort_index": pid}}));
        for (l, lane) in pass.lanes().iter().enumerate() {
            let spans: Vec<(u64, u64)> = lane
                .intervals
                .iter()
                .map(|&k| (us(pass.intervals[k].start_ns), us(pass.intervals[k].end_ns)))
                .collect();
            let track = tracks(&spans);
            let count = track.iter().max().map_or(0, |m| m + 1);
            let mut tids = vec![lane.tid];
            for _ in 1..count {
                tids.push(extra);
                extra += 1;
            }
            for (t, &tid) in tids.iter().enumerate() {
                let name = if t == 0 {
                    lane.label.clone()
                } else {
                    format!("{} (overlapping waits {t})", lane.label)
                };
                events.push(
                    json!({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": name}}),
                );
                events.push(json!({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid,
                    "args": {"sort_index": l * 1000 + t}}));
            }
            for (n, &k) in lane.intervals.iter().enumerate() {
                let i = &pass.intervals[k];
                let (ts, end) = spans[n];
                events.push(json!({"ph": "X", "name": i.phase.as_str(), "cat": "job", "pid": pid,
                    "tid": tids[track[n]], "ts": ts, "dur": end - ts,
                    "args": {"job": i.job, "thread": i.thread}}));
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
