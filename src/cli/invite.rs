//! `chiso invite`: e-mail invitations and reminders to the people drawn.

use std::process::ExitCode;

use clap::Subcommand;

use chiso::config::Settings;
use chiso::domain::ids::CampaignId;
use chiso::service;

use super::common::connect;

#[derive(Subcommand)]
pub enum InviteCommand {
    /// Queue an invitation for everyone drawn and not yet invited, then send what is queued
    /// (at most `invitations.per_second`); safe to stop and run again.
    Send {
        #[arg(long)]
        campaign: CampaignId,
        /// Messages per second (overrides the setting).
        #[arg(long)]
        per_second: Option<f64>,
        /// Send even though `public_url` is unset or on this machine only
        /// (for a trial on one computer: respondents elsewhere cannot open the links).
        #[arg(long)]
        allow_local_links: bool,
    },
    /// Queue reminders for those who have not answered after `invitations.remind_after_days`
    /// days (at most `invitations.max_reminders` each), then send them.
    Remind {
        #[arg(long)]
        campaign: CampaignId,
        #[arg(long)]
        after_days: Option<i64>,
        #[arg(long)]
        per_second: Option<f64>,
        /// As for `send`.
        #[arg(long)]
        allow_local_links: bool,
    },
}

pub fn run(settings: &Settings, command: InviteCommand) -> anyhow::Result<ExitCode> {
    let (InviteCommand::Send {
        allow_local_links, ..
    }
    | InviteCommand::Remind {
        allow_local_links, ..
    }) = &command;
    // A link a respondent cannot open is worse than no mail: refuse before
    // anything is queued, and say which setting to set.
    if let Some(problem) = settings.link_address_problem() {
        if !allow_local_links {
            eprintln!("Không gửi: {problem}");
            eprintln!("Chỉ để thử trên một máy: thêm --allow-local-links.");
            return Ok(ExitCode::from(2));
        }
        eprintln!("Cảnh báo: {problem}");
    }
    let app = connect(settings)?;
    let mailer = chiso::mail::Mailer::from_settings(&settings.mail, &settings.data_dir)
        .map_err(|e| anyhow::anyhow!("cấu hình [mail]: {e}"))?;
    let (campaign, per_second) = match &command {
        InviteCommand::Send {
            campaign,
            per_second,
            ..
        }
        | InviteCommand::Remind {
            campaign,
            per_second,
            ..
        } => (*campaign, *per_second),
    };
    match command {
        InviteCommand::Send { .. } => {
            let q = service::invitations::queue_invitations(&app, &mailer, campaign)?;
            println!(
                "Xếp hàng {} thư mời; {} người không có e-mail sẽ nhận thư giấy; {} người không liên hệ được bằng cách nào ({} người dự phòng được gọi thay).",
                q.queued, q.by_other_mode, q.no_address, q.reserves_released
            );
        }
        InviteCommand::Remind { after_days, .. } => {
            let r = service::invitations::queue_reminders(
                &app,
                &mailer,
                campaign,
                after_days.unwrap_or(settings.invitations.remind_after_days),
                settings.invitations.max_reminders,
            )?;
            println!("Xếp hàng {} thư nhắc.", r.queued);
        }
    }
    let opts = service::invitations::Settings {
        public_url: settings.public_url(),
        organization: settings.mail.organization.clone(),
        per_second: per_second.unwrap_or(settings.invitations.per_second),
        max_attempts: settings.invitations.max_attempts,
        lease_seconds: settings.invitations.lease_seconds,
    };
    println!("Gửi qua {} …", mailer.describe());
    let r = service::invitations::send(&app, &mailer, &opts, campaign, &|| false)?;
    println!(
        "Đã gửi {}; thử lại sau {}; thất bại {}; địa chỉ bị từ chối {}; bỏ qua {} (đã trả lời hoặc từ chối); gọi {} người dự phòng.",
        r.sent, r.retry, r.failed, r.bounced, r.skipped, r.reserves_released
    );
    Ok(ExitCode::SUCCESS)
}
