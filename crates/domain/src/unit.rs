//! Units (sở, phường, xã, đặc khu) and the rows that import them.

use std::fmt;

use super::code::{check_code, CodeError, Slug};

/// A unit's code as the province writes it, e.g. `SNV` or `P-HONGGAI`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        check_code(s, 32, |c| c.is_ascii_alphanumeric() || "_-.".contains(c))?;
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated unit, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUnit {
    pub code: UnitCode,
    pub name: String,
    /// The ranking block the unit is compared within.
    pub block: Slug,
    /// Which criteria set applies (sở, phường, xã, đặc khu, ...).
    pub unit_type: Slug,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("cột code: {0}")]
    Code(CodeError),
    #[error("cột name: tên đơn vị trống")]
    EmptyName,
    #[error("cột name: tên dài quá 200 ký tự")]
    NameTooLong,
    #[error("cột block: {0}")]
    Block(CodeError),
    #[error("cột unit_type: {0}")]
    UnitType(CodeError),
}

impl NewUnit {
    /// Validates one row; every problem of the row is returned, not only the first.
    pub fn parse(
        code: &str,
        name: &str,
        block: &str,
        unit_type: &str,
    ) -> Result<Self, Vec<UnitError>> {
        let mut errors = Vec::new();
        let code = UnitCode::parse(code)
            .map_err(|e| errors.push(UnitError::Code(e)))
            .ok();
        let name = crate::name::clean_name(name);
        let name = name.as_str();
        if name.is_empty() {
            errors.push(UnitError::EmptyName);
        } else if name.chars().count() > 200 {
            errors.push(UnitError::NameTooLong);
        }
        let block = Slug::parse(block)
            .map_err(|e| errors.push(UnitError::Block(e)))
            .ok();
        let unit_type = Slug::parse(unit_type)
            .map_err(|e| errors.push(UnitError::UnitType(e)))
            .ok();
        match (code, block, unit_type) {
            (Some(code), Some(block), Some(unit_type)) if errors.is_empty() => Ok(Self {
                code,
                name: name.to_string(),
                block,
                unit_type,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_row_parses_and_is_trimmed() {
        let u = NewUnit::parse(" SNV ", " Sở Nội vụ ", "so", "so").unwrap();
        assert_eq!(u.code.as_str(), "SNV");
        assert_eq!(u.name, "Sở Nội vụ");
    }

    #[test]
    fn every_problem_of_a_row_is_reported() {
        let errs = NewUnit::parse("a b", "", "Sở", "").unwrap_err();
        assert_eq!(errs.len(), 4, "{errs:?}");
    }
}
