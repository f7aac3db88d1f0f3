//! From each unit's figures to its rank in its block and its head's rating:
//! the one pipeline that `chiso index compute` (a CSV of points) and the
//! published table (the appraised dossiers and the survey) both run, so the
//! two can never rank or rate the same figures differently.

use super::figures::Figures;
use super::head_rating::{rate, AssignedItem, Cause, RatingInput, RatingOutcome};
use super::ranking::{rank_within_blocks, Rank, RankInput};
use crate::points::Points;
use crate::profile::{CriteriaSet, HeadRatingScheme, Profile};

/// What ranking and rating need of one unit.
#[derive(Debug, Clone, Copy)]
pub struct Standing<'a> {
    pub unit: &'a str,
    pub block: &'a str,
    /// None when the unit has no index (no dossier, a problem): it is not
    /// ranked, and its head's rating says why.
    pub figures: Option<&'a Figures>,
    /// Thái Bình: the province-level fields and criteria the head answers for.
    pub items: &'a [AssignedItem],
}

/// Each unit's rank among the units of its block that have an index (on the
/// profile's headline figure, ties broken by its rule), and its head's
/// rating; in the order given.
pub fn rank_and_rate(
    profile: &Profile,
    units: &[Standing<'_>],
) -> Vec<(Option<Rank>, RatingOutcome)> {
    let decimals = profile.points.decimals;
    let ranked: Vec<usize> = (0..units.len())
        .filter(|&i| units[i].figures.is_some())
        .collect();
    let inputs: Vec<RankInput> = ranked
        .iter()
        .filter_map(|&i| {
            let u = &units[i];
            u.figures.map(|f| RankInput {
                unit: u.unit,
                block: u.block,
                score: f.headline(profile.bands.on),
                survey: f.components.survey.round(decimals),
                appraised: f.components.appraised.round(decimals),
            })
        })
        .collect();
    let mut ranks: Vec<Option<Rank>> = vec![None; units.len()];
    for (&i, rank) in ranked
        .iter()
        .zip(rank_within_blocks(&inputs, profile.ranking.tie_break))
    {
        ranks[i] = Some(rank);
    }
    units
        .iter()
        .zip(ranks)
        .map(|(u, rank)| {
            let rating = rate(
                profile,
                &RatingInput {
                    block: u.block,
                    index: u.figures.map(|f| f.index),
                    rank: rank.map(|r| r.rank),
                    items: u.items,
                },
            );
            (rank, rating)
        })
        .collect()
}

/// The criteria set whose fields and criteria are assigned to heads (the
/// profile's `head_rating.items_set`); None for schemes without them.
pub fn items_set(profile: &Profile) -> Option<&CriteriaSet> {
    match &profile.head_rating {
        HeadRatingScheme::ThaiBinh2021(r) => profile.criteria_set(&r.items_set),
        _ => None,
    }
}

/// An assigned item with its published scores (this year first, then the
/// earlier years for as long as they run without a gap), rounded as
/// published, with its maximum and kind from the set of assigned items.
pub fn assigned_item(
    profile: &Profile,
    code: &str,
    history: impl IntoIterator<Item = Points>,
    cause: Cause,
) -> AssignedItem {
    let decimals = profile.points.decimals;
    let node = items_set(profile).and_then(|s| s.get(code));
    AssignedItem {
        code: code.to_string(),
        max: node.map(|n| n.max).unwrap_or(profile.points.total),
        // Art. 17.1.d: "trừ tiêu chí liên quan đến điểm khuyến khích" — at
        // any level, not only a bonus field.
        bonus: node.is_some_and(|n| n.encouragement),
        history: history.into_iter().map(|p| p.round(decimals)).collect(),
        cause,
    }
}

/// One year's published score of an item, with the maximum of the framework
/// that scored it when the file gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearScore {
    pub points: Points,
    pub max: Option<Points>,
}

/// An item's scores over the years (this year first) made comparable with
/// this year's: a year scored out of another maximum (the Ministry changed
/// its framework) is taken as the same share of this year's maximum, so
/// "tăng", "giảm" and "không giảm" (Thái Bình art. 14, 17) compare like with
/// like. Years whose maximum is unknown, or equal, are taken as published.
pub fn comparable(years: &[YearScore], decimals: u32) -> Vec<Points> {
    let now = years.first().and_then(|y| y.max);
    years
        .iter()
        .map(|y| match (y.max, now) {
            (Some(then), Some(now)) if then != now => y
                .points
                .rescale(then, now)
                .map(|p| p.round(decimals))
                .unwrap_or(y.points),
            _ => y.points,
        })
        .collect()
}

/// [`assigned_item`] from the scores as published each year with their
/// frameworks' maxima: "đạt điểm tối đa" is read against this year's
/// framework (the profile's tree only when the file gave no maximum), and the
/// trend on [`comparable`] scores.
pub fn assigned_item_in_frameworks(
    profile: &Profile,
    code: &str,
    years: &[YearScore],
    cause: Cause,
) -> AssignedItem {
    let mut item = assigned_item(
        profile,
        code,
        comparable(years, profile.points.decimals),
        cause,
    );
    if let Some(max) = years.first().and_then(|y| y.max) {
        item.max = max;
    }
    item
}
