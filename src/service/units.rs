//! Importing units from CSV.

use std::io::Read;

use crate::domain::units_csv::parse_csv;
use crate::storage::units::{self, ImportCounts};

use super::{now, App, Result, ServiceError};

pub fn import(app: &App, reader: impl Read, file_name: &str) -> Result<ImportCounts> {
    let rows = parse_csv(reader, file_name)?;
    Ok(units::import(&mut *app.writer()?, &rows, now())?)
}

pub fn list(app: &App) -> Result<Vec<units::UnitRow>> {
    Ok(units::list(&mut *app.conn()?)?)
}

pub fn get(app: &App, id: i64) -> Result<units::UnitRow> {
    units::by_id(&mut *app.conn()?, id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đơn vị {id}")))
}
