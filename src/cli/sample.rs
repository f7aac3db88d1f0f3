//! `chiso sample`: sample plans, the seeded draw and its verification.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use chiso::config::Settings;
use chiso::domain::ids::CampaignId;
use chiso::domain::questionnaire::RespondentGroup;
use chiso::domain::sampling::GroupRule;
use chiso::service;

use super::common::{connect, PlanFormat};

#[derive(Subcommand)]
pub enum SampleCommand {
    /// Show the plan: per unit, group and stratum N, n, reserves and the margin of error.
    Plan {
        #[arg(long)]
        campaign: CampaignId,
        #[arg(long, value_enum, default_value = "table")]
        format: PlanFormat,
    },
    /// Print the campaign's sampling rules (TOML, one table per group).
    Rules {
        #[arg(long)]
        campaign: CampaignId,
    },
    /// Set one group's rule from a TOML file (the keys of a profile's [sampling.GROUP]),
    /// or stop sampling the group with --none.
    SetRule {
        #[arg(long)]
        campaign: CampaignId,
        /// citizen, business, civil_servant or leader.
        #[arg(long)]
        group: String,
        #[arg(required_unless_present = "none")]
        file: Option<PathBuf>,
        #[arg(long)]
        none: bool,
    },
    /// Draw the sample (seeded; a random seed unless given) and make each sampled person's token.
    Draw {
        #[arg(long)]
        campaign: CampaignId,
        #[arg(long)]
        seed: Option<String>,
    },
    /// Repeat the stored draw from its seed, rules and frame and compare.
    Verify {
        #[arg(long)]
        campaign: CampaignId,
    },
}

pub fn run(settings: &Settings, command: SampleCommand) -> anyhow::Result<ExitCode> {
    let app = connect(settings)?;
    match command {
        SampleCommand::Plan { campaign, format } => {
            let plan = service::sampling::plan(&app, campaign)?;
            print_plan(&plan, format)?;
            for w in &plan.anonymity {
                eprintln!("Cảnh báo ẩn danh: {w}");
            }
            if !plan.problems.is_empty() {
                for p in &plan.problems {
                    eprintln!("{p}");
                }
                return Ok(ExitCode::FAILURE);
            }
        }
        SampleCommand::Rules { campaign } => {
            let rules = service::sampling::rules(&app, campaign)?;
            print!("{}", service::sampling::rules_toml(&rules));
        }
        SampleCommand::SetRule {
            campaign,
            group,
            file,
            none,
        } => {
            let g = RespondentGroup::parse(&group).ok_or_else(|| {
                anyhow::anyhow!(
                    "nhóm \"{group}\" không hợp lệ; dùng citizen, business, civil_servant hoặc leader"
                )
            })?;
            let rule = match (file, none) {
                (_, true) => None,
                (Some(f), false) => {
                    let text = std::fs::read_to_string(&f)
                        .with_context(|| format!("không đọc được {}", f.display()))?;
                    Some(
                        GroupRule::from_toml(&text)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?,
                    )
                }
                (None, false) => unreachable!("clap requires FILE or --none"),
            };
            service::sampling::set_rule(&app, campaign, g, rule.as_ref())?;
            println!("Đã cập nhật quy tắc chọn mẫu của nhóm {group}.");
        }
        SampleCommand::Draw { campaign, seed } => {
            let r = service::sampling::draw(&app, campaign, seed.as_deref())?;
            println!(
                "Đã rút mẫu đợt {campaign}: {} người trong mẫu, {} người dự phòng.",
                r.sample, r.reserves
            );
            println!("  Hạt giống (seed): {}", r.seed);
            println!("  Mã băm khung mẫu: {}", r.frame_digest);
            println!("  Kiểm tra lại: chiso sample verify --campaign {campaign}");
        }
        SampleCommand::Verify { campaign } => {
            let r = service::sampling::verify(&app, campaign)?;
            if r.problems.is_empty() {
                println!(
                    "Khớp: rút lại từ hạt giống {} cho đúng {} người như mẫu đã lưu; khung mẫu {} không đổi.",
                    r.seed, r.members, r.frame_digest
                );
            } else {
                for p in &r.problems {
                    eprintln!("{p}");
                }
                eprintln!("KHÔNG khớp: {} khác biệt.", r.problems.len());
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_plan(plan: &service::sampling::CampaignPlan, format: PlanFormat) -> anyhow::Result<()> {
    let margin = |m: Option<f64>| m.map(|m| format!("{:.1}", m * 100.0)).unwrap_or_default();
    match format {
        PlanFormat::Json => println!("{}", serde_json::to_string_pretty(plan)?),
        PlanFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record([
                "unit",
                "unit_name",
                "group",
                "stratum",
                "population",
                "sample",
                "reserves",
                "margin_percent",
            ])?;
            for r in &plan.rows {
                for (s, label) in r.plan.strata.iter().zip(&r.labels) {
                    w.write_record([
                        r.unit_code.as_str(),
                        r.unit_name.as_str(),
                        r.group.code(),
                        label.as_str(),
                        &s.population.to_string(),
                        &s.sample.to_string(),
                        &s.reserves.to_string(),
                        &margin(s.margin),
                    ])?;
                }
                // An area design has clusters, not strata: one row for the unit.
                if r.plan.strata.is_empty() {
                    w.write_record([
                        r.unit_code.as_str(),
                        r.unit_name.as_str(),
                        r.group.code(),
                        "",
                        &r.plan.population.to_string(),
                        &r.plan.sample.to_string(),
                        &r.plan.reserves.to_string(),
                        &margin(r.plan.margin),
                    ])?;
                }
            }
            w.flush()?;
        }
        PlanFormat::Table => {
            println!(
                "{:<14} {:<14} {:<24} {:>8} {:>6} {:>6} {:>8}",
                "đơn vị", "nhóm", "tầng", "N", "n", "dự phòng", "sai số %"
            );
            for r in &plan.rows {
                println!(
                    "{:<14} {:<14} {:<24} {:>8} {:>6} {:>6} {:>8}",
                    r.unit_code,
                    r.group.code(),
                    "(cả đơn vị)",
                    r.plan.population,
                    r.plan.sample,
                    r.plan.reserves,
                    margin(r.plan.margin)
                );
                if r.plan.strata.len() > 1 {
                    for (s, label) in r.plan.strata.iter().zip(&r.labels) {
                        println!(
                            "{:<14} {:<14} {:<24} {:>8} {:>6} {:>6} {:>8}",
                            "",
                            "",
                            label,
                            s.population,
                            s.sample,
                            s.reserves,
                            margin(s.margin)
                        );
                    }
                }
            }
            println!(
                "Tổng: {} người trong khung mẫu, {} được mời, {} dự phòng; {} người thuộc nhóm không chọn mẫu.",
                plan.frame_rows,
                plan.sample(),
                plan.reserves(),
                plan.unruled
            );
        }
    }
    Ok(())
}
