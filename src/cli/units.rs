//! `chiso units`: the units (sở, phường, xã, đặc khu).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use chiso::config::Settings;
use chiso::service;

use super::common::{connect, open};

#[derive(Subcommand)]
pub enum UnitsCommand {
    /// Import or update units from a CSV with columns code,name,block,unit_type.
    Import { file: PathBuf },
}

pub fn run(settings: &Settings, command: UnitsCommand) -> anyhow::Result<ExitCode> {
    let UnitsCommand::Import { file } = command;
    let app = connect(settings)?;
    let f = open(&file)?;
    let counts = service::units::import(&app, f, &file.display().to_string())?;
    println!(
        "Đã nhập {} đơn vị mới, cập nhật {} đơn vị.",
        counts.inserted, counts.updated
    );
    Ok(ExitCode::SUCCESS)
}
