//! `chiso check` on province profiles and `chiso index compute`, as an
//! operator runs them: the real binary on small files.

use std::path::Path;
use std::process::Command;

fn chiso(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", "sqlite://unused.db")
        .output()
        .expect("run chiso");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn check_without_arguments_validates_the_shipped_profiles_too() {
    let (code, out, err) = chiso(&["check"]);
    assert_eq!(code, 0, "{err}");
    for name in [
        "son-la-2021",
        "ninh-hoa-2021",
        "thai-binh-2021",
        "hai-phong-2025",
    ] {
        assert!(
            out.contains(&format!(
                "questionnaires/profiles/{name}.toml: đúng — hồ sơ \"{name}\""
            )),
            "{out}"
        );
    }
    assert!(out.contains("questionnaires/citizen.toml: đúng"), "{out}");
    assert!(out.contains("người đứng đầu: hai_phong_2025"), "{out}");
}

const BROKEN: &str = r#"code = "hong-2021"
name = "Hồ sơ lỗi"
year = 2021
regulation = "Thử"

[points]
total = 10

[departments]
noi_vu = "Sở Nội vụ"

[ranking]
blocks = [{ code = "so", name = "Khối sở" }]

[bands]
on = "index"
levels = [
  { label = "A", name = "Tốt", min = 5 },
  { label = "B", name = "Khá", min = 7 },
]

[appraisal]
supplement_factor = 0

[calendar]

[head_rating]
scheme = "hai_phong_2025"
blocks = ["so"]
excellent_min = 9
good_min = 8
completed_min = 7
excellent_rank = { so = 1, huyen = 2 }
good_rank = { so = 2 }

[[criteria_sets]]
code = "so"
name = "Sở"
unit_types = ["so"]
criteria = [
  { code = "1", name = "Chỉ đạo", max = 6, department = "noi_vu" },
    { code = "1.1", name = "Kế hoạch", max = 2, colour = "đỏ" },
    { code = "1.1", name = "Báo cáo", max = 3 },
  { code = "2", name = "Tác động", max = 4, department = "tu_phap" },
]
"#;

#[test]
fn a_broken_profile_gets_every_problem_as_file_line_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "profiles/hong-2021.toml", BROKEN);
    let (code, out, err) = chiso(&["check", &path]);
    assert_ne!(code, 0, "{out}");
    let lines: Vec<&str> = err.lines().collect();
    for (line, text) in [
        (19, "ngưỡng xếp loại phải giảm dần"),
        (19, "phải có min = 0"),
        (23, "supplement_factor = 0 phải lớn hơn 0 và không quá 1"),
        (33, "khối \"huyen\" không có trong ranking.blocks"),
        (
            41,
            "điểm tối đa của \"1\" là 6 nhưng các tiêu chí con cộng lại được 2",
        ),
        (42, "khóa không được hỗ trợ \"colour\""),
        (43, "trùng mã tiêu chí \"1.1\" (đã có ở dòng 42)"),
        (44, "department \"tu_phap\" chưa khai báo"),
    ] {
        let prefix = format!("{path}:{line}: ");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&prefix) && l.contains(text)),
            "missing {prefix}{text} in:\n{err}"
        );
    }
    assert_eq!(lines.len(), 8, "one line per problem, no echoes:\n{err}");
    // The whole directory is checked the same way.
    let (code, _, dir_err) = chiso(&["check", &dir.path().join("profiles").display().to_string()]);
    assert_ne!(code, 0);
    assert_eq!(dir_err, err);
}

#[test]
fn a_profile_survey_criterion_without_a_question_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for q in ["citizen", "business", "civil_servant"] {
        std::fs::copy(
            root.join(format!("questionnaires/{q}.toml")),
            dir.path().join(format!("{q}.toml")),
        )
        .unwrap();
    }
    let profile =
        std::fs::read_to_string(root.join("questionnaires/profiles/son-la-2021.toml")).unwrap();
    let path = write(dir.path(), "profiles/son-la-2021.toml", &profile);
    let (code, _, err) = chiso(&["check", &dir.path().display().to_string()]);
    assert_ne!(code, 0);
    // Without the leader questionnaires, 1.4 (leader) feeds from nothing.
    let line = profile
        .lines()
        .position(|l| l.contains("code = \"1.4\""))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("{path}:{line}: bộ tiêu chí \"so\": tiêu chí khảo sát \"1.4\" có trọng số cho nhóm leader")),
        "{err}"
    );
}

#[test]
fn index_compute_prints_index_band_rank_and_rating() {
    let dir = tempfile::tempdir().unwrap();
    // BOM, a Vietnamese decimal comma, a tie at the 3rd place, 80–90 outside the band.
    let input = write(
        dir.path(),
        "scores.csv",
        "\u{feff}unit,name,block,appraised,survey\n\
         SNV,Sở Nội vụ,so,62.995,27\n\
         STP,Sở Tư pháp,so,62.994,27\n\
         STC,Sở Tài chính,so,\"63,5\",27\n\
         SXD,Sở Xây dựng,so,63.5,27\n\
         SYT,Sở Y tế,so,60,25\n\
         SCT,Sở Công Thương,so,60,24\n\
         S7,Sở 7,so,60,24\n\
         S8,Sở 8,so,60,24\n\
         S9,Sở 9,so,60,24\n\
         S10,Sở 10,so,59,24\n\
         P1,Phường Một,phuong,55,19.99\n",
    );
    let (code, out, err) = chiso(&[
        "index",
        "compute",
        "--profile",
        "hai-phong-2025",
        "--input",
        &input,
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Vec<String>> = out
        .lines()
        .skip(1)
        .map(|l| {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(l.as_bytes());
            r.records()
                .next()
                .unwrap()
                .unwrap()
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    let pick = |unit: &str| rows.iter().find(|r| r[0] == unit).unwrap().clone();
    // unit, block, index, pari, band, rank, of, head_rating, reason_code
    assert_eq!(
        pick("STC")[2..9],
        ["90.50", "90.50", "A", "1", "10", "excellent", ""]
    );
    assert_eq!(pick("SXD")[5], "1");
    assert_eq!(
        pick("SNV")[2..9],
        ["90.00", "90.00", "A", "3", "10", "excellent", ""]
    );
    assert_eq!(
        pick("STP")[2..9],
        ["89.99", "89.99", "B", "4", "10", "good", ""]
    );
    assert_eq!(
        pick("SCT")[2..9],
        ["84.00", "84.00", "B", "6", "10", "good", ""]
    );
    assert_eq!(
        pick("S10")[2..9],
        [
            "83.00",
            "83.00",
            "B",
            "10",
            "10",
            "undecided",
            "rank_outside_band"
        ]
    );
    assert!(pick("S10")[9].contains("xếp thứ 10"), "{:?}", pick("S10"));
    assert_eq!(
        pick("P1")[2..9],
        ["74.99", "74.99", "D", "1", "1", "not_completed", ""]
    );

    let (code, json, err) = chiso(&[
        "index",
        "compute",
        "--profile",
        "questionnaires/profiles/hai-phong-2025.toml",
        "--input",
        &input,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let s10 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == "S10")
        .unwrap();
    assert_eq!(s10["head_rating"]["outcome"], "undecided");
    assert_eq!(s10["head_rating"]["reason"]["code"], "rank_outside_band");
    assert_eq!(s10["head_rating"]["reason"]["last_rank"], 8);
    assert_eq!(s10["figures"]["index"], 83.0);
}

#[test]
fn index_compute_rates_thai_binh_heads_from_field_trends() {
    let dir = tempfile::tempdir().unwrap();
    let now = write(
        dir.path(),
        "2023.csv",
        "unit,block,appraised,survey,field.1,field.4,field.5,subjective_decline\n\
         SNV,so,65,27,12,5,9,\n\
         SNV2,so,62,28,12,6,8,\n\
         STP,so,60,25,7,,,\n\
         SYT,so,60,25,,,,\n\
         H1,huyen,70,22,13,,,\n",
    );
    let last = write(
        dir.path(),
        "2022.csv",
        "unit,field.1,field.4,field.5\nSNV,11,4,8\nSNV2,11,6,9\nSTP,8,,\nH1,12,,\n",
    );
    let before = write(
        dir.path(),
        "2021.csv",
        "unit,field.1,field.4,field.5\nSNV,10,3,7\nSNV2,10,5,10\nSTP,7,,\nH1,11,,\n",
    );
    let (code, out, err) = chiso(&[
        "index",
        "compute",
        "--profile",
        "thai-binh-2021",
        "--input",
        &now,
        "--previous",
        &last,
        "--previous",
        &before,
    ]);
    assert_eq!(code, 0, "{err}");
    let line = |unit: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{unit},")))
            .unwrap()
            .to_string()
    };
    // 92 points, every assigned field rising two years: excellent.
    assert!(line("SNV").contains(",excellent,"), "{out}");
    // 90 points but field 5 fell two years running, cause not established.
    assert!(
        line("SNV2").contains(",undecided,decline_cause_unknown,"),
        "{out}"
    );
    // 85 points, field 1 falling: the rule is silent.
    assert!(line("STP").contains(",undecided,trend_not_met,"), "{out}");
    // No assigned field: left to the council, as the profile says.
    assert!(
        line("SYT").contains(",undecided,no_assigned_items,"),
        "{out}"
    );
    assert!(line("H1").contains(",excellent,"), "{out}");

    // The cause settles it.
    let now2 = write(
        dir.path(),
        "2023b.csv",
        "unit,block,appraised,survey,field.1,field.4,field.5,subjective_decline\nSNV2,so,62,28,12,6,8,5\n",
    );
    let (code, out, err) = chiso(&[
        "index",
        "compute",
        "--profile",
        "thai-binh-2021",
        "--input",
        &now2,
        "--previous",
        &last,
        "--previous",
        &before,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("SNV2,so,90.00,90.00,TỐT,1,1,not_completed,,"),
        "{out}"
    );
}

#[test]
fn bad_input_gets_one_line_per_problem_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "scores.csv",
        "unit,block,appraised,survey,deductions\n\
         A,so,71,2,\n\
         B,khoi_la,10,x,\n\
         A,so,10,10,-1\n\
         C,so,,5,\n",
    );
    let (code, out, err) = chiso(&[
        "index",
        "compute",
        "--profile",
        "son-la-2021",
        "--input",
        &input,
    ]);
    assert_ne!(code, 0);
    assert!(out.is_empty(), "{out}");
    for want in [
        format!("{input}:2: appraised: 71 vượt mức tối đa 70"),
        format!("{input}:3: block: khối \"khoi_la\" không có trong hồ sơ son-la-2021"),
        format!("{input}:3: survey: \"x\" không phải là số"),
        format!("{input}:4: unit: mã đơn vị \"A\" trùng với dòng 2"),
        format!("{input}:4: deductions: không được âm"),
        format!("{input}:5: appraised: ô trống"),
    ] {
        assert!(
            err.lines().any(|l| l.starts_with(&want)),
            "missing {want} in:\n{err}"
        );
    }
    let bad_header = write(
        dir.path(),
        "h.csv",
        "unit,block,apraised,survey\nA,so,1,1\n",
    );
    let (code, _, err) = chiso(&[
        "index",
        "compute",
        "--profile",
        "son-la-2021",
        "--input",
        &bad_header,
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("{bad_header}:1: thiếu cột appraised")),
        "{err}"
    );
    assert!(err.contains("cột \"apraised\""), "{err}");
    let (code, _, err) = chiso(&[
        "index",
        "compute",
        "--profile",
        "ha-noi-2030",
        "--input",
        &input,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("không có hồ sơ \"ha-noi-2030\""), "{err}");
    assert!(err.contains("son-la-2021"), "{err}");
}
