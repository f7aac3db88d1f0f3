//! Units (sở, phường, xã, đặc khu): import from CSV and the unit views every
//! page uses.

use std::io::Read;

use crate::domain::ids::UnitId;
use crate::domain::units_csv::parse_csv;
use crate::storage::units::{self, UnitRow};

use super::{now, App, Result, ServiceError};

/// A unit as pages, exports and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unit {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    /// Ranking block, e.g. `so`, `phuong`, `xa_dac_khu`.
    pub block: String,
    pub unit_type: String,
}

impl From<UnitRow> for Unit {
    fn from(u: UnitRow) -> Self {
        Self {
            id: UnitId(u.id),
            code: u.code,
            name: u.name,
            block: u.block,
            unit_type: u.unit_type,
        }
    }
}

/// What an import changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub inserted: usize,
    pub updated: usize,
}

/// Every row or none: a file with any bad line changes nothing.
pub fn import(app: &App, reader: impl Read, file_name: &str) -> Result<ImportReport> {
    let known = super::names::Names::installed(app).map(|n| n.known());
    let rows = parse_csv(reader, file_name, known.as_ref())?;
    let c = units::import(&mut *app.writer()?, &rows, now())?;
    Ok(ImportReport {
        inserted: c.inserted,
        updated: c.updated,
    })
}

/// All units by block, then code.
pub fn list(app: &App) -> Result<Vec<Unit>> {
    Ok(units::list(&mut *app.conn()?)?
        .into_iter()
        .map(Unit::from)
        .collect())
}

pub fn find(app: &App, id: UnitId) -> Result<Option<Unit>> {
    Ok(units::by_id(&mut *app.conn()?, id.get())?.map(Unit::from))
}

pub fn get(app: &App, id: UnitId) -> Result<Unit> {
    find(app, id)?.ok_or_else(|| ServiceError::NotFound(format!("không có đơn vị {id}")))
}
