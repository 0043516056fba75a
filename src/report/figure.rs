//! Figures two views both show: the same quantity under the same words, so `cvp report` can put each view's
//! value beside the other's without knowing either view's rows, and say when the two are too far apart to
//! be read as one number.
//!
//! Today one quantity is shared: `net_bound` on `async/N`, J requests in units of one request measured
//! alone on the same runtime (`cvp run`: its `net_bound` rows over their one-request floor; `cvp scale --io
//! socket`: the `requests` column). [`Figure::requests`] makes its key, so both views name it alike.

/// How far apart two views' figures for one quantity may be before the report says they are not one
/// number: 2x.
///
/// Why 2: both views time the same requests the same way (the same `async/N` request code, the same
/// `cvp serve` with room made for every connection before anything is timed, each wall divided by its
/// own one request measured alone after a warm-up on the same runtime), so what may still differ between
/// them is where the scheduler puts the client and the service. The requests' CPU work (the client's,
/// the service's and the kernel's: tens of microseconds a request on loopback, several times the W / J a
/// request has at J = 1,000 and W = 10 ms) runs on one CPU when they share one and on two when they do
/// not: that moves the part of the wall beyond one request by up to 2x, and so the whole figure by less
/// than 2x. Further apart, more than placement differed between the two recordings (the machine's load
/// above all: they are the same CPU work, slowed alike by whatever else runs), and the two files should
/// be measured again in one window before they are read as one figure. A warning in the README, never a
/// verdict.
///
/// It is tested on the whole figure, so it only flags a gap placement cannot explain: it says nothing of
/// two figures whose parts beyond one request differ by more than 2x while the wholes stay within it (1.2
/// against 2.0 requests, say). The part beyond one request is too small to compare at few requests (at the
/// default J = 32 both figures are about 1.0), which is why the whole is tested.
pub const VIEWS_AGREE: f64 = 2.0;

/// One view's value of a quantity another view may show too.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// What it is, in the same words in every view that has it (the key the report matches).
    pub quantity: String,
    /// The value (a median).
    pub value: f64,
    /// The fastest and slowest run's value, when there were several.
    pub range: Option<(f64, f64)>,
    /// Which view, and how it measured (`` `cvp run` (one warm process, 6 rounds) ``).
    pub by: String,
}

impl Figure {
    /// `net_bound` on `structure` (`async/1`, `async/2`): `jobs` requests at `wait_ms`, in one request
    /// measured alone on the same runtime: the quantity `cvp run` and `cvp scale --io socket` both show.
    pub fn requests(
        structure: &str,
        jobs: usize,
        wait_ms: u64,
        value: f64,
        range: Option<(f64, f64)>,
        by: impl Into<String>,
    ) -> Figure {
        Figure {
            quantity: format!(
                "net_bound {structure}, {} requests at W = {wait_ms} ms, in one request alone",
                super::text::thousands(jobs)
            ),
            value,
            range,
            by: by.into(),
        }
    }

    fn text(&self) -> String {
        let range = self.range.map_or(String::new(), |(lo, hi)| format!(" (runs {lo:.2} to {hi:.2})"));
        format!("{:.2}{range} by {}", self.value, self.by)
    }
}

/// Whether two values of one quantity are within [`VIEWS_AGREE`] of each other (either way round).
pub fn agree(a: f64, b: f64) -> bool {
    a > 0.0 && b > 0.0 && a.max(b) / a.min(b) <= VIEWS_AGREE
}

/// One line for each quantity of `ours` that `theirs` has too: both values, how far apart, and whether
/// that is within [`VIEWS_AGREE`] (with the reason) or not (and what to do). Nothing for a quantity only
/// one side has.
pub fn compare(ours: &[Figure], theirs: &[Figure]) -> Vec<String> {
    let mut lines = Vec::new();
    for a in ours {
        for b in theirs.iter().filter(|b| b.quantity == a.quantity) {
            let apart = a.value.max(b.value) / a.value.min(b.value);
            let judged = if agree(a.value, b.value) {
                format!(
                    "{apart:.2}x apart, within {VIEWS_AGREE}x (what the client and the service sharing a CPU \
                     or not can make of the same requests)"
                )
            } else {
                format!(
                    "**{apart:.2}x apart, more than the {VIEWS_AGREE}x that the client and the service sharing a \
                     CPU or not can explain: the two were not measured under the same conditions (the \
                     machine's load, most often); measure both in one window before reading them as one \
                     figure**"
                )
            };
            lines.push(format!("{}: {}; {}: {judged}", a.quantity, a.text(), b.text()));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(value: f64) -> Figure {
        Figure::requests("async/1", 1000, 10, value, Some((value * 0.8, value * 1.5)), "`cvp run`")
    }

    fn scale(structure: &str, jobs: usize, value: f64) -> Figure {
        Figure::requests(structure, jobs, 10, value, None, "`cvp scale --io socket`")
    }

    #[test]
    fn the_same_quantity_is_matched_and_within_the_factor_agrees() {
        let lines = compare(&[run(4.0)], &[scale("async/1", 1000, 7.9), scale("async/1", 10_000, 40.0)]);
        assert_eq!(lines.len(), 1, "only the same J: {lines:?}");
        let line = &lines[0];
        assert!(line.starts_with("net_bound async/1, 1,000 requests at W = 10 ms"), "{line}");
        assert!(line.contains("4.00 (runs 3.20 to 6.00) by `cvp run`"), "{line}");
        assert!(line.contains("7.90 by `cvp scale --io socket`"), "{line}");
        assert!(line.contains("1.98x apart, within 2x") && !line.contains("**"), "{line}");
    }

    #[test]
    fn further_apart_than_the_factor_is_flagged_either_way_round() {
        for (a, b) in [(3.0, 7.6), (7.6, 3.0)] {
            let lines = compare(&[run(a)], &[scale("async/1", 1000, b)]);
            assert!(lines[0].contains("**2.53x apart, more than the 2x"), "{lines:?}");
        }
        assert!(!agree(3.0, 6.01) && agree(3.0, 6.0) && agree(6.0, 3.0));
        assert!(!agree(0.0, 1.0), "a value that is not a time is never agreement");
    }

    #[test]
    fn another_structure_or_wait_is_another_quantity() {
        assert!(compare(&[run(4.0)], &[scale("async/2", 1000, 4.0)]).is_empty());
        let other_wait = Figure::requests("async/1", 1000, 20, 4.0, None, "x");
        assert!(compare(&[run(4.0)], &[other_wait]).is_empty());
    }
}
