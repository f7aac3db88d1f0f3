//! Letters to drawn people, one A4 page each, as one PDF per print batch
//! (issue 18): the organisation, the addressee and postal address (placed
//! for a DL window envelope), the campaign, the unit the answers are about,
//! the QR code of the person's link, the short code to type at `/ma`, the
//! last day, and how the answers are protected.
//!
//! The text is set in DejaVu Sans, embedded (subset) in the file, so every
//! Vietnamese letter prints as typed on any printer (`super::pdf`).

use krilla::page::PageSettings;
use krilla::surface::Surface;

use super::pdf::{black, draw_qr, Fonts, Pen, MARGIN, PAGE_H, PAGE_W, TEXT_W};

/// One person's letter, every field already in the words to print.
#[derive(Debug, Clone)]
pub struct Letter {
    pub organization: String,
    /// "Kính gửi: …" — the addressee, or "Ông/Bà" without a name.
    pub addressee: String,
    /// The postal address, one entry per line.
    pub address: Vec<String>,
    pub campaign: String,
    /// The questionnaire's title.
    pub questionnaire: String,
    /// The unit the answers are about, if one.
    pub unit: Option<String>,
    /// The person's own link (in the QR code, and printed).
    pub link: String,
    /// Where the short code is typed (`…/ma`).
    pub code_page: String,
    /// Grouped as printed, `7K3QD-W9M2F`.
    pub short_code: String,
    /// The last day, dd/mm/yyyy.
    pub closes_on: String,
    pub anonymous: bool,
    /// The person's key in the frame, small at the foot, for whoever
    /// matches returned envelopes.
    pub reference: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error(transparent)]
    Qr(#[from] super::qr::QrError),
    #[error("không tạo được tệp PDF: {0}")]
    Pdf(String),
}

/// The letters of a batch, one page each, in the order given.
pub fn letters_pdf(letters: &[Letter]) -> Result<Vec<u8>, LetterError> {
    let (mut document, fonts) =
        super::pdf::start("Thư mời tham gia khảo sát").map_err(LetterError::Pdf)?;
    for letter in letters {
        let (w, h) = (PAGE_W, PAGE_H);
        let settings = PageSettings::from_wh(w, h)
            .ok_or_else(|| LetterError::Pdf("khổ giấy không hợp lệ".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        draw_letter(&mut surface, fonts, letter)?;
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| LetterError::Pdf(format!("{e:?}")))
}

fn draw_letter(surface: &mut Surface<'_>, fonts: &Fonts, l: &Letter) -> Result<(), LetterError> {
    surface.set_fill(Some(black()));
    let mut pen = Pen {
        surface,
        fonts,
        y: MARGIN - 10.0,
    };
    // The sender, top left; the national motto, as official letters carry.
    pen.line(&l.organization.to_uppercase(), 10.5, true, false);
    let motto_y = MARGIN - 10.0 + 10.5 * 1.35;
    let motto = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
    let motto_x = PAGE_W - MARGIN - pen.width(motto, 9.5, true);
    pen.text_at(motto_x, motto_y, motto, 9.5, true);
    let sub = "Độc lập - Tự do - Hạnh phúc";
    let sub_x = motto_x + (pen.width(motto, 9.5, true) - pen.width(sub, 10.0, true)) / 2.0;
    pen.text_at(sub_x, motto_y + 14.0, sub, 10.0, true);

    // The addressee where a DL window envelope shows it (left, 5–8 cm down).
    pen.y = 150.0;
    pen.line(&format!("Kính gửi: {}", l.addressee), 11.0, true, false);
    for line in &l.address {
        pen.line(line, 11.0, false, false);
    }

    pen.y = pen.y.max(250.0);
    pen.line("THƯ MỜI THAM GIA KHẢO SÁT", 14.0, true, true);
    pen.line(&l.campaign, 11.0, false, true);
    pen.y += 10.0;

    // The unit in brackets: for citizens the unit they dealt with, for
    // leaders and civil servants their own, whose questionnaire rates others.
    let unit = l
        .unit
        .as_ref()
        .map(|u| format!(" ({u})"))
        .unwrap_or_default();
    let about = format!(
        "{} mời Ông/Bà trả lời {}{unit}. Ông/Bà được chọn ngẫu nhiên trong danh sách khảo sát, nên ý kiến của Ông/Bà đại diện cho nhiều người khác; kết quả là một phần của Chỉ số cải cách hành chính của tỉnh.",
        l.organization, l.questionnaire
    );
    pen.paragraph(&about, 11.0, MARGIN, TEXT_W);

    // How to answer: the QR code on the right, the two ways on the left.
    let qr_side = 120.0;
    let top = pen.y + 6.0;
    draw_qr(
        pen.surface,
        &l.link,
        PAGE_W - MARGIN - qr_side,
        top + 4.0,
        qr_side,
    )?;
    let left_w = TEXT_W - qr_side - 20.0;
    pen.line("Cách trả lời (chọn một):", 11.0, true, false);
    pen.paragraph(
        "1. Quét mã QR bên phải bằng camera điện thoại hoặc Zalo, phiếu mở ngay.",
        11.0,
        MARGIN,
        left_w,
    );
    pen.paragraph(
        &format!("2. Hoặc mở trang {} và nhập mã trả lời:", l.code_page),
        11.0,
        MARGIN,
        left_w,
    );
    pen.y += 4.0;
    pen.line(&format!("   {}", l.short_code), 20.0, true, false);
    pen.y = pen.y.max(top + qr_side + 14.0);
    pen.paragraph(
        &format!(
            "Phiếu nhận trả lời đến hết ngày {}. Ông/Bà có thể trả lời dần và trả lời tiếp bằng chính mã này. Mã chỉ dành cho Ông/Bà, xin đừng chuyển cho người khác.",
            l.closes_on
        ),
        11.0,
        MARGIN,
        TEXT_W,
    );
    let protection = if l.anonymous {
        "Đây là khảo sát ẩn danh: câu trả lời được lưu tách khỏi tên và địa chỉ của Ông/Bà, và chỉ được dùng để tổng hợp, thống kê; không con số nào được công bố nếu tính từ quá ít người trả lời."
    } else {
        "Thông tin Ông/Bà cung cấp chỉ được dùng để tổng hợp, thống kê phục vụ xác định Chỉ số cải cách hành chính; kết quả công bố không nêu tên hay thông tin nhận dạng người trả lời."
    };
    pen.paragraph(protection, 11.0, MARGIN, TEXT_W);
    pen.y += 8.0;
    pen.line("Trân trọng cảm ơn Ông/Bà.", 11.0, false, false);
    pen.line(&l.organization, 11.0, true, false);

    // The link in full, and the frame reference, at the foot.
    pen.y = PAGE_H - MARGIN - 24.0;
    let foot = format!("Đường dẫn riêng: {}", l.link);
    pen.paragraph(&foot, 8.0, MARGIN, TEXT_W);
    pen.line(
        &format!("Mã tham chiếu: {}", l.reference),
        8.0,
        false,
        false,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::pdf::FONTS;
    use krilla::Document;

    fn letter() -> Letter {
        Letter {
            organization: "Sở Nội vụ thành phố Hải Phòng".into(),
            addressee: "Ông/Bà Nguyễn Thị Hồng Hạnh".into(),
            address: vec![
                "Số 5 ngõ 12 Lạch Tray".into(),
                "Phường Hồng Hà, Hải Phòng".into(),
            ],
            campaign: "Khảo sát Chỉ số CCHC năm 2026".into(),
            questionnaire: "Phiếu khảo sát sự hài lòng của người dân".into(),
            unit: Some("Phường Hồng Hà".into()),
            link: "https://khaosat.snv.gov.vn/s/abcdefghijklmnopqrstuv".into(),
            code_page: "khaosat.snv.gov.vn/ma".into(),
            short_code: "7K3QD-W9M2F".into(),
            closes_on: "31/12/2026".into(),
            anonymous: true,
            reference: "HS-001".into(),
        }
    }

    #[test]
    fn a_batch_is_one_pdf_page_per_letter() {
        let pdf = letters_pdf(&[letter(), letter()]).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Type/Pages/Count 2"), "two pages");
        if let Some(path) = std::env::var_os("CHISO_KEEP_LETTERS_PDF") {
            // To read by hand (pdftotext, a viewer).
            std::fs::write(path, &pdf).unwrap();
        }
        assert!(text.contains("/FontFile2"), "the font is embedded");
    }

    #[test]
    fn lines_wrap_inside_the_text_width() {
        let fonts = FONTS.as_ref().unwrap();
        let mut doc = Document::new();
        let mut page = doc.start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).unwrap());
        let mut surface = page.surface();
        let pen = Pen {
            surface: &mut surface,
            fonts,
            y: 0.0,
        };
        let long =
            "Đây là khảo sát ẩn danh: câu trả lời được lưu tách khỏi tên và địa chỉ của Ông/Bà "
                .repeat(4);
        let lines = pen.wrap(&long, 11.0, 200.0);
        assert!(lines.len() > 4);
        assert!(lines.iter().all(|l| pen.width(l, 11.0, false) <= 200.0));
        assert_eq!(
            lines.join(" "),
            long.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
}
