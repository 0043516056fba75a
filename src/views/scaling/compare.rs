//! `cvp compare A B`: per benchmark id, the ratio B/A of the medians, and a word for it: `faster` or
//! `slower` only when the two 95% confidence intervals are apart AND the ratio differs from 1 by more than
//! the noise threshold (criterion's 1% by default); otherwise `inconclusive`, which is not evidence of "no
//! change". A and B are criterion baseline names or results folders (holding `scaling.csv`). Differences of
//! machine or workload size are said first: such ratios compare other things than code.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::render::{SCALING_HEADER, SCALING_HEADER_V1};
use crate::machine::Machine;
use crate::report::ReportError;
use crate::report::criterion::{self, BenchSize, Provenance, WorkloadSize};
use crate::report::text::human_time;

/// Median and confidence interval, ns.
type Interval = (f64, f64, f64);

/// How `cvp compare` decides.
pub struct CompareOptions<'a> {
    /// criterion's folder, for baseline names.
    pub criterion_dir: &'a Path,
    /// Smallest relative change called `faster` or `slower` (0.01 = 1%).
    pub noise_threshold: f64,
}

struct Side {
    label: String,
    machine: Option<Machine>,
    /// Ids whose data carries no record that matches it (baselines only).
    unverified: Vec<String>,
    /// What is inconsistent inside this side (machines or sizes that differ between its rows).
    mixed: Vec<String>,
    /// Size per group (a workload, or `server`), when known.
    sizes: BTreeMap<String, BenchSize>,
    medians: BTreeMap<String, Interval>,
}

fn load_folder(folder: &Path) -> Result<Side, ReportError> {
    let csv = folder.join("scaling.csv");
    let text = std::fs::read_to_string(&csv).map_err(|e| ReportError::Unreadable {
        path: csv.clone(),
        why: format!("{e} (a results folder written by `cvp report` holds scaling.csv)"),
    })?;
    let bad = |why: String| ReportError::Unreadable { path: csv.clone(), why };
    let mut lines = text.lines();
    let with_sizes = match lines.next() {
        Some(SCALING_HEADER) => true,
        Some(SCALING_HEADER_V1) => false,
        _ => return Err(bad(format!("the first line is not `{SCALING_HEADER}`"))),
    };
    let mut medians = BTreeMap::new();
    let mut sizes = BTreeMap::new();
    for (i, line) in lines.enumerate().filter(|(_, l)| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |k: usize| f.get(k).and_then(|v| v.parse::<f64>().ok());
        let (Some(m), Some(lo), Some(hi)) = (num(3), num(4), num(5)) else {
            return Err(bad(format!("line {} is not a scaling row: {line}", i + 2)));
        };
        medians.insert(format!("{}/{}/{}", f[0], f[1], f[2]), (m, lo, hi));
        if with_sizes {
            let int = |k: usize| f.get(k).and_then(|v| v.parse::<u64>().ok());
            let (Some(jobs), Some(wait_ms), Some(rounds)) = (int(9), int(10), int(11)) else {
                return Err(bad(format!("line {} has no jobs, wait_ms, rounds: {line}", i + 2)));
            };
            let size = WorkloadSize { jobs: jobs as usize, wait_ms, rounds: rounds as u32 };
            sizes.insert(f[0].to_string(), size.into());
        }
    }
    let machine_path = folder.join("machine.json");
    let machine = std::fs::read_to_string(&machine_path).ok().and_then(|t| serde_json::from_str(&t).ok());
    Ok(Side {
        label: format!("folder {}", folder.display()),
        machine,
        unverified: Vec::new(),
        mixed: Vec::new(),
        sizes,
        medians,
    })
}

fn load(criterion_dir: &Path, name: &str) -> Result<Side, ReportError> {
    let folder = Path::new(name);
    if folder.is_dir() {
        return load_folder(folder);
    }
    let measured = criterion::read(criterion_dir, name)?;
    let mut machine: Option<Machine> = None;
    let mut sizes: BTreeMap<String, BenchSize> = BTreeMap::new();
    let (mut unverified, mut mixed) = (Vec::new(), Vec::new());
    let mut runs: BTreeMap<String, String> = BTreeMap::new();
    for m in &measured {
        let Provenance::Recorded(r) = &m.provenance else {
            unverified.push(m.id.clone());
            continue;
        };
        if let Some(first) = &machine
            && (first.git_commit != r.machine.git_commit || first.rustc != r.machine.rustc)
        {
            mixed.push(format!(
                "{} was measured by {}, other rows by {}",
                m.id,
                r.machine.git_commit.as_deref().unwrap_or("an unknown commit"),
                first.git_commit.as_deref().unwrap_or("an unknown commit")
            ));
        }
        if m.group != "reference" {
            match runs.get(&m.group) {
                None => {
                    runs.insert(m.group.clone(), r.invocation.clone());
                }
                Some(first) if *first != r.invocation => mixed.push(format!(
                    "{} was measured by another bench run than the other {} rows",
                    m.id, m.group
                )),
                Some(_) => {}
            }
        }
        match &machine {
            None => machine = Some(r.machine.clone()),
            Some(first) if !first.same_hardware(&r.machine) => mixed.push(format!(
                "{} was measured on {}, not {}",
                m.id,
                r.machine.summary(),
                first.summary()
            )),
            Some(_) => {}
        }
        if m.group != "reference" {
            match sizes.get(&m.group) {
                None => {
                    sizes.insert(m.group.clone(), r.size);
                }
                Some(first) if *first != r.size => {
                    mixed.push(format!("{} ran at {}, other {} rows at {first}", m.id, r.size, m.group))
                }
                Some(_) => {}
            }
        }
    }
    Ok(Side {
        label: format!("baseline '{name}' in {}", criterion_dir.display()),
        machine,
        unverified,
        mixed,
        sizes,
        medians: measured.into_iter().map(|m| (m.id, (m.median_ns, m.ci_low_ns, m.ci_high_ns))).collect(),
    })
}

/// `faster`, `slower` or `inconclusive` for B against A: a change needs apart confidence intervals and a
/// ratio beyond `1 +- threshold`.
pub fn change(a: Interval, b: Interval, threshold: f64) -> &'static str {
    let ratio = b.0 / a.0;
    if b.2 < a.1 && ratio < 1.0 - threshold {
        "faster"
    } else if b.1 > a.2 && ratio > 1.0 + threshold {
        "slower"
    } else {
        "inconclusive"
    }
}

/// The comparison as text; differences of machine and size come first, the caveats last.
pub fn compare(opts: &CompareOptions, a: &str, b: &str) -> Result<String, ReportError> {
    let (a, b) = (load(opts.criterion_dir, a)?, load(opts.criterion_dir, b)?);
    let mut out = String::new();
    match (&a.machine, &b.machine) {
        (Some(ma), Some(mb)) if !ma.same_hardware(mb) => {
            let _ = writeln!(
                out,
                "WARNING: different machines: A is {}, B is {}; the ratios mix hardware with code.\n",
                ma.summary(),
                mb.summary()
            );
        }
        (Some(_), Some(_)) => {}
        (ma, mb) => {
            let unknown: Vec<&str> =
                [("A", ma), ("B", mb)].iter().filter(|(_, m)| m.is_none()).map(|(s, _)| *s).collect();
            let _ = writeln!(
                out,
                "note: the machine of {} is unknown (no record of it); compare only runs from the same machine.\n",
                unknown.join(" and ")
            );
        }
    }
    for (side, x) in [("A", &a), ("B", &b)] {
        for problem in &x.mixed {
            let _ = writeln!(out, "WARNING: {side} is not one run: {problem}.");
        }
        if !x.unverified.is_empty() {
            let _ = writeln!(
                out,
                "WARNING: {} benchmark(s) of {side} carry no record that matches their data (left from an earlier \
                 run, or measured before records existed); they are marked `unverified`, not compared.",
                x.unverified.len()
            );
        }
    }
    if [&a, &b].iter().any(|x| !x.mixed.is_empty() || !x.unverified.is_empty()) {
        out.push('\n');
    }
    for (group, sa) in &a.sizes {
        if let Some(sb) = b.sizes.get(group).filter(|sb| *sb != sa) {
            let _ = writeln!(
                out,
                "WARNING: {group} ran at different sizes: A {sa}, B {sb}; its ratios compare different work.\n"
            );
        }
    }
    let build = |x: &Side| {
        x.machine.as_ref().map_or(String::new(), |m| {
            format!(" (commit {}, {})", m.git_commit.as_deref().unwrap_or("unknown"), m.rustc)
        })
    };
    let _ = writeln!(out, "A = {}{}\nB = {}{}\n", a.label, build(&a), b.label, build(&b));
    let mut rows = Vec::new();
    let mut ids: Vec<&String> = a.medians.keys().chain(b.medians.keys()).collect();
    ids.sort();
    ids.dedup();
    let mut compared = 0;
    for id in ids {
        let (ra, rb) = (a.medians.get(id), b.medians.get(id));
        let t = |r: Option<&Interval>| r.map_or("-".into(), |r| human_time(r.0 / 1e9));
        let unverified: Vec<&str> = [("A", &a), ("B", &b)]
            .iter()
            .filter(|(_, x)| x.unverified.contains(id))
            .map(|(n, _)| *n)
            .collect();
        let (ratio, verdict) = match (ra, rb) {
            (Some(&x), Some(&y)) if !unverified.is_empty() => (
                format!("{:.3}", y.0 / x.0),
                format!("unverified ({} has no matching record)", unverified.join(", ")),
            ),
            (Some(&x), Some(&y)) => {
                compared += 1;
                let r = y.0 / x.0;
                (
                    format!("{r:.3}"),
                    format!("{} ({:+.1}%)", change(x, y, opts.noise_threshold), (r - 1.0) * 100.0),
                )
            }
            (Some(_), None) => ("-".into(), "only in A".into()),
            _ => ("-".into(), "only in B".into()),
        };
        rows.push([id.clone(), t(ra), t(rb), ratio, verdict]);
    }
    let header = ["benchmark", "A", "B", "B/A", "change"];
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0).max(header[i].len()))
        .collect();
    let mut line = |cells: [&str; 5]| {
        let _ = writeln!(
            out,
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    };
    line(header);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
    let _ = writeln!(
        out,
        "\nfaster / slower: the 95% confidence intervals are apart and the medians differ by more than {:.1}% \
         (--noise-threshold); inconclusive: they do not, which is not evidence of no change. {compared} \
         benchmarks were compared: with no real change, two independent 95% intervals still miss each other \
         about once in 180 comparisons, and a machine that drifts between runs does it more often, so rerun \
         before believing a single change.",
        opts.noise_threshold * 100.0
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_needs_apart_intervals_and_a_real_effect() {
        assert_eq!(change((10.0, 9.0, 11.0), (5.0, 4.5, 5.5), 0.01), "faster");
        assert_eq!(change((10.0, 9.0, 11.0), (20.0, 19.0, 21.0), 0.01), "slower");
        assert_eq!(change((10.0, 9.0, 11.0), (10.5, 10.8, 12.0), 0.01), "inconclusive");
        // Apart intervals, but a 0.5% difference: below the noise threshold.
        assert_eq!(change((100.0, 99.9, 100.1), (99.5, 99.4, 99.6), 0.01), "inconclusive");
        assert_eq!(change((100.0, 99.9, 100.1), (99.5, 99.4, 99.6), 0.001), "faster");
    }
}
