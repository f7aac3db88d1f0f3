//! Staff file uploads: multipart forms streamed to a temporary file, with a
//! size limit, a type check on the bytes, and the CSRF token checked before
//! any file byte is accepted.

use std::io::Write;
use std::path::PathBuf;

use actix_multipart::Multipart;
use actix_web::{http::header, web, HttpRequest};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::auth::Staff;
use super::body::FormFields;
use super::WebError;
use crate::domain::upload::{display_name, other_encoding, sniff, FileKind, OtherEncoding};

/// Text fields of an upload form are small; anything larger is not ours.
const MAX_TEXT_FIELDS: usize = 64 * 1024;
/// Enough of the file to judge its kind.
const SNIFF_BYTES: usize = 1024;

pub struct Limits {
    pub max_bytes: u64,
    pub tmp_dir: PathBuf,
}

/// A received file, kept in a temporary file that is removed when dropped.
pub struct Upload {
    /// The name the browser sent, cleaned for showing (still to be escaped).
    pub name: String,
    pub kind: FileKind,
    pub size: u64,
    pub sha256: String,
    pub file: tempfile::NamedTempFile,
}

pub struct UploadForm {
    /// The text fields besides the files (the CSRF token among them).
    pub fields: FormFields,
    pub files: Vec<(String, Upload)>,
}

impl UploadForm {
    /// The one file sent in `field`, or a clear error.
    pub fn take_file(&mut self, field: &str) -> Result<Upload, WebError> {
        match self.files.iter().position(|(f, _)| f == field) {
            Some(i) => Ok(self.files.swap_remove(i).1),
            None => Err(WebError::BadRequest(vec![
                "Chưa chọn tệp để tải lên.".into()
            ])),
        }
    }
}

impl Staff {
    /// Reads a multipart staff form. The page must put its `csrf` field
    /// before the file inputs (browsers send fields in page order), so a
    /// forged request is refused before its file is written anywhere.
    pub async fn upload(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
        limits: &Limits,
        allowed: &[FileKind],
    ) -> Result<UploadForm, WebError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !content_type.starts_with("multipart/form-data") {
            return Err(WebError::BadRequest(vec![
                "Tệp phải gửi bằng biểu mẫu multipart/form-data.".into(),
            ]));
        }
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let ceiling = limits.max_bytes + MAX_TEXT_FIELDS as u64;
        if declared.is_some_and(|n| n > ceiling) {
            return Err(WebError::TooLarge(limits.max_bytes as usize));
        }
        let mut parts = Multipart::new(req.headers(), payload);
        let mut fields = Vec::new();
        let mut text_bytes = 0usize;
        let mut csrf_ok = false;
        let mut files = Vec::new();
        // The limit covers the whole request, not each file: twelve parts
        // just under it must not pass (each would sit in the temporary
        // directory until the request ends).
        let mut file_bytes = 0u64;
        while let Some(part) = parts.next().await {
            let mut part = part.map_err(bad_multipart)?;
            let name = part.name().unwrap_or("").to_string();
            let file_name = part
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(str::to_string);
            match file_name {
                None => {
                    let mut value = Vec::new();
                    while let Some(chunk) = part.next().await {
                        let chunk = chunk.map_err(bad_multipart)?;
                        text_bytes += chunk.len();
                        if text_bytes > MAX_TEXT_FIELDS {
                            return Err(WebError::TooLarge(MAX_TEXT_FIELDS));
                        }
                        value.extend_from_slice(&chunk);
                    }
                    let value = String::from_utf8(value).map_err(|_| {
                        WebError::BadRequest(vec![format!("Trường \"{name}\" không phải UTF-8.")])
                    })?;
                    if name == "csrf" {
                        self.check_csrf(&FormFields(vec![("csrf".into(), value.clone())]))?;
                        csrf_ok = true;
                    }
                    fields.push((name, value));
                }
                Some(raw_name) => {
                    if !csrf_ok {
                        return Err(WebError::BadCsrf);
                    }
                    if raw_name.is_empty() {
                        // An empty file input: the browser sends the part anyway.
                        while part.next().await.is_some() {}
                        continue;
                    }
                    let upload =
                        receive(&mut part, &raw_name, limits, allowed, &mut file_bytes).await?;
                    files.push((name, upload));
                }
            }
        }
        if !csrf_ok {
            return Err(WebError::BadCsrf);
        }
        Ok(UploadForm {
            fields: FormFields(fields),
            files,
        })
    }
}

fn bad_multipart(e: impl std::fmt::Display) -> WebError {
    WebError::BadRequest(vec![format!("Không đọc được dữ liệu tải lên: {e}")])
}

async fn receive(
    part: &mut actix_multipart::Field,
    raw_name: &str,
    limits: &Limits,
    allowed: &[FileKind],
    request_bytes: &mut u64,
) -> Result<Upload, WebError> {
    let name = display_name(raw_name);
    std::fs::create_dir_all(&limits.tmp_dir).map_err(io_error)?;
    // Writes are small and local; uploads are rare staff actions, so the
    // worker thread may do them itself.
    let mut file = tempfile::NamedTempFile::new_in(&limits.tmp_dir).map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut size = 0u64;
    while let Some(chunk) = part.next().await {
        let chunk = chunk.map_err(bad_multipart)?;
        size += chunk.len() as u64;
        *request_bytes += chunk.len() as u64;
        if *request_bytes > limits.max_bytes {
            return Err(WebError::TooLarge(limits.max_bytes as usize));
        }
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        file.write_all(&chunk).map_err(io_error)?;
    }
    if size == 0 {
        return Err(WebError::BadRequest(vec![format!("Tệp \"{name}\" trống.")]));
    }
    file.flush().map_err(io_error)?;
    // A table form takes an Excel workbook as well: its first sheet
    // becomes the CSV the importers read, with Excel's row numbers.
    if allowed.contains(&FileKind::Csv)
        && !allowed.contains(&FileKind::OfficeXml)
        && sniff(&name, &head) == Some(FileKind::OfficeXml)
        && name.to_lowercase().ends_with(".xlsx")
    {
        return xlsx_to_csv(file, name);
    }
    if allowed.contains(&FileKind::Csv) && sniff(&name, &head).is_none() {
        match other_encoding(&name, &head) {
            Some(OtherEncoding::Legacy) => {
                return Err(WebError::BadRequest(vec![format!(
                    "Tệp \"{name}\" không ở bảng mã UTF-8: có lẽ là Windows-1258 (bảng mã mà Excel trên \
                     Windows tiếng Việt dùng khi lưu \"CSV (Comma delimited)\"), hoặc TCVN3/VNI. \
                     Trong Excel chọn Tệp → Lưu thành → \"CSV UTF-8 (Comma delimited) (*.csv)\" rồi tải lên lại."
                )]))
            }
            Some(utf16) => return utf16_to_utf8(file, name, utf16),
            None => {}
        }
    }
    let kind = sniff(&name, &head)
        .filter(|k| allowed.contains(k))
        .ok_or_else(|| WebError::UnsupportedType {
            file: name.clone(),
            allowed: allowed.iter().map(|k| k.label()).collect(),
        })?;
    Ok(Upload {
        name,
        kind,
        size,
        sha256: hex::encode(hasher.finalize()),
        file,
    })
}

/// A CSV saved as UTF-16 with its byte-order mark (Excel's "Unicode Text"):
/// unambiguous, so it is converted to the UTF-8 the importers read, in
/// pieces, into a new temporary file.
fn utf16_to_utf8(
    file: tempfile::NamedTempFile,
    name: String,
    encoding: OtherEncoding,
) -> Result<Upload, WebError> {
    use std::io::Read;
    let encoding = match encoding {
        OtherEncoding::Utf16Be => encoding_rs::UTF_16BE,
        _ => encoding_rs::UTF_16LE,
    };
    let dir = file.path().parent().map(PathBuf::from).unwrap_or_default();
    let mut out = tempfile::NamedTempFile::new_in(dir).map_err(io_error)?;
    let mut decoder = encoding.new_decoder_with_bom_removal();
    let mut input = std::fs::File::open(file.path()).map_err(io_error)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut text = String::with_capacity(128 * 1024);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut malformed = false;
    loop {
        let n = input.read(&mut buf).map_err(io_error)?;
        let last = n == 0;
        text.clear();
        text.reserve(decoder.max_utf8_buffer_length(n).unwrap_or(n * 3));
        let (_, _, had_errors) = decoder.decode_to_string(&buf[..n], &mut text, last);
        malformed |= had_errors;
        hasher.update(text.as_bytes());
        size += text.len() as u64;
        out.write_all(text.as_bytes()).map_err(io_error)?;
        if last {
            break;
        }
    }
    if malformed {
        return Err(WebError::BadRequest(vec![format!(
            "Tệp \"{name}\" bắt đầu như văn bản UTF-16 nhưng có đoạn không đọc được; hãy lưu lại bằng \"CSV UTF-8 (Comma delimited) (*.csv)\"."
        )]));
    }
    out.flush().map_err(io_error)?;
    Ok(Upload {
        name,
        kind: FileKind::Csv,
        size,
        sha256: hex::encode(hasher.finalize()),
        file: out,
    })
}

/// The first sheet of an uploaded workbook as a CSV upload (the name kept,
/// so messages name the file the user chose).
fn xlsx_to_csv(file: tempfile::NamedTempFile, name: String) -> Result<Upload, WebError> {
    let csv = crate::report::sheet_in::first_sheet_as_csv(file.path())
        .map_err(|e| WebError::BadRequest(vec![format!("Tệp \"{name}\": {e}")]))?;
    let dir = file.path().parent().map(PathBuf::from).unwrap_or_default();
    let mut out = tempfile::NamedTempFile::new_in(dir).map_err(io_error)?;
    out.write_all(&csv).map_err(io_error)?;
    out.flush().map_err(io_error)?;
    Ok(Upload {
        name,
        kind: FileKind::Csv,
        size: csv.len() as u64,
        sha256: hex::encode(Sha256::digest(&csv)),
        file: out,
    })
}

fn io_error(e: std::io::Error) -> WebError {
    WebError::Upload(e.to_string())
}
