//! The `chiso` binary as an operator uses it.

use std::process::Command;

use crate::support::*;

fn chiso(args: &[&str], db_url: &str) -> (i32, String, String) {
    output(Command::new(env!("CARGO_BIN_EXE_chiso")).args(args), db_url)
}

fn output(c: &mut Command, db_url: &str) -> (i32, String, String) {
    let out = c
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", db_url)
        .env_remove("CHISO__BIND")
        .output()
        .expect("run chiso");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_accepts_the_shipped_questionnaires() {
    let (code, out, err) = chiso(&["check"], "sqlite://unused.db");
    assert_eq!(code, 0, "{err}");
    for name in [
        "citizen",
        "business",
        "civil_servant",
        "leader_commune",
        "leader_so",
    ] {
        assert!(
            out.contains(&format!("questionnaires/{name}.toml: đúng")),
            "{out}"
        );
    }
    assert!(
        out.contains("\"citizen\", 7 phần, 28 câu hỏi"),
        "SIPAS: 22 criteria plus context questions: {out}"
    );
    // Each profile lists the readings its figures rest on.
    assert!(
        out.contains("cách đọc: appraisal.late.too_late = whole_dossier — Đơn vị không nộp hồ sơ khi hết thời gian nộp muộn: toàn bộ điểm hồ sơ tự đánh giá là 0 (theo câu chữ của văn bản)"),
        "{out}"
    );
    assert!(
        out.contains("cách đọc: council.no_dossier = council"),
        "{out}"
    );
}

#[test]
fn check_reports_every_problem_as_file_line_message() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        r#"code = "bad"
title = "Phiếu lỗi"
group = "citizen"
colour = "red"

[scales.s]
labels = ["Có", "Không"]
scores = [1, 2]

[[sections]]
code = "A"
title = "A"

[[sections.questions]]
code = "Q1"
kind = "likert"
scale = "s"
text = "Một"

[[sections.questions]]
code = "Q1"
kind = "single"
text = "Hai"
options = [{ code = "y", label = "Có" }, { code = "n", label = "Không" }]
show_if = { question = "Q9", any_of = ["y"] }
"#,
    )
    .unwrap();
    let (code, _out, err) = chiso(&["check", bad.to_str().unwrap()], "sqlite://unused.db");
    assert_ne!(code, 0);
    let path = bad.display().to_string();
    let lines: Vec<&str> = err.lines().collect();
    for (line, text) in [
        (4, "khóa không được hỗ trợ \"colour\""),
        (6, "điểm 2 nằm ngoài khoảng [0, 1]"),
        (21, "trùng mã câu hỏi \"Q1\""),
        (25, "\"Q9\""),
    ] {
        let prefix = format!("{path}:{line}: ");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&prefix) && l.contains(text)),
            "missing {prefix}{text} in:\n{err}"
        );
    }
    // The service refuses to start on the same file, with the same messages.
    let (code, _, serve_err) = Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("CHISO__QUESTIONNAIRES_DIR", dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("x.db").display()),
        )
        .output()
        .map(|o| {
            (
                o.status.code().unwrap_or(-1),
                String::new(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .unwrap();
    assert_ne!(code, 0);
    assert!(
        serve_err.contains(&format!("{path}:21: trùng mã câu hỏi \"Q1\"")),
        "{serve_err}"
    );
    assert!(
        !dir.path().join("x.db").exists(),
        "nothing is created before the files are valid"
    );
}

#[test]
fn an_unknown_database_scheme_is_refused_clearly() {
    let (code, _, err) = chiso(&["migrate"], "mysql://root@localhost/x");
    assert_ne!(code, 0);
    assert!(
        err.contains("\"mysql://root@localhost/x\" không được hỗ trợ"),
        "{err}"
    );
    assert!(err.contains("postgres://"));
}

per_backend!(units_import_then_campaign_then_tokens_on_every_backend);
fn units_import_then_campaign_then_tokens_on_every_backend(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("units.csv");
    std::fs::write(
        &csv,
        "code,name,block,unit_type\nSNV,Sở Nội vụ,so,so\nP1,Phường Một,phuong,phuong\n",
    )
    .unwrap();
    let (code, out, err) = chiso(&["units", "import", csv.to_str().unwrap()], &db.url);
    assert_eq!(code, 0, "{backend:?}: {err}");
    assert!(out.contains("Đã nhập 2 đơn vị mới, cập nhật 0"), "{out}");

    // A bad file changes nothing and names every bad line.
    std::fs::write(&csv, "code,name,block,unit_type\nSNV,Sở Nội vụ (mới),so,so\nbad code,,Khối,so\nP1,Phường,phuong,phuong\nP1,Trùng,phuong,phuong\n").unwrap();
    let (code, _, err) = chiso(&["units", "import", csv.to_str().unwrap()], &db.url);
    assert_ne!(code, 0);
    let f = csv.display().to_string();
    assert!(err.contains(&format!("{f}:3: cột code")), "{err}");
    assert!(err.contains(&format!("{f}:3: cột name")));
    assert!(err.contains(&format!("{f}:3: cột block")));
    assert!(
        err.contains(&format!("{f}:5: mã đơn vị \"P1\" trùng với dòng 4")),
        "{err}"
    );
    let app = app_on(&db);
    assert_eq!(
        chiso::storage::units::by_code(
            &mut chiso::storage::connect(app.database_url()).unwrap(),
            "SNV"
        )
        .unwrap()
        .unwrap()
        .name,
        "Sở Nội vụ"
    );

    let (code, out, err) = chiso(
        &[
            "campaign",
            "open",
            "--year",
            "2026",
            "--name",
            "Đợt 1",
            "--opens",
            "2026-01-01",
            "--closes",
            "2099-12-31",
            "-q",
            "citizen",
            "-q",
            "leader_so",
        ],
        &db.url,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Đã mở đợt khảo sát 1."), "{out}");
    assert!(
        out.contains("/o/1/citizen")
            && !out.contains("/o/1/leader_so")
            && !out.contains("business"),
        "leader forms open without an open link (issue 15): {out}"
    );
    assert!(out.contains("leader_so (phiên bản") && out.contains("không có liên kết mở"));

    let (code, _, err) = chiso(
        &[
            "campaign",
            "open",
            "--year",
            "2026",
            "--name",
            "x",
            "--opens",
            "2026-02-01",
            "--closes",
            "2026-01-01",
        ],
        &db.url,
    );
    assert_ne!(code, 0);
    assert!(err.contains("ngày đóng (2026-01-01) phải sau"), "{err}");

    let (code, out, err) = chiso(
        &[
            "tokens",
            "issue",
            "--campaign",
            "1",
            "-q",
            "citizen",
            "--unit",
            "P1",
            "--count",
            "3",
        ],
        &db.url,
    );
    assert_eq!(code, 0, "{err}");
    let links: Vec<&str> = out.lines().collect();
    assert_eq!(links.len(), 3);
    assert!(links
        .iter()
        .all(|l| l.contains("/s/") && l.rsplit('/').next().unwrap().len() == 22));
    let (code, _, err) = chiso(
        &["tokens", "issue", "--campaign", "1", "-q", "citizen"],
        &db.url,
    );
    assert_ne!(code, 0);
    assert!(err.contains("cần chỉ rõ đơn vị"), "{err}");

    let (code, out, _) = chiso(&["campaign", "list"], &db.url);
    assert_eq!(code, 0);
    assert!(out.contains("Đợt 1"));
}

#[test]
fn help_documents_every_command() {
    let (code, out, _) = chiso(&["--help"], "sqlite://unused.db");
    assert_eq!(code, 0);
    for cmd in ["serve", "check", "migrate", "units", "campaign", "tokens"] {
        assert!(out.contains(cmd), "{out}");
    }
}

#[test]
fn settings_come_from_the_file_then_the_environment_and_typos_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("chiso.toml");
    std::fs::write(&cfg, "questionnaires_dir = \"/nowhere\"\n").unwrap();
    let run = |env: Option<(&str, &str)>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chiso"));
        c.args(["--config", cfg.to_str().unwrap(), "check"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if let Some((k, v)) = env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (ok, err) = run(None);
    assert!(!ok && err.contains("/nowhere"), "the file is read: {err}");
    let (ok, err) = run(Some(("CHISO__QUESTIONNAIRES_DIR", "questionnaires")));
    assert!(ok, "the environment overrides the file: {err}");
    std::fs::write(&cfg, "questionaires_dir = \"questionnaires\"\n").unwrap();
    let (ok, err) = run(None);
    assert!(!ok && err.contains("questionaires_dir"), "{err}");
}

#[test]
fn staff_accounts_are_managed_from_the_command_line() {
    let db = TestDb::new(Backend::Sqlite);
    let (code, out, err) = chiso(
        &[
            "user",
            "add",
            "Bao",
            "--role",
            "admin",
            "--name",
            "Trần Bảo",
        ],
        &db.url,
    );
    assert_eq!(code, 0, "{err}");
    let password = out
        .split("Mật khẩu (chỉ hiện một lần): ")
        .nth(1)
        .expect(&out)
        .trim()
        .to_string();
    assert!(password.len() >= 16);
    let (code, _, err) = chiso(&["user", "add", "bao", "--role", "admin"], &db.url);
    assert_ne!(code, 0);
    assert!(err.contains("đã có"), "{err}");
    let (code, _, err) = chiso(&["user", "add", "x", "--role", "root"], &db.url);
    assert_ne!(code, 0);
    assert!(err.contains("vai trò không hợp lệ"), "{err}");
    let (code, _, err) = chiso(&["user", "add", "o", "--role", "unit_officer"], &db.url);
    assert_ne!(code, 0);
    assert!(err.contains("--unit"), "{err}");
    // An address for the staff notices; a wrong one creates nothing.
    let (code, _, err) = chiso(
        &["user", "add", "td", "--role", "appraiser", "--email", "td@"],
        &db.url,
    );
    assert_ne!(code, 0);
    assert!(err.contains("Địa chỉ thư \"td@\" không hợp lệ"), "{err}");
    let app = app_on(&db);
    assert!(
        chiso::service::accounts::staff_user(&app, "td").is_err(),
        "no account"
    );
    let (code, _, err) = chiso(
        &[
            "user",
            "add",
            "td",
            "--role",
            "appraiser",
            "--email",
            "td@snv.vn",
        ],
        &db.url,
    );
    assert_eq!(code, 0, "{err}");
    let admin = chiso::service::accounts::staff_user(&app, "bao").unwrap();
    let listed = chiso::service::staff_accounts::list(&app, &admin).unwrap();
    let td = listed.iter().find(|a| a.username == "td").unwrap();
    assert_eq!(td.email.as_deref(), Some("td@snv.vn"));
    let (code, _, _) = chiso(&["user", "disable", "bao"], &db.url);
    assert_eq!(code, 0);
    let (code, out, _) = chiso(&["user", "reset-password", "bao"], &db.url);
    assert_eq!(code, 0);
    assert!(out.contains("Mật khẩu mới"));
    let (code, _, err) = chiso(&["user", "disable", "nobody"], &db.url);
    assert_ne!(code, 0);
    assert!(err.contains("không có tài khoản"), "{err}");
}

/// `chiso` with a data directory of its own (outbox, secret key).
fn chiso_in(data: &std::path::Path, args: &[&str], db_url: &str) -> (i32, String, String) {
    output(
        Command::new(env!("CARGO_BIN_EXE_chiso"))
            .args(args)
            .env("CHISO__DATA_DIR", data)
            .env("CHISO__INVITATIONS__PER_SECOND", "1000"),
        db_url,
    )
}

/// Runs `chiso` in one data directory against one database, asserting success.
struct Cli {
    data: tempfile::TempDir,
    db: TestDb,
}

impl Cli {
    fn new(backend: Backend) -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
            db: TestDb::new(backend),
        }
    }

    fn data(&self) -> &std::path::Path {
        self.data.path()
    }

    fn run(&self, args: &[&str]) -> String {
        let (code, out, err) = chiso_in(self.data(), args, &self.db.url);
        assert_eq!(code, 0, "{:?} chiso {args:?}: {err}", self.db.backend);
        out
    }

    /// The demo units and campaign 1 open from today for twenty days.
    fn open_campaign(&self, name: &str) {
        self.run(&["units", "import", "demo/units.csv"]);
        let today = chrono::Utc::now().date_naive();
        self.run(&[
            "campaign",
            "open",
            "--year",
            "2025",
            "--name",
            name,
            "--opens",
            &today.to_string(),
            "--closes",
            &(today + chrono::Duration::days(20)).to_string(),
            "--profile",
            "hai-phong-2025",
        ]);
    }

    /// Sample only `group` of campaign 1, by the rule in `toml`.
    fn sample_only(&self, group: &str, toml: &str) {
        for g in ["citizen", "business", "civil_servant", "leader"] {
            if g != group {
                self.run(&[
                    "sample",
                    "set-rule",
                    "--campaign",
                    "1",
                    "--group",
                    g,
                    "--none",
                ]);
            }
        }
        let rule = self.data().join(format!("{group}.toml"));
        std::fs::write(&rule, toml).unwrap();
        self.run(&[
            "sample",
            "set-rule",
            "--campaign",
            "1",
            "--group",
            group,
            rule.to_str().unwrap(),
        ]);
    }
}

per_backend!(the_sample_is_planned_drawn_verified_and_invited_from_the_command_line);
fn the_sample_is_planned_drawn_verified_and_invited_from_the_command_line(backend: Backend) {
    let cli = Cli::new(backend);
    let run = |args: &[&str]| cli.run(args);
    cli.open_campaign("Khảo sát CLI");
    // Leaders of two units only: a small frame with a stratum column.
    let mut frame = String::from("person_key,unit,group,email,chuc_vu\n");
    for i in 0..40 {
        let unit = if i < 20 { "P-BINHMINH" } else { "X-DONGHAI" };
        let role = if i % 2 == 0 {
            "Chủ tịch"
        } else {
            "Phó Chủ tịch"
        };
        frame.push_str(&format!("L{i:03},{unit},leader,ld{i}@vi-du.vn,{role}\n"));
    }
    let path = cli.data().join("khung.csv");
    std::fs::write(&path, frame).unwrap();
    let out = run(&["frame", "import", "--campaign", "1", path.to_str().unwrap()]);
    assert!(out.contains("40"), "{out}");
    cli.sample_only(
        "leader",
        "rule = \"quota\"\nquota = { phuong = 8, xa = 8, so = 8, dac_khu = 8 }\n\
         response_rate = 0.8\nreserve_share = 0.25\nstrata = [\"chuc_vu\"]\n",
    );

    let csv = run(&["sample", "plan", "--campaign", "1", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "unit,unit_name,group,stratum,population,sample,reserves,margin_percent"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    // Quota 8 at 80 % → 10 invitations a unit, 5 in each of two strata of 10.
    assert_eq!(rows.len(), 4, "{csv}");
    for r in &rows {
        assert_eq!(
            (r[4].as_str(), r[5].as_str(), r[6].as_str()),
            ("10", "5", "2"),
            "{r:?}"
        );
        let margin: f64 = r[7].parse().unwrap();
        assert!(margin > 0.0 && margin < 50.0, "{r:?}");
    }
    let table = run(&["sample", "plan", "--campaign", "1"]);
    assert!(
        table.contains("sai số %") && table.contains("Chủ tịch"),
        "{table}"
    );

    let drawn = run(&["sample", "draw", "--campaign", "1", "--seed", "xổ số 03/12"]);
    assert!(
        drawn.contains("20 người trong mẫu, 8 người dự phòng"),
        "{drawn}"
    );
    let verified = run(&["sample", "verify", "--campaign", "1"]);
    assert!(verified.starts_with("Khớp"), "{verified}");

    // Links on the bind address reach nobody: refused before anything is
    // queued, naming the setting to set.
    let (code, out, err) = chiso_in(
        cli.data(),
        &["invite", "send", "--campaign", "1"],
        &cli.db.url,
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("Không gửi: Chưa đặt public_url") && err.contains("--allow-local-links"),
        "{err}"
    );
    let (code, _, err) = output(
        Command::new(env!("CARGO_BIN_EXE_chiso"))
            .args(["invite", "send", "--campaign", "1"])
            .env("CHISO__DATA_DIR", cli.data())
            .env("CHISO__PUBLIC_URL", "http://localhost:8080"),
        &cli.db.url,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("chỉ mở được trên chính máy chủ này"), "{err}");
    assert!(
        !cli.data().join("outbox").exists(),
        "nothing was sent or queued"
    );

    let sent = run(&["invite", "send", "--campaign", "1", "--allow-local-links"]);
    assert!(sent.contains("Xếp hàng 20 thư mời"), "{sent}");
    assert!(sent.contains("Đã gửi 20;"), "{sent}");
    let outbox = cli.data().join("outbox");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 20);
    let again = run(&["invite", "send", "--campaign", "1", "--allow-local-links"]);
    assert!(
        again.contains("Xếp hàng 0 thư mời") && again.contains("Đã gửi 0;"),
        "{again}"
    );
    let reminded = run(&[
        "invite",
        "remind",
        "--campaign",
        "1",
        "--after-days",
        "0",
        "--allow-local-links",
    ]);
    assert!(reminded.contains("Xếp hàng 20 thư nhắc"), "{reminded}");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 40);
    let early = run(&["invite", "remind", "--campaign", "1", "--allow-local-links"]);
    assert!(
        early.contains("Xếp hàng 0 thư nhắc"),
        "7 days have not passed: {early}"
    );

    // The frame changed behind the draw's back: verify says so and fails.
    {
        use diesel::prelude::*;
        let app = app_on(&cli.db);
        diesel::update(chiso::storage::schema::frame_persons::table)
            .filter(chiso::storage::schema::frame_persons::person_key.eq("L000"))
            .set(chiso::storage::schema::frame_persons::strata.eq("{\"chuc_vu\":\"Phó Chủ tịch\"}"))
            .execute(&mut chiso::storage::connect(app.database_url()).unwrap())
            .unwrap();
    }
    let (code, _, err) = chiso_in(
        cli.data(),
        &["sample", "verify", "--campaign", "1"],
        &cli.db.url,
    );
    assert_eq!(code, 1, "{backend:?}");
    assert!(err.contains("KHÔNG khớp"), "{err}");
}

per_backend!(the_index_table_is_shown_imported_and_published_from_the_command_line);
fn the_index_table_is_shown_imported_and_published_from_the_command_line(backend: Backend) {
    let cli = Cli::new(backend);
    let run = |args: &[&str]| cli.run(args);
    cli.open_campaign("Chỉ số 2025");
    let survey = cli.data().join("dtxhh.csv");
    std::fs::write(&survey, "unit,criterion,points\nP-BINHMINH,8.2.1,1.5\n").unwrap();
    let out = run(&[
        "index",
        "import-survey",
        "--campaign",
        "1",
        survey.to_str().unwrap(),
    ]);
    assert!(out.contains("Đã nhập 1 điểm"), "{out}");
    let past = cli.data().join("2024.csv");
    std::fs::write(&past, "unit,field.1,field.2\nP-BINHMINH,9.5,8\n").unwrap();
    let out = run(&[
        "index",
        "import-scores",
        "--year",
        "2024",
        "--profile",
        "hai-phong-2025",
        past.to_str().unwrap(),
    ]);
    assert!(out.contains("Đã nhập 2 điểm năm 2024"), "{out}");

    let csv = run(&["index", "show", "--campaign", "1"]);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "unit", "no BOM on the terminal: {csv}");
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let bm = rows
        .iter()
        .find(|r| &r[col("unit")] == "P-BINHMINH")
        .unwrap();
    assert_eq!(&bm[col("dossier")], "none");
    // The code for programs, the words beside it for people (issue 17).
    assert_eq!(&bm[col("dossier_name")], "Chưa lập hồ sơ");
    assert_eq!(
        &bm[col("index")],
        "",
        "most survey criteria missing: no index"
    );
    assert_eq!(&bm[col("reason_code")], "no_index");
    let json = run(&[
        "index",
        "show",
        "--campaign",
        "1",
        "--format",
        "json",
        "--explain",
    ]);
    // Fields 1 and 2 fell from last year's published 9.5 and 8 to 0.
    let explain: serde_json::Value = serde_json::from_str(&json).unwrap();
    let items = explain.as_array().unwrap();
    assert_eq!(items.len(), 2, "{json}");
    assert_eq!(items[0]["code"], "1");
    assert_eq!(items[0]["change"], serde_json::json!(-9.5));
    assert_eq!(items[0]["department"], "Sở Nội vụ");
    assert_eq!(items[1]["previous"], serde_json::json!(8.0));

    chiso::service::accounts::add_user(&app_on(&cli.db), "qt", "", "admin", None, TEST_PASSWORD)
        .unwrap();
    let (code, _, err) = chiso_in(
        cli.data(),
        &[
            "index",
            "publish",
            "--campaign",
            "1",
            "--as",
            "khong-co",
            "--confirm",
            "CÔNG BỐ",
        ],
        &cli.db.url,
    );
    assert_eq!(code, 1);
    assert!(err.contains("không có tài khoản"), "{err}");
    // Publication waits for the council and for the typed confirmation.
    let (code, out, _) = chiso_in(
        cli.data(),
        &["index", "review", "--campaign", "1"],
        &cli.db.url,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("chờ Hội đồng quyết định"), "{out}");
    let publish = |confirm: &str| {
        chiso_in(
            cli.data(),
            &[
                "index",
                "publish",
                "--campaign",
                "1",
                "--as",
                "qt",
                "--confirm",
                confirm,
            ],
            &cli.db.url,
        )
    };
    let (code, _, err) = publish("CÔNG BỐ");
    assert_eq!(code, 1);
    assert!(err.contains("chờ Hội đồng quyết định"), "{err}");
    let (code, _, err) = chiso_in(
        cli.data(),
        &[
            "index",
            "decide",
            "--campaign",
            "1",
            "--unit",
            "SNV",
            "--case",
            "no_dossier",
            "--decision",
            "good",
            "--reason",
            "Biên bản số 1",
            "--as",
            "qt",
        ],
        &cli.db.url,
    );
    assert_eq!(code, 1);
    assert!(err.contains("không phải là quyết định"), "{err}");
    council_decides_every_open_case(&app_on(&cli.db), "qt", chiso::domain::ids::CampaignId(1));
    assert!(run(&["index", "review", "--campaign", "1"]).contains("có thể công bố"));
    let (code, _, err) = publish("cong bo");
    assert_eq!(code, 1);
    assert!(err.contains("gõ đúng \"CÔNG BỐ\""), "{err}");
    let (code, out, err) = publish("CÔNG BỐ");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Đã công bố kết quả đợt 1"), "{out}");
    let (code, _, err) = chiso_in(
        cli.data(),
        &[
            "index",
            "import-survey",
            "--campaign",
            "1",
            survey.to_str().unwrap(),
        ],
        &cli.db.url,
    );
    assert_eq!(code, 1, "{backend:?}");
    assert!(err.contains("đã công bố"), "{err}");
}

per_backend!(an_area_plan_prints_one_csv_row_per_unit_with_its_clusters_sizes);
fn an_area_plan_prints_one_csv_row_per_unit_with_its_clusters_sizes(backend: Backend) {
    let cli = Cli::new(backend);
    let run = |args: &[&str]| cli.run(args);
    cli.open_campaign("Khảo sát theo địa bàn");
    // Six villages of 450 citizens in each of two communes.
    let mut frame = String::from("person_key,unit,group,email,thon\n");
    let mut n = 0;
    for unit in ["P-BINHMINH", "X-DONGHAI"] {
        for (v, size) in [200, 120, 60, 40, 20, 10].into_iter().enumerate() {
            for _ in 0..size {
                n += 1;
                frame.push_str(&format!("K{n:05},{unit},citizen,n{n}@vi-du.vn,Thôn {v}\n"));
            }
        }
    }
    let path = cli.data().join("thon.csv");
    std::fs::write(&path, frame).unwrap();
    run(&["frame", "import", "--campaign", "1", path.to_str().unwrap()]);
    cli.sample_only(
        "citizen",
        "rule = \"yamane\"\nmargin = 0.1\nresponse_rate = 0.5\nreserve_share = 0.1\n\
         clusters = { stages = [{ column = \"thon\", take = 3 }] }\n",
    );

    let csv = run(&["sample", "plan", "--campaign", "1", "--format", "csv"]);
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{backend:?} one row a unit:\n{csv}");
    for r in &rows {
        // Yamane N = 450, e = 10 % → 82 → 164 at 50 % response → 55 in
        // each of 3 villages = 165, and ⌈5.5⌉ = 6 reserves in each.
        assert_eq!(
            (r[2], r[3], r[4], r[5], r[6]),
            ("citizen", "", "450", "165", "18"),
            "{backend:?} {r:?}"
        );
        let margin: f64 = r[7].parse().unwrap();
        assert!(
            margin > 10.0 && margin < 50.0,
            "{r:?}: clusters cost precision"
        );
    }
}

per_backend!(a_profile_file_outside_the_profiles_folder_is_frozen_with_the_campaign);
fn a_profile_file_outside_the_profiles_folder_is_frozen_with_the_campaign(backend: Backend) {
    let cli = Cli::new(backend);
    let run = |args: &[&str]| cli.run(args);
    run(&["units", "import", "demo/units.csv"]);
    // A province's own copy of the rules, kept elsewhere.
    let own = tempfile::tempdir().unwrap();
    let file = own.path().join("hai-phong-rieng.toml");
    std::fs::copy(
        repo_path("questionnaires/profiles/hai-phong-2025.toml"),
        &file,
    )
    .unwrap();
    let today = chrono::Utc::now().date_naive();
    let out = run(&[
        "campaign",
        "open",
        "--year",
        "2025",
        "--name",
        "Chỉ số 2025",
        "--opens",
        &today.to_string(),
        "--closes",
        &(today + chrono::Duration::days(20)).to_string(),
        "--profile",
        file.to_str().unwrap(),
    ]);
    assert!(out.contains("Đã mở đợt khảo sát 1."), "{out}");
    // The file is gone: the campaign keeps the copy frozen when it opened,
    // so the index, the review and the pages still work.
    drop(own);
    let table = run(&["index", "show", "--campaign", "1", "--format", "csv"]);
    assert!(table.contains("P-BINHMINH"), "{table}");
    let (code, out, err) = chiso_in(
        cli.data(),
        &["index", "review", "--campaign", "1"],
        &cli.db.url,
    );
    assert_eq!(code, 1, "open cases, not an error: {err}");
    assert!(out.contains("chờ Hội đồng quyết định"), "{out}");
}
