//! `chiso check`: validates questionnaire and profile files.

use std::path::PathBuf;
use std::process::ExitCode;

use chiso::config::Settings;
use chiso::service::questionnaires;

#[derive(clap::Args)]
pub struct Args {
    /// Files or directories (default: the questionnaires directory and its
    /// profiles/ subdirectory). A directory named profiles, or a file in
    /// one, is a province profile.
    paths: Vec<PathBuf>,
}

pub fn run(settings: &Settings, Args { paths }: Args) -> anyhow::Result<ExitCode> {
    let paths = if paths.is_empty() {
        vec![settings.questionnaires_dir.clone()]
    } else {
        paths
    };
    let report = questionnaires::check(&paths)?;
    for f in &report.questionnaires {
        println!(
            "{}: đúng — \"{}\", {} phần, {} câu hỏi, {} tiêu chí",
            f.path.display(),
            f.questionnaire.code,
            f.questionnaire.sections.len(),
            f.questionnaire.question_count(),
            f.questionnaire.criteria().len()
        );
    }
    for f in &report.profiles {
        let p = &f.profile;
        let examples: Vec<&str> = p.example_parts.iter().map(|x| x.key()).collect();
        println!(
            "{}: đúng — hồ sơ \"{}\", {} bộ tiêu chí, {} tiêu chí, {} khối, người đứng đầu: {}{}",
            f.path.display(),
            p.code,
            p.criteria_sets.len(),
            p.criterion_count(),
            p.ranking.blocks.len(),
            p.head_rating.key(),
            if examples.is_empty() {
                String::new()
            } else {
                format!("; phần ví dụ: {}", examples.join(", "))
            }
        );
        // The readings and choices the figures depend on (issue: no figure
        // from a reading nobody can see).
        for r in p.readings() {
            println!(
                "  cách đọc: {} = {} — {} ({})",
                r.setting,
                r.value,
                r.meaning,
                r.basis.label()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
