//! The subcommands, one module each: its clap arguments, its `run` and its
//! printers. Every one calls services; none touches storage.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod campaign;
mod check;
mod common;
mod estimate;
mod frame;
mod index;
mod invite;
mod migrate;
mod results;
mod sample;
mod serve;
mod tokens;
mod units;
mod user;

#[derive(Parser)]
#[command(
    name = "chiso",
    version,
    about = "Điều tra xã hội học và Chỉ số cải cách hành chính / Sociological survey and administrative-reform index"
)]
pub struct Cli {
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
    Serve(serve::Args),
    /// Validate questionnaire and profile files; prints every problem as file:line: message.
    Check(check::Args),
    /// The administrative-reform index.
    Index {
        #[command(subcommand)]
        command: index::IndexCommand,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Units (sở, phường, xã, đặc khu).
    Units {
        #[command(subcommand)]
        command: units::UnitsCommand,
    },
    /// Survey campaigns.
    Campaign {
        #[command(subcommand)]
        command: campaign::CampaignCommand,
    },
    /// Respondent tokens (one-time links).
    Tokens {
        #[command(subcommand)]
        command: tokens::TokensCommand,
    },
    /// A campaign's sampling frame (the people eligible to answer).
    Frame {
        #[command(subcommand)]
        command: frame::FrameCommand,
    },
    /// Sample plans, the seeded draw and its verification.
    Sample {
        #[command(subcommand)]
        command: sample::SampleCommand,
    },
    /// E-mail invitations and reminders to the people drawn.
    Invite {
        #[command(subcommand)]
        command: invite::InviteCommand,
    },
    /// The survey component of each unit (from the running sums kept with every response).
    Results {
        #[command(subcommand)]
        command: results::ResultsCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Design-based estimates from a CSV (as R's survey package: Taylor SE, CI), one row per domain.
    Estimate(estimate::EstimateArgs),
}

/// Runs the parsed command; the exit code for a command that finished but
/// found something wrong (a failed verification, a plan with problems).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // An analyst's command: needs no settings file and no database.
    let command = match cli.command {
        Command::Estimate(args) => return estimate::run(args),
        command => command,
    };
    let settings = common::load_settings(cli.config.as_deref())?;
    match command {
        Command::Serve(args) => serve::run(settings, args),
        Command::Check(args) => check::run(&settings, args),
        Command::Index { command } => index::run(&settings, command),
        Command::Migrate => migrate::run(&settings),
        Command::Units { command } => units::run(&settings, command),
        Command::Campaign { command } => campaign::run(&settings, command),
        Command::Tokens { command } => tokens::run(&settings, command),
        Command::Frame { command } => frame::run(&settings, command),
        Command::Sample { command } => sample::run(&settings, command),
        Command::Invite { command } => invite::run(&settings, command),
        Command::Results { command } => results::run(&settings, command),
        Command::User { command } => user::run(&settings, command),
        Command::Estimate(_) => unreachable!("handled before the settings are read"),
    }
}
