//! The pure rules of the administrative-reform index, applied with a
//! [`Profile`](crate::profile::Profile)'s settings:
//!
//! - [`appraisal`]: per-criterion arithmetic (evidence, the 70 % cap on evidence
//!   supplied in the explanation round, criteria that do not apply, bonus cap,
//!   deductions) and a unit's components;
//! - [`dossier`]: a dossier's lifecycle (draft, submitted, in explanation,
//!   approved): which event may happen at which stage and what follows;
//! - [`late`]: deadlines moved off weekends and holidays, late days, the penalty,
//!   and whether a dossier is locked at a given moment;
//! - [`survey`]: a survey criterion's points from each respondent group's share,
//!   with the minimum-answers policy;
//! - [`figures`]: index = appraised + survey (+ capped bonus − deductions), PARI,
//!   rounding once at the end, and the band;
//! - [`ranking`], [`trend`], [`head_rating`], [`explain`];
//! - [`council`]: the cases the rules leave to the council and the decisions
//!   it may take on each;
//! - [`standing`]: ranks and head ratings for a whole table, the one pipeline
//!   behind `chiso index compute` and the published table.
//!
//! Times are `chrono::NaiveDateTime` in Vietnam local time (UTC+7, no daylight
//! saving): deadlines in the regulations are local calendar days, and the
//! caller converts stored UTC instants before asking. Nothing here reads the
//! clock; `now` is a parameter.

pub mod appraisal;
pub mod band;
pub mod council;
pub mod dossier;
pub mod explain;
pub mod figures;
pub mod head_rating;
pub mod late;
pub mod ranking;
pub mod standing;
pub mod survey;
pub mod table;
pub mod trend;

pub use appraisal::{
    appraise, Appraisal, AppraisalError, Evidence, LeafInput, LeafScore, ScoreRule,
};
pub use band::band_for;
pub use council::{no_dossier_standing, Case, Decision, NoDossierStanding};
pub use dossier::{DossierEvent, DossierStage, Refusal, UnknownStage};
pub use explain::{explain_list, report_due, ExplainItem, SanctionDue};
pub use figures::{figures, ComponentError, Components, Figures, Note};
pub use head_rating::{
    rate, rate_hai_phong, rate_thai_binh, AssignedItem, Cause, HeadRating, RatingInput,
    RatingOutcome, Undecided,
};
pub use late::{days_late, dossier_state, lateness, DossierState, Lateness, LockReason};
pub use ranking::{rank_within_blocks, Rank, RankInput};
pub use standing::{
    assigned_item, assigned_item_in_frameworks, comparable, rank_and_rate, Standing, YearScore,
};
pub use survey::{survey_points, GroupEstimate, Shortfall, SurveyError, SurveyScore};
pub use trend::{changes, falling_streak, rising_streak, Change, Trend};

#[cfg(test)]
mod tests;
