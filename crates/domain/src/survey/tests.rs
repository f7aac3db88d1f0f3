//! Small cases computed by hand (the fractions were worked out from the
//! row-level influence values, not from the tally formulas).

use super::*;
use crate::index::{Shortfall, SurveyScore};
use crate::points::Points;
use crate::profile::{BelowMinimum, CriteriaSet, Criterion, Kind, OpenLinks, Source, SurveyRules};
use crate::questionnaire::RespondentGroup::{self, Business, Citizen};

pub(super) fn codes(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("8.2.{i}")).collect()
}

/// A tally of respondents given as scores in [0, 1] (`None`: no valid answer).
pub(super) fn tally(criteria: &[String], rows: &[&[Option<f64>]]) -> Tally {
    let mut t = Tally::new(criteria.to_vec());
    for r in rows {
        let ys: Vec<Option<u64>> = r
            .iter()
            .map(|y| y.map(|y| (y * f64::from(MICRO)).round() as u64))
            .collect();
        t.add(&RespondentScores::from_micro(&ys)).unwrap();
    }
    t
}

pub(super) fn leaf(code: &str, max: i64, weights: Vec<(RespondentGroup, f64)>) -> Criterion {
    Criterion {
        code: code.into(),
        name: format!("Tiêu chí {code}"),
        label: None,
        max: Points::from_int(max),
        kind: Kind::Regular,
        department: None,
        source: Some(Source::Survey { weights }),
        dossier: false,
        encouragement: false,
        parent: None,
        children: vec![],
        depth: 2,
        line: 1,
    }
}

pub(super) fn set(nodes: Vec<Criterion>) -> CriteriaSet {
    CriteriaSet {
        code: "so".into(),
        name: "Bộ thử".into(),
        unit_types: vec!["so".into()],
        appendix: None,
        nodes,
        line: 1,
    }
}

pub(super) fn rules(open_links: OpenLinks, below: BelowMinimum, min: u32) -> SurveyRules {
    SurveyRules {
        open_links,
        below_minimum: below,
        min_valid: vec![(Citizen, min), (Business, min)],
        scales: Default::default(),
        anonymity_k: 5,
    }
}

const ONE: Option<f64> = Some(1.0);
const ZERO: Option<f64> = Some(0.0);

/// Two strata: a (N = 10) with (1, 1), (0, —); b (N = 30) with (1, 0),
/// (—, 1), (1, 1). Weights 5 and 10.
fn two_strata(c: &[String]) -> (Tally, Tally) {
    (
        tally(c, &[&[ONE, ONE], &[ZERO, None]]),
        tally(c, &[&[ONE, ZERO], &[None, ONE], &[ONE, ONE]]),
    )
}

fn frame() -> Vec<StratumFrame> {
    vec![
        StratumFrame {
            stratum: "a".into(),
            population: 10,
            invited: 4,
        },
        StratumFrame {
            stratum: "b".into(),
            population: 30,
            invited: 6,
        },
    ]
}

fn book(c: &[String], open: Option<Tally>) -> UnitGroupTallies {
    let (a, b) = two_strata(c);
    UnitGroupTallies {
        strata: [("a".to_string(), a), ("b".to_string(), b)].into(),
        open,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn two_strata_and_a_domain_by_hand() {
    let c = codes(2);
    let b = book(&c, None);
    let f = frame();
    let input = GroupInput::from_tallies(Citizen, &c, &f, Some(&b)).unwrap();
    let g = estimate_group(&input, OpenLinks::Exclude).unwrap();
    assert_eq!((g.invited, g.respondents), (10, 5));
    assert_eq!(g.response_rate, Some(0.5));
    let e0 = g.criteria[0].estimate.as_ref().unwrap();
    // R = (5·1 + 5·0 + 10·1 + 10·1) / (5 + 5 + 10 + 10) = 5/6; the respondent
    // of b without 8.2.1 stays in b's n_h = 3.
    assert!(close(e0.share, 5.0 / 6.0));
    assert_eq!(e0.valid, 4);
    // a: 0.8 · 2/1 · 1/72; b: 0.9 · 3/2 · 1/486 → 1/45 + 1/360 = 1/40.
    assert!(close(e0.se.unwrap().powi(2), 1.0 / 40.0), "{:?}", e0.se);
    let ci = e0.ci.unwrap();
    let z = 1.959963984540054;
    assert!(close(ci.low, 5.0 / 6.0 - z * (0.025f64).sqrt()));
    assert_eq!(ci.high, 1.0, "cut at 1");
    let e1 = g.criteria[1].estimate.as_ref().unwrap();
    assert!(close(e1.share, 5.0 / 7.0));
    assert!(close(e1.se.unwrap().powi(2), 898.0 / 12005.0));
    assert!(g.criteria[0].open.is_none());
}

#[test]
fn the_component_keeps_the_correlation_between_criteria() {
    let c = codes(2);
    let b = book(&c, None);
    let f = frame();
    let input = GroupInput::from_tallies(Citizen, &c, &f, Some(&b)).unwrap();
    let s = set(vec![
        leaf("8.2.1", 2, vec![(Citizen, 1.0)]),
        leaf("8.2.2", 2, vec![(Citizen, 1.0)]),
    ]);
    let u = unit_survey(
        &rules(OpenLinks::Exclude, BelowMinimum::Withhold, 4),
        &s,
        2,
        &[input],
    )
    .unwrap();
    let pts: Vec<Points> = u
        .criteria
        .iter()
        .map(|c| match c.score {
            SurveyScore::Scored { points, .. } => points.round(6),
            _ => panic!("{c:?}"),
        })
        .collect();
    // 2 × 5/6 and 2 × 5/7, shown to the micro-point (kept exact).
    assert_eq!(
        pts,
        [Points::from_micro(1_666_667), Points::from_micro(1_428_571)]
    );
    assert!(close(u.criteria[0].se.unwrap().powi(2), 4.0 / 40.0));
    let comp = &u.component;
    assert_eq!(comp.status, ComponentStatus::Scored);
    assert_eq!(
        comp.points.map(|p| p.round(6)),
        Some(Points::from_micro(3_095_238))
    );
    assert_eq!(comp.published, Some(Points::parse("3.10").unwrap()));
    assert_eq!(comp.max, Points::from_int(4));
    // Var(2R₁ + 2R₂) = 5555/14406 from the joint influence values; treating
    // the criteria as independent would give 4/40 + 4·898/12005 = 1917/4802.
    let v = comp.se.unwrap().powi(2);
    assert!(close(v, 5555.0 / 14406.0), "{v}");
    assert!(!close(v, 1917.0 / 4802.0));
    assert!(u.shortfalls().is_empty());
}

#[test]
fn open_link_answers_are_apart_unless_the_profile_includes_them() {
    let c = codes(2);
    let open = tally(&c, &[&[ZERO, None], &[ZERO, ONE]]);
    let b = book(&c, Some(open));
    let f = frame();
    let input = GroupInput::from_tallies(Citizen, &c, &f, Some(&b)).unwrap();

    let excluded = estimate_group(&input, OpenLinks::Exclude).unwrap();
    let e = excluded.criteria[0].estimate.as_ref().unwrap();
    assert!(close(e.share, 5.0 / 6.0), "open answers stay out");
    assert_eq!(e.valid, 4);
    let apart = excluded.criteria[0].open.as_ref().unwrap();
    assert_eq!((apart.share, apart.valid, apart.se), (0.0, 2, Some(0.0)));
    assert_eq!(excluded.open_respondents, 2);
    assert_eq!(
        excluded.respondents, 5,
        "open respondents are not sampled ones"
    );

    // Included: a stratum of weight 1 without fpc: (25 + 0 + 0) / (30 + 2).
    let included = estimate_group(&input, OpenLinks::Include).unwrap();
    let e = included.criteria[0].estimate.as_ref().unwrap();
    assert!(close(e.share, 25.0 / 32.0));
    assert_eq!(e.valid, 6);
    assert!(close(e.se.unwrap().powi(2), 12445.0 / 524288.0));
    assert_eq!(included.criteria[0].open, excluded.criteria[0].open);
}

#[test]
fn a_group_below_the_minimum_is_flagged_or_withheld() {
    let c = codes(2);
    let b = book(&c, None);
    let f = frame();
    let input = || GroupInput::from_tallies(Citizen, &c, &f, Some(&b)).unwrap();
    let s = set(vec![
        leaf("8.2.1", 2, vec![(Citizen, 1.0)]),
        leaf("8.2.2", 2, vec![(Citizen, 1.0)]),
    ]);
    // 8.2.1 and 8.2.2 both have 4 valid respondents; the minimum is 5.
    let flag = unit_survey(
        &rules(OpenLinks::Exclude, BelowMinimum::Flag, 5),
        &s,
        2,
        &[input()],
    )
    .unwrap();
    assert_eq!(flag.component.status, ComponentStatus::Flagged);
    assert_eq!(
        flag.component.points.map(|p| p.round(6)),
        Some(Points::from_micro(3_095_238))
    );
    assert!(flag.component.se.is_some());
    let short = flag.shortfalls();
    assert_eq!(short.len(), 2);
    assert_eq!(short[0].criterion, "8.2.1");
    assert_eq!(
        short[0].shortfall,
        Shortfall {
            group: Citizen,
            valid: 4,
            minimum: 5
        }
    );
    assert!(flag.criteria.iter().all(|c| c.se.is_some()));

    let withhold = unit_survey(
        &rules(OpenLinks::Exclude, BelowMinimum::Withhold, 5),
        &s,
        2,
        &[input()],
    )
    .unwrap();
    assert_eq!(withhold.component.status, ComponentStatus::Withheld);
    assert_eq!(withhold.component.points, None);
    assert_eq!(withhold.component.withheld, ["8.2.1", "8.2.2"]);
    assert!(withhold
        .criteria
        .iter()
        .all(|c| c.se.is_none() && c.ci.is_none()));
    assert_eq!(
        withhold.shortfalls().len(),
        2,
        "the flag travels when withheld too"
    );
}

#[test]
fn a_criterion_without_answers_from_a_weighted_group_is_withheld() {
    let c = codes(2);
    let b = book(&c, None);
    let f = frame();
    let input = GroupInput::from_tallies(Citizen, &c, &f, Some(&b)).unwrap();
    // 8.2.2 also needs businesses, who have not answered.
    let s = set(vec![
        leaf("8.2.1", 2, vec![(Citizen, 1.0)]),
        leaf("8.2.2", 4, vec![(Citizen, 0.5), (Business, 0.5)]),
    ]);
    let u = unit_survey(
        &rules(OpenLinks::Exclude, BelowMinimum::Flag, 1),
        &s,
        2,
        &[input],
    )
    .unwrap();
    assert!(matches!(u.criteria[0].score, SurveyScore::Scored { .. }));
    assert_eq!(
        u.criteria[1].score,
        SurveyScore::Withheld {
            short: vec![Shortfall {
                group: Business,
                valid: 0,
                minimum: 1
            }]
        }
    );
    assert_eq!(u.component.status, ComponentStatus::Withheld);
    assert_eq!(u.component.withheld, ["8.2.2"]);
    assert_eq!(u.component.max, Points::from_int(6));
}

#[test]
fn two_groups_weigh_into_one_criterion() {
    let c = codes(2);
    let b = book(&c, None);
    let f = frame();
    let citizens = GroupInput::from_tallies(Citizen, &c, &f, Some(&b)).unwrap();
    // Businesses: one stratum of 20, answers 1 and 0 on 8.2.2 only.
    let biz_frame = vec![StratumFrame {
        stratum: "x".into(),
        population: 20,
        invited: 2,
    }];
    let biz_tallies = UnitGroupTallies {
        strata: [("x".to_string(), tally(&c, &[&[None, ONE], &[None, ZERO]]))].into(),
        open: None,
    };
    let biz = GroupInput::from_tallies(Business, &c, &biz_frame, Some(&biz_tallies)).unwrap();
    let s = set(vec![leaf(
        "8.2.2",
        4,
        vec![(Citizen, 0.75), (Business, 0.25)],
    )]);
    let u = unit_survey(
        &rules(OpenLinks::Exclude, BelowMinimum::Flag, 1),
        &s,
        2,
        &[citizens, biz],
    )
    .unwrap();
    // 4 × (0.75 × 5/7 + 0.25 × 1/2) = 2.642857…
    let SurveyScore::Scored { points, .. } = u.criteria[0].score else {
        panic!()
    };
    assert_eq!(points.round(6), Points::from_micro(2_642_857));
    // Business share 1/2 from 2 of 20: z = ±10·(1/2)/20 = ±1/4, so
    // Var = (1 − 2/20) · 2/1 · 2 · (1/4)² = 0.225. Groups add.
    let v_biz = 0.9 * 2.0 * 2.0 * 0.0625;
    let v = 3.0f64.powi(2) * 898.0 / 12005.0 + 1.0f64.powi(2) * v_biz;
    assert!(close(u.criteria[0].se.unwrap().powi(2), v));
    assert!(
        close(u.component.se.unwrap().powi(2), v),
        "one criterion: the same"
    );
}

#[test]
fn a_lonely_respondent_loses_the_se_not_the_score() {
    let c = codes(2);
    let (a, b) = two_strata(&c);
    // Stratum l: one respondent of 50, who answered 8.2.2 only.
    let lonely = tally(&c, &[&[None, ONE]]);
    let mut f = frame();
    f.push(StratumFrame {
        stratum: "l".into(),
        population: 50,
        invited: 5,
    });
    let tallies = UnitGroupTallies {
        strata: [
            ("a".to_string(), a),
            ("b".to_string(), b),
            ("l".to_string(), lonely),
        ]
        .into(),
        open: None,
    };
    let input = GroupInput::from_tallies(Citizen, &c, &f, Some(&tallies)).unwrap();
    let s = set(vec![
        leaf("8.2.1", 2, vec![(Citizen, 1.0)]),
        leaf("8.2.2", 2, vec![(Citizen, 1.0)]),
    ]);
    let u = unit_survey(
        &rules(OpenLinks::Exclude, BelowMinimum::Flag, 1),
        &s,
        2,
        &[input],
    )
    .unwrap();
    let g = &u.groups[0].criteria;
    // 8.2.1: l has nobody in the domain, so as R's subset it is not seen.
    assert!(close(
        g[0].estimate.as_ref().unwrap().se.unwrap().powi(2),
        1.0 / 40.0
    ));
    let e1 = g[1].estimate.as_ref().unwrap();
    assert!(e1.se.is_none() && e1.ci.is_none());
    let issue = SeIssue::LonelyStratum {
        group: Citizen,
        stratum: "l".into(),
    };
    assert_eq!(e1.se_issue, Some(issue.clone()));
    assert!(issue.message().contains("một người trả lời"));
    assert_eq!(u.criteria[1].se_issue, Some(issue.clone()));
    assert!(u.criteria[0].se.is_some());
    // The component spans the whole design (svyby with covmat): no SE, but
    // still its points.
    assert_eq!(u.component.status, ComponentStatus::Scored);
    assert!(u.component.points.is_some());
    assert_eq!(
        (u.component.se, u.component.se_issue.clone()),
        (None, Some(issue))
    );

    // A stratum sampled completely (N = r = 1) adds 0, as in R.
    let mut f = frame();
    f.push(StratumFrame {
        stratum: "l".into(),
        population: 1,
        invited: 1,
    });
    let input = GroupInput::from_tallies(Citizen, &c, &f, Some(&tallies)).unwrap();
    let u = unit_survey(
        &rules(OpenLinks::Exclude, BelowMinimum::Flag, 1),
        &s,
        2,
        &[input],
    )
    .unwrap();
    assert!(u.component.se.is_some());
}

#[test]
fn strata_without_respondents_and_stratum_order() {
    let c = codes(2);
    let b = book(&c, None);
    let mut f = frame();
    f.push(StratumFrame {
        stratum: "z".into(),
        population: 40,
        invited: 3,
    });
    let input = GroupInput::from_tallies(Citizen, &c, &f, Some(&b)).unwrap();
    let g = estimate_group(&input, OpenLinks::Exclude).unwrap();
    assert_eq!(g.strata_without_respondents, ["z"]);
    assert_eq!(g.invited, 13);
    // Reversing the strata changes nothing, to the bit.
    let mut rev = input.clone();
    rev.strata.reverse();
    assert_eq!(estimate_group(&rev, OpenLinks::Exclude).unwrap(), g);
}

#[test]
fn inconsistent_inputs_are_errors() {
    let c = codes(2);
    let b = book(&c, None);
    let f = frame();
    // A tally for a stratum the frame does not know.
    assert_eq!(
        GroupInput::from_tallies(Citizen, &c, &f[..1], Some(&b)).unwrap_err(),
        ScoringError::UnknownStratum("b".into())
    );
    // More respondents than people in the frame.
    let mut small = f.clone();
    small[0].population = 1;
    let input = GroupInput::from_tallies(Citizen, &c, &small, Some(&b)).unwrap();
    assert!(matches!(
        estimate_group(&input, OpenLinks::Exclude).unwrap_err(),
        ScoringError::OverSampled { respondents: 2, .. }
    ));
    // Tallies of another questionnaire's criteria.
    let other = codes(3);
    let input = GroupInput::from_tallies(Citizen, &other, &f, Some(&b)).unwrap();
    assert!(matches!(
        estimate_group(&input, OpenLinks::Exclude).unwrap_err(),
        ScoringError::CriteriaMismatch { .. }
    ));
    let mut twice = GroupInput::from_tallies(Citizen, &c, &f, Some(&b)).unwrap();
    twice.strata.push(twice.strata[0]);
    assert_eq!(
        estimate_group(&twice, OpenLinks::Exclude).unwrap_err(),
        ScoringError::DuplicateStratum("a".into())
    );
    let input = GroupInput::from_tallies(Citizen, &c, &f, Some(&b)).unwrap();
    let s = set(vec![leaf("8.2.1", 2, vec![(Citizen, 1.0)])]);
    assert_eq!(
        unit_survey(
            &rules(OpenLinks::Exclude, BelowMinimum::Flag, 1),
            &s,
            2,
            &[input.clone(), input]
        )
        .unwrap_err(),
        ScoringError::DuplicateGroup(Citizen)
    );
}

#[test]
fn no_answers_yet() {
    let c = codes(2);
    let f = frame();
    let input = GroupInput::from_tallies(Citizen, &c, &f, None).unwrap();
    let s = set(vec![leaf("8.2.1", 2, vec![(Citizen, 1.0)])]);
    let u = unit_survey(
        &rules(OpenLinks::Exclude, BelowMinimum::Flag, 1),
        &s,
        2,
        &[input],
    )
    .unwrap();
    assert_eq!(u.groups[0].respondents, 0);
    assert_eq!(u.groups[0].response_rate, Some(0.0));
    assert!(u.groups[0].criteria[0].estimate.is_none());
    assert_eq!(u.component.status, ComponentStatus::Withheld);
}

#[test]
fn the_shipped_citizen_questionnaire_feeds_the_shipped_profile() {
    use crate::profile::parse_profile;
    use crate::questionnaire::parse_questionnaire;
    let q = parse_questionnaire(include_str!("../../../../questionnaires/citizen.toml")).unwrap();
    let profile = parse_profile(include_str!(
        "../../../../questionnaires/profiles/son-la-2021.toml"
    ))
    .unwrap();
    let scorer = Scorer::new(&q).unwrap();
    assert_eq!(
        scorer.criteria(),
        ["8.2.1", "8.2.2", "8.2.3", "8.2.4", "8.2.5"]
    );
    let codes: Vec<&str> = q
        .questions()
        .filter(|x| x.criterion.is_some())
        .map(|x| x.code.as_str())
        .collect();
    assert_eq!(codes.len(), 22);
    // 20 respondents of 100 all "Hài lòng", 20 of 300 all "Không hài lòng".
    let mut book = Tallies::new();
    for (stratum, level) in [("a", "4"), ("b", "2")] {
        for _ in 0..20 {
            let mut answers: Vec<(&str, &str)> = codes.iter().map(|c| (*c, level)).collect();
            answers.push(("GIOI_TINH", "nu"));
            let s = scorer.score(answers);
            book.add(
                7,
                scorer.group(),
                scorer.criteria(),
                Origin::Sample(stratum),
                &s,
            )
            .unwrap();
        }
    }
    let frame = [
        StratumFrame {
            stratum: "a".into(),
            population: 100,
            invited: 30,
        },
        StratumFrame {
            stratum: "b".into(),
            population: 300,
            invited: 30,
        },
    ];
    let input =
        GroupInput::from_tallies(Citizen, scorer.criteria(), &frame, book.get(7, Citizen)).unwrap();
    let set = profile.criteria_set_for("so").unwrap();
    let rules = profile.survey.as_ref().unwrap();
    let u = unit_survey(rules, set, profile.points.decimals, &[input]).unwrap();
    // Weights 5 and 15: share (5·20·1 + 15·20·0) / (5·20 + 15·20) = 1/4.
    for c in u.criteria.iter().filter(|c| c.code.starts_with("8.2.")) {
        let SurveyScore::Scored { points, short } = &c.score else {
            panic!("{c:?}")
        };
        assert_eq!(*points, Points::parse("0.5").unwrap(), "{}", c.code);
        assert!(short.is_empty(), "40 valid ≥ 30");
    }
    // Businesses, civil servants and leaders have not answered yet.
    assert_eq!(u.component.status, ComponentStatus::Withheld);
    assert!(u.component.withheld.contains(&"8.3".to_string()));
    assert_eq!(u.component.max, Points::from_int(30));
}

#[test]
fn the_citizen_questionnaire_follows_sipas_and_not_applicable_leaves_the_denominator() {
    use crate::questionnaire::{parse_questionnaire, QuestionKind, NOT_APPLICABLE};
    // SIPAS (QĐ 2640/QĐ-BNV): 5 elements with 4, 5, 6, 3 and 4 criteria.
    let q = parse_questionnaire(include_str!("../../../../questionnaires/citizen.toml")).unwrap();
    let by_criterion = q.criteria();
    let counts: Vec<usize> = ["8.2.1", "8.2.2", "8.2.3", "8.2.4", "8.2.5"]
        .iter()
        .map(|c| by_criterion[c].len())
        .collect();
    assert_eq!(counts, [4, 5, 6, 3, 4]);
    // No item asked twice (KQ4 repeated TT5's time limit).
    let texts: Vec<&str> = q
        .questions()
        .filter(|x| x.criterion.is_some())
        .map(|x| x.text.as_str())
        .collect();
    let mut unique = texts.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), texts.len(), "{texts:?}");
    // The waiting room and the complaint items can be "không áp dụng".
    let na = |code: &str| {
        let x = q.questions().find(|x| x.code == code).unwrap();
        matches!(
            &x.kind,
            QuestionKind::Likert {
                not_applicable: Some(_),
                ..
            }
        )
    };
    assert!(["TC1", "TC2", "TC3", "TC4", "GY2", "GY3", "GY4"]
        .iter()
        .all(|c| na(c)));
    assert!(!na("TT5"));
    // An online applicant: TC1 not applicable, TC2–TC4 satisfied → 3 of 3.
    let scorer = Scorer::new(&q).unwrap();
    let s = scorer.score([
        ("TC1", NOT_APPLICABLE),
        ("TC2", "4"),
        ("TC3", "5"),
        ("TC4", "4"),
    ]);
    let c = scorer_index(&scorer, "8.2.1");
    assert_eq!(s.answers(c), 3);
    assert_eq!(s.score(c), Some(1.0));
    // The form accepts it only where the questionnaire offers it.
    let tc1 = q.questions().find(|x| x.code == "TC1").unwrap();
    let tt5 = q.questions().find(|x| x.code == "TT5").unwrap();
    assert_eq!(
        crate::answers::encode(tc1, &[NOT_APPLICABLE])
            .unwrap()
            .as_deref(),
        Some(NOT_APPLICABLE)
    );
    assert!(crate::answers::encode(tt5, &[NOT_APPLICABLE]).is_err());
}

fn scorer_index(s: &Scorer, code: &str) -> usize {
    s.criteria().iter().position(|c| c == code).unwrap()
}
