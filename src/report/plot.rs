//! SVG plots (plotters) with one palette: a value against workers, one line per strategy ([`workers`]), and
//! a generic log-log line plot ([`log_log`]).
//!
//! Both axes are logarithmic: worker counts are powers of two, and ideal scaling is then a straight line.
//! `thread_per_job` always runs one thread per job, so it is drawn as a horizontal reference level, not at
//! x = jobs (which would squeeze every other line into a corner).

use plotters::prelude::*;

use super::ReportError;
use crate::strategy::StrategyKind;

const SIZE: (u32, u32) = (860, 540);
/// The palette: strategies take the first six in `StrategyKind::ALL` order; generic plots cycle through all.
pub const COLORS: [RGBColor; 8] = [
    RGBColor(0x44, 0x44, 0x44),
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// Colours by job (cycled) for timelines: dark enough for a white job number.
pub const JOB_COLORS: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x6c, 0x0a),
    RGBColor(0xc7, 0x1f, 0x84),
    RGBColor(0x17, 0x80, 0x8a),
    RGBColor(0x55, 0x55, 0x55),
    RGBColor(0x6a, 0x5a, 0xcd),
];

/// The colour of a strategy, the same in every plot.
pub fn color(s: StrategyKind) -> RGBColor {
    COLORS[StrategyKind::ALL.iter().position(|&k| k == s).unwrap_or(0)]
}

fn err(what: &str) -> impl Fn(Box<dyn std::error::Error + '_>) -> ReportError + '_ {
    move |e| ReportError::Plot(format!("{what}: {e}"))
}

/// Workers (log scale) against `y_desc`, one line per strategy in its colour, the core count marked, and
/// the ideal line `y = workers` when `ideal`. `thread_per_job` is drawn as a level, not at x = jobs.
pub fn workers(
    title: &str,
    y_desc: &str,
    lines: &[(StrategyKind, Vec<(f64, f64)>)],
    cores: usize,
    ideal: bool,
) -> Result<String, ReportError> {
    let mut svg = String::new();
    let level =
        lines.iter().find(|(s, _)| *s == StrategyKind::ThreadPerJob).and_then(|(_, p)| p.first().copied());
    let lines: Vec<&(StrategyKind, Vec<(f64, f64)>)> =
        lines.iter().filter(|(s, _)| *s != StrategyKind::ThreadPerJob).collect();
    {
        let (mut x_max, mut y_min, mut y_max) = (cores as f64, f64::INFINITY, 0.0f64);
        for &(x, y) in lines.iter().flat_map(|(_, p)| p.iter()) {
            x_max = x_max.max(x);
            y_min = y_min.min(y);
            y_max = y_max.max(y);
        }
        if let Some((_, y)) = level {
            y_min = y_min.min(y);
            y_max = y_max.max(y);
        }
        if ideal {
            y_min = y_min.min(1.0);
            y_max = y_max.max(x_max);
        }
        // Headroom above the highest point keeps the legend (upper left) off the lines.
        if !y_min.is_finite() {
            (y_min, y_max) = (1.0, 2.0);
        }
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let e = err(title);
        root.fill(&WHITE).map_err(|x| e(Box::new(x)))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d((0.8..x_max * 1.25).log_scale(), (y_min / 1.5..y_max * 6.0).log_scale())
            .map_err(|x| e(Box::new(x)))?;
        chart
            .configure_mesh()
            .x_desc("workers (log scale)")
            .y_desc(y_desc)
            .light_line_style(WHITE)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .map_err(|x| e(Box::new(x)))?;
        if ideal {
            let grey = RGBColor(0x99, 0x99, 0x99);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(1.0, 1.0), (x_max, x_max)],
                    6,
                    4,
                    grey.stroke_width(1),
                ))
                .map_err(|x| e(Box::new(x)))?
                .label("ideal: speedup = workers")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
        }
        let black = RGBColor(0, 0, 0);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(cores as f64, y_min / 1.5), (cores as f64, y_max * 6.0)],
                3,
                3,
                black.stroke_width(1),
            ))
            .map_err(|x| e(Box::new(x)))?
            .label(format!("{cores} cores"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], black));
        if let Some((jobs, y)) = level {
            let c = color(StrategyKind::ThreadPerJob);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.8, y), (x_max * 1.25, y)],
                    8,
                    4,
                    c.stroke_width(2),
                ))
                .map_err(|x| e(Box::new(x)))?
                .label(format!("thread_per_job ({jobs:.0} threads, one per job)"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        for (strategy, pts) in lines {
            let c = color(*strategy);
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                .map_err(|x| e(Box::new(x)))?
                .label(strategy.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))
                .map_err(|x| e(Box::new(x)))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(0xcc, 0xcc, 0xcc))
            .draw()
            .map_err(|x| e(Box::new(x)))?;
        root.present().map_err(|x| e(Box::new(x)))?;
    }
    Ok(svg)
}

/// One series of a [`dots`] plot: a value with its interval per row, `None` where the row has none.
pub struct Dots {
    /// The legend label.
    pub label: String,
    /// Its colour.
    pub color: RGBColor,
    /// Per row: (low, value, high), all positive.
    pub values: Vec<Option<(f64, f64, f64)>>,
}

/// A dot plot on a log x axis: one band per row (its label on top, the first row highest), in it a dot per
/// series with its interval as a bar and its value written beside it (`x_label` formats values and ticks);
/// the legend in a band of its own above the rows.
pub fn dots(
    title: &str,
    x_desc: &str,
    rows: &[String],
    series: &[Dots],
    x_label: &dyn Fn(&f64) -> String,
) -> Result<String, ReportError> {
    let mut svg = String::new();
    let n = rows.len().max(1);
    let all = series.iter().flat_map(|s| s.values.iter().flatten()).filter(|v| v.0 > 0.0 && v.2 > 0.0);
    let (mut x_min, mut x_max) = (f64::INFINITY, 0.0f64);
    for &(lo, _, hi) in all {
        (x_min, x_max) = (x_min.min(lo), x_max.max(hi));
    }
    if !x_min.is_finite() {
        (x_min, x_max) = (1.0, 10.0);
    }
    // A band above the first row holds the legend, clear of every dot and label.
    let size = (SIZE.0, 180 + 74 * n as u32);
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let e = err(title);
        root.fill(&WHITE).map_err(|x| e(Box::new(x)))?;
        // Room on the left for the first value's label, on the right for the legend and the last one's.
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(10)
            .build_cartesian_2d((x_min / 3.0..x_max * 6.0).log_scale(), -0.6..n as f64 + 0.3)
            .map_err(|x| e(Box::new(x)))?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .light_line_style(WHITE)
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(x_label)
            .draw()
            .map_err(|x| e(Box::new(x)))?;
        let grey = RGBColor(0x33, 0x33, 0x33);
        for (i, row) in rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let label: String = row.chars().take(90).collect();
            let style = ("sans-serif", 15).into_font().color(&grey);
            chart
                .draw_series(std::iter::once(Text::new(label, (x_min / 3.0, y + 0.48), style)))
                .map_err(|x| e(Box::new(x)))?;
        }
        let m = series.len().max(1) as f64;
        for (j, s) in series.iter().enumerate() {
            let c = s.color;
            let offset = if m > 1.0 { 0.14 - 0.28 * j as f64 / (m - 1.0) } else { 0.0 } - 0.08;
            let points: Vec<(f64, f64, f64, f64)> = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|(lo, mid, hi)| (lo, mid, hi, (n - 1 - i) as f64 + offset)))
                .filter(|p| p.0 > 0.0 && p.1 > 0.0)
                .collect();
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&(lo, _, hi, y)| PathElement::new(vec![(lo, y), (hi, y)], c.stroke_width(2))),
                )
                .map_err(|x| e(Box::new(x)))?;
            let mids = points.iter().map(|&(_, mid, _, y)| (mid, y));
            let drawn = if j % 2 == 0 {
                chart.draw_series(mids.map(|p| Circle::new(p, 6, c.filled()))).map_err(|x| e(Box::new(x)))?
            } else {
                chart
                    .draw_series(mids.map(|p| TriangleMarker::new(p, 7, c.filled())))
                    .map_err(|x| e(Box::new(x)))?
            };
            let drawn = drawn.label(s.label.as_str());
            if j % 2 == 0 {
                drawn.legend(move |(x, y)| Circle::new((x + 8, y), 6, c.filled()));
            } else {
                drawn.legend(move |(x, y)| TriangleMarker::new((x + 8, y), 7, c.filled()));
            }
            let style = ("sans-serif", 14).into_font().color(&c);
            chart
                .draw_series(points.iter().map(|&(_, mid, hi, y)| {
                    EmptyElement::at((hi, y)) + Text::new(x_label(&mid), (10, -8), style.clone())
                }))
                .map_err(|x| e(Box::new(x)))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(0xcc, 0xcc, 0xcc))
            .draw()
            .map_err(|x| e(Box::new(x)))?;
        root.present().map_err(|x| e(Box::new(x)))?;
    }
    Ok(svg)
}

/// One line of a [`log_log`] plot.
pub struct Line {
    /// The legend label.
    pub label: String,
    /// Its colour.
    pub color: RGBColor,
    /// (x, y) points, both positive, in x order.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed (a reference rather than a measured structure).
    pub dashed: bool,
}

/// A log-log line plot: one line per [`Line`] with its points marked, the legend in the upper left.
/// `x_label` and `y_label` format tick values.
pub fn log_log(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    lines: &[Line],
    x_label: &dyn Fn(&f64) -> String,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<String, ReportError> {
    log_log_marked(title, (x_desc, y_desc), lines, &[], x_label, y_label)
}

/// A value of x marked on a plot: a vertical dashed line in `color`, labelled near the x axis.
pub struct Mark {
    /// Where (x > 0).
    pub x: f64,
    /// What it is.
    pub label: String,
    /// Its colour.
    pub color: RGBColor,
}

/// [`log_log`] with `marks` drawn across it, their labels stacked above the x axis; `desc` is (x, y).
pub fn log_log_marked(
    title: &str,
    (x_desc, y_desc): (&str, &str),
    lines: &[Line],
    marks: &[Mark],
    x_label: &dyn Fn(&f64) -> String,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<String, ReportError> {
    let mut svg = String::new();
    let pts = lines.iter().flat_map(|l| l.points.iter()).filter(|(x, y)| *x > 0.0 && *y > 0.0);
    let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::INFINITY, 0.0f64, f64::INFINITY, 0.0f64);
    for &(x, y) in pts {
        (x_min, x_max, y_min, y_max) = (x_min.min(x), x_max.max(x), y_min.min(y), y_max.max(y));
    }
    if !x_min.is_finite() || !y_min.is_finite() {
        (x_min, x_max, y_min, y_max) = (1.0, 10.0, 1.0, 10.0);
    }
    for m in marks.iter().filter(|m| m.x > 0.0) {
        (x_min, x_max) = (x_min.min(m.x), x_max.max(m.x));
    }
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let e = err(title);
        root.fill(&WHITE).map_err(|x| e(Box::new(x)))?;
        // Headroom above the highest point keeps the legend (upper left) off the lines.
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(
                (x_min / 1.6..x_max * 1.6).log_scale(),
                (y_min / 1.6..y_max * 12.0).log_scale(),
            )
            .map_err(|x| e(Box::new(x)))?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .light_line_style(WHITE)
            .x_label_formatter(x_label)
            .y_label_formatter(y_label)
            .draw()
            .map_err(|x| e(Box::new(x)))?;
        for line in lines {
            let c = line.color;
            let pts: Vec<(f64, f64)> =
                line.points.iter().copied().filter(|(x, y)| *x > 0.0 && *y > 0.0).collect();
            let anno = if line.dashed {
                chart.draw_series(DashedLineSeries::new(pts.clone(), 8, 4, c.stroke_width(2)))
            } else {
                chart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
            };
            let anno = anno.map_err(|x| e(Box::new(x)))?.label(line.label.as_str());
            if line.dashed {
                // A dashed line's legend is dashed too: two short strokes with a gap.
                anno.legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (8, 0)], c.stroke_width(2))
                        + PathElement::new(vec![(12, 0), (20, 0)], c.stroke_width(2))
                });
            } else {
                anno.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            }
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))
                .map_err(|x| e(Box::new(x)))?;
        }
        let (bottom, top) = (y_min / 1.6, y_max * 12.0);
        for (i, m) in marks.iter().filter(|m| m.x > 0.0).enumerate() {
            let c = m.color;
            chart
                .draw_series(DashedLineSeries::new(vec![(m.x, bottom), (m.x, top)], 6, 4, c.stroke_width(2)))
                .map_err(|x| e(Box::new(x)))?;
            let style = ("sans-serif", 15).into_font().color(&c);
            let at = (5, -22 - 18 * i as i32);
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((m.x, bottom)) + Text::new(m.label.clone(), at, style),
                ))
                .map_err(|x| e(Box::new(x)))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(0xcc, 0xcc, 0xcc))
            .draw()
            .map_err(|x| e(Box::new(x)))?;
        root.present().map_err(|x| e(Box::new(x)))?;
    }
    Ok(svg)
}
