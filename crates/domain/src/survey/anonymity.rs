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

/// The threshold for one group of a campaign whose profile may have no
/// survey rules (or no profile): then the rule's least, [`MIN_K`].
pub fn threshold_or_least(rules: Option<&SurveyRules>, group: RespondentGroup) -> u32 {
    rules.map_or(MIN_K, |r| threshold(r, group))
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

/// One response's place in an anonymous campaign's microdata: its
/// respondent's unit and its stratum of the draw (none outside the draw).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Placed<'a> {
    pub unit: Option<i64>,
    pub stratum: Option<&'a str>,
}

/// What an anonymous campaign's microdata leave out or merge, so that no
/// row belongs to a unit × group cell or a stratum of fewer than k
/// responses (issue 15: "the microdata merges or suppresses strata and unit
/// × group cells below k").
///
/// - A unit with fewer than k responses to the questionnaire: its responses
///   are withheld (not exported). Blanking the unit would not do: a leader's
///   rows name every unit rated, and the one missing is their own.
/// - Within a unit that stays, strata with fewer than k responses are merged
///   into one; when the merged strata still hold fewer than k, every
///   stratum of the unit is merged (the unit has at least k).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MicrodataMask {
    pub withheld_units: std::collections::BTreeSet<Option<i64>>,
    /// Stratum id → the unit its merge belongs to.
    pub merged: std::collections::BTreeMap<String, Option<i64>>,
}

impl MicrodataMask {
    pub fn new<'a>(k: u32, responses: impl IntoIterator<Item = Placed<'a>>) -> Self {
        use std::collections::BTreeMap;
        let k = u64::from(k);
        // unit → stratum → responses (None: outside the draw).
        let mut cells: BTreeMap<Option<i64>, BTreeMap<Option<&str>, u64>> = BTreeMap::new();
        for p in responses {
            *cells
                .entry(p.unit)
                .or_default()
                .entry(p.stratum)
                .or_default() += 1;
        }
        let mut mask = MicrodataMask::default();
        for (unit, strata) in cells {
            if strata.values().sum::<u64>() < k {
                mask.withheld_units.insert(unit);
                continue;
            }
            let drawn = strata.iter().filter_map(|(s, n)| s.map(|s| (s, *n)));
            let small: Vec<(&str, u64)> = drawn.clone().filter(|(_, n)| *n < k).collect();
            let pooled: u64 = small.iter().map(|(_, n)| n).sum();
            let merge: Vec<&str> = if small.is_empty() {
                vec![]
            } else if pooled >= k {
                small.iter().map(|(s, _)| *s).collect()
            } else {
                drawn.map(|(s, _)| s).collect()
            };
            for s in merge {
                mask.merged.insert(s.to_string(), unit);
            }
        }
        mask
    }

    pub fn withholds(&self, unit: Option<i64>) -> bool {
        self.withheld_units.contains(&unit)
    }

    /// The unit whose merged stratum this stratum joins, if it is merged.
    pub fn merged_into(&self, stratum: &str) -> Option<Option<i64>> {
        self.merged.get(stratum).copied()
    }
}

#[cfg(test)]
mod mask_tests {
    use super::*;

    fn placed(unit: i64, stratum: &str, n: usize) -> Vec<(Option<i64>, Option<String>)> {
        vec![(Some(unit), Some(stratum.to_string())); n]
    }

    fn mask(k: u32, rows: &[(Option<i64>, Option<String>)]) -> MicrodataMask {
        MicrodataMask::new(
            k,
            rows.iter().map(|(u, s)| Placed {
                unit: *u,
                stratum: s.as_deref(),
            }),
        )
    }

    #[test]
    fn a_unit_below_k_is_withheld_and_small_strata_are_merged() {
        // Unit 1: strata of 6, 3 and 2 → the 3 and 2 (5 together) merge.
        // Unit 2: 4 responses → withheld.
        // Unit 3: strata of 9 and 1 → the 1 alone is below k, so both merge.
        let mut rows = placed(1, "a", 6);
        rows.extend(placed(1, "b", 3));
        rows.extend(placed(1, "c", 2));
        rows.extend(placed(2, "d", 4));
        rows.extend(placed(3, "e", 9));
        rows.extend(placed(3, "f", 1));
        let m = mask(5, &rows);
        assert!(m.withholds(Some(2)) && !m.withholds(Some(1)) && !m.withholds(Some(3)));
        assert_eq!(m.merged_into("a"), None);
        assert_eq!(m.merged_into("b"), Some(Some(1)));
        assert_eq!(m.merged_into("c"), Some(Some(1)));
        assert_eq!(m.merged_into("e"), Some(Some(3)));
        assert_eq!(m.merged_into("f"), Some(Some(3)));
        assert_eq!(m.merged_into("d"), None, "withheld, not merged");
    }

    #[test]
    fn a_campaign_without_survey_rules_uses_the_least_k() {
        assert_eq!(
            threshold_or_least(None, RespondentGroup::CivilServant),
            MIN_K
        );
    }

    #[test]
    fn open_link_responses_count_for_the_unit_and_have_no_stratum() {
        let mut rows = placed(1, "a", 3);
        rows.extend(vec![(Some(1), None); 2]);
        let m = mask(5, &rows);
        assert!(!m.withholds(Some(1)), "3 drawn and 2 open make 5");
        assert_eq!(
            m.merged_into("a"),
            Some(Some(1)),
            "the only stratum, below k"
        );
    }
}
