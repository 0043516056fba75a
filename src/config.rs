//! `CVP_*` environment variables -> one typed [`Config`], validated once, before anything is measured.
//!
//! The parser is a pure function of strings ([`Config::from_lookup`]) so every error is unit-tested without
//! touching the process environment. A bad value is never replaced by a default: it is a [`ConfigError`]
//! that names the variable, repeats the value and says what is accepted.

use std::fmt;
use std::time::Duration;

use crate::strategy::StrategyKind;
use crate::workload::{Workload, WorkloadKind};

/// Most workers any strategy may be given (`CVP_THREADS`, `--threads`).
pub const MAX_WORKERS: usize = 1024;
/// Most jobs a workload may have (`CVP_JOBS`, `--jobs`); `thread_per_job` spawns this many threads.
pub const MAX_JOBS: usize = 4096;
/// Most hash rounds per job (`CVP_ROUNDS`).
pub const MAX_ROUNDS: u32 = 1_000_000;
/// Longest wait per job in milliseconds (`CVP_WAIT_MS`).
pub const MAX_WAIT_MS: u64 = 1000;

/// Default hash rounds per job: about 1.2 ms of hashing on the 2-core AMD EPYC (SHA extensions) of the
/// recorded results; slower on a CPU without SHA extensions.
pub const DEFAULT_ROUNDS: u32 = 20_000;
/// Default wait per job: 10 ms, well above tokio's 1 ms timer granularity.
pub const DEFAULT_WAIT_MS: u64 = 10;
/// Most waits in flight `cvp scale` accepts (`CVP_SCALE_JOBS`, `--jobs`): a million tokio tasks fit in a few
/// hundred MB; thread rows above this machine's limits are skipped, not attempted.
pub const MAX_SCALE_JOBS: usize = 1_000_000;
/// `cvp scale`'s default job counts: 1 (the one-wait reference of each structure) to 100,000 waits in flight.
pub const DEFAULT_SCALE_JOBS: [usize; 6] = [1, 10, 100, 1_000, 10_000, 100_000];

// cpu_chain hashes MAX_JOBS x MAX_ROUNDS rounds at most, in one job: the count must fit a job's `u32`.
const _: () = assert!(MAX_JOBS as u64 * MAX_ROUNDS as u64 <= u32::MAX as u64);

/// Default job count of a workload when `CVP_JOBS` is unset, given the worker counts of the sweep.
///
/// `cpu_bound` has 128 jobs, or 4 per worker at the largest worker count if that is more: on 16 cores
/// (largest default count 32) the speedup can approach the core count. `cpu_chain` has one job, whatever
/// `CVP_JOBS` says: its chain has cpu_bound's jobs x rounds rounds ([`workload_of`]), the same hashing
/// unsplit. The waiting workloads have the smallest multiple of the largest worker count that is at least
/// 32 and at least 2 per worker (32 on 2 cores, 64 on 16, 42 on 7, 256 on 64): `threads` at the largest
/// count then waits the same number of times on every thread, can reach a speedup of exactly that count,
/// and the claims on I/O stay decidable on any machine. A sequential pass costs jobs x wait, which bounds
/// the suite's time.
pub fn default_jobs(kind: WorkloadKind, threads: &[usize]) -> usize {
    let most = threads.iter().copied().max().unwrap_or(1).max(1);
    let jobs = match kind {
        WorkloadKind::CpuBound => 128.max(4 * most),
        WorkloadKind::CpuChain => 1,
        WorkloadKind::IoBound | WorkloadKind::Mixed | WorkloadKind::NetBound => {
            most * 2.max(32usize.div_ceil(most))
        }
    };
    jobs.min(MAX_JOBS)
}

/// The workload `kind` of a sweep over `threads`: `jobs` jobs (`CVP_JOBS`, `--jobs`; `None`: [`default_jobs`]),
/// each waiting `wait` and hashing `rounds` rounds, as [`Workload::new`] applies the kind's rules. `cpu_chain`
/// is sized from cpu_bound, as `jobs` or cpu_bound's default: one job of cpu_bound's J x R rounds, so the two
/// hash exactly as much, split into J chains or not at all. Every command sizes its workloads here.
pub fn workload_of(
    kind: WorkloadKind,
    jobs: Option<usize>,
    threads: &[usize],
    wait: Duration,
    rounds: u32,
) -> Workload {
    let sized_as = if kind == WorkloadKind::CpuChain { WorkloadKind::CpuBound } else { kind };
    Workload::new(kind, jobs.unwrap_or_else(|| default_jobs(sized_as, threads)), wait, rounds)
}

/// Whether the sweeps (`cvp run`, `cargo bench`) time `strategy` on `kind`. Every strategy computes every
/// workload (the digest tests run them all), but `cpu_chain` is swept only under `sequential` (its
/// baseline), `threads` and `rayon`, the rows claim C5 reads: each of its rows costs a whole cpu_bound
/// sequential pass, and its one job leaves the other strategies nothing to show that these do not.
///
/// And `async_multi`, C4's baseline, only where C4 is judged ([`StrategyKind::runs_on`]: io_bound, net_bound).
pub fn sweeps(kind: WorkloadKind, strategy: StrategyKind) -> bool {
    strategy.runs_on(kind)
        && (kind != WorkloadKind::CpuChain
            || matches!(strategy, StrategyKind::Sequential | StrategyKind::Threads | StrategyKind::Rayon))
}

/// How long criterion measures, and how many timed repeats `cvp run` takes (`CVP_PROFILE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// A fast look: fewest samples.
    Quick,
    /// The default.
    Standard,
    /// Tighter confidence intervals, several times longer.
    Thorough,
}

impl Profile {
    /// The id: `quick`, `standard` or `thorough`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Standard => "standard",
            Profile::Thorough => "thorough",
        }
    }

    /// criterion's warm-up time.
    pub fn warm_up(self) -> Duration {
        match self {
            Profile::Quick => Duration::from_millis(100),
            Profile::Standard => Duration::from_millis(500),
            Profile::Thorough => Duration::from_secs(2),
        }
    }

    /// criterion's measurement time (stretched per benchmark, see [`Profile::stretch`]).
    pub fn measurement(self) -> Duration {
        match self {
            Profile::Quick => Duration::from_millis(400),
            Profile::Standard => Duration::from_secs(2),
            Profile::Thorough => Duration::from_secs(8),
        }
    }

    /// criterion's sample size (10 is criterion's minimum).
    pub fn sample_size(self) -> usize {
        match self {
            Profile::Quick => 10,
            Profile::Standard => 20,
            Profile::Thorough => 50,
        }
    }

    /// criterion's bootstrap resamples. They dominate the time criterion spends after each benchmark
    /// (its plots draw the bootstrap distributions), so only `thorough` keeps criterion's default 100000.
    pub fn resamples(self) -> usize {
        match self {
            Profile::Quick => 5_000,
            Profile::Standard => 20_000,
            Profile::Thorough => 100_000,
        }
    }

    /// Whether criterion's measurement time is stretched so that every sample holds at least two runs.
    /// `quick` does not: its slowest configurations take one run per sample, and criterion warns
    /// "Unable to complete 10 samples" for them, which is expected there.
    pub fn stretch(self) -> bool {
        self != Profile::Quick
    }

    /// Timed rounds in `cvp run` of each configuration a verdict reads (after one untimed warm-up run): at
    /// least 6 (`claims::MIN_SAMPLES_FOR_CI`) in every profile that decides, the fewest that give a median a
    /// 95% interval; `quick` takes 3 and so draws no timing verdict (a look, not a judgement).
    pub fn repeats(self) -> usize {
        match self {
            Profile::Quick => 3,
            Profile::Standard => 6,
            Profile::Thorough => 9,
        }
    }
}

/// A `CVP_*` variable whose value was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var}={value:?}: {problem}; accepted: {accepted}")]
pub struct ConfigError {
    /// The variable, e.g. `CVP_THREADS`.
    pub var: &'static str,
    /// The value as given.
    pub value: String,
    /// What is wrong with it.
    pub problem: String,
    /// What would be accepted.
    pub accepted: String,
}

/// The whole configuration of a run, from `CVP_*` (and, in `cvp run`, flags that override them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Worker counts to sweep, ascending, distinct.
    pub threads: Vec<usize>,
    /// Jobs per workload (cpu_chain: the cpu_bound jobs its one chain folds in); `None` means each
    /// workload's [`default_jobs`] for this sweep.
    pub jobs: Option<usize>,
    /// Hash rounds per job (`cpu_bound`, `mixed`).
    pub rounds: u32,
    /// Wait per job (`io_bound`, `mixed`).
    pub wait: Duration,
    /// How long to measure.
    pub profile: Profile,
    /// `cvp scale`'s job counts (waits in flight), ascending, distinct.
    pub scale_jobs: Vec<usize>,
}

impl ConfigError {
    /// The problem and what is accepted, without the variable and value: for a flag, whose name and value
    /// the argument parser already prints.
    pub fn short(&self) -> String {
        format!("{}; accepted: {}", self.problem, self.accepted)
    }
}

impl Config {
    /// Reads the process environment. `available` is the parallelism the default sweep is built from.
    pub fn from_env(available: usize) -> Result<Config, ConfigError> {
        Config::from_env_except(available, &[])
    }

    /// Reads the process environment, ignoring the variables in `overridden` (a flag gave their value, so a
    /// bad value there must not stop the run).
    pub fn from_env_except(available: usize, overridden: &[&str]) -> Result<Config, ConfigError> {
        let mut bad_unicode = None;
        let config = Config::from_lookup(
            |var| match std::env::var(var) {
                _ if overridden.contains(&var) => None,
                Ok(v) => Some(v),
                Err(std::env::VarError::NotPresent) => None,
                Err(std::env::VarError::NotUnicode(raw)) => {
                    bad_unicode.get_or_insert((var_name(var), raw.to_string_lossy().into_owned()));
                    Some(String::new())
                }
            },
            available,
        );
        match bad_unicode {
            Some((var, value)) => Err(ConfigError {
                var,
                value,
                problem: "it is not valid UTF-8".into(),
                accepted: "plain ASCII digits and words".into(),
            }),
            None => config,
        }
    }

    /// Builds a config from a variable lookup (a pure function of strings: the testable core).
    pub fn from_lookup(
        mut lookup: impl FnMut(&str) -> Option<String>,
        available: usize,
    ) -> Result<Config, ConfigError> {
        let threads = match lookup("CVP_THREADS") {
            Some(v) => parse_threads("CVP_THREADS", &v)?,
            None => default_threads(available),
        };
        let jobs = match lookup("CVP_JOBS") {
            Some(v) => Some(parse_jobs("CVP_JOBS", &v)?),
            None => None,
        };
        let rounds = match lookup("CVP_ROUNDS") {
            Some(v) => parse_rounds("CVP_ROUNDS", &v)?,
            None => DEFAULT_ROUNDS,
        };
        let wait = match lookup("CVP_WAIT_MS") {
            Some(v) => parse_wait_ms("CVP_WAIT_MS", &v)?,
            None => Duration::from_millis(DEFAULT_WAIT_MS),
        };
        let profile = match lookup("CVP_PROFILE") {
            Some(v) => parse_profile(&v)?,
            None => Profile::Standard,
        };
        let scale_jobs = match lookup("CVP_SCALE_JOBS") {
            Some(v) => parse_scale_jobs("CVP_SCALE_JOBS", &v)?,
            None => DEFAULT_SCALE_JOBS.to_vec(),
        };
        Ok(Config { threads, jobs, rounds, wait, profile, scale_jobs })
    }

    /// The workload `kind` as this config sizes it ([`workload_of`]).
    pub fn workload(&self, kind: WorkloadKind) -> Workload {
        workload_of(kind, self.jobs, &self.threads, self.wait, self.rounds)
    }
}

/// The default sweep: 1, 2, 4, ... up to twice `available`, plus `available` itself and twice it when they
/// are not powers of two, so the sweep always ends at 2 x the cores. On 2 cores: 1, 2, 4. On 16: 1, 2, 4, 8,
/// 16, 32. On 12: 1, 2, 4, 8, 12, 16, 24. On 7: 1, 2, 4, 7, 8, 14.
pub fn default_threads(available: usize) -> Vec<usize> {
    let available = available.clamp(1, MAX_WORKERS / 2);
    let mut sweep: Vec<usize> = (0..).map(|k| 1usize << k).take_while(|&n| n <= 2 * available).collect();
    for n in [available, 2 * available] {
        if !sweep.contains(&n) {
            sweep.push(n);
        }
    }
    sweep.sort_unstable();
    sweep
}

/// The sizing variables: each is a flag's default ([`Config::from_env`]).
pub const VARIABLES: [&str; 6] =
    ["CVP_THREADS", "CVP_JOBS", "CVP_ROUNDS", "CVP_WAIT_MS", "CVP_PROFILE", "CVP_SCALE_JOBS"];

/// Every environment variable the program reads beyond [`VARIABLES`], with what it changes: `cvp config`
/// lists them all. (The service and `cvp scale`'s children are started by command line, never by a
/// variable, so no variable can turn a command into something else.)
pub const OTHER_VARIABLES: [(&str, &str); 5] = [
    ("CRITERION_HOME", "criterion's folder, read by `cvp report` (else $CARGO_TARGET_DIR/criterion)"),
    ("CARGO_TARGET_DIR", "where cargo builds; `cvp report` looks for criterion's folder there"),
    ("CARGO", "the cargo that started `cvp` (cargo run), asked for its target folder"),
    ("RAYON_NUM_THREADS", "only recorded with each run: every rayon pool here is sized explicitly"),
    ("TOKIO_WORKER_THREADS", "only recorded with each run: every tokio runtime here is sized explicitly"),
];

fn var_name(var: &str) -> &'static str {
    VARIABLES.into_iter().find(|v| *v == var).unwrap_or("CVP_*")
}

/// Parses a whole number in `1..=max`, explaining exactly what is wrong otherwise.
fn parse_count(
    var: &'static str,
    value: &str,
    item: &str,
    max: u64,
    accepted: &str,
) -> Result<u64, ConfigError> {
    let err = |problem: String| ConfigError {
        var,
        value: value.to_string(),
        problem,
        accepted: accepted.to_string(),
    };
    let s = item.trim();
    if s.is_empty() {
        let problem = if value.trim().is_empty() { "it is empty" } else { "the list has an empty item" };
        return Err(err(problem.into()));
    }
    if s.starts_with('-') && s[1..].chars().all(|c| c.is_ascii_digit()) && s.len() > 1 {
        return Err(err(format!("{s} is negative")));
    }
    if !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(err(format!("{s:?} is not a whole number")));
    }
    let n: u64 = s.parse().map_err(|_| err(format!("{s} is too large")))?;
    if n == 0 {
        return Err(err("0 is not allowed".into()));
    }
    if n > max {
        return Err(err(format!("{n} is above the limit of {max}")));
    }
    Ok(n)
}

/// `CVP_THREADS` (or `--threads`): a comma-separated list of distinct worker counts, returned ascending.
pub fn parse_threads(var: &'static str, value: &str) -> Result<Vec<usize>, ConfigError> {
    let accepted =
        format!("a comma-separated list of distinct worker counts from 1 to {MAX_WORKERS}, e.g. 1,2,4");
    parse_distinct(var, value, MAX_WORKERS, accepted)
}

/// A comma-separated list of distinct whole numbers in `1..=max`, returned ascending.
fn parse_distinct(
    var: &'static str,
    value: &str,
    max: usize,
    accepted: String,
) -> Result<Vec<usize>, ConfigError> {
    let mut counts = Vec::new();
    for item in value.split(',') {
        let n = parse_count(var, value, item, max as u64, &accepted)? as usize;
        if counts.contains(&n) {
            return Err(ConfigError {
                var,
                value: value.to_string(),
                problem: format!("{n} is listed twice"),
                accepted,
            });
        }
        counts.push(n);
    }
    counts.sort_unstable();
    Ok(counts)
}

/// `CVP_JOBS` (or `--jobs`): jobs per workload, 1 to [`MAX_JOBS`].
pub fn parse_jobs(var: &'static str, value: &str) -> Result<usize, ConfigError> {
    let accepted = format!("a whole number of jobs from 1 to {MAX_JOBS}");
    Ok(parse_count(var, value, value, MAX_JOBS as u64, &accepted)? as usize)
}

/// `CVP_SCALE_JOBS` (or `cvp scale --jobs`): a comma-separated list of distinct job counts (waits in
/// flight), 1 to [`MAX_SCALE_JOBS`], returned ascending.
pub fn parse_scale_jobs(var: &'static str, value: &str) -> Result<Vec<usize>, ConfigError> {
    let accepted =
        format!("a comma-separated list of distinct job counts from 1 to {MAX_SCALE_JOBS}, e.g. 1,100,10000");
    parse_distinct(var, value, MAX_SCALE_JOBS, accepted)
}

/// `CVP_ROUNDS` (or `--rounds`): hash rounds per job, 1 to [`MAX_ROUNDS`].
pub fn parse_rounds(var: &'static str, value: &str) -> Result<u32, ConfigError> {
    let accepted = format!("a whole number of hash rounds from 1 to {MAX_ROUNDS}");
    Ok(parse_count(var, value, value, MAX_ROUNDS as u64, &accepted)? as u32)
}

/// `CVP_WAIT_MS` (or `--wait-ms`): milliseconds per wait, 1 to [`MAX_WAIT_MS`].
pub fn parse_wait_ms(var: &'static str, value: &str) -> Result<Duration, ConfigError> {
    let accepted = format!("a whole number of milliseconds from 1 to {MAX_WAIT_MS}");
    Ok(Duration::from_millis(parse_count(var, value, value, MAX_WAIT_MS, &accepted)?))
}

/// `CVP_PROFILE`: `quick`, `standard` or `thorough`.
pub fn parse_profile(value: &str) -> Result<Profile, ConfigError> {
    [Profile::Quick, Profile::Standard, Profile::Thorough]
        .into_iter()
        .find(|p| p.as_str() == value.trim())
        .ok_or_else(|| ConfigError {
            var: "CVP_PROFILE",
            value: value.to_string(),
            problem: "it is not a profile name".into(),
            accepted: "quick, standard or thorough".into(),
        })
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()), 2)
    }

    #[test]
    fn defaults_follow_the_available_parallelism() {
        assert_eq!(default_threads(1), vec![1, 2]);
        assert_eq!(default_threads(2), vec![1, 2, 4]);
        assert_eq!(default_threads(12), vec![1, 2, 4, 8, 12, 16, 24]);
        assert_eq!(default_threads(7), vec![1, 2, 4, 7, 8, 14]);
        assert_eq!(default_threads(16), vec![1, 2, 4, 8, 16, 32]);
        let c = with(&[]).unwrap();
        assert_eq!(
            (c.threads, c.jobs, c.rounds, c.profile),
            (vec![1, 2, 4], None, DEFAULT_ROUNDS, Profile::Standard)
        );
    }

    #[test]
    fn valid_values_are_parsed() {
        let c = with(&[
            ("CVP_THREADS", "8, 1,2"),
            ("CVP_JOBS", "7"),
            ("CVP_ROUNDS", "3"),
            ("CVP_WAIT_MS", "5"),
            ("CVP_PROFILE", "quick"),
        ])
        .unwrap();
        assert_eq!(c.threads, vec![1, 2, 8]);
        assert_eq!(c.workload(WorkloadKind::Mixed).jobs, 7);
        assert_eq!((c.rounds, c.wait, c.profile), (3, Duration::from_millis(5), Profile::Quick));
        assert_eq!(with(&[]).unwrap().scale_jobs, DEFAULT_SCALE_JOBS);
        assert_eq!(with(&[("CVP_SCALE_JOBS", "1000000, 1,50")]).unwrap().scale_jobs, vec![1, 50, 1_000_000]);
    }

    #[test]
    fn default_jobs_scale_with_the_sweep() {
        for cores in [1, 2, 16, 64, 512] {
            let threads = default_threads(cores);
            let most = *threads.iter().max().unwrap();
            let io = default_jobs(WorkloadKind::IoBound, &threads);
            assert!(io >= 2 * most && io >= 32, "{cores} cores: {io} jobs for {most} workers");
            assert!(default_jobs(WorkloadKind::CpuBound, &threads) >= 4 * most.min(MAX_JOBS / 4));
        }
        assert_eq!(default_jobs(WorkloadKind::IoBound, &[1, 2, 4]), 32);
        assert_eq!(default_jobs(WorkloadKind::CpuChain, &default_threads(64)), 1);
    }

    #[test]
    fn cpu_chain_hashes_what_cpu_bound_hashes_in_one_job() {
        for vars in [&[][..], &[("CVP_JOBS", "7"), ("CVP_ROUNDS", "3")][..]] {
            let c = with(vars).unwrap();
            let (cpu, chain) = (c.workload(WorkloadKind::CpuBound), c.workload(WorkloadKind::CpuChain));
            assert_eq!(chain.jobs, 1, "{vars:?}");
            assert_eq!(chain.rounds as usize, cpu.jobs * cpu.rounds as usize, "{vars:?}");
        }
        assert!(sweeps(WorkloadKind::CpuChain, StrategyKind::Rayon));
        assert!(!sweeps(WorkloadKind::CpuChain, StrategyKind::Async));
        // Every strategy on cpu_bound but async_multi, C4's baseline, which runs only where C4 is judged.
        let on_cpu: Vec<StrategyKind> =
            StrategyKind::ALL.into_iter().filter(|&s| sweeps(WorkloadKind::CpuBound, s)).collect();
        assert_eq!(on_cpu.len(), StrategyKind::ALL.len() - 1);
        assert!(!on_cpu.contains(&StrategyKind::AsyncMulti));
        assert!(sweeps(WorkloadKind::IoBound, StrategyKind::AsyncMulti));
        assert_eq!(default_jobs(WorkloadKind::IoBound, &default_threads(64)), 256);
    }

    #[test]
    fn every_bad_value_names_the_variable_the_value_and_what_is_accepted() {
        let cases: &[(&str, &str, &str)] = &[
            ("CVP_THREADS", "", "empty"),
            ("CVP_THREADS", "1,,2", "empty item"),
            ("CVP_THREADS", "1,2,", "empty item"),
            ("CVP_THREADS", "0", "0 is not allowed"),
            ("CVP_THREADS", "-2", "negative"),
            ("CVP_THREADS", "1.5", "not a whole number"),
            ("CVP_THREADS", "two", "not a whole number"),
            ("CVP_THREADS", "99999999999999999999999", "too large"),
            ("CVP_THREADS", "2,4,2", "listed twice"),
            ("CVP_THREADS", "1025", "above the limit"),
            ("CVP_JOBS", "0", "0 is not allowed"),
            ("CVP_JOBS", "4097", "above the limit"),
            ("CVP_JOBS", "1e3", "not a whole number"),
            ("CVP_ROUNDS", "-1", "negative"),
            ("CVP_ROUNDS", "1000001", "above the limit"),
            ("CVP_WAIT_MS", "0.5", "not a whole number"),
            ("CVP_WAIT_MS", "1001", "above the limit"),
            ("CVP_PROFILE", "fast", "not a profile name"),
            ("CVP_PROFILE", "", "not a profile name"),
            ("CVP_SCALE_JOBS", "", "empty"),
            ("CVP_SCALE_JOBS", "1,,10", "empty item"),
            ("CVP_SCALE_JOBS", "0,10", "0 is not allowed"),
            ("CVP_SCALE_JOBS", "10,1000001", "above the limit"),
            ("CVP_SCALE_JOBS", "10,10", "listed twice"),
            ("CVP_SCALE_JOBS", "1k", "not a whole number"),
        ];
        for &(var, value, problem) in cases {
            let err = with(&[(var, value)]).expect_err(value);
            let line = err.to_string();
            assert_eq!(err.var, var);
            assert!(line.contains(var) && line.contains(&format!("{value:?}")), "{line}");
            assert!(line.contains(problem) && line.contains("accepted: "), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
    }
}
