//! A survey criterion's points: the criterion's maximum × Σ over respondent
//! groups of (group weight × the group's share of positive answers), with the
//! profile's minimum number of valid answers per group.
//!
//! Shares come from the estimator (weighted ratios in [0, 1]); open-link
//! answers are already in or out of them as `survey.open_links` says.

use crate::points::Points;
use crate::profile::{BelowMinimum, Criterion, Source, SurveyRules};
use crate::questionnaire::RespondentGroup;

/// One group's estimate for one unit and criterion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupEstimate {
    pub group: RespondentGroup,
    /// Share in [0, 1].
    pub share: f64,
    pub valid: u32,
}

/// A group with fewer valid answers than the profile's minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Shortfall {
    pub group: RespondentGroup,
    pub valid: u32,
    pub minimum: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SurveyScore {
    /// Scored; `short` lists groups below the minimum under the `flag` policy.
    Scored {
        points: Points,
        short: Vec<Shortfall>,
    },
    /// Not scored: too few answers under `withhold`, or a group with none.
    Withheld { short: Vec<Shortfall> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    #[error("tiêu chí \"{0}\" không lấy điểm từ điều tra xã hội học")]
    NotSurvey(String),
    #[error("tiêu chí \"{code}\": tỷ lệ của nhóm {group:?} phải từ 0 đến 1")]
    BadShare {
        code: String,
        group: RespondentGroup,
    },
    #[error("tiêu chí \"{code}\": nhóm {group:?} không có trọng số trong hồ sơ")]
    UnweightedGroup {
        code: String,
        group: RespondentGroup,
    },
    #[error("tiêu chí \"{code}\": nhóm {group:?} có hai ước lượng")]
    DuplicateGroup {
        code: String,
        group: RespondentGroup,
    },
}

pub fn survey_points(
    rules: &SurveyRules,
    criterion: &Criterion,
    estimates: &[GroupEstimate],
) -> Result<SurveyScore, SurveyError> {
    let code = &criterion.code;
    let Some(Source::Survey { weights }) = &criterion.source else {
        return Err(SurveyError::NotSurvey(code.clone()));
    };
    for (i, e) in estimates.iter().enumerate() {
        if !(e.share.is_finite() && (0.0..=1.0).contains(&e.share)) {
            return Err(SurveyError::BadShare {
                code: code.clone(),
                group: e.group,
            });
        }
        if !weights.iter().any(|(g, _)| *g == e.group) {
            return Err(SurveyError::UnweightedGroup {
                code: code.clone(),
                group: e.group,
            });
        }
        if estimates[..i].iter().any(|x| x.group == e.group) {
            return Err(SurveyError::DuplicateGroup {
                code: code.clone(),
                group: e.group,
            });
        }
    }
    let mut short = Vec::new();
    let mut none = false;
    let mut weighted = 0.0;
    for (group, weight) in weights {
        let minimum = rules.min_valid(*group);
        match estimates.iter().find(|e| e.group == *group && e.valid > 0) {
            Some(e) => {
                if e.valid < minimum {
                    short.push(Shortfall {
                        group: *group,
                        valid: e.valid,
                        minimum,
                    });
                }
                weighted += weight * e.share;
            }
            None => {
                // No answer at all: there is no share to score, whatever the policy.
                none = true;
                short.push(Shortfall {
                    group: *group,
                    valid: 0,
                    minimum,
                });
            }
        }
    }
    if none || (!short.is_empty() && rules.below_minimum == BelowMinimum::Withhold) {
        return Ok(SurveyScore::Withheld { short });
    }
    // The estimate as computed, not rounded to 6 places: the index rounds once.
    let points = Points::from_estimate(criterion.max.to_f64() * weighted)
        .unwrap_or(Points::ZERO)
        .min(criterion.max);
    Ok(SurveyScore::Scored { points, short })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Kind, OpenLinks};

    fn criterion(weights: Vec<(RespondentGroup, f64)>) -> Criterion {
        Criterion {
            code: "8.2.1".into(),
            name: "Tiếp cận dịch vụ".into(),
            label: None,
            max: Points::from_int(2),
            kind: Kind::Regular,
            department: None,
            source: Some(Source::Survey { weights }),
            dossier: false,
            encouragement: false,
            parent: None,
            children: vec![],
            depth: 2,
            line: 1,
        }
    }
    fn rules(policy: BelowMinimum) -> SurveyRules {
        SurveyRules {
            open_links: OpenLinks::Exclude,
            below_minimum: policy,
            min_valid: vec![
                (RespondentGroup::Citizen, 30),
                (RespondentGroup::Business, 10),
            ],
            scales: Default::default(),
            anonymity_k: 5,
        }
    }
    use RespondentGroup::{Business, Citizen};

    #[test]
    fn weighted_shares_times_the_maximum() {
        let c = criterion(vec![(Citizen, 0.75), (Business, 0.25)]);
        let got = survey_points(
            &rules(BelowMinimum::Withhold),
            &c,
            &[
                GroupEstimate {
                    group: Citizen,
                    share: 0.8,
                    valid: 120,
                },
                GroupEstimate {
                    group: Business,
                    share: 0.4,
                    valid: 12,
                },
            ],
        )
        .unwrap();
        // 2 × (0.75 × 0.8 + 0.25 × 0.4) = 1.4, in binary: kept as computed.
        let got = match got {
            SurveyScore::Scored { points, short } => SurveyScore::Scored {
                points: points.round(6),
                short,
            },
            other => other,
        };
        assert_eq!(
            got,
            SurveyScore::Scored {
                points: Points::parse("1.4").unwrap(),
                short: vec![]
            }
        );
    }

    #[test]
    fn below_the_minimum_withholds_or_flags() {
        let c = criterion(vec![(Citizen, 1.0)]);
        let few = [GroupEstimate {
            group: Citizen,
            share: 0.5,
            valid: 29,
        }];
        let short = vec![Shortfall {
            group: Citizen,
            valid: 29,
            minimum: 30,
        }];
        assert_eq!(
            survey_points(&rules(BelowMinimum::Withhold), &c, &few).unwrap(),
            SurveyScore::Withheld {
                short: short.clone()
            }
        );
        assert_eq!(
            survey_points(&rules(BelowMinimum::Flag), &c, &few).unwrap(),
            SurveyScore::Scored {
                points: Points::from_int(1),
                short
            }
        );
        // Exactly the minimum is enough.
        let enough = [GroupEstimate {
            group: Citizen,
            share: 0.5,
            valid: 30,
        }];
        assert!(matches!(
            survey_points(&rules(BelowMinimum::Withhold), &c, &enough).unwrap(),
            SurveyScore::Scored { short, .. } if short.is_empty()
        ));
        // A group with no answers cannot be scored even when flagging.
        assert!(matches!(
            survey_points(&rules(BelowMinimum::Flag), &c, &[]).unwrap(),
            SurveyScore::Withheld { .. }
        ));
    }

    #[test]
    fn bad_estimates_are_refused() {
        let c = criterion(vec![(Citizen, 1.0)]);
        let r = rules(BelowMinimum::Flag);
        let e = |group, share| GroupEstimate {
            group,
            share,
            valid: 50,
        };
        assert!(matches!(
            survey_points(&r, &c, &[e(Citizen, 1.2)]),
            Err(SurveyError::BadShare { .. })
        ));
        assert!(matches!(
            survey_points(&r, &c, &[e(Citizen, f64::NAN)]),
            Err(SurveyError::BadShare { .. })
        ));
        assert!(matches!(
            survey_points(&r, &c, &[e(Business, 0.5)]),
            Err(SurveyError::UnweightedGroup { .. })
        ));
        assert!(matches!(
            survey_points(&r, &c, &[e(Citizen, 0.5), e(Citizen, 0.6)]),
            Err(SurveyError::DuplicateGroup { .. })
        ));
    }
}
