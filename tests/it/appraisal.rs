//! The self-assessment and appraisal workflow (issue 6) on every backend:
//! the service with a fixed clock (late days, locks, the 70 % rule,
//! approval, the audit log), and the staff pages (roles, CSRF, evidence
//! download, escaping).

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::*;
use chiso::domain::access::Role;
use chiso::domain::index::{appraise, Evidence, Lateness, LeafInput, ScoreRule, SurveyScore};
use chiso::domain::points::Points;
use chiso::domain::profile::{Kind, Profile};
use chiso::domain::upload::FileKind;
use chiso::service::accounts::{self, StaffUser};
use chiso::service::appraisal::{
    self, AnswerInput, AppraiseInput, Decision, EvidenceJudgement, NewFile, On, SelfScoreInput,
};
use chiso::service::{profiles, units, App, ServiceError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

pub(crate) const PROFILE: &str = "ninh-hoa-2021";

/// Vietnam local time → the UTC instant the service takes as `now`.
fn at(local: &str) -> NaiveDateTime {
    appraisal::utc(NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap())
}

/// A copy of the shipped questionnaires and profiles in which Ninh Hòa's
/// self-assessment deadline is the day and month of `date`, every year (the
/// shipped one is 08/12).
pub(crate) fn questionnaires_with_deadline(date: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo_path("questionnaires");
    std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    for entry in std::fs::read_dir(src.join("profiles")).unwrap() {
        let p = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&p).unwrap();
        if p.file_name().unwrap() == "ninh-hoa-2021.toml" {
            assert!(text.contains("yearly = \"08/12\""));
            let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
            let rule = format!("yearly = \"{}\"", d.format("%d/%m"));
            text = text.replacen("yearly = \"08/12\"", &rule, 1);
        }
        std::fs::write(
            dir.path().join("profiles").join(p.file_name().unwrap()),
            text,
        )
        .unwrap();
    }
    dir
}

pub(crate) const UNITS: &str = "code,name,block,unit_type\n\
NH-TP,Phòng Tư pháp <b>thị xã</b>,co_quan,co_quan\n\
NH-NV,Phòng Nội vụ,co_quan,co_quan\n\
NH-TC,Phòng Tài chính - Kế hoạch,co_quan,co_quan\n\
NH-KT,Phòng Kinh tế,co_quan,co_quan\n";

fn open_profiled_campaign(app: &App, questionnaires_dir: &Path) -> CampaignId {
    open_profile_campaign(
        app,
        questionnaires_dir,
        PROFILE,
        2021,
        "Chỉ số CCHC 2021",
        false,
    )
}

fn user(app: &App, name: &str, role: &str, unit: Option<&str>) -> StaffUser {
    accounts::add_user(app, name, "", role, unit, TEST_PASSWORD).unwrap();
    staff_user(app, name)
}

/// An existing account as the service sees it.
pub(crate) fn staff_user(app: &App, name: &str) -> StaffUser {
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
        role: Role::parse(&row.role).unwrap(),
        unit_id: row.unit_id.map(UnitId),
    }
}

/// A Ninh Hòa campaign of this year whose dossiers are due on 31 December,
/// with its units: (the service, the questionnaires' folder, the campaign,
/// the id of NH-TP, whose dossier the stories fill).
pub(crate) async fn ninh_hoa_open_for_dossiers(
    backend: Backend,
) -> (TestApp, tempfile::TempDir, CampaignId, i64) {
    let year = chrono::Datelike::year(&chiso::domain::vietnam_time::date(
        chrono::Utc::now().naive_utc(),
    ));
    let q = questionnaires_with_deadline(&format!("{year}-12-31"));
    let t = TestApp::new()
        .backend(backend)
        .questionnaires(q.path())
        .start()
        .await;
    units::import(&t.app, UNITS.as_bytes(), "units.csv").unwrap();
    let c = open_profile_campaign(&t.app, q.path(), PROFILE, year, "Chỉ số CCHC", false);
    let unit = unit_id(&t.app, "NH-TP");
    (t, q, c, unit)
}

/// The administrator assigns `appraiser` to every department of the set.
pub(crate) async fn assign_everything(t: &TestApp, c: CampaignId, set: &Profile, appraiser: &str) {
    let admin = t.staff("qt-assign", "admin", None).await;
    for d in &set.departments {
        let r = t
            .staff_post(
                &admin,
                &format!("/staff/campaigns/{c}/appraisal/assignments"),
                &[("username", appraiser), ("department", d.code.as_str())],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
}

pub(crate) fn profile(dir: &Path) -> Profile {
    profiles::find(&dir.join("profiles"), PROFILE)
        .unwrap()
        .profile
}

/// The appraised leaves of the unit's criteria set (not survey, any kind).
pub(crate) fn appraised_leaves(p: &Profile) -> Vec<(String, Points, Kind)> {
    p.criteria_set_for("co_quan")
        .unwrap()
        .leaves()
        .filter(|l| !l.is_survey())
        .map(|l| (l.code.clone(), l.max, l.kind))
        .collect()
}

struct World {
    app: App,
    _db: TestDb,
    dir: tempfile::TempDir,
    data: tempfile::TempDir,
    campaign: CampaignId,
}

impl World {
    fn new(backend: Backend, deadline: &str) -> Self {
        let db = TestDb::new(backend);
        let app = app_on(&db);
        units::import(&app, UNITS.as_bytes(), "units.csv").unwrap();
        let dir = questionnaires_with_deadline(deadline);
        let campaign = open_profiled_campaign(&app, dir.path());
        World {
            app,
            _db: db,
            dir,
            data: tempfile::tempdir().unwrap(),
            campaign,
        }
    }

    fn on<'a>(&'a self, who: &'a StaffUser, unit: i64) -> On<'a> {
        On {
            data_dir: self.data.path(),
            who,
            campaign_id: CampaignId(self.campaign.get()),
            unit_id: UnitId(unit),
        }
    }

    /// The officer scores every regular leaf at its maximum with a document
    /// reference, except `without_evidence` (no evidence at all).
    fn fill(&self, officer: &StaffUser, unit: i64, without_evidence: &[&str], now: NaiveDateTime) {
        for (code, max, kind) in appraised_leaves(&profile(self.dir.path())) {
            if kind != Kind::Regular {
                continue;
            }
            appraisal::save_self_score(
                &self.app,
                &self.on(officer, unit),
                SelfScoreInput {
                    criterion: code.clone(),
                    points: max,
                    explanation: format!("Đã thực hiện đầy đủ tiêu chí {code}."),
                    file: None,
                    reference: if without_evidence.contains(&code.as_str()) {
                        String::new()
                    } else {
                        format!("Báo cáo số {code}/BC-UBND")
                    },
                },
                now,
            )
            .unwrap_or_else(|e| panic!("{code}: {e}"));
        }
    }

    fn audit_count(&self) -> i64 {
        use chiso::storage::schema::audit_log;
        audit_log::table
            .count()
            .get_result(&mut chiso::storage::connect(self.app.database_url()).unwrap())
            .unwrap()
    }
}

fn invalid_text(e: ServiceError) -> String {
    match e {
        ServiceError::Invalid(m) => m.join("\n"),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

per_backend!(late_days_cost_a_point_each_and_after_the_grace_days_the_dossier_is_locked);
fn late_days_cost_a_point_each_and_after_the_grace_days_the_dossier_is_locked(backend: Backend) {
    let w = World::new(backend, "2021-12-08");
    let p = profile(w.dir.path());
    let mut submitted = vec![];
    // (unit, submitted at, expected lateness, expected deductions)
    let cases = [
        ("NH-TP", "2021-12-08 23:30", Lateness::OnTime, 0),
        (
            "NH-NV",
            "2021-12-09 08:00",
            Lateness::Late {
                days: 1,
                penalty: Points::from_int(1),
            },
            1,
        ),
        (
            "NH-TC",
            "2021-12-10 23:59",
            Lateness::Late {
                days: 2,
                penalty: Points::from_int(2),
            },
            2,
        ),
    ];
    for (code, when, want, deducted) in cases {
        let unit = unit_id(&w.app, code);
        let officer = user(
            &w.app,
            &format!("cb-{}", code.to_lowercase()),
            "unit_officer",
            Some(code),
        );
        w.fill(&officer, unit, &[], at("2021-12-01 09:00"));
        let got = appraisal::submit(&w.app, &w.on(&officer, unit), at(when)).unwrap();
        assert_eq!(got, want, "{backend:?} {code}");
        let a = appraisal::appraised(
            &w.app,
            CampaignId(w.campaign.get()),
            UnitId(unit),
            at("2021-12-20 09:00"),
        )
        .unwrap();
        assert_eq!(a.lateness, want);
        assert_eq!(
            a.components.deductions,
            Points::from_int(deducted),
            "{code}"
        );
        submitted.push(unit);
    }
    // Three days late: past the grace days, the dossier is locked.
    let unit = unit_id(&w.app, "NH-KT");
    let officer = user(&w.app, "cb-kt", "unit_officer", Some("NH-KT"));
    w.fill(&officer, unit, &[], at("2021-12-01 09:00"));
    let before = w.audit_count();
    let e = appraisal::submit(&w.app, &w.on(&officer, unit), at("2021-12-11 08:00")).unwrap_err();
    assert!(invalid_text(e).contains("hồ sơ đã khóa"), "{backend:?}");
    let e = appraisal::save_self_score(
        &w.app,
        &w.on(&officer, unit),
        SelfScoreInput {
            criterion: "1.2".into(),
            points: Points::from_int(1),
            explanation: String::new(),
            file: None,
            reference: String::new(),
        },
        at("2021-12-11 08:00"),
    )
    .unwrap_err();
    assert!(invalid_text(e).contains("hồ sơ đã khóa"));
    assert_eq!(w.audit_count(), before, "a refused change writes nothing");
    // Never submitted: the dossier criterion scores 0, by the profile's rule.
    let a = appraisal::appraised(
        &w.app,
        CampaignId(w.campaign.get()),
        UnitId(unit),
        at("2021-12-11 08:00"),
    )
    .unwrap();
    assert_eq!(a.lateness, Lateness::TooLate { days: 3 });
    let dossier = p
        .criteria_set_for("co_quan")
        .unwrap()
        .dossier()
        .unwrap()
        .code
        .clone();
    let leaf = a.leaves.iter().find(|l| l.code == dossier).unwrap();
    assert_eq!(leaf.rule, ScoreRule::DossierTooLate);
    assert_eq!(leaf.score, Some(Points::ZERO));
    // The on-time unit, once the deadline day is over, can no longer edit.
    let tp = unit_id(&w.app, "NH-TP");
    let tp_officer = user(&w.app, "cb-tp-2", "unit_officer", Some("NH-TP"));
    let e = appraisal::submit(&w.app, &w.on(&tp_officer, tp), at("2021-12-09 08:00")).unwrap_err();
    assert!(invalid_text(e).contains("Hồ sơ đã nộp"));
    // Until 23:59 of the deadline day a submitted dossier may still be
    // corrected; after that it is locked.
    let fix = |when: &str| {
        appraisal::save_self_score(
            &w.app,
            &w.on(&tp_officer, tp),
            SelfScoreInput {
                criterion: "1.3".into(),
                points: Points::from_int(1),
                explanation: "Sửa lại sau khi nộp".into(),
                file: None,
                reference: "Báo cáo kiểm tra số 3".into(),
            },
            at(when),
        )
    };
    fix("2021-12-08 23:50").unwrap();
    let e = fix("2021-12-09 00:10").unwrap_err();
    assert!(invalid_text(e).contains("hồ sơ đã khóa"), "{backend:?}");
}

per_backend!(a_deadline_on_a_saturday_moves_to_monday);
fn a_deadline_on_a_saturday_moves_to_monday(backend: Backend) {
    // 11/12/2021 is a Saturday: the deadline is Monday 13/12.
    let w = World::new(backend, "2021-12-11");
    let unit = unit_id(&w.app, "NH-TP");
    let officer = user(&w.app, "cb-tp", "unit_officer", Some("NH-TP"));
    w.fill(&officer, unit, &[], at("2021-12-10 09:00"));
    let got = appraisal::submit(&w.app, &w.on(&officer, unit), at("2021-12-13 17:00")).unwrap();
    assert_eq!(got, Lateness::OnTime, "{backend:?}");
    let unit = unit_id(&w.app, "NH-NV");
    let officer = user(&w.app, "cb-nv", "unit_officer", Some("NH-NV"));
    w.fill(&officer, unit, &[], at("2021-12-10 09:00"));
    let got = appraisal::submit(&w.app, &w.on(&officer, unit), at("2021-12-14 08:00")).unwrap();
    assert_eq!(
        got,
        Lateness::Late {
            days: 1,
            penalty: Points::from_int(1)
        }
    );
}

per_backend!(appraisal_explanation_approval_and_the_audit_log);
fn appraisal_explanation_approval_and_the_audit_log(backend: Backend) {
    let w = World::new(backend, "2021-12-08");
    let p = profile(w.dir.path());
    let unit = unit_id(&w.app, "NH-TP");
    let officer = user(&w.app, "cb-tp", "unit_officer", Some("NH-TP"));
    let admin = user(&w.app, "qt", "admin", None);
    let all = user(&w.app, "td-all", "appraiser", None);
    let justice = user(&w.app, "td-tuphap", "appraiser", None);
    for d in &p.departments {
        assert!(appraisal::assign(
            &w.app,
            &admin,
            CampaignId(w.campaign.get()),
            "td-all",
            &d.code,
            at("2021-12-01 08:00")
        )
        .unwrap());
    }
    appraisal::assign(
        &w.app,
        &admin,
        CampaignId(w.campaign.get()),
        "td-tuphap",
        "tu_phap",
        at("2021-12-01 08:00"),
    )
    .unwrap();
    // Only appraisers can be assigned, and only to the profile's departments.
    assert!(appraisal::assign(
        &w.app,
        &admin,
        CampaignId(w.campaign.get()),
        "cb-tp",
        "tu_phap",
        at("2021-12-01 08:00")
    )
    .is_err());
    assert!(appraisal::assign(
        &w.app,
        &admin,
        CampaignId(w.campaign.get()),
        "td-all",
        "khong_co",
        at("2021-12-01 08:00")
    )
    .is_err());

    // 1.2 and 1.3 go in without evidence; 1.2 gets an explanation round.
    w.fill(&officer, unit, &["1.2", "1.3"], at("2021-12-05 09:00"));
    // Appraising a draft is refused.
    let accept = |code: &str| AppraiseInput {
        criterion: code.into(),
        decision: Decision::Accept,
        reason: String::new(),
        evidence: EvidenceJudgement::AsGiven,
    };
    let e = appraisal::appraise_criterion(
        &w.app,
        &w.on(&all, unit),
        accept("1.4"),
        at("2021-12-06 08:00"),
    )
    .unwrap_err();
    assert!(invalid_text(e).contains("chưa nộp"));
    appraisal::submit(&w.app, &w.on(&officer, unit), at("2021-12-07 10:00")).unwrap();

    // Outside the assigned field: refused as forbidden, nothing written.
    let before = w.audit_count();
    let e = appraisal::appraise_criterion(
        &w.app,
        &w.on(&justice, unit),
        accept("1.4"),
        at("2021-12-09 08:00"),
    )
    .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden(_)), "{backend:?} {e:?}");
    assert_eq!(w.audit_count(), before);
    // The justice appraiser may appraise field 2.
    appraisal::appraise_criterion(
        &w.app,
        &w.on(&justice, unit),
        accept("2.1"),
        at("2021-12-09 08:00"),
    )
    .unwrap();

    // A changed score needs a reason.
    let change = |code: &str, p: &str, reason: &str| AppraiseInput {
        criterion: code.into(),
        decision: Decision::Change(Points::parse(p).unwrap()),
        reason: reason.into(),
        evidence: EvidenceJudgement::AsGiven,
    };
    let before = w.audit_count();
    let e = appraisal::appraise_criterion(
        &w.app,
        &w.on(&all, unit),
        change("1.1.1", "0.5", "  "),
        at("2021-12-09 08:10"),
    )
    .unwrap_err();
    assert!(invalid_text(e).contains("phải ghi lý do"));
    assert_eq!(w.audit_count(), before, "{backend:?}");
    appraisal::appraise_criterion(
        &w.app,
        &w.on(&all, unit),
        change("1.1.1", "0.5", "Kế hoạch ban hành chậm 10 ngày"),
        at("2021-12-09 08:10"),
    )
    .unwrap();
    // Above the maximum: refused.
    let e = appraisal::appraise_criterion(
        &w.app,
        &w.on(&all, unit),
        change("1.4", "9", "x"),
        at("2021-12-09 08:11"),
    )
    .unwrap_err();
    assert!(invalid_text(e).contains("vượt điểm tối đa"));

    // Explanation round: the unit adds evidence for 1.2; whether that makes
    // up for incomplete evidence is the appraiser's decision (below).
    appraisal::request_explanation(
        &w.app,
        &w.on(&all, unit),
        "1.2",
        "Bổ sung báo cáo CCHC quý IV.",
        at("2021-12-09 09:00"),
    )
    .unwrap();
    let ex_id = {
        use chiso::storage::schema::explanations as ex;
        ex::table
            .select(ex::id)
            .first::<i64>(&mut chiso::storage::connect(w.app.database_url()).unwrap())
            .unwrap()
    };
    let bytes = b"%PDF-1.4\n% bao cao quy IV\n".to_vec();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bytes).unwrap();
    appraisal::answer_explanation(
        &w.app,
        &w.on(&officer, unit),
        AnswerInput {
            request_id: ex_id,
            answer: "Đơn vị gửi bổ sung báo cáo quý IV.".into(),
            file: Some(NewFile {
                path: file.path().to_path_buf(),
                name: "bao-cao-quy-IV.pdf".into(),
                kind: FileKind::Pdf,
            }),
            reference: String::new(),
        },
        at("2021-12-10 09:00"),
    )
    .unwrap();
    // The file is kept under its SHA-256, the same as the bytes'.
    let sha = hex::encode(Sha256::digest(&bytes));
    let (path, name, _) = appraisal::evidence_file(
        &w.app,
        w.data.path(),
        CampaignId(w.campaign.get()),
        UnitId(unit),
        &sha,
    )
    .unwrap();
    assert_eq!(std::fs::read(path).unwrap(), bytes);
    assert_eq!(name, "bao-cao-quy-IV.pdf");
    // A second answer to the same request is refused.
    let e = appraisal::answer_explanation(
        &w.app,
        &w.on(&officer, unit),
        AnswerInput {
            request_id: ex_id,
            answer: "lần hai".into(),
            file: None,
            reference: String::new(),
        },
        at("2021-12-10 10:00"),
    )
    .unwrap_err();
    assert!(invalid_text(e).contains("đã được giải trình"));

    // Everything else is accepted as scored; 7.4 does not apply.
    for (code, _, kind) in appraised_leaves(&p) {
        if kind != Kind::Regular || code == "1.1.1" || code == "2.1" {
            continue;
        }
        let input = if code == "7.4" {
            AppraiseInput {
                criterion: code.clone(),
                decision: Decision::NotApplicable,
                reason: "Đơn vị không có TTHC qua bưu chính".into(),
                evidence: EvidenceJudgement::AsGiven,
            }
        } else {
            accept(&code)
        };
        appraisal::appraise_criterion(&w.app, &w.on(&all, unit), input, at("2021-12-11 09:00"))
            .unwrap_or_else(|e| panic!("{code}: {e}"));
    }
    // Ninh Hòa art. 7.2: "Trường hợp tài liệu kiểm chứng … cung cấp chưa đầy
    // đủ, chưa đảm bảo theo yêu cầu thì khi giải trình bổ sung, thay đổi tài
    // liệu kiểm chứng đạt yêu cầu ở mức đánh giá nào thì chỉ được 70% số
    // điểm chuẩn tại mức đó", while "các cơ quan có thể bổ sung các tài liệu
    // kiểm chứng khác": a file added with an answer is evidence given, full
    // points, until the appraiser judges the first evidence incomplete.
    let score_of = |code: &str, when: &str| {
        appraisal::appraised(&w.app, CampaignId(w.campaign.get()), UnitId(unit), at(when))
            .unwrap()
            .leaves
            .into_iter()
            .find(|l| l.code == code)
            .unwrap()
    };
    assert_eq!(
        score_of("1.2", "2021-12-11 09:01").score,
        Some(Points::from_int(2))
    );
    assert_eq!(
        score_of("1.2", "2021-12-11 09:01").rule,
        ScoreRule::AsAppraised
    );
    let judged = |code: &str, evidence, reason: &str| AppraiseInput {
        criterion: code.into(),
        decision: Decision::Accept,
        reason: reason.into(),
        evidence,
    };
    // The judgement needs a reason, and evidence sent in the explanation round.
    let e = appraisal::appraise_criterion(
        &w.app,
        &w.on(&all, unit),
        judged("1.2", EvidenceJudgement::Supplemented, ""),
        at("2021-12-11 09:02"),
    )
    .unwrap_err();
    assert!(invalid_text(e).contains("ghi lý do"));
    let e = appraisal::appraise_criterion(
        &w.app,
        &w.on(&all, unit),
        judged("1.3", EvidenceJudgement::Supplemented, "thiếu"),
        at("2021-12-11 09:02"),
    )
    .unwrap_err();
    assert!(invalid_text(e).contains("chưa gửi tài liệu kiểm chứng nào khi giải trình"));
    let supplemented = judged(
        "1.2",
        EvidenceJudgement::Supplemented,
        "Hồ sơ ban đầu thiếu báo cáo quý IV",
    );
    appraisal::appraise_criterion(
        &w.app,
        &w.on(&all, unit),
        supplemented,
        at("2021-12-11 09:03"),
    )
    .unwrap();
    assert_eq!(
        score_of("1.2", "2021-12-11 09:04").score,
        Some(Points::parse("1.4").unwrap())
    );
    // Reversible: judged complete after all, then incomplete again; each step audited.
    for (evidence, reason, minute) in [
        (
            EvidenceJudgement::AsGiven,
            "Báo cáo quý IV đã có trong hồ sơ",
            "05",
        ),
        (
            EvidenceJudgement::Supplemented,
            "Nhầm: báo cáo gửi khi giải trình",
            "06",
        ),
    ] {
        appraisal::appraise_criterion(
            &w.app,
            &w.on(&all, unit),
            judged("1.2", evidence, reason),
            at(&format!("2021-12-11 09:{minute}")),
        )
        .unwrap();
    }
    let a = appraisal::appraised(
        &w.app,
        CampaignId(w.campaign.get()),
        UnitId(unit),
        at("2021-12-12 09:00"),
    )
    .unwrap();
    let leaf = |c: &str| a.leaves.iter().find(|l| l.code == c).unwrap().clone();
    // 70 % of the 2 points reached, because the evidence came in the explanation round.
    assert_eq!(
        leaf("1.2").score,
        Some(Points::parse("1.4").unwrap()),
        "{backend:?}"
    );
    assert!(matches!(leaf("1.2").rule, ScoreRule::Supplemented { .. }));
    // No evidence where the criterion requires it → 0.
    assert_eq!(leaf("1.3").score, Some(Points::ZERO));
    assert_eq!(leaf("1.3").rule, ScoreRule::NoEvidence);
    assert_eq!(leaf("1.1.1").score, Some(Points::parse("0.5").unwrap()));
    assert_eq!(leaf("7.4").rule, ScoreRule::NotApplicable);

    // The same inputs straight through the domain rules give the same result.
    let set = p.criteria_set_for("co_quan").unwrap();
    let mut inputs = BTreeMap::new();
    for l in set.leaves() {
        let input = if l.is_survey() {
            LeafInput::Survey(SurveyScore::Withheld { short: vec![] })
        } else if l.kind != Kind::Regular {
            continue;
        } else if l.code == "7.4" {
            LeafInput::NotApplicable
        } else {
            let points = if l.code == "1.1.1" {
                Points::parse("0.5").unwrap()
            } else {
                l.max
            };
            let evidence = match l.code.as_str() {
                "1.2" => Evidence::Supplemented,
                "1.3" => Evidence::Missing,
                _ => Evidence::WithDossier,
            };
            LeafInput::Appraised { points, evidence }
        };
        inputs.insert(l.code.clone(), input);
    }
    let direct = appraise(&p, set, &inputs, Lateness::OnTime).unwrap();
    assert_eq!(a, direct, "{backend:?}");
    // 95 regular points: −0.5 (1.1.1) −0.6 (1.2) −2 (1.3) −1 (7.4 n/a) − 18 survey.
    assert_eq!(a.components.appraised, Points::parse("72.9").unwrap());
    assert_eq!(a.components.applicable_max, Points::from_int(99));

    // The council approves; afterwards nothing changes and nothing is written.
    appraisal::approve(&w.app, &w.on(&admin, unit), at("2021-12-15 09:00")).unwrap();
    let before = w.audit_count();
    let e = appraisal::appraise_criterion(
        &w.app,
        &w.on(&all, unit),
        change("1.4", "1", "sửa sau phê duyệt"),
        at("2021-12-16 09:00"),
    )
    .unwrap_err();
    assert!(invalid_text(e).contains("đã phê duyệt"));
    let e = appraisal::request_explanation(
        &w.app,
        &w.on(&all, unit),
        "1.4",
        "?",
        at("2021-12-16 09:00"),
    )
    .unwrap_err();
    assert!(invalid_text(e).contains("đã phê duyệt"));
    let e = appraisal::approve(&w.app, &w.on(&admin, unit), at("2021-12-16 09:00")).unwrap_err();
    assert!(invalid_text(e).contains("đã phê duyệt"));
    assert_eq!(w.audit_count(), before, "{backend:?}");
    let after = appraisal::appraised(
        &w.app,
        CampaignId(w.campaign.get()),
        UnitId(unit),
        at("2021-12-16 09:00"),
    )
    .unwrap();
    assert_eq!(after, a);

    // The audit log keeps who, when, old, new and why.
    let view = appraisal::view(&w.app, &w.on(&admin, unit), at("2021-12-16 09:00")).unwrap();
    let row = view
        .history
        .iter()
        .find(|h| h.criterion.as_deref() == Some("1.1.1") && h.action == "appraise")
        .expect("the change of 1.1.1 is in the history");
    assert_eq!(row.actor, "td-all");
    assert_eq!(row.old_value.as_deref(), Some("tự chấm 1"));
    assert_eq!(row.new_value.as_deref(), Some("0.5"));
    assert_eq!(
        row.reason.as_deref(),
        Some("Kế hoạch ban hành chậm 10 ngày")
    );
    let evidence_steps: Vec<(Option<&str>, Option<&str>)> = view
        .history
        .iter()
        .filter(|h| h.criterion.as_deref() == Some("1.2") && h.action == "evidence_status")
        .map(|h| (h.old_value.as_deref(), h.new_value.as_deref()))
        .collect();
    assert_eq!(
        evidence_steps.len(),
        3,
        "supplemented, as given, supplemented: {evidence_steps:?}"
    );
    assert!(evidence_steps
        .iter()
        .all(|(old, new)| old != new && new.is_some()));
    assert!(view
        .history
        .iter()
        .any(|h| h.action == "approve" && h.new_value.as_deref() == Some("approved")));
    // …and the database refuses to change or remove a row.
    let mut conn = chiso::storage::connect(w.app.database_url()).unwrap();
    let upd =
        diesel::sql_query("UPDATE audit_log SET reason = 'sửa' WHERE id = 1").execute(&mut conn);
    assert!(
        upd.is_err(),
        "{backend:?} UPDATE on the audit log must fail"
    );
    let del = diesel::sql_query("DELETE FROM audit_log").execute(&mut conn);
    assert!(
        del.is_err(),
        "{backend:?} DELETE on the audit log must fail"
    );
    drop(conn);
    assert_eq!(w.audit_count(), before);
}

/// A multipart staff form with the session's CSRF token.
async fn multipart(
    t: &TestApp,
    who: &StaffLogin,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Page {
    t.staff_multipart(who, Some(&who.csrf), path, fields, file)
        .await
}

per_backend!(async the_dossier_pages_follow_roles_and_csrf_and_escape_what_users_bring);
async fn the_dossier_pages_follow_roles_and_csrf_and_escape_what_users_bring(backend: Backend) {
    // A campaign of this year whose deadline is the year's last day, so the
    // pages run on the real clock.
    let q = questionnaires_with_deadline("2099-12-31");
    let t = TestApp::new()
        .backend(backend)
        .questionnaires(q.path())
        .start()
        .await;
    units::import(&t.app, UNITS.as_bytes(), "units.csv").unwrap();
    let year = chrono::Datelike::year(&chiso::domain::vietnam_time::date(
        chrono::Utc::now().naive_utc(),
    ));
    let c = open_profile_campaign(&t.app, q.path(), PROFILE, year, "Chỉ số CCHC", false);
    let unit = unit_id(&t.app, "NH-TP");
    let officer = t.staff("cb-tp", "unit_officer", Some("NH-TP")).await;
    let other_officer = t.staff("cb-nv", "unit_officer", Some("NH-NV")).await;
    let admin = t.staff("qt", "admin", None).await;
    let analyst = t.staff("pt", "analyst", None).await;
    let appraiser = t.staff("td", "appraiser", None).await;
    let outsider = t.staff("td-tuphap", "appraiser", None).await;
    let page = format!("/staff/campaigns/{c}/dossiers/{unit}");

    let r = t.staff_get(&officer, &page).await;
    assert_eq!(r.status, 200, "{backend:?} {}", r.body);
    assert!(
        r.body.contains("Phòng Tư pháp &lt;b&gt;thị xã&lt;"),
        "unit names are escaped"
    );
    assert!(!r.body.contains("<b>thị xã</b>"));
    assert!(r.body.contains("Lưu toàn bộ"));
    let me = t.staff_get(&officer, "/staff/me").await;
    assert!(me.body.contains(&format!("href=\"{page}\"")), "{}", me.body);
    assert_eq!(
        t.staff_get(&other_officer, &page).await.status,
        404,
        "{backend:?}"
    );
    assert_eq!(t.staff_get(&analyst, &page).await.status, 200);

    // A self-score with an evidence file whose name and explanation carry markup.
    let bytes = b"%PDF-1.4\n% ke hoach CCHC\n".to_vec();
    let sha = hex::encode(Sha256::digest(&bytes));
    let evil = "<img src=x onerror=alert(1)>.pdf";
    let r = multipart(
        &t,
        &officer,
        &format!("{page}/self-score"),
        &[
            ("criterion", "1.2"),
            ("points", "1,5"),
            ("explanation", "<script>alert(1)</script> Đã báo cáo đủ"),
            ("reference", "Báo cáo số 12/BC-UBND"),
        ],
        Some((evil, &bytes)),
    )
    .await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let r = t.staff_get(&officer, &page).await;
    assert!(
        r.body.contains(&sha),
        "the page shows the SHA-256 of the bytes"
    );
    assert!(r.body.contains("&lt;img src=x onerror=alert(1)&gt;.pdf"));
    assert!(!r.body.contains("<img src=x"));
    assert!(r.body.contains("&lt;script&gt;alert(1)&lt;"));
    assert!(!r.body.contains("<script>alert(1)"));
    let evidence = format!("{page}/evidence/{sha}");
    // An appraiser not yet assigned to any department of the campaign
    // reads none of its dossiers (checked again once assigned, below).
    assert_eq!(t.staff_get(&appraiser, &evidence).await.status, 403);
    assert_eq!(t.staff_get(&appraiser, &page).await.status, 403);
    for who in [&officer, &admin, &analyst] {
        let r = t
            .client
            .get(format!("{}{evidence}", t.base))
            .header("cookie", &who.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        let got = r.bytes().await.unwrap();
        assert_eq!(hex::encode(Sha256::digest(&got)), sha);
    }
    assert_eq!(t.staff_get(&other_officer, &evidence).await.status, 404);
    assert_eq!(
        t.staff_get(&officer, &format!("{page}/evidence/{}", "0".repeat(64)))
            .await
            .status,
        404
    );
    assert!(t.data.path().join("evidence").join(&sha).is_file());

    // Bad input: a clear message, nothing stored.
    let r = multipart(
        &t,
        &officer,
        &format!("{page}/self-score"),
        &[("criterion", "1.3"), ("points", "mười")],
        None,
    )
    .await;
    assert_eq!(r.status, 422, "{backend:?}");
    assert!(r.body.contains("Điểm tự chấm"), "{}", r.body);
    let r = multipart(
        &t,
        &officer,
        &format!("{page}/self-score"),
        &[("criterion", "1.3"), ("points", "7")],
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("vượt điểm tối đa"));
    // Submitting with criteria left: refused with the list.
    let r = t.staff_post(&officer, &format!("{page}/submit"), &[]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("chưa tự chấm"));
    // A form without the session's CSRF token is refused.
    let forged = TestApp::page(
        t.client
            .post(format!("{}{page}/submit", t.base))
            .header("cookie", &officer.cookie)
            .form(&[("x", "1")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(forged.status, 403);
    // Another unit's officer cannot write here either.
    assert_eq!(
        t.staff_post(&other_officer, &format!("{page}/submit"), &[])
            .await
            .status,
        404
    );

    // The rest through the service, then the web submission.
    let who = staff_user(&t.app, "cb-tp");
    for (code, max, kind) in appraised_leaves(&profile(q.path())) {
        if kind != Kind::Regular || code == "1.2" {
            continue;
        }
        appraisal::save_self_score(
            &t.app,
            &On {
                data_dir: t.data.path(),
                who: &who,
                campaign_id: CampaignId(c.get()),
                unit_id: UnitId(unit),
            },
            SelfScoreInput {
                criterion: code,
                points: max,
                explanation: String::new(),
                file: None,
                reference: "QĐ 1/QĐ".into(),
            },
            chiso::service::now(),
        )
        .unwrap();
    }
    let r = t.staff_post(&officer, &format!("{page}/submit"), &[]).await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let r = t.staff_get(&officer, &page).await;
    assert!(r.body.contains("Đã nộp"));
    assert!(
        r.body.contains("Lưu toàn bộ"),
        "editable until the deadline day ends"
    );
    assert!(!r.body.contains("Nộp hồ sơ đề nghị thẩm định"));

    // The administrator assigns the fields.
    let assign = format!("/staff/campaigns/{c}/appraisal/assignments");
    let r = t
        .staff_post(
            &admin,
            &assign,
            &[("username", "td"), ("department", "noi_vu")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = t
        .staff_post(
            &admin,
            &assign,
            &[("username", "td-tuphap"), ("department", "tu_phap")],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = t
        .staff_post(
            &admin,
            &assign,
            &[("username", "cb-tp"), ("department", "tu_phap")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("không phải thẩm định viên"));
    assert_eq!(t.staff_get(&appraiser, &evidence).await.status, 200);
    assert_eq!(t.staff_get(&appraiser, &page).await.status, 200);
    let r = t
        .staff_get(&appraiser, &format!("/staff/campaigns/{c}/appraisal"))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Phòng Tư pháp &lt;b&gt;thị xã&lt;"));

    // Outside the field: 403. Changed without a reason: 422. Accepted: 303.
    let appraise = format!("{page}/appraise");
    let r = t
        .staff_post(
            &outsider,
            &appraise,
            &[("criterion", "1.2"), ("decision", "accept")],
        )
        .await;
    assert_eq!(r.status, 403, "{backend:?}");
    let r = t
        .staff_post(
            &appraiser,
            &appraise,
            &[
                ("criterion", "1.2"),
                ("decision", "change"),
                ("points", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("phải ghi lý do"), "{}", r.body);
    let r = t
        .staff_post(
            &appraiser,
            &appraise,
            &[
                ("criterion", "1.2"),
                ("decision", "change"),
                ("points", "1"),
                ("reason", "Báo cáo quý III nộp muộn"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    // Once appraisal has begun the unit can no longer change its scores.
    let r = multipart(
        &t,
        &officer,
        &format!("{page}/self-score"),
        &[("criterion", "1.3"), ("points", "1")],
        None,
    )
    .await;
    assert_eq!(r.status, 422, "{backend:?}");
    assert!(r.body.contains("đang được thẩm định"), "{}", r.body);
    let r = t.staff_get(&admin, &page).await;
    assert!(r.body.contains("Báo cáo quý III nộp muộn"));
    assert!(r.body.contains("Lịch sử thay đổi"));
    // Stages, evidence statuses, rules and audit actions in words.
    assert!(r.body.contains("<strong>Đã nộp, đang thẩm định</strong>"));
    assert!(r.body.contains("tài liệu: có trong hồ sơ"), "{}", r.body);
    assert!(r
        .body
        .contains("tạm tính theo điểm tự chấm (chưa thẩm định)"));
    assert!(r.body.contains("<td>theo điểm thẩm định</td>"));
    assert!(r
        .body
        .contains("<td>nộp hồ sơ</td><td>Đang soạn</td><td>Đã nộp, đang thẩm định</td>"));
    assert!(r
        .body
        .contains("<td>thẩm định</td><td>tự chấm 1.5</td><td>1</td>"));
    let r = t
        .staff_get(&admin, &format!("/staff/campaigns/{c}/appraisal"))
        .await;
    assert!(
        r.body.contains("<td>Đã nộp, đang thẩm định</td>"),
        "{}",
        r.body
    );
    // The explanation round through the pages: a request, an answer with a file.
    let r = t
        .staff_post(
            &appraiser,
            &format!("{page}/explanations"),
            &[
                ("criterion", "1.1.1"),
                ("request", "Bổ sung <i>kế hoạch</i> gốc"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let request_id: i64 = {
        use chiso::storage::schema::explanations as ex;
        ex::table.select(ex::id).first(&mut t.conn()).unwrap()
    };
    let plan = b"\x89PNG\r\n\x1a\nke hoach".to_vec();
    let r = multipart(
        &t,
        &officer,
        &format!("{page}/explanations/{request_id}/answer"),
        &[("answer", "Gửi kèm bản chụp kế hoạch."), ("reference", "")],
        Some(("ke-hoach.png", &plan)),
    )
    .await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let r = t.staff_get(&officer, &page).await;
    assert!(r.body.contains("Bổ sung &lt;i&gt;kế hoạch&lt;"));
    assert!(r.body.contains(&hex::encode(Sha256::digest(&plan))));
    assert!(r.body.contains("Gửi kèm bản chụp kế hoạch."));
    // A second answer is refused with the reason on the page.
    let r = multipart(
        &t,
        &officer,
        &format!("{page}/explanations/{request_id}/answer"),
        &[("answer", "Lần hai")],
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("đã được giải trình"));
    // The file came with the answer: full points until the appraiser judges
    // the first evidence incomplete (Ninh Hòa art. 7.2), which the form asks.
    let score = || {
        let a = appraisal::appraised(
            &t.app,
            CampaignId(c.get()),
            UnitId(unit),
            chiso::service::now(),
        )
        .unwrap();
        a.leaves.iter().find(|l| l.code == "1.1.1").unwrap().score
    };
    let r = t
        .staff_post(
            &appraiser,
            &appraise,
            &[("criterion", "1.1.1"), ("decision", "accept")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(score(), Some(Points::from_int(1)), "evidence given");
    let r = t.staff_get(&appraiser, &page).await;
    assert!(
        r.body.contains("chỉ được 70 % số điểm của mức đạt"),
        "{}",
        r.body
    );
    let r = t
        .staff_post(
            &appraiser,
            &appraise,
            &[
                ("criterion", "1.1.1"),
                ("decision", "accept"),
                ("evidence", "supplemented"),
                ("reason", "Hồ sơ ban đầu thiếu kế hoạch"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        score(),
        Some(Points::parse("0.7").unwrap()),
        "70 % of 1 point"
    );

    // The council cannot approve an unfinished appraisal.
    let r = t.staff_post(&admin, &format!("{page}/approve"), &[]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("chưa được thẩm định"));
    t.stop().await;
}

per_backend!(an_approval_and_a_change_racing_each_other_never_leave_a_change_after_the_approval);
fn an_approval_and_a_change_racing_each_other_never_leave_a_change_after_the_approval(
    backend: Backend,
) {
    let w = World::new(backend, "2021-12-08");
    let p = profile(w.dir.path());
    let admin = user(&w.app, "qt", "admin", None);
    let all = user(&w.app, "td-all", "appraiser", None);
    for d in &p.departments {
        appraisal::assign(
            &w.app,
            &admin,
            CampaignId(w.campaign.get()),
            "td-all",
            &d.code,
            at("2021-12-01 08:00"),
        )
        .unwrap();
    }
    for code in ["NH-TP", "NH-NV", "NH-TC", "NH-KT"] {
        let unit = unit_id(&w.app, code);
        let officer = user(
            &w.app,
            &format!("cb-{}", code.to_lowercase()),
            "unit_officer",
            Some(code),
        );
        w.fill(&officer, unit, &[], at("2021-12-01 09:00"));
        appraisal::submit(&w.app, &w.on(&officer, unit), at("2021-12-07 09:00")).unwrap();
        for (leaf, _, kind) in appraised_leaves(&p) {
            if kind == Kind::Regular {
                let input = AppraiseInput {
                    criterion: leaf,
                    decision: Decision::Accept,
                    reason: String::new(),
                    evidence: EvidenceJudgement::AsGiven,
                };
                appraisal::appraise_criterion(
                    &w.app,
                    &w.on(&all, unit),
                    input,
                    at("2021-12-09 09:00"),
                )
                .unwrap();
            }
        }
        let (approved, changed) = std::thread::scope(|s| {
            let a =
                s.spawn(|| appraisal::approve(&w.app, &w.on(&admin, unit), at("2021-12-15 09:00")));
            let b = s.spawn(|| {
                let input = AppraiseInput {
                    criterion: "1.4".into(),
                    decision: Decision::Change(Points::from_int(1)),
                    reason: "Tuyên truyền chưa đủ".into(),
                    evidence: EvidenceJudgement::AsGiven,
                };
                appraisal::appraise_criterion(
                    &w.app,
                    &w.on(&all, unit),
                    input,
                    at("2021-12-15 09:00"),
                )
            });
            (a.join().unwrap(), b.join().unwrap())
        });
        approved.unwrap_or_else(|e| panic!("{backend:?} {code}: {e}"));
        if let Err(e) = &changed {
            assert!(e.to_string().contains("đã phê duyệt"), "{backend:?} {e}");
        }
        let view = appraisal::view(&w.app, &w.on(&admin, unit), at("2021-12-16 09:00")).unwrap();
        let last = view.history.last().unwrap();
        assert_eq!(
            last.action, "approve",
            "{backend:?} {code}: nothing after the approval"
        );
        let changes = view
            .history
            .iter()
            .filter(|h| {
                h.criterion.as_deref() == Some("1.4") && h.new_value.as_deref() == Some("1")
            })
            .count();
        assert_eq!(changes, usize::from(changed.is_ok()));
    }
}

per_backend!(a_stored_dossier_stage_this_version_does_not_know_is_an_error_not_a_default);
fn a_stored_dossier_stage_this_version_does_not_know_is_an_error_not_a_default(backend: Backend) {
    let w = World::new(backend, "2099-12-08");
    let unit = unit_id(&w.app, "NH-TP");
    let officer = user(&w.app, "cb-tp", "unit_officer", Some("NH-TP"));
    let admin = user(&w.app, "qt", "admin", None);
    let score = || {
        appraisal::save_self_score(
            &w.app,
            &w.on(&officer, unit),
            SelfScoreInput {
                criterion: "1.2".into(),
                points: Points::from_int(1),
                explanation: String::new(),
                file: None,
                reference: "Báo cáo số 1".into(),
            },
            at("2021-12-01 09:00"),
        )
    };
    score().unwrap();
    diesel::sql_query("UPDATE dossiers SET state = 'reviewing'")
        .execute(&mut chiso::storage::connect(w.app.database_url()).unwrap())
        .unwrap();
    let before = w.audit_count();
    let e = score().unwrap_err();
    assert!(matches!(e, ServiceError::Internal(_)), "{backend:?} {e:?}");
    assert!(e.to_string().contains("\"reviewing\""), "{e}");
    let e = appraisal::submit(&w.app, &w.on(&officer, unit), at("2021-12-02 09:00")).unwrap_err();
    assert!(matches!(e, ServiceError::Internal(_)), "{backend:?} {e:?}");
    assert!(appraisal::view(&w.app, &w.on(&admin, unit), at("2021-12-02 09:00")).is_err());
    assert!(appraisal::appraised(
        &w.app,
        CampaignId(w.campaign.get()),
        UnitId(unit),
        at("2021-12-02 09:00")
    )
    .is_err());
    assert_eq!(w.audit_count(), before, "{backend:?}: nothing written");
}

per_backend!(staff_hear_by_email_of_a_near_deadline_a_submission_an_explanation_and_an_approval);
fn staff_hear_by_email_of_a_near_deadline_a_submission_an_explanation_and_an_approval(
    backend: Backend,
) {
    use chiso::mail::{MailError, Mailer, Memory, Transport};
    use chiso::service::{notices, staff_accounts};
    let w = World::new(backend, "2021-12-08");
    let p = profile(w.dir.path());
    let (tp, nv) = (unit_id(&w.app, "NH-TP"), unit_id(&w.app, "NH-NV"));
    let admin = user(&w.app, "qt", "admin", None);
    let officer = user(&w.app, "cb-tp", "unit_officer", Some("NH-TP"));
    let other = user(&w.app, "cb-nv", "unit_officer", Some("NH-NV"));
    // An officer without an address gets nothing and stops nothing.
    user(&w.app, "cb-tp-2", "unit_officer", Some("NH-TP"));
    let appraiser = user(&w.app, "td", "appraiser", None);
    for (name, email) in [
        ("cb-tp", "tuphap@ninhhoa.vn"),
        ("cb-nv", "noivu@ninhhoa.vn"),
        ("td", "thamdinh@snv.vn"),
    ] {
        staff_accounts::set_email(&w.app, &admin, name, email).unwrap();
    }
    let bad = staff_accounts::set_email(&w.app, &admin, "td", "không phải địa chỉ").unwrap_err();
    assert!(invalid_text(bad).contains("không hợp lệ"));
    for d in &p.departments {
        appraisal::assign(
            &w.app,
            &admin,
            w.campaign,
            "td",
            &d.code,
            at("2021-12-01 08:00"),
        )
        .unwrap();
    }
    let memory = Memory::default();
    let mailer = Mailer::with_transport(
        &chiso::mail::MailSettings::default(),
        Transport::Memory(memory.clone()),
    )
    .unwrap();
    let to = |m: &chiso::mail::Delivered| m.message.to.as_str().to_string();

    // The deadline (08/12) is a week away: nothing; three days before it
    // (the default setting), each officer with an address hears once.
    assert_eq!(
        notices::queue_deadline_reminders(&w.app, at("2021-12-01 08:00")).unwrap(),
        0
    );
    assert_eq!(
        notices::queue_deadline_reminders(&w.app, at("2021-12-05 08:00")).unwrap(),
        2
    );
    assert_eq!(
        notices::queue_deadline_reminders(&w.app, at("2021-12-05 20:00")).unwrap(),
        0,
        "once per officer and deadline"
    );
    let sent = notices::send_due(&w.app, &mailer, at("2021-12-05 08:01")).unwrap();
    assert_eq!(sent.sent, 2);
    let reminders = memory.take();
    let mut addresses: Vec<String> = reminders.iter().map(to).collect();
    addresses.sort();
    assert_eq!(addresses, ["noivu@ninhhoa.vn", "tuphap@ninhhoa.vn"]);
    let subject = &reminders[0].message.content.subject;
    assert!(
        subject.contains("Còn 3 ngày") && subject.contains("08/12/2021"),
        "{subject}"
    );

    // Submitted: the appraiser hears, with a link to the dossier.
    w.fill(&officer, tp, &[], at("2021-12-06 09:00"));
    appraisal::submit(&w.app, &w.on(&officer, tp), at("2021-12-06 10:00")).unwrap();
    w.fill(&other, nv, &["1.2"], at("2021-12-06 09:00"));
    appraisal::submit(&w.app, &w.on(&other, nv), at("2021-12-06 11:00")).unwrap();
    notices::send_due(&w.app, &mailer, at("2021-12-06 11:01")).unwrap();
    let submitted = memory.take();
    assert_eq!(submitted.len(), 2, "one per submission");
    assert!(submitted.iter().all(|m| to(m) == "thamdinh@snv.vn"));
    assert!(submitted[0]
        .message
        .content
        .subject
        .contains("Hồ sơ mới cần thẩm định"));
    assert!(submitted[0]
        .message
        .content
        .text
        .contains(&format!("/staff/campaigns/{}/dossiers/{tp}", w.campaign)));

    // An explanation asked of NH-NV: its officer hears what was asked. The
    // first try fails for a while; the queue tries again later.
    memory.refuse("noivu@ninhhoa.vn", MailError::transient("421 thử lại sau"));
    appraisal::request_explanation(
        &w.app,
        &w.on(&appraiser, nv),
        "1.2",
        "Bổ sung kế hoạch CCHC năm 2021",
        at("2021-12-09 08:00"),
    )
    .unwrap();
    let first = notices::send_due(&w.app, &mailer, at("2021-12-09 08:01")).unwrap();
    assert_eq!((first.sent, first.retried), (0, 1));
    memory.accept("noivu@ninhhoa.vn");
    let too_soon = notices::send_due(&w.app, &mailer, at("2021-12-09 08:02")).unwrap();
    assert_eq!(too_soon.sent, 0, "not before its next attempt");
    let later = notices::send_due(&w.app, &mailer, at("2021-12-09 08:10")).unwrap();
    assert_eq!(later.sent, 1);
    let asked = memory.take();
    assert_eq!(to(&asked[0]), "noivu@ninhhoa.vn");
    assert!(asked[0]
        .message
        .content
        .text
        .contains("Bổ sung kế hoạch CCHC năm 2021"));

    // Approved: NH-TP's officer hears the appraisal is final.
    for (code, _, kind) in appraised_leaves(&p) {
        if kind == Kind::Regular {
            appraisal::appraise_criterion(
                &w.app,
                &w.on(&appraiser, tp),
                AppraiseInput {
                    criterion: code,
                    decision: Decision::Accept,
                    reason: String::new(),
                    evidence: EvidenceJudgement::AsGiven,
                },
                at("2021-12-10 08:00"),
            )
            .unwrap();
        }
    }
    appraisal::approve(&w.app, &w.on(&admin, tp), at("2021-12-11 08:00")).unwrap();
    notices::send_due(&w.app, &mailer, at("2021-12-11 08:01")).unwrap();
    let fin = memory.take();
    assert_eq!(fin.len(), 1);
    assert_eq!(to(&fin[0]), "tuphap@ninhhoa.vn");
    assert!(fin[0].message.content.subject.contains("đã được phê duyệt"));
}

per_backend!(replaced_evidence_files_are_removed_once_nothing_references_them);
fn replaced_evidence_files_are_removed_once_nothing_references_them(backend: Backend) {
    // Issue 15: "replaced evidence files are removed (or kept deliberately
    // with a total quota)". Each replacement used to leave its file behind.
    let w = World::new(backend, "2021-12-08");
    let unit = unit_id(&w.app, "NH-TP");
    let other = unit_id(&w.app, "NH-KT");
    let officer = user(&w.app, "cb-tp", "unit_officer", Some("NH-TP"));
    let other_officer = user(&w.app, "cb-kt", "unit_officer", Some("NH-KT"));
    let save = |who: &StaffUser, unit: i64, bytes: &[u8]| {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        appraisal::save_self_score(
            &w.app,
            &w.on(who, unit),
            SelfScoreInput {
                criterion: "1.2".into(),
                points: Points::from_int(1),
                explanation: String::new(),
                file: Some(NewFile {
                    path: file.path().to_path_buf(),
                    name: "bao-cao.pdf".into(),
                    kind: FileKind::Pdf,
                }),
                reference: String::new(),
            },
            at("2021-12-01 09:00"),
        )
        .unwrap();
        appraisal::evidence_dir(w.data.path()).join(hex::encode(Sha256::digest(bytes)))
    };
    let age = |path: &Path| {
        // As if uploaded an hour ago, past the grace.
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
            .unwrap();
    };
    let first = save(&officer, unit, b"%PDF-1.4\n% ban dau\n");
    age(&first);
    let second = save(&officer, unit, b"%PDF-1.4\n% thay the\n");
    assert!(!first.exists(), "{backend:?}: the replaced file is gone");
    assert!(second.exists());

    // The same bytes in another unit's dossier are still referenced there.
    let shared = b"%PDF-1.4\n% dung chung\n";
    save(&other_officer, other, shared);
    let kept = save(&officer, unit, shared);
    age(&kept);
    assert!(
        second.exists(),
        "replaced within the grace of its upload: left for the sweep"
    );
    save(&officer, unit, b"%PDF-1.4\n% lan cuoi\n");
    assert!(kept.exists(), "still the other unit's evidence");

    // A file replaced within minutes of its upload waits for the sweep; so
    // does an upload whose transaction never committed.
    let orphan = appraisal::evidence_dir(w.data.path()).join("ab".repeat(32));
    std::fs::write(&orphan, b"mo coi").unwrap();
    let within_grace =
        appraisal::sweep(&w.app, w.data.path(), appraisal::UNREFERENCED_GRACE).unwrap();
    assert_eq!(within_grace, 0, "young files wait");
    let removed = appraisal::sweep(&w.app, w.data.path(), std::time::Duration::ZERO).unwrap();
    assert_eq!(removed, 2, "{backend:?}: the second upload and the orphan");
    assert!(!second.exists() && !orphan.exists());
    let left: Vec<_> = std::fs::read_dir(appraisal::evidence_dir(w.data.path()))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        left.len(),
        2,
        "the shared file and the unit's last: {left:?}"
    );
}

per_backend!(async a_whole_dossier_is_entered_on_one_page_and_a_wrong_row_stores_nothing);
/// Issue 17: the officer fills every criterion of the dossier on one page
/// and saves once; a wrong cell anywhere stores nothing and comes back as
/// typed with its problem beside it; saving the same grid again changes
/// nothing (no audit rows).
async fn a_whole_dossier_is_entered_on_one_page_and_a_wrong_row_stores_nothing(backend: Backend) {
    let q = questionnaires_with_deadline(&format!(
        "{}-12-31",
        chrono::Datelike::year(&chiso::domain::vietnam_time::date(
            chrono::Utc::now().naive_utc()
        ))
    ));
    let t = TestApp::new()
        .backend(backend)
        .questionnaires(q.path())
        .start()
        .await;
    units::import(&t.app, UNITS.as_bytes(), "units.csv").unwrap();
    let year = chrono::Datelike::year(&chiso::domain::vietnam_time::date(
        chrono::Utc::now().naive_utc(),
    ));
    let c = open_profile_campaign(&t.app, q.path(), PROFILE, year, "Chỉ số CCHC", false);
    let unit = unit_id(&t.app, "NH-TP");
    let officer = t.staff("cb-tp", "unit_officer", Some("NH-TP")).await;
    let page = format!("/staff/campaigns/{c}/dossiers/{unit}");
    let audit = || {
        use chiso::storage::schema::audit_log;
        audit_log::table
            .count()
            .get_result::<i64>(&mut chiso::storage::connect(t.app.database_url()).unwrap())
            .unwrap()
    };

    // The grid has a row of inputs for every leaf criterion not from the survey.
    let r = t.staff_get(&officer, &page).await;
    assert_eq!(r.status, 200, "{backend:?} {}", r.body);
    let leaves: Vec<String> = r
        .body
        .split("name=\"p.")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect();
    let set = profile(q.path());
    let expected: Vec<String> = appraised_leaves(&set)
        .into_iter()
        .map(|(code, _, _)| code)
        .collect();
    assert_eq!(leaves, expected, "one row per self-scored leaf, in order");
    let (first, second) = (leaves[0].clone(), leaves[1].clone());

    let mut values: Vec<(String, String)> = Vec::new();
    for code in &leaves {
        values.push((format!("p.{code}"), "0".into()));
        values.push((format!("e.{code}"), format!("Giải thích {code}")));
    }
    let set_value = |values: &mut Vec<(String, String)>, name: &str, v: &str| {
        values.iter_mut().find(|(k, _)| k == name).unwrap().1 = v.to_string();
    };
    set_value(&mut values, &format!("p.{first}"), "99");
    set_value(&mut values, &format!("p.{second}"), "2,5,1");
    set_value(&mut values, "p.1.2", "1,5");
    let fields = |values: &Vec<(String, String)>| -> Vec<(String, String)> { values.clone() };
    let post = |values: Vec<(String, String)>| {
        let t = &t;
        let officer = &officer;
        let path = format!("{page}/self-scores");
        async move {
            let refs: Vec<(&str, &str)> = values
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let pdf: &[u8] = b"%PDF-1.4\n% ke hoach\n";
            t.staff_multipart_files(
                officer,
                Some(&officer.csrf),
                &path,
                &refs,
                &[("f.1.2", "ke-hoach.pdf", pdf)],
            )
            .await
        }
    };
    let before = audit();
    let r = post(fields(&values)).await;
    assert_eq!(r.status, 422, "{backend:?} {}", r.body);
    assert!(
        r.body.contains("2 tiêu chí chưa hợp lệ; chưa lưu dòng nào"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(&format!(
            "Tiêu chí &quot;{first}&quot;: 99 điểm vượt điểm tối đa"
        )),
        "{}",
        r.body
    );
    assert!(r.body.contains(&format!(
        "id=\"err-{second}\">Tiêu chí &quot;{second}&quot;: &quot;2,5,1&quot; không phải là số điểm"
    )));
    assert!(r.body.contains("value=\"2,5,1\""), "typed values come back");
    assert!(r.body.contains("Các tệp đã chọn chưa được lưu"));
    assert_eq!(audit(), before, "{backend:?}: nothing stored");
    let officer_user = staff_user(&t.app, "cb-tp");
    let on = appraisal::On {
        data_dir: t.data.path(),
        who: &officer_user,
        campaign_id: c,
        unit_id: UnitId(unit),
    };
    let view = appraisal::view(&t.app, &on, chiso::service::now()).unwrap();
    assert!(view.nodes.iter().all(|n| n.self_points.is_none()));

    // Corrected, saved at once: every row, and the file of 1.2.
    set_value(&mut values, &format!("p.{first}"), "0");
    set_value(&mut values, &format!("p.{second}"), "0");
    let r = post(fields(&values)).await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let view = appraisal::view(&t.app, &on, chiso::service::now()).unwrap();
    let scored = view
        .nodes
        .iter()
        .filter(|n| n.self_points.is_some())
        .count();
    assert_eq!(scored, leaves.len());
    let n12 = view.nodes.iter().find(|n| n.code == "1.2").unwrap();
    assert_eq!(n12.self_points.as_deref(), Some("1.5"));
    assert_eq!(
        n12.evidence.as_ref().and_then(|e| e.name.as_deref()),
        Some("ke-hoach.pdf")
    );
    let after_first = audit();
    assert_eq!(
        after_first - before,
        leaves.len() as i64 + 1,
        "a score row per criterion and the evidence of 1.2"
    );
    // The same grid again, without the file: nothing changed, nothing written.
    let again: Vec<(String, String)> = values.clone();
    let refs: Vec<(&str, &str)> = again
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = t
        .staff_multipart_files(
            &officer,
            Some(&officer.csrf),
            &format!("{page}/self-scores"),
            &refs,
            &[],
        )
        .await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    assert_eq!(
        audit(),
        after_first,
        "{backend:?}: an unchanged grid leaves no audit row"
    );
    let r = t.staff_get(&officer, &page).await;
    assert!(
        r.body.contains("value=\"1,5\""),
        "the grid shows what is stored"
    );

    // Submitted; an appraiser of every department decides on all rows at once.
    let r = t.staff_post(&officer, &format!("{page}/submit"), &[]).await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let appraiser = t.staff("td", "appraiser", None).await;
    assign_everything(&t, c, &set, "td").await;
    let r = t.staff_get(&appraiser, &page).await;
    assert_eq!(r.status, 200);
    let rows: Vec<String> = r
        .body
        .split("name=\"d.")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect();
    // Every criterion of a department: the bonus and deduction items name
    // none, so no appraiser is assigned to them (noticed, left as it is).
    let assigned: Vec<String> = set
        .criteria_set_for("co_quan")
        .unwrap()
        .leaves()
        .filter(|l| !l.is_survey() && l.department.is_some())
        .map(|l| l.code.clone())
        .collect();
    assert_eq!(
        rows, assigned,
        "every assigned criterion in the appraisal grid"
    );
    // One value per field, the later one winning, as the grid sends them.
    let mut decisions: Vec<(String, String)> = Vec::new();
    let put = |decisions: &mut Vec<(String, String)>, k: String, v: &str| match decisions
        .iter_mut()
        .find(|(o, _)| *o == k)
    {
        Some(slot) => slot.1 = v.to_string(),
        None => decisions.push((k, v.to_string())),
    };
    for code in &assigned {
        put(&mut decisions, format!("d.{code}"), "accept");
    }
    put(&mut decisions, "d.1.2".into(), "change");
    put(&mut decisions, "ap.1.2".into(), "1");
    // The evidence judgement by its name, as the grid's select sends it.
    put(&mut decisions, "ev.1.2".into(), "as_given");
    put(&mut decisions, format!("d.{second}"), "change");
    put(&mut decisions, format!("ap.{second}"), "một");
    let post_decisions = |pairs: Vec<(String, String)>| {
        let (t, appraiser, path) = (&t, &appraiser, format!("{page}/appraisals"));
        async move {
            let refs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            t.staff_post(appraiser, &path, &refs).await
        }
    };
    let before = audit();
    let r = post_decisions(decisions.clone()).await;
    assert_eq!(r.status, 422, "{backend:?} {}", r.body);
    assert!(
        r.body.contains("2 tiêu chí chưa hợp lệ; chưa lưu dòng nào"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("điểm thẩm định 1 khác điểm tự chấm 1.5 nên phải ghi lý do"),
        "{}",
        r.body
    );
    assert!(r.body.contains("&quot;một&quot; không phải là số điểm"));
    assert!(r.body.contains("value=\"một\""), "typed values come back");
    assert_eq!(audit(), before, "{backend:?}: no decision stored");
    let view = appraisal::view(&t.app, &on, chiso::service::now()).unwrap();
    assert!(view.nodes.iter().all(|n| !n.appraised));

    put(
        &mut decisions,
        "why.1.2".into(),
        "Kế hoạch thiếu 2 nhiệm vụ",
    );
    put(&mut decisions, format!("ap.{second}"), "0");
    let r = post_decisions(decisions.clone()).await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let view = appraisal::view(&t.app, &on, chiso::service::now()).unwrap();
    let appraised = view
        .nodes
        .iter()
        .filter(|n| n.leaf && !n.survey && n.appraised)
        .count();
    assert_eq!(appraised, assigned.len(), "{backend:?}");
    let n12 = view.nodes.iter().find(|n| n.code == "1.2").unwrap();
    assert_eq!(n12.score.as_deref(), Some("1"));
    assert_eq!(
        n12.appraisal_reason.as_deref(),
        Some("Kế hoạch thiếu 2 nhiệm vụ")
    );
    // The same decisions again change nothing.
    let after = audit();
    let r = post_decisions(decisions.clone()).await;
    assert_eq!(r.status, 303);
    assert_eq!(
        audit(),
        after,
        "{backend:?}: unchanged decisions leave no audit row"
    );
}

per_backend!(async a_dossier_is_filled_and_appraised_from_one_excel_sheet);
/// Issue 17: "A scoring sheet per unit type downloadable as XLSX from the
/// profile (criteria, names, maxima, locked structure, input cells), filled
/// in Excel and uploaded back; errors name the cell (`Sheet!D14: vượt mức
/// tối đa 2`), nothing is kept on error … The same import for appraisers'
/// scores." The officer downloads the unit's sheet, fills every criterion,
/// uploads it: two wrong cells are named by address and nothing is stored;
/// fixed, the same file stores every row. The appraiser does the same with
/// the appraisal sheet.
async fn a_dossier_is_filled_and_appraised_from_one_excel_sheet(backend: Backend) {
    use crate::support::xlsx::{fill, read_sheet, Fill};
    let (t, q, c, unit) = ninh_hoa_open_for_dossiers(backend).await;
    let officer = t.staff("cb-tp", "unit_officer", Some("NH-TP")).await;
    let page = format!("/staff/campaigns/{c}/dossiers/{unit}");
    let audit = || {
        use chiso::storage::schema::audit_log;
        audit_log::table
            .count()
            .get_result::<i64>(&mut chiso::storage::connect(t.app.database_url()).unwrap())
            .unwrap()
    };
    let set = profile(q.path());
    let leaves = appraised_leaves(&set);

    // The page offers the sheet; it is an XLSX with the criteria tree.
    let r = t.staff_get(&officer, &page).await;
    assert!(r.body.contains(&format!("{page}/sheet")), "{}", r.body);
    let (status, kind, sheet) = t.staff_bytes(&officer, &format!("{page}/sheet")).await;
    assert_eq!(status, 200, "{backend:?}");
    assert_eq!(
        kind,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let cells = read_sheet(&sheet, "Tu_cham");
    assert_eq!(cells[4][0], "Mã tiêu chí");
    let row_of = |code: &str| -> usize {
        cells
            .iter()
            .position(|r| r[0] == code)
            .unwrap_or_else(|| panic!("no row for {code}"))
    };
    for (code, max, _) in &leaves {
        let r = row_of(code);
        assert_eq!(
            Points::parse(&cells[r][2]).unwrap(),
            *max,
            "the maximum of {code} is a number in column C"
        );
        assert_eq!(cells[r][3], "", "{code} not yet scored");
    }
    // Locked structure, open input cells, Excel's own check of the maximum.
    let xml = {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(sheet.clone())).unwrap();
        let mut s = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    assert!(xml.contains("<sheetProtection"), "the structure is locked");
    assert!(
        xml.contains("type=\"decimal\""),
        "points are checked in Excel"
    );

    // Every criterion filled; two wrong cells.
    let (first, second) = (leaves[0].0.clone(), leaves[1].0.clone());
    let address = |code: &str, col: char| format!("{col}{}", row_of(code) + 1);
    let mut filled: Vec<(String, Fill)> = Vec::new();
    for (code, _, _) in &leaves {
        filled.push((address(code, 'D'), Fill::Number(0.0)));
        filled.push((address(code, 'E'), Fill::Text("Đã thực hiện")));
    }
    let set_cell = |filled: &mut Vec<(String, Fill<'static>)>, at: String, v: Fill<'static>| {
        filled.iter_mut().find(|(a, _)| *a == at).unwrap().1 = v;
    };
    set_cell(&mut filled, address(&first, 'D'), Fill::Number(99.0));
    set_cell(&mut filled, address(&second, 'D'), Fill::Text("2,5,1"));
    set_cell(&mut filled, address("1.2", 'D'), Fill::Text("1,5"));
    filled.push((
        address("1.2", 'F'),
        Fill::Text("Kế hoạch 12/KH-UBND ngày 10/01"),
    ));
    let upload = |bytes: Vec<u8>, loai: &'static str, who: &StaffLogin| {
        let (t, path, who) = (&t, format!("{page}/sheet?loai={loai}"), who.clone());
        async move {
            t.staff_multipart(
                &who,
                Some(&who.csrf),
                &path,
                &[],
                Some(("bang-diem.xlsx", &bytes)),
            )
            .await
        }
    };
    // A file that is no workbook: the staff's error page, with a way back.
    let r = t
        .staff_multipart(
            &officer,
            Some(&officer.csrf),
            &format!("{page}/sheet"),
            &[],
            Some(("bang-diem.pdf", b"%PDF-1.4\n")),
        )
        .await;
    assert_eq!(r.status, 415, "{backend:?} {}", r.body);
    assert!(
        r.body.contains("chiso · Sở Nội vụ"),
        "staff layout: {}",
        r.body
    );
    assert!(
        r.text().contains(&format!(
            "<a href=\"{page}\">← Quay lại hồ sơ của đơn vị</a>"
        )),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("<title>Lỗi: Loại tệp không được nhận"),
        "{}",
        r.body
    );
    let before = audit();
    let r = upload(
        fill(&sheet, "xl/worksheets/sheet1.xml", &filled),
        "tu-cham",
        &officer,
    )
    .await;
    assert_eq!(r.status, 422, "{backend:?} {}", r.body);
    let words = r.words();
    assert!(
        words.contains(&format!(
            "Tu_cham!{}: Tiêu chí \"{first}\": 99 điểm vượt điểm tối đa",
            address(&first, 'D')
        )),
        "{words}"
    );
    assert!(
        words.contains(&format!(
            "Tu_cham!{}: \"2,5,1\" không phải là số điểm",
            address(&second, 'D')
        )),
        "{words}"
    );
    assert_eq!(audit(), before, "{backend:?}: nothing stored");

    // Fixed in the same file: every row stored, the text "1,5" as 1.5.
    set_cell(&mut filled, address(&first, 'D'), Fill::Number(0.0));
    set_cell(&mut filled, address(&second, 'D'), Fill::Number(0.0));
    let r = upload(
        fill(&sheet, "xl/worksheets/sheet1.xml", &filled),
        "tu-cham",
        &officer,
    )
    .await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let officer_user = staff_user(&t.app, "cb-tp");
    let on = appraisal::On {
        data_dir: t.data.path(),
        who: &officer_user,
        campaign_id: c,
        unit_id: UnitId(unit),
    };
    let view = appraisal::view(&t.app, &on, chiso::service::now()).unwrap();
    assert_eq!(
        view.nodes
            .iter()
            .filter(|n| n.self_points.is_some())
            .count(),
        leaves.len()
    );
    let n12 = view.nodes.iter().find(|n| n.code == "1.2").unwrap();
    assert_eq!(n12.self_points.as_deref(), Some("1.5"));
    assert_eq!(
        n12.evidence.as_ref().and_then(|e| e.reference.as_deref()),
        Some("Kế hoạch 12/KH-UBND ngày 10/01")
    );
    // Downloaded again, the sheet holds what is stored, as numbers.
    let (_, _, again) = t.staff_bytes(&officer, &format!("{page}/sheet")).await;
    let cells = read_sheet(&again, "Tu_cham");
    assert_eq!(cells[row_of("1.2")][3], "1.5");

    // The appraiser's sheet: a changed score without a reason is named by
    // its cell; with the reason every assigned criterion is stored.
    let r = t.staff_post(&officer, &format!("{page}/submit"), &[]).await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let appraiser = t.staff("td", "appraiser", None).await;
    assign_everything(&t, c, &set, "td").await;
    let (status, _, asheet) = t
        .staff_bytes(&appraiser, &format!("{page}/sheet?loai=tham-dinh"))
        .await;
    assert_eq!(status, 200);
    let assigned: Vec<String> = set
        .criteria_set_for("co_quan")
        .unwrap()
        .leaves()
        .filter(|l| !l.is_survey() && l.department.is_some())
        .map(|l| l.code.clone())
        .collect();
    let mut decisions: Vec<(String, Fill)> = assigned
        .iter()
        .map(|code| (address(code, 'G'), Fill::Text("Giữ điểm tự chấm")))
        .collect();
    set_cell(&mut decisions, address("1.2", 'G'), Fill::Text("Chấm lại"));
    decisions.push((address("1.2", 'H'), Fill::Number(1.0)));
    let before = audit();
    let r = upload(
        fill(&asheet, "xl/worksheets/sheet1.xml", &decisions),
        "tham-dinh",
        &appraiser,
    )
    .await;
    assert_eq!(r.status, 422, "{backend:?} {}", r.body);
    assert!(
        r.words().contains(&format!(
            "Tham_dinh!{}: Tiêu chí \"1.2\": điểm thẩm định 1 khác điểm tự chấm 1.5 nên phải ghi lý do",
            address("1.2", 'G')
        )),
        "{}",
        r.words()
    );
    assert_eq!(audit(), before, "{backend:?}: no decision stored");
    // An officer cannot upload the appraisers' sheet.
    let r = upload(
        fill(&asheet, "xl/worksheets/sheet1.xml", &decisions),
        "tham-dinh",
        &officer,
    )
    .await;
    assert_eq!(r.status, 403, "{backend:?} {}", r.body);
    decisions.push((address("1.2", 'J'), Fill::Text("Kế hoạch thiếu 2 nhiệm vụ")));
    let r = upload(
        fill(&asheet, "xl/worksheets/sheet1.xml", &decisions),
        "tham-dinh",
        &appraiser,
    )
    .await;
    assert_eq!(r.status, 303, "{backend:?} {}", r.body);
    let view = appraisal::view(&t.app, &on, chiso::service::now()).unwrap();
    assert_eq!(
        view.nodes
            .iter()
            .filter(|n| n.leaf && !n.survey && n.appraised)
            .count(),
        assigned.len()
    );
    let n12 = view.nodes.iter().find(|n| n.code == "1.2").unwrap();
    assert_eq!(n12.score.as_deref(), Some("1"));

    // The blank sheet of the unit type, from the campaign page.
    let admin = t.staff("qt", "admin", None).await;
    let r = t.staff_get(&admin, &format!("/staff/campaigns/{c}")).await;
    assert!(
        r.body
            .contains(&format!("/staff/campaigns/{c}/scoring-sheets/")),
        "{}",
        r.body
    );
    let (status, _, blank) = t
        .staff_bytes(
            &admin,
            &format!("/staff/campaigns/{c}/scoring-sheets/co_quan"),
        )
        .await;
    assert_eq!(status, 200);
    let cells = read_sheet(&blank, "Tu_cham");
    assert!(leaves
        .iter()
        .all(|(code, _, _)| cells.iter().any(|r| r[0] == *code)));
}
