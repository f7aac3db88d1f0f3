//! One rated unit × respondent group: its inputs (the draw's strata with
//! their frame populations, and the tallies) and what the sample says about
//! each criterion.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::profile::OpenLinks;
use crate::questionnaire::RespondentGroup;

use super::design::{DesignStratum, GroupDesign, Scope, SeIssue};
use super::error::{joined, ScoringError};
use super::tally::{Tally, UnitGroupTallies};

/// A stratum of the draw as the frame and the invitations know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StratumFrame {
    /// The draw's stratum id (its joined form).
    pub stratum: String,
    /// N_h: people in the stratum's frame.
    pub population: u64,
    /// People invited (the drawn sample plus released reserves): the base of
    /// the response rate.
    pub invited: u64,
}

/// A stratum with its tally, `None` before its first response.
#[derive(Debug, Clone, Copy)]
pub struct DrawnStratum<'a> {
    pub stratum: &'a str,
    pub population: u64,
    pub invited: u64,
    pub tally: Option<&'a Tally>,
}

/// Everything needed to estimate one rated unit × respondent group.
#[derive(Debug, Clone)]
pub struct GroupInput<'a> {
    pub group: RespondentGroup,
    /// The questionnaire's criteria ([`Scorer::criteria`](super::Scorer::criteria));
    /// every tally must have exactly these.
    pub criteria: &'a [String],
    pub strata: Vec<DrawnStratum<'a>>,
    pub open: Option<&'a Tally>,
}

impl<'a> GroupInput<'a> {
    /// Pairs the frame's strata with the tallies (`None`: no response yet).
    /// A tally whose stratum the frame does not list is an error: its
    /// respondents would have no weight.
    pub fn from_tallies(
        group: RespondentGroup,
        criteria: &'a [String],
        frame: &'a [StratumFrame],
        tallies: Option<&'a UnitGroupTallies>,
    ) -> Result<Self, ScoringError> {
        if let Some(t) = tallies {
            if let Some(h) = t
                .strata
                .keys()
                .find(|h| !frame.iter().any(|f| &f.stratum == *h))
            {
                return Err(ScoringError::UnknownStratum(h.clone()));
            }
        }
        Ok(Self {
            group,
            criteria,
            strata: frame
                .iter()
                .map(|f| DrawnStratum {
                    stratum: &f.stratum,
                    population: f.population,
                    invited: f.invited,
                    tally: tallies.and_then(|t| t.strata.get(&f.stratum)),
                })
                .collect(),
            open: tallies.and_then(|t| t.open.as_ref()),
        })
    }
}

/// A two-sided 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ci {
    pub low: f64,
    pub high: f64,
}

/// The normal quantile of a two-sided 95 % interval (R's `confint` default).
pub(super) fn z95() -> f64 {
    Normal::standard().inverse_cdf(0.975)
}

/// estimate ± z·SE, cut to the range the quantity can take.
pub(super) fn interval(value: f64, se: f64, low: f64, high: f64) -> Ci {
    let half = z95() * se;
    Ci {
        low: (value - half).clamp(low, high),
        high: (value + half).clamp(low, high),
    }
}

/// A criterion's share in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareEstimate {
    /// The weighted mean of respondents' criterion scores, in [0, 1]: for a
    /// satisfaction scale, the share of positive answers.
    pub share: f64,
    /// Respondents with at least one valid answer on the criterion.
    pub valid: u64,
    pub se: Option<f64>,
    /// Normal 95 % interval, cut to [0, 1].
    pub ci: Option<Ci>,
    pub se_issue: Option<SeIssue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionEstimate {
    pub criterion: String,
    /// What the points use: the sample, with open-link answers if the profile
    /// includes them. `None`: nobody answered.
    pub estimate: Option<ShareEstimate>,
    /// Open-link answers alone (unweighted), always reported apart.
    pub open: Option<ShareEstimate>,
    /// An anonymous campaign's figure from fewer answers than its threshold,
    /// hidden ([`super::anonymity`]): `estimate`/`open` are `None` for that.
    pub suppressed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupResult {
    pub group: RespondentGroup,
    pub open_links: OpenLinks,
    pub invited: u64,
    /// Sampled respondents.
    pub respondents: u64,
    /// respondents / invited; `None` before anyone is invited.
    pub response_rate: Option<f64>,
    pub open_respondents: u64,
    /// Strata with people in the frame but no respondent yet: the estimate
    /// speaks for the other strata only.
    pub strata_without_respondents: Vec<String>,
    pub criteria: Vec<CriterionEstimate>,
}

/// The designs of one group: the one the points use and the open links alone.
pub(super) struct GroupDesigns<'a> {
    pub scored: GroupDesign<'a>,
    pub open: Option<GroupDesign<'a>>,
}

fn check_criteria(criteria: &[String], tally: &Tally) -> Result<(), ScoringError> {
    if tally.criteria() == criteria {
        Ok(())
    } else {
        Err(ScoringError::CriteriaMismatch {
            expected: joined(criteria),
            found: joined(tally.criteria()),
        })
    }
}

fn open_stratum(tally: &Tally) -> DesignStratum<'_> {
    // A volunteer represents only themself: weight 1; and with nothing known
    // of how volunteers came, no finite-population correction (the
    // conservative, with-replacement variance).
    DesignStratum {
        stratum: None,
        weight: 1.0,
        fpc_factor: 1.0,
        tally,
    }
}

pub(super) fn designs<'a>(
    input: &GroupInput<'a>,
    open_links: OpenLinks,
) -> Result<GroupDesigns<'a>, ScoringError> {
    let k = input.criteria.len();
    let mut strata: Vec<&DrawnStratum<'a>> = input.strata.iter().collect();
    // One order whatever order the caller used: the floating-point sums over
    // strata must not depend on it.
    strata.sort_by(|a, b| a.stratum.cmp(b.stratum));
    if let Some(w) = strata.windows(2).find(|w| w[0].stratum == w[1].stratum) {
        return Err(ScoringError::DuplicateStratum(w[0].stratum.to_string()));
    }
    let mut sampled = Vec::new();
    for s in strata {
        let Some(t) = s.tally else { continue };
        check_criteria(input.criteria, t)?;
        let r = t.respondents();
        if r == 0 {
            continue;
        }
        if s.population < r {
            return Err(ScoringError::OverSampled {
                stratum: s.stratum.to_string(),
                population: s.population,
                respondents: r,
            });
        }
        let big_n = s.population as f64;
        sampled.push(DesignStratum {
            stratum: Some(s.stratum),
            weight: big_n / r as f64,
            fpc_factor: (big_n - r as f64) / big_n,
            tally: t,
        });
    }
    let open = match input.open {
        Some(t) if t.respondents() > 0 => {
            check_criteria(input.criteria, t)?;
            Some(t)
        }
        _ => None,
    };
    if let (Some(t), OpenLinks::Include) = (open, open_links) {
        sampled.push(open_stratum(t));
    }
    Ok(GroupDesigns {
        scored: GroupDesign::new(input.group, k, sampled),
        open: open.map(|t| GroupDesign::new(input.group, k, vec![open_stratum(t)])),
    })
}

pub(super) fn share(design: &GroupDesign<'_>, c: usize, k: usize) -> Option<ShareEstimate> {
    let r = design.ratio(c)?;
    let mut coefficients = vec![0.0; k];
    coefficients[c] = 1.0;
    let (se, ci, se_issue) = match design.variance(&coefficients, Scope::Domain(c)) {
        Ok(v) => {
            let se = v.sqrt();
            (Some(se), Some(interval(r.value, se, 0.0, 1.0)), None)
        }
        Err(issue) => (None, None, Some(issue)),
    };
    Some(ShareEstimate {
        share: r.value,
        valid: r.valid,
        se,
        ci,
        se_issue,
    })
}

pub(super) fn group_result(
    input: &GroupInput<'_>,
    designs: &GroupDesigns<'_>,
    open_links: OpenLinks,
) -> GroupResult {
    let k = input.criteria.len();
    let invited: u64 = input.strata.iter().map(|s| s.invited).sum();
    let respondents: u64 = input
        .strata
        .iter()
        .filter_map(|s| s.tally)
        .map(Tally::respondents)
        .sum();
    let mut empty: Vec<String> = input
        .strata
        .iter()
        .filter(|s| s.population > 0 && s.tally.is_none_or(|t| t.respondents() == 0))
        .map(|s| s.stratum.to_string())
        .collect();
    empty.sort();
    GroupResult {
        group: input.group,
        open_links,
        invited,
        respondents,
        response_rate: (invited > 0).then(|| respondents as f64 / invited as f64),
        open_respondents: input.open.map_or(0, Tally::respondents),
        strata_without_respondents: empty,
        criteria: input
            .criteria
            .iter()
            .enumerate()
            .map(|(c, code)| CriterionEstimate {
                criterion: code.clone(),
                estimate: share(&designs.scored, c, k),
                open: designs.open.as_ref().and_then(|d| share(d, c, k)),
                suppressed: false,
            })
            .collect(),
    }
}

/// What the sample of one unit × group says about each of its criteria,
/// without the profile's points: for pages that show a group's detail.
pub fn estimate_group(
    input: &GroupInput<'_>,
    open_links: OpenLinks,
) -> Result<GroupResult, ScoringError> {
    let d = designs(input, open_links)?;
    Ok(group_result(input, &d, open_links))
}
