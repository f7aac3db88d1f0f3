//! Province profiles on disk: `questionnaires/profiles/<code>.toml`.

use std::path::{Path, PathBuf};

use crate::domain::profile::{parse_profile, scale_problems, survey_gaps, unrated_blocks, Profile};

use super::questionnaires::QuestionnaireFile;
use super::toml_files::{self, Kind};
use super::{Result, ServiceError};

#[derive(Debug, Clone)]
pub struct ProfileFile {
    pub path: PathBuf,
    pub source: String,
    pub profile: Profile,
}

/// Where profiles live, relative to the questionnaires directory.
pub const DIR: &str = "profiles";

/// A path is a profile when it is a directory named `profiles` or a file in
/// one; the two kinds of file share the `.toml` extension, and the directory
/// says which parser applies.
pub fn is_profile_path(path: &Path) -> bool {
    if path.is_dir() {
        path.file_name().is_some_and(|n| n == DIR)
    } else {
        path.parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == DIR)
    }
}

/// Reads and validates profile files (or directories of them). Every problem
/// of every file comes back as `file:line: message`.
pub fn load(paths: &[PathBuf]) -> Result<Vec<ProfileFile>> {
    let kind = Kind {
        noun: "hồ sơ",
        parse: parse_profile,
        code: |p: &Profile| p.code.as_str(),
    };
    Ok(toml_files::load(paths, &kind)?
        .into_iter()
        .map(|f| ProfileFile {
            path: f.path,
            source: f.source,
            profile: f.value,
        })
        .collect())
}

/// Survey criteria of the profiles that no questionnaire feeds, as
/// `file:line: message`.
pub fn survey_problems(
    profiles: &[ProfileFile],
    questionnaires: &[QuestionnaireFile],
) -> Vec<String> {
    let qs: Vec<_> = questionnaires.iter().map(|q| &q.questionnaire).collect();
    profiles
        .iter()
        .flat_map(|f| {
            let blocks = unrated_blocks(&f.profile, &qs)
                .into_iter()
                .map(move |g| format!("{}: {}", f.path.display(), g.message()))
                .chain(
                    scale_problems(&f.profile, &qs)
                        .into_iter()
                        .map(move |m| format!("{}: {m}", f.path.display())),
                );
            survey_gaps(&f.profile, &qs)
                .into_iter()
                .map(move |g| format!("{}:{}: {}", f.path.display(), g.line, g.message()))
                .chain(blocks)
        })
        .collect()
}

/// A profile of `dir` by its code only, never a path: what the web and the
/// API accept (a path there would let a request read any file the service
/// can, and show its parse errors).
pub fn find_code(dir: &Path, code: &str) -> Result<ProfileFile> {
    let is_code = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !is_code || code.ends_with(".toml") {
        return Err(ServiceError::invalid(format!(
            "\"{}\" không phải mã hồ sơ tỉnh (ví dụ: hai-phong-2025)",
            code.chars()
                .filter(|c| !c.is_control())
                .take(64)
                .collect::<String>()
        )));
    }
    find(dir, code)
}

/// A profile by code (a file of `dir` whose `code` matches) or by path, for
/// the command line.
pub fn find(dir: &Path, code_or_path: &str) -> Result<ProfileFile> {
    let as_path = Path::new(code_or_path);
    if code_or_path.ends_with(".toml") || code_or_path.contains(['/', '\\']) || as_path.is_file() {
        let mut found = load(&[as_path.to_path_buf()])?;
        return found
            .pop()
            .ok_or_else(|| ServiceError::invalid(format!("{code_or_path}: không có hồ sơ")));
    }
    let all = load(&[dir.to_path_buf()])?;
    let codes: Vec<String> = all.iter().map(|f| f.profile.code.clone()).collect();
    all.into_iter()
        .find(|f| f.profile.code == code_or_path)
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "không có hồ sơ \"{code_or_path}\" trong {}; có: {}",
                dir.display(),
                codes.join(", ")
            ))
        })
}
