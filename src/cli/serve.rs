//! `chiso serve`: the web service.

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use chiso::config::Settings;
use chiso::service::{self, questionnaires};

use super::common::connect;

#[derive(clap::Args)]
pub struct Args {
    /// Load the demo province, an open campaign and a few respondent links.
    #[arg(long)]
    demo: bool,
    /// Address to listen on, e.g. 127.0.0.1:8080 (overrides the `bind` setting).
    #[arg(long)]
    bind: Option<String>,
}

pub fn run(mut settings: Settings, Args { demo, bind }: Args) -> anyhow::Result<ExitCode> {
    if let Some(b) = bind {
        settings.bind = b;
    }
    // Refuse to start on a broken questionnaire, with the same messages as `check`.
    let files = questionnaires::load(std::slice::from_ref(&settings.questionnaires_dir))?;
    let app = connect(&settings)?;
    let listener = TcpListener::bind(&settings.bind)
        .with_context(|| format!("không mở được cổng {}", settings.bind))?;
    if settings.public_url.is_none() {
        settings.public_url = Some(format!("http://{}", listener.local_addr()?));
    }
    let base = settings.public_url();
    println!(
        "chiso đang chạy trên {} ({}), {} phiếu hợp lệ.",
        base,
        app.backend(),
        files.len()
    );
    println!("  Trang quản trị: {base}/staff (đăng nhập tại {base}/login)");
    if demo {
        if !service::accounts::has_users(&app)? {
            let password = service::accounts::generate_password();
            service::accounts::add_user(
                &app,
                "admin",
                "Quản trị (dữ liệu mẫu)",
                "admin",
                None,
                &password,
            )?;
            println!("  Tài khoản quản trị mẫu: admin / {password} (chỉ hiện một lần)");
        } else {
            println!(
                "  Đã có tài khoản nhân viên; quên mật khẩu thì dùng: chiso user reset-password TÊN"
            );
        }
        // The demo units follow Hải Phòng's 2025 blocks (sở, phường, xã + đặc khu).
        let profile = service::profiles::find(&settings.profiles_dir(), "hai-phong-2025").ok();
        let d = service::demo::seed(&app, &files, profile.as_ref())?;
        println!(
            "  Dữ liệu mẫu: đợt khảo sát {} đang mở. Liên kết trả lời:",
            d.campaign_id
        );
        for l in d.links {
            println!("    {}: {base}{}", l.label, l.path);
        }
    }
    let state = chiso::web::State::new(Arc::new(app), settings)
        .map_err(|e| anyhow::anyhow!("cấu hình [mail]: {e}"))?;
    service::notices::spawn_sender(
        state.app.clone(),
        state.mailer.clone(),
        std::time::Duration::from_secs(state.settings.notices.send_every_seconds.max(1)),
    );
    service::appraisal::spawn_sweeper(state.app.clone(), state.settings.data_dir.clone());
    chiso::web::run(state, listener)?;
    Ok(ExitCode::SUCCESS)
}
