use super::*;
use crate::points::Points;
use chrono::NaiveDate;

pub(crate) const SHIPPED: [(&str, &str); 4] = [
    (
        "son-la-2021",
        include_str!("../../../../questionnaires/profiles/son-la-2021.toml"),
    ),
    (
        "ninh-hoa-2021",
        include_str!("../../../../questionnaires/profiles/ninh-hoa-2021.toml"),
    ),
    (
        "thai-binh-2021",
        include_str!("../../../../questionnaires/profiles/thai-binh-2021.toml"),
    ),
    (
        "hai-phong-2025",
        include_str!("../../../../questionnaires/profiles/hai-phong-2025.toml"),
    ),
];

fn shipped(code: &str) -> Profile {
    let src = SHIPPED.iter().find(|(c, _)| *c == code).unwrap().1;
    parse_profile(src).unwrap_or_else(|d| {
        panic!(
            "{code}:\n{}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

#[test]
fn every_shipped_profile_parses_without_diagnostics() {
    for (code, src) in SHIPPED {
        let p = parse_profile(src).unwrap_or_else(|d| {
            panic!(
                "{code}:\n{}",
                d.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        assert_eq!(p.code, code);
    }
}

#[test]
fn shipped_profiles_hold_the_regulations_numbers() {
    let sl = shipped("son-la-2021");
    assert_eq!(sl.points.appraised, Some(Points::from_int(70)));
    assert_eq!(sl.points.survey, Some(Points::from_int(30)));
    assert_eq!(sl.bands.on, BandBasis::Index);
    let mins: Vec<String> = sl.bands.levels.iter().map(|b| b.min.to_string()).collect();
    assert_eq!(mins, ["90", "70", "50", "0"]);
    for set in &sl.criteria_sets {
        assert_eq!(set.leaf_max(Kind::Regular, false), Points::from_int(70));
        assert_eq!(set.leaf_max(Kind::Regular, true), Points::from_int(30));
        assert_eq!(set.fields().count(), 8);
    }
    assert!(sl.is_example(Part::Criteria));

    let nh = shipped("ninh-hoa-2021");
    assert_eq!(
        nh.appraisal.supplement_factor,
        Factor::from_f64(0.7).unwrap()
    );
    assert_eq!(nh.points.bonus_cap, Points::from_int(5));
    assert_eq!(nh.bands.on, BandBasis::Pari);
    let late = nh.appraisal.late.as_ref().unwrap();
    assert_eq!(late.grace_days, 2);
    assert_eq!(late.points_per_day, Points::from_int(1));
    assert_eq!(
        nh.deadline(&late.deadline).unwrap().rule,
        DateRule::Yearly {
            day: 8,
            month: 12,
            next_year: false
        }
    );
    assert_eq!(nh.criteria_sets.len(), 5);
    let pl3 = nh.criteria_set_for("phuong").unwrap();
    assert_eq!(pl3.appendix.as_deref(), Some("Phụ lục 3"));
    // Art. 5.3: communes' ISO is appraised by Phòng Kinh tế, agencies' by Văn phòng.
    assert_eq!(
        pl3.get("7.5").unwrap().department.as_deref(),
        Some("kinh_te")
    );
    let pl1 = nh.criteria_set_for("co_quan").unwrap();
    assert_eq!(
        pl1.get("7.5").unwrap().department.as_deref(),
        Some("van_phong")
    );
    assert_eq!(
        pl1.get("1.5").unwrap().department.as_deref(),
        Some("van_phong")
    );
    assert_eq!(
        pl1.get("1.1.2").unwrap().department.as_deref(),
        Some("noi_vu")
    );
    assert_eq!(pl1.get("9.2").unwrap().kind, Kind::Bonus);
    assert_eq!(pl1.dossier().unwrap().code, "1.8");

    let tb = shipped("thai-binh-2021");
    let HeadRatingScheme::ThaiBinh2021(r) = &tb.head_rating else {
        panic!("Thái Bình scheme")
    };
    assert_eq!((r.rising_years, r.falling_years), (2, 2));
    assert_eq!(r.thresholds.completed, Points::from_int(60));
    assert_eq!(tb.explain.report_days, Some(30));
    let years: Vec<u32> = tb.explain.sanctions.iter().map(|s| s.after_years).collect();
    assert_eq!(years, [1, 2, 3]);
    let tinh = tb.criteria_set_for("tinh").unwrap();
    for (field, dept) in [
        ("1", "noi_vu"),
        ("2", "tu_phap"),
        ("3", "van_phong"),
        ("4", "noi_vu"),
        ("5", "noi_vu"),
        ("6", "tai_chinh"),
        ("7", "tttt"),
        ("8", "khdt"),
    ] {
        assert_eq!(
            tinh.get(field).unwrap().department.as_deref(),
            Some(dept),
            "field {field}"
        );
    }

    let hp = shipped("hai-phong-2025");
    let HeadRatingScheme::HaiPhong2025(r) = &hp.head_rating else {
        panic!("Hải Phòng scheme")
    };
    let cut = |m: &BTreeMap<String, u32>| -> Vec<u32> {
        ["so", "phuong", "xa_dac_khu"]
            .iter()
            .map(|b| m[*b])
            .collect()
    };
    assert_eq!(cut(&r.excellent_rank), [3, 10, 15]);
    assert_eq!(cut(&r.good_rank), [8, 24, 38]);
    assert_eq!(
        (
            r.thresholds.excellent,
            r.thresholds.good,
            r.thresholds.completed
        ),
        (
            Points::from_int(90),
            Points::from_int(80),
            Points::from_int(75)
        )
    );
    assert_eq!(hp.criteria_set_for("dac_khu").unwrap().code, "xa_dac_khu");
    // Tết Ất Tỵ falls on 29/1/2025 and the swapped Saturday 26/4 is worked.
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    assert!(!hp.calendar.is_working_day(d("2025-01-29")));
    assert!(hp.calendar.is_working_day(d("2025-04-26")));
    assert_eq!(
        hp.calendar.effective_deadline(d("2025-04-30")),
        d("2025-05-05")
    );
}

const GOOD: &str = r#"code = "thu-2021"
name = "Hồ sơ thử"
year = 2021
regulation = "Quyết định thử"

[points]
total = 10
appraised = 7
survey = 3

[departments]
noi_vu = "Sở Nội vụ"

[ranking]
blocks = [
  { code = "so", name = "Khối sở" },
  { code = "phuong", name = "Khối phường" },
]

[bands]
on = "index"
levels = [
  { label = "A", name = "Tốt", min = 9 },
  { label = "B", name = "Khá", min = 5 },
  { label = "C", name = "Yếu", min = 0 },
]

[survey]
open_links = "exclude"
below_minimum = "flag"
min_valid = { citizen = 30 }

[appraisal]
supplement_factor = 0.7

[appraisal.late]
points_per_day = 1
grace_days = 2
deadline = "self_assessment"

[[deadlines]]
code = "self_assessment"
name = "Nộp hồ sơ"
date = 2021-12-08

[calendar]
holidays = [{ date = 2021-09-02, name = "Quốc khánh" }]

[head_rating]
scheme = "hai_phong_2025"
blocks = ["so", "phuong"]
excellent_min = 9
good_min = 8
completed_min = 7.5
excellent_rank = { so = 1, phuong = 2 }
good_rank = { so = 2, phuong = 3 }

[[criteria_sets]]
code = "so"
name = "Bộ tiêu chí sở"
unit_types = ["so", "phuong"]
criteria = [
  { code = "1", name = "Chỉ đạo", max = 4, department = "noi_vu" },
    { code = "1.1", name = "Kế hoạch", max = 2.5, evidence = true },
    { code = "1.2", name = "Hồ sơ", max = 1.5, dossier = true },
  { code = "2", name = "Tác động", max = 6, department = "noi_vu" },
    { code = "2.1", name = "Tổ chức", max = 3 },
    { code = "2.2", name = "Hài lòng", max = 3, survey = { citizen = 0.6, business = 0.4 } },
]
"#;

fn errors(src: &str) -> Vec<String> {
    parse_profile(src)
        .expect_err("should fail")
        .iter()
        .map(|d| d.to_string())
        .collect()
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines().position(|l| l.contains(needle)).expect(needle) + 1
}

fn has(errs: &[String], line: usize, text: &str) -> bool {
    errs.iter()
        .any(|e| e.starts_with(&format!("{line}: ")) && e.contains(text))
}

#[test]
fn a_good_profile_parses_into_a_tree() {
    let p = parse_profile(GOOD).unwrap();
    let set = p.criteria_set_for("phuong").unwrap();
    assert_eq!(
        set.fields().map(|f| f.code.as_str()).collect::<Vec<_>>(),
        ["1", "2"]
    );
    let c = set.get("2.2").unwrap();
    assert!(c.is_survey());
    assert_eq!(c.level(), Level::Criterion);
    assert_eq!(c.department.as_deref(), Some("noi_vu"));
    assert_eq!(set.field_of("1.2").unwrap().code, "1");
    assert!(set.get("1.1").unwrap().needs_evidence());
    assert!(!set.get("2.1").unwrap().needs_evidence());
    assert_eq!(set.get("1.1").unwrap().line, line_of(GOOD, "\"1.1\""));
    assert_eq!(p.ranking.tie_break, TieBreak::Shared);
    assert_eq!(
        p.calendar.weekend,
        [chrono::Weekday::Sat, chrono::Weekday::Sun]
    );
    assert_eq!(
        p.survey
            .as_ref()
            .unwrap()
            .min_valid(RespondentGroup::Citizen),
        30
    );
    assert_eq!(
        p.survey
            .as_ref()
            .unwrap()
            .min_valid(RespondentGroup::Leader),
        1
    );
}

#[test]
fn maxima_that_do_not_add_up_are_reported_at_the_parent_and_the_set() {
    let src = GOOD.replace("max = 2.5, evidence", "max = 2, evidence");
    let errs = errors(&src);
    let parent = line_of(&src, "code = \"1\",");
    assert!(
        has(
            &errs,
            parent,
            "điểm tối đa của \"1\" là 4 nhưng các tiêu chí con cộng lại được 3.5"
        ),
        "{errs:?}"
    );
    // The field totals still add up (4 + 6), but the appraised leaves no longer make 7.
    let set = line_of(&src, "[[criteria_sets]]");
    assert!(has(&errs, set, "points.appraised"), "{errs:?}");

    let src = GOOD
        .replace("max = 6, department", "max = 7, department")
        .replace(
            "{ code = \"2.1\", name = \"Tổ chức\", max = 3 }",
            "{ code = \"2.1\", name = \"Tổ chức\", max = 4 }",
        );
    let errs = errors(&src);
    assert!(
        has(
            &errs,
            set,
            "tổng điểm phải là 10 nhưng các lĩnh vực cộng lại được 11"
        ),
        "{errs:?}"
    );
}

#[test]
fn every_problem_comes_back_in_one_pass_with_its_line() {
    let src = GOOD
        .replace(
            "{ code = \"2.1\", name = \"Tổ chức\"",
            "{ code = \"1.1\", name = \"Tổ chức\"",
        )
        .replace(
            "excellent_rank = { so = 1, phuong = 2 }",
            "excellent_rank = { so = 1, phuong = 2, huyen = 1 }",
        )
        .replace("good_min = 8", "good_min = 9.5")
        .replace("supplement_factor = 0.7", "supplement_factor = 1.2")
        .replace(
            "{ label = \"B\", name = \"Khá\", min = 5 }",
            "{ label = \"B\", name = \"Khá\", min = 9.5 }",
        )
        .replace(
            "regulation = \"Quyết định thử\"",
            "regulation = \"Quyết định thử\"\ncolour = \"red\"",
        )
        .replace(
            "survey = { citizen = 0.6, business = 0.4 }",
            "survey = { citizen = 0.6, voter = 0.4 }",
        )
        .replace(
            "{ code = \"1.2\", name = \"Hồ sơ\"",
            "{ code = \"3.2\", name = \"Hồ sơ\"",
        );
    let errs = errors(&src);
    let joined = errs.join("\n");
    for (needle, text) in [
        ("colour", "khóa không được hỗ trợ \"colour\""),
        (
            "code = \"1.1\", name = \"Tổ chức\"",
            "trùng mã tiêu chí \"1.1\"",
        ),
        ("huyen = 1", "khối \"huyen\" không có trong ranking.blocks"),
        ("supplement_factor = 1.2", "phải lớn hơn 0 và không quá 1"),
        ("min = 9.5", "ngưỡng xếp loại phải giảm dần"),
        ("voter", "nhóm đối tượng \"voter\" không hợp lệ"),
        ("code = \"3.2\"", "thiếu tiêu chí cha \"3\""),
    ] {
        assert!(
            has(&errs, line_of(&src, needle), text),
            "{needle}: {joined}"
        );
    }
    assert!(joined.contains("ngưỡng điểm phải giảm dần"), "{joined}");
    let lines: Vec<usize> = errs
        .iter()
        .map(|e| e.split(':').next().unwrap().parse().unwrap())
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "sorted: {lines:?}");
}

#[test]
fn a_campaigns_year_must_suit_the_profile() {
    // The seeds write deadlines "hàng năm": a yearly rule serves every year
    // from the regulation's on; a fixed date serves its own year only.
    let nh = shipped("ninh-hoa-2021");
    assert!(nh.check_year(2021).is_empty());
    assert!(nh.check_year(2026).is_empty());
    let before = nh.check_year(2020);
    assert!(before[0].contains("áp dụng từ năm 2021"), "{before:?}");
    let fixed = parse_profile(GOOD).unwrap();
    assert!(fixed.check_year(fixed.year).is_empty());
    let other = fixed.check_year(fixed.year + 1);
    assert!(
        other
            .iter()
            .any(|p| p.contains("ngày 08/12/2021 (cố định)") && p.contains("yearly = \"dd/mm\"")),
        "{other:?}"
    );
    // No holidays listed for 2026: the campaign page says deadlines move
    // only off weekends.
    let notes = nh.calendar_notes(2026);
    assert!(notes[0].contains("không có năm 2026"), "{notes:?}");
    assert!(nh.calendar_notes(2021).is_empty());
}

#[test]
fn other_refusals() {
    for (from, to, text) in [
        (
            "department = \"noi_vu\" },\n    { code = \"1.1\"",
            "department = \"tai_chinh\" },\n    { code = \"1.1\"",
            "department \"tai_chinh\" chưa khai báo",
        ),
        (
            "{ code = \"1\", name = \"Chỉ đạo\", max = 4, department = \"noi_vu\" }",
            "{ code = \"1\", name = \"Chỉ đạo\", max = 4 }",
            "thiếu department",
        ),
        (
            "dossier = true",
            "evidence = false",
            "cần một tiêu chí dossier = true",
        ),
        (
            "deadline = \"self_assessment\"",
            "deadline = \"nop\"",
            "\"nop\" không có trong deadlines",
        ),
        (
            "[calendar]",
            "[calendar]\nextra_working_days = [2021-12-08]",
            "đã là ngày làm việc",
        ),
        (
            "good_rank = { so = 2, phuong = 3 }",
            "good_rank = { so = 2 }",
            "good_rank thiếu khối \"phuong\"",
        ),
        (
            "good_rank = { so = 2, phuong = 3 }",
            "good_rank = { so = 2, phuong = 1 }",
            "không được nhỏ hơn excellent_rank",
        ),
        (
            "{ label = \"C\", name = \"Yếu\", min = 0 }",
            "{ label = \"C\", name = \"Yếu\", min = 1 }",
            "phải có min = 0",
        ),
        (
            "citizen = 0.6, business = 0.4",
            "citizen = 0.6, business = 0.3",
            "cộng lại bằng 1",
        ),
        (
            "{ code = \"2.1\", name = \"Tổ chức\", max = 3 }",
            "{ code = \"2.1\", name = \"Tổ chức\", max = 3, kind = \"bonus\" }",
            "chỉ đặt ở lĩnh vực",
        ),
        (
            "max = 2.5, evidence",
            "max = 2.5, survey = { citizen = 1 }, evidence",
            "không có tài liệu kiểm chứng",
        ),
        (
            "max = 4, department",
            "max = 4, evidence = true, department",
            "có tiêu chí con nên không đặt evidence",
        ),
        (
            "scheme = \"hai_phong_2025\"",
            "scheme = \"thai_binh_2021\"",
            "excellent_rank không dùng cho scheme",
        ),
        (
            "code = \"thu-2021\"",
            "code = \"Thử 2021\"",
            "chỉ được dùng chữ thường",
        ),
        (
            "total = 10",
            "total = 10\nbonus_cap = 1",
            "appraised (7) + survey (3) + bonus_cap (1) phải bằng total (10)",
        ),
        (
            "max = 2.5, evidence",
            "max = 2.5000001, evidence",
            "quá 6 chữ số thập phân",
        ),
        (
            "date = 2021-12-08",
            "date = 2021-12-08T08:00:00",
            "phải là một ngày",
        ),
        (
            "date = 2021-12-08",
            "yearly = \"29/02\"",
            "29/02 không có mọi năm",
        ),
        (
            "date = 2021-12-08",
            "yearly = \"08/12\"\ndate = 2021-12-08",
            "chọn một",
        ),
        (
            "date = 2021-12-08",
            "yearly = \"08/12\"\nin_year = \"sau\"",
            "in_year \"sau\" không hợp lệ",
        ),
        ("date = 2021-12-08", "name2 = \"x\"", "hạn thiếu ngày"),
        (
            "date = 2021-12-08",
            "after = \"self_assessment\"\ndays = 3",
            "không có hạn mã này ở trước",
        ),
        (
            "date = 2021-12-08",
            "yearly = \"08/12\"\ndays = 3",
            "days chỉ dùng với after",
        ),
    ] {
        assert!(GOOD.contains(from), "{from}");
        let src = GOOD.replacen(from, to, 1);
        let joined = errors(&src).join("\n");
        assert!(joined.contains(text), "{to} → {text}:\n{joined}");
    }
}

#[test]
fn a_shape_error_names_its_line() {
    let src = GOOD.replace("total = 10", "total = \"mười\"");
    let errs = errors(&src);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with(&format!("{}: TOML không hợp lệ", line_of(&src, "mười"))),
        "{errs:?}"
    );
}

#[test]
fn truncated_and_mangled_files_never_panic() {
    for (_, src) in SHIPPED.iter().take(2) {
        let cuts: Vec<usize> = src.match_indices('\n').map(|(i, _)| i).step_by(7).collect();
        for cut in cuts {
            let _ = parse_profile(&src[..cut]);
            let _ = parse_profile(&src[cut..]);
        }
    }
    for (from, to) in [
        ("max = ", "max = -"),
        ("= 1", "= 1e400"),
        ("\"1\"", "\"\""),
        ("min = ", "min = 1e-9 + "),
    ] {
        let _ = parse_profile(&GOOD.replace(from, to));
    }
}

#[test]
fn thai_binh_names_the_set_of_items_heads_answer_for() {
    let src = include_str!("../../../../questionnaires/profiles/thai-binh-2021.toml");
    let missing = src.replace("items_set = \"tinh\"", "");
    let e = parse_profile(&missing).unwrap_err();
    assert!(
        e.iter()
            .any(|d| d.message.contains("thiếu head_rating.items_set")),
        "{e:?}"
    );
    let wrong = src.replace("items_set = \"tinh\"", "items_set = \"xa\"");
    let e = parse_profile(&wrong).unwrap_err();
    assert!(
        e.iter()
            .any(|d| d.message.contains("không có bộ tiêu chí \"xa\"")),
        "{e:?}"
    );
}

#[test]
fn a_deadline_can_count_days_from_an_earlier_one() {
    // "trong thời hạn 10 ngày kể từ ngày …": an offset, in the campaign's year.
    let src = GOOD.replacen("date = 2021-12-08", "yearly = \"08/12\"", 1).replacen(
        "[calendar]",
        "[[deadlines]]\ncode = \"appraisal\"\nname = \"Thẩm định\"\nafter = \"self_assessment\"\ndays = 10\n\n[calendar]",
        1,
    );
    let p = parse_profile(&src).unwrap_or_else(|e| panic!("{e:?}"));
    let d = p.deadline("appraisal").unwrap();
    assert_eq!(
        d.rule.on(2026, &p.deadlines),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 18).unwrap()
    );
    assert_eq!(
        d.rule.describe(&p.deadlines),
        "10 ngày sau hạn \"Nộp hồ sơ\""
    );
    assert!(p.check_year(2026).is_empty(), "{:?}", p.check_year(2026));
}

#[test]
fn a_quota_names_every_unit_type_its_group_rates() {
    // Thái Bình's huyện block is surveyed like the others: without a quota
    // for `huyen` a draw that includes a huyện fails, so the file is refused.
    let src = SHIPPED[2].1.replace(
        "quota = { tinh = 30, so = 20, huyen = 20 }",
        "quota = { tinh = 30, so = 20 }",
    );
    let errs = errors(&src);
    let line = line_of(&src, "[sampling.civil_servant]");
    assert!(
        has(
            &errs,
            line,
            "sampling.civil_servant: quota thiếu loại đơn vị \"huyen\""
        ),
        "{errs:?}"
    );
    // The shipped file has it, for the leaders too.
    let tb = shipped("thai-binh-2021");
    for group in [
        crate::questionnaire::RespondentGroup::CivilServant,
        crate::questionnaire::RespondentGroup::Leader,
    ] {
        match &tb.sampling[&group].size {
            crate::sampling::SizeRule::Quota(q) => assert!(q.contains_key("huyen"), "{group:?}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn an_encouragement_item_is_marked_at_any_level_and_inherited() {
    // Thái Bình art. 17.1.d: "trừ tiêu chí liên quan đến điểm khuyến khích
    // như: Các sáng kiến, giải pháp mới mang lại hiệu quả thực tế".
    let tb = shipped("thai-binh-2021");
    let set = tb.criteria_set("tinh").unwrap();
    assert!(set.get("1.7").unwrap().encouragement);
    assert_eq!(set.get("1.7").unwrap().kind, Kind::Regular);
    assert!(!set.get("1").unwrap().encouragement);
    assert!(!set.get("1.6").unwrap().encouragement);
}

#[test]
fn the_leaders_rate_every_block_of_each_shipped_profile() {
    // Sơn La and Thái Bình 2021 rank a huyện block whose leader criteria
    // (1.4, 2.2, 3.3, 7.4) need leaders of other units to rate it.
    let leader_so = include_str!("../../../../questionnaires/leader_so.toml");
    let leader_commune = include_str!("../../../../questionnaires/leader_commune.toml");
    let parse = |s: &str| crate::questionnaire::parse_questionnaire(s).unwrap();
    let (so, commune) = (parse(leader_so), parse(leader_commune));
    for (code, _) in SHIPPED {
        let p = shipped(code);
        assert_eq!(unrated_blocks(&p, &[&so, &commune]), vec![], "{code}");
    }
    let narrow = parse(&leader_so.replace(
        "rated_blocks = [\"huyen\", \"phuong\", \"xa_dac_khu\"]",
        "rated_blocks = [\"phuong\", \"xa_dac_khu\"]",
    ));
    let gaps = unrated_blocks(&shipped("son-la-2021"), &[&narrow, &commune]);
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!(gaps[0].message().contains("khối \"huyen\""));
}

#[test]
fn how_answers_become_points_is_the_profiles_named_setting() {
    // No seed states how an answer becomes points: the profile names each
    // scale's scores (`survey.scales`), and they replace the questionnaire's.
    let cs = crate::questionnaire::parse_questionnaire(include_str!(
        "../../../../questionnaires/civil_servant.toml"
    ))
    .unwrap();
    let hp = shipped("hai-phong-2025");
    let scales = &hp.survey.as_ref().unwrap().scales;
    assert_eq!(scales["dong_y"], vec![0.0, 0.0, 0.5, 1.0, 1.0]);
    let likert = cs
        .questions()
        .find(|q| matches!(&q.kind, crate::questionnaire::QuestionKind::Likert { scale, .. } if scale == "dong_y"))
        .unwrap()
        .code
        .clone();
    let phan_van = |q: &crate::questionnaire::Questionnaire| {
        q.questions().find(|x| x.code == likert).unwrap().score("3")
    };
    assert_eq!(phan_van(&cs.with_scale_scores(scales).unwrap()), Some(0.5));
    // A province that counts "Phân vân" as 0 says so, and it counts.
    let mut strict = scales.clone();
    strict.insert("dong_y".into(), vec![0.0, 0.0, 0.0, 1.0, 1.0]);
    assert_eq!(phan_van(&cs.with_scale_scores(&strict).unwrap()), Some(0.0));
    // One score per answer level, or the questionnaire is refused.
    strict.insert("dong_y".into(), vec![0.0, 1.0]);
    assert!(cs.with_scale_scores(&strict).unwrap_err().contains("5 mức"));
    // A scale the profile does not name is reported by `chiso check`.
    let mut unnamed = hp.clone();
    unnamed.survey.as_mut().unwrap().scales.remove("dong_y");
    let problems = scale_problems(&unnamed, &[&cs]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("chưa đặt cách quy đổi thang đo \"dong_y\""));
    assert!(scale_problems(&hp, &[&cs]).is_empty());
}

#[test]
fn unit_types_are_named_once_in_the_profile_and_a_stray_code_is_refused_at_its_line() {
    let named = GOOD.replace(
        "[calendar]",
        "[unit_types]\nphuong = \"Phường\"\n\n[calendar]",
    );
    let p = parse_profile(&named).unwrap();
    assert_eq!(p.unit_type_name("phuong"), Some("Phường"));
    // A type the profile does not name has no name here; pages name it by
    // its criteria set instead.
    assert_eq!(p.unit_type_name("so"), None);
    let stray = GOOD.replace(
        "[calendar]",
        "[unit_types]\nphuongg = \"Phường\"\n\n[calendar]",
    );
    let errs = errors(&stray);
    assert!(
        has(
            &errs,
            line_of(&stray, "phuongg ="),
            "loại đơn vị \"phuongg\" không thuộc bộ tiêu chí nào (các loại: phuong, so)"
        ),
        "{errs:?}"
    );
    let empty = GOOD.replace("[calendar]", "[unit_types]\nso = \" \"\n\n[calendar]");
    assert!(has(
        &errors(&empty),
        line_of(&empty, "so = \" \""),
        "tên của \"so\" trống"
    ));
}

#[test]
fn every_unit_type_of_the_shipped_profiles_has_a_name() {
    for code in [
        "hai-phong-2025",
        "ninh-hoa-2021",
        "son-la-2021",
        "thai-binh-2021",
    ] {
        let p = shipped(code);
        for set in &p.criteria_sets {
            for t in &set.unit_types {
                assert!(p.unit_type_name(t).is_some(), "{code}: {t}");
            }
        }
    }
    assert_eq!(
        shipped("hai-phong-2025").unit_type_name("dac_khu"),
        Some("Đặc khu")
    );
}
