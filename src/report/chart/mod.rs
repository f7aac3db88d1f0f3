//! Server-side SVG charts drawn with plotters' SVG backend.
//!
//! Text: plotters is built without its `ttf`/`ab_glyph` features, so it
//! lays text out with a built-in width estimate and writes plain `<text>`
//! elements; the browser renders them with its own fonts. Nothing looks up
//! a system font at run time, so a server or CI without fontconfig or any
//! font file draws the same charts. The layout here estimates widths the
//! same way (characters × an average advance) to size label columns and to
//! truncate long unit names, whose full text goes into a `<title>` tooltip.
//!
//! Every chart starts with `<title>` and `<desc>` in Vietnamese (`role="img"`
//! on the root), the description listing each row's figures, so a screen
//! reader gets the numbers, not just "a chart".

mod interval;
mod layout;
mod split;
mod svg;

use super::number;

#[cfg(test)]
mod test_support;

/// XML text escaping, shared with the QR codes' titles.
pub(crate) fn escape_text(text: &str) -> String {
    svg::escape(text)
}

pub use interval::{interval_chart, IntervalChart, IntervalRow, IntervalValue, DEFAULT_FLAG_NOTE};
pub use split::{split_chart, SplitChart, SplitRow, SplitValue, Threshold};

/// Pixel height of one unit's row; a chart's height is
/// `top (legend) + rows × ROW_HEIGHT + bottom (axis)`.
pub const ROW_HEIGHT: u32 = 28;
/// Narrower than this leaves no room for names, bars and figures together.
pub const MIN_WIDTH: u32 = 360;
pub const MAX_WIDTH: u32 = 4000;

/// How figures print: Vietnamese decimal comma (`25,35`), and for
/// `Percent` the value is a proportion (0.42 prints `42%`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    Number { decimals: u8 },
    Percent { decimals: u8 },
}

impl ValueFormat {
    /// A figure at the format's full decimals: `25,35`, `42,0%`.
    pub fn format(&self, v: f64) -> String {
        match *self {
            ValueFormat::Number { decimals } => number::decimal(v, decimals.into()),
            ValueFormat::Percent { decimals } => number::percent(v, decimals.into()),
        }
    }

    /// A tick label: as few decimals as the tick needs (`5`, not `5,00`).
    fn tick(&self, v: f64) -> String {
        let (v, suffix) = match self {
            ValueFormat::Number { .. } => (v, ""),
            ValueFormat::Percent { .. } => (v * 100.0, "%"),
        };
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        let s = if s == "-0" { "0" } else { s };
        format!("{}{suffix}", number::from_point(s))
    }
}

/// The value axis, always from 0 to `max`: 30 for the survey component's
/// points, 100 for the index, 1 for a proportion shown as percent.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub max: f64,
    pub format: ValueFormat,
    /// Printed under the axis, e.g. "Điểm (tối đa 30)".
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChartError {
    #[error("biểu đồ phải rộng từ {MIN_WIDTH} đến {MAX_WIDTH} điểm ảnh; yêu cầu {width}")]
    Width { width: u32 },
    #[error("không có đơn vị nào để vẽ biểu đồ")]
    NoRows,
    #[error("giá trị lớn nhất của trục phải là số dương; nhận {max}")]
    Axis { max: f64 },
    #[error("đơn vị \"{label}\": {reason}")]
    Value { label: String, reason: String },
    #[error("không vẽ được biểu đồ: {0}")]
    Draw(String),
}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for ChartError
{
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        ChartError::Draw(e.to_string())
    }
}

fn check_frame(width: u32, rows: usize, axis: &Axis) -> Result<(), ChartError> {
    if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) {
        return Err(ChartError::Width { width });
    }
    if rows == 0 {
        return Err(ChartError::NoRows);
    }
    if !(axis.max.is_finite() && axis.max > 0.0) {
        return Err(ChartError::Axis { max: axis.max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_use_a_decimal_comma_and_ticks_drop_zeros() {
        let n = ValueFormat::Number { decimals: 2 };
        let p = ValueFormat::Percent { decimals: 1 };
        assert_eq!(n.format(25.456), "25,46");
        assert_eq!(n.format(-2.0), "-2,00");
        assert_eq!(p.format(0.4216), "42,2%");
        assert_eq!(n.tick(5.0), "5");
        assert_eq!(n.tick(2.5), "2,5");
        assert_eq!(n.tick(-0.0), "0");
        assert_eq!(p.tick(0.2), "20%");
        assert_eq!(p.tick(0.125), "12,5%");
    }
}
