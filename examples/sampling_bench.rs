//! Times the sampling pipeline on a synthetic province: a frame of
//! 1,000,000 people over 300 units × 4 respondent groups, citizens and
//! businesses stratified by 4 procedure fields. Prints the time of each
//! step (CSV parse, strata counts, plans, draw); asserts nothing about time.
//!
//! cargo run --release --example sampling_bench [-- ROWS]

use std::collections::BTreeMap;
use std::time::Instant;

use chiso::domain::sampling::frame_csv::FrameReader;
use chiso::domain::sampling::{
    draw, plan_unit_group, DrawSeed, SamplingRules, StrataCounts, StratumInput,
};

const RULES: &str = r#"
[citizen]
rule = "cochran"
margin = 0.05
response_rate = 0.6
min_per_unit = 30
min_per_stratum = 2
reserve_share = 0.2
strata = ["linh_vuc"]

[business]
rule = "yamane"
margin = 0.1
response_rate = 0.5
allocation = "equal"
reserve_share = 0.2
strata = ["linh_vuc"]

[civil_servant]
rule = "quota"
quota = { xa = 20, phuong = 25, so = 30 }
response_rate = 0.8

[leader]
rule = "quota"
quota = { xa = 5, phuong = 5, so = 5 }
response_rate = 0.9
"#;

const FIELDS: [&str; 4] = ["Đất đai", "Hộ tịch", "Đầu tư", "Xây dựng"];
const GROUPS: [&str; 4] = ["citizen", "business", "civil_servant", "leader"];

fn unit_type(i: usize) -> &'static str {
    match i % 10 {
        0 => "so",
        1..=3 => "phuong",
        _ => "xa",
    }
}

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let rules: SamplingRules = toml::from_str(RULES).expect("rules");

    // A deterministic synthetic frame; units differ in size, groups are
    // 70 / 15 / 10 / 5 % of people.
    let t = Instant::now();
    let mut csv = String::with_capacity(rows * 70);
    csv.push_str("person_key,unit,group,email,linh_vuc\n");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let unit = ((x >> 8) % 300) as usize * ((x >> 40) % 2 + 1) as usize / 2;
        let g = match x % 100 {
            0..=69 => 0,
            70..=84 => 1,
            85..=94 => 2,
            _ => 3,
        };
        let field = FIELDS[((x >> 20) % 4) as usize];
        csv.push_str(&format!(
            "HS{i:08},U{unit:03},{},p{i}@example.vn,{field}\n",
            GROUPS[g]
        ));
    }
    println!(
        "frame of {rows} rows, {} MB of CSV, generated in {:?}",
        csv.len() >> 20,
        t.elapsed()
    );

    let t = Instant::now();
    let frame: Vec<_> = FrameReader::new(csv.as_bytes())
        .expect("header")
        .map(|r| r.expect("row"))
        .collect();
    println!(
        "parse CSV (streaming reader):   {:>8.3} s",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let mut counts = StrataCounts::default();
    let mut strata_of = Vec::with_capacity(frame.len());
    for row in &frame {
        strata_of.push(counts.add(&rules, row).expect("stratum"));
    }
    println!(
        "count strata:                   {:>8.3} s  ({} unit × group, {} strata)",
        t.elapsed().as_secs_f64(),
        counts.strata.len(),
        counts.strata.values().map(BTreeMap::len).sum::<usize>()
    );

    let t = Instant::now();
    let mut plans = Vec::new();
    for ((unit, group), strata) in &counts.strata {
        let idx: usize = unit.as_str()[1..].parse().expect("unit index");
        let inputs = strata
            .iter()
            .map(|(id, &n)| StratumInput {
                id: id.clone(),
                population: n,
                std_dev: None,
            })
            .collect();
        let plan = plan_unit_group(&rules[group], unit_type(idx), inputs).expect("plan");
        plans.extend(plan.strata);
    }
    let sample: u64 = plans.iter().map(|p| p.sample).sum();
    let reserves: u64 = plans.iter().map(|p| p.reserves).sum();
    println!(
        "plan:                           {:>8.3} s  ({sample} sampled, {reserves} reserves)",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let seed = DrawSeed::parse("bench-2025").expect("seed");
    let pairs = frame
        .iter()
        .zip(strata_of)
        .filter_map(|(row, s)| Some((s?, row.person.clone())));
    let drawn = draw(&seed, &plans, pairs).expect("draw");
    println!(
        "draw (incl. grouping the frame): {:>7.3} s  ({} drawn)",
        t.elapsed().as_secs_f64(),
        drawn.len()
    );
}
