//! The views: one folder each, every one with the same roles (see ARCHITECTURE.md): `mod.rs` the plan and
//! rows (plain serde data), `measure` the only place that runs jobs or children, `analysis` rows -> derived
//! numbers and verdicts (no I/O), `render` table, CSV, JSON, SVG and the view's report section, `cli` flags +
//! `Config` -> plan, then measure -> analysis -> render. A view imports no other view: `cvp report`, here,
//! composes their sections into one results folder, knowing no view's rows.

pub mod latency;
pub mod scale;
pub mod scaling;
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
    /// Accept input files measured by another build (commit, compiler, profile) than the criterion data;
    /// each section then names its build. Without it such a mix is refused.
    #[arg(long)]
    pub mixed_builds: bool,
}

/// `cvp report`: the scaling view's part from criterion's folder (and a `cvp run` file), then each other view's
/// section read from its own file; one results folder, written whole or not at all.
pub fn report(args: ReportArgs) -> Result<(), Failure> {
    let criterion_dir = args.criterion_dir.unwrap_or_else(report::criterion_home);
    let command = std::env::args().map(|a| report::shell_word(&a)).collect::<Vec<_>>().join(" ");
    let mut inputs: Vec<&std::path::Path> = vec![&criterion_dir];
    inputs.extend(
        args.run.iter().chain(&args.latency).chain(&args.trace).chain(&args.scale).map(|p| p.as_path()),
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
