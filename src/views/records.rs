//! Records as the pages across them read them: where they are under a folder ([`find_records`]), one
//! record's machine, verdicts and numbers from its own files ([`read_record`]) or a criterion baseline as
//! `cvp report` would make it ([`baseline_record`]), and where a page about them may be written
//! ([`check_page_out`]). Its readers are the views' own (scaling, scale, latency): it composes views, so it
//! sits beside their index, and no view refers to it. The page itself is `across.rs`, beside it.

use std::path::{Component, Path, PathBuf};

use crate::claims::{Range, Verdict};
use crate::machine::Machine;
use crate::report::{self, OutputFile, ReportError};
use crate::views::{latency, scale, scaling};
use crate::workload::WorkloadKind;

/// The waits in flight the memory chart reads: the most at which `thread_per_job` runs in `cvp scale`'s
/// default sweep on a common machine (100,000 threads pass half of a usual `ulimit -u`, and that row is
/// skipped), so the one count every record has both structures at.
pub const MEMORY_AT: usize = 10_000;

/// The files of a record the page reads (a page is never written over one of them).
pub const READS: [&str; 8] = [
    "machine.json",
    "verdicts.json",
    "README.md",
    "index.html",
    "scaling.csv",
    "scale.json",
    "scale.csv",
    "latency.csv",
];

/// What a folder of records is, for the messages that refuse one.
pub const ACCEPTED: &str = "accepted: a folder holding records as `cvp report` writes them, \
                        results/<machine>/<YYYY-MM-DD>/, each with its machine.json";

/// Where a record's verdicts come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Its `verdicts.json`: every verdict as its `cvp report` judged it.
    Judged,
    /// The verdict table of its README (a record from before `verdicts.json`), as the rules of its day judged
    /// them; no headlines.
    Readme,
    /// Neither file: no verdict.
    Nothing,
}

/// One record, as the page shows it.
pub struct Record {
    /// The folder (as found or given), or `baseline 'NAME'`.
    pub name: String,
    /// Its folder, when it is one (links go to its page).
    pub folder: Option<PathBuf>,
    /// The machine that measured.
    pub machine: Machine,
    /// The day it measured (its folder's name), or `undated`.
    pub date: String,
    /// Its verdicts, never judged again.
    pub verdicts: Vec<Verdict>,
    /// Where they come from.
    pub source: Source,
    /// cpu_bound's best speedup over sequential per worker count (empty: not measured).
    pub speedups: Vec<(usize, Range)>,
    /// The work those speedups measured: cpu_bound's jobs, wait and rounds as its scaling.csv gives them
    /// (empty: not known). Two runs of other work are never compared.
    pub work: String,
    /// Memory per wait at [`MEMORY_AT`] waits: `async/1`, `thread_per_job`.
    pub memory: [Option<Range>; 2],
    /// p99 on one core while the batch computes: `async/1` (the blocked loop), `async_offload/1`.
    pub p99: [Option<Range>; 2],
}

/// A file of a folder as text: `Ok(None)` when there is none; not a regular file, or unreadable: `Err`.
fn read_file(folder: &Path, name: &str) -> Result<Option<String>, ReportError> {
    let path = folder.join(name);
    let unreadable = |why: String| ReportError::Unreadable { path: path.clone(), why };
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(unreadable(e.to_string())),
        Ok(m) if !m.is_file() => Err(unreadable("it is not a regular file".into())),
        Ok(_) => std::fs::read_to_string(&path).map(Some).map_err(|e| unreadable(e.to_string())),
    }
}

type Get<'a> = &'a dyn Fn(&str) -> Result<Option<String>, ReportError>;

/// cpu_bound's best speedups, memory per wait and one-core p99 of a record: see [`Record`].
type Numbers = (Vec<(usize, Range)>, String, [Option<Range>; 2], [Option<Range>; 2]);

/// cpu_bound's sizes in a scaling.csv: `jobs x wait ms x rounds`, each size the rows hold joined by ` and `.
fn cpu_work(text: &str) -> String {
    let Some(csv) = report::text::Csv::parse(text, &["workload", "jobs", "wait_ms", "rounds"]) else {
        return String::new();
    };
    let mut sizes: Vec<String> = csv
        .rows()
        .filter(|r| r.get("workload") == WorkloadKind::CpuBound.as_str())
        .map(|r| format!("{} jobs x {} ms x {} rounds", r.get("jobs"), r.get("wait_ms"), r.get("rounds")))
        .collect();
    sizes.sort();
    sizes.dedup();
    sizes.join(" and ")
}

/// The three views' numbers from a record's files (`get` reads one by name, `at` names its path). A file
/// missing is "not measured"; one that cannot be read as its view writes it is an error that names it.
fn numbers(get: Get, at: &dyn Fn(&str) -> PathBuf) -> Result<Numbers, ReportError> {
    let bad = |name: &str| {
        let path = at(name);
        move |why: String| ReportError::Unreadable { path, why }
    };
    let (speedups, work) = match get("scaling.csv")? {
        Some(text) => (
            scaling::render::best_speedups(&text, WorkloadKind::CpuBound).map_err(bad("scaling.csv"))?,
            cpu_work(&text),
        ),
        None => (Vec::new(), String::new()),
    };
    let (json, csv) = (get("scale.json")?, get("scale.csv")?);
    let which = if json.is_some() { "scale.json" } else { "scale.csv" };
    let memory =
        scale::render::memory_per_wait(json.as_deref(), csv.as_deref(), MEMORY_AT).map_err(bad(which))?;
    let p99 = match get("latency.csv")? {
        Some(text) => latency::render::one_core_p99(&text).map_err(bad("latency.csv"))?,
        None => [None, None],
    };
    Ok((speedups, work, memory, p99))
}

/// The record in `folder`: its machine.json (required), its verdicts (verdicts.json, else its README's
/// table), and the numbers of its files.
pub fn read_record(folder: &Path) -> Result<Record, ReportError> {
    let get = |name: &str| read_file(folder, name);
    let at = |name: &str| folder.join(name);
    let unreadable = |name: &str, why: String| ReportError::Unreadable { path: at(name), why };
    let text = get("machine.json")?.ok_or_else(|| {
        ReportError::Missing(format!(
            "{} has no machine.json, so it is no record; {ACCEPTED}",
            folder.display()
        ))
    })?;
    let machine: Machine = serde_json::from_str(&text).map_err(|e| {
        unreadable("machine.json", format!("{e} (accepted: `cvp machine --json`, as `cvp report` writes it)"))
    })?;
    let (verdicts, source) = match get("verdicts.json")? {
        Some(text) => {
            let verdicts = serde_json::from_str(&text).map_err(|e| {
                unreadable(
                    "verdicts.json",
                    format!("{e} (accepted: a JSON list of verdicts, as `cvp report` writes it)"),
                )
            })?;
            (verdicts, Source::Judged)
        }
        None => match get("README.md")? {
            Some(md) => (scaling::readme::readme_verdicts(&md), Source::Readme),
            None => (Vec::new(), Source::Nothing),
        },
    };
    let name = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dated = name.len() == 10
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    let (speedups, work, memory, p99) = numbers(&get, &at)?;
    Ok(Record {
        name: folder.display().to_string(),
        folder: Some(folder.to_path_buf()),
        machine,
        date: if dated { name } else { "undated".into() },
        verdicts,
        source,
        speedups,
        work,
        memory,
        p99,
    })
}

/// A criterion baseline as a record: what `cvp report` would make of it alone (criterion's walls decide C1,
/// C2 and C6), in memory.
pub fn baseline_record(criterion_dir: &Path, baseline: &str) -> Result<Record, ReportError> {
    let built = scaling::bench::build(&scaling::bench::Options {
        criterion_dir,
        baseline,
        run_path: None,
        command: "cvp compare --html",
        assume_this_machine: false,
        sections: Vec::new(),
        mixed_builds: false,
    })?;
    let get = |name: &str| {
        Ok(built.files.iter().find(|(n, _)| n == name).map(|(_, b)| String::from_utf8_lossy(b).into_owned()))
    };
    let at = |name: &str| criterion_dir.join(format!("{baseline} (baseline): {name}"));
    let (speedups, work, memory, p99) = numbers(&get, &at)?;
    Ok(Record {
        name: format!("baseline '{baseline}'"),
        folder: None,
        machine: built.machine.clone(),
        date: built.date.clone(),
        verdicts: built.verdicts.clone(),
        source: Source::Judged,
        speedups,
        work,
        memory,
        p99,
    })
}

/// Every record under `root` (a folder with machine.json; `root` itself may be one), in path order, hidden
/// folders (a `cvp` write in progress) left out, at most three folders down.
pub fn find_records(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        if dir.join("machine.json").is_file() {
            out.push(dir.to_path_buf());
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut dirs: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            // A linked folder is not followed: the page links records by their place in the tree, and a
            // link would take it (and a reader) outside.
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        dirs.sort();
        for d in dirs.iter().filter(|_| depth > 0) {
            walk(d, depth - 1, out);
        }
    }
    let mut out = Vec::new();
    walk(root, 3, &mut out);
    out
}

/// `to` as a link from the folder `from`: a relative path, each part percent-encoded where it is not a
/// plain file-name character. `None` when either cannot be resolved.
pub fn relative_link(from: &Path, to: &Path) -> Option<String> {
    let (from, to) = (std::fs::canonicalize(from).ok()?, std::fs::canonicalize(to).ok()?);
    let (f, t): (Vec<Component>, Vec<Component>) = (from.components().collect(), to.components().collect());
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); f.len() - common];
    for c in &t[common..] {
        let mut part = String::new();
        for b in c.as_os_str().to_string_lossy().bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                part.push(b as char);
            } else {
                part.push_str(&format!("%{b:02X}"));
            }
        }
        parts.push(part);
    }
    Some(parts.join("/"))
}

/// Refuses `out` before anything is read: a symbolic link, a folder or a block device, a file that exists
/// without `force` (a FIFO or a character device is written in place), any existing file of one of
/// `records` (and the files the page reads, even new), and a place no file can be written.
pub fn check_page_out(out: &Path, force: bool, records: &[PathBuf]) -> Result<(), ReportError> {
    // A page is written among files that may come from elsewhere (a results tree from another machine, a
    // clone): a link there could aim it at any file of the user's, so none is followed.
    if std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(ReportError::Missing(format!(
            "{} is a symbolic link, which a page is never written through; accepted: a regular file or a new \
             path",
            out.display()
        )));
    }
    if let OutputFile::Replace(real) = report::output_file(out)? {
        if real.exists() && !force {
            return Err(ReportError::Missing(format!(
                "{} already exists; pass --force to replace it (accepted: a new file, or --force)",
                out.display()
            )));
        }
        let name = real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parent = real.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let parent = std::fs::canonicalize(parent).ok();
        if let Some(record) =
            records.iter().find(|r| parent.is_some() && std::fs::canonicalize(r).ok() == parent)
            && (READS.contains(&name.as_str()) || real.exists())
        {
            return Err(ReportError::Missing(format!(
                "{} is the {name} of the record {}, which is the record's own; accepted: a new file, none of a \
                 record's own (such as {})",
                out.display(),
                record.display(),
                READS.join(", ")
            )));
        }
    }
    report::check_writable(out)
}

/// Orders records so each machine's runs sit together, machines in the order they first appear, each
/// machine's runs in the order given.
pub fn group_by_machine(records: Vec<Record>) -> Vec<Record> {
    let mut groups: Vec<Vec<Record>> = Vec::new();
    for r in records {
        match groups.iter_mut().find(|g| g[0].machine.same_hardware(&r.machine)) {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    groups.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record folder at `dir` with the committed record's machine.json and the given files.
    fn record_at(dir: &Path, files: &[(&str, &str)]) {
        std::fs::create_dir_all(dir).unwrap();
        let machine =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("results/intel-xeon-2c/2026-12-07/machine.json");
        std::fs::copy(machine, dir.join("machine.json")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    #[test]
    fn records_are_found_by_their_machine_json_and_hidden_folders_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        record_at(&tmp.path().join("b/2026-01-02"), &[]);
        record_at(&tmp.path().join("a/2026-01-01"), &[]);
        record_at(&tmp.path().join(".b.tmp-1/2026-01-03"), &[]);
        std::fs::create_dir_all(tmp.path().join("c/notes")).unwrap();
        // A link to a record elsewhere is not followed.
        let outside = tempfile::tempdir().unwrap();
        record_at(&outside.path().join("2026-01-04"), &[]);
        std::fs::create_dir_all(tmp.path().join("d")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("2026-01-04"), tmp.path().join("d/2026-01-04"))
            .unwrap();
        let found: Vec<PathBuf> = find_records(tmp.path());
        let names: Vec<String> =
            found.iter().map(|p| p.strip_prefix(tmp.path()).unwrap().display().to_string()).collect();
        assert_eq!(names, ["a/2026-01-01", "b/2026-01-02"]);
        assert!(find_records(&tmp.path().join("c")).is_empty());
        assert_eq!(find_records(&tmp.path().join("a/2026-01-01")).len(), 1, "a record itself");
    }

    #[test]
    fn a_missing_file_is_not_measured_and_an_unreadable_one_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("m/2026-01-01");
        record_at(&dir, &[("README.md", "# R\n\n## Verdicts on the claims\n\n| C1 x | **shown** | y |\n")]);
        let r = read_record(&dir).unwrap();
        assert_eq!((r.source, r.verdicts.len(), r.date.as_str()), (Source::Readme, 1, "2026-01-01"));
        assert!(r.speedups.is_empty() && r.memory == [None, None] && r.p99 == [None, None]);
        std::fs::write(dir.join("verdicts.json"), "{\"not\": \"a list\"}").unwrap();
        let e = read_record(&dir).err().unwrap().to_string();
        assert!(e.contains("verdicts.json") && e.contains("a JSON list of verdicts"), "{e}");
        std::fs::write(dir.join("verdicts.json"), "[]").unwrap();
        assert_eq!(read_record(&dir).unwrap().source, Source::Judged);
        std::fs::write(dir.join("latency.csv"), "nothing,of,it\n").unwrap();
        let e = read_record(&dir).err().unwrap().to_string();
        assert!(e.contains("latency.csv") && e.contains("columns"), "{e}");
        std::fs::remove_file(dir.join("machine.json")).unwrap();
        assert!(read_record(&dir).err().unwrap().to_string().contains("no machine.json"));
    }

    #[test]
    fn links_are_relative_and_encoded() {
        let tmp = tempfile::tempdir().unwrap();
        let (page, target) = (tmp.path().join("out"), tmp.path().join("re cords/a#1/index.html"));
        std::fs::create_dir_all(&page).unwrap();
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, "").unwrap();
        assert_eq!(relative_link(&page, &target).unwrap(), "../re%20cords/a%231/index.html");
        assert_eq!(relative_link(tmp.path(), &target).unwrap(), "re%20cords/a%231/index.html");
    }

    #[test]
    fn a_page_replaces_a_file_only_with_force_and_never_a_records_own() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("m/2026-01-01");
        record_at(&dir, &[("README.md", "")]);
        let out = tmp.path().join("page.html");
        let records = [dir.clone()];
        assert!(check_page_out(&out, false, &records).is_ok());
        std::fs::write(&out, "mine").unwrap();
        assert!(check_page_out(&out, false, &records).unwrap_err().to_string().contains("--force"));
        assert!(check_page_out(&out, true, &records).is_ok());
        let e = check_page_out(&dir.join("README.md"), true, &records).unwrap_err().to_string();
        assert!(e.contains("which is the record's own"), "{e}");
        assert!(check_page_out(&dir.join("compare.html"), false, &records).is_ok(), "a file of one's own");
        assert!(check_page_out(tmp.path(), true, &[]).is_err(), "a folder");
    }
}
