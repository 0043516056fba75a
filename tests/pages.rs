//! The HTML pages, read as a browser reads them (an HTML parser, not string matching): a record's
//! `index.html` from `cvp report`, and the page the benches leave in criterion's folder. Each has the verdict
//! board with every claim, loads nothing, runs no script, links only inside its folder, and shows a record's
//! strings as text however hostile.

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
