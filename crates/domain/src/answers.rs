//! A respondent's answers: parsed from form values once, checked against the
//! questionnaire, with conditions deciding which questions count.

use std::collections::BTreeMap;

use super::questionnaire::{Question, QuestionKind, Questionnaire};

/// Which unit an answer is about. For most questionnaires this is the
/// respondent's own unit; leaders answer the same questions for many units.
pub type RatedUnitId = i64;

/// Stored answers, keyed by rated unit and question code; values in their
/// stored text form (see [`encode`]).
pub type Answers = BTreeMap<(RatedUnitId, String), String>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("Vui lòng trả lời câu hỏi này.")]
    Required,
    #[error("Lựa chọn không hợp lệ.")]
    InvalidChoice,
    #[error("Chỉ được chọn một phương án.")]
    OnlyOne,
    #[error("Chọn tối đa {0} phương án.")]
    TooManyChoices(usize),
    #[error("Vui lòng nhập một số.")]
    NotANumber,
    #[error("Vui lòng nhập số nguyên.")]
    NotInteger,
    #[error("Giá trị phải từ {min} đến {max}.")]
    OutOfRange { min: String, max: String },
    #[error("Nội dung dài quá {0} ký tự.")]
    TooLong(usize),
}

fn fmt_num(v: Option<f64>, default: &str) -> String {
    v.map(|x| x.to_string())
        .unwrap_or_else(|| default.to_string())
}

/// Turns the raw values a form sent for one question into the stored text
/// form. `Ok(None)` means unanswered.
pub fn encode(q: &Question, raw: &[&str]) -> Result<Option<String>, FieldError> {
    let values: Vec<&str> = raw
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Ok(None);
    }
    match &q.kind {
        QuestionKind::Likert {
            levels,
            not_applicable,
            ..
        } => {
            let [v] = values[..] else {
                return Err(FieldError::OnlyOne);
            };
            if not_applicable.is_some() && v == crate::questionnaire::NOT_APPLICABLE {
                return Ok(Some(v.to_string()));
            }
            match v.parse::<usize>() {
                Ok(n) if (1..=levels.labels.len()).contains(&n) => Ok(Some(n.to_string())),
                _ => Err(FieldError::InvalidChoice),
            }
        }
        QuestionKind::Single { options } => {
            let [v] = values[..] else {
                return Err(FieldError::OnlyOne);
            };
            if options.iter().any(|o| o.code == v) {
                Ok(Some(v.to_string()))
            } else {
                Err(FieldError::InvalidChoice)
            }
        }
        QuestionKind::Multiple {
            options,
            max_choices,
        } => {
            // Keep the questionnaire's order and drop repeats, so equal sets
            // store equal text.
            if values.iter().any(|v| !options.iter().any(|o| o.code == *v)) {
                return Err(FieldError::InvalidChoice);
            }
            let chosen: Vec<&str> = options
                .iter()
                .map(|o| o.code.as_str())
                .filter(|c| values.contains(c))
                .collect();
            match max_choices {
                Some(m) if chosen.len() > *m => Err(FieldError::TooManyChoices(*m)),
                _ => Ok(Some(chosen.join(","))),
            }
        }
        QuestionKind::Number { min, max, integer } => {
            let [v] = values[..] else {
                return Err(FieldError::OnlyOne);
            };
            // Vietnamese writes a decimal comma.
            let x: f64 = v
                .replace(',', ".")
                .parse()
                .map_err(|_| FieldError::NotANumber)?;
            if !x.is_finite() {
                return Err(FieldError::NotANumber);
            }
            if *integer && x.fract() != 0.0 {
                return Err(FieldError::NotInteger);
            }
            if min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
                return Err(FieldError::OutOfRange {
                    min: fmt_num(*min, "−∞"),
                    max: fmt_num(*max, "+∞"),
                });
            }
            Ok(Some(x.to_string()))
        }
        QuestionKind::Text { max_length, .. } => {
            let [_] = values[..] else {
                return Err(FieldError::OnlyOne);
            };
            let text = raw
                .iter()
                .find(|v| !v.trim().is_empty())
                .map(|v| v.trim())
                .unwrap_or_default();
            if text.chars().count() > *max_length {
                Err(FieldError::TooLong(*max_length))
            } else {
                Ok(Some(text.replace("\r\n", "\n")))
            }
        }
    }
}

/// Whether a question is shown, given the answers about the same rated unit.
/// A question whose condition depends on a hidden question is hidden too.
pub fn is_visible(qn: &Questionnaire, q: &Question, unit: RatedUnitId, answers: &Answers) -> bool {
    let mut current = q;
    // Conditions only point backwards (checked at parse time), so this ends.
    while let Some(cond) = &current.show_if {
        let Some(value) = answers.get(&(unit, cond.question.clone())) else {
            return false;
        };
        if !value.split(',').any(|v| cond.any_of.iter().any(|a| a == v)) {
            return false;
        }
        match qn.question(&cond.question) {
            Some(target) => current = target,
            None => return false,
        }
    }
    true
}

/// Drops answers to questions that conditions now hide, so a changed mind on
/// an earlier question never leaves stale answers behind.
pub fn prune_hidden(qn: &Questionnaire, answers: &Answers) -> Answers {
    answers
        .iter()
        .filter(|((unit, code), _)| {
            qn.question(code)
                .is_some_and(|q| is_visible(qn, q, *unit, answers))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A question the respondent must still answer: required, shown, unanswered.
/// The one rule behind both the page check and the submission check.
pub fn is_missing(qn: &Questionnaire, q: &Question, unit: RatedUnitId, answers: &Answers) -> bool {
    q.required && is_visible(qn, q, unit, answers) && !answers.contains_key(&(unit, q.code.clone()))
}

/// Every visible required question left unanswered, in questionnaire order.
pub fn missing_required(
    qn: &Questionnaire,
    units: &[RatedUnitId],
    answers: &Answers,
) -> Vec<(RatedUnitId, String)> {
    let mut missing = Vec::new();
    for &unit in units {
        for q in qn.questions() {
            if is_missing(qn, q, unit, answers) {
                missing.push((unit, q.code.clone()));
            }
        }
    }
    missing
}

/// The codes of the questions missing on one section's page about one unit.
pub fn missing_in_section(
    qn: &Questionnaire,
    section_index: usize,
    unit: RatedUnitId,
    answers: &Answers,
) -> Vec<String> {
    qn.sections
        .get(section_index)
        .into_iter()
        .flat_map(|s| &s.questions)
        .filter(|q| is_missing(qn, q, unit, answers))
        .map(|q| q.code.clone())
        .collect()
}

/// One page of the form: one section, about one rated unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub unit_index: usize,
    pub section_index: usize,
}

/// Pages in the order a respondent meets them: all sections for the first
/// rated unit, then all for the next.
pub fn pages(qn: &Questionnaire, unit_count: usize) -> Vec<Page> {
    (0..unit_count)
        .flat_map(|u| {
            (0..qn.sections.len()).map(move |s| Page {
                unit_index: u,
                section_index: s,
            })
        })
        .collect()
}

/// The page that holds a question about a rated unit (`rated` in page order).
pub fn page_of(
    qn: &Questionnaire,
    rated: &[RatedUnitId],
    unit: RatedUnitId,
    code: &str,
) -> Option<usize> {
    let unit_index = rated.iter().position(|u| *u == unit)?;
    let section_index = qn
        .sections
        .iter()
        .position(|sec| sec.questions.iter().any(|q| q.code == code))?;
    Some(unit_index * qn.sections.len() + section_index)
}

/// Where a returning respondent continues: the first page with a required
/// question unanswered; with none, the first page of an untouched form or the
/// last page (where the submit button is) of a complete one.
pub fn resume_page(qn: &Questionnaire, rated: &[RatedUnitId], answers: &Answers) -> usize {
    let last = (rated.len() * qn.sections.len()).saturating_sub(1);
    missing_required(qn, rated, answers)
        .first()
        .and_then(|(unit, code)| page_of(qn, rated, *unit, code))
        .unwrap_or(if answers.is_empty() { 0 } else { last })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::parse_questionnaire;

    fn qn() -> Questionnaire {
        parse_questionnaire(
            r#"
code = "t"
title = "T"
group = "citizen"
[scales.s]
labels = ["a", "b", "c", "d", "e"]
scores = [0, 0, 0, 1, 1]
[[sections]]
code = "S"
title = "S"
[[sections.questions]]
code = "L"
kind = "likert"
scale = "s"
text = "L"
criterion = "1.1"
[[sections.questions]]
code = "C"
kind = "single"
text = "C"
options = [{ code = "y", label = "Có" }, { code = "n", label = "Không" }]
[[sections.questions]]
code = "W"
kind = "text"
text = "Why"
max_length = 5
show_if = { question = "C", any_of = ["y"] }
[[sections.questions]]
code = "WW"
kind = "multiple"
text = "More"
max_choices = 1
options = [{ code = "a", label = "A" }, { code = "b", label = "B" }]
show_if = { question = "C", any_of = ["y"] }
[[sections.questions]]
code = "N"
kind = "number"
text = "Age"
integer = true
min = 15
max = 120
required = false
"#,
        )
        .unwrap()
    }

    #[test]
    fn values_are_checked_per_kind() {
        let qn = qn();
        let q = |c| qn.question(c).unwrap();
        assert_eq!(encode(q("L"), &["4"]), Ok(Some("4".into())));
        assert_eq!(encode(q("L"), &["6"]), Err(FieldError::InvalidChoice));
        assert_eq!(encode(q("L"), &["4", "5"]), Err(FieldError::OnlyOne));
        assert_eq!(encode(q("L"), &[""]), Ok(None));
        assert_eq!(encode(q("C"), &["x"]), Err(FieldError::InvalidChoice));
        assert_eq!(encode(q("W"), &["123456"]), Err(FieldError::TooLong(5)));
        assert_eq!(encode(q("W"), &[" ổn "]), Ok(Some("ổn".into())));
        assert_eq!(
            encode(q("WW"), &["b", "a"]),
            Err(FieldError::TooManyChoices(1))
        );
        assert_eq!(encode(q("N"), &["30,5"]), Err(FieldError::NotInteger));
        assert_eq!(encode(q("N"), &["abc"]), Err(FieldError::NotANumber));
        assert!(matches!(
            encode(q("N"), &["9"]),
            Err(FieldError::OutOfRange { .. })
        ));
        assert_eq!(encode(q("N"), &["30"]), Ok(Some("30".into())));
    }

    #[test]
    fn conditions_hide_questions_and_their_answers() {
        let qn = qn();
        let mut a = Answers::new();
        a.insert((1, "L".into()), "4".into());
        a.insert((1, "C".into()), "n".into());
        a.insert((1, "W".into()), "stale".into());
        let pruned = prune_hidden(&qn, &a);
        assert!(!pruned.contains_key(&(1, "W".into())));
        assert!(missing_required(&qn, &[1], &pruned).is_empty());
        a.insert((1, "C".into()), "y".into());
        assert!(is_visible(&qn, qn.question("W").unwrap(), 1, &a));
        let missing = missing_required(&qn, &[1, 2], &prune_hidden(&qn, &a));
        assert_eq!(
            missing,
            vec![(1, "WW".into()), (2, "L".into()), (2, "C".into())]
        );
    }

    #[test]
    fn pages_run_unit_by_unit() {
        let p = pages(&qn(), 2);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[1],
            Page {
                unit_index: 1,
                section_index: 0
            }
        );
    }

    #[test]
    fn a_page_and_a_submission_agree_on_what_is_missing() {
        let qn = qn();
        let mut a = Answers::new();
        a.insert((1, "C".into()), "y".into());
        // The page check and the submission check use one rule.
        assert_eq!(missing_in_section(&qn, 0, 1, &a), vec!["L", "W", "WW"]);
        let whole: Vec<String> = missing_required(&qn, &[1], &a)
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        assert_eq!(whole, missing_in_section(&qn, 0, 1, &a));
    }

    #[test]
    fn a_returning_respondent_resumes_on_the_first_unfinished_page() {
        let qn = qn();
        let mut a = Answers::new();
        assert_eq!(resume_page(&qn, &[1, 2], &a), 0);
        for (u, c, v) in [(1, "L", "4"), (1, "C", "n")] {
            a.insert((u, c.into()), v.into());
        }
        assert_eq!(page_of(&qn, &[1, 2], 2, "C"), Some(1));
        assert_eq!(resume_page(&qn, &[1, 2], &a), 1);
        for (u, c, v) in [(2, "L", "4"), (2, "C", "n")] {
            a.insert((u, c.into()), v.into());
        }
        assert_eq!(resume_page(&qn, &[1, 2], &a), 1, "complete: the last page");
        assert_eq!(page_of(&qn, &[1, 2], 3, "C"), None);
    }
}
