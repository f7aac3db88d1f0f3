//! Questionnaire files on disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::domain::questionnaire::{content_hash, parse_questionnaire, Questionnaire};

use super::{Result, ServiceError};

#[derive(Debug, Clone)]
pub struct QuestionnaireFile {
    pub path: PathBuf,
    pub source: String,
    pub hash: String,
    pub questionnaire: Questionnaire,
}

/// The `*.toml` files of a directory (not its subdirectories, where profiles
/// live), or the file itself.
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

/// Reads and validates questionnaire files. Every problem of every file comes
/// back as `file:line: message`.
pub fn load(paths: &[PathBuf]) -> Result<Vec<QuestionnaireFile>> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        match expand(p) {
            Ok(found) if found.is_empty() => {
                problems.push(format!("{}: không có tệp phiếu (*.toml) nào", p.display()))
            }
            Ok(found) => files.extend(found),
            Err(e) => problems.push(e),
        }
    }
    let mut loaded: Vec<QuestionnaireFile> = Vec::new();
    let mut by_code: HashMap<String, PathBuf> = HashMap::new();
    for path in files {
        let source = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{}: không đọc được tệp: {e}", path.display()));
                continue;
            }
        };
        match parse_questionnaire(&source) {
            Ok(q) => {
                if let Some(other) = by_code.insert(q.code.clone(), path.clone()) {
                    problems.push(format!(
                        "{}:1: mã phiếu \"{}\" trùng với tệp {}",
                        path.display(),
                        q.code,
                        other.display()
                    ));
                }
                loaded.push(QuestionnaireFile {
                    hash: content_hash(&source),
                    path,
                    source,
                    questionnaire: q,
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

/// What `chiso check` found valid.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub questionnaires: Vec<QuestionnaireFile>,
    pub profiles: Vec<super::profiles::ProfileFile>,
}

/// Validates questionnaires and profiles. A directory named `profiles`, or a
/// file in one, is a profile; any other directory holds questionnaires and,
/// in its `profiles` subdirectory, profiles. When both kinds are checked
/// together, every survey criterion of a profile must be fed by a question of
/// a questionnaire of the weighted group. Every problem comes back as
/// `file:line: message`.
pub fn check(paths: &[PathBuf]) -> Result<CheckReport> {
    use super::profiles;
    let mut q_paths = Vec::new();
    let mut p_paths = Vec::new();
    for p in paths {
        if profiles::is_profile_path(p) {
            p_paths.push(p.clone());
        } else {
            q_paths.push(p.clone());
            let sub = p.join(profiles::DIR);
            if p.is_dir() && sub.is_dir() {
                p_paths.push(sub);
            }
        }
    }
    let mut problems = Vec::new();
    let mut report = CheckReport::default();
    if !q_paths.is_empty() {
        match load(&q_paths) {
            Ok(q) => report.questionnaires = q,
            Err(ServiceError::Invalid(p)) => problems.extend(p),
            Err(e) => return Err(e),
        }
    }
    if !p_paths.is_empty() {
        match profiles::load(&p_paths) {
            Ok(p) => report.profiles = p,
            Err(ServiceError::Invalid(p)) => problems.extend(p),
            Err(e) => return Err(e),
        }
    }
    if !report.questionnaires.is_empty() && problems.is_empty() {
        problems.extend(profiles::survey_problems(
            &report.profiles,
            &report.questionnaires,
        ));
    }
    if problems.is_empty() {
        Ok(report)
    } else {
        Err(ServiceError::Invalid(problems))
    }
}
