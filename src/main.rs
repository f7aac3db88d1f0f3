//! The `chiso` command line: parses arguments, builds settings, calls a
//! service. Nothing else lives here.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use chiso::config::Settings;
use chiso::service::{self, campaigns, questionnaires, App, ServiceError};
use chiso::storage::respondents::SOURCE_SAMPLE;

#[derive(Parser)]
#[command(
    name = "chiso",
    version,
    about = "Điều tra xã hội học và Chỉ số cải cách hành chính / Sociological survey and administrative-reform index"
)]
struct Cli {
    /// Settings file (default: ./chiso.toml if present). Environment variables
    /// CHISO__<KEY> and DATABASE_URL override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web service (migrates the database first).
    Serve {
        /// Load the demo province, an open campaign and a few respondent links.
        #[arg(long)]
        demo: bool,
        /// Address to listen on, e.g. 127.0.0.1:8080 (overrides the `bind` setting).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Validate questionnaire files; prints every problem as file:line: message.
    Check {
        /// Files or directories (default: the questionnaires directory).
        paths: Vec<PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Units (sở, phường, xã, đặc khu).
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// Survey campaigns.
    Campaign {
        #[command(subcommand)]
        command: CampaignCommand,
    },
    /// Respondent tokens (one-time links).
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
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
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Set a new password (generated unless --password-stdin) and end the account's sessions.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

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

#[derive(Subcommand)]
enum UnitsCommand {
    /// Import or update units from a CSV with columns code,name,block,unit_type.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum CampaignCommand {
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
    },
    /// List campaigns with their response counts.
    List,
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Issue one-time respondent links and print them (they are stored only as hashes).
    Issue {
        #[arg(long)]
        campaign: i64,
        #[arg(long = "questionnaire", short = 'q')]
        questionnaire: String,
        /// The respondent's unit (required when the questionnaire rates the respondent's own unit).
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            match e.downcast_ref::<ServiceError>() {
                Some(ServiceError::Invalid(problems)) => {
                    problems.iter().for_each(|p| eprintln!("{p}"))
                }
                _ => eprintln!("lỗi: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

fn connect(settings: &Settings) -> anyhow::Result<App> {
    let app = App::connect(&settings.database_url(), settings.pool_size)?;
    app.migrate().context("không nâng cấp được cơ sở dữ liệu")?;
    Ok(app)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(cli.config.as_deref()).context("không đọc được cấu hình")?;
    match cli.command {
        Command::Check { paths } => {
            let paths = if paths.is_empty() {
                vec![settings.questionnaires_dir.clone()]
            } else {
                paths
            };
            let files = questionnaires::load(&paths)?;
            for f in &files {
                println!(
                    "{}: đúng — \"{}\", {} phần, {} câu hỏi, {} tiêu chí",
                    f.path.display(),
                    f.questionnaire.code,
                    f.questionnaire.sections.len(),
                    f.questionnaire.question_count(),
                    f.questionnaire.criteria().len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let app = App::connect(&settings.database_url(), 1)?;
            let applied = app.migrate()?;
            println!("{}: {} migration(s) applied", app.backend, applied.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Units {
            command: UnitsCommand::Import { file },
        } => {
            let app = connect(&settings)?;
            let f = std::fs::File::open(&file)
                .with_context(|| format!("không mở được {}", file.display()))?;
            let counts = service::units::import(&app, f, &file.display().to_string())?;
            println!(
                "Đã nhập {} đơn vị mới, cập nhật {} đơn vị.",
                counts.inserted, counts.updated
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Campaign { command } => {
            let app = connect(&settings)?;
            match command {
                CampaignCommand::Open {
                    year,
                    name,
                    opens,
                    closes,
                    questionnaires: codes,
                    anonymous,
                } => {
                    let files =
                        questionnaires::load(std::slice::from_ref(&settings.questionnaires_dir))?;
                    let req = campaigns::OpenCampaign {
                        year,
                        name,
                        opens,
                        closes,
                        codes,
                        anonymous,
                    };
                    let id = campaigns::open(&app, &files, &req)?;
                    println!("Đã mở đợt khảo sát {id}.");
                    for q in campaigns::summary(&app, id)?.questionnaires {
                        println!(
                            "  {} (phiên bản {}): liên kết mở {}/o/{id}/{}",
                            q.code,
                            q.version,
                            settings.public_url(),
                            q.code
                        );
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
        Command::Tokens {
            command:
                TokensCommand::Issue {
                    campaign,
                    questionnaire,
                    unit,
                    count,
                },
        } => {
            let app = connect(&settings)?;
            let tokens = campaigns::issue_tokens(
                &app,
                campaign,
                &questionnaire,
                unit.as_deref(),
                count,
                SOURCE_SAMPLE,
            )?;
            for t in tokens {
                println!("{}/s/{}", settings.public_url(), t.as_str());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => {
            let app = connect(&settings)?;
            match command {
                UserCommand::Add {
                    username,
                    role,
                    unit,
                    name,
                    password_stdin,
                } => {
                    let (password, generated) = password_input(password_stdin)?;
                    service::accounts::add_user(
                        &app,
                        &username,
                        &name,
                        &role,
                        unit.as_deref(),
                        &password,
                    )?;
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
                    println!(
                        "Đã đặt lại mật khẩu cho {username}; mọi phiên đăng nhập đã kết thúc."
                    );
                    if generated {
                        println!("Mật khẩu mới (chỉ hiện một lần): {password}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { demo, bind } => {
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
                app.backend,
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
                    println!("  Đã có tài khoản nhân viên; quên mật khẩu thì dùng: chiso user reset-password TÊN");
                }
                let d = service::demo::seed(&app, &files)?;
                println!(
                    "  Dữ liệu mẫu: đợt khảo sát {} đang mở. Liên kết trả lời:",
                    d.campaign_id
                );
                for l in d.links {
                    println!("    {}: {base}{}", l.label, l.path);
                }
            }
            let state = chiso::web::State {
                app: Arc::new(app),
                settings,
            };
            actix_web::rt::System::new()
                .block_on(async move { chiso::web::server(state, listener)?.await })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
