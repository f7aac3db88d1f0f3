//! `chiso user`: staff accounts and their API tokens.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use chiso::config::Settings;
use chiso::service;

use super::common::connect;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account. Without --password-stdin a password is generated and printed once.
    Add {
        username: String,
        /// admin, appraiser, unit_officer or analyst.
        #[arg(long)]
        role: String,
        /// The unit of a unit officer (unit code).
        #[arg(long)]
        unit: Option<String>,
        /// Name shown on staff pages.
        #[arg(long, default_value = "")]
        name: String,
        /// Where the staff notices go (an explanation asked, an appraisal
        /// approved, a deadline near, a dossier submitted).
        #[arg(long, default_value = "")]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions and API tokens.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Set a new password (generated unless --password-stdin) and end the account's sessions and API tokens.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create a bearer token for the JSON API acting as this account (printed once).
    Token {
        username: String,
        /// What the token is for, e.g. the script that uses it.
        #[arg(long, default_value = "")]
        label: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// Revoke every API token of an account.
    RevokeTokens { username: String },
}

pub fn run(settings: &Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    let app = connect(settings)?;
    match command {
        UserCommand::Add {
            username,
            role,
            unit,
            name,
            email,
            password_stdin,
        } => {
            service::accounts::parse_email(&email)?;
            let (password, generated) = password_input(password_stdin)?;
            service::accounts::add_user(&app, &username, &name, &role, unit.as_deref(), &password)?;
            service::accounts::set_email(&app, &username, &email)?;
            println!("Đã tạo tài khoản {username} ({role}).");
            if generated {
                println!("Mật khẩu (chỉ hiện một lần): {password}");
            }
        }
        UserCommand::Disable { username } => {
            service::accounts::set_disabled(&app, &username, true)?;
            println!("Đã khóa tài khoản {username}; mọi phiên đăng nhập đã kết thúc.");
        }
        UserCommand::Enable { username } => {
            service::accounts::set_disabled(&app, &username, false)?;
            println!("Đã mở khóa tài khoản {username}.");
        }
        UserCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let (password, generated) = password_input(password_stdin)?;
            service::accounts::reset_password(&app, &username, &password)?;
            println!("Đã đặt lại mật khẩu cho {username}; mọi phiên đăng nhập đã kết thúc.");
            if generated {
                println!("Mật khẩu mới (chỉ hiện một lần): {password}");
            }
        }
        UserCommand::Token {
            username,
            label,
            days,
        } => {
            let token = service::accounts::create_api_token(&app, &username, &label, days)?;
            eprintln!("Mã API cho {username}, hết hạn sau {days} ngày (chỉ hiện một lần):");
            println!("{token}");
        }
        UserCommand::RevokeTokens { username } => {
            let n = service::accounts::revoke_api_tokens(&app, &username)?;
            println!("Đã thu hồi {n} mã API của {username}.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The password from the first line of standard input, or a generated one;
/// and whether it was generated (then it is printed once).
fn password_input(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("không đọc được mật khẩu từ stdin")?;
        Ok((line.trim_end_matches(['\r', '\n']).to_string(), false))
    } else {
        Ok((service::accounts::generate_password(), true))
    }
}
