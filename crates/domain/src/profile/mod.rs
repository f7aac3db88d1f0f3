//! A province's rules as data: the criteria trees with their maximum points,
//! the appraised/survey split, survey settings, bands, ranking blocks, the
//! head-of-agency scheme, the appraisal rules (70 % cap on late evidence, late
//! dossier penalty, bonus cap, rounding), deadlines and public holidays.
//!
//! Every number that differs between provinces or years lives here, read from
//! `questionnaires/profiles/<code>.toml` by [`parse_profile`]; the rules in
//! [`crate::index`] take a `Profile` and hold no constants of their own.

mod calendar;
mod coverage;
mod date_rule;
mod parse;
mod readings;
mod tree;

pub use calendar::{Calendar, Holiday};
pub use coverage::{scale_problems, survey_gaps, unrated_blocks, SurveyGap, UnratedBlock};
pub use date_rule::DateRule;
pub use parse::parse_profile;
pub use readings::{Basis, Reading};
pub use tree::{CriteriaSet, Criterion, Kind, Level, Source};

pub use crate::toml_lines::Diagnostic;

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::points::{Factor, Points};
use crate::questionnaire::RespondentGroup;

/// A profile: one province (or town) and year.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// e.g. `son-la-2021`.
    pub code: String,
    /// Vietnamese, e.g. "Tỉnh Sơn La — Chỉ số CCHC 2021".
    pub name: String,
    pub year: i32,
    /// The regulation the profile follows (number, date, issuer).
    pub regulation: String,
    /// The file in `seeds/` the profile was built from, if any.
    pub seed: Option<String>,
    /// Parts that are realistic examples rather than the regulation's text.
    pub example_parts: Vec<Part>,
    pub points: PointsRules,
    pub departments: Vec<Department>,
    /// Unit types' Vietnamese names (`[unit_types]`), e.g. `dac_khu` →
    /// "Đặc khu"; a type without one is named by its criteria set.
    pub unit_type_names: BTreeMap<String, String>,
    pub criteria_sets: Vec<CriteriaSet>,
    pub ranking: Ranking,
    pub bands: Bands,
    pub survey: Option<SurveyRules>,
    pub appraisal: AppraisalRules,
    pub deadlines: Vec<Deadline>,
    pub calendar: Calendar,
    pub head_rating: HeadRatingScheme,
    pub explain: ExplainRules,
    /// What the council decides and what the profile decides for it.
    pub council: CouncilRules,
    /// How each respondent group is sampled (`[sampling.<group>]`); a group
    /// without a rule is not sampled.
    pub sampling: crate::sampling::SamplingRules,
}

/// The parts of a profile, as named in `example_parts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Points,
    Departments,
    Criteria,
    Survey,
    Bands,
    Ranking,
    Appraisal,
    Deadlines,
    Calendar,
    HeadRating,
    Explain,
    Sampling,
    /// `points.decimals` alone, where the seed states the points but not
    /// how they are rounded (Sơn La).
    Rounding,
}

impl Part {
    pub const ALL: [(&'static str, Part); 13] = [
        ("points", Part::Points),
        ("departments", Part::Departments),
        ("criteria", Part::Criteria),
        ("survey", Part::Survey),
        ("bands", Part::Bands),
        ("ranking", Part::Ranking),
        ("appraisal", Part::Appraisal),
        ("deadlines", Part::Deadlines),
        ("calendar", Part::Calendar),
        ("head_rating", Part::HeadRating),
        ("explain", Part::Explain),
        ("sampling", Part::Sampling),
        ("rounding", Part::Rounding),
    ];

    pub fn key(self) -> &'static str {
        Part::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map(|(k, _)| *k)
            .unwrap_or("")
    }
}

/// The 100-point scale and how it splits.
#[derive(Debug, Clone, PartialEq)]
pub struct PointsRules {
    /// Maximum on the standard scale, bonus included where the regulation
    /// counts it in (Ninh Hòa art. 4.2: 100 "bao gồm cả điểm thưởng").
    pub total: Points,
    /// Appraised self-assessment points (Sơn La: 70), when the regulation fixes them.
    pub appraised: Option<Points>,
    /// Survey points (Sơn La: 30), when the regulation fixes them.
    pub survey: Option<Points>,
    /// Most bonus a unit can earn across all its bonus items (Ninh Hòa: 5).
    pub bonus_cap: Points,
    /// Decimal places of published figures; rounding is half away from zero,
    /// once, at the end.
    pub decimals: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub code: String,
    pub name: String,
}

/// A ranking block (khối): units are ranked within their block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranking {
    pub blocks: Vec<Block>,
    pub tie_break: TieBreak,
}

/// What separates two units with the same published index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    /// They share the rank and the next rank is skipped: 1, 2, 2, 4.
    Shared,
    /// The higher survey component ranks first; still equal → shared.
    Survey,
    /// The higher appraised component ranks first; still equal → shared.
    Appraised,
}

/// Whether bands read the index (points) or PARI (p / P × 100 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BandBasis {
    Index,
    Pari,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Band {
    /// Short label, e.g. `A` or `TỐT`.
    pub label: String,
    /// Vietnamese name, e.g. "Nhóm A (nhóm tốt)".
    pub name: String,
    /// Inclusive lower bound on the rounded figure.
    pub min: Points,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    pub on: BandBasis,
    /// Highest first; the last one's `min` is 0.
    pub levels: Vec<Band>,
}

/// Whether answers collected through open links count in the estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenLinks {
    Include,
    Exclude,
}

/// What happens to a survey criterion with fewer valid answers than the minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BelowMinimum {
    /// No score: the unit's index waits until the council decides.
    Withhold,
    /// Scored, and the figure carries a warning.
    Flag,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SurveyRules {
    pub open_links: OpenLinks,
    pub below_minimum: BelowMinimum,
    /// Minimum valid answers per respondent group and unit.
    pub min_valid: Vec<(RespondentGroup, u32)>,
    /// How answers become points (`survey.scales`): the score of each level
    /// of the named answer scale. No seed states it (SIPAS counts the top
    /// two levels; "Phân vân" as 0.5 is a choice), so it is the province's
    /// setting; a scale it does not name keeps its questionnaire's scores.
    pub scales: BTreeMap<String, Vec<f64>>,
    /// `survey.anonymity_k`: in an anonymous campaign no figure comes from
    /// fewer answers than this (at least 5, and never below a group's
    /// `min_valid`). No seed states it: the province's setting.
    pub anonymity_k: u32,
}

impl SurveyRules {
    /// The minimum for a group; a group the profile does not list needs one answer.
    pub fn min_valid(&self, group: RespondentGroup) -> u32 {
        self.min_valid
            .iter()
            .find(|(g, _)| *g == group)
            .map(|(_, n)| *n)
            .unwrap_or(1)
    }
}

/// How late days are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    Calendar,
    Working,
}

/// What scores 0 when no dossier came by the end of the grace days (Ninh Hòa
/// art. 7.5: "Quá thời hạn nêu trên thì điểm hồ sơ đề nghị thẩm định được
/// xác định là 0 (không) điểm").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TooLateScores {
    /// The literal reading, the default: the points of the dossier, i.e.
    /// every self-assessed criterion and bonus item. The survey still counts.
    WholeDossier,
    /// Only the criterion that scores the dossier itself (`dossier = true`,
    /// e.g. "Hồ sơ đề nghị thẩm định gửi đúng hạn"); the rest as entered.
    DossierCriterion,
}

impl TooLateScores {
    pub fn label(self) -> &'static str {
        match self {
            TooLateScores::WholeDossier => "toàn bộ điểm hồ sơ tự đánh giá là 0",
            TooLateScores::DossierCriterion => "chỉ tiêu chí về hồ sơ đề nghị thẩm định là 0",
        }
    }
}

/// A dossier submitted after its deadline (Ninh Hòa art. 7.5).
#[derive(Debug, Clone, PartialEq)]
pub struct LateRule {
    /// Deducted per late day within the grace period.
    pub points_per_day: Points,
    /// Days after the deadline during which a unit that has not submitted may
    /// still submit; later, its dossier scores 0 as `too_late` reads it.
    pub grace_days: u32,
    pub count: DayCount,
    /// The deadline (code in `deadlines`) the rule measures from.
    pub deadline: String,
    pub too_late: TooLateScores,
    /// Whether the last grace day, when it falls on a weekend or holiday,
    /// moves to the next working day. Art. 7.5 moves "ngày kết thúc thời hạn"
    /// — read literally, the official deadline only (false, the default).
    pub grace_end_moves: bool,
}

impl LateRule {
    /// The last day a unit that has not submitted may still submit.
    pub fn grace_end(&self, calendar: &Calendar, effective_deadline: NaiveDate) -> NaiveDate {
        let end = match self.count {
            DayCount::Calendar => effective_deadline
                .checked_add_days(chrono::Days::new(u64::from(self.grace_days)))
                .unwrap_or(effective_deadline),
            DayCount::Working if self.grace_days == 0 => effective_deadline,
            DayCount::Working => calendar.working_days_after(effective_deadline, self.grace_days),
        };
        if self.grace_end_moves {
            calendar.effective_deadline(end)
        } else {
            end
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppraisalRules {
    /// Evidence first supplied or replaced in the explanation round earns at
    /// most this share of the level's points (Ninh Hòa art. 7.2: 70 %).
    pub supplement_factor: Factor,
    pub late: Option<LateRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// e.g. `self_assessment`.
    pub code: String,
    pub name: String,
    /// As the regulation writes it, a yearly rule; for a campaign's year,
    /// [`Calendar::effective_deadline`] moves its date off weekends and holidays.
    pub rule: DateRule,
}

/// The head-of-agency rating a profile applies.
#[derive(Debug, Clone, PartialEq)]
pub enum HeadRatingScheme {
    None,
    HaiPhong2025(HaiPhongRules),
    ThaiBinh2021(ThaiBinhRules),
}

impl HeadRatingScheme {
    pub fn key(&self) -> &'static str {
        match self {
            HeadRatingScheme::None => "none",
            HeadRatingScheme::HaiPhong2025(_) => "hai_phong_2025",
            HeadRatingScheme::ThaiBinh2021(_) => "thai_binh_2021",
        }
    }
}

/// Minimum index (inclusive) for each rating level.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreThresholds {
    pub excellent: Points,
    pub good: Points,
    pub completed: Points,
}

/// Hải Phòng 2025 draft, art. 7–10: rank within the block and total index.
#[derive(Debug, Clone, PartialEq)]
pub struct HaiPhongRules {
    /// Blocks whose heads are rated.
    pub blocks: Vec<String>,
    pub thresholds: ScoreThresholds,
    /// Block → last rank that can be rated excellent (art. 7.1: 3 / 10 / 15).
    pub excellent_rank: BTreeMap<String, u32>,
    /// Block → last rank that can be rated good with 80 ≤ index < 90
    /// (art. 8.2: 8 / 24 / 38; the article is garbled, see the profile).
    pub good_rank: BTreeMap<String, u32>,
}

/// `[council]`: cases no seed regulation settles, set per province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CouncilRules {
    /// A unit that submitted no self-assessment dossier. No seed states
    /// what happens to it, so this is a labelled setting; without it the
    /// council decides each such unit.
    pub no_dossier: NoDossier,
}

/// How a unit without a dossier is treated (`council.no_dossier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoDossier {
    /// Ranked with every appraised criterion at 0 (`score_zero`).
    ScoreZero,
    /// Published as not ranked (`exclude`).
    Exclude,
    /// The council decides each unit, with a reason (`council`, the default).
    #[default]
    Council,
}

impl NoDossier {
    pub const ALL: [(&'static str, NoDossier); 3] = [
        ("score_zero", NoDossier::ScoreZero),
        ("exclude", NoDossier::Exclude),
        ("council", NoDossier::Council),
    ];

    /// Vietnamese, for the pages that depend on the setting.
    pub fn label(self) -> &'static str {
        match self {
            NoDossier::ScoreZero => "tính điểm 0 cho các tiêu chí thẩm định và vẫn xếp hạng",
            NoDossier::Exclude => "không xếp hạng",
            NoDossier::Council => "Hội đồng quyết định từng đơn vị",
        }
    }
}

/// What to do with a head whose agency answers for no field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WithoutAssigned {
    /// The trend conditions have nothing to test; the index alone decides.
    IndexOnly,
    /// Leave it to the council.
    Undecided,
}

/// Thái Bình 2021, art. 17.1: index and the trend of the fields, criteria and
/// sub-criteria the agency answers for.
#[derive(Debug, Clone, PartialEq)]
pub struct ThaiBinhRules {
    pub blocks: Vec<String>,
    pub thresholds: ScoreThresholds,
    /// Excellent needs each assigned item at its maximum or rising this many
    /// years in a row (art. 17.1.a: 2).
    pub rising_years: u32,
    /// Not completed when one item fell this many years in a row for a
    /// subjective cause, bonus items excepted (art. 17.1.d: 2).
    pub falling_years: u32,
    pub without_assigned: WithoutAssigned,
    /// The criteria set of the province-level index whose fields and
    /// criteria are assigned to the heads (art. 17.1: "lĩnh vực, tiêu chí
    /// được giao"); their maxima and kinds come from it.
    pub items_set: String,
}

/// A consequence of a score falling several years running (Thái Bình art. 19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sanction {
    /// Triggered when the same item fell this many years in a row.
    pub after_years: u32,
    /// Vietnamese, e.g. "Phê bình bằng văn bản".
    pub action: String,
    pub article: Option<String>,
    /// Only when the fall is found to have a subjective cause.
    pub subjective_only: bool,
    /// Bonus items do not trigger it.
    pub except_bonus: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExplainRules {
    /// Days after publication by which the list of heads who must explain is
    /// due (Thái Bình art. 20.2: 30).
    pub report_days: Option<u32>,
    pub sanctions: Vec<Sanction>,
}

impl Profile {
    /// The criteria set that applies to a unit type (`so`, `phuong`, `xa`, …).
    pub fn criteria_set_for(&self, unit_type: &str) -> Option<&CriteriaSet> {
        self.criteria_sets
            .iter()
            .find(|s| s.unit_types.iter().any(|t| t == unit_type))
    }

    /// A unit type's name as the profile writes it, if it names it.
    pub fn unit_type_name(&self, unit_type: &str) -> Option<&str> {
        self.unit_type_names.get(unit_type).map(String::as_str)
    }

    pub fn criteria_set(&self, code: &str) -> Option<&CriteriaSet> {
        self.criteria_sets.iter().find(|s| s.code == code)
    }

    pub fn block(&self, code: &str) -> Option<&Block> {
        self.ranking.blocks.iter().find(|b| b.code == code)
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.code == code)
    }

    pub fn deadline(&self, code: &str) -> Option<&Deadline> {
        self.deadlines.iter().find(|d| d.code == code)
    }

    /// Why a campaign assessing `year` cannot follow this profile: a year
    /// before the regulation's, or a deadline written as a fixed date of
    /// another year. Empty when it can.
    pub fn check_year(&self, year: i32) -> Vec<String> {
        let mut problems = Vec::new();
        if year < self.year {
            problems.push(format!(
                "hồ sơ {} áp dụng từ năm {}: không dùng cho đợt đánh giá năm {year}",
                self.code, self.year
            ));
        }
        if year != self.year {
            for d in self
                .deadlines
                .iter()
                .filter(|d| d.rule.is_fixed(&self.deadlines))
            {
                problems.push(format!(
                    "hồ sơ {}: hạn \"{}\" ghi {}, chỉ dùng cho năm {}; với đợt năm {year}, sửa thành \
                     yearly = \"dd/mm\" (hằng năm)",
                    self.code,
                    d.name,
                    d.rule.describe(&self.deadlines),
                    self.year
                ));
            }
        }
        problems
    }

    /// What the campaign's page says about its calendar for `year`: e.g. that
    /// the holiday list does not cover the year, so deadlines move only off
    /// weekends.
    pub fn calendar_notes(&self, year: i32) -> Vec<String> {
        let covered = |y: i32| self.calendar.holidays.iter().any(|h| h.date.year() == y);
        let mut notes = Vec::new();
        for y in [year, year + 1] {
            let needed = self
                .deadlines
                .iter()
                .any(|d| d.rule.on(year, &self.deadlines).year() == y);
            if needed && !covered(y) {
                notes.push(format!(
                    "Lịch nghỉ lễ trong hồ sơ {} không có năm {y}: hạn rơi vào ngày lễ năm {y} \
                     không được dời, chỉ dời khỏi ngày nghỉ cuối tuần. Thêm ngày nghỉ năm {y} vào \
                     [calendar] holidays của hồ sơ nếu cần.",
                    self.code
                ));
            }
        }
        notes
    }

    pub fn is_example(&self, part: Part) -> bool {
        self.example_parts.contains(&part)
    }

    /// Number of criteria (all levels) over all sets.
    pub fn criterion_count(&self) -> usize {
        self.criteria_sets.iter().map(|s| s.nodes.len()).sum()
    }
}

#[cfg(test)]
mod tests;
