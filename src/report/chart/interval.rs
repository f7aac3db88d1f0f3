//! Estimates with confidence intervals, one row per unit: a dot at the
//! estimate, a whisker over the interval, the figures at the right.

use std::fmt::Write as _;

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::layout::{
    anchored, draw_names, italic_style, plot, row_y, text_style, text_width, Frame, Key, Legend,
    ACCENT, INK, MUTED, PRIMARY, SMALL_PX,
};
use super::svg::{clean, finish};
use super::{check_frame, Axis, ChartError};

pub const DEFAULT_FLAG_NOTE: &str = "Ít câu trả lời: thận trọng khi diễn giải";

#[derive(Debug, Clone, PartialEq)]
pub struct IntervalChart {
    /// The accessible title (`<title>`); the page shows its own heading.
    pub title: String,
    pub axis: Axis,
    /// Pixels; the height follows from the row count.
    pub width: u32,
    /// In the order given (the caller sorts).
    pub rows: Vec<IntervalRow>,
    /// Confidence level printed in the legend and description.
    pub level_percent: u8,
    /// Legend text for flagged rows.
    pub flag_note: String,
    /// What a row is, for the description ("đơn vị", "tiêu chí").
    pub row_noun: &'static str,
}

impl IntervalChart {
    /// The rows are criteria of one unit, not units.
    pub fn of_criteria(mut self) -> Self {
        self.row_noun = "tiêu chí";
        self
    }

    pub fn new(title: impl Into<String>, axis: Axis, width: u32, rows: Vec<IntervalRow>) -> Self {
        IntervalChart {
            title: title.into(),
            axis,
            width,
            rows,
            level_percent: 95,
            flag_note: DEFAULT_FLAG_NOTE.to_owned(),
            row_noun: "đơn vị",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    pub label: String,
    pub value: IntervalValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IntervalValue {
    /// `flagged`: too few answers to trust; drawn as a hollow orange ring
    /// on an orange whisker, with a `*` after the figures, explained in
    /// the legend (shape and mark, not colour alone).
    Estimate {
        estimate: f64,
        low: f64,
        high: f64,
        flagged: bool,
    },
    /// Not published (e.g. below the minimum number of answers): the row
    /// keeps its place with a note, and nothing is drawn that could read
    /// as a value of zero.
    Withheld { reason: String },
}

impl IntervalRow {
    pub fn estimate(label: impl Into<String>, estimate: f64, low: f64, high: f64) -> Self {
        IntervalRow {
            label: label.into(),
            value: IntervalValue::Estimate {
                estimate,
                low,
                high,
                flagged: false,
            },
        }
    }

    pub fn flagged(label: impl Into<String>, estimate: f64, low: f64, high: f64) -> Self {
        IntervalRow {
            label: label.into(),
            value: IntervalValue::Estimate {
                estimate,
                low,
                high,
                flagged: true,
            },
        }
    }

    pub fn withheld(label: impl Into<String>, reason: impl Into<String>) -> Self {
        IntervalRow {
            label: label.into(),
            value: IntervalValue::Withheld {
                reason: reason.into(),
            },
        }
    }
}

const WITHHELD: &str = "Không công bố";
const MARK_RADIUS: i32 = 5;
const CAP: i32 = 5;

/// Renders the chart as an SVG document.
pub fn interval_chart(chart: &IntervalChart) -> Result<String, ChartError> {
    let axis = &chart.axis;
    let rows = &chart.rows;
    check_frame(chart.width, rows.len(), axis)?;
    let names: Vec<String> = rows.iter().map(|r| clean(&r.label)).collect();
    for (row, name) in rows.iter().zip(&names) {
        check_row(row, name, axis)?;
    }
    // The interval's ends are printed when they fit; a narrow chart shows
    // the estimate only (the whisker and the description still give them).
    let widest = |fs: &[Option<String>]| {
        fs.iter()
            .flatten()
            .map(|f| text_width(f, SMALL_PX))
            .fold(0.0, f64::max)
    };
    let mut figures: Vec<Option<String>> = rows
        .iter()
        .map(|r| figure_text(&r.value, axis, true))
        .collect();
    if widest(&figures) + 12.0 > f64::from(chart.width) * 0.3 {
        figures = rows
            .iter()
            .map(|r| figure_text(&r.value, axis, false))
            .collect();
    }

    let mut legend = Legend::default();
    legend.push(Key::Dot(PRIMARY), "Ước lượng");
    legend.push(
        Key::Whisker(PRIMARY),
        format!("Khoảng tin cậy {}%", chart.level_percent),
    );
    if rows.iter().any(is_flagged) {
        legend.push(Key::Ring(ACCENT), format!("* {}", clean(&chart.flag_note)));
    }
    let right_px = widest(&figures);
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let frame = Frame::new(chart.width, rows.len(), &name_refs, right_px, &legend, 0);

    let mut svg = String::new();
    let tooltips = {
        let root =
            SVGBackend::with_string(&mut svg, (frame.width, frame.height)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut ctx = plot(&root, &frame, axis, rows.len())?;
        let figures_x = (frame.width - frame.right) as i32 + 8;
        for (i, row) in rows.iter().enumerate() {
            let y = row_y(rows.len(), i);
            let (_, py) = ctx.backend_coord(&(0.0, y));
            match &row.value {
                IntervalValue::Estimate {
                    estimate,
                    low,
                    high,
                    flagged,
                } => {
                    let colour = if *flagged { ACCENT } else { PRIMARY };
                    let line = colour.stroke_width(2);
                    let (lo, hi) = (low.clamp(0.0, axis.max), high.clamp(0.0, axis.max));
                    ctx.draw_series(std::iter::once(PathElement::new(
                        vec![(lo, y), (hi, y)],
                        line,
                    )))?;
                    // A cap marks a real end; an interval cut by the axis
                    // ends without one (its figures say where it ends).
                    for (end, real) in [(lo, *low >= 0.0), (hi, *high <= axis.max)] {
                        if real {
                            ctx.draw_series(std::iter::once(
                                EmptyElement::at((end, y))
                                    + PathElement::new(vec![(0, -CAP), (0, CAP)], line),
                            ))?;
                        }
                    }
                    if *flagged {
                        // White under the ring so the whisker does not run
                        // through it.
                        ctx.draw_series([
                            Circle::new((*estimate, y), MARK_RADIUS, WHITE.filled()),
                            Circle::new((*estimate, y), MARK_RADIUS, ACCENT.stroke_width(2)),
                        ])?;
                    } else {
                        ctx.draw_series(std::iter::once(Circle::new(
                            (*estimate, y),
                            MARK_RADIUS,
                            PRIMARY.filled(),
                        )))?;
                    }
                    if let Some(f) = &figures[i] {
                        root.draw(&Text::new(
                            f.clone(),
                            (figures_x, py),
                            anchored(text_style(SMALL_PX, INK), HPos::Left),
                        ))?;
                    }
                }
                IntervalValue::Withheld { reason } => {
                    root.draw(&Text::new(
                        withheld_text(reason),
                        (frame.left as i32 + 8, py),
                        anchored(italic_style(SMALL_PX, MUTED), HPos::Left),
                    ))?;
                }
            }
        }
        legend.draw(&root, frame.width)?;
        let tooltips = draw_names(&root, &ctx, &frame, &names)?;
        root.present()?;
        tooltips
    };
    let title = clean(&chart.title);
    Ok(finish(svg, &title, &describe(chart, &names), &tooltips))
}

fn is_flagged(row: &IntervalRow) -> bool {
    matches!(row.value, IntervalValue::Estimate { flagged: true, .. })
}

fn withheld_text(reason: &str) -> String {
    let reason = clean(reason);
    let reason = reason.trim();
    if reason.is_empty() {
        WITHHELD.to_owned()
    } else {
        format!("{WITHHELD}: {reason}")
    }
}

fn figure_text(value: &IntervalValue, axis: &Axis, with_interval: bool) -> Option<String> {
    match value {
        IntervalValue::Estimate {
            estimate,
            low,
            high,
            flagged,
        } => {
            let f = axis.format;
            let star = if *flagged { " *" } else { "" };
            Some(if with_interval {
                format!(
                    "{} ({}–{}){star}",
                    f.format(*estimate),
                    f.format(*low),
                    f.format(*high)
                )
            } else {
                format!("{}{star}", f.format(*estimate))
            })
        }
        IntervalValue::Withheld { .. } => None,
    }
}

fn check_row(row: &IntervalRow, name: &str, axis: &Axis) -> Result<(), ChartError> {
    let bad = |reason: &str| ChartError::Value {
        label: name.to_owned(),
        reason: reason.to_owned(),
    };
    if name.trim().is_empty() {
        return Err(bad("tên đơn vị trống"));
    }
    if let IntervalValue::Estimate {
        estimate,
        low,
        high,
        ..
    } = row.value
    {
        if !(estimate.is_finite() && low.is_finite() && high.is_finite()) {
            return Err(bad("ước lượng hoặc khoảng tin cậy không phải là số"));
        }
        // Rounding in the caller may move an end by an ulp or so.
        let eps = axis.max * 1e-9;
        if low > estimate + eps || estimate > high + eps {
            return Err(bad("ước lượng phải nằm trong khoảng tin cậy"));
        }
        if estimate < -eps || estimate > axis.max + eps {
            return Err(bad("ước lượng nằm ngoài trục"));
        }
    }
    Ok(())
}

/// The `<desc>`: what the chart shows, then every row's figures in words.
fn describe(chart: &IntervalChart, names: &[String]) -> String {
    let f = chart.axis.format;
    let mut d = format!(
        "Biểu đồ ước lượng và khoảng tin cậy {}% của {} {}, thang từ {} đến {}; \
         chấm là ước lượng, đoạn ngang là khoảng tin cậy.",
        chart.level_percent,
        chart.rows.len(),
        chart.row_noun,
        f.tick(0.0),
        f.tick(chart.axis.max),
    );
    for (row, name) in chart.rows.iter().zip(names) {
        match &row.value {
            IntervalValue::Estimate {
                estimate,
                low,
                high,
                flagged,
            } => {
                let _ = write!(
                    d,
                    " {name}: {}, khoảng tin cậy từ {} đến {}",
                    f.format(*estimate),
                    f.format(*low),
                    f.format(*high)
                );
                if *flagged {
                    let _ = write!(d, " ({})", clean(&chart.flag_note).to_lowercase());
                }
                d.push('.');
            }
            IntervalValue::Withheld { reason } => {
                let _ = write!(d, " {name}: {}.", withheld_text(reason).to_lowercase());
            }
        }
    }
    d
}

#[cfg(test)]
mod tests;
