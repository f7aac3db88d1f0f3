//! `chiso results`: each unit's survey component.

use std::process::ExitCode;

use clap::Subcommand;

use chiso::config::Settings;
use chiso::domain::ids::CampaignId;
use chiso::service;

use super::common::{connect, PlanFormat};

#[derive(Subcommand)]
pub enum ResultsCommand {
    /// Each unit's survey points with their 95 % interval and flags.
    Show {
        #[arg(long)]
        campaign: CampaignId,
        #[arg(long, value_enum, default_value = "table")]
        format: PlanFormat,
    },
    /// Rebuild the running sums from the stored answers; says how many differed.
    Recompute {
        #[arg(long)]
        campaign: CampaignId,
    },
}

pub fn run(settings: &Settings, command: ResultsCommand) -> anyhow::Result<ExitCode> {
    let app = connect(settings)?;
    match command {
        ResultsCommand::Recompute { campaign } => {
            let r = service::results::recompute(&app, campaign)?;
            println!(
                "Đã tính lại {} bảng tổng hợp từ các phiếu đã lưu; {} bảng khác với số đang dùng.",
                r.tallies, r.differed
            );
            if r.differed > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        ResultsCommand::Show { campaign, format } => {
            let r = service::results::campaign_results(&app, campaign)?;
            print_results(&r, format)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_results(r: &service::results::CampaignResults, format: PlanFormat) -> anyhow::Result<()> {
    if let PlanFormat::Json = format {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(if matches!(format, PlanFormat::Csv) {
            b','
        } else {
            b'\t'
        })
        .from_writer(std::io::stdout());
    w.write_record([
        "unit", "block", "status", "points", "se", "ci_low", "ci_high", "max", "problem",
    ])?;
    for u in &r.units {
        let c = u.survey.as_ref().map(|s| &s.component);
        let opt = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
        w.write_record([
            u.code.clone(),
            u.block.clone(),
            c.map(|c| format!("{:?}", c.status).to_lowercase())
                .unwrap_or_default(),
            c.and_then(|c| c.published.map(|p| p.to_string()))
                .unwrap_or_default(),
            opt(c.and_then(|c| c.se)),
            opt(c.and_then(|c| c.ci.map(|ci| ci.low))),
            opt(c.and_then(|c| c.ci.map(|ci| ci.high))),
            c.map(|c| c.max.to_string()).unwrap_or_default(),
            u.problem.clone().unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
