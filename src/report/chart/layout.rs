//! Palette, text metrics and the frame (margins) shared by the charts.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use plotters::coord::types::RangedCoordf64;

use super::svg::clean;
use super::{Axis, ChartError, ROW_HEIGHT};

/// Fonts with Vietnamese coverage first; the browser picks the first it has.
const FONT: &str = "Noto Sans, Segoe UI, Roboto, Helvetica, Arial, sans-serif";
pub(super) const TEXT_PX: f64 = 13.0;
pub(super) const SMALL_PX: f64 = 12.0;

// Contrast on white (WCAG 2.1): text colours ≥ 4.5:1, marks ≥ 3:1; the two
// bar colours are kept apart by a white gap rather than by their own
// contrast, and differ in hue for colour-blind readers (blue/orange).
pub(super) const INK: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
pub(super) const MUTED: RGBColor = RGBColor(0x59, 0x59, 0x59);
pub(super) const GRID: RGBColor = RGBColor(0xD9, 0xD9, 0xD9);
pub(super) const PRIMARY: RGBColor = RGBColor(0x1F, 0x4E, 0x79);
pub(super) const ACCENT: RGBColor = RGBColor(0xB3, 0x59, 0x00);
pub(super) const REFERENCE: RGBColor = RGBColor(0x40, 0x40, 0x40);

pub(super) type Root<'a> = DrawingArea<SVGBackend<'a>, Shift>;
pub(super) type Plot<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The plot on `root` inside `frame`'s margins: x from 0 to the axis
/// maximum, y from 0 to the row count (row i's centre at `row_y(n, i)`).
pub(super) fn plot<'a, 'b>(
    root: &'a Root<'b>,
    frame: &Frame,
    axis: &Axis,
    rows: usize,
) -> Result<Plot<'a, 'b>, ChartError> {
    let mut ctx = ChartBuilder::on(root)
        .margin_top(frame.top)
        .margin_left(frame.left)
        .margin_right(frame.right)
        .x_label_area_size(frame.bottom)
        .build_cartesian_2d(0f64..axis.max, 0f64..rows as f64)?;
    let tick = |v: &f64| axis.format.tick(*v);
    ctx.configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(frame.ticks())
        .x_label_formatter(&tick)
        .x_desc(clean(&axis.label))
        .label_style(text_style(SMALL_PX, INK))
        .axis_desc_style(text_style(SMALL_PX, INK))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED)
        .draw()?;
    // The zero line the marks and bars start from.
    ctx.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (0.0, rows as f64)],
        MUTED.stroke_width(1),
    )))?;
    Ok(ctx)
}

/// Row i (0 = top) sits at y = n − i − ½.
pub(super) fn row_y(rows: usize, i: usize) -> f64 {
    rows as f64 - i as f64 - 0.5
}

/// Unit names right-aligned before the plot, with a tooltip for the
/// shortened ones. Drawn last: [`super::svg::finish`] finds them by that.
pub(super) fn draw_names(
    root: &Root,
    ctx: &Plot,
    frame: &Frame,
    names: &[String],
) -> Result<Vec<Option<String>>, ChartError> {
    let mut tooltips = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let (_, y) = ctx.backend_coord(&(0.0, row_y(names.len(), i)));
        let short = truncate(name, frame.label_px(), TEXT_PX);
        root.draw(&Text::new(
            short.clone().unwrap_or_else(|| name.clone()),
            (frame.left as i32 - LABEL_GAP as i32, y),
            anchored(text_style(TEXT_PX, INK), HPos::Right),
        ))?;
        tooltips.push(short.map(|_| name.clone()));
    }
    Ok(tooltips)
}

/// plotters' SVG backend writes `font-size = size / 1.24`, so ask for
/// 1.24 × the pixel size wanted.
pub(super) fn text_style(px: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT, px * 1.24).into_font().color(&color)
}

pub(super) fn italic_style(px: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT, px * 1.24, FontStyle::Italic)
        .into_font()
        .color(&color)
}

pub(super) fn anchored(style: TextStyle<'static>, h: HPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, VPos::Center))
}

/// Combining marks (a decomposed "ạ" is "a" + U+0323) take no width and
/// must never be split from their letter.
fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}')
}

/// Advance of a character in em, from the widths of common sans-serif
/// fonts (Arial, Segoe UI, Noto Sans; DejaVu runs a little wider), rounded
/// up: the browser draws the text, so this only sizes columns and decides
/// where a long name is cut. Vietnamese marks stack above or below their
/// letter and add no width; precomposed letters ("ộ") count as their base.
fn advance_em(c: char) -> f64 {
    if is_combining(c) {
        return 0.0;
    }
    match c {
        ' ' | 'i' | 'l' | 'j' | 'I' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.3,
        'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' | 'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' => 0.38,
        'm' | 'w' | 'M' | 'W' | '%' | '…' => 0.9,
        '–' | '—' => 0.6,
        '0'..='9' => 0.58,
        c if c.is_uppercase() => 0.72,
        c if c.is_lowercase() => 0.58,
        _ => 0.65,
    }
}

pub(super) fn text_width(text: &str, px: f64) -> f64 {
    text.chars().map(advance_em).sum::<f64>() * px
}

/// `Some(shortened…)` when `text` is wider than `max_px`, cut on a whole
/// letter (with its marks) and ending in an ellipsis.
pub(super) fn truncate(text: &str, max_px: f64, px: f64) -> Option<String> {
    if text_width(text, px) <= max_px {
        return None;
    }
    let budget = max_px - text_width("…", px);
    let mut out = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        used += advance_em(c) * px;
        if used > budget {
            break;
        }
        out.push(c);
    }
    // A mark right after the cut belongs to the last letter kept.
    let marks: String = text[out.len()..]
        .chars()
        .take_while(|c| is_combining(*c))
        .collect();
    out.push_str(&marks);
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
    Some(out)
}

/// Pixel margins around the plotting area and the chart's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Frame {
    pub width: u32,
    pub height: u32,
    /// Legend block (and threshold labels) above the plot.
    pub top: u32,
    /// Unit names.
    pub left: u32,
    /// Figures printed after the marks or bars.
    pub right: u32,
    pub bottom: u32,
    pub legend_lines: u32,
}

pub(super) const LEGEND_LINE: u32 = 20;
const LEGEND_PAD: u32 = 8;
pub(super) const BOTTOM: u32 = 44;
/// Gap between a unit's name and the plot.
pub(super) const LABEL_GAP: f64 = 8.0;

impl Frame {
    /// `labels` are the unit names, `right_px` the widest figure text,
    /// `extra_top` room for threshold labels over the plot.
    pub fn new(
        width: u32,
        rows: usize,
        labels: &[&str],
        right_px: f64,
        legend: &Legend,
        extra_top: u32,
    ) -> Frame {
        let w = f64::from(width);
        let widest = labels
            .iter()
            .map(|l| text_width(l, TEXT_PX))
            .fold(0.0, f64::max);
        let left = (widest + LABEL_GAP + 6.0).clamp(60.0, (w * 0.38).floor()) as u32;
        let right = (right_px + 12.0).clamp(40.0, (w * 0.3).floor()) as u32;
        let legend_lines = legend.lines(w - 2.0 * f64::from(LEGEND_PAD)).len() as u32;
        let top = LEGEND_PAD + legend_lines * LEGEND_LINE + extra_top + 6;
        let rows = u32::try_from(rows).unwrap_or(u32::MAX);
        let height = top
            .saturating_add(rows.saturating_mul(ROW_HEIGHT))
            .saturating_add(BOTTOM);
        Frame {
            width,
            height,
            top,
            left,
            right,
            bottom: BOTTOM,
            legend_lines,
        }
    }

    /// The widest name that fits the label column.
    pub fn label_px(&self) -> f64 {
        f64::from(self.left) - LABEL_GAP - 4.0
    }

    pub fn ticks(&self) -> usize {
        let plot = self.width.saturating_sub(self.left + self.right);
        (plot / 50).clamp(3, 11) as usize
    }
}

/// What a legend entry shows before its text.
#[derive(Debug, Clone, Copy)]
pub(super) enum Key {
    Dot(RGBColor),
    Ring(RGBColor),
    Whisker(RGBColor),
    Swatch(RGBColor),
    Dashed(RGBColor),
}

const KEY_PX: f64 = 18.0;
const KEY_GAP: f64 = 6.0;
const ITEM_GAP: f64 = 20.0;

#[derive(Debug, Default)]
pub(super) struct Legend {
    items: Vec<(Key, String)>,
}

impl Legend {
    pub fn push(&mut self, key: Key, text: impl Into<String>) {
        self.items.push((key, text.into()));
    }

    fn item_px(&self, i: usize) -> f64 {
        KEY_PX + KEY_GAP + text_width(&self.items[i].1, SMALL_PX)
    }

    /// Items flow left to right and wrap, so a narrow chart gets a taller
    /// legend instead of overlapping text.
    fn lines(&self, avail: f64) -> Vec<Vec<(usize, f64)>> {
        let mut lines: Vec<Vec<(usize, f64)>> = vec![];
        let mut x = 0.0;
        for i in 0..self.items.len() {
            let w = self.item_px(i);
            match lines.last_mut() {
                Some(line) if x + w <= avail => line.push((i, x)),
                _ => {
                    x = 0.0;
                    lines.push(vec![(i, 0.0)]);
                }
            }
            x += w + ITEM_GAP;
        }
        lines
    }

    pub fn draw(&self, root: &Root, width: u32) -> Result<(), super::ChartError> {
        let pad = f64::from(LEGEND_PAD);
        for (n, line) in self.lines(f64::from(width) - 2.0 * pad).iter().enumerate() {
            let y = (pad + (n as f64 + 0.5) * f64::from(LEGEND_LINE)) as i32;
            for &(i, x) in line {
                let (key, text) = &self.items[i];
                let x0 = (pad + x) as i32;
                let k = KEY_PX as i32;
                match *key {
                    Key::Dot(c) => root.draw(&Circle::new((x0 + k / 2, y), 5, c.filled()))?,
                    Key::Ring(c) => {
                        root.draw(&Circle::new((x0 + k / 2, y), 5, WHITE.filled()))?;
                        root.draw(&Circle::new((x0 + k / 2, y), 5, c.stroke_width(2)))?;
                    }
                    Key::Whisker(c) => {
                        let s = c.stroke_width(2);
                        root.draw(&PathElement::new(vec![(x0, y), (x0 + k, y)], s))?;
                        root.draw(&PathElement::new(vec![(x0, y - 5), (x0, y + 5)], s))?;
                        root.draw(&PathElement::new(vec![(x0 + k, y - 5), (x0 + k, y + 5)], s))?;
                    }
                    Key::Swatch(c) => {
                        root.draw(&Rectangle::new([(x0, y - 6), (x0 + k, y + 6)], c.filled()))?
                    }
                    Key::Dashed(c) => root.draw(&DashedPathElement::new(
                        vec![(x0 + k / 2, y - 8), (x0 + k / 2, y + 8)],
                        4,
                        3,
                        c.stroke_width(1),
                    ))?,
                }
                root.draw(&Text::new(
                    text.clone(),
                    (x0 + (KEY_PX + KEY_GAP) as i32, y),
                    anchored(text_style(SMALL_PX, INK), HPos::Left),
                ))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_whole_letters_and_adds_an_ellipsis() {
        let name = "Ủy ban nhân dân huyện Thuận Châu";
        assert_eq!(truncate(name, 1000.0, TEXT_PX), None);
        let short = truncate(name, 100.0, TEXT_PX).unwrap();
        assert!(short.ends_with('…'));
        assert!(text_width(&short, TEXT_PX) <= 100.0);
        assert!(name.starts_with(short.trim_end_matches('…')));
        // Decomposed "Hợp": o + horn (U+031B) + dot below (U+0323).
        let nfd = "Ho\u{31b}\u{323}p ta\u{301}c xa\u{303} no\u{302}ng nghie\u{323}\u{302}p";
        let cut = truncate(nfd, text_width("Hơp …", TEXT_PX) + 0.01, TEXT_PX).unwrap();
        assert_eq!(cut, "Ho\u{31b}\u{323}p…", "marks stay with their letter");
        let cut = truncate(nfd, text_width("Hơ…", TEXT_PX) + 0.1, TEXT_PX).unwrap();
        assert_eq!(cut, "Ho\u{31b}\u{323}…", "a mark after the cut stays too");
    }

    #[test]
    fn legend_wraps_on_a_narrow_chart() {
        let mut l = Legend::default();
        l.push(Key::Dot(PRIMARY), "Ước lượng");
        l.push(Key::Whisker(PRIMARY), "Khoảng tin cậy 95%");
        l.push(
            Key::Ring(ACCENT),
            "Ít câu trả lời: thận trọng khi diễn giải",
        );
        assert_eq!(l.lines(1200.0).len(), 1);
        assert!(l.lines(340.0).len() >= 2);
    }

    fn contrast(a: RGBColor, b: RGBColor) -> f64 {
        fn lum(c: RGBColor) -> f64 {
            let ch = |v: u8| {
                let v = f64::from(v) / 255.0;
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(c.0) + 0.7152 * ch(c.1) + 0.0722 * ch(c.2)
        }
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn palette_meets_wcag_contrast_on_white() {
        for c in [INK, MUTED, PRIMARY, ACCENT, REFERENCE] {
            assert!(contrast(c, WHITE) >= 4.5, "{c:?}");
        }
    }
}
