//! The views: one folder each, every one with the same roles (see ARCHITECTURE.md): `mod.rs` the plan and
//! rows (plain serde data), `measure` the only place that runs jobs or children, `analysis` rows -> derived
//! numbers and verdicts (no I/O), `render` table, CSV, JSON, SVG and the view's report section, `cli` flags +
//! `Config` -> plan, then measure -> analysis -> render. A view imports no other view: `cvp report`, here,
//! composes their sections into one results folder, knowing no view's rows; [`across`] and [`records`],
//! beside it, compose the records they wrote into one page (`cvp report --index`, `cvp compare --html`).

pub mod across;
pub mod latency;
pub mod records;
pub mod scale;
pub mod scaling;
pub mod server;
pub mod trace;

use std::path::PathBuf;

use crate::cli::Failure;
use crate::report;

/// `cvp report`'s flags.
#[allow(rustdoc::invalid_html_tags)] // `<machine>` is help text for the terminal
#[derive(clap::Args)]
pub struct ReportArgs {
    /// criterion's output folder [default: $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion, else target/criterion]
    #[arg(long)]
    pub criterion_dir: Option<PathBuf>,
    /// The criterion baseline to read.
    #[arg(long, default_value = "new")]
    pub baseline: String,
    /// A `cvp run --format json` file: adds CPU time, cores busy and in flight.
    #[arg(long)]
    pub run: Option<PathBuf>,
    /// A `cvp latency --format json` file: adds the latency section (tables, plot, C7).
    #[arg(long)]
    pub latency: Option<PathBuf>,
    /// Output folder [default: results/<machine>/<YYYY-MM-DD>]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the files of an existing output folder (the whole folder is swapped in at once; files of
    /// your own in it are kept).
    #[arg(long)]
    pub force: bool,
    /// A `cvp trace` output folder (or its trace.json): adds its timeline, Chrome trace and, when it ran
    /// on one CPU, the C9 verdict. May be given more than once.
    #[arg(long)]
    pub trace: Vec<PathBuf>,
    /// Take benchmarks that carry no valid record (of their size and machine) as measured on this machine
    /// at the current CVP_* sizes. The generated README says so.
    #[arg(long)]
    pub assume_this_machine: bool,
    /// A `cvp scale --format json` file: adds the scale section (table, scale.csv, two plots, C8). Given
    /// twice, a sleep file and a `--io socket` one: a section each. With `--run`, the socket file's
    /// async/N requests are put beside the run's net_bound figure at the same J and W (flagged more than 2x
    /// apart).
    #[arg(long)]
    pub scale: Vec<PathBuf>,
    /// A `cvp server --format json` file (the rate sweep, `--idle`'s C10k row, `--mix`'s heavy-request
    /// mix or `--cores`'s knees against workers): adds its section (the steps, knees, plots). May be given
    /// once for each kind.
    #[arg(long)]
    pub server: Vec<PathBuf>,
    /// Accept input files measured by another build (commit, compiler, profile) than the criterion data;
    /// each section then names its build. Without it such a mix is refused.
    #[arg(long)]
    pub mixed_builds: bool,
    /// Instead of a record: write FOLDER/index.html, the page across every record under FOLDER
    /// (results/<machine>/<YYYY-MM-DD>/, each with machine.json). A column per record, runs of one machine
    /// together; the verdicts as each record holds them (its verdicts.json, else its README's table),
    /// never judged again; cpu_bound's speedups, memory per wait and one-core p99 side by side, compared
    /// only between runs of one machine; three charts. It reads the records' files alone. With --force, an
    /// existing index.html is replaced.
    #[arg(long, value_name = "FOLDER", conflicts_with_all = [
        "criterion_dir", "run", "latency", "out", "trace", "assume_this_machine", "scale", "mixed_builds",
        "server",
    ])]
    pub index: Option<PathBuf>,
}

/// `cvp compare`'s flags: the scaling view's, and the page. (No argument group of its own: the flattened
/// flags' struct has the same name, and two groups of one name fail clap's debug-build checks.)
#[derive(clap::Args)]
#[group(skip)]
pub struct CompareArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub compare: scaling::cli::CompareArgs,
    /// Also write A and B side by side as a page to this file (the page of `cvp report --index` for the two):
    /// the verdicts of each, the numbers compared only when they are two runs of one machine, three charts.
    /// The text still goes to standard output.
    #[arg(long, value_name = "OUT")]
    pub html: Option<PathBuf>,
    /// Replace an existing --html file.
    #[arg(long, requires = "html")]
    pub force: bool,
}

/// `cvp compare`: the scaling view's text, and with `--html` the page across the two records. Nothing is
/// printed or written when the page cannot be made.
pub fn compare(args: CompareArgs) -> Result<(), Failure> {
    let page = match &args.html {
        Some(out) => {
            let bad = |e: report::ReportError| Failure::Input(anyhow::anyhow!("--html: {e}"));
            let folders: Vec<PathBuf> =
                [&args.compare.a, &args.compare.b].iter().map(PathBuf::from).filter(|p| p.is_dir()).collect();
            records::check_page_out(out, args.force, &folders).map_err(bad)?;
            let criterion_dir = args.compare.criterion_dir.clone().unwrap_or_else(report::criterion_home);
            Some((out.clone(), across::compare_page(&criterion_dir, &args.compare.a, &args.compare.b, out)?))
        }
        None => None,
    };
    scaling::cli::compare(args.compare)?;
    match page {
        Some((out, html)) => across::write_page(&out, &html),
        None => Ok(()),
    }
}

/// `cvp report`: the scaling view's part from criterion's folder (and a `cvp run` file), then each other view's
/// section read from its own file; one results folder, written whole or not at all.
pub fn report(args: ReportArgs) -> Result<(), Failure> {
    if let Some(folder) = &args.index {
        return across::index(folder, args.force);
    }
    let criterion_dir = args.criterion_dir.unwrap_or_else(report::criterion_home);
    let command = std::env::args().map(|a| report::shell_word(&a)).collect::<Vec<_>>().join(" ");
    let mut inputs: Vec<&std::path::Path> = vec![&criterion_dir];
    inputs.extend(
        args.run
            .iter()
            .chain(&args.latency)
            .chain(&args.trace)
            .chain(&args.scale)
            .chain(&args.server)
            .map(|p| p.as_path()),
    );
    let bad_out = |e: report::ReportError| Failure::Input(anyhow::anyhow!("--out: {e}"));
    if let Some(out) = &args.out {
        report::check_out_folder(out, &inputs).map_err(bad_out)?;
    }
    let mut sections = Vec::new();
    for path in &args.scale {
        let section = scale::read_section(path)?;
        let clash =
            |s: &&report::Section| s.files.iter().any(|(n, _)| section.files.iter().any(|(m, _)| m == n));
        if let Some(other) = sections.iter().find(clash) {
            return Err(Failure::Input(anyhow::anyhow!(
                "--scale {}: {} holds the same kind of scale run; accepted: at most one --io sleep file and \
                 one --io socket file",
                path.display(),
                other.source.display()
            )));
        }
        sections.push(section);
    }
    if let Some(path) = &args.latency {
        sections.push(latency::read_section(path)?);
    }
    for path in &args.trace {
        sections.push(trace::read_section(path)?);
    }
    for path in &args.server {
        let section = server::render::read_section(path)?;
        let clash =
            |s: &&report::Section| s.files.iter().any(|(n, _)| section.files.iter().any(|(m, _)| m == n));
        if let Some(other) = sections.iter().find(clash) {
            return Err(Failure::Input(anyhow::anyhow!(
                "--server {}: {} holds the same kind of server run; accepted: at most one sweep, one --idle, \
                 one --mix and one --cores file",
                path.display(),
                other.source.display()
            )));
        }
        sections.push(section);
    }
    let built = scaling::bench::build(&scaling::bench::Options {
        criterion_dir: &criterion_dir,
        baseline: &args.baseline,
        run_path: args.run.as_deref(),
        command: &command,
        assume_this_machine: args.assume_this_machine,
        sections,
        mixed_builds: args.mixed_builds,
    })?;
    let built = scaling::page::with_index(built);
    let out = args.out.clone().unwrap_or_else(|| built.default_out());
    report::check_out_folder(&out, &inputs).map_err(bad_out)?;
    crate::cli::writing(|| built.write(&out, args.force))?;
    println!("wrote {}", out.display());
    Ok(())
}
