//! Writers for a streamed [`Header`](super::table::Header) and its rows:
//! CSV, XLSX and JSON. Each pulls one row, writes it and drops it, so memory
//! does not grow with the row count (see `examples/export_bench.rs`).
//!
//! Formula injection: analysts open exports in Excel, and a respondent's
//! free text such as `=cmd|' /C calc'!A0` must stay text. The rule, from
//! OWASP's CSV-injection page and ASVS 1.2.10: a text cell whose first
//! character is `=`, `+`, `-`, `@`, tab, carriage return or NUL (or the
//! full-width `＝ ＋ － ＠`, which East Asian Excel builds also accept) is
//!
//! - in CSV, written with a leading `'` (Excel's "this is text" mark; the
//!   csv crate quotes fields as RFC 4180 says);
//! - in XLSX, written unchanged as a string cell with Excel's `quotePrefix`
//!   style, so it can never be a formula, not even after a user edits it;
//! - in JSON, written unchanged (no spreadsheet reads JSON).
//!
//! Numbers (`Cell::Int`, `Cell::Float`) are never prefixed: `-3` as a
//! number is data, not a formula.

mod csv_writer;
mod json_writer;
mod xlsx_writer;

pub use csv_writer::{write_csv, CsvOptions, LineEnding};
pub use json_writer::write_json;
pub use xlsx_writer::{
    bar_chart_height, BarChart, IntervalColumns, XlsxExport, XLSX_MAX_DATA_ROWS,
    XLSX_MAX_TEXT_CHARS,
};

use super::table::{Header, Row};

/// What can stop an export. `E` is the row source's own error (a database
/// cursor's, say), handed back untouched in `Source`.
#[derive(Debug, thiserror::Error)]
pub enum ExportError<E> {
    #[error("không đọc được dòng dữ liệu {row}: {error}")]
    Source { row: u64, error: E },
    #[error("dòng dữ liệu {row} có {got} ô nhưng tiêu đề có {expected} cột")]
    RowWidth {
        row: u64,
        expected: usize,
        got: usize,
    },
    #[error("lỗi ghi tệp xuất: {0}")]
    Io(#[from] std::io::Error),
    #[error("lỗi ghi CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("lỗi ghi JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("lỗi ghi tệp Excel: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("một trang tính Excel chứa tối đa {max} dòng dữ liệu; hãy xuất CSV")]
    TooManyRows { max: u64 },
    #[error("bảng có {got} cột, quá giới hạn {max} cột của Excel")]
    TooManyColumns { got: usize, max: usize },
    #[error(
        "ô ở dòng dữ liệu {row}, cột \"{column}\" dài {chars} ký tự, quá giới hạn {max} ký tự của Excel"
    )]
    TextTooLong {
        row: u64,
        column: String,
        chars: usize,
        max: usize,
    },
    #[error("tên trang tính \"{name}\" không dùng được: {reason}")]
    SheetName { name: String, reason: String },
}

/// Pulls the next row, numbering data rows from 1, and checks its width
/// against the header so a short row is an error, not a shifted column.
pub(crate) fn next_row<E, I>(
    rows: &mut I,
    header: &Header,
    count: &mut u64,
) -> Option<Result<Row, ExportError<E>>>
where
    I: Iterator<Item = Result<Row, E>>,
{
    let item = rows.next()?;
    *count += 1;
    let row = *count;
    Some(match item {
        Err(error) => Err(ExportError::Source { row, error }),
        Ok(cells) if cells.len() != header.len() => Err(ExportError::RowWidth {
            row,
            expected: header.len(),
            got: cells.len(),
        }),
        Ok(cells) => Ok(cells),
    })
}

/// True when a spreadsheet would read this text as a formula (the rule in
/// the module doc).
pub fn looks_like_formula(text: &str) -> bool {
    matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0' | '＝' | '＋' | '－' | '＠')
    )
}

#[cfg(test)]
mod tests;
