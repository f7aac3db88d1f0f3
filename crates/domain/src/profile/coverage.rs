//! Whether the shipped questionnaires can produce every survey criterion a
//! profile scores: a criterion weighted for a respondent group needs at least
//! one question of that group's questionnaire mapped to its code.

use super::Profile;
use crate::questionnaire::{Questionnaire, RespondentGroup};

/// A survey criterion no questionnaire feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyGap {
    pub set: String,
    pub criterion: String,
    pub group: RespondentGroup,
    /// Line of the criterion in the profile file.
    pub line: usize,
}

impl SurveyGap {
    pub fn message(&self) -> String {
        format!(
            "bộ tiêu chí \"{}\": tiêu chí khảo sát \"{}\" có trọng số cho nhóm {} nhưng không phiếu nào của nhóm này có câu hỏi gắn với tiêu chí đó",
            self.set,
            self.criterion,
            group_key(self.group)
        )
    }
}

fn group_key(g: RespondentGroup) -> &'static str {
    RespondentGroup::ALL
        .iter()
        .find(|(_, x)| *x == g)
        .map(|(n, _)| *n)
        .unwrap_or("")
}

pub fn survey_gaps(profile: &Profile, questionnaires: &[&Questionnaire]) -> Vec<SurveyGap> {
    let mut gaps = Vec::new();
    for set in &profile.criteria_sets {
        for leaf in set.leaves() {
            let Some(super::Source::Survey { weights }) = &leaf.source else {
                continue;
            };
            for (group, _) in weights {
                let fed = questionnaires
                    .iter()
                    .filter(|q| q.group == *group)
                    .any(|q| q.criteria().contains_key(leaf.code.as_str()));
                if !fed {
                    gaps.push(SurveyGap {
                        set: set.code.clone(),
                        criterion: leaf.code.clone(),
                        group: *group,
                        line: leaf.line,
                    });
                }
            }
        }
    }
    gaps
}
