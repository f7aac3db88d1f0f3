//! Running sufficient statistics of one rated unit × respondent group ×
//! stratum (or the unit × group's open-link answers): everything the
//! estimates and their variances need, updated one respondent at a time.
//!
//! All sums are integers over micro-unit scores, so a tally built response by
//! response, in any order, or merged from parts, is bit-for-bit the tally a
//! full recomputation builds; the estimates come from the sums by one fixed
//! formula, so they are equal too.
//!
//! Besides the respondent count, per pair of criteria (c, d) of the
//! questionnaire, with y_c a respondent's score and 1_c whether they are in
//! criterion c's domain (y_c = 0 outside it):
//! - Σ 1_c·1_d: on the diagonal, the criterion's valid respondents;
//! - Σ y_c·1_d: on the diagonal, Σ y_c;
//! - Σ y_c·y_d.
//!
//! The off-diagonal sums are the covariances between criteria within the
//! stratum, which the survey component's variance needs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::answers::RatedUnitId;
use crate::questionnaire::RespondentGroup;

use super::error::{joined, ScoringError};
use super::scorer::RespondentScores;
#[cfg(doc)]
use super::scorer::Scorer;

/// Criteria handled without a heap allocation per respondent.
const STACK_CRITERIA: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TallyRepr", into = "TallyRepr")]
pub struct Tally {
    criteria: Vec<String>,
    respondents: u64,
    /// Σ 1_c·1_d over c ≤ d (upper triangle, row by row).
    both: Vec<u64>,
    /// Σ y_c·1_d over every (c, d), row-major.
    score_given: Vec<u64>,
    /// Σ y_c·y_d over c ≤ d; micro² needs more than 64 bits past 18 million
    /// respondents, so 128.
    products: Vec<u128>,
}

/// Index of (c, d), c ≤ d, in an upper triangle of side k stored row by row.
fn tri(k: usize, c: usize, d: usize) -> usize {
    let (c, d) = if c <= d { (c, d) } else { (d, c) };
    c * k - c * (c + 1) / 2 + d
}

impl Tally {
    pub fn new(criteria: Vec<String>) -> Self {
        let k = criteria.len();
        Self {
            criteria,
            respondents: 0,
            both: vec![0; k * (k + 1) / 2],
            score_given: vec![0; k * k],
            products: vec![0; k * (k + 1) / 2],
        }
    }

    /// The criteria, in [`Scorer::criteria`] order.
    pub fn criteria(&self) -> &[String] {
        &self.criteria
    }

    /// Respondents added: every one keeps its stratum's count, whether or not
    /// it answered a criterion (domain estimation keeps n_h).
    pub fn respondents(&self) -> u64 {
        self.respondents
    }

    /// Respondents in criterion `c`'s domain.
    pub fn valid(&self, c: usize) -> u64 {
        self.both(c, c)
    }

    /// Σ 1_c·1_d.
    pub(super) fn both(&self, c: usize, d: usize) -> u64 {
        self.both[tri(self.criteria.len(), c, d)]
    }

    /// Σ y_c·1_d, micro-units.
    pub(super) fn score_given(&self, c: usize, d: usize) -> u64 {
        self.score_given[c * self.criteria.len() + d]
    }

    /// Σ y_c·y_d, micro-units².
    pub(super) fn product(&self, c: usize, d: usize) -> u128 {
        self.products[tri(self.criteria.len(), c, d)]
    }

    fn check(&self, k: usize, found: impl FnOnce() -> Vec<String>) -> Result<(), ScoringError> {
        if k == self.criteria.len() {
            Ok(())
        } else {
            Err(ScoringError::CriteriaMismatch {
                expected: joined(&self.criteria),
                found: joined(&found()),
            })
        }
    }

    /// Counts one respondent about this tally's unit. Call it for every
    /// respondent of the stratum who was asked about the unit, also one
    /// without a single valid answer, so that n_h stays the stratum's
    /// respondent count. The scores must come from the [`Scorer`] whose
    /// criteria this tally has (only their number can be checked here).
    pub fn add(&mut self, scores: &RespondentScores) -> Result<(), ScoringError> {
        self.check(scores.len(), || vec![format!("{} tiêu chí", scores.len())])?;
        let k = self.criteria.len();
        let mut stack = [None; STACK_CRITERIA];
        let mut heap = Vec::new();
        let ys: &mut [Option<u64>] = if k <= STACK_CRITERIA {
            &mut stack[..k]
        } else {
            heap.resize(k, None);
            &mut heap
        };
        for (c, y) in ys.iter_mut().enumerate() {
            *y = scores.micro(c);
        }
        self.respondents += 1;
        for (c, yc) in ys.iter().enumerate() {
            let Some(yc) = *yc else { continue };
            for (d, yd) in ys.iter().enumerate() {
                let Some(yd) = *yd else { continue };
                self.score_given[c * k + d] += yc;
                if d >= c {
                    let t = tri(k, c, d);
                    self.both[t] += 1;
                    self.products[t] += u128::from(yc) * u128::from(yd);
                }
            }
        }
        Ok(())
    }

    /// Takes back a respondent added earlier (a response withdrawn or voided).
    /// Exact, because the sums are integers; refused, leaving the tally as it
    /// was, when the respondent cannot have been in it.
    pub fn remove(&mut self, scores: &RespondentScores) -> Result<(), ScoringError> {
        self.check(scores.len(), || vec![format!("{} tiêu chí", scores.len())])?;
        let mut alone = Tally::new(self.criteria.clone());
        alone.add(scores)?;
        let sub = |a: &mut [u64], b: &[u64]| -> Option<()> {
            for (x, y) in a.iter_mut().zip(b) {
                *x = x.checked_sub(*y)?;
            }
            Some(())
        };
        let mut t = self.clone();
        let ok = t
            .respondents
            .checked_sub(1)
            .map(|r| t.respondents = r)
            .is_some()
            && sub(&mut t.both, &alone.both).is_some()
            && sub(&mut t.score_given, &alone.score_given).is_some()
            && t.products
                .iter_mut()
                .zip(&alone.products)
                .all(|(x, y)| x.checked_sub(*y).map(|v| *x = v).is_some());
        if !ok {
            return Err(ScoringError::NotInTally);
        }
        *self = t;
        Ok(())
    }

    /// Adds another tally of the same criteria (e.g. one built by a parallel
    /// worker).
    pub fn merge(&mut self, other: &Tally) -> Result<(), ScoringError> {
        if self.criteria != other.criteria {
            return Err(ScoringError::CriteriaMismatch {
                expected: joined(&self.criteria),
                found: joined(&other.criteria),
            });
        }
        self.respondents += other.respondents;
        for (x, y) in self.both.iter_mut().zip(&other.both) {
            *x += y;
        }
        for (x, y) in self.score_given.iter_mut().zip(&other.score_given) {
            *x += y;
        }
        for (x, y) in self.products.iter_mut().zip(&other.products) {
            *x += y;
        }
        Ok(())
    }
}

/// The stored form: the same fields, checked on the way in so a damaged row
/// is an error instead of an index out of bounds.
#[derive(Serialize, Deserialize)]
struct TallyRepr {
    criteria: Vec<String>,
    respondents: u64,
    both: Vec<u64>,
    score_given: Vec<u64>,
    products: Vec<u128>,
}

impl From<Tally> for TallyRepr {
    fn from(t: Tally) -> Self {
        Self {
            criteria: t.criteria,
            respondents: t.respondents,
            both: t.both,
            score_given: t.score_given,
            products: t.products,
        }
    }
}

impl TryFrom<TallyRepr> for Tally {
    type Error = ScoringError;
    fn try_from(r: TallyRepr) -> Result<Self, ScoringError> {
        let k = r.criteria.len();
        if r.both.len() != k * (k + 1) / 2
            || r.score_given.len() != k * k
            || r.products.len() != k * (k + 1) / 2
        {
            return Err(ScoringError::CorruptTally(
                "độ dài các tổng không khớp số tiêu chí",
            ));
        }
        let t = Tally {
            criteria: r.criteria,
            respondents: r.respondents,
            both: r.both,
            score_given: r.score_given,
            products: r.products,
        };
        for c in 0..k {
            let valid = t.valid(c);
            if valid > t.respondents
                || t.score_given(c, c) > valid * u64::from(super::scorer::MICRO)
            {
                return Err(ScoringError::CorruptTally("tổng vượt quá số người trả lời"));
            }
        }
        Ok(t)
    }
}

/// Where a respondent came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// Drawn in the sample, in this stratum (the draw's stratum id).
    Sample(&'a str),
    /// Answered through an open link: not drawn, no design weight.
    Open,
}

/// The tallies of one rated unit × respondent group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitGroupTallies {
    /// By stratum id of the draw.
    pub strata: BTreeMap<String, Tally>,
    pub open: Option<Tally>,
}

/// All tallies of a campaign, keyed by rated unit and respondent group: what
/// a full recomputation streams the stored answers into.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tallies {
    cells: BTreeMap<(RatedUnitId, RespondentGroup), UnitGroupTallies>,
}

impl Tallies {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one respondent's scores about `unit` (see [`Tally::add`]);
    /// `criteria` are the scorer's ([`Scorer::criteria`]), used when the
    /// tally is new.
    pub fn add(
        &mut self,
        unit: RatedUnitId,
        group: RespondentGroup,
        criteria: &[String],
        origin: Origin<'_>,
        scores: &RespondentScores,
    ) -> Result<(), ScoringError> {
        let cell = self.cells.entry((unit, group)).or_default();
        let tally = match origin {
            Origin::Open => cell
                .open
                .get_or_insert_with(|| Tally::new(criteria.to_vec())),
            Origin::Sample(stratum) => {
                if !cell.strata.contains_key(stratum) {
                    cell.strata
                        .insert(stratum.to_string(), Tally::new(criteria.to_vec()));
                }
                cell.strata.get_mut(stratum).expect("inserted above")
            }
        };
        if tally.criteria() != criteria {
            return Err(ScoringError::CriteriaMismatch {
                expected: joined(tally.criteria()),
                found: joined(criteria),
            });
        }
        tally.add(scores)
    }

    /// Takes back a respondent (see [`Tally::remove`]).
    pub fn remove(
        &mut self,
        unit: RatedUnitId,
        group: RespondentGroup,
        origin: Origin<'_>,
        scores: &RespondentScores,
    ) -> Result<(), ScoringError> {
        let cell = self
            .cells
            .get_mut(&(unit, group))
            .ok_or(ScoringError::NotInTally)?;
        let tally = match origin {
            Origin::Open => cell.open.as_mut(),
            Origin::Sample(stratum) => cell.strata.get_mut(stratum),
        }
        .ok_or(ScoringError::NotInTally)?;
        tally.remove(scores)
    }

    /// Puts a stored tally in its place (loading the rows a database keeps),
    /// returning the one it replaces.
    pub fn insert(
        &mut self,
        unit: RatedUnitId,
        group: RespondentGroup,
        origin: Origin<'_>,
        tally: Tally,
    ) -> Option<Tally> {
        let cell = self.cells.entry((unit, group)).or_default();
        match origin {
            Origin::Open => cell.open.replace(tally),
            Origin::Sample(stratum) => cell.strata.insert(stratum.to_string(), tally),
        }
    }

    /// Adds every tally of `other` (e.g. a worker's share of the responses).
    pub fn merge(&mut self, other: &Tallies) -> Result<(), ScoringError> {
        for (key, theirs) in &other.cells {
            let ours = self.cells.entry(*key).or_default();
            for (stratum, t) in &theirs.strata {
                match ours.strata.get_mut(stratum) {
                    Some(o) => o.merge(t)?,
                    None => {
                        ours.strata.insert(stratum.clone(), t.clone());
                    }
                }
            }
            if let Some(t) = &theirs.open {
                match &mut ours.open {
                    Some(o) => o.merge(t)?,
                    None => ours.open = Some(t.clone()),
                }
            }
        }
        Ok(())
    }

    pub fn get(&self, unit: RatedUnitId, group: RespondentGroup) -> Option<&UnitGroupTallies> {
        self.cells.get(&(unit, group))
    }

    /// In unit, then group order.
    pub fn iter(&self) -> impl Iterator<Item = (RatedUnitId, RespondentGroup, &UnitGroupTallies)> {
        self.cells.iter().map(|((u, g), t)| (*u, *g, t))
    }

    /// Rated units that have a tally, in order.
    pub fn units(&self) -> Vec<RatedUnitId> {
        let mut v: Vec<RatedUnitId> = self.cells.keys().map(|(u, _)| *u).collect();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::super::scorer::tests::scorer;
    use super::*;

    #[test]
    fn triangle_indices_cover_the_triangle_once() {
        let k = 4;
        let mut seen = vec![false; k * (k + 1) / 2];
        for c in 0..k {
            for d in c..k {
                assert!(!seen[tri(k, c, d)]);
                seen[tri(k, c, d)] = true;
                assert_eq!(tri(k, c, d), tri(k, d, c));
            }
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn sums_by_hand() {
        let s = scorer();
        let mut t = s.tally();
        // y = (0.5, —), (1, 0), (—, 1), (—, —).
        t.add(&s.score([("A1", "4"), ("A3", "khong")])).unwrap();
        t.add(&s.score([("A1", "5"), ("B1", "1")])).unwrap();
        t.add(&s.score([("B1", "4")])).unwrap();
        t.add(&s.blank()).unwrap();
        assert_eq!(t.respondents(), 4);
        assert_eq!((t.valid(0), t.valid(1), t.both(0, 1)), (2, 2, 1));
        assert_eq!(t.score_given(0, 0), 1_500_000);
        assert_eq!(t.score_given(0, 1), 1_000_000, "y_1 where 8.2.2 answered");
        assert_eq!(t.score_given(1, 0), 0, "y_2 = 0 where 8.2.1 answered");
        assert_eq!(t.score_given(1, 1), 1_000_000);
        assert_eq!(t.product(0, 0), 1_250_000_000_000);
        assert_eq!(t.product(0, 1), 0);
        assert_eq!(t.product(1, 1), 1_000_000_000_000);
    }

    #[test]
    fn remove_undoes_add_and_refuses_what_was_never_added() {
        let s = scorer();
        let mut t = s.tally();
        let a = s.score([("A1", "4"), ("B1", "5")]);
        let b = s.score([("A2", "2")]);
        t.add(&b).unwrap();
        let before = t.clone();
        t.add(&a).unwrap();
        t.remove(&a).unwrap();
        assert_eq!(t, before);
        // Nobody in the tally answered 8.2.2: `a` cannot have been added.
        assert_eq!(t.remove(&a).unwrap_err(), ScoringError::NotInTally);
        assert_eq!(t, before, "a refused removal changes nothing");
        t.remove(&b).unwrap();
        assert_eq!(t, s.tally());
        assert_eq!(t.remove(&s.blank()).unwrap_err(), ScoringError::NotInTally);
    }

    #[test]
    fn merge_and_storage() {
        let s = scorer();
        let mut t = s.tally();
        t.add(&s.score([("A1", "4"), ("B1", "5")])).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let back: Tally = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        let mut broken: serde_json::Value = serde_json::from_str(&json).unwrap();
        broken["both"] = serde_json::json!([1, 2]);
        assert!(serde_json::from_value::<Tally>(broken).is_err());
        let other = Tally::new(vec!["9.9".into()]);
        assert!(matches!(
            t.clone().merge(&other),
            Err(ScoringError::CriteriaMismatch { .. })
        ));
        let mut wrong = other.clone();
        assert!(wrong.add(&s.blank()).is_err());
        // Large products survive the trip through JSON exactly.
        let mut big = s.tally();
        big.products[0] = u128::from(u64::MAX) * 3;
        let back: Tally = serde_json::from_str(&serde_json::to_string(&big).unwrap()).unwrap();
        assert_eq!(back.products[0], u128::from(u64::MAX) * 3);
    }
}
