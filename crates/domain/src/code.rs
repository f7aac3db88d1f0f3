//! Short machine codes used in files, URLs and form field names.

use std::fmt;

/// Why a string is not an acceptable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("mã trống")]
    Empty,
    #[error("mã dài quá {max} ký tự")]
    TooLong { max: usize },
    #[error("mã \"{0}\" chỉ được dùng chữ không dấu, chữ số, '_', '-' hoặc '.'")]
    BadCharacter(String),
}

/// Checks a code against a character class. Codes end up in URLs, CSS selectors
/// and form field names, so they are restricted to a safe ASCII alphabet.
pub fn check_code(s: &str, max: usize, allow: impl Fn(char) -> bool) -> Result<(), CodeError> {
    if s.is_empty() {
        return Err(CodeError::Empty);
    }
    if s.chars().count() > max {
        return Err(CodeError::TooLong { max });
    }
    if !s.chars().all(allow) {
        return Err(CodeError::BadCharacter(s.to_string()));
    }
    Ok(())
}

/// A lowercase identifier such as a block (`so`, `phuong`) or a unit type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        check_code(s, 32, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
        })?;
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
