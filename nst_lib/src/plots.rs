//! Charts and false-colour pictures for teaching: loss curves (SVG, drawn with plotters), feature
//! maps and Gram-matrix heat maps (images).
//!
//! plotters is built without its `ttf` feature: the SVG backend writes text as SVG `<text>`, so no
//! system fonts (fontconfig) are needed on a fresh machine.

use candle_core::Tensor;
use image::{Rgb, RgbImage};
use plotters::prelude::*;

use crate::error::{NstError, Result};
use crate::outcome::StepReport;

fn plot_err(e: impl std::fmt::Display) -> NstError {
    NstError::Encode { what: "loss plot".into(), reason: e.to_string() }
}

/// A named line of (step, value) points; thick lines are the totals, thin ones single layers.
struct Series {
    name: String,
    points: Vec<(usize, f64)>,
    thick: bool,
}

/// Loss curves of a run as an SVG document: total, content, style and TV (thick), and each
/// layer's share (thin), on a log scale because the values span decades. Lines join the
/// accepted iterates only; rejected line-search trials are grey dots on the total's scale.
pub fn loss_curves_svg(history: &[StepReport], width: u32, height: u32) -> Result<String> {
    let trials: Vec<(usize, f64)> = history
        .iter()
        .filter(|r| !r.accepted && r.loss.total > 0.0 && r.loss.total.is_finite())
        .map(|r| (r.step, r.loss.total))
        .collect();
    let mut series = curve_series(history);
    let steps = history.last().map(|r| r.step).unwrap_or(1).max(2);
    let all = series.iter().flat_map(|s| s.points.iter().map(|(_, v)| *v)).chain(trials.iter().map(|(_, v)| *v));
    let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo.is_finite() { (lo / 1.5, hi * 1.5) } else { (1e-3, 1.0) };
    // The layers first, the thick lines (total, then content, style, TV) on top of them.
    series.sort_by_key(|s| (s.thick, s.name != "total"));
    let styles = series_styles(&series);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        // The legend has its own column to the right of the plot: it never covers a curve.
        let legend_width = 170.min(width / 3);
        let (plot_area, legend_area) = root.split_horizontally(width - legend_width);
        let mut chart = log_step_chart(&plot_area, ("loss per step (log scale)", "weighted loss"), steps, (lo, hi))?;
        chart.draw_series(trials.iter().map(|&p| Circle::new(p, 2, TRIAL_GREY.filled()))).map_err(plot_err)?;
        for (s, style) in series.iter().zip(&styles) {
            chart.draw_series(LineSeries::new(s.points.iter().copied(), *style)).map_err(plot_err)?;
        }
        draw_legend(&legend_area, &series, &styles, !trials.is_empty())?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// The line-search trials' dots.
const TRIAL_GREY: RGBColor = RGBColor(150, 150, 150);

/// The accepted steps' curves: total, content, style and TV (thick), then each layer's share
/// (thin) where its kind has several layers (a kind with one layer is its thick line already).
/// Only positive, finite values: the scale is logarithmic.
fn curve_series(history: &[StepReport]) -> Vec<Series> {
    let mut series: Vec<Series> = vec![];
    let mut add = |name: &str, thick: bool, get: &dyn Fn(&StepReport) -> Option<f64>| {
        let pts: Vec<(usize, f64)> = history
            .iter()
            .filter(|r| r.accepted)
            .filter_map(|r| get(r).filter(|v| *v > 0.0 && v.is_finite()).map(|v| (r.step, v)))
            .collect();
        if !pts.is_empty() {
            series.push(Series { name: name.to_string(), points: pts, thick });
        }
    };
    add("total", true, &|r| Some(r.loss.total));
    add("content", true, &|r| Some(r.loss.content));
    add("style", true, &|r| Some(r.loss.style));
    add("tv", true, &|r| Some(r.loss.tv));
    let layer_names: Vec<String> = history
        .first()
        .map(|r| r.loss.layers.iter().map(|(n, _)| n.clone()).filter(|n| n != "tv").collect())
        .unwrap_or_default();
    let count = |kind: &str| layer_names.iter().filter(|n| n.starts_with(kind)).count();
    for name in &layer_names {
        let kind = name.split(' ').next().unwrap_or("");
        if count(kind) > 1 {
            add(name, false, &|r| r.loss.layers.iter().find(|(n, _)| n == name).map(|(_, v)| *v));
        }
    }
    series
}

/// Thick black/red/blue/green for total/content/style/tv, a categorical palette (no pale
/// colours) for the layers, by position in `series`.
fn series_styles(series: &[Series]) -> Vec<ShapeStyle> {
    const LAYER_COLOURS: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let color = match (s.thick, s.name.as_str()) {
                (true, "total") => BLACK.to_rgba(),
                (true, "content") => RED.to_rgba(),
                (true, "style") => BLUE.to_rgba(),
                (true, _) => GREEN.to_rgba(),
                (false, _) => LAYER_COLOURS[i % LAYER_COLOURS.len()].mix(0.9),
            };
            ShapeStyle { color, filled: false, stroke_width: if s.thick { 3 } else { 1 } }
        })
        .collect()
}

/// The legend column: the totals first, then the layers, one row each, then the trials' dot.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    series: &[Series],
    styles: &[ShapeStyle],
    trials: bool,
) -> Result<()> {
    let mut order: Vec<usize> = (0..series.len()).collect();
    order.sort_by_key(|&i| (!series[i].thick, series[i].name != "total"));
    for (row, &i) in order.iter().enumerate() {
        legend_entry(area, row, &series[i].name, styles[i])?;
    }
    if trials {
        let y = 40 + 18 * order.len() as i32;
        area.draw(&Circle::new((16, y), 2, TRIAL_GREY.filled())).map_err(plot_err)?;
        area.draw(&Text::new("line-search trial", (32, y - 7), ("sans-serif", 12).into_font())).map_err(plot_err)?;
    }
    Ok(())
}

/// A chart of values per step on a log scale in `area`, with its caption, axes and grid.
fn log_step_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    (caption, y_desc): (&str, &str),
    steps: usize,
    (lo, hi): (f64, f64),
) -> Result<ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordusize, LogCoord<f64>>>> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .build_cartesian_2d(1..steps, (lo..hi).log_scale())
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("step (one forward + backward pass)")
        .y_desc(y_desc)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(plot_err)?;
    Ok(chart)
}

/// The total loss of several runs on one log-scale chart (accepted steps only), one colour per
/// run, the legend to the right: for comparing optimisers or settings on the same pictures.
pub fn compare_curves_svg(runs: &[(&str, &[StepReport])], width: u32, height: u32) -> Result<String> {
    let lines: Vec<Vec<(usize, f64)>> = runs
        .iter()
        .map(|(_, h)| {
            h.iter()
                .filter(|r| r.accepted && r.loss.total > 0.0 && r.loss.total.is_finite())
                .map(|r| (r.step, r.loss.total))
                .collect()
        })
        .collect();
    let steps = lines.iter().flatten().map(|(k, _)| *k).max().unwrap_or(1).max(2);
    let (lo, hi) = lines.iter().flatten().fold((f64::INFINITY, 0.0f64), |(lo, hi), (_, v)| (lo.min(*v), hi.max(*v)));
    let (lo, hi) = if lo.is_finite() { (lo / 1.5, hi * 1.5) } else { (1e-3, 1.0) };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let legend_width = 170.min(width / 3);
        let (plot_area, legend_area) = root.split_horizontally(width - legend_width);
        let mut chart = log_step_chart(&plot_area, ("total loss per step (log scale)", "loss"), steps, (lo, hi))?;
        for (i, ((name, _), pts)) in runs.iter().zip(&lines).enumerate() {
            let style = series_style(i, false);
            chart.draw_series(LineSeries::new(pts.iter().copied(), style)).map_err(plot_err)?;
            legend_entry(&legend_area, i, name, style)?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// Lines on one chart, e.g. a distance against seconds for several runs (one yardstick for
/// optimisers that count steps differently): one colour per series, the legend to the right.
pub fn lines_svg(
    title: &str,
    (x_desc, y_desc): (&str, &str),
    series: &[(&str, Vec<(f64, f64)>)],
    (width, height): (u32, u32),
) -> Result<String> {
    let pts = series.iter().flat_map(|(_, p)| p).filter(|(x, y)| x.is_finite() && y.is_finite());
    let (x1, y0, y1) = pts
        .fold((1e-9f64, f64::INFINITY, f64::NEG_INFINITY), |(x1, y0, y1), (x, y)| (x1.max(*x), y0.min(*y), y1.max(*y)));
    let (y0, y1) = if y0.is_finite() { (y0.min(0.0), y1 * 1.05 + 1e-12) } else { (0.0, 1.0) };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let legend_width = 190.min(width / 2);
        let (plot_area, legend_area) = root.split_horizontally(width - legend_width);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..x1 * 1.02, y0..y1)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(6)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(plot_err)?;
        for (i, (name, line)) in series.iter().enumerate() {
            let style = series_style(i, true);
            chart.draw_series(LineSeries::new(line.iter().copied(), style)).map_err(plot_err)?;
            chart.draw_series(line.iter().map(|&p| Circle::new(p, 3, style))).map_err(plot_err)?;
            legend_entry(&legend_area, i, name, style)?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

const SERIES_COLOURS: [RGBColor; 6] = [
    RGBColor(0, 0, 0),
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
];

/// The i-th series' line style: the same colour for the i-th run on every comparison chart.
fn series_style(i: usize, filled: bool) -> ShapeStyle {
    ShapeStyle { color: SERIES_COLOURS[i % SERIES_COLOURS.len()].to_rgba(), filled, stroke_width: 2 }
}

/// The i-th legend entry from the top: a short line in the series' style, then its name.
fn legend_entry<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    i: usize,
    name: &str,
    style: ShapeStyle,
) -> Result<()> {
    let y = 40 + 18 * i as i32;
    area.draw(&PathElement::new(vec![(6, y), (26, y)], style)).map_err(plot_err)?;
    let size = if name.len() > 20 { 10 } else { 12 }; // a setting's name still fits
    area.draw(&Text::new(name.to_string(), (32, y - 7), ("sans-serif", size).into_font())).map_err(plot_err)?;
    Ok(())
}

/// Viridis-like colour for t in 0–1 (dark purple -> teal -> yellow).
fn viridis(t: f32) -> Rgb<u8> {
    let c = plotters::style::colors::colormaps::ViridisRGB::get_color(t.clamp(0.0, 1.0));
    Rgb([c.0, c.1, c.2])
}

fn values_2d(t: &Tensor) -> Result<(usize, usize, Vec<f32>)> {
    let t = t.squeeze(0).unwrap_or_else(|_| t.clone());
    let (h, w) = t.dims2()?;
    Ok((h, w, t.to_dtype(candle_core::DType::F32)?.flatten_all()?.to_vec1::<f32>()?))
}

/// A 2-D tensor as a false-colour picture, each entry a `cell`×`cell` square.
/// `symmetric` maps 0 to the middle of the scale (for values of both signs).
pub fn heatmap(t: &Tensor, cell: u32, symmetric: bool) -> Result<RgbImage> {
    let (h, w, v) = values_2d(t)?;
    let (lo, hi) = v.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let (lo, hi) = if symmetric { (-lo.abs().max(hi.abs()), lo.abs().max(hi.abs())) } else { (lo, hi) };
    let span = (hi - lo).max(1e-12);
    Ok(RgbImage::from_fn(w as u32 * cell, h as u32 * cell, |x, y| {
        viridis((v[(y / cell) as usize * w + (x / cell) as usize] - lo) / span)
    }))
}

/// How [`heatmap_scaled`] maps a matrix's entries to colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColourScale {
    /// log10 of the entry, between the given powers of ten (entries ≤ 0 get the bottom colour):
    /// Gram entries span many decades, so a linear scale shows a few bright cells on black.
    Log10 { lo: f32, hi: f32 },
    /// The entry itself, between `lo` and `hi` (e.g. correlations in 0–1).
    Linear { lo: f32, hi: f32 },
}

impl ColourScale {
    /// A log scale covering `decades` powers of ten below the largest entry of `ts` (rounded
    /// up to a power of ten): one scale for several matrices, so equal colours mean equal values.
    pub fn log_decades(ts: &[&Tensor], decades: u32) -> Result<Self> {
        let mut max = f32::MIN_POSITIVE;
        for t in ts {
            max = max.max(t.to_dtype(candle_core::DType::F32)?.max_all()?.to_scalar::<f32>()?);
        }
        let hi = max.log10().ceil();
        Ok(ColourScale::Log10 { lo: hi - decades as f32, hi })
    }

    /// Position of `v` on the scale, 0–1.
    pub fn position(&self, v: f32) -> f32 {
        let (x, lo, hi) = match *self {
            ColourScale::Log10 { lo, hi } => (if v > 0.0 { v.log10() } else { lo }, lo, hi),
            ColourScale::Linear { lo, hi } => (v, lo, hi),
        };
        ((x - lo) / (hi - lo).max(1e-12)).clamp(0.0, 1.0)
    }
}

/// A 2-D tensor as a false-colour picture on a given scale (shared by several pictures, so
/// their colours compare), each entry a `cell`×`cell` square.
pub fn heatmap_scaled(t: &Tensor, cell: u32, scale: ColourScale) -> Result<RgbImage> {
    let (h, w, v) = values_2d(t)?;
    Ok(RgbImage::from_fn(w as u32 * cell, h as u32 * cell, |x, y| {
        viridis(scale.position(v[(y / cell) as usize * w + (x / cell) as usize]))
    }))
}

/// The colour bar of the scales above: `height` rows from the top colour down to the bottom.
pub fn colour_bar(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |_, y| viridis(1.0 - y as f32 / (height - 1).max(1) as f32))
}

/// One channel of a feature map `(1, C, H, W)` on the heat maps' colour scale (dark purple = 0
/// or below, yellow = the channel's maximum), enlarged `scale` times so small deep-layer maps
/// stay visible. Not grey: a deep layer's sparse map would be mostly black, unreadable.
pub fn feature_map(features: &Tensor, channel: usize, scale: u32) -> Result<RgbImage> {
    let (_, c, _, _) = features.dims4()?;
    if channel >= c {
        return Err(NstError::InvalidConfig(format!("channel {channel} does not exist: this layer has {c} channels")));
    }
    let (h, w, v) = values_2d(&features.narrow(1, channel, 1)?.squeeze(0)?)?;
    let hi = v.iter().copied().fold(0.0f32, f32::max).max(1e-12);
    Ok(RgbImage::from_fn(w as u32 * scale, h as u32 * scale, |x, y| {
        viridis(v[(y / scale) as usize * w + (x / scale) as usize].max(0.0) / hi)
    }))
}
