//! The report's charts, drawn with plotters twice: SVG (inlined in the HTML) and PNG (beside
//! the Markdown). Series differ by line pattern and marker as well as colour, so every chart
//! reads in grey-scale print.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

/// A chart that can draw itself on any backend.
pub trait Plot {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

static FONT: Once = Once::new();

/// plotters measures and rasterises text with this embedded font: no system fonts needed.
fn register_font() {
    FONT.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Renders `plot` to `<dir>/<name>.svg` and `<dir>/<name>.png`; returns the SVG text.
pub fn render<P: Plot>(plot: &P, dir: &Path, name: &str, size: (u32, u32)) -> anyhow::Result<String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!(err(e)))?;
        plot.draw(&root).map_err(|e| anyhow::anyhow!("chart {name}: {e}"))?;
        root.present().map_err(|e| anyhow::anyhow!(err(e)))?;
    }
    let png = dir.join(format!("{name}.png"));
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!(err(e)))?;
        plot.draw(&root).map_err(|e| anyhow::anyhow!("chart {name}: {e}"))?;
        root.present().map_err(|e| anyhow::anyhow!(err(e)))?;
    }
    std::fs::write(dir.join(format!("{name}.svg")), &svg)?;
    Ok(svg)
}

/// A rendered SVG ready to inline in HTML: without the XML declaration before the `<svg>`.
pub fn inline_svg(svg: &str) -> &str {
    let svg = svg.trim_start_matches(|ch| ch != '<');
    let svg = if svg.starts_with("<?xml") { &svg[svg.find("?>").map(|i| i + 2).unwrap_or(0)..] } else { svg };
    svg.trim()
}

/// Colours that stay distinct in grey: dark to light.
const INK: [RGBColor; 6] = [
    RGBColor(0, 0, 0),
    RGBColor(0, 90, 160),
    RGBColor(200, 70, 20),
    RGBColor(110, 110, 110),
    RGBColor(0, 140, 90),
    RGBColor(170, 120, 0),
];

fn ink(i: usize) -> RGBColor {
    INK[i % INK.len()]
}

/// How a series is drawn: colour, line pattern (0 solid, 1 dashed, 2 dotted) and marker
/// (0 circle, 1 triangle, 2 cross). Fixed per bucket and per policy position, so a bucket or a
/// policy looks the same in every chart and legend (and in grey-scale print).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: RGBColor,
    pub pattern: usize,
    pub marker: usize,
}

/// The bucket's own style, else the `i`-th policy style.
pub fn style_for(label: &str, i: usize) -> Style {
    let fixed = |c: usize, pattern: usize, marker: usize| Style { color: INK[c], pattern, marker };
    match label {
        "CHALLENGE" => fixed(0, 0, 0),
        "PROBATION" => fixed(1, 1, 1),
        "MAINCOMP" => fixed(2, 2, 2),
        "PLAGIARISM" => fixed(4, 0, 1),
        "unknown" => fixed(3, 1, 2),
        "ENTITY" => fixed(5, 2, 0),
        _ => Style { color: ink(i), pattern: i % 3, marker: (i / 3 + i) % 3 },
    }
}

/// Splits a series where the x gap is over 1.5 × its usual step: no line across an absence.
fn runs(points: &[(f64, f64)]) -> Vec<&[(f64, f64)]> {
    let mut steps: Vec<f64> = points.windows(2).map(|w| w[1].0 - w[0].0).filter(|d| *d > 0.0).collect();
    steps.sort_by(f64::total_cmp);
    let Some(&usual) = steps.first() else { return vec![points] };
    let mut out = Vec::new();
    let mut start = 0;
    for k in 1..points.len() {
        if points[k].0 - points[k - 1].0 > 1.5 * usual {
            out.push(&points[start..k]);
            start = k;
        }
    }
    out.push(&points[start..]);
    out
}

/// 1.2 M, 20 k, 3.5: tick labels a person reads at a glance.
pub fn si(v: f64) -> String {
    let a = v.abs();
    let (x, unit) = if a >= 1e9 {
        (v / 1e9, " G")
    } else if a >= 1e6 {
        (v / 1e6, " M")
    } else if a >= 1e4 {
        (v / 1e3, " k")
    } else {
        (v, "")
    };
    let text = if x.fract().abs() < 1e-9 || x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else if x.abs() >= 0.01 || x == 0.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.1e}")
    };
    format!("{text}{unit}")
}

/// One line in its style, with a marker every few points; the legend shows the same.
fn draw_line<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    points: &[(f64, f64)],
    st: Style,
    label: &str,
) -> Result<(), String> {
    let c = st.color;
    let style = ShapeStyle { color: c.to_rgba(), filled: false, stroke_width: 2 };
    let mut first = true;
    for run in runs(points) {
        let anno = match st.pattern {
            0 => chart.draw_series(LineSeries::new(run.iter().copied(), style)).map_err(err)?,
            1 => chart.draw_series(DashedLineSeries::new(run.iter().copied(), 8, 5, style)).map_err(err)?,
            _ => chart.draw_series(DashedLineSeries::new(run.iter().copied(), 2, 4, style)).map_err(err)?,
        };
        if first && !label.is_empty() {
            first = false;
            let (pattern, marker) = (st.pattern, st.marker);
            anno.label(label).legend(move |(x, y)| {
                let s = ShapeStyle { color: c.to_rgba(), filled: false, stroke_width: 2 };
                // The line's own pattern (three segments) and marker, relative to the anchor.
                let segs: [(i32, i32); 3] = match pattern {
                    0 => [(0, 24), (0, 0), (0, 0)],
                    1 => [(0, 8), (14, 22), (24, 24)],
                    _ => [(0, 3), (10, 13), (20, 23)],
                };
                let mark: Vec<(i32, i32)> = match marker {
                    0 => vec![(9, -2), (11, -4), (13, -4), (15, -2), (15, 2), (13, 4), (11, 4), (9, 2), (9, -2)],
                    1 => vec![(12, -5), (16, 3), (8, 3), (12, -5)],
                    _ => vec![(8, -4), (16, 4), (12, 0), (8, 4), (16, -4)],
                };
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(segs[0].0, 0), (segs[0].1, 0)], s)
                    + PathElement::new(vec![(segs[1].0, 0), (segs[1].1, 0)], s)
                    + PathElement::new(vec![(segs[2].0, 0), (segs[2].1, 0)], s)
                    + PathElement::new(mark, ShapeStyle { color: c.to_rgba(), filled: false, stroke_width: 2 })
            });
        }
    }
    let every = (points.len() / 12).max(1);
    let marks = points.iter().step_by(every).copied();
    match st.marker {
        0 => chart.draw_series(marks.map(|p| Circle::new(p, 3, c.filled()))).map_err(err)?,
        1 => chart.draw_series(marks.map(|p| TriangleMarker::new(p, 4, c.filled()))).map_err(err)?,
        _ => chart.draw_series(marks.map(|p| Cross::new(p, 4, c.stroke_width(2)))).map_err(err)?,
    };
    Ok(())
}

/// The legend every chart uses: a framed, slightly transparent box.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .position(position)
        .draw()
        .map_err(err)
}

fn bounds(points: impl Iterator<Item = (f64, f64)>) -> ((f64, f64), (f64, f64)) {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for (x, y) in points {
        if x.is_finite() && y.is_finite() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    if !x0.is_finite() {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    let pad = |a: f64, b: f64| {
        let d = if b > a { (b - a) * 0.05 } else { a.abs().max(1.0) * 0.05 };
        (a - d, b + d)
    };
    (pad(x0, x1), pad(y0, y1))
}

/// A labelled line with an optional min–max band of (x, low, high).
pub type Line = (String, Vec<(f64, f64)>, Option<Vec<(f64, f64, f64)>>);
/// A labelled group of scatter points.
pub type Group = (String, Vec<(f64, f64)>);
/// A bar series: label, and per category its value and optional (low, high) whisker.
pub type BarSeries = (String, Vec<(f64, Option<(f64, f64)>)>);

/// A panel of lines (optionally with min–max bands) over a shared x axis.
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// (label, points, optional band of (x, low, high)).
    pub lines: Vec<Line>,
    /// Tick labels for x (e.g. dates), by x value.
    pub x_format: Option<fn(f64) -> String>,
    /// Vertical markers (x, label): release boundaries on a time axis.
    pub markers: Vec<(f64, String)>,
    /// Draw each line's points as bars of this width (a histogram) instead of a line.
    pub bars: Option<f64>,
}

/// Several panels stacked vertically under one title.
pub struct Lines {
    pub title: String,
    pub panels: Vec<Panel>,
}

impl Plot for Lines {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = root.titled(&self.title, ("sans-serif", 22).into_font()).map_err(err)?;
        let areas = root.split_evenly((self.panels.len().max(1), 1));
        for (panel, area) in self.panels.iter().zip(areas.iter()) {
            let all = panel.lines.iter().flat_map(|l| {
                l.1.iter().copied().chain(l.2.iter().flatten().flat_map(|(x, lo, hi)| [(*x, *lo), (*x, *hi)]))
            });
            // Bars stand on 0: the axis always includes it and the tallest bar.
            let floor = panel.bars.map(|_| (f64::NAN, 0.0));
            let ((x0, x1), (y0, y1)) = bounds(all.chain(
                floor.into_iter().filter_map(|(_, y)| panel.lines.first().and_then(|l| l.1.first()).map(|p| (p.0, y))),
            ));
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, ("sans-serif", 16).into_font())
                .margin(8)
                .x_label_area_size(36)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(err)?;
            let fmt = panel.x_format;
            let x_fmt = move |x: &f64| fmt.map(|f| f(*x)).unwrap_or_else(|| si(*x));
            let y_fmt = |y: &f64| si(*y);
            chart
                .configure_mesh()
                .x_desc(&panel.x_label)
                .y_desc(&panel.y_label)
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .light_line_style(RGBColor(235, 235, 235))
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(err)?;
            for (i, (label, points, band)) in panel.lines.iter().enumerate() {
                if let Some(band) = band {
                    let c = style_for(label, i).color.mix(0.15);
                    let poly: Vec<(f64, f64)> = band
                        .iter()
                        .map(|(x, _, hi)| (*x, *hi))
                        .chain(band.iter().rev().map(|(x, lo, _)| (*x, *lo)))
                        .collect();
                    chart.draw_series(std::iter::once(Polygon::new(poly, c.filled()))).map_err(err)?;
                }
                match panel.bars {
                    None => draw_line(&mut chart, points, style_for(label, i), label)?,
                    Some(width) => {
                        let st = style_for(label, i);
                        let n = panel.lines.len().max(1) as f64;
                        let w = width / n;
                        let fill = match i % 3 {
                            0 => st.color.filled(),
                            1 => st.color.mix(0.5).filled(),
                            _ => st.color.stroke_width(2),
                        };
                        chart
                            // A bar stands on 0, above it or below (a PnL may be a loss).
                            .draw_series(points.iter().filter(|p| p.1 != 0.0).map(|(x, y)| {
                                let left = x - width / 2.0 + i as f64 * w;
                                Rectangle::new([(left, 0.0), (left + w * 0.9, *y)], fill)
                            }))
                            .map_err(err)?
                            .label(label.as_str())
                            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], fill));
                    }
                }
            }
            for (k, (x, label)) in panel.markers.iter().filter(|(x, _)| *x >= x0 && *x <= x1).enumerate() {
                let grey = RGBColor(110, 110, 110);
                // Staggered so close boundaries keep readable labels.
                let y_text = y1 - (y1 - y0) * 0.06 * (k % 3) as f64;
                chart
                    .draw_series(DashedLineSeries::new([(*x, y0), (*x, y1)], 4, 3, grey.stroke_width(1)))
                    .map_err(err)?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!(" {label}"),
                        (*x, y_text),
                        ("sans-serif", 11).into_font().color(&grey),
                    )))
                    .map_err(err)?;
            }
            if panel.lines.iter().any(|l| !l.0.is_empty()) {
                // A histogram's tall bars sit on the left (the floors): its legend goes right.
                let at =
                    if panel.bars.is_some() { SeriesLabelPosition::UpperRight } else { SeriesLabelPosition::UpperLeft };
                legend(&mut chart, at)?;
            }
        }
        Ok(())
    }
}

/// Scatter panels: (label, points) groups with a marker per group.
pub struct Scatter {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub panels: Vec<(String, Vec<Group>)>,
}

impl Plot for Scatter {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = root.titled(&self.title, ("sans-serif", 22).into_font()).map_err(err)?;
        let n = self.panels.len().max(1);
        let cols = n.min(2);
        let areas = root.split_evenly((n.div_ceil(cols), cols));
        for ((title, groups), area) in self.panels.iter().zip(areas.iter()) {
            let ((x0, x1), (y0, y1)) = bounds(groups.iter().flat_map(|g| g.1.iter().copied()));
            let mut chart = ChartBuilder::on(area)
                .caption(title, ("sans-serif", 16).into_font())
                .margin(8)
                .x_label_area_size(36)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&self.y_label)
                .x_labels(5)
                .y_labels(6)
                .light_line_style(RGBColor(235, 235, 235))
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(err)?;
            for (i, (label, pts)) in groups.iter().enumerate() {
                let c = ink(i);
                match i % 3 {
                    0 => chart
                        .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
                        .map_err(err)?
                        .label(label.as_str())
                        .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled())),
                    1 => chart
                        .draw_series(pts.iter().map(|p| TriangleMarker::new(*p, 4, c.filled())))
                        .map_err(err)?
                        .label(label.as_str())
                        .legend(move |(x, y)| TriangleMarker::new((x + 8, y), 5, c.filled())),
                    _ => chart
                        .draw_series(pts.iter().map(|p| Cross::new(*p, 4, c.stroke_width(2))))
                        .map_err(err)?
                        .label(label.as_str())
                        .legend(move |(x, y)| Cross::new((x + 8, y), 5, c.stroke_width(2))),
                };
            }
            legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        }
        Ok(())
    }
}

/// Grouped bars with optional 5–95% whiskers: categories on x, one bar per series.
pub struct Bars {
    pub title: String,
    pub y_label: String,
    pub categories: Vec<String>,
    /// (series label, per category: (value, optional (low, high))).
    pub series: Vec<BarSeries>,
}

impl Plot for Bars {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = root.titled(&self.title, ("sans-serif", 22).into_font()).map_err(err)?;
        let n_cat = self.categories.len().max(1);
        let n_ser = self.series.len().max(1);
        let vals = self.series.iter().flat_map(|s| {
            s.1.iter().flat_map(|(v, b)| {
                let mut out = vec![*v, 0.0];
                if let Some((lo, hi)) = b {
                    out.push(*lo);
                    out.push(*hi);
                }
                out
            })
        });
        let (_, (y0, y1)) = bounds(vals.map(|v| (0.0, v)));
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(60)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..n_cat as f64, y0..y1)
            .map_err(err)?;
        let cats = self.categories.clone();
        let x_fmt = move |x: &f64| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() < 0.26 { cats.get(i).cloned().unwrap_or_default() } else { String::new() }
        };
        chart
            .configure_mesh()
            .y_desc(&self.y_label)
            .x_labels(n_cat * 4)
            .x_label_formatter(&x_fmt)
            .disable_x_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        let width = 0.8 / n_ser as f64;
        for (s, (label, values)) in self.series.iter().enumerate() {
            let c = ink(s);
            // Solid, hatched-light and outlined bars tell the series apart without colour.
            let style = match s % 3 {
                0 => c.filled(),
                1 => c.mix(0.45).filled(),
                _ => c.stroke_width(2),
            };
            let anno = chart
                .draw_series(values.iter().enumerate().map(|(k, (v, _))| {
                    let x = k as f64 + 0.1 + s as f64 * width;
                    Rectangle::new([(x, 0.0), (x + width * 0.9, *v)], style)
                }))
                .map_err(err)?;
            anno.label(label.as_str()).legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], style));
            chart
                .draw_series(values.iter().enumerate().filter_map(|(k, (_, b))| {
                    b.map(|(lo, hi)| {
                        let x = k as f64 + 0.1 + s as f64 * width + width * 0.45;
                        PathElement::new(vec![(x, lo), (x, hi)], BLACK.stroke_width(1))
                    })
                }))
                .map_err(err)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}

/// A heatmap of a metric over two knobs: grey by value, the value printed in each cell.
pub struct Heatmap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_values: Vec<String>,
    pub y_values: Vec<String>,
    /// cells[y][x]; None for a combination with no result.
    pub cells: Vec<Vec<Option<f64>>>,
}

/// Decimals (`min` to 8) that show a set of values' spread to three significant digits: on
/// real data churn varies in its fourth significant digit, and at a fixed three or four
/// decimals every variant read the same.
pub fn decimals_for_spread(values: &[f64], min: usize) -> usize {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let spread = hi - lo;
    if spread.is_nan() || spread <= 0.0 {
        return min;
    }
    ((2.0 - spread.log10().floor()) as i64).clamp(min as i64, 8.max(min as i64)) as usize
}

impl Plot for Heatmap {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (nx, ny) = (self.x_values.len().max(1), self.y_values.len().max(1));
        let vals: Vec<f64> = self.cells.iter().flatten().flatten().copied().filter(|v| v.is_finite()).collect();
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let d = decimals_for_spread(&vals, 3);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20).into_font())
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
            .map_err(err)?;
        let (xs, ys) = (self.x_values.clone(), self.y_values.clone());
        let xf = move |x: &f64| {
            if (x.fract() - 0.5).abs() < 0.01 {
                xs.get(*x as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let yf = move |y: &f64| {
            if (y.fract() - 0.5).abs() < 0.01 {
                ys.get(*y as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_labels(nx * 2 + 1)
            .y_labels(ny * 2 + 1)
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        for (y, row) in self.cells.iter().enumerate() {
            for (x, v) in row.iter().enumerate() {
                let (fill, text) = match v {
                    Some(v) if v.is_finite() => {
                        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                        let g = (235.0 - 185.0 * t) as u8; // light = low, dark = high
                        (RGBColor(g, g, g), format!("{v:.d$}"))
                    }
                    _ => (RGBColor(255, 255, 255), "-".into()),
                };
                let (x0, y0) = (x as f64, y as f64);
                chart
                    .draw_series(std::iter::once(Rectangle::new([(x0, y0), (x0 + 1.0, y0 + 1.0)], fill.filled())))
                    .map_err(err)?;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                        BLACK.stroke_width(1),
                    )))
                    .map_err(err)?;
                let ink = if fill.0 < 130 { WHITE } else { BLACK };
                let style = ("sans-serif", 14).into_font().color(&ink).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ));
                chart.draw_series(std::iter::once(Text::new(text, (x0 + 0.5, y0 + 0.5), style))).map_err(err)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::decimals_for_spread;

    #[test]
    fn decimals_show_the_spread_to_three_digits() {
        // Churn on the bench data: 0.09117961 to 0.09119886 (spread 1.9e-5) needs 7 decimals.
        assert_eq!(decimals_for_spread(&[0.09117961, 0.09119886, 0.0911850], 4), 7);
        assert_eq!(format!("{:.7}", 0.09119886), "0.0911989");
        // Alignment spread 0.157: the minimum already shows it.
        assert_eq!(decimals_for_spread(&[0.5687, 0.7254], 4), 4);
        assert_eq!(decimals_for_spread(&[0.5687, 0.7254], 3), 3);
        assert_eq!(decimals_for_spread(&[0.3, 0.3, f64::NAN], 3), 3);
        assert_eq!(decimals_for_spread(&[1.0, 1.0 + 1e-12], 4), 8);
    }
}
