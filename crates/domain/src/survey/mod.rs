//! The survey component of a unit's index, from submitted answers: per rated
//! unit × criterion × respondent group a design-weighted score with its
//! standard error and 95 % interval, then the criterion points and the
//! unit's survey component with an interval of its own.
//!
//! Pipeline: a [`Scorer`] turns a respondent's stored answers into one score
//! per criterion ([`RespondentScores`]); a [`Tally`] per unit × group ×
//! stratum keeps integer running sums of those scores, updated one response
//! at a time or rebuilt from all answers with the same result to the bit;
//! [`unit_survey`] turns a unit's tallies and each stratum's frame population
//! into estimates, points and flags. README.md ("Survey component") states
//! the method.

pub mod anonymity;
mod component;
mod design;
mod error;
mod group;
pub mod origins;
pub mod packed;
mod scorer;
mod tally;

pub use component::{
    unit_survey, Component, ComponentStatus, CriterionPoints, CriterionShortfall, UnitSurvey,
};
pub use design::SeIssue;
pub use error::ScoringError;
pub use group::{
    estimate_group, Ci, CriterionEstimate, DrawnStratum, GroupInput, GroupResult, ShareEstimate,
    StratumFrame,
};
pub use scorer::{QuestionRef, RespondentScores, Scorer, MICRO};
pub use tally::{Origin, Tallies, Tally, UnitGroupTallies};

#[cfg(test)]
mod crosscheck;
#[cfg(test)]
mod tests;
