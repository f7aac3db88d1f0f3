//! The printable questionnaire (issue 18): the same questions, scales and
//! conditions as the web form, written as instructions with boxes to tick,
//! and the person's short code and QR code on every page, so a form that
//! comes back by post is keyed into that person's response.
//!
//! Laid out in two passes: the questions become lines placed on pages
//! (wrapped from the font's advances), then each page is drawn with its
//! header and footer.

use krilla::page::PageSettings;

use super::pdf::{
    draw_qr, draw_text_at, text_width, wrap_text, Fonts, MARGIN, PAGE_H, PAGE_W, TEXT_W,
};

/// One person's questionnaire, every text already in the words to print.
#[derive(Debug, Clone)]
pub struct PaperForm {
    pub title: String,
    pub organization: String,
    pub intro: Option<String>,
    /// The unit the answers concern, if one.
    pub unit: Option<String>,
    pub short_code: String,
    pub link: String,
    pub closes_on: String,
    pub sections: Vec<PaperSection>,
}

#[derive(Debug, Clone)]
pub struct PaperSection {
    pub title: String,
    pub description: Option<String>,
    pub questions: Vec<PaperQuestion>,
}

#[derive(Debug, Clone)]
pub struct PaperQuestion {
    /// Printed before the text, e.g. "Câu 3".
    pub number: String,
    pub text: String,
    pub help: Option<String>,
    /// When to answer it, in words ("Chỉ trả lời nếu Câu 2 chọn: …").
    pub condition: Option<String>,
    /// How to answer ("Chọn một ô", "Có thể chọn nhiều ô", …).
    pub how: String,
    pub answer: PaperAnswer,
}

#[derive(Debug, Clone)]
pub enum PaperAnswer {
    /// A box before each choice.
    Boxes(Vec<String>),
    /// A line to write a number on, with its range in words.
    Number(String),
    /// Lines to write on.
    Lines(usize),
}

const BODY: f32 = 10.5;
const HEADER_H: f32 = 70.0;
const FOOTER_H: f32 = 30.0;
const BOX: &str = "☐";

/// One placed line.
enum Item {
    Text {
        x: f32,
        y: f32,
        text: String,
        size: f32,
        bold: bool,
    },
    Rule {
        x: f32,
        y: f32,
        width: f32,
    },
}

/// Lines placed top down, a new page when the next block does not fit.
struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Item>>,
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Self {
            fonts,
            pages: vec![Vec::new()],
            y: MARGIN + HEADER_H,
        }
    }

    fn bottom() -> f32 {
        PAGE_H - MARGIN - FOOTER_H
    }

    /// Starts a new page unless `height` more points fit on this one.
    fn keep(&mut self, height: f32) {
        if self.y + height > Self::bottom() {
            self.pages.push(Vec::new());
            self.y = MARGIN + HEADER_H;
        }
    }

    fn text(&mut self, x: f32, text: &str, size: f32, bold: bool, width: f32) {
        for line in wrap_text(self.fonts, text, size, bold, width) {
            self.keep(size * 1.4);
            self.y += size * 1.4;
            let y = self.y;
            self.pages.last_mut().expect("a page").push(Item::Text {
                x,
                y,
                text: line,
                size,
                bold,
            });
        }
    }

    fn rule(&mut self, x: f32, width: f32) {
        self.keep(BODY * 2.0);
        self.y += BODY * 2.0;
        let y = self.y;
        self.pages
            .last_mut()
            .expect("a page")
            .push(Item::Rule { x, y, width });
    }

    /// The height a question's block takes, to keep a question whole on
    /// one page where it fits.
    fn question_height(&self, q: &PaperQuestion) -> f32 {
        let lines = |t: &str, size: f32| {
            wrap_text(self.fonts, t, size, true, TEXT_W - 20.0).len() as f32 * size * 1.4
        };
        let mut h = lines(&format!("{}. {}", q.number, q.text), BODY) + BODY;
        if let Some(c) = &q.condition {
            h += lines(c, BODY - 1.0);
        }
        h += match &q.answer {
            PaperAnswer::Boxes(options) => options.len() as f32 * BODY * 1.6,
            PaperAnswer::Number(_) => BODY * 2.4,
            PaperAnswer::Lines(n) => *n as f32 * BODY * 2.0,
        };
        h
    }
}

fn layout(fonts: &Fonts, f: &PaperForm) -> Vec<Vec<Item>> {
    let mut l = Layout::new(fonts);
    l.text(MARGIN, &f.title, 13.0, true, TEXT_W);
    if let Some(unit) = &f.unit {
        l.text(MARGIN, &format!("Đơn vị: {unit}"), BODY, true, TEXT_W);
    }
    if let Some(intro) = &f.intro {
        l.text(MARGIN, intro, BODY, false, TEXT_W);
    }
    l.text(
        MARGIN,
        &format!(
            "Cách trả lời: đánh dấu X vào ô {BOX} trước câu trả lời của Ông/Bà; viết vào dòng kẻ sẵn với câu hỏi cần viết. Gửi lại phiếu trước ngày {} theo phong bì kèm theo. Ông/Bà cũng có thể trả lời trên điện thoại bằng mã QR ở đầu trang.",
            f.closes_on
        ),
        BODY,
        false,
        TEXT_W,
    );
    for s in &f.sections {
        l.keep(BODY * 6.0);
        l.y += BODY;
        l.text(MARGIN, &s.title, 11.5, true, TEXT_W);
        if let Some(d) = &s.description {
            l.text(MARGIN, d, BODY - 0.5, false, TEXT_W);
        }
        for q in &s.questions {
            let h = l.question_height(q);
            l.keep(h.min(Layout::bottom() - MARGIN - HEADER_H));
            l.y += BODY * 0.6;
            l.text(
                MARGIN,
                &format!("{}. {}", q.number, q.text),
                BODY,
                true,
                TEXT_W,
            );
            if let Some(help) = &q.help {
                l.text(MARGIN + 12.0, help, BODY - 1.0, false, TEXT_W - 12.0);
            }
            if let Some(c) = &q.condition {
                l.text(MARGIN + 12.0, c, BODY - 1.0, false, TEXT_W - 12.0);
            }
            l.text(MARGIN + 12.0, &q.how, BODY - 1.0, false, TEXT_W - 12.0);
            match &q.answer {
                PaperAnswer::Boxes(options) => {
                    for o in options {
                        l.text(
                            MARGIN + 20.0,
                            &format!("{BOX} {o}"),
                            BODY,
                            false,
                            TEXT_W - 20.0,
                        );
                    }
                }
                PaperAnswer::Number(range) => {
                    l.rule(MARGIN + 20.0, 120.0);
                    l.text(MARGIN + 20.0, range, BODY - 1.0, false, TEXT_W - 20.0);
                }
                PaperAnswer::Lines(n) => {
                    for _ in 0..*n {
                        l.rule(MARGIN + 20.0, TEXT_W - 20.0);
                    }
                }
            }
        }
    }
    l.text(MARGIN, "Xin trân trọng cảm ơn Ông/Bà.", BODY, true, TEXT_W);
    l.pages
}

/// The forms of a batch, one after another, each starting on a new page.
pub fn paper_forms_pdf(forms: &[PaperForm]) -> Result<Vec<u8>, super::letter::LetterError> {
    use super::letter::LetterError;
    let (mut document, fonts) =
        super::pdf::start("Phiếu khảo sát (bản giấy)").map_err(LetterError::Pdf)?;
    for f in forms {
        let pages = layout(fonts, f);
        let count = pages.len();
        for (n, items) in pages.into_iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
                .ok_or_else(|| LetterError::Pdf("khổ giấy không hợp lệ".into()))?;
            let mut page = document.start_page_with(settings);
            let mut surface = page.surface();
            surface.set_fill(Some(super::pdf::black()));
            // Header: the organisation, the code to key the form by, its QR.
            let qr = 56.0;
            draw_qr(
                &mut surface,
                &f.link,
                PAGE_W - MARGIN - qr,
                MARGIN - 6.0,
                qr,
            )?;
            draw_text_at(
                &mut surface,
                fonts,
                MARGIN,
                MARGIN + 6.0,
                &f.organization,
                9.0,
                false,
            );
            let code = format!("Mã trả lời: {}", f.short_code);
            let code_x = PAGE_W - MARGIN - qr - 12.0 - text_width(fonts, &code, 12.0, true);
            draw_text_at(
                &mut surface,
                fonts,
                code_x,
                MARGIN + 24.0,
                &code,
                12.0,
                true,
            );
            for item in items {
                match item {
                    Item::Text {
                        x,
                        y,
                        text,
                        size,
                        bold,
                    } => draw_text_at(&mut surface, fonts, x, y, &text, size, bold),
                    Item::Rule { x, y, width } => {
                        let mut path = krilla::geom::PathBuilder::new();
                        if let Some(r) = krilla::geom::Rect::from_xywh(x, y, width, 0.6) {
                            path.push_rect(r);
                        }
                        if let Some(path) = path.finish() {
                            surface.draw_path(&path);
                        }
                    }
                }
            }
            let foot = format!("Trang {}/{} · Mã trả lời {}", n + 1, count, f.short_code);
            draw_text_at(
                &mut surface,
                fonts,
                MARGIN,
                PAGE_H - MARGIN,
                &foot,
                8.5,
                false,
            );
            surface.finish();
            page.finish();
        }
    }
    document
        .finish()
        .map_err(|e| LetterError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::pdf::FONTS;

    fn form(questions: usize) -> PaperForm {
        PaperForm {
            title: "Phiếu khảo sát sự hài lòng của người dân".into(),
            organization: "Sở Nội vụ".into(),
            intro: None,
            unit: Some("Phường Hồng Hà".into()),
            short_code: "7K3QD-W9M2F".into(),
            link: "https://khaosat.snv.gov.vn/s/abc".into(),
            closes_on: "31/12/2026".into(),
            sections: vec![PaperSection {
                title: "Tiếp cận dịch vụ".into(),
                description: None,
                questions: (1..=questions)
                    .map(|n| PaperQuestion {
                        number: format!("Câu {n}"),
                        text: "Sự chủ động, kịp thời trong chỉ đạo, hướng dẫn và phối hợp thực hiện nhiệm vụ cải cách hành chính".into(),
                        help: None,
                        condition: (n > 1).then(|| format!("Chỉ trả lời nếu ở Câu {} Ông/Bà chọn: Có.", n - 1)),
                        how: "Chọn một ô.".into(),
                        answer: PaperAnswer::Boxes(vec!["Kém".into(), "Trung bình".into(), "Khá".into(), "Tốt".into(), "Rất tốt".into()]),
                    })
                    .collect(),
            }],
        }
    }

    /// Bold question lines are wrapped with the bold font's advances (they
    /// ran past the margin when measured in the regular face), and a long
    /// form flows onto further pages inside the header and footer.
    #[test]
    fn every_line_stays_inside_the_margins_and_between_header_and_footer() {
        let fonts = FONTS.as_ref().unwrap();
        let pages = layout(fonts, &form(30));
        assert!(pages.len() > 2, "{} pages", pages.len());
        for items in &pages {
            for item in items {
                if let Item::Text {
                    x,
                    y,
                    text,
                    size,
                    bold,
                } = item
                {
                    let right = x + text_width(fonts, text, *size, *bold);
                    assert!(right <= PAGE_W - MARGIN + 0.5, "{text:?} ends at {right}");
                    assert!(
                        *y > MARGIN + HEADER_H && *y <= Layout::bottom(),
                        "{text:?} at {y}"
                    );
                }
            }
        }
        let pdf = paper_forms_pdf(&[form(3)]).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
