//! What the PDFs chiso prints share (letters, paper questionnaires): the
//! embedded DejaVu Sans, a pen that writes lines and wrapped paragraphs top
//! down on an A4 page, and QR codes drawn as vector squares.
//!
//! krilla draws glyphs but does not lay out, so lines are wrapped here from
//! the font's advances (`ttf-parser`); Vietnamese text in NFC maps to one
//! glyph per character in DejaVu Sans, so the advances add up.

use std::sync::{Arc, LazyLock};

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
pub const PAGE_W: f32 = 595.0;
pub const PAGE_H: f32 = 842.0;
pub const MARGIN: f32 = 56.0;
pub const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;

pub struct Fonts {
    regular: Font,
    bold: Font,
    regular_face: ttf_parser::Face<'static>,
    bold_face: ttf_parser::Face<'static>,
}

pub static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    Some(Fonts {
        regular: Font::new(Arc::new(REGULAR.to_vec()).into(), 0)?,
        bold: Font::new(Arc::new(BOLD.to_vec()).into(), 0)?,
        regular_face: ttf_parser::Face::parse(REGULAR, 0).ok()?,
        bold_face: ttf_parser::Face::parse(BOLD, 0).ok()?,
    })
});

/// A new document with its title and language set, and the fonts to
/// write it in.
pub fn start(title: &str) -> Result<(krilla::Document, &'static Fonts), String> {
    let fonts = FONTS
        .as_ref()
        .ok_or_else(|| "phông chữ không đọc được".to_string())?;
    let mut document = krilla::Document::new();
    document.set_metadata(
        krilla::metadata::Metadata::new()
            .title(title.to_string())
            .language("vi".to_string())
            .creator("chiso".to_string()),
    );
    Ok((document, fonts))
}

/// The printed width of `text`, in points.
pub fn text_width(fonts: &Fonts, text: &str, size: f32, bold: bool) -> f32 {
    let face = if bold {
        &fonts.bold_face
    } else {
        &fonts.regular_face
    };
    let units: u32 = text
        .chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .map_or(0, u32::from)
        })
        .sum();
    units as f32 * size / f32::from(face.units_per_em())
}

/// `text` in lines no wider than `width`, broken between words (a word
/// wider than the line stands alone on its line).
pub fn wrap_text(fonts: &Fonts, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if text_width(fonts, &candidate, size, bold) <= width || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Draws one line of text with its baseline at (x, y).
pub fn draw_text_at(
    surface: &mut Surface<'_>,
    fonts: &Fonts,
    x: f32,
    y: f32,
    text: &str,
    size: f32,
    bold: bool,
) {
    let font = if bold {
        fonts.bold.clone()
    } else {
        fonts.regular.clone()
    };
    surface.draw_text(
        Point::from_xy(x, y),
        font,
        size,
        text,
        false,
        TextDirection::Auto,
    );
}

/// Where the next line goes, top down.
pub struct Pen<'a, 'b> {
    pub surface: &'a mut Surface<'b>,
    pub fonts: &'a Fonts,
    pub y: f32,
}

impl Pen<'_, '_> {
    pub fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        text_width(self.fonts, text, size, bold)
    }

    pub fn text_at(&mut self, x: f32, y: f32, text: &str, size: f32, bold: bool) {
        draw_text_at(self.surface, self.fonts, x, y, text, size, bold);
    }

    /// One line at the left margin (or centred), then down a line.
    pub fn line(&mut self, text: &str, size: f32, bold: bool, centred: bool) {
        self.y += size * 1.35;
        let x = if centred {
            MARGIN + (TEXT_W - self.width(text, size, bold)).max(0.0) / 2.0
        } else {
            MARGIN
        };
        self.text_at(x, self.y, text, size, bold);
    }

    /// A paragraph wrapped at word boundaries to `width` from `x`.
    pub fn paragraph(&mut self, text: &str, size: f32, x: f32, width: f32) {
        for line in self.wrap(text, size, width) {
            self.y += size * 1.4;
            self.text_at(x, self.y, &line, size, false);
        }
        self.y += size * 0.5;
    }

    pub fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        wrap_text(self.fonts, text, size, false, width)
    }
}

pub fn black() -> Fill {
    Fill {
        paint: rgb::Color::new(0, 0, 0).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// The QR code as dark squares, `side` points wide without its quiet zone.
pub fn draw_qr(
    surface: &mut Surface<'_>,
    link: &str,
    x: f32,
    y: f32,
    side: f32,
) -> Result<(), super::qr::QrError> {
    let (width, dark) = super::qr::qr_modules(link)?;
    let m = side / width as f32;
    let mut path = PathBuilder::new();
    for row in 0..width {
        for col in 0..width {
            if dark[row * width + col] {
                if let Some(r) = Rect::from_xywh(x + col as f32 * m, y + row as f32 * m, m, m) {
                    path.push_rect(r);
                }
            }
        }
    }
    if let Some(path) = path.finish() {
        surface.set_fill(Some(black()));
        surface.draw_path(&path);
    }
    Ok(())
}
