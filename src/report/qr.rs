//! QR codes of open links, drawn here so no link leaves for an outside
//! service: SVG for the pages and the A4 poster (sharp at any print size),
//! PNG for whoever pastes it into a Word document or a slide.
//!
//! Error correction level M (15 % of the code may be damaged or covered),
//! the usual choice for printed posters, with the standard four-module
//! quiet zone so phone cameras find the code on a busy wall.

use qrcode::{EcLevel, QrCode};

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("địa chỉ quá dài để làm mã QR: {0}")]
    Encode(String),
    #[error("không tạo được ảnh PNG: {0}")]
    Png(String),
}

fn code(url: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| QrError::Encode(e.to_string()))
}

/// An SVG that scales to its container (a `viewBox`, no fixed size), with a
/// title for screen readers.
pub fn qr_svg(url: &str, title: &str) -> Result<String, QrError> {
    let svg = code(url)?
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(1, 1)
        .build();
    // The renderer writes width/height in modules; the page decides the size.
    let open_end = svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j));
    let Some(end) = open_end else {
        return Err(QrError::Encode("SVG không hợp lệ".into()));
    };
    let head = &svg[..end];
    let size = attr(head, "width").unwrap_or("0").to_string();
    let mut out = String::with_capacity(svg.len() + 200);
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 {size} {size}\" \
         role=\"img\" shape-rendering=\"crispEdges\" class=\"qr\"><title>{}</title>",
        super::chart::escape_text(title)
    ));
    out.push_str(&svg[end + 1..]);
    Ok(out)
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// The code's modules, row by row (true: dark), and its width, for
/// drawing it as vector squares (the letters' PDF).
pub fn qr_modules(url: &str) -> Result<(usize, Vec<bool>), QrError> {
    let code = code(url)?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Ok((width, dark))
}

/// A black-on-white PNG, `scale` pixels per module (8 gives about 300 px
/// for a short link: 2.5 cm at 300 dpi, more when printed larger).
pub fn qr_png(url: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    let code = code(url)?;
    let width = code.width() as u32;
    let quiet = 4;
    let modules = width + 2 * quiet;
    let side = modules * scale;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; (side * side) as usize];
    for y in 0..width {
        for x in 0..width {
            if colors[(y * width + x) as usize] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = ((y + quiet) * scale + dy) * side;
                    let from = (row + (x + quiet) * scale) as usize;
                    pixels[from..from + scale as usize].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| QrError::Png(e.to_string()))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| QrError::Png(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_scales_and_the_png_is_a_square_image() {
        let url = "https://khaosat.snv.gov.vn/o/1/citizen?unit=P-BINHMINH";
        let svg = qr_svg(url, "Mã QR <phiếu>").unwrap();
        assert!(svg.starts_with("<svg xmlns"), "{svg}");
        assert!(svg.contains("viewBox=\"0 0 "), "{svg}");
        let open = &svg[..svg.find('>').unwrap()];
        assert!(!open.contains(" width="), "no fixed size: {open}");
        assert!(svg.contains("<title>Mã QR &lt;phiếu&gt;</title>"));
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let png = qr_png(url, 4).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert_eq!(info.width % 4, 0);
    }
}
