//! Hải Phòng 2025 draft, art. 7–10: rank within the block and total index.
//!
//! | rating | condition |
//! |---|---|
//! | excellent (art. 7) | rank ≤ excellent_rank[block] and index ≥ excellent_min |
//! | good (art. 8.1) | index ≥ excellent_min, rank outside the excellent band |
//! | good (art. 8.2) | rank ≤ good_rank[block] and good_min ≤ index < excellent_min |
//! | completed (art. 9) | none of the above and completed_min ≤ index < good_min |
//! | not completed (art. 10) | index < completed_min |
//!
//! good_min ≤ index < excellent_min with a rank past good_rank meets no row.
//! Shared ranks count as the rank itself: two units tied at 3 are both "from 1st to 3rd".

use crate::points::Points;
use crate::profile::HaiPhongRules;

use super::{not_rated_block, HeadRating, RatingOutcome, Undecided};

pub fn rate_hai_phong(
    rules: &HaiPhongRules,
    block: &str,
    index: Option<Points>,
    rank: Option<u32>,
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
            format!("Điều 10: {index} điểm, dưới {} điểm", t.completed),
        );
    }
    if index < t.good {
        return RatingOutcome::rated(
            HeadRating::Completed,
            format!(
                "Điều 9: {index} điểm, từ {} đến dưới {} điểm",
                t.completed, t.good
            ),
        );
    }
    let Some(rank) = rank else {
        return RatingOutcome::undecided(Undecided::NoRank);
    };
    // The parser guarantees both cut-offs for every rated block.
    let excellent_rank = rules.excellent_rank.get(block).copied().unwrap_or(0);
    let good_rank = rules.good_rank.get(block).copied().unwrap_or(0);
    if index >= t.excellent {
        if rank <= excellent_rank {
            RatingOutcome::rated(
                HeadRating::Excellent,
                format!(
                    "Điều 7: xếp thứ {rank} (từ thứ 1 đến thứ {excellent_rank}) và {index} điểm, từ {} điểm trở lên",
                    t.excellent
                ),
            )
        } else {
            RatingOutcome::rated(
                HeadRating::Good,
                format!(
                    "Điều 8.1: {index} điểm, từ {} điểm trở lên, xếp thứ {rank} (ngoài nhóm từ thứ 1 đến thứ {excellent_rank})",
                    t.excellent
                ),
            )
        }
    } else if rank <= good_rank {
        RatingOutcome::rated(
            HeadRating::Good,
            format!(
                "Điều 8.2: xếp thứ {rank} (từ thứ 1 đến thứ {good_rank}) và {index} điểm, từ {} đến dưới {} điểm",
                t.good, t.excellent
            ),
        )
    } else {
        RatingOutcome::undecided(Undecided::RankOutsideBand {
            block: block.to_string(),
            rank,
            last_rank: good_rank,
            index,
        })
    }
}
