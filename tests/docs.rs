//! The docs quote recorded numbers; this test keeps the quotes true to the records, and the links whole.
//!
//! # Quoted numbers
//! A passage of [`DOCS`] that quotes a record is marked, the record's folder named:
//!
//! ```text
//! <!-- record: results/intel-xeon-2c/2026-12-07 -->
//! ... prose and tables that quote that record ...
//! <!-- /record -->
//! ```
//!
//! Every number in a marked passage must be a number the record itself prints: a token of its `README.md` or
//! of one of its `.csv` files (not its `.json` files, whose full-precision floats and many incidental
//! integers would let almost any integer pass, nor its `.svg` plots, which are coordinates). Tokens match
//! exactly as written, so `8.05` is not `8.1` and `0.480` is not `0.48`; the only normalisation is that
//! thousands separators are dropped on both sides (`10,000` is `10000`). A number written with a unit
//! (`x` or `%` against it, or `ms`, `µs`, `s`, `KiB`, `MiB`, `B`, `bytes` after a space) must be in the record
//! with that unit: `8.5 KiB` needs an `8.5 KiB`, not any `8.5`. A number the docs derive (a ratio of two
//! recorded numbers, a rounding) fails: quote the record's own figure, or say it in words. What the check
//! cannot see is which cell a number came from: a wrong number that the record prints elsewhere, with the
//! same unit, passes.
//!
//! Not checked, by rule, because they are plainly not measurements:
//! - numbers inside inline code or fenced code (commands, benchmark ids, flags), inside a link's target, or
//!   inside an HTML comment (the marks themselves);
//! - numbers that are part of a name: a word (letters, digits, `_`, `-`, `/`, `.`) that holds a letter
//!   besides a trailing multiplier `x`: `C4`, `async/1`, `SHA-256`, `p99`, `2-core`, `x86-64` (while
//!   `2.06x`, `-0.498` and `96%` are checked).
//!
//! Outside the marks, a number with a fractional part and one of those units but `%` (a percentage outside
//! a record is a coverage or a share the text works out, not a reading) is taken for a quoted measurement:
//! it must sit in a marked passage, or in one marked `<!-- not-record: why -->` ... `<!-- /not-record -->`
//! that says where it comes from instead (a window measured by hand, a setting, an estimate), so a new quote
//! cannot slip in unchecked. Not taken for one: a number equal to a `pub const NAME: f64` of `src/` (the
//! suite's thresholds, goals and bounds, each with its reason where it is defined, such as `C4_NOT_FASTER` =
//! 1.10 or `FLOOR_TOKIO_MS` = 1.2). Inside a marked record passage no such exception holds: every number is
//! the record's. Every rule is tried on made-up text below, so that each is known to fail.
//!
//! # Links
//! Every relative link in [`LINKED`] names a file that exists, every `#anchor` a heading of its file (GitHub's
//! slugs), and every `results/<machine>/<date>` a doc mentions is a folder with a `README.md`.
//!
//! # The front door
//! `README.md` stays at most [`README_MAX_BYTES`], quotes at least one passage of at least
//! [`README_MIN_NUMBERS`] checked numbers, and its test command is the one `.ci/run` runs; the guide's and
//! the methodology's contents list every section they have.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

/// The docs whose marked passages quote records.
const DOCS: [&str; 3] = ["README.md", "GUIDE.md", "METHODOLOGY.md"];
/// The docs whose links and record folders are checked.
const LINKED: [&str; 5] = ["README.md", "GUIDE.md", "METHODOLOGY.md", "ARCHITECTURE.md", "results/README.md"];
/// The front door's size: 15 KiB, a page or two; the rest belongs in the guide.
const README_MAX_BYTES: usize = 15 * 1024;
/// The front door quotes the record's verdicts and headline numbers: at least this many, checked.
const README_MIN_NUMBERS: usize = 10;

const RECORD_OPEN: &str = "<!-- record: ";
const RECORD_CLOSE: &str = "<!-- /record -->";
const OTHER_OPEN: &str = "<!-- not-record: ";
const OTHER_CLOSE: &str = "<!-- /not-record -->";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A marked passage: the doc, the line its mark is on, what the mark names, and the text between the marks.
#[derive(Debug)]
struct Passage {
    line: usize,
    /// The record folder (for `record`) or the reason (for `not-record`).
    names: String,
    body: String,
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

/// The passages between `open` and `close` marks, in order; the rest of the text, with each passage
/// blanked out (newlines kept); or what is wrong with the marks.
fn passages(text: &str, open: &str, close: &str) -> Result<(Vec<Passage>, String), String> {
    let mut found = Vec::new();
    let mut rest = String::new();
    let mut at = 0;
    loop {
        let next_open = text[at..].find(open).map(|i| at + i);
        let next_close = text[at..].find(close).map(|i| at + i);
        match (next_open, next_close) {
            (None, None) => break,
            (None, Some(c)) => {
                return Err(format!("line {}: {close} without an opening mark", line_of(text, c)));
            }
            (Some(o), Some(c)) if c < o => {
                return Err(format!("line {}: {close} without an opening mark", line_of(text, c)));
            }
            (Some(o), _) => {
                let name_end = text[o..]
                    .find(" -->")
                    .map(|i| o + i)
                    .ok_or_else(|| format!("line {}: unterminated mark", line_of(text, o)))?;
                let names = text[o + open.len()..name_end].trim().to_string();
                if names.is_empty() {
                    return Err(format!("line {}: the mark names nothing", line_of(text, o)));
                }
                let body_start = name_end + " -->".len();
                let end = text[body_start..]
                    .find(close)
                    .map(|i| body_start + i)
                    .ok_or_else(|| format!("line {}: {open}... is never closed", line_of(text, o)))?;
                if let Some(inner) = text[body_start..end].find(open) {
                    return Err(format!(
                        "line {}: a mark inside a marked passage",
                        line_of(text, body_start + inner)
                    ));
                }
                rest.push_str(&text[at..o]);
                rest.extend(text[o..end + close.len()].chars().filter(|&c| c == '\n'));
                found.push(Passage {
                    line: line_of(text, o),
                    names,
                    body: text[body_start..end].to_string(),
                });
                at = end + close.len();
            }
        }
    }
    rest.push_str(&text[at..]);
    Ok((found, rest))
}

/// The prose of Markdown text: fenced code, inline code, link targets and HTML comments blanked out
/// (newlines kept, so line numbers stay).
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
            continue;
        }
        if fenced {
            out.push('\n');
            continue;
        }
        out.push_str(line);
    }
    let blank = |re: &str, s: &str| -> String {
        Regex::new(re)
            .unwrap()
            .replace_all(s, |c: &regex::Captures| {
                c[0].chars().map(|ch| if ch == '\n' { '\n' } else { ' ' }).collect::<String>()
            })
            .into_owned()
    };
    let out = blank(r"(?s)<!--.*?-->", &out);
    let out = blank(r"`[^`\n]*`", &out);
    // A link's target, not its text: `](target)`, and autolinks `<https://...>`.
    let out = Regex::new(r"\]\([^)\s]*\)").unwrap().replace_all(&out, "] ").into_owned();
    blank(r"<https?://[^>]*>", &out)
}

/// The number tokens of `text` with their byte ranges: `\d+(,\d{3})*(\.\d+)?`, thousands separators
/// dropped. With `names_too` false, a token that is part of a name (see the module doc) is left out.
fn numbers(text: &str, names_too: bool) -> Vec<(usize, usize, String)> {
    let token = Regex::new(r"\d+(?:,\d{3})*(?:\.\d+)?").unwrap();
    let word_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.');
    let mut out = Vec::new();
    for m in token.find_iter(text) {
        let (start, end) = (m.start(), m.end());
        if !names_too {
            let before = text[..start].chars().rev().take_while(|&c| word_char(c)).collect::<String>();
            let after = text[end..].chars().take_while(|&c| word_char(c)).collect::<String>();
            // A trailing sentence dot is not part of a word.
            let after = after.trim_end_matches('.');
            let after = after
                .strip_prefix('x')
                .filter(|a| !a.starts_with(|c: char| c.is_ascii_alphabetic()))
                .unwrap_or(after);
            if before.chars().any(|c| c.is_ascii_alphabetic())
                || after.chars().any(|c| c.is_ascii_alphabetic())
            {
                continue;
            }
        }
        out.push((start, end, m.as_str().replace(',', "")));
    }
    out
}

/// The unit right after a number that ends at byte `end` of `text`: `x` (a ratio) or `%` written against
/// it, or a unit of time or memory after one space (`11.1 ms`, `8.5 KiB`).
fn unit_after(text: &str, end: usize) -> Option<String> {
    static UNIT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:(x)\b|(%)|[ \x{a0}](ms|µs|us|ns|s|min|KiB|MiB|GiB|B|bytes)\b)").unwrap()
    });
    UNIT.captures(&text[end..]).map(|c| c.iter().skip(1).flatten().next().unwrap().as_str().to_string())
}

/// A number as it is looked up in a record: with its unit where it has one, so that `8.5 KiB` needs an
/// `8.5 KiB` in the record, not an `8.5` of any kind.
fn with_unit(text: &str, end: usize, n: &str) -> String {
    unit_after(text, end).map_or(n.to_string(), |u| format!("{n} {u}"))
}

/// Every number a record folder prints: the tokens of its README.md and its .csv files, each alone and with
/// its unit where it has one.
fn record_numbers(folder: &Path) -> Result<BTreeSet<String>, String> {
    let readme = folder.join("README.md");
    if !readme.is_file() {
        return Err(format!("{} is not a record: it has no README.md", folder.display()));
    }
    let mut files = vec![readme];
    for entry in std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "csv") {
            files.push(path);
        }
    }
    let mut all = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        for (_, end, n) in numbers(&text, true) {
            all.insert(with_unit(&text, end, &n));
            all.insert(n);
        }
    }
    Ok(all)
}

/// A few words around byte `at` of `text`, on one line, for a failure message.
fn context(text: &str, at: usize) -> String {
    let from = text[..at].char_indices().rev().nth(40).map_or(0, |(i, _)| i);
    let to = text[at..].char_indices().nth(40).map_or(text.len(), |(i, _)| at + i);
    text[from..to].replace('\n', " ")
}

/// The values of the `pub const NAME: f64 = V;` items of the Rust files under `dir`: the thresholds, goals
/// and bounds the docs may state outside a record passage.
fn thresholds(dir: &Path) -> Vec<f64> {
    let item = Regex::new(r"(?m)^\s*pub const [A-Z0-9_]+: f64 = ([0-9_.]+);").unwrap();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(thresholds(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.extend(item.captures_iter(&text).map(|c| c[1].replace('_', "").parse::<f64>().unwrap()));
        }
    }
    out
}

/// Checks the quoted passages of one doc against the records under `root`: what is wrong, and how many
/// numbers each passage had checked. `limits` are the thresholds a doc may state outside the marks.
fn check_quotes(doc: &str, text: &str, root: &Path, limits: &[f64]) -> (Vec<String>, Vec<usize>) {
    let mut wrong = Vec::new();
    let mut counts = Vec::new();
    let (quoted, rest) = match passages(text, RECORD_OPEN, RECORD_CLOSE) {
        Ok(p) => p,
        Err(e) => return (vec![format!("{doc}: {e}")], counts),
    };
    let record_folder = Regex::new(r"^results/[^/]+/\d{4}-\d{2}-\d{2}(-[0-9]+)?$").unwrap();
    for p in &quoted {
        let folder = root.join(&p.names);
        if !record_folder.is_match(&p.names) {
            wrong.push(format!("{doc}:{}: `{}` is not a results/<machine>/<date> folder", p.line, p.names));
            counts.push(0);
            continue;
        }
        let recorded = match record_numbers(&folder) {
            Ok(r) => r,
            Err(e) => {
                wrong.push(format!("{doc}:{}: {e}", p.line));
                counts.push(0);
                continue;
            }
        };
        let body = prose(&p.body);
        let found = numbers(&body, false);
        for (at, end, n) in &found {
            let n = with_unit(&body, *end, n);
            if !recorded.contains(&n) {
                let line = p.line + line_of(&body, *at) - 1;
                wrong.push(format!("{doc}:{line}: {n} is not in {}: \"{}\"", p.names, context(&body, *at)));
            }
        }
        counts.push(found.len());
    }
    // Outside the record passages: a measurement-like number must be in a not-record passage.
    match passages(&rest, OTHER_OPEN, OTHER_CLOSE) {
        Err(e) => wrong.push(format!("{doc}: {e}")),
        Ok((_, outside)) => {
            let body = prose(&outside);
            for (at, end, n) in numbers(&body, false) {
                let value: f64 = n.parse().unwrap();
                let unit = unit_after(&body, end).filter(|u| u != "%");
                if n.contains('.') && unit.is_some() && !limits.contains(&value) {
                    wrong.push(format!(
                        "{doc}:{}: {n} looks like a quoted measurement but is in no marked passage: \"{}\"",
                        line_of(&body, at),
                        context(&body, at)
                    ));
                }
            }
        }
    }
    (wrong, counts)
}

#[test]
fn every_quoted_number_is_in_its_record() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    let limits = thresholds(&root().join("src"));
    assert!(limits.contains(&1.10) && limits.contains(&0.25), "the thresholds of src/claims.rs: {limits:?}");
    for doc in DOCS {
        let (w, counts) = check_quotes(doc, &read(doc), &root(), &limits);
        wrong.extend(w);
        checked += counts.iter().sum::<usize>();
        if doc == "README.md" {
            assert!(
                counts.iter().any(|&n| n >= README_MIN_NUMBERS),
                "README.md needs a passage quoting at least {README_MIN_NUMBERS} numbers of a record: {counts:?}"
            );
        }
    }
    assert!(wrong.is_empty(), "{} quote(s) not in their record:\n{}", wrong.len(), wrong.join("\n"));
    assert!(checked > 0);
}

/// GitHub's anchor for a heading: lower case, punctuation dropped but `-` and `_`, spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|&c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The `##`-and-deeper headings of a Markdown text (outside fenced code), as written.
fn headings(text: &str) -> Vec<(usize, String)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            let level = line.chars().take_while(|&c| c == '#').count();
            out.push((level, line[level..].trim().to_string()));
        }
    }
    out
}

/// What is wrong with the links of `doc` (a path relative to `root`).
fn check_links(doc: &str, text: &str, root: &Path) -> Vec<String> {
    let mut wrong = Vec::new();
    let dir = Path::new(doc).parent().unwrap_or(Path::new(""));
    let mut stripped = String::new();
    let mut fenced = false;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        stripped.push_str(if fenced { "\n" } else { line });
    }
    for c in Regex::new(r"\]\(([^)\s]+)\)").unwrap().captures_iter(&stripped) {
        let target = &c[1];
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (path, anchor) = target.split_once('#').map_or((target, None), |(p, a)| (p, Some(a)));
        let file = if path.is_empty() { PathBuf::from(doc) } else { dir.join(path) };
        let full = root.join(&file);
        if !path.is_empty() && !full.exists() {
            wrong.push(format!("{doc}: link to {target}: {} does not exist", file.display()));
            continue;
        }
        if let Some(anchor) = anchor {
            let linked = if path.is_empty() { Ok(text.to_string()) } else { std::fs::read_to_string(&full) };
            let Ok(linked) = linked else {
                wrong.push(format!("{doc}: link to {target}: an anchor into what is not a text file"));
                continue;
            };
            if !headings(&linked).iter().any(|(_, h)| slug(h) == anchor) {
                wrong.push(format!("{doc}: link to {target}: {} has no heading #{anchor}", file.display()));
            }
        }
    }
    for m in Regex::new(r"results/[A-Za-z0-9_.-]+/\d{4}-\d{2}-\d{2}(-[0-9]+)?").unwrap().find_iter(text) {
        if !root.join(m.as_str()).join("README.md").is_file() {
            wrong.push(format!("{doc}: {} is not a record folder", m.as_str()));
        }
    }
    wrong
}

#[test]
fn every_link_and_record_folder_exists() {
    let wrong: Vec<String> = LINKED.iter().flat_map(|doc| check_links(doc, &read(doc), &root())).collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_readme_is_a_front_door() {
    let size = std::fs::metadata(root().join("README.md")).unwrap().len() as usize;
    assert!(
        size <= README_MAX_BYTES,
        "README.md is {size} bytes, more than {README_MAX_BYTES}: move detail to GUIDE.md"
    );
}

#[test]
fn ci_runs_the_readmes_test_command() {
    let readme = read("README.md");
    let section = readme.split("## The two commands").nth(1).expect("README.md has \"The two commands\"");
    let block = section.split("```").nth(1).expect("a code block under \"The two commands\"");
    let test = block
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .find(|l| l.starts_with("cargo test"))
        .expect("a cargo test command in \"The two commands\"");
    let ci = read(".ci/run");
    assert!(ci.lines().any(|l| l.trim() == test), ".ci/run does not run the README's test command `{test}`");
}

#[test]
fn the_contents_list_every_section() {
    for doc in ["GUIDE.md", "METHODOLOGY.md"] {
        let text = read(doc);
        let contents = text.split("## Contents").nth(1).and_then(|s| s.split("\n## ").next()).expect(doc);
        for (level, h) in headings(&text) {
            if level == 2 && h != "Contents" {
                assert!(contents.contains(&format!("(#{})", slug(&h))), "{doc}: the contents lack \"{h}\"");
            }
        }
    }
}

// The checker on made-up text, one case per rule, so that each is known to fail.

fn fake_record() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("results/box-2c/2026-01-02");
    std::fs::create_dir_all(&rec).unwrap();
    std::fs::write(rec.join("README.md"), "| async | 1 | 11.1 ms | 0.98x | 10,000 | -0.498 |\n").unwrap();
    std::fs::write(rec.join("scaling.csv"), "io_bound,async,1,8.05\n").unwrap();
    std::fs::write(rec.join("run.json"), "{\"x\": 7.25}\n").unwrap();
    dir
}

fn quote(body: &str) -> String {
    format!("intro\n<!-- record: results/box-2c/2026-01-02 -->\n{body}\n<!-- /record -->\n")
}

#[test]
fn a_number_from_the_record_passes_and_any_other_fails() {
    let dir = fake_record();
    let (wrong, counts) =
        check_quotes("D", &quote("took 11.1 ms, 0.98x, 8.05 and 10000 (-0.498)"), dir.path(), &[]);
    assert!(wrong.is_empty(), "{wrong:?}");
    assert_eq!(counts, [5]);
    let (wrong, _) = check_quotes("D", &quote("took 11.2 ms"), dir.path(), &[]);
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert!(wrong[0].contains("D:3: 11.2 ms is not in results/box-2c/2026-01-02"), "{wrong:?}");
    // Exact tokens: a rounding of a recorded number is another number; the JSON is not a source.
    assert_eq!(check_quotes("D", &quote("8.1 and 11.10 and 7.25"), dir.path(), &[]).0.len(), 3);
    // With its unit: the record's 11.1 is milliseconds, and 0.98 a ratio.
    let (wrong, _) = check_quotes("D", &quote("11.1 µs, 0.98 ms, 0.98x, 11.1 and 8.05%"), dir.path(), &[]);
    assert_eq!(wrong.len(), 3, "{wrong:?}");
    assert!(wrong[0].contains("11.1 µs is not") && wrong[2].contains("8.05 % is not"), "{wrong:?}");
}

#[test]
fn thousands_separators_are_dropped_on_both_sides() {
    let dir = fake_record();
    assert!(check_quotes("D", &quote("at 10,000 waits"), dir.path(), &[]).0.is_empty());
    assert_eq!(
        numbers("1,2,4 and 1,000,000 and 1.95.0", false)
            .iter()
            .map(|(_, _, n)| n.as_str())
            .collect::<Vec<_>>(),
        ["1", "2", "4", "1000000", "1.95", "0"]
    );
}

#[test]
fn names_code_and_link_targets_are_not_measurements() {
    let dir = fake_record();
    let body = "C4 on async/1 with SHA-256, p99 on a 2-core x86-64 box: `cvp run --jobs 77` and \
                [a link](results/box-2c/2026-01-02/README.md)\n```sh\ncvp scale --jobs 123\n```";
    let (wrong, counts) = check_quotes("D", &quote(body), dir.path(), &[]);
    assert!(wrong.is_empty(), "{wrong:?}");
    assert_eq!(counts, [0]);
    // A multiplier is a measurement, and so is a percentage.
    assert_eq!(check_quotes("D", &quote("2.06x and 96%"), dir.path(), &[]).0.len(), 2);
}

#[test]
fn a_bad_mark_or_folder_fails() {
    let dir = fake_record();
    for (text, says) in [
        ("<!-- record: results/box-2c/2026-01-02 -->\n1.5\n", "never closed"),
        ("x\n<!-- /record -->\n", "without an opening mark"),
        (
            "<!-- record: results/box-2c/2026-01-02 --> <!-- record: results/box-2c/2026-01-02 --> <!-- /record -->",
            "inside",
        ),
        ("<!-- record: results/box-2c/2026-01-03 -->\n1\n<!-- /record -->", "has no README.md"),
        ("<!-- record: box -->\n1\n<!-- /record -->", "not a results/<machine>/<date> folder"),
    ] {
        let (wrong, _) = check_quotes("D", text, dir.path(), &[]);
        assert!(wrong.len() == 1 && wrong[0].contains(says), "{text}: {wrong:?}");
    }
}

#[test]
fn a_measurement_outside_the_marks_fails_unless_said_where_it_comes_from() {
    let dir = fake_record();
    let (wrong, _) = check_quotes("D", "it took 68.5 ms and 1.3x\n", dir.path(), &[]);
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(wrong[0].contains("D:1: 68.5 looks like a quoted measurement"), "{wrong:?}");
    let marked = "<!-- not-record: one window by hand -->\nit took 68.5 ms\n<!-- /not-record -->\n";
    assert!(check_quotes("D", marked, dir.path(), &[]).0.is_empty());
    // Counts and defaults without a fraction, a fraction with no unit, and a threshold are no quotes.
    assert!(
        check_quotes("D", "10 ms waits, 32 jobs, 0.25 of a job, at most 1.10x", dir.path(), &[1.1])
            .0
            .is_empty()
    );
    assert_eq!(check_quotes("D", "at most 1.10x", dir.path(), &[]).0.len(), 1);
}

#[test]
fn a_broken_link_or_anchor_fails() {
    let dir = fake_record();
    let root = dir.path();
    std::fs::write(
        root.join("GUIDE.md"),
        "# Guide\n\n## The `cvp` command\n\n## Scale: 1 to 100,000 waits\n",
    )
    .unwrap();
    let ok = "[g](GUIDE.md#the-cvp-command) [s](GUIDE.md#scale-1-to-100000-waits) \
              [r](results/box-2c/2026-01-02/README.md) [w](https://example.com/x) [self](#top)\n# Top\n";
    assert!(check_links("R.md", ok, root).is_empty(), "{:?}", check_links("R.md", ok, root));
    for (text, says) in [
        ("[g](GUIDE.md#no-such)", "has no heading #no-such"),
        ("[g](NOPE.md)", "does not exist"),
        ("see results/box-2c/2026-01-09 for more", "is not a record folder"),
        ("```\n[in code](NOPE.md)\n```\n[out](NOPE2.md)", "NOPE2.md"),
    ] {
        let wrong = check_links("R.md", text, root);
        assert!(wrong.len() == 1 && wrong[0].contains(says), "{text}: {wrong:?}");
    }
}

#[test]
fn slugs_are_githubs() {
    assert_eq!(slug("Results on this project's machine"), "results-on-this-projects-machine");
    assert_eq!(
        slug("Responsiveness while computing: `cvp latency`"),
        "responsiveness-while-computing-cvp-latency"
    );
    assert_eq!(slug("Real sockets: net_bound"), "real-sockets-net_bound");
}
