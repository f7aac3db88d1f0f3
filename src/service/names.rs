//! The one place where a code becomes the Vietnamese name a page, an export
//! or a message shows: ranking blocks, unit types, criteria sets, criteria
//! and departments, from a profile (a campaign's frozen one) or from the
//! profiles the province has installed. Codes of fixed vocabularies (groups,
//! roles, states) are named by their domain types' `label()`; the pages'
//! words for stored state codes live in `templates/labels.html`.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::profile::Profile;
use crate::domain::units_csv::Known;

use super::App;

/// A dossier's state in words, for pages (the `labels.state` macro calls
/// this through the `dossier_state` filter) and exports: the four stages of
/// the lifecycle and the three states of a unit without a submitted
/// dossier ([`super::appraisal::NO_DOSSIER`] and the deadline's two sides).
pub fn dossier_state(code: &str) -> &'static str {
    use super::appraisal::{NOT_SUBMITTED, NOT_YET, NO_DOSSIER};
    use crate::domain::index::DossierStage;
    match code {
        c if c == DossierStage::Draft.code() => "Đang soạn",
        c if c == DossierStage::Submitted.code() => "Đã nộp, đang thẩm định",
        c if c == DossierStage::InExplanation.code() => "Đang giải trình",
        c if c == DossierStage::Approved.code() => "Hội đồng đã phê duyệt",
        NO_DOSSIER => "Chưa lập hồ sơ",
        NOT_SUBMITTED => "Không nộp hồ sơ trong thời hạn",
        NOT_YET => "Chưa nộp hồ sơ (còn trong hạn)",
        _ => "Không rõ",
    }
}

const NO_DEPARTMENT: &str = "chưa phân công";

/// A department's name in one profile (the appraisal views name one per
/// criterion, without building every name of the profile).
pub fn department(profile: &Profile, code: Option<&str>) -> String {
    match code {
        Some(c) => profile
            .department(c)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| c.to_string()),
        None => NO_DEPARTMENT.into(),
    }
}

/// Names by code, merged over one or more profiles (the first profile that
/// names a code wins, as the installed files are listed).
#[derive(Debug, Clone, Default)]
pub struct Names {
    blocks: BTreeMap<String, String>,
    /// Unit type → (its own name if a profile gives one, its criteria set's name).
    unit_types: BTreeMap<String, (Option<String>, String)>,
    departments: BTreeMap<String, String>,
}

impl Names {
    /// The names one profile gives (a campaign's pages use its frozen profile).
    pub fn of(profile: &Profile) -> Self {
        let mut n = Self::default();
        n.add(profile);
        n
    }

    /// The names of the province's installed profiles; None without any
    /// profile or when they cannot be read (`chiso check` reports that).
    pub fn installed(app: &App) -> Option<Self> {
        let files = super::profiles::load(std::slice::from_ref(&app.profiles_dir)).ok()?;
        if files.is_empty() {
            return None;
        }
        let mut n = Self::default();
        for f in &files {
            n.add(&f.profile);
        }
        Some(n)
    }

    fn add(&mut self, p: &Profile) {
        for b in &p.ranking.blocks {
            self.blocks
                .entry(b.code.clone())
                .or_insert_with(|| b.name.clone());
        }
        for set in &p.criteria_sets {
            for t in &set.unit_types {
                let own = p.unit_type_name(t).map(str::to_string);
                let entry = self
                    .unit_types
                    .entry(t.clone())
                    .or_insert_with(|| (None, set.name.clone()));
                if entry.0.is_none() {
                    entry.0 = own;
                }
            }
        }
        for d in &p.departments {
            self.departments
                .entry(d.code.clone())
                .or_insert_with(|| d.name.clone());
        }
    }

    /// A ranking block's name, or its code where no profile names it.
    pub fn block(&self, code: &str) -> String {
        self.blocks
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    pub fn block_names(&self) -> &BTreeMap<String, String> {
        &self.blocks
    }

    /// A unit type's name: the profile's `[unit_types]` name, else "đơn vị
    /// chấm theo <criteria set>", else the code itself (a type no profile
    /// knows, which the units import refuses when profiles are installed).
    pub fn unit_type(&self, code: &str) -> String {
        match self.unit_types.get(code) {
            Some((Some(name), _)) => name.clone(),
            Some((None, set)) => format!("đơn vị chấm theo {set}"),
            None => code.to_string(),
        }
    }

    /// The name of the criteria set a unit type is scored with.
    pub fn criteria_set_of(&self, unit_type: &str) -> Option<&str> {
        self.unit_types.get(unit_type).map(|(_, set)| set.as_str())
    }

    /// A department's name; "chưa phân công" for none.
    pub fn department(&self, code: Option<&str>) -> String {
        match code {
            Some(c) => self
                .departments
                .get(c)
                .cloned()
                .unwrap_or_else(|| c.to_string()),
            None => NO_DEPARTMENT.into(),
        }
    }

    /// What the units import checks codes against.
    pub fn known(&self) -> Known {
        Known {
            blocks: self.blocks.keys().cloned().collect::<BTreeSet<_>>(),
            unit_types: self.unit_types.keys().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str) -> Profile {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("questionnaires/profiles")
            .join(format!("{name}.toml"));
        crate::domain::profile::parse_profile(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn every_code_of_a_profile_has_its_name_and_an_unknown_code_stays_itself() {
        let n = Names::of(&profile("hai-phong-2025"));
        assert_eq!(n.block("xa_dac_khu"), "Khối xã, đặc khu");
        assert_eq!(n.unit_type("dac_khu"), "Đặc khu");
        assert_eq!(
            n.criteria_set_of("dac_khu"),
            Some("Bộ tiêu chí Chỉ số CCHC UBND xã, đặc khu")
        );
        assert_eq!(n.department(Some("tu_phap")), "Sở Tư pháp");
        assert_eq!(n.department(None), "chưa phân công");
        assert_eq!(n.block("khac"), "khac");
        assert_eq!(n.unit_type("khac"), "khac");
    }

    #[test]
    fn a_unit_type_the_profile_does_not_name_is_named_by_its_criteria_set() {
        let mut p = profile("son-la-2021");
        p.unit_type_names.clear();
        assert_eq!(
            Names::of(&p).unit_type("huyen"),
            "đơn vị chấm theo Bộ tiêu chí xác định Chỉ số CCHC khối UBND huyện, thành phố"
        );
    }

    #[test]
    fn the_first_profile_that_names_a_code_wins() {
        let mut n = Names::of(&profile("son-la-2021"));
        n.add(&profile("hai-phong-2025"));
        assert_eq!(
            n.block("so"),
            Names::of(&profile("son-la-2021")).block("so")
        );
        assert_eq!(n.unit_type("dac_khu"), "Đặc khu");
    }
}
