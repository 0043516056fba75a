//! `timeline.svg`: one panel per strategy on a shared time axis, one lane per OS thread (plotters, SVG).

use std::time::Duration;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Pass, TraceFile, tracks};
use crate::report::ReportError;
use crate::report::plot::JOB_COLORS;
use crate::report::text::short_time as ms;
use crate::strategy::Phase;
use crate::workload::Workload;

const WIDTH: u32 = 1100;
const LEFT: i32 = 200;
const RIGHT: i32 = 56;
const HEADER: i32 = 118;
const PANEL_TITLE: i32 = 28;
const AXIS: i32 = 30;
const HASH_H: i32 = 16;
const WAIT_H: i32 = 4;
const WAIT_GAP: i32 = 2;

/// The opacity of the "ready, not running" part of a wait.
const READY_ALPHA: f64 = 0.3;

fn job_color(job: u64) -> RGBColor {
    JOB_COLORS[(job % JOB_COLORS.len() as u64) as usize]
}

struct LaneLayout {
    label: String,
    top: i32,
    height: i32,
    /// (interval index, wait track) for this lane's phases.
    items: Vec<(usize, usize)>,
}

fn lane_layouts(pass: &Pass, draw_waits: bool) -> Vec<LaneLayout> {
    let mut y = 0;
    pass.lanes()
        .into_iter()
        .map(|lane| {
            let waits: Vec<usize> = lane
                .intervals
                .iter()
                .copied()
                .filter(|&k| draw_waits && pass.intervals[k].phase == Phase::Wait)
                .collect();
            let spans: Vec<(u64, u64)> =
                waits.iter().map(|&k| (pass.intervals[k].start_ns, pass.intervals[k].end_ns)).collect();
            let track = tracks(&spans);
            let rows = track.iter().max().map_or(0, |m| m + 1) as i32;
            let mut items: Vec<(usize, usize)> = waits.iter().zip(&track).map(|(&k, &t)| (k, t)).collect();
            items.extend(
                lane.intervals.iter().filter(|&&k| pass.intervals[k].phase == Phase::Hash).map(|&k| (k, 0)),
            );
            let height = 6 + HASH_H + 3 + rows * (WAIT_H + WAIT_GAP) + 4;
            let l = LaneLayout { label: lane.label, top: y, height, items };
            y += height;
            l
        })
        .collect()
}

/// A "nice" tick step (1, 2 or 5 x 10^k) giving at most about 10 ticks over `span`.
fn tick_step(span: f64) -> f64 {
    let raw = span.max(1e-9) / 10.0;
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|&s| s >= raw).unwrap_or(10.0 * p)
}

/// The decimals a tick label needs so that ticks `step` apart read differently: 0 for a step of 1 or more,
/// 1 for 0.5, 2 for 0.05 ...
fn tick_decimals(step: f64) -> usize {
    if step >= 1.0 { 0 } else { (-(step.log10().floor())).max(0.0) as usize }
}

/// The axis unit for a longest pass of `max_ms`: µs below 1 ms, else ms. (factor from ms, name)
fn axis_unit(max_ms: f64) -> (f64, &'static str) {
    if max_ms < 1.0 { (1e3, "µs") } else { (1.0, "ms") }
}

/// The picture: one panel per pass on one shared time axis (ms; µs when every pass is shorter than 1 ms),
/// one lane per OS thread that ran job work, each wait a thin bar for its nominal length followed by a
/// lighter bar for the time it was ready but not yet running again (stacked in rows when one thread's
/// waits overlap), and each hash a solid bar, coloured by job, with the job number on the bar where it fits.
pub fn svg(file: &TraceFile) -> Result<String, ReportError> {
    let draw_waits = file.plan.workload.waits();
    let nominal_ns = file.plan.wait(file.rounds).as_nanos() as u64;
    let layouts: Vec<Vec<LaneLayout>> = file.passes.iter().map(|p| lane_layouts(p, draw_waits)).collect();
    let panel_h =
        |ls: &Vec<LaneLayout>| PANEL_TITLE + ls.iter().map(|l| l.height).sum::<i32>().max(20) + AXIS;
    let height = HEADER + layouts.iter().map(panel_h).sum::<i32>() + 28;
    let max_ms = file.passes.iter().map(|p| p.wall_s * 1e3).fold(0.0, f64::max).max(1e-3);
    let plot_w = (WIDTH as i32 - LEFT - RIGHT) as f64;
    let x_of = |ms: f64| LEFT + (ms / max_ms * plot_w).round() as i32;
    let e = |x: &dyn std::fmt::Display| ReportError::Plot(format!("timeline: {x}"));
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let font = |size: i32| ("sans-serif", size).into_font();
        let text = |s: &str, at: (i32, i32), size: i32, color: RGBColor, pos: Pos| {
            root.draw(&Text::new(s.to_string(), at, font(size).color(&color).pos(pos)))
        };
        let left = Pos::new(HPos::Left, VPos::Center);
        let black = RGBColor(0x22, 0x22, 0x22);
        let grey = RGBColor(0x66, 0x66, 0x66);
        let w = Workload::new(
            file.plan.workload,
            file.plan.jobs,
            Duration::from_millis(file.plan.wait_ms),
            file.rounds,
        );
        let wait = if w.wait.is_zero() {
            "no wait".to_string()
        } else if file.plan.workload.is_net() {
            format!("a loopback TCP request answered after {} ms", w.wait.as_millis())
        } else {
            format!("a {} ms wait", w.wait.as_millis())
        };
        let hash = if w.rounds == 0 {
            "one SHA-256".to_string()
        } else {
            format!("{} hash rounds ({} alone)", w.rounds, ms(file.solo_hash_s))
        };
        let each = if w.wait.is_zero() { format!("{hash}, no wait") } else { format!("{wait} then {hash}") };
        let title = format!("cvp trace: {}, {} jobs, each {each}", file.plan.workload, file.plan.jobs);
        text(&title, (16, 22), 24, black, left).map_err(|x| e(&x))?;
        let cpus = match (file.pinned_cpu, file.cpus) {
            (Some(c), _) => format!("pinned to one CPU (cpu {c})"),
            (None, Some(n)) => format!("{n} CPUs usable"),
            (None, None) => "CPUs usable unknown".into(),
        };
        text(&format!("{} · {cpus}", file.machine.summary()), (16, 48), 15, grey, left).map_err(|x| e(&x))?;
        // Legend: the kinds of bar, then (a line below) the job colours.
        let ly = 72;
        let c0 = job_color(0);
        root.draw(&Rectangle::new([(16, ly - 8), (46, ly + 8)], c0.filled())).map_err(|x| e(&x))?;
        text("hash (solid; job number on it)", (52, ly), 15, black, left).map_err(|x| e(&x))?;
        if draw_waits {
            root.draw(&Rectangle::new([(290, ly - 2), (320, ly + 2)], c0.filled())).map_err(|x| e(&x))?;
            let wait = if file.plan.workload.is_net() {
                "request, its nominal wait (thin)"
            } else {
                "wait, its nominal length (thin)"
            };
            text(wait, (326, ly), 15, black, left).map_err(|x| e(&x))?;
            root.draw(&Rectangle::new([(560, ly - 2), (590, ly + 2)], c0.mix(READY_ALPHA).filled()))
                .map_err(|x| e(&x))?;
            let over = if file.plan.workload.is_net() {
                "then the rest of the request, beyond W (light)"
            } else {
                "then ready, not running yet (light): the wait ran over"
            };
            text(over, (596, ly), 15, black, left).map_err(|x| e(&x))?;
        }
        let ly = 96;
        let shown = (file.plan.jobs as u64).min(JOB_COLORS.len() as u64);
        let mut x = 16;
        text("colour = job:", (x, ly), 15, black, left).map_err(|x| e(&x))?;
        x += 100;
        for j in 0..shown {
            root.draw(&Rectangle::new([(x, ly - 7), (x + 14, ly + 7)], job_color(j).filled()))
                .map_err(|x| e(&x))?;
            text(&j.to_string(), (x + 16, ly), 15, black, left).map_err(|x| e(&x))?;
            x += 38;
        }
        if file.plan.jobs > JOB_COLORS.len() {
            text(&format!("(repeats: k mod {})", JOB_COLORS.len()), (x, ly), 13, grey, left)
                .map_err(|x| e(&x))?;
        }
        let mut top = HEADER;
        let (per_ms, unit) = axis_unit(max_ms);
        let step = tick_step(max_ms * per_ms);
        let decimals = tick_decimals(step);
        for (pass, lanes) in file.passes.iter().zip(&layouts) {
            let title = format!(
                "{} · {} worker{} · wall {} · {:.2} cores busy · {:.2} jobs in flight · {} lane{}",
                pass.strategy,
                pass.workers,
                if pass.workers == 1 { "" } else { "s" },
                ms(pass.wall_s),
                pass.cores_busy(),
                pass.in_flight(),
                lanes.len(),
                if lanes.len() == 1 { "" } else { "s" }
            );
            text(&title, (16, top + 12), 18, black, left).map_err(|x| e(&x))?;
            let body = top + PANEL_TITLE;
            let body_h = lanes.iter().map(|l| l.height).sum::<i32>().max(20);
            let bottom = body + body_h;
            // Frame, grid, the wall-time line of this pass.
            let line = RGBColor(0xdd, 0xdd, 0xdd);
            let mut n = 0u32;
            loop {
                let t = n as f64 * step;
                if t > max_ms * per_ms * (1.0 + 1e-9) {
                    break;
                }
                let x = x_of(t / per_ms);
                root.draw(&PathElement::new(vec![(x, body), (x, bottom)], line)).map_err(|x| e(&x))?;
                root.draw(&PathElement::new(vec![(x, bottom), (x, bottom + 4)], grey)).map_err(|x| e(&x))?;
                let label = format!("{t:.decimals$}");
                text(&label, (x, bottom + 14), 14, grey, Pos::new(HPos::Center, VPos::Center))
                    .map_err(|x| e(&x))?;
                n += 1;
            }
            root.draw(&Rectangle::new([(LEFT, body), (WIDTH as i32 - RIGHT, bottom)], grey.stroke_width(1)))
                .map_err(|x| e(&x))?;
            let wx = x_of(pass.wall_s * 1e3);
            root.draw(&PathElement::new(vec![(wx, body - 4), (wx, bottom)], black.stroke_width(2)))
                .map_err(|x| e(&x))?;
            // Clear of the last tick's label, which is centred on the frame's right edge.
            text(unit, (WIDTH as i32 - RIGHT + 24, bottom + 14), 14, grey, left).map_err(|x| e(&x))?;
            for (n, lane) in lanes.iter().enumerate() {
                let y0 = body + lane.top;
                if n > 0 {
                    root.draw(&PathElement::new(vec![(LEFT, y0), (WIDTH as i32 - RIGHT, y0)], line))
                        .map_err(|x| e(&x))?;
                }
                let hash_top = y0 + 6;
                text(
                    &lane.label,
                    (LEFT - 8, hash_top + HASH_H / 2),
                    15,
                    black,
                    Pos::new(HPos::Right, VPos::Center),
                )
                .map_err(|x| e(&x))?;
                for &(k, track) in &lane.items {
                    let i = &pass.intervals[k];
                    let (x0, x1) = (x_of(i.start_ns as f64 / 1e6), x_of(i.end_ns as f64 / 1e6));
                    let x1 = x1.max(x0 + 1);
                    let c = job_color(i.job);
                    match i.phase {
                        Phase::Wait => {
                            let y = hash_top + HASH_H + 3 + track as i32 * (WAIT_H + WAIT_GAP);
                            let due_ns = i.start_ns.saturating_add(nominal_ns).min(i.end_ns);
                            let xd = x_of(due_ns as f64 / 1e6).clamp(x0, x1);
                            if xd < x1 {
                                let ready = c.mix(READY_ALPHA).filled();
                                root.draw(&Rectangle::new([(xd, y), (x1, y + WAIT_H)], ready))
                                    .map_err(|x| e(&x))?;
                            }
                            root.draw(&Rectangle::new([(x0, y), (xd.max(x0 + 1), y + WAIT_H)], c.filled()))
                                .map_err(|x| e(&x))?;
                        }
                        Phase::Hash => {
                            root.draw(&Rectangle::new([(x0, hash_top), (x1, hash_top + HASH_H)], c.filled()))
                                .map_err(|x| e(&x))?;
                            let label = i.job.to_string();
                            if x1 - x0 >= 8 * label.len() as i32 + 4 {
                                text(
                                    &label,
                                    ((x0 + x1) / 2, hash_top + HASH_H / 2),
                                    14,
                                    WHITE,
                                    Pos::new(HPos::Center, VPos::Center),
                                )
                                .map_err(|x| e(&x))?;
                            }
                        }
                    }
                }
            }
            top += PANEL_TITLE + body_h + AXIS;
        }
        text(
            &format!(
                "time since the pass started ({unit}), one axis for all panels; the black line marks the end of \
                 the pass"
            ),
            (LEFT, top + 8),
            15,
            grey,
            left,
        )
        .map_err(|x| e(&x))?;
        root.present().map_err(|x| e(&x))?;
    }
    Ok(out)
}
