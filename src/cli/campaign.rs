//! `chiso campaign`: opening and listing survey campaigns.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;

use chiso::config::Settings;
use chiso::service::{self, campaigns, questionnaires};

use super::common::connect;

#[derive(Subcommand)]
pub enum CampaignCommand {
    /// Open a campaign; freezes the current version of each questionnaire.
    Open {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        name: String,
        /// First day answers are accepted (YYYY-MM-DD, Vietnam time).
        #[arg(long)]
        opens: NaiveDate,
        /// Last day answers are accepted (YYYY-MM-DD, Vietnam time).
        #[arg(long)]
        closes: NaiveDate,
        /// Questionnaire code to include; repeat for several (default: all).
        #[arg(long = "questionnaire", short = 'q')]
        questionnaires: Vec<String>,
        /// Submitted responses cannot be joined back to the respondent.
        #[arg(long)]
        anonymous: bool,
        /// The province profile (code in questionnaires/profiles, or a file) whose rules apply.
        #[arg(long)]
        profile: Option<String>,
    },
    /// List campaigns with their response counts.
    List,
}

pub fn run(settings: &Settings, command: CampaignCommand) -> anyhow::Result<ExitCode> {
    let app = connect(settings)?;
    match command {
        CampaignCommand::Open {
            year,
            name,
            opens,
            closes,
            questionnaires: codes,
            anonymous,
            profile,
        } => {
            let files = questionnaires::load(std::slice::from_ref(&settings.questionnaires_dir))?;
            let profile = profile
                .map(|p| service::profiles::find(&settings.profiles_dir(), &p))
                .transpose()?;
            let req = campaigns::OpenCampaign {
                year,
                name,
                opens,
                closes,
                codes,
                anonymous,
                profile,
            };
            let id = campaigns::open(&app, &files, &req)?;
            println!("Đã mở đợt khảo sát {id}.");
            for q in campaigns::summary(&app, id)?.questionnaires {
                if q.open_link {
                    println!(
                        "  {} (phiên bản {}): liên kết mở {}/o/{id}/{}",
                        q.code,
                        q.version,
                        settings.public_url(),
                        q.code
                    );
                } else {
                    println!(
                        "  {} (phiên bản {}): không có liên kết mở (chỉ người được mời); quản trị mở được trên trang đợt",
                        q.code, q.version
                    );
                }
            }
        }
        CampaignCommand::List => {
            for c in campaigns::summaries(&app)? {
                let n: i64 = c
                    .questionnaires
                    .iter()
                    .map(|q| q.responses_sample + q.responses_open)
                    .sum();
                println!(
                    "{}\t{}\t{} → {}\t{:?}\t{} phiếu\t{}",
                    c.id, c.year, c.opens_on, c.closes_on, c.status, n, c.name
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
