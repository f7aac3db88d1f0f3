//! The duty to explain (Thái Bình art. 14–16, 19, 20): every field, criterion
//! or sub-criterion whose published score fell against the year before, the
//! department that answers for it (art. 15), how many years in a row it has
//! fallen, and the sanctions those years trigger (art. 19: criticism after one
//! fall, "not completed" after two, a report to the Party standing committee
//! after three — each only if the cause is found subjective).

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};

use crate::points::Points;
use crate::profile::{CriteriaSet, Level, Profile};

use super::trend::falling_streak;

/// A sanction the falls have reached.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SanctionDue {
    pub after_years: u32,
    pub action: String,
    pub article: Option<String>,
    /// Applies only if the cause is found subjective (art. 19).
    pub if_subjective: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExplainItem {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub current: Points,
    pub previous: Points,
    pub change: Points,
    /// Years in a row the score has fallen, this year included (≥ 1).
    pub falling_years: u32,
    pub bonus: bool,
    pub sanctions: Vec<SanctionDue>,
}

/// `history[0]` is this year's published scores by code, `history[1]` last
/// year's, and so on. Items come in the set's order.
pub fn explain_list(
    profile: &Profile,
    set: &CriteriaSet,
    history: &[BTreeMap<String, Points>],
) -> Vec<ExplainItem> {
    let decimals = profile.points.decimals;
    let refs: Vec<&BTreeMap<String, Points>> = history.iter().collect();
    let mut out = Vec::new();
    if refs.len() < 2 {
        return out;
    }
    for node in &set.nodes {
        let years = falling_streak(&refs, &node.code, decimals);
        if years == 0 {
            continue;
        }
        let current = refs[0][&node.code].round(decimals);
        let previous = refs[1][&node.code].round(decimals);
        // Art. 17.1.d, 19: encouragement items at any level are excepted.
        let bonus = node.encouragement;
        let sanctions = profile
            .explain
            .sanctions
            .iter()
            .filter(|s| years >= s.after_years && !(bonus && s.except_bonus))
            .map(|s| SanctionDue {
                after_years: s.after_years,
                action: s.action.clone(),
                article: s.article.clone(),
                if_subjective: s.subjective_only,
            })
            .collect();
        out.push(ExplainItem {
            code: node.code.clone(),
            name: node.name.clone(),
            level: node.level(),
            department_name: node
                .department
                .as_deref()
                .and_then(|d| profile.department(d))
                .map(|d| d.name.clone()),
            department: node.department.clone(),
            current,
            previous,
            change: current - previous,
            falling_years: years,
            bonus,
            sanctions,
        });
    }
    out
}

/// When the report with the explain list is due, counted from the national
/// publication (art. 20.2: within 30 days).
pub fn report_due(profile: &Profile, published: NaiveDate) -> Option<NaiveDate> {
    let days = profile.explain.report_days?;
    published.checked_add_days(Days::new(days as u64))
}
