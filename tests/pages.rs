//! The HTML pages, read as a browser reads them (an HTML parser, not string matching): a record's
//! `index.html` from `cvp report`, the page the benches leave in criterion's folder, and the page across
//! records (`cvp report --index`, `cvp compare --html`). Each has every claim, loads nothing, runs no script,
//! links only inside its folder, and shows a record's strings as text however hostile.

use std::path::{Path, PathBuf};
use std::process::Command;

use scraper::{Html, Selector};

fn golden(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/input").join(path)
}

fn cvp(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cvp")).args(args).output().unwrap()
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// Copies a folder tree.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Every check a page must pass wherever it is: nothing loaded, no script, every link resolves (to an id
/// of the page, a file under `folder`, or an http(s) page).
fn self_contained(page: &Html, folder: &Path) {
    for script in page.select(&sel("script")) {
        assert_eq!(
            script.value().attr("type"),
            Some("application/json"),
            "only data, never code: {}",
            script.html()
        );
    }
    for tag in ["link", "iframe", "object", "embed", "frame", "base", "audio", "video", "source"] {
        assert_eq!(page.select(&sel(tag)).count(), 0, "a page loads nothing: found <{tag}>");
    }
    for img in page.select(&sel("img")) {
        let src = img.value().attr("src").unwrap_or("");
        assert!(src.starts_with("data:image/svg+xml;base64,"), "an image is inline: {src:.60}");
    }
    let policy = page.select(&sel("meta[http-equiv='Content-Security-Policy']")).next().expect("a policy");
    assert!(policy.value().attr("content").unwrap().starts_with("default-src 'none'"));
    for a in page.select(&sel("a[href]")) {
        let href = a.value().attr("href").unwrap();
        if let Some(id) = href.strip_prefix('#') {
            assert!(page.select(&sel(&format!("[id='{id}']"))).next().is_some(), "anchor {href} exists");
        } else if !href.starts_with("https://") && !href.starts_with("http://") {
            assert!(!href.contains(':'), "no other scheme: {href}");
            assert!(folder.join(href).is_file(), "{href} resolves inside {}", folder.display());
        }
        for bad in ["javascript", "file:"] {
            assert!(!href.to_lowercase().contains(bad), "{href}");
        }
    }
    for e in page.root_element().descendants().filter_map(scraper::ElementRef::wrap) {
        for (name, _) in e.value().attrs() {
            assert!(!name.starts_with("on"), "no event handler attribute: {}", e.html());
        }
    }
}

/// The board's main rows (not the twins' and boundary lines'): (claim id, verdict class).
fn board(page: &Html) -> Vec<(String, String)> {
    page.select(&sel(".board .row:not(.sub)"))
        .map(|row| {
            let id = row.select(&sel(".id")).next().unwrap().text().collect::<String>();
            let class = row.value().attr("class").unwrap().replace("row ", "");
            (id.trim().to_string(), class)
        })
        .collect()
}

const EVERY_VIEW: &[&str] = &[
    "--run",
    "run.json",
    "--scale",
    "scale.json",
    "--scale",
    "scale_socket.json",
    "--latency",
    "latency.json",
    "--trace",
    "trace-mixed.json",
    "--trace",
    "trace-cpu_bound-1cpu.json",
    "--trace",
    "trace-net_bound.json",
];

#[test]
fn a_records_page_has_the_board_every_section_and_loads_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut args =
        vec!["report".to_string(), "--criterion-dir".into(), golden("criterion").display().to_string()];
    for a in EVERY_VIEW {
        args.push(if a.starts_with("--") { a.to_string() } else { golden(a).display().to_string() });
    }
    args.extend(["--out".into(), out.display().to_string()]);
    let o = Command::new(env!("CARGO_BIN_EXE_cvp")).args(&args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(out.join("index.html")).unwrap();
    assert!(bytes.len() < 2 << 20, "a record's page stays under 2 MB: {}", bytes.len());
    let page = Html::parse_document(&String::from_utf8(bytes).unwrap());
    self_contained(&page, &out);
    let rows = board(&page);
    let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"], "{rows:?}");
    assert!(rows.iter().all(|(_, class)| class != "missing"), "every view was given: {rows:?}");
    assert!(page.select(&sel(".board .row.sub")).count() >= 3, "net_bound twins sit under C1, C3, C8");
    // Each view's section is there, with its figure, and the board's links reach them.
    for view in ["scaling", "scale", "latency", "trace"] {
        let heading = page.select(&sel(&format!("h2#view-{view}"))).next();
        assert!(heading.is_some(), "the {view} section has its anchor");
    }
    // Each claim links to the figure that decides it: the heading its link names says which.
    let target = |id: &str| {
        let href = page
            .select(&sel(".board .row:not(.sub)"))
            .find(|r| r.select(&sel(".id a")).next().is_some_and(|a| text_of(a) == id))
            .and_then(|r| r.select(&sel(".id a")).next())
            .and_then(|a| a.value().attr("href"))
            .unwrap_or_else(|| panic!("{id} has a link"));
        let anchor = href.strip_prefix('#').unwrap_or_else(|| panic!("{id}: {href}"));
        let found = page.select(&sel(&format!("[id=\"{anchor}\"]"))).next();
        text_of(found.unwrap_or_else(|| panic!("{id}: nothing has the id {anchor}")))
    };
    for id in ["C1", "C3", "C4", "C5"] {
        assert_eq!(target(id), "io_bound", "{id}");
    }
    assert_eq!(target("C2"), "cpu_bound");
    assert!(target("C9").contains("on one CPU"), "{}", target("C9"));
    assert!(target("C8").starts_with("Scale"), "{}", target("C8"));
    assert!(target("C7").starts_with("Latency"), "{}", target("C7"));
    assert!(page.select(&sel("figure img")).count() >= 8, "the plots are inline");
    // The data, for anyone to re-analyse: the run file parses back as JSON.
    let data = page.select(&sel("script#data-run\\.json")).next().expect("run.json embedded");
    let run: serde_json::Value = serde_json::from_str(&data.text().collect::<String>()).unwrap();
    assert!(run["runs"].as_array().is_some_and(|r| !r.is_empty()), "the run's rows are there");
    // Long cells fold instead of filling the table.
    assert!(page.select(&sel("td details")).count() > 0, "long evidence folds");
}

#[test]
fn a_records_strings_are_text_on_the_page_never_markup() {
    let tmp = tempfile::tempdir().unwrap();
    let crit = tmp.path().join("criterion");
    copy_tree(&golden("criterion"), &crit);
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let mut stack = vec![crit.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() == "cvp-record.json" {
                let mut record: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
                record["machine"]["cpu_model"] = hostile.into();
                std::fs::write(&p, serde_json::to_vec(&record).unwrap()).unwrap();
            }
        }
    }
    let out = tmp.path().join("out");
    let o = cvp(&["report", "--criterion-dir", crit.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let raw = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(!raw.contains("<script>alert"), "the CPU model is escaped everywhere");
    assert!(!raw.contains("<img src=x"), "the CPU model is escaped everywhere");
    let page = Html::parse_document(&raw);
    self_contained(&page, &out);
    let title = page.select(&sel("title")).next().unwrap().text().collect::<String>();
    assert!(title.contains(hostile), "shown as the text it is: {title}");
    assert!(page.root_element().text().any(|t| t.contains(hostile)), "in the body as text too");
}

#[test]
fn the_bench_page_decides_what_criterion_can_and_names_the_commands_for_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let crit = tmp.path().join("criterion");
    copy_tree(&golden("criterion"), &crit);
    // criterion's own page for the benchmark that decides C1 (criterion writes one per benchmark).
    let c1 = crit.join("io_bound/async/1/report");
    std::fs::create_dir_all(&c1).unwrap();
    std::fs::write(c1.join("index.html"), "<html></html>").unwrap();
    let page_path = cvp::views::scaling::page::write_bench_page(&crit, "new").unwrap();
    assert_eq!(page_path, crit.join("cvp/index.html"));
    let page = Html::parse_document(&std::fs::read_to_string(&page_path).unwrap());
    self_contained(&page, &crit.join("cvp"));
    let rows = board(&page);
    let decided: Vec<&str> = rows.iter().filter(|(_, c)| c != "missing").map(|(id, _)| id.as_str()).collect();
    assert_eq!(decided, ["C1", "C2", "C6"], "criterion's walls decide these alone: {rows:?}");
    let c1_link = page.select(&sel(".board .row:not(.sub) .id a")).next().unwrap();
    assert_eq!(c1_link.value().attr("href"), Some("../io_bound/async/1/report/index.html"));
    let text: String = page.root_element().text().collect();
    for command in ["-- run", "-- latency", "-- scale", "-- trace --cores 1"] {
        assert!(text.contains(command), "names `{command}`: {text:.300}");
    }
    // Run again: the folder is the page's own, replaced whole; a file of the user's beside it stays.
    std::fs::write(crit.join("cvp/mine.txt"), "mine").unwrap();
    cvp::views::scaling::page::write_bench_page(&crit, "new").unwrap();
    assert_eq!(std::fs::read_to_string(crit.join("cvp/mine.txt")).unwrap(), "mine");
    // Only io_bound benched (`cargo bench --bench io_bound`): C2 and C6 are not measured, not undecided.
    for group in ["cpu_bound", "cpu_chain", "mixed", "net_bound", "reference"] {
        let _ = std::fs::remove_dir_all(crit.join(group));
    }
    let page_path = cvp::views::scaling::page::write_bench_page(&crit, "new").unwrap();
    let page = Html::parse_document(&std::fs::read_to_string(&page_path).unwrap());
    let rows = board(&page);
    let decided: Vec<&str> = rows.iter().filter(|(_, c)| c != "missing").map(|(id, _)| id.as_str()).collect();
    assert_eq!(decided, ["C1"], "{rows:?}");
    let text: String = page.root_element().text().collect();
    assert!(text.contains("not measured: needs cargo bench --bench cpu_bound"), "{text:.600}");
}

#[test]
fn the_bench_page_says_why_when_criterions_folder_is_not_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let crit = tmp.path().join("criterion");
    copy_tree(&golden("criterion"), &crit);
    let p = crit.join("cpu_bound/threads/2/new/cvp-record.json");
    let mut record: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    record["machine"]["rustc"] = "rustc 1.70.0 (another compiler)".into();
    std::fs::write(&p, serde_json::to_vec(&record).unwrap()).unwrap();
    let page_path = cvp::views::scaling::page::write_bench_page(&crit, "new").unwrap();
    let page = Html::parse_document(&std::fs::read_to_string(page_path).unwrap());
    let rows = board(&page);
    assert!(rows.iter().all(|(_, c)| c == "missing"), "no verdict from a mix: {rows:?}");
    let text: String = page.root_element().text().collect();
    assert!(text.contains("mixes builds"), "says why: {text:.400}");
}

// ---------------------------------------------------------------------------------------------------------
// The page across records.

/// The committed record `machine/date` under results/.
fn committed(record: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("results").join(record)
}

const AMD: &str = "amd-epyc-2c/2026-11-27";
const INTEL: &str = "intel-xeon-2c/2026-12-07";

/// A results tree in `root` with copies of the committed records: (committed record, its path under root).
fn results_tree(root: &Path, records: &[(&str, &str)]) {
    for (from, to) in records {
        copy_tree(&committed(from), &root.join(to));
    }
}

/// `cvp report --index root` (and `extra` flags), which must succeed; the page, parsed, and its text.
fn index_page(root: &Path, extra: &[&str]) -> (Html, String) {
    let mut args = vec!["report", "--index", root.to_str().unwrap()];
    args.extend(extra);
    let o = cvp(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let raw = std::fs::read_to_string(root.join("index.html")).unwrap();
    assert!(raw.len() < 2 << 20, "the page stays under 2 MB: {}", raw.len());
    let page = Html::parse_document(&raw);
    self_contained(&page, root);
    (page, raw)
}

fn text_of(e: scraper::ElementRef) -> String {
    e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The numbers table's cells of row `label` (a prefix of its row heading), one per column.
fn numbers_row(page: &Html, label: &str) -> Vec<String> {
    let row = page
        .select(&sel("table.numbers tbody tr"))
        .find(|tr| tr.select(&sel("th")).next().is_some_and(|th| text_of(th).starts_with(label)))
        .unwrap_or_else(|| panic!("no numbers row {label}"));
    row.select(&sel("td")).map(text_of).collect()
}

/// Every cell's text of both tables, without the explanations above them.
fn cells(page: &Html) -> String {
    page.select(&sel("table.across td, table.across th")).map(text_of).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_page_across_records_has_a_column_per_machine_every_claim_and_three_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    results_tree(&root, &[(AMD, AMD), (INTEL, INTEL)]);
    let (page, _) = index_page(&root, &[]);
    // A column per machine: its CPU model, its cores; under it its record's date, linked to its own page.
    let machines: Vec<String> = page.select(&sel("table.verdicts th.machine")).map(text_of).collect();
    assert_eq!(machines.len(), 2, "{machines:?}");
    assert!(machines[0].starts_with("AMD EPYC 2 cores"), "{machines:?}");
    assert!(machines[1].starts_with("Intel(R) Xeon(R) Processor 2 cores"), "{machines:?}");
    let runs: Vec<_> = page.select(&sel("table.verdicts th.run")).collect();
    let links: Vec<&str> =
        runs.iter().map(|th| th.select(&sel("a")).next().unwrap().value().attr("href").unwrap()).collect();
    assert_eq!(links, [format!("{AMD}/README.md"), format!("{INTEL}/index.html")], "README where no page");
    assert!(text_of(runs[0]).contains("2026-11-27") && text_of(runs[1]).contains("2026-12-07"));
    // Every claim a row (C1..C9), the twins under their claims, each cell a verdict's class.
    let claims: Vec<&str> = page
        .select(&sel("table.verdicts tr.claim-row:not(.sub)"))
        .map(|tr| tr.value().attr("data-claim").unwrap())
        .collect();
    assert_eq!(claims, ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]);
    assert!(page.select(&sel("table.verdicts tr.claim-row.sub")).count() >= 3, "net_bound twins, C4's line");
    // Each cell is the verdict its record holds: Intel's from its verdicts.json, AMD's from its README.
    let json: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(committed(INTEL).join("verdicts.json")).unwrap()).unwrap();
    let class = |v: &str| match v {
        "shown" => "shown",
        "not shown" => "not-shown",
        "cannot be shown here" => "cannot",
        other => panic!("{other}"),
    };
    for tr in page.select(&sel("table.verdicts tr.claim-row:not(.sub)")) {
        let id = tr.value().attr("data-claim").unwrap();
        let tds: Vec<_> = tr.select(&sel("td")).collect();
        assert_eq!(tds.len(), 2);
        let want = json
            .iter()
            .find(|v| v["claim"] == id)
            .map_or("missing", |v| class(v["verdict"].as_str().unwrap()));
        assert_eq!(tds[1].value().attr("class"), Some(want), "{id} on Intel");
        assert!(tds[1].select(&sel("details p")).next().is_some(), "{id}: the evidence folds");
        let amd = tds[0].value().attr("class").unwrap();
        assert!(["shown", "not-shown", "cannot"].contains(&amd), "{id} on AMD: {amd}");
        assert!(text_of(tds[0]).contains("from its README"), "{id}: AMD has no verdicts.json");
    }
    // The numbers, each with its interval where the record has one.
    assert_eq!(numbers_row(&page, "p99 on one core, async/1")[1], "371.20 ms [367.26 ms to 381.94 ms]");
    assert!(numbers_row(&page, "memory per wait at 10,000 waits, thread_per_job")[0].starts_with("8.5 KiB"));
    // The three charts.
    let alts: Vec<&str> = page.select(&sel("figure img")).map(|i| i.value().attr("alt").unwrap()).collect();
    assert_eq!(alts.len(), 3, "{alts:?}");
    assert!(alts[0].contains("speedup") && alts[1].contains("memory per wait") && alts[2].contains("p99"));
}

#[test]
fn two_machines_are_never_compared_only_called_another_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    results_tree(&root, &[(AMD, AMD), (INTEL, INTEL)]);
    let (page, _) = index_page(&root, &[]);
    let other: Vec<String> = page.select(&sel("table.verdicts th.machine .other")).map(text_of).collect();
    assert_eq!(other, ["another machine"], "the second machine is marked, the first is the reference");
    let notes: Vec<String> = page.select(&sel("table.across .change")).map(text_of).collect();
    assert!(notes.is_empty(), "nothing compared between machines: {notes:?}");
    let cells = cells(&page);
    for word in ["within the intervals", "intervals are apart", "regression", "improvement", "run 2"] {
        assert!(!cells.contains(word), "nothing compared between machines: {word:?} in {cells}");
    }
}

#[test]
fn two_runs_of_one_machine_are_compared_within_the_intervals_or_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    let later = "intel-xeon-2c/2026-12-08";
    results_tree(&root, &[(INTEL, INTEL), (INTEL, later)]);
    // The later run's blocked loop three times slower on one core (its interval too); all else the same.
    let csv = root.join(later).join("latency.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    // Its fields after `load,1,1,async,1,SENT,`: served, p50, p90, p99, p99_lo, p99_hi, ...
    let row = "load,1,1,async,1,2267,";
    let slower: Vec<String> = text
        .lines()
        .map(|l| match l.strip_prefix(row) {
            Some(rest) => {
                let mut f: Vec<String> = rest.split(',').map(String::from).collect();
                for x in &mut f[3..=5] {
                    *x = (x.parse::<f64>().unwrap() * 3.0).to_string();
                }
                format!("{row}{}", f.join(","))
            }
            None => l.to_string(),
        })
        .collect();
    assert_ne!(slower.join("\n"), text.trim_end(), "the row was found");
    let slower = slower.join("\n");
    std::fs::write(&csv, slower + "\n").unwrap();
    let (page, _) = index_page(&root, &[]);
    assert_eq!(page.select(&sel("table.verdicts th.machine")).count(), 1, "one machine");
    let runs: Vec<String> = page.select(&sel("table.verdicts th.run")).map(text_of).collect();
    assert!(runs[0].contains("run 1 of 2") && runs[1].contains("run 2 of 2"), "{runs:?}");
    let speedup = numbers_row(&page, "cpu_bound best speedup, N=2");
    assert!(!speedup[0].contains("within"), "the first run has nothing to be compared with: {speedup:?}");
    assert!(speedup[1].ends_with("within the intervals of run 1"), "{speedup:?}");
    let p99 = numbers_row(&page, "p99 on one core, async/1");
    assert!(p99[1].ends_with("3.00x run 1: the intervals are apart"), "{p99:?}");
    let cells = cells(&page);
    for word in ["another machine", "regression", "improvement"] {
        assert!(!cells.contains(word), "{word:?} in {cells}");
    }
    // The later run measured other work (cpu_bound at other rounds): its speedups are not compared.
    let scaling = root.join(later).join("scaling.csv");
    let text = std::fs::read_to_string(&scaling).unwrap();
    let other: String = text
        .lines()
        .map(|l| {
            if l.starts_with("cpu_bound,") {
                format!("{}\n", l.replace(",128,0,20000", ",4,0,100"))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_ne!(other, text, "the cpu_bound rows were found");
    std::fs::write(&scaling, other).unwrap();
    let (page, _) = index_page(&root, &["--force"]);
    let speedup = numbers_row(&page, "cpu_bound best speedup, N=2");
    assert!(speedup[1].ends_with("other sizes than run 1: not compared"), "{speedup:?}");
    let p99 = numbers_row(&page, "p99 on one core, async/1");
    assert!(p99[1].ends_with("the intervals are apart"), "other numbers are still compared: {p99:?}");
}

#[test]
fn a_hostile_cpu_model_is_text_on_the_page_across_records() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    results_tree(&root, &[(INTEL, INTEL)]);
    let hostile = "<script>alert(1)</script>";
    let path = root.join(INTEL).join("machine.json");
    let mut machine: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    machine["cpu_model"] = hostile.into();
    std::fs::write(&path, serde_json::to_vec(&machine).unwrap()).unwrap();
    let (page, raw) = index_page(&root, &[]);
    assert!(!raw.contains("<script>alert"), "escaped everywhere");
    let th = text_of(page.select(&sel("table.verdicts th.machine")).next().unwrap());
    assert!(th.starts_with(hostile), "shown as the text it is: {th}");
}

#[test]
fn bad_input_to_the_page_across_records_exits_2_and_says_what_is_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(empty.join("notes")).unwrap();
    // A mistyped record folder is named as such, not taken for a baseline's name.
    let page = tmp.path().join("page.html");
    let typo = tmp.path().join("typo-folder");
    let o = cvp(&[
        "compare",
        &committed(INTEL).to_string_lossy(),
        &typo.to_string_lossy(),
        "--html",
        &page.to_string_lossy(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is no folder; accepted: a results folder"));
    assert!(!page.exists());
    let o = cvp(&["report", "--index", empty.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no records under it") && err.contains("accepted:"), "{err}");
    assert!(!empty.join("index.html").exists());
    // An unreadable verdicts.json: named, nothing written.
    let root = tmp.path().join("results");
    results_tree(&root, &[(INTEL, INTEL)]);
    std::fs::write(root.join(INTEL).join("verdicts.json"), "{ not json").unwrap();
    let o = cvp(&["report", "--index", root.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("verdicts.json") && err.contains("accepted:"), "{err}");
    assert!(!root.join("index.html").exists());
    // A record without latency.csv: that chart's numbers are "not measured", not an error.
    std::fs::copy(committed(INTEL).join("verdicts.json"), root.join(INTEL).join("verdicts.json")).unwrap();
    std::fs::remove_file(root.join(INTEL).join("latency.csv")).unwrap();
    let (page, _) = index_page(&root, &[]);
    assert_eq!(numbers_row(&page, "p99 on one core, async/1"), ["not measured"]);
    assert_eq!(page.select(&sel("figure img")).count(), 3, "the chart stays, its row says so");
    // Made again: refused without --force (the page is a file like any other), replaced with it.
    let o = cvp(&["report", "--index", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    index_page(&root, &["--force"]);
}

#[test]
fn compare_html_writes_the_page_for_two_records_and_keeps_its_text() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    results_tree(&root, &[(INTEL, INTEL), (INTEL, "intel-xeon-2c/2026-12-08")]);
    let (a, b) = (root.join(INTEL), root.join("intel-xeon-2c/2026-12-08"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let out = tmp.path().join("compare.html");
    let plain = cvp(&["compare", a, b]);
    let with = cvp(&["compare", a, b, "--html", out.to_str().unwrap()]);
    assert!(with.status.success(), "{}", String::from_utf8_lossy(&with.stderr));
    assert_eq!(plain.stdout, with.stdout, "the text is unchanged");
    let page = Html::parse_document(&std::fs::read_to_string(&out).unwrap());
    self_contained(&page, tmp.path());
    let runs: Vec<String> = page.select(&sel("table.verdicts th.run")).map(text_of).collect();
    assert!(runs[0].ends_with('A') && runs[1].ends_with('B'), "{runs:?}");
    assert!(numbers_row(&page, "cpu_bound best speedup, N=2")[1].ends_with("within the intervals of A"));
    // The file is the user's now: not replaced without --force; never written through a link.
    std::fs::write(&out, "mine").unwrap();
    let o = cvp(&["compare", a, b, "--html", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "nothing printed when the page cannot be written");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
    let link = tmp.path().join("link.html");
    std::os::unix::fs::symlink(&out, &link).unwrap();
    let o = cvp(&["compare", a, b, "--html", link.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is a symbolic link"));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine", "its target is untouched");
    // Any existing file of a record, with --force too.
    let own = Path::new(a).join("speedup_cpu_bound.svg");
    let before = std::fs::read(&own).unwrap();
    let o = cvp(&["compare", a, b, "--html", own.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&own).unwrap(), before);
    // Two machines: said, and not compared.
    let amd = root.join("amd");
    copy_tree(&committed(AMD), &amd);
    let other = tmp.path().join("two.html");
    let o = cvp(&["compare", amd.to_str().unwrap(), a, "--html", other.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = Html::parse_document(&std::fs::read_to_string(&other).unwrap());
    let note = text_of(page.select(&sel("p.note")).next().unwrap());
    assert!(note.contains("different machines") && note.contains("another machine"), "{note}");
    assert!(!cells(&page).contains("within the intervals"));
}

#[test]
fn compare_html_reads_two_criterion_baselines_as_records() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("baselines.html");
    let crit = golden("criterion");
    let o = cvp(&[
        "compare",
        "--criterion-dir",
        crit.to_str().unwrap(),
        "base",
        "new",
        "--html",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = Html::parse_document(&std::fs::read_to_string(&out).unwrap());
    self_contained(&page, tmp.path());
    let runs: Vec<String> = page.select(&sel("table.verdicts th.run")).map(text_of).collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let c1 = page.select(&sel("table.verdicts tr.claim-row[data-claim='C1'] td")).next().unwrap();
    assert_ne!(c1.value().attr("class"), Some("missing"), "criterion's walls decide C1");
    let header: String = page.select(&sel("header p.sub")).map(text_of).collect();
    assert!(header.contains("baseline 'base'") && header.contains("baseline 'new'"), "{header}");
}
