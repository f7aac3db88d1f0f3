//! `chiso tokens`: one-time respondent links.

use std::process::ExitCode;

use clap::Subcommand;

use chiso::config::Settings;
use chiso::domain::ids::CampaignId;
use chiso::domain::states::RespondentSource;
use chiso::service::campaigns;

use super::common::connect;

#[derive(Subcommand)]
pub enum TokensCommand {
    /// Issue one-time respondent links and print them (they are stored only as hashes).
    Issue {
        #[arg(long)]
        campaign: CampaignId,
        #[arg(long = "questionnaire", short = 'q')]
        questionnaire: String,
        /// The respondent's unit (required when the questionnaire rates the respondent's own unit).
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
}

pub fn run(settings: &Settings, command: TokensCommand) -> anyhow::Result<ExitCode> {
    let TokensCommand::Issue {
        campaign,
        questionnaire,
        unit,
        count,
    } = command;
    let app = connect(settings)?;
    let tokens = campaigns::issue_tokens(
        &app,
        campaign,
        &questionnaire,
        unit.as_deref(),
        count,
        RespondentSource::Sample,
    )?;
    for t in tokens {
        println!("{}/s/{}", settings.public_url(), t.as_str());
    }
    Ok(ExitCode::SUCCESS)
}
