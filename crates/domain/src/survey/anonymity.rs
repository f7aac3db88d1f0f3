//! Anonymity for civil servants rating their own agency: in an anonymous
//! campaign no figure comes from fewer than k answers, and figures do not
//! move while answers arrive.
//!
//! - k per group is the profile's `survey.anonymity_k` (at least 5), never
//!   below the group's `min_valid`; a criterion whose group has fewer valid
//!   answers is withheld (never flagged), and the group's share, standard
//!   error and interval on it are hidden, the open-link figures too.
//! - The service shows an anonymous campaign's figures only once it has
//!   closed: a figure that changes after one person submits is that
//!   person's answer, read off (see `service::results`).

use crate::profile::{BelowMinimum, SurveyRules};
use crate::questionnaire::RespondentGroup;

use super::component::UnitSurvey;

/// The smallest k the rule accepts.
pub const MIN_K: u32 = 5;

/// The threshold for one group: the profile's k, never below its minimum.
pub fn threshold(rules: &SurveyRules, group: RespondentGroup) -> u32 {
    rules.anonymity_k.max(MIN_K).max(rules.min_valid(group))
}

/// The survey rules of an anonymous campaign: every group's minimum raised
/// to its threshold, and a criterion below it withheld.
pub fn anonymous_rules(rules: &SurveyRules) -> SurveyRules {
    let mut r = rules.clone();
    r.min_valid = RespondentGroup::ALL
        .iter()
        .map(|(_, g)| (*g, threshold(rules, *g)))
        .collect();
    r.below_minimum = BelowMinimum::Withhold;
    r
}

/// Hides every group figure from fewer answers than the group's threshold.
pub fn suppress_small_cells(survey: &mut UnitSurvey, rules: &SurveyRules) {
    for g in &mut survey.groups {
        let k = u64::from(threshold(rules, g.group));
        for c in &mut g.criteria {
            if c.estimate.as_ref().is_some_and(|e| e.valid < k) {
                c.estimate = None;
                c.suppressed = true;
            }
            if c.open.as_ref().is_some_and(|e| e.valid < k) {
                c.open = None;
                c.suppressed = true;
            }
        }
    }
}
