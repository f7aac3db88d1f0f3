//! From stored answers to one respondent's score on each criterion.
//!
//! A criterion usually has several questions (SIPAS "Tiếp cận dịch vụ" has
//! four). A respondent's criterion score is the mean of the scores of the
//! questions of that criterion they answered validly, so each respondent
//! counts once per criterion whatever the number of questions, and a skipped
//! question neither counts as 0 nor drops the respondent's other answers. A
//! respondent with no valid answer on a criterion is outside its domain.
//!
//! Scores are kept as integer micro-units (10⁻⁶, as [`Points`]) so that the
//! running sums built from them are exact: a respondent's mean is rounded
//! once, half up, to the nearest micro-unit (moving any estimate by at most
//! 5·10⁻⁷), and from there on nothing is rounded until the estimate.
//!
//! [`Points`]: crate::points::Points

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::answers::{Answers, RatedUnitId};
use crate::questionnaire::{QuestionKind, Questionnaire, RespondentGroup};

use super::error::ScoringError;
use super::tally::Tally;

/// Micro-units per score point of 1.
pub const MICRO: u32 = 1_000_000;

/// A questionnaire compiled for scoring: each scored question's criterion and
/// the micro-score of each of its answer codes, taken from
/// [`Question::score`](crate::questionnaire::Question::score).
#[derive(Debug, Clone)]
pub struct Scorer {
    group: RespondentGroup,
    criteria: Vec<String>,
    questions: HashMap<String, ScoredQuestion, BuildHasherDefault<Fnv>>,
}

/// FNV-1a: the keys are the questionnaire's own few short codes, so SipHash's
/// protection against chosen collisions buys nothing, and a full recomputation
/// looks up tens of millions of answer rows.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// A scored question of a [`Scorer`] (see [`Scorer::lookup`]).
#[derive(Debug, Clone, Copy)]
pub struct QuestionRef<'a>(&'a ScoredQuestion);

#[derive(Debug, Clone)]
struct ScoredQuestion {
    criterion: usize,
    scores: Scores,
}

#[derive(Debug, Clone)]
enum Scores {
    /// Level n (stored as "n", counted from 1) → micro-score.
    Likert(Vec<u32>),
    /// Option code → micro-score.
    Choice(Vec<(String, u32)>),
}

impl Scorer {
    /// Criteria come out sorted by code; a score outside [0, 1] (which the
    /// questionnaire parser already refuses) is an error rather than a panic.
    pub fn new(questionnaire: &Questionnaire) -> Result<Self, ScoringError> {
        let criteria: Vec<String> = questionnaire
            .criteria()
            .keys()
            .map(|c| c.to_string())
            .collect();
        let mut questions: HashMap<String, ScoredQuestion, BuildHasherDefault<Fnv>> =
            HashMap::default();
        for q in questionnaire.questions() {
            let Some(criterion) = &q.criterion else {
                continue;
            };
            let criterion = criteria
                .iter()
                .position(|c| c == criterion)
                .expect("criteria() lists every question's criterion");
            let micro = |value: &str| -> Result<Option<u32>, ScoringError> {
                match q.score(value) {
                    None => Ok(None),
                    Some(s) if (0.0..=1.0).contains(&s) => {
                        Ok(Some((s * f64::from(MICRO)).round() as u32))
                    }
                    Some(_) => Err(ScoringError::ScoreOutOfRange {
                        question: q.code.clone(),
                    }),
                }
            };
            let scores = match &q.kind {
                QuestionKind::Likert { levels, .. } => {
                    let mut v = Vec::with_capacity(levels.scores.len());
                    for level in 1..=levels.scores.len() {
                        v.push(micro(&level.to_string())?.unwrap_or(0));
                    }
                    Scores::Likert(v)
                }
                QuestionKind::Single { options } => {
                    let mut v = Vec::new();
                    for o in options {
                        if let Some(s) = micro(&o.code)? {
                            v.push((o.code.clone(), s));
                        }
                    }
                    Scores::Choice(v)
                }
                // Question::score scores no other kind.
                _ => continue,
            };
            questions.insert(q.code.clone(), ScoredQuestion { criterion, scores });
        }
        Ok(Self {
            group: questionnaire.group,
            criteria,
            questions,
        })
    }

    pub fn group(&self) -> RespondentGroup {
        self.group
    }

    /// The criteria this questionnaire scores, sorted by code: the order of
    /// every per-criterion vector in this module.
    pub fn criteria(&self) -> &[String] {
        &self.criteria
    }

    /// An empty running tally for this questionnaire's criteria.
    pub fn tally(&self) -> Tally {
        Tally::new(self.criteria.clone())
    }

    /// No answers yet; fill with [`Scorer::record`] (reusable after
    /// [`RespondentScores::clear`], so streaming allocates nothing per row).
    pub fn blank(&self) -> RespondentScores {
        RespondentScores {
            sums: vec![0; self.criteria.len()],
            counts: vec![0; self.criteria.len()],
        }
    }

    /// Counts one stored answer (question code, stored value) about one rated
    /// unit. Unscored questions, unknown codes and values without a score are
    /// ignored; returns whether the answer was scored. Each question must be
    /// recorded at most once per respondent and rated unit, as storage keys
    /// guarantee.
    pub fn record(&self, scores: &mut RespondentScores, question: &str, value: &str) -> bool {
        match self.lookup(question) {
            Some(q) => self.record_at(scores, q, value),
            None => false,
        }
    }

    /// A scored question, looked up once: a caller that scores many answers
    /// in a fixed question order (a recomputation over packed answers)
    /// resolves the codes once instead of per answer.
    pub fn lookup(&self, question: &str) -> Option<QuestionRef<'_>> {
        self.questions.get(question).map(QuestionRef)
    }

    /// [`Scorer::record`] for a question already looked up.
    pub fn record_at(
        &self,
        scores: &mut RespondentScores,
        q: QuestionRef<'_>,
        value: &str,
    ) -> bool {
        let q = q.0;
        let micro = match &q.scores {
            Scores::Likert(levels) => value
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| levels.get(i).copied()),
            Scores::Choice(options) => options
                .iter()
                .find(|(code, _)| code == value)
                .map(|(_, s)| *s),
        };
        match micro {
            Some(s) => {
                scores.sums[q.criterion] += u64::from(s);
                scores.counts[q.criterion] += 1;
                true
            }
            None => false,
        }
    }

    /// One respondent's scores about one rated unit.
    pub fn score<'a>(
        &self,
        answers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> RespondentScores {
        let mut s = self.blank();
        for (question, value) in answers {
            self.record(&mut s, question, value);
        }
        s
    }

    /// A stored answer set split by rated unit (leaders rate many units).
    /// A unit the respondent was asked to rate but gave no answer about does
    /// not appear; the caller adds [`Scorer::blank`] for it, so that the
    /// respondent still counts in the stratum (see [`Tally::add`]).
    pub fn by_rated_unit(&self, answers: &Answers) -> BTreeMap<RatedUnitId, RespondentScores> {
        let mut out: BTreeMap<RatedUnitId, RespondentScores> = BTreeMap::new();
        for ((unit, question), value) in answers {
            let s = out.entry(*unit).or_insert_with(|| self.blank());
            self.record(s, question, value);
        }
        out
    }
}

/// One respondent's valid answers about one rated unit, per criterion (in
/// [`Scorer::criteria`] order): the sum of their micro-scores and their number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespondentScores {
    sums: Vec<u64>,
    counts: Vec<u32>,
}

impl RespondentScores {
    /// Number of criteria.
    pub fn len(&self) -> usize {
        self.sums.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// The respondent's score on criterion `c` in micro-units: the mean of
    /// their valid answers, rounded half up; `None` outside the domain.
    pub fn micro(&self, c: usize) -> Option<u64> {
        let n = u64::from(*self.counts.get(c)?);
        (n > 0).then(|| (2 * self.sums[c] + n) / (2 * n))
    }

    /// The score as a number in [0, 1].
    pub fn score(&self, c: usize) -> Option<f64> {
        self.micro(c).map(|m| m as f64 / f64::from(MICRO))
    }

    /// Valid answers on criterion `c`.
    pub fn answers(&self, c: usize) -> u32 {
        self.counts.get(c).copied().unwrap_or(0)
    }

    pub fn clear(&mut self) {
        self.sums.fill(0);
        self.counts.fill(0);
    }

    /// Scores given directly in micro-units, one answer each (for tests that
    /// need no questionnaire).
    #[cfg(test)]
    pub(super) fn from_micro(ys: &[Option<u64>]) -> Self {
        Self {
            sums: ys.iter().map(|y| y.unwrap_or(0)).collect(),
            counts: ys.iter().map(|y| u32::from(y.is_some())).collect(),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::questionnaire::parse_questionnaire;

    pub(crate) const QUESTIONNAIRE: &str = r#"
code = "thu"
title = "Phiếu thử"
group = "citizen"

[scales.hai_long]
labels = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]
scores = [0, 0, 0, 1, 1]

[scales.muc_do]
labels = ["Kém", "Trung bình", "Tốt"]
scores = [0, 0.5, 1]

[[sections]]
code = "a"
title = "A"

[[sections.questions]]
code = "KENH"
kind = "single"
text = "Kênh"
options = [{ code = "truc_tiep", label = "Trực tiếp" }, { code = "truc_tuyen", label = "Trực tuyến" }]

[[sections.questions]]
code = "B1"
kind = "likert"
scale = "hai_long"
criterion = "8.2.2"
text = "B1"

[[sections.questions]]
code = "A1"
kind = "likert"
scale = "hai_long"
criterion = "8.2.1"
text = "A1"

[[sections.questions]]
code = "A2"
kind = "likert"
scale = "muc_do"
criterion = "8.2.1"
text = "A2"

[[sections.questions]]
code = "A3"
kind = "single"
criterion = "8.2.1"
text = "A3"
options = [{ code = "co", label = "Có", score = 1 }, { code = "khong", label = "Không", score = 0 }]
"#;

    pub(crate) fn scorer() -> Scorer {
        let q = parse_questionnaire(QUESTIONNAIRE).unwrap_or_else(|d| panic!("{d:?}"));
        Scorer::new(&q).unwrap()
    }

    #[test]
    fn criteria_are_sorted_and_unscored_questions_ignored() {
        let s = scorer();
        assert_eq!(s.criteria(), ["8.2.1", "8.2.2"]);
        let mut r = s.blank();
        assert!(!s.record(&mut r, "KENH", "truc_tiep"));
        assert!(!s.record(&mut r, "NOPE", "1"));
        assert!(!s.record(&mut r, "A1", "6"), "no level 6");
        assert!(!s.record(&mut r, "A1", "0"));
        assert!(!s.record(&mut r, "A3", "maybe"));
        assert_eq!(r, s.blank());
    }

    #[test]
    fn a_respondent_scores_the_mean_of_their_valid_answers() {
        let s = scorer();
        // 8.2.1: A1 "Hài lòng" → 1, A2 "Trung bình" → 0.5, A3 "Không" → 0: mean 0.5.
        let r = s.score([("A1", "4"), ("A2", "2"), ("A3", "khong"), ("B1", "3")]);
        assert_eq!(r.micro(0), Some(500_000));
        assert_eq!(r.answers(0), 3);
        assert_eq!(
            r.micro(1),
            Some(0),
            "B1 'Bình thường' scores 0 but is valid"
        );
        // Two of three positive: 2/3 rounds half up to 666 667 micro-units.
        let r = s.score([("A1", "5"), ("A2", "3"), ("A3", "khong")]);
        assert_eq!(r.micro(0), Some(666_667));
        assert_eq!(r.micro(1), None, "no answer on 8.2.2: outside its domain");
        // One of six positive: 166 666.67 → 166 667.
        let mut r = s.blank();
        r.sums[0] = 1_000_000;
        r.counts[0] = 6;
        assert_eq!(r.micro(0), Some(166_667));
        r.clear();
        assert_eq!(r.micro(0), None);
    }

    #[test]
    fn answers_split_by_rated_unit() {
        let s = scorer();
        let mut a = Answers::new();
        a.insert((7, "A1".into()), "4".into());
        a.insert((9, "A1".into()), "1".into());
        a.insert((9, "KENH".into()), "truc_tiep".into());
        let by = s.by_rated_unit(&a);
        assert_eq!(by[&7].micro(0), Some(1_000_000));
        assert_eq!(by[&9].micro(0), Some(0));
    }
}
