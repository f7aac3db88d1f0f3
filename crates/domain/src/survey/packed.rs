//! A response's scored answers in one compact text, stored beside its
//! per-answer rows in the submission's transaction, so that recomputing the
//! survey component reads one row per response instead of one per answer
//! (issue 16: 1 M rows, not 26 M).
//!
//! Layout: for each rated unit with answers, in ascending id, the unit id
//! then one value per packed question (the questionnaire's likert and
//! single-choice questions, in questionnaire order; empty when not
//! answered), separated by U+001F; units separated by U+001E. The layout is
//! a function of the frozen questionnaire version, so it never changes for
//! stored rows. Only questions a scorer can read are packed; free text and
//! the rest stay in the per-answer rows alone.

use crate::answers::Answers;
use crate::questionnaire::{QuestionKind, Questionnaire};

const UNIT_SEP: char = '\u{1e}';
const FIELD_SEP: char = '\u{1f}';

/// The questions packed for one questionnaire version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedLayout {
    codes: Vec<String>,
}

/// A packed text that does not fit its layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bản nén câu trả lời không khớp phiếu: {0}")]
pub struct PackedError(String);

impl PackedLayout {
    pub fn of(q: &Questionnaire) -> Self {
        PackedLayout {
            codes: q
                .questions()
                .filter(|q| {
                    matches!(
                        q.kind,
                        QuestionKind::Likert { .. } | QuestionKind::Single { .. }
                    )
                })
                .map(|q| q.code.clone())
                .collect(),
        }
    }

    /// The packed text of a response's answers, or `None` when one of its
    /// packed answers cannot be written in the layout (an empty value or a
    /// separator in it): such a response is read from its per-answer rows.
    pub fn pack(&self, answers: &Answers) -> Option<String> {
        let mut out = String::new();
        let mut units: Vec<i64> = answers.keys().map(|(u, _)| *u).collect();
        units.dedup();
        for unit in &units {
            let values: Vec<Option<&String>> = self
                .codes
                .iter()
                .map(|c| answers.get(&(*unit, c.clone())))
                .collect();
            if values.iter().all(Option::is_none) {
                continue;
            }
            if !out.is_empty() {
                out.push(UNIT_SEP);
            }
            out.push_str(&unit.to_string());
            for v in values {
                out.push(FIELD_SEP);
                if let Some(v) = v {
                    if v.is_empty() || v.contains([UNIT_SEP, FIELD_SEP]) {
                        return None;
                    }
                    out.push_str(v);
                }
            }
        }
        Some(out)
    }

    /// The packed questions' codes, in packed order: `unpack` names a
    /// question by its place here.
    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    /// Calls `f(unit, question's place in codes(), value)` for every
    /// packed answer.
    pub fn unpack<'a>(
        &self,
        packed: &'a str,
        mut f: impl FnMut(i64, usize, &'a str),
    ) -> Result<(), PackedError> {
        if packed.is_empty() {
            return Ok(());
        }
        // One pass over the bytes: the separators are ASCII, so every cut
        // falls on a character boundary.
        let bytes = packed.as_bytes();
        let (unit_sep, field_sep) = (UNIT_SEP as u8, FIELD_SEP as u8);
        let mut start = 0;
        let mut unit: Option<i64> = None;
        let mut field = 0usize;
        for (i, b) in bytes
            .iter()
            .copied()
            .chain(std::iter::once(unit_sep))
            .enumerate()
        {
            if b != unit_sep && b != field_sep {
                continue;
            }
            let text = &packed[start..i];
            start = i + 1;
            match unit {
                None => {
                    unit = Some(
                        text.parse()
                            .map_err(|_| PackedError(format!("mã đơn vị \"{text}\"")))?,
                    );
                }
                Some(u) => {
                    if field >= self.codes.len() {
                        return Err(PackedError(format!(
                            "đơn vị {u} có số câu khác {} câu của phiếu",
                            self.codes.len()
                        )));
                    }
                    if !text.is_empty() {
                        f(u, field, text);
                    }
                    field += 1;
                }
            }
            if b == unit_sep {
                let u = unit.take().unwrap_or_default();
                if field != self.codes.len() {
                    return Err(PackedError(format!(
                        "đơn vị {u} có số câu khác {} câu của phiếu",
                        self.codes.len()
                    )));
                }
                field = 0;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(codes: &[&str]) -> PackedLayout {
        PackedLayout {
            codes: codes.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn answers(rows: &[(i64, &str, &str)]) -> Answers {
        rows.iter()
            .map(|(u, c, v)| ((*u, c.to_string()), v.to_string()))
            .collect()
    }

    #[test]
    fn packed_answers_come_back_as_given_and_free_text_stays_out() {
        let l = layout(&["TC1", "TC2", "KENH"]);
        let a = answers(&[
            (7, "TC1", "4"),
            (7, "KENH", "truc_tiep"),
            (7, "GOP_Y", "văn bản tự do, có dấu phẩy"),
            (9, "TC2", "na"),
        ]);
        let packed = l.pack(&a).unwrap();
        let mut back = Vec::new();
        l.unpack(&packed, |u, i, v| {
            back.push((u, l.codes()[i].clone(), v.to_string()))
        })
        .unwrap();
        assert_eq!(
            back,
            vec![
                (7, "TC1".into(), "4".into()),
                (7, "KENH".into(), "truc_tiep".into()),
                (9, "TC2".into(), "na".into()),
            ]
        );
        assert_eq!(l.pack(&Answers::new()).unwrap(), "");
    }

    #[test]
    fn a_value_that_cannot_be_packed_leaves_the_response_to_its_rows() {
        let l = layout(&["TC1"]);
        assert_eq!(l.pack(&answers(&[(1, "TC1", "a\u{1f}b")])), None);
        assert_eq!(l.pack(&answers(&[(1, "TC1", "")])), None);
        assert!(l.unpack("1\u{1f}4\u{1f}5", |_, _, _| {}).is_err());
        assert!(l.unpack("x\u{1f}4", |_, _, _| {}).is_err());
    }
}
