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
        if !rel.contains("/src/web/") && !rel.ends_with("/src/main.rs") {
            assert!(
                !text.contains("actix_web"),
                "{rel} uses actix-web outside web/"
            );
        }
    }
}
