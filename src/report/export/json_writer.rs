use std::io::{BufWriter, Write};

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::{next_row, ExportError};
use crate::report::table::{float_value, Cell, Column, Header, Row};

/// Writes `[{"column": value, …}, …]`, one object per row, keys in column
/// order, each object serialised and dropped before the next row is
/// pulled. An empty cell and a non-finite float are `null`; text is
/// written unchanged (JSON is read by programs, not spreadsheets).
/// Returns the number of rows written.
pub fn write_json<W, I, E>(out: W, header: &Header, rows: I) -> Result<u64, ExportError<E>>
where
    W: Write,
    I: IntoIterator<Item = Result<Row, E>>,
{
    let mut out = BufWriter::new(out);
    out.write_all(b"[")?;
    let mut rows = rows.into_iter();
    let mut count = 0;
    while let Some(row) = next_row(&mut rows, header, &mut count) {
        let cells = row?;
        out.write_all(if count == 1 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(
            &mut out,
            &Object {
                columns: header.columns(),
                cells: &cells,
            },
        )?;
    }
    out.write_all(if count == 0 { b"]\n" } else { b"\n]\n" })?;
    out.flush()?;
    Ok(count)
}

struct Object<'a> {
    columns: &'a [Column],
    cells: &'a [Cell],
}

impl Serialize for Object<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.columns.len()))?;
        for (column, cell) in self.columns.iter().zip(self.cells) {
            match cell {
                Cell::Text(t) => map.serialize_entry(&column.name, t)?,
                Cell::Int(v) => map.serialize_entry(&column.name, v)?,
                Cell::Float(v) => {
                    map.serialize_entry(&column.name, &float_value(*v, column.decimals))?
                }
                Cell::Date(d) => map.serialize_entry(&column.name, &d.to_string())?,
                Cell::Empty => map.serialize_entry(&column.name, &())?,
            }
        }
        map.end()
    }
}
