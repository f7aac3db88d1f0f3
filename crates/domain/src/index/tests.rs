//! Table tests of the index rules with the shipped profiles, at every boundary
//! the regulations draw.

use std::collections::BTreeMap;

use super::*;
use crate::points::Points;
use crate::profile::{parse_profile, DayCount, HeadRatingScheme, Kind, Profile};

fn profile(code: &str) -> Profile {
    let src = match code {
        "son-la-2021" => include_str!("../../../../questionnaires/profiles/son-la-2021.toml"),
        "ninh-hoa-2021" => include_str!("../../../../questionnaires/profiles/ninh-hoa-2021.toml"),
        "thai-binh-2021" => include_str!("../../../../questionnaires/profiles/thai-binh-2021.toml"),
        "hai-phong-2025" => include_str!("../../../../questionnaires/profiles/hai-phong-2025.toml"),
        _ => unreachable!(),
    };
    parse_profile(src).unwrap()
}

fn p(s: &str) -> Points {
    Points::parse(s).unwrap()
}

fn components(appraised: &str, survey: &str) -> Components {
    Components {
        appraised: p(appraised),
        survey: p(survey),
        bonus: Points::ZERO,
        deductions: Points::ZERO,
        applicable_max: Points::from_int(100),
    }
}

#[test]
fn bands_at_every_boundary() {
    let cases = [
        // profile, appraised, survey, published figure, band
        ("son-la-2021", "62.995", "27", "90.00", "A"),
        ("son-la-2021", "62.994", "27", "89.99", "B"),
        ("son-la-2021", "60", "30", "90.00", "A"),
        ("son-la-2021", "59.99", "30", "89.99", "B"),
        ("son-la-2021", "50", "20", "70.00", "B"),
        ("son-la-2021", "49.99", "20", "69.99", "C"),
        ("son-la-2021", "30", "20", "50.00", "C"),
        ("son-la-2021", "29.99", "20", "49.99", "D"),
        ("son-la-2021", "0", "0", "0.00", "D"),
        // 49.995 and 59.995 are below themselves in f64; exact points round up.
        ("son-la-2021", "29.995", "20", "50.00", "C"),
        ("thai-binh-2021", "40", "19.995", "60.00", "TRUNG BÌNH"),
        ("thai-binh-2021", "40", "19.994", "59.99", "YẾU"),
        ("son-la-2021", "70", "30", "100.00", "A"),
        ("hai-phong-2025", "59.99", "20", "79.99", "C"),
        ("hai-phong-2025", "60", "20", "80.00", "B"),
        ("hai-phong-2025", "54.99", "20", "74.99", "D"),
        ("hai-phong-2025", "55", "20", "75.00", "C"),
        ("thai-binh-2021", "40", "19.99", "59.99", "YẾU"),
        ("thai-binh-2021", "40", "20", "60.00", "TRUNG BÌNH"),
        ("thai-binh-2021", "60", "29.995", "90.00", "TỐT"),
        // Ninh Hòa reads PARI; with P = 100 it equals the points.
        ("ninh-hoa-2021", "70", "14.99", "84.99", "KHÁ"),
        ("ninh-hoa-2021", "70", "15", "85.00", "TỐT"),
        ("ninh-hoa-2021", "60", "14.99", "74.99", "TRUNG BÌNH"),
        ("ninh-hoa-2021", "60", "15", "75.00", "KHÁ"),
        ("ninh-hoa-2021", "50", "9.99", "59.99", "YẾU"),
        ("ninh-hoa-2021", "50", "10", "60.00", "TRUNG BÌNH"),
    ];
    for (code, a, s, published, band) in cases {
        let pr = profile(code);
        let f = figures(&pr, &components(a, s)).unwrap();
        assert_eq!(
            f.headline(pr.bands.on).fixed(2),
            published,
            "{code} {a}+{s}"
        );
        assert_eq!(f.band.label, band, "{code} {a}+{s} → {published}");
    }
}

#[test]
fn pari_leaves_out_criteria_that_do_not_apply() {
    let nh = profile("ninh-hoa-2021");
    // 80.75 points of 95 applicable: PARI 85 %, TỐT, although only 80.75 points.
    let c = Components {
        applicable_max: Points::from_int(95),
        ..components("70.75", "10")
    };
    let f = figures(&nh, &c).unwrap();
    assert_eq!(f.index, p("80.75"));
    assert_eq!(f.pari, Points::from_int(85));
    assert_eq!(f.band.label, "TỐT");
    // 84.99 % → KHÁ: 80.74 / 95 = 84.989… → 84.99.
    let c = Components {
        applicable_max: Points::from_int(95),
        ..components("70.74", "10")
    };
    let f = figures(&nh, &c).unwrap();
    assert_eq!(f.pari.fixed(2), "84.99");
    assert_eq!(f.band.label, "KHÁ");
}

#[test]
fn pari_is_computed_from_the_published_points() {
    // Ninh Hòa art. 4.2: "số thập phân được làm tròn 2 chữ số"; art. 8.1:
    // "PARI = p / P × 100%", "p : Điểm đạt được sau thẩm định". p = 72.245
    // publishes as 72.25, and 72.25 / 85 is 85.00 % (TỐT), exactly as for a
    // unit whose p is 72.25: same published p, same PARI, band and rank.
    let nh = profile("ninh-hoa-2021");
    for appraised in ["62.245", "62.25"] {
        let c = Components {
            applicable_max: Points::from_int(85),
            ..components(appraised, "10")
        };
        let f = figures(&nh, &c).unwrap();
        assert_eq!(f.index.fixed(2), "72.25", "{appraised}");
        assert_eq!(f.pari.fixed(2), "85.00", "{appraised}");
        assert_eq!(f.band.label, "TỐT", "{appraised}");
    }
}

#[test]
fn survey_points_from_estimates_are_summed_exactly_and_rounded_once() {
    // Sơn La 2021, II.3.c: "Chỉ số CCHC được xác định bằng tổng điểm đạt được
    // qua “Điều tra XHH” và điểm do “Cơ quan thẩm định”", and "Nhóm A …: có
    // số điểm tổng cộng từ 90 điểm trở lên". The sum is rounded once, as the
    // profile's `decimals` says: 62.66 + 27.3349999 is 89.9949999 → 89.99,
    // group B; rounding the survey points first (27.335) would make it 90.00, A.
    let sl = profile("son-la-2021");
    let c = Components {
        survey: Points::from_estimate(27.3349999).unwrap(),
        ..components("62.66", "0")
    };
    let f = figures(&sl, &c).unwrap();
    assert_eq!(f.index.fixed(2), "89.99");
    assert_eq!(f.band.label, "B");
    // The raw total is kept as computed; pages show it to 6 places.
    assert_eq!(f.raw.fixed(6), "89.995000");
    assert!(f.raw < p("89.995"));
    // Three survey criteria, each an estimate, sum without drift.
    let parts = [
        9.111_111_111_111_1,
        9.111_111_111_111_1,
        9.112_777_777_777_7,
    ];
    let survey: Points = parts
        .iter()
        .map(|x| Points::from_estimate(*x).unwrap())
        .sum();
    let f = figures(
        &sl,
        &Components {
            survey,
            ..components("62.66", "0")
        },
    )
    .unwrap();
    assert_eq!(f.index.fixed(2), "89.99");
}

#[test]
fn components_are_checked_against_the_scale() {
    let sl = profile("son-la-2021");
    let errs = figures(&sl, &components("70.5", "30.5")).unwrap_err();
    let cols: Vec<&str> = errs.iter().map(|e| e.component()).collect();
    assert_eq!(cols, ["appraised", "survey"]);
    assert!(figures(&sl, &components("-1", "3")).is_err());
    let c = Components {
        applicable_max: Points::from_int(90),
        ..components("65", "28")
    };
    assert!(matches!(
        figures(&sl, &c).unwrap_err()[0],
        ComponentError::AboveApplicable { .. }
    ));
    // Deductions beyond the points: clamped at 0, with a note.
    let c = Components {
        deductions: Points::from_int(10),
        ..components("3", "2")
    };
    let f = figures(&sl, &c).unwrap();
    assert_eq!(f.index, Points::ZERO);
    assert!(matches!(f.notes[0], Note::ClampedAtZero { .. }));
}

/// Every leaf of a set at its maximum with evidence on time; survey leaves
/// scored in full from enough answers.
fn full_marks(pr: &Profile, unit_type: &str) -> BTreeMap<String, LeafInput> {
    let set = pr.criteria_set_for(unit_type).unwrap();
    set.leaves()
        .filter(|l| l.kind == Kind::Regular)
        .map(|l| {
            let input = if l.is_survey() {
                LeafInput::Survey(SurveyScore::Scored {
                    points: l.max,
                    short: vec![],
                })
            } else {
                LeafInput::Appraised {
                    points: l.max,
                    evidence: Evidence::WithDossier,
                }
            };
            (l.code.clone(), input)
        })
        .collect()
}

fn appraised(points: &str, evidence: Evidence) -> LeafInput {
    LeafInput::Appraised {
        points: p(points),
        evidence,
    }
}

#[test]
fn the_appraisal_rules_of_ninh_hoa() {
    let nh = profile("ninh-hoa-2021");
    let set = nh.criteria_set_for("co_quan").unwrap();
    let mut inputs = full_marks(&nh, "co_quan");
    let a = appraise(&nh, set, &inputs, Lateness::OnTime).unwrap();
    assert_eq!(
        a.components.appraised + a.components.survey,
        Points::from_int(95)
    );
    assert_eq!(a.figures.as_ref().unwrap().pari, Points::from_int(95));

    // Bonus above the cap: 3 + 2 + 2 = 7 earned, 5 counted → 100 %.
    inputs.insert("9.1".into(), appraised("3", Evidence::WithDossier));
    inputs.insert("9.2".into(), appraised("2", Evidence::WithDossier));
    inputs.insert("9.3".into(), appraised("2", Evidence::WithDossier));
    let a = appraise(&nh, set, &inputs, Lateness::OnTime).unwrap();
    let f = a.figures.unwrap();
    assert_eq!(a.components.bonus, Points::from_int(7));
    assert_eq!(f.bonus_counted, Points::from_int(5));
    assert_eq!(f.pari, Points::from_int(100));
    assert!(f.notes.contains(&Note::BonusCapped {
        earned: Points::from_int(7),
        cap: Points::from_int(5)
    }));

    // The 70 % rule: 3.1 (3 points, evidence named) supplied in the
    // explanation round earns 2.1; 2.1 (3 points) without evidence earns 0;
    // 5.4 (2 points) does not apply and leaves P.
    inputs.insert("3.1".into(), appraised("3", Evidence::Supplemented));
    inputs.insert("2.1".into(), appraised("3", Evidence::Missing));
    inputs.insert("5.4".into(), LeafInput::NotApplicable);
    inputs.insert("10.1".into(), appraised("1.5", Evidence::WithDossier));
    let a = appraise(&nh, set, &inputs, Lateness::OnTime).unwrap();
    let leaf = |code: &str| a.leaves.iter().find(|l| l.code == code).unwrap().clone();
    assert_eq!(leaf("3.1").score, Some(p("2.1")));
    assert_eq!(leaf("3.1").rule, ScoreRule::Supplemented { cap: p("2.1") });
    assert_eq!(leaf("2.1").score, Some(Points::ZERO));
    assert_eq!(leaf("2.1").rule, ScoreRule::NoEvidence);
    assert_eq!(leaf("5.4").score, None);
    assert_eq!(a.components.applicable_max, Points::from_int(98));
    // 77 − 0.9 − 3 − 2 appraised + 18 survey + 5 bonus − 1.5 deducted = 92.6 of 98.
    let f = a.figures.as_ref().unwrap();
    assert_eq!(f.index, p("92.6"));
    assert_eq!(f.pari, p("94.49"));
    assert_eq!(a.nodes["3"], p("14.1"));
    assert_eq!(a.nodes["3.1"], p("2.1"));
    assert!(!a.nodes.contains_key("5.4"));

    // Late: two days cost two points; three days zero the dossier criterion.
    let late2 = appraise(
        &nh,
        set,
        &inputs,
        Lateness::Late {
            days: 2,
            penalty: Points::from_int(2),
        },
    )
    .unwrap();
    assert_eq!(late2.figures.unwrap().index, p("90.6"));
    // Art. 7.5: "Quá thời hạn nêu trên thì điểm hồ sơ đề nghị thẩm định được
    // xác định là 0 (không) điểm." Literally (the default) the dossier's
    // points: every self-assessed criterion and bonus item; the survey (18)
    // stays and the deduction (1.5) still applies → 16.5.
    let late3 = appraise(&nh, set, &inputs, Lateness::TooLate { days: 3 }).unwrap();
    let rule_of =
        |a: &Appraisal, code: &str| a.leaves.iter().find(|l| l.code == code).unwrap().rule;
    assert_eq!(rule_of(&late3, "1.8"), ScoreRule::DossierTooLate);
    assert_eq!(rule_of(&late3, "3.1"), ScoreRule::DossierTooLate);
    assert_eq!(rule_of(&late3, "9.1"), ScoreRule::DossierTooLate);
    assert_eq!(late3.components.appraised, Points::ZERO);
    assert_eq!(late3.figures.unwrap().index, p("16.5"));
    // The other reading: only the dossier criterion 1.8 (2 points) is 0.
    let mut other = nh.clone();
    other.appraisal.late.as_mut().unwrap().too_late =
        crate::profile::TooLateScores::DossierCriterion;
    let late3 = appraise(&other, set, &inputs, Lateness::TooLate { days: 3 }).unwrap();
    assert_eq!(rule_of(&late3, "1.8"), ScoreRule::DossierTooLate);
    assert_eq!(
        rule_of(&late3, "3.1"),
        ScoreRule::Supplemented { cap: p("2.1") }
    );
    assert_eq!(late3.figures.unwrap().index, p("90.6"));
}

#[test]
fn the_grace_days_as_each_reading_counts_them() {
    // Ninh Hòa art. 7.5: "Các cơ quan chưa nộp hồ sơ sẽ có thêm 2 ngày tiếp
    // theo để nộp hồ sơ … Nếu ngày kết thúc thời hạn rơi vào ngày nghỉ hàng
    // tuần hoặc lễ, tết thì được chuyển sang ngày làm việc tiếp theo."
    // Deadline Thursday 9/12/2021: the grace days are Fri 10 and Sat 11.
    let nh = profile("ninh-hoa-2021");
    let base = nh.appraisal.late.clone().unwrap();
    let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    let dl: chrono::NaiveDate = "2021-12-09".parse().unwrap();
    let cases = [
        // count, grace end moves, submitted, lateness
        (DayCount::Calendar, false, "2021-12-11 10:00", Some(2)),
        (DayCount::Calendar, false, "2021-12-13 08:00", None),
        // Literal default: only the official deadline moves, Sunday 12 is too late.
        (DayCount::Calendar, false, "2021-12-12 08:00", None),
        // Moving the grace end off the weekend: Monday 13 still counts, 2 points.
        (DayCount::Calendar, true, "2021-12-13 08:00", Some(2)),
        (DayCount::Calendar, true, "2021-12-14 08:00", None),
        // Working days: Fri 10 and Mon 13.
        (DayCount::Working, false, "2021-12-13 16:00", Some(2)),
        (DayCount::Working, false, "2021-12-14 08:00", None),
    ];
    for (count, moves, when, expected) in cases {
        let rule = crate::profile::LateRule {
            count,
            grace_end_moves: moves,
            ..base.clone()
        };
        let got = late::lateness(&rule, &nh.calendar, dl, at(when));
        match expected {
            Some(days) => assert_eq!(
                got,
                Lateness::Late {
                    days,
                    penalty: Points::from_int(days.into())
                },
                "{count:?} {moves} {when}"
            ),
            None => assert!(
                matches!(got, Lateness::TooLate { .. }),
                "{count:?} {moves} {when}: {got:?}"
            ),
        }
    }
}

#[test]
fn the_supplement_factor_does_not_touch_criteria_without_named_evidence() {
    let nh = profile("ninh-hoa-2021");
    let set = nh.criteria_set_for("co_quan").unwrap();
    let mut inputs = full_marks(&nh, "co_quan");
    // Survey criteria take survey results only, and vice versa.
    inputs.insert("8.2.1".into(), appraised("3", Evidence::WithDossier));
    inputs.insert(
        "1.2".into(),
        LeafInput::Survey(SurveyScore::Withheld { short: vec![] }),
    );
    inputs.insert("1".into(), appraised("1", Evidence::WithDossier));
    inputs.insert("1.4".into(), appraised("2.5", Evidence::WithDossier));
    inputs.insert("42".into(), appraised("1", Evidence::WithDossier));
    inputs.remove("7.1");
    let errs = appraise(&nh, set, &inputs, Lateness::OnTime).unwrap_err();
    let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    for want in [
        "\"8.2.1\" lấy điểm từ điều tra xã hội học",
        "\"1.2\" là tiêu chí thẩm định",
        "\"1\" có tiêu chí con",
        "2.5 điểm vượt điểm tối đa 2",
        "không có tiêu chí \"42\"",
        "tiêu chí \"7.1\" chưa được chấm",
    ] {
        assert!(text.iter().any(|t| t.contains(want)), "{want}: {text:?}");
    }
}

#[test]
fn a_withheld_survey_criterion_holds_back_the_figures() {
    let sl = profile("son-la-2021");
    let set = sl.criteria_set_for("so").unwrap();
    let mut inputs = full_marks(&sl, "so");
    inputs.insert(
        "8.2.3".into(),
        LeafInput::Survey(SurveyScore::Withheld {
            short: vec![Shortfall {
                group: crate::questionnaire::RespondentGroup::Citizen,
                valid: 12,
                minimum: 30,
            }],
        }),
    );
    let a = appraise(&sl, set, &inputs, Lateness::OnTime).unwrap();
    assert_eq!(a.withheld, ["8.2.3"]);
    assert!(a.figures.is_none());
    assert_eq!(a.components.survey, Points::from_int(28));
    // Sơn La supplements at 100 %: the factor is a setting, not a constant.
    inputs.insert(
        "8.2.3".into(),
        LeafInput::Survey(SurveyScore::Scored {
            points: Points::from_int(2),
            short: vec![],
        }),
    );
    inputs.insert("1.2.2".into(), appraised("3", Evidence::Supplemented));
    let a = appraise(&sl, set, &inputs, Lateness::OnTime).unwrap();
    assert_eq!(a.figures.unwrap().index, Points::from_int(100));
}

fn hp_rate(block: &str, index: &str, rank: u32) -> RatingOutcome {
    let hp = profile("hai-phong-2025");
    rate(
        &hp,
        &RatingInput {
            block,
            index: Some(p(index)),
            rank: Some(rank),
            items: &[],
        },
    )
}

#[test]
fn hai_phong_head_ratings_at_every_cut_off() {
    use HeadRating::*;
    let cases: &[(&str, &str, u32, Option<HeadRating>)] = &[
        // art. 7 / 8.1: excellent band by block
        ("so", "90", 3, Some(Excellent)),
        ("so", "90", 4, Some(Good)),
        ("phuong", "95", 10, Some(Excellent)),
        ("phuong", "95", 11, Some(Good)),
        ("xa_dac_khu", "90", 15, Some(Excellent)),
        ("xa_dac_khu", "90", 16, Some(Good)),
        ("so", "89.99", 1, Some(Good)),
        // art. 8.2: good band by block; outside it the rule is silent
        ("so", "85", 8, Some(Good)),
        ("so", "85", 9, None),
        ("phuong", "80", 24, Some(Good)),
        ("phuong", "80", 25, None),
        ("xa_dac_khu", "89.99", 38, Some(Good)),
        ("xa_dac_khu", "89.99", 39, None),
        // art. 9 and 10
        ("so", "79.99", 9, Some(Completed)),
        ("so", "80", 9, None),
        ("so", "75", 40, Some(Completed)),
        ("so", "74.99", 1, Some(NotCompleted)),
    ];
    for (block, index, rank, want) in cases {
        let got = hp_rate(block, index, *rank);
        assert_eq!(got.rating(), *want, "{block} {index} rank {rank}: {got:?}");
        if want.is_none() {
            let RatingOutcome::Undecided { reason, message } = &got else {
                panic!("{got:?}")
            };
            assert_eq!(reason.key(), "rank_outside_band");
            assert!(message.contains(&format!("xếp thứ {rank}")), "{message}");
        }
    }
    // A block the scheme does not rate, and a missing rank.
    assert_eq!(hp_rate("huyen", "95", 1).key(), "not_applicable");
    let hp = profile("hai-phong-2025");
    let no_rank = rate(
        &hp,
        &RatingInput {
            block: "so",
            index: Some(p("92")),
            rank: None,
            items: &[],
        },
    );
    assert_eq!(no_rank.key(), "undecided");
    let no_rank_low = rate(
        &hp,
        &RatingInput {
            block: "so",
            index: Some(p("77")),
            rank: None,
            items: &[],
        },
    );
    assert_eq!(no_rank_low.rating(), Some(Completed));
}

#[test]
fn shared_ranks_at_a_cut_off_both_count() {
    let hp = profile("hai-phong-2025");
    let scores = ["95", "93", "91.5", "91.5", "91"];
    let units: Vec<RankInput> = scores
        .iter()
        .map(|s| RankInput {
            unit: s,
            block: "so",
            score: p(s),
            survey: Points::ZERO,
            appraised: Points::ZERO,
        })
        .collect();
    let ranks = rank_within_blocks(&units, hp.ranking.tie_break);
    let got: Vec<(u32, Option<HeadRating>)> = ranks
        .iter()
        .zip(scores)
        .map(|(r, s)| {
            let o = rate(
                &hp,
                &RatingInput {
                    block: "so",
                    index: Some(p(s)),
                    rank: Some(r.rank),
                    items: &[],
                },
            );
            (r.rank, o.rating())
        })
        .collect();
    use HeadRating::*;
    assert_eq!(
        got,
        [
            (1, Some(Excellent)),
            (2, Some(Excellent)),
            (3, Some(Excellent)),
            (3, Some(Excellent)),
            (5, Some(Good))
        ]
    );
}

fn item(code: &str, max: &str, history: &[&str], cause: Cause) -> AssignedItem {
    AssignedItem {
        code: code.into(),
        max: p(max),
        bonus: false,
        history: history.iter().map(|h| p(h)).collect(),
        cause,
    }
}

fn tb_rate(index: &str, items: &[AssignedItem]) -> RatingOutcome {
    let tb = profile("thai-binh-2021");
    rate(
        &tb,
        &RatingInput {
            block: "so",
            index: Some(p(index)),
            rank: None,
            items,
        },
    )
}

#[test]
fn thai_binh_head_ratings() {
    use Cause::*;
    use HeadRating::*;
    let rising = item("1", "14", &["12", "11", "10"], Unknown);
    let at_max = item("4", "6", &["6", "6", "6"], Unknown);
    let flat = item("5", "11", &["9", "9", "8"], Unknown);
    let fell_once = item("7", "14", &["10", "11", "10"], Unknown);
    let rose_once = item("7", "14", &["11", "10", "10.5"], Unknown);

    assert_eq!(
        tb_rate("95", &[rising.clone(), at_max.clone()]).rating(),
        Some(Excellent)
    );
    assert_eq!(
        tb_rate("90", std::slice::from_ref(&rising)).rating(),
        Some(Excellent)
    );
    assert_eq!(
        tb_rate("85", std::slice::from_ref(&rising)).rating(),
        Some(Good)
    );
    assert_eq!(
        tb_rate("79.99", &[flat.clone(), rising.clone()]).rating(),
        Some(Completed)
    );
    assert_eq!(
        tb_rate("60", std::slice::from_ref(&flat)).rating(),
        Some(Completed)
    );
    assert_eq!(
        tb_rate("59.99", std::slice::from_ref(&rising)).rating(),
        Some(NotCompleted)
    );

    // The gaps: 92 with a falling field; 85 with a field flat (even at its
    // maximum: art. 17.1.b says "tăng"); 95 with a field that rose only once.
    for (index, items, band) in [
        ("92", vec![rising.clone(), fell_once.clone()], Excellent),
        ("85", vec![rising.clone(), at_max.clone()], Good),
        ("95", vec![rose_once.clone()], Excellent),
        ("70", vec![fell_once.clone()], Completed),
    ] {
        let got = tb_rate(index, &items);
        let RatingOutcome::Undecided {
            reason:
                Undecided::TrendNotMet {
                    band: b,
                    items: failing,
                    ..
                },
            message,
        } = &got
        else {
            panic!("{index}: {got:?}")
        };
        assert_eq!(*b, band, "{index}");
        assert_eq!(failing.len(), 1, "{index}: {failing:?}");
        assert!(message.contains("Quy định không xếp loại"), "{message}");
    }

    // The two-year rule: a fall two years running decides only with its cause.
    let two_years = |cause| item("3", "15", &["12", "13", "14"], cause);
    let got = tb_rate("95", &[rising.clone(), two_years(Subjective)]);
    assert_eq!(got.rating(), Some(NotCompleted));
    assert!(got.message().contains("Điều 17.1.d"), "{}", got.message());
    assert_eq!(tb_rate("95", &[two_years(Unknown)]).key(), "undecided");
    assert!(matches!(
        tb_rate("95", &[two_years(Unknown)]),
        RatingOutcome::Undecided {
            reason: Undecided::DeclineCauseUnknown { .. },
            ..
        }
    ));
    // Objective cause: not "not completed", but the fall still fails 17.1.a.
    assert!(matches!(
        tb_rate("95", &[two_years(Objective)]),
        RatingOutcome::Undecided {
            reason: Undecided::TrendNotMet { .. },
            ..
        }
    ));
    // Bonus items are excepted from the two-year rule.
    let mut bonus = two_years(Subjective);
    bonus.bonus = true;
    assert_ne!(tb_rate("95", &[bonus]).rating(), Some(NotCompleted));
    // One fall is not two.
    let one_year = item("3", "15", &["12", "13", "12"], Subjective);
    assert_ne!(tb_rate("95", &[one_year]).rating(), Some(NotCompleted));

    // Missing history, no assigned items, other blocks.
    let short = item("1", "14", &["12", "11"], Unknown);
    assert!(matches!(
        tb_rate("95", &[short]),
        RatingOutcome::Undecided {
            reason: Undecided::HistoryMissing { years: 3, .. },
            ..
        }
    ));
    assert!(matches!(
        tb_rate("85", &[item("1", "14", &["12"], Unknown)]),
        RatingOutcome::Undecided {
            reason: Undecided::HistoryMissing { years: 2, .. },
            ..
        }
    ));
    assert!(matches!(
        tb_rate("85", &[]),
        RatingOutcome::Undecided {
            reason: Undecided::NoAssignedItems,
            ..
        }
    ));
    let tb = profile("thai-binh-2021");
    let xa = rate(
        &tb,
        &RatingInput {
            block: "xa",
            index: Some(p("95")),
            rank: None,
            items: &[],
        },
    );
    assert_eq!(xa.key(), "not_applicable");
    let HeadRatingScheme::ThaiBinh2021(mut rules) = tb.head_rating.clone() else {
        unreachable!()
    };
    rules.without_assigned = crate::profile::WithoutAssigned::IndexOnly;
    assert_eq!(
        rate_thai_binh(&rules, "so", Some(p("85")), &[]).rating(),
        Some(Good)
    );
    assert_eq!(rate_thai_binh(&rules, "so", None, &[]).key(), "undecided");
}

#[test]
fn the_explain_list_names_the_department_and_the_sanctions() {
    let tb = profile("thai-binh-2021");
    let set = tb.criteria_set_for("tinh").unwrap();
    let year = |pairs: &[(&str, &str)]| -> BTreeMap<String, Points> {
        pairs.iter().map(|(c, v)| (c.to_string(), p(v))).collect()
    };
    // Field 3 fell three years running, 3.6.1 two, field 7 one; 2.3 rose;
    // 6.1 moved by less than the published precision.
    let history = [
        year(&[
            ("3", "10"),
            ("3.6.1", "2"),
            ("7", "12"),
            ("2.3", "2"),
            ("6.1", "1.501"),
        ]),
        year(&[
            ("3", "11"),
            ("3.6.1", "3"),
            ("7", "13"),
            ("2.3", "1"),
            ("6.1", "1.504"),
        ]),
        year(&[
            ("3", "12"),
            ("3.6.1", "3.5"),
            ("7", "12"),
            ("2.3", "1"),
            ("6.1", "1.5"),
        ]),
        year(&[
            ("3", "13"),
            ("3.6.1", "3"),
            ("7", "12"),
            ("2.3", "1"),
            ("6.1", "1.5"),
        ]),
    ];
    let list = explain_list(&tb, set, &history);
    let got: Vec<(&str, u32, Option<&str>, usize)> = list
        .iter()
        .map(|i| {
            (
                i.code.as_str(),
                i.falling_years,
                i.department.as_deref(),
                i.sanctions.len(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("3", 3, Some("van_phong"), 3),
            ("3.6.1", 2, Some("van_phong"), 2),
            ("7", 1, Some("tttt"), 1),
        ]
    );
    assert_eq!(
        list[0].department_name.as_deref(),
        Some("Văn phòng UBND tỉnh")
    );
    assert_eq!(list[0].change, Points::from_int(-1));
    assert_eq!(list[0].level, crate::profile::Level::Field);
    assert_eq!(list[1].level, crate::profile::Level::SubCriterion);
    assert!(list[0].sanctions[2]
        .action
        .contains("Ban Thường vụ Tỉnh ủy"));
    assert!(list[0].sanctions.iter().all(|s| s.if_subjective));
    assert_eq!(
        report_due(&tb, "2022-05-17".parse().unwrap()),
        Some("2022-06-16".parse().unwrap())
    );
    // One year of history: nothing to compare.
    assert!(explain_list(&tb, set, &history[..1]).is_empty());
}

#[test]
fn the_profile_answers_lateness_and_locks_with_its_own_calendar() {
    let t = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    let nh = profile("ninh-hoa-2021");
    // Ninh Hòa art. 6.1: "chậm nhất ngày 08 tháng 12" every year; 08/12/2021
    // was a Wednesday.
    let due = nh.dossier_deadline(2021).unwrap();
    assert_eq!(due, "2021-12-08".parse().unwrap());
    assert_eq!(nh.lateness(due, t("2021-12-08 23:59")), Lateness::OnTime);
    assert_eq!(
        nh.lateness(due, t("2021-12-10 08:00")).penalty(),
        Points::from_int(2)
    );
    assert_eq!(
        nh.lateness(due, t("2021-12-11 08:00")),
        Lateness::TooLate { days: 3 }
    );
    assert!(!nh
        .dossier_state(due, None, t("2021-12-10 08:00"))
        .is_locked());
    assert!(nh
        .dossier_state(due, None, t("2021-12-11 00:00"))
        .is_locked());
    // The same rule in 2026: 08/12/2026 is a Tuesday.
    let due_2026 = nh.dossier_deadline(2026).unwrap();
    assert_eq!(due_2026, "2026-12-08".parse().unwrap());
    assert!(!nh
        .dossier_state(due_2026, None, t("2026-12-08 16:00"))
        .is_locked());
    // Sơn La has no late rule: on time whatever the date, locked after the deadline day.
    let sl = profile("son-la-2021");
    let due = sl.dossier_deadline(2021).unwrap();
    assert_eq!(sl.lateness(due, t("2022-01-20 08:00")), Lateness::OnTime);
    assert!(sl
        .dossier_state(due, None, t("2021-12-16 00:00"))
        .is_locked());
    assert!(!sl
        .dossier_state(due, None, t("2021-12-15 16:00"))
        .is_locked());
}

#[test]
fn assigned_items_take_their_maxima_from_the_province_level_set() {
    // Thái Bình art. 17.1: the head answers for "lĩnh vực, tiêu chí" of the
    // province's index; the profile names that criteria set (items_set).
    let tb = profile("thai-binh-2021");
    assert_eq!(
        standing::items_set(&tb).map(|s| s.code.as_str()),
        Some("tinh")
    );
    let field = assigned_item(&tb, "1", [p("14"), p("13.5")], Cause::Unknown);
    assert_eq!(field.max, p("14"));
    assert_eq!(field.history, vec![p("14"), p("13.5")]);
    // A code the set does not have is measured against the whole index.
    assert_eq!(
        assigned_item(&tb, "99", [p("1")], Cause::Unknown).max,
        p("100")
    );
    // Art. 17.1.d: "(trừ tiêu chí liên quan đến điểm khuyến khích như: Các
    // sáng kiến, giải pháp mới mang lại hiệu quả thực tế)". 1.7 "Sáng kiến"
    // is a sub-criterion of a regular field, marked in the profile, and a
    // two-year subjective fall in it does not make the head "Không hoàn thành".
    let initiative = assigned_item(&tb, "1.7", [p("0.3"), p("0.6"), p("1")], Cause::Subjective);
    assert!(initiative.bonus, "1.7 is an encouragement item");
    assert!(!assigned_item(&tb, "1.6", [p("1")], Cause::Unknown).bonus);
    let rating = |items: &[AssignedItem]| match tb_rate("85", items) {
        RatingOutcome::Rated { rating, .. } => Some(rating),
        _ => None,
    };
    // (Its fall still keeps the head from "tốt", which needs no item falling.)
    assert_ne!(
        rating(std::slice::from_ref(&initiative)),
        Some(HeadRating::NotCompleted)
    );
    let plain = AssignedItem {
        code: "1.6".into(),
        ..initiative
    };
    let plain = AssignedItem {
        bonus: false,
        ..plain
    };
    assert_eq!(rating(&[plain]), Some(HeadRating::NotCompleted));
    // Hải Phòng rates heads on index and rank only: no assigned items.
    assert!(standing::items_set(&profile("hai-phong-2025")).is_none());
}

#[test]
fn units_without_an_index_are_not_ranked_and_the_others_rank_among_themselves() {
    let hp = profile("hai-phong-2025");
    let f = |a: &str, s: &str| figures(&hp, &components(a, s)).unwrap();
    let (high, low) = (f("65", "28"), f("60", "20"));
    let units = [
        Standing {
            unit: "A",
            block: "so",
            figures: Some(&low),
            items: &[],
        },
        Standing {
            unit: "B",
            block: "so",
            figures: None,
            items: &[],
        },
        Standing {
            unit: "C",
            block: "so",
            figures: Some(&high),
            items: &[],
        },
    ];
    let out = rank_and_rate(&hp, &units);
    assert_eq!(out[0].0.map(|r| (r.rank, r.of)), Some((2, 2)));
    assert_eq!(out[1].0, None);
    assert_eq!(out[2].0.map(|r| (r.rank, r.of)), Some((1, 2)));
}

#[test]
fn every_profile_names_the_readings_it_relies_on() {
    use crate::profile::Basis;
    let nh = profile("ninh-hoa-2021");
    let r = nh.readings();
    let find = |key: &str| {
        r.iter()
            .find(|x| x.setting == key)
            .unwrap_or_else(|| panic!("{key}"))
    };
    // Art. 7.5 read as written: the whole dossier, calendar days, only the
    // official deadline moves off holidays.
    assert_eq!(find("appraisal.late.too_late").value, "whole_dossier");
    assert_eq!(find("appraisal.late.too_late").basis, Basis::Literal);
    assert_eq!(find("appraisal.late.count").basis, Basis::Literal);
    assert_eq!(find("appraisal.late.grace_end_moves").value, "false");
    assert_eq!(find("council.no_dossier").basis, Basis::ProvinceChoice);
    // Ninh Hòa art. 4.2 states the rounding ("số thập phân được làm tròn 2
    // chữ số"); Sơn La's Đề án does not, so there it is the province's choice.
    assert_eq!(find("points.decimals").basis, Basis::Literal);
    assert_eq!(find("ranking.tie_break").basis, Basis::ProvinceChoice);
    // No late rule in Sơn La: nothing about it is listed.
    let sl = profile("son-la-2021");
    let sl_decimals = sl
        .readings()
        .into_iter()
        .find(|x| x.setting == "points.decimals")
        .unwrap();
    assert_eq!(sl_decimals.basis, Basis::ProvinceChoice);
    assert!(sl
        .readings()
        .iter()
        .all(|x| !x.setting.starts_with("appraisal.late")));
    assert!(sl
        .readings()
        .iter()
        .any(|x| x.setting == "survey.below_minimum"));
    let tb = profile("thai-binh-2021");
    assert!(tb
        .readings()
        .iter()
        .any(|x| x.setting == "head_rating.without_assigned"));
    // The other reading is named as such.
    let mut other = nh.clone();
    other.appraisal.late.as_mut().unwrap().too_late =
        crate::profile::TooLateScores::DossierCriterion;
    let r = other.readings();
    let t = r
        .iter()
        .find(|x| x.setting == "appraisal.late.too_late")
        .unwrap();
    assert_eq!(
        (t.value.as_str(), t.basis),
        ("dossier_criterion", Basis::OtherReading)
    );
}

#[test]
fn assigned_items_read_the_framework_that_scored_them() {
    // Thái Bình art. 17.1.a: "đạt điểm tối đa hoặc tăng liên tiếp"; art. 14:
    // "bị giảm so với số liệu công bố của năm trước liền kề". The maximum is
    // the one of the framework that scored the item that year (the file's
    // maxima row), and a year scored out of another maximum is compared as
    // the same share of this year's.
    use super::standing::{assigned_item_in_frameworks, comparable, YearScore};
    let tb = profile("thai-binh-2021");
    let y = |points: &str, max: Option<&str>| YearScore {
        points: p(points),
        max: max.map(p),
    };
    // 7 of 7 after 7.5 of 8: 93.75 % → 6.56 of 7, a rise, not a fall.
    let years = [y("7", Some("7")), y("7.5", Some("8"))];
    assert_eq!(comparable(&years, 2), vec![p("7"), p("6.56")]);
    let item = assigned_item_in_frameworks(&tb, "2", &years, Cause::Unknown);
    assert_eq!(
        item.max,
        p("7"),
        "this year's framework, not the profile's tree (8)"
    );
    assert_eq!(item.history, vec![p("7"), p("6.56")]);
    // Without maxima the published points compare as they are, against the tree.
    let plain =
        assigned_item_in_frameworks(&tb, "2", &[y("7", None), y("7.5", None)], Cause::Unknown);
    assert_eq!(plain.max, p("8"));
    assert_eq!(plain.history, vec![p("7"), p("7.5")]);
    // Same maxima: nothing rescaled.
    let same = [y("6", Some("8")), y("7", Some("8"))];
    assert_eq!(comparable(&same, 2), vec![p("6"), p("7")]);
}
