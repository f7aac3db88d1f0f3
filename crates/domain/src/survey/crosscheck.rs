//! The running sums against the general estimation engine, and live updates
//! against full recomputation.
//!
//! The engine is the R-checked route (`svydesign(id=~1, strata=~stratum,
//! fpc=~N_h, weights=~N_h/r_h)`, domain means as `subset`, the component as
//! `svycontrast` on the joint influence functions); the tallies must give its
//! numbers from their sums alone. Groups are stacked in one design as strata
//! of their own, which is what "independent samples" means to it.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::tests::{leaf, rules, set};
use super::*;
use crate::estimate::{mean, mean_contrast, Design, DesignSpec, MeanTerm};
use crate::profile::{BelowMinimum, CriteriaSet, OpenLinks, Source};
use crate::questionnaire::RespondentGroup::{self, Business, Citizen};

/// One synthetic respondent.
#[derive(Debug, Clone)]
struct Row {
    group: RespondentGroup,
    /// `None`: open link.
    stratum: Option<String>,
    scores: Vec<Option<u64>>,
}

struct Synthetic {
    criteria: Vec<(RespondentGroup, Vec<String>)>,
    frames: Vec<(RespondentGroup, Vec<StratumFrame>)>,
    rows: Vec<Row>,
}

const LEVELS: [u64; 7] = [0, 0, 250_000, 333_333, 500_000, 666_667, 1_000_000];

fn synthetic(seed: u64) -> Synthetic {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let criteria = vec![
        (
            Citizen,
            vec![
                "8.2.1".into(),
                "8.2.2".into(),
                "8.2.3".into(),
                "8.2.4".into(),
            ],
        ),
        (Business, vec!["8.2.2".into(), "8.3".into()]),
    ];
    let mut frames = Vec::new();
    let mut rows = Vec::new();
    for (g, codes) in &criteria {
        let mut frame = Vec::new();
        for h in 0..rng.random_range(2..6) {
            let population: u64 = rng.random_range(4..300);
            // Now and then a stratum answered in full (f = 1).
            let r = if rng.random_bool(0.15) {
                population
            } else {
                rng.random_range(2..=population.min(40))
            };
            let name = format!("{}-{h}", g.code());
            frame.push(StratumFrame {
                stratum: name.clone(),
                population,
                invited: r + rng.random_range(0..10),
            });
            for _ in 0..r {
                rows.push(random_row(&mut rng, *g, Some(name.clone()), codes.len()));
            }
        }
        for _ in 0..rng.random_range(2..8) {
            rows.push(random_row(&mut rng, *g, None, codes.len()));
        }
        frames.push((*g, frame));
    }
    rows.shuffle(&mut rng);
    Synthetic {
        criteria,
        frames,
        rows,
    }
}

fn random_row(
    rng: &mut ChaCha8Rng,
    group: RespondentGroup,
    stratum: Option<String>,
    k: usize,
) -> Row {
    Row {
        group,
        stratum,
        scores: (0..k)
            .map(|_| {
                rng.random_bool(0.8)
                    .then(|| LEVELS[rng.random_range(0..LEVELS.len())])
            })
            .collect(),
    }
}

fn profile_set() -> CriteriaSet {
    set(vec![
        leaf("8.2.1", 2, vec![(Citizen, 1.0)]),
        leaf("8.2.2", 3, vec![(Citizen, 0.6), (Business, 0.4)]),
        leaf("8.2.3", 2, vec![(Citizen, 1.0)]),
        leaf("8.2.4", 2, vec![(Citizen, 1.0)]),
        leaf("8.3", 4, vec![(Business, 1.0)]),
    ])
}

const UNIT: i64 = 1;

fn tallies_of<'a>(rows: impl IntoIterator<Item = &'a Row>, syn: &Synthetic) -> Tallies {
    let mut t = Tallies::new();
    for r in rows {
        add(&mut t, r, syn);
    }
    t
}

fn add(t: &mut Tallies, r: &Row, syn: &Synthetic) {
    let criteria = &syn.criteria.iter().find(|(g, _)| *g == r.group).unwrap().1;
    let scores = RespondentScores::from_micro(&r.scores);
    let origin = match &r.stratum {
        Some(h) => Origin::Sample(h),
        None => Origin::Open,
    };
    t.add(UNIT, r.group, criteria, origin, &scores).unwrap();
}

fn survey(t: &Tallies, syn: &Synthetic, open_links: OpenLinks) -> UnitSurvey {
    let inputs: Vec<GroupInput<'_>> = syn
        .frames
        .iter()
        .map(|(g, frame)| {
            let criteria = &syn.criteria.iter().find(|(c, _)| c == g).unwrap().1;
            GroupInput::from_tallies(*g, criteria, frame, t.get(UNIT, *g)).unwrap()
        })
        .collect();
    unit_survey(
        &rules(open_links, BelowMinimum::Flag, 1),
        &profile_set(),
        2,
        &inputs,
    )
    .unwrap()
}

#[track_caller]
fn same(ours: f64, engine: f64, what: &str) {
    let tol = 1e-9 * engine.abs().max(1e-12);
    assert!(
        (ours - engine).abs() <= tol,
        "{what}: tallies {ours:e}, engine {engine:e}"
    );
}

#[test]
fn tallies_give_the_engines_estimates_and_standard_errors() {
    for seed in 0..20 {
        let syn = synthetic(seed);
        let t = tallies_of(&syn.rows, &syn);
        for open_links in [OpenLinks::Exclude, OpenLinks::Include] {
            let u = survey(&t, &syn, open_links);
            // The stacked design the engine sees.
            let rows: Vec<&Row> = syn
                .rows
                .iter()
                .filter(|r| r.stratum.is_some() || open_links == OpenLinks::Include)
                .collect();
            let label = |r: &Row| {
                format!(
                    "{}/{}",
                    r.group.code(),
                    r.stratum.as_deref().unwrap_or("open")
                )
            };
            let strata: Vec<String> = rows.iter().map(|r| label(r)).collect();
            let frame_of = |r: &Row| -> (f64, f64) {
                let Some(h) = &r.stratum else {
                    // Open links: weight 1, no fpc (an effectively infinite N).
                    return (1e300, 1.0);
                };
                let f = &syn.frames.iter().find(|(g, _)| *g == r.group).unwrap().1;
                let f = f.iter().find(|f| &f.stratum == h).unwrap();
                let n = syn
                    .rows
                    .iter()
                    .filter(|o| o.group == r.group && o.stratum.as_ref() == Some(h))
                    .count();
                (f.population as f64, f.population as f64 / n as f64)
            };
            let fpc: Vec<f64> = rows.iter().map(|r| frame_of(r).0).collect();
            let weights: Vec<f64> = rows.iter().map(|r| frame_of(r).1).collect();
            let d = Design::new(DesignSpec {
                strata: Some(&strata[..]),
                fpc: Some(&fpc),
                weights: Some(&weights),
                ..DesignSpec::new(rows.len())
            })
            .unwrap();

            let mut columns = Vec::new();
            for (gi, (g, codes)) in syn.criteria.iter().enumerate() {
                for (c, code) in codes.iter().enumerate() {
                    let y: Vec<Option<f64>> = rows
                        .iter()
                        .map(|r| {
                            (r.group == *g)
                                .then(|| r.scores[c])
                                .flatten()
                                .map(|m| m as f64 / f64::from(MICRO))
                        })
                        .collect();
                    let e = mean(&d, &y, None).unwrap();
                    let ours = u.groups[gi].criteria[c].estimate.as_ref().unwrap();
                    let what = format!("seed {seed} {open_links:?} {g:?} {code}");
                    same(ours.share, e.value, &what);
                    same(ours.se.unwrap().powi(2), e.variance, &what);
                    assert_eq!(ours.valid as usize, e.n, "{what}");
                    columns.push((*g, code.clone(), y));
                }
            }

            // The component: Σ max_c · weight_cg · R_cg over every pair.
            let set = profile_set();
            let mut terms = Vec::new();
            for (g, code, y) in &columns {
                let Some(Source::Survey { weights }) = &set.get(code).unwrap().source else {
                    unreachable!()
                };
                let w = weights
                    .iter()
                    .find(|(x, _)| x == g)
                    .map_or(0.0, |(_, w)| *w);
                terms.push(MeanTerm {
                    coefficient: set.get(code).unwrap().max.to_f64() * w,
                    y,
                    domain: None,
                });
            }
            let e = mean_contrast(&d, &terms).unwrap();
            let what = format!("seed {seed} {open_links:?} component");
            same(u.component.se.unwrap().powi(2), e.variance, &what);
            let points = u.component.points.unwrap().to_f64();
            assert!(
                (points - e.value).abs() < 5e-6,
                "{what}: {points} vs {}",
                e.value
            );
            // Each criterion's points SE: groups independent, so a contrast too.
            for (i, cp) in u.criteria.iter().enumerate() {
                let own: Vec<MeanTerm<'_>> = terms
                    .iter()
                    .zip(&columns)
                    .filter(|(t, (_, code, _))| *code == cp.code && t.coefficient != 0.0)
                    .map(|(t, _)| *t)
                    .collect();
                let e = mean_contrast(&d, &own).unwrap();
                same(
                    cp.se.unwrap().powi(2),
                    e.variance,
                    &format!("{what} criterion {i}"),
                );
            }
        }
    }
}

#[test]
fn live_updates_equal_full_recomputation_exactly() {
    for seed in 100..110 {
        let syn = synthetic(seed);
        let full = tallies_of(&syn.rows, &syn);

        // Live: another order, one response at a time, each tally stored as
        // JSON between updates the way a database row would keep it.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut order: Vec<&Row> = syn.rows.iter().collect();
        order.shuffle(&mut rng);
        let mut stored: std::collections::BTreeMap<String, String> = Default::default();
        for r in &order {
            let key = format!("{:?}/{:?}", r.group, r.stratum);
            let criteria = &syn.criteria.iter().find(|(g, _)| *g == r.group).unwrap().1;
            let mut t: Tally = match stored.get(&key) {
                Some(json) => serde_json::from_str(json).unwrap(),
                None => Tally::new(criteria.clone()),
            };
            t.add(&RespondentScores::from_micro(&r.scores)).unwrap();
            stored.insert(key, serde_json::to_string(&t).unwrap());
        }
        let mut live = Tallies::new();
        for r in &order {
            let key = format!("{:?}/{:?}", r.group, r.stratum);
            let t: Tally = serde_json::from_str(&stored[&key]).unwrap();
            let origin = match &r.stratum {
                Some(h) => Origin::Sample(h),
                None => Origin::Open,
            };
            live.insert(UNIT, r.group, origin, t);
        }
        assert_eq!(live, full, "seed {seed}: live tallies");

        // Parts merged, and a response added then withdrawn.
        let third = order.len() / 3;
        let mut merged = tallies_of(order[..third].iter().copied(), &syn);
        let mut rest = tallies_of(order[2 * third..].iter().copied(), &syn);
        merged
            .merge(&tallies_of(order[third..2 * third].iter().copied(), &syn))
            .unwrap();
        let extra = Row {
            group: Citizen,
            stratum: order
                .iter()
                .find(|r| r.group == Citizen)
                .unwrap()
                .stratum
                .clone(),
            scores: vec![Some(1_000_000), None, Some(0), Some(333_333)],
        };
        add(&mut rest, &extra, &syn);
        let origin = Origin::Sample(extra.stratum.as_deref().unwrap());
        let scores = RespondentScores::from_micro(&extra.scores);
        rest.remove(UNIT, Citizen, origin, &scores).unwrap();
        merged.merge(&rest).unwrap();
        assert_eq!(merged, full, "seed {seed}: merged tallies");

        for open_links in [OpenLinks::Exclude, OpenLinks::Include] {
            let a = survey(&full, &syn, open_links);
            let b = survey(&live, &syn, open_links);
            let c = survey(&merged, &syn, open_links);
            // f64 fields compared with ==: equal to the bit.
            assert_eq!(a, b);
            assert_eq!(a, c);
            assert!(a.component.se.is_some());
        }

        // Half-way through the campaign the live figures equal a full
        // recomputation of the answers in so far, in yet another order.
        let half: Vec<&Row> = order[..order.len() / 2].to_vec();
        let live_half = tallies_of(half.iter().copied(), &syn);
        let mut again = half.clone();
        again.reverse();
        let full_half = tallies_of(again.iter().copied(), &syn);
        assert_eq!(live_half, full_half);
    }
}
