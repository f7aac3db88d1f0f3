//! A whole year per shipped profile, on every backend: a small province
//! from the units file to the published table. Officers self-score with
//! evidence and submit on time, an appraiser assigned to every department
//! accepts, the council approves, the survey points are imported (the survey
//! ran elsewhere), and the table gives each unit its index, band, rank and
//! head-of-agency rating; publication freezes it and records the year.

use crate::support::*;
use chiso::domain::index::{RatingOutcome, ScoreRule};
use chiso::domain::points::Points;
use chiso::domain::profile::{Kind, Profile};
use chiso::service::accounts::{self, StaffUser};
use chiso::service::appraisal::{
    self, AppraiseInput, Decision, EvidenceJudgement, On, SelfScoreInput,
};
use chiso::service::publication::{self, IndexTable};
use chiso::service::{profiles, units, App};
use chrono::{Duration, NaiveDate, NaiveDateTime};

/// One unit of the small province and the shares of each maximum it earns:
/// `appraised` of every appraised criterion, `survey` of every survey one.
struct Unit {
    code: &'static str,
    block: &'static str,
    unit_type: &'static str,
    appraised: u32,
    survey: u32,
    sends: Sends,
}

/// How far a unit takes its dossier.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sends {
    /// Submitted on time, appraised and approved.
    Approved,
    /// Self-scores entered, never submitted.
    DraftOnly,
    /// Nothing at all.
    Nothing,
}

const fn unit(
    code: &'static str,
    block: &'static str,
    unit_type: &'static str,
    appraised: u32,
    survey: u32,
) -> Unit {
    Unit {
        code,
        block,
        unit_type,
        appraised,
        survey,
        sends: Sends::Approved,
    }
}

const fn unsent(code: &'static str, sends: Sends, appraised: u32, survey: u32) -> Unit {
    Unit {
        sends,
        ..unit(code, "co_quan", "co_quan", appraised, survey)
    }
}

fn staff(app: &App, name: &str, role: &str, unit: Option<&str>) -> StaffUser {
    accounts::add_user(app, name, "", role, unit, TEST_PASSWORD).unwrap();
    let row = chiso::storage::users::by_username(
        &mut chiso::storage::connect(app.database_url()).unwrap(),
        name,
    )
    .unwrap()
    .unwrap();
    StaffUser {
        id: row.id,
        username: row.username,
        display_name: row.display_name,
        role: chiso::domain::access::Role::parse(&row.role).unwrap(),
        unit_id: row.unit_id.map(UnitId),
    }
}

/// `share` percent of `max`, exactly.
fn pct(max: Points, share: u32) -> Points {
    Points::from_micro(max.micro() * i64::from(share) / 100)
}

fn local(date: NaiveDate, hour: u32) -> NaiveDateTime {
    appraisal::utc(date.and_hms_opt(hour, 0, 0).unwrap())
}

struct Year {
    t: TestApp,
    profile: Profile,
    campaign: i64,
}

/// Runs the year up to the council's approval and the survey import.
async fn run_year(backend: Backend, code: &str, units_: &[Unit]) -> Year {
    run_year_in(backend, code, units_, &repo_path("questionnaires")).await
}

/// The same, with the profiles of `dir`.
async fn run_year_in(backend: Backend, code: &str, units_: &[Unit], dir: &std::path::Path) -> Year {
    let t = TestApp::spawn(backend).await;
    let profile = profiles::find(&dir.join("profiles"), code).unwrap().profile;
    let mut csv = String::from("code,name,block,unit_type\n");
    for u in units_ {
        csv.push_str(&format!(
            "{},Đơn vị {},{},{}\n",
            u.code, u.code, u.block, u.unit_type
        ));
    }
    units::import(&t.app, csv.as_bytes(), "units.csv").unwrap();
    let campaign = open_profile_campaign(
        &t.app,
        dir,
        code,
        profile.year,
        &format!("Chỉ số CCHC {}", profile.year),
        false,
    );
    let deadline = profile
        .deadlines
        .iter()
        .find(|d| d.code == "self_assessment")
        .map(|d| d.rule.on(profile.year, &profile.deadlines))
        .unwrap_or(NaiveDate::from_ymd_opt(profile.year, 12, 8).unwrap());
    let admin = staff(&t.app, "hoi-dong", "admin", None);
    let appraiser = staff(&t.app, "tham-dinh", "appraiser", None);
    for d in &profile.departments {
        appraisal::assign(
            &t.app,
            &admin,
            campaign,
            "tham-dinh",
            &d.code,
            local(deadline - Duration::days(20), 8),
        )
        .unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    let mut survey_csv = String::from("unit,criterion,points\n");
    for u in units_ {
        let officer = staff(
            &t.app,
            &format!("cb-{}", u.code.to_lowercase()),
            "unit_officer",
            Some(u.code),
        );
        let unit_id = unit_id(&t.app, u.code);
        let on = |who| On {
            data_dir: data.path(),
            who,
            campaign_id: campaign,
            unit_id: UnitId(unit_id),
        };
        let set = profile
            .criteria_set_for(u.unit_type)
            .expect("a criteria set");
        for leaf in set.leaves() {
            if leaf.is_survey() {
                survey_csv.push_str(&format!(
                    "{},{},{}\n",
                    u.code,
                    leaf.code,
                    pct(leaf.max, u.survey)
                ));
                continue;
            }
            if u.sends == Sends::Nothing {
                continue;
            }
            let points = if leaf.kind == Kind::Regular {
                pct(leaf.max, u.appraised)
            } else {
                Points::ZERO
            };
            appraisal::save_self_score(
                &t.app,
                &on(&officer),
                SelfScoreInput {
                    criterion: leaf.code.clone(),
                    points,
                    explanation: "Đã thực hiện theo kế hoạch".into(),
                    file: None,
                    reference: "Báo cáo số 01/BC-UBND".into(),
                },
                local(deadline - Duration::days(5), 9),
            )
            .unwrap_or_else(|e| panic!("{code} {} {}: {e}", u.code, leaf.code));
        }
        if u.sends != Sends::Approved {
            continue;
        }
        appraisal::submit(
            &t.app,
            &on(&officer),
            local(deadline - Duration::days(2), 10),
        )
        .unwrap_or_else(|e| panic!("{code} {}: {e}", u.code));
        for leaf in set.leaves().filter(|l| !l.is_survey()) {
            appraisal::appraise_criterion(
                &t.app,
                &on(&appraiser),
                AppraiseInput {
                    criterion: leaf.code.clone(),
                    decision: Decision::Accept,
                    reason: String::new(),
                    evidence: EvidenceJudgement::AsGiven,
                },
                local(deadline + Duration::days(3), 9),
            )
            .unwrap_or_else(|e| panic!("{code} {} {}: {e}", u.code, leaf.code));
        }
        appraisal::approve(&t.app, &on(&admin), local(deadline + Duration::days(10), 9))
            .unwrap_or_else(|e| panic!("{code} {}: {e}", u.code));
    }
    if survey_csv.lines().count() > 1 {
        publication::import_survey(&t.app, campaign, survey_csv.as_bytes(), "dtxhh.csv").unwrap();
    }
    Year {
        t,
        profile,
        campaign: campaign.get(),
    }
}

impl Year {
    fn table(&self) -> IndexTable {
        publication::table(
            &self.t.app,
            CampaignId(self.campaign),
            chrono::Utc::now().naive_utc(),
        )
        .unwrap()
    }

    fn admin(&self) -> StaffUser {
        let row = chiso::storage::users::by_username(&mut self.t.conn(), "hoi-dong")
            .unwrap()
            .unwrap();
        StaffUser {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            role: chiso::domain::access::Role::Admin,
            unit_id: None,
        }
    }

    /// The index the unit should get: its shares of the appraised and survey
    /// maxima of its criteria set, no bonus, nothing late.
    fn expected(&self, u: &Unit) -> Points {
        let set = self.profile.criteria_set_for(u.unit_type).unwrap();
        let mut sum = Points::ZERO;
        for leaf in set.leaves().filter(|l| l.kind == Kind::Regular) {
            let share = if leaf.is_survey() {
                u.survey
            } else {
                u.appraised
            };
            sum += pct(leaf.max, share);
        }
        sum.round(self.profile.points.decimals)
    }
}

fn by_code<'a>(t: &'a IndexTable, code: &str) -> &'a publication::IndexRow {
    t.rows.iter().find(|r| r.code == code).unwrap()
}

fn check_figures(y: &Year, units_: &[Unit]) -> IndexTable {
    let table = y.table();
    // The test app's demo units are there too, without a dossier or an index.
    for r in &table.rows {
        if !units_.iter().any(|u| u.code == r.code) {
            // Past the grace days a late rule scores them: no dossier, no survey.
            assert!(
                ["none", "not_submitted"].contains(&r.dossier.as_str()),
                "{}",
                r.dossier
            );
            assert!(r.rank.is_none(), "{}", r.code);
        }
    }
    let units_: Vec<&Unit> = units_
        .iter()
        .filter(|u| u.sends == Sends::Approved)
        .collect();
    for u in &units_ {
        let r = by_code(&table, u.code);
        assert_eq!(r.dossier, "approved", "{}", u.code);
        let f = r
            .figures()
            .unwrap_or_else(|| panic!("{} has no index: {:?}", u.code, r.problem));
        assert_eq!(f.index, y.expected(u), "{} index", u.code);
        // The band is the highest whose minimum the headline figure reaches.
        let headline = f.headline(y.profile.bands.on);
        let band = y
            .profile
            .bands
            .levels
            .iter()
            .find(|b| headline >= b.min)
            .unwrap();
        assert_eq!(f.band.label, band.label, "{}", u.code);
        // Rank: one plus the units of the block with a higher figure.
        let higher = units_
            .iter()
            .filter(|o| o.block == u.block)
            .filter(|o| {
                by_code(&table, o.code)
                    .figures()
                    .unwrap()
                    .headline(y.profile.bands.on)
                    > headline
            })
            .count() as u32;
        assert_eq!(r.rank.unwrap().rank, higher + 1, "{} rank", u.code);
    }
    table
}

per_backend!(async hai_phong_2025_from_dossiers_to_the_published_table);
async fn hai_phong_2025_from_dossiers_to_the_published_table(backend: Backend) {
    let province = [
        unit("S-A", "so", "so", 95, 95),
        unit("S-B", "so", "so", 85, 85),
        unit("S-C", "so", "so", 70, 70),
        unit("P-A", "phuong", "phuong", 90, 90),
        unit("P-B", "phuong", "phuong", 90, 90),
        unit("X-A", "xa_dac_khu", "xa", 80, 70),
        unit("DK-A", "xa_dac_khu", "dac_khu", 60, 100),
    ];
    let y = run_year(backend, "hai-phong-2025", &province).await;
    let table = check_figures(&y, &province);
    assert_eq!(table.survey_source, "import");
    // 70 appraised + 30 survey points: hand-computed.
    let index = |c: &str| by_code(&table, c).figures().unwrap().index.fixed(2);
    assert_eq!(index("S-A"), "95.00", "{backend:?}");
    assert_eq!(index("S-B"), "85.00");
    assert_eq!(index("X-A"), "77.00", "0.8 × 70 + 0.7 × 30");
    assert_eq!(index("DK-A"), "72.00", "0.6 × 70 + 30");
    let rating = |c: &str| by_code(&table, c).head_rating.clone();
    // Art. 7: ≥ 90 and among the block's first 3 → excellent.
    assert!(matches!(rating("S-A"), RatingOutcome::Rated { .. }));
    assert_eq!(rating("S-A").key(), "excellent", "{backend:?}");
    assert_eq!(rating("S-B").key(), "good", "85, 2nd of the sở ≤ 8");
    assert_eq!(rating("S-C").key(), "not_completed", "70 < 75");
    // Two phường share the first place (1, 1) and both are excellent.
    let (pa, pb) = (by_code(&table, "P-A"), by_code(&table, "P-B"));
    assert_eq!((pa.rank.unwrap().rank, pb.rank.unwrap().rank), (1, 1));
    assert!(pa.rank.unwrap().shared);
    assert_eq!(rating("P-B").key(), "excellent");
    assert_eq!(rating("X-A").key(), "completed", "77: 75 ≤ i < 80");
    assert_eq!(rating("DK-A").key(), "not_completed");

    // The pages and downloads show the same figures as the service.
    let reader = y.t.staff("doc", "analyst", None).await;
    let base = format!("/staff/campaigns/{}", y.campaign);
    let page =
        y.t.staff_get(&reader, &format!("{base}/index?block=so"))
            .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("95,00") && page.body.contains("Kết quả tạm tính"));
    assert!(page.body.contains("<svg"), "the split chart");
    assert!(!page.body.contains("Đơn vị P-A"), "one block only");
    let csv_text =
        y.t.staff_get(&reader, &format!("{base}/export/index?format=csv"))
            .await
            .body;
    assert!(csv_text.starts_with('\u{feff}'), "a BOM for Excel");
    let mut rdr = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let sa = rdr
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[col("unit")] == "S-A")
        .unwrap();
    assert_eq!(&sa[col("index")], "95");
    assert_eq!(&sa[col("band")], "A");
    assert_eq!(&sa[col("rank")], "1");
    assert_eq!(&sa[col("head_rating")], "excellent");
    let json: serde_json::Value = serde_json::from_str(
        &y.t.staff_get(&reader, &format!("{base}/export/index?format=json"))
            .await
            .body,
    )
    .unwrap();
    let dk = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"] == "DK-A")
        .unwrap();
    assert_eq!(dk["index"], serde_json::json!(72.0));
    assert_eq!(dk["head_rating"], "not_completed");
    let sa_id = unit_id(&y.t.app, "S-A");
    let card =
        y.t.staff_get(&reader, &format!("{base}/index/{sa_id}"))
            .await;
    assert!(
        card.body.contains("bảng điểm Chỉ số CCHC năm 2025"),
        "{}",
        card.body
    );
    let xlsx =
        y.t.client
            .get(format!("{}{base}/export/scorecard/{sa_id}", y.t.base))
            .header("cookie", &reader.cookie)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    use calamine::Reader;
    let sheet = wb.worksheet_range("bang_diem").unwrap();
    let set = y.profile.criteria_set_for("so").unwrap();
    assert_eq!(
        sheet.height(),
        set.nodes.len() + 2,
        "labels, names, then a row per field and criterion"
    );
    let first = sheet.rows().nth(2).unwrap();
    assert_eq!(first[0].to_string(), set.nodes[0].code);
    // Issue 17: "XLSX exports are read back and every numeric column is
    // numeric": the points are number cells, not text such as "14,00".
    for row in sheet.rows().skip(2) {
        assert!(
            matches!(row[2], calamine::Data::Float(_)),
            "max of {} is a number: {:?}",
            row[0],
            row[2]
        );
        for c in [3, 4, 6, 9, 10, 11] {
            assert!(
                matches!(row[c], calamine::Data::Float(_) | calamine::Data::Empty),
                "column {c} of {} is a number or blank: {:?}",
                row[0],
                row[c]
            );
        }
    }

    // Publication: refused while the council has not decided the units
    // without a dossier, then the table is frozen and the year's scores
    // recorded.
    let admin = y.admin();
    let err = publication::publish(
        &y.t.app,
        &admin,
        CampaignId(y.campaign),
        publication::CONFIRMATION,
    )
    .unwrap_err();
    assert!(err.to_string().contains("chờ Hội đồng quyết định"), "{err}");
    council_decides_every_open_case(&y.t.app, "hoi-dong", CampaignId(y.campaign));
    let published = publication::publish(
        &y.t.app,
        &admin,
        CampaignId(y.campaign),
        publication::CONFIRMATION,
    )
    .unwrap();
    assert!(published.published_at.is_some());
    assert_eq!(published.survey_source, "published");
    assert!(publication::publish(
        &y.t.app,
        &admin,
        CampaignId(y.campaign),
        publication::CONFIRMATION
    )
    .is_err());
    let again = y.table();
    assert_eq!(
        serde_json::to_value(&again.rows).unwrap(),
        serde_json::to_value(&published.rows).unwrap(),
        "{backend:?} the published table stays as published"
    );
    let err = publication::import_survey(
        &y.t.app,
        CampaignId(y.campaign),
        "unit,criterion,points\nS-A,1.1,0\n".as_bytes(),
        "muon.csv",
    )
    .unwrap_err();
    assert!(err.to_string().contains("đã công bố"), "{err}");
    let record = chiso::storage::publication::published(&mut y.t.conn(), 2025, "own").unwrap();
    assert_eq!(record.len(), province.len(), "the units with an index");
    assert_eq!(
        Points::from_micro(record["S-A"]["1"]).to_string(),
        by_code(&published, "S-A").appraisal.as_ref().unwrap().nodes["1"]
            .round(2)
            .to_string()
    );
    y.t.stop().await;
}

per_backend!(async son_la_2021_bands_on_the_index_and_ranks_two_blocks);
async fn son_la_2021_bands_on_the_index_and_ranks_two_blocks(backend: Backend) {
    let province = [
        unit("SL-S1", "so", "so", 100, 90),
        unit("SL-S2", "so", "so", 70, 60),
        unit("SL-H1", "huyen", "huyen", 50, 40),
        unit("SL-H2", "huyen", "huyen", 80, 80),
    ];
    let y = run_year(backend, "son-la-2021", &province).await;
    let table = check_figures(&y, &province);
    let f = |c: &str| by_code(&table, c).figures().unwrap().clone();
    assert_eq!(f("SL-S1").index.fixed(2), "97.00", "70 + 0.9 × 30");
    assert_eq!(f("SL-S1").band.label, "A");
    assert_eq!(f("SL-S2").index.fixed(2), "67.00");
    assert_eq!(f("SL-S2").band.label, "C", "50 ≤ 67 < 70");
    assert_eq!(f("SL-H1").band.label, "D", "47 < 50");
    assert_eq!(by_code(&table, "SL-H2").rank.unwrap().rank, 1);
    assert_eq!(
        by_code(&table, "SL-H1").head_rating.key(),
        "not_applicable",
        "Sơn La rates no heads"
    );
    // A raw total with three decimals at a band's edge (II.3.c: the index is
    // the sum of the survey's and the appraisers' points, "Nhóm B … từ 70
    // điểm"): SL-S2's survey points rise by 2.995, so 49 + 20.995 = 69.995,
    // rounded once to 70.00, group B — on the live table and once published.
    let mut csv = String::from("unit,criterion,points\n");
    let mut extra = Points::parse("2.995").unwrap();
    for r in &table.rows {
        for c in &r.survey {
            let Some(mut points) = c.points else { continue };
            if r.code == "SL-S2" && extra > Points::ZERO {
                let room = (c.max - points).min(extra);
                points += room;
                extra -= room;
            }
            csv.push_str(&format!("{},{},{}\n", r.code, c.criterion, points));
        }
    }
    assert_eq!(extra, Points::ZERO, "room for 2.995 more survey points");
    publication::import_survey(
        &y.t.app,
        CampaignId(y.campaign),
        csv.as_bytes(),
        "dtxhh.csv",
    )
    .unwrap();
    let table = y.table();
    let s2 = by_code(&table, "SL-S2").figures().unwrap().clone();
    assert_eq!(s2.raw.fixed(3), "69.995");
    assert_eq!(
        (s2.index.fixed(2).as_str(), s2.band.label.as_str()),
        ("70.00", "B")
    );
    // Unapproved dossiers keep a table from publication: none here.
    council_decides_every_open_case(&y.t.app, "hoi-dong", CampaignId(y.campaign));
    publication::publish(
        &y.t.app,
        &y.admin(),
        CampaignId(y.campaign),
        publication::CONFIRMATION,
    )
    .unwrap();
    let published = y.table();
    let s2 = by_code(&published, "SL-S2").figures().unwrap().clone();
    assert_eq!(published.survey_source, "published");
    assert_eq!(
        (s2.index.fixed(2).as_str(), s2.band.label.as_str()),
        ("70.00", "B")
    );
    y.t.stop().await;
}

per_backend!(async ninh_hoa_2021_bands_on_pari_with_its_bonus_scale);
async fn ninh_hoa_2021_bands_on_pari_with_its_bonus_scale(backend: Backend) {
    let province = [
        unit("NH-NV", "co_quan", "co_quan", 90, 90),
        unit("NH-VP", "co_quan", "van_phong", 80, 80),
        unit("NH-TT", "co_quan", "thanh_tra", 62, 62),
        unit("NH-SN", "su_nghiep", "su_nghiep", 76, 76),
        unit("NH-X", "xa_phuong", "xa", 100, 100),
    ];
    let y = run_year(backend, "ninh-hoa-2021", &province).await;
    let table = check_figures(&y, &province);
    // 95 regular points (bonus counts in the 100): 0.9 × 95 = 85.5,
    // PARI 85.5 / 100 = 85.50 % → TỐT (≥ 85).
    let f = by_code(&table, "NH-NV").figures().unwrap();
    assert_eq!(f.index.fixed(2), "85.50", "{backend:?}");
    assert_eq!(f.pari.fixed(2), "85.50");
    assert_eq!(f.band.label, "TỐT");
    let vp = by_code(&table, "NH-VP").figures().unwrap();
    assert_eq!(
        (vp.index.fixed(2), vp.band.label.as_str()),
        ("76.00".into(), "KHÁ")
    );
    let tt = by_code(&table, "NH-TT").figures().unwrap();
    assert_eq!(
        (tt.index.fixed(2), tt.band.label.as_str()),
        ("58.90".into(), "YẾU"),
        "0.62 × 95 < 60"
    );
    y.t.stop().await;
}

per_backend!(async ninh_hoa_2021_a_unit_that_sends_nothing_is_scored_by_art_7_5_whether_it_opened_a_draft_or_not);
async fn ninh_hoa_2021_a_unit_that_sends_nothing_is_scored_by_art_7_5_whether_it_opened_a_draft_or_not(
    backend: Backend,
) {
    // Ninh Hòa art. 7.5: "Các cơ quan chưa nộp hồ sơ sẽ có thêm 2 ngày tiếp
    // theo … Quá thời hạn nêu trên thì điểm hồ sơ đề nghị thẩm định được xác
    // định là 0 (không) điểm." A draft never sent and no dossier at all are
    // the same case, scored by the rule (no council decision), ranked, and
    // not waiting for an approval that cannot come.
    let province = [
        unit("NH-NV", "co_quan", "co_quan", 90, 90),
        unsent("NH-VP", Sends::DraftOnly, 80, 80),
        unsent("NH-TT", Sends::Nothing, 0, 80),
    ];
    for reading in ["whole_dossier", "dossier_criterion"] {
        let dir = questionnaires_copy();
        let path = dir.path().join("profiles/ninh-hoa-2021.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replace(
            "too_late = \"whole_dossier\"",
            &format!("too_late = \"{reading}\""),
        );
        std::fs::write(&path, text).unwrap();
        let y = run_year_in(backend, "ninh-hoa-2021", &province, dir.path()).await;
        let table = check_figures(&y, &province);
        let set = y.profile.criteria_set_for("co_quan").unwrap();
        let survey: Points = set
            .leaves()
            .filter(|l| l.is_survey())
            .map(|l| pct(l.max, 80))
            .sum();
        for code in ["NH-VP", "NH-TT"] {
            let r = by_code(&table, code);
            assert_eq!(r.dossier, "not_submitted", "{reading} {code}");
            assert!(
                r.rank.is_some(),
                "{reading} {code}: ranked by the rule, {:?}",
                r.not_ranked
            );
            assert!(
                r.open.is_empty(),
                "{reading} {code}: no council case {:?}",
                r.open
            );
            let a = r.appraisal.as_ref().unwrap();
            let leaf = |c: &str| a.leaves.iter().find(|l| l.code == c).unwrap().clone();
            assert_eq!(
                leaf("1.8").rule,
                ScoreRule::DossierTooLate,
                "{reading} {code}"
            );
            let appraised = a.components.appraised;
            match (reading, code) {
                // Whole dossier: nothing but the survey.
                ("whole_dossier", _) | (_, "NH-TT") => {
                    assert_eq!(appraised, Points::ZERO, "{reading} {code}")
                }
                // Dossier criterion: the draft's self-scores, less I.8's 80 %.
                _ => {
                    let draft: Points = set
                        .leaves()
                        .filter(|l| l.kind == Kind::Regular && !l.is_survey() && l.code != "1.8")
                        .map(|l| pct(l.max, 80))
                        .sum();
                    assert_eq!(appraised, draft, "{reading} {code}");
                    assert_eq!(leaf("3.1").rule, ScoreRule::AsAppraised);
                }
            }
            let f = r.figures().unwrap();
            assert_eq!(f.index, (appraised + survey).round(2), "{reading} {code}");
        }
        let blockers = publication::blockers(&table);
        assert!(
            blockers
                .iter()
                .all(|b| !b.contains("NH-VP") && !b.contains("NH-TT")),
            "{reading}: {blockers:?}"
        );
        y.t.stop().await;
    }
}

per_backend!(async thai_binh_2021_rates_heads_on_index_and_the_trend_of_assigned_items);
async fn thai_binh_2021_rates_heads_on_index_and_the_trend_of_assigned_items(backend: Backend) {
    let province = [
        unit("TB-NV", "so", "so", 95, 95),
        unit("TB-TP", "so", "so", 85, 85),
        unit("TB-H1", "huyen", "huyen", 70, 70),
    ];
    let y = run_year(backend, "thai-binh-2021", &province).await;
    // Before any item of the provincial index is assigned and scored,
    // the rule cannot decide: the council does.
    let table = check_figures(&y, &province);
    assert_eq!(
        by_code(&table, "TB-NV").head_rating.key(),
        "undecided",
        "{backend:?}"
    );

    // Sở Nội vụ answers for field 1 of the provincial index: it rose two
    // years running; Sở Tư pháp's field 2 fell this year.
    let imports = [
        (2019, "unit,field.1,field.2\nTB-NV,6.00,\nTB-TP,,7.00\n"),
        (2020, "unit,field.1,field.2\nTB-NV,6.50,\nTB-TP,,7.50\n"),
        (2021, "unit,field.1,field.2\nTB-NV,7.00,\nTB-TP,,7.00\n"),
    ];
    for (year, csv) in imports {
        publication::import_scores(&y.t.app, year, "assigned", 2, csv.as_bytes(), "tinh.csv")
            .unwrap();
    }
    // Last year's own scores of TB-H1: field 1 was higher than now.
    let own = y.table();
    let h1 = by_code(&own, "TB-H1").appraisal.as_ref().unwrap().nodes["1"].round(2);
    let before = h1 + Points::from_int(1);
    publication::import_scores(
        &y.t.app,
        2020,
        "own",
        2,
        format!("unit,field.1\nTB-H1,{before}\n").as_bytes(),
        "2020.csv",
    )
    .unwrap();

    let table = y.table();
    assert_eq!(
        by_code(&table, "TB-NV").head_rating.key(),
        "excellent",
        "95 and rising 2 years"
    );
    let tp = &by_code(&table, "TB-TP").head_rating;
    assert_eq!(tp.key(), "undecided", "85 with a falling item: {tp:?}");
    // Art. 14.1: the head "được giao phụ trách lĩnh vực, tiêu chí … giải
    // trình nếu điểm số của lĩnh vực, tiêu chí … đó bị giảm so với số liệu
    // công bố của năm trước liền kề" — the provincial items, not the unit's
    // own index: TB-H1's own field 1 fell (shown as a change) but it answers
    // for no provincial item; TB-TP's field 2 is on the list.
    assert_eq!(table.explain_basis, "assigned");
    let h1 = by_code(&table, "TB-H1");
    assert!(h1.explain.is_empty(), "{:?}", h1.explain);
    let change = h1.changes.iter().find(|c| c.code == "1").unwrap();
    assert_eq!(change.delta, Points::from_int(-1));
    let tp_list = &by_code(&table, "TB-TP").explain;
    assert_eq!(tp_list.len(), 1, "{tp_list:?}");
    assert_eq!(
        (tp_list[0].code.as_str(), tp_list[0].falling_years),
        ("2", 1)
    );
    assert_eq!(tp_list[0].sanctions.len(), 1, "art. 19.1.a after one year");

    // Field 2 of Sở Tư pháp now falls two years running (8.00 → 7.50 →
    // 7.00). Art. 17.1.d: "Không hoàn thành nhiệm vụ … có lĩnh vực, tiêu chí
    // được giao phụ trách giảm điểm 2 năm liên tiếp do nguyên nhân chủ quan":
    // whether the cause was subjective is the council's to establish.
    publication::import_scores(
        &y.t.app,
        2019,
        "assigned",
        2,
        "unit,field.1,field.2\nTB-TP,,8.00\n".as_bytes(),
        "tinh.csv",
    )
    .unwrap();
    let table = y.table();
    let tp = by_code(&table, "TB-TP");
    assert_eq!(tp.head_rating.key(), "undecided");
    let cause = chiso::domain::index::Case::DeclineCause { item: "2".into() };
    assert!(tp.open.contains(&cause), "{:?}", tp.open);
    let err = publication::publish(
        &y.t.app,
        &y.admin(),
        CampaignId(y.campaign),
        publication::CONFIRMATION,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Nguyên nhân \"2\" giảm điểm hai năm liên tiếp"),
        "{err}"
    );
    chiso::service::council::record(
        &y.t.app,
        &y.admin(),
        CampaignId(y.campaign),
        &chiso::service::council::Record {
            unit: "TB-TP".into(),
            case: cause.code(),
            decision: "subjective".into(),
            reason: "Biên bản số 05: chậm ban hành văn bản do đơn vị".into(),
        },
    )
    .unwrap();
    let tp = by_code(&y.table(), "TB-TP").clone();
    assert!(tp.open.is_empty(), "{:?}", tp.open);
    match &tp.head_rating {
        chiso::domain::index::RatingOutcome::Rated { rating, basis } => {
            assert_eq!(rating.key(), "not_completed");
            assert!(basis.contains("do nguyên nhân chủ quan"), "{basis}");
        }
        other => panic!("{other:?}"),
    }

    // A third year of decline (8.50 in 2018): art. 19.1.c "báo cáo Ban
    // Thường vụ Tỉnh ủy … nếu điểm số … giảm trong 03 năm liên tiếp" is on
    // the list, and the report is due 30 days after the Ministry published
    // (art. 20.2: "Chậm nhất 30 ngày sau khi kết quả Chỉ số … được Bộ Nội vụ
    // công bố").
    publication::import_scores(
        &y.t.app,
        2018,
        "assigned",
        2,
        "unit,field.2\nTB-TP,8.50\n".as_bytes(),
        "tinh.csv",
    )
    .unwrap();
    assert!(publication::set_national_publication(&y.t.app, 2021, "31/02/2022").is_err());
    publication::set_national_publication(&y.t.app, 2021, "17/05/2022").unwrap();
    let table = y.table();
    assert_eq!(table.explain_due, NaiveDate::from_ymd_opt(2022, 6, 16));
    let item = &by_code(&table, "TB-TP").explain[0];
    assert_eq!(item.falling_years, 3);
    let articles: Vec<&str> = item
        .sanctions
        .iter()
        .filter_map(|s| s.article.as_deref())
        .collect();
    assert_eq!(
        articles,
        ["Điều 19.1.a", "Điều 17.1.d, 19.1.b", "Điều 19.1.c"]
    );
    let admin = y.t.login("hoi-dong", TEST_PASSWORD).await.unwrap();
    let page =
        y.t.staff_get(&admin, &format!("/staff/campaigns/{}/index", y.campaign))
            .await;
    let words = page.words();
    assert!(words.contains("chậm nhất ngày 16/06/2022"), "{words}");
    assert!(
        words.contains("Báo cáo Ban Thường vụ Tỉnh ủy xem xét về công tác cán bộ (Điều 19.1.c)"),
        "{words}"
    );

    // Art. 17.1.d excepts "tiêu chí liên quan đến điểm khuyến khích như: Các
    // sáng kiến, giải pháp mới": Sở Nội vụ's sub-criterion 1.7 fell two years
    // for a subjective cause; it must be explained, but the head is not
    // "Không hoàn thành" on its account.
    publication::import_scores(
        &y.t.app,
        2019,
        "assigned",
        2,
        "unit,field.1,field.1.7\nTB-NV,6.00,1.00\n".as_bytes(),
        "tinh.csv",
    )
    .unwrap();
    for (year, points) in [(2020, "6.50,0.60"), (2021, "7.00,0.30")] {
        publication::import_scores(
            &y.t.app,
            year,
            "assigned",
            2,
            format!("unit,field.1,field.1.7\nTB-NV,{points}\n").as_bytes(),
            "tinh.csv",
        )
        .unwrap();
    }
    let nv = by_code(&y.table(), "TB-NV").clone();
    // No cause to establish for the rating: the exception settles it.
    let initiative = chiso::domain::index::Case::DeclineCause { item: "1.7".into() };
    assert!(!nv.open.contains(&initiative), "{:?}", nv.open);
    let listed = nv
        .explain
        .iter()
        .find(|e| e.code == "1.7")
        .expect("1.7 listed");
    assert!(listed.bonus);
    assert!(
        listed
            .sanctions
            .iter()
            .all(|s| s.article.as_deref() != Some("Điều 17.1.d, 19.1.b")),
        "{:?}",
        listed.sanctions
    );
    assert_ne!(
        nv.head_rating.key(),
        "not_completed",
        "{:?}",
        nv.head_rating
    );

    // The Ministry changed its framework in 2021: field 2 is now out of 7
    // (the file's "Tối đa" row), out of 8 before. Art. 17.1.a's "đạt điểm
    // tối đa" reads this year's framework, and the years compare like with
    // like: 7.00 of 7 is not a fall from 7.50 of 8.
    publication::import_scores(
        &y.t.app,
        2020,
        "assigned",
        2,
        "unit,field.2\nTB-TP,7.50\nTối đa,8\n".as_bytes(),
        "tinh-2020.csv",
    )
    .unwrap();
    publication::import_scores(
        &y.t.app,
        2021,
        "assigned",
        2,
        "unit,field.2\nTB-TP,7.00\n*,7\n".as_bytes(),
        "tinh-2021.csv",
    )
    .unwrap();
    let tp = by_code(&y.table(), "TB-TP").clone();
    assert!(tp.explain.iter().all(|e| e.code != "2"), "{:?}", tp.explain);
    assert!(
        !tp.open
            .iter()
            .any(|c| matches!(c, chiso::domain::index::Case::DeclineCause { .. })),
        "{:?}",
        tp.open
    );
    y.t.stop().await;
}

per_backend!(async a_table_with_an_unapproved_dossier_is_not_published);
async fn a_table_with_an_unapproved_dossier_is_not_published(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let dir = repo_path("questionnaires");
    units::import(
        &t.app,
        "code,name,block,unit_type\nS1,Sở Một,so,so\n".as_bytes(),
        "u.csv",
    )
    .unwrap();
    let c = open_profile_campaign(&t.app, &dir, "hai-phong-2025", 2025, "Chưa xong", false);
    let table = publication::table(&t.app, c, chrono::Utc::now().naive_utc()).unwrap();
    let row = by_code(&table, "S1");
    assert_eq!(row.dossier, publication::NO_DOSSIER);
    assert!(
        row.figures().is_none(),
        "no survey points: the index is withheld"
    );
    assert!(row.rank.is_none());
    assert_eq!(row.head_rating.key(), "undecided");
    // The unit's officer has started a dossier: the council has not approved it.
    let officer = staff(&t.app, "cb", "unit_officer", Some("S1"));
    let data = tempfile::tempdir().unwrap();
    appraisal::save_self_score(
        &t.app,
        &On {
            data_dir: data.path(),
            who: &officer,
            campaign_id: c,
            unit_id: UnitId(unit_id(&t.app, "S1")),
        },
        SelfScoreInput {
            criterion: "1.7".into(),
            points: Points::from_int(1),
            explanation: String::new(),
            file: None,
            reference: "Kế hoạch 12/KH".into(),
        },
        local(NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(), 9),
    )
    .unwrap();
    let admin = staff(&t.app, "qt", "admin", None);
    // While the deadline runs, the draft waits for the council's approval…
    let before = local(NaiveDate::from_ymd_opt(2025, 12, 2).unwrap(), 9);
    let table = publication::table(&t.app, c, before).unwrap();
    assert_eq!(by_code(&table, "S1").dossier, "draft");
    assert!(
        publication::blockers(&table)
            .iter()
            .any(|b| b.contains("chưa được Hội đồng thẩm định phê duyệt")),
        "{:?}",
        publication::blockers(&table)
    );
    // …and once it has passed unsent, it is what a unit with no dossier is
    // (Hải Phòng has no late rule): the council's case, the draft ignored.
    let table = publication::table(&t.app, c, chrono::Utc::now().naive_utc()).unwrap();
    let row = by_code(&table, "S1");
    assert_eq!(row.dossier, publication::NO_DOSSIER);
    assert_eq!(
        row.appraisal.as_ref().unwrap().components.appraised,
        Points::ZERO
    );
    let err = publication::publish(&t.app, &admin, c, publication::CONFIRMATION).unwrap_err();
    assert!(err.to_string().contains("chờ Hội đồng quyết định"), "{err}");
    let analyst = staff(&t.app, "pt", "analyst", None);
    assert!(publication::publish(&t.app, &analyst, c, publication::CONFIRMATION).is_err());
    // A bad survey file is refused whole, line by line.
    let err = publication::import_survey(
        &t.app,
        c,
        "unit,criterion,points\nKHONG,1.1,1\nS1,1,1\nS1,8.2.1,99\nS1,8.2.1,abc\n".as_bytes(),
        "dt.csv",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("dt.csv:2: cột unit"), "{err}");
    assert!(err.contains("dt.csv:3: cột criterion"), "{err}");
    assert!(err.contains("dt.csv:4: cột points"), "{err}");
    assert!(err.contains("dt.csv:5: cột points"), "{err}");
    assert!(
        chiso::storage::publication::survey_points(&mut t.conn(), c.get())
            .unwrap()
            .is_empty()
    );
    t.stop().await;
}
