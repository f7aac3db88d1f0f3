//! Reading an uploaded XLSX workbook: cells as the text a person typed
//! (numbers as numbers, dates as ISO dates), each with its Excel address so
//! a problem can be named the way Excel names the cell (`Tu_cham!D14`).
//!
//! Imports that already read CSV (units, frames, published scores) take an
//! XLSX through [`first_sheet_as_csv`]: the sheet becomes CSV with the same
//! row numbers, so "dòng 14" in their messages is row 14 in Excel.

use std::io::Cursor;
use std::path::Path;

use calamine::{open_workbook, Data, Range, Reader, Xlsx};

/// A cell's value as read.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetValue {
    Empty,
    Number(f64),
    Text(String),
}

impl SheetValue {
    pub fn is_empty(&self) -> bool {
        match self {
            SheetValue::Empty => true,
            SheetValue::Text(t) => t.trim().is_empty(),
            SheetValue::Number(_) => false,
        }
    }

    /// The value as text: whole numbers without a decimal part, other
    /// numbers with `.` (what every CSV parser of ours reads).
    pub fn text(&self) -> String {
        match self {
            SheetValue::Empty => String::new(),
            SheetValue::Text(t) => t.trim().to_string(),
            SheetValue::Number(x) => number_text(*x),
        }
    }
}

fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        // Rust prints the shortest text that reads back as the same double.
        format!("{x}")
    }
}

/// Why a workbook could not be read, in the words shown to the user.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("không mở được tệp Excel (.xlsx): {0}. Hãy lưu lại bằng Excel dạng \"Excel Workbook (*.xlsx)\".")]
    Open(String),
    #[error("tệp Excel không có trang tính \"{0}\"")]
    MissingSheet(String),
    #[error("tệp Excel không có trang tính nào")]
    NoSheet,
}

/// One worksheet of a workbook.
pub struct Sheet {
    pub name: String,
    range: Range<Data>,
}

/// A workbook read into memory (an upload is at most a few MiB).
pub struct Workbook {
    sheets: Vec<Sheet>,
}

impl Workbook {
    pub fn open(path: &Path) -> Result<Self, SheetError> {
        let mut book: Xlsx<_> = open_workbook(path)
            .map_err(|e: calamine::XlsxError| SheetError::Open(e.to_string()))?;
        Self::read(&mut book)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SheetError> {
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
            .map_err(|e: calamine::XlsxError| SheetError::Open(e.to_string()))?;
        Self::read(&mut book)
    }

    fn read<RS: std::io::Read + std::io::Seek>(book: &mut Xlsx<RS>) -> Result<Self, SheetError> {
        let mut sheets = Vec::new();
        for name in book.sheet_names() {
            let range = book
                .worksheet_range(&name)
                .map_err(|e| SheetError::Open(e.to_string()))?;
            sheets.push(Sheet { name, range });
        }
        Ok(Workbook { sheets })
    }

    pub fn first(&self) -> Result<&Sheet, SheetError> {
        self.sheets.first().ok_or(SheetError::NoSheet)
    }

    pub fn sheet(&self, name: &str) -> Result<&Sheet, SheetError> {
        self.sheets
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| SheetError::MissingSheet(name.to_string()))
    }

    pub fn has_sheet(&self, name: &str) -> bool {
        self.sheets.iter().any(|s| s.name == name)
    }
}

impl Sheet {
    /// The value at a 0-based (row, column), whatever the used range.
    pub fn get(&self, row: u32, col: u32) -> SheetValue {
        match self.range.get_value((row, col)) {
            None | Some(Data::Empty) => SheetValue::Empty,
            Some(Data::Int(i)) => SheetValue::Number(*i as f64),
            Some(Data::Float(f)) => SheetValue::Number(*f),
            Some(Data::String(s)) => SheetValue::Text(s.clone()),
            Some(Data::Bool(b)) => SheetValue::Text(if *b { "TRUE" } else { "FALSE" }.into()),
            Some(Data::DateTime(d)) => match d.as_datetime() {
                Some(t) if t.time() == chrono::NaiveTime::MIN => {
                    SheetValue::Text(t.date().format("%Y-%m-%d").to_string())
                }
                Some(t) => SheetValue::Text(t.format("%Y-%m-%d %H:%M:%S").to_string()),
                None => SheetValue::Number(d.as_f64()),
            },
            Some(Data::DateTimeIso(s) | Data::DurationIso(s)) => SheetValue::Text(s.clone()),
            Some(Data::Error(e)) => SheetValue::Text(format!("#{e:?}")),
        }
    }

    /// The last used row, 0-based (None for an empty sheet).
    pub fn last_row(&self) -> Option<u32> {
        self.range.end().map(|(r, _)| r)
    }

    pub fn last_col(&self) -> Option<u32> {
        self.range.end().map(|(_, c)| c)
    }

    /// A cell's address as Excel shows it: `Sheet!D14` (quoted when the
    /// name has a space).
    pub fn address(&self, row: u32, col: u32) -> String {
        address(&self.name, row, col)
    }
}

/// `Sheet!D14` for 0-based (13, 3).
pub fn address(sheet: &str, row: u32, col: u32) -> String {
    let name = if sheet.contains([' ', '-']) {
        format!("'{sheet}'")
    } else {
        sheet.to_string()
    };
    format!("{name}!{}{}", column_letters(col), row + 1)
}

/// `A`, `B`, …, `Z`, `AA`, … for 0, 1, …
pub fn column_letters(mut col: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// The first sheet as CSV (UTF-8, commas), from row 1 and column A, so a
/// CSV import's "dòng N" is Excel's row N. Trailing empty cells are dropped.
pub fn first_sheet_as_csv(path: &Path) -> Result<Vec<u8>, SheetError> {
    let book = Workbook::open(path)?;
    let sheet = book.first()?;
    let mut out = Vec::new();
    if let (Some(last_row), Some(last_col)) = (sheet.last_row(), sheet.last_col()) {
        for r in 0..=last_row {
            // A line break inside a cell would move every later row's line
            // number, so it becomes a space.
            let mut cells: Vec<String> = (0..=last_col)
                .map(|c| sheet.get(r, c).text().replace(['\r', '\n'], " "))
                .collect();
            while cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            // An empty row is an empty line, which CSV readers skip while
            // still counting it (the csv crate would write `""`).
            if cells.is_empty() {
                out.push(b'\n');
                continue;
            }
            let mut line = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(&mut out);
            line.write_record(&cells)
                .and_then(|_| line.flush().map_err(csv::Error::from))
                .map_err(|e| SheetError::Open(e.to_string()))?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_excel_writes_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(3), "D");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(address("Tu_cham", 13, 3), "Tu_cham!D14");
        assert_eq!(address("Bảng điểm", 0, 0), "'Bảng điểm'!A1");
    }

    #[test]
    fn numbers_read_back_as_a_person_typed_them() {
        assert_eq!(SheetValue::Number(2.0).text(), "2");
        assert_eq!(SheetValue::Number(1.5).text(), "1.5");
        assert_eq!(SheetValue::Number(0.1 + 0.2).text(), "0.30000000000000004");
        assert!(SheetValue::Text("  ".into()).is_empty());
    }

    #[test]
    fn a_sheet_becomes_csv_with_excels_row_numbers() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let s = book.add_worksheet();
        s.write_string(0, 0, "code").unwrap();
        s.write_string(0, 1, "name").unwrap();
        s.write_number(2, 0, 12.0).unwrap();
        s.write_string(2, 1, "Phường, \"Hải\" An").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        book.save(&path).unwrap();
        let csv = String::from_utf8(first_sheet_as_csv(&path).unwrap()).unwrap();
        assert_eq!(csv, "code,name\n\n12,\"Phường, \"\"Hải\"\" An\"\n");
    }
}
