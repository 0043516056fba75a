//! `cvp compare A B`: per benchmark id, the ratio B/A of the medians and whether their confidence intervals
//! overlap. A and B are criterion baseline names or results folders (holding `scaling.csv`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::tables::{SCALING_HEADER, human_time};
use super::{ReportError, criterion};
use crate::machine::Machine;

/// Median and confidence interval, ns.
type Interval = (f64, f64, f64);

struct Side {
    label: String,
    machine: Option<Machine>,
    medians: BTreeMap<String, Interval>,
}

fn load(criterion_dir: &Path, name: &str) -> Result<Side, ReportError> {
    let folder = Path::new(name);
    if folder.is_dir() {
        let csv = folder.join("scaling.csv");
        let text = std::fs::read_to_string(&csv).map_err(|e| ReportError::Unreadable {
            path: csv.clone(),
            why: format!("{e} (a results folder written by `cvp report` holds scaling.csv)"),
        })?;
        let bad = |why: String| ReportError::Unreadable { path: csv.clone(), why };
        let mut lines = text.lines();
        if lines.next() != Some(SCALING_HEADER) {
            return Err(bad(format!("the first line is not `{SCALING_HEADER}`")));
        }
        let mut medians = BTreeMap::new();
        for (i, line) in lines.enumerate().filter(|(_, l)| !l.is_empty()) {
            let f: Vec<&str> = line.split(',').collect();
            let num = |k: usize| f.get(k).and_then(|v| v.parse::<f64>().ok());
            let (Some(m), Some(lo), Some(hi)) = (num(3), num(4), num(5)) else {
                return Err(bad(format!("line {} is not a scaling row: {line}", i + 2)));
            };
            medians.insert(format!("{}/{}/{}", f[0], f[1], f[2]), (m, lo, hi));
        }
        let machine_path = folder.join("machine.json");
        let machine = std::fs::read_to_string(&machine_path).ok().and_then(|t| serde_json::from_str(&t).ok());
        return Ok(Side { label: format!("folder {}", folder.display()), machine, medians });
    }
    let measured = criterion::read(criterion_dir, name)?;
    Ok(Side {
        label: format!("baseline '{name}' in {}", criterion_dir.display()),
        machine: None,
        medians: measured.into_iter().map(|m| (m.id, (m.median_ns, m.ci_low_ns, m.ci_high_ns))).collect(),
    })
}

/// `faster`, `slower` or `no change` (confidence intervals overlap) for B against A.
pub fn change(a: Interval, b: Interval) -> &'static str {
    if b.2 < a.1 {
        "faster"
    } else if b.1 > a.2 {
        "slower"
    } else {
        "no change"
    }
}

/// The comparison as text; machine differences come first.
pub fn compare(criterion_dir: &Path, a: &str, b: &str) -> Result<String, ReportError> {
    let (a, b) = (load(criterion_dir, a)?, load(criterion_dir, b)?);
    let mut out = String::new();
    match (&a.machine, &b.machine) {
        (Some(ma), Some(mb)) if ma.cpu_model != mb.cpu_model || ma.usable_cores() != mb.usable_cores() => {
            let _ = writeln!(
                out,
                "WARNING: different machines: A is {} with {} usable cores, B is {} with {}; the ratios mix \
                 hardware with code.\n",
                ma.cpu_model,
                ma.usable_cores(),
                mb.cpu_model,
                mb.usable_cores()
            );
        }
        (Some(_), Some(_)) => {}
        _ => {
            out += "note: machine metadata is missing on one side (criterion baselines carry none); \
                     compare only runs from the same machine.\n\n"
        }
    }
    let _ = writeln!(out, "A = {}\nB = {}\n", a.label, b.label);
    let mut rows = Vec::new();
    let mut ids: Vec<&String> = a.medians.keys().chain(b.medians.keys()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let (ra, rb) = (a.medians.get(id), b.medians.get(id));
        let t = |r: Option<&Interval>| r.map_or("-".into(), |r| human_time(r.0 / 1e9));
        let (ratio, verdict) = match (ra, rb) {
            (Some(&x), Some(&y)) => (format!("{:.3}", y.0 / x.0), change(x, y).to_string()),
            (Some(_), None) => ("-".into(), "only in A".into()),
            _ => ("-".into(), "only in B".into()),
        };
        rows.push([id.clone(), t(ra), t(rb), ratio, verdict]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
                .max(["id", "A", "B", "B/A", "change"][i].len())
        })
        .collect();
    let header = ["benchmark", "A", "B", "B/A", "change"];
    let mut line = |cells: [&str; 5]| {
        let _ = writeln!(
            out,
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = widths[0].max(9),
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    };
    line(header);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_needs_separated_intervals() {
        assert_eq!(change((10.0, 9.0, 11.0), (5.0, 4.5, 5.5)), "faster");
        assert_eq!(change((10.0, 9.0, 11.0), (20.0, 19.0, 21.0)), "slower");
        assert_eq!(change((10.0, 9.0, 11.0), (10.5, 10.8, 12.0)), "no change");
    }
}
