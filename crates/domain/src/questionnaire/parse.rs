//! TOML → [`Questionnaire`], reporting every problem with its line.
//!
//! Shape errors (a string where a list belongs) stop serde, so they come alone;
//! unknown keys are collected by `serde_ignored` and every semantic problem
//! (duplicates, missing criteria, bad scales, dangling conditions) is found in
//! one pass, so an author fixes a file in one round.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Choice, Condition, Question, QuestionKind, Questionnaire, Rates, RespondentGroup, Scale,
    Section,
};
use crate::code::{check_code, Slug};
pub use crate::toml_lines::Diagnostic;
use crate::toml_lines::{finish, read_raw, LineIndex};

#[derive(Deserialize)]
struct RawQuestionnaire {
    code: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    group: Option<Spanned<String>>,
    rated_blocks: Option<Spanned<Vec<String>>>,
    intro: Option<String>,
    #[serde(default)]
    scales: BTreeMap<String, Spanned<RawScale>>,
    #[serde(default)]
    sections: Vec<Spanned<RawSection>>,
}

#[derive(Deserialize)]
struct RawScale {
    labels: Option<Vec<String>>,
    scores: Option<Vec<f64>>,
}

#[derive(Deserialize)]
struct RawSection {
    code: Option<Spanned<String>>,
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    questions: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
struct RawQuestion {
    code: Option<Spanned<String>>,
    text: Option<String>,
    help: Option<String>,
    kind: Option<Spanned<String>>,
    required: Option<bool>,
    criterion: Option<Spanned<String>>,
    scale: Option<Spanned<String>>,
    options: Option<Vec<Spanned<RawChoice>>>,
    max_choices: Option<usize>,
    min: Option<f64>,
    max: Option<f64>,
    integer: Option<bool>,
    max_length: Option<usize>,
    multiline: Option<bool>,
    show_if: Option<Spanned<RawCondition>>,
    /// Likert only: the label of a "không áp dụng" answer.
    not_applicable: Option<String>,
}

#[derive(Deserialize)]
struct RawChoice {
    code: Option<String>,
    label: Option<String>,
    score: Option<f64>,
}

#[derive(Deserialize)]
struct RawCondition {
    question: Option<String>,
    any_of: Option<Vec<String>>,
}

const DEFAULT_TEXT_LENGTH: usize = 2000;
const MAX_TEXT_LENGTH: usize = 10_000;

/// Parses and validates a questionnaire. On failure every problem found is
/// returned, sorted by line.
pub fn parse_questionnaire(source: &str) -> Result<Questionnaire, Vec<Diagnostic>> {
    let raw = read_raw::<RawQuestionnaire>(source)?;
    let mut c = Checker {
        lines: &raw.lines,
        source,
        diags: Vec::new(),
    };
    for path in &raw.unknown {
        c.unknown_key(&raw.value, path);
    }
    let q = c.questionnaire(raw.value);
    finish(q, c.diags)
}

struct Checker<'a> {
    lines: &'a LineIndex<'a>,
    source: &'a str,
    diags: Vec<Diagnostic>,
}

fn is_question_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Checker<'_> {
    fn err_at(&mut self, offset: usize, message: impl Into<String>) {
        let line = self.lines.line(offset);
        self.diags.push(Diagnostic {
            line,
            message: message.into(),
        });
    }

    fn key_line(&self, span: Range<usize>, key: &str) -> usize {
        self.lines.key_line(span, key)
    }

    fn unknown_key(&mut self, raw: &RawQuestionnaire, path: &[String]) {
        let Some((key, parent)) = path.split_last() else {
            return;
        };
        let idx = |i: usize| parent.get(i).and_then(|s| s.parse::<usize>().ok());
        let span = match parent.first().map(String::as_str) {
            None => 0..self.source.find("\n[").unwrap_or(self.source.len()),
            Some("scales") => parent
                .get(1)
                .and_then(|n| raw.scales.get(n))
                .map(|s| s.span())
                .unwrap_or(0..0),
            Some("sections") => {
                let section = idx(1).and_then(|i| raw.sections.get(i));
                let question =
                    idx(3).and_then(|j| section.and_then(|s| s.get_ref().questions.get(j)));
                match (parent.get(4).map(String::as_str), question, section) {
                    (Some("options"), Some(q), _) => idx(5)
                        .and_then(|k| q.get_ref().options.as_ref().and_then(|o| o.get(k)))
                        .map(|o| o.span())
                        .unwrap_or(q.span()),
                    (Some("show_if"), Some(q), _) => q
                        .get_ref()
                        .show_if
                        .as_ref()
                        .map(|c| c.span())
                        .unwrap_or(q.span()),
                    (_, Some(q), _) => q.span(),
                    (_, None, Some(s)) => s.span(),
                    _ => 0..0,
                }
            }
            Some(_) => 0..0,
        };
        let line = self.key_line(span, key);
        let place = if parent.is_empty() {
            String::new()
        } else {
            format!(" (trong {})", parent.join("."))
        };
        self.diags.push(Diagnostic {
            line,
            message: format!("khóa không được hỗ trợ \"{key}\"{place}"),
        });
    }

    fn required_string(
        &mut self,
        v: Option<Spanned<String>>,
        at: usize,
        what: &str,
    ) -> Option<Spanned<String>> {
        match v {
            Some(s) if !s.get_ref().trim().is_empty() => Some(s),
            Some(s) => {
                self.err_at(s.span().start, format!("{what} trống"));
                None
            }
            None => {
                self.err_at(at, format!("thiếu {what}"));
                None
            }
        }
    }

    fn questionnaire(&mut self, raw: RawQuestionnaire) -> Option<Questionnaire> {
        let code = self.required_string(raw.code, 0, "khóa code (mã phiếu)");
        if let Some(c) = &code {
            if let Err(e) = Slug::parse(c.get_ref()) {
                self.err_at(c.span().start, format!("code: {e}"));
            }
        }
        let title = self.required_string(raw.title, 0, "khóa title (tên phiếu)");
        let group = self
            .required_string(raw.group, 0, "khóa group (nhóm đối tượng)")
            .and_then(|g| {
                let found = RespondentGroup::ALL
                    .iter()
                    .find(|(n, _)| *n == g.get_ref().as_str())
                    .map(|(_, v)| *v);
                if found.is_none() {
                    let names: Vec<_> = RespondentGroup::ALL.iter().map(|(n, _)| *n).collect();
                    self.err_at(
                        g.span().start,
                        format!(
                            "group \"{}\" không hợp lệ; dùng một trong: {}",
                            g.get_ref(),
                            names.join(", ")
                        ),
                    );
                }
                found
            });
        let rates = match raw.rated_blocks {
            None => Some(Rates::OwnUnit),
            Some(b) if b.get_ref().is_empty() => {
                self.err_at(
                    b.span().start,
                    "rated_blocks trống: bỏ khóa này nếu phiếu đánh giá đơn vị của người trả lời",
                );
                None
            }
            Some(b) => {
                let mut ok = true;
                for block in b.get_ref() {
                    if let Err(e) = Slug::parse(block) {
                        self.err_at(b.span().start, format!("rated_blocks: {e}"));
                        ok = false;
                    }
                }
                ok.then(|| Rates::Blocks(b.into_inner()))
            }
        };
        let scales = self.scales(raw.scales);
        if raw.sections.is_empty() {
            self.err_at(0, "phiếu chưa có phần nào ([[sections]])");
        }
        let mut seen_sections = HashSet::new();
        let mut seen_questions: HashMap<String, QuestionRef> = HashMap::new();
        let mut sections = Vec::new();
        for s in raw.sections {
            let span = s.span();
            let s = s.into_inner();
            let code = self.required_string(s.code, span.start, "mã phần (code)");
            if let Some(c) = &code {
                if let Err(e) = check_code(c.get_ref(), 32, is_question_code_char) {
                    self.err_at(c.span().start, format!("mã phần: {e}"));
                } else if !seen_sections.insert(c.get_ref().clone()) {
                    self.err_at(c.span().start, format!("trùng mã phần \"{}\"", c.get_ref()));
                }
            }
            let title = s.title.filter(|t| !t.trim().is_empty());
            if title.is_none() {
                self.err_at(span.start, "phần thiếu tiêu đề (title)");
            }
            if s.questions.is_empty() {
                self.err_at(span.start, "phần chưa có câu hỏi nào");
            }
            let mut questions = Vec::new();
            for q in s.questions {
                if let Some(q) = self.question(q, &scales, &mut seen_questions) {
                    questions.push(q);
                }
            }
            if let (Some(code), Some(title)) = (code, title) {
                sections.push(Section {
                    code: code.into_inner(),
                    title,
                    description: s.description,
                    questions,
                });
            }
        }
        Some(Questionnaire {
            code: code?.into_inner(),
            title: title?.into_inner(),
            group: group?,
            rates: rates?,
            intro: raw.intro,
            sections,
        })
    }

    fn scales(&mut self, raw: BTreeMap<String, Spanned<RawScale>>) -> HashMap<String, Scale> {
        let mut out = HashMap::new();
        for (name, s) in raw {
            let at = s.span().start;
            let s = s.into_inner();
            let mut ok = true;
            let labels = s.labels.unwrap_or_default();
            if !(2..=11).contains(&labels.len()) {
                self.err_at(
                    at,
                    format!(
                        "thang đo \"{name}\" phải có từ 2 đến 11 mức (labels), đang có {}",
                        labels.len()
                    ),
                );
                ok = false;
            }
            if labels.iter().any(|l| l.trim().is_empty()) {
                self.err_at(at, format!("thang đo \"{name}\" có nhãn trống"));
                ok = false;
            }
            let scores = match s.scores {
                None => {
                    self.err_at(
                        at,
                        format!("thang đo \"{name}\" thiếu scores (điểm của từng mức, từ 0 đến 1)"),
                    );
                    ok = false;
                    Vec::new()
                }
                Some(sc) => {
                    if sc.len() != labels.len() {
                        self.err_at(
                            at,
                            format!(
                                "thang đo \"{name}\": {} điểm (scores) cho {} mức (labels)",
                                sc.len(),
                                labels.len()
                            ),
                        );
                        ok = false;
                    }
                    if let Some(bad) = sc.iter().find(|v| !(0.0..=1.0).contains(*v)) {
                        self.err_at(
                            at,
                            format!("thang đo \"{name}\": điểm {bad} nằm ngoài khoảng [0, 1]"),
                        );
                        ok = false;
                    }
                    sc
                }
            };
            if ok {
                out.insert(name, Scale { labels, scores });
            }
        }
        out
    }

    fn options(
        &mut self,
        at: usize,
        raw: Option<Vec<Spanned<RawChoice>>>,
        kind: &str,
    ) -> Option<Vec<Choice>> {
        let Some(raw) = raw else {
            self.err_at(
                at,
                format!("câu hỏi loại {kind} thiếu options (các lựa chọn)"),
            );
            return None;
        };
        if raw.len() < 2 {
            self.err_at(at, format!("câu hỏi loại {kind} cần ít nhất 2 lựa chọn"));
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut ok = raw.len() >= 2;
        for o in raw {
            let at = o.span().start;
            let o = o.into_inner();
            match (o.code, o.label) {
                (Some(code), Some(label)) if !label.trim().is_empty() => {
                    if let Err(e) = check_code(&code, 32, is_question_code_char) {
                        self.err_at(at, format!("mã lựa chọn: {e}"));
                        ok = false;
                    } else if !seen.insert(code.clone()) {
                        self.err_at(at, format!("trùng mã lựa chọn \"{code}\""));
                        ok = false;
                    }
                    if let Some(s) = o.score.filter(|s| !(0.0..=1.0).contains(s)) {
                        self.err_at(
                            at,
                            format!("lựa chọn \"{code}\": điểm {s} nằm ngoài khoảng [0, 1]"),
                        );
                        ok = false;
                    }
                    out.push(Choice {
                        code,
                        label,
                        score: o.score,
                    });
                }
                _ => {
                    self.err_at(at, "mỗi lựa chọn cần code và label");
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    fn question(
        &mut self,
        raw: Spanned<RawQuestion>,
        scales: &HashMap<String, Scale>,
        seen: &mut HashMap<String, QuestionRef>,
    ) -> Option<Question> {
        let span = raw.span();
        let at = span.start;
        let r = raw.into_inner();
        let code = self.required_string(r.code, at, "mã câu hỏi (code)");
        let code = code.and_then(|c| {
            let bad_start = !c.get_ref().starts_with(|ch: char| ch.is_ascii_alphabetic());
            if let Err(e) = check_code(c.get_ref(), 32, is_question_code_char) {
                self.err_at(c.span().start, format!("mã câu hỏi: {e}"));
                None
            } else if bad_start {
                self.err_at(
                    c.span().start,
                    format!(
                        "mã câu hỏi \"{}\" phải bắt đầu bằng một chữ cái",
                        c.get_ref()
                    ),
                );
                None
            } else if seen.contains_key(c.get_ref()) {
                self.err_at(
                    c.span().start,
                    format!("trùng mã câu hỏi \"{}\"", c.get_ref()),
                );
                None
            } else {
                Some(c.into_inner())
            }
        });
        let text = r.text.filter(|t| !t.trim().is_empty());
        if text.is_none() {
            self.err_at(at, "câu hỏi thiếu nội dung (text)");
        }
        let kind_name = self.required_string(r.kind, at, "loại câu hỏi (kind)");
        let kind_str = kind_name
            .as_ref()
            .map(|k| k.get_ref().as_str())
            .unwrap_or("");
        let criterion = r.criterion.and_then(|c| {
            let ok = !c.get_ref().is_empty()
                && c.get_ref()
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '.')
                && !c.get_ref().starts_with('.')
                && !c.get_ref().ends_with('.');
            if ok {
                Some(c.into_inner())
            } else {
                self.err_at(
                    c.span().start,
                    format!(
                        "mã tiêu chí \"{}\" không hợp lệ (ví dụ đúng: 8.1.2)",
                        c.get_ref()
                    ),
                );
                None
            }
        });

        let misplaced = |present: bool, key: &str, allowed: &[&str], this: &mut Self| {
            if present && !allowed.contains(&kind_str) && !kind_str.is_empty() {
                let line = this.key_line(span.clone(), key);
                this.diags.push(Diagnostic {
                    line,
                    message: format!("khóa \"{key}\" không dùng cho câu hỏi loại {kind_str}"),
                });
            }
        };
        misplaced(r.scale.is_some(), "scale", &["likert"], self);
        misplaced(
            r.not_applicable.is_some(),
            "not_applicable",
            &["likert"],
            self,
        );
        misplaced(
            r.options.is_some(),
            "options",
            &["single", "multiple"],
            self,
        );
        misplaced(r.max_choices.is_some(), "max_choices", &["multiple"], self);
        misplaced(r.min.is_some(), "min", &["number"], self);
        misplaced(r.max.is_some(), "max", &["number"], self);
        misplaced(r.integer.is_some(), "integer", &["number"], self);
        misplaced(r.max_length.is_some(), "max_length", &["text"], self);
        misplaced(r.multiline.is_some(), "multiline", &["text"], self);

        let kind = match kind_str {
            "" => None,
            "likert" => match r.scale {
                None => {
                    self.err_at(at, "câu hỏi likert thiếu scale (tên thang đo)");
                    None
                }
                Some(s) => match scales.get(s.get_ref()) {
                    Some(levels) => Some(QuestionKind::Likert {
                        scale: s.get_ref().clone(),
                        levels: levels.clone(),
                        not_applicable: r.not_applicable.clone().filter(|l| !l.trim().is_empty()),
                    }),
                    None => {
                        self.err_at(
                            s.span().start,
                            format!(
                                "thang đo \"{}\" chưa được khai báo hoặc không hợp lệ",
                                s.get_ref()
                            ),
                        );
                        None
                    }
                },
            },
            "single" => self
                .options(at, r.options, "single")
                .map(|options| QuestionKind::Single { options }),
            "multiple" => {
                let options = self.options(at, r.options, "multiple");
                if let (Some(o), Some(m)) = (&options, r.max_choices) {
                    if m == 0 || m > o.len() {
                        self.err_at(at, format!("max_choices phải từ 1 đến {}", o.len()));
                    }
                }
                options.map(|options| QuestionKind::Multiple {
                    options,
                    max_choices: r.max_choices,
                })
            }
            "number" => {
                if let (Some(lo), Some(hi)) = (r.min, r.max) {
                    if lo > hi {
                        self.err_at(at, format!("min ({lo}) lớn hơn max ({hi})"));
                    }
                }
                Some(QuestionKind::Number {
                    min: r.min,
                    max: r.max,
                    integer: r.integer.unwrap_or(false),
                })
            }
            "text" => {
                let max_length = r.max_length.unwrap_or(DEFAULT_TEXT_LENGTH);
                if !(1..=MAX_TEXT_LENGTH).contains(&max_length) {
                    self.err_at(at, format!("max_length phải từ 1 đến {MAX_TEXT_LENGTH}"));
                }
                Some(QuestionKind::Text {
                    max_length,
                    multiline: r.multiline.unwrap_or(true),
                })
            }
            other => {
                let at = kind_name.as_ref().map(|k| k.span().start).unwrap_or(at);
                self.err_at(at, format!("loại câu hỏi \"{other}\" không hợp lệ; dùng likert, single, multiple, number hoặc text"));
                None
            }
        };

        // Scoring: a likert answer always maps to a score, so it must say which
        // criterion it feeds; a choice question is scored when its options carry
        // scores, and then every option must.
        match (&kind, &criterion) {
            (Some(QuestionKind::Likert { .. }), None) => {
                self.err_at(
                    at,
                    "câu hỏi likert thiếu criterion (mã tiêu chí mà câu hỏi tính điểm cho)",
                );
            }
            (Some(QuestionKind::Single { options }), crit) => {
                let scored = options.iter().filter(|o| o.score.is_some()).count();
                if crit.is_none() && scored > 0 {
                    self.err_at(at, "lựa chọn có điểm (score) nhưng câu hỏi thiếu criterion");
                } else if crit.is_some() && scored < options.len() {
                    self.err_at(
                        at,
                        "câu hỏi có criterion thì mọi lựa chọn đều cần score (từ 0 đến 1)",
                    );
                }
            }
            (
                Some(
                    QuestionKind::Multiple { .. }
                    | QuestionKind::Number { .. }
                    | QuestionKind::Text { .. },
                ),
                Some(_),
            ) => {
                self.err_at(
                    at,
                    format!("câu hỏi loại {kind_str} không tính điểm được, hãy bỏ criterion"),
                );
            }
            _ => {}
        }

        let show_if = r
            .show_if
            .and_then(|c| self.condition(c, code.as_deref(), seen));

        if let Some(code) = &code {
            // Recorded even when the question is broken, so a later duplicate
            // is still caught.
            seen.insert(
                code.clone(),
                kind.as_ref()
                    .map(QuestionRef::of)
                    .unwrap_or(QuestionRef::Other),
            );
        }
        Some(Question {
            code: code?,
            text: text?,
            help: r.help,
            kind: kind?,
            required: r.required.unwrap_or(true),
            criterion,
            show_if,
        })
    }

    fn condition(
        &mut self,
        c: Spanned<RawCondition>,
        this: Option<&str>,
        seen: &HashMap<String, QuestionRef>,
    ) -> Option<Condition> {
        let at = c.span().start;
        let c = c.into_inner();
        let (Some(question), Some(any_of)) = (c.question, c.any_of) else {
            self.err_at(at, "show_if cần question và any_of");
            return None;
        };
        if Some(question.as_str()) == this {
            self.err_at(
                at,
                format!("điều kiện của câu \"{question}\" trỏ vào chính nó"),
            );
            return None;
        }
        let Some(target) = seen.get(&question) else {
            self.err_at(
                at,
                format!("điều kiện trỏ tới câu hỏi \"{question}\" không có (hoặc nằm sau câu này)"),
            );
            return None;
        };
        if any_of.is_empty() {
            self.err_at(at, "any_of trống");
            return None;
        }
        let QuestionRef::Choice(valid) = target else {
            self.err_at(at, format!("điều kiện chỉ dựa được vào câu hỏi lựa chọn hoặc likert, \"{question}\" thì không"));
            return None;
        };
        let bad: Vec<_> = any_of
            .iter()
            .filter(|v| !valid.contains(*v))
            .cloned()
            .collect();
        if !bad.is_empty() {
            self.err_at(
                at,
                format!(
                    "any_of có giá trị không thuộc câu \"{question}\": {}",
                    bad.join(", ")
                ),
            );
            return None;
        }
        Some(Condition { question, any_of })
    }
}

/// What a condition may test on an earlier question.
enum QuestionRef {
    Choice(Vec<String>),
    Other,
}

impl QuestionRef {
    fn of(kind: &QuestionKind) -> Self {
        match kind {
            QuestionKind::Likert {
                levels,
                not_applicable,
                ..
            } => Self::Choice(
                (1..=levels.labels.len())
                    .map(|n| n.to_string())
                    .chain(
                        not_applicable
                            .as_ref()
                            .map(|_| super::NOT_APPLICABLE.to_string()),
                    )
                    .collect(),
            ),
            QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                Self::Choice(options.iter().map(|o| o.code.clone()).collect())
            }
            _ => Self::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
code = "demo"
title = "Phiếu thử"
group = "citizen"

[scales.hl]
labels = ["Không hài lòng", "Bình thường", "Hài lòng"]
scores = [0, 0, 1]

[[sections]]
code = "A"
title = "Phần A"

[[sections.questions]]
code = "A1"
kind = "likert"
scale = "hl"
text = "Thái độ của công chức"
criterion = "8.1.1"

[[sections.questions]]
code = "A2"
kind = "single"
text = "Có phải đi lại nhiều lần không?"
options = [{ code = "co", label = "Có" }, { code = "khong", label = "Không" }]

[[sections.questions]]
code = "A3"
kind = "text"
text = "Vì sao?"
required = false
show_if = { question = "A2", any_of = ["co"] }
"#;

    fn errors(src: &str) -> Vec<String> {
        parse_questionnaire(src)
            .unwrap_err()
            .iter()
            .map(|d| d.to_string())
            .collect()
    }

    #[test]
    fn a_good_questionnaire_parses() {
        let q = parse_questionnaire(GOOD).unwrap();
        assert_eq!(q.code, "demo");
        assert_eq!(q.rates, Rates::OwnUnit);
        assert_eq!(q.question_count(), 3);
        let a1 = q.question("A1").unwrap();
        assert_eq!(a1.score("3"), Some(1.0));
        assert_eq!(a1.score("2"), Some(0.0));
        assert_eq!(a1.score("4"), None);
        assert_eq!(
            q.question("A3").unwrap().show_if.as_ref().unwrap().question,
            "A2"
        );
        assert_eq!(q.criteria().get("8.1.1"), Some(&vec!["A1"]));
    }

    #[test]
    fn unknown_keys_are_reported_at_their_line() {
        let src = GOOD.replace("required = false", "required = false\ncolour = \"red\"");
        let errs = errors(&src);
        assert_eq!(errs.len(), 1, "{errs:?}");
        let line = src.lines().position(|l| l.starts_with("colour")).unwrap() + 1;
        assert!(errs[0].starts_with(&format!("{line}: ")), "{errs:?}");
        assert!(errs[0].contains("colour"));
    }

    #[test]
    fn every_semantic_problem_is_reported_in_one_pass() {
        let src = GOOD
            .replace("code = \"A2\"", "code = \"A1\"")
            .replace("criterion = \"8.1.1\"", "")
            .replace("scores = [0, 0, 1]", "scores = [0, 1]")
            .replace("question = \"A2\"", "question = \"ZZ\"");
        let errs = errors(&src);
        let joined = errs.join("\n");
        assert!(joined.contains("trùng mã câu hỏi \"A1\""), "{joined}");
        assert!(
            joined.contains("thiếu criterion") || joined.contains("chưa được khai báo"),
            "{joined}"
        );
        assert!(joined.contains("2 điểm (scores) cho 3 mức"), "{joined}");
        assert!(joined.contains("\"ZZ\""), "{joined}");
        assert!(errs.len() >= 4, "{joined}");
        let lines: Vec<usize> = errs
            .iter()
            .map(|e| e.split(':').next().unwrap().parse().unwrap())
            .collect();
        assert!(
            lines.windows(2).all(|w| w[0] <= w[1]),
            "sorted by line: {lines:?}"
        );
    }

    #[test]
    fn a_toml_syntax_error_names_its_line() {
        let errs = errors("code = \"x\"\ntitle = \n");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("2: "), "{errs:?}");
    }

    #[test]
    fn a_condition_may_not_point_forward() {
        let src = GOOD.replace(
            "code = \"A1\"\nkind = \"likert\"",
            "code = \"A1\"\nshow_if = { question = \"A2\", any_of = [\"co\"] }\nkind = \"likert\"",
        );
        assert!(errors(&src).join("\n").contains("nằm sau"));
    }

    #[test]
    fn a_condition_value_must_exist_on_the_target() {
        let src = GOOD.replace("any_of = [\"co\"]", "any_of = [\"maybe\"]");
        assert!(errors(&src).join("\n").contains("maybe"));
    }

    #[test]
    fn scores_without_criterion_are_refused() {
        let src = GOOD.replace("label = \"Có\" }", "label = \"Có\", score = 1 }");
        assert!(errors(&src).join("\n").contains("thiếu criterion"));
    }

    #[test]
    fn leaders_rate_whole_blocks() {
        let src = GOOD.replace(
            "group = \"citizen\"",
            "group = \"leader\"\nrated_blocks = [\"so\"]",
        );
        let q = parse_questionnaire(&src).unwrap();
        assert_eq!(q.rates, Rates::Blocks(vec!["so".into()]));
    }
}
