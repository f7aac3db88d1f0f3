//! A questionnaire: one respondent group's questions, in sections, each scored
//! question feeding one criterion of the index.

mod parse;

pub use parse::{parse_questionnaire, Diagnostic};

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Who answers a questionnaire.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RespondentGroup {
    Citizen,
    Business,
    CivilServant,
    Leader,
}

impl RespondentGroup {
    pub const ALL: [(&'static str, RespondentGroup); 4] = [
        ("citizen", RespondentGroup::Citizen),
        ("business", RespondentGroup::Business),
        ("civil_servant", RespondentGroup::CivilServant),
        ("leader", RespondentGroup::Leader),
    ];

    /// The code used in files (`citizen`, `business`, `civil_servant`, `leader`).
    pub fn code(self) -> &'static str {
        match self {
            RespondentGroup::Citizen => "citizen",
            RespondentGroup::Business => "business",
            RespondentGroup::CivilServant => "civil_servant",
            RespondentGroup::Leader => "leader",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == code).map(|(_, g)| *g)
    }

    pub fn label(self) -> &'static str {
        match self {
            RespondentGroup::Citizen => "Người dân",
            RespondentGroup::Business => "Doanh nghiệp, tổ chức",
            RespondentGroup::CivilServant => "Cán bộ, công chức",
            RespondentGroup::Leader => "Lãnh đạo đơn vị",
        }
    }

    /// Whether a new campaign lets anyone start this group's questionnaire
    /// through an open link. Citizens and businesses come as they are served;
    /// civil servants and leaders rate their own agency or their peers, so an
    /// open link would let anyone speak for them: closed unless staff open it
    /// (issue 15; no seed says either way, so staff can switch it).
    pub fn open_link_by_default(self) -> bool {
        matches!(self, RespondentGroup::Citizen | RespondentGroup::Business)
    }
}

/// The stored value of a "không áp dụng" answer to a likert item.
pub const NOT_APPLICABLE: &str = "na";

/// Which units one respondent rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rates {
    /// The unit the respondent dealt with or works in.
    OwnUnit,
    /// Every unit of these blocks except the respondent's own: after the 2025
    /// reform commune leaders rate every sở and sở leaders rate every commune.
    Blocks(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub labels: Vec<String>,
    /// Score in [0, 1] of each level, same length as `labels`.
    pub scores: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub code: String,
    pub label: String,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QuestionKind {
    Likert {
        scale: String,
        levels: Scale,
        /// The label of a "không áp dụng" answer, for an item the respondent
        /// may not have experienced (the waiting room for an online
        /// applicant): stored as [`NOT_APPLICABLE`], it has no score, so it
        /// leaves the item's denominator.
        not_applicable: Option<String>,
    },
    Single {
        options: Vec<Choice>,
    },
    Multiple {
        options: Vec<Choice>,
        max_choices: Option<usize>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
        integer: bool,
    },
    Text {
        max_length: usize,
        multiline: bool,
    },
}

/// Show a question only when an earlier question's answer is one of `any_of`
/// (option codes, or likert level numbers counted from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub question: String,
    pub any_of: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub code: String,
    pub text: String,
    pub help: Option<String>,
    pub kind: QuestionKind,
    pub required: bool,
    /// The index criterion this question's score feeds, e.g. `8.1.2`.
    pub criterion: Option<String>,
    pub show_if: Option<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Questionnaire {
    pub code: String,
    pub title: String,
    pub group: RespondentGroup,
    pub rates: Rates,
    pub intro: Option<String>,
    pub sections: Vec<Section>,
}

impl Questionnaire {
    /// The questionnaire with its answer scales scored as `scales` says
    /// (a profile's `survey.scales`); a scale not named keeps its scores.
    /// A named scale must have one score per level.
    pub fn with_scale_scores(
        &self,
        scales: &std::collections::BTreeMap<String, Vec<f64>>,
    ) -> Result<Questionnaire, String> {
        let mut q = self.clone();
        for section in &mut q.sections {
            for question in &mut section.questions {
                if let QuestionKind::Likert { scale, levels, .. } = &mut question.kind {
                    if let Some(scores) = scales.get(scale.as_str()) {
                        if scores.len() != levels.labels.len() {
                            return Err(format!(
                                "survey.scales.{scale} có {} điểm nhưng thang đo \"{scale}\" của phiếu \"{}\" có {} mức trả lời",
                                scores.len(),
                                self.code,
                                levels.labels.len()
                            ));
                        }
                        levels.scores = scores.clone();
                    }
                }
            }
        }
        Ok(q)
    }

    /// Each answer scale the questionnaire uses, once, with its levels.
    pub fn scales(&self) -> Vec<(&str, &Scale)> {
        let mut out: Vec<(&str, &Scale)> = Vec::new();
        for q in self.questions() {
            if let QuestionKind::Likert { scale, levels, .. } = &q.kind {
                if !out.iter().any(|(s, _)| *s == scale.as_str()) {
                    out.push((scale.as_str(), levels));
                }
            }
        }
        out
    }
}

/// The version of a questionnaire is the hash of its file: any edit, even of
/// wording, makes a new version, and answers keep pointing at the old one.
pub fn content_hash(source: &str) -> String {
    hex::encode(Sha256::digest(source.as_bytes()))
}

impl Questionnaire {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, code: &str) -> Option<&Question> {
        self.questions().find(|q| q.code == code)
    }

    pub fn question_count(&self) -> usize {
        self.questions().count()
    }

    /// Criterion code → the questions that feed it.
    pub fn criteria(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for q in self.questions() {
            if let Some(c) = &q.criterion {
                map.entry(c.as_str()).or_default().push(q.code.as_str());
            }
        }
        map
    }
}

impl Question {
    /// The score in [0, 1] of a stored answer value, if the question is scored.
    pub fn score(&self, value: &str) -> Option<f64> {
        self.criterion.as_ref()?;
        match &self.kind {
            QuestionKind::Likert { levels, .. } => {
                let level: usize = value.parse().ok()?;
                levels.scores.get(level.checked_sub(1)?).copied()
            }
            QuestionKind::Single { options } => options.iter().find(|o| o.code == value)?.score,
            _ => None,
        }
    }
}
