//! A table that streams: a header, then rows pulled one at a time from an
//! iterator, so an export of a million responses never holds them all.

use std::collections::HashSet;
use std::convert::Infallible;

/// One cell. `Empty` is a missing value (NA); a non-finite float is written
/// as one too, because neither JSON nor Excel can hold NaN or infinity.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Float(f64),
    /// A calendar day: a date cell in XLSX, ISO 8601 in CSV and JSON.
    Date(chrono::NaiveDate),
    Empty,
}

pub type Row = Vec<Cell>;

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}

impl From<i32> for Cell {
    fn from(v: i32) -> Self {
        Cell::Int(v.into())
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Float(v)
    }
}

impl From<chrono::NaiveDate> for Cell {
    fn from(v: chrono::NaiveDate) -> Self {
        Cell::Date(v)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// The most decimals a column may ask for: an f64 holds about 15
/// significant digits, so more would print noise.
pub const MAX_DECIMALS: u8 = 15;

/// A column: its machine name (CSV header, JSON key, first XLSX row), an
/// optional human label for the codebook, and an optional number of
/// decimals to which its floats are rounded in every format.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub label: Option<String>,
    pub decimals: Option<u8>,
}

impl Column {
    pub fn new(name: impl Into<String>) -> Self {
        Column {
            name: name.into(),
            label: None,
            decimals: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn decimals(mut self, decimals: u8) -> Self {
        self.decimals = Some(decimals);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("bảng phải có ít nhất một cột")]
    NoColumns,
    #[error("cột thứ {position} không có tên")]
    EmptyName { position: usize },
    #[error("tên cột \"{name}\" bị trùng")]
    DuplicateName { name: String },
    #[error("cột \"{name}\" yêu cầu {decimals} chữ số thập phân; tối đa là {MAX_DECIMALS}")]
    TooManyDecimals { name: String, decimals: u8 },
}

/// Checked column list: at least one column, names non-empty and unique
/// (they become JSON keys), decimals within what an f64 can carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    columns: Vec<Column>,
}

impl Header {
    pub fn new(columns: Vec<Column>) -> Result<Self, HeaderError> {
        if columns.is_empty() {
            return Err(HeaderError::NoColumns);
        }
        let mut seen = HashSet::new();
        for (i, c) in columns.iter().enumerate() {
            if c.name.trim().is_empty() {
                return Err(HeaderError::EmptyName { position: i + 1 });
            }
            if !seen.insert(c.name.as_str()) {
                return Err(HeaderError::DuplicateName {
                    name: c.name.clone(),
                });
            }
            if let Some(d) = c.decimals.filter(|&d| d > MAX_DECIMALS) {
                return Err(HeaderError::TooManyDecimals {
                    name: c.name.clone(),
                    decimals: d,
                });
            }
        }
        Ok(Header { columns })
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// A column's text for a person: its label, or its name without one.
    pub fn title(column: &Column) -> &str {
        column.label.as_deref().unwrap_or(&column.name)
    }

    /// The codebook as a table of its own (`variable`, `label`, `decimals`,
    /// one row per column), so any writer can put it in a file or a sheet.
    pub fn codebook(&self) -> (Header, impl Iterator<Item = Result<Row, Infallible>> + '_) {
        let header = Header {
            columns: vec![
                Column::new("variable").label("Tên biến"),
                Column::new("label").label("Nhãn"),
                Column::new("decimals").label("Số chữ số thập phân"),
            ],
        };
        let rows = self.columns.iter().map(|c| {
            Ok(vec![
                Cell::Text(c.name.clone()),
                c.label.clone().into(),
                c.decimals.map(i64::from).into(),
            ])
        });
        (header, rows)
    }
}

/// A float as the writers put it out: `None` for NA (non-finite), rounded
/// to the column's decimals when it has some, exactly as the CSV text is
/// (`format!("{:.d}")`: the binary value decides, exact ties go to even).
/// Going through the text makes 0.1 + 0.2 at 2 decimals the double nearest
/// 0.30, not 0.30000000000000004. Callers that round by a regulation's rule
/// (the domain's points) pass values already rounded.
pub(crate) fn float_value(v: f64, decimals: Option<u8>) -> Option<f64> {
    if !v.is_finite() {
        return None;
    }
    match decimals {
        None => Some(v),
        Some(d) => format!("{:.*}", usize::from(d), v).parse().ok(),
    }
}

/// The text of a float in CSV: shortest round-trip digits (Rust's `Display`
/// for f64, never an exponent), or exactly `decimals` digits.
pub(crate) fn float_text(v: f64, decimals: Option<u8>) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    Some(match decimals {
        None => v.to_string(),
        Some(d) => format!("{:.*}", usize::from(d), v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rejects_duplicates_blank_names_and_too_many_decimals() {
        assert_eq!(Header::new(vec![]), Err(HeaderError::NoColumns));
        assert_eq!(
            Header::new(vec![Column::new("a"), Column::new(" ")]),
            Err(HeaderError::EmptyName { position: 2 })
        );
        assert_eq!(
            Header::new(vec![Column::new("a"), Column::new("a")]),
            Err(HeaderError::DuplicateName { name: "a".into() })
        );
        assert!(matches!(
            Header::new(vec![Column::new("a").decimals(16)]),
            Err(HeaderError::TooManyDecimals { decimals: 16, .. })
        ));
        assert_eq!(Header::new(vec![Column::new("a")]).unwrap().len(), 1);
    }

    #[test]
    fn floats_keep_full_precision_unless_a_column_rounds() {
        assert_eq!(float_text(0.1 + 0.2, None).unwrap(), "0.30000000000000004");
        assert_eq!(float_text(0.1 + 0.2, Some(2)).unwrap(), "0.30");
        assert_eq!(float_text(1e21, None).unwrap(), "1000000000000000000000");
        assert_eq!(float_text(f64::NAN, None), None);
        assert_eq!(float_value(0.1 + 0.2, Some(2)), Some(0.3));
        assert_eq!(float_value(2.675, Some(2)), Some(2.67)); // 2.675 is 2.67499… in binary
        assert_eq!(float_value(f64::INFINITY, Some(2)), None);
        let v = 1.0 / 3.0;
        assert_eq!(float_text(v, None).unwrap().parse::<f64>().unwrap(), v);
    }

    #[test]
    fn codebook_lists_every_column_with_its_label() {
        let h = Header::new(vec![
            Column::new("unit").label("Đơn vị"),
            Column::new("score").decimals(2),
        ])
        .unwrap();
        let (cb, rows) = h.codebook();
        assert_eq!(cb.len(), 3);
        let rows: Vec<Row> = rows.map(Result::unwrap).collect();
        assert_eq!(
            rows,
            vec![
                vec!["unit".into(), "Đơn vị".into(), Cell::Empty],
                vec!["score".into(), Cell::Empty, Cell::Int(2)],
            ]
        );
    }
}
