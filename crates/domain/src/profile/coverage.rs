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

/// A block of the profile that no questionnaire of a group rates, although
/// the group's questionnaires rate other units by block (the leaders): every
/// unit of the block would have those criteria withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnratedBlock {
    pub block: String,
    pub group: RespondentGroup,
}

impl UnratedBlock {
    pub fn message(&self) -> String {
        format!(
            "khối \"{}\": không phiếu nào của nhóm {} đánh giá khối này (rated_blocks), nên các tiêu chí của nhóm đó bị giữ lại ở mọi đơn vị của khối",
            self.block,
            group_key(self.group)
        )
    }
}

/// Blocks left out by the groups that rate units of other blocks.
pub fn unrated_blocks(profile: &Profile, questionnaires: &[&Questionnaire]) -> Vec<UnratedBlock> {
    use crate::questionnaire::Rates;
    let mut out = Vec::new();
    for (_, group) in RespondentGroup::ALL {
        let rated: Vec<&String> = questionnaires
            .iter()
            .filter(|q| q.group == group)
            .filter_map(|q| match &q.rates {
                Rates::Blocks(b) => Some(b),
                Rates::OwnUnit => None,
            })
            .flatten()
            .collect();
        let asked = profile.criteria_sets.iter().any(|s| s.asks(group));
        if rated.is_empty() || !asked {
            continue;
        }
        for b in &profile.ranking.blocks {
            if !rated.contains(&&b.code) {
                out.push(UnratedBlock {
                    block: b.code.clone(),
                    group,
                });
            }
        }
    }
    out
}

/// How the profile converts the answers of the questionnaires its survey
/// criteria ask: every answer scale named in `survey.scales` (no seed states
/// it, so it is never left to a questionnaire file silently), with one score
/// per level.
pub fn scale_problems(profile: &Profile, questionnaires: &[&Questionnaire]) -> Vec<String> {
    let Some(survey) = &profile.survey else {
        return vec![];
    };
    let asked = |group: RespondentGroup| profile.criteria_sets.iter().any(|s| s.asks(group));
    let mut out = Vec::new();
    for q in questionnaires.iter().filter(|q| asked(q.group)) {
        for (name, levels) in q.scales() {
            match survey.scales.get(name) {
                None => out.push(format!(
                    "survey.scales: chưa đặt cách quy đổi thang đo \"{name}\" của phiếu \"{}\" thành điểm ({} mức: {})",
                    q.code,
                    levels.labels.len(),
                    levels.labels.join(", ")
                )),
                Some(scores) if scores.len() != levels.labels.len() => out.push(format!(
                    "survey.scales.{name}: {} điểm nhưng thang đo của phiếu \"{}\" có {} mức ({})",
                    scores.len(),
                    q.code,
                    levels.labels.len(),
                    levels.labels.join(", ")
                )),
                Some(_) => {}
            }
        }
    }
    out
}
