//! `src/domain` stays pure: no web, database, mail or template crate, no
//! files, environment or clock. Each I/O crate has one home: diesel in
//! `storage/`, actix-web in `web/`, lettre in `mail/`.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_domain_imports_no_io_crate() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/domain/src"),
        &mut files,
    );
    assert!(files.len() >= 5);
    let forbidden = [
        "actix",
        "diesel",
        "lettre",
        "minijinja",
        "crate::mail",
        "std::fs",
        "std::env",
        "std::net",
        "Utc::now",
        "Local::now",
        "SystemTime",
    ];
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in forbidden {
                if code.contains(word) {
                    found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "crates/domain must stay pure:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_storage_imports_diesel_only_web_imports_actix_only_mail_imports_lettre() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    for f in files {
        let rel = f.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(&f).unwrap();
        if !rel.contains("/src/storage/") {
            assert!(
                !text.contains("diesel::"),
                "{rel} uses diesel outside storage/"
            );
        }
        if !rel.contains("/src/mail/") {
            assert!(!text.contains("lettre"), "{rel} uses lettre outside mail/");
        }
        if !rel.contains("/src/web/") {
            assert!(
                !text.contains("actix_web"),
                "{rel} uses actix-web outside web/"
            );
        }
    }
}

/// Code lines of a file (comments dropped), numbered from 1.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.split("//").next().unwrap_or("")))
}

/// The edges (web pages, the command line) call services only: a handler
/// or a subcommand that reached into storage would bypass the use case's
/// transaction and its rules.
#[test]
fn the_edges_never_name_storage() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/web"), &mut files);
    rust_files(&root.join("src/cli"), &mut files);
    files.push(root.join("src/main.rs"));
    assert!(files.len() >= 20, "found {} files", files.len());
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, code) in code_lines(&text) {
            for word in ["crate::storage", "chiso::storage", "storage::", "diesel"] {
                if code.contains(word) {
                    found.push(format!("{}:{n}: {}", f.display(), code.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "edges naming storage:\n{}",
        found.join("\n")
    );
}

/// Settings are plain data read once: the settings type names service types
/// (what the service is told) but calls nothing, reads no file but its own.
#[test]
fn the_settings_call_no_service() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut found = Vec::new();
    for (n, code) in code_lines(&text) {
        let t = code.trim();
        if (t.contains("service::") && !t.starts_with("use ")) || t.contains("std::fs") {
            found.push(format!("src/config.rs:{n}: {t}"));
        }
    }
    assert!(
        found.is_empty(),
        "settings calling out:\n{}",
        found.join("\n")
    );
}
