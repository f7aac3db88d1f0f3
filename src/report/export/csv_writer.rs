use std::io::Write;

use super::{looks_like_formula, next_row, ExportError};
use crate::report::table::{float_text, Cell, Header, Row};

/// Line endings. CRLF is RFC 4180's and what Excel writes; LF suits Unix
/// tools. Both read back the same with any CSV parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Crlf,
    Lf,
}

/// CSV settings. The default is what opens right in Excel and R alike:
/// a UTF-8 byte-order mark (without it Excel reads UTF-8 as the ANSI code
/// page and Vietnamese turns to mojibake), commas, CRLF, `.` as decimal
/// point, ISO dates, column names in the header. [`CsvOptions::vietnamese`]
/// is what Excel with Vietnamese regional settings opens by double-click:
/// `;` between fields, decimal comma, dd/mm/yyyy dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    pub bom: bool,
    pub delimiter: u8,
    pub line_ending: LineEnding,
    /// `2,5` instead of `2.5` (only with a delimiter other than `,`).
    pub decimal_comma: bool,
    /// The header row shows the columns' Vietnamese labels, not their names.
    pub labels: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            bom: true,
            delimiter: b',',
            line_ending: LineEnding::Crlf,
            decimal_comma: false,
            labels: false,
        }
    }
}

impl CsvOptions {
    /// For Excel set to Vietnamese regional settings.
    pub fn vietnamese() -> Self {
        CsvOptions {
            delimiter: b';',
            decimal_comma: true,
            ..CsvOptions::default()
        }
    }
}

const BOM: &[u8] = "\u{feff}".as_bytes();

/// Writes the header row, then each row as it is pulled. An empty cell and
/// a non-finite float are an empty field (R, Stata and SPSS read that as
/// missing). Returns the number of data rows written.
pub fn write_csv<W, I, E>(
    mut out: W,
    header: &Header,
    rows: I,
    options: &CsvOptions,
) -> Result<u64, ExportError<E>>
where
    W: Write,
    I: IntoIterator<Item = Result<Row, E>>,
{
    if options.bom {
        out.write_all(BOM)?;
    }
    let mut csv = csv::WriterBuilder::new()
        .delimiter(options.delimiter)
        .terminator(match options.line_ending {
            LineEnding::Crlf => csv::Terminator::CRLF,
            LineEnding::Lf => csv::Terminator::Any(b'\n'),
        })
        .from_writer(out);
    // Column names are chosen by code, but a guard costs nothing.
    csv.write_record(header.columns().iter().map(|c| {
        guarded(if options.labels {
            Header::title(c)
        } else {
            &c.name
        })
    }))?;
    let comma = options.decimal_comma && options.delimiter != b',';
    let mut rows = rows.into_iter();
    let mut count = 0;
    // One reused buffer per field, so a row allocates nothing new.
    let mut fields: Vec<String> = vec![String::new(); header.len()];
    while let Some(row) = next_row(&mut rows, header, &mut count) {
        for ((field, cell), column) in fields.iter_mut().zip(row?).zip(header.columns()) {
            field.clear();
            match cell {
                Cell::Text(t) => {
                    if looks_like_formula(&t) {
                        field.push('\'');
                    }
                    field.push_str(&t);
                }
                Cell::Int(v) => {
                    use std::fmt::Write as _;
                    let _ = write!(field, "{v}");
                }
                Cell::Float(v) => {
                    if let Some(t) = float_text(v, column.decimals) {
                        if comma {
                            field.push_str(&t.replace('.', ","));
                        } else {
                            field.push_str(&t);
                        }
                    }
                }
                Cell::Date(d) => {
                    use std::fmt::Write as _;
                    let _ = if comma {
                        write!(field, "{}", d.format("%d/%m/%Y"))
                    } else {
                        write!(field, "{d}")
                    };
                }
                Cell::Empty => {}
            }
        }
        csv.write_record(&fields)?;
    }
    csv.flush()?;
    Ok(count)
}

fn guarded(text: &str) -> String {
    if looks_like_formula(text) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}
