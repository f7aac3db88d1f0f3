//! A unit's appraisal: the appraised points of each leaf criterion, with the
//! profile's rules applied, summed into the components of its index.
//!
//! Per leaf (Ninh Hòa art. 7.2, the digest's "scoring rules"):
//! - the criterion names its evidence and none valid was given → 0;
//! - evidence first supplied or replaced in the explanation round → at most
//!   `supplement_factor` × the points of the level reached (the appraiser
//!   enters the level's points; the rule applies the cap);
//! - the criterion does not apply → no score, and its maximum leaves P;
//! - no dossier by the end of the grace days (art. 7.5) → 0 for the whole
//!   dossier (every self-assessed criterion and bonus item), or only for the
//!   dossier criterion, as the profile's `appraisal.late.too_late` reads it.
//!
//! Bonus items add up and count up to the cap; deduction items and the
//! late-dossier penalty subtract. Missing bonus or deduction inputs mean none.

use std::collections::BTreeMap;

use crate::points::Points;
use crate::profile::{CriteriaSet, Kind, Profile, Source, TooLateScores};

use super::figures::{figures, ComponentError, Components, Figures};
use super::late::Lateness;
use super::survey::SurveyScore;

/// When valid evidence reached the appraisers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// With the self-assessment dossier.
    WithDossier,
    /// First supplied, or replaced, in the explanation round.
    Supplemented,
    /// None valid.
    Missing,
}

/// What the appraisal says about one leaf criterion.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum LeafInput {
    /// The points of the level reached, as the appraisers confirm or change
    /// them (for a deduction item: the points deducted).
    Appraised { points: Points, evidence: Evidence },
    /// Not directed by the higher level yet, or not applicable by nature.
    NotApplicable,
    /// A survey criterion's result.
    Survey(SurveyScore),
}

/// Which rule decided a leaf's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum ScoreRule {
    AsAppraised,
    /// Required evidence missing.
    NoEvidence,
    /// Evidence supplied in the explanation round; capped at `cap`.
    Supplemented {
        cap: Points,
    },
    NotApplicable,
    /// Dossier criterion of a dossier past the grace days.
    DossierTooLate,
    Survey,
    /// Scored from fewer answers than the minimum (policy `flag`).
    SurveyFlagged,
    /// Not scored: too few answers (policy `withhold`) or none.
    SurveyWithheld,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LeafScore {
    pub code: String,
    pub kind: Kind,
    pub max: Points,
    /// The points entered, before the rules.
    pub entered: Option<Points>,
    /// None when withheld or not applicable.
    pub score: Option<Points>,
    pub rule: ScoreRule,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Appraisal {
    /// Leaves in the set's order.
    pub leaves: Vec<LeafScore>,
    /// Every node's score (sum of its scored leaves), unrounded; bonus fields
    /// before the cap. Feeds year-on-year changes and the explain list.
    pub nodes: BTreeMap<String, Points>,
    pub components: Components,
    pub lateness: Lateness,
    /// Survey criteria withheld; while any is, the unit has no figures.
    pub withheld: Vec<String>,
    pub figures: Option<Figures>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppraisalError {
    #[error("tiêu chí \"{0}\" chưa được chấm")]
    Missing(String),
    #[error("không có tiêu chí \"{0}\" trong bộ tiêu chí")]
    Unknown(String),
    #[error("\"{0}\" có tiêu chí con; hãy chấm từng tiêu chí con")]
    NotALeaf(String),
    #[error("tiêu chí \"{0}\" lấy điểm từ điều tra xã hội học, không chấm thẩm định")]
    SurveyCriterion(String),
    #[error("tiêu chí \"{0}\" là tiêu chí thẩm định, không nhận kết quả khảo sát")]
    AppraisedCriterion(String),
    #[error("tiêu chí \"{code}\": {points} điểm vượt điểm tối đa {max}")]
    AboveMax {
        code: String,
        points: Points,
        max: Points,
    },
    #[error("tiêu chí \"{0}\": điểm không được âm")]
    Negative(String),
    #[error("\"{0}\" là điểm thưởng/điểm trừ: không có trường hợp không áp dụng, hãy chấm 0")]
    NotApplicableBonus(String),
    #[error("{0}")]
    Components(ComponentError),
}

/// Applies the profile's rules to one unit's appraisal of `set`.
pub fn appraise(
    profile: &Profile,
    set: &CriteriaSet,
    inputs: &BTreeMap<String, LeafInput>,
    lateness: Lateness,
) -> Result<Appraisal, Vec<AppraisalError>> {
    let mut errs = Vec::new();
    for code in inputs.keys() {
        match set.get(code) {
            None => errs.push(AppraisalError::Unknown(code.clone())),
            Some(c) if !c.is_leaf() => errs.push(AppraisalError::NotALeaf(code.clone())),
            Some(_) => {}
        }
    }
    let factor = profile.appraisal.supplement_factor;
    // Art. 7.5's "điểm hồ sơ đề nghị thẩm định … là 0", as the profile reads it.
    let too_late = match (&profile.appraisal.late, lateness) {
        (Some(rule), Lateness::TooLate { .. }) => Some(rule.too_late),
        _ => None,
    };
    let too_late_zeroes = |leaf: &crate::profile::Criterion| match too_late {
        None => false,
        Some(TooLateScores::DossierCriterion) => leaf.dossier,
        Some(TooLateScores::WholeDossier) => leaf.dossier || leaf.kind != Kind::Deduction,
    };
    let mut leaves = Vec::new();
    let mut withheld = Vec::new();
    for leaf in set.leaves() {
        let code = leaf.code.clone();
        let survey = matches!(leaf.source, Some(Source::Survey { .. }));
        let input = match inputs.get(&code) {
            Some(i) => i,
            None if leaf.kind != Kind::Regular => &LeafInput::Appraised {
                points: Points::ZERO,
                evidence: Evidence::WithDossier,
            },
            None => {
                errs.push(AppraisalError::Missing(code));
                continue;
            }
        };
        let (entered, score, rule) = match input {
            LeafInput::NotApplicable if leaf.kind != Kind::Regular => {
                errs.push(AppraisalError::NotApplicableBonus(code));
                continue;
            }
            LeafInput::NotApplicable => (None, None, ScoreRule::NotApplicable),
            LeafInput::Survey(_) if !survey => {
                errs.push(AppraisalError::AppraisedCriterion(code));
                continue;
            }
            LeafInput::Survey(SurveyScore::Withheld { .. }) => {
                withheld.push(code.clone());
                (None, None, ScoreRule::SurveyWithheld)
            }
            LeafInput::Survey(SurveyScore::Scored { points, short }) => {
                if *points > leaf.max {
                    errs.push(AppraisalError::AboveMax {
                        code,
                        points: *points,
                        max: leaf.max,
                    });
                    continue;
                }
                let rule = if short.is_empty() {
                    ScoreRule::Survey
                } else {
                    ScoreRule::SurveyFlagged
                };
                (Some(*points), Some(*points), rule)
            }
            LeafInput::Appraised { .. } if survey => {
                errs.push(AppraisalError::SurveyCriterion(code));
                continue;
            }
            LeafInput::Appraised { points, evidence } => {
                if points.is_negative() {
                    errs.push(AppraisalError::Negative(code));
                    continue;
                }
                if *points > leaf.max {
                    errs.push(AppraisalError::AboveMax {
                        code,
                        points: *points,
                        max: leaf.max,
                    });
                    continue;
                }
                let (score, rule) = if too_late_zeroes(leaf) {
                    (Points::ZERO, ScoreRule::DossierTooLate)
                } else if !leaf.needs_evidence() {
                    (*points, ScoreRule::AsAppraised)
                } else {
                    match evidence {
                        Evidence::WithDossier => (*points, ScoreRule::AsAppraised),
                        Evidence::Missing => (Points::ZERO, ScoreRule::NoEvidence),
                        Evidence::Supplemented => {
                            let cap = points.scale(factor);
                            ((*points).min(cap), ScoreRule::Supplemented { cap })
                        }
                    }
                };
                (Some(*points), Some(score), rule)
            }
        };
        leaves.push(LeafScore {
            code: leaf.code.clone(),
            kind: leaf.kind,
            max: leaf.max,
            entered,
            score,
            rule,
        });
    }
    if !errs.is_empty() {
        return Err(errs);
    }

    let sum = |pred: &dyn Fn(&LeafScore) -> bool| -> Points {
        leaves
            .iter()
            .filter(|l| pred(l))
            .filter_map(|l| l.score)
            .sum()
    };
    let is_survey = |code: &str| set.get(code).is_some_and(|c| c.is_survey());
    let not_applicable: Points = leaves
        .iter()
        .filter(|l| l.rule == ScoreRule::NotApplicable)
        .map(|l| l.max)
        .sum();
    let components = Components {
        appraised: sum(&|l| l.kind == Kind::Regular && !is_survey(&l.code)),
        survey: sum(&|l| l.kind == Kind::Regular && is_survey(&l.code)),
        bonus: sum(&|l| l.kind == Kind::Bonus),
        deductions: sum(&|l| l.kind == Kind::Deduction) + lateness.penalty(),
        applicable_max: profile.points.total - not_applicable,
    };

    let mut nodes: BTreeMap<String, Points> = BTreeMap::new();
    for l in &leaves {
        let Some(score) = l.score else { continue };
        let mut c = set.get(&l.code);
        while let Some(node) = c {
            *nodes.entry(node.code.clone()).or_default() += score;
            c = set.parent(node);
        }
    }
    // Nodes whose leaves were all withheld or not applicable have no score.

    let figures = if withheld.is_empty() {
        Some(figures(profile, &components).map_err(|e| {
            e.into_iter()
                .map(AppraisalError::Components)
                .collect::<Vec<_>>()
        })?)
    } else {
        None
    };
    Ok(Appraisal {
        leaves,
        nodes,
        components,
        lateness,
        withheld,
        figures,
    })
}
