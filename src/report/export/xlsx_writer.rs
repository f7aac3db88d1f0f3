use std::collections::HashSet;
use std::convert::Infallible;
use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{looks_like_formula, next_row, ExportError};
use crate::report::table::{float_value, Cell, Header, Row};

/// Excel's sheet holds 1,048,576 rows; the header takes two (labels, names).
pub const XLSX_MAX_DATA_ROWS: u64 = 1_048_574;
/// Rows above the data: the Vietnamese labels, then the column names.
const HEADER_ROWS: u32 = 2;
/// Excel's limit on the text of one cell.
pub const XLSX_MAX_TEXT_CHARS: usize = 32_767;
const XLSX_MAX_COLUMNS: usize = 16_384;
const XLSX_MAX_SHEET_NAME_CHARS: usize = 31;
/// Integers beyond ±2^53 do not survive Excel's doubles, so they are
/// written as text rather than silently changed.
const EXACT_INT_LIMIT: i64 = 1 << 53;

/// A workbook whose sheets are written in rust_xlsxwriter's constant-memory
/// mode: each row goes to a temporary file as soon as it is pulled, and
/// only the zip step at [`save`](Self::save) reads them back. Memory stays
/// flat whatever the row count; disk use is about the sheet's XML size.
///
/// Streaming from a web handler: the zip can only start once every sheet is
/// written, so the first byte goes out when the last row has been pulled.
/// Run the whole export on a blocking thread and either `save` to a
/// temporary file and send that file, or `save_to_writer` into a pipe or
/// channel that feeds the response body (this version of rust_xlsxwriter
/// writes the zip sequentially and needs no `Seek`).
pub struct XlsxExport {
    workbook: Workbook,
    names: HashSet<String>,
    bold: Format,
    quoted: Format,
    /// The names row under the labels: small and grey, for analysts.
    code: Format,
    date: Format,
}

impl XlsxExport {
    /// Spools sheets in the system temporary directory. Fails (instead of
    /// panicking inside rust_xlsxwriter later) when it is not writable.
    pub fn new() -> std::io::Result<Self> {
        Self::in_dir(&std::env::temp_dir())
    }

    /// Spools sheets in `dir`, e.g. a disk-backed directory when /tmp is a
    /// RAM disk (a RAM disk would defeat the constant-memory mode).
    pub fn in_dir(dir: &Path) -> std::io::Result<Self> {
        let mut workbook = Workbook::new();
        workbook.set_tempdir(dir).map_err(|e| match e {
            XlsxError::IoError(e) => e,
            other => std::io::Error::other(other.to_string()),
        })?;
        Ok(XlsxExport {
            workbook,
            names: HashSet::new(),
            bold: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(rust_xlsxwriter::FormatAlign::Top)
                .set_background_color(rust_xlsxwriter::Color::RGB(0xDDEBF7)),
            quoted: Format::new().set_quote_prefix(),
            code: Format::new()
                .set_font_color(rust_xlsxwriter::Color::RGB(0x595959))
                .set_font_size(9)
                .set_background_color(rust_xlsxwriter::Color::RGB(0xF2F2F2)),
            date: Format::new().set_num_format("dd/mm/yyyy"),
        })
    }

    /// Adds a sheet: a bold header of the columns' Vietnamese labels over a
    /// row of their names (the codes R, Stata or SPSS use: `read_excel(…,
    /// skip = 1)`), both frozen so they stay in view and filters on the
    /// names row, then each row as it is pulled. Dates are date cells shown
    /// dd/mm/yyyy. Numbers are numeric cells, text
    /// is string cells (formula-like text with Excel's quote prefix, see
    /// the module doc), empty cells and non-finite floats are left blank.
    /// Column widths follow the longest value seen (capped), which needs
    /// one number per column, not the rows. Returns the data row count.
    /// After an error the workbook holds a partial sheet: drop it.
    pub fn add_sheet<I, E>(
        &mut self,
        name: &str,
        header: &Header,
        rows: I,
    ) -> Result<u64, ExportError<E>>
    where
        I: IntoIterator<Item = Result<Row, E>>,
    {
        self.check_sheet_name(name)?;
        if header.len() > XLSX_MAX_COLUMNS {
            return Err(ExportError::TooManyColumns {
                got: header.len(),
                max: XLSX_MAX_COLUMNS,
            });
        }
        let decimal_formats: Vec<Option<Format>> = header
            .columns()
            .iter()
            .map(|c| c.decimals.map(decimals_format))
            .collect();
        let sheet = self.workbook.add_worksheet_with_constant_memory();
        sheet.set_name(name)?;
        let mut widths: Vec<usize> = Vec::with_capacity(header.len());
        // Constant-memory sheets take rows in order: all labels, then all names.
        for (row, format) in [(0, &self.bold), (1, &self.code)] {
            for (col, column) in header.columns().iter().enumerate() {
                let col = col as u16; // < XLSX_MAX_COLUMNS, checked above
                let text = if row == 0 {
                    Header::title(column)
                } else {
                    column.name.as_str()
                };
                if looks_like_formula(text) {
                    let f = format.clone().set_quote_prefix();
                    sheet.write_string_with_format(row, col, text, &f)?;
                } else {
                    sheet.write_string_with_format(row, col, text, format)?;
                }
            }
        }
        // A long label wraps (up to about 24 characters a line); the name
        // stays on one line.
        for column in header.columns() {
            let title = Header::title(column).chars().count();
            widths.push(column.name.chars().count().max(title.min(24)));
        }
        sheet.set_freeze_panes(HEADER_ROWS, 0)?;

        let mut rows = rows.into_iter();
        let mut count = 0;
        while let Some(row) = next_row(&mut rows, header, &mut count) {
            let cells = row?;
            if count > XLSX_MAX_DATA_ROWS {
                return Err(ExportError::TooManyRows {
                    max: XLSX_MAX_DATA_ROWS,
                });
            }
            let r = count as u32 + HEADER_ROWS - 1; // ≤ 1,048,575: rows 0 and 1 are the header
            for (c, cell) in cells.iter().enumerate() {
                let column = &header.columns()[c];
                let col = c as u16;
                let shown = match cell {
                    Cell::Text(t) => {
                        let chars = t.chars().count();
                        if chars > XLSX_MAX_TEXT_CHARS {
                            return Err(ExportError::TextTooLong {
                                row: count,
                                column: column.name.clone(),
                                chars,
                                max: XLSX_MAX_TEXT_CHARS,
                            });
                        }
                        if looks_like_formula(t) {
                            sheet.write_string_with_format(r, col, t, &self.quoted)?;
                        } else {
                            sheet.write_string(r, col, t)?;
                        }
                        chars
                    }
                    Cell::Int(v) if (-EXACT_INT_LIMIT..=EXACT_INT_LIMIT).contains(v) => {
                        sheet.write_number(r, col, *v as f64)?;
                        digits(*v)
                    }
                    Cell::Int(v) => {
                        sheet.write_string(r, col, v.to_string())?;
                        digits(*v)
                    }
                    Cell::Float(v) => match float_value(*v, column.decimals) {
                        Some(v) => {
                            match &decimal_formats[c] {
                                Some(f) => sheet.write_number_with_format(r, col, v, f)?,
                                None => sheet.write_number(r, col, v)?,
                            };
                            // General format shows up to about 11 characters.
                            column
                                .decimals
                                .map_or(11, |d| digits(v.trunc() as i64) + 1 + usize::from(d))
                        }
                        None => 0,
                    },
                    Cell::Date(d) => {
                        use chrono::Datelike;
                        let day = rust_xlsxwriter::ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )?;
                        sheet.write_datetime_with_format(r, col, &day, &self.date)?;
                        10
                    }
                    Cell::Empty => 0,
                };
                if shown > widths[c] {
                    widths[c] = shown;
                }
            }
        }
        let last_row = (count as u32 + HEADER_ROWS - 1).max(HEADER_ROWS - 1);
        sheet.autofilter(HEADER_ROWS - 1, 0, last_row, (header.len() - 1) as u16)?;
        for (c, w) in widths.into_iter().enumerate() {
            // Excel widths are in characters of the default font; a little
            // padding, and a cap so one long answer does not make a column
            // wider than the screen.
            sheet.set_column_width(c as u16, (w + 2).clamp(8, 60) as f64)?;
        }
        self.names.insert(name.to_lowercase());
        Ok(count)
    }

    /// Adds a horizontal bar chart of one numeric column of a sheet already
    /// added, one bar per data row labelled by another column, in the rows'
    /// order (first row on top), to the right of the table: what a reader
    /// would rather look at than the figures (the index by unit).
    pub fn add_bar_chart(
        &mut self,
        header: &Header,
        chart: &BarChart<'_>,
    ) -> Result<(), ExportError<Infallible>> {
        let position = |name: &str| chart_column(header, chart.sheet, name);
        let (labels, values) = (position(chart.labels)?, position(chart.values)?);
        if chart.rows == 0 {
            return Ok(());
        }
        let first = HEADER_ROWS + chart.first as u32;
        let last = first + chart.rows as u32 - 1;
        let mut c = rust_xlsxwriter::Chart::new_bar();
        c.title().set_name(chart.title);
        c.add_series()
            .set_name(chart.series)
            .set_categories((chart.sheet, first, labels, last, labels))
            .set_values((chart.sheet, first, values, last, values))
            .set_gap(60);
        c.legend().set_hidden();
        // In a horizontal bar chart rust_xlsxwriter's x axis is the value
        // axis (along the bottom) and its y axis the categories (seen when
        // LibreOffice drew the values backwards). The category axis runs
        // bottom-up: reversed, the first row is on top as in the table.
        // Crossing at the last category keeps the values' scale at the
        // bottom, where Excel puts it on an unreversed chart.
        c.y_axis()
            .set_reverse()
            .set_crossing(rust_xlsxwriter::ChartAxisCrossing::Max);
        // A bar's length is its value: the axis starts at zero even where
        // Excel or LibreOffice would zoom in on close values.
        c.x_axis().set_min(0.0);
        if let Some(max) = chart.max {
            c.x_axis().set_max(max);
        }
        c.set_width(640).set_height(bar_chart_height(chart.rows));
        let sheet = self.workbook.worksheet_from_name(chart.sheet)?;
        sheet.insert_chart(HEADER_ROWS + chart.at_row, header.len() as u16 + 1, &c)?;
        Ok(())
    }

    /// Adds a column chart of estimates with their confidence intervals as
    /// error bars, from a sheet already added whose columns hold the label,
    /// the estimate and the distances down to the low end and up to the
    /// high end of the interval.
    pub fn add_interval_chart(
        &mut self,
        header: &Header,
        chart: &IntervalColumns<'_>,
    ) -> Result<(), ExportError<Infallible>> {
        let position = |name: &str| chart_column(header, chart.sheet, name);
        let (labels, values) = (position(chart.labels)?, position(chart.values)?);
        let (minus, plus) = (position(chart.minus)?, position(chart.plus)?);
        if chart.rows == 0 {
            return Ok(());
        }
        let first = HEADER_ROWS;
        let last = HEADER_ROWS + chart.rows as u32 - 1;
        let range = |col: u16| {
            rust_xlsxwriter::ChartRange::new_from_range(chart.sheet, first, col, last, col)
        };
        let bars = rust_xlsxwriter::ChartErrorBars::new()
            .set_type(rust_xlsxwriter::ChartErrorBarsType::Custom(
                range(plus),
                range(minus),
            ))
            .clone();
        let mut c = rust_xlsxwriter::Chart::new_column();
        c.title().set_name(chart.title);
        c.add_series()
            .set_name(chart.series)
            .set_categories((chart.sheet, first, labels, last, labels))
            .set_values((chart.sheet, first, values, last, values))
            .set_y_error_bars(&bars);
        c.legend().set_hidden();
        // A bar's length is its value: the axis starts at zero even where
        // Excel or LibreOffice would zoom in on close values.
        c.y_axis().set_min(0.0);
        if let Some(max) = chart.max {
            c.y_axis().set_max(max);
        }
        c.set_width((200 + 40 * chart.rows).clamp(480, 4000) as u32)
            .set_height(360);
        let sheet = self.workbook.worksheet_from_name(chart.sheet)?;
        sheet.insert_chart(HEADER_ROWS, header.len() as u16 + 1, &c)?;
        Ok(())
    }

    /// Adds the codebook of `header` (name, label, decimals per column) as a
    /// sheet of its own.
    pub fn add_codebook(
        &mut self,
        name: &str,
        header: &Header,
    ) -> Result<u64, ExportError<Infallible>> {
        let (codebook, rows) = header.codebook();
        self.add_sheet(name, &codebook, rows)
    }

    pub fn save(mut self, path: &Path) -> Result<(), ExportError<Infallible>> {
        self.workbook.save(path)?;
        Ok(())
    }

    pub fn save_to_writer<W: Write + Send>(
        mut self,
        out: W,
    ) -> Result<(), ExportError<Infallible>> {
        self.workbook.save_to_writer(out)?;
        Ok(())
    }

    /// Excel's rules, checked here so the message can say which rule in
    /// Vietnamese (rust_xlsxwriter would only find a reused name at save).
    fn check_sheet_name<E>(&self, name: &str) -> Result<(), ExportError<E>> {
        let reason = if name.trim().is_empty() {
            Some("tên không được để trống".to_owned())
        } else if name.chars().count() > XLSX_MAX_SHEET_NAME_CHARS {
            Some(format!("dài quá {XLSX_MAX_SHEET_NAME_CHARS} ký tự"))
        } else if let Some(c) = name.chars().find(|c| "[]:*?/\\".contains(*c)) {
            Some(format!("không được chứa ký tự '{c}'"))
        } else if name.starts_with('\'') || name.ends_with('\'') {
            Some("không được bắt đầu hay kết thúc bằng dấu nháy đơn".to_owned())
        } else if self.names.contains(&name.to_lowercase()) {
            Some("đã có trang tính cùng tên".to_owned())
        } else {
            None
        };
        match reason {
            Some(reason) => Err(ExportError::SheetName {
                name: name.to_owned(),
                reason,
            }),
            None => Ok(()),
        }
    }
}

/// The position of a chart's column, or an error naming it.
fn chart_column(header: &Header, sheet: &str, name: &str) -> Result<u16, ExportError<Infallible>> {
    header
        .columns()
        .iter()
        .position(|c| c.name == name)
        .map(|i| i as u16)
        .ok_or_else(|| ExportError::SheetName {
            name: sheet.to_string(),
            reason: format!("không có cột \"{name}\" để vẽ biểu đồ"),
        })
}

/// A bar chart's height in pixels for `rows` bars.
pub fn bar_chart_height(rows: u64) -> u32 {
    (90 + 22 * rows).min(4000) as u32
}

/// What [`XlsxExport::add_bar_chart`] draws.
pub struct BarChart<'a> {
    /// The sheet holding the data (added before).
    pub sheet: &'a str,
    pub title: &'a str,
    /// The series' name (the legend is hidden; screen readers read it).
    pub series: &'a str,
    /// Column names: the bars' labels and their values.
    pub labels: &'a str,
    pub values: &'a str,
    /// The first data row drawn (0 for the first) and how many.
    pub first: u64,
    pub rows: u64,
    /// Where the chart's top sits: data rows below the header (charts of
    /// several blocks are stacked without overlapping).
    pub at_row: u32,
    /// The value axis' maximum (100 for the index), else Excel's choice.
    pub max: Option<f64>,
}

/// What [`XlsxExport::add_interval_chart`] draws (column names).
pub struct IntervalColumns<'a> {
    pub sheet: &'a str,
    pub title: &'a str,
    pub series: &'a str,
    pub labels: &'a str,
    pub values: &'a str,
    /// Estimate − low end, and high end − estimate.
    pub minus: &'a str,
    pub plus: &'a str,
    pub rows: u64,
    pub max: Option<f64>,
}

fn decimals_format(d: u8) -> Format {
    let num = if d == 0 {
        "0".to_owned()
    } else {
        format!("0.{}", "0".repeat(usize::from(d)))
    };
    Format::new().set_num_format(num)
}

fn digits(v: i64) -> usize {
    let sign = usize::from(v < 0);
    sign + v
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |l| l as usize + 1)
}
