//! The council's decisions (Hội đồng thẩm định): every case the rules leave
//! open is named here, with the decisions the council may take on it. The
//! service finds the open cases of a table, records decisions with a reason
//! (append-only), and refuses publication while any case is open; nothing
//! here guesses a decision or defaults to the worst case.

use super::head_rating::{Cause, HeadRating};
use crate::profile::NoDossier;

/// A case of one unit that needs the council.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(tag = "case", rename_all = "snake_case")]
pub enum Case {
    /// The unit submitted no self-assessment dossier and the profile leaves
    /// it to the council (`council.no_dossier = "council"`).
    NoDossier,
    /// A survey criterion is withheld for too few answers: the unit has no
    /// index and is not ranked unless the council decides otherwise.
    SurveyWithheld,
    /// The head-rating rules do not decide (Hải Phòng 80–< 90 outside the
    /// rank band, Thái Bình rows no clause covers, no index).
    HeadRating,
    /// Thái Bình art. 17.1.d: an item fell two years running; the council
    /// establishes whether the cause was subjective or objective.
    DeclineCause { item: String },
    /// A head the rules rated, whose rating the council lessens because the
    /// head did everything required or the cause was objective (Hải Phòng
    /// art. 4.4 "được xem xét giảm nhẹ"). Never open: the council may take
    /// it up, it need not.
    Mitigation,
}

/// Why a stored case or decision code was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode(pub String);

impl std::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mã quyết định không hợp lệ: \"{}\"", self.0)
    }
}

impl std::error::Error for UnknownCode {}

const DECLINE_PREFIX: &str = "decline_cause:";

impl Case {
    /// The stored code: `no_dossier`, `decline_cause:<item>`, ….
    pub fn code(&self) -> String {
        match self {
            Case::NoDossier => "no_dossier".into(),
            Case::SurveyWithheld => "survey_withheld".into(),
            Case::HeadRating => "head_rating".into(),
            Case::DeclineCause { item } => format!("{DECLINE_PREFIX}{item}"),
            Case::Mitigation => "mitigation".into(),
        }
    }

    pub fn parse(code: &str) -> Result<Case, UnknownCode> {
        Ok(match code {
            "no_dossier" => Case::NoDossier,
            "survey_withheld" => Case::SurveyWithheld,
            "head_rating" => Case::HeadRating,
            "mitigation" => Case::Mitigation,
            c => match c.strip_prefix(DECLINE_PREFIX) {
                Some(item) if !item.is_empty() => Case::DeclineCause {
                    item: item.to_string(),
                },
                _ => return Err(UnknownCode(c.to_string())),
            },
        })
    }

    /// Vietnamese: what the council is asked.
    pub fn label(&self) -> String {
        match self {
            Case::NoDossier => "Đơn vị không nộp hồ sơ tự đánh giá: tính điểm 0 hay không xếp hạng".into(),
            Case::SurveyWithheld => "Điểm điều tra xã hội học không công bố vì quá ít phiếu: đơn vị không có Chỉ số".into(),
            Case::HeadRating => "Xếp loại người đứng đầu mà quy định không tự xác định được".into(),
            Case::DeclineCause { item } => format!(
                "Nguyên nhân \"{item}\" giảm điểm hai năm liên tiếp: chủ quan hay khách quan (Điều 17.1.d)"
            ),
            Case::Mitigation => "Giảm nhẹ khi đánh giá trách nhiệm người đứng đầu".into(),
        }
    }

    /// The decisions the council may take on this case.
    pub fn options(&self) -> Vec<Decision> {
        let ratings = || {
            [
                HeadRating::Excellent,
                HeadRating::Good,
                HeadRating::Completed,
                HeadRating::NotCompleted,
            ]
            .into_iter()
            .map(Decision::Rate)
            .collect()
        };
        match self {
            Case::NoDossier => vec![Decision::ScoreZero, Decision::Exclude],
            Case::SurveyWithheld => vec![Decision::Exclude],
            Case::HeadRating | Case::Mitigation => ratings(),
            Case::DeclineCause { .. } => vec![
                Decision::Cause(Cause::Subjective),
                Decision::Cause(Cause::Objective),
            ],
        }
    }

    /// Whether publication waits for this case while it has no decision.
    pub fn blocks_publication(&self) -> bool {
        !matches!(self, Case::Mitigation)
    }
}

/// What the council decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The head's rating.
    Rate(HeadRating),
    /// The cause of a two-year decline.
    Cause(Cause),
    /// The unit is ranked with every appraised criterion at 0.
    ScoreZero,
    /// The unit is published as not ranked, with the council's reason.
    Exclude,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Rate(r) => r.key(),
            Decision::Cause(Cause::Subjective) => "subjective",
            Decision::Cause(Cause::Objective) => "objective",
            Decision::Cause(Cause::Unknown) => "unknown",
            Decision::ScoreZero => "score_zero",
            Decision::Exclude => "exclude",
        }
    }

    pub fn parse(code: &str) -> Result<Decision, UnknownCode> {
        Ok(match code {
            "excellent" => Decision::Rate(HeadRating::Excellent),
            "good" => Decision::Rate(HeadRating::Good),
            "completed" => Decision::Rate(HeadRating::Completed),
            "not_completed" => Decision::Rate(HeadRating::NotCompleted),
            "subjective" => Decision::Cause(Cause::Subjective),
            "objective" => Decision::Cause(Cause::Objective),
            "score_zero" => Decision::ScoreZero,
            "exclude" => Decision::Exclude,
            c => return Err(UnknownCode(c.to_string())),
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Rate(r) => r.label(),
            Decision::Cause(Cause::Subjective) => "Do nguyên nhân chủ quan",
            Decision::Cause(Cause::Objective) => "Do nguyên nhân khách quan",
            Decision::Cause(Cause::Unknown) => "Chưa xác định nguyên nhân",
            Decision::ScoreZero => "Tính điểm 0 cho các tiêu chí thẩm định và xếp hạng",
            Decision::Exclude => "Không xếp hạng",
        }
    }

    /// Whether the council may take this decision on `case`.
    pub fn fits(self, case: &Case) -> bool {
        case.options().contains(&self)
    }
}

/// How a unit without a dossier stands before any decision, by the
/// profile's `council.no_dossier` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoDossierStanding {
    /// Ranked with its appraised criteria at 0.
    Scored,
    /// Not ranked (the profile says so, or the council decided so).
    Excluded,
    /// Not ranked until the council decides: an open case.
    Pending,
}

/// The standing of a unit that submitted no dossier, from the profile's
/// setting and the council's decision if any.
pub fn no_dossier_standing(rule: NoDossier, decision: Option<Decision>) -> NoDossierStanding {
    match (rule, decision) {
        (NoDossier::ScoreZero, _) => NoDossierStanding::Scored,
        (NoDossier::Exclude, _) => NoDossierStanding::Excluded,
        (NoDossier::Council, Some(Decision::ScoreZero)) => NoDossierStanding::Scored,
        (NoDossier::Council, Some(Decision::Exclude)) => NoDossierStanding::Excluded,
        (NoDossier::Council, _) => NoDossierStanding::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_and_decision_code_reads_back() {
        let cases = [
            Case::NoDossier,
            Case::SurveyWithheld,
            Case::HeadRating,
            Case::DeclineCause { item: "3.2".into() },
            Case::Mitigation,
        ];
        for c in &cases {
            assert_eq!(Case::parse(&c.code()).as_ref(), Ok(c));
            for d in c.options() {
                assert_eq!(Decision::parse(d.code()), Ok(d));
                assert!(d.fits(c));
            }
        }
        assert!(Case::parse("decline_cause:").is_err());
        assert!(Case::parse("other").is_err());
        assert!(
            Decision::parse("unknown").is_err(),
            "nobody decides 'unknown'"
        );
    }

    #[test]
    fn a_decision_must_answer_its_case() {
        assert!(!Decision::ScoreZero.fits(&Case::HeadRating));
        assert!(!Decision::Rate(HeadRating::Good).fits(&Case::NoDossier));
        assert!(!Decision::ScoreZero.fits(&Case::SurveyWithheld));
        assert!(Decision::Cause(Cause::Objective).fits(&Case::DeclineCause { item: "1".into() }));
    }

    #[test]
    fn a_unit_without_a_dossier_waits_for_the_council_unless_the_profile_says() {
        use NoDossierStanding::*;
        assert_eq!(no_dossier_standing(NoDossier::Council, None), Pending);
        assert_eq!(
            no_dossier_standing(NoDossier::Council, Some(Decision::Exclude)),
            Excluded
        );
        assert_eq!(
            no_dossier_standing(NoDossier::Council, Some(Decision::ScoreZero)),
            Scored
        );
        assert_eq!(no_dossier_standing(NoDossier::ScoreZero, None), Scored);
        assert_eq!(no_dossier_standing(NoDossier::Exclude, None), Excluded);
    }

    #[test]
    fn only_mitigation_leaves_publication_free() {
        assert!(Case::NoDossier.blocks_publication());
        assert!(Case::HeadRating.blocks_publication());
        assert!(!Case::Mitigation.blocks_publication());
    }
}
