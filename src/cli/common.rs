//! What several subcommands share: settings, the service connection, opening
//! an input file, the output format of tables.

use std::path::Path;

use anyhow::Context;

use chiso::config::Settings;
use chiso::service::App;

pub fn load_settings(config: Option<&Path>) -> anyhow::Result<Settings> {
    Settings::load(config).context("không đọc được cấu hình")
}

pub fn connect(settings: &Settings) -> anyhow::Result<App> {
    chiso::startup::connect(settings).context("không khởi động được dịch vụ")
}

/// Opens an input file, naming it in the error.
pub fn open(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::open(path).with_context(|| format!("không mở được {}", path.display()))
}

/// How `sample plan` and `results show` print their tables.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum PlanFormat {
    Table,
    Csv,
    Json,
}
