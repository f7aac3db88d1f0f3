//! The `chiso` binary as an operator uses it.

mod common;

use std::process::Command;

use common::*;

fn chiso(args: &[&str], db_url: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(args)
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

#[test]
fn units_import_then_campaign_then_tokens_on_every_backend() {
    for backend in backends() {
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
            chiso::storage::units::by_code(&mut app.pool.get().unwrap(), "SNV")
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
                && out.contains("/o/1/leader_so")
                && !out.contains("business")
        );

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
    let (code, _, _) = chiso(&["user", "disable", "bao"], &db.url);
    assert_eq!(code, 0);
    let (code, out, _) = chiso(&["user", "reset-password", "bao"], &db.url);
    assert_eq!(code, 0);
    assert!(out.contains("Mật khẩu mới"));
    let (code, _, err) = chiso(&["user", "disable", "nobody"], &db.url);
    assert_ne!(code, 0);
    assert!(err.contains("không có tài khoản"), "{err}");
}
