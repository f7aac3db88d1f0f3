//! Thái Bình 2021, art. 17.1: the agency's index and the trend of the fields,
//! criteria and sub-criteria it answers for (art. 15). Each row needs all its
//! conditions:
//!
//! | rating | index | trend of every assigned item |
//! |---|---|---|
//! | excellent (17.1.a) | ≥ excellent_min | at its maximum, or rising `rising_years` years in a row |
//! | good (17.1.b) | good_min ≤ i < excellent_min | risen against last year |
//! | completed (17.1.c) | completed_min ≤ i < good_min | not fallen against last year |
//! | not completed (17.1.d) | < completed_min, **or** one item fell `falling_years` years in a row for a subjective cause (bonus items excepted) | |
//!
//! An index in a row's range whose trend condition fails meets no row (92
//! points with a falling field; also 85 points with an item flat at its
//! maximum, since 17.1.b says "tăng"): undecided. Figures are compared as
//! published (pass rounded values).

use crate::points::Points;
use crate::profile::{ThaiBinhRules, WithoutAssigned};

use super::{not_rated_block, HeadRating, RatingOutcome, Undecided};

/// Whether a fall was found to have a subjective cause (art. 17.1.d, 19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    Unknown,
    Subjective,
    Objective,
}

/// A field, criterion or sub-criterion the agency answers for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AssignedItem {
    pub code: String,
    pub max: Points,
    /// A bonus (encouragement) item: excepted from the two-year rule.
    pub bonus: bool,
    /// Published scores, this year first, then last year, …
    pub history: Vec<Points>,
    /// The cause of its latest fall, if one was established.
    pub cause: Cause,
}

fn streak(history: &[Points], rising: bool) -> u32 {
    history
        .windows(2)
        .take_while(|w| if rising { w[0] > w[1] } else { w[0] < w[1] })
        .count() as u32
}

pub fn rate_thai_binh(
    rules: &ThaiBinhRules,
    block: &str,
    index: Option<Points>,
    items: &[AssignedItem],
) -> RatingOutcome {
    if !rules.blocks.iter().any(|b| b == block) {
        return not_rated_block(block);
    }
    let Some(index) = index else {
        return RatingOutcome::undecided(Undecided::NoIndex);
    };
    let t = &rules.thresholds;
    if index < t.completed {
        return RatingOutcome::rated(
            HeadRating::NotCompleted,
            format!(
                "Điều 17.1.d: Chỉ số {index} điểm, dưới {} điểm",
                t.completed
            ),
        );
    }
    let long_falls: Vec<&AssignedItem> = items
        .iter()
        .filter(|i| !i.bonus && streak(&i.history, false) >= rules.falling_years)
        .collect();
    let subjective: Vec<&str> = long_falls
        .iter()
        .filter(|i| i.cause == Cause::Subjective)
        .map(|i| i.code.as_str())
        .collect();
    if !subjective.is_empty() {
        return RatingOutcome::rated(
            HeadRating::NotCompleted,
            format!(
                "Điều 17.1.d: {} giảm điểm {} năm liên tiếp do nguyên nhân chủ quan",
                subjective.join(", "),
                rules.falling_years
            ),
        );
    }
    let unknown: Vec<String> = long_falls
        .iter()
        .filter(|i| i.cause == Cause::Unknown)
        .map(|i| i.code.clone())
        .collect();
    if !unknown.is_empty() {
        return RatingOutcome::undecided(Undecided::DeclineCauseUnknown {
            items: unknown,
            years: rules.falling_years,
        });
    }

    let (band, article) = if index >= t.excellent {
        (HeadRating::Excellent, "Điều 17.1.a")
    } else if index >= t.good {
        (HeadRating::Good, "Điều 17.1.b")
    } else {
        (HeadRating::Completed, "Điều 17.1.c")
    };
    if items.is_empty() {
        return match rules.without_assigned {
            WithoutAssigned::Undecided => RatingOutcome::undecided(Undecided::NoAssignedItems),
            WithoutAssigned::IndexOnly => RatingOutcome::rated(
                band,
                format!("{article}: Chỉ số {index} điểm; cơ quan không được giao phụ trách lĩnh vực, tiêu chí nào"),
            ),
        };
    }
    let needed = match band {
        HeadRating::Excellent => rules.rising_years + 1,
        _ => 2,
    };
    let mut failing = Vec::new();
    let mut missing = Vec::new();
    for item in items {
        let now = item.history.first().copied();
        let met = match (band, now, item.history.get(1)) {
            (HeadRating::Excellent, Some(now), _) if now >= item.max => Some(true),
            (HeadRating::Excellent, Some(_), _) => {
                if streak(&item.history, true) >= rules.rising_years {
                    Some(true)
                } else if item.history.len() < needed as usize
                    && streak(&item.history, true) + 1 >= item.history.len() as u32
                {
                    // Rising in every year we have, but not enough years.
                    None
                } else {
                    Some(false)
                }
            }
            (HeadRating::Good, Some(now), Some(before)) => Some(now > *before),
            (HeadRating::Completed, Some(now), Some(before)) => Some(now >= *before),
            _ => None,
        };
        match met {
            Some(true) => {}
            Some(false) => failing.push(item.code.clone()),
            None => missing.push(item.code.clone()),
        }
    }
    if !failing.is_empty() {
        return RatingOutcome::undecided(Undecided::TrendNotMet {
            band,
            index,
            items: failing,
        });
    }
    if !missing.is_empty() {
        return RatingOutcome::undecided(Undecided::HistoryMissing {
            items: missing,
            years: needed,
        });
    }
    let trend = match band {
        HeadRating::Excellent => format!(
            "các lĩnh vực, tiêu chí phụ trách đạt điểm tối đa hoặc tăng {} năm liên tiếp",
            rules.rising_years
        ),
        HeadRating::Good => "các lĩnh vực, tiêu chí phụ trách tăng điểm so với năm trước".into(),
        _ => "các lĩnh vực, tiêu chí phụ trách không giảm điểm so với năm trước".into(),
    };
    RatingOutcome::rated(band, format!("{article}: Chỉ số {index} điểm; {trend}"))
}
