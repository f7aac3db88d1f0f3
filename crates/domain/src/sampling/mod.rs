//! Probability sampling for the survey: how many people to ask per unit and
//! respondent group ([`size`]), how to split that number over strata
//! ([`allocation`]), the whole plan of one unit × group ([`plan`]), the
//! seeded, replayable draw of people ([`draw`]) and cluster stages with
//! probability proportional to size for area surveys ([`pps`]).
//!
//! Everything here is pure: the seed comes in as a value and the frame as
//! rows, so an audit can replay any draw from the published seed and frame.
//! README.md ("Sampling") states the algorithms in enough detail to
//! re-implement them.

pub mod allocation;
pub mod draw;
pub mod frame;
pub mod frame_csv;
pub mod plan;
pub mod pps;
pub mod size;

pub use allocation::{allocate, Allocation, AllocationRule, StratumSize};
pub use draw::{
    draw, draw_stratum, shuffled_prefix, stratum_rng, uniform_below, DrawSeed, Drawn, Role,
};
pub use frame::{count_strata, FrameRow, PersonKey, PersonKeyError, StrataCounts};
pub use plan::{
    plan_clustered, plan_unit_group, ClusterDesign, ClusterPlan, GroupRule, SamplingRules, Stage,
    StratumInput, StratumPlan, UnitGroupPlan,
};
pub use pps::{
    draw_in_clusters, select_stages, systematic_pps, Cluster, ClusterNode, PpsOrder, PpsSelection,
    SelectedCluster,
};
pub use size::{
    achieved_margin, cochran, inflate, yamane, Confidence, Margin, Proportion, ResponseRate,
    SizeRule,
};

use std::fmt;

use super::questionnaire::RespondentGroup;
use super::unit::UnitCode;

/// Why a sampling rule, plan or draw cannot be carried out. The messages are
/// shown to Home Affairs staff, hence Vietnamese.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SamplingError {
    #[error("mức tin cậy {0} phải lớn hơn 0 và nhỏ hơn 1, ví dụ 0.95")]
    Confidence(f64),
    #[error("sai số {0} phải lớn hơn 0 và nhỏ hơn 1, ví dụ 0.05 (5 %)")]
    Margin(f64),
    #[error("tỷ lệ giả định p = {0} phải lớn hơn 0 và nhỏ hơn 1, thường là 0.5")]
    Proportion(f64),
    #[error("tỷ lệ phản hồi dự kiến {0} phải lớn hơn 0 và không quá 1, ví dụ 0.6")]
    ResponseRate(f64),
    #[error("tỷ lệ mẫu dự phòng {0} phải từ 0 đến 10, ví dụ 0.2 (20 %)")]
    ReserveShare(f64),
    #[error("quy tắc \"{rule}\" cần khóa {field}")]
    MissingField {
        rule: &'static str,
        field: &'static str,
    },
    #[error("khóa {field} không dùng với quy tắc \"{rule}\"")]
    UnusedField {
        rule: &'static str,
        field: &'static str,
    },
    #[error("chưa đặt cỡ mẫu cố định (quota) cho loại đơn vị \"{0}\"")]
    NoQuota(String),
    #[error("phân bổ Neyman cần độ lệch chuẩn của mọi tầng; tầng {0} chưa có")]
    MissingStdDev(String),
    #[error("độ lệch chuẩn {value} của tầng {stratum} phải là số không âm")]
    StdDev { stratum: String, value: f64 },
    #[error("hạt giống (seed) phải có từ 1 đến 200 ký tự và không chứa ký tự điều khiển")]
    Seed,
    #[error("thành phần \"{0}\" của mã tầng hoặc mã cụm không được trống, quá 200 ký tự hay chứa ký tự điều khiển")]
    IdPart(String),
    #[error("tầng {0} xuất hiện hai lần trong kế hoạch")]
    DuplicateStratum(String),
    #[error("mã người \"{person}\" xuất hiện hai lần trong tầng {stratum}")]
    DuplicatePerson { stratum: String, person: String },
    #[error("tầng {stratum} có {population} người, không đủ để chọn {wanted}")]
    NotEnoughPersons {
        stratum: String,
        population: u64,
        wanted: u64,
    },
    #[error("tầng {0} có trong khung mẫu nhưng không có trong kế hoạch")]
    UnplannedStratum(String),
    #[error("tầng {stratum}: kế hoạch lập cho {planned} người nhưng khung mẫu có {found}; hãy lập lại kế hoạch")]
    PopulationChanged {
        stratum: String,
        planned: u64,
        found: u64,
    },
    #[error("khung mẫu không có cột phân tầng \"{0}\"")]
    MissingStratumColumn(String),
    #[error("cụm \"{0}\" có quy mô 0; quy mô phải là số nguyên dương")]
    ZeroSize(String),
    #[error("mã cụm \"{0}\" xuất hiện hai lần trong cùng một cấp")]
    DuplicateCluster(String),
    #[error("tổng quy mô các cụm vượt quá giới hạn tính toán")]
    SizeOverflow,
    #[error("thiết kế nhiều giai đoạn cần ít nhất một cấp cụm")]
    NoStages,
    #[error("clusters.stages cần ít nhất một cấp, mỗi cấp chọn ít nhất một cụm (take ≥ 1)")]
    ClusterStages,
    #[error("clusters.icc (hệ số tương quan nội cụm) phải từ 0 đến 1, đang là {0}")]
    Icc(f64),
    #[error("không dùng đồng thời strata và clusters trong một quy tắc")]
    StrataWithClusters,

    #[error("cụm \"{0}\" được chọn nhưng không có cụm con nào cho giai đoạn sau")]
    NoChildren(String),
}

/// The identity of a stratum (or of a cluster stage): a list of parts, e.g.
/// `["P-HONGGAI", "citizen", "linh_vuc", "Đất đai"]`. The draw derives the
/// stratum's random stream from it, so it must be stable across years of
/// code: it is stored as the parts joined by U+001F (unit separator), which
/// no part may contain, making the joined form unambiguous.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct StratumId(String);

pub(crate) const SEPARATOR: char = '\u{1f}';
const MAX_PART: usize = 200;

impl StratumId {
    /// Parts may be empty (an empty stratum value is a category of its own)
    /// but may not contain control characters.
    pub fn from_parts<S: AsRef<str>>(parts: &[S]) -> Result<Self, SamplingError> {
        let mut s = String::new();
        for (i, p) in parts.iter().enumerate() {
            let p = p.as_ref();
            if p.chars().any(char::is_control) || p.chars().count() > MAX_PART {
                return Err(SamplingError::IdPart(p.escape_debug().to_string()));
            }
            if i > 0 {
                s.push(SEPARATOR);
            }
            s.push_str(p);
        }
        Ok(Self(s))
    }

    /// The stratum of a survey draw: unit, respondent group, then each
    /// stratifying column's name and value, in the rule's column order.
    pub fn survey(
        unit: &UnitCode,
        group: RespondentGroup,
        cells: &[(&str, &str)],
    ) -> Result<Self, SamplingError> {
        let mut parts = vec![unit.as_str(), group.code()];
        for (name, value) in cells {
            parts.push(name);
            parts.push(value);
        }
        Self::from_parts(&parts)
    }

    /// The joined form that seeds the stratum's random stream.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn parts(&self) -> impl Iterator<Item = &str> {
        self.0.split(SEPARATOR)
    }

    /// An id as the draw stored it.
    pub fn from_stored(joined: &str) -> Self {
        Self(joined.to_string())
    }

    /// The people of an area design's selected cluster: `people␟UNIT/group␟path…`.
    fn area_people(&self) -> Option<(&str, &str)> {
        let mut parts = self.parts();
        (parts.next()? == AREA_PEOPLE).then_some(())?;
        parts.next()?.rsplit_once('/')
    }

    /// The unit code and respondent group whose people the stratum holds:
    /// the first two parts of a stratified draw's id (`UNIT␟group␟…`), the
    /// root cluster of an area design's (`people␟UNIT/group␟…`).
    pub fn owner(&self) -> Option<(&str, &str)> {
        if let Some(owner) = self.area_people() {
            return Some(owner);
        }
        let mut parts = self.parts();
        let unit = parts.next()?;
        Some((unit, parts.next()?))
    }

    /// Its readable form without unit and group (which pages show in their
    /// own columns): the stratifying values of a stratified draw, or the
    /// cluster path of an area design, joined by " / ".
    pub fn label(&self) -> String {
        let parts: Vec<&str> = self.parts().collect();
        let shown: Vec<&str> = if self.area_people().is_some() {
            parts.iter().skip(2).copied().collect()
        } else {
            // unit, group, then name/value pairs: keep the values.
            parts.iter().skip(3).step_by(2).copied().collect()
        };
        shown.join(" / ")
    }
}

/// The first part of the id of an area design's people in a cluster.
pub(crate) const AREA_PEOPLE: &str = "people";

impl fmt::Display for StratumId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = self.parts().collect();
        f.write_str(&parts.join(" / "))
    }
}

/// Rounds up a computed size, ignoring floating-point noise below 1e-9 so
/// that 150 / 0.6 = 250.00000000000003 stays 250 instead of becoming 251.
pub(crate) fn ceil_size(x: f64) -> u64 {
    if !x.is_finite() || x <= 0.0 {
        return 0;
    }
    (x - 1e-9).ceil().max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratum_ids_join_parts_unambiguously() {
        let a = StratumId::from_parts(&["ab", "c"]).unwrap();
        let b = StratumId::from_parts(&["a", "bc"]).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.parts().collect::<Vec<_>>(), ["ab", "c"]);
        assert_eq!(a.to_string(), "ab / c");
        assert!(StratumId::from_parts(&["a\u{1f}b"]).is_err());
    }

    #[test]
    fn a_stratum_knows_its_unit_group_and_label_in_both_designs() {
        let stratified = StratumId::from_parts(&["P-A", "citizen", "linh_vuc", "Đất đai"]).unwrap();
        assert_eq!(stratified.owner(), Some(("P-A", "citizen")));
        assert_eq!(stratified.label(), "Đất đai");
        let two = StratumId::from_parts(&["P-A", "citizen", "a", "1", "b", "2"]).unwrap();
        assert_eq!(two.label(), "1 / 2");
        let plain = StratumId::from_parts(&["P-A", "citizen"]).unwrap();
        assert_eq!(plain.label(), "");
        // An area design's people: the cluster path is the label, not a
        // name/value list (which would read "" here).
        let area = StratumId::from_parts(&["people", "P-A/citizen", "Xã B", "Thôn 1"]).unwrap();
        assert_eq!(area.owner(), Some(("P-A", "citizen")));
        assert_eq!(area.label(), "Xã B / Thôn 1");
        assert_eq!(StratumId::from_stored("").owner(), None);
        let stored = StratumId::from_stored(area.as_str());
        assert_eq!(stored, area);
        assert!(StratumId::from_parts(&["a\nb"]).is_err());
        assert!(StratumId::from_parts(&["x".repeat(201)]).is_err());
        let unit = UnitCode::parse("P-HONGGAI").unwrap();
        let s =
            StratumId::survey(&unit, RespondentGroup::Citizen, &[("linh_vuc", "Đất đai")]).unwrap();
        assert_eq!(
            s.parts().collect::<Vec<_>>(),
            ["P-HONGGAI", "citizen", "linh_vuc", "Đất đai"]
        );
    }

    #[test]
    fn ceil_size_ignores_float_noise_but_rounds_real_fractions_up() {
        assert_eq!(ceil_size(150.0 / 0.6), 250);
        assert_eq!(ceil_size(277.74), 278);
        assert_eq!(ceil_size(250.001), 251);
        assert_eq!(ceil_size(0.0), 0);
        assert_eq!(ceil_size(-3.0), 0);
        assert_eq!(ceil_size(f64::NAN), 0);
    }
}
