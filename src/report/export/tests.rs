use std::convert::Infallible;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};

use super::*;
use crate::report::table::{Cell, Column, Header, Row};

const INJECTION: &str = "=cmd|' /C calc'!A0";

fn header() -> Header {
    Header::new(vec![
        Column::new("don_vi").label("Đơn vị"),
        Column::new("n").label("Số phiếu"),
        Column::new("diem").label("Điểm").decimals(2),
        Column::new("ty_le"),
        Column::new("ghi_chu").label("Ghi chú"),
    ])
    .unwrap()
}

fn rows() -> Vec<Row> {
    vec![
        vec![
            "Sở Nội vụ tỉnh Sơn La".into(),
            Cell::Int(412),
            Cell::Float(25.456),
            Cell::Float(0.1 + 0.2),
            "Hài lòng, \"rất\" tốt\nnhiều dòng".into(),
        ],
        vec![
            "UBND huyện Mộc Châu".into(),
            Cell::Int(-3),
            Cell::Float(f64::NAN),
            Cell::Float(1.0 / 3.0),
            INJECTION.into(),
        ],
        vec![
            "Phường Tô Hiệu".into(),
            Cell::Empty,
            Cell::Float(-0.004),
            Cell::Float(1e-7),
            "@SUM(A1:A2)".into(),
        ],
        vec![
            "-5".into(),
            Cell::Int(1 << 60),
            Cell::Float(30.0),
            Cell::Empty,
            "+84 912 345 678".into(),
        ],
    ]
}

fn ok_rows(rows: Vec<Row>) -> impl Iterator<Item = Result<Row, Infallible>> {
    rows.into_iter().map(Ok)
}

#[test]
fn formula_rule_covers_owasp_characters_only() {
    for t in [
        "=1+1", "+1", "-1", "@x", "\tx", "\rx", "\0x", "＝1", "＋1", "－1", "＠x",
    ] {
        assert!(looks_like_formula(t), "{t:?}");
    }
    for t in ["", "Sở Nội vụ", "1=1", " =1", "'=1", "x-1"] {
        assert!(!looks_like_formula(t), "{t:?}");
    }
}

// ---------------------------------------------------------------- CSV

fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn csv_has_a_bom_and_reads_back_to_the_same_cells() {
    let mut out = Vec::new();
    let n = write_csv(&mut out, &header(), ok_rows(rows()), &CsvOptions::default()).unwrap();
    assert_eq!(n, 4);
    assert!(out.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = std::str::from_utf8(&out).unwrap();
    assert!(text.contains("\r\n"), "CRLF by default");

    let got = read_csv(&out);
    assert_eq!(got[0], ["don_vi", "n", "diem", "ty_le", "ghi_chu"]);
    assert_eq!(got.len(), 5);
    assert_eq!(
        got[1],
        [
            "Sở Nội vụ tỉnh Sơn La",
            "412",
            "25.46",
            "0.30000000000000004",
            "Hài lòng, \"rất\" tốt\nnhiều dòng"
        ]
    );
    // NaN is NA (empty); 1/3 keeps every digit of the double.
    assert_eq!(got[2][2], "");
    assert_eq!(got[2][3].parse::<f64>().unwrap(), 1.0 / 3.0);
    assert_eq!(got[3][1], "");
    assert_eq!(got[3][2], "-0.00");
    assert_eq!(got[3][3].parse::<f64>().unwrap(), 1e-7);
    assert_eq!(got[4][1], (1i64 << 60).to_string());
    assert_eq!(got[4][2], "30.00");
    assert_eq!(got[4][3], "");
}

#[test]
fn csv_prefixes_formula_like_text_but_not_numbers() {
    let mut out = Vec::new();
    write_csv(&mut out, &header(), ok_rows(rows()), &CsvOptions::default()).unwrap();
    let got = read_csv(&out);
    assert_eq!(got[2][4], format!("'{INJECTION}"));
    assert_eq!(got[3][4], "'@SUM(A1:A2)");
    assert_eq!(got[4][0], "'-5", "text -5 is guarded");
    assert_eq!(got[4][4], "'+84 912 345 678");
    assert_eq!(got[2][1], "-3", "the number -3 is not");
    for line in std::str::from_utf8(&out).unwrap().split("\r\n") {
        for field in line.split(',') {
            assert!(!field.starts_with('='), "unguarded field {field:?}");
        }
    }
}

#[test]
fn csv_options_change_bom_delimiter_and_line_ending() {
    let mut out = Vec::new();
    let options = CsvOptions {
        bom: false,
        delimiter: b';',
        line_ending: LineEnding::Lf,
        ..CsvOptions::default()
    };
    write_csv(&mut out, &header(), ok_rows(rows()), &options).unwrap();
    assert!(out.starts_with(b"don_vi;n;diem;ty_le;ghi_chu\n"));
    assert!(!out.contains(&b'\r'));
}

/// Issue 17: "a choice of `;` separator and decimal comma for
/// Vietnamese-locale Excel; labels or codes selectable".
#[test]
fn vietnamese_csv_has_semicolons_decimal_commas_dates_and_labels_if_asked() {
    let h = Header::new(vec![
        Column::new("diem").label("Điểm").decimals(2),
        Column::new("ngay").label("Ngày gửi"),
        Column::new("n"),
    ])
    .unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let rows = vec![vec![Cell::Float(25.456), Cell::Date(day), Cell::Int(3)]];
    let mut out = Vec::new();
    let options = CsvOptions {
        labels: true,
        ..CsvOptions::vietnamese()
    };
    write_csv(&mut out, &h, ok_rows(rows.clone()), &options).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text, "\u{feff}Điểm;Ngày gửi;n\r\n25,46;07/12/2026;3\r\n");
    let mut out = Vec::new();
    write_csv(&mut out, &h, ok_rows(rows), &CsvOptions::default()).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text, "\u{feff}diem,ngay,n\r\n25.46,2026-12-07,3\r\n");
}

#[test]
fn a_source_error_and_a_short_row_stop_the_export_with_the_row_number() {
    let mut out = Vec::new();
    let source = vec![Ok(rows()[0].clone()), Err("mất kết nối")];
    match write_csv(&mut out, &header(), source, &CsvOptions::default()) {
        Err(ExportError::Source { row: 2, error }) => assert_eq!(error, "mất kết nối"),
        other => panic!("{other:?}"),
    }
    let short = vec![vec![Cell::Int(1)]];
    let err = write_json(Vec::new(), &header(), ok_rows(short)).unwrap_err();
    assert!(matches!(
        err,
        ExportError::RowWidth {
            row: 1,
            expected: 5,
            got: 1
        }
    ));
    assert_eq!(
        err.to_string(),
        "dòng dữ liệu 1 có 1 ô nhưng tiêu đề có 5 cột"
    );
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_is_an_array_of_objects_in_column_order() {
    let mut out = Vec::new();
    assert_eq!(write_json(&mut out, &header(), ok_rows(rows())).unwrap(), 4);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("[\n{\"don_vi\":\"Sở Nội vụ tỉnh Sơn La\",\"n\":412,"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 4);
    assert_eq!(a[0]["diem"], serde_json::json!(25.46));
    assert_eq!(a[0]["ty_le"].as_f64().unwrap(), 0.1 + 0.2);
    assert_eq!(a[1]["diem"], serde_json::Value::Null);
    assert_eq!(a[1]["ty_le"].as_f64().unwrap(), 1.0 / 3.0);
    assert_eq!(a[1]["ghi_chu"], INJECTION, "JSON keeps text as it is");
    assert_eq!(a[2]["n"], serde_json::Value::Null);
    assert_eq!(a[3]["n"].as_i64().unwrap(), 1 << 60);
}

#[test]
fn json_of_no_rows_is_an_empty_array() {
    let mut out = Vec::new();
    assert_eq!(write_json(&mut out, &header(), ok_rows(vec![])).unwrap(), 0);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v, serde_json::json!([]));
}

// ---------------------------------------------------------------- XLSX

fn xlsx_bytes() -> Vec<u8> {
    let mut x = XlsxExport::new().unwrap();
    assert_eq!(
        x.add_sheet("Dữ liệu", &header(), ok_rows(rows())).unwrap(),
        4
    );
    assert_eq!(x.add_codebook("Từ điển biến", &header()).unwrap(), 5);
    let mut out = Vec::new();
    x.save_to_writer(&mut out).unwrap();
    out
}

#[test]
fn xlsx_reads_back_with_sheets_header_and_cells_intact() {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(xlsx_bytes())).unwrap();
    assert_eq!(wb.sheet_names(), ["Dữ liệu", "Từ điển biến"]);
    let data = wb.worksheet_range("Dữ liệu").unwrap();
    let all: Vec<&[Data]> = data.rows().collect();
    assert_eq!(all.len(), 6);
    // Labels over names (a column without a label shows its name twice).
    let labels: Vec<String> = all[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(labels, ["Đơn vị", "Số phiếu", "Điểm", "ty_le", "Ghi chú"]);
    let names: Vec<String> = all[1].iter().map(|c| c.to_string()).collect();
    assert_eq!(names, ["don_vi", "n", "diem", "ty_le", "ghi_chu"]);
    // The data from the third row; r[1] is the first data row below.
    let r = &all[1..];
    assert_eq!(r[1][0], Data::String("Sở Nội vụ tỉnh Sơn La".into()));
    assert_eq!(r[1][1], Data::Float(412.0));
    assert_eq!(r[1][2], Data::Float(25.46));
    assert_eq!(r[1][3], Data::Float(0.1 + 0.2));
    assert_eq!(
        r[1][4],
        Data::String("Hài lòng, \"rất\" tốt\nnhiều dòng".into())
    );
    assert_eq!(r[2][1], Data::Float(-3.0));
    assert_eq!(r[2][2], Data::Empty, "NaN is a blank cell");
    assert_eq!(r[2][3], Data::Float(1.0 / 3.0));
    assert_eq!(r[2][4], Data::String(INJECTION.into()), "text kept exactly");
    assert_eq!(r[3][1], Data::Empty);
    assert_eq!(r[4][0], Data::String("-5".into()));
    assert_eq!(
        r[4][1],
        Data::String((1i64 << 60).to_string()),
        "too big for a double: text"
    );

    let book = wb.worksheet_range("Từ điển biến").unwrap();
    let b: Vec<&[Data]> = book.rows().collect();
    assert_eq!(b[0][0], Data::String("Tên biến".into()));
    let b = &b[1..];
    assert_eq!(b[0][0], Data::String("variable".into()));
    assert_eq!(
        b[1][..2],
        [Data::String("don_vi".into()), Data::String("Đơn vị".into())]
    );
    assert_eq!(b[3][2], Data::Float(2.0));
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn xlsx_has_no_formula_and_quote_prefixes_formula_like_text() {
    let bytes = xlsx_bytes();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    let formulas = wb.worksheet_formula("Dữ liệu").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));

    // The cell's style must be one with quotePrefix="1".
    let styles = zip_entry(&bytes, "xl/styles.xml");
    let styles = roxmltree::Document::parse(&styles).unwrap();
    let xfs: Vec<bool> = styles
        .descendants()
        .find(|n| n.has_tag_name("cellXfs"))
        .unwrap()
        .children()
        .filter(|n| n.has_tag_name("xf"))
        .map(|n| n.attribute("quotePrefix") == Some("1"))
        .collect();
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    let sheet = roxmltree::Document::parse(&sheet).unwrap();
    let style_of = |r: &str| -> bool {
        let c = sheet
            .descendants()
            .find(|n| n.has_tag_name("c") && n.attribute("r") == Some(r))
            .unwrap();
        assert_eq!(c.attribute("t"), Some("inlineStr"), "{r} is a string cell");
        xfs[c.attribute("s").map_or(0, |s| s.parse::<usize>().unwrap())]
    };
    // Two header rows: the data starts on row 3.
    assert!(style_of("E4"), "=cmd… is quote-prefixed");
    assert!(style_of("E5"), "@SUM… is quote-prefixed");
    assert!(style_of("A6"), "text -5 is quote-prefixed");
    assert!(!style_of("A3"), "plain text is not");
    // Header bold and frozen.
    let pane = sheet
        .descendants()
        .find(|n| n.has_tag_name("pane"))
        .unwrap();
    assert_eq!(pane.attribute("ySplit"), Some("2"));
    assert_eq!(pane.attribute("state"), Some("frozen"));
    let widths: Vec<f64> = sheet
        .descendants()
        .filter(|n| n.has_tag_name("col"))
        .map(|n| n.attribute("width").unwrap().parse().unwrap())
        .collect();
    assert_eq!(widths.len(), 5);
    assert!(widths[4] > widths[1], "long notes get a wider column");
}

#[test]
fn xlsx_rejects_bad_sheet_names_in_vietnamese() {
    let mut x = XlsxExport::new().unwrap();
    let h = header();
    x.add_sheet("Dữ liệu", &h, ok_rows(vec![])).unwrap();
    for (name, says) in [
        ("dữ LIỆU", "đã có trang tính cùng tên"),
        ("a/b", "không được chứa ký tự '/'"),
        ("", "tên không được để trống"),
        ("Kết quả khảo sát sự hài lòng năm 2025", "dài quá 31 ký tự"),
        ("'x", "dấu nháy đơn"),
    ] {
        let err = x.add_sheet(name, &h, ok_rows(vec![])).unwrap_err();
        assert!(
            matches!(&err, ExportError::SheetName { reason, .. } if reason.contains(says)),
            "{name}: {err}"
        );
    }
}

#[test]
fn xlsx_refuses_more_rows_than_excel_holds() {
    let h = Header::new(vec![Column::new("x")]).unwrap();
    let many = (0..=XLSX_MAX_DATA_ROWS).map(|_| Ok::<_, Infallible>(vec![Cell::Empty]));
    let mut x = XlsxExport::new().unwrap();
    let err = x.add_sheet("x", &h, many).unwrap_err();
    assert!(matches!(
        err,
        ExportError::TooManyRows {
            max: XLSX_MAX_DATA_ROWS
        }
    ));
}

/// Issue 17: "dates are dates … frozen header, filters".
#[test]
fn xlsx_dates_are_date_cells_and_the_names_row_carries_the_filters() {
    let h = Header::new(vec![
        Column::new("ngay").label("Ngày gửi"),
        Column::new("n"),
    ])
    .unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let mut x = XlsxExport::new().unwrap();
    x.add_sheet("d", &h, ok_rows(vec![vec![Cell::Date(day), Cell::Int(1)]]))
        .unwrap();
    let mut out = Vec::new();
    x.save_to_writer(&mut out).unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(out.clone())).unwrap();
    let range = wb.worksheet_range("d").unwrap();
    match range.get_value((2, 0)) {
        Some(Data::DateTime(d)) => assert_eq!(d.as_datetime().unwrap().date(), day),
        other => panic!("not a date cell: {other:?}"),
    }
    let sheet = zip_entry(&out, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<autoFilter ref=\"A2:B3\""), "{sheet}");
    assert!(
        sheet.contains("ySplit=\"2\""),
        "two header rows frozen: {sheet}"
    );
}

#[test]
fn xlsx_refuses_text_longer_than_an_excel_cell() {
    let h = Header::new(vec![Column::new("x")]).unwrap();
    let long = vec![vec![Cell::Text("ạ".repeat(XLSX_MAX_TEXT_CHARS + 1))]];
    let mut x = XlsxExport::new().unwrap();
    let err = x.add_sheet("x", &h, ok_rows(long)).unwrap_err();
    assert!(
        matches!(err, ExportError::TextTooLong { row: 1, .. }),
        "{err}"
    );
}

#[test]
fn xlsx_saves_to_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ket-qua.xlsx");
    let mut x = XlsxExport::in_dir(dir.path()).unwrap();
    x.add_sheet("data", &header(), ok_rows(rows())).unwrap();
    x.save(&path).unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(wb.worksheet_range("data").unwrap().height(), 6);
}

#[test]
fn an_export_can_move_to_a_blocking_thread() {
    fn send<T: Send>() {}
    send::<XlsxExport>();
    send::<ExportError<std::io::Error>>();
}

/// Issue 17: "charts where a person would rather look (index by block,
/// component intervals)": both draw from the sheet's own cells.
#[test]
fn xlsx_charts_draw_from_the_sheets_cells() {
    let h = Header::new(vec![
        Column::new("name"),
        Column::new("points"),
        Column::new("minus"),
        Column::new("plus"),
    ])
    .unwrap();
    let rows = vec![
        vec![
            "Sở A".into(),
            Cell::Float(25.0),
            Cell::Float(1.5),
            Cell::Float(2.0),
        ],
        vec![
            "Sở B".into(),
            Cell::Float(21.0),
            Cell::Float(3.0),
            Cell::Float(2.5),
        ],
    ];
    let mut x = XlsxExport::new().unwrap();
    x.add_sheet("d", &h, ok_rows(rows.clone())).unwrap();
    x.add_interval_chart(
        &h,
        &IntervalColumns {
            sheet: "d",
            title: "Khoảng tin cậy",
            series: "Điểm",
            labels: "name",
            values: "points",
            minus: "minus",
            plus: "plus",
            rows: 2,
            max: None,
        },
    )
    .unwrap();
    x.add_sheet("i", &h, ok_rows(rows)).unwrap();
    x.add_bar_chart(
        &h,
        &BarChart {
            sheet: "i",
            title: "Chỉ số",
            series: "Chỉ số",
            labels: "name",
            values: "points",
            first: 0,
            rows: 2,
            at_row: 0,
            max: Some(100.0),
        },
    )
    .unwrap();
    let mut out = Vec::new();
    x.save_to_writer(&mut out).unwrap();
    if let Some(path) = std::env::var_os("CHISO_KEEP_CHARTS_XLSX") {
        // To open by hand (LibreOffice, Excel): what the assertions read.
        std::fs::write(path, &out).unwrap();
    }
    let interval = zip_entry(&out, "xl/charts/chart1.xml");
    assert!(interval.contains("<c:errBars>"), "{interval}");
    assert!(
        interval.contains("d!$C$3:$C$4") && interval.contains("d!$D$3:$D$4"),
        "{interval}"
    );
    assert!(
        interval.contains("d!$A$3:$A$4"),
        "labels from column A: {interval}"
    );
    // Bars start at zero even without a maximum (LibreOffice drew this
    // chart's axis from 19 before).
    assert!(interval.contains("<c:min val=\"0\"/>"), "{interval}");
    let bars = zip_entry(&out, "xl/charts/chart2.xml");
    assert!(
        bars.contains("<c:barDir val=\"bar\"/>") && bars.contains("i!$B$3:$B$4"),
        "{bars}"
    );
    // The categories reversed (first row on top), the values from 0 to the
    // maximum left to right: each on its own axis.
    let axis = |tag: &str| {
        let from = bars.find(&format!("<c:{tag}>")).unwrap();
        let to = bars.find(&format!("</c:{tag}>")).unwrap();
        bars[from..to].to_string()
    };
    let (categories, values) = (axis("catAx"), axis("valAx"));
    assert!(
        categories.contains("<c:orientation val=\"maxMin\"/>"),
        "first row on top: {categories}"
    );
    assert!(
        values.contains("<c:orientation val=\"minMax\"/>")
            && values.contains("<c:max val=\"100\"/>")
            && values.contains("<c:min val=\"0\"/>")
            && values.contains("<c:crosses val=\"max\"/>"),
        "values 0 to 100, left to right: {values}"
    );
}
