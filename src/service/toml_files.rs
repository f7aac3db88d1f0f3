//! Reading the TOML files authors edit by hand (questionnaires, province
//! profiles): a file or the `*.toml` files of a directory, each parsed, with
//! every problem of every file as `file:line: message` and duplicate codes
//! refused. One harness for both kinds; only the parser and the words differ.

use std::path::{Path, PathBuf};

use crate::domain::toml_lines::Diagnostic;

use super::{Result, ServiceError};

/// What differs between the kinds of file.
pub(super) struct Kind<T> {
    /// The file's noun in messages: "phiếu", "hồ sơ".
    pub noun: &'static str,
    pub parse: fn(&str) -> std::result::Result<T, Vec<Diagnostic>>,
    pub code: fn(&T) -> &str,
}

/// One valid file.
pub(super) struct Loaded<T> {
    pub path: PathBuf,
    pub source: String,
    pub value: T,
}

/// The `*.toml` files of a directory (not its subdirectories: profiles live
/// in `profiles/` below the questionnaires), or the file itself.
fn expand(path: &Path) -> std::result::Result<Vec<PathBuf>, String> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| format!("{}: không đọc được thư mục: {e}", path.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        Ok(files)
    } else if path.is_file() {
        Ok(vec![path.to_path_buf()])
    } else {
        Err(format!("{}: không có tệp hoặc thư mục này", path.display()))
    }
}

/// Reads and validates the files (or directories of them).
pub(super) fn load<T>(paths: &[PathBuf], kind: &Kind<T>) -> Result<Vec<Loaded<T>>> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        match expand(p) {
            Ok(found) if found.is_empty() => problems.push(format!(
                "{}: không có tệp {} (*.toml) nào",
                p.display(),
                kind.noun
            )),
            Ok(found) => files.extend(found),
            Err(e) => problems.push(e),
        }
    }
    let mut loaded: Vec<Loaded<T>> = Vec::new();
    for path in files {
        let source = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{}: không đọc được tệp: {e}", path.display()));
                continue;
            }
        };
        match (kind.parse)(&source) {
            Ok(value) => {
                let code = (kind.code)(&value);
                if let Some(other) = loaded.iter().find(|f| (kind.code)(&f.value) == code) {
                    problems.push(format!(
                        "{}:1: mã {} \"{code}\" trùng với tệp {}",
                        path.display(),
                        kind.noun,
                        other.path.display()
                    ));
                }
                loaded.push(Loaded {
                    path,
                    source,
                    value,
                });
            }
            Err(diags) => problems.extend(diags.iter().map(|d| format!("{}:{d}", path.display()))),
        }
    }
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(ServiceError::Invalid(problems))
    }
}
