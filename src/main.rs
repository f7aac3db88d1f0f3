//! The `chiso` command line: parses arguments, builds settings, calls a
//! service. Nothing else lives here.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use chiso::config::Settings;
use chiso::domain::estimate::request::{self as estimate, Condition};
use chiso::domain::estimate::{Interval, Replacement};
use chiso::service::{self, campaigns, questionnaires, App, ServiceError};
use chiso::storage::respondents::SOURCE_SAMPLE;

// glibc's allocator serialises the many request and blocking threads on its
// arena locks; mimalloc's per-thread heaps do not (see the README's load figures).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Validate questionnaire and profile files; prints every problem as file:line: message.
    Check {
        /// Files or directories (default: the questionnaires directory and its
        /// profiles/ subdirectory). A directory named profiles, or a file in
        /// one, is a province profile.
        paths: Vec<PathBuf>,
    },
    /// The administrative-reform index.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
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
    /// A campaign's sampling frame (the people eligible to answer).
    Frame {
        #[command(subcommand)]
        command: FrameCommand,
    },
    /// Sample plans, the seeded draw and its verification.
    Sample {
        #[command(subcommand)]
        command: SampleCommand,
    },
    /// E-mail invitations and reminders to the people drawn.
    Invite {
        #[command(subcommand)]
        command: InviteCommand,
    },
    /// The survey component of each unit (from the running sums kept with every response).
    Results {
        #[command(subcommand)]
        command: ResultsCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Design-based estimates from a CSV (as R's survey package: Taylor SE, CI), one row per domain.
    Estimate(EstimateArgs),
}

#[derive(clap::Args)]
struct EstimateArgs {
    /// The CSV (UTF-8, with or without BOM, header row); `NA` and empty cells are missing.
    file: PathBuf,
    /// The variable to estimate (not needed with --prop).
    #[arg(long)]
    var: Option<String>,
    /// Statistic: mean, total, or ratio (--var over --denominator).
    #[arg(long, value_enum, default_value_t = StatArg::Mean)]
    stat: StatArg,
    /// Denominator of --stat ratio.
    #[arg(long)]
    denominator: Option<String>,
    /// Stratum column.
    #[arg(long)]
    strata: Option<String>,
    /// Primary sampling unit (cluster) column; one stage, nested in strata.
    #[arg(long)]
    cluster: Option<String>,
    /// Finite-population correction: PSUs in the stratum's population, or the sampling fraction when no value exceeds 1.
    #[arg(long)]
    fpc: Option<String>,
    /// Sampling weight column (default: N_h/n_h from --fpc, else 1).
    #[arg(long)]
    weight: Option<String>,
    /// Domain columns, comma-separated: one output row per combination.
    #[arg(long, value_delimiter = ',')]
    by: Vec<String>,
    /// Restrict to the domain COL=VALUE (repeatable; rows outside keep their stratum and PSU).
    #[arg(long = "where", value_name = "COL=VALUE")]
    wheres: Vec<Condition>,
    /// Estimate the share of rows where COL equals VALUE.
    #[arg(long, value_name = "COL=VALUE")]
    prop: Option<Condition>,
    /// Confidence interval: normal, t (design degrees of freedom) or logit (proportions).
    #[arg(long, value_enum, default_value_t = CiArg::Normal)]
    ci: CiArg,
    /// Confidence level.
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    /// Add the design effect as a column: against simple random sampling without replacement (R's deff = TRUE), or with replacement (`--deff replace`).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "srswor")]
    deff: Option<DeffArg>,
    #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
    format: FormatArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum StatArg {
    Mean,
    Total,
    Ratio,
}

#[derive(Clone, Copy, ValueEnum)]
enum CiArg {
    Normal,
    T,
    Logit,
}

#[derive(Clone, Copy, ValueEnum)]
enum DeffArg {
    Srswor,
    Replace,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Csv,
    Json,
}

fn run_estimate(a: EstimateArgs) -> anyhow::Result<ExitCode> {
    let req = estimate::Request {
        var: a.var,
        stat: match a.stat {
            StatArg::Mean => estimate::Stat::Mean,
            StatArg::Total => estimate::Stat::Total,
            StatArg::Ratio => estimate::Stat::Ratio,
        },
        denominator: a.denominator,
        strata: a.strata,
        cluster: a.cluster,
        fpc: a.fpc,
        weight: a.weight,
        by: a.by,
        wheres: a.wheres,
        prop: a.prop,
        ci: match a.ci {
            CiArg::Normal => Interval::Normal,
            CiArg::T => Interval::StudentT,
            CiArg::Logit => Interval::Logit,
        },
        level: a.level,
        deff: a.deff.map(|d| match d {
            DeffArg::Srswor => Replacement::Without,
            DeffArg::Replace => Replacement::With,
        }),
    };
    let f = std::fs::File::open(&a.file)
        .with_context(|| format!("không mở được {}", a.file.display()))?;
    let rows = estimate::run(std::io::BufReader::new(f), &req)?;
    let out = std::io::stdout().lock();
    match a.format {
        FormatArg::Csv => estimate::write_csv(&rows, req.deff.is_some(), out)?,
        FormatArg::Json => estimate::write_json(&rows, out)?,
    }
    Ok(ExitCode::SUCCESS)
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
enum IndexCommand {
    /// Index, band, rank in block and head-of-agency rating per unit, from a
    /// CSV of component points (columns: unit, block, appraised, survey
    /// [, bonus, deductions, max, unit_type, field.<code>…]).
    Compute {
        /// Profile code (looked up in the profiles directory) or path to a profile file.
        #[arg(long)]
        profile: String,
        #[arg(long)]
        input: PathBuf,
        /// Earlier years' scores (columns unit, field.<code>…): last year first,
        /// then the year before; repeat the option.
        #[arg(long)]
        previous: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// A campaign's index table: appraisal and survey points, index, band,
    /// rank in block, head-of-agency rating, per unit (as the staff page shows it).
    Show {
        #[arg(long)]
        campaign: i64,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// The duty-to-explain list instead of the table.
        #[arg(long)]
        explain: bool,
    },
    /// Survey points per unit and survey criterion (columns unit, criterion,
    /// points) for a campaign whose survey ran elsewhere.
    ImportSurvey {
        #[arg(long)]
        campaign: i64,
        file: PathBuf,
    },
    /// A year's published scores (columns unit, field.<code>…): the units' own
    /// (`own`) or the provincial index items an agency answers for (`assigned`).
    ImportScores {
        #[arg(long)]
        year: i64,
        #[arg(long, default_value = "own")]
        kind: String,
        /// The profile whose rounding applies.
        #[arg(long)]
        profile: String,
        file: PathBuf,
    },
    /// Publish the table once every dossier is approved: freezes it and
    /// records the year's scores.
    Publish {
        #[arg(long)]
        campaign: i64,
        /// The administrator publishing (a staff user name).
        #[arg(long = "as")]
        user: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Csv,
    Json,
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
        /// The province profile (code in questionnaires/profiles, or a file) whose rules apply.
        #[arg(long)]
        profile: Option<String>,
    },
    /// List campaigns with their response counts.
    List,
}

#[derive(Subcommand)]
enum FrameCommand {
    /// Import (or replace, until the draw) a campaign's frame from CSV with columns
    /// person_key,unit,group[,email][,size] and any stratifying columns.
    Import {
        #[arg(long)]
        campaign: i64,
        file: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PlanFormat {
    Table,
    Csv,
    Json,
}

#[derive(Subcommand)]
enum SampleCommand {
    /// Show the plan: per unit, group and stratum N, n, reserves and the margin of error.
    Plan {
        #[arg(long)]
        campaign: i64,
        #[arg(long, value_enum, default_value = "table")]
        format: PlanFormat,
    },
    /// Print the campaign's sampling rules (TOML, one table per group).
    Rules {
        #[arg(long)]
        campaign: i64,
    },
    /// Set one group's rule from a TOML file (the keys of a profile's [sampling.GROUP]),
    /// or stop sampling the group with --none.
    SetRule {
        #[arg(long)]
        campaign: i64,
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
        campaign: i64,
        #[arg(long)]
        seed: Option<String>,
    },
    /// Repeat the stored draw from its seed, rules and frame and compare.
    Verify {
        #[arg(long)]
        campaign: i64,
    },
}

#[derive(Subcommand)]
enum InviteCommand {
    /// Queue an invitation for everyone drawn and not yet invited, then send what is queued
    /// (at most `invitations.per_second`); safe to stop and run again.
    Send {
        #[arg(long)]
        campaign: i64,
        /// Messages per second (overrides the setting).
        #[arg(long)]
        per_second: Option<f64>,
    },
    /// Queue reminders for those who have not answered after `invitations.remind_after_days`
    /// days (at most `invitations.max_reminders` each), then send them.
    Remind {
        #[arg(long)]
        campaign: i64,
        #[arg(long)]
        after_days: Option<i64>,
        #[arg(long)]
        per_second: Option<f64>,
    },
}

#[derive(Subcommand)]
enum ResultsCommand {
    /// Each unit's survey points with their 95 % interval and flags.
    Show {
        #[arg(long)]
        campaign: i64,
        #[arg(long, value_enum, default_value = "table")]
        format: PlanFormat,
    },
    /// Rebuild the running sums from the stored answers; says how many differed.
    Recompute {
        #[arg(long)]
        campaign: i64,
    },
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
    // Rust ignores SIGPIPE, so writing to a closed pipe (`chiso sample plan |
    // head`) would panic; a command-line tool should just stop, as cat does.
    #[cfg(unix)]
    // SAFETY: called first in main, before any thread exists; only resets a
    // signal disposition to the system default.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // The analyst's command reports a bad flag on one line, like its other errors.
        Err(e) if analyst_command() && e.use_stderr() => {
            let msg = e.to_string();
            eprintln!(
                "{} (chiso estimate --help)",
                msg.lines().next().unwrap_or("").trim()
            );
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let problems = match e.downcast_ref::<ServiceError>() {
                Some(ServiceError::Invalid(problems)) => Some(problems),
                _ => e
                    .downcast_ref::<chiso::domain::problems::Problems>()
                    .map(|p| &p.0),
            };
            match problems {
                Some(problems) => problems.iter().for_each(|p| eprintln!("{p}")),
                None => eprintln!("lỗi: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

fn analyst_command() -> bool {
    std::env::args().nth(1).as_deref() == Some("estimate")
}

fn connect(settings: &Settings) -> anyhow::Result<App> {
    chiso::startup::connect(settings).context("không khởi động được dịch vụ")
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // An analyst's command: needs no settings file and no database.
    let command = match cli.command {
        Command::Estimate(args) => return run_estimate(args),
        command => command,
    };
    let mut settings = Settings::load(cli.config.as_deref()).context("không đọc được cấu hình")?;
    match command {
        Command::Check { paths } => {
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
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Index {
            command:
                IndexCommand::Compute {
                    profile,
                    input,
                    previous,
                    format,
                },
        } => {
            let dir = settings.questionnaires_dir.join(service::profiles::DIR);
            let profile = service::profiles::find(&dir, &profile)?.profile;
            let open = |p: &PathBuf| {
                std::fs::File::open(p).with_context(|| format!("không mở được {}", p.display()))
            };
            let rows = chiso::domain::index::table::parse_scores(
                open(&input)?,
                &input.display().to_string(),
                &profile,
            )?;
            let mut earlier = Vec::new();
            for p in &previous {
                earlier.push(chiso::domain::index::table::parse_previous(
                    open(p)?,
                    &p.display().to_string(),
                    profile.points.decimals,
                )?);
            }
            let results = chiso::domain::index::table::compute(&profile, &rows, &earlier)?;
            let text = match format {
                Format::Csv => chiso::domain::index::table::to_csv(&profile, &results)?,
                Format::Json => chiso::domain::index::table::to_json(&results)? + "\n",
            };
            // A reader that stops early (`| head`) is not an error.
            match std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(ExitCode::SUCCESS),
            }
        }
        Command::Index { command } => {
            let app = connect(&settings)?;
            let dir = settings.profiles_dir();
            let open = |p: &PathBuf| {
                std::fs::File::open(p).with_context(|| format!("không mở được {}", p.display()))
            };
            match command {
                IndexCommand::Compute { .. } => unreachable!("handled above"),
                IndexCommand::Show {
                    campaign,
                    format,
                    explain,
                } => {
                    let now = chrono::Utc::now().naive_utc();
                    let t = service::publication::table(&app, &dir, campaign, now)?;
                    let (header, rows) = if explain {
                        service::publication::explain_sheet(&t)
                    } else {
                        service::publication::index_sheet(&t)
                    };
                    let mut out = std::io::stdout().lock();
                    let rows = rows.into_iter().map(Ok::<_, String>);
                    let written = match format {
                        Format::Csv => chiso::report::export::write_csv(
                            &mut out,
                            &header,
                            rows,
                            &chiso::report::export::CsvOptions {
                                bom: false,
                                ..Default::default()
                            },
                        )
                        .map(|_| ()),
                        Format::Json => {
                            chiso::report::export::write_json(&mut out, &header, rows).map(|_| ())
                        }
                    };
                    if let Err(e) = written {
                        if !e.to_string().contains("Broken pipe") {
                            return Err(anyhow::anyhow!("{e}"));
                        }
                    }
                }
                IndexCommand::ImportSurvey { campaign, file } => {
                    let n = service::publication::import_survey(
                        &app,
                        &dir,
                        campaign,
                        open(&file)?,
                        &file.display().to_string(),
                    )?;
                    println!("Đã nhập {n} điểm điều tra xã hội học cho đợt {campaign}.");
                }
                IndexCommand::ImportScores {
                    year,
                    kind,
                    profile,
                    file,
                } => {
                    let decimals = service::profiles::find(&dir, &profile)?
                        .profile
                        .points
                        .decimals;
                    let n = service::publication::import_scores(
                        &app,
                        year,
                        &kind,
                        decimals,
                        open(&file)?,
                        &file.display().to_string(),
                    )?;
                    println!("Đã nhập {n} điểm năm {year} ({kind}).");
                }
                IndexCommand::Publish { campaign, user } => {
                    let who = service::accounts::staff_user(&app, &user)?;
                    let t = service::publication::publish(&app, &who, &dir, campaign)?;
                    let indexed = t.rows.iter().filter(|r| r.figures().is_some()).count();
                    println!(
                        "Đã công bố kết quả đợt {campaign}: {} đơn vị, {indexed} có chỉ số.",
                        t.rows.len()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let app = App::connect(&settings.database_url(), 1)?;
            let applied = app.migrate()?;
            println!("{}: {} migration(s) applied", app.backend(), applied.len());
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
                    profile,
                } => {
                    let files =
                        questionnaires::load(std::slice::from_ref(&settings.questionnaires_dir))?;
                    let profile = profile
                        .map(|p| service::profiles::find(&settings.profiles_dir(), &p))
                        .transpose()?
                        .map(|f| f.profile);
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
        Command::Frame {
            command: FrameCommand::Import { campaign, file },
        } => {
            let app = connect(&settings)?;
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
        Command::Sample { command } => {
            let app = connect(&settings)?;
            match command {
                SampleCommand::Plan { campaign, format } => {
                    let plan = service::sampling::plan(&app, campaign)?;
                    print_plan(&plan, format)?;
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
                    let g = chiso::domain::questionnaire::RespondentGroup::parse(&group)
                        .ok_or_else(|| {
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
                                chiso::domain::sampling::GroupRule::from_toml(&text)
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
        Command::Invite { command } => {
            let app = connect(&settings)?;
            let mailer = chiso::mail::Mailer::from_settings(&settings.mail, &settings.data_dir)
                .map_err(|e| anyhow::anyhow!("cấu hình [mail]: {e}"))?;
            let (campaign, per_second) = match &command {
                InviteCommand::Send {
                    campaign,
                    per_second,
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
                        "Xếp hàng {} thư mời; {} người không có địa chỉ e-mail ({} người dự phòng được gọi thay).",
                        q.queued, q.no_address, q.reserves_released
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
        Command::Results { command } => {
            let app = connect(&settings)?;
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
                    let r = service::results::campaign_results(
                        &app,
                        &settings.profiles_dir(),
                        campaign,
                    )?;
                    print_results(&r, format)?;
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
                    println!("  Đã có tài khoản nhân viên; quên mật khẩu thì dùng: chiso user reset-password TÊN");
                }
                // The demo units follow Hải Phòng's 2025 blocks (sở, phường, xã + đặc khu).
                let profile = service::profiles::find(&settings.profiles_dir(), "hai-phong-2025")
                    .ok()
                    .map(|f| f.profile);
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
            actix_web::rt::System::new()
                .block_on(async move { chiso::web::server(state, listener)?.await })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Estimate(_) => unreachable!("handled before the settings are read"),
    }
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
