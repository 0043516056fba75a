//! The criterion arguments the benches must honour themselves, read the way criterion reads them: the
//! filter (a regular expression matched anywhere in an id, or the whole id with `--exact`; `--ignored`
//! rejects everything), `--sample-size` and `--measurement-time`. A pure function of the argument list, so
//! `tests/bench_args.rs` tests it without running a bench.

/// criterion's options that take a value (everything else is a flag or the filter).
const WITH_VALUE: [&str; 16] = [
    "-c",
    "--color",
    "--colour",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--format",
    "--profile-time",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
];
const WITH_VALUE_TOO: [&str; 3] = ["--confidence-level", "--significance-level", "--plotting-backend"];

/// What the benches read from criterion's arguments.
#[derive(Debug, Default)]
pub struct BenchArgs {
    /// The id filter.
    filter: Option<regex::Regex>,
    /// The filter as given, for `--exact`.
    exact: Option<String>,
    /// `--ignored`: criterion runs nothing.
    ignored: bool,
    /// `--sample-size N`, if given.
    pub sample_size: Option<usize>,
    /// Whether `--measurement-time` was given (then it is never stretched).
    pub measurement_time: bool,
}

impl BenchArgs {
    /// Reads `args` (without the executable). An unparsable filter or sample size is an error message.
    pub fn parse(args: &[String]) -> Result<BenchArgs, String> {
        let mut out = BenchArgs::default();
        let mut filter = None;
        let mut exact = false;
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (a, None),
            };
            let takes_value = WITH_VALUE.contains(&name) || WITH_VALUE_TOO.contains(&name);
            let value = if takes_value && inline.is_none() {
                i += 1;
                args.get(i).cloned()
            } else {
                inline
            };
            match name {
                "--exact" => exact = true,
                "--ignored" => out.ignored = true,
                "--measurement-time" => out.measurement_time = true,
                "--sample-size" => {
                    let v = value.unwrap_or_default();
                    let n = v.parse::<usize>().ok().filter(|&n| n >= 10).ok_or_else(|| {
                        format!("invalid --sample-size {v:?}; accepted: a whole number of at least 10")
                    })?;
                    out.sample_size = Some(n);
                }
                _ if !takes_value && !a.starts_with('-') && filter.is_none() => filter = Some(a.to_string()),
                _ => {}
            }
            i += 1;
        }
        match (filter, exact) {
            (Some(f), true) => out.exact = Some(f),
            (Some(f), false) => out.filter = Some(regex::Regex::new(&f).map_err(|e| {
                format!(
                    "the filter {f:?} is not a regular expression (criterion matches it anywhere in ids such \
                         as io_bound/async/1): {e}"
                )
            })?),
            (None, _) => {}
        }
        Ok(out)
    }

    /// Whether every benchmark runs: no filter, no `--exact`, no `--ignored`.
    pub fn selects_all(&self) -> bool {
        !self.ignored && self.exact.is_none() && self.filter.is_none()
    }

    /// Whether criterion will run the benchmark `id`.
    pub fn selects(&self, id: &str) -> bool {
        if self.ignored {
            return false;
        }
        match (&self.exact, &self.filter) {
            (Some(e), _) => id == e,
            (None, Some(re)) => re.is_match(id),
            (None, None) => true,
        }
    }
}
