//! The benches read criterion's filter, `--sample-size` and `--measurement-time` as criterion does, so a
//! filtered run checks and sets up only what it will measure, and a flag is honoured, never overridden.

#[path = "../benches/common/args.rs"]
mod args;

use args::BenchArgs;

fn parse(args: &[&str]) -> Result<BenchArgs, String> {
    BenchArgs::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

#[test]
fn the_filter_is_a_regex_matched_anywhere_unless_exact() {
    let a = parse(&["--bench", "io_bound/async/"]).unwrap();
    assert!(a.selects("io_bound/async/1") && a.selects("io_bound/async/4"));
    assert!(!a.selects("io_bound/async_offload/1"), "the trailing slash keeps async_offload out");
    let substring = parse(&["--bench", "io_bound/async"]).unwrap();
    assert!(substring.selects("io_bound/async_offload/1"), "criterion's own substring semantics");
    let exact = parse(&["--bench", "--exact", "io_bound/async/1"]).unwrap();
    assert!(exact.selects("io_bound/async/1") && !exact.selects("io_bound/async/10"));
    assert!(parse(&["--bench"]).unwrap().selects("anything"));
    assert!(!parse(&["--bench", "--ignored"]).unwrap().selects("cpu_bound/threads/1"));
}

/// Only a run of every benchmark rewrites the verdict page: a filtered one measured a part.
#[test]
fn only_an_unfiltered_run_selects_all() {
    assert!(parse(&["--bench"]).unwrap().selects_all());
    assert!(parse(&["--bench", "--save-baseline", "before"]).unwrap().selects_all());
    assert!(!parse(&["--bench", "cpu_bound"]).unwrap().selects_all());
    assert!(!parse(&["--bench", "--exact", "io_bound/async/1"]).unwrap().selects_all());
    assert!(!parse(&["--bench", "--ignored"]).unwrap().selects_all());
}

#[test]
fn option_values_are_not_mistaken_for_the_filter() {
    let a =
        parse(&["--bench", "--save-baseline", "before", "-b", "x", "--color=never", "cpu_bound"]).unwrap();
    assert!(a.selects("cpu_bound/threads/2") && !a.selects("io_bound/threads/2"));
    let a = parse(&["--bench", "--sample-size", "50", "--measurement-time", "3"]).unwrap();
    assert_eq!((a.sample_size, a.measurement_time), (Some(50), true));
    assert!(a.selects("mixed/rayon/4"), "no filter");
    assert_eq!(parse(&["--sample-size=30"]).unwrap().sample_size, Some(30));
}

#[test]
fn bad_values_are_refused_with_what_is_accepted() {
    let e = parse(&["--bench", "io_bound/(async"]).unwrap_err();
    assert!(e.contains("not a regular expression"), "{e}");
    let e = parse(&["--sample-size", "5"]).unwrap_err();
    assert!(e.contains("--sample-size") && e.contains("at least 10"), "{e}");
}
