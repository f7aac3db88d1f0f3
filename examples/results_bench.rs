//! Times the survey component read from a real database: a synthetic
//! province of 300 units whose citizens were sampled from a frame and
//! (by default) 1,000,000 of them answered the citizen questionnaire.
//!
//! Two phases, each its own process so that peak memory is the phase's own:
//!
//! ```sh
//! cargo run --release --example results_bench -- build sqlite:///tmp/b/chiso.db [RESPONSES]
//! cargo run --release --example results_bench -- time  sqlite:///tmp/b/chiso.db
//! ```
//!
//! `build` imports the units and a frame, draws the sample through the
//! service, then bulk-inserts one response per sampled person straight into
//! the `responses` and `answers` tables (the form would take hours) and builds
//! the running sums once. `time` measures what a results page does (every
//! unit's criteria, component, SEs and intervals from the running sums) and a
//! full recomputation from the stored answers. Prints figures; asserts
//! nothing about time. `bench/results.sh` runs both for two sizes.

use chiso::domain::ids::UnitId;
use std::path::Path;
use std::time::Instant;

use diesel::connection::Connection;
use diesel::RunQueryDsl;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use chiso::domain::questionnaire::{QuestionKind, RespondentGroup};
use chiso::domain::sampling::GroupRule;
use chiso::service::{self, results, sampling, App};
use chiso::storage::{campaigns, draws};

const UNITS: usize = 300;
const FIELDS: [&str; 3] = ["Đất đai", "Hộ tịch", "Đăng ký kinh doanh"];
const LEVELS: [&str; 5] = ["1", "2", "3", "4", "5"];
const PROFILE: &str = "hai-phong-2025";

fn repo(p: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// Peak resident memory, and the heap part of the current one: SQLite maps
/// the database file (`mmap_size`), and mapped file pages count in the
/// resident set without being memory the process allocated.
fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    };
    (field("VmHWM:"), field("RssAnon:"))
}

fn connect(url: &str) -> App {
    let app = App::connect(url, 4).expect("connect");
    app.migrate().expect("migrate");
    app.set_secret(service::secret::Secret::from_bytes([3; 32]));
    app
}

/// (code, block, unit type) of unit `i`: 20 sở, 100 phường, 180 xã.
fn unit(i: usize) -> (String, &'static str, &'static str) {
    match i {
        0..20 => (format!("S{i:03}"), "so", "so"),
        20..120 => (format!("P{i:03}"), "phuong", "phuong"),
        _ => (format!("X{i:03}"), "xa_dac_khu", "xa"),
    }
}

fn build(url: &str, responses: usize) {
    let app = connect(url);
    let t = Instant::now();
    let mut units = String::from("code,name,block,unit_type\n");
    for i in 0..UNITS {
        let (code, block, kind) = unit(i);
        units.push_str(&format!("{code},Đơn vị {code},{block},{kind}\n"));
    }
    service::units::import(&app, units.as_bytes(), "units.csv").expect("units");
    let profile =
        service::profiles::find(&repo("questionnaires/profiles"), PROFILE).expect("profile");
    let files = service::questionnaires::load(&[repo("questionnaires")]).expect("questionnaires");
    let today = chrono::Utc::now().date_naive();
    let c = service::campaigns::open(
        &app,
        &files,
        &service::campaigns::OpenCampaign {
            year: 2026,
            name: "Đo tốc độ".into(),
            opens: today - chrono::Duration::days(1),
            closes: today + chrono::Duration::days(30),
            codes: vec!["citizen".into()],
            anonymous: false,
            profile: Some(profile),
        },
    )
    .expect("campaign");

    // Everyone sampled answers: a quota of ⌈R / 300⌉ per unit from a frame
    // 20 % larger, in three strata by field.
    let quota = responses.div_ceil(UNITS);
    let rule: GroupRule = toml::from_str(&format!(
        "rule = \"quota\"\nquota = {{ so = {quota}, phuong = {quota}, xa = {quota}, dac_khu = {quota} }}\n\
         response_rate = 1.0\nallocation = \"proportional\"\nstrata = [\"linh_vuc\"]\n"
    ))
    .expect("rule");
    sampling::set_rule(&app, c, RespondentGroup::Citizen, Some(&rule)).expect("rule");
    for g in ["business", "civil_servant", "leader"] {
        sampling::set_rule(&app, c, RespondentGroup::parse(g).unwrap(), None).expect("rule");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let frame = dir.path().join("frame.csv");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&frame).unwrap());
        writeln!(w, "person_key,unit,group,email,linh_vuc").unwrap();
        let per_unit = quota + quota / 5;
        let mut n = 0;
        for i in 0..UNITS {
            let (code, ..) = unit(i);
            for k in 0..per_unit {
                n += 1;
                let field = FIELDS[k % 3];
                writeln!(w, "K{n:08},{code},citizen,n{n}@vi-du.vn,{field}").unwrap();
            }
        }
    }
    sampling::import_frame(&app, c, &frame, "frame.csv").expect("frame");
    sampling::draw(&app, c, Some("đo tốc độ")).expect("draw");
    println!("units, frame, draw: {:.1} s", t.elapsed().as_secs_f64());

    // The citizen questionnaire's stored rows, as in examples/survey_bench.rs.
    let version = campaigns::questionnaires(
        &mut chiso::storage::connect(app.database_url()).unwrap(),
        c.get(),
    )
    .unwrap()[0]
        .version_id;
    let q = app.questionnaire_version(version).unwrap();
    let layout = chiso::domain::survey::packed::PackedLayout::of(&q);
    let questions: Vec<(String, Vec<String>)> = q
        .questions()
        .filter_map(|qu| match &qu.kind {
            QuestionKind::Likert { .. } => Some((qu.code.clone(), vec![])),
            QuestionKind::Single { options } => Some((
                qu.code.clone(),
                options.iter().map(|o| o.code.clone()).collect(),
            )),
            QuestionKind::Text { .. } => {
                Some((qu.code.clone(), vec!["Cần thêm chỗ ngồi chờ".into()]))
            }
            _ => None,
        })
        .collect();
    let d = draws::of_campaign(
        &mut chiso::storage::connect(app.database_url()).unwrap(),
        c.get(),
    )
    .unwrap()
    .unwrap();
    let members: Vec<(i64, String)> = draws::member_states(
        &mut chiso::storage::connect(app.database_url()).unwrap(),
        d.id,
    )
    .unwrap()
    .into_iter()
    .filter(|m| m.reserve_rank.is_none())
    .map(|m| (m.unit_id, m.stratum))
    .take(responses)
    .collect();
    let t = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let satisfaction: Vec<f64> = (0..=UNITS + 1)
        .map(|_| rng.random_range(0.5..0.95))
        .collect();
    let mut rows = 0usize;
    let mut writer = chiso::storage::connect(app.database_url()).unwrap();
    for (b, batch) in members.chunks(2000).enumerate() {
        let mut resp = String::from(
            "INSERT INTO responses (id, campaign_id, questionnaire_version_id, unit_id, respondent_id, source, submitted_at, stratum, packed) VALUES ",
        );
        let mut ans = String::from(
            "INSERT INTO answers (response_id, rated_unit_id, question_code, value) VALUES ",
        );
        let mut first = true;
        for (k, (unit, stratum)) in batch.iter().enumerate() {
            let id = (b * 2000 + k + 1) as i64;
            let p = satisfaction[(*unit as usize) % satisfaction.len()];
            let mut given = chiso::domain::answers::Answers::new();
            for (code, values) in &questions {
                if rng.random_bool(0.03) {
                    continue;
                }
                let value = if values.is_empty() {
                    if rng.random_bool(p) {
                        LEVELS[rng.random_range(3..5)]
                    } else {
                        LEVELS[rng.random_range(0..3)]
                    }
                } else {
                    values[rng.random_range(0..values.len())].as_str()
                };
                if !first {
                    ans.push(',');
                }
                first = false;
                ans.push_str(&format!("({id},{unit},'{code}','{value}')"));
                given.insert((*unit, code.clone()), value.to_string());
                rows += 1;
            }
            // As a submission stores it: the scored answers packed beside
            // the answer rows (survey::packed).
            let packed = layout.pack(&given).expect("packable");
            if k > 0 {
                resp.push(',');
            }
            resp.push_str(&format!(
                "({id},{c},{version},{unit},NULL,'sample','2026-11-20 00:00:00','{stratum}','{packed}')"
            ));
        }
        writer
            .transaction::<_, diesel::result::Error, _>(|conn| {
                diesel::sql_query(&resp).execute(conn)?;
                diesel::sql_query(&ans).execute(conn)?;
                Ok(())
            })
            .expect("insert");
    }
    if url.starts_with("postgres") {
        diesel::sql_query("SELECT setval('responses_id_seq', (SELECT MAX(id) FROM responses))")
            .execute(&mut writer)
            .expect("sequence");
        diesel::sql_query("ANALYZE")
            .execute(&mut writer)
            .expect("analyze");
    }
    drop(writer);
    println!(
        "inserted {} responses, {rows} answer rows: {:.1} s",
        members.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let r = results::recompute(&app, c).expect("recompute");
    println!(
        "running sums built: {} rows in {:.1} s",
        r.tallies,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let entries = dossiers(&app, c);
    println!(
        "submitted dossiers: {UNITS} units, {entries} self-scores in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

/// Every unit's dossier, submitted, with a self-score (three quarters of
/// the maximum) and an explanation for each self-assessed criterion, so the
/// index table reads what a real year's table reads.
fn dossiers(app: &App, c: chiso::domain::ids::CampaignId) -> usize {
    use chiso::storage::{dossiers as store, users};
    let profile = app.campaign_profile(c).expect("profile");
    let now = chiso::service::now();
    let mut conn = chiso::storage::connect(app.database_url()).unwrap();
    let user = users::NewUser {
        username: "bench-officer",
        display_name: "Cán bộ đo",
        role: "admin",
        unit_id: None,
        password_hash: "-",
    };
    users::insert(&mut conn, &user, now).expect("user");
    let by = users::by_username(&mut conn, "bench-officer")
        .unwrap()
        .unwrap()
        .id;
    let units = chiso::storage::units::list(&mut conn).unwrap();
    let evidence = store::EvidenceCols::default();
    let mut entries = 0;
    conn.transaction::<_, chiso::storage::StorageError, _>(|conn| {
        for u in &units {
            let Some(set) = profile.criteria_set_for(&u.unit_type) else {
                continue;
            };
            let d = store::get_or_create(conn, c.get(), u.id, now)?;
            for leaf in set.leaves().filter(|l| !l.is_survey()) {
                store::put_self_score(
                    conn,
                    &store::SelfScoreWrite {
                        dossier_id: d.id,
                        criterion: &leaf.code,
                        points_micro: leaf.max.micro() / 4 * 3,
                        explanation: "Đã thực hiện đầy đủ theo kế hoạch.",
                        evidence: &evidence,
                        by,
                        now,
                    },
                )?;
                entries += 1;
            }
            store::mark_submitted(conn, d.id, now)?;
        }
        Ok(())
    })
    .expect("dossiers");
    entries
}

fn time(url: &str) {
    let app = connect(url);
    let c = service::campaigns::summaries(&app).expect("campaigns")[0].id;
    let responses = chiso::storage::responses::per_stratum(
        &mut chiso::storage::connect(app.database_url()).unwrap(),
        c.get(),
    )
    .unwrap()
    .iter()
    .map(|(_, n)| n)
    .sum::<i64>();

    // What a results page does: every unit from the running sums.
    let mut live = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        let r = results::campaign_results(&app, c).expect("results");
        live.push(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    let r = last.unwrap();
    let with_se = r
        .units
        .iter()
        .filter_map(|u| u.survey.as_ref())
        .flat_map(|s| s.criteria.iter())
        .filter(|c| c.se.is_some())
        .count();
    let scored_units = r
        .units
        .iter()
        .filter(|u| {
            u.survey
                .as_ref()
                .is_some_and(|s| s.criteria.iter().any(|c| c.se.is_some()))
        })
        .count();
    let t = Instant::now();
    let one = results::unit_result(&app, c, UnitId(r.units[0].unit_id)).expect("unit");
    let unit_page = t.elapsed().as_secs_f64();
    drop(one);

    // The index table (what the index and publication pages show): every
    // unit's appraisal with the survey component merged, bands, ranks.
    let mut index = f64::INFINITY;
    let mut index_rows = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let table = chiso::service::publication::table(&app, c, chiso::service::now())
            .expect("index table");
        index = index.min(t.elapsed().as_secs_f64());
        index_rows = table.rows.len();
    }

    // A full recomputation: read every stored answer, score, tally.
    let t = Instant::now();
    let fresh = results::recomputed(&app, c).expect("recomputed");
    let read_and_score = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let report = results::recompute(&app, c).expect("recompute");
    let whole = t.elapsed().as_secs_f64();
    let t = Instant::now();
    results::campaign_results(&app, c).expect("results");
    let after = t.elapsed().as_secs_f64();

    println!("{responses} responses, {} units ({scored_units} with estimates), {with_se} criterion estimates with SE", r.units.len());
    println!(
        "live: all units from the running sums:   {:.3} s (runs: {})",
        live.iter().cloned().fold(f64::INFINITY, f64::min),
        live.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("live: one unit's page figures:          {unit_page:.4} s");
    println!("index table, {index_rows} units:             {index:.3} s (best of 3; every unit's dossier submitted)");
    println!(
        "recompute: read + score + tally answers: {read_and_score:.2} s ({} tallies)",
        fresh.len()
    );
    println!(
        "recompute: the same and rewrite the sums: {whole:.2} s, {} differed",
        report.differed
    );
    println!(
        "recompute + all units' figures:          {:.2} s",
        whole + after
    );
    let (peak, anon) = memory_mb();
    println!("peak RSS: {peak:.0} MB (with the mapped database file); anonymous memory now: {anon:.0} MB");

    // The analysts' microdata CSV of every response, streamed to nowhere
    // (the bytes are counted): time, and the heap before and after.
    let t = Instant::now();
    let md = service::export::microdata(&app, c, "citizen").expect("microdata");
    let mut bytes = CountingSink(0);
    let rows = chiso::report::export::write_csv(
        &mut bytes,
        &md.header,
        md.rows(&app).map(|r| r.map_err(|e| e.to_string())),
        &chiso::report::export::CsvOptions::default(),
    )
    .expect("csv");
    let export = t.elapsed().as_secs_f64();
    let (_, anon_after) = memory_mb();
    println!(
        "microdata CSV: {rows} rows, {:.0} MB in {export:.1} s; anonymous memory {anon:.0} → {anon_after:.0} MB",
        bytes.0 as f64 / 1e6
    );
    // One machine-readable line per figure (bench/all.sh collects them).
    let best = live.iter().cloned().fold(f64::INFINITY, f64::min);
    println!("figure live_all_units={:.2} ms", best * 1000.0);
    println!("figure live_one_unit={:.2} ms", unit_page * 1000.0);
    println!("figure index_table={:.1} ms", index * 1000.0);
    println!("figure recompute={whole:.3} s");
    println!("figure recompute_peak_rss={peak:.0} MB");
    println!("figure microdata_csv={export:.1} s");
    println!(
        "figure microdata_csv_heap_growth={:.0} MB",
        anon_after - anon
    );
}

/// A writer that keeps only the count of bytes.
struct CountingSink(u64);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("build") if args.len() >= 3 => build(
            &args[2],
            args.get(3)
                .and_then(|s| s.parse().ok())
                .unwrap_or(1_000_000),
        ),
        Some("time") if args.len() >= 3 => time(&args[2]),
        _ => {
            eprintln!("usage: results_bench build URL [RESPONSES] | results_bench time URL");
            std::process::exit(2);
        }
    }
}
