//! A unit's survey points: each survey criterion's points from its groups'
//! shares ([`survey_points`], with the profile's minimum-answers policy), and
//! the survey component, their sum, with a standard error that keeps the
//! correlation between criteria answered by the same people.
//!
//! Points of criterion c = max_c × Σ_g weight_cg × R_cg, so the component is
//! Σ_g Σ_c a_cg·R_cg with a_cg = max_c × weight_cg. Groups are independent
//! samples, so their variances add; within a group the criteria share
//! respondents, so the group's variance is that of the whole combination
//! (influence Σ_c a_cg·w_i(y_ic − R_cg)·1_ic / W_cg), not a sum of per-criterion
//! variances.

use serde::Serialize;

use crate::index::{survey_points, GroupEstimate, Shortfall, SurveyScore};
use crate::points::Points;
use crate::profile::{CriteriaSet, Source, SurveyRules};

use super::design::{Scope, SeIssue};
use super::error::ScoringError;
use super::group::{designs, group_result, interval, Ci, GroupDesigns, GroupInput, GroupResult};

/// One survey criterion of the unit's criteria set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionPoints {
    pub code: String,
    pub max: Points,
    /// What the appraisal takes (`LeafInput::Survey`): points, or withheld,
    /// with the groups below the minimum.
    pub score: SurveyScore,
    /// Standard error of the points; `None` when withheld or not estimable.
    pub se: Option<f64>,
    /// Normal 95 % interval of the points, cut to [0, max].
    pub ci: Option<Ci>,
    pub se_issue: Option<SeIssue>,
}

/// A group below the profile's minimum on one criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CriterionShortfall<'a> {
    pub criterion: &'a str,
    #[serde(flatten)]
    pub shortfall: Shortfall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    /// Every criterion scored with enough answers.
    Scored,
    /// Scored, with criteria below the minimum (profile policy `flag`).
    Flagged,
    /// A criterion is withheld, so the component is too.
    Withheld,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    pub status: ComponentStatus,
    /// Σ of the survey criteria's maxima (30 where the profile gives the
    /// survey 30 points).
    pub max: Points,
    /// Σ of the criteria's points, unrounded: what the index adds before its
    /// single rounding. `None` when withheld.
    pub points: Option<Points>,
    /// `points` rounded to the profile's decimals, half away from zero, for
    /// pages and exports.
    pub published: Option<Points>,
    pub se: Option<f64>,
    /// Normal 95 % interval, cut to [0, max].
    pub ci: Option<Ci>,
    pub se_issue: Option<SeIssue>,
    /// Criteria withheld.
    pub withheld: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitSurvey {
    pub groups: Vec<GroupResult>,
    /// In the criteria set's order.
    pub criteria: Vec<CriterionPoints>,
    pub component: Component,
}

impl UnitSurvey {
    /// Every group below the minimum, criterion by criterion: the flag pages
    /// and exports carry.
    pub fn shortfalls(&self) -> Vec<CriterionShortfall<'_>> {
        self.criteria
            .iter()
            .flat_map(|c| {
                let short = match &c.score {
                    SurveyScore::Scored { short, .. } | SurveyScore::Withheld { short } => short,
                };
                short.iter().map(move |s| CriterionShortfall {
                    criterion: &c.code,
                    shortfall: *s,
                })
            })
            .collect()
    }
}

/// A unit's survey criteria and component from its groups' tallies.
///
/// `set` is the unit's criteria set, `rules` the profile's survey rules,
/// `decimals` the profile's published decimals. A group the profile weighs
/// but `groups` lacks has no answers (its criteria are withheld).
pub fn unit_survey(
    rules: &SurveyRules,
    set: &CriteriaSet,
    decimals: u32,
    groups: &[GroupInput<'_>],
) -> Result<UnitSurvey, ScoringError> {
    for (i, g) in groups.iter().enumerate() {
        if groups[..i].iter().any(|o| o.group == g.group) {
            return Err(ScoringError::DuplicateGroup(g.group));
        }
    }
    let built: Vec<GroupDesigns<'_>> = groups
        .iter()
        .map(|g| designs(g, rules.open_links))
        .collect::<Result<_, _>>()?;
    let results: Vec<GroupResult> = groups
        .iter()
        .zip(&built)
        .map(|(g, d)| group_result(g, d, rules.open_links))
        .collect();
    // (group index, criterion index in that group) of a code.
    let locate = |group: usize, code: &str| groups[group].criteria.iter().position(|c| c == code);

    let mut criteria = Vec::new();
    // a_cg per group, per criterion of the group's questionnaire.
    let mut coefficients: Vec<Vec<f64>> =
        groups.iter().map(|g| vec![0.0; g.criteria.len()]).collect();
    for leaf in set.leaves() {
        let Some(Source::Survey { weights }) = &leaf.source else {
            continue;
        };
        let max = leaf.max.to_f64();
        let mut estimates = Vec::new();
        let mut variance = Some(0.0);
        let mut se_issue = None;
        for (group, weight) in weights {
            let Some(gi) = groups.iter().position(|g| g.group == *group) else {
                continue;
            };
            let Some(ci) = locate(gi, &leaf.code) else {
                continue;
            };
            coefficients[gi][ci] += max * weight;
            let Some(e) = &results[gi].criteria[ci].estimate else {
                continue;
            };
            estimates.push(GroupEstimate {
                group: *group,
                share: e.share,
                valid: u32::try_from(e.valid).unwrap_or(u32::MAX),
            });
            match e.se {
                Some(se) => variance = variance.map(|v| v + (max * weight * se).powi(2)),
                None => {
                    variance = None;
                    se_issue = se_issue.or_else(|| e.se_issue.clone());
                }
            }
        }
        let score = survey_points(rules, leaf, &estimates)?;
        let (se, ci, se_issue) = match (&score, variance) {
            (SurveyScore::Scored { points, .. }, Some(v)) => {
                let se = v.sqrt();
                (
                    Some(se),
                    Some(interval(points.to_f64(), se, 0.0, max)),
                    None,
                )
            }
            (SurveyScore::Scored { .. }, None) => (None, None, se_issue),
            (SurveyScore::Withheld { .. }, _) => (None, None, None),
        };
        criteria.push(CriterionPoints {
            code: leaf.code.clone(),
            max: leaf.max,
            score,
            se,
            ci,
            se_issue,
        });
    }

    let max: Points = criteria.iter().map(|c| c.max).sum();
    let withheld: Vec<String> = criteria
        .iter()
        .filter(|c| matches!(c.score, SurveyScore::Withheld { .. }))
        .map(|c| c.code.clone())
        .collect();
    let component = if withheld.is_empty() {
        let points: Points = criteria
            .iter()
            .map(|c| match c.score {
                SurveyScore::Scored { points, .. } => points,
                SurveyScore::Withheld { .. } => Points::ZERO,
            })
            .sum();
        let flagged = criteria
            .iter()
            .any(|c| matches!(&c.score, SurveyScore::Scored { short, .. } if !short.is_empty()));
        let mut variance = 0.0;
        let mut se_issue = None;
        for (d, a) in built.iter().zip(&coefficients) {
            if a.iter().all(|&x| x == 0.0) {
                continue;
            }
            match d.scored.variance(a, Scope::Design) {
                Ok(v) => variance += v,
                Err(issue) => {
                    se_issue = Some(issue);
                    break;
                }
            }
        }
        let se = se_issue.is_none().then(|| variance.sqrt());
        Component {
            status: if flagged {
                ComponentStatus::Flagged
            } else {
                ComponentStatus::Scored
            },
            max,
            points: Some(points),
            published: Some(points.round(decimals)),
            se,
            ci: se.map(|se| interval(points.to_f64(), se, 0.0, max.to_f64())),
            se_issue,
            withheld,
        }
    } else {
        Component {
            status: ComponentStatus::Withheld,
            max,
            points: None,
            published: None,
            se: None,
            ci: None,
            se_issue: None,
            withheld,
        }
    };
    Ok(UnitSurvey {
        groups: results,
        criteria,
        component,
    })
}
