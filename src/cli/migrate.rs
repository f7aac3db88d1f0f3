//! `chiso migrate`: applies pending database migrations.

use std::process::ExitCode;

use chiso::config::Settings;
use chiso::service::App;

pub fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let app = App::connect(&settings.database_url(), 1)?;
    let applied = app.migrate()?;
    println!("{}: {} migration(s) applied", app.backend(), applied.len());
    Ok(ExitCode::SUCCESS)
}
