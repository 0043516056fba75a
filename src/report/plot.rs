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
    let mut svg = String::new();
    let pts = lines.iter().flat_map(|l| l.points.iter()).filter(|(x, y)| *x > 0.0 && *y > 0.0);
    let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::INFINITY, 0.0f64, f64::INFINITY, 0.0f64);
    for &(x, y) in pts {
        (x_min, x_max, y_min, y_max) = (x_min.min(x), x_max.max(x), y_min.min(y), y_max.max(y));
    }
    if !x_min.is_finite() || !y_min.is_finite() {
        (x_min, x_max, y_min, y_max) = (1.0, 10.0, 1.0, 10.0);
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
            anno.map_err(|x| e(Box::new(x)))?
                .label(line.label.as_str())
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
