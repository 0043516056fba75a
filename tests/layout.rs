//! The layout of `src/`: which file may refer to which, checked on the source text alone.
//!
//! # The rules
//! [`LAYERS`] lists the layers, lowest first. A file may refer to files of its own layer or of a lower one,
//! never of a higher one. On top of that:
//! - a file in [`LEAVES`] (`src/workload/digest.rs`) refers to no file of the crate at all;
//! - each folder under [`VIEWS`] is one view: a file of one view never refers to a file of another view, nor
//!   to a file directly in [`VIEWS`] ([`composer`]: the index `mod.rs`, which declares the views, and the
//!   pages across records, which read several views' files): those compose views and may refer to any;
//! - no two files refer to each other, directly or through others (a cycle);
//! - every file under `src/` is in the table ([`LIB`], the crate root, aside): a leftover file fails the check
//!   until it has found its place, and so does every reference to it;
//! - a path must name a module: one that only resolves to the crate root ([`LIB`]) fails.
//!
//! A new view is a new folder under `src/views/` and needs no change here; a new layer is a new row of
//! [`LAYERS`].
//!
//! # What counts as a reference
//! Every path that starts with `crate::`, `super::` or `self::` (and `cvp::`, the library's name, in
//! [`MAIN`]) anywhere in the file's code or doc comments:
//! - `use` statements, grouped, nested and over several lines (`use crate::{a::{B, c}, d::{self, E}};`):
//!   every leaf is one reference, on the line of the leaf;
//! - paths in code (`crate::report::write(...)`), attributes, macros, and `#[cfg(test)]` code (a low layer's
//!   tests must not reach up either);
//! - paths in doc comments (`///`, `//!`, `/** */`, `/*! */`): intra-doc links like ``[`crate::x::Y`]``
//!   name what the docs depend on, and rustdoc resolves them.
//!
//! Not counted: ordinary comments (`//`, `/* */`: prose, or code switched off), string and char literals (text,
//! not paths), module declarations (`mod x;`), and paths that start with a bare name (`use render::x;` in a
//! `mod.rs`, `std::`, other crates). The bare form is how a `mod.rs` re-exports its own children: those
//! references always point down into the file's own folder, so they cannot break a layer, and counting them
//! would make every re-exporting `mod.rs` and its children (which use `super::` for the shared types) a
//! cycle. A bare path to anything else than a child would not compile (in edition 2018 and later), except
//! through a name a `use` brought in: that `use` is the reference.
//!
//! # From a path to a file
//! `super::` and `self::` start from the module of the file, and of the inline `mod x { ... }` blocks around
//! the path (`mod tests`, `mod fixtures`); `crate::` (and `cvp::` in `src/main.rs`) from the crate root. A
//! path `a::b::c::D` goes to the longest prefix that names a module file: `src/a/b/c.rs` or
//! `src/a/b/c/mod.rs`, else `src/a/b.rs` or `src/a/b/mod.rs`, else `src/a.rs` or `src/a/mod.rs`. A first name
//! that is no module but a re-export of `src/lib.rs` (`pub use workload::net;`) is replaced by what it
//! re-exports first, so a re-export is no way around the rules; so is a name a module file re-exports from
//! one of its children (`pub use analysis::verdict;`): the path goes on to that child. `crate::`, `self::` and `super::` in
//! `src/main.rs` name the binary itself, not the library. `src/lib.rs` makes no references (it declares and
//! re-exports), a file's references to itself do not count, and `#[path]` and module files declared by
//! `src/main.rs` are not supported: the check reports them.
//!
//! # Sizes
//! `src/main.rs` has at most [`MAIN_MAX_LINES`] lines; every other file under `src/` except `tests.rs` files
//! at most [`FILE_MAX_LINES`], not counting a trailing `#[cfg(test)] mod tests { ... }`.
//!
//! The checker is tested on small made-up trees below, one per rule, so that it is known to fail.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use regex::Regex;

/// The layers, lowest first, each with its files. In a pattern, `*` is one path component and a final `**`
/// one or more.
const LAYERS: &[(&str, &[&str])] = &[
    ("workload", &["src/workload/**"]),
    ("strategy", &["src/strategy/**"]),
    ("config, machine, measure", &["src/config.rs", "src/machine/**", "src/measure.rs"]),
    ("claims, scaling", &["src/claims.rs", "src/scaling.rs"]),
    ("report", &["src/report/**"]),
    ("cli", &["src/cli.rs"]),
    ("views", &["src/views/*", "src/views/*/**"]),
    ("main", &["src/main.rs"]),
];

/// Files that refer to no file of the crate.
const LEAVES: &[&str] = &["src/workload/digest.rs"];
/// Each folder in it is one view.
const VIEWS: &str = "src/views/";
/// Whether `file` composes views: a file directly in [`VIEWS`] (the index, `mod.rs`, and the pages across
/// records). It may refer to any view; no view refers to it.
fn composer(file: &str) -> bool {
    file.strip_prefix(VIEWS).is_some_and(|rest| !rest.contains('/'))
}
/// The library's root: it declares modules and re-exports, and is exempt as a source of references.
const LIB: &str = "src/lib.rs";
/// The binary's root: it names the library [`LIB_NAME`].
const MAIN: &str = "src/main.rs";
/// The library's name, as `src/main.rs` writes it.
const LIB_NAME: &str = "cvp";
const MAIN_MAX_LINES: usize = 250;
const FILE_MAX_LINES: usize = 700;

/// The tree as it is: every `src/**/*.rs`, by its path from the crate root (`src/a/b.rs`).
fn source_tree() -> BTreeMap<String, String> {
    fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().expect("file names are UTF-8");
            let rel = format!("{rel}/{name}");
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &rel, out);
            } else if name.ends_with(".rs") {
                out.insert(rel, std::fs::read_to_string(entry.path()).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "src", &mut files);
    assert!(files.contains_key(LIB) && files.contains_key(MAIN), "no src/lib.rs or src/main.rs");
    files
}

#[test]
fn the_source_tree_follows_the_layout() {
    let files = source_tree();
    let violations = check(&files);
    assert!(violations.is_empty(), "{}", explain(&violations, files.len()));
}

#[test]
fn no_source_file_is_too_long() {
    let files = source_tree();
    let violations = sizes(&files);
    assert!(violations.is_empty(), "{}", explain(&violations, files.len()));
}

// ---------------------------------------------------------------------------------------------------------
// The checker.

/// One broken rule, and what breaks it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    rule: &'static str,
    text: String,
}

/// One file's reference to another: the path as written (use trees spelled out), and its line.
#[derive(Debug, Clone)]
struct Reference {
    from: String,
    to: String,
    path: String,
    line: usize,
}

impl Reference {
    fn show(&self) -> String {
        format!("{}:{} -> {}  (`{}`)", self.from, self.line, self.to, self.path)
    }
}

fn explain(violations: &[Violation], files: usize) -> String {
    let mut out = format!("{} violations of the layout in {files} files under src/:\n", violations.len());
    for v in violations {
        out += &format!("[{}] {}\n", v.rule, v.text);
    }
    out
}

/// Whether `file` (`src/a/b.rs`) matches `pattern` (`src/a/**`, `src/*/x.rs`).
fn matches(pattern: &str, file: &str) -> bool {
    let (pattern, file): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), file.split('/').collect());
    if pattern.last() == Some(&"**") {
        let fixed = &pattern[..pattern.len() - 1];
        file.len() > fixed.len() && fixed.iter().zip(&file).all(|(p, f)| *p == "*" || p == f)
    } else {
        pattern.len() == file.len() && pattern.iter().zip(&file).all(|(p, f)| *p == "*" || p == f)
    }
}

/// The layer of `file` (its index in [`LAYERS`]), if it has one.
fn layer(file: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, patterns)| patterns.iter().any(|p| matches(p, file)))
}

/// The view `file` belongs to (the folder under [`VIEWS`]), if any.
fn view(file: &str) -> Option<&str> {
    let rest = file.strip_prefix(VIEWS)?;
    rest.split_once('/').map(|(name, _)| name)
}

/// Everything wrong with the layout of `files` (path -> text), sorted by rule.
fn check(files: &BTreeMap<String, String>) -> Vec<Violation> {
    let (references, mut violations) = references(files);
    for file in files.keys() {
        if file != LIB && layer(file).is_none() {
            violations.push(Violation { rule: "not in the layout", text: format!("{file} has no layer") });
        }
    }
    for r in &references {
        let rule = |rule, why: String| Violation { rule, text: format!("{}: {why}", r.show()) };
        let (from, to) = (layer(&r.from), layer(&r.to));
        if LEAVES.contains(&r.from.as_str()) {
            violations.push(rule("leaf", format!("{} refers to no file of the crate", r.from)));
        }
        if r.to == LIB {
            violations.push(rule("crate root", "name the module that defines it, not the crate root".into()));
            continue;
        }
        let Some(from) = from else { continue }; // the file itself is reported
        let Some(to) = to else {
            violations.push(rule("not in the layout", format!("{} has no layer", r.to)));
            continue;
        };
        if to > from {
            let why = format!("layer {from} ({}) refers up to layer {to} ({})", LAYERS[from].0, LAYERS[to].0);
            violations.push(rule("upward", why));
        }
        match (view(&r.from), view(&r.to)) {
            (Some(a), Some(b)) if a != b => {
                violations.push(rule("view to view", format!("view `{a}` refers to view `{b}`")))
            }
            (Some(a), _) if composer(&r.to) => violations
                .push(rule("view to composer", format!("view `{a}` refers to a file that composes views"))),
            _ => {}
        }
    }
    violations.extend(cycles(&references));
    violations.sort();
    violations.dedup();
    violations
}

/// Every group of files that refer to each other (a strongly connected component of more than one file),
/// with one cycle through its first file, each step shown with its first reference.
fn cycles(references: &[Reference]) -> Vec<Violation> {
    let mut edges: BTreeMap<&str, BTreeMap<&str, &Reference>> = BTreeMap::new();
    for r in references {
        edges.entry(&r.from).or_default().entry(&r.to).or_insert(r);
    }
    let nodes: BTreeSet<&str> = edges.iter().flat_map(|(a, to)| to.keys().copied().chain([*a])).collect();

    // Tarjan's algorithm.
    struct Tarjan<'a> {
        edges: &'a BTreeMap<&'a str, BTreeMap<&'a str, &'a Reference>>,
        index: BTreeMap<&'a str, (usize, usize)>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        groups: Vec<Vec<&'a str>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, (n, n));
            self.stack.push(v);
            self.on_stack.insert(v);
            for &w in self.edges.get(v).into_iter().flat_map(|to| to.keys()) {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.index[v].1.min(self.index[w].1);
                    self.index.get_mut(v).unwrap().1 = low;
                } else if self.on_stack.contains(w) {
                    let low = self.index[v].1.min(self.index[w].0);
                    self.index.get_mut(v).unwrap().1 = low;
                }
            }
            if self.index[v].0 == self.index[v].1 {
                let mut group = Vec::new();
                loop {
                    let w = self.stack.pop().unwrap();
                    self.on_stack.remove(w);
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                group.sort();
                self.groups.push(group);
            }
        }
    }
    let mut t = Tarjan {
        edges: &edges,
        index: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for v in nodes {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }

    let mut out = Vec::new();
    for group in t.groups.into_iter().filter(|g| g.len() > 1) {
        let members: BTreeSet<&str> = group.iter().copied().collect();
        // The shortest way from the first file back to itself, within the group.
        let start = group[0];
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        'search: while let Some(v) = queue.pop_front() {
            for &w in edges[v].keys().filter(|w| members.contains(*w)) {
                if w == start {
                    came_from.insert(start, v);
                    break 'search;
                }
                if !came_from.contains_key(w) {
                    came_from.insert(w, v);
                    queue.push_back(w);
                }
            }
        }
        let mut path = vec![start];
        let mut at = came_from[start];
        while at != start {
            path.push(at);
            at = came_from[at];
        }
        path.push(start);
        path.reverse();
        let mut text = format!("{}: {}", group.join(", "), path.join(" -> "));
        for step in path.windows(2) {
            text += &format!("\n      {}", edges[step[0]][step[1]].show());
        }
        out.push(Violation { rule: "cycle", text });
    }
    out
}

/// The module path of a file (`src/a/b.rs` and `src/a/b/mod.rs` are `a::b`; `src/lib.rs` is the root).
fn module_of(file: &str) -> Vec<String> {
    let path = file.strip_prefix("src/").unwrap().strip_suffix(".rs").unwrap();
    let path = path.strip_suffix("/mod").unwrap_or(path);
    if path == "lib" || path == "main" {
        return Vec::new();
    }
    path.split('/').map(String::from).collect()
}

/// The file that defines module `path` (a path from the crate root), if there is one.
fn module_file(path: &[String], files: &BTreeMap<String, String>) -> Option<String> {
    if path.is_empty() || path.iter().any(|s| s == "*") {
        return None;
    }
    let base = format!("src/{}", path.join("/"));
    [format!("{base}.rs"), format!("{base}/mod.rs")]
        .into_iter()
        .find(|f| files.contains_key(f) && f != LIB && f != MAIN)
}

/// The file a path from the crate root goes to: the longest prefix that names a module file, after a
/// re-export of the crate root; the crate root itself if no prefix does. A name that a module file
/// re-exports from one of its own children (`pub use analysis::verdict;` in a `mod.rs`) goes on to the
/// child that defines it, so `super::verdict` from a sibling is a reference to `analysis.rs`, not to the
/// `mod.rs`: a cycle between two files of one folder cannot hide behind their `mod.rs`.
fn file_of(
    path: &[String],
    files: &BTreeMap<String, String>,
    reexports: &BTreeMap<String, Vec<String>>,
    children: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
) -> String {
    let mut path = path.to_vec();
    if module_file(&path[..1.min(path.len())], files).is_none()
        && let Some(target) = path.first().and_then(|first| reexports.get(first))
    {
        path.splice(..1, target.iter().cloned());
    }
    // A re-export names a longer path each time, and a child is never its own parent: a few rounds suffice.
    for _ in 0..8 {
        let Some(k) = (1..=path.len()).rev().find(|&k| module_file(&path[..k], files).is_some()) else {
            return LIB.to_string();
        };
        let file = module_file(&path[..k], files).unwrap();
        match path.get(k).and_then(|name| children.get(&file)?.get(name)) {
            Some(target) => {
                let rest = path.split_off(k + 1);
                path = target.iter().cloned().chain(rest).collect();
            }
            None => return file,
        }
    }
    LIB.to_string()
}

/// Per module file, the names it re-exports from its own children with a bare path (`pub use
/// render::{table, csv};`), each with the path from the crate root of what it names.
fn child_reexports(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let use_re = Regex::new(r"\bpub(?:\([^)]*\))?\s+use\s+").unwrap();
    let mut out = BTreeMap::new();
    for (file, text) in files.iter().filter(|(f, _)| *f != LIB && *f != MAIN) {
        let module = module_of(file);
        let code = mask(text).code;
        let mut names = BTreeMap::new();
        for m in use_re.find_iter(&code) {
            for leaf in use_tree(&code, m.end()).map(|(leaves, _)| leaves).unwrap_or_default() {
                let mut rel = leaf.path;
                if rel.first().map(String::as_str) == Some("self") {
                    rel.remove(0);
                }
                let Some(first) = rel.first() else { continue };
                let mut child = module.clone();
                child.push(first.clone());
                if matches!(first.as_str(), "crate" | "super" | "cvp") || module_file(&child, files).is_none()
                {
                    continue;
                }
                let name = leaf.alias.or_else(|| rel.last().cloned()).filter(|n| n != "*" && n != "self");
                if let Some(name) = name {
                    names.insert(name, module.iter().cloned().chain(rel).collect());
                }
            }
        }
        if !names.is_empty() {
            out.insert(file.clone(), names);
        }
    }
    out
}

/// A file's text twice over, each byte for byte as long as the text and with the same lines: `code`, with
/// every comment and every string and char literal blanked, and `docs`, with only the doc comments' text.
struct Masked {
    code: String,
    docs: String,
}

fn mask(text: &str) -> Masked {
    let src = text.as_bytes();
    let at = |i: usize| src.get(i).copied().unwrap_or(0);
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let mut code = src.to_vec();
    let mut docs: Vec<u8> = src.iter().map(|&b| if b == b'\n' { b'\n' } else { b' ' }).collect();
    let blank = |code: &mut Vec<u8>, docs: &mut Vec<u8>, from: usize, to: usize, doc: bool| {
        for i in from..to.min(src.len()) {
            if src[i] != b'\n' {
                code[i] = b' ';
                if doc {
                    docs[i] = src[i];
                }
            }
        }
    };
    let mut i = 0;
    while i < src.len() {
        match (src[i], at(i + 1)) {
            (b'/', b'/') => {
                let doc = (at(i + 2) == b'/' && at(i + 3) != b'/') || at(i + 2) == b'!';
                let end = src[i..].iter().position(|&b| b == b'\n').map_or(src.len(), |n| i + n);
                blank(&mut code, &mut docs, i, end, doc);
                i = end;
            }
            (b'/', b'*') => {
                let doc = (at(i + 2) == b'*' && !matches!(at(i + 3), b'*' | b'/')) || at(i + 2) == b'!';
                let (mut j, mut depth) = (i + 2, 1);
                while j < src.len() && depth > 0 {
                    match (src[j], at(j + 1)) {
                        (b'/', b'*') => (depth, j) = (depth + 1, j + 2),
                        (b'*', b'/') => (depth, j) = (depth - 1, j + 2),
                        _ => j += 1,
                    }
                }
                blank(&mut code, &mut docs, i, j, doc);
                i = j;
            }
            (b'"', _) => {
                let mut j = i + 1;
                while j < src.len() && src[j] != b'"' {
                    j += if src[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut code, &mut docs, i, j + 1, false);
                i = j + 1;
            }
            (b'\'', b'\\') => {
                let end = src[i + 3..].iter().position(|&b| b == b'\'').map_or(src.len(), |n| i + 3 + n);
                blank(&mut code, &mut docs, i, end + 1, false);
                i = end + 1;
            }
            (b'\'', next) => {
                let len = match next {
                    0..0x80 => 1,
                    0xC0..0xE0 => 2,
                    0xE0..0xF0 => 3,
                    _ => 4,
                };
                if at(i + 1 + len) == b'\'' {
                    blank(&mut code, &mut docs, i, i + len + 2, false);
                    i += len + 2;
                } else {
                    i += 1; // a lifetime or a label
                }
            }
            (b, _) if ident(b) => {
                // A whole identifier at once, so that an `r` or a `b` inside one starts nothing.
                let n = src[i..].iter().take_while(|&&b| ident(b)).count();
                let hashes = src[i + n..].iter().take_while(|&&b| b == b'#').count();
                if !(matches!(&src[i..i + n], b"r" | b"br" | b"cr") && at(i + n + hashes) == b'"') {
                    i += n; // an identifier, a keyword, or a raw identifier's `r`
                    continue;
                }
                let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                let body = i + n + hashes + 1;
                let end =
                    src[body..].windows(close.len()).position(|w| w == close).map_or(src.len(), |k| body + k);
                blank(&mut code, &mut docs, i, end + close.len(), false);
                i = end + close.len();
            }
            _ => i += 1,
        }
    }
    Masked { code: String::from_utf8(code).unwrap(), docs: String::from_utf8(docs).unwrap() }
}

/// One leaf of a `use` tree: its path, its alias, and where its last name is.
struct Leaf {
    path: Vec<String>,
    alias: Option<String>,
    at: usize,
}

/// The leaves of the `use` tree that starts at byte `start` of `code`, and where the statement ends; `None`
/// if what follows `use` is no use tree (`impl Trait + use<'a>`).
fn use_tree(code: &str, start: usize) -> Option<(Vec<Leaf>, usize)> {
    #[derive(PartialEq)]
    enum Tok<'a> {
        Name(&'a str),
        Sep,
        Open,
        Close,
        Comma,
        Star,
    }
    let bytes = code.as_bytes();
    let mut toks = Vec::new();
    let mut i = start;
    let name = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'#';
    let end = loop {
        let (tok, len) = match *bytes.get(i)? {
            b';' => break i,
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b':' if bytes.get(i + 1) == Some(&b':') => (Tok::Sep, 2),
            b'{' => (Tok::Open, 1),
            b'}' => (Tok::Close, 1),
            b',' => (Tok::Comma, 1),
            b'*' => (Tok::Star, 1),
            b if name(&b) => {
                let n = bytes[i..].iter().take_while(|b| name(b)).count();
                (Tok::Name(code[i..i + n].trim_start_matches("r#")), n)
            }
            _ => return None,
        };
        toks.push((tok, i));
        i += len;
    };

    fn tree(
        toks: &[(Tok, usize)],
        pos: &mut usize,
        mut path: Vec<String>,
        out: &mut Vec<Leaf>,
    ) -> Option<()> {
        let inside = !path.is_empty();
        loop {
            match toks.get(*pos)? {
                (Tok::Sep, _) if path.is_empty() => {
                    path.push(String::new()); // `::name`: another crate
                    *pos += 1;
                }
                (Tok::Name(name), at) => {
                    path.push(name.to_string());
                    *pos += 1;
                    if let Some((Tok::Sep, _)) = toks.get(*pos) {
                        *pos += 1;
                        continue;
                    }
                    let mut alias = None;
                    if let (Some((Tok::Name("as"), _)), Some((Tok::Name(a), _))) =
                        (toks.get(*pos), toks.get(*pos + 1))
                    {
                        alias = Some(a.to_string());
                        *pos += 2;
                    }
                    if inside && path.len() > 1 && path.last().unwrap() == "self" {
                        path.pop();
                    }
                    out.push(Leaf { path, alias, at: *at });
                    return Some(());
                }
                (Tok::Star, at) => {
                    path.push("*".into());
                    out.push(Leaf { path, alias: None, at: *at });
                    *pos += 1;
                    return Some(());
                }
                (Tok::Open, _) => {
                    *pos += 1;
                    loop {
                        if let (Tok::Close, _) = toks.get(*pos)? {
                            *pos += 1;
                            return Some(());
                        }
                        tree(toks, pos, path.clone(), out)?;
                        match toks.get(*pos)? {
                            (Tok::Comma, _) => *pos += 1,
                            (Tok::Close, _) => {}
                            _ => return None,
                        }
                    }
                }
                _ => return None,
            }
        }
    }
    let (mut leaves, mut pos) = (Vec::new(), 0);
    tree(&toks, &mut pos, Vec::new(), &mut leaves)?;
    (pos == toks.len()).then_some((leaves, end))
}

/// The re-exports of the crate root: name -> the path (from the root) it stands for.
fn reexports(files: &BTreeMap<String, String>) -> BTreeMap<String, Vec<String>> {
    let code = mask(files.get(LIB).map_or("", |s| s)).code;
    let mut out = BTreeMap::new();
    for m in Regex::new(r"\buse\s+").unwrap().find_iter(&code) {
        for leaf in use_tree(&code, m.end()).map(|(leaves, _)| leaves).unwrap_or_default() {
            let mut path = leaf.path;
            if matches!(path.first().map(String::as_str), Some("crate" | "self")) {
                path.remove(0);
            }
            let name = leaf.alias.or_else(|| path.last().cloned());
            if let Some(name) =
                name.filter(|n| n != "*" && module_file(path.get(..1).unwrap_or(&[]), files).is_some())
            {
                out.insert(name, path);
            }
        }
    }
    out
}

/// Every reference of every file (but the crate root) to another file, and the forms the check cannot map.
fn references(files: &BTreeMap<String, String>) -> (Vec<Reference>, Vec<Violation>) {
    let use_re = Regex::new(r"\buse\s+").unwrap();
    let path_re = Regex::new(r"(?:^|[^\w:$#])((?:crate|super|self|cvp)(?:::\w+)+)").unwrap();
    let mod_block_re = Regex::new(r"\bmod\s+(\w+)\s*\{").unwrap();
    let mod_file_re = Regex::new(r"\bmod\s+(\w+)\s*;").unwrap();
    let reexports = reexports(files);
    let children = child_reexports(files);
    let (mut refs, mut unsupported) = (Vec::new(), Vec::new());

    for (file, text) in files.iter().filter(|(f, _)| *f != LIB) {
        let Masked { code, docs } = mask(text);
        let line = |at: usize| text[..at].matches('\n').count() + 1;
        let is_main = file == MAIN;
        let mut problem = |at: usize, why: String| {
            unsupported.push(Violation { rule: "unsupported", text: format!("{file}:{}: {why}", line(at)) });
        };
        if let Some(at) = code.find("#[path") {
            problem(at, "`#[path]` is not supported by this check".into());
        }
        if is_main {
            for m in mod_file_re.captures_iter(&code) {
                let at = m.get(0).unwrap().start();
                problem(at, format!("`mod {};` in the binary is not supported by this check", &m[1]));
            }
        }
        // Inline `mod x { ... }` blocks: (open, close, name).
        let blocks: Vec<(usize, usize, String)> = mod_block_re
            .captures_iter(&code)
            .map(|c| {
                let open = c.get(0).unwrap().end() - 1;
                let mut depth = 0;
                let close = code[open..]
                    .bytes()
                    .position(|b| {
                        depth += (b == b'{') as i32 - (b == b'}') as i32;
                        depth == 0
                    })
                    .map_or(code.len(), |n| open + n);
                (open, close, c[1].to_string())
            })
            .collect();
        let module_at = |at: usize| -> Vec<String> {
            let mut module = module_of(file);
            module.extend(
                blocks.iter().filter(|(o, c, _)| *o < at && at < *c).map(|(_, _, name)| name.clone()),
            );
            module
        };
        // A path as written -> the file it goes to; `None` for other crates, the binary and bare names.
        let mut resolve = |path: &[String], at: usize, refs: &mut Vec<Reference>| {
            let shown = path.join("::");
            let absolute: Vec<String> = match path.first().map(String::as_str) {
                Some("crate" | "self" | "super") if is_main => return,
                Some("cvp") if is_main => path[1..].to_vec(),
                Some("crate") => path[1..].to_vec(),
                Some("self") => module_at(at).into_iter().chain(path[1..].iter().cloned()).collect(),
                Some("super") => {
                    let ups = path.iter().take_while(|s| *s == "super").count();
                    let module = module_at(at);
                    let Some(keep) = module.len().checked_sub(ups) else {
                        problem(at, format!("`{shown}` goes above the crate root"));
                        return;
                    };
                    module[..keep].iter().chain(&path[ups..]).cloned().collect()
                }
                _ => return,
            };
            let to = file_of(&absolute, files, &reexports, &children);
            if to != *file {
                refs.push(Reference { from: file.clone(), to, path: shown, line: line(at) });
            }
        };

        // `use` statements, then every other path in the code (use statements blanked) and in the docs.
        let mut rest = code.clone().into_bytes();
        for m in use_re.find_iter(&code) {
            let Some((leaves, end)) = use_tree(&code, m.end()) else { continue };
            for leaf in leaves {
                resolve(&leaf.path, leaf.at, &mut refs);
            }
            rest[m.start()..end].fill(b' ');
        }
        let rest = String::from_utf8(rest).unwrap();
        for text in [&rest, &docs] {
            for c in path_re.captures_iter(text) {
                let m = c.get(1).unwrap();
                let path: Vec<String> = m.as_str().split("::").map(String::from).collect();
                if path[0] != LIB_NAME || is_main {
                    resolve(&path, m.start(), &mut refs);
                }
            }
        }
    }
    (refs, unsupported)
}

/// The files that are too long: `src/main.rs` over [`MAIN_MAX_LINES`] lines, any other file (but `tests.rs`)
/// over [`FILE_MAX_LINES`] without a trailing `#[cfg(test)] mod tests { ... }`.
fn sizes(files: &BTreeMap<String, String>) -> Vec<Violation> {
    let tests_re = Regex::new(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+tests\s*\{").unwrap();
    let mut out = Vec::new();
    for (file, text) in files {
        let lines = text.lines().count();
        if file == MAIN {
            if lines > MAIN_MAX_LINES {
                let text = format!("{file} has {lines} lines, more than {MAIN_MAX_LINES}");
                out.push(Violation { rule: "main too long", text });
            }
            continue;
        }
        if file.ends_with("/tests.rs") {
            continue;
        }
        let code = mask(text).code;
        let production = tests_re
            .find_iter(&code)
            .last()
            .filter(|m| {
                let mut depth = 0;
                let close = code[m.end() - 1..].bytes().position(|b| {
                    depth += (b == b'{') as i32 - (b == b'}') as i32;
                    depth == 0
                });
                close.is_some_and(|n| code[m.end() + n..].trim().is_empty())
            })
            .map_or(lines, |m| text[..m.start()].lines().count());
        if production > FILE_MAX_LINES {
            let text =
                format!("{file} has {production} lines (without its tests), more than {FILE_MAX_LINES}");
            out.push(Violation { rule: "file too long", text });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// The checker, on made-up trees: it must pass a clean one and catch each kind of violation.

fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files.iter().map(|(f, t)| (f.to_string(), t.to_string())).collect()
}

/// A small tree that follows every rule, and uses every form of path the check reads.
fn clean() -> BTreeMap<String, String> {
    tree(&[
        (
            "src/lib.rs",
            "pub mod workload;\npub mod strategy;\npub use workload::net;\npub use workload::Workload as W;\n",
        ),
        (
            "src/workload/mod.rs",
            "pub mod digest;\npub mod net;\npub use digest::Digest;\npub struct Workload;\n",
        ),
        (
            "src/workload/digest.rs",
            "//! Plain: `crate::` paths in // comments, strings and literals are no references.\npub struct Digest;\n",
        ),
        ("src/workload/net.rs", "use super::digest::Digest;\nuse crate::workload::{self, Workload};\n"),
        (
            "src/strategy/mod.rs",
            "use crate::{\n    workload::{digest::{self, Digest},\n        net},\n    W,\n};\n// use crate::views::b::X; (switched off)\n/* crate::report::Y */\nconst S: &str = \"crate::views::a::Z\";\nconst C: char = '{';\nfn f<'a>(x: &'a str) -> &'a str { x }\nmod inner {\n    use super::super::workload::Workload;\n}\n",
        ),
        ("src/config.rs", "/// Built from a [`crate::strategy::Strategy`].\npub struct Config;\n"),
        ("src/claims.rs", "pub fn verdict() { let _ = crate::config::Config; }\n"),
        (
            "src/report/mod.rs",
            "mod tables;\nuse crate::claims::verdict;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::report::tables::x;\n}\n",
        ),
        ("src/report/tables.rs", "use super::super::config::Config;\npub fn x() {}\n"),
        ("src/cli.rs", "use crate::report;\n"),
        ("src/views/mod.rs", "pub mod a;\npub mod b;\n"),
        ("src/views/a/mod.rs", "mod render;\n#[cfg(test)]\nmod tests;\npub struct Thing;\nuse crate::cli;\n"),
        ("src/views/a/render.rs", "use super::Thing;\nuse crate::views::a::Thing as T;\n"),
        ("src/views/a/tests.rs", "use super::render;\nuse crate::report;\n"),
        (
            "src/views/b/mod.rs",
            "#[cfg(test)]\nmod tests {\n    use super::super::super::report::tables;\n}\n",
        ),
        (
            "src/main.rs",
            "use cvp::views::{a, b};\nfn main() { cvp::net::go(); crate::helper(); }\nfn helper() {}\n",
        ),
    ])
}

/// `clean()` with `file` set to `text`, checked.
fn check_with(changes: &[(&str, &str)]) -> Vec<Violation> {
    let mut files = clean();
    for (file, text) in changes {
        files.insert(file.to_string(), text.to_string());
    }
    check(&files)
}

/// The one violation of `rule` in `violations`, which must name every one of `words`.
fn only(violations: &[Violation], rule: &str, words: &[&str]) {
    let found: Vec<_> = violations.iter().filter(|v| v.rule == rule).collect();
    assert_eq!(found.len(), 1, "one [{rule}] expected in {violations:#?}");
    for word in words {
        assert!(found[0].text.contains(word), "{word:?} not in {:?}", found[0].text);
    }
    assert_eq!(violations.len(), 1, "only [{rule}] expected in {violations:#?}");
}

#[test]
fn checker_passes_a_clean_tree() {
    let files = clean();
    assert_eq!(check(&files), [], "{}", explain(&check(&files), files.len()));
    assert_eq!(sizes(&files), []);
    // ...and it saw the references, through lib.rs's re-exports and inline modules as well.
    let (refs, _) = references(&files);
    let seen = |from: &str, to: &str, line: usize| {
        refs.iter().any(|r| r.from == from && r.to == to && r.line == line)
            || panic!("no {from}:{line} -> {to} in {refs:#?}")
    };
    seen("src/strategy/mod.rs", "src/workload/digest.rs", 2);
    seen("src/strategy/mod.rs", "src/workload/net.rs", 3);
    seen("src/strategy/mod.rs", "src/workload/mod.rs", 4);
    seen("src/strategy/mod.rs", "src/workload/mod.rs", 12);
    seen("src/config.rs", "src/strategy/mod.rs", 1);
    seen("src/report/mod.rs", "src/report/tables.rs", 6);
    seen("src/views/b/mod.rs", "src/report/tables.rs", 3);
    seen("src/main.rs", "src/workload/net.rs", 2);
    seen("src/main.rs", "src/views/b/mod.rs", 1);
    assert!(!refs.iter().any(|r| r.to.contains("views") && r.from.contains("strategy")), "{refs:#?}");
    assert!(!refs.iter().any(|r| r.from == "src/main.rs" && r.to == "src/lib.rs"), "{refs:#?}");
}

#[test]
fn checker_reports_a_cycle() {
    let v = check_with(&[
        ("src/strategy/a.rs", "use super::b::X;\n"),
        ("src/strategy/b.rs", "pub struct X;\nfn f() {\n    crate::strategy::c::g();\n}\n"),
        ("src/strategy/c.rs", "/// See [`crate::strategy::a`].\npub fn g() {}\n"),
    ]);
    only(&v, "cycle", &["src/strategy/a.rs, src/strategy/b.rs, src/strategy/c.rs", "src/strategy/b.rs:3"]);
    let v = check_with(&[
        ("src/workload/net.rs", "use super::Workload;\n"),
        ("src/workload/mod.rs", "pub mod net;\npub struct Workload;\nuse self::net::x;\n"),
    ]);
    only(&v, "cycle", &["src/workload/mod.rs -> src/workload/net.rs -> src/workload/mod.rs"]);
}

#[test]
fn checker_sees_a_cycle_behind_a_mod_rs_reexport() {
    let v = check_with(&[
        (
            "src/views/a/mod.rs",
            "mod render;\nmod analysis;\npub use analysis::verdict;\npub use render::{table as draw};\npub struct Thing;\n",
        ),
        ("src/views/a/analysis.rs", "pub fn verdict() -> String { super::draw() }\n"),
        ("src/views/a/render.rs", "use super::{Thing, verdict};\npub fn table() -> String { verdict() }\n"),
    ]);
    only(&v, "cycle", &["src/views/a/analysis.rs -> src/views/a/render.rs -> src/views/a/analysis.rs"]);
}

#[test]
fn checker_reports_an_upward_reference() {
    let v = check_with(&[
        ("src/scaling.rs", "pub fn fit() {}\n"),
        ("src/config.rs", "fn f() {\n    crate::scaling::fit();\n}\n"),
    ]);
    only(&v, "upward", &["src/config.rs:2 -> src/scaling.rs", "crate::scaling::fit", "layer 2", "layer 3"]);
    // A test module of a low layer must not reach up either.
    let v = check_with(&[(
        "src/workload/other.rs",
        "#[cfg(test)]\nmod tests {\n    use crate::strategy::S;\n}\n",
    )]);
    only(&v, "upward", &["src/workload/other.rs:3 -> src/strategy/mod.rs"]);
    // Nor through a re-export of lib.rs.
    let mut v = clean();
    v.insert(
        "src/lib.rs".into(),
        "pub mod views;\npub use views::b::Thing;\npub use workload::{net, Workload as W};\n".into(),
    );
    v.insert("src/cli.rs".into(), "use crate::{report, Thing};\n".into());
    only(&check(&v), "upward", &["src/cli.rs:1 -> src/views/b/mod.rs", "`crate::Thing`"]);
}

#[test]
fn checker_reports_a_view_referring_to_another() {
    let v = check_with(&[(
        "src/views/a/render.rs",
        "use super::Thing;\nuse super::super::b::{\n    Other,\n};\n",
    )]);
    only(&v, "view to view", &["src/views/a/render.rs:3 -> src/views/b/mod.rs", "super::super::b::Other"]);
    let v =
        check_with(&[("src/views/a/tests.rs", "use crate::views::a::Thing;\n/// [`crate::views::b::C`]\n")]);
    only(&v, "view to view", &["src/views/a/tests.rs:2 -> src/views/b/mod.rs"]);
    let v = check_with(&[("src/views/b/mod.rs", "use super::Index;\n")]);
    only(&v, "view to composer", &["src/views/b/mod.rs:1 -> src/views/mod.rs"]);
    // A file beside the index composes views: it may use any, and no view may use it.
    let page = "use crate::views::a::Thing;\nuse super::b;\npub fn page() {}\n";
    assert_eq!(check_with(&[("src/views/page.rs", page)]), []);
    let v = check_with(&[
        ("src/views/page.rs", page),
        ("src/views/a/render.rs", "use crate::views::page::page;\n"),
    ]);
    only(&v, "view to composer", &["src/views/a/render.rs:1 -> src/views/page.rs"]);
}

#[test]
fn checker_reports_the_report_toolkit_referring_to_a_view() {
    let v = check_with(&[
        ("src/views/c/mod.rs", "pub struct Thing;\n"),
        ("src/report/tables.rs", "//! Tables for [`crate::views::c::Thing`].\npub fn x() {}\n"),
    ]);
    only(&v, "upward", &["src/report/tables.rs:1 -> src/views/c/mod.rs", "(report)", "(views)"]);
}

#[test]
fn checker_reports_a_leaf_that_refers_to_the_crate() {
    let v = check_with(&[("src/workload/digest.rs", "pub struct Digest;\nfn f() -> crate::W { todo!() }\n")]);
    only(&v, "leaf", &["src/workload/digest.rs:2 -> src/workload/mod.rs", "crate::W"]);
}

#[test]
fn checker_reports_a_file_not_in_the_layout_and_who_uses_it() {
    let v = check_with(&[("src/analysis.rs", "pub fn fit() {}\n")]);
    only(&v, "not in the layout", &["src/analysis.rs has no layer"]);
    let v = check_with(&[
        ("src/experiment/sweep.rs", "\n"),
        ("src/cli.rs", "use crate::experiment::sweep::Plan;\n"),
    ]);
    assert_eq!(v.len(), 2, "{v:#?}");
    assert!(v.iter().all(|v| v.rule == "not in the layout"), "{v:#?}");
    assert!(v[0].text.contains("src/cli.rs:1 -> src/experiment/sweep.rs"), "{v:#?}");
    // A view is a folder, and a file directly in src/views/ composes views: only deeper, outside a view
    // folder, is there none (`src/views/*/**` is a view's).
    assert_eq!(layer("src/views/c.rs"), layer("src/views/mod.rs"));
    only(&check_with(&[("src/views.rs", "\n")]), "not in the layout", &["src/views.rs"]);
}

#[test]
fn checker_reports_paths_it_cannot_map() {
    only(
        &check_with(&[("src/cli.rs", "use crate::Nothing;\n")]),
        "crate root",
        &["src/cli.rs:1 -> src/lib.rs"],
    );
    only(&check_with(&[("src/cli.rs", "#[path = \"x.rs\"]\nmod x;\n")]), "unsupported", &["src/cli.rs:1"]);
    only(&check_with(&[("src/main.rs", "mod helpers;\nfn main() {}\n")]), "unsupported", &["src/main.rs:1"]);
}

#[test]
fn checker_reports_long_files() {
    let long = |n: usize| "fn f() {}\n".repeat(n);
    let tests = "#[cfg(test)]\nmod tests {\n    use super::*;\n}\n";
    let mut files = clean();
    files.insert("src/main.rs".into(), long(251));
    files.insert("src/config.rs".into(), long(701));
    files.insert("src/claims.rs".into(), long(700) + tests);
    files.insert("src/views/a/tests.rs".into(), long(2000));
    files.insert("src/measure.rs".into(), long(700) + tests + "fn after_the_tests() {}\n");
    let v = sizes(&files);
    let names: Vec<_> = v.iter().map(|v| v.text.split(' ').next().unwrap()).collect();
    assert_eq!(names, ["src/config.rs", "src/main.rs", "src/measure.rs"], "{v:#?}");
}
