//! Times the survey component on a synthetic province: 300 units, each with
//! 2 to 5 strata, and (by default) 1,000,000 citizen responses to the
//! 22-item questionnaire `questionnaires/citizen.toml`, about 3 % of them
//! from open links. Responses are generated one at a time and streamed into
//! the tallies (never held), as rows would come from the database. The five
//! SIPAS criteria carry 6 points each here, so one group's answers make a
//! complete 30-point component. Prints figures; asserts nothing about time.
//!
//! cargo run --release --example survey_bench [-- RESPONSES]

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use chiso::domain::points::Points;
use chiso::domain::profile::{
    BelowMinimum, CriteriaSet, Criterion, Kind, OpenLinks, Source, SurveyRules,
};
use chiso::domain::questionnaire::{parse_questionnaire, QuestionKind, RespondentGroup};
use chiso::domain::survey::{
    unit_survey, GroupInput, Origin, RespondentScores, Scorer, StratumFrame, Tallies, Tally,
};

const UNITS: usize = 300;
const OPEN_SHARE: f64 = 0.03;
const LEVELS: [&str; 5] = ["1", "2", "3", "4", "5"];

/// The province: per unit its strata (id, N_h, share of the unit's
/// responses) and a satisfaction level.
struct Province {
    units: Vec<Unit>,
}

struct Unit {
    strata: Vec<(String, u64, f64)>,
    satisfaction: f64,
}

fn province(seed: u64) -> Province {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let units = (0..UNITS)
        .map(|u| {
            let k = rng.random_range(2..=5);
            let mut weights: Vec<f64> = (0..k).map(|_| rng.random_range(1.0..4.0)).collect();
            let total: f64 = weights.iter().sum();
            weights.iter_mut().for_each(|w| *w /= total);
            Unit {
                strata: (0..k)
                    .map(|h| {
                        (
                            format!("U{u:03}\u{1f}citizen\u{1f}linh_vuc\u{1f}{h}"),
                            rng.random_range(20_000..200_000),
                            weights[h],
                        )
                    })
                    .collect(),
                satisfaction: rng.random_range(0.5..0.95),
            }
        })
        .collect();
    Province { units }
}

/// One generated response: unit, stratum (None: open link), answer rows.
struct Response<'a> {
    unit: usize,
    stratum: Option<usize>,
    answers: Vec<(&'a str, &'a str)>,
}

/// Streams `n` responses through `f`, reusing one buffer: memory does not
/// grow with `n`.
fn stream<'q>(
    province: &Province,
    questions: &[(&'q str, Vec<&'q str>)],
    n: usize,
    seed: u64,
    mut f: impl FnMut(&Response<'q>),
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut r = Response {
        unit: 0,
        stratum: None,
        answers: Vec::with_capacity(questions.len()),
    };
    for _ in 0..n {
        r.unit = rng.random_range(0..UNITS);
        let unit = &province.units[r.unit];
        r.stratum = if rng.random_bool(OPEN_SHARE) {
            None
        } else {
            let x: f64 = rng.random();
            let mut acc = 0.0;
            let mut h = unit.strata.len() - 1;
            for (i, s) in unit.strata.iter().enumerate() {
                acc += s.2;
                if x < acc {
                    h = i;
                    break;
                }
            }
            Some(h)
        };
        r.answers.clear();
        for (code, values) in questions {
            // 3 % of items skipped: criteria domains differ per respondent.
            if rng.random_bool(0.03) {
                continue;
            }
            let value = if values.is_empty() {
                if rng.random_bool(unit.satisfaction) {
                    LEVELS[rng.random_range(3..5)]
                } else {
                    LEVELS[rng.random_range(0..3)]
                }
            } else {
                values[rng.random_range(0..values.len())]
            };
            r.answers.push((code, value));
        }
        f(&r);
    }
}

fn criteria_set(codes: &[String]) -> CriteriaSet {
    CriteriaSet {
        code: "bench".into(),
        name: "Bộ tiêu chí thử".into(),
        unit_types: vec!["so".into()],
        appendix: None,
        nodes: codes
            .iter()
            .map(|code| Criterion {
                code: code.clone(),
                name: code.clone(),
                label: None,
                max: Points::from_int(6),
                kind: Kind::Regular,
                department: None,
                source: Some(Source::Survey {
                    weights: vec![(RespondentGroup::Citizen, 1.0)],
                }),
                dossier: false,
                encouragement: false,
                parent: None,
                children: vec![],
                depth: 2,
                line: 1,
            })
            .collect(),
        line: 1,
    }
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/questionnaires/citizen.toml");
    let source = std::fs::read_to_string(path).expect("citizen.toml");
    let q = parse_questionnaire(&source).expect("questionnaire");
    let scorer = Scorer::new(&q).expect("scorer");
    // Every question's possible stored values (likert: empty = levels), so
    // the stream carries unscored rows too, as the answers table does.
    let questions: Vec<(&str, Vec<&str>)> = q
        .questions()
        .filter_map(|qu| match &qu.kind {
            QuestionKind::Likert { .. } => Some((qu.code.as_str(), vec![])),
            QuestionKind::Single { options } => Some((
                qu.code.as_str(),
                options.iter().map(|o| o.code.as_str()).collect(),
            )),
            QuestionKind::Text { .. } => Some((qu.code.as_str(), vec!["Cần thêm chỗ ngồi chờ"])),
            _ => None,
        })
        .collect();
    let scored = q.questions().filter(|qu| qu.criterion.is_some()).count();
    let prov = province(2025);
    let strata: usize = prov.units.iter().map(|u| u.strata.len()).sum();
    println!(
        "{n} responses, {UNITS} units, {strata} strata, {} answer rows per response ({scored} scored, {} criteria)",
        questions.len(),
        scorer.criteria().len()
    );

    // (0) The generator alone, to subtract from the streaming figure.
    let t = Instant::now();
    let mut rows = 0usize;
    stream(&prov, &questions, n, 7, |r| rows += r.answers.len());
    let generate = t.elapsed().as_secs_f64();
    println!("generate responses only:           {generate:>8.3} s  ({rows} answer rows)");

    // (a) Full recomputation: score each response, add it to its tally.
    let t = Instant::now();
    let mut tallies = Tallies::new();
    let mut scores = scorer.blank();
    let (group, criteria) = (scorer.group(), scorer.criteria());
    stream(&prov, &questions, n, 7, |r| {
        scores.clear();
        for (code, value) in &r.answers {
            scorer.record(&mut scores, code, value);
        }
        let origin = match r.stratum {
            Some(h) => Origin::Sample(&prov.units[r.unit].strata[h].0),
            None => Origin::Open,
        };
        tallies
            .add(r.unit as i64, group, criteria, origin, &scores)
            .expect("add");
    });
    let full = t.elapsed().as_secs_f64();
    println!(
        "(a) build all tallies (streamed):   {full:>8.3} s  (scoring + tallies alone ≈ {:.3} s)",
        full - generate
    );

    // (b) The live read: every unit's criteria, component, SE and interval.
    let frames: Vec<Vec<StratumFrame>> = prov
        .units
        .iter()
        .enumerate()
        .map(|(u, unit)| {
            let t = tallies.get(u as i64, group);
            unit.strata
                .iter()
                .map(|(id, population, _)| {
                    let r = t
                        .and_then(|t| t.strata.get(id))
                        .map_or(0, Tally::respondents);
                    StratumFrame {
                        stratum: id.clone(),
                        population: *population,
                        invited: (r as f64 / 0.6).ceil() as u64,
                    }
                })
                .collect()
        })
        .collect();
    let set = criteria_set(criteria);
    let rules = SurveyRules {
        open_links: OpenLinks::Exclude,
        below_minimum: BelowMinimum::Withhold,
        min_valid: vec![(RespondentGroup::Citizen, 30)],
        scales: Default::default(),
        anonymity_k: 5,
    };
    let t = Instant::now();
    let results: Vec<_> = (0..UNITS)
        .map(|u| {
            let input =
                GroupInput::from_tallies(group, criteria, &frames[u], tallies.get(u as i64, group))
                    .expect("input");
            unit_survey(&rules, &set, 2, &[input]).expect("unit")
        })
        .collect();
    let read = t.elapsed().as_secs_f64();
    let with_se = results.iter().filter(|r| r.component.se.is_some()).count();
    println!(
        "(b) all units' scores with SEs:     {read:>8.3} s  ({with_se} of {UNITS} with an SE)"
    );
    println!("full recomputation (a) + (b):      {:>8.3} s", full + read);
    let first = &results[0].component;
    println!(
        "unit 0: component {} ± {:.3} (95 % CI {:.2}–{:.2}) of {}",
        first.published.expect("scored").fixed(2),
        first.se.unwrap_or(f64::NAN),
        first.ci.map_or(f64::NAN, |c| c.low),
        first.ci.map_or(f64::NAN, |c| c.high),
        first.max
    );

    // One live update as the service would do it: read the stored row,
    // add the response, write the row back (JSON), then re-read the unit.
    let updates = 100_000.min(n);
    let mut stored: Vec<String> = Vec::new();
    for u in 0..10 {
        let t = tallies.get(u, group).expect("tally");
        stored
            .push(serde_json::to_string(t.strata.values().next().expect("stratum")).expect("json"));
    }
    let one = RespondentScores::clone(&scores);
    let t = Instant::now();
    for i in 0..updates {
        let slot = i % stored.len();
        let mut tally: Tally = serde_json::from_str(&stored[slot]).expect("row");
        tally.add(&one).expect("add");
        stored[slot] = serde_json::to_string(&tally).expect("json");
    }
    let per = t.elapsed().as_secs_f64() / updates as f64;
    println!(
        "live update of one tally row (JSON read, add, JSON write): {:.2} µs; row is {} bytes",
        per * 1e6,
        stored[0].len()
    );
    match peak_rss_mb() {
        Some(mb) => println!("peak resident memory:               {mb:>8.1} MB"),
        None => println!("peak resident memory: not available on this system"),
    }
}
