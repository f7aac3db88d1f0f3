//! Head-of-agency ratings (đánh giá, xếp loại người đứng đầu). Each scheme
//! rates a head only when one of its rows is met in full; a case no row
//! covers comes back as [`RatingOutcome::Undecided`] with a machine-readable
//! [`Undecided`] reason and a Vietnamese message, for the council to decide.
//! Nothing is rated silently.

mod hai_phong;
mod thai_binh;

pub use hai_phong::rate_hai_phong;
pub use thai_binh::{rate_thai_binh, AssignedItem, Cause};

use crate::points::Points;
use crate::profile::{HeadRatingScheme, Profile};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadRating {
    Excellent,
    Good,
    Completed,
    NotCompleted,
}

impl HeadRating {
    pub fn label(self) -> &'static str {
        match self {
            HeadRating::Excellent => "Hoàn thành xuất sắc nhiệm vụ",
            HeadRating::Good => "Hoàn thành tốt nhiệm vụ",
            HeadRating::Completed => "Hoàn thành nhiệm vụ",
            HeadRating::NotCompleted => "Không hoàn thành nhiệm vụ",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            HeadRating::Excellent => "excellent",
            HeadRating::Good => "good",
            HeadRating::Completed => "completed",
            HeadRating::NotCompleted => "not_completed",
        }
    }
}

/// Why the rule does not decide.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Undecided {
    /// The unit has no index yet (e.g. a survey criterion withheld).
    NoIndex,
    /// The scheme needs the rank and none was given.
    NoRank,
    /// Hải Phòng: 80 ≤ index < 90 with a rank outside the good band: art. 8
    /// needs the rank, art. 9 needs index < 80.
    RankOutsideBand {
        block: String,
        rank: u32,
        last_rank: u32,
        index: Points,
    },
    /// Thái Bình: the index is in a row's range but the trend condition of
    /// that row fails, and no other row takes the index (e.g. 92 points with
    /// a falling field).
    TrendNotMet {
        band: HeadRating,
        index: Points,
        items: Vec<String>,
    },
    /// Thái Bình: the trend needs more published years than were given.
    HistoryMissing { items: Vec<String>, years: u32 },
    /// Thái Bình: an item fell the years that make a head "not completed"
    /// if the cause was subjective; nobody has said.
    DeclineCauseUnknown { items: Vec<String>, years: u32 },
    /// Thái Bình: the agency answers for no field, criterion or sub-criterion.
    NoAssignedItems,
}

/// `"1", "3.2"` — codes as a reader sees them in a sentence.
fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Undecided {
    pub fn key(&self) -> &'static str {
        match self {
            Undecided::NoIndex => "no_index",
            Undecided::NoRank => "no_rank",
            Undecided::RankOutsideBand { .. } => "rank_outside_band",
            Undecided::TrendNotMet { .. } => "trend_not_met",
            Undecided::HistoryMissing { .. } => "history_missing",
            Undecided::DeclineCauseUnknown { .. } => "decline_cause_unknown",
            Undecided::NoAssignedItems => "no_assigned_items",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Undecided::NoIndex => "Chưa có Chỉ số CCHC của đơn vị nên chưa xếp loại được.".into(),
            Undecided::NoRank => "Thiếu thứ hạng của đơn vị trong khối nên quy định không xếp loại được.".into(),
            Undecided::RankOutsideBand { block, rank, last_rank, index } => format!(
                "Quy định không xếp loại: {index} điểm (từ 80 đến dưới 90) nhưng xếp thứ {rank} trong khối \"{block}\", ngoài nhóm từ thứ 1 đến thứ {last_rank} (Điều 8.2); Điều 9 chỉ áp dụng từ 75 đến dưới 80 điểm. Đề nghị Hội đồng xem xét."
            ),
            Undecided::TrendNotMet { band, index, items } => format!(
                "Quy định không xếp loại: {index} điểm thuộc mức \"{}\" nhưng {} không đạt điều kiện về xu hướng điểm của mức này, và không mức nào khác nhận số điểm đó. Đề nghị Hội đồng xem xét.",
                band.label(),
                quoted(items)
            ),
            Undecided::HistoryMissing { items, years } => format!(
                "Thiếu số liệu công bố của các năm trước cho {} (cần {years} năm liền kề) nên chưa xếp loại được.",
                quoted(items)
            ),
            Undecided::DeclineCauseUnknown { items, years } => format!(
                "{} giảm điểm {years} năm liên tiếp: nếu do nguyên nhân chủ quan thì xếp loại Không hoàn thành nhiệm vụ (Điều 17.1.d). Cần xác định nguyên nhân trước khi xếp loại.",
                quoted(items)
            ),
            Undecided::NoAssignedItems => "Cơ quan không được giao phụ trách lĩnh vực, tiêu chí nào nên điều kiện về xu hướng điểm không xét được. Đề nghị Hội đồng xem xét.".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RatingOutcome {
    Rated {
        rating: HeadRating,
        /// Vietnamese: the article and the facts that met it.
        basis: String,
    },
    Undecided {
        reason: Undecided,
        message: String,
    },
    /// The profile rates no head, or not this block's heads.
    NotApplicable {
        message: String,
    },
}

impl RatingOutcome {
    pub(crate) fn rated(rating: HeadRating, basis: impl Into<String>) -> Self {
        RatingOutcome::Rated {
            rating,
            basis: basis.into(),
        }
    }

    pub(crate) fn undecided(reason: Undecided) -> Self {
        RatingOutcome::Undecided {
            message: reason.message(),
            reason,
        }
    }

    pub fn rating(&self) -> Option<HeadRating> {
        match self {
            RatingOutcome::Rated { rating, .. } => Some(*rating),
            _ => None,
        }
    }

    /// `excellent`, `good`, `completed`, `not_completed`, `undecided` or `not_applicable`.
    pub fn key(&self) -> &'static str {
        match self {
            RatingOutcome::Rated { rating, .. } => rating.key(),
            RatingOutcome::Undecided { .. } => "undecided",
            RatingOutcome::NotApplicable { .. } => "not_applicable",
        }
    }

    /// A Vietnamese line for people.
    pub fn message(&self) -> String {
        match self {
            RatingOutcome::Rated { rating, basis } => format!("{} ({basis})", rating.label()),
            RatingOutcome::Undecided { message, .. } => message.clone(),
            RatingOutcome::NotApplicable { message } => message.clone(),
        }
    }
}

/// What a scheme may need about one unit.
#[derive(Debug, Clone, Copy)]
pub struct RatingInput<'a> {
    pub block: &'a str,
    /// The published (rounded) index; None while it is withheld.
    pub index: Option<Points>,
    /// Rank within the block.
    pub rank: Option<u32>,
    /// Thái Bình: the fields, criteria and sub-criteria the agency answers for.
    pub items: &'a [AssignedItem],
}

/// Rates a head with the profile's scheme.
pub fn rate(profile: &Profile, input: &RatingInput<'_>) -> RatingOutcome {
    match &profile.head_rating {
        HeadRatingScheme::None => RatingOutcome::NotApplicable {
            message: "Hồ sơ này không có quy định xếp loại người đứng đầu.".into(),
        },
        HeadRatingScheme::HaiPhong2025(r) => {
            rate_hai_phong(r, input.block, input.index, input.rank)
        }
        HeadRatingScheme::ThaiBinh2021(r) => {
            rate_thai_binh(r, input.block, input.index, input.items)
        }
    }
}

pub(crate) fn not_rated_block(block: &str) -> RatingOutcome {
    RatingOutcome::NotApplicable {
        message: format!(
            "Người đứng đầu khối \"{block}\" không được xếp loại theo quy định của hồ sơ này."
        ),
    }
}
