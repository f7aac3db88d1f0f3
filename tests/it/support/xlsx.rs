//! A spreadsheet user's hands: reads a downloaded workbook and fills its
//! cells the way Excel saves them (the cell's element in the sheet's XML
//! replaced, its style kept), so a test can download a sheet, fill it and
//! upload the very same file back.

use std::io::{Read, Write};

/// What a cell is filled with.
pub enum Fill<'a> {
    Number(f64),
    Text(&'a str),
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The workbook with `cells` (address, value) of the sheet at `sheet_xml`
/// (e.g. `xl/worksheets/sheet1.xml`) filled. Each cell must exist in the
/// XML (the scoring sheet writes every input cell, blank or not).
pub fn fill(bytes: &[u8], sheet_xml: &str, cells: &[(String, Fill<'_>)]) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name == sheet_xml {
            let mut xml = String::from_utf8(data).unwrap();
            for (address, value) in cells {
                xml = fill_cell(&xml, address, value);
            }
            data = xml.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn fill_cell(xml: &str, address: &str, value: &Fill<'_>) -> String {
    let open = format!("<c r=\"{address}\"");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no cell {address} in the sheet"));
    let rest = &xml[start..];
    let tag_end = rest.find('>').unwrap();
    let end = if rest[..tag_end].ends_with('/') {
        tag_end + 1
    } else {
        rest.find("</c>").unwrap() + "</c>".len()
    };
    let style = rest[..tag_end]
        .split_whitespace()
        .find(|a| a.starts_with("s=\""))
        .map(|s| format!(" {}", s.trim_end_matches('/')))
        .unwrap_or_default();
    let cell = match value {
        Fill::Number(x) => format!("<c r=\"{address}\"{style}><v>{x}</v></c>"),
        Fill::Text(t) => format!(
            "<c r=\"{address}\"{style} t=\"inlineStr\"><is><t>{}</t></is></c>",
            escape(t)
        ),
    };
    format!("{}{cell}{}", &xml[..start], &rest[end..])
}

/// A sheet's cells as text (numbers without a decimal part when whole),
/// by 0-based (row, column).
pub fn read_sheet(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let (rows, cols) = range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1));
    (0..rows)
        .map(|r| {
            (0..cols)
                .map(|c| match range.get_value((r, c)) {
                    Some(calamine::Data::Float(x)) if x.fract() == 0.0 => format!("{}", *x as i64),
                    Some(v) => v.to_string(),
                    None => String::new(),
                })
                .collect()
        })
        .collect()
}

/// A workbook of one sheet as a person types it in Excel: what reads as a
/// number is a number cell, the rest text.
pub fn table(rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match v.parse::<f64>() {
                Ok(x) if !v.is_empty() => sheet.write_number(r, c, x).unwrap(),
                _ => sheet.write_string(r, c, v).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

/// The same, from CSV text.
pub fn from_csv(csv: &str) -> Vec<u8> {
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    table(&rows)
}
