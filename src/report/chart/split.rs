//! The index split into its parts, one stacked bar per unit: the appraised
//! part, then the survey part, their sum printed at the end; the band
//! thresholds as labelled vertical lines.

use std::fmt::Write as _;

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::layout::{
    anchored, draw_names, italic_style, plot, row_y, text_style, text_width, Frame, Key, Legend,
    ACCENT, INK, MUTED, PRIMARY, REFERENCE, SMALL_PX,
};
use super::svg::{clean, finish};
use super::{check_frame, Axis, ChartError};

#[derive(Debug, Clone, PartialEq)]
pub struct SplitChart {
    /// The accessible title (`<title>`).
    pub title: String,
    pub axis: Axis,
    pub width: u32,
    /// In rank order, as given.
    pub rows: Vec<SplitRow>,
    /// Band thresholds, e.g. 90/70/50 with their band names.
    pub thresholds: Vec<Threshold>,
    pub appraised_label: String,
    pub survey_label: String,
}

impl SplitChart {
    pub fn new(
        title: impl Into<String>,
        axis: Axis,
        width: u32,
        rows: Vec<SplitRow>,
        thresholds: Vec<Threshold>,
    ) -> Self {
        SplitChart {
            title: title.into(),
            axis,
            width,
            rows,
            thresholds,
            appraised_label: "Điểm thẩm định".to_owned(),
            survey_label: "Điểm điều tra xã hội học".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SplitRow {
    pub label: String,
    pub value: SplitValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SplitValue {
    Parts {
        appraised: f64,
        survey: f64,
    },
    /// No index (not computed, or withheld): a note, no bar.
    Missing {
        reason: String,
    },
}

impl SplitRow {
    pub fn parts(label: impl Into<String>, appraised: f64, survey: f64) -> Self {
        SplitRow {
            label: label.into(),
            value: SplitValue::Parts { appraised, survey },
        }
    }

    pub fn missing(label: impl Into<String>, reason: impl Into<String>) -> Self {
        SplitRow {
            label: label.into(),
            value: SplitValue::Missing {
                reason: reason.into(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub value: f64,
    /// The band that starts here, e.g. "Tốt".
    pub label: String,
}

const MISSING: &str = "Chưa có chỉ số";
/// Bars fill this share of their row.
const BAR: f64 = 0.6;
const THRESHOLD_LINE: u32 = 16;

/// Renders the chart as an SVG document. The printed total is
/// `appraised + survey` at the axis format's decimals.
pub fn split_chart(chart: &SplitChart) -> Result<String, ChartError> {
    let axis = &chart.axis;
    let rows = &chart.rows;
    check_frame(chart.width, rows.len(), axis)?;
    let names: Vec<String> = rows.iter().map(|r| clean(&r.label)).collect();
    for (row, name) in rows.iter().zip(&names) {
        check_row(row, name, axis)?;
    }
    for t in &chart.thresholds {
        if !(t.value.is_finite() && t.value > 0.0 && t.value <= axis.max) {
            return Err(ChartError::Value {
                label: clean(&t.label),
                reason: "ngưỡng phải nằm trong trục".to_owned(),
            });
        }
    }
    let totals: Vec<Option<String>> = rows
        .iter()
        .map(|r| match r.value {
            SplitValue::Parts { appraised, survey } => Some(axis.format.format(appraised + survey)),
            SplitValue::Missing { .. } => None,
        })
        .collect();

    let mut legend = Legend::default();
    legend.push(Key::Swatch(PRIMARY), clean(&chart.appraised_label));
    legend.push(Key::Swatch(ACCENT), clean(&chart.survey_label));
    if !chart.thresholds.is_empty() {
        legend.push(Key::Dashed(REFERENCE), "Ngưỡng xếp loại");
    }
    let right_px = totals
        .iter()
        .flatten()
        .map(|t| text_width(t, SMALL_PX))
        .fold(0.0, f64::max);
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    // The side margins do not depend on the top one, so the threshold
    // labels can be placed on a first frame and the top sized to fit them.
    let first = Frame::new(chart.width, rows.len(), &name_refs, right_px, &legend, 0);
    let labels = place_thresholds(&first, chart);
    let lines = labels.iter().map(|l| l.line + 1).max().unwrap_or(0);
    let frame = Frame::new(
        chart.width,
        rows.len(),
        &name_refs,
        right_px,
        &legend,
        lines * THRESHOLD_LINE,
    );

    let mut svg = String::new();
    let tooltips = {
        let root =
            SVGBackend::with_string(&mut svg, (frame.width, frame.height)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut ctx = plot(&root, &frame, axis, rows.len())?;
        let n = rows.len();
        for (i, row) in rows.iter().enumerate() {
            let y = row_y(n, i);
            let (top, bottom) = (y + BAR / 2.0, y - BAR / 2.0);
            match row.value {
                SplitValue::Parts { appraised, survey } => {
                    let end = appraised + survey;
                    if appraised > 0.0 {
                        ctx.draw_series(std::iter::once(Rectangle::new(
                            [(0.0, top), (appraised, bottom)],
                            PRIMARY.filled(),
                        )))?;
                    }
                    if survey > 0.0 {
                        ctx.draw_series(std::iter::once(Rectangle::new(
                            [(appraised, top), (end, bottom)],
                            ACCENT.filled(),
                        )))?;
                    }
                    if appraised > 0.0 && survey > 0.0 {
                        // The two colours are told apart by a white seam,
                        // since their mutual contrast is below 3:1.
                        ctx.draw_series(std::iter::once(PathElement::new(
                            vec![(appraised, top), (appraised, bottom)],
                            WHITE.stroke_width(2),
                        )))?;
                    }
                    let (px, py) = ctx.backend_coord(&(end, y));
                    if let Some(t) = &totals[i] {
                        root.draw(&Text::new(
                            t.clone(),
                            (px + 6, py),
                            anchored(text_style(SMALL_PX, INK), HPos::Left),
                        ))?;
                    }
                }
                SplitValue::Missing { ref reason } => {
                    let (_, py) = ctx.backend_coord(&(0.0, y));
                    root.draw(&Text::new(
                        missing_text(reason),
                        (frame.left as i32 + 8, py),
                        anchored(italic_style(SMALL_PX, MUTED), HPos::Left),
                    ))?;
                }
            }
        }
        draw_thresholds(&root, &ctx, &frame, &labels, rows.len())?;
        legend.draw(&root, frame.width)?;
        let tooltips = draw_names(&root, &ctx, &frame, &names)?;
        root.present()?;
        tooltips
    };
    let title = clean(&chart.title);
    Ok(finish(svg, &title, &describe(chart, &names), &tooltips))
}

struct ThresholdLabel {
    value: f64,
    text: String,
    /// 0 is the line nearest the plot.
    line: u32,
}

const THRESHOLD_LINES: usize = 3;

/// Labels centred on their line; one that would overlap a neighbour moves
/// up a line (up to three, then the least crowded).
fn place_thresholds(frame: &Frame, chart: &SplitChart) -> Vec<ThresholdLabel> {
    let plot = f64::from(frame.width - frame.left - frame.right);
    let mut sorted: Vec<&Threshold> = chart.thresholds.iter().collect();
    sorted.sort_by(|a, b| a.value.total_cmp(&b.value));
    let mut ends = [f64::NEG_INFINITY; THRESHOLD_LINES];
    sorted
        .into_iter()
        .map(|t| {
            let text = format!("{} ({})", clean(&t.label), chart.axis.format.tick(t.value));
            let x = f64::from(frame.left) + t.value / chart.axis.max * plot;
            let half = text_width(&text, SMALL_PX) / 2.0;
            let line = (0..THRESHOLD_LINES)
                .find(|&l| x - half >= ends[l] + 6.0)
                .unwrap_or_else(|| {
                    (0..THRESHOLD_LINES)
                        .min_by(|&a, &b| ends[a].total_cmp(&ends[b]))
                        .unwrap_or(0)
                });
            ends[line] = x + half;
            ThresholdLabel {
                value: t.value,
                text,
                line: line as u32,
            }
        })
        .collect()
}

/// Dashed lines over the bars, labelled above the plot.
fn draw_thresholds(
    root: &super::layout::Root,
    ctx: &super::layout::Plot,
    frame: &Frame,
    labels: &[ThresholdLabel],
    rows: usize,
) -> Result<(), ChartError> {
    for l in labels {
        let (x, y_top) = ctx.backend_coord(&(l.value, rows as f64));
        let (_, y_bottom) = ctx.backend_coord(&(l.value, 0.0));
        root.draw(&DashedPathElement::new(
            vec![(x, y_top - 4), (x, y_bottom)],
            4,
            3,
            REFERENCE.stroke_width(1),
        ))?;
        let y = frame.top as i32 - 12 - (l.line * THRESHOLD_LINE) as i32;
        root.draw(&Text::new(
            l.text.clone(),
            (x, y),
            anchored(text_style(SMALL_PX, INK), HPos::Center),
        ))?;
    }
    Ok(())
}

fn missing_text(reason: &str) -> String {
    let reason = clean(reason);
    let reason = reason.trim();
    if reason.is_empty() {
        MISSING.to_owned()
    } else {
        format!("{MISSING}: {reason}")
    }
}

fn check_row(row: &SplitRow, name: &str, axis: &Axis) -> Result<(), ChartError> {
    let bad = |reason: &str| ChartError::Value {
        label: name.to_owned(),
        reason: reason.to_owned(),
    };
    if name.trim().is_empty() {
        return Err(bad("tên đơn vị trống"));
    }
    if let SplitValue::Parts { appraised, survey } = row.value {
        if !(appraised.is_finite() && survey.is_finite()) {
            return Err(bad("điểm thành phần không phải là số"));
        }
        if appraised < 0.0 || survey < 0.0 {
            return Err(bad("điểm thành phần không được âm"));
        }
        if appraised + survey > axis.max * (1.0 + 1e-9) {
            return Err(bad("tổng điểm vượt quá trục"));
        }
    }
    Ok(())
}

fn describe(chart: &SplitChart, names: &[String]) -> String {
    let f = chart.axis.format;
    let (a, s) = (clean(&chart.appraised_label), clean(&chart.survey_label));
    let mut d = format!(
        "Biểu đồ cột chồng của {} đơn vị theo thứ hạng, thang từ {} đến {}: mỗi cột gồm {} và {}, \
         tổng ghi ở cuối cột.",
        chart.rows.len(),
        f.tick(0.0),
        f.tick(chart.axis.max),
        a.to_lowercase(),
        s.to_lowercase(),
    );
    if !chart.thresholds.is_empty() {
        let list: Vec<String> = chart
            .thresholds
            .iter()
            .map(|t| format!("{} từ {}", clean(&t.label), f.format(t.value)))
            .collect();
        let _ = write!(d, " Ngưỡng xếp loại: {}.", list.join("; "));
    }
    for (row, name) in chart.rows.iter().zip(names) {
        match &row.value {
            SplitValue::Parts { appraised, survey } => {
                let _ = write!(
                    d,
                    " {name}: {} ({} {}, {} {}).",
                    f.format(appraised + survey),
                    a.to_lowercase(),
                    f.format(*appraised),
                    s.to_lowercase(),
                    f.format(*survey)
                );
            }
            SplitValue::Missing { reason } => {
                let _ = write!(d, " {name}: {}.", missing_text(reason).to_lowercase());
            }
        }
    }
    d
}

#[cfg(test)]
mod tests;
