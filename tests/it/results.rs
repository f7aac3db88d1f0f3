//! The survey component: running sums kept with every response equal a full
//! recomputation, the estimates agree with the R-checked engine, and the
//! results reach pages and exports, on every backend.

use std::collections::BTreeMap;

use crate::support::*;
use chiso::domain::estimate::{self, DesignSpec};
use chiso::domain::questionnaire::RespondentGroup;
use chiso::service::{results, sampling};
use chiso::storage::draws;
use rand::{Rng, SeedableRng};

const UNITS: [&str; 2] = ["P-BINHMINH", "SNV"];
const FIELDS: [&str; 2] = ["Đất đai", "Hộ tịch"];

fn frame_csv() -> String {
    let mut s = String::from("person_key,unit,group,email,linh_vuc\n");
    let mut n = 0;
    for unit in UNITS {
        for i in 0..120 {
            n += 1;
            let field = FIELDS[i % 2];
            s.push_str(&format!("K{n:04},{unit},citizen,n{n}@vi-du.vn,{field}\n"));
        }
    }
    s
}

/// A profile campaign whose only sampled group is the citizens.
fn campaign(t: &TestApp, dir: &std::path::Path) -> i64 {
    campaign_with(t, dir, false)
}

fn campaign_with(t: &TestApp, dir: &std::path::Path, anonymous: bool) -> i64 {
    let c = open_profile_campaign(
        &t.app,
        &repo_path("questionnaires"),
        "hai-phong-2025",
        2026,
        "Kết quả khảo sát",
        anonymous,
    );
    let path = dir.join("khung.csv");
    std::fs::write(&path, frame_csv()).unwrap();
    sampling::import_frame(&t.app, c, &path, "khung.csv").unwrap();
    for g in ["business", "civil_servant", "leader"] {
        sampling::set_rule(&t.app, c, RespondentGroup::parse(g).unwrap(), None).unwrap();
    }
    sampling::draw(&t.app, c, Some("kết quả")).unwrap();
    c.get()
}

/// The people drawn into the sample (not the reserves) of one unit.
fn sampled_in(t: &TestApp, campaign: i64, unit: &str) -> Vec<draws::MemberRow> {
    let d = draws::of_campaign(&mut t.conn(), campaign)
        .unwrap()
        .unwrap();
    draws::members(&mut t.conn(), d.id)
        .unwrap()
        .into_iter()
        .filter(|m| m.reserve_rank.is_none() && m.stratum.starts_with(unit))
        .collect()
}

/// Answers every page of the citizen form with random levels.
async fn answer_randomly(t: &TestApp, token: &str, unit: i64, rng: &mut impl Rng) {
    let mut pages = citizen_pages(unit);
    for page in pages.iter_mut() {
        for (name, value) in page.iter_mut() {
            let is_likert = ["TC", "TT", "CC", "KQ", "GY"]
                .iter()
                .any(|p| name.rsplit('.').next().unwrap().starts_with(p));
            if is_likert {
                *value = rng.random_range(1..=5).to_string();
            }
            // "Không áp dụng" where the questionnaire offers it: the answer
            // leaves the item's denominator, in the running sums as in the
            // recomputation.
            let item = name.rsplit('.').next().unwrap();
            // (TC1 only of the waiting-room items, so every respondent stays
            // in 8.2.1's domain and the minimum of 30 holds.)
            let offers_na = ["TC1", "GY2", "GY3", "GY4"].contains(&item);
            if offers_na && rng.random_range(0..6) == 0 {
                *value = "na".into();
            }
        }
    }
    let last = pages.len() - 1;
    for (p, answers) in pages.iter().enumerate() {
        let nav = if p == last { "submit" } else { "next" };
        let r = post_page(t, token, p, nav, &format!("idem-{token}"), answers).await;
        assert!(r.status == 303 || r.status == 200, "page {p}: {}", r.body);
    }
}

per_backend!(async running_sums_equal_a_recomputation_and_the_estimates_match_the_engine);
async fn running_sums_equal_a_recomputation_and_the_estimates_match_the_engine(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let t = TestApp::spawn(backend).await;
    let c = campaign(&t, dir.path());
    let unit = unit_id(&t.app, "P-BINHMINH");
    let sampled = sampled_in(&t, c, "P-BINHMINH");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    // 45 of the sampled citizens answer, at random and all at once, so the
    // group commit adds several submissions about the unit to its tally in
    // one batch; then two people come through the open link.
    let answering = sampled.iter().take(45).enumerate().map(|(i, m)| {
        let token = t
            .app
            .secret()
            .unwrap()
            .invitation_token(c, m.frame_person_id);
        let t = &t;
        async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(100 + i as u64);
            answer_randomly(t, token.as_str(), unit, &mut rng).await;
        }
    });
    futures::future::join_all(answering).await;
    for _ in 0..2 {
        let r = t.start_open(c, "citizen", "P-BINHMINH", None).await;
        let token = r.location.unwrap().rsplit('/').next().unwrap().to_string();
        answer_randomly(&t, &token, unit, &mut rng).await;
    }
    let live = results::unit_result(&t.app, CampaignId(c), UnitId(unit)).unwrap();
    let live_json = serde_json::to_string(&live).unwrap();

    // A full recomputation from the stored answers finds nothing to change.
    let report = results::recompute(&t.app, CampaignId(c)).unwrap();
    assert_eq!(report.differed, 0, "{backend:?}");
    assert!(report.tallies >= 2, "a stratum per field and the open link");
    let again = results::unit_result(&t.app, CampaignId(c), UnitId(unit)).unwrap();
    assert_eq!(
        live_json,
        serde_json::to_string(&again).unwrap(),
        "{backend:?} to the bit"
    );
    // Issue 16: the recomputation reads each response's packed answers;
    // every submission stored them, and a response without them (stored
    // before they were kept) is read from its answer rows, to the same sums.
    let packed: Vec<Option<String>> = {
        use chiso::storage::schema::responses::dsl as r;
        use diesel::prelude::*;
        r::responses
            .filter(r::campaign_id.eq(c))
            .select(r::packed)
            .load(&mut t.conn())
            .unwrap()
    };
    assert_eq!(packed.len(), 47);
    assert!(packed
        .iter()
        .all(|p| p.as_deref().is_some_and(|p| !p.is_empty())));
    {
        use chiso::storage::schema::responses::dsl as r;
        use diesel::prelude::*;
        let cleared = diesel::update(
            r::responses
                .filter(r::campaign_id.eq(c))
                .filter(r::id.gt(20)),
        )
        .set(r::packed.eq(None::<String>))
        .execute(&mut t.conn())
        .unwrap();
        assert!(cleared > 10, "{cleared}");
    }
    let report = results::recompute(&t.app, CampaignId(c)).unwrap();
    assert_eq!(
        report.differed, 0,
        "{backend:?}: packed and unpacked together"
    );

    // The citizen criteria are scored; the other groups have not answered,
    // so their criteria (and the component) are withheld, never zero.
    let survey = live.survey.as_ref().expect("a survey result");
    let c821 = survey.criteria.iter().find(|c| c.code == "8.2.1").unwrap();
    let chiso::domain::index::SurveyScore::Scored { points, .. } = &c821.score else {
        panic!("8.2.1 scored: {:?}", c821.score)
    };
    assert!(c821.se.unwrap() > 0.0 && c821.ci.is_some());
    assert_eq!(
        serde_json::to_value(survey.component.status).unwrap(),
        "withheld"
    );

    // The same share by the R-checked engine from the stored answers:
    // respondent score = mean of the criterion's question scores, strata
    // of the draw with N_h as fpc and N_h / r_h as weight.
    let citizen = survey
        .groups
        .iter()
        .find(|g| g.group == RespondentGroup::Citizen)
        .unwrap();
    let estimate = citizen
        .criteria
        .iter()
        .find(|e| e.criterion == "8.2.1")
        .unwrap();
    let share = estimate.estimate.as_ref().unwrap();
    let q = chiso::service::questionnaires::load(&[repo_path("questionnaires")])
        .unwrap()
        .into_iter()
        .find(|f| f.questionnaire.code == "citizen")
        .unwrap()
        .questionnaire;
    let responses = chiso::storage::responses::list(&mut t.conn(), c).unwrap();
    let mut strata = Vec::new();
    let mut ys = Vec::new();
    for r in responses
        .iter()
        .filter(|r| r.source == chiso::domain::states::RespondentSource::Sample)
    {
        let a = chiso::storage::responses::answers_of(&mut t.conn(), r.id).unwrap();
        let scores: Vec<f64> = q
            .questions()
            .filter(|x| x.criterion.as_deref() == Some("8.2.1"))
            .filter_map(|x| x.score(a.get(&(unit, x.code.clone()))?))
            .collect();
        // A respondent's score is the mean of their valid answers ("không
        // áp dụng" is none), to the micro-unit, rounded half up.
        ys.push((!scores.is_empty()).then(|| {
            let mean = scores.iter().sum::<f64>() / scores.len() as f64;
            (mean * 1e6 + 0.5).floor() / 1e6
        }));
        strata.push(r.stratum.clone().unwrap());
    }
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &strata {
        *per.entry(s).or_default() += 1;
    }
    let population = |s: &str| {
        let plan = sampling::plan(&t.app, CampaignId(c)).unwrap();
        plan.rows
            .iter()
            .flat_map(|r| r.plan.strata.iter())
            .find(|p| p.id.as_str() == s)
            .unwrap()
            .population as f64
    };
    let fpc: Vec<f64> = strata.iter().map(|s| population(s)).collect();
    let weights: Vec<f64> = strata
        .iter()
        .map(|s| population(s) / per[s.as_str()] as f64)
        .collect();
    let spec = DesignSpec {
        strata: Some(&strata),
        fpc: Some(&fpc),
        weights: Some(&weights),
        ..DesignSpec::new(strata.len())
    };
    let design = estimate::Design::new(spec).unwrap();
    let e = estimate::mean(&design, &ys, None).unwrap();
    assert!(
        (e.value - share.share).abs() < 1e-9,
        "{} vs {}",
        e.value,
        share.share
    );
    assert!(
        (e.se() - share.se.unwrap()).abs() < 1e-9,
        "{} vs {:?}",
        e.se(),
        share.se
    );
    assert_eq!(
        citizen.open_respondents, 2,
        "open-link answers reported apart"
    );
    assert!(
        (points.to_f64() - 2.0 * share.share).abs() < 1e-6,
        "points = max × share"
    );

    // Published, the table keeps the estimate as computed: the frozen
    // points are the live ones to the last bit (one rounding, at the index),
    // not rounded to 6 places on the way to the database.
    let cell = |t: &chiso::service::publication::IndexTable| {
        t.rows
            .iter()
            .find(|r| r.code == "P-BINHMINH")
            .unwrap()
            .survey
            .iter()
            .find(|c| c.criterion == "8.2.1")
            .unwrap()
            .points
    };
    let live_table =
        chiso::service::publication::table(&t.app, CampaignId(c), chiso::service::now()).unwrap();
    assert_eq!(cell(&live_table), Some(*points));
    chiso::service::accounts::add_user(&t.app, "hd", "", "admin", None, TEST_PASSWORD).unwrap();
    let admin = chiso::service::accounts::staff_user(&t.app, "hd").unwrap();
    // While the dossier deadline runs, units may still submit: nothing is
    // published. The deadline is brought forward to let the table go.
    let blockers = chiso::service::publication::blockers(&live_table);
    assert!(
        blockers.iter().any(|b| b.contains("hạn nộp chưa hết")),
        "{blockers:?}"
    );
    dossier_deadline_passed(&t.app, CampaignId(c));
    council_decides_every_open_case(&t.app, "hd", CampaignId(c));
    chiso::service::publication::publish(
        &t.app,
        &admin,
        CampaignId(c),
        chiso::service::publication::CONFIRMATION,
    )
    .unwrap();
    let frozen =
        chiso::service::publication::table(&t.app, CampaignId(c), chiso::service::now()).unwrap();
    assert_eq!(frozen.survey_source, "published");
    assert_eq!(cell(&frozen), Some(*points), "{backend:?}");
    assert_ne!(
        points.round(6),
        *points,
        "an estimate with more than 6 places, so the test could fail"
    );
    t.stop().await;
}

per_backend!(async the_results_pages_and_the_estimates_export_show_every_unit_with_its_interval);
async fn the_results_pages_and_the_estimates_export_show_every_unit_with_its_interval(
    backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let t = TestApp::spawn(backend).await;
    let c = campaign(&t, dir.path());
    // A unit name that is markup must reach every page as text.
    let evil = "Phường <script>alert(1)</script> Bình Minh";
    chiso::service::units::import(
        &t.app,
        format!("code,name,block,unit_type\nP-BINHMINH,{evil},phuong,phuong\n").as_bytes(),
        "ten.csv",
    )
    .unwrap();
    let unit = unit_id(&t.app, "P-BINHMINH");
    let other = unit_id(&t.app, "SNV");
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    for m in sampled_in(&t, c, "P-BINHMINH").into_iter().take(30) {
        let token = t
            .app
            .secret()
            .unwrap()
            .invitation_token(c, m.frame_person_id);
        answer_randomly(&t, token.as_str(), unit, &mut rng).await;
    }
    let admin = t.staff("admin1", "admin", None).await;
    let officer = t
        .staff("officer1", "unit_officer", Some("P-BINHMINH"))
        .await;

    let page = t
        .staff_get(&admin, &format!("/staff/campaigns/{c}/results"))
        .await;
    assert_eq!(page.status, 200, "{backend:?} {}", page.body);
    assert!(page.body.contains("<svg"), "a chart per block");
    // Blocks by their names in the profile, not their codes.
    assert!(
        page.body.contains("<h2 id=\"b-1\">Khối phường</h2>")
            || page.body.contains(">Khối phường</h2>")
    );
    assert!(page.body.contains(">Khối sở, ban, ngành</h2>"));
    assert!(!page.body.contains("<script>alert(1)"), "{backend:?}");
    assert!(page.body.contains("&lt;script&gt;alert(1)"));
    assert!(
        page.body
            .contains(&format!("/staff/campaigns/{c}/results/{unit}")),
        "each unit links to its page"
    );
    let one = t
        .staff_get(&admin, &format!("/staff/campaigns/{c}/results?block=so"))
        .await;
    assert!(one.body.contains(">Khối sở, ban, ngành</h2>"));
    assert!(
        !one.body.contains(">Khối phường</h2>"),
        "only the block asked for"
    );

    // The role table proves who is refused on a campaign without results;
    // here they exist, and an analyst reads every page like the admin.
    t.assert_analysts_read_and_appraisers_not(&[
        format!("/staff/campaigns/{c}/results"),
        format!("/staff/campaigns/{c}/results/{unit}"),
        format!("/staff/campaigns/{c}/results/{other}"),
        format!("/staff/campaigns/{c}/export/estimates"),
    ])
    .await;

    // The unit page: each criterion with its points and interval.
    let path = format!("/staff/campaigns/{c}/results/{unit}");
    let page = t.staff_get(&officer, &path).await;
    assert_eq!(
        page.status, 200,
        "{backend:?} the officer sees their own unit"
    );
    // Issue 17: a criterion with its name, never a bare code.
    assert!(
        page.body
            .contains("<code>8.2.1</code> Tiếp cận dịch vụ hành chính công"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<svg"));
    assert!(page.body.contains("Khoảng tin cậy 95 %"));
    // How answers became points, and the split among groups, are the
    // province's choices (no seed states them): the page says so.
    let words = page.words();
    assert!(
        words.contains("Quy đổi các mức trả lời thành điểm, từ mức thấp nhất: 0; 0; 0; 1; 1 — văn bản không quy định; lựa chọn của địa phương ( survey.scales = hai_long)"),
        "{words}"
    );
    assert!(
        words.contains("Điểm điều tra xã hội học chia theo nhóm đối tượng"),
        "{words}"
    );
    assert!(!page.body.contains("<script>alert(1)"));
    assert_eq!(
        t.staff_get(&officer, &format!("/staff/campaigns/{c}/results/{other}"))
            .await
            .status,
        404,
        "another unit's results look absent"
    );

    // The estimates: the same numbers as the service, with the flags.
    let csv = t
        .staff_get(&admin, &format!("/staff/campaigns/{c}/export/estimates"))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with('\u{feff}'), "a BOM for Excel");
    let mut reader = csv::Reader::from_reader(csv.body.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let live = results::unit_result(&t.app, CampaignId(c), UnitId(unit)).unwrap();
    let s = live.survey.as_ref().unwrap();
    let c821 = s.criteria.iter().find(|x| x.code == "8.2.1").unwrap();
    let row = rows
        .iter()
        .find(|r| {
            &r[col("unit")] == "P-BINHMINH"
                && &r[col("level")] == "criterion"
                && &r[col("criterion")] == "8.2.1"
        })
        .expect("a criterion row");
    assert_eq!(&row[col("unit_name")], evil, "the name as text");
    assert_eq!(
        (&row[col("block")], &row[col("block_name")]),
        ("phuong", "Khối phường"),
        "the block's code and its name beside it"
    );
    let se: f64 = row[col("se")]
        .parse()
        .unwrap_or_else(|_| panic!("{row:?} {headers:?}"));
    assert!(
        (se - c821.se.unwrap()).abs() < 1e-12,
        "{se} vs {:?}",
        c821.se
    );
    let component = rows
        .iter()
        .find(|r| &r[col("unit")] == "P-BINHMINH" && &r[col("level")] == "component")
        .unwrap();
    assert_eq!(
        &component[col("status")],
        "withheld",
        "other groups have not answered"
    );
    assert!(
        rows.iter().any(|r| &r[col("unit")] == "SNV"),
        "every unit of the profile has rows"
    );
    let json = t
        .staff_get(
            &admin,
            &format!("/staff/campaigns/{c}/export/estimates?format=json"),
        )
        .await;
    let parsed: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), rows.len(), "{backend:?}");
    let xlsx = t
        .client
        .get(format!(
            "{}/staff/campaigns/{c}/export/estimates?format=xlsx",
            t.base
        ))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let xlsx = xlsx.bytes().await.unwrap();
    assert!(xlsx.starts_with(b"PK"));
    // Issue 17: every numeric column of the estimates is numbers in Excel.
    {
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> =
            calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
        let sheet = wb.worksheet_range("uoc_luong").unwrap();
        let all: Vec<&[calamine::Data]> = sheet.rows().collect();
        let names: Vec<String> = all[1].iter().map(|c| c.to_string()).collect();
        let mut numbers = 0;
        for row in &all[2..] {
            for n in [
                "points",
                "max",
                "share",
                "valid",
                "se",
                "ci_low",
                "ci_high",
                "response_rate",
            ] {
                let cell = &row[names.iter().position(|h| h == n).unwrap()];
                assert!(
                    matches!(cell, calamine::Data::Float(_) | calamine::Data::Empty),
                    "{n} is a number or blank: {cell:?}"
                );
                numbers += usize::from(matches!(cell, calamine::Data::Float(_)));
            }
        }
        assert!(numbers > 10, "figures are there: {numbers}");
        // The chart's sheet is there (this campaign has no unit with a
        // component yet, so no chart: the report tests draw one).
        assert!(wb.sheet_names().contains(&"bieu_do".to_string()));
    }
    assert_eq!(
        t.staff_get(
            &admin,
            &format!("/staff/campaigns/{c}/export/estimates?format=pdf")
        )
        .await
        .status,
        400,
        "an unknown format is a clear error"
    );
    t.stop().await;
}

per_backend!(async an_anonymous_campaign_shows_no_figure_that_moves_with_one_answer_or_rests_on_fewer_than_k);
async fn an_anonymous_campaign_shows_no_figure_that_moves_with_one_answer_or_rests_on_fewer_than_k(
    backend: Backend,
) {
    // Issue 15: in an anonymous campaign an officer watching the unit's
    // results saw "100 %, n 5" then "83.3 %, n 6" after one named person
    // submitted. Figures now wait for the close, and then no cell rests on
    // fewer than k answers (Hải Phòng: k = max(5, min_valid citizen 30)).
    let dir = tempfile::tempdir().unwrap();
    let t = TestApp::spawn(backend).await;
    let c = campaign_with(&t, dir.path(), true);
    let unit = unit_id(&t.app, "P-BINHMINH");
    let sampled = sampled_in(&t, c, "P-BINHMINH");
    assert!(sampled.len() >= 32, "{} sampled", sampled.len());
    let officer = t.staff("cb-bm", "unit_officer", Some("P-BINHMINH")).await;
    let page = format!("/staff/campaigns/{c}/results/{unit}");
    let mut seen = Vec::new();
    for (i, m) in sampled.iter().take(32).enumerate() {
        let token = t
            .app
            .secret()
            .unwrap()
            .invitation_token(c, m.frame_person_id);
        let mut pages = citizen_pages(unit);
        if i < 3 {
            // Three online applicants: the waiting room does not apply, so
            // 8.2.1 rests on 29 answers, below k.
            for (name, value) in pages[1].iter_mut() {
                assert!(name.contains(".TC"), "{name}");
                *value = "na".into();
            }
        }
        let last = pages.len() - 1;
        for (p, answers) in pages.iter().enumerate() {
            let nav = if p == last { "submit" } else { "next" };
            let r = post_page(
                &t,
                token.as_str(),
                p,
                nav,
                &format!("idem-{}", token.as_str()),
                answers,
            )
            .await;
            assert!(r.status == 303 || r.status == 200, "page {p}: {}", r.body);
        }
        // While the campaign runs, nothing of the survey shows or moves.
        let live = results::unit_result(&t.app, CampaignId(c), UnitId(unit)).unwrap();
        assert!(live.survey.is_none(), "{backend:?} after {} answers", i + 1);
        if i % 10 == 0 {
            let r = t.staff_get(&officer, &page).await;
            seen.push(r.words());
        }
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "the page never changes"
    );
    assert!(
        seen[0].contains("số liệu chỉ hiện sau khi đợt kết thúc"),
        "{}",
        seen[0]
    );

    // Closed: 8.2.2–8.2.5 rest on 32 answers and show; 8.2.1 on 29 is hidden
    // and withheld, on the page, in the export and in the service.
    let admin = staff_user_named(&t, "qt", "admin");
    chiso::service::campaigns::change_period(
        &t.app,
        &admin,
        CampaignId(c),
        chiso::service::campaigns::PeriodChange::CloseNow,
    )
    .unwrap();
    let closed = results::unit_result(&t.app, CampaignId(c), UnitId(unit)).unwrap();
    let s = closed.survey.as_ref().expect("figures after the close");
    let citizen = s
        .groups
        .iter()
        .find(|g| g.group == RespondentGroup::Citizen)
        .unwrap();
    for e in &citizen.criteria {
        match e.criterion.as_str() {
            "8.2.1" => {
                assert!(e.estimate.is_none() && e.suppressed, "{e:?}");
            }
            _ => {
                let est = e.estimate.as_ref().unwrap();
                assert!(est.valid >= 30 && !e.suppressed, "{e:?}");
            }
        }
    }
    let c821 = s.criteria.iter().find(|x| x.code == "8.2.1").unwrap();
    assert!(
        matches!(
            c821.score,
            chiso::domain::index::SurveyScore::Withheld { .. }
        ),
        "{:?}",
        c821.score
    );
    let r = t.staff_get(&officer, &page).await;
    assert!(
        r.words().contains("ẩn: ít câu trả lời hơn ngưỡng ẩn danh"),
        "{}",
        r.words()
    );
    let admin_login = t.login("qt", TEST_PASSWORD).await.unwrap();
    let csv = t
        .staff_get(
            &admin_login,
            &format!("/staff/campaigns/{c}/export/estimates"),
        )
        .await;
    let row = csv
        .body
        .lines()
        .find(|l| l.starts_with("P-BINHMINH,") && l.contains(",group,8.2.1,citizen,"))
        .unwrap_or_else(|| panic!("{}", csv.body));
    assert!(
        row.contains("ẩn: ít câu trả lời hơn ngưỡng ẩn danh"),
        "{row}"
    );
    assert!(
        !row.contains(",29,"),
        "no count or share of the hidden cell: {row}"
    );
    t.stop().await;
}

fn staff_user_named(t: &TestApp, name: &str, role: &str) -> chiso::service::accounts::StaffUser {
    chiso::service::accounts::add_user(&t.app, name, "", role, None, TEST_PASSWORD).unwrap();
    chiso::service::accounts::staff_user(&t.app, name).unwrap()
}

per_backend!(async a_units_open_link_figures_show_forms_from_one_address_or_device);
async fn a_units_open_link_figures_show_forms_from_one_address_or_device(backend: Backend) {
    // Issue 15: "a unit's open-link figures show how many came from the
    // same client or device, so staff see stuffing".
    let dir = tempfile::tempdir().unwrap();
    let t = TestApp::new()
        .backend(backend)
        .with_user("admin1", "admin", None)
        .start()
        .await;
    let c = campaign(&t, dir.path());
    let unit = unit_id(&t.app, "P-BINHMINH");
    let mut rng = rand::rngs::StdRng::seed_from_u64(15);
    // One phone sends three forms, another one; all from this test's address.
    for device in ["may-mot", "may-mot", "may-hai", "may-mot"] {
        let r = t.start_open(c, "citizen", "P-BINHMINH", Some(device)).await;
        assert_eq!(r.status, 303, "{backend:?}");
        let token = r.location.unwrap().rsplit('/').next().unwrap().to_string();
        answer_randomly(&t, &token, unit, &mut rng).await;
    }
    // A form started but not sent does not count.
    t.start_open(c, "citizen", "P-BINHMINH", Some("may-ba"))
        .await;
    let page = t
        .staff_get(
            &t.user("admin1"),
            &format!("/staff/campaigns/{c}/results/{unit}"),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("4 phiếu đã gửi qua liên kết mở"),
        "{backend:?}: {}",
        page.body
    );
    assert!(page
        .body
        .contains("<strong>4</strong> phiếu đến từ các địa chỉ gửi nhiều hơn 1 phiếu; một địa chỉ gửi nhiều nhất 4 phiếu"));
    assert!(page
        .body
        .contains("<strong>3</strong> phiếu đến từ các thiết bị gửi nhiều hơn 1 phiếu; một thiết bị gửi nhiều nhất 3 phiếu"));
    // Fingerprints, not addresses, are stored.
    let stored: Vec<Option<String>> = {
        use chiso::storage::schema::respondents::dsl as r;
        use diesel::prelude::*;
        r::respondents
            .filter(r::source.eq("open"))
            .select(r::open_client)
            .load(&mut t.conn())
            .unwrap()
    };
    assert!(stored.iter().all(|k| k
        .as_deref()
        .is_some_and(|k| k.len() == 16 && !k.contains("127.0.0.1"))));
    t.stop().await;
}

per_backend!(async the_results_follow_every_submission_though_their_parse_is_kept);
async fn the_results_follow_every_submission_though_their_parse_is_kept(backend: Backend) {
    // Issue 16: a page reuses the tallies it parsed while their fingerprint
    // (count and sum of revisions) is unchanged; each submission, on any
    // instance, and each recomputation must change it.
    let dir = tempfile::tempdir().unwrap();
    let t = TestApp::spawn(backend).await;
    let c = campaign(&t, dir.path());
    let unit = unit_id(&t.app, "P-BINHMINH");
    let sampled = sampled_in(&t, c, "P-BINHMINH");
    let answered = |app: &chiso::service::App| {
        let r = results::unit_result(app, CampaignId(c), UnitId(unit)).unwrap();
        let s = r.survey.unwrap();
        s.groups
            .iter()
            .find(|g| g.group == RespondentGroup::Citizen)
            .map(|g| g.respondents)
            .unwrap_or(0)
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    let mut prints = vec![chiso::storage::tallies::fingerprint(&mut t.conn(), c).unwrap()];
    for (i, m) in sampled.iter().take(3).enumerate() {
        assert_eq!(answered(&t.app), i as u64, "{backend:?}");
        let token = t
            .app
            .secret()
            .unwrap()
            .invitation_token(c, m.frame_person_id);
        answer_randomly(&t, token.as_str(), unit, &mut rng).await;
        prints.push(chiso::storage::tallies::fingerprint(&mut t.conn(), c).unwrap());
    }
    assert_eq!(answered(&t.app), 3, "{backend:?}");
    // Another instance (its own process state) sees the same, and a
    // recomputation moves the fingerprint on even when nothing differed.
    let other = chiso::service::App::open(t.app.database_url(), Default::default()).unwrap();
    assert_eq!(answered(&other), 3);
    let report = results::recompute(&t.app, CampaignId(c)).unwrap();
    assert_eq!(report.differed, 0);
    prints.push(chiso::storage::tallies::fingerprint(&mut t.conn(), c).unwrap());
    // Replaced again and again, as recomputations do, with two rows (a
    // real campaign has hundreds): the sum of revisions once grew by a
    // factor of the row count each time and overflowed a 64-bit integer
    // after a few dozen, breaking every results page.
    {
        use chiso::storage::tallies;
        let mut conn = t.conn();
        let kept = tallies::of_campaign(&mut conn, c).unwrap();
        let (unit, group, _, tally) = &kept[0];
        let two = [
            (*unit, group.as_str(), "a".to_string(), tally.clone()),
            (*unit, group.as_str(), "b".to_string(), tally.clone()),
        ];
        for _ in 0..70 {
            tallies::replace(&mut conn, c, &two, chiso::service::now()).unwrap();
            prints.push(tallies::fingerprint(&mut conn, c).unwrap());
        }
    }
    results::recompute(&t.app, CampaignId(c)).unwrap();
    prints.push(chiso::storage::tallies::fingerprint(&mut t.conn(), c).unwrap());
    assert!(
        prints.windows(2).all(|w| w[0].1 < w[1].1),
        "{backend:?}: the sum of revisions only grows: {prints:?}"
    );
    assert_eq!(answered(&t.app), 3);
    t.stop().await;
}
