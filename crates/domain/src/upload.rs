//! What kind of file an upload is, judged by its name and its first bytes
//! together: an extension alone is a claim, the bytes are the evidence.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// UTF-8 text with comma-separated values (imports).
    Csv,
    Pdf,
    Png,
    Jpeg,
    /// Office Open XML documents (docx, xlsx): zip containers.
    OfficeXml,
}

impl FileKind {
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Csv => "CSV",
            FileKind::Pdf => "PDF",
            FileKind::Png => "PNG",
            FileKind::Jpeg => "JPEG",
            FileKind::OfficeXml => "Word/Excel (docx, xlsx)",
        }
    }
}

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The kind of a file from its name and its first bytes (at least 8, or the
/// whole file when shorter), or None when they disagree or match nothing.
pub fn sniff(name: &str, head: &[u8]) -> Option<FileKind> {
    let ext = extension(name);
    match ext.as_str() {
        "csv" | "txt" => {
            let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
            // Text: no NUL, and valid UTF-8 except for a sequence cut at the
            // end of the sniffed prefix.
            let valid = match std::str::from_utf8(body) {
                Ok(_) => true,
                Err(e) => e.error_len().is_none(),
            };
            (valid && !body.contains(&0)).then_some(FileKind::Csv)
        }
        "pdf" => head.starts_with(b"%PDF-").then_some(FileKind::Pdf),
        "png" => head
            .starts_with(b"\x89PNG\r\n\x1a\n")
            .then_some(FileKind::Png),
        "jpg" | "jpeg" => head.starts_with(b"\xFF\xD8\xFF").then_some(FileKind::Jpeg),
        "docx" | "xlsx" => head
            .starts_with(b"PK\x03\x04")
            .then_some(FileKind::OfficeXml),
        _ => None,
    }
}

/// The encoding of a text file that is not the UTF-8 a CSV must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherEncoding {
    /// With its byte-order mark: unambiguous, converted on upload.
    Utf16Le,
    Utf16Be,
    /// Bytes that are not UTF-8 and no NUL: a single-byte code page. On a
    /// Vietnamese Windows, Excel's "CSV (Comma delimited)" writes
    /// Windows-1258; TCVN3 and VNI files look the same from the bytes.
    Legacy,
}

/// Why a `.csv`/`.txt` file the sniffer refused is not UTF-8, when it is
/// text in another encoding (None: UTF-8, or not text at all).
pub fn other_encoding(name: &str, head: &[u8]) -> Option<OtherEncoding> {
    if !matches!(extension(name).as_str(), "csv" | "txt") {
        return None;
    }
    if head.starts_with(b"\xFF\xFE") {
        return Some(OtherEncoding::Utf16Le);
    }
    if head.starts_with(b"\xFE\xFF") {
        return Some(OtherEncoding::Utf16Be);
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let utf8 = match std::str::from_utf8(body) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    (!utf8 && !body.contains(&0)).then_some(OtherEncoding::Legacy)
}

/// A file name fit to show and store: the last path component, control
/// characters removed, at most 200 characters. Markup stays as text; pages
/// escape it when they show it.
pub fn display_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim().to_string();
    if clean.is_empty() {
        "tệp không tên".to_string()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_and_bytes_must_agree() {
        assert_eq!(
            sniff("don_vi.csv", b"\xEF\xBB\xBFcode,name"),
            Some(FileKind::Csv)
        );
        assert_eq!(
            sniff("DON VI.CSV", "mã,tên".as_bytes()),
            Some(FileKind::Csv)
        );
        assert_eq!(
            sniff("x.csv", b"%PDF-1.7\n"),
            Some(FileKind::Csv),
            "text is text"
        );
        assert_eq!(
            sniff("x.csv", b"MZ\x90\x00\x03"),
            None,
            "a NUL byte is not CSV"
        );
        assert_eq!(sniff("x.csv", b"\xFF\xFE\x00a"), None, "not UTF-8");
        // A multi-byte character cut by the sniffing window is fine.
        let cut = &"ạ".as_bytes()[..2];
        assert_eq!(sniff("x.csv", cut), Some(FileKind::Csv));
        assert_eq!(sniff("bien_ban.pdf", b"%PDF-1.4"), Some(FileKind::Pdf));
        assert_eq!(sniff("bien_ban.pdf", b"<html>"), None);
        assert_eq!(sniff("anh.jpg", b"\xFF\xD8\xFF\xE0"), Some(FileKind::Jpeg));
        assert_eq!(
            sniff("bao_cao.docx", b"PK\x03\x04"),
            Some(FileKind::OfficeXml)
        );
        assert_eq!(sniff("virus.exe", b"MZ"), None);
        assert_eq!(sniff("noext", b"code,name"), None);
    }

    #[test]
    fn text_in_another_encoding_is_named() {
        // "Sở Tư pháp" as Excel on a Vietnamese Windows saves it (Windows-1258).
        let cp1258: &[u8] = b"code,name\nSTP,S\xDE\xA0 T\xFD ph\xE1p\n";
        assert_eq!(sniff("don_vi.csv", cp1258), None);
        assert_eq!(
            other_encoding("don_vi.csv", cp1258),
            Some(OtherEncoding::Legacy)
        );
        assert_eq!(
            other_encoding("don_vi.csv", b"\xFF\xFEc\x00o\x00"),
            Some(OtherEncoding::Utf16Le)
        );
        assert_eq!(
            other_encoding("don_vi.csv", b"\xFE\xFF\x00c\x00o"),
            Some(OtherEncoding::Utf16Be)
        );
        assert_eq!(other_encoding("don_vi.csv", "mã,tên".as_bytes()), None);
        assert_eq!(other_encoding("x.csv", b"MZ\x90\x00\x03"), None, "binary");
        assert_eq!(other_encoding("x.pdf", cp1258), None);
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(display_name("C:\\Users\\a\\đơn vị.csv"), "đơn vị.csv");
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("a\u{0}b\n.csv"), "ab.csv");
        assert_eq!(display_name("<b onclick=x>.csv"), "<b onclick=x>.csv");
        assert_eq!(display_name(""), "tệp không tên");
    }
}
