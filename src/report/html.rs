//! HTML pages a person reads: a record's `index.html` (beside its README), the page `cargo bench` leaves in
//! criterion's folder, and the page across records. Each page is one self-contained file: inline CSS, the
//! plots as `data:` images, the data as JSON; it loads nothing (a Content-Security-Policy says so to the
//! browser), runs no script, and reads in light and dark.
//!
//! Every string may come from a record made on another machine: it is untrusted. The page shell and the
//! verdict board are `maud` templates (which escape every value); Markdown is rendered by `pulldown-cmark`
//! with its raw HTML turned into text, links kept only to the folder's own files, anchors and `http(s)`
//! pages, and SVG files shown as images (a script inside an image never runs).

use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::claims::{CLAIMS, Claim, Control, Outcome, Verdict};

/// Table cells longer than this (in characters of text) fold into a `<details>`: the start shows, the rest
/// opens on a click, so a table stays a table.
const FOLD_CELL: usize = 160;

/// How much of a folded cell shows before it is opened.
const FOLD_SHOWN: usize = 90;

/// The page shell: `title`, the header's lines under it, then `body`, then `footer`. `lang="en"`, a viewport for phones,
/// a policy that forbids loading anything, and the stylesheet.
pub fn page(title: &str, header: &[String], body: Markup, footer: &str) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { (title) }
                    @for line in header { p.sub { (line) } }
                }
                main { (body) }
                footer { (footer) }
            }
        }
    }
    .into_string()
}

/// Where a claim's figure is, for the board's link: the view's section id (see [`markdown`]).
pub fn view_anchor(view: &str) -> String {
    format!("view-{view}")
}

/// The verdict board: one row per claim in [`CLAIMS`] order, the article's words, the verdict as colour and
/// text (controls marked), the deciding numbers (the full evidence folds under them), and a link to the
/// view that shows it. A claim's other lines (its net_bound twin, a boundary line) sit under it. A claim
/// with no verdict says which command measures it: `missing(claim)`.
pub fn board(
    verdicts: &[Verdict],
    link: &dyn Fn(&Claim) -> Option<String>,
    missing: &dyn Fn(&Claim) -> String,
) -> Markup {
    html! {
        section.board aria-label="verdicts" {
            h2 #verdicts { "Was the article right on this machine?" }
            div.rows {
                @for claim in &CLAIMS {
                    @let lines: Vec<&Verdict> = verdicts.iter().filter(|v| v.claim == claim.id).collect();
                    @if lines.is_empty() {
                        (row(claim, None, false, link(claim), &missing(claim)))
                    }
                    @for v in &lines {
                        (row(claim, Some(v), v.statement != claim.statement, link(claim), ""))
                    }
                }
            }
        }
    }
}

/// One line of the board.
fn row(claim: &Claim, v: Option<&Verdict>, sub: bool, link: Option<String>, missing: &str) -> Markup {
    let (class, word) = look(v.map(|v| v.verdict));
    // A twin on a server has its own control, not the client claim's.
    let twin = v.filter(|v| sub && v.is_server_twin()).map(|v| crate::claims::server_control(&v.claim));
    let control = match twin.unwrap_or(claim.control) {
        Control::No => None,
        Control::Whole => Some("control".to_string()),
        Control::Part(part) => Some(format!("part control: {part}")),
    };
    // A twin's or boundary line's own words: what its statement adds to the claim's.
    let what = v.filter(|_| sub).map(|v| {
        let extra = v.statement.strip_prefix(claim.statement).unwrap_or(&v.statement);
        extra.trim().trim_start_matches('(').trim_end_matches(')').to_string()
    });
    let numbers = v.map_or(missing.to_string(), |v| {
        if v.headline.is_empty() { shorten(&v.evidence, FOLD_SHOWN) } else { v.headline.clone() }
    });
    html! {
        div class={ "row " (class) @if sub { " sub" } } {
            div.id {
                @match (&link, sub) {
                    (_, true) => "↳",
                    (Some(href), false) => a href=(href) title="the figure" { (claim.id) },
                    (None, false) => (claim.id),
                }
            }
            div.claim {
                @if let Some(what) = &what {
                    span.twin { (what) }
                } @else {
                    q title=(claim.statement) { (claim.article) }
                    @if let Some(c) = &control { " " span.control { (c) } }
                }
            }
            div.verdict { span.badge { (word) } }
            div.numbers {
                @match v {
                    Some(v) => details {
                        summary { (numbers) }
                        p { (v.evidence) }
                    },
                    None => span.hint { (code_spans(&numbers)) },
                }
            }
        }
    }
}

/// `text` with its `backticked` spans as code, everything escaped (a hint names commands that way).
fn code_spans(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

/// A verdict as the board shows it: the class that colours it and its words (`None`: not measured).
pub fn look(outcome: Option<Outcome>) -> (&'static str, &'static str) {
    match outcome {
        Some(Outcome::Shown) => ("shown", "shown"),
        Some(Outcome::NotShown) => ("not-shown", "not shown"),
        Some(Outcome::CannotBeShown) => ("cannot", "cannot be shown here"),
        None => ("missing", "not measured"),
    }
}

/// A plot drawn here (an SVG document) as a figure: a `data:` image with `alt` text, and its caption.
pub fn svg_figure(svg: &str, alt: &str, caption: Markup) -> Markup {
    let data = base64::engine::general_purpose::STANDARD.encode(svg.as_bytes());
    html! {
        figure {
            img src={ "data:image/svg+xml;base64," (data) } alt=(alt);
            figcaption { (caption) }
        }
    }
}

/// `text` cut at a word boundary to at most about `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

/// What `markdown` needs to know about the folder the Markdown sits in.
pub struct Folder<'a> {
    /// The folder's files by name: links to them stay links; SVG images among them are inlined.
    pub files: &'a [(String, Vec<u8>)],
    /// Level-2 headings that open a view's section, by prefix: (heading prefix, view), e.g. `("Scale",
    /// "scale")`. The first heading with the prefix gets the id [`view_anchor`]`(view)`.
    pub views: &'a [(&'a str, &'a str)],
}

/// `md` as safe HTML: raw HTML shown as text, the first `# ` heading dropped (the page has its title),
/// level-2 headings with ids, SVG images from the folder inlined as `data:` images (anything else an
/// image names is dropped: the page loads nothing), links kept only inside the folder, to anchors or to
/// `http(s)` pages, and long table cells folded.
pub fn markdown(md: &str, folder: &Folder) -> Markup {
    let mut out: Vec<Event> = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    // Events held back until their element ends: a heading (for its id), an image (for its alt text), a
    // table cell (to fold it), a link (to drop it).
    let mut held: Vec<Event> = Vec::new();
    let mut holding: Option<Tag> = None;
    let mut link_stack: Vec<bool> = Vec::new();
    let mut dropped_title = false;
    let mut in_image: Option<(String, String)> = None;
    for event in Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        let event = match event {
            // A comment (the README's "generated by" line) is for editors of the Markdown: dropped.
            Event::Html(h) | Event::InlineHtml(h)
                if h.trim().starts_with("<!--") && h.trim().ends_with("-->") =>
            {
                continue;
            }
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => continue,
            other => other,
        };
        // Images: gather the alt text, then emit one element.
        if let Some((dest, alt)) = &mut in_image {
            match event {
                Event::End(TagEnd::Image) => {
                    let img = image(dest, alt, folder);
                    in_image = None;
                    push(&mut out, &mut held, holding.is_some(), Event::Html(CowStr::from(img)));
                }
                Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                in_image = Some((dest_url.to_string(), String::new()))
            }
            Event::Start(Tag::Heading { level: HeadingLevel::H1, .. }) if !dropped_title => {
                holding =
                    Some(Tag::Heading { level: HeadingLevel::H1, id: None, classes: vec![], attrs: vec![] });
            }
            Event::End(TagEnd::Heading(HeadingLevel::H1)) if !dropped_title && holding.is_some() => {
                dropped_title = true;
                holding = None;
                held.clear();
            }
            Event::Start(tag @ (Tag::Heading { .. } | Tag::TableCell)) if holding.is_none() => {
                holding = Some(tag);
            }
            Event::End(TagEnd::Heading(level)) if holding.is_some() => {
                let text = plain(&held);
                let id = folder
                    .views
                    .iter()
                    .find(|(prefix, view)| text.starts_with(prefix) && !named.contains(view))
                    .map(|(_, view)| {
                        named.push(view);
                        view_anchor(view)
                    })
                    .unwrap_or_else(|| slug(&text));
                out.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(id.into()),
                    classes: vec![],
                    attrs: vec![],
                }));
                out.append(&mut held);
                out.push(Event::End(TagEnd::Heading(level)));
                holding = None;
            }
            Event::End(TagEnd::TableCell) if holding.is_some() => {
                let text = plain(&held);
                out.push(Event::Start(Tag::TableCell));
                if text.chars().count() > FOLD_CELL {
                    let summary = maud::html! { (shorten(&text, FOLD_SHOWN)) }.into_string();
                    out.push(Event::Html(format!("<details><summary>{summary}</summary>").into()));
                    out.append(&mut held);
                    out.push(Event::Html("</details>".into()));
                } else {
                    out.append(&mut held);
                }
                out.push(Event::End(TagEnd::TableCell));
                holding = None;
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                let keep = safe_link(&dest_url, folder);
                link_stack.push(keep);
                if keep {
                    let tag = Tag::Link { link_type, dest_url, title, id };
                    push(&mut out, &mut held, holding.is_some(), Event::Start(tag));
                }
            }
            Event::End(TagEnd::Link) => {
                if link_stack.pop().unwrap_or(false) {
                    push(&mut out, &mut held, holding.is_some(), Event::End(TagEnd::Link));
                }
            }
            other => push(&mut out, &mut held, holding.is_some(), other),
        }
    }
    let mut html_out = String::new();
    pulldown_cmark::html::push_html(&mut html_out, out.into_iter());
    PreEscaped(html_out)
}

/// Sends `event` to the held events while an element is held, else to the output.
fn push<'a>(out: &mut Vec<Event<'a>>, held: &mut Vec<Event<'a>>, holding: bool, event: Event<'a>) {
    if holding { held.push(event) } else { out.push(event) }
}

/// The text of `events`.
fn plain(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.to_string()),
            Event::SoftBreak | Event::HardBreak => Some(" ".into()),
            _ => None,
        })
        .collect()
}

/// A heading's id: lower case words joined by `-`.
/// The id each heading of `md` gets from [`markdown`] (its text, then its id), in order: the first heading
/// with a view's prefix is the view's anchor, every other its slug. The page title (`# `) has none.
pub fn heading_ids(md: &str, views: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut named: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for line in md.lines() {
        let level = line.chars().take_while(|&c| c == '#').count();
        let Some(text) = line.get(level..).and_then(|t| t.strip_prefix(' ')) else { continue };
        if !(2..=6).contains(&level) {
            continue;
        }
        let text = text.trim().to_string();
        let id = match views.iter().find(|(prefix, view)| text.starts_with(prefix) && !named.contains(view)) {
            Some((_, view)) => {
                named.push(view);
                view_anchor(view)
            }
            None => slug(&text),
        };
        out.push((text, id));
    }
    out
}

fn slug(text: &str) -> String {
    let mut s = String::new();
    for c in text.to_lowercase().chars() {
        if c.is_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_string()
}

/// Whether a link may stay: to a file of the folder, an anchor, or an `http(s)` page. Anything else (a
/// path outside the folder, `javascript:`, `file:`) becomes its text alone.
fn safe_link(dest: &str, folder: &Folder) -> bool {
    dest.starts_with('#')
        || dest.starts_with("https://")
        || dest.starts_with("http://")
        || folder.files.iter().any(|(name, _)| name == dest)
}

/// An image: an SVG file of the folder as a `data:` image, else its alt text (nothing is loaded).
fn image(dest: &str, alt: &str, folder: &Folder) -> String {
    match folder.files.iter().find(|(name, _)| name == dest && name.ends_with(".svg")) {
        Some((name, bytes)) => {
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            html! {
                figure {
                    a href=(name) { img src={ "data:image/svg+xml;base64," (data) } alt=(alt); }
                    figcaption { (alt) }
                }
            }
            .into_string()
        }
        None => html! { span.missing-image { "[" (alt) "]" } }.into_string(),
    }
}

/// The folder's JSON files, embedded for anyone to re-analyse: `<script type="application/json"
/// id="data-NAME">`. `<` is written `\u003c`, so no string in the data can close the element.
pub fn data(files: &[(String, Vec<u8>)]) -> Markup {
    html! {
        @for (name, bytes) in files.iter().filter(|(n, _)| n.ends_with(".json")) {
            script type="application/json" id={ "data-" (name) } {
                (PreEscaped(String::from_utf8_lossy(bytes).replace('<', "\\u003c")))
            }
        }
    }
}

/// The stylesheet: system fonts, light and dark, a board that is a grid at 1000 px and stacks on a phone.
const CSS: &str = r#"
:root { --bg:#fff; --fg:#1b1f24; --muted:#5b6570; --line:#d8dee4; --card:#f6f8fa;
  --shown:#1a7f37; --shown-bg:#dafbe1; --not:#cf222e; --not-bg:#ffebe9; --cannot:#9a6700; --cannot-bg:#fff8c5;
  --link:#0969da; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --bg:#0d1117; --fg:#e6edf3; --muted:#9198a1; --line:#30363d;
  --card:#161b22; --shown:#3fb950; --shown-bg:#12261e; --not:#f85149; --not-bg:#2d1214; --cannot:#d29922;
  --cannot-bg:#2b2111; --link:#4493f8; } }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
header, main { max-width: 1100px; margin: 0 auto; padding: 0 16px; }
header { padding-top: 10px; }
h1 { font-size: 20px; margin: 0 0 2px; }
p.sub { margin: 0; color: var(--muted); font-size: 12.5px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 22px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 3px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
a { color: var(--link); }
code { font-size: 12.5px; background: var(--card); padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: var(--card); padding: 8px; overflow-x: auto; font-size: 12.5px; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; display: block; overflow-x: auto; max-width: 100%; font-size: 12.5px; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 2px 6px; vertical-align: top; }
th { background: var(--card); text-align: left; }
td details summary { cursor: pointer; }
figure { margin: 10px 0; }
figure img { max-width: 100%; height: auto; background: #fff; border-radius: 4px; }
figcaption { color: var(--muted); font-size: 12px; }
details summary { cursor: pointer; }
.board h2 { margin-top: 8px; }
.rows { display: grid; grid-template-columns: 2.2em minmax(12em, 1fr) max-content minmax(16em, 1.7fr);
  border-top: 1px solid var(--line); font-size: 13px; line-height: 1.3; }
.row { display: contents; }
.row > div { padding: 3px 6px; border-bottom: 1px solid var(--line); }
.row.sub > div { padding-top: 1px; padding-bottom: 2px; font-size: 12px; }
.row .id { font-weight: 600; }
.row.sub .id, .row.sub .twin { color: var(--muted); }
.row q { font-style: italic; }
.control { font-size: 11px; color: var(--muted); border: 1px solid var(--line); border-radius: 8px; padding: 0 5px; white-space: nowrap; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-weight: 600; font-size: 12px; white-space: nowrap; }
.shown .badge { color: var(--shown); background: var(--shown-bg); }
.not-shown .badge { color: var(--not); background: var(--not-bg); }
.cannot .badge { color: var(--cannot); background: var(--cannot-bg); }
.missing .badge { color: var(--muted); background: var(--card); }
.numbers details p { margin: 4px 0; color: var(--muted); font-size: 12px; }
.hint { color: var(--muted); font-size: 12px; }
.scroll { overflow-x: auto; max-width: 100%; margin: 8px 0; border: 1px solid var(--line); border-radius: 4px; }
table.across { display: table; border-collapse: separate; border-spacing: 0; margin: 0; min-width: 100%; font-size: 13px; line-height: 1.3; }
table.across th, table.across td { border: 0; border-bottom: 1px solid var(--line); border-left: 1px solid var(--line); padding: 4px 8px; }
table.across th.claim { position: sticky; left: 0; z-index: 1; background: var(--bg); border-left: 0; min-width: 14em; max-width: 21em; font-weight: normal; }
table.across thead th, table.across thead th.claim { background: var(--card); font-weight: 600; }
table.across td { min-width: 13em; }
table.across tr.sub th.claim, table.across tr.sub td { font-size: 12px; }
table.across tr.sub th.claim { color: var(--muted); padding-left: 16px; }
table.across th.machine .cpu, table.across th.machine .cores { display: block; }
table.across th.machine .cores, table.across th.run { font-weight: normal; color: var(--muted); }
table.across th.run a { font-weight: 600; }
table.across .runof { white-space: nowrap; }
.other { display: inline-block; margin-top: 2px; font-size: 11px; font-weight: normal; color: var(--muted); border: 1px solid var(--line); border-radius: 8px; padding: 0 5px; white-space: nowrap; }
table.across td .value { display: block; white-space: nowrap; }
p.note { border-left: 3px solid var(--line); padding: 2px 8px; }
table.across details p { margin: 4px 0; color: var(--muted); font-size: 12px; }
.from-readme, .change { display: block; color: var(--muted); font-size: 11.5px; }
.from-readme { font-style: italic; }
.change.beyond { color: var(--fg); font-weight: 600; }
footer { max-width: 1100px; margin: 24px auto; padding: 0 16px; color: var(--muted); font-size: 12px; }
@media (max-width: 700px) {
  .rows { grid-template-columns: 2.2em 1fr; }
  .row .claim, .row .verdict, .row .numbers { grid-column: 2; }
  .row .claim, .row .verdict { border-bottom: none; padding-bottom: 0; }
  .row .id { grid-row: span 3; }
  table.across th.claim { min-width: 8.5em; max-width: 10em; }
  table.across td { min-width: 10.5em; }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with(files: &[(String, Vec<u8>)]) -> Folder<'_> {
        Folder { files, views: &[("Scale", "scale")] }
    }

    #[test]
    fn raw_html_and_unsafe_links_in_markdown_are_text() {
        let files = vec![("a.csv".to_string(), b"x".to_vec())];
        let md = "<!-- a comment -->\n# Title\n\n<script>alert(1)</script>\n\nCPU <img src=x onerror=alert(2)>\n\n\
                  [bad](javascript:alert(3)) [ok](a.csv) [out](../../secret.md) [web](https://example.org)\n\n\
                  ![remote](https://example.org/x.png)\n";
        let html = markdown(md, &folder_with(&files)).into_string();
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains(r#"<a href="a.csv">ok</a>"#), "{html}");
        assert!(html.contains(r#"<a href="https://example.org">web</a>"#), "{html}");
        assert!(!html.contains("secret.md"), "a link out of the folder is its text alone: {html}");
        assert!(!html.contains("example.org/x.png"), "nothing is loaded: {html}");
        assert!(!html.contains("<h1"), "the page has its own title: {html}");
        assert!(!html.contains("a comment"), "a comment is dropped: {html}");
    }

    #[test]
    fn svg_images_are_inlined_and_headings_get_ids() {
        let files = vec![("p.svg".to_string(), b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec())];
        let md = "## Scale: 1 to 100\n\n![a plot <b>](p.svg)\n\n## Scale again\n\n## Other things\n";
        let html = markdown(md, &folder_with(&files)).into_string();
        assert!(html.contains(r#"<h2 id="view-scale">"#), "{html}");
        assert!(html.contains(r#"<h2 id="scale-again">"#), "only the first heading is the view's: {html}");
        assert!(html.contains(r#"<h2 id="other-things">"#), "{html}");
        assert!(html.contains("data:image/svg+xml;base64,"), "{html}");
        assert!(html.contains("a plot &lt;b&gt;"), "alt text escaped: {html}");
    }

    #[test]
    fn long_table_cells_fold_and_short_ones_do_not() {
        let long = "word ".repeat(60);
        let md = format!("| a | b |\n|---|---|\n| short | {long} |\n");
        let html = markdown(&md, &folder_with(&[])).into_string();
        assert_eq!(html.matches("<details>").count(), 1, "{html}");
        assert!(html.contains("<td>short</td>"), "{html}");
    }

    #[test]
    fn the_board_has_every_claim_escapes_evidence_and_marks_twins() {
        let judged = |outcome, evidence: &str, headline: &str| crate::claims::Judged {
            outcome,
            evidence: evidence.into(),
            headline: headline.into(),
        };
        let c1 = crate::claims::claim("C1").verdict(judged(
            Outcome::Shown,
            "<b>ran</b> 32 waits",
            "1.00 [1.00 to 1.00] one-wait floors (<= 1.5)",
        ));
        let mut twin = crate::claims::claim("C1").verdict(judged(Outcome::CannotBeShown, "too noisy", ""));
        twin.statement = format!("{} (net_bound: loopback TCP)", twin.statement);
        let c6 = crate::claims::claim("C6").verdict(judged(Outcome::NotShown, "slower", ""));
        let html = board(&[c1, twin, c6], &|c| Some(format!("#{}", view_anchor(c.view))), &|c| {
            format!("needs cvp {}", c.view)
        })
        .into_string();
        for claim in &CLAIMS {
            let id = format!(
                r##"<div class="id"><a href="#view-{}" title="the figure">{}</a></div>"##,
                claim.view, claim.id
            );
            assert!(html.contains(&id), "{}: {html}", claim.id);
        }
        assert!(html.contains("&lt;b&gt;ran&lt;/b&gt;"), "{html}");
        assert!(
            html.contains("<summary>1.00 [1.00 to 1.00] one-wait floors (&lt;= 1.5)</summary>"),
            "{html}"
        );
        assert!(html.contains("<summary>too noisy</summary>"), "no headline: the evidence's start: {html}");
        assert!(html.contains(r#"class="row cannot sub""#), "{html}");
        assert!(html.contains("net_bound: loopback TCP"), "{html}");
        assert!(html.contains(r#"class="row not-shown""#), "{html}");
        assert!(html.contains("needs cvp latency"), "a claim without a verdict names its command: {html}");
        assert!(html.contains("(control)") || html.contains(">control<"), "C6 is a control: {html}");
    }

    #[test]
    fn embedded_json_cannot_close_its_element() {
        let files =
            vec![("run.json".to_string(), br#"{"cpu":"</script><script>alert(1)</script>"}"#.to_vec())];
        let html = data(&files).into_string();
        assert_eq!(html.matches("</script>").count(), 1, "{html}");
        assert!(html.contains(r#"id="data-run.json""#));
    }
}
