//! E-mail addresses of respondents, checked once when a frame is read.
//!
//! The check is deliberately plain (RFC 5321 length limits, a dot-atom local
//! part, an ASCII host name with a dot): it catches typing and export
//! mistakes in a frame; whether a mailbox exists only the mail server knows.

use std::fmt;

const MAX_TOTAL: usize = 254;
const MAX_LOCAL: usize = 64;
const MAX_LABEL: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("địa chỉ e-mail trống")]
    Empty,
    #[error("địa chỉ e-mail dài quá {MAX_TOTAL} ký tự")]
    TooLong,
    #[error("địa chỉ e-mail không được chứa khoảng trắng")]
    Space,
    #[error("địa chỉ e-mail phải có đúng một ký tự @")]
    At,
    #[error("phần trước @ trống hoặc dài quá {MAX_LOCAL} ký tự")]
    Local,
    #[error("phần trước @ có ký tự không hợp lệ hoặc dấu chấm ở đầu, cuối, liền nhau")]
    LocalCharacter,
    #[error("tên miền phải có dấu chấm, ví dụ ten@example.vn")]
    NoDot,
    #[error("tên miền có ký tự không hợp lệ hoặc phần trống giữa các dấu chấm")]
    Domain,
}

/// A syntactically sane e-mail address. The domain is lower-cased (host
/// names are case-insensitive); the local part is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, EmailError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > MAX_TOTAL {
            return Err(EmailError::TooLong);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Space);
        }
        let (local, domain) = match s.split_once('@') {
            Some((l, d)) if !d.contains('@') => (l, d),
            _ => return Err(EmailError::At),
        };
        if local.is_empty() || local.len() > MAX_LOCAL {
            return Err(EmailError::Local);
        }
        // Dot-atom text of RFC 5322, ASCII only: quoted local parts and
        // internationalised addresses are legal but rare enough in a frame
        // that they are more likely a mistake than a mailbox.
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
        if local
            .split('.')
            .any(|a| a.is_empty() || !a.chars().all(atext))
        {
            return Err(EmailError::LocalCharacter);
        }
        if !domain.contains('.') {
            return Err(EmailError::NoDot);
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= MAX_LABEL
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if !domain.split('.').all(label_ok) {
            return Err(EmailError::Domain);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_pass_and_the_domain_is_lower_cased() {
        for ok in [
            "nguyen.van.a@gmail.com",
            "a@b.vn",
            "phong_tcbc+2025@snv.quangninh.gov.vn",
            "  Tran.Thi.B@Example.VN ",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Email::parse(" Tran.B@Example.VN ").unwrap().as_str(),
            "Tran.B@example.vn"
        );
    }

    #[test]
    fn each_kind_of_mistake_has_its_reason() {
        let cases = [
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            ("nguyen van a@gmail.com", EmailError::Space),
            ("a\tb@gmail.com", EmailError::Space),
            ("nguyenvana.gmail.com", EmailError::At),
            ("a@b@gmail.com", EmailError::At),
            ("@gmail.com", EmailError::Local),
            (".a@gmail.com", EmailError::LocalCharacter),
            ("a..b@gmail.com", EmailError::LocalCharacter),
            ("a.@gmail.com", EmailError::LocalCharacter),
            ("nguyễn@gmail.com", EmailError::LocalCharacter),
            ("a(b)@gmail.com", EmailError::LocalCharacter),
            ("a@localhost", EmailError::NoDot),
            ("a@gmail..com", EmailError::Domain),
            ("a@.gmail.com", EmailError::Domain),
            ("a@gmail.com.", EmailError::Domain),
            ("a@-gmail.com", EmailError::Domain),
            ("a@gm_ail.com", EmailError::Domain),
        ];
        for (input, want) in cases {
            assert_eq!(Email::parse(input), Err(want), "{input:?}");
        }
    }

    #[test]
    fn length_limits_hold() {
        let local = "a".repeat(64);
        assert!(Email::parse(&format!("{local}@b.vn")).is_ok());
        assert_eq!(
            Email::parse(&format!("{local}a@b.vn")),
            Err(EmailError::Local)
        );
        let long_domain = format!("{}.vn", vec!["a".repeat(60); 5].join("."));
        assert_eq!(
            Email::parse(&format!("a@{long_domain}")),
            Err(EmailError::TooLong)
        );
        let long_label = format!("a@{}.vn", "b".repeat(64));
        assert_eq!(Email::parse(&long_label), Err(EmailError::Domain));
    }
}
