//! The sampling frame: the people eligible to answer, one row each.

use std::collections::BTreeMap;
use std::fmt;

use super::plan::{GroupRule, SamplingRules};
use super::{SamplingError, StratumId};
use crate::email::Email;
use crate::questionnaire::RespondentGroup;
use crate::unit::UnitCode;

const MAX_KEY: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonKeyError {
    #[error("mã người trống")]
    Empty,
    #[error("mã người dài quá {MAX_KEY} ký tự")]
    TooLong,
    #[error("mã người không được chứa ký tự điều khiển hoặc xuống dòng")]
    Control,
}

/// A person's key in the frame (e.g. a case number or an internal id).
/// Draws order people by this key, comparing the UTF-8 bytes (Unicode code
/// point order, not Vietnamese collation), so the frame's row order never
/// matters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PersonKey(String);

impl PersonKey {
    pub fn parse(s: &str) -> Result<Self, PersonKeyError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(PersonKeyError::Empty);
        }
        if s.chars().count() > MAX_KEY {
            return Err(PersonKeyError::TooLong);
        }
        if s.chars().any(char::is_control) {
            return Err(PersonKeyError::Control);
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One validated row of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRow {
    pub person: PersonKey,
    /// The unit the person dealt with or works in; whether it exists is
    /// checked against the database, not here.
    pub unit: UnitCode,
    pub group: RespondentGroup,
    pub email: Option<Email>,
    pub phone: Option<crate::contact::Phone>,
    pub address: Option<crate::contact::PostalAddress>,
    /// Whom a letter is addressed to.
    pub name: Option<String>,
    /// A size measure (households, employees, ...), for cluster designs.
    pub size: Option<u64>,
    /// Every other column: name → value (trimmed; may be empty).
    pub strata: BTreeMap<String, String>,
}

impl FrameRow {
    /// The stratum this row falls in under `rule`: its unit, group and the
    /// values of the rule's stratifying columns.
    pub fn stratum(&self, rule: &GroupRule) -> Result<StratumId, SamplingError> {
        let mut cells = Vec::with_capacity(rule.strata.len());
        for col in &rule.strata {
            let value = self
                .strata
                .get(col)
                .ok_or_else(|| SamplingError::MissingStratumColumn(col.clone()))?;
            cells.push((col.as_str(), value.as_str()));
        }
        StratumId::survey(&self.unit, self.group, &cells)
    }
}

/// Counts people per stratum of each unit × group, e.g. while streaming a
/// frame. Rows of a group that has no sampling rule are counted in
/// `unruled` and otherwise ignored (that group is not sampled).
pub fn count_strata<'a>(
    rules: &SamplingRules,
    rows: impl IntoIterator<Item = &'a FrameRow>,
) -> Result<StrataCounts, SamplingError> {
    let mut counts = StrataCounts::default();
    for row in rows {
        counts.add(rules, row)?;
    }
    Ok(counts)
}

/// People per stratum, by unit × group, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrataCounts {
    pub strata: BTreeMap<(UnitCode, RespondentGroup), BTreeMap<StratumId, u64>>,
    pub unruled: u64,
}

impl StrataCounts {
    /// Adds one row; returns its stratum, or None when its group has no rule.
    pub fn add(
        &mut self,
        rules: &SamplingRules,
        row: &FrameRow,
    ) -> Result<Option<StratumId>, SamplingError> {
        let Some(rule) = rules.get(&row.group) else {
            self.unruled += 1;
            return Ok(None);
        };
        let id = row.stratum(rule)?;
        *self
            .strata
            .entry((row.unit.clone(), row.group))
            .or_default()
            .entry(id.clone())
            .or_default() += 1;
        Ok(Some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_keys_are_trimmed_and_checked() {
        assert_eq!(PersonKey::parse("  HS-001 ").unwrap().as_str(), "HS-001");
        assert_eq!(
            PersonKey::parse("Nguyễn Văn A").unwrap().as_str(),
            "Nguyễn Văn A"
        );
        assert_eq!(PersonKey::parse(" "), Err(PersonKeyError::Empty));
        assert_eq!(PersonKey::parse("a\nb"), Err(PersonKeyError::Control));
        assert_eq!(
            PersonKey::parse(&"x".repeat(129)),
            Err(PersonKeyError::TooLong)
        );
        assert!(PersonKey::parse(&"ễ".repeat(128)).is_ok());
    }

    #[test]
    fn strata_follow_the_rule_columns() {
        let rules: SamplingRules = toml::from_str(
            r#"
            [citizen]
            rule = "yamane"
            margin = 0.05
            response_rate = 0.5
            strata = ["linh_vuc"]
            [civil_servant]
            rule = "yamane"
            margin = 0.05
            response_rate = 0.5
            "#,
        )
        .unwrap();
        let row = |key: &str, group, field: &str| FrameRow {
            person: PersonKey::parse(key).unwrap(),
            unit: UnitCode::parse("X-AN").unwrap(),
            group,
            email: None,
            phone: None,
            address: None,
            name: None,
            size: None,
            strata: BTreeMap::from([("linh_vuc".to_string(), field.to_string())]),
        };
        let rows = [
            row("1", RespondentGroup::Citizen, "Đất đai"),
            row("2", RespondentGroup::Citizen, "Hộ tịch"),
            row("3", RespondentGroup::Citizen, "Đất đai"),
            row("4", RespondentGroup::CivilServant, ""),
            row("5", RespondentGroup::Leader, ""),
        ];
        let c = count_strata(&rules, &rows).unwrap();
        assert_eq!(c.unruled, 1);
        let unit = UnitCode::parse("X-AN").unwrap();
        let citizen = &c.strata[&(unit.clone(), RespondentGroup::Citizen)];
        let land = StratumId::from_parts(&["X-AN", "citizen", "linh_vuc", "Đất đai"]).unwrap();
        assert_eq!(citizen[&land], 2);
        assert_eq!(citizen.len(), 2);
        // Civil servants are not stratified: one stratum per unit.
        let cs = &c.strata[&(unit, RespondentGroup::CivilServant)];
        assert_eq!(
            cs.keys().next().unwrap(),
            &StratumId::from_parts(&["X-AN", "civil_servant"]).unwrap()
        );
        // A rule naming a column the frame lacks is an error.
        let mut other = rows[0].clone();
        other.strata.clear();
        assert_eq!(
            count_strata(&rules, [&other]),
            Err(SamplingError::MissingStratumColumn("linh_vuc".into()))
        );
    }
}
