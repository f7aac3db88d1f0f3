//! Reading a sampling frame from CSV, one row at a time.
//!
//! Columns (header on line 1, any order): `person_key`, `unit`, `group`
//! (`citizen`, `business`, `civil_servant`, `leader`) are required; `email`,
//! `phone`, `address` (a postal address, lines separated by `;`), `name` (the
//! addressee of a letter) and `size` are optional; every other column is a
//! stratum column kept as
//! name → value. UTF-8 with or without a byte-order mark, LF or CRLF line
//! ends, quoted fields as in RFC 4180. Values are trimmed. Rows whose fields
//! are all empty (trailing `,,,` lines from spreadsheets) are skipped.
//!
//! The reader is an iterator and holds one record at a time, plus the set
//! of person keys seen (to report duplicates with both line numbers).
//! Whether a unit exists is for the caller to check against the database.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use crate::contact::{Phone, PostalAddress};
use crate::email::Email;
use crate::questionnaire::RespondentGroup;
use crate::sampling::{FrameRow, PersonKey};
use crate::unit::UnitCode;

const REQUIRED: [&str; 3] = ["person_key", "unit", "group"];
const MAX_STRATUM_VALUE: usize = 200;

/// A problem at a physical line of the file (the header is line 1; a row
/// whose quoted field spans lines is reported at its first line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    pub line: u64,
    /// The column as named in the header, when the problem is in one cell.
    pub column: Option<String>,
    pub reason: String,
}

impl FrameError {
    fn new(line: u64, column: Option<&str>, reason: impl Into<String>) -> Self {
        Self {
            line,
            column: column.map(str::to_string),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "dòng {}: cột {}: {}", self.line, c, self.reason),
            None => write!(f, "dòng {}: {}", self.line, self.reason),
        }
    }
}

impl std::error::Error for FrameError {}

/// Where each known column sits in a record.
struct Columns {
    names: Vec<String>,
    person_key: usize,
    unit: usize,
    group: usize,
    email: Option<usize>,
    phone: Option<usize>,
    address: Option<usize>,
    name: Option<usize>,
    size: Option<usize>,
    strata: Vec<usize>,
}

/// The longest addressee name kept.
const MAX_NAME_CHARS: usize = 120;

/// Streams [`FrameRow`]s (or the problems of each bad row, one item per
/// problem) from a CSV frame.
pub struct FrameReader<R: Read> {
    csv: csv::Reader<LineCounter<SkipBom<R>>>,
    /// Newlines read ahead of the parser, to turn a record's byte offset into its line.
    /// Shared with the line counter; a mutex (never contended) rather than a
    /// `RefCell` so the reader can run on its own thread while rows are written.
    newlines: Arc<Mutex<Newlines>>,
    columns: Columns,
    record: csv::ByteRecord,
    seen: HashMap<PersonKey, u64>,
    pending: VecDeque<FrameError>,
    done: bool,
    /// The line of the record read last.
    line: u64,
}

impl<R: Read> FrameReader<R> {
    /// Reads and checks the header.
    pub fn new(reader: R) -> Result<Self, FrameError> {
        let newlines = Arc::new(Mutex::new(Newlines::default()));
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(LineCounter {
                inner: SkipBom::new(reader),
                offset: 0,
                newlines: newlines.clone(),
            });
        let header = csv
            .byte_headers()
            .map_err(|e| FrameError::new(1, None, format!("không đọc được dòng tiêu đề: {e}")))?
            .clone();
        let mut names = Vec::with_capacity(header.len());
        for (i, raw) in header.iter().enumerate() {
            let name = std::str::from_utf8(raw)
                .map_err(|_| FrameError::new(1, None, NOT_UTF8))?
                .trim();
            if name.is_empty() {
                return Err(FrameError::new(
                    1,
                    None,
                    format!("cột thứ {} không có tên", i + 1),
                ));
            }
            if name.chars().any(char::is_control) {
                return Err(FrameError::new(
                    1,
                    Some(&name.escape_debug().to_string()),
                    "tên cột có ký tự điều khiển",
                ));
            }
            if names.iter().any(|n| n == name) {
                return Err(FrameError::new(1, Some(name), "tên cột bị lặp lại"));
            }
            names.push(name.to_string());
        }
        let find = |c: &str| names.iter().position(|n| n == c);
        let missing: Vec<&str> = REQUIRED.into_iter().filter(|c| find(c).is_none()).collect();
        if !missing.is_empty() {
            return Err(FrameError::new(
                1,
                None,
                format!(
                    "thiếu cột bắt buộc {} (cần person_key, unit, group; có thể thêm email, phone, address, name, size và các cột phân tầng)",
                    missing.join(", ")
                ),
            ));
        }
        let (Some(person_key), Some(unit), Some(group)) =
            (find("person_key"), find("unit"), find("group"))
        else {
            unreachable!("checked above")
        };
        let email = find("email");
        let phone = find("phone");
        let address = find("address");
        let name = find("name");
        let size = find("size");
        let strata = (0..names.len())
            .filter(|i| {
                ![
                    Some(person_key),
                    Some(unit),
                    Some(group),
                    email,
                    phone,
                    address,
                    name,
                    size,
                ]
                .contains(&Some(*i))
            })
            .collect();
        Ok(Self {
            csv,
            newlines,
            columns: Columns {
                names,
                person_key,
                unit,
                group,
                email,
                phone,
                address,
                name,
                size,
                strata,
            },
            record: csv::ByteRecord::new(),
            seen: HashMap::new(),
            pending: VecDeque::new(),
            done: false,
            line: 1,
        })
    }

    /// The stratum columns, in header order.
    /// The line where the row returned last starts (the header is line 1),
    /// for problems found after reading, such as an unknown unit.
    pub fn line(&self) -> u64 {
        self.line
    }

    pub fn stratum_columns(&self) -> Vec<&str> {
        self.columns
            .strata
            .iter()
            .map(|&i| self.columns.names[i].as_str())
            .collect()
    }

    pub fn has_email_column(&self) -> bool {
        self.columns.email.is_some()
    }

    pub fn has_size_column(&self) -> bool {
        self.columns.size.is_some()
    }

    /// Parses the current record; every problem of the row goes to `pending`.
    fn row(&mut self, line: u64) -> Option<FrameRow> {
        let cols = &self.columns;
        if self.record.len() != cols.names.len() {
            self.pending.push_back(FrameError::new(
                line,
                None,
                format!(
                    "dòng có {} cột nhưng tiêu đề có {} cột (kiểm tra dấu phẩy và dấu ngoặc kép)",
                    self.record.len(),
                    cols.names.len()
                ),
            ));
            return None;
        }
        let mut problems = Vec::new();
        // None: not UTF-8, already reported; the cell is not checked further.
        let mut cells: Vec<Option<&str>> = Vec::with_capacity(cols.names.len());
        for (i, raw) in self.record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(s) => cells.push(Some(s.trim())),
                Err(_) => {
                    problems.push(FrameError::new(line, Some(&cols.names[i]), NOT_UTF8));
                    cells.push(None);
                }
            }
        }
        if cells.iter().all(|c| *c == Some("")) {
            return None;
        }
        let mut problem = |col: usize, reason: String| {
            problems.push(FrameError::new(line, Some(&cols.names[col]), reason));
        };

        let person = match cells[cols.person_key].map(PersonKey::parse) {
            None => None,
            Some(Ok(k)) => {
                if let Some(first) = self.seen.get(&k) {
                    problem(
                        cols.person_key,
                        format!("mã người \"{k}\" trùng với dòng {first}"),
                    );
                    None
                } else {
                    self.seen.insert(k.clone(), line);
                    Some(k)
                }
            }
            Some(Err(e)) => {
                problem(cols.person_key, e.to_string());
                None
            }
        };
        let unit = cells[cols.unit].and_then(|text| {
            UnitCode::parse(text)
                .map_err(|e| problem(cols.unit, e.to_string()))
                .ok()
        });
        let group_text = cells[cols.group];
        let group = group_text.and_then(RespondentGroup::parse);
        if let (Some(group_text), None) = (group_text, group) {
            let names: Vec<&str> = RespondentGroup::ALL.iter().map(|(n, _)| *n).collect();
            problem(
                cols.group,
                format!(
                    "nhóm đối tượng \"{group_text}\" không hợp lệ; dùng một trong: {}",
                    names.join(", ")
                ),
            );
        }
        let email = match cols.email.and_then(|i| Some((i, cells[i]?))) {
            None | Some((_, "")) => None,
            Some((i, text)) => Email::parse(text)
                .map_err(|e| problem(i, format!("{e} (\"{text}\")")))
                .ok(),
        };
        let phone = match cols.phone.and_then(|i| Some((i, cells[i]?))) {
            None | Some((_, "")) => None,
            Some((i, text)) => Phone::parse(text).map_err(|e| problem(i, e)).ok(),
        };
        let address = match cols.address.and_then(|i| Some((i, cells[i]?))) {
            None | Some((_, "")) => None,
            Some((i, text)) => PostalAddress::parse(text).map_err(|e| problem(i, e)).ok(),
        };
        let name = match cols.name.and_then(|i| Some((i, cells[i]?))) {
            None | Some((_, "")) => None,
            Some((i, text)) if text.chars().any(char::is_control) => {
                problem(
                    i,
                    "tên không được chứa ký tự điều khiển hoặc xuống dòng".into(),
                );
                None
            }
            Some((i, text)) if text.chars().count() > MAX_NAME_CHARS => {
                problem(i, format!("tên dài quá {MAX_NAME_CHARS} ký tự"));
                None
            }
            Some((_, text)) => Some(text.to_string()),
        };
        let size = match cols.size.and_then(|i| Some((i, cells[i]?))) {
            None | Some((_, "")) => None,
            Some((i, text)) => parse_size(text).map_err(|reason| problem(i, reason)).ok(),
        };
        let mut strata = std::collections::BTreeMap::new();
        for &i in &cols.strata {
            let Some(value) = cells[i] else { continue };
            if value.chars().any(char::is_control) {
                problem(
                    i,
                    "giá trị không được chứa ký tự điều khiển hoặc xuống dòng".into(),
                );
            } else if value.chars().count() > MAX_STRATUM_VALUE {
                problem(i, format!("giá trị dài quá {MAX_STRATUM_VALUE} ký tự"));
            } else {
                strata.insert(cols.names[i].clone(), value.to_string());
            }
        }
        if !problems.is_empty() {
            self.pending.extend(problems);
            return None;
        }
        Some(FrameRow {
            person: person?,
            unit: unit?,
            group: group?,
            email,
            phone,
            address,
            name,
            size: size.flatten(),
            strata,
        })
    }
}

const NOT_UTF8: &str = "không phải văn bản UTF-8 hợp lệ (hãy lưu tệp dạng \"CSV UTF-8\")";

/// A size measure: a whole number written with digits only, so that
/// "1.234" (a thousands separator in Vietnamese) is never read as 1.234.
fn parse_size(text: &str) -> Result<Option<u64>, String> {
    if !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "quy mô \"{text}\" phải là số nguyên không âm, chỉ gồm chữ số (không dấu chấm, dấu phẩy)"
        ));
    }
    text.parse::<u64>()
        .map(Some)
        .map_err(|_| format!("quy mô \"{text}\" quá lớn"))
}

impl<R: Read> Iterator for FrameReader<R> {
    type Item = Result<FrameRow, FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(Err(e));
            }
            if self.done {
                return None;
            }
            match self.csv.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                }
                Ok(true) => {
                    // csv's own line count is off for CRLF files; count the
                    // newlines before the record's first byte instead.
                    let byte = self.record.position().map_or(0, |p| p.byte());
                    let line = self
                        .newlines
                        .lock()
                        .expect("one reader at a time")
                        .line_at(byte);
                    self.line = line;
                    if let Some(row) = self.row(line) {
                        return Some(Ok(row));
                    }
                }
                Err(e) => {
                    // Reading failed (I/O); nothing after it can be trusted.
                    self.done = true;
                    let line = e.position().map_or(0, |p| p.line());
                    return Some(Err(FrameError::new(
                        line,
                        None,
                        format!("không đọc được tệp: {e}"),
                    )));
                }
            }
        }
    }
}

/// Reads a whole frame into memory, for small files and tests: every row,
/// or the problems (at most `max_errors`, after which reading stops).
pub fn read_frame(reader: impl Read, max_errors: usize) -> Result<Vec<FrameRow>, Vec<FrameError>> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for item in FrameReader::new(reader).map_err(|e| vec![e])? {
        match item {
            Ok(r) => rows.push(r),
            Err(e) => {
                errors.push(e);
                if errors.len() >= max_errors.max(1) {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Drops a UTF-8 byte-order mark at the start of a stream (Excel writes one
/// in "CSV UTF-8"); the csv crate would otherwise take it as part of the
/// first column's name.
/// Line-end bytes (`\r`, `\n`) not yet passed by the parser, and how many
/// newlines were passed.
#[derive(Default)]
struct Newlines {
    ahead: VecDeque<(u64, bool)>,
    passed: u64,
}

impl Newlines {
    /// The 1-based line of a record csv says starts at byte `offset`. csv
    /// may place a record at the line ends before it (a CRLF's `\n`, blank
    /// lines), so the record starts at the first byte from `offset` on that
    /// is not a line end. Offsets come in increasing order, so passed bytes
    /// are forgotten (constant memory).
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut start = offset;
        while let Some(&(at, newline)) = self.ahead.front() {
            if at <= start {
                if at == start {
                    start += 1;
                }
                self.passed += u64::from(newline);
                self.ahead.pop_front();
            } else {
                break;
            }
        }
        self.passed + 1
    }
}

/// Notes where every line end is while the CSV parser reads.
struct LineCounter<R> {
    inner: R,
    offset: u64,
    newlines: Arc<Mutex<Newlines>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut nl = self.newlines.lock().expect("one reader at a time");
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' || *b == b'\r' {
                nl.ahead.push_back((self.offset + i as u64, *b == b'\n'));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

struct SkipBom<R> {
    inner: R,
    head: [u8; 3],
    head_len: usize,
    head_pos: usize,
    checked: bool,
}

impl<R: Read> SkipBom<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            head: [0; 3],
            head_len: 0,
            head_pos: 0,
            checked: false,
        }
    }
}

impl<R: Read> Read for SkipBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.checked {
            while self.head_len < 3 {
                match self.inner.read(&mut self.head[self.head_len..]) {
                    Ok(0) => break,
                    Ok(n) => self.head_len += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.checked = true;
            if self.head[..self.head_len] == [0xEF, 0xBB, 0xBF] {
                self.head_len = 0;
            }
        }
        if self.head_pos < self.head_len {
            let n = (self.head_len - self.head_pos).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.head_pos..self.head_pos + n]);
            self.head_pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<FrameRow>, Vec<FrameError>> {
        read_frame(text.as_bytes(), 100)
    }

    fn errors(text: &str) -> Vec<String> {
        read(text)
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    const HEADER: &str = "person_key,unit,group,email,size,linh_vuc,khu_vuc\n";

    /// Issue 18: a frame may carry a phone number, a postal address and the
    /// addressee besides (or instead of) an e-mail; none of them is a stratum.
    #[test]
    fn phone_address_and_name_are_contact_details_not_strata() {
        let text = "person_key,unit,group,email,phone,address,name,linh_vuc\n\
                    1,X-AN,citizen,,0912 345 678,Số 5 ngõ 12; phường Hồng Hà,Nguyễn Văn An,Đất đai\n\
                    2,X-AN,citizen,,,,,Đất đai\n\
                    3,X-AN,citizen,,091234,a\u{7}b,,Đất đai\n";
        let mut reader = FrameReader::new(text.as_bytes()).unwrap();
        assert_eq!(reader.stratum_columns(), ["linh_vuc"]);
        let rows: Vec<_> = reader.by_ref().collect();
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.phone.as_ref().unwrap().as_str(), "0912345678");
        assert_eq!(
            first.address.as_ref().unwrap().as_str(),
            "Số 5 ngõ 12; phường Hồng Hà"
        );
        assert_eq!(first.name.as_deref(), Some("Nguyễn Văn An"));
        let second = rows[1].as_ref().unwrap();
        assert!(second.phone.is_none() && second.address.is_none() && second.name.is_none());
        let problems: Vec<String> = rows[2..]
            .iter()
            .map(|r| r.as_ref().unwrap_err().to_string())
            .collect();
        assert!(
            problems[0].starts_with("dòng 4: cột phone: số điện thoại \"091234\" không hợp lệ"),
            "{problems:?}"
        );
        assert!(
            problems[1]
                .starts_with("dòng 4: cột address: địa chỉ không được chứa ký tự điều khiển"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_good_frame_with_bom_crlf_quotes_and_vietnamese() {
        let text = "\u{feff}person_key,unit,group,email,size,linh_vuc\r\n\
                    HS-001,P-HONGGAI,citizen,an@gmail.com,3,\"Đất đai, nhà ở\"\r\n\
                    HS-002,SNV,civil_servant,,,Nội vụ\r\n\
                    \"HS-003\", X-AN , business , Ke.Toan@Cty.VN ,  ,\" Hộ tịch \"\r\n";
        let mut reader = FrameReader::new(text.as_bytes()).unwrap();
        assert_eq!(reader.stratum_columns(), ["linh_vuc"]);
        assert!(reader.has_email_column() && reader.has_size_column());
        let rows: Vec<FrameRow> = reader.by_ref().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].person.as_str(), "HS-001");
        assert_eq!(rows[0].unit.as_str(), "P-HONGGAI");
        assert_eq!(rows[0].group, RespondentGroup::Citizen);
        assert_eq!(rows[0].email.as_ref().unwrap().as_str(), "an@gmail.com");
        assert_eq!(rows[0].size, Some(3));
        assert_eq!(rows[0].strata["linh_vuc"], "Đất đai, nhà ở");
        assert_eq!(rows[1].email, None);
        assert_eq!(rows[1].size, None);
        assert_eq!(rows[1].strata["linh_vuc"], "Nội vụ");
        assert_eq!(rows[2].person.as_str(), "HS-003");
        assert_eq!(rows[2].group, RespondentGroup::Business);
        assert_eq!(rows[2].email.as_ref().unwrap().as_str(), "Ke.Toan@cty.vn");
        assert_eq!(rows[2].strata["linh_vuc"], "Hộ tịch");
    }

    #[test]
    fn optional_columns_may_be_absent_and_blank_rows_are_skipped() {
        let rows = read("group,unit,person_key\nleader,SNV,L1\n,,\n\nleader,SNV,L2\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].strata.is_empty());
        assert_eq!(rows[1].person.as_str(), "L2");
    }

    #[test]
    fn each_bad_cell_is_reported_at_its_physical_line() {
        let text = format!(
            "{HEADER}\
             A1,SNV,citizen,an@gmail.com,1,\"multi\nline\",x\n\
             A2,SNV,citizen,an@@gmail.com,2,a,b\n\
             ,SNV,citizen,,,a,b\n\
             A4,SNV,citizen,,1.234,a,b\n\
             A5,SNV,citizen,,-5,a,b\n\
             A6,Sở NV,dân,,,a,b\n"
        );
        let errs = errors(&text);
        assert_eq!(
            errs,
            [
                "dòng 2: cột linh_vuc: giá trị không được chứa ký tự điều khiển hoặc xuống dòng",
                "dòng 4: cột email: địa chỉ e-mail phải có đúng một ký tự @ (\"an@@gmail.com\")",
                "dòng 5: cột person_key: mã người trống",
                "dòng 6: cột size: quy mô \"1.234\" phải là số nguyên không âm, chỉ gồm chữ số (không dấu chấm, dấu phẩy)",
                "dòng 7: cột size: quy mô \"-5\" phải là số nguyên không âm, chỉ gồm chữ số (không dấu chấm, dấu phẩy)",
                "dòng 8: cột unit: mã \"Sở NV\" chỉ được dùng chữ không dấu, chữ số, '_', '-' hoặc '.'",
                "dòng 8: cột group: nhóm đối tượng \"dân\" không hợp lệ; dùng một trong: citizen, business, civil_servant, leader",
            ]
        );
    }

    #[test]
    fn a_duplicate_key_names_both_lines() {
        let text =
            format!("{HEADER}A1,SNV,citizen,,,a,b\nA2,SNV,citizen,,,a,b\nA1,X-AN,leader,,,a,b\n");
        assert_eq!(
            errors(&text),
            ["dòng 4: cột person_key: mã người \"A1\" trùng với dòng 2"]
        );
        // Trimming makes " A1" the same key.
        let text = format!("{HEADER}A1,SNV,citizen,,,a,b\n A1 ,SNV,citizen,,,a,b\n");
        assert_eq!(errors(&text).len(), 1);
    }

    #[test]
    fn header_problems() {
        let e = FrameReader::new("person_key,email\n".as_bytes())
            .err()
            .unwrap();
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("thiếu cột bắt buộc unit, group"), "{e}");
        let e = FrameReader::new("".as_bytes()).err().unwrap();
        assert!(e.reason.contains("person_key, unit, group"), "{e}");
        let e = FrameReader::new("person_key,unit,group,a,a\n".as_bytes())
            .err()
            .unwrap();
        assert_eq!(e.to_string(), "dòng 1: cột a: tên cột bị lặp lại");
        let e = FrameReader::new("person_key,,unit,group\n".as_bytes())
            .err()
            .unwrap();
        assert_eq!(e.to_string(), "dòng 1: cột thứ 2 không có tên");
        // A BOM is not part of the first column's name.
        assert!(FrameReader::new("\u{feff}person_key,unit,group\n".as_bytes()).is_ok());
    }

    #[test]
    fn wrong_field_counts_and_bad_utf8() {
        let text = b"person_key,unit,group\nA1,SNV\nA2,SNV,citizen,extra\nA\xff3,SNV,citizen\nA4,SNV,citizen\n";
        let errs: Vec<String> = read_frame(&text[..], 100)
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("dòng 2: dòng có 2 cột nhưng tiêu đề có 3 cột"));
        assert!(errs[1].starts_with("dòng 3: dòng có 4 cột"));
        assert!(errs[2].starts_with("dòng 4: cột person_key: không phải văn bản UTF-8"));
    }

    #[test]
    fn max_errors_stops_reading() {
        let mut text = String::from("person_key,unit,group\n");
        for i in 0..50 {
            text.push_str(&format!("K{i},SNV,nobody\n"));
        }
        assert_eq!(read_frame(text.as_bytes(), 5).unwrap_err().len(), 5);
    }

    /// An endless frame: rows are produced on demand, so only a streaming
    /// reader can return the first ones.
    struct Endless {
        next: u64,
        buf: Vec<u8>,
    }
    impl Read for Endless {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.buf.is_empty() {
                self.buf = if self.next == 0 {
                    b"person_key,unit,group\n".to_vec()
                } else {
                    format!("K{},SNV,citizen\n", self.next).into_bytes()
                };
                self.next += 1;
            }
            let n = out.len().min(self.buf.len());
            out[..n].copy_from_slice(&self.buf[..n]);
            self.buf.drain(..n);
            Ok(n)
        }
    }

    #[test]
    fn the_reader_streams() {
        let reader = FrameReader::new(Endless {
            next: 0,
            buf: Vec::new(),
        })
        .unwrap();
        let first: Vec<String> = reader
            .take(3)
            .map(|r| r.unwrap().person.to_string())
            .collect();
        assert_eq!(first, ["K1", "K2", "K3"]);
    }

    #[test]
    fn the_bom_is_skipped_even_when_it_arrives_in_pieces() {
        struct OneByte(Vec<u8>, usize);
        impl Read for OneByte {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.1 >= self.0.len() || out.is_empty() {
                    return Ok(0);
                }
                out[0] = self.0[self.1];
                self.1 += 1;
                Ok(1)
            }
        }
        let text = "\u{feff}person_key,unit,group\nA,SNV,leader\n"
            .as_bytes()
            .to_vec();
        let rows: Vec<_> = FrameReader::new(OneByte(text, 0)).unwrap().collect();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].is_ok());
        // Short inputs that merely start like a BOM are kept.
        let mut s = SkipBom::new(&b"\xEF\xBB"[..]);
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"\xEF\xBB");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let alphabet = b"person_key,unit,group,email,size\"\r\n\xEF\xBB\xBF\xff @.0123-_aA";
        for _ in 0..3000 {
            let len = rng.random_range(0..200);
            let mut bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            if rng.random_bool(0.5) {
                let mut with_header = b"person_key,unit,group,email,size,x\n".to_vec();
                with_header.append(&mut bytes);
                bytes = with_header;
            }
            if let Ok(reader) = FrameReader::new(&bytes[..]) {
                for item in reader {
                    if let Err(e) = item {
                        assert!(!e.reason.is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn lines_are_physical_lines_whatever_the_line_ends() {
        for (text, want) in [
            ("person_key,unit,group\nA,SNV,citizen\nB,SNV,xx\n", 3),
            ("person_key,unit,group\r\nA,SNV,citizen\r\nB,SNV,xx\r\n", 3),
            ("person_key,unit,group\r\n\r\nA,SNV,citizen\r\n\r\n\r\nB,SNV,xx\r\n", 6),
            ("person_key,unit,group\n\nA,SNV,citizen\n\n\nB,SNV,xx\n", 6),
            ("\u{feff}person_key,unit,group,x\r\nA,SNV,citizen,\"hai\r\ndòng\"\r\nB,SNV,xx,y\r\n", 4),
        ] {
            let errors = read_frame(text.as_bytes(), 10).unwrap_err();
            let group = errors.iter().find(|e| e.column.as_deref() == Some("group")).unwrap();
            assert_eq!(group.line, want, "{text:?}: {errors:?}");
        }
    }
}
