//! Questionnaire files on disk.

use std::path::PathBuf;

use crate::domain::questionnaire::{content_hash, parse_questionnaire, Questionnaire};

use super::toml_files::{self, Kind};
use super::{Result, ServiceError};

#[derive(Debug, Clone)]
pub struct QuestionnaireFile {
    pub path: PathBuf,
    pub source: String,
    pub hash: String,
    pub questionnaire: Questionnaire,
}

/// Reads and validates questionnaire files. Every problem of every file comes
/// back as `file:line: message`.
pub fn load(paths: &[PathBuf]) -> Result<Vec<QuestionnaireFile>> {
    let kind = Kind {
        noun: "phiếu",
        parse: parse_questionnaire,
        code: |q: &Questionnaire| q.code.as_str(),
    };
    Ok(toml_files::load(paths, &kind)?
        .into_iter()
        .map(|f| QuestionnaireFile {
            hash: content_hash(&f.source),
            path: f.path,
            source: f.source,
            questionnaire: f.value,
        })
        .collect())
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
