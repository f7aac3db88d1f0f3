//! `chiso frame`: a campaign's sampling frame.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use chiso::config::Settings;
use chiso::domain::ids::CampaignId;
use chiso::service;

use super::common::connect;

#[derive(Subcommand)]
pub enum FrameCommand {
    /// Import (or replace, until the draw) a campaign's frame from CSV with columns
    /// person_key,unit,group[,email][,size] and any stratifying columns.
    Import {
        #[arg(long)]
        campaign: CampaignId,
        file: PathBuf,
    },
}

pub fn run(settings: &Settings, command: FrameCommand) -> anyhow::Result<ExitCode> {
    let FrameCommand::Import { campaign, file } = command;
    let app = connect(settings)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let started = std::time::Instant::now();
    let r = service::sampling::import_frame(&app, campaign, &file, &name)?;
    let what = match r.outcome {
        service::sampling::ImportOutcome::Imported => "Đã nhập",
        service::sampling::ImportOutcome::Replaced => "Đã thay khung mẫu cũ bằng",
        service::sampling::ImportOutcome::Unchanged => "Không đổi (cùng tệp đã nhập):",
    };
    println!(
        "{what} {} dòng của khung mẫu đợt {campaign} ({:.1} giây; SHA-256 {}).",
        r.rows,
        started.elapsed().as_secs_f64(),
        &r.sha256[..16]
    );
    Ok(ExitCode::SUCCESS)
}
