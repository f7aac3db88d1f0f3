//! The scoring sheet: a dossier's criteria as an XLSX workbook that an
//! officer fills in Excel (self-assessment) or an appraiser fills
//! (appraisal), then uploads. This file owns the layout, so the writer and
//! the reader cannot drift apart: the structure (codes, names, maxima) is
//! locked, only the input cells are open, Excel checks each points cell
//! against its maximum as it is typed, and a hidden sheet says whose sheet
//! it is, so an upload onto another unit's dossier is refused.

use std::path::Path;

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign,
    FormatBorder, ProtectionOptions, Workbook, Worksheet, XlsxError,
};

use super::sheet_in::{SheetError, SheetValue, Workbook as ReadBook};

/// Who fills the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    SelfAssessment,
    Appraisal,
}

impl SheetKind {
    /// The worksheet's name, which an upload must keep.
    pub fn sheet_name(self) -> &'static str {
        match self {
            SheetKind::SelfAssessment => "Tu_cham",
            SheetKind::Appraisal => "Tham_dinh",
        }
    }

    fn code(self) -> &'static str {
        match self {
            SheetKind::SelfAssessment => "tu_cham",
            SheetKind::Appraisal => "tham_dinh",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "tu_cham" => Some(SheetKind::SelfAssessment),
            "tham_dinh" => Some(SheetKind::Appraisal),
            _ => None,
        }
    }
}

/// The appraiser's decisions as the sheet lists them (label, code); the
/// codes are the appraisal grid's.
pub const DECISIONS: [(&str, &str); 3] = [
    ("Giữ điểm tự chấm", "accept"),
    ("Chấm lại", "change"),
    ("Không áp dụng", "not_applicable"),
];

/// The appraiser's judgements of the evidence (label, code).
pub const JUDGEMENTS: [(&str, &str); 3] = [
    ("Như đơn vị đã gửi", "as_given"),
    ("Bổ sung khi giải trình", "supplemented"),
    ("Không hợp lệ", "invalid"),
];

/// One criterion of the sheet.
#[derive(Debug, Clone)]
pub struct SheetRow {
    pub code: String,
    pub name: String,
    /// 0 for a top-level criterion; names are indented by depth.
    pub depth: usize,
    pub max: f64,
    /// The filler may write this row (a regular leaf the unit scores, or
    /// one the appraiser may appraise now).
    pub input: bool,
    /// Why a row is not an input (e.g. scored by the survey), shown in it.
    pub note: Option<String>,
    pub self_points: Option<f64>,
    pub explanation: String,
    pub reference: String,
}

/// A sheet to write: for a unit's dossier (prefilled with what is stored)
/// or a blank one for a unit type.
#[derive(Debug, Clone)]
pub struct ScoringSheet {
    pub kind: SheetKind,
    pub title: String,
    /// The unit or the unit type, under the title.
    pub subtitle: String,
    pub campaign_id: i64,
    pub unit_code: Option<String>,
    pub set_name: String,
    /// The profile's decimals for points (the cells' number format).
    pub decimals: u32,
    pub rows: Vec<SheetRow>,
}

/// Row of the column headers (0-based: Excel's row 5) and of the first
/// criterion.
const HEADER_ROW: u32 = 4;
const FIRST_ROW: u32 = 5;

/// The columns, in order. The reader finds them by position and checks the
/// header's first cell.
pub mod col {
    pub const CODE: u16 = 0;
    pub const NAME: u16 = 1;
    pub const MAX: u16 = 2;
    pub const SELF_POINTS: u16 = 3;
    pub const EXPLANATION: u16 = 4;
    pub const REFERENCE: u16 = 5;
    pub const DECISION: u16 = 6;
    pub const APPRAISED: u16 = 7;
    pub const EVIDENCE: u16 = 8;
    pub const REASON: u16 = 9;
}

const CODE_HEADER: &str = "Mã tiêu chí";
const MARKER_SHEET: &str = "chiso";

fn headers(kind: SheetKind) -> Vec<(&'static str, f64)> {
    let mut h = vec![
        (CODE_HEADER, 10.0),
        ("Tiêu chí, tiêu chí thành phần", 60.0),
        ("Điểm tối đa", 9.0),
        ("Điểm tự chấm", 10.0),
        ("Giải trình, thuyết minh", 40.0),
        (
            "Tài liệu kiểm chứng (số, ký hiệu văn bản hoặc đường dẫn)",
            36.0,
        ),
    ];
    if kind == SheetKind::Appraisal {
        h.extend([
            ("Quyết định thẩm định", 24.0),
            ("Điểm thẩm định (khi chọn Chấm lại)", 12.0),
            ("Tài liệu kiểm chứng được đánh giá", 24.0),
            ("Lý do (bắt buộc khi khác điểm tự chấm)", 36.0),
        ]);
    }
    h
}

fn number_format(decimals: u32) -> String {
    if decimals == 0 {
        "0".into()
    } else {
        format!("0.{}", "0".repeat(decimals as usize))
    }
}

impl ScoringSheet {
    /// The workbook's bytes.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        self.write_sheet(sheet)?;
        // Whose sheet this is, read back on upload; hidden, not secret.
        let marker = book.add_worksheet();
        marker.set_name(MARKER_SHEET)?;
        let pairs = [
            ("loai", self.kind.code().to_string()),
            ("dot", self.campaign_id.to_string()),
            ("don_vi", self.unit_code.clone().unwrap_or_default()),
            ("bo_tieu_chi", self.set_name.clone()),
        ];
        for (r, (k, v)) in pairs.iter().enumerate() {
            marker.write_string(r as u32, 0, *k)?;
            marker.write_string(r as u32, 1, v)?;
        }
        marker.set_hidden(true);
        marker.protect();
        book.save_to_buffer()
    }

    fn write_sheet(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        let kind = self.kind;
        sheet.set_name(kind.sheet_name())?;
        let border = |f: Format| {
            f.set_border(FormatBorder::Thin)
                .set_border_color(Color::RGB(0xA6A6A6))
        };
        let title = Format::new().set_bold().set_font_size(14);
        let header = border(
            Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xDDEBF7)),
        );
        let locked_text = border(Format::new().set_text_wrap().set_align(FormatAlign::Top));
        let group_text = locked_text.clone().set_bold();
        let number = number_format(self.decimals);
        let locked_num = border(
            Format::new()
                .set_num_format(&number)
                .set_align(FormatAlign::Top),
        );
        let group_num = locked_num.clone().set_bold();
        let input = |f: Format| f.set_unlocked().set_background_color(Color::RGB(0xFFF2CC));
        let input_num = input(locked_num.clone());
        let input_text = input(locked_text.clone());
        let note = border(
            Format::new()
                .set_italic()
                .set_font_color(Color::RGB(0x595959))
                .set_text_wrap(),
        );

        let cols = headers(kind);
        let last_col = (cols.len() - 1) as u16;
        sheet.merge_range(0, 0, 0, last_col, &self.title, &title)?;
        sheet.merge_range(1, 0, 1, last_col, &self.subtitle, &Format::new().set_bold())?;
        let how = match kind {
            SheetKind::SelfAssessment => "Nhập vào các ô nền vàng: điểm tự chấm (không vượt điểm tối đa), giải trình và tài liệu kiểm chứng. Không sửa mã, tên, điểm tối đa. Lưu dạng .xlsx rồi tải lên ở trang hồ sơ; nếu có ô sai, hệ thống báo địa chỉ ô và không lưu gì.",
            SheetKind::Appraisal => "Nhập vào các ô nền vàng: quyết định, điểm thẩm định (khi chọn Chấm lại), đánh giá tài liệu kiểm chứng và lý do. Dòng để trống quyết định không thay đổi. Lưu dạng .xlsx rồi tải lên ở trang hồ sơ; nếu có ô sai, hệ thống báo địa chỉ ô và không lưu gì.",
        };
        sheet.merge_range(2, 0, 2, last_col, how, &Format::new().set_text_wrap())?;
        sheet.set_row_height(2, 45)?;
        for (c, (name, width)) in cols.iter().enumerate() {
            sheet.write_string_with_format(HEADER_ROW, c as u16, *name, &header)?;
            sheet.set_column_width(c as u16, *width)?;
        }
        sheet.set_row_height(HEADER_ROW, 48)?;

        let decisions = DataValidation::new()
            .allow_list_strings(&DECISIONS.map(|(l, _)| l))?
            .set_error_title("Không có trong danh sách")?
            .set_error_message("Chọn một quyết định trong danh sách.")?;
        let judgements = DataValidation::new()
            .allow_list_strings(&JUDGEMENTS.map(|(l, _)| l))?
            .set_error_title("Không có trong danh sách")?
            .set_error_message("Chọn một nhận định trong danh sách.")?;
        for (i, row) in self.rows.iter().enumerate() {
            let r = FIRST_ROW + i as u32;
            let leaf_input = row.input;
            let (text_f, num_f) = if row.depth == 0 && !leaf_input && row.note.is_none() {
                (&group_text, &group_num)
            } else {
                (&locked_text, &locked_num)
            };
            sheet.write_string_with_format(r, col::CODE, &row.code, text_f)?;
            let indent = "    ".repeat(row.depth);
            sheet.write_string_with_format(
                r,
                col::NAME,
                format!("{indent}{}", row.name),
                text_f,
            )?;
            sheet.write_number_with_format(r, col::MAX, row.max, num_f)?;
            let self_input = kind == SheetKind::SelfAssessment && leaf_input;
            let (sp_f, tx_f) = if self_input {
                (&input_num, &input_text)
            } else {
                (&locked_num, &locked_text)
            };
            match row.self_points {
                Some(p) => sheet.write_number_with_format(r, col::SELF_POINTS, p, sp_f)?,
                None => sheet.write_blank(r, col::SELF_POINTS, sp_f)?,
            };
            if let Some(n) = &row.note {
                sheet.write_string_with_format(r, col::EXPLANATION, n, &note)?;
            } else {
                sheet.write_string_with_format(r, col::EXPLANATION, &row.explanation, tx_f)?;
            }
            sheet.write_string_with_format(r, col::REFERENCE, &row.reference, tx_f)?;
            if self_input {
                let max_rule = max_rule(row)?;
                sheet.add_data_validation(r, col::SELF_POINTS, r, col::SELF_POINTS, &max_rule)?;
            }
            if kind == SheetKind::Appraisal {
                let (t, n) = if leaf_input {
                    (&input_text, &input_num)
                } else {
                    (&locked_text, &locked_num)
                };
                sheet.write_blank(r, col::DECISION, t)?;
                sheet.write_blank(r, col::APPRAISED, n)?;
                sheet.write_blank(r, col::EVIDENCE, t)?;
                sheet.write_blank(r, col::REASON, t)?;
                if leaf_input {
                    sheet.add_data_validation(r, col::DECISION, r, col::DECISION, &decisions)?;
                    sheet.add_data_validation(r, col::EVIDENCE, r, col::EVIDENCE, &judgements)?;
                    let max_rule = max_rule(row)?;
                    sheet.add_data_validation(r, col::APPRAISED, r, col::APPRAISED, &max_rule)?;
                }
            }
        }
        sheet.set_freeze_panes(FIRST_ROW, col::MAX)?;
        sheet.set_landscape();
        sheet.set_paper_size(9); // A4
        sheet.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
        sheet.set_print_fit_to_pages(1, 0);
        // Locked structure: only the yellow cells take input; widening a
        // column or a row stays allowed. No password: the lock guards
        // against slips, and the upload checks every cell anyway.
        sheet.protect_with_options(&ProtectionOptions {
            format_columns: true,
            format_rows: true,
            ..ProtectionOptions::default()
        });
        Ok(())
    }
}

/// Excel's own check of a points cell: a decimal from 0 to the maximum.
fn max_rule(row: &SheetRow) -> Result<DataValidation, XlsxError> {
    Ok(DataValidation::new()
        .allow_decimal_number(DataValidationRule::Between(0.0, row.max))
        .set_error_title("Vượt điểm tối đa")?
        .set_error_message(format!(
            "Điểm của tiêu chí {} phải từ 0 đến {}.",
            row.code,
            vn_number(row.max)
        ))?
        .set_error_style(DataValidationErrorStyle::Stop))
}

/// 2.5 as 2,5 (the messages Excel shows are read in Vietnamese).
fn vn_number(x: f64) -> String {
    super::sheet_in::SheetValue::Number(x)
        .text()
        .replace('.', ",")
}

/// A criterion row as uploaded: the values of its input cells.
#[derive(Debug, Clone)]
pub struct FilledRow {
    /// 0-based row in the sheet.
    pub row: u32,
    pub code: String,
    pub self_points: SheetValue,
    pub explanation: String,
    pub reference: String,
    /// The decision's code (`accept`, …), or the text when it is not one
    /// of [`DECISIONS`] (the caller reports it), or empty.
    pub decision: Result<Option<&'static str>, String>,
    pub appraised: SheetValue,
    pub evidence: Result<Option<&'static str>, String>,
    pub reason: String,
}

/// An uploaded scoring sheet.
#[derive(Debug, Clone)]
pub struct FilledSheet {
    pub kind: SheetKind,
    pub sheet: String,
    pub campaign_id: Option<i64>,
    pub unit_code: Option<String>,
    pub set_name: Option<String>,
    pub rows: Vec<FilledRow>,
}

impl FilledSheet {
    /// `Tu_cham!D14` for a row's column.
    pub fn address(&self, row: u32, col: u16) -> String {
        super::sheet_in::address(&self.sheet, row, u32::from(col))
    }

    /// Reads the sheet of `kind`; a workbook that is not a scoring sheet
    /// (no such sheet, or its header moved) is refused with what to do.
    pub fn read(path: &Path, kind: SheetKind) -> Result<Self, SheetError> {
        let book = ReadBook::open(path)?;
        Self::from_book(&book, kind)
    }

    fn from_book(book: &ReadBook, kind: SheetKind) -> Result<Self, SheetError> {
        let other = match kind {
            SheetKind::SelfAssessment => SheetKind::Appraisal,
            SheetKind::Appraisal => SheetKind::SelfAssessment,
        };
        if !book.has_sheet(kind.sheet_name()) && book.has_sheet(other.sheet_name()) {
            return Err(SheetError::Open(match kind {
                SheetKind::SelfAssessment => "đây là bảng thẩm định; đơn vị tải lên bảng tự chấm (trang tính Tu_cham)".into(),
                SheetKind::Appraisal => "đây là bảng tự chấm; người thẩm định tải lên bảng thẩm định (trang tính Tham_dinh)".into(),
            }));
        }
        let sheet = book.sheet(kind.sheet_name())?;
        let head = sheet.get(HEADER_ROW, u32::from(col::CODE)).text();
        if head != CODE_HEADER {
            return Err(SheetError::Open(format!(
                "ô {} phải là \"{CODE_HEADER}\" (bảng chấm điểm tải từ trang hồ sơ; không chèn hay xoá dòng, cột phía trên)",
                sheet.address(HEADER_ROW, u32::from(col::CODE))
            )));
        }
        let mut marker = std::collections::HashMap::new();
        if let Ok(m) = book.sheet(MARKER_SHEET) {
            for r in 0..4 {
                marker.insert(m.get(r, 0).text(), m.get(r, 1).text());
            }
        }
        if let Some(k) = marker.get("loai").and_then(|c| SheetKind::from_code(c)) {
            if k != kind {
                return Err(SheetError::Open(
                    "bảng này không đúng loại (tự chấm/thẩm định)".into(),
                ));
            }
        }
        let text = |v: SheetValue| v.text();
        let pick = |v: SheetValue,
                    list: &[(&str, &'static str); 3]|
         -> Result<Option<&'static str>, String> {
            let t = v.text();
            if t.is_empty() {
                return Ok(None);
            }
            list.iter()
                .find(|(label, code)| {
                    t.eq_ignore_ascii_case(code) || t.to_lowercase() == label.to_lowercase()
                })
                .map(|(_, code)| Some(*code))
                .ok_or(t)
        };
        let mut rows = Vec::new();
        for r in FIRST_ROW..=sheet.last_row().unwrap_or(0) {
            let g = |c: u16| sheet.get(r, u32::from(c));
            let code = g(col::CODE).text();
            if code.is_empty() {
                continue;
            }
            rows.push(FilledRow {
                row: r,
                code,
                self_points: g(col::SELF_POINTS),
                explanation: text(g(col::EXPLANATION)),
                reference: text(g(col::REFERENCE)),
                decision: pick(g(col::DECISION), &DECISIONS),
                appraised: g(col::APPRAISED),
                evidence: pick(g(col::EVIDENCE), &JUDGEMENTS),
                reason: text(g(col::REASON)),
            });
        }
        let nonempty = |k: &str| marker.get(k).filter(|v| !v.is_empty()).cloned();
        Ok(FilledSheet {
            kind,
            sheet: sheet.name.clone(),
            campaign_id: nonempty("dot").and_then(|v| v.parse().ok()),
            unit_code: nonempty("don_vi"),
            set_name: nonempty("bo_tieu_chi"),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(kind: SheetKind) -> ScoringSheet {
        ScoringSheet {
            kind,
            title: "Bảng tự chấm điểm".into(),
            subtitle: "Phường Hải An".into(),
            campaign_id: 7,
            unit_code: Some("P-HAIAN".into()),
            set_name: "phuong".into(),
            decimals: 2,
            rows: vec![
                SheetRow {
                    code: "1".into(),
                    name: "Công tác chỉ đạo".into(),
                    depth: 0,
                    max: 4.0,
                    input: false,
                    note: None,
                    self_points: None,
                    explanation: String::new(),
                    reference: String::new(),
                },
                SheetRow {
                    code: "1.1".into(),
                    name: "Kế hoạch CCHC".into(),
                    depth: 1,
                    max: 2.5,
                    input: true,
                    note: None,
                    self_points: Some(2.0),
                    explanation: "Đã ban hành".into(),
                    reference: "KH 12/KH-UBND".into(),
                },
            ],
        }
    }

    #[test]
    fn a_written_sheet_reads_back_with_its_marker_and_cells() {
        let bytes = sheet(SheetKind::SelfAssessment).to_xlsx().unwrap();
        let book = ReadBook::from_bytes(&bytes).unwrap();
        let filled = FilledSheet::from_book(&book, SheetKind::SelfAssessment).unwrap();
        assert_eq!(filled.campaign_id, Some(7));
        assert_eq!(filled.unit_code.as_deref(), Some("P-HAIAN"));
        assert_eq!(filled.rows.len(), 2);
        let r = &filled.rows[1];
        assert_eq!((r.code.as_str(), r.row), ("1.1", 6));
        assert_eq!(r.self_points, SheetValue::Number(2.0));
        assert_eq!(r.reference, "KH 12/KH-UBND");
        assert_eq!(filled.address(r.row, col::SELF_POINTS), "Tu_cham!D7");
        // The other kind's upload names what went wrong.
        let e = FilledSheet::from_book(&book, SheetKind::Appraisal).unwrap_err();
        assert!(e.to_string().contains("bảng tự chấm"), "{e}");
    }
}
